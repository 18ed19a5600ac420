"""Summarise a sweep: means and 95% intervals per design point, paired differences, sensitivity.

    abm summarize runs/beds            # writes runs/beds/summary/

Files written (atomically) to the summary directory:

* ``runs.parquet``: one row per completed run: run id, point, replicate, seed, factor
  values and every headline figure averaged over the horizon (as summary.json's ``overall``);
* ``annual.parquet``: the same per run and reporting year (``year`` from 0);
* ``points.parquet`` / ``points.csv``: per design point and outcome, over the horizon:
  ``n`` runs, ``mean``, ``sd``, 95% t-interval ``ci_low``/``ci_high``, and the paired
  difference from the reference point over the same replicates (``diff_mean``,
  ``diff_low``, ``diff_high``; common random numbers make these intervals narrow);
* ``points_by_year.parquet``: the same per reporting year;
* ``sensitivity.parquet`` (sampled designs): per grid cell, outcome and factor, Sobol'
  first-order and total indices (``S1``, ``ST``), Morris ``mu_star`` and ``sigma``, or for a
  Latin hypercube Spearman's rank correlation ``rho``; ``conf`` is the half-width of a
  95% interval where the method gives one;
* ``weekly.parquet`` (designs with ``outputs: weekly``): every run's weekly ICS metrics;
* ``trajectories.png``, ``differences.png`` and ``sensitivity.png``: see :mod:`experiments.plots`.

Intervals need two or more replications; with one they are empty (NaN).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from abm.runner import atomic_write_frame
from experiments.design import Plan, salib_problem
from experiments.sweep import RUNS_DIR, load_sweep, read_records

CONFIDENCE = 0.95
KEYS = ["run_id", "point", "replicate", "seed"]


@dataclass
class Results:
    """The completed runs of a sweep, as tables."""

    plan: Plan
    runs: pd.DataFrame  # one row per ok run: KEYS, factors, overall figures
    annual: pd.DataFrame  # one row per ok run and year
    failed: int
    pending: int


@dataclass
class Summary:
    """What :func:`summarize` computed and wrote."""

    results: Results
    points: pd.DataFrame
    points_by_year: pd.DataFrame
    sensitivity: pd.DataFrame | None
    files: list[Path] = field(default_factory=list)


# --------------------------------------------------------------------------- loading
def load_results(sweep_dir: str | Path) -> Results:
    """Read every completed run's summary.json into tables (factor values joined)."""
    sweep_dir = Path(sweep_dir)
    _, plan = load_sweep(sweep_dir)
    records = read_records(sweep_dir)
    overall: list[dict] = []
    annual: list[dict] = []
    for run in plan.runs():
        if records.get(run["run_id"], {}).get("status") != "ok":
            continue
        summary = json.loads((sweep_dir / RUNS_DIR / run["run_id"] / "summary.json").read_text())
        keys = {k: run[k] for k in KEYS} | plan.points[run["point"]]["values"]
        overall.append(keys | summary["overall"])
        annual.extend(keys | year for year in summary["years"])
    failed = sum(r["status"] != "ok" for r in records.values())
    return Results(plan, pd.DataFrame(overall), pd.DataFrame(annual), failed, len(plan.runs()) - len(records))


# --------------------------------------------------------------------------- statistics
def interval_table(wide: pd.DataFrame) -> pd.DataFrame:
    """Per column of ``wide`` (rows: replicates): n, mean, sd and the 95% t-interval of the mean."""
    from scipy.stats import t

    n = wide.count()
    mean, sd = wide.mean(), wide.std(ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t.ppf(0.5 + CONFIDENCE / 2, n - 1) * sd / np.sqrt(n)
    return pd.DataFrame({"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half})


def point_statistics(frame: pd.DataFrame, plan: Plan, outcomes: list[str]) -> pd.DataFrame:
    """Per point and outcome: mean and 95% interval, and the paired difference from the reference."""
    rows = []
    for outcome in outcomes:
        wide = frame.pivot(index="replicate", columns="point", values=outcome).astype(float)
        stats = interval_table(wide)
        if plan.reference in wide:
            diff = interval_table(wide.sub(wide[plan.reference], axis=0))
        else:  # the reference has no completed run
            diff = pd.DataFrame(np.nan, index=stats.index, columns=stats.columns)
        diff = diff.rename(
            columns={"n": "diff_n", "mean": "diff_mean", "sd": "diff_sd", "ci_low": "diff_low", "ci_high": "diff_high"}
        )
        table = stats.join(diff).rename_axis("point").reset_index()
        table.insert(1, "outcome", outcome)
        rows.append(table)
    out = pd.concat(rows, ignore_index=True)
    factors = pd.DataFrame(
        [{"point": p["point"], "reference": p["point"] == plan.reference, **p["values"]} for p in plan.points]
    )
    merged = out.merge(factors, on="point", how="left")  # keeps the outcomes in the design's order
    return merged[[*factors.columns, *[c for c in out.columns if c != "point"]]]


def statistics_by_year(annual: pd.DataFrame, plan: Plan, outcomes: list[str]) -> pd.DataFrame:
    """:func:`point_statistics` for each reporting year."""
    tables = [point_statistics(rows, plan, outcomes).assign(year=int(year)) for year, rows in annual.groupby("year")]
    out = pd.concat(tables, ignore_index=True)
    return out[["year", *[c for c in out.columns if c != "year"]]]


# --------------------------------------------------------------------------- sensitivity
def sensitivity(runs: pd.DataFrame, plan: Plan, outcomes: list[str]) -> pd.DataFrame | None:
    """Sensitivity indices of each sampled factor, per grid cell and outcome (None for a pure grid).

    The outcome of a design point is its mean over replicates.  Sobol' and Morris use SALib
    on the design's own sample; a cell where a point has no completed run is left out.
    """
    sampled = [f for f in plan.factors if f.kind == "sampled"]
    if not sampled or runs.empty:
        return None
    method = plan.design.sampled_by.method
    means = runs.groupby("point")[outcomes].mean()
    rows = []
    for cell in sorted({p["cell"] for p in plan.points if not p["base"]}):
        points = [p["point"] for p in plan.points if p["cell"] == cell and not p["base"]]
        if not set(points) <= set(means.index):
            continue
        for outcome in outcomes:
            y = means.loc[points, outcome].to_numpy(dtype=float)
            x = np.array([[plan.points[i]["values"][f.name] for f in sampled] for i in points], dtype=float)
            for factor, index, value, conf in _indices(method, plan, sampled, x, y):
                rows.append(
                    {
                        "cell": cell,
                        "outcome": outcome,
                        "factor": factor,
                        "method": method,
                        "index": index,
                        "value": value,
                        "conf": conf,
                    }
                )
    return pd.DataFrame(rows, columns=["cell", "outcome", "factor", "method", "index", "value", "conf"])


def _indices(method: str, plan: Plan, sampled, x: np.ndarray, y: np.ndarray):
    """(factor, index name, value, 95% half-width) for one cell and outcome."""
    seed = plan.design.seed
    if method == "sobol":
        from SALib.analyze import sobol

        result = sobol.analyze(salib_problem(sampled), y, calc_second_order=False, conf_level=CONFIDENCE, seed=seed)
        for i, f in enumerate(sampled):
            yield f.name, "S1", result["S1"][i], result["S1_conf"][i]
            yield f.name, "ST", result["ST"][i], result["ST_conf"][i]
    elif method == "morris":
        from SALib.analyze import morris

        raw = np.asarray(plan.sample, dtype=float)  # Morris needs the unrounded trajectories
        result = morris.analyze(
            salib_problem(sampled), raw, y, conf_level=CONFIDENCE, num_levels=plan.design.sampled_by.levels, seed=seed
        )
        for i, f in enumerate(sampled):
            yield f.name, "mu_star", result["mu_star"][i], result["mu_star_conf"][i]
            yield f.name, "sigma", result["sigma"][i], np.nan
    else:
        from scipy.stats import spearmanr

        for i, f in enumerate(sampled):
            rho = spearmanr(x[:, i], y).statistic if np.ptp(y) > 0 else np.nan
            yield f.name, "rho", float(rho), np.nan


# --------------------------------------------------------------------------- the command
def summarize(sweep_dir: str | Path, out_dir: str | Path | None = None, plots: bool = True) -> Summary:
    """Compute the summary tables of a sweep and write them (and the charts) to ``out_dir``.

    ``out_dir`` defaults to ``SWEEP_DIR/summary``.
    """
    sweep_dir = Path(sweep_dir)
    out = Path(out_dir) if out_dir is not None else sweep_dir / "summary"
    results = load_results(sweep_dir)
    if results.runs.empty:
        raise ValueError(f"{sweep_dir}: no completed run to summarise yet")
    plan, outcomes = results.plan, results.plan.design.outcomes
    summary = Summary(
        results,
        point_statistics(results.runs, plan, outcomes),
        statistics_by_year(results.annual, plan, outcomes),
        sensitivity(results.runs, plan, outcomes),
    )
    files = [
        atomic_write_frame(results.runs, out / "runs.parquet"),
        atomic_write_frame(results.annual, out / "annual.parquet"),
        atomic_write_frame(summary.points, out / "points.parquet"),
        atomic_write_frame(summary.points, out / "points.csv"),
        atomic_write_frame(summary.points_by_year, out / "points_by_year.parquet"),
    ]
    if summary.sensitivity is not None:
        files.append(atomic_write_frame(summary.sensitivity, out / "sensitivity.parquet"))
    if plan.design.outputs == "weekly":
        files.append(atomic_write_frame(weekly_table(sweep_dir, results), out / "weekly.parquet"))
    if plots:
        from experiments import plots as charts

        files.extend(charts.draw_all(summary, out))
    summary.files = files
    return summary


def weekly_table(sweep_dir: Path, results: Results) -> pd.DataFrame:
    """Every completed run's weekly ICS metrics, with its run id, point and replicate."""
    frames = []
    for run in results.runs[KEYS].itertuples(index=False):
        metrics = pd.read_parquet(sweep_dir / RUNS_DIR / run.run_id / "metrics.parquet")
        metrics = metrics[metrics["place"] == "ICS"]
        frames.append(metrics.assign(run_id=run.run_id, point=run.point, replicate=run.replicate))
    return pd.concat(frames, ignore_index=True)


def report_text(summary: Summary, limit: int = 30) -> str:
    """A plain-text account: per outcome, each point's mean and interval and its difference from the reference."""
    results, plan = summary.results, summary.results.plan
    names = [f.name for f in plan.factors]
    lines = [
        f"{plan.design.name}: {len(results.runs)} completed runs, {results.failed} failed, "
        f"{results.pending} pending; reference: point {plan.reference}; 95% intervals"
    ]
    for outcome, rows in summary.points.groupby("outcome", sort=False):
        table = rows.set_index("point")[names].copy()
        table["mean [95% CI]"] = [_fmt(r.mean, r.ci_low, r.ci_high) for r in rows.itertuples()]
        table["difference [95% CI]"] = [_fmt(r.diff_mean, r.diff_low, r.diff_high) for r in rows.itertuples()]
        shown = table.head(limit)
        lines += ["", outcome, shown.to_string()]
        if len(table) > limit:
            lines.append(f"... {len(table) - limit} more points in points.csv")
    return "\n".join(lines)


def _fmt(mean: float, low: float, high: float) -> str:
    if np.isnan(mean):
        return "-"
    if np.isnan(low):
        return f"{mean:.4g}"
    return f"{mean:.4g} [{low:.4g}, {high:.4g}]"
