"""The engine's interpreter: value + gradient per row, against the same thing written by hand.

Run: ``.venv/bin/python benchmarks/bench_program.py``. Rosenbrock as a parsed formula. Prints,
for one row and for many rows, best-of-N times measured in the same run and their ratios:

- from Python: ``Objective.value_and_grad(X)`` against the value and gradient hand-written in
  NumPy (what a user would write);
- from compiled code (what the fused descent loop sees): ``interp.forward_backward`` on a block
  of rows, called in a compiled loop, against the same value and gradient hand-written in a
  compiled loop (the floor: the formula known at compile time).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numba
import numpy as np
import steady  # noqa: F401 - compiles in this process first (see steady.py)

from descentlab import Objective
from descentlab.engine import interp

ROUNDS = 5


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of ``ROUNDS`` timings of ``repeats`` calls, in CPU seconds per call.

    CPU time of this process (one thread), so that neighbours on a shared machine do not count.
    """
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        for _ in range(repeats):
            fn()
        best = min(best, (time.process_time() - start) / repeats)
    return best


def numpy_value_and_grad(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rosenbrock's value and gradient, hand-written in NumPy."""
    x, y = X[:, 0], X[:, 1]
    a = 1.0 - x
    b = y - x * x
    G = np.empty_like(X)
    G[:, 0] = -2.0 * a - 400.0 * x * b
    G[:, 1] = 200.0 * b
    return a * a + 100.0 * b * b, G


@numba.njit(error_model="numpy")
def interpreted(code, consts, XT, work, adj, F, GT, iters):  # noqa: ANN001
    for _ in range(iters):
        interp.forward_backward(code, consts, XT, work, adj, F, GT)


@numba.njit(error_model="numpy")
def hand_fused(XT, F, GT, iters):  # noqa: ANN001
    rows = F.shape[0]
    for _ in range(iters):
        for r in range(rows):
            x, y = XT[0, r], XT[1, r]
            a = 1.0 - x
            b = y - x * x
            F[r] = a * a + 100.0 * b * b
            GT[0, r] = -2.0 * a - 400.0 * x * b
            GT[1, r] = 200.0 * b


def main() -> None:
    obj = Objective.from_problem("rosenbrock")
    program = obj.program
    assert program is not None
    code, consts = program.code, program.consts
    m = code.shape[0]
    rng = np.random.default_rng(0)
    print(f"Rosenbrock: {m} slots; CPU ns per row (best of {ROUNDS}); ratio = engine / by hand")
    print(f"{'rows':>6}  {'Objective.value_and_grad':>25}  {'NumPy by hand':>14}  {'ratio':>6}  "
          f"{'forward_backward':>17}  {'compiled by hand':>17}  {'ratio':>6}")  # fmt: skip
    for rows in (1, 256, 10_000):
        X = rng.uniform(-2, 2, (rows, 2))
        f, G = obj.value_and_grad(X)
        f0, G0 = numpy_value_and_grad(X)
        np.testing.assert_allclose(f, f0, rtol=1e-13)
        np.testing.assert_allclose(G, G0, rtol=1e-12, atol=1e-12)
        repeats = max(3, 200_000 // rows)
        api = best_of(lambda X=X: obj.value_and_grad(X), repeats)
        by_numpy = best_of(lambda X=X: numpy_value_and_grad(X), repeats)

        XT = np.ascontiguousarray(X.T)
        work, adj = np.empty((m, rows)), np.empty((m + 1, rows))
        F, GT = np.empty(rows), np.empty((2, rows))
        iters = max(10, 2_000_000 // rows)
        interpreted(code, consts, XT, work, adj, F, GT, 1)
        hand_fused(XT, F, GT, 1)
        args = (code, consts, XT, work, adj, F, GT, iters)
        engine = best_of(lambda args=args: interpreted(*args), 1) / iters
        floor = best_of(lambda args=args: hand_fused(*args[2:3], *args[5:]), 1) / iters
        ns = 1e9 / rows
        print(
            f"{rows:>6}  {api * ns:>25.1f}  {by_numpy * ns:>14.1f}  {api / by_numpy:>6.2f}  "
            f"{engine * ns:>17.2f}  {floor * ns:>17.2f}  {engine / floor:>6.2f}"
        )


if __name__ == "__main__":
    main()
