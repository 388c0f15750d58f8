"""The embedded store: one SQLite file in WAL mode, one thread that owns the connection.

Every SQLite call runs on the store's single worker thread, never on the event loop:
calls are serialized in the order they were made, and the connection is only ever
touched from the thread that opened it (``check_same_thread`` stays on to prove it).
Writes run in ``BEGIN IMMEDIATE`` transactions, so another process on the same file
waits (``busy_timeout``) instead of forking a session's history.

Appends are committed in groups: those made while a commit is on the thread wait for
it, then go together in the next transaction, each under its own savepoint, so one
refused (a seq conflict, a known command key) leaves the others whole. Sessions that
write at once then share one thread hop and one commit; a lone append goes at once.

Durability: in WAL mode, ``synchronous=NORMAL`` makes a committed transaction survive a
crash of the process (what an ack promises); ``synchronous="full"`` also makes it
survive a power cut, at the cost of an fsync per commit.

Erasure: deleting rows is not enough to forget them. SQLite leaves deleted cells in the
free space of their page and whole pages on its free list, and in WAL mode the pages
that held them live on, as written, in the -wal file and in the main file until a
checkpoint overwrites them. ``erase()`` scrubs all three; see ``_erase``. An UPDATE
leaves the old bytes behind the same way, so ``rewrite()`` scrubs after it alike.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from room.store.base import (
    Acceptance,
    CommandKey,
    DuplicateCommand,
    Link,
    Mail,
    MailStatus,
    NoSuchEvent,
    PrivateText,
    SeqConflict,
    Store,
    StoredEvent,
    StoreError,
    check_append,
    check_rewrite,
    under,
)

_P = ParamSpec("_P")
_T = TypeVar("_T")

Synchronous = Literal["normal", "full"]

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS sessions (
    ordinal INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS events (
    session_id TEXT NOT NULL REFERENCES sessions (session_id),
    seq INTEGER NOT NULL CHECK (seq >= 1),
    data BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commands (
    session_id TEXT NOT NULL REFERENCES sessions (session_id),
    participant TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (session_id, participant, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS links (
    secret_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    participant TEXT NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS links_by_session ON links (session_id, created_at);
CREATE TABLE IF NOT EXISTS acceptances (
    session_id TEXT NOT NULL,
    participant TEXT NOT NULL,
    charter_version INTEGER NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (session_id, participant)
) WITHOUT ROWID;
"""

# Version 2: a link opens a session or a group, so its column says "scope".
_SCHEMA_V2 = """
ALTER TABLE links RENAME COLUMN session_id TO scope;
DROP INDEX links_by_session;
CREATE INDEX links_by_scope ON links (scope, created_at);
"""

# Version 3: the outbox. ``due`` is when a pending message may next be leased: the
# latest of its not-before time, its next try and its lease's end (NULL once settled).
_SCHEMA_V3 = """
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    person TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message_id TEXT NOT NULL,
    message BLOB NOT NULL,
    created_at REAL NOT NULL,
    not_before REAL NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_try REAL NOT NULL,
    error TEXT NOT NULL,
    settled_at REAL,
    leased_by TEXT,
    lease_until REAL,
    due REAL
);
CREATE INDEX outbox_due ON outbox (due) WHERE due IS NOT NULL;
CREATE INDEX outbox_by_scope ON outbox (scope, created_at);
"""

# Version 4: texts kept for their owner alone (a silent round's drafts), outside the logs.
_SCHEMA_V4 = """
CREATE TABLE private (
    scope TEXT NOT NULL,
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    data BLOB NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (scope, owner, key)
);
"""

# Version 5 (privacy): named claims with a term, so that one worker at a time runs a task
# that should run once (the retention sweep), and another takes over once it runs out;
# and when a link was first opened, so that one never opened expires. Links made before
# count as opened when made: whether they were is not known, and refusing a link someone
# has used for months would lock them out.
_SCHEMA_V5 = """
CREATE TABLE claims (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until REAL NOT NULL
) WITHOUT ROWID;
ALTER TABLE links ADD COLUMN used_at REAL;
UPDATE links SET used_at = created_at;
"""

# Step n brings a file from version n to n + 1; open() runs the steps a file lacks and
# refuses a file written by a newer version.
_MIGRATIONS = (_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3, _SCHEMA_V4, _SCHEMA_V5)
SCHEMA_VERSION = len(_MIGRATIONS)

_LINK_COLUMNS = "secret_hash, scope, participant, created_at, revoked_at, used_at"
_MAIL_COLUMNS = (
    "id, scope, person, kind, recipient, message_id, message, created_at, not_before,"
    " status, attempts, next_try, error, settled_at"
)


class SQLiteStore(Store):
    """The ``Store`` over one SQLite file; ``open()`` creates the file and its directory."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "normal",
        busy_timeout_ms: int = 5000,
    ) -> None:
        if synchronous not in ("normal", "full"):
            raise ValueError(f'expected synchronous "normal" or "full", got {synchronous!r}')
        self.path = Path(path)  # the database file; its WAL and shm files sit beside it
        self.synchronous: Synchronous = synchronous  # "full" for power-cut durability
        self.busy_timeout_ms = busy_timeout_ms  # how long to wait for another process's lock
        # The one thread that owns the connection; created by open(), shut down by close().
        self._executor: ThreadPoolExecutor | None = None
        # Only ever used on the executor's thread; None until open(), again after close().
        self._conn: sqlite3.Connection | None = None
        # Appends made while a group is being committed: the next group.
        self._waiting: list[_Append] = []
        # The task committing groups while there are any; None when idle.
        self._committer: asyncio.Task[None] | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def open(self) -> None:
        if self._executor is not None:
            raise RuntimeError(f"SQLite store {self.path} is already open")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="room-store-sqlite")
        loop = asyncio.get_running_loop()
        try:
            self._conn = await loop.run_in_executor(self._executor, self._connect)
        except BaseException:
            self._executor.shutdown(wait=True)
            self._executor = None
            raise

    async def close(self) -> None:
        """Close the connection and stop its thread. Closing a closed store does nothing."""
        if self._committer is not None:
            await asyncio.shield(self._committer)  # appends already made are committed
        executor, conn = self._executor, self._conn
        if executor is None:
            return
        self._executor = self._conn = None
        try:
            if conn is not None:
                # Queued behind every call already made, so those finish first.
                await asyncio.get_running_loop().run_in_executor(executor, conn.close)
        finally:
            executor.shutdown(wait=True)

    def _connect(self) -> sqlite3.Connection:
        """Open the file and bring its schema up to date. Runs on the store's thread."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; every write says BEGIN IMMEDIATE.
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode != "wal":
                raise StoreError(f"{self.path}: expected journal_mode 'wal', but got {mode!r}")
            conn.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
            conn.execute("PRAGMA foreign_keys = ON")
            # Deleted content is overwritten with zeros, in the page that keeps other rows
            # and in the pages freed whole, instead of staying readable as free space.
            # erase() does not rely on it alone (see _erase), but if its VACUUM fails, the
            # erased rows are already zeros in the pages the next checkpoint writes.
            (secure,) = conn.execute("PRAGMA secure_delete = ON").fetchone()
            if secure != 1:
                raise StoreError(f"{self.path}: expected secure_delete 1, but got {secure!r}")
            with _transaction(conn):
                (version,) = conn.execute("PRAGMA user_version").fetchone()
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path}: expected schema version {SCHEMA_VERSION} or older, "
                        f"but got {version}; this file was written by a newer Codev Room"
                    )
                for step in _MIGRATIONS[version:]:
                    for statement in step.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            conn.close()
            raise
        return conn

    async def _call(
        self,
        fn: Callable[Concatenate[sqlite3.Connection, _P], _T],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        """Run ``fn(connection, ...)`` on the store's thread and wait for its result.

        If the awaiting task is cancelled, ``fn`` still runs to its end: a write is
        committed or rolled back whole, only the caller does not learn which.
        """
        executor, conn = self._executor, self._conn
        if executor is None or conn is None:
            raise RuntimeError(f"SQLite store {self.path} is not open")
        call = functools.partial(fn, conn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(executor, call)

    # --- session logs ---------------------------------------------------------------------

    async def append(
        self,
        session_id: str,
        expected_seq: int,
        events: Sequence[bytes],
        command: CommandKey | None = None,
    ) -> int:
        check_append(session_id, expected_seq, events)
        if self._executor is None:
            raise RuntimeError(f"SQLite store {self.path} is not open")
        append = _Append(
            session_id,
            expected_seq,
            list(events),
            command,
            asyncio.get_running_loop().create_future(),
        )
        self._waiting.append(append)
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_groups(), name="sqlite-appends")
        # Shielded: a cancelled caller does not cancel the write, only its wait for it.
        return await asyncio.shield(append.done)

    async def _commit_groups(self) -> None:
        """Commit what waits, in one transaction, until nothing does."""
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    outcomes = await self._call(_append_group, [a.row for a in group])
                except Exception as error:  # the transaction failed whole: nothing written
                    outcomes = [error] * len(group)
                for append, outcome in zip(group, outcomes, strict=True):
                    if isinstance(outcome, Exception):
                        append.done.set_exception(outcome)
                    else:
                        append.done.set_result(outcome)
        finally:
            self._committer = None

    async def read(self, session_id: str, after_seq: int = 0) -> list[StoredEvent]:
        rows = await self._call(
            _fetchall,
            "SELECT seq, data FROM events WHERE session_id = ? AND seq > ? ORDER BY seq",
            (session_id, after_seq),
        )
        return [StoredEvent(seq=seq, data=data) for seq, data in rows]

    async def last_seq(self, session_id: str) -> int:
        return await self._call(_last_seq, session_id)

    async def command_seq(self, session_id: str, command: CommandKey) -> int | None:
        rows = await self._call(
            _fetchall,
            "SELECT seq FROM commands WHERE session_id = ? AND participant = ? AND key = ?",
            (session_id, command.participant, command.key),
        )
        return rows[0][0] if rows else None

    async def session_ids(self) -> list[str]:
        rows = await self._call(_fetchall, "SELECT session_id FROM sessions ORDER BY ordinal", ())
        return [session_id for (session_id,) in rows]

    async def erase(self, log_ids: Sequence[str]) -> None:
        if isinstance(log_ids, str):
            raise TypeError(f"expected a sequence of log ids, but got the string {log_ids!r}")
        await self._call(_erase, list(log_ids), self.path)

    async def rewrite(self, log_id: str, replacements: Mapping[int, bytes]) -> None:
        rows = check_rewrite(log_id, replacements)
        if rows:
            await self._call(_rewrite, log_id, rows, self.path)

    # --- links and charter ----------------------------------------------------------------

    async def add_link(self, link: Link) -> None:
        await self._call(_add_link, link)

    async def link(self, secret_hash: str) -> Link | None:
        rows = await self._call(
            _fetchall, f"SELECT {_LINK_COLUMNS} FROM links WHERE secret_hash = ?", (secret_hash,)
        )
        return Link(*rows[0]) if rows else None

    async def links(self, scope: str) -> list[Link]:
        rows = await self._call(
            _fetchall,
            f"SELECT {_LINK_COLUMNS} FROM links WHERE scope = ? ORDER BY created_at, rowid",
            (scope,),
        )
        return [Link(*row) for row in rows]

    async def revoke_link(self, secret_hash: str, at: float) -> Link | None:
        return await self._call(_revoke_link, secret_hash, at)

    async def use_link(self, secret_hash: str, at: float) -> Link | None:
        return await self._call(_stamp_link, "used_at", secret_hash, at)

    async def accept_charter(self, acceptance: Acceptance) -> None:
        await self._call(
            _execute,
            "INSERT OR REPLACE INTO acceptances (session_id, participant, charter_version, at)"
            " VALUES (?, ?, ?, ?)",
            (
                acceptance.session_id,
                acceptance.participant,
                acceptance.charter_version,
                acceptance.at,
            ),
        )

    async def acceptance(self, session_id: str, participant: str) -> Acceptance | None:
        rows = await self._call(
            _fetchall,
            "SELECT session_id, participant, charter_version, at FROM acceptances"
            " WHERE session_id = ? AND participant = ?",
            (session_id, participant),
        )
        return Acceptance(*rows[0]) if rows else None

    # --- private texts --------------------------------------------------------------------

    async def keep_private(self, text: PrivateText) -> None:
        await self._call(
            _execute,
            "INSERT OR REPLACE INTO private (scope, owner, key, data, at) VALUES (?, ?, ?, ?, ?)",
            (text.scope, text.owner, text.key, text.data, text.at),
        )

    async def private(
        self, scope: str, owner: str | None = None, path: str = ""
    ) -> list[PrivateText]:
        rows = await self._call(
            _fetchall,
            "SELECT scope, owner, key, data, at FROM private WHERE scope = ?"
            " AND (? IS NULL OR owner = ?) ORDER BY at, owner, key",
            (scope, owner, owner),
        )
        return [PrivateText(*row) for row in rows if under(row[2], path)]

    async def forget_private(
        self, scope: str, owner: str | None = None, path: str = "", *, scrub: bool = True
    ) -> int:
        keys = [(text.owner, text.key) for text in await self.private(scope, owner, path)]
        return await self._call(_forget_private, scope, keys, self.path if scrub else None)

    # --- the outbox -----------------------------------------------------------------------

    async def enqueue(self, mail: Mail) -> bool:
        return await self._call(_enqueue, mail)

    async def lease(self, worker: str, now: float, until: float, limit: int) -> list[Mail]:
        return await self._call(_lease, worker, now, until, limit)

    async def settle(self, mail_id: str, status: MailStatus, at: float, error: str = "") -> None:
        if status is MailStatus.PENDING:
            raise ValueError(f"mail {mail_id}: expected a settled status, got {status}")
        await self._call(
            _execute,
            "UPDATE outbox SET status = ?, settled_at = ?, error = ?, message = x'',"
            " leased_by = NULL, lease_until = NULL, due = NULL"
            " WHERE id = ? AND status = 'pending'",
            (status.value, at, error, mail_id),
        )

    async def retry(self, mail_id: str, worker: str, at: float, error: str) -> bool:
        return await self._call(
            _changed,
            (
                "UPDATE outbox SET attempts = attempts + 1, next_try = ?, error = ?,"
                " leased_by = NULL, lease_until = NULL, due = max(not_before, ?)"
                " WHERE id = ? AND status = 'pending' AND leased_by = ?"
            ),
            (at, error, at, mail_id, worker),
        )

    async def drop(self, mail_id: str) -> bool:
        return await self._call(
            _changed, "DELETE FROM outbox WHERE id = ? AND status = 'pending'", (mail_id,)
        )

    async def mails(self, scope: str) -> list[Mail]:
        rows = await self._call(
            _fetchall,
            f"SELECT {_MAIL_COLUMNS} FROM outbox WHERE scope = ? ORDER BY created_at, rowid",
            (scope,),
        )
        return [_mail(row) for row in rows]

    # --- claims ---------------------------------------------------------------------------

    async def claim(self, name: str, holder: str, now: float, until: float) -> bool:
        return await self._call(
            _changed,
            "INSERT INTO claims (name, holder, until) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until"
            " WHERE claims.holder = excluded.holder OR claims.until <= ?",
            (name, holder, until, now),
        )


# --- what runs on the store's thread --------------------------------------------------------


class _transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if the block raises."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn  # the connection, in autocommit mode outside this block

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is None:
                self.conn.execute("COMMIT")
        finally:
            # After a raise in the block, or a COMMIT that failed: leave no transaction open.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")


def _fetchall(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    return conn.execute(sql, params).fetchall()


def _execute(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> None:
    with _transaction(conn):
        conn.execute(sql, params)


def _last_seq(conn: sqlite3.Connection, session_id: str) -> int:
    (seq,) = conn.execute(
        "SELECT coalesce(max(seq), 0) FROM events WHERE session_id = ?", (session_id,)
    ).fetchone()
    return int(seq)


class _Append:
    """One append waiting for its group's commit."""

    __slots__ = ("row", "done")

    def __init__(
        self,
        session_id: str,
        expected_seq: int,
        events: list[bytes],
        command: CommandKey | None,
        done: asyncio.Future[int],
    ) -> None:
        self.row = (session_id, expected_seq, events, command)  # what _append_group writes
        self.done = done  # the new last seq, or the refusal


_AppendRow = tuple[str, int, list[bytes], CommandKey | None]


def _append_group(conn: sqlite3.Connection, rows: list[_AppendRow]) -> list[int | Exception]:
    """Each append in its savepoint, all in one transaction: for each, its new last seq
    or why it was refused (then only its own rows are undone)."""
    outcomes: list[int | Exception] = []
    with _transaction(conn):
        for row in rows:
            conn.execute("SAVEPOINT one_append")
            try:
                outcomes.append(_append(conn, *row))
            except (SeqConflict, DuplicateCommand) as refusal:
                conn.execute("ROLLBACK TO one_append")
                outcomes.append(refusal)
            conn.execute("RELEASE one_append")
    return outcomes


def _append(
    conn: sqlite3.Connection,
    session_id: str,
    expected_seq: int,
    events: list[bytes],
    command: CommandKey | None,
) -> int:
    """Write one append inside the caller's transaction."""
    if command is not None:
        row = conn.execute(
            "SELECT seq FROM commands WHERE session_id = ? AND participant = ? AND key = ?",
            (session_id, command.participant, command.key),
        ).fetchone()
        if row is not None:
            raise DuplicateCommand(row[0])
    actual = _last_seq(conn, session_id)
    if actual != expected_seq:
        raise SeqConflict(session_id, expected_seq, actual)
    if expected_seq == 0:
        conn.execute("INSERT INTO sessions (session_id) VALUES (?)", (session_id,))
    conn.executemany(
        "INSERT INTO events (session_id, seq, data) VALUES (?, ?, ?)",
        [(session_id, seq, data) for seq, data in enumerate(events, expected_seq + 1)],
    )
    new_last = expected_seq + len(events)
    if command is not None:
        conn.execute(
            "INSERT INTO commands (session_id, participant, key, seq) VALUES (?, ?, ?, ?)",
            (session_id, command.participant, command.key, new_last),
        )
    return new_last


# What erase() deletes, children before the parent their foreign keys name: each table
# and its column that holds a log's id.
_ERASED = (
    ("events", "session_id"),
    ("commands", "session_id"),
    ("sessions", "session_id"),
    ("links", "scope"),
    ("acceptances", "session_id"),
    ("outbox", "scope"),
    ("private", "scope"),
)


def _erase(conn: sqlite3.Connection, log_ids: list[str], path: Path) -> None:
    """Delete the logs' rows, then scrub their bytes out of the file and its WAL."""
    params = [(log_id,) for log_id in log_ids]
    # One transaction: all of the logs' rows go, or none. secure_delete zeroes them in
    # the pages this writes.
    with _transaction(conn):
        for table, column in _ERASED:
            conn.executemany(f"DELETE FROM {table} WHERE {column} = ?", params)
    _scrub(conn, path, "the logs read as erased, but their bytes may remain: erase them again")


def _rewrite(
    conn: sqlite3.Connection, log_id: str, rows: list[tuple[int, bytes]], path: Path
) -> None:
    """Replace the events' data under their seqs, then scrub the old bytes out of the
    file and its WAL. Every seq is checked first, in the same transaction: one the log
    does not hold replaces nothing."""
    with _transaction(conn):
        last = _last_seq(conn, log_id)
        unknown = [seq for seq, _ in rows if not 1 <= seq <= last]
        if unknown:
            raise NoSuchEvent(log_id, unknown, last)
        conn.executemany(
            "UPDATE events SET data = ? WHERE session_id = ? AND seq = ?",
            [(data, log_id, seq) for seq, data in rows],
        )
    _scrub(
        conn,
        path,
        "the events read as rewritten, but their old bytes may remain: rewrite them again",
    )


def _forget_private(
    conn: sqlite3.Connection, scope: str, keys: list[tuple[str, str]], path: Path | None
) -> int:
    """Delete the private texts named; scrub the file and its WAL when ``path`` is given."""
    with _transaction(conn):
        conn.executemany(
            "DELETE FROM private WHERE scope = ? AND owner = ? AND key = ?",
            [(scope, owner, key) for owner, key in keys],
        )
    if path is not None:
        _scrub(conn, path, "the texts read as forgotten, but their bytes may remain: forget again")
    return len(keys)


def _scrub(conn: sqlite3.Connection, path: Path, unscrubbed: str) -> None:
    """Leave no byte of deleted or overwritten rows in the file or its WAL; raise
    StoreError, saying ``unscrubbed``, if that cannot be done now."""
    # Rebuild the database into fresh pages from the rows that remain: no free page, no
    # stale cell is left. secure_delete alone is not enough: a page rebuilt when rows
    # moved between pages can keep an old copy of a cell in its unallocated area, which
    # no delete zeroes (without this VACUUM, the large erasure in test_erasure.py finds
    # one). The temporary copy VACUUM builds holds only rows that remain.
    try:
        conn.execute("VACUUM")
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: expected VACUUM to succeed, but: {exc}; {unscrubbed}") from exc
    # In WAL mode every page written since the last checkpoint, the appends' that wrote
    # the erased rows included, sits in the -wal file as written, and the main file keeps
    # its old pages until a checkpoint overwrites them. TRUNCATE copies each page's newest
    # version into the main file (cut to its new size), then truncates the -wal to zero
    # bytes. PASSIVE, FULL and RESTART would leave the old frames in the -wal until new
    # ones overwrite them, and journal_size_limit only trims it at the next write, so
    # neither is needed beside TRUNCATE. It waits (busy_timeout) for readers of older
    # snapshots, and reports busy, the WAL left whole, if one still holds it.
    busy, wal_frames, copied = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise StoreError(
            f"{path}: expected the WAL checkpointed and emptied, but another connection "
            f"kept it busy ({copied} of {wal_frames} pages copied); {unscrubbed}"
        )


def _add_link(conn: sqlite3.Connection, link: Link) -> None:
    try:
        with _transaction(conn):
            conn.execute(
                f"INSERT INTO links ({_LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    link.secret_hash,
                    link.scope,
                    link.participant,
                    link.created_at,
                    link.revoked_at,
                    link.used_at,
                ),
            )
    except sqlite3.IntegrityError as exc:
        raise StoreError(
            f"link {link.secret_hash[:12]}… of {link.scope}: "
            "expected a new hash, but it is already recorded"
        ) from exc


def _revoke_link(conn: sqlite3.Connection, secret_hash: str, at: float) -> Link | None:
    return _stamp_link(conn, "revoked_at", secret_hash, at)


def _stamp_link(conn: sqlite3.Connection, column: str, secret_hash: str, at: float) -> Link | None:
    """Set a link's date ``column`` (revoked_at, used_at) unless it is set; the link."""
    with _transaction(conn):
        conn.execute(
            f"UPDATE links SET {column} = ? WHERE secret_hash = ? AND {column} IS NULL",
            (at, secret_hash),
        )
        row = conn.execute(
            f"SELECT {_LINK_COLUMNS} FROM links WHERE secret_hash = ?", (secret_hash,)
        ).fetchone()
    return Link(*row) if row is not None else None


def _changed(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> bool:
    """Run one write; whether it changed a row."""
    with _transaction(conn):
        return conn.execute(sql, params).rowcount > 0


def _mail(row: tuple[Any, ...]) -> Mail:
    fields = list(row)
    fields[9] = MailStatus(fields[9])
    return Mail(*fields)


def _enqueue(conn: sqlite3.Connection, mail: Mail) -> bool:
    with _transaction(conn):
        cursor = conn.execute(
            f"INSERT OR IGNORE INTO outbox ({_MAIL_COLUMNS}, due)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, '', NULL, ?)",
            (
                mail.id,
                mail.scope,
                mail.person,
                mail.kind,
                mail.recipient,
                mail.message_id,
                mail.message,
                mail.created_at,
                mail.not_before,
                mail.not_before,
            ),
        )
        return cursor.rowcount > 0


def _lease(
    conn: sqlite3.Connection, worker: str, now: float, until: float, limit: int
) -> list[Mail]:
    """One transaction (BEGIN IMMEDIATE: one writer at a time, other processes too):
    what is due, leased."""
    with _transaction(conn):
        rows = conn.execute(
            f"SELECT {_MAIL_COLUMNS} FROM outbox WHERE due IS NOT NULL AND due <= ?"
            " ORDER BY due, rowid LIMIT ?",
            (now, limit),
        ).fetchall()
        conn.executemany(
            "UPDATE outbox SET leased_by = ?, lease_until = ?, due = max(?, next_try) WHERE id = ?",
            [(worker, until, until, row[0]) for row in rows],
        )
    return [_mail(row) for row in rows]
