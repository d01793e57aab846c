"""Exact gradient from a formula (grad_function) against the same gradient written in NumPy.

Rosenbrock, k = 10,000 starts. Prints microseconds per call and the ratio to the hand-written
NumPy baseline measured in the same run, for the gradient alone and for a whole Adam iteration
(the issue-3 target: within 2x of hand-written NumPy).

    python benchmarks/bench_grad.py [--k 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np
import steady  # noqa: F401 - compiles in this process first (see steady.py)

from descentlab.derivatives import grad_function
from descentlab.expr import parse

ROSENBROCK = "(1 - x)^2 + 100(y - x^2)^2"


def hand_value_and_grad(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rosenbrock and its gradient written by hand (the baseline)."""
    x, y = X[:, 0], X[:, 1]
    d = y - x * x
    a = 1.0 - x
    f = a * a + 100.0 * d * d
    G = np.empty_like(X)
    G[:, 0] = -2.0 * a - 400.0 * x * d
    G[:, 1] = 200.0 * d
    return f, G


def adam_run(value_and_grad, X0: np.ndarray, steps: int, lr: float = 1e-3) -> np.ndarray:
    """``steps`` Adam iterations (torch's rule) using ``value_and_grad`` for the gradient."""
    b1, b2, eps = 0.9, 0.999, 1e-8
    X = X0.copy()
    m = np.zeros_like(X)
    v = np.zeros_like(X)
    for t in range(1, steps + 1):
        _, G = value_and_grad(X)
        m = b1 * m + (1 - b1) * G
        v = b2 * v + (1 - b2) * G * G
        mhat = m / (1 - b1**t)
        vhat = v / (1 - b2**t)
        X = X - lr * mhat / (np.sqrt(vhat) + eps)
    return X


def best(fn, number: int, repeat: int) -> float:
    """Best time of ``repeat`` runs, in microseconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    X = np.random.default_rng(0).uniform(-2.0, 2.0, (args.k, 2))
    fn = grad_function(parse(ROSENBROCK), ("x", "y"))
    f1, G1 = fn(X)
    f2, G2 = hand_value_and_grad(X)
    assert np.allclose(f1, f2, rtol=1e-14) and np.allclose(G1, G2, rtol=1e-12, atol=1e-9)

    number = max(1, 2_000_000 // args.k)
    hand = best(lambda: hand_value_and_grad(X), number, args.repeat)
    tape = best(lambda: fn(X), number, args.repeat)
    print(f"Rosenbrock value and gradient, k = {args.k}")
    print(f"  hand-written NumPy   {hand:9.1f} us/call")
    print(f"  grad_function        {tape:9.1f} us/call   ratio {tape / hand:.2f}")

    steps = 100
    adam_hand = best(lambda: adam_run(hand_value_and_grad, X, steps), 1, args.repeat) / steps
    adam_tape = best(lambda: adam_run(fn, X, steps), 1, args.repeat) / steps
    np.testing.assert_allclose(adam_run(fn, X, 5), adam_run(hand_value_and_grad, X, 5), rtol=1e-12)
    print(f"Adam iteration (gradient + update), k = {args.k}")
    print(f"  hand-written NumPy   {adam_hand:9.1f} us/iter")
    print(f"  grad_function        {adam_tape:9.1f} us/iter   ratio {adam_tape / adam_hand:.2f}")


if __name__ == "__main__":
    main()
