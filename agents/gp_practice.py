"""GP practices: capacity, a priority queue, and what to do with each patient seen.

Each practice is an :class:`~abm.organisations.Organisation` (a ``mesa.Agent``) whose state
(list size, capacity, pressure, integration with its neighbourhood CHS team) is its row of
``model.practices.table``.  The weekly clinic for all
practices is one vectorised pass (:func:`run_clinics`): follow-ups of
GP-managed patients are booked first, then the waiting list is served in
priority order (need, then waiting time) up to each practice's capacity.
"""

from __future__ import annotations

import numpy as np

from abm.organisations import Column, Organisation
from abm.population import AGE_BAND_TABLE, Acuity, Setting
from abm.queues import serve_in_priority_order
from abm.streams import Decision
from abm.units import WEEKS_PER_YEAR


class GPPractice(Organisation):
    """A general practice with a registered list in one Place (its numbers: its row of ``model.practices.table``)."""

    list_size = Column("people registered (alive), counted at the end of each week", dtype=np.int64)
    integrated = Column("in an integrated neighbourhood team with its CHS team", dtype=np.bool_)
    capacity = Column("appointments this week")
    pressure = Column("backlog / weekly capacity, last week")
    appointments = Column("appointments given this week (follow-ups and new)")

    def __init__(self, model, table, index: int, place: int, team: int):
        super().__init__(model, table, index)
        self.place = place
        self.team = team

    def plan_week(self, funding_ratio: float) -> None:
        """Capacity from list size, funding and the national rate of consultations.

        001 Introduction: ~340m consultations a year, ~6 per person; capacity follows
        the primary-care allocation (funding_ratio = this year's budget / baseline).
        """
        p = self.model.params.gp
        self.capacity = self.list_size * p.appointments_per_head_year / WEEKS_PER_YEAR * funding_ratio


def plan_integration(model, share: float) -> None:
    """Which practices are in integrated teams at this share, and each CHS team's integrated share.

    The practices of each Place join in a fixed random order (``topology.integration_rank``), so
    the same share gives the same teams (mechanism 12).
    """
    topology = model.topology
    n_integrated = np.array([round(share * len(own)) for own in topology.practices_of_place])
    integrated = topology.integration_rank < n_integrated[topology.practice_place]
    model.practices.table.integrated = integrated
    by_team = np.bincount(topology.practice_team, weights=integrated, minlength=topology.n_teams)
    practices_by_team = np.bincount(topology.practice_team, minlength=topology.n_teams)
    model.teams.table.integrated_share = by_team / np.maximum(practices_by_team, 1)


def run_clinics(model) -> None:
    """One week of general practice for every practice at once.

    Follow-ups for GP-managed patients come first; the rest of each practice's
    capacity serves its waiting list in priority order.  Each patient seen is
    managed by the practice, referred to CHS, or referred to hospital (ED).
    Under pressure (a backlog) practices refer more to hospital, do fewer home
    visits so refer more to district nursing (mechanism 9), and waiting
    patients with high need go to ED (DESIGN 4).
    """
    pop, p = model.pop, model.params.gp
    practices = model.practices.table
    n_practices = practices.rows
    capacity, pressure, integrated = practices.capacity, practices.pressure, practices.integrated

    managed = pop.in_setting(Setting.GP_MANAGED)
    followups = np.bincount(pop.practice[managed], minlength=n_practices) * p.followups_per_managed_week
    followups_served = np.minimum(followups, capacity)
    new_slots = np.floor(capacity - followups_served)  # never more than capacity

    waiting = pop.in_setting(Setting.WAITING_GP)
    waiting = waiting[pop.acuity[waiting] < Acuity.CRISIS.value]
    practice_of = pop.practice[waiting]
    served = serve_in_priority_order(
        practice_of,
        pop.acuity[waiting],
        pop.weeks_in_setting[waiting],
        new_slots,
        model.streams.tiebreak(Decision.GP_QUEUE, waiting),
    )
    seen = waiting[served]
    decide_after_consultation(model, seen, pressure, integrated)

    still_waiting = waiting[~served]  # those seen left the list; nobody joined it, and nobody's need changed
    still_waiting = still_waiting[~signpost_to_pharmacy(model, still_waiting)]
    backlog = np.bincount(pop.practice[still_waiting], minlength=n_practices)
    spill_to_ed(model, still_waiting, pressure)

    seen_count = np.bincount(pop.practice[seen], minlength=n_practices)
    appointments = followups_served + seen_count
    practices.appointments = appointments
    practices.pressure = backlog / np.maximum(capacity, 1e-9)
    model.events.add_amounts("gp_appointments", model.topology.practice_place, appointments)


def decide_after_consultation(model, seen: np.ndarray, pressure: np.ndarray, integrated: np.ndarray) -> None:
    """Manage, refer to CHS, or refer to hospital, for the patients seen this week.

    Referral probabilities rise with need; CHS referrals are higher for older
    and frail people (004 §5) and under pressure (fewer home visits, mechanism 9); hospital
    referrals rise under pressure (DESIGN 4).  An integrated practice refers better, not more
    (mechanism 12: its multidisciplinary team meets and shares records): it manages a share
    ``integration_hospital_diversion`` of the patients it would have sent to hospital with its CHS
    team instead (001 §4, Millom), and does not make the ~10% of low-need CHS referrals that are
    inappropriate (004 §4).  Sizes are assumptions; the direction is the evidence's.
    """
    pop, p = model.pop, model.params.gp
    if seen.size == 0:
        return
    acuity = pop.acuity[seen]
    practice = pop.practice[seen]
    need_level = (acuity >= Acuity.HIGH.value).astype(np.int64)
    pressure_here = pressure[practice]
    p_hospital = np.asarray(p.refer_hospital)[need_level] * (1 + p.pressure_hospital_referral * pressure_here)
    p_chs = np.asarray(p.refer_chs)[need_level] * np.asarray(p.refer_chs_by_age)[AGE_BAND_TABLE[pop.age[seen]]]
    p_chs = p_chs * np.where(pop.frailty[seen] >= p.refer_chs_frail_threshold, p.refer_chs_frail_multiplier, 1.0)
    p_chs = p_chs * (1 + p.pressure_home_visit_shift * pressure_here)
    joined = integrated[practice]
    p_chs = p_chs * np.where(joined & (need_level == 0), 1 - p.integration_inappropriate_referral_cut, 1.0)
    diverted = np.where(joined, p_hospital * p.integration_hospital_diversion, 0.0)
    p_hospital, p_chs = p_hospital - diverted, p_chs + diverted
    u = model.streams.uniform(Decision.GP_OUTCOME, seen)
    to_hospital = u < p_hospital
    to_chs = ~to_hospital & (u < p_hospital + p_chs)
    model.pop.move(
        seen,
        np.where(
            to_hospital, Setting.ED.value, np.where(to_chs, Setting.WAITING_CHS.value, Setting.GP_MANAGED.value)
        ).astype(np.uint8),
    )
    model.events.add("chs_referrals", pop.place[seen[to_chs]])
    model.events.add("gp_hospital_referrals", pop.place[seen[to_hospital]])


def signpost_to_pharmacy(model, unseen: np.ndarray) -> np.ndarray:
    """Care navigation: of the patients the practice could not see this week, those with a minor (low) need are
    signposted to a community pharmacy with probability ``pharmacy_signpost_weekly``; they leave the queue and
    manage their need at home with the pharmacist's advice (``self_care``), seeking care again only if it worsens.

    001 §4: pharmacists increasingly work with primary care to improve same-day access; 001 §2 'Community
    pharmacy': minor ailments advice.  Sizes are assumptions.  Returns which of ``unseen`` were signposted."""
    pop = model.pop
    minor = pop.acuity[unseen] == Acuity.LOW.value
    u = model.streams.uniform(Decision.GP_SIGNPOST, unseen[minor])
    signposted = np.zeros(unseen.size, dtype=bool)
    signposted[minor] = u < model.params.gp.pharmacy_signpost_weekly
    going = unseen[signposted]
    pop.assign("will_seek", going, False)
    pop.assign("self_care", going, True)
    pop.move(going, Setting.HOME)
    model.events.add("minor_need_to_pharmacy", pop.place[going])
    return signposted


def spill_to_ed(model, waiting: np.ndarray, pressure: np.ndarray) -> None:
    """Patients with high need who cannot get an appointment go to ED, more so under pressure (DESIGN 4)."""
    pop = model.pop
    high = waiting[pop.acuity[waiting] == Acuity.HIGH.value]
    gp = model.params.gp
    p_spill = np.minimum(gp.ed_spill_weekly * pressure[pop.practice[high]], gp.ed_spill_max_weekly)
    going = high[model.streams.uniform(Decision.ED_SPILL, high) < p_spill]
    pop.move(going, Setting.ED)
