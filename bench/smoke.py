"""Smoke bench: one session, 1 facilitator + 15 members + 100 observers, members posting.

It starts its own server on 127.0.0.1, connects every participant as a RoomClient
in this one process, moves the session to the questions phase, then has the members
post questions at a steady total rate. For each post it measures the time from
send() to the post's arrival at the last of all clients, and prints delivered
events/s and p50/p99/max of that latency. The result also goes to
bench/results/smoke-<timestamp>.json.

    python -m bench.smoke --duration 5

All clients share this process's one event loop, so the latency includes their
decoding and folding: a smoke figure to catch regressions, not a capacity claim.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from room.client import ClientError, CommandRefused, RoomClient, create_session, invite, parse_link
from room.domain.session import Event, Kind, Role
from room.domain.session.commands import GoToPhase, Post, SetRoundPosting
from room.domain.session.events import ContributionPosted

HOST = "127.0.0.1"  # the bench never listens on, nor connects to, anything else
RESULTS = Path(__file__).parent / "results"
SERVER_START_SECONDS = 30.0  # the server must answer /healthz within this
SETUP_SECONDS = 120.0  # invitations, connections, the move to the questions phase
DRAIN_SECONDS = 30.0  # after the last post, for the last deliveries to arrive
STOP_SECONDS = 10.0  # between SIGTERM and SIGKILL
CONCURRENT_SETUP = 16  # invitations and connections in flight at once
TEXT_BYTES = 200  # each question's text, about
LAG_PROBE_SECONDS = 0.02

log = logging.getLogger("bench.smoke")


@dataclass
class Track:
    """One post, from its send to its arrival at every client."""

    sent: float  # perf_counter() just before send()
    acked: float | None = None
    refused: str | None = None  # the error code, when the server refused it
    arrivals: int = 0  # clients that received its event so far
    last: float = 0.0  # when the latest of them did


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    base_url: str
    log_path: Path  # its stdout and stderr, quoted when it fails to start
    process: subprocess.Popen[bytes]

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]


@contextlib.contextmanager
def server(port: int, directory: Path) -> Iterator[Server]:
    """Run ``python -m room serve`` on 127.0.0.1:port until the block ends."""
    log_path = directory / "server.log"
    command = [
        sys.executable,
        "-m",
        "room",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--db",
        str(directory / "bench.db"),
    ]
    with log_path.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield Server(f"http://{HOST}:{port}", log_path, process)
        finally:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def wait_healthy(server: Server, http: httpx.AsyncClient) -> None:
    """Poll /healthz: the server is another process, with nothing to wait on but this."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline and server.process.poll() is None:
        with contextlib.suppress(httpx.TransportError):
            if (await http.get(f"{server.base_url}/healthz")).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError(
        f"the server did not answer /healthz within {SERVER_START_SECONDS}s "
        f"(exit code {server.process.poll()}):\n{server.log_tail()}"
    )


# --- the bench -------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: a value that was actually measured."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def loop_lag(lags: list[float]) -> None:
    """Sample how late this process's event loop runs, in ms: when it lags, the clients
    read late, and the latencies measure the bench rather than the server."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(LAG_PROBE_SECONDS)
        lags.append((time.perf_counter() - before - LAG_PROBE_SECONDS) * 1000)


def question(number: int) -> str:
    """A question of about TEXT_BYTES, starting with a marker unique to the post."""
    marker = f"[bench {number:06d}]"
    filler = " Qu'est-ce qui te fait dire que la situation bloque ? Depuis quand ?"
    return (marker + filler * 4)[:TEXT_BYTES]


def marker_of(event: Event) -> str | None:
    if not isinstance(event, ContributionPosted):
        return None
    text = event.contribution.body.get("text", "")
    return text[:14] if text.startswith("[bench ") else None


async def run(args: argparse.Namespace, base_url: str, http: httpx.AsyncClient) -> dict[str, Any]:
    total = 1 + args.members + args.observers  # every client receives every post
    tracks: dict[str, Track] = {}
    window = {"events": 0, "open": False}  # events delivered while posting or draining
    progress = asyncio.Event()  # set when a post reaches its last client

    def local(link: str) -> str:
        # The server builds links from its own idea of its host; keep to 127.0.0.1.
        return f"{base_url}/j/{parse_link(link).secret}"

    def on_event(seq: int, event: Event) -> None:
        if window["open"]:
            window["events"] += 1
        marker = marker_of(event)
        track = tracks.get(marker) if marker is not None else None
        if track is not None:
            track.arrivals += 1
            track.last = time.perf_counter()
            if track.arrivals == total:
                progress.set()

    limit = asyncio.Semaphore(CONCURRENT_SETUP)

    async with asyncio.timeout(SETUP_SECONDS):
        created = await create_session(base_url, "Smoke bench", "Facilitator", http=http)
        session, facilitator_link = created["session"], local(created["link"])

        async def invited(role: Role, name: str) -> str:
            async with limit:
                answer = await invite(base_url, session, facilitator_link, role, name, http=http)
                return local(answer["link"])

        links = await asyncio.gather(
            *(invited(Role.MEMBER, f"Member {n}") for n in range(args.members)),
            *(invited(Role.OBSERVER, f"Observer {n}") for n in range(args.observers)),
        )

        async def connected(link: str) -> RoomClient:
            async with limit:
                return await RoomClient.connect(
                    link, queue_events=False, on_event=on_event, http=http, timeout=30
                )

        facilitator = await connected(facilitator_link)
        others = await asyncio.gather(*(connected(link) for link in links))
        clients = [facilitator, *others]
        members = others[: args.members]
        await facilitator.send(GoToPhase(phase="questions"))
        with contextlib.suppress(CommandRefused):  # already so: nothing to change
            await facilitator.send(SetRoundPosting(speaker_only=False))
        await asyncio.gather(
            *(c.wait_for(lambda s: s.phase == "questions", timeout=30) for c in clients)
        )

    count = max(1, round(args.rate * args.duration))
    print(f"{total} clients connected; posting {count} questions over {args.duration}s")

    async def post(number: int, client: RoomClient) -> None:
        text = question(number)
        track = tracks[text[:14]] = Track(sent=time.perf_counter())
        try:
            await client.send(Post(kind=Kind.QUESTION, body={"text": text}))
            track.acked = time.perf_counter()
        except CommandRefused as refusal:
            track.refused = refusal.code
        except ClientError as error:
            track.refused = type(error).__name__

    lags: list[float] = []
    lag_probe = asyncio.create_task(loop_lag(lags))
    window["open"] = True
    start = time.perf_counter()
    posts: list[asyncio.Task[None]] = []
    for number in range(count):
        # A steady schedule, not a closed loop: a slow server does not slow the senders.
        await asyncio.sleep(max(0.0, start + number / args.rate - time.perf_counter()))
        posts.append(asyncio.create_task(post(number, members[number % len(members)])))
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            await asyncio.gather(*posts)
            while not all(t.arrivals == total for t in tracks.values() if t.refused is None):
                await progress.wait()
                progress.clear()
    for task in posts:
        task.cancel()
    window["open"] = False
    lag_probe.cancel()

    accepted = [t for t in tracks.values() if t.refused is None]
    complete = [t for t in accepted if t.arrivals == total]
    end = max((t.last for t in complete), default=time.perf_counter())
    latencies = [(t.last - t.sent) * 1000 for t in complete]
    acks = [(t.acked - t.sent) * 1000 for t in accepted if t.acked is not None]
    refusals: dict[str, int] = {}
    for t in tracks.values():
        if t.refused is not None:
            refusals[t.refused] = refusals.get(t.refused, 0) + 1
    seqs = {c.seq for c in clients}
    failed = [c.participant for c in clients if c.failure is not None]
    await asyncio.gather(*(c.close() for c in clients))
    elapsed = end - start
    return {
        "clients": total,
        "posts": count,
        "accepted": len(accepted),
        "refused": refusals,
        "complete": len(complete),
        "deliveries": sum(t.arrivals for t in tracks.values()),
        "window_s": round(elapsed, 3),
        "events_per_s": round(window["events"] / elapsed, 1) if elapsed > 0 else None,
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(max(latencies, default=math.nan), 1),
        },
        "ack_ms": {"p50": round(percentile(acks, 50), 1), "p99": round(percentile(acks, 99), 1)},
        "client_loop_lag_ms": {"p99": round(percentile(lags, 99), 1), "max": round(max(lags), 1)},
        "reconnects": sum(c.connections - 1 for c in clients),
        "clients_failed": failed,
        "clients_agree": len(seqs) == 1,  # every client ends at the same seq
    }


def table(result: dict[str, Any]) -> str:
    latency = result["latency_ms"]
    rows = [
        ("clients", result["clients"]),
        ("posts (accepted)", f"{result['posts']} ({result['accepted']})"),
        ("refused", result["refused"] or 0),
        ("reached every client", result["complete"]),
        ("deliveries", result["deliveries"]),
        ("delivered events/s", result["events_per_s"]),
        ("latency to last client p50 ms", latency["p50"]),
        ("latency to last client p99 ms", latency["p99"]),
        ("latency to last client max ms", latency["max"]),
        ("ack p50 / p99 ms", f"{result['ack_ms']['p50']} / {result['ack_ms']['p99']}"),
        ("bench loop lag p99 / max ms", "{p99} / {max}".format(**result["client_loop_lag_ms"])),
        ("reconnects", result["reconnects"]),
        ("clients failed", len(result["clients_failed"])),
        ("clients agree on seq", result["clients_agree"]),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    port = args.port or free_port()
    with tempfile.TemporaryDirectory(prefix="room-bench-") as directory:
        with server(port, Path(directory)) as running:
            limits = httpx.Limits(max_connections=CONCURRENT_SETUP * 2)
            async with httpx.AsyncClient(timeout=30.0, trust_env=False, limits=limits) as http:
                await wait_healthy(running, http)
                budget = SERVER_START_SECONDS + SETUP_SECONDS + args.duration + DRAIN_SECONDS
                async with asyncio.timeout(budget + 30):
                    return await run(args, running.base_url, http)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.smoke", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of posting")
    parser.add_argument("--rate", type=float, default=30.0, help="posts per second, in all")
    parser.add_argument("--members", type=int, default=15)
    parser.add_argument("--observers", type=int, default=100)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args(argv)
    if args.members < 1 or args.rate <= 0 or args.duration <= 0 or args.observers < 0:
        parser.error("expected --members >= 1, --observers >= 0, --rate and --duration > 0")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    result = asyncio.run(main_async(args))
    print(table(result))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = {
        "bench": "smoke",
        "at": stamp,
        "params": {k: getattr(args, k) for k in ("duration", "rate", "members", "observers")},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": len(os.sched_getaffinity(0)),
        "result": result,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"smoke-{stamp}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written: {path}")
    ok = not result["clients_failed"] and result["complete"] == result["accepted"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
