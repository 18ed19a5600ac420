"""Typed, self-documenting configuration with validation that names the problem.

Every scenario value (population, a lever, a calibrated parameter) is a dataclass
field declared with :func:`spec`, which records its units, allowed range or
choices, a one-line meaning and its evidence (an EVIDENCE.md item, a seed
section, or the word "assumption" with a reason).  One mechanism then serves
YAML files, ``--set KEY=VALUE`` on the command line and dashboard controls:

* :func:`build` turns a nested dict into dataclasses and collects *every*
  problem (unknown key, wrong type, out of range) into one :class:`ConfigError`,
  each message naming the field, the value and what is allowed, with a
  close-match suggestion for typos;
* :func:`set_path` applies a dotted-path override to a nested dict;
* :func:`describe` lists every field with its metadata (for ``abm params``).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import types
import typing
from dataclasses import MISSING, field, fields, is_dataclass
from typing import Any, TypeVar

from abm.errors import ConfigError, clip, short

__all__ = ["ConfigError", "build", "describe", "parse_value", "set_path", "short", "spec", "suggest", "to_dict"]

T = TypeVar("T")


def spec(
    default: Any,
    *,
    units: str = "",
    doc: str = "",
    source: str = "assumption",
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple | None = None,
    group: str = "",
    help: str = "",
    weights: bool = False,
    max_items: int | None = None,
) -> Any:
    """Declare a configuration field with its documentation and allowed values.

    A list default fixes the list's length (e.g. one value per age band), and ``lo``/``hi`` bound
    each item; ``weights=True`` says the model normalises the items, so at least one must be
    positive.  An empty list default (a list of entries, e.g. a schedule) is capped at ``max_items``.
    ``group`` files a lever under a heading (money, commissioning, ...) for the dashboard, and ``help`` says
    what it does in a workshop's words (no code names: the dashboard's tooltip; ``doc`` is the modeller's).
    """
    meta = {
        "units": units,
        "doc": doc,
        "source": source,
        "lo": lo,
        "hi": hi,
        "choices": choices,
        "group": group,
        "help": help,
        "weights": weights,
        "max_items": max_items,
    }
    if is_dataclass(default):
        return field(default_factory=type(default), metadata=meta)
    if isinstance(default, list):
        meta["length"] = len(default) if default else None
        return field(default_factory=functools.partial(list, tuple(default)), metadata=meta)
    return field(default=default, metadata=meta)


def suggest(name: str, allowed: typing.Iterable[str]) -> str:
    """A ' (did you mean ...?)' hint for a misspelt name, or ''."""
    name = str(name)
    if len(name) > 100:  # nothing this long is a typo of a key
        return ""
    close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def allowed_keys(keys: typing.Iterable[str], limit: int = 450) -> str:
    """The allowed keys, sorted and comma-separated, cut to about ``limit`` characters (a section with many
    parameters would otherwise make a long message); the cut says how many more there are."""
    names = sorted(keys)
    shown: list[str] = []
    for name in names:
        if shown and len(", ".join([*shown, name])) > limit:
            return f"{', '.join(shown)} ... and {len(names) - len(shown)} more (abm params lists them all)"
        shown.append(name)
    return ", ".join(shown)


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        (arg, *_) = typing.get_args(tp) or (Any,)
        return f"list of {_type_name(arg)}"
    if is_dataclass(tp):
        return "mapping"
    return getattr(tp, "__name__", str(tp))


def _allowed_text(meta: dict, tp: Any) -> str:
    if meta.get("choices"):
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    lo, hi = meta.get("lo"), meta.get("hi")
    rng = ""
    if lo is not None and hi is not None:
        rng = f" in [{lo}, {hi}]"
    elif lo is not None:
        rng = f" >= {lo}"
    elif hi is not None:
        rng = f" <= {hi}"
    return f"{_type_name(tp)}{rng}"


def _coerce_scalar(value: Any, tp: Any, path: str, meta: dict, problems: list[str]) -> Any:
    """Check one scalar against its declared type and range; return the clean value."""
    allowed = _allowed_text(meta, tp)
    ok = True
    if tp is bool:
        ok = isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok and isinstance(value, float) and value.is_integer():
            value, ok = int(value), True
    elif tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok:
            value = float(value)
    elif tp is str:
        ok = isinstance(value, str)
    if not ok:
        problems.append(f"{path}: {short(value)} is a {type(value).__name__}; allowed: {allowed}")
        return MISSING
    if tp is float and not math.isfinite(value):
        problems.append(f"{path}: {short(value)} is not a finite number; allowed: {allowed}")
        return MISSING
    if meta.get("choices") and value not in meta["choices"]:
        hint = suggest(value, map(str, meta["choices"]))
        problems.append(f"{path}: {short(value)} is not allowed; allowed: {allowed}{hint}")
        return MISSING
    lo, hi = meta.get("lo"), meta.get("hi")
    if tp in (int, float) and ((lo is not None and value < lo) or (hi is not None and value > hi)):
        problems.append(f"{path}: {short(value)} is out of range; allowed: {allowed}")
        return MISSING
    return value


def _build_value(value: Any, tp: Any, path: str, meta: dict, problems: list[str]) -> Any:
    if isinstance(tp, type) and is_dataclass(tp):
        return _build(tp, value, path, problems)
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        (arg,) = typing.get_args(tp)[:1] or (Any,)
        if not isinstance(value, (list, tuple)):
            problems.append(f"{path}: {short(value)} is a {type(value).__name__}; allowed: {_type_name(tp)}")
            return MISSING
        if meta.get("length") is not None and len(value) != meta["length"]:
            problems.append(
                f"{path}: has {len(value)} item(s); allowed: exactly {meta['length']} ({meta.get('units', '')})"
            )
            return MISSING
        if meta.get("max_items") is not None and len(value) > meta["max_items"]:
            problems.append(f"{path}: has {len(value):,} item(s); allowed: at most {meta['max_items']}")
            return MISSING
        items = [_build_value(v, arg, f"{path}.{i}", meta, problems) for i, v in enumerate(value)]
        if any(v is MISSING for v in items):
            return MISSING
        if meta.get("weights") and not sum(items) > 0:
            problems.append(
                f"{path}: {short(items)} are all zero; allowed: weights >= 0 with at least one above 0 "
                "(they are rescaled to sum to 1)"
            )
            return MISSING
        return list(items)
    if origin in (typing.Union, types.UnionType):  # Optional[X]
        if value is None:
            return None
        (arg,) = [a for a in typing.get_args(tp) if a is not type(None)][:1]
        return _build_value(value, arg, path, meta, problems)
    return _coerce_scalar(value, tp, path, meta, problems)


def _build(cls: type, data: Any, path: str, problems: list[str]) -> Any:
    where = path or "scenario"
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a mapping of keys to values, got {type(data).__name__} {short(data)}")
        return MISSING
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls) if f.init}
    for key in data:
        if key not in known:
            full = clip(f"{path}.{key}" if path else str(key))
            problems.append(f"{full}: unknown key{suggest(key, known)}; allowed keys here: {allowed_keys(known)}")
    kwargs = {}
    for name, f in known.items():
        if name not in data:
            continue
        full = f"{path}.{name}" if path else name
        value = _build_value(data[name], hints[name], full, dict(f.metadata), problems)
        if value is not MISSING:
            kwargs[name] = value
    try:
        obj = cls(**kwargs)
    except (TypeError, ValueError) as exc:  # a __post_init__ cross-field check
        problems.append(f"{where}: {exc}")
        return MISSING
    check = getattr(obj, "check", None)
    if callable(check):
        problems.extend(f"{where}.{p}" if path else p for p in check())
    return obj


def build(cls: type[T], data: dict | None, path: str = "") -> T:
    """Build ``cls`` from a nested dict, raising one ConfigError listing every problem."""
    problems: list[str] = []
    obj = _build(cls, data, path, problems)
    if problems:
        raise ConfigError(problems)
    return obj


def to_dict(obj: Any) -> Any:
    """A plain nested dict/list of a config dataclass (YAML- and JSON-safe)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    return obj


def parse_value(text: str) -> Any:
    """Parse a command-line value the way YAML would (``0.8`` → float, ``true`` → bool).

    Read by the safe loader (:mod:`abm.safe_yaml`): no aliases, no deep nesting, bounded size.
    Text that is not valid YAML is kept as a string, for the type check to name.
    """
    from abm import safe_yaml

    try:
        return safe_yaml.load(text, "--set value")
    except safe_yaml.Refused:
        raise  # too large, an alias, too deep: refused rather than taken as text
    except ConfigError:
        return text


def set_path(data: dict, cls: type, dotted: str, value: Any) -> None:
    """Set ``data[a][b]... = value`` for ``dotted='a.b...'``, checking each key exists in ``cls``.

    A whole section (``levers``, ``params.gp``, ``places.0``) cannot be set at once: that would
    silently reset every value in it that is not given.  Raises ConfigError naming the first
    unknown key (suggesting a close match), or the section and how to set its keys.
    """
    parts = dotted.split(".")
    node: Any = data
    tp: Any = cls
    for depth, key in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        origin = typing.get_origin(tp)
        if origin in (list, tuple):
            if not isinstance(node, list):
                raise ConfigError([f"{clip(here)}: {short(node)} is not a list; fix the scenario's value first"])
            if not key.isdigit() or int(key) >= len(node):
                raise ConfigError(
                    [f"{clip(here)}: no item {short(key)}; this list has {len(node)} item(s), indexed from 0"]
                )
            tp = typing.get_args(tp)[0]
            idx = int(key)
            if last:
                _refuse_section(here, tp)
                node[idx] = value
                return
            node = node[idx]
            continue
        if not is_dataclass(tp):
            raise ConfigError([f"{clip(here)}: '{parts[depth - 1]}' is a single value and has no keys"])
        if not isinstance(node, dict):
            raise ConfigError([f"{clip(here)}: {short(node)} is not a mapping; fix the scenario's value first"])
        hints = typing.get_type_hints(tp)
        if key not in hints:
            raise ConfigError(
                [f"{clip(here)}: unknown key{suggest(key, hints)}; allowed keys here: {allowed_keys(hints)}"]
            )
        if last:
            _refuse_section(here, hints[key])
            node[key] = value
            return
        if key not in node or node[key] is None:
            default = next(f for f in fields(tp) if f.name == key)
            factory = default.default_factory
            node[key] = to_dict(factory() if factory is not MISSING else default.default)
        node, tp = node[key], hints[key]


def _refuse_section(dotted: str, tp: Any) -> None:
    if is_dataclass(tp):
        keys = sorted(typing.get_type_hints(tp))
        raise ConfigError(
            [
                f"{dotted}: is a section, not a value; set its keys one at a time, e.g. "
                f"{dotted}.{keys[0]}=...; keys here: {', '.join(keys)}"
            ]
        )


def describe(cls: type, prefix: str = "") -> list[dict]:
    """Every leaf field of a config dataclass with its default and documentation."""
    rows = []
    hints = typing.get_type_hints(cls)
    instance = cls()
    for f in fields(cls):
        tp = hints[f.name]
        name = f"{prefix}{f.name}"
        value = getattr(instance, f.name)
        if isinstance(tp, type) and is_dataclass(tp):
            rows.extend(describe(tp, name + "."))
            continue
        meta = dict(f.metadata)
        rows.append(
            {
                "name": name,
                "default": value,
                "units": meta.get("units", ""),
                "allowed": _allowed_text(meta, tp),
                "doc": meta.get("doc", ""),
                "source": meta.get("source", ""),
                "group": meta.get("group", ""),
                "help": meta.get("help", ""),
                "lo": meta.get("lo"),
                "hi": meta.get("hi"),
                "choices": meta.get("choices"),
            }
        )
    return rows
