"""What each lever does, by paired seeds: the figures of the ODD's and the README's lever tables.

    python -m experiments.lever_effects --table odd --jobs 2
    python -m experiments.lever_effects --table readme --jobs 2

``--table odd`` runs the design of ``docs/ODD.md``'s "Indicative short-run effects": seeds 1-6 at
10,000 people, 2 reporting years after the default burn-in, each lever set in ``levers:`` from the
start (``funding_shift_start_year`` and ``delegation_start_year`` 0).  For every row it prints each
outcome's mean over the two years relative to the baseline, ± one standard error of the paired
difference, and marks with ``*`` an effect beyond three standard errors.

``--table readme`` runs ``tests/test_levers.py``'s arms (seeds 201-208, 10,000 people, 6 reporting
years after a 52-week burn-in, policies from year 1) and prints the comparisons the README's "What
the levers do" list quotes, each over the years it names.

Every arm runs the same seeds (common random numbers, :mod:`abm.streams`), each run with
``ICSModel(population=..., years=..., seed=..., **overrides).run()``; the ICS rows of its weekly
metrics give yearly outcomes (flows as rates per 1,000 people a year, stocks as yearly means), as
:mod:`abm.crn` and ``tests/test_levers.py`` read them.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Z = 3  # an effect counts when it is beyond three standard errors of the paired difference


@dataclass(frozen=True)
class Design:
    """The runs behind a table: people, reporting years, burn-in (None: the default) and paired seeds."""

    population: int
    years: int
    seeds: tuple[int, ...]
    burn_in_weeks: int | None = None


ODD_DESIGN = Design(population=10_000, years=2, seeds=tuple(range(1, 7)))
README_DESIGN = Design(population=10_000, years=6, seeds=tuple(range(201, 209)), burn_in_weeks=52)

# Yearly outcomes of one run (rates per 1,000 a year for flows, yearly means for stocks), by name: label.
OUTCOMES: dict[str, str] = {
    "admissions": "admissions",
    "admission_demand": "admission demand",
    "ed": "ED attendances",
    "occupancy": "occupancy",
    "delayed": "delayed bed-days",
    "deaths": "deaths",
    "deaths_waiting": "deaths waiting for a bed",
    "unmet": "unmet need",
    "unmet_sought": "visible unmet need",
    "chs_fte": "CHS FTE",
    "chs_share": "CHS share",
    "core_share": "core CHS share",
    "chs_waits": "CHS waits",
    "rationed": "CHS rationing",
    "gap": "deprivation gap",
}
ODD_OUTCOMES = (
    "admissions",
    "admission_demand",
    "ed",
    "occupancy",
    "delayed",
    "deaths",
    "unmet",
    "unmet_sought",
    "chs_fte",
    "chs_share",
)


def yearly_outcomes(overrides: Mapping, design: Design, seed: int) -> dict[str, np.ndarray]:
    """One run's outcomes by reporting year."""
    from abm.model import ICSModel

    settings = dict(overrides)
    if design.burn_in_weeks is not None:
        settings["burn_in_weeks"] = design.burn_in_weeks
    model = ICSModel(population=design.population, years=design.years, seed=seed, **settings).run()
    df = model.metrics.frame()
    ics = df[df["place"] == "ICS"].groupby("year")
    people = ics["population"].mean()

    def rate(column: str) -> np.ndarray:
        return (ics[column].sum() / people * 1000).to_numpy()

    def mean(column: str) -> np.ndarray:
        return ics[column].mean().to_numpy()

    return {
        "admissions": rate("emergency_admissions"),
        "admission_demand": rate("admission_demand"),
        "ed": rate("ed_attendances"),
        "occupancy": mean("bed_occupancy"),
        "delayed": rate("delayed_discharge_bed_days"),
        "deaths": rate("deaths"),
        "deaths_waiting": rate("deaths_waiting_for_bed"),
        "unmet": rate("unmet_need"),
        "unmet_sought": rate("unmet_need_sought"),
        "chs_fte": (ics["chs_fte"].mean() / people * 1000).to_numpy(),
        "chs_share": _chs_share(ics),
        "core_share": _core_share(ics),
        "chs_waits": (ics["chs_waiting"].mean() / people * 1000).to_numpy(),
        "rationed": rate("chs_rationed"),
        "gap": mean("unmet_need_equity_gap_per_1000"),
    }


def _chs_share(ics) -> np.ndarray:
    """The CHS share of spend each year, as the output ``chs_share_of_spend`` defines it."""
    from abm.outputs import by_name

    output = by_name("chs_share_of_spend")
    numerator = ics[list(output.numerator)].sum().sum(axis=1)
    denominator = ics[list(output.denominator)].sum().sum(axis=1)
    return (numerator / denominator).to_numpy()


def _core_share(ics) -> np.ndarray:
    """Core CHS's share of spend each year (add-on schemes apart), as ``tests/test_levers.py`` reads it."""
    spend = ics[["spend_acute", "spend_chs_core", "spend_addon", "spend_primary"]].sum()
    return (spend["spend_chs_core"] / spend.sum(axis=1)).to_numpy()


# --------------------------------------------------------------------------- the ODD table's rows
def _from_start(**levers) -> dict:
    """Levers set in ``levers:`` from reporting year 0."""
    levers.setdefault("funding_shift_start_year", 0)
    levers.setdefault("delegation_start_year", 0)
    return {f"levers.{name}": value for name, value in levers.items()}


ODD_ROWS: dict[str, dict] = {
    "acute_payment: block": _from_start(acute_payment="block"),
    "acute_beds_multiplier: 0.8": _from_start(acute_beds_multiplier=0.8),
    "acute_beds_multiplier: 1.2": _from_start(acute_beds_multiplier=1.2),
    "integration_share: 0.8": _from_start(integration_share=0.8),
    "social_care_capacity_multiplier: 0.75": _from_start(social_care_capacity_multiplier=0.75),
    "funding_shift_pct: 10 (core)": _from_start(funding_shift_pct=10.0, addon_share_pct=0.0),
    "funding_shift_pct: 10, addon_share_pct: 100, redeploy": _from_start(
        funding_shift_pct=10.0, addon_share_pct=100.0, addon_staffing="redeploy"
    ),
    "growth_to_community_pct: 100, addon_share_pct: 0": _from_start(growth_to_community_pct=100.0, addon_share_pct=0.0),
    "delegation_to_place (from year 0)": _from_start(delegation_to_place=True),
    "chs_contract: outcome": _from_start(chs_contract="outcome"),
    "chs_host: collaborative": _from_start(chs_host="collaborative"),
    "public_health_multiplier: 3": _from_start(public_health_multiplier=3.0),
    "winter_pressure_pct: 30": _from_start(winter_pressure_pct=30.0),
    "demand_multiplier: 1.2": _from_start(demand_multiplier=1.2),
    "training_places_multiplier: 0": _from_start(training_places_multiplier=0.0),
}


# --------------------------------------------------------------------------- the README list's arms
def _from_year_1(levers: Mapping[str, Any] | None = None, schedule: Sequence[Mapping] = ()) -> dict:
    """``tests/test_levers.py``'s ``arm``: levers from year 1 (a funding shift starts in year 1)."""
    settings = dict(levers or {})
    if "funding_shift_pct" in settings:
        settings.setdefault("funding_shift_start_year", 1)
    overrides: dict = {f"levers.{name}": value for name, value in settings.items()}
    if schedule:
        overrides["schedule"] = [dict(entry) for entry in schedule]
    return overrides


CORE_SHIFT: dict[str, Any] = {"funding_shift_pct": 10.0, "addon_share_pct": 0.0}
ADDON_SHIFT: dict[str, Any] = {"funding_shift_pct": 10.0, "addon_share_pct": 100.0, "addon_staffing": "redeploy"}
ADDON_ENDING: dict[str, Any] = {**ADDON_SHIFT, "addon_recurrent": False, "addon_funding_years": 2}
DELEGATE: dict[str, Any] = {"delegation_to_place": True, "delegation_start_year": 1, "delegation_transition_years": 1.5}
RISING_DEMAND = (
    {"year": 1, "lever": "demand_multiplier", "value": 1.1},
    {"year": 2, "lever": "demand_multiplier", "value": 1.2},
    {"year": 3, "lever": "demand_multiplier", "value": 1.3},
)

README_ARMS: dict[str, dict] = {
    "baseline": {},
    "CHS cut": _from_year_1({"funding_shift_pct": -10.0}),
    "core shift": _from_year_1(CORE_SHIFT),
    "recruitment halved": _from_year_1({"recruitment_multiplier": 0.5}),
    "core shift, recruitment halved": _from_year_1({"recruitment_multiplier": 0.5, **CORE_SHIFT}),
    "add-on shift": _from_year_1(ADDON_SHIFT),
    "add-on shift ending": _from_year_1(ADDON_ENDING),
    "data 0.9": _from_year_1({"data_quality": 0.9}),
    "data 0.1": _from_year_1({"data_quality": 0.1}),
    "block, rising demand": _from_year_1(schedule=RISING_DEMAND),
    "activity, rising demand": _from_year_1({"chs_contract": "activity"}, schedule=RISING_DEMAND),
    "delegation": _from_year_1(DELEGATE),
    "delegation, data 0.9": _from_year_1({"data_quality": 0.9, **DELEGATE}),
    "integration 0.8": _from_year_1({"integration_share": 0.8}),
    "beds x0.8": _from_year_1({"acute_beds_multiplier": 0.8}),
}


@dataclass(frozen=True)
class Comparison:
    """One figure of the README list: ``arm`` against ``reference`` on ``outcome`` over reporting years
    ``first``-``last``.  ``relative``: the paired change in %; ``growth``: how many times more the
    outcome grows from year 0 in ``arm`` than in ``reference``; ``level``: both arms' means."""

    bullet: str
    arm: str
    reference: str
    outcome: str
    first: int
    last: int
    kind: str = "relative"


def _c(bullet: str, arm: str, reference: str, outcomes: Sequence[str], first: int, last: int, kind: str = "relative"):
    return [Comparison(bullet, arm, reference, outcome, first, last, kind) for outcome in outcomes]


README_COMPARISONS: tuple[Comparison, ...] = (
    *_c("CHS cut", "CHS cut", "baseline", ("admissions", "delayed", "rationed", "unmet"), 2, 5),
    *_c("core shift", "core shift", "baseline", ("admissions", "chs_fte", "delayed"), 3, 5),
    *_c("core shift", "core shift", "baseline", ("admissions",), 1, 1),
    *_c(
        "core shift", "core shift, recruitment halved", "recruitment halved", ("admissions", "chs_fte", "delayed"), 3, 5
    ),
    *_c("add-on shift", "add-on shift", "core shift", ("unmet",), 1, 5),
    *_c("add-on shift", "add-on shift", "baseline", ("chs_waits", "rationed", "chs_fte"), 1, 1),
    *_c("add-on shift", "add-on shift ending", "baseline", ("delayed", "occupancy"), 1, 2),
    *_c("add-on shift", "add-on shift ending", "baseline", ("delayed", "occupancy"), 3, 5),
    *_c("better data", "data 0.9", "data 0.1", ("core_share", "admissions", "unmet"), 3, 5),
    *_c("block contract", "block, rising demand", "activity, rising demand", ("chs_waits", "rationed"), 2, 5, "growth"),
    *_c("block contract", "block, rising demand", "activity, rising demand", ("admissions", "unmet"), 2, 5),
    *_c("delegation", "delegation", "baseline", ("unmet",), 1, 1),
    *_c("delegation", "delegation", "baseline", ("gap", "unmet"), 4, 5),
    *_c("delegation", "delegation, data 0.9", "data 0.9", ("gap", "unmet"), 4, 5),
    *_c("integration", "integration 0.8", "baseline", ("ed", "admissions", "unmet"), 1, 5),
    *_c("fewer beds", "beds x0.8", "baseline", ("admissions", "admission_demand", "deaths"), 1, 5),
    *_c("fewer beds", "beds x0.8", "baseline", ("deaths_waiting",), 1, 5, "level"),
)


# --------------------------------------------------------------------------- running and measuring
def run_arms(arms: Mapping[str, Mapping], design: Design, jobs: int = 1) -> dict[str, dict[str, np.ndarray]]:
    """Each arm's outcomes as seeds x years arrays, every arm on the design's seeds."""
    from joblib import Parallel, delayed

    runs = [(name, seed) for name in arms for seed in design.seeds]
    results = Parallel(n_jobs=jobs)(delayed(yearly_outcomes)(arms[name], design, seed) for name, seed in runs)
    n = len(design.seeds)
    out = {}
    for k, name in enumerate(arms):
        chunk = results[k * n : (k + 1) * n]
        out[name] = {outcome: np.array([r[outcome] for r in chunk]) for outcome in chunk[0]}
    return out


@dataclass
class Effect:
    """A paired difference: its mean, standard error and the reference's mean (for the relative change)."""

    difference: float
    se: float
    reference: float
    extra: dict = field(default_factory=dict)

    @property
    def t(self) -> float:
        if self.se > 0:
            return self.difference / self.se
        return 0.0 if self.difference == 0 else math.copysign(math.inf, self.difference)

    @property
    def beyond_noise(self) -> bool:
        return abs(self.t) > Z

    def relative(self) -> str:
        """``+4.1% ± 0.2`` (``*`` beyond three standard errors)."""
        if self.reference == 0:
            return f"{self.difference:+.3g} ± {self.se:.2g} (reference 0){' *' if self.beyond_noise else ''}"
        pct, se = self.difference / self.reference * 100, self.se / abs(self.reference) * 100
        return f"{pct:+.2f}% ± {se:.2f} (t {self.t:+.1f}){' *' if self.beyond_noise else ''}"


def paired_effect(policy: np.ndarray, reference: np.ndarray) -> Effect:
    """Mean paired difference (policy - reference) of per-seed values, its SE and the reference's mean."""
    d = np.asarray(policy, dtype=float) - np.asarray(reference, dtype=float)
    se = float(d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else math.nan
    return Effect(float(d.mean()), se, float(np.mean(reference)))


def years_mean(arm: Mapping[str, np.ndarray], outcome: str, first: int, last: int) -> np.ndarray:
    return arm[outcome][:, first : last + 1].mean(axis=1)


def odd_table(design: Design = ODD_DESIGN, rows: Sequence[str] | None = None, jobs: int = 1) -> dict:
    """{row: {outcome: Effect}} over all reporting years, each row against the baseline."""
    chosen = list(ODD_ROWS) if rows is None else list(rows)
    results = run_arms({"baseline": {}, **{row: ODD_ROWS[row] for row in chosen}}, design, jobs)
    base = results["baseline"]
    last = design.years - 1
    return {
        row: {
            o: paired_effect(years_mean(results[row], o, 0, last), years_mean(base, o, 0, last)) for o in ODD_OUTCOMES
        }
        for row in chosen
    }


def readme_table(design: Design = README_DESIGN, jobs: int = 1) -> list[tuple[Comparison, Effect]]:
    """Each README comparison with its effect."""
    results = run_arms(README_ARMS, design, jobs)
    table = []
    for c in README_COMPARISONS:
        arm, reference = results[c.arm], results[c.reference]
        if c.kind == "growth":
            grown = years_mean(arm, c.outcome, c.first, c.last) - arm[c.outcome][:, 0]
            grown_ref = years_mean(reference, c.outcome, c.first, c.last) - reference[c.outcome][:, 0]
            effect = paired_effect(grown, grown_ref)
            effect.extra["times"] = float(grown.mean() / grown_ref.mean()) if grown_ref.mean() else math.inf
        else:
            policy_values = years_mean(arm, c.outcome, c.first, c.last)
            reference_values = years_mean(reference, c.outcome, c.first, c.last)
            effect = paired_effect(policy_values, reference_values)
            effect.extra["levels"] = (float(reference_values.mean()), float(policy_values.mean()))
        table.append((c, effect))
    return table


def format_odd(table: Mapping[str, Mapping[str, Effect]], design: Design) -> str:
    lines = [
        f"ODD lever effects: seeds {design.seeds[0]}-{design.seeds[-1]} ({len(design.seeds)} paired), "
        f"{design.population:,} people, {design.years} reporting years; mean over the years relative to the "
        f"baseline ± one SE; * beyond {Z} SE",
    ]
    for row, effects in table.items():
        lines.append(f"\n{row}")
        for outcome, effect in effects.items():
            lines.append(f"  {OUTCOMES[outcome]:<20} {effect.relative()}")
    return "\n".join(lines) + "\n"


def format_readme(table: Sequence[tuple[Comparison, Effect]], design: Design) -> str:
    lines = [
        f"README lever effects: tests/test_levers.py's arms, seeds {design.seeds[0]}-{design.seeds[-1]} "
        f"({len(design.seeds)} paired), {design.population:,} people, {design.years} reporting years; "
        f"* beyond {Z} SE",
    ]
    bullet = None
    for c, effect in table:
        if c.bullet != bullet:
            bullet = c.bullet
            lines.append(f"\n{bullet}")
        where = f"{c.arm} vs {c.reference}, {OUTCOMES[c.outcome]}, years {c.first}-{c.last}"
        if c.kind == "growth":
            figure = f"grows {effect.extra['times']:.2f} times as much (difference t {effect.t:+.1f})"
            figure += " *" if effect.beyond_noise else ""
        elif c.kind == "level":
            ref, pol = effect.extra["levels"]
            figure = f"{ref:.3g} -> {pol:.3g} (difference t {effect.t:+.1f}){' *' if effect.beyond_noise else ''}"
        else:
            figure = effect.relative()
        lines.append(f"  {where:<82} {figure}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- command line
def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs must be a whole number of worker processes, got {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"--jobs must be between 1 and 64, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.lever_effects",
        description="Paired-seed lever effects behind docs/ODD.md's 'Indicative short-run effects' table "
        "(--table odd) and README.md's 'What the levers do' list (--table readme).",
    )
    parser.add_argument("--table", required=True, choices=("odd", "readme"), help="which table to measure")
    parser.add_argument("--jobs", type=_jobs, default=1, metavar="N", help="worker processes, 1-64 (default 1)")
    args = parser.parse_args(argv)
    if args.table == "odd":
        sys.stdout.write(format_odd(odd_table(jobs=args.jobs), ODD_DESIGN))
    else:
        sys.stdout.write(format_readme(readme_table(jobs=args.jobs), README_DESIGN))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
