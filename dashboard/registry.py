"""The workshop room: every live session in this server, what it shows, and the facilitator's shocks.

Each participant's page registers its session here when it starts and drops out when its
browser session ends (:class:`Registry`); the facilitator's page (``/room``,
:mod:`dashboard.facilitator`) reads the rows and pushes shocks.  Nothing here steps a model:
a row is read from what the session already holds (its settings, its lever changes and the
weeks recorded so far), under the session's lock, taken only if it is free within a few
milliseconds (otherwise the row it last gave stands in), and kept until the session changes.
So thirty sessions cost the room page a few milliseconds a refresh, and never hold a model up.

A shock (:data:`SHOCKS`, a fixed menu) is one or more lever changes from a given week.  Each
targeted session schedules them through :meth:`SessionRunner.schedule_change`, the path a
participant's own move takes, so a shock is a marker on that session's charts, in its link and
exported file, and replays.  A pushed shock stays *on* in that session until the facilitator
withdraws it: every new run the session starts (Reset, "Apply and reset", another preset, a loaded
file) gets its changes again (:meth:`Registry.with_shocks`, which the session calls at each reset),
and the session's page says which shocks are on (:meth:`Registry.shocks_on`).  A shock pushed to
every group is on for the room: a group that joins later, or reloads its page, gets it too. One pushed
to chosen groups follows each group's name: a reloaded page names itself again (from its link) and gets
its group's shocks back.

Anything a browser sends is checked: a group name is short plain text (:data:`GROUP_RULE`);
a shock is a key of the menu; targets are ids of live sessions, at most :data:`MAX_SESSIONS`.
No Solara here, so it is tested directly (``tests/test_dashboard_registry.py``).
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from abm.config import ConfigError, short
from abm.metrics import COLUMNS
from abm.scenario import validate_lever
from abm.units import WEEKS_PER_YEAR
from dashboard.figures import CARDS, ICS, card_window, headline
from dashboard.state import GROUP_MAX, GROUP_RULE, MAX_LIVE_CHANGES, Settings, check_group_name

MAX_SESSIONS = 200  # rows the room holds (one per open page): well over a room of thirty
LOCK_WAIT_SECONDS = 0.005  # how long the room waits for a session's lock before showing its last row


@dataclass(frozen=True)
class Shock:
    """A named event the facilitator can push to sessions: lever changes that act together from a week.

    The sizes are the teaching presets' and the ODD's measured examples (a workshop choice, not model
    parameters): they move levers the model already has, each through its own mechanism."""

    key: str
    title: str
    description: str  # what happens, in a workshop's words (the participants' pages are told this)
    changes: tuple[tuple[str, object], ...]
    evidence: str = ""  # where its mechanism comes from (shown to the facilitator)


SHOCKS: dict[str, Shock] = {
    shock.key: shock
    for shock in (
        Shock(
            "winter_surge",
            "Winter surge",
            "A hard winter: 30% more people fall ill at the peak in early January (winter pressure 30%).",
            (("winter_pressure_pct", 30.0),),
            "DESIGN 5 'winter pressure'; the size is the ODD's worked example (an assumption)",
        ),
        Shock(
            "demand_surge",
            "Demand surge",
            "Need for care rises by a fifth (demand 1.2×): an older, sicker population sooner than planned.",
            (("demand_multiplier", 1.2),),
            "DESIGN 5 'demand'; the size is the ODD's worked example (an assumption)",
        ),
        Shock(
            "social_care_cut",
            "Social-care cut",
            "Council social-care capacity cut by a quarter (0.75×, as the social-care cuts story): patients "
            "fit to leave wait in hospital beds.",
            (("social_care_capacity_multiplier", 0.75),),
            "mechanism 10, 001 §2: social-care cuts raise delayed transfers of care",
        ),
        Shock(
            "workforce_crisis",
            "Workforce crisis",
            "Community staff leave 60% faster and recruitment halves (as the workforce crisis story).",
            (("attrition_multiplier", 1.6), ("recruitment_multiplier", 0.5)),
            "mechanism 11, 001 §2, 004 §3: community services cannot expand without the staff",
        ),
    )
}


@dataclass(frozen=True)
class Row:
    """One session as the room sees it: who, what it runs, the levers it moved and its headline cards."""

    id: str
    group: str
    preset: str
    seed: int
    population: int
    years: int
    week: int  # reporting weeks played (0 before the first)
    changes: tuple[tuple[int, str, object], ...]  # lever changes made or scheduled: (week, lever, value)
    headlines: dict[str, float | None]  # card key -> the value its card shows (None: no week yet)
    starting: bool = False  # the model is still being built


@dataclass
class PushResult:
    """What a pushed shock did: the sessions that scheduled it (group, week it acts from) and those that could
    not, with why."""

    scheduled: list[tuple[str, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


Changes = tuple[tuple[int, str, object], ...]  # lever changes: (reporting week, lever, value)


class _Entry:
    def __init__(self, id: str, runner, notify: Callable[[str], None] | None):
        self.id, self.runner, self.notify = id, runner, notify
        self.shocks: dict[str, Changes] = {}  # the facilitator's shocks on in this session: key -> its changes
        self.row: Row | None = None
        self.row_key: tuple | None = None  # (run id, version) the row was read at
        self.weekly: tuple[tuple, np.ndarray, int] | None = None  # (key, ICS weeks x columns, horizon)

    @property
    def group(self) -> str:
        """The group's name its session was given, else 'Group N'."""
        return self.runner.group or f"Group {self.id}"


class Registry:
    """The live sessions of this server (thread-safe): add, remove, name, read and push shocks."""

    def __init__(self, max_sessions: int = MAX_SESSIONS):
        self.max_sessions = max_sessions
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._ids = itertools.count(1)
        self._room_shocks: dict[str, int] = {}  # shocks pushed to every group: key -> the week asked for
        self._group_shocks: dict[str, dict[str, Changes]] = {}  # pushed to chosen named groups: group -> key -> changes

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def add(self, runner, notify: Callable[[str], None] | None = None) -> str | None:
        """Register a session's runner; its id, or None when the room is full (the page works on, unlisted).
        ``notify(message)`` tells the session's page that the facilitator changed its run."""
        with self._lock:
            if len(self._entries) >= self.max_sessions:
                return None
            id = str(next(self._ids))
            entry = _Entry(id, runner, notify)
            entry.shocks = {key: _at(SHOCKS[key], week) for key, week in self._room_shocks.items()}
            self._take_group_shocks(entry)
            self._entries[id] = entry
            return id

    def _take_group_shocks(self, entry: _Entry) -> None:
        """A named group's page that reloads (a new session) or a session renamed to that group gets the shocks
        pushed to that group and not withdrawn, as a group that joins later gets the room's (the caller holds
        the lock)."""
        for key, changes in self._group_shocks.get(entry.runner.group, {}).items():
            entry.shocks.setdefault(key, changes)

    def remove(self, id: str | None) -> None:
        with self._lock:
            self._entries.pop(id, None)  # type: ignore[arg-type]

    def _entry(self, id) -> _Entry:
        with self._lock:
            entry = self._entries.get(id) if isinstance(id, str) else None
        if entry is None:
            raise ConfigError([f"session: {short(id)} is not a session in this room (it may have closed)"])
        return entry

    def set_group(self, id: str, text) -> str:
        """Name a session's group (checked by :func:`check_group_name`); the name as kept. The session gets the
        shocks on for a group of that name (:meth:`_take_group_shocks`)."""
        entry = self._entry(id)
        name = entry.runner.set_group(text)
        with self._lock:
            self._take_group_shocks(entry)
        return name

    def group(self, id: str) -> str:
        return self._entry(id).group

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._entries)

    # ------------------------------------------------------------------ reading
    def rows(self) -> list[Row]:
        """Every session's row, in the order they joined (a busy session shows the row it last gave)."""
        with self._lock:
            entries = list(self._entries.values())
        return [self._row(entry) for entry in entries]

    def _row(self, entry: _Entry) -> Row:
        runner = entry.runner
        if not runner.lock.acquire(timeout=LOCK_WAIT_SECONDS):
            return entry.row or _starting_row(entry)
        try:
            key = (runner.run_id, runner.version)
            if entry.row is not None and entry.row_key == key:
                return entry.row
            if runner.model is None or not runner.warm():
                return _starting_row(entry)
            settings, data = runner.settings, runner.data()
            start, stop = card_window(data.shape[0])
            entry.row = Row(
                id=entry.id,
                group=entry.group,
                preset=settings.source,
                seed=settings.seed,
                population=settings.population,
                years=settings.years,
                week=runner.weeks,
                changes=tuple(runner.planned_changes()),
                headlines={card.key: headline(data, card.key, start, stop) for card in CARDS},
            )
            entry.row_key = key
            return entry.row
        finally:
            runner.lock.release()

    def weekly(self, id: str) -> tuple[np.ndarray, int, list[tuple[int, str, object]]]:
        """A session's ICS weeks so far (weeks x 1 x columns: the figures' functions read it as the metrics
        array), its horizon in weeks and its lever changes, for the room's overlay charts; copied under its
        lock and kept until it plays on."""
        entry = self._entry(id)
        runner = entry.runner
        with runner.lock:
            if runner.model is None:
                return np.zeros((0, 1, len(COLUMNS))), 1, []
            key = (runner.run_id, runner.version)
            if entry.weekly is None or entry.weekly[0] != key:
                data = runner.data()[:, ICS:, :].copy()
                entry.weekly = (key, data, runner.current_model.horizon_weeks)
            return entry.weekly[1], entry.weekly[2], runner.markers()

    # ------------------------------------------------------------------ shocks
    def push_shock(self, shock_key, week, targets: list | None = None) -> PushResult:
        """Schedule the shock ``shock_key`` from reporting week ``week`` in the sessions ``targets`` (ids; None:
        every session). ConfigError for a shock not on the menu, a bad week or an unknown target; a session
        that cannot take it (still starting, too short a run, too many changes) is listed in the result and
        the others take it."""
        shock = _shock(shock_key)
        if not isinstance(week, int) or isinstance(week, bool) or week < 0:
            raise ConfigError([f"week: {short(week)} is not a week; allowed: a whole number from 0"])
        entries = self._targets(targets)
        if targets is None:
            with self._lock:
                self._room_shocks[shock.key] = week  # on for the room: groups that join later get it too
        result = PushResult()
        for entry in entries:
            try:
                changes = _schedule(entry.runner, shock, week)
            except ConfigError as exc:
                result.problems.append(f"{entry.group}: {'; '.join(exc.problems)}")
                continue
            with self._lock:
                entry.shocks[shock.key] = changes
                if targets is not None and entry.runner.group:  # a named group keeps it across a reload
                    self._group_shocks.setdefault(entry.runner.group, {})[shock.key] = changes
            when = min(w for w, _, _ in changes)
            result.scheduled.append((entry.group, when))
            if entry.notify is not None:
                entry.notify(
                    f"The facilitator scheduled '{shock.title}' in your run from week {when}: {shock.description} "
                    "It stays on when you reset or choose another preset, until the facilitator withdraws it."
                )
        return result

    def withdraw_shock(self, shock_key, targets: list | None = None) -> list[str]:
        """Take the shock ``shock_key`` off the sessions ``targets`` (ids; None: every session, and the room):
        their later runs no longer get it, and its changes still to come in their current runs are cancelled
        (those it already made stay in that run, as a participant's past moves do). The groups it was on in."""
        shock = _shock(shock_key)
        entries = self._targets(targets)
        if targets is None:
            with self._lock:
                self._room_shocks.pop(shock.key, None)
                for shocks in self._group_shocks.values():
                    shocks.pop(shock.key, None)
        withdrawn = []
        for entry in entries:
            with self._lock:
                changes = entry.shocks.pop(shock.key, None)
                self._group_shocks.get(entry.runner.group, {}).pop(shock.key, None)
            if changes is None:
                continue
            cancelled = entry.runner.cancel_changes(list(changes))
            withdrawn.append(entry.group)
            if entry.notify is not None:
                still = (
                    "" if cancelled == len(changes) else " What it already changed stays in this run until you reset."
                )
                entry.notify(f"The facilitator withdrew '{shock.title}': your next runs will not have it.{still}")
        return withdrawn

    def with_shocks(self, id: str | None, settings: Settings) -> Settings:
        """``settings`` with the lever changes of every shock on in session ``id`` (for its next run: a reset
        keeps the facilitator's shocks); a change the settings hold already, or one beyond the run's horizon,
        is not added. Unchanged for a session not in the room."""
        shocks = self._shocks(id)
        if not shocks:
            return settings
        weeks = settings.years * WEEKS_PER_YEAR if isinstance(settings.years, int) else 0
        have = list(settings.changes)
        restored = settings.resume_week > 0  # a reloaded page's run: its link holds the changes its shocks made
        extra = [
            c
            for changes in shocks.values()
            for c in changes
            if not (_made_later(have, c) if restored else c in have) and 0 <= c[0] < weeks
        ]
        return dataclasses.replace(settings, changes=[*settings.changes, *extra]) if extra else settings

    def shocks_on(self, id: str | None) -> list[str]:
        """The shocks on in session ``id``, in words for its page: 'Winter surge (from week 20)'."""
        return [f"{SHOCKS[key].title} (from week {min(w for w, _, _ in c)})" for key, c in self._shocks(id).items()]

    def _shocks(self, id: str | None) -> dict[str, Changes]:
        """The shocks on in session ``id`` (a copy; none for a session not in the room)."""
        with self._lock:
            entry = self._entries.get(id) if isinstance(id, str) else None
            return dict(entry.shocks) if entry is not None else {}

    def room_shocks(self) -> list[str]:
        """Every shock on in some session, in words for the room page: 'Winter surge: every group, from week
        20', 'Winter surge: Blue team, groups that join, from week 20' (pushed to every group, withdrawn from
        some) or 'Social-care cut: Green team'."""
        with self._lock:
            entries = [(entry.group, set(entry.shocks)) for entry in self._entries.values()]
            room = dict(self._room_shocks)
        said = []
        for key, shock in SHOCKS.items():
            groups = [group for group, keys in entries if key in keys]
            if key in room and len(groups) == len(entries):
                said.append(f"{shock.title}: every group, from week {room[key]}")
            elif key in room:
                said.append(f"{shock.title}: {', '.join([*groups, 'groups that join'])}, from week {room[key]}")
            elif groups:
                said.append(f"{shock.title}: {', '.join(groups)}")
        return said

    def _targets(self, targets: list | None) -> list[_Entry]:
        """The sessions a push or withdrawal names (None: every session); ConfigError for a bad list."""
        if targets is None:
            with self._lock:
                return list(self._entries.values())
        if not isinstance(targets, list) or len(targets) > self.max_sessions:
            raise ConfigError([f"sessions: allowed: a list of at most {self.max_sessions} sessions"])
        return [self._entry(i) for i in dict.fromkeys(targets)]


def _made_later(changes: list, change: tuple) -> bool:
    """Whether a restored run's ``changes`` already make the shock's ``change`` (week, lever, value): at its
    week, or later, as when the run was already past the week when the shock was pushed and took it from the
    next (its link holds it there; a shock pushed to the room is kept at the week asked for)."""
    week, lever, value = change
    return any(name == lever and to == value and at >= week for at, name, to in changes)


def _shock(key) -> Shock:
    """The menu's shock called ``key``; ConfigError naming the menu for anything else."""
    shock = SHOCKS.get(key) if isinstance(key, str) else None
    if shock is None:
        raise ConfigError([f"shock: {short(key)} is not on the menu; allowed: {', '.join(SHOCKS)}"])
    return shock


def _at(shock: Shock, week: int) -> Changes:
    """The shock's lever changes from ``week`` (their values cleaned as a run keeps them)."""
    return tuple((week, lever, validate_lever(lever, value)) for lever, value in shock.changes)


def _schedule(runner, shock: Shock, week: int) -> Changes:
    """Schedule each of the shock's lever changes in one session (all or none are checked first); the changes
    as scheduled (a week already reached acts from the next one)."""
    changes = _at(shock, week)
    with runner.lock:
        if len(runner.planned_changes()) + len(changes) > MAX_LIVE_CHANGES:
            raise ConfigError(
                [f"this run has too many lever changes to take this shock; allowed: {MAX_LIVE_CHANGES} in a run"]
            )
        return tuple((runner.schedule_change(week, lever, value), lever, value) for _, lever, value in changes)


def _starting_row(entry: _Entry) -> Row:
    return Row(entry.id, entry.group, "", 0, 0, 0, 0, (), {card.key: None for card in CARDS}, starting=True)


def sort_rows(rows: list[Row], key: str, descending: bool = True) -> list[Row]:
    """Rows sorted by a headline card's key, or by 'group' or 'week'; rows with no value go last."""
    if key == "group":
        return sorted(rows, key=lambda r: r.group.lower(), reverse=descending)
    if key == "week":
        return sorted(rows, key=lambda r: r.week, reverse=descending)
    if key not in {card.key for card in CARDS}:
        columns = ", ".join(["group", "week", *(c.key for c in CARDS)])
        raise ConfigError([f"sort: {short(key)} is not a column; allowed: {columns}"])
    known = [r for r in rows if r.headlines.get(key) is not None]
    unknown = [r for r in rows if r.headlines.get(key) is None]
    return sorted(known, key=lambda r: float(r.headlines[key] or 0.0), reverse=descending) + unknown


ROOM = Registry()  # this server's sessions (one process: the pages and the room page share it)

__all__ = [
    "GROUP_MAX",
    "GROUP_RULE",
    "MAX_SESSIONS",
    "ROOM",
    "SHOCKS",
    "Registry",
    "Row",
    "check_group_name",
    "sort_rows",
]
