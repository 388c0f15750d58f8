"""A python-socketio peer: an ASGI ``AsyncServer`` with the msgpack serializer, on uvicorn.

Each client joins one room on connect; each ``post`` event it sends is emitted to the
room (the sender too). WebSocket transport only (no long-polling upgrade), no storage,
no validation of the payload. Run by uvicorn in this process, with the options
`room serve` gives it (no per-message compression, uvicorn's default loop).

    python -m bench.peers.sio --port 8766
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import socketio
import uvicorn

ROOM = "bench"

sio = socketio.AsyncServer(
    async_mode="asgi",
    serializer="msgpack",
    transports=["websocket"],
    cors_allowed_origins="*",
)
app = socketio.ASGIApp(sio)


@sio.event
async def connect(sid: str, environ: dict[str, Any]) -> None:
    await sio.enter_room(sid, ROOM)


@sio.on("post")
async def post(sid: str, data: Any) -> None:
    await sio.emit("post", data, room=ROOM)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.sio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    print(f"sio: listening on {args.host}:{args.port}", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ws_max_size=64 * 1024,
        ws_per_message_deflate=False,
        log_level="warning",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
