"""Fan-out bench: ours against python-socketio and a bare websockets relay, like with like.

The demonstration session of the issue, scaled to a small machine: 1 facilitator,
15 members and N observers (200 by default; ``--observers 1000`` for the full one) in one
room; the members post contributions of about 200 bytes at a steady total rate (20/s),
round-robin. Each server runs as its own process, one after the other, on a free port:

- ``ours``: ``python -m room serve --db <fresh tmp file>`` (the embedded SQLite store);
  clients are ``room.client.RoomClient``s; the members post ``Post(kind=question)`` in
  the questions phase.
- ``sio``: ``python -m bench.peers.sio`` (python-socketio ASGI on uvicorn, msgpack);
  clients speak Engine.IO 4 / Socket.IO over a raw WebSocket, WebSocket transport only.
- ``bare``: ``python -m bench.peers.bare_ws`` (a ``websockets`` relay, the Python ceiling).

The clients live in other processes (multiprocessing, spawn): one poster process holds the
facilitator and the members, ``--procs`` listener processes share the observers. Each
contribution carries a unique number; the poster notes its send time, every process notes
its arrival at each of its clients (CLOCK_MONOTONIC, which all processes share), and its
latency is the arrival at the LAST recipient minus the send. Per server and run: delivered
events/s (bench contributions only), p50/p99/p99.9 of that latency, the server's CPU
seconds during the posting window (utime+stime from /proc) and CPU µs per delivery, its
peak RSS (VmHWM). Each figure is the median over ``--runs``; each ratio ours/peer is taken
within one run (the servers' order rotates from run to run), then its median.

    python -m bench.fanout                       # 200 observers, 20/s, 10 s, 3 runs
    python -m bench.fanout --observers 1000 --runs 5

Our clients do more than the peers' (each RoomClient folds every event into its state),
so the bench's loop lag is reported too: when it is high, the latencies measure the bench.
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
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import msgpack

from bench.smoke import HOST, free_port, percentile, question

RESULTS = Path(__file__).parent / "results"
SERVERS = ("ours", "sio", "bare")
START_SECONDS = 30.0  # a server must listen within this
SETUP_SECONDS = 180.0  # invitations and connections, every load process
DRAIN_SECONDS = 15.0  # after the last post, for the last deliveries
STOP_SECONDS = 10.0  # between SIGTERM and SIGKILL
CONCURRENT_SETUP = 16  # invitations or connections in flight at once, per process
LAG_PROBE_SECONDS = 0.02
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- the servers -----------------------------------------------------------------------------


def command_for(name: str, port: int, directory: Path) -> list[str]:
    if name == "ours":
        db = str(directory / "bench.db")
        return [sys.executable, "-m", "room", "serve", "--host", HOST, "--port", str(port)] + [
            "--db",
            db,
        ]
    module = {"sio": "bench.peers.sio", "bare": "bench.peers.bare_ws"}[name]
    return [sys.executable, "-m", module, "--host", HOST, "--port", str(port)]


@contextlib.contextmanager
def running(name: str, port: int, directory: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run one server as its own process until the block ends; its output in a log file."""
    log_path = directory / f"{name}.log"
    with log_path.open("wb") as output:
        process = subprocess.Popen(
            command_for(name, port, directory), stdout=output, stderr=subprocess.STDOUT
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


# --- ours: the session, set up over HTTP by the main process ---------------------------------


async def invitations(base_url: str, members: int, observers: int) -> dict[str, Any]:
    """A fresh session: the facilitator's link, then one link per member and observer."""
    from room.client import create_session, invite, parse_link
    from room.domain import Role

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
    from room.domain import Event, Kind
    from room.domain.commands import GoToPhase, Post, SetRoundPosting
    from room.domain.events import ContributionPosted

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


async def open_raw(fleet: Fleet, *, socketio: bool) -> None:
    """Raw clients for the peers: a WebSocket each, decoding msgpack, nothing more."""
    from websockets.asyncio.client import ClientConnection, connect

    base = f"ws://{HOST}:{fleet.spec['port']}"
    url = f"{base}/socket.io/?EIO=4&transport=websocket" if socketio else f"{base}/"
    limit = asyncio.Semaphore(CONCURRENT_SETUP)

    async def opened() -> ClientConnection:
        async with limit:
            ws = await connect(url, compression=None, max_size=None, proxy=None, open_timeout=30)
            if socketio:
                opening = await ws.recv()  # Engine.IO "open": 0{"sid": …}
                if not isinstance(opening, str) or not opening.startswith("0"):
                    raise RuntimeError(f"expected an Engine.IO open packet, got {opening!r}")
                await ws.send(msgpack.packb({"type": 0, "nsp": "/", "data": None}))
                answer = msgpack.unpackb(await ws.recv())  # Socket.IO CONNECT with its sid
                if answer.get("type") != 0:
                    raise RuntimeError(f"expected a Socket.IO connect, got {answer!r}")
            return ws

    async def read(ws: ClientConnection) -> None:
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
                fleet.on_arrival(frame["n"])

    sockets = await asyncio.gather(*(opened() for _ in range(fleet.spec["clients"])))
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


async def load(spec: dict[str, Any], conn: Connection) -> dict[str, Any]:
    """One load process: connect, say ready, wait for go, post (the poster), collect."""
    here = len(spec["links"]) if spec["server"] == "ours" else spec["clients"]
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
    if spec["server"] == "ours":
        await open_ours(fleet)
    else:
        await open_raw(fleet, socketio=spec["server"] == "sio")
    conn.send(("ready", here))
    message, start = await asyncio.to_thread(conn.recv)
    assert message == "go", message

    lags: list[float] = []

    async def probe() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(LAG_PROBE_SECONDS)
            lags.append((time.perf_counter() - before - LAG_PROBE_SECONDS) * 1000)

    lag_probe = asyncio.create_task(probe())
    cpu_before = time.process_time()
    sent: dict[int, float] = {}
    refused: dict[int, str] = {}
    posts: list[asyncio.Task[None]] = []

    async def post(number: int) -> None:
        send = fleet.senders[number % len(fleet.senders)]
        sent[number] = time.monotonic()
        refusal = await send(number)
        if refusal is not None:
            refused[number] = refusal

    if spec["poster"]:
        for number in range(count):
            # A steady schedule, not a closed loop: a slow server does not slow the senders.
            await asyncio.sleep(max(0.0, start + number / spec["rate"] - time.monotonic()))
            posts.append(asyncio.create_task(post(number)))
    deadline = start + spec["duration"] + DRAIN_SECONDS
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            await done.wait()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            await asyncio.gather(*posts, return_exceptions=True)
    lag_probe.cancel()
    result = {
        "clients": here,
        "arrivals": {n: tuple(a) for n, a in arrivals.items()},
        "sent": sent,
        "refused": refused,
        "lag_ms": [round(lag, 2) for lag in lags],
        "cpu_s": time.process_time() - cpu_before,
    }
    for close in fleet.closers:
        with contextlib.suppress(Exception):
            await close()
    return result


def worker(spec: dict[str, Any], conn: Connection) -> None:
    """A load process's entry point (spawned)."""
    try:
        import uvloop  # as the servers use; the clients read faster
    except ImportError:
        runner: Callable[[Any], Any] = asyncio.run
    else:
        runner = uvloop.run
    try:
        conn.send(("done", runner(load(spec, conn))))
    except BaseException:
        conn.send(("error", traceback.format_exc()))


# --- one measurement -------------------------------------------------------------------------


def specs_for(name: str, port: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The poster's spec, then one per listener process sharing the observers."""
    count = max(1, round(args.rate * args.duration))
    common = {"server": name, "port": port, "count": count, "rate": args.rate}
    common["duration"] = args.duration
    shares = [
        args.observers // args.procs + (i < args.observers % args.procs) for i in range(args.procs)
    ]
    if name == "ours":
        links = asyncio.run(invitations(f"http://{HOST}:{port}", args.members, args.observers))
        poster_links = [links["facilitator"], *links["members"]]
        observers, specs = links["observers"], []
        specs.append({**common, "poster": True, "links": poster_links})
        for share in shares:
            specs.append({**common, "poster": False, "links": observers[:share]})
            observers = observers[share:]
        return specs
    return [{**common, "poster": True, "links": [], "clients": 1 + args.members}] + [
        {**common, "poster": False, "links": [], "clients": share} for share in shares
    ]


def measure(name: str, args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    port = free_port()
    context = multiprocessing.get_context("spawn")
    with running(name, port, directory) as server:
        setup_started = time.monotonic()
        specs = specs_for(name, port, args)
        pipes, processes = [], []
        for spec in specs:
            parent, child = context.Pipe()
            process = context.Process(target=worker, args=(spec, child), daemon=True)
            process.start()
            pipes.append(parent)
            processes.append(process)
        try:
            total = 0
            for pipe in pipes:
                if not pipe.poll(SETUP_SECONDS):
                    raise RuntimeError(f"{name}: a load process was not ready in time")
                kind, value = pipe.recv()
                if kind != "ready":
                    raise RuntimeError(f"{name}: a load process failed:\n{value}")
                total += value
            setup_s = time.monotonic() - setup_started
            cpu_before = cpu_seconds(server.pid)
            start = time.monotonic() + 0.2
            for pipe in pipes:
                pipe.send(("go", start))
            results = []
            for pipe in pipes:
                if not pipe.poll(args.duration + DRAIN_SECONDS + 60):
                    raise RuntimeError(f"{name}: a load process did not finish")
                kind, value = pipe.recv()
                if kind != "done":
                    raise RuntimeError(f"{name}: a load process failed:\n{value}")
                results.append(value)
            cpu_s = cpu_seconds(server.pid) - cpu_before
            rss = peak_rss_mib(server.pid)
        finally:
            for process in processes:
                process.join(15)
                if process.is_alive():
                    process.kill()
    return summarize(name, total, results, cpu_s, rss, setup_s)


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
        "setup_s": round(setup_s, 1),
    }


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
RATIOS = ("events_per_s", "p50_ms", "p99_ms", "p999_ms", "cpu_us_per_delivery")
RATIOS += ("server_peak_rss_mib",)


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    values = [run[key] for run in runs if not math.isnan(run[key])]
    return round(statistics.median(values), 2) if values else math.nan


def report(args: argparse.Namespace, runs: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    servers = [s for s in args.servers if all(s in run for run in runs)]
    medians = {
        s: {key: median_of([run[s] for run in runs], key) for key, _ in FIGURES} for s in servers
    }
    ratios: dict[str, dict[str, float]] = {}
    for peer in servers:
        if peer == "ours" or "ours" not in servers:
            continue
        ratios[f"ours/{peer}"] = {}
        for key in RATIOS:
            per_run = [run["ours"][key] / run[peer][key] for run in runs if run[peer][key]]
            ratios[f"ours/{peer}"][key] = round(statistics.median(per_run), 2)
    return {"medians": medians, "ratios": ratios}


def table(summary: dict[str, Any]) -> str:
    medians, ratios = summary["medians"], summary["ratios"]
    columns = [*medians, *ratios]
    width = max(len(label) for _, label in FIGURES)
    lines = [f"{'median of runs':<{width}}" + "".join(f"{c:>12}" for c in columns)]
    for key, label in FIGURES:
        cells = [medians[s][key] for s in medians]
        cells += [ratios[r].get(key, "") for r in ratios]
        lines.append(f"{label:<{width}}" + "".join(f"{c!s:>12}" for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--observers", type=int, default=200)
    parser.add_argument("--members", type=int, default=15)
    parser.add_argument("--rate", type=float, default=20.0, help="contributions per second, in all")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of posting")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--procs", type=int, default=2, help="listener processes")
    parser.add_argument("--servers", default=",".join(SERVERS), help="default: ours,sio,bare")
    args = parser.parse_args(argv)
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if not set(args.servers) <= set(SERVERS) or not args.servers:
        parser.error(f"--servers: a comma-separated subset of {','.join(SERVERS)}")
    if args.members < 1 or args.procs < 1 or args.runs < 1 or args.rate <= 0:
        parser.error("expected --members, --procs, --runs >= 1 and --rate > 0")

    runs: list[dict[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="room-fanout-") as tmp:
        for number in range(args.runs):
            turn = number % len(args.servers)  # the order rotates: no server always first
            order = args.servers[turn:] + args.servers[:turn]
            run = {}
            for name in order:
                directory = Path(tmp) / f"{number}-{name}"
                directory.mkdir()
                run[name] = measure(name, args, directory)
                figures = run[name]
                print(
                    f"run {number + 1}/{args.runs} {name:>4}: {figures['events_per_s']} ev/s, "
                    f"p50 {figures['p50_ms']} p99 {figures['p99_ms']} ms, "
                    f"{figures['cpu_us_per_delivery']} µs/delivery, "
                    f"{figures['complete']}/{figures['posts']} complete",
                    flush=True,
                )
            runs.append(run)
    summary = report(args, runs)
    print(table(summary))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    params = ("observers", "members", "rate", "duration", "runs", "procs", "servers")
    record = {
        "bench": "fanout",
        "at": stamp,
        "command": "python -m bench.fanout " + " ".join(sys.argv[1:] if argv is None else argv),
        "params": {k: getattr(args, k) for k in params},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": len(os.sched_getaffinity(0)),
        **summary,
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"fanout-{stamp}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
