"""The engine's shortcuts give exactly what the rules say: cached per-person values and pruned draws.

The vectorised rules cache values derived from attributes that rarely change
(``Population.derived``) and evaluate some probabilities only for the people
who could be affected (``patient.draw_deaths``, ``patient.draw_onsets``).  These
tests check them against the rules evaluated in full for everyone.
"""

from __future__ import annotations

import numpy as np
import pytest

from abm import metrics, population
from abm.model import ICSModel
from abm.population import Acuity, Population, Setting, is_alive
from agents import acute_trust, patient
from agents.patient import AGE_BAND_TABLE


def forty_weeks() -> ICSModel:
    return ICSModel(population=6000, years=1, burn_in_weeks=0, rng=5, **{"params.gp.list_size": 1000}).run(40)


@pytest.fixture(scope="module")
def model():
    """Shared by the tests that only read it."""
    return forty_weeks()


@pytest.fixture
def own_model():
    """A model of the test's own, for tests that change it."""
    return forty_weeks()


def test_cached_rates_match_the_rules(model):
    pop, p = model.pop, model.params
    rates = patient.base_rates(model)
    np.testing.assert_array_equal(rates["death"], patient.baseline_death_weekly(pop.age, pop.frailty, p.demography))
    base = patient.onset_base_rate(pop.age, pop.ltc, pop.deprivation, p.need)
    np.testing.assert_array_equal(rates["onset_bound"], base * patient.onset_bound(p.need))
    for factor in (0.5, 1.0):  # the bound is above the probability for any Place factor up to 1
        assert np.all(rates["onset_bound"] >= patient.onset_prob_from_base(base, True, np.float32(factor), p.need))
        assert np.all(rates["onset_bound"] >= patient.onset_prob_from_base(base, False, np.float32(factor), p.need))
    assert pop.n > model.start_population  # entrants are covered


def test_cached_group_keys_and_counts_match(model):
    pop = model.pop
    group = (pop.practice.astype(np.int64) * 5 + AGE_BAND_TABLE[pop.age]) * 5 + pop.deprivation
    np.testing.assert_array_equal(metrics.group_keys(model), group * metrics.N_CODES)
    state, code, list_sizes = metrics.state_counts(model)
    alive = is_alive(pop.setting)
    assert len(model.practices) > 3
    np.testing.assert_array_equal(list_sizes, np.bincount(pop.practice[alive], minlength=len(model.practices)))
    place_code = (pop.place.astype(np.int64) * 5 + AGE_BAND_TABLE[pop.age]) * 5 + pop.deprivation
    expected = np.bincount(place_code * metrics.N_CODES + code, minlength=state.size)
    np.testing.assert_array_equal(state.reshape(-1), expected)


def test_assign_and_in_place_changes_refresh_the_cache(own_model):
    model = own_model
    pop, p = model.pop, model.params
    idx = np.arange(0, pop.n, 7)
    pop.assign("frailty", idx, np.float32(0.9))
    pop.age[idx[:10]] += 1
    pop.mark_changed(idx[:10])
    expected = patient.baseline_death_weekly(pop.age, pop.frailty, p.demography)
    np.testing.assert_array_equal(patient.base_rates(model)["death"], expected)


@pytest.mark.parametrize("factors", [(0.8, 1.3, 1.0), (1.0, 0.7, 1.0)])
def test_pruned_draws_equal_the_full_rules(own_model, factors):
    model = own_model
    pop, p = model.pop, model.params
    factors = np.array(factors)
    u = np.random.default_rng(1).random(pop.n, dtype=np.float32) * np.float32(0.05)  # many events
    place_factor = factors.astype(np.float32)[pop.place]
    p_on = patient.onset_prob(pop.age, pop.ltc, pop.deprivation, pop.proactive, place_factor, p.need)
    active = pop.setting <= Setting.VIRTUAL_WARD
    expected = np.flatnonzero((u < p_on) & (pop.acuity == Acuity.WELL) & active)
    starts, probability = patient.draw_onsets(model, u, factors)
    assert expected.size > 50
    np.testing.assert_array_equal(starts, expected)
    np.testing.assert_array_equal(probability, p_on[expected])

    q = patient.death_prob(pop.age, pop.frailty, pop.setting, pop.acuity, pop.weeks_in_setting, p.demography)
    u = np.random.default_rng(2).random(pop.n, dtype=np.float32) * np.float32(0.002)  # many deaths
    expected_deaths = np.flatnonzero((u < q) & is_alive(pop.setting))
    in_danger = (pop.acuity == Acuity.CRISIS) | np.isin(pop.setting, [Setting.ACUTE_BED, Setting.ED])
    assert expected_deaths.size > 50 and np.isin(expected_deaths, np.flatnonzero(in_danger)).any()
    np.testing.assert_array_equal(patient.draw_deaths(model, u), expected_deaths)


def test_lookup_tables_match_the_rules(model):
    p = model.params.need
    rng = np.random.default_rng(3)
    acuity = rng.integers(0, 4, size=500).astype(np.uint8)
    setting = rng.integers(0, 11, size=500).astype(np.uint8)
    social_care = rng.random(500) < 0.3
    self_care = rng.random(500) < 0.3
    code = ((acuity.astype(np.intp) * 11 + setting) * 2 + social_care) * 2 + self_care
    resolve, multiplier = patient.need_tables(p)
    np.testing.assert_array_equal(resolve[code], patient.resolve_prob(acuity, patient.is_treated(setting), p))
    np.testing.assert_array_equal(multiplier[code], patient.care_multiplier(setting, social_care, p, self_care))
    deprivation = rng.integers(0, 5, size=500).astype(np.uint8)
    np.testing.assert_array_equal(patient.seek_table(p)[acuity, deprivation], patient.seek_prob(acuity, deprivation, p))


def test_length_of_stay_draws_are_gamma_quantiles_of_keyed_uniforms(model):
    """``draw_length_of_stay`` is the gamma(1.5) quantile of each person's keyed uniform, scaled to their
    mean: the table's quantiles are within 0.005 of scipy's exact inverse, and the draws are gamma(1.5)."""
    from scipy import stats
    from scipy.special import gammaincinv

    from abm.streams import Decision, gamma_quantile

    idx = np.arange(0, model.pop.n, 7)
    mean = acute_trust.length_of_stay(model.pop.age[idx], model.pop.frailty[idx], model.params.acute)
    u = model.streams.uniform(Decision.LENGTH_OF_STAY, idx)
    expected = (gammaincinv(1.5, u) * (mean / 1.5)).astype(np.float32)
    np.testing.assert_allclose(acute_trust.draw_length_of_stay(model, idx), expected, atol=0.005 * mean.max() / 1.5)
    uniforms = np.random.default_rng(11).random(200_000)
    assert np.abs(gamma_quantile(uniforms, 1.5) - gammaincinv(1.5, uniforms)).max() < 0.005
    assert stats.kstest(gamma_quantile(uniforms, 1.5), stats.gamma(1.5).cdf).pvalue > 0.001


@pytest.fixture
def always_indexed(monkeypatch):
    """Use the setting index at any population size (normally only from ``INDEX_FROM`` people)."""
    monkeypatch.setattr(population, "INDEX_FROM", 0)


@pytest.mark.parametrize("engine", ["arrays", "objects"])
def test_the_setting_index_agrees_with_a_scan_every_week(engine, always_indexed):
    m = ICSModel(population=3000, years=1, burn_in_weeks=0, rng=9, patients=engine)
    for _ in range(12):
        m.step()
        for setting in Setting:
            np.testing.assert_array_equal(
                m.pop.in_setting(setting), np.flatnonzero(m.pop.setting == setting), err_msg=f"{engine}: {setting.name}"
            )


def test_the_setting_index_is_read_only(model, always_indexed):
    with pytest.raises(ValueError):
        model.pop.in_setting(Setting.GP_MANAGED)[:1] = 0


def test_the_setting_index_survives_many_moves_between_queries(always_indexed):
    pop = Population(500)
    pop.add(400, age=np.full(400, 30, dtype=np.uint8))
    assert pop.in_setting(Setting.ED).size == 0
    rng = np.random.default_rng(4)
    for _ in range(300):  # more moves than the index keeps between queries
        pop.move(rng.integers(0, 400, size=3), rng.choice([Setting.ED, Setting.HOME]))
    np.testing.assert_array_equal(pop.in_setting(Setting.ED), np.flatnonzero(pop.setting == Setting.ED))


def test_the_setting_index_follows_moves_with_a_setting_per_person(always_indexed):
    pop = Population(500)
    pop.add(400, age=np.full(400, 30, dtype=np.uint8))
    tracked = (Setting.ED, Setting.GP_MANAGED, Setting.WAITING_CHS)
    for setting in tracked:
        assert pop.in_setting(setting).size == 0  # now tracked: later moves are followed, not rescanned
    rng = np.random.default_rng(6)
    for _ in range(20):
        idx = rng.choice(400, size=30, replace=False)
        pop.move(idx, rng.choice(np.array([s.value for s in (*tracked, Setting.HOME)], dtype=np.uint8), size=30))
        for setting in tracked:
            np.testing.assert_array_equal(pop.in_setting(setting), np.flatnonzero(pop.setting == setting))


def test_unmet_flags_read_the_unmet_table():
    codes = np.arange(metrics.N_CODES, dtype=np.uint8)
    np.testing.assert_array_equal(metrics.unmet_flags(codes), metrics.UNMET_BY_CODE)
