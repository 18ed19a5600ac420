"""Run one scenario, summarise it and write its outputs (the logic behind ``abm run``).

Nothing here prints: ``run_scenario`` and ``summarise`` are reused by experiments
(sweeps), so the only output is an optional progress bar on stderr.

    result = run_scenario("baseline", overrides=["population=20000", "years=2"], out_dir="runs/demo")
    result.summary["overall"]["emergency_admissions_per_1000"]

Output files (each written atomically: a temporary file in the same directory,
then ``os.replace``, so an interrupted run never leaves a half-written file):

* ``metrics.parquet`` / ``metrics.csv``: one row per week per Place plus ``ICS``;
* ``metrics_by_group.parquet`` / ``.csv``: ICS weekly figures by age band and deprivation;
* ``summary.json``: headline figures per reporting year for the ICS (see :func:`summarise`);
* ``run.json``: the resolved scenario, seed, versions, git revision, command and timings
  (written last, so its presence marks a complete set of outputs).
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import abm
from abm.provenance import atomic_write, atomic_write_text, git_revision
from abm.config import build
from abm.scenario import Scenario, apply_overrides, load_scenario

WEEKS_PER_YEAR = 52
PACKAGE_DIR = Path(abm.__file__).resolve().parent

# Annual totals reported per 1,000 people (mean population over the year).
PER_1000 = {
    "emergency_admissions_per_1000": "emergency_admissions",
    "ed_attendances_per_1000": "ed_attendances",
    "unmet_need_per_1000": "unmet_need",
    "unmet_need_gp_per_1000": "unmet_need_gp",
    "unmet_need_chs_per_1000": "unmet_need_chs",
    "unmet_need_rationed_per_1000": "unmet_need_rationed",
    "unmet_need_delayed_discharge_per_1000": "unmet_need_delayed_discharge",
    "unmet_need_never_sought_per_1000": "unmet_need_never_sought",
}
# Annual totals reported per person.
PER_PERSON = {
    "gp_appointments_per_person": "gp_appointments",
    "chs_contacts_per_person": "chs_contacts",
}
# Annual totals reported as they are.
TOTALS = ("deaths", "delayed_discharge_bed_days")
CHS_SPEND = ("spend_chs_core", "spend_addon")
HEALTH_SPEND = ("spend_acute", "spend_chs_core", "spend_addon", "spend_primary")

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
) -> RunResult:
    """Build an :class:`~abm.model.ICSModel` for ``scenario``, run it and summarise it.

    Args:
        scenario: a :class:`Scenario`, a preset name, a YAML path, or None (baseline).
        out_dir: if given, write every output file there (see :func:`write_outputs`).
        progress: True for a tqdm bar on stderr, or a ``callback(done, total)`` called weekly.
        overrides: ``KEY=VALUE`` strings or a {dotted key: value} dict, applied when
            ``scenario`` is not already a :class:`Scenario`.
        command: the command line to record in run.json (default: ``sys.argv``).

    Raises:
        abm.config.ConfigError: the scenario or an override is invalid.
    """
    from abm.model import ICSModel  # imported here so `abm presets`/`abm params` stay light

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        scenario = load_scenario_from(scenario, overrides)
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    model = ICSModel(scenario)
    with _progress(progress) as callback:
        model.run(progress=callback)
    wall = time.perf_counter() - clock
    finished = datetime.now(timezone.utc)

    metrics = model.metrics.frame()
    groups = model.metrics.group_frame()
    summary = summarise(metrics, name=scenario.name, population=scenario.population)
    info = run_info(scenario, command=command, started=started, finished=finished, wall_seconds=wall)
    result = RunResult(scenario, model, metrics, groups, summary, info)
    if out_dir is not None:
        result.out_dir = Path(out_dir)
        result.files = write_outputs(result.out_dir, metrics, groups, summary, info)
    return result


def load_scenario_from(scenario: Scenario, overrides: Sequence[str] | dict) -> Scenario:
    """A copy of ``scenario`` with ``overrides`` applied and validated."""
    return build(Scenario, apply_overrides(scenario.to_dict(), overrides))


class ProgressBar:
    """A tqdm bar on stderr fed by ``model.run(progress=...)`` (weeks done / total, burn-in included)."""

    def __init__(self, desc: str = "weeks"):
        self.desc = desc
        self.bar = None

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
    Per year: ``population`` (mean), rates per 1,000 people a year (emergency admissions,
    ED attendances, unmet need in person-weeks, and unmet need by kind), GP appointments
    and CHS contacts per person a year, mean ``bed_occupancy`` (0-1), annual
    ``delayed_discharge_bed_days`` and ``deaths``, and ``chs_share_of_spend`` (CHS core
    plus add-on spend over acute + CHS + primary spend, 0-1).  A year with fewer than 52
    recorded weeks is annualised (``weeks`` says how many there were).

    Returns ``{"scenario": name, "population": ..., "years": [{"year": 0, ...}, ...],
    "overall": {same keys, averaged over years}}``; ``population`` defaults to the ICS
    population in the first recorded week.
    """
    ics = metrics[metrics["place"] == "ICS"]
    years = [_year_summary(int(year), rows) for year, rows in ics.groupby("year", sort=True)]
    if population is None and len(ics):
        population = int(round(float(ics["population"].iloc[0])))
    keys = [k for k in (years[0] if years else {}) if k not in ("year", "weeks")]
    overall = {k: _clean(np.mean([y[k] for y in years if y[k] is not None] or [np.nan])) for k in keys}
    return {"scenario": name, "population": population, "years": years, "overall": overall}


def _year_summary(year: int, rows: pd.DataFrame) -> dict:
    weeks = len(rows)
    annual = WEEKS_PER_YEAR / weeks  # 1 for a full year
    people = float(rows["population"].mean())
    out: dict[str, Any] = {"year": year, "weeks": weeks, "population": people}
    for key, column in PER_1000.items():
        out[key] = float(rows[column].sum()) * annual / people * 1000 if people else None
    for key, column in PER_PERSON.items():
        out[key] = float(rows[column].sum()) * annual / people if people else None
    out["bed_occupancy"] = float(rows["bed_occupancy"].mean())
    for column in TOTALS:
        out[column] = float(rows[column].sum()) * annual
    spend = float(rows[list(HEALTH_SPEND)].to_numpy().sum())
    out["chs_share_of_spend"] = float(rows[list(CHS_SPEND)].to_numpy().sum()) / spend if spend > 0 else None
    return {k: _clean(v) for k, v in out.items()}


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
    widths = [max(len(r[i]) for r in [headings] + rows) for i in range(len(headings))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headings, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
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

    versions = {"python": platform.python_version(), "abm": abm.__version__, "numpy": np.__version__,
                "pandas": pd.__version__, "mesa": mesa.__version__}
    try:
        import pyarrow

        versions["pyarrow"] = pyarrow.__version__
    except ImportError:  # pragma: no cover - a declared dependency
        versions["pyarrow"] = None
    return versions


# --------------------------------------------------------------------------- writing
def write_outputs(out_dir: str | Path, metrics: pd.DataFrame, groups: pd.DataFrame, summary: dict,
                  info: dict) -> list[Path]:
    """Write every output file atomically into ``out_dir`` (created if needed); return their paths.

    ``run.json`` is written last, so its presence marks a complete set.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for stem, frame in (("metrics", metrics), ("metrics_by_group", groups)):
        for suffix in (".parquet", ".csv"):
            files.append(atomic_write_frame(frame, out / f"{stem}{suffix}"))
    files.append(atomic_write_json(summary, out / "summary.json"))
    files.append(atomic_write_json(info, out / "run.json"))
    return files


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
