"""Run one scenario, summarise it and write its outputs (the logic behind ``abm run``).

Nothing here prints: ``run_scenario`` and ``summarise`` are reused by experiments
(sweeps), so the only output is an optional progress bar on stderr.

    result = run_scenario("baseline", overrides=["population=20000", "years=2"], out_dir="runs/demo")
    result.summary["overall"]["emergency_admissions_per_1000"]

Output files, in one output folder:

* ``metrics.parquet`` / ``metrics.csv``: one row per week per Place plus ``ICS``;
* ``metrics_by_group.parquet`` / ``.csv``: ICS weekly figures by age band and deprivation;
* ``summary.json``: headline figures per reporting year for the ICS (see :func:`summarise`);
* ``run.json``: the resolved scenario, seed, versions, git revision, command and timings.

The set is all or nothing (see :func:`write_outputs`): the files are written into a
temporary folder beside the output folder and swapped in when all of them are on disk,
so an interrupted run (Ctrl+C, SIGTERM, a full disk, ``kill -9``) never leaves a folder
mixing two runs' files.  An output folder must be new or empty, or hold an earlier
run's outputs and nothing else, which are replaced only when asked (``replace=True``,
``abm run --force``).  Files that this module did not write are never deleted.
"""

from __future__ import annotations

import errno
import json
import math
import os
import platform
import re
import socket
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import abm
from abm.config import build
from abm.outputs import DENOMINATOR, SUMMARY, Output, Summary
from abm.provenance import (
    ATOMIC_TMP,
    atomic_write,
    atomic_write_text,
    fsync_directory,
    git_revision,
    pid_alive,
    remove_stale_temporaries,
    signals_deferred,
)
from abm.scenario import Scenario, apply_overrides, load_scenario
from abm.units import WEEKS_PER_YEAR

PACKAGE_DIR = Path(abm.__file__).resolve().parent

# The columns of the short per-year table `abm run` prints: (summary key, heading, scale, format).
HEADLINES = (
    ("emergency_admissions_per_1000", "admissions/1,000", 1, "{:.1f}"),
    ("unmet_need_per_1000", "unmet need/1,000", 1, "{:.0f}"),
    ("bed_occupancy", "occupancy %", 100, "{:.1f}"),
    ("delayed_discharge_bed_days", "delayed bed days", 1, "{:.0f}"),
    ("chs_share_of_spend", "CHS share %", 100, "{:.2f}"),
)


@dataclass
class RunResult:
    """What one run produced: the model, its weekly tables and the headline summary."""

    scenario: Scenario
    model: Any  # abm.model.ICSModel
    metrics: pd.DataFrame  # model.metrics.frame()
    groups: pd.DataFrame  # model.metrics.group_frame()
    summary: dict
    info: dict  # what run.json holds
    out_dir: Path | None = None
    files: list[Path] = field(default_factory=list)


# --------------------------------------------------------------------------- running
def run_scenario(
    scenario: Scenario | str | Path | None,
    out_dir: str | Path | None = None,
    progress: bool | Callable[[int, int], None] = False,
    *,
    overrides: Sequence[str] | dict | None = None,
    command: Sequence[str] | None = None,
    replace: bool = False,
) -> RunResult:
    """Build an :class:`~abm.model.ICSModel` for ``scenario``, run it and summarise it.

    Args:
        scenario: a :class:`Scenario`, a preset name, a YAML path, or None (baseline).
        out_dir: if given, write every output file there (see :func:`write_outputs`).
        progress: True for a tqdm bar on stderr, or a ``callback(done, total)`` called weekly.
        overrides: ``KEY=VALUE`` strings or a {dotted key: value} dict, applied when
            ``scenario`` is not already a :class:`Scenario`.
        command: the command line to record in run.json (default: ``sys.argv``).
        replace: let ``out_dir`` hold an earlier run's outputs, which are replaced (see
            :func:`write_outputs`); otherwise such a folder is refused.

    Raises:
        abm.config.ConfigError: the scenario or an override is invalid.
        OutputError: ``out_dir`` cannot be used or written; checked before the model runs
            (:func:`check_out_dir`), and again when writing.
    """
    from abm.model import ICSModel  # imported here so `abm presets`/`abm params` stay light

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        scenario = load_scenario_from(scenario, overrides)
    if out_dir is not None:
        check_out_dir(out_dir, replace=replace)  # before the run, not after it
    started = datetime.now(UTC)
    clock = time.perf_counter()
    model = ICSModel(scenario)
    with _progress(progress) as callback:
        model.run(progress=callback)
    wall = time.perf_counter() - clock
    finished = datetime.now(UTC)

    metrics = model.metrics.frame()
    groups = model.metrics.group_frame()
    summary = summarise(metrics, name=scenario.name, population=scenario.population)
    info = run_info(scenario, command=command, started=started, finished=finished, wall_seconds=wall)
    result = RunResult(scenario, model, metrics, groups, summary, info)
    if out_dir is not None:
        result.out_dir = Path(out_dir)
        result.files = write_outputs(result.out_dir, metrics, groups, summary, info, replace=replace)
    return result


def load_scenario_from(scenario: Scenario, overrides: Sequence[str] | dict) -> Scenario:
    """A copy of ``scenario`` with ``overrides`` applied and validated."""
    return build(Scenario, apply_overrides(scenario.to_dict(), overrides))


class ProgressBar:
    """A tqdm bar on stderr fed by ``model.run(progress=...)`` (weeks done / total, burn-in included)."""

    def __init__(self, desc: str = "weeks"):
        self.desc = desc
        self.bar: Any = None  # a tqdm bar from the first call (tqdm is untyped here)

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit="wk", file=sys.stderr)
        self.bar.update(done - self.bar.n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        return False


def _progress(progress):
    """A context giving the weekly callback for ``model.run``: a tqdm bar, the caller's function, or None."""
    if progress is True:
        return ProgressBar()
    return nullcontext(progress if callable(progress) else None)


# --------------------------------------------------------------------------- summary
def summarise(metrics: pd.DataFrame, name: str | None = None, population: int | None = None) -> dict:
    """Headline figures per reporting year for the ICS, and their mean over years.

    ``metrics`` is ``model.metrics.frame()`` (only the ``place == "ICS"`` rows are used).
    Per year, the figures :data:`abm.SUMMARY` declares, in its order: ``population``
    (mean), rates per 1,000 people a year (emergency admissions, ED attendances, unmet need in
    person-weeks, and unmet need by kind), GP appointments and CHS contacts per person a year,
    mean ``bed_occupancy`` (0-1), annual ``deaths`` and ``delayed_discharge_bed_days``, and
    ``chs_share_of_spend`` (CHS core plus add-on spend over acute + CHS + primary spend, 0-1).
    A year with fewer than 52 recorded weeks is annualised (``weeks`` says how many there were).

    Returns ``{"scenario": name, "population": ..., "years": [{"year": 0, ...}, ...],
    "overall": {same keys, averaged over years}}``; ``population`` defaults to the ICS
    population in the first recorded week.
    """
    ics = metrics[metrics["place"] == "ICS"]
    years = [_year_summary(int(year), rows) for year, rows in ics.groupby("year", sort=True)]
    if population is None and len(ics):
        population = round(float(ics["population"].iloc[0]))
    keys = [k for k in (years[0] if years else {}) if k not in ("year", "weeks")]
    overall = {k: _clean(np.mean([y[k] for y in years if y[k] is not None] or [np.nan])) for k in keys}
    return {"scenario": name, "population": population, "years": years, "overall": overall}


def _year_summary(year: int, rows: pd.DataFrame) -> dict:
    weeks = len(rows)
    annual = WEEKS_PER_YEAR / weeks  # 1 for a full year
    people = float(rows[DENOMINATOR].mean())
    out: dict[str, Any] = {"year": year, "weeks": weeks}
    for output in SUMMARY:  # the population (the rates' denominator) first
        out[output.summary_key] = _figure(output, rows, annual, people)
    return {k: _clean(v) for k, v in out.items()}


def _figure(output: Output, rows: pd.DataFrame, annual: float, people: float) -> float | None:
    """An output's figure for one year (:class:`abm.outputs.Summary` says which)."""
    how = output.summary
    if how is Summary.PER_1000:
        return float(rows[output.name].sum()) * annual / people * 1000 if people else None
    if how is Summary.PER_PERSON:
        return float(rows[output.name].sum()) * annual / people if people else None
    if how is Summary.MEAN:
        return float(rows[output.name].mean())
    if how is Summary.TOTAL:
        return float(rows[output.name].sum()) * annual
    if how is Summary.RATIO:
        below = float(rows[list(output.denominator)].to_numpy().sum())
        return float(rows[list(output.numerator)].to_numpy().sum()) / below if below > 0 else None
    raise ValueError(f"{output.name}: not in the summary")


def _clean(value):
    """A JSON-safe number: numpy scalars to Python, NaN/inf to None."""
    if value is None or isinstance(value, (int, str)):
        return value
    value = float(value)
    return value if math.isfinite(value) else None


def headline_table(summary: dict) -> str:
    """A short plain-text table of the headline results per year (and overall)."""
    headings = ["year"] + [h for _, h, _, _ in HEADLINES]
    rows = []
    for entry in summary["years"] + [dict(summary["overall"], year="mean")]:
        cells = [str(entry["year"])]
        for key, _, scale, fmt in HEADLINES:
            value = entry.get(key)
            cells.append("-" if value is None else fmt.format(value * scale))
        rows.append(cells)
    widths = [max(len(r[i]) for r in [headings, *rows]) for i in range(len(headings))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headings, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- provenance
def run_info(
    scenario: Scenario,
    *,
    command: Sequence[str] | None = None,
    started: datetime | None = None,
    finished: datetime | None = None,
    wall_seconds: float | None = None,
) -> dict:
    """What run.json records: resolved scenario, seed, versions, git revision, command and timings."""
    import shlex

    command = list(sys.argv if command is None else command)
    return {
        "scenario": scenario.to_dict(),
        "seed": scenario.seed,
        "versions": package_versions(),
        "git": git_revision(),
        "command": shlex.join(command),
        "argv": command,
        "started": started.isoformat() if started else None,
        "finished": finished.isoformat() if finished else None,
        "wall_seconds": wall_seconds,
    }


def package_versions() -> dict:
    """Versions of Python and the packages a run depends on."""
    import mesa

    versions = {
        "python": platform.python_version(),
        "abm": abm.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "mesa": mesa.__version__,
    }
    try:
        import pyarrow

        versions["pyarrow"] = pyarrow.__version__
    except ImportError:  # pragma: no cover - a declared dependency
        versions["pyarrow"] = None
    return versions


# --------------------------------------------------------------------------- output folders
OUTPUT_FILES = (
    "metrics.parquet",
    "metrics.csv",
    "metrics_by_group.parquet",
    "metrics_by_group.csv",
    "summary.json",
    "run.json",
)
RUN_FILE = "run.json"
NAME_LIMIT = 60  # characters of a scenario's name kept in a default output folder's name
# The work folders write_outputs makes beside an output folder OUT: ".OUT.tmp-<host>-<pid>-<8 hex>"
# holds the new files while they are written; ".OUT.old-<host>-<pid>-<8 hex>" holds the earlier run
# while it is swapped out.  The host keeps a run on one machine of a cluster, sharing a file system,
# from taking another machine's live process for a dead one.
WORK_DIR = re.compile(
    r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<host>[A-Za-z0-9-]*)-(?P<pid>\d+)"
    r"-(?P<token>[0-9a-f]{8})$"
)
HOST = re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname().split(".")[0])[:32]


def work_path(target: Path, kind: str, pid: int | None = None, token: str | None = None) -> Path:
    """The work folder of ``kind`` (``"tmp"`` or ``"old"``) beside output folder ``target``, of this host."""
    return (
        target.parent / f".{target.name}.{kind}-{HOST}-{os.getpid() if pid is None else pid}-"
        f"{token or uuid.uuid4().hex[:8]}"
    )


class OutputError(Exception):
    """An output folder cannot be used or written; the message says why, to follow the folder's name."""


class OutputExists(OutputError):
    """The output folder holds an earlier run's outputs, and replacing them was not asked for."""

    def __init__(self, what: str):
        self.what = what  # "an earlier run's outputs", or an unfinished one's
        super().__init__(f"holds {what}; replace them only on purpose (replace=True)")


def safe_name(name: Any, limit: int = NAME_LIMIT) -> str:
    """``name`` made safe as part of a file name: only ``A-Z a-z 0-9 . _ -``, at most ``limit`` characters.

    Other characters (``/``, spaces, ...) become ``_``, runs of dots become one dot, and
    dots, dashes and underscores are trimmed from both ends, so the result is never ``..``,
    never hidden and never read as an option; ``"run"`` if nothing is left.
    ``safe_name("../../etc") == "etc"``.
    """
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name or ""))
    text = re.sub(r"\.{2,}", ".", text).strip("._-")
    return text[:limit].strip("._-") or "run"


def default_out_dir(name: Any, root: str | Path = "runs", now: datetime | None = None) -> Path:
    """``runs/<safe name>-YYYYmmdd-HHMMSS``: a new folder for a run of scenario ``name``.

    The name is made safe by :func:`safe_name`, so a scenario named ``../../etc`` stays in
    ``root``.  If the folder exists already (two runs in one second), ``-2``, ``-3``, ...
    is added.
    """
    stem = f"{safe_name(name)}-{(now or datetime.now()):%Y%m%d-%H%M%S}"
    path, n = Path(root) / stem, 1
    while os.path.lexists(path):
        n += 1
        path = Path(root) / f"{stem}-{n}"
    return path


def check_out_dir(out_dir: str | Path, *, replace: bool = False) -> Path:
    """Check that a run can write its outputs to ``out_dir``, before it runs; return the folder's real path.

    The folder may be missing (it is created, with its parents), empty, or hold an
    earlier run's outputs and nothing else; those are replaced only with ``replace``.
    Leftovers of runs killed outright are cleaned first (:func:`clean_stale`).  Then a
    file is written in the parent folder and removed, so an unwritable place is found now
    rather than after the run.

    Raises:
        OutputExists: the folder holds an earlier run's outputs and ``replace`` is False.
        OutputError: the path is empty, the current folder, a file or under a file; the
            folder holds files this module did not write; or nothing can be written there.
    """
    if not str(out_dir).strip():
        raise OutputError("an empty path; give a folder, e.g. runs/demo")
    try:
        target = Path(out_dir).resolve()
        if target == Path(target.anchor) or target == Path.cwd().resolve():
            raise OutputError(
                f"{target} is {'the current folder' if target.name else 'a root folder'}; "
                "give a folder of its own, e.g. runs/demo"
            )
        if target.exists() and not target.is_dir():
            raise OutputError("is a file; give a directory (it is created if needed)")
        if target.is_dir() and os.path.ismount(target):
            raise OutputError(f"{target} is a mount point, which cannot be swapped; give a folder inside it")
        ancestor = target.parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise OutputError(f"{ancestor} is a file, so no folder can be created under it")
        clean_stale(target)
        _check_contents(target, replace)
    except (OSError, RuntimeError) as exc:  # e.g. a folder that cannot be read; a loop of symbolic links
        where = getattr(exc, "filename", None) or out_dir
        raise OutputError(f"cannot use {where}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {exc.filename or target.parent}: {exc.strerror or exc}") from None
    probe = work_path(target, "tmp")
    try:
        probe.mkdir()
        (probe / RUN_FILE).write_bytes(b"{}\n")  # a test write, removed at once
    except OSError as exc:
        raise OutputError(f"cannot write in {target.parent}: {exc.strerror or exc}") from None
    finally:
        with signals_deferred():
            _remove_work_dir(probe)
    return target


def clean_stale(target: str | Path) -> list[Path]:
    """Tidy what runs killed outright (``kill -9``, power cut) left around output folder ``target``.

    In ``target``'s parent, every work folder of :func:`write_outputs` (``.NAME.tmp-HOST-PID-*``,
    ``.NAME.old-HOST-PID-*``, for any NAME) made on this machine by a process no longer
    running is dealt with:
    an earlier run moved aside (``old``) goes back to ``NAME`` if ``NAME`` is missing (the
    kill came between the two renames of a swap); otherwise the work folder is removed.
    In ``target`` itself, :func:`~abm.provenance.atomic_write`'s stale temporary files
    are removed.  Only files this module writes are ever deleted: a work folder holding
    anything else is left as it is, and so is one made on another machine (whose processes
    cannot be seen from here).  Returns the paths removed or restored.
    """
    target = Path(target)
    parent, done = target.parent, []
    if parent.is_dir():
        stale = [
            (entry, match)
            for entry in parent.iterdir()
            if (match := WORK_DIR.match(entry.name))
            and match["host"] == HOST
            and entry.is_dir()
            and not entry.is_symlink()
            and not pid_alive(int(match["pid"]))
        ]
        for entry, match in sorted(stale, key=lambda item: item[1]["kind"] != "old"):  # restore, then remove
            original = parent / match["name"]
            with signals_deferred():
                if match["kind"] == "old" and not os.path.lexists(original):
                    os.rename(entry, original)
                    done.append(original)
                elif _remove_work_dir(entry):
                    done.append(entry)
    if target.is_dir() and not target.is_symlink():
        done += remove_stale_temporaries(target)
    return done


def _ours(name: str) -> bool:
    """Whether a file name inside an output folder is one this module writes (an output or its temporary)."""
    match = ATOMIC_TMP.match(name)
    return name in OUTPUT_FILES or bool(match and match["name"] in OUTPUT_FILES)


def _contents(folder: Path) -> tuple[bool, list[str], list[str]]:
    """(exists, our files, other entries) of a folder; other entries include any sub-folder."""
    if not folder.is_dir():
        return False, [], []
    ours: list[str] = []
    other: list[str] = []
    for entry in sorted(folder.iterdir()):
        (ours if _ours(entry.name) and entry.is_file() and not entry.is_symlink() else other).append(entry.name)
    return True, ours, other


def _check_contents(target: Path, replace: bool) -> bool:
    """Refuse a folder holding others' files, or an earlier run without ``replace``; True if it holds a run."""
    _, ours, other = _contents(target)
    if other:
        shown = ", ".join(other[:3]) + (f" and {len(other) - 3} more" if len(other) > 3 else "")
        raise OutputError(
            f"holds files that are not an abm run's outputs ({shown}); give a new or empty folder "
            "(nothing that abm did not write is ever replaced)"
        )
    if ours and not replace:
        raise OutputExists(
            "an earlier run's outputs" if RUN_FILE in ours else "an unfinished earlier run's outputs (no run.json)"
        )
    return bool(ours)


def _remove_work_dir(folder: Path) -> bool:
    """Delete our files in ``folder``, then the folder if that left it empty; True if it is gone."""
    if not folder.is_dir() or folder.is_symlink():
        return not os.path.lexists(folder)
    try:
        for entry in folder.iterdir():
            if _ours(entry.name) and entry.is_file() and not entry.is_symlink():
                entry.unlink(missing_ok=True)
        folder.rmdir()
    except OSError:  # something we did not write is in it, or it is read-only: leave it
        return False
    return True


# --------------------------------------------------------------------------- writing
def write_outputs(
    out_dir: str | Path,
    metrics: pd.DataFrame,
    groups: pd.DataFrame,
    summary: dict,
    info: dict,
    *,
    replace: bool = False,
) -> list[Path]:
    """Write the output set into ``out_dir``, all or nothing; return the files' paths.

    The design: every file is written (and flushed to disk) into a new work folder beside
    the target, ``.<name>.tmp-<host>-<pid>-<random>``, which is then swapped in by renaming, an
    atomic step on one file system:

    * a missing or empty target: the work folder is renamed onto it;
    * a target holding an earlier run's outputs and nothing else, with ``replace``: the
      earlier run is renamed aside (``.<name>.old-<host>-<pid>-<random>``), the work folder is
      renamed in, then the earlier run is deleted;
    * anything else is refused (:class:`OutputExists`, :class:`OutputError`), and nothing
      that this module did not write is ever deleted.

    So at every moment the target holds one complete set: the earlier run's or the new
    one.  Ctrl+C or SIGTERM while the files are written removes the work folder and leaves
    the target as it was; one that arrives during the swap is held back until the swap is
    done (:func:`~abm.provenance.signals_deferred`).  A ``kill -9`` can leave a work folder
    behind, or (between the two renames) the earlier run under its ``old`` name: the next
    run beside it puts that back and removes the rest (:func:`clean_stale`).

    The alternative, writing each file atomically into the target in turn, can be cut
    between files and leave a new ``metrics.csv`` beside an old ``run.json``.  Refusing
    to replace an earlier run unless asked keeps a second run with the same ``--out``
    from silently discarding the first.

    Raises:
        OutputExists, OutputError: as for :func:`check_out_dir`; OutputError also when
            writing fails (a full disk): the target is then left as it was.
    """
    target = check_out_dir(out_dir, replace=replace)
    work = work_path(target, "tmp")
    try:
        work.mkdir()
        for stem, frame in (("metrics", metrics), ("metrics_by_group", groups)):
            for suffix in (".parquet", ".csv"):
                atomic_write_frame(frame, work / f"{stem}{suffix}")
        atomic_write_json(summary, work / "summary.json")
        atomic_write_json(info, work / RUN_FILE)
        fsync_directory(work)
        with signals_deferred():
            _swap_in(work, target, replace)
    except OSError as exc:
        with signals_deferred():
            _remove_work_dir(work)
        raise OutputError(f"cannot write the outputs: {exc.strerror or exc}; the folder was left as it was") from exc
    except BaseException:
        with signals_deferred():
            _remove_work_dir(work)
        raise
    return [Path(out_dir) / name for name in OUTPUT_FILES]


def _swap_in(work: Path, target: Path, replace: bool) -> None:
    """Move the complete work folder onto ``target`` (see :func:`write_outputs`)."""
    if _check_contents(target, replace):  # again: another process may have written meanwhile
        old = work_path(target, "old")
        _rename(target, old)
        try:
            _rename(work, target)
        except BaseException:
            _rename(old, target)
            raise
        fsync_directory(target.parent)
        _remove_work_dir(old)
        return
    try:
        _rename(work, target)  # POSIX: replaces an empty folder; fails if it is not empty
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY) and target.is_dir() and not any(target.iterdir()):
            target.rmdir()  # e.g. Windows, where rename never replaces a folder
            _rename(work, target)
        elif exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise OutputError(
                "was filled by another process while this run wrote its outputs; it was left as it was"
            ) from None
        else:
            raise
    fsync_directory(target.parent)


_rename = os.rename  # one name for every rename of a swap, so tests can interrupt it


def atomic_write_json(data: Any, path: str | Path) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically (numpy values converted, NaN/inf as null)."""
    return atomic_write_text(json.dumps(_json_safe(data), indent=2, allow_nan=False) + "\n", path)


def atomic_write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame to ``.csv`` or ``.parquet`` (by suffix) atomically, without the index."""
    suffix = Path(path).suffix
    if suffix == ".csv":
        return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))
    if suffix == ".parquet":
        return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    raise ValueError(f"{path}: unknown table format {suffix!r}; allowed: '.csv', '.parquet'")


def _json_safe(value: Any) -> Any:
    """``value`` with numpy types made plain, non-finite floats as None and paths as strings."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return _clean(value)
    if isinstance(value, Path):
        return str(value)
    return value
