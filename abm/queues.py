"""Vectorised priority queues: who each provider serves this week.

A provider (practice, team, trust, council) serves its queue in order of
priority, then waiting time, with a random tie-break, until its capacity for
the week is used.  All providers of a kind are served in one sorted pass over
their candidates; there is no Python loop over patients.
"""

from __future__ import annotations

import numpy as np


def serve_in_priority_order(
    provider: np.ndarray,
    priority: np.ndarray,
    waited: np.ndarray,
    capacity: np.ndarray,
    rng: np.random.Generator,
    cost: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean mask over candidates: served within each provider's capacity.

    ``provider[i]`` is the index of candidate i's provider, ``capacity[j]`` what
    provider j can give this week (in the same units as ``cost``, one per
    candidate by default).  Within a provider candidates are taken by priority
    (higher first), then longer wait, then at random, as long as the running
    total of their costs stays within capacity: the served set is a prefix of
    the queue, so nobody is served ahead of someone with a stronger claim.
    """
    n = provider.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((rng.random(n), -np.asarray(waited, dtype=np.float64),
                        -np.asarray(priority, dtype=np.float64), provider))
    group = provider[order]
    unit = np.ones(n) if cost is None else np.asarray(cost, dtype=np.float64)[order]
    running = np.cumsum(unit)
    first = np.searchsorted(group, group, side="left")
    within = running - (running[first] - unit[first])
    served = np.zeros(n, dtype=bool)
    served[order] = within <= np.asarray(capacity, dtype=np.float64)[group] + 1e-9
    return served


def total_by(group: np.ndarray, weights: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of ``weights`` per group as floats (``np.bincount`` returns ints when empty)."""
    return np.bincount(group, weights=weights, minlength=n_groups).astype(np.float64)
