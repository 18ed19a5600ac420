"""District nurses take on social-care work when social care is short (mechanism 10, 001 §2), and Place
outreach after delegation is CHS time whose yield depends on local data (mechanism 8, 000 Results)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from abm.model import ICSModel
from abm.population import Setting, is_in_need
from agents import chs_team
from tests.conftest import SMALL, paired

Z = 3  # an effect counts when it is beyond three standard errors of the paired difference
SEEDS = tuple(range(301, 309))
CUT = {"levers.social_care_capacity_multiplier": 0.74}
TURN_DOWN = {"params.chs.social_care_task_contacts": 0.0}


def test_only_patients_who_need_a_package_and_have_none_take_social_care_tasks():
    model = ICSModel(**SMALL, seed=3)
    pop, p = model.pop, model.params.chs
    idx = np.arange(4)
    pop.frailty[idx] = [0.5, 0.5, 0.1, p.social_care_need_frailty]
    pop.social_care[idx] = [False, True, False, False]
    tasks = chs_team.social_care_tasks(model, idx)
    np.testing.assert_allclose(tasks, [p.social_care_task_contacts, 0.0, 0.0, p.social_care_task_contacts])
    np.testing.assert_allclose(chs_team.visit_need(model, idx) - chs_team.caseload_intensity(pop.acuity[idx], p), tasks)


def outreach_week(data_quality: float) -> tuple[np.ndarray, np.ndarray, int]:
    """One week of Place outreach on a small model with Place fully matured: capacity, contacts used, prompted."""
    model = ICSModel(**SMALL, seed=5, **{"levers.data_quality": data_quality})
    model.run(weeks=20)
    model.commissioner.maturity = 1.0
    pop = model.pop
    hidden_before = int((is_in_need(pop.acuity) & ~pop.will_seek & (pop.setting == Setting.HOME.value)).sum())
    capacity = model.teams.table.capacity.copy()
    used = chs_team.place_outreach(model, capacity)
    hidden_after = int((is_in_need(pop.acuity) & ~pop.will_seek & (pop.setting == Setting.HOME.value)).sum())
    return capacity, used, hidden_before - hidden_after


def test_outreach_spends_its_set_aside_and_finds_more_hidden_need_with_better_data():
    capacity, used, found_good = outreach_week(1.0)
    share = ICSModel(**SMALL).params.commissioner.place_outreach_share
    np.testing.assert_allclose(used, np.floor(capacity * share))  # one contact a visit: the time is spent
    _, used_poor, found_poor = outreach_week(0.05)
    np.testing.assert_allclose(used_poor, used)  # the same staff time, whatever the data
    assert found_good > found_poor


def test_no_outreach_without_delegation():
    model = ICSModel(**SMALL, seed=5)
    model.run(weeks=5)
    assert model.commissioner.maturity == 0
    assert chs_team.place_outreach(model, model.teams.table.capacity.copy()).sum() == 0


@functools.cache
def yearly(overrides: tuple, seed: int) -> dict[str, np.ndarray]:
    model = ICSModel(population=10_000, years=4, burn_in_weeks=52, seed=seed, **dict(overrides)).run()
    df = model.metrics.frame()
    ics = df[df.place == "ICS"].groupby("year")
    people = ics.population.mean()
    return {
        "social_care_contacts": (ics.chs_social_care_contacts.sum() / people * 1000).to_numpy(),
        "unmet": (ics.unmet_need.sum() / people * 1000).to_numpy(),
        "proactive": (ics.proactive_care.mean() / people * 1000).to_numpy(),
    }


def mean_over_years(overrides: dict, outcome: str) -> np.ndarray:
    """Each seed's mean of an outcome over years 1-3 (the cut acts from year 0's end onwards)."""
    key = tuple(sorted(overrides.items()))
    return np.array([yearly(key, seed)[outcome][1:].mean() for seed in SEEDS])


@pytest.mark.slow
def test_a_social_care_cut_sends_social_care_work_to_district_nurses():
    """Mechanism 10 (001 §2): district nurses undertake work social care workers did before the cuts."""
    diff, se = paired(mean_over_years({}, "social_care_contacts"), mean_over_years(CUT, "social_care_contacts"))
    assert diff > Z * se


@pytest.mark.slow
def test_social_care_work_displaces_other_chs_work():
    """Mechanisms 3, 10 (001 §2): the same staff do it, so prevention goes first, and more need goes unmet.

    The task is daily (001 §2's patient story: medication prompting every day), so the work is a few
    percent of the teams' time: proactive care falls by about a quarter, and unmet need rises by under 1%
    (t +8 at 20,000 people, 4 seeds, years 1-9), beyond 3 standard errors here too."""
    taking_it_on, turning_it_down = CUT, {**CUT, **TURN_DOWN}
    diff, se = paired(mean_over_years(turning_it_down, "unmet"), mean_over_years(taking_it_on, "unmet"))
    assert diff > Z * se
    diff, se = paired(mean_over_years(turning_it_down, "proactive"), mean_over_years(taking_it_on, "proactive"))
    assert diff < -Z * se
