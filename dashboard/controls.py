"""The sidebar: scenario chooser, the levers (built from ``policies.levers.lever_table()``) and run settings.

Levers are grouped under ``policies.levers.GROUPS``; each shows its units and range,
and a tooltip with what it models and the evidence behind it.  A lever added to
``policies/levers.py`` appears here with no change to this module.
"""

from __future__ import annotations

from html import escape

import solara

from abm.config import ConfigError
from dashboard import session as ss
from dashboard.limits import DEFAULT_POPULATION
from dashboard.state import Settings, preset_choices
from dashboard.words import lever_label, lever_range, lever_tooltip, lever_value, preset_title
from policies.levers import GROUPS, lever_table


def slider_step(row: dict) -> float:
    span = float(row["hi"]) - float(row["lo"])
    return 0.05 if span <= 5 else (0.5 if span <= 50 else 1.0)


@solara.component
def LeverSlider(label: str, value, lo: float, hi: float, step: float, on_value, disabled: bool, integer: bool = False):
    """A slider that commits once, on release (Vuetify's ``change``), not at every step of a drag
    (``input``, which solara.SliderFloat forwards): one move, one lever change, one marker.  The keyboard
    (arrows, Home, End) commits at each key press, as Vuetify emits ``change`` then.  Its accessible name
    is the lever's plain name."""
    slider = solara.v.Slider(
        v_model=value,
        min=lo,
        max=hi,
        step=step,
        thumb_label=True,
        hide_details=True,
        disabled=disabled,
        attributes={"aria-label": label},
    )

    def commit(_widget, _event, data):
        if data is not None:
            on_value(int(data) if integer else float(data))

    solara.v.use_event(slider, "change", commit)
    return slider


LEVER_CSS = """
.lever { margin-bottom: 8px; }
.lever .lever-head { display: flex; align-items: center; gap: 6px; }
.lever .lever-name { font-weight: 500; font-size: 14px; cursor: help; border-radius: 3px; }
.lever .lever-name .v-icon { font-size: 16px; vertical-align: -2px; }
.lever .lever-value { margin-left: auto; font-weight: 600; font-size: 14px; white-space: nowrap;
                      font-variant-numeric: tabular-nums; }
.lever .lever-range { font-size: 12px; color: #555; line-height: 1.3; }
.lever .v-input--switch, .lever .v-select { margin-top: 0; padding-top: 0; }
.lever .v-input--switch .v-label { font-size: 14px; }
.lever .v-slider--horizontal { margin-left: 0; margin-right: 0; }
.v-navigation-drawer .v-expansion-panel-content__wrap { padding: 0 14px 8px 14px; }
.lever .v-input__slot { margin-bottom: 0; }
"""


@solara.component
def Lever(row: dict, value, on_value, disabled: bool):
    """One lever: its name (with what it does, on hover or focus) and its value in words; a switch, a choice or
    a slider; then what it may be."""
    name = row["name"]
    label = lever_label(row)
    with solara.Column(gap="0px", classes=["lever", f"lever-{name}"]):
        with solara.Div(classes=["lever-head"]):
            with solara.Tooltip(lever_tooltip(row), color="#333"):
                solara.v.Html(
                    tag="span",
                    class_="lever-name",
                    attributes={"tabindex": "0"},
                    children=[label + " ", solara.v.Icon(children=["mdi-information-outline"], small=True)],
                )
            if not row["choices"] and not isinstance(row["default"], bool):  # a switch and a choice show theirs
                solara.HTML(tag="span", unsafe_innerHTML=escape(lever_value(row, value)), classes=["lever-value"])
        if isinstance(row["default"], bool):
            solara.v.Switch(
                v_model=bool(value),
                on_v_model=lambda v: on_value(bool(v)),
                label="on" if value else "off",
                disabled=disabled,
                hide_details=True,
                dense=True,
                attributes={"aria-label": label},
            )
        elif row["choices"]:
            solara.v.Select(
                v_model=value,
                on_v_model=on_value,
                items=list(row["choices"]),
                disabled=disabled,
                hide_details=True,
                dense=True,
                attributes={"aria-label": label},
                class_="lever-choice",
            )
        elif isinstance(row["default"], int):
            LeverSlider(label, int(value), int(row["lo"]), int(row["hi"]), 1, on_value, disabled, integer=True)
        else:
            LeverSlider(label, float(value), float(row["lo"]), float(row["hi"]), slider_step(row), on_value, disabled)
        solara.HTML(tag="div", unsafe_innerHTML=escape(lever_range(row)), classes=["lever-range"])


@solara.component
def Levers(session: ss.Session):
    """Every lever, in expandable groups; moving one applies it from the next week."""
    ss.levers_tick.value  # re-render when levers change other than by these controls  # noqa: B018
    runner = session.runner
    disabled = not runner.warm() or bool(ss.busy.value)
    values = runner.lever_values() if runner.model is not None else {}
    rows = lever_table()
    solara.Style(
        ".v-tooltip__content { max-width: 440px !important; font-size: 13px !important; line-height: 1.4; "
        "white-space: pre-line; }" + LEVER_CSS
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML="<h2>Levers</h2><p style='font-size:13px;margin-bottom:8px'>Moved during play, a lever "
        "acts from the <b>next week</b>; a numbered line marks the week on the charts. Hover or focus a "
        "lever's name for what it does.</p>",
    )
    for group in GROUPS:
        group_rows = [r for r in rows if r["group"] == group]
        if not group_rows:
            continue
        with solara.Details(summary=f"{group.capitalize()} ({len(group_rows)})", expand=group == GROUPS[0]):
            for row in group_rows:
                Lever(
                    row,
                    values.get(row["name"], row["default"]),
                    on_value=lambda v, n=row["name"]: session.set_lever(n, v),
                    disabled=disabled,
                )
    others = [r for r in rows if r["group"] not in GROUPS]
    if others:
        with solara.Details(summary=f"Other ({len(others)})"):
            for row in others:
                Lever(
                    row,
                    values.get(row["name"], row["default"]),
                    on_value=lambda v, n=row["name"]: session.set_lever(n, v),
                    disabled=disabled,
                )


def limits_text(limits) -> str:
    """The per-session limits, under the run settings (the server refuses anything over them)."""
    return (
        f"Allowed in this workshop: {limits.allowed('population')} people, {limits.allowed('years')} years, "
        f"a burn-in of at most {limits.burn_in_weeks} weeks (the facilitator's limits)."
    )


@solara.component_vue("preset_select.vue")
def PresetSelect(label: str, value, presets: list, event_choose):
    """A preset chooser whose list shows each preset's one-line description under its name."""


@solara.component
def ScenarioControls(session: ss.Session):
    """The preset chooser (with descriptions); choosing one resets the run with the current run settings."""
    ss.levers_tick.value  # noqa: B018 - refresh after a reset or upload
    settings = session.runner.settings
    presets = preset_choices()
    names = [n for n, _ in presets]

    def choose(name):  # whatever a browser sends: a name from the list, or a message (never a path)
        try:
            chosen = Settings.from_preset(
                name, population=settings.population, years=settings.years, seed=settings.seed
            )
        except ConfigError as exc:
            session.show(exc)
            return
        session.reset(chosen)

    solara.HTML(tag="h2", unsafe_innerHTML="Scenario")
    current = settings.source if settings.source in names else None
    PresetSelect(
        label="Preset (choosing one resets the run)",
        value=current,
        presets=[{"name": n, "title": preset_title(n), "description": d} for n, d in presets],
        event_choose=choose,
    )
    description = dict(presets).get(settings.source) or settings.scenario.get("description", "")
    solara.Text(
        f"{preset_title(settings.source)}: {description}" if description else preset_title(settings.source),
        style={"font-size": "13px", "color": "#444"},
        classes=["preset-description"],
    )


@solara.component
def GroupName(session: ss.Session):
    """The group's name, as the facilitator's room page lists this run (committed on Enter or leaving the field)."""
    ss.levers_tick.value  # noqa: B018 - refresh after a reset (a link restores the name)
    group = session.runner.group
    name, set_name = solara.use_state(group)
    solara.use_effect(lambda: set_name(group), [group])
    if session.room_id is None:  # the room is full: this session is not listed
        return

    def commit(text):
        set_name(text)
        session.set_group(text)

    solara.InputText(
        "Your group's name",
        value=name,
        on_value=commit,
        continuous_update=False,
        classes=["input-group"],
    )


@solara.component
def RunSettings(session: ss.Session):
    """Population, horizon and seed, folded at the foot of the sidebar (the levers come first); applying them
    resets the run."""
    ss.levers_tick.value  # noqa: B018 - refresh after a reset or upload
    settings = session.runner.settings
    population, set_population = solara.use_state(settings.population)
    years, set_years = solara.use_state(settings.years)
    seed, set_seed = solara.use_state(settings.seed)

    def show_new_run():  # after a reset or an upload, show the settings the run was built with
        set_population(settings.population)
        set_years(settings.years)
        set_seed(settings.seed)

    solara.use_effect(show_new_run, [session.runner.run_id])

    def apply():
        session.reset(
            Settings(source=settings.source, scenario=settings.scenario, population=population, years=years, seed=seed)
        )

    summary = f"Run settings: {settings.population:,} people, {settings.years} years, seed {settings.seed}"
    with solara.Details(summary=summary):
        with solara.Column(gap="0px", classes=["run-settings"]):
            solara.InputInt(
                f"Population (people; {DEFAULT_POPULATION:,} keeps 30 sessions fluid)",
                value=population,
                on_value=set_population,
                continuous_update=True,
                classes=["input-population"],
            )
            solara.InputInt(
                "Horizon (reporting years)",
                value=years,
                on_value=set_years,
                continuous_update=True,
                classes=["input-years"],
            )
            solara.InputInt(
                "Seed (same seed, same run)",
                value=seed,
                on_value=set_seed,
                continuous_update=True,
                classes=["input-seed"],
            )
            solara.Text(
                limits_text(session.runner.limits), style={"font-size": "12px", "color": "#555"}, classes=["run-limits"]
            )
            solara.Button(
                "Apply and reset",
                on_click=apply,
                color="primary",
                outlined=True,
                classes=["apply-reset"],
                disabled=bool(ss.busy.value),
            )
