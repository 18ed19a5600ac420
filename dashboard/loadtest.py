"""Load test: N real browser sessions playing at once; reports each one's update rate and latency.

    python -m dashboard.loadtest --sessions 30 --seconds 30            # starts its own server
    python -m dashboard.loadtest --sessions 30 --url http://host:8765/  # or measures a running one
    python -m dashboard.loadtest --sessions 30 --seconds 20 --room      # with the facilitator's room page open
    python -m dashboard.loadtest --sessions 30 --room-cost              # the room page's refresh, in CPU ms

Each session is its own browser context (so its own Solara kernel and model) in one
headless Chromium (Debian's, /usr/bin/chromium).  All sessions press Play; a script in
each page records the time of every update (the week counter changing).  Reported:
updates a second per session (mean, slowest, how many reach 2/s), the gaps between
updates (median, 95th percentile), the latency of a lever (time from a key press on a
slider to its marker appearing on the chart, in a few sessions mid-run) and, for a server
started here, the CPU it used per update (from /proc): the figure that says how many
sessions a given number of cores can serve when the browsers run elsewhere.

With ``--room`` the facilitator's room page (``/room``) is open too while the sessions play
(``--room-url`` gives its address when the server has a facilitator code: the facilitator's
link); its refreshes a second and the gaps between them (it asks for one every
``dashboard.facilitator.REFRESH_SECONDS``) are reported, and the server's CPU then includes the room's.

``--room-cost`` measures instead, in this process and in CPU time (so what else runs on the machine does not
count), what one refresh of the room page costs the server with ``--sessions`` groups playing.

The browsers run on the same machine as the server, so on a small machine they take
CPU from it: the figure is pessimistic for a workshop where participants use their own
laptops.  Say what else was running when you quote a figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from dashboard.cli import server_command, server_env
from dashboard.limits import Limits

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RECORDER = """() => {
  window.__updates = [];
  let last = null;
  setInterval(() => {
    const el = document.querySelector('.run-status');
    const weeks = el && el.getAttribute('data-weeks');
    if (weeks !== last) { window.__updates.push(performance.now()); last = weeks; }
  }, 20);
}"""


async def open_session(browser, url: str):
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await page.goto(url)
    await page.locator(".run-status").filter(has_text="Year 0").wait_for(timeout=180_000)
    await page.locator(".card-vacancies").wait_for(timeout=60_000)
    return context, page


ROOM_RECORDER = """() => {
  window.__refreshes = [];
  let last = null;
  setInterval(() => {
    const el = document.querySelector('table.room-table tbody');
    const text = el && el.innerText;
    if (text !== last) { window.__refreshes.push(performance.now()); last = text; }
  }, 50);
}"""


async def open_room(browser, url: str):
    """The facilitator's room page, recording each change of its table."""
    context = await browser.new_context(viewport={"width": 1920, "height": 1080})
    page = await context.new_page()
    await page.goto(url)
    await page.locator("table.room-table").wait_for(timeout=60_000)
    await page.evaluate(ROOM_RECORDER)
    return page


def room_url_of(url: str) -> str:
    """The room page of the dashboard at ``url`` (its query kept: a room code joins there too)."""
    base, _, query = url.partition("?")
    return base.rstrip("/") + "/room" + (f"?{query}" if query else "")


async def weeks_of(page) -> int:
    return int(await page.locator(".run-status").get_attribute("data-weeks"))


async def lever_latency(page) -> float:
    """Seconds from a key press on a lever to its marker on the admissions chart."""
    markers = page.locator("svg[data-chart='admissions'] .lever-marker")
    before = await markers.count()
    await page.locator(".lever-funding_shift_pct [role=slider]").focus()
    start = time.perf_counter()
    await page.keyboard.press("ArrowRight")
    await page.wait_for_function(
        "n => document.querySelectorAll(\"svg[data-chart='admissions'] .lever-marker\").length > n",
        arg=before,
        timeout=30_000,
        polling=20,
    )
    return time.perf_counter() - start


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system) a process has used, from /proc (Linux); None if unknown."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    url: str, sessions: int, seconds: float, server_pid: int | None = None, room_url: str | None = None
) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        opened = []
        for start in range(0, sessions, 5):  # open in small batches so page loads do not time out
            batch = range(start, min(start + 5, sessions))
            opened += await asyncio.gather(*[open_session(browser, url) for _ in batch])
        pages = [page for _, page in opened]
        room = await open_room(browser, room_url) if room_url else None
        for page in pages:
            await page.evaluate(RECORDER)
        await asyncio.gather(*[page.locator(".btn-play").click() for page in pages])
        await asyncio.sleep(1.0)  # let every session start
        weeks0 = [await weeks_of(page) for page in pages]
        starts = [await page.evaluate("performance.now()") for page in pages]
        room_start = await room.evaluate("performance.now()") if room is not None else 0.0  # its own clock
        t0 = time.perf_counter()
        cpu0 = cpu_seconds(server_pid)
        await asyncio.sleep(seconds)
        cpu = cpu_seconds(server_pid)
        wall = time.perf_counter() - t0
        weeks1 = [await weeks_of(page) for page in pages]
        results = [await page.evaluate("window.__updates") for page in pages]
        refreshes = await room.evaluate("window.__refreshes") if room is not None else None
        # then the lever latency, in a few sessions at once, while all the others still play
        latencies = await asyncio.gather(
            *[lever_latency(page) for page in pages[: min(5, len(pages))]], return_exceptions=True
        )
        await browser.close()
    served = [(b - a) / wall for a, b in zip(weeks0, weeks1, strict=True)]
    rates, gaps = [], []
    for times, start in zip(results, starts, strict=True):
        times = [t / 1000 for t in times if start <= t <= start + 1000 * wall]  # the measured window only
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        rates.append((len(times) - 1) / span if span > 0 else 0.0)
        gaps += [b - a for a, b in itertools.pairwise(times)]
    total_weeks = sum(b - a for a, b in zip(weeks0, weeks1, strict=True))
    gaps.sort()
    measured = [t / 1000 for t in refreshes or [] if room_start <= t <= room_start + 1000 * wall]
    room_gaps = sorted(b - a for a, b in itertools.pairwise(measured))
    return {
        "sessions": sessions,
        "seconds": seconds,
        "room_page_open": room_url is not None,
        "room_page_refreshes_per_second": round(len(measured) / wall, 2) if room_url else None,
        "room_page_refresh_gap_median_s": round(room_gaps[len(room_gaps) // 2], 2) if room_gaps else None,
        "room_page_refresh_gap_max_s": round(room_gaps[-1], 2) if room_gaps else None,
        "updates_per_second_mean": round(statistics.mean(rates), 2),
        "updates_per_second_slowest": round(min(rates), 2),
        "sessions_at_2_per_second": sum(r >= 2.0 for r in rates),
        "update_gap_median_s": round(gaps[len(gaps) // 2], 3) if gaps else None,
        "update_gap_p95_s": round(gaps[int(len(gaps) * 0.95)], 3) if gaps else None,
        "lever_latency_s": [round(x, 3) if isinstance(x, float) else "over 30 s" for x in latencies],
        "weeks_per_second_served_mean": round(statistics.mean(served), 2),
        "server_cpu_cores_used": round((cpu - cpu0) / wall, 2) if cpu0 is not None and cpu is not None else None,
        "server_cpu_ms_per_week_played": (
            round(1000 * (cpu - cpu0) / max(1, total_weeks), 1) if cpu0 is not None and cpu is not None else None
        ),
    }


def room_refresh_cost(sessions: int, population: int, refreshes: int = 20, weeks: int = 2) -> dict:
    """The server's CPU time for one refresh of the room page, measured in this process (so other load on the
    machine does not count): ``sessions`` runs of ``population`` people register in a room; before each refresh
    every run plays ``weeks`` weeks (so no row is kept from the refresh before), then the page's table is built
    from the registry's rows and two groups' overlay charts are drawn, as :func:`dashboard.facilitator.RoomView`
    does every ``REFRESH_SECONDS``. The burn-in is cut to 8 weeks: the refresh reads the recorded weeks only."""
    from dashboard import svg
    from dashboard.facilitator import REFRESH_SECONDS, overlay_specs, table_html
    from dashboard.registry import Registry, sort_rows
    from dashboard.state import SessionRunner, Settings

    room = Registry()
    runners = []
    for seed in range(1, sessions + 1):
        settings = Settings.from_preset("baseline", population=population, seed=seed)
        settings.scenario["burn_in_weeks"] = 8
        runner = SessionRunner(settings, pool=None)
        runner.reset()
        runner.advance(26)
        runners.append(runner)
        room.add(runner)
    ids = room.ids()
    table, overlay = [], []
    for _ in range(refreshes):
        for runner in runners:
            runner.advance(weeks)
        start = time.process_time()
        rows = room.rows()
        html = table_html(sort_rows(rows, "admissions"), "admissions")
        middle = time.process_time()
        runs = [(room.group(i), *room.weekly(i)) for i in ids[:2]]
        charts = [svg.render(spec) for spec in overlay_specs(runs)]
        table.append(middle - start)
        overlay.append(time.process_time() - middle)
    per_refresh = statistics.median(table) + statistics.median(overlay)
    return {
        "sessions": sessions,
        "population": population,
        "refreshes": refreshes,
        "table_ms_median": round(1000 * statistics.median(table), 2),
        "overlay_ms_median": round(1000 * statistics.median(overlay), 2),
        "table_html_kb": round(len(html) / 1024, 1),
        "overlay_svg_kb": round(sum(len(c) for c in charts) / 1024, 1),
        "room_cpu_share_of_a_core": round(per_refresh / REFRESH_SECONDS, 4),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_server(population: int | None, years: int | None):
    """A dashboard server on a free local port for the duration of a ``with`` block; yields (url, pid)."""
    port = free_port()
    defaults = Limits()  # raised where the measured sessions need more
    limits = Limits(population=max(defaults.population, population or 0), years=max(defaults.years, years or 0))
    server = subprocess.Popen(
        server_command("127.0.0.1", port),
        env=server_env(population, years, limits=limits),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        yield url, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long every session plays while measured")
    parser.add_argument("--url", help="a running dashboard (default: start one here)")
    parser.add_argument("--population", type=int, help="population per session for a server started here")
    parser.add_argument(
        "--years",
        type=int,
        default=10,
        help="horizon for a server started here (default 10, so no session finishes while measured)",
    )
    parser.add_argument("--room", action="store_true", help="keep the facilitator's room page open while measuring")
    parser.add_argument("--room-url", help="the room page's address (the facilitator's link); implies --room")
    parser.add_argument(
        "--room-cost",
        action="store_true",
        help="measure the room page's refresh in this process (CPU ms; --sessions runs of --population people) "
        "instead of the browsers' rates",
    )
    args = parser.parse_args(argv)
    if args.room_cost:
        from dashboard.state import WORKSHOP_POPULATION

        print(json.dumps(room_refresh_cost(args.sessions, args.population or WORKSHOP_POPULATION), indent=2))
        return 0
    if args.url:
        room_url = args.room_url or (room_url_of(args.url) if args.room else None)
        result = asyncio.run(measure(args.url, args.sessions, args.seconds, room_url=room_url))
    else:
        with local_server(args.population, args.years) as (url, pid):
            room_url = args.room_url or (room_url_of(url) if args.room else None)
            result = asyncio.run(measure(url, args.sessions, args.seconds, pid, room_url))
    print(json.dumps(result, indent=2))
    return 0 if result["sessions_at_2_per_second"] == args.sessions else 1


if __name__ == "__main__":
    sys.exit(main())
