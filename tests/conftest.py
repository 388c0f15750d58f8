"""Shared fixtures: real servers, and the rule that CI never skips for a missing part."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.running import ServerProcess

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
