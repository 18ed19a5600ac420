"""Standard-library-only helpers shared by the runner, sweeps and the benchmark: provenance,
atomic files, stale temporaries and clean interruption.

Kept free of numpy/pandas so the benchmark's parent process stays light.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

# The temporary file atomic_write makes beside its target: ".<name>.<pid>.<8 hex>.tmp".
ATOMIC_TMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<token>[0-9a-f]{8})\.tmp$")


def git_revision(directory: Path = PACKAGE_DIR) -> dict:
    """``{"revision": HEAD or None, "dirty": bool or None}`` for the repository holding ``directory``."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=directory, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    revision = git("rev-parse", "HEAD")
    status = git("status", "--porcelain") if revision else None
    return {"revision": revision, "dirty": None if status is None else bool(status)}


# --------------------------------------------------------------------------- atomic files
def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then move it into place.

    The temporary file is ``.<name>.<pid>.<random>.tmp`` in the same directory; it is
    flushed to disk (``fsync``) and moved with ``os.replace``, which is atomic on one file
    system, so readers see either the old file or the complete new one.  On any error,
    KeyboardInterrupt included, the temporary file is removed and the old file is left as
    it was.  A process killed outright (``kill -9``) can leave the temporary file behind;
    :func:`remove_stale_temporaries` removes such files once their process has gone.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with signals_deferred():  # a second Ctrl+C must not stop the clean-up
            tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(text: str, path: str | Path) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def fsync_directory(directory: str | Path) -> None:
    """Flush a directory's entries (new names, renames) to disk; a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a directory
        pass
    finally:
        os.close(fd)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running on this machine (True when it cannot be told)."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists but belongs to someone else
        return True
    return True


def remove_stale_temporaries(directory: str | Path, recursive: bool = False) -> list[Path]:
    """Remove :func:`atomic_write`'s temporary files left in ``directory`` by processes that have gone.

    Only files named as atomic_write names them (``.<name>.<pid>.<8 hex>.tmp``) whose
    process is no longer running are removed, so a write in progress in another process is
    never disturbed.  Returns the paths removed.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    removed = []
    for path in directory.rglob(".*.tmp") if recursive else directory.glob(".*.tmp"):
        match = ATOMIC_TMP.match(path.name)
        if match and not path.is_symlink() and path.is_file() and not pid_alive(int(match["pid"])):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


# --------------------------------------------------------------------------- interruption
class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl+C so that every ``finally`` and clean-up runs (see :func:`interrupt_on_sigterm`)."""


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """While inside, SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) in the main thread.

    Python's default for SIGTERM ends the process at once, skipping ``finally`` blocks, so
    temporary files stay behind and worker processes are orphaned.  The previous handler
    is restored on leaving.  Outside the main thread (where handlers cannot be set) this
    does nothing.
    """
    if not _main_thread():
        yield
        return

    def terminate(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


@contextmanager
def signals_deferred(signums: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while inside; deliver the first one received on leaving.

    For short steps that must not be cut in two (swapping a folder in, removing temporaries):
    a Ctrl+C or SIGTERM that arrives meanwhile takes effect just after, through the handler
    in force before (KeyboardInterrupt, :class:`Terminated`, or the default action).  Only
    the main thread can do this; elsewhere it does nothing.  SIGKILL cannot be held back.
    """
    if not _main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum, frame):
        received.append(signum)

    previous = {}
    for signum in signums:
        handler = signal.getsignal(signum)
        if handler is None:  # set outside Python: it could not be restored
            continue
        previous[signum] = handler
        signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            signal.raise_signal(received[0])
