"""Old logs still load: plain data of an older schema is brought up to date here.

Each step takes version N's plain event to version N+1's. There is one version so
far; the first change of an event's shape adds its step here, never an edit of
the stored logs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from room.domain.session.events import Event
from room.domain.session.state import SCHEMA_VERSION

_STEPS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def event_from_plain(data: dict[str, Any], version: int = SCHEMA_VERSION) -> Event:
    if version > SCHEMA_VERSION:
        raise ValueError(f"event schema {version} is newer than this code's {SCHEMA_VERSION}")
    while version < SCHEMA_VERSION:
        data = _STEPS[version](data)
        version += 1
    return Event.from_plain(data)
