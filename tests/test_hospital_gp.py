"""Issue 15: planned care that is booked to fit the beds, GP access with its alternatives, council packages
that follow money.  Behaviour tests compare arms run with the same seeds (common random numbers) and count an
effect beyond three standard errors of the paired difference."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from abm.model import ICSModel
from abm.population import Acuity, Setting
from agents import acute_trust, gp_practice, patient
from tests.conftest import ics, paired

SEEDS = (1, 2, 3, 4)


# ---------------------------------------------------------------------------------------------- electives
def elective_shares(seed: int, beds: float = 1.0) -> dict[str, float]:
    """Of the elective programme: the share not run (deferred at booking or cancelled on the day), and the share
    of the booked list cancelled on the day."""
    return _elective_shares(seed, beds)


@functools.cache
def _elective_shares(seed: int, beds: float) -> dict[str, float]:
    model = ICSModel(population=10_000, years=2, burn_in_weeks=26, seed=seed, **{"levers.acute_beds_multiplier": beds})
    df = ics(model.run())
    booked, deferred = df.elective_bed_days_planned.sum(), df.elective_bed_days_deferred.sum()
    cancelled = df.electives_cancelled_bed_days.sum()
    return {
        "not_run": float((deferred + cancelled) / (booked + deferred)),
        "cancelled": float(cancelled / max(booked, 1e-9)),
    }


def test_a_trust_books_fewer_electives_when_it_expects_its_beds_to_fill():
    model = ICSModel(population=4000, years=1, burn_in_weeks=0, seed=5)
    trust = model.trusts[0]
    capacity = trust.beds * 7
    programme = acute_trust.elective_programme(model, trust)
    trust.emergency_forecast = 0.5 * capacity
    assert acute_trust.schedule_electives(model, trust, capacity) == pytest.approx(programme)
    flow = model.params.acute.flow_occupancy
    trust.emergency_forecast = flow * capacity - programme / 2
    assert acute_trust.schedule_electives(model, trust, capacity) == pytest.approx(programme / 2)
    trust.emergency_forecast = capacity
    assert acute_trust.schedule_electives(model, trust, capacity) == 0.0


def test_the_forecast_follows_recent_emergency_bed_days():
    model = ICSModel(population=4000, years=1, burn_in_weeks=0, seed=5)
    trust = model.trusts[0]
    trust.emergency_forecast = 100.0
    for _ in range(int(model.params.acute.elective_forecast_halflife_weeks)):
        acute_trust.update_emergency_forecast(model, trust, 200.0)
    assert trust.emergency_forecast == pytest.approx(150.0)


@pytest.mark.slow
def test_fewer_beds_leave_more_of_the_elective_programme_not_run():
    """DESIGN 4: a full hospital cancels (here first defers) planned care."""
    base = [elective_shares(seed=s)["not_run"] for s in SEEDS]
    fewer = [elective_shares(seed=s, beds=0.8)["not_run"] for s in SEEDS]
    diff, se = paired(base, fewer)
    assert diff > 3 * se
    assert np.mean(fewer) > np.mean(base) + 0.2


def test_booked_electives_are_seldom_cancelled_on_the_day():
    """Trusts book around expected emergency demand, so few booked operations are cancelled on the day
    (national statistics: about 1% of elective admissions)."""
    assert max(elective_shares(seed=s)["cancelled"] for s in SEEDS[:2]) < 0.05


# ---------------------------------------------------------------------------------------------- councils
def council_packages(growth: float, cost_growth: float, weeks: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Each council's packages and population after ``weeks``, and the starting packages per 1,000."""
    model = ICSModel(
        population=4000,
        years=6,
        burn_in_weeks=0,
        seed=3,
        **{
            "params.commissioner.growth_pct_year": growth,
            "params.commissioner.capacity_cost_growth_pct_year": cost_growth,
        },
    )
    model.run(weeks=weeks)
    for council in model.councils:
        council.plan_week()  # this week's packages from the population counted at the end of the week
    councils = model.councils.table
    return councils.capacity.copy(), councils.population.copy(), model.params.social_care.packages_per_1000


@pytest.mark.parametrize(("growth", "cost_growth"), [(2.0, 1.0), (1.0, 1.0), (0.0, 1.0)])
def test_council_packages_follow_real_terms_money(growth, cost_growth):
    """Packages per head grow with the council's real-terms budget less the rising cost of care, as NHS capacity
    does (capacity_cost_growth_pct_year); in year 0 they are the starting packages per head."""
    for year in (0, 5):
        capacity, people, per_1000 = council_packages(growth, cost_growth, weeks=year * 52 + 2)
        bought = ((1 + growth / 100) / (1 + cost_growth / 100)) ** year
        np.testing.assert_array_equal(capacity, np.round(per_1000 * people / 1000 * bought))


# ---------------------------------------------------------------------------------------------- GP access
CUT = {"params.gp.appointments_per_head_year": 5.04}  # 20% fewer GP appointments
NO_PHARMACY = {"params.gp.pharmacy_share": 0.0, "params.gp.pharmacy_signpost_weekly": 0.0}


@functools.cache
def admissions_per_1000(seed: int, cut: bool, pharmacy: bool) -> float:
    overrides = {**(CUT if cut else {}), **({} if pharmacy else NO_PHARMACY)}
    df = ics(ICSModel(population=10_000, years=3, burn_in_weeks=52, seed=seed, **overrides).run())
    return float(df.emergency_admissions.sum() / df.population.mean() * 1000 / (len(df) / 52))


@pytest.mark.slow
def test_a_gp_cut_raises_admissions_less_when_minor_need_can_go_to_a_pharmacy():
    """DESIGN 4 and mechanism 9: fewer GP appointments push patients to hospital; 001 §2 'Community pharmacy':
    minor need the practice cannot see goes to a pharmacy rather than escalating untreated, so the rise is smaller
    than without that route, and still a rise."""
    rise = [admissions_per_1000(s, True, True) - admissions_per_1000(s, False, True) for s in SEEDS]
    rise_without = [admissions_per_1000(s, True, False) - admissions_per_1000(s, False, False) for s in SEEDS]
    diff, se = paired(np.zeros(len(SEEDS)), rise)
    assert diff > 3 * se  # the cut still raises admissions
    diff, se = paired(rise_without, rise)
    assert diff < -3 * se  # by less with the pharmacy route


def test_self_care_is_for_minor_need_only():
    """Only people with a low need manage it with pharmacy advice; worsening or recovery ends it."""
    model = ICSModel(
        population=4000, years=1, burn_in_weeks=26, seed=9, **{"params.gp.appointments_per_head_year": 3.0}
    )
    seen = 0
    for _ in range(30):
        model.step()
        pop = model.pop
        self_care = pop.self_care & (pop.setting == Setting.HOME.value)
        seen += int(self_care.sum())
        assert (pop.acuity[self_care] == Acuity.LOW.value).all()
    assert seen > 0


def test_care_multiplier_for_minor_need_managed_with_pharmacy_advice():
    p = ICSModel(population=2000, years=1, burn_in_weeks=0, seed=1).params.need
    at_home = patient.care_multiplier(Setting.HOME.value, False, p, True)
    assert at_home == pytest.approx(p.self_care_escalation_multiplier)
    assert patient.care_multiplier(Setting.HOME.value, False, p, False) == pytest.approx(p.unmet_escalation_multiplier)
    managed = patient.care_multiplier(Setting.GP_MANAGED.value, False, p, True)  # the flag counts only at home
    assert managed == pytest.approx(p.escalation_in_care_multiplier[0])


def test_unseen_minor_need_is_signposted_to_a_pharmacy():
    model = ICSModel(population=4000, years=1, burn_in_weeks=0, seed=2, **{"params.gp.pharmacy_signpost_weekly": 1.0})
    pop = model.pop
    people = np.flatnonzero(pop.setting == Setting.HOME.value)[:40]
    pop.assign("acuity", people, np.where(np.arange(40) < 20, Acuity.LOW.value, Acuity.HIGH.value).astype(np.uint8))
    pop.assign("will_seek", people, True)
    pop.move(people, Setting.WAITING_GP)
    signposted = gp_practice.signpost_to_pharmacy(model, people)
    assert signposted.tolist() == [True] * 20 + [False] * 20
    assert (pop.setting[people[:20]] == Setting.HOME.value).all() and pop.self_care[people[:20]].all()
    assert not pop.will_seek[people[:20]].any()
    assert (pop.setting[people[20:]] == Setting.WAITING_GP.value).all() and not pop.self_care[people[20:]].any()
