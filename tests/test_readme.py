"""The README's commands and examples stay true."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from abm.config import build
from abm.scenario import Scenario, apply_overrides

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_test_command_is_what_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text()
    (command,) = re.findall(r"^TEST_COMMAND='(.+)'$", ci, flags=re.M)
    assert f"```bash\n{command}\n```" in README


def test_quick_start_runs_the_default_scenario():
    assert "pip install -e . && abm run" in README


def test_readme_scenario_example_is_valid():
    block = README.split("A scenario file holds only what differs from the defaults:")[1]
    text = block.split("```yaml\n")[1].split("```")[0]
    scenario = build(Scenario, apply_overrides(yaml.safe_load(text), None))
    assert scenario.schedule[0].lever == "acute_beds_multiplier"
