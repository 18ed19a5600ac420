"""Organisations of one kind share a table: one row per organisation, one column per declared quantity.

Every kind of organisation (GP practices, CHS teams, councils, acute trusts) follows one pattern.
Its class declares each quantity it holds as a :class:`Column`; the model keeps one
:class:`Table` per kind, and each organisation (a ``mesa.Agent``) reads and writes its own row
through those names.  The weekly rules then run for every organisation of a kind at once on the
table's arrays, while a person reading one organisation sees plain attributes::

    class GPPractice(Organisation):
        capacity = Column("appointments this week")

    model.practices.table.capacity      # every practice's, an array
    model.practices[3].capacity         # one practice's, a number

A table refuses a name it does not declare (a typo is an error, not a new attribute) and an array
of the wrong shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import mesa
import numpy as np


@dataclass(frozen=True)
class Column:
    """A quantity each organisation of a kind holds: its meaning (with units), type, width and starting value.

    Used as a class attribute of an :class:`Organisation`; on an instance it reads and writes
    that organisation's row of its kind's table (a number, or a row of ``width`` numbers).
    """

    meaning: str
    dtype: type = np.float64
    width: int | None = None  # a second axis (e.g. FTE by role); None for one number per organisation
    initial: float = 0.0
    name: str = field(init=False, default="")  # set when the class is made

    def __set_name__(self, owner, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __get__(self, organisation, owner=None) -> Any:
        if organisation is None:
            return self
        value = organisation.table.column(self.name)[organisation.index]
        return value if value.ndim else value.item()

    def __set__(self, organisation, value) -> None:
        organisation.table.column(self.name)[organisation.index] = value


class Table:
    """The columns of one kind of organisation, an array each with one row per organisation."""

    def __init__(self, kind: type[Organisation], rows: int):
        columns = kind.columns()
        object.__setattr__(self, "kind", kind.__name__)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(
            self,
            "_arrays",
            {
                name: np.full(rows if c.width is None else (rows, c.width), c.initial, dtype=c.dtype)
                for name, c in columns.items()
            },
        )
        object.__setattr__(self, "meanings", {name: c.meaning for name, c in columns.items()})

    def column(self, name: str) -> np.ndarray:
        try:
            return self._arrays[name]
        except KeyError:
            raise AttributeError(f"{self.kind} has no column {name!r}; declared: {', '.join(self._arrays)}") from None

    def __getattr__(self, name: str) -> np.ndarray:  # only for names that are not ordinary attributes
        if name.startswith("_"):
            raise AttributeError(name)
        return self.column(name)

    def __setattr__(self, name: str, value) -> None:
        old = self.column(name)
        new = np.asarray(value, dtype=old.dtype)
        if new.shape != old.shape:
            raise ValueError(f"{self.kind}.{name}: shape {new.shape} is not allowed; allowed: {old.shape}")
        self._arrays[name] = new


class Organisation(mesa.Agent):
    """An organisation whose quantities are its row of its kind's :class:`Table` (see the module docstring)."""

    def __init__(self, model, table: Table, index: int):
        super().__init__(model)
        self.table = table
        self.index = index  # its row

    @classmethod
    def columns(cls) -> dict[str, Column]:
        """The quantities this kind declares, in declaration order (base classes first)."""
        found: dict[str, Column] = {}
        for klass in reversed(cls.__mro__):
            found |= {name: value for name, value in vars(klass).items() if isinstance(value, Column)}
        return found


OrgT = TypeVar("OrgT", bound=Organisation)


class Organisations(list[OrgT], Generic[OrgT]):
    """Every organisation of one kind, in row order, with their shared :class:`Table`."""

    def __init__(self, table: Table, members: Iterable[OrgT] = ()):
        super().__init__(members)
        self.table = table
