"""The retention sweep on a real store (SQLite and Redis), with an injected clock: a
group is kept its months after its creation when it never met, then erased with its
links and outbox; of two workers sweeping at once, one does it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from room.domain.group import commands as gcmd
from room.live.groups import Groups
from room.live.hub import Hub
from room.live.retention import Retention, retention_ends
from room.store import Store

CREATED = datetime(2027, 1, 31, 12, 0, tzinfo=UTC).timestamp()


def worker(store: Store, name: str, now: float) -> Retention:
    hub = Hub(store, clock=lambda: now)
    return Retention(store, Groups(store, hub.clock), hub, hub.clock, name)


async def test_two_workers_sweep_at_once_and_one_erases(store: Store) -> None:
    """A group created on 31 January that never met, kept one month: on 28 February
    (the month's last day) at noon it goes, not a minute before; two workers sweeping
    at that moment erase it once between them, and its log reads as unknown."""
    groups = Groups(store, lambda: CREATED)
    group = await groups.create(
        "g-lyon",
        gcmd.CreateGroup(name="Codev", facilitator="p-nadia", facilitator_name="N", rules=("R",)),
    )
    await group.execute("p-nadia", gcmd.SetRetention(months=1))
    due = datetime(2027, 2, 28, 12, 0, tzinfo=UTC).timestamp()
    assert retention_ends(group.state, set()) == due
    assert await worker(store, "early", due - 60).run_once(due - 60) == []
    assert await store.last_seq("g-lyon") > 0
    later = due + 3600  # the early worker's claim has run out
    first, second = worker(store, "w1", later), worker(store, "w2", later)
    done = await asyncio.gather(first.run_once(later), second.run_once(later))
    assert sorted(done) == [[], ["g-lyon"]]
    assert await store.last_seq("g-lyon") == 0
    assert await store.links("g-lyon") == [] and await store.mails("g-lyon") == []
