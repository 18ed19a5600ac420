"""Exit codes and error messages shared by the ``abm`` subcommands.

:mod:`abm.cli` and :mod:`experiments.cli` (``abm sweep``, ``abm summarize``) both use
these; keeping them here means neither command module imports the other (no import
cycle).  Standard library only, so building the ``abm`` parser stays quick.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

EXIT_NOT_WRITTEN = 1  # the outputs could not be written (e.g. a full disk)
EXIT_INVALID = 2  # invalid scenario, design or arguments
EXIT_INTERRUPTED = 130  # 128 + SIGINT (Ctrl+C)
EXIT_TERMINATED = 143  # 128 + SIGTERM


def error(message: str) -> int:
    """Print ``error: message`` to stderr; returns :data:`EXIT_INVALID`."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_INVALID


def invalid_scenario(problems: Sequence[str]) -> int:
    """Print why a scenario was refused, one problem a line, to stderr; returns :data:`EXIT_INVALID`."""
    print("error: invalid scenario", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return EXIT_INVALID
