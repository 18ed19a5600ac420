"""Commissioners: the ICB (and, once delegated, its Places) allocate the budget each year and pay providers.

Each financial year (52 weeks) the budget per head, grown by ``growth_pct_year`` (real terms), is split
across five sectors (acute, core CHS, add-on schemes, primary care, other) and paid in
weekly instalments.  How the split moves from year to year is the commissioning rule
(DESIGN 4).  First the commissioner's own decisions, which carry over ("organic" shares):

1. **Last year's shares** are the starting point (year 0: the national shares, 001 Introduction).
2. **Acute gravity**: acute pressure (occupancy above the flow threshold, a deficit) pulls
   money to acute from the other sectors, in proportion to how easily each is squeezed
   (mechanisms 1, 2): a block contract is easiest; a standalone CHS trust protects its budget.
3. **Growth money**: ``growth_to_community_pct`` of it goes to community first (split core /
   add-on by ``addon_share_pct``); of the rest, ``discretionary_share_of_growth`` goes where
   the *perceived* admissions avoided per pound is highest: add-on schemes' effect is visible
   in full, core CHS's only in proportion to data quality (mechanism 4); the remainder pro rata.
4. **Contracts**: under activity or outcome contracts, core CHS funding follows the growth in
   CHS demand; a block contract does not (mechanism 1).

Then the year's mandated transfers, levels that do not compound:

5. **Funding shift**: ``funding_shift_pct`` of the acute allocation moves to community (or back).
6. **Add-on money** from the levers flows while the scheme runs; non-recurrent money ends after
   ``addon_funding_years`` and returns to acute; while it runs, ``double_running_share`` of
   non-recurrent money pays for double running and buys no capacity (mechanism 6).
7. **CHS inside an acute trust** is raided in proportion to acute pressure (DESIGN 4).
8. **Delegation to Place**: after the transition each Place's budget follows its local need
   (mechanism 8); during the transition decisions are delayed (shares do not evolve) and
   commissioning capacity is lost: a share of community and primary money buys no capacity
   (mechanisms 7, 19).  Structure alone buys nothing else (004 §6-7): what Place teams do with
   local data afterwards (outreach, proactive targeting) is CHS staff time whose yield depends on
   the data's quality (:func:`agents.chs_team.place_outreach`).

Providers see their money through :meth:`Commissioner.funding_ratio`: the capacity this
year's allocation buys relative to the national shares at this year's budget per head.
A lever moved mid-year re-plans the rest of the year (:meth:`Commissioner.replan`); what has
been paid stays paid, so the money paid in a year always equals the money allocated.
"""

from __future__ import annotations

import mesa
import numpy as np

from abm.choices import ChsContract, ChsHost
from abm.units import WEEKS_PER_YEAR
from agents.patient import need_index_by_place

SECTORS = ("acute", "chs_core", "addon", "primary", "other")
ACUTE, CORE, ADDON, PRIMARY, OTHER = range(len(SECTORS))


class Commissioner(mesa.Agent):
    """The Integrated Care Board and, after delegation, its Place commissioners."""

    def __init__(self, model, n_places: int):
        super().__init__(model)
        self.n_places = n_places
        p = model.params.commissioner
        self.default_shares = np.asarray(p.shares, dtype=np.float64) / np.sum(p.shares)
        self.organic = starting_shares(self.default_shares, [pl.chs_share_pct for pl in model.scenario.places])
        self.scheme_addon = np.zeros(n_places)  # add-on share built up from growth given to community
        self.scheme_start_year: int | None = None  # first year lever-funded add-on money flowed
        self.budget = np.zeros(n_places)  # this year's budget per Place, £
        self.plan = np.zeros((len(SECTORS), n_places))  # full-year money at the current plan, £
        self.capacity_plan = np.zeros((len(SECTORS), n_places))  # the part of it that buys capacity, £
        self.allocation = np.zeros((len(SECTORS), n_places))  # paid over this financial year, £
        # what the starting capacity per head costs this year, by sector and Place (£): the national shares of the
        # starting budget per head, grown by ``capacity_cost_growth_pct_year``; funding_ratio is money / this
        self.reference_cost = np.zeros((len(SECTORS), n_places))
        self.paid = np.zeros((len(SECTORS), n_places))  # paid so far this financial year, £
        self.payments = np.zeros((len(SECTORS), n_places))  # paid this week, £
        self.financial_year: int | None = None
        self.week_of_year = -1  # the week of the financial year last paid (0..51)
        self.chs_demand: dict[int, np.ndarray] = {}  # financial year -> CHS demand per Place (contacts)
        self.allocation_by_year: dict[int, np.ndarray] = {}  # financial year -> money paid by sector and Place
        self.need_index = np.ones(n_places)  # expected need per head relative to the ICS
        self.maturity = 0.0  # how far Place teams' local-data working is built up after delegation (0-1)

    # ------------------------------------------------------------------ the year
    def new_financial_year(self, year: int, place_population: np.ndarray) -> None:
        """Set this year's budget, let the commissioners decide (from year 1), and allocate."""
        p = self.model.params.commissioner
        self.financial_year = year
        self.need_index = need_index_by_place(self.model)
        people = place_population.astype(np.float64)
        uniform = p.budget_per_head_gbp * (1 + p.growth_pct_year / 100) ** max(year, 0) * people
        unit_cost = p.budget_per_head_gbp * (1 + p.capacity_cost_growth_pct_year / 100) ** max(year, 0)
        self.reference_cost = self.default_shares[:, None] * (unit_cost * people)[None, :]
        self.budget = self.place_budgets(year, uniform)
        if year >= 1 and self.transition_fraction(year) == 0:
            self.organic, self.scheme_addon = self.decide_shares(year)
        self.plan, self.capacity_plan = self.allocate(year)
        self.allocation = self.plan.copy()
        self.allocation_by_year[year] = self.allocation
        self.paid[:] = 0.0

    def place_budgets(self, year: int, uniform: np.ndarray) -> np.ndarray:
        """Per head under the ICB; after delegation's transition, weighted by each Place's need (mechanism 8)."""
        if not self.needs_based(year):
            return uniform
        weights = uniform * self.need_index**self.model.params.commissioner.need_weighting
        return uniform.sum() * weights / weights.sum()

    def decide_shares(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """Next year's shares from last year's: acute gravity, growth money, contracts (rules 1-4)."""
        p, levers = self.model.params.commissioner, self.model.levers
        shares = self.organic.copy()
        pressure = self.acute_pressure()
        taken = p.acute_gravity * pressure[None, :] * shares * self.squeeze()
        shares -= taken
        shares[ACUTE] += taken.sum(axis=0)

        new = p.growth_pct_year / 100 / (1 + p.growth_pct_year / 100)  # growth as a share of this year's budget
        first = levers.growth_to_community_pct / 100
        addon_part = levers.addon_share_pct / 100
        valued = shares * self.perceived_value()
        rest = (1 - p.discretionary_share_of_growth) * shares + p.discretionary_share_of_growth * valued / valued.sum(
            axis=0
        )
        shares = shares * (1 - new) + new * (1 - first) * rest
        shares[CORE] += new * first * (1 - addon_part)
        scheme = self.scheme_addon * (1 - new) + new * first * addon_part
        shares = self.follow_chs_demand(shares, year)
        return shares, scheme

    def acute_pressure(self) -> np.ndarray:
        """Last year's acute pressure per Place: ICS-wide under the ICB, each Place's own trust once delegated."""
        trusts = self.model.trusts
        own = trusts.table.last_year_pressure[self.model.topology.place_trust]
        if self.needs_based(self.financial_year):
            return own
        weights = np.maximum(self.budget, 1e-9)
        return np.full(self.n_places, float(np.average(own, weights=weights)))

    def squeeze(self) -> np.ndarray:
        """How easily acute gravity takes money from each sector, per Place (mechanisms 1, 2; assumption)."""
        p, model = self.model.params.commissioner, self.model
        factors = np.repeat(np.asarray(p.squeeze_by_sector, dtype=np.float64)[:, None], self.n_places, axis=1)
        contract = np.array([ChsContract.position(c) for c in model.place_lever("chs_contract")])
        host = np.array([ChsHost.position(h) for h in model.place_lever("chs_host")])
        factors[CORE] *= np.asarray(p.squeeze_by_contract)[contract] * np.asarray(p.squeeze_by_host)[host]
        return factors

    def perceived_value(self) -> np.ndarray:
        """Perceived admissions avoided per pound by sector and Place (1 = the average sector; mechanism 4).

        Add-on schemes' effect is visible in full; core CHS's in proportion to data quality,
        which an outcome contract raises.
        """
        p, model = self.model.params.commissioner, self.model
        outcome = model.place_lever("chs_contract") == ChsContract.OUTCOME
        visibility = np.minimum(model.levers.data_quality + np.where(outcome, p.outcome_data_bonus, 0.0), 1.0)
        value = np.ones((len(SECTORS), self.n_places))
        value[ADDON] = p.community_value_per_gbp
        value[CORE] = p.community_value_per_gbp * visibility
        return value

    def follow_chs_demand(self, shares: np.ndarray, year: int) -> np.ndarray:
        """Activity and outcome contracts: core CHS money follows last year's growth in CHS demand (capped)."""
        p = self.model.params.commissioner
        last, before = self.chs_demand.get(year - 1), self.chs_demand.get(year - 2)
        flexible = self.model.place_lever("chs_contract") != ChsContract.BLOCK
        if not flexible.any() or last is None or before is None:
            return shares
        growth = np.clip(last / np.maximum(before, 1e-9), 1 - p.demand_following_cap, 1 + p.demand_following_cap)
        total = shares.sum(axis=0)  # less than 1 where growth money built up a scheme share
        core = np.where(flexible, np.minimum(shares[CORE] * growth, p.core_share_max * total), shares[CORE])
        shares = shares * ((total - core) / (total - shares[CORE]))[None, :]  # the others make room, pro rata
        shares[CORE] = core
        return shares

    # ------------------------------------------------------------------ mandated transfers
    def allocate(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """This year's money by sector and Place, and the part of it that buys capacity (rules 5-8)."""
        p, levers = self.model.params.commissioner, self.model.levers
        money = self.organic * self.budget[None, :]
        unproductive = np.zeros_like(money)  # paid, but buys no capacity (double running, reorganisation)

        shift = self.funding_shift(year) * money[ACUTE]
        outward = np.maximum(shift, 0)
        take = np.minimum(np.maximum(-shift, 0) / np.maximum(money[CORE] + money[ADDON], 1e-9), 1.0)
        money[CORE] *= 1 - take  # a negative shift takes from core CHS and add-ons pro rata
        money[ADDON] *= 1 - take
        money[ACUTE] -= shift
        addon_part = levers.addon_share_pct / 100
        one_off = 0.0 if levers.funding_shift_recurrent else p.double_running_share
        money[CORE] += outward * (1 - addon_part)
        unproductive[CORE] += outward * (1 - addon_part) * one_off

        shift_addon = outward * addon_part
        growth_addon = self.scheme_addon * self.budget
        if (shift_addon + growth_addon).sum() > 0 and self.scheme_start_year is None and year >= 0:
            self.scheme_start_year = year
        if self.scheme_running(year):
            money[ADDON] += shift_addon + growth_addon
            non_recurrent = 0.0 if levers.addon_recurrent else p.double_running_share
            unproductive[ADDON] += shift_addon * max(one_off, non_recurrent) + growth_addon * non_recurrent
        else:
            money[ACUTE] += shift_addon + growth_addon  # the scheme's money ends and returns to the acute trust

        hosted = self.model.place_lever("chs_host") == ChsHost.ACUTE
        if hosted.any():
            raid = p.host_raid_pct / 100 * self.acute_pressure() * money[CORE] * hosted
            money[CORE] -= raid
            money[ACUTE] += raid
        loss = p.transition_capacity_loss_pct / 100 * self.transition_fraction(year)
        for sector in (CORE, ADDON, PRIMARY):
            unproductive[sector] += loss * (money[sector] - unproductive[sector])
        return money, money - unproductive

    def funding_shift(self, year: int) -> float:
        """The share of the acute allocation moved to community this year (rule 5)."""
        levers = self.model.levers
        start = levers.funding_shift_start_year
        if year < start or (not levers.funding_shift_recurrent and year != start):
            return 0.0
        return levers.funding_shift_pct / 100

    def scheme_running(self, year: int) -> bool:
        """Lever-funded add-on money flows: recurrent, or within addon_funding_years of its first year (rule 6)."""
        levers = self.model.levers
        if levers.addon_recurrent or self.scheme_start_year is None:
            return True
        return year < self.scheme_start_year + levers.addon_funding_years

    # ------------------------------------------------------------------ delegation to Place
    def transition_fraction(self, year: int) -> float:
        """Share of financial year ``year`` inside delegation's transition (decisions delayed, capacity lost)."""
        levers = self.model.levers
        if not levers.delegation_to_place:
            return 0.0
        start = levers.delegation_start_year
        end = start + levers.delegation_transition_years
        return float(np.clip(min(year + 1, end) - max(year, start), 0.0, 1.0))

    def needs_based(self, year: int | None) -> bool:
        """Place commissioners decide on local need once the transition is over."""
        levers = self.model.levers
        if not levers.delegation_to_place or year is None:
            return False
        return year >= levers.delegation_start_year + levers.delegation_transition_years

    def place_maturity(self, years: float) -> float:
        """0 until the transition ends, rising to 1 over ``culture_years`` (mechanism 15: culture takes years)."""
        levers = self.model.levers
        if not levers.delegation_to_place:
            return 0.0
        settled = levers.delegation_start_year + levers.delegation_transition_years
        return float(np.clip((years - settled) / max(self.model.params.commissioner.culture_years, 1e-9), 0.0, 1.0))

    def update_maturity(self, reporting_week: int) -> None:
        """This week's Place maturity: how far its outreach and targeting are built up (read by agents.chs_team)."""
        self.maturity = self.place_maturity(reporting_week / WEEKS_PER_YEAR)

    # ------------------------------------------------------------------ paying
    def replan(self) -> None:
        """A lever moved mid-year: re-plan the rest of the financial year; what is paid stays paid."""
        if self.financial_year is None:
            return
        self.plan, self.capacity_plan = self.allocate(self.financial_year)
        weeks_left = WEEKS_PER_YEAR - (self.week_of_year + 1)
        self.allocation = self.paid + self.plan * weeks_left / WEEKS_PER_YEAR
        self.allocation_by_year[self.financial_year] = self.allocation

    def funding_ratio(self, sector: str) -> np.ndarray:
        """The capacity per head this year's money buys, relative to the start's (1 = the starting capacity per head).

        Real-terms growth (``growth_pct_year``) buys more capacity, less the rising real cost of the same care
        (``capacity_cost_growth_pct_year``): providers' capacity grows with the money, as it does in the NHS."""
        s = SECTORS.index(sector)
        return self.capacity_plan[s] / np.maximum(self.reference_cost[s], 1e-9)

    def pay_week(self, week_of_year: int) -> None:
        """Pay an equal part of what remains this year; the last week pays the rest, so the year sums exactly."""
        self.week_of_year = week_of_year
        self.payments = (self.allocation - self.paid) / (WEEKS_PER_YEAR - week_of_year)
        if week_of_year == WEEKS_PER_YEAR - 1:
            self.payments = self.allocation - self.paid
        self.paid += self.payments

    def weekly_payment_to(self, sector: str, places) -> float:
        return float(self.payments[SECTORS.index(sector), places].sum())

    def record_chs_demand(self, demand_by_place: np.ndarray) -> None:
        """Accumulate this week's CHS demand (contacts asked for) for the contract rule (rule 4)."""
        year = self.financial_year
        assert year is not None, "a financial year starts before the first week"
        self.chs_demand[year] = self.chs_demand.get(year, 0.0) + demand_by_place


def starting_shares(national: np.ndarray, chs_share_pct: list) -> np.ndarray:
    """Each Place's starting shares (sectors x Places): national, or with its own CHS share (001 §3).

    A Place's CHS share (core plus add-ons) replaces the national one; core and add-ons
    keep their national proportions and the other sectors make room pro rata.
    """
    shares = np.repeat(national[:, None], len(chs_share_pct), axis=1)
    community = national[CORE] + national[ADDON]
    for k, pct in enumerate(chs_share_pct):
        if pct is None:
            continue
        scale = (1 - pct / 100) / (1 - community)
        shares[:, k] = national * scale
        shares[[CORE, ADDON], k] = national[[CORE, ADDON]] * (pct / 100) / community
    return shares
