"""Recovery bench: a client that missed K events resumes; how long until it is up to date.

Ours only (the peers store nothing to resume from). The server runs as its own process
(``python -m room serve`` on a fresh SQLite file). For each K (10, 100, 1,000 by default)
and each run, in a fresh session: an observer connects on a raw WebSocket (``hello{seq:
0}``, reads up to ``ready``) and closes; a member posts K contributions of about 200 bytes
(RoomClient, 32 in flight); the observer connects again with ``hello{seq: held}`` and the
bench times, from the start of the handshake, the socket open and the ``ready`` frame that
follows the missed ``ev`` frames. For reference, a newcomer's ``hello{seq: 0}`` (one
snapshot of the same session) is timed right after. Each figure is the median of ``--runs``.

    python -m bench.recovery                 # K = 10, 100, 1000; 5 runs
    python -m bench.recovery --k 10,100 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgpack
from websockets.asyncio.client import connect

from bench.fanout import running
from bench.smoke import HOST, free_port, question
from room.client import ClientError, RoomClient, create_session, invite, parse_link, whoami
from room.domain.session import Kind, Role
from room.domain.session.commands import GoToPhase, Post, SetRoundPosting

RESULTS = Path(__file__).parent / "results"
IN_FLIGHT = 32  # posts awaiting their ack at once
TIMEOUT = 60.0  # any one step


async def resume(url: str, headers: dict[str, str], held: int) -> dict[str, Any]:
    """Open a socket, say hello{seq: held}, read until ready: the timings and what came."""
    started = time.perf_counter()
    async with connect(
        url, additional_headers=headers, compression=None, max_size=None, proxy=None
    ) as ws:
        opened = time.perf_counter()
        await ws.send(msgpack.packb({"t": "hello", "seq": held, "lang": "en"}))
        events = snapshots = 0
        async with asyncio.timeout(TIMEOUT):
            while True:
                frame = msgpack.unpackb(await ws.recv())
                if frame["t"] == "ev":
                    events += 1
                elif frame["t"] == "snapshot":
                    snapshots += 1
                elif frame["t"] == "ready":
                    ready = time.perf_counter()
                    return {
                        "seq": frame["seq"],
                        "events": events,
                        "snapshots": snapshots,
                        "open_ms": (opened - started) * 1000,
                        "ready_ms": (ready - started) * 1000,
                    }
                elif frame["t"] == "error":
                    raise RuntimeError(f"refused: {frame}")


async def once(base_url: str, k: int, http: httpx.AsyncClient) -> dict[str, Any]:
    def local(link: str) -> str:
        return f"{base_url}/j/{parse_link(link).secret}"

    created = await create_session(base_url, f"Recovery K={k}", "Facilitator", http=http)
    session, facilitator_link = created["session"], local(created["link"])
    member_link, observer_link = [
        local((await invite(base_url, session, facilitator_link, role, name, http=http))["link"])
        for role, name in ((Role.MEMBER, "Member"), (Role.OBSERVER, "Lagging observer"))
    ]
    await whoami(observer_link, accept_charter=True, http=http)
    observer = parse_link(observer_link)
    url, headers = observer.ws_url(session), observer.headers

    facilitator = await RoomClient.connect(facilitator_link, queue_events=False, http=http)
    member = await RoomClient.connect(member_link, queue_events=False, http=http)
    try:
        await facilitator.send(GoToPhase(phase="questions"))
        try:
            await facilitator.send(SetRoundPosting(speaker_only=False))
        except ClientError:
            pass  # already so
        await member.wait_for(lambda s: s.phase == "questions", timeout=TIMEOUT)

        held = (await resume(url, headers, 0))["seq"]  # connected, up to date, then gone
        limit = asyncio.Semaphore(IN_FLIGHT)

        async def post(number: int) -> int:
            async with limit:
                return await member.send(Post(kind=Kind.QUESTION, body={"text": question(number)}))

        async with asyncio.timeout(TIMEOUT * 5):
            last = max(await asyncio.gather(*(post(n) for n in range(k))))
        back = await resume(url, headers, held)
        fresh = await resume(url, headers, 0)
    finally:
        await facilitator.close()
        await member.close()
    if back["seq"] < last or back["events"] != back["seq"] - held or back["snapshots"]:
        raise RuntimeError(f"resume from {held} to {last} went wrong: {back}")
    return {
        "k": k,
        "missed": back["events"],  # K, and the presence events of its own drop and return
        "resume_open_ms": round(back["open_ms"], 2),
        "resume_ready_ms": round(back["ready_ms"], 2),
        "snapshot_ready_ms": round(fresh["ready_ms"], 2),
    }


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    measurements = []
    with tempfile.TemporaryDirectory(prefix="room-recovery-") as tmp:
        with running("ours", port, Path(tmp)):
            async with httpx.AsyncClient(timeout=30.0, trust_env=False) as http:
                for number in range(args.runs):
                    for k in args.k:
                        measured = await once(base_url, k, http)
                        print(f"run {number + 1}/{args.runs} K={k}: {measured}", flush=True)
                        measurements.append(measured)
    return measurements


def summarize(ks: list[int], measurements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for k in ks:
        of_k = [m for m in measurements if m["k"] == k]
        row: dict[str, Any] = {"k": k, "runs": len(of_k)}
        for key in ("missed", "resume_open_ms", "resume_ready_ms", "snapshot_ready_ms"):
            row[key] = round(statistics.median(m[key] for m in of_k), 2)
        row["resume_ready_max_ms"] = max(m["resume_ready_ms"] for m in of_k)
        row["resume_us_per_event"] = round(row["resume_ready_ms"] * 1000 / row["missed"], 1)
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    head = ("K", "missed", "open ms", "ready ms", "max ms", "µs/event", "snapshot ms")
    keys = ("k", "missed", "resume_open_ms", "resume_ready_ms", "resume_ready_max_ms")
    keys += ("resume_us_per_event", "snapshot_ready_ms")
    lines = ["".join(f"{h:>12}" for h in head)]
    lines += ["".join(f"{row[key]!s:>12}" for key in keys) for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.recovery", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--k", default="10,100,1000", help="events missed, comma-separated")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    args.k = [int(k) for k in args.k.split(",")]
    if args.runs < 1 or min(args.k) < 1:
        parser.error("expected --runs >= 1 and every K >= 1")
    try:
        import uvloop
    except ImportError:
        measurements = asyncio.run(main_async(args))
    else:
        measurements = uvloop.run(main_async(args))
    rows = summarize(args.k, measurements)
    print(table(rows))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = {
        "bench": "recovery",
        "at": stamp,
        "command": "python -m bench.recovery " + " ".join(sys.argv[1:] if argv is None else argv),
        "params": {"k": args.k, "runs": args.runs},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": len(os.sched_getaffinity(0)),
        "medians": rows,
        "runs": measurements,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"recovery-{stamp}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
