"""One browser session's model: settings, play, live levers and the baseline it is compared with.

Nothing here imports Solara, so it is tested directly (``tests/test_dashboard_state.py``).
The page (``dashboard/app.py``) keeps one :class:`SessionRunner` per browser session.

* :meth:`SessionRunner.reset` builds a fresh model from the settings (preset or uploaded
  scenario, population, horizon, seed) and runs its burn-in.
* :meth:`SessionRunner.advance` steps the model; :meth:`SessionRunner.set_lever` changes a
  lever between two weeks (the model's own ``set_lever``, which validates it), so it acts
  from the next week without a reset.
* The baseline is a run of the same settings with the same seed (common random numbers),
  computed in a separate process so it never slows the page: by default the scenario as
  loaded, with no live change; after "pin as baseline", the pinned run's settings and
  lever changes, replayed week for week with this run's seed ("compare").
"""

from __future__ import annotations

import atexit
import base64
import binascii
import contextlib
import copy
import dataclasses
import functools
import itertools
import json
import multiprocessing
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from abm import safe_yaml
from abm.config import ConfigError, build, short, spec, suggest, to_dict
from abm.errors import clip
from abm.metrics import COLUMNS
from abm.scenario import Scenario, apply_overrides, load_scenario_dict, preset_names, validate_lever
from abm.units import WEEKS_PER_YEAR
from dashboard.limits import DEFAULT_POPULATION, Limits
from dashboard.noise import SETTLE_SECONDS, replicate_seeds, replicates_from_env
from policies.levers import CONDITIONS, Levers

if TYPE_CHECKING:  # the model is imported when a session first builds one, not with the page
    from abm.model import ICSModel

# fluid play for ~30 sessions on two cores, cards that separate the stories from noise (dashboard.limits,
# DEFAULT_POPULATION); `abm dashboard --population/--years` set these
WORKSHOP_POPULATION = int(os.environ.get("ABM_DASHBOARD_POPULATION", DEFAULT_POPULATION))
WORKSHOP_YEARS = int(os.environ.get("ABM_DASHBOARD_YEARS", 5))
COL = {name: i for i, name in enumerate(COLUMNS)}
LIMITS = Limits.from_env()  # the largest run a session may start (`abm dashboard --max-population ...`)
REPLICATES = replicates_from_env()  # replicate seeds behind each card's noise band (`abm dashboard --noise-replicates`)
MAX_LIVE_CHANGES = 100  # live lever changes a file or link may replay (as many as a scenario's schedule entries)
LIVE_CHANGES_KEY = "live_changes"  # the exported scenario's section of live changes (read by the dashboard only)
URL_PARAM = "run"  # the page's query parameter holding the session (preset, run settings, live changes, week)
GROUP_MAX = 40  # a group's name, as the facilitator's room page lists the session
GROUP_RULE = f"1 to {GROUP_MAX} characters: letters, digits, spaces and - ' . , & ( )"
GROUP_PATTERN = re.compile(r"[^\W_]|[ \-'.,&()]")  # [^\W_]: a letter or digit of any script
MAX_URL_CHARS = 6000  # a link's run= value: 100 changes fit in about 5,000 characters


@dataclass
class Settings:
    """What a reset builds: a scenario (preset or uploaded) and the three run settings."""

    source: str = "baseline"  # preset name, or "uploaded: NAME"
    scenario: dict = field(default_factory=lambda: load_scenario_dict("baseline"))  # raw scenario dict
    population: int = WORKSHOP_POPULATION
    years: int = WORKSHOP_YEARS
    seed: int = 1
    changes: list = field(default_factory=list)  # live lever changes to replay: (reporting week, lever, value)
    resume_week: int = 0  # after the burn-in, play to this week (a link restores the week it was at)
    group: str = ""  # the group's name a link restores (the session keeps it: SessionRunner.group)

    @classmethod
    def from_preset(cls, name: str, **run) -> Settings:
        """Settings for the preset called ``name`` (one of :func:`preset_sources`, by name only: a name a
        browser sends is never used as a path); population, years and seed default to the workshop's."""
        sources = preset_sources()
        if not isinstance(name, str) or name not in sources:
            raise ConfigError(
                [f"preset: {short(name)} is not one of this dashboard's presets; allowed: {', '.join(sources)}"]
            )
        return cls(source=name, scenario=load_scenario_dict(sources[name]), **run)

    def build(self) -> Scenario:
        """The validated scenario; raises ConfigError naming every bad field.

        The session's horizon replaces the scenario's, so scheduled changes beyond it are dropped
        (:meth:`dropped_changes` says which, for the page to warn about)."""
        return build(Scenario, self._resolved())

    def dropped_changes(self) -> list[str]:
        """The scheduled lever changes of the scenario that fall beyond this session's horizon, in words."""
        schedule = self.scenario.get("schedule") if isinstance(self.scenario, dict) else None
        if not isinstance(schedule, list):
            return []
        return [
            f"{change.get('lever')} = {short(change.get('value'))} in year {change.get('year')}"
            for change in schedule
            if _beyond(change, self.years)
        ]

    def _resolved(self) -> dict:
        data = apply_overrides(self.scenario, {"population": self.population, "years": self.years, "seed": self.seed})
        if isinstance(data.get("schedule"), list):
            data["schedule"] = [change for change in data["schedule"] if not _beyond(change, self.years)]
        return data


def _beyond(change, years: int) -> bool:
    """A scheduled change (raw dict) set for a year at or after ``years``."""
    year = change.get("year") if isinstance(change, dict) else None
    return isinstance(year, int) and not isinstance(year, bool) and isinstance(years, int) and year >= years


@dataclass
class LiveChange:
    """A lever moved during a dashboard run: from reporting week ``week`` on (the week it was moved before)."""

    week: int = spec(0, units="reporting week, from 0", lo=0, hi=60 * WEEKS_PER_YEAR)
    lever: str = spec("", doc="lever name (a key of levers:)")
    value: Any = None


@dataclass
class LiveChanges:
    """The exported scenario's ``live_changes:`` section (the dashboard replays them; ``abm run`` does not)."""

    live_changes: list[LiveChange] = spec(
        [], doc="lever changes made during the run, replayed at their weeks", max_items=MAX_LIVE_CHANGES
    )


def live_changes_from(raw, years: int, where: str = "") -> list[tuple[int, str, object]]:
    """Validate a list of live changes ({week, lever, value}) for a run of ``years``; return them as
    (week, lever, value) in the order they are applied (by week, in file order within a week).
    Raises ConfigError naming each bad entry and what is allowed."""
    prefix = f"{where}: " if where else ""
    try:
        changes = build(LiveChanges, {LIVE_CHANGES_KEY: raw}).live_changes
    except ConfigError as exc:
        raise ConfigError([prefix + p for p in exc.problems]) from None
    problems, out = [], []
    horizon = years * WEEKS_PER_YEAR
    for i, change in enumerate(changes):
        path = f"{LIVE_CHANGES_KEY}.{i}"
        if change.lever not in Levers.names():
            problems.append(
                f"{prefix}{path}.lever: {short(change.lever)} is not a lever{suggest(change.lever, Levers.names())}"
            )
            continue
        try:
            value = validate_lever(change.lever, change.value, path=f"{path}.value")
        except ConfigError as exc:
            problems.extend(prefix + p for p in exc.problems)
            continue
        if change.week >= horizon:
            problems.append(
                f"{prefix}{path}.week: {change.week} is beyond the horizon ({years} year(s)); "
                f"allowed: 0 to {horizon - 1}"
            )
            continue
        out.append((change.week, change.lever, value))
    if problems:
        raise ConfigError(problems)
    return sorted(out, key=lambda c: c[0])  # stable: file order within a week


def run_from_yaml(text: str | bytes, filename: str = "upload") -> tuple[dict, list[tuple[int, str, object]]]:
    """Parse an uploaded, dropped or pasted scenario and validate it: its raw scenario dict and the live
    lever changes it replays (its ``live_changes:`` section, if any), or ConfigError.

    Read with the safe loader (size limit, no aliases, no duplicate keys, UTF-8), whatever the browser
    claimed about the file; the problems name the file and every bad field with what is allowed.
    """
    filename = clip(str(filename), 60)
    data = safe_yaml.load(text, filename)
    if not isinstance(data, dict):
        raise ConfigError(
            [
                f"{filename}: a scenario must be a mapping of keys to values (name:, levers:, ...), "
                f"not {type(data).__name__}"
            ]
        )
    raw_changes = data.pop(LIVE_CHANGES_KEY, None)
    try:
        scenario = build(Scenario, data)
    except ConfigError as exc:
        raise ConfigError([f"{filename}: {p}" for p in exc.problems]) from None
    changes = [] if raw_changes is None else live_changes_from(raw_changes, scenario.years, filename)
    return data, changes


def scenario_from_yaml(text: str | bytes, filename: str = "upload") -> dict:
    """The scenario of :func:`run_from_yaml` (its live changes checked, then left out)."""
    return run_from_yaml(text, filename)[0]


def check_group_name(text) -> str:
    """A group's name as typed (trimmed, inner spaces collapsed), or ConfigError naming what is allowed."""
    if not isinstance(text, str):
        raise ConfigError([f"group name: {short(text)} is not text; allowed: {GROUP_RULE}"])
    name = " ".join(text[: GROUP_MAX * 4].split())
    bad = sorted({c for c in name if not GROUP_PATTERN.fullmatch(c)})
    if not name or len(name) > GROUP_MAX or bad:
        what = f"{', '.join(repr(c) for c in bad[:5])} not allowed" if bad else f"{len(name)} characters"
        raise ConfigError([f"group name: {short(name)} has {what}; allowed: {GROUP_RULE}"])
    return name


# --------------------------------------------------------------------------- the page's link
def settings_to_link(settings: Settings, changes: list, week: int, group: str = "") -> str:
    """The ``run=`` value that restores a session from a preset: base64url of a small JSON (no padding), with
    the group's name when it has one. An uploaded scenario is too large for a link: ``""``."""
    if settings.source not in preset_sources():
        return ""
    state = {
        "p": settings.source,
        "n": settings.population,
        "y": settings.years,
        "s": settings.seed,
        "w": max(int(week), 0),
        "c": lever_changes_key(changes),
        **({"g": group} if group else {}),
    }
    text = json.dumps(state, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def settings_from_link(value: str) -> Settings:
    """The settings a ``run=`` value asks for, checked as strictly as an upload: bounded, a preset by name only,
    run settings and changes validated (the page also applies the facilitator's limits); else ConfigError."""
    where = "link"
    if not isinstance(value, str) or len(value) > MAX_URL_CHARS:
        raise ConfigError([f"{where}: the run= value is too long; allowed: up to {MAX_URL_CHARS:,} characters"])
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        state = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise ConfigError([f"{where}: the run= value is not a dashboard link (base64url of JSON)"]) from None
    keys = {"p", "n", "y", "s", "w", "c"}
    if not isinstance(state, dict) or not keys <= set(state) <= keys | {"g"}:
        raise ConfigError(
            [f"{where}: the run= value is not a dashboard link; expected the keys {sorted(keys)} (and g, optional)"]
        )
    numbers = {k: state[k] for k in ("n", "y", "s", "w")}
    bad = [k for k, v in numbers.items() if not isinstance(v, int) or isinstance(v, bool)]
    if bad:
        raise ConfigError([f"{where}: {', '.join(bad)} must be whole numbers"])
    raw_changes = state["c"]
    if not isinstance(raw_changes, list) or not all(isinstance(c, list) and len(c) == 3 for c in raw_changes):
        raise ConfigError([f"{where}: c must be a list of [week, lever, value]"])
    try:
        settings = Settings.from_preset(state["p"], population=state["n"], years=state["y"], seed=state["s"])
        settings.build()
    except ConfigError as exc:
        raise ConfigError([f"{where}: {p}" for p in exc.problems]) from None
    entries = [{"week": w, "lever": n, "value": v} for w, n, v in raw_changes[: MAX_LIVE_CHANGES + 1]]
    settings.changes = live_changes_from(entries, settings.years, where)
    horizon = settings.years * WEEKS_PER_YEAR
    if not 0 <= state["w"] <= horizon:
        raise ConfigError([f"{where}: w: {state['w']} is not a week of this run; allowed: 0 to {horizon}"])
    settings.resume_week = state["w"]
    if "g" in state:
        try:
            settings.group = check_group_name(state["g"])
        except ConfigError as exc:
            raise ConfigError([f"{where}: g: {p}" for p in exc.problems]) from None
    return settings


def lever_changes_key(changes) -> list:
    return [[int(w), str(n), v] for w, n, v in changes]


# --------------------------------------------------------------------------- baseline runs
def replay(scenario: dict, changes: list, weeks: int | None = None) -> np.ndarray:
    """Run ``scenario`` applying each live lever change (reporting week, lever, value) before that week.

    Returns the weekly metrics array (weeks x Places+ICS x columns).  With the same
    scenario and seed, replaying a run's live changes reproduces it exactly, so a
    baseline differs from the live run only by the levers (common random numbers).
    """
    from abm.model import ICSModel

    model = ICSModel(build(Scenario, scenario))
    pending = sorted(((int(w), i, n, v) for i, (w, n, v) in enumerate(changes)), key=lambda c: (c[0], c[1]))
    stop = model.horizon_weeks if weeks is None else min(weeks, model.horizon_weeks)
    k = 0
    while model.reporting_week < stop:
        while k < len(pending) and pending[k][0] <= model.reporting_week:
            model.set_lever(pending[k][2], pending[k][3])
            k += 1
        model.step()
    return model.metrics.data[: model.metrics.recorded].copy()


def _apply_due(model: ICSModel, pending: list, applied: list) -> None:
    """Apply the pending live changes (sorted by week) due by the model's reporting week, as :func:`replay`
    does before that week; record those that changed a lever in ``applied``."""
    while pending and pending[0][0] <= model.reporting_week:
        _, name, value = pending.pop(0)
        if getattr(model.levers, name) != value:
            model.set_lever(name, value)
            applied.append((model.reporting_week, name, getattr(model.levers, name)))


WORKER_NICENESS = 10  # the baseline worker yields the CPU to the server's pages (its runs are background work)


def _start_worker(parent: int) -> None:
    """In a baseline worker: run below the server's priority, and end when the server ends."""
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """In a baseline worker: end when the server that started it has gone (however it ended)."""
    import time

    def watch():
        while os.getppid() == parent:
            time.sleep(2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="abm-parent-watch").start()


class _Job:
    """One baseline run: what it runs, the future its sessions wait on, and the sessions waiting for it."""

    def __init__(self, key: str, scenario: dict, changes: list):
        self.key, self.scenario, self.changes = key, scenario, changes
        self.future: Future = Future()
        self.owners: set = set()  # sessions whose waiting job this is
        self.background: set = set()  # sessions whose waiting replicate run (noise band) this is
        self.started = False

    @property
    def unwanted(self) -> bool:
        """Nobody waits for it and it has not started: it can be cancelled."""
        return not self.owners and not self.background and not self.started


class _Anonymous:
    """The owner of a request that names none: a session of its own, with no turn to remember."""


class BaselinePool:
    """Baseline runs in one worker process, shared fairly between sessions and cached by what they run.

    * **Fair**: each session (``owner``) has at most one job waiting; a newer request from it
      replaces the waiting one, which is cancelled (unless another session waits for the same
      run). When the worker is free it takes the waiting job of the session served least
      recently (round-robin), so a session that keeps asking never holds up another for more
      than the job already running.
    * **Bounded**: a job over the session limits (:mod:`dashboard.limits`) is refused.
    * **Shared**: sessions asking for the same run (settings, seed, lever changes) get the same
      future; a finished run is kept for the next ``cache_size`` distinct requests.
    * **Background**: the replicate runs of the noise bands (:meth:`submit_background`) wait in a
      lane of their own that runs only when no session's own baseline waits; between sessions
      they too take turns, and a session's newer request replaces its waiting ones.

    ``run`` (what a job calls; ``replay``) and ``make_executor`` (``workers -> Executor``; a
    spawned process pool) are there for tests.
    """

    def __init__(
        self,
        workers: int = 1,
        cache_size: int = 192,  # ~0.4 MB a 5-year run: baselines and the replicates of 30 sessions
        run=replay,
        make_executor: Callable[[int], Executor] | None = None,
        limits: Limits | None = None,
    ):
        self.workers = workers
        self.cache_size = cache_size
        self.run = run
        self.limits = limits
        self._make_executor = make_executor or _process_pool
        self._executor: Executor | None = None
        self._cache: OrderedDict[str, _Job] = OrderedDict()
        self._waiting: dict[object, _Job] = {}  # owner -> its waiting job
        self._asked: dict[object, int] = {}  # owner -> when its waiting started (ties among the never served)
        self._served: dict[object, int] = {}  # owner -> the turn its last job started
        self._background: dict[object, list[_Job]] = {}  # owner -> its waiting replicate runs, in order
        self._background_served: dict[object, int] = {}  # owner -> the turn its last replicate run started
        self._count = 0  # requests and turns, one clock
        self._running = 0
        self._lock = threading.RLock()

    def submit(self, scenario: dict, changes: list, owner=None) -> Future:
        """The future of this run: a cached or waiting one if another request asked for the same run."""
        self._check(scenario)
        key = _job_key(scenario, changes)
        owner = _Anonymous() if owner is None else owner
        with self._lock:
            job = self._cached(key)
            if job is not None:
                self._cache.move_to_end(key)
                if job.started:  # running or done: nothing to queue, and this session's older request is moot
                    self._drop(owner)
                elif self._waiting.get(owner) is not job:  # waiting for another session: wait for it too
                    self._wait(owner, job)
                return job.future
            job = self._new_job(key, scenario, changes)
            self._wait(owner, job)
            self._dispatch()
            return job.future

    def submit_background(self, runs: list[tuple[dict, list]], owner) -> list[Future]:
        """The futures of replicate runs ((scenario, changes) each; a noise band's): they start only when no
        session's own baseline waits, and they replace ``owner``'s waiting replicate runs (cancelled unless
        another session waits for the same run). A run already asked for, running or done is shared, so
        sessions on the same preset share their replicate baselines."""
        for scenario, _ in runs:
            self._check(scenario)
        with self._lock:
            jobs = []
            for scenario, changes in runs:
                key = _job_key(scenario, changes)
                job = self._cached(key) or self._new_job(key, scenario, changes)
                self._cache.move_to_end(key)
                jobs.append(job)
            waiting = [job for job in jobs if not job.started]
            for job in waiting:  # (before the older request is dropped: a run in both is kept, not cancelled)
                job.background.add(owner)
            for job in self._background.pop(owner, []):
                if job not in waiting:
                    job.background.discard(owner)
                    self._cancel_if_unwanted(job)
            if waiting:
                self._background[owner] = waiting
                self._count += 1
                self._asked.setdefault(("background", owner), self._count)
            else:
                self._asked.pop(("background", owner), None)
            self._dispatch()
            return [job.future for job in jobs]

    def forget(self, owner) -> None:
        """A session has ended: its waiting jobs are dropped (cancelled if nobody else waits for them)."""
        with self._lock:
            self._drop(owner)
            self._drop_background(owner)
            self._served.pop(owner, None)
            self._background_served.pop(owner, None)

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def waiting_background(self) -> int:
        """Replicate runs waiting to start, over all sessions."""
        with self._lock:
            return sum(1 for jobs in self._background.values() for job in jobs if not job.started)

    # ------------------------------------------------------------------ jobs
    def _check(self, scenario: dict) -> None:
        if self.limits is not None and (problems := self.limits.problems(scenario)):
            raise ConfigError([f"baseline: {p}" for p in problems])

    def _cached(self, key: str) -> _Job | None:
        """The job for ``key`` if it is waiting, running or done well (a failed or cancelled one runs again)."""
        job = self._cache.get(key)
        if job is not None and job.future.done() and (job.future.cancelled() or job.future.exception()):
            return None
        return job

    def _new_job(self, key: str, scenario: dict, changes: list) -> _Job:
        job = _Job(key, scenario, changes)
        self._cache[key] = job
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)  # a waiting job so dropped still runs
        return job

    # ------------------------------------------------------------------ the queue
    def _wait(self, owner, job: _Job) -> None:
        """``job`` becomes ``owner``'s waiting job, replacing any other (it keeps its place in the round)."""
        had = owner in self._waiting
        self._drop(owner, keep_place=True)
        self._waiting[owner] = job
        job.owners.add(owner)
        if not had:
            self._count += 1
            self._asked[owner] = self._count

    def _drop(self, owner, keep_place: bool = False) -> None:
        job = self._waiting.pop(owner, None)
        if not keep_place:
            self._asked.pop(owner, None)
        if job is None:
            return
        job.owners.discard(owner)
        self._cancel_if_unwanted(job)

    def _drop_background(self, owner) -> None:
        """``owner``'s waiting replicate runs are no longer its (each cancelled if nobody else waits for it)."""
        self._asked.pop(("background", owner), None)
        for job in self._background.pop(owner, []):
            job.background.discard(owner)
            self._cancel_if_unwanted(job)

    def _cancel_if_unwanted(self, job: _Job) -> None:
        if job.unwanted:  # nobody waits for it any more
            job.future.cancel()
            if self._cache.get(job.key) is job:
                del self._cache[job.key]

    def _next_background(self) -> tuple[object, _Job] | None:
        """The replicate run to start next: the first waiting one of the session served least recently."""
        while self._background:
            owner = min(
                self._background,
                key=lambda o: (self._background_served.get(o, 0), self._asked.get(("background", o), 0)),
            )
            jobs = self._background[owner]
            job = jobs.pop(0)
            if not jobs:
                del self._background[owner]
                self._asked.pop(("background", owner), None)
            job.background.discard(owner)
            if not job.started and not job.future.done():  # (started by another request, or cancelled)
                self._count += 1
                self._background_served[owner] = self._count
                return owner, job
        return None

    def _dispatch(self) -> None:
        """Start waiting jobs while a worker is free: the sessions' own baselines first, the session served least
        recently first; then the replicate runs of the noise bands, in the same way."""
        while self._running < self.workers and (self._waiting or self._background):
            if not self._waiting:
                _, job = self._next_background() or (None, None)
                if job is None:
                    break
            else:
                owner = min(self._waiting, key=lambda o: (self._served.get(o, 0), self._asked.get(o, 0)))
                job = self._waiting[owner]
                for other in list(job.owners):  # every session waiting for this run is served by it
                    self._waiting.pop(other, None)
                    self._asked.pop(other, None)
                job.owners.clear()
                self._count += 1
                if not isinstance(owner, _Anonymous):
                    self._served[owner] = self._count
            if not job.future.set_running_or_notify_cancel():
                continue
            job.started = True
            self._running += 1
            try:
                if self._executor is None:
                    self._executor = self._make_executor(self.workers)
                inner = self._executor.submit(self.run, job.scenario, job.changes)
            except Exception as exc:  # noqa: BLE001 - a broken or shut pool: this job fails, the next gets a new one
                self._running -= 1
                self._executor = None
                job.future.set_exception(exc)
                continue
            inner.add_done_callback(functools.partial(self._finished, job))

    def _finished(self, job: _Job, done: Future) -> None:
        with self._lock:
            self._running -= 1
            if done.cancelled() or isinstance(done.exception(), BrokenProcessPool):
                self._executor = None  # a worker died (or the pool was shut): start a fresh one for the next
        if done.cancelled():
            job.future.set_exception(CancelledError("the baseline pool was shut down"))
        elif done.exception() is not None:
            job.future.set_exception(done.exception())
        else:
            job.future.set_result(done.result())
        with self._lock:
            self._dispatch()

    def shutdown(self) -> None:
        with self._lock:
            for owner in list(self._waiting):
                self._drop(owner)
            for owner in list(self._background):
                self._drop_background(owner)
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None


def _job_key(scenario: dict, changes: list) -> str:
    """What a run is: its scenario (seed included) and its live lever changes."""
    return json.dumps([scenario, lever_changes_key(changes)], sort_keys=True, default=str)


def _process_pool(workers: int) -> ProcessPoolExecutor:
    # spawn: never fork a threaded web server; the worker ends when the server does
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker, initargs=(os.getpid(),)
    )


POOL = BaselinePool(limits=LIMITS)
atexit.register(POOL.shutdown)


def without_policy(scenario: dict) -> dict:
    """The same scenario (Places, population, parameters, seed, and its demand: ``CONDITIONS``) with every
    policy lever at its default and no scheduled policy change."""
    plain = copy.deepcopy(scenario)
    defaults = to_dict(Levers())
    plain["levers"] = {name: plain["levers"][name] if name in CONDITIONS else value for name, value in defaults.items()}
    plain["schedule"] = [change for change in plain.get("schedule", []) if change["lever"] in CONDITIONS]
    return plain


@dataclass
class Baseline:
    """The run the live one is compared with."""

    label: str
    scenario: dict  # resolved scenario dict (seed included)
    changes: list  # live lever changes replayed in it
    data: np.ndarray | None = None  # weeks x places x columns (None while it is computed)
    future: Future | None = None
    error: str | None = None

    def poll(self) -> bool:
        """Pick up a finished background run; True when it just arrived (or failed)."""
        if self.future is not None and self.future.done():
            try:
                self.data = self.future.result()
            except Exception as exc:  # noqa: BLE001 - shown on the page, the session goes on
                self.error = f"the baseline run failed: {exc}"
            self.future = None
            return True
        return False

    @property
    def ready(self) -> bool:
        """Whether the run is all there (a pinned run's weeks stand in while its rerun computes)."""
        return self.data is not None and self.future is None


@dataclass
class Noise:
    """The replicate runs behind the cards' noise bands (:mod:`dashboard.noise`): for each replicate seed, this
    run's settings and lever changes (the policy arm) and its baseline's, run with that seed."""

    stamp: int  # the session's noise_stamp when asked: its lever changes and baseline then
    seeds: list[int]
    futures: list[tuple[Future, Future]]  # (policy arm, baseline arm) for each seed
    pairs: list[tuple[np.ndarray, np.ndarray]] | None = None  # their weekly arrays, once all have arrived
    error: str | None = None

    def poll(self) -> bool:
        """Pick up the replicate runs once all have finished; True when they just arrived (or one failed)."""
        if self.pairs is not None or self.error is not None:
            return False
        if not all(f.done() for pair in self.futures for f in pair):
            return False
        try:
            self.pairs = [(policy.result(), base.result()) for policy, base in self.futures]
        except CancelledError:  # superseded (the session asked again) or the pool shut: no band from these
            self.error = "the noise estimate was cancelled"
        except Exception as exc:  # noqa: BLE001 - shown on the cards, the session goes on
            self.error = f"the noise estimate failed: {exc}"
        return True


# --------------------------------------------------------------------------- the session
_OWNERS = itertools.count(1)


class SessionRunner:
    """One session's model and everything the page shows about it (thread-safe)."""

    def __init__(
        self,
        settings: Settings | None = None,
        pool: BaselinePool | None = POOL,
        limits: Limits | None = None,
        replicates: int | None = None,
    ):
        self.lock = threading.RLock()
        self.pool = pool
        self.limits = limits or LIMITS
        self.owner = next(_OWNERS)  # this session, for the baseline pool's turns
        self.settings = settings or Settings()
        self.model: ICSModel | None = None  # built by reset(), which a page calls before anything else
        self.scenario: Scenario | None = None
        self.user_changes: list[tuple[int, str, object]] = []
        self.pending: list[tuple[int, str, object]] = []  # the settings' live changes not yet reached
        self.baseline: Baseline | None = None
        self.pinned: Baseline | None = None
        self.run_id = 0
        self.version = 0
        self.group = self.settings.group  # its group's name, for the room page and the link ('': none given)
        self.replicates = REPLICATES if replicates is None else replicates  # 0: no noise bands
        self.noise: Noise | None = None
        self.noise_stamp = 0  # bumped when what the noise band depends on changes (levers, baseline, reset)
        self.changed_at = 0.0  # time.monotonic() of the last lever change (replicates wait for it to settle)

    # ------------------------------------------------------------------ lifecycle
    def reset(self, settings: Settings | None = None, warm_up: bool = True) -> None:
        """Build a fresh model from ``settings`` (validated; ConfigError leaves the current run alone)."""
        from abm.model import ICSModel

        settings = settings or self.settings
        scenario = settings.build()
        problems = self.limits.problems(scenario)
        if problems:
            raise ConfigError(problems)
        model = ICSModel(scenario)
        pending = sorted(settings.changes, key=lambda c: c[0])
        applied: list[tuple[int, str, object]] = []
        if warm_up:
            for _ in range(model.burn_in_weeks):
                model.step()
            _apply_due(model, pending, applied)
            while model.reporting_week < min(settings.resume_week, model.horizon_weeks):
                model.step()
                _apply_due(model, pending, applied)
        with self.lock:  # a reset of this run starts again at week 0 (a link's week is where it was opened)
            self.settings, self.scenario, self.model = dataclasses.replace(settings, resume_week=0), scenario, model
            self.user_changes, self.pending = applied, pending
            self.run_id += 1
            self.version += 1
            self.baseline = None
            self.pinned = None
            self.noise = None
            self.noise_stamp += 1
        self.request_default_baseline()

    def close(self) -> None:
        """The session has ended: its waiting baseline run, if any, is dropped."""
        if self.pool is not None:
            self.pool.forget(self.owner)

    @property
    def current_model(self) -> ICSModel:
        """The session's model (for the actions that need one: :meth:`reset` has built it)."""
        assert self.model is not None, "the session has no model yet: reset() builds it"
        return self.model

    @property
    def current_scenario(self) -> Scenario:
        """The scenario of the session's model (set with it by :meth:`reset`)."""
        assert self.scenario is not None, "the session has no model yet: reset() builds it"
        return self.scenario

    def warm(self) -> bool:
        return self.model is not None and self.model.reporting_week >= 0

    @property
    def finished(self) -> bool:
        return self.model is not None and self.model.finished

    def advance(self, weeks: int = 1) -> int:
        """Step up to ``weeks`` weeks (stopping at the horizon); return how many ran."""
        done = 0
        with self.lock:
            model = self.current_model
            while done < weeks and not model.finished:
                model.step()
                _apply_due(model, self.pending, self.user_changes)
                done += 1
            self.version += 1
        return done

    def set_lever(self, name: str, value) -> None:
        """Change a lever from the next week (validated: ConfigError names the lever and what is allowed)."""
        with self.lock:
            model = self.current_model
            if name in Levers.names() and getattr(model.levers, name) == value:
                return  # unchanged: no marker
            model.set_lever(name, value)
            self.user_changes.append((model.reporting_week, name, getattr(model.levers, name)))
            self.version += 1
            self.noise_stamp += 1
            self.changed_at = time.monotonic()

    def set_group(self, text) -> str:
        """Name this session's group (checked by :func:`check_group_name`); the name as kept."""
        name = check_group_name(text)
        with self.lock:
            self.group = name
            self.version += 1
        return name

    def schedule_change(self, week: int, name: str, value) -> int:
        """Schedule a lever change from reporting week ``week`` (a facilitator's shock, :mod:`dashboard.registry`);
        return the week it acts from. It takes the path of a participant's move: a week already reached acts
        from the next week (:meth:`set_lever`); a later one waits with the run's other pending changes and is
        applied at its week as the run plays. Either way it is a marker on the charts, in the page's link and
        the exported file, and a Reset replays it (the run's settings keep it). ConfigError names what is
        wrong: no run yet, a week outside the run, a bad value, too many changes already."""
        value = validate_lever(name, value, path=f"{name}")
        with self.lock:
            if self.model is None or not self.warm():
                raise ConfigError(["this session is still starting; push again in a moment"])
            horizon = self.model.horizon_weeks
            if not isinstance(week, int) or isinstance(week, bool) or not 0 <= week < horizon:
                raise ConfigError([f"week: {short(week)} is not a week of this run; allowed: 0 to {horizon - 1}"])
            if len(self.planned_changes()) >= MAX_LIVE_CHANGES:
                raise ConfigError(
                    [f"this run has {MAX_LIVE_CHANGES} lever changes already, the most a run keeps; allowed: no more"]
                )
            now = self.model.reporting_week
            if week <= now:
                self.set_lever(name, value)
                week = now
            else:
                after = sum(1 for w, _, _ in self.pending if w <= week)  # after the changes already due that week
                self.pending.insert(after, (week, name, value))
            self.settings = dataclasses.replace(self.settings, changes=[*self.settings.changes, (week, name, value)])
            self.version += 1
            self.noise_stamp += 1
            self.changed_at = time.monotonic()
            return week

    def cancel_changes(self, changes: list[tuple[int, str, object]]) -> int:
        """Take scheduled changes (a withdrawn shock's, :mod:`dashboard.registry`) out of this session: those still
        to come in the run are cancelled, and no later run replays them (the run's settings drop them); those
        already made stay in this run. How many were still to come."""
        with self.lock:
            to_come = [c for c in changes if c in self.pending]
            self.pending = [c for c in self.pending if c not in to_come]
            self.settings = dataclasses.replace(
                self.settings, changes=[c for c in self.settings.changes if c not in changes]
            )
            self.version += 1
            return len(to_come)

    # ------------------------------------------------------------------ reading
    @property
    def weeks(self) -> int:
        return 0 if self.model is None else self.model.metrics.recorded

    def data(self) -> np.ndarray:
        """The weekly metrics recorded so far (a view: weeks x places x columns)."""
        metrics = self.current_model.metrics
        return metrics.data[: metrics.recorded]

    @property
    def place_names(self) -> list[str]:
        return self.current_model.metrics.place_names

    def planned_changes(self) -> list[tuple[int, str, object]]:
        """The run's live lever changes: those made or replayed so far, then those still to be replayed."""
        with self.lock:
            return [*self.user_changes, *self.pending]

    def link(self) -> str:
        """The page's ``run=`` value for this session (``""`` for an uploaded scenario): :func:`settings_from_link`."""
        with self.lock:
            week = self.model.reporting_week if self.model is not None else 0
            return settings_to_link(self.settings, self.planned_changes(), week, self.group)

    def markers(self) -> list[tuple[int, str, object]]:
        """Every lever change so far (live ones and the scenario's schedule): (reporting week, lever, value)."""
        return list(self.current_model.lever_changes)

    def lever_values(self) -> dict:
        levers = self.current_model.levers
        return {name: getattr(levers, name) for name in Levers.names()}

    # ------------------------------------------------------------------ baseline
    def request_default_baseline(self) -> None:
        """The scenario with no policy (every lever at its default, no schedule), same seed: what the cards
        compare against. For a story preset this shows the story's own levers from the first week; for a
        scenario that moves no lever it is the scenario as loaded."""
        if self.pool is None:
            return
        scenario = self.current_scenario.to_dict()
        plain = without_policy(scenario)
        label = (
            f"{self.settings.source} as loaded (no lever moved), same seed"
            if plain == scenario
            else f"{self.settings.source} with no policy (every policy lever at its default), same seed"
        )
        self.baseline = Baseline(label, plain, [], future=self.pool.submit(plain, [], owner=self.owner))

    def pin_baseline(self) -> Baseline:
        """Keep this run (its settings and live lever changes so far) as the baseline, and rerun it in full at
        once (:meth:`compare`): until the rerun arrives, the weeks played so far stand in for it, so the
        cards and dashed lines never go blank as the run plays past the pinned week."""
        with self.lock:
            scenario = self.current_scenario
            self.pinned = Baseline(
                f"pinned run (week {max(self.current_model.reporting_week, 0)}, "
                f"{len(self.user_changes)} lever change(s)), seed {scenario.seed}",
                scenario.to_dict(),
                list(self.user_changes),
                data=self.data().copy(),
            )
            self.compare()
            return self.pinned

    def compare(self) -> Baseline:
        """Rerun the pinned baseline's settings and lever changes in full, with this run's seed (the pinned
        weeks stand in while it computes)."""
        if self.pinned is None:
            raise ConfigError(["compare: pin a baseline first (the 'Pin as baseline' button)"])
        pinned = self.pinned
        scenario = copy.deepcopy(pinned.scenario)
        seed = self.current_scenario.seed
        scenario["seed"] = seed
        self.baseline = Baseline(
            f"{pinned.label}, rerun in full",
            scenario,
            list(pinned.changes),
            data=pinned.data,
            future=self.pool.submit(scenario, pinned.changes, owner=self.owner) if self.pool else None,
        )
        if self.pool is None:
            self.baseline.data = replay(scenario, pinned.changes)
        self.version += 1
        self.noise_stamp += 1
        return self.baseline

    def poll_baseline(self) -> bool:
        if self.baseline is not None and self.baseline.poll():
            self.version += 1
            return True
        return False

    # ------------------------------------------------------------------ noise bands
    def request_noise(self, force: bool = False) -> Noise | None:
        """Ask the pool for the replicate runs of the cards' noise bands (:mod:`dashboard.noise`), unless they are
        already asked for this run's lever changes and baseline; the new request if one was sent.

        Each replicate seed (the next ``replicates`` after this run's) runs both arms over the whole horizon: this
        run's scenario with its lever changes at their weeks, and the baseline's scenario with its changes. A lever
        change asks only once no lever has moved for ``SETTLE_SECONDS`` (``force``: at once, as on a pause), so a
        slider dragged during play sends one request, not one a week; the pool drops this session's older
        waiting runs."""
        with self.lock:
            baseline = self.baseline
            if self.pool is None or self.replicates <= 0 or self.model is None or baseline is None:
                return None
            if self.noise is not None and self.noise.stamp == self.noise_stamp:
                return None
            if not force and time.monotonic() - self.changed_at < SETTLE_SECONDS:
                return None
            scenario, changes = self.current_scenario.to_dict(), self.planned_changes()
            stamp = self.noise_stamp
        seeds = replicate_seeds(int(scenario["seed"]), self.replicates)
        runs = []
        for seed in seeds:
            runs.append((dict(scenario, seed=seed), changes))
            runs.append((dict(baseline.scenario, seed=seed), list(baseline.changes)))
        try:
            futures = self.pool.submit_background(runs, owner=self.owner)
        except ConfigError as exc:
            noise = Noise(stamp, seeds, [], error=f"no noise estimate: {'; '.join(exc.problems)}")
        else:
            noise = Noise(stamp, seeds, list(zip(futures[::2], futures[1::2], strict=True)))
        with self.lock:
            if stamp != self.noise_stamp:  # a lever moved while this was asked: the next request replaces it
                return None
            self.noise = noise
            self.version += 1
        return noise

    def poll_noise(self) -> bool:
        """Pick up the replicate runs; True when they just arrived."""
        noise = self.noise
        if noise is not None and noise.poll():
            self.version += 1
            return True
        return False

    def noise_pairs(self) -> tuple[str, list]:
        """What the cards show of the noise: ('off', []) with no bands, ('estimating', []) until the replicates
        for this run's lever changes and baseline are in, ('failed: why', []) or ('ready', [(policy, base), ...])."""
        noise = self.noise
        if self.replicates <= 0 or self.pool is None:
            return "off", []
        if noise is None or noise.stamp != self.noise_stamp:
            return "estimating", []
        noise.poll()
        if noise.error is not None:
            return f"failed: {noise.error}", []
        if noise.pairs is None:
            return "estimating", []
        return "ready", noise.pairs

    # ------------------------------------------------------------------ export
    def scenario_yaml(self) -> str:
        """This run as a scenario file that replays it: the loaded scenario (its levers as they started) with
        this session's population, horizon and seed, and the live lever changes with their weeks
        (``live_changes:``, only when there are some). Loading it in the dashboard gives the same run, week for
        week."""
        with self.lock:
            data = copy.deepcopy(self.settings.scenario)
            data.update(population=self.settings.population, years=self.settings.years, seed=self.settings.seed)
            changes = self.planned_changes()
        data.pop(LIVE_CHANGES_KEY, None)
        header = f"# ics-abm scenario exported from the dashboard (from {self.settings.source}).\n"
        if changes:
            kept = changes[:MAX_LIVE_CHANGES]
            data[LIVE_CHANGES_KEY] = [{"week": int(w), "lever": n, "value": v} for w, n, v in kept]
            header += (
                "# live_changes: the levers moved during the run, each from the start of its reporting week. Load\n"
                "# this file in the dashboard to replay the run exactly; `abm run` does not read live_changes\n"
                "# (remove that section to run the scenario as it started).\n"
            )
            if len(changes) > len(kept):
                header += f"# Only the first {MAX_LIVE_CHANGES} of {len(changes)} live changes are kept.\n"
        return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

    def metrics_csv(self) -> str:
        """The weekly metrics so far as CSV (the same table as ``abm run``'s metrics.csv)."""
        if self.weeks == 0:  # nothing recorded yet: the header only
            return ",".join(["week", "year", "place", *COLUMNS]) + "\n"
        return self.current_model.metrics.frame().to_csv(index=False)


def preset_sources() -> dict[str, str | Path]:
    """Preset name -> what to load: the built-in presets, then a facilitator's own folder of scenario
    files (``ABM_DASHBOARD_PRESETS=DIR``, e.g. ``abm dashboard --presets DIR``), which may add or replace
    presets.  Only regular ``.yaml`` files directly in that folder are offered."""
    sources: dict[str, str | Path] = {name: name for name in preset_names()}
    folder = os.environ.get("ABM_DASHBOARD_PRESETS")
    if folder:
        sources.update({p.stem: p for p in sorted(Path(folder).glob("*.yaml")) if p.is_file()})
    return sources


def preset_choices() -> list[tuple[str, str]]:
    """(name, one-line description) of every preset, unreadable ones flagged rather than hidden."""
    rows = []
    for name, source in preset_sources().items():
        try:
            rows.append((name, clip(str(load_scenario_dict(source).get("description", "") or ""), 300)))
        except ConfigError as exc:
            rows.append((name, f"(unreadable: {exc.problems[0]})"))
    return rows


# --------------------------------------------------------------------------- play
UPDATE_SECONDS = 0.4  # 2.5 updates a second while playing: headroom over the target of 2 on a busy server
SPEEDS = (3, 5, 10, 15, 25)  # weeks per second (at least one week in every update)


class Player:
    """Plays a session's model in a background thread: ``weeks_per_update`` weeks, then
    ``on_update(baseline_arrived)``.

    Stops at the horizon, at ``stop_week`` (a story step's "run to year"), on ``stop()``, or
    when a week raises (``on_error(exception)`` is called and the session's other state is kept).
    """

    def __init__(self, runner: SessionRunner, on_update, on_error, on_stop):
        self.runner = runner
        self.on_update, self.on_error, self.on_stop = on_update, on_error, on_stop
        self.weeks_per_second = SPEEDS[1]
        self.stop_week: int | None = None
        self._carry = 0.0  # fractions of a week owed to the next update
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def playing(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def weeks_per_update(self) -> int:
        """Weeks to run in the next update, so that over time the speed is ``weeks_per_second``."""
        self._carry += self.weeks_per_second * UPDATE_SECONDS
        weeks = max(1, int(self._carry))
        self._carry = max(0.0, self._carry - weeks)
        return weeks

    def start(self, stop_week: int | None = None) -> None:
        if self.playing or not self.runner.warm() or self.runner.finished:
            return
        self.stop_week = stop_week
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(self._stop,), daemon=True, name="abm-player")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self, stop: threading.Event) -> None:
        import time

        try:
            while not stop.is_set() and not self.runner.finished:
                started = time.perf_counter()
                weeks = self.weeks_per_update()
                if self.stop_week is not None:
                    weeks = min(weeks, self.stop_week - self.runner.current_model.reporting_week)
                    if weeks <= 0:
                        break
                self.runner.advance(weeks)
                self.on_update(self.runner.poll_baseline())
                stop.wait(max(0.0, UPDATE_SECONDS - (time.perf_counter() - started)))
        except Exception as exc:  # noqa: BLE001 - reported in this session's page only
            self.on_error(exc)
        finally:
            stop.set()
            self.on_stop()
