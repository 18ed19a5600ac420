"""The README's picture of the dashboard, made the way a participant would see it.

    python -m dashboard.screenshot --out docs/images/dashboard.png

Starts a server (the workshop's 20,000 people a session), opens the page in headless Chromium (Debian's,
/usr/bin/chromium) at a laptop's 1366x768, chooses the ``funding_shift_core`` story, plays two
years, raises the recruitment lever during play (so a marker shows on the charts), plays on to
the end of year 3, waits for the cards' noise bands, shows the CHS tab beside the lever, points at
the workforce chart (its read-out of the week's values) and saves the page. The run is the story's own seed, so the
picture is repeatable up to the moment of the lever press.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from dashboard.limits import DEFAULT_POPULATION
from dashboard.loadtest import ARGS, CHROMIUM, local_server
from dashboard.words import preset_title

STORY = "funding_shift_core"


def take(url: str, out: Path, width: int = 1366, height: int = 768) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        status = page.locator(".run-status")
        status.filter(has_text="Year 0").wait_for(timeout=120_000)
        page.locator(".preset-select").click()
        page.locator(".v-menu__content.menuable__content__active .v-list-item").filter(
            has_text=re.compile(f"^\\s*{preset_title(STORY)}(\\s|$)")
        ).click()
        page.locator(".story").filter(has_text=f"Story: {preset_title(STORY)}").wait_for(timeout=60_000)
        page.wait_for_function(
            "!document.querySelector('.baseline-label').innerText.includes('computing')", timeout=120_000
        )
        page.locator(".speed-select").click()
        page.locator(".v-menu__content.menuable__content__active .v-list-item").filter(
            has_text=re.compile(r"^\s*25\s*$")
        ).click()
        page.locator(".btn-play").click()
        status.filter(has_text="Year 2").wait_for(timeout=120_000)
        page.locator(".v-expansion-panel-header").filter(has_text="Workforce").click()
        page.locator(".lever-recruitment_multiplier [role=slider]").focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")  # recruitment up, while playing
        status.filter(has_text="Year 3").wait_for(timeout=120_000)
        page.locator(".btn-pause").click()
        page.locator(".btn-play").wait_for()
        page.wait_for_function(  # the cards' noise bands (replicate seeds run in the background once paused)
            "document.querySelectorAll(\".card-noise[data-noise='within'], .card-noise[data-noise='beyond']\")"
            ".length >= 6",
            timeout=300_000,
        )
        page.locator(".story-next").click()  # the story's second step
        page.locator(".v-tab").filter(has_text="CHS").click()
        chart = page.locator("svg[data-chart='workforce']")
        chart.wait_for()
        box = chart.bounding_box()
        assert box is not None, "the workforce chart is not drawn"
        page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.55)
        page.wait_for_timeout(800)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images/dashboard.png"))
    parser.add_argument("--url", help="a running dashboard (default: start one here)")
    parser.add_argument(
        "--population", type=int, default=DEFAULT_POPULATION, help="population of a server started here"
    )
    args = parser.parse_args(argv)
    if args.url:
        take(args.url, args.out)
    else:
        with local_server(args.population, 5) as (url, _):
            take(url, args.out)
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
