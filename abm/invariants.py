"""Invariants that must hold after every week (DESIGN 8).

``violations(model)`` returns a list of plain-language statements that are
false this week (empty when all hold).  Tests call it after every step over
random scenarios; it is cheap enough to call in a debugging run too.
"""

from __future__ import annotations

import numpy as np

from abm.outputs import COLUMNS, SHARES, SIGNED

TOLERANCE = 1e-6
SIGNED_COLUMNS = SIGNED  # the outputs that may be negative (abm/outputs.py)


def violations(model) -> list[str]:
    """Everything wrong with the model's state this week."""
    found: list[str] = []
    found += _people_conserved(model)
    found += _capacity_respected(model)
    found += _stocks_non_negative(model)
    found += _money_conserved(model)
    return found


def _people_conserved(model) -> list[str]:
    a = model.people_accounts()
    if a["start"] + a["entered"] != a["alive"] + a["dead"] + a["left"]:
        return [
            f"people not conserved: start {a['start']} + entered {a['entered']} != "
            f"alive {a['alive']} + dead {a['dead']} + left {a['left']}"
        ]
    if a["dead"] != model.counters["died"] or a["left"] != model.counters["left"]:
        return [f"deaths/leavers miscounted: {a} vs counters {dict(model.counters)}"]
    return []


def _capacity_respected(model) -> list[str]:
    found = []
    for g in model.practices:
        if g.appointments > g.capacity + TOLERANCE:
            found.append(f"practice {g.index}: {g.appointments} appointments > capacity {g.capacity:.2f}")
    for t in model.teams:  # capacity after any sharing in a provider collaborative
        if t.core_contacts > t.available + TOLERANCE:
            found.append(f"CHS team {t.index}: {t.core_contacts:.2f} contacts > capacity {t.available:.2f}")
        if t.ucr_contacts > t.ucr_available + TOLERANCE:
            found.append(f"CHS team {t.index}: {t.ucr_contacts:.2f} UCR contacts > UCR capacity {t.ucr_available:.2f}")
    for name, own, shared in (("core", "capacity", "available"), ("UCR", "ucr_capacity", "ucr_available")):
        before, after = (sum(getattr(t, attr) for t in model.teams) for attr in (own, shared))
        if after > before * (1 + TOLERANCE) + TOLERANCE:
            found.append(f"CHS {name} capacity grew in sharing: {after:.2f} > {before:.2f}")
    for tr in model.trusts:
        if tr.emergency_bed_days > tr.emergency_room_bed_days + TOLERANCE:
            found.append(
                f"trust {tr.index}: admissions used {tr.emergency_bed_days:.1f} bed-days > "
                f"{tr.emergency_room_bed_days:.1f} free"
            )
        if not 0 <= tr.occupancy <= 1 + TOLERANCE:
            found.append(f"trust {tr.index}: occupancy {tr.occupancy} outside [0, 1]")
    for c in model.councils:
        if c.started > c.free_at_start:
            found.append(f"council {c.place}: started {c.started} packages with {c.free_at_start} free")
    return found


def _stocks_non_negative(model) -> list[str]:
    found = []
    week = model.reporting_week - 1
    if 0 <= week < model.metrics.weeks:
        row = model.metrics.data[week]
        for j, name in enumerate(COLUMNS):
            if name not in SIGNED_COLUMNS and (row[:, j] < -TOLERANCE).any():
                found.append(f"metric {name} negative: {row[:, j].min()}")
        for name in SHARES:
            share = row[:, COLUMNS.index(name)]
            if ((share < 0) | (share > 1 + TOLERANCE)).any():
                found.append(f"{name} outside [0, 1]: {share}")
    pop = model.pop
    if (pop.frailty < 0).any() or (pop.frailty > 1).any():
        found.append("frailty outside [0, 1]")
    for t in model.teams:
        if (t.in_post < -TOLERANCE).any() or (t.establishment < -TOLERANCE).any():
            found.append(f"CHS team {t.index}: negative workforce")
    return found


def _money_conserved(model) -> list[str]:
    c = model.commissioner
    if c.week_of_year != 51:
        return []
    gap = np.abs(c.paid - c.allocation)
    if (gap > TOLERANCE * np.maximum(np.abs(c.allocation), 1)).any():
        return [f"financial year {c.financial_year}: paid {c.paid.sum():.2f} != allocated {c.allocation.sum():.2f}"]
    return []
