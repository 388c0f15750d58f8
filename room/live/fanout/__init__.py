"""How workers serving the same logs hear of each other's appends: one interface
(``base.py``), a backend chosen by the settings.

- ``local`` — one process: nothing to tell anyone.
- ``redis`` — workers sharing Redis: a seq per log on its sharded channel.
"""

from __future__ import annotations

from room.live.fanout.base import Fanout
from room.live.fanout.local import LocalFanout

__all__ = ["Fanout", "LocalFanout", "open_fanout"]


def open_fanout(redis_url: str | None, worker: str) -> Fanout:
    """Workers sharing Redis hear each other; one process on SQLite needs no one.

    Redis is imported here, lazily, so the embedded default never imports it.
    """
    if redis_url is None:
        return LocalFanout()
    from room.live.fanout.redis import RedisFanout

    return RedisFanout(redis_url, worker)
