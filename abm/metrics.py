"""Weekly outputs per Place and for the ICS (DESIGN 6).

Counts of people in each setting and of unmet need come from one ``bincount``
over the population per week (key: Place x age band x deprivation x setting x
need x rationed), turned into head counts by one product with a table that says
which columns each state counts in (:data:`HEAD_COUNT_TABLE`); events
(admissions, appointments...) are tallied by the phases as they happen.  Counts are people or events in the
week, money in £, occupancy 0-1, unmet need in person-weeks.  The columns, their units and how
the Places add up to the ICS row are declared in :mod:`abm.outputs`; here are the rules that count them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from abm import outputs
from abm.population import AGE_BAND_LABELS, AGE_BAND_TABLE, IS_ALIVE, N_SETTINGS, Setting, has_need
from abm.units import DAYS_PER_WEEK, WEEKS_PER_YEAR

COLUMNS = outputs.COLUMNS  # the weekly columns, declared in abm/outputs.py
EVENT_COLUMNS = outputs.EVENTS  # the outputs the phases tally as they happen (Events)
GROUP_COLUMNS = ("population", "unmet_need", "emergency_admissions")
SETTING_COLUMNS = {  # column -> the setting whose head count it is
    "inpatients": Setting.ACUTE_BED,
    "corridor_care": Setting.ED,
    "gp_waiting": Setting.WAITING_GP,
    "gp_managed": Setting.GP_MANAGED,
    "chs_caseload": Setting.CHS_CASELOAD,
    "chs_waiting": Setting.WAITING_CHS,
    "virtual_ward_patients": Setting.VIRTUAL_WARD,
}
SPEND_SECTORS = ("acute", "chs_core", "addon", "primary")  # the commissioner's first sectors, in its order
UNMET_COLUMNS = tuple(o.name for o in outputs.parts("unmet_need"))  # their sum is unmet_need
N_CODES = N_SETTINGS * 4  # state codes: setting x need (0/1) x rationed (0/1)
HEAD_COUNTS = (
    outputs.CENSUS
)  # the columns that count people (a row of HEAD_COUNT_TABLE says which of them a state counts in)


def _head_count_table() -> np.ndarray:
    """Which of :data:`HEAD_COUNTS` a person in each state code (setting x need x rationed) counts in (0/1).

    Unmet need: waiting for a GP or CHS, medically fit but awaiting discharge, or at home
    with need (never taken to a GP, or rationed out of a service).
    """
    table = np.zeros((N_SETTINGS, 2, 2, len(HEAD_COUNTS)))
    column = {c: i for i, c in enumerate(HEAD_COUNTS)}
    table[IS_ALIVE, :, :, column["population"]] = 1
    for name, setting in SETTING_COLUMNS.items():
        table[setting, :, :, column[name]] = 1
    table[Setting.WAITING_GP, :, :, column["unmet_need_gp"]] = 1
    table[Setting.WAITING_CHS, :, :, column["unmet_need_chs"]] = 1
    table[Setting.HOME, 1, 1, column["unmet_need_rationed"]] = 1
    table[Setting.DELAYED_DISCHARGE, :, :, column["unmet_need_delayed_discharge"]] = 1
    table[Setting.HOME, 1, 0, column["unmet_need_never_sought"]] = 1
    table[..., column["unmet_need"]] = table[..., [column[c] for c in UNMET_COLUMNS]].sum(axis=-1)
    sought = [column[c] for c in UNMET_COLUMNS if c != "unmet_need_never_sought"]
    table[..., column["unmet_need_sought"]] = table[..., sought].sum(axis=-1)
    table.flags.writeable = False
    return table.reshape(N_CODES, len(HEAD_COUNTS))


HEAD_COUNT_TABLE = _head_count_table()  # state code x head count
_UNCOUNTED = [name for j, name in enumerate(HEAD_COUNTS) if not HEAD_COUNT_TABLE[:, j].any()]
assert not _UNCOUNTED, f"head counts that no state counts in (add a rule to _head_count_table): {_UNCOUNTED}"
# The ICS row's own rules (MetricsRecorder.record): occupancy over all trusts; the equity rates of the whole ICS;
# the lowest and highest team's contacts per FTE over all teams.
EQUITY_COLUMNS = (
    "unmet_need_most_deprived_per_1000",
    "unmet_need_least_deprived_per_1000",
    "unmet_need_equity_gap_per_1000",
)
PRODUCTIVITY_COLUMNS = ("chs_contacts_per_fte_lowest", "chs_contacts_per_fte_highest")
assert set(outputs.OWN_ICS) == {"bed_occupancy", *EQUITY_COLUMNS, *PRODUCTIVITY_COLUMNS}, (
    "an output's ICS rule is missing in record()"
)
POPULATION, UNMET = HEAD_COUNTS.index("population"), HEAD_COUNTS.index("unmet_need")
UNMET_BY_CODE = HEAD_COUNT_TABLE[:, UNMET].astype(np.uint16)  # unmet need (0/1) for each state code
assert np.array_equal(UNMET_BY_CODE[0::2], UNMET_BY_CODE[1::2])  # whatever the last bit (rationed)
UNMET_MASK = np.uint32(sum(1 << half for half in range(N_CODES // 2) if UNMET_BY_CODE[2 * half]))  # bit code // 2


def unmet_flags(code: np.ndarray) -> np.ndarray:
    """``UNMET_BY_CODE[code]`` (1 where a person's need is unmet), read as bit ``code // 2`` of
    ``UNMET_MASK``: the same values, without converting every code to a 64-bit index for a lookup."""
    return (UNMET_MASK >> (code >> np.uint8(1))) & np.uint32(1)


class Events:
    """Per-Place tallies of this week's events."""

    def __init__(self, n_places: int):
        self.n_places = n_places
        self.table = np.zeros((len(EVENT_COLUMNS), n_places))  # event (EVENT_COLUMNS) x Place
        self.counts = dict(zip(EVENT_COLUMNS, self.table, strict=True))  # name -> its row of the table
        self.admissions_by_group = np.zeros((5, 5))  # age band x deprivation

    def reset(self) -> None:
        self.table[:] = 0.0
        self.admissions_by_group[:] = 0.0

    def add(self, name: str, places: np.ndarray) -> None:
        self.counts[name] += np.bincount(places, minlength=self.n_places)

    def add_admissions_by_group(self, age_band: np.ndarray, deprivation: np.ndarray) -> None:
        self.admissions_by_group += np.bincount(age_band.astype(np.int64) * 5 + deprivation, minlength=25).reshape(5, 5)

    def add_amounts(self, name: str, places: np.ndarray, amounts: np.ndarray) -> None:
        np.add.at(self.counts[name], np.asarray(places, dtype=np.int64), amounts)


class MetricsRecorder:
    """Preallocated weekly table: weeks x (Places + ICS) x columns."""

    def __init__(self, place_names: list[str], weeks: int):
        self.place_names = [*place_names, "ICS"]
        self.weeks = weeks
        self.data = np.zeros((weeks, len(self.place_names), len(COLUMNS)))
        self.groups = np.zeros((weeks, 5, 5, len(GROUP_COLUMNS)))  # age band x deprivation
        self.recorded = 0
        self._col = {c: i for i, c in enumerate(COLUMNS)}
        self._head_columns = [self._col[c] for c in HEAD_COUNTS]
        self._event_columns = [self._col[c] for c in EVENT_COLUMNS]
        self._spend_columns = [self._col[f"spend_{sector}"] for sector in SPEND_SECTORS]
        self._ratios = [  # (column, numerator columns, denominator columns) of each Ics.RATIO output
            (self._col[o.name], [self._col[c] for c in o.numerator], [self._col[c] for c in o.denominator])
            for o in outputs.RATIOS
        ]

    def record(self, model, week: int, state: np.ndarray) -> None:
        """Fill one week from the state counts (see :func:`state_counts`) and the model's events and agents."""
        n_places = len(self.place_names) - 1
        col = self._col
        block = self.data[week]  # the Places, then the ICS
        block[:] = 0.0
        row = block[:n_places]
        # head counts (whole numbers, so exact in floats) by Place x age band x deprivation
        heads = (state.reshape(-1, N_CODES) @ HEAD_COUNT_TABLE).reshape(n_places, 5, 5, -1)  # one 2-D product
        by_group = heads.sum(axis=0)  # age band x deprivation x head count
        by_deprivation = np.concatenate([heads.sum(axis=1), by_group.sum(axis=0)[None]])  # Places and ICS
        alive = by_deprivation[:n_places, :, POPULATION].sum(axis=1)
        row[:, self._head_columns] = by_deprivation[:n_places].sum(axis=1)
        row[:, col["delayed_discharge_bed_days"]] = row[:, col["unmet_need_delayed_discharge"]] * DAYS_PER_WEEK
        row[:, self._event_columns] = model.events.table.T

        topology, teams, councils = model.topology, model.teams.table, model.councils.table
        row[:, col["proactive_care"]] = topology.team_sum_by_place(teams.proactive)
        row[:, col["social_care_packages"]] = councils.in_use
        row[:, self._spend_columns] = model.commissioner.payments[: len(SPEND_SECTORS)].T
        row[:, col["spend_social_care"]] = councils.weekly_spend
        row[:, col["chs_fte"]] = topology.team_sum_by_place(teams.in_post.sum(axis=1))
        row[:, col["chs_vacancies"]] = topology.team_sum_by_place(teams.vacancies)
        row[:, col["chs_fte_over_50"]] = topology.team_sum_by_place(teams.over_50)
        row[:, col["chs_retirements"]] = topology.team_sum_by_place(teams.retirements)
        row[:, col["chs_agency_fte"]] = topology.team_sum_by_place(teams.agency)
        for t in model.trusts:
            places = t.places
            share = alive[places] / max(alive[places].sum(), 1)
            row[places, col["beds"]] += t.beds * share
            row[places, col["bed_occupancy"]] = t.occupancy
            row[places, col["acute_deficit"]] += t.deficit * share

        ics = block[n_places]  # how Places add up to the ICS (outputs.Ics): the sum, then the other rules
        ics[:] = row.sum(axis=0)
        ics[col["bed_occupancy"]] = sum(t.bed_days_used for t in model.trusts) / max(
            sum(max(t.beds * DAYS_PER_WEEK, t.bed_days_used) for t in model.trusts), 1e-9
        )
        self._equity(block, by_deprivation[:, :, UNMET], by_deprivation[:, :, POPULATION])
        self._team_extremes(block, topology.team_place, teams.contacts_per_fte)
        for j, numerator, denominator in self._ratios:  # every row: its own sums' ratio
            block[:, j] = block[:, numerator].sum(axis=1) / np.maximum(block[:, denominator].sum(axis=1), 1e-9)

        self.groups[week, :, :, 0] = by_group[:, :, POPULATION]
        self.groups[week, :, :, 1] = by_group[:, :, UNMET]
        self.groups[week, :, :, 2] = model.events.admissions_by_group
        self.recorded = max(self.recorded, week + 1)

    def _team_extremes(self, block, team_place: np.ndarray, per_team: np.ndarray) -> None:
        """Each Place's lowest and highest team (and the ICS's, over all teams) by contacts per FTE."""
        lowest, highest = (self._col[c] for c in PRODUCTIVITY_COLUMNS)
        n_places = len(self.place_names) - 1
        block[:n_places, lowest] = np.inf
        block[:n_places, highest] = -np.inf
        np.minimum.at(block[:, lowest], team_place, per_team)
        np.maximum.at(block[:, highest], team_place, per_team)
        block[n_places, lowest], block[n_places, highest] = per_team.min(), per_team.max()

    def _equity(self, row, unmet_by_dep, people_by_dep) -> None:
        col = self._col
        rate = 1000 * unmet_by_dep / np.maximum(people_by_dep, 1)
        most, least, gap = (col[c] for c in EQUITY_COLUMNS)
        row[:, most] = rate[:, 0]
        row[:, least] = rate[:, 4]
        row[:, gap] = rate[:, 0] - rate[:, 4]

    def frame(self) -> pd.DataFrame:
        """Long table: one row per week per Place (and ``ICS``)."""
        weeks, places, _ = self.data[: self.recorded].shape
        df = pd.DataFrame(self.data[: self.recorded].reshape(weeks * places, -1), columns=COLUMNS)
        df.insert(0, "place", np.tile(self.place_names, weeks))
        week = np.repeat(np.arange(weeks), places)
        df.insert(0, "year", week // WEEKS_PER_YEAR)
        df.insert(0, "week", week)
        return df

    def group_frame(self) -> pd.DataFrame:
        """ICS-level weekly population, unmet need and admissions by age band and deprivation quintile."""
        weeks = self.recorded
        rows = self.groups[:weeks].reshape(weeks * 25, len(GROUP_COLUMNS))
        df = pd.DataFrame(rows, columns=GROUP_COLUMNS)
        df.insert(0, "deprivation_quintile", np.tile(np.arange(1, 6), weeks * 5))
        df.insert(0, "age_band", np.tile(np.repeat(AGE_BAND_LABELS, 5), weeks))
        week = np.repeat(np.arange(weeks), 25)
        df.insert(0, "year", week // WEEKS_PER_YEAR)
        df.insert(0, "week", week)
        return df


def state_counts(model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """People by Place x age band x deprivation x setting x need (0/1) x rationed (0/1), and list sizes: one pass.

    One ``bincount`` by practice x age band x deprivation x code, where the code
    is setting x need x rationed; summing it over each Place's practices gives the
    state counts, and over the living gives each practice's list size.  Also
    returns each person's code, from which ``UNMET_BY_CODE`` tells whose need is
    unmet this week.  The key is the cached group (:func:`group_keys`) plus the
    code, in the narrowest integer type, and is counted in place (``np.add.at``).
    """
    pop = model.pop
    n_practices = len(model.practices)
    code = pop.setting * np.uint8(4)  # setting x need x rationed
    code += has_need(pop.acuity) * np.uint8(2)
    code += pop.rationed
    counts = np.zeros(n_practices * 5 * 5 * N_CODES, dtype=np.int64)
    np.add.at(counts, group_keys(model) + code, 1)  # (bincount would first copy the key to 64-bit integers)
    counts = counts.reshape(n_practices, 5, 5, N_SETTINGS, 2, 2)
    rows_of_place = model.topology.practice_rows_of_place
    if n_practices == len(rows_of_place):
        state = counts  # one practice per Place: its counts are the Place's
    else:  # each Place's practices are a run of rows (a sum of slices is quicker than np.add.reduceat here)
        state = np.stack([counts[rows].sum(axis=0) for rows in rows_of_place])
    list_sizes = counts.reshape(n_practices, 5 * 5, N_SETTINGS, 4)[:, :, IS_ALIVE].sum(axis=(1, 2, 3))
    return state, code, list_sizes


def group_keys(model) -> np.ndarray:
    """Each person's (practice x age band x deprivation) x ``N_CODES``.

    Cached: it changes only on birthdays and entry.
    """
    pop = model.pop
    n_keys = len(model.practices) * 5 * 5 * N_CODES
    dtype = np.uint16 if n_keys <= 2**16 else np.uint32

    def compute(idx):
        group = (pop.practice[idx].astype(np.int64) * 5 + AGE_BAND_TABLE[pop.age[idx]]) * 5 + pop.deprivation[idx]
        return {"key": (group * N_CODES).astype(dtype)}

    return pop.derived("metrics", compute)["key"]
