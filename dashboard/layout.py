"""What every page of the dashboard shares: its accessibility rules, its headings and its set-up in the browser
(the participant's page, ``dashboard/app.py``, and the facilitator's room page, ``dashboard/facilitator.py``)."""

from __future__ import annotations

from collections.abc import Callable

import solara

# Accessibility (issue 16): a focus ring wherever the keyboard is, the skip link hidden until focused, a
# class for text only screen readers see, and headings that fit the page's sizes.
A11Y_CSS = """
:focus-visible { outline: 3px solid #0B5CAD !important; outline-offset: 2px !important; }
[role=slider]:focus-visible { outline: none !important; }
[role=slider]:focus-visible .v-slider__thumb { box-shadow: 0 0 0 3px white, 0 0 0 6px #0B5CAD; }
a.skip-link { position: absolute; left: 8px; top: -200px; z-index: 10000; padding: 8px 14px; background: white;
              color: #0B5CAD; font: 600 15px Roboto, Arial, sans-serif; border: 2px solid #0B5CAD; border-radius: 4px; }
a.skip-link:focus { top: 8px; }
.sr-only { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
           clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
h1.page-title { font-size: inherit; font-weight: inherit; margin: 0; line-height: inherit; white-space: nowrap;
                overflow: hidden; text-overflow: ellipsis; }
h2.region-heading, .v-navigation-drawer h2 { font-size: 16px; font-weight: 600; margin: 6px 0 4px 0; }
"""


NARROW_QUERY = "(max-width: 599px)"  # a phone: charts drawn for its width (dashboard.svg.NARROW)


@solara.component_vue("page_setup.vue")
def PageSetup(
    lang: str,
    target: str,
    skip_text: str,
    sidebar_button: str,
    sidebar_name: str,
    narrow_query: str = NARROW_QUERY,
    event_narrow: Callable[[bool], None] | None = None,
):
    """Sets the page's ``lang`` and zoomable viewport, names the sidebar and its button, puts the skip link to
    the run controls first on the page, and on a phone closes the sidebar at the start, with its close button,
    Escape or a tap beside it. Names each select's list from the select's label while its menu is open. Tells
    ``event_narrow`` whether the page matches ``narrow_query`` (at the start and whenever that changes)."""


def heading(text: str, level: int = 2, id: str | None = None, classes: list[str] | None = None):
    """A real heading (h1/h2) for a region of the page."""
    attributes = {"id": id, "tabindex": "-1"} if id else {}
    return solara.HTML(
        tag=f"h{level}", unsafe_innerHTML=text, classes=classes or ["region-heading"], attributes=attributes
    )
