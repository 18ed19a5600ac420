"""What a time chart shows, independent of how it is drawn.

A :class:`ChartSpec` holds the title, axis labels, the series (weekly values) and
the lever-change markers.  :mod:`dashboard.svg` draws it as SVG for the live page
(fast: no plotting library, no front-end assets) and :mod:`dashboard.png` draws the
same spec with matplotlib for the PNG export.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Colour-blind-safe palette (Okabe-Ito), in the order series use it.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
BASELINE_COLOUR = "#7f7f7f"
MARKER_COLOUR = "#C0392B"


@dataclass
class Series:
    """One line (or band of a stack): weekly values from reporting week 0."""

    label: str
    values: np.ndarray
    colour: str = PALETTE[0]
    dashed: bool = False


@dataclass
class Marker:
    """A lever change: a vertical line at ``week`` with a short numbered label."""

    week: int
    label: str


@dataclass
class ChartSpec:
    """A time chart over the run's horizon (x in reporting weeks, labelled in years)."""

    key: str  # stable id, used for file names and test selectors
    title: str
    y_label: str
    series: list[Series]
    horizon_weeks: int
    markers: list[Marker] = field(default_factory=list)
    stacked: bool = False
    percent: bool = False  # y values are shares 0-1, shown as %
    note: str = ""  # one line under the chart (e.g. "13-week rolling mean")

    def y_range(self) -> tuple[float, float]:
        """A y-axis range that holds every value (stacked: the total), starting at 0 when sensible."""
        arrays = [np.asarray(s.values, dtype=float) for s in self.series if len(s.values)]
        if not arrays:
            return 0.0, 1.0
        if self.stacked:
            n = max(len(a) for a in arrays)
            total = np.zeros(n)
            for a in arrays:
                total[: len(a)] += np.nan_to_num(a)
            lo, hi = 0.0, float(np.max(total))
        else:
            finite = np.concatenate([a[np.isfinite(a)] for a in arrays])
            if finite.size == 0:
                return 0.0, 1.0
            lo, hi = float(finite.min()), float(finite.max())
            lo = 0.0 if lo >= 0 and (hi - lo) > 0.25 * hi else lo
        if hi <= lo:
            hi = lo + (abs(lo) * 0.1 or 1.0)
        return lo, hi


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 2.5 or 5 times a power of ten apart)."""
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / max(count - 1, 1)
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = np.floor(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 0.5:
        ticks.append(float(round(value, 10)))
        value += step
    return ticks


def format_number(value: float, percent: bool = False) -> str:
    """A compact axis or card label: 1,234 / 12.3 / 0.45 / 93% / 1.2m."""
    if percent:
        return f"{value * 100:.0f}%" if abs(value) >= 0.1 or value == 0 else f"{value * 100:.1f}%"
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:.1f}m"
    if a >= 1e4:
        return f"{value / 1e3:.0f}k"
    if a >= 100 or value == int(value):
        return f"{value:,.0f}"
    if a >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def tick_labels(ticks: list[float], percent: bool = False) -> list[str]:
    """Axis labels for ``ticks``, with as many decimals as it takes to tell neighbours apart."""
    labels = [format_number(t, percent) for t in ticks]
    scale, suffix = (100, "%") if percent else (1, "")
    decimals = 1
    while len(set(labels)) < len(labels) and decimals <= 4:
        labels = [f"{t * scale:,.{decimals}f}{suffix}" for t in ticks]
        decimals += 1
    return labels
