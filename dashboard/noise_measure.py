"""How large a workshop population separates each story's effect from noise: ``python -m dashboard.noise_measure``.

For each story preset of the facilitator's guide, its preset and its no-policy baseline run with the same seeds
(common random numbers) at each population; each card's paired change over each reporting year is set against
the noise band a card would show (:mod:`dashboard.noise`). The table for the guide ("How large a population")
gives each story's main card. Run with ``nice``: it runs two 5-year models per story and seed.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from abm.units import WEEKS_PER_YEAR
from dashboard.noise import BAND_SDS, card_amount, card_changes
from dashboard.state import Settings, replay, without_policy

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
        prog="python -m dashboard.noise_measure",
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
