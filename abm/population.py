"""The patient population held as a structure of arrays (one row per person).

Patients are agents, but there are up to 1.5 million of them, so they are held
like Starsim's ``People``: one numpy array per attribute, compact dtypes, and
rules written once as array expressions (in ``agents/patient.py``).  A person is
a row; ``Population.view(i)`` gives a readable record of one person, including
the last settings they passed through.

Dead people and people who moved away keep their rows (so a journey can be
read after death); their ``setting`` is DEAD or LEFT and every rule skips them.

Organisations write to patients only through :meth:`Population.move` (a change
of care setting, recorded in the journey) or :meth:`Population.assign`; the
vectorised patient rules (``agents/patient.py``) and the end-of-week counters
may also update arrays in place.

Two caches keep the weekly passes short.  The patient rules and the metrics
keep per-person values that depend only on attributes that rarely change
(:data:`DERIVED_INPUTS`, see :meth:`Population.derived`): ``assign`` and ``add``
mark the rows they touch for recomputation, and a rule that changes one of
those attributes in place must call :meth:`Population.mark_changed`.  And
:meth:`Population.in_setting` answers "who is in this service setting?" from an
index kept by ``move``, so ``setting`` must change only through ``move`` (or
call :meth:`Population.rewritten`).  The object-per-patient reference
(``agents/reference.py``) replaces the patient rules and syncs its objects with
the arrays around them, so the organisations see the same interface either way.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class CodeEnum(IntEnum):
    """An integer code that numpy takes as fast as a plain int.

    numpy looks up ``__array_ufunc__`` and ``__array_function__`` on the type of
    each operand; on an enum, a miss goes through ``EnumType.__getattr__``, which
    on Python 3.11 made every comparison like ``pop.setting == Setting.ED`` about
    5 microseconds slower.  Declaring ndarray's own (which numpy then ignores)
    makes the lookup hit at once; results are unchanged.

    numpy still takes a member (an int subclass) as a 64-bit integer, so comparing
    a whole-population uint8 array with it first copies the array to 64 bits; the
    weekly scans over everyone, and the vectorised rules' masks, compare with
    ``.value`` (a plain int, compared in 8 bits) instead.  The booleans are the
    same.  The pure hazard functions the vectorised rules call with arrays
    (``death_prob``, ``escalate_prob``) compare with ``.value`` too; the others are
    read through cached tables, and keep the members.
    """

    __array_ufunc__ = np.ndarray.__array_ufunc__
    __array_function__ = np.ndarray.__array_function__


class Setting(CodeEnum):
    """Where a person is in the system this week."""

    HOME = 0  # at home without formal care (well, or with need not (yet) met)
    WAITING_GP = 1
    GP_MANAGED = 2
    WAITING_CHS = 3
    CHS_CASELOAD = 4
    VIRTUAL_WARD = 5
    ED = 6  # in ED or waiting for a bed (corridor care)
    ACUTE_BED = 7
    DELAYED_DISCHARGE = 8  # medically fit, waiting for CHS or social-care support
    DEAD = 9
    LEFT = 10  # moved out of the ICS


class Acuity(CodeEnum):
    WELL = 0
    LOW = 1
    HIGH = 2
    CRISIS = 3


class Support(CodeEnum):
    """What a medically fit inpatient needs before discharge."""

    NONE = 0
    CHS = 1
    SOCIAL_CARE = 2


N_SETTINGS = len(Setting)


def by_setting(values: dict) -> np.ndarray:
    """A table indexed by setting code, from a value for every :class:`Setting` (``table[pop.setting]``).

    Raises ``ValueError`` if a setting is missing (or a key is not a setting), so a new
    setting cannot silently fall through to a default."""
    if set(values) != set(Setting):
        missing = sorted(s.name for s in set(Setting) - set(values))
        extra = sorted(repr(k) for k in set(values) - set(Setting))
        raise ValueError(f"a table by setting needs every setting: missing {missing}, not settings {extra}")
    return np.array([values[s] for s in Setting])


def setting_table(members) -> np.ndarray:
    """Boolean table by setting code: True for the settings in ``members`` (``table[pop.setting]``)."""
    members = frozenset(Setting(m) for m in members)
    return by_setting({s: s in members for s in Setting})


def _first_codes(members, enum) -> int:
    """The last code of ``members``, checking they are exactly the first codes of ``enum`` (0 up to it).

    The predicates below compare with this plain int rather than look up a table: on a uint8
    array of 1.5 million settings, ``setting <= 5`` takes about 0.05 ms and ``table[setting]``
    1.5-2 ms, and the weekly passes scan everyone several times.  This check, at import, keeps
    the comparison tied to the explicit set: reordering the enum raises here instead of
    changing who counts."""
    codes = sorted(int(m) for m in members)
    if codes != list(range(len(codes))):
        raise ValueError(f"{sorted(enum(c).name for c in codes)} are not the first codes of {enum.__name__}")
    return codes[-1]


SETTING_LABELS = {
    Setting.HOME: "home",
    Setting.WAITING_GP: "waiting for GP",
    Setting.GP_MANAGED: "GP-managed",
    Setting.WAITING_CHS: "waiting for CHS",
    Setting.CHS_CASELOAD: "CHS caseload",
    Setting.VIRTUAL_WARD: "virtual ward",
    Setting.ED: "ED / awaiting a bed",
    Setting.ACUTE_BED: "acute bed",
    Setting.DELAYED_DISCHARGE: "medically fit, awaiting discharge",
    Setting.DEAD: "dead",
    Setting.LEFT: "moved away",
}
by_setting(SETTING_LABELS)  # a label for every setting

# Named sets of settings, and the predicates that test a code (or a uint8 array of codes) against them.
# Each predicate compares with a plain int (see CodeEnum and _first_codes); the sets say what they mean.
ALIVE = frozenset(Setting) - {Setting.DEAD, Setting.LEFT}  # alive and living in the ICS
OUTSIDE_HOSPITAL = frozenset(  # where need evolves (onset, escalation, resolution): not in ED or a bed
    {
        Setting.HOME,
        Setting.WAITING_GP,
        Setting.GP_MANAGED,
        Setting.WAITING_CHS,
        Setting.CHS_CASELOAD,
        Setting.VIRTUAL_WARD,
    }
)
COMMUNITY_SETTINGS = (Setting.HOME, Setting.WAITING_GP, Setting.GP_MANAGED, Setting.WAITING_CHS, Setting.CHS_CASELOAD)
IS_COMMUNITY = setting_table(COMMUNITY_SETTINGS)  # by setting: one of COMMUNITY_SETTINGS
IS_ALIVE = setting_table(ALIVE)  # by setting: one of ALIVE (for tables; rules call is_alive)
IN_NEED = frozenset({Acuity.LOW, Acuity.HIGH})  # need that the need rules move (a crisis goes to services)
_LAST_ALIVE = _first_codes(ALIVE, Setting)
_LAST_OUTSIDE_HOSPITAL = _first_codes(OUTSIDE_HOSPITAL, Setting)
_FIRST_IN_NEED, _LAST_IN_NEED = min(IN_NEED).value, max(IN_NEED).value
if {a for a in Acuity if _FIRST_IN_NEED <= a <= _LAST_IN_NEED} != IN_NEED:  # is_in_need tests a run of codes
    raise ValueError("IN_NEED must be a run of consecutive acuity codes")
_WELL = Acuity.WELL.value


def is_alive(setting):
    """Alive and living in the ICS: ``setting`` (a code, or an array of codes) is in :data:`ALIVE`."""
    return setting <= _LAST_ALIVE


def is_outside_hospital(setting):
    """Outside hospital, where need evolves: ``setting`` is in :data:`OUTSIDE_HOSPITAL` (HOME to VIRTUAL_WARD)."""
    return setting <= _LAST_OUTSIDE_HOSPITAL


def is_in_need(acuity):
    """Low or high need (not well, not in crisis): ``acuity`` is in :data:`IN_NEED`."""
    return (acuity >= _FIRST_IN_NEED) & (acuity <= _LAST_IN_NEED)


def has_need(acuity):
    """Any need: low, high or a crisis (``acuity`` is not WELL)."""
    return acuity != _WELL


# settings held by a minority, which Population.in_setting answers from an index
INDEXED_SETTINGS = frozenset(Setting) - {Setting.HOME, Setting.DEAD, Setting.LEFT}
MAX_PENDING = 256  # moves into an indexed setting kept between two queries, at most
INDEX_FROM = 20_000  # people: in smaller populations a pass over everyone is quicker than the index

AGE_BAND_EDGES = np.array([18, 65, 75, 85])  # bands 0-17, 18-64, 65-74, 75-84, 85+
AGE_BAND_LABELS = ("0-17", "18-64", "65-74", "75-84", "85+")
AGE_BAND_TABLE = np.searchsorted(AGE_BAND_EDGES, np.arange(256), side="right").astype(np.uint8)  # by year of age
HISTORY_LENGTH = 16  # settings remembered per person (the most recent)
# attributes that per-person cached values may depend on (see Population.derived)
DERIVED_INPUTS = frozenset({"age", "frailty", "ltc", "deprivation", "place", "practice"})

# attribute name -> dtype; every rule reads and writes these
FIELDS: dict[str, np.dtype] = {
    "age": np.dtype(np.uint8),
    "sex": np.dtype(np.uint8),  # 0 female, 1 male
    "place": np.dtype(np.uint8),
    "practice": np.dtype(np.uint16),
    "team": np.dtype(np.uint16),
    "deprivation": np.dtype(np.uint8),  # quintile, 0 most deprived .. 4 least
    "frailty": np.dtype(np.float32),  # eFI-like, 0..1
    "frailty_acquired": np.dtype(np.float32),  # the part of frailty hospital stays added, not yet regained
    "ltc": np.dtype(np.uint8),  # long-term conditions
    "acuity": np.dtype(np.uint8),
    "setting": np.dtype(np.uint8),
    "weeks_in_setting": np.dtype(np.uint16),
    "weeks_unmet": np.dtype(np.uint16),  # cumulative person-weeks of unmet need
    "will_seek": np.dtype(np.bool_),  # this episode will be taken to a GP
    "rationed": np.dtype(np.bool_),  # turned away by a service this episode
    "proactive": np.dtype(np.bool_),  # on CHS proactive care
    "social_care": np.dtype(np.bool_),  # holds a council care package
    "self_care": np.dtype(np.bool_),  # managing a minor need with pharmacy advice, not having seen a GP
    "package_ends": np.dtype(np.uint16),  # model week in which the package ends (drawn when it starts)
    "support_needed": np.dtype(np.uint8),  # Support, for inpatients
    "los_days": np.dtype(np.float32),  # remaining days in bed until medically fit
    "entered_week": np.dtype(np.int16),  # model week of entry (-1 for the starting population)
}


def age_band(age: np.ndarray) -> np.ndarray:
    """Age band index 0..4 for ages (bands 0-17, 18-64, 65-74, 75-84, 85+)."""
    return np.searchsorted(AGE_BAND_EDGES, age, side="right").astype(np.uint8)


class SettingIndex:
    """Who is in each service setting (:data:`INDEXED_SETTINGS`), kept from the moves, so no full scan is needed.

    For each setting it keeps a sorted array holding everyone in it when last
    asked (some may have left since) and the people moved into it since; a
    query merges the two and keeps those still there.  Settings never asked for,
    or all of them after :meth:`reset`, start from a full scan.
    """

    def __init__(self):
        self.members: dict[int, np.ndarray] = {}
        self.arrivals: dict[int, list[np.ndarray]] = {}

    def reset(self) -> None:
        """Forget everything (the settings were rewritten other than by moves)."""
        self.members.clear()
        self.arrivals.clear()

    def moved(self, idx: np.ndarray, setting) -> None:
        """People ``idx`` were moved to ``setting`` (one setting, or one per person)."""
        if isinstance(setting, np.ndarray) and setting.ndim:
            for tracked in list(self.members):
                self._arrived(tracked, idx[setting == tracked])
        elif int(setting) in self.members:
            self._arrived(int(setting), idx.copy())

    def _arrived(self, setting: int, idx: np.ndarray) -> None:
        arrivals = self.arrivals[setting]
        arrivals.append(idx)
        if len(arrivals) > MAX_PENDING:  # a setting nobody asks about: stop tracking it
            del self.members[setting], self.arrivals[setting]

    def query(self, setting_now: np.ndarray, setting: int) -> np.ndarray:
        """Sorted indices of the people whose ``setting_now`` is ``setting`` (read-only)."""
        if setting not in self.members:
            found = (setting_now == setting).nonzero()[0]
        else:
            found = self.members[setting]
            if self.arrivals[setting]:
                found = np.concatenate([found, *self.arrivals[setting]])
                found.sort(kind="stable")  # merges the sorted runs
                first = np.empty(found.size, dtype=bool)
                first[:1] = True
                np.not_equal(found[1:], found[:-1], out=first[1:])
                found = found[first]
            found = found[setting_now[found] == setting]
        found.flags.writeable = False
        self.members[setting] = found
        self.arrivals[setting] = []
        return found


class DerivedCache:
    """One owner's cached per-person values (name -> array of the population's capacity) and the rows to recompute."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.changed: list[np.ndarray] = []
        self.everyone = True  # recompute every row (new cache, or a change to all rows)

    def mark(self, idx: np.ndarray | None) -> None:
        if idx is None:
            self.everyone = True
        elif not self.everyone:
            self.changed.append(idx)

    def take_changed(self, n: int) -> np.ndarray | None:
        """The rows to recompute now (None if none), and forget them."""
        rows: np.ndarray | None
        if self.everyone:
            rows = np.arange(n)
        elif self.changed:
            rows = np.concatenate(self.changed)
        else:
            rows = None
        self.changed = []
        self.everyone = False
        return rows


class Population:
    """Structure-of-arrays patient store with amortised growth and per-person journeys."""

    # each attribute of FIELDS: a view of its array cut to the n people (set by _refresh_views)
    age: np.ndarray
    sex: np.ndarray
    place: np.ndarray
    practice: np.ndarray
    team: np.ndarray
    deprivation: np.ndarray
    frailty: np.ndarray
    frailty_acquired: np.ndarray
    ltc: np.ndarray
    acuity: np.ndarray
    setting: np.ndarray
    weeks_in_setting: np.ndarray
    weeks_unmet: np.ndarray
    will_seek: np.ndarray
    rationed: np.ndarray
    proactive: np.ndarray
    social_care: np.ndarray
    self_care: np.ndarray
    package_ends: np.ndarray
    support_needed: np.ndarray
    los_days: np.ndarray
    entered_week: np.ndarray

    def __init__(self, capacity: int):
        capacity = max(int(capacity), 16)
        self.n = 0
        self._data = {name: np.zeros(capacity, dtype=dt) for name, dt in FIELDS.items()}
        self._hist_setting = np.zeros((capacity, HISTORY_LENGTH), dtype=np.uint8)
        self._hist_week = np.zeros((capacity, HISTORY_LENGTH), dtype=np.int16)
        self._hist_count = np.zeros(capacity, dtype=np.uint16)
        self._derived: dict[str, DerivedCache] = {}  # owner -> its cached per-person values (see ``derived``)
        self._index = SettingIndex()
        self.week = 0  # the model's absolute week, for journeys
        self._refresh_views()

    # ---- array access -------------------------------------------------
    def _refresh_views(self) -> None:
        """``pop.age``, ``pop.setting``...: each attribute's array cut to the ``n`` people, as plain attributes
        (and the journeys flattened to one cell per person x slot, for :meth:`move` to write)."""
        for name, arr in self._data.items():
            self.__dict__[name] = arr[: self.n]
        self._hist_setting_cells = self._hist_setting.reshape(-1)
        self._hist_week_cells = self._hist_week.reshape(-1)

    def in_setting(self, setting: int) -> np.ndarray:
        """Sorted indices of the people now in ``setting``: ``np.flatnonzero(pop.setting == setting)``.

        Service settings (:data:`INDEXED_SETTINGS`) are answered from an index kept
        by :meth:`move`, without a pass over everyone (in populations of at least
        :data:`INDEX_FROM`; below that a pass is quicker).  The array is read-only.
        """
        if self.n >= INDEX_FROM and setting in INDEXED_SETTINGS:
            return self._index.query(self.setting, int(setting))
        return (self.setting == int(setting)).nonzero()[0]

    def rewritten(self) -> None:
        """The arrays were rewritten wholesale (not through ``assign``/``move``): rebuild every cache."""
        self.mark_changed()
        self._index.reset()

    def alive(self) -> np.ndarray:
        """Boolean mask of people alive and living in the ICS."""
        return is_alive(self.setting)

    def assign(self, field: str, idx: np.ndarray, values) -> None:
        """Set an attribute for the people ``idx``."""
        self._data[field][idx] = values
        if field in DERIVED_INPUTS:
            self.mark_changed(idx)

    def mark_changed(self, idx: np.ndarray | None = None) -> None:
        """The rows ``idx`` (all rows if None) changed an attribute in :data:`DERIVED_INPUTS`."""
        if idx is not None:
            idx = np.array(idx)  # a copy: the caller may reuse its array
            idx = np.flatnonzero(idx) if idx.dtype == bool else idx.ravel()
        for cache in self._derived.values():
            cache.mark(idx)

    def derived(self, owner: str, compute) -> dict[str, np.ndarray]:
        """Per-person values that ``owner`` derives from :data:`DERIVED_INPUTS`, cached and brought up to date.

        ``compute(idx)`` gives ``{name: values}`` for the people ``idx``; it is
        called only for the rows added or changed (see :meth:`mark_changed`) since
        ``owner``'s last call, so a rate computed from, say, age and frailty costs
        nothing in the weeks a person's age and frailty stay the same.  Returns
        arrays of length ``n``.
        """
        cache = self._derived.setdefault(owner, DerivedCache())
        rows = cache.take_changed(self.n)
        if rows is not None:
            for name, values in compute(rows).items():
                if name not in cache.arrays:
                    cache.arrays[name] = np.zeros(len(self._data["age"]), dtype=np.asarray(values).dtype)
                cache.arrays[name][rows] = values
        return {name: arr[: self.n] for name, arr in cache.arrays.items()}

    def move(self, idx: np.ndarray, setting: int | np.ndarray) -> None:
        """Move people ``idx`` to a care setting, resetting their weeks there and recording the journey."""
        idx = np.asarray(idx, dtype=np.int64)
        if idx.size == 0:
            return
        if not isinstance(setting, np.ndarray):
            setting = int(setting)  # a plain int is written faster than an enum member (the same value)
        self.setting[idx] = setting
        self.weeks_in_setting[idx] = 0
        if self.n >= INDEX_FROM:
            self._index.moved(idx, setting)
        elif self._index.members:
            self._index.reset()
        count = self._hist_count[idx]
        cell = idx * HISTORY_LENGTH  # (person, slot) in the flattened journeys
        cell += count % HISTORY_LENGTH
        self._hist_setting_cells[cell] = setting
        self._hist_week_cells[cell] = self.week
        count += 1
        self._hist_count[idx] = count

    def add(self, count: int, **values) -> np.ndarray:
        """Append ``count`` people with the given attribute values; return their indices."""
        start = self.n
        self._ensure_capacity(start + count)
        self.n = start + count
        rows = slice(start, start + count)
        for name, value in values.items():  # the other attributes stay 0: rows past ``n`` are never written
            self._data[name][rows] = value
        self._refresh_views()
        idx = np.arange(start, start + count)
        self.move(idx, values.get("setting", Setting.HOME))
        self.mark_changed(idx)
        return idx

    def _ensure_capacity(self, needed: int) -> None:
        capacity = len(self._data["age"])
        if needed <= capacity:
            return
        new_capacity = max(needed, int(capacity * 1.25) + 16)
        for name in (*self._data, "_hist_setting_cells", "_hist_week_cells"):  # drop the views first: they
            del self.__dict__[name]  # would keep every old array alive until the end
        for arrays in (self._data, *(cache.arrays for cache in self._derived.values())):
            for name, arr in arrays.items():
                arrays[name] = _grown(arr, new_capacity)
        for name in ("_hist_setting", "_hist_week", "_hist_count"):
            setattr(self, name, _grown(getattr(self, name), new_capacity))
        self._refresh_views()

    # ---- reading one person -------------------------------------------
    def journey(self, i: int) -> list[tuple[int, str]]:
        """The (model week, setting label) pairs person ``i`` passed through, oldest first (last 16)."""
        count = int(self._hist_count[i])
        order = [(count - k - 1) % HISTORY_LENGTH for k in range(min(count, HISTORY_LENGTH))][::-1]
        return [(int(self._hist_week[i, s]), SETTING_LABELS[Setting(int(self._hist_setting[i, s]))]) for s in order]

    def view(self, i: int) -> dict:
        """A readable record of one person."""
        if not 0 <= i < self.n:
            raise IndexError(f"patient {i} does not exist; patients are numbered 0..{self.n - 1}")
        row = {name: self._data[name][i].item() for name in FIELDS}
        row["id"] = int(i)
        row["age_band"] = AGE_BAND_LABELS[int(age_band(np.array([row["age"]]))[0])]
        row["sex"] = "male" if row["sex"] else "female"
        row["deprivation_quintile"] = row.pop("deprivation") + 1
        row["acuity"] = Acuity(row["acuity"]).name.lower()
        row["setting"] = SETTING_LABELS[Setting(row["setting"])]
        row["support_needed"] = Support(row["support_needed"]).name.lower()
        row["frailty"] = round(row["frailty"], 3)
        row["los_days"] = round(row["los_days"], 1)
        row["journey"] = self.journey(i)
        return row

    def nbytes(self) -> int:
        """Bytes held by the arrays: attributes, journeys and cached values."""
        cached = sum(a.nbytes for cache in self._derived.values() for a in cache.arrays.values())
        journeys = self._hist_setting.nbytes + self._hist_week.nbytes + self._hist_count.nbytes
        return sum(a.nbytes for a in self._data.values()) + journeys + cached


def _grown(arr: np.ndarray, capacity: int) -> np.ndarray:
    """A copy of ``arr`` with ``capacity`` rows, the new ones zero."""
    grown = np.zeros((capacity, *arr.shape[1:]), dtype=arr.dtype)
    grown[: len(arr)] = arr
    return grown
