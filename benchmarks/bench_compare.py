"""What ``descentlab compare`` costs, and the compiled line search against the general loop.

Prints, measured in one run (the machine's load average is printed with it: on a shared
machine only the ratios mean much):

1. the line search on Rosenbrock, 1,000 starts x ITERS iterations at lr 1 and 1e-3: the
   compiled loop (engine/search.py) against the general NumPy loop (``engine="numpy"``), and
   the fused gd loop for scale (one value-and-gradient per iteration where the line search
   makes ~2 to ~11 evaluations);
2. the default comparison on Rosenbrock (7 optimizers x 13 lrs x 1,000 starts x 1,000
   iterations), each optimizer's 13 cells timed alone, and the total;
3. with ``--catalogue``: ``compare_catalogue()`` with the defaults: each function's wall and
   CPU time, the total, and how many cores were busy on average (CPU / wall).

Usage:
    python benchmarks/bench_compare.py [--quick] [--catalogue]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import steady  # noqa: F401 - compiles in this process first (see steady.py)

from descentlab.comparison import DEFAULT_OPTIMIZERS, compare, compare_catalogue
from descentlab.descent import minimize
from descentlab.multistart import random_starts, start_domain
from descentlab.objective import as_objective
from descentlab.optimizers import gd, linesearch


def timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("--catalogue", action="store_true", help="also time compare --catalogue")
    args = parser.parse_args()
    iters = 100 if args.quick else 1000
    obj = as_objective("rosenbrock")
    X0 = random_starts(start_domain(obj), 1000, seed=0)
    minimize(obj, X0[:4], linesearch(), max_iter=2)  # load the compiled code
    minimize(obj, X0[:4], gd(), max_iter=2)
    print(f"1. line search, Rosenbrock, 1,000 starts x {iters} iterations ({load()})")
    for lr in (1.0, 1e-3):
        opt = linesearch(lr=lr)
        kw = {"max_iter": iters, "grad_tol": 0.0, "record": False}
        tc, r = timed(lambda opt=opt, kw=kw: minimize(obj, X0, opt, **kw))
        tn, _ = timed(lambda opt=opt, kw=kw: minimize(obj, X0, opt, engine="numpy", **kw))
        tg, _ = timed(lambda kw=kw: minimize(obj, X0, gd(lr=1e-4), **kw))
        per = np.mean(r.nfev) / (iters + 1)  # type: ignore[attr-defined]
        print(
            f"   lr {lr:g}: compiled {tc:.2f} s, general loop {tn:.2f} s ({tn / tc:.1f}x); "
            f"fused gd {tg:.2f} s; {per:.1f} evaluations per iteration"
        )
    print(f"2. compare rosenbrock, defaults ({load()})")
    total = 0.0
    for name in DEFAULT_OPTIMIZERS:
        t, _ = timed(lambda name=name: compare("rosenbrock", optimizers=[name], progress=False))
        total += t
        print(f"   {name:<11} {t:6.2f} s")
    t, _ = timed(lambda: compare("rosenbrock", progress=False))
    print(f"   all seven in one call: {t:.2f} s (sum of the parts {total:.2f} s; {load()})")
    if args.catalogue:
        _last[:] = [time.perf_counter(), time.process_time()]
        print(f"3. compare --catalogue, defaults ({load()}): per function, wall and CPU seconds")
        cpu0 = time.process_time()
        t, cc = timed(lambda: compare_catalogue(progress=False, each=report))
        cpu = time.process_time() - cpu0
        n = len(cc.comparisons)  # type: ignore[attr-defined]
        print(
            f"   all {n}: {t:.1f} s wall, {cpu:.1f} s CPU ({cpu / t:.2f} cores busy on average; "
            f"{load()})"
        )


_last = [time.perf_counter(), time.process_time()]


def report(comparison) -> None:
    """Print one function's wall and CPU time since the last call (compare_catalogue's each=)."""
    now = [time.perf_counter(), time.process_time()]
    wall, cpu = now[0] - _last[0], now[1] - _last[1]
    _last[:] = now
    print(f"   {comparison.target:<28} {wall:6.2f} s wall {cpu:6.2f} s CPU", flush=True)


if __name__ == "__main__":
    main()
