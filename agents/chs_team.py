"""Community health services neighbourhood teams: workforce and service lines.

Each team is a ``mesa.Agent`` with a workforce by role (funded establishment,
staff in post, vacancies), recruitment and attrition, and a weekly capacity in
patient contacts.  :func:`run_services` allocates every team's capacity across
its service lines in priority order (DESIGN 4):

1. discharge support for medically fit inpatients;
2. urgent community response (2-hour UCR) to crises at home, with virtual-ward
   places (add-on scheme) where there is room;
3. planned care: the caseload, then the waiting list;
4. proactive care for frail people at home: cut first when capacity is short.

When demand exceeds capacity the team raises its threshold: low-need patients
are discharged from the caseload and low-need referrals turned away (rationed),
mechanism 3 (001 §2-3: "it is always the prevention activity that gets reduced").
"""

from __future__ import annotations

import mesa
import numpy as np

from abm.population import COMMUNITY_SETTINGS, Acuity, Setting, Support
from abm.queues import serve_in_priority_order, total_by
from agents.acute_trust import discharge_to

ROLES = ("district_nursing", "therapy", "support", "urgent_response")
UCR = ROLES.index("urgent_response")


class CHSTeam(mesa.Agent):
    """A neighbourhood CHS team of ~40,000 people in one Place."""

    def __init__(self, model, place: int, index: int):
        super().__init__(model)
        self.place = place
        self.index = index
        self.establishment = np.zeros(len(ROLES))  # funded FTE by role
        self.in_post = np.zeros(len(ROLES))  # staff in post, FTE by role
        self.virtual_ward_places = 0.0
        self.load = 1.0  # demand / capacity last week (>1 is unsafe)
        self.capacity = 0.0  # core contacts this week (all roles but UCR)
        self.ucr_capacity = 0.0
        self.contacts = 0.0  # all contacts this week (core, UCR and virtual ward)
        self.core_contacts = 0.0
        self.ucr_contacts = 0.0

    @property
    def vacancies(self) -> float:
        return float(np.maximum(self.establishment - self.in_post, 0).sum())

    def fund(self, population: int, funding_ratio: float, addon_ratio: float, start: bool = False) -> None:
        """Funded establishment from the core CHS budget; virtual-ward places from the add-on budget.

        004 §3: ~250,000 CHS staff; establishment per head scales with funding
        (funding_ratio = this year's core budget / baseline budget).
        """
        p = self.model.params.chs
        fte = p.clinical_fte_per_1000 * population / 1000 * funding_ratio
        self.establishment = fte * np.asarray(p.role_mix, dtype=np.float64) / np.sum(p.role_mix)
        self.virtual_ward_places = p.virtual_ward_beds_per_100k * population / 100_000 * addon_ratio
        if start:
            self.in_post = self.establishment * (1 - p.vacancy_rate_start)

    def update_workforce(self) -> None:
        """Recruit into vacancies and lose staff, more when caseloads are unsafe (weekly).

        Recruitment fills a share of vacancies a year (mechanism 11: CHS cannot expand
        quickly even when funded); attrition rises with load above safe (mechanism 3).
        Over-establishment (after a cut) is shed through attrition only.
        """
        p, levers = self.model.params.chs, self.model.levers
        vacancies = np.maximum(self.establishment - self.in_post, 0)
        hires = vacancies * -np.expm1(-p.recruitment_per_year * levers.recruitment_multiplier / 52)
        unsafe = max(self.load - 1.0, 0.0)
        leave_rate = p.attrition_per_year * levers.attrition_multiplier * (1 + p.unsafe_attrition_slope * unsafe)
        leavers = self.in_post * -np.expm1(-leave_rate / 52)
        self.in_post = self.in_post + hires - leavers
        fte = self.in_post.copy()
        self.ucr_capacity = fte[UCR] * p.contacts_per_fte_week
        fte[UCR] = 0
        self.capacity = fte.sum() * p.contacts_per_fte_week


def run_services(model) -> None:
    """All teams' service lines for one week, in priority order (see module docstring)."""
    teams = model.teams
    left = np.array([t.capacity for t in teams])
    ucr_left = np.array([t.ucr_capacity for t in teams])
    demand = np.zeros(len(teams))
    used = np.zeros(len(teams))

    used_discharge = discharge_support(model, left, demand)
    left -= used_discharge
    used += used_discharge
    ucr_used = urgent_response(model, ucr_left)
    used_planned = planned_care(model, left, demand)
    left -= used_planned
    used += used_planned
    used += proactive_care(model, left, demand)
    vw_contacts = virtual_ward_contacts(model)

    capacity = np.array([t.capacity for t in teams])
    for t in teams:
        t.core_contacts = float(used[t.index])
        t.ucr_contacts = float(ucr_used[t.index])
        t.load = float(demand[t.index] / max(capacity[t.index], 1e-9))
        t.contacts = float(used[t.index] + ucr_used[t.index] + vw_contacts[t.index])
    model.events.add_amounts("chs_contacts", model.team_place, used + ucr_used + vw_contacts)


def discharge_support(model, capacity: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """First call on capacity: take medically fit inpatients who need CHS onto the caseload."""
    pop, p = model.pop, model.params.chs
    waiting = pop.in_setting(Setting.DELAYED_DISCHARGE)
    waiting = waiting[pop.support_needed[waiting] == Support.CHS]
    waiting = waiting[model.rng.random(waiting.size) < p.discharge_start_weekly]  # referral and assessment done
    team = pop.team[waiting]
    cost = np.full(waiting.size, p.contacts_discharge_start)
    demand += total_by(team, cost, len(capacity))
    taken = waiting[serve_in_priority_order(team, np.zeros(waiting.size), pop.weeks_in_setting[waiting],
                                            capacity, model.rng, cost)]
    discharge_to(model, taken, Setting.CHS_CASELOAD)
    model.events.add("chs_referrals", pop.place[taken])
    return np.bincount(pop.team[taken], minlength=len(capacity)) * p.contacts_discharge_start


def urgent_response(model, ucr_capacity: np.ndarray) -> np.ndarray:
    """2-hour urgent community response to crises outside hospital; the rest go to ED.

    A responded crisis is managed at home with probability ``urgent_response_avert``
    (mechanism 18: real but modest), on a virtual ward when the team has a place,
    else on the caseload; everyone else in crisis attends ED.
    """
    pop, p, rng = model.pop, model.params.chs, model.rng
    setting = pop.setting
    crisis = np.flatnonzero((pop.acuity == Acuity.CRISIS) & (setting <= Setting.VIRTUAL_WARD))
    on_ward = crisis[pop.setting[crisis] == Setting.VIRTUAL_WARD]
    community = crisis[np.isin(pop.setting[crisis], COMMUNITY_SETTINGS)]
    team = pop.team[community]
    cost = np.full(community.size, p.contacts_urgent_response)
    responded_mask = serve_in_priority_order(team, pop.frailty[community], np.zeros(community.size), ucr_capacity, rng, cost)
    responded = community[responded_mask]
    averted = responded[rng.random(responded.size) < p.urgent_response_avert]
    model.events.add("ucr_responses", pop.place[responded])

    vw_free = np.floor([t.virtual_ward_places for t in model.teams]) - \
        np.bincount(pop.team[pop.in_setting(Setting.VIRTUAL_WARD)], minlength=len(model.teams))
    to_ward = averted[serve_in_priority_order(pop.team[averted], pop.frailty[averted], np.zeros(averted.size),
                                              np.maximum(vw_free, 0), rng)]
    pop.assign("acuity", averted, Acuity.HIGH)
    pop.move(to_ward, Setting.VIRTUAL_WARD)
    pop.move(np.setdiff1d(averted, to_ward, assume_unique=True), Setting.CHS_CASELOAD)

    # crises on a virtual ward fail to hospital; unresponded and unaverted crises attend ED
    ward_failures = np.concatenate([on_ward, virtual_ward_flow(model)])
    to_ed = np.concatenate([np.setdiff1d(community, averted, assume_unique=True), ward_failures])
    pop.move(to_ed, Setting.ED)
    return np.bincount(pop.team[responded], minlength=len(model.teams)) * p.contacts_urgent_response


def virtual_ward_flow(model) -> np.ndarray:
    """Virtual-ward patients whose need has fallen step down to the caseload; some need admission anyway.

    Returns those to be admitted (failure rate an assumption).
    """
    pop = model.pop
    ward = pop.in_setting(Setting.VIRTUAL_WARD)
    step_down = ward[pop.acuity[ward] <= Acuity.LOW]
    pop.move(step_down, Setting.CHS_CASELOAD)
    ward = ward[pop.acuity[ward] == Acuity.HIGH]  # crises are sent to ED separately
    return ward[model.rng.random(ward.size) < model.params.chs.virtual_ward_admit_weekly]


def virtual_ward_contacts(model) -> np.ndarray:
    """Contacts delivered by add-on virtual-ward staff (funded separately from core capacity)."""
    pop = model.pop
    ward = pop.in_setting(Setting.VIRTUAL_WARD)
    return np.bincount(pop.team[ward], minlength=len(model.teams)) * model.params.chs.contacts_virtual_ward


def caseload_intensity(acuity: np.ndarray, p) -> np.ndarray:
    return np.where(acuity >= Acuity.HIGH, p.contacts_high, p.contacts_low)


def planned_care(model, capacity: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """The caseload's visits, then admissions from the waiting list, within capacity.

    If the caseload alone needs more than the capacity left, the threshold rises:
    low-need patients are discharged from the caseload (rationed out), longest on
    the caseload first.  While the team is over capacity, low-need referrals on
    the waiting list are turned away each week with probability ``rationing_weekly``.
    """
    pop, p, rng = model.pop, model.params.chs, model.rng
    n_teams = len(capacity)
    caseload = pop.in_setting(Setting.CHS_CASELOAD)
    need = caseload_intensity(pop.acuity[caseload], p)
    team = pop.team[caseload]
    demand += total_by(team, need, n_teams)
    # keep high need first, then those newest to the caseload, within capacity
    kept_mask = serve_in_priority_order(team, pop.acuity[caseload], -pop.weeks_in_setting[caseload].astype(np.int64),
                                        capacity, rng, need)
    ration_out = caseload[~kept_mask]
    pop.assign("rationed", ration_out, True)
    pop.move(ration_out, Setting.HOME)
    used = total_by(team[kept_mask], need[kept_mask], n_teams)

    waiting = pop.in_setting(Setting.WAITING_CHS)
    waiting = waiting[pop.acuity[waiting] < Acuity.CRISIS]
    wteam = pop.team[waiting]
    wneed = caseload_intensity(pop.acuity[waiting], p)
    demand += total_by(wteam, wneed, n_teams)
    admitted_mask = serve_in_priority_order(wteam, pop.acuity[waiting], pop.weeks_in_setting[waiting],
                                            capacity - used, rng, wneed)
    pop.move(waiting[admitted_mask], Setting.CHS_CASELOAD)
    used += total_by(wteam[admitted_mask], wneed[admitted_mask], n_teams)

    over = demand > capacity
    still = waiting[~admitted_mask]
    low = still[(pop.acuity[still] == Acuity.LOW) & over[pop.team[still]]]
    turned_away = low[rng.random(low.size) < p.rationing_weekly]
    pop.assign("rationed", turned_away, True)
    pop.move(turned_away, Setting.HOME)
    model.events.add("chs_rationed", pop.place[np.concatenate([ration_out, turned_away])])
    return used


def proactive_care(model, capacity: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Proactive care for frail people at home with what capacity is left; cut first.

    Current proactive patients keep their place while capacity allows; when it
    does not, places are withdrawn at random.  Spare capacity enrols the frailest
    people at home not yet on proactive care (case-finding; assumption).
    """
    pop, p, rng = model.pop, model.params.chs, model.rng
    n_teams = len(capacity)
    enrolled = np.flatnonzero(pop.proactive & (pop.setting == Setting.HOME))  # paused while in services
    team = pop.team[enrolled]
    cost = np.full(enrolled.size, p.contacts_proactive)
    demand += total_by(team, cost, n_teams)
    keep = serve_in_priority_order(team, np.zeros(enrolled.size), np.zeros(enrolled.size), np.maximum(capacity, 0), rng, cost)
    pop.assign("proactive", enrolled[~keep], False)
    model.place_counts["proactive"] = np.bincount(pop.place[enrolled[keep]], minlength=len(model.councils)).astype(float)
    used = np.bincount(team[keep], minlength=n_teams) * p.contacts_proactive

    spare_places = np.floor(np.maximum(capacity - used, 0) / max(p.contacts_proactive, 1e-9))
    if spare_places.sum() >= 1:
        candidates = np.flatnonzero((pop.frailty >= p.proactive_min_frailty) & (pop.setting == Setting.HOME) & ~pop.proactive)
        chosen = candidates[serve_in_priority_order(pop.team[candidates], pop.frailty[candidates],
                                                    np.zeros(candidates.size), spare_places, rng)]
        pop.assign("proactive", chosen, True)
        used += np.bincount(pop.team[chosen], minlength=n_teams) * p.contacts_proactive
        model.place_counts["proactive"] += np.bincount(pop.place[chosen], minlength=len(model.councils))
    return used
