"""The object-per-patient reference: the patient rules as plain Mesa agents.

This is the "idiomatic Mesa" version of ``agents/patient.py`` that a modeller
would write first: one :class:`PatientAgent` per person, holding its attributes
as Python values, with a method per weekly rule that draws its own random
numbers and calls the *same* pure hazard functions as the vectorised engine
(``death_prob``, ``onset_prob``, ...), with scalars.  Each agent draws the same keyed
numbers as the vectorised engine (``model.streams``: a uniform per decision, week and
row), so for the same seed the two engines give the same weekly metrics: the reference
is an exact oracle for the vectorised rules (``tests/test_reference.py``).  It is also
benchmarked: an object per person is far slower (DESIGN: 50-150x).

Select it with ``ICSModel(..., patients="objects")``.  The organisations (GP
practices, CHS teams, acute trusts, councils) still work on the population's
arrays, so :class:`ObjectPopulation` is a :class:`~abm.population.Population`
that also keeps one agent per row.  The three patient phases run back to back
each week (``ICSModel.step``), so the arrays are copied to the agents once, at
the start of :func:`demography`, the per-person rules run on the agents (in row
order), and the agents are copied back once, at the end of :func:`seek_care`,
replaying every change of setting into the journeys.  While the agents hold the
state, writing to the arrays (``move``/``assign``) is an error: it would be lost.
"""

from __future__ import annotations

from operator import attrgetter

import mesa
import numpy as np

from abm.population import FIELDS, Acuity, Population, Setting, is_alive, is_in_need, is_outside_hospital
from abm.streams import Decision
from abm.units import WEEKS_PER_YEAR
from agents.chs_team import note_recovered
from agents.patient import (
    add_entrants,
    care_multiplier,
    death_prob,
    entries_this_week,
    escalate_prob,
    frailty_after_birthday,
    goes_to_pharmacy,
    high_need_share,
    is_treated,
    long_term_condition_gained,
    mortality_improvement,
    onset_prob,
    pick_movers_out,
    place_onset_factor,
    resolve_prob,
    seek_prob,
    still_try,
)

FIELD_NAMES = tuple(FIELDS)


class PatientAgent(mesa.Agent):
    """One person: every attribute of :data:`abm.population.FIELDS` as a plain Python value.

    ``row`` is the person's index in the population's arrays (and their patient id).
    """

    # each attribute of FIELDS, as the Python value ``.tolist()`` gives (set in __init__)
    age: int
    sex: int
    place: int
    practice: int
    team: int
    deprivation: int
    frailty: float
    frailty_acquired: float
    ltc: int
    acuity: int
    setting: int
    weeks_in_setting: int
    weeks_unmet: int
    will_seek: bool
    rationed: bool
    proactive: bool
    social_care: bool
    self_care: bool
    package_ends: int
    support_needed: int
    los_days: float
    entered_week: int

    def __init__(self, model, row: int, **attributes):
        super().__init__(model)
        self.row = row
        for name in FIELD_NAMES:
            setattr(self, name, attributes[name])

    # ---- state ----------------------------------------------------------
    @property
    def alive(self) -> bool:
        """Alive and living in the ICS."""
        return is_alive(self.setting)

    @property
    def in_need(self) -> bool:
        """Low or high need (a crisis is handled by services, not by these rules)."""
        return is_in_need(self.acuity)

    def move(self, setting: int) -> None:
        """Go to a care setting (recorded in the journey when the population syncs from the agents)."""
        self.setting = int(setting)
        self.weeks_in_setting = 0
        self.model.pop.moves.append((self.row, self.setting))

    # ---- demography -----------------------------------------------------
    def birthday(self) -> None:
        """One year older; frailty rises along the population's age profile."""
        p = self.model.params.demography
        self.age = min(self.age + 1, p.age_max)
        frailty, acquired = frailty_after_birthday(self.age, self.frailty, self.frailty_acquired, p)
        self.frailty, self.frailty_acquired = float(frailty), float(acquired)
        u = self.model.streams.uniform32_one(Decision.LONG_TERM_CONDITION, self.row)
        self.ltc = min(self.ltc + int(long_term_condition_gained(self.age, u, p)), 255)

    def maybe_die(self) -> bool:
        """Die this week with the weekly death probability; return whether they died."""
        p = self.model.params.demography
        improvement = mortality_improvement(self.model.reporting_week, p)
        q = death_prob(self.age, self.frailty, self.setting, self.acuity, self.weeks_in_setting, p, improvement)
        if self.model.streams.uniform32_one(Decision.DEATH, self.row) < q:
            self.move(Setting.DEAD)
            return True
        return False

    # ---- need -----------------------------------------------------------
    def update_need(self, place_factor: np.ndarray) -> None:
        """Onset (if well), else resolution or escalation, each from its own keyed uniform.

        For a well person ``u < onset`` starts an episode (high need if
        ``u < onset x high_share``); for a person in need ``u < resolve`` lowers
        need and ``resolve <= u < resolve + escalate`` raises it.  Crises are left
        to CHS urgent response and ED.
        """
        model, p = self.model, self.model.params.need
        streams = model.streams
        if self.acuity == Acuity.WELL:
            u = streams.uniform32_one(Decision.ONSET, self.row)
            p_on = onset_prob(self.age, self.ltc, self.deprivation, self.proactive, place_factor[self.place], p)
            if u < p_on:
                high = u < p_on * high_need_share(self.frailty, p)
                self.start_episode(Acuity.HIGH if high else Acuity.LOW)
        elif self.in_need:
            u = streams.uniform32_one(Decision.NEED_CHANGE, self.row)
            p_res = resolve_prob(self.acuity, is_treated(self.setting), p)
            multiplier = care_multiplier(self.setting, self.social_care, p, self.self_care)
            p_esc = escalate_prob(self.acuity, self.frailty, multiplier, p)
            if u < p_res:
                self.acuity -= 1
                if self.acuity == Acuity.WELL:
                    self.end_episode()
            elif u < p_res + p_esc:
                self.acuity += 1
                if self.acuity == Acuity.HIGH:  # worsening need prompts a fresh decision to seek care
                    self.self_care = False  # no longer a minor need
                    self.will_seek = bool(
                        streams.uniform_one(Decision.SEEK_AGAIN, self.row) < seek_prob(Acuity.HIGH, self.deprivation, p)
                    )

    def start_episode(self, acuity: int) -> None:
        """A new episode of need: set acuity and decide whether it will be taken to a GP; a minor need deterred by
        the practice's backlog may be taken to a community pharmacy instead."""
        model = self.model
        self.acuity = int(acuity)
        self.rationed = False
        u = model.streams.uniform_one(Decision.SEEK_DECISION, self.row)
        seek = seek_prob(self.acuity, self.deprivation, model.params.need)
        self.will_seek = bool(u < seek * still_try(model, self.practice))
        deterred = u < seek and not self.will_seek and self.acuity == Acuity.LOW
        self.self_care = bool(
            deterred and goes_to_pharmacy(model, model.streams.uniform_one(Decision.PHARMACY, self.row))
        )
        if self.self_care:
            model.events.add("minor_need_to_pharmacy", np.array([self.place], dtype=np.int64))

    def end_episode(self) -> None:
        """Need resolved: leave any queue or caseload for home (proactive care continues)."""
        self.rationed = False
        self.self_care = False
        if self.setting == Setting.CHS_CASELOAD:
            note_recovered(self.model, np.array([self.team]))
        if self.setting != Setting.HOME:
            self.move(Setting.HOME)

    # ---- seeking care ---------------------------------------------------
    def seek_care(self) -> None:
        """At home with need, meaning to seek care and not turned away: book a GP appointment this week?"""
        if not (self.setting == Setting.HOME and self.in_need and self.will_seek and not self.rationed):
            return
        if self.model.streams.uniform_one(Decision.SEEK_WEEK, self.row) < self.model.params.need.seek_weekly:
            self.move(Setting.WAITING_GP)


class ObjectPopulation(Population):
    """A :class:`Population` that also keeps one :class:`PatientAgent` per row.

    The arrays stay the organisations' interface (and hold the journeys); the
    agents hold the state while the patient rules run (``held_by_agents``).
    ``agents[i]`` is person ``i``; every agent is registered with the Mesa
    model, so ``model.agents_by_type[PatientAgent]`` holds them all (dead and
    departed people keep their agent, as they keep their row).
    """

    def __init__(self, model, capacity: int):
        super().__init__(capacity)
        self.model = model
        self.agents: list[PatientAgent] = []
        self.moves: list[tuple[int, int]] = []  # (row, setting) made by agents since the last sync, in order
        self.held_by_agents = False

    # ---- writes: arrays only while the arrays hold the state ----------------
    def _check_arrays_hold_state(self) -> None:
        if self.held_by_agents:
            raise RuntimeError(
                "patients were written through the arrays while the patient agents held them "
                "(between reference.demography and reference.seek_care); the write would be lost"
            )

    def assign(self, field: str, idx: np.ndarray, values) -> None:
        self._check_arrays_hold_state()
        super().assign(field, idx, values)

    def move(self, idx: np.ndarray, setting: int | np.ndarray) -> None:
        self._check_arrays_hold_state()
        super().move(idx, setting)

    def add(self, count: int, **values) -> np.ndarray:
        """Append ``count`` people, as rows and as agents (which agree); return their indices."""
        held, self.held_by_agents = self.held_by_agents, False
        idx = super().add(count, **values)
        self.held_by_agents = held
        columns = [self._data[name][idx].tolist() for name in FIELD_NAMES]
        for row, person in zip(idx.tolist(), zip(*columns, strict=True), strict=True):
            self.agents.append(PatientAgent(self.model, row, **dict(zip(FIELD_NAMES, person, strict=True))))
        return idx

    # ---- syncing --------------------------------------------------------
    def sync_to_objects(self) -> None:
        """Copy every row of the arrays onto its agent; the agents now hold the state."""
        self._check_arrays_hold_state()
        columns = [self._data[name][: self.n].tolist() for name in FIELD_NAMES]
        for agent, person in zip(self.agents, zip(*columns, strict=True), strict=True):
            agent.__dict__.update(zip(FIELD_NAMES, person, strict=True))
        self.moves.clear()
        self.held_by_agents = True

    def sync_from_objects(self) -> None:
        """Copy every agent back to the arrays, replaying the agents' moves into the journeys."""
        self.held_by_agents = False
        n = self.n
        for name, dtype in FIELDS.items():
            self._data[name][:n] = np.fromiter(map(attrgetter(name), self.agents), dtype=dtype, count=n)
        for row, setting in self.moves:  # journey entries, in the order the agents moved
            self.move(np.array([row]), setting)
        self.moves.clear()
        self.rewritten()


# ---------------------------------------------------------------------------
# The weekly rules, one agent at a time (same names as agents/patient.py)
# ---------------------------------------------------------------------------


def demography(model) -> None:
    """Ageing (a 52nd of people have a birthday each week), deaths, out-migration, births and in-migration.

    Copies the arrays to the agents, which hold the state until :func:`seek_care`.
    """
    pop, p = model.pop, model.params.demography
    pop.sync_to_objects()
    for person in pop.agents[model.week_number % WEEKS_PER_YEAR :: WEEKS_PER_YEAR]:
        if person.alive:
            person.birthday()

    alive = [person for person in pop.agents if person.alive]
    died, died_waiting = [], []  # all deaths; those of people waiting in ED for a bed
    for person in alive:
        waiting = person.setting == Setting.ED
        if person.maybe_die():
            died.append(person)
            if waiting:
                died_waiting.append(person)
    model.counters["died"] += len(died)
    model.events.add("deaths", np.array([person.place for person in died], dtype=np.int64))
    model.events.add("deaths_waiting_for_bed", np.array([person.place for person in died_waiting], dtype=np.int64))

    movers_out = model.streams.poisson(
        Decision.OUT_MIGRATION_COUNT, p.out_migration_per_1000_year * len(alive) / 1000 / WEEKS_PER_YEAR
    )
    agents = pop.agents

    youngest, oldest = sorted(model.params.demography.mover_ages)

    def eligible(rows: np.ndarray) -> np.ndarray:
        return np.array(
            [youngest <= agents[r].age <= oldest and agents[r].setting == Setting.HOME for r in rows.tolist()],
            dtype=bool,
        )

    leaving = [agents[r] for r in pick_movers_out(model, movers_out, eligible).tolist()]
    for person in leaving:
        person.move(Setting.LEFT)
    model.counters["left"] += len(leaving)

    births, movers_in = entries_this_week(model, len(alive) - len(died))
    add_entrants(model, births, movers_in)  # new rows and their agents


def need(model) -> None:
    """Onset, escalation and resolution of need for everyone outside hospital."""
    place_factor = place_onset_factor(model)
    for person in _agents_holding_state(model, "need"):
        if is_outside_hospital(person.setting):
            person.update_need(place_factor)


def seek_care(model) -> None:
    """People at home with need who will seek care book a GP appointment; then copy the agents back to the arrays."""
    for person in _agents_holding_state(model, "seek_care"):
        person.seek_care()
    model.pop.sync_from_objects()


def _agents_holding_state(model, phase: str) -> list[PatientAgent]:
    if not model.pop.held_by_agents:
        raise RuntimeError(f"reference.{phase} must follow reference.demography in the same week (ICSModel.step)")
    return model.pop.agents
