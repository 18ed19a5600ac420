"""Experiment designs (experiments.design): parsing, expansion, sampling, seeds, and errors.

Nothing here runs the model, so the file takes about a second.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from experiments.design import DEFAULT_OUTCOMES, DesignError, load_design, replicate_seeds

SHIPPED = sorted(  # calibrate_*.yaml are abm calibrate's configs (tests/test_calibrate.py), not sweep designs
    p
    for p in (Path(__file__).resolve().parent.parent / "experiments" / "designs").glob("*.yaml")
    if not p.name.startswith("calibrate_")
)


def write(tmp_path: Path, text_or_data, name: str = "design.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text_or_data if isinstance(text_or_data, str) else yaml.safe_dump(text_or_data))
    return path


def design(**fields) -> dict:
    """A small valid design with ``fields`` replaced."""
    data = {
        "population": 3000,
        "years": 1,
        "set": {"burn_in_weeks": 8},
        "replications": 2,
        "seed": 5,
        "factors": {"acute_beds_multiplier": [1.0, 1.2]},
    }
    data.update(fields)
    return data


def problems_of(tmp_path: Path, data, **kwargs) -> list[str]:
    with pytest.raises(DesignError) as exc:
        load_design(write(tmp_path, data), **kwargs)
    assert str(exc.value).startswith(f"invalid design ({len(exc.value.problems)} problem(s))")
    return exc.value.problems


# --------------------------------------------------------------------------- grids
def test_grid_points_are_every_combination_in_order(tmp_path):
    plan = load_design(
        write(
            tmp_path,
            design(
                factors={
                    "acute_beds_multiplier": [1.0, 1.2, 1.4],
                    "levers.social_care_capacity_multiplier": {"values": [1.0, 1.5]},
                    "params.gp.list_size": [8000, 9500],
                }
            ),
        )
    )
    values = [tuple(p["values"].values()) for p in plan.points]
    assert values == [(b, s, g) for b in (1.0, 1.2, 1.4) for s in (1.0, 1.5) for g in (8000, 9500)]
    assert [p["point"] for p in plan.points] == list(range(12))
    assert plan.reference == 0  # a pure grid: its first point
    assert plan.overrides(7) == {
        "levers.acute_beds_multiplier": 1.2,
        "levers.social_care_capacity_multiplier": 1.5,
        "params.gp.list_size": 9500,
    }
    assert plan.design.name == "design" and plan.design.outcomes == list(DEFAULT_OUTCOMES)


def test_base_population_years_and_set_reach_the_base_scenario(tmp_path):
    plan = load_design(write(tmp_path, design(set={"burn_in_weeks": 8, "levers.integration_share": 0.5})))
    assert (plan.base["population"], plan.base["years"], plan.base["burn_in_weeks"]) == (3000, 1, 8)
    assert plan.base["levers"]["integration_share"] == 0.5


def test_command_line_set_and_replications_override_the_design(tmp_path):
    plan = load_design(write(tmp_path, design()), ["population=5000", "years=2"], replications=4)
    assert (plan.base["population"], plan.base["years"], plan.replications) == (5000, 2, 4)
    assert len(plan.runs()) == 2 * 4


def test_base_scenario_file_relative_to_the_design(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "name: mine\npopulation: 4000\nlevers: {integration_share: 0.7}\n", "base.yaml")
    plan = load_design(write(tmp_path / "sub", design(base="base.yaml", population=None)))
    assert plan.base["name"] == "mine" and plan.base["population"] == 4000
    assert plan.base["levers"]["integration_share"] == 0.7


def test_reference_named_or_base(tmp_path):
    factors = {"acute_beds_multiplier": [1.0, 1.2], "recruitment_multiplier": [1, 2]}
    named = load_design(
        write(tmp_path, design(factors=factors, reference={"acute_beds_multiplier": 1.2, "recruitment_multiplier": 1}))
    )
    assert named.points[named.reference]["values"] == {"acute_beds_multiplier": 1.2, "recruitment_multiplier": 1}
    base = load_design(write(tmp_path, design(factors=factors, reference="base")))
    assert base.reference == 0 and base.points[0]["base"] and len(base.points) == 5
    assert base.points[0]["values"] == {"acute_beds_multiplier": 1.0, "recruitment_multiplier": 1.0}


# --------------------------------------------------------------------------- sampling
def test_latin_hypercube_one_value_per_stratum(tmp_path):
    n = 10
    plan = load_design(
        write(
            tmp_path,
            design(
                factors={
                    "recruitment_multiplier": {"range": [0.5, 1.5]},
                    "demand_multiplier": {"range": [0.8, 1.2]},
                    "acute_beds_multiplier": [1.0, 1.2],
                },
                sampling={"method": "lhs", "samples": n},
            ),
        )
    )
    assert plan.points[0]["base"] and plan.reference == 0  # sampled designs compare against the base scenario
    cell0 = [p["values"] for p in plan.points if p["cell"] == 0]
    assert len(plan.points) == 1 + 2 * n and len(cell0) == n
    for name, (low, high) in (("recruitment_multiplier", (0.5, 1.5)), ("demand_multiplier", (0.8, 1.2))):
        values = np.array([v[name] for v in cell0])
        strata = np.floor((values - low) / (high - low) * n).astype(int)
        assert sorted(strata) == list(range(n))  # exactly one value in each tenth of the range
    cell1 = [p["values"] for p in plan.points if p["cell"] == 1]  # the same sample crossed with the grid
    assert [v["demand_multiplier"] for v in cell1] == [v["demand_multiplier"] for v in cell0]


def test_integer_factors_are_sampled_as_whole_numbers(tmp_path):
    plan = load_design(
        write(tmp_path, design(factors={"burn_in_weeks": {"range": [4, 8]}}, sampling={"method": "lhs", "samples": 20}))
    )
    values = [p["values"]["burn_in_weeks"] for p in plan.points if not p["base"]]
    assert all(isinstance(v, int) for v in values) and set(values) == {4, 5, 6, 7, 8}


def test_sample_depends_on_the_root_seed_only(tmp_path):
    data = design(factors={"demand_multiplier": {"range": [0.8, 1.2]}}, sampling={"method": "lhs", "samples": 5})
    first = load_design(write(tmp_path, data, "a.yaml")).points
    assert load_design(write(tmp_path, data, "b.yaml")).points == first
    assert load_design(write(tmp_path, {**data, "seed": 6}, "c.yaml")).points != first


@pytest.mark.parametrize(("method", "per_sample"), [("sobol", lambda k: k + 2), ("morris", lambda k: k + 1)])
def test_salib_designs_have_the_expected_size(tmp_path, method, per_sample):
    factors = {
        "demand_multiplier": {"range": [0.8, 1.2]},
        "recruitment_multiplier": {"range": [0.5, 1.5]},
        "integration_share": {"range": [0.0, 1.0]},
    }
    plan = load_design(write(tmp_path, design(factors=factors, sampling={"method": method, "samples": 4})))
    sampled = [p for p in plan.points if not p["base"]]
    assert len(sampled) == 4 * per_sample(3)
    assert np.asarray(plan.sample).shape == (len(sampled), 3)
    for p in sampled:
        assert 0.8 <= p["values"]["demand_multiplier"] <= 1.2 and 0 <= p["values"]["integration_share"] <= 1


def test_sobol_without_salib_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "SALib", None)  # import SALib now raises ImportError
    problems = problems_of(
        tmp_path,
        design(factors={"demand_multiplier": {"range": [0.8, 1.2]}}, sampling={"method": "sobol", "samples": 4}),
    )
    assert problems == ["sampling.method: 'sobol' needs SALib; install it with pip install 'ics-abm[sensitivity]'"]


# --------------------------------------------------------------------------- seeds
def test_replicate_seeds_spawned_from_the_root():
    seeds = replicate_seeds(7, 5)
    assert len(set(seeds)) == 5 and all(0 <= s < 2**63 for s in seeds)
    assert replicate_seeds(7, 5) == seeds
    assert replicate_seeds(7, 8)[:5] == seeds  # adding replications keeps the earlier seeds
    assert not set(replicate_seeds(8, 5)) & set(seeds)
    child = np.random.SeedSequence(7, spawn_key=(0,)).spawn(5)[3]
    assert seeds[3] == int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def test_every_point_of_a_replicate_shares_its_seed(tmp_path):
    plan = load_design(write(tmp_path, design(replications=3, factors={"acute_beds_multiplier": [1.0, 1.2, 1.4]})))
    runs = plan.runs()
    assert len(runs) == 9 and len({r["run_id"] for r in runs}) == 9
    for replicate, seed in enumerate(plan.seeds):
        assert {r["seed"] for r in runs if r["replicate"] == replicate} == {seed}
    assert len(set(plan.seeds)) == 3


def test_fingerprint_follows_what_decides_results(tmp_path):
    first = load_design(write(tmp_path, design()))
    assert load_design(write(tmp_path, design(description="reworded"))).fingerprint() == first.fingerprint()
    for changed in (
        design(replications=3),
        design(seed=6),
        design(population=4000),
        design(outputs="weekly"),
        design(factors={"acute_beds_multiplier": [1.0, 1.3]}),
    ):
        assert load_design(write(tmp_path, changed)).fingerprint() != first.fingerprint()


# --------------------------------------------------------------------------- errors
def test_every_problem_is_listed_at_once(tmp_path):
    problems = problems_of(
        tmp_path,
        design(
            populaton=3000,
            years=0,
            replications=0,
            outputs="daily",
            outcomes=["admissions"],
            set={"burn_in_weeks": -1, "levers.acute_beds_multiplyer": 2},
            sampling={"method": "sobol", "samples": 10},
            factors={
                "acute_beds_multiplier": [1.0, 9],
                "data_qualty": [0.1],
                "seed": [1, 2],
                "recruitment_multiplier": {"range": [2, 1]},
                "integration_share": 0.5,
                "params.gp.list_sise": [1],
                "demand_multiplier": {"values": [1.0], "range": [1, 2]},
            },
        ),
    )
    expected = [
        "populaton: unknown key (did you mean 'population'?)",
        "years: 0 is out of range; allowed: int in [1, 60]",
        "replications: 0 is out of range; allowed: int in [1, 10000]",
        "outputs: 'daily' is not allowed; allowed: one of 'annual', 'weekly'",
        "outcomes.0: 'admissions' is not an outcome",
        "sampling.samples: 10 is not a power of 2",
        "base scenario 'baseline': burn_in_weeks: -1 is out of range; allowed: int in [0, 1040]",
        "base scenario 'baseline': levers.acute_beds_multiplyer: unknown key (did you mean 'acute_beds_multiplier'?)",
        "factors.acute_beds_multiplier.values: levers.acute_beds_multiplier: 9.0 is out of range; "
        "allowed: float in [0.3, 3.0]",
        "factors.data_qualty: unknown factor",
        "factors.seed: 'seed' cannot be a factor",
        "factors.recruitment_multiplier.range: [2.0, 1.0] is not [low, high] with low < high",
        "factors.integration_share: 0.5 is a float; give a list of values",
        "factors.params.gp.list_sise: params.gp.list_sise: unknown key (did you mean 'list_size'?)",
        "factors.demand_multiplier.values: give either values: [...] (a grid) or range: [low, high] (sampled), "
        "not both",
    ]
    assert len(problems) == len(expected)
    for text in expected:
        assert sum(p.startswith(text) for p in problems) == 1, text


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"factors": {"chs_contract_x": [1]}}, "factors.chs_contract_x: unknown factor"),
        ({"factors": {"acute_beds_multiplier": []}}, "factors.acute_beds_multiplier.values: is empty"),
        ({"factors": {"acute_beds_multiplier": [1.0, 1.0]}}, "repeats a value"),
        (
            {"factors": {"description": {"range": [0, 1]}}, "sampling": {"samples": 4}},
            "factors.description.range: description is a str value and cannot be sampled",
        ),
        (
            {"factors": {"acute_beds_multiplier": {"range": [0.1, 1.0]}}, "sampling": {"samples": 4}},
            "factors.acute_beds_multiplier.range: levers.acute_beds_multiplier: 0.1 is out of range",
        ),
        (
            {"factors": {"acute_beds_multiplier": {"range": [0.5, 1.0]}}},
            "sampling: factors acute_beds_multiplier give a range, so the design needs sampling:",
        ),
        ({"sampling": {"method": "lhs"}}, "sampling: given, but no factor has a range"),
        (
            {"sampling": {"method": "latin"}},
            "sampling.method: 'latin' is not allowed; allowed: one of 'lhs', 'sobol', 'morris'",
        ),
        ({"factors": {}}, "factors: none given"),
        ({"factors": [1, 2]}, "factors: expected a mapping, got list"),
        (
            {"reference": {"acute_beds_multiplier": 1.1}},
            "reference: {'acute_beds_multiplier': 1.1} is not a design point",
        ),
        ({"reference": {"demand_multiplier": 1.0}}, "must give one value for each grid factor (acute_beds_multiplier)"),
        ({"reference": 3}, "reference: 3 is not allowed; allowed: 'base' or a mapping"),
        ({"set": [1]}, "set: [1] is not a mapping of dotted keys to values"),
        (
            {"base": "baselin"},
            "base scenario 'baselin': scenario: 'baselin' is neither a file nor a preset (did you mean 'baseline'?)",
        ),
        ({"population": "many"}, "population: 'many' is a str; allowed: int in [1000, 5000000]"),
    ],
)
def test_one_problem_named_clearly(tmp_path, fields, expected):
    problems = problems_of(tmp_path, design(**fields))
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_seed_belongs_to_the_design_not_the_base(tmp_path):
    problems = problems_of(tmp_path, design(), overrides=["seed=3"])
    assert problems == [
        "seed: the runs' seeds are spawned from the design's root seed; set seed: in the design "
        "instead of the base scenario's seed"
    ]


def test_command_line_overrides_are_checked(tmp_path):
    problems = problems_of(tmp_path, design(), overrides=["population=abc", "nonsense"])
    assert problems == [
        "--set 'nonsense': expected KEY=VALUE, e.g. population=5000",
        "base scenario 'baseline': population: 'abc' is a str; allowed: int in [1000, 5000000]",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "must hold a mapping of keys to values, not list"),
        ("factors: [unclosed\n", "is not valid YAML"),
    ],
)
def test_unreadable_design_files(tmp_path, text, expected):
    assert expected in problems_of(tmp_path, text)[0]


def test_missing_design_file(tmp_path):
    with pytest.raises(DesignError, match="does not exist"):
        load_design(tmp_path / "nope.yaml")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_designs_are_valid(path):
    plan = load_design(path)
    assert plan.design.description, "each shipped design says what question it answers"
    assert len(plan.runs()) >= 2
