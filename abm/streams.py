"""Random streams keyed by decision, week and identity, so common random numbers hold by construction.

With one shared generator, a lever that changes how many numbers one rule draws re-deals every
later draw for everyone, and a comparison with a baseline is mostly noise (issue 14).  Here a
person's uniform for a decision in a week is a pure function of

    (the run's seed, the decision, the week, the person's row)

and of nothing else: not of how many numbers any other rule or person drew.  A row is a stable
identity (rows are never reused: ``abm.population``).  Organisations' draws are keyed the same way,
by their index.

How (the design is Starsim's per-agent random slots, computed instead of stored): for each
(decision, week) a 64-bit stream key is derived from the seed with the SplitMix64 finaliser; a
person's uniform is that finaliser applied to ``key + row x golden gamma``, which is exactly the
``row``-th output of a SplitMix64 generator started at ``key`` (a generator that passes BigCrush).
Vectorised in numpy it costs about 7 microseconds a call plus about 4 nanoseconds a person, against
1.4 microseconds and 3 nanoseconds for numpy's PCG64 (measured on the 2-core development
machine); rules draw only for the people at risk.  The two weekly draws for everyone (death and
onset of need) use a 32-bit hash instead (``lowbias32`` of ``row x golden + key``, 24-bit float32
uniforms), hashed in cache-sized blocks: about 1.7 nanoseconds a person, as quick as PCG64.

Draws that are not per person use the same keys: counts (births, migration) are inverse-CDF
Poisson draws of one keyed uniform, and the attributes of the people who arrive in a week come
from a generator (PCG64) seeded with the key of (seed, decision, week), independent of every
other stream.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from enum import IntEnum

import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64's increment
MIX1, MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB  # SplitMix64's finaliser constants

GOLDEN32 = 0x9E3779B9  # the same constant in 32 bits
LOW1, LOW2 = 0x7FEB352D, 0x846CA68B  # lowbias32's multipliers
_BLOCK = 1 << 15  # elements hashed at a time by uniform32
FEW = 12  # up to this many identities, uniform() hashes in plain Python

_GOLDEN = np.uint64(GOLDEN)
_GOLDEN32, _LOW1, _LOW2 = np.uint32(GOLDEN32), np.uint32(LOW1), np.uint32(LOW2)
_U16, _U15, _U8 = np.uint32(16), np.uint32(15), np.uint32(8)
_MIX1, _MIX2 = np.uint64(MIX1), np.uint64(MIX2)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))
_TO_FLOAT64 = 1.0 / (1 << 53)
_TO_FLOAT32 = np.float32(1.0 / (1 << 24))


class Decision(IntEnum):
    """Every stochastic decision in the model, each with a stream of its own (its value is part of the
    keys: renumbering one changes every run's numbers)."""

    # people: demography and need (agents/patient.py)
    INITIAL_POPULATION = 1  # who lives where at the start, and their attributes (a generator)
    DEATH = 2  # who dies this week
    OUT_MIGRATION_COUNT = 3  # how many move away
    OUT_MIGRATION_PICK = 4  # who they are (numbered draws of candidate rows)
    BIRTHS_COUNT = 5
    IN_MIGRATION_COUNT = 6
    NEW_PEOPLE = 7  # the attributes of this week's births and in-migrants (a generator)
    ONSET = 8  # a well person starts an episode of need (and whether it starts at high need)
    NEED_CHANGE = 9  # a person in need recovers (resolution) or worsens (escalation): competing events
    SEEK_DECISION = 10  # whether a new episode will be taken to a GP
    SEEK_AGAIN = 11  # the same decision, taken afresh when need worsens
    SEEK_WEEK = 12  # a person who will seek care does so this week
    # GP practices (agents/gp_practice.py)
    INTEGRATION_ORDER = 13  # the order practices join integrated teams as integration rises (drawn once)
    GP_QUEUE = 14  # tie-breaks in a practice's queue
    GP_OUTCOME = 15  # what a consultation leads to (managed, CHS, hospital)
    ED_SPILL = 16  # a person waiting for a GP goes to ED
    # CHS teams (agents/chs_team.py)
    CHS_DISCHARGE_START = 17  # a delayed discharge's CHS referral and assessment are done
    CHS_DISCHARGE_QUEUE = 18  # tie-breaks for taking those discharges on
    UCR_QUEUE = 19  # tie-breaks for urgent community response
    VIRTUAL_WARD_QUEUE = 20  # tie-breaks for a virtual-ward place after a crisis at home
    VIRTUAL_WARD_AVERT = 21  # a crisis on a virtual-ward place is averted
    URGENT_RESPONSE_AVERT = 22  # a crisis at home is averted by urgent response
    VIRTUAL_WARD_FLOW = 23  # a virtual-ward patient steps down, stays or is admitted
    CHS_CASELOAD_QUEUE = 24  # tie-breaks for keeping a place on the caseload
    CHS_WAITING_QUEUE = 25  # tie-breaks for a place from the waiting list
    CHS_RATIONING = 26  # a low-need person waiting for CHS is turned away
    PROACTIVE_KEEP_QUEUE = 27  # tie-breaks for keeping a proactive-care place
    PROACTIVE_ENROL_QUEUE = 28  # tie-breaks for a new proactive-care place
    CASE_FINDING = 29  # hidden need found through proactive care
    # councils (agents/council.py)
    SEED_PACKAGES = 30  # tie-breaks for the packages held at the start
    PACKAGE_LENGTH = 31  # how many weeks a social-care package lasts (drawn when it starts)
    PACKAGE_WAIT = 32  # a waiting inpatient leaves with their own care, or is assessed for a package
    PACKAGE_QUEUE = 33  # tie-breaks for a free package (inpatients)
    COMMUNITY_PACKAGE_QUEUE = 34  # tie-breaks for a free package (people at home)
    # acute trusts (agents/acute_trust.py)
    DISCHARGE_SUPPORT = 35  # a fit inpatient needs support to leave
    DISCHARGE_SOCIAL_CARE = 36  # that support is social care (not CHS)
    CORRIDOR_END = 37  # a patient waiting in ED for a bed is managed without one
    ADMISSION_DECISION = 38  # ED decides to admit
    LENGTH_OF_STAY = 39  # days until medically fit
    ADMISSION_QUEUE = 40  # tie-breaks for a bed
    STEP_DOWN = 41  # an inpatient not yet fit is willing to step down to a virtual ward
    STEP_DOWN_QUEUE = 42  # tie-breaks for a step-down virtual-ward place
    # Place outreach by CHS teams after delegation (agents/chs_team.py)
    OUTREACH = 43  # hidden need reached by Place outreach
    OUTREACH_SCORE = 44  # the noise in a person's local-data risk score
    OUTREACH_QUEUE = 45  # tie-breaks for an outreach visit
    # people again (agents/patient.py)
    LONG_TERM_CONDITION = 46  # a person gains a long-term condition on a birthday
    # CHS teams again (agents/chs_team.py)
    CHS_TEAM_PRODUCTIVITY = 47  # each team's own contacts per FTE (drawn once, at build time)


def mix64(x: int) -> int:
    """SplitMix64's finaliser on a Python int (64-bit arithmetic)."""
    x &= MASK
    x = ((x ^ (x >> 30)) * MIX1) & MASK
    x = ((x ^ (x >> 27)) * MIX2) & MASK
    return x ^ (x >> 31)


class Streams:
    """The keyed random numbers of one run (``model.streams``); ``week`` is set by the model each week."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        # the seed through SeedSequence, so that any integer seed (and seeds that differ by one) gives
        # well-separated keys; then plain integer mixing per decision and week (a microsecond, not ten)
        self._root = int(np.random.SeedSequence(self.seed).generate_state(1, np.uint64)[0])
        self._week = 0
        self._now: list[np.uint64 | None] = [None] * (max(Decision) + 1)  # this week's keys, by decision

    @property
    def week(self) -> int:
        """The week the draws are for (the model's ``week_number``, set at the start of each step)."""
        return self._week

    @week.setter
    def week(self, week: int) -> None:
        if week != self._week:
            self._week = week
            self._now = [None] * len(self._now)

    # ------------------------------------------------------------------ keys
    def key(self, decision: Decision, week: int | None = None) -> np.uint64:
        """The stream key of ``decision`` in ``week`` (default: this week)."""
        if week is None or week == self._week:
            key = self._now[decision]
            if key is None:
                key = self._now[decision] = self._derive(decision, self._week)
            return key
        return self._derive(decision, week)

    def _derive(self, decision: Decision, week: int) -> np.uint64:
        return np.uint64(mix64(mix64(self._root ^ (int(decision) * GOLDEN)) + (week & MASK) * MIX1))

    # ------------------------------------------------------------------ per-identity draws
    def uniform(self, decision: Decision, ids: np.ndarray, *, week: int | None = None) -> np.ndarray:
        """One uniform in [0, 1) (float64, 53 bits) for each identity in ``ids`` (rows, or organisations)."""
        if len(ids) <= FEW:  # a dozen numpy calls cost more than a few Python ones (the same numbers)
            key = int(self.key(decision, week))
            return np.array([(mix64(key + int(i) * GOLDEN) >> 11) * _TO_FLOAT64 for i in ids], dtype=np.float64)
        z = self._mixed(decision, ids, week)
        z >>= _S11
        return z.view(np.int64) * _TO_FLOAT64

    def uniform32(self, decision: Decision, ids: np.ndarray, *, week: int | None = None) -> np.ndarray:
        """The same idea as float32 (24 bits), from a 32-bit hash (``lowbias32``, a bijection of the
        32-bit integers): for the weekly scans over many people, as quick as numpy's own generator.
        ``ids`` must be below 2**32."""
        ids = np.asarray(ids)
        key = self.key32(decision, week)
        out = np.empty(ids.size, dtype=np.float32)
        rows = ids if ids.dtype == np.uint32 else ids.astype(np.uint32)
        for start in range(0, ids.size, _BLOCK):  # blocks that stay in the cache: twice as quick for millions
            stop = min(start + _BLOCK, ids.size)
            _hash32(rows[start:stop], key, out[start:stop])
        return out

    def key32(self, decision: Decision, week: int | None = None) -> np.uint32:
        """The low 32 bits of :meth:`key`: the key of :meth:`uniform32`."""
        return np.uint32(int(self.key(decision, week)) & 0xFFFFFFFF)

    def tiebreak(self, decision: Decision, ids: np.ndarray) -> Callable[..., np.ndarray]:
        """The queue tie-breaks of ``ids`` for ``decision``, drawn when called, for all of them or for the
        positions ``subset`` (see :func:`abm.queues.serve_in_priority_order`, which calls it only when it
        sorts, and for its shortlist only)."""

        def draw(subset: np.ndarray | None = None) -> np.ndarray:
            return self.uniform(decision, ids if subset is None else ids[subset])

        return draw

    def everyone32(self, decision: Decision, n: int) -> np.ndarray:
        """:meth:`uniform32` for rows ``0 .. n-1``."""
        return self.uniform32(decision, _arange32(n))

    def uniform_one(self, decision: Decision, row: int, week: int | None = None) -> float:
        """:meth:`uniform` for one identity, in plain Python (the per-object reference's draws): the same number."""
        return (mix64(int(self.key(decision, week)) + row * GOLDEN) >> 11) * _TO_FLOAT64

    def uniform32_one(self, decision: Decision, row: int) -> float:
        """:meth:`uniform32` for one identity, in plain Python: the same number (a float32 value, exactly)."""
        return (lowbias32(row * GOLDEN32 + int(self.key32(decision))) >> 8) * (1.0 / (1 << 24))

    def _mixed(self, decision: Decision, ids: np.ndarray, week: int | None) -> np.ndarray:
        ids = np.asarray(ids)
        z = np.multiply(ids.view(np.uint64) if ids.dtype == np.int64 else ids.astype(np.uint64), _GOLDEN)
        z += self.key(decision, week)
        _finalise(z, (_S30, _S27, _S31), (_MIX1, _MIX2))
        return z

    # ------------------------------------------------------------------ whole draws
    def poisson(self, decision: Decision, mean: float, identity: int = 0) -> int:
        """A Poisson count with ``mean`` from one keyed uniform (inverse CDF: a larger mean never gives
        a smaller count, so a lever that raises the mean a little moves the count a little)."""
        if mean <= 0:
            return 0
        return poisson_quantile(self.uniform_one(decision, identity), mean)

    def generator(self, decision: Decision, week: int | None = None) -> np.random.Generator:
        """A generator of its own for ``decision`` in ``week``: for draws that are not per identity
        (the attributes of the people arriving this week), independent of every other stream."""
        return np.random.Generator(np.random.PCG64(int(self.key(decision, week))))


def poisson_quantile(u: float, mean: float) -> int:
    """The smallest count k with P(X <= k) >= u for X ~ Poisson(mean)."""
    if mean < 50:  # sum the probabilities: a few dozen terms at most
        term = math.exp(-mean)
        total, k = term, 0
        while total < u and k < 1000:
            k += 1
            term *= mean / k
            total += term
        return k
    from scipy.special import pdtrik  # the inverse of the regularised incomplete gamma in k

    return max(0, math.ceil(float(pdtrik(u, mean)) - 1e-9))


def lowbias32(x: int) -> int:
    """Chris Wellons' ``lowbias32`` integer hash on a Python int (32-bit arithmetic)."""
    x &= 0xFFFFFFFF
    x ^= x >> 16
    x = (x * LOW1) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * LOW2) & 0xFFFFFFFF
    return x ^ (x >> 16)


def _finalise(z: np.ndarray, shifts: tuple, multipliers: tuple) -> None:
    """In place: ``z ^= z >> s0; z *= m0; z ^= z >> s1; z *= m1; z ^= z >> s2`` (the xorshift-multiply
    finaliser of SplitMix64 and of lowbias32, by their constants; unsigned arithmetic wraps)."""
    t = z >> shifts[0]
    z ^= t
    z *= multipliers[0]
    np.right_shift(z, shifts[1], out=t)
    z ^= t
    z *= multipliers[1]
    np.right_shift(z, shifts[2], out=t)
    z ^= t


def _hash32(rows: np.ndarray, key: np.uint32, out: np.ndarray) -> None:
    """``out[:] = (lowbias32(rows x GOLDEN32 + key) >> 8) / 2**24`` (uint32 arithmetic wraps)."""
    z = rows * _GOLDEN32
    z += key
    _finalise(z, (_U16, _U15, _U16), (_LOW1, _LOW2))
    z >>= _U8
    np.multiply(z.view(np.int32), _TO_FLOAT32, out=out, casting="unsafe")


_ARANGE32 = np.arange(0, dtype=np.uint32)


def _arange32(n: int) -> np.ndarray:
    """``np.arange(n)`` as uint32, from a cached array grown as needed (read-only)."""
    global _ARANGE32
    if _ARANGE32.size < n:
        grown = np.arange(max(n, 2 * _ARANGE32.size), dtype=np.uint32)
        grown.flags.writeable = False
        _ARANGE32 = grown
    return _ARANGE32[:n]


# --------------------------------------------------------------------------- distributions from uniforms
GAMMA_TABLE_POINTS = 4096  # the table's knots, evenly spaced in t = -log(1 - u)
GAMMA_TABLE_TAIL = 16.0  # t at the last knot (u = 1 - 1.1e-7); beyond it the exact inverse is used


def geometric_quantile(u: np.ndarray, p: float) -> np.ndarray:
    """Whole weeks until an event with weekly probability ``p`` (1, 2, ...): the geometric quantile of each
    uniform ``u`` in [0, 1), so a longer expected wait gives a longer wait from the same uniform."""
    if p >= 1:
        return np.ones(np.shape(u), dtype=np.int64)
    return np.floor(np.log1p(-np.asarray(u, dtype=np.float64)) / math.log1p(-p)).astype(np.int64) + 1


def gamma_quantile(u: np.ndarray, shape: float) -> np.ndarray:
    """The standard gamma(``shape``) quantile of each uniform ``u``, interpolated in a table of the exact
    inverse (scipy's ``gammaincinv``) on knots evenly spaced in ``t = -log(1 - u)``: about 40 times
    quicker, and within 0.005 of the exact value for shape 1.5 (``tests/test_streams.py``)."""
    t_knots, q_knots = _gamma_table(float(shape))
    t = -np.log1p(-np.asarray(u, dtype=np.float64))
    q = np.interp(t, t_knots, q_knots)
    tail = t > GAMMA_TABLE_TAIL
    if tail.any():
        from scipy.special import gammaincinv

        q[tail] = gammaincinv(shape, np.asarray(u)[tail])
    return q


@functools.lru_cache(maxsize=8)
def _gamma_table(shape: float) -> tuple[np.ndarray, np.ndarray]:
    from scipy.special import gammaincinv

    t = np.linspace(0.0, GAMMA_TABLE_TAIL, GAMMA_TABLE_POINTS)
    q = gammaincinv(shape, -np.expm1(-t))
    t.flags.writeable = False
    q.flags.writeable = False
    return t, q
