"""The workshop dashboard: ``abm dashboard`` or ``solara run dashboard/app.py``.

Each browser session gets its own model (:class:`dashboard.session.Session`), played in
a background thread; levers act live from the next week.  Layout: the sidebar holds
the scenario and the levers (:mod:`dashboard.controls`); the main view holds the run
controls, the story, the baseline, the headline cards and tabs of charts and panels
(:mod:`dashboard.panels`).

Mesa's SolaraViz is not used: it rebuilds the model whenever a parameter changes (no
live levers) and redraws a matplotlib figure from a fresh DataFrame at every step,
which thirty sessions on two cores cannot afford.  The charts here are SVG drawn from
the metrics array (:mod:`dashboard.svg`); matplotlib draws only the PNG downloads.
"""

from __future__ import annotations

import os
from html import escape
from urllib.parse import parse_qs

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")  # a workshop tool does not phone home

import solara

from abm.config import ConfigError
from dashboard import charts, controls, facilitator, panels
from dashboard import session as ss
from dashboard.layout import A11Y_CSS, PageSetup, heading
from dashboard.state import MAX_URL_CHARS, URL_PARAM, settings_from_link

TITLE = "ICS workshop: how community health services shape a health system"
TABS = [*charts.TABS, "Flows", "Follow a patient", "Files"]
RUN_CONTROLS_ID = "run-controls"  # the skip link's target: the run controls' heading

# The workshop room (issue 16). On a laptop (1366x768) the sidebar's levers sit beside the charts they move: the
# main column is run controls, a story folded to a line or two, the baseline bar, one row of cards, then two
# charts side by side. Nothing in it changes height as the numbers change (fixed card heights, one-line texts
# that clip rather than wrap). On a phone the sidebar opens over the page, narrower than the screen (the page
# shows beside it: a tap there closes it), with its own close button (Escape closes it too).
LAYOUT_CSS = """
.v-navigation-drawer .sidebar-close { display: none !important; }
.v-navigation-drawer--is-mobile .sidebar-close { display: inline-flex !important; }
.sidebar-top { display: flex; justify-content: flex-end; }
.v-navigation-drawer--is-mobile { min-width: 0 !important; max-width: calc(100vw - 48px) !important;
                                  width: 400px !important; }
.files-export .v-btn { max-width: 100%; height: auto !important; min-height: 36px; padding: 6px 12px !important; }
.files-export .v-btn__content { white-space: normal; text-align: left; flex: 1 1 auto; }  /* long labels wrap */
.btn-play, .btn-pause { min-width: 112px !important; }  /* Play and Pause the same width: Step does not move */
.run-status { font-variant-numeric: tabular-nums; white-space: nowrap; display: inline-block; min-width: 18em; }
.baseline-bar { flex-wrap: nowrap !important; min-width: 0; }
.baseline-bar .baseline-label { flex: 1 1 auto; min-width: 0; white-space: nowrap; overflow: hidden;
                                text-overflow: ellipsis; }
.charts-row > .chart { flex: 1 1 420px; max-width: 760px; min-width: 0; }
.chart-hover { position: fixed; z-index: 20; pointer-events: none; background: white; color: #222;
               border: 1px solid #999; border-radius: 4px; box-shadow: 0 2px 6px rgba(0,0,0,.25); padding: 6px 8px;
               font: 12px/1.45 Roboto, Arial, sans-serif; font-variant-numeric: tabular-nums; max-width: 320px; }
.chart-hover .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
.chart-hover .unit { color: #555; margin-top: 2px; }
.chart-guide { position: fixed; z-index: 19; pointer-events: none; width: 0; border-left: 1px solid #555; }
.solara-autorouter-content > .v-sheet > div:empty { display: none; }  /* Solara's empty portal placeholders */
.main-view { gap: 8px !important; }
.shocks-on { margin: 0; padding: 4px 10px; border-left: 4px solid #B35C00; background: #FFF4E5; font-size: 14px;
             line-height: 1.4; }
.speed-select.v-input { margin-top: 0; padding-top: 12px; }
.speed-select .v-text-field__details { display: none; }
.main-tabs .v-tabs-bar { height: 40px; }
@media (min-width: 960px) and (max-width: 1599px) {
  .v-navigation-drawer:not(.v-navigation-drawer--is-mobile) { min-width: 340px !important; width: 340px !important; }
}
@media (max-width: 700px) { .baseline-bar { flex-wrap: wrap !important; }
                            .baseline-bar .baseline-label { flex-basis: 100%; } }
"""


@solara.component_vue("url_state.vue")
def UrlState(name: str, run: str):
    """Sets the page address's ``name=`` query parameter to ``run`` (removes it when empty), without a reload."""


def link_settings(search: str | None):
    """The settings a page address's ``run=`` parameter asks for (None when it has none); ConfigError if forged."""
    if not search or len(search) > 4 * MAX_URL_CHARS:
        return None
    values = parse_qs(search, max_num_fields=20).get(URL_PARAM)
    return settings_from_link(values[0]) if values else None


@solara.component
def Problems():
    if ss.problems.value:
        # sticky: stays in view at the top of the page even when the problem came from a control further down
        with solara.Column(
            classes=["problems"], style={"position": "sticky", "top": "0", "z-index": "5", "background": "white"}
        ):
            solara.Error("Not applied: " + " | ".join(ss.problems.value), icon=True, dense=True)
            solara.Button("Dismiss", on_click=lambda: ss.problems.set([]), small=True, text=True)


@solara.component
def ShocksOn(shocks: list[str]):
    """The facilitator's shocks on in this session: they act in every run it starts until the facilitator
    withdraws them (dashboard.registry), so the page says so while they are on."""
    if shocks:
        solara.HTML(
            tag="p",
            unsafe_innerHTML="<b>Facilitator's shock on:</b> "
            + escape("; ".join(shocks))
            + ". It stays on when you reset or choose another preset, until the facilitator withdraws it.",
            classes=["shocks-on"],
        )


@solara.component
def TabBar(tab: int, on_tab):
    """The tab titles (their own component, so an update does not rebuild them)."""
    with solara.Column(classes=["main-tabs"]):
        with solara.lab.Tabs(value=tab, on_value=on_tab):
            for title in TABS:
                solara.lab.Tab(title)


@solara.component
def LiveView(session: ss.Session):
    """Everything that changes as the run plays (re-rendered on each update)."""
    version = ss.tick.value  # subscribe to updates; passed down so each panel re-renders
    runner = session.runner
    tab, set_tab = solara.use_state(0)
    with solara.Column(gap="8px", classes=["main-view"]):
        with solara.Column(gap="0px", classes=["run-controls"]):
            heading("Run controls", id=RUN_CONTROLS_ID, classes=["region-heading", "sr-only"])
            panels.RunControls(session, version)
        Problems()
        if runner.model is None:
            solara.Info("Starting the model...")
            return
        UrlState(name=URL_PARAM, run=runner.link())
        ShocksOn(session.shocks_on())
        panels.StoryPanel(session).key(f"story-{runner.run_id}")  # a new run starts at step 1
        panels.BaselineBar(session, panels.baseline_state(runner))
        heading("Headlines", classes=["region-heading", "sr-only"])
        panels.Cards(session, version)
        heading("Charts and details", classes=["region-heading", "sr-only"])
        TabBar(tab, set_tab)
        title = TABS[tab]
        try:  # a failure drawing one panel is shown here; the run and the other panels go on
            if title in charts.TABS:
                panels.ChartTab(session, charts.TABS[title], version)
            elif title == "Flows":
                panels.FlowsTab(session, version)
            elif title == "Follow a patient":
                panels.PatientPanel(session, version)
            else:
                panels.FilesPanel(session, version)
        except Exception as exc:  # noqa: BLE001
            solara.Error(f"This panel could not be drawn: {type(exc).__name__}: {exc}")


def new_session() -> ss.Session:
    """This page's session, listed in the workshop room (the facilitator's page) from the start."""
    session = ss.Session()
    session.join_room()
    return session


@solara.component
def ParticipantPage():
    session = solara.use_memo(new_session, [])
    search = solara.use_router().search  # the address the page was opened with: a link may restore a run

    def lifecycle():
        if session.runner.model is None:
            try:
                settings = link_settings(search)
            except (ConfigError, ValueError) as exc:
                settings = None
                session.show(ConfigError([*getattr(exc, "problems", [str(exc)]), "started the default run instead"]))
            if settings is not None:
                ss.notice.set("Restored the run this page's address holds (its preset, settings and lever changes).")
                if settings.group:
                    session.set_group(settings.group)
            session.reset(settings)
        return session.close  # when the browser session ends: stop its model, drop its baseline, leave the room

    solara.use_effect(lifecycle, [])
    solara.Title("ICS workshop dashboard")
    solara.Style(A11Y_CSS + LAYOUT_CSS)
    PageSetup(
        lang="en",
        target=RUN_CONTROLS_ID,
        skip_text="Skip to run controls",
        sidebar_button="Show or hide the sidebar",
        sidebar_name="Scenario and levers",
        event_narrow=session.set_narrow,
    )
    with solara.AppBar():
        with solara.AppBarTitle():
            heading(TITLE, level=1, classes=["page-title"])
    with solara.Sidebar():
        with solara.Div(classes=["sidebar-top"]):
            solara.Button(
                "Close", icon_name="mdi-close", text=True, small=True, classes=["sidebar-close"]
            )  # on a phone: page_setup.vue closes the sidebar (as its button in the app bar does)
        controls.GroupName(session)
        controls.ScenarioControls(session)
        controls.Levers(session)
        controls.RunSettings(session)
    LiveView(session)


@solara.component
def Layout(children=()):
    """Solara's app layout without the tabs it would add for the two routes: participants see their page only."""
    return solara.AppLayout(children=list(children), navigation=False)


# The participant's page at /, the facilitator's room page at /room (dashboard/facilitator.py).
routes = [
    solara.Route(path="/", component=ParticipantPage, label="Dashboard", layout=Layout),
    solara.Route(path="room", component=facilitator.RoomPage, label="Room"),
]
