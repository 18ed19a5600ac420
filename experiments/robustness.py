"""Robustness of policies across scenarios: regret, satisficing and percentiles (``abm robustness``).

    abm robustness runs/explore
    abm robustness runs/explore --threshold admissions=105 --outcome admissions

A **policy** is a combination of lever values (a grid cell of the design: each ``levers:``
combination, or each grid point of a ``factors:`` design); a **scenario** is one draw of the
uncertainties (a row of the sample, the same for every policy).  An outcome of a policy in a
scenario is the mean over its replicates; replicate *r* has the same seed in every point, so
policies are compared under common random numbers.

For each outcome (a declared outcome has a direction; any other needs ``--direction``):

* **regret** of a policy in a scenario: how much worse it does there than the best policy in
  that scenario (the lowest value when minimising, the highest when maximising); 0 for the
  best.  Per policy: the mean, the 90th percentile and the maximum over scenarios
  (minimax regret ranks policies by the last);
* **satisficing**: the share of scenarios in which the policy meets the outcome's threshold
  (at most it when minimising, at least it when maximising), from ``--threshold NAME=VALUE``
  or the design's ``threshold:``; and ``all_thresholds``, the share meeting every threshold
  at once;
* **percentiles** of the outcome over scenarios (10th, 50th, 90th) and its mean.

Files, in ``SWEEP/robustness/`` (written all or nothing): ``robustness.csv`` (one row per policy
and outcome), ``regret.csv`` (one row per policy, scenario and outcome), ``robustness.md`` (the
report printed), ``robustness.json`` and ``robustness.png`` (each policy's regret over the
scenarios, and its satisficing share).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.design import Plan

PERCENTILES = (10, 50, 90)
DIRECTIONS = ("minimise", "maximise")


class RobustnessError(ValueError):
    """Robustness cannot be computed: one policy only, an outcome with no direction, ..."""


@dataclass
class Robustness:
    """What :func:`robustness` computed."""

    table: pd.DataFrame  # per policy and outcome: mean, percentiles, regret, satisficing
    regret: pd.DataFrame  # per policy, scenario and outcome: value, best, regret, meets
    policies: pd.DataFrame  # per policy: its lever values and label
    outcomes: dict[str, dict]  # name -> {"direction", "threshold"}
    all_thresholds: pd.Series | None  # per policy: share of scenarios meeting every threshold
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def policy_table(plan: Plan) -> pd.DataFrame:
    """One row per policy (grid cell): its lever values and a label."""
    levers = [f.name for f in plan.levers if f.kind in ("grid", "policy")]
    rows = {}
    for point in plan.points:
        if point["base"] or point["cell"] in rows:
            continue
        values = {name: point["values"][name] for name in levers}
        label = ", ".join(f"{k.split('.')[-1]}={_short(v)}" for k, v in values.items()) or "the only policy"
        rows[point["cell"]] = {"policy": point["cell"], **values, "label": label}
    return pd.DataFrame(list(rows.values()))


def scenario_of(plan: Plan) -> dict[int, int]:
    """Each design point's scenario: its row of the uncertainties' sample (its place within its policy)."""
    seen: dict[int, int] = {}
    out = {}
    for point in plan.points:
        if point["base"]:
            continue
        out[point["point"]] = point.get("scenario", seen.get(point["cell"], 0))
        seen[point["cell"]] = seen.get(point["cell"], 0) + 1
    return out


def outcome_settings(plan: Plan, names: list[str] | None, thresholds: dict, directions: dict) -> dict[str, dict]:
    """Direction and threshold of each outcome analysed (declared ones, or those named)."""
    declared = {m["name"]: m for m in plan.measures}
    chosen = names or list(declared) or list(directions)
    if not chosen:
        raise RobustnessError(
            "the design declares no outcomes with a direction; name them with --outcome NAME and give "
            "--direction NAME=minimise (or maximise)"
        )
    settings = {}
    for name in chosen:
        direction = directions.get(name, declared.get(name, {}).get("direction"))
        if direction is None:
            raise RobustnessError(
                f"--outcome {name}: no direction; give --direction {name}=minimise (or maximise), or declare "
                "it under outcomes: in the design"
            )
        threshold = thresholds.get(name, declared.get(name, {}).get("threshold"))
        settings[name] = {"direction": direction, "threshold": threshold}
    unknown = sorted(set(thresholds) - set(settings))
    if unknown:
        raise RobustnessError(f"--threshold {', '.join(unknown)}: not an outcome analysed ({', '.join(settings)})")
    return settings


def robustness(
    sweep_dir: str | Path,
    outcomes: list[str] | None = None,
    thresholds: dict[str, float] | None = None,
    directions: dict[str, str] | None = None,
    *,
    write: bool = True,
    plots: bool = True,
) -> Robustness:
    """Regret, satisficing and percentiles of each policy over the scenarios; write the files.

    Raises:
        RobustnessError: fewer than two policies, an outcome unknown or without a direction.
    """
    from experiments.summarize import load_results

    results = load_results(sweep_dir)
    plan = results.plan
    if results.runs.empty:
        raise RobustnessError(f"{sweep_dir}: no completed run yet; run abm sweep first")
    settings = outcome_settings(plan, outcomes, thresholds or {}, directions or {})
    missing = [name for name in settings if name not in results.runs.columns]
    if missing:
        raise RobustnessError(
            f"--outcome {', '.join(missing)}: not an outcome of this sweep; its outcomes: {', '.join(plan.outcomes)}"
        )
    policies = policy_table(plan)
    if len(policies) < 2:
        raise RobustnessError(
            f"{sweep_dir}: the design has one policy only; robustness compares two or more (vary a lever)"
        )
    scenario = scenario_of(plan)
    cell = {p["point"]: p["cell"] for p in plan.points if not p["base"]}
    means = results.runs[results.runs["point"].isin(scenario)].groupby("point")[list(settings)].mean()
    frame = means.assign(policy=[cell[p] for p in means.index], scenario=[scenario[p] for p in means.index])
    complete = frame.groupby("scenario")["policy"].nunique() == len(policies)
    notes = []
    if not complete.all():
        notes.append(f"{int((~complete).sum())} scenario(s) left out: not every policy has a completed run there yet")
    frame = frame[frame["scenario"].isin(complete[complete].index)]
    if frame.empty:
        raise RobustnessError(f"{sweep_dir}: no scenario has a completed run of every policy yet")
    table, regret = regret_tables(frame, settings)
    met = regret.dropna(subset=["meets"]) if "meets" in regret else regret.iloc[0:0]
    all_thresholds = None
    if not met.empty and met["outcome"].nunique() > 1:
        every = met.pivot_table(index=["policy", "scenario"], columns="outcome", values="meets", aggfunc="first")
        all_thresholds = every.astype(bool).all(axis=1).groupby("policy").mean().rename("all_thresholds")
    table = table.merge(policies, on="policy", how="left")
    result = Robustness(table, regret, policies, settings, all_thresholds, notes)
    if write:
        result.files = write_robustness(Path(sweep_dir), result, plan, plots)
    return result


def regret_tables(frame: pd.DataFrame, settings: dict[str, dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From one row per policy and scenario (outcome columns): the per-policy table and the long regret table."""
    rows, long = [], []
    for name, how in settings.items():
        wide = frame.pivot(index="scenario", columns="policy", values=name).astype(float)
        best = wide.min(axis=1) if how["direction"] == "minimise" else wide.max(axis=1)
        regret = (wide.sub(best, axis=0)).abs()
        threshold = how["threshold"]
        for policy in wide.columns:
            values, regrets = wide[policy], regret[policy]
            row = {
                "policy": policy,
                "outcome": name,
                "direction": how["direction"],
                "scenarios": int(values.count()),
                "mean": values.mean(),
                **{f"p{q}": values.quantile(q / 100) for q in PERCENTILES},
                "mean_regret": regrets.mean(),
                "p90_regret": regrets.quantile(0.9),
                "max_regret": regrets.max(),
                "best_in": float((regrets == 0).mean()),
                "threshold": threshold,
                "satisficing": np.nan if threshold is None else float(_meets(values, how).mean()),
            }
            rows.append(row)
            part = pd.DataFrame(
                {"policy": policy, "scenario": wide.index, "outcome": name, "value": values.to_numpy()}
            ).assign(best=best.to_numpy(), regret=regrets.to_numpy())
            part["meets"] = None if threshold is None else _meets(values, how).to_numpy()
            long.append(part)
    table = pd.DataFrame(rows)
    table["rank_by_max_regret"] = table.groupby("outcome")["max_regret"].rank(method="min").astype(int)
    return table, pd.concat(long, ignore_index=True)


def _meets(values: pd.Series, how: dict) -> pd.Series:
    threshold = how["threshold"]
    return values <= threshold if how["direction"] == "minimise" else values >= threshold


# --------------------------------------------------------------------------- reporting
def report_text(result: Robustness) -> str:
    """Per outcome, the policies ranked by maximum regret, with percentiles and satisficing."""
    lines = []
    scenarios = int(result.table["scenarios"].max())
    lines.append(f"Robustness of {len(result.policies)} policies over {scenarios} scenarios (means over replicates)")
    for name, how in result.outcomes.items():
        rows = result.table[result.table["outcome"] == name].sort_values(["rank_by_max_regret", "policy"])
        threshold = "" if how["threshold"] is None else f", threshold {how['threshold']:g}"
        lines += ["", f"{name} ({how['direction']}{threshold})", "", "```text"]
        shown = pd.DataFrame(
            {
                "rank": rows["rank_by_max_regret"],
                "policy": rows["label"],
                **{f"p{q}": rows[f"p{q}"].map(_g) for q in PERCENTILES},
                "mean regret": rows["mean_regret"].map(_g),
                "max regret": rows["max_regret"].map(_g),
                "best in": rows["best_in"].map(lambda v: f"{v:.0%}"),
            }
        )
        if how["threshold"] is not None:
            shown["satisficing"] = rows["satisficing"].map(lambda v: f"{v:.0%}")
        lines += [shown.to_string(index=False), "```"]
    if result.all_thresholds is not None:
        labels = result.policies.set_index("policy")["label"]
        lines += ["", "Share of scenarios meeting every threshold", "", "```text"]
        for policy, share in result.all_thresholds.sort_values(ascending=False).items():
            lines.append(f"{share:>5.0%}  {labels[policy]}")
        lines.append("```")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)


def figure(result: Robustness):
    """Per outcome: each policy's regret over the scenarios (box plot) and, with a threshold, its satisficing share."""
    from matplotlib.figure import Figure

    names = list(result.outcomes)
    with_threshold = any(h["threshold"] is not None for h in result.outcomes.values())
    cols = 2 if with_threshold else 1
    height = max(2.5, 0.35 * len(result.policies) + 1.4)
    fig = Figure(figsize=(6.5 * cols, height * len(names) + 0.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(names), cols, squeeze=False))
    labels = result.policies.set_index("policy")["label"]
    for row, name in enumerate(names):
        part = result.regret[result.regret["outcome"] == name]
        order = (
            result.table[result.table["outcome"] == name]
            .sort_values(["rank_by_max_regret", "policy"])["policy"]
            .tolist()
        )
        data = [part[part["policy"] == p]["regret"].to_numpy() for p in order]
        y = np.arange(len(order))[::-1]
        ax = axes[row, 0]
        try:
            ax.boxplot(data, positions=y, orientation="horizontal", widths=0.6, showmeans=True)
        except TypeError:  # matplotlib before 3.10
            ax.boxplot(data, positions=y, vert=False, widths=0.6, showmeans=True)
        ax.set_yticks(y, [labels[p] for p in order], fontsize="small")
        ax.set_xlabel(f"regret in {name} (0: the best policy in that scenario)")
        ax.set_title(f"{name} ({result.outcomes[name]['direction']}): regret over scenarios", fontsize="medium")
        ax.grid(axis="x", alpha=0.3)
        if cols == 2:
            ax = axes[row, 1]
            shares = result.table[result.table["outcome"] == name].set_index("policy").reindex(order)["satisficing"]
            if shares.notna().any():
                ax.barh(y, shares.fillna(0), color="C2")
                ax.set_xlim(0, 1)
                ax.set_yticks(y, [""] * len(y))
                ax.set_xlabel(f"share of scenarios with {name} {_side(result.outcomes[name])}")
                ax.set_title("satisficing", fontsize="medium")
                ax.grid(axis="x", alpha=0.3)
            else:
                ax.set_axis_off()
    return fig


def _side(how: dict) -> str:
    return f"{'<=' if how['direction'] == 'minimise' else '>='} {how['threshold']:g}"


def write_robustness(sweep_dir: Path, result: Robustness, plan: Plan, plots: bool) -> list[Path]:
    """The files of a robustness analysis, all or nothing, in SWEEP/robustness/."""
    from experiments.folders import write_folder

    record = {
        "sweep": plan.design.name,
        "policies": len(result.policies),
        "scenarios": int(result.table["scenarios"].max()),
        "outcomes": result.outcomes,
        "percentiles": list(PERCENTILES),
        "all_thresholds": None if result.all_thresholds is None else result.all_thresholds.to_dict(),
        "notes": result.notes,
    }
    contents = {
        "robustness.csv": result.table.to_csv(index=False).encode(),
        "regret.csv": result.regret.to_csv(index=False).encode(),
        "robustness.md": (report_text(result) + "\n").encode(),
        "robustness.json": (json.dumps(record, indent=2, default=float) + "\n").encode(),
    }
    if plots:
        buffer = io.BytesIO()
        figure(result).savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        contents["robustness.png"] = buffer.getvalue()
    return write_folder(sweep_dir / "robustness", contents)


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _g(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.4g}"
