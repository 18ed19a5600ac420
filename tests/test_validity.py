"""The validity report (abm validate --behaviours): well-formed claims, a sound rule, and a report that matches them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from abm import cli, validity
from abm.scenario import load_scenario
from abm.validity import CLAIMS, MEASURES, Claim, Result

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "validity.md"
CITATION = re.compile(r"(\b00[0-4]\b|mechanism|DESIGN|national statistics)")


def test_there_are_at_least_twenty_claims_each_citing_its_evidence():
    assert len(CLAIMS) >= 20
    assert len({c.key for c in CLAIMS}) == len(CLAIMS)
    for c in CLAIMS:
        assert CITATION.search(c.source), f"{c.key}: cite a seed document and section, DESIGN or national statistics"
        assert c.outcome in MEASURES, c.key
        assert c.expect in ("up", "down", "not up", "not down", "level"), c.key
        assert 0 <= c.years[0] < c.years[1] <= 10, c.key
        assert (c.expect == "level") == (not c.policy), f"{c.key}: a contrast has a policy, a level has none"


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.key)
def test_each_claims_scenarios_are_valid(claim):
    for overrides in (claim.policy, claim.reference):
        load_scenario(None, {"population": 2000, "years": 10, **overrides})  # a ConfigError fails the test


def test_the_problems_the_mechanisms_issue_lists_are_claims():
    keys = {c.key for c in CLAIMS}
    for needed in (
        "integration_admissions",  # integration raised admissions
        "delegation_no_free_gain",  # delegation's gains were built in
        "beds_demand",  # a full hospital flipped the headline sign
        "beds_deaths",
        "baseline_occupancy",  # the baseline drifted
        "baseline_deaths",
        "baseline_electives",
        "gp_cut_plausible",  # the GP knife-edge
        "social_care_dn_work",  # missing though the seeds stress it
    ):
        assert needed in keys


def result(expect: str, difference: float, se: float, reference: float = 100.0, band=None) -> Result:
    claim = Claim("k", "c", "001 §2", "admissions", (1, 3), expect, {"levers.data_quality": 0.9}, band=band)
    return Result(claim, reference, difference, se, difference - 1, difference + 1)


@pytest.mark.parametrize(
    ("expect", "difference", "holds"),
    [
        ("up", 3.5, True),
        ("up", 2.5, False),  # within noise: not shown
        ("up", -5.0, False),
        ("down", -3.5, True),
        ("down", 3.5, False),
        ("not up", 2.5, True),  # not beyond noise the wrong way
        ("not up", 3.5, False),
        ("not down", -2.5, True),
        ("not down", -3.5, False),
    ],
)
def test_a_contrast_holds_only_beyond_three_standard_errors_the_right_way(expect, difference, holds):
    assert result(expect, difference, 1.0).holds is holds


def test_a_size_band_caps_the_effect_and_a_level_must_sit_in_its_band():
    assert result("down", -20.0, 1.0, band=(0.0, 0.3)).holds  # -20% of 100
    assert not result("down", -40.0, 1.0, band=(0.0, 0.3)).holds  # implausibly large
    level = Claim("l", "c", "DESIGN 7", "bed occupancy", (7, 10), "level", band=(0.85, 0.95))
    assert Result(level, 0.9, 0.0, 0.01, 0.88, 0.92).holds
    assert not Result(level, 0.97, 0.0, 0.01, 0.96, 0.98).holds


@pytest.mark.slow
def test_a_small_report_runs_end_to_end():
    claims = (
        Claim("winter", "Winter raises admissions", "DESIGN 5", "admissions", (0, 2), "up",
              {"levers.winter_pressure_pct": 50.0}),
        Claim("level", "Occupancy is a share", "DESIGN 7", "bed occupancy", (0, 2), "level", band=(0.0, 1.0)),
    )  # fmt: skip
    results = validity.evaluate(claims, population=3000, years=2, seeds=(1, 2, 3))
    assert [r.claim.key for r in results] == ["winter", "level"]
    assert results[0].difference > 0 and results[1].holds
    report = validity.markdown(results, 3000, 2, (1, 2, 3))
    assert "| Winter raises admissions |" in report and "claims hold" in report


def test_the_committed_report_lists_every_claim_and_counts_them():
    report = REPORT.read_text()
    rows = [line for line in report.splitlines() if line.startswith("| ") and not line.startswith("| claim")]
    assert len(rows) == len(CLAIMS), "docs/validity.md is out of date: run  abm validate --behaviours --markdown"
    for c in CLAIMS:
        assert f"| {c.claim}" in report, f"docs/validity.md lacks {c.key}: regenerate it"
    held = sum(row.rstrip().endswith("| yes |") for row in rows)
    assert f"**{held} of {len(CLAIMS)} claims hold.**" in report


def test_behaviours_refuses_options_it_does_not_use(capsys):
    assert cli.main(["validate", "--behaviours", "--set", "levers.data_quality=0.5"]) == 2
    assert "--behaviours runs its own scenarios" in capsys.readouterr().err
    assert cli.main(["validate", "--behaviours", "--years", "5"]) == 2
    assert "--years 5 is out of range" in capsys.readouterr().err


def test_claims_selects_by_key_and_refuses_unknown_names(capsys):
    assert [c.key for c in validity.select("baseline_deaths, gp_cut_plausible,baseline_deaths")] == [
        "baseline_deaths",
        "gp_cut_plausible",
    ]
    assert validity.select(None) == CLAIMS
    assert cli.main(["validate", "--behaviours", "--claims", "baseline_deaths,no_such_claim"]) == 2
    err = capsys.readouterr().err
    assert "no_such_claim" in err and "allowed:" in err and "gp_cut_plausible" in err
    assert cli.main(["validate", "--claims", "baseline_deaths"]) == 2
    assert "--claims goes with --behaviours" in capsys.readouterr().err


def test_a_claim_of_its_own_size_runs_at_that_size(monkeypatch):
    """A claim that needs many teams names its own ICS size and run length; the others share the report's."""
    sizes = []
    run_arm = validity.run_arm

    def recording(overrides, population, years, seed):
        sizes.append((population, years))
        return run_arm(overrides, population, years, seed)

    monkeypatch.setattr(validity, "run_arm", recording)
    claims = (
        Claim("small", "Occupancy is a share", "DESIGN 7", "bed occupancy", (0, 1), "level", band=(0.0, 1.0)),
        Claim(
            "sized",
            "Contacts per FTE vary between teams",
            "004 §4",
            "CHS contacts per FTE, highest to lowest team",
            (0, 1),
            "level",
            band=(1.0, 100.0),
            population=6000,
            run_years=1,
        ),
    )
    results = validity.evaluate(claims, population=3000, years=2, seeds=(1, 2))
    assert sorted(sizes) == [(3000, 2), (3000, 2), (6000, 1), (6000, 1)]  # the same baseline, two sizes
    assert all(r.holds for r in results)
    assert "(6,000 people)" in validity.markdown(results, 3000, 2, (1, 2))
