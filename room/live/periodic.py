"""A task of the server's lifespan that works in passes: one now and then (every
``every`` seconds), or at once when woken. A pass that fails is logged and the next
one comes all the same; a store that does not answer is "not now", said as a warning.
Tests wait on ``passed(n)`` rather than on time."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from room.store import Unavailable

log = logging.getLogger(__name__)


class Periodic:
    """Subclasses say what one pass does (``one_pass``) and name the task."""

    name = "periodic"

    def __init__(self, every: float) -> None:
        self.every = every  # seconds between passes when nothing wakes the task
        self.passes = 0  # passes done, for whoever waits on the task (tests)
        self._passed = asyncio.Condition()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def one_pass(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Something is to do: pass now rather than at the next tick."""
        self._wake.set()

    async def passed(self, passes: int) -> None:
        """Wait until the task has done ``passes`` passes in all."""
        async with self._passed:
            await self._passed.wait_for(lambda: self.passes >= passes)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.one_pass()
            except Unavailable as error:
                log.warning("%s: the store did not answer: %s", self.name, error)
            except Exception:
                log.exception("%s: a pass failed", self.name)
            async with self._passed:
                self.passes += 1
                self._passed.notify_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.every)
