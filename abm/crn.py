"""How much common random numbers buy: paired against unpaired spread of lever contrasts (``abm crn``).

For each contrast (a lever change against the baseline) and each seed, the baseline and the
changed scenario run with the same seed.  The paired difference's standard deviation over seeds
is set against the unpaired one (the SD of the difference between runs with *independent* seeds,
``sqrt(var(base) + var(changed))``).  With keyed random streams (:mod:`abm.streams`) a change
perturbs only the people and weeks it touches, so the paired SD is a small fraction of the
unpaired: the ratio is what narrows a workshop card's noise band and a sweep's paired intervals.

The table ends with a change too small to matter (:data:`FLOOR`): once one discrete decision flips,
the model's own dynamics carry the two runs apart (the crowded hospital above all: above the flow
line every inpatient's recovery slows with occupancy, so a patient more in one run slows everyone a
little), so its paired SD is what one flipped decision grows into.  A row over the target whose
paired SD cannot be told apart from it is marked "at the floor" (:func:`mark_floor`): what spreads it
is divergence of the size any change sets off, not re-dealt numbers (every draw is keyed).  A
contrast that seldom touches a full hospital can pair better than the floor; one well above it has
an effect that varies between seeds, or sets off more divergence.

    abm crn --population 10000 --years 5 --seeds 8
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from abm.outputs import Output, by_name

# (label, --set overrides): the contrasts of issue 14
CONTRASTS: tuple[tuple[str, dict], ...] = (
    ("social-care capacity x1.1", {"levers.social_care_capacity_multiplier": 1.1}),
    ("3% core funding shift", {"levers.funding_shift_pct": 3.0}),
    ("acute beds x1.1", {"levers.acute_beds_multiplier": 1.1}),
    ("recruitment x1.5", {"levers.recruitment_multiplier": 1.5}),
    ("data quality 0.9", {"levers.data_quality": 0.9}),
)
# A change too small to matter (a fiftieth of a bed at 10,000 people) that still flips the odd discrete decision
# (one patient admitted a week earlier): from there the two runs diverge.  Its paired SD is what one flipped decision
# grows into; a contrast's paired SD well above it is its effect varying between seeds (a real difference, which a
# noise band shows) or the more divergence its many changed decisions set off, not re-dealt random numbers.
FLOOR: tuple[str, dict] = ("beds x1.001 (divergence floor)", {"levers.acute_beds_multiplier": 1.001})


def _ratio(ics, output: Output) -> float:
    """A ratio output over the whole horizon: its numerator columns' sum over its denominator's."""
    return float(ics[list(output.numerator)].to_numpy().sum() / ics[list(output.denominator)].to_numpy().sum())


# (label, function of the ICS weekly rows): the headline outcomes over the whole horizon
OUTCOMES: tuple[tuple[str, Callable], ...] = (
    ("admissions", lambda ics: float(ics["emergency_admissions"].sum())),
    ("unmet need", lambda ics: float(ics["unmet_need"].sum())),
    ("delayed discharges", lambda ics: float(ics["delayed_discharge_bed_days"].sum())),
    ("CHS share", lambda ics: _ratio(ics, by_name("chs_share_of_spend"))),
)
TARGET_RATIO = 1 / 3  # issue 14: paired SD at most a third of the unpaired
INTERVAL_LEVEL = 0.9  # the ratio's bootstrap interval (Row.ratio_interval)
BOOTSTRAP_DRAWS = 4000
BOOTSTRAP_SEED = 14  # the resamples' own generator: the table is reproducible


@dataclass
class Row:
    contrast: str
    outcome: str
    mean_base: float
    mean_difference: float
    paired_sd: float
    unpaired_sd: float
    seeds: int
    base_sd: float = math.nan  # the SD over seeds of each arm alone: where one arm barely varies (a lever that
    changed_sd: float = math.nan  # puts it on a flat part of a clipped response), there is no noise to pair
    base_values: tuple[float, ...] = ()  # each seed's outcome in each arm, in seed order (the ratio's interval)
    changed_values: tuple[float, ...] = ()
    at_floor: bool = False  # its paired SD is not clearly above the divergence floor's (see floor_interval)

    @property
    def t(self) -> float:
        """The mean difference over its paired standard error: beyond 3, the effect is not noise."""
        se = self.paired_sd / math.sqrt(self.seeds)
        return self.mean_difference / se if se > 0 else (0.0 if self.mean_difference == 0 else math.inf)

    @property
    def ratio(self) -> float:
        return self.paired_sd / self.unpaired_sd if self.unpaired_sd > 0 else (0.0 if self.paired_sd == 0 else math.inf)

    def ratio_interval(self, level: float = INTERVAL_LEVEL, draws: int = BOOTSTRAP_DRAWS) -> tuple[float, float]:
        """A bootstrap interval for :attr:`ratio`: the seeds resampled with replacement, ``draws`` times, from a
        fixed generator (the table is the same each time it is made).  From 8 seeds an SD ratio is a rough
        estimate, so the interval is wide: a row a little over the target may be within it."""
        base, changed = np.asarray(self.base_values), np.asarray(self.changed_values)
        if base.size < 3 or base.shape != changed.shape:
            return (math.nan, math.nan)
        picks = self._resamples(draws)
        b, c = base[picks], changed[picks]
        paired = (c - b).std(axis=1, ddof=1)
        unpaired = np.sqrt(b.var(axis=1, ddof=1) + c.var(axis=1, ddof=1))
        ratios = paired[unpaired > 0] / unpaired[unpaired > 0]  # a resample of one seed repeated has no spread
        return _central_interval(ratios, level)

    def _resamples(self, draws: int) -> np.ndarray:
        """The seeds' positions, resampled with replacement ``draws`` times from the fixed generator."""
        return np.random.default_rng(BOOTSTRAP_SEED).integers(
            0, len(self.base_values), size=(draws, len(self.base_values))
        )

    def floor_interval(
        self, floor: Row, level: float = INTERVAL_LEVEL, draws: int = BOOTSTRAP_DRAWS
    ) -> tuple[float, float]:
        """A bootstrap interval for this row's paired SD over ``floor``'s (the same outcome under :data:`FLOOR`,
        with the same seeds, resampled together).  Its lower end at or below 1: this contrast's paired SD cannot
        be told apart from that of a change too small to matter, so what spreads it is the divergence any change
        sets off, not re-dealt numbers.  A resample where the floor's SD is 0 and this row's is not counts as
        an infinite ratio.  From 8 seeds the interval is wide, so the label is a weak test there; from 32 it is
        a fair one."""
        n = len(self.base_values)
        if n < 3 or len(floor.base_values) != n or len(self.changed_values) != n or len(floor.changed_values) != n:
            return (math.nan, math.nan)
        picks = self._resamples(draws)
        mine = (np.asarray(self.changed_values) - np.asarray(self.base_values))[picks].std(axis=1, ddof=1)
        floors = (np.asarray(floor.changed_values) - np.asarray(floor.base_values))[picks].std(axis=1, ddof=1)
        spread = (mine > 0) | (floors > 0)  # a resample with neither spread says nothing
        with np.errstate(divide="ignore"):
            ratios = np.where(floors[spread] > 0, mine[spread] / floors[spread], math.inf)
        return _central_interval(ratios, level, method="nearest")  # nearest: an infinite ratio is not interpolated

    @property
    def one_arm_flat(self) -> bool:
        """One arm varies between seeds at most a third as much as the other: the paired difference then carries
        the other arm's whole spread, so no pairing can bring the ratio under the target (read t instead)."""
        low, high = sorted((self.base_sd, self.changed_sd))
        return high > 0 and low <= high * TARGET_RATIO


def outcomes(overrides: dict, population: int, years: int, seed: int, common: Sequence[str] = ()) -> np.ndarray:
    """The headline outcomes of one run: the default scenario with ``common`` (KEY=VALUE, both arms), then
    ``overrides`` (the contrast's own, which replace a common value for the same key)."""
    from abm.model import ICSModel
    from abm.scenario import load_scenario

    scenario = load_scenario(None, list(common)) if common else None
    model = ICSModel(scenario, population=population, years=years, seed=seed, **overrides).run()
    df = model.metrics.frame()
    ics = df[df["place"] == "ICS"]
    return np.array([measure(ics) for _, measure in OUTCOMES])


def table(
    population: int = 10_000,
    years: int = 5,
    seeds: Sequence[int] = tuple(range(1, 9)),
    contrasts: Sequence[tuple[str, dict]] = (*CONTRASTS, FLOOR),
    jobs: int = 1,
    common: Sequence[str] = (),
) -> list[Row]:
    """Every contrast x outcome: mean difference, paired SD and unpaired SD over ``seeds``; ``common`` (KEY=VALUE
    overrides) changes the scenario of both arms, e.g. to ask how much a mechanism limits the pairing."""
    from joblib import Parallel, delayed

    runs = [({}, s) for s in seeds] + [(o, s) for _, o in contrasts for s in seeds]
    results = Parallel(n_jobs=jobs)(delayed(outcomes)(o, population, years, s, common) for o, s in runs)
    n = len(seeds)
    base = np.array(results[:n])
    rows = []
    for k, (label, _) in enumerate(contrasts):
        changed = np.array(results[n * (k + 1) : n * (k + 2)])
        difference = changed - base
        for j, (outcome, _) in enumerate(OUTCOMES):
            rows.append(
                Row(
                    label,
                    outcome,
                    float(base[:, j].mean()),
                    float(difference[:, j].mean()),
                    float(difference[:, j].std(ddof=1)),
                    float(math.sqrt(base[:, j].var(ddof=1) + changed[:, j].var(ddof=1))),
                    n,
                    float(base[:, j].std(ddof=1)),
                    float(changed[:, j].std(ddof=1)),
                    tuple(base[:, j].tolist()),
                    tuple(changed[:, j].tolist()),
                )
            )
    return mark_floor(rows)


def _central_interval(
    values: np.ndarray, level: float, method: Literal["linear", "nearest"] = "linear"
) -> tuple[float, float]:
    """The central ``level`` interval of bootstrap ``values`` (NaN, NaN when there are none)."""
    if values.size == 0:
        return (math.nan, math.nan)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail], method=method)
    return (float(low), float(high))


def mark_floor(rows: list[Row]) -> list[Row]:
    """Mark the rows over the target whose paired SD is not clearly above :data:`FLOOR`'s for the same outcome
    (:meth:`Row.floor_interval` reaches 1): the divergence floor, not the streams, sets them."""
    floors = {r.outcome: r for r in rows if r.contrast == FLOOR[0]}
    for r in rows:
        r.at_floor = False
        floor = floors.get(r.outcome)
        if floor is not None and r is not floor and r.ratio > TARGET_RATIO:
            r.at_floor = bool(r.floor_interval(floor)[0] <= 1)
    return rows


def markdown(rows: list[Row], population: int, years: int, seeds: Sequence[int], common: Sequence[str] = ()) -> str:
    """The table as Markdown (the README's)."""
    sets = "".join(f" --set {c}" for c in common)
    lines = [
        f"Paired against unpaired SD over seeds {seeds[0]}-{seeds[-1]} ({len(seeds)} seeds), "
        f"{population:,} people x {years} years (`abm crn --population {population} --years {years} "
        f"--seeds {len(seeds)}{sets}`). Target: ratio <= {TARGET_RATIO:.2f}; beside it, its {INTERVAL_LEVEL:.0%} "
        "bootstrap interval over the seeds. t is the mean difference over its "
        "paired standard error (beyond 3: not noise). SD of each arm: the baseline's / the changed run's "
        '("one arm flat": one varies at most a third as much as the other, so there is little noise to pair). '
        f'"At the floor": its paired SD cannot be told apart ({INTERVAL_LEVEL:.0%} bootstrap interval) from that '
        "of the last row, a change too small to matter: it is spread by the divergence any change sets off.",
        "",
        "| contrast | outcome | mean difference | paired SD | unpaired SD | ratio | interval | t | SD of each arm |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.contrast} | {r.outcome} | {_fmt(r.mean_difference, r.mean_base)} | {_num(r.paired_sd)} | "
            f"{_num(r.unpaired_sd)} | {r.ratio:.2f}{_over(r)} | {_interval(r)} | {r.t:+.1f} | "
            f"{_num(r.base_sd)} / {_num(r.changed_sd)} |"
        )
    return "\n".join(lines) + "\n"


def _over(row: Row) -> str:
    if row.ratio <= TARGET_RATIO:
        return ""
    if row.contrast == FLOOR[0]:
        return " (over; the floor itself)"
    if row.one_arm_flat:
        return " (over; one arm flat)"
    return " (over; at the floor)" if row.at_floor else " (over)"


def _interval(row: Row) -> str:
    low, high = row.ratio_interval()
    return "n/a" if math.isnan(low) else f"{low:.2f}-{high:.2f}"


def _num(x: float) -> str:
    return f"{x:.4g}"


def _fmt(difference: float, base: float) -> str:
    share = f" ({difference / base * 100:+.2f}%)" if base else ""
    return f"{difference:+.4g}{share}"
