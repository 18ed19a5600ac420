"""Declared outcomes of a design: a weekly column or an expression, for a Place or the ICS, over a window.

    outcomes:
      admissions:
        column: emergency_admissions         # a weekly metrics column (abm outputs)
        scope: ICS                           # or a Place of the base scenario
        window: [0, 2]                       # years since reporting began: [from, to); default the horizon
        aggregation: per_1000                # sum, mean, final, max, per_1000 (a year, per 1,000 people)
        direction: minimise                  # or maximise: what a better policy does
        threshold: 120                       # optional: the acceptable limit (abm robustness's satisficing)
      north_waits:
        expression: "chs_waiting / population * 1000"   # columns, numbers, + - * / and brackets
        scope: North
        aggregation: mean

Each run's outcome is computed in its worker from its weekly metrics (so no weekly file need
be kept) and stored under ``outcomes`` in its ``summary.json``.  An expression is computed
week by week on the scope's rows, then aggregated.  ``per_1000`` is the window's sum over the
scope's mean population x 1,000, per year of the window (as ``summary.json``'s rates).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from abm.config import ConfigError, build, spec, suggest
from abm.outputs import COLUMNS, DENOMINATOR
from abm.units import WEEKS_PER_YEAR

AGGREGATIONS = ("sum", "mean", "final", "max", "per_1000")
DIRECTIONS = ("minimise", "maximise")
ICS = "ICS"
OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
MAX_EXPRESSION = 200  # characters


@dataclass
class Outcome:
    """One declared outcome, as written in a design."""

    column: str = spec("", doc="a weekly metrics column (abm outputs lists them); or give expression:")
    expression: str = spec("", doc="arithmetic on weekly columns: names, numbers, + - * / and brackets")
    scope: str = spec(ICS, doc="ICS (the whole system) or the name of a Place of the base scenario")
    window: list[float] | None = spec(None, doc="[from, to) in years since reporting began; default the horizon")
    aggregation: str = spec("mean", choices=AGGREGATIONS, doc="how the window's weeks are combined")
    direction: str = spec("minimise", choices=DIRECTIONS, doc="what a better policy does to the outcome")
    threshold: float | None = spec(None, doc="the acceptable limit: at most (minimise) or at least (maximise)")
    label: str = spec("", doc="a title for charts (default: the outcome's name)")

    def check(self) -> list[str]:
        problems = []
        if bool(self.column) == bool(self.expression):
            problems.append("column: give either column: (a weekly metrics column) or expression:, not both or neither")
        elif self.column and self.column not in COLUMNS:
            problems.append(
                f"column: {self.column!r} is not a weekly metrics column{suggest(self.column, COLUMNS)}; "
                "'abm outputs' lists them"
            )
        elif self.expression:
            problems.extend(f"expression: {p}" for p in expression_problems(self.expression))
        if self.window is not None and (len(self.window) != 2 or not 0 <= self.window[0] < self.window[1]):
            problems.append(f"window: {self.window!r} is not [from, to] years with 0 <= from < to")
        return problems

    def satisfied(self, value: float, threshold: float | None = None) -> bool:
        """Whether ``value`` meets the threshold (at most it when minimising, at least when maximising)."""
        limit = self.threshold if threshold is None else threshold
        assert limit is not None, "no threshold"
        return value <= limit if self.direction == "minimise" else value >= limit


def load_outcomes(raw: Any, places: list[str], years: int | None, problems: list[str]) -> list[dict]:
    """Check a design's ``outcomes:`` mapping; return one record per outcome (``name`` plus its fields)."""
    if not isinstance(raw, dict) or not raw:
        problems.append(
            "outcomes: give a mapping of names to {column: ..., scope: ..., window: ..., aggregation: ..., "
            "direction: ...}, or a list of headline figures"
        )
        return []
    records = []
    for name, entry in raw.items():
        where = f"outcomes.{name}"
        if not isinstance(name, str) or not name.isidentifier():
            problems.append(f"{where}: {name!r} is not a plain name (letters, digits and _, not starting with a digit)")
            continue
        try:
            outcome = build(Outcome, entry, path=where)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if outcome.scope != ICS and outcome.scope not in places:
            allowed = [ICS, *places]
            problems.append(
                f"{where}.scope: {outcome.scope!r} is not a Place{suggest(outcome.scope, allowed)}; "
                f"allowed: {', '.join(allowed)}"
            )
        if outcome.window is not None and years is not None and outcome.window[1] > years:
            problems.append(
                f"{where}.window: {outcome.window!r} ends after the horizon of {years} year(s); allowed: to <= {years}"
            )
        records.append({"name": name, **vars(outcome)})
    return records


def outcome_of(record: dict) -> Outcome:
    """The :class:`Outcome` of a stored record (``name`` dropped)."""
    return Outcome(**{k: v for k, v in record.items() if k != "name"})


# --------------------------------------------------------------------------- computing
def compute(metrics, records: list[dict]) -> dict[str, float | None]:
    """Each declared outcome of one run, from its weekly metrics (``model.metrics.frame()``)."""
    return {record["name"]: value(metrics, outcome_of(record)) for record in records}


def value(metrics, outcome: Outcome) -> float | None:
    """One outcome of one run; None when its window holds no week."""
    rows = metrics[metrics["place"] == outcome.scope]
    if outcome.window is not None:
        first, last = (round(y * WEEKS_PER_YEAR) for y in outcome.window)
        rows = rows[(rows["week"] >= first) & (rows["week"] < last)]
    if rows.empty:
        return None
    weekly = rows[outcome.column] if outcome.column else evaluate(outcome.expression, rows)
    weekly = weekly.astype(float)
    how = outcome.aggregation
    if how == "sum":
        result = weekly.sum()
    elif how == "mean":
        result = weekly.mean()
    elif how == "final":
        result = weekly.iloc[-1]
    elif how == "max":
        result = weekly.max()
    else:  # per_1000: a year's rate per 1,000 people
        people = float(rows[DENOMINATOR].mean())
        years = len(rows) / WEEKS_PER_YEAR
        result = weekly.sum() / people * 1000 / years if people > 0 else float("nan")
    return float(result)


# --------------------------------------------------------------------------- expressions
def expression_problems(text: str) -> list[str]:
    """What makes ``text`` not an allowed expression (empty when it is one)."""
    if len(text) > MAX_EXPRESSION:
        return [f"is {len(text)} characters long; allowed: at most {MAX_EXPRESSION}"]
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        return [f"{text!r} is not an arithmetic expression ({exc.msg})"]
    problems: list[str] = []
    allowed = "allowed: column names, numbers, + - * / and brackets"
    for node in ast.walk(tree):
        if isinstance(node, (ast.operator, ast.unaryop, ast.Load)):
            continue  # judged with its BinOp or UnaryOp
        if isinstance(node, ast.Name) and node.id not in COLUMNS:
            problems.append(f"{node.id!r} is not a weekly metrics column{suggest(node.id, COLUMNS)}")
        elif isinstance(node, ast.Constant) and not _is_number(node.value):
            problems.append(f"{node.value!r} is not a number")
        elif isinstance(node, (ast.BinOp, ast.UnaryOp)) and not isinstance(node.op, (*OPERATORS, ast.USub, ast.UAdd)):
            problems.append(f"{type(node.op).__name__} is not allowed; {allowed}")
        elif not isinstance(node, (ast.Expression, ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp)):
            problems.append(f"{type(node).__name__} is not allowed; {allowed}")
    return list(dict.fromkeys(problems))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def evaluate(text: str, rows):
    """The expression's value for each row of ``rows`` (a pandas Series); checked by :func:`expression_problems`."""
    tree = ast.parse(text, mode="eval")

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Name):
            return rows[node.id].astype(float)
        if isinstance(node, ast.Constant) and _is_number(node.value):
            return float(node.value)  # type: ignore[arg-type]  # a number, checked just above
        if isinstance(node, ast.UnaryOp):
            operand = walk(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            return left / right
        raise ValueError(f"{text!r}: {type(node).__name__} is not allowed")

    result = walk(tree)
    if isinstance(result, float):  # a constant expression
        import pandas as pd

        return pd.Series(result, index=rows.index)
    return result
