"""A copy of the embedded store, and the store put back from one (``room backup PATH``,
``room restore PATH``).

The copy is SQLite's online backup: a consistent snapshot, page by page, taken beside
the server while it serves (in WAL mode a reader never blocks the writer), checked
whole before it gets its name, so that a half-written copy never looks like one.

What erasure means for copies: erasing a session or a group rewrites the live file
and its WAL, never a copy taken before. A copy holds what the store held when it was
taken, erased things included, for as long as it is kept; restoring it brings them
back. Keep copies no longer than the retention the group states.

A restore replaces the database while no server has it open: SQLite refuses the
exclusive lock it takes while any other connection holds the file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from room.store.sqlite import SCHEMA_VERSION


class BackupError(Exception):
    """A copy or a restore that cannot be made; its message says why, for a person."""


def backup(database: Path, target: Path) -> None:
    """Copy ``database`` to ``target``, a new file, while the server may be serving."""
    if not database.is_file():
        raise BackupError(f"{database}: no such database")
    if target.exists():
        raise BackupError(f"{target} already exists: a copy never replaces a file")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no WAL
        finally:
            copy.close()
    finally:
        source.close()
    try:
        check(partial)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)


def restore(copy: Path, database: Path) -> None:
    """Replace ``database`` by ``copy``, which must be a sound copy of a Codev Room
    store; refused while a server has ``database`` open."""
    check(copy)
    database.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(database, isolation_level=None, timeout=0.2)
    try:
        # Kept until this connection closes: no server can open the file meanwhile.
        target.execute("PRAGMA locking_mode = EXCLUSIVE")
        try:
            target.execute("BEGIN EXCLUSIVE")
            target.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            raise BackupError(
                f"{database} is in use (stop the server before restoring): {error}"
            ) from None
        source = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            source.close()
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        target.close()


def check(path: Path) -> None:
    """``path`` is a whole SQLite file holding a Codev Room store this code can open."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (integrity,) = conn.execute("PRAGMA integrity_check").fetchone()
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a Codev Room database: {error}") from None
    if integrity != "ok":
        raise BackupError(f"{path} is damaged: {integrity}")
    if not 1 <= version <= SCHEMA_VERSION or "events" not in tables:
        raise BackupError(
            f"{path} is not a Codev Room database this version reads "
            f"(schema {version}, expected 1 to {SCHEMA_VERSION})"
        )
