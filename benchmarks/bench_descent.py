"""Speed of the one loop: nanoseconds per (start x iteration), Adam on Rosenbrock.

Compares, in one run (ratios matter, the machines are shared and noisy):

1. the notebook's way: a Python loop over starts, forward-difference gradient (h = 1e-5, one
   coordinate at a time), Adam step on small arrays (measured on a few starts, per start);
2. a hand-written vectorized NumPy Adam with the analytic gradient (the baseline to match);
3. descentlab: ``minimize(objective, X0, adam(lr), record=False, grad_tol=0)`` with
   (a) the formula objective (parsed, reverse-mode autodiff gradient), if available, and
   (b) a hand-written NumPy objective, to separate the loop's cost from the gradient's.

Usage:
    python benchmarks/bench_descent.py [--big]     (--big adds 1,000,000 starts)
"""

from __future__ import annotations

import sys
import time

import numpy as np
import steady  # noqa: F401 - compiles in this process first (see steady.py)

from descentlab.descent import minimize
from descentlab.optimizers import adam

FORMULA = "(1 - x)^2 + 100(y - x^2)^2"
ITERS = 1000
LR = 1e-3


class HandRosenbrock:
    """Rosenbrock with a hand-written NumPy gradient."""

    dim = 2

    def value(self, X):
        x, y = X[:, 0], X[:, 1]
        return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2

    def grad(self, X):
        return self.value_and_grad(X)[1]

    def value_and_grad(self, X):
        x, y = X[:, 0], X[:, 1]
        r = y - x * x
        u = 1.0 - x
        G = np.empty_like(X)
        np.multiply(x, r, out=G[:, 0])
        G[:, 0] *= -400.0
        G[:, 0] -= 2.0 * u
        np.multiply(r, 200.0, out=G[:, 1])
        return u * u + 100.0 * r * r, G


def formula_objective():
    """The project's own objective for the formula, or an adapter over parse + autodiff."""
    try:
        from descentlab.objective import Objective

        return Objective.from_formula(FORMULA), "descentlab.objective.Objective.from_formula"
    except ImportError:
        pass
    try:
        from descentlab.derivatives.autodiff import grad_function
        from descentlab.expr.parser import parse
    except ImportError:
        return None, "unavailable"
    fn = grad_function(parse(FORMULA), ["x", "y"])

    class Adapter:
        dim = 2

        def value(self, X):
            return fn(X)[0]

        def grad(self, X):
            return fn(X)[1]

        def value_and_grad(self, X):
            return fn(X)

    return Adapter(), "parse + derivatives.autodiff.grad_function (objective.py not yet committed)"


def per_start_loop(starts: np.ndarray, iters: int) -> np.ndarray:
    """The notebook's way: one start at a time, forward differences, Adam on small arrays."""

    def f(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    out = []
    h = 1e-5
    b1, b2, eps = 0.9, 0.999, 1e-8
    for x0 in starts:
        p = x0.copy()
        m = np.zeros(2)
        v = np.zeros(2)
        for t in range(1, iters + 1):
            g = np.zeros(2)
            f0 = f(p)
            for i in range(2):
                q = p.copy()
                q[i] += h
                g[i] = (f(q) - f0) / h
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            mhat = m / (1 - b1**t)
            vhat = v / (1 - b2**t)
            p = p - LR * mhat / (np.sqrt(vhat) + eps)
        out.append(p)
    return np.array(out)


def numpy_adam(X0: np.ndarray, iters: int) -> np.ndarray:
    """Hand-written vectorized Adam with the analytic gradient."""
    X = X0.copy()
    m = np.zeros_like(X)
    v = np.zeros_like(X)
    G = np.empty_like(X)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, iters + 1):
        x, y = X[:, 0], X[:, 1]
        r = y - x * x
        G[:, 0] = -2.0 * (1.0 - x) - 400.0 * x * r
        G[:, 1] = 200.0 * r
        m = b1 * m + (1 - b1) * G
        v = b2 * v + (1 - b2) * G * G
        mhat = m / (1 - b1**t)
        vhat = v / (1 - b2**t)
        X = X - LR * mhat / (np.sqrt(vhat) + eps)
    return X


def ns_per(seconds: float, starts: int, iters: int) -> float:
    return seconds / (starts * iters) * 1e9


def timed(fn, *args, repeat: int = 1):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def _repeat(objective, X: np.ndarray, times: int = 200) -> None:
    for _ in range(times):
        objective.value_and_grad(X)


def main(argv: list[str]) -> int:
    rng = np.random.default_rng(0)
    objective, source = formula_objective()
    print(f"Rosenbrock, Adam lr={LR}, {ITERS} iterations; formula objective: {source}")

    few = rng.uniform(-2, 2, size=(3, 2))
    t_loop, _ = timed(per_start_loop, few, ITERS)
    loop_ns = ns_per(t_loop, len(few), ITERS)
    print(f"per-start Python loop, forward differences: {loop_ns:10.1f} ns/(start*iter)")

    sizes = [10_000] + ([1_000_000] if "--big" in argv else [])
    for N in sizes:
        X0 = rng.uniform(-2, 2, size=(N, 2))
        repeat = 3 if N <= 10_000 else 1
        t_np, X_np = timed(numpy_adam, X0, ITERS, repeat=repeat)
        base = ns_per(t_np, N, ITERS)
        print(f"\nN = {N:,} starts")
        print(f"  hand-written NumPy Adam           {base:8.2f} ns   1.00x")

        def run(obj, X0=X0):
            return minimize(obj, X0, adam(lr=LR), max_iter=ITERS, grad_tol=0.0, record=False)

        rows = [("descentlab Adam, hand objective", HandRosenbrock())]
        if objective is not None:
            rows.append(("descentlab Adam, formula/autodiff", objective))
        for label, obj in rows:
            t, res = timed(run, obj, repeat=repeat)
            ns = ns_per(t, N, ITERS)
            assert res.nit.max() == ITERS
            err = np.max(np.abs(res.x - X_np))
            print(
                f"  {label:33s} {ns:8.2f} ns   {ns / base:4.2f}x of NumPy,"
                f" {loop_ns / ns:8.0f}x faster than the per-start loop,"
                f" total {t:6.2f} s, max |x - x_numpy| = {err:.1e}"
            )
        if objective is not None:
            block = X0[:4096]
            fn_t, _ = timed(_repeat, objective, block)
            hand_t, _ = timed(_repeat, HandRosenbrock(), block)
            print(
                f"  gradient alone on 4096-row blocks: formula {ns_per(fn_t, 4096, 200):.2f} ns,"
                f" hand {ns_per(hand_t, 4096, 200):.2f} ns per row"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
