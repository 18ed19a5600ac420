"""Shared helpers for the test suite."""

from __future__ import annotations

import numpy as np
import pytest

from abm.model import ICSModel

SMALL = {"population": 4000, "years": 1, "burn_in_weeks": 12}


def ics(model: ICSModel):
    """The ICS rows of a model's weekly metrics."""
    df = model.metrics.frame()
    return df[df.place == "ICS"]


def per_1000_year(model: ICSModel, column: str) -> float:
    """A weekly count summed, per 1,000 people per year."""
    df = ics(model)
    return float(df[column].sum() / df.population.mean() * 1000 / (len(df) / 52))


def run(**overrides) -> ICSModel:
    return ICSModel(**overrides).run()


@pytest.fixture(scope="session")
def small_run() -> ICSModel:
    return run(**SMALL, seed=11)


def paired(values_a, values_b):
    """Mean paired difference and its standard error."""
    d = np.asarray(values_b, dtype=float) - np.asarray(values_a, dtype=float)
    return d.mean(), d.std(ddof=1) / np.sqrt(len(d))
