"""The model in other tools: the EMA Workbench (experiments.workbench) and a Dask cluster object (dask-jobqueue's).

One tiny exploratory design (2,000 people, one year, 4 burn-in weeks: about 0.4 s a run;
2 policies x 2 scenarios) is swept once by ``abm sweep``'s machinery; the EMA Workbench's
``perform_experiments`` and a sweep on a cluster object must give the same outcomes.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest
import yaml

from experiments.design import load_design
from experiments.sweep import SweepError, run_sweep, scheduler_address

DESIGN = {
    "name": "interop",
    "base": "baseline",
    "population": 2000,
    "years": 1,
    "set": {"burn_in_weeks": 4},
    "levers": {"acute_beds_multiplier": [0.8, 1.3], "funding_shift_pct": [1.0]},
    "uncertainties": {
        "demand_multiplier": {"distribution": "triangular", "low": 0.9, "mode": 1.0, "high": 1.25},
        "chs_contract": {"distribution": "categorical", "values": ["block", "outcome"]},
    },
    "sampling": {"method": "lhs", "samples": 2},
    "seed": 7,
    "outcomes": {
        "delayed_discharge_days": {"column": "delayed_discharge_bed_days", "aggregation": "sum"},
        "admissions_per_1000": {"column": "emergency_admissions", "aggregation": "per_1000"},
        "peak_occupancy": {"column": "bed_occupancy", "aggregation": "max", "direction": "maximise"},
    },
}


@pytest.fixture(scope="module")
def design_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("design") / "interop.yaml"
    path.write_text(yaml.safe_dump(DESIGN))
    return path


@pytest.fixture(scope="module")
def swept(design_file, tmp_path_factory) -> Path:
    """The design swept in this process, as ``abm sweep`` runs it."""
    out = tmp_path_factory.mktemp("sweep") / "sweep"
    assert run_sweep(load_design(design_file), out, progress=False).ok == 4
    return out


def sweep_outcomes(out: Path) -> dict[str, dict]:
    """Each run's declared outcomes, by run id."""
    return {d.name: json.loads((d / "summary.json").read_text())["outcomes"] for d in sorted((out / "runs").iterdir())}


# --------------------------------------------------------------------------- the EMA Workbench
def ema():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ipyparallel not installed"
        import ema_workbench
    return ema_workbench


def test_the_model_has_the_designs_levers_uncertainties_and_outcomes(design_file):
    from experiments.workbench import workbench_model

    wb = ema()
    model = workbench_model(design_file)
    levers = {p.name: p for p in model.levers}
    assert set(levers) == {"acute_beds_multiplier"}
    assert isinstance(levers["acute_beds_multiplier"], wb.CategoricalParameter)
    assert [c.value for c in levers["acute_beds_multiplier"].categories] == [0.8, 1.3]
    uncertainties = {p.name: p for p in model.uncertainties}
    demand = uncertainties["demand_multiplier"]  # triangular: its bounds (EMA samples it uniformly)
    assert isinstance(demand, wb.RealParameter) and (demand.lower_bound, demand.upper_bound) == (0.9, 1.25)
    assert isinstance(uncertainties["chs_contract"], wb.CategoricalParameter)
    constants = {c.name: c.value for c in model.constants}
    assert constants["funding_shift_pct"] == 1.0  # a one-value lever is a constant
    assert constants["seed"] == load_design(design_file).seeds[0]
    kinds = {o.name: o.kind for o in model.outcomes}
    assert kinds == {
        "delayed_discharge_days": wb.ScalarOutcome.MINIMIZE,
        "admissions_per_1000": wb.ScalarOutcome.MINIMIZE,
        "peak_occupancy": wb.ScalarOutcome.MAXIMIZE,
    }


def test_perform_experiments_gives_what_the_sweep_gives(design_file, swept):
    from experiments.workbench import design_policies, design_scenarios, workbench_model

    wb = ema()
    plan = load_design(design_file)
    model = workbench_model(plan)
    scenarios, policies = design_scenarios(plan), design_policies(plan)
    assert (len(scenarios), len(policies)) == (2, 2)
    experiments, outcomes = wb.perform_experiments(
        model, scenarios=scenarios, policies=policies, evaluator=wb.SequentialEvaluator(model)
    )
    assert len(experiments) == 4
    by_run = sweep_outcomes(swept)
    names = ("acute_beds_multiplier", "demand_multiplier", "chs_contract")
    runs = {tuple(plan.points[run["point"]]["values"][n] for n in names): run["run_id"] for run in plan.runs()}
    for i, row in experiments.iterrows():
        run_id = runs[tuple(row[n] for n in names)]  # the same inputs, to the bit
        for name in plan.outcomes:
            assert outcomes[name][i] == by_run[run_id][name], (run_id, name)  # the same outcome, to the bit
    assert len(set(outcomes["delayed_discharge_days"])) > 1  # the inputs reach the model


def test_emas_own_sampling_runs_the_model(design_file):
    """``scenarios=N``: EMA's Latin hypercube over the parameters (uniform in each range)."""
    from experiments.workbench import workbench_model

    wb = ema()
    model = workbench_model(design_file)
    experiments, outcomes = wb.perform_experiments(
        model, scenarios=2, policies=1, evaluator=wb.SequentialEvaluator(model)
    )
    assert len(experiments) == 2
    assert all(0.9 <= v <= 1.25 for v in experiments["demand_multiplier"])
    assert all(math.isfinite(v) for name in outcomes for v in outcomes[name])


def test_every_distribution_maps_to_an_ema_parameter(tmp_path):
    from experiments.workbench import design_policies, design_scenarios, workbench_model

    wb = ema()
    design = {
        **DESIGN,
        "levers": {"acute_beds_multiplier": {"distribution": "uniform", "low": 0.9, "high": 1.1}},
        "uncertainties": {
            "attrition_multiplier": {"distribution": "normal", "mean": 1.0, "sd": 0.1, "low": 0.8, "high": 1.25},
            "demand_multiplier": {"distribution": "lognormal", "median": 1.0, "sigma": 0.1, "low": 0.9, "high": 1.2},
            "delegation_to_place": {"distribution": "boolean", "p": 0.3},
            "delegation_start_year": {"distribution": "discrete", "values": [1, 3]},
            "funding_shift_start_year": {"distribution": "uniform", "low": 1, "high": 3},
        },
        "sampling": {"method": "lhs", "samples": 2, "policies": 2},
    }
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump(design))
    plan = load_design(path)
    model = workbench_model(plan)
    kinds = {p.name: type(p) for p in [*model.levers, *model.uncertainties]}
    assert kinds["acute_beds_multiplier"] is wb.RealParameter
    assert kinds["attrition_multiplier"] is wb.RealParameter
    assert kinds["demand_multiplier"] is wb.RealParameter
    assert kinds["delegation_to_place"] is wb.BooleanParameter
    assert kinds["delegation_start_year"] is wb.CategoricalParameter
    start = next(p for p in model.uncertainties if p.name == "funding_shift_start_year")  # a whole number
    assert isinstance(start, wb.IntegerParameter) and (start.lower_bound, start.upper_bound) == (1, 3)
    assert len(design_policies(plan)) == 2  # sampled levers: the design's draws
    for scenario in design_scenarios(plan):
        assert set(scenario) == {p.name for p in model.uncertainties}


# --------------------------------------------------------------------------- a Dask cluster object
def test_a_sweep_runs_on_a_cluster_object(design_file, swept, tmp_path):
    """dask-jobqueue's SLURMCluster is handed to run_sweep as it is; dask's LocalCluster stands in for it."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert scheduler_address(cluster) == cluster.scheduler_address
        report = run_sweep(
            load_design(design_file), tmp_path / "sweep", backend="dask", scheduler=cluster, progress=False
        )
    assert report.ok == 4
    assert sweep_outcomes(tmp_path / "sweep") == sweep_outcomes(swept)


def test_a_scheduler_that_is_neither_address_nor_cluster_is_refused(design_file, tmp_path):
    with pytest.raises(SweepError, match="scheduler_address"):
        run_sweep(load_design(design_file), tmp_path / "sweep", backend="dask", scheduler=8786, progress=False)
    assert not (tmp_path / "sweep").exists()
