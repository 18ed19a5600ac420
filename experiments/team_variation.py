"""Measure what CHS teams' own productivity variation does to an ICS (the figures in ``docs/ODD.md`` 7.4.2).

    python -m experiments.team_variation [--population 100000] [--team-population 5000] [--years 3]
                                         [--seeds 3] [--spread 0.38]

The ICS is split into many small teams (``params.chs.team_population``, with small practices so
that every team has some), and each seed is run twice: with the teams' productivity drawn with
``--spread`` and with no variation (``productivity_spread`` 0).  The two runs of a pair share their
random numbers, so the printed change (variation against none, over the reporting years after the
first, as a percentage of the no-variation run) and its t (the mean paired change over its standard
error) measure the variation, not chance.  A change is beyond noise when |t| is above 3.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from abm.metrics import COLUMNS
from abm.model import ICSModel
from abm.units import WEEKS_PER_YEAR

OUTCOMES = (
    "emergency_admissions",
    "unmet_need",
    "unmet_need_sought",
    "proactive_care",
    "delayed_discharge_bed_days",
    "chs_contacts",
    "chs_kept_contacts",
)


def totals(population: int, team_population: int, years: int, seed: int, spread: float) -> dict[str, float]:
    """Each outcome summed over the ICS and the reporting years after the first."""
    overrides: dict[str, Any] = {
        "population": population,
        "years": years,
        "seed": seed,
        "params.chs.team_population": team_population,
        "params.gp.list_size": 2000,
        "params.chs.productivity_spread": spread,
    }
    model = ICSModel(**overrides).run()
    ics = model.metrics.data[WEEKS_PER_YEAR : model.metrics.recorded, -1]
    return {name: float(ics[:, COLUMNS.index(name)].sum()) for name in OUTCOMES}


def changes(population: int, team_population: int, years: int, seeds: int, spread: float) -> list[str]:
    """One Markdown row per outcome: the mean paired change in % and its t."""
    pairs = [
        (totals(population, team_population, years, s, spread), totals(population, team_population, years, s, 0.0))
        for s in range(1, seeds + 1)
    ]
    rows = ["| outcome | change | t |", "|---|---|---|"]
    for name in OUTCOMES:
        change = np.array([100 * (varied[name] / max(even[name], 1e-9) - 1) for varied, even in pairs])
        se = change.std(ddof=1) / np.sqrt(len(change))
        t = change.mean() / se if se > 0 else float("nan")
        rows.append(f"| {name} | {change.mean():+.1f}% | {t:+.1f} |")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.team_variation", description=__doc__.split("\n")[0])
    parser.add_argument("--population", type=int, default=100_000)
    parser.add_argument("--team-population", type=int, default=5000, help="people a CHS team (default 5000)")
    parser.add_argument("--years", type=int, default=3, help="reporting years (the first is left out)")
    parser.add_argument("--seeds", type=int, default=3, help="paired seeds, 2 or more (default 3)")
    parser.add_argument("--spread", type=float, default=0.38, help="productivity_spread of the varied arm")
    args = parser.parse_args(argv)
    if args.seeds < 2 or args.years < 2:
        parser.error(f"--seeds {args.seeds} --years {args.years}: allowed: 2 or more of each (a paired SE, a year)")
    print("\n".join(changes(args.population, args.team_population, args.years, args.seeds, args.spread)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
