"""Headline figures and weekly series computed straight from the metrics array.

The array is ``model.metrics.data[:recorded]`` (weeks x Places+ICS x columns, the ICS
last).  Reading it directly, rather than building a DataFrame, keeps a page update
cheap; the definitions match :func:`abm.runner.summarise` (a test checks they agree).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.metrics import COLUMNS
from abm.units import WEEKS_PER_YEAR

COL = {name: i for i, name in enumerate(COLUMNS)}
ICS = -1  # the last "place" is the whole ICS
CHS_SPEND = ("spend_chs_core", "spend_addon")
HEALTH_SPEND = ("spend_acute", "spend_chs_core", "spend_addon", "spend_primary")


@dataclass(frozen=True)
class Card:
    """One headline: how it is computed and how it reads."""

    key: str
    title: str
    units: str
    higher_is_worse: bool | None  # None: neither (no colour)
    percent: bool = False


CARDS = (
    Card("admissions", "Emergency admissions", "per 1,000 people a year", True),
    Card("unmet_need", "Unmet need", "person-weeks per 1,000 a year", True),
    Card("occupancy", "Bed occupancy", "% of beds in use", True, percent=True),
    Card("delayed", "Delayed discharges", "bed-days a year", True),
    Card("chs_share", "CHS share of spend", "% of modelled NHS spend", None, percent=True),
    Card("vacancies", "CHS vacancies", "funded posts empty (FTE), this week", True),
)


def column(data: np.ndarray, name: str, place: int = ICS) -> np.ndarray:
    return data[:, place, COL[name]]


def headline(data: np.ndarray, key: str, start: int, stop: int) -> float | None:
    """A card's figure over weeks [start, stop) of ``data`` (ICS); None when there is no week."""
    rows = data[start:stop, ICS]
    n = rows.shape[0]
    if n == 0:
        return None
    annual = WEEKS_PER_YEAR / n
    people = float(rows[:, COL["population"]].mean())
    if key == "admissions":
        return float(rows[:, COL["emergency_admissions"]].sum()) * annual / people * 1000
    if key == "unmet_need":
        return float(rows[:, COL["unmet_need"]].sum()) * annual / people * 1000
    if key == "occupancy":
        return float(rows[:, COL["bed_occupancy"]].mean())
    if key == "delayed":
        return float(rows[:, COL["delayed_discharge_bed_days"]].sum()) * annual
    if key == "chs_share":
        spend = rows[:, [COL[c] for c in HEALTH_SPEND]].sum()
        return float(rows[:, [COL[c] for c in CHS_SPEND]].sum() / spend) if spend > 0 else None
    if key == "vacancies":
        return float(rows[-1, COL["chs_vacancies"]])
    raise KeyError(f"unknown headline {key!r}; known: {', '.join(c.key for c in CARDS)}")


def card_window(weeks: int) -> tuple[int, int]:
    """The weeks the cards summarise: the last 52 recorded (fewer early in the run)."""
    return max(0, weeks - WEEKS_PER_YEAR), weeks


def rolling_mean(values: np.ndarray, window: int = 13) -> np.ndarray:
    """Trailing mean over ``window`` weeks (shorter at the start), so a lever's effect shows without lag noise."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return values
    cumsum = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, values.size + 1)
    lo = np.maximum(idx - window, 0)
    return (cumsum[idx] - cumsum[lo]) / (idx - lo)


def rate_per_1000_year(data: np.ndarray, name: str, place: int = ICS, window: int = 13) -> np.ndarray:
    """A weekly count as a rate per 1,000 people a year, smoothed over ``window`` weeks."""
    people = np.maximum(column(data, "population", place), 1)
    return rolling_mean(column(data, name, place) / people * 1000 * WEEKS_PER_YEAR, window)


def per_1000(data: np.ndarray, name: str, place: int = ICS) -> np.ndarray:
    """A weekly stock (people) per 1,000 people."""
    people = np.maximum(column(data, "population", place), 1)
    return column(data, name, place) / people * 1000
