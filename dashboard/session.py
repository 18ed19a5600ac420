"""A browser session: its runner and player, the actions the page's buttons call, and what they update.

Solara keeps each module-level ``solara.reactive`` per browser session (per kernel), so
the values below are never shared between participants; the :class:`Session` object is
created once per page (``solara.use_memo``) and holds that session's model.
Every action catches its own errors and shows them in this session's page only.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import CancelledError
from html import escape

import solara

from abm.config import ConfigError
from dashboard.noise import SETTLE_SECONDS
from dashboard.registry import ROOM
from dashboard.state import Noise, Player, SessionRunner, Settings, run_from_yaml

tick = solara.reactive(0)  # bumped when the page's structure changes (re-renders the main view)
live_tick = solara.reactive(0)  # bumped at every update while playing (only the patient panel listens)
levers_tick = solara.reactive(0)  # bumped when lever values change other than by a control (reset, schedule)
playing = solara.reactive(False)
busy = solara.reactive("")  # e.g. "Warming up..." while a reset runs
problems: solara.Reactive[list[str]] = solara.reactive([])  # messages shown at the top of the page
notice = solara.reactive("")  # a one-line confirmation (e.g. "Baseline pinned")


class Session:
    """One participant's model and the actions on it."""

    def __init__(self, runner: SessionRunner | None = None):
        self.runner = runner or SessionRunner()
        self.player = Player(self.runner, on_update=self._updated, on_error=self._failed, on_stop=self._stopped)
        self._changes_seen = 0
        self.live: dict[str, tuple] = {}  # key -> (HTML widget, function giving its content): see push_live
        self.room_id: str | None = None  # this session's row in the workshop room (dashboard.registry)
        self._noise_timer: threading.Timer | None = None  # asks for the noise band once the levers settle
        self.narrow = False  # the page is a phone's: its charts are drawn narrow (dashboard.svg.NARROW)

    # ------------------------------------------------------------------ the workshop room
    def join_room(self) -> None:
        """List this session in the room (the facilitator's page), with a way to tell this page of a shock."""
        from solara.server import kernel_context

        context = kernel_context.get_current_context() if kernel_context.has_current_context() else None
        self.room_id = ROOM.add(self.runner, notify=lambda message: self._told(context, message))

    def _told(self, context, message: str) -> None:
        """The facilitator changed this run (from the room page's thread): refresh this page, in its own
        kernel's context, and say what happened (the cards' noise band is asked for again once it settles)."""
        self.settle_noise()

        def refresh():
            notice.set(message)
            levers_tick.set(levers_tick.value + 1)
            tick.set(self.runner.version)

        if context is None:
            refresh()
        else:
            with context:
                refresh()

    def shocks_on(self) -> list[str]:
        """The facilitator's shocks on in this session, in words ('Winter surge (from week 20)')."""
        return ROOM.shocks_on(self.room_id)

    def set_group(self, text: str) -> None:
        """Name this session's group, as the room page shows it (short plain text; an error says what is allowed)."""
        try:
            if self.room_id is None:  # not listed in the room (it was full)
                self.runner.set_group(text)
            else:
                ROOM.set_group(self.room_id, text)  # (a group's shocks follow its name across a reload)
        except ConfigError as exc:
            self.show(exc)
            return
        problems.set([])
        tick.set(self.runner.version)  # the page's address keeps the name

    def set_narrow(self, narrow) -> None:
        """The page says whether it is narrow (a phone): its charts are redrawn to suit, at once. The page says it
        again a few times as it starts, and each time the live regions are checked (only those that differ are
        sent): a render begun before the first message may have drawn them for the other width."""
        self.narrow = narrow is True
        self.push_live()

    # ------------------------------------------------------------------ feedback
    def _updated(self, baseline_arrived: bool = False) -> None:
        """After the player's weeks: push fresh content into the live regions; re-render only if needed."""
        changes = len(self.runner.current_model.lever_changes)
        if changes != self._changes_seen:  # a scheduled change moved a lever: refresh the controls
            self._changes_seen = changes
            levers_tick.set(levers_tick.value + 1)
        if baseline_arrived:
            tick.set(self.runner.version)
        self.push_live()
        live_tick.set(live_tick.value + 1)

    def push_live(self) -> None:
        """Set each live region's HTML straight on its widget: one small message per region that changed,
        instead of re-rendering (and diffing) the whole page."""
        for widget, make in list(self.live.values()):
            try:
                content = make()
            except Exception as exc:  # noqa: BLE001 - shown in place; the run goes on
                content = f"<span style='color:#B03A2E'>This panel could not be drawn: {escape(str(exc))}</span>"
            if widget.unsafe_innerHTML != content:
                widget.unsafe_innerHTML = content

    def _failed(self, exc: Exception) -> None:
        problems.set(getattr(exc, "problems", None) or [f"the model stopped: {type(exc).__name__}: {exc}"])

    def _stopped(self) -> None:
        playing.set(False)
        tick.set(self.runner.version)
        self.ask_noise(force=True)  # paused (or at the end): the cards' noise band for the levers as they are

    def show(self, exc: Exception) -> None:
        """Show an error (ConfigError lists each problem) in this page."""
        problems.set(list(getattr(exc, "problems", None) or [f"{type(exc).__name__}: {exc}"]))

    def close(self) -> None:
        """The browser session has ended: stop its model, drop its waiting baseline run and leave the room."""
        self.player.stop()
        if self._noise_timer is not None:
            self._noise_timer.cancel()
        self.runner.close()
        ROOM.remove(self.room_id)

    # ------------------------------------------------------------------ run
    def reset(self, settings: Settings | None = None) -> None:
        """Rebuild the model (and its burn-in) in the background; errors leave the current run as it was. The
        facilitator's shocks on in this session act in the new run too (:meth:`Registry.with_shocks`)."""
        settings = ROOM.with_shocks(self.room_id, settings or self.runner.settings)
        try:  # checked here, before the current run is stopped: a refused run leaves it playing
            over = self.runner.limits.problems(settings.build())  # the facilitator's per-session limits
            if over:
                raise ConfigError(over)
        except ConfigError as exc:
            self.show(exc)
            return
        self.player.stop()
        problems.set([])
        dropped = settings.dropped_changes()
        if dropped:  # the session's horizon is shorter than the scenario's: say what it leaves out
            notice.set(
                f"This run is {settings.years} year(s) long, so the scenario's later change(s) are left out: "
                + "; ".join(dropped)
                + "."
            )
        busy.set(f"Warming up: {settings.population:,} people, burn-in before year 0...")

        def work():
            try:
                self.runner.reset(settings)
                self._changes_seen = len(self.runner.current_model.lever_changes)
                self.wait_for_baseline()
                self.ask_noise(force=True)
            except Exception as exc:  # noqa: BLE001 - shown in this page
                self.show(exc)
            finally:
                busy.set("")
                levers_tick.set(levers_tick.value + 1)
                tick.set(self.runner.version)

        threading.Thread(target=work, daemon=True, name="abm-reset").start()

    def wait_for_baseline(self) -> None:
        """Refresh the page when the background baseline run arrives (also while paused)."""
        baseline = self.runner.baseline
        if baseline is None or baseline.future is None:
            return
        future = baseline.future  # (poll_baseline may set baseline.future to None while this waits)

        def wait():
            try:
                future.exception()
            except CancelledError:  # superseded by a newer request from this session: nothing to show
                pass
            finally:
                if self.runner.poll_baseline():
                    tick.set(self.runner.version)

        threading.Thread(target=wait, daemon=True, name="abm-baseline").start()

    # ------------------------------------------------------------------ noise bands
    def settle_noise(self) -> None:
        """Ask for the cards' noise band once no lever has moved for ``SETTLE_SECONDS`` (a drag, or several levers
        moved in turn, asks once)."""
        if self._noise_timer is not None:
            self._noise_timer.cancel()
        self._noise_timer = threading.Timer(SETTLE_SECONDS + 0.05, self.ask_noise)
        self._noise_timer.daemon = True
        self._noise_timer.start()

    def ask_noise(self, force: bool = False) -> Noise | None:
        """Ask for the replicate runs of the noise band (if not already asked for the levers as they are), and
        refresh the page when they arrive (the cards show 'estimating' until then)."""
        try:
            noise = self.runner.request_noise(force)
        except Exception as exc:  # noqa: BLE001 - shown in this page; the run goes on
            self.show(exc)
            return None
        if noise is None or not noise.futures:
            return noise

        def wait():
            for pair in noise.futures:
                for future in pair:
                    with contextlib.suppress(CancelledError):  # superseded by a newer request from this session
                        future.exception()
            if self.runner.poll_noise():
                self.push_live()
                tick.set(self.runner.version)

        threading.Thread(target=wait, daemon=True, name="abm-noise").start()
        return noise

    def play(self, stop_week: int | None = None) -> None:
        if not self.runner.warm():
            return
        problems.set([])
        playing.set(True)
        self.player.start(stop_week)
        if not self.player.playing:
            playing.set(False)

    def pause(self) -> None:
        self.player.stop()
        playing.set(False)

    def step(self) -> None:
        """One week (when paused)."""
        if self.player.playing or not self.runner.warm():
            return
        try:
            self.runner.advance(1)
            self.runner.poll_baseline()
        except Exception as exc:  # noqa: BLE001
            self.show(exc)
        tick.set(self.runner.version)

    def set_lever(self, name: str, value) -> None:
        try:
            self.runner.set_lever(name, value)
            self._changes_seen = len(self.runner.current_model.lever_changes)
            self.settle_noise()
        except ConfigError as exc:
            self.show(exc)
        levers_tick.set(levers_tick.value + 1)  # the controls show the value now in force
        tick.set(self.runner.version)

    # ------------------------------------------------------------------ baseline
    def pin(self) -> None:
        try:
            self.runner.pin_baseline()
        except ConfigError as exc:
            self.show(exc)
            return
        notice.set("Pinned this run as the baseline: move a lever, and the cards show what it changes.")
        self.wait_for_baseline()
        self.ask_noise(force=True)
        tick.set(self.runner.version)

    # ------------------------------------------------------------------ files
    def load_yaml(self, content: bytes | str, filename: str) -> None:
        """A scenario file from the page: validated, then the run is reset to it; errors shown, nothing lost."""
        try:
            data, changes = run_from_yaml(content, filename)
        except ConfigError as exc:
            self.show(exc)
            return
        current = self.runner.settings
        settings = Settings(
            source=f"uploaded: {data.get('name') or filename}",
            scenario=data,
            population=int(data.get("population", current.population)),
            years=int(data.get("years", current.years)),
            seed=int(data.get("seed", current.seed)),
            changes=changes,
        )
        replays = f" It replays {len(changes)} lever change(s) at their weeks as the run plays." if changes else ""
        notice.set(f"Loaded {filename}.{replays}")
        self.reset(settings)
