"""Model parameters: every number the rules use, with units and evidence.

Grouped by actor.  Each field's ``source`` names an EVIDENCE.md figure or
mechanism (and the seed section it comes from), "national statistics,
approximate" for the starter figures EVIDENCE.md lists from outside the seeds,
or "assumption: <reason>".  Rates are per person (or per FTE) per year unless
the name or units say per week; rules convert annual rates to weekly
probabilities with :func:`agents.patient.weekly_prob`.

All capacities and budgets are per head, so results per 1,000 people are
comparable from 10k to 1.5M people.
"""

from __future__ import annotations

from dataclasses import dataclass

from abm.config import spec

NAT = "national statistics, approximate (EVIDENCE.md starter figures)"


@dataclass
class DemographyParams:
    """Ageing, deaths, births and migration."""

    age_band_shares: list[float] = spec(
        [0.21, 0.60, 0.10, 0.065, 0.025],
        units="share of population in bands 0-17, 18-64, 65-74, 75-84, 85+",
        doc="initial age structure",
        source=NAT + ": England age structure",
        lo=0,
        hi=1,
        weights=True,
    )
    births_per_1000_year: float = spec(
        10.5,
        units="per 1,000 per year",
        lo=0,
        hi=40,
        source=NAT,
        doc="births (entries at age 0)",
    )
    in_migration_per_1000_year: float = spec(
        6.0,
        units="per 1,000 per year",
        lo=0,
        hi=50,
        source="assumption: net migration of young adults keeps the age structure near its projection",
        doc="people moving in (ages 18-45)",
    )
    out_migration_per_1000_year: float = spec(
        5.0,
        units="per 1,000 per year",
        lo=0,
        hi=50,
        source="assumption: as in-migration, a little lower so the population grows slowly",
        doc="people moving away (ages 18-45)",
    )
    gompertz_log_base: float = spec(
        -11.05,
        units="log annual death probability at age 0",
        lo=-15,
        hi=-5,
        source=NAT + ": England life tables fitted as Gompertz",
        doc="mortality level",
    )
    gompertz_slope: float = spec(
        0.094,
        units="per year of age",
        lo=0.05,
        hi=0.15,
        source=NAT + ": England life tables fitted as Gompertz",
        doc="mortality rise with age",
    )
    frailty_death_slope: float = spec(
        4.0,
        units="multiplier per unit frailty",
        lo=0,
        hi=10,
        source="calibrated (abm validate: over-85s grow ~31% a decade, 004 §5); assumption: eFI predicts mortality; "
        "death hazard x (frailty_death_base + slope x frailty)",
        doc="how much frailty raises the death hazard",
    )
    mortality_improvement_pct_year: float = spec(
        1.0,
        units="% a year by which the death risk at each age and frailty falls, from the start of reporting",
        lo=-5,
        hi=10,
        source="national statistics, approximate: England's age-standardised mortality fell about 1-2% a year in "
        "2001-2011 and about 0.5-1% a year in 2011-2019 (ONS)",
        doc="falling mortality",
    )
    frailty_death_base: float = spec(
        0.7,
        units="multiplier on the Gompertz hazard at frailty 0",
        lo=0,
        hi=5,
        source="assumption: the fittest die at below the life-table rate, which averages over frailty; "
        "the hazard is x (frailty_death_base + frailty_death_slope x frailty)",
        doc="death hazard of the fittest",
    )
    death_annual_cap: float = spec(
        0.95,
        units="largest annual death probability (before conversion to weekly)",
        lo=0.5,
        hi=1,
        source="assumption: keeps the Gompertz x frailty product a probability at the oldest ages",
        doc="cap on annual mortality",
    )
    crisis_death_weekly: float = spec(
        0.02,
        units="probability per week",
        lo=0,
        hi=0.5,
        source="assumption: untreated crisis at home is dangerous (DESIGN 4)",
        doc="extra weekly death probability in a crisis outside hospital",
    )
    bed_wait_death_per_week: float = spec(
        0.01,
        units="probability per week, for each week already spent waiting for a bed (on top of an inpatient's)",
        lo=0,
        hi=0.2,
        source="assumption: the seeds give no size; long waits for a bed in ED raise deaths (DESIGN 4: corridor "
        "care), and national estimates are of about one excess death per 70 long waits",
        doc="harm of waiting for a bed: death",
    )
    inpatient_death_weekly: float = spec(
        0.012,
        units="probability per week (plus inpatient_death_per_frailty x frailty)",
        lo=0,
        hi=0.5,
        source=NAT + ": ~3-4% of emergency admissions end in death",
        doc="weekly death probability in an acute bed",
    )
    inpatient_death_per_frailty: float = spec(
        0.06,
        units="probability per week per unit frailty, in an acute bed",
        lo=0,
        hi=0.5,
        source="assumption: frail inpatients die more often (eFI predicts death); with inpatient_death_weekly "
        "calibrated to ~3-4% of emergency admissions ending in death (national statistics)",
        doc="inpatient death, frailty term",
    )
    frailty_age_drift: float = spec(
        1.0,
        units="x the yearly rise of mean frailty along the population's age profile",
        lo=0,
        hi=5,
        source="assumption: each birthday a person's eFI rises as the cross-sectional eFI age profile does "
        "(1 keeps the profile stable; hospital stays add to it)",
        doc="yearly rise of frailty with age",
    )
    frailty_per_admission: float = spec(
        0.02,
        units="eFI points per hospital stay",
        lo=0,
        hi=0.2,
        source="assumption: deconditioning in hospital (DESIGN 4: frailty rises with hospital stays)",
        doc="frailty added by each hospital stay",
    )
    frailty_recovery_per_year: float = spec(
        0.5,
        units="share of the frailty hospital stays added that is regained each year",
        lo=0,
        hi=1,
        source="assumption (outside the seeds): hospital-associated deconditioning is partly reversible; about "
        "half of older people who lose function in hospital regain it within a year (Covinsky et al. 2011, "
        "hospitalization-associated disability); without recovery each stay's frailty lasts for life",
        doc="recovery from deconditioning",
    )
    initial_frailty_concentration: float = spec(
        6.0,
        units="beta concentration (a + b) of starting frailty around its mean for age",
        lo=0.5,
        hi=100,
        source="assumption: eFI varies widely at any age; 6 gives a standard deviation of about 0.38 x "
        "sqrt(mean x (1 - mean))",
        doc="spread of starting frailty",
    )
    initial_ltc_max: int = spec(
        12,
        units="long-term conditions",
        lo=1,
        hi=255,
        source="assumption: caps the Poisson draw of starting long-term conditions (counts above 12 are rare)",
        doc="most long-term conditions at the start",
    )
    frailty_by_age: list[float] = spec(
        [0.02, 0.28, 82.0, 7.0],
        units="mean frailty by age, a logistic curve: floor, rise above it, midpoint age (years), width (years)",
        lo=0,
        hi=120,
        source="assumption: the eFI's shape, low before 60 and rising steeply after 75 (mean about 0.3 at 95)",
        doc="mean frailty by age (starting frailty, and its rise each birthday)",
    )
    ltc_by_age: list[float] = spec(
        [0.1, 2.6, 62.0, 12.0],
        units="mean long-term conditions by age, a logistic curve: floor, rise above it, midpoint age (years), "
        "width (years)",
        lo=0,
        hi=120,
        source="assumption shaped to 004 §5: more than 60% of over-65s have a long-term condition",
        doc="mean long-term conditions by age (at the start, and the chance of one more each birthday)",
    )
    oldest_band_mean_excess_years: float = spec(
        5.0,
        units="years: mean age above 85 of the 85+ band at the start (an exponential tail)",
        lo=0.5,
        hi=15,
        source=NAT + ": the 85+ band thins quickly with age (about half are 85-89)",
        doc="how old the oldest are at the start",
    )
    initial_age_max: int = spec(
        104,
        units="years: the oldest age at the start",
        lo=85,
        hi=120,
        source="assumption: caps the 85+ tail (very few people are over 104)",
        doc="oldest age at the start",
    )
    age_max: int = spec(
        110,
        units="years: nobody ages beyond this (they stay this age until they die)",
        lo=100,
        hi=120,
        source="assumption: a cap that deaths almost always reach first",
        doc="oldest age",
    )
    mover_ages: list[int] = spec(
        [18, 45],
        units="years: youngest and oldest age of people moving in (drawn uniformly) or away (from those at home)",
        lo=0,
        hi=100,
        source="assumption: movers are mostly working-age adults (" + NAT + ")",
        doc="ages of people moving in and away",
    )


@dataclass
class NeedParams:
    """Onset, escalation, resolution of need and care seeking."""

    onset_per_year_by_age: list[float] = spec(
        [2.4, 2.9, 4.3, 5.5, 6.5],
        units="episodes of need per person per year, bands 0-17, 18-64, 65-74, 75-84, 85+",
        source="calibrated so GP consultations are ~6 per person a year (001 Introduction); age gradient from 004 §5",
        doc="onset of a new episode of need (well -> low or high need)",
        lo=0,
        hi=50,
    )
    onset_per_ltc: float = spec(
        0.12,
        units="relative increase per long-term condition",
        lo=0,
        hi=1,
        source="004 §5: over-65s with LTCs dominate demand",
        doc="LTC effect on onset",
    )
    deprivation_onset_multiplier: list[float] = spec(
        [1.30, 1.15, 1.00, 0.92, 0.85],
        units="multiplier by deprivation quintile, most to least deprived",
        source="assumption: social gradient in ill health (001 §3 deprived case-study Places)",
        doc="deprivation effect on onset",
        lo=0,
        hi=5,
    )
    high_need_share_base: float = spec(
        0.06,
        units="share of onsets",
        lo=0,
        hi=1,
        source="assumption: most new episodes are minor; a small base share that frailty raises",
        doc="share of new episodes that start at high need",
    )
    high_need_share_per_frailty: float = spec(
        0.6,
        units="per unit frailty",
        lo=0,
        hi=5,
        source="assumption: frail people present sicker",
        doc="frailty effect on that share",
    )
    high_need_share_max: float = spec(
        0.9,
        units="largest share of onsets at high need",
        lo=0,
        hi=1,
        source="assumption: even the frailest have some minor episodes",
        doc="cap on the high-need share",
    )
    escalate_low_weekly: float = spec(
        0.02,
        units="probability per week",
        lo=0,
        hi=1,
        source="assumption: a minority of minor episodes worsen within weeks",
        doc="low -> high need",
    )
    escalate_high_weekly: float = spec(
        0.035,
        units="probability per week (plus frailty term)",
        lo=0,
        hi=1,
        source="assumption: a minority of serious episodes tip into crisis within months; frailty adds to it",
        doc="high need -> crisis, base",
    )
    escalate_high_per_frailty: float = spec(
        0.2,
        units="probability per week per unit frailty",
        lo=0,
        hi=1,
        source="assumption: frailty predicts crises",
        doc="high need -> crisis, frailty term",
    )
    escalate_max_weekly: float = spec(
        0.5,
        units="largest probability per week of need rising a level",
        lo=0,
        hi=1,
        source="assumption: keeps escalation a probability whatever the multipliers",
        doc="cap on escalation",
    )
    unmet_escalation_multiplier: float = spec(
        1.8,
        units="multiplier",
        lo=1,
        hi=10,
        source="mechanism 3 (001 §2-3): unmet need leads to deterioration",
        doc="escalation when need is unmet",
    )
    escalation_in_care_multiplier: list[float] = spec(
        [0.75, 0.55, 0.35],
        units="multiplier while GP-managed, on CHS caseload, on virtual ward",
        source="mechanism 13 (001 §4): continuity of care lowers crises; size is an assumption (mechanism 18: modest)",
        doc="escalation while receiving care",
        lo=0,
        hi=2,
    )
    social_care_escalation_multiplier: float = spec(
        0.85,
        units="multiplier",
        lo=0,
        hi=1,
        source="assumption: support at home",
        doc="escalation with a care package",
    )
    proactive_onset_multiplier: float = spec(
        0.85,
        units="multiplier",
        lo=0,
        hi=1,
        source="mechanism 3 (001): prevention is what gets cut; effect size an assumption (modest, mechanism 18)",
        doc="onset for people on proactive care",
    )
    resolve_low_weekly: list[float] = spec(
        [0.22, 0.45],
        units="probability per week untreated, treated",
        source="assumption: episodes last weeks",
        doc="low need -> well",
        lo=0,
        hi=1,
    )
    resolve_high_weekly: list[float] = spec(
        [0.06, 0.14],
        units="probability per week untreated, treated",
        source="assumption: serious episodes last months untreated, about half as long treated",
        doc="high need -> low need",
        lo=0,
        hi=1,
    )
    seek_probability: list[float] = spec(
        [0.85, 0.97],
        units="probability an episode is taken to a GP, low and high need",
        source="DESIGN 4: not everyone with need seeks care (hidden unmet need); values an assumption",
        doc="care seeking",
        lo=0,
        hi=1,
    )
    seek_deprivation_penalty: float = spec(
        0.03,
        units="probability lower per quintile more deprived",
        lo=0,
        hi=0.2,
        source="assumption: inverse care law",
        doc="deprivation effect on care seeking",
    )
    seek_weekly: float = spec(
        0.75,
        units="probability per week",
        lo=0,
        hi=1,
        source="assumption: most people who will seek care do so within a week or two",
        doc="weekly chance a person who will seek care does so",
    )
    # --- minor need managed with pharmacy advice (issue 15: the GP-cut knife-edge) ---
    self_care_escalation_multiplier: float = spec(
        1.0,
        units="multiplier on low -> high escalation while managing a minor need with pharmacy advice at home",
        lo=0,
        hi=10,
        source="assumption for the size (the natural course: neither unmet need's acceleration nor GP management's "
        "slowing); direction: 001 §2 'Community pharmacy' (pharmacies give minor ailments advice and could take "
        "pressure off general practice); minor-ailment schemes in pharmacies resolve symptoms about as often as "
        "general practice (Paudyal et al. 2013, Br J Gen Pract; outside the seeds)",
        doc="escalation of minor need managed with pharmacy advice",
    )


@dataclass
class GPParams:
    """General practice."""

    list_size: int = spec(
        9500,
        units="registered patients per practice",
        lo=1000,
        hi=60000,
        source="DESIGN 3 (~9,500 per practice)",
        doc="practice size",
    )
    appointments_per_head_year: float = spec(
        6.3,
        units="appointments per registered patient per year",
        lo=0.5,
        hi=20,
        source="001 Introduction: ~340m consultations a year (~6 per person)",
        doc="practice capacity",
    )
    followups_per_managed_week: float = spec(
        1.0,
        units="appointments per GP-managed patient per week",
        lo=0,
        hi=3,
        source="assumption: about one follow-up a week while GP-managed; with onset sets ~6 consultations a year (001 "
        "Introduction)",
        doc="follow-up demand of GP-managed patients",
    )
    refer_hospital: list[float] = spec(
        [0.012, 0.35],
        units="probability at a consultation, low and high need",
        source="assumption: rare for minor need, common for serious need",
        doc="refer to hospital (ED / acute assessment)",
        lo=0,
        hi=1,
    )
    refer_chs: list[float] = spec(
        [0.024, 0.3],
        units="probability at a consultation, low and high need",
        source="calibrated (abm validate): CHS contacts ~1.8 per person a year (001 Introduction); low/high split an "
        "assumption",
        doc="refer to community health services",
        lo=0,
        hi=1,
    )
    refer_chs_by_age: list[float] = spec(
        [0.25, 0.6, 1.5, 1.6, 1.2],
        units="multiplier on CHS referral by age band 0-17, 18-64, 65-74, 75-84, 85+",
        source="calibrated (abm validate): 004 §5: 57% of over-85s see a district nurse a year; DESIGN 7: most CHS "
        "contacts are with over-65s (older people also reach CHS through discharge and urgent response)",
        doc="older people are referred to CHS more",
        lo=0,
        hi=10,
    )
    refer_chs_frail_multiplier: float = spec(
        1.2,
        units="multiplier for frailty >= refer_chs_frail_threshold",
        lo=1,
        hi=10,
        source="calibrated (abm validate): over-85s on a CHS caseload ~57% a year (004 §5); assumption: housebound "
        "frail patients need home visits",
        doc="frail people are referred to CHS more",
    )
    refer_chs_frail_threshold: float = spec(
        0.25,
        units="eFI-like frailty (0-1)",
        lo=0,
        hi=1,
        source="assumption: about where the electronic frailty index's moderate band begins (eFI > 0.24): the "
        "moderately and severely frail are referred more",
        doc="frailty at which CHS referral rises",
    )
    pressure_hospital_referral: float = spec(
        0.5,
        units="relative increase per unit pressure",
        lo=0,
        hi=5,
        source="DESIGN 4: under pressure practices refer more to hospital; size assumption",
        doc="pressure -> hospital referrals",
    )
    pressure_home_visit_shift: float = spec(
        0.4,
        units="relative increase in CHS referrals per unit pressure",
        lo=0,
        hi=5,
        source="mechanism 9 (001 §2): fewer GP home visits push work to district nursing",
        doc="pressure -> CHS referrals",
    )
    access_deterrence: float = spec(
        1.0,
        units="fall in the share who try for an appointment: 1 / (1 + this x the practice's backlog per appointment)",
        lo=0,
        hi=20,
        source="assumption for the size; direction: when GP appointments are hard to get some people do not try "
        "(GP Patient Survey), so a backlog deters new demand rather than growing without bound",
        doc="poor access deters seeking care",
    )
    ed_spill_weekly: float = spec(
        0.04,
        units="probability per week per unit pressure, high need waiting",
        lo=0,
        hi=1,
        source="DESIGN 4: patients of practices under pressure use ED more; size assumption",
        doc="waiting patients going to ED",
    )
    ed_spill_max_weekly: float = spec(
        0.5,
        units="largest probability per week",
        lo=0,
        hi=1,
        source="assumption: keeps the spill to ED a probability under any pressure",
        doc="cap on waiting patients going to ED",
    )
    integration_hospital_diversion: float = spec(
        0.15,
        units="share of an integrated practice's hospital referrals managed by its CHS team instead",
        lo=0,
        hi=1,
        source="assumption for the size; direction from mechanism 12 (better referral, 001 §4: the Millom "
        "Alliance's integrated team cut emergency bed days by 29% in a year; 002: vanguards' admission growth)",
        doc="integration: hospital referrals kept in the community",
    )
    integration_inappropriate_referral_cut: float = spec(
        0.1,
        units="share of an integrated practice's low-need CHS referrals not made (triaged in the team's meeting)",
        lo=0,
        hi=1,
        source="004 §4: about 10% of district-nursing referrals are inappropriate; mechanism 12: integration "
        "means better referral (assumption: integrated teams screen them all out)",
        doc="integration: inappropriate referrals avoided",
    )
    # --- minor need and community pharmacy (issue 15: the GP-cut knife-edge) ---
    pharmacy_share: float = spec(
        0.5,
        units="share of people with a new minor (low) need, deterred by their practice's backlog, who take it to a "
        "community pharmacy instead (self-care with advice)",
        lo=0,
        hi=1,
        source="assumption for the size; direction: 001 §2 'Community pharmacy' (minor ailments advice; extended roles "
        "to reduce pressure on primary care) and the GP Patient Survey (people who cannot get an appointment often "
        "go to a pharmacy instead; others go without)",
        doc="deterred minor need goes to a pharmacy",
    )
    pharmacy_signpost_weekly: float = spec(
        0.5,
        units="probability per week that a low-need patient the practice could not see is signposted to a community "
        "pharmacy (care navigation) and leaves the queue",
        lo=0,
        hi=1,
        source="assumption for the size; direction: 001 §4 ('pharmacists are increasingly working in primary care to "
        "improve same-day access') and 001 §2 'Community pharmacy' (minor ailments)",
        doc="care navigation: unseen minor need signposted to a pharmacy",
    )


@dataclass
class CHSParams:
    """Community health services neighbourhood teams."""

    team_population: int = spec(
        40000,
        units="people per neighbourhood team",
        lo=5000,
        hi=200000,
        source="001 §4: integrated teams of 30,000-50,000",
        doc="team footprint",
    )
    clinical_fte_per_1000: float = spec(
        3.6,
        units="funded clinical FTE per 1,000 people",
        lo=0.1,
        hi=20,
        source="004 §3: ~250,000 CHS staff in England (~4.5 per 1,000), of whom most are clinical",
        doc="funded establishment at baseline funding",
    )
    role_mix: list[float] = spec(
        [0.50, 0.20, 0.20, 0.10],
        units="share of clinical FTE: district nursing, therapy, support, urgent community response",
        source="004 §3: >70% nurses and support staff, ~20% AHPs",
        doc="workforce by role",
        lo=0,
        hi=1,
        weights=True,
    )
    contacts_per_fte_week: float = spec(
        11.0,
        units="patient contacts per clinical FTE per week",
        lo=1,
        hi=40,
        source="001 Introduction: ~100m contacts a year (1.8 a person) by ~250k staff (004 §3): with ~3.3 clinical "
        "FTE in post per 1,000 (clinical_fte_per_1000 less vacancies) that is about 10.5 contacts per clinical "
        "FTE a week",
        doc="productivity",
    )
    vacancy_rate_start: float = spec(
        0.08,
        units="share of establishment vacant at start",
        lo=0,
        hi=0.9,
        source=NAT + ": community nursing vacancy rates",
        doc="initial vacancies",
    )
    recruitment_per_year: float = spec(
        0.6,
        units="share per year of the vacancies newly qualified staff leave open that the wider labour market fills",
        lo=0,
        hi=5,
        source="mechanism 11 (001 §2, 004 §3): CHS cannot expand quickly; rate assumption, sized so the baseline's "
        "vacancies stay near their starting 8%",
        doc="recruitment from the wider labour market",
    )
    newly_qualified_fte_per_1000_year: float = spec(
        0.16,
        units="newly trained community nurses and therapists (FTE) per 1,000 people a year, at default training places",
        lo=0,
        hi=20,
        source="004 §3: training commissions shape the community workforce (DN training places falling); size "
        "assumption: about half of what replacing leavers needs (about 0.32 per 1,000 a year), the rest from the "
        "wider labour market",
        doc="trained inflow (scaled by training places, after the training lag)",
    )
    labour_supply_fte_per_1000_year: float = spec(
        0.45,
        units="clinical FTE the wider labour market (returners, movers from hospitals, international) can supply per "
        "1,000 people per year",
        lo=0,
        hi=20,
        source="mechanism 11 (001 §2, 004 §3): district nurses halved 2000-2014, -20% 2014-17; CHS cannot expand "
        "even when funded; value an assumption (binds only when many posts are empty, e.g. after new money)",
        doc="recruitment from the wider labour market is limited by supply",
    )
    training_lag_years: float = spec(
        3.0,
        units="years from a change in training places to new staff",
        lo=0,
        hi=10,
        source="assumption: a nursing degree takes three years (004 §3: training commissions shape the workforce)",
        doc="training pipeline lag",
    )
    attrition_per_year: float = spec(
        0.07,
        units="share of staff leaving per year for reasons other than retirement, at safe caseloads",
        lo=0,
        hi=1,
        source="assumption: with retirement by age (retirement_per_year) about 10% of staff leave a year at the start",
        doc="attrition (other than retirement)",
    )
    unsafe_attrition_slope: float = spec(
        1.0,
        units="relative rise in attrition per unit of load above safe",
        lo=0,
        hi=10,
        source="mechanism 3 (001 §2-3): pressure, rushed visits and lost continuity drive staff out; size assumption",
        doc="attrition rising with unsafe caseloads",
    )
    unsafe_attrition_max_rise: float = spec(
        1.0,
        units="largest relative rise in attrition (other than retirement) from unsafe caseloads",
        lo=0,
        hi=10,
        source="assumption: unsafe caseloads at most double the rate at which staff leave; those most ready to go "
        "leave first (mechanism 3, 001 §2-3 gives the direction, not a size)",
        doc="the attrition spiral saturates",
    )
    staff_age_mix_start: list[float] = spec(
        [0.2, 0.36, 0.26, 0.18],
        units="share of core staff in post aged under 40, 40-49, 50-54, 55+ at the start of the burn-in",
        lo=0,
        hi=1,
        weights=True,
        source="004 §3: more than 30% of district nurses and health visitors are over 50 and could retire within "
        "10 years (Drennan and Davis 2008): set so that about 31% are 50 or over when reporting starts, after the "
        "five-year burn-in has aged them (an input, not a result); the split of the bands is an assumption (an "
        "older-than-steady-state profile, so a retirement wave follows)",
        doc="workforce age structure",
    )
    age_band_years: list[float] = spec(
        [15.0, 10.0, 5.0],
        units="years a member of staff spends in the bands under 40 (joining at about 25), 40-49 and 50-54 "
        "before ageing into the next (55+ is open)",
        lo=0.1,
        hi=50,
        source="assumption: staff join at about 25; the other widths are the bands' own (40-49, 50-54)",
        doc="ageing through the age bands",
    )
    retirement_per_year: list[float] = spec(
        [0.0, 0.0, 0.02, 0.25],
        units="share of staff in each age band (under 40, 40-49, 50-54, 55+) retiring per year",
        lo=0,
        hi=1,
        source="004 §3: staff over 50 could retire within 10 years; assumption: NHS nurses with special class "
        "status may retire from 55, most by about 60 (a 55+ member of staff retires within about four years)",
        doc="retirement by age",
    )
    recruit_age_mix: list[float] = spec(
        [0.6, 0.3, 0.07, 0.03],
        units="share of new recruits aged under 40, 40-49, 50-54, 55+",
        lo=0,
        hi=1,
        weights=True,
        source="004 §3 (expert seminar): young nurses traditionally work in hospital first and move into the "
        "community later, so recruits are mostly young but not only newly qualified; shares an assumption",
        doc="age of recruits",
    )
    agency_backfill_share: float = spec(
        0.5,
        units="share of vacant core posts covered by bank and agency staff",
        lo=0,
        hi=1,
        source="assumption: teams that cannot recruit cover part of the gap with bank and agency staff "
        "(mechanism 11); the rest of the vacancies go uncovered",
        doc="bank and agency backfill",
    )
    agency_pool_fte_per_1000: float = spec(
        0.15,
        units="bank and agency FTE a team can find per 1,000 people, at default recruitment",
        lo=0,
        hi=10,
        source="assumption: about 4% of the funded establishment; bank and agency staff come from the same labour "
        "market as recruits, so levers.recruitment_multiplier scales the pool (mechanism 11: money cannot buy "
        "staff who are not there)",
        doc="bank and agency pool",
    )
    agency_cost_ratio: float = spec(
        1.5,
        units="cost of a bank or agency FTE relative to a substantive FTE",
        lo=1,
        hi=5,
        source="assumption: agency staff cost about half as much again as staff in post; a vacant post's money buys "
        "1 / this many agency FTE",
        doc="bank and agency premium",
    )
    contacts_low: float = spec(
        0.5,
        units="contacts per week, low-need caseload patient",
        lo=0,
        hi=10,
        source="assumption: a visit every fortnight for low need (85% of DN contacts at home, 004 §3)",
        doc="caseload intensity, low need",
    )
    contacts_high: float = spec(
        1.5,
        units="contacts per week, high-need caseload patient",
        lo=0,
        hi=10,
        source="assumption: one to two visits a week for high need",
        doc="caseload intensity, high need",
    )
    contacts_virtual_ward: float = spec(
        4.0,
        units="contacts per week per virtual-ward patient",
        lo=0,
        hi=20,
        source="assumption: daily remote and home review",
        doc="virtual-ward intensity",
    )
    contacts_proactive: float = spec(
        0.15,
        units="contacts per week per proactive-care patient",
        lo=0,
        hi=5,
        source="assumption: a review every six to seven weeks",
        doc="proactive care intensity",
    )
    contacts_outreach: float = spec(
        1.0,
        units="contacts per Place outreach visit",
        lo=0.1,
        hi=10,
        source="assumption: one home visit or outreach contact",
        doc="Place outreach intensity",
    )
    social_care_task_contacts: float = spec(
        3.5,
        units="contacts per week a caseload patient who needs a care package and has none takes for personal and "
        "social-care tasks",
        lo=0,
        hi=10,
        source="mechanism 10 (001 §2): district nurses are 'undertaking work that was previously done by social care "
        "workers because of cuts to local authority funding of social care'; 001 §2's patient story: the task is "
        "daily ('he will require medication prompting every day', which the district nursing team refers to the "
        "council's carers), so a team that takes it on visits every day; assumption: a prompting visit takes half "
        "a clinical contact's time (7 x 0.5)",
        doc="district nurses doing social-care work",
    )
    social_care_need_frailty: float = spec(
        0.36,
        units="eFI",
        lo=0,
        hi=1,
        source="assumption: people with severe frailty (eFI over 0.36, the electronic frailty index's top band) "
        "need help with daily living; the council's packages go to the frailest, whose median eFI in the model "
        "is about 0.37",
        doc="who needs a care package",
    )
    contacts_discharge_start: float = spec(
        2.0,
        units="contacts to set up a supported discharge",
        lo=0,
        hi=10,
        source="assumption: an assessment and a first visit to set up a supported discharge",
        doc="discharge support",
    )
    discharge_start_weekly: float = spec(
        0.45,
        units="probability per week a supported discharge is set up, capacity allowing",
        lo=0.01,
        hi=1,
        source="calibrated (abm validate): delays hold ~13% of bed days (national statistics); assumption: referral, "
        "assessment and first visit take days",
        doc="discharge-support delay",
    )
    contacts_urgent_response: float = spec(
        2.0,
        units="contacts per 2-hour urgent response",
        lo=0,
        hi=10,
        source="assumption: a 2-hour response visit and a follow-up",
        doc="urgent community response",
    )
    urgent_response_avert: float = spec(
        0.3,
        units="probability a responded crisis is managed at home",
        lo=0,
        hi=1,
        source="mechanism 18 (000, 002): community activity's effect on admissions is real but modest",
        doc="UCR effect",
    )
    proactive_min_frailty: float = spec(
        0.2,
        units="eFI",
        lo=0,
        hi=1,
        source="assumption: case-finding targets moderate frailty",
        doc="who is offered proactive care",
    )
    rationing_weekly: float = spec(
        0.25,
        units="probability per week a low-need referral is turned away when over capacity",
        lo=0,
        hi=1,
        source="mechanism 3 (001): thresholds rise under pressure",
        doc="rationing",
    )
    virtual_ward_beds_per_100k: float = spec(
        20.0,
        units="virtual-ward places per 100,000 people at baseline add-on funding",
        lo=0,
        hi=500,
        source=NAT + ": ~12,000 virtual-ward places in England",
        doc="add-on capacity",
    )
    virtual_ward_step_down_weekly: float = spec(
        0.5,
        units="probability per week a virtual-ward patient steps down to the caseload",
        lo=0.01,
        hi=1,
        source="assumption: virtual-ward stays last one to three weeks",
        doc="virtual-ward length of stay",
    )
    virtual_ward_avert: float = spec(
        0.4,
        units="probability a crisis given a virtual-ward place is managed at home",
        lo=0,
        hi=1,
        source="001 §4: Bradford virtual ward saved 4,612 bed days; mechanism 18: effects modest; value assumption",
        doc="virtual ward effect (step-up from urgent response)",
    )
    virtual_ward_step_down_from_acute: float = spec(
        0.3,
        units="probability per week an inpatient not yet fit moves to a free virtual-ward place",
        lo=0,
        hi=1,
        source="001 §4: Bradford virtual ward saved 4,612 bed days (early supported discharge); rate assumption",
        doc="virtual ward effect (step-down from hospital)",
    )
    addon_duplicate_contacts: float = spec(
        0.5,
        units="core CHS contacts per week per virtual-ward patient of a non-integrated practice",
        lo=0,
        hi=10,
        source="mechanism 17 (000 Results): parallel teams duplicate home visits ('a UCRT nurse..., a virtual "
        "frailty nurse and a district nurse going into one person's home'); size assumption",
        doc="add-on schemes duplicate core visits",
    )
    integration_productivity: float = spec(
        0.1,
        units="more contacts per FTE when all a team's practices are integrated",
        lo=0,
        hi=1,
        source="mechanism 12 (001, 004 §7): fewer duplicate assessments, better referral; size assumption",
        doc="integration effect on CHS productivity",
    )
    # ---- each team's own productivity (004 §4: fourfold variation in contacts per WTE) ----
    productivity_spread: float = spec(
        0.38,
        units="standard deviation of the log of a team's contacts per FTE (its own ways of working), drawn once",
        lo=0,
        hi=1,
        source="004 §4 (Jones and Russell 2007): a fourfold variation in contacts per WTE across 22 district "
        "nursing teams, not explained by case mix (caseload management, recording, travel and skill mix are "
        "the reasons given); the log-normal shape is an assumption, its spread set so that the highest team's "
        "rate is about four times the lowest's among the 23 teams of a 900,000-person ICS (median 3.95 when each "
        "Place's teams average the calibrated contacts_per_fte_week, as the model scales them)",
        doc="CHS teams' productivity varies",
    )
    # ---- caseloads kept without review (004 §4: why contacts per WTE vary) ----
    kept_review_weekly: float = spec(
        0.125,
        units="share a week of people kept on a caseload they no longer need who are discharged at a review",
        lo=0.01,
        hi=1,
        source="004 §4 (Audit Commission 1999): teams that do not systematically review their clients keep "
        "people on the caseload who no longer need to be; a review about every eight weeks is an assumption",
        doc="caseloads kept without review",
    )
    contacts_kept: float = spec(
        0.5,
        units="contacts per week for a person kept on a caseload they no longer need",
        lo=0,
        hi=5,
        source="assumption: the low-need visit rate (contacts_low), a fortnightly visit carried on",
        doc="caseloads kept without review",
    )
    acute_host_discharge_multiplier: float = spec(
        1.3,
        units="multiplier on discharge_start_weekly when CHS is inside the acute trust",
        lo=1,
        hi=5,
        source="DESIGN 4: inside an acute trust hospital discharge links are better; size assumption",
        doc="hosting and discharge",
    )
    collaborative_staff_sharing: float = spec(
        0.25,
        units="share of each team's capacity pooled across the ICS by demand in a provider collaborative",
        lo=0,
        hi=1,
        source="DESIGN 4: a provider collaborative shares staff across Places; size assumption",
        doc="staff sharing",
    )
    outcome_proactive_reserve: float = spec(
        0.1,
        units="share of core capacity kept for proactive care under an outcome contract",
        lo=0,
        hi=1,
        source="mechanism 3 (001: 'it is always the prevention activity that gets reduced'); outcome contracts "
        "reward prevention; size assumption",
        doc="outcome contracts protect prevention",
    )
    case_finding_weekly: float = spec(
        0.3,
        units="probability per week a proactive-care patient with unsought need is prompted to seek care",
        lo=0,
        hi=1,
        source="001 §4: population health management finds people at risk; size assumption",
        doc="proactive care finds hidden need",
    )
    virtual_ward_admit_weekly: float = spec(
        0.08,
        units="probability per week a virtual-ward patient is admitted",
        lo=0,
        hi=1,
        source="assumption: a minority of virtual-ward patients (~1 in 3 over a 4-week stay) still need a bed",
        doc="virtual-ward failure",
    )


@dataclass
class AcuteParams:
    """Acute trusts: ED, beds, flow and finance."""

    bed_adjustment_per_year: float = spec(
        0.5,
        units="share of the gap between the beds the money pays for and the beds open closed in a year",
        lo=0.01,
        hi=1,
        source="assumption: opening or closing a ward takes months (staff, estate), and cuts of acute activity "
        "are hard to realise (002: double running; 000: difficult to move money between sectors)",
        doc="how fast beds follow the money",
    )
    beds_per_1000: float = spec(
        2.1,
        units="general and acute beds per 1,000",
        lo=0.1,
        hi=20,
        source=NAT + ": ~1.8 G&A beds per 1,000 (plus elective share)",
        doc="bed base",
    )
    los_days_by_age: list[float] = spec(
        [2.3, 3.5, 5.0, 6.8, 8.0],
        units="mean length of stay in days until medically fit, bands 0-17, 18-64, 65-74, 75-84, 85+",
        source="calibrated (abm validate) to " + NAT + ": ~5-6 days on average including delays, 9-10 over 75",
        doc="length of stay by age",
        lo=0.1,
        hi=100,
    )
    los_frailty_slope: float = spec(
        1.5,
        units="relative increase per unit frailty",
        lo=0,
        hi=10,
        source="assumption: frailty lengthens stays (DESIGN 4)",
        doc="length of stay by frailty",
    )
    los_frailty_reference: float = spec(
        0.1,
        units="frailty at which a stay is the mean for its age band",
        lo=0,
        hi=1,
        source="assumption: about the population's median frailty (eFI fit)",
        doc="frailty of a typical stay",
    )
    los_frailty_floor: float = spec(
        0.3,
        units="smallest multiplier of the age band's mean stay for the least frail",
        lo=0.01,
        hi=1,
        source="assumption: even the fittest patients stay some days",
        doc="shortest stay relative to the mean",
    )
    los_gamma_shape: float = spec(
        1.5,
        units="gamma shape of length of stay around its mean (coefficient of variation 1 / sqrt(shape))",
        lo=0.2,
        hi=20,
        source="assumption: length of stay is right-skewed, with a long tail of long stays",
        doc="spread of length of stay",
    )
    admit_crisis: list[float] = spec(
        [0.62, 0.6],
        units="admission probability for a crisis: base, per unit frailty",
        source="calibrated to ~110-120 emergency admissions per 1,000 a year (national statistics)",
        doc="admission threshold, crisis",
        lo=0,
        hi=2,
    )
    admit_referred: list[float] = spec(
        [0.35, 0.6],
        units="admission probability for a referral: base, per unit frailty",
        source="assumption: a referred patient is admitted about half the time, more often when frail",
        doc="admission threshold, referral",
        lo=0,
        hi=2,
    )
    block_payment_admission_multiplier: float = spec(
        0.93,
        units="multiplier on admission probability when the acute trust is on a block (aligned) payment",
        lo=0.5,
        hi=1,
        source="DESIGN 4: activity-based payment lowers the admission threshold; size assumption",
        doc="acute payment and admissions",
    )
    alternatives_admission_multiplier: float = spec(
        0.9,
        units="multiplier when the patient's CHS team has spare capacity",
        lo=0,
        hi=1,
        source="mechanism 18: alternatives avert some admissions (modest)",
        doc="alternatives to admission",
    )
    support_need_base: float = spec(
        0.02,
        units="probability",
        lo=0,
        hi=1,
        source="assumption: the fit young rarely need support at discharge; frailty drives it (DESIGN 4)",
        doc="discharge needs support, base",
    )
    support_need_per_frailty: float = spec(
        1.0,
        units="probability per unit frailty",
        lo=0,
        hi=5,
        source="DESIGN 4: discharge support in proportion to frailty",
        doc="discharge needs support, frailty term",
    )
    support_need_max: float = spec(
        0.9,
        units="largest probability",
        lo=0,
        hi=1,
        source="assumption: some of the frailest go home without new support",
        doc="cap on discharge needing support",
    )
    social_care_share: list[float] = spec(
        [0.45, 1.0],
        units="share of supported discharges needing social care: base, per unit frailty",
        source="mechanism 10 (001 §2): most delays wait for community or social care; calibrated so a social-care cut "
        "raises delays",
        doc="social care vs CHS support",
        lo=0,
        hi=2,
    )
    flow_occupancy: float = spec(
        0.92, units="occupancy above which flow slows", lo=0.5, hi=1, source="DESIGN 4 (~92%)", doc="flow threshold"
    )
    los_slowdown: float = spec(
        0.4,
        units="relative LOS increase at 100% occupancy",
        lo=0,
        hi=3,
        source="assumption: crowding slows flow",
        doc="slower flow under pressure",
    )
    elective_bed_days_per_1000_year: float = spec(
        130.0,
        units="bed days per 1,000 per year",
        lo=0,
        hi=2000,
        source="assumption: elective share of G&A bed use",
        doc="elective demand for beds",
    )
    bed_wait_extra_los_days: float = spec(
        1.0,
        units="days added to the coming stay for each week spent waiting for a bed",
        lo=0,
        hi=14,
        source="assumption: patients deteriorate and decondition while they wait (DESIGN 4: corridor care)",
        doc="harm of waiting for a bed: a longer stay",
    )
    corridor_discharge_weekly: float = spec(
        0.5,
        units="probability per week a patient waiting in ED for a bed is managed without one",
        lo=0,
        hi=1,
        source="assumption: same-day emergency care and discharge with follow-up when no bed comes",
        doc="corridor waits end",
    )
    corridor_premium_gbp: float = spec(
        200.0,
        units="£ extra per corridor-care patient week",
        lo=0,
        hi=5000,
        source="assumption: corridor care costs about half a bed day's ~£400 extra each week",
        doc="cost of crowding",
    )
    cost_fixed_share: float = spec(
        0.75,
        units="share of the payment that is cost whatever the occupancy",
        lo=0,
        hi=1,
        source="assumption: most hospital cost is fixed (staff, estate); the rest scales with occupancy",
        doc="acute cost, fixed part",
    )
    cost_reference_occupancy: float = spec(
        0.9,
        units="occupancy at which cost equals the payment",
        lo=0.1,
        hi=1,
        source="assumption: payments cover cost at the usual ~90% occupancy (national statistics: usually 90-95%); "
        "cost = payment x (cost_fixed_share + (1 - cost_fixed_share) x occupancy / this)",
        doc="acute cost, break-even occupancy",
    )
    initial_occupancy: float = spec(
        0.9,
        units="share of bed-days used, before the first week",
        lo=0,
        hi=1,
        source="national statistics: occupancy usually 90-95%",
        doc="starting occupancy",
    )
    # --- elective planning (issue 15: planned care that is delivered) ---
    elective_forecast_halflife_weeks: float = spec(
        4.0,
        units="weeks: half-life of the moving average of emergency bed-days the trust plans its elective lists from",
        lo=0.1,
        hi=52,
        source="assumption: bed managers book elective lists a few weeks ahead from the recent bed state (DESIGN 4: "
        "electives run below the flow threshold; winter planning books fewer electives when emergencies are high)",
        doc="elective planning: how far back the emergency forecast looks",
    )


@dataclass
class SocialCareParams:
    """Councils: social care and public health."""

    packages_per_1000: float = spec(
        14.0,
        units="concurrent care packages per 1,000 people",
        lo=0,
        hi=100,
        source=NAT + ": ~0.8m adults on long-term social care",
        doc="social-care capacity",
    )
    package_weeks: float = spec(
        78.0,
        units="mean weeks a package lasts",
        lo=1,
        hi=1000,
        source="assumption: long-term home-care packages last about eighteen months on average",
        doc="package duration",
    )
    initial_package_fill: float = spec(
        0.9,
        units="share of each council's packages held at the start",
        lo=0,
        hi=1,
        source="assumption: councils run near capacity; the frailest older residents hold the packages",
        doc="packages in use at the start",
    )
    package_start_weekly: float = spec(
        0.35,
        units="probability per week a free package starts for a waiting inpatient",
        lo=0.01,
        hi=1,
        source="calibrated (abm validate) so delays hold ~13% of bed days (national statistics: ~12-14% of G&A beds "
        "hold medically fit patients, most waiting for community or social-care support)",
        doc="social-care assessment and brokerage delay",
    )
    self_arranged_weekly: float = spec(
        0.1,
        units="probability per week a patient waiting for a package leaves with self-funded or family care",
        lo=0,
        hi=1,
        source="assumption: self-funders and family carers take some delayed patients home",
        doc="delays end without a council package",
    )
    community_fill_weekly: float = spec(
        0.4,
        units="share of free packages given to people at home each week",
        lo=0,
        hi=1,
        source="assumption: councils also serve people not leaving hospital",
        doc="community starts",
    )
    budget_per_head_gbp: float = spec(
        300.0,
        units="£ per head per year",
        lo=0,
        hi=5000,
        source="001 Introduction: £16.97bn adult social care (2015/16)",
        doc="council budget",
    )
    public_health_elasticity: float = spec(
        0.05,
        units="onset falls by (multiplier^elasticity)",
        lo=0,
        hi=1,
        source="mechanism 16 (003): public-health spending lowers onset; size assumption (small)",
        doc="public health effect",
    )


@dataclass
class CommissionerParams:
    """The ICB and Place commissioners: budget, and how the allocation moves (agents/commissioner.py)."""

    budget_per_head_gbp: float = spec(
        1800.0,
        units="£ per head per year",
        lo=0,
        hi=20000,
        source="001 Introduction: £99bn NHS England spend (2014/15)",
        doc="ICB allocation",
    )
    shares: list[float] = spec(
        [0.54, 0.115, 0.005, 0.23, 0.11],
        units="share of budget: acute, core CHS, add-on schemes, primary care, other (not modelled)",
        source="001 Introduction: acute 54%, CHS ~12% (incl. add-ons), primary 23% (2014/15); add-on share: "
        "national statistics, approximate (~£450m a year for ~12,000 virtual-ward places, ~£40k a place)",
        doc="allocation at the start (national shares)",
        lo=0,
        hi=1,
        weights=True,
    )
    growth_pct_year: float = spec(
        2.0,
        units="% per year, in real terms (the model's £ are at the starting year's prices)",
        lo=-10,
        hi=20,
        source="national statistics, approximate: NHS England's day-to-day budget grew about 2% a year in real "
        "terms from 2010/11 to 2023/24 (about 1% a year in the 2010s, more since 2019; the long-run average is "
        "about 3.6%)",
        doc="budget growth",
    )
    capacity_cost_growth_pct_year: float = spec(
        1.0,
        units="% per year: the rise in the real cost of the same capacity (a bed, a nurse, an appointment)",
        lo=-10,
        hi=20,
        source="national statistics, approximate: health spending projections add about 1% a year of "
        "non-demographic cost pressure (pay above inflation, new treatments) to the cost of the same care; "
        "so the default money buys about 1% more capacity a year, close to the growth of demand with ageing",
        doc="rising cost of capacity",
    )
    acute_gravity: float = spec(
        0.04,
        units="share of a squeezable budget moved to acute per year per unit of acute pressure",
        lo=0,
        hi=1,
        source="mechanism 2 (001, 004 §6, 002): acute pressure pulls money to acute, CHS the 'Cinderella'; size "
        "assumption",
        doc="acute gravity",
    )
    squeeze_by_sector: list[float] = spec(
        [0.0, 1.0, 0.5, 0.2, 0.5],
        units="how easily acute gravity takes money: acute, core CHS, add-on, primary, other (0-1)",
        source="mechanism 1 (001 §2): block-funded CHS is 'easier to squeeze'; add-ons report results; GP contracts "
        "are national; values an assumption",
        doc="exposure to acute gravity by sector",
        lo=0,
        hi=1,
    )
    squeeze_by_contract: list[float] = spec(
        [1.0, 0.5, 0.5],
        units="multiplier on core CHS's exposure: block, activity, outcome contract",
        source="mechanism 1 (001 §2, 000 Results): block funding makes the consequences of cuts invisible; values "
        "assumption",
        doc="contracts and acute gravity",
        lo=0,
        hi=3,
    )
    squeeze_by_host: list[float] = spec(
        [0.5, 1.0, 0.75],
        units="multiplier on core CHS's exposure: standalone, inside an acute trust, collaborative",
        source="DESIGN 4 (000 case studies): a standalone trust protects its budget; inside an acute trust it is "
        "raided",
        doc="host and acute gravity",
        lo=0,
        hi=3,
    )
    discretionary_share_of_growth: float = spec(
        0.5,
        units="share of growth money allocated on perceived value (the rest pro rata)",
        lo=0,
        hi=1,
        source="assumption: most growth covers rising costs; part is discretionary (DESIGN 4)",
        doc="discretionary money",
    )
    community_value_per_gbp: float = spec(
        1.5,
        units="perceived admissions avoided per £ relative to the average sector, when fully visible",
        lo=0,
        hi=10,
        source="mechanism 4 (000 Results): schemes that evidence avoided admissions attract investment; size "
        "assumption",
        doc="perceived value of community money",
    )
    outcome_data_bonus: float = spec(
        0.3,
        units="added to data_quality under an outcome contract (capped at 1)",
        lo=0,
        hi=1,
        source="assumption: outcome contracts measure outcomes, making core CHS's impact more visible (001 §3 "
        "South Warwickshire moving to an outcomes-based contract)",
        doc="outcome contracts and data",
    )
    demand_following_cap: float = spec(
        0.15,
        units="largest change in core CHS funding a year under activity/outcome contracts (share)",
        lo=0,
        hi=1,
        source="DESIGN 4: under an outcome/capitated contract capacity can flex with demand; cap an assumption",
        doc="contracts that follow demand",
    )
    core_share_max: float = spec(
        0.9,
        units="largest share of a Place's budget core CHS can reach by following demand",
        lo=0,
        hi=1,
        source="assumption: keeps money for the other sectors under activity and outcome contracts",
        doc="cap on demand-following",
    )
    double_running_share: float = spec(
        0.25,
        units="share of non-recurrent money that buys no capacity",
        lo=0,
        hi=1,
        source="mechanism 6 (002): 'double running services with non-recurrent funding'; size assumption",
        doc="double running",
    )
    host_raid_pct: float = spec(
        4.0,
        units="% of core CHS money moved to acute per unit of acute pressure",
        lo=0,
        hi=100,
        source="DESIGN 4 (000 case studies): inside an acute trust CHS money is raided under pressure; size assumption",
        doc="raiding a hosted CHS budget",
    )
    transition_capacity_loss_pct: float = spec(
        4.0,
        units="% of community and primary money that buys no capacity during delegation's transition",
        lo=0,
        hi=100,
        source="mechanisms 7, 19 (000, 003): reorganisation loses skilled commissioners, relationships and monitoring; "
        "size assumption",
        doc="transition cost",
    )
    need_weighting: float = spec(
        1.0,
        units="exponent on a Place's need index in its budget after delegation",
        lo=0,
        hi=5,
        source="mechanism 8 (000): Place commissioning brings fine-grained needs analysis; size assumption",
        doc="budgets that follow need",
    )
    culture_years: float = spec(
        3.0,
        units="years after the transition for Place working to mature",
        lo=0,
        hi=30,
        source="mechanism 15 (001 §5): change takes years (Canterbury a decade); value assumption",
        doc="culture change",
    )
    place_proactive_targeting: float = spec(
        0.3,
        units="priority added to proactive care per deprivation quintile (x maturity x data_quality)",
        lo=0,
        hi=5,
        source="mechanism 8 (000 Results): Place teams use population-health data for 'risk stratification to "
        "determine priorities'; scaled by how usable the data is; size assumption",
        doc="Place targets proactive care by deprivation",
    )
    place_outreach_share: float = spec(
        0.03,
        units="share of each CHS team's core contacts set aside for Place outreach once Place has matured (x maturity)",
        lo=0,
        hi=0.5,
        source="mechanism 8 (000 Results): needs analysis 'must be translated into action with the corresponding "
        "financial and staff resources'; size assumption (about 4 FTE of a 40,000-person team)",
        doc="Place outreach costs CHS staff time",
    )
    outreach_quintiles: int = spec(
        2,
        units="most deprived deprivation quintiles Place outreach covers",
        lo=1,
        hi=5,
        source="mechanism 8 (000): fine-grained needs analysis across small (deprived) areas; assumption",
        doc="where Place outreach goes",
    )


@dataclass
class Parameters:
    """All calibrated parameters, grouped by actor."""

    demography: DemographyParams = spec(DemographyParams())
    need: NeedParams = spec(NeedParams())
    gp: GPParams = spec(GPParams())
    chs: CHSParams = spec(CHSParams())
    acute: AcuteParams = spec(AcuteParams())
    social_care: SocialCareParams = spec(SocialCareParams())
    commissioner: CommissionerParams = spec(CommissionerParams())
