"""What the first run after install compiles, function by function (issue #12: "a few seconds").

Runs, in a fresh process with an empty ``NUMBA_CACHE_DIR``, one
``minimize(rosenbrock, [[-1.2, 1]] * STARTS, OPTIMIZER(), max_iter=MAX_ITER, grad_tol=0)``
(no row converges, so no Hessian classifies an end point) under numba's
compile events and prints the wall and CPU seconds of every function compiled in that process
(a function's time includes what it compiles inside it: events nest) and the total (on a busy
machine the CPU seconds are the steadier figure); then how long after that process started the
cache held all the run's machine code (the engine's second process may go on compiling after
the first has exited: a small first run goes on as Python meanwhile, engine.jit.meanwhile);
then the same run again in a new process that loads the cache.

A small run (the default: 10 iterations) does not wait for the compiler; ``--max-iter 100000``
(one start) or ``--starts 300 --max-iter 1000`` are too long as Python: they try it for 1 s
(engine.loop.Twins), then compile (with ``--no-aside``: at once, all in one process).

Usage:
    python benchmarks/bench_compile.py [--optimizer adam] [--repeat 1] [--starts 1]
        [--max-iter 10] [--no-aside]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, os, sys, time
born = time.time()
t0 = time.perf_counter()
from numba.core import event
from descentlab import minimize, Objective
from descentlab.optimizers import OPTIMIZERS

class Clock(event.Listener):  # the compile events, timed in wall and CPU seconds
    def __init__(self):
        self.buffer = []
    def on_start(self, ev):
        self.buffer.append((time.perf_counter(), time.process_time(), ev))
    def on_end(self, ev):
        self.buffer.append((time.perf_counter(), time.process_time(), ev))

obj = Objective.from_problem("rosenbrock")
opt = OPTIMIZERS[sys.argv[1]]()
with event.install_listener("numba:compile", Clock()) as rec:
    t1, c1 = time.perf_counter(), time.process_time()
    minimize(obj, [[-1.2, 1.0]] * int(sys.argv[2]), opt, max_iter=int(sys.argv[3]),
             grad_tol=0.0)  # no row converges: no Hessian for the summary
    t2, c2 = time.perf_counter(), time.process_time()
starts = {}
rows = []
depth = 0
for wall, cpu, ev in rec.buffer:
    name = ev.data["dispatcher"].py_func.__qualname__
    if ev.is_start:
        starts[id(ev.data["dispatcher"]), depth] = wall, cpu
        depth += 1
    else:
        depth -= 1
        w0, c0 = starts.pop((id(ev.data["dispatcher"]), depth))
        rows.append((w0, depth, name, wall - w0, cpu - c0))
rows = [r[1:] for r in sorted(rows)]  # in the order they started: a callee under its caller
aside = 0.0  # the CPU seconds of the engine's second process (Linux: /proc), if it ran
from descentlab.engine import jit
proc = jit._ASIDE._proc
if proc is not None:
    try:
        with open(f"/proc/{proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        aside = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        pass
print(json.dumps({"rows": rows, "first_call": t2 - t1, "cpu": c2 - c1, "process": t2 - t0,
                  "aside": aside, "born": born}))
"""


def measure(optimizer: str, cache: str, starts: int, iters: int, aside: bool) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "DESCENTLAB_COMPILE_ASIDE": str(int(aside))}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, optimizer, str(starts), str(iters)], env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def cached_after(cache: str, born: float, optimizer: str, starts: int) -> float:
    """Seconds from a process's start (``born``, epoch) until ``cache`` holds the machine code of
    its run (the fused loop, the sweep, the rule; the line search's loop, start, sweep and
    values: numba writes an index after its code), polled;
    inf after 10 minutes."""
    sweep = "forward_backward_rows" if starts <= 2 else "forward_backward"
    rule = {"gd": "_gd", "adamw": "_adam"}.get(optimizer, "_" + optimizer)
    wanted = ("loop._chunk_block-", f"interp.{sweep}-", f"rules.{rule}-")
    if optimizer == "linesearch":  # its own loop (engine.search), its start, and f alone
        wanted = ("search.chunk-", f"interp.{sweep}-", "search.start-", "interp.forward-")
    for _ in range(6000):
        names = [p.name for p in Path(cache).rglob("*.nbi")]
        if all(any(n.startswith(w) for n in names) for w in wanted):
            return time.time() - born
        time.sleep(0.1)
    return float("inf")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--optimizer", default="adam")
    ap.add_argument("--min", type=float, default=0.05, help="list compiles of at least this")
    ap.add_argument("--repeat", type=int, default=1, help="fresh-cache runs (each printed)")
    ap.add_argument("--starts", type=int, default=1, help="1: the row sweeps; 3+: the blocks")
    ap.add_argument("--max-iter", type=int, default=10, help="10: as Python meanwhile")
    ap.add_argument("--no-aside", action="store_true", help="compile all in one process")
    args = ap.parse_args()
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as cache:
            t = time.perf_counter()
            cold = measure(args.optimizer, cache, args.starts, args.max_iter, not args.no_aside)
            wall = time.perf_counter() - t
            ready = cached_after(cache, cold["born"], args.optimizer, args.starts)
            warm = measure(args.optimizer, cache, args.starts, args.max_iter, not args.no_aside)
        print(f"cold: first minimize {cold['first_call']:.2f} s, {cold['cpu']:.2f} s of CPU here "
              f"and {cold['aside']:.2f} s in the second by then (process {wall:.2f} s); the "
              f"cache held the run's code {ready:.2f} s after the process started")  # fmt: skip
        print(f"  {'function (a callee under its caller)':<40} {'wall':>6}   {'CPU':>6}")
        for depth, name, sec, cpu in cold["rows"]:
            if sec >= args.min:
                print(f"  {'  ' * depth}{name:<{40 - 2 * depth}} {sec:6.2f} s {cpu:6.2f} s")
        top = sum(sec for depth, _, sec, _ in cold["rows"] if depth == 0)
        top_cpu = sum(cpu for depth, _, _, cpu in cold["rows"] if depth == 0)
        print(f"  {'top-level compile events total':<40} {top:6.2f} s {top_cpu:6.2f} s")
        print(f"cached: first minimize {warm['first_call']:.2f} s")


if __name__ == "__main__":
    main()
