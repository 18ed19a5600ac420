"""Every command in the user guides runs here, top to bottom, so the guides cannot rot.

A guide (``docs/*_guide.md``) holds:

- shell commands in ```` ```bash ```` blocks;
- Python in ```` ```python ```` blocks;
- files the reader saves, in a block with a title: ```` ```yaml title="my_scenario.yaml" ````;
- install commands in ```` ```bash install ```` blocks. These are the README's own set-up
  commands, which CI runs literally on a fresh machine; here they are checked to be exactly
  those, not run again.

Each guide becomes one bash script, run in a fresh folder where the repository's
``experiments/``, ``policies/`` and ``docs/`` are linked in, so paths read as they do from
a checkout. Blocks run in order, as a reader would run them. A command that serves
(``abm dashboard``, ``solara run``, ``dask scheduler``, ``dask worker``, or any command
ending in ``&``) is left running in the background, as the reader would leave it in another
terminal, until the guide ends. The script waits until a server's port answers before the
next command. Everything is stopped when the guide ends.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the guides take over a minute: not in the fast lane (pytest -m "not slow")

ROOT = Path(__file__).resolve().parent.parent
GUIDES = sorted((ROOT / "docs").glob("*_guide.md"))
LINKED = ("experiments", "policies", "docs")
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.M | re.S)
SERVERS = {  # command prefix -> default port to wait for (None: nothing to wait for)
    "abm dashboard": 8765,
    "solara run": 8765,
    "dask scheduler": 8786,
    "dask worker": None,
}
INSTALL_COMMANDS = {  # the README's set-up commands, which CI runs on a fresh machine
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e .",
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]"',
    'pip install -e ".[dashboard]"',
    "pip install -e '.[dask]'",
    "pip install -e '.[sensitivity]'",
    "pip install -e '.[discovery]'",  # its packages are in the test extra, which CI installs
    ". .venv/bin/activate",
}
PRELUDE = """\
set -euo pipefail
SERVERS=()  # pid:log of each server the guide leaves running
wait_for_port() {  # wait until localhost:$1 accepts a connection (90 s at most)
  "$GUIDE_PYTHON" - "$1" <<'PY'
import socket, sys, time
port, deadline = int(sys.argv[1]), time.time() + 90
while True:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit(f"nothing answered on port {port} within 90 s")
        time.sleep(0.3)
PY
}
"""


EPILOGUE = """\
for server in "${SERVERS[@]}"; do  # each server must still be running (not, say, refused its port)
  kill -0 "${server%%:*}" 2>/dev/null || { echo "a server this guide started has exited:"; cat "${server#*:}"; exit 1; }
done
"""


def blocks(text: str) -> list[tuple[str, str]]:
    """The fenced blocks of a Markdown text, as (info string, body)."""
    return [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer(text)]


def commands(body: str) -> list[str]:
    """The commands of a bash block: one per logical line (continuations joined), comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", body)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def server_port(command: str) -> tuple[bool, int | None]:
    """Whether a command serves (runs in the background), and the port to wait for."""
    bare = command.rstrip("&").strip()
    for prefix, default in SERVERS.items():
        if bare.startswith(prefix):
            match = re.search(r"--port[ =](\d+)", bare)
            return True, int(match.group(1)) if match else default
    return command.endswith("&"), None


def script_for(guide: Path) -> tuple[str, list[str], dict[str, str]]:
    """The bash script that runs a guide, the shell commands it runs, and the files it needs beside it."""
    lines, run, files = [PRELUDE], [], {}
    for number, (info, body) in enumerate(blocks(guide.read_text())):
        language, _, attributes = info.partition(" ")
        title = re.search(r'title="([^"]+)"', attributes)
        if title:
            files[f".block{number}"] = body
            lines.append(f"cp .block{number} {shlex.quote(title.group(1))}")
        elif language == "python":
            files[f".block{number}.py"] = body
            lines += [f"echo '>>> python block {number}'", f'"$GUIDE_PYTHON" .block{number}.py']
        elif language == "bash" and attributes != "install":
            for command in commands(body):
                run.append(command)
                lines.append(f"echo {shlex.quote('$ ' + command)}")
                serves, port = server_port(command)
                if serves:
                    log = f".server{len(run)}.log"
                    lines += [f"{command.rstrip('&').strip()} > {log} 2>&1 &", f'SERVERS+=("$!:{log}")']
                    if port:
                        lines.append(f"wait_for_port {port} || {{ cat {log}; exit 1; }}")
                else:
                    lines.append(command)
    return "\n".join([*lines, EPILOGUE]) + "\n", run, files


def install_blocks(text: str) -> list[str]:
    return [c for info, body in blocks(text) if info == "bash install" for c in commands(body)]


def test_there_are_three_guides():
    assert {g.name for g in GUIDES} >= {"facilitator_guide.md", "modeller_guide.md", "teacher_guide.md"}


@pytest.mark.parametrize("guide", GUIDES, ids=[g.stem for g in GUIDES])
def test_install_commands_are_the_ones_ci_runs(guide):
    unknown = [c for c in install_blocks(guide.read_text()) if c not in INSTALL_COMMANDS]
    assert not unknown, f"{guide.name}: install commands CI does not run: {unknown}"


@pytest.mark.parametrize("guide", GUIDES, ids=[g.stem for g in GUIDES])
def test_every_abm_command_named_in_the_text_is_run(guide):
    """An ``abm xxx`` written inline in the prose is one the guide's blocks also run."""
    text = guide.read_text()
    prose = FENCE.sub("", text)
    named = set(re.findall(r"`abm ([a-z]+)", prose))
    _, run, _ = script_for(guide)
    ran = {c.split()[1] for c in run if c.startswith("abm ")}
    assert named <= ran, f"{guide.name} names abm {sorted(named - ran)} but never runs them"


def run_guide(guide: Path, workdir: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a guide's script in ``workdir``; stop whatever it left running."""
    for name in LINKED:
        (workdir / name).symlink_to(ROOT / name)
    script, _, files = script_for(guide)
    for name, text in {**files, "guide.sh": script}.items():
        (workdir / name).write_text(text)
    env = dict(
        os.environ,
        GUIDE_PYTHON=sys.executable,
        MPLBACKEND="Agg",
        SOLARA_TELEMETRY_MIXPANEL_ENABLE="false",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        ["bash", "guide.sh"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):  # stop the servers the guide left running
            os.killpg(process.pid, signal.SIGTERM)
    return subprocess.CompletedProcess(process.args, process.returncode, output)


def test_a_server_that_exits_fails_the_guide(tmp_path):
    """A background server that dies (a port already taken, a bad flag) is an error, not a silent pass."""
    guide = tmp_path / "broken_guide.md"
    guide.write_text("```bash\necho one\necho two\nfalse_server() { exit 3; }; false_server &\nsleep 1\n```\n")
    work = tmp_path / "work"
    work.mkdir()
    done = run_guide(guide, work, timeout=60)
    assert done.returncode != 0 and "a server this guide started has exited" in done.stdout


@pytest.mark.parametrize("guide", GUIDES, ids=[g.stem for g in GUIDES])
def test_guide_runs_top_to_bottom(guide, tmp_path):
    _, run, _ = script_for(guide)
    assert len(run) >= 4, f"{guide.name} has too few commands to be a guide"
    done = run_guide(guide, tmp_path)
    assert done.returncode == 0, f"{guide.name} failed (exit {done.returncode}):\n{done.stdout[-6000:]}"
