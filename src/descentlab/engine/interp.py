"""The compiled interpreter of a :class:`~descentlab.engine.program.Program`.

One compiled function runs any formula: a new formula is new data (its ``code`` and ``consts``)
for the same machine code, never a new compilation. The program runs over a *block* of rows in
column layout: ``XT`` is ``(n, B)``, one contiguous row of ``B`` numbers per variable, and slot
``i`` of the program is row ``i`` of ``work`` ``(m, B)``. Each instruction is one loop over the
``B`` rows of the block, so the loops are long, contiguous and vectorize.

- :func:`forward` fills ``work`` and the values ``F``.
- :func:`forward_backward` adds the reverse sweep: micrograd's algorithm (seed the output's
  adjoint with 1, visit the slots in reverse, add each operand's share ``g * d slot / d operand``)
  with the adjoints in ``adj`` ``(m + 1, B)`` and the gradient in ``GT`` ``(n, B)``; an
  operand's first share is added to ``adj``'s last row, kept at zero, so no row is zeroed first.
- :func:`hessian_block` differentiates the reverse sweep once more in each coordinate direction
  (forward over reverse) for exact second derivatives.
- :func:`forward_backward_rows` is :func:`forward_backward` one row at a time: a plain
  interpreter with no loop per instruction, for the fused loop's runs of one or two starts (at
  one row, setting up each instruction's loop costs more than the arithmetic).

Each operation's arithmetic is written once: its value (an operator or a NumPy function), its
share of the adjoint for each operand (the ``_d_*`` functions: the first derivative times the
adjoint ``g``) and its second derivatives (:func:`_second`). Two dispatchers call them:
:func:`_values`/:func:`_adjoint` with one loop over the block's rows per instruction, and
:func:`_value`/:func:`_d_unary` once per instruction for the row sweeps; the same expressions in
the same order, so the two sweeps give the same bits.
The sweeps never name an operation. An adjoint or tangent that is exactly 0 contributes 0, even
where the partial derivative is infinite (``0 * inf`` would be nan): ``1/(1 + exp(-x))`` at
``x = -710`` has ``exp(710) = inf`` inside and the gradient 0, not nan.

:class:`~descentlab.engine.program.Program`'s ``values``, ``values_and_grads`` and ``hessians``
cut points ``X`` ``(k, n)`` into blocks of :data:`BLOCK` rows and call these functions block by
block (nothing is kept between calls, so one Objective may be used by many threads; they release
the GIL).

Numba is imported with this module, which :mod:`descentlab.engine` imports on first use. The
compiled code is cached on disk (:mod:`descentlab.engine.jit`: one key over all the engine's
sources; an unwritable cache directory means compiling in memory, with a warning).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from descentlab.engine.jit import inline as _inline
from descentlab.engine.jit import jit as _jit
from descentlab.engine.program import (
    ABS,
    ACOS,
    ADD,
    ASIN,
    ATAN,
    CONST,
    COS,
    COSH,
    DIV,
    EXP,
    LOG,
    LOG2,
    LOG10,
    MUL,
    NEG,
    POW,
    POWI,
    SIN,
    SINH,
    SQRT,
    SUB,
    TAN,
    TANH,
    VAR,
    powi,
)

__all__ = [
    "BLOCK",
    "ROWS_SWEEP_MAX",
    "forward",
    "forward_backward",
    "forward_backward_rows",
    "hessian_block",
    "sweep_for",
]

BLOCK = 256
"""Rows per block when :class:`~descentlab.engine.program.Program` evaluates many points (the
block's slots stay in the CPU's cache)."""

ROWS_SWEEP_MAX = 2
"""Up to this many rows, values and gradients are computed one row at a time
(:func:`forward_backward_rows`); from more on, by the vectorized block sweeps
(:func:`forward_backward`). The two give the same numbers bit for bit."""

_LN10 = math.log(10.0)
_LN2 = math.log(2.0)
_NAN = math.nan

_powi = _inline(powi)  # x ** n for an integer n: the lowering's own function, compiled


@_inline
def _sign(x: float) -> float:
    """1, -1, or x itself at 0 and nan (``abs``'s derivative; 0 is a subgradient at 0)."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x * 0.0


@_inline
def _unless_zero(g: float, contribution: float) -> float:
    """``contribution`` (a product with ``g``), but 0 when ``g`` is 0: ``0 * inf`` adds 0."""
    return contribution if g != 0.0 else 0.0


@_inline
def _times(g: float, p: float) -> float:
    """``g * p``, but 0 when ``g`` is 0 (an adjoint or tangent of 0 carries nothing)."""
    return g * p if g != 0.0 else 0.0


@_inline
def _domain(x: float) -> float:
    """``x`` where a logarithm is defined (``x >= 0``), nan elsewhere: so its derivative is nan."""
    return x if x >= 0.0 else _NAN


# --- Each operation's arithmetic, written once --------------------------------------------------
# ``_v_*`` is the value of a slot from its operands' values ``x`` (and ``y``); ``_d_*`` is what the
# slot's adjoint ``g`` adds to its operands' adjoints (``ans`` is the slot's own value). The block
# sweeps call them in one loop over the rows per instruction (the loops vectorize); the row sweeps
# of a block of one row call them once per instruction (a plain interpreter: no loop set-up per
# instruction, which is most of an instruction's cost at one row). Same expressions, same order of
# operations, so both sweeps give the same bits.


@_inline
def _d_neg(g: float) -> float:
    return -g


@_inline
def _d_mul(g: float, x: float, y: float) -> tuple[float, float]:
    return _unless_zero(g, g * y), _unless_zero(g, g * x)


@_inline
def _d_div(g: float, y: float, ans: float) -> tuple[float, float]:
    return _unless_zero(g, g / y), _unless_zero(g, -(g * ans) / y)


@_inline
def _d_pow(g: float, x: float, y: float, ans: float) -> tuple[float, float]:
    # d/dy x^y = x^y log x, whose limit is 0 where x^y = 0 (x = 0, y > 0)
    return (
        _unless_zero(g, (g * y) * np.power(x, y - 1.0)),
        _unless_zero(g, (g * ans) * np.log(x) if ans != 0.0 else 0.0),
    )


@_inline
def _d_powi(g: float, x: float, n: int) -> float:
    return _unless_zero(g, (g * n) * _powi(x, n - 1))


@_inline
def _d_square(g: float, x: float) -> float:
    """:func:`_d_powi` for ``n = 2`` (``_powi(x, 1)`` is ``x``), with no branch on ``n``."""
    return _unless_zero(g, (g * 2.0) * x)


@_inline
def _d_abs(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g * _sign(x))


@_inline
def _d_acos(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, -g / np.sqrt(1.0 - x * x))


@_inline
def _d_asin(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g / np.sqrt(1.0 - x * x))


@_inline
def _d_atan(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g / (1.0 + x * x))


@_inline
def _d_cos(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, -g * np.sin(x))


@_inline
def _d_cosh(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g * np.sinh(x))


@_inline
def _d_exp(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g * ans)


@_inline
def _d_log(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g / _domain(x))


@_inline
def _d_log10(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g / (_domain(x) * _LN10))


@_inline
def _d_log2(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g / (_domain(x) * _LN2))


@_inline
def _d_sin(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g * np.cos(x))


@_inline
def _d_sinh(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g * np.cosh(x))


@_inline
def _d_sqrt(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, (0.5 * g) / ans)


@_inline
def _d_tan(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g * (1.0 + ans * ans))


@_inline
def _d_tanh(g: float, x: float, ans: float) -> float:
    return _unless_zero(g, g * (1.0 - ans * ans))


@_inline
def _v_unary(op: int, x: float) -> float:  # noqa: C901
    """The value of a one-argument function at ``x`` (one number; the row sweeps)."""
    if op == ABS:
        return abs(x)
    if op == ACOS:
        return np.arccos(x)
    if op == ASIN:
        return np.arcsin(x)
    if op == ATAN:
        return np.arctan(x)
    if op == COS:
        return np.cos(x)
    if op == COSH:
        return np.cosh(x)
    if op == EXP:
        return np.exp(x)
    if op == LOG:
        return np.log(x)
    if op == LOG10:
        return np.log10(x)
    if op == LOG2:
        return np.log2(x)
    if op == SIN:
        return np.sin(x)
    if op == SINH:
        return np.sinh(x)
    if op == SQRT:
        return np.sqrt(x)
    if op == TAN:
        return np.tan(x)
    if op == TANH:
        return np.tanh(x)
    return _NAN


@_inline
def _d_unary(op: int, g: float, x: float, ans: float) -> float:  # noqa: C901
    """A one-argument function's share for its operand (one number; the row sweeps)."""
    if op == ABS:
        return _d_abs(g, x, ans)
    if op == ACOS:
        return _d_acos(g, x, ans)
    if op == ASIN:
        return _d_asin(g, x, ans)
    if op == ATAN:
        return _d_atan(g, x, ans)
    if op == COS:
        return _d_cos(g, x, ans)
    if op == COSH:
        return _d_cosh(g, x, ans)
    if op == EXP:
        return _d_exp(g, x, ans)
    if op == LOG:
        return _d_log(g, x, ans)
    if op == LOG10:
        return _d_log10(g, x, ans)
    if op == LOG2:
        return _d_log2(g, x, ans)
    if op == SIN:
        return _d_sin(g, x, ans)
    if op == SINH:
        return _d_sinh(g, x, ans)
    if op == SQRT:
        return _d_sqrt(g, x, ans)
    if op == TAN:
        return _d_tan(g, x, ans)
    if op == TANH:
        return _d_tanh(g, x, ans)
    return _NAN


@_jit
def _values(op, n, W, i, a, b):  # noqa: ANN001, C901
    """Slot ``i`` of ``W`` (``(m, B)``) from its operand slots: ``W[i] = op(W[a], W[b])``.

    ``n`` is POWI's exponent; one-argument operations ignore ``b``.
    """
    rows = W.shape[1]
    if op == NEG:
        for r in range(rows):
            W[i, r] = -W[a, r]
    elif op == ADD:
        for r in range(rows):
            W[i, r] = W[a, r] + W[b, r]
    elif op == SUB:
        for r in range(rows):
            W[i, r] = W[a, r] - W[b, r]
    elif op == MUL:
        for r in range(rows):
            W[i, r] = W[a, r] * W[b, r]
    elif op == DIV:
        for r in range(rows):
            W[i, r] = W[a, r] / W[b, r]
    elif op == POW:
        for r in range(rows):
            W[i, r] = np.power(W[a, r], W[b, r])
    elif op == POWI:
        if n == 2:  # squares, the common case, in a loop without branches (it vectorizes)
            for r in range(rows):
                W[i, r] = W[a, r] * W[a, r]
        else:
            for r in range(rows):
                W[i, r] = _powi(W[a, r], n)
    elif op == ABS:
        for r in range(rows):
            W[i, r] = abs(W[a, r])
    elif op == ACOS:
        for r in range(rows):
            W[i, r] = np.arccos(W[a, r])
    elif op == ASIN:
        for r in range(rows):
            W[i, r] = np.arcsin(W[a, r])
    elif op == ATAN:
        for r in range(rows):
            W[i, r] = np.arctan(W[a, r])
    elif op == COS:
        for r in range(rows):
            W[i, r] = np.cos(W[a, r])
    elif op == COSH:
        for r in range(rows):
            W[i, r] = np.cosh(W[a, r])
    elif op == EXP:
        for r in range(rows):
            W[i, r] = np.exp(W[a, r])
    elif op == LOG:
        for r in range(rows):
            W[i, r] = np.log(W[a, r])
    elif op == LOG10:
        for r in range(rows):
            W[i, r] = np.log10(W[a, r])
    elif op == LOG2:
        for r in range(rows):
            W[i, r] = np.log2(W[a, r])
    elif op == SIN:
        for r in range(rows):
            W[i, r] = np.sin(W[a, r])
    elif op == SINH:
        for r in range(rows):
            W[i, r] = np.sinh(W[a, r])
    elif op == SQRT:
        for r in range(rows):
            W[i, r] = np.sqrt(W[a, r])
    elif op == TAN:
        for r in range(rows):
            W[i, r] = np.tan(W[a, r])
    elif op == TANH:
        for r in range(rows):
            W[i, r] = np.tanh(W[a, r])


@_jit
def _adjoint(op, n, W, i, a, b, A, gi, ga, gb, sa, sb):  # noqa: ANN001, C901
    """The vector-Jacobian products of slot ``i = op(a, b)``, added to its operands' adjoints.

    ``A[ga] = A[sa] + A[gi] * d i/d a`` and ``A[gb] = A[sb] + A[gi] * d i/d b``, row by row, with
    the values of the slots in ``W``: ``sa = ga`` adds to the operand's adjoint; ``sa`` a row of
    zeros writes its first share (the bits of adding to a zeroed row, without zeroing it first:
    a pass that zeroes a row costs about as much as a share). The reverse sweep calls it with the
    adjoints (``gi, ga, gb = i, a, b``); the Hessian with a row of ones and two zeroed rows
    (``sa, sb = ga, gb``), to read the derivatives themselves.
    Outside a function's domain (``log`` of a negative number, ``asin(2)``) they are nan; an
    adjoint of 0 adds 0. One-argument operations leave ``A[gb]`` alone. The expressions (and
    their order of operations) are those of the explorer page's port, ``core.js``.
    """
    rows = W.shape[1]
    if op == NEG:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_neg(A[gi, r])
    elif op == ADD:
        for r in range(rows):
            A[ga, r] = A[sa, r] + A[gi, r]
            A[gb, r] = A[sb, r] + A[gi, r]
    elif op == SUB:
        for r in range(rows):
            A[ga, r] = A[sa, r] + A[gi, r]
            A[gb, r] = A[sb, r] + _d_neg(A[gi, r])
    elif op == MUL:
        for r in range(rows):
            da, db = _d_mul(A[gi, r], W[a, r], W[b, r])
            A[ga, r] = A[sa, r] + da
            A[gb, r] = A[sb, r] + db
    elif op == DIV:
        for r in range(rows):
            da, db = _d_div(A[gi, r], W[b, r], W[i, r])
            A[ga, r] = A[sa, r] + da
            A[gb, r] = A[sb, r] + db
    elif op == POW:
        for r in range(rows):
            da, db = _d_pow(A[gi, r], W[a, r], W[b, r], W[i, r])
            A[ga, r] = A[sa, r] + da
            A[gb, r] = A[sb, r] + db
    elif op == POWI:
        if n == 2:  # a loop that vectorizes
            for r in range(rows):
                A[ga, r] = A[sa, r] + _d_square(A[gi, r], W[a, r])
        else:
            for r in range(rows):
                A[ga, r] = A[sa, r] + _d_powi(A[gi, r], W[a, r], n)
    elif op == ABS:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_abs(A[gi, r], W[a, r], W[i, r])
    elif op == ACOS:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_acos(A[gi, r], W[a, r], W[i, r])
    elif op == ASIN:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_asin(A[gi, r], W[a, r], W[i, r])
    elif op == ATAN:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_atan(A[gi, r], W[a, r], W[i, r])
    elif op == COS:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_cos(A[gi, r], W[a, r], W[i, r])
    elif op == COSH:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_cosh(A[gi, r], W[a, r], W[i, r])
    elif op == EXP:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_exp(A[gi, r], W[a, r], W[i, r])
    elif op == LOG:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_log(A[gi, r], W[a, r], W[i, r])
    elif op == LOG10:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_log10(A[gi, r], W[a, r], W[i, r])
    elif op == LOG2:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_log2(A[gi, r], W[a, r], W[i, r])
    elif op == SIN:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_sin(A[gi, r], W[a, r], W[i, r])
    elif op == SINH:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_sinh(A[gi, r], W[a, r], W[i, r])
    elif op == SQRT:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_sqrt(A[gi, r], W[a, r], W[i, r])
    elif op == TAN:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_tan(A[gi, r], W[a, r], W[i, r])
    elif op == TANH:
        for r in range(rows):
            A[ga, r] = A[sa, r] + _d_tanh(A[gi, r], W[a, r], W[i, r])


@_jit
def _second(op, n, W, i, a, b, H, haa, hab, hbb):  # noqa: ANN001, C901
    """Second derivatives of slot ``i = op(a, b)`` into rows ``haa``, ``hab``, ``hbb`` of ``H``.

    ``d2 i/da2``, ``d2 i/da db`` and ``d2 i/db2``; zero for the linear operations (and for
    ``abs`` away from 0).
    """
    rows = W.shape[1]
    for r in range(rows):
        H[haa, r] = 0.0
        H[hab, r] = 0.0
        H[hbb, r] = 0.0
    if op == MUL:
        for r in range(rows):
            H[hab, r] = 1.0
    elif op == DIV:
        for r in range(rows):
            inv = 1.0 / W[b, r]
            H[hab, r] = -inv * inv
            H[hbb, r] = 2.0 * W[i, r] * inv * inv
    elif op == POW:
        for r in range(rows):
            x, y, ans = W[a, r], W[b, r], W[i, r]
            lx = np.log(x)
            H[haa, r] = y * (y - 1.0) * np.power(x, y - 2.0)
            p1 = np.power(x, y - 1.0)
            H[hab, r] = p1 + y * p1 * lx if p1 != 0.0 else 0.0
            H[hbb, r] = ans * lx * lx if ans != 0.0 else 0.0
    elif op == POWI:
        for r in range(rows):
            H[haa, r] = n * (n - 1) * _powi(W[a, r], n - 2)
    elif op == ACOS:
        for r in range(rows):
            q = 1.0 - W[a, r] * W[a, r]
            H[haa, r] = -W[a, r] / (q * np.sqrt(q))
    elif op == ASIN:
        for r in range(rows):
            q = 1.0 - W[a, r] * W[a, r]
            H[haa, r] = W[a, r] / (q * np.sqrt(q))
    elif op == ATAN:
        for r in range(rows):
            q = 1.0 + W[a, r] * W[a, r]
            H[haa, r] = -2.0 * W[a, r] / (q * q)
    elif op in (COS, SIN):
        for r in range(rows):
            H[haa, r] = -W[i, r]
    elif op in (COSH, SINH, EXP):
        for r in range(rows):
            H[haa, r] = W[i, r]
    elif op == LOG:
        for r in range(rows):
            H[haa, r] = -1.0 / (W[a, r] * W[a, r]) if W[a, r] >= 0.0 else _NAN
    elif op == LOG10:
        for r in range(rows):
            H[haa, r] = -1.0 / (W[a, r] * W[a, r] * _LN10) if W[a, r] >= 0.0 else _NAN
    elif op == LOG2:
        for r in range(rows):
            H[haa, r] = -1.0 / (W[a, r] * W[a, r] * _LN2) if W[a, r] >= 0.0 else _NAN
    elif op == SQRT:
        for r in range(rows):
            H[haa, r] = -0.25 / (W[i, r] * W[i, r] * W[i, r])
    elif op == TAN:
        for r in range(rows):
            H[haa, r] = 2.0 * W[i, r] * (1.0 + W[i, r] * W[i, r])
    elif op == TANH:
        for r in range(rows):
            H[haa, r] = -2.0 * W[i, r] * (1.0 - W[i, r] * W[i, r])


@_inline
def _arity(op: int) -> int:
    if op in (VAR, CONST):
        return 0
    if op in (ADD, SUB, MUL, DIV, POW):
        return 2
    return 1


@_inline
def _forward_block(code, consts, XT, work, F):  # noqa: ANN001
    """:func:`forward`'s loop, inlined into it and into :func:`forward_backward` (which then
    links only the two dispatchers, not a compiled ``forward`` around one of them: LLVM
    optimizes a callee's code again in every caller it is linked into)."""
    m = code.shape[0]
    rows = F.shape[0]
    for i in range(m):
        op, a, b = code[i, 0], code[i, 1], code[i, 2]
        if op == VAR:
            for r in range(rows):
                work[i, r] = XT[a, r]
        elif op == CONST:
            c = consts[a]
            for r in range(rows):
                work[i, r] = c
        else:
            _values(op, b, work, i, a, b)
    for r in range(rows):
        F[r] = work[m - 1, r]


@_jit
def forward(code, consts, XT, work, F):  # noqa: ANN001
    """Values of the program on a block of rows.

    Args:
        code: ``(m, 3)`` int64 instructions ``(opcode, a, b)``.
        consts: ``(c,)`` float64 constants.
        XT: ``(n, B)`` float64 points, one row per variable (column layout).
        work: ``(m, B)`` float64 scratch; slot ``i``'s values end up in ``work[i]``.
        F: ``(B,)`` float64 output: the formula's values.
    """
    _forward_block(code, consts, XT, work, F)


@_jit
def forward_backward(code, consts, XT, work, adj, F, GT):  # noqa: ANN001
    """Values and exact gradients of the program on a block of rows (reverse mode).

    Args:
        code: ``(m, 3)`` int64 instructions.
        consts: ``(c,)`` float64 constants.
        XT: ``(n, B)`` float64 points (column layout).
        work: ``(m, B)`` float64 scratch for the slots' values.
        adj: ``(m + 1, B)`` float64 scratch for the slots' adjoints (and a row of zeros).
        F: ``(B,)`` float64 output values.
        GT: ``(n, B)`` float64 output gradients (column layout).
    """
    _forward_block(code, consts, XT, work, F)
    m = code.shape[0]
    n = GT.shape[0]
    rows = F.shape[0]
    if adj.shape[0] <= m:  # (no bounds checks in compiled code: it would write past the end)
        raise ValueError("forward_backward: adj needs m + 1 rows (the last is a row of zeros)")
    seen = np.zeros(m + n, dtype=np.bool_)  # adjoint rows, then gradient rows, written so far
    for r in range(rows):
        adj[m - 1, r] = 1.0
        adj[m, r] = 0.0  # the row of zeros a first share is added to
    seen[m - 1] = True
    for i in range(m - 1, -1, -1):
        op, a, b = code[i, 0], code[i, 1], code[i, 2]
        if not seen[i]:  # no slot uses this one (lowering makes none such): it adds nothing
            continue
        if op == VAR:
            if seen[m + a]:
                for r in range(rows):
                    GT[a, r] += adj[i, r]
            else:
                for r in range(rows):
                    GT[a, r] = 0.0 + adj[i, r]
            seen[m + a] = True
        elif op != CONST:
            sa = a if seen[a] else m
            seen[a] = True
            sb = m
            if _arity(op) == 2:
                sb = b if seen[b] else m
                seen[b] = True
            _adjoint(op, b, work, i, a, b, adj, i, a, b, sa, sb)
    for j in range(n):  # variables the program does not use
        if not seen[m + j]:
            for r in range(rows):
                GT[j, r] = 0.0


@_inline
def _value(op: int, n: int, x: float, y: float) -> float:
    """Any operation's value from its operands' values (one number; the row sweeps)."""
    if op == NEG:
        return -x
    if op == ADD:
        return x + y
    if op == SUB:
        return x - y
    if op == MUL:
        return x * y
    if op == DIV:
        return x / y
    if op == POW:
        return np.power(x, y)
    if op == POWI:
        return _powi(x, n)
    return _v_unary(op, x)


@_jit
def forward_backward_rows(code, consts, XT, work, adj, F, GT):  # noqa: ANN001, C901
    """:func:`forward_backward` one row at a time: a plain interpreter, for blocks of a row or two.

    The same arguments and the same numbers, bit for bit (each instruction calls the same
    arithmetic, :func:`_value`/:func:`_v_unary` and the ``_d_*`` shares, in the same order), but
    no loop over the rows per instruction: at one row the set-up of those loops is most of the
    cost (one start of Rosenbrock: about 3x faster than :func:`forward_backward`); from a few rows
    on, the vectorized loops win (:func:`sweep_for` picks).
    """
    m = code.shape[0]
    for r in range(F.shape[0]):
        for i in range(m):
            op, a, b = code[i, 0], code[i, 1], code[i, 2]
            if op == VAR:
                work[i, r] = XT[a, r]
            elif op == CONST:
                work[i, r] = consts[a]
            else:  # b is POWI's exponent, not a slot, for one-argument operations
                y = work[b, r] if _arity(op) == 2 else 0.0
                work[i, r] = _value(op, b, work[a, r], y)
        F[r] = work[m - 1, r]
        for i in range(m - 1):
            adj[i, r] = 0.0
        adj[m - 1, r] = 1.0
        for j in range(GT.shape[0]):
            GT[j, r] = 0.0
        for i in range(m - 1, -1, -1):
            op, a, b = code[i, 0], code[i, 1], code[i, 2]
            g = adj[i, r]
            if op == VAR:
                GT[a, r] += g
            elif op == CONST:
                continue
            elif op == NEG:
                adj[a, r] += _d_neg(g)
            elif op == ADD:
                adj[a, r] += g
                adj[b, r] += g
            elif op == SUB:
                adj[a, r] += g
                adj[b, r] += _d_neg(g)
            elif op == MUL:
                da, db = _d_mul(g, work[a, r], work[b, r])
                adj[a, r] += da
                adj[b, r] += db
            elif op == DIV:
                da, db = _d_div(g, work[b, r], work[i, r])
                adj[a, r] += da
                adj[b, r] += db
            elif op == POW:
                da, db = _d_pow(g, work[a, r], work[b, r], work[i, r])
                adj[a, r] += da
                adj[b, r] += db
            elif op == POWI:
                adj[a, r] += _d_powi(g, work[a, r], b)
            else:
                adj[a, r] += _d_unary(op, g, work[a, r], work[i, r])


def sweep_for(rows: int) -> Any:
    """The sweep (values and gradients) for ``rows`` points: :func:`forward_backward_rows` up to
    :data:`ROWS_SWEEP_MAX` rows, else :func:`forward_backward`. The fused loop and
    :meth:`~descentlab.engine.program.Program.values_and_grads` both ask here, so a run of one
    start compiles one sweep."""
    return forward_backward_rows if rows <= ROWS_SWEEP_MAX else forward_backward


@_jit
def hessian_block(code, consts, XT, HT):  # noqa: ANN001
    """Exact Hessians of the program on a block of rows (forward over reverse).

    For each coordinate direction ``j``, the forward pass carries the tangents ``dot`` (the
    derivative of each slot along ``e_j``) and the reverse sweep carries the tangents of the
    adjoints; at a variable's slot they give the row ``j`` of the Hessian.

    Args:
        code: ``(m, 3)`` int64 instructions.
        consts: ``(c,)`` float64 constants.
        XT: ``(n, B)`` float64 points (column layout).
        HT: ``(n, n, B)`` float64 output: ``HT[j, l, r]`` is ``d2f/dx_j dx_l`` at row ``r``.
    """
    n, rows = XT.shape
    m = code.shape[0]
    work = np.empty((m, rows))
    adj = np.zeros((m, rows))
    P = np.zeros((2 * m + 1, rows))  # d slot / d operands: rows 2i (first operand), 2i + 1
    P[2 * m] = 1.0  # and a row of ones, the adjoint that reads the derivatives out
    H = np.zeros((3 * m, rows))  # second derivatives: rows 3i, 3i + 1, 3i + 2
    F = np.empty(rows)
    forward(code, consts, XT, work, F)
    for i in range(m):
        op, a, b = code[i, 0], code[i, 1], code[i, 2]
        if op != VAR and op != CONST:
            _adjoint(op, b, work, i, a, b, P, 2 * m, 2 * i, 2 * i + 1, 2 * i, 2 * i + 1)
            _second(op, b, work, i, a, b, H, 3 * i, 3 * i + 1, 3 * i + 2)
    adj[m - 1] = 1.0
    for i in range(m - 1, -1, -1):
        op, a, b = code[i, 0], code[i, 1], code[i, 2]
        if op != VAR and op != CONST:
            for r in range(rows):
                adj[a, r] += _times(adj[i, r], P[2 * i, r])
            if _arity(op) == 2:
                for r in range(rows):
                    adj[b, r] += _times(adj[i, r], P[2 * i + 1, r])
    dot = np.empty((m, rows))
    adot = np.empty((m, rows))
    HT[:] = 0.0
    for j in range(n):
        for i in range(m):  # tangents along e_j
            op, a, b = code[i, 0], code[i, 1], code[i, 2]
            if op == VAR:
                dot[i] = 1.0 if a == j else 0.0
            elif op == CONST:
                dot[i] = 0.0
            elif _arity(op) == 2:
                for r in range(rows):
                    dot[i, r] = _times(dot[a, r], P[2 * i, r]) + _times(dot[b, r], P[2 * i + 1, r])
            else:
                for r in range(rows):
                    dot[i, r] = _times(dot[a, r], P[2 * i, r])
        adot[:] = 0.0
        for i in range(m - 1, -1, -1):  # tangents of the adjoints, in reverse
            op, a, b = code[i, 0], code[i, 1], code[i, 2]
            if op == VAR:
                for r in range(rows):
                    HT[j, a, r] += adot[i, r]
            elif op != CONST:
                two = _arity(op) == 2
                for r in range(rows):
                    g, gd, da = adj[i, r], adot[i, r], dot[a, r]
                    db = dot[b, r] if two else 0.0
                    curv = _times(da, H[3 * i, r]) + _times(db, H[3 * i + 1, r])
                    adot[a, r] += _times(gd, P[2 * i, r]) + _times(g, curv)
                    if two:
                        curv_b = _times(da, H[3 * i + 1, r]) + _times(db, H[3 * i + 2, r])
                        adot[b, r] += _times(gd, P[2 * i + 1, r]) + _times(g, curv_b)
