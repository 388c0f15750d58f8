"""A connection writes at once while it keeps up (a batching client: once per turn),
and queues, in order, once behind.

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


async def test_a_batching_client_gets_what_one_turn_gives_it_in_one_message(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """An event, its `can` frame and the ack, sent in one turn, go out as one write
    when the turn ends; the next turn's frame is a message of its own."""
    socket, connection = socket_and_connection
    connection.batch = True
    for n in range(3):
        connection.send(msgpack.packb({"n": n}))
    assert socket.written == []  # not yet: the turn is not over
    await _turn()
    assert [_unpack(message) for message in socket.written] == [[{"n": 0}, {"n": 1}, {"n": 2}]]
    assert socket.sends_started == 1
    connection.send(msgpack.packb({"n": 3}))
    await _turn()
    assert socket.written[-1] == msgpack.packb({"n": 3})  # one frame: as it was, not copied
    assert not connection.pending and connection.queued_bytes == 0


async def test_a_batching_client_behind_gets_what_waits_in_one_message(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """Once the socket has room again, the frames that waited go as one message, which
    reads back as the same frames in the same order; a client caught up gets one
    message a turn again."""
    socket, connection = socket_and_connection
    connection.batch = True
    socket.open.clear()
    connection.send(msgpack.packb({"n": 0}))
    await _turn()  # begun at the turn's end; waits for room
    assert connection.writing
    for n in range(1, 6):  # behind: these queue, as for any client
        connection.send(msgpack.packb({"n": n}))
    assert connection.burst is None and connection.pending is not None
    socket.open.set()
    await _until(lambda: len(socket.written) == 2)
    assert [_unpack(message) for message in socket.written] == [
        [{"n": 0}],
        [{"n": n} for n in range(1, 6)],
    ]
    await _until(lambda: not connection.writing)
    connection.send(msgpack.packb({"n": 6}))
    await _turn()
    assert _unpack(socket.written[-1]) == [{"n": 6}]


async def test_a_batch_stays_under_its_size_and_a_client_that_did_not_ask_gets_none(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """A turn's burst that would pass BATCH_BYTES goes out as it is and a new one
    begins; a client that did not say `batch` gets one frame a message, in its turn."""
    socket, connection = socket_and_connection
    large = msgpack.packb("x" * (BATCH_BYTES // 3))
    for _ in range(4):
        connection.send(large)
    assert len(socket.written) == 4  # not batching: one frame a message, at once
    connection.batch = True
    connection.send(b"\xc0")
    for _ in range(4):
        connection.send(large)
    await _turn()
    batched = socket.written[4:]
    assert [len(_unpack(message)) for message in batched] == [3, 2]
    assert all(len(message) <= BATCH_BYTES for message in batched)
    socket.open.clear()
    connection.send(b"\xc0")
    await _turn()  # waits for room
    for _ in range(4):
        connection.send(large)  # queued behind it
    socket.open.set()
    await _until(lambda: not connection.pending and not connection.writing)
    behind = socket.written[6:]
    assert [len(_unpack(message)) for message in behind] == [1, 2, 2]
    assert all(len(message) <= BATCH_BYTES for message in behind)


async def test_frames_queued_during_a_burst_come_after_it(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """A catch-up queued while a burst waits for the turn's end goes behind the burst:
    the order frames were given in is the order they arrive in."""
    socket, connection = socket_and_connection
    connection.batch = True
    connection.send(b"\x01")
    connection.catch_up([b"\x02", b"\x03"])
    connection.send(b"\x04")
    await _until(lambda: not connection.pending and not connection.writing)
    assert b"".join(socket.written) == b"\x01\x02\x03\x04"


async def test_a_burst_is_dropped_when_its_connection_closes(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """Frames waiting for the turn's end are dropped like queued ones: the client
    resumes from its seq."""
    socket, connection = socket_and_connection
    connection.batch = True
    connection.send(b"\x01")
    connection.shut(Close.TOO_SLOW, "too slow")
    await _until(lambda: socket.closed is not None)
    assert socket.written == []
    assert connection.burst is None and connection.burst_due is None


async def test_a_batching_client_further_behind_than_the_queue_is_closed_as_too_slow(
    socket_and_connection: tuple[FillingSocket, Connection],
) -> None:
    """Batching does not lift the bound: past the first burst, frames queue."""
    socket, connection = socket_and_connection
    connection.batch = True
    socket.open.clear()
    connection.send(b"\x01")
    await _turn()  # the burst waits for room
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
