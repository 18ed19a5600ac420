"""``abm sweep``, ``abm summarize``, ``abm discover`` and ``abm robustness``: options and handlers (see :mod:`abm.cli`).

    abm sweep experiments/designs/shift_addon_data.yaml --out runs/shift --jobs 4
    abm sweep DESIGN.yaml --out DIR --backend dask --scheduler tcp://head:8786
    abm sweep DESIGN.yaml --out runs/trial --set population=5000 --set years=1 --replications 2
    abm summarize runs/shift
    abm discover runs/explore --outcome delayed_discharge_days --above 260
    abm robustness runs/explore --threshold delayed_discharge_days=260

Only the standard library is imported here, so ``abm --help`` stays quick.  Exit
codes: 0 success; 1 some runs failed (the others completed); 2 invalid design or
arguments, or a directory holding another design; 130 interrupted by Ctrl+C, 143 by
SIGTERM (rerun to resume).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from abm.exits import EXIT_INTERRUPTED, EXIT_TERMINATED
from abm.exits import error as _error

EXIT_FAILED_RUNS = 1


def add_parsers(commands) -> None:
    """Add ``sweep``, ``summarize``, ``discover`` and ``robustness`` to the ``abm`` subcommands."""
    sweep = commands.add_parser(
        "sweep",
        help="run an experiment design (grid, Latin hypercube, Sobol', Morris), resumably",
        description="Run every run of an experiment design: design points x replications, each with a seed\n"
        "spawned from the design's root seed (common random numbers across points).  Each run's\n"
        "results are written atomically to DIR/runs/<run_id>/ and listed in DIR/runs.csv.  A failed\n"
        "run is recorded with its traceback and the others go on.  Running the same command again\n"
        "resumes: finished runs are skipped; a changed design is refused.",
        epilog="Examples:\n"
        "  abm sweep experiments/designs/shift_addon_data.yaml --out runs/shift --jobs 4\n"
        "  abm sweep DESIGN.yaml --out runs/trial --set population=5000 --set years=1 --replications 2\n"
        "  abm sweep DESIGN.yaml --out DIR --backend dask --scheduler tcp://head:8786\n"
        "Then: abm summarize DIR.  Design files: experiments/README.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sweep.add_argument("design", type=Path, metavar="DESIGN.yaml", help="the experiment design")
    sweep.add_argument(
        "--out", metavar="DIR", help="sweep directory (default: runs/<design name>); rerun with the same DIR to resume"
    )
    sweep.add_argument(
        "--jobs",
        "-j",
        type=_positive,
        default=1,
        metavar="N",
        help="worker processes (default 1: runs in this process); with --backend dask and no "
        "--scheduler, the size of a local Dask cluster",
    )
    sweep.add_argument(
        "--backend",
        choices=("loky", "dask"),
        help="loky: joblib's worker processes on this machine (default); dask: a Dask cluster "
        "(needs pip install 'ics-abm[dask]')",
    )
    sweep.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://head:8786 (implies --backend dask)"
    )
    sweep.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a value of the base scenario, e.g. population=5000 or years=1; repeatable",
    )
    sweep.add_argument(
        "--replications",
        type=_positive,
        metavar="N",
        help="replace the design's replications; on an existing sweep, more replications are added to it "
        "(the runs done keep their seeds)",
    )
    sweep.add_argument(
        "--samples", type=_positive, metavar="N", help="replace the design's sampling.samples (the sample size)"
    )
    sweep.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=cmd_sweep)

    summarize = commands.add_parser(
        "summarize",
        help="summarise a sweep: means, 95%% intervals, paired differences, sensitivity, charts",
        description="Per design point and headline outcome: mean and 95% interval over replications, and the\n"
        "paired difference from the reference point; per year too.  Sensitivity indices for Sobol',\n"
        "Morris and Latin-hypercube designs (once every run is done), with the share of the variance\n"
        "that is noise between replicates and warnings when the indices look like noise.\n"
        "Writes parquet tables (for pandas/DuckDB), points.csv and PNG charts to DIR/summary\n"
        "(or --out), and prints a table.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    summarize.add_argument("sweep_dir", type=Path, metavar="DIR", help="a sweep directory (from abm sweep)")
    summarize.add_argument("--out", type=Path, metavar="DIR", help="where to write (default: DIR/summary)")
    summarize.add_argument("--no-plots", action="store_true", help="tables only")
    summarize.add_argument(
        "--tidy",
        action="store_true",
        help="also write tidy.parquet: one row per run x week x place (every Place and the ICS) with the "
        "run's factor values and seed (designs with outputs: weekly)",
    )
    summarize.add_argument("--quiet", "-q", action="store_true", help="print only where the files went")
    summarize.set_defaults(handler=cmd_summarize)

    discover = commands.add_parser(
        "discover",
        help="scenario discovery: which inputs, in which ranges, give an outcome below or above a value (PRIM, CART)",
        description="Scenario discovery on a sweep with PRIM and CART (the EMA Workbench: pip install\n"
        "'ics-abm[discovery]').  Each design point is a case, its outcome the mean over its\n"
        "replicates; a case is of interest when that mean is below (or above) VALUE.  Prints the\n"
        "peeling trajectory, the chosen box with its coverage, density and quasi-p-values, and CART's\n"
        "leaves; writes them with a chart to DIR/discovery/<outcome>-<below|above>-<value>/.",
        epilog="Examples:\n"
        "  abm discover runs/explore --outcome admissions --above 110\n"
        "  abm discover runs/explore --outcome unmet_need_per_1000 --below 300 --min-density 0.9\n"
        "The outcome is a declared outcome of the design or any headline figure of summary.json.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    discover.add_argument("sweep_dir", type=Path, metavar="DIR", help="a sweep directory (from abm sweep)")
    discover.add_argument("--outcome", required=True, metavar="NAME", help="the outcome to explain")
    side = discover.add_mutually_exclusive_group(required=True)
    side.add_argument("--below", type=_number, metavar="VALUE", help="cases of interest: the outcome below VALUE")
    side.add_argument("--above", type=_number, metavar="VALUE", help="cases of interest: the outcome above VALUE")
    discover.add_argument(
        "--min-density",
        type=_share,
        default=0.8,
        metavar="D",
        help="choose the box of highest coverage with at least this density (0-1; default 0.8)",
    )
    discover.add_argument("--box", type=int, metavar="I", help="choose this box of the peeling trajectory instead")
    discover.add_argument(
        "--mass-min",
        type=_share,
        default=0.05,
        metavar="M",
        help="stop peeling at this share of the cases (default 0.05)",
    )
    discover.add_argument("--no-plots", action="store_true", help="no chart")
    discover.set_defaults(handler=cmd_discover)

    robust = commands.add_parser(
        "robustness",
        help="robustness of policies across scenarios: regret, satisficing, percentiles",
        description="For each policy (a combination of lever values) across the scenarios (draws of the\n"
        "uncertainties): its regret against the best policy in each scenario (mean, 90th percentile,\n"
        "maximum), the share of scenarios in which it meets each threshold (satisficing), and the\n"
        "outcome's 10th, 50th and 90th percentiles.  Prints a table per outcome, policies ranked by\n"
        "maximum regret; writes tables and a chart to DIR/robustness/.",
        epilog="Examples:\n"
        "  abm robustness runs/explore\n"
        "  abm robustness runs/explore --threshold admissions=105\n"
        "  abm robustness runs/grid --outcome unmet_need_per_1000 --direction unmet_need_per_1000=minimise\n"
        "Declared outcomes carry their direction and threshold; --threshold replaces a threshold.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    robust.add_argument("sweep_dir", type=Path, metavar="DIR", help="a sweep directory (from abm sweep)")
    robust.add_argument(
        "--outcome",
        dest="outcomes",
        action="append",
        metavar="NAME",
        help="an outcome to analyse (repeatable; default: every declared outcome)",
    )
    robust.add_argument(
        "--threshold",
        dest="thresholds",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="the acceptable limit of an outcome (at most it when minimising, at least when maximising); repeatable",
    )
    robust.add_argument(
        "--direction",
        dest="directions",
        action="append",
        default=[],
        metavar="NAME=minimise|maximise",
        help="the direction of an outcome the design does not declare; repeatable",
    )
    robust.add_argument("--no-plots", action="store_true", help="no chart")
    robust.set_defaults(handler=cmd_robustness)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1")
    return value


def cmd_sweep(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm sweep``: load the design, run what is not yet done, report."""
    from abm.provenance import Terminated, interrupt_on_sigterm
    from abm.runner import safe_name
    from experiments.design import DesignError, load_design
    from experiments.sweep import SweepError, run_sweep

    if args.out is not None and not args.out.strip():
        return _error(
            "--out is empty; give a folder for the sweep, e.g. --out runs/trial "
            "(or leave --out out for runs/<design name>)"
        )
    if args.backend == "loky" and args.scheduler:
        return _error("--scheduler needs --backend dask (or leave --backend out)")
    backend = args.backend or ("dask" if args.scheduler else "loky")
    try:
        plan = load_design(args.design, args.overrides, args.replications, samples=args.samples)
    except DesignError as exc:
        return _invalid_design(exc.problems)
    out = Path(args.out) if args.out is not None else Path("runs") / safe_name(plan.design.name)
    try:
        with interrupt_on_sigterm():  # SIGTERM unwinds like Ctrl+C: workers ended, runs.csv rewritten
            report = run_sweep(
                plan,
                out,
                jobs=args.jobs,
                backend=backend,
                scheduler=args.scheduler,
                progress=not args.quiet,
                command=["abm", *argv],
            )
    except SweepError as exc:
        return _error(str(exc))
    except KeyboardInterrupt as exc:
        state = f"every run recorded in {out} is complete; run the same command to resume"
        if isinstance(exc, Terminated):
            print(f"terminated (SIGTERM): {state}", file=sys.stderr)
            return EXIT_TERMINATED
        print(f"\ninterrupted: {state}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(report.text())
    print(f"sweep: {out}  (next: abm summarize {out})")
    return EXIT_FAILED_RUNS if report.failed else 0


def cmd_summarize(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm summarize``: tables, intervals, charts."""
    from experiments.summarize import report_text, summarize
    from experiments.sweep import SweepError

    try:
        summary = summarize(args.sweep_dir, args.out, plots=not args.no_plots, tidy=args.tidy)
    except (SweepError, ValueError) as exc:
        return _error(str(exc))
    if not args.quiet:
        print(report_text(summary))  # ends with the notes and warnings
    else:
        for line in [*(f"note: {n}" for n in summary.notes), *(f"warning: {w}" for w in summary.warnings)]:
            print(line, file=sys.stderr)
    print(f"summary: {summary.files[0].parent}")
    return 0


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _share(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{value:g} is not between 0 and 1")
    return value


def cmd_discover(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm discover``: PRIM and CART on a sweep."""
    from experiments.discovery import DiscoveryError, discover, report_text
    from experiments.sweep import SweepError

    try:
        result = discover(
            args.sweep_dir,
            args.outcome,
            below=args.below,
            above=args.above,
            min_density=args.min_density,
            box=args.box,
            mass_min=args.mass_min,
            plots=not args.no_plots,
        )
    except (SweepError, DiscoveryError) as exc:
        return _error(str(exc))
    print(report_text(result))
    print(f"discovery: {result.files[0].parent}")
    return 0


def cmd_robustness(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``abm robustness``: regret, satisficing and percentiles of each policy."""
    from experiments.robustness import DIRECTIONS, RobustnessError, report_text, robustness
    from experiments.sweep import SweepError

    thresholds, directions = {}, {}
    for text in args.thresholds:
        name, _, value = text.partition("=")
        try:
            thresholds[name.strip()] = _number(value)
        except argparse.ArgumentTypeError:
            return _error(f"--threshold {text!r}: expected NAME=VALUE with a number, e.g. admissions=105")
    for text in args.directions:
        name, _, value = text.partition("=")
        if value.strip() not in DIRECTIONS:
            return _error(f"--direction {text!r}: expected NAME=minimise or NAME=maximise")
        directions[name.strip()] = value.strip()
    try:
        result = robustness(args.sweep_dir, args.outcomes, thresholds, directions, plots=not args.no_plots)
    except (SweepError, RobustnessError) as exc:
        return _error(str(exc))
    print(report_text(result))
    print(f"robustness: {result.files[0].parent}")
    return 0


def _invalid_design(problems: Sequence[str]) -> int:
    return _error("invalid design\n" + "\n".join(f"  - {p}" for p in problems))
