"""Shared helpers for the test suite."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from abm.model import ICSModel

SMALL = {"population": 4000, "years": 1, "burn_in_weeks": 12}

# the weekly columns the engine issue requires in metrics.csv / .parquet
REQUIRED_COLUMNS = [
    "week",
    "year",
    "place",
    "population",
    "emergency_admissions",
    "admission_demand",
    "ed_attendances",
    "bed_occupancy",
    "delayed_discharge_bed_days",
    "gp_appointments",
    "gp_waiting",
    "chs_caseload",
    "chs_waiting",
    "chs_contacts",
    "unmet_need",
    "unmet_need_sought",
    "unmet_need_gp",
    "unmet_need_chs",
    "unmet_need_rationed",
    "unmet_need_delayed_discharge",
    "unmet_need_never_sought",
    "deaths",
    "deaths_waiting_for_bed",
    "spend_acute",
    "spend_chs_core",
    "spend_addon",
    "spend_primary",
    "spend_social_care",
    "chs_fte",
    "chs_vacancies",
]


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


class GatedRuns:
    """Stands in for ``replay`` in a thread pool (the dashboard's baseline pool): records the order runs start;
    the first waits for ``gate``."""

    def __init__(self):
        self.started: list[str] = []
        self.gate = threading.Event()

    def __call__(self, scenario, changes):
        self.started.append(scenario["name"])
        if len(self.started) == 1:
            assert self.gate.wait(10), "the test never opened the gate"
        return np.full((1, 1, 1), float(len(self.started)))

    def wait_started(self, n: int) -> None:
        deadline = time.time() + 10
        while len(self.started) < n:
            assert time.time() < deadline, f"started: {self.started}"
            time.sleep(0.01)
