"""Acute trusts: ED, admission, beds, length of stay, discharge, electives and finances.

Each trust is an :class:`~abm.organisations.Organisation` (its row of ``model.trusts.table``)
serving one or more Places.  Capacity is counted in bed-days: a week offers
``beds x 7``; patients already in beds and those
medically fit but waiting for support (delayed discharges) use theirs first, then
emergency patients who have waited in ED since an earlier week, then the elective list
the trust booked ahead from its forecast of emergency demand (cut back when the hospital
is already above the flow threshold, ~92%), then this week's emergency admissions in
priority order.  Emergency patients who cannot get a bed wait in ED (corridor care) and
are first in line next week.
"""

from __future__ import annotations

import numpy as np

from abm.choices import AcutePayment
from abm.organisations import Column, Organisation
from abm.population import AGE_BAND_TABLE, Acuity, Setting, Support
from abm.queues import serve_in_priority_order, total_by
from abm.streams import Decision, gamma_quantile
from abm.units import DAYS_PER_WEEK, WEEKS_PER_YEAR
from agents.chs_team import free_virtual_ward_places
from agents.discharge import discharge_to


def weekly_share(per_year: float) -> float:
    """The share of a gap closed each week when ``per_year`` of it is closed in a year."""
    return 1.0 - (1.0 - per_year) ** (1.0 / WEEKS_PER_YEAR)


class AcuteTrust(Organisation):
    """An acute hospital trust with general and acute beds and an emergency department.

    Its numbers are its row of ``model.trusts.table``; ``places`` are the Places it serves.
    """

    population = Column("people registered in the Places it serves (alive), counted weekly", dtype=np.int64)
    beds = Column("general and acute beds open this week (the planned beds, times the beds lever)")
    funded_beds = Column("beds the commissioner's acute money pays for this year")
    planned_beds = Column("beds the trust plans to open: moving towards the funded beds as wards open or close")
    occupancy = Column("share of bed-days used last week")
    inpatient_bed_days = Column("bed-days used this week by patients already in a bed")
    bed_days_used = Column("bed-days used this week (inpatients, delayed discharges, admissions, electives)")
    electives_cancelled_bed_days = Column("planned bed-days not run this week for want of room")
    emergency_forecast = Column("bed-days the trust expects emergencies (inpatients, delays, admissions) to use")
    emergency_room_bed_days = Column("bed-days free for emergencies this week")
    emergency_bed_days = Column("bed-days given to this week's emergency admissions")
    income = Column("income this financial year, £")
    cost = Column("cost this financial year, £")
    weekly_payment = Column("the commissioner's payment this week, £")
    occupancy_sum = Column("weekly occupancy added up this financial year, for the mean")
    weeks_accounted = Column("weeks accounted this financial year", dtype=np.int64)
    last_year_pressure = Column("last financial year's pressure signal, which the commissioner reads")

    def __init__(self, model, table, index: int, places: np.ndarray):
        super().__init__(model, table, index)
        self.places = places  # the Places it serves (an index array)
        self.occupancy = model.params.acute.initial_occupancy

    @property
    def deficit(self) -> float:
        """Cost above income this financial year (£; negative is a surplus)."""
        return self.cost - self.income

    def plan_week(self, start: bool = False) -> None:
        """Beds follow the money, slowly: the funded beds are the starting beds per head times what this year's
        acute money buys (:meth:`~agents.commissioner.Commissioner.funding_ratio`); the planned beds close a
        share ``bed_adjustment_per_year`` of the gap a year (wards take months to open or close); the beds
        open are the planned beds times the beds lever (beds opened without money, or closed, by policy)."""
        p, model = self.model.params.acute, self.model
        people = model.councils.table.population[self.places]
        self.funded_beds = (
            p.beds_per_1000 / 1000 * float(people @ model.commissioner.funding_ratio("acute")[self.places])
        )
        if start:
            self.planned_beds = self.funded_beds
            programme = elective_programme(model, self)
            self.emergency_forecast = max(p.initial_occupancy * self.planned_beds * DAYS_PER_WEEK - programme, 0.0)
        else:
            self.planned_beds += (self.funded_beds - self.planned_beds) * weekly_share(p.bed_adjustment_per_year)
        self.beds = self.planned_beds * model.levers.acute_beds_multiplier

    def slowdown(self) -> float:
        """How much longer recovery takes when the hospital is crowded (flow slows above ~92%)."""
        p = self.model.params.acute
        excess = min(max((self.occupancy - p.flow_occupancy) / max(1 - p.flow_occupancy, 1e-9), 0.0), 1.0)
        return 1.0 + p.los_slowdown * excess

    def new_financial_year(self) -> None:
        """Close the year's accounts: keep its pressure signal for the commissioner, then start afresh."""
        self.last_year_pressure = self.pressure()
        self.income = 0.0
        self.cost = 0.0
        self.occupancy_sum = 0.0
        self.weeks_accounted = 0

    def pressure(self) -> float:
        """This year's pressure signal (DESIGN 4): mean occupancy above the flow threshold (0-1), plus the deficit
        as a share of income.  It pulls money to acute at the next allocation (mechanism 2)."""
        if self.weeks_accounted == 0:
            return 0.0
        p = self.model.params.acute
        occupancy = self.occupancy_sum / self.weeks_accounted
        crowding = np.clip((occupancy - p.flow_occupancy) / max(1 - p.flow_occupancy, 1e-9), 0.0, 1.0)
        return float(crowding + np.clip(self.deficit / max(self.income, 1e-9), 0.0, 1.0))

    def account_week(self, payment: float, corridor_patients: int) -> None:
        """Income is the commissioner's payment; cost follows the beds open (a bed costs what the money that
        funds it pays), rising with occupancy and corridor care (assumption).  So beds kept open after money
        has moved away, or opened without it, run a deficit, which pulls money back (acute gravity)."""
        p = self.model.params.acute
        self.weekly_payment = payment
        self.occupancy_sum += self.occupancy
        self.weeks_accounted += 1
        self.income += payment
        fixed = p.cost_fixed_share  # the rest of the beds' cost scales with occupancy
        beds_cost = payment * self.beds / max(self.funded_beds, 1e-9)
        running = beds_cost * (fixed + (1 - fixed) * self.occupancy / p.cost_reference_occupancy)
        self.cost += running + corridor_patients * p.corridor_premium_gbp


def length_of_stay(age, frailty, p) -> np.ndarray:
    """Mean length of stay in days by age band and frailty (national statistics: 5-6 days, 9-10 over 75)."""
    band = AGE_BAND_TABLE[age]  # the age band, looked up by whole year of age
    relative = 1 + p.los_frailty_slope * (np.asarray(frailty) - p.los_frailty_reference)
    return np.asarray(p.los_days_by_age)[band] * np.maximum(relative, p.los_frailty_floor)


def support_needed(frailty, u_need, u_kind, p) -> np.ndarray:
    """What support a medically fit patient needs to go home, in proportion to frailty (DESIGN 4)."""
    # (np.minimum of np.maximum is np.clip, quicker on short arrays)
    needs = u_need < np.minimum(
        np.maximum(p.support_need_base + p.support_need_per_frailty * frailty, 0.0), p.support_need_max
    )
    social = u_kind < np.minimum(np.maximum(p.social_care_share[0] + p.social_care_share[1] * frailty, 0.0), 1.0)
    kind = np.where(social, Support.SOCIAL_CARE.value, Support.CHS.value)
    return np.where(needs, kind, Support.NONE.value).astype(np.uint8)


def progress_inpatients(model) -> None:
    """A week of recovery for inpatients; the medically fit go home or wait for support.

    Crowding (occupancy above the flow threshold) slows recovery.  Bed-days used
    are recorded per trust.
    """
    pop, p, streams = model.pop, model.params.acute, model.streams
    inpatients = pop.in_setting(Setting.ACUTE_BED)
    trust = model.topology.place_trust[pop.place[inpatients]]
    slow = np.array([t.slowdown() for t in model.trusts])[trust]
    remaining = pop.los_days[inpatients] * slow
    used = np.minimum(np.maximum(remaining, 0.0), DAYS_PER_WEEK)  # those fit since last week use no more days
    model.trusts.table.inpatient_bed_days = total_by(trust, used, len(model.trusts))
    pop.assign("los_days", inpatients, (remaining - used) / slow)
    step_down_to_virtual_ward(model, inpatients[remaining > DAYS_PER_WEEK])
    fit = inpatients[remaining <= DAYS_PER_WEEK]
    support = support_needed(
        pop.frailty[fit],
        streams.uniform(Decision.DISCHARGE_SUPPORT, fit),
        streams.uniform(Decision.DISCHARGE_SOCIAL_CARE, fit),
        p,
    )
    frailty = pop.frailty[fit]
    deconditioned = np.minimum(frailty + model.params.demography.frailty_per_admission, 1.0)
    pop.assign("frailty_acquired", fit, pop.frailty_acquired[fit] + (deconditioned - frailty))
    pop.assign("frailty", fit, deconditioned)
    pop.assign("support_needed", fit, support)
    discharge_to(model, fit[support == Support.NONE.value], Setting.HOME)
    pop.move(fit[support != Support.NONE.value], Setting.DELAYED_DISCHARGE)


def run_ed(model) -> None:
    """ED attendances, admission decisions, bed allocation, electives, occupancy and accounts.

    Admission probability rises with frailty and crisis (calibrated to national
    admission rates) and falls a little when the patient's CHS team has spare
    capacity to offer an alternative (mechanism 18, modest).  Those not admitted
    go home with a GP follow-up.  Every decision to admit counts as admission demand, bed or no
    bed; those who get no bed wait in ED (corridor care) and grow iller while they wait: their
    coming stay lengthens by ``bed_wait_extra_los_days`` a week, and their danger of death rises
    with the wait (:func:`agents.patient.death_prob`).  So a full hospital shows as admission
    demand above admissions, and as harm, not as fewer admissions alone (DESIGN 4; sizes assumptions).
    Beds go first to those who have waited since an earlier week, then to the elective list the trust
    booked (:func:`run_electives`), then to this week's decisions to admit.
    """
    pop, streams = model.pop, model.streams
    n_trusts = len(model.trusts)
    place_trust = model.topology.place_trust
    days = model.trusts.table.inpatient_bed_days.copy()
    delayed = pop.in_setting(Setting.DELAYED_DISCHARGE)
    days += np.bincount(place_trust[pop.place[delayed]], minlength=n_trusts) * DAYS_PER_WEEK

    in_ed = pop.in_setting(Setting.ED)
    earlier = pop.weeks_in_setting[in_ed] > 0
    waiting = in_ed[earlier]  # decided to admit in an earlier week, no bed yet
    leaving = streams.uniform(Decision.CORRIDOR_END, waiting) < model.params.acute.corridor_discharge_weekly
    managed = waiting[leaving]  # same-day care and home with a GP follow-up
    arrivals = in_ed[~earlier]
    model.events.add("ed_attendances", pop.place[arrivals])
    admit = decide_admission(model, arrivals)
    model.events.add("admission_demand", pop.place[arrivals[admit]])  # whether or not a bed is free
    home = np.concatenate([managed, arrivals[~admit]])  # the managed, then arrivals sent home (disjoint)
    pop.assign("acuity", home, np.minimum(pop.acuity[home], Acuity.HIGH))
    pop.move(home, Setting.WAITING_GP)

    queue = np.concatenate([waiting[~leaving], arrivals[admit]])  # still waiting from earlier weeks, then today's
    new_los = pop.los_days[queue]  # a copy (fancy indexing): kept for those who were waiting ...
    fresh = pop.weeks_in_setting[queue] == 0  # decided to admit this week
    new_los[~fresh] += np.float32(model.params.acute.bed_wait_extra_los_days)  # ... who deteriorated meanwhile
    new_los[fresh] = draw_length_of_stay(model, queue[fresh])
    pop.assign("los_days", queue, new_los)
    trust = place_trust[pop.place[queue]]
    capacity = model.trusts.table.beds * DAYS_PER_WEEK
    cost = np.minimum(new_los, DAYS_PER_WEEK)
    room = np.maximum(capacity - days, 0)
    # first in line, those who have waited for a bed since an earlier week; then the booked elective list;
    # then this week's decisions to admit, in priority order (they arrive through the week)
    admitted_mask = np.zeros(queue.size, dtype=bool)
    admitted_mask[~fresh] = allocate_beds(model, queue[~fresh], trust[~fresh], cost[~fresh], days, capacity)
    electives = np.array([run_electives(model, t, days, capacity) for t in model.trusts])
    admitted_mask[fresh] = allocate_beds(model, queue[fresh], trust[fresh], cost[fresh], days, capacity)
    admitted = queue[admitted_mask]
    admitted_days = total_by(trust[admitted_mask], cost[admitted_mask], n_trusts)
    pop.assign("los_days", admitted, pop.los_days[admitted] - DAYS_PER_WEEK)
    pop.move(admitted, Setting.ACUTE_BED)
    model.events.add("emergency_admissions", pop.place[admitted])
    model.events.add_admissions_by_group(AGE_BAND_TABLE[pop.age[admitted]], pop.deprivation[admitted])
    corridor = np.bincount(trust[~admitted_mask], minlength=n_trusts)

    for t in model.trusts:
        t.emergency_room_bed_days = float(room[t.index])
        t.emergency_bed_days = float(admitted_days[t.index])
        update_emergency_forecast(model, t, days[t.index] - electives[t.index])
        t.bed_days_used = days[t.index]
        t.occupancy = float(days[t.index] / max(capacity[t.index], days[t.index], 1e-9))
        t.account_week(model.commissioner.weekly_payment_to("acute", t.places), int(corridor[t.index]))


def allocate_beds(model, queue: np.ndarray, trust: np.ndarray, cost: np.ndarray, days, capacity) -> np.ndarray:
    """Beds for the emergency patients in ``queue`` (their trusts, this week's bed-days each), in priority order
    (need, then weeks waited), in the room each trust has left; ``days`` (bed-days used by trust) grows by theirs.
    Returns who got a bed."""
    room = np.maximum(capacity - days, 0)
    mask = serve_in_priority_order(
        trust,
        model.pop.acuity[queue],
        model.pop.weeks_in_setting[queue],
        room,
        model.streams.tiebreak(Decision.ADMISSION_QUEUE, queue),
        cost,
    )
    days += total_by(trust[mask], cost[mask], len(capacity))
    return mask


def step_down_to_virtual_ward(model, inpatients: np.ndarray) -> np.ndarray:
    """Early supported discharge: some inpatients not yet fit finish recovery on a free virtual-ward place.

    001 §4: the Bradford virtual ward saved 4,612 bed days.  The frailest go first; each
    week a share ``virtual_ward_step_down_from_acute`` of those not fit take a free place
    (assumption).  Returns those who left their bed.
    """
    pop, p, streams = model.pop, model.params.chs, model.streams
    willing = inpatients[streams.uniform(Decision.STEP_DOWN, inpatients) < p.virtual_ward_step_down_from_acute]
    if willing.size == 0:
        return willing
    going = willing[
        serve_in_priority_order(
            pop.team[willing],
            pop.frailty[willing],
            None,
            free_virtual_ward_places(model),
            streams.tiebreak(Decision.STEP_DOWN_QUEUE, willing),
        )
    ]
    pop.assign("acuity", going, Acuity.HIGH)
    pop.assign("los_days", going, 0.0)
    pop.move(going, Setting.VIRTUAL_WARD)
    return going


def elective_programme(model, trust: AcuteTrust) -> float:
    """The week's elective programme in bed-days: ``elective_bed_days_per_1000_year`` at the starting beds per
    head, growing (or shrinking) as the money moves the planned beds, so growth money buys planned care as well
    as room for emergencies."""
    p = model.params.acute
    return p.elective_bed_days_per_1000_year / p.beds_per_1000 * trust.planned_beds / WEEKS_PER_YEAR


def schedule_electives(model, trust: AcuteTrust, capacity: float) -> float:
    """The bed-days of planned operations the trust books this week: its programme, less what would take the
    hospital above the flow threshold after its forecast of emergency bed-days (``emergency_forecast``).

    Trusts plan elective lists around expected emergency demand (winter planning: less elective work when
    emergencies are expected to be high), so that few operations are cancelled on the day (DESIGN 4; national
    statistics: last-minute cancellations for non-clinical reasons are about 1% of elective admissions).  What
    is not booked is deferred, not cancelled (``elective_bed_days_deferred``)."""
    room = max(model.params.acute.flow_occupancy * capacity - trust.emergency_forecast, 0.0)
    return min(elective_programme(model, trust), room)


def update_emergency_forecast(model, trust: AcuteTrust, emergency_days: float) -> None:
    """The trust's forecast of next week's emergency bed-days: a moving average of recent weeks, weighted to the
    latest (half-life ``elective_forecast_halflife_weeks``; assumption: bed managers plan from the last few
    weeks' bed state)."""
    halflife = model.params.acute.elective_forecast_halflife_weeks
    weight = 1.0 - 0.5 ** (1.0 / max(halflife, 1e-9))
    trust.emergency_forecast += weight * (emergency_days - trust.emergency_forecast)


def run_electives(model, trust: AcuteTrust, days: np.ndarray, capacity: np.ndarray) -> float:
    """The booked elective list runs while the hospital has room; the fuller it is, the more is cancelled (DESIGN 4).

    The trust books its list ahead (:func:`schedule_electives`) to fit the room its forecast of emergency
    bed-days leaves below the flow threshold; the rest of the programme is deferred (planned care postponed,
    as in winter planning).  Booked patients arrive at the start of the week, after the patients already in a
    bed, waiting to leave one, or waiting in ED for one since an earlier week (``days``), and before this week's
    emergency admissions, which arrive through the week.  When those already there take the hospital above the
    flow threshold, the trust cancels the share of the booked list that their excess is of the headroom above
    the threshold (none at the threshold, all when they fill every bed; assumption: trusts escalate
    cancellations with the pressure on their beds), and it never runs more electives than there are free beds.
    So cancellations on the day come from a hospital already full, not from the noise of one week's
    emergencies (national statistics: last-minute cancellations for non-clinical reasons are about 1% of
    elective admissions), and a hospital that is full week after week defers and cancels more.  Returns the
    bed-days run."""
    p = model.params.acute
    cap, used = capacity[trust.index], days[trust.index]
    programme = elective_programme(model, trust)
    planned = schedule_electives(model, trust, cap)
    cancelled_share = min(max((used - p.flow_occupancy * cap) / max((1 - p.flow_occupancy) * cap, 1e-9), 0.0), 1.0)
    granted = min(planned * (1 - cancelled_share), max(cap - used, 0.0))
    days[trust.index] += granted
    trust.electives_cancelled_bed_days = planned - granted
    shares = model.councils.table.population[trust.places] / max(trust.population, 1)
    model.events.add_amounts("elective_bed_days_planned", trust.places, planned * shares)
    model.events.add_amounts("elective_bed_days_deferred", trust.places, (programme - planned) * shares)
    model.events.add_amounts("electives_cancelled_bed_days", trust.places, (planned - granted) * shares)
    return granted


def decide_admission(model, arrivals: np.ndarray) -> np.ndarray:
    """Admit or not: crises and frail people more often; less when community alternatives have room.

    Payment by activity lowers the threshold to admit; a block (aligned) payment removes
    that incentive (DESIGN 4; size an assumption).
    """
    pop, p = model.pop, model.params.acute
    frailty = pop.frailty[arrivals]
    crisis = pop.acuity[arrivals] == Acuity.CRISIS.value
    base = np.where(
        crisis, p.admit_crisis[0] + p.admit_crisis[1] * frailty, p.admit_referred[0] + p.admit_referred[1] * frailty
    )
    spare = (model.teams.table.load < 1.0)[pop.team[arrivals]]
    payment = p.block_payment_admission_multiplier if model.levers.acute_payment == AcutePayment.BLOCK else 1.0
    prob = np.minimum(np.maximum(base * payment * np.where(spare, p.alternatives_admission_multiplier, 1.0), 0.0), 1.0)
    return model.streams.uniform(Decision.ADMISSION_DECISION, arrivals) < prob


def draw_length_of_stay(model, idx: np.ndarray) -> np.ndarray:
    """Length of stay in days: gamma-distributed around the mean for age and frailty.

    Drawn by inverting the gamma CDF at each person's keyed uniform (:func:`abm.streams.gamma_quantile`),
    so a person's draw does not depend on anyone else's (and a longer mean gives a longer stay from the
    same uniform).
    """
    pop = model.pop
    mean = length_of_stay(pop.age[idx], pop.frailty[idx], model.params.acute)
    shape = model.params.acute.los_gamma_shape
    standard = gamma_quantile(model.streams.uniform(Decision.LENGTH_OF_STAY, idx), shape)
    return (standard * (mean / shape)).astype(np.float32)
