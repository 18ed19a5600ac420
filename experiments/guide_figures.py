"""Measure the model-run figures the teacher's guide quotes (``docs/teacher_guide.md``, section 2).

    python -m experiments.guide_figures [--population 20000] [--years 6] [--seeds 4] [--jobs 2]
                                        [--presets baseline,funding_shift_core] [--ranges]

Each story preset is run with the same seeds as the run it is compared with (common random
numbers: both runs of a pair share their chance events), and the script prints, in Markdown,
for each comparison the guide's section describes and for each reporting year and the whole
run, the mean over seeds of story minus comparison and its standard error.  A difference in
**bold** is more than three standard errors from zero.  Each section also prints the levels
the guide quotes (the `baseline` preset's own figures, each Place of `case_study_ics`).

Most comparisons are story preset minus the `baseline` preset, which is what the dashboard's
cards show by default.  The others are the ones the guide's sections describe: add-on wards
against the same money in core CHS, `outcome_contracts` against its own world with no policy
(the rising demand kept, the block contract), the variations a section builds by hand (a lever
moved from the start, or at a given year, which is a scheduled change here), and
`workforce_crisis` over one year more for its year-6 step.

A scheduled change beyond the horizon is left out (only a run shorter than the story, such as
a test's one-year run, has one), so such a run compares the story's settings up to its horizon.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from abm.config import build
from abm.exits import error
from abm.scenario import Scenario, apply_overrides, load_scenario_dict, preset_names
from abm.units import WEEKS_PER_YEAR

LIMITS = {"population": (1_000, 200_000), "years": (1, 20), "seeds": (1, 16), "jobs": (1, 16)}


# --------------------------------------------------------------------------- figures
def _per_1000_a_year(column: str) -> Callable[[pd.DataFrame, float], float]:
    return lambda rows, people: float(rows[column].sum()) * WEEKS_PER_YEAR / len(rows) / people * 1000


def _a_year(column: str) -> Callable[[pd.DataFrame, float], float]:
    return lambda rows, people: float(rows[column].sum()) * WEEKS_PER_YEAR / len(rows)


def _thousands_a_year(column: str) -> Callable[[pd.DataFrame, float], float]:
    return lambda rows, people: float(rows[column].sum()) * WEEKS_PER_YEAR / len(rows) / 1000


def _mean(column: str, scale: float = 1.0) -> Callable[[pd.DataFrame, float], float]:
    return lambda rows, people: float(rows[column].mean()) * scale


def _mean_per_1000(column: str) -> Callable[[pd.DataFrame, float], float]:
    return lambda rows, people: float(rows[column].mean()) / people * 1000


def _share_of_spend(rows: pd.DataFrame, people: float) -> float:
    chs = float(rows["spend_chs_core"].sum() + rows["spend_addon"].sum())
    nhs = chs + float(rows["spend_acute"].sum() + rows["spend_primary"].sum())
    return 100 * chs / nhs


@dataclass(frozen=True)
class Figure:
    """A yearly figure of a run: its heading in the guide's tables, decimals, and how it is read from a year's rows."""

    heading: str
    decimals: int
    read: Callable[[pd.DataFrame, float], float]  # (a year's weekly rows of one Place or the ICS, mean population)


FIGURES: dict[str, Figure] = {
    "admissions": Figure("admissions /1,000", 1, _per_1000_a_year("emergency_admissions")),
    "admission_demand": Figure("admission demand /1,000", 1, _per_1000_a_year("admission_demand")),
    "unmet": Figure("unmet need /1,000", 0, _per_1000_a_year("unmet_need")),
    "sought": Figure("unmet need sought /1,000 (the card)", 0, _per_1000_a_year("unmet_need_sought")),
    "hidden": Figure("hidden need /1,000", 0, _per_1000_a_year("unmet_need_never_sought")),
    "delayed": Figure("delayed bed-days", -1, _a_year("delayed_discharge_bed_days")),
    "occupancy": Figure("occupancy (points)", 1, _mean("bed_occupancy", 100)),
    "chs_share": Figure("CHS share (points)", 2, _share_of_spend),
    "chs_fte": Figure("CHS staff (FTE)", 1, _mean("chs_fte")),
    "chs_staff_per_1000": Figure("CHS staff per 1,000", 2, _mean_per_1000("chs_fte")),
    "vacancies": Figure("vacancies (FTE)", 1, _mean("chs_vacancies")),
    "rationed": Figure("rationed /1,000", 1, _per_1000_a_year("chs_rationed")),
    "proactive": Figure("on proactive care /1,000", 1, _mean_per_1000("proactive_care")),
    "caseload": Figure("on a CHS caseload /1,000", 1, _mean_per_1000("chs_caseload")),
    "chs_core_spend": Figure("core CHS spend (£k a year)", 0, _thousands_a_year("spend_chs_core")),
    "acute_spend": Figure("acute spend (£k a year)", 0, _thousands_a_year("spend_acute")),
    "chs_waiting": Figure("waiting for CHS (people)", 1, _mean("chs_waiting")),
    "virtual_ward": Figure("on a virtual ward (people)", 1, _mean("virtual_ward_patients")),
    "corridor": Figure("waiting in corridors (people)", 1, _mean("corridor_care")),
    # the weekly unmet need per 1,000 of the most deprived fifth minus the least deprived's (the Places tab's chart)
    "equity_gap": Figure("equity gap /1,000", 1, _mean("unmet_need_equity_gap_per_1000")),
    "deaths": Figure("deaths /1,000", 2, _per_1000_a_year("deaths")),
    "deaths_waiting": Figure("deaths waiting for a bed (a year)", 1, _a_year("deaths_waiting_for_bed")),
}


# --------------------------------------------------------------------------- runs
@dataclass(frozen=True)
class Arm:
    """One scenario to run with each seed: a preset, with levers or parameters set and lever changes scheduled."""

    preset: str
    overrides: tuple[tuple[str, Any], ...] = ()  # (dotted key, value), as ``abm run --set``
    schedule: tuple[tuple[int, str, Any], ...] = ()  # (year, lever, value) added to the preset's schedule
    without_policy: bool = False  # the dashboard's "no policy" run of the preset (its demand kept)
    extra_years: int = 0  # reporting years beyond --years

    def scenario(self, population: int, years: int, seed: int) -> Scenario:
        data = load_scenario_dict(self.preset)
        horizon = years + self.extra_years
        changes = list(data.get("schedule") or []) + [
            {"year": year, "lever": lever, "value": value} for year, lever, value in self.schedule
        ]
        data["schedule"] = [change for change in changes if change["year"] < horizon]
        settings = {"population": population, "years": horizon, "seed": seed, **dict(self.overrides)}
        data = build(Scenario, apply_overrides(data, settings)).to_dict()
        if self.without_policy:
            from dashboard.state import without_policy  # the cards' own "no policy" run

            data = without_policy(data)
        return build(Scenario, data)


def measure(arm: Arm, population: int, years: int, seed: int) -> dict[str, list[dict[str, float]]]:
    """Run ``arm`` with ``seed``: every figure for every reporting year, for the ICS and for each Place."""
    from abm.model import ICSModel  # imported here so --help stays quick

    model = ICSModel(arm.scenario(population, years, seed))
    model.run()
    metrics = model.metrics.frame()
    out: dict[str, list[dict[str, float]]] = {}
    for place, rows in metrics.groupby("place", sort=False):
        out[str(place)] = [_year_figures(year_rows) for _, year_rows in rows.groupby("year", sort=True)]
    return out


def _year_figures(rows: pd.DataFrame) -> dict[str, float]:
    people = float(rows["population"].mean())
    return {name: figure.read(rows, people) for name, figure in FIGURES.items()}


def _measure_job(job: tuple[Arm, int, int, int]) -> dict[str, list[dict[str, float]]]:
    return measure(*job)


def run_all(arms: Sequence[Arm], population: int, years: int, seeds: Sequence[int], jobs: int) -> dict:
    """{(arm, seed): measure(...)} for every arm and seed, ``jobs`` runs at a time."""
    keys = [(arm, seed) for arm in dict.fromkeys(arms) for seed in seeds]
    work = [(arm, population, years, seed) for arm, seed in keys]
    if jobs == 1:
        results = [_measure_job(job) for job in work]
    else:
        with ProcessPoolExecutor(jobs) as pool:
            results = list(pool.map(_measure_job, work))
    return dict(zip(keys, results, strict=True))


# --------------------------------------------------------------------------- what the guide quotes
BASELINE = Arm("baseline")
DIFFERENCE = ("admissions", "unmet", "sought", "delayed", "occupancy")  # the first columns of most story tables


@dataclass(frozen=True)
class Levels:
    """A table of one arm's own figures per year (mean over seeds, with SE), and their change a year."""

    title: str
    arm: Arm
    figures: tuple[str, ...]


@dataclass(frozen=True)
class Difference:
    """A table of story minus comparison per year, paired by seed, and as a % of the comparison's level."""

    title: str
    story: Arm
    against: Arm
    figures: tuple[str, ...]
    relative: bool = False  # also print the difference as a % of the comparison's level


@dataclass(frozen=True)
class PlaceLevels:
    """Each Place's figures, the mean over years and seeds, and one figure per Place per year."""

    title: str
    arm: Arm
    figures: tuple[str, ...]
    by_year: str


FSC = Arm("funding_shift_core")
FSC_WEAK_LABOUR = Arm("funding_shift_core", overrides=(("levers.recruitment_multiplier", 0.5),))
ADDON = Arm("addon_virtual_wards")
ADDON_NEW_RECURRENT = Arm(
    "addon_virtual_wards", overrides=(("levers.addon_staffing", "new"), ("levers.addon_recurrent", True))
)
OUTCOME = Arm("outcome_contracts")
OUTCOME_NO_POLICY = Arm("outcome_contracts", without_policy=True)
ACTIVITY = Arm("outcome_contracts", schedule=((1, "chs_contract", "activity"),))
WORKFORCE = Arm("workforce_crisis")
WORKFORCE_MONEY_YEAR_4 = Arm("workforce_crisis", schedule=((4, "funding_shift_pct", 3.0), (4, "addon_share_pct", 0.0)))

SECTIONS: dict[str, tuple[Levels | Difference | PlaceLevels, ...]] = {
    "baseline": (
        Levels(
            "`baseline`: levels",
            BASELINE,
            (
                "admissions",
                "admission_demand",
                "unmet",
                "hidden",
                "sought",
                "delayed",
                "occupancy",
                "chs_share",
                "chs_fte",
                "vacancies",
                "proactive",
                "caseload",
                "rationed",
                "equity_gap",
                "deaths",
            ),
        ),
        Levels(
            "`baseline` with the acute pull off (`params.commissioner.acute_gravity` 0): levels",
            Arm("baseline", overrides=(("params.commissioner.acute_gravity", 0.0),)),
            ("chs_share", "occupancy"),
        ),
    ),
    "case_study_ics": (
        PlaceLevels(
            "`case_study_ics`: each Place",
            Arm("case_study_ics"),
            ("admissions", "unmet", "chs_share", "chs_staff_per_1000"),
            by_year="chs_share",
        ),
        Difference(
            "`case_study_ics` minus the `baseline` preset (the whole ICS)",
            Arm("case_study_ics"),
            BASELINE,
            ("admissions", "unmet", "chs_share"),
            relative=True,
        ),
    ),
    "funding_shift_core": (
        Difference(
            "`funding_shift_core` minus `baseline`",
            FSC,
            BASELINE,
            (*DIFFERENCE, "chs_fte", "vacancies", "rationed", "proactive", "chs_core_spend", "acute_spend"),
            relative=True,
        ),
        Levels("`funding_shift_core`: levels", FSC, ("vacancies", "chs_fte", "proactive")),
        Difference(
            "`funding_shift_core` with recruitment x0.5 from the start minus `baseline`",
            FSC_WEAK_LABOUR,
            BASELINE,
            ("chs_fte", "vacancies", "admissions", "unmet"),
        ),
        Levels("`funding_shift_core` with recruitment x0.5: levels", FSC_WEAK_LABOUR, ("vacancies",)),
        Difference(
            "the weak labour market on its own: `funding_shift_core` with recruitment x0.5 minus `funding_shift_core`",
            FSC_WEAK_LABOUR,
            FSC,
            ("chs_fte", "vacancies", "admissions", "unmet"),
        ),
    ),
    "addon_virtual_wards": (
        Difference(
            "`addon_virtual_wards` minus the same money in core CHS (`funding_shift_core`)",
            ADDON,
            FSC,
            (*DIFFERENCE, "chs_fte", "rationed"),
        ),
        Difference(
            "`addon_virtual_wards` minus `baseline`",
            ADDON,
            BASELINE,
            (*DIFFERENCE, "virtual_ward", "chs_fte", "rationed", "chs_waiting"),
        ),
        Difference(
            "`addon_virtual_wards` with new staff and recurrent money minus `baseline`",
            ADDON_NEW_RECURRENT,
            BASELINE,
            (*DIFFERENCE, "chs_fte", "rationed"),
        ),
    ),
    "delegation_to_place": (
        Difference(
            "`delegation_to_place` minus `baseline`",
            Arm("delegation_to_place"),
            BASELINE,
            (*DIFFERENCE, "equity_gap", "hidden", "rationed"),
            relative=True,
        ),
        Difference(
            "with good data (quality 0.9 from the start): `delegation_to_place` minus `baseline`, both at 0.9",
            Arm("delegation_to_place", overrides=(("levers.data_quality", 0.9),)),
            Arm("baseline", overrides=(("levers.data_quality", 0.9),)),
            ("unmet", "sought", "equity_gap", "proactive"),
        ),
    ),
    "better_data": (
        Difference(
            "`better_data` (data quality 0.9 from year 1) minus `baseline`",
            Arm("better_data"),
            BASELINE,
            ("chs_share", "chs_fte", *DIFFERENCE),
        ),
        Difference(
            "data quality 0.1 from year 1 minus `baseline`",
            Arm("baseline", schedule=((1, "data_quality", 0.1),)),
            BASELINE,
            ("chs_share", "chs_fte", *DIFFERENCE),
        ),
    ),
    "outcome_contracts": (
        Difference(
            "`outcome_contracts` minus its no-policy run (a block contract, the same rising demand)",
            OUTCOME,
            OUTCOME_NO_POLICY,
            (*DIFFERENCE, "rationed", "chs_waiting", "chs_fte", "vacancies", "chs_share", "proactive"),
            relative=True,
        ),
        Difference(
            "an activity contract from year 1 minus `outcome_contracts` (the same rising demand)",
            ACTIVITY,
            OUTCOME,
            ("chs_waiting", "unmet", "sought", "admissions"),
        ),
        Difference(
            "an activity contract from year 1 minus a block contract (the same rising demand)",
            ACTIVITY,
            OUTCOME_NO_POLICY,
            ("chs_waiting", "unmet", "admissions"),
        ),
        Difference(
            "`outcome_contracts` minus the `baseline` preset (rising demand and the contract)",
            OUTCOME,
            BASELINE,
            ("admissions", "unmet"),
            relative=True,
        ),
    ),
    "social_care_cuts": (
        Difference(
            "`social_care_cuts` minus `baseline`",
            Arm("social_care_cuts"),
            BASELINE,
            (*DIFFERENCE, "corridor", "chs_share", "admission_demand", "deaths_waiting"),
            relative=True,
        ),
    ),
    "workforce_crisis": (
        Difference(
            "`workforce_crisis` minus `baseline`",
            WORKFORCE,
            BASELINE,
            (
                *DIFFERENCE,
                "chs_fte",
                "vacancies",
                "rationed",
                "proactive",
                "admission_demand",
                "deaths",
                "deaths_waiting",
            ),
            relative=True,
        ),
        Levels("`workforce_crisis`: levels", WORKFORCE, ("occupancy", "proactive", "chs_fte")),
        Difference(
            "`workforce_crisis` minus `baseline`, one year longer (the story's year-6 step)",
            Arm("workforce_crisis", extra_years=1),
            Arm("baseline", extra_years=1),
            ("admissions", "admission_demand", "deaths_waiting", "occupancy"),
        ),
        Difference(
            "money in year 4 on its own: `workforce_crisis` with a 3% shift to core CHS from year 4 minus "
            "`workforce_crisis`",
            WORKFORCE_MONEY_YEAR_4,
            WORKFORCE,
            ("vacancies", "chs_fte", "admissions"),
        ),
    ),
}


def arms_of(table: Levels | Difference | PlaceLevels) -> tuple[Arm, ...]:
    return (table.story, table.against) if isinstance(table, Difference) else (table.arm,)


# --------------------------------------------------------------------------- statistics and tables
@dataclass(frozen=True)
class Estimate:
    """A mean over seeds, its standard error and the seeds' range."""

    mean: float
    se: float  # NaN with one seed
    low: float
    high: float

    @classmethod
    def of(cls, values: np.ndarray) -> Estimate:
        se = float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan
        return cls(float(np.mean(values)), se, float(np.min(values)), float(np.max(values)))

    @property
    def beyond_3_se(self) -> bool:
        """More than three standard errors from zero (a difference with no spread at all counts when not zero)."""
        return not math.isnan(self.se) and abs(self.mean) > 3 * self.se and self.mean != 0


def number(value: float, decimals: int, signed: bool = False) -> str:
    """``value`` rounded as the guide prints it: ``decimals`` < 0 rounds to tens, with thousands separators."""
    value = round(value, decimals) + 0.0  # + 0.0: no "-0"
    text = f"{value:{'+' if signed else ''},.{max(decimals, 0)}f}"
    return "0" if signed and value == 0 else text


def cell(estimate: Estimate, decimals: int, signed: bool, ranges: bool, bold: bool) -> str:
    text = number(estimate.mean, decimals, signed)
    if bold and estimate.beyond_3_se:
        text = f"**{text}**"
    if not math.isnan(estimate.se):
        text += f" ±{number(estimate.se, 0 if decimals < 0 else min(decimals + 1, 2))}"
    if ranges:
        text += f" [{number(estimate.low, decimals, signed)} to {number(estimate.high, decimals, signed)}]"
    return text


def yearly(results: dict, arm: Arm, seeds: Sequence[int], figure: str, place: str = "ICS") -> np.ndarray:
    """The figure's value for each seed (rows) and reporting year (columns)."""
    return np.array([[year[figure] for year in results[(arm, seed)][place]] for seed in seeds])


def _markdown_table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headings) + " |", "|---|" + "---:|" * (len(headings) - 1)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _row_labels(years: int) -> list[str]:
    return [str(year) for year in range(years)] + ["whole run"]


def _with_whole_run(values: np.ndarray) -> list[np.ndarray]:
    """Each year's column of per-seed values, then the per-seed mean over the years."""
    return [values[:, year] for year in range(values.shape[1])] + [values.mean(axis=1)]


def render_difference(table: Difference, results: dict, seeds: Sequence[int], ranges: bool) -> list[str]:
    columns = {}
    levels = {}
    for name in table.figures:
        story = yearly(results, table.story, seeds, name)
        against = yearly(results, table.against, seeds, name)
        columns[name] = [Estimate.of(d) for d in _with_whole_run(story - against)]
        levels[name] = [float(np.mean(level)) for level in _with_whole_run(against)]
    labels = _row_labels(len(next(iter(columns.values()))) - 1)
    headings = ["year"] + [FIGURES[name].heading for name in table.figures]
    rows = [
        [label] + [cell(columns[name][i], FIGURES[name].decimals, True, ranges, True) for name in table.figures]
        for i, label in enumerate(labels)
    ]
    lines = [f"### {table.title}", "", *_markdown_table(headings, rows), ""]
    if table.relative:
        rows = [
            [label] + [_percent(columns[name][i], levels[name][i]) for name in table.figures]
            for i, label in enumerate(labels)
        ]
        lines += ["As a % of the comparison's level:", "", *_markdown_table(headings, rows), ""]
    return lines


def _percent(estimate: Estimate, level: float) -> str:
    if level == 0:
        return "-"
    text = f"{100 * estimate.mean / level:+.1f}%"
    return f"**{text}**" if estimate.beyond_3_se else text


def render_levels(table: Levels, results: dict, seeds: Sequence[int], ranges: bool) -> list[str]:
    columns = {}
    for name in table.figures:
        values = yearly(results, table.arm, seeds, name)
        years = values.shape[1]
        per_year = (values[:, -1] - values[:, 0]) / (years - 1) if years > 1 else np.zeros(len(seeds))
        columns[name] = [Estimate.of(v) for v in _with_whole_run(values)] + [Estimate.of(per_year)]
    labels = [*_row_labels(len(next(iter(columns.values()))) - 2), "change a year, first to last"]
    headings = ["year"] + [FIGURES[name].heading.replace(" (points)", " %") for name in table.figures]
    rows = [
        [label]
        + [
            cell(
                columns[name][i],
                FIGURES[name].decimals + (i == len(labels) - 1),
                i == len(labels) - 1,
                ranges,
                i == len(labels) - 1,
            )
            for name in table.figures
        ]
        for i, label in enumerate(labels)
    ]
    return [f"### {table.title}", "", *_markdown_table(headings, rows), ""]


def render_places(table: PlaceLevels, results: dict, seeds: Sequence[int], ranges: bool) -> list[str]:
    places = [place for place in results[(table.arm, seeds[0])] if place != "ICS"] + ["ICS"]
    headings = ["Place"] + [FIGURES[name].heading.replace(" (points)", " %") for name in table.figures]
    rows = [
        [place]
        + [
            cell(
                Estimate.of(yearly(results, table.arm, seeds, name, place).mean(axis=1)),
                FIGURES[name].decimals,
                False,
                ranges,
                False,
            )
            for name in table.figures
        ]
        for place in places
    ]
    lines = [f"### {table.title} (the mean over the years)", "", *_markdown_table(headings, rows), ""]
    figure = FIGURES[table.by_year]
    by_place = {place: yearly(results, table.arm, seeds, table.by_year, place) for place in places}
    years = by_place["ICS"].shape[1]
    rows = [
        [str(year)] + [cell(Estimate.of(by_place[p][:, year]), figure.decimals, False, ranges, False) for p in places]
        for year in range(years)
    ]
    lines += [f"{figure.heading.replace(' (points)', ' %')} by Place and year:", ""]
    return [*lines, *_markdown_table(["year", *places], rows), ""]


def render(table: Levels | Difference | PlaceLevels, results: dict, seeds: Sequence[int], ranges: bool) -> list[str]:
    if isinstance(table, Difference):
        return render_difference(table, results, seeds, ranges)
    if isinstance(table, Levels):
        return render_levels(table, results, seeds, ranges)
    return render_places(table, results, seeds, ranges)


def report(
    sections: Sequence[str], population: int, years: int, seeds: Sequence[int], jobs: int, ranges: bool = False
) -> str:
    """The Markdown report for the guide's ``sections`` (story preset names)."""
    tables = [table for section in sections for table in SECTIONS[section]]
    results = run_all([arm for table in tables for arm in arms_of(table)], population, years, seeds, jobs)
    lines = [
        "# The teacher's guide's figures",
        "",
        f"{population:,} people, {years} reporting years, seeds {', '.join(map(str, seeds))}; each difference "
        "is the mean over seeds of story minus comparison, both run with the same seed, ± its standard error; "
        "**bold**: beyond 3 standard errors. Levels are means over seeds ± their standard error.",
        "",
    ]
    for section in sections:
        lines += [f"## {section}", ""]
        for table in SECTIONS[section]:
            lines += render(table, results, seeds, ranges)
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line
def _whole_number(flag: str) -> Callable[[str], int]:
    low, high = LIMITS[flag]

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"--{flag}: {text!r} is not a whole number; allowed: {low} to {high}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"--{flag}: {value} is out of range; allowed: {low} to {high}")
        return value

    return parse


def _presets(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SECTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"--presets: {', '.join(unknown) or repr(text)} is not a preset the guide measures; "
            f"allowed: a comma-separated list of {', '.join(SECTIONS)}"
        )
    return list(dict.fromkeys(names))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m experiments.guide_figures",
        description="Measure the teacher's guide's figures: each story preset against its comparison, paired by seed.",
    )
    p.add_argument("--population", type=_whole_number("population"), default=20_000, help="people (default 20000)")
    p.add_argument("--years", type=_whole_number("years"), default=6, help="reporting years (default 6)")
    p.add_argument("--seeds", type=_whole_number("seeds"), default=4, help="seeds 1 to N (default 4)")
    p.add_argument("--jobs", type=_whole_number("jobs"), default=1, help="runs at a time (default 1)")
    p.add_argument(
        "--presets",
        type=_presets,
        default=list(SECTIONS),
        help=f"sections (default all): {','.join(SECTIONS)}",
    )
    p.add_argument("--ranges", action="store_true", help="also print each figure's range over the seeds")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    missing = [name for name in SECTIONS if name not in preset_names()]
    if missing:
        return error(f"presets {', '.join(missing)} are not in policies/presets")
    seeds = list(range(1, args.seeds + 1))
    print(report(args.presets, args.population, args.years, seeds, args.jobs, args.ranges))
    return 0


if __name__ == "__main__":
    sys.exit(main())
