"""The dashboard in a real headless Chromium, against a ``solara run`` server started here.

Needs Debian's Chromium at /usr/bin/chromium (``.ci/run`` installs it) and the Python
``playwright`` package; without them these tests fail rather than skip.  Screenshots go
to ``test-artifacts/dashboard/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from dashboard import controls
from policies.levers import lever_table

# A browser test starts Chromium and a dashboard server (3-6 s each, about two minutes in all): the full suite
# runs them, the fast lane (pytest -m "not slow") does not.  Run them alone with  pytest tests/test_dashboard_browser.py
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
POPULATION, YEARS = 4000, 2  # small and short, so the tests run quickly
STORY_PRESET = {
    "name": "story_demo",
    "description": "Test story: beds cut, contracts on outcomes",
    "levers": {"acute_beds_multiplier": 1.5, "chs_contract": "outcome"},
    "story": {
        "what_to_try": "Cut the beds back to 1.0 during play.",
        "what_to_watch": "Occupancy and delayed discharges.",
        "evidence": "Mechanism 10: social-care capacity limits discharges.",
        "steps": [{"year": 0, "text": "First, watch occupancy settle."}, {"year": 1, "text": "Now cut the beds."}],
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    """``abm dashboard`` (a production ``solara run``) with a small population and one extra story preset."""
    presets = tmp_path_factory.mktemp("presets")
    (presets / "story_demo.yaml").write_text(yaml.safe_dump(STORY_PRESET))
    port = free_port()
    with open(tmp_path_factory.mktemp("log") / "server.log", "w+") as log:
        command = [
            sys.executable,
            "-m",
            "abm",
            "dashboard",
            "--port",
            str(port),
            "--population",
            str(POPULATION),
            "--years",
            str(YEARS),
            "--presets",
            str(presets),
        ]
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1")
        )
        url = f"http://127.0.0.1:{port}/"
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    log.seek(0)
                    pytest.fail(f"the dashboard server did not start:\n{log.read()[-3000:]}")
                time.sleep(0.5)
        log.seek(0)
        assert f"ICS workshop dashboard: http://localhost:{port}/" in log.read()  # the URL is printed
        yield url
        process.terminate()
        process.wait(timeout=20)
        show_log_after_failures(request, log)


def show_log_after_failures(request, log) -> None:
    """When a test failed, print the end of the server's log past pytest's capture (CI's output then has it)."""
    if request.session.testsfailed:
        log.seek(0)
        print(f"\n--- the end of {log.name} ---\n{log.read()[-4000:]}", file=sys.__stderr__)


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """One browser session (its own context, so its own Solara kernel) with its console errors recorded."""

    def __init__(self, browser, url: str, width: int = 1500, height: int = 1000):
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status} {r.url}"))
        self.page.goto(url)
        self.page.locator(".run-status").filter(has_text="Year 0").wait_for(timeout=60_000)
        self.page.locator(".card-vacancies").wait_for()

    def weeks(self) -> int:
        return int(self.page.locator(".run-status").get_attribute("data-weeks"))

    def wait_weeks(self, at_least: int, timeout: float = 60) -> int:
        deadline = time.time() + timeout
        while (weeks := self.weeks()) < at_least:
            assert time.time() < deadline, f"the run stayed at week {weeks} (expected {at_least})"
            time.sleep(0.2)
        return weeks

    def expect_new_run(self, timeout: float = 60_000) -> None:
        """The run restarts at week 0 (after "Apply and reset"); if it does not, say what the page shows instead."""
        try:
            expect(self.page.locator(".run-status")).to_have_attribute("data-weeks", "0", timeout=timeout)
        except AssertionError as exc:
            shown = {
                name: [text.strip() for text in self.page.locator(selector).all_inner_texts()]
                for name, selector in (
                    ("problems", ".problems"),
                    ("notice", ".notice"),
                    ("alerts", ".v-alert"),
                )
            }
            shown["seed field"] = [self.page.locator(".input-seed input").input_value()]
            raise AssertionError(f"the run did not restart at week 0; the page shows {shown}; {self.errors}") from exc

    def choose(self, select_class: str, item: str) -> None:
        """Pick ``item`` in a Vuetify select (by its first line: a preset's name, not its description)."""
        self.page.locator(f".{select_class}").click()
        self.page.locator(".v-menu__content.menuable__content__active .v-list-item").filter(
            has_text=re.compile(f"^\\s*{re.escape(item)}(\\s|$)")
        ).click()

    def lever(self, name: str, part: str = ".lever-value"):
        """A lever's control (``part``), opening its group in the sidebar first."""
        group = next(r["group"] for r in lever_table() if r["name"] == name)
        control = self.page.locator(f".lever-{name}")
        if control.count() == 0 or not control.first.is_visible():
            self.page.locator(".v-expansion-panel-header").filter(has_text=group.capitalize()).click()
            control.first.wait_for()
        return self.page.locator(f".lever-{name} {part}")

    def wait_for_baseline(self) -> None:
        self.page.wait_for_function(
            "!document.querySelector('.baseline-label').innerText.includes('computing')", timeout=60_000
        )

    def run_settings(self) -> None:
        """Unfold the run settings (population, horizon, seed) at the sidebar's foot."""
        if not self.page.locator(".input-population").is_visible():
            self.page.locator(".v-expansion-panel-header").filter(has_text="Run settings").click()
            self.page.locator(".input-population").wait_for()

    def tab(self, title: str) -> None:
        self.page.locator(".v-tab").filter(has_text=title).click()

    def play(self) -> None:
        self.page.locator(".btn-play").click()

    def pause(self) -> None:
        self.page.locator(".btn-pause").click()
        self.page.locator(".btn-play").wait_for()

    def polyline(self, chart: str, series: str):
        return self.page.locator(f"svg[data-chart='{chart}'] polyline[data-series='{series}']")

    def points(self, chart: str, series: str) -> list[tuple[float, float]]:
        text = self.polyline(chart, series).get_attribute("points")
        return [tuple(map(float, p.split(","))) for p in text.split()]

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser, server):
    s = Session(browser, server)
    yield s
    s.close()


def test_page_loads_offline_with_no_console_errors(session):
    page = session.page
    assert page.locator(".headline-card").count() == 6
    for group in ("Money", "Commissioning", "Services", "Workforce", "Demand and social care"):
        assert page.locator(".v-expansion-panel-header").filter(has_text=group).count() == 1
    page.locator(".lever-name").first.hover()
    tooltip = page.locator(".v-tooltip__content.menuable__content__active").filter(has_text="Evidence:")
    tooltip.wait_for()
    page.wait_for_timeout(500)  # the tooltip's opening animation, for the screenshot
    session.screenshot("01-loaded")
    # plain words (issue 16): no code names, no Python types, no raw booleans, in the tooltip or under a lever
    said = tooltip.inner_text() + " ".join(page.locator(".lever").all_inner_texts())
    for code in ("agents.", "params.", "float", "int in", "[0.0", "True", "False", "_pct", "now "):
        assert code not in said, code
    assert session.errors == []


def test_choosing_a_preset_changes_the_levers_and_shows_its_story(session):
    page = session.page
    beds = session.lever("acute_beds_multiplier")
    assert beds.inner_text() == "1×"
    session.choose("preset-select", "Story demo")  # presets are listed by their names in words
    session.lever("acute_beds_multiplier").filter(has_text="1.5×").wait_for(timeout=30_000)
    page.locator(".run-status").filter(has_text="Year 0").wait_for(timeout=30_000)
    # the description is its own element and may render a moment after the levers (seen on a loaded machine)
    expect(page.locator(".preset-description")).to_contain_text("Test story: beds cut", timeout=30_000)
    assert session.lever("acute_beds_multiplier").inner_text() == "1.5×"  # and nothing put the old preset back
    story = page.locator(".story").filter(has_text="Story: Story demo")
    story.wait_for()
    assert "Cut the beds back" not in story.inner_text()  # what to try, watch and the evidence: behind a button
    page.locator(".story-details-toggle").click()
    story.filter(has_text="Cut the beds back").filter(has_text="Mechanism 10").wait_for()
    assert "First, watch occupancy" in page.locator(".story-step").inner_text()
    menu = page.locator(".preset-select")
    menu.click()  # every preset is listed with its one-line description
    assert "Test story: beds cut" in page.locator(".menuable__content__active").inner_text()
    page.keyboard.press("Escape")
    page.locator(".story-next").click()
    page.locator(".story-step").filter(has_text="Now cut the beds").wait_for()
    session.screenshot("02-story-preset")
    assert session.errors == []


def test_a_lever_moved_mid_play_changes_the_trajectory_and_is_marked(session):
    page = session.page
    session.choose("speed-select", "10")
    session.tab("Hospital")
    page.locator(".baseline-label").filter(has_text="same seed").wait_for()
    page.wait_for_function("!document.querySelector('.baseline-label').innerText.includes('computing')", timeout=60_000)
    session.play()
    session.wait_weeks(8)
    session.lever("acute_beds_multiplier", "[role=slider]").focus()
    page.keyboard.press("Home")  # beds to the minimum, 0.3 x default, while playing
    marker = page.locator("svg[data-chart='occupancy'] .lever-marker")
    marker.wait_for(timeout=10_000)
    week = int(marker.get_attribute("data-week"))
    assert week >= 8
    session.wait_weeks(week + 12)
    session.pause()
    # every time chart on the tab carries the marker, and the list names it
    assert page.locator("svg[data-chart='delayed'] .lever-marker").count() == 1
    assert "Acute beds multiplier set to 0.3×" in page.locator(".marker-list").inner_text()
    expect(session.lever("acute_beds_multiplier")).to_have_text("0.3×")  # the control shows the live value
    live = session.points("occupancy", "occupancy")
    base = session.points("occupancy", "baseline")
    # same seed: identical up to the change, then a different trajectory (the direction is the model's business)
    assert live[:week] == base[:week]
    assert live[week + 2 :] != base[week + 2 : len(live)]
    delta = page.locator(".card-occupancy .card-delta").inner_text()
    assert re.match(r"^(Better|Worse): [+-]\d+\.\d points$", delta.strip()), delta
    session.screenshot("03-live-lever")
    assert session.errors == []


def test_a_reload_restores_the_run_from_the_page_address(session):
    page = session.page
    for week in (1, 2):
        page.locator(".btn-step").click()
        session.wait_weeks(week)
    session.tab("Hospital")
    session.lever("acute_beds_multiplier", "[role=slider]").focus()
    page.keyboard.press("Home")  # beds to 0.3x at week 2
    marker = page.locator("svg[data-chart='occupancy'] .lever-marker")
    marker.wait_for(timeout=10_000)
    page.locator(".btn-step").click()
    session.wait_weeks(3)
    page.wait_for_function("location.search.includes('run=')", timeout=5_000)
    page.reload()
    page.locator(".run-status").filter(has_text="Year 0").wait_for(timeout=30_000)
    session.wait_weeks(3, timeout=10)  # back at the week it was at, the lever moved at its week
    session.tab("Hospital")
    expect(session.lever("acute_beds_multiplier")).to_have_text("0.3×")
    marker.wait_for(timeout=10_000)
    assert marker.get_attribute("data-week") == "2" and session.weeks() == 3
    assert session.errors == []


def test_a_slider_drag_during_play_is_one_lever_change(session):
    """A drag across a slider commits once, on release: one change, one marker (issue 16), not one per step."""
    page = session.page
    session.choose("speed-select", "10")
    session.play()
    session.wait_weeks(3)
    thumb = session.lever("acute_beds_multiplier", "[role=slider]")
    expect(thumb).to_have_attribute("aria-label", "Acute beds multiplier")
    thumb.scroll_into_view_if_needed()
    track = session.lever("acute_beds_multiplier", ".v-slider").bounding_box()
    box = thumb.bounding_box()  # the thumb's container: a point at the thumb's centre
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 16):  # a slow drag to the right, over about a second of play
        page.mouse.move(x + (track["x"] + track["width"] - x) * i / 15, y)
        page.wait_for_timeout(60)
    page.mouse.up()
    page.locator(".lever-marker").first.wait_for(timeout=10_000)
    page.wait_for_timeout(1000)  # anything the drag might still send
    session.pause()
    changes = [c for c in page.locator(".marker-list li").all_inner_texts() if "Acute beds multiplier" in c]
    assert len(changes) == 1, changes
    assert "set to 3×" in changes[0]
    expect(session.lever("acute_beds_multiplier")).to_have_text("3×")
    assert session.errors == []


def test_play_advances_the_year_and_the_charts(session):
    page = session.page
    session.choose("speed-select", "25")
    before = (
        int(session.polyline("admissions", "this run").get_attribute("data-points") or 0)
        if session.polyline("admissions", "this run").count()
        else 0
    )
    session.play()
    page.locator(".run-status").filter(has_text="Year 1").wait_for(timeout=60_000)
    session.pause()
    after = int(session.polyline("admissions", "this run").get_attribute("data-points"))
    assert after >= 52 > before
    assert page.locator(".card-admissions .card-value").inner_text() != "-"
    session.tab("Flows")
    assert "Patient flows, year" in page.locator("svg[data-chart='flows']").text_content()
    session.screenshot("04-flows")
    session.tab("Follow a patient")
    page.locator(".btn-someone").click()
    page.locator(".patient-facts").filter(has_text="need: ").wait_for()
    assert "Journey" in page.locator(".patient-journey").inner_text()
    session.screenshot("05-patient")
    assert session.errors == []


def test_pin_reruns_the_pinned_run_in_full_with_the_same_seed(session):
    """Pin alone (issue 16: there is no Compare to forget) reruns the pinned run over the whole horizon; the
    cards never go blank as the run plays past the pinned week."""
    page = session.page
    session.choose("speed-select", "15")
    session.play()
    session.wait_weeks(4)
    session.lever("demand_multiplier", "[role=slider]").focus()
    page.keyboard.press("End")
    session.wait_weeks(12)
    session.pause()
    page.locator(".btn-pin").click()
    page.locator(".baseline-label").filter(has_text="pinned run").filter(has_text="rerun in full").wait_for()
    page.wait_for_function("!document.querySelector('.baseline-label').innerText.includes('computing')", timeout=60_000)
    # the rerun covers the whole horizon and matches this run week for week (same seed, same changes)
    baseline = session.polyline("admissions", "baseline")
    # (the label and the chart are drawn in separate updates: wait for the chart to draw the rerun)
    expect(baseline).to_have_attribute("data-points", str(52 * YEARS), timeout=15_000)
    live = session.points("admissions", "this run")
    assert live == session.points("admissions", "baseline")[: len(live)]
    expect(page.locator(".card-admissions .card-delta")).to_have_text(re.compile(r"^\s*Same as baseline\s*$"))
    session.play()
    session.wait_weeks(session.weeks() + 6)  # past the pinned week: the cards still compare
    session.pause()
    assert page.locator(".card-delta").filter(has_text=re.compile("computing|press")).count() == 0
    expect(page.locator(".card-admissions .card-delta")).to_have_text(re.compile(r"^\s*Same as baseline\s*$"))
    session.screenshot("06-pinned")
    assert session.errors == []


def test_export_and_upload_with_a_clear_error_for_a_bad_file(session, tmp_path):
    page = session.page
    page.locator(".btn-step").click()
    session.wait_weeks(1)
    session.tab("Files")
    with page.expect_download() as csv_download:
        page.get_by_text("Metrics (CSV").click()
    csv = Path(csv_download.value.path()).read_text()
    assert csv.startswith("week,year,place,population") and len(csv.splitlines()) == 1 + 4
    with page.expect_download() as yaml_download:
        page.get_by_text("This run (scenario YAML, with its lever changes)").click()
    settings = yaml.safe_load(Path(yaml_download.value.path()).read_text())
    assert settings["population"] == POPULATION and settings["years"] == YEARS
    session.tab("Admissions")
    with page.expect_download() as png_download:
        page.get_by_role("button", name="Download PNG of 'Emergency admissions against the baseline'").click()
    assert Path(png_download.value.path()).read_bytes()[:4] == b"\x89PNG"
    session.tab("Files")

    bad = dict(settings, levers={"acute_beds_multiplier": 9}, population="many")
    upload = page.locator(".scenario-upload input[type=file]")
    upload.set_input_files(
        files=[{"name": "bad.yaml", "mimeType": "text/yaml", "buffer": yaml.safe_dump(bad).encode()}]
    )
    error = page.locator(".problems")
    error.wait_for()
    text = error.inner_text()
    assert "bad.yaml: levers.acute_beds_multiplier: 9.0 is out of range; allowed: float in [0.3, 3.0]" in text
    assert "population: 'many' is a str; allowed: int" in text
    session.screenshot("07-bad-upload")
    assert session.weeks() == 1  # the run was left as it was

    good = dict(settings, levers={"acute_beds_multiplier": 2.0}, seed=4)
    upload.set_input_files(
        files=[{"name": "good.yaml", "mimeType": "text/yaml", "buffer": yaml.safe_dump(good).encode()}]
    )
    session.lever("acute_beds_multiplier").filter(has_text="2×").wait_for(timeout=30_000)
    assert page.locator(".problems").count() == 0
    session.run_settings()
    expect(page.locator(".input-seed input")).to_have_value("4")
    assert [e for e in session.errors if "bad.yaml" not in e] == []


def test_two_sessions_are_independent(browser, server):
    a, b = Session(browser, server), Session(browser, server)
    try:
        a.choose("speed-select", "15")
        a.play()
        a.wait_weeks(6)
        a.lever("integration_share", "[role=slider]").focus()
        a.page.keyboard.press("End")
        a.page.locator("svg[data-chart='admissions'] .lever-marker").wait_for()
        # B: a bad scenario shows an error in B only
        b.tab("Files")
        b.page.locator(".scenario-upload input[type=file]").set_input_files(
            files=[{"name": "broken.yaml", "mimeType": "text/yaml", "buffer": b"levers: [1, 2"}]
        )
        b.page.locator(".problems").filter(has_text=re.compile(r"broken\.yaml:? (is )?not valid YAML")).wait_for()
        weeks = a.weeks()
        a.wait_weeks(weeks + 4)  # A plays on
        assert a.page.locator(".problems").count() == 0
        b.tab("Admissions")
        assert b.weeks() == 0 and b.page.locator(".lever-marker").count() == 0
        assert b.lever("integration_share").inner_text() == "0.2"
        a.pause()
        a.screenshot("08-session-a")
        b.screenshot("09-session-b")
        assert a.errors == [] and [e for e in b.errors if "broken" not in e] == []
    finally:
        a.close()
        b.close()


# --------------------------------------------------------------------------- accessibility (issue 16)
# axe findings inside Vuetify 2's own markup, which the dashboard cannot change, each allowed for exactly the
# elements named (any other element with the same rule still fails):
AXE_ALLOWED = {
    # Vuetify puts aria-expanded on the panel <div> (no role) as well as on its header <button>, where
    # screen readers read it; the extra attribute is ignored by them
    ("aria-allowed-attr", ".v-expansion-panel"),
    # a v-select's input slot is role=button with its own (readonly) input inside: Vuetify 2's select pattern
    ("nested-interactive", ".v-select .v-input__slot[role=button][aria-haspopup=listbox]"),
}


def axe_findings(page) -> list[str]:
    """axe-core's serious and critical findings on the page, less :data:`AXE_ALLOWED`: 'rule: selector (help)'."""
    from axe_playwright_python.sync_playwright import Axe

    found = []
    for violation in Axe().run(page).response["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        allowed = [selector for rule, selector in AXE_ALLOWED if rule == violation["id"]]
        for node in violation["nodes"]:
            target = node["target"][-1]
            if allowed and page.evaluate(
                "([target, allowed]) => allowed.some(s => document.querySelector(target)?.matches(s))",
                [target, allowed],
            ):
                continue
            found.append(f"{violation['id']} ({violation['impact']}): {target} ({violation['help']})")
    return found


def test_axe_finds_no_serious_or_critical_problem(browser, server):
    session = Session(browser, server, 1366, 768)
    try:
        page = session.page
        page.wait_for_timeout(500)  # the baseline bar and cards settle
        findings = axe_findings(page)
        assert findings == [], "axe-core:\n" + "\n".join(findings)
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.locator("h1").inner_text().startswith("ICS workshop")
        headings = page.locator("h2").all_inner_texts()
        for name in ("Scenario", "Levers", "Run controls", "Headlines", "Charts and details"):
            assert name in headings
        status = page.locator("[role=status][aria-live=polite].run-announcer")
        expect(status).to_have_text(re.compile(r"^Year 0, week 1 .*: paused$"))
        session.play()
        expect(status).to_have_text(re.compile(r"^Year 0, week \d+ .*: playing$"))
        session.pause()
        expect(status).to_have_text(re.compile(r"^Year 0, week \d+ .*: paused$"))
        sliders = page.locator(".lever [role=slider]")  # those of the open group: each named by its lever
        labels = [sliders.nth(i).get_attribute("aria-label") for i in range(sliders.count())]
        assert len(labels) >= 3 and set(labels) <= {controls.lever_label(r) for r in lever_table()}
        assert session.errors == []
    finally:
        session.close()


OPENED = """() => { const menu = document.querySelector('.v-menu__content.menuable__content__active');
    return menu && getComputedStyle(menu).opacity === '1' && menu.getAnimations({subtree: true}).length === 0; }"""


def test_axe_finds_nothing_serious_while_a_selects_menu_is_open(browser, server):
    """A select's open list (Vuetify's role=listbox) is named from the select's label, so axe finds no nameless
    input field (aria-input-field-name) or anything else serious while a menu is open: the speed, a preset."""
    session = Session(browser, server, 1366, 768)
    try:
        page = session.page
        for select, name in (("speed-select", "Speed"), ("preset-select", "Preset")):
            page.locator(f".{select}").click()
            listbox = page.locator(".v-menu__content.menuable__content__active [role=listbox]")
            expect(listbox).to_be_visible()
            expect(listbox).to_have_attribute("aria-label", re.compile(f"^{name}.*: choices$"))
            page.wait_for_function(OPENED)  # axe on a menu fading in finds its half-transparent text too pale
            findings = axe_findings(page)
            assert findings == [], f"axe-core with the {select} menu open:\n" + "\n".join(findings)
            page.keyboard.press("Escape")
            expect(page.locator(".v-menu__content.menuable__content__active")).to_have_count(0)
        assert session.errors == []
    finally:
        session.close()


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080), (390, 844)])
def test_the_first_tab_is_a_skip_link_to_the_run_controls(browser, server, width, height):
    """Keyboard users: the skip link, hidden until focused, then Play (focused, with a visible ring)."""
    session = Session(browser, server, width, height)
    try:
        page = session.page
        if width < 960:  # a phone: the sidebar starts closed, so Play is in sight; its button opens it again
            expect(page.locator(".v-navigation-drawer--open")).to_have_count(0, timeout=10_000)
            expect(page.locator(".btn-play")).to_be_in_viewport()
            page.wait_for_timeout(400)  # the drawer's closing animation, for the screenshot
        link = page.locator("a.skip-link")
        assert link.bounding_box()["y"] + link.bounding_box()["height"] <= 0  # out of sight until focused
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing to scroll sideways
        session.screenshot(f"a11y-loaded-{width}x{height}")
        page.keyboard.press("Tab")
        expect(link).to_be_focused()
        expect(link).to_have_text("Skip to run controls")
        assert link.bounding_box()["y"] >= 0
        session.screenshot(f"a11y-skip-link-{width}x{height}")
        page.keyboard.press("Enter")
        play = page.locator(".btn-play")
        expect(play).to_be_focused()
        outline = play.evaluate("e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
        assert outline == "solid 3px"
        session.screenshot(f"a11y-play-focused-{width}x{height}")
        if width < 960:
            page.locator(".v-app-bar__nav-icon").click()
            expect(page.locator(".v-navigation-drawer--open")).to_have_count(1)
            page.wait_for_timeout(400)  # its opening animation
            session.screenshot(f"a11y-sidebar-opened-{width}x{height}")
        assert session.errors == []
    finally:
        session.close()


# --------------------------------------------------------------------------- the workshop room (issue 16)
def box(locator) -> dict:
    b = locator.bounding_box()
    assert b is not None, f"{locator} is not drawn"
    return b


def in_one_step(page, selector: str, script: str):
    """Run `script` on the element `selector` finds, found and read in one call to the page. A live region the
    server redraws (a chart, a card) may be replaced between a locator's finding and its acting."""
    return page.eval_on_selector(selector, script)


def on_screen(page, locator) -> bool:
    """Wholly inside the viewport."""
    b, view = box(locator), page.viewport_size
    return (
        b["x"] >= 0
        and b["y"] >= 0
        and b["x"] + b["width"] <= view["width"] + 0.5
        and (b["y"] + b["height"] <= view["height"] + 0.5)
    )


def layout(page) -> dict:
    """Where the main column's parts are (to the pixel): what must not move as the numbers change."""
    return page.evaluate("""() => Object.fromEntries(
        ['.run-status', '.btn-step', '.story', '.baseline-bar', '.cards', '.main-tabs', '.chart', '.marker-list',
         '.headline-card'].map(s => { const e = document.querySelector(s); const b = e && e.getBoundingClientRect();
                    return [s, b && [b.top, b.height, b.left, b.width].map(Math.round)]; }))""")


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080)])
def test_on_a_laptop_a_lever_and_its_charts_are_on_screen_together(browser, server, width, height):
    """Levers beside the charts: at 1366x768 (and larger) the open group's levers and both charts of the tab are
    in view without scrolling, the story unfolded; folded, the story is one line."""
    session = Session(browser, server, width, height)
    try:
        page = session.page
        session.tab("Hospital")  # the charts the beds lever moves
        beds = session.lever("acute_beds_multiplier", ".v-slider")
        beds.scroll_into_view_if_needed()  # the sidebar scrolls on its own; the page does not move
        assert page.evaluate("document.scrollingElement.scrollTop") == 0
        for chart in ("occupancy", "delayed"):
            assert on_screen(page, page.locator(f"svg[data-chart='{chart}']")), chart
        assert on_screen(page, beds) and on_screen(page, page.locator(".btn-play"))
        assert page.locator(".headline-card").evaluate_all(
            "cards => cards.every(c => c.getBoundingClientRect().bottom <= innerHeight)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing to scroll sideways
        session.screenshot(f"room-laptop-{width}x{height}")
        story = page.locator(".story")
        page.locator(".story-toggle").click()
        expect(page.locator(".story.folded")).to_have_count(1)
        assert box(story)["height"] <= 44  # one line
        expect(page.locator(".story-toggle")).to_have_attribute("aria-expanded", "false")
        session.screenshot(f"room-story-folded-{width}x{height}")
        assert session.errors == []
    finally:
        session.close()


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080), (390, 844)])
def test_nothing_moves_as_the_numbers_change(browser, server, width, height):
    """Cards of one fixed height in even rows, one-line texts: playing (week numbers, cards, baseline label
    changing) moves nothing on the page, at any of the three sizes."""
    session = Session(browser, server, width, height)
    try:
        page = session.page
        session.wait_for_baseline()
        if width < 600:  # a phone's charts are redrawn narrow once the page has said so: measure after that
            expect(page.locator("svg[data-chart='admissions']")).to_have_attribute("data-narrow", "1", timeout=10_000)
        cards = page.locator(".headline-card")
        heights = {round(box(cards.nth(i))["height"]) for i in range(cards.count())}
        assert len(heights) == 1, heights  # every card the same height
        before = layout(page)
        assert None not in before.values(), before
        session.choose("speed-select", "15")
        session.play()
        session.wait_weeks(14)  # two-digit weeks, cards and deltas filled in
        during = layout(page)
        session.pause()
        assert page.locator(".card-value").filter(has_text="-").count() < 6, page.locator(".cards").inner_text()
        assert during == before, {k: (before[k], during[k]) for k in before if before[k] != during[k]}
        assert layout(page) == before
        if width < 960:
            assert cards.evaluate_all("cs => new Set(cs.map(c => c.getBoundingClientRect().width)).size") == 1
        session.screenshot(f"room-playing-{width}x{height}")
        assert session.errors == []
    finally:
        session.close()


def test_on_a_phone_the_sidebar_closes_with_its_button_escape_or_a_tap_beside_it(browser, server):
    """390x844: the sidebar opens over the page, narrower than the screen, with the focus on its close button;
    it closes with that button (the focus back on the app bar's button), with Escape, or with a tap beside it.
    Play and the cards stay reachable; the page has a main landmark and a named navigation one."""
    session = Session(browser, server, 390, 844)
    try:
        page = session.page
        drawer = page.locator(".v-navigation-drawer--open")
        menu = page.locator(".v-app-bar__nav-icon")
        expect(drawer).to_have_count(0, timeout=10_000)
        expect(menu).to_have_attribute("aria-expanded", "false")
        main = page.locator("main")
        assert main.count() == 1 and main.locator(".btn-play").count() == 1 and main.locator(".cards").count() == 1
        expect(page.locator(".btn-play")).to_be_in_viewport()
        in_one_step(page, ".card-vacancies", "e => e.scrollIntoView({block: 'nearest'})")
        expect(page.locator(".card-vacancies")).to_be_in_viewport()
        page.evaluate("document.scrollingElement.scrollTo(0, 0)")

        menu.click()
        expect(drawer).to_have_count(1)
        close = page.locator(".sidebar-close")
        expect(close).to_be_visible()
        expect(close).to_be_focused()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_role("navigation", name="Scenario and levers")).to_have_count(1)
        assert box(page.locator(".v-navigation-drawer"))["width"] <= 390 - 48 + 0.5  # the page shows beside it
        page.wait_for_timeout(400)  # its opening animation, for the screenshot
        session.screenshot("room-phone-sidebar-open")
        close.click()
        expect(drawer).to_have_count(0)
        expect(menu).to_be_focused()
        expect(page.locator(".btn-play")).to_be_in_viewport()

        menu.click()
        expect(close).to_be_focused()
        page.keyboard.press("Escape")
        expect(drawer).to_have_count(0)
        expect(menu).to_be_focused()

        menu.click()
        expect(drawer).to_have_count(1)
        page.wait_for_timeout(400)
        page.mouse.click(380, 600)  # the overlay beside the sidebar
        expect(drawer).to_have_count(0)
        page.wait_for_timeout(400)
        session.screenshot("room-phone-sidebar-closed")
        session.play()  # Play works with the sidebar closed
        session.wait_weeks(3)
        session.pause()
        assert session.errors == []
    finally:
        session.close()


ADMISSIONS_CHART = "svg[data-chart='admissions']"
TEXT_PX = """svg => [...svg.querySelectorAll('text')].filter(t => t.closest('.lever-marker') === null)
    .map(t => t.getBoundingClientRect().height)"""  # each text's drawn height (its font size on screen, about)


def test_on_a_phone_the_charts_are_drawn_for_its_width_and_their_text_reads(browser, server):
    """390x844: one chart per row, drawn narrow (dashboard.svg.NARROW), so its smallest text is drawn at 12 px or
    more (a laptop's chart shrunk to a phone's width would be 7 px); turned to a laptop's width, the page redraws
    the charts wide, two to a row."""
    session = Session(browser, server, 390, 844)
    try:
        page = session.page
        chart = page.locator(ADMISSIONS_CHART)
        expect(chart).to_have_attribute("data-narrow", "1", timeout=10_000)
        expect(page.locator(".charts-row svg[data-narrow='1']")).to_have_count(2)
        first, second = box(page.locator(".charts-row .chart").nth(0)), box(page.locator(".charts-row .chart").nth(1))
        assert second["y"] >= first["y"] + first["height"] - 1  # one chart per row
        assert box(chart)["width"] >= 340
        heights = in_one_step(page, ADMISSIONS_CHART, TEXT_PX)
        assert min(heights) >= 12, heights
        session.play()
        session.wait_weeks(3)
        session.pause()
        expect(chart).to_have_attribute("data-narrow", "1")  # as it plays, still narrow
        in_one_step(page, ADMISSIONS_CHART, "e => e.scrollIntoView({block: 'center'})")
        session.screenshot("phone-chart-390x844")
        expect(page.get_by_text("This website runs on")).to_have_count(0)  # no banner over the chart's foot
        page.set_viewport_size({"width": 1366, "height": 768})
        expect(chart).not_to_have_attribute("data-narrow", "1", timeout=10_000)
        assert min(in_one_step(page, ADMISSIONS_CHART, TEXT_PX)) >= 9
        assert session.errors == []
    finally:
        session.close()


def test_a_chart_gives_its_values_under_the_pointer(browser, server):
    """Hovering a chart shows each line's value in that week, with the unit; the chart's name gives its latest
    values for screen readers (issue 16)."""
    session = Session(browser, server, 1366, 768)
    try:
        page = session.page
        session.wait_for_baseline()
        session.choose("speed-select", "15")
        session.play()
        session.wait_weeks(20)
        session.pause()
        chart = page.locator("svg[data-chart='admissions']")
        name = chart.get_attribute("aria-label")
        assert re.search(r": latest week \(year 0, week \d+\): this run [\d.]+, baseline [\d.]+$", name), name
        readout = page.locator(".chart-hover")
        expect(readout).to_be_hidden()
        b = box(chart)
        left, width = float(chart.get_attribute("data-left")), float(chart.get_attribute("data-plot-width"))
        week, horizon = 10, 52 * YEARS
        scale = b["width"] / 600  # the SVG's viewBox is 600 wide
        page.mouse.move(b["x"] + (left + width * week / horizon) * scale, b["y"] + b["height"] / 2)
        expect(readout).to_be_visible()
        text = readout.inner_text()
        assert text.startswith("Year 0, week 11") and "admissions per 1,000 people a year" in text
        values = chart.locator("polyline[data-series='this run']").get_attribute("data-values").split()
        shown = f"{float(f'{float(values[week]):.3g}'):,.6f}".rstrip("0").rstrip(".")  # 3 significant figures
        assert f"this run: {shown}\nbaseline: " in text, text
        page.wait_for_timeout(200)
        session.screenshot("room-chart-hover")
        page.mouse.move(5, 5)
        expect(readout).to_be_hidden()
        assert session.errors == []
    finally:
        session.close()


# --------------------------------------------------------------------------- rooms and limits (issue 13)
ROOM_CODE = "ward-7-test"
FACILITATOR_CODE = "lead-4-test"
SHOTS = Path("/tmp/shots")  # the room-code page at three sizes, for a person to look at (not committed)


@pytest.fixture(scope="module")
def room_server(tmp_path_factory, request):
    """``abm dashboard --room-code CODE`` on 127.0.0.1 (a code set on loopback is required), with small limits."""
    port = free_port()
    with open(tmp_path_factory.mktemp("room-log") / "server.log", "w+") as log:
        command = [
            sys.executable,
            "-m",
            "abm",
            "dashboard",
            "--port",
            str(port),
            "--room-code",
            ROOM_CODE,
            "--facilitator-code",
            FACILITATOR_CODE,
            "--population",
            str(POPULATION),
            "--years",
            str(YEARS),
            "--max-population",
            "20000",
            "--max-years",
            "3",
        ]
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1")
        )
        url = f"http://127.0.0.1:{port}/"
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=5)
                pytest.fail("the room server answered without a room code")
            except urllib.error.HTTPError as refused:
                assert refused.code == 403
                break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    log.seek(0)
                    pytest.fail(f"the dashboard server did not start:\n{log.read()[-3000:]}")
                time.sleep(0.5)
        log.seek(0)
        printed = log.read()
        assert f"Room code: {ROOM_CODE}" in printed
        assert f"Join link (give this to participants): http://localhost:{port}/?room={ROOM_CODE}" in printed
        assert "warning" not in printed  # loopback: nobody else can reach it
        facilitator_link = f"http://localhost:{port}/room?room={ROOM_CODE}&facilitator={FACILITATOR_CODE}"
        assert f"Facilitator's page (keep this link to yourself): {facilitator_link}" in printed
        yield url
        process.terminate()
        process.wait(timeout=20)
        show_log_after_failures(request, log)


WEBSOCKET_PROBE = """url => new Promise(done => {
  const ws = new WebSocket(url);
  ws.onopen = () => { ws.close(); done('open'); };
  ws.onclose = e => done('closed ' + e.code);
  setTimeout(() => done('no answer'), 10000);
})"""


def probe_websocket(page, url: str) -> str:
    """Open a websocket to the server's kernel path from ``page``: 'open' or 'closed CODE'."""
    ws = url.replace("http://", "ws://") + "jupyter/api/kernels/probe/channels?session_id=probe"
    return page.evaluate(WEBSOCKET_PROBE, ws)


def test_without_the_room_code_the_page_asks_for_it_and_no_model_starts(browser, room_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 768), (1920, 1080), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        try:
            response = page.goto(room_server)
            assert response.status == 403
            expect(page.get_by_role("heading", name="Room code needed")).to_be_visible()
            field = page.get_by_label("Room code")
            expect(field).to_be_visible()
            expect(page.get_by_role("button", name="Join")).to_be_visible()
            assert page.locator(".run-status").count() == 0 and page.locator(".v-application").count() == 0
            # the whole form fits the screen: nothing to scroll sideways, the button within the width
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            box = page.get_by_role("button", name="Join").bounding_box()
            assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height
            page.keyboard.press("Tab")  # the keyboard reaches the field first
            assert page.evaluate("document.activeElement.id") == "room"
            page.screenshot(path=str(SHOTS / f"room-code-{width}x{height}.png"), full_page=True)
            if width == 1366:  # and the server refuses a websocket without the room's cookie
                assert probe_websocket(page, room_server) == "closed 1006"  # the handshake was refused
        finally:
            context.close()


def test_a_wrong_room_code_is_refused_and_the_right_one_typed_in_the_form_joins(browser, room_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        response = page.goto(room_server + "?room=ward-8-test")
        assert response.status == 403
        expect(page.get_by_role("alert")).to_have_text("That room code is not right.")
        assert page.locator(".run-status").count() == 0
        page.screenshot(path=str(SHOTS / "room-code-wrong-1366x768.png"))
        page.get_by_label("Room code").fill(ROOM_CODE)
        page.get_by_role("button", name="Join").click()
        page.locator(".run-status").filter(has_text="Year 0").wait_for(timeout=60_000)
        assert "room=" not in page.url  # the code is not left in the address bar
    finally:
        context.close()


def test_the_join_link_opens_a_dashboard_that_plays_within_the_limits(browser, room_server):
    session = Session(browser, room_server + f"?room={ROOM_CODE}")
    page = session.page
    try:
        url = page.url.split("?run=")[0]  # (the page's address then holds the run: run=)
        assert url == room_server and "room=" not in page.url  # joined: the code was swapped for the room's cookie
        assert probe_websocket(page, room_server) == "open"  # with the cookie, the server takes websockets
        session.run_settings()
        expect(page.locator(".run-limits")).to_have_text(
            "Allowed in this workshop: 1,000 to 20,000 people, 1 to 3 years, a burn-in of at most 312 weeks "
            "(the facilitator's limits)."
        )
        session.choose("speed-select", "15")
        session.play()
        session.wait_weeks(3)
        session.pause()
        weeks = session.weeks()
        page.locator(".input-population input").fill("30000")
        page.locator(".apply-reset").click()
        problems = page.locator(".problems")
        problems.wait_for()
        assert (
            "population: 30,000 people is more than this dashboard runs per session; allowed: 1,000 to 20,000"
            in problems.inner_text()
        )
        assert session.weeks() == weeks  # the run was left as it was
        session.screenshot("10-over-the-limit")
        page.goto(room_server)  # later visits need no code: the cookie is kept
        page.locator(".run-status").filter(has_text="Year 0").wait_for(timeout=60_000)
        assert session.errors == []
    finally:
        session.close()


def test_a_forged_preset_path_a_bomb_and_an_oversized_file_are_refused(session):
    """What a hostile participant sends from the browser's console: a path as the preset's value, a YAML
    alias bomb pasted, a file over the size limit; each is a short message and the run goes on (issue 13)."""
    from abm import safe_yaml

    page = session.page
    page.locator(".btn-step").click()
    session.wait_weeks(1)
    forged = page.evaluate("""() => {
        let vm = document.querySelector('.preset-select').__vue__;
        while (vm && typeof vm.event_choose !== 'function') { vm = vm.$parent; }
        if (!vm) { return false; }
        vm.event_choose('/etc/passwd');
        return true;
    }""")
    assert forged
    error = page.locator(".problems")
    error.filter(has_text="preset: '/etc/passwd' is not one of this dashboard's presets").wait_for()
    assert "root:" not in page.content()
    page.locator(".problems button").click()  # dismiss

    session.tab("Files")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b]\n"
    page.locator(".yaml-paste textarea").fill(bomb)
    page.locator(".btn-load-yaml").click()
    error.filter(has_text="pasted YAML: aliases (*a) are not allowed").wait_for()
    page.locator(".problems button").click()

    big = b"description: '" + b"x" * safe_yaml.MAX_BYTES + b"'\n"
    page.locator(".scenario-upload input[type=file]").set_input_files(
        files=[{"name": "big.yaml", "mimeType": "text/yaml", "buffer": big}]
    )
    error.filter(has_text="big.yaml: ").filter(has_text="too large").wait_for()
    assert len(error.inner_text()) < 400
    session.screenshot("12-hostile-input")
    assert session.weeks() == 1  # the run was left as it was
    assert [e for e in session.errors if "bomb" not in e] == []


# --------------------------------------------------------------------------- the facilitator's room page (issue 16)
GROUPS = ("Red team", "Green team", "Blue team")


def test_the_room_page_lists_three_sessions_and_a_pushed_shock_reaches_each(browser, room_server):
    """Three groups in three pages and the facilitator in a fourth: the rows appear with the groups' names, a
    shock pushed to every group is scheduled in each (its page says so, and its chart marks the week it acted),
    two groups' charts overlay, presenter mode enlarges the text; axe finds nothing serious; screenshots at three
    sizes."""
    sessions = [Session(browser, room_server + f"?room={ROOM_CODE}", 1366, 768) for _ in GROUPS]
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    room_page = context.new_page()
    errors: list[str] = []
    room_page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    room_page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        for session, name in zip(sessions, GROUPS, strict=True):
            field = session.page.locator(".input-group input")
            field.fill(name)
            field.press("Enter")
        sessions[0].choose("speed-select", "25")
        sessions[0].play()  # one group plays ahead: its row's figures fill in
        sessions[0].wait_weeks(8)
        sessions[0].pause()

        # the room code alone does not open the room page: it asks for the facilitator's code
        refused = context.request.get(room_server + "room")  # without the room's cookie: refused
        assert refused.status == 403 and "Room code needed" in refused.text()
        room_page.goto(room_server + f"room?room={ROOM_CODE}")  # joins the room, then asks
        expect(room_page.get_by_role("heading", name="Facilitator code needed")).to_be_visible()
        assert context.request.get(room_server + "room").status == 403  # with the room's cookie, still refused
        assert room_page.locator("table.room-table").count() == 0
        room_page.get_by_label("Facilitator code").fill(FACILITATOR_CODE)
        room_page.get_by_role("button", name="Open").click()
        table = room_page.locator("table.room-table")
        table.wait_for(timeout=60_000)
        assert "facilitator=" not in room_page.url
        errors.clear()  # (the refusal above is logged as a failed load)
        for name in GROUPS:  # each group's row appears (refreshed live)
            table.locator("tbody th.group").filter(has_text=name).wait_for(timeout=15_000)
        red = table.locator("tr").filter(has=room_page.locator("th.group", has_text="Red team"))
        expect(red.locator("td.number").first).to_have_text(re.compile(r"^\s*[1-9]"), timeout=15_000)  # weeks
        card = sessions[0].page.locator(".card-admissions .card-value").inner_text()
        assert card != "-"
        expect(red.locator("td.number").nth(1)).to_have_text(card)  # the same figure as the group's own card

        # push a winter surge to every group from week 20
        room_page.locator(".shock-week input").fill("20")
        room_page.locator(".shock-week input").press("Enter")
        room_page.locator(".btn-push").click()
        result = room_page.locator(".shock-result")
        expect(result).to_contain_text("Scheduled 'Winter surge' in", timeout=10_000)
        for name in GROUPS:
            assert f"{name} (from week 20)" in result.inner_text()
        for name in GROUPS:  # each row lists it, still to come
            row = table.locator("tr").filter(has=room_page.locator("th.group", has_text=name))
            expect(row).to_contain_text("week 20: Winter pressure % set to 30% (to come)", timeout=10_000)
        for session in sessions:  # each page is told, and the change acts at its week as the run plays
            expect(session.page.locator(".notice")).to_contain_text("The facilitator scheduled 'Winter surge'")
            session.page.wait_for_function("location.search.includes('run=')")
            session.choose("speed-select", "25")
            session.play()
            session.wait_weeks(22)
            session.pause()
            marker = session.page.locator("svg[data-chart='admissions'] .lever-marker[data-week='20']")
            marker.wait_for(timeout=10_000)
            expect(session.page.locator(".marker-list")).to_contain_text("Winter pressure % set to 30%")
            expect(session.lever("winter_pressure_pct")).to_have_text("30%")

        # the shock stays on through "Apply and reset" (a new seed): the new run has it again, and the page says so
        red_page = sessions[0]
        shocks_on = red_page.page.locator(".shocks-on")
        expect(shocks_on).to_contain_text("Facilitator's shock on: Winter surge (from week 20)")
        red_page.run_settings()
        red_page.page.locator(".input-seed input").fill("7")
        red_page.page.locator(".apply-reset").click()
        red_page.expect_new_run()
        expect(red).to_contain_text("seed 7", timeout=20_000)
        expect(red).to_contain_text("week 20: Winter pressure % set to 30% (to come)")
        expect(shocks_on).to_contain_text("Winter surge (from week 20)")
        expect(room_page.locator(".shocks-on-now")).to_contain_text("Winter surge: every group, from week 20")

        room_page.get_by_label("Every group").uncheck(force=True)
        choose_in(room_page, ".shock-groups", "Green team")
        room_page.keyboard.press("Escape")
        choose_in(room_page, ".shock-select", "Social-care cut")
        room_page.locator(".shock-week input").fill("60")
        room_page.locator(".shock-week input").press("Enter")
        room_page.locator(".btn-push").click()
        expect(result).to_contain_text("Scheduled 'Social-care cut' in 1 group(s): Green team (from week 60).")
        green = table.locator("tr").filter(has=room_page.locator("th.group", has_text="Green team"))
        expect(green).to_contain_text("week 60: Social care capacity multiplier set to 0.75×", timeout=10_000)
        assert "Social care" not in red.inner_text()

        # withdrawn from one group: its run to come drops it, and its page no longer says it is on
        choose_in(room_page, ".shock-select", "Winter surge")
        choose_in(room_page, ".shock-groups", "Green team")  # (unchosen)
        choose_in(room_page, ".shock-groups", "Red team")
        room_page.keyboard.press("Escape")
        room_page.locator(".btn-withdraw").click()
        expect(result).to_contain_text("Withdrew 'Winter surge' from 1 group(s): Red team.")
        expect(red).not_to_contain_text("Winter pressure", timeout=10_000)
        expect(shocks_on).to_have_count(0)
        expect(red_page.page.locator(".notice")).to_contain_text("The facilitator withdrew 'Winter surge'")
        expect(sessions[2].page.locator(".shocks-on")).to_contain_text("Winter surge")  # still on for Blue

        # two groups on the same axes, for the projector
        choose_in(room_page, ".overlay-first", "Green team")  # (Red's new run has no week yet)
        choose_in(room_page, ".overlay-second", "Blue team")
        chart = room_page.locator("svg[data-chart='overlay_admissions']")
        chart.wait_for(timeout=10_000)
        assert chart.locator("polyline[data-series='Green team']").count() == 1
        assert chart.locator("polyline[data-series='Blue team']").count() == 1
        assert chart.locator(".lever-marker[data-week='20']").count() == 1  # both groups' shock: one marker

        # the last select's menu closes with a transition: check the page, not a menu caught half-closed
        expect(room_page.locator(".v-menu__content.menuable__content__active")).to_have_count(0)
        findings = axe_findings(room_page)
        assert findings == [], "axe-core:\n" + "\n".join(findings)
        assert room_page.evaluate("document.documentElement.lang") == "en"
        assert room_page.locator("h1").inner_text() == "Workshop room: every group's run"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for width, height in ((1366, 768), (1920, 1080), (390, 844)):
            room_page.set_viewport_size({"width": width, "height": height})
            room_page.wait_for_timeout(300)
            room_page.screenshot(path=str(ARTIFACTS / f"facilitator-room-{width}x{height}.png"))
            assert room_page.evaluate("document.documentElement.scrollWidth") <= width  # the table scrolls itself

        # presenter mode: large text, no controls for the room to see
        room_page.set_viewport_size({"width": 1366, "height": 768})
        size = table.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        room_page.get_by_label("Presenter mode (large text for the projector)").check(force=True)
        expect(room_page.locator(".room-page.presenter")).to_have_count(1)
        assert table.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 1.5 * size
        expect(room_page.locator(".btn-push")).to_have_count(0)
        room_page.screenshot(path=str(ARTIFACTS / "facilitator-room-presenter-1366x768.png"))
        green_page = sessions[1].page  # a reload keeps the group's name (the page's address holds it)
        before = green.get_attribute("data-session")
        green_page.reload()
        green_page.locator(".run-status").filter(has_text="Year 0").wait_for(timeout=60_000)
        expect(green_page.locator(".input-group input")).to_have_value("Green team")
        green_rows = table.locator("tbody th.group").filter(has_text="Green team")
        expect(green_rows).to_have_count(1, timeout=20_000)  # the old session left, the reloaded one is listed
        expect(green).not_to_have_attribute("data-session", before)
        expect(green).to_contain_text("week 60: Social care capacity multiplier set to 0.75×", timeout=10_000)
        # the shock pushed to Green alone follows its name: the reloaded page says it is on (its next runs keep it)
        expect(green_page.locator(".shocks-on")).to_contain_text("Social-care cut (from week 60)", timeout=10_000)
        sessions[2].page.close(run_before_unload=True)  # a group closes its tab: its row goes
        expect(table.locator("tbody th.group").filter(has_text="Blue team")).to_have_count(0, timeout=20_000)
        expect(room_page.get_by_role("heading", name=re.compile(r"^Groups \(\d+\)$"))).to_be_visible()
        assert errors == [], errors
        assert all(session.errors == [] for session in sessions)
    finally:
        context.close()
        for session in sessions:
            session.close()


def choose_in(page, select: str, item: str) -> None:
    """Pick the item starting with ``item`` in a Vuetify select."""
    page.locator(select).click()
    page.locator(".v-menu__content.menuable__content__active .v-list-item").filter(
        has_text=re.compile(f"^\\s*{re.escape(item)}")
    ).first.click()


# --------------------------------------------------------------------------- noise bands (issue 16)
NOISE_LINE = re.compile(r"^(Within|Beyond) noise ±[\d.,k]+$")


def test_cards_show_their_noise_band_and_say_within_noise(browser, server):
    """After a lever change settles (or on pause), replicate seeds run in the background: each card says its
    noise is being estimated, then shows its band, and a change inside it reads 'within noise' (words and an
    icon), neither better nor worse. The cards keep their height, and axe still finds nothing serious."""
    session = Session(browser, server, 1366, 768)
    try:
        page = session.page
        session.wait_for_baseline()
        heights = page.locator(".headline-card").evaluate_all("cs => cs.map(c => c.getBoundingClientRect().height)")
        session.choose("speed-select", "25")
        session.play()
        session.wait_weeks(6)
        session.lever("funding_shift_pct", "[role=slider]").focus()
        page.keyboard.press("ArrowRight")  # a small shift: some cards move beyond noise, others not
        session.wait_weeks(60)
        session.pause()
        noise = page.locator(".card-noise[data-noise]")
        expect(noise.first).to_have_attribute("data-noise", re.compile("estimating|within|beyond"))
        page.wait_for_function(
            "document.querySelectorAll(\".card-noise[data-noise='within'], .card-noise[data-noise='beyond']\")"
            ".length >= 5",
            timeout=120_000,
        )
        texts = page.locator(".card-noise[data-noise='within'], .card-noise[data-noise='beyond']").all_inner_texts()
        assert all(NOISE_LINE.match(t.strip()) for t in texts), texts
        within = page.locator(".headline-card:has(.card-noise[data-noise='within'])")
        assert within.count() >= 1, texts
        card = within.first
        assert card.get_attribute("data-verdict") == ""  # within noise: neither better nor worse
        delta = card.locator(".card-delta").inner_text().strip()
        assert re.match(r"^(Higher|Lower): |^Same as baseline$", delta), delta  # never 'Better' or 'Worse'
        assert card.locator(".card-noise").inner_text().strip().startswith("Within noise ±")
        assert card.locator(".card-noise .mdi-approximately-equal").count() == 1  # an icon, not colour alone
        assert "standard deviation" in card.locator(".card-noise").get_attribute("title")
        after = page.locator(".headline-card").evaluate_all("cs => cs.map(c => c.getBoundingClientRect().height)")
        assert after == heights  # no layout jump
        session.screenshot("noise-bands-1366x768")
        findings = axe_findings(page)
        assert findings == [], "axe-core:\n" + "\n".join(findings)
        assert session.errors == []
    finally:
        session.close()
