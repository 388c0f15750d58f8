"""Shared fixtures: real servers, and the rule that CI never skips for a missing part."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redisserver import REDIS_SERVER, RedisServer
from tests.running import ServerProcess
from tests.smtpserver import SmtpServer

IN_CI = bool(os.environ.get("CI"))


def require(available: bool, what: str) -> None:
    """Skip when a dependency is missing on a developer's machine; fail in CI."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is missing, and CI must run every test")
    pytest.skip(f"{what} is missing (outside CI only; with CI set this fails)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real ``room serve`` on a free port, with its own database."""
    process = ServerProcess(tmp_path)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server for the whole run (flush it for an empty one); removed at
    the end with its data."""
    require(REDIS_SERVER is not None, "redis-server (apt-get install redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private one-node Redis Cluster for the whole run: it serves every slot, and
    refuses a script or a transaction whose keys are in different slots."""
    require(REDIS_SERVER is not None, "redis-server (apt-get install redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis-cluster"), cluster=True)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free port, for one test: nothing is skipped
    for want of one."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
