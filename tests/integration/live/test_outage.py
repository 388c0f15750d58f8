"""Redis away: every path answers "not now" (`unavailable`, 503, close 1012), never a
server error, and applies nothing by half; clients back off until it is back."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import msgpack
import websockets
from websockets.exceptions import ConnectionClosed

from room.client import Backoff
from room.i18n import catalogue
from tests.integration.people import Cast, pack, seat
from tests.integration.workers import (
    Party,
    Relay,
    Workers,
    assert_each_key_once,
    deliver,
    follow_up,
    kinds,
    on,
    read_log,
    wait_subscription,
)
from tests.redisserver import RedisServer
from tests.running import ServerProcess

UNAVAILABLE_PAGE = catalogue("fr")["page.unavailable.title"]


async def _socket_refusal(
    worker: ServerProcess, cast: Cast, name: str
) -> tuple[list[str], int | None]:
    """What ``name`` is told on ``worker``'s socket: the error codes, then the close code."""
    url = f"{worker.ws_url}/s/{cast.session}/ws"
    codes = []
    try:
        async with websockets.connect(url, additional_headers=cast.auth(name), proxy=None) as ws:
            with contextlib.suppress(ConnectionClosed):  # refused before it is read
                await ws.send(pack({"t": "hello", "seq": 0}))
            while True:
                frame: dict[str, Any] = msgpack.unpackb(await ws.recv(), raw=False)
                codes.append(frame.get("code") or frame["t"])
    except ConnectionClosed as closed:
        return codes, closed.rcvd.code if closed.rcvd is not None else None


async def _assert_unavailable_everywhere(worker: ServerProcess, cast: Cast) -> None:
    """The socket, the API and the pages of ``worker`` each say "not now"."""
    refusal = await _socket_refusal(worker, cast, "sophie")
    assert refusal == (["unavailable"], 1012), f"port {worker.port}: {refusal}"
    async with httpx.AsyncClient(base_url=worker.url, trust_env=False, timeout=30) as http:
        answers = {
            "session": await http.get(f"/api/sessions/{cast.session}", headers=cast.auth("karim")),
            "create": await http.post("/api/sessions", json={"title": "Séance", "name": "Léa"}),
            "me": await http.get("/api/me", headers=cast.auth("karim")),
        }
        for what, answer in answers.items():
            assert answer.status_code == 503, f"port {worker.port}, {what}: {answer.text}"
            assert answer.json()["code"] == "unavailable", f"{what}: {answer.text}"
        page = await http.get(f"/j/{cast.secret('sophie')}")
        assert page.status_code == 503, page.text
        assert UNAVAILABLE_PAGE in page.text


async def test_a_redis_outage_is_unavailable_never_a_server_error(
    workers: Workers, private_redis: RedisServer
) -> None:
    """Redis stops while Karim (on A) and Aïcha (on B) are in a session. At once, and
    again once both workers know, every path says "not now": the socket's error
    `unavailable` and close 1012, the API's 503 with that code, a page's 503. Aïcha's
    command sent meanwhile is applied once Redis is back, once; every client holds the
    one history; and no worker logged a traceback."""
    a, b = workers.start("a"), workers.start("b")
    roles = {"nadia": "facilitator", "karim": "member", "aicha": "member", "sophie": "member"}
    cast = await seat(a, roles)
    party = Party()
    during: asyncio.Task[int] | None = None
    try:
        await party.join("karim", cast.links["karim"])
        await party.join("aicha", on(cast.links["aicha"], b.port))
        await party.all_present()
        acked = {"before": await deliver(party["karim"], follow_up("before"), "before")}

        await asyncio.to_thread(private_redis.stop)
        during = asyncio.create_task(deliver(party["aicha"], follow_up("during"), "during"))
        for worker in (a, b):
            await _assert_unavailable_everywhere(worker, cast)
        await asyncio.gather(wait_subscription(a, "dead"), wait_subscription(b, "dead"))
        for worker in (a, b):
            await _assert_unavailable_everywhere(worker, cast)

        await asyncio.to_thread(private_redis.start)
        await asyncio.gather(wait_subscription(a, "alive"), wait_subscription(b, "alive"))
        acked["during"] = await asyncio.wait_for(during, 60)
        acked["after"] = await deliver(party["karim"], follow_up("after"), "after")
        await party.level(acked["after"])
        log = await read_log(private_redis.url, cast.session)
        party.assert_one_history(kinds(log), acked["after"])
    finally:
        if during is not None:
            during.cancel()
        await party.close()
    assert_each_key_once(log, acked)
    for worker in (a, b):
        text = worker.log_path.read_text(errors="replace")
        assert "Traceback" not in text, f"port {worker.port} logged: {text[-3000:]}"


async def test_a_client_backs_off_while_the_server_refuses(
    workers: Workers, private_redis: RedisServer
) -> None:
    """With Redis down, worker A refuses every connection (1012). Karim's client,
    reaching A through a relay that counts connections, waits longer before each new
    attempt: with its draws fixed at the top of each ceiling, the waits are 0.05 s
    doubling, so the n-th gap between attempts is at least 0.05 × 2ⁿ s (a lower bound,
    which no machine's slowness breaks). Once Redis is back, he resumes."""
    a = workers.start("a")
    cast = await seat(a, {"nadia": "facilitator", "karim": "member"})
    async with Relay(a.port) as relay:
        backoff = Backoff(first=0.05, rand=lambda: 1.0)
        party = Party()
        try:
            karim = await party.join("karim", on(cast.links["karim"], relay.port))
            karim.backoff = backoff
            before = len(relay.connects)  # his HTTP calls and his socket
            await asyncio.to_thread(private_redis.stop)
            retries = 6
            async with asyncio.timeout(60):
                attempts = (await relay.wait_connects(before + retries + 1))[before:]
            gaps = [later - earlier for earlier, later in zip(attempts, attempts[1:], strict=False)]
            for n, gap in enumerate(gaps[:retries], start=1):
                assert gap >= 0.05 * 2**n, f"gap {n} was {gap:.3f} s: {gaps}"
            assert backoff.attempt >= retries + 1

            await asyncio.to_thread(private_redis.start)
            await wait_subscription(a, "alive")
            back = await deliver(karim, follow_up("back"), "back")
            assert karim.seq >= back
        finally:
            await party.close()
