"""Experiment designs: what a sweep runs (YAML in, a validated :class:`Plan` out).

A design names a base scenario, the factors to vary, how many replications, the
root seed and what to keep::

    name: beds-and-social-care
    description: "Do more beds or more social care cut delayed discharges?"
    base: baseline                 # a preset name, or a scenario YAML (relative to this file)
    population: 20000              # shorthand for set: {population: ...}; so is years:
    years: 5
    set: {burn_in_weeks: 52}       # any other base-scenario value, by dotted path
    factors:
      acute_beds_multiplier: [1.0, 1.1, 1.2]          # grid values (a lever, by its name)
      levers.social_care_capacity_multiplier:           # or any scenario value, by dotted path
        values: [1.0, 1.25]
    replications: 10
    seed: 2024                     # the root seed: every run's seed is spawned from it
    outputs: annual                # annual (summary.json per run) or weekly (also metrics.parquet)
    outcomes: [emergency_admissions_per_1000, delayed_discharge_bed_days]
    reference: {acute_beds_multiplier: 1.0, levers.social_care_capacity_multiplier: 1.0}

Grid factors (``values``) are crossed: every combination is a design point.
Sampled factors (``range: [low, high]``) need ``sampling:`` (Latin hypercube
through :mod:`scipy.stats.qmc`, or Sobol' / Morris through SALib, an optional
extra); their sample is crossed with the grid.  Integer-valued keys are sampled
as whole numbers; true/false and text values can only be grid factors.

Seeds: replicate ``r`` of *every* design point runs with the same seed, spawned
from the root seed by :class:`numpy.random.SeedSequence`, so differences between
points are paired comparisons under common random numbers.

Every problem in a design (unknown key, bad value, inconsistent sampling) is
reported at once in a :class:`DesignError`, each naming the field, the value and
what is allowed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from abm import runner, safe_yaml
from abm.config import ConfigError, build, describe, spec, suggest, to_dict
from abm.errors import short
from abm.outputs import SUMMARY_KEYS
from abm.scenario import Scenario, apply_overrides, load_scenario, scenario_field_names
from policies.levers import Levers

SAMPLING_METHODS = ("lhs", "sobol", "morris")
OUTPUTS = ("annual", "weekly")
# Headline outcomes a design may name: every figure of a run's summary.json (declared in abm/outputs.py).
OUTCOMES = SUMMARY_KEYS
DEFAULT_OUTCOMES = tuple(key for key, *_ in runner.HEADLINES)
NOT_FACTORS = ("seed", "name")  # seeds come from the root seed; the name labels the sweep
REPLICATE_STREAM, SAMPLING_STREAM, POLICY_STREAM = 0, 1, 2  # SeedSequence spawn keys under the root seed
DUMMY = "dummy"  # the name of the dummy input (sampling.dummy)


class DesignError(ConfigError):
    """A design was refused; ``problems`` lists why (one line each)."""

    def __init__(self, problems: list[str]):
        super().__init__(problems)
        text = "\n".join(f"  - {p}" for p in self.problems)
        self.args = (f"invalid design ({len(self.problems)} problem(s)):\n{text}",)

    def __str__(self) -> str:
        return self.args[0]


# --------------------------------------------------------------------------- the YAML schema
@dataclass
class Sampling:
    """How sampled factors (``range:``) are drawn."""

    method: str = spec(
        "lhs",
        choices=SAMPLING_METHODS,
        doc="lhs: Latin hypercube (scipy); sobol: Saltelli/Sobol' sample for Sobol' indices; "
        "morris: elementary-effects trajectories (both through SALib)",
    )
    samples: int = spec(
        16,
        lo=1,
        hi=100_000,
        units="lhs: points; sobol: base sample N (N×(k+2) points, a power of 2); morris: trajectories (N×(k+1) points)",
    )
    levels: int = spec(4, lo=2, hi=20, units="grid levels (morris only)")
    policies: int | None = spec(
        None, lo=1, hi=100_000, units="lever combinations", doc="levers with a distribution: how many to sample (lhs)"
    )
    dummy: bool = spec(
        False, doc="add a dummy input that the model never reads: its index is the noise floor of the others"
    )


@dataclass
class Factor:
    """One factor: grid ``values`` (all run), or a ``range`` to sample."""

    values: list[Any] | None = spec(None, doc="values to run, crossed with the other grid factors")
    range: list[float] | None = spec(None, doc="[low, high] to sample (needs sampling:)")

    def check(self) -> list[str]:
        if (self.values is None) == (self.range is None):
            return ["values: give either values: [...] (a grid) or range: [low, high] (sampled), not both or neither"]
        if self.values is not None:
            if not self.values:
                return ["values: is empty; give at least one value"]
            if len({json.dumps(v, sort_keys=True) for v in self.values}) != len(self.values):
                return [f"values: {self.values!r} repeats a value; give each value once"]
        if self.range is not None and (len(self.range) != 2 or not self.range[0] < self.range[1]):
            return [f"range: {self.range!r} is not [low, high] with low < high"]
        return []


@dataclass
class Design:
    """An experiment design, as written in YAML (``factors`` are checked separately)."""

    name: str = spec("", doc="design name (default: the file name)")
    description: str = spec("", doc="the question the design answers")
    base: str = spec("baseline", doc="base scenario: a preset name or a scenario YAML (relative to the design)")
    population: int | None = spec(
        None, lo=1_000, hi=5_000_000, units="people", doc="base population (shorthand for set: {population: N})"
    )
    years: int | None = spec(None, lo=1, hi=60, units="reporting years", doc="horizon (shorthand for set: {years: Y})")
    set: dict = field(default_factory=dict, metadata={"doc": "other base-scenario values by dotted path"})
    replications: int = spec(1, lo=1, hi=10_000, units="runs per design point")
    seed: int = spec(1, lo=0, hi=2**63 - 1, doc="root seed: every run's seed is spawned from it")
    sampling: Sampling | None = spec(None, doc="how range factors are sampled")
    outputs: str = spec(
        "annual", choices=OUTPUTS, doc="annual: each run's summary.json; weekly: also its weekly metrics.parquet"
    )
    outcomes: Any = field(
        default_factory=lambda: list(DEFAULT_OUTCOMES),
        metadata={"doc": "headline figures summarised and plotted, or a mapping of declared outcomes (outcomes.py)"},
    )
    reference: Any = None  # 'base', or {grid factor: value}: the point differences are taken against

    @property
    def sampled_by(self) -> Sampling:
        """The ``sampling:`` settings of a design that samples (one with range factors must have them)."""
        assert self.sampling is not None, "the design has no sampling: section"
        return self.sampling

    def check(self) -> list[str]:
        problems = []
        if not isinstance(self.set, dict) or not all(isinstance(k, str) for k in self.set):
            problems.append(f"set: {self.set!r} is not a mapping of dotted keys to values")
        if isinstance(self.outcomes, list):
            for i, name in enumerate(self.outcomes):
                if name not in OUTCOMES:
                    problems.append(
                        f"outcomes.{i}: {short(name)} is not an outcome{suggest(str(name), OUTCOMES)}; "
                        f"allowed: {', '.join(OUTCOMES)}"
                    )
            if not self.outcomes:
                problems.append(f"outcomes: is empty; name at least one of {', '.join(OUTCOMES)}")
        elif not isinstance(self.outcomes, dict):  # a mapping is checked by experiments.outcomes
            problems.append(
                f"outcomes: {short(self.outcomes)} is a {type(self.outcomes).__name__}; give a list of headline "
                "figures or a mapping of declared outcomes ({name: {column: ..., aggregation: ...}})"
            )
        if not (self.reference is None or self.reference == "base" or isinstance(self.reference, dict)):
            problems.append(
                f"reference: {self.reference!r} is not allowed; allowed: 'base' or a mapping {{grid factor: value}}"
            )
        if self.sampling and self.sampling.method == "sobol" and self.sampling.samples & (self.sampling.samples - 1):
            problems.append(
                f"sampling.samples: {self.sampling.samples} is not a power of 2; Sobol' samples "
                "need one, e.g. 8, 16, 32"
            )
        return problems


# --------------------------------------------------------------------------- the resolved plan
@dataclass
class FactorPlan:
    """A factor resolved against the base scenario."""

    name: str  # as written in the design
    key: str  # dotted scenario key
    kind: str  # "grid" or "sampled"
    values: list[Any] | None
    range: list[float] | None
    integer: bool  # an int-valued key: sampled as whole numbers
    units: str
    role: str = ""  # designs with levers: and uncertainties: "lever" or "uncertainty" ("" in a factors: design)
    distribution: dict | None = None  # a sampled lever's or uncertainty's distribution (experiments.distributions)

    @property
    def drawn_from(self):
        """The :class:`experiments.distributions.Distribution` a lever or uncertainty is sampled from."""
        from experiments.distributions import Distribution

        assert self.distribution is not None, f"factor {self.name} has no distribution"
        return Distribution(**self.distribution)

    @property
    def grid_values(self) -> list[Any]:
        """The values of a grid factor."""
        assert self.values is not None, f"factor {self.name} is sampled, not a grid"
        return self.values

    @property
    def sample_range(self) -> list[float]:
        """[low, high] of a sampled factor."""
        assert self.range is not None, f"factor {self.name} is a grid, not sampled"
        return self.range


@dataclass
class Plan:
    """A validated design expanded into design points and replicate seeds."""

    design: Design
    source: str
    base: dict  # the resolved base scenario
    factors: list[FactorPlan]
    points: list[dict]  # {"point": i, "values": {factor: value}, "cell": grid cell, "base": bool}
    sample: list[list[float]] | None  # the raw sampled matrix (sobol/morris analysis needs it)
    reference: int
    seeds: list[int]
    measures: list[dict] = field(default_factory=list)  # declared outcomes (experiments.outcomes), one record each

    @property
    def replications(self) -> int:
        return len(self.seeds)

    @property
    def outcomes(self) -> list[str]:
        """The outcomes summarised: the declared outcomes' names, or the headline figures named."""
        return [m["name"] for m in self.measures] if self.measures else list(self.design.outcomes)

    @property
    def levers(self) -> list[FactorPlan]:
        """The factors that make a policy: levers (a levers: design) or grid factors (a factors: design)."""
        if any(f.role for f in self.factors):
            return [f for f in self.factors if f.role == "lever"]
        return [f for f in self.factors if f.kind == "grid"]

    @property
    def uncertainties(self) -> list[FactorPlan]:
        """The factors that make a scenario: uncertainties, or sampled factors (a factors: design)."""
        if any(f.role for f in self.factors):
            return [f for f in self.factors if f.role == "uncertainty"]
        return [f for f in self.factors if f.kind == "sampled"]

    def with_replications(self, replications: int) -> Plan:
        """This plan with ``replications`` replicates (the first ones keep their seeds)."""
        design = dataclasses.replace(self.design, replications=replications)
        return dataclasses.replace(self, design=design, seeds=replicate_seeds(self.design.seed, replications))

    def runs(self) -> list[dict]:
        """Every run: replicate-major, so early results already cover every point."""
        width_p, width_r = len(str(len(self.points) - 1)), len(str(self.replications - 1))
        return [
            {
                "run_id": f"p{point['point']:0{width_p}d}-r{rep:0{width_r}d}",
                "point": point["point"],
                "replicate": rep,
                "seed": seed,
                "overrides": self.overrides(point["point"]),
            }
            for rep, seed in enumerate(self.seeds)
            for point in self.points
        ]

    def overrides(self, point: int) -> dict:
        """The scenario values a design point sets, by dotted key."""
        values = self.points[point]["values"]
        return {f.key: values[f.name] for f in self.factors}

    def fingerprint(self) -> str:
        """A hash of everything that decides the runs' results and files."""
        identity = {"base": self.base, "runs": self.runs(), "outputs": self.design.outputs}
        if self.measures:  # designs that declare outcomes (none before they existed: fingerprints unchanged)
            identity["measures"] = self.measures
        return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()

    def to_record(self) -> dict:
        """A JSON-safe record of the plan (what sweep.json holds)."""
        return {
            "design": to_dict(self.design),
            "source": self.source,
            "base": self.base,
            "factors": [vars(f) for f in self.factors],
            "points": self.points,
            "sample": self.sample,
            "reference": self.reference,
            "seeds": self.seeds,
            "measures": self.measures,
            "fingerprint": self.fingerprint(),
        }

    @classmethod
    def from_record(cls, record: dict) -> Plan:
        """The plan a sweep.json recorded."""
        design = build(Design, record["design"])
        factors = [FactorPlan(**f) for f in record["factors"]]
        return cls(
            design,
            record["source"],
            record["base"],
            factors,
            record["points"],
            record["sample"],
            record["reference"],
            record["seeds"],
            record.get("measures", []),
        )


# --------------------------------------------------------------------------- loading
def load_design(
    source: str | Path,
    overrides: list[str] | dict | None = None,
    replications: int | None = None,
    samples: int | None = None,
) -> Plan:
    """Read, validate and expand a design file.

    Args:
        source: the design YAML.
        overrides: ``KEY=VALUE`` strings (or a dict) applied to the base scenario after
            the design's own ``set:`` (as ``abm sweep --set``).
        replications: replaces the design's ``replications`` (as ``abm sweep --replications``).
        samples: replaces ``sampling.samples`` (as ``abm sweep --samples``).

    Raises:
        DesignError: every problem found, one line each.
    """
    path = Path(source)
    data = _read_yaml(path)
    raw_factors = data.pop("factors", None)
    raw_levers, raw_uncertainties = data.pop("levers", None), data.pop("uncertainties", None)
    exploratory = raw_levers is not None or raw_uncertainties is not None
    if replications is not None:
        data["replications"] = replications
    problems: list[str] = []
    if samples is not None:
        if isinstance(data.get("sampling"), dict):
            data["sampling"] = {**data["sampling"], "samples": samples}
        elif exploratory and raw_uncertainties and "sampling" not in data:
            data["sampling"] = {"samples": samples}
        else:
            problems.append(f"--samples {samples}: the design samples nothing (it has no sampling: section)")
    if exploratory and raw_uncertainties and "sampling" not in data:
        data["sampling"] = {}  # uncertainties are sampled: a Latin hypercube by default
    try:
        design = build(Design, data)
    except ConfigError as exc:
        problems.extend(exc.problems)
        design = None
    base = _base_scenario(data, design, path, overrides, problems)
    if exploratory:
        if raw_factors is not None:
            problems.append(
                "factors: a design gives either factors: or levers: and uncertainties:, not both; "
                "move each factor to levers: (policy choices) or uncertainties: (what is not known)"
            )
        factors = _levers_and_uncertainties(raw_levers, raw_uncertainties, base or Scenario(), problems)
    else:
        factors = _factors(raw_factors, base or Scenario(), problems)
    if design is not None and factors:
        problems.extend(_sampling_problems(factors, design))
    measures = _measures(design, base, problems)
    if problems:
        raise DesignError(problems)
    assert design is not None and base is not None  # each was refused with a problem, or built
    design.name = design.name or path.stem
    points, sample = _points(factors, design, base)
    reference = _reference(design, factors, points, problems)
    if problems:
        raise DesignError(problems)
    return Plan(
        design,
        str(path),
        base.to_dict(),
        factors,
        points,
        sample,
        reference,
        replicate_seeds(design.seed, design.replications),
        measures,
    )


def _measures(design: Design | None, base: Scenario | None, problems: list[str]) -> list[dict]:
    """The declared outcomes (a mapping under ``outcomes:``), checked against the base scenario's Places."""
    if design is None or not isinstance(design.outcomes, dict):
        return []
    from experiments.outcomes import load_outcomes

    places = [p.name for p in base.places] if base is not None else []
    return load_outcomes(design.outcomes, places, base.years if base is not None else None, problems)


def _levers_and_uncertainties(levers: Any, uncertainties: Any, base: Scenario, problems: list[str]) -> list[FactorPlan]:
    """Resolve a design's ``levers:`` (grid values, or distributions sampled into policies) and ``uncertainties:``."""
    factors: list[FactorPlan] = []
    sections = (("levers", levers), ("uncertainties", uncertainties))
    for section, raw in sections:
        if raw is None:
            continue
        if not isinstance(raw, dict):
            problems.append(
                f"{section}: expected a mapping of names to values or distributions, got {type(raw).__name__}"
            )
            continue
        for name, entry in raw.items():
            factor = _lever_or_uncertainty(section, str(name), entry, base, problems)
            if factor is not None:
                factors.append(factor)
    if not factors and not problems:
        problems.append(
            "levers: and uncertainties: are both empty; vary at least one lever (levers: {funding_shift_pct: [0, 2]}) "
            "or uncertainty (uncertainties: {recruitment_multiplier: {distribution: uniform, low: 0.5, high: 1.5}})"
        )
    names = [f.name for f in factors]
    twice = sorted({n for n in names if names.count(n) > 1})
    problems.extend(
        f"uncertainties.{name}: is a lever too; an input is either a lever or an uncertainty" for name in twice
    )
    return factors


def _lever_or_uncertainty(
    section: str, name: str, entry: Any, base: Scenario, problems: list[str]
) -> FactorPlan | None:
    from experiments.distributions import Distribution

    where = f"{section}.{name}"
    role = "lever" if section == "levers" else "uncertainty"
    data = base.to_dict()
    key = _resolve_key(name, data, problems, where)
    grid = role == "lever" and (isinstance(entry, list) or (isinstance(entry, dict) and set(entry) == {"values"}))
    if grid:
        try:
            factor = build(Factor, {"values": entry} if isinstance(entry, list) else entry, path=where)
        except ConfigError as exc:
            problems.extend(exc.problems)
            return None
        distribution = None
    else:
        if not isinstance(entry, dict):
            allowed = "a list of values, or a distribution" if role == "lever" else "a distribution"
            problems.append(
                f"{where}: {short(entry)} is a {type(entry).__name__}; give {allowed}, e.g. "
                "{distribution: uniform, low: 0.5, high: 1.5}"
            )
            return None
        try:
            drawn = build(Distribution, {"distribution": "uniform", **entry}, path=where)
        except ConfigError as exc:
            problems.extend(exc.problems)
            return None
        distribution = to_dict(drawn)
    if key is None:
        return None
    row = {r["name"]: r for r in describe(Scenario)}.get(key, {})
    default = row.get("default")
    integer = isinstance(default, int) and not isinstance(default, bool)
    if distribution is None:
        plan = FactorPlan(name, key, "grid", factor.values, None, integer, row.get("units", ""), role)
        problems.extend(_check_factor_values(plan, default, data, where))
        return plan
    drawn = Distribution(**distribution)
    plan = FactorPlan(
        name,
        key,
        "sampled" if role == "uncertainty" else "policy",
        None,
        list(drawn.bounds) if drawn.continuous else None,
        integer,
        row.get("units", ""),
        role,
        distribution,
    )
    problems.extend(_distribution_problems(plan, drawn, default, data, where))
    return plan


def _distribution_problems(factor: FactorPlan, drawn, default: Any, data: dict, where: str) -> list[str]:
    """A distribution must suit its key's type, and each value it can give must make a valid scenario."""
    kind = type(default).__name__
    if isinstance(default, bool) and drawn.distribution not in ("boolean", "categorical"):
        return [f"{where}.distribution: {factor.key} is true/false; allowed: boolean (or categorical)"]
    if isinstance(default, str) and drawn.distribution != "categorical":
        return [f"{where}.distribution: {factor.key} is a {kind} value; allowed: categorical"]
    values = drawn.support()
    if drawn.continuous and factor.integer:
        values = [math.ceil(values[0]), math.floor(values[1])]
        if values[0] > values[1]:
            return [f"{where}: {factor.key} takes whole numbers and [low, high] holds none"]
    return _values_problems(factor.key, values, data, where)


def _values_problems(key: str, values, data: dict, where: str) -> list[str]:
    """What the scenario's own validation says of each value the factor ``key`` can take (none: all allowed)."""
    problems: list[str] = []
    for value in values:
        try:
            build(Scenario, apply_overrides(data, {key: value}))
        except ConfigError as exc:
            problems.extend(f"{where}: {p}" for p in exc.problems)
    return problems


def _read_yaml(path: Path) -> dict:
    try:
        data = safe_yaml.read(path, "design") or {}
    except ConfigError as exc:
        raise DesignError(exc.problems) from None
    if not isinstance(data, dict):
        raise DesignError([f"design: {path.name} must hold a mapping of keys to values, not {type(data).__name__}"])
    return data


def _base_scenario(data: dict, design: Design | None, path: Path, overrides, problems: list[str]) -> Scenario | None:
    """The base scenario with the design's population/years/set and the caller's overrides applied.

    Read from the raw ``data`` so that its problems are reported even when the design's
    own fields were refused (population and years then only once, as design problems).
    """
    source = data.get("base", "baseline")
    if not isinstance(source, str):
        return None
    if Path(source).suffix in (".yaml", ".yml"):
        source = path.parent / source
    shorthands = (
        {} if design is None else {k: v for k in ("population", "years") if (v := getattr(design, k)) is not None}
    )
    given = data.get("set")
    own = given if isinstance(given, dict) else {}
    if isinstance(overrides, dict):
        extra = overrides
    else:
        extra = dict(item for text in overrides or [] if (item := _split(text, problems)))
    merged = {**shorthands, **own, **extra}
    if "seed" in merged:
        problems.append(
            "seed: the runs' seeds are spawned from the design's root seed; set seed: in the design "
            "instead of the base scenario's seed"
        )
        merged.pop("seed")
    try:
        return load_scenario(source, merged)
    except ConfigError as exc:
        problems.extend(f"base scenario {data.get('base', 'baseline')!r}: {p}" for p in exc.problems)
        return None


def _split(text: str, problems: list[str]) -> tuple[str, Any] | None:
    if "=" not in text:
        problems.append(f"--set {text!r}: expected KEY=VALUE, e.g. population=5000")
        return None
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def _factors(raw: Any, base: Scenario, problems: list[str]) -> list[FactorPlan]:
    """Resolve and check each factor against the base scenario; append every problem found."""
    if not isinstance(raw, dict) or not raw:
        what = "none given" if raw is None or raw == {} else f"expected a mapping, got {type(raw).__name__}"
        problems.append(
            f"factors: {what}; a design varies at least one lever or scenario value, e.g. "
            "factors: {acute_beds_multiplier: [1.0, 1.2]}"
        )
        return []
    leaves = {row["name"]: row for row in describe(Scenario)}
    data = base.to_dict()
    factors = []
    for name, entry in raw.items():
        where = f"factors.{name}"
        key = _resolve_key(str(name), data, problems)
        if not isinstance(entry, (list, dict)):
            problems.append(
                f"{where}: {entry!r} is a {type(entry).__name__}; give a list of values, "
                "{values: [...]} or {range: [low, high]} (to fix one value for every run, use set:)"
            )
            continue
        try:
            factor = build(Factor, {"values": entry} if isinstance(entry, list) else entry, path=where)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if key is None:
            continue
        row = leaves.get(key, {})
        default = row.get("default")
        integer = isinstance(default, int) and not isinstance(default, bool)
        plan = FactorPlan(
            str(name),
            key,
            "grid" if factor.values is not None else "sampled",
            factor.values,
            factor.range,
            integer,
            row.get("units", ""),
        )
        problems.extend(_check_factor_values(plan, default, data, where))
        factors.append(plan)
    return factors


def _sampling_problems(factors: list[FactorPlan], design: Design) -> list[str]:
    """Range factors need sampling:, and sampling: needs range factors."""
    sampled = [f.name for f in factors if f.kind == "sampled"]
    if sampled and design.sampling is None:
        return [
            f"sampling: factors {', '.join(sampled)} give a range, so the design needs "
            "sampling: {method: lhs|sobol|morris, samples: N}"
        ]
    drawn_levers = [f.name for f in factors if f.kind == "policy"]
    problems = []
    if drawn_levers and (design.sampling is None or design.sampling.policies is None):
        problems.append(
            f"sampling.policies: levers {', '.join(drawn_levers)} give a distribution, so the design needs "
            "sampling: {policies: N}, the number of lever combinations to draw"
        )
    elif design.sampling is not None and design.sampling.policies is not None and not drawn_levers:
        problems.append("sampling.policies: given, but no lever gives a distribution to sample")
    if not sampled and not drawn_levers and design.sampling is not None:
        problems.append("sampling: given, but no factor has a range: [low, high] to sample")
    if sampled and design.sampling is not None and design.sampling.method in ("sobol", "morris"):
        problems.extend(_salib_problem(design.sampling.method))
    return problems


def _resolve_key(name: str, data: dict, problems: list[str], where: str = "") -> str | None:
    """The dotted scenario key of a factor: a dotted path, a top-level key, or a lever's name."""
    where = where or f"factors.{name}"
    top = scenario_field_names()
    if name in NOT_FACTORS:
        problems.append(
            f"{where}: {name!r} cannot be a factor (seeds are spawned from the design's root seed; "
            "the name labels the sweep)"
        )
        return None
    if "." in name or name in top:
        try:
            apply_overrides(data, {name: None})  # checks every part of the path exists
        except ConfigError as exc:
            problems.extend(f"{where}: {p}" for p in exc.problems)
            return None
        return name
    if name in Levers.names():
        return f"levers.{name}"
    problems.append(
        f"{where}: unknown factor{suggest(name, Levers.names() + top)}; give a lever name "
        f"({', '.join(Levers.names())}) or a scenario key by dotted path (see 'abm params')"
    )
    return None


def _check_factor_values(factor: FactorPlan, default: Any, data: dict, where: str) -> list[str]:
    """Each grid value, or both ends of a range, must make a valid scenario on its own."""
    if factor.kind == "sampled":
        if default is not None and (isinstance(default, bool) or not isinstance(default, (int, float))):
            return [
                f"{where}.range: {factor.key} is a {type(default).__name__} value and cannot be sampled; "
                "give values: [...] instead"
            ]
        values, where = [round(v) if factor.integer else v for v in factor.sample_range], f"{where}.range"
    else:
        values, where = factor.grid_values, f"{where}.values"
    return _values_problems(factor.key, values, data, where)


def _salib_problem(method: str) -> list[str]:
    try:
        import SALib  # noqa: F401
    except ImportError:
        return [f"sampling.method: {method!r} needs SALib; install it with pip install 'ics-abm[sensitivity]'"]
    return []


# --------------------------------------------------------------------------- points and seeds
def replicate_seeds(root_seed: int, replications: int) -> list[int]:
    """One model seed per replicate, spawned from ``root_seed`` (shared by every design point).

    ``SeedSequence(root, spawn_key=(0,)).spawn(n)``: child ``r`` is the same whatever ``n``,
    so replicate ``r`` keeps its seed when replications are added.
    """
    children = np.random.SeedSequence(root_seed, spawn_key=(REPLICATE_STREAM,)).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]


def sampling_seed(root_seed: int) -> np.random.SeedSequence:
    """The seed of the factor sample (its own stream under the root seed)."""
    return np.random.SeedSequence(root_seed, spawn_key=(SAMPLING_STREAM,))


def _points(factors: list[FactorPlan], design: Design, base: Scenario) -> tuple[list[dict], list | None]:
    """Design points: policies (the grid, crossed with any sampled levers) crossed with the sample of the
    uncertainties (or range factors), plus the base scenario when it is the reference.

    In a design with levers: and uncertainties:, a point's ``cell`` is its policy and its
    ``scenario`` its row of the uncertainties' sample, the same row for every policy.
    """
    exploratory = any(f.role for f in factors)
    grid = [f for f in factors if f.kind == "grid"]
    sampled = [f for f in factors if f.kind == "sampled"]
    raw = sample_factors(sampled, design) if sampled else None
    rows = [{}] if raw is None else _sample_values(raw, sampled)
    drawn = [f for f in factors if f.kind == "policy"]
    policy_rows = [{}] if not drawn else _sample_values(sample_policies(drawn, design), drawn)
    points = []
    if design.reference == "base" or (sampled and design.reference is None and not exploratory):
        data = base.to_dict()
        points.append({"point": 0, "values": {f.name: _get(data, f.key) for f in factors}, "cell": None, "base": True})
    policies = [
        {**dict(zip((f.name for f in grid), combo, strict=True)), **drawn_row}
        for combo in itertools.product(*(f.grid_values for f in grid))
        for drawn_row in policy_rows
    ]
    for cell, policy in enumerate(policies):
        for scenario, row in enumerate(rows):
            values = {**policy, **row}
            point = {"point": len(points), "values": {f.name: values[f.name] for f in factors}, "cell": cell}
            point["base"] = False
            if exploratory:
                point["scenario"] = scenario
            points.append(point)
    return points, None if raw is None else raw.tolist()


def sample_factors(sampled: list[FactorPlan], design: Design) -> np.ndarray:
    """The raw sample (rows x columns): a column per sampled factor, in its units (a ``range``) or as a
    quantile in [0, 1) (a distribution, see :func:`_sample_values`); integers not yet rounded.  With
    ``sampling.dummy``, a last column is the dummy input's (the model never reads it)."""
    method, n = design.sampled_by.method, design.sampled_by.samples
    bounds = [_bounds(f) for f in sampled] + ([[0.0, 1.0]] if design.sampled_by.dummy else [])
    seed = sampling_seed(design.seed)
    if method == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(bounds), rng=np.random.default_rng(seed)).random(n)
        return qmc.scale(unit, *zip(*bounds, strict=True)) if sampled else unit
    problem = salib_problem(sampled, bounds, dummy=design.sampled_by.dummy)
    salib_seed = int(seed.generate_state(1)[0])
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=False, seed=salib_seed)
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=design.sampled_by.levels, seed=salib_seed)


def sample_policies(drawn: list[FactorPlan], design: Design) -> np.ndarray:
    """A Latin hypercube of ``sampling.policies`` lever combinations (quantiles; its own stream under the root seed)."""
    from scipy.stats import qmc

    seed = np.random.SeedSequence(design.seed, spawn_key=(POLICY_STREAM,))
    return qmc.LatinHypercube(d=len(drawn), rng=np.random.default_rng(seed)).random(design.sampled_by.policies)


def salib_problem(sampled: list[FactorPlan], bounds: list[list[float]] | None = None, dummy: bool = False) -> dict:
    """SALib's problem description for the sampled factors (and the dummy input, last)."""
    if bounds is None:
        bounds = [_bounds(f) for f in sampled] + ([[0.0, 1.0]] if dummy else [])
    names = [f.name for f in sampled] + ([DUMMY] if dummy else [])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def _bounds(factor: FactorPlan) -> list[float]:
    """The interval a factor is sampled over: its range, widened by half at each end for a whole number;
    [0, 1] (quantiles) for a distribution."""
    if factor.distribution is not None:
        return [0.0, 1.0]
    low, high = factor.sample_range
    return [low - 0.5, high + 0.5] if factor.integer else [low, high]


def _sample_values(raw: np.ndarray, sampled: list[FactorPlan]) -> list[dict]:
    """Each row of a raw sample as scenario values by factor name (a dummy column is left out)."""
    columns = []
    for j, f in enumerate(sampled):
        column = raw[:, j]
        if f.distribution is None:
            columns.append(_snap(column, f))
            continue
        drawn = f.drawn_from
        values = drawn.ppf(column)
        if f.integer and drawn.continuous:
            low, high = math.ceil(drawn.bounds[0]), math.floor(drawn.bounds[1])
            values = [int(min(max(round(v), low), high)) for v in values]
        columns.append(values)
    names = [f.name for f in sampled]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _snap(column: np.ndarray, f: FactorPlan) -> list:
    """A sampled range factor's values: integers rounded into range, floats as plain floats."""
    if f.integer:
        return [int(min(max(round(value), f.sample_range[0]), f.sample_range[1])) for value in column]
    return [float(value) for value in column]


def _get(data: dict, dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _reference(design: Design, factors: list[FactorPlan], points: list[dict], problems: list[str]) -> int:
    """The index of the reference point (base, the grid point named, or the first point)."""
    if not isinstance(design.reference, dict):
        return 0
    grid = {f.name for f in factors if f.kind == "grid"}
    if len(grid) < len(factors) or set(design.reference) != grid:
        problems.append(
            f"reference: {design.reference!r} must give one value for each grid factor "
            f"({', '.join(sorted(grid))}) in a design with no sampled factors; or use reference: base"
        )
        return 0
    for point in points:
        if all(_same(point["values"][k], v) for k, v in design.reference.items()):
            return point["point"]
    problems.append(
        f"reference: {design.reference!r} is not a design point; each value must be one of the factor's values"
    )
    return 0


def _same(a: Any, b: Any) -> bool:
    """Equal as design values: 1 == 1.0, but true is not 1."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)
