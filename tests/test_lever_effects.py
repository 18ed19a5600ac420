"""The lever-effects script behind the ODD's and the README's lever tables (experiments/lever_effects.py)."""

from __future__ import annotations

import pytest

from experiments import lever_effects
from experiments.lever_effects import Design, format_odd, main, odd_table

TINY = Design(population=2_000, years=1, seeds=(1, 2), burn_in_weeks=26)


def test_fewer_beds_turn_people_away_in_a_tiny_paired_run():
    """One ODD row at 2,000 people: fewer beds admit fewer people while more need a bed (paired seeds)."""
    table = odd_table(TINY, rows=["acute_beds_multiplier: 0.8"])
    effects = table["acute_beds_multiplier: 0.8"]
    assert set(effects) == set(lever_effects.ODD_OUTCOMES)
    assert effects["admissions"].difference < 0
    assert effects["admission_demand"].difference > 0
    text = format_odd(table, TINY)
    assert "acute_beds_multiplier: 0.8" in text and "admission demand" in text


def test_every_row_and_arm_names_real_levers():
    """Each override is a parameter the model accepts (a misspelt lever would fail here, not mid-run)."""
    from abm.scenario import load_scenario

    for overrides in (*lever_effects.ODD_ROWS.values(), *lever_effects.README_ARMS.values()):
        load_scenario(None, overrides)
    arms = set(lever_effects.README_ARMS)
    for comparison in lever_effects.README_COMPARISONS:
        assert {comparison.arm, comparison.reference} <= arms


@pytest.mark.parametrize(
    "argv", [["--table", "sideways"], ["--table", "odd", "--jobs", "0"], ["--table", "odd", "--jobs", "two"]]
)
def test_bad_arguments_are_refused_with_a_clear_error(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--table" in err or "--jobs" in err
