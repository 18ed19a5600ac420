"""Bit-identity check for optimisations: a fixed-seed run's outputs, saved and compared exactly.

    python -m benchmarks.identity save before.npz      # on the commit before a change
    python -m benchmarks.identity check before.npz     # after it: exit 1 unless every array is identical
    python -m benchmarks.identity check before.npz --scenario case_study_ics   # a preset instead

The run is the default scenario (or ``--scenario``) at seed 7, 20,000 people, 2
years (with the scenario's burn-in).  Saved: the weekly metrics (``frame()`` and ``group_frame()``
values), every population array and the journeys.  An optimisation must leave
all of them bit-identical (``np.array_equal``); the files are for comparing two
commits on one machine, not across numpy versions.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, cast

import numpy as np

from abm.model import ICSModel
from abm.population import FIELDS

RUN = {"population": 20_000, "years": 2, "rng": 7}


def outputs(scenario: str | None = None, **run) -> dict[str, np.ndarray]:
    """The arrays a fixed-seed run produces (metrics, population, journeys, counters)."""
    model = ICSModel(scenario, **{**RUN, **run}).run()
    pop = model.pop
    out = {
        "frame": model.metrics.frame().drop(columns="place").to_numpy(dtype=np.float64),
        "group_frame": model.metrics.group_frame().drop(columns="age_band").to_numpy(dtype=np.float64),
        "hist_setting": pop._hist_setting[: pop.n],
        "hist_week": pop._hist_week[: pop.n],
        "hist_count": pop._hist_count[: pop.n],
        "counters": np.array([model.counters[k] for k in ("entered", "died", "left")]),
    }
    out |= {f"pop_{name}": getattr(pop, name) for name in FIELDS}
    return out


def differences(saved: dict[str, np.ndarray], now: dict[str, np.ndarray]) -> list[str]:
    """Names of the arrays that differ (or exist on one side only)."""
    names = sorted(set(saved) | set(now))
    return [n for n in names if n not in saved or n not in now or not np.array_equal(saved[n], now[n])]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("save", "check"))
    parser.add_argument("path")
    parser.add_argument("--scenario", help="a preset name or YAML path (default: the default scenario)")
    parser.add_argument("--population", type=int, default=RUN["population"])
    args = parser.parse_args(argv)
    now = outputs(args.scenario, population=args.population)
    if args.action == "save":
        # (numpy's stub types **kwds against its allow_pickle: bool keyword; the arrays are Any to it)
        np.savez_compressed(args.path, **cast("dict[str, Any]", now))
        print(f"saved {len(now)} arrays to {args.path}")
        return 0
    with np.load(args.path) as f:
        saved = {k: f[k] for k in f.files}
    bad = differences(saved, now)
    print("identical" if not bad else f"DIFFERENT: {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
