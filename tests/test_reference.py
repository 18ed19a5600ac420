"""Differential tests: the vectorised patient rules against the object-per-patient reference.

``agents/reference.py`` applies the same rules person by person (Mesa agents, scalar
draws); ``agents/patient.py`` applies them as array operations.  Both draw the same keyed
random numbers (``abm.streams``: one uniform per decision, week and row), so the reference
is an exact oracle:

* one week of each patient phase, from the same population, makes exactly the same changes;
* whole runs give the same weekly metrics, bit for bit, in three scenarios (the baseline, a
  scheduled policy and a lever moved live);
* the check has power: the reference with onset of need x1.5 differs at once.

A difference names the first week and column that differ.
"""

from __future__ import annotations

import numpy as np
import pytest

from abm.model import ICSModel
from abm.population import FIELDS, SETTING_LABELS, Acuity, Population, Setting
from agents import patient, reference
from agents.reference import ObjectPopulation, PatientAgent

# whole runs: the reference costs a few seconds a run here
SCENARIO = {"population": 3000, "years": 2, "burn_in_weeks": 13}
# one week of each phase: a run's population after 30 weeks, replicated
STATE = {"population": 3000, "years": 1, "burn_in_weeks": 0}
REPLICATES = 5  # 15,000 people


def weekly_metrics(
    engine: str,
    scenario: str = "baseline",
    seed: int = 3,
    live: tuple | None = None,
    onset_multiplier: float = 1.0,
    overrides: dict | None = None,
) -> np.ndarray:
    """A whole run's weekly metrics; ``live`` = (reporting week, lever, value) moved during the run;
    ``onset_multiplier`` perturbs the reference's onset of need (the vectorised engine is untouched);
    ``overrides`` are scenario values by dotted path."""
    original = reference.onset_prob
    if onset_multiplier != 1.0:
        reference.onset_prob = lambda *args: min(onset_multiplier * original(*args), 1.0)
    try:
        model = ICSModel(scenario, **SCENARIO, **(overrides or {}), rng=seed, patients=engine)
        while not model.finished:
            if live is not None and model.reporting_week == live[0]:
                model.set_lever(live[1], live[2])
            model.step()
        return model.metrics.data[: model.metrics.recorded].copy()
    finally:
        reference.onset_prob = original


def first_difference(a: np.ndarray, b: np.ndarray) -> str:
    from abm.metrics import COLUMNS

    week, place, column = np.argwhere(a != b)[0]
    here = (week, place, column)
    return f"week {week}, place row {place}, {COLUMNS[column]}: arrays {a[here]} objects {b[here]}"


# ---------------------------------------------------------------------------
# the reference engine runs and keeps its agents and arrays consistent
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def objects_model():
    return ICSModel(population=2000, years=1, burn_in_weeks=8, rng=7, patients="objects").run()


def test_reference_run_conserves_people(objects_model):
    acc = objects_model.people_accounts()
    assert acc["start"] + acc["entered"] == acc["alive"] + acc["dead"] + acc["left"]
    assert acc["entered"] > 0 and acc["dead"] > 0 and acc["left"] > 0
    assert objects_model.metrics.recorded == 52


def test_reference_has_one_agent_per_row(objects_model):
    pop = objects_model.pop
    assert isinstance(pop, ObjectPopulation)
    agents = objects_model.agents_by_type[PatientAgent]
    assert len(agents) == len(pop.agents) == pop.n
    assert [a.row for a in pop.agents] == list(range(pop.n))


def test_reference_journeys_end_where_people_are(objects_model):
    pop, labels = objects_model.pop, set(SETTING_LABELS.values())
    for i in range(pop.n):
        journey = pop.journey(i)
        assert journey and {label for _, label in journey} <= labels
        assert journey[-1][1] == SETTING_LABELS[Setting(int(pop.setting[i]))]
    travelled = max(range(pop.n), key=lambda i: len(pop.journey(i)))
    record = objects_model.patient(travelled)
    assert len(record["journey"]) > 2 and record["setting"] == record["journey"][-1][1]


def test_sync_round_trip_changes_nothing(objects_model):
    pop = objects_model.pop
    before = {name: getattr(pop, name).copy() for name in FIELDS}
    history = pop._hist_count[: pop.n].copy()
    pop.sync_to_objects()
    for name in ("age", "setting", "frailty", "will_seek"):
        assert [getattr(a, name) for a in pop.agents] == before[name].tolist()
    pop.sync_from_objects()
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(pop, name), before[name], err_msg=name)
    np.testing.assert_array_equal(pop._hist_count[: pop.n], history)


def test_writes_while_agents_hold_the_state_are_refused():
    model = ICSModel(population=1000, years=1, burn_in_weeks=0, rng=3, patients="objects")
    with pytest.raises(RuntimeError):
        reference.need(model)  # before demography this week
    reference.demography(model)
    with pytest.raises(RuntimeError):
        model.pop.move(np.array([0]), Setting.ED)
    with pytest.raises(RuntimeError):
        model.pop.assign("acuity", np.array([0]), Acuity.HIGH)
    reference.need(model)
    reference.seek_care(model)
    model.pop.assign("acuity", np.array([0]), Acuity.HIGH)  # the arrays hold the state again


def test_reference_is_deterministic_given_the_seed():
    def outputs(seed):
        model = ICSModel(population=1000, years=1, burn_in_weeks=0, rng=seed, patients="objects").run(12)
        return model.metrics.data[:12], model.pop.setting

    (metrics_a, setting_a), (metrics_b, setting_b) = outputs(5), outputs(5)
    np.testing.assert_array_equal(metrics_a, metrics_b)
    np.testing.assert_array_equal(setting_a, setting_b)


# ---------------------------------------------------------------------------
# one week of each patient phase, from the same population
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def state():
    model = ICSModel(**STATE, rng=11).run(30)
    return {name: np.tile(getattr(model.pop, name), REPLICATES) for name in FIELDS}


def one_week_of(phase: str, engine: str, state: dict, seed: int) -> dict[str, int]:
    """Apply one patient phase to the population ``state`` with one engine; count what changed."""
    model = ICSModel(**STATE, rng=seed, patients=engine)
    n = len(state["age"])
    model.pop = Population(n + 1000) if engine == "arrays" else ObjectPopulation(model, n + 1000)
    model.pop.add(n, **state)
    if engine == "arrays":
        getattr(patient, phase)(model)
    else:
        pop = model.pop
        if phase != "demography":
            pop.sync_to_objects()
        getattr(reference, phase)(model)
        if phase != "seek_care":
            pop.sync_from_objects()
    return tally(model, state)


def tally(model, before: dict) -> dict[str, int]:
    pop, n = model.pop, len(before["age"])
    a0, a1 = before["acuity"], pop.acuity[:n]
    s0, s1 = before["setting"], pop.setting[:n]
    seek = pop.will_seek[:n]
    counts = {
        f"acuity {Acuity(i).name}->{Acuity(j).name}": int(np.count_nonzero((a0 == i) & (a1 == j)))
        for i in range(4)
        for j in range(4)
        if i != j
    }
    started = (a0 == Acuity.WELL) & (a1 > Acuity.WELL)
    worse = (a0 == Acuity.LOW) & (a1 == Acuity.HIGH)
    counts |= {
        "episodes started, will seek": int(np.count_nonzero(started & seek)),
        "episodes started, will not seek": int(np.count_nonzero(started & ~seek)),
        "low->high, will seek": int(np.count_nonzero(worse & seek)),
        "low->high, will not seek": int(np.count_nonzero(worse & ~seek)),
        "rationed cleared": int(np.count_nonzero(before["rationed"] & ~pop.rationed[:n])),
        "birthdays": int(np.count_nonzero(pop.age[:n] != before["age"])),
        "frailty drift": int(np.count_nonzero(pop.frailty[:n] != before["frailty"])),
        "entrants": int(pop.n - n),
    }
    for setting in np.unique(np.concatenate([s0, s1])):
        counts[f"moved to {SETTING_LABELS[Setting(int(setting))]}"] = int(
            np.count_nonzero((s1 == setting) & (s0 != setting))
        )
    return counts


@pytest.mark.parametrize("phase", ["demography", "need", "seek_care"])
def test_one_week_of_each_phase_is_the_same_in_both_engines(phase, state):
    arrays = one_week_of(phase, "arrays", state, seed=21)
    objects = one_week_of(phase, "objects", state, seed=21)
    assert sum(arrays.values()) > 0
    assert arrays == objects, {k: (arrays[k], objects.get(k)) for k in arrays if arrays[k] != objects.get(k)}


# ---------------------------------------------------------------------------
# whole runs: the same weekly metrics
# ---------------------------------------------------------------------------


def test_engines_give_the_same_weekly_metrics():
    a, b = weekly_metrics("arrays"), weekly_metrics("objects")
    assert a.shape == b.shape and (a != b).sum() == 0, first_difference(a, b)


@pytest.mark.slow
@pytest.mark.parametrize(
    "scenario, live", [("social_care_cuts", None), ("baseline", (30, "acute_beds_multiplier", 0.8))]
)
def test_engines_agree_with_a_policy_and_a_live_lever(scenario, live):
    a, b = weekly_metrics("arrays", scenario, seed=5, live=live), weekly_metrics("objects", scenario, seed=5, live=live)
    assert a.shape == b.shape and (a != b).sum() == 0, first_difference(a, b)


@pytest.mark.slow
def test_engines_agree_when_a_gp_backlog_sends_minor_need_to_pharmacies():
    """A GP cut: patients deterred by the backlog, or signposted, take minor need to a pharmacy (self-care)."""
    cut = {"params.gp.appointments_per_head_year": 4.0}
    a, b = weekly_metrics("arrays", overrides=cut), weekly_metrics("objects", overrides=cut)
    assert a.shape == b.shape and (a != b).sum() == 0, first_difference(a, b)
    from abm.metrics import COLUMNS

    assert a[:, -1, COLUMNS.index("minor_need_to_pharmacy")].sum() > 100  # the pharmacy route is exercised


@pytest.mark.slow
def test_the_oracle_detects_a_perturbed_rule():
    a, b = weekly_metrics("arrays"), weekly_metrics("objects", onset_multiplier=1.5)
    assert reference.onset_prob is patient.onset_prob  # restored
    assert (a != b).any()
    from abm.metrics import COLUMNS

    unmet = COLUMNS.index("unmet_need")
    assert b[:, -1, unmet].sum() > a[:, -1, unmet].sum() * 1.1  # more need, visibly
