"""Fit chosen parameters to the calibration targets with Optuna (the logic behind ``abm calibrate``).

    config = read_config("experiments/designs/calibrate_los.yaml")
    result = calibrate(config, jobs=2)
    write_results(result, Path("runs/calibrate_los"))

A config (YAML, read with :mod:`abm.safe_yaml`) names the parameters to fit, each a scalar
float of the scenario by dotted path with a range (``low``, ``high``, optional ``log``), and
the targets: the calibration targets ``abm validate`` uses (:data:`abm.calibration.TARGETS`,
all by default), and optionally a file of extra targets, each a figure of ``summary.json``'s
``overall`` with a value and a tolerance.

Each trial sets the parameters, runs the scenario once per seed (the same seeds in every
trial, so trials differ by their parameters and not by their luck) and scores the fit:

    loss = mean over targets of (model / target - 1) ** 2

where ``model`` is the figure's mean over the seeds (the mean squared relative gap; a figure
that cannot be computed counts as a gap of 100%).  Trials run one after another, Optuna's
TPE sampler seeded with ``sampler_seed``; its first trials (a third of them, 2 to 10) sample
at random.  So the same config gives the same trials.  The seeds of a trial run in parallel
with ``jobs`` worker processes (joblib's loky), which does not change any result.

:func:`write_results` writes, all or nothing (:func:`experiments.folders.write_folder`):
``best_scenario.yaml`` (the base scenario with the best parameters, which ``abm run``
accepts), ``trials.csv`` (every trial: parameters, loss, each target's figure), ``fit.csv``
(the best trial against each target) and ``fit.png`` (its gaps, and the loss by trial).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abm import safe_yaml
from abm.errors import ConfigError, clip, short

FIELDS = (
    "description",
    "scenario",
    "parameters",
    "targets",
    "trials",
    "seeds",
    "population",
    "years",
    "burn_in_weeks",
    "sampler_seed",
)
FILES = ("best_scenario.yaml", "trials.csv", "fit.csv", "fit.png")
MAX_TRIALS = 10_000
MAX_SEEDS = 1_000
MAX_PARAMETERS = 50
DEFAULTS = {"trials": 30, "seeds": 4, "population": 20_000, "years": 2, "sampler_seed": 0}
TOLERANCE_DEFAULT = 0.15  # as abm validate (abm.calibration.TOLERANCE)
MISSING_GAP = 1.0  # a figure that cannot be computed (NaN) counts as a 100% gap


@dataclass(frozen=True)
class Parameter:
    path: str
    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class Goal:
    """One target of the fit: a calibration target (``kind='calibration'``) or a summary figure (``'summary'``)."""

    name: str
    value: float
    tolerance: float
    kind: str
    source: str = ""


@dataclass
class Config:
    name: str
    scenario: str
    base: dict  # the base scenario's raw dict
    parameters: list[Parameter]
    goals: list[Goal]
    trials: int
    seeds: list[int]
    population: int
    years: int
    burn_in_weeks: int | None
    sampler_seed: int

    def settings(self) -> dict:
        """The run settings every trial applies to the base scenario (besides the parameters and the seed)."""
        out: dict[str, Any] = {"population": self.population, "years": self.years}
        if self.burn_in_weeks is not None:
            out["burn_in_weeks"] = self.burn_in_weeks
        return out


@dataclass
class Result:
    config: Config
    rows: list[dict] = field(default_factory=list)  # one per trial
    best: int = 0  # index into rows
    best_figures: dict[str, list[float]] = field(default_factory=dict)  # per goal, one figure per seed


# --------------------------------------------------------------------------- config
def read_config(path: str | Path) -> Config:
    """Read and check a calibration config; raise ConfigError listing every problem (field, value, allowed)."""
    path = Path(path)
    data = safe_yaml.read(path, "calibrate config")
    if not isinstance(data, dict):
        raise ConfigError([f"calibrate config: {path.name} must hold a mapping of fields, not {type(data).__name__}"])
    return parse_config(data, name=path.stem, folder=path.parent)


def parse_config(data: dict, name: str = "calibration", folder: Path = Path(".")) -> Config:
    """Check a config's fields (see the module docstring); ``folder`` is where relative file names are found."""
    from abm.scenario import load_scenario_dict

    problems: list[str] = []
    unknown = [k for k in data if k not in FIELDS]
    if not isinstance(data.get("description", ""), str):
        problems.append(f"description: {short(data['description'])} is not text; allowed: a line of text")
    for key in unknown:
        problems.append(f"{clip(str(key))}: unknown field; allowed: {', '.join(FIELDS)}")

    scenario = data.get("scenario", "baseline")
    base: dict = {}
    if not isinstance(scenario, str) or not scenario:
        problems.append(f"scenario: {short(scenario)} is not a name; allowed: a preset name or a scenario YAML file")
    else:
        source: str | Path = scenario
        if Path(scenario).suffix and (folder / scenario).exists():
            source = folder / scenario
        try:
            base = load_scenario_dict(source)
        except ConfigError as exc:
            problems.extend(exc.problems)

    trials = _whole(data, "trials", 1, MAX_TRIALS, problems)
    population = _whole(data, "population", 1_000, 5_000_000, problems)
    years = _whole(data, "years", 1, 60, problems)
    burn_in = _whole(data, "burn_in_weeks", 0, 1040, problems) if "burn_in_weeks" in data else None
    sampler_seed = _whole(data, "sampler_seed", 0, 2**32 - 1, problems)
    seeds = _seeds(data.get("seeds", DEFAULTS["seeds"]), problems)
    parameters = _parameters(data.get("parameters"), base, problems)
    goals = _goals(data.get("targets"), folder, problems)
    if problems:
        raise ConfigError(problems)
    config = Config(
        name, str(scenario), base, parameters, goals, trials, seeds, population, years, burn_in, sampler_seed
    )
    _check_ranges(config)
    return config


def _whole(data: dict, key: str, lo: int, hi: int, problems: list[str]) -> int:
    value = data.get(key, DEFAULTS.get(key))
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        problems.append(f"{key}: {short(value)} is not allowed; allowed: a whole number {lo:,} to {hi:,}")
        return lo
    return value


def _seeds(value: Any, problems: list[str]) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_SEEDS:
        return list(range(1, value + 1))
    if (
        isinstance(value, list)
        and 1 <= len(value) <= MAX_SEEDS
        and all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**63 for s in value)
        and len(set(value)) == len(value)
    ):
        return list(value)
    problems.append(
        f"seeds: {short(value)} is not allowed; allowed: a count K (seeds 1..K, K 1 to {MAX_SEEDS:,}) "
        "or a list of distinct whole numbers >= 0"
    )
    return [1]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _parameters(value: Any, base: dict, problems: list[str]) -> list[Parameter]:
    from abm.config import ConfigError as _ConfigError
    from abm.scenario import apply_overrides

    if not isinstance(value, dict) or not value:
        problems.append(
            f"parameters: {short(value)} is not allowed; allowed: a mapping of dotted paths to ranges, "
            "e.g. params.acute.beds_per_1000: {low: 2.0, high: 3.0}"
        )
        return []
    if len(value) > MAX_PARAMETERS:
        problems.append(f"parameters: {len(value)} given; allowed: 1 to {MAX_PARAMETERS}")
        return []
    out = []
    for path, spec in value.items():
        where = f"parameters.{clip(str(path))}"
        if not isinstance(path, str) or not path.startswith(("params.", "levers.")):
            problems.append(f"{where}: not a parameter path; allowed: a dotted path under params. or levers.")
            continue
        try:
            apply_overrides(base, {path: 0.0})  # the path exists and is a single value
        except _ConfigError as exc:
            problems.extend(p if p.startswith(path) else f"{where}: {p}" for p in exc.problems)
            continue
        if not _is_float_field(path):
            problems.append(f"{where}: not a single decimal number; allowed: scalar float parameters (abm params)")
            continue
        if not isinstance(spec, dict) or set(spec) - {"low", "high", "log"}:
            problems.append(f"{where}: {short(spec)} is not allowed; allowed: a mapping of low, high and optional log")
            continue
        low, high, log = _number(spec.get("low")), _number(spec.get("high")), spec.get("log", False)
        if low is None or high is None or not low < high:
            problems.append(
                f"{where}: low {short(spec.get('low'))}, high {short(spec.get('high'))}; allowed: numbers, low < high"
            )
            continue
        if not isinstance(log, bool) or (log and low <= 0):
            problems.append(f"{where}.log: {short(log)} is not allowed; allowed: true (with low > 0) or false")
            continue
        out.append(Parameter(path, low, high, log))
    return out


def _is_float_field(path: str) -> bool:
    """Whether the dotted path names a field declared as a float (not a list, a whole number or a choice)."""
    import typing
    from dataclasses import is_dataclass

    from abm.scenario import Scenario

    tp: Any = Scenario
    for key in path.split("."):
        if not is_dataclass(tp):
            return False
        hints = typing.get_type_hints(tp)
        if key not in hints:
            return False
        tp = hints[key]
    return tp is float


def _goals(value: Any, folder: Path, problems: list[str]) -> list[Goal]:
    from abm.calibration import TARGETS
    from abm.config import suggest

    by_name = {t.name: t for t in TARGETS}
    names: Any = "all"
    file = None
    if value is None:
        pass
    elif isinstance(value, list):
        names = value
    elif isinstance(value, dict) and not set(value) - {"calibration", "file"}:
        names = value.get("calibration", "all" if "file" not in value else [])
        file = value.get("file")
    else:
        problems.append(
            f"targets: {short(value)} is not allowed; allowed: a list of calibration target names, "
            "or a mapping with calibration: (all or a list) and file: (extra targets)"
        )
        return []
    goals = []
    if names == "all":
        names = list(by_name)
    if not isinstance(names, list):
        problems.append(f"targets.calibration: {short(names)} is not allowed; allowed: all, or a list of names")
        names = []
    for n in names:
        if n not in by_name:
            problems.append(
                f"targets: {short(n)} is not a calibration target{suggest(str(n), by_name)}; "
                "allowed: the names abm validate prints, e.g. 'bed occupancy'"
            )
            continue
        t = by_name[n]
        goals.append(Goal(t.name, t.target, TOLERANCE_DEFAULT, "calibration", t.source))
    if file is not None:
        goals.extend(_file_goals(file, folder, problems))
    if not goals and not problems:
        problems.append("targets: none given; allowed: at least one calibration target or a file of targets")
    if len({g.name for g in goals}) != len(goals):
        problems.append("targets: a target is named twice; allowed: each target once")
    return goals


def _file_goals(file: Any, folder: Path, problems: list[str]) -> list[Goal]:
    """Extra targets from a CSV (columns name, value, tolerance) or YAML (a list of such mappings) file."""
    from abm.outputs import SUMMARY_KEYS

    if not isinstance(file, str) or not file:
        problems.append(f"targets.file: {short(file)} is not allowed; allowed: a .csv or .yaml file name")
        return []
    path = folder / file if not Path(file).is_absolute() else Path(file)
    where = f"targets.file {clip(file, keep_end=True)!r}"
    try:
        if path.suffix.lower() == ".csv":
            if not path.is_file():
                raise ConfigError([f"{where}: file does not exist"])
            rows: Any = list(csv.DictReader(io.StringIO(safe_yaml.decode(path.read_bytes(), where))))
        elif path.suffix.lower() in (".yaml", ".yml"):
            rows = safe_yaml.read(path, "targets.file")
        else:
            raise ConfigError([f"{where}: allowed: a .csv or .yaml file"])
    except ConfigError as exc:
        problems.extend(exc.problems)
        return []
    if not isinstance(rows, list) or not rows:
        problems.append(f"{where}: no rows; allowed: rows of name, value, tolerance")
        return []
    goals = []
    for i, row in enumerate(rows):
        at = f"{where} row {i + 1}"
        if not isinstance(row, dict) or set(row) - {"name", "value", "tolerance"} or "name" not in row:
            problems.append(f"{at}: {short(row)}; allowed: name, value and optional tolerance")
            continue
        key = str(row["name"]).strip()
        value = _parse_number(row.get("value"))
        tolerance = _parse_number(row.get("tolerance") or TOLERANCE_DEFAULT)
        if key not in SUMMARY_KEYS:
            problems.append(f"{at}: name {short(key)} is not in summary.json; allowed: {', '.join(SUMMARY_KEYS)}")
        elif value is None or value == 0:
            problems.append(f"{at}: value {short(row.get('value'))}; allowed: a number other than 0")
        elif tolerance is None or tolerance <= 0:
            problems.append(f"{at}: tolerance {short(row.get('tolerance'))}; allowed: a number > 0 (0.15 = 15%)")
        else:
            goals.append(Goal(key, value, tolerance, "summary", f"{file} (summary.json overall.{key})"))
    return goals


def _parse_number(value: Any) -> float | None:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    return _number(value)


def _check_ranges(config: Config) -> None:
    """Each parameter's low and high must be values the scenario accepts (its allowed range)."""
    from abm.config import build
    from abm.scenario import Scenario, apply_overrides

    problems: list[str] = []
    for p in config.parameters:
        for end in (p.low, p.high):
            try:
                build(Scenario, apply_overrides(config.base, {**config.settings(), p.path: end}))
            except ConfigError as exc:
                problems.extend(f"parameters.{p.path}: {q}" for q in exc.problems)
    if problems:
        raise ConfigError(problems)


# --------------------------------------------------------------------------- runs
def measure(base: dict, overrides: dict, goals: list[Goal]) -> list[float]:
    """Run the scenario ``base`` with ``overrides`` (seed included); each goal's figure (NaN when undefined)."""
    from abm.calibration import TARGETS, Tracker
    from abm.config import build
    from abm.model import ICSModel
    from abm.runner import summarise
    from abm.scenario import Scenario, apply_overrides

    scenario = build(Scenario, apply_overrides(base, overrides))
    model = ICSModel(scenario)
    tracker = Tracker()
    for _ in range(model.burn_in_weeks + model.horizon_weeks):
        model.step()
        tracker.week(model)
    metrics = model.metrics.frame()
    by_name = {t.name: t for t in TARGETS}
    overall = summarise(metrics, scenario.name, scenario.population)["overall"] if goals else {}
    figures = []
    for goal in goals:
        value: float | None
        if goal.kind == "calibration":
            value = by_name[goal.name].measure(metrics, model, tracker)
        else:
            value = overall.get(goal.name)
        figures.append(float("nan") if value is None else float(value))
    return figures


def loss(goals: list[Goal], means: list[float]) -> float:
    """Mean squared relative gap, (model / target - 1) ** 2, over the goals; an undefined figure counts as 100%."""
    gaps = [(m / g.value - 1) if math.isfinite(m) else MISSING_GAP for g, m in zip(goals, means, strict=True)]
    return float(sum(x * x for x in gaps) / len(gaps))


def _mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else float("nan")


def calibrate(config: Config, jobs: int = 1, progress=None, backend: str = "loky", scheduler=None) -> Result:
    """Run ``config.trials`` trials one after another; each runs every seed in parallel.

    ``backend`` is ``"loky"`` (``jobs`` local processes) or ``"dask"``: the seeds run on a Dask cluster,
    ``scheduler`` (an address or a cluster object, as :func:`experiments.sweep.run_sweep` takes), or a
    local one of ``jobs`` workers.  Where the seeds run does not change any result.
    """
    from contextlib import ExitStack

    import optuna
    from joblib import Parallel, delayed, parallel_config

    from experiments.sweep import dask_client

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    startup = max(2, min(10, config.trials // 3))
    sampler = optuna.samplers.TPESampler(seed=config.sampler_seed, n_startup_trials=startup)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    result = Result(config)
    best_loss = math.inf
    with ExitStack() as stack:
        if backend == "dask":
            stack.enter_context(dask_client(scheduler, jobs))
            stack.enter_context(parallel_config(backend="dask"))
        elif backend != "loky":
            raise ValueError(f"backend: {backend!r} is not allowed; allowed: 'loky', 'dask'")
        parallel = stack.enter_context(
            Parallel(n_jobs=jobs) if backend == "dask" else Parallel(n_jobs=jobs, backend="loky")
        )
        for number in range(config.trials):
            trial = study.ask()
            values = {p.path: float(trial.suggest_float(p.path, p.low, p.high, log=p.log)) for p in config.parameters}
            overrides = {**config.settings(), **values}
            per_seed = parallel(
                delayed(measure)(config.base, {**overrides, "seed": seed}, config.goals) for seed in config.seeds
            )
            by_goal = [list(col) for col in zip(*per_seed, strict=True)]
            means = [_mean(col) for col in by_goal]
            value = loss(config.goals, means)
            study.tell(trial, value)
            result.rows.append(
                {
                    "trial": number,
                    **values,
                    "loss": value,
                    **{g.name: m for g, m in zip(config.goals, means, strict=True)},
                }
            )
            if value < best_loss:
                best_loss, result.best = value, number
                result.best_figures = {g.name: col for g, col in zip(config.goals, by_goal, strict=True)}
            if progress is not None:
                progress(number + 1, config.trials, value, best_loss)
    return result


# --------------------------------------------------------------------------- outputs
def best_scenario(result: Result) -> dict:
    """The base scenario with the best trial's parameters and the calibration's run settings."""
    from abm.scenario import apply_overrides

    config = result.config
    row = result.rows[result.best]
    values = {p.path: row[p.path] for p in config.parameters}
    data = apply_overrides(config.base, {**config.settings(), **values, "seed": config.seeds[0]})
    data.pop("story", None)  # a preset's teaching text describes the preset, not the fitted scenario
    data["name"] = f"{data.get('name', config.scenario)}-calibrated"
    data["description"] = (
        f"{config.scenario} with {len(values)} parameter(s) fitted by abm calibrate {config.name}: "
        f"loss {row['loss']:.4g} (mean squared relative gap) over {len(config.goals)} target(s), "
        f"trial {row['trial']} of {config.trials}, seeds {config.seeds}"
    )
    return data


def render(result: Result) -> dict[str, bytes]:
    """Every output file, rendered in memory (name -> bytes)."""
    import yaml

    class _NoAliases(yaml.SafeDumper):  # the loader refuses aliases (abm.safe_yaml)
        def ignore_aliases(self, data):
            return True

    config = result.config
    header = (
        f"# Written by abm calibrate {config.name}: the best of {config.trials} trial(s); run it with abm run FILE\n"
    )
    scenario = yaml.dump(best_scenario(result), Dumper=_NoAliases, sort_keys=False, allow_unicode=True)
    columns = ["trial", *(p.path for p in config.parameters), "loss", *(g.name for g in config.goals)]
    return {
        "best_scenario.yaml": (header + scenario).encode(),
        "trials.csv": _csv(result.rows, columns).encode(),
        "fit.csv": _csv(
            fit_rows(result), ["target", "kind", "value", "tolerance", "model", "sd", "gap", "within", "source"]
        ).encode(),
        "fit.png": plot(result),
    }


def fit_rows(result: Result) -> list[dict]:
    """The best trial against each target: the model's mean over seeds, its SD, the gap and whether within tolerance."""
    rows = []
    for goal in result.config.goals:
        figures = [f for f in result.best_figures[goal.name] if math.isfinite(f)]
        model = _mean(figures)
        sd = (
            math.sqrt(sum((f - model) ** 2 for f in figures) / (len(figures) - 1)) if len(figures) > 1 else float("nan")
        )
        gap = model / goal.value - 1
        rows.append(
            {
                "target": goal.name,
                "kind": goal.kind,
                "value": goal.value,
                "tolerance": goal.tolerance,
                "model": model,
                "sd": sd,
                "gap": gap,
                "within": bool(abs(gap) <= goal.tolerance),
                "source": goal.source,
            }
        )
    return rows


def _csv(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: (repr(v) if isinstance(v, float) else v) for c, v in row.items()})
    return out.getvalue()


def plot(result: Result) -> bytes:
    """fit.png: each target's relative gap at the best trial (seeds and mean, tolerance shaded); loss by trial."""
    import textwrap

    from matplotlib.figure import Figure

    goals = result.config.goals
    figure = Figure(figsize=(11, max(3.0, 1.2 + 0.45 * len(goals))), layout="constrained")
    fit, history = figure.subplots(1, 2, width_ratios=[3, 2])
    for i, goal in enumerate(goals):
        figures = [f for f in result.best_figures[goal.name] if math.isfinite(f)]
        fit.fill_betweenx([i - 0.4, i + 0.4], -goal.tolerance, goal.tolerance, color="0.9", lw=0)
        fit.scatter([f / goal.value - 1 for f in figures], [i] * len(figures), s=12, color="0.5", zorder=2)
        if figures:
            fit.scatter([_mean(figures) / goal.value - 1], [i], s=40, color="C0", zorder=3)
    fit.axvline(0, color="black", lw=0.8)
    fit.set_yticks(range(len(goals)), [textwrap.shorten(g.name, 45) for g in goals])
    fit.invert_yaxis()
    fit.xaxis.set_major_formatter(lambda x, _: f"{x:+.0%}")
    fit.set_xlabel("model / target - 1 (grey dots: seeds; blue: mean; band: tolerance)")
    fit.set_title(f"Best trial ({result.best}): fit against targets", fontsize=10)
    losses = [r["loss"] for r in result.rows]
    running = [min(losses[: i + 1]) for i in range(len(losses))]
    history.scatter(range(len(losses)), losses, s=12, color="0.5", label="trial")
    history.step(range(len(losses)), running, where="post", color="C0", label="best so far")
    if min(losses) > 0:
        history.set_yscale("log")
    history.set_xlabel("trial")
    history.set_ylabel("loss\n(mean squared relative gap)")
    history.legend(fontsize=8)
    history.set_title("Loss by trial", fontsize=10)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100)
    return out.getvalue()


def check_out(out: Path) -> None:
    """Refuse an output folder that holds anything but an earlier calibration's files (it is replaced whole)."""
    if out.exists() and not out.is_dir():
        raise ConfigError([f"--out {clip(str(out), keep_end=True)!r}: not a folder"])
    if out.is_dir():
        others = sorted(p.name for p in out.iterdir() if p.name not in FILES)
        if others:
            raise ConfigError(
                [
                    f"--out {clip(str(out), keep_end=True)!r} holds other files ({', '.join(others[:3])}); "
                    "allowed: a new or empty folder, or an earlier calibration's"
                ]
            )


def write_results(result: Result, out: Path) -> list[Path]:
    """Write every output into ``out`` all or nothing, replacing an earlier calibration there."""
    from experiments.folders import write_folder

    check_out(out)
    return write_folder(out, render(result))
