"""The sessions this process serves: loaded on first use, told of other workers'
appends, closed together."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from room import protocol
from room.domain.session import SYSTEM
from room.domain.session import commands as cmd
from room.ids import is_session
from room.live.fanout import Fanout, LocalFanout
from room.live.room import Room
from room.store import Store

SWEEP_EVERY = 5.0  # seconds between checks of presence left by a dead worker


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
        self.fanout = fanout or LocalFanout()
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

    async def erase(self, log_ids: list[str]) -> None:
        """Close the logs' live rooms, erase them from the store (for real: see
        ``Store.erase``), and tell the other workers to forget them (seq 0)."""
        for log_id in log_ids:
            self.forget(log_id, protocol.Close.NOT_FOUND, "erased")
        await self.store.erase(log_ids)
        for log_id in log_ids:
            await self.fanout.announce(log_id, 0)

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for room in self.rooms.values():
            if room.timer is not None:
                room.timer.cancel()
            for connection in list(room.connections):
                connection.shut(1001, "server going away")
