"""Sweeps and their summaries (experiments.sweep, experiments.summarize, `abm sweep`, `abm summarize`).

Runs are tiny (3,000 people, one year, 8 burn-in weeks: about 0.1 s each).  One design of
12 runs is swept sequentially, with 2 loky processes, on a local Dask cluster and in a
subprocess killed part-way and resumed; every version must give identical files.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from abm import cli
from abm.model import ICSModel
from experiments import sweep
from experiments.design import load_design
from experiments.sweep import SweepError, run_sweep

TINY = {"population": 3000, "years": 1, "set": {"burn_in_weeks": 8}}
# `description` changes nothing in the model, so under common random numbers its two values
# give identical results; acute beds change them.
GRID = {
    **TINY,
    "name": "grid",
    "description": "test grid",
    "replications": 3,
    "seed": 11,
    "outputs": "weekly",
    "factors": {"acute_beds_multiplier": [1.0, 1.3], "description": ["first", "second"]},
    "outcomes": ["emergency_admissions_per_1000", "bed_occupancy"],
}
RUNS = 12


def write_design(directory: Path, data: dict, name: str = "design.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(yaml.safe_dump(data))
    return path


def run_files(sweep_dir: Path) -> dict[str, tuple[dict, pd.DataFrame | None]]:
    """Each run's summary.json and weekly metrics, by run id."""
    out = {}
    for run_dir in sorted((sweep_dir / "runs").iterdir()):
        metrics = run_dir / "metrics.parquet"
        out[run_dir.name] = (
            json.loads((run_dir / "summary.json").read_text()),
            pd.read_parquet(metrics) if metrics.exists() else None,
        )
    return out


def assert_same_results(a: Path, b: Path) -> None:
    first, second = run_files(a), run_files(b)
    assert sorted(first) == sorted(second) and len(first) == RUNS
    for run_id, (summary, metrics) in first.items():
        assert second[run_id][0] == summary, run_id
        pd.testing.assert_frame_equal(second[run_id][1], metrics)


def runs_table(sweep_dir: Path) -> pd.DataFrame:
    return pd.read_csv(sweep_dir / "runs.csv")


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory) -> Path:
    return write_design(tmp_path_factory.mktemp("design"), GRID)


@pytest.fixture(scope="module")
def sequential(grid_file, tmp_path_factory) -> Path:
    """The grid swept in this process, one run at a time."""
    out = tmp_path_factory.mktemp("sequential") / "sweep"
    report = run_sweep(load_design(grid_file), out, jobs=1, progress=False)
    assert (report.ok, report.failed, report.skipped) == (RUNS, 0, 0)
    return out


# --------------------------------------------------------------------------- the sweep directory
def test_sweep_writes_runs_table_and_files(sequential):
    table = runs_table(sequential)
    assert list(table.columns[:11]) == [
        "run_id",
        "point",
        "replicate",
        "seed",
        "status",
        "error",
        "duration_s",
        "cpu_s",
        "started",
        "finished",
        "worker",
    ]
    assert len(table) == RUNS and table["run_id"].is_unique and (table["status"] == "ok").all()
    assert (table["duration_s"] > 0).all() and (table["cpu_s"] > 0).all() and table["error"].isna().all()
    assert set(table["acute_beds_multiplier"]) == {1.0, 1.3} and set(table["description"]) == {"first", "second"}
    for run_dir in (sequential / "runs").iterdir():
        assert sorted(p.name for p in run_dir.iterdir()) == ["metrics.parquet", "record.json", "summary.json"]
    recorded = json.loads((sequential / "sweep.json").read_text())
    assert recorded["plan"]["base"]["population"] == 3000 and len(recorded["plan"]["seeds"]) == 3
    assert {"python", "mesa", "numpy"} <= set(recorded["versions"]) and "revision" in recorded["git"]
    assert not list(sequential.rglob("*.tmp"))


def test_common_random_numbers(sequential):
    """Every point of a replicate runs with the same seed: a factor with no effect changes nothing at all."""
    table = runs_table(sequential)
    assert table.groupby("replicate")["seed"].nunique().eq(1).all() and table["seed"].nunique() == 3
    files = run_files(sequential)
    by_key = {
        (r.acute_beds_multiplier, r.description, r.replicate): files[r.run_id][0]["overall"] for r in table.itertuples()
    }
    for beds in (1.0, 1.3):
        for rep in range(3):
            assert by_key[(beds, "first", rep)] == by_key[(beds, "second", rep)]
    assert by_key[(1.0, "first", 0)] != by_key[(1.0, "first", 1)]  # replicates differ
    assert by_key[(1.0, "first", 0)] != by_key[(1.3, "first", 0)]  # and the lever acts


def test_a_run_is_the_model_run_with_its_seed(sequential):
    table = runs_table(sequential)
    row = table[(table["point"] == 2) & (table["replicate"] == 1)].iloc[0]
    model = ICSModel(
        population=3000,
        years=1,
        burn_in_weeks=8,
        seed=int(row["seed"]),
        **{"levers.acute_beds_multiplier": row["acute_beds_multiplier"]},
    ).run()
    pd.testing.assert_frame_equal(run_files(sequential)[row["run_id"]][1], model.metrics.frame())


def test_two_processes_give_identical_results(grid_file, sequential, tmp_path):
    report = run_sweep(load_design(grid_file), tmp_path / "sweep", jobs=2, progress=False)
    assert report.ok == RUNS
    assert_same_results(sequential, tmp_path / "sweep")
    assert runs_table(tmp_path / "sweep")["worker"].nunique() == 2  # really two worker processes


def test_dask_cluster_by_scheduler_address_gives_identical_results(grid_file, sequential, tmp_path, capsys):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert (
            cli.main(
                [
                    "sweep",
                    str(grid_file),
                    "--out",
                    str(tmp_path / "sweep"),
                    "--scheduler",
                    cluster.scheduler_address,
                    "-q",
                ]
            )
            == 0
        )
    assert f"{RUNS} runs: {RUNS} ok" in capsys.readouterr().out
    assert_same_results(sequential, tmp_path / "sweep")
    assert runs_table(tmp_path / "sweep")["worker"].nunique() == 2


def test_dask_backend_without_address_starts_a_local_cluster(grid_file, sequential, tmp_path):
    out = tmp_path / "sweep"
    plan = load_design(grid_file, replications=1)  # replicate 0 keeps its seed
    assert run_sweep(plan, out, jobs=1, backend="dask", progress=False).ok == 4  # one worker: quick to start
    first = run_files(sequential)
    for run_id, (summary, metrics) in run_files(out).items():
        assert first[run_id][0] == summary
        pd.testing.assert_frame_equal(first[run_id][1], metrics)


def test_rerun_skips_finished_runs(grid_file, sequential, tmp_path):
    before = {p: p.stat().st_mtime_ns for p in (sequential / "runs").rglob("*")}
    report = run_sweep(load_design(grid_file), sequential, jobs=1, progress=False)
    assert (report.skipped, report.ok, report.failed) == (RUNS, 0, 0)
    assert {p: p.stat().st_mtime_ns for p in (sequential / "runs").rglob("*")} == before


def test_changed_design_is_refused(grid_file, sequential, capsys):
    table = (sequential / "runs.csv").read_bytes()
    code = cli.main(
        ["sweep", str(grid_file), "--out", str(sequential), "--replications", "2", "--set", "population=4000", "-q"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "holds results of a different design" in err
    assert "replications: 3 -> 2" in err and "base.population: 3000 -> 4000" in err
    assert (sequential / "runs.csv").read_bytes() == table


def test_refuses_a_directory_that_is_not_a_sweep(grid_file, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SweepError, match="not an empty directory"):
        run_sweep(load_design(grid_file), tmp_path, progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


# --------------------------------------------------------------------------- interrupted and failed runs
@pytest.mark.slow
def test_killed_sweep_resumes_each_run_exactly_once(grid_file, sequential, tmp_path):
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "abm", "sweep", str(grid_file), "--out", str(out), "--jobs", "1", "-q"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob("runs/*/record.json"))) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()
    done = {p.parent.name: p.read_text() for p in out.glob("runs/*/record.json")}
    assert 2 <= len(done) < RUNS  # killed mid-sweep
    for name in done:  # what was recorded is complete
        json.loads((out / "runs" / name / "summary.json").read_text())
        pd.read_parquet(out / "runs" / name / "metrics.parquet")

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{RUNS} runs: {RUNS} ok ({len(done)} already done, {RUNS - len(done)} now)" in resumed.stdout
    table = runs_table(out)
    assert table["run_id"].is_unique and len(table) == RUNS and (table["status"] == "ok").all()
    for name, record in done.items():  # runs finished before the kill were not run again
        assert (out / "runs" / name / "record.json").read_text() == record
    assert not list(out.rglob("*.tmp"))
    assert_same_results(sequential, out)


LONG = {
    **TINY,
    "name": "long",
    "description": "enough runs to stop part-way",
    "replications": 10,
    "seed": 5,
    "factors": {"acute_beds_multiplier": [1.0, 1.3]},
    "outcomes": ["bed_occupancy"],
}


def descendants(pid: int) -> list[int]:
    """The ids of a process's child processes, theirs, and so on."""
    try:
        import psutil
    except ImportError:  # read /proc instead
        parents = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
        found, frontier = [], [pid]
        while frontier:
            children = [child for child, parent in parents.items() if parent in frontier]
            found += children
            frontier = children
        return found
    return [child.pid for child in psutil.Process(pid).children(recursive=True)]


def running(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running (a zombie, dead but not yet reaped, does not count)."""
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.append(pid)
    return alive


@pytest.mark.slow  # ~9 s: a sweep with worker processes, stopped and resumed
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_sigterm_ends_the_workers_and_rewrites_the_runs_table(tmp_path):
    """SIGTERM mid-sweep: a prompt exit (143), no worker left running, runs.csv agreeing with the records.

    Then the same command resumes and completes.
    """
    path = write_design(tmp_path, LONG)
    total = 20
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "abm", "sweep", str(path), "--out", str(out), "--jobs", "2", "-q"]
    log = tmp_path / "stderr.txt"
    with open(log, "w") as stderr:  # a file, not a pipe: workers left running would hold a pipe open
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    workers = []
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("runs/*/record.json")):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        workers = descendants(process.pid)
        assert len(workers) >= 2  # loky's two workers (and its resource trackers)
        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        process.wait(timeout=60)
        assert time.monotonic() - sent < 10
        assert process.returncode == 143, log.read_text()
        deadline = time.monotonic() + 10
        while running(workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running(workers) == []
    finally:  # whatever failed, leave nothing running
        for pid in running([process.pid, *workers]):
            os.kill(pid, signal.SIGKILL)
    stderr = log.read_text()
    assert f"terminated (SIGTERM): every run recorded in {out} is complete; run the same command to resume" in stderr
    assert "Traceback" not in stderr

    records = {p.parent.name: json.loads(p.read_text())["status"] for p in out.glob("runs/*/record.json")}
    table = runs_table(out)
    assert 1 <= len(records) < total  # stopped part-way
    assert set(table.loc[table["status"] == "ok", "run_id"]) == {r for r, status in records.items() if status == "ok"}
    assert (table["status"] == "pending").sum() == total - len(records)
    assert not list(out.rglob("*.tmp"))

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    done = len(records)
    assert f"{total} runs: {total} ok ({done} already done, {total - done} now)" in resumed.stdout
    assert (runs_table(out)["status"] == "ok").all()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_workers_end_soon_after_their_sweep_is_killed_outright(tmp_path):
    """kill -9 gives the sweep no chance to end its workers: they notice and end themselves."""
    path = write_design(tmp_path, LONG)
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "abm", "sweep", str(path), "--out", str(out), "--jobs", "2", "-q"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    workers = []
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("runs/*/record.json")):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        workers = descendants(process.pid)
        assert len(workers) >= 2
        process.kill()
        process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while running(workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running(workers) == []
    finally:
        for pid in running(workers):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_runs_table_is_rewritten_from_the_records_on_every_exit(grid_file, tmp_path, monkeypatch, error):
    """Interrupted after a run's record.json was stored and before runs.csv heard of it: runs.csv still lists it."""
    monkeypatch.setattr("experiments.sweep.TABLE_EVERY_SECONDS", 1e9)  # runs.csv only at the end
    original, stored = sweep.store_run, []

    def store_run(out, output):
        record = original(out, output)
        stored.append(record["run_id"])
        if len(stored) == 3:
            raise error("stopped just after storing a record")
        return record

    monkeypatch.setattr(sweep, "store_run", store_run)
    out = tmp_path / "sweep"
    with pytest.raises(error):
        run_sweep(load_design(grid_file), out, jobs=1, progress=False)
    table = runs_table(out)
    assert sorted(table.loc[table["status"] == "ok", "run_id"]) == sorted(stored)
    assert (table["status"] == "pending").sum() == RUNS - 3


def test_sweep_out_empty_or_unwritable_is_a_message(grid_file, tmp_path, capsys):
    assert cli.main(["sweep", str(grid_file), "--out", "", "-q"]) == 2
    assert capsys.readouterr().err.startswith("error: --out is empty")
    (tmp_path / "somefile").write_text("x")
    out = tmp_path / "somefile" / "sweep"
    assert cli.main(["sweep", str(grid_file), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --out {str(out)!r}: cannot write there: ") and "Traceback" not in err


FAILING = {
    **TINY,
    "name": "failing",
    "description": "two Places given the same name in one point",
    "factors": {"places.0.name": ["North", "Twin"], "places.1.name": ["Central", "Twin"]},
}


def test_a_failing_run_is_recorded_and_the_others_complete(tmp_path, capsys):
    path = write_design(tmp_path, FAILING)
    out = tmp_path / "sweep"
    assert cli.main(["sweep", str(path), "--out", str(out), "-q"]) == 1
    stdout = capsys.readouterr().out
    assert "4 runs: 3 ok (0 already done, 3 now), 1 failed now" in stdout
    table = runs_table(out)
    failed = table[table["status"] == "failed"]
    assert len(failed) == 1 and (table["status"] == "ok").sum() == 3
    assert failed.iloc[0]["places.0.name"] == "Twin" and failed.iloc[0]["places.1.name"] == "Twin"
    assert "ConfigError" in failed.iloc[0]["error"] and "names must be unique" in failed.iloc[0]["error"]
    record = json.loads((out / "runs" / failed.iloc[0]["run_id"] / "record.json").read_text())
    assert record["traceback"].startswith("Traceback (most recent call last)")
    assert "execute_run" in record["traceback"] and "names must be unique" in record["traceback"]
    assert not (out / "runs" / failed.iloc[0]["run_id"] / "summary.json").exists()
    for run_id in table.loc[table["status"] == "ok", "run_id"]:
        assert (out / "runs" / run_id / "summary.json").exists()
    # a rerun retries only the failed run
    assert cli.main(["sweep", str(path), "--out", str(out), "-q"]) == 1
    assert "4 runs: 3 ok (3 already done, 0 now), 1 failed now" in capsys.readouterr().out


def test_a_model_error_mid_run_is_recorded_with_its_traceback(tmp_path, monkeypatch):
    original = ICSModel.step

    def step(self):
        if self.levers.acute_beds_multiplier == 1.3 and self.week_number == 20:
            raise FloatingPointError("a queue went negative")
        original(self)

    monkeypatch.setattr(ICSModel, "step", step)
    data = {**TINY, "factors": {"acute_beds_multiplier": [1.0, 1.3]}, "replications": 2}
    report = run_sweep(load_design(write_design(tmp_path, data)), tmp_path / "sweep", progress=False)
    assert (report.ok, report.failed) == (2, 2)
    table = runs_table(tmp_path / "sweep")
    assert set(table.loc[table["status"] == "failed", "acute_beds_multiplier"]) == {1.3}
    assert (table.loc[table["status"] == "failed", "error"] == "FloatingPointError: a queue went negative").all()
    record = json.loads((tmp_path / "sweep" / "runs" / "p1-r0" / "record.json").read_text())
    assert "in step" in record["traceback"] and "FloatingPointError" in record["traceback"]


# --------------------------------------------------------------------------- summarize
@pytest.fixture(scope="module")
def summary_dir(sequential) -> Path:
    assert cli.main(["summarize", str(sequential), "-q"]) == 0
    return sequential / "summary"


def test_summary_files(summary_dir):
    names = {p.name for p in summary_dir.iterdir()}
    assert names == {
        "runs.parquet",
        "annual.parquet",
        "points.parquet",
        "points.csv",
        "points_by_year.parquet",
        "weekly.parquet",
        "trajectories.png",
        "differences.png",
    }
    for name in ("trajectories.png", "differences.png"):
        data = (summary_dir / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    weekly = pd.read_parquet(summary_dir / "weekly.parquet")
    assert len(weekly) == RUNS * 52 and set(weekly["place"]) == {"ICS"}
    annual = pd.read_parquet(summary_dir / "annual.parquet")
    assert len(annual) == RUNS and set(annual["year"]) == {0}
    pd.testing.assert_frame_equal(
        pd.read_csv(summary_dir / "points.csv"), pd.read_parquet(summary_dir / "points.parquet"), check_dtype=False
    )


def test_summary_means_intervals_and_paired_differences(sequential, summary_dir):
    points = pd.read_parquet(summary_dir / "points.parquet")
    assert list(points["outcome"].unique()) == GRID["outcomes"]
    assert len(points) == 4 * 2 and points["n"].eq(3).all()
    table = runs_table(sequential)
    files = run_files(sequential)
    for outcome in GRID["outcomes"]:
        value = {(r.point, r.replicate): files[r.run_id][0]["overall"][outcome] for r in table.itertuples()}
        for point in range(4):
            row = points[(points["outcome"] == outcome) & (points["point"] == point)].iloc[0]
            sample = np.array([value[(point, rep)] for rep in range(3)])
            low, high = stats.t.interval(0.95, 2, loc=sample.mean(), scale=stats.sem(sample))
            assert row["mean"] == pytest.approx(sample.mean())
            assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))
            diff = sample - np.array([value[(0, rep)] for rep in range(3)])
            assert row["diff_mean"] == pytest.approx(diff.mean())
    reference = points[points["point"] == 0]
    assert reference["reference"].all() and (reference[["diff_mean", "diff_low", "diff_high"]] == 0).all().all()
    # point 1 differs from the reference only in its description: paired difference exactly 0
    twin = points[points["point"] == 1]
    assert (twin[["diff_mean", "diff_low", "diff_high"]] == 0).all().all()
    assert (twin["ci_high"] > twin["ci_low"]).all()  # while each point's own interval is wide
    by_year = pd.read_parquet(summary_dir / "points_by_year.parquet")
    assert set(by_year["year"]) == {0} and len(by_year) == len(points)


def test_summarize_prints_a_table(sequential, tmp_path, capsys):
    assert cli.main(["summarize", str(sequential), "--out", str(tmp_path), "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "grid: 12 completed runs, 0 failed, 0 pending; reference: point 0" in out
    assert "emergency_admissions_per_1000" in out and "difference [95% CI]" in out
    assert not list(tmp_path.glob("*.png"))


def test_summarize_refuses_a_directory_that_is_not_a_sweep(tmp_path, capsys):
    assert cli.main(["summarize", str(tmp_path)]) == 2
    assert "is not a sweep directory" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("method", "samples", "indices"),
    [("sobol", 4, {"S1", "ST"}), ("morris", 3, {"mu_star", "sigma"}), ("lhs", 6, {"rho", "prcc"})],
)
def test_sensitivity_designs(tmp_path, capsys, method, samples, indices):
    data = {
        **TINY,
        "name": method,
        "sampling": {"method": method, "samples": samples},
        "factors": {"acute_beds_multiplier": {"range": [0.8, 1.4]}, "integration_share": {"range": [0.0, 1.0]}},
        "outcomes": ["bed_occupancy", "emergency_admissions_per_1000"],
    }
    out = tmp_path / "sweep"
    assert cli.main(["sweep", str(write_design(tmp_path, data)), "--out", str(out), "-q"]) == 0
    assert cli.main(["summarize", str(out), "-q"]) == 0
    table = pd.read_parquet(out / "summary" / "sensitivity.parquet")
    assert set(table["index"]) == indices and set(table["method"]) == {method}
    assert set(table["factor"]) == {"acute_beds_multiplier", "integration_share"}
    assert len(table) == 2 * 2 * len(indices) and table["value"].notna().all()
    assert (out / "summary" / "sensitivity.png").read_bytes().startswith(b"\x89PNG")
    if method == "lhs":
        assert table["value"].between(-1, 1).all()


SOBOL = {
    **TINY,
    "population": 2000,
    "name": "sobol-noise",
    "sampling": {"method": "sobol", "samples": 4},
    "factors": {"acute_beds_multiplier": {"range": [0.8, 1.4]}, "integration_share": {"range": [0.0, 1.0]}},
    "replications": 2,
    "seed": 3,
    "outcomes": ["bed_occupancy", "emergency_admissions_per_1000"],
}


@pytest.mark.slow
def test_partial_sobol_sweep_writes_no_indices_and_says_why(tmp_path, capsys):
    """A Sobol' sweep with runs missing: no sensitivity table, a note naming how many runs are done; then resumed."""
    path, out = write_design(tmp_path, SOBOL), tmp_path / "sweep"
    assert cli.main(["sweep", str(path), "--out", str(out), "-q"]) == 0
    for run_id in ("p01-r1", "p02-r1", "p03-r1"):
        (out / "runs" / run_id / "record.json").unlink()  # as if the sweep had been stopped
    capsys.readouterr()
    assert cli.main(["summarize", str(out), "--no-plots"]) == 0
    message = (
        "sensitivity indices need every run of the Sobol' sample: 29 of 32 are done; run abm sweep again to finish"
    )
    assert f"note: {message}" in capsys.readouterr().out
    assert not (out / "summary" / "sensitivity.parquet").exists() and not (out / "summary" / "sensitivity.csv").exists()
    record = json.loads((out / "summary" / "sensitivity.json").read_text())
    assert record["computed"] is False and record["notes"] == [message]
    assert cli.main(["summarize", str(out), "-q", "--no-plots"]) == 0
    assert f"note: {message}" in capsys.readouterr().err  # said even with --quiet

    assert cli.main(["sweep", str(path), "--out", str(out), "-q"]) == 0  # finish it
    capsys.readouterr()
    assert cli.main(["summarize", str(out), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "noise between replicates" in printed and "note:" not in printed
    table = pd.read_csv(out / "summary" / "sensitivity.csv")
    assert set(table["index"]) == {"S1", "ST"} and len(table) == 2 * 2 * 2
    assert table["noise_share"].between(0, 1).all() and table["noise_share_of_means"].between(0, 1).all()
    record = json.loads((out / "summary" / "sensitivity.json").read_text())
    assert record["computed"] is True and record["notes"] == [] and record["replications"] == 2
    assert [n["outcome"] for n in record["noise"]] == SOBOL["outcomes"]
    for noise in record["noise"]:
        assert noise["noise_share"] + noise["between_share"] == pytest.approx(1)
    assert all(f"warning: {w}" in printed for w in record["warnings"])


def test_noise_shares_of_pure_noise_and_of_pure_signal():
    from experiments.summarize import _noise_share_of_means

    rng = np.random.default_rng(1)
    noise = pd.DataFrame(rng.normal(size=(40, 3)))  # points x replicates: no point effect
    assert _noise_share_of_means(noise) > 0.5
    signal = pd.DataFrame(np.arange(40.0)[:, None] + 0.01 * rng.normal(size=(40, 3)))
    assert _noise_share_of_means(signal) < 0.001
    # common random numbers: a replicate's shift shared by every point is not noise between points
    shared = signal + np.array([0.0, 50.0, -50.0])
    assert _noise_share_of_means(shared) == pytest.approx(_noise_share_of_means(signal))
    assert np.isnan(_noise_share_of_means(noise.iloc[:, :1]))  # one replicate: unknown


def test_warnings_on_indices_that_look_like_noise():
    from experiments.summarize import index_warnings

    def table(method, values):
        rows = [
            {"cell": 0, "outcome": "bed_occupancy", "factor": f, "method": method, "index": i, "value": v, "conf": c}
            for (f, i), (v, c) in values.items()
        ]
        return pd.DataFrame(rows).assign(noise_share=0.8, noise_share_of_means=0.5)

    sobol = table(
        "sobol",
        {
            ("a", "S1"): (-0.37, 0.2),
            ("a", "ST"): (1.0, 0.3),
            ("b", "S1"): (0.36, 0.2),
            ("b", "ST"): (0.9, 0.3),
            ("c", "S1"): (-0.01, 0.005),
            ("c", "ST"): (0.8, 0.3),
        },
    )
    warnings = index_warnings(sobol)
    assert len(warnings) == 3
    assert warnings[0].startswith("bed_occupancy: indices are unreliable: 50% of the variance of the point means")
    assert "S1 below 0 (a -0.37 ± 0.20, c -0.01 ± 0.01)" in warnings[1]
    assert "the total indices ST sum to 2.70, far above 1" in warnings[2]
    morris = table(
        "morris",
        {("a", "mu_star"): (1.0, 0.1), ("a", "sigma"): (0.9, np.nan), ("b", "mu_star"): (2.0, 0.1)}
        | {("b", "sigma"): (0.5, np.nan), ("c", "mu_star"): (1.0, 0.1), ("c", "sigma"): (1.2, np.nan)},
    ).assign(noise_share_of_means=0.1)
    assert index_warnings(morris) == [
        "bed_occupancy: Morris sigma is about mu* or more (sigma/mu* > 0.8) for 2 of 3 factors: what noise "
        "looks like, as well as interactions or non-linearity; compare the noise share and add replications"
    ]
    clean = sobol.assign(value=[0.5, 0.6, 0.3, 0.35, 0.0, 0.01], conf=0.05, noise_share_of_means=0.05)
    assert index_warnings(clean) == []


# --------------------------------------------------------------------------- command line
def test_sweep_set_and_replications_for_a_trial_run(grid_file, tmp_path, capsys):
    out = tmp_path / "trial"
    assert (
        cli.main(["sweep", str(grid_file), "--out", str(out), "--set", "population=4000", "--replications", "1", "-q"])
        == 0
    )
    assert "4 runs: 4 ok" in capsys.readouterr().out
    recorded = json.loads((out / "sweep.json").read_text())
    assert recorded["plan"]["base"]["population"] == 4000 and len(recorded["plan"]["seeds"]) == 1
    assert recorded["command"][:2] == ["abm", "sweep"]


def test_invalid_design_exits_2_listing_problems(tmp_path, capsys):
    path = write_design(tmp_path, {**TINY, "replications": 0, "factors": {"acute_beds_multiplyer": [1, 2]}})
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: invalid design\n")
    assert "  - replications: 0 is out of range" in err
    assert "  - factors.acute_beds_multiplyer: unknown factor (did you mean 'acute_beds_multiplier'?)" in err
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_is_a_clear_error(grid_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("experiments.sweep.DASK_CONNECT_TIMEOUT", "1s")
    assert cli.main(["sweep", str(grid_file), "--out", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9", "-q"]) == 2
    assert "error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 1s" in capsys.readouterr().err


def test_scheduler_needs_the_dask_backend(grid_file, capsys):
    assert cli.main(["sweep", str(grid_file), "--backend", "loky", "--scheduler", "tcp://x:1"]) == 2
    assert "--scheduler needs --backend dask" in capsys.readouterr().err


def test_sweep_help(capsys):
    with pytest.raises(SystemExit):
        cli.main(["sweep", "--help"])
    out = capsys.readouterr().out
    for option in ("DESIGN.yaml", "--out", "--jobs", "--backend", "--scheduler", "--set", "--replications"):
        assert option in out


@pytest.mark.parametrize("command", ["sweep", "summarize"])
def test_help_names_only_files_that_exist(command, capsys):
    """Every path in the help text (a design, a README) is a file of the repository."""
    import re

    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    root = Path(__file__).resolve().parent.parent
    paths = re.findall(r"[\w./-]+\.(?:yaml|md)\b", out)
    named = [p for p in paths if "/" in p]
    assert command == "summarize" or named  # sweep's help names a shipped design
    for path in named:
        assert (root / path).is_file(), path


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_local_dask_cluster_serves_no_dashboard():
    """The local cluster's scheduler serves no page (no dashboard), on no public interface, not on 8787."""
    import urllib.error
    import urllib.request

    with sweep.dask_client(None, 1) as client:
        info = client.scheduler_info()
        port = info["services"].get("dashboard")
        assert port != 8787
        if port is not None:  # distributed always starts an HTTP server: it must serve nothing
            for page in ("/status", "/info/main/workers.html", "/json/index.html", "/metrics", "/health"):
                with pytest.raises(urllib.error.HTTPError) as exc:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=10)
                assert exc.value.code == 404, page
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")


# --------------------------------------------------------------------------- mesa.batch_run
def test_mesa_batch_run():
    import mesa

    from experiments.mesa_batch import BatchICSModel

    rows = mesa.batch_run(
        BatchICSModel,
        parameters={
            "population": 3000,
            "years": 1,
            "burn_in_weeks": 4,
            "seed": [1, 2],
            "levers.acute_beds_multiplier": [1.0, 1.3],
        },
        max_steps=1000,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(rows) == 4
    assert {(r["seed"], r["levers.acute_beds_multiplier"]) for r in rows} == {(1, 1.0), (1, 1.3), (2, 1.0), (2, 1.3)}
    row = next(r for r in rows if r["seed"] == 2 and r["levers.acute_beds_multiplier"] == 1.3)
    assert row["reporting_week"] == 52
    direct = (
        ICSModel(population=3000, years=1, burn_in_weeks=4, seed=2, **{"levers.acute_beds_multiplier": 1.3})
        .run()
        .metrics.frame()
    )
    last = direct[direct["place"] == "ICS"].iloc[-1]
    for column in ("emergency_admissions", "bed_occupancy", "unmet_need", "chs_caseload"):
        assert row[f"ics_{column}"] == last[column], column
