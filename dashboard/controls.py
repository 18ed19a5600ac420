"""The sidebar: scenario chooser, run settings and the levers (built from ``policies.levers.lever_table()``).

Levers are grouped under ``policies.levers.GROUPS``; each shows its units and range,
and a tooltip with what it models and the evidence behind it.  A lever added to
``policies/levers.py`` appears here with no change to this module.
"""

from __future__ import annotations

import solara

from abm.config import ConfigError
from dashboard import session as ss
from dashboard.state import Settings, preset_choices
from policies.levers import GROUPS, lever_table


def lever_label(row: dict) -> str:
    """A readable name: 'acute_beds_multiplier' -> 'Acute beds multiplier'."""
    words = row["name"].replace("_pct", " %").replace("chs", "CHS").replace("addon", "add-on").split("_")
    text = " ".join(words)
    return text[0].upper() + text[1:]


def lever_range(row: dict) -> str:
    """'0.3 to 3.0 x default (default 1.0)' / 'new / redeploy (default new)'."""
    if row["choices"]:
        allowed = " / ".join(str(c) for c in row["choices"])
    elif row["lo"] is not None:
        allowed = f"{row['lo']:g} to {row['hi']:g} {row['units']}"
    else:
        allowed = row["units"]
    return f"{allowed} (default {row['default']})"


def lever_tooltip(row: dict) -> str:
    return f"{row['doc']}\n\nEvidence: {row['source']}\n\nAllowed: {row['allowed']}."


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


@solara.component
def Lever(row: dict, value, on_value, disabled: bool):
    """One lever: a switch, a choice or a slider, labelled with units and range, with an evidence tooltip."""
    name = row["name"]
    label = lever_label(row)
    with solara.Column(gap="0px", classes=["lever"], style={"margin-bottom": "6px"}):
        with solara.Row(gap="4px", style={"align-items": "center"}):
            with solara.Tooltip(lever_tooltip(row), color="#333"):
                with solara.Row(gap="2px", style={"align-items": "center", "cursor": "help"}, classes=["lever-name"]):
                    solara.Text(label, style={"font-weight": "500", "font-size": "14px"})
                    solara.v.Icon(children=["mdi-information-outline"], small=True)
        with solara.Column(gap="0px", classes=[f"lever-{name}"]):
            if isinstance(row["default"], bool):
                solara.Switch(label="on" if value else "off", value=bool(value), on_value=on_value, disabled=disabled)
            elif row["choices"]:
                solara.Select(
                    label=row["units"], values=list(row["choices"]), value=value, on_value=on_value, disabled=disabled
                )
            elif isinstance(row["default"], int):
                LeverSlider(label, int(value), int(row["lo"]), int(row["hi"]), 1, on_value, disabled, integer=True)
            else:
                LeverSlider(
                    label, float(value), float(row["lo"]), float(row["hi"]), slider_step(row), on_value, disabled
                )
            solara.Text(
                f"now {value} · {lever_range(row)}",
                style={"font-size": "12px", "color": "#555"},
                classes=["lever-value"],
            )


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
        "white-space: pre-line; }"
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
        presets=[{"name": n, "description": d} for n, d in presets],
        event_choose=choose,
    )
    description = dict(presets).get(settings.source) or settings.scenario.get("description", "")
    solara.Text(
        f"{settings.source}: {description}" if description else settings.source,
        style={"font-size": "13px", "color": "#444"},
        classes=["preset-description"],
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
                "Population (people; 10,000 keeps 30 sessions fluid)",
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
