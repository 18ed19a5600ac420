"""The CHS workforce rules one at a time: ageing and retirement, the capped attrition spiral, bank and agency cover,
and newly trained staff arriving after the training lag (agents/chs_team.py; ODD 7.4.2)."""

from __future__ import annotations

import numpy as np
import pytest

from abm.model import ICSModel
from abm.parameters import CHSParams
from abm.units import WEEKS_PER_YEAR
from agents.chs_team import OVER_50, age_and_leave, agency_cover, attrition_factor, recruits
from tests.conftest import SMALL


def test_staff_age_through_the_bands_and_only_the_old_retire():
    p = CHSParams()
    by_age = np.array([[100.0, 100.0, 100.0, 100.0]])
    stay, left, retired = age_and_leave(by_age, np.zeros(1), p)
    ageing = -np.expm1(-1 / np.asarray(p.age_band_years) / WEEKS_PER_YEAR)
    retiring = -np.expm1(-np.asarray(p.retirement_per_year) / WEEKS_PER_YEAR)
    assert retired == pytest.approx(left) and left[0] == pytest.approx((100 * retiring).sum())
    kept = 100 * (1 - retiring)
    assert stay[0, 0] == pytest.approx(kept[0] * (1 - ageing[0]))  # the youngest band only ages out
    assert stay[0, 1] == pytest.approx(kept[1] * (1 - ageing[1]) + kept[0] * ageing[0])
    assert stay[0, 3] == pytest.approx(kept[3] + kept[2] * ageing[2])  # 55+ is open: its staff only retire
    assert stay.sum() + left.sum() == pytest.approx(by_age.sum())  # ageing moves staff, never loses them


def test_other_leaving_falls_on_every_band_and_is_not_retirement():
    p = CHSParams(retirement_per_year=[0.0, 0.0, 0.0, 0.0])
    _, left, retired = age_and_leave(np.array([[10.0, 20.0, 30.0, 40.0]]), np.array([0.52]), p)
    assert retired[0] == 0.0
    assert left[0] == pytest.approx(100 * -np.expm1(-0.52 / WEEKS_PER_YEAR))


def test_an_old_workforce_retires_more_than_a_young_one():
    p = CHSParams()
    _, _, old = age_and_leave(np.array([[0.0, 0.0, 50.0, 50.0]]), np.zeros(1), p)
    _, _, young = age_and_leave(np.array([[50.0, 50.0, 0.0, 0.0]]), np.zeros(1), p)
    assert old[0] > 0 and young[0] == 0.0


def test_unsafe_caseloads_raise_attrition_up_to_a_cap():
    p = CHSParams(unsafe_attrition_slope=1.0, unsafe_attrition_max_rise=1.0)
    factor = attrition_factor(np.array([0.5, 1.0, 1.5, 2.0, 10.0]), p)
    assert factor.tolist() == pytest.approx([1.0, 1.0, 1.5, 2.0, 2.0])  # at most double, however unsafe


def test_bank_and_agency_cover_part_of_the_gap_at_a_premium():
    p = CHSParams(agency_backfill_share=0.5, agency_cost_ratio=1.5)
    vacant = np.array([[3.0, 0.0, 1.5, 0.0], [3.0, 0.0, 1.5, 0.0]])
    cover = agency_cover(vacant, np.array([10.0, 0.75]), p)
    assert cover[0].tolist() == pytest.approx([1.0, 0.0, 0.5, 0.0])  # half the posts, two-thirds of an FTE each
    assert cover[1].tolist() == pytest.approx([0.5, 0.0, 0.25, 0.0])  # no more than the pool, shared by role


def test_a_third_of_staff_are_over_50_at_the_start_and_the_mix_stays_a_mix():
    model = ICSModel(**SMALL, seed=3)
    mix = model.teams.table.age_mix
    assert (mix[:, OVER_50].sum(axis=1) > 0.30).all()  # 004 §3: more than 30% could retire within ten years
    model.run()
    mix = model.teams.table.age_mix
    assert np.allclose(mix.sum(axis=1), 1.0) and (mix >= 0).all()
    assert (model.teams.table.retirements > 0).all()
    teams = model.teams.table
    assert np.allclose(teams.over_50, teams.in_post.sum(axis=1) * mix[:, OVER_50].sum(axis=1))


def test_newly_trained_staff_follow_training_places_after_the_lag():
    model = ICSModel(**SMALL, seed=3, **{"levers.recruitment_multiplier": 0.0})  # no wider labour market
    big_gap = np.full(len(model.teams), 1e9)
    per_week = model.params.chs.newly_qualified_fte_per_1000_year * model.teams.table.population / 1000 / 52
    assert recruits(model, big_gap) == pytest.approx(per_week)
    model.set_lever("training_places_multiplier", 0.5)
    assert recruits(model, big_gap) == pytest.approx(per_week)  # still in training
    model.run(weeks=int(model.params.chs.training_lag_years * WEEKS_PER_YEAR) + 1)
    per_week = model.params.chs.newly_qualified_fte_per_1000_year * model.teams.table.population / 1000 / 52
    assert recruits(model, big_gap) == pytest.approx(0.5 * per_week)  # qualified: half as many
    small_gap = np.full(len(model.teams), 1e-6)
    assert recruits(model, small_gap) == pytest.approx(small_gap)  # never more than the vacancies
