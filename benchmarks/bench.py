"""The performance harness behind ``abm bench``: how fast, how big, and where the time goes.

    abm bench                          # 10k, 100k and 1.5M people, 10-year runs (the 1.5M run takes minutes)
    abm bench --quick                  # 10k and 100k only
    abm bench --json --out bench.json  # JSON on stdout, and written atomically to bench.json
    abm bench --populations 3000 --years 1 --repeats 1 --reference-population 1000   # a smoke test
    python benchmarks/bench.py ...     # the same; also ``python -m benchmarks.bench ...``

For each population size the default scenario is built with
``ICSModel(population=N, years=Y, burn_in_weeks=0)`` (Y = 10 unless ``--years``) and
``model.run()`` is timed, with ``model.phase_seconds = {}`` so the week's phases are
timed by group.  Reported per size:

* build time (the constructor) and run time (``model.run()``, all 52 x Y weeks);
* patient-weeks per second: the ICS ``population`` column of the weekly metrics summed
  over the run (people alive and in the ICS each week) over the run time, and its
  inverse, the cost per patient-week in ns;
* ms per week in each phase group (commissioning, patients, acute, social_care, gp, chs,
  metrics) and the metrics group's share of the step time (sum of all groups);
* peak resident memory: ``ru_maxrss`` of the process that built and ran the model,
  less a baseline (``ru_maxrss`` of a process that only imported the same packages), per
  patient; and the population arrays' own size, ``model.pop.nbytes() / N``.

Every measurement runs in a fresh Python process (so memory peaks do not mix, and no
run warms another's caches) with ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and
``MKL_NUM_THREADS`` set to 1, one process at a time, so the work runs on one core.  Each
figure is the median over ``--repeats`` processes (default 3); sizes of 1,000,000 people
or more use ``--repeats-large`` (default 1: a 10-year run of 1.5M people takes minutes).

The reference ratio: in one process, the same scenario (default 5,000 people, 1 year,
no burn-in) is built and run with the vectorised engine (``patients="arrays"``) and with
the per-object Mesa reference (``patients="objects"``, :mod:`agents.reference`), each
after a warm-up year of 1,000 people with the same engine; the ratio is the reference's
run time over the engine's (median over repeats).  If
:mod:`agents.reference` is missing or fails, the row says "unavailable" and the rest of
the benchmark still runs.

The output names the CPU, core count, Python/numpy/mesa versions, the date and the git
revision, and ends with a table of the performance targets (issue: "a full ICS in about
a minute, a workshop run in seconds"), each "met", "not met" or "not measured".  Times
of runs shorter than 10 years are projected to 10 years (linearly) for the targets, and
the targets table says so.

This process (the parent) imports only the standard library, so its own memory cannot
leak into the children's ``ru_maxrss`` (Linux carries a process's high-water mark
across fork/exec).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from abm.provenance import atomic_write_text, git_revision
from abm.units import WEEKS_PER_YEAR

SCHEMA = 1
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POPULATIONS = (10_000, 100_000, 1_500_000)
QUICK_POPULATIONS = (10_000, 100_000)
LARGE = 1_000_000  # sizes from here use --repeats-large
PHASE_GROUPS = ("commissioning", "patients", "acute", "social_care", "gp", "chs", "metrics")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
TARGET_YEARS = 10
FULL_ICS = 1_500_000
WORKSHOP = 100_000
REFERENCE_POPULATION = 5000  # the size the reference/vectorised target is stated at


class BenchError(RuntimeError):
    """A measurement process failed."""


# =========================================================================== children
# What runs in the measurement processes.  Each reads a JSON spec, writes a JSON result.


def _peak_rss() -> dict:
    """This process's peak resident memory: ``ru_maxrss`` (KiB on Linux) and VmHWM, in bytes."""
    import resource

    out = {"ru_maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "vmhwm_bytes": None}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["vmhwm_bytes"] = int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return out


def _import_engine():
    """Import what every measurement needs (the baseline process imports exactly this)."""
    import mesa  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    from abm.model import ICSModel

    return ICSModel


def _child_baseline(spec: dict) -> dict:
    _import_engine()
    return _peak_rss()


def _child_size(spec: dict) -> dict:
    ICSModel = _import_engine()
    n, years = spec["population"], spec["years"]
    start = time.perf_counter()
    model = ICSModel(population=n, years=years, burn_in_weeks=0)
    build_seconds = time.perf_counter() - start
    model.phase_seconds = {}
    start = time.perf_counter()
    model.run()
    run_seconds = time.perf_counter() - start
    rss = _peak_rss()
    weeks = model.week_number
    frame = model.metrics.frame()
    patient_weeks = float(frame.loc[frame["place"] == "ICS", "population"].sum())
    return {
        "population": n,
        "years": years,
        "weeks": weeks,
        "build_seconds": build_seconds,
        "run_seconds": run_seconds,
        "patient_weeks": patient_weeks,
        "phase_seconds": {k: float(v) for k, v in model.phase_seconds.items()},
        "array_bytes": int(model.pop.nbytes()),
        "people_at_end": int(model.pop.n),
        **rss,
    }


def _child_reference(spec: dict) -> dict:
    ICSModel = _import_engine()
    if find_spec("agents.reference") is None:
        return {"available": False, "reason": "agents.reference does not exist"}
    n, years = spec["population"], spec["years"]
    # warm up both engines: first calls (imports inside the engine, numpy dispatch, each rule's first
    # pass) are not their speed; a whole small year reaches every weekly and yearly rule
    for patients in ("arrays", "objects"):
        ICSModel(population=1000, years=1, burn_in_weeks=0, patients=patients).run()
    out: dict[str, bool | float] = {"available": True}
    for patients in ("arrays", "objects"):
        start = time.perf_counter()
        model = ICSModel(population=n, years=years, burn_in_weeks=0, patients=patients)
        built = time.perf_counter() - start
        start = time.perf_counter()
        model.run()
        out[f"{patients}_build_seconds"] = built
        out[f"{patients}_run_seconds"] = time.perf_counter() - start
        del model
    return out


CHILDREN = {"baseline": _child_baseline, "size": _child_size, "reference": _child_reference}


def _child_main(argv: Sequence[str]) -> None:
    """Entry point of a measurement process: ``argv`` is [spec JSON, result path]."""
    spec, result_path = json.loads(argv[0]), argv[1]
    result = CHILDREN[spec["kind"]](spec)
    Path(result_path).write_text(json.dumps(result))


# =========================================================================== parent
def child_environment(root: Path = REPO_ROOT) -> dict:
    """The parent's environment, one thread for the numeric libraries, and the repository on the path."""
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        env[name] = "1"
    paths = [str(root)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p) != REPO_ROOT]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_child(spec: dict, timeout: float | None = None, root: Path = REPO_ROOT) -> dict:
    """Run one measurement in a fresh ``python`` process, with the code of ``root`` (this checkout, or an
    earlier revision's tree: see :func:`revision_tree`), and return its result."""
    code = "import sys; from benchmarks.bench import _child_main; _child_main(sys.argv[1:])"
    with tempfile.TemporaryDirectory(prefix="abm-bench-") as tmp:
        result_path = Path(tmp) / "result.json"
        done = subprocess.run(
            [sys.executable, "-c", code, json.dumps(spec), str(result_path)],
            env=child_environment(root),
            cwd=root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0 or not result_path.exists():
            tail = "\n".join((done.stderr or "").strip().splitlines()[-15:])
            raise BenchError(f"measurement {spec} failed (exit {done.returncode}):\n{tail}")
        return json.loads(result_path.read_text())


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise_size(samples: list[dict], baseline_bytes: int | None) -> dict:
    """Medians over the repeats of one population size, and the derived figures."""
    n, weeks = samples[0]["population"], samples[0]["weeks"]
    run_seconds = _median([s["run_seconds"] for s in samples])
    patient_weeks = _median([s["patient_weeks"] for s in samples])
    groups = [g for g in PHASE_GROUPS if any(g in s["phase_seconds"] for s in samples)]
    groups += sorted({g for s in samples for g in s["phase_seconds"]} - set(groups))
    ms_per_week = {g: _median([1000 * s["phase_seconds"].get(g, 0.0) / s["weeks"] for s in samples]) for g in groups}
    step_ms = _median([1000 * sum(s["phase_seconds"].values()) / s["weeks"] for s in samples])
    metrics_share = _median(
        [s["phase_seconds"].get("metrics", 0.0) / max(sum(s["phase_seconds"].values()), 1e-12) for s in samples]
    )
    peak = _median([s["ru_maxrss_bytes"] for s in samples])
    pw_per_second = _median([s["patient_weeks"] / s["run_seconds"] for s in samples])
    return {
        "population": n,
        "years": samples[0]["years"],
        "weeks": weeks,
        "repeats": len(samples),
        "build_seconds": _median([s["build_seconds"] for s in samples]),
        "run_seconds": run_seconds,
        "patient_weeks": patient_weeks,
        "patient_weeks_per_second": pw_per_second,
        "ns_per_patient_week": 1e9 / pw_per_second,
        "ms_per_week": {
            "total": _median([1000 * s["run_seconds"] / s["weeks"] for s in samples]),
            "phases_total": step_ms,
            **ms_per_week,
        },
        "phases": groups,
        "metrics_share_of_step": metrics_share,
        "peak_rss_bytes": peak,
        "peak_vmhwm_bytes": _median([s.get("vmhwm_bytes") for s in samples]),
        "bytes_per_patient": None if baseline_bytes is None else (peak - baseline_bytes) / n,
        "array_bytes_per_patient": _median([s["array_bytes"] / n for s in samples]),
        "samples": samples,
    }


def summarise_reference(samples: list[dict], population: int, years: int) -> dict:
    base = {"population": population, "years": years}
    if not samples or not all(s.get("available") for s in samples):
        reason = next((s.get("reason") for s in samples if not s.get("available")), "not measured")
        return {**base, "available": False, "reason": reason, "ratio": None}
    return {
        **base,
        "available": True,
        "repeats": len(samples),
        "objects_run_seconds": _median([s["objects_run_seconds"] for s in samples]),
        "arrays_run_seconds": _median([s["arrays_run_seconds"] for s in samples]),
        "objects_build_seconds": _median([s["objects_build_seconds"] for s in samples]),
        "arrays_build_seconds": _median([s["arrays_build_seconds"] for s in samples]),
        "ratio": _median([s["objects_run_seconds"] / s["arrays_run_seconds"] for s in samples]),
        "ratio_with_build": _median(
            [
                (s["objects_run_seconds"] + s["objects_build_seconds"])
                / (s["arrays_run_seconds"] + s["arrays_build_seconds"])
                for s in samples
            ]
        ),
        "samples": samples,
    }


def measure_reference(population: int, years: int, repeats: int, log) -> dict:
    """The reference/vectorised ratio, or an "unavailable" entry (never raises for a broken reference)."""
    if find_spec("agents.reference") is None:
        return summarise_reference(
            [{"available": False, "reason": "agents.reference does not exist"}], population, years
        )
    samples = []
    for r in range(repeats):
        log(f"reference: {population:,} people, {years} year(s), objects vs arrays, repeat {r + 1}/{repeats}")
        try:
            samples.append(run_child({"kind": "reference", "population": population, "years": years}))
        except BenchError as exc:
            last = str(exc).strip().splitlines()[-1]
            return summarise_reference([{"available": False, "reason": f"failed: {last}"}], population, years)
    return summarise_reference(samples, population, years)


def scaling(sizes: list[dict], small: int = WORKSHOP, large: int = FULL_ICS) -> dict | None:
    """Change in ns per patient-week from ``small`` to ``large`` people (None unless both were measured)."""
    by_n = {s["population"]: s for s in sizes}
    if small not in by_n or large not in by_n:
        return None
    a, b = by_n[small]["ns_per_patient_week"], by_n[large]["ns_per_patient_week"]
    return {"from": small, "to": large, "ns_from": a, "ns_to": b, "change": b / a - 1}


# --------------------------------------------------------------------------- targets
def _target(name, target, value, ok, measured: str, note: str = "") -> dict:
    status = "not measured" if value is None else ("met" if ok(value) else "not met")
    return {
        "name": name,
        "target": target,
        "value": value,
        "measured": measured if value is not None else "-",
        "status": status,
        "note": note,
    }


def targets(sizes: list[dict], reference: dict, scale: dict | None, against: dict | None = None) -> list[dict]:
    """Each performance target with its measured value and "met"/"not met"/"not measured".

    With ``against`` (``--against REV``), throughput at 1.5M people must be at least 0.8 of REV's in the
    same run (issue 14: measured as a ratio side by side, since machines differ)."""
    by_n = {s["population"]: s for s in sizes}
    full, workshop = by_n.get(FULL_ICS), by_n.get(WORKSHOP)

    def ten_year(size):
        if size is None:
            return None, ""
        factor = TARGET_YEARS / size["years"]
        note = "" if size["years"] == TARGET_YEARS else f"projected from a {size['years']}-year run"
        return size["run_seconds"] * factor, note

    out = []
    t, note = ten_year(full)
    out.append(
        _target("1.5M people, 10 years", "<= 60 s", t, lambda v: v <= 60, f"{t:.1f} s" if t is not None else "", note)
    )
    pws = full["patient_weeks_per_second"] if full else None
    out.append(
        _target(
            "1.5M people, throughput",
            ">= 13M patient-weeks/s",
            pws,
            lambda v: v >= 13e6,
            f"{pws / 1e6:.2f}M/s" if pws else "",
        )
    )
    t, note = ten_year(workshop)
    out.append(
        _target("100k people, 10 years", "<= 4 s", t, lambda v: v <= 4, f"{t:.2f} s" if t is not None else "", note)
    )
    ms = workshop["ms_per_week"]["total"] if workshop else None
    out.append(
        _target(
            "100k people, per week incl. metrics",
            "<= 8 ms",
            ms,
            lambda v: v <= 8,
            f"{ms:.2f} ms" if ms is not None else "",
        )
    )
    b = full["build_seconds"] if full else None
    out.append(_target("build at 1.5M", "<= 5 s", b, lambda v: v <= 5, f"{b:.2f} s" if b is not None else ""))
    bpp = full["bytes_per_patient"] if full else None
    out.append(
        _target(
            "memory at 1.5M (peak RSS - baseline)",
            "<= 200 bytes/patient",
            bpp,
            lambda v: v <= 200,
            f"{bpp:.0f} B" if bpp is not None else "",
            f"arrays alone {full['array_bytes_per_patient']:.0f} B" if full else "",
        )
    )
    # the "reference at least 50x slower" target is retired (issue 14): the ratio is reported, not a goal
    change = scale["change"] if scale else None
    out.append(
        _target(
            "linear scaling, ns/patient-week 100k -> 1.5M",
            "within +/-25%",
            change,
            lambda v: abs(v) <= 0.25,
            f"{change:+.1%}" if change is not None else "",
        )
    )
    if against is not None:
        rows = {x["population"]: x for x in against["sizes"]}
        ratio = rows[FULL_ICS]["ratio"] if FULL_ICS in rows else None
        out.append(
            _target(
                f"1.5M throughput against {against['revision']}",
                ">= 0.8x, same run",
                ratio,
                lambda v: v >= 0.8,
                f"{ratio:.2f}x" if ratio is not None else "",
            )
        )
    at = full or workshop  # the target is for real ICS sizes: at small sizes fixed weekly costs dominate
    share = at["metrics_share_of_step"] if at else None
    out.append(
        _target(
            "metrics share of step time (1.5M, else 100k)",
            "<= 10%",
            share,
            lambda v: v <= 0.10,
            f"{share:.1%}" if share is not None else "",
            f"at {at['population']:,} people" if at else "",
        )
    )
    return out


# --------------------------------------------------------------------------- provenance
def cpu_name() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover - not Linux
        pass
    return platform.processor() or None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:  # pragma: no cover
        return None


def machine() -> dict:
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "mesa": _version("mesa"),
        "pandas": _version("pandas"),
        "abm": _version("ics-abm"),
    }


# --------------------------------------------------------------------------- the benchmark
def run_benchmark(
    populations: Sequence[int],
    years: int = TARGET_YEARS,
    repeats: int = 3,
    repeats_large: int = 1,
    reference: bool = True,
    reference_population: int = REFERENCE_POPULATION,
    reference_years: int = 1,
    log=None,
    against: str | None = None,
) -> dict:
    """Measure every population size and the reference ratio; return the JSON-ready result."""
    log = log or (lambda message: None)
    started = time.perf_counter()
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": git_revision(),
        "machine": machine(),
        "settings": {
            "populations": list(populations),
            "years": years,
            "repeats": repeats,
            "repeats_large": repeats_large,
            "large_from": LARGE,
            "scenario": "default",
            "burn_in_weeks": 0,
            "reference": {"population": reference_population, "years": reference_years} if reference else None,
            "threads": {name: "1" for name in THREAD_VARIABLES},
            "process": "one fresh python process per measurement, one at a time; figures are medians",
        },
    }
    log("baseline: a process that only imports the engine")
    baseline = run_child({"kind": "baseline"})
    result["baseline_rss_bytes"] = baseline["ru_maxrss_bytes"]
    sizes = []
    for n in populations:
        count = repeats_large if n >= LARGE else repeats
        samples = []
        for r in range(count):
            log(f"{n:,} people, {years} year(s): repeat {r + 1}/{count}")
            samples.append(run_child({"kind": "size", "population": n, "years": years}))
        sizes.append(summarise_size(samples, baseline["ru_maxrss_bytes"]))
    result["sizes"] = sizes
    result["scaling"] = scaling(sizes)
    if reference:
        ref = measure_reference(reference_population, reference_years, repeats, log)
    else:
        ref = summarise_reference(
            [{"available": False, "reason": "skipped (--no-reference)"}], reference_population, reference_years
        )
    result["reference"] = ref
    if against is not None:
        result["against"] = measure_against(against, populations, years, repeats, repeats_large, log)
    result["targets"] = targets(sizes, ref, result["scaling"], result.get("against"))
    result["wall_seconds"] = time.perf_counter() - started
    return result


# --------------------------------------------------------------------------- against a revision
@contextlib.contextmanager
def revision_tree(revision: str):
    """The files of git ``revision`` in a temporary folder (``git archive``), for :func:`run_child`."""
    resolved = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    if resolved.returncode != 0:
        raise BenchError(f"--against {revision!r}: not a git revision of this checkout")
    sha = resolved.stdout.strip()
    with tempfile.TemporaryDirectory(prefix="abm-bench-against-") as tmp:
        archive = subprocess.run(["git", "archive", "--format=tar", sha], cwd=REPO_ROOT, capture_output=True)
        if archive.returncode != 0:
            raise BenchError(f"--against {revision!r}: git archive failed: {archive.stderr.decode()[-300:]}")
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        yield sha, Path(tmp)


def measure_against(
    revision: str, populations: Sequence[int], years: int, repeats: int, repeats_large: int, log
) -> dict:
    """This checkout against ``revision``, side by side in one run: each repeat runs both, alternating
    which goes first, so drifts in the machine's speed fall on both.  The ratio is this checkout's
    patient-weeks per second over the revision's (above 1: this checkout is quicker)."""
    rows = []
    with revision_tree(revision) as (sha, root):
        for n in populations:
            count = repeats_large if n >= LARGE else repeats
            here: list[dict] = []
            there: list[dict] = []
            for r in range(count):
                order = [("this checkout", REPO_ROOT, here), (sha[:10], root, there)]
                for label, tree, samples in order if r % 2 == 0 else order[::-1]:
                    log(f"against {revision}: {n:,} people, {years} year(s), {label}: repeat {r + 1}/{count}")
                    samples.append(run_child({"kind": "size", "population": n, "years": years}, root=tree))
            speed_here = _median([x["patient_weeks"] / x["run_seconds"] for x in here])
            speed_there = _median([x["patient_weeks"] / x["run_seconds"] for x in there])
            rows.append(
                {
                    "population": n,
                    "repeats": count,
                    "pw_per_second": speed_here,
                    "against_pw_per_second": speed_there,
                    "ratio": speed_here / speed_there,
                    "run_seconds": _median([x["run_seconds"] for x in here]),
                    "against_run_seconds": _median([x["run_seconds"] for x in there]),
                }
            )
    return {"revision": revision, "sha": sha, "sizes": rows}


def render_against(against: dict) -> str:
    headings = [
        "population",
        "reps",
        "this run s",
        f"{against['sha'][:10]} run s",
        "this M pw/s",
        f"{against['sha'][:10]} M pw/s",
        "ratio",
    ]
    rows = [
        [
            f"{x['population']:,}",
            x["repeats"],
            _fmt(x["run_seconds"], ".2f"),
            _fmt(x["against_run_seconds"], ".2f"),
            _fmt(x["pw_per_second"] / 1e6, ".2f"),
            _fmt(x["against_pw_per_second"] / 1e6, ".2f"),
            _fmt(x["ratio"], ".3f"),
        ]
        for x in against["sizes"]
    ]
    return (
        f"Against {against['revision']} ({against['sha'][:12]}), side by side in this run "
        "(ratio = this checkout's throughput / the revision's)\n" + _table(headings, rows)
    )


# --------------------------------------------------------------------------- printing
def _table(headings: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """Aligned columns: the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(len(str(r[i])) for r in [headings, *rows]) for i in range(len(headings))]

    def line(cells):
        return "  ".join(
            str(c).ljust(w) if i < left else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headings), line(["-" * w for w in widths]), *map(line, rows)])


def _fmt(value, spec: str, missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def render(result: dict) -> str:
    """The readable report: provenance, sizes, phases, reference ratio, scaling, targets."""
    m, g, s = result["machine"], result["git"], result["settings"]
    revision = (g["revision"] or "unknown")[:12] + (" (uncommitted changes)" if g.get("dirty") else "")
    lines = [
        "abm bench: default scenario, no burn-in, one core (OMP/OPENBLAS/MKL_NUM_THREADS=1)",
        f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable); {m['platform']}",
        f"versions: Python {m['python']}, numpy {m['numpy']}, mesa {m['mesa']}, pandas {m['pandas']}, abm {m['abm']}",
        f"date: {result['date']}   git: {revision}",
        f"runs: {s['years']} year(s) = {s['years'] * WEEKS_PER_YEAR} weeks each, in a fresh process; figures are the "
        f"median of {s['repeats']} run(s) per size ({s['repeats_large']} from {s['large_from']:,} people); "
        f"baseline RSS {result['baseline_rss_bytes'] / 2**20:.0f} MiB",
        "",
    ]
    headings = [
        "population",
        "reps",
        "build s",
        "run s",
        "M pw/s",
        "ns/pw",
        "ms/week",
        "peak RSS MiB",
        "B/patient RSS",
        "B/patient arrays",
    ]
    rows = [
        [
            f"{x['population']:,}",
            x["repeats"],
            _fmt(x["build_seconds"], ".3f"),
            _fmt(x["run_seconds"], ".2f"),
            _fmt(x["patient_weeks_per_second"] / 1e6, ".2f"),
            _fmt(x["ns_per_patient_week"], ".0f"),
            _fmt(x["ms_per_week"]["total"], ".2f"),
            _fmt(x["peak_rss_bytes"] / 2**20, ".0f"),
            _fmt(x["bytes_per_patient"], ".0f"),
            _fmt(x["array_bytes_per_patient"], ".0f"),
        ]
        for x in result["sizes"]
    ]
    lines += ["Throughput and memory (pw = patient-weeks)", _table(headings, rows), ""]

    groups = []
    for x in result["sizes"]:
        groups += [p for p in x["phases"] if p not in groups]
    headings = ["population", *groups, "all phases", "metrics %"]
    rows = [
        [
            f"{x['population']:,}",
            *[_fmt(x["ms_per_week"].get(p), ".3f") for p in groups],
            _fmt(x["ms_per_week"]["phases_total"], ".3f"),
            _fmt(100 * x["metrics_share_of_step"], ".1f"),
        ]
        for x in result["sizes"]
    ]
    lines += ["Time per week by phase group (ms)", _table(headings, rows), ""]

    ref = result["reference"]
    if ref.get("available"):
        lines.append(
            f"Reference (objects) / vectorised (arrays) at {ref['population']:,} people, {ref['years']} "
            f"year(s): {ref['objects_run_seconds']:.2f} s / {ref['arrays_run_seconds']:.3f} s = "
            f"{ref['ratio']:.1f}x (with build: {ref['ratio_with_build']:.1f}x; median of {ref['repeats']})"
        )
    else:
        lines.append(
            f"Reference (objects) / vectorised (arrays) at {ref['population']:,} people: unavailable "
            f"({ref.get('reason')})"
        )
    scale = result["scaling"]
    if scale:
        lines.append(
            f"Scaling: {scale['ns_from']:.0f} ns/pw at {scale['from']:,} -> {scale['ns_to']:.0f} ns/pw at "
            f"{scale['to']:,} ({scale['change']:+.1%})"
        )
    else:
        lines.append(f"Scaling: not measured (needs {WORKSHOP:,} and {FULL_ICS:,})")
    lines.append("")
    rows = [[t["name"], t["target"], t["measured"], t["status"], t["note"]] for t in result["targets"]]
    lines += ["Targets", _table(["target", "goal", "measured", "status", "note"], rows, left=5)]
    if result.get("against"):
        lines += ["", render_against(result["against"])]
    lines.append(f"\n(benchmark wall time {result['wall_seconds']:.0f} s)")
    return "\n".join(lines)


def write_json_atomic(data: dict, path: str | Path) -> Path:
    """Write ``data`` as JSON to ``path`` via a temporary file in the same directory and ``os.replace``."""
    return atomic_write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", path)


# --------------------------------------------------------------------------- command line
def _populations(text: str) -> list[int]:
    try:
        values = [int(v.replace("_", "")) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give whole numbers separated by commas, e.g. 10000,100000"
        ) from None
    if not values or any(v < 1000 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: each population must be at least 1000")
    return values


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of ``abm bench`` (shared by ``python benchmarks/bench.py``)."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"skip the {FULL_ICS:,}-person run (sizes {', '.join(f'{n:,}' for n in QUICK_POPULATIONS)})",
    )
    parser.add_argument(
        "--populations",
        type=_populations,
        metavar="N,N,...",
        help="population sizes to measure (default 10000,100000,1500000; overrides --quick)",
    )
    parser.add_argument(
        "--years",
        type=_positive,
        default=TARGET_YEARS,
        metavar="Y",
        help=f"reporting years per run (default {TARGET_YEARS}; shorter runs are projected "
        "to 10 years for the targets)",
    )
    parser.add_argument(
        "--repeats",
        type=_positive,
        default=3,
        metavar="N",
        help="fresh processes per size (and for the reference ratio); figures are medians (default 3)",
    )
    parser.add_argument(
        "--repeats-large",
        type=_positive,
        default=1,
        metavar="N",
        help=f"repeats for sizes of {LARGE:,} people or more (default 1)",
    )
    parser.add_argument(
        "--reference-population",
        type=_positive,
        default=REFERENCE_POPULATION,
        metavar="N",
        help="people in the reference/vectorised comparison (default 5000)",
    )
    parser.add_argument(
        "--reference-years",
        type=_positive,
        default=1,
        metavar="Y",
        help="years in the reference/vectorised comparison (default 1)",
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the reference/vectorised comparison")
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also run git revision REV side by side (alternating, same sizes and repeats) and print "
        "this checkout's throughput over REV's: the way to compare speed on a noisy machine",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the results as JSON on stdout (progress still goes to stderr)"
    )
    parser.add_argument("--out", type=Path, metavar="FILE", help="also write the JSON results to FILE (atomically)")
    parser.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")
    return parser


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(
        argparse.ArgumentParser(
            prog="python benchmarks/bench.py",
            description="Measure the engine's speed and memory (the same as 'abm bench').",
        )
    )


def run_from_args(args: argparse.Namespace) -> int:
    """Run the benchmark as the parsed options say; print the table or JSON; return the exit code."""
    if args.out is not None and args.out.is_dir():
        print(f"error: --out {str(args.out)!r} is a directory; give a file name", file=sys.stderr)
        return 2
    populations = args.populations or list(QUICK_POPULATIONS if args.quick else DEFAULT_POPULATIONS)

    def log(message: str) -> None:
        if not args.no_progress:
            print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    try:
        result = run_benchmark(
            populations,
            years=args.years,
            repeats=args.repeats,
            repeats_large=args.repeats_large,
            reference=not args.no_reference,
            reference_population=args.reference_population,
            reference_years=args.reference_years,
            log=log,
            against=args.against,
        )
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.out is not None:
        write_json_atomic(result, args.out)
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False))
    else:
        print(render(result))
        if args.out is not None:
            print(f"JSON: {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_from_args(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
