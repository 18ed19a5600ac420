"""The documentation stays true to the code: the parameter table, its sources, the ODD's pointers, the links."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from abm import cli, params_table

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


# --------------------------------------------------------------------------- parameters
def test_every_parameter_has_a_source():
    problems = [p for p in map(params_table.source_problem, params_table.rows()) if p]
    assert not problems, "parameters without an acceptable source:\n" + "\n".join(problems)


def test_every_parameter_has_units():
    missing = [
        r["name"] for r in params_table.rows() if r["kind"] != "not a model parameter" and not r["units"].strip()
    ]
    assert not missing, f"parameters without units: {missing}"


@pytest.mark.parametrize("source", ["", "assumption", "assumption: guess", "a number I like"])
def test_a_missing_or_bare_source_is_caught(source):
    assert params_table.source_problem({"name": "params.x", "source": source})


@pytest.mark.parametrize(
    "source",
    [
        "assumption: episodes last a few weeks",
        "001 Introduction: ~6 per person",
        "mechanism 10 (001 §2)",
        "national statistics, approximate",
        "calibrated (abm validate): bed occupancy",
    ],
)
def test_a_cited_source_is_accepted(source):
    assert not params_table.source_problem({"name": "params.x", "source": source})


def test_committed_parameter_table_is_the_output_of_abm_params(capsys):
    assert cli.main(["params", "--markdown"]) == 0
    printed = capsys.readouterr().out
    committed = (DOCS / "parameters.md").read_text()
    assert committed == printed, "docs/parameters.md is out of date: run  abm params --markdown > docs/parameters.md"


def test_parameter_table_lists_every_lever_and_calibrated_parameter():
    from abm.calibration import CALIBRATED
    from policies.levers import Levers

    names = {r["name"] for r in params_table.rows()}
    assert {f"levers.{n}" for n in Levers.names()} <= names
    assert {n for n, _ in CALIBRATED} <= names
    table = (DOCS / "parameters.md").read_text()
    assert all(f"`{n}`" in table for n in names)


# --------------------------------------------------------------------------- outputs
def test_committed_output_table_is_the_output_of_abm_outputs(capsys):
    assert cli.main(["outputs", "--markdown"]) == 0
    printed = capsys.readouterr().out
    committed = (DOCS / "outputs.md").read_text()
    assert committed == printed, "docs/outputs.md is out of date: run  abm outputs --markdown > docs/outputs.md"


def test_output_table_lists_every_column_and_summary_key():
    from abm import outputs

    table = (DOCS / "outputs.md").read_text()
    assert all(f"`{name}`" in table for name in (*outputs.COLUMNS, *outputs.SUMMARY_KEYS))


# --------------------------------------------------------------------------- ODD
POINTER = re.compile(r"`((?:abm|agents|policies|dashboard|experiments|benchmarks)/[\w/]+\.py): ([\w.]+)`")


def resolve(path: str, dotted: str) -> bool:
    module = importlib.import_module(path[:-3].replace("/", "."))
    target = module
    for part in dotted.split("."):
        if not hasattr(target, part):
            return False
        target = getattr(target, part)
    return True


def test_odd_exists_with_the_protocol_elements():
    odd = (DOCS / "ODD.md").read_text().lower()
    for element in (
        "purpose and patterns",
        "entities, state variables and scales",
        "process overview and scheduling",
        "design concepts",
        "initiali",
        "input data",
        "submodels",
        "limitations and validity",
    ):
        assert element in odd, f"ODD.md lacks the element {element!r}"


def test_every_code_pointer_in_the_docs_exists():
    pointers = [(doc.name, *m.groups()) for doc in DOCS.glob("*.md") for m in POINTER.finditer(doc.read_text())]
    assert len(pointers) >= 30, "ODD.md should point to the code for each element"
    broken = [f"{doc}: `{path}: {name}`" for doc, path, name in pointers if not resolve(path, name)]
    assert not broken, "pointers to code that does not exist:\n" + "\n".join(broken)


def test_odd_names_every_lever():
    from policies.levers import Levers

    odd = (DOCS / "ODD.md").read_text()
    missing = [n for n in Levers.names() if n not in odd]
    assert not missing, f"ODD.md does not say what these levers do: {missing}"


# --------------------------------------------------------------------------- README
def test_readme_links_every_doc_and_shows_two_pictures():
    readme = (ROOT / "README.md").read_text()
    for doc in DOCS.glob("*.md"):
        assert f"docs/{doc.name}" in readme, f"README does not link docs/{doc.name}"
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", readme)
    assert any("dashboard" in p for p in pictures) and any("experiments/figures" in p for p in pictures)
    for picture in pictures:
        assert (ROOT / picture).is_file(), f"README shows {picture}, which does not exist"


# --------------------------------------------------------------------------- organisations
@pytest.mark.parametrize(
    "kind",
    [
        "agents.gp_practice:GPPractice",
        "agents.chs_team:CHSTeam",
        "agents.acute_trust:AcuteTrust",
        "agents.council:Council",
    ],
)
def test_the_odd_lists_every_quantity_an_organisation_declares(kind):
    module, name = kind.split(":")
    declared = getattr(importlib.import_module(module), name).columns()
    odd = (DOCS / "ODD.md").read_text()
    heading = f"(`{module.replace('.', '/')}.py: {name}`)"
    section = odd[odd.index(heading) :]
    table = section[: section.index("\n\n", section.index("|---"))]  # the table under the heading
    listed = {n for cell in re.findall(r"^\| ([^|]+) \|", table, re.M) for n in re.findall(r"`(\w+)`", cell)}
    assert set(declared) <= listed, f"ODD 2.3 {name}: add {sorted(set(declared) - listed)}"
