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

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")  # a workshop tool does not phone home

import solara

from dashboard import charts, controls, panels
from dashboard import session as ss

TITLE = "ICS workshop: how community health services shape a health system"
TABS = [*charts.TABS, "Flows", "Follow a patient", "Files"]


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
    panels.RunControls(session, version)
    Problems()
    if runner.model is None:
        solara.Info("Starting the model...")
        return
    panels.StoryPanel(session).key(f"story-{runner.run_id}")  # a new run starts at step 1
    panels.BaselineBar(session, panels.baseline_state(runner))
    panels.Cards(session, version)
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


@solara.component
def Page():
    session = solara.use_memo(ss.Session, [])

    def lifecycle():
        if session.runner.model is None:
            session.reset()
        return session.close  # when the browser session ends, stop its model and drop its waiting baseline

    solara.use_effect(lifecycle, [])
    solara.Title("ICS workshop dashboard")
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        controls.ScenarioControls(session)
        controls.Levers(session)
    LiveView(session)
