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
* ``sensitivity.parquet`` / ``sensitivity.csv`` (sampled designs): per grid cell, outcome and
  factor, Sobol' first-order and total indices (``S1``, ``ST``), Morris ``mu_star`` and
  ``sigma``, or for a Latin hypercube Spearman's rank correlation ``rho``; ``conf`` is the
  half-width of a 95% interval where the method gives one; beside them the cell's noise
  share (``noise_share``, ``noise_share_of_means``: see :func:`noise_shares`).  Indices are
  computed on each point's mean over its replicates, and only for a grid cell whose every
  run is done (a partial sweep writes no table and says so);
* ``sensitivity.json`` (sampled designs): the method, the noise shares, and the
  ``warnings`` (noise over 30% of the variance, S1 below 0, total indices summing to far
  more than 1, Morris sigma about mu* or more) and ``notes`` (cells left out) also printed;
* ``weekly.parquet`` (designs with ``outputs: weekly``): every run's weekly ICS metrics;
* ``tidy.parquet`` (with ``tidy=True``, ``abm summarize --tidy``; designs with ``outputs: weekly``):
  one row per run x week x place (every Place and the ICS), with the run's factor values and seed
  (see :mod:`experiments.tidy`);
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
from experiments.design import DUMMY, Plan, salib_problem
from experiments.sweep import RUNS_DIR, load_sweep, read_records

CONFIDENCE = 0.95
KEYS = ["run_id", "point", "replicate", "seed"]
NOISE_WARNING = 0.30  # warn when noise is over this share of the variance the indices see
S1_NEGATIVE = -0.05  # warn when a first-order index is below this (or below 0 beyond its interval)
ST_SUM_WARNING = 1.5  # warn when the total indices of a cell and outcome sum to more than this
SIGMA_RATIO = 0.8  # Morris: warn when sigma/mu* exceeds this for most factors
PRCC_RESAMPLES = 500  # bootstrap resamples of a partial rank correlation's interval
PRCC_STREAM = 3  # its generator's spawn key under the design's root seed
METHOD_NAMES = {"sobol": "Sobol'", "morris": "Morris", "lhs": "Latin hypercube"}


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
    noise: pd.DataFrame | None = None  # per cell and outcome: see noise_shares
    warnings: list[str] = field(default_factory=list)  # about the sensitivity indices, one line each
    notes: list[str] = field(default_factory=list)  # e.g. cells left out of the sensitivity analysis
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
        overall.append(keys | summary["overall"] | summary.get("outcomes", {}))
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
@dataclass
class Sensitivity:
    """What the sensitivity analysis of a sweep found."""

    table: pd.DataFrame | None  # the indices (None: a pure grid, or no cell complete)
    noise: pd.DataFrame | None  # noise shares per cell and outcome (None: one replication)
    warnings: list[str]
    notes: list[str]


def groups_of_points(plan: Plan) -> dict[int | None, list[int]]:
    """The points analysed together: each grid cell's sample (sampled designs), or every point (a grid)."""
    if not any(f.kind == "sampled" for f in plan.factors):
        return {None: [p["point"] for p in plan.points]}
    cells = sorted({p["cell"] for p in plan.points if not p["base"]})
    return {cell: [p["point"] for p in plan.points if p["cell"] == cell and not p["base"]] for cell in cells}


def noise_shares(runs: pd.DataFrame, plan: Plan, outcomes: list[str]) -> pd.DataFrame | None:
    """How much of each outcome's variance is stochastic noise between replicates, per cell.

    ``noise_var`` is the mean over points of the variance between a point's replicates
    (unbiased; points with two or more runs); ``total_var`` the variance over every run of
    the cell.  ``noise_share`` = noise_var / total_var (capped at 1) and ``between_share`` =
    1 - noise_share, the share due to the points' differences.  Indices are computed on the
    points' means over ``replications`` replicates: ``noise_share_of_means`` is the share of
    the variance between those means that is noise (see :func:`_noise_share_of_means`; with
    runs missing, noise_var / replications over the means' variance).  None with one replication.
    """
    if plan.replications < 2 or runs.empty:
        return None
    rows = []
    for cell, points in groups_of_points(plan).items():
        part = runs[runs["point"].isin(points)]
        for outcome in outcomes:
            y = part[["point", outcome]].astype({outcome: float})
            grouped = y.groupby("point")[outcome]
            counts = grouped.count()
            within = grouped.var(ddof=1)[counts >= 2]
            total = y[outcome].var(ddof=1)
            means = grouped.mean()
            noise = float(within.mean()) if len(within) else np.nan
            reps = float(counts[counts >= 2].mean()) if len(within) else np.nan
            with np.errstate(invalid="ignore", divide="ignore"):
                share = min(1.0, noise / total) if total > 0 else np.nan
            of_means = _noise_share_of_means(part.pivot(index="point", columns="replicate", values=outcome))
            if np.isnan(of_means) and len(means) > 1 and means.var(ddof=1) > 0:  # runs missing: noise taken
                of_means = min(1.0, noise / reps / means.var(ddof=1))  # as independent between points
            rows.append(
                {
                    "cell": cell,
                    "outcome": outcome,
                    "points": len(means),
                    "replications": reps,
                    "noise_var": noise,
                    "total_var": float(total),
                    "noise_share": share,
                    "between_share": 1 - share,
                    "noise_share_of_means": of_means,
                }
            )
    return pd.DataFrame(rows)


def _noise_share_of_means(wide: pd.DataFrame) -> float:
    """The share of the variance between point means that is noise, under common random numbers.

    ``wide``: points x replicates, complete.  Replicate r of every point shares a seed, so
    what the seed does to every point alike cancels between points; the noise in the
    points' differences is the point x replicate interaction of a two-way analysis of
    variance.  Its mean square over the points' mean square (1/F) is the share.
    """
    wide = wide.astype(float)
    points, reps = wide.shape
    if points < 2 or reps < 2 or wide.isna().to_numpy().any():
        return np.nan
    y = wide.to_numpy()
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + y.mean()
    ms_resid = (resid**2).sum() / ((points - 1) * (reps - 1))
    ms_points = reps * y.mean(axis=1).var(ddof=1)
    if ms_points <= 0:
        return np.nan if ms_resid <= 0 else 1.0
    return float(min(1.0, ms_resid / ms_points))


def analyse(results: Results, outcomes: list[str]) -> Sensitivity:
    """Noise shares, sensitivity indices (cells whose every run is done) and warnings about them."""
    plan, runs = results.plan, results.runs
    noise = noise_shares(runs, plan, outcomes)
    sampled = [f for f in plan.factors if f.kind == "sampled"]
    if not sampled or runs.empty:
        return Sensitivity(None, noise, [], [])
    method = plan.design.sampled_by.method
    done = runs.groupby("point").size()
    means = runs.groupby("point")[outcomes].mean()
    rows, notes = [], []
    groups = groups_of_points(plan)
    for cell, points in groups.items():
        complete = int(done.reindex(points, fill_value=0).clip(upper=plan.replications).sum())
        total = len(points) * plan.replications
        if complete < total:
            where = f" (grid cell {cell})" if len(groups) > 1 else ""
            notes.append(
                f"sensitivity indices need every run of the {METHOD_NAMES[method]} sample{where}: {complete} of "
                f"{total} are done; run abm sweep again to finish"
            )
            continue
        for outcome in outcomes:
            y = means.loc[points, outcome].to_numpy(dtype=float)
            names, x = sampled_inputs(plan, sampled, points)
            for factor, index, value, conf in _indices(method, plan, sampled, names, x, y):
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
    if not rows:
        return Sensitivity(None, noise, [], notes)
    table = pd.DataFrame(rows, columns=["cell", "outcome", "factor", "method", "index", "value", "conf"])
    if noise is not None:
        table = table.merge(
            noise[["cell", "outcome", "noise_share", "noise_share_of_means"]], on=["cell", "outcome"], how="left"
        )
    else:
        table = table.assign(noise_share=np.nan, noise_share_of_means=np.nan)
    return Sensitivity(table, noise, index_warnings(table), notes)


def sensitivity(runs: pd.DataFrame, plan: Plan, outcomes: list[str]) -> pd.DataFrame | None:
    """Sensitivity indices of each sampled factor, per grid cell and outcome (None for a pure grid).

    The outcome of a design point is its mean over replicates.  Sobol' and Morris use SALib
    on the design's own sample; a cell with a run not yet done is left out.
    """
    return analyse(Results(plan, runs, pd.DataFrame(), 0, 0), outcomes).table


def index_warnings(table: pd.DataFrame) -> list[str]:
    """One line per sign that the indices of a cell and outcome are noise, not the factors' effects."""
    warnings = []
    cells = table["cell"].nunique() > 1
    for (cell, outcome), rows in table.groupby(["cell", "outcome"], sort=False):
        where = f"{outcome}" + (f" (grid cell {cell})" if cells else "")
        share = rows["noise_share_of_means"].iloc[0]
        if share > NOISE_WARNING:
            runs_share = rows["noise_share"].iloc[0]
            warnings.append(
                f"{where}: indices are unreliable: {share:.0%} of the variance of the point means they are "
                f"computed on is noise between replicates ({runs_share:.0%} of the variance between runs); "
                "add replications"
            )
        by = rows.set_index("factor")
        if "S1" in set(rows["index"]):
            s1 = rows[rows["index"] == "S1"]
            negative = s1[(s1["value"] < S1_NEGATIVE) | (s1["value"] + s1["conf"].fillna(0) < 0)]
            if len(negative):
                listed = ", ".join(f"{r.factor} {r.value:.2f} ± {r.conf:.2f}" for r in negative.itertuples())
                warnings.append(
                    f"{where}: S1 below 0 ({listed}): a share of variance cannot be negative, so noise or "
                    "too small a sample dominates; add samples or replications"
                )
            st = by[by["index"] == "ST"]["value"]
            if st.sum() > ST_SUM_WARNING:
                warnings.append(
                    f"{where}: the total indices ST sum to {st.sum():.2f}, far above 1: interactions rarely "
                    "give that; noise or too small a sample does"
                )
        if "mu_star" in set(rows["index"]):
            mu = by[by["index"] == "mu_star"]["value"]
            sigma = by[by["index"] == "sigma"]["value"].reindex(mu.index)
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = sigma / mu
            high = int((ratio > SIGMA_RATIO).sum())
            if high > len(mu) / 2:
                warnings.append(
                    f"{where}: Morris sigma is about mu* or more (sigma/mu* > {SIGMA_RATIO}) for {high} of "
                    f"{len(mu)} factors: what noise looks like, as well as interactions or non-linearity; "
                    "compare the noise share and add replications"
                )
    return warnings


def sampled_inputs(plan: Plan, sampled, points: list[int]) -> tuple[list[str], np.ndarray]:
    """The names and values (points x inputs) of a cell's sampled inputs, as the indices see them.

    A range factor gives its values; a distribution its quantiles in the sample (the same
    ranks as its values, and a number even for a categorical or boolean input); with
    ``sampling.dummy``, the dummy input's column comes last.
    """
    raw = np.asarray(plan.sample, dtype=float) if plan.sample is not None else np.empty((0, 0))
    columns = []
    for j, f in enumerate(sampled):
        if f.distribution is None:
            columns.append(np.array([plan.points[i]["values"][f.name] for i in points], dtype=float))
        else:
            columns.append(raw[: len(points), j])
    names = [f.name for f in sampled]
    if plan.design.sampled_by.dummy:
        columns.append(raw[: len(points), len(sampled)])
        names.append(DUMMY)
    return names, np.column_stack(columns) if columns else np.empty((len(points), 0))


def _indices(method: str, plan: Plan, sampled, names: list[str], x: np.ndarray, y: np.ndarray):
    """(input, index name, value, 95% half-width) for one cell and outcome."""
    seed = plan.design.seed
    dummy = plan.design.sampled_by.dummy
    if method == "sobol":
        from SALib.analyze import sobol

        problem = salib_problem(sampled, dummy=dummy)
        result = sobol.analyze(problem, y, calc_second_order=False, conf_level=CONFIDENCE, seed=seed)
        for i, name in enumerate(names):
            yield name, "S1", result["S1"][i], result["S1_conf"][i]
            yield name, "ST", result["ST"][i], result["ST_conf"][i]
    elif method == "morris":
        from SALib.analyze import morris

        raw = np.asarray(plan.sample, dtype=float)  # Morris needs the unrounded trajectories
        result = morris.analyze(
            salib_problem(sampled, dummy=dummy),
            raw,
            y,
            conf_level=CONFIDENCE,
            num_levels=plan.design.sampled_by.levels,
            seed=seed,
        )
        for i, name in enumerate(names):
            yield name, "mu_star", result["mu_star"][i], result["mu_star_conf"][i]
            yield name, "sigma", result["sigma"][i], np.nan
    else:
        from scipy.stats import spearmanr

        for i, name in enumerate(names):
            rho = spearmanr(x[:, i], y).statistic if np.ptp(y) > 0 else np.nan
            yield name, "rho", float(rho), np.nan
        estimate, half = prcc(x, y, seed=seed)
        for i, name in enumerate(names):
            yield name, "prcc", float(estimate[i]), float(half[i])


def prcc(x: np.ndarray, y: np.ndarray, seed: int = 0, resamples: int = PRCC_RESAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Partial rank correlation of each column of ``x`` with ``y``, and the half-width of its 95% bootstrap interval.

    The PRCC of input i is the correlation of the residuals of rank(x_i) and rank(y), each
    regressed (least squares, with an intercept) on the ranks of the other inputs: the
    monotone effect of x_i with the others held fixed.  The interval is the percentile
    interval over ``resamples`` bootstrap resamples of the points (a seeded generator), as a
    half-width.  NaN where there are too few points (n <= k + 2) or y does not vary.
    """
    n, k = x.shape
    nan = np.full(k, np.nan)
    if n <= k + 2 or np.ptp(y) == 0:
        return nan, nan
    estimate = _prcc(x, y)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(PRCC_STREAM,)))
    draws = []
    for _ in range(resamples):
        rows = rng.integers(0, n, n)
        if np.ptp(y[rows]) > 0:
            draws.append(_prcc(x[rows], y[rows]))
    if len(draws) < resamples / 2:
        return estimate, nan
    low, high = np.nanpercentile(np.array(draws), [100 * (1 - CONFIDENCE) / 2, 100 * (1 + CONFIDENCE) / 2], axis=0)
    return estimate, (high - low) / 2


def _prcc(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    rx = np.column_stack([rankdata(column) for column in x.T])
    ry = rankdata(y)
    out = np.full(x.shape[1], np.nan)
    for i in range(x.shape[1]):
        others = np.column_stack([np.ones(len(ry)), np.delete(rx, i, axis=1)])
        res_x = rx[:, i] - others @ np.linalg.lstsq(others, rx[:, i], rcond=None)[0]
        res_y = ry - others @ np.linalg.lstsq(others, ry, rcond=None)[0]
        scale = np.sqrt((res_x**2).sum() * (res_y**2).sum())
        out[i] = (res_x * res_y).sum() / scale if scale > 1e-12 else np.nan
    return out


# --------------------------------------------------------------------------- the command
def summarize(
    sweep_dir: str | Path, out_dir: str | Path | None = None, plots: bool = True, tidy: bool = False
) -> Summary:
    """Compute the summary tables of a sweep and write them (and the charts) to ``out_dir``.

    ``out_dir`` defaults to ``SWEEP_DIR/summary``.  ``tidy``: also write ``tidy.parquet``, one
    row per run x week x place (:func:`experiments.tidy.sweep_table`; needs ``outputs: weekly``).
    """
    sweep_dir = Path(sweep_dir)
    out = Path(out_dir) if out_dir is not None else sweep_dir / "summary"
    results = load_results(sweep_dir)
    if results.runs.empty:
        raise ValueError(f"{sweep_dir}: no completed run to summarise yet")
    plan, outcomes = results.plan, results.plan.outcomes
    if tidy and plan.design.outputs != "weekly":  # refused before any file is written
        raise ValueError(
            f"{sweep_dir}: --tidy needs weekly metrics, and design {plan.design.name!r} has "
            f"outputs: {plan.design.outputs} (set 'outputs: weekly' and sweep again)"
        )
    yearly = [o for o in outcomes if o in results.annual.columns]  # declared outcomes have no per-year figure
    found = analyse(results, outcomes)
    summary = Summary(
        results,
        point_statistics(results.runs, plan, outcomes),
        statistics_by_year(results.annual, plan, yearly) if yearly else pd.DataFrame(columns=["year", "point"]),
        found.table,
        found.noise,
        found.warnings,
        found.notes,
    )
    files = [
        atomic_write_frame(results.runs, out / "runs.parquet"),
        atomic_write_frame(results.annual, out / "annual.parquet"),
        atomic_write_frame(summary.points, out / "points.parquet"),
        atomic_write_frame(summary.points, out / "points.csv"),
        atomic_write_frame(summary.points_by_year, out / "points_by_year.parquet"),
    ]
    if any(f.kind == "sampled" for f in plan.factors):
        from abm.runner import atomic_write_json

        files.append(atomic_write_json(sensitivity_record(summary), out / "sensitivity.json"))
    if summary.sensitivity is not None:
        files.append(atomic_write_frame(summary.sensitivity, out / "sensitivity.parquet"))
        files.append(atomic_write_frame(summary.sensitivity, out / "sensitivity.csv"))
    if plan.design.outputs == "weekly":
        files.append(atomic_write_frame(weekly_table(sweep_dir, results), out / "weekly.parquet"))
    if tidy:
        from experiments.tidy import sweep_table

        files.append(atomic_write_frame(sweep_table(sweep_dir), out / "tidy.parquet"))
    if plots:
        from experiments import plots as charts

        files.extend(charts.draw_all(summary, out))
    summary.files = files
    return summary


def sensitivity_record(summary: Summary) -> dict:
    """sensitivity.json: the method, whether indices were computed, noise shares, warnings and notes."""
    plan = summary.results.plan
    noise = [] if summary.noise is None else summary.noise.to_dict("records")
    return {
        "method": plan.design.sampled_by.method,
        "replications": plan.replications,
        "indices_on": "each design point's mean over its replicates",
        "computed": summary.sensitivity is not None,
        "noise": noise,
        "warnings": summary.warnings,
        "notes": summary.notes,
    }


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
    if summary.noise is not None:
        lines += ["", "noise between replicates (share of the variance between runs; of the point means' variance)"]
        cells = summary.noise["cell"].nunique() > 1
        for row in summary.noise.itertuples():
            cell = f" (grid cell {row.cell})" if cells else ""
            lines.append(
                f"  {row.outcome}{cell}: {_pct(row.noise_share)} of runs' variance, "
                f"{_pct(row.noise_share_of_means)} of the means' ({row.replications:.3g} replications)"
            )
    lines += [f"note: {note}" for note in summary.notes]
    lines += [f"warning: {warning}" for warning in summary.warnings]
    return "\n".join(lines)


def _pct(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.0%}"


def _fmt(mean: float, low: float, high: float) -> str:
    if np.isnan(mean):
        return "-"
    if np.isnan(low):
        return f"{mean:.4g}"
    return f"{mean:.4g} [{low:.4g}, {high:.4g}]"
