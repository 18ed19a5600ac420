"""The dashboard's server: Solara's Starlette app behind the room check, run by uvicorn.

    python -m dashboard.serve --host 127.0.0.1 --port 8765      # what ``abm dashboard`` runs

It does what ``solara run dashboard/app.py --production --no-open --no-check-version``
does (the app in ``SOLARA_APP``, production mode, no telemetry, no version check online,
Solara's quiet logging), and wraps the app in :class:`dashboard.room.RoomGate`, which
checks the room code on every request and websocket (see :mod:`dashboard.room`).  The
code comes from the environment (``ABM_DASHBOARD_ROOM_CODE``), never the command line, and
is removed from the environment before the app starts; so is the facilitator code
(``ABM_DASHBOARD_FACILITATOR_CODE``), which the room page (``/room``) needs.  A non-loopback ``--host`` with no
code is refused here too, whoever starts the server.

``solara run dashboard/app.py`` still works for development: on loopback, with no code check.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

from dashboard.room import CODE_RULE, ENV_CODE, ENV_FACILITATOR, RoomGate, is_loopback, require_facilitator, valid_code

APP = Path(__file__).resolve().parent / "app.py"


def prepare_environment(host: str, port: int) -> None:
    """What ``solara run --production`` sets before Solara's server modules are imported."""
    os.environ["SOLARA_APP"] = str(APP)
    os.environ["SOLARA_MODE"] = "production"
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"  # a workshop tool does not phone home
    os.environ["SERVER_NAME"] = host  # CGI variables, as solara run sets them
    os.environ["SERVER_PORT"] = str(port)


def build_app(code: str | None, facilitator: str | None = None):
    """Solara's Starlette app (for ``dashboard/app.py``) behind the room check; the room page (``/room``) needs
    the facilitator code when one is given."""
    from solara.server.starlette import app

    require_facilitator(facilitator)  # the room page checks it too (a page can change its route by itself)
    return RoomGate(app, code, facilitator=facilitator)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    code = os.environ.pop(ENV_CODE, "") or None  # not left for the app, its threads or its worker processes
    facilitator = os.environ.pop(ENV_FACILITATOR, "") or None
    if code is not None and not valid_code(code):
        print(f"error: the room code must be {CODE_RULE}", file=sys.stderr)
        return 2
    if facilitator is not None and (not valid_code(facilitator) or facilitator == code):
        print(f"error: the facilitator code must be {CODE_RULE}, and not the room code", file=sys.stderr)
        return 2
    if code is None and not is_loopback(args.host):
        print(
            f"error: --host {args.host} needs a room code (start it with 'abm dashboard', which makes one)",
            file=sys.stderr,
        )
        return 2
    prepare_environment(args.host, args.port)
    import uvicorn
    from solara.__main__ import LOGGING_CONFIG

    config = uvicorn.Config(
        build_app(code, facilitator),
        host=args.host,
        port=args.port,
        log_config=copy.deepcopy(LOGGING_CONFIG),
        log_level="error",
        loop="auto",
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
