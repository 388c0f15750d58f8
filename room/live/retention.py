"""The retention sweep: a task in each server's lifespan that erases, for real, every
group whose retention period has run out, with its sessions.

A group is kept ``retention_months`` after its last held session (or its creation, if
it never met: room.domain.group.retention). Once that has passed, its log, its
sessions' logs, its links and its outbox go by the one erasure path a facilitator's
"erase the group" takes (``Hub.erase``: rooms closed, ``Store.erase``, the other
workers told), under the group's lock so that no command slips in between.

Under Redis, several workers run the task; a named claim in the store (``Store.claim``)
lets one of them sweep at a time, and another take over once a dead worker's claim
runs out. A pass is ``run_once(now)``: the tests call it with the moment they choose.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from room.domain.group import State
from room.domain.group.retention import last_held, months_after
from room.ids import is_group
from room.live.groups import Groups
from room.live.hub import Hub
from room.live.periodic import Periodic
from room.store import Store

log = logging.getLogger(__name__)

CLAIM = "retention"  # the store's claim one worker holds while it sweeps
EVERY = 3600.0  # seconds between passes: a retention counts in months
HOLD = 900.0  # seconds a pass holds the claim: far beyond a pass's length


def retention_ends(state: State, held: set[str]) -> float:
    """When ``state``'s group may be erased: its retention after its last held session
    (``held``: the ids of the sessions that began), on the group's wall clock, or after
    its creation if it never met."""
    try:
        zone = ZoneInfo(state.time_zone)
    except (ValueError, ZoneInfoNotFoundError):
        zone = ZoneInfo("UTC")
    local = last_held(state, held)
    if local is None:
        start = datetime.fromtimestamp(state.created_at, UTC).astimezone(zone)
    else:
        start = datetime.fromisoformat(local).replace(tzinfo=zone)
    return months_after(start, state.retention_months).timestamp()


class Retention(Periodic):
    """Erases the groups whose retention ran out, pass after pass."""

    name = "retention"

    def __init__(
        self,
        store: Store,
        groups: Groups,
        hub: Hub,
        clock: Callable[[], float],
        worker: str,
        *,
        every: float = EVERY,
    ) -> None:
        self.store = store
        self.groups = groups
        self.hub = hub  # erases the logs, closing their rooms and telling the other workers
        self.clock = clock
        self.worker = worker  # this process's id, which its claim carries
        super().__init__(every)

    async def one_pass(self) -> None:
        await self.run_once(self.clock())

    async def held(self, state: State) -> set[str]:
        """The group's sessions that began: those with a log."""
        return {s for s in state.sessions if await self.store.last_seq(s) > 0}

    async def run_once(self, now: float) -> list[str]:
        """One pass at ``now``: the ids of the groups it erased ([] if another worker
        holds the claim)."""
        if not await self.store.claim(CLAIM, self.worker, now, now + HOLD):
            return []
        erased = []
        for log_id in await self.store.session_ids():
            if not is_group(log_id):
                continue
            group = await self.groups.get(log_id)
            if group is None:
                continue
            async with group.lock:
                state = group.state
                if not state.created or now < retention_ends(state, await self.held(state)):
                    continue
                await self.hub.erase([group.id, *state.sessions])
            self.groups.forget(group.id)
            log.info("group %s erased: its retention period ran out", group.id)
            erased.append(group.id)
        return erased
