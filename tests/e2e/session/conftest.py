"""What every end-to-end test of the room checks: no page of it logged or threw a
script error (tests/e2e/session/people.py records them), expected network refusals
while a server is down aside."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.session.people import SCRIPT_ERRORS


@pytest.fixture(autouse=True)
def no_script_errors() -> Iterator[None]:
    SCRIPT_ERRORS.clear()
    yield
    assert SCRIPT_ERRORS == []
