"""The dashboard's model side, without a browser: live levers, common-random-number baselines,
headline figures, charts, export and upload checks, the command."""

from __future__ import annotations

import re
import time
from html import escape

import numpy as np
import pytest

from abm.config import ConfigError
from abm.runner import summarise
from abm.scenario import Scenario
from dashboard import charts, controls, flows, png, svg
from dashboard.cli import server_command
from dashboard.figures import CARDS, headline
from dashboard.state import Player, SessionRunner, Settings, replay, run_from_yaml, scenario_from_yaml
from policies.levers import GROUPS, lever_table
from tests.conftest import GatedRuns

SMALL = dict(population=4000, years=1, seed=5)


def small_runner(**run) -> SessionRunner:
    settings = Settings.from_preset("baseline", **{**SMALL, **run})
    settings.scenario["burn_in_weeks"] = 12
    runner = SessionRunner(settings, pool=None)
    runner.reset()
    return runner


def test_live_lever_acts_from_next_week_and_replay_reproduces_the_run():
    runner = small_runner()
    runner.advance(10)
    runner.set_lever("acute_beds_multiplier", 0.5)
    runner.advance(20)
    assert runner.user_changes == [(10, "acute_beds_multiplier", 0.5)]
    assert runner.markers()[-1] == (10, "acute_beds_multiplier", 0.5)
    live = runner.data().copy()
    again = replay(runner.scenario.to_dict(), runner.user_changes, weeks=30)
    np.testing.assert_array_equal(live, again)  # same seed + same changes = the same run
    untouched = replay(runner.scenario.to_dict(), [], weeks=30)
    np.testing.assert_array_equal(live[:10], untouched[:10])  # identical before the change
    assert not np.array_equal(live[10:], untouched[10:])  # and different after it


def test_bad_lever_value_is_refused_with_its_name_and_the_run_goes_on():
    runner = small_runner()
    runner.advance(2)
    with pytest.raises(ConfigError) as err:
        runner.set_lever("acute_beds_multiplier", 99)
    assert "acute_beds_multiplier" in err.value.problems[0] and "allowed" in err.value.problems[0]
    assert runner.user_changes == []
    assert runner.advance(1) == 1


def test_pin_and_compare_reruns_the_pinned_settings_with_this_seed():
    runner = small_runner()
    runner.set_lever("demand_multiplier", 1.5)
    runner.advance(8)
    pinned = runner.pin_baseline()
    assert pinned.data.shape[0] == 8 and pinned.changes == [(0, "demand_multiplier", 1.5)]
    runner.reset(Settings(**{**runner.settings.__dict__, "seed": 9}))
    with pytest.raises(ConfigError):
        runner.compare()  # nothing pinned after a reset
    runner.pinned = pinned
    baseline = runner.compare()
    assert baseline.ready and baseline.scenario["seed"] == 9
    assert baseline.data.shape[0] == 52  # the whole horizon
    runner.advance(8)
    # the baseline ran the pinned lever change, so it differs from this run (no change) from week 0
    assert not np.array_equal(baseline.data[:8], runner.data())


class RecordingPool:
    """Stands in for the background pool: records what the default baseline asks it to run."""

    def __init__(self):
        self.submitted = []

    def submit(self, scenario, changes, owner=None):
        self.submitted.append((scenario, changes))
        return None


@pytest.mark.parametrize(
    "preset, expected_label",
    [
        ("baseline", "as loaded (no lever moved)"),
        ("funding_shift_core", "with no policy"),
        ("social_care_cuts", "with no policy"),
    ],
)
def test_default_baseline_is_the_same_world_with_no_policy(preset, expected_label):
    """A story preset's own levers and schedule show against the baseline from the first week."""
    settings = Settings.from_preset(preset, **{**SMALL, "years": 2})  # social_care_cuts' schedule is in year 1
    settings.scenario["burn_in_weeks"] = 4
    runner = SessionRunner(settings, pool=RecordingPool())
    runner.reset()
    ((scenario, changes),) = runner.pool.submitted
    assert expected_label in runner.baseline.label and "same seed" in runner.baseline.label
    assert scenario["levers"] == Scenario().to_dict()["levers"] and scenario["schedule"] == [] and changes == []
    loaded = runner.scenario.to_dict()
    assert {k: v for k, v in scenario.items() if k not in ("levers", "schedule")} == {
        k: v for k, v in loaded.items() if k not in ("levers", "schedule")
    }  # same Places, seed, parameters
    assert (scenario == loaded) == (preset == "baseline")


class PendingPool:
    """Stands in for the background pool: each run is a future that finishes when the test says."""

    def __init__(self):
        self.futures = []

    def submit(self, scenario, changes, owner=None):
        from concurrent.futures import Future

        future = Future()
        self.futures.append((future, scenario, changes))
        return future

    def finish(self):
        for future, scenario, changes in self.futures:
            if not future.done():
                future.set_result(replay(scenario, changes))


def test_pinning_alone_keeps_the_cards_compared():
    """Pin on its own (no Compare button any more) reruns the pinned run in full at once; until the rerun
    arrives, the pinned weeks stand in, and past them the cards say the baseline is computing, never blank."""
    from dashboard.panels import baseline_data, cards_html

    runner = small_runner()
    runner.pool = PendingPool()
    runner.advance(8)
    runner.pin_baseline()
    assert "pinned run (week 8" in runner.baseline.label and not runner.baseline.ready
    cards = cards_html(runner.data(), baseline_data(runner))
    assert cards.count(">Same as baseline<") == 6  # the pinned weeks cover the cards: the same run so far
    runner.set_lever("demand_multiplier", 1.5)
    runner.advance(12)
    cards = cards_html(runner.data(), baseline_data(runner))
    assert cards.count(">baseline computing...<") == 6 and "press Compare" not in cards
    runner.pool.finish()
    assert runner.poll_baseline() and runner.baseline.ready and runner.baseline.data.shape[0] == 52
    cards = cards_html(runner.data(), baseline_data(runner))
    assert "computing" not in cards and "Worse: +" in cards  # more demand: more admissions than the pinned run


def test_cards_give_better_or_worse_in_words_and_icons_in_one_unit():
    from dashboard.figures import CARD
    from dashboard.panels import BETTER_COLOUR, WORSE_COLOUR, delta_text

    worse = delta_text(110.0, 100.0, CARD["admissions"])
    assert (worse.text, worse.verdict, worse.colour) == ("Worse: +10", "worse", WORSE_COLOUR)
    assert "mdi-alert-outline" in worse.html() and "vs baseline (admissions per 1,000 people a year)" in worse.title
    better = delta_text(0.90, 0.93, CARD["occupancy"])
    assert (better.text, better.verdict, better.colour) == ("Better: -3.0 points", "better", BETTER_COLOUR)
    assert "mdi-thumb-up-outline" in better.html()
    assert delta_text(0.14, 0.13, CARD["chs_share"]).text == "Higher: +1.0 points"  # neither better nor worse
    assert delta_text(0.1300, 0.1302, CARD["chs_share"]).text == "Same as baseline"  # rounds to no change
    assert delta_text(5.0, None, CARD["vacancies"]).text == "baseline computing..."
    assert "%" not in worse.text  # one unit per card: no relative change beside the absolute one


def test_when_beds_are_full_the_admissions_card_says_so_and_shows_admission_demand():
    """A full hospital admits fewer people though no fewer need a bed: the card must not read as better."""
    from abm.model import ICSModel
    from dashboard.panels import cards_html

    def weekly(**levers):
        model = ICSModel(population=6000, years=1, burn_in_weeks=26, rng=3, **levers).run()
        return model.metrics.data[: model.metrics.recorded]

    usual, full = weekly(), weekly(**{"levers.acute_beds_multiplier": 0.5})
    cards = cards_html(full, usual)
    admissions = re.search(r"<div class='headline-card card-admissions'[^>]*>.*?</div></div>", cards).group(0)
    assert "data-beds='full'" in admissions and "Beds full:" in admissions and "needed a bed" in admissions
    assert "Fewer got a bed:" in admissions and "Better" not in admissions and "data-verdict=''" in admissions
    ample = weekly(**{"levers.acute_beds_multiplier": 1.3})
    assert "Beds full" not in cards_html(ample, usual)  # with beds to spare the hospital copes


def test_no_policy_keeps_the_scenarios_demand():
    """Rising demand is the world the outcome-contracts story happens in, not a policy: the baseline keeps it."""
    settings = Settings.from_preset("outcome_contracts", **{**SMALL, "years": 5})  # its schedule reaches year 4
    runner = SessionRunner(settings, pool=RecordingPool())
    runner.reset(warm_up=False)
    ((scenario, _),) = runner.pool.submitted
    assert [c["lever"] for c in scenario["schedule"]] == ["demand_multiplier", "demand_multiplier"]
    assert scenario["levers"]["chs_contract"] == "block"


def test_headlines_match_the_runner_summary():
    runner = small_runner()
    runner.advance(52)
    summary = summarise(runner.model.metrics.frame())["years"][0]
    data = runner.data()
    assert headline(data, "admissions", 0, 52) == pytest.approx(summary["emergency_admissions_per_1000"])
    assert headline(data, "unmet_need", 0, 52) == pytest.approx(summary["unmet_need_sought_per_1000"])
    assert headline(data, "occupancy", 0, 52) == pytest.approx(summary["bed_occupancy"])
    assert headline(data, "delayed", 0, 52) == pytest.approx(summary["delayed_discharge_bed_days"])
    assert headline(data, "chs_share", 0, 52) == pytest.approx(summary["chs_share_of_spend"])
    assert {c.key for c in CARDS} == {"admissions", "unmet_need", "occupancy", "delayed", "chs_share", "vacancies"}


def test_every_chart_draws_its_series_and_the_lever_markers():
    runner = small_runner()
    runner.advance(5)
    runner.set_lever("integration_share", 0.8)
    runner.advance(5)
    markers = charts.markers_of(runner.markers())
    data = runner.data()
    for builder in charts.ALL_CHARTS:
        spec = charts.build_chart(builder, data, data, runner.model.horizon_weeks, markers, runner.place_names)
        text = svg.render(spec)
        assert text.startswith("<svg") and text.endswith("</svg>")
        assert text.count("class='lever-marker'") == 1 and "data-week='5'" in text
        for series in spec.series:
            assert f"data-series='{series.label}'" in text
        assert escape(spec.y_label) in text and escape(spec.title) in text
    assert "Home" in flows.render(data, 0) and "emergency admissions" in flows.render(data, 0)


def test_changes_in_the_same_week_share_one_marker_that_names_them_all():
    """Two levers moved in one week: one marker (one number) listing both, not two hiding each other (issue 16)."""
    from dashboard.panels import markers_html

    runner = small_runner()
    runner.advance(4)
    runner.set_lever("integration_share", 0.8)
    runner.set_lever("acute_beds_multiplier", 0.5)
    runner.advance(3)
    runner.set_lever("demand_multiplier", 1.2)
    markers = charts.markers_of(runner.markers())
    assert [m.week for m in markers] == [4, 7]
    assert "Integration share set to 0.8" in markers[0].label
    assert "Acute beds multiplier set to 0.5×" in markers[0].label
    assert markers[1].label == "week 7 (year 0): Demand multiplier set to 1.2×"
    text = svg.render(charts.admissions(runner.data(), None, runner.model.horizon_weeks, markers))
    assert text.count("class='lever-marker'") == 2 and text.count("data-week='4'") == 1
    assert ">1</text></g>" in text and ">2</text></g>" in text and ">3</text></g>" not in text
    listed = markers_html(runner.markers())
    assert listed.count("<li>") == 2
    first = listed.split("<li>")[1]
    assert first.startswith("1. week 4") and "Integration share" in first and "Acute beds multiplier" in first
    assert "_" not in listed  # lever names in words, not code


@pytest.mark.parametrize(
    "lo, hi, percent", [(0.1340, 0.1349, True), (0.80, 0.95, True), (100, 120, False), (0.5, 0.52, False)]
)
def test_axis_labels_tell_neighbouring_ticks_apart(lo, hi, percent):
    from dashboard.chartspec import nice_ticks, tick_labels

    labels = tick_labels(nice_ticks(lo, hi), percent)
    assert len(set(labels)) == len(labels) >= 2
    assert all(label.endswith("%") for label in labels) == percent


def test_png_export_is_a_png():
    runner = small_runner()
    runner.advance(6)
    spec = charts.admissions(runner.data(), None, runner.model.horizon_weeks, charts.markers_of([(3, "x", 1)]))
    assert png.render(spec, dpi=40)[:8] == b"\x89PNG\r\n\x1a\n"


def test_exported_settings_reload_with_the_live_changes_and_their_weeks():
    runner = small_runner()
    runner.set_lever("social_care_capacity_multiplier", 1.4)
    text = runner.scenario_yaml()
    data, changes = run_from_yaml(text, "export.yaml")
    assert "social_care_capacity_multiplier" not in (data.get("levers") or {})  # the levers as the run started
    assert changes == [(0, "social_care_capacity_multiplier", 1.4)]
    assert data["population"] == SMALL["population"] and data["seed"] == SMALL["seed"]
    assert "live_changes" not in scenario_from_yaml(text, "export.yaml")
    assert "live_changes" not in small_runner().scenario_yaml()  # none moved: a plain scenario `abm run` reads
    assert runner.metrics_csv().splitlines() == [runner.metrics_csv().splitlines()[0]]  # no week yet: header
    runner.advance(3)
    lines = runner.metrics_csv().splitlines()
    assert lines[0].startswith("week,year,place,population") and len(lines) == 1 + 3 * len(runner.place_names)


def test_an_exported_run_imported_into_a_fresh_runner_replays_it_bit_for_bit():
    runner = small_runner(years=2)
    runner.advance(7)
    runner.set_lever("acute_beds_multiplier", 0.6)
    runner.advance(30)
    runner.set_lever("social_care_capacity_multiplier", 1.5)
    runner.advance(40)  # past a new financial year (week 52)
    text = runner.scenario_yaml()
    data, changes = run_from_yaml(text, "export.yaml")
    assert changes == [(7, "acute_beds_multiplier", 0.6), (37, "social_care_capacity_multiplier", 1.5)]
    fresh = SessionRunner(
        Settings(source="uploaded: export", scenario=data, population=4000, years=2, seed=5, changes=changes), pool=None
    )
    fresh.reset()
    assert fresh.user_changes == [] and fresh.lever_values()["acute_beds_multiplier"] == 1.0
    fresh.advance(77)
    np.testing.assert_array_equal(fresh.data(), runner.data())
    assert fresh.markers() == runner.markers() and fresh.user_changes == runner.user_changes
    assert fresh.scenario_yaml().split("\n", 1)[1] == text.split("\n", 1)[1]  # and it exports the same run


@pytest.mark.parametrize(
    "section, expected",
    [
        ("live_changes: 3", "live_changes: 3 is a int; allowed: list"),
        (
            "live_changes:\n- {week: 2, lever: acute_beds_multiplyer, value: 1.2}",
            "did you mean 'acute_beds_multiplier'",
        ),
        (
            "live_changes:\n- {week: 2, lever: acute_beds_multiplier, value: 9}",
            "live_changes.0.value: 9.0 is out of range",
        ),
        (
            "live_changes:\n- {week: 999, lever: acute_beds_multiplier, value: 1.2}",
            "live_changes.0.week: 999 is beyond",
        ),
        ("live_changes:\n- {week: -1, lever: acute_beds_multiplier, value: 1.2}", "live_changes.0.week"),
        ("live_changes:\n- {week: 1, lever: acute_beds_multiplier, value: 1.2, x: 1}", "unknown key"),
        ("live_changes:\n" + "- {week: 1, lever: acute_beds_multiplier, value: 1.2}\n" * 101, "allowed: at most 100"),
    ],
)
def test_a_forged_live_changes_section_is_a_short_error(section, expected):
    with pytest.raises(ConfigError) as err:
        run_from_yaml("years: 1\npopulation: 4000\n" + section, "forged.yaml")
    message = " ".join(err.value.problems)
    assert message.startswith("forged.yaml") and expected in message, message
    assert len(message) < 600


@pytest.mark.parametrize(
    "text, expected",
    [
        ("levers: [1, 2", "not valid YAML"),
        ("- just\n- a list", "must be a mapping"),
        (
            "levers:\n  acute_beds_multiplier: 7\n",
            "levers.acute_beds_multiplier: 7.0 is out of range; allowed: float in [0.3, 3.0]",
        ),
        ("levers:\n  acute_beds_multiplyer: 1.2\n", "did you mean 'acute_beds_multiplier'"),
        ("population: lots\n", "population: 'lots' is a str; allowed: int"),
    ],
)
def test_a_bad_upload_names_the_field_and_what_is_allowed(text, expected):
    with pytest.raises(ConfigError) as err:
        scenario_from_yaml(text, "bad.yaml")
    message = " ".join(err.value.problems)
    assert message.startswith("bad.yaml") and expected in message


def test_every_lever_gets_a_control_with_units_range_and_evidence():
    rows = lever_table()
    assert {r["group"] for r in rows} <= set(GROUPS)
    for row in rows:
        assert row["doc"] and row["source"] in controls.lever_tooltip(row)
        assert f"usually {controls.lever_value(row, row['default'])}" in controls.lever_range(row)
        if row["lo"] is not None:
            lo, hi = (controls.lever_value(row, row[k]) for k in ("lo", "hi"))
            assert f"{lo} to {hi}" in controls.lever_range(row) or f"{row['lo']:g} to {hi}" in controls.lever_range(row)


# what a workshop should not read in a tooltip or under a lever (issue 16): code names, Python types, raw booleans
CODE_WORDS = re.compile(
    r"\w+\.\w+\.\w+|\b[a-z]+_[a-z_]+\b|\b(float|int|bool|str|True|False|None)\b|\[-?[\d.]+, -?[\d.]+\]|\bparams\b"
)


@pytest.mark.parametrize("row", lever_table(), ids=lambda r: r["name"])
def test_lever_help_and_range_read_as_plain_words(row):
    """Each lever says what it does with no code names (agents.x.Y, snake_case names), no Python types
    ('float in [-10.0, 10.0]'), no 'True'/'False', and units once, as people say them."""
    tooltip, allowed = controls.lever_tooltip(row), controls.lever_range(row)
    what_it_does = tooltip.split("\n\nEvidence:")[0]
    assert row["help"] and what_it_does == row["help"]
    for text in (what_it_does, allowed, controls.lever_label(row), controls.lever_value(row, row["default"])):
        assert not CODE_WORDS.search(text), f"{row['name']}: {CODE_WORDS.search(text).group()!r} in {text!r}"
    assert "0-1" not in allowed and "now" not in allowed
    if isinstance(row["default"], bool):
        assert allowed.startswith("on or off") and controls.lever_value(row, True) == "on"


@pytest.mark.parametrize(
    "name, value, said",
    [
        ("funding_shift_pct", -2.5, "-2.5%"),
        ("acute_beds_multiplier", 1.5, "1.5×"),
        ("funding_shift_start_year", 3, "year 3"),
        ("addon_funding_years", 1, "1 year"),
        ("delegation_to_place", False, "off"),
        ("chs_contract", "outcome", "outcome"),
    ],
)
def test_lever_values_are_said_as_people_say_them(name, value, said):
    row = next(r for r in lever_table() if r["name"] == name)
    assert controls.lever_value(row, value) == said


def test_presets_are_titled_in_words():
    from dashboard.words import preset_title

    assert preset_title("case_study_ics") == "Case study ICS"
    assert preset_title("addon_virtual_wards") == "Add-on virtual wards"
    assert preset_title("uploaded: my_scenario") == "uploaded: my_scenario"  # a label, not a name: as it is


def test_player_stops_at_a_story_target_week():
    runner = small_runner()
    updates, stopped = [], []
    player = Player(
        runner,
        on_update=lambda arrived: updates.append(runner.weeks),
        on_error=pytest.fail,
        on_stop=lambda: stopped.append(True),
    )
    player.weeks_per_second = 25
    player.start(stop_week=20)
    deadline = time.time() + 30
    while not stopped and time.time() < deadline:
        time.sleep(0.05)
    assert stopped and runner.weeks == 20 and updates[-1] == 20


def test_dashboard_command_is_offered_and_checks_its_options(capsys):
    from abm.cli import main

    assert main(["dashboard", "--population", "50"]) == 2
    assert "--population 50 is out of range" in capsys.readouterr().err
    command = server_command("127.0.0.1", 8765)
    assert command[1:3] == ["-m", "dashboard.serve"] and command[3:] == ["--host", "127.0.0.1", "--port", "8765"]


@pytest.mark.slow
def test_baseline_runs_in_a_worker_process_that_ends_with_its_parent():
    import subprocess
    import sys

    from dashboard.state import BaselinePool

    pool = BaselinePool()
    scenario = Settings.from_preset("baseline", **SMALL).build().to_dict()
    scenario["burn_in_weeks"] = 4
    future = pool.submit(scenario, [(2, "demand_multiplier", 1.3)])
    assert pool.submit(scenario, [(2, "demand_multiplier", 1.3)]) is future  # the same run is shared
    data = future.result(timeout=120)
    np.testing.assert_array_equal(data, replay(scenario, [(2, "demand_multiplier", 1.3)]))
    pool.shutdown()
    # a server killed outright leaves no worker behind
    code = (
        "import sys; from dashboard.state import BaselinePool, Settings; p = BaselinePool(); "
        "s = Settings.from_preset('baseline', population=4000, years=1).build().to_dict(); s['burn_in_weeks'] = 1; "
        "p.submit(s, []).result(); print(*[c.pid for c in p._executor._processes.values()]); sys.stdout.flush(); "
        "import os; os._exit(0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    (worker,) = map(int, out.stdout.split())
    deadline = time.time() + 15
    while time.time() < deadline and _alive(worker):
        time.sleep(0.2)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# --------------------------------------------------------------------------- per-session limits (issue 13)
def test_a_run_over_the_session_limits_is_refused_and_the_current_run_goes_on():
    from dashboard.limits import Limits

    runner = small_runner()
    runner.limits = Limits(population=20_000, years=3, burn_in_weeks=156)
    runner.advance(3)
    run_id = runner.run_id
    for change, expected in [
        (
            dict(population=30_000),
            "population: 30,000 people is more than this dashboard runs per session; allowed: 1,000 to 20,000",
        ),
        (dict(years=4), "years: 4 years is more than this dashboard runs per session; allowed: 1 to 3"),
    ]:
        with pytest.raises(ConfigError) as err:
            runner.reset(Settings(**{**runner.settings.__dict__, **change}))
        assert err.value.problems == [err.value.problems[0]] and err.value.problems[0].startswith(expected)
    settings = Settings(**runner.settings.__dict__)
    settings.scenario = {**settings.scenario, "burn_in_weeks": 1040}
    with pytest.raises(ConfigError) as err:
        runner.reset(settings)
    assert (
        "burn_in_weeks: 1,040 weeks is more than this dashboard runs per session; allowed: 0 to 156"
        in err.value.problems[0]
    )
    assert runner.run_id == run_id and runner.weeks == 3  # the run was left as it was
    runner.reset(Settings(**{**runner.settings.__dict__, "population": 20_000, "years": 1}), warm_up=False)
    assert runner.run_id == run_id + 1  # at the limit is allowed


def test_limits_come_from_the_environment_the_facilitator_set():
    from dashboard.limits import Limits

    assert Limits.from_env({}) == Limits(50_000, 10, 312)  # the workshop defaults
    env = {
        "ABM_DASHBOARD_MAX_POPULATION": "100000",
        "ABM_DASHBOARD_MAX_YEARS": "20",
        "ABM_DASHBOARD_MAX_BURN_IN_WEEKS": "nonsense",
    }
    assert Limits.from_env(env) == Limits(100_000, 20, 312)
    assert Limits.from_env(Limits(30_000, 4, 300).env()) == Limits(30_000, 4, 300)
    assert Limits.from_env({"ABM_DASHBOARD_MAX_POPULATION": "9999999"}).population == 50_000  # out of range


@pytest.mark.parametrize("path", ["preset", "apply", "upload"])
def test_every_way_a_session_starts_a_run_checks_the_limits(path):
    """Preset, 'Apply and reset' and an uploaded or pasted scenario all pass through Session.reset."""
    from dashboard import session as ss
    from dashboard.limits import Limits

    runner = small_runner()
    runner.limits = Limits(population=20_000, years=3, burn_in_weeks=156)
    session = ss.Session(runner)
    ss.problems.set([])
    run_id = runner.run_id
    if path == "preset":
        session.reset(Settings.from_preset("funding_shift_core", population=25_000, years=2))
        expected = "population: 25,000 people"
    elif path == "apply":
        session.reset(Settings(source="baseline", scenario=runner.settings.scenario, population=4000, years=60))
        expected = "years: 60 years"
    else:
        session.load_yaml("name: big\npopulation: 200000\nyears: 60\nburn_in_weeks: 1040\n", "big.yaml")
        expected = "population: 200,000 people"
    problems = ss.problems.value
    assert problems and problems[0].startswith(expected) and "allowed: " in problems[0]
    if path == "upload":  # every field over its limit is named
        assert [p.split(":")[0] for p in problems] == ["population", "years", "burn_in_weeks"]
    assert runner.run_id == run_id  # nothing was started
    ss.problems.set([])


# --------------------------------------------------------------------------- a fair baseline pool (issue 13)
def gated_pool(**kw):
    from concurrent.futures import ThreadPoolExecutor

    from dashboard.state import BaselinePool

    runs = GatedRuns()
    return BaselinePool(run=runs, make_executor=ThreadPoolExecutor, **kw), runs


def test_baseline_pool_serves_sessions_in_turn_and_cancels_a_superseded_request():
    from concurrent.futures import wait

    pool, runs = gated_pool()
    a1 = pool.submit({"name": "a1"}, [], owner="A")
    runs.wait_started(1)  # A's first run holds the worker
    a2 = pool.submit({"name": "a2"}, [], owner="A")
    a3 = pool.submit({"name": "a3"}, [], owner="A")  # replaces A's waiting request
    assert a2.cancelled() and not a3.done()
    b1 = pool.submit({"name": "b1"}, [], owner="B")  # asked after A's second and third
    c1 = pool.submit({"name": "c1"}, [], owner="C")
    a4 = pool.submit({"name": "a4"}, [], owner="A")  # replaces a3
    assert a3.cancelled() and pool.waiting() == 3
    runs.gate.set()
    done, _ = wait([a1, b1, c1, a4], timeout=10)
    assert len(done) == 4
    assert runs.started == ["a1", "b1", "c1", "a4"]  # B and C before A's later requests: one each, in turn
    assert [int(f.result()[0, 0, 0]) for f in (a1, b1, c1, a4)] == [1, 2, 3, 4]
    pool.shutdown()


def test_baseline_pool_shares_a_run_between_sessions_and_forgets_ended_ones():
    from concurrent.futures import wait

    pool, runs = gated_pool()
    pool.submit({"name": "busy"}, [], owner="X")
    runs.wait_started(1)
    shared = pool.submit({"name": "same"}, [], owner="A")
    assert pool.submit({"name": "same"}, [], owner="B") is shared  # the same run: one job, one future
    pool.submit({"name": "other"}, [], owner="A")  # A moves on; B still waits for 'same'
    assert not shared.cancelled()
    gone = pool.submit({"name": "gone"}, [], owner="C")
    pool.forget("C")  # C's browser session ended
    assert gone.cancelled()
    runs.gate.set()
    wait([shared], timeout=10)
    assert shared.result() is not None and "gone" not in runs.started
    assert pool.submit({"name": "same"}, [], owner="D") is shared  # a finished run is cached for everyone
    pool.shutdown()


def test_baseline_pool_refuses_a_job_over_the_limits_and_reruns_a_failed_one():
    from dashboard.limits import Limits

    pool, runs = gated_pool(limits=Limits(population=20_000))
    with pytest.raises(ConfigError) as err:
        pool.submit({"name": "big", "population": 200_000}, [], owner="A")
    assert err.value.problems[0].startswith("baseline: population: 200,000 people")
    runs.gate.set()

    def broken(scenario, changes):
        raise RuntimeError("worker lost")

    pool.run = broken
    failed = pool.submit({"name": "x"}, [], owner="A")
    with pytest.raises(RuntimeError):
        failed.result(timeout=10)
    pool.run = runs
    again = pool.submit({"name": "x"}, [], owner="A")
    assert again is not failed and again.result(timeout=10) is not None
    pool.shutdown()


def test_a_runner_asks_the_pool_as_its_own_session_and_forgets_on_close():
    class OwnerPool(RecordingPool):
        def __init__(self):
            super().__init__()
            self.owners, self.forgotten = [], []

        def submit(self, scenario, changes, owner=None):
            self.owners.append(owner)
            return super().submit(scenario, changes, owner)

        def forget(self, owner):
            self.forgotten.append(owner)

    pool = OwnerPool()
    settings = Settings.from_preset("baseline", **SMALL)
    one, two = SessionRunner(settings, pool=pool), SessionRunner(settings, pool=pool)
    one.reset(warm_up=False)
    two.reset(warm_up=False)
    one.close()
    assert pool.owners == [one.owner, two.owner] and one.owner != two.owner and pool.forgotten == [one.owner]


def test_a_session_says_which_scheduled_changes_its_horizon_leaves_out():
    """outcome_contracts raises demand in years 2 and 4; a 3-year session keeps the first and names the second."""
    from dashboard import session as ss

    runner = small_runner()
    session = ss.Session(runner)
    ss.notice.set("")
    session.player.stop()
    settings = Settings.from_preset("outcome_contracts", population=2000, years=3, seed=1)
    settings.scenario["burn_in_weeks"] = 2
    session.reset(settings)
    assert "3 year(s) long" in ss.notice.value and "demand_multiplier = 1.2 in year 4" in ss.notice.value
    assert "year 2" not in ss.notice.value
    ss.notice.set("")


def test_the_page_link_restores_the_run_at_its_week():
    from dashboard.state import settings_from_link

    runner = small_runner()
    runner.advance(4)
    runner.set_lever("acute_beds_multiplier", 0.6)
    runner.advance(3)
    link = runner.link()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", link) and len(link) < 200
    settings = settings_from_link(link)
    assert (settings.source, settings.population, settings.years, settings.seed) == ("baseline", 4000, 1, 5)
    assert settings.changes == [(4, "acute_beds_multiplier", 0.6)] and settings.resume_week == 7
    settings.scenario["burn_in_weeks"] = 12  # as small_runner's (a link names a preset, with its own burn-in)
    fresh = SessionRunner(settings, pool=None)
    fresh.reset()
    assert fresh.model.reporting_week == 7 and fresh.markers() == runner.markers()
    np.testing.assert_array_equal(fresh.data(), runner.data())
    uploaded = SessionRunner(Settings(source="uploaded: x", **SMALL), pool=None)
    assert uploaded.link() == ""  # an uploaded scenario is too large for a link


@pytest.mark.parametrize(
    "value, expected",
    [
        ("x" * 7000, "too long"),
        ("!!!", "not a dashboard link"),
        ("W10", "not a dashboard link"),  # base64 of "[]"
        ("eyJwIjoxfQ", "expected the keys"),  # {"p":1}
    ],
)
def test_a_forged_link_is_a_short_error(value, expected):
    from dashboard.state import settings_from_link

    with pytest.raises(ConfigError) as err:
        settings_from_link(value)
    assert expected in " ".join(err.value.problems)


def test_a_forged_link_with_good_json_is_checked_like_an_upload():
    import base64
    import json

    from dashboard.state import settings_from_link

    def link(**over):
        state = {"p": "baseline", "n": 4000, "y": 1, "s": 1, "w": 0, "c": [], **over}
        return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")

    assert settings_from_link(link()).population == 4000
    for state, expected in [
        ({"p": "../../etc/passwd"}, "not one of this dashboard's presets"),
        ({"n": 10**12}, "population"),
        ({"n": True}, "whole numbers"),
        ({"w": 9999}, "w: 9999"),
        ({"c": [[1, "acute_beds_multiplier"]]}, "[week, lever, value]"),
        ({"c": [[1, "acute_beds_multiplier", 99]]}, "out of range"),
        ({"c": [[1, "nope", 1]]}, "is not a lever"),
        ({"c": [[1, "acute_beds_multiplier", 1.2]] * 101}, "at most 100"),
    ]:
        with pytest.raises(ConfigError) as err:
            settings_from_link(link(**state))
        message = " ".join(err.value.problems)
        assert message.startswith("link") and expected in message and len(message) < 600, message


def test_on_a_phone_a_chart_is_drawn_narrow_so_its_text_keeps_its_size():
    """At 390x844 a chart is about 360 px wide: the 600-unit laptop chart would shrink its 12-unit text to 7 px;
    the narrow one is drawn 360 units wide with 13-16 unit text, a wrapped title, the unit under it (not up the
    axis) and at most six year labels, so it reads at 13 px or more (issue 16)."""
    runner = small_runner()
    runner.advance(10)
    markers = charts.markers_of(runner.markers())
    shown_px = 358  # the chart's width on a 390 px phone (measured in the browser test)
    for builder in charts.ALL_CHARTS:
        spec = charts.build_chart(builder, runner.data(), None, 10 * 52, markers, runner.place_names)
        wide, narrow = svg.render(spec), svg.render(spec, narrow=True)
        assert "viewBox='0 0 600 300'" in wide and "viewBox='0 0 360 330'" in narrow
        scale = shown_px / 360
        sizes = [int(s) for s in re.findall(r"<text [^>]*font-size='(\d+)'", narrow) if s != "10"]  # (marker numbers)
        assert min(sizes) * scale >= 12.5 and 12 * shown_px / 600 < 8  # the narrow text reads; the wide would not
        assert "rotate(" not in narrow and f">{escape(spec.y_label)}</text>" in narrow
        title_lines = re.findall(r"font-weight='600'[^>]*>([^<]*)</text>", narrow)
        assert " ".join(title_lines) == escape(spec.title) and all(len(line) <= 38 for line in title_lines)
        years = re.findall(r"text-anchor='middle'[^>]*fill='#555'>(\d+)</text>", narrow)
        assert years == ["0", "2", "4", "6", "8", "10"]
        for series in spec.series:
            assert f"data-series='{series.label}'" in narrow
