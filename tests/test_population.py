"""The patient stores declare every attribute they hold (what the type checker and a reader rely on), and the
named sets of care settings and needs agree with the predicates that test them."""

from __future__ import annotations

import typing

import numpy as np
import pytest

from abm.population import (
    ALIVE,
    FIELDS,
    IN_NEED,
    IS_ALIVE,
    OUTSIDE_HOSPITAL,
    Acuity,
    Population,
    Setting,
    by_setting,
    has_need,
    is_alive,
    is_in_need,
    is_outside_hospital,
    setting_table,
)
from agents.reference import PatientAgent


def test_population_declares_every_field():
    assert set(FIELDS) <= set(typing.get_type_hints(Population))
    population = Population(capacity=10)
    assert all(getattr(population, name).dtype == dtype for name, dtype in FIELDS.items())


def test_patient_agent_declares_every_field():
    assert set(FIELDS) <= set(typing.get_type_hints(PatientAgent))


def test_setting_predicates_test_their_named_sets():
    codes = np.arange(len(Setting), dtype=np.uint8)
    for predicate, members in ((is_alive, ALIVE), (is_outside_hospital, OUTSIDE_HOSPITAL)):
        assert np.array_equal(predicate(codes), setting_table(members))
        assert all(bool(predicate(s)) == (s in members) for s in Setting)  # one code, as the reference asks
    assert np.array_equal(IS_ALIVE, setting_table(ALIVE))


def test_need_predicates_test_their_named_sets():
    codes = np.arange(len(Acuity), dtype=np.uint8)
    assert np.array_equal(is_in_need(codes), [a in IN_NEED for a in Acuity])
    assert np.array_equal(has_need(codes), [a != Acuity.WELL for a in Acuity])
    assert all(bool(is_in_need(a)) == (a in IN_NEED) for a in Acuity)


def test_a_table_by_setting_needs_every_setting():
    table = by_setting({s: int(s) * 2 for s in Setting})
    assert table[Setting.LEFT] == 2 * Setting.LEFT
    with pytest.raises(ValueError, match="missing \\['LEFT'\\]"):
        by_setting({s: 1.0 for s in Setting if s != Setting.LEFT})
    with pytest.raises(ValueError, match="not settings"):
        by_setting({**{s: 1.0 for s in Setting}, 99: 1.0})
