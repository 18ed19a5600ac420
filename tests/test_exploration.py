"""Exploratory designs (levers:, uncertainties:, declared outcomes:), abm discover, abm robustness,
adding replications to a sweep, the dummy input and partial rank correlations.

The analyses are checked on synthetic tables whose answer is known; the commands on small
sweeps (2,000 people, one year).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from abm import cli
from experiments.design import DUMMY, DesignError, load_design
from experiments.distributions import Distribution
from experiments.outcomes import Outcome, compute, evaluate, expression_problems, value
from experiments.robustness import regret_tables
from experiments.summarize import prcc

TINY = {"population": 2000, "years": 1, "set": {"burn_in_weeks": 4}, "seed": 11}
EXPLORE = {
    **TINY,
    "name": "explore",
    "levers": {"acute_beds_multiplier": [0.8, 1.2], "social_care_capacity_multiplier": {"values": [0.8, 1.2]}},
    "uncertainties": {
        "demand_multiplier": {"distribution": "triangular", "low": 0.9, "mode": 1.0, "high": 1.3},
        "attrition_multiplier": {"distribution": "normal", "mean": 1.0, "sd": 0.1, "low": 0.8, "high": 1.2},
        "chs_contract": {"distribution": "categorical", "values": ["block", "outcome"]},
        "delegation_to_place": {"distribution": "boolean"},
    },
    "sampling": {"method": "lhs", "samples": 5},
    "replications": 1,
    "outcomes": {
        "delayed": {"column": "delayed_discharge_bed_days", "aggregation": "sum", "direction": "minimise"},
        "admissions": {
            "column": "emergency_admissions",
            "aggregation": "per_1000",
            "direction": "minimise",
            "threshold": 110,
        },
        "north_occupancy": {"column": "bed_occupancy", "scope": "North", "aggregation": "max", "window": [0.5, 1]},
    },
}


def write(directory: Path, data: dict, name: str = "design.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems_of(tmp_path: Path, data: dict, **kwargs) -> list[str]:
    with pytest.raises(DesignError) as exc:
        load_design(write(tmp_path, data), **kwargs)
    return exc.value.problems


# --------------------------------------------------------------------------- distributions
def test_each_distribution_maps_quantiles_onto_its_values():
    u = (np.arange(2000) + 0.5) / 2000  # evenly spread quantiles
    uniform = Distribution("uniform", low=2.0, high=4.0).ppf(u)
    assert min(uniform) > 2.0 and max(uniform) < 4.0 and np.mean(uniform) == pytest.approx(3.0, abs=1e-3)
    triangular = Distribution("triangular", low=0.0, mode=0.0, high=1.0).ppf(np.array([0.75]))
    assert triangular[0] == pytest.approx(0.5)  # F(x) = 1 - (1 - x)^2 on a right triangle
    normal = Distribution("normal", mean=1.0, sd=0.1, low=0.9, high=1.3).ppf(u)
    assert min(normal) >= 0.9 and max(normal) <= 1.3 and np.median(normal) > 1.0  # truncated more below
    lognormal = Distribution("lognormal", median=100.0, sigma=0.5, low=10.0, high=1000.0).ppf(np.array([0.5]))
    assert lognormal[0] == pytest.approx(100.0, rel=1e-6)  # symmetric truncation on the log scale
    discrete = Distribution("discrete", values=[1, 3, 5], weights=[2, 1, 1]).ppf(u)
    assert [discrete.count(v) / len(u) for v in (1, 3, 5)] == [0.5, 0.25, 0.25]
    assert set(Distribution("categorical", values=["a", "b"]).ppf(u)) == {"a", "b"}
    booleans = Distribution("boolean", p=0.3).ppf(u)
    assert sum(booleans) / len(u) == pytest.approx(0.3) and all(isinstance(b, bool) for b in booleans)


# --------------------------------------------------------------------------- designs
def test_levers_are_crossed_with_one_sample_of_the_uncertainties(tmp_path):
    plan = load_design(write(tmp_path, EXPLORE))
    assert len(plan.points) == 4 * 5 and not any(p["base"] for p in plan.points)
    assert [f.role for f in plan.factors] == ["lever"] * 2 + ["uncertainty"] * 4
    assert plan.outcomes == ["delayed", "admissions", "north_occupancy"]
    uncertain = [f.name for f in plan.uncertainties]
    by_scenario: dict[int, set] = {}
    for point in plan.points:  # every policy sees the same scenarios
        by_scenario.setdefault(point["scenario"], set()).add(json.dumps([point["values"][u] for u in uncertain]))
    assert len(by_scenario) == 5 and all(len(rows) == 1 for rows in by_scenario.values())
    values = [p["values"] for p in plan.points]
    assert {v["chs_contract"] for v in values} <= {"block", "outcome"}
    assert all(isinstance(v["delegation_to_place"], bool) for v in values)
    assert all(0.8 <= v["attrition_multiplier"] <= 1.2 and 0.9 <= v["demand_multiplier"] <= 1.3 for v in values)
    demand = sorted({v["demand_multiplier"] for v in values})
    assert len(demand) == 5  # a Latin hypercube: one draw in each fifth of the distribution
    assert plan.fingerprint() == load_design(write(tmp_path, EXPLORE, "again.yaml")).fingerprint()


def test_samples_from_the_command_line_and_sampled_levers(tmp_path):
    assert len(load_design(write(tmp_path, EXPLORE), samples=3).points) == 4 * 3
    data = {
        **EXPLORE,
        "levers": {"acute_beds_multiplier": {"distribution": "uniform", "low": 0.8, "high": 1.2}},
        "sampling": {"samples": 4, "policies": 3},
    }
    plan = load_design(write(tmp_path, data))
    policies = {p["cell"]: p["values"]["acute_beds_multiplier"] for p in plan.points}
    assert len(plan.points) == 3 * 4 and len(set(policies.values())) == 3


def test_every_problem_of_an_exploratory_design_is_named(tmp_path):
    data = {
        **TINY,
        "levers": {"acute_beds_multiplyer": [1.0, 1.2]},
        "uncertainties": {
            "demand_multiplier": {"distribution": "normal", "mean": 1.0, "low": 0.8, "high": 1.2, "mode": 1},
            "recruitment_multiplier": {"distribution": "uniform", "low": 1.5, "high": 0.5},
            "delegation_to_place": {"distribution": "uniform", "low": 0, "high": 1},
            "chs_contract": {"distribution": "categorical", "values": ["block", "outcme"]},
            "data_quality": {"distribution": "poisson"},
        },
        "outcomes": {
            "a": {"column": "emergency_admisions", "aggregation": "total"},
            "b": {"column": "bed_occupancy", "scope": "Nrth", "window": [0, 2]},
            "c": {"expression": "__import__('os') ** 2"},
        },
    }
    problems = problems_of(tmp_path, data)
    expected = [
        "levers.acute_beds_multiplyer: unknown factor (did you mean 'acute_beds_multiplier'?)",
        "uncertainties.demand_multiplier.mode: not used by a normal distribution; it takes mean, sd, low, high",
        "uncertainties.demand_multiplier.sd: missing; a normal distribution takes mean, sd, low, high",
        "uncertainties.recruitment_multiplier.low, high: [1.5, 0.5] is not an interval with low < high",
        "uncertainties.delegation_to_place.distribution: levers.delegation_to_place is true/false; allowed: boolean",
        "uncertainties.chs_contract: levers.chs_contract: 'outcme' is not allowed",
        "uncertainties.data_quality.distribution: 'poisson' is not allowed; allowed: one of 'uniform'",
        "outcomes.a.aggregation: 'total' is not allowed; allowed: one of 'sum', 'mean', 'final', 'max', 'per_1000'",
        "outcomes.a.column: 'emergency_admisions' is not a weekly metrics column (did you mean",
        "outcomes.b.scope: 'Nrth' is not a Place (did you mean 'North'?); allowed: ICS, North, Central, South",
        "outcomes.b.window: [0.0, 2.0] ends after the horizon of 1 year(s); allowed: to <= 1",
        "outcomes.c.expression: Call is not allowed; allowed: column names, numbers, + - * / and brackets",
        "outcomes.c.expression: Pow is not allowed",
    ]
    for text in expected:
        assert any(p.startswith(text) for p in problems), f"{text!r} not in {problems}"
    both = problems_of(tmp_path, {**EXPLORE, "factors": {"data_quality": [0.2, 0.8]}})
    assert any(p.startswith("factors: a design gives either factors: or levers: and uncertainties:") for p in both)
    assert problems_of(tmp_path, {**TINY, "factors": {"data_quality": [0.2]}}, samples=4) == [
        "--samples 4: the design samples nothing (it has no sampling: section)"
    ]


def test_shipped_exploratory_design_loads():
    plan = load_design(Path(__file__).resolve().parent.parent / "experiments/designs/explore_discharge.yaml")
    assert len(plan.levers) == 2 and len(plan.uncertainties) == 4 and all(m["direction"] for m in plan.measures)


# --------------------------------------------------------------------------- outcomes
def metrics_frame() -> pd.DataFrame:
    """Two Places and the ICS over 104 weeks: admissions = the week number (ICS) and 1 (North)."""
    rows = []
    for week in range(104):
        rows.append(
            {"week": week, "year": week // 52, "place": "ICS", "emergency_admissions": week, "population": 1000}
        )
        rows.append({"week": week, "year": week // 52, "place": "North", "emergency_admissions": 1, "population": 500})
    frame = pd.DataFrame(rows)
    frame["bed_occupancy"] = frame["week"] / 100
    return frame


def test_outcomes_aggregate_the_scope_and_window_they_name():
    metrics = metrics_frame()
    ics = sum(range(104))
    assert value(metrics, Outcome(column="emergency_admissions", aggregation="sum")) == ics
    assert value(metrics, Outcome(column="emergency_admissions", aggregation="mean")) == ics / 104
    assert value(metrics, Outcome(column="emergency_admissions", aggregation="final", window=[0, 1])) == 51
    assert value(metrics, Outcome(column="bed_occupancy", aggregation="max", window=[0, 1])) == 0.51
    assert value(metrics, Outcome(column="emergency_admissions", aggregation="sum", window=[1, 2])) == sum(
        range(52, 104)
    )
    # per 1,000 people a year: 104 admissions over 2 years among 500 people
    north = Outcome(column="emergency_admissions", scope="North", aggregation="per_1000")
    assert value(metrics, north) == pytest.approx(104 / 500 * 1000 / 2)
    ratio = Outcome(expression="emergency_admissions / population * 1000", aggregation="final")
    assert value(metrics, ratio) == pytest.approx(103 / 1000 * 1000)
    records = [{"name": "total", "column": "emergency_admissions", "aggregation": "sum"}]
    assert compute(metrics, records) == {"total": ics}
    assert list(evaluate("2 * -emergency_admissions + 1", metrics.head(2))) == [1.0, -1.0]
    assert expression_problems("emergency_admissions / population") == []
    assert expression_problems("emergency_admissions.sum()") != []


# --------------------------------------------------------------------------- PRIM and CART
def test_prim_finds_the_box_that_made_the_cases():
    from experiments.discovery import find_box

    rng = np.random.default_rng(4)
    n = 600
    table = pd.DataFrame(
        {
            "a": rng.random(n),
            "b": rng.random(n),
            "noise": rng.random(n),
            "contract": rng.choice(["block", "outcome"], n),
        }
    )
    table["y"] = ((table["a"] > 0.6) & (table["b"] < 0.5) & (table["contract"] == "block")).astype(float)
    result = find_box(table, "y", "above", 0.5, min_density=0.95)
    stats = result.stats
    assert stats["density"] >= 0.95 and stats["coverage"] >= 0.95
    box = result.box.set_index("input")
    assert set(box.index) == {"a", "b", "contract"}  # the noise input is left unrestricted
    assert box.loc["a", "low"] == pytest.approx(0.6, abs=0.05) and np.isnan(box.loc["a", "qp_high"])
    assert box.loc["b", "high"] == pytest.approx(0.5, abs=0.05)
    assert box.loc["contract", "box"] == "{block}"
    assert (box[["qp_low", "qp_high"]].min(axis=1) < 1e-6).all()  # every restriction matters
    trajectory = result.trajectory
    assert trajectory["coverage"].is_monotonic_decreasing and trajectory["chosen"].sum() == 1
    assert trajectory.loc[0, "density"] == pytest.approx(table["y"].mean())
    assert result.cart is not None and (result.cart["density"] == 1).any()
    same = find_box(table, "y", "above", 0.5, min_density=0.95)
    assert same.chosen == result.chosen and same.cart.equals(result.cart)  # type: ignore[union-attr]


# --------------------------------------------------------------------------- robustness
def test_regret_satisficing_and_percentiles_by_hand():
    # three policies in four scenarios; outcome to minimise
    values = {0: [10, 20, 30, 40], 1: [12, 18, 35, 38], 2: [11, 25, 29, 50]}
    frame = pd.DataFrame(
        [{"policy": p, "scenario": s, "cost": v} for p, row in values.items() for s, v in enumerate(row)]
    )
    table, regret = regret_tables(frame, {"cost": {"direction": "minimise", "threshold": 30}})
    by = table.set_index("policy")
    best = [min(values[p][s] for p in values) for s in range(4)]  # 10, 18, 29, 38
    for p, row in values.items():
        regrets = [v - b for v, b in zip(row, best, strict=True)]
        assert by.loc[p, "max_regret"] == max(regrets) and by.loc[p, "mean_regret"] == np.mean(regrets)
        assert by.loc[p, "satisficing"] == sum(v <= 30 for v in row) / 4
        assert by.loc[p, "p50"] == np.median(row)
    assert list(by["max_regret"]) == [2, 6, 12] and list(by["rank_by_max_regret"]) == [1, 2, 3]
    assert (regret.groupby("scenario")["regret"].min() == 0).all()  # the best policy in a scenario has none
    maximise, _ = regret_tables(frame, {"cost": {"direction": "maximise", "threshold": None}})
    assert list(maximise.set_index("policy")["max_regret"]) == [10, 12, 6]  # best: 12, 25, 35, 50
    assert maximise["satisficing"].isna().all()


# --------------------------------------------------------------------------- partial rank correlation
def test_prcc_separates_effects_from_an_input_that_does_nothing():
    rng = np.random.default_rng(2)
    x = rng.random((80, 3))
    y = np.exp(2 * x[:, 0] - 2 * x[:, 1]) + 0.01 * rng.normal(size=80)  # monotone in each input, not linear
    estimate, half = prcc(x, y, seed=1, resamples=200)
    assert estimate[0] > 0.9 and estimate[1] < -0.9
    assert abs(estimate[2]) < half[2] + 0.05  # the idle input's interval reaches zero
    assert np.all(half > 0) and np.all(half < 0.5)
    again = prcc(x, y, seed=1, resamples=200)
    assert np.array_equal(again[1], half)  # a seeded bootstrap


# --------------------------------------------------------------------------- the commands on small sweeps
@pytest.fixture(scope="module")
def explored(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("explore")
    out = root / "sweep"
    assert cli.main(["sweep", str(write(root, EXPLORE)), "--out", str(out), "-q"]) == 0
    return out


def test_declared_outcomes_are_stored_with_each_run(explored):
    runs = sorted((explored / "runs").glob("*/summary.json"))
    assert len(runs) == 20
    outcomes = json.loads(runs[0].read_text())["outcomes"]
    assert set(outcomes) == {"delayed", "admissions", "north_occupancy"}
    assert 0 < outcomes["north_occupancy"] <= 1 and outcomes["admissions"] > 0


def test_the_same_exploration_with_two_processes_gives_the_same_numbers(explored, tmp_path):
    out = tmp_path / "two"
    assert cli.main(["sweep", str(write(tmp_path, EXPLORE)), "--out", str(out), "--jobs", "2", "-q"]) == 0
    for path in sorted((explored / "runs").glob("*/summary.json")):
        assert path.read_bytes() == (out / "runs" / path.parent.name / "summary.json").read_bytes()


def test_discover_prints_and_writes_the_box(explored, capsys):
    summary = [json.loads(p.read_text())["outcomes"]["delayed"] for p in (explored / "runs").glob("*/summary.json")]
    middle = float(np.median(summary))
    assert cli.main(["discover", str(explored), "--outcome", "delayed", "--above", str(middle)]) == 0
    out = capsys.readouterr().out
    assert "Peeling trajectory" in out and "Chosen box" in out and "coverage" in out and "quasi-p" in out
    folder = explored / "discovery" / f"delayed-above-{middle:g}"
    assert {p.name for p in folder.iterdir()} == {
        "trajectory.csv",
        "box.csv",
        "cases.csv",
        "cart.csv",
        "discovery.md",
        "discovery.json",
        "discovery.png",
    }
    record = json.loads((folder / "discovery.json").read_text())
    cases = pd.read_csv(folder / "cases.csv")
    assert record["points"] == len(cases) == 20 and record["of_interest"] == int(cases["of_interest"].sum())
    trajectory = pd.read_csv(folder / "trajectory.csv")
    chosen = trajectory[trajectory["chosen"]].iloc[0]
    inside = cases[cases["in_box"]]
    assert chosen["cases"] == len(inside) and chosen["density"] == pytest.approx(inside["of_interest"].mean())
    assert (folder / "discovery.png").read_bytes().startswith(b"\x89PNG")
    assert not [p for p in (explored / "discovery").iterdir() if p.name.startswith(".")]  # no work folder left


def test_discover_refuses_what_it_cannot_answer(explored, capsys):
    assert cli.main(["discover", str(explored), "--outcome", "nonsense", "--below", "1"]) == 2
    assert (
        "is not an outcome of this sweep; its outcomes: delayed, admissions, north_occupancy" in capsys.readouterr().err
    )
    assert cli.main(["discover", str(explored), "--outcome", "delayed", "--below", "-1"]) == 2
    assert "no design point has delayed below -1" in capsys.readouterr().err


def test_robustness_prints_and_writes_regret_and_satisficing(explored, capsys):
    assert cli.main(["robustness", str(explored), "--threshold", "delayed=200"]) == 0
    out = capsys.readouterr().out
    assert "Robustness of 4 policies over 5 scenarios" in out and "max regret" in out and "satisficing" in out
    table = pd.read_csv(explored / "robustness" / "robustness.csv")
    regret = pd.read_csv(explored / "robustness" / "regret.csv")
    assert len(table) == 4 * 3 and len(regret) == 4 * 5 * 3
    assert (regret.groupby(["outcome", "scenario"])["regret"].min() == 0).all()
    delayed = regret[regret["outcome"] == "delayed"]
    hand = (delayed["value"] <= 200).groupby(delayed["policy"]).mean()
    assert table[table["outcome"] == "delayed"].set_index("policy")["satisficing"].to_dict() == hand.to_dict()
    assert (explored / "robustness" / "robustness.png").read_bytes().startswith(b"\x89PNG")
    assert cli.main(["robustness", str(explored), "--outcome", "population"]) == 2
    assert "--direction population=minimise" in capsys.readouterr().err


@pytest.mark.slow
def test_replications_are_added_to_an_existing_sweep_with_their_seeds(tmp_path, capsys):
    data = {**EXPLORE, "levers": {"acute_beds_multiplier": [0.8, 1.2]}, "sampling": {"samples": 1}}
    design = write(tmp_path, data)
    grown, fresh = tmp_path / "grown", tmp_path / "fresh"
    assert cli.main(["sweep", str(design), "--out", str(grown), "--replications", "2", "-q"]) == 0
    before = {p.parent.name: p.read_bytes() for p in (grown / "runs").glob("*/summary.json")}
    assert cli.main(["sweep", str(design), "--out", str(grown), "--replications", "11", "-q"]) == 0
    assert "replications 2 -> 11: the 2 done keep their seeds" in capsys.readouterr().out
    assert cli.main(["sweep", str(design), "--out", str(fresh), "--replications", "11", "-q"]) == 0
    files = sorted(p.relative_to(fresh) for p in (fresh / "runs").glob("*/summary.json"))
    assert files == sorted(p.relative_to(grown) for p in (grown / "runs").glob("*/summary.json"))
    assert len(files) == 2 * 11
    for name in files:
        assert (grown / name).read_bytes() == (fresh / name).read_bytes()
    for old_id, text in before.items():  # renamed from p0-r1 to p0-r01 (two digits from 11 replications on)
        point, rep = old_id.split("-r")
        assert (grown / "runs" / f"{point}-r{int(rep):02d}" / "summary.json").read_bytes() == text
    table = pd.read_csv(grown / "runs.csv")
    assert (table["status"] == "ok").all() and len(table) == 22
    assert cli.main(["sweep", str(design), "--out", str(grown), "--replications", "3", "-q"]) == 2
    assert "replications: 11 -> 3" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("method", "samples", "index"), [("sobol", 4, "ST"), ("morris", 3, "mu_star"), ("lhs", 8, "prcc")]
)
def test_a_dummy_input_is_sampled_and_analysed_but_never_read(tmp_path, method, samples, index):
    data = {
        **TINY,
        "name": method,
        "factors": {"acute_beds_multiplier": {"range": [0.6, 1.4]}, "demand_multiplier": {"range": [0.8, 1.3]}},
        "sampling": {"method": method, "samples": samples, "dummy": True},
        # admission demand, not admissions: in this 4-bed hospital admissions are the beds, rank for rank, and a
        # perfect predictor leaves the other inputs' partial correlations undefined
        "outcomes": ["admission_demand_per_1000"],
    }
    plan = load_design(write(tmp_path, data))
    assert len(plan.sample[0]) == 3 and all(DUMMY not in p["values"] for p in plan.points)  # type: ignore[index]
    out = tmp_path / "sweep"
    assert cli.main(["sweep", str(write(tmp_path, data)), "--out", str(out), "-q"]) == 0
    assert cli.main(["summarize", str(out), "-q"]) == 0
    table = pd.read_csv(out / "summary" / "sensitivity.csv")
    assert set(table["factor"]) == {"acute_beds_multiplier", "demand_multiplier", DUMMY}
    assert table[(table["factor"] == DUMMY) & (table["index"] == index)]["value"].notna().all()
