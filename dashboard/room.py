"""Rooms: who may use a dashboard served on a network.

``abm dashboard --host 0.0.0.0`` makes the dashboard reachable by anyone on the network, so
the server then requires a **room code**: the facilitator's (``--room-code CODE``) or one
generated at start and printed with the join link ``http://ADDRESS:PORT/?room=CODE``.  On
loopback (127.0.0.1, the default) no code is needed unless one is set.

The check is made by the server (:class:`RoomGate`, an ASGI middleware around Solara's
Starlette app), on every HTTP request and every websocket connect, not by the page:

* a request with ``?room=CODE`` and the right code gets a cookie (HttpOnly, SameSite=Strict)
  and a small page that moves on to the same address without the code;
* a request with that cookie passes;
* anything else gets a 403 page asking for the room code (a plain form, no script), and a
  websocket without the cookie is refused before it opens (close code 1008, "policy
  violation"; the browser sees the handshake fail), so no model can be started or driven
  without the code;
* wrong codes from one address are slowed down: after ``MAX_WRONG`` in a minute, that
  address waits for the minute to pass (429).

Codes are compared with :func:`hmac.compare_digest`.  The cookie holds an HMAC of the code,
not the code.  The code is a shared secret on what is usually an unencrypted local network:
it keeps strangers out of a workshop, it is not protection for sensitive data.

With no code (loopback), requests must name a loopback host (``Host: localhost:8765``), so a
web page elsewhere cannot reach the local dashboard by DNS rebinding; websockets must come
from a page of the same origin in either case.

Standard library only: the CLI imports it to check and print the code without Solara.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import socket
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from html import escape
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, quote, urlencode

ENV_CODE = "ABM_DASHBOARD_ROOM_CODE"  # how the code reaches the server (never its command line: `ps` shows that)
CODE_RULE = "4 to 64 characters: letters, digits, '-' and '_'"
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{4,64}")
COOKIE = "abm_room"
QUERY = "room"
MAX_WRONG = 10  # wrong codes a minute from one address before it must wait
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to read out and type


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1, localhost (and the rest of 127.0.0.0/8): only this machine can connect."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def valid_code(code: str) -> bool:
    return bool(CODE_PATTERN.fullmatch(code))


def generate_code() -> str:
    """A fresh code such as 'k7mq-3hxp' (8 characters from 31: about 40 bits)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def this_machines_address() -> str:
    """This machine's address on its network (for the join link), or its host name if none is found."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        if not address.startswith("127.") and address != "0.0.0.0":
            return address
    except OSError:
        pass
    return socket.gethostname()


@dataclass
class RoomPlan:
    """What ``abm dashboard`` will serve: the code (None: none needed), the URL to open and what to print."""

    code: str | None
    url: str
    join_link: str | None
    warning: str | None  # for stderr


def plan(host: str, port: int, room_code: str | None, address: str | None = None) -> RoomPlan:
    """Decide the room code and the messages for ``--host``/``--room-code`` (ValueError for a bad code).

    ``address`` is what participants type for a server on every interface (default: found here).
    """
    if room_code is not None and not valid_code(room_code):
        raise ValueError(f"--room-code must be {CODE_RULE}; got {room_code!r}")
    loopback = is_loopback(host)
    wildcard = host in ("0.0.0.0", "::", "")
    shown = "localhost" if loopback else (address or this_machines_address()) if wildcard else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}/"
    if loopback and room_code is None:
        return RoomPlan(None, url, None, None)
    code = room_code or generate_code()
    join = f"{url}?{QUERY}={code}"
    warning = None
    if not loopback:
        warning = (
            f"warning: --host {host}: the dashboard is reachable by anyone on this network; only people "
            f"with the room code can join. The code is a shared secret on an unencrypted network: "
            f"keep sensitive data out of the dashboard."
        )
    return RoomPlan(code, url, join, warning)


# --------------------------------------------------------------------------- the server's check
def cookie_value(code: str) -> str:
    """What the room cookie holds: an HMAC of the code (the same across restarts with the same code)."""
    return hmac.new(code.encode(), b"ics-abm dashboard room", hashlib.sha256).hexdigest()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _host_name(host_header: str) -> str:
    """'localhost:8765' -> 'localhost'; '[::1]:8765' -> '::1'."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def page(title: str, message: str, status_note: str = "", path: str = "/") -> str:
    """The small page asking for the room code: plain HTML and CSS, no script, readable on a phone."""
    note = f'<p class="note" role="alert">{escape(status_note)}</p>' if status_note else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}: ICS workshop dashboard</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f4f6f8;
       color: #1d2327; }}
main {{ max-width: 30rem; margin: 12vh auto 2rem; padding: 2rem; background: white; border-radius: 8px;
       box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
@media (max-width: 480px) {{ main {{ margin: 1rem; padding: 1.25rem; }} }}
h1 {{ font-size: 1.4rem; margin: 0 0 .75rem; }}
p {{ line-height: 1.5; }}
.note {{ color: #8a1f11; background: #fdecea; padding: .5rem .75rem; border-radius: 4px; }}
label {{ display: block; font-weight: 600; margin: 1rem 0 .35rem; }}
.row {{ display: flex; gap: .5rem; flex-wrap: wrap; }}
input {{ flex: 1 1 12rem; font-size: 1.1rem; padding: .55rem .6rem; border: 1px solid #6b7280; border-radius: 4px;
        min-width: 0; }}
button {{ font-size: 1.05rem; padding: .55rem 1.1rem; border: 0; border-radius: 4px; background: #1f5f9e;
         color: white; cursor: pointer; }}
input:focus, button:focus {{ outline: 3px solid #f2b400; outline-offset: 1px; }}
</style></head>
<body><main>
<h1>{escape(title)}</h1>
{note}<p>{message}</p>
<form method="get" action="{escape(path)}">
<label for="room">Room code</label>
<div class="row"><input id="room" name="{QUERY}" required autocomplete="off" autocapitalize="none"
 spellcheck="false" pattern="[A-Za-z0-9_\\-]{{4,64}}" title="{escape(CODE_RULE)}">
<button type="submit">Join</button></div>
</form>
</main></body></html>
"""


JOINING = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="0;url={url}"><title>Joining: ICS workshop dashboard</title></head>
<body><main><p>Joining the workshop... <a href="{url}">continue</a></p></main>
<script>location.replace({js_url});</script></body></html>
"""


class RoomGate:
    """ASGI middleware: only requests with the room (its code or its cookie) reach ``app``.

    ``code=None``: no code needed, but the Host must be a loopback name (the server listens on
    loopback only). Lifespan events always pass.
    """

    def __init__(self, app, code: str | None, clock=time.monotonic):
        if code is not None and not valid_code(code):
            raise ValueError(f"room code must be {CODE_RULE}")
        self.app = app
        self.code = code
        self.cookie = cookie_value(code) if code else None
        self.clock = clock
        self._wrong: dict[str, deque] = defaultdict(deque)

    # ------------------------------------------------------------------ decisions
    def _has_cookie(self, headers: dict[str, str]) -> bool:
        if self.cookie is None:
            return True
        jar = SimpleCookie()
        try:
            jar.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie header is no cookie
            return False
        morsel = jar.get(COOKIE)
        return morsel is not None and _same(morsel.value, self.cookie)

    def _host_ok(self, headers: dict[str, str]) -> bool:
        return self.code is not None or is_loopback(_host_name(headers.get("host", "")))

    def _same_origin(self, headers: dict[str, str]) -> bool:
        origin = headers.get("origin")
        if origin is None:  # not a browser page (a browser always sends Origin with a websocket)
            return True
        return origin.split("://", 1)[-1].rstrip("/").lower() == headers.get("host", "").lower()

    def _too_many(self, client: str) -> bool:
        wrong, now = self._wrong[client], self.clock()
        while wrong and now - wrong[0] > 60:
            wrong.popleft()
        if not wrong:
            self._wrong.pop(client, None)
        return len(wrong) >= MAX_WRONG

    # ------------------------------------------------------------------ ASGI
    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "lifespan":
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        if kind == "websocket":
            if self._host_ok(headers) and self._same_origin(headers) and self._has_cookie(headers):
                return await self.app(scope, receive, send)
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008, "reason": "room code needed"})
            return None
        if kind != "http":  # pragma: no cover - no other ASGI scope exists today
            return await self.app(scope, receive, send)
        path = scope.get("path", "/")
        if not self._host_ok(headers):
            return await self._respond(
                send, 403, "text/plain; charset=utf-8", "This dashboard answers to localhost only.\n"
            )
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        offered = [v for k, v in query if k == QUERY]
        if self.code is None:
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("?", 0))[0]
        if offered:
            if self._too_many(client):
                return await self._respond(
                    send,
                    429,
                    "text/html; charset=utf-8",
                    page(
                        "Too many tries",
                        "Too many wrong room codes from this computer. Wait a minute, then try "
                        "again with the code the facilitator gave you.",
                        path=path,
                    ),
                )
            if _same(offered[-1], self.code):
                rest = urlencode([(k, v) for k, v in query if k != QUERY])
                target = quote(path, safe="/") + (f"?{rest}" if rest else "")
                cookie = f"{COOKIE}={self.cookie}; Path=/; HttpOnly; SameSite=Strict"
                return await self._respond(
                    send,
                    200,
                    "text/html; charset=utf-8",
                    JOINING.format(url=escape(target), js_url=_js_string(target)),
                    [("set-cookie", cookie), ("referrer-policy", "no-referrer")],
                )
            self._wrong[client].append(self.clock())
            return await self._respond(
                send,
                403,
                "text/html; charset=utf-8",
                page(
                    "Room code needed",
                    "Type the room code the facilitator gave you, or open the link they shared.",
                    "That room code is not right.",
                    path=path,
                ),
            )
        if self._has_cookie(headers):
            return await self.app(scope, receive, send)
        return await self._respond(
            send,
            403,
            "text/html; charset=utf-8",
            page(
                "Room code needed",
                "This workshop dashboard needs a room code. Type the code the facilitator gave "
                "you, or open the link they shared.",
                path=path,
            ),
        )

    @staticmethod
    async def _respond(send, status: int, content_type: str, body: str, extra=()) -> None:
        data = body.encode()
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(data)).encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
        ]
        headers += [(k.encode(), v.encode()) for k, v in extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


def _js_string(text: str) -> str:
    """A JavaScript string literal, safe inside a <script> element."""
    import json

    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
