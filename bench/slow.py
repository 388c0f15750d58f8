"""Slow-consumer bench: some observers stop reading; what happens to everyone else, and to them.

Issue 8, workload 4. bench/fanout.py's demonstration session (1 facilitator, 15 members
posting ~200-byte contributions at a steady ``--rate``, 20/s, and ``--observers`` 200),
on each server in turn (ours, python-socketio, bare websockets; each its own process,
the order rotating from run to run). Posting runs through two phases:

- baseline (``--baseline`` s, 10): everyone reads;
- slow (``--duration`` s, 60): a ``--slow`` fraction (5 %) of the observers stop reading,
  as a frozen laptop does: the client's transport stops reading (``pause_reading()``,
  its own keepalive pings stopped too), so the server's TCP send buffer fills up.

Then posting stops, the slow clients read again and the bench waits (bounded) for them.
Per server, it reports:

- the HEALTHY clients' latency (send to arrival at the last healthy client), p50/p99 per
  phase: a slow minority must not move it;
- the server's RSS, sampled every 0.25 s: before, its max in the slow phase, its growth
  over the slow phase's second half ("flat" under 1 MiB, or 2 %). Ours keeps every post,
  so its RSS grows with the session whoever reads: ``--slow 0``, the same run with nobody
  slow, is the control to hold it against;
- for each slow client, when the server gave up on it, from the moment it stopped
  reading, seen three ways: the last post the server wrote to it before its close (what
  the client reads once it wakes, to within 1/rate), the server's TCP socket leaving
  ESTABLISHED (/proc/net/tcp), and for ours the room's ``disconnected`` event for it;
  the close code it finally reads; how much the kernel held for it (the server socket's
  send queue, the client socket's receive queue);
- whether it resumes cleanly. Ours: the RoomClient reconnects with ``hello{seq}``; once
  it holds the room's last seq, its contributions must equal a healthy observer's, with
  no gap (RoomClient fails on one) and no event twice. The peers store nothing to resume
  from: the bench counts the posts the slow client never got, and any it got twice.

    python -m bench.slow                                   # 200 observers, 5 % slow, 3 runs
    python -m bench.slow --slow 0                          # the control: nobody slow
    python -m bench.slow --observers 1000 --duration 90

Each figure is the median of ``--runs``; each ratio ours/peer is taken within one run,
then its median.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import msgpack

from bench.fanout import (
    CONCURRENT_SETUP,
    SERVERS,
    Fleet,
    Posts,
    invitations,
    open_ours,
    open_raw,
    run_load,
    running,
    socketio_handshake,
)
from bench.idle import collect, raise_fd_limit, rss_mib, told, write_record
from bench.smoke import HOST, free_port, marker_of, percentile

SETUP_SECONDS = 180.0  # invitations and connections, every load process
DRAIN_SECONDS = 15.0  # after the last post, for the healthy clients' last deliveries
RESUME_SECONDS = 60.0  # after waking up, for a slow client to be up to date (or closed)
SAMPLE_SECONDS = 0.25  # between two readings of the server's RSS and TCP sockets
PLATEAU_MIB = 1.0  # RSS growth over the slow phase's second half under which it is flat
PLATEAU_SHARE = 0.02  # …or under this share of the RSS, whichever is larger
TCP_STATES = {1: "ESTABLISHED", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE"}
TCP_STATES |= {8: "CLOSE_WAIT", 9: "LAST_ACK", 11: "CLOSING"}


# --- a slow client: a WebSocket whose reading stops and starts again -------------------------


def freeze(ws: Any) -> None:
    """Stop reading, like a laptop whose lid closed: its keepalive pings stop as well,
    or the client would time out the server before the server times out the client."""
    if ws.keepalive_task is not None:
        ws.keepalive_task.cancel()
    ws.transport.pause_reading()


def thaw(ws: Any) -> None:
    with contextlib.suppress(Exception):  # the server may have aborted it meanwhile
        ws.transport.resume_reading()


@dataclass
class Slow:
    """One slow client: its first connection, and what it read on it and after."""

    name: str  # participant id (ours) or a number (peers)
    ws: Any  # the first connection, the one that is frozen
    port: int  # that connection's local port, for /proc/net/tcp
    arrivals: list[tuple[int, float, int]] = field(default_factory=list)  # number, at, connection
    frozen: bool = False
    close: tuple[int | None, str] | None = None  # what the first connection ended with
    caught_up_at: float | None = None  # up to date again after waking up
    left_room_at: float | None = None  # ours: the room's disconnected event for it
    resumed: dict[str, Any] = field(default_factory=dict)  # what it lost, got twice, …

    def on_arrival(self, number: int, connection: int) -> None:
        self.arrivals.append((number, time.monotonic(), connection))

    def record(self) -> dict[str, Any]:
        first = [number for number, _, connection in self.arrivals if connection == 1]
        return {
            "name": self.name,
            "port": self.port,
            "frozen": self.frozen,
            "numbers_first": sorted(first),
            "numbers": [number for number, _, _ in self.arrivals],
            "close": self.close,
            "caught_up_at": self.caught_up_at,
            "left_room_at": self.left_room_at,
            **self.resumed,
        }


class Duplicates(logging.Handler):
    """Counts the events a RoomClient skipped as already held (it only logs them)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.by_participant: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith("%s: duplicate event") and record.args:
            self.by_participant[str(record.args[0])] += 1  # type: ignore[index]


def bench_number(event: Any) -> int | None:
    marker = marker_of(event)
    return int(marker[7:13]) if marker else None


def numbers_in(state: Any) -> set[int]:
    texts = (c.body.get("text", "") for c in state.contributions.values())
    return {int(text[7:13]) for text in texts if text.startswith("[bench ")}


# --- ours: the slow observers are RoomClients, compared with a healthy one ------------------


class OursSide:
    """A listener process's slow RoomClients and the healthy reference they are checked
    against (a healthy observer like the others, its arrivals counted with theirs)."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.reference: Any = None
        self.clients: list[Any] = []
        self.slow: list[Slow] = []
        self.duplicates = Duplicates()
        logging.getLogger("room.client").addHandler(self.duplicates)

    async def open(self, reference: str, links: list[str]) -> None:
        from room.client import RoomClient
        from room.domain.session.events import Disconnected

        def on_reference(seq: int, event: Any) -> None:
            number = bench_number(event)
            if number is not None:
                self.fleet.on_arrival(number)
            elif isinstance(event, Disconnected):
                for slow in self.slow:
                    if slow.name == event.participant and slow.left_room_at is None:
                        slow.left_room_at = time.monotonic()

        self.reference = await RoomClient.connect(
            reference, queue_events=False, on_event=on_reference, timeout=60
        )
        limit = asyncio.Semaphore(CONCURRENT_SETUP)

        async def connected(link: str) -> None:
            holder: list[Slow] = []

            def on_event(seq: int, event: Any) -> None:
                number = bench_number(event)
                if number is not None and holder:
                    holder[0].on_arrival(number, client.connections)

            async with limit:
                client = await RoomClient.connect(
                    link, queue_events=False, on_event=on_event, timeout=60
                )
            ws = client._ws  # noqa: SLF001 - the socket to freeze; RoomClient has no accessor
            holder.append(Slow(client.participant, ws, ws.local_address[1]))
            self.clients.append(client)
            self.slow.append(holder[0])

        await asyncio.gather(*(connected(link) for link in links))

    async def wake(self) -> None:
        """Read again, and wait (bounded) until each is where the room was at waking."""
        if self.reference is None:
            return
        target = self.reference.seq
        for slow in self.slow:
            thaw(slow.ws)

        async def caught_up(client: Any, slow: Slow) -> None:
            with contextlib.suppress(Exception):  # a failure is reported by compare()
                await client.wait_seq(target, timeout=RESUME_SECONDS)
                slow.caught_up_at = time.monotonic()

        await asyncio.gather(
            *(caught_up(c, s) for c, s in zip(self.clients, self.slow, strict=True))
        )

    async def compare(self) -> None:
        """Once the posting is over: each slow client against the reference."""
        if self.reference is None:
            return
        final = self.reference.seq
        expected = numbers_in(self.reference.state)
        for client, slow in zip(self.clients, self.slow, strict=True):
            with contextlib.suppress(Exception):
                await client.wait_seq(final, timeout=RESUME_SECONDS)
            first = slow.ws
            slow.close = (first.close_code, first.close_reason or "") if first.close_code else None
            got = numbers_in(client.state)
            slow.resumed = {
                "connections": client.connections,
                "snapshots_on_resume": client.snapshots - 1,  # the first: hello{seq: 0}
                "seq": client.seq,
                "final_seq": final,
                "failure": str(client.failure) if client.failure else None,
                "lost": len(expected - got),
                "extra": len(got - expected),
                "doubled": self.duplicates.by_participant[client.participant],
                "same_contributions": client.state.contributions
                == self.reference.state.contributions,
            }

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in [*self.clients, self.reference] if c))


# --- the peers: slow raw sockets, which cannot resume ----------------------------------------


class PeerSide:
    """A listener process's slow raw sockets (sio or bare), each with its reader."""

    def __init__(self, port: int, socketio: bool) -> None:
        self.port = port
        self.socketio = socketio
        self.slow: list[Slow] = []
        self.readers: list[asyncio.Task[None]] = []
        self.settled: list[asyncio.Event] = []  # per slow client: got the last post, or closed
        self.last = -1  # the last post's number, once known

    async def open(self, count: int) -> None:
        from websockets.asyncio.client import connect

        base = f"ws://{HOST}:{self.port}"
        url = f"{base}/socket.io/?EIO=4&transport=websocket" if self.socketio else f"{base}/"
        for number in range(count):
            ws = await connect(url, compression=None, max_size=None, proxy=None, open_timeout=30)
            if self.socketio:
                await socketio_handshake(ws)
            slow = Slow(str(number), ws, ws.local_address[1])
            settled = asyncio.Event()
            self.slow.append(slow)
            self.settled.append(settled)
            self.readers.append(asyncio.create_task(self.read(slow, settled)))

    async def read(self, slow: Slow, settled: asyncio.Event) -> None:
        from websockets.exceptions import ConnectionClosed

        ws = slow.ws
        try:
            while True:
                message = await ws.recv()
                if isinstance(message, str):
                    if message == "2":  # Engine.IO ping: a live reader answers
                        await ws.send("3")
                    continue
                frame = msgpack.unpackb(message)
                if self.socketio:
                    if frame.get("type") != 2:
                        continue
                    frame = frame["data"][1]
                slow.on_arrival(frame["n"], 1)
                if frame["n"] == self.last:
                    slow.caught_up_at = time.monotonic()
                    settled.set()
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else 1006
            slow.close = (code, closed.rcvd.reason if closed.rcvd else "no close frame")
        finally:
            settled.set()

    async def wake(self, last: int) -> None:
        """Read again; wait (bounded) until each got the last post or was closed."""
        self.last = last
        for slow, settled in zip(self.slow, self.settled, strict=True):
            if any(number == last for number, _, _ in slow.arrivals):
                slow.caught_up_at = time.monotonic()
                settled.set()
            thaw(slow.ws)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(RESUME_SECONDS):
                await asyncio.gather(*(settled.wait() for settled in self.settled))

    async def compare(self) -> None:
        for slow in self.slow:
            got = Counter(number for number, _, _ in slow.arrivals)
            last_read = max(got, default=-1)
            slow.resumed = {
                "lost": sum(1 for n in range(self.last + 1) if n not in got),
                # Posts skipped while its connection was still delivering later ones.
                "dropped_while_open": sum(1 for n in range(last_read) if n not in got),
                "doubled": sum(count - 1 for count in got.values() if count > 1),
            }

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*(s.ws.close() for s in self.slow), return_exceptions=True)


# --- a load process --------------------------------------------------------------------------


async def load(spec: dict[str, Any], conn: Connection) -> dict[str, Any]:
    """Connect, say ready, wait for go; post (the poster), freeze and wake (the slow)."""
    count = spec["count"]
    arrivals: dict[int, list[float]] = {}  # number -> [healthy arrivals here, the last one's at]
    complete = {"n": 0}
    done = asyncio.Event()
    here = {"n": 0}

    def on_arrival(number: int) -> None:
        now = time.monotonic()
        seen = arrivals.setdefault(number, [0, now])
        seen[0] += 1
        seen[1] = now
        if seen[0] == here["n"]:
            complete["n"] += 1
            if complete["n"] == count:
                done.set()

    fleet, side = await open_load(spec, on_arrival)
    here["n"] = len(fleet.spec["links"]) if spec["server"] == "ours" else fleet.spec["clients"]
    here["n"] += 1 if spec["server"] == "ours" and spec["slow_links"] else 0  # the reference
    conn.send(("ready", {"healthy": here["n"], "slow_ports": [s.port for s in side.slow]}))
    start = await told(conn, "go")
    pause_at = start + spec["baseline"]
    wake_at = pause_at + spec["duration"]
    try:
        sent, refused, posts = await post_and_freeze(spec, fleet, side, start, pause_at, wake_at)
        if isinstance(side, OursSide):
            await side.wake()
        else:
            await side.wake(count - 1)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, wake_at + DRAIN_SECONDS - time.monotonic())):
                await done.wait()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.gather(*posts, return_exceptions=True)
        await side.compare()
        return {
            "healthy": here["n"],
            "arrivals": {n: tuple(a) for n, a in arrivals.items()},
            "sent": sent,
            "refused": refused,
            "slow": [slow.record() for slow in side.slow],
        }
    finally:
        for close in fleet.closers:
            with contextlib.suppress(Exception):
                await close()
        with contextlib.suppress(Exception):
            await side.close()


async def open_load(spec: dict[str, Any], on_arrival: Any) -> tuple[Fleet, Any]:
    """The healthy clients (bench/fanout.py's), then the slow ones and their reference."""
    if spec["server"] == "ours":
        links = spec["links"]
        if spec["slow_links"] and not links:
            raise ValueError(
                "a load process with slow observers needs a healthy one: more --observers"
            )
        reference, healthy = (links[0], links[1:]) if spec["slow_links"] else (None, links)
        fleet = Fleet({**spec, "links": healthy}, on_arrival)
        await open_ours(fleet)
        side: Any = OursSide(fleet)
        if reference is not None:
            await side.open(reference, spec["slow_links"])
        return fleet, side
    fleet = Fleet(spec, on_arrival)
    await open_raw(fleet, socketio=spec["server"] == "sio")
    side = PeerSide(spec["port"], socketio=spec["server"] == "sio")
    await side.open(spec["slow"])
    return fleet, side


async def post_and_freeze(
    spec: dict[str, Any], fleet: Fleet, side: Any, start: float, pause_at: float, wake_at: float
) -> tuple[dict[int, float], dict[int, str], list[asyncio.Task[None]]]:
    """The poster posts on a steady schedule, whatever the server does; the slow clients
    stop reading at ``pause_at``; both until ``wake_at``."""
    posts = Posts()

    async def freeze_at_pause() -> None:
        await asyncio.sleep(max(0.0, pause_at - time.monotonic()))
        for slow in side.slow:
            with contextlib.suppress(Exception):  # its socket dropped before: not frozen
                freeze(slow.ws)
                slow.frozen = True

    freezing = asyncio.create_task(freeze_at_pause())
    if spec["poster"]:
        for number in range(spec["count"]):
            await asyncio.sleep(max(0.0, start + number / spec["rate"] - time.monotonic()))
            posts.start(number, fleet.senders[number % len(fleet.senders)])
    await freezing
    await asyncio.sleep(max(0.0, wake_at - time.monotonic()))
    return posts.sent, posts.refused, posts.tasks


def worker(spec: dict[str, Any], conn: Connection) -> None:
    run_load(load, spec, conn)


# --- the main process: the server's memory and sockets, sampled ------------------------------


class Sampler(threading.Thread):
    """Reads the server's RSS and the slow clients' TCP sockets every SAMPLE_SECONDS."""

    def __init__(self, pid: int, port: int, slow_ports: list[int]) -> None:
        super().__init__(daemon=True)
        self.pid, self.port, self.slow_ports = pid, port, set(slow_ports)
        self.rss: list[tuple[float, float]] = []  # (at, MiB)
        self.server_side: dict[int, list[tuple[float, str, int]]] = {}  # port -> state, tx
        self.client_side: dict[int, list[tuple[float, int]]] = {}  # port -> rx
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(SAMPLE_SECONDS):
            now = time.monotonic()
            with contextlib.suppress(OSError, ValueError):
                self.rss.append((now, rss_mib(self.pid)))
            seen = set()
            for local, remote, state, tx, rx in tcp_sockets(self.port):
                if local == self.port and remote in self.slow_ports:
                    self.server_side.setdefault(remote, []).append((now, state, tx))
                    seen.add(remote)
                elif remote == self.port and local in self.slow_ports:
                    self.client_side.setdefault(local, []).append((now, rx))
            for port in self.slow_ports - seen:  # gone from the table: closed for good
                self.server_side.setdefault(port, []).append((now, "gone", 0))


def tcp_sockets(port: int) -> list[tuple[int, int, str, int, int]]:
    """IPv4 sockets with ``port`` at one end: local, remote, state, tx and rx queues."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(fields[i].rsplit(":", 1)[1], 16) for i in (1, 2))
        if port not in (local, remote):
            continue
        tx, rx = (int(q, 16) for q in fields[4].split(":"))
        state = TCP_STATES.get(int(fields[3], 16), fields[3])
        found.append((local, remote, state, tx, rx))
    return found


# --- one measurement -------------------------------------------------------------------------


def specs_for(name: str, port: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The poster's spec, then one per listener process; the slow observers dealt out
    round-robin, so that each listener process holds some when there are enough."""
    count = max(1, round(args.rate * (args.baseline + args.duration)))
    common = {"server": name, "port": port, "count": count, "rate": args.rate}
    common |= {"baseline": args.baseline, "duration": args.duration}
    slow_count = round(args.observers * args.slow)
    shares: list[list[tuple[bool, int]]] = [[] for _ in range(args.procs)]
    for number in range(args.observers):
        shares[number % args.procs].append((number < slow_count, number))
    if name == "ours":
        links = asyncio.run(invitations(f"http://{HOST}:{port}", args.members, args.observers))
        observers = links["observers"]
        specs = [
            {**common, "poster": True, "links": [links["facilitator"], *links["members"]]}
            | {"slow_links": []}
        ]
        for share in shares:
            healthy = [observers[n] for slow, n in share if not slow]
            slow_links = [observers[n] for slow, n in share if slow]
            specs.append({**common, "poster": False, "links": healthy, "slow_links": slow_links})
        return specs
    specs = [{**common, "poster": True, "links": [], "clients": 1 + args.members, "slow": 0}]
    for share in shares:
        slow = sum(1 for is_slow, _ in share if is_slow)
        specs.append({**common, "poster": False, "links": [], "clients": len(share) - slow})
        specs[-1]["slow"] = slow
    return specs


def measure(name: str, args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    port = free_port()
    context = multiprocessing.get_context("spawn")
    with running(name, port, directory) as server:
        specs = specs_for(name, port, args)
        pipes, processes = [], []
        for spec in specs:
            parent, child = context.Pipe()
            process = context.Process(target=worker, args=(spec, child), daemon=True)
            process.start()
            pipes.append(parent)
            processes.append(process)
        try:
            ready = collect(pipes, "ready", SETUP_SECONDS, name)
            sampler = Sampler(server.pid, port, [p for r in ready for p in r["slow_ports"]])
            sampler.start()
            start = time.monotonic() + 0.5
            for pipe in pipes:
                pipe.send(("go", start))
            span = args.baseline + args.duration + DRAIN_SECONDS + 2 * RESUME_SECONDS + 60
            results = collect(pipes, "done", span, name)
            sampler.stopping.set()
            sampler.join()
        finally:
            for process in processes:
                process.join(15)
                if process.is_alive():
                    process.kill()
    return summarize(name, args, results, sampler, start)


# --- the figures of one measurement ---------------------------------------------------------


def summarize(
    name: str,
    args: argparse.Namespace,
    results: list[dict[str, Any]],
    sampler: Sampler,
    start: float,
) -> dict[str, Any]:
    pause_at = start + args.baseline
    wake_at = pause_at + args.duration
    sent = results[0]["sent"]
    return {
        "server": name,
        **latencies(results, sent, pause_at, wake_at),
        **memory(sampler.rss, pause_at, wake_at),
        **slow_clients(results, sent, sampler, pause_at, wake_at),
    }


def latencies(
    results: list[dict[str, Any]], sent: dict[int, float], pause_at: float, wake_at: float
) -> dict[str, Any]:
    """Send to arrival at the last healthy client, per phase, for posts every healthy
    client got; and how many posts some healthy client missed."""
    total = sum(result["healthy"] for result in results)
    merged: dict[int, list[float]] = {}
    for result in results:
        for number, (count, last) in result["arrivals"].items():
            seen = merged.setdefault(number, [0, 0.0])
            seen[0] += count
            seen[1] = max(seen[1], last)
    figures: dict[str, Any] = {"healthy": total, "posts": len(sent)}
    for phase, low, high in (("baseline", -math.inf, pause_at), ("slow", pause_at, wake_at)):
        numbers = [n for n, at in sent.items() if low <= at < high]
        complete = [n for n in numbers if merged.get(n, [0])[0] == total]
        ms = [(merged[n][1] - sent[n]) * 1000 for n in complete]
        figures[f"{phase}_p50_ms"] = round(percentile(ms, 50), 2)
        figures[f"{phase}_p99_ms"] = round(percentile(ms, 99), 2)
        figures[f"{phase}_incomplete"] = len(numbers) - len(complete)
    # Where a p99 moved: the worst latency of the posts sent in each second.
    worst: dict[int, float] = {}
    for n in (n for n in sent if merged.get(n, [0])[0] == total):
        second = math.floor(sent[n] - pause_at)
        worst[second] = max(worst.get(second, 0.0), (merged[n][1] - sent[n]) * 1000)
    figures["worst_ms_by_second"] = sorted((s, round(ms, 1)) for s, ms in worst.items())
    return figures


def memory(rss: list[tuple[float, float]], pause_at: float, wake_at: float) -> dict[str, Any]:
    """RSS when the slow clients stopped, its peak while they were stopped, and its growth
    over the slow phase's second half: flat (under PLATEAU_MIB, or PLATEAU_SHARE of the
    RSS) when what the server holds for them has stopped growing. A server that keeps
    every post grows with its session whoever reads: a ``--slow 0`` run is the control."""
    before = [mib for at, mib in rss if at < pause_at]
    during = [(at, mib) for at, mib in rss if pause_at <= at < wake_at]
    half = [mib for at, mib in during if at >= (pause_at + wake_at) / 2]
    growth = statistics.median(half[-4:]) - statistics.median(half[:4]) if half else math.nan
    peak = max((mib for _, mib in during), default=math.nan)
    return {
        "rss_before_mib": round(before[-1], 1) if before else math.nan,
        "rss_slow_max_mib": round(peak, 1),
        "rss_last_half_growth_mib": round(growth, 1),
        "rss_flat": bool(growth <= max(PLATEAU_MIB, PLATEAU_SHARE * peak)),
        "rss_after_wake_mib": round(rss[-1][1], 1) if rss else math.nan,
        "rss_series": [(round(at - pause_at, 2), round(mib, 1)) for at, mib in rss[::4]],
    }


def slow_clients(
    results: list[dict[str, Any]],
    sent: dict[int, float],
    sampler: Sampler,
    pause_at: float,
    wake_at: float,
) -> dict[str, Any]:
    """Per slow client, then their medians and counts (all times from ``pause_at``)."""
    last_post = max(sent, default=-1)
    clients = []
    for slow in (s for result in results for s in result["slow"]):
        first = slow["numbers_first"]
        # The server wrote nothing to it after its close: the last post it read on its first
        # connection dates the close, unless that connection carried every post.
        stopped = sent[first[-1]] - pause_at if first and first[-1] != last_post else None
        states = sampler.server_side.get(slow["port"], [])
        gone = next(((at, state) for at, state, _ in states if state != "ESTABLISHED"), None)
        rx = [q for _, q in sampler.client_side.get(slow["port"], [])]
        clients.append(
            {
                **{k: v for k, v in slow.items() if k not in ("numbers", "numbers_first")},
                "stopped_after_s": round(stopped, 2) if stopped is not None else None,
                "socket_closed_after_s": round(gone[0] - pause_at, 2) if gone else None,
                "socket_state": gone[1] if gone else "ESTABLISHED",
                "server_sendq_max_kib": round(max((t for _, _, t in states), default=0) / 1024, 1),
                "client_recvq_max_kib": round(max(rx, default=0) / 1024, 1),
                "left_room_after_s": round(slow["left_room_at"] - pause_at, 2)
                if slow["left_room_at"]
                else None,
                "caught_up_s": round(slow["caught_up_at"] - wake_at, 2)
                if slow["caught_up_at"]
                else None,
            }
        )
    return {"slow_clients": len(clients), **aggregate(clients), "clients": clients}


def aggregate(clients: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float:
        values = [c[key] for c in clients if c.get(key) is not None]
        return round(statistics.median(values), 2) if values else math.nan

    closed = [c for c in clients if c["stopped_after_s"] is not None]
    resumable = any("same_contributions" in c for c in clients)  # ours; the peers cannot
    clean = [
        c
        for c in clients
        if c.get("lost") == 0
        and c.get("doubled") == 0
        and c.get("same_contributions", True)
        and not c.get("failure")
    ]
    codes = Counter(str(c["close"][0]) if c["close"] else "none" for c in clients)
    return {
        "closed": len(closed),
        "closed_after_s": median("stopped_after_s"),
        "closed_after_max_s": max((c["stopped_after_s"] for c in closed), default=math.nan),
        "sockets_closed": sum(1 for c in clients if c["socket_closed_after_s"] is not None),
        "socket_closed_after_s": median("socket_closed_after_s"),
        "left_room": sum(1 for c in clients if c["left_room_after_s"] is not None),
        "left_room_after_s": median("left_room_after_s"),
        "close_codes": dict(codes),
        "caught_up_s": median("caught_up_s"),
        "lost": sum(c.get("lost", 0) for c in clients),
        "doubled": sum(c.get("doubled", 0) for c in clients),
        "dropped_while_open": sum(c.get("dropped_while_open", 0) for c in clients),
        "resumed_clean": len(clean) if resumable else math.nan,
        "kernel_kib_max": max(
            (c["server_sendq_max_kib"] + c["client_recvq_max_kib"] for c in clients), default=0
        ),
    }


# --- the report ------------------------------------------------------------------------------

FIGURES = (
    ("baseline_p50_ms", "healthy p50 ms, baseline"),
    ("baseline_p99_ms", "healthy p99 ms, baseline"),
    ("slow_p50_ms", "healthy p50 ms, slow phase"),
    ("slow_p99_ms", "healthy p99 ms, slow phase"),
    ("slow_incomplete", "posts a healthy one missed"),
    ("rss_before_mib", "server RSS MiB, before"),
    ("rss_slow_max_mib", "server RSS MiB, slow max"),
    ("rss_last_half_growth_mib", "RSS growth, 2nd half MiB"),
    ("rss_after_wake_mib", "server RSS MiB, after"),
    ("slow_clients", "slow clients"),
    ("closed", "closed by the server"),
    ("closed_after_s", "closed after s (median)"),
    ("closed_after_max_s", "closed after s (max)"),
    ("sockets_closed", "TCP socket closed"),
    ("socket_closed_after_s", "TCP closed after s"),
    ("left_room", "ours: left the room"),
    ("left_room_after_s", "ours: left the room after s"),
    ("kernel_kib_max", "kernel-held KiB, max"),
    ("caught_up_s", "caught up s after waking"),
    ("resumed_clean", "resumed cleanly"),
    ("lost", "posts lost, all slow"),
    ("dropped_while_open", "…of which skipped while open"),
    ("doubled", "posts doubled, all slow"),
)
RATIOS = ("baseline_p99_ms", "slow_p99_ms", "rss_slow_max_mib")


def median_of(values: list[Any]) -> Any:
    kept = [v for v in values if isinstance(v, int | float) and not math.isnan(v)]
    return round(statistics.median(kept), 2) if kept else math.nan


def report(args: argparse.Namespace, runs: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    servers = [s for s in args.servers if all(s in run for run in runs)]
    medians: dict[str, dict[str, Any]] = {}
    for s in servers:
        medians[s] = {key: median_of([run[s][key] for run in runs]) for key, _ in FIGURES}
        medians[s]["rss_flat"] = sum(run[s]["rss_flat"] for run in runs)
        medians[s]["close_codes"] = dict(
            sum((Counter(run[s]["close_codes"]) for run in runs), Counter())
        )
    ratios: dict[str, dict[str, float]] = {}
    for peer in (s for s in servers if s != "ours" and "ours" in servers):
        ratios[f"ours/{peer}"] = {
            key: median_of([run["ours"][key] / run[peer][key] for run in runs if run[peer][key]])
            for key in RATIOS
        }
    return {"medians": medians, "ratios": ratios}


def table(summary: dict[str, Any], runs: int) -> str:
    medians, ratios = summary["medians"], summary["ratios"]
    columns = [*medians, *ratios]
    width = max(len(label) for _, label in FIGURES)
    lines = [f"{'median of runs':<{width}}" + "".join(f"{c:>12}" for c in columns)]
    for key, label in FIGURES:
        cells = [medians[s][key] for s in medians] + [ratios[r].get(key, "") for r in ratios]
        lines.append(f"{label:<{width}}" + "".join(f"{c!s:>12}" for c in cells))
    flat = [f"{medians[s]['rss_flat']}/{runs}" for s in medians]
    lines.append(f"{'RSS flat in 2nd half, runs':<{width}}" + "".join(f"{c:>12}" for c in flat))
    for s in medians:
        codes = ", ".join(f"{code}×{n}" for code, n in medians[s]["close_codes"].items())
        lines.append(f"{s}: close codes the slow clients read, all runs: {codes}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.slow", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--observers", type=int, default=200)
    parser.add_argument("--members", type=int, default=15)
    parser.add_argument("--slow", type=float, default=0.05, help="share of observers that stop")
    parser.add_argument("--rate", type=float, default=20.0, help="contributions per second, in all")
    parser.add_argument("--baseline", type=float, default=10.0, help="seconds, nobody slow")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the slow phase")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--procs", type=int, default=2, help="listener processes")
    parser.add_argument("--servers", default=",".join(SERVERS), help="default: ours,sio,bare")
    args = parser.parse_args(argv)
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if not set(args.servers) <= set(SERVERS) or not args.servers:
        parser.error(f"--servers: a comma-separated subset of {','.join(SERVERS)}")
    if min(args.members, args.procs, args.runs) < 1 or args.rate <= 0 or args.duration <= 0:
        parser.error("expected --members, --procs, --runs >= 1, --rate and --duration > 0")
    if not 0 <= round(args.observers * args.slow) < args.observers:
        parser.error("--slow: a share of the observers, not all of them (0: the control)")
    raise_fd_limit()

    runs: list[dict[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="room-slow-") as tmp:
        for number in range(args.runs):
            turn = number % len(args.servers)  # the order rotates: no server always first
            order = args.servers[turn:] + args.servers[:turn]
            run = {}
            for name in order:
                directory = Path(tmp) / f"{number}-{name}"
                directory.mkdir()
                run[name] = figures = measure(name, args, directory)
                resumed = "n/a" if name != "ours" else figures["resumed_clean"]
                print(
                    f"run {number + 1}/{args.runs} {name:>4}: healthy p99 "
                    f"{figures['baseline_p99_ms']} -> {figures['slow_p99_ms']} ms; "
                    f"RSS {figures['rss_before_mib']} -> max {figures['rss_slow_max_mib']} MiB; "
                    f"{figures['closed']}/{figures['slow_clients']} closed after "
                    f"{figures['closed_after_s']} s (codes {figures['close_codes']}); "
                    f"resumed cleanly: {resumed}, {figures['lost']} posts lost",
                    flush=True,
                )
            runs.append(run)
    summary = report(args, runs)
    print(table(summary, args.runs))
    params = ("observers", "members", "slow", "rate", "baseline", "duration", "runs", "procs")
    record = {"params": {k: getattr(args, k) for k in params} | {"servers": args.servers}}
    print(f"written: {write_record('slow', argv, {**record, **summary, 'runs': runs})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
