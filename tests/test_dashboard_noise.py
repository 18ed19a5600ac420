"""The cards' noise bands (issue 16): the band's arithmetic, the words on the cards, the pool's low-priority
lane of replicate runs (shared, replaced, forgotten), and a session asking for them once its levers settle."""

from __future__ import annotations

import re
import statistics
from concurrent.futures import Future, ThreadPoolExecutor, wait

import numpy as np
import pytest

from abm.metrics import COLUMNS
from dashboard import noise
from dashboard.figures import CARDS
from dashboard.noise import Band, band, card_bands, replicate_seeds
from dashboard.panels import cards_html
from dashboard.state import BaselinePool, SessionRunner, Settings, replay
from tests.conftest import GatedRuns

SMALL = dict(population=4000, years=1, seed=5)
COL = {name: i for i, name in enumerate(COLUMNS)}
CARD_KEYS = [card.key for card in CARDS]


# --------------------------------------------------------------------------- the band
def test_the_band_is_the_change_plus_or_minus_two_sds_of_the_replicate_changes():
    replicates = [1.0, 2.0, 3.0, 4.0]
    sd = statistics.stdev(replicates)  # 1.29
    beyond = band(3.0, replicates)
    assert beyond == Band(3.0, 2 * sd, 4)
    assert beyond.low == pytest.approx(3.0 - 2 * sd) and beyond.high == pytest.approx(3.0 + 2 * sd)
    assert not beyond.within_noise  # 3.0 - 2.58 > 0
    assert band(2.0, replicates).within_noise  # 2.0 - 2.58 < 0 < 2.0 + 2.58
    assert band(-2.0, replicates).within_noise and not band(-3.0, replicates).within_noise
    assert band(0.0, [0.0, 0.0]).within_noise  # no change and no noise: the band is the single point zero
    assert band(1.0, [5.0]) is None and band(1.0, []) is None  # one replicate gives no spread


def test_replicate_seeds_follow_the_session_seed_so_a_reload_gives_the_same_band():
    assert replicate_seeds(5, 4) == [6, 7, 8, 9] == replicate_seeds(5, 4)
    assert replicate_seeds(1, 0) == []


def test_replicates_and_their_option_are_bounded():
    assert noise.replicates_from_env({}) == noise.DEFAULT_REPLICATES
    assert noise.replicates_from_env({noise.ENV_REPLICATES: "0"}) == 0
    assert noise.replicates_from_env({noise.ENV_REPLICATES: "99"}) == noise.DEFAULT_REPLICATES
    assert noise.check_replicates_option(3) is None and noise.check_replicates_option(0) is None
    message = noise.check_replicates_option(9)
    assert (
        message.startswith("--noise-replicates 9 is out of range; allowed: 0") and str(noise.MAX_REPLICATES) in message
    )


def test_the_dashboard_command_refuses_too_many_replicates_and_passes_the_number_to_the_server(capsys):
    from abm.cli import main
    from dashboard.cli import server_env

    assert main(["dashboard", "--noise-replicates", "50"]) == 2
    assert "--noise-replicates 50 is out of range" in capsys.readouterr().err
    assert server_env(noise_replicates=0)[noise.ENV_REPLICATES] == "0"


# --------------------------------------------------------------------------- the cards
def weeks(admissions: float, weeks: int = 52) -> np.ndarray:
    """A made-up ICS run: every column 1 a week, 1,000 people, ``admissions`` emergency admissions a week."""
    data = np.ones((weeks, 1, len(COLUMNS)))
    data[:, :, COL["population"]] = 1000.0
    data[:, :, COL["emergency_admissions"]] = admissions
    data[:, :, COL["admission_demand"]] = admissions
    return data


def admissions_card(cards: str) -> str:
    return re.search(r"<div class='headline-card card-admissions'.*?(?=<div class='headline-card|$)", cards).group(0)


def test_a_change_inside_its_band_says_within_noise_in_words_and_icon_and_is_neither_better_nor_worse():
    base = weeks(10.0)
    # replicate admissions changes of 0, +2, +4, +6 a week: 0, 104, 208, 312 per 1,000 a year (SD 134.6)
    pairs = [(weeks(10.0 + d), weeks(10.0)) for d in (0.0, 2.0, 4.0, 6.0)]
    small = admissions_card(cards_html(weeks(12.0), base, ("ready", pairs)))  # +104 a year, band ±269
    assert "data-noise='within'" in small and "Within noise ±269" in small
    assert "mdi-approximately-equal" in small
    assert "data-verdict=''" in small and "Higher: +104" in small and "Worse" not in small
    large = admissions_card(cards_html(weeks(20.0), base, ("ready", pairs)))  # +520 a year
    assert "data-noise='beyond'" in large and "Beyond noise ±269" in large
    assert "data-verdict='worse'" in large and "Worse: +520" in large
    assert "its noise band +251 to +789" in large and "standard deviation" in large  # the tooltip says what it is


def test_until_the_replicates_arrive_each_card_says_its_noise_is_being_estimated():
    cards = cards_html(weeks(12.0), weeks(10.0), ("estimating", []))
    assert cards.count("Noise: estimating...") == 6 and "Within noise" not in cards
    assert "Noise" not in cards_html(weeks(12.0), weeks(10.0), ("off", []))  # bands turned off
    assert "Noise" not in cards_html(weeks(12.0), None, ("estimating", []))  # no baseline yet: nothing to band
    failed = cards_html(weeks(12.0), weeks(10.0), ("failed: the noise estimate failed: boom", []))
    assert failed.count("Noise: not known") == 6 and "boom" in failed


def test_card_bands_use_the_weeks_the_card_shows():
    policy, base = weeks(12.0, 104), weeks(10.0, 104)
    policy[:52, :, COL["emergency_admissions"]] = 10.0  # no change in the first year
    replicate = (policy.copy(), base.copy())
    changes = {"admissions": 104.0}
    first, second = card_bands(changes, [replicate, replicate], 0, 52), card_bands(changes, [replicate] * 2, 52, 104)
    assert first["admissions"] == Band(104.0, 0.0, 2) == second["admissions"]  # identical replicates: no spread
    longer = card_bands(changes, [(weeks(12.0, 40), weeks(10.0, 40))] * 2, 52, 104)
    assert longer["admissions"] is None  # replicates shorter than the card's weeks give no band


# --------------------------------------------------------------------------- the pool's low-priority lane
def runs(*names) -> list:
    return [({"name": n}, []) for n in names]


def test_replicate_runs_wait_for_every_sessions_own_baseline_and_take_turns():
    gate = GatedRuns()
    pool = BaselinePool(run=gate, make_executor=ThreadPoolExecutor)
    pool.submit({"name": "busy"}, [], owner="X")
    gate.wait_started(1)
    a = pool.submit_background(runs("a1", "a2"), owner="A")
    b = pool.submit_background(runs("b1"), owner="B")
    own = pool.submit({"name": "c-baseline"}, [], owner="C")  # asked last, runs first
    assert pool.waiting() == 1 and pool.waiting_background() == 3
    gate.gate.set()
    done, _ = wait([*a, *b, own], timeout=10)
    assert len(done) == 4
    assert gate.started == ["busy", "c-baseline", "a1", "b1", "a2"]  # baselines first; sessions in turn
    pool.shutdown()


def test_a_newer_request_replaces_a_sessions_waiting_replicates_and_shares_anothers():
    gate = GatedRuns()
    pool = BaselinePool(run=gate, make_executor=ThreadPoolExecutor)
    pool.submit({"name": "busy"}, [], owner="X")
    gate.wait_started(1)
    old = pool.submit_background(runs("old-policy", "shared-base"), owner="A")
    other = pool.submit_background(runs("b-policy", "shared-base"), owner="B")
    assert other[1] is old[1]  # the same replicate baseline: one run for both sessions
    new = pool.submit_background(runs("new-policy", "shared-base"), owner="A")  # A moved a lever again
    assert old[0].cancelled() and not old[1].cancelled() and new[1] is old[1]
    pool.forget("B")  # B's browser closed
    assert other[0].cancelled() and not new[1].cancelled()  # A still waits for the shared baseline
    newer = pool.submit_background(runs("newest-policy", "shared-base"), owner="A")  # alone now, A asks again
    assert new[0].cancelled() and newer[1] is new[1] and not new[1].cancelled()  # its baseline run is kept
    new = newer
    gate.gate.set()
    wait(new, timeout=10)
    assert sorted(gate.started) == ["busy", "newest-policy", "shared-base"]
    again = pool.submit_background(runs("newest-policy"), owner="C")
    assert again[0] is new[0] and again[0].done()  # finished runs are cached for everyone
    pool.forget("A")
    assert pool.waiting_background() == 0
    pool.shutdown()


def test_a_replicate_run_over_the_limits_is_refused():
    from abm.config import ConfigError
    from dashboard.limits import Limits

    pool = BaselinePool(run=GatedRuns(), make_executor=ThreadPoolExecutor, limits=Limits(population=20_000))
    with pytest.raises(ConfigError):
        pool.submit_background([({"name": "big", "population": 200_000}, [])], owner="A")
    assert pool.waiting_background() == 0
    pool.shutdown()


# --------------------------------------------------------------------------- a session's request
class BackgroundPool:
    """Stands in for the pool: baselines are recorded; replicate runs are futures finished by ``finish``."""

    def __init__(self):
        self.submitted, self.background = [], []

    def submit(self, scenario, changes, owner=None):
        self.submitted.append((scenario, changes))
        return None

    def submit_background(self, runs, owner):
        futures = [Future() for _ in runs]
        self.background.append((owner, runs, futures))
        return futures

    def finish(self):
        for _, runs, futures in self.background:
            for (scenario, changes), future in zip(runs, futures, strict=True):
                if not future.done():
                    future.set_result(replay(scenario, changes))


def small_runner(pool, replicates=3, **run) -> SessionRunner:
    settings = Settings.from_preset("funding_shift_core", **{**SMALL, **run})
    settings.scenario["burn_in_weeks"] = 8
    runner = SessionRunner(settings, pool=pool, replicates=replicates)
    runner.reset()
    return runner


def test_a_session_asks_for_both_arms_of_each_replicate_seed_once_its_levers_settle():
    pool = BackgroundPool()
    runner = small_runner(pool)
    assert runner.noise_pairs() == ("estimating", [])
    first = runner.request_noise(force=True)
    ((owner, asked, _),) = pool.background
    assert owner == runner.owner and first.seeds == [6, 7, 8]
    policy, base = asked[0::2], asked[1::2]
    assert [s["seed"] for s, _ in policy] == [6, 7, 8] == [s["seed"] for s, _ in base]
    assert all(s["levers"]["funding_shift_pct"] == 3 for s, _ in policy)  # this run's levers
    assert all(s == {**runner.baseline.scenario, "seed": s["seed"]} for s, _ in base)  # its baseline's
    assert runner.request_noise(force=True) is None  # already asked for these levers: nothing new
    runner.advance(4)
    runner.set_lever("recruitment_multiplier", 2.0)
    assert runner.noise_pairs() == ("estimating", [])  # the old band is for other levers
    assert runner.request_noise() is None  # not settled yet: a drag goes on sending changes
    runner.changed_at -= noise.SETTLE_SECONDS + 1  # as if the lever had settled
    again = runner.request_noise()
    assert again is not None and len(pool.background) == 2
    assert all(changes == [(4, "recruitment_multiplier", 2.0)] for _, changes in pool.background[1][1][0::2])
    pool.finish()
    assert runner.poll_noise()
    state, pairs = runner.noise_pairs()
    assert state == "ready" and len(pairs) == 3


def test_no_bands_without_replicates_or_a_pool():
    assert small_runner(BackgroundPool(), replicates=0).request_noise(force=True) is None
    runner = small_runner(None)
    assert runner.request_noise(force=True) is None and runner.noise_pairs() == ("off", [])


def test_the_replicates_are_the_same_runs_with_the_next_seeds_and_give_each_card_a_band():
    """With the real model in a thread pool: each replicate is the run a session with that seed would play
    (common random numbers between its arms), and every card of a played year gets a band."""
    pool = BaselinePool(make_executor=ThreadPoolExecutor)
    runner = small_runner(pool, replicates=2)
    runner.baseline.future.result(timeout=120)
    runner.poll_baseline()
    runner.set_lever("acute_beds_multiplier", 0.6)  # from week 0 (the preset's own shift starts in year 1)
    runner.advance(52)
    noise_request = runner.request_noise(force=True)
    wait([f for pair in noise_request.futures for f in pair], timeout=300)
    assert runner.poll_noise()
    state, pairs = runner.noise_pairs()
    assert state == "ready"
    seed6 = {**runner.current_scenario.to_dict(), "seed": 6}
    np.testing.assert_array_equal(pairs[0][0], replay(seed6, [(0, "acute_beds_multiplier", 0.6)]))
    cards = cards_html(runner.data(), runner.baseline.data, (state, pairs))
    assert cards.count("data-noise='within'") + cards.count("data-noise='beyond'") >= 5
    assert "estimating" not in cards
    pool.shutdown()


def test_the_population_table_says_whether_a_storys_card_separates_from_noise():
    from dashboard.noise_measure import STORIES, Measured, markdown

    assert {card for _, card, _ in STORIES} <= set(CARD_KEYS) and all(0 <= year < 5 for _, _, year in STORIES)
    clear = Measured("funding_shift_core", "admissions", 10_000, 4, True, [-3.0, -3.5, -2.5, -3.2])
    assert clear.separated and clear.cards_within_noise == 0  # mean -3.05, band ±0.84
    vague = Measured("addon_virtual_wards", "occupancy", 10_000, 2, True, [-0.004, 0.002, -0.006, 0.0])
    assert not vague.separated and vague.cards_within_noise == 4
    other = Measured("addon_virtual_wards", "admissions", 10_000, 2, False, [1.0, 2.0])
    table = markdown([clear, vague, other])
    assert "| `funding_shift_core` | Emergency admissions (year 4) | 10,000 | -3.05 | ±0.84 | yes | 0 of 4 |" in table
    assert "| Bed occupancy (year 2) | 10,000 | -0.2 points | ±0.7 points | no | 4 of 4 |" in table
    assert "admissions (year 2)" not in table  # only each story's main card
