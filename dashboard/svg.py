"""Draw a :class:`~dashboard.chartspec.ChartSpec` as an SVG string.

Why not matplotlib for the live page: a matplotlib figure takes ~50 ms to draw and
encode, and thirty sessions updating twice a second cannot afford that on two cores;
this writes a few polylines in well under a millisecond and needs no front-end asset.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from html import escape

import numpy as np

from abm.units import WEEKS_PER_YEAR
from dashboard.chartspec import BASELINE_COLOUR, MARKER_COLOUR, ChartSpec, format_number, nice_ticks, tick_labels

WIDTH, HEIGHT = 600, 300  # two charts side by side on a laptop keep their text at about 10-12 px
LEFT, RIGHT, BOTTOM = 64, 18, 46
FONT = "font-family='Roboto, Arial, sans-serif'"
CHAR_PX = 6.6  # approximate width of one 12px character, for laying out the legend


@dataclass(frozen=True)
class Frame:
    """A chart's geometry (in the SVG's own units, which the page scales to the chart's width) and text sizes."""

    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    bottom: int = BOTTOM
    title_size: int = 15
    text_size: int = 12
    char_px: float = CHAR_PX  # one text_size character, for laying out the legend
    title_chars: int = 0  # wrap the title at this many characters (0: one line)
    unit_above: bool = False  # the unit under the title, not up the y axis (a narrow chart has no room there)
    x_labels: int = 11  # at most this many year labels
    y_ticks: int = 5


WIDE = Frame()
# On a phone (page under 600 px wide) a chart fills the width at about 360 px: drawn 360 units wide it keeps its
# text at its own size (13-16 px) instead of shrinking a 600-unit chart to 7-9 px. Fewer ticks, the title wrapped,
# the unit written under it.
NARROW = Frame(
    width=360,
    height=330,
    left=46,
    right=12,
    bottom=40,
    title_size=16,
    text_size=13,
    char_px=7.2,
    title_chars=38,
    unit_above=True,
    x_labels=6,
    y_ticks=4,
)


def year_ticks(horizon_weeks: int, most: int = 11) -> list[int]:
    """Tick positions (weeks) at whole years, thinned so there are at most ``most`` labels."""
    years = max(1, int(np.ceil(horizon_weeks / WEEKS_PER_YEAR)))
    step = next(s for s in (1, 2, 5, 10, 20, 50) if years / s <= most - 1)
    return [WEEKS_PER_YEAR * y for y in range(0, years + 1, step)]


def _legend(spec: ChartSpec, top: float, frame: Frame = WIDE) -> tuple[list[str], float]:
    """Legend entries laid out left to right, wrapping; returns the SVG parts and the height used."""
    parts: list[str] = []
    x, y = float(frame.left), top
    row = frame.text_size + 4
    for s in spec.series:
        width = 28 + frame.char_px * len(s.label) + 14
        if x + width > frame.width - frame.right and x > frame.left:
            x, y = frame.left, y + row
        dash = " stroke-dasharray='5 3'" if s.dashed else ""
        if spec.stacked:
            parts.append(f"<rect x='{x:.0f}' y='{y - 8:.0f}' width='18' height='10' fill='{s.colour}' opacity='0.85'/>")
        else:
            parts.append(
                f"<line x1='{x:.0f}' y1='{y - 3:.0f}' x2='{x + 18:.0f}' y2='{y - 3:.0f}' "
                f"stroke='{s.colour}' stroke-width='2.5'{dash}/>"
            )
        parts.append(
            f"<text x='{x + 24:.0f}' y='{y:.0f}' font-size='{frame.text_size}' {FONT} fill='#333'>"
            f"{escape(s.label)}</text>"
        )
        x += width
    return parts, (y - top) + row


def _heading(spec: ChartSpec, frame: Frame) -> tuple[list[str], int]:
    """The title (wrapped on a narrow chart) and, on a narrow chart, the unit under it; the parts and the
    baseline of their last line."""
    if not frame.title_chars:
        return [
            f"<text x='{frame.left}' y='18' font-size='{frame.title_size}' font-weight='600' {FONT} fill='#222'>"
            f"{escape(spec.title)}</text>"
        ], 18
    parts, y = [], 0
    for line in textwrap.wrap(spec.title, frame.title_chars):
        y += frame.title_size + 3
        parts.append(
            f"<text x='8' y='{y:.0f}' font-size='{frame.title_size}' font-weight='600' {FONT} fill='#222'>"
            f"{escape(line)}</text>"
        )
    if frame.unit_above:
        y += frame.text_size + 4
        parts.append(
            f"<text x='8' y='{y:.0f}' font-size='{frame.text_size}' {FONT} fill='#333'>{escape(spec.y_label)}</text>"
        )
    return parts, y


def render(spec: ChartSpec, narrow: bool = False) -> str:
    """The chart as a standalone ``<svg>`` element (scales to its container's width); ``narrow``: drawn for a
    phone (:data:`NARROW`)."""
    frame = NARROW if narrow else WIDE
    width, height = frame.width, frame.height
    heading, last = _heading(spec, frame)
    legend, legend_height = _legend(spec, last + 18, frame)
    top = last + 18 + legend_height + 4
    bottom = height - frame.bottom
    plot_w, plot_h = width - frame.left - frame.right, bottom - top
    horizon = max(spec.horizon_weeks, 1)
    lo, hi = spec.y_range()
    ticks = nice_ticks(lo, hi, frame.y_ticks)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    size = frame.text_size
    mark = " data-narrow='1'" if narrow else ""

    def sx(week):
        return frame.left + plot_w * np.asarray(week, dtype=float) / horizon

    def sy(value):
        return bottom - plot_h * (np.asarray(value, dtype=float) - lo) / (hi - lo)

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' "
        f"role='img' aria-label='{escape(spec.title + latest_text(spec))}' data-chart='{spec.key}' "
        f"data-left='{frame.left}' data-plot-width='{plot_w}' data-horizon='{horizon}' data-top='{top:.0f}' "
        f"data-bottom='{bottom}' data-percent='{int(spec.percent)}' data-unit='{escape(spec.y_label)}'{mark}>",
        f"<rect width='{width}' height='{height}' fill='white'/>",
        *heading,
        *legend,
    ]
    # grid and y axis
    for t, label in zip(ticks, tick_labels(ticks, spec.percent), strict=True):
        y = float(sy(t))
        parts.append(f"<line x1='{frame.left}' y1='{y:.1f}' x2='{width - frame.right}' y2='{y:.1f}' stroke='#e5e5e5'/>")
        parts.append(
            f"<text x='{frame.left - 6}' y='{y + 4:.1f}' font-size='{size}' text-anchor='end' {FONT} fill='#555'>"
            f"{label}</text>"
        )
    if not frame.unit_above:
        cy = top + plot_h / 2
        parts.append(
            f"<text x='14' y='{cy:.0f}' font-size='{size}' text-anchor='middle' {FONT} fill='#333' "
            f"transform='rotate(-90 14 {cy:.0f})'>{escape(spec.y_label)}</text>"
        )
    # x axis in years
    for w in year_ticks(horizon, frame.x_labels):
        x = float(sx(w))
        parts.append(f"<line x1='{x:.1f}' y1='{bottom}' x2='{x:.1f}' y2='{bottom + 4}' stroke='#555'/>")
        parts.append(
            f"<text x='{x:.1f}' y='{bottom + 4 + size}' font-size='{size}' text-anchor='middle' {FONT} fill='#555'>"
            f"{w // WEEKS_PER_YEAR}</text>"
        )
    parts.append(f"<line x1='{frame.left}' y1='{bottom}' x2='{width - frame.right}' y2='{bottom}' stroke='#555'/>")
    note = f" ({spec.note})" if spec.note else ""
    parts.append(
        f"<text x='{frame.left + plot_w / 2:.0f}' y='{height - 10}' font-size='{size}' text-anchor='middle' {FONT} "
        f"fill='#333'>reporting year{escape(note)}</text>"
    )
    parts.extend(_series(spec, sx, sy, bottom))
    parts.extend(_markers(spec, sx, top, bottom))
    parts.append("</svg>")
    return "".join(parts)


def _values(values: np.ndarray) -> str:
    """Each week's value, for the page's hover read-out (``page_setup.vue``): four significant figures, '-' for
    a week with none. A few hundred bytes a series: the read-out is drawn in the browser, not here."""
    return " ".join("-" if not np.isfinite(v) else f"{v:.4g}" for v in values.tolist())


def latest_text(spec: ChartSpec) -> str:
    """': latest week (year 1, week 12): this run 112, baseline 110' for the chart's accessible name ('' when
    there is no week yet)."""
    shown = []
    week = None
    for s in spec.series:
        values = np.asarray(s.values, dtype=float)
        ok = np.flatnonzero(np.isfinite(values))
        if ok.size == 0:
            continue
        last = int(ok[-1])
        if s.dashed and week is not None:  # a baseline: its value in the same week as the run's
            last = min(week, values.size - 1)
            if not np.isfinite(values[last]):
                continue
        week = last if week is None else week
        shown.append(f"{s.label} {format_number(float(values[last]), spec.percent)}")
    if week is None:
        return ""
    when = f"year {week // WEEKS_PER_YEAR}, week {week % WEEKS_PER_YEAR + 1}"
    return f": latest week ({when}): " + ", ".join(shown)


def _points(xs, ys) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


def _series(spec: ChartSpec, sx, sy, bottom: float) -> list[str]:
    parts = []
    if spec.stacked:
        base = None
        for s in spec.series:
            values = np.nan_to_num(np.asarray(s.values, dtype=float))
            if values.size == 0:
                continue
            lower = np.zeros_like(values) if base is None else base[: values.size]
            upper = lower + values
            weeks = np.arange(values.size)
            xs = sx(weeks)
            outline = _points(xs, sy(upper)) + " " + _points(xs[::-1], sy(lower)[::-1])
            parts.append(
                f"<polygon points='{outline}' fill='{s.colour}' opacity='0.85' "
                f"data-series='{escape(s.label)}' data-colour='{s.colour}' data-values='{_values(values)}'>"
                f"<title>{escape(s.label)}</title></polygon>"
            )
            base = upper
        return parts
    for s in spec.series:
        values = np.asarray(s.values, dtype=float)
        ok = np.isfinite(values)
        if not ok.any():
            continue
        weeks = np.arange(values.size)[ok]
        dash = " stroke-dasharray='6 4'" if s.dashed else ""
        width = 1.8 if s.dashed else 2.2
        parts.append(
            f"<polyline points='{_points(sx(weeks), sy(values[ok]))}' fill='none' stroke='{s.colour}' "
            f"stroke-width='{width}'{dash} data-series='{escape(s.label)}' data-points='{int(ok.sum())}' "
            f"data-colour='{s.colour}' data-values='{_values(values)}'/>"
        )
    return parts


def _markers(spec: ChartSpec, sx, top: float, bottom: float) -> list[str]:
    parts = []
    for number, m in enumerate(spec.markers, start=1):
        x = float(sx(max(m.week, 0)))
        parts.append(
            f"<g class='lever-marker' data-week='{m.week}'><title>{escape(m.label)}</title>"
            f"<line x1='{x:.1f}' y1='{top}' x2='{x:.1f}' y2='{bottom}' stroke='{MARKER_COLOUR}' "
            f"stroke-width='1.5' stroke-dasharray='3 3'/>"
            f"<rect x='{x - 7:.1f}' y='{top - 1:.1f}' width='14' height='13' rx='3' fill='{MARKER_COLOUR}'/>"
            f"<text x='{x:.1f}' y='{top + 9:.1f}' font-size='10' text-anchor='middle' {FONT} fill='white'>"
            f"{number}</text></g>"
        )
    return parts


__all__ = ["BASELINE_COLOUR", "NARROW", "WIDE", "render", "year_ticks"]
