"""Run every run of a design, in parallel, resumably (the logic behind ``abm sweep``).

    plan = load_design("experiments/designs/workforce_funding.yaml")
    report = run_sweep(plan, "runs/beds", jobs=4)              # joblib's loky processes
    report = run_sweep(plan, "runs/beds", backend="dask", scheduler="tcp://head:8786")
    report = run_sweep(plan, "runs/beds", backend="dask", scheduler=SLURMCluster(...))  # dask-jobqueue

The output directory::

    sweep.json                 the plan (design, resolved base scenario, points, seeds), its
                               fingerprint, versions, git revision and command
    points.csv                 one row per design point: its factor values
    runs.csv                   one row per run: run_id, point, replicate, seed, status
                               (ok / failed / pending), error, duration_s (wall) and
                               cpu_s (its process's CPU time) in the worker, started,
                               finished, worker (host:pid), and the point's factor values
    runs/<run_id>/summary.json       the run's headline figures per year (as ``abm run``)
    runs/<run_id>/metrics.parquet    its weekly metrics (designs with ``outputs: weekly``)
    runs/<run_id>/record.json        status, timings, and the traceback of a failed run;
                                     written last, so it marks the run complete

Every file is written atomically by this (the parent) process, so workers need no
shared file system and an interrupted sweep leaves no half-written file.  However the
sweep ends (done, an exception, Ctrl+C, or SIGTERM turned into one by ``abm sweep``),
runs.csv is rewritten from the record.json files, and after an interruption the loky
worker processes are killed rather than left running; workers of a sweep killed outright
(``kill -9``) end themselves within a second.  Running
the same sweep again skips the runs recorded ``ok`` and runs the rest (failed runs
are tried again); a sweep directory refuses a plan whose fingerprint differs.
A run that raises is recorded as failed, with its traceback, and the others go on.
Results do not depend on the backend or the number of workers: a run is fixed by
its scenario and seed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import threading
import time
import traceback
from collections.abc import Generator, Iterable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from abm.provenance import atomic_write_text, git_revision, remove_stale_temporaries, signals_deferred
from experiments.design import Plan

SCHEMA = 1
SWEEP_FILE = "sweep.json"
POINTS_FILE = "points.csv"
RUNS_FILE = "runs.csv"
RUNS_DIR = "runs"
RECORD_FILE = "record.json"
BACKENDS = ("loky", "dask")
RUN_COLUMNS = (
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
)
DASK_CONNECT_TIMEOUT = "30s"
LOCAL_HTTP_ADDRESS = "127.0.0.1:0"  # a local Dask cluster's (page-less) HTTP server: loopback, any free port
TABLE_EVERY_SECONDS = 2.0  # how often runs.csv is rewritten while a sweep runs (and at its end)


class SweepError(Exception):
    """The sweep cannot start: the output directory holds something else, or a backend is missing."""


@dataclass
class SweepReport:
    """What one invocation of a sweep did."""

    out_dir: Path
    total: int  # runs in the design
    skipped: int  # already ok before this invocation
    ok: int  # completed ok in this invocation
    failed: int  # failed in this invocation
    wall_seconds: float  # this invocation, from start to the last file written
    compute_seconds: float  # sum of the runs' own durations (in their workers)
    notes: list[str]

    def text(self) -> str:
        """A one-paragraph account for the command line."""
        lines = [
            f"{self.total} runs: {self.skipped + self.ok} ok ({self.skipped} already done, {self.ok} now), "
            f"{self.failed} failed now; wall {self.wall_seconds:.1f} s, run compute {self.compute_seconds:.1f} s"
        ]
        if self.failed:
            lines.append(
                f"failed runs are listed in {self.out_dir / RUNS_FILE} (tracebacks in runs/<run_id>/"
                f"{RECORD_FILE}); run the same command again to retry them"
            )
        return "\n".join(lines + self.notes)


# --------------------------------------------------------------------------- the sweep
def run_sweep(
    plan: Plan,
    out_dir: str | Path,
    *,
    jobs: int = 1,
    backend: str = "loky",
    scheduler: Any = None,
    progress: bool = True,
    command: list[str] | None = None,
) -> SweepReport:
    """Run the plan's unfinished runs and record each one as it completes.

    Args:
        plan: from :func:`experiments.design.load_design`.
        out_dir: the sweep directory (created; an existing one must hold this same plan).
        jobs: worker processes (loky), or local Dask workers when no ``scheduler`` is given.
        backend: ``"loky"`` (joblib's processes; ``jobs=1`` runs in this process) or ``"dask"``.
        scheduler: a Dask scheduler address (``tcp://host:8786``) to run on a cluster, or a
            cluster object with a ``scheduler_address`` (dask-jobqueue's ``SLURMCluster``,
            ``PBSCluster``..., or dask's ``LocalCluster``), which the caller starts, scales and closes.
        progress: show a progress bar with ETA on stderr.
        command: the command line recorded in sweep.json.

    Raises:
        SweepError: the directory holds other files or another design; Dask is missing.
    """
    if backend not in BACKENDS:
        raise SweepError(f"--backend {backend!r} is not allowed; allowed: {', '.join(BACKENDS)}")
    address = scheduler_address(scheduler)  # a cluster object (dask-jobqueue's) gives its scheduler's address
    clock = time.perf_counter()
    out = Path(out_dir)
    try:
        notes = prepare_directory(out, plan, command)
    except OSError as exc:
        raise SweepError(f"--out {str(out)!r}: cannot write there: {exc.strerror or exc}") from None
    runs = plan.runs()
    table = RunsTable(out, plan, read_records(out))
    todo = [run for run in runs if table.status(run["run_id"]) != "ok"]
    skipped, ok, failed, compute = len(runs) - len(todo), 0, 0, 0.0
    from tqdm import tqdm

    with tqdm(
        total=len(runs),
        initial=skipped,
        desc=plan.design.name,
        unit="run",
        disable=not progress,
        smoothing=0.1,
        dynamic_ncols=True,
    ) as bar:
        outputs = execute(todo, plan.base, plan.design.outputs, jobs, backend, address, plan.measures)
        finished = False
        try:
            for output in outputs:
                record = store_run(out, output)
                table.update(record)
                ok, failed = ok + (record["status"] == "ok"), failed + (record["status"] != "ok")
                compute += record["duration_s"]
                bar.update(1)
                bar.set_postfix(failed=failed, refresh=False)
            finished = True
        finally:
            with signals_deferred():  # a second Ctrl+C or SIGTERM must not cut the clean-up short
                try:
                    if not finished:  # an exception, Ctrl+C or SIGTERM (see interrupt_on_sigterm)
                        outputs.close()  # joblib stops dispatching and kills its workers
                        end_workers(backend)
                finally:
                    table.rewrite_from(out)
    return SweepReport(out, len(runs), skipped, ok, failed, time.perf_counter() - clock, compute, notes)


# --------------------------------------------------------------------------- one run (in a worker)
def execute_run(
    base: dict, run: dict, outputs: str, sweep_pid: int | None = None, measures: list[dict] | None = None
) -> dict:
    """Run one design point with one seed and return its results; a failure is returned, not raised.

    Runs in a worker process (or in this one when ``jobs=1``), so it only computes:
    the parent writes every file.  ``sweep_pid`` is the sweep's process: a worker that is
    its child ends itself when it goes (see :func:`exit_with_sweep`).  ``measures``: the design's
    declared outcomes, computed here from the weekly metrics and kept under ``outcomes`` in the summary.
    """
    if sweep_pid is not None:
        exit_with_sweep(sweep_pid)
    from abm.config import build
    from abm.model import ICSModel
    from abm.runner import summarise
    from abm.scenario import Scenario, apply_overrides

    started, clock, cpu = _now(), time.perf_counter(), time.process_time()
    output: dict[str, Any] = {key: run[key] for key in ("run_id", "point", "replicate", "seed")}
    try:
        scenario = build(Scenario, apply_overrides(base, {**run["overrides"], "seed": run["seed"]}))
        metrics = ICSModel(scenario).run().metrics.frame()
        output["summary"] = summarise(metrics, name=scenario.name, population=scenario.population)
        if measures:
            from experiments.outcomes import compute

            output["summary"]["outcomes"] = compute(metrics, measures)
        output["metrics"] = metrics if outputs == "weekly" else None
        output.update(status="ok", error="", traceback="")
    except Exception as exc:  # noqa: BLE001 - recorded with its traceback; the sweep goes on
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        output.update(status="failed", error=message[:500], traceback=traceback.format_exc())
    output.update(
        duration_s=time.perf_counter() - clock,
        cpu_s=time.process_time() - cpu,
        started=started,
        finished=_now(),
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    return output


_watching_sweep = False


def exit_with_sweep(sweep_pid: int) -> None:
    """In a worker process that is a child of the sweep's process (loky's): end it once that process is gone.

    A sweep stopped by Ctrl+C or SIGTERM kills its workers itself; one killed outright
    (``kill -9``, out of memory) cannot, and its workers would finish their runs and idle
    for minutes.  A thread here sees the parent go (the worker is handed to another
    parent) within half a second and ends the worker.  Nothing is started in the sweep's
    own process, nor in Dask's workers (children of a nanny or on another machine).
    """
    global _watching_sweep
    if _watching_sweep or sweep_pid == os.getpid() or os.getppid() != sweep_pid:
        return
    _watching_sweep = True

    def watch() -> None:
        while os.getppid() == sweep_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-sweep", daemon=True).start()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# --------------------------------------------------------------------------- backends
def execute(
    runs: list[dict],
    base: dict,
    outputs: str,
    jobs: int,
    backend: str,
    scheduler: Any,
    measures: list[dict] | None = None,
) -> Generator[dict, None, None]:
    """Each run's output, in the order they finish, through joblib (loky processes or Dask)."""
    if not runs:
        return
    from joblib import Parallel, delayed, parallel_config

    tasks = (delayed(execute_run)(base, run, outputs, os.getpid(), measures or None) for run in runs)
    options = {"return_as": "generator_unordered", "batch_size": 1}
    if backend == "dask":
        with dask_client(scheduler, jobs) as client, parallel_config(backend="dask"):
            workers = max(1, sum(client.nthreads().values()))
            yield from Parallel(n_jobs=workers, **options)(tasks)
    else:
        yield from Parallel(n_jobs=jobs, backend="loky", **options)(tasks)


def end_workers(backend: str) -> None:
    """Kill joblib's reusable loky worker processes (after an interruption: they would go on running).

    joblib already kills them when an exception passes through its generator; this makes
    sure of it whichever way the loop ended.  Dask workers belong to their cluster, which
    its context manager closes (a local one) or which outlives the sweep (a remote one).
    """
    if backend != "loky":
        return
    from joblib.externals.loky import reusable_executor

    executor = getattr(reusable_executor, "_executor", None)  # the singleton, if one was started
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)


def scheduler_address(scheduler: Any) -> str | None:
    """The address of a Dask scheduler given as an address, or as a cluster object (its ``scheduler_address``)."""
    if scheduler is None or isinstance(scheduler, str):
        return scheduler or None
    address = getattr(scheduler, "scheduler_address", None)
    if not isinstance(address, str):
        raise SweepError(
            f"scheduler: {type(scheduler).__name__} is neither a scheduler address (tcp://host:8786) nor a "
            "Dask cluster with a scheduler_address (dask-jobqueue's SLURMCluster, dask's LocalCluster)"
        )
    return address


@contextmanager
def dask_client(scheduler: Any, jobs: int):
    """A Dask client: to the scheduler at ``scheduler`` (an address or a cluster object), or to a local
    cluster of ``jobs`` single-threaded processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SweepError("--backend dask needs Dask: pip install 'ics-abm[dask]'") from None
    scheduler = scheduler_address(scheduler)
    if scheduler:
        try:
            client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise SweepError(
                f"cannot reach the Dask scheduler at {scheduler!r} within {DASK_CONNECT_TIMEOUT}: {exc}"
            ) from None
        with client:
            yield client
        return
    import logging

    import dask

    # No web dashboard: distributed's scheduler serves its HTTP pages even with
    # dashboard_address=None (on port 8787, every interface), so it gets no pages to serve
    # and listens on a spare port of the loopback interface only.
    with (
        dask.config.set({"distributed.scheduler.http.routes": [], "distributed.worker.http.routes": []}),
        LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": LOCAL_HTTP_ADDRESS},
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


# --------------------------------------------------------------------------- files
def prepare_directory(out: Path, plan: Plan, command: list[str] | None) -> list[str]:
    """Start a new sweep directory, or check an existing one holds this plan; return notes for the user.

    Temporary files left by a killed sweep (whose process has gone) are removed.
    """
    notes: list[str] = []
    sweep_file = out / SWEEP_FILE
    if sweep_file.exists():
        recorded = json.loads(sweep_file.read_text())
        if extends(recorded["plan"], plan):
            notes.append(extend_sweep(out, recorded, plan))
        elif recorded["plan"]["fingerprint"] != plan.fingerprint():
            raise SweepError(
                f"{out} holds results of a different design, so they cannot be mixed:\n"
                + "\n".join(f"  - {d}" for d in plan_differences(recorded["plan"], plan.to_record()))
                + "\nUse another --out directory, or delete this one to start again."
            )
        if recorded["git"] != git_revision():
            notes.append(
                f"note: the code has changed since this sweep started ({recorded['git']} -> "
                f"{git_revision()}); runs done before and after may differ"
            )
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SweepError(
            f"--out {str(out)!r} is not an empty directory and holds no {SWEEP_FILE}; give a new or empty directory"
        )
    else:
        from abm.runner import atomic_write_json, package_versions

        atomic_write_json(
            {
                "schema": SCHEMA,
                "plan": plan.to_record(),
                "created": _now(),
                "command": command,
                "versions": package_versions(),
                "git": git_revision(),
            },
            sweep_file,
        )
        atomic_write_text(
            _csv(points_rows(plan), ["point", "base", "reference", *factor_names(plan)]), out / POINTS_FILE
        )
    remove_stale_temporaries(out, recursive=True)  # from atomic writes cut short by a kill
    if sweep_file.exists() and json.loads(sweep_file.read_text()).get("extended"):
        rename_runs(out, plan)  # finishes renames an earlier extension was stopped in
    return notes


def extends(old: dict, plan: Plan) -> bool:
    """Whether ``plan`` is the recorded plan with more replications (its earlier replicates keep their seeds)."""
    before = len(old["seeds"])
    return plan.replications > before and plan.with_replications(before).fingerprint() == old["fingerprint"]


def extend_sweep(out: Path, recorded: dict, plan: Plan) -> str:
    """Record ``plan`` (more replications) in sweep.json, keeping the runs done; return a note for the user.

    A run's id gives its replicate with as many digits as the largest one needs, so growing
    past 10 (or 100...) replications renames the finished runs' folders (``p3-r7`` ->
    ``p3-r07``) first; a rename cut short is finished by the next invocation.
    """
    from abm.runner import atomic_write_json

    before = len(recorded["plan"]["seeds"])
    history = [*recorded.get("extended", []), {"from": before, "to": plan.replications, "at": _now()}]
    atomic_write_json({**recorded, "plan": plan.to_record(), "extended": history}, out / SWEEP_FILE)
    rename_runs(out, plan)
    return f"note: replications {before} -> {plan.replications}: the {before} done keep their seeds; adding the rest"


def rename_runs(out: Path, plan: Plan) -> None:
    """Give each finished run's folder (and record) the id the plan gives its point and replicate."""
    ids = {(run["point"], run["replicate"]): run["run_id"] for run in plan.runs()}
    for path in sorted((out / RUNS_DIR).glob(f"*/{RECORD_FILE}")):
        record = json.loads(path.read_text())
        wanted = ids.get((record["point"], record["replicate"]))
        if wanted is None or wanted == record["run_id"] == path.parent.name:
            continue
        target = path.parent.with_name(wanted)
        if path.parent.name != wanted:
            if target.exists():  # a folder of that id already (a run redone): keep it, drop this one's record
                continue
            path.parent.rename(target)
        from abm.runner import atomic_write_json

        atomic_write_json({**record, "run_id": wanted}, target / RECORD_FILE)


def plan_differences(old: dict, new: dict) -> list[str]:
    """What differs between two recorded plans, one line each."""
    lines = [f"base.{key}: {a!r} -> {b!r}" for key, a, b in _changed(old["base"], new["base"])]
    if len(old["seeds"]) != len(new["seeds"]):
        lines.append(f"replications: {len(old['seeds'])} -> {len(new['seeds'])}")
    elif old["seeds"] != new["seeds"]:
        lines.append(f"seed: {old['design']['seed']!r} -> {new['design']['seed']!r}")
    if [p["values"] for p in old["points"]] != [p["values"] for p in new["points"]]:
        lines.append(
            f"design points: {len(old['points'])} -> {len(new['points'])} "
            "(factors, values, sampling or reference changed)"
        )
    if old["design"]["outputs"] != new["design"]["outputs"]:
        lines.append(f"outputs: {old['design']['outputs']!r} -> {new['design']['outputs']!r}")
    return lines or ["the list of runs differs"]


def _changed(a: Any, b: Any, prefix: str = "") -> Iterable[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            yield from _changed(a.get(key), b.get(key), f"{prefix}{key}.")
    elif a != b:
        yield prefix.rstrip("."), a, b


def store_run(out: Path, output: dict) -> dict:
    """Write one run's files atomically, its record last; return the record."""
    from abm.runner import atomic_write_frame, atomic_write_json

    run_dir = out / RUNS_DIR / output["run_id"]
    if output["status"] == "ok":
        atomic_write_json(output["summary"], run_dir / "summary.json")
        if output.get("metrics") is not None:
            atomic_write_frame(output["metrics"], run_dir / "metrics.parquet")
    record = {key: output[key] for key in (*RUN_COLUMNS, "traceback")}
    atomic_write_json(record, run_dir / RECORD_FILE)
    return record


def read_records(out: Path) -> dict[str, dict]:
    """The record of every run that completed (ok or failed), by run id."""
    records = {}
    for path in sorted((out / RUNS_DIR).glob(f"*/{RECORD_FILE}")):
        record = json.loads(path.read_text())
        records[record["run_id"]] = record
    return records


class RunsTable:
    """runs.csv: every run of the plan with its status, rewritten atomically as runs complete."""

    def __init__(self, out: Path, plan: Plan, records: dict[str, dict]):
        self.path = out / RUNS_FILE
        self.plan = plan
        self.records = records
        self.written = 0.0

    def status(self, run_id: str) -> str:
        return self.records.get(run_id, {}).get("status", "pending")

    def update(self, record: dict) -> None:
        self.records[record["run_id"]] = record
        if time.monotonic() - self.written >= TABLE_EVERY_SECONDS:
            self.write()

    def rewrite_from(self, out: Path) -> None:
        """Rewrite runs.csv from the record.json files on disk (the truth, even if a record was
        stored just before an interruption and never reached :meth:`update`)."""
        with suppress(OSError, ValueError):  # a record.json unreadable by hand: keep what is known
            self.records.update(read_records(out))
        self.write()

    def write(self) -> None:
        names = factor_names(self.plan)
        rows = []
        for run in self.plan.runs():
            record = self.records.get(run["run_id"], {"status": "pending"})
            row = {key: record.get(key, run.get(key, "")) for key in RUN_COLUMNS}
            row.update(self.plan.points[run["point"]]["values"])
            rows.append(row)
        atomic_write_text(_csv(rows, [*RUN_COLUMNS, *names]), self.path)
        self.written = time.monotonic()


def factor_names(plan: Plan) -> list[str]:
    return [f.name for f in plan.factors]


def points_rows(plan: Plan) -> list[dict]:
    return [
        {"point": p["point"], "base": p["base"], "reference": p["point"] == plan.reference, **p["values"]}
        for p in plan.points
    ]


def _csv(rows: list[dict], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def load_sweep(out: str | Path) -> tuple[dict, Plan]:
    """sweep.json of a sweep directory, and the plan it records."""
    path = Path(out) / SWEEP_FILE
    if not path.is_file():
        raise SweepError(f"{str(out)!r} is not a sweep directory: it has no {SWEEP_FILE}")
    recorded = json.loads(path.read_text())
    return recorded, Plan.from_record(recorded["plan"])
