"""Live fan-out: the sessions this process serves, and their connections.

A ``Room`` is one session held in memory: its state, its last seq, its
connections. Commands on a room run one at a time under its lock, so every client
sees one order. Each event is encoded once and the same bytes go to every
connection: written at once to a connection that is keeping up, queued for one that
is behind, whose own writer drains its bounded queue. So a slow client delays no
one: when its queue is full it is closed (Close.TOO_SLOW) and resumes on reconnect
from its last seq.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

import msgpack

from room import protocol
from room.domain import SCHEMA_VERSION, SYSTEM, Command, DomainError, Event, Role, State
from room.domain import commands as cmd
from room.domain.capabilities import allowed, next_change
from room.domain.capabilities import to_plain as moves_to_plain
from room.domain.decide import decide
from room.domain.events import ParticipantRemoved
from room.domain.evolve import evolve
from room.domain.plain import to_plain
from room.domain.upgrade import event_from_plain
from room.domain.visibility import hidden_ids, visible_event, visible_state
from room.fanout import Fanout
from room.ids import is_session
from room.store import CommandKey, DuplicateCommand, SeqConflict, Store

log = logging.getLogger("room.hub")

QUEUE_FRAMES = 4096  # a connection further behind than this is closed, not buffered
QUEUE_BYTES = 16 * 1024 * 1024  # …or holding more than this, whichever comes first
STALLED_SECONDS = 15.0  # …or taking no byte for this long while frames wait for it
CLOSE_SECONDS = 5.0  # for our close frame to go out once the handler is done reading
BATCH_BYTES = 256 * 1024  # at most this much joined in one message for a batching client
RECENT_EVENTS = 2048  # kept encoded in memory for replays after short drops
REPLAY_LIMIT = 2000  # a client further behind than this gets a snapshot instead…
REPLAY_BYTES = 4 * 1024 * 1024  # …as does one whose replay would weigh more than this
ACKED_KEYS = 4096  # command keys remembered per room before asking the store
APPEND_RETRIES = 5  # another writer appended first: re-read and decide again
SWEEP_EVERY = 5.0  # seconds between checks of presence left by a dead worker


class Unavailable(Exception):
    """The store could not take a command; nothing was applied."""


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


@dataclass(eq=False, slots=True)
class Connection:
    """One live WebSocket of one participant.

    A frame for a connection whose writer is idle is written at once, in the caller's
    turn: no task switch, no queue. Only a connection that is behind (its socket's buffer
    full, or frames already waiting) queues, and its own writer drains that queue, so a
    slow client still delays no one. A client that said it reads batches gets what
    waits in one message (up to BATCH_BYTES): the further behind, the fewer sends.
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

    @property
    def writing(self) -> bool:
        """Frames are on their way: a new one goes behind them."""
        return self.writer is not None

    def send(self, frame: bytes) -> None:
        """Write ``frame`` now if nothing is ahead of it, else queue it without waiting;
        a full queue means the client is too slow."""
        if self.closing:
            return
        if self.writer is None and self._write_now(frame):
            return
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

    def _queue(self, item: bytes | _Unfinished) -> None:
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


@dataclass(frozen=True, slots=True)
class _Recent:
    seq: int
    event: Event
    frame: bytes


class Room:
    """One session live in this process."""

    def __init__(
        self,
        session_id: str,
        store: Store,
        clock: Callable[[], float],
        fanout: Fanout | None = None,
    ) -> None:
        self.session_id = session_id
        self.store = store
        self.fanout = fanout or Fanout()  # the other workers serving this session
        self.clock = clock  # the server's time, handed to the domain as ``now``
        self.state = State()  # the fold of the log up to ``seq``
        self.seq = 0  # the last seq applied to ``state``
        self.lock = asyncio.Lock()  # one command at a time, in one order for all
        self.connections: set[Connection] = set()
        self.recent: deque[_Recent] = deque(maxlen=RECENT_EVENTS)
        # Keys acknowledged lately, so that a resend is answered without the store.
        self.acked: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.sent_moves: dict[str, bytes] = {}  # last "can" frame sent to each participant
        self.timer: asyncio.TimerHandle | None = None  # re-asks "can" when time alone changes it

    # --- loading -----------------------------------------------------------------------

    async def load(self) -> None:
        for stored in await self.store.read(self.session_id):
            self._apply(stored.seq, decode_event(stored.data), stored.data)
        await self.sweep_presence()

    async def sweep_presence(self) -> None:
        """Say that those the log shows present left, unless a socket of theirs is open
        here or on a live worker: a process that died with people present leaves them
        "present" in the log, and the token could never be taken."""
        shown = [p.id for p in self.state.participants.values() if p.present]
        if not shown:
            return
        here = {c.participant for c in self.connections}
        here |= await self.fanout.present(self.session_id, shown)
        for participant in shown:
            if participant not in here:
                await self._presence(cmd.Disconnect(participant=participant))

    def _apply(self, seq: int, event: Event, data: bytes) -> bytes:
        self.state = evolve(self.state, event)
        self.seq = seq
        frame = event_frame(seq, data)
        self.recent.append(_Recent(seq, event, frame))
        return frame

    # --- commands ----------------------------------------------------------------------

    async def execute(
        self, actor: str, command: Command, key: str | None = None
    ) -> tuple[int, bool]:
        """Apply ``command``; return the seq it was acknowledged at and whether it was a
        resend of a command applied before. Raises DomainError or Unavailable."""
        async with self.lock:
            if not self.fanout.alive:
                # Deaf to the other workers, this one could fork what clients see.
                raise Unavailable("not hearing the other workers: reconnecting")
            for _ in range(APPEND_RETRIES):
                if key is not None and (actor, key) in self.acked:
                    return self.acked[(actor, key)], True
                now = self.clock()
                try:
                    events = decide(self.state, actor, command, now)
                except DomainError:
                    # A resend of a command applied before this process knew of it may be
                    # refused now (a hand already raised): it gets its first answer. New
                    # keys need no look-up: the append refuses a known key atomically.
                    done = await self._stored_seq(actor, key)
                    if done is not None:
                        return done, True
                    raise
                datas = [encode_event(event) for event in events]
                try:
                    last = await self.store.append(
                        self.session_id,
                        self.seq,
                        datas,
                        CommandKey(actor, key) if key is not None else None,
                    )
                except DuplicateCommand as duplicate:
                    if duplicate.seq > self.seq:
                        # Applied by a first attempt whose answer was lost (or by another
                        # worker): its events are in the log, not yet in this room.
                        await self._catch_up()
                    return duplicate.seq, True
                except SeqConflict:
                    await self._catch_up()
                    continue
                except Exception as error:
                    log.exception("store refused an append to %s", self.session_id)
                    raise Unavailable(str(error)) from error
                frames = [
                    self._apply(self.seq + 1, event, data)
                    for event, data in zip(events, datas, strict=True)
                ]
                assert self.seq == last, (self.seq, last)
                for connection in self.connections:
                    for frame in frames:
                        connection.send(frame)
                self._close_removed(events)
                if key is not None:
                    self._remember(actor, key, last)
                self._refresh_moves(now)
                await self.fanout.announce(self.session_id, last)
                return last, False
            raise Unavailable("the log kept moving under this worker")

    def _close_removed(self, events: list[Event]) -> None:
        """A removed participant's sockets close at once, however they were removed."""
        for event in events:
            if isinstance(event, ParticipantRemoved):
                self.disconnect(event.participant, protocol.Close.REMOVED, "removed")

    async def _stored_seq(self, actor: str, key: str | None) -> int | None:
        if key is None:
            return None
        return await self.store.command_seq(self.session_id, CommandKey(actor, key))

    def _remember(self, actor: str, key: str, seq: int) -> None:
        self.acked[(actor, key)] = seq
        while len(self.acked) > ACKED_KEYS:
            self.acked.popitem(last=False)

    async def _catch_up(self) -> None:
        """Another writer appended: apply and forward what it wrote."""
        for stored in await self.store.read(self.session_id, self.seq):
            event = decode_event(stored.data)
            frame = self._apply(stored.seq, event, stored.data)
            for connection in self.connections:
                connection.send(frame)
            self._close_removed([event])

    # --- capabilities ------------------------------------------------------------------

    def _refresh_moves(self, now: float) -> None:
        """Tell each connected participant what they may do, when it changed."""
        for participant in {c.participant for c in self.connections}:
            self._send_moves(participant, now)
        self._schedule_refresh(now)

    def _send_moves(self, participant: str, now: float, force: bool = False) -> None:
        frame = _can_frame(allowed(self.state, participant, now))
        if not force and self.sent_moves.get(participant) == frame:
            return
        self.sent_moves[participant] = frame
        for connection in self.connections:
            if connection.participant == participant:
                connection.send(frame)

    def _schedule_refresh(self, now: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        at = next_change(self.state, now)
        if at is not None:
            loop = asyncio.get_running_loop()
            self.timer = loop.call_later(at - now + 0.05, self._refresh_moves_now)

    def _refresh_moves_now(self) -> None:
        self.timer = None
        self._refresh_moves(self.clock())

    # --- connections -------------------------------------------------------------------

    async def join(self, connection: Connection, after_seq: int) -> bool:
        """Bring ``connection`` up to date from ``after_seq``, then make it live.

        Returns False (and queues nothing) if its participant may no longer be here.
        """
        async with self.lock:
            role = self.state.role_of(connection.participant)
            if role is None:
                return False
            behind = self.seq - after_seq
            replay = None
            if after_seq > 0 and 0 <= behind <= REPLAY_LIMIT:
                replay = await self._replay(after_seq, role)
                if sum(map(len, replay)) > REPLAY_BYTES:
                    replay = None
            if replay is None:
                plain = to_plain(visible_state(self.state, role))
                replay = [protocol.snapshot_frame(self.seq, plain)]
            connection.catch_up(replay)
            me = self.state.participants[connection.participant]
            identity = {"participant": me.id, "role": me.role.value, "name": me.name}
            now = self.clock()
            connection.send(protocol.ready_frame(self.seq, now, identity))
            first = all(c.participant != connection.participant for c in self.connections)
            self.connections.add(connection)
            self._send_moves(connection.participant, now, force=True)
        if first:
            await self.fanout.arrive(self.session_id, connection.participant)
        if first and not self.state.participants[connection.participant].present:
            await self._presence(cmd.Connect(participant=connection.participant))
        return True

    async def _replay(self, after_seq: int, role: Role) -> list[bytes]:
        """The frames after ``after_seq``, with text hidden since then removed."""
        if self.recent and self.recent[0].seq <= after_seq + 1:
            entries = [(r.seq, r.event, r.frame) for r in self.recent if r.seq > after_seq]
        else:
            entries = [
                (stored.seq, decode_event(stored.data), event_frame(stored.seq, stored.data))
                for stored in await self.store.read(self.session_id, after_seq)
                if stored.seq <= self.seq
            ]
        hidden = hidden_ids(self.state)
        frames = []
        for seq, event, frame in entries:
            shown = visible_event(event, hidden, role)
            frames.append(frame if shown is event else event_frame(seq, encode_event(shown)))
        return frames

    async def leave(self, connection: Connection) -> None:
        self.connections.discard(connection)
        if any(c.participant == connection.participant for c in self.connections):
            return
        self.sent_moves.pop(connection.participant, None)
        with contextlib.suppress(Exception):  # Redis away: the sweep will tell later
            if not await self.fanout.depart(self.session_id, connection.participant):
                return  # still here through another worker
        record = self.state.participants.get(connection.participant)
        if record is not None and record.present:
            await self._presence(cmd.Disconnect(participant=connection.participant))

    async def _presence(self, command: Command) -> None:
        # Presence is best effort: a refusal here means it is already as it should be.
        with contextlib.suppress(DomainError, Unavailable):
            await self.execute(SYSTEM, command)

    async def heard(self, seq: int) -> None:
        """Another worker appended up to ``seq``: forward what this room misses."""
        if seq <= self.seq:
            return
        async with self.lock:
            await self._catch_up()
            self._refresh_moves(self.clock())

    def disconnect(self, participant: str, code: int, reason: str) -> None:
        """Close every connection of ``participant`` (their access was revoked)."""
        for connection in list(self.connections):
            if connection.participant == participant:
                connection.shut(code, reason)


class Hub:
    """The rooms this process serves, loaded on first use."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        fanout: Fanout | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.fanout = fanout or Fanout()
        self.rooms: dict[str, Room] = {}
        self._loading: dict[str, asyncio.Lock] = {}
        # Told of appends to logs that are not sessions (groups), by another worker.
        self.others_heard: Callable[[str, int], Awaitable[None]] | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen to the other workers, if there are any."""
        await self.fanout.start(self._heard, self._changed)
        if self.fanout.backend != "sqlite":
            self._sweeper = asyncio.create_task(self._sweep(), name="presence-sweep")

    async def _heard(self, log_id: str, seq: int) -> None:
        if not is_session(log_id):
            if self.others_heard is not None:
                await self.others_heard(log_id, seq)
            return
        room = self.rooms.get(log_id)
        if room is None:
            return
        if seq == 0:  # erased by another worker
            self.forget(log_id, protocol.Close.NOT_FOUND, "erased")
            return
        await room.heard(seq)

    async def _changed(self, alive: bool) -> None:
        """Deaf, every socket is closed so that clients say they are reconnecting;
        hearing again, every room first reads what it missed from the log."""
        for room in list(self.rooms.values()):
            if not alive:
                for connection in list(room.connections):
                    connection.shut(protocol.Close.RECONNECTING, "reconnecting")
                continue
            with contextlib.suppress(Exception):
                async with room.lock:
                    await room._catch_up()

    async def _sweep(self) -> None:
        """Now and then, mend presence left by a worker that died."""
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            for room in list(self.rooms.values()):
                with contextlib.suppress(Exception):
                    await room.sweep_presence()

    async def room(self, session_id: str) -> Room | None:
        """The live room of a session, or None if the session does not exist."""
        room = self.rooms.get(session_id)
        if room is not None:
            return room
        if not is_session(session_id):  # a group's log is no room
            return None
        lock = self._loading.setdefault(session_id, asyncio.Lock())
        async with lock:
            room = self.rooms.get(session_id)
            if room is None:
                if await self.store.last_seq(session_id) == 0:
                    return None
                room = Room(session_id, self.store, self.clock, self.fanout)
                await self.fanout.follow(session_id)  # before reading: no append missed
                await room.load()
                self.rooms[session_id] = room
        return room

    async def create(self, session_id: str, command: cmd.CreateSession) -> Room:
        await self.fanout.follow(session_id)
        room = Room(session_id, self.store, self.clock, self.fanout)
        await room.execute(SYSTEM, command)
        self.rooms[session_id] = room
        return room

    def forget(self, session_id: str, code: int, reason: str) -> None:
        """Drop a session from memory and close its sockets (it is being erased)."""
        room = self.rooms.pop(session_id, None)
        if room is None:
            return
        if room.timer is not None:
            room.timer.cancel()
        for connection in list(room.connections):
            connection.shut(code, reason)

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for room in self.rooms.values():
            if room.timer is not None:
                room.timer.cancel()
            for connection in list(room.connections):
                connection.shut(1001, "server going away")


# --- encoding: each event once, its frame built around the stored bytes ---------------------


@functools.lru_cache(maxsize=1024)
def _can_frame(moves: frozenset[tuple[str, ...]]) -> bytes:
    """Equal answers share one encoded frame, so that an unchanged answer — every
    observer's, on every event — costs a lookup and a comparison."""
    return protocol.can_frame(moves_to_plain(moves))


def encode_event(event: Event) -> bytes:
    plain = event.to_plain()
    plain["v"] = SCHEMA_VERSION
    data: bytes = msgpack.packb(plain, use_bin_type=True)
    return data


def decode_event(data: bytes) -> Event:
    plain: dict[str, Any] = msgpack.unpackb(data, raw=False)
    version = plain.pop("v", 1)
    return event_from_plain(plain, version)


_EVENT_FRAME_HEAD: bytes = b"\x83" + msgpack.packb("t") + msgpack.packb("ev") + msgpack.packb("seq")
_EVENT_KEY: bytes = msgpack.packb("e")


def event_frame(seq: int, data: bytes) -> bytes:
    """``{"t": "ev", "seq": seq, "e": <event>}`` around the stored bytes, not re-encoded."""
    seq_bytes: bytes = msgpack.packb(seq)
    return _EVENT_FRAME_HEAD + seq_bytes + _EVENT_KEY + data
