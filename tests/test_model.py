"""The engine: invariants every week, determinism, journeys, levers on a running model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abm import invariants
from abm.model import ICSModel
from abm.outputs import parts
from abm.population import Setting
from tests.conftest import REQUIRED_COLUMNS, SMALL, ics

lever_values = st.fixed_dictionaries(
    {
        "levers.acute_beds_multiplier": st.floats(0.3, 3.0),
        "levers.social_care_capacity_multiplier": st.floats(0.0, 3.0),
        "levers.demand_multiplier": st.floats(0.5, 2.0),
        "levers.recruitment_multiplier": st.floats(0.0, 3.0),
        "levers.attrition_multiplier": st.floats(0.0, 3.0),
        "levers.integration_share": st.floats(0.0, 1.0),
        "levers.public_health_multiplier": st.floats(0.0, 3.0),
        "levers.funding_shift_pct": st.floats(-10.0, 10.0),
        "levers.funding_shift_start_year": st.integers(0, 1),
        "levers.funding_shift_recurrent": st.booleans(),
        "levers.growth_to_community_pct": st.floats(0.0, 100.0),
        "levers.addon_share_pct": st.floats(0.0, 100.0),
        "levers.addon_staffing": st.sampled_from(["new", "redeploy"]),
        "levers.addon_recurrent": st.booleans(),
        "levers.addon_funding_years": st.integers(0, 2),
        "levers.delegation_to_place": st.booleans(),
        "levers.delegation_start_year": st.integers(0, 1),
        "levers.delegation_transition_years": st.floats(0.0, 2.0),
        "levers.chs_contract": st.sampled_from(["block", "activity", "outcome"]),
        "levers.acute_payment": st.sampled_from(["activity", "block"]),
        "levers.chs_host": st.sampled_from(["standalone", "acute", "collaborative"]),
        "levers.data_quality": st.floats(0.0, 1.0),
    }
)


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    population=st.integers(1000, 6000),
    seed=st.integers(0, 2**31),
    levers=lever_values,
    burn_in=st.integers(0, 20),
    change=st.tuples(st.integers(0, 100), st.floats(0.3, 3.0), st.floats(-10, 10)),
    indexed=st.booleans(),
)
def test_invariants_hold_every_week(population, seed, levers, burn_in, change, indexed):
    """People conserved, capacity respected, no negative stock, occupancy in [0,1], money conserved,
    with random levers, and a bed lever and a money lever moved mid-run (the allocation is re-planned);
    with the setting index on or off (it is normally on only from ``INDEX_FROM`` people)."""
    from abm import population as population_module

    saved = population_module.INDEX_FROM
    population_module.INDEX_FROM = 0 if indexed else saved
    try:
        _check_invariants_every_week(population, seed, levers, burn_in, change)
    finally:
        population_module.INDEX_FROM = saved


def _check_invariants_every_week(population, seed, levers, burn_in, change):
    model = ICSModel(population=population, years=2, burn_in_weeks=burn_in, seed=seed, **levers)
    change_week, beds, shift = change
    for week in range(burn_in + 104):
        if week == change_week:
            model.set_lever("acute_beds_multiplier", beds)  # levers moved mid-run
            model.set_lever("funding_shift_pct", shift)
        model.step()
        found = invariants.violations(model)
        assert not found, f"week {week}: {found}"
    df = model.metrics.frame()
    assert (df.bed_occupancy.between(0, 1)).all()


def test_money_paid_equals_allocated_each_year():
    model = ICSModel(population=3000, years=2, burn_in_weeks=5, seed=3)
    allocations, paid, modelled = [], [], []
    for _ in range(5 + 104):
        model.step()
        if model.commissioner.week_of_year == 51 and model.commissioner.financial_year >= 0:
            allocations.append(model.commissioner.allocation.sum())
            paid.append(model.commissioner.paid.sum())
            modelled.append(model.commissioner.allocation[:4].sum())  # acute, core CHS, add-on, primary
    assert len(allocations) == 2
    weekly = ics(model).spend_acute
    assert weekly.max() / weekly.min() < 1.05  # paid evenly, no lump at the year end
    np.testing.assert_allclose(paid, allocations, rtol=1e-9)
    spend = ics(model)[["spend_acute", "spend_chs_core", "spend_addon", "spend_primary"]].groupby(ics(model).year).sum()
    np.testing.assert_allclose(spend.sum(axis=1).to_numpy(), modelled, rtol=1e-9)


def test_same_seed_same_metrics_bit_for_bit():
    a = ICSModel(**SMALL, seed=5).run().metrics.frame()
    b = ICSModel(**SMALL, seed=5).run().metrics.frame()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_different_seeds_differ():
    a = ICSModel(**SMALL, seed=5).run().metrics.frame()
    b = ICSModel(**SMALL, seed=6).run().metrics.frame()
    assert not a.equals(b)
    assert (a.emergency_admissions != b.emergency_admissions).any()


def test_metrics_have_required_columns_and_rows(small_run):
    df = small_run.metrics.frame()
    assert set(REQUIRED_COLUMNS) <= set(df.columns)
    assert len(df) == 52 * 4
    assert list(df.place.unique()) == ["North", "Central", "South", "ICS"]
    places = df[df.place != "ICS"].groupby("week")[["population", "emergency_admissions", "unmet_need"]].sum()
    total = df[df.place == "ICS"].set_index("week")[["population", "emergency_admissions", "unmet_need"]]
    np.testing.assert_allclose(places.to_numpy(), total.to_numpy())
    kinds = df[[o.name for o in parts("unmet_need")]]
    np.testing.assert_allclose(kinds.sum(axis=1), df.unmet_need)
    np.testing.assert_allclose(df.unmet_need - df.unmet_need_never_sought, df.unmet_need_sought)


def test_groups_table_sums_to_ics(small_run):
    groups = small_run.metrics.group_frame()
    by_week = groups.groupby("week")[["population", "unmet_need", "emergency_admissions"]].sum()
    total = ics(small_run).set_index("week")[["population", "unmet_need", "emergency_admissions"]]
    np.testing.assert_allclose(by_week.to_numpy(), total.to_numpy())


def test_patient_view_shows_journey(small_run):
    admitted = np.flatnonzero(small_run.pop._hist_count[: small_run.pop.n] > 3)
    person = small_run.patient(int(admitted[0]))
    assert {"age", "sex", "place", "frailty", "acuity", "setting", "journey", "deprivation_quintile"} <= set(person)
    assert person["place"] in {"North", "Central", "South"}
    assert len(person["journey"]) >= 3
    assert all(isinstance(w, int) and isinstance(s, str) for w, s in person["journey"])
    with pytest.raises(IndexError):
        small_run.patient(10**9)


def test_someone_passes_through_hospital(small_run):
    journeys = [small_run.patient(i)["journey"] for i in range(small_run.pop.n) if small_run.pop._hist_count[i] > 2]
    settings_seen = {s for j in journeys for _, s in j}
    assert {"acute bed", "waiting for GP", "GP-managed", "CHS caseload", "home"} <= settings_seen


def test_set_lever_acts_from_next_week_without_reset():
    model = ICSModel(**SMALL, seed=2)
    model.run(weeks=SMALL["burn_in_weeks"] + 10)
    people_before = model.pop.n
    beds_before = model.trusts[0].beds
    model.set_lever("acute_beds_multiplier", 2.0)
    assert model.trusts[0].beds == beds_before  # not until the next week
    model.step()
    assert model.trusts[0].beds == pytest.approx(2 * beds_before, rel=0.01)
    assert model.pop.n >= people_before  # same population, no reset
    assert model.lever_changes == [(10, "acute_beds_multiplier", 2.0)]


def test_schedule_applies_at_year():
    model = ICSModel(
        population=3000,
        years=2,
        burn_in_weeks=4,
        seed=1,
        schedule=[{"year": 1, "lever": "social_care_capacity_multiplier", "value": 0.5}],
    )
    model.run(weeks=4 + 52)
    assert model.levers.social_care_capacity_multiplier == 1.0
    model.step()
    assert model.levers.social_care_capacity_multiplier == 0.5


def test_burn_in_not_reported():
    model = ICSModel(population=3000, years=1, burn_in_weeks=30, seed=1).run()
    assert model.metrics.recorded == 52
    assert model.week_number == 82
    assert not model.running


def test_hospital_stays_and_deaths_happen(small_run):
    df = ics(small_run)
    assert df.emergency_admissions.sum() > 0 and df.deaths.sum() > 0
    assert (small_run.pop.setting == Setting.DEAD).sum() == small_run.counters["died"]


def test_single_practice_registration_takes_no_draws():
    """new_person_attributes skips rng.integers(0, 1) for a Place with one practice: numpy takes no draws for it."""
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    assert (rng.integers(0, 1, size=5) == 0).all()
    assert rng.bit_generator.state == before
