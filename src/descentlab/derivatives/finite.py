"""Derivatives by their definition: finite differences for any callable.

A derivative is the limit of a difference quotient. With a small but finite step ``h`` the
quotient is only an estimate, and its error has two parts that pull in opposite directions:
*truncation* (the step is not zero; it shrinks like ``h`` or ``h^2``) and *round-off* (two nearly
equal values are subtracted; it grows like ``eps/h``). Each method below picks the step that
balances them (scipy's conventions), and :func:`error_sweep` draws the whole V-shaped curve for
the teaching picture.

Convention: ``f`` is *batched*. It takes ``X`` of shape ``(m, n)`` (``m`` points of ``n``
coordinates) and returns ``(m,)`` values. :func:`gradient` stacks every perturbed copy of every
point into one array and calls ``f`` once, so a formula is evaluated in one vectorized pass.

Methods (``x`` a coordinate, ``h`` its step, ``e_i`` the unit vector):

- ``forward``: ``(f(x + h e_i) - f(x)) / h``, error ``O(h)``, ``h = sqrt(eps) max(1, |x|)``
  with the sign of ``x`` (the original notebook's method).
- ``backward``: ``(f(x) - f(x - h e_i)) / h``, error ``O(h)``, same step.
- ``central``: ``(f(x + h e_i) - f(x - h e_i)) / 2h``, error ``O(h^2)``,
  ``h = eps^(1/3) max(1, |x|)``.
- ``complex``: ``Im f(x + i h e_i) / h``, no subtraction, so ``h = 1e-20`` is fine and the estimate
  is exact to rounding. ``f`` must accept complex input and be analytic (no ``abs``).
- ``richardson``: central differences at ``h, h/2, h/4`` combined to cancel the ``h^2`` and ``h^4``
  error terms (error ``O(h^6)``), with a large base step ``h = eps^(1/7) max(1, |x|)``. That step
  can reach past a singularity (``log(x)`` or ``sin(x)/x^2`` at 0.001), so with the default step
  the estimate checks itself: while the stencil meets a value that is not finite, or the last two
  extrapolations differ by more than :data:`RICHARDSON_RTOL` ``* max(1, |estimate|)``, the step
  shrinks fourfold (at most :data:`RICHARDSON_SHRINKS` times); a coordinate that never passes is
  NaN, an estimate that is not reliable rather than a wrong number.

In every method the divisor is the step actually taken, ``(x + h) - x``, not the ``h`` asked for.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from descentlab.errors import ConfigError, EvaluationError

__all__ = [
    "METHODS",
    "RICHARDSON_LEVELS",
    "RICHARDSON_RTOL",
    "RICHARDSON_SHRINKS",
    "default_step",
    "derivative",
    "error_sweep",
    "gradient",
    "hessian",
    "richardson",
]

METHODS = ("forward", "backward", "central", "complex", "richardson")
"""The finite-difference methods, simplest first."""

RICHARDSON_LEVELS = 3
"""Central differences at h, h/2, h/4 are combined; the result has error O(h^(2 * levels))."""

RICHARDSON_RTOL = 1e-6
"""Largest relative disagreement of the last two extrapolations that Richardson accepts."""

RICHARDSON_SHRINKS = 8
"""Times Richardson's default step may shrink fourfold looking for a reliable estimate."""

EPS = float(np.finfo(np.float64).eps)
COMPLEX_STEP = 1e-20

_RELATIVE_STEP = {
    "forward": math.sqrt(EPS),
    "backward": math.sqrt(EPS),
    "central": EPS ** (1 / 3),
    "richardson": EPS ** (1 / (2 * RICHARDSON_LEVELS + 1)),
}

BatchedFunction = Callable[[NDArray[np.float64]], ArrayLike]


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise ConfigError(
            f"unknown finite-difference method {method!r}; choose one of {', '.join(METHODS)}"
        )
    return method


def _check_h(h: ArrayLike) -> NDArray[np.float64]:
    try:
        steps = np.asarray(h, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"step h must be a positive finite number (got {h!r})") from None
    if not np.all(np.isfinite(steps)) or not np.all(steps > 0):
        raise ConfigError(f"step h must be a positive finite number (got {h!r})")
    return steps


def default_step(method: str, x: ArrayLike) -> NDArray[np.float64]:
    """The step each method takes at ``x`` when none is given (scipy's conventions).

    Args:
        method: One of :data:`METHODS`.
        x: The point, any shape.

    Returns:
        An array shaped like ``x``. ``forward`` and ``backward`` steps carry the sign of ``x``
        (``+`` at 0), as scipy's do; ``central`` and ``richardson`` steps are positive; the
        ``complex`` step is ``1e-20`` everywhere.

    Raises:
        ConfigError: ``method`` is not one of :data:`METHODS`.

    Examples:
        >>> float(default_step("central", 0.0))  # eps^(1/3)
        6.055454452393343e-06
        >>> float(default_step("forward", -4.0))  # -sqrt(eps) * 4
        -5.960464477539063e-08
    """
    _check_method(method)
    x = np.asarray(x, dtype=np.float64)
    if method == "complex":
        return np.full(x.shape, COMPLEX_STEP)
    scale = np.maximum(1.0, np.abs(x))
    with np.errstate(invalid="ignore"):
        step = _RELATIVE_STEP[method] * scale
    if method in ("forward", "backward"):
        step = np.where(x >= 0, step, -step)
    return step


def _call(f: BatchedFunction, P: NDArray, method: str) -> NDArray:
    """``f(P)`` checked to return ``(m,)`` values; complex input needs complex output."""
    m = P.shape[0]
    try:
        with np.errstate(all="ignore"):
            if method == "complex":
                with warnings.catch_warnings():
                    # Casting complex to float silently drops the imaginary part: that is a
                    # function which cannot take the complex step, so make it an error.
                    warnings.simplefilter("error", np.exceptions.ComplexWarning)
                    out = np.asarray(f(P))
            else:
                out = np.asarray(f(P))
    except (TypeError, np.exceptions.ComplexWarning) as exc:
        if method == "complex":
            raise EvaluationError(
                "method 'complex' needs f to accept complex input "
                f"(f raised {type(exc).__name__}: {exc}); use method 'central' instead"
            ) from exc
        raise
    if out.shape != (m,):
        raise EvaluationError(
            f"f must return shape ({m},) for input of shape {P.shape}; got shape {out.shape}"
        )
    if method != "complex" and np.iscomplexobj(out):
        if np.any(out.imag != 0):
            raise EvaluationError("f returned complex values for real input; it must be real")
        out = out.real
    if method == "complex" and not np.iscomplexobj(out):
        raise EvaluationError(
            "method 'complex' needs f to return complex values for complex input "
            f"(got dtype {out.dtype}); use method 'central' instead"
        )
    return out


def _perturbed(X: NDArray, steps: NDArray, signs: Sequence[float]) -> NDArray:
    """Copies of each row with coordinate i moved by ``sign * steps[:, i]``: ``(k, s*n, n)``."""
    k, n = X.shape
    s = len(signs)
    dtype = np.complex128 if np.iscomplexobj(steps) else np.float64
    P = np.empty((k, s * n, n), dtype=dtype)
    P[...] = X[:, None, :]
    idx = np.arange(n)
    for j, sign in enumerate(signs):
        P[:, j * n + idx, idx] += sign * steps
    return P


def _as_points(X: ArrayLike) -> tuple[NDArray[np.float64], bool]:
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise EvaluationError(f"points must be real numbers (got {X!r})") from None
    if A.ndim == 1 and A.size > 0:
        return A[None, :], True
    if A.ndim != 2 or A.shape[0] == 0 or A.shape[1] == 0:
        raise EvaluationError(
            f"points must have shape (n,) or (k, n) with k, n >= 1; got shape {A.shape}"
        )
    return A, False


def gradient(
    f: BatchedFunction,
    X: ArrayLike,
    *,
    method: str = "central",
    h: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Gradient of a batched ``f`` at each row of ``X`` by finite differences.

    All the perturbed points of all rows go to ``f`` in a single call.

    Args:
        f: Batched function, ``(m, n) -> (m,)``.
        X: Points, shape ``(k, n)`` (or ``(n,)`` for a single point).
        method: One of :data:`METHODS`.
        h: Absolute step, a positive number or an array broadcastable to ``X``. ``None`` takes
            :func:`default_step` of each coordinate.

    Returns:
        The gradient estimates, shaped like ``X``.

    Raises:
        ConfigError: Unknown ``method``, or ``h`` not positive and finite.
        EvaluationError: ``X`` of the wrong shape, ``f`` returning the wrong shape, or (for the
            complex step) ``f`` not accepting complex input.

    Examples:
        >>> def f(X):
        ...     return X[:, 0] ** 2 + 3 * X[:, 1]
        >>> gradient(f, [[1.0, 2.0]]).round(8)
        array([[2., 3.]])
    """
    _check_method(method)
    A, single = _as_points(X)
    k, n = A.shape
    if h is None:
        steps = default_step(method, A)
    else:
        given = _check_h(h)
        try:
            steps = np.broadcast_to(given, A.shape).copy()
        except ValueError:
            raise ConfigError(
                f"step h of shape {given.shape} does not fit points of shape {A.shape}"
            ) from None

    with np.errstate(all="ignore"):
        if method == "complex":
            P = _perturbed(A, 1j * steps, (1.0,))
            values = _call(f, P.reshape(-1, n), method).reshape(k, n)
            G = values.imag / steps
        elif method in ("forward", "backward"):
            sign = 1.0 if method == "forward" else -1.0
            P = _perturbed(A, steps, (sign,))
            both = np.concatenate([P.reshape(-1, n), A])
            values = _call(f, both, method)
            moved, here = values[: k * n].reshape(k, n), values[k * n :]
            taken = (A + steps) - A if method == "forward" else A - (A - steps)
            G = (moved - here[:, None]) / taken * sign
        elif method == "central":
            G = _central(f, A, steps, (1.0,))[0]
        else:
            G = _richardson(f, A, steps, adapt=h is None)[0]
    return G[0] if single else G


def _central(
    f: BatchedFunction, A: NDArray, steps: NDArray, scales: Sequence[float]
) -> list[NDArray]:
    """Central differences at ``steps * s`` for each ``s`` in ``scales``, with one call of f."""
    k, n = A.shape
    signs = [sign * s for s in scales for sign in (1.0, -1.0)]
    P = _perturbed(A, steps, signs)
    values = _call(f, P.reshape(-1, n), "central").reshape(k, len(signs), n)
    estimates = []
    for j, s in enumerate(scales):
        taken = (A + s * steps) - (A - s * steps)
        estimates.append((values[:, 2 * j] - values[:, 2 * j + 1]) / taken)
    return estimates


def _richardson_once(f: BatchedFunction, A: NDArray, steps: NDArray) -> tuple[NDArray, NDArray]:
    """Richardson extrapolation at h, h/2, h/4 (Neville's tableau) and its last correction."""
    scales = [0.5**j for j in range(RICHARDSON_LEVELS)]
    row = _central(f, A, steps, scales)
    previous = row[-1]
    # D(h) = f' + c1 h^2 + c2 h^4 + ...; halving h, (4^m D(h/2) - D(h)) / (4^m - 1) cancels h^(2m).
    for m in range(1, RICHARDSON_LEVELS):
        factor = 4.0**m
        previous = row[-1]
        row = [(factor * row[j + 1] - row[j]) / (factor - 1) for j in range(len(row) - 1)]
    return row[0], np.abs(row[0] - previous)


def _richardson(
    f: BatchedFunction, A: NDArray, steps: NDArray, *, adapt: bool
) -> tuple[NDArray, NDArray]:
    """Richardson's estimate and the steps it used; ``adapt`` shrinks them where unreliable."""
    if not adapt:
        return _richardson_once(f, A, steps)[0], steps
    G = np.full(A.shape, np.nan)
    pending = np.ones(A.shape, dtype=bool)
    steps = steps.copy()
    for _ in range(RICHARDSON_SHRINKS + 1):
        rows = np.flatnonzero(pending.any(axis=1))
        estimate, correction = _richardson_once(f, A[rows], steps[rows])
        good = np.isfinite(estimate) & (
            correction <= RICHARDSON_RTOL * np.maximum(1.0, np.abs(estimate))
        )
        good &= pending[rows]
        G[rows] = np.where(good, estimate, G[rows])
        pending[rows] &= ~good
        if not pending.any():
            break
        steps = np.where(pending, steps / 4, steps)
    return G, steps


def richardson(f: BatchedFunction, X: ArrayLike) -> tuple[NDArray, NDArray]:
    """Richardson's gradient estimate with its self-check, and the base step each coordinate used.

    Args:
        f: Batched function, ``(m, n) -> (m,)``.
        X: Points, ``(k, n)``.

    Returns:
        ``(G, h)``, both ``(k, n)``: the estimates (NaN where none was reliable, see the module)
        and the base steps finally taken (the default step, or a quarter of it per shrink).

    Examples:
        >>> G, h = richardson(lambda P: np.log(P[:, 0]), [[0.001]])  # the default h crosses 0
        >>> float(G[0, 0].round(4)), bool(h[0, 0] < 0.001)
        (1000.0, True)
    """
    A, _ = _as_points(X)
    with np.errstate(all="ignore"):
        return _richardson(f, A, default_step("richardson", A), adapt=True)


HESSIAN_RELATIVE_STEP = EPS ** (1 / 3)
"""Relative step of :func:`hessian` (central differences of the gradient: error O(h^2))."""


def hessian(grad: Callable[[NDArray[np.float64]], ArrayLike], X: ArrayLike) -> NDArray[np.float64]:
    """Hessians at the rows of ``X`` by central differences of a batched gradient.

    Column ``j`` of each Hessian is ``(g(x + h e_j) - g(x - h e_j)) / ((x + h) - (x - h))`` with
    ``h = eps^(1/3) max(1, |x_j|)``; the result is symmetrized, ``(H + H^T) / 2``. All ``2n``
    shifted copies of all rows go to ``grad`` in one call. With an exact gradient the error is
    about ``1e-10`` relative; with a finite-difference gradient it is much larger (see
    :mod:`descentlab.stationary` for the tolerance that takes this into account).

    Args:
        grad: Batched gradient, ``(m, n) -> (m, n)``.
        X: Points, ``(k, n)``.

    Returns:
        ``(k, n, n)`` symmetric matrices.

    Raises:
        EvaluationError: ``X`` of the wrong shape, or ``grad`` returning the wrong shape.

    Examples:
        >>> def g(X):
        ...     return np.stack([2 * X[:, 0] * X[:, 1], X[:, 0] ** 2], axis=1)  # of x^2 y
        >>> hessian(g, [[1.0, 3.0]]).round(6).tolist()
        [[[6.0, 2.0], [2.0, 0.0]]]
    """
    A, _ = _as_points(X)
    k, n = A.shape
    steps = HESSIAN_RELATIVE_STEP * np.maximum(1.0, np.abs(A))
    P = _perturbed(A, steps, (1.0, -1.0))  # (k, 2n, n): rows +h e_j then -h e_j
    with np.errstate(all="ignore"):
        G = np.asarray(grad(P.reshape(-1, n)), dtype=np.float64)
        if G.shape != (2 * k * n, n):
            raise EvaluationError(
                f"the gradient must return shape ({2 * k * n}, {n}) for points of shape "
                f"({2 * k * n}, {n}); got shape {G.shape}"
            )
        G = G.reshape(k, 2, n, n)  # [row, sign, j (moved coordinate), i (component)]
        taken = (A + steps) - (A - steps)  # (k, n), per moved coordinate j
        H = (G[:, 0] - G[:, 1]) / taken[:, :, None]  # H[j, i] = d g_i / d x_j
    return 0.5 * (H + np.swapaxes(H, 1, 2))


def derivative(
    f: Callable[[Any], Any],
    x: float,
    *,
    method: str = "central",
    h: float | None = None,
) -> float:
    """Derivative of a scalar function of one variable at ``x`` by finite differences.

    ``f`` is a plain Python function ``float -> float`` (``math.sin`` works); for the complex step
    it must accept complex numbers (``cmath.sin``, or NumPy functions).

    Args:
        f: The function.
        x: The point.
        method: One of :data:`METHODS`.
        h: Absolute step; ``None`` takes :func:`default_step`.

    Returns:
        The estimate of ``f'(x)``.

    Raises:
        ConfigError: Unknown ``method``, or ``h`` not positive and finite.
        EvaluationError: ``f`` does not return a number, or cannot take the complex step.

    Examples:
        >>> import math
        >>> round(derivative(math.sin, 0.0), 10)
        1.0
        >>> derivative(lambda x: x * x, 3.0, method="complex")
        6.0
    """

    def batched(P: NDArray) -> NDArray:
        out = []
        for v in P[:, 0]:
            y = f(complex(v) if np.iscomplexobj(v) else float(v))
            if not isinstance(y, (int, float, complex, np.number)) or isinstance(y, bool):
                raise EvaluationError(f"f must return a number; got {y!r}")
            out.append(y)
        return np.array(out)

    _check_method(method)
    try:
        x = float(x)
    except (TypeError, ValueError):
        raise EvaluationError(f"x must be a real number (got {x!r})") from None
    return float(gradient(batched, [[x]], method=method, h=h)[0, 0])


def error_sweep(
    f: Callable[[float], float],
    x: float,
    exact: float,
    *,
    hs: ArrayLike | None = None,
    methods: Sequence[str] = ("forward", "central", "complex", "richardson"),
) -> dict[str, NDArray[np.float64]]:
    """Absolute error of each method against the exact derivative, for a range of steps.

    The picture it draws (log-log, error against h) is the V of truncation error (falling with
    h) meeting round-off error (rising as h shrinks); the complex step has no round-off arm.

    Args:
        f: A scalar function of one variable (as in :func:`derivative`).
        x: The point.
        exact: The exact derivative ``f'(x)``.
        hs: The steps, positive; default ``logspace(-1, -15, 57)`` (four per decade).
        methods: Methods to sweep, each one of :data:`METHODS`.

    Returns:
        ``{"h": hs, method: errors, ...}``: the steps, then one array of ``|estimate - exact|``
        per method, aligned with ``hs``.

    Raises:
        ConfigError: Unknown method, or a step that is not positive and finite.

    Examples:
        >>> import cmath
        >>> sweep = error_sweep(cmath.exp, 0.0, 1.0, methods=("forward",))
        >>> float(sweep["forward"][0]) > float(sweep["forward"][8])  # 1e-1 vs 1e-3
        True
    """
    for method in methods:
        _check_method(method)
    steps = np.logspace(-1, -15, 57) if hs is None else np.atleast_1d(_check_h(hs)).ravel()
    if steps.size == 0:
        raise ConfigError("hs must contain at least one step (got an empty list)")
    result: dict[str, NDArray[np.float64]] = {"h": steps}
    for method in methods:
        estimates = np.array([derivative(f, x, method=method, h=float(h)) for h in steps])
        with np.errstate(all="ignore"):
            result[method] = np.abs(estimates - exact)
    return result
