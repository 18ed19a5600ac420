"""Policy levers: the settings workshop participants and modellers move.

Each lever is one field of :class:`Levers` with its units, range, default, group,
what it models, the one place in the model it acts on (in its ``doc``), its
evidence (an EVIDENCE.md item or the word "assumption"), and what it does in a
workshop's words, with no code names (its ``help``: the dashboard's tooltip).  A lever can be set in a
scenario's ``levers:`` block, scheduled for a year (``schedule:``), overridden with
``--set levers.NAME=VALUE`` or changed on a running model with
``model.set_lever(name, value)``.  Levers that act on providers' weekly capacity take
effect from the next week; levers that act on the commissioners' allocation act at
the next financial year (the ICB allocates once a year), which their ``doc`` says.

The names, units and meanings are portable: scenarios written for one version keep
working in the next.  ``lever_table()`` lists them for the dashboard and the docs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from abm.choices import AcutePayment, ChsContract, ChsHost
from abm.config import describe, spec

# The dashboard's headings, in the order it shows them.
GROUPS = ("money", "commissioning", "services", "workforce", "demand and social care")

# Levers that set the world a scenario happens in (how much need arises), not a policy anyone
# chooses: a "no policy" comparison keeps them as the scenario has them.
CONDITIONS = ("demand_multiplier", "winter_pressure_pct")


@dataclass
class Levers:
    """The policy levers of a scenario (names, units and meanings are portable)."""

    # ------------------------------------------------------------------ money
    funding_shift_pct: float = spec(
        0.0,
        units="% of the acute allocation a year",
        lo=-10.0,
        hi=10.0,
        group="money",
        doc="Each year from funding_shift_start_year, this % of what the acute trust would have been allocated is "
        "moved to community services (negative: from community to acute), split between core CHS and add-on "
        "schemes by addon_share_pct. Recurrent: every year from the start year (a level, not compounding); "
        "one-off: the start year only. Acts at the next financial year on "
        "agents.commissioner.Commissioner.allocate. Moved during a run, the rest of the financial year is "
        "re-planned from the next week.",
        source="DESIGN 5 'funding shift'; mechanism 21 (000): moving money between sectors is 'very difficult'",
        help="Each year from the start year, this share of what the acute hospital would have been given moves to "
        "community services (a negative number moves money the other way). 'Add-on share %' splits it between core "
        "community health services (CHS) and add-on schemes. Acts at the next financial year; moved during a run, "
        "the rest of the year is re-planned from next week.",
    )
    funding_shift_start_year: int = spec(
        1,
        units="reporting year, from 0",
        lo=0,
        hi=60,
        group="money",
        doc="First financial year the funding shift applies. Acts on agents.commissioner (funding_shift).",
        source="assumption: scenario timing; year 1 leaves a reporting year before the policy to compare against",
        help="The first year the funding shift is made (year 0 is the run's first year).",
    )
    funding_shift_recurrent: bool = spec(
        True,
        units="true / false",
        group="money",
        doc="True: the shift is made every year from the start year. False: one-off money for one year, "
        "part of which pays double running (params.commissioner.double_running_share). Acts on "
        "agents.commissioner (allocate).",
        source="mechanism 6 (002): non-recurrent funding means double running and schemes that end",
        help="On: the shift is made every year from the start year. Off: one year's money only, part of which pays "
        "for running old and new services side by side (double running).",
    )
    growth_to_community_pct: float = spec(
        0.0,
        units="% of each year's growth money",
        lo=0.0,
        hi=100.0,
        group="money",
        doc="Share of each year's budget growth given to community services first (split by addon_share_pct); "
        "the rest is allocated by the ICB's own rules. It compounds: money given to community stays in "
        "its baseline. The growth it takes would otherwise have gone to acute and primary care, so GP "
        "capacity grows more slowly (at 100, primary care's funding falls about 3% a year behind). Acts at "
        "the next financial year on agents.commissioner (its own allocation, not re-planned mid-year).",
        source="DESIGN 5 'growth priority'; 002: >75% of trust leaders doubt resources will deliver the shift",
        help="The share of each year's extra budget that goes to community services first ('Add-on share %' splits "
        "it); the ICB shares out the rest as usual. It builds up: money given to community stays there. It would "
        "otherwise have gone to the hospital and GPs, so GP capacity grows more slowly (at 100%, GP funding falls "
        "about 3% a year behind). Acts at the next financial year.",
    )
    addon_share_pct: float = spec(
        50.0,
        units="% of new community money",
        lo=0.0,
        hi=100.0,
        group="money",
        doc="Share of new community money (from the funding shift and growth to community) that goes to add-on "
        "schemes (virtual wards) rather than core CHS. Acts at the next financial year on "
        "agents.commissioner. Moved during a run, the split of the funding shift is re-planned from the next "
        "week; the split of growth money waits for the next financial year.",
        source="mechanisms 4, 5 (000 Results): standalone schemes attract investment; default split an assumption",
        help="How much of the new community money (from the funding shift and from growth) goes to add-on schemes "
        "such as virtual wards rather than core CHS. Acts at the next financial year (a funding shift's split is "
        "re-planned from next week).",
    )
    addon_staffing: str = spec(
        "new",
        units="new / redeploy",
        choices=("new", "redeploy"),
        group="money",
        doc="'new': add-on teams recruit new staff (slowly, at the CHS recruitment rate). 'redeploy': they take "
        "staff from core CHS at once, leaving core vacancies that refill slowly. Acts on "
        "agents.chs_team.CHSTeam.redeploy_or_release_addon_staff.",
        source="mechanism 5 (000 Results): add-on schemes divert staff and attention from core CHS",
        help="new: add-on teams recruit their own staff, slowly. redeploy: they take staff from core CHS at once, "
        "leaving core posts empty that refill slowly.",
    )
    addon_recurrent: bool = spec(
        True,
        units="true / false",
        group="money",
        doc="True: add-on money continues. False: it ends after addon_funding_years (the money returns to the "
        "acute trust), and while it runs part of it pays double running. Acts on "
        "agents.commissioner. Moved during a run, the rest of the financial year is re-planned from the next week.",
        source="mechanism 6 (002): 'double running services with non-recurrent funding'",
        help="On: add-on money carries on. Off: it stops after 'Add-on funding years' (the money goes back to the "
        "acute hospital), and while it lasts part of it pays for double running.",
    )
    addon_funding_years: int = spec(
        2,
        units="years",
        lo=0,
        hi=60,
        group="money",
        doc="Years of non-recurrent add-on money, counted from the first year add-on money flows "
        "(used when addon_recurrent is false). Acts on agents.commissioner (scheme_running).",
        source="assumption: national schemes are typically funded for 1-3 years (002)",
        help="How many years one-off add-on money lasts, from the first year it flows (when 'Add-on recurrent' is "
        "off).",
    )
    # ------------------------------------------------------------------ commissioning
    delegation_to_place: bool = spec(
        False,
        units="true / false",
        group="commissioning",
        doc="Commissioning delegated to Place: each Place commissioner allocates its budget on local need "
        "(need-weighted capitation); over the following years its CHS teams set staff time aside for outreach "
        "in deprived areas and target proactive care by deprivation, as well as data_quality lets them; during "
        "the transition decisions are delayed and commissioning capacity is lost. The structure itself brings "
        "no gain (integration is its own lever). Acts on agents.commissioner and agents.chs_team "
        "(place_outreach, proactive_priority).",
        source="mechanisms 7, 8, 19 (000, 003): fine-grained needs analysis; reorganisation resets skills; "
        "mechanism 12 (004 §6-7): structural reorganisation alone, no gain",
        help="On: commissioning is handed to each Place, which shares out its budget by local need. Over the "
        "following years community teams spend some of their time reaching out to people in the most deprived "
        "areas and aim proactive care at them: how much that finds depends on the data quality. While this "
        "settles, decisions are slower and commissioning skills are lost.",
    )
    delegation_start_year: int = spec(
        1,
        units="reporting year, from 0",
        lo=0,
        hi=60,
        group="commissioning",
        doc="The financial year delegation to Place starts. Acts on agents.commissioner (transition_fraction).",
        source="assumption: scenario timing; year 1 leaves a reporting year before the policy to compare against",
        help="The year commissioning is handed to the Places.",
    )
    delegation_transition_years: float = spec(
        1.5,
        units="years",
        lo=0.0,
        hi=10.0,
        group="commissioning",
        doc="How long commissioning roles take to settle after delegation (decisions delayed, capacity lost). "
        "Acts on agents.commissioner (transition_fraction, needs_based).",
        source="004 §10, Appendix A: ~18 months for a new organisation to get going",
        help="How long commissioning takes to settle after it is handed to the Places (slower decisions, lost skills).",
    )
    chs_contract: str = spec(
        ChsContract.BLOCK.value,
        units=ChsContract.units(),
        choices=ChsContract.values(),
        group="commissioning",
        doc="How CHS is paid. 'block': a fixed sum; capacity does not follow demand, and the budget is easy to "
        "squeeze. 'activity': next year's budget follows last year's demand. 'outcome' (capitated): the "
        "budget follows demand, outcomes make core CHS's impact more visible, and proactive care is "
        "protected. Acts on agents.commissioner and agents.chs_team.",
        source="mechanism 1 (001 §2, 000 Results): block contracts make CHS easy to squeeze, consequences invisible",
        help="How community health services are paid. block: a fixed sum; capacity does not follow demand and the "
        "budget is easy to squeeze. activity: next year's budget follows this year's demand. outcome: the budget "
        "follows demand, what core CHS achieves is easier to see, and proactive care is protected.",
    )
    acute_payment: str = spec(
        AcutePayment.ACTIVITY.value,
        units=AcutePayment.units(),
        choices=AcutePayment.values(),
        group="commissioning",
        doc="How the acute trust is paid. 'activity' (payment by results) lowers the threshold to admit; 'block' "
        "(aligned payment) removes that incentive. Acts on agents.acute_trust.decide_admission.",
        source="DESIGN 4: activity-based payment lowers the admission threshold; size an assumption",
        help="How the acute hospital is paid. activity (payment by results): each admission brings money, so it "
        "admits more readily. block (aligned payment): no such pull.",
    )
    chs_host: str = spec(
        ChsHost.STANDALONE.value,
        units=ChsHost.units(),
        choices=ChsHost.values(),
        group="commissioning",
        doc="Who hosts CHS. 'standalone' trust: its budget is protected from acute pressure. 'acute': inside the "
        "acute trust its budget is raided when the trust is under pressure, but discharge links are better. "
        "'collaborative': a provider collaborative shares staff across Places. Acts on agents.commissioner "
        "and agents.chs_team.",
        source="001 §3 and 000 case studies (standalone, inside acute trusts, provider collaborative); DESIGN 4",
        help="Who runs community health services. standalone: their own trust, whose budget is safe from hospital "
        "pressure. acute: the hospital trust, which raids the CHS budget when it is under pressure, but discharges "
        "are better joined up. collaborative: a provider collaborative that shares staff across Places.",
    )
    data_quality: float = spec(
        0.5,
        units="0-1 (share of core CHS impact visible)",
        lo=0.0,
        hi=1.0,
        group="commissioning",
        doc="How visible core CHS's effect on admissions is to commissioners (investment in data). Add-on "
        "schemes' effects are visible in full; core CHS's only in this proportion, so with poor data "
        "discretionary money drifts to add-ons and acute. After delegation it also sets how well Place "
        "outreach and proactive targeting find need. Acts on agents.commissioner and agents.chs_team "
        "(place_outreach, proactive_priority).",
        source="mechanism 4 (000 Results): 'standalone services are more likely to attract investment'; "
        "001 §2: poor national CHS data; default an assumption",
        help="How much of what core CHS prevents the commissioners can see (investment in data): 0 none of it, 1 all "
        "of it. What add-on schemes achieve is always seen in full, so with poor data spare money drifts to add-ons "
        "and the hospital. After delegation to Place, better data also helps community teams find hidden need.",
    )
    # ------------------------------------------------------------------ services
    integration_share: float = spec(
        0.2,
        units="share of practices",
        lo=0.0,
        hi=1.0,
        group="services",
        doc="Share of GP practices in integrated neighbourhood teams with their CHS team (MDTs, shared records, "
        "co-location): more and better CHS referrals, fewer duplicate assessments (more CHS contacts per "
        "FTE), no duplicate visits by add-on teams. Rounded to whole practices in each Place (~9,500 people "
        "each): with one practice per Place (10,000 people in all) it acts only above 0.5. Acts on "
        "agents.gp_practice and agents.chs_team.",
        source="mechanism 12 (001 §4, 004 §7); default share an assumption",
        help="The share of GP practices working in neighbourhood teams with their CHS team (shared meetings, records "
        "and buildings): more and better referrals to CHS, fewer repeated assessments, no duplicate visits by add-on "
        "teams. Counted in whole practices (about 9,500 people each), so with 10,000 people in all it acts only "
        "above 0.5.",
    )
    acute_beds_multiplier: float = spec(
        1.0,
        units="x default",
        lo=0.3,
        hi=3.0,
        group="services",
        doc="General and acute beds. Acts on agents.acute_trust.AcuteTrust.beds (next week).",
        source="national statistics, approximate: ~1.8 G&A beds per 1,000",
        help="General and acute hospital beds, as a multiple of the usual number (about 1.8 beds per 1,000 people). "
        "Acts from next week.",
    )
    # ------------------------------------------------------------------ workforce
    recruitment_multiplier: float = spec(
        1.0,
        units="x default",
        lo=0.0,
        hi=3.0,
        group="workforce",
        doc="CHS recruitment from the wider labour market relative to default (recruitment drive, international "
        "recruitment, returners): its rate and its supply; newly trained staff follow training_places_multiplier. "
        "Acts on agents.chs_team.recruits (next week).",
        source="mechanism 11 (001 §2, 004 §3): workforce decline limits expansion",
        help="How fast community health services recruit, as a multiple of the usual rate (recruitment drives, "
        "recruiting from abroad). Acts from next week.",
    )
    training_places_multiplier: float = spec(
        1.0,
        units="x default",
        lo=0.0,
        hi=3.0,
        group="workforce",
        doc="Training places for community nurses and therapists relative to default. Newly trained staff join the "
        "labour market only after params.chs.training_lag_years, so a change during the run (scheduled or "
        "live) is felt years later. A value set in the scenario's levers counts as having always held: its "
        "graduates are already in the labour market from week 0. Acts on "
        "agents.chs_team.recruits (newly trained staff fill vacancies first; "
        "params.chs.newly_qualified_fte_per_1000_year).",
        source="004 §3: commissions for district nurse training places were falling; mechanism 11 (workforce lags)",
        help="Training places for community nurses and therapists, as a multiple of the usual number. New staff "
        "arrive only when their training ends, so a change during the run is felt years later; set before the run "
        "starts, it counts as having always been so.",
    )
    attrition_multiplier: float = spec(
        1.0,
        units="x default",
        lo=0.0,
        hi=3.0,
        group="workforce",
        doc="CHS staff leaving for reasons other than retirement, relative to default (retention); retirement "
        "follows age. Acts on agents.chs_team.CHSTeam.update_workforce.",
        source="004 §3: >30% of district nurses over 50",
        help="How fast community health staff leave, as a multiple of the usual rate (below 1: staff are kept longer).",
    )
    # ------------------------------------------------------------------ demand and social care
    social_care_capacity_multiplier: float = spec(
        1.0,
        units="x default",
        lo=0.0,
        hi=3.0,
        group="demand and social care",
        doc="Council social-care capacity (concurrent care packages). Acts on agents.council.Council.capacity.",
        source="mechanism 10 (001 §2): social-care cuts raise delayed transfers of care; "
        "001 Introduction: -26% older adults receiving publicly funded care 2009-2014",
        help="The council's social care capacity (how many care packages it can run at once), as a multiple of the "
        "usual. Too little keeps patients who are fit to leave in hospital beds.",
    )
    public_health_multiplier: float = spec(
        1.0,
        units="x default",
        lo=0.0,
        hi=3.0,
        group="demand and social care",
        doc="Council public-health spending; lowers onset of need a little. Acts on "
        "agents.council.Council.onset_factor.",
        source="mechanism 16 (003); effect size an assumption (small)",
        help="The council's public health spending, as a multiple of the usual: people develop a need for care a "
        "little less often.",
    )
    winter_pressure_pct: float = spec(
        0.0,
        units="% more onset of need at the peak of winter (early January)",
        lo=0.0,
        hi=50.0,
        group="demand and social care",
        doc="Seasonal demand: onset of need rises and falls over the year, peaking in winter. 0 keeps demand flat "
        "(the calibrated baseline). It adds demand as well as moving it: the year's mean onset rises by half "
        "the peak %. Acts on the onset hazard through agents.patient.winter_factor.",
        source="DESIGN 5 'winter pressure'; size an assumption",
        help="Seasonal demand: new need for care rises each winter, by this much at its peak in early January; 0 "
        "keeps demand flat. It adds demand as well as moving it: over a year, new need rises by half this amount.",
    )
    demand_multiplier: float = spec(
        1.0,
        units="x default",
        lo=0.5,
        hi=2.0,
        group="demand and social care",
        doc="Underlying onset of need (e.g. a pandemic-like shock or winter). Acts on agents.patient onset hazard.",
        source="assumption: scenario device for demand shocks (DESIGN 5 'demand')",
        help="How often people develop a need for care, as a multiple of the usual (for example a shock like a "
        "pandemic).",
    )

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def lever_table() -> list[dict]:
    """Every lever with its default, units, allowed values, range, group, meaning and source."""
    return describe(Levers)
