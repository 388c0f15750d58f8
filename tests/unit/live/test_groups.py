"""A group's erasure of a session takes its handed draft out of the group's log on a
real SQLite store, and when the store fails midway, nothing is recorded and erasing
again finishes the job."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from room.domain.group import commands as g
from room.live.groups import Group, Groups
from room.store import StoreError
from room.store.sqlite import SQLiteStore
from tests.domain.group.table import RULES
from tests.store.test_erasure import files_holding

GROUP = "g-erasure"
SESSION = "s-first"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """A real SQLite store that gives up on a busy WAL at once (50 ms)."""
    opened = SQLiteStore(tmp_path / "store" / "room.db", busy_timeout_ms=50)
    await opened.open()
    yield opened
    await opened.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


async def narrated(store: SQLiteStore, marker: str) -> Group:
    """Nadia's group, where Claire narrates SESSION and handed it her draft (saved
    twice, before and after), every text of which carries ``marker``."""
    groups = Groups(store, Clock())
    create = g.CreateGroup(name="GEP", facilitator="nadia", facilitator_name="Nadia", rules=RULES)
    group = await groups.create(GROUP, create)
    await group.execute("nadia", g.InvitePerson(person="claire", name="Claire"))
    await group.execute("claire", g.AcceptCharter(version=1))
    await group.execute("nadia", g.AdmitPerson(person="claire", note="Discuté."))
    plan = g.PlanSession(session=SESSION, date="2027-01-12T14:00", narrator="claire")
    await group.execute("nadia", plan)
    await group.execute("claire", g.SaveDraft(draft="d1", title=f"Titre {marker}"))
    await group.execute("claire", g.UseDraft(draft="d1", session=SESSION))
    await group.execute("claire", g.SaveDraft(draft="d1", title="v2", request=f"Demande {marker}"))
    return group


async def erase(group: Group) -> None:
    """What the group's services do: the erasure in the store first, then its record."""
    await group.execute(
        "nadia",
        g.EraseSession(session=SESSION),
        lambda: group.erase_handed_draft(SESSION),
    )


async def test_erasing_a_session_rewrites_its_draft_out_of_the_group_s_log(
    store: SQLiteStore,
) -> None:
    """Once recorded, the draft is in no file of the store and in no state: neither the
    one in memory nor one read again from the log by another worker."""
    marker = f"MARQUEUR-{uuid.uuid4().hex}"
    group = await narrated(store, marker)
    directory = store.path.parent
    assert files_holding(directory, marker.encode())

    await erase(group)

    assert files_holding(directory, marker.encode()) == []
    assert group.state.drafts == {} and group.state.sessions[SESSION].erased_at is not None
    elsewhere = await Groups(store, Clock()).get(GROUP)
    assert elsewhere is not None and elsewhere.state == group.state


async def test_an_erasure_that_failed_records_nothing_and_finishes_when_asked_again(
    store: SQLiteStore,
) -> None:
    """A reader holding the WAL makes the rewrite fail after it replaced the events:
    the group records no erasure (the session stays listed, erasable again), and
    erasing again once the reader is gone scrubs the files and records it."""
    marker = f"MARQUEUR-{uuid.uuid4().hex}"
    group = await narrated(store, marker)
    seq = group.seq
    reader = sqlite3.connect(store.path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM events").fetchone()[0] > 0
        with pytest.raises(StoreError, match="rewrite them again"):
            await erase(group)
        assert group.seq == seq and await store.last_seq(GROUP) == seq
        assert group.state.sessions[SESSION].erased_at is None
        reader.execute("COMMIT")
    finally:
        reader.close()

    await erase(group)

    assert files_holding(store.path.parent, marker.encode()) == []
    assert group.state.drafts == {} and group.state.sessions[SESSION].erased_at is not None
    elsewhere = await Groups(store, Clock()).get(GROUP)
    assert elsewhere is not None and elsewhere.state == group.state
