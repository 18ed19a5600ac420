"""The model as an EMA Workbench model: a design's levers, uncertainties and outcomes, for ``perform_experiments``.

    from ema_workbench import SequentialEvaluator, perform_experiments

    from experiments.design import load_design
    from experiments.workbench import design_policies, design_scenarios, workbench_model

    plan = load_design("experiments/designs/explore_discharge.yaml")
    model = workbench_model(plan)
    experiments, outcomes = perform_experiments(
        model,
        scenarios=design_scenarios(plan),                # or scenarios=100: EMA's own Latin hypercube
        policies=design_policies(plan),
        evaluator=SequentialEvaluator(model),            # or MultiprocessingEvaluator(model)
    )

The model is a Python function model (:class:`ema_workbench.Model`).  Each experiment runs
through the sweep's own :func:`experiments.sweep.execute_run` (the design's base scenario, the
experiment's values by dotted key, one seed), and its outcomes are the design's declared outcomes
(:mod:`experiments.outcomes`) or headline figures, computed as ``abm sweep`` computes them.  So
the design's own scenarios and policies (:func:`design_scenarios`, :func:`design_policies`) give
exactly what ``abm sweep`` gives for the same points, replicate and seed.

How a design's inputs become EMA parameters:

- a grid lever (``[0.9, 1.0, 1.1]``): a ``CategoricalParameter`` of its values (a
  ``BooleanParameter`` for ``[true, false]``; one value only: a ``Constant``);
- ``uniform`` (or a ``range:`` factor): a ``RealParameter``, or an ``IntegerParameter`` for a
  whole-number key;
- ``triangular``, ``normal``, ``lognormal``: the same over their bounds ``[low, high]``.  EMA's
  own samplers (``scenarios=N``) draw them **uniformly** over the bounds, not from the shape;
  :func:`design_scenarios` gives the design's own draws, mapped through each shape;
- ``discrete``, ``categorical``: a ``CategoricalParameter`` of the values (EMA ignores ``weights``);
- ``boolean``: a ``BooleanParameter`` (EMA ignores ``p``).

The seed is a constant, ``seed``: the design's replicate ``replicate`` (0 by default), so every
experiment runs under common random numbers, as a sweep's points do.  Needs the EMA Workbench
(``pip install 'ics-abm[discovery]'``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from experiments.design import FactorPlan, Plan, load_design

MODEL_NAME = "icsabm"  # EMA model names are alphanumeric


class WorkbenchError(ValueError):
    """A design cannot be made into an EMA Workbench model, or the EMA Workbench is missing."""


def _ema():
    try:
        import ema_workbench
    except ImportError:
        raise WorkbenchError("the EMA Workbench is needed: pip install 'ics-abm[discovery]'") from None
    return ema_workbench


def ema_name(factor: FactorPlan) -> str:
    """A factor's name as an EMA parameter (a Python identifier: dots and other marks become _)."""
    name = re.sub(r"\W", "_", factor.name)
    return name if name.isidentifier() else f"_{name}"


def workbench_model(design: Plan | str | Path, replicate: int = 0, name: str = MODEL_NAME):
    """An ``ema_workbench.Model`` of the design: its levers, uncertainties, outcomes and one replicate's seed.

    Args:
        design: a plan from :func:`experiments.design.load_design`, or a design file.
        replicate: whose seed the experiments run with (``plan.seeds[replicate]``); the ``seed``
            constant can be replaced on the returned model.
        name: the EMA model's name (letters and digits).

    Raises:
        WorkbenchError: the EMA Workbench is missing, or two inputs share an EMA name.
    """
    ema = _ema()
    plan = design if isinstance(design, Plan) else load_design(design)
    if not 0 <= replicate < plan.replications:
        raise WorkbenchError(f"replicate: {replicate} is not one of the design's 0..{plan.replications - 1}")
    keys = {ema_name(f): f.key for f in plan.factors}
    if len(keys) != len(plan.factors):
        raise WorkbenchError(f"factors {[f.name for f in plan.factors]} do not have distinct EMA names")
    outcomes = list(plan.outcomes)
    declared = bool(plan.measures)
    base, measures = plan.base, plan.measures

    def run(seed: int, **inputs: Any) -> dict[str, float]:
        from experiments.sweep import execute_run

        overrides = {keys[k]: _plain(v) for k, v in inputs.items()}
        run = {"run_id": "ema", "point": -1, "replicate": replicate, "seed": int(seed), "overrides": overrides}
        output = execute_run(base, run, "annual", None, measures)
        if output["status"] != "ok":
            raise RuntimeError(f"the run with {overrides} failed: {output['error']}")
        figures = output["summary"]["outcomes"] if declared else output["summary"]["overall"]
        return {k: math.nan if figures[k] is None else float(figures[k]) for k in outcomes}

    model = ema.Model(name, function=run)
    constants = [ema.Constant("seed", plan.seeds[replicate])]
    levers, uncertainties = [], []
    for factor in plan.factors:
        parameter = parameter_of(factor)
        if isinstance(parameter, ema.Constant):
            constants.append(parameter)
        elif factor in plan.levers:
            levers.append(parameter)
        else:
            uncertainties.append(parameter)
    model.levers = levers
    model.uncertainties = uncertainties
    model.constants = constants
    kinds = {m["name"]: m["direction"] for m in plan.measures}
    model.outcomes = [ema.ScalarOutcome(k, kind=_kind(ema, kinds.get(k))) for k in outcomes]
    return model


def parameter_of(factor: FactorPlan):
    """The EMA parameter (or constant) of one factor of a design."""
    ema = _ema()
    name = ema_name(factor)
    if factor.kind == "grid":
        values = factor.grid_values
        if len(values) == 1:
            return ema.Constant(name, values[0])
        if sorted(values, key=repr) == [False, True] and all(isinstance(v, bool) for v in values):
            return ema.BooleanParameter(name)
        return ema.CategoricalParameter(name, values)
    if factor.distribution is None:  # a range: factor
        low, high = factor.sample_range
        if factor.integer:
            return ema.IntegerParameter(name, math.ceil(low), math.floor(high))
        return ema.RealParameter(name, low, high)
    drawn = factor.drawn_from
    if drawn.continuous:
        # triangular, normal and lognormal become their bounds: EMA's samplers draw them uniformly
        low, high = drawn.bounds
        if factor.integer:
            return ema.IntegerParameter(name, math.ceil(low), math.floor(high))
        return ema.RealParameter(name, low, high)
    if drawn.distribution == "boolean":
        return ema.BooleanParameter(name)  # p: EMA draws true and false equally often
    values = list(drawn.values or [])
    if len(values) == 1:
        return ema.Constant(name, values[0])
    return ema.CategoricalParameter(name, values)  # weights: EMA draws each value equally often


def design_scenarios(plan: Plan) -> list:
    """The design's own scenarios (its draws of the uncertainties), as EMA ``Scenario`` objects, in order."""
    ema = _ema()
    rows = _distinct(plan, [f for f in plan.uncertainties if not _constant(f)])
    return [ema.Scenario(f"s{i}", **row) for i, row in enumerate(rows)]


def design_policies(plan: Plan) -> list:
    """The design's own policies (its lever combinations), as EMA ``Policy`` objects, in order."""
    ema = _ema()
    rows = _distinct(plan, [f for f in plan.levers if not _constant(f)])
    return [ema.Policy(f"p{i}", **row) for i, row in enumerate(rows)]


def _distinct(plan: Plan, factors: list[FactorPlan]) -> list[dict]:
    """The distinct combinations of ``factors``' values over the design's points (the base point left out)."""
    seen: dict[str, dict] = {}
    for point in plan.points:
        if point["base"]:
            continue
        row = {ema_name(f): point["values"][f.name] for f in factors}
        seen.setdefault(repr(sorted(row.items())), row)
    return list(seen.values())


def _constant(factor: FactorPlan) -> bool:
    """Whether a factor takes one value only (an EMA ``Constant``, in no scenario or policy)."""
    return isinstance(parameter_of(factor), _ema().Constant)


def _kind(ema, direction: str | None):
    if direction == "minimise":
        return ema.ScalarOutcome.MINIMIZE
    if direction == "maximise":
        return ema.ScalarOutcome.MAXIMIZE
    return ema.ScalarOutcome.INFO


def _plain(value: Any) -> Any:
    """A numpy scalar (as EMA's samplers give) as the Python value a scenario takes."""
    return value.item() if hasattr(value, "item") else value
