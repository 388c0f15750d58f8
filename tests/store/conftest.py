"""Fixtures for the store tests: every contract test runs once per backend.

To add a backend, add its name to ``BACKENDS`` and a branch to ``_new_store``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from room.store import Store
from room.store.sqlite import SQLiteStore

BACKENDS = ["sqlite"]

OpenStore = Callable[[], Awaitable[Store]]


def _new_store(backend: str, tmp_path: Path) -> Store:
    """A store over the test's backing data: the same data every time it is called."""
    if backend == "sqlite":
        return SQLiteStore(tmp_path / "data" / "room.db")
    raise AssertionError(f"expected a backend in {BACKENDS}, got {backend!r}")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def open_store(backend: str, tmp_path: Path) -> AsyncIterator[OpenStore]:
    """Opens a new store over the test's backing data, as a restarted server would.

    Every store it opened is closed at teardown, even if the test closed it already.
    """
    opened: list[Store] = []

    async def open_() -> Store:
        store = _new_store(backend, tmp_path)
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
