"""The compare still: success rate against learning rate, one line per optimizer, from
:func:`descentlab.compare` (the same starts and budget for every optimizer and lr)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from descentlab.animate.engine import Still

__all__ = ["compare"]


def compare(
    target: Any = "rosenbrock",
    *,
    optimizers: Sequence[str] | None = None,
    starts: int = 1000,
    budget: int = 1000,
    seed: int = 0,
    lr_grid: tuple[float, float, int] = (1e-4, 1.0, 13),
    success_tol: float = 1e-4,
    size: tuple[int, int] = (1200, 520),
) -> Still:
    """Run :func:`descentlab.compare` and draw it: success rate (with Wilson 95% intervals) and
    the median gap to f* against the learning rate.

    Args:
        target: A catalogue name or a formula.
        optimizers: Registry names (default: the seven basic ones).
        starts: Random starts per (optimizer, lr).
        budget: Iterations per run (tolerances off).
        seed: Seed of the starts.
        lr_grid: ``(lo, hi, count)`` of the log grid.
        success_tol: Success: not diverged and ``|f - f*| <= success_tol``.
        size: Picture size in pixels.

    Returns:
        The Still; ``info["comparison"]`` holds the :class:`~descentlab.comparison.Comparison`.
    """
    from descentlab.comparison import compare as run_comparison

    comparison = run_comparison(
        target, optimizers=optimizers, starts=starts, budget=budget, seed=seed,
        lr_grid=lr_grid, success_tol=success_tol, progress=False,
    )  # fmt: skip
    return comparison.figure(size)
