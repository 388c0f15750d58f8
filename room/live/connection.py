"""One live WebSocket of one participant, and how frames reach it.

A frame for a connection that keeps up is written at once, in the caller's turn; for a
client that reads batches, the frames of one delivery are joined into one write (an
event and its `can` frame; a command's own connection is held to the end of the turn,
so that its ack joins them too). Only a connection that is behind queues, and its own
writer drains that bounded queue. So a slow client delays no one: past its bounds it
is closed (Close.TOO_SLOW) and resumes on reconnect from its last seq.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from room import protocol

log = logging.getLogger(__name__)

QUEUE_FRAMES = 4096  # a connection further behind than this is closed, not buffered
QUEUE_BYTES = 16 * 1024 * 1024  # …or holding more than this, whichever comes first
STALLED_SECONDS = 15.0  # …or taking no byte for this long while frames wait for it
CLOSE_SECONDS = 5.0  # for our close frame to go out once the handler is done reading
BATCH_BYTES = 256 * 1024  # at most this much joined in one message for a batching client


class Socket(Protocol):
    """What the hub needs of a WebSocket (Starlette's, or a test double)."""

    def send_bytes(self, data: bytes) -> Coroutine[Any, Any, None]: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class _Unfinished:
    """A send begun at once that had to wait (the client's TCP buffer is full): the
    writer carries it on, in its place in the queue, as a task would have."""

    __slots__ = ("sending", "waiting_on", "size")

    def __init__(self, sending: Coroutine[Any, Any, None], waiting_on: Any, size: int) -> None:
        self.sending = sending  # the send coroutine, suspended
        self.waiting_on = waiting_on  # the future it yielded (None for a bare yield)
        self.size = size  # its frame's length, counted in the queue's bytes

    async def finish(self) -> None:
        try:
            while True:
                if self.waiting_on is None:
                    await asyncio.sleep(0)
                else:
                    self.waiting_on._asyncio_future_blocking = False  # taken, as a task does
                    # wait() never raises the future's error: the send sees it as it resumes.
                    await asyncio.wait((self.waiting_on,))
                self.waiting_on = self.sending.send(None)
        except StopIteration:
            pass
        finally:
            self.sending.close()  # unwinds a send abandoned by a cancelled writer


class _TurnEnd:
    """The held connections whose burst is to be written when the loop's turn ends: one
    callback a turn for all of them, not a handle each."""

    __slots__ = ("loop", "due")

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None  # the loop the list is for
        self.due: list[Connection] = []  # in the order their bursts began

    def add(self, connection: Connection) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # a loop that ended (a test's) may have left some
            self.loop, self.due = loop, []
        if not self.due:
            loop.call_soon(self.run)
        self.due.append(connection)

    def run(self) -> None:
        due, self.due = self.due, []
        for connection in due:
            connection.burst_due = False
            try:
                connection._write_burst()
            except Exception:  # a bug of ours: the others' bursts still go out
                log.exception("writing a burst to %s failed", connection.participant)


_TURN_END = _TurnEnd()


@dataclass(eq=False, slots=True)
class Connection:
    """One live WebSocket of one participant.

    A frame for a connection whose writer is idle is written at once, in the caller's
    turn: no task switch, no queue. A client that said it reads batches gets the frames
    of one delivery (send_all) as one message, and a held connection (hold()) what
    the rest of the turn gives it: an event, its `can` frame and the ack, one write.
    Only a connection that is behind (its socket's buffer full, or frames already
    waiting) queues, and its own writer drains that queue, so a slow client still
    delays no one. A batching client behind gets what waits in one message too (up to
    BATCH_BYTES): the further behind, the fewer sends.
    """

    socket: Socket
    participant: str
    lang: str
    # The client reads several frames, back to back, from one message (hello's `batch`).
    batch: bool = False
    # Frames (or a send begun at once) waiting for this connection's writer, oldest
    # first; bounded, so memory is too. Made on first need: most connections never wait.
    pending: deque[bytes | _Unfinished] | None = None
    # Bytes pending, for the byte bound.
    queued_bytes: int = 0
    # Of those, the snapshot or replay queued at join: first out, and not held against
    # the bound, which is on how far behind the live events a client falls.
    catch_up_bytes: int = 0
    # Set once the connection is being closed, so nothing more is queued to it.
    closing: bool = False
    # Why the server closed it, if it did: a close code and a reason.
    close_code: tuple[int, str] | None = None
    # The task sending what is pending, while there is any (or closing the socket); a
    # connection that keeps up has none, so an idle one costs no task.
    writer: asyncio.Task[None] | None = None
    # The writer is waiting on a send (cancelling it there loses no half frame).
    in_send: bool = False
    # When a send last had to wait for room in the socket and has not finished since
    # (monotonic seconds), or None: how long the client has taken nothing.
    stalled_since: float | None = None
    # While the connection is held (hold()), what it was sent this loop turn, to be
    # written as one message when the turn ends (only while its writer is idle: behind,
    # frames queue instead, and the writer joins them). None when not held.
    burst: list[bytes] | None = None
    # Their bytes, so that a burst stays under BATCH_BYTES.
    burst_bytes: int = 0
    # Its burst is due to be written at the end of this turn (it is in _TURN_END's list).
    burst_due: bool = False

    @property
    def writing(self) -> bool:
        """Frames are on their way: a new one goes behind them."""
        return self.writer is not None

    def send(self, frame: bytes) -> None:
        """Write ``frame`` now if nothing is ahead of it (if the connection is held,
        when the turn ends, with the rest), else queue it without waiting; a full queue
        means the client is too slow."""
        if self.closing:
            return
        if self.burst is not None:  # held: nothing is ahead of it but the burst
            if self.burst and self.burst_bytes + len(frame) > BATCH_BYTES:
                self._write_burst()  # full: out now; the hold goes on unless it must wait
                if self.writer is None and self.burst_due:
                    self.burst = []
                self.send(frame)
                return
            self.burst.append(frame)
            self.burst_bytes += len(frame)
            return
        if self.writer is None and self._write_now(frame):
            return
        self._enqueue(frame)

    def send_all(self, frames: list[bytes]) -> None:
        """Send ``frames``, in order; to a batching client, joined into as few messages
        as BATCH_BYTES allows: one write, for an event and its `can` frame."""
        if not self.batch or self.burst is not None or self.writer is not None:
            for frame in frames:
                self.send(frame)
            return
        joined: list[bytes] = []
        size = 0
        for frame in frames:
            if joined and size + len(frame) > BATCH_BYTES:
                self.send(b"".join(joined))
                joined, size = [], 0
            joined.append(frame)
            size += len(frame)
        if joined:
            self.send(joined[0] if len(joined) == 1 else b"".join(joined))

    def hold(self) -> None:
        """For a batching client, hold what it is sent until the loop's turn ends, then
        write it as one message (a command's events, its `can` frame, the ack that its
        caller sends next). Nothing is held while frames wait: they are joined anyway."""
        if not self.batch or self.closing or self.writer is not None or self.burst is not None:
            return
        self.burst, self.burst_bytes = [], 0
        if not self.burst_due:
            self.burst_due = True
            _TURN_END.add(self)

    def _enqueue(self, frame: bytes) -> None:
        """Queue ``frame`` behind what waits, or close a client too slow to take it."""
        behind = self.queued_bytes - self.catch_up_bytes + len(frame)
        stalled = self.stalled_since is not None and (
            time.monotonic() - self.stalled_since > STALLED_SECONDS
        )
        waiting = len(self.pending) if self.pending is not None else 0
        if waiting >= QUEUE_FRAMES or behind > QUEUE_BYTES or stalled:
            # A frozen laptop, a dead link: it resumes from its seq when it reads again.
            self.shut(protocol.Close.TOO_SLOW, "too slow: reconnect and resume")
            return
        self._queue(frame)

    def _write_burst(self) -> None:
        """The burst as one message: written now if nothing is ahead of it (it has had
        nothing ahead since it began: else its frames would have queued)."""
        frames, self.burst, self.burst_bytes = self.burst, None, 0
        if not frames or self.closing:
            return
        message = frames[0] if len(frames) == 1 else b"".join(frames)
        if self.writer is None and self._write_now(message):
            return
        self._enqueue(message)

    def _spill_burst(self) -> None:
        """Queue the burst ahead of a frame about to queue, so that order holds."""
        frames, self.burst, self.burst_bytes = self.burst, None, 0
        if self.pending is None:
            self.pending = deque()
        for frame in frames or ():
            self.pending.append(frame)
            self.queued_bytes += len(frame)

    def _queue(self, item: bytes | _Unfinished) -> None:
        if self.burst is not None:
            self._spill_burst()
        if self.pending is None:
            self.pending = deque()
        self.pending.append(item)
        self.queued_bytes += item.size if isinstance(item, _Unfinished) else len(item)
        self._start_writer()

    def _start_writer(self) -> None:
        if self.writer is None:
            self.writer = asyncio.get_running_loop().create_task(self._write())

    def _write_now(self, frame: bytes) -> bool:
        """Run the socket's send until it first waits. True if the frame is written or
        handed to the writer to finish; False if the send failed at once (the writer
        then tries it again and meets the same error, ending the connection)."""
        sending = self.socket.send_bytes(frame)
        try:
            waiting_on = sending.send(None)
        except StopIteration:
            return True
        except Exception:
            sending.close()
            return False
        self.stalled_since = time.monotonic()
        self._queue(_Unfinished(sending, waiting_on, len(frame)))
        return True

    def catch_up(self, frames: list[bytes]) -> None:
        """Queue a joining client's snapshot or replay, however large the session is."""
        for frame in frames:
            self._queue(frame)
            self.catch_up_bytes += len(frame)

    def shut(self, code: int, reason: str) -> None:
        """Close the socket with ``code``, after the send under way if it can finish."""
        if self.closing:
            return
        self.closing = True
        self.close_code = (code, reason)
        # Drop what was queued: the client resumes from its last seq anyway.
        self._drop_pending()
        if self.writer is None:
            self._start_writer()  # to close the socket
        elif self.in_send:
            # A client that stopped reading keeps the writer waiting for room in its TCP
            # buffer; the server waits before writing, so cancelling loses no half frame.
            self.writer.cancel()

    def _drop_pending(self) -> None:
        for item in self.pending or ():
            if isinstance(item, _Unfinished):
                item.sending.close()
        self.pending = None
        self.queued_bytes = self.catch_up_bytes = 0
        self.burst, self.burst_bytes = None, 0  # its turn's end then finds nothing

    async def stop(self) -> None:
        """The socket's handler is ending: nothing more is sent; a close we asked for
        is given a moment to go out, anything else the writer was doing is dropped."""
        self.closing = True
        self._drop_pending()
        writer = self.writer
        if writer is None:
            return
        if self.close_code is not None:
            await asyncio.wait({writer}, timeout=CLOSE_SECONDS)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writer

    def _next_message(self) -> bytes | _Unfinished:
        """The oldest pending item; for a batching client, with the frames behind it
        joined into one message (msgpack objects read back to back)."""
        pending = self.pending
        assert pending  # the writer asks only while something is pending
        item = pending.popleft()
        if isinstance(item, _Unfinished) or not self.batch:
            return item
        frames, size = [item], len(item)
        while pending and size < BATCH_BYTES:
            following = pending[0]
            if isinstance(following, _Unfinished) or size + len(following) > BATCH_BYTES:
                break
            pending.popleft()
            frames.append(following)
            size += len(following)
        return frames[0] if len(frames) == 1 else b"".join(frames)

    async def _write(self) -> None:
        """Send what is pending, then end (or close the socket, if asked to).

        The close frame itself waits for room in the socket: it reaches a slow client
        once it reads again; a client that never does is dropped by the ping timeout.
        """
        try:
            while self.pending and not self.closing:
                message = self._next_message()
                size = message.size if isinstance(message, _Unfinished) else len(message)
                self.queued_bytes -= size
                self.catch_up_bytes = max(0, self.catch_up_bytes - size)
                self.in_send = True
                if isinstance(message, _Unfinished):
                    await message.finish()
                else:
                    sending = self.socket.send_bytes(message)
                    if self.stalled_since is None:
                        self.stalled_since = time.monotonic()
                    await sending
                self.in_send = False
                self.stalled_since = None
        except asyncio.CancelledError:
            if not self.closing:
                raise
        except Exception as error:
            # The client went away mid-send, or a bug of ours: the reader ends the
            # connection either way; 1011 tells a client still there to come back.
            log.warning("send to %s failed: %r", self.participant, error)
            self.closing = True
            self._drop_pending()
            if self.close_code is None:
                self.close_code = (1011, "send failed")
        finally:
            self.writer = None
            self.in_send = False
            if not self.pending:
                self.pending = None  # an idle connection holds no queue
        if self.close_code is not None:
            with contextlib.suppress(Exception):
                await self.socket.close(*self.close_code)
