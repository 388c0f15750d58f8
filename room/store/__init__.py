"""Where a session's events and its participants' links live: one interface
(``base.py``), two backends chosen by URL.

- ``sqlite`` — the embedded default: one process, a durable file.
- ``redis`` — scale-out: every worker on one Redis.
"""

from __future__ import annotations

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
    Unavailable,
)

__all__ = [
    "Acceptance",
    "CommandKey",
    "DuplicateCommand",
    "Link",
    "Mail",
    "MailStatus",
    "NoSuchEvent",
    "PrivateText",
    "SeqConflict",
    "Store",
    "StoreError",
    "StoredEvent",
    "Unavailable",
    "open_store",
]


def open_store(url: str) -> Store:
    """The backend for a URL: ``sqlite:///path/to/file.db`` or ``redis://…``.

    Backends are imported here, lazily, so the embedded default never imports redis.
    """
    if url.startswith("sqlite:///"):
        from room.store.sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"))
    if url.startswith(("redis://", "rediss://", "unix://")):
        from room.store.redis import RedisStore

        return RedisStore(url)
    raise ValueError(f"no store for {url!r}: expected sqlite:///PATH or redis://HOST[:PORT][/DB]")
