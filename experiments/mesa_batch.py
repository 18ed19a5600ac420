"""Mesa interoperability: run the model with ``mesa.batch_run``.

``mesa.batch_run`` needs a ``datacollector`` on the model and passes parameters as
keyword arguments; :class:`~abm.model.ICSModel` already takes any scenario value as
a (dotted) keyword.  :class:`BatchICSModel` adds a :class:`mesa.DataCollector` that
records the ICS's headline weekly figures after every week, named ``ics_<metric>``
(``None`` during burn-in)::

    import mesa
    from experiments.mesa_batch import BatchICSModel

    rows = mesa.batch_run(
        BatchICSModel,
        parameters={"population": 20_000, "years": 2, "seed": [1, 2, 3],
                    "levers.acute_beds_multiplier": [1.0, 1.2]},
        max_steps=10_000, number_processes=1, data_collection_period=-1,
    )

Give seeds as the ``seed`` parameter (a scenario key): it works on every Mesa 3.x
(``batch_run(rng=...)`` exists only from Mesa 3.5).  For designs, replications with
spawned seeds, resuming and clusters, use ``abm sweep``.
"""

from __future__ import annotations

from functools import partial

import mesa

from abm.metrics import COLUMNS
from abm.model import ICSModel

REPORTED = (
    "population",
    "emergency_admissions",
    "bed_occupancy",
    "delayed_discharge_bed_days",
    "unmet_need",
    "chs_caseload",
    "chs_share_of_spend",
)


def latest_week(model: ICSModel, column: str) -> float | None:
    """The ICS figure of the last recorded reporting week (None during burn-in)."""
    recorded = model.metrics.recorded
    if recorded == 0:
        return None
    return float(model.metrics.data[recorded - 1, -1, COLUMNS.index(column)])


class BatchICSModel(ICSModel):
    """:class:`ICSModel` with a ``datacollector``, collected after each week, for ``mesa.batch_run``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reporters = {"reporting_week": lambda m: m.reporting_week}
        reporters.update({f"ics_{column}": partial(latest_week, column=column) for column in REPORTED})
        self.datacollector = mesa.DataCollector(model_reporters=reporters)

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)
