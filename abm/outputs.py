"""The declared table of outputs: every weekly metrics column, what it counts and how it is reported.

:data:`OUTPUTS` holds one :class:`Output` per column of ``metrics.csv``, in column order.
Everything that names, adds up or labels an output derives from it:

* :mod:`abm.metrics`: the columns, the events the phases tally, the head counts, the unmet
  need's parts, and how each Place's figures add up to the ``ICS`` row (:class:`Ics`);
* :mod:`abm.runner`: the keys of ``summary.json`` and how each is computed (:class:`Summary`);
* :mod:`abm.invariants`: which columns may be negative and which are shares (0-1);
* :mod:`experiments.design`: the outcomes a design may name;
* the dashboard's cards and chart labels, and the sweep charts' labels;
* ``docs/outputs.md`` (``abm outputs --markdown``; ``tests/test_docs.py`` fails when it
  differs from the committed file).

A new output is one declaration here plus the rule that counts it: an event tallied by a
phase (``model.events.add(name, places)``), a head count (a setting in
``abm.metrics.SETTING_COLUMNS``), or a line of ``MetricsRecorder.record``.

This module uses only the standard library, so the command line can read it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """What a weekly value is, and so how weeks add up."""

    COUNT = "count"  # events, person-weeks or £ in the week: summed over weeks
    STOCK = "stock"  # a level at the week's end: averaged over weeks (or the latest week)
    RATE = "rate"  # per 1,000 people: a ratio, never summed
    SHARE = "share"  # a share 0-1: a ratio, never summed


class Source(Enum):
    """How a week's value is counted (the rule in :mod:`abm.metrics`)."""

    CENSUS = "head count at the week's end"  # from the state counts (metrics.HEAD_COUNT_TABLE)
    EVENT = "tallied as it happens"  # model.events.add(...) by a phase
    AGENT = "read from the agents"  # trusts, councils, teams, commissioner (MetricsRecorder.record)
    FORMULA = "computed from other figures"  # MetricsRecorder.record


class Ics(Enum):
    """How the Places' values add up to the ``ICS`` row."""

    SUM = "sum"
    RATIO = "ratio of the sums"  # numerator over denominator columns, each summed over Places
    OWN = "own rule"  # computed for the whole ICS by MetricsRecorder.record (said in the output's doc)


class Summary(Enum):
    """How ``summary.json`` reports an output for a year (a year of fewer weeks is annualised)."""

    PER_1000 = "per 1,000 people a year"  # key NAME_per_1000: the year's sum over the mean population x 1,000
    PER_PERSON = "per person a year"  # key NAME_per_person: the year's sum over the mean population
    MEAN = "mean over the year"  # key NAME
    TOTAL = "total a year"  # key NAME: the year's sum
    RATIO = "ratio of the year's sums"  # key NAME: the numerator columns' sum over the denominator's


SUMMARY_ORDER = (Summary.PER_1000, Summary.PER_PERSON, Summary.MEAN, Summary.TOTAL, Summary.RATIO)
DENOMINATOR = "population"  # the summary's first figure: the mean population that rates are per


@dataclass(frozen=True)
class Output:
    """One weekly output: a column of ``metrics.csv``."""

    name: str  # the column
    units: str  # of the weekly value (a SHARE's begin "share of")
    label: str  # a short name, as charts and cards title it
    kind: Kind
    source: Source
    doc: str  # what it means
    ics: Ics = Ics.SUM
    summary: Summary | None = None  # None: not in summary.json
    numerator: tuple[str, ...] = ()  # Ics.RATIO / Summary.RATIO: the columns summed above ...
    denominator: tuple[str, ...] = ()  # ... and below
    part_of: str = ""  # the output this one is a part of (the parts add up to it)
    short: str = ""  # the label beside its siblings (a band of a stacked chart); default: label
    signed: bool = False  # may be negative
    rank: int = 0  # place among the summary's figures of its kind (ties: column order)

    @property
    def title(self) -> str:
        """The label with a capital first letter."""
        return self.label[:1].upper() + self.label[1:]

    @property
    def band(self) -> str:
        """The label beside its siblings."""
        return self.short or self.label

    @property
    def per_1000(self) -> bool:
        """Whether the summary reports it per 1,000 people a year."""
        return self.summary is Summary.PER_1000

    @property
    def percent_units(self) -> str:
        """A share's units when shown as a percentage: '% of ...'."""
        return "%" + self.units.removeprefix("share")

    @property
    def summary_key(self) -> str:
        """Its key in ``summary.json`` ('' when it is not there)."""
        suffix = {Summary.PER_1000: "_per_1000", Summary.PER_PERSON: "_per_person"}
        return "" if self.summary is None else self.name + suffix.get(self.summary, "")

    @property
    def summary_units(self) -> str:
        """The units of its figure in ``summary.json``."""
        if self.summary in (Summary.PER_1000, Summary.PER_PERSON):
            return f"{self.units} {self.summary.value}"
        if self.summary is Summary.TOTAL:
            return f"{self.units} a year"
        return self.units + (" (0-1)" if self.kind is Kind.SHARE else "")


HEALTH_SPEND = ("spend_acute", "spend_chs_core", "spend_addon", "spend_primary")  # NHS spend on the modelled sectors
UNMET = "unmet_need"

OUTPUTS: tuple[Output, ...] = (
    Output(
        "population",
        "people",
        "population",
        Kind.STOCK,
        Source.CENSUS,
        "people alive and resident at the week's end",
        summary=Summary.MEAN,
    ),
    Output(
        "emergency_admissions",
        "admissions",
        "emergency admissions",
        Kind.COUNT,
        Source.EVENT,
        "emergency admissions to an acute bed in the week",
        summary=Summary.PER_1000,
    ),
    Output(
        "admission_demand",
        "decisions to admit",
        "admission demand",
        Kind.COUNT,
        Source.EVENT,
        "decisions to admit in the week, whether or not a bed was free (admissions are those that got one)",
        summary=Summary.PER_1000,
    ),
    Output(
        "ed_attendances",
        "attendances",
        "ED attendances",
        Kind.COUNT,
        Source.EVENT,
        "attendances at an emergency department in the week",
        summary=Summary.PER_1000,
    ),
    Output(
        "bed_occupancy",
        "share of bed-days used",
        "bed occupancy",
        Kind.SHARE,
        Source.AGENT,
        "share (0-1) of the week's acute bed-days that were used: a Place shows its trust's; the ICS row is "
        "all trusts' bed-days used over their bed-days available",
        ics=Ics.OWN,
        summary=Summary.MEAN,
    ),
    Output(
        "beds",
        "beds",
        "acute beds",
        Kind.STOCK,
        Source.AGENT,
        "acute beds open; a trust's beds are shared among its Places by population",
    ),
    Output("inpatients", "people", "inpatients", Kind.STOCK, Source.CENSUS, "people in an acute bed at the week's end"),
    Output(
        "delayed_discharge_bed_days",
        "bed-days",
        "delayed discharges",
        Kind.COUNT,
        Source.FORMULA,
        "bed-days held by medically fit patients waiting for CHS or social-care support (7 for each person "
        "in a delayed discharge at the week's end)",
        summary=Summary.TOTAL,
    ),
    Output(
        "corridor_care",
        "people",
        "corridor care",
        Kind.STOCK,
        Source.CENSUS,
        "people waiting in ED for a bed (corridor care) at the week's end",
    ),
    Output(
        "elective_bed_days_planned",
        "bed-days",
        "elective bed-days planned",
        Kind.COUNT,
        Source.EVENT,
        "elective bed-days booked for the week: the programme (planned with the beds the money pays for), less "
        "what the trust's forecast of emergency bed-days leaves no room for",
    ),
    Output(
        "electives_cancelled_bed_days",
        "bed-days",
        "elective bed-days cancelled",
        Kind.COUNT,
        Source.EVENT,
        "elective bed-days given up to emergency pressure in the week",
    ),
    Output(
        "elective_bed_days_deferred",
        "bed-days",
        "elective bed-days deferred",
        Kind.COUNT,
        Source.EVENT,
        "the week's elective programme not booked because the trust's forecast of emergency bed-days left no room "
        "below the flow threshold (planned care postponed, not cancelled on the day)",
    ),
    Output(
        "gp_appointments",
        "appointments",
        "GP appointments",
        Kind.COUNT,
        Source.EVENT,
        "GP appointments in the week",
        summary=Summary.PER_PERSON,
    ),
    Output(
        "minor_need_to_pharmacy",
        "people",
        "minor need taken to a pharmacy",
        Kind.COUNT,
        Source.EVENT,
        "people with a minor (low) need who took it to a community pharmacy in the week instead of a GP: deterred "
        "by their practice's backlog from trying, or signposted by a practice that could not see them",
    ),
    Output(
        "gp_waiting",
        "people",
        "waiting for a GP",
        Kind.STOCK,
        Source.CENSUS,
        "people waiting for a GP appointment at the week's end",
    ),
    Output(
        "gp_managed",
        "people",
        "GP-managed",
        Kind.STOCK,
        Source.CENSUS,
        "people whose need a GP is managing at the week's end",
    ),
    Output(
        "gp_hospital_referrals",
        "referrals",
        "GP referrals to hospital",
        Kind.COUNT,
        Source.EVENT,
        "GP appointments that sent the patient to hospital in the week",
    ),
    Output(
        "chs_caseload",
        "people",
        "on a CHS caseload",
        Kind.STOCK,
        Source.CENSUS,
        "people on a community health services caseload at the week's end",
    ),
    Output(
        "chs_waiting",
        "people",
        "waiting for CHS",
        Kind.STOCK,
        Source.CENSUS,
        "people on a CHS waiting list at the week's end",
    ),
    Output("chs_referrals", "referrals", "CHS referrals", Kind.COUNT, Source.EVENT, "referrals to CHS in the week"),
    Output(
        "chs_contacts",
        "contacts",
        "CHS contacts",
        Kind.COUNT,
        Source.EVENT,
        "CHS contacts (visits) in the week",
        summary=Summary.PER_PERSON,
    ),
    Output(
        "chs_social_care_contacts",
        "contacts",
        "CHS contacts on social-care tasks",
        Kind.COUNT,
        Source.EVENT,
        "CHS caseload contacts spent on personal and social-care tasks for patients who need a care package and "
        "have none (part of CHS contacts)",
    ),
    Output(
        "chs_kept_contacts",
        "contacts",
        "CHS contacts with people kept on a caseload they no longer need",
        Kind.COUNT,
        Source.EVENT,
        "CHS contacts with people whose need resolved but whom a team with time to spare keeps on its caseload "
        "(004 §4: teams that do not review their caseloads; part of CHS contacts)",
    ),
    Output(
        "chs_rationed",
        "people",
        "rationed out by CHS",
        Kind.COUNT,
        Source.EVENT,
        "people turned away or discharged by a CHS team over capacity in the week",
    ),
    Output(
        "ucr_responses",
        "responses",
        "UCR responses",
        Kind.COUNT,
        Source.EVENT,
        "urgent community response (2-hour) visits in the week",
    ),
    Output(
        "virtual_ward_patients",
        "people",
        "on a virtual ward",
        Kind.STOCK,
        Source.CENSUS,
        "people on a virtual ward (hospital care at home) at the week's end",
    ),
    Output(
        "proactive_care",
        "people",
        "in proactive care",
        Kind.STOCK,
        Source.AGENT,
        "people enrolled in CHS proactive (anticipatory) care this week",
    ),
    Output(
        "social_care_packages",
        "packages",
        "social-care packages",
        Kind.STOCK,
        Source.AGENT,
        "council social-care packages in use at the week's end",
    ),
    Output(
        UNMET,
        "person-weeks",
        "unmet need",
        Kind.COUNT,
        Source.CENSUS,
        "people with need going without the care they need at the week's end (each counts one person-week); "
        "the sum of the five kinds below",
        summary=Summary.PER_1000,
    ),
    Output(
        "unmet_need_sought",
        "person-weeks",
        "unmet need (sought)",
        Kind.COUNT,
        Source.CENSUS,
        "unmet need of people who sought care and have not had it: waiting for a GP or CHS, rationed out, or "
        "stuck in hospital (all the kinds below but the hidden need, whose size is an assumption)",
        summary=Summary.PER_1000,
    ),
    Output(
        "unmet_need_gp",
        "person-weeks",
        "unmet need waiting for GP",
        Kind.COUNT,
        Source.CENSUS,
        "unmet need: waiting for a GP appointment",
        summary=Summary.PER_1000,
        part_of=UNMET,
        short="waiting for GP",
    ),
    Output(
        "unmet_need_chs",
        "person-weeks",
        "unmet need waiting for CHS",
        Kind.COUNT,
        Source.CENSUS,
        "unmet need: on a CHS waiting list",
        summary=Summary.PER_1000,
        part_of=UNMET,
        short="waiting for CHS",
    ),
    Output(
        "unmet_need_rationed",
        "person-weeks",
        "unmet need rationed out",
        Kind.COUNT,
        Source.CENSUS,
        "unmet need: at home with need after a CHS team over capacity turned them away or discharged them",
        summary=Summary.PER_1000,
        part_of=UNMET,
        short="rationed out by CHS",
    ),
    Output(
        "unmet_need_delayed_discharge",
        "person-weeks",
        "unmet need in delayed discharge",
        Kind.COUNT,
        Source.CENSUS,
        "unmet need: medically fit but stuck in hospital",
        summary=Summary.PER_1000,
        part_of=UNMET,
        short="delayed discharge",
    ),
    Output(
        "unmet_need_never_sought",
        "person-weeks",
        "unmet need never sought",
        Kind.COUNT,
        Source.CENSUS,
        "unmet need: at home with need, not (yet) seeking care; the hidden need",
        summary=Summary.PER_1000,
        part_of=UNMET,
        short="never sought care (hidden)",
    ),
    Output(
        "unmet_need_most_deprived_per_1000",
        "person-weeks per 1,000 people",
        "unmet need, most deprived fifth",
        Kind.RATE,
        Source.FORMULA,
        "unmet need per 1,000 people in the most deprived quintile; the ICS row is the rate of "
        "the whole ICS's quintile",
        ics=Ics.OWN,
    ),
    Output(
        "unmet_need_least_deprived_per_1000",
        "person-weeks per 1,000 people",
        "unmet need, least deprived fifth",
        Kind.RATE,
        Source.FORMULA,
        "unmet need per 1,000 people in the least deprived quintile; the ICS row is the rate of "
        "the whole ICS's quintile",
        ics=Ics.OWN,
    ),
    Output(
        "unmet_need_equity_gap_per_1000",
        "person-weeks per 1,000 people",
        "unmet-need gap, most minus least deprived",
        Kind.RATE,
        Source.FORMULA,
        "the most deprived quintile's rate minus the least deprived's (negative when the least "
        "deprived fare worse); the ICS row is the gap of the ICS's rates",
        ics=Ics.OWN,
        signed=True,
    ),
    Output(
        "deaths", "deaths", "deaths", Kind.COUNT, Source.EVENT, "deaths in the week", summary=Summary.TOTAL, rank=-1
    ),
    Output(
        "deaths_waiting_for_bed",
        "deaths",
        "deaths waiting for a bed",
        Kind.COUNT,
        Source.EVENT,
        "deaths in the week of people waiting in ED for a bed (part of deaths)",
        summary=Summary.TOTAL,
    ),
    Output(
        "spend_acute",
        "£",
        "acute spend",
        Kind.COUNT,
        Source.AGENT,
        "the commissioner's payments to acute trusts in the week",
        short="acute",
    ),
    Output(
        "spend_chs_core",
        "£",
        "CHS core spend",
        Kind.COUNT,
        Source.AGENT,
        "the commissioner's payments for core community health services in the week",
        short="CHS core",
    ),
    Output(
        "spend_addon",
        "£",
        "add-on spend (virtual wards)",
        Kind.COUNT,
        Source.AGENT,
        "the commissioner's payments for add-on services (virtual wards, UCR) in the week",
        short="add-on (virtual wards)",
    ),
    Output(
        "spend_primary",
        "£",
        "primary-care spend",
        Kind.COUNT,
        Source.AGENT,
        "the commissioner's payments to general practice in the week",
        short="primary care",
    ),
    Output(
        "spend_social_care",
        "£",
        "social-care spend",
        Kind.COUNT,
        Source.AGENT,
        "the councils' social-care spend in the week",
        short="social care",
    ),
    Output(
        "chs_share_of_spend",
        "share of modelled NHS spend",
        "CHS share of spend",
        Kind.SHARE,
        Source.FORMULA,
        "CHS core plus add-on spend as a share (0-1) of NHS spend on the four modelled sectors (acute, CHS core, "
        "add-on, primary); social care is not NHS spend",
        ics=Ics.RATIO,
        summary=Summary.RATIO,
        numerator=("spend_chs_core", "spend_addon"),
        denominator=HEALTH_SPEND,
    ),
    Output(
        "chs_fte",
        "staff in post (FTE)",
        "CHS staff in post",
        Kind.STOCK,
        Source.AGENT,
        "CHS staff in post, full-time equivalents",
    ),
    Output(
        "chs_vacancies",
        "funded posts empty (FTE)",
        "CHS vacancies",
        Kind.STOCK,
        Source.AGENT,
        "funded CHS posts that are empty, full-time equivalents",
    ),
    Output(
        "chs_fte_over_50",
        "staff in post aged 50 and over (FTE)",
        "CHS staff aged 50+",
        Kind.STOCK,
        Source.AGENT,
        "CHS staff in post aged 50 and over, full-time equivalents: those who could retire within ten years (004 §3)",
    ),
    Output(
        "chs_retirements",
        "FTE retiring",
        "CHS retirements",
        Kind.COUNT,
        Source.AGENT,
        "CHS staff in post who retired this week, full-time equivalents",
    ),
    Output(
        "chs_agency_fte",
        "bank and agency staff (FTE)",
        "CHS bank and agency staff",
        Kind.STOCK,
        Source.AGENT,
        "bank and agency staff covering vacant core CHS posts, full-time equivalents (paid from the vacant "
        "posts' money at a premium, so fewer than the posts they cover)",
    ),
    Output(
        "chs_contacts_per_fte_lowest",
        "core contacts per FTE",
        "CHS contacts per FTE, lowest team",
        Kind.STOCK,
        Source.AGENT,
        "core CHS contacts in the week per core FTE working (in post and bank or agency, all roles but urgent "
        "response) in the least productive of the Place's teams; the ICS row is the lowest of all teams "
        "(004 §4: contacts per WTE vary between teams)",
        ics=Ics.OWN,
    ),
    Output(
        "chs_contacts_per_fte_highest",
        "core contacts per FTE",
        "CHS contacts per FTE, highest team",
        Kind.STOCK,
        Source.AGENT,
        "core CHS contacts in the week per core FTE working in the most productive of the Place's teams; the ICS "
        "row is the highest of all teams (004 §4: about fourfold the lowest among 22 district nursing teams)",
        ics=Ics.OWN,
    ),
    Output(
        "acute_deficit",
        "£",
        "acute deficit",
        Kind.STOCK,
        Source.AGENT,
        "trusts' cost above income so far this financial year (negative: a surplus); a trust's is shared "
        "among its Places by population",
        signed=True,
    ),
)

# --------------------------------------------------------------------------- derived views
COLUMNS: tuple[str, ...] = tuple(o.name for o in OUTPUTS)  # metrics.csv's columns after week, year, place
BY_NAME: dict[str, Output] = {o.name: o for o in OUTPUTS}
SIGNED: frozenset[str] = frozenset(o.name for o in OUTPUTS if o.signed)  # may be negative
SHARES: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.kind is Kind.SHARE)  # within [0, 1]
EVENTS: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.source is Source.EVENT)  # the phases tally them
CENSUS: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.source is Source.CENSUS)  # head counts
RATIOS: tuple[Output, ...] = tuple(o for o in OUTPUTS if o.ics is Ics.RATIO)
OWN_ICS: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.ics is Ics.OWN)  # the ICS row has its own rule


def parts(name: str) -> tuple[Output, ...]:
    """The outputs that add up to ``name``, in column order."""
    return tuple(o for o in OUTPUTS if o.part_of == name)


def by_name(name: str) -> Output:
    """The output of column ``name``; KeyError naming the columns if there is none."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no output {name!r}; outputs: {', '.join(COLUMNS)}") from None


def _summary_order(o: Output) -> tuple:
    return (o.name != DENOMINATOR, SUMMARY_ORDER.index(o.summary), o.rank, COLUMNS.index(o.name))


# The figures of summary.json, in its order: the population, then rates per 1,000, per person,
# means, totals and ratios.
SUMMARY: tuple[Output, ...] = tuple(sorted((o for o in OUTPUTS if o.summary is not None), key=_summary_order))
SUMMARY_KEYS: tuple[str, ...] = tuple(o.summary_key for o in SUMMARY)
BY_SUMMARY_KEY: dict[str, Output] = {o.summary_key: o for o in SUMMARY}


def problems() -> list[str]:
    """What is inconsistent in the table (empty when it is sound); a test keeps it empty."""
    found = []
    if len(BY_NAME) != len(OUTPUTS):
        found.append("two outputs share a name")
    if BY_NAME[DENOMINATOR].summary is not Summary.MEAN:
        found.append(f"{DENOMINATOR}: the summary's denominator must be reported as its mean")
    for o in OUTPUTS:
        for field in ("name", "units", "label", "doc"):
            if not getattr(o, field).strip():
                found.append(f"{o.name or '?'}: no {field}")
        ratio = o.ics is Ics.RATIO or o.summary is Summary.RATIO
        if ratio != bool(o.numerator and o.denominator):
            found.append(f"{o.name}: a ratio (at the ICS or in the summary) needs a numerator and a denominator")
        if any(c not in BY_NAME for c in (*o.numerator, *o.denominator)) or (o.part_of and o.part_of not in BY_NAME):
            found.append(f"{o.name}: names a column that is not an output")
        if o.kind in (Kind.RATE, Kind.SHARE) and o.ics is Ics.SUM:
            found.append(f"{o.name}: a {o.kind.value} cannot be summed over Places")
        if o.kind in (Kind.RATE, Kind.SHARE) and o.summary in (Summary.PER_1000, Summary.PER_PERSON, Summary.TOTAL):
            found.append(f"{o.name}: a {o.kind.value} cannot be summed over weeks")
        if o.kind is Kind.SHARE and not o.units.startswith("share of "):
            found.append(f"{o.name}: a share's units begin 'share of'")
    return found


# --------------------------------------------------------------------------- documentation
def rows() -> list[dict[str, str]]:
    """One row per output: what ``docs/outputs.md`` shows."""

    def summary(o: Output) -> str:
        if o.summary is None:
            return ""
        how = f", {o.summary.value}" if o.summary in (Summary.MEAN, Summary.RATIO) else ""
        return f"`{o.summary_key}`: {o.summary_units}{how}"

    return [
        {
            "name": o.name,
            "units": o.units + (" (0-1)" if o.kind is Kind.SHARE else ""),
            "label": o.label,
            "kind": o.kind.value,
            "counted": o.source.value,
            "ics": o.ics.value,
            "summary": summary(o),
            "per_1000": "yes" if o.per_1000 else "",
            "doc": o.doc
            + (f" (part of `{o.part_of}`)" if o.part_of else "")
            + (" May be negative." if o.signed else ""),
        }
        for o in OUTPUTS
    ]


HEADINGS = {
    "name": "column",
    "units": "units",
    "label": "label",
    "kind": "kind",
    "counted": "counted",
    "ics": "ICS row",
    "summary": "summary.json",
    "per_1000": "per 1,000",
    "doc": "meaning",
}


def markdown() -> str:
    """``docs/outputs.md``: the table of outputs (``abm outputs --markdown``)."""
    lines = [
        "# Outputs",
        "",
        "Generated by `abm outputs --markdown` from `abm/outputs.py` (do not edit by hand;",
        "`tests/test_docs.py` fails when this file differs from that command's output).",
        "",
        "Each row is a column of `metrics.csv` / `metrics.parquet`: one row per reporting week",
        "per Place, plus Place `ICS` for the whole system (see the README's Outputs section).",
        "",
        "- **kind**: a *count* (events, person-weeks or £ in the week) is summed over weeks; a",
        "  *stock* is a level at the week's end; a *rate* (per 1,000 people) and a *share* (0-1)",
        "  are ratios, never summed.",
        "- **counted**: how the week's value is made (`abm/metrics.py`).",
        "- **ICS row**: how the Places' values add up to the `ICS` row; *own rule* is said in the meaning.",
        "- **summary.json**: the key and units of its yearly figure in a run's `summary.json` (the",
        "  year's sum over the year's mean population for a rate, annualised when a year is short);",
        "  these keys are the outcomes an experiment design may name.",
        "",
        "| " + " | ".join(HEADINGS.values()) + " |",
        "|" + "---|" * len(HEADINGS),
    ]
    for row in rows():
        cells = [f"`{row['name']}`", *(row[k] for k in list(HEADINGS)[1:])]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def text() -> str:
    """``abm outputs``: one line per output (column, kind, units, summary key)."""
    width = max(len(o.name) for o in OUTPUTS)
    return "\n".join(
        f"{o.name.ljust(width)}  {o.kind.value:<5}  {o.units}" + (f"  -> {o.summary_key}" if o.summary else "")
        for o in OUTPUTS
    )
