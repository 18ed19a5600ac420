"""Policy levers: the settings workshop participants and modellers move.

Each lever is one field of :class:`Levers` with its units, range, default, what it
models and its evidence.  A lever acts in exactly one place in the model, named
in its ``doc``; it can be set in a scenario's ``levers:`` block, scheduled for a
year (``schedule:``), overridden with ``--set levers.NAME=VALUE`` or changed on a
running model with ``model.set_lever(name, value)`` (effective from the next week).

The engine issue wires the levers below; the commissioning levers (funding shift,
add-on schemes, delegation, contracts, host, data quality) arrive with the
commissioning rules.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from abm.config import spec


@dataclass
class Levers:
    """The policy levers of a scenario (names, units and meanings are portable)."""

    social_care_capacity_multiplier: float = spec(
        1.0, units="x default", lo=0.0, hi=3.0,
        doc="Council social-care capacity (concurrent care packages). Acts on agents.council.Council.capacity.",
        source="mechanism 10 (001 §2): social-care cuts raise delayed transfers of care; "
               "001 Introduction: -26% older adults receiving publicly funded care 2009-2014",
    )
    public_health_multiplier: float = spec(
        1.0, units="x default", lo=0.0, hi=3.0,
        doc="Council public-health spending; lowers onset of need a little. Acts on agents.council.Council.onset_factor.",
        source="mechanism 16 (003); effect size an assumption (small)",
    )
    acute_beds_multiplier: float = spec(
        1.0, units="x default", lo=0.3, hi=3.0,
        doc="General and acute beds. Acts on agents.acute_trust.AcuteTrust.beds.",
        source="national statistics, approximate: ~1.8 G&A beds per 1,000",
    )
    demand_multiplier: float = spec(
        1.0, units="x default", lo=0.5, hi=2.0,
        doc="Underlying onset of need (e.g. a pandemic-like shock or winter). Acts on agents.patient onset hazard.",
        source="assumption: scenario device for demand shocks (DESIGN 5 'demand')",
    )
    recruitment_multiplier: float = spec(
        1.0, units="x default", lo=0.0, hi=3.0,
        doc="CHS recruitment relative to default (recruitment drive, international recruitment). "
            "Acts on agents.chs_team.CHSTeam.update_workforce.",
        source="mechanism 11 (001 §2, 004 §3): workforce decline limits expansion",
    )
    attrition_multiplier: float = spec(
        1.0, units="x default", lo=0.0, hi=3.0,
        doc="CHS staff leaving relative to default (retention). Acts on agents.chs_team.CHSTeam.update_workforce.",
        source="004 §3: >30% of district nurses over 50",
    )
    integration_share: float = spec(
        0.2, units="share of practices", lo=0.0, hi=1.0,
        doc="Share of GP practices in integrated neighbourhood teams with their CHS team (MDTs, shared records, "
            "co-location): more CHS referrals, fewer duplicate assessments. Acts on agents.gp_practice.",
        source="mechanism 12 (001 §4, 004 §7); default share an assumption",
    )

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
