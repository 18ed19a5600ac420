"""Differential tests: the vectorised patient rules against the object-per-patient reference.

``agents/reference.py`` applies the same rules person by person (Mesa agents,
scalar draws); ``agents/patient.py`` applies them as array operations.  They
use different random streams, so they agree in distribution, not run by run:

* one week of each patient phase, from the same (replicated) population, gives
  the same counts of each kind of change, within Poisson noise (fast and
  sensitive, and it names the rule that drifted);
* whole runs over many seeds give the same annual emergency admissions and
  unmet need per 1,000: no significant difference (Welch t-test) and a
  difference in means within 10% of the vectorised mean;
* the whole-run check has power: the reference with onset of need x1.5
  fails it.

The comparisons are relative (the two engines on the same scenario), so they
hold while the parameters are re-tuned.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from joblib import Parallel, delayed
from scipy import stats

from abm.model import ICSModel
from abm.population import FIELDS, SETTING_LABELS, Acuity, Population, Setting
from agents import patient, reference
from agents.reference import ObjectPopulation, PatientAgent

# whole runs: one scenario, fixed seeds; the reference costs ~5 s a run here
SCENARIO = {"population": 3000, "years": 2, "burn_in_weeks": 13}
ARRAY_SEEDS = range(100, 116)  # the vectorised engine is cheap: more seeds, smaller standard error
OBJECT_SEEDS = range(200, 205)
PERTURBED_SEEDS = range(300, 302)
METRICS = ("emergency_admissions", "unmet_need")
ALPHA = 0.001  # Welch t-test, per metric: false alarms stay rare
MARGIN = 0.10  # practical equivalence: |difference in means| <= 10% of the vectorised mean

# one week of each phase: a run's population after 30 weeks, replicated
STATE = {"population": 3000, "years": 1, "burn_in_weeks": 0}
REPLICATES = 20  # 60,000 people
Z_LIMIT = 4.5  # per count; two-sided p ~ 7e-6


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def annual_rates(model: ICSModel) -> dict[str, float]:
    """Per-run annual rates per 1,000 people (ICS rows): counts summed / mean population x 1000 / years."""
    df = model.metrics.frame()
    ics = df[df.place == "ICS"]
    years = len(ics) / 52
    return {m: float(ics[m].sum() / ics.population.mean() * 1000 / years) for m in METRICS}


def run_rates(engine: str, seed: int, onset_multiplier: float = 1.0) -> dict[str, float]:
    """One run's rates; ``onset_multiplier`` perturbs the reference's onset of need (the vectorised engine is untouched)."""
    original = reference.onset_prob
    if onset_multiplier != 1.0:
        reference.onset_prob = lambda *args: np.minimum(onset_multiplier * original(*args), 1.0)
    try:
        return annual_rates(ICSModel(**SCENARIO, rng=seed, patients=engine).run())
    finally:
        reference.onset_prob = original


def many_runs(engine: str, seeds, onset_multiplier: float = 1.0) -> dict[str, np.ndarray]:
    """Rates for each seed, in worker processes where there are two cores."""
    jobs = min(2, os.cpu_count() or 1)
    rows = Parallel(n_jobs=jobs)(delayed(run_rates)(engine, s, onset_multiplier) for s in seeds)
    return {m: np.array([r[m] for r in rows]) for m in METRICS}


def compare(arrays: dict[str, np.ndarray], objects: dict[str, np.ndarray]) -> dict[str, dict]:
    """Per metric: Welch t-test p-value, relative difference in means, and whether either check fails."""
    out = {}
    for m in METRICS:
        a, o = arrays[m], objects[m]
        p = float(stats.ttest_ind(a, o, equal_var=False).pvalue)
        rel = float((o.mean() - a.mean()) / a.mean())
        out[m] = {"arrays_mean": float(a.mean()), "objects_mean": float(o.mean()), "p": p, "relative_difference": rel,
                  "differs": p < ALPHA or abs(rel) > MARGIN}
    return out


@pytest.fixture(scope="module")
def arrays_rates():
    return many_runs("arrays", ARRAY_SEEDS)


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
    counts = {f"acuity {Acuity(i).name}->{Acuity(j).name}": int(np.count_nonzero((a0 == i) & (a1 == j)))
              for i in range(4) for j in range(4) if i != j}
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
        counts[f"moved to {SETTING_LABELS[Setting(int(setting))]}"] = int(np.count_nonzero((s1 == setting) & (s0 != setting)))
    return counts


@pytest.mark.parametrize("phase", ["demography", "need", "seek_care"])
def test_one_week_of_each_phase_agrees(phase, state):
    arrays = one_week_of(phase, "arrays", state, seed=21)
    objects = one_week_of(phase, "objects", state, seed=22)
    assert arrays.keys() == objects.keys()
    assert sum(arrays.values()) > 0
    z = {k: (objects[k] - arrays[k]) / np.sqrt(max(objects[k] + arrays[k], 1)) for k in arrays}
    bad = {k: (arrays[k], objects[k], round(z[k], 1)) for k in z if abs(z[k]) > Z_LIMIT}
    assert not bad, f"{phase}: counts differ between engines (arrays, objects, z): {bad}"


# ---------------------------------------------------------------------------
# whole runs over many seeds
# ---------------------------------------------------------------------------

@pytest.mark.slow
def test_engines_agree_over_many_seeds(arrays_rates):
    result = compare(arrays_rates, many_runs("objects", OBJECT_SEEDS))
    failing = {m: r for m, r in result.items() if r["differs"]}
    assert not failing, f"the reference and the vectorised engine disagree: {failing}"


@pytest.mark.slow
def test_the_comparison_detects_a_perturbed_rule(arrays_rates):
    result = compare(arrays_rates, many_runs("objects", PERTURBED_SEEDS, onset_multiplier=1.5))
    assert reference.onset_prob is patient.onset_prob  # restored
    assert result["unmet_need"]["differs"], result
    assert result["unmet_need"]["relative_difference"] > MARGIN
