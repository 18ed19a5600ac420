"""Keyed random streams (abm/streams.py): a draw depends only on (seed, decision, week, identity).

Then common random numbers hold by construction: a change that alters nothing leaves every output
bit for bit the same, and a change in one Place does not re-deal anyone else's draws.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from abm.model import ICSModel
from abm.population import Setting
from abm.streams import Decision, Streams, gamma_quantile, geometric_quantile, poisson_quantile


# --------------------------------------------------------------------------- the streams themselves
def test_a_persons_draw_does_not_depend_on_who_else_draws():
    s = Streams(7)
    s.week = 12
    everyone = s.uniform(Decision.GP_OUTCOME, np.arange(5000))
    some = np.array([3, 17, 4999, 250, 251])
    np.testing.assert_array_equal(s.uniform(Decision.GP_OUTCOME, some), everyone[some])
    np.testing.assert_array_equal(s.uniform(Decision.GP_OUTCOME, some[:2]), everyone[some[:2]])  # the Python path
    everyone32 = s.everyone32(Decision.DEATH, 70_000)  # hashed in blocks
    np.testing.assert_array_equal(
        s.uniform32(Decision.DEATH, np.array([69_999, 5, 40_000])), everyone32[[69_999, 5, 40_000]]
    )
    # the per-object reference's scalar draws are the same numbers
    assert [s.uniform_one(Decision.GP_OUTCOME, int(r)) for r in some] == everyone[some].tolist()
    assert [s.uniform32_one(Decision.DEATH, r) for r in (0, 1, 69_999)] == everyone32[[0, 1, 69_999]].tolist()


def test_draws_differ_by_seed_decision_and_week_and_are_uniform():
    rows = np.arange(200_000)
    s = Streams(1)
    a = s.uniform(Decision.ONSET, rows)
    assert stats.kstest(a, "uniform").pvalue > 1e-3
    assert stats.kstest(s.everyone32(Decision.ONSET, 200_000), "uniform").pvalue > 1e-3
    others = [
        s.uniform(Decision.DEATH, rows),
        Streams(2).uniform(Decision.ONSET, rows),
        s.uniform(Decision.ONSET, rows, week=1),
        s.uniform32(Decision.ONSET, rows).astype(np.float64),
    ]
    for b in others:
        assert abs(np.corrcoef(a, b)[0, 1]) < 0.01  # 4.5 standard errors at n = 200,000
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 0.01  # neighbours are independent


def test_the_same_seed_gives_the_same_numbers():
    assert (
        Streams(3).uniform(Decision.GP_QUEUE, np.arange(50)).tolist()
        == Streams(3).uniform(Decision.GP_QUEUE, np.arange(50)).tolist()
    )
    assert (
        Streams(3).generator(Decision.NEW_PEOPLE, 4).random(5).tolist()
        == Streams(3).generator(Decision.NEW_PEOPLE, 4).random(5).tolist()
    )


@pytest.mark.parametrize("mean", [0.3, 4.0, 49.0, 51.0, 800.0])
def test_poisson_counts_are_the_exact_quantiles(mean):
    u = np.random.default_rng(1).random(400)
    assert [poisson_quantile(float(x), mean) for x in u] == stats.poisson.ppf(u, mean).astype(int).tolist()


def test_gamma_quantiles_are_within_the_table_tolerance():
    from scipy.special import gammaincinv

    u = np.concatenate([np.random.default_rng(2).random(100_000), [0.0, 1e-12, 1 - 1e-9, 1 - 1e-15]])
    assert np.abs(gamma_quantile(u, 1.5) - gammaincinv(1.5, u)).max() < 0.005


# --------------------------------------------------------------------------- common random numbers in the model
SMALL = {"population": 6000, "years": 3, "burn_in_weeks": 20, "seed": 4}


def weekly(model: ICSModel) -> np.ndarray:
    return model.metrics.data[: model.metrics.recorded]


def test_a_policy_starting_after_the_horizon_changes_nothing():
    base = weekly(ICSModel(**SMALL).run())
    later = weekly(
        ICSModel(
            **SMALL,
            **{
                "levers.funding_shift_pct": 3.0,
                "levers.funding_shift_start_year": 3,
                "levers.delegation_to_place": True,
                "levers.delegation_start_year": 3,
            },
        ).run()
    )
    np.testing.assert_array_equal(later, base)


def test_a_lever_set_to_its_current_value_mid_run_changes_nothing():
    base = weekly(ICSModel(**SMALL).run())
    model = ICSModel(**SMALL)
    model.run(weeks=model.burn_in_weeks + 60)
    for name in ("acute_beds_multiplier", "funding_shift_pct", "chs_contract", "data_quality"):
        model.set_lever(name, getattr(model.levers, name))
    model.run()
    np.testing.assert_array_equal(weekly(model), base)


def test_a_tiny_lever_change_moves_the_outcomes_a_tiny_amount():
    """The workshop case of issue 14: funding_shift_pct 0.001 moved admissions by up to 8.8% with one stream."""
    base, tiny = (ICSModel(**SMALL, **o).run() for o in ({}, {"levers.funding_shift_pct": 0.001}))
    from abm.metrics import COLUMNS

    admissions = COLUMNS.index("emergency_admissions")
    a, b = weekly(base)[:, -1, admissions].sum(), weekly(tiny)[:, -1, admissions].sum()
    assert abs(b - a) / a < 0.002


def _states(model: ICSModel) -> np.ndarray:
    return np.stack([model.pop.setting[: model.start_population], model.pop.acuity[: model.start_population]])


def test_a_lever_in_one_place_does_not_re_deal_other_places_draws():
    """Raising CHS spending in Place 0 changes many of its people's paths; people elsewhere share only the
    acute trust, the ICB and councils' services with them, so far fewer of their paths change."""
    scenario = {"population": 8000, "years": 2, "burn_in_weeks": 10, "seed": 6}
    base = ICSModel(**scenario).run()
    changed = ICSModel(**scenario, **{"places.0.chs_share_pct": 25.0}).run()
    differs = (_states(base) != _states(changed)).any(axis=0)
    place = base.pop.place[: base.start_population]
    here, elsewhere = differs[place == 0].mean(), differs[place != 0].mean()
    assert here > 0.02  # the lever acts in Place 0
    assert elsewhere < here / 3, (here, elsewhere)
    # with one shared stream nearly everyone's path changes: a re-dealt draw anywhere moves everyone's
    assert elsewhere < 0.05, elsewhere


def test_a_generator_or_an_integer_fixes_the_streams():
    from abm.model import stream_seed

    assert stream_seed(None, 7) == 7 and stream_seed(9, 7) == 9 and stream_seed(np.int64(9), 7) == 9
    assert stream_seed(np.random.default_rng(3), 7) == stream_seed(np.random.default_rng(3), 7)
    assert stream_seed(np.random.default_rng(3), 7) != stream_seed(np.random.default_rng(4), 7)
    with pytest.raises(TypeError, match="rng"):
        stream_seed("seed", 7)
    a = weekly(ICSModel(**{**SMALL, "years": 1}, rng=np.random.default_rng(5)).run())
    b = weekly(ICSModel(**{**SMALL, "years": 1}, rng=np.random.default_rng(5)).run())
    c = weekly(ICSModel(**{**SMALL, "years": 1}, rng=np.random.default_rng(6)).run())
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


@pytest.mark.parametrize("p", [0.01, 1 / 78, 0.3, 0.9])
def test_geometric_quantiles_are_scipys(p):
    u = np.linspace(0, 1, 2001, endpoint=False)[1:]
    np.testing.assert_array_equal(geometric_quantile(u, p), stats.geom.ppf(u, p).astype(np.int64))
    assert (np.diff(geometric_quantile(u, p)) >= 0).all()  # a later uniform never gives a shorter wait
    assert (geometric_quantile(u, p / 2) >= geometric_quantile(u, p)).all()  # a rarer event: never sooner


def test_care_packages_last_their_mean_length_drawn_once_when_they_start():
    """Time to event: each package's end week is fixed when it starts, and lengths average package_weeks."""
    model = ICSModel(population=30_000, years=2, burn_in_weeks=52, rng=4)
    lengths = []
    for _ in range(model.burn_in_weeks + model.horizon_weeks):
        week = model.week_number
        held_before = model.pop.social_care.copy()
        ends_before = model.pop.package_ends.copy()
        # an inpatient who already holds a package may leave hospital with a new one
        in_hospital = np.isin(model.pop.setting, [Setting.ACUTE_BED, Setting.DELAYED_DISCHARGE])
        model.step()
        pop = model.pop
        n = held_before.size
        started = (pop.social_care[:n] & ~held_before).nonzero()[0]
        lengths += (pop.package_ends[started].astype(np.int64) - week).tolist()
        running = (held_before & (ends_before > week) & pop.social_care[:n] & ~in_hospital).nonzero()[0]
        np.testing.assert_array_equal(pop.package_ends[running], ends_before[running])  # never re-drawn
    lengths = np.array(lengths)
    mean_weeks, se = lengths.mean(), lengths.std(ddof=1) / np.sqrt(lengths.size)
    assert lengths.size > 300 and lengths.min() >= 1
    assert abs(mean_weeks - model.params.social_care.package_weeks) < 3 * se
