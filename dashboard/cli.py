"""``abm dashboard``: serve the workshop dashboard (options defined here; cli.py adds the command).

Standard library only at import time, so ``abm --help`` stays fast and works without
the dashboard extra installed.  The server itself is :mod:`dashboard.serve` (Solara's app
behind the room check of :mod:`dashboard.room`); this process checks the options, prints
the address (and the room code), then becomes the server.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

from dashboard import limits as lim
from dashboard import noise, room

APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_PORT = 8765


def server_env(
    population: int | None = None,
    years: int | None = None,
    presets: Path | None = None,
    limits: lim.Limits | None = None,
    room_code: str | None = None,
    facilitator_code: str | None = None,
    noise_replicates: int | None = None,
) -> dict:
    """The environment the server runs in: no telemetry, no 'This website runs on Solara' banner (fixed at the
    foot of the page, it covers a chart's download button on a phone), the workshop defaults and limits, extra
    presets, and the room code (passed here, not on the command line, which every local user can see with
    ``ps``)."""
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="false", SOLARA_THEME_SHOW_BANNER="false")
    env.pop(room.ENV_CODE, None)
    env.pop(room.ENV_FACILITATOR, None)
    if presets is not None:
        env["ABM_DASHBOARD_PRESETS"] = str(Path(presets).resolve())
    if population is not None:
        env["ABM_DASHBOARD_POPULATION"] = str(population)
    if years is not None:
        env["ABM_DASHBOARD_YEARS"] = str(years)
    if limits is not None:
        env.update(limits.env())
    if room_code is not None:
        env[room.ENV_CODE] = room_code
    if facilitator_code is not None:
        env[room.ENV_FACILITATOR] = facilitator_code
    if noise_replicates is not None:
        env[noise.ENV_REPLICATES] = str(noise_replicates)
    return env


def server_command(host: str, port: int) -> list[str]:
    """The server (:mod:`dashboard.serve`: ``solara run --production`` with the room check)."""
    return [sys.executable, "-m", "dashboard.serve", "--host", host, "--port", str(port)]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 lets a room of "
        "laptops connect, with a room code)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--room-code",
        metavar="CODE",
        help=f"the code participants need to join ({room.CODE_RULE}); with a --host other than "
        f"127.0.0.1 one is made up and printed if none is given (or taken from "
        f"${room.ENV_CODE})",
    )
    parser.add_argument(
        "--facilitator-code",
        metavar="CODE",
        help=f"the code for the facilitator's page, /room ({room.CODE_RULE}; not the room code); made up and "
        f"printed whenever there is a room code and none is given (or taken from ${room.ENV_FACILITATOR})",
    )
    parser.add_argument(
        "--population",
        type=int,
        metavar="N",
        help=f"population of each session's model (default {lim.DEFAULT_POPULATION:,}: fluid for ~30 sessions, and the "
        "cards separate the stories' effects from noise)",
    )
    parser.add_argument("--years", type=int, metavar="Y", help="reporting years of each session's run (default 5)")
    parser.add_argument(
        "--max-population",
        type=int,
        metavar="N",
        help=f"the largest population a participant may choose or upload (default {lim.DEFAULT_MAX_POPULATION:,})",
    )
    parser.add_argument(
        "--max-years",
        type=int,
        metavar="Y",
        help=f"the longest horizon a participant may choose (default {lim.DEFAULT_MAX_YEARS})",
    )
    parser.add_argument(
        "--max-burn-in-weeks",
        type=int,
        metavar="W",
        help=f"the longest burn-in an uploaded scenario may ask for (default {lim.DEFAULT_MAX_BURN_IN_WEEKS})",
    )
    parser.add_argument(
        "--noise-replicates",
        type=int,
        metavar="K",
        help=f"replicate seeds run in the background for each card's noise band (default {noise.DEFAULT_REPLICATES}; "
        f"0 turns the bands off, at most {noise.MAX_REPLICATES}); each settled lever change costs 2 x K runs "
        "at low priority",
    )
    parser.add_argument(
        "--presets",
        type=Path,
        metavar="DIR",
        help="a folder of your own scenario .yaml files, offered in the preset chooser too",
    )


def check_options(args: argparse.Namespace) -> tuple[lim.Limits, list[str]]:
    """The session limits the options set, and an error message for each bad option."""
    errors = [
        e
        for e in (
            lim.check_limit_option("population", args.max_population),
            lim.check_limit_option("years", args.max_years),
            lim.check_limit_option("burn_in_weeks", args.max_burn_in_weeks),
            noise.check_replicates_option(getattr(args, "noise_replicates", None)),
        )
        if e
    ]
    if errors:
        return lim.Limits(), errors
    given = {"population": args.max_population, "years": args.max_years, "burn_in_weeks": args.max_burn_in_weeks}
    limits = lim.Limits(**{k: v for k, v in given.items() if v is not None})
    for name, value, hi, option in (
        ("--population", args.population, limits.population, "--max-population"),
        ("--years", args.years, limits.years, "--max-years"),
    ):
        lo = 1_000 if name == "--population" else 1
        if value is not None and not lo <= value <= hi:
            hint = f" (raise {option} for more)" if value > hi else ""
            errors.append(f"{name} {value:,} is out of range; allowed: {lo:,} to {hi:,}{hint}")
    if args.population is None and limits.population < lim.DEFAULT_POPULATION:
        errors.append(
            f"--max-population {limits.population:,} is below the default population "
            f"({lim.DEFAULT_POPULATION:,}): give --population too"
        )
    if args.years is None and limits.years < 5:
        errors.append(f"--max-years {limits.years} is below the default horizon (5 years): give --years too")
    if args.presets is not None and not args.presets.is_dir():
        errors.append(f"--presets {str(args.presets)!r} is not a folder")
    return limits, errors


def announce(plan: room.RoomPlan, limits: lim.Limits, out=None, err=None) -> None:
    """Print where the dashboard is, the room code and its join link, and the per-session limits."""
    out, err = out or sys.stdout, err or sys.stderr
    if plan.warning:
        print(plan.warning, file=err, flush=True)
    print(f"ICS workshop dashboard: {plan.url}  (Ctrl+C to stop)", file=out)
    if plan.code:
        print(f"Room code: {plan.code}", file=out)
        print(f"Join link (give this to participants): {plan.join_link}", file=out)
    if plan.facilitator_link:
        print(f"Facilitator's page (keep this link to yourself): {plan.facilitator_link}", file=out)
    else:
        print(f"Facilitator's page: {plan.url}room", file=out)
    print(
        f"Each session may run up to {limits.population:,} people, {limits.years} years and "
        f"{limits.burn_in_weeks} weeks of burn-in (--max-population, --max-years, --max-burn-in-weeks).",
        file=out,
        flush=True,
    )


def run_from_args(args: argparse.Namespace) -> int:
    """Start the server and wait for it (Ctrl+C stops it)."""
    if importlib.util.find_spec("solara") is None:
        print("error: the dashboard needs its extra: pip install -e '.[dashboard]'", file=sys.stderr)
        return 2
    limits, errors = check_options(args)
    code = args.room_code if args.room_code is not None else (os.environ.get(room.ENV_CODE) or None)
    facilitator = args.facilitator_code
    if facilitator is None:
        facilitator = os.environ.get(room.ENV_FACILITATOR) or None
    try:
        plan = room.plan(args.host, args.port, code, facilitator_code=facilitator)
    except ValueError as exc:
        errors.append(str(exc))
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if errors:
        return 2
    announce(plan, limits)
    command = server_command(args.host, args.port)
    # become the server (no child left behind when this process is stopped)
    os.execve(
        command[0],
        command,
        server_env(
            args.population,
            args.years,
            args.presets,
            limits,
            plan.code,
            plan.facilitator_code,
            args.noise_replicates,
        ),
    )
    return 0  # pragma: no cover - execve does not return
