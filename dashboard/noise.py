"""How noisy a card's change against the baseline is: replicate seeds, the noise band, and how it was sized.

A card shows this run's change against its baseline (same seed: common random numbers). At a
workshop's size one seed's change can still be chance, so the dashboard runs a few *replicate*
seeds of both arms in the background (:meth:`dashboard.state.SessionRunner.request_noise`, through
the shared :class:`dashboard.state.BaselinePool`, below the sessions' own baselines) and puts a band
round the change:

    noise band = this run's change ± 2 x the standard deviation of the replicates' paired changes

over the same weeks the card shows. When the band covers zero the card says "within noise": the
change is no larger than what chance alone gives between two runs that differ only by the levers.
(Two standard deviations is the usual "about 95% of chance differences fall inside" rule; with
only a few replicates the standard deviation is itself rough, so the band is a guide, not a test.)

``python -m dashboard.noise`` measures, for each story preset of the facilitator's guide, each
card's paired change and its noise at several populations (the table in
``docs/facilitator_guide.md``, "How large a population"), which is how the workshop's default
population was chosen. No Solara here: the tests use it directly.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from abm.units import WEEKS_PER_YEAR

BAND_SDS = 2  # the band's half-width in standard deviations of the replicates' paired changes
MAX_REPLICATES = 8  # the most replicate seeds a session may ask for (`abm dashboard --noise-replicates`)
DEFAULT_REPLICATES = 4  # enough for a rough standard deviation; 8 runs a session (4 of them shared per preset)
ENV_REPLICATES = "ABM_DASHBOARD_NOISE_REPLICATES"
SETTLE_SECONDS = 3.0  # a lever change asks for replicates once no lever has moved for this long (or on pause)


def replicates_from_env(environ=None) -> int:
    """The number of replicate seeds the server was started with (0: no bands); a bad value gives the default."""
    environ = os.environ if environ is None else environ
    try:
        value = int(environ.get(ENV_REPLICATES, ""))
    except ValueError:
        return DEFAULT_REPLICATES
    return value if 0 <= value <= MAX_REPLICATES else DEFAULT_REPLICATES


def check_replicates_option(value: int | None) -> str | None:
    """An error message if ``--noise-replicates`` is outside what the dashboard allows."""
    if value is None or 0 <= value <= MAX_REPLICATES:
        return None
    return f"--noise-replicates {value} is out of range; allowed: 0 (no noise bands) to {MAX_REPLICATES}"


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """The replicate seeds of a run with ``seed``: the next ``replicates`` seeds, so a reload gives the same band."""
    return [seed + i for i in range(1, replicates + 1)]


@dataclass(frozen=True)
class Band:
    """A card's change against the baseline with its noise band: ``change`` ± ``half_width``."""

    change: float  # this run's change against its baseline (the card's own unit)
    half_width: float  # BAND_SDS x the standard deviation of the replicates' paired changes
    replicates: int  # how many replicate pairs gave the standard deviation

    @property
    def low(self) -> float:
        return self.change - self.half_width

    @property
    def high(self) -> float:
        return self.change + self.half_width

    @property
    def within_noise(self) -> bool:
        """The band covers zero: chance alone could give a change this large."""
        return self.low <= 0 <= self.high


def band(change: float, replicate_changes: Sequence[float]) -> Band | None:
    """This run's ``change`` with the band from the replicates' paired changes; None with fewer than two."""
    values = [float(v) for v in replicate_changes]
    if len(values) < 2 or any(math.isnan(v) for v in values):
        return None
    return Band(float(change), BAND_SDS * statistics.stdev(values), len(values))


def card_changes(policy, base, start: int, stop: int) -> dict[str, float | None]:
    """Each card's change (policy arm minus baseline arm) over weeks [start, stop) of two weekly arrays."""
    from dashboard.figures import CARDS, headline

    out: dict[str, float | None] = {}
    for card in CARDS:
        a = headline(policy, card.key, start, stop) if policy.shape[0] >= stop else None
        b = headline(base, card.key, start, stop) if base.shape[0] >= stop else None
        out[card.key] = None if a is None or b is None else a - b
    return out


def card_bands(changes: dict[str, float | None], replicate_pairs: Sequence[tuple], start: int, stop: int) -> dict:
    """Each card's :class:`Band` (None where a change or the replicates are missing) from this run's
    ``changes`` (:func:`card_changes`) and the replicate (policy, baseline) weekly arrays."""
    replicated = [card_changes(policy, base, start, stop) for policy, base in replicate_pairs]
    out = {}
    for key, change in changes.items():
        values = [v for r in replicated if (v := r[key]) is not None]
        out[key] = None if change is None or len(values) < len(replicated) else band(change, values)
    return out


def card_amount(value: float, card, signed: bool = True) -> str:
    """A change in a card's own unit: '+3.1', '-0.45', '+1.2 points' (percentage points for a percentage)."""
    from dashboard.chartspec import format_number

    if card.percent:
        points = value * 100
        digits = 2 if 0 < abs(points) < 0.1 else 1  # a band of 0.03 points is not "0.0"
        return f"{points:{'+' if signed else ''}.{digits}f} points"
    text = format_number(value)
    return "+" + text if signed and value > 0 else text


# --------------------------------------------------------------------------- sizing the workshop's population
# The stories the facilitator's guide runs, the card that carries each one's main effect (its story's steps and
# "what to watch") and the reporting year whose 52 weeks that card shows when the story makes its point (the
# story's "Play to the end of year Y"): the default population must separate that card's change from noise.
STORIES: tuple[tuple[str, str, int], ...] = (
    ("funding_shift_core", "admissions", 4),  # "admissions are a few per cent below the baseline"
    ("addon_virtual_wards", "occupancy", 2),  # "bed days saved by step-down: occupancy is a little lower"
    ("workforce_crisis", "admissions", 4),  # "admissions are above the baseline"
    ("delegation_to_place", "unmet_need", 1),  # "delegation starts ... watch unmet need"
    ("better_data", "chs_share", 4),  # "its share of spend is higher than in the baseline"
    ("social_care_cuts", "delayed", 1),  # "medically fit patients wait longer in hospital"
    ("outcome_contracts", "unmet_need", 4),  # "compare CHS waits": rationing and waits higher for several years
)
SIMULATION_ONLY = ("name", "description", "story")  # keys that do not change a run (two presets may share a baseline)


@dataclass
class Measured:
    """One story's card at one population: its paired change over seeds, and the band a card would show."""

    preset: str
    card: str
    population: int
    year: int  # the reporting year whose 52 weeks the card shows
    main: bool
    changes: list[float]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.changes)

    @property
    def sd(self) -> float:
        return statistics.stdev(self.changes)

    @property
    def half_width(self) -> float:
        return BAND_SDS * self.sd

    @property
    def separated(self) -> bool:
        """A single seed's card shows the effect beyond noise: the mean change exceeds the band's half-width."""
        return abs(self.mean) > self.half_width

    @property
    def cards_within_noise(self) -> int:
        """How many of the seeds' cards would say "within noise" (their own change inside ± the band)."""
        return sum(abs(c) <= self.half_width for c in self.changes)


def measure(
    presets: Sequence[str], populations: Sequence[int], seeds: int, years: int, log=None, done=None
) -> list[Measured]:
    """Run each preset and its no-policy baseline with the same seeds at each population; each card's changes
    over each reporting year (what the card shows at the end of that year). ``done(rows)`` is called after each preset
    (to keep what is measured so far); ``log(text)`` tells progress."""
    from dashboard.figures import CARDS
    from dashboard.state import Settings, without_policy

    main = {(preset, card, year) for preset, card, year in STORIES}
    rows: list[Measured] = []
    for population in populations:
        cache: dict[str, object] = {}  # two presets with the same no-policy world share its runs
        for preset in presets:
            per_card: dict[tuple[str, int], list[float]] = {(c.key, y): [] for c in CARDS for y in range(years)}
            for seed in range(1, seeds + 1):
                scenario = Settings.from_preset(preset, population=population, years=years, seed=seed).build().to_dict()
                policy, base = _run(cache, scenario, log), _run(cache, without_policy(scenario), log)
                for year in range(years):
                    start = year * WEEKS_PER_YEAR
                    for key, change in card_changes(policy, base, start, start + WEEKS_PER_YEAR).items():
                        per_card[key, year].append(math.nan if change is None else change)
            for (key, year), changes in per_card.items():
                rows.append(Measured(preset, key, population, year, (preset, key, year) in main, changes))
            if done:
                done(rows)
            if log:
                log(f"{preset} at {population:,}: done")
    return rows


def _run(cache: dict, scenario: dict, log=None):
    """``replay(scenario)``, once for each distinct run (its name, description and story aside)."""
    from dashboard.state import replay

    key = json.dumps({k: v for k, v in scenario.items() if k not in SIMULATION_ONLY}, sort_keys=True)
    if key not in cache:
        started = time.perf_counter()
        cache[key] = replay(scenario, [])
        if log:
            log(f"  ran {scenario.get('name')} seed {scenario['seed']} in {time.perf_counter() - started:.1f}s")
    return cache[key]


def markdown(rows: Sequence[Measured], main_only: bool = True) -> str:
    """The table for the facilitator's guide: each story's main card at each population."""
    from dashboard.figures import CARD

    lines = [
        "| story | card (year) | people | mean change | noise band (± 2 SD) | separated | seeds' cards within noise |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    for row in rows:
        if main_only and not row.main:
            continue
        card = CARD[row.card]
        lines.append(
            f"| `{row.preset}` | {card.title} (year {row.year}) | {row.population:,} | {card_amount(row.mean, card)} | "
            f"±{card_amount(row.half_width, card, signed=False)} | {'yes' if row.separated else 'no'} | "
            f"{row.cards_within_noise} of {len(row.changes)} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.noise",
        description="Each story's card changes against their noise band at several populations (paired seeds).",
    )
    parser.add_argument("--populations", type=int, nargs="+", default=[10_000, 20_000])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--presets", nargs="+", default=[p for p, _, _ in STORIES])
    parser.add_argument("--json", metavar="FILE", help="also write every card's changes as JSON")
    parser.add_argument("--all-cards", action="store_true", help="every card, not only each story's main one")
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error("--seeds must be at least 2 (a standard deviation needs two)")

    def keep(rows):
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump([dict(vars(r)) for r in rows], f, indent=1)

    log = functools.partial(print, file=sys.stderr, flush=True)
    rows = measure(args.presets, args.populations, args.seeds, args.years, log=log, done=keep)
    rows.sort(key=lambda r: (args.presets.index(r.preset), r.card, r.year, r.population))
    print(markdown(rows, main_only=not args.all_cards))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
