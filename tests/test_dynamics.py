"""Sanity of dynamics: per-head comparability across sizes and the direction and size of basic effects.

Several fixed seeds per arm, paired by seed; effects must be in the right
direction by more than twice their standard error, and of plausible size.
"""

from __future__ import annotations

import numpy as np
import pytest

from abm.model import ICSModel
from tests.conftest import ics, paired, per_1000_year

SEEDS = list(range(101, 111))  # ten paired seeds
BASE = {"years": 1, "burn_in_weeks": 52}


def outcomes(**overrides) -> dict:
    model = ICSModel(**{**BASE, **overrides}).run()
    df = ics(model)
    return {
        "admissions": per_1000_year(model, "emergency_admissions"),
        "unmet": per_1000_year(model, "unmet_need"),
        "gp": per_1000_year(model, "gp_appointments") / 1000,
        "chs": per_1000_year(model, "chs_contacts") / 1000,
        "occupancy": df.bed_occupancy.mean(),
        "delayed_per_1000": df.delayed_discharge_bed_days.sum() / df.population.mean() * 1000,
    }


def arm(**overrides) -> dict[str, np.ndarray]:
    runs = [outcomes(seed=s, **overrides) for s in SEEDS]
    return {k: np.array([r[k] for r in runs]) for k in runs[0]}


@pytest.fixture(scope="module")
def baseline_10k():
    return arm(population=10_000)


@pytest.mark.slow
def test_rates_per_1000_agree_across_population_sizes(baseline_10k):
    large = arm(population=40_000)
    for key in ("admissions", "unmet", "gp", "chs", "occupancy"):
        small_mean, large_mean = baseline_10k[key].mean(), large[key].mean()
        assert large_mean == pytest.approx(small_mean, rel=0.12), key


def test_baseline_is_in_a_plausible_range(baseline_10k):
    """Near England's per-head figures (DESIGN 7); the calibration issue tightens these."""
    assert 80 < baseline_10k["admissions"].mean() < 150  # ~110-120 per 1,000 a year
    assert 4.5 < baseline_10k["gp"].mean() < 7.5  # ~6 GP consultations per person a year
    assert 1.2 < baseline_10k["chs"].mean() < 2.5  # ~1.8 CHS contacts per person a year
    assert 0.75 < baseline_10k["occupancy"].mean() <= 1.0  # ~90%


def test_doubling_beds_lowers_occupancy(baseline_10k):
    doubled = arm(population=10_000, **{"levers.acute_beds_multiplier": 2.0})
    diff, se = paired(baseline_10k["occupancy"], doubled["occupancy"])
    assert diff < -3 * se
    assert doubled["occupancy"].mean() < 0.7 * baseline_10k["occupancy"].mean()


def test_social_care_cut_raises_delayed_discharges(baseline_10k):
    """Mechanism 10 (001 §2): social-care cuts raise delayed transfers of care (compared on a log scale)."""
    cut = arm(population=10_000, **{"levers.social_care_capacity_multiplier": 0.6})
    diff, se = paired(np.log(baseline_10k["delayed_per_1000"]), np.log(cut["delayed_per_1000"]))
    assert diff > 3 * se
    assert np.exp(diff) > 1.2
