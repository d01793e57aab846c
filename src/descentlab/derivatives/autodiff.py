"""Exact gradients: reverse-mode automatic differentiation of a formula, batched over rows.

The algorithm is micrograd's: put the operations in topological order, seed the output's adjoint
with 1, visit them in reverse and add every operand's share ``g * d(result)/d(operand)`` into the
operand's adjoint (``+=``, which keeps a reused sub-expression right). The formula is first lowered
to the engine's flat program (:func:`descentlab.engine.program.lower`: constants folded, equal
sub-expressions shared, ``x^2`` as ``x*x``), and the compiled interpreter runs its forward pass and
reverse sweep over blocks of rows (:mod:`descentlab.engine.interp`). The rules are data: one
table of operations (:data:`RULES`), with one branch per operation for its value, one for its
first derivatives and one for its second derivatives, and the sweep never names an operation.

Conventions at awkward points (values follow IEEE arithmetic; nothing ever warns):

- ``abs`` at 0 has gradient 0 (``sign(0) = 0``, a subgradient).
- ``sqrt`` at 0 has gradient ``inf``; ``log`` at 0 has gradient ``inf`` (value ``-inf``).
- Outside a function's domain (``log(-1)``, ``asin(2)``) the value and gradient are ``nan``.
- ``a^b`` with a variable exponent uses ``d/db = a^b log(a)``: ``nan`` for ``a < 0``, and 0
  where ``a^b = 0`` (its limit: ``x^y`` at ``(0, 2)`` has ``d/dy = 0``).
- An adjoint of exactly 0 carries nothing, even through an infinite partial derivative: the
  sigmoid ``1/(1 + exp(-x))`` at ``x = -710`` has ``exp(710) = inf`` inside, and gradient 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from descentlab.engine.program import OPS, Op, lower
from descentlab.errors import EvaluationError
from descentlab.expr.tree import Node

__all__ = ["RULES", "grad_function", "value_and_grad"]

RULES: dict[str, Op] = {op.name: op for op in OPS if op.arity > 0}
"""The differentiable operations: ``+ - * /``, negation, powers and the whitelisted functions,
by name (their derivative rules are the branches of :mod:`descentlab.engine.interp`)."""


def grad_function(
    tree: Node, variables: Sequence[str]
) -> Callable[[ArrayLike], tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Prepare ``tree`` once; return a fast function of points giving values and gradients.

    Args:
        tree: The formula.
        variables: The order of the gradient's columns. It must contain every variable of the
            tree and may add others (their gradient column is 0).

    Returns:
        ``fn(X) -> (f, G)``: for ``X`` of shape ``(k, n)``, ``f`` has shape ``(k,)`` and ``G``
        shape ``(k, n)``; for ``X`` of shape ``(n,)``, ``f`` is 0-d and ``G`` has shape ``(n,)``.
        Each call returns new arrays; ``fn`` may be called from several threads at once.
        ``fn`` raises :class:`EvaluationError` for points of the wrong shape.

    Raises:
        EvaluationError: ``variables`` repeats a name or misses one the tree uses, or the tree
            calls an unknown function.

    Examples:
        >>> from descentlab.expr.tree import Binary, Var, Num
        >>> fn = grad_function(Binary("^", Var("x"), Num(2.0)), ["x", "y"])
        >>> f, G = fn([[3.0, 1.0]])
        >>> f.tolist(), G.tolist()
        ([9.0], [[6.0, 0.0]])
    """
    program = lower(tree, variables)
    n = program.n_vars
    names = program.variables

    def value_and_gradient(X: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        A = X if isinstance(X, np.ndarray) and X.dtype == np.float64 else _as_float(X)
        if A.ndim == 2 and A.shape[1] == n:
            return program.values_and_grads(np.ascontiguousarray(A))
        if A.ndim == 1 and A.shape[0] == n:
            f, G = program.values_and_grads(A.reshape(1, n))
            return f.reshape(()), G[0]
        raise EvaluationError(
            f"points must have shape (k, {n}) or ({n},) for variables {list(names)}; "
            f"got shape {A.shape}"
        )

    return value_and_gradient


def _as_float(X: ArrayLike) -> NDArray[np.float64]:
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise EvaluationError(f"points must be real numbers (got {X!r})") from None
    return A


def value_and_grad(
    tree: Node, variables: Sequence[str], X: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Values and exact gradients of ``tree`` at the rows of ``X`` (one-off use).

    For repeated calls, prepare the tree once with :func:`grad_function`.

    Args:
        tree: The formula.
        variables: The order of the gradient's columns (see :func:`grad_function`).
        X: Points, shape ``(k, n)`` or ``(n,)``.

    Returns:
        ``(f, G)`` with shapes ``(k,)`` and ``(k, n)`` (``()`` and ``(n,)`` for one point).

    Raises:
        EvaluationError: ``variables`` repeats a name or misses one the tree uses, or ``X`` has
            the wrong shape.

    Examples:
        >>> from descentlab.expr.tree import Binary, Call, Var
        >>> f, G = value_and_grad(Call("sin", Var("x")), ["x"], [[0.0]])
        >>> G.tolist()
        [[1.0]]
    """
    return grad_function(tree, variables)(X)
