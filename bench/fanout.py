"""Fan-out bench: ours against python-socketio and a bare websockets relay, like with like.

The demonstration session of the issue, scaled to a small machine: 1 facilitator,
15 members and N observers (200 by default; ``--observers 1000`` for the full one) in one
room; the members post contributions of about 200 bytes at a steady total rate (20/s),
round-robin. Each server runs as its own process, one after the other, on a free port:

- ``ours``: ``python -m room serve --db <fresh tmp file>`` (the embedded SQLite store);
  clients are ``room.client.RoomClient``s; the members post ``Post(kind=question)`` in
  the questions phase. ``ours@granian`` and ``ours@hypercorn`` are the same app under
  another ASGI server, by that server's own command, compared as ``ours@NAME/ours``.
- ``sio``: ``python -m bench.peers.sio`` (python-socketio ASGI on uvicorn, msgpack);
  clients speak Engine.IO 4 / Socket.IO over a raw WebSocket, WebSocket transport only.
- ``bare``: ``python -m bench.peers.bare_ws`` (a ``websockets`` relay, the Python ceiling).

The clients live in other processes (multiprocessing, spawn): one poster process holds the
facilitator and the members, ``--procs`` listener processes share the observers. Each
contribution carries a unique number; the poster notes its send time, every process notes
its arrival at each of its clients (CLOCK_MONOTONIC, which all processes share), and its
latency is the arrival at the LAST recipient minus the send. Per server and run: delivered
events/s (bench contributions only), p50/p99/p99.9 of that latency, the server's CPU
seconds during the posting window (utime+stime from /proc, summed over its processes and
their children) and CPU µs per delivery, its peak RSS (VmHWM, summed likewise). Each
figure is the median over ``--runs``; each ratio ours/peer is taken within one run (the
servers' order rotates from run to run), then its median.

``--backend redis``: the Redis pairing. The bench starts a private ``redis-server`` (free
port, own directory, append-only file on, as our store requires; ``--appendfsync``, by
default ``always`` as docs/deploy.md recommends) and flushes it before each server. Each
server runs as 2 worker processes on 2 ports sharing it: ours with ``REDIS_URL`` and one
``SECRET_KEY``, sio with ``--redis`` (``socketio.AsyncRedisManager``). The clients
alternate between the workers and so do the members' posts: each post reaches half of its
recipients through the other worker, by way of Redis.
Server CPU and RSS are the sums over both workers (each worker's CPU and Redis's own are in
the JSON). ``bare`` has no Redis pairing and stays out.

``--sweep``: the maximum throughput. For each server, fresh measurements (server, session
and clients) at rising rates, ``--rate`` (20/s) times ``--factor`` (1.5) each step (or
``--rates``), ``--duration`` 5 s each, until a step's p99 exceeds ``--max-p99`` (50 ms), a
post fails to reach every client within ``--drain`` (3 s), or ``--max-rate`` (if the
first rate fails, down by the factor, up to 3 steps); then ``--refine`` (1) step between
the last pass and the first fail. Reported: the highest
delivered events/s of a step within the limit, median over runs, ratios within a run, and
the issue's targets (ours/sio >= 5, ours/bare >= 0.8). Every step goes into the JSON.

    python -m bench.fanout                                  # 200 observers, 20/s, 10 s, 3 runs
    python -m bench.fanout --observers 1000 --runs 5
    python -m bench.fanout --servers ours,ours@granian      # another ASGI server for ours
    python -m bench.fanout --backend redis                  # ours and sio, 2 workers each
    python -m bench.fanout --sweep                          # each server's maximum
    python -m bench.fanout --sweep --backend redis
    python -m bench.fanout --servers ours --against /tmp/before --runs 1
    python -m bench.fanout --servers ours --profile /tmp/spy     # py-spy flame graphs

``--against TREE`` runs another tree's server (``git archive`` of an older commit into
TREE, say) as ``against``, beside ours, with this tree's load and clients: the change
between the two, measured in one run (ours/against). ``--profile DIR`` records each of
our servers with py-spy (``py-spy record``; it needs ptrace) for the posting window, as
collapsed stacks: compare CPU figures of a run without it.

Everything shares one machine: the load processes compete with the server for the CPU.
The bench's loop lag is reported (p99 over its processes, and per process in the JSON):
when it is high, the latencies measure the bench, and a sweep step flags it (lag p99 >
20 ms: BENCH-BOUND). Our RoomClients do more than the peers' clients (each folds every
event into its state), so a sweep gives ours bare clients by default (``--ours-clients
raw``: the same API calls, hello and commands, frames decoded and nothing folded); the
side-by-side keeps RoomClients unless told otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import msgpack
from websockets.exceptions import ConnectionClosed

from bench.smoke import HOST, free_port, loop_lag, percentile, question

RESULTS = Path(__file__).parent / "results"
SERVERS = ("ours", "sio", "bare")
NO_REDIS_PAIRING = ("bare",)  # a bare relay has no scale-out to pair with ours on Redis
START_SECONDS = 30.0  # a server must listen within this
SETUP_SECONDS = 180.0  # invitations and connections, every load process
DRAIN_SECONDS = 15.0  # after the last post, for the last deliveries
SWEEP_DRAIN_SECONDS = 3.0  # a sweep's step: later arrivals would fail the p99 limit anyway
STOP_SECONDS = 10.0  # between SIGTERM and SIGKILL
CONCURRENT_SETUP = 16  # invitations or connections in flight at once, per process
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REDIS_WORKERS = 2  # the Redis pairing: each server runs as this many processes
SHARED_SECRET_KEY = secrets.token_hex(32)  # ours's workers must hash links alike


# --- the servers -----------------------------------------------------------------------------


AGAINST = "against"  # ours from another tree (``--against``), the code before, say
TREES: dict[str, Path] = {}  # a server's tree, when not this one's (set by --against)


def family(name: str) -> str:
    """Ours, for "ours@granian" (ours on another ASGI server) and for "against" (ours
    from another tree): same clients, same setup."""
    return "ours" if name == AGAINST else name.partition("@")[0]


def variant(name: str) -> str | None:
    """The ASGI server of an "ours@NAME" entry (one of OTHER_SERVERS)."""
    return name.partition("@")[2] or None


def valid_variant(name: str) -> bool:
    return family(name) == "ours" and variant(name) in OTHER_SERVERS


def known(name: str) -> bool:
    """A server the bench can run: a peer, ours on another ASGI server, another tree's."""
    return name in SERVERS or valid_variant(name) or name in TREES


# Our app under another ASGI server (``ours@granian``, ``ours@hypercorn``), with what it
# has of `room serve`'s settings (docs/performance.md says what each lacks); `room serve`
# itself stays on uvicorn, the more robust (ibid.). They come with the bench extra.
OTHER_SERVERS = {
    "granian": [
        *("-m", "granian", "--interface", "asgi", "--factory", "--loop", "uvloop"),
        *("--backpressure", "65536", "--host", "{host}", "--port", "{port}"),
        "room.app:create_app",
    ],
    "hypercorn": [
        *("-m", "hypercorn", "--worker-class", "uvloop", "--bind", "{host}:{port}"),
        *("--websocket-ping-interval", "10", "room.app:create_app()"),
    ],
}


def command_for(
    name: str, port: int, directory: Path, *, redis_url: str | None = None
) -> list[str]:
    if family(name) == "ours":
        db = str(directory / "bench.db")  # unused on Redis: REDIS_URL names the store
        server = variant(name)
        if server:
            # The same app, under another server's own command; ROOM_DB names its file.
            address = {"host": HOST, "port": str(port)}
            return [sys.executable, *(part.format(**address) for part in OTHER_SERVERS[server])]
        command = [sys.executable, "-m", "room", "serve", "--host", HOST, "--port", str(port)]
        command += ["--db", db]
        return command
    module = {"sio": "bench.peers.sio", "bare": "bench.peers.bare_ws"}[name]
    command = [sys.executable, "-m", module, "--host", HOST, "--port", str(port)]
    if redis_url is not None:
        command += ["--redis", redis_url]
    return command


def environment_for(
    name: str, redis_url: str | None, directory: Path | None = None
) -> dict[str, str] | None:
    """Ours reads its store from the environment (docs/deploy.md): REDIS_URL, and the
    one SECRET_KEY every worker must share; under another server, ROOM_DB too (which
    `room serve --db` sets). The peers take their options as arguments."""
    if family(name) != "ours" or (redis_url is None and not variant(name) and name not in TREES):
        return None
    environment = dict(os.environ)
    if name in TREES:  # its own code, with this tree's load and clients
        environment["PYTHONPATH"] = str(TREES[name])
    if directory is not None:
        environment["ROOM_DB"] = str(directory / "bench.db")
    if redis_url is not None:
        environment |= {"REDIS_URL": redis_url, "SECRET_KEY": SHARED_SECRET_KEY}
    return environment


@contextlib.contextmanager
def running(
    name: str, port: int, directory: Path, *, redis_url: str | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run one server as its own process until the block ends; its output in a log file.

    With ``redis_url``, it is one worker of a deployment sharing that Redis."""
    log_path = directory / f"{name}.log"
    with log_path.open("wb") as output:
        process = subprocess.Popen(
            command_for(name, port, directory, redis_url=redis_url),
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment_for(name, redis_url, directory),
            cwd=TREES.get(name),
        )
        try:
            wait_listening(process, port, log_path)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_listening(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.1)
    tail = log_path.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"server on port {port} did not listen (exit {process.poll()}):\n{tail}")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat (fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


def process_tree(pid: int) -> list[int]:
    """A process and its descendants: another ASGI server may serve from child processes
    (this kernel has no /proc/<pid>/task/<tid>/children, so every parent is read)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo.extend(children.get(tree[-1], []))
    return tree


def total_cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids if Path(f"/proc/{pid}").exists())


def total_peak_rss_mib(pids: list[int]) -> float:
    return sum(peak_rss_mib(pid) for pid in pids if Path(f"/proc/{pid}").exists())


# --- the backends: one process, or workers sharing a private Redis ---------------------------


@contextlib.contextmanager
def redis_running(directory: Path, appendfsync: str) -> Iterator[Any]:
    """A private redis-server for the whole bench, flushed before each server starts.

    tests/redisserver.py's: its own free port and directory, never the Redis on 6379, and
    the append-only file on, which our store requires (it refuses ``appendonly no``);
    ``appendfsync`` as docs/deploy.md recommends (always) unless told otherwise."""
    from tests.redisserver import RedisServer

    server = RedisServer(directory / "redis")
    server.start()
    try:
        with server.client() as client:
            client.config_set("appendfsync", appendfsync)
        yield server
    finally:
        server.close()


@dataclass
class Deployment:
    """One server as a measurement runs it: its processes and the ports they listen on."""

    ports: list[int]
    processes: list[subprocess.Popen[bytes]]
    redis: Any = None  # tests.redisserver.RedisServer, when the workers share one

    def pids_by_worker(self) -> list[list[int]]:
        """Every process serving, by worker: the sum is the server's cost, whatever its
        layout (an ASGI server may fork its own workers)."""
        return [process_tree(process.pid) for process in self.processes]


@contextlib.contextmanager
def deployed(name: str, directory: Path, redis: Any = None) -> Iterator[Deployment]:
    """The server alone on the embedded default, or REDIS_WORKERS workers on ``redis``."""
    if redis is None:
        port = free_port()
        with running(name, port, directory) as process:
            yield Deployment([port], [process])
        return
    redis.flush()  # each server starts on an empty Redis, as on its own
    with contextlib.ExitStack() as workers:
        ports, processes = [], []
        for index in range(REDIS_WORKERS):
            place = directory / f"worker-{index}"
            place.mkdir()
            ports.append(free_port())
            worker_process = running(name, ports[-1], place, redis_url=redis.url)
            processes.append(workers.enter_context(worker_process))
        yield Deployment(ports, processes, redis)


# --- ours: the session, set up over HTTP by the main process ---------------------------------


async def invitations(base_url: str, members: int, observers: int) -> dict[str, Any]:
    """A fresh session: the facilitator's link, then one link per member and observer."""
    from room.client import create_session, invite, parse_link
    from room.domain.session import Role

    def local(link: str) -> str:  # the server names its host "localhost"; keep to HOST
        return f"{base_url}/j/{parse_link(link).secret}"

    limit = asyncio.Semaphore(CONCURRENT_SETUP)
    async with httpx.AsyncClient(timeout=30.0, trust_env=False) as http:
        created = await create_session(base_url, "Fan-out bench", "Facilitator", http=http)
        session, facilitator = created["session"], local(created["link"])

        async def invited(role: Role, name: str) -> str:
            async with limit:
                answer = await invite(base_url, session, facilitator, role, name, http=http)
                return local(answer["link"])

        links = await asyncio.gather(
            *(invited(Role.MEMBER, f"Member {n}") for n in range(members)),
            *(invited(Role.OBSERVER, f"Observer {n}") for n in range(observers)),
        )
    return {"facilitator": facilitator, "members": links[:members], "observers": links[members:]}


# --- the load processes ----------------------------------------------------------------------


@dataclass
class Fleet:
    """The clients of one load process, whatever the server."""

    spec: dict[str, Any]
    on_arrival: Callable[[int], None]  # called with a contribution's number on each arrival
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    senders: list[Callable[[int], Awaitable[str | None]]] = field(default_factory=list)
    failed: int = 0  # clients that could not connect


async def open_ours(fleet: Fleet) -> None:
    from room.client import ClientError, CommandRefused, RoomClient
    from room.domain.session import Event, Kind
    from room.domain.session.commands import GoToPhase, Post, SetRoundPosting
    from room.domain.session.events import ContributionPosted

    def on_event(seq: int, event: Event) -> None:
        if isinstance(event, ContributionPosted):
            text = event.contribution.body.get("text", "")
            if text.startswith("[bench "):
                fleet.on_arrival(int(text[7:13]))

    limit = asyncio.Semaphore(CONCURRENT_SETUP)
    http = httpx.AsyncClient(timeout=60.0, trust_env=False)

    async def connected(link: str) -> RoomClient:
        async with limit:
            return await RoomClient.connect(
                link, queue_events=False, on_event=on_event, http=http, timeout=60
            )

    links = fleet.spec["links"]
    clients = await asyncio.gather(*(connected(link) for link in links))

    async def close() -> None:
        await asyncio.gather(*(c.close() for c in clients))
        await http.aclose()

    fleet.closers.append(close)
    if not fleet.spec["poster"]:
        return
    facilitator, members = clients[0], clients[1:]
    await facilitator.send(GoToPhase(phase="questions"))
    with contextlib.suppress(CommandRefused):  # already so
        await facilitator.send(SetRoundPosting(speaker_only=False))
    await asyncio.gather(
        *(c.wait_for(lambda s: s.phase == "questions", timeout=30) for c in clients)
    )

    def sender(member: RoomClient) -> Callable[[int], Awaitable[str | None]]:
        async def send(number: int) -> str | None:
            try:
                await member.send(Post(kind=Kind.QUESTION, body={"text": question(number)}))
            except CommandRefused as refusal:
                return refusal.code
            except ClientError as error:
                return type(error).__name__
            return None

        return send

    fleet.senders.extend(sender(m) for m in members)


def contribution_text(frame: dict[str, Any]) -> str:
    """The text of a ContributionPosted in one of our ``ev`` frames, else ""."""
    contribution = frame["e"].get("contribution") if frame.get("t") == "ev" else None
    if not isinstance(contribution, dict):
        return ""
    text = (contribution.get("body") or {}).get("text", "")
    return text if isinstance(text, str) else ""


class RawParticipant:
    """One of our participants on a bare socket: frames decoded, nothing folded, as the
    peers' clients do; commands sent as ``cmd`` frames and answered by key. The server
    does the same work for it as for a RoomClient; the bench does much less."""

    def __init__(self, ws: Any, on_arrival: Callable[[int], None]) -> None:
        self.ws = ws  # a websockets ClientConnection, past its ready frame
        self.on_arrival = on_arrival
        self.pending: dict[str, asyncio.Future[str | None]] = {}  # by command key

    async def command(self, command: Any) -> str | None:
        """Send a command; None once acked, or the error code it was refused with."""
        key = uuid.uuid4().hex
        self.pending[key] = asyncio.get_running_loop().create_future()
        try:
            await self.ws.send(msgpack.packb({"t": "cmd", "key": key, "cmd": command.to_plain()}))
            return await self.pending[key]
        except ConnectionClosed:
            return "closed"
        finally:
            self.pending.pop(key, None)

    async def read(self) -> None:
        with contextlib.suppress(Exception):
            async for message in self.ws:
                frame = msgpack.unpackb(message)
                text = contribution_text(frame)
                if text.startswith("[bench "):
                    self.on_arrival(int(text[7:13]))
                elif frame.get("t") in ("ack", "error"):
                    answered = self.pending.get(frame.get("key"))
                    if answered is not None and not answered.done():
                        answered.set_result(frame.get("code"))  # None in an ack
        for answered in self.pending.values():  # the socket is gone: no answer will come
            if not answered.done():
                answered.set_result("closed")


async def open_ours_raw(fleet: Fleet) -> None:
    """Our clients as RawParticipants (--ours-clients raw): the link's API calls and
    hello as a RoomClient makes them, then the poster's facilitator opens the questions
    phase and its members post, as open_ours's do."""
    from websockets.asyncio.client import connect

    from room.client import parse_link, whoami
    from room.domain.session import Kind
    from room.domain.session.commands import GoToPhase, Post, SetRoundPosting

    limit = asyncio.Semaphore(CONCURRENT_SETUP)
    http = httpx.AsyncClient(timeout=60.0, trust_env=False)

    async def opened(link: str) -> RawParticipant:
        async with limit:
            me = await whoami(link, accept_charter=True, http=http)
            parsed = parse_link(link)
            ws = await connect(
                parsed.ws_url(me["session"]),
                additional_headers=parsed.headers,
                compression=None,
                max_size=None,
                proxy=None,
                open_timeout=30,
                close_timeout=2,  # as a RoomClient: a backlogged server must not hold the step
            )
            await ws.send(msgpack.packb({"t": "hello", "seq": 0, "lang": "fr"}))
            async with asyncio.timeout(30):
                while msgpack.unpackb(await ws.recv()).get("t") != "ready":
                    pass  # the snapshot or the replay, then ready: live events follow
            return RawParticipant(ws, fleet.on_arrival)

    participants = await asyncio.gather(*(opened(link) for link in fleet.spec["links"]))
    readers = [asyncio.create_task(p.read()) for p in participants]

    async def close() -> None:
        await asyncio.gather(*(p.ws.close() for p in participants))
        for reader in readers:
            reader.cancel()
        await http.aclose()

    fleet.closers.append(close)
    if not fleet.spec["poster"]:
        return
    facilitator, members = participants[0], participants[1:]
    refusal = await facilitator.command(GoToPhase(phase="questions"))
    if refusal is not None:
        raise RuntimeError(f"the facilitator could not open the questions phase: {refusal}")
    await facilitator.command(SetRoundPosting(speaker_only=False))  # refused if already so

    def sender(member: RawParticipant) -> Callable[[int], Awaitable[str | None]]:
        async def send(number: int) -> str | None:
            return await member.command(Post(kind=Kind.QUESTION, body={"text": question(number)}))

        return send

    fleet.senders.extend(sender(m) for m in members)


async def socketio_handshake(ws: Any) -> None:
    """Engine.IO's open packet, then Socket.IO's CONNECT to "/" and its answer."""
    opening = await ws.recv()  # 0{"sid": …}
    if not isinstance(opening, str) or not opening.startswith("0"):
        raise RuntimeError(f"expected an Engine.IO open packet, got {opening!r}")
    await ws.send(msgpack.packb({"type": 0, "nsp": "/", "data": None}))
    answer = msgpack.unpackb(await ws.recv())
    if answer.get("type") != 0:
        raise RuntimeError(f"expected a Socket.IO connect, got {answer!r}")


async def read_peer(ws: Any, socketio: bool, on_arrival: Callable[[int], None]) -> None:
    """Read a peer's messages until the socket ends, noting each post's number (and
    answering Engine.IO's pings)."""
    with contextlib.suppress(Exception):
        async for message in ws:
            if isinstance(message, str):
                if message == "2":  # Engine.IO ping
                    await ws.send("3")
                continue
            frame = msgpack.unpackb(message)
            if socketio:
                if frame.get("type") != 2:
                    continue
                frame = frame["data"][1]
            on_arrival(frame["n"])


async def open_raw(fleet: Fleet, *, socketio: bool) -> None:
    """Raw clients for the peers: a WebSocket each, decoding msgpack, nothing more."""
    from websockets.asyncio.client import ClientConnection, connect

    ports = fleet.spec.get("ports") or [fleet.spec["port"]]
    path = "/socket.io/?EIO=4&transport=websocket" if socketio else "/"
    limit = asyncio.Semaphore(CONCURRENT_SETUP)

    async def opened(index: int) -> ClientConnection:
        # Each client to the next worker in turn: they split evenly over the workers.
        url = f"ws://{HOST}:{ports[index % len(ports)]}{path}"
        async with limit:
            ws = await connect(
                url, compression=None, max_size=None, proxy=None, open_timeout=30, close_timeout=2
            )
            if socketio:
                await socketio_handshake(ws)
            return ws

    async def read(ws: ClientConnection) -> None:
        await read_peer(ws, socketio, fleet.on_arrival)

    sockets = await asyncio.gather(*(opened(i) for i in range(fleet.spec["clients"])))
    readers = [asyncio.create_task(read(ws)) for ws in sockets]

    async def close() -> None:
        await asyncio.gather(*(ws.close() for ws in sockets))
        for reader in readers:
            reader.cancel()

    fleet.closers.append(close)
    if not fleet.spec["poster"]:
        return

    def sender(ws: ClientConnection) -> Callable[[int], Awaitable[str | None]]:
        async def send(number: int) -> str | None:
            payload = {"n": number, "sent": time.monotonic(), "text": question(number)}
            if socketio:
                payload = {"type": 2, "nsp": "/", "data": ["post", payload]}
            await ws.send(msgpack.packb(payload))
            return None

        return send

    fleet.senders.extend(sender(ws) for ws in sockets[1:])  # the members; [0] facilitates


@dataclass
class Posts:
    """A poster's posts: when each was sent, which were refused (and why), their tasks."""

    sent: dict[int, float] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self, number: int, send: Callable[[int], Awaitable[str | None]]) -> None:
        """Post contribution ``number`` through ``send`` without waiting for it."""
        self.tasks.append(asyncio.create_task(self._post(number, send)))

    async def _post(self, number: int, send: Callable[[int], Awaitable[str | None]]) -> None:
        self.sent[number] = time.monotonic()
        refusal = await send(number)
        if refusal is not None:
            self.refused[number] = refusal


async def load(spec: dict[str, Any], conn: Connection) -> dict[str, Any]:
    """One load process: connect, say ready, wait for go, post (the poster), collect."""
    ours = family(spec["server"]) == "ours"
    here = len(spec["links"]) if ours else spec["clients"]
    count = spec["count"]
    arrivals: dict[int, list[float]] = {}  # number -> [arrivals here, the last one's time]
    complete = {"n": 0}
    done = asyncio.Event()

    def on_arrival(number: int) -> None:
        now = time.monotonic()
        seen = arrivals.get(number)
        if seen is None:
            seen = arrivals[number] = [0, now]
        seen[0] += 1
        seen[1] = now
        if seen[0] == here:
            complete["n"] += 1
            if complete["n"] == count:
                done.set()

    fleet = Fleet(spec, on_arrival)
    if ours and spec.get("raw_clients"):
        await open_ours_raw(fleet)
    elif ours:
        await open_ours(fleet)
    else:
        await open_raw(fleet, socketio=spec["server"] == "sio")
    conn.send(("ready", here))
    message, start = await asyncio.to_thread(conn.recv)
    assert message == "go", message

    lags: list[float] = []
    lag_probe = asyncio.create_task(loop_lag(lags))
    cpu_before = time.process_time()
    posts = Posts()
    if spec["poster"]:
        for number in range(count):
            # A steady schedule, not a closed loop: a slow server does not slow the senders.
            await asyncio.sleep(max(0.0, start + number / spec["rate"] - time.monotonic()))
            posts.start(number, fleet.senders[number % len(fleet.senders)])
    deadline = start + spec["duration"] + spec.get("drain", DRAIN_SECONDS)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            await done.wait()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            await asyncio.gather(*posts.tasks, return_exceptions=True)
    lag_probe.cancel()
    result = {
        "clients": here,
        "arrivals": {n: tuple(a) for n, a in arrivals.items()},
        "sent": posts.sent,
        "refused": posts.refused,
        "lag_ms": [round(lag, 2) for lag in lags],
        "cpu_s": time.process_time() - cpu_before,
    }
    for close in fleet.closers:
        with contextlib.suppress(Exception):
            await close()
    return result


def worker(spec: dict[str, Any], conn: Connection) -> None:
    """A load process's entry point (spawned)."""
    run_load(load, spec, conn)


def run_load(
    load_fn: Callable[[dict[str, Any], Connection], Awaitable[Any]],
    spec: dict[str, Any],
    conn: Connection,
) -> None:
    """Run a load process's coroutine on uvloop (as the servers; the clients read
    faster) and send its result, or its traceback, to the main process."""
    try:
        import uvloop
    except ImportError:
        runner: Callable[[Any], Any] = asyncio.run
    else:
        runner = uvloop.run
    try:
        conn.send(("done", runner(load_fn(spec, conn))))
    except BaseException:
        conn.send(("error", traceback.format_exc()))


# --- one measurement -------------------------------------------------------------------------


def spread(links: list[str], ports: list[int]) -> list[str]:
    """Each link to the next worker in turn (all of them serve every session), so that
    the clients split evenly over the workers and the members post to each."""
    from room.client import parse_link

    return [
        f"http://{HOST}:{ports[index % len(ports)]}/j/{parse_link(link).secret}"
        for index, link in enumerate(links)
    ]


def specs_for(name: str, ports: list[int], args: argparse.Namespace) -> list[dict[str, Any]]:
    """The poster's spec, then one per listener process sharing the observers."""
    count = max(1, round(args.rate * args.duration))
    common = {"server": name, "port": ports[0], "ports": ports, "count": count}
    common |= {"rate": args.rate, "duration": args.duration, "drain": args.drain}
    shares = [
        args.observers // args.procs + (i < args.observers % args.procs) for i in range(args.procs)
    ]
    if family(name) == "ours":
        base_url = f"http://{HOST}:{ports[0]}"
        links = asyncio.run(invitations(base_url, args.members, args.observers))
        poster_links = spread([links["facilitator"], *links["members"]], ports)
        observers, specs = links["observers"], []
        common["raw_clients"] = args.ours_clients == "raw"
        specs.append({**common, "poster": True, "links": poster_links})
        for share in shares:
            specs.append({**common, "poster": False, "links": spread(observers[:share], ports)})
            observers = observers[share:]
        return specs
    return [{**common, "poster": True, "links": [], "clients": 1 + args.members}] + [
        {**common, "poster": False, "links": [], "clients": share} for share in shares
    ]


def receive(pipe: Connection, seconds: float, name: str, expected: str) -> Any:
    """A load process's next message, which must be ``expected``; any other end raises."""
    if not pipe.poll(seconds):
        raise RuntimeError(f"{name}: a load process sent no {expected!r} within {seconds:g} s")
    try:
        kind, value = pipe.recv()
    except EOFError:
        raise RuntimeError(f"{name}: a load process exited before {expected!r}") from None
    if kind != expected:
        raise RuntimeError(f"{name}: a load process failed:\n{value}")
    return value


def measure(
    name: str, args: argparse.Namespace, directory: Path, *, redis: Any = None
) -> dict[str, Any]:
    """One server at one rate: start it (on ``redis``: as workers), connect, post, collect."""
    context = multiprocessing.get_context("spawn")
    with deployed(name, directory, redis) as deployment:
        setup_started = time.monotonic()
        specs = specs_for(name, deployment.ports, args)
        pipes, processes = [], []
        for spec in specs:
            parent, child = context.Pipe()
            process = context.Process(target=worker, args=(spec, child), daemon=True)
            process.start()
            pipes.append(parent)
            processes.append(process)
        try:
            total = sum(receive(pipe, SETUP_SECONDS, name, "ready") for pipe in pipes)
            setup_s = time.monotonic() - setup_started
            by_worker = deployment.pids_by_worker()
            pids = [pid for worker_pids in by_worker for pid in worker_pids]
            redis_pids = [redis.process.pid] if redis is not None else []
            worker_cpu_before = [total_cpu_seconds(worker_pids) for worker_pids in by_worker]
            redis_cpu_before = total_cpu_seconds(redis_pids)
            start = time.monotonic() + 0.2
            profiler = profiling(args, name, pids)
            for pipe in pipes:
                pipe.send(("go", start))
            finish = args.duration + args.drain + 60
            results = [receive(pipe, finish, name, "done") for pipe in pipes]
            if profiler is not None:
                profiler.wait(60)
            worker_cpu_s = [
                total_cpu_seconds(worker_pids) - before
                for worker_pids, before in zip(by_worker, worker_cpu_before, strict=True)
            ]
            cpu_s = sum(worker_cpu_s)
            redis_cpu_s = total_cpu_seconds(redis_pids) - redis_cpu_before
            rss = total_peak_rss_mib(pids)
        except BaseException:
            for process in processes:  # the others may wait for a "go" that never comes
                process.kill()
            raise
        finally:
            for process in processes:
                process.join(15)
                if process.is_alive():
                    process.kill()
    figures = summarize(name, total, results, cpu_s, rss, setup_s)
    figures |= {"rate": args.rate, "server_processes": len(pids)}
    if redis is not None:  # the split over the workers shows that both served
        figures["worker_cpu_s"] = [round(seconds, 2) for seconds in worker_cpu_s]
        figures["redis_cpu_s"] = round(redis_cpu_s, 2)
    return figures


def profiling(
    args: argparse.Namespace, name: str, pids: list[int]
) -> subprocess.Popen[bytes] | None:
    """py-spy on our server for the posting window, when asked (``--profile``): pip's
    py-spy, which needs ptrace (root here); per server and rate, the collapsed stacks
    (``.txt``, what flame graph tools read, and what can be summed by function)."""
    if getattr(args, "profile", None) is None or family(name) != "ours" or len(pids) != 1:
        return None
    spy = shutil.which("py-spy")
    if spy is None:
        raise RuntimeError("--profile needs py-spy on the PATH: pip install py-spy")
    args.profile.mkdir(parents=True, exist_ok=True)
    output = args.profile / f"fanout-{name}-{args.rate:g}.txt"
    command = [spy, "record", "--pid", str(pids[0]), "--duration", str(int(args.duration))]
    command += ["--rate", "200", "--format", "raw", "--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarize(
    name: str, total: int, results: list[dict[str, Any]], cpu_s: float, rss: float, setup_s: float
) -> dict[str, Any]:
    sent = results[0]["sent"]
    refused = results[0]["refused"]
    merged: dict[int, list[float]] = {}
    for result in results:
        for number, (count, last) in result["arrivals"].items():
            seen = merged.setdefault(number, [0, 0.0])
            seen[0] += count
            seen[1] = max(seen[1], last)
    deliveries = int(sum(seen[0] for seen in merged.values()))
    complete = [n for n, seen in merged.items() if seen[0] == total and n in sent]
    latencies = [(merged[n][1] - sent[n]) * 1000 for n in complete]
    first = min(sent.values(), default=0.0)
    last = max((seen[1] for seen in merged.values()), default=first)
    window = last - first
    lags = [lag for result in results for lag in result["lag_ms"]]
    return {
        "server": name,
        "clients": total,
        "posts": len(sent),
        "refused": len(refused),
        "complete": len(complete),
        "deliveries": deliveries,
        "window_s": round(window, 3),
        "events_per_s": round(deliveries / window, 1) if window > 0 else math.nan,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "p999_ms": round(percentile(latencies, 99.9), 2),
        "max_ms": round(max(latencies, default=math.nan), 2),
        "server_cpu_s": round(cpu_s, 2),
        "cpu_us_per_delivery": round(cpu_s * 1e6 / deliveries, 2) if deliveries else math.nan,
        "server_peak_rss_mib": round(rss, 1),
        "load_cpu_s": round(sum(result["cpu_s"] for result in results), 2),
        "bench_lag_p99_ms": round(percentile(lags, 99), 1),
        # The poster's first: it holds the members, whose sends the latency starts from.
        "bench_lag_p99_ms_by_process": [
            round(percentile(result["lag_ms"], 99), 1) for result in results
        ],
        "setup_s": round(setup_s, 1),
    }


# --- the sweep: the highest rate each server keeps within the latency limit -----------------

BENCH_LAG_LIMIT_MS = 20.0  # above this, the clients read late: the step measures the bench
DESCENT_STEPS = 3  # below the first rate, when it fails: 20/s, then 13.3, 8.9 and 5.9


def verdict(figures: dict[str, Any], max_p99_ms: float) -> str | None:
    """Why a step does not count, or None when it does."""
    if "error" in figures:
        last_line = str(figures["error"]).strip().splitlines()[-1]
        return f"failed: {last_line[:120]}"
    if figures["refused"]:
        return f"{figures['refused']} posts refused"
    if figures["complete"] < figures["posts"]:
        return f"only {figures['complete']}/{figures['posts']} posts reached every client"
    if not figures["p99_ms"] <= max_p99_ms:  # NaN (no latency at all) fails too
        return f"p99 {figures['p99_ms']} ms > {max_p99_ms:g} ms"
    return None


def sweep_rates(args: argparse.Namespace) -> Iterator[float]:
    """The rates to try in turn: --rates as given, else --rate ×--factor up to --max-rate."""
    if args.rates:
        yield from args.rates
        return
    rate = args.rate
    while rate <= args.max_rate:
        yield round(rate, 1)
        rate *= args.factor


def step_line(label: str, name: str, figures: dict[str, Any]) -> str:
    if "error" in figures:
        return f"{label} {name:>4} @ {figures['rate']:g}/s: {figures['verdict']}"
    lag = figures["bench_lag_p99_ms"]
    bench_bound = (
        f"  BENCH-BOUND (lag p99 > {BENCH_LAG_LIMIT_MS:g} ms)" if lag > BENCH_LAG_LIMIT_MS else ""
    )
    return (
        f"{label} {name:>4} @ {figures['rate']:g}/s: {figures['events_per_s']} ev/s, "
        f"p50 {figures['p50_ms']} p99 {figures['p99_ms']} ms, "
        f"{figures['cpu_us_per_delivery']} µs/delivery, bench lag p99 {lag} ms: "
        f"{figures['verdict'] or 'ok'}{bench_bound}"
    )


def sweep(
    name: str, args: argparse.Namespace, directory: Path, *, redis: Any = None, label: str = ""
) -> dict[str, Any]:
    """Rising rates, each a fresh measurement (fresh server, session and clients, so no
    step inherits a longer log), until one fails the limit (if the first fails, falling
    ones until one passes); then --refine steps halve the gap between the last rate that
    passed and the first that failed (geometrically)."""
    steps: list[dict[str, Any]] = []

    def passes(rate: float) -> bool:
        place = directory / f"step-{len(steps)}"
        place.mkdir()
        step_args = argparse.Namespace(**{**vars(args), "rate": rate})
        try:
            figures = measure(name, step_args, place, redis=redis)
        except Exception as error:  # an overwhelmed server may fail a step: record it, go on
            figures = {"server": name, "rate": rate, "error": f"{type(error).__name__}: {error}"}
        figures["verdict"] = verdict(figures, args.max_p99)
        steps.append(figures)
        print(step_line(label, name, figures), flush=True)
        return figures["verdict"] is None

    passed: float | None = None
    failed: float | None = None
    for rate in sweep_rates(args):
        if not passes(rate):
            failed = rate
            break
        passed = rate
    if passed is None and failed is not None and not args.rates:
        passed, failed = descend(failed, args.factor, passes)
    if passed is not None and failed is not None:
        refine(passed, failed, args.refine, passes)
    return sweep_result(steps, reached_cap=failed is None)


def descend(
    failed: float, factor: float, passes: Callable[[float], bool]
) -> tuple[float | None, float]:
    """The first rate failed: go down by the factor, a few steps, to one that passes."""
    for _ in range(DESCENT_STEPS):
        rate = round(failed / factor, 1)
        if passes(rate):
            return rate, failed
        failed = rate
    return None, failed


def refine(passed: float, failed: float, steps: int, passes: Callable[[float], bool]) -> None:
    """Bisect (geometrically) between a rate that passed and one that failed."""
    for _ in range(steps):
        middle = round(math.sqrt(passed * failed), 1)
        if middle in (passed, failed):
            return
        if passes(middle):
            passed = middle
        else:
            failed = middle


def sweep_result(steps: list[dict[str, Any]], *, reached_cap: bool) -> dict[str, Any]:
    """The best step's figures, what the sweep found, and every step."""
    counted = [step for step in steps if step["verdict"] is None]
    best = max(counted, key=lambda step: step["events_per_s"], default=None)
    figures = dict(best) if best else {key: math.nan for key, _ in FIGURES}
    failures = [step for step in steps if step["verdict"]]
    figures |= {
        "max_events_per_s": best["events_per_s"] if best else 0.0,
        "max_rate": best["rate"] if best else 0.0,
        "reached_cap": reached_cap,  # the maximum lies beyond --max-rate (or --rates)
        "stopped_by": failures[0]["verdict"] if failures else "the last rate",
        # When the load processes lagged at the failing step, it may have failed for them.
        "stopped_bench_bound": bool(failures)
        and failures[0].get("bench_lag_p99_ms", 0) > BENCH_LAG_LIMIT_MS,
        "steps_run": len(steps),
        "bench_bound_steps": sum(
            step.get("bench_lag_p99_ms", 0) > BENCH_LAG_LIMIT_MS for step in steps
        ),
        "steps": steps,
    }
    return figures


# --- the report ------------------------------------------------------------------------------

FIGURES = (
    ("events_per_s", "delivered events/s"),
    ("p50_ms", "latency to last p50 ms"),
    ("p99_ms", "latency to last p99 ms"),
    ("p999_ms", "latency to last p99.9 ms"),
    ("server_cpu_s", "server CPU s"),
    ("cpu_us_per_delivery", "server CPU µs / delivery"),
    ("server_peak_rss_mib", "server peak RSS MiB"),
    ("complete", "posts reaching every client"),
    ("bench_lag_p99_ms", "bench loop lag p99 ms"),
)
RATIOS: tuple[str, ...] = ("events_per_s", "p50_ms", "p99_ms", "p999_ms", "cpu_us_per_delivery")
RATIOS += ("server_peak_rss_mib",)
SWEEP_FIGURES = (
    ("max_events_per_s", "max delivered events/s within p99 limit"),
    ("max_rate", "posts/s of that step"),
    ("p50_ms", "  its latency to last p50 ms"),
    ("p99_ms", "  its latency to last p99 ms"),
    ("cpu_us_per_delivery", "  its server CPU µs / delivery"),
    ("server_peak_rss_mib", "  its server peak RSS MiB"),
    ("bench_lag_p99_ms", "  its bench loop lag p99 ms"),
    ("steps_run", "steps run"),
    ("bench_bound_steps", f"steps with bench lag p99 > {BENCH_LAG_LIMIT_MS:g} ms"),
)
SWEEP_RATIOS = ("max_events_per_s", "cpu_us_per_delivery", "server_peak_rss_mib")
REDIS_FIGURES = (("redis_cpu_s", "Redis CPU s (not in server CPU)"),)
# The targets, on the sweep's maximum: (ratio, at least, what it says).
TARGETS = (
    ("ours/sio", 5.0, "at least 5x python-socketio"),
    ("ours/bare", 0.8, "at least 80 % of the bare-websockets ceiling (embedded default)"),
)


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    values = [run.get(key, math.nan) for run in runs]
    values = [value for value in values if not math.isnan(value)]
    return round(statistics.median(values), 2) if values else math.nan


def comparisons(servers: list[str]) -> list[tuple[str, str]]:
    """(numerator, denominator) pairs: ours/<peer> for every peer and for the other
    tree (``against``), and ours@X/ours for every variant of ours, all against the plain
    ``ours``."""
    if "ours" not in servers:
        return []
    return [
        (server, "ours") if family(server) == "ours" and server != AGAINST else ("ours", server)
        for server in servers
        if server != "ours"
    ]


def ratio_within_runs(runs: list[dict[str, Any]], top: str, bottom: str, key: str) -> float:
    """Each run's top/bottom, then their median: both measured under the same conditions."""
    per_run = [run[top][key] / run[bottom][key] for run in runs if run[bottom][key]]
    per_run = [value for value in per_run if not math.isnan(value)]
    return round(statistics.median(per_run), 2) if per_run else math.nan


def report(
    args: argparse.Namespace,
    runs: list[dict[str, dict[str, Any]]],
    *,
    figures: tuple[tuple[str, str], ...] = FIGURES,
    ratios: tuple[str, ...] = RATIOS,
) -> dict[str, Any]:
    servers = [s for s in args.servers if all(s in run for run in runs)]
    medians = {
        s: {key: median_of([run[s] for run in runs], key) for key, _ in figures} for s in servers
    }
    compared = {
        f"{top}/{bottom}": {key: ratio_within_runs(runs, top, bottom, key) for key in ratios}
        for top, bottom in comparisons(servers)
    }
    return {"medians": medians, "ratios": compared}


def table(summary: dict[str, Any], figures: tuple[tuple[str, str], ...] = FIGURES) -> str:
    medians, ratios = summary["medians"], summary["ratios"]
    columns = [*medians, *ratios]
    width = max(len(label) for _, label in figures)

    def line(label: str, cells: list[Any]) -> str:
        return f"{label:<{width}}" + "".join(
            f"{cell!s:>{max(12, len(column) + 2)}}"
            for cell, column in zip(cells, columns, strict=True)
        )

    lines = [line("median of runs", columns)]
    for key, label in figures:
        cells = [medians[s].get(key, "") for s in medians] + [
            ratios[r].get(key, "") for r in ratios
        ]
        lines.append(line(label, cells))
    return "\n".join(lines)


def sweep_notes(summary: dict[str, Any], runs: list[Any]) -> list[str]:
    """The issue's targets against the medians, and what may make a figure unreliable."""
    notes = []
    for ratio, least, meaning in TARGETS:
        value = summary["ratios"].get(ratio, {}).get("max_events_per_s")
        if value is None or math.isnan(value):
            continue
        met = "met" if value >= least else "NOT met"
        open_ended = [
            server for server in ratio.split("/") if any(run[server]["reached_cap"] for run in runs)
        ]
        if open_ended:  # a maximum not reached makes the ratio a bound, not a figure
            met += f" (inconclusive: no maximum found for {', '.join(open_ended)})"
        notes.append(f"target {ratio} >= {least:g} ({meaning}): {value} -> {met}")
    for server, figures in summary["medians"].items():
        if figures["bench_lag_p99_ms"] > BENCH_LAG_LIMIT_MS:
            notes.append(
                f"warning: {server}'s best step had bench loop lag p99 > "
                f"{BENCH_LAG_LIMIT_MS:g} ms: its maximum measures the load generator, not "
                "the server (try fewer observers)"
            )
        none = sum(run[server]["steps_run"] and not run[server]["max_rate"] for run in runs)
        if none:
            notes.append(
                f"note: {server} passed no rate in {none} of {len(runs)} runs "
                "(counted as 0): start lower (--rate or --rates)"
            )
        stopped = sum(run[server]["stopped_bench_bound"] for run in runs)
        if stopped:
            notes.append(
                f"note: {server}'s sweep stopped at a BENCH-BOUND step in {stopped} of "
                f"{len(runs)} runs: its maximum may be the load generator's, not its own"
            )
        capped = sum(run[server]["reached_cap"] for run in runs)
        if capped:
            notes.append(
                f"note: {server} passed every rate in {capped} of {len(runs)} runs: its maximum "
                "is at least that (raise --max-rate or extend --rates)"
            )
    return notes


# --- the command -----------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--observers", type=int, default=200)
    parser.add_argument("--members", type=int, default=15)
    parser.add_argument(
        "--rate", type=float, default=20.0, help="posts per second, in all (a sweep's first)"
    )
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds of posting (10; sweep: 5 per step)"
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=None,
        help="seconds after posting for the last arrivals "
        f"({DRAIN_SECONDS:g}; sweep: {SWEEP_DRAIN_SECONDS:g}, past which a step fails anyway)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--against",
        type=Path,
        default=None,
        help="another tree (a `git archive` of an older commit, say): its server runs as "
        f"'{AGAINST}' beside ours, with this tree's load, and ours/{AGAINST} is reported",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="a py-spy flame graph of each of our servers' posting window, in this folder",
    )
    parser.add_argument("--procs", type=int, default=2, help="listener processes")
    parser.add_argument("--servers", default=None, help="default: ours,sio,bare (redis: ours,sio)")
    parser.add_argument(
        "--backend",
        choices=("embedded", "redis"),
        default="embedded",
        help=f"redis: each server as {REDIS_WORKERS} workers sharing a private redis-server",
    )
    parser.add_argument(
        "--appendfsync",
        choices=("always", "everysec", "no"),
        default="always",
        help="the private Redis's fsync policy (docs/deploy.md recommends always)",
    )
    parser.add_argument(
        "--ours-clients",
        choices=("roomclient", "raw"),
        default=None,
        help="raw: our clients decode frames and fold nothing, like the peers' clients "
        "(the default of a sweep, so that the bench saturates later); roomclient otherwise",
    )
    sweeping = parser.add_argument_group("the sweep (--sweep)")
    sweeping.add_argument("--sweep", action="store_true", help="find each server's maximum")
    sweeping.add_argument("--rates", default=None, help="rates to try, e.g. 40,80,160")
    sweeping.add_argument("--factor", type=float, default=1.5, help="from one rate to the next")
    sweeping.add_argument("--max-rate", type=float, default=3000.0, help="the highest rate tried")
    sweeping.add_argument("--max-p99", type=float, default=50.0, help="the latency limit, ms")
    sweeping.add_argument("--refine", type=int, default=1, help="steps between pass and fail")
    args = parser.parse_args(argv)
    check(parser, args)
    return args


def check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Validate the options and fill in the defaults that depend on --sweep and --backend."""
    if args.duration is None:
        args.duration = 5.0 if args.sweep else 10.0
    if args.ours_clients is None:
        args.ours_clients = "raw" if args.sweep else "roomclient"
    if args.drain is None:
        args.drain = SWEEP_DRAIN_SECONDS if args.sweep else DRAIN_SECONDS
    default = [s for s in SERVERS if not (args.backend == "redis" and s in NO_REDIS_PAIRING)]
    named = (args.servers or ",".join(default)).split(",")
    args.servers = [s.strip() for s in named if s.strip()]
    if args.against is not None:
        TREES[AGAINST] = args.against.resolve()
        if AGAINST not in args.servers:
            args.servers.append(AGAINST)
    if not args.servers or not all(known(s) for s in args.servers):
        parser.error(
            f"--servers: a comma-separated subset of {','.join(SERVERS)}, "
            f"and ours@NAME for ours on another ASGI server ({', '.join(OTHER_SERVERS)}); "
            f"{AGAINST} with --against"
        )
    if args.backend == "redis" and set(args.servers) & set(NO_REDIS_PAIRING):
        parser.error(f"--backend redis: {','.join(NO_REDIS_PAIRING)} has no Redis pairing")
    if args.rates is not None:
        try:
            args.rates = sorted(float(rate) for rate in args.rates.split(",") if rate.strip())
        except ValueError:
            parser.error("--rates: numbers separated by commas")
    if args.members < 1 or args.procs < 1 or args.runs < 1 or args.rate <= 0:
        parser.error("expected --members, --procs, --runs >= 1 and --rate > 0")
    if args.factor <= 1 or args.refine < 0 or (args.rates is not None and not args.rates):
        parser.error("expected --factor > 1, --refine >= 0 and at least one of --rates")


def rates_text(args: argparse.Namespace) -> str:
    if args.rates:
        return ",".join(f"{rate:g}" for rate in args.rates)
    return f"{args.rate:g} x{args.factor:g} up to {args.max_rate:g}"


def setting(args: argparse.Namespace) -> str:
    """One line saying what the table compares."""
    workers = f", {REDIS_WORKERS} workers each" if args.backend == "redis" else ""
    return (
        f"{args.backend} backend{workers}; 1 facilitator, {args.members} members, "
        f"{args.observers} observers ({args.ours_clients} clients for ours); "
        + (
            f"sweep over {rates_text(args)} posts/s, {args.duration:g} s per step, "
            f"limit p99 <= {args.max_p99:g} ms"
            if args.sweep
            else f"{args.rate:g} posts/s for {args.duration:g} s"
        )
    )


def measure_all(args: argparse.Namespace, tmp: Path, redis: Any) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for number in range(args.runs):
        turn = number % len(args.servers)  # the order rotates: no server always first
        order = args.servers[turn:] + args.servers[:turn]
        label = f"run {number + 1}/{args.runs}"
        run = {}
        for name in order:
            directory = tmp / f"{number}-{name}"
            directory.mkdir()
            if args.sweep:
                run[name] = sweep(name, args, directory, redis=redis, label=label)
                continue
            run[name] = figures = measure(name, args, directory, redis=redis)
            print(
                f"{label} {name:>4}: {figures['events_per_s']} ev/s, "
                f"p50 {figures['p50_ms']} p99 {figures['p99_ms']} ms, "
                f"{figures['cpu_us_per_delivery']} µs/delivery, "
                f"{figures['complete']}/{figures['posts']} complete",
                flush=True,
            )
        runs.append(run)
    return runs


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="room-fanout-") as tmp:
        backend = (
            redis_running(Path(tmp), args.appendfsync)
            if args.backend == "redis"
            else contextlib.nullcontext()
        )
        with backend as redis:
            runs = measure_all(args, Path(tmp), redis)
    figures: tuple[tuple[str, str], ...] = SWEEP_FIGURES if args.sweep else FIGURES
    figures += REDIS_FIGURES if args.backend == "redis" else ()
    ratios = SWEEP_RATIOS if args.sweep else RATIOS
    summary = report(args, runs, figures=figures, ratios=ratios)
    print(setting(args))
    print(table(summary, figures))
    if args.sweep:
        summary["notes"] = sweep_notes(summary, runs)
        print("\n".join(summary["notes"]))
    if args.backend == "redis":
        print(f"({','.join(NO_REDIS_PAIRING)}: no Redis pairing, left out)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = {
        "bench": "fanout",
        "at": stamp,
        "command": "python -m bench.fanout " + " ".join(sys.argv[1:] if argv is None else argv),
        "params": {k: v for k, v in vars(args).items()},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": len(os.sched_getaffinity(0)),
        **summary,
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"fanout-{stamp}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
