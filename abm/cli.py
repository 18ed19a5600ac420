"""The ``abm`` command line: run a scenario, list presets, document parameters and outputs.

    abm run baseline --population 20000 --years 2 --seed 3 --out runs/demo
    abm run my_scenario.yaml --set levers.acute_beds_multiplier=1.2 --set params.gp.list_size=8000
    abm presets
    abm params --markdown
    abm outputs --markdown

``python -m abm ...`` is the same.  The work is done in :mod:`abm.runner`; this
module only parses arguments, reports problems and prints results.  Exit codes:
0 success, 1 the outputs could not be written (e.g. a full disk), 2 invalid scenario or
arguments, 130 interrupted (Ctrl+C), 143 terminated (SIGTERM) (:mod:`abm.exits`).

Building the parser imports only the standard library and the light configuration
modules (no numpy, pandas or mesa): each command imports what it needs when it runs,
so ``abm --help`` answers at once (``tests/test_cli.py`` checks).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from abm import __version__
from abm.config import ConfigError
from abm.exits import EXIT_INTERRUPTED, EXIT_NOT_WRITTEN, EXIT_TERMINATED
from abm.exits import error as _error
from abm.exits import invalid_scenario as _invalid
from abm.scenario import load_scenario, load_scenario_dict, preset_names


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``abm`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="abm",
        description="Agent-based whole-system model of community health services in an English Integrated Care System.",
        epilog="Run 'abm COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run a scenario and write its outputs",
        description="Run a scenario (burn-in, then the reporting years), write metrics.parquet/.csv,\n"
        "metrics_by_group.parquet/.csv, summary.json and run.json to the output directory,\n"
        "and print headline results per year.",
        epilog="Examples:\n"
        "  abm run --population 20000 --years 2 --out runs/demo\n"
        "  abm run baseline --set levers.acute_beds_multiplier=1.2 --set params.gp.list_size=8000\n"
        "  abm run my_scenario.yaml --set places.0.population_share=0.5\n"
        "Keys and allowed values: 'abm params'.  Presets: 'abm presets'.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_arguments(run)
    run.add_argument(
        "--out",
        metavar="DIR",
        help="output directory (default: runs/SCENARIO-YYYYmmdd-HHMMSS). It must be new or empty, "
        "or hold an earlier run's outputs (replaced only with --force); one holding any other "
        "file is refused. The files appear together when the run ends: an interrupted run "
        "leaves DIR as it was",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace the earlier run's outputs in --out DIR (only files abm run writes; nothing else is ever deleted)",
    )
    run.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress bar and no results table; print only the output directory",
    )
    run.set_defaults(handler=cmd_run)

    presets = commands.add_parser(
        "presets",
        help="list the preset scenarios",
        description="List the preset scenarios with their one-line descriptions.",
    )
    presets.set_defaults(handler=cmd_presets)

    params = commands.add_parser(
        "params",
        help="list every parameter and lever",
        description="List every scenario key, lever and parameter with its default, units, allowed values "
        "and source.  Any of them can be set with 'abm run --set KEY=VALUE'.",
    )
    params.add_argument("--markdown", action="store_true", help="print a Markdown table (with each key's meaning)")
    params.set_defaults(handler=cmd_params)

    output_table = commands.add_parser(
        "outputs",
        help="list every output column and how it is summarised",
        description="List every weekly output (a column of metrics.csv) with its kind, units and summary.json key.",
    )
    output_table.add_argument(
        "--markdown", action="store_true", help="print the Markdown table committed as docs/outputs.md"
    )
    output_table.set_defaults(handler=cmd_outputs)
    _add_validate_parser(commands)
    _add_crn_parser(commands)
    _add_bench_parser(commands)
    _add_experiment_parsers(commands)
    _add_calibrate_parser(commands)
    _add_dashboard_parser(commands)
    return parser


def add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --population, --years, --seed and --set, as ``abm run`` and ``abm validate`` take them."""
    parser.add_argument(
        "scenario",
        nargs="?",
        default="baseline",
        metavar="SCENARIO",
        help="a preset name, a YAML file, or a run.json to rerun that run exactly (default: baseline)",
    )
    parser.add_argument("--population", metavar="N", help="ICS population at the start (same as --set population=N)")
    parser.add_argument("--years", metavar="Y", help="reporting years (same as --set years=Y)")
    parser.add_argument("--seed", metavar="S", help="random seed (same as --set seed=S)")
    add_set_argument(
        parser,
        "override any scenario value by dotted path, e.g. levers.acute_beds_multiplier=1.2; "
        "repeatable; applied after --population/--years/--seed",
    )


def add_set_argument(parser: argparse.ArgumentParser, description: str) -> None:
    """``--set KEY=VALUE`` (repeatable, into ``args.overrides``), described for this command."""
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=description)


def scenario_overrides(args: argparse.Namespace) -> list[str]:
    """The KEY=VALUE overrides from the shorthands (--population, --years, --seed) and --set, in order."""
    shorthands = [
        f"{key}={value}" for key in ("population", "years", "seed") if (value := getattr(args, key)) is not None
    ]
    return shorthands + args.overrides


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``abm`` and ``python -m abm``; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, argv)
    except ConfigError as exc:
        return _invalid(exc.problems)
    except KeyboardInterrupt:
        print("\ninterrupted: output files already written are complete; the rest were not written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `abm params | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


# --------------------------------------------------------------------------- run
def cmd_run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm run``: validate the scenario and the output folder, run, write outputs, print the headline table.

    Bad input (scenario, ``--out``) is refused before the model runs, with exit code 2.
    Ctrl+C or SIGTERM ends the run cleanly (exit 130 or 143): ``--out`` then holds either
    its earlier contents or the complete new outputs (see :func:`abm.runner.write_outputs`).
    """
    from abm.provenance import Terminated, interrupt_on_sigterm
    from abm.runner import OutputError, OutputExists, check_out_dir, default_out_dir, headline_table, run_scenario

    if args.out is not None and not args.out.strip():
        return _error(
            "--out is empty; give a folder for the outputs, e.g. --out runs/demo "
            "(or leave --out out for runs/SCENARIO-YYYYmmdd-HHMMSS)"
        )
    try:
        scenario = load_scenario(args.scenario, scenario_overrides(args))
    except OSError as exc:  # e.g. the scenario path is a directory or unreadable
        return _invalid([f"scenario: cannot read {args.scenario!r}: {exc.strerror or exc}"])

    out = Path(args.out) if args.out is not None else default_out_dir(scenario.name)
    try:
        check_out_dir(out, replace=args.force)
    except OutputExists as exc:
        return _error(f"--out {str(out)!r} holds {exc.what}; add --force to replace them, or give another folder")
    except OutputError as exc:
        return _error(f"--out {str(out)!r}: {exc}")

    started = datetime.now(UTC)
    try:
        with interrupt_on_sigterm():
            result = run_scenario(scenario, out, progress=not args.quiet, command=["abm", *argv], replace=args.force)
    except OutputError as exc:  # found only when writing: a full disk, or another process's files
        print(f"error: --out {str(out)!r}: {exc}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    except KeyboardInterrupt as exc:
        if _written_since(out, started):
            state = f"the outputs had been written to {out}"
        elif out.exists():
            state = f"no outputs were written; {out} was left as it was"
        else:
            state = "no outputs were written"
        if isinstance(exc, Terminated):
            print(f"terminated (SIGTERM): {state}", file=sys.stderr)
            return EXIT_TERMINATED
        print(f"\ninterrupted: {state}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not args.quiet:
        print(f"{scenario.name}: population {scenario.population:,}, {scenario.years} year(s), seed {scenario.seed}")
        print(headline_table(result.summary))
    print(f"outputs: {out}")
    return 0


def _written_since(out: Path, started: datetime) -> bool:
    """Whether ``out`` holds the outputs of a run started at or after ``started`` (run.json says when)."""
    import json

    try:
        recorded = json.loads((out / "run.json").read_text())["started"]
        return datetime.fromisoformat(recorded) >= started
    except (OSError, ValueError, KeyError, TypeError):
        return False


# --------------------------------------------------------------------------- presets
def cmd_presets(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm presets``: each preset's name and one-line description."""
    names = preset_names()
    width = max((len(n) for n in names), default=0)
    for name in names:
        try:
            description = str(load_scenario_dict(name).get("description", "") or "")
        except ConfigError as exc:
            description = f"(unreadable: {exc.problems[0]})"
        print(f"{name.ljust(width)}  {description}".rstrip())
    return 0


# --------------------------------------------------------------------------- params
def cmd_params(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm params``: every scenario key, lever and parameter, as aligned text or Markdown."""
    from abm import params_table

    if args.markdown:
        sys.stdout.write(params_table.markdown())
    else:
        print(params_table.text())
    return 0


def cmd_outputs(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm outputs``: the declared table of outputs, as aligned text or Markdown."""
    from abm import outputs

    if args.markdown:
        sys.stdout.write(outputs.markdown())
    else:
        print(outputs.text())
    return 0


# --------------------------------------------------------------------------- validate
def _add_validate_parser(commands) -> None:
    parser = commands.add_parser(
        "validate",
        help="compare the baseline with the evidence (calibration report)",
        description="Run a scenario (default: baseline) and print each calibration target from DESIGN 7 and\n"
        "EVIDENCE.md: the target, the model's figure, the gap and the source.  Exit code 1 when a\n"
        "figure is more than 15% from its target.\n\n"
        "With --behaviours: test each behaviour the seed documents describe (a policy against a\n"
        "reference with paired seeds, or the baseline's level) and print whether it holds (the\n"
        "validity report; 20,000 people and 10 years unless --population/--years say otherwise).",
        epilog="Examples:\n"
        "  abm validate\n"
        "  abm validate --population 50000 --seed 2\n"
        "  abm validate --population 20000 --years 3 --replicates 4\n"
        "  abm validate --markdown > docs/calibration.md\n"
        "  abm validate --behaviours --jobs 2 --markdown > docs/validity.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_arguments(parser)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table and the calibrated parameters")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--behaviours", action="store_true", help="the validity report: claims from the evidence")
    parser.add_argument("--seeds", type=int, default=8, metavar="K", help="with --behaviours: seeds 1..K (default 8)")
    parser.add_argument("--jobs", type=int, default=1, metavar="J", help="with --behaviours: worker processes")
    parser.add_argument(
        "--claims",
        metavar="NAMES",
        help="with --behaviours: only these claims (comma-separated keys, as in abm/validity.py)",
    )
    parser.add_argument(
        "--replicates",
        type=int,
        default=1,
        metavar="R",
        help="without --behaviours: each figure the mean over R seeds from the scenario's (default 1)",
    )
    parser.set_defaults(handler=cmd_validate)


def cmd_validate(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm validate``: the calibration report; exit 1 if a target is missed (or, with --behaviours, the
    validity report; exit 0, since claims that fail are reported, not errors)."""
    if args.behaviours:
        return cmd_behaviours(args)
    if args.claims is not None:
        return _error("--claims goes with --behaviours")
    from abm.calibration import validate
    from abm.runner import ProgressBar

    overrides = scenario_overrides(args)
    load_scenario(args.scenario, overrides)  # refuse bad input before running
    problem = _out_of_range(("--replicates", args.replicates, 1, 100))
    if problem:
        return _error(problem)
    if args.quiet or args.markdown:
        report = validate(args.scenario, overrides, replicates=args.replicates)
    else:
        with ProgressBar("weeks") as bar:
            report = validate(args.scenario, overrides, progress=bar, replicates=args.replicates)
    print(report.markdown() if args.markdown else report.text())
    return 0 if report.ok else 1


def cmd_behaviours(args: argparse.Namespace) -> int:
    """``abm validate --behaviours``: every claim in :mod:`abm.validity`, tested."""
    from abm import validity

    if args.scenario != "baseline" or args.overrides or args.seed is not None or args.replicates != 1:
        return _error("--behaviours runs its own scenarios; allowed with it: --population, --years, --seeds, --jobs")
    population, years = _whole(args.population, 20_000), _whole(args.years, 10)
    if population is None or years is None:
        return _error(f"--population {args.population} / --years {args.years}: allowed: whole numbers")
    problem = _out_of_range(
        ("--population", population, 1_000, 5_000_000),
        ("--years", years, max(c.years[1] for c in validity.CLAIMS), 60),  # the report's windows, whatever --claims
        ("--seeds", args.seeds, 3, 1000),
        ("--jobs", args.jobs, 1, 256),
    )
    if problem:
        return _error(problem)
    try:
        claims = validity.select(args.claims)
    except ValueError as exc:
        return _error(str(exc))
    seeds = list(range(1, args.seeds + 1))
    results = validity.evaluate(claims, population=population, years=years, seeds=seeds, jobs=args.jobs)
    print(validity.markdown(results, population, years, seeds) if args.markdown else validity.text(results), end="")
    return 0


def _out_of_range(*checks: tuple[str, int, int, int]) -> str | None:
    """The first of ``(flag, value, lo, hi)`` whose value is outside [lo, hi], as an error message (None if all fit)."""
    for flag, value, lo, hi in checks:
        if not lo <= value <= hi:
            return f"{flag} {value} is out of range; allowed: whole numbers {lo:,} to {hi:,}"
    return None


def _whole(value: str | None, default: int) -> int | None:
    """A whole-number flag given as text (None when it is not one)."""
    if value is None:
        return default
    try:
        return int(value.replace("_", "").replace(",", ""))
    except ValueError:
        return None


# --------------------------------------------------------------------------- crn
def _add_crn_parser(commands) -> None:
    parser = commands.add_parser(
        "crn",
        help="how much common random numbers narrow a comparison (paired vs unpaired SD)",
        description="Run the baseline and five lever contrasts with the same seeds and print, for each\n"
        "headline outcome, the SD over seeds of the paired difference against the unpaired SD.\n"
        "A ratio well under 1 means a difference against the baseline is mostly the lever, not noise.",
        epilog="Examples:\n  abm crn\n  abm crn --population 50000 --years 5 --seeds 8 --jobs 2\n"
        "  abm crn --seeds 16 --jobs 2 --set params.acute.los_slowdown=0",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--population", type=int, default=10_000, metavar="N", help="people (default 10,000)")
    parser.add_argument("--years", type=int, default=5, metavar="Y", help="reporting years (default 5)")
    parser.add_argument("--seeds", type=int, default=8, metavar="K", help="seeds 1..K (default 8; at least 3)")
    parser.add_argument("--jobs", type=int, default=1, metavar="J", help="worker processes (default 1)")
    add_set_argument(
        parser,
        "a scenario value for both arms of every contrast, by dotted path, e.g. params.acute.los_slowdown=0 "
        "(how much a mechanism limits the pairing); repeatable; a contrast's own lever value replaces it",
    )
    parser.set_defaults(handler=cmd_crn)


# what abm crn sets itself, for every run: --set may not (a seed shared by every run would undo the pairing's seeds)
CRN_OWN_OPTIONS = {"population": "--population", "years": "--years", "seed": "--seeds"}


def cmd_crn(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm crn``: the paired-against-unpaired table, as Markdown."""
    from abm import crn

    problem = _out_of_range(
        ("--population", args.population, 1_000, 5_000_000),
        ("--years", args.years, 1, 60),
        ("--seeds", args.seeds, 3, 1000),
        ("--jobs", args.jobs, 1, 256),
    )
    if problem:
        return _error(problem)
    for text in args.overrides:
        key = text.split("=", 1)[0].strip()
        if key in CRN_OWN_OPTIONS:
            return _error(f"--set {text!r}: {key} is set by {CRN_OWN_OPTIONS[key]}, not --set")
    load_scenario(None, args.overrides)  # refuse bad input before running (ConfigError names each problem)
    seeds = list(range(1, args.seeds + 1))
    rows = crn.table(args.population, args.years, seeds, jobs=args.jobs, common=args.overrides)
    print(crn.markdown(rows, args.population, args.years, seeds, args.overrides), end="")
    return 0


# --------------------------------------------------------------------------- bench
def _add_bench_parser(commands) -> None:
    """``abm bench``: its options live in :mod:`benchmarks.bench` (standard library only, so cheap to import)."""
    from benchmarks import bench

    parser = commands.add_parser(
        "bench",
        help="measure speed and memory at 10k, 100k and 1.5M people",
        description="Measure the engine's speed and memory on the default scenario: patient-weeks per second,\n"
        "build time, peak memory per patient, time per week by phase, the per-object reference's\n"
        "slowdown, and the performance targets.  Each measurement runs in a fresh process on one core.",
        epilog="Examples:\n"
        "  abm bench --quick\n"
        "  abm bench --json --out bench.json\n"
        "  abm bench --populations 3000 --years 1 --repeats 1 --no-reference",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_arguments(parser)
    parser.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm bench``: run :func:`benchmarks.bench.run_from_args`."""
    from benchmarks import bench

    return bench.run_from_args(args)


# --------------------------------------------------------------------------- sweep, summarize
def _add_experiment_parsers(commands) -> None:
    """``abm sweep`` and ``abm summarize``: options and handlers live in :mod:`experiments.cli`."""
    from experiments import cli as experiments_cli

    experiments_cli.add_parsers(commands)


# --------------------------------------------------------------------------- calibrate
def _add_calibrate_parser(commands) -> None:
    parser = commands.add_parser(
        "calibrate",
        help="fit parameters to the calibration targets (Optuna)",
        description="Fit the parameters a config names (scalar floats, each with a range) to the calibration\n"
        "targets 'abm validate' uses and to any file of targets, with Optuna's TPE sampler.  Each\n"
        "trial runs the same seeds; the loss is the mean squared relative gap, (model / target - 1)^2,\n"
        "averaged over the targets.  Writes to DIR, all or nothing: best_scenario.yaml (for abm run),\n"
        "trials.csv, fit.csv and fit.png.  The config: docs/modeller_guide.md, 'Calibrating'.",
        epilog="Examples:\n"
        "  abm calibrate experiments/designs/calibrate_los.yaml --out runs/calibrate_los --jobs 2\n"
        "  abm run runs/calibrate_los/best_scenario.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", metavar="CONFIG.yaml", help="the calibration config")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: runs/calibrate-CONFIG); new, empty or an earlier calibration's (replaced)",
    )
    parser.add_argument("--jobs", "-j", type=int, default=1, metavar="J", help="worker processes for the seeds")
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run each trial's seeds on a Dask cluster, e.g. tcp://head:8786 (as abm sweep --scheduler)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no line per trial")
    parser.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm calibrate``: check the config and the output folder, run the trials, write the results."""
    import importlib.util

    from experiments import calibrate

    if importlib.util.find_spec("optuna") is None:
        return _error("abm calibrate needs Optuna: pip install 'ics-abm[calibrate]'")
    if not 1 <= args.jobs <= 256:
        return _error(f"--jobs {args.jobs} is out of range; allowed: 1 to 256")
    config = calibrate.read_config(args.config)
    out = Path(args.out) if args.out else Path("runs") / f"calibrate-{config.name}"
    try:
        calibrate.check_out(out)
    except ConfigError as exc:
        return _error(exc.problems[0])

    def progress(done: int, total: int, loss: float, best: float) -> None:
        print(f"trial {done}/{total}: loss {loss:.4g} (best {best:.4g})", file=sys.stderr)

    from experiments.sweep import SweepError

    try:
        result = calibrate.calibrate(
            config,
            jobs=args.jobs,
            progress=None if args.quiet else progress,
            backend="dask" if args.scheduler else "loky",
            scheduler=args.scheduler,
        )
    except SweepError as exc:  # a Dask scheduler that cannot be reached, or Dask not installed
        return _error(str(exc))
    try:
        calibrate.write_results(result, out)
    except OSError as exc:
        print(f"error: --out {str(out)!r}: {exc}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    best = result.rows[result.best]
    if not args.quiet:
        for p in config.parameters:
            print(f"{p.path} = {best[p.path]:.6g}")
        print(f"loss {best['loss']:.4g}: trial {best['trial']} in trials.csv (numbered from 0) of {config.trials}")
    print(f"outputs: {out}")
    return 0


# --------------------------------------------------------------------------- dashboard
def _add_dashboard_parser(commands) -> None:
    """``abm dashboard``: its options live in :mod:`dashboard.cli` (standard library only, so cheap to import)."""
    from dashboard import cli as dashboard_cli

    parser = commands.add_parser(
        "dashboard",
        help="serve the workshop dashboard (Solara) on localhost",
        description="Serve the workshop dashboard: each browser session gets its own model; levers act live.",
        epilog="Examples:\n  abm dashboard\n  abm dashboard --host 0.0.0.0 --port 8765 --population 20000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dashboard_cli.add_arguments(parser)
    parser.set_defaults(handler=lambda args, argv: dashboard_cli.run_from_args(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
