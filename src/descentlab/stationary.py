"""What a converged run found: a minimum, a maximum, a saddle, or a point the test cannot tell.

A small gradient says only that a point is *stationary*. The second-derivative test tells the
kinds apart: at a stationary point the Hessian's eigenvalues are all positive at a minimum, all
negative at a maximum, of both signs at a saddle; when one is zero (within the tolerance below)
and the others share a sign, the test is inconclusive and the point is called *degenerate*
(``x^4`` at 0, a valley floor of minima, a constant function).

The Hessian comes from ``objective.hessian(X)`` when the objective has one (exact for formulas),
else from central differences of ``objective.grad`` (:func:`descentlab.derivatives.finite.hessian`).

Tolerance: an eigenvalue ``lam`` counts as zero when ``|lam| <= rtol * max(1, max_i |lam_i|)``
(relative to the largest curvature, absolute below curvature 1), with ``rtol`` = :data:`RTOL`
for an exact gradient and :data:`RTOL_APPROX` when the gradient itself is a finite-difference
estimate (its Hessian is then only good to a few digits). A Hessian that is not finite is
degenerate.

Examples:
    >>> import numpy as np
    >>> labels(classify(np.array([[[2.0, 0.0], [0.0, -2.0]], [[2.0, 0.0], [0.0, 1e-9]]])))
    ['saddle', 'degenerate']
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descentlab.derivatives import finite
from descentlab.errors import ConfigError
from descentlab.result import Result, Stationary

__all__ = [
    "CHUNK_FLOATS",
    "RTOL",
    "RTOL_APPROX",
    "UNBOUNDED_MESSAGE",
    "UNBOUNDED_NAME_LIMIT",
    "classify",
    "classify_rows",
    "hessians",
    "labels",
    "linear_gradient",
    "refuse_unbounded",
]

RTOL = 1e-6
"""Eigenvalues below ``RTOL * max(1, max |lam|)`` in size count as zero (exact gradients)."""

RTOL_APPROX = 1e-5
"""The same for objectives whose gradient is a finite-difference estimate."""

CHUNK_FLOATS = 4_000_000
"""Hessian entries computed at once (about 32 MB); rows are classified in chunks of this size."""

UNBOUNDED_MESSAGE = (
    "{name} is linear (its gradient is ({gradient}) everywhere): it is unbounded below "
    "and has no minimum to descend to (give bounds to search a box)"
)
"""What :func:`refuse_unbounded` says: ``name`` is the objective's name as Python's ``repr``
quotes it (cut to :data:`UNBOUNDED_NAME_LIMIT` characters), ``gradient`` its components in
``{:.10g}`` format joined by ``", "`` (the first and last three and ``...`` when there are
more than six), all on one line. The explorer page fills in the same text (it is handed
this template by its builder)."""

UNBOUNDED_NAME_LIMIT = 60
"""A longer name is cut to its first ``UNBOUNDED_NAME_LIMIT - 3`` characters and ``...``."""

_EXACT_GRADIENTS = ("exact", "user")


def classify(H: NDArray[np.float64], *, rtol: float = RTOL) -> NDArray[np.int8]:
    """The :class:`~descentlab.result.Stationary` kind of each Hessian, from its eigenvalues.

    Args:
        H: ``(k, n, n)`` symmetric matrices.
        rtol: Relative tolerance under which an eigenvalue counts as zero (see the module).

    Returns:
        ``(k,)`` Stationary codes (MINIMUM, MAXIMUM, SADDLE or DEGENERATE).

    Examples:
        >>> labels(classify(np.array([[[1.0]], [[-3.0]], [[0.0]]])))
        ['minimum', 'maximum', 'degenerate']
    """
    H = np.asarray(H, dtype=np.float64)
    k = H.shape[0]
    out = np.full(k, Stationary.DEGENERATE, dtype=np.int8)
    finite_rows = np.all(np.isfinite(H.reshape(k, -1)), axis=1)
    if not finite_rows.any():
        return out
    w = np.linalg.eigvalsh(H[finite_rows])  # (m, n), ascending
    tol = rtol * np.maximum(1.0, np.max(np.abs(w), axis=1))
    positive = w > tol[:, None]
    negative = w < -tol[:, None]
    kind = np.full(w.shape[0], Stationary.DEGENERATE, dtype=np.int8)
    kind[positive.all(axis=1)] = Stationary.MINIMUM
    kind[negative.all(axis=1)] = Stationary.MAXIMUM
    kind[positive.any(axis=1) & negative.any(axis=1)] = Stationary.SADDLE
    out[finite_rows] = kind
    return out


def labels(codes: NDArray[np.int8]) -> list[str | None]:
    """The labels of Stationary codes (None for rows not classified)."""
    return [Stationary(int(c)).label for c in codes]


def hessians(objective: Any, X: NDArray[np.float64]) -> NDArray[np.float64]:
    """``(k, n, n)`` Hessians of ``objective`` at the rows of ``X`` (see the module).

    Examples:
        >>> from descentlab.objective import Objective
        >>> hessians(Objective.from_formula("x^2 y"), np.array([[1.0, 3.0]])).round(6).tolist()
        [[[6.0, 2.0], [2.0, 0.0]]]
    """
    exact = getattr(objective, "hessian", None)
    if callable(exact):
        return np.asarray(exact(X), dtype=np.float64).reshape(X.shape[0], X.shape[1], X.shape[1])
    return finite.hessian(objective.grad, X)


def classify_rows(objective: Any, result: Result) -> Result:
    """``result`` with ``stationary`` set: the kind of point each converged row ended at.

    Rows that did not converge get ``Stationary.NONE``. The Hessians are computed in chunks of
    at most :data:`CHUNK_FLOATS` entries, so memory stays bounded for many rows or many
    variables.

    Args:
        objective: What the run minimized (``grad``, optionally ``hessian`` and ``grad_method``).
        result: The run's Result.

    Returns:
        A copy of ``result`` with ``stationary`` filled in.

    Examples:
        >>> from descentlab.descent import minimize
        >>> from descentlab.objective import Objective
        >>> from descentlab.optimizers import gd
        >>> r = minimize(Objective.from_formula("x^2 - y^2"), [[0.0, 0.0], [1.0, 0.0]], gd(lr=0.1))
        >>> labels(r.stationary)
        ['saddle', 'minimum']
    """
    k, n = result.x.shape
    codes = np.zeros(k, dtype=np.int8)
    success = result.success
    if not success.any():  # (no row to classify: a run stopped by max_iter, say)
        return dataclasses.replace(result, stationary=codes)
    rows = np.flatnonzero(success & np.all(np.isfinite(result.x), axis=1))
    approx = getattr(objective, "grad_method", "exact") not in _EXACT_GRADIENTS
    rtol = RTOL_APPROX if approx else RTOL
    chunk = max(1, CHUNK_FLOATS // (2 * n * n))
    with np.errstate(all="ignore"):
        for start in range(0, rows.size, chunk):
            part = rows[start : start + chunk]
            codes[part] = classify(hessians(objective, result.x[part]), rtol=rtol)
    return dataclasses.replace(result, stationary=codes)


_LINEAR: dict[int, tuple[Any, bool]] = {}
"""id(tree) -> (tree, whether it is linear) for the last :data:`_LINEAR_KEEP` trees asked about
(the tree is kept, so its id cannot be reused while it is here): ``minimize`` asks on every
call, and one pass over a tree cost ~40 us, a tenth of a one-start run's fixed cost."""

_LINEAR_KEEP = 64


def _is_linear(tree: Any) -> bool:
    """Whether a formula is provably linear and not constant (see :func:`linear_gradient`)."""
    hit = _LINEAR.get(id(tree))
    if hit is not None and hit[0] is tree:
        return hit[1]
    from descentlab.expr.tree import Binary, Call, Num, Unary, Var, children, post_order

    degree: dict[int, int] = {}  # 0 constant, 1 linear, 2 neither (or not proven)
    for node in post_order(tree):
        d = [degree[id(c)] for c in children(node)]
        if isinstance(node, Var):
            degree[id(node)] = 1
        elif isinstance(node, Unary):
            degree[id(node)] = d[0]
        elif isinstance(node, Binary) and node.op in "+-":
            degree[id(node)] = max(d)
        elif isinstance(node, Binary) and node.op == "*":
            degree[id(node)] = d[0] + d[1] if min(d) == 0 else 2
        elif isinstance(node, Binary) and node.op == "/":
            degree[id(node)] = d[0] if d[1] == 0 else 2
        elif isinstance(node, Binary):  # power
            one = isinstance(node.right, Num) and node.right.value == 1.0
            degree[id(node)] = 0 if max(d) == 0 else d[0] if one else 2
        elif isinstance(node, Call):
            degree[id(node)] = 0 if d[0] == 0 else 2
        else:  # numbers and named constants
            degree[id(node)] = 0
    linear = min(degree[id(tree)], 2) == 1
    if len(_LINEAR) >= _LINEAR_KEEP:
        _LINEAR.pop(next(iter(_LINEAR)), None)
    _LINEAR[id(tree)] = (tree, linear)
    return linear


def linear_gradient(objective: Any) -> NDArray[np.float64] | None:
    """The constant gradient of a formula that is provably linear and not constant, else None.

    Such a function (``x``, ``2x - 3y + 1``) is unbounded below: it has no minimum and no
    stationary point, and gradient descent walks away forever. Decided from the formula in one
    pass over its tree: each sub-formula is constant, linear (every second derivative
    identically zero) or neither; a sum or difference of linear parts is linear, so is a
    product or quotient by a constant, and ``u^1``; anything else with a variable inside
    (``x*y``, ``x/x``, ``sin(x)``, ``0*x^2``) counts as not linear, so a formula is called
    linear only when it is. The gradient is then the same everywhere: it is taken at the
    origin, and a gradient that is zero or not finite there gives None. Python functions give
    None.

    Examples:
        >>> from descentlab.objective import Objective
        >>> linear_gradient(Objective.from_formula("2x - 3y + 1")).tolist()
        [2.0, -3.0]
        >>> linear_gradient(Objective.from_formula("x^2 + y")) is None
        True
    """
    tree = getattr(objective, "tree", None)
    if tree is None or not _is_linear(tree):
        return None
    with np.errstate(all="ignore"):
        g: NDArray[np.float64] = np.asarray(
            objective.grad(np.zeros((1, objective.dim))), dtype=np.float64
        )[0]
    if not np.all(np.isfinite(g)) or not np.any(g != 0):
        return None
    return g


def refuse_unbounded(objective: Any) -> None:
    """Raise a ConfigError for a formula that :func:`linear_gradient` proves unbounded below.

    :func:`~descentlab.descent.minimize` calls it when no ``bounds`` are given (a box makes a
    linear objective fine: its minimum is on the boundary), so ``run`` and the Python API
    refuse such a formula before running, with the same sentence.

    Raises:
        ConfigError: The objective is a linear formula that is not constant.

    Examples:
        >>> from descentlab.objective import Objective
        >>> refuse_unbounded(Objective.from_formula("x^2 - y"))  # not linear: nothing to say
        >>> refuse_unbounded(Objective.from_formula("2x - 3y"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        descentlab.errors.ConfigError: '2x - 3y' is linear (its gradient is (2, -3) everywhere): ...
    """
    g = linear_gradient(objective)
    if g is None:
        return
    name = str(objective.name)
    limit = UNBOUNDED_NAME_LIMIT
    name = name if len(name) <= limit else name[: limit - 3] + "..."
    parts = [f"{v:.10g}" for v in g.tolist()]
    if len(parts) > 6:  # the first and last three, as NumPy summarizes
        parts = [*parts[:3], "...", *parts[-3:]]
    raise ConfigError(UNBOUNDED_MESSAGE.format(name=repr(name), gradient=", ".join(parts)))
