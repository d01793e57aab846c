"""The one lowering of a formula: an expression tree becomes a flat program of numbered slots.

A :class:`Program` is what every evaluator of a formula runs: the compiled interpreter
(:mod:`descentlab.engine.interp`: values, exact gradients, exact Hessians over blocks of rows)
and the small NumPy interpreter here (:func:`run_numpy`: complex inputs for the complex step).
Row ``i`` of ``code`` is the instruction ``(opcode, a, b)`` that fills slot ``i``:

- ``VAR``: the coordinate ``a`` of the point (``a`` indexes the variables);
- ``CONST``: the number ``consts[a]``;
- a one-argument operation (``NEG``, ``SIN``, ...) of slot ``a``; ``POWI`` raises slot ``a`` to
  the integer power ``b`` (``b`` is the exponent itself, not a slot);
- a two-argument operation (``ADD``, ``SUB``, ``MUL``, ``DIV``, ``POW``) of slots ``a`` and ``b``.

Operands always come before the slot they feed, and the formula's value is the last slot,
``m - 1``. Lowering walks the tree once, without recursion (a sum of thousands of terms is fine),
children left to right (the explorer page's port sums adjoints in this order too): sub-trees
without variables are folded to one constant, equal sub-expressions share a slot, ``u^0`` is 1,
``u^1`` is ``u`` and other integer powers up to 64 are ``POWI``. A variable gets a
slot only if the formula uses it.

:data:`OPS` is the one table of operations: the opcode, the name (the derivative rules'
names in :data:`descentlab.derivatives.autodiff.RULES`), the number of operands and the NumPy
function that computes it (used to fold constants and by :func:`run_numpy`). The compiled
interpreter writes each operation's arithmetic once (its value, its ``_d_*`` share of the
adjoint, its second derivatives) and dispatches on the opcode in the block sweeps and in the row
sweeps. To add a function, add a row here; there, its ``_d_*`` share and its branch in each
dispatcher (``_values``, ``_adjoint``, ``_v_unary``, ``_d_unary``, ``_second``).

Examples:
    >>> from descentlab.expr import parse
    >>> p = lower(parse("(1 - x)^2"), ("x",))
    >>> [OPS[op].name for op, _, _ in p.code.tolist()], p.consts.tolist()
    (['const', 'var', 'sub', 'powi'], [1.0])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from descentlab.errors import EvaluationError

if TYPE_CHECKING:
    from descentlab.expr.tree import Binary, Node

# The tree's node types are imported inside the functions that walk trees: descentlab.expr's
# evaluator is built on this module, so importing descentlab.expr here would be circular.

__all__ = ["CONSTANTS", "OPS", "Op", "Program", "lower", "run_numpy"]

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
"""The named constants a formula may use."""

TWIN_SLOT = 1e-6
"""Seconds per slot and row of a forward pass run as Python (the interpreter's twin, see
:func:`descentlab.engine.jit.run`): the estimate that decides whether a first call waits for
the compiler (a sweep with gradients counts three, a Hessian six per variable)."""

MAX_POWI = 64
"""Integer exponents up to this size (in absolute value) are computed by ``POWI``."""


def powi(a: Any, n: int) -> Any:
    """``a ** n`` for an integer ``n``: exact small powers by multiplication, else ``np.power``.

    The compiled interpreter compiles this very function for ``POWI`` (and its derivatives,
    where ``n - 2`` may be 0: ``np.power(a, 0.0)`` is 1).
    """
    if n == 2:
        return a * a
    if n == 3:
        return (a * a) * a
    if n == 1:
        return a
    if n == -1:
        return 1.0 / a
    return np.power(a, float(n))


def complex_abs(a: Any) -> Any:
    """``abs`` that takes the complex step: ``-z`` where ``Re z < 0``, else ``z``.

    For real input it is ``np.absolute``. For complex input ``x + ih`` (tiny h) it keeps the
    imaginary part, so ``Im abs(x + ih) / h = sign(x)``, the derivative of ``abs`` at ``x != 0``
    (the standard extension; at ``x = 0`` abs is not analytic and no step is right).
    """
    if np.iscomplexobj(a):
        return np.where(np.real(a) < 0, -a, a)
    return np.absolute(a)


@dataclass(frozen=True)
class Op:
    """One operation of a program.

    Attributes:
        code: Its opcode (its index in :data:`OPS`).
        name: Its name: ``"add"``, ``"sin"``... (a function's name is the one people type).
        arity: Number of slot operands (0 for ``var`` and ``const``; ``powi`` has 1).
        numpy: The NumPy function computing it on values (real or complex).
    """

    code: int
    name: str
    arity: int
    numpy: Callable[..., Any] | None


_TABLE: tuple[tuple[str, int, Callable[..., Any] | None], ...] = (
    ("var", 0, None),
    ("const", 0, None),
    ("neg", 1, np.negative),
    ("add", 2, np.add),
    ("sub", 2, np.subtract),
    ("mul", 2, np.multiply),
    ("div", 2, np.divide),
    ("pow", 2, np.power),
    ("powi", 1, powi),
    ("abs", 1, complex_abs),
    ("acos", 1, np.arccos),
    ("asin", 1, np.arcsin),
    ("atan", 1, np.arctan),
    ("cos", 1, np.cos),
    ("cosh", 1, np.cosh),
    ("exp", 1, np.exp),
    ("log", 1, np.log),
    ("log10", 1, np.log10),
    ("log2", 1, np.log2),
    ("sin", 1, np.sin),
    ("sinh", 1, np.sinh),
    ("sqrt", 1, np.sqrt),
    ("tan", 1, np.tan),
    ("tanh", 1, np.tanh),
)
# Append new operations at the end: compiled code cached on disk knows the opcodes by number.

OPS: tuple[Op, ...] = tuple(Op(i, name, arity, fn) for i, (name, arity, fn) in enumerate(_TABLE))
"""Every operation, indexed by opcode."""

OPCODE: dict[str, int] = {op.name: op.code for op in OPS}
"""Opcode by name."""

(VAR, CONST, NEG, ADD, SUB, MUL, DIV, POW, POWI) = range(9)
(ABS, ACOS, ASIN, ATAN, COS, COSH, EXP, LOG, LOG10, LOG2, SIN, SINH, SQRT, TAN, TANH) = range(9, 24)
assert [OPS[i].name for i in (VAR, POWI, ABS, TANH)] == ["var", "powi", "abs", "tanh"]

FUNCTION_NAMES: tuple[str, ...] = tuple(op.name for op in OPS[ABS:])
"""The one-argument functions a formula may call, by canonical name."""

_BINARY = {"+": ADD, "-": SUB, "*": MUL, "/": DIV, "^": POW}


@dataclass(frozen=True, eq=False)
class Program:
    """A formula lowered to a flat list of instructions over numbered slots.

    Attributes:
        code: ``(m, 3)`` int64 rows ``(opcode, a, b)``; row ``i`` fills slot ``i``.
        consts: ``(c,)`` float64 constants, indexed by the ``a`` of ``CONST`` rows.
        n_vars: Number of variables (the length of a point), including unused ones.
        variables: Their names, in coordinate order.
        tree: The formula the program was lowered from.
    """

    code: NDArray[np.int64]
    consts: NDArray[np.float64]
    n_vars: int
    variables: tuple[str, ...]
    tree: Node

    @property
    def output(self) -> int:
        """The slot holding the formula's value: the last one."""
        return self.code.shape[0] - 1

    @property
    def is_constant(self) -> bool:
        """Whether the formula does not depend on any variable (one ``CONST`` row)."""
        return self.code.shape[0] == 1 and self.code[0, 0] == CONST

    def __repr__(self) -> str:
        return f"Program({str(self.tree)!r:.60}, slots={self.code.shape[0]}, n_vars={self.n_vars})"

    # The compiled interpreter on points X of shape (k, n_vars), float64 and C-contiguous (the
    # callers check); each call returns new arrays. The blocks of rows are cut here and handed
    # to the interpreter's block functions one by one (each call releases the GIL): the fused
    # loop calls the same compiled functions, so a process loads each of them once.

    def values(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Values ``(k,)`` at the rows of ``X`` ``(k, n)`` (compiled forward pass)."""
        from descentlab.engine import interp, jit

        F = np.empty(X.shape[0])
        m = self.code.shape[0]
        seconds = TWIN_SLOT * m * X.shape[0]
        for lo, hi, XT in _column_blocks(X):
            args = (self.code, self.consts, XT, np.empty((m, hi - lo)), F[lo:hi])
            jit.run(interp.forward, args, seconds)
        return F

    def values_and_grads(
        self, X: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Values ``(k,)`` and exact gradients ``(k, n)`` (forward pass and reverse sweep).

        The values are bit for bit those of :meth:`values`: the same forward pass.
        """
        from descentlab.engine import interp, jit

        k, n = X.shape
        F = np.empty(k)
        G = np.empty((k, n))
        m = self.code.shape[0]
        sweep = interp.sweep_for(k)
        seconds = 3 * TWIN_SLOT * m * k
        for lo, hi, XT in _column_blocks(X):
            GT = np.empty((n, hi - lo))
            work, adj = np.empty((m, hi - lo)), np.empty((m + 1, hi - lo))
            jit.run(sweep, (self.code, self.consts, XT, work, adj, F[lo:hi], GT), seconds)
            G[lo:hi] = GT.T
        return F, G

    def hessians(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Exact Hessians ``(k, n, n)`` (forward over reverse), symmetrized: ``(H + H^T)/2``.

        Forward over reverse gives ``d/dx_j (d f/dx_l)``; the two orders of a mixed derivative
        can differ by rounding, and the mean of the two makes the matrix exactly symmetric.
        """
        from descentlab.engine import interp, jit

        k, n = X.shape
        H = np.empty((k, n, n))
        seconds = 6 * TWIN_SLOT * self.code.shape[0] * n * k
        for lo, hi, XT in _column_blocks(X):
            HT = np.empty((n, n, hi - lo))
            jit.run(interp.hessian_block, (self.code, self.consts, XT, HT), seconds)
            H[lo:hi] = HT.transpose(2, 0, 1)
        H += np.swapaxes(H, 1, 2)
        H *= 0.5
        return H


def _column_blocks(X: NDArray[np.float64]) -> Iterator[tuple[int, int, NDArray[np.float64]]]:
    """Rows ``lo:hi`` of ``X`` ``(k, n)``, block by block (the interpreter's ``BLOCK`` rows), each
    as a new ``(n, hi - lo)`` array in column layout."""
    from descentlab.engine.interp import BLOCK

    for lo in range(0, X.shape[0], BLOCK):
        hi = min(lo + BLOCK, X.shape[0])
        yield lo, hi, np.ascontiguousarray(X[lo:hi].T)


def lower(tree: Node, variables: Sequence[str]) -> Program:
    """Lower a validated expression tree to a :class:`Program`, once.

    Args:
        tree: The formula (from :func:`descentlab.expr.parse`, or built by hand).
        variables: The coordinate order. It must name every variable of the tree, and may add
            others (the formula is then constant in them).

    Returns:
        The program; its value is in the last slot.

    Raises:
        EvaluationError: ``variables`` are not distinct strings, a variable of the tree is
            missing from them, or the tree has an unknown function, constant or operator (only
            trees built by hand can).

    Examples:
        >>> from descentlab.expr import parse
        >>> lower(parse("x*y + 2^3"), ("x", "y")).consts.tolist()
        [8.0]
    """
    from descentlab.expr.tree import children, post_order

    order = _check_variables(variables)
    index = {name: i for i, name in enumerate(order)}
    builder = _Builder()
    slot_of: dict[int, int] = {}  # id(node) -> slot; constants are slots holding a CONST row
    with np.errstate(all="ignore"):
        for node in post_order(tree):  # children before parents, left to right
            args = [slot_of[id(child)] for child in children(node)]
            slot_of[id(node)] = builder.node(node, args, index, order)
    root = slot_of[id(tree)]
    code, consts = builder.finish(root)
    return Program(code, consts, len(order), order, tree)


def _check_variables(variables: Sequence[str]) -> tuple[str, ...]:
    order = (variables,) if isinstance(variables, str) else tuple(variables)
    if not all(isinstance(name, str) for name in order):
        raise EvaluationError(f"variable names must be strings (got {list(order)!r})")
    if len(set(order)) != len(order):
        raise EvaluationError(f"variables {list(order)} repeat a name")
    return order


class _Builder:
    """Emits rows, folding constants and sharing equal rows (common sub-expressions)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int]] = []
        self.consts: list[float] = []
        self.value: dict[int, float] = {}  # slot -> value, for CONST slots
        self.slot_of_row: dict[tuple[int, int, int], int] = {}
        self.const_index: dict[str, int] = {}

    def emit(self, op: int, a: int, b: int = 0) -> int:
        row = (op, a, b)
        slot = self.slot_of_row.get(row)
        if slot is None:
            slot = len(self.rows)
            self.rows.append(row)
            self.slot_of_row[row] = slot
        return slot

    def constant(self, value: float) -> int:
        key = float(value).hex()
        if key not in self.const_index:
            self.const_index[key] = len(self.consts)
            self.consts.append(float(value))
        slot = self.emit(CONST, self.const_index[key])
        self.value[slot] = float(value)
        return slot

    def node(
        self, node: Node, args: list[int], index: dict[str, int], order: tuple[str, ...]
    ) -> int:
        from descentlab.expr.tree import Binary, Call, Const, Num, Unary, Var

        if not isinstance(node, Num | Var | Const | Unary | Binary | Call):
            raise EvaluationError(f"not an expression node: {node!r}")
        if isinstance(node, Num):
            return self.constant(node.value)
        if isinstance(node, Const):
            if node.name not in CONSTANTS:
                raise EvaluationError(f"unknown constant {node.name!r}")
            return self.constant(CONSTANTS[node.name])
        if isinstance(node, Var):
            if node.name not in index:
                raise EvaluationError(
                    f"the formula uses {node.name}, not among the variables {list(order)} "
                    f"({node.name!r} has no value)"
                )
            return self.emit(VAR, index[node.name])
        if isinstance(node, Unary):
            if node.op != "-":
                raise EvaluationError(f"unknown unary operator {node.op!r}")
            return self.apply(NEG, args)
        if isinstance(node, Call):
            if node.func not in OPCODE or OPCODE[node.func] < ABS:
                raise EvaluationError(
                    f"unknown function {node.func!r}: no derivative rule or value for it "
                    f"(known: {', '.join(FUNCTION_NAMES)})"
                )
            return self.apply(OPCODE[node.func], args)
        assert isinstance(node, Binary)
        if node.op not in _BINARY:
            raise EvaluationError(f"unknown operator {node.op!r}")
        if node.op == "^":
            return self.power(node, args)
        return self.apply(_BINARY[node.op], args)

    def power(self, node: Binary, args: list[int]) -> int:
        base, exponent = args
        n = self.value.get(exponent)
        if n is not None:
            if n == 0:  # u^0 is 1 everywhere (as np.power has it), gradient 0
                return self.constant(1.0)
            if n == 1:
                return base
            if float(n).is_integer() and abs(n) <= MAX_POWI:
                if base in self.value:
                    return self.constant(float(powi(np.float64(self.value[base]), int(n))))
                return self.emit(POWI, base, int(n))
        return self.apply(POW, args)

    def apply(self, op: int, args: list[int]) -> int:
        if all(a in self.value for a in args):  # a constant sub-expression: fold it, once
            fn = OPS[op].numpy
            assert fn is not None
            return self.constant(float(fn(*(np.float64(self.value[a]) for a in args))))
        return self.emit(op, args[0], args[1] if len(args) == 2 else 0)

    def finish(self, root: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Keep only the rows the root needs, renumbered in order, the root last."""
        needed = {root}
        for slot in range(root, -1, -1):
            if slot in needed:
                op, a, b = self.rows[slot]
                arity = OPS[op].arity
                if arity >= 1:
                    needed.add(a)
                if arity == 2:
                    needed.add(b)
        kept = sorted(needed)
        new = {old: i for i, old in enumerate(kept)}
        used_consts = sorted({self.rows[s][1] for s in kept if self.rows[s][0] == CONST})
        const_new = {old: i for i, old in enumerate(used_consts)}
        code = np.zeros((len(kept), 3), dtype=np.int64)
        for i, old in enumerate(kept):
            op, a, b = self.rows[old]
            arity = OPS[op].arity
            if op == CONST:
                a = const_new[a]
            elif arity >= 1:
                a = new[a]
            if arity == 2:
                b = new[b]
            code[i] = (op, a, b)
        consts = np.array([self.consts[i] for i in used_consts], dtype=np.float64)
        assert new[root] == len(kept) - 1  # operands come first, so the root is last
        return code, consts


def run_numpy(program: Program, columns: Sequence[Any]) -> Any:
    """Run a program with NumPy on any values: the evaluator for complex inputs.

    Args:
        program: The program.
        columns: One value per variable (arrays that broadcast together, real or complex).

    Returns:
        The formula's value: an array (or a scalar for a constant program). It may be one of
        ``columns`` itself (for the formula ``x``): copy before changing it.
    """
    values: list[Any] = []
    with np.errstate(all="ignore"):
        for op, a, b in program.code.tolist():
            if op == VAR:
                values.append(columns[a])
            elif op == CONST:
                values.append(program.consts[a])
            elif op == POWI:
                values.append(powi(values[a], b))
            elif OPS[op].arity == 1:
                values.append(OPS[op].numpy(values[a]))  # type: ignore[misc]
            else:
                values.append(OPS[op].numpy(values[a], values[b]))  # type: ignore[misc]
    return values[-1]
