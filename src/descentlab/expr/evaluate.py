"""Evaluate expression trees on NumPy arrays.

A tree is lowered once to the engine's flat program (:func:`descentlab.engine.program.lower`:
constants folded, small integer powers as multiplications), the same
program that gives exact gradients. Real inputs run through the compiled interpreter (the
forward pass of :mod:`descentlab.engine.interp`), so a value here is bit for bit the value that
comes with a gradient; complex inputs (the complex-step derivative) run through the program's
small NumPy interpreter, with the same operations in the same order. Lowering and running are
iterative, so deep and long formulas are safe.

Inputs are converted to float64 (or complex128 when complex) and broadcast together. Evaluation
never warns: points outside a function's domain give nan or inf, which callers test with
``np.isfinite``. Numbers are floats throughout, so ``9^9^9^9`` is inf at once rather than a
huge integer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from descentlab.engine.program import ABS, CONSTANTS, OPS, Program, lower, run_numpy
from descentlab.errors import EvaluationError
from descentlab.expr.parser import FUNCTION_ALIASES
from descentlab.expr.tree import Node, names

__all__ = ["ALIASES", "CONSTANTS", "FUNCTIONS", "Program", "evaluate", "to_function"]

FUNCTIONS: dict[str, Callable[..., Any]] = {op.name: op.numpy for op in OPS[ABS:]}  # type: ignore[misc]
"""The one-argument functions a formula may call, by canonical name, and the NumPy function for
each (``abs`` extended to complex inputs for the complex step); from the engine's one table."""

ALIASES: dict[str, str] = dict(FUNCTION_ALIASES)
"""Other spellings the parser accepts (``ln``, ``arcsin``...) and the canonical name of each."""


def evaluate(tree: Node, env: Mapping[str, ArrayLike]) -> np.ndarray:
    """Evaluate a tree with NumPy broadcasting.

    Args:
        tree: The expression tree.
        env: A value (number or array) for every variable of the tree; arrays broadcast together.
            Integers become float64; complex values stay complex (complex128).

    Returns:
        A new array with the broadcast shape of all the values in ``env`` (``()`` for scalars);
        nan or inf where the formula is undefined or overflows.

    Raises:
        EvaluationError: A variable has no value, a value is not numeric, or the shapes do not
            broadcast.

    Examples:
        >>> from descentlab.expr.parser import parse
        >>> evaluate(parse("x^2 + y"), {"x": [1.0, 2.0], "y": 0.5})
        array([1.5, 4.5])
    """
    inputs = {name: _as_input(name, value) for name, value in env.items()}
    used = sorted(names(tree))
    missing = [name for name in used if name not in inputs]
    if missing:
        lower(tree, used)  # a malformed tree is reported before a missing value
        raise EvaluationError(f"no value for the variable {missing[0]!r}")
    try:
        shape = np.broadcast_shapes(*(a.shape for a in inputs.values()))
    except ValueError:
        shapes = ", ".join(f"{k}: {v.shape}" for k, v in inputs.items())
        raise EvaluationError(f"the values' shapes do not broadcast ({shapes})") from None
    program = lower(tree, used)
    columns = [np.broadcast_to(inputs[name], shape).reshape(-1) for name in used]
    complex_input = any(a.dtype.kind == "c" for a in inputs.values())
    return _run(program, columns, complex_input, math.prod(shape)).reshape(shape)


def to_function(tree: Node, variables: Sequence[str]) -> Callable[[ArrayLike], np.ndarray]:
    """Turn a tree into a function of points, prepared once.

    Args:
        tree: The expression tree.
        variables: The order of the coordinates; it must include every variable of the tree.

    Returns:
        ``f(X)``: X of shape ``(k, n)`` gives values of shape ``(k,)``; X of shape ``(n,)`` gives
        shape ``()``. Complex X gives complex values.

    Raises:
        EvaluationError: ``variables`` repeats a name or misses one the tree uses; ``f`` raises it
            for X of the wrong shape or type.

    Examples:
        >>> from descentlab.expr.parser import parse
        >>> f = to_function(parse("x*y + 1"), ("x", "y"))
        >>> f([[1.0, 2.0], [3.0, 4.0]])
        array([ 3., 13.])
    """
    order = tuple(variables)
    if not all(isinstance(name, str) for name in order):
        raise EvaluationError(f"variable names must be strings, got {list(order)!r}")
    program = lower(tree, order)
    n = len(order)

    def function(X: ArrayLike) -> np.ndarray:
        points = _as_input("X", X)
        if points.ndim not in (1, 2) or points.shape[-1] != n:
            raise EvaluationError(
                f"expected points with {n} coordinates ({', '.join(order)}) as shape (n,) "
                f"or (k, n), got shape {points.shape}"
            )
        rows = points.reshape(-1, n)
        values = _run(program, list(rows.T), points.dtype.kind == "c", rows.shape[0], rows)
        return values.reshape(points.shape[:-1])

    function.__doc__ = f"f({', '.join(order)}) = {tree}"
    return function


def _run(
    program: Program, columns: list[np.ndarray], complex_input: bool, size: int, rows: Any = None
) -> np.ndarray:
    """A new ``(size,)`` array of the program's values at points given by their coordinates.

    ``rows``, when given, holds the same points as a ``(size, n)`` array.
    """
    if complex_input:
        out = np.empty(size, dtype=np.complex128)
        out[...] = run_numpy(program, columns)
        return out
    X = np.ascontiguousarray(rows) if rows is not None else np.empty((size, len(columns)))
    if rows is None:
        for j, column in enumerate(columns):
            X[:, j] = column
    return program.values(X)


def _as_input(name: str, value: ArrayLike) -> np.ndarray:
    """``value`` as a float64 or complex128 array, or an EvaluationError naming ``name``."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise EvaluationError(f"value of {name!r} is not an array of numbers: {exc}") from None
    kind = array.dtype.kind
    if kind in "biuf":
        return array.astype(np.float64, copy=False)
    if kind == "c":
        return array.astype(np.complex128, copy=False)
    raise EvaluationError(f"value of {name!r} must be numbers, not {array.dtype} ({value!r:.60})")
