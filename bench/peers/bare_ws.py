"""The Python ceiling: a bare ``websockets`` relay, no storage, no validation, no framework.

A client names its room in its URL's query string (``ws://HOST:PORT/?room=s3``; "bench"
when none is named); every binary message it sends goes, as is, to every client of that
room (the sender too), with ``websockets.broadcast``: one write per connection, no queue,
no await, no decoding. A text frame is dropped. Nothing is stored, so nothing can be
replayed. One process only: it has no way to share rooms with another.

    python -m bench.peers.bare_ws --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from urllib.parse import parse_qs, urlsplit

from websockets import broadcast
from websockets.asyncio.server import ServerConnection, serve

DEFAULT_ROOM = "bench"
rooms: dict[str, set[ServerConnection]] = {}  # room -> its open connections


def room_of(ws: ServerConnection) -> str:
    path = ws.request.path if ws.request is not None else "/"
    return parse_qs(urlsplit(path).query).get("room", [DEFAULT_ROOM])[0]


async def relay(ws: ServerConnection) -> None:
    name = room_of(ws)
    room = rooms.setdefault(name, set())
    room.add(ws)
    try:
        async for message in ws:
            if isinstance(message, bytes):
                broadcast(room, message)
    finally:
        room.discard(ws)
        if not room:
            rooms.pop(name, None)


async def main_async(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    # Like `room serve`: no per-message compression, frames up to 64 KiB.
    async with serve(relay, host, port, compression=None, max_size=64 * 1024):
        print(f"bare_ws: listening on {host}:{port}", flush=True)
        await stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.bare_ws")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        import uvloop  # the event loop uvicorn picks for `room serve`: like with like
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(main_async(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
