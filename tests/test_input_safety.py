"""Bad input, as a careless or hostile user gives it, is refused with a short message naming the field.

Issue 13: YAML alias bombs, oversized and deep documents, duplicate keys, non-UTF-8 files, NaN and
infinity, unbounded lists, ``--set`` of a whole section, schedule entries beyond the horizon, and
preset names that try to be paths.  Ends with a hypothesis fuzz test of the validator.
"""

from __future__ import annotations

import math
import time
import typing

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from abm import cli, invariants, safe_yaml
from abm.config import ConfigError, build, describe
from abm.errors import MAX_PROBLEMS
from abm.scenario import Scenario, load_scenario, load_scenario_dict

MAX_MESSAGE_CHARS = 700  # the longest problem line allowed (a list of allowed keys makes some lines long)

# a "billion laughs" of 9 levels: under 500 bytes, 9**9 items if expanded
BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
    for i in range(1, 9)
)


def refused(**kwargs) -> list[str]:
    """The problems load_scenario reports (it must refuse)."""
    with pytest.raises(ConfigError) as exc:
        load_scenario(**kwargs)
    return exc.value.problems


def assert_short(problems: list[str]) -> None:
    assert 1 <= len(problems) <= MAX_PROBLEMS + 1
    for problem in problems:
        assert len(problem) <= MAX_MESSAGE_CHARS, problem[:200]


def cli_refuses(args: list[str], capsys) -> str:
    """Run ``abm ARGS`` in-process; it must exit 2 with a short message on stderr; return it."""
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err) < 3000, err[:300]
    return err


# --------------------------------------------------------------------------- the YAML loader
def test_alias_bomb_is_refused_at_once_with_a_short_message(tmp_path, capsys):
    assert len(BOMB.encode()) < 500
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    started = time.perf_counter()
    err = cli_refuses(["run", str(path), "--out", str(tmp_path / "out")], capsys)
    assert time.perf_counter() - started < 5
    assert "bomb.yaml" in err and "aliases (*a0) are not allowed" in err and "line 2" in err
    assert not (tmp_path / "out").exists()


def test_an_alias_is_refused_in_a_set_value_and_a_paste():
    (problem,) = refused(overrides=["levers=*a"])
    assert "--set value" in problem and "aliases" in problem
    from dashboard.state import scenario_from_yaml

    with pytest.raises(ConfigError) as exc:
        scenario_from_yaml(BOMB, "pasted YAML")
    assert exc.value.problems[0].startswith("pasted YAML: aliases")


def test_oversized_documents_are_refused_before_parsing(tmp_path):
    big = "description: '" + "x" * safe_yaml.MAX_BYTES + "'\n"
    path = tmp_path / "big.yaml"
    path.write_text(big)
    (problem,) = refused(source=path)
    assert "big.yaml" in problem and "too large" in problem and f"{safe_yaml.MAX_BYTES:,}" in problem
    from dashboard.state import scenario_from_yaml

    for content in (big, big.encode()):  # a paste (text) and a drop or upload (bytes)
        with pytest.raises(ConfigError, match="too large"):
            scenario_from_yaml(content, "drop.yaml")


def test_devices_and_folders_are_never_read(tmp_path, capsys):
    assert "not a regular file" in cli_refuses(["run", "/dev/zero"], capsys)
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert "not a regular file" in cli_refuses(["validate", str(folder)], capsys)


def test_deep_nesting_is_refused():
    for text in ("[" * 500 + "]" * 500, "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 40)) + " " * 40 + "1\n"):
        with pytest.raises(safe_yaml.Refused, match="nested"):
            safe_yaml.load(text, "deep.yaml")


def test_duplicate_keys_are_refused_with_their_line(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("name: a\nlevers:\n  acute_beds_multiplier: 1.2\n  acute_beds_multiplier: 0.5\n")
    (problem,) = refused(source=path)
    assert "dup.yaml" in problem and "duplicate key 'acute_beds_multiplier'" in problem and "line 4" in problem


@pytest.mark.parametrize("command", [["run"], ["validate"], ["sweep"]])
def test_non_utf8_files_get_a_message_naming_the_file(tmp_path, capsys, command):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    args = [*command, str(path)] + (["--out", str(tmp_path / "out")] if command != ["validate"] else [])
    err = cli_refuses(args, capsys)
    assert "latin1.yaml" in err and "not UTF-8" in err


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: bom\n")
    assert load_scenario_dict(path) == {"name": "bom"}


def test_a_parser_error_is_short_even_for_a_huge_line():
    with pytest.raises(ConfigError) as exc:
        safe_yaml.load("a: [" + "1, " * 15_000 + "\n", "long.yaml")
    assert_short(exc.value.problems)


# --------------------------------------------------------------------------- values
FLOAT_FIELDS = [
    row["name"]
    for row in describe(Scenario)
    if isinstance(row["default"], float) and not isinstance(row["default"], bool)
]


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_nan_and_infinity_are_refused_in_every_float_field(value):
    assert len(FLOAT_FIELDS) > 80
    for name in FLOAT_FIELDS:
        (problem,) = refused(overrides=[f"{name}={value}"])
        assert problem.startswith(f"{name}: ") and "not a finite number" in problem


def test_nan_in_a_lever_is_refused_live_too():
    from abm.model import ICSModel

    model = ICSModel(population=1000, years=1, burn_in_weeks=0)
    with pytest.raises(ConfigError, match="not a finite number"):
        model.set_lever("acute_beds_multiplier", float("nan"))


def _list_fields(cls: type, prefix: str = ""):
    hints = typing.get_type_hints(cls)
    for f in __import__("dataclasses").fields(cls):
        tp = hints[f.name]
        if __import__("dataclasses").is_dataclass(tp):
            yield from _list_fields(tp, f"{prefix}{f.name}.")
        elif typing.get_origin(tp) is list:
            yield f"{prefix}{f.name}", typing.get_args(tp)[0], dict(f.metadata)


def test_every_list_parameter_has_bounds_and_a_length():
    from abm.scenario import PlaceSpec

    rows = list(_list_fields(Scenario)) + [(f"places[].{n}", t, m) for n, t, m in _list_fields(PlaceSpec)]
    assert len(rows) >= 20
    for name, item, meta in rows:
        if __import__("dataclasses").is_dataclass(item):  # a list of entries (Places, schedule, story steps)
            assert meta.get("max_items"), name
        else:
            assert meta.get("length") and meta.get("lo") is not None and meta.get("hi") is not None, name


@pytest.mark.parametrize(
    "override, expected",
    [
        ("params.acute.los_days_by_age=[-1, 3.5, 5, 6.8, 8]", "params.acute.los_days_by_age.0: -1.0 is out of range"),
        ("params.commissioner.shares=[0.6, -0.1, 0.0, 0.3, 0.2]", "params.commissioner.shares.1: -0.1 is out of range"),
        ("params.commissioner.shares=[0, 0, 0, 0, 0]", "are all zero"),
        ("params.need.seek_probability=[0.8]", "has 1 item(s); allowed: exactly 2"),
        ("places.0.deprivation_shares=[0, 0, 0, 0, 0]", "are all zero"),
        ("places=[]", "places: no Places"),
    ],
)
def test_list_values_are_checked(override, expected):
    (problem,) = refused(overrides=[override])
    assert expected in problem


def test_too_many_entries_are_refused():
    schedule = [{"year": 0, "lever": "data_quality", "value": 0.6}] * 101
    (problem,) = refused(overrides={"schedule": schedule})
    assert problem == "schedule: has 101 item(s); allowed: at most 100"


@pytest.mark.parametrize("section", ["levers", "params", "params.gp", "places.0", "story"])
def test_set_of_a_whole_section_is_refused(section):
    (problem,) = refused(overrides=[f"{section}="])
    assert problem.startswith(f"{section}: is a section") and f"{section}." in problem


def test_schedule_beyond_the_horizon_is_refused(capsys):
    err = cli_refuses(["run", "better_data", "--years", "1", "--quiet", "--population", "1000"], capsys)
    assert "schedule.0.year: 1 is beyond the horizon (1 reporting year(s), so years 0 to 0)" in err


def test_the_dashboard_drops_changes_beyond_its_horizon_and_says_which():
    from dashboard.state import Settings

    settings = Settings.from_preset("outcome_contracts", population=2000, years=3, seed=1)
    assert settings.dropped_changes() == ["demand_multiplier = 1.2 in year 4"]
    assert [c.year for c in settings.build().schedule] == [1, 2]


def test_messages_quote_only_a_short_value():
    huge = "x" * 100_000
    problems = refused(overrides={"population": huge, "levers.chs_contract": huge, "name": ["x"] * 10_000})
    assert_short(problems)
    assert sum(len(p) for p in problems) < 1500


def test_many_problems_are_counted_not_listed():
    bad_levers = ("acute_beds_multiplier", "data_quality", "funding_shift_pct", "demand_multiplier")
    bad_gp = (
        "list_size",
        "ed_spill_weekly",
        "refer_chs_frail_multiplier",
        "pressure_hospital_referral",
        "pressure_home_visit_shift",
        "appointments_per_head_year",
    )
    bad_acute = (
        "beds_per_1000",
        "los_frailty_slope",
        "flow_occupancy",
        "los_slowdown",
        "corridor_discharge_weekly",
        "support_need_base",
        "support_need_per_frailty",
    )
    problems = refused(
        overrides={
            "params.acute.los_days_by_age": [-1] * 5,
            **{f"levers.{n}": "bad" for n in bad_levers},
            **{f"params.gp.{n}": -5.0 for n in bad_gp},
            **{f"params.acute.{n}": -5.0 for n in bad_acute},
        }
    )
    assert len(problems) == MAX_PROBLEMS + 1 and problems[-1].startswith("... and ")


# --------------------------------------------------------------------------- dashboard presets
@pytest.mark.parametrize(
    "name",
    [
        "/etc/passwd",
        "/dev/zero",
        "../policies/presets/baseline",
        "baseline.yaml",
        "policies/presets/baseline.yaml",
        "",
        None,
        ["baseline"],
    ],
)
def test_the_dashboard_loads_presets_only_by_name_from_its_list(name):
    from dashboard.state import Settings

    with pytest.raises(ConfigError) as exc:
        Settings.from_preset(name)
    (problem,) = exc.value.problems
    assert problem.startswith("preset: ") and "not one of this dashboard's presets" in problem
    assert "root:" not in problem  # nothing of the file was read


def test_an_unreadable_facilitator_preset_is_flagged_not_a_traceback(tmp_path, monkeypatch):
    from dashboard.state import Settings, preset_choices

    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    (tmp_path / "bomb.yaml").write_text(BOMB)
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "ours.yaml").write_text("name: ours\ndescription: our own scenario\n")
    monkeypatch.setenv("ABM_DASHBOARD_PRESETS", str(tmp_path))
    choices = dict(preset_choices())
    assert "folder" not in choices and choices["ours"] == "our own scenario"
    assert choices["latin1"].startswith("(unreadable: latin1.yaml: not UTF-8")
    assert choices["bomb"].startswith("(unreadable: bomb.yaml: aliases")
    assert str(tmp_path) not in " ".join(choices.values())  # a participant never sees the server's paths
    assert Settings.from_preset("ours").scenario["name"] == "ours"


# --------------------------------------------------------------------------- fuzz
SCHEMA_KEYS = [row["name"] for row in describe(Scenario)]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["block", "outcome", "acute", "standalone", "new", "redeploy", "1e3", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=20,
)


@st.composite
def scenario_documents(draw) -> str:
    """A YAML document: a few real dotted keys set to random values, and sometimes an unknown key."""
    data: dict = {}
    for key in draw(st.lists(st.sampled_from(SCHEMA_KEYS), max_size=5)):
        node = data
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else node
        node[leaf] = draw(values)
    if draw(st.booleans()):
        data[draw(st.text(min_size=1, max_size=15))] = draw(values)
    return yaml.safe_dump(data, allow_unicode=True)


set_values = st.tuples(
    st.sampled_from([*SCHEMA_KEYS, "levers", "params.gp", "places.0", "places.7", "nope.x"]),
    st.one_of(
        st.text(max_size=40),
        st.sampled_from([".nan", ".inf", "-1", "[1, 2]", "*a", "", "[-1, -1, -1, -1, -1]", "{a: 1}"]),
    ),
)


def _small(scenario: Scenario) -> Scenario:
    data = scenario.to_dict()
    data.update(population=1000, years=1, burn_in_weeks=2)
    data["schedule"] = [c for c in data["schedule"] if c["year"] < 1]
    return build(Scenario, data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=scenario_documents(), sets=st.lists(set_values, max_size=3))
def test_fuzz_the_validator_refuses_briefly_or_accepts_a_sound_scenario(tmp_path_factory, document, sets):
    """Random documents and --set values: a ConfigError with short messages, or a scenario whose every
    number is finite and within its declared bounds (a run of it is checked in the test below)."""
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.yaml"
    path.write_text(document)
    try:
        scenario = load_scenario(path, [f"{k}={v}" for k, v in sets])
    except ConfigError as exc:
        event("refused")
        assert_short(exc.problems)
        return
    event("accepted")
    for row in describe(Scenario):
        value = _value_at(scenario, row["name"])
        for number in value if isinstance(value, list) else [value]:
            if isinstance(number, float):
                assert math.isfinite(number), row["name"]
            if isinstance(number, (int, float)) and not isinstance(number, bool) and row["lo"] is not None:
                assert row["lo"] <= number <= row["hi"], row["name"]


def _value_at(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    overrides=st.dictionaries(
        st.sampled_from(
            [
                r["name"]
                for r in describe(Scenario)
                if r["name"].startswith(("levers.", "params."))
                and isinstance(r["default"], (int, float))
                and not isinstance(r["default"], bool)
            ]
        ),
        st.floats(0, 1),
        min_size=1,
        max_size=6,
    ),
    seed=st.integers(0, 2**31),
)
def test_fuzz_an_accepted_scenario_runs_with_its_invariants_holding(overrides, seed):
    """Any value the validator accepts (here: each field set somewhere in its allowed range) gives a run
    whose invariants hold every week."""
    from abm.model import ICSModel

    bounded = {}
    for row in describe(Scenario):
        if row["name"] in overrides:
            lo, hi = row["lo"], row["hi"]
            value = lo + overrides[row["name"]] * (hi - lo)
            bounded[row["name"]] = round(value) if isinstance(row["default"], int) else value
    try:
        scenario = _small(load_scenario(None, {**bounded, "seed": seed}))
    except ConfigError as exc:  # a cross-field check (e.g. a start year beyond the horizon) may still refuse
        event("refused")
        assert_short(exc.problems)
        return
    event("ran")
    model = ICSModel(scenario)
    for _ in range(model.burn_in_weeks + model.horizon_weeks):
        model.step()
        assert invariants.violations(model) == []
