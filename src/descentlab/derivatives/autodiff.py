"""Exact gradients: reverse-mode automatic differentiation over an expression tree.

The algorithm is micrograd's: put the nodes in topological order, seed the output's adjoint with 1,
run each node's rule in reverse order and accumulate every contribution into the adjoint of its
inputs (``+=``, which keeps a reused sub-expression right). The rules are data, as in autograd:
:data:`RULES` maps each primitive to its forward function and one vector-Jacobian product per
argument, ``vjp(g, ans, *args) -> contribution``, where ``g`` is the adjoint of the output and
``ans`` its value. The machinery never names an operation.

Values are NumPy arrays of shape ``(k,)`` (one entry per point), so a batch of ``k`` points costs
the same number of Python steps as one point. :func:`grad_function` prepares a tree once into a
*tape*: a flat list of instructions over numbered slots, in which equal sub-expressions share a
slot, constant sub-expressions are folded to numbers (and get no gradient work), and integer powers
become multiplications. Calling the prepared function then costs a handful of ufunc calls per
instruction and nothing else, because an optimizer calls it at every iteration.

Conventions at awkward points (values follow IEEE arithmetic; nothing ever warns):

- ``abs`` at 0 has gradient 0 (``sign(0) = 0``, a subgradient).
- ``sqrt`` at 0 has gradient ``inf``; ``log`` at 0 has gradient ``inf`` (value ``-inf``).
- Outside a function's domain (``log(-1)``, ``asin(2)``) the value and gradient are ``nan``.
- ``a^b`` with a variable exponent uses ``d/db = a^b log(a)``: ``nan`` for ``a < 0``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from descentlab.errors import EvaluationError
from descentlab.expr.tree import Binary, Call, Const, Node, Num, Unary, Var, children

__all__ = ["RULES", "Rule", "grad_function", "value_and_grad"]

Value = Any  # a float64 array of shape (k,), or a scalar for constants and constant adjoints

CONSTANT_VALUES = {"pi": math.pi, "e": math.e}
_LN10 = math.log(10.0)
_LN2 = math.log(2.0)


@dataclass(frozen=True, slots=True)
class Rule:
    """A primitive: its forward function and one vector-Jacobian product per argument.

    Attributes:
        forward: ``forward(*args, out=None) -> ans``, elementwise on arrays (a ufunc, or a
            function that takes ``out=`` as ufuncs do).
        vjps: For argument ``i``, ``vjps[i](g, ans, *args)`` is the adjoint contribution
            ``g * d ans / d args[i]``; ``None`` for an argument that is never differentiated.
    """

    forward: Callable[..., Value]
    vjps: tuple[Callable[..., Value] | None, ...]


def _powi(a: Value, n: float, out: NDArray | None = None) -> Value:
    """``a ** n`` for an integer ``n``: small powers by multiplication (exact and fast)."""
    if n == 2:
        return np.multiply(a, a, out=out)
    if n == 3:
        return np.multiply(np.multiply(a, a, out=out), a, out=out)
    if n == 1:
        return a if out is None else np.copyto(out, a) or out
    if n == -1:
        return np.divide(1.0, a, out=out)
    return np.power(a, n, out=out)


def _sign(a: Value) -> Value:
    return np.sign(a)


def _domain(a: Value) -> Value:
    """``a`` where a logarithm is defined (``a >= 0``), nan elsewhere: so its gradient is nan."""
    return np.where(a < 0, np.nan, a)


RULES: dict[str, Rule] = {
    "add": Rule(np.add, (lambda g, ans, a, b: g, lambda g, ans, a, b: g)),
    "sub": Rule(np.subtract, (lambda g, ans, a, b: g, lambda g, ans, a, b: -g)),
    "mul": Rule(np.multiply, (lambda g, ans, a, b: g * b, lambda g, ans, a, b: g * a)),
    "div": Rule(np.divide, (lambda g, ans, a, b: g / b, lambda g, ans, a, b: -(g * ans) / b)),
    "neg": Rule(np.negative, (lambda g, ans, a: -g,)),
    # a^n with a constant integer n (n is a number, never differentiated).
    "powi": Rule(_powi, (lambda g, ans, a, n: (g * n) * _powi(a, n - 1), None)),
    "pow": Rule(
        np.power,
        (
            lambda g, ans, a, b: (g * b) * np.power(a, b - 1.0),
            lambda g, ans, a, b: (g * ans) * np.log(a),
        ),
    ),
    "sin": Rule(np.sin, (lambda g, ans, a: g * np.cos(a),)),
    "cos": Rule(np.cos, (lambda g, ans, a: -g * np.sin(a),)),
    "tan": Rule(np.tan, (lambda g, ans, a: g * (1.0 + ans * ans),)),
    "asin": Rule(np.arcsin, (lambda g, ans, a: g / np.sqrt(1.0 - a * a),)),
    "acos": Rule(np.arccos, (lambda g, ans, a: -g / np.sqrt(1.0 - a * a),)),
    "atan": Rule(np.arctan, (lambda g, ans, a: g / (1.0 + a * a),)),
    "sinh": Rule(np.sinh, (lambda g, ans, a: g * np.cosh(a),)),
    "cosh": Rule(np.cosh, (lambda g, ans, a: g * np.sinh(a),)),
    "tanh": Rule(np.tanh, (lambda g, ans, a: g * (1.0 - ans * ans),)),
    "exp": Rule(np.exp, (lambda g, ans, a: g * ans,)),
    "log": Rule(np.log, (lambda g, ans, a: g / _domain(a),)),
    "log10": Rule(np.log10, (lambda g, ans, a: g / (_domain(a) * _LN10),)),
    "log2": Rule(np.log2, (lambda g, ans, a: g / (_domain(a) * _LN2),)),
    "sqrt": Rule(np.sqrt, (lambda g, ans, a: (0.5 * g) / ans,)),
    "abs": Rule(np.abs, (lambda g, ans, a: g * _sign(a),)),
}
"""The primitives: ``+ - * /``, negation, powers and the whitelisted functions."""

_BINARY_RULE = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow"}

# One tape instruction: (forward, out slot, argument slots, [(vjp, argument position, slot)]).
_Instruction = tuple[Callable[..., Value], int, tuple[int, ...], tuple[tuple[Callable, int], ...]]


class _Tape:
    """A tree flattened into instructions over slots (see the module docstring)."""

    def __init__(self, tree: Node, variables: tuple[str, ...]) -> None:
        self.variables = variables
        self.n = len(variables)
        self.constants: dict[int, Value] = {}  # slot -> folded value
        self.instructions: list[_Instruction] = []
        self.var_slots: list[int] = []  # slot of each variable (index in `variables`)
        self._slot_of_key: dict[tuple, int] = {}
        for name in variables:
            self.var_slots.append(self._new_slot(("var", name)))
        self.nslots = self.n
        self.root = self._flatten(tree)
        self.nslots = len(self._slot_of_key)
        self.root_constant = self.root in self.constants
        self.root_is_variable = self.root in self.var_slots
        self._k = -1
        self._buffers: list[NDArray | None] = []

    def _allocate(self, k: int) -> list[NDArray | None]:
        """One reusable output buffer per instruction, except the root (its value is returned)."""
        buffers: list[NDArray | None] = [None] * self.nslots
        for _, out, _, _ in self.instructions:
            if out != self.root:
                buffers[out] = np.empty(k)
        self._k, self._buffers = k, buffers
        return buffers

    def _new_slot(self, key: tuple) -> int:
        slot = len(self._slot_of_key)
        self._slot_of_key[key] = slot
        return slot

    def _flatten(self, tree: Node) -> int:
        """Post-order walk without recursion; returns the root's slot."""
        slot_of: dict[int, int] = {}  # id(node) -> slot, valid while the tree is alive
        stack: list[tuple[Node, bool]] = [(tree, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in slot_of:
                continue
            if not ready:
                stack.append((node, True))
                stack.extend((child, False) for child in children(node))
                continue
            args = tuple(slot_of[id(child)] for child in children(node))
            slot_of[id(node)] = self._emit(node, args)
        return slot_of[id(tree)]

    def _constant(self, value: float) -> int:
        key = ("num", float(value).hex())
        if key in self._slot_of_key:
            return self._slot_of_key[key]
        slot = self._new_slot(key)
        self.constants[slot] = np.float64(value)
        return slot

    def _emit(self, node: Node, args: tuple[int, ...]) -> int:
        if isinstance(node, Num):
            return self._constant(node.value)
        if isinstance(node, Const):
            if node.name not in CONSTANT_VALUES:
                raise EvaluationError(f"unknown constant {node.name!r}")
            return self._constant(CONSTANT_VALUES[node.name])
        if isinstance(node, Var):
            key = ("var", node.name)
            if key not in self._slot_of_key:
                raise EvaluationError(
                    f"the formula uses {node.name!r}, which is not among the variables "
                    f"{list(self.variables)}"
                )
            return self._slot_of_key[key]
        if isinstance(node, Unary):
            name = "neg"
        elif isinstance(node, Binary):
            name = _BINARY_RULE[node.op]
            if name == "pow" and args[1] in self.constants:
                exponent = float(self.constants[args[1]])
                if exponent == 0:  # u^0 is 1 everywhere (as np.power has it), gradient 0
                    return self._constant(1.0)
                if exponent.is_integer() and abs(exponent) <= 64:
                    name = "powi"
        elif isinstance(node, Call):
            if node.func not in RULES:
                raise EvaluationError(f"no derivative rule for function {node.func!r}")
            name = node.func
        else:
            raise EvaluationError(f"not an expression node: {node!r}")
        rule = RULES[name]
        if all(a in self.constants for a in args):
            # A constant sub-expression: fold it now, once.
            with np.errstate(all="ignore"):
                value = rule.forward(*(self.constants[a] for a in args))
            return self._constant(float(value))
        key = (name, *args)
        if key in self._slot_of_key:  # a common sub-expression: share its slot
            return self._slot_of_key[key]
        slot = self._new_slot(key)
        needs = tuple(
            (vjp, a)
            for vjp, a in zip(rule.vjps, args, strict=True)
            if vjp is not None and a not in self.constants
        )
        self.instructions.append((rule.forward, slot, args, needs))
        return slot

    def __call__(self, X: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        k = X.shape[0]
        vals: list[Value] = [None] * self.nslots
        for slot, value in self.constants.items():
            vals[slot] = value
        columns = np.ascontiguousarray(X.T)  # contiguous columns: faster ufuncs than X[:, j]
        for j, slot in enumerate(self.var_slots):
            vals[slot] = columns[j]
        if self.root_constant:
            return np.full(k, float(vals[self.root])), np.zeros((k, self.n))
        # Forward values go into buffers kept between calls: fresh arrays of this size would be
        # returned to the operating system and faulted back in at every call.
        buffers = self._buffers if k == self._k else self._allocate(k)
        for forward, out, args, _ in self.instructions:
            vals[out] = forward(*[vals[a] for a in args], out=buffers[out])
        # Backward: seed 1, rules in reverse, accumulate. Adjoints may be plain numbers (the path
        # from the root is constant) and are shared between slots, so accumulation never writes in
        # place: it builds a new sum.
        adj: list[Value] = [None] * self.nslots
        adj[self.root] = 1.0
        for _, out, args, needs in reversed(self.instructions):
            g = adj[out]
            ans = vals[out]
            argvals = [vals[a] for a in args]
            for vjp, a in needs:
                contribution = vjp(g, ans, *argvals)
                adj[a] = contribution if adj[a] is None else adj[a] + contribution
        G = np.empty((k, self.n))
        for j, slot in enumerate(self.var_slots):
            G[:, j] = 0.0 if adj[slot] is None else adj[slot]
        f = vals[self.root]
        if self.root_is_variable or np.may_share_memory(f, X):  # never hand out a view of X
            f = f.copy()
        return f, G


def _check_variables(variables: Sequence[str]) -> tuple[str, ...]:
    if isinstance(variables, str):
        variables = (variables,)
    names = tuple(variables)
    if len(set(names)) != len(names):
        raise EvaluationError(f"variables {list(names)} repeat a name")
    if not all(isinstance(v, str) for v in names):
        raise EvaluationError(f"variable names must be strings (got {list(names)!r})")
    return names


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
    names = _check_variables(variables)
    tape = _Tape(tree, names)
    n = len(names)

    def value_and_gradient(X: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        A = X if isinstance(X, np.ndarray) and X.dtype == np.float64 else _as_float(X)
        if A.ndim == 2 and A.shape[1] == n:
            with np.errstate(all="ignore"):
                return tape(A)
        if A.ndim == 1 and A.shape[0] == n:
            with np.errstate(all="ignore"):
                f, G = tape(A[None, :])
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
