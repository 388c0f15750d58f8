"""A connection writes at once while it keeps up (a batching client: one write for
the frames of one delivery, or of a held turn), and queues, in order, once behind.

The socket here is a stand-in whose buffer fills on demand, so that the moment a send
has to wait is chosen by the test; the real socket's behaviour is covered end to end
by tests/integration/test_slow_consumer.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import msgpack
import pytest

from room.live.connection import BATCH_BYTES, QUEUE_FRAMES, STALLED_SECONDS, Connection
from room.protocol import Close


class FillingSocket:
    """A socket whose buffer is either open (a send completes without waiting, as
    uvicorn's does while the transport is writable) or full (a send waits)."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.open = asyncio.Event()
        self.open.set()
        self.sends_started = 0
        self.closed: tuple[int, str | None] | None = None

    async def send_bytes(self, data: bytes) -> None:
        self.sends_started += 1
        await self.open.wait()
        self.written.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = (code, reason)


@pytest.fixture
async def socket_and_connection() -> AsyncIterator[tuple[FillingSocket, Connection]]:
    socket = FillingSocket()
    connection = Connection(socket, "p1", "fr")
    yield socket, connection
    await connection.stop()


async def _until(condition: Callable[[], bool], *, turns: int = 100) -> None:
    """Let the loop run until ``condition()`` holds (a bounded number of turns)."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


async def test_a_connection_that_keeps_up_is_written_in_the_callers_turn(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """Frames reach the socket before send() returns: no queue, no writer wake-up."""
    socket, connection = socket_and_connection
    for n in range(3):
        connection.send(b"frame %d" % n)
        assert socket.written[-1] == b"frame %d" % n
    assert not connection.pending and connection.queued_bytes == 0


async def test_frames_sent_while_the_socket_is_full_arrive_in_order_after_it(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """The send that had to wait is finished first, then the queued frames, in order."""
    socket, connection = socket_and_connection
    connection.send(b"a")
    socket.open.clear()
    for frame in (b"b", b"c", b"d"):
        connection.send(frame)
    assert socket.written == [b"a"]
    assert socket.sends_started == 2  # "b" began at once and waits; "c", "d" queue behind
    assert connection.queued_bytes == 3
    socket.open.set()
    await _until(lambda: len(socket.written) == 4)
    assert socket.written == [b"a", b"b", b"c", b"d"]
    await _until(lambda: not connection.writing)
    assert connection.queued_bytes == 0
    connection.send(b"e")  # caught up: written at once again
    assert socket.written[-1] == b"e"


async def test_closing_a_connection_stuck_on_a_send_drops_it_and_closes(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """A client that never reads again: its pending send is abandoned, nothing more is
    written, and the socket is closed with the code given."""
    socket, connection = socket_and_connection
    socket.open.clear()
    connection.send(b"stuck")
    connection.send(b"queued")
    await _until(lambda: connection.writing)
    connection.shut(Close.TOO_SLOW, "too slow")
    await _until(lambda: socket.closed is not None)
    assert socket.closed == (Close.TOO_SLOW, "too slow")
    socket.open.set()
    await asyncio.sleep(0)
    assert socket.written == []
    connection.send(b"after")
    assert socket.written == []


async def test_a_client_further_behind_than_the_queue_is_closed_as_too_slow(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    socket, connection = socket_and_connection
    socket.open.clear()
    for n in range(QUEUE_FRAMES + 2):
        connection.send(b"%d" % n)
    assert connection.close_code == (Close.TOO_SLOW, "too slow: reconnect and resume")
    await _until(lambda: socket.closed is not None)


def _unpack(message: bytes) -> list[object]:
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(message)
    return list(unpacker)


async def _turn() -> None:
    """Let the loop's current turn end (what was due at its end has run)."""
    await asyncio.sleep(0)


async def test_a_batching_client_gets_the_frames_of_one_delivery_in_one_message(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """An event and its `can` frame, handed over together, are one write for a client
    that said `batch`, and two for one that did not; both at once."""
    socket, connection = socket_and_connection
    frames = [msgpack.packb({"n": 0}), msgpack.packb({"n": 1})]
    connection.send_all(frames)
    assert socket.written == frames
    connection.batch = True
    connection.send_all(frames)
    assert socket.written[2:] == [b"".join(frames)]
    connection.send_all(frames[:1])
    assert socket.written[-1] is frames[0]  # one frame: as it is, not copied


async def test_a_held_connection_gets_what_the_turn_gives_it_in_one_message(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """Held (its command is being answered), a batching connection writes nothing
    until the turn ends, then the event, its `can` frame and the ack as one message;
    the next turn's frame is written at once again."""
    socket, connection = socket_and_connection
    connection.batch = True
    connection.hold()
    connection.send_all([msgpack.packb({"n": 0}), msgpack.packb({"n": 1})])
    connection.send(msgpack.packb({"n": 2}))
    assert socket.written == []  # not yet: the turn is not over
    await _turn()
    assert [_unpack(message) for message in socket.written] == [[{"n": 0}, {"n": 1}, {"n": 2}]]
    assert socket.sends_started == 1
    connection.send(msgpack.packb({"n": 3}))
    assert socket.written[-1] == msgpack.packb({"n": 3})
    assert not connection.pending and connection.queued_bytes == 0


async def test_a_connection_that_did_not_say_batch_is_never_held(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    socket, connection = socket_and_connection
    connection.hold()
    connection.send(b"\x01")
    connection.send(b"\x02")
    assert socket.written == [b"\x01", b"\x02"]


async def test_a_batching_client_behind_gets_what_waits_in_one_message(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """Once the socket has room again, the frames that waited go as one message, which
    reads back as the same frames in the same order; a client caught up gets one frame
    a message again."""
    socket, connection = socket_and_connection
    connection.batch = True
    socket.open.clear()
    connection.send(msgpack.packb({"n": 0}))  # begun at once; waits for room
    for n in range(1, 6):
        connection.send(msgpack.packb({"n": n}))
    connection.hold()  # behind: nothing to hold, the frames queue and are joined anyway
    connection.send(msgpack.packb({"n": 6}))
    assert connection.burst is None
    socket.open.set()
    await _until(lambda: len(socket.written) == 2)
    assert [_unpack(message) for message in socket.written] == [
        [{"n": 0}],
        [{"n": n} for n in range(1, 7)],
    ]
    await _until(lambda: not connection.writing)
    connection.send(msgpack.packb({"n": 7}))
    assert _unpack(socket.written[-1]) == [{"n": 7}]


async def test_a_batch_stays_under_its_size_and_a_client_that_did_not_ask_gets_none(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """Joined at once, held or queued, no message passes BATCH_BYTES; a client that
    did not say `batch` gets one frame a message."""
    socket, connection = socket_and_connection
    large = msgpack.packb("x" * (BATCH_BYTES // 3))
    socket.open.clear()
    connection.send(b"\xc0")  # waits for room
    for _ in range(4):
        connection.send(large)
    socket.open.set()
    await _until(lambda: len(socket.written) == 5)  # not batching: one frame a message
    connection.batch = True
    socket.open.clear()
    connection.send(b"\xc0")
    for _ in range(4):
        connection.send(large)
    socket.open.set()
    await _until(lambda: not connection.pending and not connection.writing)
    assert [len(_unpack(message)) for message in socket.written[5:]] == [1, 2, 2]
    connection.send_all([b"\xc0", large, large, large, large])
    assert [len(_unpack(message)) for message in socket.written[8:]] == [3, 2]
    connection.hold()
    for _ in range(4):
        connection.send(large)
    await _turn()
    assert [len(_unpack(message)) for message in socket.written[10:]] == [2, 2]
    assert all(len(message) <= BATCH_BYTES for message in socket.written)


async def test_frames_queued_during_a_hold_come_after_what_it_holds(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """A catch-up queued while a connection is held goes behind what it holds: the
    order frames were given in is the order they arrive in."""
    socket, connection = socket_and_connection
    connection.batch = True
    connection.hold()
    connection.send(b"\x01")
    connection.catch_up([b"\x02", b"\x03"])
    connection.send(b"\x04")
    await _until(lambda: not connection.pending and not connection.writing)
    assert b"".join(socket.written) == b"\x01\x02\x03\x04"


async def test_what_a_connection_holds_is_dropped_when_it_closes(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """Frames held for the turn's end are dropped like queued ones: the client
    resumes from its seq."""
    socket, connection = socket_and_connection
    connection.batch = True
    connection.hold()
    connection.send(b"\x01")
    connection.shut(Close.TOO_SLOW, "too slow")
    await _until(lambda: socket.closed is not None)
    assert socket.written == []
    assert connection.burst is None and not connection.burst_due


async def test_a_batching_client_further_behind_than_the_queue_is_closed_as_too_slow(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """Batching lifts no bound: what a held turn gave it waits, the rest queues."""
    socket, connection = socket_and_connection
    connection.batch = True
    socket.open.clear()
    connection.hold()
    connection.send(b"\x01")
    await _turn()  # the held frame waits for room
    for n in range(QUEUE_FRAMES + 1):
        connection.send(b"%d" % n)
    assert connection.close_code == (Close.TOO_SLOW, "too slow: reconnect and resume")
    await _until(lambda: socket.closed is not None)


async def test_a_client_that_takes_nothing_for_too_long_is_closed_at_the_next_frame(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """A frozen laptop holds little in the queue at a session's pace, so the frame
    bound would take minutes: past STALLED_SECONDS without taking a byte, it is closed
    as too slow. A client that takes its frames again is not."""
    socket, connection = socket_and_connection
    socket.open.clear()
    connection.send(b"waits")
    assert connection.stalled_since is not None
    connection.send(b"queued")
    assert connection.close_code is None
    socket.open.set()
    await _until(lambda: len(socket.written) == 2 and not connection.writing)
    assert connection.stalled_since is None  # it took its frames: the clock starts over

    socket.open.clear()
    connection.send(b"waits again")
    assert connection.stalled_since is not None
    connection.stalled_since -= STALLED_SECONDS + 1  # as if that long had passed
    connection.send(b"one more")
    assert connection.close_code == (Close.TOO_SLOW, "too slow: reconnect and resume")
    await _until(lambda: socket.closed is not None)
