"""``abm crn``: paired against unpaired spread of lever contrasts (keyed streams make the pairing tight)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from abm import cli, crn


@pytest.mark.slow
def test_a_small_table_has_every_contrast_and_outcome():
    rows = crn.table(population=2000, years=1, seeds=[1, 2, 3], contrasts=crn.CONTRASTS[:2])
    assert [(r.contrast, r.outcome) for r in rows] == [(c, o) for c, _ in crn.CONTRASTS[:2] for o, _ in crn.OUTCOMES]
    assert all(r.paired_sd >= 0 and r.unpaired_sd > 0 and r.seeds == 3 for r in rows)
    text = crn.markdown(rows, 2000, 1, [1, 2, 3])
    assert "| social-care capacity x1.1 | admissions |" in text and "ratio" in text


@pytest.mark.slow
def test_pairing_narrows_every_contrast_at_the_workshop_size():
    """At 10,000 people x 5 years x 8 seeds (the README's table): unmet need's paired SD is at most a third
    of the unpaired for every contrast; admissions' and delayed discharges' at most 0.6 (measured 0.17-0.46:
    beds and a funding shift move admissions through a full hospital, which pairs less well); and every row
    over the target is one that no pairing could bring under it (one arm flat, or at the divergence floor)."""
    rows = crn.table(population=10_000, years=5, seeds=list(range(1, 9)), jobs=2)
    assert all(r.ratio <= crn.TARGET_RATIO or r.one_arm_flat or r.at_floor for r in rows if r.contrast != crn.FLOOR[0])
    for r in rows:
        if r.outcome == "unmet need":
            assert r.ratio <= 1 / 3, r
        elif r.outcome in ("admissions", "delayed discharges"):
            assert r.ratio <= 0.6, r


def test_t_is_the_mean_over_its_paired_standard_error():
    row = crn.Row("c", "o", mean_base=100.0, mean_difference=3.0, paired_sd=2.0, unpaired_sd=8.0, seeds=4)
    assert row.t == pytest.approx(3.0) and row.ratio == 0.25
    assert math.isinf(crn.Row("c", "o", 1.0, 1.0, 0.0, 1.0, 4).t)


@pytest.mark.parametrize(
    "args, message",
    [(["--seeds", "2"], "--seeds 2 is out of range"), (["--population", "10"], "--population 10 is out of range")],
)
def test_bad_options_are_refused(args, message, capsys):
    assert cli.main(["crn", *args]) == 2
    assert message in capsys.readouterr().err


def test_a_row_knows_when_one_arm_barely_varies():
    """A lever that puts one arm on a flat part of a clipped response leaves nothing to pair: the table says so."""
    flat = crn.Row("c", "o", 1.0, 0.1, paired_sd=2.0, unpaired_sd=2.05, seeds=8, base_sd=2.0, changed_sd=0.4)
    both = crn.Row("c", "o", 1.0, 0.1, paired_sd=1.0, unpaired_sd=2.8, seeds=8, base_sd=2.0, changed_sd=2.0)
    assert flat.one_arm_flat and not both.one_arm_flat
    text = crn.markdown([flat, both], 2000, 1, [1, 2, 3])
    assert "(over; one arm flat)" in text and "| 2 / 0.4 |" in text and "| 2 / 2 |" in text


def test_the_ratio_has_a_bootstrap_interval_over_the_seeds():
    """The ratio's interval resamples the seeds (the same each time): it holds the ratio, it is 0 for a change
    that shifts every seed alike, and for arms that vary independently it is wide and reaches 1."""
    rng = np.random.default_rng(3)
    base = rng.normal(100, 10, 8)

    def row(changed):
        difference = changed - base
        return crn.Row(
            "c", "o", float(base.mean()), float(difference.mean()), float(difference.std(ddof=1)),
            float(np.sqrt(base.var(ddof=1) + changed.var(ddof=1))), 8,
            base_values=tuple(base), changed_values=tuple(changed),
        )  # fmt: skip

    shifted = row(base + 5.0)
    assert shifted.ratio_interval() == (0.0, 0.0)
    noisy = row(base + rng.normal(0, 4, 8))
    low, high = noisy.ratio_interval()
    assert low < noisy.ratio < high and noisy.ratio_interval() == (low, high)
    assert high < 1
    independent = row(rng.normal(100, 10, 8))
    assert independent.ratio_interval()[1] > 0.9
    assert math.isnan(crn.Row("c", "o", 1.0, 0.1, 1.0, 2.0, 8).ratio_interval()[0])
    assert "| n/a |" in crn.markdown([crn.Row("c", "o", 1.0, 0.1, 1.0, 2.0, 8)], 2000, 1, [1, 2, 3])


def test_a_row_over_the_target_says_when_it_is_at_the_divergence_floor():
    """A contrast whose paired SD cannot be told apart from that of a change too small to matter is "at the floor",
    even when its own estimate is a little above the floor's; one whose paired SD is clearly larger is plainly over;
    one within the target is neither; the floor's own row says it is the floor."""
    rng = np.random.default_rng(5)
    base = rng.normal(100, 10, 16)

    def row(label, difference):
        changed = base + difference
        return crn.Row(
            label, "o", float(base.mean()), float(difference.mean()), float(difference.std(ddof=1)),
            float(np.sqrt(base.var(ddof=1) + changed.var(ddof=1))), base.size, float(base.std(ddof=1)),
            float(changed.std(ddof=1)), tuple(base), tuple(changed),
        )  # fmt: skip

    divergence = rng.normal(0, 12, base.size)
    floor, near_floor = row(crn.FLOOR[0], divergence), row("a", 1.2 * rng.permutation(divergence))
    worse, within = row("b", 3 * rng.permutation(divergence)), row("c", divergence / 12)
    rows = crn.mark_floor([near_floor, worse, within, floor])
    assert min(floor.ratio, near_floor.ratio, worse.ratio) > crn.TARGET_RATIO > within.ratio
    assert near_floor.paired_sd > floor.paired_sd  # above the floor's by its estimate, yet not clearly so
    low, high = near_floor.floor_interval(floor)
    assert low <= 1 < high and worse.floor_interval(floor)[0] > 1
    assert [r.at_floor for r in rows] == [True, False, False, False]
    lines = {line.split(" | ")[0]: line for line in crn.markdown(rows, 2000, 1, list(range(1, 17))).splitlines()}
    assert "(over; at the floor) |" in lines["| a"] and "(over) |" in lines["| b"] and "(over" not in lines["| c"]
    assert "(over; the floor itself) |" in lines[f"| {crn.FLOOR[0]}"]
    flat_floor = row(crn.FLOOR[0], np.zeros(base.size))  # a floor with no spread: any spread is above it
    assert near_floor.floor_interval(flat_floor) == (math.inf, math.inf)


def test_set_changes_both_arms_and_a_contrast_keeps_its_own_lever_value():
    """``abm crn --set KEY=VALUE`` runs every arm on the changed scenario (here without the crowding slowdown);
    a contrast's own lever value replaces a common one for the same lever; the table's command shows it."""
    plain = crn.outcomes({}, 1000, 1, seed=1)
    assert not np.array_equal(crn.outcomes({}, 1000, 1, seed=1, common=["params.acute.los_slowdown=0"]), plain)
    beds = {"levers.acute_beds_multiplier": 1.1}
    assert np.array_equal(
        crn.outcomes(beds, 1000, 1, seed=1, common=["levers.acute_beds_multiplier=0.5"]),
        crn.outcomes(beds, 1000, 1, seed=1),
    )
    text = crn.markdown([crn.Row("c", "o", 1.0, 0.1, 1.0, 2.0, 3)], 1000, 1, [1, 2, 3], ["params.acute.los_slowdown=0"])
    assert "--seeds 3 --set params.acute.los_slowdown=0`" in text


@pytest.mark.parametrize(
    "setting, message",
    [
        ("seed=3", "--set 'seed=3': seed is set by --seeds, not --set"),
        ("population=5000", "population is set by --population"),
        ("params.acute.no_such_value=1", "no_such_value"),
    ],
)
def test_set_refuses_what_crn_sets_itself_and_unknown_fields(setting, message, capsys):
    assert cli.main(["crn", "--set", setting]) == 2
    assert message in capsys.readouterr().err
