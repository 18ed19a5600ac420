"""Scenario discovery on a sweep: which inputs, in which ranges, give an outcome below (or above) a value?

    abm discover runs/explore --outcome admissions --above 110

PRIM (the patient rule induction method, Friedman and Fisher 1999, as used for scenario
discovery by Bryant and Lempert 2010) comes from the EMA Workbench (``ema_workbench.analysis``,
an optional extra: ``pip install 'ics-abm[discovery]'``); CART is scikit-learn's decision tree
(which the EMA Workbench brings).

The cases: each design point (base scenario left out), its outcome the mean over its
replicates; a case "of interest" when that mean is below (``--below``) or above
(``--above``) the value.  The inputs: every lever and uncertainty (or factor) that takes more
than one value in the sweep.

PRIM peels the input space into a box holding ever fewer points with ever more of them
of interest.  Each box of the peeling trajectory has a **coverage** (the share of all cases
of interest inside the box), a **density** (the share of the box's cases that are of
interest), a **mass** (the share of all cases inside) and the number of restricted inputs.
The chosen box is the one with the highest coverage whose density reaches ``min_density``
(or the densest box, when none does; or the box asked for with ``box``).  Each restriction
has a **quasi-p-value**: a one-sided binomial test of whether dropping that restriction would
keep as high a density (small: the restriction matters).  CART's leaves are boxes too.

Files, in ``SWEEP/discovery/<outcome>-<below|above>-<value>/`` (written all or nothing):
``trajectory.csv``, ``box.csv``, ``cart.csv``, ``cases.csv``, ``discovery.md`` (the report
printed), ``discovery.json`` (settings and the chosen box) and ``discovery.png`` (the
peeling trajectory's coverage against density, and the chosen box's ranges).
"""

from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.design import Plan

MIN_DENSITY = 0.8  # the chosen box: the highest coverage with at least this density
MASS_MIN = 0.05  # PRIM stops peeling at boxes holding this share of the cases
PEEL_ALPHA = 0.05  # the share of the box peeled off at each step
RELATIONS = ("below", "above")
ACCEPT = 1e-9  # PRIM's threshold (see discover)


class DiscoveryError(ValueError):
    """Scenario discovery cannot run: no such outcome, no case of interest, the library missing..."""


@dataclass
class Discovery:
    """What :func:`discover` found."""

    outcome: str
    relation: str  # below or above
    value: float
    cases: pd.DataFrame  # one row per design point: its inputs, the outcome's mean, of_interest, in_box
    trajectory: pd.DataFrame  # PRIM's peeling trajectory, one row per box
    chosen: int  # the chosen box (a row of the trajectory)
    box: pd.DataFrame  # the chosen box's restrictions, one row per restricted input
    cart: pd.DataFrame | None  # CART's leaves, one row each
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def stats(self) -> pd.Series:
        """Coverage, density, mass and restricted inputs of the chosen box."""
        return self.trajectory.loc[self.chosen]


def load_prim():
    """The EMA Workbench's PRIM module and its helpers (its import warnings about optional parts silenced)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
            from ema_workbench.analysis import scenario_discovery_util as sdutil
    except ImportError:
        raise DiscoveryError("scenario discovery needs the EMA Workbench: pip install 'ics-abm[discovery]'") from None
    return prim, sdutil


# --------------------------------------------------------------------------- cases
def case_table(sweep_dir: str | Path, outcome: str) -> tuple[Plan, pd.DataFrame, list[str]]:
    """One row per design point (base left out): the varied inputs and the outcome's mean over replicates."""
    from experiments.summarize import load_results

    results = load_results(sweep_dir)
    plan = results.plan
    if results.runs.empty:
        raise DiscoveryError(f"{sweep_dir}: no completed run yet; run abm sweep first")
    if outcome not in results.runs.columns or outcome in plan_columns(plan):
        known = [c for c in plan.outcomes if c in results.runs.columns]
        others = [c for c in results.runs.columns if c not in {*plan_columns(plan), *known, "population"}]
        raise DiscoveryError(
            f"--outcome {outcome!r} is not an outcome of this sweep; its outcomes: {', '.join(known)}"
            + (f"; headline figures: {', '.join(others)}" if others else "")
        )
    points = [p for p in plan.points if not p["base"]]
    inputs = [f.name for f in plan.factors if len({json.dumps(p["values"][f.name]) for p in points}) > 1]
    if not inputs:
        raise DiscoveryError(
            f"{sweep_dir}: no lever or uncertainty takes more than one value, so there is nothing to find"
        )
    means = results.runs.groupby("point")[outcome].mean()
    rows = [
        {**{k: p["values"][k] for k in inputs}, "point": p["point"], outcome: means.get(p["point"])} for p in points
    ]
    table = pd.DataFrame(rows)
    missing = int(table[outcome].isna().sum())
    notes = [f"{missing} design point(s) have no completed run yet and are left out"] if missing else []
    return plan, table.dropna(subset=[outcome]).reset_index(drop=True), notes


def plan_columns(plan: Plan) -> set[str]:
    return {"run_id", "point", "replicate", "seed", *(f.name for f in plan.factors)}


def prim_inputs(table: pd.DataFrame, inputs: list[str]) -> pd.DataFrame:
    """The inputs as PRIM reads them: floats, whole numbers, and categories (text and true/false)."""
    x = pd.DataFrame(index=table.index)
    for name in inputs:
        column = table[name]
        values = column.tolist()
        if all(isinstance(v, bool) for v in values) or not all(isinstance(v, (int, float)) for v in values):
            x[name] = pd.Categorical([str(v).lower() if isinstance(v, bool) else str(v) for v in values])
        elif all(isinstance(v, int) for v in values):
            x[name] = column.astype("int64")
        else:
            x[name] = column.astype("float64")
    return x


# --------------------------------------------------------------------------- the analysis
def discover(
    sweep_dir: str | Path,
    outcome: str,
    *,
    below: float | None = None,
    above: float | None = None,
    min_density: float = MIN_DENSITY,
    box: int | None = None,
    mass_min: float = MASS_MIN,
    peel_alpha: float = PEEL_ALPHA,
    write: bool = True,
    plots: bool = True,
) -> Discovery:
    """PRIM and CART on a sweep's design points; write the files (see the module's docstring).

    Raises:
        DiscoveryError: the outcome is unknown, no point (or every point) is of interest,
            ``box`` is not on the trajectory, or the EMA Workbench is not installed.
    """
    if (below is None) == (above is None):
        raise DiscoveryError("give one of --below VALUE or --above VALUE")
    relation, value = ("below", below) if below is not None else ("above", above)
    assert value is not None
    load_prim()  # before reading the sweep: a missing library is the first thing to say
    plan, table, notes = case_table(sweep_dir, outcome)
    result = find_box(
        table, outcome, relation, value, min_density=min_density, box=box, mass_min=mass_min, peel_alpha=peel_alpha
    )
    result.notes = notes + result.notes
    if write:
        result.files = write_discovery(Path(sweep_dir), result, plan, min_density, mass_min, peel_alpha, plots)
    return result


def find_box(
    table: pd.DataFrame,
    outcome: str,
    relation: str,
    value: float,
    *,
    min_density: float = MIN_DENSITY,
    box: int | None = None,
    mass_min: float = MASS_MIN,
    peel_alpha: float = PEEL_ALPHA,
) -> Discovery:
    """PRIM and CART on a table of cases: every column but ``point`` and ``outcome`` is an input."""
    prim, sdutil = load_prim()
    inputs = [c for c in table.columns if c not in ("point", outcome)]
    y = (table[outcome] < value) if relation == "below" else (table[outcome] > value)
    y = y.to_numpy(dtype=bool)
    interest = int(y.sum())
    if interest == 0 or interest == len(y):
        low, high = table[outcome].min(), table[outcome].max()
        which = "no" if interest == 0 else "every"
        raise DiscoveryError(
            f"{which} design point has {outcome} {relation} {value:g} (its point means run from {low:.4g} to "
            f"{high:.4g}), so there is nothing to tell apart; choose a value inside that range"
        )
    x = prim_inputs(table, inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # threshold: a case counts as of interest when y >= it, and PRIM keeps its box when the box's density
        # reaches it; with y 0 or 1, any small positive value counts the ones and keeps every box found
        algorithm = prim.Prim(x, y.astype(float), threshold=ACCEPT, mass_min=mass_min, peel_alpha=peel_alpha)
        found = algorithm.find_box()
    trajectory = found.peeling_trajectory.copy()
    trajectory = trajectory[["coverage", "density", "mass", "res_dim", "n", "k"]].rename(
        columns={"res_dim": "restricted", "n": "cases", "k": "of_interest"}
    )
    trajectory.index.name = "box"
    if box is not None and not 0 <= box < len(trajectory):
        raise DiscoveryError(f"--box {box}: the peeling trajectory has boxes 0 to {len(trajectory) - 1}")
    chosen = choose_box(trajectory, min_density) if box is None else box
    notes = []
    if box is None and trajectory["density"].max() < min_density:
        notes.append(
            f"no box reaches a density of {min_density:.0%} (the densest: {trajectory['density'].max():.0%}); "
            "the densest box is shown"
        )
    trajectory.insert(0, "chosen", trajectory.index == chosen)
    limits = found.box_lims[chosen]
    restricted = list(sdutil._determine_restricted_dims(limits, algorithm.box_init))
    quasi_p = found._calculate_quasi_p(chosen, restricted) if restricted else {}
    restrictions = box_table(x, limits, algorithm.box_init, restricted, quasi_p)
    cases = table.assign(of_interest=y, in_box=np.asarray(sdutil._in_box(x, limits), dtype=bool))
    return Discovery(
        outcome,
        relation,
        float(value),
        cases,
        trajectory,
        chosen,
        restrictions,
        cart_table(x, y, mass_min),
        notes,
    )


def choose_box(trajectory: pd.DataFrame, min_density: float) -> int:
    """The box with the highest coverage among those of at least ``min_density`` (ties: fewer restrictions,
    then the larger box); the densest box when none reaches it."""
    dense = trajectory[trajectory["density"] >= min_density - 1e-12]
    if dense.empty:
        return int(trajectory["density"].idxmax())
    ranked = dense.assign(order=-dense["coverage"]).sort_values(
        ["order", "restricted", "mass"], ascending=[True, True, False]
    )
    return int(ranked.index[0])


def box_table(x: pd.DataFrame, limits: pd.DataFrame, initial: pd.DataFrame, restricted: list[str], quasi_p: dict):
    """One row per restricted input: its range in the box, its range in the sweep, and the quasi-p-values."""
    rows = []
    for name in restricted:
        low_p, high_p = (np.nan if p < 0 else p for p in quasi_p.get(name, [-1, -1]))
        if isinstance(x[name].dtype, pd.CategoricalDtype):
            inside, everything = sorted(limits.loc[0, name]), sorted(initial.loc[0, name])
            rows.append(
                {
                    "input": name,
                    "box": "{" + ", ".join(map(str, inside)) + "}",
                    "sweep": "{" + ", ".join(map(str, everything)) + "}",
                    "low": np.nan,
                    "high": np.nan,
                    "qp_low": low_p,
                    "qp_high": np.nan,
                }
            )
            continue
        low, high = float(limits.loc[0, name]), float(limits.loc[1, name])
        rows.append(
            {
                "input": name,
                "box": f"{low:.4g} to {high:.4g}",
                "sweep": f"{float(initial.loc[0, name]):.4g} to {float(initial.loc[1, name]):.4g}",
                "low": low,
                "high": high,
                "qp_low": low_p,
                "qp_high": high_p,
            }
        )
    return pd.DataFrame(rows, columns=["input", "box", "sweep", "low", "high", "qp_low", "qp_high"])


def cart_table(x: pd.DataFrame, y: np.ndarray, mass_min: float) -> pd.DataFrame:
    """CART's leaves, one row each: coverage, density, mass and the rule that leads to the leaf.

    A classification tree from scikit-learn (``random_state`` fixed, so the same sweep gives the
    same tree), each leaf at least ``mass_min`` of the cases; a categorical input enters as one
    0/1 column per category.  (The EMA Workbench's own CART wrapper loses categorical splits
    under pandas 3, so its leaves are read here from the tree itself.)
    """
    from sklearn.tree import DecisionTreeClassifier

    columns: list[tuple[str, object]] = []  # (input, category or None)
    encoded = []
    for name in x.columns:
        if isinstance(x[name].dtype, pd.CategoricalDtype):
            for category in x[name].cat.categories:
                columns.append((name, category))
                encoded.append((x[name] == category).to_numpy(dtype=float))
        else:
            columns.append((name, None))
            encoded.append(x[name].to_numpy(dtype=float))
    matrix = np.column_stack(encoded)
    tree = DecisionTreeClassifier(min_samples_leaf=max(1, int(mass_min * len(x))), random_state=0)
    tree.fit(matrix, y)
    leaf_of = tree.apply(matrix)
    rows: list[dict] = []
    for node, rule in _leaves(tree.tree_, columns, x):
        inside = leaf_of == node
        rows.append(
            {
                "leaf": len(rows),
                "coverage": float(y[inside].sum() / y.sum()),
                "density": float(y[inside].mean()),
                "mass": float(inside.mean()),
                "restricted": rule.count(" and ") + 1 if rule else 0,
                "rule": rule or "(everything)",
            }
        )
    return pd.DataFrame(rows, columns=["leaf", "coverage", "density", "mass", "restricted", "rule"])


def _leaves(tree, columns: list[tuple[str, object]], x: pd.DataFrame):
    """(node, rule) for each leaf of a fitted sklearn tree, the rule in the inputs' own terms."""
    out = []

    def walk(node: int, ranges: dict, sets: dict) -> None:
        left, right = tree.children_left[node], tree.children_right[node]
        if left == right:  # a leaf
            out.append((node, _leaf_rule(ranges, sets, x)))
            return
        name, category = columns[tree.feature[node]]
        threshold = float(tree.threshold[node])
        if category is None:
            low, high = ranges.get(name, (-np.inf, np.inf))
            walk(left, {**ranges, name: (low, min(high, threshold))}, sets)
            walk(right, {**ranges, name: (max(low, threshold), high)}, sets)
        else:
            allowed = sets.get(name, set(x[name].cat.categories))
            walk(left, ranges, {**sets, name: allowed - {category}})  # not this category
            walk(right, ranges, {**sets, name: allowed & {category}})

    walk(0, {}, {})
    return out


def _leaf_rule(ranges: dict, sets: dict, x: pd.DataFrame) -> str:
    parts = []
    for name in x.columns:
        if name in ranges:
            low, high = ranges[name]
            if np.isfinite(low) and np.isfinite(high):
                parts.append(f"{low:.4g} < {name} <= {high:.4g}")
            elif np.isfinite(high):
                parts.append(f"{name} <= {high:.4g}")
            else:
                parts.append(f"{name} > {low:.4g}")
        elif name in sets and sets[name] != set(x[name].cat.categories):
            parts.append(f"{name} in {{{', '.join(sorted(map(str, sets[name])))}}}")
    return " and ".join(parts)


# --------------------------------------------------------------------------- reporting
def report_text(result: Discovery, limit: int = 40) -> str:
    """The peeling trajectory, the chosen box and CART's leaves, as Markdown-friendly text."""
    stats = result.stats
    of_interest = int(result.cases["of_interest"].sum())
    lines = [
        f"Scenario discovery: {result.outcome} {result.relation} {result.value:g}: {of_interest} of "
        f"{len(result.cases)} design points (PRIM, EMA Workbench)",
        "",
        "Peeling trajectory (coverage: share of the points of interest inside the box; density: share of the "
        "box's points that are of interest)",
        "",
        "```text",
        _trajectory_text(result.trajectory, limit),
        "```",
        "",
        f"Chosen box {result.chosen}: coverage {stats['coverage']:.0%}, density {stats['density']:.0%}, mass "
        f"{stats['mass']:.0%} ({int(stats['cases'])} points), {int(stats['restricted'])} restricted input(s)",
        "",
    ]
    if result.box.empty:
        lines.append("(the box restricts no input)")
    else:
        shown = result.box[["input", "box", "sweep", "qp_low", "qp_high"]].copy()
        for column in ("qp_low", "qp_high"):
            shown[column] = [("-" if pd.isna(v) else f"{v:.2g}") for v in shown[column]]
        lines += [
            "```text",
            shown.rename(columns={"qp_low": "quasi-p low (or set)", "qp_high": "quasi-p high"}).to_string(index=False),
            "```",
        ]
    if result.cart is not None and not result.cart.empty:
        leaves = result.cart[result.cart["density"] > 0].sort_values("coverage", ascending=False)
        lines += ["", "CART leaves holding points of interest", "", "```text"]
        for row in leaves.itertuples():
            lines.append(f"coverage {row.coverage:.0%}, density {row.density:.0%}, mass {row.mass:.0%}: {row.rule}")
        lines.append("```")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)


def _trajectory_text(trajectory: pd.DataFrame, limit: int) -> str:
    table = trajectory.copy()
    table["chosen"] = np.where(table["chosen"], "<-", "")
    for column in ("coverage", "density", "mass"):
        table[column] = [f"{v:.0%}" for v in table[column]]
    if len(table) > limit:  # the first and last boxes, and the chosen one
        keep = sorted(
            {
                *range(limit // 2),
                *range(len(table) - limit // 2, len(table)),
                int(trajectory.index[trajectory["chosen"]][0]),
            }
        )
        table = table.loc[keep]
    return table.to_string()


def figure(result: Discovery):
    """The peeling trajectory (coverage against density, coloured by restricted inputs) and the chosen box."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.2])
    t = result.trajectory
    points = left.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=22)
    chosen = t.loc[result.chosen]
    left.scatter(
        [chosen["coverage"]], [chosen["density"]], s=160, facecolors="none", edgecolors="crimson", linewidths=2
    )
    left.annotate(
        f"box {result.chosen}", (chosen["coverage"], chosen["density"]), xytext=(8, -12), textcoords="offset points"
    )
    left.set_xlabel("coverage (share of the points of interest in the box)")
    left.set_ylabel("density (share of the box's points of interest)")
    left.set_xlim(0, 1.03)
    left.set_ylim(0, 1.03)
    left.grid(alpha=0.3)
    from matplotlib.ticker import MaxNLocator

    fig.colorbar(points, ax=left, label="restricted inputs", ticks=MaxNLocator(integer=True))
    left.set_title("PRIM peeling trajectory", fontsize="medium")
    box = result.box
    numeric = box[box["low"].notna()]
    if numeric.empty:
        right.text(
            0.5, 0.5, "no numeric restriction\n" + "\n".join(box["input"] + ": " + box["box"]), ha="center", va="center"
        )
        right.set_axis_off()
    else:
        cases = result.cases
        y = np.arange(len(numeric))[::-1]
        for row_y, row in zip(y, numeric.itertuples(), strict=True):
            lo, hi = cases[row.input].astype(float).min(), cases[row.input].astype(float).max()
            span = (hi - lo) or 1.0
            right.barh(row_y, 1.0, color="0.9", height=0.6)
            right.barh(row_y, (row.high - row.low) / span, left=(row.low - lo) / span, color="C0", height=0.6)
            right.text(
                1.02,
                row_y,
                f"{row.low:.3g} to {row.high:.3g} (sweep {lo:.3g} to {hi:.3g})",
                va="center",
                fontsize="small",
            )
        right.set_yticks(y, list(numeric["input"]), fontsize="small")
        right.set_ylim(-0.8, len(numeric) - 0.2)
        right.set_xlim(0, 1.6)
        right.set_xticks([0, 0.5, 1], ["low end", "", "high end"])
        others = box[box["low"].isna()]
        extra = "; ".join(f"{r.input} in {r.box}" for r in others.itertuples())
        right.set_title(f"chosen box {result.chosen}" + (f"\n{extra}" if extra else ""), fontsize="medium")
    stats = result.stats
    fig.suptitle(
        f"{result.outcome} {result.relation} {result.value:g}: box {result.chosen}, coverage {stats['coverage']:.0%}, "
        f"density {stats['density']:.0%}",
        fontsize="medium",
    )
    return fig


def folder_name(outcome: str, relation: str, value: float) -> str:
    return f"{outcome}-{relation}-{value:g}"


def write_discovery(
    sweep_dir: Path, result: Discovery, plan: Plan, min_density: float, mass_min: float, peel_alpha: float, plots: bool
) -> list[Path]:
    """The files of a discovery, all or nothing, in SWEEP/discovery/<outcome>-<relation>-<value>/."""
    from experiments.folders import write_folder

    def csv(frame: pd.DataFrame, index: bool = False) -> bytes:
        return frame.to_csv(index=index).encode()

    record = {
        "sweep": plan.design.name,
        "outcome": result.outcome,
        "relation": result.relation,
        "value": result.value,
        "points": len(result.cases),
        "of_interest": int(result.cases["of_interest"].sum()),
        "method": "PRIM (ema_workbench.analysis.prim), CART (sklearn.tree.DecisionTreeClassifier)",
        "settings": {"min_density": min_density, "mass_min": mass_min, "peel_alpha": peel_alpha},
        "chosen": result.chosen,
        "box": {k: float(v) for k, v in result.stats.drop("chosen").items()},
        "restrictions": json.loads(result.box.to_json(orient="records")),
        "notes": result.notes,
    }
    contents = {
        "trajectory.csv": csv(result.trajectory, index=True),
        "box.csv": csv(result.box),
        "cases.csv": csv(result.cases),
        "discovery.md": (report_text(result) + "\n").encode(),
        "discovery.json": (json.dumps(record, indent=2) + "\n").encode(),
    }
    if result.cart is not None:
        contents["cart.csv"] = csv(result.cart)
    if plots:
        buffer = io.BytesIO()
        figure(result).savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        contents["discovery.png"] = buffer.getvalue()
    target = sweep_dir / "discovery" / folder_name(result.outcome, result.relation, result.value)
    return write_folder(target, contents)
