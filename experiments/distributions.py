"""Distributions of a design's ``uncertainties:`` (and sampled ``levers:``), and how a unit sample maps onto them.

    uncertainties:
      recruitment_multiplier: {distribution: uniform, low: 0.5, high: 1.5}
      data_quality: {distribution: triangular, low: 0.1, mode: 0.6, high: 0.9}
      attrition_multiplier: {distribution: normal, mean: 1.0, sd: 0.1, low: 0.8, high: 1.25}
      params.gp.list_size: {distribution: lognormal, median: 9000, sigma: 0.1, low: 7000, high: 12000}
      delegation_start_year: {distribution: discrete, values: [1, 3, 5], weights: [2, 1, 1]}
      chs_contract: {distribution: categorical, values: [block, outcome]}
      delegation_to_place: {distribution: boolean, p: 0.3}

A sample is first drawn on the unit hypercube (a Latin hypercube, or SALib's Sobol' or
Morris design) and each column is then mapped through its distribution's inverse CDF
(:meth:`Distribution.ppf`), so a Latin hypercube stays stratified in every distribution.
Normal and lognormal distributions are truncated to ``[low, high]`` (both required) so that
every sampled value is a valid scenario value and a box found by PRIM has finite edges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from abm.config import spec

DISTRIBUTIONS = ("uniform", "triangular", "normal", "lognormal", "discrete", "categorical", "boolean")
CONTINUOUS = ("uniform", "triangular", "normal", "lognormal")
# the fields each distribution takes (beside ``distribution``); the first group is required
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "normal": (("mean", "sd", "low", "high"), ()),
    "lognormal": (("median", "sigma", "low", "high"), ()),
    "discrete": (("values",), ("weights",)),
    "categorical": (("values",), ("weights",)),
    "boolean": ((), ("p",)),
}


@dataclass
class Distribution:
    """One uncertain input's distribution, as written in a design (``distribution:`` left out: uniform)."""

    distribution: str = spec("", choices=DISTRIBUTIONS, doc="the shape of the distribution (default uniform)")
    low: float | None = spec(None, doc="lower bound (uniform, triangular; the truncation of normal and lognormal)")
    high: float | None = spec(None, doc="upper bound (uniform, triangular; the truncation of normal and lognormal)")
    mode: float | None = spec(None, doc="triangular: the most likely value")
    mean: float | None = spec(None, doc="normal: the mean before truncation")
    sd: float | None = spec(None, doc="normal: the standard deviation before truncation")
    median: float | None = spec(None, doc="lognormal: the median before truncation (exp of the log's mean)")
    sigma: float | None = spec(None, doc="lognormal: the standard deviation of the log")
    values: list[Any] | None = spec(None, doc="discrete (numbers, ordered) or categorical (any): the values drawn")
    weights: list[float] | None = spec(None, doc="discrete, categorical: relative weights (default equal)")
    p: float | None = spec(None, lo=0.0, hi=1.0, doc="boolean: the probability of true (default 0.5)")

    def check(self) -> list[str]:
        """Which fields this distribution needs, which it does not take, and whether they fit together."""
        if not self.distribution:  # refused as not one of DISTRIBUTIONS (left out, the loader makes it uniform)
            return []
        required, optional = FIELDS[self.distribution]
        problems = [
            f"{name}: not used by a {self.distribution} distribution; it takes {_takes(self.distribution)}"
            for name in ("low", "high", "mode", "mean", "sd", "median", "sigma", "values", "weights", "p")
            if getattr(self, name) is not None and name not in required + optional
        ]
        missing = [name for name in required if getattr(self, name) is None]
        if missing:
            problems.append(
                f"{', '.join(missing)}: missing; a {self.distribution} distribution takes {_takes(self.distribution)}"
            )
        if problems:
            return problems
        return self._consistency()

    def _consistency(self) -> list[str]:
        kind = self.distribution
        if kind in CONTINUOUS:
            low, high = self.bounds
            if not low < high:
                return [f"low, high: [{low}, {high}] is not an interval with low < high"]
        if kind == "triangular" and not self.low <= self.mode <= self.high:  # type: ignore[operator]
            return [f"mode: {self.mode} is outside [low, high] = [{self.low}, {self.high}]"]
        if kind == "normal" and not self.sd > 0:  # type: ignore[operator]
            return [f"sd: {self.sd} is not above 0"]
        if kind == "lognormal":
            if not (self.median > 0 and self.sigma > 0):  # type: ignore[operator]
                return [f"median, sigma: {self.median}, {self.sigma}: both must be above 0"]
            if not self.low > 0:  # type: ignore[operator]
                return [f"low: {self.low} is not above 0; a lognormal value is always positive"]
        if kind in ("discrete", "categorical"):
            return self._values_problems()
        return []

    def _values_problems(self) -> list[str]:
        values = self.values or []
        if not values:
            return ["values: is empty; give at least one value"]
        if self.distribution == "discrete" and not all(_is_number(v) for v in values):
            return [f"values: {values!r} are not all numbers; a discrete distribution draws numbers (or: categorical)"]
        if any(isinstance(v, (dict, list)) for v in values):
            return [f"values: {values!r} holds a list or mapping; give plain values"]
        if len({repr(v) for v in values}) != len(values):
            return [f"values: {values!r} repeats a value; give each value once"]
        if self.weights is not None:
            if len(self.weights) != len(values):
                return [f"weights: {len(self.weights)} weight(s) for {len(values)} value(s); give one per value"]
            if any(w < 0 for w in self.weights) or not sum(self.weights) > 0:
                return [f"weights: {self.weights!r}: each must be >= 0 and at least one above 0"]
        return []

    # ------------------------------------------------------------------ properties
    @property
    def continuous(self) -> bool:
        return self.distribution in CONTINUOUS

    @property
    def bounds(self) -> tuple[float, float]:
        """[low, high] of a continuous distribution (its support after truncation)."""
        assert self.low is not None and self.high is not None, f"a {self.distribution} distribution has no bounds"
        return float(self.low), float(self.high)

    def support(self) -> list[Any]:
        """The values a check must accept: both bounds (continuous) or every value (the others)."""
        if self.continuous:
            return list(self.bounds)
        if self.distribution == "boolean":
            return [False, True]
        return list(self.values or [])

    # ------------------------------------------------------------------ sampling
    def ppf(self, unit: np.ndarray) -> list[Any]:
        """The values at quantiles ``unit`` (each in [0, 1)): plain Python floats, ints, bools or strings."""
        u = np.clip(np.asarray(unit, dtype=float), 0.0, np.nextafter(1.0, 0.0))
        kind = self.distribution
        if kind == "uniform":
            low, high = self.bounds
            return [float(v) for v in low + u * (high - low)]
        if kind in ("triangular", "normal", "lognormal"):
            return [float(v) for v in np.clip(self._scipy().ppf(u), *self.bounds)]
        if kind == "boolean":
            p = 0.5 if self.p is None else self.p
            return [bool(v) for v in u < p]
        values = list(self.values or [])
        weights = np.asarray(self.weights if self.weights is not None else [1.0] * len(values), dtype=float)
        edges = np.cumsum(weights) / weights.sum()
        index = np.minimum(np.searchsorted(edges, u, side="right"), len(values) - 1)
        return [values[i] for i in index]

    def _scipy(self):
        """The (truncated) scipy distribution of a triangular, normal or lognormal input."""
        from scipy import stats

        low, high = self.bounds
        if self.distribution == "triangular":
            return stats.triang((float(self.mode) - low) / (high - low), loc=low, scale=high - low)  # type: ignore[arg-type]
        if self.distribution == "normal":
            mean, sd = float(self.mean), float(self.sd)  # type: ignore[arg-type]
            return stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)
        mu, sigma = math.log(float(self.median)), float(self.sigma)  # type: ignore[arg-type]
        inner = stats.truncnorm((math.log(low) - mu) / sigma, (math.log(high) - mu) / sigma, loc=mu, scale=sigma)
        return _Exp(inner)

    def text(self) -> str:
        """A short description for tables: 'normal(1, 0.1) in [0.8, 1.25]'."""
        kind = self.distribution
        low, high = _g(self.low), _g(self.high)
        args = {
            "uniform": f"uniform [{low}, {high}]",
            "triangular": f"triangular [{low}, {_g(self.mode)}, {high}]",
            "normal": f"normal({_g(self.mean)}, {_g(self.sd)}) in [{low}, {high}]",
            "lognormal": f"lognormal(median {_g(self.median)}, sigma {_g(self.sigma)}) in [{low}, {high}]",
            "boolean": f"boolean (p {0.5 if self.p is None else self.p:g})",
        }
        return args.get(kind, f"{kind} {self.values}")


class _Exp:
    """exp(X) for a scipy distribution X: its quantiles are exp of X's."""

    def __init__(self, inner):
        self.inner = inner

    def ppf(self, u):
        return np.exp(self.inner.ppf(u))


def _takes(kind: str) -> str:
    required, optional = FIELDS[kind]
    parts = list(required) + [f"{name} (optional)" for name in optional]
    return ", ".join(parts) if parts else "nothing else"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _g(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)
