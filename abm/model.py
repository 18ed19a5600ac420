"""The whole-system model: an Integrated Care System, week by week.

``ICSModel`` builds the Places, their GP practices, CHS teams and councils, the
acute trust(s) and the ICB, and a vectorised patient population; ``step`` runs
one week as an ordered list of phases with no rule logic of its own.

    model = ICSModel("baseline", population=20_000, years=2)
    model.run()
    model.metrics.frame()          # weekly outputs per Place and ICS
    model.patient(42)              # one person, readably, with their journey
"""

from __future__ import annotations

import copy
import time
import types
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import mesa
import numpy as np

from abm import metrics as metrics_mod
from abm.config import build
from abm.organisations import Organisations, Table
from abm.population import Population, Setting, is_alive
from abm.scenario import Scenario, apply_overrides, load_scenario, validate_lever
from abm.streams import Streams
from abm.topology import build_topology
from abm.units import WEEKS_PER_YEAR
from agents import acute_trust, chs_team, council, gp_practice, patient
from agents.acute_trust import AcuteTrust
from agents.chs_team import CHSTeam
from agents.commissioner import Commissioner
from agents.council import Council
from agents.gp_practice import GPPractice


def stream_seed(rng, scenario_seed: int) -> int:
    """The keyed streams' seed: ``rng`` when it is an integer, one draw from it when it is a Generator,
    else the scenario's seed."""
    if rng is None:
        return scenario_seed
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    if isinstance(rng, (int, np.integer)):
        return int(rng)
    raise TypeError(f"rng: {type(rng).__name__} is not allowed; allowed: an integer seed or a numpy Generator")


class ICSModel(mesa.Model):
    """An English Integrated Care System with community health services.

    Args:
        scenario: a :class:`Scenario`, a preset name, a YAML path, or None for the default.
        rng: seed or numpy Generator; defaults to the scenario's ``seed``.  The rules draw from
            keyed streams (:mod:`abm.streams`) whose seed is this integer, or a number drawn once
            from this Generator (so a Generator fixes the run as its state does).
        patients: ``"arrays"`` (the vectorised engine) or ``"objects"`` (the per-object
            Mesa reference, for testing and benchmarking only).
        **overrides: scenario values by dotted path, e.g. ``population=20000`` or
            ``**{"levers.acute_beds_multiplier": 1.2}`` (also how ``mesa.batch_run`` passes them).
    """

    def __init__(
        self, scenario: Scenario | str | Path | None = None, *, rng=None, patients: str = "arrays", **overrides
    ):
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario, overrides)
        elif overrides:
            scenario = build(Scenario, apply_overrides(scenario.to_dict(), overrides))
        super().__init__(rng=scenario.seed if rng is None else rng)
        # every rule draws from keyed streams (common random numbers); model.rng is left to Mesa
        self.streams = Streams(stream_seed(rng, scenario.seed))
        self.scenario = scenario
        self.params = scenario.params
        self.levers = copy.deepcopy(scenario.levers)
        self.lever_changes: list[tuple[int, str, object]] = []  # (reporting week, lever, value)
        self.week_number = 0  # weeks stepped since the start, burn-in included
        self.burn_in_weeks = scenario.burn_in_weeks
        self.horizon_weeks = scenario.years * WEEKS_PER_YEAR
        self.counters = Counter(entered=0, died=0, left=0)
        self.events = metrics_mod.Events(len(scenario.places))
        self._place_levers: dict[tuple[str, object], np.ndarray] = {}  # see place_lever
        self.topology = build_topology(
            [place.name for place in scenario.places],
            [place.population_share for place in scenario.places],
            scenario.population,
            self.params.gp.list_size,
            self.params.chs.team_population,
            self.streams,
        )
        self._build_organisations()
        self._build_population(patients)
        self.metrics = metrics_mod.MetricsRecorder(list(self.topology.place_names), self.horizon_weeks)
        self._start_financial_year()
        # the model starts part-way through a financial year when the burn-in is not whole years
        weeks_gone = self.reporting_week % WEEKS_PER_YEAR
        self.commissioner.paid = self.commissioner.allocation * weeks_gone / WEEKS_PER_YEAR
        self.commissioner.week_of_year = weeks_gone - 1
        self._fund_teams(start=True)
        self._replan_pending = False
        self._plan_week(start=True)
        council.seed_packages(self)
        self._phases = self.phases()
        self.phase_seconds: dict[str, float] | None = None  # set to {} to time phases

    # ------------------------------------------------------------------ build
    def _build_organisations(self) -> None:
        """One :class:`~abm.organisations.Organisations` list (with its table) per kind, from the topology."""
        t = self.topology
        self.practices = Organisations[GPPractice](Table(GPPractice, t.n_practices))
        self.practices += [
            GPPractice(self, self.practices.table, i, place=int(t.practice_place[i]), team=int(t.practice_team[i]))
            for i in range(t.n_practices)
        ]
        self.teams = Organisations[CHSTeam](Table(CHSTeam, t.n_teams))
        self.teams += [CHSTeam(self, self.teams.table, i, place=int(t.team_place[i])) for i in range(t.n_teams)]
        self.councils = Organisations[Council](Table(Council, t.n_places))
        self.councils += [Council(self, self.councils.table, place=k) for k in range(t.n_places)]
        self.trusts = Organisations[AcuteTrust](Table(AcuteTrust, t.n_trusts))
        self.trusts += [AcuteTrust(self, self.trusts.table, i, places=t.places_of_trust(i)) for i in range(t.n_trusts)]
        self.commissioner = Commissioner(self, t.n_places)

    def _build_population(self, patients: str) -> None:
        self.patient_rules: types.ModuleType  # the patient rules' module: vectorised, or per object
        if patients == "arrays":
            self.pop = Population(capacity=int(self.scenario.population * 1.15))
            self.patient_rules = patient
        elif patients == "objects":
            from agents import reference

            self.pop = reference.ObjectPopulation(self, capacity=int(self.scenario.population * 1.15))
            self.patient_rules = reference
        else:
            raise ValueError(f"patients: {patients!r} is not allowed; allowed: 'arrays', 'objects'")
        patient.create_population(self, self.scenario.population)
        self.start_population = self.pop.n
        self._count_people()

    # ------------------------------------------------------------------ time
    @property
    def reporting_week(self) -> int:
        """Weeks since reporting started (negative during burn-in)."""
        return self.week_number - self.burn_in_weeks

    @property
    def year(self) -> int:
        """Reporting (and financial) year, from 0; negative during burn-in."""
        return self.reporting_week // WEEKS_PER_YEAR

    @property
    def finished(self) -> bool:
        return self.reporting_week >= self.horizon_weeks

    def phases(self) -> list[tuple[str, str, Callable]]:
        """The week in order: (benchmark group, name, function of the model)."""
        rules = self.patient_rules
        return [
            ("commissioning", "start_of_week", ICSModel._start_of_week),
            ("patients", "demography", rules.demography),
            ("patients", "need", rules.need),
            ("patients", "seek_care", rules.seek_care),
            ("acute", "progress_inpatients", acute_trust.progress_inpatients),
            ("social_care", "social_care", council.run_social_care),
            ("gp", "clinics", gp_practice.run_clinics),
            ("chs", "services", chs_team.run_services),
            ("acute", "ed_and_beds", acute_trust.run_ed),
            ("metrics", "end_of_week", ICSModel._end_of_week),
        ]

    def step(self) -> None:
        """One week, as an ordered list of phases (timed per group when ``phase_seconds`` is a dict)."""
        self.pop.week = self.week_number
        self.streams.week = self.week_number
        self.events.reset()
        timings = self.phase_seconds
        for group, _name, phase in self._phases:
            if timings is None:
                phase(self)
            else:
                start = time.perf_counter()
                phase(self)
                timings[group] = timings.get(group, 0.0) + time.perf_counter() - start
        self.week_number += 1
        self.running = not self.finished

    def run(self, weeks: int | None = None, progress=None) -> ICSModel:
        """Run the burn-in and the horizon (or ``weeks`` more weeks); ``progress(done, total)`` is called weekly."""
        total = (self.burn_in_weeks + self.horizon_weeks - self.week_number) if weeks is None else weeks
        for done in range(total):
            self.step()
            if progress is not None:
                progress(done + 1, total)
        return self

    def _start_of_week(self) -> None:
        """A new financial year (scheduled lever changes, then the allocation), or a mid-year re-plan; pay; plan."""
        if self.reporting_week % WEEKS_PER_YEAR == 0:
            self._apply_schedule()
            self._start_financial_year()
            self._fund_teams()
        elif self._replan_pending:
            self.commissioner.replan()
            self._fund_teams()
        self._replan_pending = False
        self.commissioner.pay_week(self.reporting_week % WEEKS_PER_YEAR)
        self._plan_week()

    def _start_financial_year(self) -> None:
        for trust in self.trusts:
            trust.new_financial_year()  # closes last year's accounts, which the commissioner reads
        self.commissioner.new_financial_year(self.year, self.councils.table.population)

    def _fund_teams(self, start: bool = False) -> None:
        core, addon = self.commissioner.funding_ratio("chs_core"), self.commissioner.funding_ratio("addon")
        for team in self.teams:
            team.fund(float(core[team.place]), float(addon[team.place]), start=start)
        if start:
            CHSTeam.draw_productivity(self)

    def _plan_week(self, start: bool = False) -> None:
        """Providers set this week's capacity from funding, levers and population."""
        primary = self.commissioner.funding_ratio("primary")
        for g in self.practices:
            g.plan_week(float(primary[g.place]))
        self.commissioner.update_maturity(self.reporting_week)
        gp_practice.plan_integration(self, self.levers.integration_share)
        CHSTeam.update_workforce(self)
        for trust in self.trusts:
            trust.plan_week(start)
        for c in self.councils:
            c.plan_week()

    def _end_of_week(self) -> None:
        """Count the week's unmet need and time in setting, record metrics, refresh list sizes.

        Counters are updated in place on the arrays (uint16: they would wrap after 1,260 years).
        """
        pop = self.pop
        state, code, list_sizes = metrics_mod.state_counts(self)
        weeks_unmet = pop.weeks_unmet
        weeks_unmet += metrics_mod.unmet_flags(code)
        if 0 <= self.reporting_week < self.horizon_weeks:
            self.metrics.record(self, self.reporting_week, state)
        weeks_in_setting = pop.weeks_in_setting
        weeks_in_setting += is_alive(pop.setting)
        self._set_list_sizes(list_sizes)

    def _count_people(self) -> None:
        """List sizes per practice, and from them team and Place populations."""
        self._set_list_sizes(metrics_mod.state_counts(self)[2])

    def _set_list_sizes(self, list_sizes: np.ndarray) -> None:
        """Who each organisation serves this week: practices' lists, and the teams', Places' and trusts' sums."""
        self.practices.table.list_size = list_sizes
        self.teams.table.population = self.topology.per_team(list_sizes)
        place_population = self.topology.per_place(list_sizes)
        self.councils.table.population = place_population
        self.trusts.table.population = np.bincount(
            self.topology.place_trust, weights=place_population, minlength=self.topology.n_trusts
        ).astype(np.int64)

    def lever_value_weeks_ago(self, name: str, weeks: float):
        """The value a lever had ``weeks`` ago (its scenario value before any change), for lagged effects."""
        then = self.reporting_week - weeks
        value = getattr(self.scenario.levers, name)
        for week, lever, new in self.lever_changes:
            if lever == name and week <= then:
                value = new
        return value

    def place_lever(self, name: str) -> np.ndarray:
        """A lever's value per Place: the Place's own setting where its scenario gives one (chs_host, chs_contract).

        Read-only, and cached by the lever's current value (the Places' own settings do not
        change during a run), so a lever moved by :meth:`set_lever` is seen at once.
        """
        value = getattr(self.levers, name)
        cached = self._place_levers.get((name, value))
        if cached is None:
            cached = np.array([getattr(place, name) or value for place in self.scenario.places])
            cached.flags.writeable = False
            self._place_levers[(name, value)] = cached
        return cached

    # ------------------------------------------------------------------ levers
    def set_lever(self, name: str, value) -> None:
        """Change a lever on the running model; it acts from the next week (no reset).

        Levers on the allocation re-plan the rest of the financial year.  Setting a lever to the value
        it already has changes nothing (no re-plan, no record), so the run stays bit for bit the same.
        """
        value = validate_lever(name, value)
        if getattr(self.levers, name) == value:
            return
        setattr(self.levers, name, value)
        self.lever_changes.append((self.reporting_week, name, value))
        self._replan_pending = True

    def _apply_schedule(self) -> None:
        for change in self.scenario.schedule:
            if change.year == self.year:
                self.set_lever(change.lever, change.value)

    # ------------------------------------------------------------------ reading
    def patient(self, i: int) -> dict:
        """A readable record of person ``i``: attributes, current setting and recent journey.

        Journey weeks are reporting weeks (negative during burn-in).
        """
        view = self.pop.view(i)
        view["journey"] = [(week - self.burn_in_weeks, label) for week, label in view["journey"]]
        view["entered_week"] = -1 if view["entered_week"] < 0 else view["entered_week"] - self.burn_in_weeks
        view["place"] = self.scenario.places[view["place"]].name
        return view

    def people_accounts(self) -> dict:
        """Conservation of people: start + entered must equal alive + dead + left."""
        setting = self.pop.setting
        return {
            "start": self.start_population,
            "entered": self.counters["entered"],
            "alive": int(np.count_nonzero(is_alive(setting))),
            "dead": int(np.count_nonzero(setting == Setting.DEAD)),
            "left": int(np.count_nonzero(setting == Setting.LEFT)),
        }
