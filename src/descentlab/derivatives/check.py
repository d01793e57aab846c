"""Check a gradient against finite differences (like ``scipy.optimize.check_grad``).

A hand-written gradient is easy to get subtly wrong; a finite-difference estimate is slow and
approximate but hard to get wrong. Their largest difference tells which one to trust: about
``1e-8`` (central differences) means the gradient is right; anything of order 1 means it is not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from descentlab.derivatives.finite import gradient
from descentlab.errors import ConfigError, EvaluationError

__all__ = ["check_grad"]


def check_grad(
    f: Callable[[NDArray[np.float64]], ArrayLike] | Any,
    grad: Callable[[NDArray[np.float64]], ArrayLike] | None = None,
    x: ArrayLike | None = None,
    *,
    method: str = "central",
) -> float:
    """The largest absolute difference between ``grad`` and finite differences of ``f`` at ``x``.

    Unlike scipy's ``check_grad`` (the 2-norm at one point), this is the largest difference over
    all coordinates of all points, and ``f`` and ``grad`` are batched.

    Args:
        f: Batched function ``(k, n) -> (k,)``, or an object with ``.value(X)`` and ``.grad(X)``
            methods (an ``Objective``), in which case ``grad`` may be omitted.
        grad: Batched gradient ``(k, n) -> (k, n)``.
        x: The point ``(n,)`` or points ``(k, n)``.
        method: The finite-difference method (see :data:`~descentlab.derivatives.finite.METHODS`).

    Returns:
        ``max |grad(x) - finite_difference(f, x)|``.

    Raises:
        ConfigError: No point, no gradient, or an unknown method.
        EvaluationError: ``grad`` returns the wrong shape, or ``x`` has the wrong shape.

    Examples:
        >>> import numpy as np
        >>> def f(X):
        ...     return np.sum(X**2, axis=1)
        >>> def g(X):
        ...     return 2 * X
        >>> check_grad(f, g, [1.0, -2.0]) < 1e-8
        True
    """
    if grad is None and hasattr(f, "value") and hasattr(f, "grad"):
        f, grad = f.value, f.grad
    if grad is None:
        raise ConfigError("check_grad needs a gradient: pass grad, or an object with .grad(X)")
    if x is None:
        raise ConfigError("check_grad needs a point x of shape (n,) or (k, n)")
    try:
        X = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise EvaluationError(f"x must be real numbers (got {x!r})") from None
    if X.ndim not in (1, 2) or X.size == 0:
        raise EvaluationError(f"x must have shape (n,) or (k, n); got shape {X.shape}")
    points = np.atleast_2d(X)
    estimate = gradient(f, points, method=method)
    exact = np.asarray(grad(points), dtype=np.float64)
    if exact.shape != points.shape:
        raise EvaluationError(
            f"grad must return shape {points.shape} for points of shape {points.shape}; "
            f"got shape {exact.shape}"
        )
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(exact - estimate)))
