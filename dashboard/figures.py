"""Headline figures and weekly series computed straight from the metrics array.

The array is ``model.metrics.data[:recorded]`` (weeks x Places+ICS x columns, the ICS
last).  Reading it directly, rather than building a DataFrame, keeps a page update
cheap; the definitions match :func:`abm.runner.summarise` (a test checks they agree), and each
card's title and units are its output's (:mod:`abm.outputs`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.outputs import COLUMNS, DENOMINATOR, Kind, Summary, by_name
from abm.units import WEEKS_PER_YEAR

COL = {name: i for i, name in enumerate(COLUMNS)}
ICS = -1  # the last "place" is the whole ICS


@dataclass(frozen=True)
class Card:
    """One headline: the output it shows, and how it reads (its title and units come from abm/outputs.py)."""

    key: str
    output: str  # a metrics column: its yearly figure as summary.json gives it, or with ``latest`` its latest week
    higher_is_worse: bool | None  # None: neither (no colour)
    latest: bool = False

    @property
    def title(self) -> str:
        return by_name(self.output).title

    @property
    def percent(self) -> bool:
        return by_name(self.output).kind is Kind.SHARE

    @property
    def units(self) -> str:
        output = by_name(self.output)
        if self.latest:
            return f"{output.units}, this week"
        return output.percent_units if self.percent else output.summary_units


CARDS = (
    Card("admissions", "emergency_admissions", True),
    # the need of people who sought care: hidden need (never sought) is most of all unmet need, its size an
    # assumption, and hardly moves with policy, so the card would hide what services change (the chart shows both)
    Card("unmet_need", "unmet_need_sought", True),
    Card("occupancy", "bed_occupancy", True),
    Card("delayed", "delayed_discharge_bed_days", True),
    Card("chs_share", "chs_share_of_spend", None),
    Card("vacancies", "chs_vacancies", True, latest=True),
)
CARD = {card.key: card for card in CARDS}


def column(data: np.ndarray, name: str, place: int = ICS) -> np.ndarray:
    return data[:, place, COL[name]]


def headline(data: np.ndarray, key: str, start: int, stop: int) -> float | None:
    """A card's figure over weeks [start, stop) of ``data`` (ICS); None when there is no week."""
    if key not in CARD:
        raise KeyError(f"unknown headline {key!r}; known: {', '.join(c.key for c in CARDS)}")
    card = CARD[key]
    return yearly_figure(data, card.output, start, stop, latest=card.latest)


def yearly_figure(data: np.ndarray, name: str, start: int, stop: int, latest: bool = False) -> float | None:
    """An output's figure over weeks [start, stop) of ``data`` (ICS), as summary.json gives it (or, with
    ``latest``, its latest week); None when there is no week."""
    rows = data[start:stop, ICS]
    n = rows.shape[0]
    if n == 0:
        return None
    annual = WEEKS_PER_YEAR / n
    output = by_name(name)
    values = rows[:, COL[output.name]]
    if latest:
        return float(values[-1])
    people = float(rows[:, COL[DENOMINATOR]].mean())
    how = output.summary  # as abm.runner.summarise computes it
    if how is Summary.PER_1000:
        return float(values.sum()) * annual / people * 1000
    if how is Summary.PER_PERSON:
        return float(values.sum()) * annual / people
    if how is Summary.MEAN:
        return float(values.mean())
    if how is Summary.TOTAL:
        return float(values.sum()) * annual
    if how is Summary.RATIO:
        below = rows[:, [COL[c] for c in output.denominator]].sum()
        return float(rows[:, [COL[c] for c in output.numerator]].sum() / below) if below > 0 else None
    raise ValueError(f"{output.name} has no yearly figure; show its latest week instead")


BEDS_FULL_SHARE = 0.02  # a card says beds are full when more than 2% of decisions to admit got no bed


def unbedded_demand(data: np.ndarray, start: int, stop: int) -> float | None:
    """Admission demand (decisions to admit, per 1,000 a year) when beds were too full to meet it, else None.

    A full hospital admits fewer people although no fewer need a bed, so the admissions card must
    not read as better then: it shows the demand beside the admissions (the mechanisms issue's rule).
    """
    demand = yearly_figure(data, "admission_demand", start, stop)
    admitted = yearly_figure(data, "emergency_admissions", start, stop)
    if demand is None or admitted is None or demand <= admitted * (1 + BEDS_FULL_SHARE):
        return None
    return demand


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
