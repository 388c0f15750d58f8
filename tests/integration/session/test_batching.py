"""One write per connection per turn for a client that said `batch`, over real sockets.

A command's event, the `can` frame it changes and the ack go to its author in one
turn of the server's loop; a client that said `hello{batch: true}` gets them as one
WebSocket message, frames back to back; a client that did not still gets one frame a
message. (tests/integration/live/test_slow_consumer.py holds the bounds for both.)
"""

from __future__ import annotations

from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from room.client import frames_of
from tests.integration.people import OPEN_SOCKETS, Cast, pack, seat
from tests.running import ServerProcess

CAST = {"nadia": "facilitator", "karim": "member", "thomas": "observer"}


async def _messages(ws: ClientConnection) -> list[dict[str, Any]]:
    """The frames of the next message."""
    return frames_of(await ws.recv())


async def _joined(cast: Cast, name: str, *, batch: bool) -> ClientConnection:
    """``name`` on a bare socket, read past the arrival of its own presence (the last
    thing its joining causes): what comes next is what a command causes. What came
    before it is in the protocol's order: snapshot, ready, can."""
    ws = await websockets.connect(cast.socket_url, additional_headers=cast.auth(name))
    OPEN_SOCKETS.append(ws)
    await ws.send(pack({"t": "hello", "seq": 0, "batch": batch}))
    me, kinds = cast.ids[name], []
    while True:
        frames = await _messages(ws)
        assert batch or len(frames) == 1
        kinds += [frame["t"] for frame in frames]
        if any(_is_arrival(frame, me) for frame in frames):
            assert kinds[:3] == ["snapshot", "ready", "can"], kinds
            return ws


def _is_arrival(frame: dict[str, Any], participant: str) -> bool:
    event = frame.get("e") or {}
    return (
        frame["t"] == "ev"
        and event.get("type") == "connected"
        and event.get("participant") == participant
    )


async def _arrival_seen(ws: ClientConnection, participant: str) -> None:
    while not any(_is_arrival(frame, participant) for frame in await _messages(ws)):
        pass


async def test_a_batching_client_gets_its_event_can_frame_and_ack_in_one_message(
    server: ServerProcess,
) -> None:
    """Karim raises his hand: the event, his new `can` (lower, not raise) and the ack
    reach him as one message, in that order; the observer, who did not say batch,
    gets the event alone."""
    cast = await seat(server, CAST)
    thomas = await _joined(cast, "thomas", batch=False)
    karim = await _joined(cast, "karim", batch=True)
    await _arrival_seen(thomas, cast.ids["karim"])

    await karim.send(pack({"t": "cmd", "key": "hand", "cmd": {"type": "raise_hand"}}))
    frames = await _messages(karim)
    assert [frame["t"] for frame in frames] == ["ev", "can", "ack"]
    event, can, ack = frames
    assert event["e"]["type"] == "hand_raised"
    assert "lower_hand" in can["moves"]["do"] and "raise_hand" not in can["moves"]["do"]
    assert (ack["key"], ack["seq"]) == ("hand", event["seq"])

    observed = await _messages(thomas)
    assert [frame["t"] for frame in observed] == ["ev"]
    assert observed[0]["seq"] == event["seq"]


async def test_a_client_that_did_not_say_batch_gets_one_frame_a_message(
    server: ServerProcess,
) -> None:
    """The same command from a client that did not say batch: three messages, one
    frame each, in the same order."""
    cast = await seat(server, CAST)
    karim = await _joined(cast, "karim", batch=False)

    await karim.send(pack({"t": "cmd", "key": "hand", "cmd": {"type": "raise_hand"}}))
    messages = [await _messages(karim) for _ in range(3)]
    assert [[frame["t"] for frame in frames] for frames in messages] == [["ev"], ["can"], ["ack"]]
    assert messages[0][0]["e"]["type"] == "hand_raised"
    assert messages[2][0]["seq"] == messages[0][0]["seq"]
