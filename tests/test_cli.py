"""The `abm` command line and the runner (abm.cli, abm.runner).

Runs are small (5,000 people, one year, 8 burn-in weeks) so the whole file takes seconds.
Most tests call ``abm.cli.main`` in-process; a few run real subprocesses to check the
entry points, exit codes and stderr as a user sees them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm import cli, params_table, runner
from abm.config import ConfigError
from tests.conftest import REQUIRED_COLUMNS

FAST = ["--population", "5000", "--years", "1", "--set", "burn_in_weeks=8", "--quiet"]
WEEKS = 52
PLACES = 3  # the baseline's Places; the tables add "ICS"
OUTPUT_FILES = [
    "metrics.parquet",
    "metrics.csv",
    "metrics_by_group.parquet",
    "metrics_by_group.csv",
    "summary.json",
    "run.json",
]


def run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m abm ARGS`` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "abm", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """One real `python -m abm run` shared by the output-file tests."""
    out = tmp_path_factory.mktemp("run") / "out"
    done = run_module("run", *FAST, "--seed", "7", "--out", str(out), cwd=out.parent)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    return out


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


# --------------------------------------------------------------------------- outputs
def test_run_writes_every_file_and_no_temporaries(run_dir):
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(OUTPUT_FILES)


def test_metrics_columns_and_rows(run_dir):
    metrics = read_csv(run_dir / "metrics.csv")
    missing = [c for c in REQUIRED_COLUMNS if c not in metrics.columns]
    assert not missing
    assert len(metrics) == WEEKS * (PLACES + 1)
    assert sorted(metrics["place"].unique()) == sorted(["North", "Central", "South", "ICS"])
    assert metrics["week"].min() == 0 and metrics["week"].max() == WEEKS - 1
    assert set(metrics["year"]) == {0}


def test_parquet_equals_csv(run_dir):
    for stem in ("metrics", "metrics_by_group"):
        from_csv = read_csv(run_dir / f"{stem}.csv")
        from_parquet = pd.read_parquet(run_dir / f"{stem}.parquet")
        assert list(from_parquet.columns) == list(from_csv.columns)
        pd.testing.assert_frame_equal(from_parquet, from_csv, check_dtype=False)


def test_group_table(run_dir):
    groups = read_csv(run_dir / "metrics_by_group.csv")
    assert {
        "week",
        "year",
        "age_band",
        "deprivation_quintile",
        "population",
        "unmet_need",
        "emergency_admissions",
    } <= set(groups.columns)
    assert len(groups) == WEEKS * 25


def test_run_json_records_scenario_seed_versions(run_dir):
    info = json.loads((run_dir / "run.json").read_text())
    assert info["seed"] == 7
    assert info["scenario"]["seed"] == 7
    assert info["scenario"]["population"] == 5000
    assert info["scenario"]["burn_in_weeks"] == 8
    assert info["scenario"]["levers"]["acute_beds_multiplier"] == 1.0
    assert {"python", "numpy", "pandas", "mesa", "abm"} <= set(info["versions"])
    assert all(info["versions"][k] for k in ("python", "numpy", "pandas", "mesa", "abm"))
    assert set(info["git"]) == {"revision", "dirty"}
    assert "--seed 7" in info["command"]
    assert info["started"] <= info["finished"] and info["wall_seconds"] >= 0


def test_a_run_json_reruns_that_run_exactly(run_dir, tmp_path):
    """``abm run DIR/run.json`` reruns the recorded scenario and seed: the same metrics, to the bit."""
    again = tmp_path / "again"
    done = run_module("run", str(run_dir / "run.json"), "--out", str(again), "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (again / "metrics.csv").read_bytes() == (run_dir / "metrics.csv").read_bytes()
    rerun, first = (json.loads((d / "run.json").read_text()) for d in (again, run_dir))
    assert rerun["scenario"] == first["scenario"]


def test_summary_json_per_year(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["scenario"] == "baseline"
    assert summary["population"] == 5000
    assert [y["year"] for y in summary["years"]] == [0]
    year = summary["years"][0]
    for key in (
        "emergency_admissions_per_1000",
        "unmet_need_per_1000",
        "bed_occupancy",
        "delayed_discharge_bed_days",
        "chs_share_of_spend",
        "deaths",
        "ed_attendances_per_1000",
        "gp_appointments_per_person",
        "chs_contacts_per_person",
        "unmet_need_gp_per_1000",
        "unmet_need_chs_per_1000",
        "unmet_need_rationed_per_1000",
        "unmet_need_delayed_discharge_per_1000",
        "unmet_need_never_sought_per_1000",
    ):
        assert isinstance(year[key], float), key
        assert summary["overall"][key] == pytest.approx(year[key])
    assert 0 < year["bed_occupancy"] <= 1.5
    assert 0 < year["chs_share_of_spend"] < 1


def test_summary_matches_metrics(run_dir):
    metrics = read_csv(run_dir / "metrics.csv")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert runner.summarise(metrics, name="baseline", population=5000) == summary


# --------------------------------------------------------------------------- summarise
def synthetic_metrics(weeks: int) -> pd.DataFrame:
    """An ICS-only metrics frame with simple known values."""
    week = np.arange(weeks)
    frame = pd.DataFrame({c: np.zeros(weeks) for c in REQUIRED_COLUMNS[3:]})
    frame.insert(0, "place", "ICS")
    frame.insert(0, "year", week // 52)
    frame.insert(0, "week", week)
    frame["population"] = 2000.0
    frame["emergency_admissions"] = 3.0
    frame["admission_demand"] = 4.0
    frame["unmet_need"] = 10.0
    frame["gp_appointments"] = 200.0
    frame["bed_occupancy"] = np.where(week % 2, 0.8, 0.9)
    frame["delayed_discharge_bed_days"] = 7.0
    frame["deaths"] = 1.0
    frame[["spend_acute", "spend_chs_core", "spend_addon", "spend_primary"]] = [60.0, 15.0, 5.0, 20.0]
    other = frame.assign(place="North", emergency_admissions=1000.0)  # ignored: only ICS rows count
    return pd.concat([frame, other], ignore_index=True)


def test_summarise_formulas():
    summary = runner.summarise(synthetic_metrics(104), name="x")
    assert summary["scenario"] == "x" and summary["population"] == 2000
    assert [y["year"] for y in summary["years"]] == [0, 1]
    year = summary["years"][1]
    assert year["emergency_admissions_per_1000"] == pytest.approx(3 * 52 / 2000 * 1000)
    assert year["admission_demand_per_1000"] == pytest.approx(4 * 52 / 2000 * 1000)
    assert year["unmet_need_per_1000"] == pytest.approx(10 * 52 / 2000 * 1000)
    assert year["gp_appointments_per_person"] == pytest.approx(200 * 52 / 2000)
    assert year["bed_occupancy"] == pytest.approx(0.85)
    assert year["delayed_discharge_bed_days"] == pytest.approx(7 * 52)
    assert year["deaths"] == pytest.approx(52)
    assert year["chs_share_of_spend"] == pytest.approx(0.2)
    assert summary["overall"]["emergency_admissions_per_1000"] == pytest.approx(78)
    json.dumps(summary, allow_nan=False)  # JSON-safe


def test_summarise_annualises_a_partial_year():
    summary = runner.summarise(synthetic_metrics(78))
    assert [y["weeks"] for y in summary["years"]] == [52, 26]
    assert summary["years"][1]["emergency_admissions_per_1000"] == pytest.approx(78)


# --------------------------------------------------------------------------- CLI in-process
def test_same_seed_gives_identical_metrics(tmp_path, run_dir, capsys):
    for name in ("a", "b"):
        assert cli.main(["run", *FAST, "--seed", "7", "--out", str(tmp_path / name)]) == 0
    first = (tmp_path / "a" / "metrics.csv").read_bytes()
    assert first == (tmp_path / "b" / "metrics.csv").read_bytes()
    assert first == (run_dir / "metrics.csv").read_bytes()  # and the same as in a separate process
    assert (tmp_path / "a" / "summary.json").read_bytes() == (run_dir / "summary.json").read_bytes()


def test_different_seed_differs(tmp_path, run_dir, capsys):
    assert cli.main(["run", *FAST, "--seed", "8", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "metrics.csv").read_bytes() != (run_dir / "metrics.csv").read_bytes()


def test_population_shorthand(tmp_path, capsys):
    args = ["run", "--population", "6000", "--years", "1", "--set", "burn_in_weeks=8", "--quiet"]
    assert cli.main([*args, "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["population"] == 6000
    assert summary["years"][0]["population"] == pytest.approx(6000, rel=0.05)
    metrics = read_csv(tmp_path / "metrics.csv")
    first = metrics[(metrics["place"] == "ICS") & (metrics["week"] == 0)]["population"].item()
    assert first == pytest.approx(6000, rel=0.05)


def test_set_overrides_reach_the_scenario(tmp_path, capsys):
    args = [
        "run",
        *FAST,
        "--set",
        "levers.acute_beds_multiplier=1.2",
        "--set",
        "params.gp.list_size=8000",
        "--set",
        "years=2",
        "--out",
        str(tmp_path),
    ]
    assert cli.main(args) == 0
    scenario = json.loads((tmp_path / "run.json").read_text())["scenario"]
    assert scenario["levers"]["acute_beds_multiplier"] == 1.2
    assert scenario["params"]["gp"]["list_size"] == 8000
    assert scenario["years"] == 2  # --set is applied after the --years shorthand
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [y["year"] for y in summary["years"]] == [0, 1]


def test_scenario_from_yaml_file(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: mine\ndescription: test\npopulation: 5000\nyears: 1\nburn_in_weeks: 8\n"
        "levers:\n  integration_share: 0.5\n"
    )
    assert cli.main(["run", str(path), "--quiet", "--out", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scenario"] == "mine"


def test_set_a_place_of_the_default_places(tmp_path, capsys):
    args = ["run", *FAST, "--set", "places.0.population_share=0.5", "--out", str(tmp_path)]
    assert cli.main(args) == 0, capsys.readouterr().err


def test_run_prints_headline_table_and_progress(tmp_path, capsys):
    args = ["run", *[a for a in FAST if a != "--quiet"], "--years", "2", "--out", str(tmp_path)]
    assert cli.main(args) == 0
    out, err = capsys.readouterr()
    for heading in ("year", "admissions/1,000", "unmet need/1,000", "occupancy %", "delayed bed days", "CHS share %"):
        assert heading in out
    assert str(tmp_path) in out
    assert "112/112" in err  # tqdm: weeks done / total, burn-in included


def test_quiet_prints_only_the_output_directory(tmp_path, capsys):
    assert cli.main(["run", *FAST, "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"outputs: {tmp_path}"
    assert err == ""


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("populaton=5", ["populaton", "did you mean 'population'"]),
        ("levers.acute_bed_multiplier=1.2", ["levers.acute_bed_multiplier", "did you mean 'acute_beds_multiplier'"]),
        ("levers.data_qualty=0.5", ["levers.data_qualty", "unknown key", "allowed keys here"]),
        ("params.gp.list_sise=8000", ["params.gp.list_sise", "did you mean 'list_size'"]),
        ("levers.acute_beds_multiplier=9", ["levers.acute_beds_multiplier", "out of range", "[0.3, 3.0]"]),
        ("population=abc", ["population", "'abc'", "allowed: int"]),
        ("foo", ["'foo'", "KEY=VALUE"]),
    ],
)
def test_invalid_override_exits_2_naming_the_problem(override, expected, tmp_path, capsys):
    assert cli.main(["run", *FAST, "--set", override, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: invalid scenario")
    for text in expected:
        assert text in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing created for an invalid scenario


def test_every_problem_is_reported(capsys):
    assert cli.main(["run", "--population", "abc", "--years", "0", "--set", "levers.demand_multiplier=7"]) == 2
    err = capsys.readouterr().err
    assert "population" in err and "years" in err and "levers.demand_multiplier" in err
    assert err.count("\n  - ") == 3


def test_unknown_preset(capsys):
    assert cli.main(["run", "baselin"]) == 2
    assert "did you mean 'baseline'" in capsys.readouterr().err


def test_out_is_a_file(tmp_path, capsys):
    path = tmp_path / "taken"
    path.write_text("x")
    assert cli.main(["run", *FAST, "--out", str(path)]) == 2
    err = capsys.readouterr().err
    assert "is a file" in err and str(path) in err
    assert path.read_text() == "x"


def test_presets_lists_baseline_with_description(capsys):
    assert cli.main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    baseline = next(line for line in lines if line.split()[0] == "baseline")
    assert "reference" in baseline  # the YAML's one-line description


def test_params_markdown(capsys):
    assert cli.main(["params", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Parameters, levers and scenario settings")
    tables = [line for line in out.splitlines() if line.startswith("| name | default |")]
    assert len(tables) >= 8  # scenario, levers, per-Place settings, teaching story, one per actor's parameters
    lines = out.splitlines()
    beds = next(line for line in lines if "`levers.acute_beds_multiplier`" in line)
    assert "[0.3, 3.0]" in beds
    assert any("`params.gp.list_size`" in line and "9500" in line for line in lines)
    assert any("`places[].chs_share_pct`" in line and "001 §3" in line for line in lines)
    header_pipes = tables[0].count(" | ")
    rows = [line for line in lines if line.startswith("| `")]
    assert rows and all(line.count(" | ") == header_pipes for line in rows)  # no stray pipes


def test_params_plain(capsys):
    assert cli.main(["params"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Every scenario key, lever and parameter")
    assert "params.gp.list_size = 9500  (registered patients per practice)" in lines
    assert "places = [North, Central, South]  (a list of Places (their settings: places[].* below))" in lines
    beds = lines.index("levers.acute_beds_multiplier = 1.0  (x default)")
    assert lines[beds + 1] == "    allowed: float in [0.3, 3.0]"
    assert lines[beds + 2].startswith("    meaning: General and acute beds.")
    assert lines[beds + 3].startswith("    source: ")


def test_params_fits_100_columns_when_not_a_terminal():
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    done = subprocess.run([sys.executable, "-m", "abm", "params"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert max(len(line) for line in lines) >= 90  # it uses the width, not a narrower one
    starts = [line for line in lines if line and not line.startswith(" ")]
    assert all(f"{row['name']} = " in "\n".join(starts) for row in params_table.rows())  # every value, none lost


@pytest.mark.parametrize("columns", [60, 150])
def test_params_wraps_to_the_terminal_width(columns, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert cli.main(["params"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert "    source: 001 §3: Birmingham ~15%, Hull ~13%, South Warwickshire ~10%" in lines or columns < 80


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "run" in out and "presets" in out and "params" in out
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("SCENARIO", "--population", "--years", "--seed", "--out", "--set", "--quiet"):
        assert option in out


@pytest.mark.parametrize("argv", [["bogus"], [], ["run", "--nonsense"]])
def test_argument_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "usage: abm" in capsys.readouterr().err


# --------------------------------------------------------------------------- subprocesses
def test_module_invalid_set_has_no_traceback(tmp_path):
    done = run_module("run", *FAST, "--set", "levers.acute_beds_multiplier=9", cwd=tmp_path)
    assert done.returncode == 2
    assert "error: invalid scenario" in done.stderr and "levers.acute_beds_multiplier" in done.stderr
    assert "Traceback" not in done.stderr


def test_console_script(tmp_path):
    script = Path(sys.executable).with_name("abm")
    if not script.exists():
        pytest.skip("the `abm` console script is not installed beside this Python")
    done = subprocess.run([str(script), "presets"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "baseline" in done.stdout


# --------------------------------------------------------------------------- runner
def test_run_scenario_in_memory_with_progress_callback():
    calls = []
    result = runner.run_scenario(
        "baseline",
        overrides=["population=5000", "years=1", "burn_in_weeks=8"],
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[0] == (1, 60) and calls[-1] == (60, 60)
    assert result.out_dir is None and result.files == []
    assert len(result.metrics) == WEEKS * (PLACES + 1)
    assert result.summary["years"][0]["year"] == 0
    assert result.info["seed"] == result.scenario.seed == 1


def test_run_scenario_rejects_bad_overrides():
    with pytest.raises(ConfigError) as exc:
        runner.run_scenario("baseline", overrides={"levers.acute_beds_multiplier": 9})
    assert "levers.acute_beds_multiplier" in exc.value.problems[0]


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "table.csv"
    runner.atomic_write_text("old\n", path)

    def broken(tmp):
        tmp.write_text("half a fi")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        runner.atomic_write(path, broken)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]  # no temporary left behind


def test_atomic_write_frame_and_json(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": [0.1, 0.2]})
    runner.atomic_write_frame(frame, tmp_path / "f.parquet")
    runner.atomic_write_frame(frame, tmp_path / "f.csv")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "f.parquet"), read_csv(tmp_path / "f.csv"))
    runner.atomic_write_json({"x": np.float64(1.5), "n": np.int64(3), "bad": float("nan")}, tmp_path / "x.json")
    assert json.loads((tmp_path / "x.json").read_text()) == {"x": 1.5, "n": 3, "bad": None}
    with pytest.raises(ValueError):
        runner.atomic_write_frame(frame, tmp_path / "f.xlsx")


# --------------------------------------------------------------------------- validate
def test_validate_prints_every_target_with_its_source_and_exit_code(capsys):
    code = cli.main(["validate", "--population", "4000", "--years", "2", "--set", "burn_in_weeks=8", "--quiet"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "CHS contacts per person a year" in out and "001 Introduction" in out
    assert "growth of the over-85s in ten years" in out and "004 §5" in out
    summary = out.strip().splitlines()[-1]
    within, fitted = (int(x) for x in summary.split(" fitted targets")[0].split(" of "))
    set_only = int(summary.split("; ")[1].split(" set, not fitted")[0])
    assert fitted + set_only >= 12 and set_only >= 4 and (code == 0) == (within == fitted)
    # the spend shares and CHS contacts follow from inputs: shown as "set", not counted
    assert all(" set " in line for line in out.splitlines() if line.startswith(("acute share", "CHS contacts")))


def test_validate_markdown_lists_calibrated_parameters(capsys):
    args = ["validate", "--population", "3000", "--years", "1", "--set", "burn_in_weeks=4", "--markdown"]
    assert cli.main(args) in (0, 1)
    out = capsys.readouterr().out
    assert out.startswith("Baseline `baseline`") and "| target | evidence | model |" in out
    assert "`params.acute.admit_crisis`" in out


def test_validate_refuses_bad_input_before_running(capsys):
    assert cli.main(["validate", "--set", "levers.data_quality=2"]) == 2
    assert "levers.data_quality" in capsys.readouterr().err


def test_run_help_says_how_out_and_force_behave(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--force" in out
    assert "It must be new or empty, or hold an earlier run's outputs (replaced only with --force)" in out
    assert "an interrupted run leaves DIR as it was" in out


def test_a_second_run_into_the_same_out_needs_force(tmp_path, capsys):
    """A folder holding an earlier run is refused (exit 2, unchanged), then replaced whole with --force."""
    out = tmp_path / "again"
    assert cli.main(["run", *FAST, "--seed", "7", "--out", str(out)]) == 0
    before = (out / "run.json").read_bytes()
    assert cli.main(["run", *FAST, "--seed", "8", "--out", str(out)]) == 2
    assert "add --force" in capsys.readouterr().err
    assert (out / "run.json").read_bytes() == before
    assert cli.main(["run", *FAST, "--seed", "8", "--out", str(out), "--force"]) == 0
    assert json.loads((out / "run.json").read_text())["seed"] == 8
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]


def test_validate_replicates_average_each_figure_over_seeds(capsys):
    from abm.calibration import validate

    small = ["population=3000", "years=1", "burn_in_weeks=4", "seed=7"]
    one, two = validate("baseline", small), validate("baseline", [*small[:3], "seed=8"])
    both = validate("baseline", small, replicates=2)
    for a, b, mean in zip(one.rows, two.rows, both.rows, strict=True):
        assert mean["model"] == pytest.approx((a["model"] + b["model"]) / 2)
    assert "seeds 7-8 (each figure their mean)" in both.text()
    assert cli.main(["validate", "--replicates", "0"]) == 2
    assert "--replicates 0 is out of range" in capsys.readouterr().err
