"""Fixtures the unit tests of the live and mail parts share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from room.store import Store
from room.store.redis import RedisStore
from room.store.sqlite import SQLiteStore
from tests.redisserver import RedisServer


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty store of each backend (Redis: the run's private server, emptied)."""
    if request.param == "sqlite":
        opened: Store = SQLiteStore(tmp_path / "room.db")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        server.flush()
        opened = RedisStore(server.url)
    await opened.open()
    yield opened
    await opened.close()
