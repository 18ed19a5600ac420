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

The facilitator's page (``/room``: every group's run, and shocks pushed to them) needs a second
code, the **facilitator code**, so a participant cannot push a shock to everyone: the
facilitator's (``--facilitator-code CODE``) or one generated at start whenever a room code is in
force, printed with its own link ``http://ADDRESS:PORT/room?room=CODE&facilitator=FCODE``.  It
follows the room code's rules (same characters, its own HttpOnly cookie ``abm_facilitator``
holding an HMAC, wrong tries counted with the room code's).  ``/room`` without that cookie gets a
403 page asking for it; and since a page can change its route without a new request, the room
page checks the cookie again itself, from its websocket's cookies (:func:`is_facilitator`).

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
ENV_FACILITATOR = "ABM_DASHBOARD_FACILITATOR_CODE"
FACILITATOR_COOKIE = "abm_facilitator"
FACILITATOR_QUERY = "facilitator"
ROOM_PATH = "/room"  # the facilitator's page
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
    facilitator_code: str | None = None  # None: the room page needs no code of its own (loopback, no code)
    facilitator_link: str | None = None


def plan(
    host: str, port: int, room_code: str | None, address: str | None = None, facilitator_code: str | None = None
) -> RoomPlan:
    """Decide the room and facilitator codes and the messages for ``--host``/``--room-code``/``--facilitator-code``
    (ValueError for a bad code).

    ``address`` is what participants type for a server on every interface (default: found here).
    """
    if room_code is not None and not valid_code(room_code):
        raise ValueError(f"--room-code must be {CODE_RULE}; got {room_code!r}")
    if facilitator_code is not None and not valid_code(facilitator_code):
        raise ValueError(f"--facilitator-code must be {CODE_RULE}; got {facilitator_code!r}")
    if facilitator_code is not None and facilitator_code == room_code:
        raise ValueError("--facilitator-code must differ from the room code (participants know the room code)")
    loopback = is_loopback(host)
    wildcard = host in ("0.0.0.0", "::", "")
    shown = "localhost" if loopback else (address or this_machines_address()) if wildcard else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}/"
    if loopback and room_code is None:
        link = f"{url}{ROOM_PATH[1:]}?{FACILITATOR_QUERY}={facilitator_code}" if facilitator_code else None
        return RoomPlan(None, url, None, None, facilitator_code, link)
    code = room_code or generate_code()
    join = f"{url}?{QUERY}={code}"
    facilitator = facilitator_code or generate_code()
    while facilitator == code:  # pragma: no cover - one chance in 31**8
        facilitator = generate_code()
    facilitator_link = f"{url}{ROOM_PATH[1:]}?{QUERY}={code}&{FACILITATOR_QUERY}={facilitator}"
    warning = None
    if not loopback:
        warning = (
            f"warning: --host {host}: the dashboard is reachable by anyone on this network; only people "
            f"with the room code can join. The code is a shared secret on an unencrypted network: "
            f"keep sensitive data out of the dashboard."
        )
    return RoomPlan(code, url, join, warning, facilitator, facilitator_link)


# --------------------------------------------------------------------------- the server's check
def cookie_value(code: str, purpose: bytes = b"ics-abm dashboard room") -> str:
    """What the room cookie holds: an HMAC of the code (the same across restarts with the same code)."""
    return hmac.new(code.encode(), purpose, hashlib.sha256).hexdigest()


def facilitator_cookie_value(code: str) -> str:
    """What the facilitator's cookie holds: an HMAC of the facilitator code, for its own purpose."""
    return cookie_value(code, b"ics-abm dashboard facilitator")


_facilitator_cookie: str | None = None  # set by the server (dashboard.serve) when a facilitator code is in force


def require_facilitator(code: str | None) -> None:
    """Make the room page need the facilitator code ``code`` (None: it needs none, as on loopback)."""
    global _facilitator_cookie
    if code is not None and not valid_code(code):
        raise ValueError(f"facilitator code must be {CODE_RULE}")
    _facilitator_cookie = facilitator_cookie_value(code) if code else None


def is_facilitator(cookies: dict | None) -> bool:
    """Whether a browser with these cookies (its websocket's, as the page sees them) may use the room page."""
    if _facilitator_cookie is None:
        return True
    value = (cookies or {}).get(FACILITATOR_COOKIE)
    return isinstance(value, str) and _same(value, _facilitator_cookie)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _host_name(host_header: str) -> str:
    """'localhost:8765' -> 'localhost'; '[::1]:8765' -> '::1'."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def page(
    title: str, message: str, status_note: str = "", path: str = "/", field: str = QUERY, label: str = "Room code"
) -> str:
    """The small page asking for the room code (or the facilitator code): plain HTML and CSS, no script, readable
    on a phone."""
    note = f'<p class="note" role="alert">{escape(status_note)}</p>' if status_note else ""
    button = "Join" if field == QUERY else "Open"
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
<label for="{field}">{escape(label)}</label>
<div class="row"><input id="{field}" name="{field}" required autocomplete="off" autocapitalize="none"
 spellcheck="false" pattern="[A-Za-z0-9_\\-]{{4,64}}" title="{escape(CODE_RULE)}">
<button type="submit">{button}</button></div>
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

    def __init__(self, app, code: str | None, clock=time.monotonic, facilitator: str | None = None):
        if code is not None and not valid_code(code):
            raise ValueError(f"room code must be {CODE_RULE}")
        if facilitator is not None and (not valid_code(facilitator) or facilitator == code):
            raise ValueError(f"facilitator code must be {CODE_RULE}, and not the room code")
        self.app = app
        self.code = code
        self.cookie = cookie_value(code) if code else None
        self.facilitator = facilitator_cookie_value(facilitator) if facilitator else None
        self.facilitator_code = facilitator
        self.clock = clock
        self._wrong: dict[str, deque] = defaultdict(deque)

    # ------------------------------------------------------------------ decisions
    def _has_cookie(self, headers: dict[str, str]) -> bool:
        return self.cookie is None or _cookie_matches(headers, COOKIE, self.cookie)

    def _has_facilitator_cookie(self, headers: dict[str, str]) -> bool:
        return self.facilitator is None or _cookie_matches(headers, FACILITATOR_COOKIE, self.facilitator)

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
        client = (scope.get("client") or ("?", 0))[0]
        if self.code is None:
            return await self._facilitator_check(scope, receive, send, headers, query, client)
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
                return await self._move_on_with_cookie(send, path, query, QUERY, COOKIE, self.cookie)
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
            return await self._facilitator_check(scope, receive, send, headers, query, client)
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

    async def _facilitator_check(self, scope, receive, send, headers, query, client):
        """A request that may use the room: the facilitator code, when offered, is checked (and swapped for its
        cookie); the room page needs that cookie; everything else passes to the app."""
        path = scope.get("path", "/")
        offered = [v for k, v in query if k == FACILITATOR_QUERY]
        if self.facilitator_code is None or not (offered or _is_room_page(path)):
            return await self.app(scope, receive, send)
        if offered:
            if self._too_many(client):
                return await self._respond(
                    send, 429, "text/html; charset=utf-8", page("Too many tries", "Wait a minute.", path=path)
                )
            if _same(offered[-1], self.facilitator_code):
                return await self._move_on_with_cookie(
                    send, path, query, FACILITATOR_QUERY, FACILITATOR_COOKIE, self.facilitator
                )
            self._wrong[client].append(self.clock())
            return await self._facilitator_page(send, "That facilitator code is not right.")
        if self._has_facilitator_cookie(headers):
            return await self.app(scope, receive, send)
        return await self._facilitator_page(send)

    async def _move_on_with_cookie(self, send, path, query, param: str, cookie_name: str, value) -> None:
        """The right code: set its cookie (HttpOnly, SameSite=Strict) and move on to the same address without
        the code (``param``) in it."""
        rest = urlencode([(k, v) for k, v in query if k != param])
        target = quote(path, safe="/") + (f"?{rest}" if rest else "")
        cookie = f"{cookie_name}={value}; Path=/; HttpOnly; SameSite=Strict"
        await self._respond(
            send,
            200,
            "text/html; charset=utf-8",
            JOINING.format(url=escape(target), js_url=_js_string(target)),
            [("set-cookie", cookie), ("referrer-policy", "no-referrer")],
        )

    async def _facilitator_page(self, send, note: str = "") -> None:
        await self._respond(
            send,
            403,
            "text/html; charset=utf-8",
            page(
                "Facilitator code needed",
                "The room page is for the workshop's facilitator: it shows every group's run and can push a "
                "shock to them. Type the facilitator code, or open the facilitator's link.",
                note,
                path=ROOM_PATH,
                field=FACILITATOR_QUERY,
                label="Facilitator code",
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


def _cookie_matches(headers: dict[str, str], name: str, expected: str) -> bool:
    """Whether the request's cookie ``name`` holds ``expected`` (a malformed cookie header is no cookie)."""
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header is no cookie
        return False
    morsel = jar.get(name)
    return morsel is not None and _same(morsel.value, expected)


def _is_room_page(path: str) -> bool:
    return path.rstrip("/") == ROOM_PATH or path.startswith(ROOM_PATH + "/")


def _js_string(text: str) -> str:
    """A JavaScript string literal, safe inside a <script> element."""
    import json

    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
