"""Send-path bench: what each layer between the room and the socket costs per send.

One process runs uvicorn (uvloop, its default WebSocket protocol, the settings of
`room serve`) with a Starlette app built as ours is (the same middleware and an
exception handler), and ``--connections`` clients of its own connected over real
loopback sockets, each reading and dropping what comes. Then, round after round, one
frame of ``--size`` bytes goes to every connection by each path in turn, and the time
of that send loop alone (the thread's CPU time: the clients' reading is outside it) is
divided by the sends. The paths, from ours down to the floor:

- ``batching``: ``Connection.send_all`` of a round's frames for a client that said
  ``hello{batch}``, as the room hands over an event and its `can` frame: with
  ``--frames`` above 1, what joining them into one message saves;
- ``connection``: ``room.live.connection.Connection.send``, as the room calls it (the
  socket's send driven in the caller's turn, through Starlette and uvicorn);
- ``starlette``: the same drive of Starlette's ``WebSocket.send_bytes`` alone;
- ``asgi``: uvicorn's ASGI ``send`` called directly with one message dict for all,
  skipping Starlette's state checks and its exception middleware's wrapper;
- ``sansio``: what uvicorn's send does underneath, and what ``websockets.broadcast``
  (the bare relay) does: the websockets protocol frames the bytes, then one
  ``transport.write``;
- ``write``: one ``transport.write`` of a frame serialized once for every recipient,
  the floor (unmasked server frames are the same bytes for all).

The last three reach into uvicorn's protocol object, which ASGI does not expose (the
bench takes it from the ``send`` uvicorn hands the app): they say what a leaner path
could save, not a path the server could take as it is. Compare within one run.

    python -m bench.sendpath
    python -m bench.sendpath --connections 200 --rounds 300 --frames 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import msgpack

from bench.smoke import HOST, free_port

RESULTS = Path(__file__).parent / "results"
PATHS = ("batching", "connection", "starlette", "asgi", "sansio", "write")


class Served:
    """One accepted socket as the bench holds it: Starlette's WebSocket, uvicorn's ASGI
    send and its protocol object."""

    def __init__(self, websocket: Any, asgi_send: Any) -> None:
        from room.live.connection import Connection

        self.websocket = websocket
        self.asgi_send = asgi_send
        self.protocol = asgi_send.__self__  # uvicorn's WebSocketsSansIOProtocol
        self.connection = Connection(websocket, "p", "en")
        self.batching = Connection(websocket, "p", "en", batch=True)


def read_all(port: int, count: int, pipe: Connection) -> None:
    """The readers' process: ``count`` clients reading and dropping what comes; asked
    for a total of bytes, it answers once they hold that many."""
    from websockets.asyncio.client import connect

    async def run() -> None:
        received = [0]
        reached = asyncio.Event()
        target = [0]

        async def client() -> Any:
            ws = await connect(f"ws://{HOST}:{port}/ws", compression=None, proxy=None)

            async def read() -> None:
                async for message in ws:
                    received[0] += len(message)  # bytes: a batch is one message
                    if received[0] >= target[0]:
                        reached.set()

            return ws, asyncio.create_task(read())

        clients = [await client() for _ in range(count)]
        while (wanted := await asyncio.to_thread(pipe.recv)) is not None:
            target[0] = wanted
            reached.clear()
            if received[0] < wanted:
                await reached.wait()
            pipe.send(received[0])
        for ws, reader in clients:
            await ws.close()
            reader.cancel()

    run_on_uvloop(run())


def run_on_uvloop(coroutine: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def build_app(accepted: list[Served], ready: asyncio.Event, wanted: int) -> Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket

    from room.web.security import SecurityHeaders

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        accepted.append(Served(websocket, websocket.scope["bench.send"]))
        if len(accepted) == wanted:
            ready.set()
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    app = Starlette(
        routes=[WebSocketRoute("/ws", endpoint)],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={KeyError: lambda request, error: None},  # as ours: one handler
    )

    async def outermost(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            scope["bench.send"] = send  # uvicorn's own, before any layer wraps it
        await app(scope, receive, send)

    return outermost


def senders(frame: bytes) -> dict[str, Callable[[Served], None]]:
    """One send of ``frame`` to one connection, by each path."""
    message = {"type": "websocket.send", "bytes": frame}

    def drive(coroutine: Any) -> None:
        try:
            coroutine.send(None)
        except StopIteration:
            return
        raise RuntimeError("a send had to wait: the clients do not keep up")

    def connection(served: Served) -> None:
        served.connection.send(frame)

    def starlette(served: Served) -> None:
        drive(served.websocket.send_bytes(frame))

    def asgi(served: Served) -> None:
        drive(served.asgi_send(message))

    def sansio(served: Served) -> None:
        protocol = served.protocol
        protocol.conn.send_binary(frame)
        protocol.transport.write(b"".join(protocol.conn.data_to_send()))

    return {
        "batching": lambda served: None,  # the whole round's frames at once: see measure
        "connection": connection,
        "starlette": starlette,
        "asgi": asgi,
        "sansio": sansio,
        "write": lambda served: None,  # replaced below: needs the prebuilt frame
    }


def prebuilt(frame: bytes) -> bytes:
    from websockets.frames import Frame, Opcode

    return Frame(Opcode.BINARY, frame).serialize(mask=False)


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    import uvicorn

    accepted: list[Served] = []
    ready = asyncio.Event()
    port = free_port()
    config = uvicorn.Config(
        build_app(accepted, ready, args.connections),
        host=HOST,
        port=port,
        ws_max_size=64 * 1024,
        ws_ping_interval=10.0,
        ws_ping_timeout=10.0,
        ws_per_message_deflate=False,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn sets a flag, not an event
        await asyncio.sleep(0.01)

    context = multiprocessing.get_context("spawn")
    pipe, child = context.Pipe()
    readers = context.Process(target=read_all, args=(port, args.connections, child), daemon=True)
    readers.start()
    await ready.wait()

    frame = msgpack.packb({"t": "ev", "seq": 1, "e": {"text": "x" * max(0, args.size - 24)}})
    paths = senders(frame)
    wire = prebuilt(frame)
    paths["write"] = lambda served: served.protocol.transport.write(wire)
    times: dict[str, list[float]] = {name: [] for name in PATHS}
    sends = args.connections * args.frames
    burst = [frame] * args.frames
    expected = 0
    for number in range(args.rounds + args.warmup):
        order = PATHS[number % len(PATHS) :] + PATHS[: number % len(PATHS)]
        for name in order:
            send = paths[name]
            started = time.thread_time()
            if name == "batching":
                for served in accepted:
                    served.batching.send_all(burst)
            else:
                for served in accepted:
                    for _ in range(args.frames):
                        send(served)
            elapsed = time.thread_time() - started
            expected += sends * len(frame)
            pipe.send(expected)  # the readers answer once they hold that many bytes
            if not await asyncio.to_thread(pipe.poll, 30):
                raise RuntimeError("the readers did not get every frame within 30 s")
            pipe.recv()
            if number >= args.warmup:
                times[name].append(elapsed * 1e6 / sends)

    pipe.send(None)
    readers.join(30)
    server.should_exit = True
    await serving
    medians = {name: round(statistics.median(values), 3) for name, values in times.items()}
    return {"us_per_send": medians}


def report(medians: dict[str, float]) -> str:
    floor = medians["write"]
    lines = [f"{'path':<12} {'µs/send':>9} {'× write':>8} {'above the next':>15}"]
    for index, name in enumerate(PATHS):
        below = medians[PATHS[index + 1]] if index + 1 < len(PATHS) else 0.0
        lines.append(
            f"{name:<12} {medians[name]:>9.3f} {medians[name] / floor:>7.2f}× "
            f"{medians[name] - below:>14.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sendpath", description=__doc__)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=200, help="measured rounds per path")
    parser.add_argument("--warmup", type=int, default=20, help="rounds not counted")
    parser.add_argument("--frames", type=int, default=1, help="frames per connection a round")
    parser.add_argument("--size", type=int, default=300, help="bytes of each frame, about")
    args = parser.parse_args(argv)
    result = run_on_uvloop(measure(args))
    print(
        f"{args.connections} connections, {args.frames} frame(s) of ~{args.size} B each a "
        f"round, {args.rounds} rounds; median µs of the sender's CPU per send"
    )
    print(report(result["us_per_send"]))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = {
        "bench": "sendpath",
        "at": stamp,
        "command": "python -m bench.sendpath " + " ".join(sys.argv[1:] if argv is None else argv),
        "params": vars(args),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": len(os.sched_getaffinity(0)),
        **result,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"sendpath-{stamp}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
