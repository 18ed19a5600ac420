"""Who serves whom: the Places, their GP practices and CHS teams, and the acute trusts (fixed for a run).

Built once from the scenario (:func:`build_topology`).  Every organisation is numbered within its
kind; the arrays here map one kind's numbers to another's, so the weekly rules can sum people or
activity from practices to teams, teams to Places and Places to trusts with ``np.bincount``.

- Each Place has ``round(people / list_size)`` practices and ``round(people / team_population)``
  CHS teams (at least one of each); a Place's practices are shared out in order among its teams.
- Practices are numbered Place by Place, so each Place's practices are a run of rows.
- Places are shared among the trusts in turn (two trusts above :data:`LARGE_ICS` people).
- ``integration_rank`` is the fixed random order in which each Place's practices join integrated
  neighbourhood teams as the integrated share rises (so the same share gives the same teams).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.streams import Decision, Streams

LARGE_ICS = 750_000  # above this population the ICS has two acute trusts (assumption: DESIGN 3 "one or two")


@dataclass(frozen=True)
class Topology:
    """The fixed structure of the ICS (see the module docstring)."""

    place_names: tuple[str, ...]
    practice_place: np.ndarray  # the Place of each practice
    practice_team: np.ndarray  # the CHS team of each practice
    team_place: np.ndarray  # the Place of each CHS team
    place_trust: np.ndarray  # the acute trust of each Place
    practices_of_place: tuple[np.ndarray, ...]  # each Place's practices
    integration_rank: np.ndarray  # each practice's turn to join an integrated team within its Place

    @property
    def n_places(self) -> int:
        return len(self.place_names)

    @property
    def n_practices(self) -> int:
        return len(self.practice_place)

    @property
    def n_teams(self) -> int:
        return len(self.team_place)

    @property
    def n_trusts(self) -> int:
        return int(self.place_trust.max()) + 1

    @property
    def practice_rows_of_place(self) -> tuple[slice, ...]:
        """Each Place's practices as a slice of rows (they are numbered Place by Place)."""
        return tuple(slice(int(own[0]), int(own[-1]) + 1) for own in self.practices_of_place)

    def places_of_trust(self, trust: int) -> np.ndarray:
        return (self.place_trust == trust).nonzero()[0]

    def per_place(self, per_practice: np.ndarray) -> np.ndarray:
        """Whole numbers per practice (e.g. list sizes) added up by Place."""
        return np.bincount(self.practice_place, weights=per_practice, minlength=self.n_places).astype(np.int64)

    def per_team(self, per_practice: np.ndarray) -> np.ndarray:
        """Whole numbers per practice added up by CHS team."""
        return np.bincount(self.practice_team, weights=per_practice, minlength=self.n_teams).astype(np.int64)

    def team_sum_by_place(self, per_team: np.ndarray) -> np.ndarray:
        """Amounts per CHS team added up by Place."""
        return np.bincount(self.team_place, weights=per_team, minlength=self.n_places)


def build_topology(
    place_names: list[str],
    place_shares: list[float],
    population: int,
    list_size: float,
    team_population: float,
    streams: Streams,
) -> Topology:
    """Practices and teams per Place from its expected population; trusts by the ICS's size."""
    shares = np.array(place_shares, dtype=np.float64)
    expected = population * shares / shares.sum()
    practice_team: list[int] = []
    practice_place: list[int] = []
    team_place: list[int] = []
    practices_of_place = []
    for k, people in enumerate(expected):
        n_teams = max(1, round(people / team_population))
        n_practices = max(1, round(people / list_size))
        first_team = len(team_place)
        team_place += [k] * n_teams
        first_practice = len(practice_place)
        practice_team += [first_team + j * n_teams // n_practices for j in range(n_practices)]
        practice_place += [k] * n_practices
        practices_of_place.append(np.arange(first_practice, first_practice + n_practices, dtype=np.uint16))
    n_places = len(place_names)
    n_trusts = 2 if population > LARGE_ICS and n_places > 1 else 1
    return Topology(
        place_names=tuple(place_names),
        practice_place=np.array(practice_place, dtype=np.int64),
        practice_team=np.array(practice_team, dtype=np.uint16),
        team_place=np.array(team_place, dtype=np.int64),
        place_trust=np.array([k % n_trusts for k in range(n_places)], dtype=np.int64),
        practices_of_place=tuple(practices_of_place),
        integration_rank=integration_rank(practices_of_place, streams),
    )


def integration_rank(practices_of_place: list[np.ndarray], streams: Streams) -> np.ndarray:
    """Each practice's turn, within its Place, to join an integrated neighbourhood team (a fixed random order)."""
    n_practices = sum(len(own) for own in practices_of_place)
    order = np.argsort(streams.uniform(Decision.INTEGRATION_ORDER, np.arange(n_practices), week=-1), kind="stable")
    rank = np.empty(n_practices, dtype=np.int64)
    for members in practices_of_place:
        joined = order[np.isin(order, members)]
        rank[joined] = np.arange(joined.size)
    return rank
