"""What the SQLite backend promises beyond the contract: its pragmas and its thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from room.store import CommandKey, Link, SeqConflict, StoreError
from room.store.sqlite import SCHEMA_VERSION, SQLiteStore


@pytest.fixture
async def opened(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Opens SQLite stores on tmp_path/"sub"/"room.db" and closes them all at teardown."""
    stores: list[SQLiteStore] = []

    async def open_(**options: Any) -> SQLiteStore:
        store = SQLiteStore(tmp_path / "sub" / "room.db", **options)
        stores.append(store)
        await store.open()
        return store

    yield open_
    for store in stores:
        await store.close()


def pragma(store: SQLiteStore, name: str) -> Any:
    return store._call(lambda conn: conn.execute(f"PRAGMA {name}").fetchone()[0])


async def test_file_is_in_wal_mode(opened: Any, tmp_path: Path) -> None:
    """open() creates the missing directory and a file in WAL mode, at the schema version."""
    await opened()
    outside = sqlite3.connect(tmp_path / "sub" / "room.db")
    try:
        assert outside.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert outside.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        outside.close()


@pytest.mark.parametrize(("option", "level"), [({}, 1), ({"synchronous": "full"}, 2)])
async def test_synchronous_level(opened: Any, option: dict[str, str], level: int) -> None:
    """synchronous is NORMAL (1) by default, FULL (2) on request; foreign keys and secure
    delete are on."""
    store = await opened(**option)
    assert await pragma(store, "synchronous") == level
    assert await pragma(store, "secure_delete") == 1
    assert await pragma(store, "foreign_keys") == 1
    assert await pragma(store, "busy_timeout") > 0


async def test_unknown_synchronous_is_refused() -> None:
    """A synchronous level other than normal or full is refused at construction."""
    with pytest.raises(ValueError):
        SQLiteStore("unused.db", synchronous="off")  # type: ignore[arg-type]


async def test_newer_schema_is_refused(opened: Any, tmp_path: Path) -> None:
    """open() refuses a file whose schema version is newer than the code's."""
    store = await opened()
    await store._call(lambda conn: conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}"))
    await store.close()
    with pytest.raises(StoreError, match="schema version"):
        await opened()


async def test_a_version_1_file_is_migrated_with_its_links(opened: Any, tmp_path: Path) -> None:
    """A file written before links could open groups keeps its links, now by scope;
    written before links recorded their first opening, they count as opened when made
    (so that none of them expires on the upgrade)."""
    from room.store.sqlite import _MIGRATIONS

    (tmp_path / "sub").mkdir()
    old = sqlite3.connect(tmp_path / "sub" / "room.db")
    old.executescript(_MIGRATIONS[0])
    old.execute("INSERT INTO links VALUES ('h', 's1', 'p1', 1.0, NULL)")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    store = await opened()
    assert await store.links("s1") == [Link("h", "s1", "p1", 1.0, used_at=1.0)]
    assert await pragma(store, "user_version") == SCHEMA_VERSION


async def test_every_statement_runs_on_one_thread_off_the_loop(
    opened: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every SQL statement, opening included, runs on one thread that is not the loop's."""
    threads: set[int] = set()
    connect = sqlite3.connect

    def traced_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = connect(*args, **kwargs)
        conn.set_trace_callback(lambda _: threads.add(threading.get_ident()))
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced_connect)
    store = await opened()
    await store.append("s", 0, [b"1"], command=CommandKey("p", "k"))
    await store.read("s")
    await store.add_link(Link("h", "s", "p", created_at=1.0))
    await store.revoke_link("h", at=2.0)
    await store.close()
    assert len(threads) == 1
    assert threading.get_ident() not in threads


async def test_two_stores_on_one_file_do_not_fork_a_log(opened: Any) -> None:
    """Two stores on the same file (two processes) see each other's appends and conflicts."""
    first, second = await opened(), await opened()
    results = await asyncio.gather(
        first.append("s", 0, [b"a"]), second.append("s", 0, [b"b"]), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["SeqConflict", "int"], results
    assert await first.read("s") == await second.read("s")
    with pytest.raises(SeqConflict):
        await second.append("s", 0, [b"c"])


async def test_appends_made_during_a_commit_share_the_next_one(opened: Any) -> None:
    """While the thread is busy, appends wait and then go in one transaction."""
    store = await opened()
    statements: list[str] = []
    await store._call(lambda conn: conn.set_trace_callback(statements.append))
    busy, release = threading.Event(), threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        busy.set()
        release.wait(timeout=30)

    holding = asyncio.ensure_future(store._call(hold))
    await asyncio.to_thread(busy.wait, 30)
    appends = [asyncio.ensure_future(store.append(f"s{n}", 0, [b"e"])) for n in range(8)]
    await asyncio.sleep(0)  # the first starts the group's committer, which waits on the thread
    release.set()
    await holding
    assert await asyncio.gather(*appends) == [1] * 8
    assert statements.count("BEGIN IMMEDIATE") == 1
    assert statements.count("COMMIT") == 1
