"""One tidy table of a sweep (experiments.tidy, `abm summarize --tidy`).

A tiny sweep (2,000 people, one year, 4 burn-in weeks; 2 points x 2 replicates, weekly
outputs) is tabulated: the tables must hold exactly what each run's own files hold.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from abm import cli
from experiments.design import load_design
from experiments.sweep import run_sweep
from experiments.tidy import run_table, sweep_table, to_xarray

DESIGN = {
    "name": "tidy",
    "population": 2000,
    "years": 1,
    "set": {"burn_in_weeks": 4},
    "replications": 2,
    "seed": 5,
    "outputs": "weekly",
    "factors": {"acute_beds_multiplier": [1.0, 1.3]},
    "outcomes": {"admissions": {"column": "emergency_admissions", "aggregation": "sum"}},
}
WEEKS = 52
FACTORS = {0: 1.0, 1: 1.3}


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("tidy")
    (directory / "design.yaml").write_text(yaml.safe_dump(DESIGN))
    out = directory / "sweep"
    report = run_sweep(load_design(directory / "design.yaml"), out, jobs=1, progress=False)
    assert (report.ok, report.failed) == (4, 0)
    return out


@pytest.fixture(scope="module")
def table(sweep_dir) -> pd.DataFrame:
    return sweep_table(sweep_dir)


def run_dirs(sweep_dir: Path) -> list[Path]:
    return sorted((sweep_dir / "runs").iterdir())


def test_each_run_keeps_every_place_and_the_ics(sweep_dir):
    for run_dir in run_dirs(sweep_dir):
        metrics = pd.read_parquet(run_dir / "metrics.parquet")
        places = list(dict.fromkeys(metrics["place"]))
        assert places[-1] == "ICS" and len(places) >= 3  # the Places, then the ICS
        assert len(metrics) == WEEKS * len(places)


def test_tidy_table_rows_factors_and_metrics(sweep_dir, table):
    places = table["place"].nunique()
    assert len(table) == 4 * WEEKS * places
    assert list(table.columns[:5]) == ["run_id", "point", "replicate", "seed", "acute_beds_multiplier"]
    assert table.groupby(["run_id", "week", "place"]).size().eq(1).all()
    seeds = json.loads((sweep_dir / "sweep.json").read_text())["plan"]["seeds"]
    for run_dir in run_dirs(sweep_dir):
        rows = table[table["run_id"] == run_dir.name].reset_index(drop=True)
        record = json.loads((run_dir / "record.json").read_text())
        assert (rows["point"] == record["point"]).all() and (rows["replicate"] == record["replicate"]).all()
        assert (rows["seed"] == record["seed"]).all() and record["seed"] == seeds[record["replicate"]]
        assert (rows["acute_beds_multiplier"] == FACTORS[record["point"]]).all()
        own = pd.read_parquet(run_dir / "metrics.parquet")
        pd.testing.assert_frame_equal(rows[own.columns], own)


def test_run_table_matches_the_summary_files(sweep_dir):
    runs = run_table(sweep_dir)
    assert len(runs) == 4
    for row in runs.to_dict("records"):
        summary = json.loads((sweep_dir / "runs" / row["run_id"] / "summary.json").read_text())
        assert row["acute_beds_multiplier"] == FACTORS[row["point"]]
        for key, value in {**summary["overall"], **summary["outcomes"]}.items():
            assert row[key] == pytest.approx(value, nan_ok=True), key
    assert "admissions" in runs.columns


def test_xarray_dataset(sweep_dir, table):
    pytest.importorskip("xarray")
    data = to_xarray(sweep_dir)
    places = list(dict.fromkeys(table["place"]))
    assert dict(data.sizes) == {"point": 2, "replicate": 2, "week": WEEKS, "place": len(places)}
    assert list(data["place"].values) == places and list(data["point"].values) == [0, 1]
    assert list(data["acute_beds_multiplier"].values) == [1.0, 1.3]
    assert list(data["seed"].values) == sorted(set(table["seed"]), key=list(table["seed"]).index)
    assert set(data.data_vars) == set(table.columns) - {"run_id", "point", "replicate", "seed"} - {
        "acute_beds_multiplier",
        "week",
        "year",
        "place",
    }
    row = table[(table["point"] == 1) & (table["replicate"] == 0) & (table["week"] == 30) & (table["place"] == "ICS")]
    cell = data.sel(point=1, replicate=0, week=30, place="ICS")
    for column in ("emergency_admissions", "population"):
        assert float(cell[column]) == pytest.approx(float(row[column].iloc[0]))
    assert str(cell["run_id"].values) == row["run_id"].iloc[0] and int(cell["year"]) == 0
    assert np.isfinite(data["emergency_admissions"].values).all()


def test_summarize_tidy_writes_tidy_parquet(sweep_dir, table, tmp_path):
    assert cli.main(["summarize", str(sweep_dir), "--tidy", "--no-plots", "--out", str(tmp_path), "-q"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "tidy.parquet"), table)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "runs.parquet"), run_table(sweep_dir))
    assert not list(tmp_path.glob(".*"))  # no temporary left


def test_tidy_needs_weekly_outputs(tmp_path, capsys):
    design = dict(DESIGN, outputs="annual", replications=1, factors={"acute_beds_multiplier": [1.0]})
    del design["outcomes"]
    (tmp_path / "design.yaml").write_text(yaml.safe_dump(design))
    run_sweep(load_design(tmp_path / "design.yaml"), tmp_path / "sweep", jobs=1, progress=False)
    assert cli.main(["summarize", str(tmp_path / "sweep"), "--tidy", "--no-plots", "-q"]) != 0
    assert "outputs: weekly" in capsys.readouterr().err
    assert not (tmp_path / "sweep" / "summary").exists()
    with pytest.raises(ValueError, match="outputs: weekly"):
        sweep_table(tmp_path / "sweep")
