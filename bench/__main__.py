"""Every side-by-side bench, one after the other: ``python -m bench`` (about an hour on
2 cores; ``--quick`` for one run of each at smaller sizes, about 15 minutes).

Each bench runs as its own process, as it would alone, so that none inherits another's
memory or file descriptors; each prints its table and writes its JSON record under
``bench/results/``. The machine should be otherwise quiet: every figure is CPU or
latency on 2 shared cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

# (module, arguments for the full run, arguments for --quick)
BENCHES: tuple[tuple[str, list[str], list[str]], ...] = (
    ("bench.fanout", [], ["--runs", "1"]),
    ("bench.fanout", ["--sweep"], ["--sweep", "--runs", "1"]),
    ("bench.fanout", ["--backend", "redis"], ["--backend", "redis", "--runs", "1"]),
    ("bench.groups", [], ["--runs", "1"]),
    ("bench.groups", ["--backend", "redis"], ["--backend", "redis", "--runs", "1"]),
    ("bench.idle", [], ["--connections", "1000,5000", "--runs", "1"]),
    ("bench.slow", [], ["--runs", "1", "--duration", "30"]),
    ("bench.recovery", [], []),
    ("bench.domain", [], ["--sizes", "200,3000", "--events", "100"]),
    ("bench.grown", [], ["--runs", "1", "--sizes", "100,3000"]),
    ("bench.sendpath", [], ["--rounds", "50"]),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run each, smaller sizes")
    args = parser.parse_args(argv)
    failed = []
    for module, full, quick in BENCHES:
        command = [sys.executable, "-m", module, *(quick if args.quick else full)]
        print(f"\n=== {' '.join(command[1:])}", flush=True)
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(" ".join(command[2:]))
    if failed:
        print(f"\nfailed: {'; '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
