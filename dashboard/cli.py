"""``abm dashboard``: serve the workshop dashboard with Solara (options defined here; cli.py adds the command).

Standard library only at import time, so ``abm --help`` stays fast and works without
the dashboard extra installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_PORT = 8765


def server_env(population: int | None = None, years: int | None = None, presets: Path | None = None) -> dict:
    """The environment the Solara server runs in: no telemetry, the workshop defaults, extra presets."""
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="false")
    if presets is not None:
        env["ABM_DASHBOARD_PRESETS"] = str(Path(presets).resolve())
    if population is not None:
        env["ABM_DASHBOARD_POPULATION"] = str(population)
    if years is not None:
        env["ABM_DASHBOARD_YEARS"] = str(years)
    return env


def server_command(host: str, port: int) -> list[str]:
    """``solara run dashboard/app.py`` in production mode, no browser opened, no version check online."""
    return [sys.executable, "-m", "solara", "run", str(APP), "--host", host, "--port", str(port), "--production",
            "--no-open", "--no-check-version"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 to let a room of laptops connect)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--population", type=int, metavar="N",
                        help="population of each session's model (default 10,000: fluid for ~30 sessions)")
    parser.add_argument("--years", type=int, metavar="Y", help="reporting years of each session's run (default 5)")
    parser.add_argument("--presets", type=Path, metavar="DIR",
                        help="a folder of your own scenario .yaml files, offered in the preset chooser too")


def run_from_args(args: argparse.Namespace) -> int:
    """Start the server and wait for it (Ctrl+C stops it)."""
    if importlib.util.find_spec("solara") is None:
        print("error: the dashboard needs its extra: pip install -e '.[dashboard]'", file=sys.stderr)
        return 2
    for name, value, lo, hi in (("--population", args.population, 1_000, 200_000), ("--years", args.years, 1, 60)):
        if value is not None and not lo <= value <= hi:
            print(f"error: {name} {value} is out of range; allowed: {lo:,} to {hi:,}", file=sys.stderr)
            return 2
    if args.presets is not None and not args.presets.is_dir():
        print(f"error: --presets {str(args.presets)!r} is not a folder", file=sys.stderr)
        return 2
    shown = "localhost" if args.host in ("127.0.0.1", "0.0.0.0") else args.host
    print(f"ICS workshop dashboard: http://{shown}:{args.port}/  (Ctrl+C to stop)", flush=True)
    command = server_command(args.host, args.port)
    # become the server (no child left behind when this process is stopped)
    os.execve(command[0], command, server_env(args.population, args.years, args.presets))
    return 0  # pragma: no cover - execve does not return
