"""The named choices a scenario makes: who hosts CHS, how CHS is contracted, how the acute trust is paid.

Each is a ``StrEnum``: a member equals its string (``ChsHost.ACUTE == "acute"``), so
scenario files, ``--set`` overrides and outputs keep plain strings, while the levers
(``policies/levers.py``), a Place's own settings (``abm/scenario.py: PlaceSpec``) and
the rules (``agents/commissioner.py``, ``agents/chs_team.py``, ``agents/acute_trust.py``)
name the same members.  The declaration order is the order of any parameter list
by that choice (e.g. ``params.commissioner.squeeze_by_contract``): index it with
:meth:`Choice.position`.  Imports nothing heavy (the command line loads it).
"""

from __future__ import annotations

from enum import StrEnum


class Choice(StrEnum):
    """A choice whose members are their own strings."""

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The allowed strings, in declaration order (a lever's ``choices``)."""
        return tuple(member.value for member in cls)

    @classmethod
    def units(cls) -> str:
        """The allowed strings as a lever's units: ``"a / b / c"``."""
        return " / ".join(cls.values())

    @classmethod
    def position(cls, value: str) -> int:
        """Where ``value`` comes in the declaration order: its index in a parameter list by this choice.

        Raises ``ValueError`` for a string that is not one of the members."""
        return list(cls).index(cls(value))


class ChsHost(Choice):
    """Who hosts community health services (001 §3, 000 case studies)."""

    STANDALONE = "standalone"  # a standalone community trust: its budget is protected from acute pressure
    ACUTE = "acute"  # inside the acute trust: raided under pressure, better discharge links
    COLLABORATIVE = "collaborative"  # a provider collaborative: shares staff across Places


class ChsContract(Choice):
    """How community health services are paid (mechanism 1)."""

    BLOCK = "block"  # a fixed sum: easy to squeeze, capacity does not follow demand
    ACTIVITY = "activity"  # next year's budget follows last year's demand
    OUTCOME = "outcome"  # capitated: follows demand, makes impact more visible, protects proactive care


class AcutePayment(Choice):
    """How the acute trust is paid (DESIGN 4)."""

    ACTIVITY = "activity"  # payment by results: a lower threshold to admit
    BLOCK = "block"  # aligned payment: no incentive to admit
