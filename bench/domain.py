"""Domain bench: what one event costs the pure domain as a session grows.

Issue 17's measurement, as a command. One session of the flyer method with 7 people
seated (a facilitator, the narrator, 5 members), in the possibilities step; the members
post proposals round-robin until the session holds N contributions (not timed), then
``--events`` more, each timed in three parts: ``decide``, ``evolve``, and the "can"
work the room asks of the domain after the event for each of the 7 — the moves of
each, and their wire form for those whose answer changed. That work is the room's of
the code measured: with ``answer_after`` (this tree), the parts the event reached,
from the answers before; without it (the code before issue 17), ``allowed()`` whole.

``--against PATH`` measures the code of another tree too (a checkout of the commit
before, say: ``git worktree add`` or ``git archive``), side by side in the same run:
each tree runs in its own process, the trees alternating at each size, so that both
see the same machine. Compare figures within one run only.

    python -m bench.domain                                  # 200, 1000, 3000, 10000
    python -m bench.domain --against /tmp/before --sizes 200,10000

A worker (``--worker``) imports only the standard library and ``room``, from whatever
tree is first on its path, so that the same script measures any tree's domain.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
HERE = Path(__file__).resolve().parents[1]  # this tree
SEATED = ("facilitator", "narrator", *(f"member_{n}" for n in range(1, 6)))
PARTS = ("decide", "evolve", "can")


# --- a worker: one tree, one size --------------------------------------------------------


def grown(size: int) -> tuple[Any, float]:
    """A session of the 7 in the possibilities step, holding ``size`` proposals."""
    from room.domain.session import SYSTEM, Kind, Role, State, decide, evolve
    from room.domain.session import commands as c

    state, now = State(), 1_000.0

    def apply(actor: str, command: Any) -> None:
        nonlocal state
        for event in decide(state, actor, command, now):
            state = evolve(state, event)

    opening = c.CreateSession(template="flyer", title="Bench", facilitator="facilitator", name="F")
    apply(SYSTEM, opening)
    apply("facilitator", c.AddParticipant(participant="narrator", name="N", role=Role.NARRATOR))
    for member in SEATED[2:]:
        apply("facilitator", c.AddParticipant(participant=member, name=member, role=Role.MEMBER))
    for person in SEATED:
        apply(SYSTEM, c.Connect(participant=person))
    apply("facilitator", c.GoToPhase(phase="possibilities"))
    for number in range(size):
        now += 0.05
        apply(SEATED[2 + number % 5], c.Post(kind=Kind.PROPOSAL, body={"text": f"p{number}"}))
    return state, now


def worker(size: int, events: int) -> dict[str, Any]:
    from room.domain.session import Kind, decide, evolve
    from room.domain.session import capabilities as can
    from room.domain.session import commands as c

    incremental = hasattr(can, "answer_after")  # this tree's room; else allowed() whole
    state, now = grown(size)
    answers: dict[str, Any] = {p: can.allowed(state, p, now) for p in SEATED}
    if incremental:
        answers = {p: can.answer(state, p, now) for p in SEATED}
        from room.domain.session.reach import reach
    spent = {part: [] for part in PARTS}
    gc.collect()
    for number in range(events):
        now += 0.05
        post = c.Post(kind=Kind.PROPOSAL, body={"text": f"timed {number}"})
        started = time.perf_counter_ns()
        new_events = decide(state, SEATED[2 + number % 5], post, now)
        decided = time.perf_counter_ns()
        reached = None
        for event in new_events:
            if incremental:
                reached = reach(state, event) if reached is None else reached | reach(state, event)
            state = evolve(state, event)
        evolved = time.perf_counter_ns()
        for person in SEATED:
            if incremental:
                answer = can.answer_after(answers[person], state, person, now, reached)
                changed = answer is not answers[person]
            else:
                answer = can.allowed(state, person, now)
                changed = answer != answers[person]
            if changed:
                can.to_plain(answer)  # the frame's contents, for those whose answer changed
            answers[person] = answer
        done = time.perf_counter_ns()
        spent["decide"].append(decided - started)
        spent["evolve"].append(evolved - decided)
        spent["can"].append(done - evolved)
    figures = {part: statistics.mean(ns) / 1000 for part, ns in spent.items()}
    figures["total"] = sum(figures[part] for part in PARTS)
    figures["contributions"] = len(state.contributions)
    figures["incremental"] = incremental
    return figures


# --- the run: every tree, every size -------------------------------------------------------


def measure(tree: Path, size: int, events: int) -> dict[str, Any]:
    """One worker process on ``tree``'s code."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    command += ["--size", str(size), "--events", str(events)]
    done = subprocess.run(
        command, cwd=tree, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker on {tree} at {size} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def table(trees: dict[str, Path], sizes: list[int], runs: dict[str, dict[int, Any]]) -> str:
    lines = ["µs per event, decide + evolve + can (the 7's moves), mean over the timed events"]
    header = f"{'tree':<8} {'contributions':>13} " + " ".join(f"{p:>9}" for p in PARTS)
    lines += [header + f" {'total':>9} {'× smallest':>11}"]
    for name in trees:
        smallest = runs[name][sizes[0]]["total"]
        for size in sizes:
            f = runs[name][size]
            cells = " ".join(f"{f[part]:>9.1f}" for part in PARTS)
            ratio = f["total"] / smallest
            lines.append(f"{name:<8} {size:>13,} {cells} {f['total']:>9.1f} {ratio:>10.2f}×")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.domain", description=__doc__)
    parser.add_argument("--sizes", default="200,1000,3000,10000")
    parser.add_argument("--events", type=int, default=300, help="timed events per size")
    parser.add_argument("--against", type=Path, help="another tree, measured alongside")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.size, args.events)))
        return 0
    sizes = [int(size) for size in args.sizes.split(",")]
    trees = {"this": HERE, **({"against": args.against.resolve()} if args.against else {})}
    runs: dict[str, dict[int, Any]] = {name: {} for name in trees}
    for index, size in enumerate(sizes):
        order = list(trees) if index % 2 == 0 else list(reversed(trees))
        for name in order:  # alternating, so that neither always runs on a warmer machine
            runs[name][size] = measure(trees[name], size, args.events)
    print(table(trees, sizes, runs))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"domain-{stamp}.json"
    record = {
        "bench": "domain",
        "argv": sys.argv[1:],
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "trees": {name: str(tree) for name, tree in trees.items()},
        "events": args.events,
        "runs": runs,
    }
    path.write_text(json.dumps(record, indent=2))
    print(f"\nwritten: {path.relative_to(HERE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
