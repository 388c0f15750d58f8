"""Grown-session bench: a session grown to N contributions, then the same load.

bench.fanout's load (1 facilitator, 15 members posting questions round-robin at a
steady rate, observers listening; here 50 of them by default), on a session that holds
N contributions already. Before the load starts, the session is grown offline, in the
server's own SQLite file, as if the load had run for long: the facilitator opens the
questions step, the members post N questions there in turn, the facilitator goes back
to the opening (the load's own first move is to open the questions step again). So
every grown question is in the step the load posts in, and each member's own: the
longest answers "what may I do" can have. The server is then started afresh on that
file and the load runs as in bench.fanout, with its raw clients (the same hello and
commands, nothing folded: 66 RoomClients each building the state of a large snapshot
would measure the load processes, which share the machine with the server).

Reported per tree and size: server CPU per post (utime+stime of the server during the
posting window, over the posts), latency to the last client p50/p99, and the ratio of
CPU per post at each size to the smallest's, which issue 17 wants at most 1.2× for
10,000 against 100. ``--against PATH`` measures another tree's server too (the code
before, say), side by side: the trees alternate at each size and run, with the same
load processes and clients (this tree's), so only the server differs. Compare figures
within one run only: the machine is shared.

    python -m bench.grown                                   # 100 and 10,000, 3 runs
    python -m bench.grown --against /tmp/before --runs 1

The profile of a server under this load: ``--profile DIR`` runs py-spy (``py-spy
record``, pip's py-spy, which needs ptrace: root here) on each server for the posting
window and writes one flame graph per tree and size to DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fanout import (
    STOP_SECONDS,
    receive,
    specs_for,
    summarize,
    total_cpu_seconds,
    total_peak_rss_mib,
    wait_listening,
    worker,
)
from bench.smoke import HOST, free_port, question

RESULTS = Path(__file__).parent / "results"
HERE = Path(__file__).resolve().parents[1]  # this tree
SETUP_SECONDS = 300.0  # a grown session's snapshot goes to every client at connection
GROW_BATCH = 500  # events per append while growing
SECRET_KEY = secrets.token_hex(32)  # the links made before the restart must still hash alike


@contextlib.contextmanager
def serving(tree: Path, port: int, directory: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``room serve`` from ``tree``'s code on the SQLite file in ``directory``."""
    command = [sys.executable, "-m", "room", "serve", "--host", HOST, "--port", str(port)]
    command += ["--db", str(directory / "bench.db")]
    environment = {**os.environ, "PYTHONPATH": str(tree), "SECRET_KEY": SECRET_KEY}
    log_path = directory / "server.log"
    with log_path.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=tree, env=environment, stdout=output, stderr=subprocess.STDOUT
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


async def grow(db: Path, size: int) -> int:
    """Append to the one session in ``db`` the facilitator's move to the questions step,
    ``size`` questions by the members in turn, and the move back to the opening, each
    decided by the domain as the server would. Returns how many events the log holds."""
    from room.domain.session import Kind, Role, State, decide, evolve, fold
    from room.domain.session import commands as c
    from room.live.room import decode_event, encode_event
    from room.store import open_store

    store = open_store(f"sqlite:///{db}")
    await store.open()
    try:
        session = await _the_session(db)
        stored = await store.read(session)
        state: State = fold(decode_event(event.data) for event in stored)
        seq = stored[-1].seq
        facilitator = state.token_holder
        members = [p.id for p in state.participants.values() if p.role is Role.MEMBER]
        now = time.time()
        pending: list[bytes] = []

        async def flush() -> None:
            nonlocal seq, pending
            if pending:
                seq = await store.append(session, seq, pending, None)
                pending = []

        def apply(actor: str, command: Any) -> None:
            nonlocal state
            for event in decide(state, actor, command, now):
                state = evolve(state, event)
                pending.append(encode_event(event))

        apply(facilitator, c.GoToPhase(phase="questions"))
        for number in range(size):
            text = "[grown" + question(number)[6:]  # as long as the load's, never counted
            apply(members[number % len(members)], c.Post(kind=Kind.QUESTION, body={"text": text}))
            if len(pending) >= GROW_BATCH:
                await flush()
        apply(facilitator, c.GoToPhase(phase="opening"))
        await flush()
        return seq
    finally:
        await store.close()


async def _the_session(db: Path) -> str:
    """The id of the one session the bench made in ``db``."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as connection:
        rows = connection.execute("SELECT DISTINCT session_id FROM events").fetchall()
    sessions = [row[0] for row in rows if str(row[0]).startswith("s")]
    assert len(sessions) == 1, sessions
    return str(sessions[0])


def load_args(args: argparse.Namespace) -> argparse.Namespace:
    """bench.fanout's options for its load, from ours."""
    return argparse.Namespace(
        rate=args.rate,
        duration=args.duration,
        drain=args.drain,
        members=args.members,
        observers=args.observers,
        procs=args.procs,
        # Clients that decode frames and fold nothing: 66 RoomClients each building the
        # state of a 10,000-contribution snapshot would measure the load processes.
        ours_clients="raw",
    )


def measure(tree: Path, size: int, args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    """One server from ``tree`` on a session grown to ``size``, under the load."""
    port = free_port()
    with serving(tree, port, directory):
        specs = specs_for("ours", [port], load_args(args))  # the session and its links
    events = asyncio.run(grow(directory / "bench.db", size))
    context = multiprocessing.get_context("spawn")
    with serving(tree, port, directory) as server:
        setup_started = time.monotonic()
        pipes, processes = [], []
        for spec in specs:
            parent, child = context.Pipe()
            process = context.Process(target=worker, args=(spec, child), daemon=True)
            process.start()
            pipes.append(parent)
            processes.append(process)
        try:
            total = sum(receive(pipe, SETUP_SECONDS, "ours", "ready") for pipe in pipes)
            setup_s = time.monotonic() - setup_started
            pids = [server.pid]
            cpu_before = total_cpu_seconds(pids)
            start = time.monotonic() + 0.2
            profiler = profiling(args, server.pid, tree, size)
            for pipe in pipes:
                pipe.send(("go", start))
            finish = args.duration + args.drain + 60
            results = [receive(pipe, finish, "ours", "done") for pipe in pipes]
            cpu_s = total_cpu_seconds(pids) - cpu_before
            rss = total_peak_rss_mib(pids)
            if profiler is not None:
                profiler.wait(60)
        except BaseException:
            for process in processes:
                process.kill()
            raise
        finally:
            for process in processes:
                process.join(15)
                if process.is_alive():
                    process.kill()
    figures = summarize("ours", total, results, cpu_s, rss, setup_s)
    posts = figures["posts"]
    figures |= {"size": size, "log_events": events, "tree": str(tree)}
    figures["cpu_us_per_post"] = round(cpu_s * 1e6 / posts, 1) if posts else float("nan")
    return figures


def profiling(
    args: argparse.Namespace, pid: int, tree: Path, size: int
) -> subprocess.Popen[bytes] | None:
    """py-spy on the server for the posting window, when asked (``--profile``)."""
    if args.profile is None:
        return None
    spy = shutil.which("py-spy")
    if spy is None:
        raise RuntimeError("--profile needs py-spy: pip install py-spy")
    args.profile.mkdir(parents=True, exist_ok=True)
    output = args.profile / f"grown-{tree.name}-{size}.svg"
    command = [spy, "record", "--pid", str(pid), "--duration", str(int(args.duration))]
    command += ["--rate", "200", "--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def report(trees: dict[str, Path], sizes: list[int], runs: list[dict[str, Any]]) -> str:
    """Medians over the runs; each ratio to the smallest size taken within a run first."""
    lines = [
        "server CPU per post, median over runs; × smallest: the ratio within each run, median",
        f"{'tree':<8} {'contributions':>13} {'CPU/post':>10} {'× smallest':>11} "
        f"{'p50':>8} {'p99':>8} {'posts':>6}",
    ]
    for name in trees:
        for size in sizes:
            cells = [run[name][size] for run in runs]
            cpu = statistics.median(cell["cpu_us_per_post"] for cell in cells)
            ratio = statistics.median(
                run[name][size]["cpu_us_per_post"] / run[name][sizes[0]]["cpu_us_per_post"]
                for run in runs
            )
            p50 = statistics.median(cell["p50_ms"] for cell in cells)
            p99 = statistics.median(cell["p99_ms"] for cell in cells)
            posts = min(cell["complete"] for cell in cells)
            lines.append(
                f"{name:<8} {size:>13,} {cpu / 1000:>8.2f}ms {ratio:>10.2f}× "
                f"{p50:>6.1f}ms {p99:>6.1f}ms {posts:>6}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.grown", description=__doc__)
    parser.add_argument("--sizes", default="100,10000", help="contributions before the load")
    parser.add_argument("--against", type=Path, help="another tree's server, alongside")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=20.0, help="posts per second, in all")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of posting")
    parser.add_argument("--drain", type=float, default=15.0)
    parser.add_argument("--members", type=int, default=15)
    parser.add_argument("--observers", type=int, default=50)
    parser.add_argument("--procs", type=int, default=1, help="listener processes")
    parser.add_argument("--profile", type=Path, help="a py-spy flame graph per server here")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    trees = {"this": HERE, **({"against": args.against.resolve()} if args.against else {})}
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-grown-") as tmp:
        for run in range(args.runs):
            runs.append({name: {} for name in trees})
            for index, size in enumerate(sizes):
                order = list(trees) if (run + index) % 2 == 0 else list(reversed(trees))
                for name in order:
                    directory = Path(tmp) / f"{run}-{name}-{size}"
                    directory.mkdir()
                    figures = measure(trees[name], size, args, directory)
                    runs[-1][name][size] = figures
                    print(
                        f"run {run + 1} {name} {size:,}: {figures['cpu_us_per_post']:.0f} µs/post,"
                        f" p99 {figures['p99_ms']} ms, {figures['complete']}/{figures['posts']}",
                        flush=True,
                    )
    print()
    print(report(trees, sizes, runs))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"grown-{stamp}.json"
    record = {
        "bench": "grown",
        "argv": sys.argv[1:],
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "trees": {name: str(tree) for name, tree in trees.items()},
        "runs": runs,
    }
    path.write_text(json.dumps(record, indent=2, default=str))
    print(f"\nwritten: {path.relative_to(HERE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
