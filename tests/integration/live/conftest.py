"""Workers on a Redis of the test's own, which the test may stop, kill and restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integration.workers import Workers
from tests.redisserver import REDIS_SERVER, RedisServer


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, so that it may be stopped and restarted."""
    require(REDIS_SERVER is not None, "redis-server (apt-get install redis-server)")
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def workers(tmp_path: Path, private_redis: RedisServer) -> Iterator[Workers]:
    """Start workers with ``workers.start(name)``; all are stopped after the test."""
    pool = Workers(tmp_path / "workers", private_redis.url)
    try:
        yield pool
    finally:
        pool.stop()
