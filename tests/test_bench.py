"""The performance harness (benchmarks/bench.py, ``abm bench``): a smoke test.

One tiny benchmark (3,000 people for one year, one repeat, the reference at 1,000
people) run through ``abm bench`` checks that the harness works and that its JSON is
well formed.  No test asserts a time: timings depend on the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from abm import cli
from benchmarks import bench

ROOT = Path(__file__).resolve().parent.parent
TINY = [
    "--populations",
    "3000",
    "--years",
    "1",
    "--repeats",
    "1",
    "--reference-population",
    "1000",
    "--reference-years",
    "1",
    "--no-progress",
]
TARGET_STATUSES = {"met", "not met", "not measured"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """``abm bench TINY --json --out FILE``: (exit code, stdout JSON, file JSON)."""
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "abm", "bench", *TINY, "--json", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), json.loads(out.read_text()), out


def test_json_on_stdout_and_in_the_file_agree(tiny):
    printed, written, out = tiny
    assert printed["sizes"][0]["population"] == written["sizes"][0]["population"] == 3000
    assert set(printed) == set(written)
    assert not list(out.parent.glob(".*.tmp"))  # the atomic write left no temporary file


def test_provenance_is_recorded(tiny):
    result = tiny[0]
    assert result["schema"] == bench.SCHEMA
    machine = result["machine"]
    for key in ("cpu", "cores", "python", "numpy", "mesa"):
        assert machine[key], key
    assert machine["cores"] >= 1
    assert result["date"] and "revision" in result["git"]
    assert result["settings"]["threads"] == {name: "1" for name in bench.THREAD_VARIABLES}
    assert result["settings"]["populations"] == [3000] and result["settings"]["years"] == 1


def test_size_figures_are_positive_and_phases_listed(tiny):
    result = tiny[0]
    assert result["baseline_rss_bytes"] > 0
    (size,) = result["sizes"]
    assert size["weeks"] == 52 and size["repeats"] == 1 and len(size["samples"]) == 1
    for key in (
        "build_seconds",
        "run_seconds",
        "patient_weeks",
        "patient_weeks_per_second",
        "ns_per_patient_week",
        "peak_rss_bytes",
        "array_bytes_per_patient",
    ):
        assert size[key] > 0, key
    assert 0.8 * 3000 * 52 < size["patient_weeks"] < 1.2 * 3000 * 52  # the ICS population summed over weeks
    assert isinstance(size["bytes_per_patient"], float)  # may be ~0 or negative at this size: RSS noise
    assert set(bench.PHASE_GROUPS) <= set(size["phases"])
    for phase in size["phases"]:
        assert size["ms_per_week"][phase] > 0, phase
    assert size["ms_per_week"]["total"] > 0 and size["ms_per_week"]["phases_total"] > 0
    assert 0 < size["metrics_share_of_step"] < 1
    assert result["scaling"] is None  # needs 100k and 1.5M


def test_reference_row(tiny):
    ref = tiny[0]["reference"]
    assert ref["population"] == 1000 and ref["years"] == 1
    if ref["available"]:
        assert ref["objects_run_seconds"] > 0 and ref["arrays_run_seconds"] > 0 and ref["ratio"] > 0
    else:  # agents.reference missing or broken: reported, not fatal
        assert ref["reason"] and ref["ratio"] is None


def test_targets_table(tiny):
    result = tiny[0]
    targets = result["targets"]
    assert len(targets) == 8
    assert all(t["status"] in TARGET_STATUSES for t in targets)
    by_name = {t["name"]: t for t in targets}
    assert by_name["1.5M people, 10 years"]["status"] == "not measured"
    assert not any(name.startswith("reference/") for name in by_name)  # reported, no longer a target (issue 14)
    text = bench.render(result)
    for heading in (
        "Throughput and memory",
        "Time per week by phase group",
        "Reference",
        "Targets",
        result["machine"]["cpu"],
        "numpy",
        "mesa",
    ):
        assert heading in text


def test_script_and_module_entry_points(tmp_path):
    script = subprocess.run(
        [sys.executable, "benchmarks/bench.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert script.returncode == 0 and "--quick" in script.stdout
    module = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert module.returncode == 0 and "--populations" in module.stdout


def test_the_reference_is_reported_unavailable_when_skipped_or_missing(monkeypatch, tiny):
    skipped = bench.summarise_reference([{"available": False, "reason": "skipped (--no-reference)"}], 5000, 1)
    assert skipped["available"] is False and skipped["ratio"] is None
    monkeypatch.setattr(bench, "find_spec", lambda name: None)
    missing = bench.measure_reference(5000, 1, 1, log=lambda message: None)
    assert missing["available"] is False and "does not exist" in missing["reason"]
    assert "unavailable (agents.reference does not exist)" in bench.render(dict(tiny[0], reference=missing))


def test_bad_options_are_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["bench", "--populations", "10,abc"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        cli.main(["bench", "--repeats", "0"])
    assert "--repeats" in capsys.readouterr().err


def fake_size(population: int, years: int, run_seconds: float, build_seconds: float = 1.0) -> dict:
    """A summarised size as :func:`bench.summarise_size` makes it, without running anything."""
    weeks = years * 52
    sample = {
        "population": population,
        "years": years,
        "weeks": weeks,
        "build_seconds": build_seconds,
        "run_seconds": run_seconds,
        "patient_weeks": float(population * weeks),
        "phase_seconds": {g: run_seconds / 7 for g in bench.PHASE_GROUPS},
        "array_bytes": population * 100,
        "people_at_end": population,
        "ru_maxrss_bytes": 100 * 2**20 + population * 150,
        "vmhwm_bytes": None,
    }
    return bench.summarise_size([sample], baseline_bytes=100 * 2**20)


def test_targets_and_scaling_at_full_size_without_running():
    sizes = [fake_size(100_000, 10, 3.0), fake_size(1_500_000, 10, 50.0, build_seconds=6.0)]
    scale = bench.scaling(sizes)
    assert scale["change"] == pytest.approx(50.0 / 15 / 3.0 - 1)  # 11% dearer per patient-week at 1.5M
    reference = {"population": 5000, "years": 1, "available": True, "ratio": 80.0}
    against = {"revision": "abc123", "sizes": [{"population": 1_500_000, "ratio": 0.75}]}
    status = {t["name"]: t["status"] for t in bench.targets(sizes, reference, scale, against)}
    assert status == {
        "1.5M people, 10 years": "met",  # 50 s
        "1.5M people, throughput": "met",  # 15.6M patient-weeks/s
        "100k people, 10 years": "met",  # 3 s
        "100k people, per week incl. metrics": "met",  # 5.8 ms
        "build at 1.5M": "not met",  # 6 s
        "memory at 1.5M (peak RSS - baseline)": "met",  # 150 B
        "1.5M throughput against abc123": "not met",  # 0.75x of the revision's, in the same run
        "linear scaling, ns/patient-week 100k -> 1.5M": "met",
        "metrics share of step time (1.5M, else 100k)": "not met",  # 1/7 = 14%
    }
    assert sizes[1]["bytes_per_patient"] == pytest.approx(150)
    short = bench.targets([fake_size(100_000, 1, 0.5)], reference, None)
    assert short[2]["value"] == pytest.approx(5.0) and "projected" in short[2]["note"]


@pytest.mark.slow
def test_against_a_revision_runs_both_trees_side_by_side():
    """``abm bench --against REV`` measures this checkout and REV's files (git archive) alternately."""
    import subprocess

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=bench.REPO_ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.fail("the benchmark's --against needs a git checkout")
    result = bench.measure_against("HEAD", [2000], years=1, repeats=2, repeats_large=1, log=lambda m: None)
    (row,) = result["sizes"]
    assert result["sha"] == head.stdout.strip() and row["repeats"] == 2
    assert row["pw_per_second"] > 0 and row["against_pw_per_second"] > 0
    assert 0.2 < row["ratio"] < 5  # the same code both sides: about 1, give or take a noisy machine
    assert "ratio" in bench.render_against(result)
    with pytest.raises(bench.BenchError, match="not a git revision"), bench.revision_tree("no-such-revision"):
        pass
