"""The error every refused input raises, and how a value is quoted in its message.

Kept apart from :mod:`abm.config` so that the YAML loader (:mod:`abm.safe_yaml`) and the
configuration code can both use it without importing each other.
"""

from __future__ import annotations

from typing import Any

MAX_QUOTE = 60  # characters of a value quoted in a message
MAX_PROBLEMS = 20  # problems listed in one error; the rest are counted


def short(value: Any, limit: int = MAX_QUOTE) -> str:
    """``repr(value)``, cut to ``limit`` characters: a message never echoes a huge value back."""
    if isinstance(value, (list, tuple, dict, set)) and len(value) > limit:
        # don't build the repr of a million-item list only to cut it
        kind = type(value).__name__
        return f"<a {kind} of {len(value):,} items>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clip(text: str, limit: int = MAX_QUOTE, keep_end: bool = False) -> str:
    """Plain ``text`` cut to ``limit`` characters (for names and descriptions shown as they are); ``keep_end``
    keeps its end instead (a path's file name)."""
    if len(text) <= limit:
        return text
    return "..." + text[-(limit - 3) :] if keep_end else text[: limit - 3] + "..."


class ConfigError(ValueError):
    """A scenario (or design, or override) was refused; ``problems`` lists why (at most
    :data:`MAX_PROBLEMS`, then a count of the rest)."""

    def __init__(self, problems: list[str]):
        problems = list(problems)
        if len(problems) > MAX_PROBLEMS:
            hidden = len(problems) - MAX_PROBLEMS
            problems = [*problems[:MAX_PROBLEMS], f"... and {hidden:,} more problem(s) like these"]
        self.problems = problems
        text = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid scenario ({len(self.problems)} problem(s)):\n{text}")
