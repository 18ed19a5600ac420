"""Organisations in one pattern (a table per kind, each organisation its row) and the topology that links them."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from abm.model import ICSModel
from abm.organisations import Column, Organisation, Table
from abm.population import is_alive
from abm.streams import Streams
from abm.topology import LARGE_ICS, build_topology
from agents.acute_trust import AcuteTrust
from agents.chs_team import ROLES, CHSTeam
from agents.council import Council
from agents.gp_practice import GPPractice

KINDS = (GPPractice, CHSTeam, Council, AcuteTrust)


class Clinic(Organisation):
    seats = Column("seats this week", dtype=np.int64, initial=3)
    staff = Column("staff by role", width=2)


def test_an_organisation_reads_and_writes_its_own_row_of_its_table():
    table = Table(Clinic, 3)
    model = mesa.Model(rng=0)
    a, b = Clinic(model, table, 0), Clinic(model, table, 2)
    assert table.seats.tolist() == [3, 3, 3] and table.staff.shape == (3, 2)
    a.seats = 7
    b.staff = [1.5, 2.5]
    assert table.seats.tolist() == [7, 3, 3] and table.staff[2].tolist() == [1.5, 2.5]
    assert a.seats == 7 and isinstance(a.seats, int)  # a number, not a numpy scalar
    table.seats = np.array([1, 2, 5])  # a rule for every clinic at once replaces the column
    assert b.seats == 5


def test_a_table_refuses_an_undeclared_name_and_a_wrong_shape():
    table = Table(Clinic, 3)
    with pytest.raises(AttributeError, match="Clinic has no column 'seat'; declared: seats, staff"):
        table.seat = np.zeros(3)
    with pytest.raises(AttributeError, match="no column 'chairs'"):
        _ = table.chairs
    with pytest.raises(ValueError, match=r"Clinic.seats: shape \(4,\) is not allowed; allowed: \(3,\)"):
        table.seats = np.zeros(4)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_kind_declares_its_quantities_with_a_meaning(kind):
    columns = kind.columns()
    assert columns and all(c.meaning for c in columns.values())
    table = Table(kind, 4)
    for name, column in columns.items():
        assert getattr(table, name).shape == ((4,) if column.width is None else (4, column.width))


def test_the_model_holds_one_table_per_kind_and_each_organisation_is_its_row():
    model = ICSModel(population=60_000, years=1, burn_in_weeks=4, rng=3).run()
    for group, kind in ((model.practices, GPPractice), (model.teams, CHSTeam), (model.councils, Council)):
        assert all(isinstance(o, kind) for o in group) and [o.index for o in group] == list(range(len(group)))
        assert group.table.rows == len(group)
    assert model.teams.table.in_post.shape == (len(model.teams), len(ROLES))
    team = model.teams[1]
    assert team.capacity == model.teams.table.capacity[1] and team.vacancies == model.teams.table.vacancies[1]
    # the populations each kind serves add up from the practices' lists
    pop, topology = model.pop, model.topology
    alive = is_alive(pop.setting)
    np.testing.assert_array_equal(
        model.practices.table.list_size, np.bincount(pop.practice[alive], minlength=len(model.practices))
    )
    assert model.teams.table.population.sum() == model.councils.table.population.sum() == alive.sum()
    assert model.trusts.table.population.sum() == alive.sum()
    # a person's team is in their Place
    np.testing.assert_array_equal(topology.team_place[pop.team[: pop.n]], pop.place[: pop.n])


def test_topology_numbers_practices_place_by_place_and_splits_large_systems_between_two_trusts():
    streams = Streams(1)
    small = build_topology(["a", "b", "c"], [0.5, 0.3, 0.2], 100_000, 7_000, 40_000, streams)
    assert small.n_trusts == 1 and small.n_places == 3
    assert [own.size for own in small.practices_of_place] == [7, 4, 3]  # round(people / list size)
    assert np.all(np.diff(small.practice_place) >= 0)  # Place by Place: each Place's practices are a run
    assert [small.practice_place[r].tolist() for r in small.practice_rows_of_place] == [[0] * 7, [1] * 4, [2] * 3]
    assert (small.team_place[small.practice_team] == small.practice_place).all()  # a practice's team is in its Place
    large = build_topology(["a", "b", "c"], [0.5, 0.3, 0.2], LARGE_ICS + 1, 7_000, 40_000, streams)
    assert large.n_trusts == 2 and large.places_of_trust(0).tolist() == [0, 2]
    # each Place's practices join integrated teams in a fixed order: ranks 0..n-1 within the Place
    for own in large.practices_of_place:
        assert sorted(large.integration_rank[own].tolist()) == list(range(own.size))
