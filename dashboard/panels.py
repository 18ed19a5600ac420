"""The main view's panels: run controls, headline cards, the story, the baseline bar, charts,
"follow a patient" and export / load."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import solara

from abm import safe_yaml
from abm.config import ConfigError
from abm.errors import clip
from abm.units import WEEKS_PER_YEAR
from dashboard import charts, flows, png, svg
from dashboard import session as ss
from dashboard.chartspec import format_number
from dashboard.figures import CARDS, card_window, headline, unbedded_demand
from dashboard.noise import BAND_SDS, Band, card_amount, card_bands
from dashboard.state import SPEEDS
from dashboard.words import lever_change, preset_title


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
# Better and worse in a colour-blind-safe pair (blue and orange, each with at least 4.5:1 contrast on white),
# and never by colour alone: each has its icon and its word.
BETTER_COLOUR, WORSE_COLOUR, NEUTRAL_COLOUR = "#0B5CAD", "#B45309", "#444"
ICONS = {"better": "mdi-thumb-up-outline", "worse": "mdi-alert-outline"}
NOISE_ICONS = {
    "within": "mdi-approximately-equal",
    "beyond": "mdi-check-circle-outline",
    "estimating": "mdi-timer-sand",
}


@dataclass(frozen=True)
class Delta:
    """A card's change against the baseline: its text, and whether it is better, worse or neither."""

    text: str  # 'Worse: +3.1' (the cards' note says it is against the baseline)
    verdict: str = ""  # 'better', 'worse' or '' (no change, no baseline, or neither is better)
    title: str = ""  # the longer text on hover: 'Worse: +3.1 vs baseline (admissions per 1,000 people a year)'

    @property
    def colour(self) -> str:
        return {"better": BETTER_COLOUR, "worse": WORSE_COLOUR}.get(self.verdict, NEUTRAL_COLOUR)

    def html(self) -> str:
        icon = self.verdict and f"<i class='v-icon mdi {ICONS[self.verdict]}' aria-hidden='true'></i> "
        return (
            f"<div class='card-delta' style='color:{self.colour}' title='{escape(self.title or self.text)}'>"
            f"{icon}{escape(self.text)}</div>"
        )


def delta_text(value, base, card, missing: str = "baseline computing...") -> Delta:
    """The change in the card's own unit ('Worse: +3.1'; percentage points for a percentage), with its verdict
    in words as well as colour; ``missing`` says why there is no baseline figure."""
    if value is None or base is None:
        return Delta(missing)
    diff = value - base
    amount = f"{diff * 100:+.1f} points" if card.percent else format_number(diff)
    if not card.percent and diff > 0:
        amount = "+" + amount
    if not any(c in "123456789" for c in amount):  # no change, or too small to show at this precision
        return Delta("Same as baseline")
    if card.higher_is_worse is None:
        word, verdict = ("Higher" if diff > 0 else "Lower"), ""
    else:
        verdict = "worse" if (diff > 0) == card.higher_is_worse else "better"
        word = verdict.capitalize()
    return Delta(f"{word}: {amount}", verdict, f"{word}: {amount} vs baseline ({card.units})")


def within_noise_delta(delta: Delta, diff: float, card) -> Delta:
    """A change inside its noise band is said as higher or lower, neither better nor worse (no colour or icon)."""
    amount = delta.text.split(": ", 1)[-1]
    word = "Higher" if diff > 0 else "Lower"
    return Delta(f"{word}: {amount}", "", f"{word}: {amount} vs baseline ({card.units}), within noise")


def noise_explanation(replicates: int) -> str:
    """What the band is, in plain words (the noise line's tooltip)."""
    return (
        f"Noise band: this run's change ± {BAND_SDS} × the spread (standard deviation) of the same change in "
        f"{replicates} other runs with other random seeds, over the same weeks. 'Within noise': the band includes "
        "zero, so chance alone could give a change this large; 'beyond noise': it does not."
    )


def noise_size(half_width: float, card) -> str:
    """The band's half-width, short enough for a narrow card (the change above it gives the unit): '269', '1.7'."""
    return card_amount(half_width, card, signed=False).removesuffix(" points")


def noise_html(card, state: str, band: Band | None) -> str:
    """The card's noise line: 'Within noise (±2.4)', 'Beyond noise (±2.4)', 'Noise: estimating...', or empty
    (no bands, no baseline yet, or the baseline itself). Words and an icon, never colour alone."""
    if state == "off":
        return "<div class='card-noise'></div>"
    if state.startswith("failed"):
        return f"<div class='card-noise' title='{escape(state)}'>Noise: not known</div>"
    if band is not None and band.change == 0 and band.half_width == 0:  # the same run (no lever has acted yet)
        return "<div class='card-noise'></div>"
    if band is None:
        if state != "estimating":
            return "<div class='card-noise'></div>"
        kind, text = "estimating", "Noise: estimating..."
        title = "A few runs with other random seeds are computing in the background to show how large chance is."
    else:
        kind = "within" if band.within_noise else "beyond"
        size = noise_size(band.half_width, card)
        text = f"{'Within' if band.within_noise else 'Beyond'} noise ±{size}"
        title = (
            f"{text}: the change is {card_amount(band.change, card)}, its noise band "
            f"{card_amount(band.low, card)} to {card_amount(band.high, card)}. {noise_explanation(band.replicates)}"
        )
    icon = f"<i class='v-icon mdi {NOISE_ICONS[kind]}' aria-hidden='true'></i> "
    return f"<div class='card-noise' data-noise='{kind}' title='{escape(title)}'>{icon}{escape(text)}</div>"


def baseline_data(runner):
    """The baseline's weekly array (a pinned run's weeks so far, while its full rerun computes), else None."""
    baseline = runner.baseline
    return baseline.data if baseline is not None else None


def card_text(card, value: float | None) -> str:
    """A card's figure as its card shows it: '93.1%', '1,234', '12.3'; '-' before the first week."""
    return "-" if value is None else (f"{value * 100:.1f}%" if card.percent else format_number(value))


def _minus(value: float | None, base: float | None) -> float | None:
    return None if value is None or base is None else value - base


def cards_html(data, base, noise: tuple[str, list] = ("off", [])) -> str:
    """The six headline cards as one block of HTML (one element to update, not thirty). ``noise`` is the
    session's replicate runs (:meth:`dashboard.state.SessionRunner.noise_pairs`): each card's change gets its
    noise band from them."""
    start, stop = card_window(data.shape[0])
    period = f"weeks {start}-{stop - 1}" if stop else "no week yet"
    parts = [
        f"<div class='cards-note'>Last {WEEKS_PER_YEAR} weeks ({period}), against the baseline over the same "
        "weeks.</div><div class='cards'>"
    ]
    short = base is not None and base.shape[0] < stop  # a pinned run whose full rerun has not arrived yet
    values = {card.key: headline(data, card.key, start, stop) for card in CARDS}
    base_values = {
        card.key: headline(base, card.key, start, stop) if base is not None and not short else None for card in CARDS
    }
    changes = {key: _minus(values[key], base_values[key]) for key in values}
    state, pairs = noise
    bands = card_bands(changes, pairs, start, stop) if state == "ready" and stop else {}
    for card in CARDS:
        value, base_value, band = values[card.key], base_values[card.key], bands.get(card.key)
        shown = card_text(card, value)
        delta = delta_text(value, base_value, card) if value is not None else Delta("")
        if band is not None and band.within_noise and ": " in delta.text:  # a change, but no larger than chance
            delta = within_noise_delta(delta, band.change, card)
        units, beds = card.units, ""
        demand = unbedded_demand(data, start, stop) if card.key == "admissions" else None
        if demand is not None:  # a full hospital: fewer admissions are not better
            units = f"Beds full: {format_number(demand)} needed a bed"
            beds = " data-beds='full'"
            if delta.verdict == "better":
                text = delta.text.replace("Better", "Fewer got a bed", 1)
                delta = Delta(text, "", f"{text} vs baseline, because beds were full, not because fewer needed one")
        noise_line = noise_html(card, state if changes[card.key] is not None else "off", band)
        parts.append(
            f"<div class='headline-card card-{card.key}' data-verdict='{delta.verdict}'{beds}>"
            f"<div class='card-title' title='{escape(card.title)}'>{card.title}</div>"
            f"<div class='card-value'>{shown}</div>"
            f"<div class='card-units' title='{escape(units)}'>{escape(units)}</div>{delta.html()}{noise_line}</div>"
        )
    return "".join(parts) + "</div>"


# Fixed heights and one-line texts: a card never changes size as its numbers change (nothing below it jumps).
CARD_CSS = """
.cards-note { font-size: 13px; color: #555; margin-bottom: 6px; white-space: nowrap; overflow: hidden;
              text-overflow: ellipsis; }
.headline-cards { container-type: inline-size; }
.cards { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 8px; }
@container (max-width: 899px) { .cards { grid-template-columns: repeat(3, minmax(0, 1fr)); } }
@container (max-width: 459px) { .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.headline-card { height: 104px; overflow: hidden; padding: 5px 8px; border-radius: 6px; background: white;
                 box-shadow: 0 1px 3px rgba(0,0,0,.25); font-size: 13px; border-left: 5px solid #bbb; }
.headline-card[data-verdict=better] { border-left-color: #0B5CAD; }
.headline-card[data-verdict=worse] { border-left-color: #B45309; }
.headline-card .card-title, .headline-card .card-delta, .headline-card .card-units,
.headline-card .card-noise { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.headline-card .card-title { font-weight: 600; font-size: 13px; }
.headline-card .card-value { font-size: 22px; line-height: 1.25; font-variant-numeric: tabular-nums;
                             white-space: nowrap; }
.headline-card .card-units { color: #555; font-size: 12px; line-height: 15px; height: 15px; }
.headline-card .card-delta { font-size: 12px; line-height: 17px; height: 17px; margin-top: 3px; font-weight: 500; }
.headline-card .card-noise { font-size: 12px; line-height: 17px; height: 17px; color: #333; }
.headline-card .card-noise[data-noise=estimating] { color: #555; font-style: italic; }
.headline-card .card-delta .v-icon, .headline-card .card-noise .v-icon { font-size: 15px; color: inherit;
                                                                         vertical-align: -2px; }
"""


@solara.component
def Cards(session: ss.Session, version: int = 0):
    runner = session.runner
    solara.Style(CARD_CSS)
    LiveHTML(
        session,
        "cards",
        lambda: cards_html(runner.data(), baseline_data(runner), runner.noise_pairs()),
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
    """The pin button, then what the cards and dashed lines compare with (one line: nothing moves when it
    changes)."""
    runner = session.runner
    baseline = runner.baseline
    with solara.Row(style={"align-items": "center"}, gap="8px", classes=["baseline-bar"]):
        solara.Button(
            "Pin as baseline",
            icon_name="mdi-pin",
            on_click=session.pin,
            outlined=True,
            small=True,
            disabled=not runner.warm() or runner.weeks == 0,
            classes=["btn-pin"],
        )
        if baseline is None:
            label = "none"
        elif baseline.error:
            label = baseline.error
        else:
            label = baseline.label + ("" if baseline.ready else " (computing in the background...)")
        solara.HTML(
            tag="span",
            unsafe_innerHTML=escape(f"Baseline: {label}"),
            classes=["baseline-label"],
            attributes={"title": f"Baseline: {label}"},
            style={"font-size": "13px"},
        )
    if ss.notice.value:
        solara.Text(ss.notice.value, style={"font-size": "12px", "color": "#0B5CAD"}, classes=["notice"])


# --------------------------------------------------------------------------- story
STORY_CSS = """
.story { padding: 6px 12px; border-radius: 6px; background: white; box-shadow: 0 1px 3px rgba(0,0,0,.25); }
.story .story-line { display: grid; grid-template-columns: auto minmax(0, 1fr) auto; column-gap: 10px;
                     align-items: baseline; grid-template-areas: "title step toggle"; }
.story .story-title { grid-area: title; white-space: nowrap; }
.story .story-step { grid-area: step; min-width: 0; }
.story .story-toggle { grid-area: toggle; }
.story.folded .story-step { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
@media (max-width: 700px) {
  .story .story-line { grid-template-columns: minmax(0, 1fr) auto; grid-template-areas: "title toggle" "step step"; }
}
.story .story-buttons { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-top: 4px; }
.story .story-details p { margin: 4px 0; font-size: 14px; }
"""


@solara.component
def StoryPanel(session: ss.Session):
    """A teaching preset's narrative: its current step with buttons to move on, and (behind a button) what to
    try, what to watch and the evidence. The whole panel folds to one line."""
    runner = session.runner
    scenario = runner.scenario
    story = scenario.story if scenario is not None else None
    step, set_step = solara.use_state(0)
    unfolded, set_unfolded = solara.use_state(True)
    details, set_details = solara.use_state(False)
    if (
        scenario is None
        or story is None
        or not any([story.what_to_try, story.what_to_watch, story.evidence, story.steps])
    ):
        return
    solara.Style(STORY_CSS)
    i = min(step, len(story.steps) - 1) if story.steps else 0
    current = story.steps[i] if story.steps else None
    if current is not None:
        line = f"<b>Step {i + 1} of {len(story.steps)} (year {current.year}).</b> {escape(current.text)}"
    else:
        line = escape(story.what_to_try or story.what_to_watch or story.evidence)
    with solara.Div(classes=["story", "unfolded" if unfolded else "folded"]):
        with solara.Div(classes=["story-line"]):
            html(f"<b>Story: {escape(preset_title(scenario.name))}</b>", classes=["story-title"])
            html(line, classes=["story-step"])
            solara.Button(
                "Fold story" if unfolded else "Unfold story",
                icon_name="mdi-chevron-up" if unfolded else "mdi-chevron-down",
                on_click=lambda: set_unfolded(not unfolded),
                text=True,
                small=True,
                classes=["story-toggle"],
                attributes={"aria-expanded": "true" if unfolded else "false"},
            )
        if not unfolded:
            return
        with solara.Div(classes=["story-buttons"]):
            if current is not None:
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
            solara.Button(
                "What to try, what to watch, the evidence",
                icon_name="mdi-chevron-up" if details else "mdi-chevron-down",
                on_click=lambda: set_details(not details),
                small=True,
                text=True,
                classes=["story-details-toggle"],
                attributes={"aria-expanded": "true" if details else "false"},
            )
        if details:
            with solara.Column(gap="0px", classes=["story-details"]):
                for heading, text in (
                    ("What to try", story.what_to_try),
                    ("What to watch", story.what_to_watch),
                    ("What the evidence says", story.evidence),
                ):
                    if text:
                        html(f"<p><b>{heading}.</b> {escape(text)}</p>")


# --------------------------------------------------------------------------- charts
@solara.component
def Chart(session: ss.Session, make_spec, version: int = 0):
    """One chart (SVG, kept live) with its PNG download (of the chart as it is when clicked)."""
    spec = make_spec()
    latest = solara.use_ref(make_spec)
    latest.current = make_spec
    # one function for the component's life: a new one at each render would cancel a download in progress
    download = solara.use_memo(lambda: lambda: png.render(latest.current()), [])
    with solara.Column(gap="0px", classes=["chart"]):
        LiveHTML(
            session,
            f"chart-{spec.key}",
            lambda: svg.render(make_spec(), narrow=session.narrow),
            classes=[f"chart-{spec.key}"],
            version=version,
        )
        solara.FileDownload(  # a short button (the chart's title is in its name for screen readers)
            download,
            filename=f"{spec.key}.png",
            mime_type="image/png",
            children=[
                solara.Button(
                    "Download PNG",
                    icon_name="mdi-download",
                    text=True,
                    small=True,
                    classes=["btn-png"],
                    attributes={"aria-label": f"Download PNG of '{spec.title}'"},
                )
            ],
        )


@solara.component
def ChartTab(session: ss.Session, builders, version: int = 0):
    runner = session.runner
    hide_hidden, set_hide_hidden = solara.use_state(False)

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

    with solara.Row(style={"flex-wrap": "wrap"}, gap="12px", classes=["charts-row"]):
        for builder in builders:
            Chart(session, maker(builder), version).key(builder.__name__)
    if charts.unmet_need in builders:  # under the charts, so they start as high on the page as they can
        solara.Checkbox(
            label="Hide hidden need (never sought care) to see the other kinds",
            value=hide_hidden,
            on_value=set_hide_hidden,
        )
    LiveHTML(session, "markers", lambda: markers_html(runner.markers()), classes=["marker-list"], version=version)


def markers_html(changes) -> str:
    if not changes:
        return (
            "<span style='font-size:12px;color:#555'>No lever change yet: move a lever during play and a "
            "numbered red line marks the week on every time chart.</span>"
        )
    items = "".join(
        f"<li>{i}. week {w} (year {w // WEEKS_PER_YEAR}, week {w % WEEKS_PER_YEAR + 1}): "
        + "; ".join(escape(lever_change(n, v)) for n, v in group)
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
    with solara.Row(gap="8px", style={"flex-wrap": "wrap"}, classes=["files-export"]):
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
            label="This run (scenario YAML, with its lever changes)",
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
