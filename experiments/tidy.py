"""Everything a sweep produced as one tidy table (pandas), or as an xarray Dataset.

    from experiments.tidy import run_table, sweep_table, to_xarray
    runs = run_table("runs/beds")      # one row per run: factors, seed, summary figures, outcomes
    weekly = sweep_table("runs/beds")  # one row per run x week x place: factors, seed, every metric
    data = to_xarray("runs/beds")      # dims (point, replicate, week, place); needs ics-abm[xarray]

``abm summarize DIR --tidy`` writes ``sweep_table`` as ``tidy.parquet`` beside the other
summary files (``runs.parquet`` is ``run_table``).  The weekly tables need a design with
``outputs: weekly``: each run's ``metrics.parquet`` keeps every Place and the ICS (its
``place`` column).  Only completed (``ok``) runs appear; in the Dataset a run not yet done
is NaN.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from experiments.sweep import RUNS_DIR, load_sweep, read_records

if TYPE_CHECKING:
    import xarray

KEYS = ["run_id", "point", "replicate", "seed"]
INDEX = ["week", "year", "place"]  # a metrics file's leading columns
DIMS = ("point", "replicate", "week", "place")
ICS = "ICS"


def run_table(sweep_dir: str | Path) -> pd.DataFrame:
    """One row per completed run: run id, point, replicate, seed, factor values, and every headline figure
    over the horizon (summary.json's ``overall``) and declared outcome (its ``outcomes``).

    The same table as ``summary/runs.parquet`` from ``abm summarize``.
    """
    sweep_dir = Path(sweep_dir)
    _, plan = load_sweep(sweep_dir)
    records = read_records(sweep_dir)
    rows = []
    for run in plan.runs():
        if records.get(run["run_id"], {}).get("status") != "ok":
            continue
        summary = json.loads((sweep_dir / RUNS_DIR / run["run_id"] / "summary.json").read_text())
        keys = {k: run[k] for k in KEYS} | plan.points[run["point"]]["values"]
        rows.append(keys | summary["overall"] | summary.get("outcomes", {}))
    return pd.DataFrame(rows)


def sweep_table(sweep_dir: str | Path) -> pd.DataFrame:
    """One row per completed run x week x place (every Place and the ICS), with the run's keys and factor values.

    Columns: ``run_id``, ``point``, ``replicate``, ``seed``, the design's factors, then the
    metrics file's own columns (``week``, ``year``, ``place`` and every weekly metric), in
    the plan's run order (replicate-major), each run's rows as in its metrics file.

    Raises:
        ValueError: the design does not keep weekly metrics (``outputs: weekly``), or no run is done yet.
        SweepError: not a sweep directory.
    """
    sweep_dir = Path(sweep_dir)
    _, plan = load_sweep(sweep_dir)
    if plan.design.outputs != "weekly":
        raise ValueError(
            f"{sweep_dir}: design {plan.design.name!r} keeps no weekly metrics (outputs: {plan.design.outputs}); "
            "a tidy weekly table needs 'outputs: weekly' in the design"
        )
    records = read_records(sweep_dir)
    names = [f.name for f in plan.factors]
    frames = []
    for run in plan.runs():
        if records.get(run["run_id"], {}).get("status") != "ok":
            continue
        metrics = pd.read_parquet(sweep_dir / RUNS_DIR / run["run_id"] / "metrics.parquet")
        keys = {k: run[k] for k in KEYS} | {name: plan.points[run["point"]]["values"][name] for name in names}
        leading = pd.DataFrame({key: [value] * len(metrics) for key, value in keys.items()}, index=metrics.index)
        frames.append(pd.concat([leading, metrics], axis=1))
    if not frames:
        raise ValueError(f"{sweep_dir}: no completed run to tabulate yet")
    return pd.concat(frames, ignore_index=True)


def to_xarray(sweep_dir: str | Path) -> xarray.Dataset:
    """The tidy table as an xarray Dataset: one variable per weekly metric, dims (point, replicate, week, place).

    Every design point and replicate of the plan is there (a run not done yet is NaN, so
    integer metrics become floats when one is missing).  Coordinates: ``point``,
    ``replicate``, ``week``, ``place`` (the Places in the model's order, then ``ICS``); each
    factor along ``point``; ``seed`` along ``replicate`` (common random numbers: replicate r
    has the same seed at every point); ``year`` along ``week``; ``run_id`` along (point, replicate).

    Needs xarray (``pip install 'ics-abm[xarray]'``), imported here only.
    """
    try:
        import xarray as xr
    except ImportError:
        raise ImportError("to_xarray needs xarray: pip install 'ics-abm[xarray]'") from None
    sweep_dir = Path(sweep_dir)
    _, plan = load_sweep(sweep_dir)
    table = sweep_table(sweep_dir)
    names = [f.name for f in plan.factors]
    metrics = [c for c in table.columns if c not in {*KEYS, *names, *INDEX}]
    data = xr.Dataset.from_dataframe(table.set_index(list(DIMS))[metrics])
    places = list(dict.fromkeys(table["place"]))  # the metrics file's order: Places, then the ICS
    weeks = sorted(table["week"].unique())
    data = data.reindex(
        point=[p["point"] for p in plan.points],
        replicate=list(range(plan.replications)),
        week=weeks,
        place=places,
    )
    years = table.drop_duplicates("week").set_index("week")["year"].reindex(weeks)
    ids = {(run["point"], run["replicate"]): run["run_id"] for run in plan.runs()}
    return data.assign_coords(
        {name: ("point", [p["values"][name] for p in plan.points]) for name in names}
        | {
            "seed": ("replicate", list(plan.seeds)),
            "year": ("week", years.to_numpy()),
            "run_id": (
                ("point", "replicate"),
                [[ids[(p["point"], r)] for r in range(plan.replications)] for p in plan.points],
            ),
        }
    )
