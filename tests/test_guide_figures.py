"""The script that measures the teacher's guide's figures (``experiments/guide_figures.py``), at a tiny size."""

from __future__ import annotations

import numpy as np
import pytest

from experiments import guide_figures
from experiments.guide_figures import SECTIONS, Estimate, main, report


def _tables(text: str) -> dict[str, list[list[str]]]:
    """{table title: its rows, each a list of cells} for the report's first table under each ``###`` title."""
    tables: dict[str, list[list[str]]] = {}
    title = None
    for line in text.splitlines():
        if line.startswith("### "):
            title = line[4:]
            tables[title] = []
        elif title and line.startswith("|") and not line.startswith("|---"):
            if tables[title] and line.startswith("| year |"):  # a second table (the % one): keep the first only
                title = None
                continue
            tables[title].append([c.strip() for c in line.strip("|").split("|")])
        elif title and tables[title] and not line.startswith("|"):
            title = None
    return tables


@pytest.mark.slow
def test_report_has_a_table_per_comparison_a_row_per_year_and_no_difference_before_the_policy():
    text = report(["funding_shift_core"], population=2_000, years=1, seeds=[1, 2], jobs=1)
    tables = _tables(text)
    assert len(tables) == len(SECTIONS["funding_shift_core"])
    first = tables["`funding_shift_core` minus `baseline`"]
    headings = [guide_figures.FIGURES[name].heading for name in SECTIONS["funding_shift_core"][0].figures]
    assert first[0] == ["year", *headings]
    assert [row[0] for row in first[1:]] == ["0", "whole run"]
    # the shift starts in year 1: in year 0 the paired runs are the same run, so every difference is exactly 0
    assert all(c.startswith("0 ±0") for c in first[1][1:]), first[1]
    # recruitment x0.5 acts from the start: fewer staff in year 0 already, with each seed
    weak = tables["`funding_shift_core` with recruitment x0.5 from the start minus `baseline`"]
    assert weak[1][1].startswith("**-"), weak[1]


def test_beyond_three_standard_errors():
    assert Estimate.of(np.array([1.0, 1.1, 0.9, 1.0])).beyond_3_se
    assert not Estimate.of(np.array([1.0, -1.0, 1.2, -0.8])).beyond_3_se
    assert not Estimate.of(np.array([0.0, 0.0])).beyond_3_se
    assert not Estimate.of(np.array([2.0])).beyond_3_se  # one seed: no standard error


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--population", "10"], ["--population", "10", "1000 to 200000"]),
        (["--seeds", "two"], ["--seeds", "'two'", "1 to 16"]),
        (["--presets", "baseline,nope"], ["--presets", "nope", "funding_shift_core"]),
    ],
)
def test_bad_options_are_refused_naming_flag_value_and_what_is_allowed(argv, words, capsys):
    assert main(argv) == 2
    message = capsys.readouterr().err
    assert all(word in message for word in words), message
