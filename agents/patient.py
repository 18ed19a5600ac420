"""Patients: who they are and their weekly rules, written once as array operations.

The hazard functions at the top are pure: they take ages, frailties, settings...
as numpy arrays *or* plain scalars, so the vectorised engine (below) and the
object-per-patient reference (``agents/reference.py``) apply exactly the same
rules.  Each names what it models and its evidence (see ``abm/parameters.py``
for every number's source).

Weekly order (called by ``abm.model.ICSModel.step``):
``demography`` (ageing, deaths, migration, births) → ``need`` (onset,
escalation, resolution) → ``seek_care``.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from abm.parameters import DemographyParams, NeedParams
from abm.population import (
    AGE_BAND_EDGES,
    AGE_BAND_TABLE,
    N_SETTINGS,
    Acuity,
    Setting,
    by_setting,
    is_alive,
    is_in_need,
    is_outside_hospital,
)
from abm.streams import Decision
from abm.units import WEEKS_PER_YEAR
from agents import chs_team


def weekly_prob(rate_per_year):
    """Probability of at least one event in a week for an annual rate."""
    return -np.expm1(-np.asarray(rate_per_year) / np.float32(WEEKS_PER_YEAR))


# ---------------------------------------------------------------------------
# Pure hazard functions (arrays or scalars)
# ---------------------------------------------------------------------------


NO_IMPROVEMENT = np.float32(1.0)


def death_prob(age, frailty, setting, acuity, weeks_in_setting, p: DemographyParams, improvement=NO_IMPROVEMENT):
    """Weekly death probability.

    Gompertz mortality by age (national life tables, approximate), multiplied by
    frailty (eFI predicts death, assumption), plus the danger of a crisis outside
    hospital and of being an inpatient (DESIGN 4: higher in untreated crisis).  A patient
    waiting in ED for a bed (decided to admit in an earlier week) is as ill as an inpatient and
    also in danger from the wait, more the longer it has been (``bed_wait_death_per_week`` for each
    week waited; size an assumption): so a full hospital harms the people it cannot admit.
    The age-and-frailty risk falls over the years by ``improvement`` (:func:`mortality_improvement`).
    """
    weekly = baseline_death_weekly(age, frailty, p) * improvement
    crisis_outside = (acuity == Acuity.CRISIS.value) & is_outside_hospital(setting)
    in_bed = setting == Setting.ACUTE_BED.value
    waiting = setting == Setting.ED.value
    return (
        weekly
        + crisis_outside * p.crisis_death_weekly
        + (in_bed | waiting) * (p.inpatient_death_weekly + p.inpatient_death_per_frailty * frailty)
        + waiting * (p.bed_wait_death_per_week * np.asarray(weeks_in_setting, dtype=np.float32))
    )


def mortality_improvement(reporting_week: int, p: DemographyParams) -> np.float32:
    """The factor on everyone's age-and-frailty death risk ``reporting_week`` weeks into the reporting years:
    it falls by ``mortality_improvement_pct_year`` a year from the start of reporting (1 during the burn-in),
    as England's age-specific mortality has fallen, so deaths track the country's as the population ages."""
    years = max(reporting_week, 0) / WEEKS_PER_YEAR
    return np.float32((1 - p.mortality_improvement_pct_year / 100) ** years)


def baseline_death_weekly(age, frailty, p: DemographyParams):
    """Weekly death probability by age and frailty alone (Gompertz x frailty).

    A person's risk at home, out of crisis.
    """
    annual = np.minimum(
        gompertz_table(p.gompertz_log_base, p.gompertz_slope)[age]
        * (p.frailty_death_base + p.frailty_death_slope * frailty),
        np.float32(p.death_annual_cap),
    )
    return annual / np.float32(WEEKS_PER_YEAR)


@functools.lru_cache(maxsize=16)
def gompertz_table(log_base: float, slope: float) -> np.ndarray:
    """Annual death probability by single year of age (0..255) before frailty: exp(log_base + slope x age)."""
    return np.exp(log_base + slope * np.arange(256)).astype(np.float32)


@functools.lru_cache(maxsize=16)
def onset_tables(by_band: tuple, per_ltc: float, deprivation: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lookup tables (float32) for onset: annual rate by single year of age, LTC multiplier, deprivation multiplier."""
    by_age = np.asarray(by_band, dtype=np.float32)[AGE_BAND_TABLE]
    by_ltc = (1.0 + per_ltc * np.arange(256)).astype(np.float32)
    return by_age, by_ltc, np.asarray(deprivation, dtype=np.float32)


def onset_prob(age, ltc, deprivation, proactive, place_factor, p: NeedParams):
    """Weekly probability a well person develops a new episode of need.

    Rises with age (004 §5) and long-term conditions, with deprivation (assumption:
    social gradient), and falls with proactive care (mechanism 3, modest) and public
    health (via ``place_factor``, which also carries the demand lever).
    """
    return onset_prob_from_base(onset_base_rate(age, ltc, deprivation, p), proactive, place_factor, p)


def onset_base_rate(age, ltc, deprivation, p: NeedParams):
    """Annual onset rate by age, long-term conditions and deprivation (before proactive care and the Place)."""
    by_age, by_ltc, by_deprivation = onset_tables(
        tuple(p.onset_per_year_by_age), p.onset_per_ltc, tuple(p.deprivation_onset_multiplier)
    )
    return by_age[age] * by_ltc[ltc] * by_deprivation[deprivation]


def onset_prob_from_base(base_rate, proactive, place_factor, p: NeedParams):
    """Weekly onset probability from :func:`onset_base_rate`, proactive care and the Place's factor."""
    rate = base_rate * np.where(proactive, np.float32(p.proactive_onset_multiplier), np.float32(1.0)) * place_factor
    return weekly_prob(rate)


def high_need_share(frailty, p: NeedParams):
    """Share of new episodes that start at high need (frail people present sicker; assumption)."""
    return np.minimum(p.high_need_share_base + p.high_need_share_per_frailty * frailty, p.high_need_share_max)


def care_multiplier(setting, social_care, p: NeedParams, self_care=False):
    """Multiplier on escalation from where a person is.

    Unmet need (at home with need, or waiting) accelerates deterioration (mechanism 3);
    GP management, a CHS caseload and a virtual ward slow it (mechanism 13, modest per
    mechanism 18); a social-care package helps a little (assumption).  A person at home
    managing a minor need with a pharmacist's advice (``self_care``: see :func:`start_episode`
    and :func:`agents.gp_practice.signpost_to_pharmacy`) follows its natural course,
    ``self_care_escalation_multiplier`` (001 §2 'Community pharmacy'; size an assumption).
    """
    table = by_setting(
        {
            Setting.HOME: p.unmet_escalation_multiplier,
            Setting.WAITING_GP: p.unmet_escalation_multiplier,
            Setting.GP_MANAGED: p.escalation_in_care_multiplier[0],
            Setting.WAITING_CHS: p.unmet_escalation_multiplier,
            Setting.CHS_CASELOAD: p.escalation_in_care_multiplier[1],
            Setting.VIRTUAL_WARD: p.escalation_in_care_multiplier[2],
            Setting.ED: 1.0,  # in hospital, need does not evolve under these rules
            Setting.ACUTE_BED: 1.0,
            Setting.DELAYED_DISCHARGE: 1.0,
            Setting.DEAD: 1.0,
            Setting.LEFT: 1.0,
        }
    )
    at_home = np.where(
        np.asarray(self_care) & (np.asarray(setting) == Setting.HOME.value),
        p.self_care_escalation_multiplier,
        table[setting],
    )
    return at_home * np.where(social_care, p.social_care_escalation_multiplier, 1.0)


def is_treated(setting):
    """Receiving care that speeds recovery: GP-managed, on a CHS caseload or a virtual ward."""
    return (setting == Setting.GP_MANAGED) | (setting == Setting.CHS_CASELOAD) | (setting == Setting.VIRTUAL_WARD)


def resolve_prob(acuity, treated, p: NeedParams):
    """Weekly probability need falls one level (low → well, high → low); faster when treated (assumption)."""
    t = np.asarray(treated, dtype=np.int64)
    low = np.asarray(p.resolve_low_weekly)[t]
    high = np.asarray(p.resolve_high_weekly)[t]
    return np.where(acuity == Acuity.LOW, low, np.where(acuity == Acuity.HIGH, high, 0.0))


def escalate_prob(acuity, frailty, multiplier, p: NeedParams):
    """Weekly probability need rises one level (low → high, high → crisis); frailty raises crises."""
    high = p.escalate_high_weekly + p.escalate_high_per_frailty * frailty
    base = np.where(acuity == Acuity.LOW.value, p.escalate_low_weekly, np.where(acuity == Acuity.HIGH.value, high, 0.0))
    return np.minimum(base * multiplier, p.escalate_max_weekly)


def seek_prob(acuity, deprivation, p: NeedParams):
    """Probability an episode will be taken to a GP (not everyone seeks care: hidden unmet need).

    Lower in more deprived quintiles (inverse care law, assumption).
    """
    base = np.where(acuity >= Acuity.HIGH, p.seek_probability[1], p.seek_probability[0])
    return np.clip(base - p.seek_deprivation_penalty * (4 - np.asarray(deprivation, dtype=np.float64)), 0.0, 1.0)


def frailty_after_birthday(new_age, frailty, acquired, p: DemographyParams):
    """Frailty each birthday: it rises as the population's mean eFI rises with age (assumption; keeps the
    age profile stable), and part of what hospital stays added is regained (``frailty_recovery_per_year``:
    deconditioning in hospital is partly reversible; without it each admission's frailty would ratchet
    up for life and the population grow frailer every year at the same ages).

    Returns the new frailty and the part of it still owed to hospital stays (``acquired``)."""
    step = age_curves(p).birthday_frailty_step[new_age]
    regained = np.asarray(acquired, dtype=np.float32) * np.float32(p.frailty_recovery_per_year)
    frailty = np.minimum(
        np.maximum(np.asarray(frailty, dtype=np.float32) - regained, 0.0) + p.frailty_age_drift * step, 1.0
    )
    return frailty.astype(np.float32), (acquired - regained).astype(np.float32)


def long_term_condition_gained(new_age, u, p: DemographyParams):
    """Whether a person gains a long-term condition this birthday: with the probability that the mean
    number by age rises from the year before (``ltc_by_age``), so each cohort accumulates conditions as
    it ages (004 §5: over 60% of over-65s have one) rather than keeping those it had at the start."""
    return u < age_curves(p).birthday_ltc_step[new_age]


def logistic_by_age(age, floor: float, rise: float, midpoint: float, width: float):
    """``floor + rise / (1 + exp(-(age - midpoint) / width))``: a quantity that rises with age to a plateau."""
    return floor + rise / (1.0 + np.exp(-(np.asarray(age, dtype=np.float64) - midpoint) / width))


class AgeCurves(NamedTuple):
    """Curves by whole year of age (ages are uint8), looked up rather than evaluated for each person."""

    frailty_mean: np.ndarray  # mean frailty (``params.demography.frailty_by_age``)
    birthday_frailty_step: np.ndarray  # the rise in mean frailty from the year before
    ltc_mean: np.ndarray  # mean long-term conditions (``params.demography.ltc_by_age``)
    birthday_ltc_step: np.ndarray  # the rise in mean long-term conditions from the year before (0 or more)


def age_curves(p: DemographyParams) -> AgeCurves:
    return _age_curves(tuple(p.frailty_by_age), tuple(p.ltc_by_age))


@functools.lru_cache(maxsize=16)
def _age_curves(frailty_by_age: tuple, ltc_by_age: tuple) -> AgeCurves:
    ages = np.arange(256)
    frailty = logistic_by_age(ages, *frailty_by_age)
    ltc = logistic_by_age(ages, *ltc_by_age)
    curves = AgeCurves(
        frailty,
        frailty - logistic_by_age(ages - 1, *frailty_by_age),
        ltc,
        np.maximum(ltc - logistic_by_age(ages - 1, *ltc_by_age), 0.0).astype(np.float32),
    )
    for table in curves:
        table.flags.writeable = False
    return curves


# ---------------------------------------------------------------------------
# Creating people
# ---------------------------------------------------------------------------


def sample_ages(rng: np.random.Generator, count: int, p: DemographyParams, age_shift: float = 0.0) -> np.ndarray:
    """Ages for a population with the band shares ``p.age_band_shares`` (0-17, 18-64, 65-74, 75-84, 85+):
    within a band, fewer people at each older year, as the model's own mortality leaves them
    (:func:`ages_within_bands`), and an exponential tail above 85."""
    band = choose(rng, p.age_band_shares, count)
    u = rng.random(count)
    age = ages_within_bands(p).searchsorted(u + band, side="right").astype(np.float64)
    old = band == len(AGE_BAND_EDGES)
    age[old] = AGE_BAND_EDGES[-1] + rng.exponential(p.oldest_band_mean_excess_years, size=int(old.sum()))
    age = age + age_shift * rng.random(count) * 2  # an older (younger) Place, spread around the shift
    return np.clip(age, 0, p.initial_age_max).astype(np.uint8)


def ages_within_bands(p: DemographyParams) -> np.ndarray:
    """For each band, the cumulative share of its people by single year of age, offset by the band's number
    (band b's table runs from b to b + 1), so ``table.searchsorted(u + b)`` turns a uniform ``u`` into an age.

    Within a band each year of age holds people in proportion to the share who survive to it under the
    model's mortality at the mean frailty for age (a stationary population): so, starting the run, about as
    many people reach 85 each year as the model's deaths leave, rather than the many more that equal numbers
    at each age from 75 to 84 would send (which made the over-85s grow fastest in the first years)."""
    return _ages_within_bands(
        p.gompertz_log_base,
        p.gompertz_slope,
        p.frailty_death_base,
        p.frailty_death_slope,
        p.death_annual_cap,
        tuple(p.frailty_by_age),
    )


@functools.lru_cache(maxsize=16)
def _ages_within_bands(log_base, slope, death_base, death_slope, cap, frailty_by_age) -> np.ndarray:
    ages = np.arange(256)
    frailty = logistic_by_age(ages, *frailty_by_age)
    deaths = np.minimum(gompertz_table(log_base, slope) * (death_base + death_slope * frailty), cap)
    survival = np.concatenate([[1.0], np.cumprod(1.0 - deaths)[:-1]])
    band = AGE_BAND_TABLE.astype(np.int64)
    table = np.zeros(256)
    for b in range(len(AGE_BAND_EDGES)):
        here = band == b
        cumulative = np.cumsum(survival[here]) / survival[here].sum()
        table[here] = b + cumulative
    table[band == len(AGE_BAND_EDGES)] = np.inf  # the oldest band is drawn apart
    return _read_only(table)


def new_person_attributes(model, rng: np.random.Generator, ages: np.ndarray, places: np.ndarray) -> dict:
    """Attributes of new people of given ages and Places (used at start, for births and migration), drawn
    from ``rng`` (the stream of the people arriving: see :meth:`abm.streams.Streams.generator`)."""
    count = len(ages)
    practice = np.empty(count, dtype=np.uint16)
    deprivation = np.empty(count, dtype=np.uint8)
    for k, spec in enumerate(model.scenario.places):
        here = (places == k).nonzero()[0]
        if here.size == 0:
            continue  # an empty Place draws nothing (so takes no random numbers)
        own = model.topology.practices_of_place[k]
        # with one practice everyone registers there: rng.integers(0, 1) takes no random numbers either
        practice[here] = own[0] if len(own) == 1 else own[rng.integers(0, len(own), size=len(here))]
        deprivation[here] = choose(rng, spec.deprivation_shares, len(here))
    p = model.params.demography
    curves = age_curves(p)
    mean = curves.frailty_mean[ages]
    kappa = p.initial_frailty_concentration
    frailty = rng.beta(mean * kappa, (1.0 - mean) * kappa).astype(np.float32)
    return {
        "age": ages,
        "sex": rng.integers(0, 2, size=count, dtype=np.uint8),
        "place": places.astype(np.uint8),
        "practice": practice,
        "team": model.topology.practice_team[practice],
        "deprivation": deprivation,
        "frailty": frailty,
        "ltc": np.minimum(rng.poisson(curves.ltc_mean[ages]), p.initial_ltc_max).astype(np.uint8),
        "acuity": Acuity.WELL,
        "setting": Setting.HOME,
        "entered_week": model.week_number,
    }


def sample_places(model, rng: np.random.Generator, count: int) -> np.ndarray:
    return choose(rng, [p.population_share for p in model.scenario.places], count)


def choose(rng: np.random.Generator, weights, count: int) -> np.ndarray:
    """``count`` categories drawn in proportion to ``weights``: the same draws, from the same random
    numbers, as ``rng.choice(len(weights), size=count, p=weights / sum(weights))``, without its
    checks of ``p`` (which cost more than the draw when a week brings a handful of people)."""
    return choice_cdf(tuple(weights)).searchsorted(rng.random(count), side="right")


@functools.lru_cache(maxsize=64)
def choice_cdf(weights: tuple) -> np.ndarray:
    """The cumulative probabilities ``rng.choice`` searches for ``p = weights / sum(weights)``."""
    p = np.asarray(weights, dtype=np.float64)
    cdf = (p / p.sum()).cumsum()
    cdf /= cdf[-1]
    return _read_only(cdf)


def create_population(model, count: int) -> None:
    """The starting population: ages by Place, then attributes (a stream of its own, which no lever touches)."""
    rng = model.streams.generator(Decision.INITIAL_POPULATION, week=0)
    places = np.sort(sample_places(model, rng, count))
    ages = np.empty(count, dtype=np.uint8)
    for k, spec in enumerate(model.scenario.places):
        here = places == k
        ages[here] = sample_ages(rng, int(here.sum()), model.params.demography, spec.age_shift_years)
    attributes = new_person_attributes(model, rng, ages, places)
    attributes["entered_week"] = -1
    model.pop.add(count, **attributes)


def entries_this_week(model, alive_count: int) -> tuple[int, int]:
    """Births and in-migrants this week (Poisson, per head; national statistics / assumption)."""
    p = model.params.demography
    births = model.streams.poisson(Decision.BIRTHS_COUNT, p.births_per_1000_year * alive_count / 1000 / WEEKS_PER_YEAR)
    movers_in = model.streams.poisson(
        Decision.IN_MIGRATION_COUNT, p.in_migration_per_1000_year * alive_count / 1000 / WEEKS_PER_YEAR
    )
    return births, movers_in


def add_entrants(model, births: int, movers_in: int) -> np.ndarray:
    """Add babies (age 0) and in-migrants (ages ``params.demography.mover_ages``); return their ids."""
    if births + movers_in == 0:
        return np.empty(0, dtype=np.int64)
    rng = model.streams.generator(Decision.NEW_PEOPLE)
    youngest, oldest = sorted(model.params.demography.mover_ages)
    movers_ages = rng.integers(youngest, oldest + 1, size=movers_in).astype(np.uint8)
    ages = np.concatenate([np.zeros(births, dtype=np.uint8), movers_ages])
    idx = model.pop.add(ages.size, **new_person_attributes(model, rng, ages, sample_places(model, rng, ages.size)))
    model.counters["entered"] += ages.size
    return idx


# ---------------------------------------------------------------------------
# The vectorised weekly rules
# ---------------------------------------------------------------------------


def demography(model) -> None:
    """Ageing (a 52nd of people have a birthday each week; frailty rises with age), deaths, out-migration,
    births and in-migration."""
    pop, p = model.pop, model.params.demography
    birthdays(model)
    alive_count = int(np.count_nonzero(is_alive(pop.setting)))
    died = draw_deaths(model, model.streams.everyone32(Decision.DEATH, pop.n))
    record_deaths(model, died)
    pop.move(died, Setting.DEAD)

    movers_out = model.streams.poisson(
        Decision.OUT_MIGRATION_COUNT, p.out_migration_per_1000_year * alive_count / 1000 / WEEKS_PER_YEAR
    )
    leaving = pick_movers_out(model, movers_out)
    pop.move(leaving, Setting.LEFT)
    model.counters["left"] += leaving.size

    births, movers_in = entries_this_week(model, alive_count - died.size)
    add_entrants(model, births, movers_in)


def birthdays(model) -> None:
    """A 52nd of the living (every 52nd row, in turn) are a year older: frailty rises along the age profile
    (less what they regain of hospital stays' deconditioning) and some gain a long-term condition."""
    pop, p = model.pop, model.params.demography
    birthday = slice(model.week_number % WEEKS_PER_YEAR, pop.n, WEEKS_PER_YEAR)
    alive_b = is_alive(pop.setting[birthday])
    idx = np.arange(birthday.start, pop.n, WEEKS_PER_YEAR)[alive_b]
    ages = pop.age[birthday]
    ages[alive_b] = np.minimum(ages[alive_b] + 1, p.age_max)
    frail, acquired = pop.frailty[birthday], pop.frailty_acquired[birthday]
    frail[alive_b], acquired[alive_b] = frailty_after_birthday(ages[alive_b], frail[alive_b], acquired[alive_b], p)
    gained = long_term_condition_gained(ages[alive_b], model.streams.uniform32(Decision.LONG_TERM_CONDITION, idx), p)
    ltc = pop.ltc[birthday]
    ltc[alive_b] = np.minimum(ltc[alive_b].astype(np.int16) + gained, 255).astype(np.uint8)
    pop.mark_changed(idx)


def base_rates(model) -> dict[str, np.ndarray]:
    """Cached per-person rates, recomputed only for people who entered, had a birthday or
    changed frailty (see ``Population.derived``): ``death``, the weekly death probability
    at home out of crisis (:func:`baseline_death_weekly`), and ``onset_bound``, a bound on
    the weekly onset probability when no Place's factor exceeds 1 (:func:`onset_bound`)."""
    pop, p = model.pop, model.params

    def compute(idx):
        age = pop.age[idx]
        return {
            "death": baseline_death_weekly(age, pop.frailty[idx], p.demography),
            "onset_bound": onset_base_rate(age, pop.ltc[idx], pop.deprivation[idx], p.need) * onset_bound(p.need),
        }

    return pop.derived("patient", compute)


def onset_bound(p: NeedParams) -> np.float32:
    """A factor that takes an annual :func:`onset_base_rate` above the weekly :func:`onset_prob`
    for any Place factor up to 1: ``1 - exp(-x) <= x``, with 0.1% to spare for rounding."""
    return np.float32(max(p.proactive_onset_multiplier, 1.0) / WEEKS_PER_YEAR * 1.001)


def draw_deaths(model, u: np.ndarray) -> np.ndarray:
    """Who dies this week: people alive whose uniform ``u`` falls below their :func:`death_prob`.

    Most people's probability is their cached baseline; :func:`death_prob` is
    evaluated in full only for those in crisis, in a hospital bed or waiting in ED for one, the
    only ones it adds a danger to, so the outcome is the same as evaluating it for everyone.
    Deaths while waiting for a bed are counted apart as well (``deaths_waiting_for_bed``).
    """
    pop, p = model.pop, model.params.demography
    setting, acuity = pop.setting, pop.acuity
    improvement = mortality_improvement(model.reporting_week, p)
    dies = u < base_rates(model)["death"] * improvement
    waiting = pop.in_setting(Setting.ED)
    crisis = (acuity == Acuity.CRISIS.value).nonzero()[0]
    # (a person in two of these lists is evaluated twice, to the same answer: cheaper than sorting them out)
    extra = np.concatenate([crisis, pop.in_setting(Setting.ACUTE_BED), waiting])
    dies[extra] = u[extra] < death_prob(
        pop.age[extra], pop.frailty[extra], setting[extra], acuity[extra], pop.weeks_in_setting[extra], p, improvement
    )
    model.events.add("deaths_waiting_for_bed", pop.place[waiting[dies[waiting]]])
    died = dies.nonzero()[0]
    return died[is_alive(setting[died])]


def pick_movers_out(model, count: int, eligible=None) -> np.ndarray:
    """``count`` distinct people of ``mover_ages`` at home, chosen at random (by rejection sampling, no full pass).

    ``eligible(rows)`` says which drawn rows qualify (default: from the arrays); the per-object reference
    passes its agents' view, so both engines take the same keyed draws."""
    pop = model.pop
    youngest, oldest = sorted(model.params.demography.mover_ages)
    eligible = eligible or (
        lambda draw: (pop.age[draw] >= youngest) & (pop.age[draw] <= oldest) & (pop.setting[draw] == Setting.HOME.value)
    )
    chosen = np.empty(0, dtype=np.int64)
    drawn = 0  # draws are keyed by their number this week: the k-th draw is the same whatever came before
    for _ in range(50):
        if chosen.size >= count or pop.n == 0:
            break
        size = 4 * (count - chosen.size) + 8
        u = model.streams.uniform(Decision.OUT_MIGRATION_PICK, np.arange(drawn, drawn + size, dtype=np.int64))
        drawn += size
        draw = np.minimum((u * pop.n).astype(np.int64), pop.n - 1)
        ok = draw[eligible(draw)]
        chosen = np.concatenate([chosen, ok])
        _, first = np.unique(chosen, return_index=True)
        chosen = chosen[np.sort(first)]
    return chosen[:count]


def record_deaths(model, died: np.ndarray) -> None:
    model.counters["died"] += died.size
    model.events.add("deaths", model.pop.place[died])


def need(model) -> None:
    """Onset, escalation and resolution of need for people outside hospital (one uniform each).

    A well person's uniform (stream ``ONSET``) starts an episode when ``u < onset`` (high need if
    ``u < onset x high_share``); for a person in need, competing events share one uniform (stream
    ``NEED_CHANGE``): ``u < resolve`` lowers need and ``resolve <= u < resolve + escalate``
    raises it.  Crises are then handled by CHS urgent response and ED.
    """
    pop, p = model.pop, model.params.need
    acuity_all, setting_all = pop.acuity, pop.setting
    active = is_outside_hospital(setting_all)
    u_onset = model.streams.everyone32(Decision.ONSET, pop.n)

    starts, p_on = draw_onsets(model, u_onset, place_onset_factor(model))
    starts_high = u_onset[starts] < p_on * high_need_share(pop.frailty[starts], p)

    # people in need: gather them (a minority) and apply resolution or escalation
    s = (is_in_need(acuity_all) & active).nonzero()[0]
    start_episode(model, starts, np.where(starts_high, Acuity.HIGH.value, Acuity.LOW.value).astype(np.uint8))
    a = acuity_all[s]
    code = a * np.uint8(4 * N_SETTINGS)  # acuity x setting x social care x self-care: see need_tables
    code += setting_all[s] * np.uint8(4)
    code += pop.social_care[s] * np.uint8(2)
    code += pop.self_care[s]
    resolve, multiplier = need_tables(p)
    p_res = resolve[code]
    p_esc = escalate_prob(a, pop.frailty[s], multiplier[code], p)
    ui = model.streams.uniform32(Decision.NEED_CHANGE, s)
    down = ui < p_res
    up = (~down) & (ui < p_res + p_esc)
    changed = down | up
    pop.assign("acuity", s[changed], (a + up - down)[changed])
    worse = s[up & (a == Acuity.LOW.value)]  # worsening need prompts a fresh decision to seek care
    pop.assign("self_care", worse, False)  # no longer a minor need
    pop.assign(
        "will_seek",
        worse,
        model.streams.uniform(Decision.SEEK_AGAIN, worse) < seek_table(p)[Acuity.HIGH.value, pop.deprivation[worse]],
    )
    recovered = s[down & (a == Acuity.LOW.value)]
    end_episode(model, recovered)


def need_tables(p: NeedParams) -> tuple[np.ndarray, np.ndarray]:
    """:func:`resolve_prob` and :func:`care_multiplier` for every acuity x setting x social care (0/1) x self-care
    (0/1), flattened (index ``((acuity x N_SETTINGS + setting) x 2 + social_care) x 2 + self_care``), for the
    vectorised rules to look up."""
    return _need_tables(
        tuple(p.resolve_low_weekly),
        tuple(p.resolve_high_weekly),
        p.unmet_escalation_multiplier,
        tuple(p.escalation_in_care_multiplier),
        p.social_care_escalation_multiplier,
        p.self_care_escalation_multiplier,
    )


@functools.lru_cache(maxsize=16)
def _need_tables(low: tuple, high: tuple, unmet: float, in_care: tuple, social_care: float, self_care: float):
    acuity, rest = np.divmod(np.arange(len(Acuity) * N_SETTINGS * 4), N_SETTINGS * 4)
    setting, flags = np.divmod(rest, 4)
    has_package, managing_minor_need = np.divmod(flags, 2)
    # the parameters these tables read, as NeedParams (the others keep their defaults and are not read)
    p = NeedParams(
        resolve_low_weekly=list(low),
        resolve_high_weekly=list(high),
        unmet_escalation_multiplier=unmet,
        escalation_in_care_multiplier=list(in_care),
        social_care_escalation_multiplier=social_care,
        self_care_escalation_multiplier=self_care,
    )
    return (
        _read_only(resolve_prob(acuity, is_treated(setting), p)),
        _read_only(care_multiplier(setting, has_package.astype(bool), p, managing_minor_need.astype(bool))),
    )


def seek_table(p: NeedParams) -> np.ndarray:
    """:func:`seek_prob` for every acuity (rows) x deprivation quintile (columns), for the vectorised
    rules to look up (``seek_table(p)[acuity, deprivation]``: the same numbers, in one step)."""
    return _seek_table(tuple(p.seek_probability), p.seek_deprivation_penalty)


@functools.lru_cache(maxsize=16)
def _seek_table(probability: tuple, penalty: float) -> np.ndarray:
    acuity, deprivation = np.divmod(np.arange(len(Acuity) * 5), 5)
    p = NeedParams(seek_probability=list(probability), seek_deprivation_penalty=penalty)
    return _read_only(seek_prob(acuity, deprivation, p).reshape(len(Acuity), 5))


def _read_only(table: np.ndarray) -> np.ndarray:
    """A cached table, protected from being changed in place."""
    table.flags.writeable = False
    return table


def place_onset_factor(model) -> np.ndarray:
    """Each Place's multiplier on onset of need this week: its council's public health, the demand lever, winter."""
    councils = np.array([c.onset_factor for c in model.councils])
    return councils * model.levers.demand_multiplier * winter_factor(model.reporting_week, model.levers)


def winter_factor(reporting_week: int, levers) -> float:
    """Seasonal onset multiplier: 1 + winter_pressure_pct at the start of January, 1 at midsummer.

    The financial year starts in April, so January is week 39 of it.
    """
    phase = 2 * np.pi * ((reporting_week % WEEKS_PER_YEAR) - 39) / WEEKS_PER_YEAR
    return 1.0 + levers.winter_pressure_pct / 100 * (1 + np.cos(phase)) / 2


def need_index_by_place(model) -> np.ndarray:
    """Each Place's expected onset of need per head (age, conditions, deprivation) relative to the ICS's."""
    pop = model.pop
    alive = is_alive(pop.setting).nonzero()[0]
    rate = onset_prob(pop.age[alive], pop.ltc[alive], pop.deprivation[alive], False, np.float32(1.0), model.params.need)
    places = len(model.councils)
    per_head = np.bincount(pop.place[alive], weights=rate, minlength=places) / np.maximum(
        np.bincount(pop.place[alive], minlength=places), 1
    )
    return per_head / max(float(rate.mean()), 1e-12)


def draw_onsets(model, u: np.ndarray, place_factor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Well people outside hospital whose uniform ``u`` falls below their :func:`onset_prob`, and that probability.

    ``place_factor`` is each Place's multiplier on onset this week (:func:`place_onset_factor`).

    Only people whose ``u`` is under their cached :func:`onset_bound` (times the
    largest Place factor, if above 1) can start an episode; :func:`onset_prob` is
    evaluated for them alone, so the outcome is the same as evaluating it for everyone.
    """
    pop, p = model.pop, model.params.need
    place_factor = place_factor.astype(np.float32)
    bound = base_rates(model)["onset_bound"]
    largest = float(place_factor.max())
    candidates = (u < (bound if largest <= 1 else bound * np.float32(largest * 1.001))).nonzero()[0]
    well = pop.acuity[candidates] == Acuity.WELL.value
    candidates = candidates[well & is_outside_hospital(pop.setting[candidates])]
    p_on = onset_prob(
        pop.age[candidates],
        pop.ltc[candidates],
        pop.deprivation[candidates],
        pop.proactive[candidates],
        place_factor[pop.place[candidates]],
        p,
    )
    starting = u[candidates] < p_on
    return candidates[starting], p_on[starting]


def start_episode(model, idx: np.ndarray, acuity: np.ndarray) -> None:
    """A new episode of need: set acuity and decide whether it will be taken to a GP.

    Of those who would seek care but are deterred by their practice's backlog (:func:`still_try`), a share
    ``pharmacy_share`` of those with a minor (low) need take it to a community pharmacy instead and manage it
    with its advice (``self_care``; :func:`goes_to_pharmacy`)."""
    pop = model.pop
    pop.assign("acuity", idx, acuity)
    pop.assign("rationed", idx, False)
    u = model.streams.uniform(Decision.SEEK_DECISION, idx)
    seek = seek_table(model.params.need)[acuity, pop.deprivation[idx]]
    would_seek = u < seek
    will_seek = u < seek * still_try(model, pop.practice[idx])
    pop.assign("will_seek", idx, will_seek)
    deterred = idx[would_seek & ~will_seek & (acuity == Acuity.LOW.value)]
    to_pharmacy = deterred[goes_to_pharmacy(model, model.streams.uniform(Decision.PHARMACY, deterred))]
    pop.assign("self_care", idx, False)
    pop.assign("self_care", to_pharmacy, True)
    model.events.add("minor_need_to_pharmacy", pop.place[to_pharmacy])


def goes_to_pharmacy(model, u):
    """Whether a person with a minor need, deterred from trying for a GP appointment, takes it to a community
    pharmacy instead (``pharmacy_share``; 001 §2 'Community pharmacy': minor ailments advice; the GP Patient
    Survey: many who cannot get an appointment go to a pharmacy, others go without; size an assumption)."""
    return u < model.params.gp.pharmacy_share


def still_try(model, practice):
    """The share of people with a new episode who still try for an appointment at their practice, given its backlog
    (last week's ``pressure``: people waiting per appointment): 1 / (1 + ``access_deterrence`` x pressure).

    When appointments are hard to get some people do not try, and manage, wait or go without (their need is
    unmet, never sought), rather than all joining a queue that grows without bound (assumption for the size;
    the direction is the GP Patient Survey's: some who need an appointment do not try when access is poor).
    A person whose need worsens decides afresh, whatever the backlog."""
    pressure = model.practices.table.pressure[practice]
    return 1.0 / (1.0 + model.params.gp.access_deterrence * pressure)


def end_episode(model, idx: np.ndarray) -> None:
    """Need resolved: leave any queue or caseload for home (proactive care continues)."""
    pop = model.pop
    pop.assign("rationed", idx, False)
    pop.assign("self_care", idx, False)
    in_service = idx[pop.setting[idx] != Setting.HOME.value]
    chs_team.note_recovered(model, pop.team[in_service[pop.setting[in_service] == Setting.CHS_CASELOAD.value]])
    pop.move(in_service, Setting.HOME)


def seek_care(model) -> None:
    """People at home with need who will seek care book a GP appointment (joining the practice's queue)."""
    pop, p = model.pop, model.params.need
    acuity = pop.acuity
    home = ((pop.setting == Setting.HOME.value) & is_in_need(acuity)).nonzero()[0]
    home = home[pop.will_seek[home] & ~pop.rationed[home]]
    seeking = home[model.streams.uniform(Decision.SEEK_WEEK, home) < p.seek_weekly]
    pop.move(seeking, Setting.WAITING_GP)
