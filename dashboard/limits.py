"""What one dashboard session may run: population, horizon and burn-in, set by the facilitator.

A workshop shares one server, so no participant may start a run that takes the CPU from the
others (a 200,000-person, 60-year run with a 1,040-week burn-in did, in issue 13).  The limits
are checked on the server for every way a run is started (preset, "Apply and reset", an
uploaded or pasted scenario) and for every baseline run, with a message naming the field,
its value and what is allowed.

``abm dashboard --max-population N --max-years Y --max-burn-in-weeks W`` sets them; they
reach the server as ``ABM_DASHBOARD_MAX_*`` environment variables.  Standard library only,
so ``abm --help`` stays fast.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# the workshop's population: the smallest that separates the stories' main effects from noise on the cards
# (six of seven at 20,000 against five at 10,000; `python -m dashboard.noise_measure`, the facilitator's guide)
DEFAULT_POPULATION = 20_000
# the workshop defaults: 2.5 x the default population, twice the default horizon, 1.5 x the default burn-in
DEFAULT_MAX_POPULATION = 50_000
DEFAULT_MAX_YEARS = 10
DEFAULT_MAX_BURN_IN_WEEKS = 312
# what a facilitator may set them to: up to the scenario's own bounds (above 200,000 people one session
# takes a core), and a burn-in no shorter than the presets' own (260 weeks)
OPTION_RANGES = {"population": (1_000, 200_000), "years": (1, 60), "burn_in_weeks": (260, 1040)}
FIELD_MIN = {"population": 1_000, "years": 1, "burn_in_weeks": 0}  # the smallest a scenario may ask for
ENV = {
    "population": "ABM_DASHBOARD_MAX_POPULATION",
    "years": "ABM_DASHBOARD_MAX_YEARS",
    "burn_in_weeks": "ABM_DASHBOARD_MAX_BURN_IN_WEEKS",
}


@dataclass(frozen=True)
class Limits:
    """The largest run one session may start (each field's lowest value is the scenario's own)."""

    population: int = DEFAULT_MAX_POPULATION
    years: int = DEFAULT_MAX_YEARS
    burn_in_weeks: int = DEFAULT_MAX_BURN_IN_WEEKS

    @classmethod
    def from_env(cls, environ=None) -> Limits:
        """The limits the server was started with (``ABM_DASHBOARD_MAX_*``; a bad value falls back to the default)."""
        environ = os.environ if environ is None else environ
        values = {}
        for name, variable in ENV.items():
            try:
                value = int(environ.get(variable, ""))
            except ValueError:
                continue
            lo, hi = OPTION_RANGES[name]
            if lo <= value <= hi:
                values[name] = value
        return cls(**values)

    def env(self) -> dict[str, str]:
        return {ENV[name]: str(getattr(self, name)) for name in ENV}

    def allowed(self, name: str) -> str:
        """'1,000 to 50,000': the range a field may take in this dashboard."""
        return f"{FIELD_MIN[name]:,} to {getattr(self, name):,}"

    def problems(self, scenario) -> list[str]:
        """What in ``scenario`` (a Scenario or its dict) is over the limits, one message per field."""

        def value(name):
            return scenario.get(name) if isinstance(scenario, dict) else getattr(scenario, name, None)

        units = {"population": "people", "years": "years", "burn_in_weeks": "weeks"}
        out = []
        for name in ENV:
            got = value(name)
            if isinstance(got, int) and got > getattr(self, name):
                out.append(
                    f"{name}: {got:,} {units[name]} is more than this dashboard runs per session; "
                    f"allowed: {self.allowed(name)} (the facilitator sets this limit; "
                    f"use 'abm run' for larger runs)"
                )
        return out


def check_limit_option(name: str, value: int | None) -> str | None:
    """An error message if a facilitator's ``--max-...`` value is outside what the dashboard can allow."""
    if value is None:
        return None
    lo, hi = OPTION_RANGES[name]
    if not lo <= value <= hi:
        option = "--max-" + name.replace("_", "-")
        return f"{option} {value:,} is out of range; allowed: {lo:,} to {hi:,}"
    return None
