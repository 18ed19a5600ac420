"""Charts of a summarised sweep (PNG, matplotlib without a display).

* ``trajectories.png``: each outcome by reporting year, mean over replicates with its 95%
  band (error bars when there is one year), for the reference and (in a large design) the
  points that differ most from it;
* ``differences.png``: each point's paired difference from the reference over the horizon,
  with its 95% interval (a forest plot);
* ``sensitivity.png``: Sobol' S1/ST, Morris mu*/sigma or Spearman's rho per sampled factor, on
  fixed axes (Sobol' 0 to 1, rho -1 to 1, widened only to show a value beyond; Morris shared
  along an outcome's row), each panel titled with its outcome's noise share.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from abm.outputs import SUMMARY
from abm.provenance import atomic_write

MAX_LINES = 6  # trajectories: the reference and the 5 points that differ most
MAX_ROWS = 30  # differences: points shown
MAX_CELLS = 4  # sensitivity: grid cells shown side by side
DODGE = 0.06  # trajectories of one year: years between neighbouring points' error bars
DPI = 110

# an outcome's axis label: its output's label over its units in summary.json (abm/outputs.py)
OUTCOME_LABELS = {o.summary_key: f"{o.label}\n{o.summary_units}" for o in SUMMARY}
INDEX_LABELS = {
    "S1": "first-order S1",
    "ST": "total ST",
    "mu_star": "mu* (mean |effect|)",
    "sigma": "sigma (interaction, non-linearity, or noise)",
    "rho": "Spearman's rho",
    "prcc": "partial rank correlation (PRCC)",
}


def draw_all(summary, out: Path) -> list[Path]:
    """Every chart the summary supports; return the files written."""
    files = [save(differences(summary), out / "differences.png")]
    if not summary.points_by_year.empty:  # declared outcomes (a window, not years) have no trajectory
        files.insert(0, save(trajectories(summary), out / "trajectories.png"))
    if summary.sensitivity is not None and not summary.sensitivity.empty:
        files.append(save(sensitivity_chart(summary), out / "sensitivity.png"))
    return files


def save(figure, path: Path) -> Path:
    """Write a figure as PNG, atomically."""
    return atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight"))


def _figure(rows: int, cols: int, height: float = 3.0, width: float = 5.5):
    """A figure of rows x cols panels (a 2-D array of axes), laid out to fit its labels."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width * cols, height * rows + 0.8), layout="constrained")
    axes = np.atleast_2d(figure.subplots(rows, cols, squeeze=False))
    return figure, axes


def _title(figure, text: str, cols: int) -> None:
    """A figure title wrapped to the figure's width."""
    figure.suptitle(textwrap.fill(text, width=75 * cols), fontsize="medium")


def point_label(plan, point: int) -> str:
    """'p3 beds=1.2, recruitment=0.8' (factor names shortened to their last part)."""
    if plan.points[point]["base"]:
        return f"p{point} base scenario"
    values = ", ".join(f"{name.split('.')[-1]}={_short(v)}" for name, v in plan.points[point]["values"].items())
    return f"p{point} {values}"


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, outcome)


def shown_points(summary, limit: int) -> tuple[list[int], str]:
    """The reference and the points whose horizon difference in the first outcome is largest."""
    plan = summary.results.plan
    first = summary.points[summary.points["outcome"] == plan.outcomes[0]]
    others = first[first["point"] != plan.reference]
    if len(others) < limit:
        return [plan.reference, *others["point"]], ""
    chosen = others.assign(size=others["diff_mean"].abs()).nlargest(limit - 1, "size")["point"]
    return [plan.reference, *sorted(chosen)], (
        f" (reference and the {limit - 1} of {len(first)} points that differ most in {plan.outcomes[0]})"
    )


# --------------------------------------------------------------------------- charts
def trajectories(summary):
    """Each outcome by year: mean and 95% band per shown point."""
    plan = summary.results.plan
    outcomes = [o for o in plan.outcomes if o in set(summary.points_by_year["outcome"])]
    points, note = shown_points(summary, MAX_LINES)
    cols = min(2, len(outcomes))
    figure, axes = _figure(-(-len(outcomes) // cols), cols)
    by_year = summary.points_by_year
    for ax, outcome in zip(axes.flat, outcomes, strict=False):  # the grid may have a spare panel
        rows = by_year[by_year["outcome"] == outcome]
        years = sorted(rows["year"].unique())
        for i, point in enumerate(points):
            line = rows[rows["point"] == point].sort_values("year")
            style = {
                "color": f"C{i}",
                "label": point_label(plan, point),
                "marker": "o",
                "markersize": 4,
                "linewidth": 2.2 if point == plan.reference else 1.3,
            }
            if len(years) > 1:  # a line with its band
                ax.plot(line["year"], line["mean"], **style)
                ax.fill_between(line["year"], line["ci_low"], line["ci_high"], color=f"C{i}", alpha=0.12, linewidth=0)
            else:  # one year: error bars side by side
                err = np.nan_to_num(np.vstack([line["mean"] - line["ci_low"], line["ci_high"] - line["mean"]]))
                ax.errorbar(
                    line["year"] + DODGE * (i - (len(points) - 1) / 2), line["mean"], yerr=err, capsize=2, **style
                )
        ax.set_xticks(years)
        ax.set_xlabel("reporting year (after burn-in)")
        ax.set_ylabel(outcome_label(outcome))
        ax.yaxis.get_major_formatter().set_useOffset(False)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(outcomes) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2, fontsize="small")
    _title(figure, f"{plan.design.name}: mean per year with 95% interval{note}", cols)
    return figure


def differences(summary):
    """Forest plot: each point's paired difference from the reference over the horizon, with 95% intervals."""
    plan, outcomes = summary.results.plan, summary.results.plan.outcomes
    points, note = shown_points(summary, MAX_ROWS + 1)
    points = [p for p in points if p != plan.reference]
    cols = min(2, len(outcomes))
    height = max(2.2, 0.32 * len(points) + 1.2)
    figure, axes = _figure(-(-len(outcomes) // cols), cols, height=height, width=6.5)
    labels = [point_label(plan, p) for p in points]
    for ax, outcome in zip(axes.flat, outcomes, strict=False):  # the grid may have a spare panel
        rows = summary.points[summary.points["outcome"] == outcome].set_index("point").reindex(points)
        y = np.arange(len(points))[::-1]
        err = np.vstack([rows["diff_mean"] - rows["diff_low"], rows["diff_high"] - rows["diff_mean"]])
        ax.errorbar(rows["diff_mean"], y, xerr=np.nan_to_num(err), fmt="o", color="C0", ecolor="C0", capsize=3)
        ax.axvline(0, color="0.3", linewidth=1)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
        ax.set_yticks(y, labels if ax in axes[:, 0] else [""] * len(y), fontsize="small")
        ax.set_xlabel(f"difference from reference\n({outcome_label(outcome).replace(chr(10), ' ')})")
        ax.grid(axis="x", alpha=0.3)
    for ax in axes.flat[len(outcomes) :]:
        ax.set_visible(False)
    reference = point_label(plan, plan.reference)
    _title(
        figure,
        f"{plan.design.name}: paired difference from the reference ({reference}), mean over the "
        f"horizon with 95% interval{note}",
        cols,
    )
    return figure


def sensitivity_chart(summary):
    """Bars per sampled factor: one row of panels per outcome, one column per grid cell."""
    plan, table = summary.results.plan, summary.sensitivity
    outcomes = [o for o in plan.outcomes if o in set(table["outcome"])]
    cells = sorted(table["cell"].unique())[:MAX_CELLS]
    factors = list(dict.fromkeys(table["factor"]))  # the sampled factors (and the dummy), in order
    indices = list(dict.fromkeys(table["index"]))
    figure, axes = _figure(len(outcomes), len(cells), height=0.45 * len(factors) * len(indices) + 1.6, width=5.5)
    method = plan.design.sampled_by.method
    for row, outcome in enumerate(outcomes):
        rows = table[(table["outcome"] == outcome) & table["cell"].isin(cells)]
        limits = _index_limits(method, rows)
        for col, cell in enumerate(cells):
            part = rows[rows["cell"] == cell]
            _sensitivity_panel(axes[row, col], part, factors, indices)
            axes[row, col].set_xlim(*limits)
            axes[row, col].set_xlabel(_index_axis(method, outcome), fontsize="small")
            title = _cell_title(plan, cell, outcome, len(cells))
            if "noise_share_of_means" in part and part["noise_share_of_means"].notna().any():
                title += f"\nnoise: {part['noise_share_of_means'].iloc[0]:.0%} of the point means' variance"
            axes[row, col].set_title(title, fontsize="small")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(indices), fontsize="small")
    method = {
        "sobol": "Sobol' indices",
        "morris": "Morris elementary effects",
        "lhs": "Spearman and partial rank correlations (Latin hypercube)",
    }[plan.design.sampling.method]
    _title(figure, f"{plan.design.name}: {method} with 95% intervals where available", len(cells))
    return figure


def _sensitivity_panel(ax, rows: pd.DataFrame, factors: list[str], indices: list[str]) -> None:
    height = 0.8 / len(indices)
    base = np.arange(len(factors))[::-1]
    for k, index in enumerate(indices):
        part = rows[rows["index"] == index].set_index("factor").reindex(factors)
        y = base + 0.4 - height * (k + 0.5)
        ax.barh(
            y,
            part["value"],
            height=height,
            xerr=part["conf"].fillna(0),
            color=f"C{k}",
            capsize=2,
            label=INDEX_LABELS.get(index, index),
        )
    ax.set_yticks(base, [f.split(".")[-1] for f in factors], fontsize="small")
    ax.axvline(0, color="0.3", linewidth=1)
    ax.grid(axis="x", alpha=0.3)


def _index_limits(method: str, rows: pd.DataFrame) -> tuple[float, float]:
    """Fixed x limits: Sobol' -0.05 to 1.05 (widened only to show a bar beyond: intervals are cut off),
    rho -1.05 to 1.05; Morris from 0 to past the longest bar or interval of the outcome."""
    values = rows["value"].to_numpy(dtype=float)
    low = float(np.nanmin(values)) if np.isfinite(values).any() else 0.0
    high = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    if method == "sobol":
        return min(-0.05, low - 0.05), max(1.05, high + 0.05)
    if method == "lhs":
        return -1.05, 1.05
    ends = (rows["value"] + rows["conf"].fillna(0)).to_numpy(dtype=float)
    top = float(np.nanmax(ends)) if np.isfinite(ends).any() and np.nanmax(ends) > 0 else 1.0
    return min(0.0, low) - 0.03 * top, 1.08 * top


def _index_axis(method: str, outcome: str) -> str:
    if method == "sobol":
        return "Sobol' index (share of the outcome's variance, 0-1)"
    if method == "morris":
        return f"elementary effect, in {outcome_label(outcome).replace(chr(10), ' ')}"
    return "rank correlation with the outcome (-1 to 1)"


def _cell_title(plan, cell: int, outcome: str, n_cells: int) -> str:
    name = outcome_label(outcome).replace("\n", " ")
    grid = [f.name for f in plan.factors if f.kind == "grid"]
    if not grid or n_cells == 1:
        return name
    point = next(p for p in plan.points if p["cell"] == cell)
    return f"{name}\n" + ", ".join(f"{g.split('.')[-1]}={_short(point['values'][g])}" for g in grid)
