"""The validity report (``abm validate --behaviours``): claims from the seed documents, each tested.

Calibration (``abm validate``) asks whether the baseline sits near England's figures. This report
asks whether the model behaves as the evidence says, and for the right reason. Each
:class:`Claim` states one behaviour in words, cites its document and section, and names the
scenario that tests it:

- a **contrast**: a policy arm against a reference arm, both run with the same seeds (common random
  numbers). The claim holds when the mean paired difference of its outcome over its window of
  years lies beyond three standard errors in the expected direction ("up", "down"), or, for a
  claim that something does *not* happen ("not down", "not up"), when it does not lie beyond
  three standard errors the wrong way; an optional bound caps the size (e.g. "no more than 30%");
- a **level**: the reference arm's outcome over a window lies in a band (the baseline holding steady).

Claims are written from the evidence, not from what the model does: several fail today, and the
report says so (the mechanisms issue, 15, works through them). Every run is 20,000 people for
10 reporting years by default, 8 seeds; sizes are the user's choice.

    abm validate --behaviours                       # the table, in the terminal
    abm validate --behaviours --markdown > docs/validity.md
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from abm.units import WEEKS_PER_YEAR

Z = 3.0  # an effect counts when it is beyond three standard errors of the paired difference


# --------------------------------------------------------------------------- outcomes
@dataclass(frozen=True)
class Measure:
    """An outcome over a window of reporting years, from the ICS's weekly rows."""

    label: str
    units: str
    compute: Callable[[pd.DataFrame], float]


def _rate(column: str) -> Callable[[pd.DataFrame], float]:
    """A weekly count as a rate per 1,000 people a year."""
    return lambda rows: float(rows[column].sum() / rows["population"].mean() * 1000 * WEEKS_PER_YEAR / len(rows))


def _per_1000(column: str) -> Callable[[pd.DataFrame], float]:
    """A weekly stock, averaged, per 1,000 people."""
    return lambda rows: float(rows[column].mean() / rows["population"].mean() * 1000)


def _mean(column: str) -> Callable[[pd.DataFrame], float]:
    return lambda rows: float(rows[column].mean())


def _share(numerator: Sequence[str], denominator: Sequence[str]) -> Callable[[pd.DataFrame], float]:
    return lambda rows: float(rows[list(numerator)].to_numpy().sum() / rows[list(denominator)].to_numpy().sum())


SPEND = ("spend_acute", "spend_chs_core", "spend_addon", "spend_primary")
MEASURES: dict[str, Measure] = {
    m.label: m
    for m in (
        Measure("admissions", "per 1,000 a year", _rate("emergency_admissions")),
        Measure("admission demand", "decisions to admit per 1,000 a year", _rate("admission_demand")),
        Measure("ED attendances", "per 1,000 a year", _rate("ed_attendances")),
        Measure("unmet need", "person-weeks per 1,000 a year", _rate("unmet_need")),
        Measure("delayed discharges", "bed-days per 1,000 a year", _rate("delayed_discharge_bed_days")),
        Measure("deaths", "per 1,000 a year", _rate("deaths")),
        Measure("bed occupancy", "share of bed-days", _mean("bed_occupancy")),
        Measure("CHS staff", "FTE per 1,000", _per_1000("chs_fte")),
        Measure("CHS staff aged 50+", "share of CHS staff in post", _share(("chs_fte_over_50",), ("chs_fte",))),
        Measure("CHS contacts", "per 1,000 a year", _rate("chs_contacts")),
        Measure("CHS social-care contacts", "per 1,000 a year", _rate("chs_social_care_contacts")),
        Measure("proactive care", "people per 1,000", _per_1000("proactive_care")),
        Measure("CHS waiting list", "people per 1,000", _per_1000("chs_waiting")),
        Measure("virtual-ward patients", "per 1,000", _per_1000("virtual_ward_patients")),
        Measure(
            "equity gap", "unmet need per 1,000, most minus least deprived", _mean("unmet_need_equity_gap_per_1000")
        ),
        Measure("core CHS share", "of acute, CHS and primary spend", _share(("spend_chs_core",), SPEND)),
        Measure("add-on share", "of acute, CHS and primary spend", _share(("spend_addon",), SPEND)),
        Measure("cancelled electives", "bed-days per 1,000 a year", _rate("electives_cancelled_bed_days")),
        Measure("acute beds", "per 1,000", _per_1000("beds")),
        Measure(
            "acute deficit",
            "£ per head, mean over the year's weeks",
            lambda rows: float(rows["acute_deficit"].mean() / rows["population"].mean()),
        ),
        Measure(
            "CHS contacts per FTE, highest to lowest team",
            "ratio of the most to the least productive team's core contacts per FTE, means over the weeks",
            lambda rows: float(
                rows["chs_contacts_per_fte_highest"].mean() / rows["chs_contacts_per_fte_lowest"].mean()
            ),
        ),
        Measure(
            "cancelled elective share",
            "of planned elective bed-days",
            _share(("electives_cancelled_bed_days",), ("elective_bed_days_planned",)),
        ),
        Measure(
            "planned care not run",
            "share of the elective programme cancelled on the day or deferred",
            _share(
                ("electives_cancelled_bed_days", "elective_bed_days_deferred"),
                ("elective_bed_days_planned", "elective_bed_days_deferred"),
            ),
        ),
    )
}


# --------------------------------------------------------------------------- claims
@dataclass(frozen=True)
class Claim:
    """One behaviour the evidence describes, the scenario that tests it, and what would count as holding."""

    key: str
    claim: str  # in words
    source: str  # the seed document and section (or DESIGN / national statistics)
    outcome: str  # a MEASURES label
    years: tuple[int, int]  # reporting years [start, stop)
    expect: str  # "up", "down", "not up", "not down", or "level"
    policy: dict = field(default_factory=dict)  # --set overrides of the policy arm
    reference: dict = field(default_factory=dict)  # --set overrides of the reference arm (default: the baseline)
    band: tuple[float, float] | None = None  # "level": the allowed range; a contrast: the allowed relative size
    note: str = ""  # what the claim tests beyond its sentence (e.g. why a size bound)
    population: int | None = None  # its own ICS size (e.g. enough teams to compare); None: the report's
    run_years: int | None = None  # with its own size: reporting years to run (enough for its window)


SHIFT_CORE = {"levers.funding_shift_pct": 5.0, "levers.addon_share_pct": 0.0, "levers.funding_shift_start_year": 1}
CUT_CHS = {"levers.funding_shift_pct": -10.0, "levers.funding_shift_start_year": 1}
ADDON = {"levers.funding_shift_pct": 5.0, "levers.addon_share_pct": 100.0, "levers.funding_shift_start_year": 1}
RISING = {"schedule": [{"year": 1, "lever": "demand_multiplier", "value": 1.15}]}
DELEGATE = {
    "levers.delegation_to_place": True,
    "levers.delegation_start_year": 1,
    "levers.delegation_transition_years": 1.5,
}
GOOD_DATA = {"levers.data_quality": 0.9}
SOCIAL_CARE_CUT = {"levers.social_care_capacity_multiplier": 0.74}

CLAIMS: tuple[Claim, ...] = (
    # community money
    Claim(
        "cut_admissions",
        "Cutting CHS money raises emergency admissions",
        "mechanisms 1, 3 (001 §2-3)",
        "admissions",
        (2, 10),
        "up",
        CUT_CHS,
    ),
    Claim(
        "cut_admission_demand",
        "Cutting CHS money raises the need for hospital beds (admission demand)",
        "mechanisms 1, 3 (001 §2-3); DESIGN 4",
        "admission demand",
        (2, 10),
        "up",
        CUT_CHS,
    ),
    Claim(
        "cut_unmet",
        "Cutting CHS money raises unmet need (prevention is cut first)",
        "mechanism 3 (001 §2-3)",
        "unmet need",
        (2, 10),
        "up",
        CUT_CHS,
    ),
    Claim(
        "cut_delays",
        "Cutting CHS money raises delayed discharges",
        "mechanisms 3, 10 (001 §2)",
        "delayed discharges",
        (2, 10),
        "up",
        CUT_CHS,
    ),
    Claim(
        "shift_admissions",
        "Moving money to core CHS lowers admissions, modestly (well under 30%)",
        "mechanism 18; 002 (cuts of up to 30% judged hard to realise)",
        "admissions",
        (3, 10),
        "down",
        SHIFT_CORE,
        band=(0.0, 0.3),
    ),
    Claim(
        "shift_staff",
        "Money for core CHS buys staff only as fast as they can be recruited (more staff, later)",
        "mechanism 11 (001 §2, 004 §3)",
        "CHS staff",
        (3, 10),
        "up",
        SHIFT_CORE,
    ),
    Claim(
        "weak_recruitment",
        "With a weak labour market, CHS cannot grow its workforce",
        "mechanism 11 (001 §2)",
        "CHS staff",
        (2, 10),
        "down",
        {"levers.recruitment_multiplier": 0.5},
    ),
    Claim(
        "fewer_training_places",
        "Fewer training places lower CHS staff once the trainees would have qualified",
        "004 §3 (training commissions falling while staff near retirement); mechanism 11",
        "CHS staff",
        (5, 10),
        "down",
        {"schedule": [{"year": 1, "lever": "training_places_multiplier", "value": 0.7}]},
        note="training places x0.7 from year 1; the training lag is 3 years",
    ),
    Claim(
        "more_training_places",
        "More training places raise CHS staff once the trainees qualify",
        "004 §3; mechanism 11",
        "CHS staff",
        (5, 10),
        "up",
        {"schedule": [{"year": 1, "lever": "training_places_multiplier", "value": 1.3}]},
        note="training places x1.3 from year 1",
    ),
    Claim(
        "crisis_floor",
        "A workforce crisis shrinks CHS staff but does not collapse them (less than half lost by years 7-9)",
        "mechanisms 3, 11 (001 §2: district nurses roughly halved over 14 years, 2000-2014)",
        "CHS staff",
        (7, 10),
        "down",
        {
            "schedule": [
                {"year": 1, "lever": "attrition_multiplier", "value": 1.6},
                {"year": 1, "lever": "recruitment_multiplier", "value": 0.5},
            ]
        },
        band=(0.0, 0.5),
        note="the workforce_crisis preset: attrition x1.6 and recruitment x0.5 from year 1; the national "
        "district-nurse fall over 14 years bounds a decade's",
    ),
    Claim(
        "attrition_unmet",
        "Losing staff faster leaves more need unmet",
        "mechanisms 3, 11 (001 §2; 004 §3)",
        "unmet need",
        (2, 10),
        "up",
        {"levers.attrition_multiplier": 1.5},
    ),
    Claim(
        "addon_redeploy",
        "Add-on schemes staffed by redeployment draw staff from core CHS",
        "mechanism 5 (000 Results)",
        "CHS staff",
        (2, 10),
        "down",
        {**ADDON, "levers.addon_staffing": "redeploy"},
    ),
    Claim(
        "addon_ends",
        "Non-recurrent add-on money ends and its scheme shrinks",
        "mechanism 6 (002)",
        "virtual-ward patients",
        (5, 10),
        "down",
        {**ADDON, "levers.addon_recurrent": False, "levers.addon_funding_years": 2},
        ADDON,
    ),
    # commissioning
    Claim(
        "good_data_core",
        "With good data on core CHS's effect, money moves towards core CHS",
        "mechanism 4 (000 Results)",
        "core CHS share",
        (5, 10),
        "up",
        {"levers.data_quality": 0.9},
    ),
    Claim(
        "poor_data_addon",
        "With poor data, money drifts to add-on schemes that can show their effect",
        "mechanism 4 (000 Results)",
        "add-on share",
        (5, 10),
        "up",
        {"levers.data_quality": 0.1},
    ),
    Claim(
        "block_waits",
        "Under rising demand a block contract grows CHS waits more than an activity contract",
        "mechanism 1 (001 §2; 000 Results)",
        "CHS waiting list",
        (3, 10),
        "down",
        {**RISING, "levers.chs_contract": "activity"},
        RISING,
    ),
    Claim(
        "delegation_dip",
        "Delegating to Place first disrupts commissioning (unmet need up in the transition)",
        "mechanisms 7, 19 (000: confusion of roles during reorganisation)",
        "unmet need",
        (1, 3),
        "up",
        DELEGATE,
    ),
    Claim(
        "delegation_no_free_gain",
        "Structural change alone brings no gain: delegation without new money or integration does not lower unmet need",
        "mechanism 12 (004 §6-7: structural reorganisation alone, no gain)",
        "unmet need",
        (4, 10),
        "not down",
        DELEGATE,
    ),
    Claim(
        "delegation_good_data_gap",
        "Delegation with good local data narrows the deprivation gap in unmet need (budgets follow need; "
        "Place teams find hidden need in deprived areas)",
        "mechanism 8 (000 Results: fine-grained needs analysis, risk stratification)",
        "equity gap",
        (4, 10),
        "down",
        {**DELEGATE, **GOOD_DATA},
        GOOD_DATA,
        note="at a cost: the outreach is CHS staff time, so unmet need overall does not fall",
    ),
    # integration
    Claim(
        "integration_admissions",
        "Integrated neighbourhood teams lower emergency admissions",
        "mechanism 12 (001 §4: Millom Alliance, -29% emergency bed days; 002 vanguards)",
        "admissions",
        (1, 10),
        "down",
        {"levers.integration_share": 0.8},
    ),
    Claim(
        "integration_unmet",
        "Integration does not raise unmet need (better referral, not more referral)",
        "mechanism 12 (001; 004 §4: ~10% of district-nursing referrals inappropriate)",
        "unmet need",
        (1, 10),
        "not up",
        {"levers.integration_share": 0.8},
    ),
    # social care
    Claim(
        "social_care_delays",
        "Cutting social care raises delayed discharges",
        "mechanism 10 (001 §2, 001 Introduction)",
        "delayed discharges",
        (1, 10),
        "up",
        SOCIAL_CARE_CUT,
    ),
    Claim(
        "social_care_dn_work",
        "When social care is cut, district nurses take on social-care work (CHS contacts on social-care tasks up)",
        "mechanism 10 (001 §2)",
        "CHS social-care contacts",
        (1, 10),
        "up",
        SOCIAL_CARE_CUT,
        note="all CHS contacts are capped by the staff in post, so the work displaces other contacts",
    ),
    Claim(
        "social_care_dn_displaces",
        "District nurses' social-care work displaces their other work: after the same cut, teams that take it on "
        "leave more need unmet than teams that turn it down",
        "mechanisms 3, 10 (001 §2; 001 'Social care': teams turn down work not in their contracts)",
        "unmet need",
        (1, 10),
        "up",
        SOCIAL_CARE_CUT,
        {**SOCIAL_CARE_CUT, "params.chs.social_care_task_contacts": 0.0},
        note="proactive care is cut first; the task is daily, as in 001 §2's patient story (medication prompting)",
    ),
    # productivity
    Claim(
        "team_productivity_varies",
        "Contacts per WTE vary up to about fourfold between CHS teams, not explained by case mix",
        "004 §4 (Jones and Russell 2007: 22 district nursing teams)",
        "CHS contacts per FTE, highest to lowest team",
        (0, 1),
        "level",
        band=(3.0, 5.0),
        population=900_000,
        run_years=1,
        note="900,000 people: 23 teams; each team's own productivity is drawn independently of its case mix "
        "(about fourfold highest to lowest), and tests/test_chs_productivity.py checks that case mix explains little "
        "of the spread; a team with time to spare keeps people on its caseload who no longer need it (004 §4, "
        "caseloads not reviewed), so the most productive teams' time shows as contacts, if not as care",
    ),
    # hospital
    Claim(
        "beds_demand",
        "A full hospital turns people away, but no fewer need a bed (admission demand does not fall)",
        "DESIGN 4 (corridor care)",
        "admission demand",
        (1, 10),
        "not down",
        {"levers.acute_beds_multiplier": 0.8},
    ),
    Claim(
        "beds_deaths",
        "Waiting for a bed harms: fewer beds, more deaths",
        "DESIGN 4 (corridor care); assumption for size",
        "deaths",
        (1, 10),
        "up",
        {"levers.acute_beds_multiplier": 0.8},
    ),
    # demand
    Claim(
        "winter",
        "Winter pressure raises admissions",
        "DESIGN 5 (winter pressure)",
        "admissions",
        (1, 10),
        "up",
        {"levers.winter_pressure_pct": 20.0},
    ),
    Claim(
        "public_health",
        "Public-health investment lowers unmet need a little",
        "mechanism 16 (003)",
        "unmet need",
        (2, 10),
        "down",
        {"levers.public_health_multiplier": 1.5},
    ),
    Claim(
        "gp_cut_plausible",
        "Fewer GP appointments push patients to hospital, but not implausibly (under +15%)",
        "mechanism 9 (001 §2); DESIGN 4",
        "admissions",
        (1, 10),
        "up",
        {"params.gp.appointments_per_head_year": 5.04},
        band=(0.0, 0.15),
        note="20% fewer appointments (6.3 to 5.04 a head)",
    ),
    # money and capacity
    Claim(
        "shift_closes_beds",
        "Money moved out of acute closes beds, but only slowly (fewer beds, not at once)",
        "000 Results (difficult to move money between sectors); 002 (acute cuts hard to realise)",
        "acute beds",
        (2, 10),
        "down",
        SHIFT_CORE,
    ),
    Claim(
        "shift_acute_deficit",
        "While beds close, the hospital runs a deficit (the money leaves before the costs do)",
        "002 (double running); 000 Results",
        "acute deficit",
        (1, 3),
        "up",
        SHIFT_CORE,
    ),
    Claim(
        "no_growth_pressure",
        "Without real-terms growth, capacity falls behind an ageing population: the hospital fills",
        "001 §2 (community budgets not keeping pace with rising demand); national statistics (real-terms growth)",
        "bed occupancy",
        (3, 10),
        "up",
        {"params.commissioner.growth_pct_year": 0.0},
    ),
    Claim(
        "no_growth_unmet",
        "Without real-terms growth, more need goes unmet",
        "001 §2 (budgets not keeping pace with rising demand)",
        "unmet need",
        (3, 10),
        "up",
        {"params.commissioner.growth_pct_year": 0.0},
    ),
    # the baseline holds (levels of the reference arm)
    Claim(
        "baseline_occupancy",
        "The baseline's hospital stays high but functioning (occupancy 85-95%) in years 7-9",
        "national statistics (90-95%); DESIGN 7",
        "bed occupancy",
        (7, 10),
        "level",
        band=(0.85, 0.95),
    ),
    Claim(
        "baseline_deaths",
        "The baseline's deaths stay near England's (8-11 per 1,000 a year) in years 7-9",
        "national statistics (about 9-10 per 1,000)",
        "deaths",
        (7, 10),
        "level",
        band=(8.0, 11.0),
    ),
    Claim(
        "baseline_electives",
        "The baseline delivers planned care: under 10% of the elective programme cancelled or deferred in years 7-9",
        "DESIGN 4 (electives run below the flow threshold)",
        "planned care not run",
        (7, 10),
        "level",
        band=(0.0, 0.10),
        population=100_000,
        note="100,000 people: a trust of about 230 beds. Deferring a list is no better than cancelling it, so both "
        "count. A 20,000-person ICS's 47-bed hospital swings about twice as much week to week (emergency bed use "
        "SD 0.12 of capacity against 0.055), so no forecast keeps it clear: it defers 10-25% of its programme "
        "(ODD, limitations: a small ICS's hospital is crowded)",
    ),
    Claim(
        "baseline_retirement_profile",
        "At the start about a third of CHS staff are aged 50 or over and could retire within ten years",
        "004 §3 (over 30% of district nurses and health visitors older than 50; Drennan and Davis 2008)",
        "CHS staff aged 50+",
        (0, 1),
        "level",
        band=(0.30, 0.40),
        note="'more than 30%'; the upper bound is ours; the starting mix is set to give it (an input, guarded)",
    ),
    Claim(
        "baseline_staff",
        "The baseline's CHS workforce holds: staff in post in years 7-9 no more than 10% below the start's",
        "mechanism 11 (001 §2, 004 §3); DESIGN 7",
        "CHS staff",
        (7, 10),
        "level",
        band=(2.95, 4.0),
        note="3.31 per 1,000 in post at the start (3.6 funded less 8% vacant); growth is allowed where money funds it",
    ),
    Claim(
        "baseline_admissions",
        "The baseline's admissions stay near England's (100-130 per 1,000) in years 7-9",
        "national statistics (~110-120 per 1,000)",
        "admissions",
        (7, 10),
        "level",
        band=(100.0, 130.0),
    ),
)


# --------------------------------------------------------------------------- running
@dataclass
class Result:
    claim: Claim
    reference: float  # mean over seeds of the reference arm's outcome
    difference: float  # mean paired difference (policy - reference); 0 for a level
    se: float  # its standard error (for a level: of the reference's mean)
    low: float  # the seeds' range of the difference (or of the level)
    high: float

    @property
    def t(self) -> float:
        return (
            self.difference / self.se
            if self.se > 0
            else (0.0 if self.difference == 0 else math.copysign(math.inf, self.difference))
        )

    @property
    def holds(self) -> bool:
        c = self.claim
        if c.expect == "level":
            lo, hi = c.band or (-math.inf, math.inf)
            return lo <= self.reference <= hi
        direction = {"up": self.t > Z, "down": self.t < -Z, "not up": self.t <= Z, "not down": self.t >= -Z}[c.expect]
        if c.band is None or not direction:
            return direction
        relative = abs(self.difference) / abs(self.reference) if self.reference else math.inf
        return c.band[0] <= relative <= c.band[1]


def select(names: str | None) -> tuple[Claim, ...]:
    """The claims named in a comma-separated list (all of them for None), refusing a name that is not a claim."""
    if names is None:
        return CLAIMS
    by_name = {c.key: c for c in CLAIMS}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in by_name]
    if unknown or not wanted:
        shown = ", ".join(unknown) if unknown else repr(names)
        raise ValueError(f"--claims {shown}: not a claim; allowed: {', '.join(by_name)}")
    return tuple(by_name[n] for n in dict.fromkeys(wanted))


def arm_key(overrides: dict) -> str:
    return repr(sorted((k, repr(v)) for k, v in overrides.items()))


def run_arm(overrides: dict, population: int, years: int, seed: int) -> pd.DataFrame:
    """The ICS's weekly rows of one run."""
    from abm.model import ICSModel

    model = ICSModel(population=population, years=years, seed=seed, **overrides).run()
    frame = model.metrics.frame()
    return frame[frame["place"] == "ICS"].reset_index(drop=True)


def measure(rows: pd.DataFrame, claim: Claim) -> float:
    window = rows[(rows["year"] >= claim.years[0]) & (rows["year"] < claim.years[1])]
    return MEASURES[claim.outcome].compute(window)


def evaluate(
    claims: Sequence[Claim] = CLAIMS,
    population: int = 20_000,
    years: int = 10,
    seeds: Sequence[int] = tuple(range(1, 9)),
    jobs: int = 1,
) -> list[Result]:
    """Run every arm the claims need once per seed, and test each claim."""
    from joblib import Parallel, delayed

    arms: dict[tuple, tuple[dict, int, int]] = {}  # (overrides, size, years) by key

    def arm(c: Claim, overrides: dict) -> tuple:
        size, length = (population, years) if c.population is None else (c.population, c.run_years or years)
        key = (arm_key(overrides), size, length)
        arms.setdefault(key, (overrides, size, length))
        return key

    for c in claims:
        arm(c, c.reference)
        if c.expect != "level":
            arm(c, c.policy)
    jobs_list = [(key, seed) for key in arms for seed in seeds]
    frames = Parallel(n_jobs=jobs)(delayed(run_arm)(*arms[k], s) for k, s in jobs_list)
    runs = dict(zip(jobs_list, frames, strict=True))
    results = []
    for c in claims:
        base = np.array([measure(runs[(arm(c, c.reference), s)], c) for s in seeds])
        if c.expect == "level":
            se = base.std(ddof=1) / math.sqrt(len(seeds))
            results.append(Result(c, float(base.mean()), 0.0, float(se), float(base.min()), float(base.max())))
            continue
        policy = np.array([measure(runs[(arm(c, c.policy), s)], c) for s in seeds])
        d = policy - base
        se = d.std(ddof=1) / math.sqrt(len(seeds))
        results.append(Result(c, float(base.mean()), float(d.mean()), float(se), float(d.min()), float(d.max())))
    return results


# --------------------------------------------------------------------------- reporting
def _num(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _scenario(c: Claim) -> str:
    def words(overrides: dict) -> str:
        return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in overrides.items()) if overrides else "baseline"

    size = f" ({c.population:,} people)" if c.population else ""
    if c.expect == "level":
        return words(c.reference) + size
    return f"{words(c.policy)} against {words(c.reference)}{size}"


def _effect(r: Result) -> str:
    if r.claim.expect == "level":
        band = r.claim.band or (-math.inf, math.inf)
        return f"{_num(r.reference)} (seeds {_num(r.low)} to {_num(r.high)}); band {_num(band[0])}-{_num(band[1])}"
    share = f" ({r.difference / r.reference * 100:+.1f}%)" if r.reference else ""
    return f"{r.difference:+.3g}{share}, t {r.t:+.1f} (seeds {r.low:+.3g} to {r.high:+.3g})" + (
        f"; size within {r.claim.band[0]:.0%}-{r.claim.band[1]:.0%}" if r.claim.band else ""
    )


def markdown(results: list[Result], population: int, years: int, seeds: Sequence[int]) -> str:
    held = sum(r.holds for r in results)
    lines = [
        "# Validity: behaviours the evidence describes, tested",
        "",
        "Generated by `abm validate --behaviours --markdown > docs/validity.md` "
        f"({population:,} people, {years} reporting years, seeds {seeds[0]}-{seeds[-1]}: {len(seeds)} paired seeds). "
        "Each claim is written from the seed documents (`../shared/seeds/`, cited by document and section), "
        "not from what the model does. A contrast holds when the mean paired difference (policy minus "
        f'reference, same seeds) is beyond {Z:g} standard errors in the expected direction (for "not up" / '
        f'"not down": not beyond {Z:g} the wrong way), and within the size band where one is given; a level '
        "holds when the reference arm's mean lies in its band. The claims and the rule live in `abm/validity.py`.",
        "",
        f"**{held} of {len(results)} claims hold.**"
        + (" Those that fail are the model's known weaknesses." if held < len(results) else ""),
        "",
        "| claim | source | scenario | outcome, years | expect | effect | holds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c = r.claim
        m = MEASURES[c.outcome]
        note = f" ({c.note})" if c.note else ""
        lines.append(
            f"| {c.claim}{note} | {c.source} | {_scenario(c)} | {c.outcome} ({m.units}), years {c.years[0]}-"
            f"{c.years[1] - 1} | {c.expect} | {_effect(r)} | {'yes' if r.holds else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


def text(results: list[Result]) -> str:
    width = max(len(r.claim.key) for r in results)
    lines = [f"{r.claim.key.ljust(width)}  {'holds' if r.holds else 'FAILS'}  {_effect(r)}" for r in results]
    held = sum(r.holds for r in results)
    return "\n".join([*lines, f"{held} of {len(results)} claims hold"]) + "\n"
