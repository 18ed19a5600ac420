"""The declared table of outputs (abm/outputs.py): sound, and the one source every consumer reads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm import invariants, metrics, outputs, runner
from abm.outputs import OUTPUTS, SUMMARY_KEYS, Ics, Kind, Summary

ROOT = Path(__file__).resolve().parent.parent


def test_the_table_is_sound():
    assert outputs.problems() == []


def test_the_names_are_the_metrics_columns_in_order():
    assert tuple(o.name for o in OUTPUTS) == metrics.COLUMNS == outputs.COLUMNS
    recorder = metrics.MetricsRecorder(["North", "South"], 2)
    recorder.recorded = 1  # one (empty) week
    frame = recorder.frame()
    assert list(frame.columns) == ["week", "year", "place", *outputs.COLUMNS]


def test_every_output_has_units_label_kind_and_doc():
    for o in OUTPUTS:
        assert o.units.strip() and o.label.strip() and o.doc.strip(), o.name
        assert isinstance(o.kind, Kind) and isinstance(o.ics, Ics), o.name


def test_a_table_with_a_fault_is_caught(monkeypatch):
    bad = outputs.Output("odd_share", "share of something", "odd", Kind.SHARE, outputs.Source.FORMULA, "a share")
    monkeypatch.setattr(outputs, "OUTPUTS", (*OUTPUTS, bad))
    found = outputs.problems()
    assert any("odd_share: a share cannot be summed over Places" in p for p in found)


def synthetic_metrics(weeks: int = 60) -> pd.DataFrame:
    """ICS rows of made-up positive values (no model run)."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.uniform(1, 100, size=(weeks, len(outputs.COLUMNS))), columns=outputs.COLUMNS)
    frame["population"] = 1000.0
    frame.insert(0, "place", "ICS")
    frame.insert(0, "year", np.arange(weeks) // 52)
    frame.insert(0, "week", np.arange(weeks))
    return frame


def test_the_summary_keys_and_figures_derive_from_the_table():
    frame = synthetic_metrics()
    summary = runner.summarise(frame)
    year = summary["years"][0]
    assert list(year) == ["year", "weeks", *SUMMARY_KEYS]
    assert list(summary["overall"]) == list(SUMMARY_KEYS)
    rows = frame[frame["year"] == 0]
    for o in outputs.SUMMARY:
        value = year[o.summary_key]
        column = rows[o.name]
        if o.summary is Summary.RATIO:
            expected = rows[list(o.numerator)].to_numpy().sum() / rows[list(o.denominator)].to_numpy().sum()
        else:
            expected = {
                Summary.PER_1000: column.sum() / 1000 * 1000,
                Summary.PER_PERSON: column.sum() / 1000,
                Summary.MEAN: column.mean(),
                Summary.TOTAL: column.sum(),
            }[o.summary]
        assert value == pytest.approx(expected), o.name
    short = summary["years"][1]  # 8 weeks, annualised
    assert short["deaths"] == pytest.approx(frame[frame["year"] == 1]["deaths"].sum() * 52 / 8)


def test_summary_keys_keep_the_order_of_summary_json():
    assert SUMMARY_KEYS[0] == outputs.DENOMINATOR == "population"
    assert SUMMARY_KEYS.index("chs_contacts_per_person") < SUMMARY_KEYS.index("bed_occupancy")
    assert SUMMARY_KEYS.index("deaths") < SUMMARY_KEYS.index("delayed_discharge_bed_days")
    assert SUMMARY_KEYS[-1] == "chs_share_of_spend"


def test_every_consumer_list_is_computed_from_the_table():
    from dashboard import charts, figures
    from experiments import design, plots

    assert design.OUTCOMES == SUMMARY_KEYS
    assert set(design.DEFAULT_OUTCOMES) <= set(SUMMARY_KEYS)
    assert {key for key, *_ in runner.HEADLINES} <= set(SUMMARY_KEYS)
    assert {o.name for o in OUTPUTS if o.signed} == invariants.SIGNED_COLUMNS
    assert tuple(o.name for o in OUTPUTS if o.source is outputs.Source.EVENT) == metrics.EVENT_COLUMNS
    assert set(metrics.HEAD_COUNTS) == {o.name for o in OUTPUTS if o.source is outputs.Source.CENSUS}
    assert tuple(o.name for o in OUTPUTS if o.part_of == "unmet_need") == metrics.UNMET_COLUMNS
    assert [name for name, _ in charts.UNMET_KINDS] == list(metrics.UNMET_COLUMNS)
    assert [name for name, _ in charts.SPEND] == [o.name for o in OUTPUTS if o.name.startswith("spend_")]
    for card in figures.CARDS:
        assert card.title == outputs.by_name(card.output).title
    for key in SUMMARY_KEYS:
        assert plots.outcome_label(key).startswith(outputs.BY_SUMMARY_KEY[key].label)


NEW_OUTPUT = """
    Output(
        "home_visits", "visits", "home visits", Kind.COUNT, Source.EVENT, "visits at home in the week",
        summary=Summary.PER_1000,
    ),
)
"""


def test_one_declaration_is_enough_for_a_new_column_and_its_summary(tmp_path):
    """Append a declaration to a copy of the table: the column, its event tally, its summary key,
    a design's outcomes and the documentation all follow, with nothing else edited."""
    source = (ROOT / "abm" / "outputs.py").read_text()
    end = source.index("\n)\n", source.index("OUTPUTS: tuple[Output, ...] = ("))
    (tmp_path / "outputs.py").write_text(source[:end] + NEW_OUTPUT + source[end + 3 :])
    check = textwrap.dedent(
        f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("abm.outputs", {str(tmp_path / "outputs.py")!r})
        module = importlib.util.module_from_spec(spec)
        sys.modules["abm.outputs"] = module
        spec.loader.exec_module(module)
        import abm
        abm.outputs = module
        from abm import metrics, runner
        from experiments import design
        assert metrics.COLUMNS[-1] == "home_visits"
        assert "home_visits" in metrics.Events(2).counts
        assert "home_visits_per_1000" in design.OUTCOMES
        assert "`home_visits`" in module.markdown()
        recorder = metrics.MetricsRecorder(["North"], 1)
        recorder.recorded = 1
        assert list(recorder.frame().columns)[-1] == "home_visits"
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"
