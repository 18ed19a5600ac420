"""The patient stores declare every attribute they hold (what the type checker and a reader rely on)."""

from __future__ import annotations

import typing

from abm.population import FIELDS, Population
from agents.chs_team import TeamArrays
from agents.reference import PatientAgent


def test_population_declares_every_field():
    assert set(FIELDS) <= set(typing.get_type_hints(Population))
    population = Population(capacity=10)
    assert all(getattr(population, name).dtype == dtype for name, dtype in FIELDS.items())


def test_patient_agent_declares_every_field():
    assert set(FIELDS) <= set(typing.get_type_hints(PatientAgent))


def test_team_arrays_declare_every_array():
    declared = set(typing.get_type_hints(TeamArrays))
    assert set(TeamArrays.BY_ROLE) | set(TeamArrays.PER_TEAM) <= declared
    teams = TeamArrays(3)
    assert all(getattr(teams, name).shape == (3,) for name in TeamArrays.PER_TEAM)
