"""A client resuming on another worker gets exactly what it misses: the worker answers
its hello from the log's head, not from a room that has not heard of the last appends
(a worker that died between its append and its notice never sends that notice)."""

from __future__ import annotations

import time
from typing import Any

import websockets

from room.domain.session import State
from room.domain.session import commands as c
from room.domain.session.decide import decide
from room.domain.session.evolve import evolve
from room.live.room import encode_event
from room.store.redis import RedisStore
from tests.integration.people import Cast, pack, receive, seat
from tests.integration.workers import (
    Party,
    Workers,
    deliver,
    on,
    read_log,
)
from tests.redisserver import RedisServer
from tests.running import ServerProcess


async def _hello(worker: ServerProcess, cast: Cast, name: str, seq: int) -> list[dict[str, Any]]:
    """What ``name`` receives on ``worker`` after ``hello{seq}``, up to its "can" frame."""
    url = f"{worker.ws_url}/s/{cast.session}/ws"
    async with websockets.connect(url, additional_headers=cast.auth(name), proxy=None) as ws:
        await ws.send(pack({"t": "hello", "seq": seq}))
        frames = [await receive(ws)]
        while frames[-1]["t"] != "can":
            frames.append(await receive(ws))
    return frames


def _answer(frames: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The frames before "can" as (type, seq): what a resume is made of."""
    return [(frame["t"], frame["seq"]) for frame in frames[:-1]]


async def _append_unannounced(redis_url: str, session: str, actor: str) -> int:
    """Append ``actor``'s raised hand to the log as a worker would, and tell no one, as
    a worker killed between its append and its notice does. Returns the new head."""
    log = await read_log(redis_url, session)
    state = State()
    for event in log:
        state = evolve(state, event)
    events = decide(state, actor, c.RaiseHand(), time.time())
    store = RedisStore(redis_url)
    await store.open()
    try:
        return await store.append(session, len(log), [encode_event(e) for e in events])
    finally:
        await store.close()


async def test_a_hello_is_answered_from_the_head_of_the_log(
    workers: Workers, private_redis: RedisServer
) -> None:
    """An event reaches the log without a notice to worker B, which serves the session:
    a client holding it resumes on B with nothing sent again, no snapshot; one holding
    the seq before gets exactly that event; one claiming a seq beyond the head gets a
    snapshot at the head. Thomas, connected to B all along, receives the event too.
    (The hellos are Nadia's, present on A all along: her sockets on B record no presence.)"""
    a, b = workers.start("a"), workers.start("b")
    cast = await seat(a, {"nadia": "facilitator", "karim": "member", "thomas": "observer"})
    party = Party()
    try:
        thomas = await party.join("thomas", on(cast.links["thomas"], b.port))
        await party.join("nadia", cast.links["nadia"])
        await party.all_present()
        held = await deliver(party["nadia"], c.GoToPhase(phase="expose"), "expose")
        await thomas.wait_seq(held)

        head = await _append_unannounced(private_redis.url, cast.session, cast.ids["karim"])
        assert head == held + 1

        assert _answer(await _hello(b, cast, "nadia", head)) == [("ready", head)]
        assert _answer(await _hello(b, cast, "nadia", head - 1)) == [
            ("ev", head),
            ("ready", head),
        ]
        assert _answer(await _hello(b, cast, "nadia", head + 5)) == [
            ("snapshot", head),
            ("ready", head),
        ]
        await thomas.wait_seq(head)
        assert thomas.state.floor.hands == (cast.ids["karim"],)
        assert (thomas.snapshots, thomas.duplicates) == (1, 0)
    finally:
        await party.close()
