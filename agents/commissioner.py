"""Commissioners: the ICB holds the budget, allocates it each financial year and pays providers.

In the engine the allocation is fixed: each financial year the ICB's budget
(per head, growing each year) is split across acute, core CHS, add-on schemes,
primary care and other (not modelled) services in fixed shares (001
Introduction: acute 54%, CHS ~12%, primary 23%), per Place by population, and
paid to providers in 52 weekly instalments.  The commissioning rules that move
money (acute gravity, data quality, delegation to Place) build on this.
"""

from __future__ import annotations

import mesa
import numpy as np

SECTORS = ("acute", "chs_core", "addon", "primary", "other")


class Commissioner(mesa.Agent):
    """The Integrated Care Board: budget holder and payer."""

    def __init__(self, model, n_places: int):
        super().__init__(model)
        self.allocation = np.zeros((len(SECTORS), n_places))  # this financial year, £
        self.baseline = np.zeros((len(SECTORS), n_places))  # default shares at this year's budget, £
        self.paid = np.zeros((len(SECTORS), n_places))  # paid so far this financial year, £
        self.payments = np.zeros((len(SECTORS), n_places))  # paid this week, £
        self.financial_year = None
        self.week_of_year = -1  # the week of the financial year last paid (0..51)

    def new_financial_year(self, year: int, place_population: np.ndarray) -> None:
        """Allocate this year's budget: per head, grown by ``growth_pct_year`` a year, in fixed shares."""
        p = self.model.params.commissioner
        budget = p.budget_per_head_gbp * (1 + p.growth_pct_year / 100) ** max(year, 0) * place_population
        shares = np.asarray(p.shares, dtype=np.float64) / np.sum(p.shares)
        self.baseline = shares[:, None] * budget[None, :]
        self.allocation = self.baseline.copy()
        self.paid[:] = 0.0
        self.financial_year = year

    def funding_ratio(self, sector: str) -> np.ndarray:
        """This year's allocation to a sector relative to the default shares, per Place (1 = default)."""
        s = SECTORS.index(sector)
        return self.allocation[s] / np.maximum(self.baseline[s], 1e-9)

    def pay_week(self, week_of_year: int) -> None:
        """Pay a 52nd of each allocation; the last week pays what remains, so the year sums exactly."""
        self.week_of_year = week_of_year
        if week_of_year == 51:
            self.payments = self.allocation - self.paid
        else:
            self.payments = self.allocation / 52
        self.paid += self.payments

    def weekly_payment_to(self, sector: str, places) -> float:
        return float(self.payments[SECTORS.index(sector), places].sum())
