"""Draw a :class:`~dashboard.chartspec.ChartSpec` with matplotlib, as PNG bytes (the chart export).

Only called when someone downloads a chart, so matplotlib's ~50 ms per figure never
slows the live page.
"""

from __future__ import annotations

import io

import numpy as np

from abm.units import WEEKS_PER_YEAR
from dashboard.chartspec import MARKER_COLOUR, ChartSpec
from dashboard.svg import year_ticks


def render(spec: ChartSpec, dpi: int = 120) -> bytes:
    """The chart as a PNG image."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # no pyplot: no global state shared between sessions
    from matplotlib.ticker import PercentFormatter

    fig = Figure(figsize=(8, 4), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    if spec.stacked:
        base = None
        for s in spec.series:
            values = np.nan_to_num(np.asarray(s.values, dtype=float))
            lower = np.zeros_like(values) if base is None else base[: values.size]
            ax.fill_between(
                np.arange(values.size), lower, lower + values, color=s.colour, alpha=0.85, label=s.label, linewidth=0
            )
            base = lower + values
    else:
        for s in spec.series:
            values = np.asarray(s.values, dtype=float)
            ax.plot(
                np.arange(values.size),
                values,
                color=s.colour,
                linestyle="--" if s.dashed else "-",
                linewidth=1.8,
                label=s.label,
            )
    for number, m in enumerate(spec.markers, start=1):
        ax.axvline(m.week, color=MARKER_COLOUR, linestyle=":", linewidth=1.2)
        ax.annotate(
            str(number),
            (m.week, 1.0),
            xycoords=("data", "axes fraction"),
            color=MARKER_COLOUR,
            ha="center",
            va="bottom",
            fontsize=9,
        )
    ticks = year_ticks(spec.horizon_weeks)
    ax.set_xticks(ticks, [str(w // WEEKS_PER_YEAR) for w in ticks])
    ax.set_xlim(0, max(spec.horizon_weeks, 1))
    lo, hi = spec.y_range()
    ax.set_ylim(lo, hi * 1.05 if hi > 0 else hi)
    if spec.percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))  # as many decimals as the ticks need
    ax.set_xlabel("reporting year" + (f" ({spec.note})" if spec.note else ""))
    ax.set_ylabel(spec.y_label)
    ax.set_title(
        spec.title
        + (
            "\nred lines: lever changes " + ", ".join(f"{i}: {m.label}" for i, m in enumerate(spec.markers, start=1))
            if spec.markers
            else ""
        ),
        fontsize=10,
    )
    ax.grid(True, color="#e5e5e5")
    ax.legend(fontsize=8, loc="upper left", frameon=False, ncols=2)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
