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

``python -m dashboard.noise_measure`` measures, for each story preset of the facilitator's guide, each
card's paired change and its noise at several populations (the table in ``docs/facilitator_guide.md``,
"How large a population"), which is how the workshop's default population was chosen. No Solara here:
the tests use it directly.
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

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
