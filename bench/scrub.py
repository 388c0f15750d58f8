"""Scrub bench: what the end of a silent round costs the embedded store, by its size.

A round's drafts are forgotten for real when it is revealed or closed: the SQLite store
deletes them, rebuilds the file (VACUUM) and truncates its WAL, on its one thread. While
it does, every session's appends wait. This fills a store with sessions of events up to
each size (not timed), keeps 15 members' drafts of one round, then forgets them with a
scrub while another session appends every 10 ms, and reports how long the scrub took
and the longest an append waited meanwhile (against the longest before it).

    python -m bench.scrub                      # 10 MB and 100 MB
    python -m bench.scrub --sizes 10,50,200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from room.store import PrivateText, Store
from room.store.sqlite import SQLiteStore

RESULTS = Path(__file__).parent / "results"
EVENT_BYTES = 400  # about a contribution's event
BATCH = 500  # events per append while filling


async def filled(path: Path, megabytes: int) -> SQLiteStore:
    store = SQLiteStore(path)
    await store.open()
    event = b"x" * EVENT_BYTES
    sessions, seq, written = 0, 0, 0
    while written < megabytes * 1024 * 1024:  # the file ends a little larger: its indexes
        session = f"s{sessions:06d}"
        for _ in range(4):  # 2,000 events a session: a long one
            await store.append(session, seq, [event] * BATCH)
            seq += BATCH
            written += BATCH * EVENT_BYTES
        sessions, seq = sessions + 1, 0
    for member in range(15):
        for draft in range(3):
            data = f"brouillon {member}-{draft} ".encode() * 20
            text = PrivateText("s-round", f"m{member}", f"round/1/d{draft}", data, 1.0)
            await store.keep_private(text)
    return store


async def appending(store: Store, session: str, stop: asyncio.Event, waits: list[float]) -> None:
    """Another session keeps writing: how long does each append wait?"""
    seq = 0
    while not stop.is_set():
        started = time.perf_counter()
        await store.append(session, seq, [b"live event"])
        waits.append(time.perf_counter() - started)
        seq += 1
        await asyncio.sleep(0.01)


async def measure(megabytes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "room.db"
        store = await filled(path, megabytes)
        try:
            size = path.stat().st_size  # noqa: ASYNC240 (the store's thread is idle now)
            stop, before, during = asyncio.Event(), [], []
            writer = asyncio.create_task(appending(store, "s-live-before", stop, before))
            await asyncio.sleep(0.5)
            stop.set()
            await writer
            stop = asyncio.Event()
            writer = asyncio.create_task(appending(store, "s-live-during", stop, during))
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            forgotten = await store.forget_private("s-round", path="round/1")
            scrub = time.perf_counter() - started
            stop.set()
            await writer
        finally:
            await store.close()
    return {
        "store_mb": round(size / 1024 / 1024, 1),
        "drafts": forgotten,
        "scrub_ms": round(scrub * 1000, 1),
        "append_max_ms_before": round(max(before) * 1000, 2),
        "append_max_ms_during": round(max(during) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100", help="store sizes, in MB")
    args = parser.parse_args()
    rows = [asyncio.run(measure(int(mb))) for mb in args.sizes.split(",")]
    for row in rows:
        print(
            f"store {row['store_mb']:>6} MB: scrub of {row['drafts']} drafts"
            f" {row['scrub_ms']:>8} ms; longest append {row['append_max_ms_before']} ms"
            f" before, {row['append_max_ms_during']} ms during"
        )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"scrub-{stamp}.json"
    out.write_text(json.dumps({"machine": platform.node(), "rows": rows}, indent=2) + "\n")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
