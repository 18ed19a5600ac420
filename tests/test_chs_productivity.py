"""CHS teams' own productivity varies (004 §4: fourfold variation in contacts per WTE, not explained by case mix)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from abm.metrics import COLUMNS
from abm.model import ICSModel
from abm.population import is_alive
from agents.chs_team import CHSTeam
from tests.conftest import SMALL, paired

Z = 3  # an effect counts when it is beyond three standard errors of the paired difference
# 20 teams of 5,000 people with two or three small practices each: cheap, and every team has people
MANY_TEAMS = {"population": 100_000, "params.chs.team_population": 5000, "params.gp.list_size": 2000}


def productivity(seed: int, **overrides) -> tuple[np.ndarray, np.ndarray]:
    """The teams' drawn productivity and their populations, straight after the ICS is built."""
    model = ICSModel(**{**SMALL, **MANY_TEAMS, **overrides}, seed=seed)
    w = model.teams.table
    return w.productivity.copy(), w.population.astype(float)


def test_the_ics_average_is_unchanged_and_no_spread_means_no_variation():
    drawn, people = productivity(seed=4)
    assert len(drawn) == 20
    assert people @ drawn / people.sum() == pytest.approx(1.0, rel=1e-3)  # the weights are the build-time lists
    assert drawn.std() > 0.2  # it varies
    none, _ = productivity(seed=4, **{"params.chs.productivity_spread": 0.0})
    np.testing.assert_allclose(none, 1.0, rtol=1e-12)


def test_the_draw_is_the_teams_own_whatever_the_levers():
    """Drawn once from its own stream: the same seed gives the same teams in every arm (common random numbers)."""
    base, _ = productivity(seed=9)
    np.testing.assert_array_equal(base, productivity(seed=9, **{"levers.funding_shift_pct": -10.0})[0])
    assert not np.array_equal(base, productivity(seed=10)[0])


def test_the_highest_team_is_about_four_times_the_lowest_among_about_twenty():
    """004 §4: fourfold across 22 teams; over many ICSs of 20 teams the median ratio is near 4."""
    ratios = [np.ptp(np.log(productivity(seed=s)[0])) for s in range(1, 41)]
    assert 3.0 < np.exp(np.median(ratios)) < 5.0


@functools.cache
def team_year(seed: int, spread: float) -> dict[str, np.ndarray]:
    """Each team's figures over a year (after a short burn-in), many teams."""
    model = ICSModel(**MANY_TEAMS, years=1, burn_in_weeks=13, seed=seed, **{"params.chs.productivity_spread": spread})
    w, pop = model.teams.table, model.pop
    weeks, sums = 0, {"contacts_per_fte": 0.0, "proactive": 0.0, "demand": 0.0, "load": 0.0}
    while not model.finished:
        model.step()
        weeks += 1
        for name in sums:
            sums[name] = sums[name] + getattr(w, name)
    people = np.maximum(w.population.astype(float), 1)
    alive = is_alive(pop.setting[: pop.n])
    frailty = np.bincount(pop.team[: pop.n][alive], weights=pop.frailty[: pop.n][alive], minlength=w.rows)
    return {
        "productivity": w.productivity.copy(),
        "contacts_per_fte": sums["contacts_per_fte"] / weeks,
        "proactive_per_1000": sums["proactive"] / weeks / people * 1000,
        "demand_per_head": sums["demand"] / weeks / people,
        "load": sums["load"] / weeks,
        "frailty": frailty / np.bincount(pop.team[: pop.n][alive], minlength=w.rows),
    }


@pytest.mark.slow
def test_contacts_per_fte_follow_the_teams_own_ways_of_working_not_case_mix():
    """004 §4: the variation 'could not be explained by differences in case mix'."""
    t = team_year(seed=2, spread=0.36)
    delivered = np.log(t["contacts_per_fte"])
    assert np.exp(np.ptp(delivered)) > 2.0  # 2.6 with 20 teams (seed 2)
    by_own = np.corrcoef(delivered, np.log(t["productivity"]))[0, 1] ** 2
    by_need = np.corrcoef(delivered, t["demand_per_head"])[0, 1] ** 2
    by_frailty = np.corrcoef(delivered, t["frailty"])[0, 1] ** 2
    assert by_own > 0.7  # 0.86 (seed 2): teams with time to spare keep people on their caseloads
    assert by_need < 0.25 and by_frailty < 0.25  # 0.07 and 0.05


@pytest.mark.slow
def test_a_less_productive_team_runs_fuller_and_cuts_proactive_care():
    """From the same staff a less productive team has less capacity: its load is higher and proactive care,
    cut first, is thinner; paired with the same teams and seed with no variation."""
    low_load, low_proactive = [], []
    for seed in (1, 2, 3, 4):
        varied, even = team_year(seed, 0.36), team_year(seed, 0.0)
        low = varied["productivity"] < 0.8
        low_load.append((varied["load"][low] - even["load"][low]).mean())
        low_proactive.append((varied["proactive_per_1000"][low] - even["proactive_per_1000"][low]).mean())
    diff, se = paired(np.zeros(4), low_load)
    assert diff > Z * se and diff > 0
    diff, se = paired(np.zeros(4), low_proactive)
    assert diff < -Z * se


def test_draw_productivity_scales_capacity():
    model = ICSModel(**{**SMALL, **MANY_TEAMS}, seed=6)
    w = model.teams.table
    w.productivity = np.linspace(0.5, 1.5, w.rows)
    w.integrated_share = np.zeros(w.rows)  # integration's own gain aside
    CHSTeam.update_workforce(model)
    per_fte = w.capacity / w.core_fte
    np.testing.assert_allclose(per_fte / per_fte[0], w.productivity / w.productivity[0], rtol=1e-9)


# --------------------------------------------------------------------------- caseloads kept without review (004 §4)
KEPT_COLUMNS = ("chs_contacts", "chs_kept_contacts", "chs_contacts_per_fte_lowest", "chs_contacts_per_fte_highest")


def weekly_run(**overrides) -> tuple[np.ndarray, ICSModel]:
    model = ICSModel(**{**SMALL, **MANY_TEAMS, "population": 30_000, "years": 1, "seed": 5, **overrides}).run()
    return model.metrics.data[: model.metrics.recorded].copy(), model


def test_visits_nobody_needs_change_nothing_for_anyone():
    """The kept people are home and well: with no visits to them every other output is the same, bit for bit;
    only the contacts counted differ (and some team keeps people: the rule is not idle in this run)."""
    kept, _ = weekly_run()
    none, _ = weekly_run(**{"params.chs.contacts_kept": 0.0})
    columns = list(COLUMNS)
    contacts = [columns.index(name) for name in KEPT_COLUMNS]
    others = [i for i in range(len(columns)) if i not in contacts]
    np.testing.assert_array_equal(kept[..., others], none[..., others])
    kept_contacts = kept[..., columns.index("chs_kept_contacts")].sum()
    assert kept_contacts > 0 and none[..., columns.index("chs_kept_contacts")].sum() == 0
    np.testing.assert_allclose(
        kept[..., columns.index("chs_contacts")] - none[..., columns.index("chs_contacts")],
        kept[..., columns.index("chs_kept_contacts")],
        atol=1e-6,
    )


def test_a_team_keeps_people_only_with_time_to_spare_and_reviews_them_out():
    """The stock: last week's kept, less those reviewed out, plus this week's recovered, cut to the time left."""
    from agents.chs_team import keep_on_caseload, note_recovered

    model = ICSModel(**SMALL, seed=3)
    w, p = model.teams.table, model.params.chs
    n = w.rows
    w.kept = np.zeros(n)
    note_recovered(model, np.array([0] * 6 + [n - 1] * 6))
    time_left = np.zeros(n)
    time_left[n - 1] = 100.0  # one team with time to spare, the others none
    contacts = keep_on_caseload(model, time_left)
    assert w.kept[n - 1] == 6 and w.kept[:-1].sum() == 0  # team 0 is busy: it reviews and discharges
    assert contacts[n - 1] == 6 * p.contacts_kept
    assert w.recovered.sum() == 0  # counted once
    keep_on_caseload(model, time_left)  # a week later: nobody new; reviews discharge some
    assert w.kept[n - 1] == pytest.approx(6 * (1 - p.kept_review_weekly))
    time_left[n - 1] = 1.0  # the time shrinks: it keeps only whom the time allows
    keep_on_caseload(model, time_left)
    assert w.kept[n - 1] == pytest.approx(1.0 / p.contacts_kept)


@pytest.mark.slow
def test_the_team_variation_script_prints_a_row_per_outcome_and_refuses_one_seed(capsys):
    """``python -m experiments.team_variation`` (the ODD's figures), at a tiny size."""
    from experiments import team_variation

    assert (
        team_variation.main(["--population", "10000", "--team-population", "5000", "--years", "2", "--seeds", "2"]) == 0
    )
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "| outcome | change | t |" and len(rows) == 2 + len(team_variation.OUTCOMES)
    assert all(row.count("%") == 1 for row in rows[2:])
    with pytest.raises(SystemExit):
        team_variation.main(["--seeds", "1"])
    assert "--seeds 1 --years 3: allowed: 2 or more" in capsys.readouterr().err
