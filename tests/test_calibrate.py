"""``abm calibrate`` (experiments/calibrate.py): the config's checks, a tiny fit and its outputs, reproducibility,
and a fit that finds a parameter value the targets were made with."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from abm import cli
from abm.errors import ConfigError
from abm.scenario import load_scenario
from experiments import calibrate
from experiments.calibrate import FILES, parse_config, read_config

ROOT = Path(__file__).resolve().parents[1]
TINY = {"population": 2000, "years": 1, "burn_in_weeks": 4}
BEDS = "params.acute.beds_per_1000"
SLOPE = "params.acute.los_frailty_slope"


def tiny_config(**changes) -> dict:
    config = {
        **TINY,
        "parameters": {BEDS: {"low": 1.8, "high": 3.0}, SLOPE: {"low": 0.5, "high": 3.0, "log": True}},
        "targets": ["bed occupancy", "length of stay after emergency admission"],
        "trials": 5,
        "seeds": 2,
        "sampler_seed": 3,
    }
    config.update(changes)
    return config


def problems(data: dict, folder: Path = ROOT) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, folder=folder)
    return caught.value.problems


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"trails": 5}, ["trails", "unknown field", "trials"]),
        ({"trials": 0}, ["trials", "0", "1 to 10,000"]),
        ({"trials": "many"}, ["trials", "'many'", "whole number"]),
        ({"seeds": [1, 1]}, ["seeds", "[1, 1]", "distinct"]),
        ({"population": 10}, ["population", "10", "1,000"]),
        ({"scenario": "nope"}, ["nope", "neither a file nor a preset"]),
        ({"parameters": {}}, ["parameters", "mapping of dotted paths"]),
        ({"parameters": {"params.acute.bedz": {"low": 1, "high": 2}}}, ["params.acute.bedz", "unknown key"]),
        ({"parameters": {"params.acute.los_days_by_age": {"low": 1, "high": 2}}}, ["los_days_by_age", "scalar float"]),
        ({"parameters": {BEDS: {"low": 3, "high": 2}}}, [BEDS, "low < high"]),
        ({"parameters": {BEDS: {"low": 1, "high": 2, "step": 1}}}, [BEDS, "low, high and optional log"]),
        ({"parameters": {SLOPE: {"low": -1, "high": 2, "log": True}}}, [SLOPE, "log", "low > 0"]),
        ({"parameters": {BEDS: {"low": 1, "high": 1e9}}}, [BEDS, "1000000000"]),
        ({"targets": ["bed occupancy", "happiness"]}, ["targets", "'happiness'", "abm validate"]),
        ({"targets": "bed occupancy"}, ["targets", "a list of calibration target names"]),
        ({"targets": {"file": "missing.csv"}}, ["targets.file", "does not exist"]),
    ],
)
def test_a_bad_field_gets_a_short_message_naming_it(changes, words):
    found = problems(tiny_config(**changes))
    text = "\n".join(found)
    for word in words:
        assert word in text, text
    assert all(len(p) < 600 for p in found), found  # an unknown key lists the keys allowed there (abm.config)


def test_a_target_file_is_checked_row_by_row(tmp_path):
    (tmp_path / "t.csv").write_text("name,value,tolerance\nbed_occupancy,0.9,0.1\nhappiness,1,0.1\ndeaths,0,0.1\n")
    text = "\n".join(problems(tiny_config(targets={"file": "t.csv"}), folder=tmp_path))
    assert "row 2" in text and "'happiness'" in text and "summary.json" in text
    assert "row 3" in text and "other than 0" in text
    assert "row 1" not in text


@pytest.mark.slow
def test_a_tiny_fit_writes_every_output_and_its_best_scenario_runs(tmp_path):
    (tmp_path / "extra.csv").write_text("name,value,tolerance\nemergency_admissions_per_1000,110,0.2\n")
    config = tiny_config(targets={"calibration": ["bed occupancy"], "file": "extra.csv"})
    (tmp_path / "fit.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    assert cli.main(["calibrate", str(tmp_path / "fit.yaml"), "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no work folder left behind

    trials = (out / "trials.csv").read_text().splitlines()
    assert trials[0] == f"trial,{BEDS},{SLOPE},loss,bed occupancy,emergency_admissions_per_1000"
    assert len(trials) == 1 + config["trials"]
    fit = (out / "fit.csv").read_text()
    assert "bed occupancy,calibration,0.92" in fit and "emergency_admissions_per_1000,summary,110.0" in fit
    assert (out / "fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    scenario = load_scenario(out / "best_scenario.yaml")  # what abm run loads
    assert 1.8 <= scenario.params.acute.beds_per_1000 <= 3.0
    assert 0.5 <= scenario.params.acute.los_frailty_slope <= 3.0
    assert (scenario.population, scenario.years, scenario.burn_in_weeks) == (2000, 1, 4)
    best = min((line.split(",") for line in trials[1:]), key=lambda r: float(r[3]))
    assert scenario.params.acute.beds_per_1000 == float(best[1])

    # the same config again gives the same trials, and replaces the earlier calibration whole
    before = (out / "trials.csv").read_bytes()
    assert cli.main(["calibrate", str(tmp_path / "fit.yaml"), "--out", str(out), "--quiet"]) == 0
    assert (out / "trials.csv").read_bytes() == before
    # another sampler seed, other trials
    other = calibrate.calibrate(parse_config(tiny_config(sampler_seed=4), folder=tmp_path))
    assert [r[BEDS] for r in other.rows] != [float(r.split(",")[1]) for r in trials[1:]]


def test_an_output_folder_holding_other_files_is_refused(tmp_path, capsys):
    (tmp_path / "fit.yaml").write_text(yaml.safe_dump(tiny_config(trials=1, seeds=1)))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    assert cli.main(["calibrate", str(tmp_path / "fit.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


def test_the_fit_moves_towards_the_value_the_targets_were_made_with(tmp_path):
    """Targets made by the model at beds_per_1000 = 2.6 with the fit's own seeds: the loss there is 0."""
    truth, seeds = 2.6, [1, 2]
    base = parse_config(tiny_config(parameters={BEDS: {"low": 1.8, "high": 3.0}}, trials=1, seeds=seeds))
    goals = [calibrate.Goal("bed_occupancy", 1.0, 0.1, "summary")]
    made = [calibrate.measure(base.base, {**base.settings(), BEDS: truth, "seed": s}, goals)[0] for s in seeds]
    (tmp_path / "t.yaml").write_text(yaml.safe_dump([{"name": "bed_occupancy", "value": sum(made) / len(made)}]))
    config = tiny_config(parameters={BEDS: {"low": 1.8, "high": 3.0}}, targets={"file": "t.yaml"}, trials=8)
    (tmp_path / "fit.yaml").write_text(yaml.safe_dump({**config, "seeds": seeds}))
    result = calibrate.calibrate(read_config(tmp_path / "fit.yaml"))
    first, best = result.rows[0], result.rows[result.best]
    assert abs(best[BEDS] - truth) < 0.15
    assert abs(best[BEDS] - truth) <= abs(first[BEDS] - truth)


@pytest.mark.parametrize("path", sorted((ROOT / "experiments" / "designs").glob("calibrate_*.yaml")))
def test_shipped_calibration_configs_are_valid(path):
    config = read_config(path)
    assert config.parameters and config.goals and config.trials >= 10


def test_seeds_on_a_dask_cluster_give_the_same_trials_as_local_processes(tmp_path):
    """Issue 17: calibration on local processes or Dask; where the seeds run changes no result."""
    from distributed import LocalCluster

    config = parse_config(tiny_config(trials=3), folder=tmp_path)
    local = calibrate.calibrate(config, jobs=2)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        on_dask = calibrate.calibrate(config, jobs=2, backend="dask", scheduler=cluster)
    assert on_dask.rows == local.rows


def test_an_unreachable_scheduler_is_a_short_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("experiments.sweep.DASK_CONNECT_TIMEOUT", "1s")
    (tmp_path / "fit.yaml").write_text(yaml.safe_dump(tiny_config(trials=1)))
    code = cli.main(["calibrate", str(tmp_path / "fit.yaml"), "--out", str(tmp_path / "out"), "--scheduler",
                     "tcp://127.0.0.1:9"])  # fmt: skip
    assert code == 2 and "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
