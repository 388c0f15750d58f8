"""Untrusted input over real sockets: refused clearly, and nobody else notices."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from room.client import frames_of
from tests.integration.people import Cast, command, pack, receive, receive_news, seat
from tests.running import ServerProcess

GO_TO_EXPOSE = {"type": "go_to_phase", "phase": "expose"}


def _nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


MALFORMED = [
    (b"\xc1", "bad_frame"),  # a byte msgpack never uses
    (b"\x93\x01", "bad_frame"),  # an array cut short
    (pack([1, 2, 3]), "bad_frame"),  # not a map
    (b"\xdb\xff\xff\xff\xff" + b"x" * 10, "bad_frame"),  # a string declaring 4 GiB
    (b"\xdd\xff\xff\xff\xff", "bad_frame"),  # an array declaring 4 billion items
    (pack({"t": "cmd", "key": "k", "cmd": _nested(100)}), "bad_frame"),  # deep nesting
    (pack({"t": "launch"}), "unknown_frame"),
    (pack({"t": "cmd", "key": 7, "cmd": GO_TO_EXPOSE}), "bad_frame"),
    (pack({"t": "cmd", "key": "k1", "cmd": {"type": "fly"}}), "bad_command"),
    (pack({"t": "cmd", "key": "k2", "cmd": {"type": "go_to_phase", "phase": 3}}), "bad_command"),
    (pack({"t": "cmd", "key": "k3", "cmd": {"type": "post", "kind": "question"}}), "bad_command"),
    (pack({"t": "cmd", "key": "k4", "cmd": {**GO_TO_EXPOSE, "extra": True}}), "bad_command"),
    (pack({"t": "hello", "seq": 0}), "bad_frame"),  # a second hello
]


async def test_malformed_frames_get_errors_and_the_connection_stays_up(
    server: ServerProcess,
) -> None:
    """Each malformed frame gets an error frame with its code; then a valid command is
    acknowledged on the same connection, and the other clients saw only its event."""
    cast = await seat(server)
    nadia = await cast.raw("nadia")
    thomas = await cast.raw("thomas")
    rng = random.Random(20261125)
    noise = [
        (bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))), None) for _ in range(20)
    ]
    for data, code in MALFORMED + noise:
        await nadia.send(data)
        error = await receive_news(nadia)
        assert error["t"] == "error", (data, error)
        if code is not None:
            assert error["code"] == code, (data, error)
        assert error["message"] and not error["message"].startswith("error.")
    await nadia.send("du texte")  # a text frame
    assert (await receive_news(nadia))["code"] == "bad_frame"

    assert (await command(nadia, "valid", GO_TO_EXPOSE))["t"] == "ack"
    seen = await receive_news(thomas)
    assert (seen["t"], seen["e"]["type"]) == ("ev", "phase_changed")


async def test_an_oversized_frame_closes_with_message_too_big(server: ServerProcess) -> None:
    """A frame over 64 KiB is refused by closing with 1009; others carry on."""
    cast = await seat(server)
    nadia = await cast.raw("nadia")
    karim = await cast.raw("karim")
    await karim.send(
        pack({"t": "cmd", "key": "big", "cmd": {"type": "rename", "name": "x" * 70_000}})
    )
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await receive(karim)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert (await command(nadia, "still", GO_TO_EXPOSE))["t"] == "ack"


async def test_refusals_travel_as_error_frames_and_others_see_nothing(
    server: ServerProcess,
) -> None:
    """An observer's command, a proposal in step 1 and a phase change by a member come back
    with the domain's code; the other clients receive no frame for them."""
    cast = await seat(server)
    nadia, karim, thomas = [await cast.raw(name) for name in ("nadia", "karim", "thomas")]
    assert (await command(nadia, "q", {"type": "go_to_phase", "phase": "questions"}))["t"] == "ack"
    assert (await receive_news(thomas))["e"]["type"] == "phase_changed"
    refused = [
        (thomas, {"type": "raise_hand"}, "forbidden_role"),
        (karim, {"type": "post", "kind": "proposal", "body": {"text": "Un comité"}}, "wrong_phase"),
        (karim, {"type": "go_to_phase", "phase": "action"}, "forbidden_role"),
    ]
    for ws, cmd, code in refused:
        answer = await command(ws, f"r-{code}", cmd)
        assert (answer["t"], answer["code"]) == ("error", code)
    assert (await command(nadia, "after", {"type": "pause_timer"}))["t"] == "ack"
    frame = await receive_news(thomas)
    assert frame["t"] == "ev" and frame["e"]["type"] == "timer_paused"


async def _refused_socket(cast: Cast, headers: dict[str, str], session: str | None = None) -> int:
    """Open the session's socket with ``headers``; return the close code it gets."""
    url = f"{cast.server.ws_url}/s/{session or cast.session}/ws"
    async with websockets.connect(url, additional_headers=headers) as ws:
        error = await receive(ws)
        assert error["t"] == "error" and error["message"]
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_bad_links_and_foreign_origins_are_refused(server: ServerProcess) -> None:
    """A forged, truncated, revoked or other session's link, a foreign Origin and a
    missing charter acceptance each close the socket with their documented code."""
    cast = await seat(server)
    other = await seat(server, {"nadia": "facilitator"})
    async with httpx.AsyncClient(base_url=server.url) as http:
        removed = await http.delete(
            f"/api/sessions/{cast.session}/participants/{cast.ids['aicha']}",
            headers=cast.auth("nadia"),
        )
        assert removed.status_code == 204
        invited = await http.post(
            f"/api/sessions/{cast.session}/invitations",
            json={"role": "member", "name": "Léa"},
            headers=cast.auth("nadia"),
        )
        cast.links["lea"] = invited.json()["link"]
    bearer = {"Authorization": "Bearer "}
    assert await _refused_socket(cast, {"Authorization": "Bearer forged-secret"}) == 4001
    assert (
        await _refused_socket(cast, {"Authorization": cast.auth("karim")["Authorization"][:-3]})
        == 4001
    )
    assert await _refused_socket(cast, cast.auth("aicha")) == 4001
    assert await _refused_socket(cast, other.auth("nadia")) == 4001
    assert await _refused_socket(cast, bearer) == 4001
    assert await _refused_socket(cast, cast.auth("lea")) == 4003
    foreign = {**cast.auth("karim"), "Origin": "https://evil.example"}
    assert await _refused_socket(cast, foreign) == 4004
    assert await _refused_socket(cast, cast.auth("karim"), session="s000000000000") == 4040


async def _closed_code(ws: websockets.ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await receive(ws)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_a_removed_participants_open_socket_is_closed(server: ServerProcess) -> None:
    """Removing a member, over HTTP or by a command on the socket, closes their live socket
    with 4010 at once, and their link stops opening anything."""
    cast = await seat(server)
    aicha, sophie, nadia = [await cast.raw(name) for name in ("aicha", "sophie", "nadia")]
    async with httpx.AsyncClient(base_url=server.url) as http:
        removed = await http.delete(
            f"/api/sessions/{cast.session}/participants/{cast.ids['aicha']}",
            headers=cast.auth("nadia"),
        )
        assert removed.status_code == 204
        assert await _closed_code(aicha) == 4010
        remove = {"type": "remove_participant", "participant": cast.ids["sophie"]}
        assert (await command(nadia, "rm", remove))["t"] == "ack"
        assert await _closed_code(sophie) == 4010
        for name in ("aicha", "sophie"):
            assert (await http.get("/api/me", headers=cast.auth(name))).status_code == 401
            page = await http.get(f"/s/{cast.session}", headers=cast.auth(name))
            assert page.status_code == 403


async def test_opening_a_link_leaves_no_secret_in_the_url(server: ServerProcess) -> None:
    """The link's secret is swapped for an HttpOnly cookie and a clean URL."""
    cast = await seat(server)
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=True) as http:
        page = await http.get(cast.links["karim"].removeprefix(server.url))
        assert page.status_code == 200
        assert str(page.url) == f"{server.url}/s/{cast.session}"
        assert cast.secret("karim") not in str(page.url)
        cookie = page.history[0].headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert page.headers["referrer-policy"] == "no-referrer"
        assert (await http.get("/j/not-a-real-secret")).status_code == 404
    log = server.log_path.read_text()
    assert cast.secret("karim") not in log and cast.secret("nadia") not in log


async def test_hostile_api_bodies_get_clear_errors(server: ServerProcess) -> None:
    """JSON that is not JSON, wrong types and oversized bodies are refused with codes."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        for body, status, code in [
            (b"{not json", 400, "invalid"),
            (b'{"title": 3, "name": "N"}', 400, "invalid"),
            (b'{"title": "", "name": "N"}', 400, "invalid"),
            (b'{"title": "T", "name": "N", "template": "x"}', 400, "invalid"),
            (b'{"title": "' + b"x" * 20_000 + b'", "name": "N"}', 413, "frame_too_large"),
        ]:
            answer = await http.post("/api/sessions", content=body)
            assert (answer.status_code, answer.json()["code"]) == (status, code), body[:40]
        for headers, status in [
            ({"Origin": "https://evil.example"}, 403),
            ({"Origin": "null"}, 403),  # a sandboxed frame, a local file
            ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, 403),
            ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 201),  # our form, no-referrer
        ]:
            answer = await http.post(
                "/api/sessions", json={"title": "T", "name": "N"}, headers=headers
            )
            assert answer.status_code == status, headers


async def test_commands_wait_for_the_hello(server: ServerProcess) -> None:
    """A command before the hello is refused with hello_first, and the socket stays usable."""
    cast = await seat(server)
    async with websockets.connect(cast.socket_url, additional_headers=cast.auth("nadia")) as ws:
        await ws.send(pack({"t": "cmd", "key": "early", "cmd": GO_TO_EXPOSE}))
        assert (await receive(ws))["code"] == "hello_first"
        await ws.send(pack({"t": "hello", "seq": 0}))
        answer = await asyncio.wait_for(command(ws, "late", GO_TO_EXPOSE), 10)
        assert answer["t"] == "ack"


async def test_a_hello_asking_batches_in_a_wrong_form_is_refused(server: ServerProcess) -> None:
    """`batch` is true or false; anything else is a bad frame, and the hello can be
    said again, properly, on the same socket: then what waits for the client comes
    joined in one message."""
    cast = await seat(server)
    async with websockets.connect(cast.socket_url, additional_headers=cast.auth("nadia")) as ws:
        await ws.send(pack({"t": "hello", "seq": 0, "batch": "yes"}))
        refused = await receive(ws)
        assert (refused["t"], refused["code"]) == ("error", "bad_frame")
        await ws.send(pack({"t": "hello", "seq": 0, "batch": True}))
        # What waited for it at join (snapshot, ready, can) comes as one message.
        joined = frames_of(await asyncio.wait_for(ws.recv(), 10))
        assert [frame["t"] for frame in joined] == ["snapshot", "ready", "can"]


async def test_a_malformed_command_is_refused_under_its_key(server: ServerProcess) -> None:
    """Whenever a command frame's key can be read, its refusal carries it, whatever else
    is wrong — nested too deep, a field the frame does not have, a command that does
    not decode — so that a client knows which command failed. A key that is not one
    cannot be echoed."""
    cast = await seat(server)
    nadia = await cast.raw("nadia")
    frames = [
        ({"t": "cmd", "key": "deep", "cmd": _nested(20)}, "bad_frame", "deep"),
        ({"t": "cmd", "key": "extra", "cmd": GO_TO_EXPOSE, "when": 1}, "bad_frame", "extra"),
        ({"t": "cmd", "key": "fly", "cmd": {"type": "fly"}}, "bad_command", "fly"),
        ({"t": "cmd", "key": "k" * 65, "cmd": GO_TO_EXPOSE}, "bad_frame", None),
    ]
    for frame, code, key in frames:
        await nadia.send(pack(frame))
        error = await receive_news(nadia)
        assert (error["t"], error["code"], error["key"]) == ("error", code, key), frame


async def test_a_hello_is_checked_like_any_other_frame(server: ServerProcess) -> None:
    """A hello with a field it does not have, or a seq below 0 or beyond 2^53 (the
    largest a JavaScript client counts exactly), is refused bad_frame; the socket stays
    up and a proper hello then joins."""
    cast = await seat(server)
    async with websockets.connect(cast.socket_url, additional_headers=cast.auth("nadia")) as ws:
        for hello in (
            {"t": "hello", "seq": 0, "since": 3},
            {"t": "hello", "seq": -1},
            {"t": "hello", "seq": 2**53 + 1},
        ):
            await ws.send(pack(hello))
            refused = await receive(ws)
            assert (refused["t"], refused["code"], refused["key"]) == ("error", "bad_frame", None)
        await ws.send(pack({"t": "hello", "seq": 0}))
        assert (await receive(ws))["t"] == "snapshot"
