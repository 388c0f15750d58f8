"""A python-socketio peer: an ASGI ``AsyncServer`` with the msgpack serializer, on uvicorn.

A client joins the room named in the query string of its connection
(``/socket.io/?EIO=4&transport=websocket&room=s3``; "bench" when none is named); each
``post`` event it sends is emitted to that room (the sender too). WebSocket transport
only (no long-polling upgrade), no storage, no validation of the payload. Run by uvicorn
in this process, with the options `room serve` gives it (no per-message compression).

With ``--redis URL``, it is one worker of several: an ``AsyncRedisManager`` on that Redis
carries every emit to every worker (each then writes to its own clients of the room), as
python-socketio documents for running more than one server process.

    python -m bench.peers.sio --port 8766
    python -m bench.peers.sio --port 8767 --redis redis://127.0.0.1:6390/0
"""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import parse_qs

import socketio
import uvicorn

DEFAULT_ROOM = "bench"


def create_app(redis_url: str | None) -> socketio.ASGIApp:
    manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
    sio = socketio.AsyncServer(
        async_mode="asgi",
        serializer="msgpack",
        transports=["websocket"],
        cors_allowed_origins="*",
        client_manager=manager,
    )
    rooms: dict[str, str] = {}  # sid -> its room: one look-up per post, no session store

    @sio.event
    async def connect(sid: str, environ: dict[str, Any]) -> None:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        rooms[sid] = query.get("room", [DEFAULT_ROOM])[0]
        await sio.enter_room(sid, rooms[sid])

    @sio.event
    async def disconnect(sid: str, *_: Any) -> None:
        rooms.pop(sid, None)

    @sio.on("post")
    async def post(sid: str, data: Any) -> None:
        await sio.emit("post", data, room=rooms.get(sid, DEFAULT_ROOM))

    return socketio.ASGIApp(sio)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.sio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", default=None, help="share rooms with other processes")
    args = parser.parse_args(argv)
    print(f"sio: listening on {args.host}:{args.port}", flush=True)
    uvicorn.run(
        create_app(args.redis),
        host=args.host,
        port=args.port,
        ws_max_size=64 * 1024,
        ws_per_message_deflate=False,
        log_level="warning",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
