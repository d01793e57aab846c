"""Grid evaluation speed: descentlab's evaluator against the same formula written in NumPy.

Run: ``.venv/bin/python benchmarks/bench_eval.py``. Prints the best-of-N times, measured in the
same run, and the ratio (descentlab / hand-written NumPy); the target is a ratio <= 1.3. Also
prints how long parsing and preparing the formula take.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import steady  # noqa: F401 - compiles in this process first (see steady.py)

from descentlab.engine.program import lower
from descentlab.expr.evaluate import evaluate, to_function
from descentlab.expr.parser import parse

FORMULA = "sin(x^2/2 - y^2/4 + 3)*cos(2x + 1 - e^y)"
REPEATS = 15


def hand_written(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The original notebook's surface, written the usual NumPy way."""
    return np.sin(x**2 / 2 - y**2 / 4 + 3) * np.cos(2 * x + 1 - np.exp(y))


def best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """The fastest of ``repeats`` timed calls, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    grid = np.linspace(-2.3, 2.3, 1000)
    x, y = np.meshgrid(grid, grid)
    tree = parse(FORMULA)
    env = {"x": x, "y": y}
    expected = hand_written(x, y)
    assert np.allclose(evaluate(tree, env), expected, rtol=1e-14, atol=1e-15)

    # Interleave the candidates so that a noisy neighbour slows them alike.
    numpy_t = evaluate_t = points_t = float("inf")
    points = np.column_stack([x.ravel(), y.ravel()])
    function = to_function(tree, ("x", "y"))
    for _ in range(3):
        numpy_t = min(numpy_t, best_of(lambda: hand_written(x, y)))
        evaluate_t = min(evaluate_t, best_of(lambda: evaluate(tree, env)))
        points_t = min(points_t, best_of(lambda: function(points)))

    parse_t = best_of(lambda: parse(FORMULA), 200)
    prepare_t = best_of(lambda: lower(tree, ("x", "y")), 200)
    small = np.array([[0.3, 0.4]])
    small_t = best_of(lambda: function(small), 2000)

    print(f"formula: {FORMULA}  (1000x1000 grid, best of {3 * REPEATS})")
    print(f"hand-written NumPy     {numpy_t * 1e3:8.2f} ms")
    print(f"evaluate(tree, grid)   {evaluate_t * 1e3:8.2f} ms   ratio {evaluate_t / numpy_t:.3f}")
    print(f"to_function, (1e6, 2) {points_t * 1e3:8.2f} ms   ratio {points_t / numpy_t:.3f}")
    print(f"parse                  {parse_t * 1e6:8.1f} us")
    print(f"prepare (lower)        {prepare_t * 1e6:8.1f} us")
    print(f"to_function, 1 point   {small_t * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
