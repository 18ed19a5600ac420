"""The vectorised priority queue: capacity is never exceeded and priority is respected."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.queues import queue_order, serve_in_priority_order


def tiebreak(seed: int, n: int):
    """A queue's tie-breaks as the engine passes them: drawn when called, for all or for a subset (the numbers
    ``rng.random(n)`` gives)."""

    def draw(subset=None):
        numbers = np.random.default_rng(seed).random(n)
        return numbers if subset is None else numbers[subset]

    return draw


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 200),
    n_providers=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    unit_cost=st.booleans(),
)
def test_capacity_and_priority(n, n_providers, seed, unit_cost):
    rng = np.random.default_rng(seed)
    provider = rng.integers(0, n_providers, size=n)
    priority = rng.integers(0, 4, size=n)
    waited = rng.integers(0, 30, size=n)
    cost = None if unit_cost else rng.uniform(0.1, 3.0, size=n)
    capacity = rng.uniform(0, 40, size=n_providers)
    served = serve_in_priority_order(provider, priority, waited, capacity, tiebreak(seed + 1, n), cost)
    c = np.ones(n) if cost is None else cost
    for j in range(n_providers):
        mine = provider == j
        assert c[served & mine].sum() <= capacity[j] + 1e-9
        if (served & mine).any() and (~served & mine).any():
            # nobody left waiting has a strictly stronger claim than someone served
            best_left = max(zip(priority[~served & mine], waited[~served & mine], strict=True))
            worst_served = min(zip(priority[served & mine], waited[served & mine], strict=True))
            assert best_left <= worst_served
        if cost is None:
            assert (served & mine).sum() == min(mine.sum(), int(np.floor(capacity[j] + 1e-9)))


def test_empty_queue():
    out = serve_in_priority_order(np.array([], dtype=int), np.array([]), np.array([]), np.array([5.0]), tiebreak(0, 0))
    assert out.shape == (0,)


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 3000),
    seed=st.integers(0, 2**32 - 1),
    kinds=st.tuples(st.sampled_from(["zeros", "levels", "floats"]), st.sampled_from(["zeros", "weeks", "negative"])),
    tied_draws=st.booleans(),
)
def test_queue_order_is_the_lexsort_order(n, seed, kinds, tied_draws):
    """The packed-key sort gives exactly the four-key lexsort's order (ties in the draw included)."""
    rng = np.random.default_rng(seed)
    provider = rng.integers(0, 1 + rng.integers(0, 60), size=n).astype(np.uint16)
    priority = {"zeros": np.zeros(n), "levels": rng.integers(0, 4, size=n), "floats": rng.random(n).astype(np.float32)}[
        kinds[0]
    ]
    waited = {
        "zeros": np.zeros(n),
        "weeks": rng.integers(0, 40, size=n).astype(np.uint16),
        "negative": -rng.integers(0, 40, size=n),
    }[kinds[1]]
    draw = rng.random(n)
    if tied_draws:
        draw = np.round(draw, 1)
    expected = np.lexsort(
        (draw, -np.asarray(waited, dtype=np.float64), -np.asarray(priority, dtype=np.float64), provider)
    )
    np.testing.assert_array_equal(queue_order(provider, priority, waited, draw), expected)


def served_by_lexsort(provider, priority, waited, capacity, rng, cost=None):
    """The queue as first written: one lexsort of every candidate (the reference for the faster version)."""
    n = provider.size
    order = np.lexsort(
        (rng.random(n), -np.asarray(waited, dtype=np.float64), -np.asarray(priority, dtype=np.float64), provider)
    )
    group = provider[order]
    unit = np.ones(n) if cost is None else np.asarray(cost, dtype=np.float64)[order]
    running = np.cumsum(unit)
    first = np.searchsorted(group, group, side="left")
    within = running - (running[first] - unit[first])
    served = np.zeros(n, dtype=bool)
    served[order] = within <= np.asarray(capacity, dtype=np.float64)[group] + 1e-9
    return served


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 4000),
    n_providers=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
    costs=st.sampled_from(["unit", "constant", "varied"]),
    scarce=st.booleans(),
)
def test_served_exactly_as_by_a_full_sort(n, n_providers, seed, costs, scarce):
    """Shortlisting and the packed-key sort change nothing: the same people are served."""
    rng = np.random.default_rng(seed)
    provider = rng.integers(0, n_providers, size=n).astype(np.uint16)
    priority = rng.random(n).astype(np.float32) if seed % 2 else rng.integers(0, 3, size=n)
    waited = rng.integers(0, 5, size=n).astype(np.uint16)
    cost = {"unit": None, "constant": np.full(n, 2.5), "varied": rng.uniform(0.5, 3.0, size=n)}[costs]
    capacity = rng.uniform(0, 3 if scarce else 60, size=n_providers)
    args = (provider, priority, waited, capacity)
    np.testing.assert_array_equal(
        serve_in_priority_order(*args, tiebreak(seed, n), cost),
        served_by_lexsort(*args, np.random.default_rng(seed), cost),
    )


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 3000),
    seed=st.integers(0, 2**32 - 1),
    missing=st.sampled_from(["priority", "waited", "both"]),
    scarce=st.booleans(),
)
def test_a_missing_key_is_a_key_equal_for_everyone(n, seed, missing, scarce):
    """``priority`` or ``waited`` None gives the queue (and the served set) of an all-zero key."""
    rng = np.random.default_rng(seed)
    provider = rng.integers(0, 1 + rng.integers(0, 8), size=n).astype(np.uint16)
    priority = rng.random(n).astype(np.float32)
    waited = rng.integers(0, 5, size=n).astype(np.uint16)
    if missing in ("priority", "both"):
        priority = None
    if missing in ("waited", "both"):
        waited = None
    zeros = np.zeros(n)
    as_zeros = (zeros if priority is None else priority, zeros if waited is None else waited)
    draw = rng.random(n)
    np.testing.assert_array_equal(queue_order(provider, priority, waited, draw), queue_order(provider, *as_zeros, draw))
    capacity = rng.uniform(0, 3 if scarce else 60, size=int(provider.max()) + 1)
    np.testing.assert_array_equal(
        serve_in_priority_order(provider, priority, waited, capacity, tiebreak(seed, n)),
        served_by_lexsort(provider, *as_zeros, capacity, np.random.default_rng(seed)),
    )
