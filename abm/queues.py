"""Vectorised priority queues: who each provider serves this week.

A provider (practice, team, trust, council) serves its queue in order of
priority, then waiting time, with a random tie-break, until its capacity for
the week is used.  All providers of a kind are served in one sorted pass over
their candidates; there is no Python loop over patients.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

INT64_LIMIT = 2**63 - 1
SMALL_QUEUE = 1000  # up to this many candidates, one lexsort is the quickest way to order them
FIT_MARGIN = 1e-6  # spare capacity (relative to all the costs) that makes "everyone fits" certain despite rounding
FEW_PROVIDERS = 8  # up to this many providers, everyone_fits compares totals as Python floats


def serve_in_priority_order(
    provider: np.ndarray,
    priority: np.ndarray | None,
    waited: np.ndarray | None,
    capacity: np.ndarray,
    tiebreak: Callable[..., np.ndarray],
    cost: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean mask over candidates: served within each provider's capacity.

    ``provider[i]`` is the index of candidate i's provider, ``capacity[j]`` what
    provider j can give this week (in the same units as ``cost``, one per
    candidate by default).  Within a provider candidates are taken by priority
    (higher first), then longer wait, then at random, as long as the running
    total of their costs stays within capacity: the served set is a prefix of
    the queue, so nobody is served ahead of someone with a stronger claim.
    ``priority`` or ``waited`` None means equal for everyone (that key is not sorted on).
    ``tiebreak()`` gives the candidates' random tie-breaks (one uniform each, keyed by
    person: ``model.streams.tiebreak(decision, ids)``), and ``tiebreak(subset)`` those of the
    candidates at positions ``subset`` (the shortlist) only; it is called only when the queue is
    sorted.  When every provider can serve all its candidates the queue is not sorted
    (:func:`everyone_fits`), nor when (one place each) no provider has a whole place.
    Keyed draws make skipping them safe: nobody else's numbers depend on them.
    """
    n = provider.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    cost = None if cost is None else np.asarray(cost, dtype=np.float64)
    capacity = np.asarray(capacity, dtype=np.float64)
    if everyone_fits(provider, cost, capacity):
        served = np.empty(n, dtype=bool)
        served.fill(True)  # (quicker than np.ones for short queues)
        return served
    if cost is None:
        if capacity.max() + 1e-9 < 1:  # not even one place anywhere: nobody is served, in any order
            return np.zeros(n, dtype=bool)
        cost = np.ones(n)
    priority = None if priority is None else np.asarray(priority)
    waited = None if waited is None else np.asarray(waited)
    chosen = shortlist(provider, priority, capacity, cost) if n > SMALL_QUEUE else None
    if chosen is None:
        order = queue_order(provider, priority, waited, tiebreak())
    else:  # only the shortlisted candidates' tie-breaks are drawn (keyed draws: the same numbers as in a full draw)
        assert priority is not None  # shortlist() narrows the queue only by priority
        waited_chosen = None if waited is None else waited[chosen]
        order = chosen[queue_order(provider[chosen], priority[chosen], waited_chosen, tiebreak(chosen))]
    group = provider[order]
    unit = cost[order]
    running = unit.cumsum()
    first = group.searchsorted(group) if n <= SMALL_QUEUE else run_starts(group)
    within = running - (running[first] - unit[first])
    served = np.zeros(n, dtype=bool)
    served[order] = within <= capacity[group] + 1e-9
    return served


def everyone_fits(provider: np.ndarray, cost: np.ndarray | None, capacity: np.ndarray) -> bool:
    """Whether each provider's capacity covers all its candidates' costs, so all are served in any order.

    With costs that are not negative no running total within a provider exceeds
    its full total; the margin (``FIT_MARGIN`` of all the costs) is far wider than
    the rounding of the running totals, so a "yes" here is a "yes" of the full sort.
    ``cost`` None means one each (the totals are then counts, the same numbers).
    """
    if cost is None:
        total = np.bincount(provider, minlength=capacity.size)
    elif cost.min() < 0:
        return False
    else:
        total = np.bincount(provider, weights=cost, minlength=capacity.size)
    if capacity.size <= FEW_PROVIDERS:  # a handful of totals: plain floats are quicker than array operations
        totals = total.tolist()
        margin = FIT_MARGIN * (1.0 + sum(totals))
        return all(t + margin <= c for t, c in zip(totals, capacity.tolist(), strict=True))
    return bool((total + FIT_MARGIN * (1.0 + total.sum()) <= capacity).all())


def run_starts(group: np.ndarray) -> np.ndarray:
    """For sorted ``group``, the index where each element's run of equal values starts
    (``np.searchsorted(group, group)``, in one pass)."""
    start = np.zeros(group.size, dtype=np.intp)
    new = (group[1:] != group[:-1]).nonzero()[0] + 1
    start[new] = new
    return np.maximum.accumulate(start)


def shortlist(
    provider: np.ndarray, priority: np.ndarray | None, capacity: np.ndarray, cost: np.ndarray
) -> np.ndarray | None:
    """When capacity is short, the candidates who could be served (ascending indices): those
    with at least the priority of their provider's ``k``-th strongest claim; else None (all,
    as when ``priority`` is None: every claim is equal).

    ``k`` is more than a provider can serve (its capacity over the smallest cost,
    plus one).  Everyone left out has a lower priority than ``k`` others of the
    same provider, so they come after them in the queue and would not be served:
    the queue's served prefix, and so the outcome, is the same without them.
    """
    if priority is None:
        return None
    smallest = cost.min()
    if smallest <= 0:
        return None
    slots = np.floor(np.maximum(capacity, 0) / smallest) + 2
    if slots.sum() * 4 >= provider.size:
        return None
    priority = np.asarray(priority, dtype=np.float64)
    by_provider = np.argsort(provider, kind="stable")
    bounds = np.searchsorted(provider[by_provider], np.arange(len(capacity) + 1))
    threshold = np.full(len(capacity), -np.inf)
    for j in (np.diff(bounds) > slots).nonzero()[0]:
        claims = priority[by_provider[bounds[j] : bounds[j + 1]]]
        kth = claims.size - int(slots[j])
        threshold[j] = np.partition(claims, kth)[kth]
    return (priority >= threshold[provider]).nonzero()[0]


def queue_order(
    provider: np.ndarray, priority: np.ndarray | None, waited: np.ndarray | None, draw: np.ndarray
) -> np.ndarray:
    """The queue: by provider, then priority (higher first), then wait (longer first), then ``draw``
    (``priority`` or ``waited`` None: equal for everyone).

    The same permutation as ``np.lexsort((draw, -waited, -priority, provider))``
    (which it uses for short queues), found for long ones with fewer, cheaper
    sorts: the candidates are sorted by draw, and the other three keys, replaced
    by their ranks (equal values, equal rank), are packed into one integer
    "class"; a stable sort by class of the draw-ordered candidates (a radix sort
    when the classes fit in 16 bits) gives the queue.  Falls back to ``lexsort``
    when two draws are equal (its stable sort then decides) or the packed key
    would overflow.
    """
    n = draw.size
    if n <= SMALL_QUEUE:
        return _lexsort_order(provider, priority, waited, draw)
    by_draw = np.argsort(draw)
    drawn = draw[by_draw]
    if (drawn[1:] == drawn[:-1]).any():
        return _lexsort_order(provider, priority, waited, draw)
    group, n_groups = np.zeros(n, dtype=np.int64), 1
    for values, descending in ((provider, False), (priority, True), (waited, True)):
        if values is None:
            continue
        rank, count = ordinal_rank(values, descending)
        if n_groups > INT64_LIMIT // (count * n):
            return _lexsort_order(provider, priority, waited, draw)
        if count > 1:
            group *= count
            group += rank
        n_groups *= count
    if n_groups <= 2**16:
        return by_draw[np.argsort(group.astype(np.uint16)[by_draw], kind="stable")]
    key = group * n
    key[by_draw] += np.arange(n)
    return np.argsort(key)


def _lexsort_order(provider, priority, waited, draw) -> np.ndarray:
    """``np.lexsort((draw, -waited, -priority, provider))``, leaving out a key that is None (equal for everyone:
    the same order)."""
    keys = [draw]
    if waited is not None:
        keys.append(-np.asarray(waited, dtype=np.float64))
    if priority is not None:
        keys.append(-np.asarray(priority, dtype=np.float64))
    keys.append(provider)
    return np.lexsort(keys)


def ordinal_rank(values: np.ndarray, descending: bool = False) -> tuple[np.ndarray, int]:
    """Integer ranks that order like ``values`` (or ``-values``), equal values sharing a rank, and how many ranks.

    Whole numbers within a small range are their own ranks (offset by the
    minimum or from the maximum), with no sort.
    """
    values = np.asarray(values)
    if values.dtype == bool:
        values = values.view(np.uint8)
    low, high = values.min(), values.max()
    if low == high:
        return np.zeros(values.size, dtype=np.int64), 1
    whole = values.dtype.kind in "iu" or np.array_equal(values, np.floor(values))
    if whole and high - low < values.size:
        rank = (high - values) if descending else (values - low)
        return rank.astype(np.int64), int(high - low) + 1
    keys = -values.astype(np.float64) if descending else values
    order = np.argsort(keys)
    ordered = keys[order]
    step = np.empty(values.size, dtype=np.int64)
    step[0] = 0
    np.not_equal(ordered[1:], ordered[:-1], out=step[1:])
    rank = np.empty(values.size, dtype=np.int64)
    rank[order] = np.cumsum(step)
    return rank, int(step.sum()) + 1


def total_by(group: np.ndarray, weights: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of ``weights`` per group as floats (``np.bincount`` returns ints when empty)."""
    return np.bincount(group, weights=weights, minlength=n_groups).astype(np.float64)
