"""The facilitator's page, ``/room`` (issue 16): every group's run as a row, live; two groups' charts overlaid for
the projector; a shock pushed to every group (or chosen ones) from a given week; a presenter mode with large text.

It reads what the sessions hold (:mod:`dashboard.registry`) every :data:`REFRESH_SECONDS` and steps no model.
Behind the room code like every page, and behind the facilitator code when there is one
(:func:`dashboard.room.is_facilitator`, checked here as well as by the server).
"""

from __future__ import annotations

import threading
from html import escape
from typing import cast

import solara
from solara.lab.utils.cookies import cookies as browser_cookies

from abm.config import ConfigError
from abm.units import WEEKS_PER_YEAR
from dashboard import room, svg
from dashboard.chartspec import PALETTE, ChartSpec, Marker, Series
from dashboard.figures import CARDS, per_1000, rate_per_1000_year, rolling_mean
from dashboard.layout import A11Y_CSS, PageSetup, heading
from dashboard.panels import card_text
from dashboard.registry import ROOM, SHOCKS, Row, sort_rows
from dashboard.words import lever_change, preset_title

TITLE = "Workshop room: every group's run"
REFRESH_SECONDS = 2.0
TABLE_ID = "room-groups"
SHOWN_CHANGES = 6  # lever changes listed in a row (the latest; the rest are counted)
SORTS = {"Group name": "group", "Weeks played": "week", **{card.title: card.key for card in CARDS}}
ALL = "Every group"

ROOM_CSS = """
.room-page { max-width: 1800px; }
.room-page h2.region-heading { font-size: 18px; margin-top: 10px; }
.room-controls { display: flex; flex-wrap: wrap; gap: 4px 20px; align-items: center; }
.room-controls .v-input { flex: 0 1 220px; }
.room-table-wrap { overflow-x: auto; }
table.room-table { border-collapse: collapse; font-size: 14px; width: 100%; font-variant-numeric: tabular-nums; }
.room-table th, .room-table td { padding: 6px 10px; border-bottom: 1px solid #ddd; text-align: left;
                                 vertical-align: top; }
.room-table th { background: #f2f4f7; font-weight: 600; }
.room-table th .units { display: block; font-weight: 400; font-size: 12px; color: #555; }
.room-table td.number { text-align: right; white-space: nowrap; }
.room-table th.number { text-align: right; min-width: 5em; max-width: 10em; }
.room-table td.changes { min-width: 15em; }
.room-table td.preset { min-width: 8em; }
.room-table thead th:first-child, .room-table tbody th.group { position: sticky; left: 0; z-index: 1; }
.v-select__selections input:focus-visible { outline: none !important; }  /* the select shows its own focus */
.room-table th[aria-sort] { background: #dfe7f1; }
.room-table ul { margin: 0; padding-left: 0; list-style: none; font-size: 13px; }
.room-table .to-come { color: #555; font-style: italic; }
.room-table tbody th.group { font-weight: 600; background: white; }
.room-table .meta { font-size: 12px; color: #555; }
.overlay-row { display: flex; flex-wrap: wrap; gap: 12px; }
.overlay-row > .chart { flex: 1 1 420px; max-width: 860px; min-width: 0; }
.shock-form { display: flex; flex-wrap: wrap; gap: 4px 20px; align-items: center; }
.shock-form .v-input { flex: 0 1 240px; }
.shock-result { font-size: 14px; }
.room-page.presenter { font-size: 20px; }
.room-page.presenter h2.region-heading { font-size: 28px; }
.room-page.presenter table.room-table { font-size: 21px; }
.room-page.presenter .room-table td.changes { min-width: 9em; }
.room-page.presenter .room-table td.preset { min-width: 5em; }
.room-page.presenter .room-table th .units, .room-page.presenter .room-table .meta,
.room-page.presenter .room-table ul { font-size: 18px; }
.room-page.presenter .room-note { font-size: 18px; }
@media (max-width: 700px) {
  .room-table th, .room-table td { padding: 4px 6px; }
  /* a card's title and units on about four lines, not eight: the table scrolls */
  .room-table th.number { min-width: 10em; }
}
"""


def use_refresh(seconds: float) -> int:
    """A number that goes up every ``seconds`` while the page is open (its thread ends with the page)."""
    count, set_count = solara.use_state(0)

    def start():
        stop = threading.Event()

        def loop():
            while not stop.wait(seconds):
                set_count(lambda n: n + 1)

        threading.Thread(target=loop, daemon=True, name="abm-room-refresh").start()
        return stop.set

    solara.use_effect(start, [])
    return count


def label(row: Row) -> str:
    """A group as the choosers list it (the session number keeps two groups of the same name apart)."""
    return f"{row.group} (session {row.id})"


def changes_html(row: Row) -> str:
    """The levers a group moved, with their weeks, latest last; those still to come marked so."""
    if not row.changes:
        return "<span class='meta'>none yet</span>"
    shown = row.changes[-SHOWN_CHANGES:]
    more = len(row.changes) - len(shown)
    items = "".join(
        f"<li{' class=to-come' if w > row.week else ''}>week {w}: {escape(lever_change(n, v))}"
        f"{' (to come)' if w > row.week else ''}</li>"
        for w, n, v in shown
    )
    earlier = f"<li class='meta'>and {more} earlier</li>" if more else ""
    return f"<ul>{earlier}{items}</ul>"


def table_html(rows: list[Row], sorted_by: str, descending: bool = False) -> str:
    """The groups as one table: who, what they run, the weeks played, the levers moved and the six headlines
    (the figures their own cards show: the last 52 weeks)."""
    order = "descending" if descending else "ascending"

    def head(text: str, key: str, units: str = "", number: bool = False) -> str:
        sort = f" aria-sort='{order}'" if key == sorted_by else ""
        classes = " class='number'" if number else ""
        units_html = f"<span class='units'>{escape(units)}</span>" if units else ""
        return f"<th scope='col'{classes}{sort}>{escape(text)}{units_html}</th>"

    header = (
        head("Group", "group")
        + head("Preset", "")
        + head("Week", "week", "played", number=True)
        + head("Levers moved", "", "from week")
        + "".join(head(card.title, card.key, card.units, number=True) for card in CARDS)
    )
    body = []
    for row in rows:
        if row.starting:
            cells = f"<td colspan='{3 + len(CARDS)}' class='meta'>starting its model...</td>"
        else:
            figures = "".join(f"<td class='number'>{card_text(card, row.headlines[card.key])}</td>" for card in CARDS)
            cells = (
                f"<td class='preset'>{escape(preset_title(row.preset))}<div class='meta'>seed {row.seed}, "
                f"{row.population:,} people, {row.years} years</div></td>"
                f"<td class='number'>{row.week}<div class='meta'>year {max(row.week - 1, 0) // WEEKS_PER_YEAR}"
                f"</div></td><td class='changes'>{changes_html(row)}</td>{figures}"
            )
        body.append(f"<tr data-session='{row.id}'><th scope='row' class='group'>{escape(row.group)}</th>{cells}</tr>")
    if not rows:
        body.append(f"<tr><td colspan='{4 + len(CARDS)}'>No group has opened the dashboard yet.</td></tr>")
    return (
        "<div class='room-table-wrap'><table class='room-table'><caption class='sr-only'>Every group's run, one row "
        f"each</caption><thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def overlay_markers(runs) -> list[Marker]:
    """One marker a week for both groups' lever changes, each named with its group."""
    weeks: dict[int, list[str]] = {}
    for name, _, _, changes in runs:
        for w, lever, value in changes:
            weeks.setdefault(int(w), []).append(f"{name}: {lever_change(lever, value)}")
    return [
        Marker(w, f"week {w} (year {w // WEEKS_PER_YEAR}): " + "; ".join(said)) for w, said in sorted(weeks.items())
    ]


def overlay_specs(runs) -> list[ChartSpec]:
    """Emergency admissions and delayed discharges of two groups on the same axes (the second dashed, so the
    lines differ by more than colour); ``runs`` is [(group, ICS weeks, horizon, lever changes), ...]."""
    horizon = max((h for _, _, h, _ in runs), default=WEEKS_PER_YEAR)
    markers = overlay_markers(runs)
    measures = (
        (
            "overlay_admissions",
            "Emergency admissions: two groups",
            "admissions per 1,000 people a year",
            lambda d: rate_per_1000_year(d, "emergency_admissions"),
            "13-week rolling mean",
        ),
        (
            "overlay_delayed",
            "Delayed discharges: two groups",
            "bed-days per 1,000 people a week",
            lambda d: rolling_mean(per_1000(d, "delayed_discharge_bed_days"), 4),
            "4-week rolling mean",
        ),
    )
    return [
        ChartSpec(
            key,
            title,
            units,
            [Series(name, measure(data), PALETTE[i], dashed=i == 1) for i, (name, data, _, _) in enumerate(runs)],
            horizon,
            markers,
            note=note,
        )
        for key, title, units, measure, note in measures
    ]


@solara.component
def GroupsTable(rows: list[Row], sort_title: str, descending: bool):
    key = SORTS[sort_title]
    solara.HTML(
        tag="div",
        unsafe_innerHTML=table_html(sort_rows(rows, key, descending), key, descending),
        classes=["room-groups"],
    )


@solara.component
def Overlay(rows: list[Row], refresh: int, narrow: bool = False):
    """Two groups chosen by the facilitator, their charts overlaid (``refresh`` redraws them as the groups play;
    ``narrow``: drawn for a phone)."""
    choices = [label(r) for r in rows if not r.starting]
    first, set_first = solara.use_state(cast(str | None, None))
    second, set_second = solara.use_state(cast(str | None, None))
    with solara.Div(classes=["room-controls"]):
        solara.Select(
            "First group (solid line)", values=choices, value=first, on_value=set_first, classes=["overlay-first"]
        )
        solara.Select(
            "Second group (dashed line)", values=choices, value=second, on_value=set_second, classes=["overlay-second"]
        )
    picked = [r for r in rows if label(r) in (first, second) and not r.starting]
    picked.sort(key=lambda r: 0 if label(r) == first else 1)
    if len(picked) < 2:
        solara.HTML(tag="p", unsafe_innerHTML="Choose two groups to see their charts together.", classes=["room-note"])
        return
    same_name = picked[0].group == picked[1].group
    runs = []
    for row in picked:
        try:
            data, horizon, changes = ROOM.weekly(row.id)
        except ConfigError:  # the group closed its page since the last refresh
            continue
        runs.append((label(row) if same_name else row.group, data, horizon, changes))
    with solara.Div(classes=["overlay-row"]):
        for spec in overlay_specs(runs):
            with solara.Div(classes=["chart"]):
                solara.HTML(tag="div", unsafe_innerHTML=svg.render(spec, narrow=narrow), classes=[f"chart-{spec.key}"])


@solara.component
def ShockForm(choices: list[str]):
    """Push a shock from the menu to every group or the chosen ones, from a given week."""
    titles = {shock.title: key for key, shock in SHOCKS.items()}
    title, set_title = solara.use_state(next(iter(titles)))
    week, set_week = solara.use_state(WEEKS_PER_YEAR // 2)
    everyone, set_everyone = solara.use_state(True)
    chosen, set_chosen = solara.use_state(cast(list[str], []))
    outcome, set_outcome = solara.use_state(("", ""))  # (what happened, problems)

    def targets() -> list[str] | None:
        return None if everyone else [c.rsplit("(session ", 1)[-1].rstrip(")") for c in chosen if c in choices]

    def push():
        ids = targets()
        if ids == []:
            set_outcome(("", "Choose at least one group, or push to every group."))
            return
        try:
            result = ROOM.push_shock(titles.get(title), week, ids)
        except ConfigError as exc:
            set_outcome(("", "; ".join(exc.problems)))
            return
        done = ", ".join(f"{group} (from week {w})" for group, w in result.scheduled) or "no group"
        set_outcome((f"Scheduled '{title}' in {len(result.scheduled)} group(s): {done}.", "; ".join(result.problems)))

    def withdraw():
        ids = targets()
        if ids == []:
            set_outcome(("", "Choose at least one group, or withdraw from every group."))
            return
        try:
            groups = ROOM.withdraw_shock(titles.get(title), ids)
        except ConfigError as exc:
            set_outcome(("", "; ".join(exc.problems)))
            return
        where = f"{len(groups)} group(s): {', '.join(groups)}" if groups else "no group (it was on in none)"
        set_outcome((f"Withdrew '{title}' from {where}.", ""))

    shock = SHOCKS[titles[title]]
    with solara.Div(classes=["shock-form"]):
        solara.Select("Shock", values=list(titles), value=title, on_value=set_title, classes=["shock-select"])
        solara.InputInt("From week (0 is the first week)", value=week, on_value=set_week, classes=["shock-week"])
        solara.Checkbox(label=ALL, value=everyone, on_value=set_everyone)
        if not everyone:
            solara.SelectMultiple(
                "Groups", all_values=choices, values=chosen, on_value=set_chosen, classes=["shock-groups"]
            )
        solara.Button("Push the shock", icon_name="mdi-flash", color="primary", on_click=push, classes=["btn-push"])
        solara.Button("Withdraw it", icon_name="mdi-undo", outlined=True, on_click=withdraw, classes=["btn-withdraw"])
    solara.HTML(
        tag="p",
        unsafe_innerHTML=f"{escape(shock.description)} <span class='meta'>Evidence: {escape(shock.evidence)}.</span>",
        classes=["room-note"],
    )
    on = ROOM.room_shocks()
    solara.HTML(
        tag="p",
        unsafe_innerHTML="<b>On now</b> (in every run the group starts, until withdrawn): "
        + (escape("; ".join(on)) if on else "no shock."),
        classes=["room-note", "shocks-on-now"],
    )
    done, problems = outcome
    with solara.Div(attributes={"role": "status", "aria-live": "polite"}, classes=["shock-result"]):
        if done:
            solara.Success(done, dense=True)
        if problems:
            solara.Warning(f"Not scheduled: {problems}", dense=True)


@solara.component
def RoomPage():
    solara.Title("Workshop room: ICS workshop dashboard")
    solara.Style(A11Y_CSS + ROOM_CSS)
    narrow, set_narrow = solara.use_state(False)
    PageSetup(
        lang="en",
        target=TABLE_ID,
        skip_text="Skip to the groups",
        sidebar_button="",
        sidebar_name="",
        event_narrow=lambda value: set_narrow(value is True),
    )
    with solara.AppBar():
        with solara.AppBarTitle():
            heading(TITLE, level=1, classes=["page-title"])
    if not room.is_facilitator(browser_cookies.value):
        heading("Facilitator code needed")
        solara.HTML(
            tag="p",
            unsafe_innerHTML="This page is for the workshop's facilitator. Open the facilitator's link that "
            "<code>abm dashboard</code> printed when it started.",
        )
        return
    RoomView(narrow)


@solara.component
def RoomView(narrow: bool = False):
    """The room, for the facilitator: the groups' table, two groups compared (``narrow``: charts drawn for a
    phone), the shock form."""
    refresh = use_refresh(REFRESH_SECONDS)
    presenter, set_presenter = solara.use_state(False)
    sort_title, set_sort_title = solara.use_state("Group name")
    descending, set_descending = solara.use_state(False)
    rows = ROOM.rows()
    with solara.Column(gap="6px", classes=["room-page", "presenter" if presenter else "plain"]):
        with solara.Div(classes=["room-controls"]):
            solara.Switch(
                label="Presenter mode (large text for the projector)",
                value=presenter,
                on_value=set_presenter,
                classes=["presenter-switch"],
            )
            solara.Select(
                "Sort by", values=list(SORTS), value=sort_title, on_value=set_sort_title, classes=["sort-select"]
            )
            solara.Checkbox(label="Highest first", value=descending, on_value=set_descending)
        with solara.Div():  # the skip link's region: it focuses the heading
            heading(f"Groups ({len(rows)})", id=TABLE_ID)
            solara.HTML(
                tag="p",
                unsafe_innerHTML=f"Each group's headline figures over its last {WEEKS_PER_YEAR} weeks, as its own "
                f"cards show them; updated every {REFRESH_SECONDS:g} seconds.",
                classes=["room-note"],
            )
            GroupsTable(rows, sort_title, descending)
        heading("Compare two groups")
        Overlay(rows, refresh, narrow)
        if not presenter:  # the projector shows the groups and their charts, not the controls
            heading("Push a shock")
            ShockForm([label(r) for r in rows if not r.starting])
