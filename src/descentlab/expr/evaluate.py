"""Evaluate expression trees on NumPy arrays, as fast as the same formula written by hand.

A tree is first *prepared* into a flat program (a list of instructions for a small stack machine),
once: sub-trees without variables are folded into constants, ``x^2``, ``x^3`` and ``x^4`` become
multiplications, and ``e^y`` becomes ``exp(y)``. Running the program calls one NumPy ufunc per
instruction and writes into temporaries it owns (``out=``) instead of allocating new ones, so a
formula over a 1000x1000 grid costs about what the hand-written NumPy expression costs (see
``benchmarks/bench_eval.py``). Preparing and running are iterative, so deep trees are safe.

Inputs are converted to float64 (or complex128 when complex: the complex-step derivative needs
it) and broadcast together. Evaluation never warns: it runs under ``np.errstate(all="ignore")``,
and points outside a function's domain give nan or inf, which callers test with ``np.isfinite``.
Numbers are floats throughout, so ``9^9^9^9`` is inf at once rather than a huge integer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from descentlab.errors import EvaluationError
from descentlab.expr.parser import FUNCTION_ALIASES
from descentlab.expr.tree import (
    Binary,
    Call,
    Const,
    Node,
    Num,
    Unary,
    Var,
    children,
    names,
    post_order,
)

FUNCTIONS: dict[str, np.ufunc] = {
    "abs": np.absolute,
    "acos": np.arccos,
    "asin": np.arcsin,
    "atan": np.arctan,
    "cos": np.cos,
    "cosh": np.cosh,
    "exp": np.exp,
    "log": np.log,
    "log10": np.log10,
    "log2": np.log2,
    "sin": np.sin,
    "sinh": np.sinh,
    "sqrt": np.sqrt,
    "tan": np.tan,
    "tanh": np.tanh,
}
"""The one-argument functions a formula may call, by canonical name, and the ufunc for each."""

ALIASES: dict[str, str] = dict(FUNCTION_ALIASES)
"""Other spellings the parser accepts (``ln``, ``arcsin``...) and the canonical name of each."""

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
"""The named constants a formula may use."""

BINARY_UFUNCS: dict[str, np.ufunc] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "^": np.power,
}

# Instruction codes of the stack machine.
_LOAD, _CONST, _UNARY, _BINARY, _POWER = range(5)

Instruction = tuple[int, Any]


class Program:
    """A tree prepared for evaluation: a flat list of instructions over a value stack.

    Args:
        tree: The expression tree.

    Raises:
        EvaluationError: The tree names a function, constant or operator that does not exist
            (only trees built by hand can).
    """

    def __init__(self, tree: Node) -> None:
        self.tree = tree
        self.names = frozenset(names(tree))
        self.instructions: list[Instruction] = _prepare(tree)

    def __call__(self, env: Mapping[str, np.ndarray]) -> tuple[Any, bool]:
        """Run on inputs already converted to float64/complex128 arrays.

        Returns:
            ``(value, owned)``: ``owned`` is true when ``value`` is a new array that nothing else
            refers to (otherwise it may be one of the inputs, or a scalar).
        """
        with np.errstate(all="ignore"):
            return _run(self.instructions, env)


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
    program = Program(tree)
    inputs = {name: _as_input(name, value) for name, value in env.items()}
    missing = sorted(program.names - inputs.keys())
    if missing:
        raise EvaluationError(f"no value for the variable {missing[0]!r}")
    try:
        shape = np.broadcast_shapes(*(a.shape for a in inputs.values()))
    except ValueError:
        shapes = ", ".join(f"{k}: {v.shape}" for k, v in inputs.items())
        raise EvaluationError(f"the values' shapes do not broadcast ({shapes})") from None
    dtype = np.result_type(np.float64, *inputs.values())
    return _finish(*program(inputs), shape, dtype)


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
    if len(set(order)) != len(order):
        raise EvaluationError(f"variables {list(order)} repeat a name")
    program = Program(tree)
    missing = sorted(program.names - set(order))
    if missing:
        raise EvaluationError(
            f"the formula uses {', '.join(missing)}, not among the variables {list(order)}"
        )
    n = len(order)

    def function(X: ArrayLike) -> np.ndarray:
        points = _as_input("X", X)
        if points.ndim not in (1, 2) or points.shape[-1] != n:
            raise EvaluationError(
                f"expected points with {n} coordinates ({', '.join(order)}) as shape (n,) "
                f"or (k, n), got shape {points.shape}"
            )
        env = {name: points[..., i] for i, name in enumerate(order)}
        return _finish(*program(env), points.shape[:-1], points.dtype)

    function.__doc__ = f"f({', '.join(order)}) = {tree}"
    return function


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


def _finish(result: Any, owned: bool, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A new array of ``shape``: ``result`` itself if the program made it, else a copy."""
    if owned and result.shape == shape:
        return result
    out = np.empty(shape, dtype=np.result_type(dtype, result))
    out[...] = result
    return out


def _prepare(tree: Node) -> list[Instruction]:
    """Fold constant sub-trees and flatten the rest into post-order instructions."""
    constants = _fold_constants(tree)
    instructions: list[Instruction] = []
    pending: list[Node | Instruction] = [tree]
    while pending:
        item = pending.pop()
        if isinstance(item, tuple):
            instructions.append(item)
            continue
        node = item
        if id(node) in constants:
            instructions.append((_CONST, constants[id(node)]))
        elif isinstance(node, Var):
            instructions.append((_LOAD, node.name))
        elif isinstance(node, Unary):
            pending += [(_UNARY, np.negative), node.operand]
        elif isinstance(node, Call):
            pending += [(_UNARY, FUNCTIONS[node.func]), node.arg]
        elif isinstance(node, Binary):
            pending += _binary(node, constants)
        else:  # pragma: no cover - _fold_constants rejects unknown nodes
            raise EvaluationError(f"not an expression node: {node!r}")
    return instructions


def _binary(node: Binary, constants: dict[int, Any]) -> list[Node | Instruction]:
    """Pending items for a binary node (its instruction first, then right, then left)."""
    if node.op == "^":
        exponent = constants.get(id(node.right))
        if exponent is not None and exponent in (1.0, 2.0, 3.0, 4.0):
            return [(_POWER, int(exponent)), node.left]
        if node.left == Const("e"):
            return [(_UNARY, np.exp), node.right]
    return [(_BINARY, BINARY_UFUNCS[node.op]), node.right, node.left]


def _fold_constants(tree: Node) -> dict[int, Any]:
    """Values of the sub-trees without variables, by ``id``; validates every node on the way."""
    values: dict[int, Any] = {}
    with np.errstate(all="ignore"):
        for node in post_order(tree):
            _check(node)
            if isinstance(node, Var):
                continue
            args = [values.get(id(child)) for child in children(node)]
            if any(arg is None for arg in args):
                continue
            values[id(node)] = _constant_value(node, args)
    return values


def _check(node: Node) -> None:
    if isinstance(node, Call) and node.func not in FUNCTIONS:
        raise EvaluationError(f"unknown function {node.func!r}")
    if isinstance(node, Const) and node.name not in CONSTANTS:
        raise EvaluationError(f"unknown constant {node.name!r}")
    if isinstance(node, Binary) and node.op not in BINARY_UFUNCS:
        raise EvaluationError(f"unknown operator {node.op!r}")
    if isinstance(node, Unary) and node.op != "-":
        raise EvaluationError(f"unknown unary operator {node.op!r}")
    if not isinstance(node, Num | Var | Const | Unary | Binary | Call):
        raise EvaluationError(f"not an expression node: {node!r}")


def _constant_value(node: Node, args: list[Any]) -> np.float64:
    if isinstance(node, Num):
        return np.float64(node.value)
    if isinstance(node, Const):
        return np.float64(CONSTANTS[node.name])
    if isinstance(node, Unary):
        return np.negative(args[0])
    if isinstance(node, Call):
        return FUNCTIONS[node.func](args[0])
    assert isinstance(node, Binary)
    return BINARY_UFUNCS[node.op](args[0], args[1])


def _fits(out: np.ndarray, other: Any) -> bool:
    """Whether ``op(out, other)`` can be written into ``out`` with the same result."""
    shape = getattr(other, "shape", ())
    if shape != out.shape and shape != ():
        return False
    return out.dtype.kind == "c" or getattr(other, "dtype", out.dtype).kind != "c"


def _run(instructions: list[Instruction], env: Mapping[str, np.ndarray]) -> Any:
    """Execute the program. A value is ``owned`` when it is a temporary we may overwrite."""
    stack: list[tuple[Any, bool]] = []
    push, pop = stack.append, stack.pop
    for code, arg in instructions:
        if code == _LOAD:
            push((env[arg], False))
        elif code == _CONST:
            push((arg, False))
        elif code == _UNARY:
            a, owned = pop()
            if owned and (arg is not np.absolute or a.dtype.kind != "c"):
                push((arg(a, out=a), True))
            else:
                r = arg(a)
                push((r, type(r) is np.ndarray))
        elif code == _BINARY:
            b, owned_b = pop()
            a, owned_a = pop()
            if owned_a and _fits(a, b):
                r = arg(a, b, out=a)
            elif owned_b and _fits(b, a):
                r = arg(a, b, out=b)
            else:
                r = arg(a, b)
            push((r, type(r) is np.ndarray))
        else:  # _POWER with a small integer exponent
            a, owned = pop()
            if arg == 1:
                push((a, owned))
                continue
            if arg == 3:
                r = np.multiply(a, a)
                r = np.multiply(r, a, out=r) if type(r) is np.ndarray else r * a
            else:
                r = np.square(a, out=a) if owned else np.square(a)
                if arg == 4:
                    r = np.square(r, out=r) if type(r) is np.ndarray else np.square(r)
            push((r, type(r) is np.ndarray))
    return pop()
