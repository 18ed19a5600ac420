"""Leaving hospital: the one state change every discharge route shares.

Acute trusts send the medically fit home (:mod:`agents.acute_trust`), CHS teams take
delayed discharges onto their caseloads (:mod:`agents.chs_team`) and councils start
care packages (:mod:`agents.council`); each calls :func:`discharge_to`.  It lives
apart from all three so none of them imports another for it (no import cycle).
"""

from __future__ import annotations

import numpy as np

from abm.population import Acuity, Support


def discharge_to(model, idx: np.ndarray, setting: int) -> None:
    """Leave hospital (from a bed or a delayed discharge) for ``setting``, with need lowered to low."""
    if idx.size == 0:
        return
    pop = model.pop
    pop.assign("acuity", idx, Acuity.LOW)
    pop.assign("support_needed", idx, Support.NONE)
    pop.assign("los_days", idx, 0.0)
    pop.assign("will_seek", idx, True)
    pop.assign("rationed", idx, False)
    pop.move(idx, setting)
