"""Every elementwise rule on the fused compiled loop and on the general loop, one table.

Rosenbrock from the catalogue (a parsed formula: both loops use the same compiled interpreter
and the same rule kernel; the general loop drives them from Python once per iteration).
Each cell is nanoseconds per (row x iteration actually run), the best of three runs, at 1 row
and at 10,000 rows; the last column is the general loop's time over the fused loop's at 1e4.
Compilation is excluded (each rule runs once first).

Usage:
    python benchmarks/bench_rules.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import steady  # noqa: F401 - compiles in this process first (see steady.py)

from descentlab.descent import minimize
from descentlab.objective import Objective
from descentlab.optimizers import OPTIMIZERS


def ns_per_row_it(obj, X0, opt, iters: int, engine: str, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        r = minimize(obj, X0, opt, max_iter=iters, grad_tol=0.0, record=False, engine=engine)
        best = min(best, time.perf_counter() - t)
    return best / max(1, int(r.nit.sum())) * 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    args = ap.parse_args()
    q = 5 if args.quick else 1
    obj = Objective.from_problem("rosenbrock")
    one = np.array([[-1.2, 1.0]])
    many = np.random.default_rng(0).uniform(-2, 2, (10_000, 2))
    print("| rule | fused, 1 row | general, 1 row | fused, 1e4 rows | general, 1e4 rows |"
          " general / fused (1e4) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, factory in OPTIMIZERS.items():
        opt = factory(lr=1e-4) if "lr" in factory.__code__.co_varnames else factory()
        if opt.kernel is None:
            continue
        minimize(obj, one, opt, max_iter=2, engine="compiled")  # compile once, not timed
        cells = [
            ns_per_row_it(obj, one, opt, 10_000 // q, "compiled"),
            ns_per_row_it(obj, one, opt, 1_000 // q, "numpy"),
            ns_per_row_it(obj, many, opt, 500 // q, "compiled"),
            ns_per_row_it(obj, many, opt, 50 // q, "numpy"),
        ]
        print(f"| {name} | " + " | ".join(f"{c:.1f}" for c in cells)
              + f" | {cells[3] / cells[2]:.1f}x |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
