"""Scenario validation: every problem named, with what is allowed."""

from __future__ import annotations

import pytest

from abm.config import ConfigError, build, describe
from abm.scenario import Scenario, apply_overrides, load_scenario, preset_names, validate_lever


def problems(data=None, overrides=None):
    with pytest.raises(ConfigError) as exc:
        if overrides is not None:
            load_scenario(None, overrides)
        else:
            build(Scenario, data)
    return exc.value.problems


def test_default_scenario_is_valid_and_has_three_places():
    s = load_scenario()
    assert s.name == "baseline"
    assert [p.name for p in s.places] == ["North", "Central", "South"]
    assert "baseline" in preset_names()


def test_unknown_key_suggests_close_match():
    (msg,) = problems({"populaton": 5000})
    assert "populaton" in msg and "did you mean 'population'" in msg


def test_unknown_nested_lever_key_suggests_close_match():
    (msg,) = problems(overrides=["levers.acute_beds_multiplyer=1.2"])
    assert "levers.acute_beds_multiplyer" in msg and "acute_beds_multiplier" in msg


def test_out_of_range_names_field_value_and_range():
    (msg,) = problems({"levers": {"acute_beds_multiplier": 9}})
    assert "levers.acute_beds_multiplier" in msg and "9" in msg and "[0.3, 3.0]" in msg


def test_wrong_type_names_field_and_type():
    (msg,) = problems({"population": "lots"})
    assert "population" in msg and "'lots'" in msg and "int" in msg


def test_bool_is_not_a_number():
    (msg,) = problems({"years": True})
    assert "years" in msg


def test_every_problem_reported_at_once():
    found = problems({"population": -5, "years": "x", "levers": {"demand_multiplier": 7, "nope": 1}})
    assert len(found) == 4


def test_list_length_checked():
    (msg,) = problems({"params": {"demography": {"age_band_shares": [0.5, 0.5]}}})
    assert "age_band_shares" in msg and "exactly 5" in msg


def test_schedule_for_unknown_lever_refused():
    (msg,) = problems({"schedule": [{"year": 1, "lever": "acute_beds_multiplyer", "value": 1.2}]})
    assert "schedule.0.lever" in msg and "acute_beds_multiplier" in msg


def test_schedule_value_checked_against_lever_range():
    (msg,) = problems({"schedule": [{"year": 1, "lever": "acute_beds_multiplier", "value": 50}]})
    assert "schedule.0.value" in msg and "[0.3, 3.0]" in msg


def test_set_overrides_by_dotted_path_and_list_index():
    s = load_scenario(
        None,
        ["population=5000", "levers.integration_share=0.5", "places.0.name=Hull", "params.gp.refer_chs=[0.01, 0.2]"],
    )
    assert s.population == 5000 and s.levers.integration_share == 0.5
    assert s.places[0].name == "Hull" and s.params.gp.refer_chs == [0.01, 0.2]


def test_set_without_equals_is_refused():
    (msg,) = problems(overrides=["population"])
    assert "KEY=VALUE" in msg


def test_set_bad_list_index():
    (msg,) = problems(overrides=["places.7.name=X"])
    assert "places.7" in msg and "3 item(s)" in msg


def test_duplicate_place_names_refused():
    data = apply_overrides({}, ["places.1.name=North"])
    (msg,) = problems(data)
    assert "unique" in msg


def test_unknown_preset_suggests():
    with pytest.raises(ConfigError) as exc:
        load_scenario("baselin")
    assert "did you mean 'baseline'" in exc.value.problems[0]


def test_validate_lever():
    assert validate_lever("acute_beds_multiplier", 2) == 2.0
    with pytest.raises(ConfigError):
        validate_lever("acute_beds_multiplier", 0.1)
    with pytest.raises(ConfigError) as exc:
        validate_lever("beds", 1.0)
    assert "unknown lever" in exc.value.problems[0]


def test_every_parameter_and_lever_documents_units_and_source():
    rows = describe(Scenario)
    params = [r for r in rows if r["name"].startswith(("params.", "levers."))]
    assert len(params) > 60
    missing = [r["name"] for r in params if not r["source"] or not r["units"]]
    assert not missing, f"parameters without units or source: {missing}"
