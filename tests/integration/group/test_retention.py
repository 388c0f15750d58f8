"""Retention: a group kept its months after its last held session, then erased for
real with its sessions, by the lifespan's task. The data is made over the real server;
the sweep is run at moments the test chooses (``run_once(now)``), on the same store
once the server is stopped, and the files are read for the words that must be gone."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from room.app import create_app
from room.live.groups import Groups
from room.live.hub import Hub
from room.live.retention import CLAIM, Retention
from room.settings import Settings
from room.store.sqlite import SQLiteStore
from tests.integration.groups import found, play_first_session
from tests.integration.session.test_erasure import files_holding
from tests.running import ServerProcess

PARIS = ZoneInfo("Europe/Paris")


async def _sweep_at(db_path: Path, now: float) -> list[str]:
    """One retention pass at ``now`` on the store in ``db_path``, in this process."""
    store = SQLiteStore(db_path)
    await store.open()
    try:
        hub = Hub(store, clock=lambda: now)
        groups = Groups(store, hub.clock, hub.fanout)
        return await Retention(store, groups, hub, hub.clock, "test-worker").run_once(now)
    finally:
        await store.close()


async def test_a_group_is_erased_once_its_retention_after_its_last_session_ran_out(
    server: ServerProcess,
) -> None:
    """Two groups met on 12 January 2027; one keeps its data 6 months, the other the
    default 12. On 12 July 2027 at 13:59 (Paris) nothing goes; at 14:00 the first goes,
    and its words — its name, a draft, the situation told in its session, a thread
    message — are in no file of the store (database and WAL); the other stays whole
    until its own term."""
    marker = f"MARQUEUR-{uuid.uuid4().hex}"
    kept_marker = f"GARDE-{uuid.uuid4().hex}"
    cast = await found(server, ("claire", "karim"), name=f"Groupe {marker}")
    kept = await found(server, ("claire", "karim"), name=f"Groupe {kept_marker}")
    async with httpx.AsyncClient(base_url=server.url) as http:
        await cast.do(http, "nadia", type="set_retention", months=6)
        await cast.do(http, "claire", type="save_draft", title=f"Brouillon {marker}")
        await cast.do(http, "karim", type="post_message", text=f"Aide {marker}")
        for group in (cast, kept):
            session = await group.plan(http, "2027-01-12T14:00", "claire")
            await play_first_session(group.links, session)
        charter = await http.get(f"/g/{cast.group}", headers=cast.auth("nadia"))
        assert "6 mois après sa dernière séance tenue" in charter.text
    server.stop()
    assert files_holding(server.db_path.parent, marker)  # the test can see them

    six_months = datetime(2027, 7, 12, 14, 0, tzinfo=PARIS).timestamp()
    assert await _sweep_at(server.db_path, six_months - 60) == []
    assert files_holding(server.db_path.parent, marker)
    assert await _sweep_at(server.db_path, six_months) == [cast.group]
    assert files_holding(server.db_path.parent, marker) == []
    assert files_holding(server.db_path.parent, kept_marker)
    a_year = datetime(2028, 1, 12, 14, 0, tzinfo=PARIS).timestamp()
    assert await _sweep_at(server.db_path, a_year - 60) == []
    assert await _sweep_at(server.db_path, a_year) == [kept.group]
    assert files_holding(server.db_path.parent, kept_marker) == []

    server.start()
    async with httpx.AsyncClient(base_url=server.url) as http:
        gone = await http.get(f"/api/groups/{cast.group}", headers=cast.auth("nadia"))
        assert gone.status_code in (401, 404)
        assert (await http.get(f"/j/{cast.secret('claire')}")).status_code == 404


async def test_a_group_that_never_met_counts_from_its_creation(server: ServerProcess) -> None:
    """No session held (one planned is not held): its months count from its creation."""
    cast = await found(server, ("claire",))
    async with httpx.AsyncClient(base_url=server.url) as http:
        await cast.do(http, "nadia", type="set_retention", months=1)
        await cast.plan(http, "2027-01-12T14:00", "claire")
        created = (await cast.view(http, "nadia"))["state"]["created_at"]
    server.stop()
    assert await _sweep_at(server.db_path, created + 27 * 86400) == []
    assert await _sweep_at(server.db_path, created + 32 * 86400) == [cast.group]


async def test_one_worker_sweeps_at_a_time(tmp_path: Path) -> None:
    """While one worker's claim runs, another's pass does nothing; once it ran out,
    the other sweeps."""
    store = SQLiteStore(tmp_path / "room.db")
    await store.open()
    try:
        assert await store.claim(CLAIM, "other-worker", 1000.0, 2000.0)
        hub = Hub(store, clock=lambda: 1500.0)
        retention = Retention(store, Groups(store, hub.clock), hub, hub.clock, "this-worker")
        assert await retention.run_once(1500.0) == []
        assert not await store.claim(CLAIM, "third", 1500.0, 1600.0)  # still the other's
        assert await retention.run_once(2000.0) == []  # its turn: nothing to erase
        assert not await store.claim(CLAIM, "other-worker", 2001.0, 3000.0)  # now this one's
    finally:
        await store.close()


async def test_the_lifespan_runs_the_retention_task(tmp_path: Path) -> None:
    """The app's lifespan starts the sweep (a first pass at once, holding the claim)
    and stops it on shutdown."""
    app = create_app(Settings.from_env({"ROOM_DB": str(tmp_path / "room.db")}))
    async with app.router.lifespan_context(app):
        retention: Retention = app.state.retention
        await retention.passed(1)
        now = retention.clock()
        assert not await retention.store.claim(CLAIM, "another-worker", now, now + 1)
        task = retention._task
        assert task is not None and not task.done()
    assert task.done()
