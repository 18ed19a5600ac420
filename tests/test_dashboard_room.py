"""Rooms (issue 13): the room code ``abm dashboard`` decides and prints, and the server's check of it
(:class:`dashboard.room.RoomGate`, driven here as a plain ASGI app). The page itself is tested in
``tests/test_dashboard_browser.py``."""

from __future__ import annotations

import asyncio
import os

import pytest

from dashboard import room, serve
from dashboard.limits import Limits

CODE = "ward-7-room"


# --------------------------------------------------------------------------- what `abm dashboard` decides
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_on_loopback_no_code_is_needed_unless_one_is_set(host):
    plan = room.plan(host, 8765, None)
    assert plan.code is None and plan.join_link is None and plan.warning is None
    assert plan.url == "http://localhost:8765/"
    plan = room.plan(host, 8765, CODE)  # a code set on loopback is required too
    assert plan.code == CODE and plan.join_link == f"http://localhost:8765/?room={CODE}" and plan.warning is None


def test_on_a_network_a_code_is_made_up_and_printed_with_a_warning():
    plan = room.plan("0.0.0.0", 8766, None, address="192.168.1.20")
    assert room.valid_code(plan.code) and len(plan.code) == 9
    assert plan.join_link == f"http://192.168.1.20:8766/?room={plan.code}"
    assert "reachable by anyone on this network" in plan.warning and "room code" in plan.warning
    assert room.plan("0.0.0.0", 8766, None).code != plan.code  # a fresh one each time
    given = room.plan("10.0.0.5", 8766, CODE)
    assert given.code == CODE and given.join_link == f"http://10.0.0.5:8766/?room={CODE}" and given.warning


@pytest.mark.parametrize("code", ["abc", "x" * 65, "has space", "caf\u00e9", "a/b?c", ""])
def test_a_bad_room_code_is_refused_with_the_rule(code):
    with pytest.raises(ValueError, match="4 to 64 characters: letters, digits"):
        room.plan("0.0.0.0", 8765, code)


def start(argv, monkeypatch, capsys, environ=None):
    """Run ``abm dashboard ARGV`` up to the point it would become the server: (exit, stdout, stderr, exec)."""
    from abm.cli import main

    execs = []
    monkeypatch.setattr(os, "execve", lambda path, argv_, env: execs.append((argv_, env)))
    for name, value in (environ or {}).items():
        monkeypatch.setenv(name, value)
    code = main(["dashboard", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err, execs[0] if execs else None


def test_abm_dashboard_on_every_interface_warns_and_prints_the_code_and_link(monkeypatch, capsys):
    monkeypatch.delenv(room.ENV_CODE, raising=False)
    code, out, err, (argv, env) = start(["--host", "0.0.0.0", "--port", "8799"], monkeypatch, capsys)
    assert code == 0
    assert err.startswith(
        "warning: --host 0.0.0.0: the dashboard is reachable by anyone on this network; only "
        "people with the room code can join"
    )
    made = env[room.ENV_CODE]
    assert room.valid_code(made) and f"Room code: {made}" in out
    assert "Join link (give this to participants): http://" in out and f":8799/?room={made}" in out
    assert made not in " ".join(argv)  # the code reaches the server in its environment, not its command line
    assert argv[1:] == ["-m", "dashboard.serve", "--host", "0.0.0.0", "--port", "8799"]
    assert "up to 50,000 people, 10 years and 312 weeks of burn-in" in out


def test_abm_dashboard_takes_a_room_code_and_the_session_limits(monkeypatch, capsys):
    monkeypatch.delenv(room.ENV_CODE, raising=False)
    code, out, err, (argv, env) = start(
        [
            "--room-code",
            CODE,
            "--max-population",
            "100000",
            "--max-years",
            "20",
            "--max-burn-in-weeks",
            "364",
            "--population",
            "60000",
        ],
        monkeypatch,
        capsys,
    )
    assert code == 0 and err == ""  # loopback: no warning, but the code is required
    assert env[room.ENV_CODE] == CODE
    assert f"Join link (give this to participants): http://localhost:8765/?room={CODE}" in out
    assert Limits.from_env(env) == Limits(100_000, 20, 364) and env["ABM_DASHBOARD_POPULATION"] == "60000"
    code, out, err, (argv, env) = start([], monkeypatch, capsys)
    assert code == 0 and room.ENV_CODE not in env and "Room code" not in out  # loopback, no code: none needed
    code, out, _, (argv, env) = start([], monkeypatch, capsys, environ={room.ENV_CODE: CODE})  # or from the env
    assert code == 0 and f"Room code: {CODE}" in out and env[room.ENV_CODE] == CODE and CODE not in argv


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--host", "0.0.0.0", "--room-code", "no"], "error: --room-code must be 4 to 64 characters"),
        (["--max-population", "500"], "error: --max-population 500 is out of range; allowed: 1,000 to 200,000"),
        (["--max-burn-in-weeks", "52"], "error: --max-burn-in-weeks 52 is out of range; allowed: 260 to 1,040"),
        (
            ["--population", "60000"],
            "error: --population 60,000 is out of range; allowed: 1,000 to 50,000 (raise --max-population for more)",
        ),
        (["--years", "12"], "error: --years 12 is out of range; allowed: 1 to 10 (raise --max-years for more)"),
        (["--max-years", "3"], "error: --max-years 3 is below the default horizon (5 years): give --years too"),
    ],
)
def test_abm_dashboard_refuses_bad_options_with_a_short_message(argv, message, monkeypatch, capsys):
    code, out, err, execd = start(argv, monkeypatch, capsys)
    assert code == 2 and execd is None and err.startswith(message) and out == ""


def test_the_server_refuses_a_network_address_without_a_code(monkeypatch, capsys):
    monkeypatch.delenv(room.ENV_CODE, raising=False)
    assert serve.main(["--host", "0.0.0.0", "--port", "8799"]) == 2
    assert "needs a room code" in capsys.readouterr().err
    monkeypatch.setenv(room.ENV_CODE, "bad code")
    assert serve.main(["--host", "127.0.0.1", "--port", "8799"]) == 2
    assert room.ENV_CODE not in os.environ  # read, then removed: the app and its workers never see it


# --------------------------------------------------------------------------- the server's check
class Downstream:
    """Stands in for Solara's app: records what reaches it."""

    def __init__(self):
        self.reached = []

    async def __call__(self, scope, receive, send):
        self.reached.append(scope["type"])
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"the dashboard"})
        elif scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})


def call(gate, kind="http", path="/", query="", headers=None, client="10.0.0.9"):
    """One request through ``gate``: (status or websocket outcome, headers dict, body text)."""
    scope = {
        "type": kind,
        "path": path,
        "query_string": query.encode(),
        "client": (client, 5000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "10.0.0.1:8765", **(headers or {})}.items()],
    }
    sent = []

    async def receive():
        return {"type": "websocket.connect"} if kind == "websocket" else {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    asyncio.run(gate(scope, receive, send))
    if kind == "websocket":
        return sent[0]["type"], sent[0], ""
    start = sent[0]
    heads = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], heads, b"".join(m.get("body", b"") for m in sent[1:]).decode()


def test_without_the_code_the_server_answers_with_the_room_code_form():
    app = Downstream()
    gate = room.RoomGate(app, CODE)
    for path in ("/", "/static/main.js", "/readyz", "/jupyter/api/kernels/1"):
        status, _, body = call(gate, path=path)
        assert status == 403 and '<form method="get"' in body and 'name="room"' in body and CODE not in body
    assert "Room code needed" in body and '<label for="room">Room code</label>' in body
    assert app.reached == []


def test_the_right_code_sets_a_strict_cookie_and_moves_on_without_the_code_in_the_address():
    app = Downstream()
    gate = room.RoomGate(app, CODE)
    status, heads, body = call(gate, query=f"room={CODE}&lang=en")
    assert status == 200 and app.reached == []
    cookie = heads["set-cookie"]
    assert cookie.startswith(f"{room.COOKIE}={room.cookie_value(CODE)};") and CODE not in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert 'url=/?lang=en"' in body and 'location.replace("/?lang=en")' in body  # same address, code dropped
    status, _, body = call(gate, headers={"cookie": f"other=1; {room.COOKIE}={room.cookie_value(CODE)}"})
    assert (status, body) == (200, "the dashboard") and app.reached == ["http"]
    assert call(gate, headers={"cookie": f"{room.COOKIE}={room.cookie_value('another-code')}"})[0] == 403


def test_a_wrong_code_is_refused_and_many_wrong_codes_must_wait():
    now = [0.0]
    gate = room.RoomGate(Downstream(), CODE, clock=lambda: now[0])
    status, _, body = call(gate, query="room=ward-8-room")
    assert status == 403 and "That room code is not right." in body
    for _ in range(room.MAX_WRONG - 1):
        assert call(gate, query="room=guess")[0] == 403
    assert call(gate, query=f"room={CODE}")[0] == 429  # even the right code waits out the minute
    assert call(gate, query=f"room={CODE}", client="10.0.0.10")[0] == 200  # other laptops are not held up
    now[0] = 61.0
    assert call(gate, query=f"room={CODE}")[0] == 200


def test_a_websocket_needs_the_cookie_and_a_page_of_the_same_origin():
    app = Downstream()
    gate = room.RoomGate(app, CODE)
    kind, message, _ = call(gate, "websocket", "/jupyter/api/kernels/1/channels", query=f"room={CODE}")
    assert kind == "websocket.close" and message["code"] == 1008 and app.reached == []
    cookie = {"cookie": f"{room.COOKIE}={room.cookie_value(CODE)}"}
    kind, *_ = call(gate, "websocket", headers={**cookie, "origin": "http://evil.example"})
    assert kind == "websocket.close" and app.reached == []
    kind, *_ = call(gate, "websocket", headers={**cookie, "origin": "http://10.0.0.1:8765"})
    assert kind == "websocket.accept" and app.reached == ["websocket"]


def test_with_no_code_only_this_machine_may_ask():
    """Loopback with no code: a page elsewhere cannot reach the dashboard by DNS rebinding."""
    app = Downstream()
    gate = room.RoomGate(app, None)
    for host in ("localhost:8765", "127.0.0.1:8765", "[::1]:8765"):
        assert call(gate, headers={"host": host})[0] == 200
    assert call(gate, headers={"host": "rebound.example:8765"})[0] == 403
    kind, *_ = call(gate, "websocket", headers={"host": "localhost:8765", "origin": "http://evil.example"})
    assert kind == "websocket.close"
    assert app.reached == ["http"] * 3


# --------------------------------------------------------------------------- the facilitator's room page (issue 16)
FACILITATOR = "lead-9-room"


def test_the_room_page_needs_the_room_code_too():
    app = Downstream()
    gate = room.RoomGate(app, CODE, facilitator=FACILITATOR)
    for path in ("/room", "/room/", f"/room?facilitator={FACILITATOR}"):
        status, _, body = call(gate, path=path.split("?")[0], query=path.partition("?")[2])
        assert status == 403 and "Room code needed" in body and 'name="room"' in body
    assert app.reached == []


def test_the_room_page_needs_the_facilitator_code_and_the_right_one_sets_its_own_cookie():
    app = Downstream()
    gate = room.RoomGate(app, CODE, facilitator=FACILITATOR)
    participant = {"cookie": f"{room.COOKIE}={room.cookie_value(CODE)}"}
    assert call(gate, path="/", headers=participant)[0] == 200  # a participant's page opens
    status, _, body = call(gate, path="/room", headers=participant)  # the room page does not
    assert status == 403 and "Facilitator code needed" in body and 'name="facilitator"' in body
    assert FACILITATOR not in body and '<label for="facilitator">Facilitator code</label>' in body
    status, _, body = call(gate, path="/room", query="facilitator=guess", headers=participant)
    assert status == 403 and "That facilitator code is not right." in body
    status, heads, body = call(gate, path="/room", query=f"facilitator={FACILITATOR}", headers=participant)
    assert status == 200 and 'location.replace("/room")' in body
    cookie = heads["set-cookie"]
    assert cookie.startswith(f"{room.FACILITATOR_COOKIE}={room.facilitator_cookie_value(FACILITATOR)};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and FACILITATOR not in cookie
    facilitator_cookie = f"{room.FACILITATOR_COOKIE}={room.facilitator_cookie_value(FACILITATOR)}"
    both = {"cookie": f"{participant['cookie']}; {facilitator_cookie}"}
    assert call(gate, path="/room", headers=both)[:3:2] == (200, "the dashboard")
    forged = {"cookie": f"{participant['cookie']}; {room.FACILITATOR_COOKIE}={room.cookie_value(CODE)}"}
    assert call(gate, path="/room", headers=forged)[0] == 403  # the room's cookie is not the facilitator's


def test_the_page_checks_the_facilitator_cookie_itself():
    """A page can change its route without a request, so the room page checks its websocket's cookies too."""
    try:
        room.require_facilitator(FACILITATOR)
        assert not room.is_facilitator(None) and not room.is_facilitator({room.COOKIE: room.cookie_value(CODE)})
        assert not room.is_facilitator({room.FACILITATOR_COOKIE: "x"})
        assert room.is_facilitator({room.FACILITATOR_COOKIE: room.facilitator_cookie_value(FACILITATOR)})
        with pytest.raises(ValueError, match="facilitator code must be 4 to 64 characters"):
            room.require_facilitator("no")
    finally:
        room.require_facilitator(None)
    assert room.is_facilitator(None)  # no facilitator code (this machine only): the room page is open


def test_a_facilitator_code_is_made_up_with_a_room_code_and_checked_like_it():
    plan = room.plan("0.0.0.0", 8766, CODE, address="192.168.1.20")
    assert room.valid_code(plan.facilitator_code) and plan.facilitator_code != CODE
    assert plan.facilitator_link == f"http://192.168.1.20:8766/room?room={CODE}&facilitator={plan.facilitator_code}"
    given = room.plan("127.0.0.1", 8766, None, facilitator_code=FACILITATOR)
    assert given.facilitator_link == f"http://localhost:8766/room?facilitator={FACILITATOR}"
    assert room.plan("127.0.0.1", 8766, None).facilitator_code is None  # this machine only: none needed
    with pytest.raises(ValueError, match="--facilitator-code must be 4 to 64 characters"):
        room.plan("0.0.0.0", 8766, CODE, facilitator_code="a b")
    with pytest.raises(ValueError, match="--facilitator-code must differ from the room code"):
        room.plan("0.0.0.0", 8766, CODE, facilitator_code=CODE)


def test_abm_dashboard_prints_the_facilitators_link_and_passes_the_code_in_the_environment(monkeypatch, capsys):
    monkeypatch.delenv(room.ENV_CODE, raising=False)
    code, out, err, (argv, env) = start(["--room-code", CODE, "--facilitator-code", FACILITATOR], monkeypatch, capsys)
    assert code == 0 and env[room.ENV_FACILITATOR] == FACILITATOR and FACILITATOR not in " ".join(argv)
    link = f"http://localhost:8765/room?room={CODE}&facilitator={FACILITATOR}"
    assert f"Facilitator's page (keep this link to yourself): {link}" in out
    code, out, err, _ = start(["--room-code", CODE, "--facilitator-code", CODE], monkeypatch, capsys)
    assert code == 2 and "--facilitator-code must differ from the room code" in err
