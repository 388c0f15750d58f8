"""The fan-out between workers sharing Redis (see ``room.live.fanout.base`` for what it does and
why). Imported only when ``REDIS_URL`` is set: the embedded default never loads redis."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from room.live.fanout.base import BEAT_EVERY, DEAD_AFTER, WORKER_TTL, Changed, Fanout, Heard
from room.store import Unavailable

log = logging.getLogger(__name__)


class _Subscription(PubSub):
    """A subscription that says each time it (re)connects."""

    def __init__(self, pool: Any, connected: Callable[[], None]) -> None:
        super().__init__(pool, ignore_subscribe_messages=True)
        self.connected = connected

    async def on_connect(self, connection: Any) -> None:
        await super().on_connect(connection)
        self.connected()


class RedisFanout(Fanout):
    backend = "redis"

    def __init__(self, url: str, worker: str, prefix: str = "room") -> None:
        self.url = url
        self.worker = worker  # this process's id, in presence records and its heartbeat
        self.prefix = prefix
        self.redis: Any = Redis.from_url(url, decode_responses=True)
        self.alive = False
        self.followed: set[str] = set()
        self._pubsub: Any = None
        self._heard_beat = 0.0  # monotonic time this worker last heard its own heartbeat
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncio.Task[None] | None = None  # reads the current subscription
        self._closing = False
        self._heard: Heard | None = None
        self._changed: Changed | None = None
        self._local: dict[tuple[str, str], int] = {}  # sockets here per (log, participant)
        self._connections = 0  # reconnections of the current subscription
        self._gap = False  # it reconnected: notices may have been lost since

    # --- names ------------------------------------------------------------------------

    def _channel(self, log_id: str) -> str:
        return f"{self.prefix}:{{{log_id}}}:seq"

    @property
    def _beat_channel(self) -> str:
        return f"{self.prefix}:{{worker-{self.worker}}}:beat"

    def _here(self, log_id: str) -> str:
        return f"{self.prefix}:{{{log_id}}}:here"

    @property
    def _workers(self) -> str:
        return f"{self.prefix}:workers"

    # --- lifecycle --------------------------------------------------------------------

    async def start(self, heard: Heard, changed: Changed) -> None:
        self._heard, self._changed = heard, changed
        await self._subscribe()
        self._tasks = [asyncio.create_task(self._beat(), name="fanout-beat")]

    async def close(self) -> None:
        self._closing = True  # the loops stop at their next turn, even if a cancel is lost
        tasks = [*self._tasks, *([self._listener] if self._listener else [])]
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: shutting down must not hang on a task stuck in a Redis call.
            await asyncio.wait(tasks, timeout=2 * BEAT_EVERY)
        with contextlib.suppress(Exception):
            await self._leave_everywhere()
        with contextlib.suppress(Exception):
            if self._pubsub is not None:
                await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self.redis.aclose()

    async def _subscribe(self) -> None:
        """A fresh subscription to the heartbeat and every followed log."""
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        if self._listener is not None:
            # A reader of the old subscription may wait on it for good: a new one reads.
            self._listener.cancel()
        self._pubsub = _Subscription(self.redis.connection_pool, self._reconnected)
        self._connections = 0
        await self._pubsub.ssubscribe(self._beat_channel)
        for log_id in list(self.followed):
            await self._pubsub.ssubscribe(self._channel(log_id))
        self._listener = asyncio.create_task(self._listen(self._pubsub), name="fanout-listen")

    def _reconnected(self) -> None:
        # redis-py reconnects a dropped subscription and subscribes again by itself;
        # notices published meanwhile are lost, so every log must be read again. (The
        # first connection comes connected from the pool: only reconnections call this.)
        self._connections += 1
        self._gap = True

    # --- following logs ---------------------------------------------------------------

    async def follow(self, log_id: str) -> None:
        self.followed.add(log_id)
        if self._pubsub is not None:
            with contextlib.suppress(Exception):  # a dead subscription resubscribes all
                await self._pubsub.ssubscribe(self._channel(log_id))

    async def unfollow(self, log_id: str) -> None:
        self.followed.discard(log_id)
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.sunsubscribe(self._channel(log_id))

    async def announce(self, log_id: str, seq: int) -> None:
        # Best effort: a notice lost here is made up by the next one, or by the
        # resynchronisation that follows a broken subscription.
        with contextlib.suppress(Exception):
            await self.redis.execute_command("SPUBLISH", self._channel(log_id), str(seq))

    # --- listening and the heartbeat --------------------------------------------------

    async def _listen(self, pubsub: Any) -> None:
        """Read one subscription's messages; replaced, with it, on each resubscription."""
        while not self._closing:
            try:
                message = await pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(0.2)  # the heartbeat notices and resubscribes
                continue
            if message is None or message.get("type") not in ("smessage", "message"):
                continue
            channel, data = message["channel"], message["data"]
            if channel == self._beat_channel:
                self._heard_beat = time.monotonic()
                continue
            log_id = channel[len(self.prefix) + 2 : -len("}:seq")]
            if self._heard is not None and data.isdigit():
                try:
                    await self._heard(log_id, int(data))
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    # The catch-up read failed (Redis going away, or a bug: only that one
                    # has a traceback): the listener lives on, and the resync after the
                    # gap reads that log again.
                    if isinstance(error, Unavailable):
                        log.warning("catching %s up failed: %s", log_id, error)
                    else:
                        log.exception("catching %s up failed", log_id)
                    self._gap = True

    async def _beat(self) -> None:
        """Publish a heartbeat, check the last one came back, mend what broke."""
        self._heard_beat = time.monotonic()
        while not self._closing:
            try:
                await self.redis.execute_command("SPUBLISH", self._beat_channel, "1")
                await self.redis.zadd(self._workers, {self.worker: time.time() + WORKER_TTL})
            except asyncio.CancelledError:
                raise
            except Exception:
                pass  # Redis is away: the missing heartbeat says so below
            silent = time.monotonic() - self._heard_beat
            if self.alive and silent > DEAD_AFTER:
                log.warning("subscription dead: no heartbeat for %.1f s", silent)
                await self._set_alive(False)
            if not self.alive:
                try:
                    async with asyncio.timeout(DEAD_AFTER):
                        await self._subscribe()
                        heard = silent <= DEAD_AFTER or await self._beat_heard_back()
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # Redis still away: try again next beat
                    log.info("subscribing again failed: %r", error)
                    heard = False
                if heard:
                    await self._set_alive(True)
            elif self._gap:
                self._gap = False
                log.warning("subscription reconnected: reading every log again")
                await self._resync()
            await asyncio.sleep(BEAT_EVERY)

    async def _resync(self) -> None:
        self.resyncs += 1
        if self._changed is not None:
            await self._changed(True)

    async def _beat_heard_back(self) -> bool:
        """After resubscribing: publish once and wait briefly to hear it."""
        before = self._heard_beat
        await self.redis.execute_command("SPUBLISH", self._beat_channel, "1")
        deadline = time.monotonic() + DEAD_AFTER / 2
        while time.monotonic() < deadline:
            if self._heard_beat > before:
                return True
            await asyncio.sleep(0.05)
        return False

    async def _set_alive(self, alive: bool) -> None:
        self.alive = alive
        if alive:
            self._gap = False  # the resync below covers it
            await self._resync()
        elif self._changed is not None:
            await self._changed(False)

    # --- presence ---------------------------------------------------------------------

    # The count of sockets here changes first, whatever Redis answers: it is what this
    # worker holds, and the socket that arrives always departs.

    async def arrive(self, log_id: str, participant: str) -> bool:
        key = (log_id, participant)
        self._local[key] = self._local.get(key, 0) + 1
        if self._local[key] > 1:
            return False
        with _answering():
            await self.redis.hset(self._here(log_id), f"{participant}|{self.worker}", 1)
            return not (await self._elsewhere(log_id, participant))

    async def depart(self, log_id: str, participant: str) -> bool:
        key = (log_id, participant)
        self._local[key] = self._local.get(key, 1) - 1
        if self._local[key] > 0:
            return False
        del self._local[key]
        with _answering():
            await self.redis.hdel(self._here(log_id), f"{participant}|{self.worker}")
            return not (await self._elsewhere(log_id, participant))

    async def present(self, log_id: str, participants: list[str]) -> set[str]:
        with _answering():
            return await self._present(log_id, participants)

    async def _present(self, log_id: str, participants: list[str]) -> set[str]:
        live = await self._live_workers()
        fields = await self.redis.hkeys(self._here(log_id))
        here = set()
        for entry in fields:
            participant, _, worker = entry.rpartition("|")
            if worker in live and participant in participants:
                here.add(participant)
        return here

    async def _elsewhere(self, log_id: str, participant: str) -> bool:
        """Whether another live worker holds a socket of ``participant``."""
        live = await self._live_workers()
        fields = await self.redis.hkeys(self._here(log_id))
        return any(
            f.rpartition("|")[0] == participant and f.rpartition("|")[2] in live - {self.worker}
            for f in fields
        )

    async def _live_workers(self) -> set[str]:
        workers: list[str] = await self.redis.zrangebyscore(self._workers, time.time(), "+inf")
        return set(workers)

    async def _leave_everywhere(self) -> None:
        for log_id, participant in list(self._local):
            await self.redis.hdel(self._here(log_id), f"{participant}|{self.worker}")
        await self.redis.zrem(self._workers, self.worker)


@contextlib.contextmanager
def _answering() -> Iterator[None]:
    """Redis failing, however it fails, is ``Unavailable`` to the caller."""
    try:
        yield
    except RedisError as error:
        raise Unavailable(f"Redis: {type(error).__name__}: {error}") from error
