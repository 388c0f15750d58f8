"""One client that stops reading must not hold up the others, nor the server's memory."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from room.client import frames_of
from room.live.connection import QUEUE_BYTES
from tests.integration.people import OPEN_SOCKETS, ROLES, pack, receive, seat
from tests.running import ServerProcess

TEXT = "\U0001f600" * 4_990  # ~20 KB a frame, the largest a follow-up can be
WINDOW = 20  # commands in flight at once


def _kernel_buffers() -> int:
    """What the kernel may hold in flight for a client that reads nothing: the sender's
    maximum, and the receiver's default (autotuning grows it only for a reader)."""
    wmem = Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2]
    rmem = Path("/proc/sys/net/ipv4/tcp_rmem").read_text().split()[1]
    return int(wmem) + int(rmem)


async def _read_until_post(ws: websockets.ClientConnection, last_key: str) -> set[int]:
    """Read ``ws`` until the post keyed ``last_key``; return every event seq seen."""
    seen: set[int] = set()
    while True:
        frame = await receive(ws)
        if frame["t"] != "ev":
            continue
        assert frame["seq"] not in seen, "an event arrived twice"
        seen.add(frame["seq"])
        event = frame["e"]
        if event["type"] == "contribution_posted":
            if event["contribution"]["body"]["text"].startswith(f"{last_key} "):
                return seen


async def _frames(ws: websockets.ClientConnection, batch: bool) -> list[dict[str, Any]]:
    """The frames of the next message: several only for a client that said ``batch``."""
    frames = frames_of(await ws.recv())
    assert batch or len(frames) == 1, "a client that did not say batch got a batch"
    return frames


@pytest.mark.parametrize("batch", [False, True], ids=["one-frame-a-message", "batching"])
async def test_a_client_that_stops_reading_is_closed_and_others_get_everything(
    server: ServerProcess, batch: bool
) -> None:
    """More is sent than the kernel buffers and the slow client's queue can hold: it is
    closed with 4008, every other client received every event, and it resumes. The
    same whether it reads one frame a message or batches: joining what one turn gives
    it lifts no bound."""
    cast = await seat(server, {**ROLES, "lent": "observer"})
    karim = await cast.raw("karim")
    thomas = await cast.raw("thomas")
    slow = await websockets.connect(
        cast.socket_url,
        additional_headers=cast.auth("lent"),
        max_queue=1,
        ping_interval=None,  # it reads nothing, so it could not hear a pong either
    )
    OPEN_SOCKETS.append(slow)
    await slow.send(pack({"t": "hello", "seq": 0, "batch": batch}))
    slow_seq, ready = 0, False
    while not ready:
        for frame in await _frames(slow, batch):
            slow_seq = frame.get("seq", slow_seq)
            ready = ready or frame["t"] == "can"
    # From here on, the slow client reads nothing.

    posts = (QUEUE_BYTES + _kernel_buffers()) // len(TEXT.encode()) + 300
    thomas_reads = asyncio.create_task(_read_until_post(thomas, f"p{posts - 1}"))
    first_seq = last_seq = 0
    for start in range(0, posts, WINDOW):
        keys = [f"p{n}" for n in range(start, min(start + WINDOW, posts))]
        for key in keys:
            cmd = {"type": "post", "kind": "follow_up", "body": {"text": f"{key} {TEXT}"}}
            await karim.send(pack({"t": "cmd", "key": key, "cmd": cmd}))
        pending = set(keys)
        while pending:
            frame = await receive(karim)
            if frame["t"] == "ack":
                pending.discard(frame["key"])
                first_seq = first_seq or frame["seq"]
                last_seq = frame["seq"]
            assert frame["t"] != "error", frame
    seen = await asyncio.wait_for(thomas_reads, 60)
    assert set(range(first_seq, last_seq + 1)) <= seen, "a healthy client missed events"

    # The slow client reads again: what was in flight, then the close.
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            for frame in await asyncio.wait_for(_frames(slow, batch), 60):
                if frame["t"] == "ev":
                    assert frame["seq"] == slow_seq + 1
                    slow_seq = frame["seq"]
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
    assert slow_seq < last_seq

    # It resumes from the last seq it holds and ends up level with the others.
    async with websockets.connect(
        cast.socket_url, additional_headers=cast.auth("lent"), max_size=None
    ) as again:
        await again.send(pack({"t": "hello", "seq": slow_seq, "batch": batch}))
        ready_seq = None
        while ready_seq is None:
            for frame in await _frames(again, batch):
                if frame["t"] == "ready":
                    ready_seq = frame["seq"]
                    break
                if frame["t"] == "ev":
                    assert frame["seq"] == slow_seq + 1
                    slow_seq = frame["seq"]
                else:
                    assert frame["t"] == "snapshot"
                    slow_seq = frame["seq"]
        assert ready_seq >= last_seq and slow_seq == ready_seq
