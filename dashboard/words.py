"""The dashboard's words for levers and presets: what a workshop reads, with no code names.

``policies.levers`` declares each lever (its name, units, range and ``help``); this module says
them as people do: a label ('Acute beds multiplier'), a value ('1.5×', '3%', 'year 1', 'on'),
what it may be ('0.3× to 3× the usual; usually 1×') and a preset's title ('Funding shift core').
No Solara here, so the charts' marker labels use it too.
"""

from __future__ import annotations

import functools

from policies.levers import lever_table

WORDS = {"chs": "CHS", "ics": "ICS", "gp": "GP", "addon": "add-on", "pct": "%"}


def title_words(name: str) -> str:
    """'case_study_ics' -> 'Case study ICS'; 'addon_virtual_wards' -> 'Add-on virtual wards'."""
    text = " ".join(WORDS.get(w, w) for w in name.split("_"))
    return text[:1].upper() + text[1:]


def lever_label(row: dict) -> str:
    """A readable name: 'acute_beds_multiplier' -> 'Acute beds multiplier'."""
    return title_words(row["name"])


def preset_title(name: str) -> str:
    """A preset's name in words ('funding_shift_core' -> 'Funding shift core'); an uploaded scenario's label
    ('uploaded: my_file') is left as it is."""
    return name if ":" in name or " " in name else title_words(name)


def lever_value(row: dict, value) -> str:
    """A lever's value as people say it: '3%', '1.5×', 'year 1', '2 years', 'on', 'block'."""
    if isinstance(row["default"], bool):
        return "on" if value else "off"
    if row["choices"] or not isinstance(value, int | float):
        return str(value)
    units, number = row["units"], f"{value:g}"
    if units.startswith("%"):
        return f"{number}%"
    if units == "x default":
        return f"{number}×"
    if units.startswith("reporting year"):
        return f"year {number}"
    if units == "years":
        return f"{number} year" + ("" if value == 1 else "s")
    return number


def lever_range(row: dict) -> str:
    """What a lever may be, in words, and its usual value: '-10% to 10% of the acute allocation a year; usually
    0%', '0.3× to 3× the usual; usually 1×', 'block, activity or outcome; usually block', 'on or off; ...'."""
    usual = f"usually {lever_value(row, row['default'])}"
    if isinstance(row["default"], bool):
        return f"on or off; {usual}"
    if row["choices"]:
        *first, last = (str(c) for c in row["choices"])
        return f"{', '.join(first)} or {last}; {usual}"
    if row["lo"] is None or row["hi"] is None:
        return usual
    lo, hi = lever_value(row, row["lo"]), lever_value(row, row["hi"])
    units = row["units"]
    if units.startswith("%"):
        allowed = f"{lo} to {hi} {units[1:].strip()}".rstrip()
    elif units == "x default":
        allowed = f"{lo} to {hi} the usual"
    elif units.startswith("reporting year"):
        allowed = f"{lo} to {hi}"
    elif units == "years":
        allowed = f"{row['lo']:g} to {hi}"
    else:  # '0-1 (share of core CHS impact visible)', 'share of practices'
        what = units.removeprefix("0-1").strip().strip("()")
        allowed = f"{lo} to {hi} ({what})" if what else f"{lo} to {hi}"
    return f"{allowed}; {usual}"


def lever_tooltip(row: dict) -> str:
    """What the lever does, in a workshop's words, and the evidence behind it."""
    return f"{row['help'] or row['doc']}\n\nEvidence: {row['source']}"


def lever_change(name: str, value) -> str:
    """A lever change in words: 'Acute beds multiplier set to 0.3×' (an unknown name is said as it is)."""
    row = _lever_rows().get(name)
    if row is None:
        return f"{name} set to {value}"
    return f"{lever_label(row)} set to {lever_value(row, value)}"


@functools.cache
def _lever_rows() -> dict[str, dict]:
    """Each lever's row of :func:`policies.levers.lever_table`, by name (built once: the levers are declared in
    code; a marker label or a room-page row asks for them at every update)."""
    return {row["name"]: row for row in lever_table()}
