"""Community health services neighbourhood teams: workforce and service lines.

Each team is an :class:`~abm.organisations.Organisation` (its row of ``model.teams.table``)
with a workforce by role (funded establishment, staff in post, vacancies) and by age band,
recruitment (newly trained staff and the wider labour market), attrition and retirement, bank and
agency staff covering part of the vacancies, and a weekly capacity in patient contacts.
:func:`run_services` allocates every team's capacity across its service lines in priority
order (DESIGN 4):

1. discharge support for medically fit inpatients;
2. urgent community response (2-hour UCR) to crises at home, with virtual-ward
   places (add-on scheme) where there is room;
3. after delegation to Place, the time set aside for Place outreach (mechanism 8);
4. planned care: the caseload (with the social-care tasks district nurses take on for
   patients who need a care package and have none, mechanism 10), then the waiting list;
5. proactive care for frail people at home: cut first when capacity is short.

When demand exceeds capacity the team raises its threshold: low-need patients
are discharged from the caseload and low-need referrals turned away (rationed),
mechanism 3 (001 §2-3: "it is always the prevention activity that gets reduced").
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from abm.choices import ChsContract, ChsHost
from abm.organisations import Column, Organisation
from abm.population import IS_COMMUNITY, Acuity, Setting, Support, is_in_need, is_outside_hospital
from abm.queues import serve_in_priority_order, total_by
from abm.streams import Decision
from abm.units import WEEKS_PER_YEAR
from agents.discharge import discharge_to

ROLES = ("district_nursing", "therapy", "support", "urgent_response")
UCR = ROLES.index("urgent_response")
AGE_BANDS = ("under 40", "40-49", "50-54", "55+")
OVER_50 = slice(AGE_BANDS.index("50-54"), None)


class CHSTeam(Organisation):
    """A neighbourhood CHS team of ~40,000 people in one Place, with its add-on (virtual-ward) staff.

    Its workforce and weekly numbers are its row of ``model.teams.table``.
    """

    population = Column("people registered with its practices (alive), counted weekly", dtype=np.int64)
    establishment = Column("funded core FTE by role", width=len(ROLES))
    in_post = Column("core staff in post, FTE by role", width=len(ROLES))
    age_mix = Column(
        "share of core staff in post by age band (under 40, 40-49, 50-54, 55+); the same in every role",
        width=len(AGE_BANDS),
    )
    over_50 = Column("core staff in post aged 50 and over (FTE): those who could retire within ten years")
    retirements = Column("core staff retiring this week (FTE)")
    agency = Column("bank and agency staff covering vacant core posts this week (FTE), paid from the posts' money")
    addon_establishment = Column("funded add-on (virtual-ward) FTE")
    addon_in_post = Column("add-on staff in post (FTE)")
    integrated_share = Column("share of the team's practices in integrated neighbourhood teams")
    load = Column("demand / capacity last week (>1 is unsafe); proactive care is not demand", initial=1.0)
    demand = Column("core contacts asked for last week (discharge support, caseload, waiting list)")
    capacity = Column("core contacts this week (all roles but UCR) from the team's own staff")
    ucr_capacity = Column("urgent-response contacts this week from the team's own staff")
    available = Column("core contacts available after sharing in a provider collaborative")
    ucr_available = Column("urgent-response contacts available after sharing")
    contacts = Column("all contacts this week (core, UCR and virtual ward)")
    core_contacts = Column("core contacts this week")
    ucr_contacts = Column("urgent-response contacts this week")
    vacancies = Column("funded posts empty after this week's recruitment and attrition, core and add-on (FTE)")
    proactive = Column("people on proactive care this week", dtype=np.int64)
    productivity = Column(
        "the team's own contacts per FTE relative to the ICS's average (its ways of working; drawn once, 004 §4)",
        initial=1.0,
    )
    core_fte = Column("core staff working this week (in post and bank or agency, all roles but UCR), FTE")
    contacts_per_fte = Column("core contacts this week per core FTE working (004 §4's contacts per WTE)")
    recovered = Column("people whose need resolved on the caseload this week (counted as they leave it)")
    kept = Column("people kept on the caseload who no longer need it (004 §4), at the end of this week")

    def __init__(self, model, table, index: int, place: int):
        super().__init__(model, table, index)
        self.place = place

    @property
    def virtual_ward_places(self) -> float:
        """Virtual-ward places the add-on staff in post can run."""
        return float(virtual_ward_places(self.model)[self.index])

    def fund(self, funding_ratio: float, addon_ratio: float, start: bool = False) -> None:
        """Funded establishments: core from the core CHS budget, add-on staff from the add-on budget.

        004 §3: ~250,000 CHS staff; establishment per head scales with funding
        (funding_ratio = the capacity this year's core money buys / baseline).  Add-on
        staff are funded to run ``virtual_ward_beds_per_100k`` places at baseline.
        Staff move to and from add-on posts week by week (:meth:`update_workforce`).
        """
        p, population = self.model.params.chs, self.population
        fte = p.clinical_fte_per_1000 * population / 1000 * funding_ratio
        self.establishment = fte * np.asarray(p.role_mix, dtype=np.float64) / np.sum(p.role_mix)
        places = p.virtual_ward_beds_per_100k * population / 100_000 * addon_ratio
        self.addon_establishment = places * p.contacts_virtual_ward / p.contacts_per_fte_week
        if start:
            self.in_post = self.establishment * (1 - p.vacancy_rate_start)
            self.addon_in_post = self.addon_establishment * (1 - p.vacancy_rate_start)
            self.age_mix = np.asarray(p.staff_age_mix_start, dtype=np.float64) / np.sum(p.staff_age_mix_start)

    @staticmethod
    def update_workforce(model) -> None:
        """Recruit into vacancies, lose staff to attrition and retirement, cover part of the gap (weekly, every team).

        Newly trained staff fill vacancies first: their number follows training places after the
        training lag (004 §3: training commissions were falling while a third of staff neared
        retirement).  The wider labour market fills a share of the vacancies left a year, but no
        more than it supplies (mechanism 11: CHS cannot expand quickly even when funded); core and
        add-on posts compete for both.  Staff leave for other reasons at a rate that rises with
        load above safe, up to a cap (mechanism 3; :func:`attrition_factor`), and retire by age
        (:func:`age_and_leave`).  Bank and agency staff cover part of the vacant core posts
        (:func:`agency_cover`).  Over-establishment (after a cut) is shed through leaving only.
        Add-on posts can instead be filled at once by staff taken from core CHS
        (``addon_staffing: redeploy``, mechanism 5); add-on staff whose money ends move
        into core vacancies where there are any, and leave otherwise.
        """
        p, levers, w = model.params.chs, model.levers, model.teams.table
        CHSTeam.redeploy_or_release_addon_staff(model)
        core_gap = np.maximum(w.establishment - w.in_post, 0)
        addon_gap = np.maximum(w.addon_establishment - w.addon_in_post, 0.0)
        gap = core_gap.sum(axis=1) + addon_gap
        fill = recruits(model, gap) / np.maximum(gap, 1e-9)  # share of every vacancy filled this week
        hired = core_gap * fill[:, None]
        other_rate = p.attrition_per_year * levers.attrition_multiplier * attrition_factor(w.load, p)
        staff = w.in_post.sum(axis=1)
        by_age, left, w.retirements = age_and_leave(staff[:, None] * w.age_mix, other_rate, p)
        by_age += hired.sum(axis=1)[:, None] * (np.asarray(p.recruit_age_mix) / np.sum(p.recruit_age_mix))[None, :]
        kept = 1 - left / np.maximum(staff, 1e-9)  # every role loses the same share (one age mix per team)
        w.in_post = w.in_post * kept[:, None] + hired
        total = by_age.sum(axis=1, keepdims=True)
        w.age_mix = np.where(total > 0, by_age / np.maximum(total, 1e-12), w.age_mix)
        w.over_50 = by_age[:, OVER_50].sum(axis=1)
        safe_rate = p.attrition_per_year * levers.attrition_multiplier + w.age_mix @ np.asarray(p.retirement_per_year)
        w.addon_in_post += addon_gap * fill - w.addon_in_post * -np.expm1(-safe_rate / WEEKS_PER_YEAR)
        core_vacant = np.maximum(w.establishment - w.in_post, 0)
        pool = p.agency_pool_fte_per_1000 * levers.recruitment_multiplier * w.population / 1000
        agency = agency_cover(core_vacant, pool, p)
        w.agency = agency.sum(axis=1)
        productivity = p.contacts_per_fte_week * w.productivity * (1 + p.integration_productivity * w.integrated_share)
        fte = w.in_post + agency
        w.ucr_capacity = fte[:, UCR] * productivity
        fte[:, UCR] = 0
        w.core_fte = fte.sum(axis=1)
        w.capacity = w.core_fte * productivity
        w.vacancies = core_vacant.sum(axis=1) + np.maximum(w.addon_establishment - w.addon_in_post, 0.0)

    @staticmethod
    def draw_productivity(model) -> None:
        """Each team's own contacts per FTE, relative to the ICS's average: drawn once, when the ICS is built.

        004 §4 (Jones and Russell 2007): among 22 district nursing teams, contacts per WTE varied
        fourfold, "a variation that could not be explained by differences in case mix"; the reasons
        given are how caseloads are managed (some teams review and discharge, others keep people on
        the caseload who no longer need it), recording, travel and skill mix.  The model does not
        separate these: a team's multiplier is log-normal with ``productivity_spread`` (the shape is
        an assumption; the spread is sized to the fourfold range) and independent of its case mix.
        The variation is between the teams of a Place (assumption: one provider's teams, as in the
        study): each Place's multipliers are scaled so that their population-weighted average is 1,
        the calibrated ``contacts_per_fte_week`` (a national average), so a Place of one team has no
        variation and no Place's average is moved by chance.  A less productive team has less
        capacity from the same staff, so more of its caseload waits, is rationed out, or goes without
        proactive care (:func:`run_services`); its load, and so its attrition, is higher.
        """
        w, spread = model.teams.table, model.params.chs.productivity_spread
        u = model.streams.uniform(Decision.CHS_TEAM_PRODUCTIVITY, np.arange(w.rows), week=-1)
        raw = np.exp(spread * ndtri(np.clip(u, 1e-12, 1 - 1e-12)))
        weight = np.maximum(w.population.astype(np.float64), 1.0)
        place = model.topology.team_place
        average = np.bincount(place, weight * raw) / np.bincount(place, weight)
        w.productivity = raw / average[place]

    @staticmethod
    def redeploy_or_release_addon_staff(model) -> None:
        """Redeploy core staff into empty add-on posts, or move add-on staff whose money ended into core vacancies
        (every team at once)."""
        w = model.teams.table
        gap = w.addon_establishment - w.addon_in_post
        if model.levers.addon_staffing == "redeploy" and (gap > 0).any():
            short = gap > 0
            core = w.in_post.copy()
            core[:, UCR] = 0
            moved = np.minimum(gap, 0.5 * core.sum(axis=1))  # never more than half the core team
            redeployed = w.in_post - core * (moved / np.maximum(core.sum(axis=1), 1e-9))[:, None]
            w.in_post[short] = redeployed[short]
            w.addon_in_post[short] += moved[short]
        over = gap < 0
        if over.any():
            room = np.maximum(w.establishment - w.in_post, 0)
            released = w.in_post + room * np.minimum(-gap / np.maximum(room.sum(axis=1), 1e-9), 1.0)[:, None]
            w.in_post[over] = released[over]
            w.addon_in_post[over] += gap[over]


def recruits(model, gap: np.ndarray) -> np.ndarray:
    """FTE recruited this week per team: newly trained staff first, then the wider labour market.

    The trained inflow is ``newly_qualified_fte_per_1000_year`` x the training places of
    ``training_lag_years`` ago (004 §3); the wider market fills ``recruitment_per_year`` of the
    vacancies left a year, no more than ``labour_supply_fte_per_1000_year`` (mechanism 11); a
    recruitment drive (``recruitment_multiplier``) scales the wider market, not the trained inflow.
    """
    p, levers, w = model.params.chs, model.levers, model.teams.table
    per_week = w.population / 1000 / WEEKS_PER_YEAR
    training = model.lever_value_weeks_ago("training_places_multiplier", p.training_lag_years * WEEKS_PER_YEAR)
    trained = np.minimum(p.newly_qualified_fte_per_1000_year * training * per_week, gap)
    drive = levers.recruitment_multiplier
    wanted = (gap - trained) * -np.expm1(-p.recruitment_per_year * drive / WEEKS_PER_YEAR)
    return trained + np.minimum(wanted, p.labour_supply_fte_per_1000_year * drive * per_week)


def attrition_factor(load: np.ndarray, p) -> np.ndarray:
    """How many times the safe rate staff leave (other than retiring): rising with load above safe, capped.

    Mechanism 3 (001 §2-3): unsafe caseloads drive staff out (``unsafe_attrition_slope`` per
    unit of load above 1); the rise saturates at ``unsafe_attrition_max_rise`` (assumption:
    those most ready to go leave first), so the spiral has a floor.
    """
    return 1 + np.minimum(p.unsafe_attrition_slope * np.maximum(load - 1.0, 0.0), p.unsafe_attrition_max_rise)


def age_and_leave(by_age: np.ndarray, other_rate: np.ndarray, p) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One week of leaving, retiring and ageing of staff by age band (teams x bands, FTE).

    Staff in every band leave at ``other_rate`` (per year, per team) and retire at their band's
    ``retirement_per_year``; those who stay age into the next band at 1 / ``age_band_years``
    a year (004 §3: a third of staff over 50 could retire within ten years, so an older
    workforce brings a retirement wave).  Returns the staff by band after the week, and the
    FTE who left (all reasons) and who retired, per team.
    """
    retire = np.asarray(p.retirement_per_year, dtype=np.float64)[None, :]
    rate = other_rate[:, None] + retire
    leaving = by_age * -np.expm1(-rate / WEEKS_PER_YEAR)
    retired = (leaving * retire / np.maximum(rate, 1e-12)).sum(axis=1)
    stay = by_age - leaving
    ageing_rate = np.append(1 / np.asarray(p.age_band_years, dtype=np.float64), 0.0)  # the oldest band is open
    ageing = stay * -np.expm1(-ageing_rate / WEEKS_PER_YEAR)[None, :]
    stay -= ageing
    stay[:, 1:] += ageing[:, :-1]
    return stay, leaving.sum(axis=1), retired


def agency_cover(core_vacant: np.ndarray, pool: np.ndarray, p) -> np.ndarray:
    """Bank and agency FTE covering vacant core posts (teams x roles): part of the gap, at a premium, from a pool.

    Mechanism 11: teams that cannot recruit backfill.  ``agency_backfill_share`` of the vacant
    posts are covered; their money pays, and an agency FTE costs ``agency_cost_ratio`` times a
    substantive one, so each covered post buys 1 / ratio FTE (assumption).  No team gets more
    than its ``pool`` of bank and agency staff (FTE), drawn from the same labour market as
    recruits.  The commissioner's money is unchanged: the cost shows as capacity lost.
    """
    wanted = core_vacant * p.agency_backfill_share / p.agency_cost_ratio
    scale = np.minimum(1.0, pool / np.maximum(wanted.sum(axis=1), 1e-12))
    return wanted * scale[:, None]


def virtual_ward_places(model) -> np.ndarray:
    """Virtual-ward places the add-on staff in post can run, per team."""
    p = model.params.chs
    return model.teams.table.addon_in_post * p.contacts_per_fte_week / max(p.contacts_virtual_ward, 1e-9)


def run_services(model) -> None:
    """All teams' service lines for one week, in priority order (see module docstring).

    In a provider collaborative part of each team's capacity is pooled across the ICS
    and shared by last week's demand (DESIGN 4).  Virtual-ward patients of practices not
    in an integrated team also take core visits (mechanism 17: parallel teams duplicate
    visits).  Under an outcome contract a share of core capacity is kept for proactive
    care (prevention is protected rather than cut first).
    """
    teams, p, w = model.teams, model.params.chs, model.teams.table
    capacity = shared_capacity(model, w.capacity.copy())
    ucr_left = shared_capacity(model, w.ucr_capacity.copy())
    demand = np.zeros(len(teams))
    duplicate = duplicate_visits(model)
    demand += duplicate
    used = np.minimum(duplicate, capacity)
    left = capacity - used

    used_discharge = discharge_support(model, left, demand)
    left -= used_discharge
    used += used_discharge
    ucr_used = urgent_response(model, ucr_left)
    team_place = model.topology.team_place
    outcome = (model.place_lever("chs_contract") == ChsContract.OUTCOME)[team_place]
    reserve = left * np.where(outcome, p.outcome_proactive_reserve, 0.0)
    used_outreach = place_outreach(model, left)
    left -= used_outreach
    used += used_outreach
    used_planned = planned_care(model, left - reserve, demand)
    left -= used_planned
    used += used_planned
    used_proactive = proactive_care(model, left, np.zeros(len(teams)))  # discretionary: not part of the team's load
    left -= used_proactive
    used += used_proactive
    used += keep_on_caseload(model, left)  # what is left after that: visits nobody needs
    vw_contacts = virtual_ward_contacts(model)

    w.available, w.ucr_available = capacity, ucr_left
    w.core_contacts, w.ucr_contacts, w.demand = used, ucr_used, demand
    w.contacts_per_fte = used / np.maximum(w.core_fte, 1e-9)
    w.load = demand / np.maximum(capacity, 1e-9)
    w.contacts = used + ucr_used + vw_contacts
    model.events.add_amounts("chs_contacts", team_place, used + ucr_used + vw_contacts)
    model.commissioner.record_chs_demand(model.topology.team_sum_by_place(demand))


def shared_capacity(model, capacity: np.ndarray) -> np.ndarray:
    """In a provider collaborative, pool a share of capacity across its teams in proportion to last week's demand."""
    members = (model.place_lever("chs_host") == ChsHost.COLLABORATIVE)[model.topology.team_place]
    share = model.params.chs.collaborative_staff_sharing * members
    if not share.any():
        return capacity
    demand = model.teams.table.demand * members
    pooled = (share * capacity).sum()
    weights = demand / demand.sum() if demand.sum() > 0 else members / members.sum()
    return (1 - share) * capacity + pooled * weights


def duplicate_visits(model) -> np.ndarray:
    """Core contacts taken by duplicate visits to virtual-ward patients of non-integrated practices (mechanism 17)."""
    pop = model.pop
    ward = pop.in_setting(Setting.VIRTUAL_WARD)
    separate = ward[~model.practices.table.integrated[pop.practice[ward]]]
    return np.bincount(pop.team[separate], minlength=len(model.teams)) * model.params.chs.addon_duplicate_contacts


def free_virtual_ward_places(model) -> np.ndarray:
    """Virtual-ward places free this week, per team."""
    pop = model.pop
    occupied = np.bincount(pop.team[pop.in_setting(Setting.VIRTUAL_WARD)], minlength=len(model.teams))
    return np.maximum(np.floor(virtual_ward_places(model)) - occupied, 0)


def discharge_support(model, capacity: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """First call on capacity: take medically fit inpatients who need CHS onto the caseload.

    Inside an acute trust, discharge links are better: referrals are set up faster (DESIGN 4).
    A team over capacity last week assesses more slowly (in proportion to its load;
    mechanism 3, assumption).
    """
    pop, p = model.pop, model.params.chs
    waiting = pop.in_setting(Setting.DELAYED_DISCHARGE)
    waiting = waiting[pop.support_needed[waiting] == Support.CHS.value]
    hosted = (model.place_lever("chs_host") == ChsHost.ACUTE)[pop.place[waiting]]
    stretched = np.maximum(model.teams.table.load, 1.0)[pop.team[waiting]]
    start = np.minimum(
        p.discharge_start_weekly * np.where(hosted, p.acute_host_discharge_multiplier, 1.0) / stretched, 1.0
    )
    # referral and assessment done
    waiting = waiting[model.streams.uniform(Decision.CHS_DISCHARGE_START, waiting) < start]
    team = pop.team[waiting]
    cost = np.full(waiting.size, p.contacts_discharge_start)
    demand += total_by(team, cost, len(capacity))
    taken = waiting[
        serve_in_priority_order(
            team,
            None,
            pop.weeks_in_setting[waiting],
            capacity,
            model.streams.tiebreak(Decision.CHS_DISCHARGE_QUEUE, waiting),
            cost,
        )
    ]
    discharge_to(model, taken, Setting.CHS_CASELOAD)
    model.events.add("chs_referrals", pop.place[taken])
    return np.bincount(pop.team[taken], minlength=len(capacity)) * p.contacts_discharge_start


def urgent_response(model, ucr_capacity: np.ndarray) -> np.ndarray:
    """2-hour urgent community response to crises outside hospital; the rest go to ED.

    The frailest responded crises get a virtual-ward place where the team has one and
    are managed there with probability ``virtual_ward_avert``; the others are managed
    at home on the caseload with probability ``urgent_response_avert`` (mechanism 18:
    real but modest); everyone else in crisis attends ED.
    """
    pop, p, streams = model.pop, model.params.chs, model.streams
    setting = pop.setting
    crisis = ((pop.acuity == Acuity.CRISIS.value) & is_outside_hospital(setting)).nonzero()[0]
    on_ward = crisis[pop.setting[crisis] == Setting.VIRTUAL_WARD.value]
    community = crisis[IS_COMMUNITY[pop.setting[crisis]]]
    team = pop.team[community]
    cost = np.full(community.size, p.contacts_urgent_response)
    responded_mask = serve_in_priority_order(
        team, pop.frailty[community], None, ucr_capacity, streams.tiebreak(Decision.UCR_QUEUE, community), cost
    )
    responded_at = responded_mask.nonzero()[0]  # positions in community
    responded = community[responded_at]
    model.events.add("ucr_responses", pop.place[responded])
    # the frailest responded crises get a virtual-ward place where the team has one (step-up)
    ward_mask = serve_in_priority_order(
        pop.team[responded],
        pop.frailty[responded],
        None,
        free_virtual_ward_places(model),
        streams.tiebreak(Decision.VIRTUAL_WARD_QUEUE, responded),
    )
    to_ward_at, at_home_at = responded_at[ward_mask], responded_at[~ward_mask]
    to_ward_at = to_ward_at[streams.uniform(Decision.VIRTUAL_WARD_AVERT, community[to_ward_at]) < p.virtual_ward_avert]
    at_home_at = at_home_at[
        streams.uniform(Decision.URGENT_RESPONSE_AVERT, community[at_home_at]) < p.urgent_response_avert
    ]
    to_ward, at_home = community[to_ward_at], community[at_home_at]
    averted = np.concatenate([to_ward, at_home])
    pop.assign("acuity", averted, Acuity.HIGH)
    pop.move(to_ward, Setting.VIRTUAL_WARD)
    pop.move(at_home, Setting.CHS_CASELOAD)

    # crises on a virtual ward fail to hospital; unresponded and unaverted crises attend ED
    ward_failures = np.concatenate([on_ward, virtual_ward_flow(model)])
    not_averted = np.ones(community.size, dtype=bool)
    not_averted[to_ward_at] = False
    not_averted[at_home_at] = False
    to_ed = np.concatenate([community[not_averted], ward_failures])
    pop.move(to_ed, Setting.ED)
    return np.bincount(pop.team[responded], minlength=len(model.teams)) * p.contacts_urgent_response


def virtual_ward_flow(model) -> np.ndarray:
    """Virtual-ward stays are short: patients step down to the caseload, and some need admission anyway.

    Those whose need has fallen, and each week a share ``virtual_ward_step_down_weekly``
    of the rest, step down with low need; of those still on the ward with high need,
    ``virtual_ward_admit_weekly`` are admitted.  Returns those to be admitted (assumptions).
    """
    pop, p = model.pop, model.params.chs
    ward = pop.in_setting(Setting.VIRTUAL_WARD)
    ward = ward[pop.acuity[ward] <= Acuity.HIGH.value]  # crises are sent to ED separately
    if ward.size == 0:
        return ward  # (no draws are skipped: there would be none)
    u = model.streams.uniform(Decision.VIRTUAL_WARD_FLOW, ward)
    step_down = ward[(pop.acuity[ward] <= Acuity.LOW.value) | (u < p.virtual_ward_step_down_weekly)]
    pop.assign("acuity", step_down, np.minimum(pop.acuity[step_down], Acuity.LOW))
    pop.move(step_down, Setting.CHS_CASELOAD)
    stay = (pop.acuity[ward] == Acuity.HIGH.value) & (u >= p.virtual_ward_step_down_weekly)
    return ward[stay & (u < p.virtual_ward_step_down_weekly + p.virtual_ward_admit_weekly)]


def virtual_ward_contacts(model) -> np.ndarray:
    """Contacts delivered by add-on virtual-ward staff (funded separately from core capacity)."""
    pop = model.pop
    ward = pop.in_setting(Setting.VIRTUAL_WARD)
    return np.bincount(pop.team[ward], minlength=len(model.teams)) * model.params.chs.contacts_virtual_ward


def caseload_intensity(acuity: np.ndarray, p) -> np.ndarray:
    return np.where(acuity >= Acuity.HIGH.value, p.contacts_high, p.contacts_low)


def social_care_tasks(model, idx: np.ndarray) -> np.ndarray:
    """Contacts a week district nurses spend on personal and social-care tasks for these patients (mechanism 10).

    001 §2: some district nursing services "are undertaking work that was previously done by
    social care workers because of cuts to local authority funding of social care".  A patient
    who needs a care package (frailty at least ``social_care_need_frailty``) and has none, because
    the council's packages are short or still to start, takes ``social_care_task_contacts`` more
    a week from the team.  The size follows 001 §2's patient story, where the task is daily
    medication prompting that the district nursing team asks the council's carers to do: a team
    that does it itself visits every day (the time a visit takes, and the frailty threshold, are
    assumptions).  They are the team's own capacity, so they displace its other work: proactive
    care first, then the caseload and the waiting list.
    """
    pop, p = model.pop, model.params.chs
    without_package = (pop.frailty[idx] >= p.social_care_need_frailty) & ~pop.social_care[idx]
    return without_package * p.social_care_task_contacts


def visit_need(model, idx: np.ndarray) -> np.ndarray:
    """Contacts a week these caseload (or waiting) patients need: clinical visits by need, plus social-care tasks."""
    return caseload_intensity(model.pop.acuity[idx], model.params.chs) + social_care_tasks(model, idx)


def planned_care(model, capacity: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """The caseload's visits, then admissions from the waiting list, within capacity.

    If the caseload alone needs more than the capacity left, the threshold rises:
    low-need patients are discharged from the caseload (rationed out), longest on
    the caseload first.  While the team is over capacity, low-need referrals on
    the waiting list are turned away each week with probability ``rationing_weekly``.
    """
    pop, p, streams = model.pop, model.params.chs, model.streams
    n_teams = len(capacity)
    caseload = pop.in_setting(Setting.CHS_CASELOAD)
    need = visit_need(model, caseload)
    team = pop.team[caseload]
    demand += total_by(team, need, n_teams)
    # keep high need first, then those newest to the caseload, within capacity
    kept_mask = serve_in_priority_order(
        team,
        pop.acuity[caseload],
        -pop.weeks_in_setting[caseload].astype(np.int64),
        capacity,
        streams.tiebreak(Decision.CHS_CASELOAD_QUEUE, caseload),
        need,
    )
    ration_out = caseload[~kept_mask]  # sent home with the turned away, below
    used = total_by(team[kept_mask], need[kept_mask], n_teams)
    kept = caseload[kept_mask]
    model.events.add_amounts("chs_social_care_contacts", pop.place[kept], social_care_tasks(model, kept))

    waiting = pop.in_setting(Setting.WAITING_CHS)
    waiting = waiting[pop.acuity[waiting] < Acuity.CRISIS.value]
    wteam = pop.team[waiting]
    wneed = visit_need(model, waiting)
    demand += total_by(wteam, wneed, n_teams)
    admitted_mask = serve_in_priority_order(
        wteam,
        pop.acuity[waiting],
        pop.weeks_in_setting[waiting],
        capacity - used,
        streams.tiebreak(Decision.CHS_WAITING_QUEUE, waiting),
        wneed,
    )
    admitted = waiting[admitted_mask]
    pop.move(admitted, Setting.CHS_CASELOAD)
    used += total_by(wteam[admitted_mask], wneed[admitted_mask], n_teams)
    model.events.add_amounts("chs_social_care_contacts", pop.place[admitted], social_care_tasks(model, admitted))

    over = demand > capacity
    still = waiting[~admitted_mask]
    low = still[(pop.acuity[still] == Acuity.LOW.value) & over[pop.team[still]]]
    turned_away = low[streams.uniform(Decision.CHS_RATIONING, low) < p.rationing_weekly]
    rationed = np.concatenate([ration_out, turned_away])  # disjoint: the caseload and the waiting list
    pop.assign("rationed", rationed, True)
    pop.move(rationed, Setting.HOME)
    model.events.add("chs_rationed", pop.place[rationed])
    return used


def proactive_care(model, capacity: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Proactive care for frail people at home with what capacity is left; cut first.

    Current proactive patients keep their place while capacity allows; when it
    does not, places are withdrawn at random.  Spare capacity enrols the frailest
    people at home not yet on proactive care (case-finding; assumption); once Place
    teams act on local data, deprived people are found first (mechanism 8).  People on
    proactive care whose need is not yet taken to a GP are prompted to seek care
    (``case_finding_weekly``: population health management finds hidden need, 001 §4).
    """
    pop, p, streams = model.pop, model.params.chs, model.streams
    n_teams = len(capacity)
    at_home = pop.setting == Setting.HOME.value  # nobody moves during this rule, so the mask serves it all
    enrolled = (pop.proactive & at_home).nonzero()[0]  # paused while in services
    team = pop.team[enrolled]
    cost = np.full(enrolled.size, p.contacts_proactive)
    demand += total_by(team, cost, n_teams)
    keep = serve_in_priority_order(
        team, None, None, np.maximum(capacity, 0), streams.tiebreak(Decision.PROACTIVE_KEEP_QUEUE, enrolled), cost
    )
    pop.assign("proactive", enrolled[~keep], False)
    find_hidden_need(model, enrolled[keep])
    on_proactive_care = np.bincount(team[keep], minlength=n_teams)
    used = on_proactive_care * p.contacts_proactive

    spare_places = np.floor(np.maximum(capacity - used, 0) / max(p.contacts_proactive, 1e-9))
    if spare_places.sum() >= 1:
        candidates = ((pop.frailty >= p.proactive_min_frailty) & at_home & ~pop.proactive).nonzero()[0]
        chosen = candidates[
            serve_in_priority_order(
                pop.team[candidates],
                proactive_priority(model, candidates),
                None,
                spare_places,
                streams.tiebreak(Decision.PROACTIVE_ENROL_QUEUE, candidates),
            )
        ]
        pop.assign("proactive", chosen, True)
        used += np.bincount(pop.team[chosen], minlength=n_teams) * p.contacts_proactive
        on_proactive_care += np.bincount(pop.team[chosen], minlength=n_teams)
    model.teams.table.proactive = on_proactive_care
    return used


def note_recovered(model, team: np.ndarray) -> None:
    """People whose need resolved while on a caseload (one entry per person: their team) leave it this week."""
    model.teams.table.recovered += np.bincount(team, minlength=len(model.teams))


def keep_on_caseload(model, capacity: np.ndarray) -> np.ndarray:
    """Time left after all the care people need is not idle: the team keeps visiting people who no longer need it.

    004 §4: "some community teams set target timeframes for interventions and systematically review their
    clients ..., others do not, with the result that staff continue to have people on their caseload when they
    no longer need to be" (Audit Commission 1999), one of the reasons it gives for the fourfold variation in
    contacts per WTE.  A team that is short of time reviews its caseload because it must; one with time left
    does not: people whose need resolved on its caseload this week (:func:`note_recovered`) stay on its books,
    visited ``contacts_kept`` a week, until a review discharges them (``kept_review_weekly``) or the time runs
    out (the team's capacity left, after proactive care, bounds how many it keeps).  They are already home and
    well, so the visits change nothing for them: their contacts count in the team's contacts per FTE and in
    ``chs_contacts``, and appear on their own as ``chs_kept_contacts``.  The people are a count for the team (a
    stock that flows in, is reviewed out and is cut to the time available), not a setting of each person:
    nothing about them is decided (the sizes are assumptions; see the parameters)."""
    w, p = model.teams.table, model.params.chs
    stock = w.kept * (1 - p.kept_review_weekly) + w.recovered
    room = np.maximum(capacity, 0.0) / p.contacts_kept if p.contacts_kept > 0 else np.zeros_like(stock)
    w.kept = np.minimum(stock, room)
    w.recovered = np.zeros_like(stock)
    contacts = w.kept * p.contacts_kept
    model.events.add_amounts("chs_kept_contacts", model.topology.team_place, contacts)
    return contacts


def proactive_priority(model, idx: np.ndarray) -> np.ndarray:
    """Who is offered proactive care first: the frailest, and, where Place teams act on local data, the most deprived.

    Mechanism 8 (000 Results: population-health data used for "risk stratification to determine
    priorities"): the weight on deprivation grows with Place maturity and with ``data_quality``
    (much of the data "is not in a readily usable form").  It moves places, it adds none.
    """
    pop = model.pop
    targeting = (
        model.params.commissioner.place_proactive_targeting * model.commissioner.maturity * model.levers.data_quality
    )
    frailty = pop.frailty[idx]
    if targeting == 0:
        return frailty
    return frailty + targeting * (4 - pop.deprivation[idx].astype(np.float32)) / 4


def place_outreach(model, capacity: np.ndarray) -> np.ndarray:
    """Place outreach after delegation: protected CHS time visiting deprived neighbourhoods to find hidden need.

    Mechanism 8 (000 Results): Place commissioning brings fine-grained needs analysis across
    small areas, but it "must be translated into action with the corresponding financial and
    staff resources".  Once delegation's transition is over, each team sets aside
    ``place_outreach_share`` x Place maturity of its core capacity (before planned care, so with
    too few staff it displaces the caseload, the waiting list and proactive care) for visits of
    ``contacts_outreach`` to people at home, not on proactive care, in the ``outreach_quintiles``
    most deprived quintiles.  Who is visited comes from local data: a risk score that is 1 for
    hidden need (need not yet taken to a GP) plus logistic noise of scale
    (1 - ``data_quality``) / ``data_quality`` (000: much population-health data "is not in a
    readily usable form"), so with poor data most visits find no one.  A visited person with
    hidden need is prompted to seek care with probability ``case_finding_weekly`` (assumptions).
    Returns the contacts used, per team.
    """
    p, pop, streams = model.params, model.pop, model.streams
    budget = capacity * p.commissioner.place_outreach_share * model.commissioner.maturity
    visits = np.floor(np.maximum(budget, 0) / p.chs.contacts_outreach)
    if visits.sum() < 1:
        return np.zeros(len(capacity))
    candidates = (
        (pop.setting == Setting.HOME.value) & ~pop.proactive & (pop.deprivation < p.commissioner.outreach_quintiles)
    ).nonzero()[0]
    hidden = is_in_need(pop.acuity[candidates]) & ~pop.will_seek[candidates]
    quality = min(max(model.levers.data_quality, 1e-6), 1.0)
    u = np.clip(streams.uniform(Decision.OUTREACH_SCORE, candidates), 1e-12, 1 - 1e-12)
    score = hidden + (1 - quality) / quality * np.log(u / (1 - u))
    visited = candidates[
        serve_in_priority_order(
            pop.team[candidates], score, None, visits, streams.tiebreak(Decision.OUTREACH_QUEUE, candidates)
        )
    ]
    found = visited[is_in_need(pop.acuity[visited]) & ~pop.will_seek[visited]]
    pop.assign("will_seek", found[streams.uniform(Decision.OUTREACH, found) < p.chs.case_finding_weekly], True)
    return np.bincount(pop.team[visited], minlength=len(capacity)) * p.chs.contacts_outreach


def find_hidden_need(model, idx: np.ndarray) -> None:
    """Proactive contacts prompt people with unsought need to seek care (001 §4: finding people at risk)."""
    pop = model.pop
    hidden = idx[is_in_need(pop.acuity[idx]) & ~pop.will_seek[idx]]
    found = hidden[model.streams.uniform(Decision.CASE_FINDING, hidden) < model.params.chs.case_finding_weekly]
    pop.assign("will_seek", found, True)
