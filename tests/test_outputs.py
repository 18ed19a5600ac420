"""Output folders of `abm run`: all-or-nothing sets, stale temporaries, safe paths, interruption.

An output folder holds one complete set or nothing: the files are written into a work
folder beside it and swapped in at the end (abm.runner.write_outputs).  These tests
interrupt a run at every step, in this process (an exception or a signal raised inside
write_outputs) and for real (``python -m abm run`` killed with SIGTERM, SIGINT or
SIGKILL while it runs and while it writes), and check that the folder then holds the
earlier run or the new one, each file of the same run, and no temporary anything.

Runs are small (2,000 people, one year, 8 burn-in weeks: about a second each).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest

from abm import cli, provenance, runner

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--population", "2000", "--years", "1", "--set", "burn_in_weeks=8", "--quiet"]
FILES = sorted(runner.OUTPUT_FILES)


def run(out: Path, seed: int, *extra: str) -> int:
    """``abm run`` in this process."""
    return cli.main(["run", *SMALL, "--seed", str(seed), "--out", str(out), *extra])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in a folder, by name (sub-folders by name only)."""
    return {p.name: (p.read_bytes() if p.is_file() else b"<dir>") for p in sorted(folder.iterdir())}


def leftovers(parent: Path) -> list[str]:
    """Work folders and temporary files anywhere under ``parent``."""
    return sorted(
        str(p.relative_to(parent))
        for p in parent.rglob(".*")
        if runner.WORK_DIR.match(p.name) or provenance.ATOMIC_TMP.match(p.name)
    )


def seed_of(folder: Path) -> int:
    return json.loads((folder / "run.json").read_text())["seed"]


def dead_pid() -> int:
    """The id of a process that has just ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(done.stdout)
    assert not provenance.pid_alive(pid)
    return pid


@pytest.fixture(autouse=True)
def ctrl_c_interrupts():
    """Ctrl+C raises KeyboardInterrupt here, as at a terminal, even where pytest was started in the background
    (a non-interactive shell's background job starts with SIGINT ignored, and Python then leaves it so)."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before if before is not None else signal.SIG_DFL)


def sigint_as_at_a_terminal() -> None:
    """In a child before it starts: SIGINT at its default action, so Python installs its KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> dict[int, dict[str, bytes]]:
    """The complete output set of the runs with seeds 3 and 5 (run.json aside, which records times)."""
    base = tmp_path_factory.mktemp("references")
    sets = {}
    for seed in (3, 5):
        assert run(base / str(seed), seed) == 0
        sets[seed] = snapshot(base / str(seed))
    return sets


def assert_one_complete_run(folder: Path, references: dict[int, dict[str, bytes]]) -> int:
    """``folder`` holds exactly one run's complete set, every file from that run; return its seed."""
    assert sorted(p.name for p in folder.iterdir()) == FILES
    seed = seed_of(folder)
    files = snapshot(folder)
    for name, data in references[seed].items():
        if name != "run.json":
            assert files[name] == data, f"{name} is not from the run with seed {seed}"
    assert json.loads(files["summary.json"])["population"] == 2000
    return seed


@pytest.fixture
def earlier(tmp_path, references) -> Path:
    """``tmp_path/out`` holding a complete earlier run (seed 3)."""
    out = tmp_path / "out"
    assert run(out, 3) == 0
    return out


@pytest.fixture
def no_model(monkeypatch):
    """Fail the test if a model is built: checks must come before the run."""

    def refuse(*args, **kwargs):
        raise AssertionError("the model ran before the output folder was checked")

    monkeypatch.setattr("abm.model.ICSModel.__init__", refuse)


# --------------------------------------------------------------------------- safe names and default paths
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("baseline", "baseline"),
        ("case_study-ics.v2", "case_study-ics.v2"),
        ("../../etc", "etc"),
        ("a/../../b", "a_._._b"),
        ("My scenario (v2)", "My_scenario_v2"),
        (".hidden", "hidden"),
        ("-rf", "rf"),
        ("..", "run"),
        ("", "run"),
        (None, "run"),
        ("Ünïcødé/名前", "n_c_d"),
        ("x" * 200, "x" * 60),
    ],
)
def test_safe_name(name, expected):
    safe = runner.safe_name(name)
    assert safe == expected
    assert ".." not in safe and "/" not in safe and not safe.startswith((".", "-")) and len(safe) <= 60


def test_default_out_dir_stays_in_runs_and_never_reuses_a_folder(tmp_path):
    now = datetime(2025, 3, 1, 9, 30, 5)
    root = tmp_path / "runs"
    first = runner.default_out_dir("../../etc", root=root, now=now)
    assert first == root / "etc-20250301-093005"
    first.mkdir(parents=True)
    assert runner.default_out_dir("../../etc", root=root, now=now) == root / "etc-20250301-093005-2"


def test_a_scenario_named_dot_dot_is_written_inside_runs(tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "escape.yaml").write_text(
        "name: ../../escape\ndescription: x\npopulation: 2000\nyears: 1\nburn_in_weeks: 8\n"
    )
    assert cli.main(["run", "escape.yaml", "--quiet"]) == 0
    written = [p for p in (work / "runs").iterdir()]
    assert len(written) == 1 and written[0].name.startswith("escape-")
    assert sorted(p.name for p in written[0].iterdir()) == FILES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]  # nothing escaped
    assert capsys.readouterr().out.strip() == f"outputs: {Path('runs') / written[0].name}"


# --------------------------------------------------------------------------- refused before the run
def test_empty_out_is_refused(tmp_path, monkeypatch, capsys, no_model):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", *SMALL, "--out", ""]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out is empty") and "runs/demo" in err
    assert list(tmp_path.iterdir()) == []


def test_current_folder_is_refused(tmp_path, monkeypatch, capsys, no_model):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", *SMALL, "--out", "."]) == 2
    assert "is the current folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_out_under_a_file_is_found_before_the_run(tmp_path, capsys, no_model):
    """A path under a regular file cannot be created, by root too."""
    (tmp_path / "somefile").write_text("x")
    out = tmp_path / "somefile" / "out"
    assert cli.main(["run", *SMALL, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--out {str(out)!r}" in err and "is a file, so no folder can be created under it" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def unwritable_parent(kind: str, tmp_path: Path) -> Path:
    if kind == "read-only folder":
        if os.name != "posix" or os.geteuid() == 0:
            pytest.skip("root (or Windows) writes into a read-only folder anyway")
        parent = tmp_path / "locked"
        parent.mkdir()
        parent.chmod(0o555)
        return parent
    parent = Path("/sys")  # refuses new entries even to root
    if not parent.is_dir():
        pytest.skip("no /sys")
    try:
        (parent / "abm-probe").mkdir()
    except OSError:
        return parent
    (parent / "abm-probe").rmdir()
    pytest.skip("/sys is writable here")


@pytest.mark.parametrize("kind", ["read-only folder", "/sys"])
def test_unwritable_out_is_found_before_the_run(kind, tmp_path, capsys, no_model):
    parent = unwritable_parent(kind, tmp_path)
    out = parent / "out"
    try:
        assert cli.main(["run", *SMALL, "--out", str(out)]) == 2
    finally:
        if kind == "read-only folder":
            parent.chmod(0o755)
    err = capsys.readouterr().err
    assert f"--out {str(out)!r}: cannot write in {parent}" in err
    assert not out.exists() and "Traceback" not in err


def test_an_earlier_run_is_replaced_only_with_force(earlier, capsys, no_model):
    before = snapshot(earlier)
    assert run(earlier, 5) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: --out {str(earlier)!r} holds an earlier run's outputs; add --force to replace them, "
        "or give another folder\n"
    )
    assert snapshot(earlier) == before


def test_force_replaces_an_earlier_run_whole(earlier, references, capsys):
    assert run(earlier, 5, "--force") == 0
    assert assert_one_complete_run(earlier, references) == 5
    assert leftovers(earlier.parent) == [] and sorted(p.name for p in earlier.parent.iterdir()) == ["out"]


@pytest.mark.parametrize("foreign", ["notes.txt", "figures/"])
def test_files_abm_did_not_write_are_never_replaced(earlier, foreign, capsys, no_model):
    if foreign.endswith("/"):
        (earlier / foreign).mkdir()
    else:
        (earlier / foreign).write_text("mine")
    before = snapshot(earlier)
    for extra in ([], ["--force"]):
        assert run(earlier, 5, *extra) == 2
        err = capsys.readouterr().err
        assert "holds files that are not an abm run's outputs" in err and foreign.rstrip("/") in err
        assert snapshot(earlier) == before


def test_an_empty_folder_is_used(tmp_path, references, capsys):
    out = tmp_path / "empty"
    out.mkdir()
    assert run(out, 5) == 0
    assert assert_one_complete_run(out, references) == 5


def test_an_unfinished_earlier_run_is_named_as_such(tmp_path, capsys, no_model):
    """A set without run.json (left by an older version, say) is ours: refused without --force, named."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.csv").write_text("week\n0\n")
    assert run(out, 5) == 2
    assert "holds an unfinished earlier run's outputs (no run.json); add --force" in capsys.readouterr().err


def test_run_scenario_checks_out_dir_before_running(earlier, no_model):
    with pytest.raises(runner.OutputExists):
        runner.run_scenario("baseline", out_dir=earlier, overrides=["population=2000"])


# --------------------------------------------------------------------------- interrupted in this process
def interrupt_after(monkeypatch, calls: int, error: BaseException) -> None:
    """Raise ``error`` from write_outputs when it writes its file number ``calls`` + 1."""
    original, count = runner.atomic_write_frame, [0]

    def write(frame, path):
        if count[0] == calls:
            raise error
        count[0] += 1
        return original(frame, path)

    monkeypatch.setattr(runner, "atomic_write_frame", write)


@pytest.mark.parametrize("calls", [0, 1, 3])
def test_ctrl_c_while_writing_leaves_the_earlier_run(earlier, monkeypatch, capsys, calls):
    before = snapshot(earlier)
    interrupt_after(monkeypatch, calls, KeyboardInterrupt())
    assert run(earlier, 5, "--force") == 130
    assert capsys.readouterr().err == f"\ninterrupted: no outputs were written; {earlier} was left as it was\n"
    assert snapshot(earlier) == before
    assert leftovers(earlier.parent) == [] and sorted(p.name for p in earlier.parent.iterdir()) == ["out"]


def test_ctrl_c_while_writing_a_new_folder_leaves_nothing(tmp_path, monkeypatch, capsys):
    interrupt_after(monkeypatch, 1, KeyboardInterrupt())
    assert run(tmp_path / "new", 5) == 130
    assert capsys.readouterr().err == "\ninterrupted: no outputs were written\n"
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_leaves_the_earlier_run(earlier, monkeypatch, capsys):
    before = snapshot(earlier)
    interrupt_after(monkeypatch, 2, OSError(errno.ENOSPC, "No space left on device"))
    assert run(earlier, 5, "--force") == 1
    err = capsys.readouterr().err
    assert err == (
        f"error: --out {str(earlier)!r}: cannot write the outputs: No space left on device; "
        "the folder was left as it was\n"
    )
    assert snapshot(earlier) == before and leftovers(earlier.parent) == []


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGINT, 130, "\ninterrupted: the outputs had been written to {out}\n"),
        (signal.SIGTERM, 143, "terminated (SIGTERM): the outputs had been written to {out}\n"),
    ],
)
def test_a_signal_during_the_swap_waits_for_it(earlier, references, monkeypatch, capsys, signum, code, message):
    """Ctrl+C or SIGTERM between the swap's two renames takes effect only once the new set is in place."""
    original, renames = runner._rename, []

    def rename(src, dst):
        renames.append((Path(src).name, Path(dst).name))
        if len(renames) == 1:
            signal.raise_signal(signum)  # arrives after the earlier run is moved aside
        original(src, dst)

    monkeypatch.setattr(runner, "_rename", rename)
    assert run(earlier, 5, "--force") == code
    assert [dst for _, dst in renames][1] == "out" and renames[0][0] == "out"  # out aside, then the new one in
    assert capsys.readouterr().err == message.format(out=earlier)
    assert assert_one_complete_run(earlier, references) == 5
    assert leftovers(earlier.parent) == []


def test_a_failed_swap_puts_the_earlier_run_back(earlier, monkeypatch, capsys):
    before = snapshot(earlier)
    original, calls = runner._rename, [0]

    def rename(src, dst):
        calls[0] += 1
        if calls[0] == 2:  # the new set's rename into place
            raise OSError(errno.EIO, "Input/output error")
        original(src, dst)

    monkeypatch.setattr(runner, "_rename", rename)
    assert run(earlier, 5, "--force") == 1
    assert "Input/output error" in capsys.readouterr().err
    assert snapshot(earlier) == before and leftovers(earlier.parent) == []


def test_files_of_another_process_meanwhile_are_not_replaced(tmp_path, monkeypatch, capsys):
    """A folder filled by someone else while the run ran is left alone (the last rename fails, nothing is lost)."""
    out = tmp_path / "out"
    original = runner.atomic_write_json

    def write(data, path):
        if Path(path).name == "run.json":
            out.mkdir(exist_ok=True)
            (out / "theirs.txt").write_text("theirs")
        return original(data, path)

    monkeypatch.setattr(runner, "atomic_write_json", write)
    assert run(out, 5) == 1
    assert capsys.readouterr().err.startswith(
        f"error: --out {str(out)!r}: holds files that are not an abm run's outputs (theirs.txt)"
    )
    assert snapshot(out) == {"theirs.txt": b"theirs"} and leftovers(tmp_path) == []


# --------------------------------------------------------------------------- stale temporaries
def work_folder(parent: Path, name: str, kind: str, pid: int, token: str, files: dict[str, str]) -> Path:
    folder = runner.work_path(parent / name, kind, pid, token)
    folder.mkdir()
    for file, text in files.items():
        (folder / file).write_text(text)
    return folder


def test_stale_temporaries_are_cleaned_at_the_start_of_a_run(earlier, references, capsys):
    parent, gone = earlier.parent, dead_pid()
    ours = {"metrics.csv": "old", "run.json": "{}", ".summary.json.123.abcdef12.tmp": "half"}
    stale = [
        work_folder(parent, "out", "tmp", gone, "0badf00d", ours),
        work_folder(parent, "other-run", "tmp", gone, "12345678", {"metrics.parquet": "x"}),
        work_folder(parent, "out", "old", gone, "abcdef12", ours),
    ]
    live = work_folder(parent, "out", "tmp", os.getpid(), "facade00", {"metrics.csv": "being written"})
    odd = work_folder(parent, "out", "tmp", gone, "deadbeef", {"metrics.csv": "x", "mine.txt": "keep"})
    atomic_tmp = earlier / f".metrics.csv.{gone}.0123abcd.tmp"
    atomic_tmp.write_text("half")
    atomic_live = earlier / f".metrics.csv.{os.getpid()}.0123abcd.tmp"
    atomic_live.write_text("being written")
    lookalike = parent / f".out.tmp-{runner.HOST}-notapid-0badf00d"
    lookalike.mkdir()
    elsewhere = parent / f".out.tmp-another-host-{gone}-0badf00d"  # its process may be running there
    elsewhere.mkdir()
    (elsewhere / "metrics.csv").write_text("being written on another machine")

    assert run(earlier, 5, "--force") == 0
    assert assert_one_complete_run(earlier, references) == 5  # the live temporary is gone with the old set
    assert not any(p.exists() for p in stale) and not atomic_tmp.exists()
    assert (live / "metrics.csv").read_text() == "being written"  # its process (this one) is running
    assert sorted(p.name for p in odd.iterdir()) == ["mine.txt"]  # only our files removed from it
    assert lookalike.is_dir() and (elsewhere / "metrics.csv").exists()


def test_a_run_killed_between_the_renames_is_put_back(tmp_path, references, capsys):
    """kill -9 after the earlier run was moved aside and before the new one moved in: the earlier one returns."""
    gone, parent = dead_pid(), tmp_path / "runs"
    out = parent / "out"
    assert run(tmp_path / "earlier", 3) == 0 and run(tmp_path / "new", 5) == 0
    parent.mkdir()
    (tmp_path / "earlier").rename(runner.work_path(out, "old", gone, "abcdef12"))
    (tmp_path / "new").rename(runner.work_path(out, "tmp", gone, "12345678"))

    assert runner.clean_stale(out) == [out, runner.work_path(out, "tmp", gone, "12345678")]
    assert assert_one_complete_run(out, references) == 3
    assert sorted(p.name for p in parent.iterdir()) == ["out"]
    assert run(out, 5) == 2  # it is an earlier run again: --force to replace it
    assert "holds an earlier run's outputs" in capsys.readouterr().err


def test_atomic_write_removes_its_temporary_on_ctrl_c(tmp_path):
    path = tmp_path / "table.csv"
    provenance.atomic_write_text("old\n", path)

    def interrupted(tmp):
        tmp.write_text("half a fi")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        provenance.atomic_write(path, interrupted)
    assert snapshot(tmp_path) == {"table.csv": b"old\n"}


def test_remove_stale_temporaries_only_of_ended_processes(tmp_path):
    gone = dead_pid()
    stale = tmp_path / f".a.csv.{gone}.0123abcd.tmp"
    deep = tmp_path / "runs" / "p0-r0" / f".record.json.{gone}.0123abcd.tmp"
    live = tmp_path / f".a.csv.{os.getpid()}.0123abcd.tmp"
    other = tmp_path / ".notes.tmp"
    deep.parent.mkdir(parents=True)
    for path in (stale, deep, live, other):
        path.write_text("x")
    assert provenance.remove_stale_temporaries(tmp_path) == [stale]
    assert provenance.remove_stale_temporaries(tmp_path, recursive=True) == [deep]
    assert live.exists() and other.exists()


# --------------------------------------------------------------------------- signals
def test_interrupt_on_sigterm_raises_terminated_and_restores_the_handler():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(provenance.Terminated), provenance.interrupt_on_sigterm():
        signal.raise_signal(signal.SIGTERM)
        time.sleep(1)  # not reached
    assert signal.getsignal(signal.SIGTERM) is before
    assert issubclass(provenance.Terminated, KeyboardInterrupt)


def test_signals_deferred_delivers_after_the_block():
    before, steps = signal.getsignal(signal.SIGINT), []
    with pytest.raises(KeyboardInterrupt):
        with provenance.signals_deferred():
            signal.raise_signal(signal.SIGINT)
            steps.append("after the signal")
        steps.append("not reached")
    assert steps == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is before


# --------------------------------------------------------------------------- killed for real
# `python -m abm run` with its weeks and its writing slowed down, so a signal can be sent
# while the model runs or while the files are written; it touches `model-running` at week 1.
SLOW_ABM = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from abm import cli, runner
    from abm.model import ICSModel

    step, write = ICSModel.step, runner.atomic_write_frame

    def slow_step(self):
        Path("model-running").touch()
        time.sleep(0.01)
        step(self)

    def slow_write(frame, path):
        time.sleep(0.3)
        return write(frame, path)

    ICSModel.step, runner.atomic_write_frame = slow_step, slow_write
    sys.exit(cli.main(sys.argv[1:]))
""")


def start_slow_run(cwd: Path, out: Path, seed: int) -> subprocess.Popen:
    command = [sys.executable, "-c", SLOW_ABM, "run", *SMALL, "--seed", str(seed), "--out", str(out), "--force"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=sigint_as_at_a_terminal,
    )


def wait_for(condition, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the run ended first: {process.communicate()}"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def writing(parent: Path) -> bool:
    """A work folder holds at least one finished output file."""
    return any(runner.WORK_DIR.match(p.name) and any(p.glob("metrics*")) for p in parent.iterdir())


@pytest.mark.parametrize(
    ("moment", "signum"),
    [
        ("running", signal.SIGTERM),
        ("running", signal.SIGINT),
        ("writing", signal.SIGTERM),
        ("writing", signal.SIGINT),
        ("writing", signal.SIGKILL),
        ("done", None),
    ],
)
def test_abm_run_killed_at_any_moment_leaves_one_complete_set(tmp_path, references, moment, signum):
    """The folder holds the earlier run (seed 3) or the new one (seed 5), whole, whenever the run is killed."""
    parent = tmp_path / "runs"
    out = parent / "out"
    assert run(out, 3) == 0
    process = start_slow_run(tmp_path, out, 5)
    if moment == "running":
        wait_for(lambda: (tmp_path / "model-running").exists(), process)
    elif moment == "writing":
        wait_for(lambda: writing(parent), process)
    if signum is not None:
        process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)

    expected = {signal.SIGTERM: 143, signal.SIGINT: 130, signal.SIGKILL: -signal.SIGKILL, None: 0}[signum]
    assert process.returncode == expected, stderr
    assert "Traceback" not in stderr
    seed = assert_one_complete_run(out, references)
    assert seed == (5 if moment == "done" else 3)
    if signum == signal.SIGKILL:  # no chance to clean up: the next run does
        assert leftovers(parent)
        runner.check_out_dir(out, replace=True)
        assert assert_one_complete_run(out, references) == 3
    else:
        line = {143: "terminated (SIGTERM): ", 130: "interrupted: ", 0: ""}[expected]
        assert stderr.strip() == (f"{line}no outputs were written; {out} was left as it was" if expected else "")
    assert leftovers(parent) == [] and sorted(p.name for p in parent.iterdir()) == ["out"]
