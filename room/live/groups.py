"""Groups held in memory: each group's state, folded from its log in the store.

A group changes at the pace of people — an invitation, an admission, a planned
session, an answer to the calendar poll — so there is no event fan-out here, only one
command at a time per group under its lock, the events appended to the group's log
(same store, same ``append`` with its expected seq as a session's), then folded.
Listeners (the group's sockets) are only told "the group is now at seq N", coalesced:
each holds the latest seq and one flag, never a queue. What a command means beyond
the group — a link, a live session, a closed socket — is the web services' business.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import msgpack

from room.domain.group import GroupCommand, GroupEvent, State, decide, evolve, handed_draft
from room.domain.group.commands import CreateGroup
from room.domain.session.state import SCHEMA_VERSION
from room.domain.text import SYSTEM
from room.ids import is_group
from room.live.fanout import Fanout, LocalFanout
from room.store import SeqConflict, Store, Unavailable

log = logging.getLogger(__name__)

APPEND_RETRIES = 5


class Watch:
    """One listener of a group's changes. It keeps only the group's latest seq and
    whether something happened since it last looked: a burst of commands wakes it once,
    and a listener slower than the group costs no memory."""

    def __init__(self, seq: int) -> None:
        self.seq = seq  # the group's seq when last told; the listener reads it after a wake
        self.gone = False  # the group was erased from this process: nothing more will come
        self._changed = asyncio.Event()  # set by a change the listener has not taken yet

    @property
    def pending(self) -> bool:
        """Whether a change waits to be taken (at most one ever does)."""
        return self._changed.is_set()

    def tell(self, seq: int) -> None:
        self.seq = seq
        self._changed.set()

    def end(self) -> None:
        self.gone = True
        self._changed.set()

    async def changed(self) -> int:
        """Wait until the group moved (or went) since the last call; its latest seq."""
        await self._changed.wait()
        self._changed.clear()
        return self.seq


class Group:
    """One group, as this process last read it."""

    def __init__(
        self, group_id: str, store: Store, clock: Callable[[], float], fanout: Fanout | None = None
    ) -> None:
        self.id = group_id
        self.fanout = fanout or LocalFanout()  # tells the other workers of each append
        self.store = store
        self.clock = clock
        self.state = State()  # the fold of the log up to ``seq``
        self.seq = 0
        self.lock = asyncio.Lock()
        self.watches: set[Watch] = set()  # listeners told of each change (the group's sockets)

    @contextmanager
    def watch(self) -> Iterator[Watch]:
        """A listener of this group's changes while the block runs, starting at ``seq``."""
        watch = Watch(self.seq)
        self.watches.add(watch)
        try:
            yield watch
        finally:
            self.watches.discard(watch)

    def _changed(self) -> None:
        for watch in self.watches:
            watch.tell(self.seq)

    def end(self) -> None:
        """The group was erased: every listener is told, once, that nothing more comes."""
        for watch in self.watches:
            watch.end()

    async def catch_up(self) -> None:
        """Fold what the log holds beyond ``seq`` (another worker may have written it)."""
        before = self.seq
        for stored in await self.store.read(self.id, self.seq):
            self.state = evolve(self.state, decode_group_event(stored.data))
            self.seq = stored.seq
        if self.seq != before:
            self._changed()

    async def execute(
        self,
        actor: str,
        command: GroupCommand,
        first: Callable[[], Awaitable[None]] | None = None,
    ) -> list[GroupEvent]:
        """Decide and append ``command``; return its events. Raises DomainError (nothing
        changed) or Unavailable (the store refused: nothing changed either).

        ``first``, if given, is awaited once ``decide`` accepted the command and before
        its events are appended, under the group's lock: what must be done before the
        group records it (an erasure) is done with no other command of this group in
        between, and not at all if the command is refused. If it raises, nothing is
        recorded. It must be idempotent: when another worker appended meanwhile, the
        command is decided and ``first`` awaited again.
        """
        async with self.lock:
            for _ in range(APPEND_RETRIES):
                now = self.clock()
                events = decide(self.state, actor, command, now)
                if first is not None:
                    await first()
                datas = [encode_group_event(event) for event in events]
                try:
                    await self.store.append(self.id, self.seq, datas)
                except SeqConflict:
                    await self.catch_up()
                    continue
                except Unavailable as error:
                    log.warning("no append to %s: %s", self.id, error)
                    raise
                except Exception as error:  # a backend's bug: refused all the same
                    log.exception("store refused an append to %s", self.id)
                    raise Unavailable(str(error)) from error
                for event in events:
                    self.state = evolve(self.state, event)
                self.seq += len(events)
                self._changed()
                await self.fanout.announce(self.id, self.seq)
                return events
            raise Unavailable("the log kept moving under this worker")

    async def erase_handed_draft(self, session: str) -> None:
        """Rewrite, in the store, the events of this group's log that hold the words of
        the draft handed to ``session`` (room.domain.group.erasure), and scrub the old
        bytes from the store's files. Call it holding the lock (from ``execute``'s
        ``first``), so that no save of the draft slips in between; idempotent.

        Only the store held those bytes: this process keeps the fold, not the events,
        and the fold drops the draft when it folds SessionErased, here and on every
        worker that reads it."""
        stored = await self.store.read(self.id)
        log = [(event.seq, decode_group_event(event.data)) for event in stored]
        rewrites = handed_draft(log, session)
        if rewrites:
            replacements = {seq: encode_group_event(e) for seq, e in rewrites.items()}
            await self.store.rewrite(self.id, replacements)


class Groups:
    """The groups this process has read, loaded on first use."""

    def __init__(
        self, store: Store, clock: Callable[[], float], fanout: Fanout | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.fanout = fanout or LocalFanout()
        self.groups: dict[str, Group] = {}
        self._loading: dict[str, asyncio.Lock] = {}

    async def get(self, group_id: str) -> Group | None:
        """The group, up to date with its log; None if there is no such group."""
        if not is_group(group_id):
            return None
        group = self.groups.get(group_id)
        if group is None:
            async with self._loading.setdefault(group_id, asyncio.Lock()):
                group = self.groups.get(group_id)
                if group is None:
                    if await self.store.last_seq(group_id) == 0:
                        return None
                    group = Group(group_id, self.store, self.clock, self.fanout)
                    await self.fanout.follow(group_id)
                    self.groups[group_id] = group
        async with group.lock:
            await group.catch_up()
        return group

    def forget(self, group_id: str) -> None:
        """Drop an erased group from memory; its listeners are told it is gone."""
        group = self.groups.pop(group_id, None)
        if group is not None:
            group.end()

    async def heard(self, group_id: str, seq: int) -> None:
        """Another worker appended to a group this one holds: fold it, tell listeners.
        Seq 0 says the group was erased."""
        group = self.groups.get(group_id)
        if group is not None and seq == 0:
            self.forget(group_id)
        elif group is not None and seq > group.seq:
            async with group.lock:
                await group.catch_up()

    async def create(self, group_id: str, command: CreateGroup) -> Group:
        await self.fanout.follow(group_id)
        group = Group(group_id, self.store, self.clock, self.fanout)
        await group.execute(SYSTEM, command)
        self.groups[group_id] = group
        return group


def encode_group_event(event: GroupEvent) -> bytes:
    plain = event.to_plain()
    plain["v"] = SCHEMA_VERSION
    data: bytes = msgpack.packb(plain, use_bin_type=True)
    return data


def decode_group_event(data: bytes) -> GroupEvent:
    plain: dict[str, Any] = msgpack.unpackb(data, raw=False)
    plain.pop("v", None)
    return GroupEvent.from_plain(plain)
