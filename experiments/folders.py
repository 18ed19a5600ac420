"""Write a folder of analysis outputs all or nothing (``abm discover``, ``abm robustness``).

Every file is rendered in memory first, then written into a work folder beside the target
(``.<name>.tmp-<host>-<pid>-<random>``, as :func:`abm.runner.work_path` names it) and the
work folder renamed into place; an earlier folder of the same analysis is renamed aside
first and deleted after.  So the target always holds one complete set of files: the
earlier one or the new one.  Work folders left by a process killed outright (``kill -9``)
are removed by the next write beside them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from abm.provenance import atomic_write, fsync_directory, pid_alive, signals_deferred
from abm.runner import HOST, WORK_DIR, work_path


def write_folder(target: Path, contents: dict[str, bytes]) -> list[Path]:
    """Write ``contents`` (file name -> bytes) as the folder ``target``, replacing an earlier one; return the paths."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_work(target)
    work = work_path(target, "tmp")
    try:
        work.mkdir()
        for name, data in contents.items():
            atomic_write(work / name, _writer(data))
        fsync_directory(work)
        with signals_deferred():
            old = work_path(target, "old")
            if target.exists():
                os.rename(target, old)
            os.rename(work, target)
            fsync_directory(target.parent)
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        with signals_deferred():
            shutil.rmtree(work, ignore_errors=True)
        raise
    return [target / name for name in contents]


def _writer(data: bytes):
    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    return write


def remove_stale_work(target: Path) -> None:
    """Remove work folders beside ``target`` left by a process of this host that has gone (restoring an
    earlier folder left aside under its ``old`` name when the target itself is missing)."""

    for entry in target.parent.iterdir():
        match = WORK_DIR.match(entry.name)
        if not match or match["name"] != target.name or match["host"] != HOST or pid_alive(int(match["pid"])):
            continue
        if match["kind"] == "old" and not target.exists():
            os.rename(entry, target)
        else:
            shutil.rmtree(entry, ignore_errors=True)
