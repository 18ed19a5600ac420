"""Scenarios: what a run is (population, horizon, Places, levers, schedule, parameters).

A scenario is loaded from YAML (a preset name or a file), then ``--set``
overrides are applied by dotted path, then everything is validated at once.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from abm import safe_yaml
from abm.choices import ChsContract, ChsHost
from abm.config import ConfigError, build, parse_value, set_path, short, spec, suggest, to_dict
from abm.parameters import Parameters
from policies.levers import Levers

PRESET_DIR = Path(__file__).resolve().parent.parent / "policies" / "presets"
MAX_PLACES = 12  # an ICS has up to about ten Places (DESIGN 3); more is a mistake, not a scenario
MAX_SCHEDULE = 100  # scheduled lever changes: two a year for every lever over a long horizon is far fewer
MAX_STEPS = 30  # story steps


@dataclass
class PlaceSpec:
    """One Place of the ICS (a council footprint with its practices and CHS teams)."""

    name: str = spec("Place", doc="Place name", source="scenario metadata: a label, not a model parameter")
    population_share: float = spec(
        1.0,
        units="share of ICS population (normalised)",
        lo=0.0,
        hi=1.0,
        doc="the Place's share of the ICS population (shares are rescaled to sum to 1)",
        source="assumption: scenario design; 001 §3 case-study Places are ~280-300k each",
    )
    deprivation_shares: list[float] = spec(
        [0.2, 0.2, 0.2, 0.2, 0.2],
        units="share of residents in national deprivation quintiles, most to least deprived",
        doc="the Place's deprivation profile",
        source="001 §3: case-study Places differ in deprivation",
        lo=0,
        hi=1,
        weights=True,
    )
    age_shift_years: float = spec(
        0.0,
        units="years added to everyone's starting age (older Place > 0)",
        lo=-15,
        hi=15,
        doc="how much older (or younger) the Place's residents are than England's",
        source="001 §3: South Warwickshire older, Birmingham younger",
    )
    chs_host: str | None = spec(
        None,
        choices=ChsHost.values(),
        units=ChsHost.units(),
        doc="this Place's CHS host; empty: the chs_host lever",
        source="001 §3: the case-study Places differ in provider type",
    )
    chs_contract: str | None = spec(
        None,
        choices=ChsContract.values(),
        units=ChsContract.units(),
        doc="this Place's CHS contract; empty: the chs_contract lever",
        source="001 §3: the case-study Places differ in contracts",
    )
    chs_share_pct: float | None = spec(
        None,
        units="% of the Place's budget on core CHS and add-ons at the start",
        lo=1.0,
        hi=40.0,
        doc="empty: the national share (params.commissioner.shares)",
        source="001 §3: Birmingham ~15%, Hull ~13%, South Warwickshire ~10%",
    )


def _default_places() -> list[dict]:
    return [
        {
            "name": "North",
            "population_share": 0.40,
            "deprivation_shares": [0.35, 0.25, 0.18, 0.12, 0.10],
            "age_shift_years": -2.0,
        },
        {
            "name": "Central",
            "population_share": 0.35,
            "deprivation_shares": [0.20, 0.20, 0.20, 0.20, 0.20],
            "age_shift_years": 0.0,
        },
        {
            "name": "South",
            "population_share": 0.25,
            "deprivation_shares": [0.05, 0.10, 0.20, 0.30, 0.35],
            "age_shift_years": 3.0,
        },
    ]


@dataclass
class ScheduledChange:
    """Set a lever to a value from the start of a reporting year (year 0 = first)."""

    year: int = spec(0, units="reporting year, from 0", lo=0, hi=200)
    lever: str = spec("", doc="lever name (a key of levers:)")
    value: Any = None


@dataclass
class StoryStep:
    """One step of a guided story: what to notice (or do) at a given year."""

    year: int = spec(0, units="reporting year, from 0", lo=0, hi=200)
    text: str = spec("", doc="what to notice or do at this point, in a sentence or two")


@dataclass
class Story:
    """The narrative of a teaching preset: what to try, what to watch, what the evidence says."""

    what_to_try: str = spec(
        "", doc="the lever(s) this story moves, and what to try next", source="teaching text: no effect on the model"
    )
    what_to_watch: str = spec(
        "", doc="the outputs to watch, and what to expect", source="teaching text: no effect on the model"
    )
    evidence: str = spec(
        "",
        doc="what the evidence says (EVIDENCE.md items, seed sections)",
        source="teaching text: no effect on the model",
    )
    steps: list[StoryStep] = spec(
        [],
        doc="a guided walk through the run, step by step",
        max_items=MAX_STEPS,
        source="teaching text: no effect on the model",
    )


@dataclass
class Scenario:
    """A complete, validated description of a run."""

    name: str = spec("baseline", doc="scenario name", source="scenario metadata: a label, not a model parameter")
    description: str = spec(
        "",
        doc="one line on what the scenario shows",
        source="scenario metadata: a label, not a model parameter",
    )
    population: int = spec(
        100_000, units="people", lo=1_000, hi=5_000_000, doc="ICS population at the start", source="DESIGN 3"
    )
    years: int = spec(
        10, units="reporting years (52 weeks each)", lo=1, hi=60, source="DESIGN 3", doc="horizon after the burn-in"
    )
    burn_in_weeks: int = spec(
        260,
        units="weeks run before reporting starts",
        lo=0,
        hi=1040,
        doc="weeks run with no lever moved before week 0, so queues, caseloads and the population settle",
        source="DESIGN 3: a burn-in brings queues, caseloads and workforce to steady state; five years measured "
        "(abm validate at 3 and 10 years): the starting population's frailty is not yet sifted by mortality, "
        "and with two years the over-85s grew about twice as fast in the first reporting years as later",
    )
    seed: int = spec(
        1,
        units="integer",
        lo=0,
        hi=2**63 - 1,
        doc="random seed: fixes the run",
        source="run control: any seed is as valid as another; results are reported over several",
    )
    places: list[PlaceSpec] = field(
        default_factory=lambda: [PlaceSpec(**p) for p in _default_places()],
        metadata={
            "doc": "the Places (default: three, North deprived and younger, South affluent and older)",
            "units": "a list of Places (their settings: places[].* below)",
            "source": "DESIGN 3 (default 3 Places)",
            "max_items": MAX_PLACES,
        },
    )
    levers: Levers = spec(Levers())
    schedule: list[ScheduledChange] = spec(
        [],
        doc="lever changes at given years",
        max_items=MAX_SCHEDULE,
        source="run control: the policy timeline a scenario sets (JUNE-style dated policies)",
    )
    story: Story = spec(Story(), doc="the narrative shown with a teaching preset (optional)")
    params: Parameters = spec(Parameters())

    def check(self) -> list[str]:
        """Cross-field checks: Place names unique, schedule entries name real levers with valid values."""
        problems = []
        names = [p.name for p in self.places]
        if len(set(names)) != len(names) or "ICS" in names:
            problems.append(f"places: names must be unique and not 'ICS'; got {names}")
        if not self.places:
            problems.append(f"places: no Places; allowed: 1 to {MAX_PLACES} Places")
        elif sum(p.population_share for p in self.places) <= 0:
            problems.append("places: population_share values sum to 0; at least one Place needs people")
        lever_names = Levers.names()
        for i, change in enumerate(self.schedule):
            if change.lever not in lever_names:
                problems.append(
                    f"schedule.{i}.lever: {short(change.lever)} is not a lever{suggest(change.lever, lever_names)}; "
                    f"levers: {', '.join(lever_names)}"
                )
                continue
            if change.year >= self.years:
                problems.append(
                    f"schedule.{i}.year: {change.year} is beyond the horizon ({self.years} reporting "
                    f"year(s), so years 0 to {self.years - 1}); allowed: a year before {self.years}, "
                    "or raise years:"
                )
            try:
                validate_lever(change.lever, change.value, path=f"schedule.{i}.value")
            except ConfigError as exc:
                problems.extend(exc.problems)
        return problems

    def to_dict(self) -> dict:
        return to_dict(self)


def validate_lever(name: str, value: Any, path: str | None = None) -> Any:
    """Check one lever value; return it cleaned (e.g. int -> float) or raise ConfigError."""
    lever_names = Levers.names()
    if name not in lever_names:
        raise ConfigError(
            [f"{short(path or name)}: unknown lever{suggest(name, lever_names)}; levers: {', '.join(lever_names)}"]
        )
    try:
        levers = build(Levers, {name: value}, path="levers")
    except ConfigError as exc:
        if path:
            exc = ConfigError([p.replace(f"levers.{name}", path, 1) for p in exc.problems])
        raise exc from None
    return getattr(levers, name)


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_scenario_dict(source: str | Path | None) -> dict:
    """The raw dict of a preset name, a YAML file or a run's ``run.json`` (the default scenario when None)."""
    if source is None:
        source = "baseline"
    path = Path(source)
    if not path.suffix and not path.exists():
        if str(source) not in preset_names():
            raise ConfigError(
                [
                    f"scenario: {short(str(source))} is neither a file nor a preset"
                    f"{suggest(str(source), preset_names())}; presets: {', '.join(preset_names())}"
                ]
            )
        path = PRESET_DIR / f"{source}.yaml"
    data = safe_yaml.read(path, "scenario") or {}
    if not isinstance(data, dict):
        raise ConfigError([f"scenario: {path.name} must hold a mapping of keys to values, not {type(data).__name__}"])
    if path.suffix == ".json" and isinstance(data.get("scenario"), dict):
        return data["scenario"]  # a run's run.json: rerun exactly what it ran (its seed included)
    return data


def apply_overrides(data: dict, overrides: Sequence[str] | dict | None, problems: list[str] | None = None) -> dict:
    """Apply ``KEY=VALUE`` strings (or a {dotted: value} dict) to a scenario dict; return a new dict.

    Problems (unknown keys, malformed overrides) are raised as one ConfigError, or
    appended to ``problems`` when a list is given so the caller can report them
    together with the value checks.
    """
    data = copy.deepcopy(data)
    if not overrides:
        return data
    found: list[str] = []
    items: list[tuple[str, Any]] = []
    if isinstance(overrides, dict):
        items = list(overrides.items())
    else:
        for text in overrides:
            try:
                items.append(_split_override(text))
            except ConfigError as exc:
                found.extend(exc.problems)
    for key, value in items:
        try:
            set_path(data, Scenario, key, parse_value(value) if isinstance(value, str) else value)
        except ConfigError as exc:
            found.extend(exc.problems)
    if found and problems is None:
        raise ConfigError(found)
    if problems is not None:
        problems.extend(found)
    return data


def _split_override(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise ConfigError([f"--set {text!r}: expected KEY=VALUE, e.g. levers.acute_beds_multiplier=1.2"])
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def load_scenario(source: str | Path | None = None, overrides: Sequence[str] | dict | None = None) -> Scenario:
    """Load a preset or YAML file, apply overrides, validate; raise ConfigError listing every problem."""
    problems: list[str] = []
    data = apply_overrides(load_scenario_dict(source), overrides, problems)
    try:
        scenario = build(Scenario, data)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return scenario


def scenario_field_names() -> list[str]:
    return [f.name for f in fields(Scenario)]
