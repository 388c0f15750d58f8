"""Fixtures for the store tests: every contract test runs once per backend.

To add a backend, add its name to ``BACKENDS`` and a branch to ``new_store``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from room.store import Store
from room.store.redis import RedisStore
from room.store.sqlite import SQLiteStore
from tests.redisserver import RedisServer

# "redis-cluster" is the same RedisStore on a one-node Redis Cluster, which refuses any
# command, script or transaction whose keys are in different slots.
BACKENDS = ["sqlite", "redis", "redis-cluster"]

OpenStore = Callable[[], Awaitable[Store]]
NewStore = Callable[[], Store]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def new_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> NewStore:
    """Makes a store over the test's backing data: the same data every time it is called.

    A Redis backend uses the run's private server, emptied for each test.
    """
    if backend == "sqlite":
        return lambda: SQLiteStore(tmp_path / "data" / "room.db")
    if backend in ("redis", "redis-cluster"):
        fixture = "redis_server" if backend == "redis" else "redis_cluster"
        server: RedisServer = request.getfixturevalue(fixture)
        server.flush()
        return lambda: RedisStore(server.url)
    raise AssertionError(f"expected a backend in {BACKENDS}, got {backend!r}")


@pytest.fixture
async def open_store(new_store: NewStore) -> AsyncIterator[OpenStore]:
    """Opens a new store over the test's backing data, as a restarted server would.

    Every store it opened is closed at teardown, even if the test closed it already.
    """
    opened: list[Store] = []

    async def open_() -> Store:
        store = new_store()
        await store.open()
        opened.append(store)
        return store

    yield open_
    for store in reversed(opened):
        await store.close()


@pytest.fixture
async def store(open_store: OpenStore) -> Store:
    """An open, empty store."""
    return await open_store()
