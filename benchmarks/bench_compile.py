"""What the first run after install compiles, function by function (issue #12: "a few seconds").

Runs, in a fresh process with an empty ``NUMBA_CACHE_DIR``, one
``minimize(rosenbrock, [[-1.2, 1]], OPTIMIZER(), max_iter=10)`` under numba's compile events
and prints the seconds of every compiled function (a function's time includes what it compiles
inside it: events nest), the total, and then the same run again in a new process that loads
the cache.

Usage:
    python benchmarks/bench_compile.py [--optimizer adam] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from numba.core import event
from descentlab import minimize, Objective
from descentlab.optimizers import OPTIMIZERS
obj = Objective.from_problem("rosenbrock")
opt = OPTIMIZERS[sys.argv[1]]()
with event.install_recorder("numba:compile") as rec:
    t1 = time.perf_counter()
    minimize(obj, [[-1.2, 1.0]], opt, max_iter=10)
    t2 = time.perf_counter()
starts = {}
rows = []
depth = 0
for when, ev in rec.buffer:
    name = ev.data["dispatcher"].py_func.__qualname__
    if ev.is_start:
        starts[id(ev.data["dispatcher"]), depth] = when
        depth += 1
    else:
        depth -= 1
        began = starts.pop((id(ev.data["dispatcher"]), depth))
        rows.append((began, depth, name, when - began))
rows = [r[1:] for r in sorted(rows)]  # in the order they started: a callee under its caller
print(json.dumps({"rows": rows, "first_call": t2 - t1, "process": t2 - t0}))
"""


def measure(optimizer: str, cache: str) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, optimizer], env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--optimizer", default="adam")
    ap.add_argument("--min", type=float, default=0.05, help="list compiles of at least this")
    ap.add_argument("--repeat", type=int, default=1, help="fresh-cache runs (each printed)")
    args = ap.parse_args()
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as cache:
            t = time.perf_counter()
            cold = measure(args.optimizer, cache)
            wall = time.perf_counter() - t
            warm = measure(args.optimizer, cache)
        print(f"cold: first minimize {cold['first_call']:.2f} s (process {wall:.2f} s)")
        for depth, name, sec in cold["rows"]:
            if sec >= args.min:
                print(f"  {'  ' * depth}{name:<{40 - 2 * depth}} {sec:6.2f} s")
        top = sum(sec for depth, _, sec in cold["rows"] if depth == 0)
        print(f"  top-level compile events total {top:.2f} s")
        print(f"cached: first minimize {warm['first_call']:.2f} s")


if __name__ == "__main__":
    main()
