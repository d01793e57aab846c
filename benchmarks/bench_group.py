"""Grouping end points into distinct minima: how the cost grows with the number of starts.

A dense crowd (end points a fraction of ``tol`` apart, most of them their own group: what
``run "0*x*y" --random-starts N`` leaves) at N and 4N in one run: an ``O(N log N)`` grouping
takes a little over 4x as long, the per-group loop it replaced took ~16x (200k points in a
0.2-wide square: 33 s before, 8.7 s after, same groups; 200k in a 5-D cloud: 139 s before,
14 s after, on the shared 2-core machine under load).

Usage:
    python benchmarks/bench_group.py [--big]     (--big: 200k and 800k points)
"""

from __future__ import annotations

import sys
import time

import numpy as np

from descentlab.multistart import group_minima
from descentlab.result import Result


def crowd(k: int, n: int, seed: int = 0) -> Result:
    """k converged end points uniform in a box where ~2 lie within 1e-4 of each."""
    rng = np.random.default_rng(seed)
    width = 0.12 * (k / 100_000) ** (1 / n) if n == 2 else 0.012 * (k / 100_000) ** (1 / n)
    x = rng.uniform(-width / 2, width / 2, (k, n))
    return Result(
        x=x,
        fun=rng.random(k),
        grad_norm=np.zeros(k),
        status=np.zeros(k, dtype=np.int64),
        nit=np.ones(k, dtype=np.int64),
        nfev=np.ones(k, dtype=np.int64),
        diverged_at=np.full(k, -1, dtype=np.int64),
    )


def main() -> None:
    sizes = (200_000, 800_000) if "--big" in sys.argv else (25_000, 100_000)
    for n in (2, 5):
        times = []
        for k in sizes:
            result = crowd(k, n)
            t0 = time.perf_counter()
            found = group_minima(result)
            times.append(time.perf_counter() - t0)
            print(
                f"n={n} N={k:>7,}: {len(found):>7,} groups in {times[-1]:6.2f} s "
                f"({1e9 * times[-1] / k:,.0f} ns per point)"
            )
        print(f"  4x the points: {times[1] / times[0]:.1f}x the time")


if __name__ == "__main__":
    main()
