"""The main view's panels: run controls, headline cards, the story, the baseline bar, charts,
"follow a patient" and export / load."""

from __future__ import annotations

from html import escape

import solara

from abm import safe_yaml
from abm.config import ConfigError
from abm.errors import clip
from abm.units import WEEKS_PER_YEAR
from dashboard import charts, flows, png, svg
from dashboard import session as ss
from dashboard.chartspec import format_number
from dashboard.figures import CARDS, card_window, headline
from dashboard.state import SPEEDS


def html(content: str, classes: list[str] | None = None, tag: str = "div"):
    """Static HTML (solara.Markdown would fetch KaTeX from a CDN, which an offline workshop lacks)."""
    return solara.HTML(tag=tag, unsafe_innerHTML=content, classes=classes or [], style={"font-size": "14px"})


@solara.component
def LiveHTML(session: ss.Session, key: str, make, classes: list[str] | None = None, version: int = 0):
    """HTML that follows the run between renders: ``make()`` gives its content, and while the run
    plays the session pushes fresh content straight into the widget (:meth:`Session.push_live`),
    which is far cheaper than re-rendering the page at every update.  ``version`` makes it
    re-render with its parent (Reacton treats two lambdas with the same code and closure as equal)."""
    element = solara.HTML(tag="div", unsafe_innerHTML=make(), classes=classes or [])

    def register():
        session.live[key] = (solara.get_widget(element), make)
        return lambda: session.live.pop(key, None)

    solara.use_effect(register)  # after every render: the latest ``make``
    return element


# --------------------------------------------------------------------------- run controls
@solara.component
def RunButtons(session: ss.Session, warm: bool, finished: bool):
    """Play / pause, step, reset and speed (not re-rendered at each update: their props rarely change)."""
    player = session.player
    playing, busy = ss.playing.value, bool(ss.busy.value)
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, gap="8px"):
        if playing:
            solara.Button(
                "Pause", icon_name="mdi-pause", on_click=session.pause, color="warning", classes=["btn-pause"]
            )
        else:
            solara.Button(
                "Play",
                icon_name="mdi-play",
                on_click=session.play,
                color="primary",
                disabled=not warm or busy or finished,
                classes=["btn-play"],
            )
        solara.Button(
            "Step a week",
            icon_name="mdi-step-forward",
            on_click=session.step,
            outlined=True,
            disabled=not warm or busy or playing or finished,
            classes=["btn-step"],
        )
        solara.Button(
            "Reset",
            icon_name="mdi-restart",
            on_click=lambda: session.reset(),
            outlined=True,
            disabled=busy,
            classes=["btn-reset"],
        )

        def set_speed(value):
            player.weeks_per_second = int(value)

        with solara.Column(style={"width": "190px"}):
            solara.Select(
                label="Speed (weeks per second)",
                values=[str(s) for s in SPEEDS],
                value=str(player.weeks_per_second),
                on_value=set_speed,
                classes=["speed-select"],
            )
    if busy:
        solara.Info(ss.busy.value)
    # what a screen reader announces: the run's state when it changes (not every week while it plays)
    runner = session.runner
    announcement = solara.use_memo(
        lambda: (
            status_text(runner)
            if finished or not warm
            else f"{status_text(runner)}: {'playing' if playing else 'paused'}"
        ),
        [playing, finished, warm, busy, runner.run_id],
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=escape(announcement),
        classes=["sr-only", "run-announcer"],
        attributes={"role": "status", "aria-live": "polite"},
    )


def status_text(runner) -> str:
    if runner.model is None or not runner.warm():
        return "Warming up (burn-in)..."
    if runner.finished:
        return f"Finished: all {runner.scenario.years} years run"
    week = runner.model.reporting_week
    return f"Year {week // WEEKS_PER_YEAR}, week {week % WEEKS_PER_YEAR + 1} (run of {runner.scenario.years} years)"


@solara.component
def RunControls(session: ss.Session, version: int = 0):
    """The buttons, then the week: one small element changes at each update."""
    runner = session.runner
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, gap="12px"):
        RunButtons(session, runner.warm(), runner.finished)
        LiveHTML(
            session,
            "status",
            lambda: (
                f"<span class='run-status' data-weeks='{runner.weeks}' "
                f"style='font-weight:600;font-size:16px'>{status_text(runner)}</span>"
            ),
            version=version,
        )


# --------------------------------------------------------------------------- cards
def delta_text(value, base, card, missing: str = "baseline computing...") -> tuple[str, str]:
    """('+3.1 (+2.8%) vs baseline', colour); ``missing`` says why there is no baseline figure."""
    if value is None or base is None:
        return missing, "#777"
    diff = value - base
    if card.percent:
        text = f"{diff * 100:+.1f} points vs baseline"
    else:
        rel = f" ({diff / base * 100:+.1f}%)" if base else ""
        text = f"{format_number(diff) if diff < 0 else '+' + format_number(diff)}{rel} vs baseline"
    if card.higher_is_worse is None or abs(diff) < 1e-12:
        return text, "#444"
    worse = (diff > 0) == card.higher_is_worse
    return text, "#B03A2E" if worse else "#1E8449"


def baseline_data(runner):
    """The baseline's weekly array once it has arrived, else None."""
    baseline = runner.baseline
    return baseline.data if baseline is not None and baseline.ready else None


def cards_html(data, base) -> str:
    """The six headline cards as one block of HTML (one element to update, not thirty)."""
    start, stop = card_window(data.shape[0])
    period = f"weeks {start}-{stop - 1}" if stop else "no week yet"
    parts = [
        "<div style='font-size:13px;color:#555;margin-bottom:6px'>"
        f"Headlines over the last {WEEKS_PER_YEAR} weeks ({period}); "
        "change against the baseline over the same weeks.</div><div class='cards'>"
    ]
    short = base is not None and base.shape[0] < stop  # a pinned run not yet rerun in full
    missing = f"the pinned baseline ends at week {base.shape[0]}: press Compare" if short else "baseline computing..."
    for card in CARDS:
        value = headline(data, card.key, start, stop)
        base_value = headline(base, card.key, start, stop) if base is not None and not short else None
        shown = "-" if value is None else (f"{value * 100:.1f}%" if card.percent else format_number(value))
        text, colour = delta_text(value, base_value, card, missing) if value is not None else ("", "#777")
        parts.append(
            f"<div class='headline-card card-{card.key}'><div class='card-title'>{card.title}</div>"
            f"<div class='card-value'>{shown}</div><div class='card-units'>{card.units}</div>"
            f"<div class='card-delta' style='color:{colour}'>{text}</div></div>"
        )
    return "".join(parts) + "</div>"


CARD_CSS = """
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.headline-card { flex: 1 1 150px; min-width: 150px; padding: 8px 12px; border-radius: 6px; background: white;
                 box-shadow: 0 1px 3px rgba(0,0,0,.25); font-size: 13px; }
.headline-card .card-title { font-weight: 600; font-size: 14px; }
.headline-card .card-value { font-size: 26px; line-height: 1.3; }
.headline-card .card-units { color: #555; font-size: 12px; }
.headline-card .card-delta { font-size: 12px; margin-top: 2px; }
"""


@solara.component
def Cards(session: ss.Session, version: int = 0):
    runner = session.runner
    solara.Style(CARD_CSS)
    LiveHTML(
        session,
        "cards",
        lambda: cards_html(runner.data(), baseline_data(runner)),
        classes=["headline-cards"],
        version=version,
    )


# --------------------------------------------------------------------------- baseline
def baseline_state(runner) -> tuple:
    """What the baseline bar shows; it re-renders only when this changes."""
    b = runner.baseline
    return (
        None if b is None else (b.label, b.ready, b.error),
        runner.pinned is not None,
        runner.warm() and runner.weeks > 0,
    )


@solara.component
def BaselineBar(session: ss.Session, state: tuple = ()):
    runner = session.runner
    baseline = runner.baseline
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, gap="8px"):
        if baseline is None:
            label = "none"
        elif baseline.error:
            label = baseline.error
        else:
            label = baseline.label + ("" if baseline.ready else " (computing in the background...)")
        solara.Text(f"Baseline: {label}", classes=["baseline-label"], style={"font-size": "13px"})
        solara.Button(
            "Pin as baseline",
            icon_name="mdi-pin",
            on_click=session.pin,
            outlined=True,
            small=True,
            disabled=not runner.warm() or runner.weeks == 0,
            classes=["btn-pin"],
        )
        solara.Button(
            "Compare (rerun baseline, same seed)",
            icon_name="mdi-compare",
            on_click=session.compare,
            outlined=True,
            small=True,
            disabled=runner.pinned is None,
            classes=["btn-compare"],
        )
    if ss.notice.value:
        solara.Text(ss.notice.value, style={"font-size": "12px", "color": "#1E8449"}, classes=["notice"])


# --------------------------------------------------------------------------- story
@solara.component
def StoryPanel(session: ss.Session):
    """A teaching preset's narrative: what to try, what to watch, the evidence, and its steps."""
    runner = session.runner
    scenario = runner.scenario
    story = scenario.story if scenario is not None else None
    step, set_step = solara.use_state(0)
    if (
        scenario is None
        or story is None
        or not any([story.what_to_try, story.what_to_watch, story.evidence, story.steps])
    ):
        return
    with solara.Card(classes=["story"], style={"padding": "0px"}):
        html(f"<b>Story: {escape(scenario.name)}</b>", classes=["story-title"])
        with solara.Details(summary="What to try, what to watch, what the evidence says", expand=True):
            for heading, text in (
                ("What to try", story.what_to_try),
                ("What to watch", story.what_to_watch),
                ("What the evidence says", story.evidence),
            ):
                if text:
                    html(f"<p style='margin:4px 0'><b>{heading}.</b> {escape(text)}</p>")
        if story.steps:
            i = min(step, len(story.steps) - 1)
            current = story.steps[i]
            with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
                html(
                    f"<b>Step {i + 1} of {len(story.steps)} (year {current.year}).</b> {escape(current.text)}",
                    classes=["story-step"],
                )
                solara.Button(
                    "Previous", on_click=lambda: set_step(max(i - 1, 0)), disabled=i == 0, small=True, outlined=True
                )
                solara.Button(
                    "Next step",
                    on_click=lambda: set_step(min(i + 1, len(story.steps) - 1)),
                    disabled=i == len(story.steps) - 1,
                    small=True,
                    outlined=True,
                    classes=["story-next"],
                )
                target = min(WEEKS_PER_YEAR * (current.year + 1), WEEKS_PER_YEAR * scenario.years)
                solara.Button(
                    f"Play to the end of year {current.year}",
                    small=True,
                    color="primary",
                    on_click=lambda: session.play(stop_week=target),
                    disabled=ss.playing.value,
                )


# --------------------------------------------------------------------------- charts
@solara.component
def Chart(session: ss.Session, make_spec, version: int = 0):
    """One chart (SVG, kept live) with its PNG download (of the chart as it is when clicked)."""
    spec = make_spec()
    latest = solara.use_ref(make_spec)
    latest.current = make_spec
    # one function for the component's life: a new one at each render would cancel a download in progress
    download = solara.use_memo(lambda: lambda: png.render(latest.current()), [])
    with solara.Column(gap="0px", style={"max-width": "760px", "width": "100%"}, classes=["chart"]):
        LiveHTML(
            session,
            f"chart-{spec.key}",
            lambda: svg.render(make_spec()),
            classes=[f"chart-{spec.key}"],
            version=version,
        )
        solara.FileDownload(
            download,
            filename=f"{spec.key}.png",
            label=f"Download '{spec.title}' (PNG)",
            icon_name="mdi-download",
            mime_type="image/png",
        )


@solara.component
def ChartTab(session: ss.Session, builders, version: int = 0):
    runner = session.runner
    hide_hidden, set_hide_hidden = solara.use_state(False)
    if charts.unmet_need in builders:
        solara.Checkbox(
            label="Hide hidden need (never sought care) to see the other kinds",
            value=hide_hidden,
            on_value=set_hide_hidden,
        )

    def maker(builder):
        options = {"include_hidden": not hide_hidden} if builder is charts.unmet_need else {}
        return lambda: charts.build_chart(
            builder,
            runner.data(),
            baseline_data(runner),
            runner.current_model.horizon_weeks,
            charts.markers_of(runner.markers()),
            runner.place_names,
            **options,
        )

    with solara.Row(style={"flex-wrap": "wrap"}, gap="12px"):
        for builder in builders:
            Chart(session, maker(builder), version).key(builder.__name__)
    LiveHTML(session, "markers", lambda: markers_html(runner.markers()), classes=["marker-list"], version=version)


def markers_html(changes) -> str:
    if not changes:
        return (
            "<span style='font-size:12px;color:#555'>No lever change yet: move a lever during play and a "
            "numbered red line marks the week on every time chart.</span>"
        )
    items = "".join(
        f"<li>{i}. week {w} (year {w // WEEKS_PER_YEAR}, week {w % WEEKS_PER_YEAR + 1}): "
        + "; ".join(f"<code>{escape(n)}</code> set to <b>{escape(str(v))}</b>" for n, v in group)
        + "</li>"
        for i, (w, group) in enumerate(charts.changes_by_week(changes), start=1)
    )
    return (
        f"<div style='font-size:14px'><b>Lever changes</b> (numbered red lines on the charts):"
        f"<ul style='list-style:none;padding-left:4px'>{items}</ul></div>"
    )


@solara.component
def FlowsTab(session: ss.Session, version: int = 0):
    runner = session.runner
    with solara.Column(style={"max-width": "1000px"}):
        LiveHTML(
            session,
            "flows",
            lambda: flows.render(runner.data(), max(runner.current_model.reporting_week - 1, 0) // WEEKS_PER_YEAR),
            classes=["chart-flows"],
            version=version,
        )


# --------------------------------------------------------------------------- follow a patient
@solara.component
def PatientPanel(session: ss.Session, version: int = 0):
    """One person's record and journey, from ``model.patient(i)`` (re-rendered at each update while open)."""
    ss.live_tick.value  # noqa: B018
    runner = session.runner
    model = runner.current_model
    person, set_person = solara.use_state(0)

    def someone_with_need():
        import numpy as np

        from abm.population import has_need, is_alive

        n = model.pop.n
        candidates = np.flatnonzero(has_need(model.pop.acuity[:n]) & is_alive(model.pop.setting[:n]))
        if candidates.size:
            set_person(int(model.rng.choice(candidates)))

    with solara.Row(style={"align-items": "center"}, gap="8px"):
        solara.InputInt(
            f"Person number (0 to {model.pop.n - 1})", value=person, on_value=set_person, classes=["input-person"]
        )
        solara.Button("Pick someone with need", on_click=someone_with_need, outlined=True, classes=["btn-someone"])
    try:
        record = model.patient(int(person))
    except IndexError as exc:
        solara.Error(f"person: {exc}")
        return
    journey = record.pop("journey")
    facts = (
        f"<b>Person {record['id']}</b>: {record['sex']}, aged {record['age']} ({record['age_band']}), "
        f"{escape(record['place'])}, deprivation quintile {record['deprivation_quintile']} (1 = most deprived), "
        f"frailty {record['frailty']}, {record['ltc']} long-term condition(s); need: <b>{record['acuity']}</b>; "
        f"now: <b>{record['setting']}</b> for {record['weeks_in_setting']} week(s); "
        f"{record['weeks_unmet']} week(s) of unmet need so far."
    )
    html(f"<p>{facts}</p>", classes=["patient-facts"])
    cell = "style='padding:2px 14px 2px 0;text-align:left'"
    rows = "".join(
        f"<tr><td {cell}>{w}</td><td {cell}>"
        f"{'burn-in' if w < 0 else f'year {w // WEEKS_PER_YEAR}, week {w % WEEKS_PER_YEAR + 1}'}</td>"
        f"<td {cell}>{escape(label)}</td></tr>"
        for w, label in journey
    )
    html(
        "<b>Journey</b> (latest 16 moves; weeks before 0 are the burn-in)"
        f"<table style='border-collapse:collapse;margin-top:4px'><tr><th {cell}>week</th><th {cell}>when</th>"
        f"<th {cell}>moved to</th></tr>{rows}</table>",
        classes=["patient-journey"],
    )


# --------------------------------------------------------------------------- export / load
@solara.component_vue("upload.vue")
def ScenarioUpload(label: str, max_bytes: int, event_upload):
    """A file picker that sends the chosen file's text to ``event_upload({name, size, text})``; a file over
    ``max_bytes`` is not read (text null). The server checks the text again (:mod:`abm.safe_yaml`)."""


@solara.component
def FilesPanel(session: ss.Session, version: int = 0):
    runner = session.runner
    name = runner.scenario.name if runner.scenario else "run"
    html("<h3>Export</h3>")
    # stable functions (see Chart): they read the run as it is when clicked
    csv = solara.use_memo(lambda: lambda: runner.metrics_csv().encode(), [])
    settings = solara.use_memo(lambda: lambda: runner.scenario_yaml().encode(), [])
    with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
        solara.FileDownload(
            csv,
            filename=f"{name}-metrics.csv",
            label="Metrics (CSV, one row per week per Place and ICS)",
            icon_name="mdi-table",
            mime_type="text/csv",
        )
        solara.FileDownload(
            settings,
            filename=f"{name}-settings.yaml",
            label="Current settings (scenario YAML)",
            icon_name="mdi-file-code",
            mime_type="application/x-yaml",
        )
    solara.Text("Each chart has its own PNG download under it.", style={"font-size": "12px", "color": "#555"})
    html(
        "<h3>Load a scenario (YAML)</h3><p>Drop a scenario file below, or paste one. It is checked before "
        "anything changes; any problem is listed at the top of the page with the field, the value and what is "
        "allowed, and the current run goes on.</p>"
    )

    def uploaded(info):
        name = clip(str(info.get("name", "upload")), 60)
        if not isinstance(info.get("text"), str):
            size = info.get("size") if isinstance(info.get("size"), int) else 0
            session.show(
                ConfigError(
                    [
                        f"{name}: {size:,} bytes is too large for a scenario file; allowed: up to "
                        f"{safe_yaml.MAX_BYTES:,} bytes"
                    ]
                )
            )
        else:
            session.load_yaml(info["text"], name)

    def dropped(info):  # lazy: only what is read crosses the network, never more than the limit (and one byte)
        session.load_yaml(info["file_obj"].read(safe_yaml.MAX_BYTES + 1), clip(str(info.get("name", "drop")), 60))

    with solara.Row(gap="12px", style={"align-items": "center", "flex-wrap": "wrap"}):
        ScenarioUpload(label="Choose a scenario .yaml file...", max_bytes=safe_yaml.MAX_BYTES, event_upload=uploaded)
        solara.FileDrop(label="...or drop one here", on_file=dropped, lazy=True)
    text, set_text = solara.use_state("")
    with solara.Column(classes=["yaml-paste"]):
        solara.InputTextArea(
            "...or paste a scenario's YAML", value=text, on_value=set_text, continuous_update=True, rows=5
        )
    solara.Button(
        "Load pasted YAML",
        on_click=lambda: session.load_yaml(text, "pasted YAML"),
        outlined=True,
        disabled=not text.strip(),
        classes=["btn-load-yaml"],
    )
