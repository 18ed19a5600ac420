"""A picture of this year's patient flows: home, GP, CHS, virtual ward, ED, hospital, delayed discharge.

Boxes are settings, labelled with the people in them in the latest week (per 1,000
residents); arrows are this reporting year's flows (events so far, per 1,000), with
widths growing with the flow.  Drawn as SVG like the time charts.
"""

from __future__ import annotations

from html import escape

import numpy as np

from abm.units import DAYS_PER_WEEK, WEEKS_PER_YEAR
from dashboard.figures import COL, ICS

WIDTH, HEIGHT = 980, 400
LIST_X = 720  # the numbered list of flows sits right of the diagram
FONT = "font-family='Roboto, Arial, sans-serif'"

# setting: (x, y) of the box centre, title, colour
NODES = {
    "home": (80, 205, "Home", "#dfe9f5"),
    "gp": (270, 85, "GP", "#e3f1e3"),
    "chs": (480, 85, "Community (CHS)", "#d7efe7"),
    "vw": (480, 205, "Virtual ward", "#e2f0f9"),
    "ed": (270, 325, "ED", "#fbe7d3"),
    "hospital": (480, 325, "Hospital bed", "#f6dcdc"),
    "delayed": (640, 325, "Delayed discharge", "#f3d9ea"),
}
BOX_W, BOX_H = 136, 58


def flow_figures(data: np.ndarray) -> tuple[dict, dict, int]:
    """(people per setting in the latest week, flows this year so far, weeks of this year), ICS, per 1,000."""
    weeks = data.shape[0]
    if weeks == 0:
        return {}, {}, 0
    latest = data[-1, ICS]
    this_year = data[(weeks - 1) // WEEKS_PER_YEAR * WEEKS_PER_YEAR :, ICS]
    people = max(float(latest[COL["population"]]), 1.0)

    def stock(*names):
        return sum(float(latest[COL[n]]) for n in names) / people * 1000

    def flow(name):
        return float(this_year[:, COL[name]].sum()) / people * 1000

    in_care = (
        stock(
            "gp_waiting",
            "gp_managed",
            "chs_caseload",
            "chs_waiting",
            "virtual_ward_patients",
            "corridor_care",
            "inpatients",
        )
        + float(latest[COL["delayed_discharge_bed_days"]]) / DAYS_PER_WEEK / people * 1000
    )
    stocks = {
        "home": 1000 - in_care,
        "gp": stock("gp_waiting", "gp_managed"),
        "chs": stock("chs_caseload", "chs_waiting"),
        "vw": stock("virtual_ward_patients"),
        "ed": stock("corridor_care"),
        "hospital": stock("inpatients"),
        "delayed": float(latest[COL["delayed_discharge_bed_days"]]) / DAYS_PER_WEEK / people * 1000,
    }
    flows = {
        ("home", "gp"): ("GP appointments", flow("gp_appointments")),
        ("gp", "chs"): ("referrals to CHS", flow("chs_referrals")),
        ("home", "ed"): ("ED attendances", flow("ed_attendances")),
        ("ed", "hospital"): ("emergency admissions", flow("emergency_admissions")),
        ("gp", "hospital"): ("GP referrals to hospital", flow("gp_hospital_referrals")),
        ("home", "chs"): ("2-hour urgent responses", flow("ucr_responses")),
        ("hospital", "delayed"): ("delayed bed-days", flow("delayed_discharge_bed_days")),
    }
    return stocks, flows, this_year.shape[0]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _edge_points(a, b):
    """Start and end of an arrow between two boxes' edges."""
    (x1, y1), (x2, y2) = NODES[a][:2], NODES[b][:2]
    dx, dy = x2 - x1, y2 - y1
    scale = min((BOX_W / 2 + 4) / abs(dx) if dx else np.inf, (BOX_H / 2 + 4) / abs(dy) if dy else np.inf)
    return x1 + dx * scale, y1 + dy * scale, x2 - dx * scale, y2 - dy * scale


def render(data: np.ndarray, year: int) -> str:
    """The flow picture for the latest reporting year in ``data``."""
    stocks, flows, weeks = flow_figures(data)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {WIDTH} {HEIGHT}' width='100%' role='img' "
        f"aria-label='patient flows' data-chart='flows'>",
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='11' markerHeight='11' "
        "markerUnits='userSpaceOnUse' "
        "orient='auto-start-reverse'><path d='M 0 0 L 10 5 L 0 10 z' fill='#666'/></marker></defs>",
        f"<rect width='{WIDTH}' height='{HEIGHT}' fill='white'/>",
        f"<text x='10' y='18' font-size='14' font-weight='600' {FONT}>Patient flows, year {year} "
        f"({weeks} week(s) so far)</text>",
        f"<text x='10' y='{HEIGHT - 8}' font-size='11' fill='#444' {FONT}>Boxes: people there in the latest week, "
        f"per 1,000 residents. Numbered arrows: this year's events so far (list on the right); "
        f"width grows with the flow.</text>",
    ]
    biggest = max([v for _, v in flows.values()] + [1.0])
    parts.append(
        f"<text x='{LIST_X}' y='60' font-size='12' font-weight='600' {FONT}>This year, per 1,000 residents</text>"
    )
    for number, ((a, b), (label, value)) in enumerate(flows.items(), start=1):
        x1, y1, x2, y2 = _edge_points(a, b)
        width = 1 + 7 * np.sqrt(value / biggest)
        parts.append(
            f"<line x1='{x1:.0f}' y1='{y1:.0f}' x2='{x2:.0f}' y2='{y2:.0f}' stroke='#9a9a9a' "
            f"stroke-width='{width:.1f}' marker-end='url(#arrow)' opacity='0.8'/>"
        )
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        parts.append(
            f"<circle cx='{mx:.0f}' cy='{my:.0f}' r='9' fill='#444'/><text x='{mx:.0f}' y='{my + 4:.0f}' "
            f"font-size='11' text-anchor='middle' fill='white' {FONT}>{number}</text>"
        )
        y = 60 + 24 * number
        parts.append(
            f"<circle cx='{LIST_X + 9}' cy='{y - 4}' r='9' fill='#444'/><text x='{LIST_X + 9}' y='{y}' "
            f"font-size='11' text-anchor='middle' fill='white' {FONT}>{number}</text>"
            f"<text x='{LIST_X + 24}' y='{y}' font-size='12' fill='#333' {FONT} data-flow='{a}-{b}'>"
            f"{escape(label)}: <tspan font-weight='600'>{_fmt(value)}</tspan></text>"
        )
    for key, (x, y, title, colour) in NODES.items():
        parts.append(
            f"<rect x='{x - BOX_W / 2}' y='{y - BOX_H / 2}' width='{BOX_W}' height='{BOX_H}' rx='8' "
            f"fill='{colour}' stroke='#777'/>"
            f"<text x='{x}' y='{y - 6}' font-size='12' font-weight='600' text-anchor='middle' {FONT}>"
            f"{escape(title)}</text>"
            f"<text x='{x}' y='{y + 14}' font-size='11' text-anchor='middle' fill='#333' {FONT} "
            f"data-node='{key}'>{_fmt(stocks.get(key, 0.0))} per 1,000</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
