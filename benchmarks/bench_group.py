"""Grouping end points into distinct minima: time and work on the shapes that used to blow up.

Shapes (issue #10 s.6), each at N and 4N points so that the growth shows (a little over 4x for
``O(N log N)``, 16x for quadratic work):

- ``crowd``: end points uniform in a square where ~2 lie within ``tol`` of each (what
  ``run "0*x*y" --random-starts N`` left before such points were classified ``degenerate``), in
  2-D and in 5-D (a projection to 3-D for the grid);
- ``chain``: points on a line ``0.6 tol`` apart with rising values (every other point starts a
  group, and which one depends on the one before: a dependency as long as the chain);
- ``outlier``: the crowd plus one end point at ``x = 1e6`` (its radius is ``tol * 1e6``);
- ``cluster``: every point within ``tol / 10`` of one point (one group);
- ``easom``: the end points of ``run easom --random-starts N --max-iter 1`` (~10% converge, on the
  flat part of a 200-wide square: nearly every one its own group).

``--before REV`` also times ``group_minima`` as it was at git revision ``REV`` in the same run
(loaded from ``git show REV:src/descentlab/multistart.py``) and checks that both give the same
groups, printing the ratio (the old code is quadratic on the chain and the outlier: it is timed
there at the smaller size only).

Usage:
    python benchmarks/bench_group.py [--big] [--before REV]     (--big: 4x the sizes)
"""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import steady  # noqa: F401 - compiles in this process first (see steady.py)

from descentlab import multistart
from descentlab.descent import minimize
from descentlab.grouping import Work
from descentlab.multistart import group_minima, random_starts, start_domain
from descentlab.objective import Objective
from descentlab.optimizers import gd
from descentlab.result import Result

TOL = 1e-4


def _result(x: np.ndarray, fun: np.ndarray) -> Result:
    k = len(fun)
    return Result(
        x=x,
        fun=fun,
        grad_norm=np.zeros(k),
        status=np.zeros(k, dtype=np.int64),
        nit=np.ones(k, dtype=np.int64),
        nfev=np.ones(k, dtype=np.int64),
        diverged_at=np.full(k, -1, dtype=np.int64),
    )


def crowd(k: int, n: int = 2, seed: int = 0) -> Result:
    """k end points uniform in a box where ~2 lie within tol of each."""
    rng = np.random.default_rng(seed)
    width = 0.12 * (k / 100_000) ** (1 / n) if n == 2 else 0.012 * (k / 100_000) ** (1 / n)
    return _result(rng.uniform(-width / 2, width / 2, (k, n)), rng.random(k))


def chain(k: int) -> Result:
    """k points on a line, 0.6 tol apart, f rising along it."""
    x = np.zeros((k, 2))
    x[:, 0] = 0.6 * TOL * np.arange(k)
    return _result(x, np.arange(k, dtype=float))


def outlier(k: int) -> Result:
    """The 2-D crowd plus one far end point."""
    r = crowd(k - 1)
    return _result(np.vstack([r.x, [[1e6, 0.0]]]), np.append(r.fun, -1.0))


def cluster(k: int, seed: int = 0) -> Result:
    """k end points within tol/10 of (0.5, 0.5): one group."""
    rng = np.random.default_rng(seed)
    return _result(0.5 + rng.uniform(-TOL / 20, TOL / 20, (k, 2)), rng.random(k))


def easom(k: int) -> Result:
    """``run easom --random-starts k --seed 0 --max-iter 1``'s result, unclassified.

    (The flat points are classified ``degenerate`` today, so ``run`` no longer groups them: the
    shape is kept here as the issue measured it.)
    """
    obj = Objective.from_problem("easom")
    result = minimize(obj, random_starts(start_domain(obj), k, seed=0), gd(lr=0.01), max_iter=1)
    return dataclasses.replace(result, stationary=None)


SHAPES: dict[str, tuple[Callable[[int], Result], tuple[int, int], int]] = {
    # name: (maker, (N, 4N), most points the old code is timed on)
    "crowd 2-D": (crowd, (25_000, 100_000), 10**6),
    "crowd 5-D": (lambda k: crowd(k, 5), (25_000, 100_000), 10**6),
    "chain": (chain, (10_000, 40_000), 10_000),  # the old code: over 12 minutes at 40k
    "outlier": (outlier, (2_500, 10_000), 10_000),
    "cluster": (cluster, (50_000, 200_000), 10**6),
    "easom": (easom, (250_000, 1_000_000), 10**6),
}


def _old_module(rev: str) -> ModuleType:
    """``descentlab.multistart`` as it was at git revision ``rev`` (the repo's own source)."""
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "show", f"{rev}:src/descentlab/multistart.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "multistart_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("descentlab._multistart_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "descentlab"
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _timed(fn: Callable[[Result], list], result: Result) -> tuple[float, list]:
    t0 = time.perf_counter()
    found = fn(result)
    return time.perf_counter() - t0, found


def main() -> None:
    big = "--big" in sys.argv
    old = None
    if "--before" in sys.argv:
        old = _old_module(sys.argv[sys.argv.index("--before") + 1])
    group_minima(crowd(10))  # compile (or load) the kernel before timing
    for name, (make, sizes, most_before) in SHAPES.items():
        times = []
        for k in (4 * s for s in sizes) if big else sizes:
            result = make(k)
            works: list[Work] = []
            real = multistart._leaders

            def counted(X: np.ndarray, tol: float, real=real, works=works) -> tuple:
                group, work = real(X, tol)
                works.append(work)
                return group, work

            multistart._leaders = counted
            try:
                t, found = _timed(lambda r: group_minima(r, tol=TOL), result)
            finally:
                multistart._leaders = real
            times.append(t)
            (work,) = works
            grouped = sum(m.count for m in found)  # the end points grouped (converged to a minimum)
            line = (
                f"{name:10s} N={k:>9,}: {len(found):>7,} groups of {grouped:>9,} points in "
                f"{t:6.2f} s, {work.comparisons / grouped:.2f} comparisons and "
                f"{work.visits / grouped:.1f} cells per point"
            )
            if old is not None and k <= most_before:
                t_old, found_old = _timed(lambda r: old.group_minima(r, tol=TOL), result)
                same = [m.rows for m in found] == [m.rows for m in found_old]
                line += f"; before: {t_old:6.2f} s ({t_old / t:.1f}x), same groups: {same}"
            print(line, flush=True)
        print(f"{'':10s} 4x the points: {times[1] / times[0]:.1f}x the time", flush=True)


if __name__ == "__main__":
    main()
