"""Erasure in the SQLite backend is real: the erased bytes are in no file of the store,
nor are the bytes of events rewritten in place.

The contract (test_contract.py) proves that erased logs read as gone and rewritten
events as rewritten; these tests read the raw bytes of every file beside the database
(the file, its -wal and -shm, anything else) and look for a marker that only the erased
logs, or the replaced events, carried.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from room.store import Acceptance, CommandKey, Link, PrivateText, Store, StoredEvent, StoreError
from room.store.sqlite import SQLiteStore

KEPT = ("s-kept", "g-kept")  # logs no erasure names
ERASED = ("s-erased", "g-erased")  # the logs whose every byte must go

OpenSQLite = Callable[..., Awaitable[SQLiteStore]]


@pytest.fixture
def marker() -> bytes:
    """Bytes that occur only in what is erased, and nowhere by chance."""
    return b"MARKER-" + uuid.uuid4().hex.encode()


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    """The directory holding the store's files, and nothing else."""
    return tmp_path / "store"


@pytest.fixture
async def open_sqlite(directory: Path) -> AsyncIterator[OpenSQLite]:
    """Opens SQLite stores on the directory's room.db; closes them all at teardown."""
    stores: list[SQLiteStore] = []

    async def open_(busy_timeout_ms: int = 5000) -> SQLiteStore:
        store = SQLiteStore(directory / "room.db", busy_timeout_ms=busy_timeout_ms)
        stores.append(store)
        await store.open()
        return store

    yield open_
    for store in stores:
        await store.close()


def files_holding(directory: Path, needle: bytes) -> list[str]:
    """The names of the files under ``directory`` whose raw bytes contain ``needle``."""
    files = [path for path in directory.rglob("*") if path.is_file()]
    assert files, f"expected the store's files in {directory}, but found none"
    return sorted(str(p.relative_to(directory)) for p in files if needle in p.read_bytes())


def kept_event(log_id: str, seq: int) -> bytes:
    return f"{log_id} event {seq} ".encode() * 20


def erased_event(marker: bytes, seq: int, size: int) -> bytes:
    """An event of about ``size`` bytes carrying the marker at its start, middle and end."""
    filler = b"x" * max(0, (size - 3 * len(marker)) // 2)
    return marker + filler + marker + seq.to_bytes(4, "big") + filler + marker


def person_in(log_id: str, marker: bytes) -> str:
    """The participant of a log: in an erased log, their id carries the marker too."""
    return f"person-{marker.decode()}" if log_id in ERASED else "person-kept"


async def fill(
    store: Store, marker: bytes, *, events: int = 30, size: int = 300, batch: int = 10
) -> None:
    """Write the erased logs, carrying the marker everywhere a log's data can go, in
    batches interleaved with the kept logs' so that their rows share pages."""
    for seq in range(0, events, batch):
        seqs = range(seq, seq + batch)
        for log_id in KEPT:
            await store.append(log_id, seq, [kept_event(log_id, n) for n in seqs])
        for log_id in ERASED:
            await store.append(log_id, seq, [erased_event(marker, n, size) for n in seqs])
    for log_id in (*KEPT, *ERASED):
        person = person_in(log_id, marker)
        await store.append(log_id, events, [b"last"], command=CommandKey(person, "k"))
        await store.add_link(Link(f"hash-{log_id}", log_id, person, created_at=1.0))
        await store.accept_charter(Acceptance(log_id, person, 1, at=2.0))


async def assert_kept_intact(store: Store, marker: bytes, events: int = 30) -> None:
    """The kept logs read back exactly as fill() wrote them, and the erased ones are gone."""
    for log_id in KEPT:
        person = person_in(log_id, marker)
        expected = [kept_event(log_id, n) for n in range(events)] + [b"last"]
        assert await store.read(log_id) == [StoredEvent(n, e) for n, e in enumerate(expected, 1)]
        assert await store.command_seq(log_id, CommandKey(person, "k")) == events + 1
        assert await store.links(log_id) == [Link(f"hash-{log_id}", log_id, person, 1.0)]
        assert await store.acceptance(log_id, person) == Acceptance(log_id, person, 1, 2.0)
    assert await store.session_ids() == list(KEPT)


async def test_erased_bytes_are_in_no_file_of_the_open_store(
    open_sqlite: OpenSQLite, directory: Path, marker: bytes
) -> None:
    """Once erase() returns, no file beside the open store holds the erased bytes and the
    -wal file is empty; the other logs read back intact, and their bytes are in the file."""
    store = await open_sqlite()
    await fill(store, marker)
    assert files_holding(directory, marker), "the check must see the marker before erasure"

    await store.erase(ERASED)

    assert files_holding(directory, marker) == []
    assert (directory / "room.db-wal").stat().st_size == 0
    await assert_kept_intact(store, marker)
    assert files_holding(directory, kept_event(KEPT[0], 29)) == ["room.db"]


@pytest.mark.parametrize("reopen_before_erasing", [False, True])
async def test_erased_bytes_are_in_no_file_after_a_restart(
    open_sqlite: OpenSQLite, directory: Path, marker: bytes, reopen_before_erasing: bool
) -> None:
    """Erased bytes are in no file after close, nor after reopening, whether the logs were
    written by this run or an earlier one; the other logs read back intact."""
    store = await open_sqlite()
    await fill(store, marker)
    if reopen_before_erasing:
        await store.close()
        store = await open_sqlite()
    await store.erase(ERASED)
    assert files_holding(directory, marker) == []
    await store.close()
    assert files_holding(directory, marker) == []

    reopened = await open_sqlite()
    await assert_kept_intact(reopened, marker)
    assert files_holding(directory, marker) == []


async def test_a_large_erasure_leaves_no_free_page_behind(
    open_sqlite: OpenSQLite, directory: Path, marker: bytes
) -> None:
    """Erasing 2,000 events of 2 KB (about 4 MB, freed pages by the thousand) leaves the
    marker in no file, the file no larger than what remains needs, and no free page."""
    store = await open_sqlite()
    await fill(store, marker, events=1000, size=2048, batch=100)  # 2 logs x 1,000 events
    await store.close()  # what remains, with no WAL: what the file should come down to
    size_full = (directory / "room.db").stat().st_size
    store = await open_sqlite()

    await store.erase(ERASED)

    assert files_holding(directory, marker) == []
    await assert_kept_intact(store, marker, events=1000)
    pages = await store._call(lambda conn: conn.execute("PRAGMA freelist_count").fetchone()[0])
    assert pages == 0
    assert (directory / "room.db").stat().st_size < size_full / 4


async def test_erasure_is_all_or_nothing(open_sqlite: OpenSQLite, marker: bytes) -> None:
    """If a delete fails midway, erase() raises and nothing at all is erased."""
    store = await open_sqlite()
    await fill(store, marker)
    # The last table erase() deletes from refuses: the events, deleted first, must stay.
    await store._call(
        lambda conn: conn.execute(
            "CREATE TEMP TRIGGER refuse BEFORE DELETE ON acceptances"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    )
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        await store.erase(ERASED)
    for log_id in ERASED:
        assert await store.last_seq(log_id) == 31
        assert await store.links(log_id) != []
    assert await store.session_ids() == [*KEPT, *ERASED]


async def test_a_reader_holding_the_wal_fails_erasure_until_it_is_gone(
    open_sqlite: OpenSQLite, directory: Path, marker: bytes
) -> None:
    """While another connection reads an old snapshot, the WAL cannot be emptied: erase()
    raises StoreError rather than return with the bytes on disk; retried, it completes."""
    store = await open_sqlite(busy_timeout_ms=50)
    await fill(store, marker)
    reader = sqlite3.connect(directory / "room.db", isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM events").fetchone()[0] > 0
        with pytest.raises(StoreError, match="erase them again"):
            await store.erase(ERASED)
        assert await store.session_ids() == list(KEPT)  # erased, but not yet scrubbed
        reader.execute("COMMIT")
    finally:
        reader.close()

    await store.erase(ERASED)
    assert files_holding(directory, marker) == []


class _FailingVacuum:
    """A connection whose VACUUM fails, as it would on a full disk."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn  # the store's real connection, for every other statement

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "VACUUM":
            raise sqlite3.OperationalError("database or disk is full")
        return self.conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


async def test_a_failed_vacuum_fails_erasure_until_it_succeeds(
    open_sqlite: OpenSQLite, directory: Path, marker: bytes
) -> None:
    """If the rewrite fails, erase() raises StoreError rather than return with the bytes
    on disk; retried, it completes."""
    store = await open_sqlite()
    await fill(store, marker)
    conn = store._conn
    store._conn = _FailingVacuum(conn)  # type: ignore[assignment]
    with pytest.raises(StoreError, match="disk is full.*erase them again"):
        await store.erase(ERASED)
    store._conn = conn
    assert await store.session_ids() == list(KEPT)  # erased, but not yet scrubbed

    await store.erase(ERASED)
    assert files_holding(directory, marker) == []


# --- rewriting events in place --------------------------------------------------------------

REWRITTEN = "g-rewritten"  # a log whose marked events are rewritten, the others kept


def marked(seq: int) -> bool:
    """Every third event of REWRITTEN carries the marker."""
    return seq % 3 == 0


def rewritten_log(marker: bytes, events: int) -> list[bytes]:
    """REWRITTEN's events as written: the marked ones carry it, the others do not."""
    return [
        erased_event(marker, seq, 300) if marked(seq) else kept_event(REWRITTEN, seq)
        for seq in range(1, events + 1)
    ]


def blank(seq: int) -> bytes:
    return f"rewritten {seq}".encode()


async def fill_rewritten(store: Store, marker: bytes, events: int = 60, batch: int = 6) -> None:
    """REWRITTEN, in batches interleaved with the kept logs' so that their rows share
    pages; the marker is in its events only."""
    written = rewritten_log(marker, events)
    for seq in range(0, events, batch):
        for log_id in KEPT:
            await store.append(
                log_id, seq, [kept_event(log_id, n) for n in range(seq, seq + batch)]
            )
        await store.append(REWRITTEN, seq, written[seq : seq + batch])


async def rewrite_marked(store: Store, events: int = 60) -> None:
    await store.rewrite(REWRITTEN, {n: blank(n) for n in range(1, events + 1) if marked(n)})


async def assert_rewritten(store: Store, marker: bytes, events: int = 60) -> None:
    """REWRITTEN reads back with its marked events replaced, the others as written; the
    kept logs are whole."""
    written = rewritten_log(marker, events)
    expected = [blank(n) if marked(n) else written[n - 1] for n in range(1, events + 1)]
    assert await store.read(REWRITTEN) == [StoredEvent(n, e) for n, e in enumerate(expected, 1)]
    for log_id in KEPT:
        assert await store.read(log_id) == [
            StoredEvent(n + 1, kept_event(log_id, n)) for n in range(events)
        ]


async def test_rewritten_bytes_are_in_no_file_of_the_open_store(
    open_sqlite: OpenSQLite, directory: Path, marker: bytes
) -> None:
    """Once rewrite() returns, no file beside the open store holds the replaced bytes and
    the -wal file is empty; the log reads back rewritten, the rest as written."""
    store = await open_sqlite()
    await fill_rewritten(store, marker)
    assert files_holding(directory, marker), "the check must see the marker before the rewrite"

    await rewrite_marked(store)

    assert files_holding(directory, marker) == []
    assert (directory / "room.db-wal").stat().st_size == 0
    await assert_rewritten(store, marker)
    assert files_holding(directory, blank(3)) == ["room.db"]


async def test_rewritten_bytes_are_in_no_file_after_a_restart(
    open_sqlite: OpenSQLite, directory: Path, marker: bytes
) -> None:
    """Written by an earlier run, rewritten by this one: the replaced bytes are in no file
    after close, nor after reopening."""
    store = await open_sqlite()
    await fill_rewritten(store, marker)
    await store.close()
    store = await open_sqlite()
    await rewrite_marked(store)
    await store.close()
    assert files_holding(directory, marker) == []

    reopened = await open_sqlite()
    await assert_rewritten(reopened, marker)
    assert files_holding(directory, marker) == []


async def test_a_reader_holding_the_wal_fails_a_rewrite_until_it_is_gone(
    open_sqlite: OpenSQLite, directory: Path, marker: bytes
) -> None:
    """While another connection reads an old snapshot, rewrite() raises StoreError rather
    than return with the old bytes on disk; retried, it completes."""
    store = await open_sqlite(busy_timeout_ms=50)
    await fill_rewritten(store, marker)
    reader = sqlite3.connect(directory / "room.db", isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM events").fetchone()[0] > 0
        with pytest.raises(StoreError, match="rewrite them again"):
            await rewrite_marked(store)
        await assert_rewritten(store, marker)  # rewritten, but not yet scrubbed
        reader.execute("COMMIT")
    finally:
        reader.close()

    await rewrite_marked(store)
    assert files_holding(directory, marker) == []


async def test_forgotten_private_texts_are_in_no_file(
    open_sqlite: OpenSQLite, directory: Path, marker: bytes
) -> None:
    """A silent round's drafts, written, overwritten and then forgotten with a scrub,
    leave no byte in the file or its WAL; another round's drafts stay."""
    store = await open_sqlite()
    await fill(store, marker, events=10)
    for n in range(30):
        text = PrivateText("s-kept", f"p{n % 5}", f"round/1/d{n}", marker * 3, float(n))
        await store.keep_private(text)
        await store.keep_private(PrivateText("s-kept", "p0", f"round/2/d{n}", b"stays", 0.0))
    await store.keep_private(PrivateText("s-kept", "p0", "round/1/d0", marker + b"v2", 99.0))
    await store.erase(ERASED)  # the logs' own marker goes first, so only the drafts hold it
    assert files_holding(directory, marker)

    assert await store.forget_private("s-kept", path="round/1") == 30

    assert files_holding(directory, marker) == []
    assert len(await store.private("s-kept", path="round/2")) == 30
