"""One session live in this process, and the encoding of its events.

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
import logging
import secrets
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

import msgpack

from room import protocol
from room.domain.errors import DomainError
from room.domain.plain import to_plain
from room.domain.session import SCHEMA_VERSION, SYSTEM, Command, Event, Role, State
from room.domain.session import commands as cmd
from room.domain.session.capabilities import Answer, answer_after, next_change, reach_in_time
from room.domain.session.capabilities import to_plain as moves_to_plain
from room.domain.session.decide import decide
from room.domain.session.events import ParticipantRemoved
from room.domain.session.evolve import evolve
from room.domain.session.reach import NOTHING, WHOLE, Reach, reach
from room.domain.session.upgrade import event_from_plain
from room.domain.session.visibility import hidden_ids, visible_event, visible_state
from room.domain.session.weather import event_for_reader, is_sealed
from room.live.connection import Connection
from room.live.fanout import Fanout, LocalFanout
from room.live.private import Drafts, Notebooks, drafts_frame, notes_frame
from room.store import CommandKey, DuplicateCommand, SeqConflict, Store, Unavailable

log = logging.getLogger(__name__)

RECENT_EVENTS = 2048  # kept encoded in memory for replays after short drops
REPLAY_LIMIT = 2000  # a client further behind than this gets a snapshot instead…
REPLAY_BYTES = 4 * 1024 * 1024  # …as does one whose replay would weigh more than this
ACKED_KEYS = 4096  # command keys remembered per room before asking the store
APPEND_RETRIES = 5  # another writer appended first: re-read and decide again


@dataclass(frozen=True, slots=True)
class _Recent:
    seq: int
    event: Event
    frame: bytes


@dataclass(frozen=True, slots=True)
class _Sealed:
    """An event its author alone may read whole now (a weather before its reveal): the
    one frame that is not the same bytes for everyone."""

    author: str
    frame: bytes  # the author's
    others: bytes  # everyone else's, sealed

    def for_reader(self, participant: str) -> bytes:
        return self.frame if participant == self.author else self.others


Outgoing = bytes | _Sealed  # a frame of one delivery, the same for all or not


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
        self.fanout = fanout or LocalFanout()  # the other workers serving this session
        self.clock = clock  # the server's time, handed to the domain as ``now``
        self.state = State()  # the fold of the log up to ``seq``
        self.seq = 0  # the last seq applied to ``state``
        self.lock = asyncio.Lock()  # one command at a time, in one order for all
        self.connections: set[Connection] = set()
        self.recent: deque[_Recent] = deque(maxlen=RECENT_EVENTS)
        # Keys acknowledged lately, so that a resend is answered without the store.
        self.acked: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.sent_moves: dict[str, bytes] = {}  # last "can" frame sent to each participant
        self.answers: dict[str, Answer] = {}  # what each connected participant may do
        # What the events applied since the answers were last brought up to date can
        # have changed of them, and when that was: only those parts are asked again.
        self.reach: Reach = NOTHING
        self.answered_at = 0.0
        self.timer: asyncio.TimerHandle | None = None  # re-asks "can" when time alone changes it
        # What the room keeps for one participant alone, never in the log.
        self.drafts = Drafts(session_id, store)  # members' silent-round drafts
        self.notebooks = Notebooks(session_id, store)  # the narrator's notes

    # --- loading -----------------------------------------------------------------------

    async def load(self) -> None:
        for stored in await self.store.read(self.session_id):
            self._apply(stored.seq, decode_event(stored.data), stored.data)
        await self.drafts.sweep(self.state)
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

    def _apply(self, seq: int, event: Event, data: bytes) -> Outgoing:
        if self.answers:  # else every answer is asked whole when first given
            self.reach |= reach(self.state, event)
        self.state = evolve(self.state, event)
        self.seq = seq
        frame = event_frame(seq, data)
        self.recent.append(_Recent(seq, event, frame))
        if is_sealed(event, self.state):
            sealed = event_for_reader(event, self.state, None)
            return _Sealed(event.by, frame, event_frame(seq, encode_event(sealed)))
        return frame

    # --- commands ----------------------------------------------------------------------

    async def execute(
        self,
        actor: str,
        command: Command,
        key: str | None = None,
        origin: Connection | None = None,
    ) -> tuple[int, bool]:
        """Apply ``command``; return the seq it was acknowledged at and whether it was a
        resend of a command applied before. Raises DomainError or Unavailable.

        ``origin``, the connection the command came on, is held until the loop's turn
        ends, so that its events, its `can` frame and the ack its caller sends next go
        out to a batching client as one message."""
        async with self.lock:
            if not self.fanout.alive:
                # Deaf to the other workers, this one could fork what clients see.
                raise Unavailable("not hearing the other workers: reconnecting")
            for _ in range(APPEND_RETRIES):
                if key is not None and (actor, key) in self.acked:
                    return self.acked[(actor, key)], True
                now = self.clock()
                if isinstance(command, cmd.PRIVATE_COMMANDS):
                    return await self._keep_private(actor, command, now)
                if isinstance(command, cmd.RevealSilentRound):
                    drafts = await self.drafts.to_reveal(self.state)
                    command = replace(command, drafts=drafts, seed=secrets.randbits(32))
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
                except Unavailable as error:
                    log.warning("no append to %s: %s", self.session_id, error)
                    raise
                except Exception as error:  # a backend's bug: refused all the same
                    log.exception("store refused an append to %s", self.session_id)
                    raise Unavailable(str(error)) from error
                frames = [
                    self._apply(self.seq + 1, event, data)
                    for event, data in zip(events, datas, strict=True)
                ]
                assert self.seq == last, (self.seq, last)
                if origin is not None:
                    origin.hold()
                self._deliver(frames, self._refresh_moves(now))
                self._close_removed(events)
                if key is not None:
                    self._remember(actor, key, last)
                await self.fanout.announce(self.session_id, last)
                await self.drafts.after(events)
                return last, False
            raise Unavailable("the log kept moving under this worker")

    async def _keep_private(
        self,
        actor: str,
        command: cmd.WriteDraft | cmd.DropDraft | cmd.WriteNotes | cmd.MarkQuestion,
        now: float,
    ) -> tuple[int, bool]:
        """Keep what ``command`` writes for its author alone, and show it to them on each
        of their connections. Nothing is logged: the ack names the room's seq."""
        await self._catch_up(moves=True)  # a round another worker just ended takes none
        if isinstance(command, cmd.WriteDraft | cmd.DropDraft):
            frame = drafts_frame(
                self.state, await self.drafts.write(self.state, actor, command, now)
            )
        else:
            frame = notes_frame(await self.notebooks.write(self.state, actor, command, now))
        for connection in self.connections:
            if connection.participant == actor:
                connection.send(frame)
        return self.seq, False

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

    async def _catch_up(self, *, moves: bool = False) -> int:
        """Apply and forward what other writers appended (with the `can` frames it
        changed, if ``moves``); return how many events."""
        missed = await self.store.read(self.session_id, self.seq)
        events = [decode_event(stored.data) for stored in missed]
        frames = [
            self._apply(stored.seq, event, stored.data)
            for stored, event in zip(missed, events, strict=True)
        ]
        self._deliver(frames, self._refresh_moves(self.clock()) if moves and missed else {})
        self._close_removed(events)
        return len(missed)

    def _deliver(self, outgoing: list[Outgoing], moves: dict[str, bytes]) -> None:
        """Hand each connection its frames of one delivery together, ``outgoing`` then its
        participant's new `can` frame: a batching client gets them in one write. A sealed
        frame (a weather before its reveal) is its author's whole, everyone else's sealed."""
        sealed = any(isinstance(frame, _Sealed) for frame in outgoing)
        # Unsealed, every frame is the same bytes for all: the list itself is shared.
        shared = cast("list[bytes]", outgoing)
        for connection in self.connections:
            frames = shared
            if sealed:
                frames = [
                    f if isinstance(f, bytes) else f.for_reader(connection.participant)
                    for f in outgoing
                ]
            own = moves.get(connection.participant)
            if own is not None:
                connection.send_all([*frames, own])
            elif len(frames) == 1:
                connection.send(frames[0])
            elif frames:
                connection.send_all(frames)

    # --- capabilities ------------------------------------------------------------------

    def _refresh_moves(self, now: float) -> dict[str, bytes]:
        """What each connected participant may do, where it changed: asking again only
        the parts of their answers that the events since the last time (or time itself)
        can have changed. Most events reach one or two people. Returns the `can` frames
        to send, by participant, for the caller to deliver behind its events."""
        reached = self.reach | reach_in_time(self.state, self.answered_at, now)
        self.reach, self.answered_at = NOTHING, now
        moves = {}
        for participant in {c.participant for c in self.connections}:
            frame = self._moves(participant, now, reached)
            if frame is not None:
                moves[participant] = frame
        self._schedule_refresh(now)
        return moves

    def _moves(
        self, participant: str, now: float, reached: Reach = WHOLE, force: bool = False
    ) -> bytes | None:
        """``participant``'s `can` frame if it is to be sent (it changed, or ``force``)."""
        previous = None if force else self.answers.get(participant)
        answer = answer_after(previous, self.state, participant, now, reached)
        if answer is previous:
            return None  # nothing the events reached: not even encoded
        self.answers[participant] = answer
        frame = protocol.can_frame(moves_to_plain(answer))
        if not force and self.sent_moves.get(participant) == frame:
            return None
        self.sent_moves[participant] = frame
        return frame

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
        self._deliver([], self._refresh_moves(self.clock()))

    # --- connections -------------------------------------------------------------------

    async def join(self, connection: Connection, after_seq: int) -> bool:
        """Bring ``connection`` up to date from ``after_seq``, then make it live.

        Returns False (and queues nothing) if its participant may no longer be here.
        Raises Unavailable if the log cannot be read (nothing is queued), or if the
        other workers cannot be told of the arrival (the socket is to close: its client
        comes back, and leaving undoes the arrival).
        """
        async with self.lock:
            # Answer from a state at least as new as the log's head: another worker may
            # have appended what this one has not heard of yet (or never will, if it died
            # between its append and its notice), and the client may hold it already.
            await self._catch_up(moves=True)
            role = self.state.role_of(connection.participant)
            if role is None:
                return False
            behind = self.seq - after_seq
            replay = None
            if after_seq > 0 and 0 <= behind <= REPLAY_LIMIT:
                replay = await self._replay(after_seq, role, connection.participant)
                if sum(map(len, replay)) > REPLAY_BYTES:
                    replay = None
            if replay is None:
                plain = to_plain(visible_state(self.state, role, connection.participant))
                replay = [protocol.snapshot_frame(self.seq, plain)]
            connection.catch_up(replay)
            me = self.state.participants[connection.participant]
            identity = {"participant": me.id, "role": me.role.value, "name": me.name}
            now = self.clock()
            connection.send(protocol.ready_frame(self.seq, now, identity))
            first = all(c.participant != connection.participant for c in self.connections)
            self.connections.add(connection)
            moves = self._moves(connection.participant, now, force=True)
            assert moves is not None  # forced: always a frame
            connection.send(moves)
            await self._send_own(connection, role)
        if first:
            await self.fanout.arrive(self.session_id, connection.participant)
        if first and not self.state.participants[connection.participant].present:
            await self._presence(cmd.Connect(participant=connection.participant))
        return True

    async def _send_own(self, connection: Connection, role: Role) -> None:
        """What is kept for this participant alone, written before a drop or on another
        device: a member's drafts of the open round, the narrator's notebook."""
        if role is Role.MEMBER and self.state.silent is not None:
            mine = await self.drafts.of(self.state, connection.participant)
            if mine:
                connection.send(drafts_frame(self.state, mine))
        elif role is Role.NARRATOR:
            notebook = await self.notebooks.of(connection.participant)
            if notebook.text or notebook.marked:
                connection.send(notes_frame(notebook))

    async def _replay(self, after_seq: int, role: Role, reader: str) -> list[bytes]:
        """The frames after ``after_seq``, with text hidden since then removed, and the
        weather of others sealed while it is not revealed."""
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
            shown = event_for_reader(visible_event(event, hidden, role), self.state, reader)
            frames.append(frame if shown is event else event_frame(seq, encode_event(shown)))
        return frames

    async def leave(self, connection: Connection) -> None:
        """``connection`` closed; if it joined, the room records its departure."""
        if connection not in self.connections:
            return  # refused before it joined: it never arrived
        self.connections.discard(connection)
        if any(c.participant == connection.participant for c in self.connections):
            return
        self.sent_moves.pop(connection.participant, None)
        self.answers.pop(connection.participant, None)  # not kept up to date while away
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
            await self._catch_up(moves=True)

    def disconnect(self, participant: str, code: int, reason: str) -> None:
        """Close every connection of ``participant`` (their access was revoked)."""
        for connection in list(self.connections):
            if connection.participant == participant:
                connection.shut(code, reason)


# --- encoding: each event once, its frame built around the stored bytes ---------------------


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
