"""Idle-capacity bench: server memory per idle connection, ours against the peers.

Issue 8, workload 3: 1k, 5k and 10k idle connections on one worker. Targets for ours: at
most 25 KiB of server memory per idle connection, and 10,000 idle connections under 512
MiB of server RSS. For each server and each N, on a fresh server process (the same three
as bench/fanout.py, one after the other, the order rotating from run to run):

1. Set up what is not a connection. Ours: a realistic layout, N observers spread over
   sessions of ``--per-session`` (100) plus a facilitator each; the main process creates
   the sessions and invitations over HTTP, the load processes accept each observer's
   charter (``/api/me``) and connect each session's facilitator (a RoomClient), so that
   every room is loaded. Peers: one poster connection (and its partner).
2. Read the server's RSS (VmRSS, /proc/<pid>/status) after an HTTP round trip to it, so
   that what the setup left pending has run: the baseline.
3. Open the N idle connections from ``--procs`` load processes (spawned) and wait until
   every one is fully established. Ours: a bare WebSocket client speaking our protocol
   (``hello``, then the snapshot and ``ready``; then it only reads), and every facilitator
   sees its observers present. sio: the Socket.IO connect answer. bare: the handshake.
4. Read the RSS again; memory per connection = (after - before) / N, in KiB.
5. Check that every connection is alive: one broadcast reaches each of them (ours: each
   facilitator moves its session to the next phase, an event every observer receives;
   peers: one post relayed to all).

    python -m bench.idle                                # 1k, 5k, 10k; 3 runs
    python -m bench.idle --connections 1000 --runs 1    # a quick look

Each figure is the median of ``--runs``; each ratio ours/peer is taken within one run,
then its median. The file-descriptor limit is raised to the hard limit for the servers.
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
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import msgpack

from bench.fanout import (
    CONCURRENT_SETUP,
    SERVERS,
    Fleet,
    invitations,
    open_raw,
    run_load,
    running,
)
from bench.smoke import HOST, free_port

RESULTS = Path(__file__).parent / "results"
STEP_SECONDS = 600.0  # any one step of a load process (10k connections on 2 cores)
CHECK_SECONDS = 60.0  # for the liveness broadcast to reach every connection
OPEN_SECONDS = 60.0  # one connection's handshake and, for ours, its ready frame
TARGET_KIB_PER_CONNECTION = 25.0
TARGET_RSS_MIB = 512.0
TARGET_CONNECTIONS = 10_000


# --- helpers slow.py shares ------------------------------------------------------------------


def raise_fd_limit() -> int:
    """Lift the soft limit on open files to the hard one; the servers inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_mib(pid: int) -> float:
    """The process's resident memory now (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def settled_rss_mib(pid: int, port: int) -> float:
    """RSS once the server has served one more HTTP request: what was queued before it
    (presence events, handshakes) has had its turn on the server's loop."""
    with httpx.Client(timeout=30.0, trust_env=False) as http:
        for _ in range(2):
            http.get(f"http://{HOST}:{port}/healthz")  # any answer will do, even a 404
    return rss_mib(pid)


def collect(pipes: list[Connection], kind: str, timeout: float, what: str) -> list[Any]:
    """The next message of every load process, which must be ``kind``."""
    values = []
    for pipe in pipes:
        if not pipe.poll(timeout):
            raise RuntimeError(f"{what}: a load process sent no {kind!r} in {timeout:.0f}s")
        got, value = pipe.recv()
        if got != kind:
            raise RuntimeError(f"{what}: a load process failed ({got}):\n{value}")
        values.append(value)
    return values


async def told(conn: Connection, expected: str) -> Any:
    """Wait, off the event loop, for the main process's next order."""
    message, value = await asyncio.to_thread(conn.recv)
    if message != expected:
        raise RuntimeError(f"expected {expected!r} from the main process, got {message!r}")
    return value


def write_record(name: str, argv: list[str] | None, record: dict[str, Any]) -> Path:
    """The JSON record, in bench/fanout.py's shape, under bench/results/."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    args = sys.argv[1:] if argv is None else argv
    head = {
        "bench": name,
        "at": stamp,
        "command": f"python -m bench.{name} " + " ".join(args),
        "params": record.pop("params"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": len(os.sched_getaffinity(0)),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(json.dumps({**head, **record}, indent=2) + "\n")
    return path


# --- ours: idle observers, each a bare WebSocket speaking our protocol ----------------------


class Observers:
    """The idle observers of one load process and what their readers saw."""

    def __init__(self) -> None:
        self.sockets: list[Any] = []
        self.readers: list[asyncio.Task[None]] = []
        self.failed: list[str] = []  # why each failed connection failed
        self.alive = 0  # connections the liveness broadcast reached
        self.all_alive = asyncio.Event()

    def heard_check(self) -> None:
        self.alive += 1
        if self.alive >= len(self.sockets):
            self.all_alive.set()


async def accept_charters(links: list[str], http: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Each observer's /api/me, its charter accepted: done before the baseline, so that
    the memory measured after counts connections, not acceptances."""
    from room.client import whoami

    limit = asyncio.Semaphore(CONCURRENT_SETUP)

    async def accepted(link: str) -> dict[str, Any]:
        async with limit:
            return await whoami(link, accept_charter=True, http=http)

    return await asyncio.gather(*(accepted(link) for link in links))


async def open_observer(link: str, session: str, observers: Observers) -> None:
    """Connect as the browser does after the charter: hello{seq: 0}, snapshot, ready;
    then a reader that only notes the liveness broadcast (a phase change)."""
    from websockets.asyncio.client import connect

    from room.client import MAX_FRAME_BYTES, parse_link

    parsed = parse_link(link)
    ws = await connect(
        parsed.ws_url(session),
        additional_headers=parsed.headers,
        compression=None,
        max_size=MAX_FRAME_BYTES,
        proxy=None,
        open_timeout=OPEN_SECONDS,
    )
    try:
        await ws.send(msgpack.packb({"t": "hello", "seq": 0, "lang": "en"}))
        async with asyncio.timeout(OPEN_SECONDS):
            while (frame := msgpack.unpackb(await ws.recv()))["t"] != "ready":
                if frame["t"] == "error":
                    raise RuntimeError(f"refused: {frame.get('code')}")
    except BaseException:
        await ws.close()
        raise

    async def read() -> None:
        with contextlib.suppress(Exception):
            async for message in ws:
                frame = msgpack.unpackb(message)
                if frame["t"] == "ev" and frame["e"].get("type") == "phase_changed":
                    observers.heard_check()

    observers.sockets.append(ws)
    observers.readers.append(asyncio.create_task(read()))


async def load_ours(spec: dict[str, Any], conn: Connection) -> dict[str, Any]:
    """One load process, ours: whole sessions, each a facilitator and its observers."""
    from room.client import RoomClient
    from room.domain.session.commands import GoToPhase

    sessions = spec["sessions"]
    links = [link for session in sessions for link in session["observers"]]
    observers = Observers()
    async with httpx.AsyncClient(timeout=60.0, trust_env=False) as http:
        who = await accept_charters(links, http)
        facilitators = [
            await RoomClient.connect(s["facilitator"], queue_events=False, http=http, timeout=60)
            for s in sessions
        ]
        try:
            conn.send(("prepared", None))
            await told(conn, "connect")
            started = time.monotonic()
            limit = asyncio.Semaphore(CONCURRENT_SETUP)

            async def opened(link: str, me: dict[str, Any]) -> str | None:
                async with limit:
                    try:
                        await open_observer(link, me["session"], observers)
                    except Exception as error:
                        observers.failed.append(f"{type(error).__name__}: {error}")
                        return None
                    return str(me["participant"])

            present = await asyncio.gather(
                *(opened(link, me) for link, me in zip(links, who, strict=True))
            )
            await seen_present(facilitators, sessions, present)
            conn.send(("established", established(observers, started)))

            await told(conn, "check")
            for facilitator in facilitators:
                await facilitator.send(GoToPhase(phase="questions"))
            conn.send(("checked", await heard_by_all(observers)))
            await told(conn, "close")
        finally:
            await close_all(observers)
            await asyncio.gather(*(f.close() for f in facilitators))
    return {}


async def seen_present(
    facilitators: list[Any], sessions: list[dict[str, Any]], present: list[str | None]
) -> None:
    """Wait until each facilitator sees its connected observers present: the server has
    then run every join and its presence event, the last work a connection brings."""
    start = 0
    for facilitator, session in zip(facilitators, sessions, strict=True):
        ids = [p for p in present[start : start + len(session["observers"])] if p is not None]
        start += len(session["observers"])

        def everyone_here(state: Any, ids: list[str] = ids) -> bool:
            return all(state.participants[p].present for p in ids if p in state.participants)

        await facilitator.wait_for(everyone_here, timeout=STEP_SECONDS)


def established(observers: Observers, started: float) -> dict[str, Any]:
    return {
        "connected": len(observers.sockets),
        "failed": len(observers.failed),
        "errors": sorted(set(observers.failed))[:5],
        "connect_s": time.monotonic() - started,
    }


async def heard_by_all(observers: Observers) -> int:
    if not observers.sockets:
        return 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CHECK_SECONDS):
            await observers.all_alive.wait()
    return observers.alive


async def close_all(observers: Observers) -> None:
    for reader in observers.readers:
        reader.cancel()
    limit = asyncio.Semaphore(256)

    async def closed(ws: Any) -> None:
        async with limit:
            with contextlib.suppress(Exception):
                await ws.close()

    await asyncio.gather(*(closed(ws) for ws in observers.sockets))


# --- the peers: idle raw sockets, bench/fanout.py's ------------------------------------------


async def load_peer(spec: dict[str, Any], conn: Connection) -> dict[str, Any]:
    """One load process, a peer: raw sockets; the first process also holds the poster."""
    socketio = spec["server"] == "sio"
    poster = Fleet({**spec, "clients": 2, "poster": True}, lambda number: None)
    if spec["poster"]:
        await open_raw(poster, socketio=socketio)  # [0] idles, [1] posts the check
    conn.send(("prepared", None))
    await told(conn, "connect")
    started = time.monotonic()
    reached = {"n": 0}
    everyone = asyncio.Event()

    def on_arrival(number: int) -> None:
        reached["n"] += 1
        if reached["n"] >= spec["clients"]:
            everyone.set()

    idle = Fleet({**spec, "poster": False}, on_arrival)
    try:
        if spec["clients"]:
            await open_raw(idle, socketio=socketio)
        conn.send(
            (
                "established",
                {"connected": spec["clients"], "failed": 0, "errors": []}
                | {"connect_s": time.monotonic() - started},
            )
        )
        await told(conn, "check")
        if spec["poster"]:
            await poster.senders[0](0)
        if spec["clients"]:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CHECK_SECONDS):
                    await everyone.wait()
        conn.send(("checked", reached["n"]))
        await told(conn, "close")
    finally:
        for close in idle.closers + poster.closers:
            with contextlib.suppress(Exception):
                await close()
    return {}


def worker(spec: dict[str, Any], conn: Connection) -> None:
    run_load(load_ours if spec["server"] == "ours" else load_peer, spec, conn)


# --- one measurement -------------------------------------------------------------------------


def session_sizes(connections: int, per_session: int) -> list[int]:
    full, rest = divmod(connections, per_session)
    return [per_session] * full + ([rest] if rest else [])


def specs_for(name: str, port: int, connections: int, args: argparse.Namespace) -> list[Any]:
    """One spec per load process. Ours: whole sessions, dealt round-robin."""
    common = {"server": name, "port": port}
    if name == "ours":
        base_url = f"http://{HOST}:{port}"
        specs: list[dict[str, Any]] = [{**common, "sessions": []} for _ in range(args.procs)]
        for number, size in enumerate(session_sizes(connections, args.per_session)):
            links = asyncio.run(invitations(base_url, 0, size))
            session = {"facilitator": links["facilitator"], "observers": links["observers"]}
            specs[number % args.procs]["sessions"].append(session)
        return [spec for spec in specs if spec["sessions"]]
    shares = [connections // args.procs + (i < connections % args.procs) for i in range(args.procs)]
    return [
        {**common, "links": [], "clients": share, "poster": i == 0}
        for i, share in enumerate(shares)
    ]


def measure(name: str, connections: int, args: argparse.Namespace, directory: Path) -> Any:
    port = free_port()
    context = multiprocessing.get_context("spawn")
    what = f"{name} N={connections}"
    with running(name, port, directory) as server:
        setup_started = time.monotonic()
        specs = specs_for(name, port, connections, args)
        pipes, processes = [], []
        for spec in specs:
            parent, child = context.Pipe()
            process = context.Process(target=worker, args=(spec, child), daemon=True)
            process.start()
            pipes.append(parent)
            processes.append(process)
        try:
            collect(pipes, "prepared", STEP_SECONDS, what)
            setup_s = time.monotonic() - setup_started
            before = settled_rss_mib(server.pid, port)
            for pipe in pipes:
                pipe.send(("connect", None))
            opened = collect(pipes, "established", STEP_SECONDS, what)
            after = settled_rss_mib(server.pid, port)
            for pipe in pipes:
                pipe.send(("check", None))
            alive = sum(collect(pipes, "checked", CHECK_SECONDS + 30, what))
            for pipe in pipes:
                pipe.send(("close", None))
            collect(pipes, "done", STEP_SECONDS, what)
        finally:
            for process in processes:
                process.join(15)
                if process.is_alive():
                    process.kill()
    connected = sum(o["connected"] for o in opened)
    return {
        "server": name,
        "connections": connections,
        "connected": connected,
        "failed": sum(o["failed"] for o in opened),
        "errors": sorted({e for o in opened for e in o["errors"]})[:5],
        "alive": alive,
        "rss_before_mib": round(before, 1),
        "rss_after_mib": round(after, 1),
        "kib_per_connection": round((after - before) * 1024 / connected, 2)
        if connected
        else math.nan,
        "setup_s": round(setup_s, 1),
        "connect_s": round(max(o["connect_s"] for o in opened), 1),
    }


# --- the report ------------------------------------------------------------------------------

FIGURES = (
    ("rss_before_mib", "RSS before MiB"),
    ("rss_after_mib", "RSS with N MiB"),
    ("kib_per_connection", "KiB / connection"),
    ("connected", "connected"),
    ("alive", "alive at the end"),
    ("setup_s", "setup s"),
    ("connect_s", "opening N s"),
)
RATIOS = ("kib_per_connection", "rss_after_mib")


def median_of(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return round(statistics.median(kept), 2) if kept else math.nan


def report(args: argparse.Namespace, runs: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Per N: each server's medians, and the ours/peer ratios (per run, then median)."""
    medians: dict[str, dict[str, Any]] = {}
    ratios: dict[str, dict[str, Any]] = {}
    for n in args.connections:
        of_n = [{s: run[s] for s in args.servers} for run in (r[str(n)] for r in runs)]
        medians[str(n)] = {
            s: {key: median_of([run[s][key] for run in of_n]) for key, _ in FIGURES}
            for s in args.servers
        }
        if "ours" not in args.servers:
            continue
        ratios[str(n)] = {}
        for peer in (s for s in args.servers if s != "ours"):
            ratios[str(n)][f"ours/{peer}"] = {
                key: median_of(
                    [run["ours"][key] / run[peer][key] for run in of_n if run[peer][key]]
                )
                for key in RATIOS
            }
    return {"medians": medians, "ratios": ratios, "targets": targets(medians)}


def targets(medians: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The issue's targets, on ours' medians."""
    verdicts: dict[str, Any] = {}
    for n, servers in medians.items():
        ours = servers.get("ours")
        if ours is None:
            continue
        verdict = {"kib_per_connection_ok": ours["kib_per_connection"] <= TARGET_KIB_PER_CONNECTION}
        if int(n) == TARGET_CONNECTIONS:
            verdict["rss_ok"] = ours["rss_after_mib"] <= TARGET_RSS_MIB
        verdicts[n] = verdict
    return verdicts


def table(summary: dict[str, Any]) -> str:
    lines = []
    width = max(len(label) for _, label in FIGURES)
    for n, servers in summary["medians"].items():
        ratios = summary["ratios"].get(n, {})
        columns = [*servers, *ratios]
        lines.append(
            f"{f'N = {n}, median of runs':<{width}}" + "".join(f"{c:>12}" for c in columns)
        )
        for key, label in FIGURES:
            cells = [servers[s][key] for s in servers] + [ratios[r].get(key, "") for r in ratios]
            lines.append(f"{label:<{width}}" + "".join(f"{c!s:>12}" for c in cells))
        verdict = summary["targets"].get(n)
        if verdict:
            per_connection = verdict["kib_per_connection_ok"]
            said = [f"≤ {TARGET_KIB_PER_CONNECTION:g} KiB/connection: {per_connection}"]
            if "rss_ok" in verdict:
                said.append(f"RSS ≤ {TARGET_RSS_MIB:g} MiB: {verdict['rss_ok']}")
            lines.append("ours, targets: " + "; ".join(said))
        lines.append("")
    return "\n".join(lines).rstrip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.idle", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--connections", default="1000,5000,10000", help="N, comma-separated")
    parser.add_argument("--per-session", type=int, default=100, help="ours: observers a session")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--procs", type=int, default=2, help="load processes")
    parser.add_argument("--servers", default=",".join(SERVERS), help="default: ours,sio,bare")
    args = parser.parse_args(argv)
    args.connections = [int(n) for n in args.connections.split(",") if n.strip()]
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if not set(args.servers) <= set(SERVERS) or not args.servers:
        parser.error(f"--servers: a comma-separated subset of {','.join(SERVERS)}")
    if min(args.connections, default=0) < 1 or min(args.runs, args.procs, args.per_session) < 1:
        parser.error("expected every N, --runs, --procs and --per-session >= 1")
    limit = raise_fd_limit()
    if max(args.connections) + 1000 > limit:
        parser.error(f"N up to {max(args.connections)} needs more open files than {limit}")

    runs: list[dict[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="room-idle-") as tmp:
        for number in range(args.runs):
            turn = number % len(args.servers)  # the order rotates: no server always first
            order = args.servers[turn:] + args.servers[:turn]
            run: dict[str, dict[str, Any]] = {}
            for n in args.connections:
                run[str(n)] = {}
                for name in order:
                    directory = Path(tmp) / f"{number}-{n}-{name}"
                    directory.mkdir()
                    figures = measure(name, n, args, directory)
                    run[str(n)][name] = figures
                    print(
                        f"run {number + 1}/{args.runs} N={n} {name:>4}: "
                        f"RSS {figures['rss_before_mib']} -> {figures['rss_after_mib']} MiB, "
                        f"{figures['kib_per_connection']} KiB/connection, "
                        f"{figures['alive']}/{figures['connected']} alive "
                        f"(setup {figures['setup_s']} s, opening {figures['connect_s']} s)",
                        flush=True,
                    )
            runs.append(run)
    summary = report(args, runs)
    print(table(summary))
    params = {k: getattr(args, k) for k in ("connections", "per_session", "runs", "procs")}
    record = {"params": {**params, "servers": args.servers}, **summary, "runs": runs}
    print(f"written: {write_record('idle', argv, record)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
