"""How the project's modules import each other: no cycles, a core that stands alone, a light command line.

The graph is read from the source (``ast``), not by importing: every ``import`` and
``from ... import`` counts, at module level or inside a function, since a cycle through a
function-level import is still a cycle (it only fails later, and at random moments).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("abm", "agents", "policies", "experiments", "dashboard", "benchmarks")

# The engine's core: population arrays, queues, random streams, parameters and configuration,
# errors, the YAML loader, the weekly metrics, the table of outputs, the calendar (units), the named
# choices, the organisations' tables and the topology.  The agents, the dashboard and the experiments
# build on it; it must not reach back to them (not even through another module).
CORE = (
    "abm.population",
    "abm.queues",
    "abm.streams",
    "abm.parameters",
    "abm.config",
    "abm.errors",
    "abm.safe_yaml",
    "abm.metrics",
    "abm.units",
    "abm.choices",
    "abm.outputs",
    "abm.organisations",
    "abm.topology",
)
NOT_IN_CORE = ("agents", "dashboard", "experiments")

# The per-object reference (the test oracle) runs only when a model asks for it: patients="objects".
ORACLE = "agents.reference"
ORACLE_USERS = {"abm.model"}

HEAVY = ("numpy", "pandas", "mesa", "scipy", "matplotlib", "optuna")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _own(name: str) -> str | None:
    """The project module ``name`` refers to (a module, or the package whose attribute it is), if any."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str) -> list[tuple[str, bool]]:
    """The project modules ``module`` imports, each with whether the import is at module level."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package (``from . import x``, ``from .y import z``)
                package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}".strip(".")
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        found += [
            (target, id(node) in top_level) for name in names if (target := _own(name)) is not None and target != module
        ]
    return found


GRAPH = {module: {target for target, _ in imports(module)} for module in MODULES}


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in GRAPH[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def cycles() -> list[list[str]]:
    """The import cycles: each strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return found


def test_the_graph_sees_every_package_and_function_level_imports():
    assert {m.partition(".")[0] for m in MODULES} == set(PACKAGES)
    assert len(MODULES) > 40
    assert "abm.model" in GRAPH["abm.runner"]  # imported inside run_scenario only
    assert ("abm.model", False) in imports("abm.runner")
    assert "agents.chs_team" in GRAPH["abm.model"]  # ``from agents import chs_team``


def test_a_cycle_would_be_found():
    GRAPH["abm.errors"].add("abm.config")
    try:
        assert any({"abm.config", "abm.errors"} <= set(cycle) for cycle in cycles())
    finally:
        GRAPH["abm.errors"].discard("abm.config")


def test_no_import_cycles():
    assert cycles() == []


@pytest.mark.parametrize("module", CORE)
def test_core_modules_import_nothing_from_agents_dashboard_or_experiments(module):
    assert module in MODULES
    outside = sorted(m for m in reachable(module) if m.partition(".")[0] in NOT_IN_CORE)
    assert not outside, f"{module} imports (directly or through another module) {outside}"


def test_only_the_per_object_model_imports_the_reference_and_only_when_asked():
    users = {module: top for module in MODULES for target, top in imports(module) if target == ORACLE}
    assert set(users) <= ORACLE_USERS
    assert not any(users.values()), "agents.reference is imported at module level"
    source = MODULES["abm.model"].read_text()
    branch = source.split('elif patients == "objects":')[1].split("else:")[0]
    assert "from agents import reference" in branch


# --------------------------------------------------------------------------- a light command line
def imported_by(*args: str) -> set[str]:
    """The top-level packages ``python -X importtime -m abm ARGS`` imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "abm", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert len(lines) > 20, done.stderr[-2000:]
    return {name.partition(".")[0] for name in lines}


@pytest.mark.parametrize(
    "args", [["--help"], ["presets"], ["run", "--help"], ["sweep", "--help"], ["calibrate", "--help"]]
)
def test_the_command_line_starts_without_numpy_pandas_or_mesa(args):
    heavy = sorted(imported_by(*args) & set(HEAVY))
    assert not heavy, f"abm {' '.join(args)} imports {heavy}; import them in the command's handler instead"


def test_building_the_parser_imports_no_heavy_module():
    code = (
        "import json, sys; from abm.cli import build_parser; build_parser(); "
        "print(json.dumps(sorted({m.partition('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not set(json.loads(done.stdout)) & set(HEAVY)
