"""How the workers serving the same logs hear of each other's appends.

One process needs nothing: ``LocalFanout`` (``local.py``). Several processes sharing
Redis use ``RedisFanout`` (``redis.py``): after an append, the worker publishes the log's
new seq — a number,
not the events — on that log's own sharded channel (``SPUBLISH``, so each channel
lives on its log's slot in a cluster, and a worker hears only the logs it serves).
A worker that hears of a seq beyond its own reads what it misses from the log and
forwards it in order: a lost or late notice delays an event, never loses or doubles
it, because the log is the only source of events.

A subscription can break (Redis restarted, the connection killed). redis-py mends a
dropped one by itself, but what was published meanwhile is lost: each reconnection is
counted, and every log the worker serves is read again. A subscription can also die
silently, so each worker publishes a heartbeat on its own channel every second and
expects to hear it back: after ``DEAD_AFTER`` seconds without it, it counts as dead. The
worker then tells the hub (which refuses commands and closes sockets, so clients show
that they are reconnecting), reconnects, subscribes again to every log it serves, and,
once its heartbeat is heard again, asks the hub to catch every log up from the store.

Presence is shared the same way: each worker records, in the log's hash of who is
here, how many sockets each participant has on it, and refreshes its own liveness;
a participant is present while any live worker holds a socket of theirs.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable

BEAT_EVERY = 1.0  # seconds between heartbeats
DEAD_AFTER = 4.0  # seconds without hearing one's own heartbeat: the subscription is dead
WORKER_TTL = 15.0  # seconds a worker counts as alive after its last heartbeat

Heard = Callable[[str, int], Awaitable[None]]  # (log id, its new last seq)
Changed = Callable[[bool], Awaitable[None]]  # the subscription is now alive (True) or dead


class Fanout(abc.ABC):
    """What the hub asks of the fan-out between workers."""

    worker: str  # this process's id, in presence records and heartbeats
    alive: bool  # whether this worker hears every append to the logs it serves
    backend: str  # the store it pairs with, as /healthz says it
    resyncs = 0  # times every log was read again after a gap in what this worker heard

    @abc.abstractmethod
    async def start(self, heard: Heard, changed: Changed) -> None:
        """Begin listening; ``heard`` is called for each notice, ``changed`` on a change
        of the subscription's health."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def follow(self, log_id: str) -> None:
        """Hear of this log's appends from now on."""

    @abc.abstractmethod
    async def unfollow(self, log_id: str) -> None: ...

    @abc.abstractmethod
    async def announce(self, log_id: str, seq: int) -> None:
        """Tell the other workers that ``log_id`` is now at ``seq``."""

    @abc.abstractmethod
    async def arrive(self, log_id: str, participant: str) -> bool:
        """A socket of ``participant`` opened here; True if it is their first anywhere."""

    @abc.abstractmethod
    async def depart(self, log_id: str, participant: str) -> bool:
        """A socket of theirs closed here; True if it was their last anywhere."""

    @abc.abstractmethod
    async def present(self, log_id: str, participants: list[str]) -> set[str]:
        """Those of ``participants`` with a socket on a live worker (for a room loaded
        after a crash)."""
