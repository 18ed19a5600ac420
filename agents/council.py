"""Councils: social care for discharges and for people at home, and public health.

Each Place has a council (an :class:`~abm.organisations.Organisation`, its row of
``model.councils.table``) with a stock of concurrent care
packages (home care and care-home placements) funded from its own budget.
Packages end (recovery, a move, a change of need) or are freed by death; free
packages go first to medically fit inpatients waiting for social care, then
to frail people at home with need.  Public-health spending lowers the onset of
need a little.
"""

from __future__ import annotations

import numpy as np

from abm.organisations import Column, Organisation
from abm.population import Setting, Support, has_need, is_alive
from abm.queues import serve_in_priority_order
from abm.streams import Decision, geometric_quantile
from abm.units import WEEKS_PER_YEAR
from agents.discharge import discharge_to


class Council(Organisation):
    """The social-care and public-health side of a Place's local authority (its row of ``model.councils.table``)."""

    population = Column("people registered with the Place's practices (alive), counted weekly", dtype=np.int64)
    capacity = Column("concurrent care packages the budget buys", dtype=np.int64)
    in_use = Column("packages in use at the end of the week", dtype=np.int64)
    free_at_start = Column("packages free this week before new starts", dtype=np.int64)
    started = Column("packages started this week", dtype=np.int64)
    weekly_spend = Column("social-care spend this week, £")

    def __init__(self, model, table, place: int):
        super().__init__(model, table, index=place)
        self.place = place

    @property
    def onset_factor(self) -> float:
        """Multiplier on onset of need from public-health spending (mechanism 16, 003; small, assumption)."""
        p = self.model.params.social_care
        return float(max(self.model.levers.public_health_multiplier, 0.05) ** -p.public_health_elasticity)

    def plan_week(self) -> None:
        """Packages per head times what this year's council money buys, times the social-care lever; spend is the
        council's budget per head, grown in real terms.

        001 Introduction: £16.97bn adult social care; mechanism 10: cuts raise delayed transfers.
        """
        p, lever = self.model.params.social_care, self.model.levers.social_care_capacity_multiplier
        population = self.population
        self.capacity = round(p.packages_per_1000 * population / 1000 * self.funding_ratio() * lever)
        self.weekly_spend = p.budget_per_head_gbp * self.budget_growth() * population / WEEKS_PER_YEAR * lever

    def budget_growth(self) -> float:
        """The council's budget per head this financial year relative to the start's: real-terms growth of
        ``params.commissioner.growth_pct_year`` a year (assumption: council money for care grows as the NHS's
        does in the scenario), in steps at each financial year, as the ICB's."""
        growth = self.model.params.commissioner.growth_pct_year
        return (1 + growth / 100) ** max(self.model.year, 0)

    def funding_ratio(self) -> float:
        """The packages per head this year's money buys relative to the start's: the budget's real-terms growth
        less the rising real cost of the same care (``params.commissioner.capacity_cost_growth_pct_year``: pay
        above inflation), the logic of the NHS's :meth:`~agents.commissioner.Commissioner.funding_ratio`."""
        cost_growth = self.model.params.commissioner.capacity_cost_growth_pct_year
        return self.budget_growth() / (1 + cost_growth / 100) ** max(self.model.year, 0)


def run_social_care(model) -> None:
    """Packages end; free packages go to delayed discharges first, then frail people at home.

    Each week some people waiting in hospital for a package leave with self-funded or
    family care instead (assumption), and the rest are assessed and brokered with
    probability ``package_start_weekly`` if a package is free.
    """
    pop, p, streams = model.pop, model.params.social_care, model.streams
    councils = model.councils.table
    n_places = councils.rows
    holders = pop.social_care.nonzero()[0]
    alive = is_alive(pop.setting[holders])
    pop.assign("social_care", holders[~alive], False)  # packages of people who died or moved away
    holders = holders[alive]
    ends = pop.package_ends[holders] <= model.week_number
    pop.assign("social_care", holders[ends], False)
    in_use = np.bincount(pop.place[holders[~ends]], minlength=n_places)
    free = np.maximum(councils.capacity - in_use, 0)
    free_at_start = free.copy()

    waiting = pop.in_setting(Setting.DELAYED_DISCHARGE)
    waiting = waiting[pop.support_needed[waiting] == Support.SOCIAL_CARE.value]
    u = streams.uniform(Decision.PACKAGE_WAIT, waiting)
    self_arranged = waiting[u < p.self_arranged_weekly]  # self-funded or family care
    waiting = waiting[(u >= p.self_arranged_weekly) & (u < p.self_arranged_weekly + p.package_start_weekly)]
    place = pop.place[waiting]
    placed = waiting[
        serve_in_priority_order(
            place, None, pop.weeks_in_setting[waiting], free, streams.tiebreak(Decision.PACKAGE_QUEUE, waiting)
        )
    ]
    start_packages(model, placed)
    discharge_to(model, np.concatenate([self_arranged, placed]), Setting.HOME)  # both go home, in one pass
    free -= np.bincount(pop.place[placed], minlength=n_places)

    community_places = np.floor(free * p.community_fill_weekly)
    if community_places.sum() >= 1:
        at_home = ((pop.setting == Setting.HOME.value) & has_need(pop.acuity) & ~pop.social_care).nonzero()[0]
        chosen = at_home[
            serve_in_priority_order(
                pop.place[at_home],
                pop.frailty[at_home],
                None,
                community_places,
                streams.tiebreak(Decision.COMMUNITY_PACKAGE_QUEUE, at_home),
            )
        ]
        start_packages(model, chosen)
        free -= np.bincount(pop.place[chosen], minlength=n_places)
    councils.free_at_start = free_at_start
    councils.started = free_at_start - free
    councils.in_use = np.maximum(councils.capacity - free, in_use)


def seed_packages(model) -> None:
    """At the start, the frailest older people hold ``initial_package_fill`` (~90%) of each council's packages."""
    pop = model.pop
    older = (pop.age >= 65).nonzero()[0]
    fill = model.params.social_care.initial_package_fill
    cap = (fill * model.councils.table.capacity).astype(np.int64)
    chosen = older[
        serve_in_priority_order(
            pop.place[older], pop.frailty[older], None, cap, model.streams.tiebreak(Decision.SEED_PACKAGES, older)
        )
    ]
    start_packages(model, chosen)


def start_packages(model, idx: np.ndarray) -> None:
    """Give these people a care package, and draw how long each lasts (time to event).

    A package ends with probability 1 / ``package_weeks`` a week (recovery, a move, a change of
    need; assumption), so its length in weeks is geometric; it is drawn once, when the package
    starts (stream ``PACKAGE_LENGTH``), so a person's package does not hang on weekly re-draws.
    Packages held at the start of a run are drawn the same way (the geometric is memoryless).
    """
    pop = model.pop
    weeks = geometric_quantile(
        model.streams.uniform(Decision.PACKAGE_LENGTH, idx), 1.0 / model.params.social_care.package_weeks
    )
    pop.assign("social_care", idx, True)
    pop.assign("package_ends", idx, np.minimum(model.week_number + weeks, np.iinfo(np.uint16).max))
