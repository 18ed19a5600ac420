"""The parameter table: every scenario value, lever and parameter with its evidence.

``abm params`` prints it as aligned text, ``abm params --markdown`` as the Markdown
document that is committed as ``docs/parameters.md`` (``tests/test_docs.py`` fails
when the two differ, or when a parameter has no source).

Each row's ``source`` says where its value comes from, in one of these kinds:

* **evidence**: an EVIDENCE.md figure or mechanism, a seed document and section, or
  DESIGN.md;
* **national statistics**: the approximate NHS England figures EVIDENCE.md lists from
  outside the seeds;
* **calibrated**: set so ``abm validate`` meets a target (the target is named);
* **assumption**: with a one-line reason;
* **not a model parameter**: scenario labels, teaching text and run controls.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections import Counter
from dataclasses import is_dataclass

from abm.config import describe, to_dict
from abm.scenario import PlaceSpec, Scenario

DEFAULT_WIDTH = 100  # columns of `abm params` when not printing to a terminal
MIN_WIDTH = 40

# An assumption must say why in at least this many words after "assumption:".
MIN_REASON_WORDS = 3

_EVIDENCE = re.compile(r"\b00[0-4]\b|mechanism|DESIGN|EVIDENCE")
_NOT_A_PARAMETER = ("scenario metadata", "teaching text", "run control")


def source_kind(source: str) -> str:
    """Which kind of source a row cites (see the module docstring); '' when it cites none."""
    text = source.strip().lower()
    if not text:
        return ""
    if text.startswith(_NOT_A_PARAMETER):
        return "not a model parameter"
    if text.startswith("calibrated"):
        return "calibrated"
    if text.startswith("national statistics"):
        return "national statistics"
    if text.startswith("assumption"):
        return "assumption"
    return "evidence" if _EVIDENCE.search(source) else ""


def source_problem(row: dict) -> str:
    """Why a row's source is not acceptable, or '' when it is."""
    source = row["source"].strip()
    kind = source_kind(source)
    if not kind:
        return f"{row['name']}: source {source!r} names no evidence, calibration target or assumption"
    if kind == "assumption":
        reason = source.partition(":")[2].split()
        if len(reason) < MIN_REASON_WORDS:
            return (
                f"{row['name']}: source {source!r} is an assumption without a reason "
                f"(write 'assumption: <why>', at least {MIN_REASON_WORDS} words)"
            )
    return ""


def format_default(value) -> str:
    """A short readable default: lists of records by their names, other values as written in YAML."""
    if isinstance(value, list) and value and all(is_dataclass(v) for v in value):
        names = [str(getattr(v, "name", type(v).__name__)) for v in value]
        return f"[{', '.join(names)}]"
    if is_dataclass(value):
        value = to_dict(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


def rows() -> list[dict]:
    """Every leaf of a scenario, then the per-Place settings (``places[].*``), defaults formatted."""
    # imported here: abm.calibration needs numpy, pandas and the agents, which `abm --help` does not
    from abm.calibration import CALIBRATED

    every = describe(Scenario) + describe(PlaceSpec, "places[].")
    targets = dict(CALIBRATED)
    return [
        dict(
            r,
            default=format_default(r["default"]),
            calibrated_for=targets.get(r["name"], ""),
            kind="calibrated" if r["name"] in targets else source_kind(r["source"]),
        )
        for r in every
    ]


def section_of(name: str) -> str:
    """The heading a row is filed under in the Markdown document."""
    head, _, rest = name.partition(".")
    if head == "params":
        return f"Parameters: {rest.partition('.')[0].replace('_', ' ')}"
    return {
        "levers": "Levers",
        "places[]": "Per-Place settings (`places:` entries)",
        "story": "Teaching story (`story:`)",
    }.get(head, "Scenario")


def text(table: list[dict] | None = None, width: int | None = None) -> str:
    """Plain text that fits ``width`` columns (default: the terminal's, or 100 when not a terminal).

    One entry per value: its name, default and units on the first line, then its allowed
    values, meaning and source, each wrapped and indented beneath.
    """
    table = rows() if table is None else table
    width = max(MIN_WIDTH, width or shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)

    def fill(line: str, indent: int) -> list[str]:  # continuation lines indented deeper than any field
        return textwrap.wrap(
            line, width, initial_indent=" " * indent, subsequent_indent=" " * 8, break_on_hyphens=False
        )

    lines = fill(
        "Every scenario key, lever and parameter: NAME = DEFAULT (units), then its allowed values, "
        "meaning and source. Set any of them with 'abm run --set NAME=VALUE'.",
        0,
    )
    for r in table:
        units = f"  ({r['units']})" if r["units"] else ""
        lines += ["", *fill(f"{r['name']} = {r['default']}{units}", 0)]
        source = _source_cell(r, markdown=False)
        for label, value in (("allowed", r["allowed"]), ("meaning", r["doc"]), ("source", source)):
            if value:
                lines += fill(f"{label}: {value}", 4)
    return "\n".join(lines)


def _cell(column: str, value) -> str:
    text_ = str(value).replace("|", "\\|").replace("\n", " ")
    return f"`{text_}`" if column in ("name", "default") and text_ else text_


def _source_cell(row: dict, markdown: bool = True) -> str:
    """The source, with the calibration target in front for a calibrated parameter."""
    if row["calibrated_for"] and not row["source"].startswith("calibrated"):
        if not markdown:
            return f"calibrated for {row['calibrated_for']} (abm validate); {row['source']}"
        return f"**calibrated** for {row['calibrated_for']} (`abm validate`); {row['source']}"
    return row["source"]


def _markdown_table(table: list[dict]) -> list[str]:
    columns = ("name", "default", "units", "allowed", "doc")
    headings = ("name", "default", "units", "allowed", "meaning", "source")
    lines = ["| " + " | ".join(headings) + " |", "|" + "|".join("---" for _ in headings) + "|"]
    return lines + [
        "| " + " | ".join([*(_cell(c, r[c]) for c in columns), _cell("source", _source_cell(r))]) + " |" for r in table
    ]


def markdown(table: list[dict] | None = None) -> str:
    """The whole document: what the sources mean, how many of each kind, then a table per section."""
    table = rows() if table is None else table
    kinds = Counter(r["kind"] for r in table)
    lines = [
        "# Parameters, levers and scenario settings",
        "",
        "Generated from the code by `abm params --markdown` (`abm/params_table.py`); do not edit by hand.",
        "`tests/test_docs.py` fails when this file is out of date or when a value has no source.",
        "",
        "Every value a scenario can set, with its default, units, allowed values, meaning and source.",
        "Any of them can be set in a scenario YAML by its dotted name, or on the command line with",
        "`--set NAME=VALUE` (a per-Place setting as `--set places.0.chs_share_pct=15`).",
        "",
        "What the sources mean:",
        "",
        "- **evidence**: an EVIDENCE.md figure or mechanism (numbered), a seed document and section",
        "  (`000` to `004`, in `../shared/seeds/`), or DESIGN.md;",
        "- **national statistics, approximate**: the NHS England figures EVIDENCE.md lists from outside the seeds;",
        "- **calibrated**: tuned so that `abm validate` meets the named target (see `docs/calibration.md`),",
        "  within the range its evidence allows;",
        "- **assumption**: no source gives the number; the reason for the value follows the colon;",
        "- **not a model parameter**: scenario labels, teaching text and run controls.",
        "",
        "| kind of source | values |",
        "|---|---|",
    ]
    order = ("evidence", "national statistics", "calibrated", "assumption", "not a model parameter", "")
    lines += [f"| {kind or 'none (an error)'} | {kinds[kind]} |" for kind in order if kinds[kind]]
    lines.append(f"| all | {len(table)} |")
    lines += [
        "",
        "The calibrated parameters are those in `abm.calibration.CALIBRATED`; each source cell names its target.",
    ]
    sections: dict[str, list[dict]] = {}
    for row in table:
        sections.setdefault(section_of(row["name"]), []).append(row)
    for heading, section in sections.items():
        lines += ["", f"## {heading}", "", *_markdown_table(section)]
    return "\n".join(lines) + "\n"
