"""The dashboard's time charts, as :class:`~dashboard.chartspec.ChartSpec` s built from the metrics array.

Each builder takes the live run's array, the baseline's array (or None), the horizon
and the lever-change markers, and returns one spec; :data:`TABS` groups them as the
page shows them.  Where a title, axis or series restates an output's label or units, it is
read from :mod:`abm.outputs`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from abm.outputs import OUTPUTS, by_name, parts
from abm.units import WEEKS_PER_YEAR
from dashboard.chartspec import BASELINE_COLOUR, PALETTE, ChartSpec, Marker, Series
from dashboard.figures import ICS, column, per_1000, rate_per_1000_year, rolling_mean
from dashboard.words import lever_change

ROLLING = "13-week rolling mean"
UNMET_KINDS = tuple((o.name, o.band) for o in parts("unmet_need"))  # (column, label): the bands of unmet need
SPEND = tuple((o.name, o.band) for o in OUTPUTS if o.name.startswith("spend_"))  # (column, label): spend by sector


def label_of(name: str) -> str:
    """An output's label (abm/outputs.py)."""
    return by_name(name).label


def title_of(name: str) -> str:
    """An output's label with a capital first letter."""
    return by_name(name).title


def changes_by_week(changes) -> list[tuple[int, list[tuple[str, object]]]]:
    """(reporting week, [(lever, value), ...]) per week with a change, in week order: changes made in the
    same week share one marker (and one number), so none hides another."""
    weeks: dict[int, list[tuple[str, object]]] = {}
    for w, name, value in changes:
        weeks.setdefault(int(w), []).append((name, value))
    return sorted(weeks.items())


def markers_of(changes) -> list[Marker]:
    """Chart markers from (reporting week, lever, value) changes: one per week, its label listing them all."""
    return [
        Marker(w, f"week {w} (year {w // WEEKS_PER_YEAR}): " + "; ".join(lever_change(n, v) for n, v in group))
        for w, group in changes_by_week(changes)
    ]


def _with_baseline(
    label: str,
    measure: Callable[[np.ndarray], np.ndarray],
    data: np.ndarray,
    base: np.ndarray | None,
    colour: str = PALETTE[0],
) -> list[Series]:
    """One measure of this run, and of the baseline (dashed) when there is one."""
    series = [Series(label, measure(data), colour)]
    if base is not None:
        series.append(Series("baseline", measure(base), BASELINE_COLOUR, dashed=True))
    return series


def _by_place(place_names, measure: Callable[[int], np.ndarray]) -> list[Series]:
    """One line per Place: ``measure(place index)``."""
    return [Series(name, measure(i), PALETTE[i % len(PALETTE)]) for i, name in enumerate(place_names)]


def admissions(data, base, horizon, markers) -> ChartSpec:
    return ChartSpec(
        "admissions",
        f"{title_of('emergency_admissions')} against the baseline",
        by_name("emergency_admissions").summary_units,
        _with_baseline("this run", lambda d: rate_per_1000_year(d, "emergency_admissions"), data, base),
        horizon,
        markers,
        note=ROLLING,
    )


def unmet_need(data, base, horizon, markers, include_hidden: bool = True) -> ChartSpec:
    kinds = [k for k in UNMET_KINDS if include_hidden or k[0] != "unmet_need_never_sought"]
    series = [Series(label, rolling_mean(per_1000(data, name), 4), PALETTE[i]) for i, (name, label) in enumerate(kinds)]
    title = "Unmet need by type" + ("" if include_hidden else " (hidden need not shown)")
    return ChartSpec(
        "unmet_need",
        title,
        "people with unmet need per 1,000",
        series,
        horizon,
        markers,
        stacked=True,
        note="4-week rolling mean, stacked",
    )


def occupancy(data, base, horizon, markers) -> ChartSpec:
    return ChartSpec(
        "occupancy",
        "Acute bed occupancy",
        by_name("bed_occupancy").units,
        _with_baseline("occupancy", lambda d: rolling_mean(column(d, "bed_occupancy"), 4), data, base, PALETTE[5]),
        horizon,
        markers,
        percent=True,
        note="4-week rolling mean",
    )


def delayed(data, base, horizon, markers) -> ChartSpec:
    return ChartSpec(
        "delayed",
        title_of("delayed_discharge_bed_days"),
        f"{by_name('delayed_discharge_bed_days').units} per week",
        _with_baseline(
            "delayed-discharge bed-days",
            lambda d: rolling_mean(column(d, "delayed_discharge_bed_days"), 4),
            data,
            base,
            PALETTE[3],
        ),
        horizon,
        markers,
        note="4-week rolling mean",
    )


def chs(data, base, horizon, markers) -> ChartSpec:
    series = [
        Series(label_of("chs_caseload"), per_1000(data, "chs_caseload"), PALETTE[2]),
        Series(label_of("chs_waiting"), per_1000(data, "chs_waiting"), PALETTE[1]),
        Series(label_of("virtual_ward_patients"), per_1000(data, "virtual_ward_patients"), PALETTE[4]),
        Series(
            f"{label_of('proactive_care')} (4-week mean)", rolling_mean(per_1000(data, "proactive_care"), 4), PALETTE[3]
        ),
    ]
    if base is not None:
        series.append(Series("caseload (baseline)", per_1000(base, "chs_caseload"), BASELINE_COLOUR, dashed=True))
    return ChartSpec(
        "chs", "CHS caseload, waiting list and proactive care", "people per 1,000", series, horizon, markers
    )


def spend(data, base, horizon, markers) -> ChartSpec:
    series = [
        Series(label, rolling_mean(column(data, name), 4) * WEEKS_PER_YEAR / 1e6, PALETTE[i])
        for i, (name, label) in enumerate(SPEND)
    ]
    return ChartSpec(
        "spend",
        "Spend by sector",
        "£ million a year (annualised)",
        series,
        horizon,
        markers,
        stacked=True,
        note="4-week rolling mean, stacked",
    )


def workforce(data, base, horizon, markers) -> ChartSpec:
    series = [
        Series(label_of("chs_fte"), column(data, "chs_fte"), PALETTE[2]),
        Series("vacancies (funded posts empty)", column(data, "chs_vacancies"), PALETTE[5]),
    ]
    if base is not None:
        series.append(Series("staff in post (baseline)", column(base, "chs_fte"), BASELINE_COLOUR, dashed=True))
    return ChartSpec("workforce", "CHS workforce", "full-time equivalents (FTE)", series, horizon, markers)


def places_admissions(data, base, horizon, markers, place_names=()) -> ChartSpec:
    series = _by_place(place_names, lambda i: rate_per_1000_year(data, "emergency_admissions", place=i))
    return ChartSpec(
        "places_admissions",
        f"{title_of('emergency_admissions')} by Place",
        by_name("emergency_admissions").summary_units,
        series,
        horizon,
        markers,
        note=ROLLING,
    )


def places_unmet(data, base, horizon, markers, place_names=()) -> ChartSpec:
    series = _by_place(place_names, lambda i: rolling_mean(per_1000(data, "unmet_need", place=i), 4))
    return ChartSpec(
        "places_unmet",
        "Unmet need by Place",
        "people with unmet need per 1,000",
        series,
        horizon,
        markers,
        note="4-week rolling mean",
    )


def places_chs_share(data, base, horizon, markers, place_names=()) -> ChartSpec:
    series = _by_place(place_names, lambda i: rolling_mean(column(data, "chs_share_of_spend", place=i), 4))
    return ChartSpec(
        "places_chs_share",
        f"{title_of('chs_share_of_spend')} by Place",
        by_name("chs_share_of_spend").percent_units,
        series,
        horizon,
        markers,
        percent=True,
        note="4-week rolling mean",
    )


def places_chs_staff(data, base, horizon, markers, place_names=()) -> ChartSpec:
    series = _by_place(place_names, lambda i: per_1000(data, "chs_fte", place=i))
    return ChartSpec(
        "places_chs_staff", f"{title_of('chs_fte')} by Place", "FTE per 1,000 people", series, horizon, markers
    )


def equity_gap(data, base, horizon, markers) -> ChartSpec:
    """The unmet-need gap between the most and least deprived fifths (the delegation story's outcome)."""
    return ChartSpec(
        "equity_gap",
        "Unmet-need gap: most minus least deprived fifth",
        "people with unmet need per 1,000, difference",
        _with_baseline(
            "gap", lambda d: rolling_mean(column(d, "unmet_need_equity_gap_per_1000"), 13), data, base, PALETTE[3]
        ),
        horizon,
        markers,
        note=ROLLING,
    )


Builder = Callable[..., ChartSpec]
# tab title -> the charts on it (the flows picture and panels are added by the page)
TABS: dict[str, tuple[Builder, ...]] = {
    "Admissions": (admissions, unmet_need),
    "Hospital": (occupancy, delayed),
    "CHS": (chs, workforce),
    "Money": (spend,),
    "Places": (places_admissions, places_unmet, places_chs_share, places_chs_staff, equity_gap),
}
ALL_CHARTS: tuple[Builder, ...] = tuple(b for builders in TABS.values() for b in builders)
PLACE_CHARTS = (places_admissions, places_unmet, places_chs_share, places_chs_staff)


def build_chart(builder: Builder, data, base, horizon, markers, place_names=(), **options) -> ChartSpec:
    """Call one builder with what it needs (Place charts need the Place names; ICS is excluded)."""
    if builder in PLACE_CHARTS:
        return builder(data, base, horizon, markers, place_names=list(place_names)[:ICS])
    return builder(data, base, horizon, markers, **options)
