from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.people import OPEN_SOCKETS


@pytest.fixture(autouse=True)
async def close_raw_sockets() -> AsyncIterator[None]:
    yield
    while OPEN_SOCKETS:
        await OPEN_SOCKETS.pop().close()
