"""The workshop room without a browser (issue 16): the registry of live sessions, their rows and the
facilitator's shocks, which each session schedules as a participant's lever change would be."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import yaml

from abm.config import ConfigError
from dashboard.figures import CARDS, card_window, headline
from dashboard.registry import (
    GROUP_MAX,
    SHOCKS,
    Registry,
    check_group_name,
    sort_rows,
)
from dashboard.state import MAX_LIVE_CHANGES, SessionRunner, Settings, run_from_yaml, settings_from_link

SMALL = dict(population=2000, years=1, seed=3)


def small_runner(**run) -> SessionRunner:
    settings = Settings.from_preset("baseline", **{**SMALL, **run})
    settings.scenario["burn_in_weeks"] = 8
    runner = SessionRunner(settings, pool=None)
    runner.reset()
    return runner


@pytest.fixture(scope="module")
def runners():
    return [small_runner(seed=s) for s in (3, 4, 5)]


def test_sessions_join_and_leave_and_each_row_shows_what_its_cards_show(runners):
    room = Registry()
    ids = [room.add(r) for r in runners]
    assert len(room) == 3 and len(set(ids)) == 3
    runners[0].advance(6)
    runners[0].set_lever("acute_beds_multiplier", 0.5)
    runners[0].advance(4)
    room.set_group(ids[0], "  Team   Leeds ")
    rows = {row.id: row for row in room.rows()}
    first = rows[ids[0]]
    assert first.group == "Team Leeds" and rows[ids[1]].group == f"Group {ids[1]}"
    assert (first.preset, first.seed, first.population, first.years) == ("baseline", 3, 2000, 1)
    assert first.week == runners[0].weeks == 10
    assert first.changes == ((6, "acute_beds_multiplier", 0.5),)
    data = runners[0].data()
    start, stop = card_window(data.shape[0])
    assert first.headlines == {card.key: headline(data, card.key, start, stop) for card in CARDS}  # the cards' own
    assert rows[ids[1]].week == 0 and all(v is None for v in rows[ids[1]].headlines.values())
    room.remove(ids[1])
    room.remove(ids[1])  # twice: nothing happens
    assert [row.id for row in room.rows()] == [ids[0], ids[2]]


def test_a_busy_session_shows_its_last_row_and_does_not_hold_the_room_up(runners):
    room = Registry()
    id = room.add(runners[2])
    before = room.rows()[0]
    held, release = threading.Event(), threading.Event()

    def busy():  # a session stepping its model holds its lock
        with runners[2].lock:
            runners[2].version += 1
            held.set()
            release.wait(5)

    thread = threading.Thread(target=busy)
    thread.start()
    held.wait(5)
    try:
        assert room.rows()[0] is before  # read without waiting for the model
    finally:
        release.set()
        thread.join()
    assert room.rows()[0] is not before and room.rows()[0].id == id  # read again once it is free


def test_the_registry_is_safe_with_sessions_coming_and_going_at_once(runners):
    room = Registry(max_sessions=500)
    errors = []

    def churn():
        try:
            for _ in range(100):
                id = room.add(runners[0])
                room.rows()
                room.set_group(id, "a group")
                room.remove(id)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(room) == 0


def test_the_room_has_a_size_limit():
    room = Registry(max_sessions=2)
    runner = SessionRunner(pool=None)  # not started: shown as starting
    assert room.add(runner) and room.add(runner)
    assert room.add(runner) is None and len(room) == 2
    assert all(row.starting for row in room.rows())


@pytest.mark.parametrize("text", ["Ward 7", "Équipe Nord", "A&E (north)", "O'Neill's team", "x" * GROUP_MAX])
def test_a_group_name_is_short_plain_text(text):
    assert check_group_name(text) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "group name: '' has 0 characters; allowed: 1 to 40 characters"),
        ("x" * (GROUP_MAX + 1), "has 41 characters; allowed: 1 to 40 characters"),
        ("<script>", "'<', '>' not allowed; allowed: 1 to 40 characters: letters, digits, spaces"),
        ("../../etc/passwd", "'/' not allowed"),
        ("a\x00b", "'\\x00' not allowed"),
        (["list"], "group name: ['list'] is not text"),
    ],
)
def test_a_bad_group_name_is_a_short_error_naming_what_is_allowed(text, expected):
    room = Registry()
    id = room.add(SessionRunner(pool=None))
    with pytest.raises(ConfigError) as err:
        room.set_group(id, text)
    assert expected in err.value.problems[0] and len(err.value.problems[0]) < 200
    assert room.group(id) == f"Group {id}"  # unchanged


def test_rows_sort_by_any_headline_with_missing_values_last(runners):
    room = Registry()
    for r in runners:
        room.add(r)
    runners[1].advance(3)
    rows = room.rows()
    for card in CARDS:
        ordered = sort_rows(rows, card.key)
        values = [r.headlines[card.key] for r in ordered]
        known = [v for v in values if v is not None]
        assert known == sorted(known, reverse=True) and values[len(known) :] == [None] * (len(values) - len(known))
        assert [r.headlines[card.key] for r in sort_rows(rows, card.key, descending=False)][: len(known)] == sorted(
            known
        )
    assert [r.week for r in sort_rows(rows, "week")] == sorted((r.week for r in rows), reverse=True)
    for id, name in zip(room.ids(), ("beta", "Alpha", "gamma"), strict=True):
        room.set_group(id, name)
    rows = room.rows()
    assert [r.group for r in sort_rows(rows, "group", descending=False)] == ["Alpha", "beta", "gamma"]
    assert [r.group for r in sort_rows(rows, "group")] == ["gamma", "beta", "Alpha"]
    with pytest.raises(ConfigError, match="sort: 'x' is not a column; allowed: group, week, admissions"):
        sort_rows(rows, "x")


def test_every_shock_on_the_menu_is_a_valid_lever_change():
    from abm.scenario import validate_lever

    assert len(SHOCKS) >= 3 and "winter_surge" in SHOCKS and "social_care_cut" in SHOCKS
    for shock in SHOCKS.values():
        assert shock.title and shock.description and shock.changes and shock.evidence
        assert "§" not in shock.description and "DESIGN" not in shock.description  # plain words for participants
        for lever, value in shock.changes:
            assert validate_lever(lever, value) == value


def test_a_shock_pushed_to_all_is_scheduled_in_each_session_as_a_lever_change():
    runners = [small_runner(seed=s) for s in (7, 8, 9)]
    room = Registry()
    heard = {}
    ids = [room.add(r, notify=lambda m, i=i: heard.setdefault(i, m)) for i, r in enumerate(runners)]
    for id, name in zip(ids, ("North", "South", "East"), strict=True):
        room.set_group(id, name)
    runners[0].advance(5)
    runners[2].advance(30)  # already past the shock's week: it acts from the next week
    result = room.push_shock("social_care_cut", 20)
    assert result.problems == []
    assert result.scheduled == [("North", 20), ("South", 20), ("East", 30)]
    assert "Social-care cut" in heard[0] and "week 20" in heard[0] and "week 30" in heard[2]
    lever = "social_care_capacity_multiplier"
    for runner, week in zip(runners, (20, 20, 30), strict=True):
        assert runner.planned_changes()[-1] == (week, lever, 0.75)
        assert (week, lever, 0.75) in settings_from_link(runner.link()).changes  # in the page's address
        _, changes = run_from_yaml(runner.scenario_yaml())
        assert (week, lever, 0.75) in changes  # and in the exported file
    assert runners[2].lever_values()[lever] == 0.75 and runners[2].markers()[-1] == (30, lever, 0.75)
    assert runners[0].lever_values()[lever] == 1.0  # not yet: it waits for week 20
    runners[0].advance(20)
    assert runners[0].lever_values()[lever] == 0.75 and (20, lever, 0.75) in runners[0].markers()
    assert room.rows()[0].changes[-1] == (20, lever, 0.75)


def test_a_pushed_shock_replays_bit_for_bit_from_the_link_and_after_a_reset():
    runner = small_runner(seed=11)
    room = Registry()
    id = room.add(runner)
    runner.advance(4)
    room.push_shock("workforce_crisis", 10, [id])
    runner.advance(20)
    played = runner.data().copy()
    assert [c[:2] for c in runner.markers()] == [(10, "attrition_multiplier"), (10, "recruitment_multiplier")]
    restored = SessionRunner(settings_from_link(runner.link()), pool=None)  # a reload of the page
    restored.settings.scenario["burn_in_weeks"] = 8
    restored.reset()
    np.testing.assert_array_equal(restored.data(), played)
    runner.reset()  # Reset keeps the facilitator's shock: it waits for its week again
    assert runner.pending == [(10, "attrition_multiplier", 1.6), (10, "recruitment_multiplier", 0.5)]
    runner.advance(24)
    np.testing.assert_array_equal(runner.data(), played)


def test_a_shock_goes_only_to_the_chosen_sessions(runners):
    fresh = [small_runner(seed=s) for s in (12, 13)]
    room = Registry()
    room.add(fresh[0])
    b = room.add(fresh[1])
    result = room.push_shock("winter_surge", 3, [b])
    assert [w for _, w in result.scheduled] == [3]
    assert fresh[0].planned_changes() == [] and fresh[1].planned_changes() == [(3, "winter_pressure_pct", 30.0)]


@pytest.mark.parametrize(
    "shock, week, targets, expected",
    [
        ("flood", 3, None, "shock: 'flood' is not on the menu; allowed: winter_surge, demand_surge"),
        ("/etc/passwd", 3, None, "shock: '/etc/passwd' is not on the menu"),
        ("winter_surge", -1, None, "week: -1 is not a week; allowed: a whole number from 0"),
        ("winter_surge", "3", None, "week: '3' is not a week"),
        ("winter_surge", 3, ["999"], "session: '999' is not a session in this room"),
        ("winter_surge", 3, "1", "sessions: allowed: a list of at most"),
    ],
)
def test_a_bad_push_is_a_short_error_and_changes_nothing(runners, shock, week, targets, expected):
    room = Registry()
    for r in runners:
        room.add(r)
    before = [r.planned_changes() for r in runners]
    with pytest.raises(ConfigError) as err:
        room.push_shock(shock, week, targets)
    assert expected in err.value.problems[0]
    assert [r.planned_changes() for r in runners] == before


def test_a_session_that_cannot_take_a_shock_is_named_and_the_others_take_it():
    ready, starting = small_runner(seed=21), SessionRunner(pool=None)
    full = small_runner(seed=22)
    full.pending = [(40, "demand_multiplier", 1.0 + i / 1000) for i in range(MAX_LIVE_CHANGES)]
    room = Registry()
    for runner, name in ((ready, "Ready"), (starting, "Starting"), (full, "Full")):
        room.set_group(room.add(runner), name)
    result = room.push_shock("winter_surge", 60)  # a one-year run has weeks 0 to 51
    assert result.scheduled == []
    assert result.problems[0] == "Ready: week: 60 is not a week of this run; allowed: 0 to 51"
    assert result.problems[1] == "Starting: this session is still starting; push again in a moment"
    assert result.problems[2].startswith("Full: this run has too many lever changes to take this shock")
    result = room.push_shock("winter_surge", 40)
    assert result.scheduled == [("Ready", 40)] and len(result.problems) == 2
    assert len(full.planned_changes()) == MAX_LIVE_CHANGES  # the cap holds


def test_the_overlay_reads_a_sessions_weeks_without_stepping_it(runners):
    room = Registry()
    id = room.add(runners[1])
    weeks = runners[1].weeks
    data, horizon, _ = room.weekly(id)
    assert data.shape[0] == weeks and data.shape[1] == 1 and horizon == 52
    np.testing.assert_array_equal(data[:, 0], runners[1].data()[:, -1])
    assert runners[1].weeks == weeks  # nothing was stepped
    assert room.weekly(id)[0] is data  # kept until the session plays on
    runners[1].advance(1)
    assert room.weekly(id)[0].shape[0] == weeks + 1


def test_an_exported_run_with_a_shock_loads_as_a_scenario():
    runner = small_runner(seed=31)
    room = Registry()
    room.push_shock("demand_surge", 5, [room.add(runner)])
    data = yaml.safe_load(runner.scenario_yaml())
    assert data["live_changes"] == [{"week": 5, "lever": "demand_multiplier", "value": 1.2}]


def test_a_groups_name_is_in_the_page_link_and_a_reload_restores_it():
    runner = small_runner(seed=41)
    room = Registry()
    id = room.add(runner)
    before = runner.link()
    room.set_group(id, "Team Leeds")
    assert runner.link() != before  # the page's address changes with the name
    settings = settings_from_link(runner.link())
    assert settings.group == "Team Leeds"
    restored = SessionRunner(settings, pool=None)
    assert room.group(room.add(restored)) == "Team Leeds"
    assert settings_from_link(before).group == ""  # a link without a name is still a link


@pytest.mark.parametrize("name", ["<b>x</b>", "", "x" * 41, 7])
def test_a_forged_group_name_in_a_link_is_a_short_error(name):
    import base64
    import json

    state = {"p": "baseline", "n": 4000, "y": 1, "s": 1, "w": 0, "c": [], "g": name}
    value = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
    with pytest.raises(ConfigError) as err:
        settings_from_link(value)
    assert err.value.problems[0].startswith("link: g: group name: ") and "allowed: 1 to 40 characters" in str(err.value)


# --------------------------------------------------------------------------- a shock stays on until withdrawn
def reset_as_the_page_does(room: Registry, id: str, runner: SessionRunner, settings: Settings | None = None) -> None:
    """What :meth:`dashboard.session.Session.reset` does: the new run's settings get the shocks on in the session."""
    settings = room.with_shocks(id, settings or runner.settings)
    settings.scenario["burn_in_weeks"] = 8
    runner.reset(settings)


def test_a_pushed_shock_survives_apply_and_reset_and_a_new_preset_until_withdrawn():
    runner = small_runner(seed=51)
    room = Registry()
    heard: list[str] = []
    id = room.add(runner, notify=heard.append)
    runner.advance(4)
    room.push_shock("winter_surge", 10, [id])
    surge = (10, "winter_pressure_pct", 30.0)
    assert room.shocks_on(id) == ["Winter surge (from week 10)"] and "stays on when you reset" in heard[-1]

    # "Apply and reset" with a new seed: settings built afresh, with no lever changes of their own
    reset_as_the_page_does(room, id, runner, Settings.from_preset("baseline", **{**SMALL, "seed": 52}))
    assert runner.pending == [surge] and runner.settings.seed == 52
    runner.advance(12)
    assert runner.lever_values()["winter_pressure_pct"] == 30.0 and surge in runner.markers()
    # another preset: the shock comes too
    reset_as_the_page_does(room, id, runner, Settings.from_preset("social_care_cuts", **SMALL))
    assert runner.pending == [surge] and runner.settings.source == "social_care_cuts"
    # a plain Reset: once, not twice (the run's settings hold it already)
    reset_as_the_page_does(room, id, runner)
    assert runner.pending == [surge] and runner.settings.changes.count(surge) == 1
    assert room.shocks_on(id) == ["Winter surge (from week 10)"]

    # withdrawn: cancelled in this run (still to come), and the next runs do not have it
    assert room.withdraw_shock("winter_surge", [id]) == ["Group 1"]
    assert runner.pending == [] and runner.planned_changes() == [] and room.shocks_on(id) == []
    assert "withdrew 'Winter surge'" in heard[-1] and "stays in this run" not in heard[-1]
    runner.advance(12)
    assert runner.lever_values()["winter_pressure_pct"] == 0.0
    reset_as_the_page_does(room, id, runner, Settings.from_preset("baseline", **SMALL))
    assert runner.pending == [] and room.withdraw_shock("winter_surge", [id]) == []


def test_a_withdrawn_shock_that_already_acted_stays_in_that_run_only():
    runner = small_runner(seed=53)
    room = Registry()
    heard: list[str] = []
    id = room.add(runner, notify=heard.append)
    runner.advance(6)
    room.push_shock("demand_surge", 2, [id])  # week 2 is past: it acts from week 6
    assert runner.lever_values()["demand_multiplier"] == 1.2
    assert room.withdraw_shock("demand_surge", None) == ["Group 1"]
    assert "stays in this run until you reset" in heard[-1]
    assert runner.lever_values()["demand_multiplier"] == 1.2  # made already: stays in this run
    assert (6, "demand_multiplier", 1.2) not in runner.settings.changes
    reset_as_the_page_does(room, id, runner)
    runner.advance(10)
    assert runner.lever_values()["demand_multiplier"] == 1.0 and runner.planned_changes() == []


def test_a_shock_pushed_to_every_group_is_on_for_groups_that_join_later():
    room = Registry()
    first = small_runner(seed=54)
    room.set_group(room.add(first), "North")
    chosen = small_runner(seed=55)
    chosen_id = room.add(chosen)
    room.set_group(chosen_id, "South")
    room.push_shock("winter_surge", 20)
    room.push_shock("social_care_cut", 30, [chosen_id])
    assert room.room_shocks() == ["Winter surge: every group, from week 20", "Social-care cut: South"]
    late = small_runner(seed=56)  # joins (or reloads its page) after the push
    late_id = room.add(late)
    assert room.shocks_on(late_id) == ["Winter surge (from week 20)"]
    reset_as_the_page_does(room, late_id, late)
    assert late.pending == [(20, "winter_pressure_pct", 30.0)]
    room.withdraw_shock("winter_surge", [chosen_id])  # from one group: still on for the others and later ones
    assert room.room_shocks()[0] == "Winter surge: North, Group 3, groups that join, from week 20"
    room.withdraw_shock("winter_surge")
    assert room.room_shocks() == ["Social-care cut: South"] and late.pending == []
    assert room.shocks_on(room.add(small_runner(seed=57))) == []  # withdrawn from the room: later groups too


def test_a_shock_beyond_a_shorter_run_is_not_added_and_a_bad_withdrawal_is_refused():
    runner = small_runner(seed=58, years=2)
    room = Registry()
    id = room.add(runner)
    room.push_shock("winter_surge", 70, [id])
    shorter = room.with_shocks(id, Settings.from_preset("baseline", **SMALL))  # one year: weeks 0 to 51
    assert shorter.changes == []
    longer = room.with_shocks(id, Settings.from_preset("baseline", **{**SMALL, "years": 2}))
    assert longer.changes == [(70, "winter_pressure_pct", 30.0)]
    with pytest.raises(ConfigError, match="shock: 'flood' is not on the menu; allowed: winter_surge"):
        room.withdraw_shock("flood")
    with pytest.raises(ConfigError, match="session: '999' is not a session in this room"):
        room.withdraw_shock("winter_surge", ["999"])
    assert room.shocks_on(id) == ["Winter surge (from week 70)"]


def test_a_shock_pushed_to_a_chosen_group_follows_its_name_across_a_reload_until_withdrawn():
    """A reload is a new session: the group's page names itself again (from its link) and gets its group's
    shocks back, so "Apply and reset" after a reload still has them; another group's name does not."""
    room = Registry()
    south = small_runner(seed=60)
    south_id = room.add(south)
    room.set_group(south_id, "South")
    room.push_shock("social_care_cut", 30, [south_id])
    room.remove(south_id)  # the page reloads: its old session ends ...
    again = small_runner(seed=60)
    again_id = room.add(again)
    assert room.shocks_on(again_id) == []  # (not named yet)
    room.set_group(again_id, "South")  # ... and the new one names itself from the link
    assert room.shocks_on(again_id) == ["Social-care cut (from week 30)"]
    reset_as_the_page_does(room, again_id, again)
    assert again.pending == [(30, "social_care_capacity_multiplier", 0.75)]
    north_id = room.add(small_runner(seed=61))
    room.set_group(north_id, "North")
    assert room.shocks_on(north_id) == []
    room.withdraw_shock("social_care_cut", [again_id])
    room.remove(again_id)
    later_id = room.add(small_runner(seed=62))
    room.set_group(later_id, "South")
    assert room.shocks_on(later_id) == []  # withdrawn: the group's later sessions do not get it


@pytest.mark.parametrize("to", ["the room", "its group"])
def test_a_group_past_the_shocks_week_that_reloads_gets_it_once(to):
    """Pushed for week 10 to a run already at week 20, the shock acts from week 20; the reloaded page's link
    holds it there, so the new run is not given it a second time at week 10 (one marker, the same run)."""
    runner = small_runner(seed=63)
    room = Registry()
    id = room.add(runner)
    room.set_group(id, "East")
    runner.advance(20)
    room.push_shock("winter_surge", 10, None if to == "the room" else [id])
    runner.advance(10)
    played = runner.data().copy()
    [(acted, _, _)] = runner.markers()
    assert acted > 10
    reloaded = SessionRunner(settings_from_link(runner.link()), pool=None)  # a reload of the page
    room.remove(id)
    reloaded_id = room.add(reloaded)
    room.set_group(reloaded_id, "East")
    asked = 10 if to == "the room" else acted  # (a group's shock is kept at the week it acted in that group)
    assert room.shocks_on(reloaded_id) == [f"Winter surge (from week {asked})"]
    settings = room.with_shocks(reloaded_id, reloaded.settings)
    assert [c for c in settings.changes if c[1] == "winter_pressure_pct"] == [(acted, "winter_pressure_pct", 30.0)]
    settings.scenario["burn_in_weeks"] = 8
    reloaded.reset(settings)  # (the link's week: it plays to week 30 again)
    np.testing.assert_array_equal(reloaded.data(), played)
    assert [c[0] for c in reloaded.markers()] == [acted]
