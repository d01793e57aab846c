"""Symbolic derivatives: d/dx of a tree as a new, simplified tree (what plots print as f'(x)).

:func:`diff` applies the textbook rules (sum, product, quotient, power and chain rules); the
derivative of each function is data, in :data:`DERIVATIVES` (``d/du sin(u) = cos(u)``), so the
differentiator never names a function. Every node is built through small *simplifying
constructors* that drop ``0*``, ``1*``, ``+0``, ``x^1`` and ``--x``, and fold arithmetic on numbers
when the result is exact and finite (``3*4`` becomes ``12``; ``1/3`` and ``9^9^9`` stay as written),
so ``d/dx (3x^4 + 4x^3 - 12x^2 + 7)`` prints as ``12*x^3 + 12*x^2 - 24*x``.

Negative numbers are written as a negation of a positive number (``-24`` is ``Unary("-",
Num(24))``), as the parser writes them, so ``str()`` of a derivative parses back to it.

The walkers here are iterative (built on :func:`~descentlab.expr.tree.post_order`, as ``str`` and
the LaTeX printer are), so a derivative may be deeper than the parser's ``MAX_DEPTH``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

from descentlab.errors import ConfigError, EvaluationError
from descentlab.expr.tree import Binary, Call, Const, Node, Num, Unary, Var, children, post_order

__all__ = ["DERIVATIVES", "diff", "gradient_trees", "simplify"]

ZERO = Num(0.0)
ONE = Num(1.0)
TWO = Num(2.0)
_MAX_FOLD_EXPONENT = 64


def _number(node: Node) -> float | None:
    """The value of a number node (``Num`` or a negated ``Num``), else None."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Unary) and isinstance(node.operand, Num):
        return -node.operand.value
    return None


def number(value: float) -> Node:
    """A tree for ``value``: ``Num`` when non-negative, a negated ``Num`` otherwise."""
    if value < 0:
        return Unary("-", Num(-value))
    return Num(abs(value))  # never -0


def _is(node: Node, value: float) -> bool:
    return _number(node) == value


def _exact(result: float, exact: Fraction) -> Node | None:
    """``number(result)`` if ``result`` is finite and equals the exact rational value."""
    if math.isfinite(result) and Fraction(result) == exact:
        return number(result)
    return None


def neg(a: Node) -> Node:
    """``-a``, simplified: ``--a`` is ``a``; ``-0`` is ``0``."""
    if isinstance(a, Unary):
        return a.operand
    if _is(a, 0.0):
        return ZERO
    return Unary("-", a)


def add(a: Node, b: Node) -> Node:
    """``a + b``, simplified."""
    va, vb = _number(a), _number(b)
    if va == 0:
        return b
    if vb == 0:
        return a
    if va is not None and vb is not None:
        folded = _exact(va + vb, Fraction(va) + Fraction(vb))
        if folded is not None:
            return folded
    if isinstance(b, Unary):
        return sub(a, b.operand)
    if isinstance(a, Unary):
        return sub(b, a.operand)
    return Binary("+", a, b)


def sub(a: Node, b: Node) -> Node:
    """``a - b``, simplified."""
    va, vb = _number(a), _number(b)
    if vb == 0:
        return a
    if va == 0:
        return neg(b)
    if va is not None and vb is not None:
        folded = _exact(va - vb, Fraction(va) - Fraction(vb))
        if folded is not None:
            return folded
    if isinstance(b, Unary):
        return add(a, b.operand)
    return Binary("-", a, b)


def mul(a: Node, b: Node) -> Node:
    """``a * b``, simplified; a number factor goes first (``2*x``, not ``x*2``)."""
    va, vb = _number(a), _number(b)
    if va == 0 or vb == 0:
        return ZERO
    if va == 1:
        return b
    if vb == 1:
        return a
    if va == -1:
        return neg(b)
    if vb == -1:
        return neg(a)
    if isinstance(a, Unary):
        return neg(mul(a.operand, b))
    if isinstance(b, Unary):
        return neg(mul(a, b.operand))
    if va is not None and vb is not None:
        folded = _exact(va * vb, Fraction(va) * Fraction(vb))
        if folded is not None:
            return folded
    if vb is not None and va is None:
        a, b, va, vb = b, a, vb, va
    split_b = _coefficient(b)
    if va is not None and split_b is not None:  # 3*(4*u) is 12*u
        coefficient_b, _, rest = split_b
        folded = _exact(va * coefficient_b, Fraction(va) * Fraction(coefficient_b))
        if folded is not None:
            return mul(folded, rest)
    if va is None and split_b is not None:  # numbers to the front: u*(2*w) is 2*u*w
        _, number, rest = split_b
        return Binary("*", mul(number, a), rest)
    return Binary("*", a, b)


def _coefficient(node: Node) -> tuple[float, Node, Node] | None:
    """``(c, c, u)`` (the value, its node and the rest) if ``node`` is ``c*u`` with a number
    ``c``, else None."""
    if isinstance(node, Binary) and node.op == "*":
        c = _number(node.left)
        if c is not None:
            return c, node.left, node.right
    return None


def div(a: Node, b: Node) -> Node:
    """``a / b``, simplified."""
    va, vb = _number(a), _number(b)
    if va == 0 and vb != 0:
        return ZERO
    if vb == 1:
        return a
    if vb == -1:
        return neg(a)
    if isinstance(a, Unary):
        return neg(div(a.operand, b))
    if isinstance(b, Unary):
        return neg(div(a, b.operand))
    if va is not None and vb:
        folded = _exact(va / vb, Fraction(va) / Fraction(vb))
        if folded is not None:
            return folded
    split_a = _coefficient(a)
    if split_a is not None and vb:  # (2*u)/2 is u
        coefficient, _, rest = split_a
        folded = _exact(coefficient / vb, Fraction(coefficient) / Fraction(vb))
        if folded is not None:
            return mul(folded, rest)
    return Binary("/", a, b)


def power(a: Node, b: Node) -> Node:
    """``a ^ b``, simplified: ``a^0`` is 1, ``a^1`` is ``a``, ``1^b`` is 1."""
    va, vb = _number(a), _number(b)
    if vb == 0 or va == 1:
        return ONE
    if vb == 1:
        return a
    if (
        va is not None
        and vb is not None
        and vb.is_integer()
        and abs(vb) <= _MAX_FOLD_EXPONENT
        and (va != 0 or vb > 0)
    ):
        try:
            result = va**vb
        except OverflowError:
            result = math.inf
        folded = _exact(result, Fraction(va) ** int(vb))
        if folded is not None:
            return folded
    return Binary("^", a, b)


def call(func: str, a: Node) -> Node:
    """``func(a)``; ``log(e)`` is 1."""
    if func == "log" and isinstance(a, Const) and a.name == "e":
        return ONE
    return Call(func, a)


_BUILD: dict[str, Callable[[Node, Node], Node]] = {
    "+": add,
    "-": sub,
    "*": mul,
    "/": div,
    "^": power,
}

DERIVATIVES: dict[str, Callable[[Node], Node]] = {
    "sin": lambda u: call("cos", u),
    "cos": lambda u: neg(call("sin", u)),
    "tan": lambda u: add(ONE, power(call("tan", u), TWO)),
    "asin": lambda u: div(ONE, call("sqrt", sub(ONE, power(u, TWO)))),
    "acos": lambda u: neg(div(ONE, call("sqrt", sub(ONE, power(u, TWO))))),
    "atan": lambda u: div(ONE, add(ONE, power(u, TWO))),
    "sinh": lambda u: call("cosh", u),
    "cosh": lambda u: call("sinh", u),
    "tanh": lambda u: sub(ONE, power(call("tanh", u), TWO)),
    "exp": lambda u: call("exp", u),
    "log": lambda u: div(ONE, u),
    "log10": lambda u: div(ONE, mul(u, call("log", Num(10.0)))),
    "log2": lambda u: div(ONE, mul(u, call("log", TWO))),
    "sqrt": lambda u: div(ONE, mul(TWO, call("sqrt", u))),
    "abs": lambda u: div(u, call("abs", u)),
}
"""``d/du func(u)`` for each function, as a tree in ``u``.

Note: ``abs`` gives ``u/abs(u)``, undefined (nan) at 0, where the autodiff gradient is 0.
"""


def _rebuild(node: Node, args: list[Node]) -> Node:
    if isinstance(node, Unary):
        return neg(args[0])
    if isinstance(node, Binary):
        return _BUILD[node.op](args[0], args[1])
    if isinstance(node, Call):
        return call(node.func, args[0])
    if isinstance(node, Num):
        return number(node.value) if math.isfinite(node.value) else node
    return node


def simplify(tree: Node) -> Node:
    """``tree`` rebuilt through the simplifying constructors (see the module docstring).

    Args:
        tree: Any expression tree.

    Returns:
        An equal-valued tree without ``0*``, ``1*``, ``+0``, ``x^1``, ``--x``, with exact number
        arithmetic folded.

    Examples:
        >>> from descentlab.expr import parse
        >>> str(simplify(parse("0*x + 1*y^1 - -z + 2*3")))
        'y + z + 6'
    """
    done: dict[int, Node] = {}
    for node in post_order(tree):
        done[id(node)] = _rebuild(node, [done[id(c)] for c in children(node)])
    return done[id(tree)]


def _derivative(node: Node, s: list[Node], d: list[Node], var: str) -> Node:
    """d/dvar of ``node`` given its simplified children ``s`` and their derivatives ``d``."""
    if isinstance(node, Var):
        return ONE if node.name == var else ZERO
    if isinstance(node, (Num, Const)):
        return ZERO
    if isinstance(node, Unary):
        return neg(d[0])
    if isinstance(node, Call):
        if node.func not in DERIVATIVES:
            raise EvaluationError(f"no derivative rule for function {node.func!r}")
        return mul(DERIVATIVES[node.func](s[0]), d[0])
    u, v = s
    du, dv = d
    if node.op == "+":
        return add(du, dv)
    if node.op == "-":
        return sub(du, dv)
    if node.op == "*":
        return add(mul(du, v), mul(u, dv))
    if node.op == "/":
        if _is(dv, 0.0):
            return div(du, v)
        return div(sub(mul(du, v), mul(u, dv)), power(v, TWO))
    # u^v
    if _is(dv, 0.0):  # constant exponent: v u^(v-1) u'
        return mul(mul(v, power(u, sub(v, ONE))), du)
    if _is(du, 0.0):  # constant base: u^v log(u) v'
        return mul(mul(power(u, v), call("log", u)), dv)
    return mul(power(u, v), add(mul(dv, call("log", u)), div(mul(v, du), u)))


def diff(tree: Node, var: str) -> Node:
    """The derivative of ``tree`` with respect to ``var``, simplified.

    Args:
        tree: The formula.
        var: The variable name. A name the formula does not use gives ``0``.

    Returns:
        The derivative as a tree.

    Raises:
        ConfigError: ``var`` is not a string.
        EvaluationError: The tree calls a function without a rule in :data:`DERIVATIVES`.

    Examples:
        >>> from descentlab.expr import parse
        >>> str(diff(parse("3x^4 + 4x^3 - 12x^2 + 7"), "x"))
        '12*x^3 + 12*x^2 - 24*x'
        >>> str(diff(parse("sin(x*y)"), "y"))
        'cos(x*y)*x'
    """
    if not isinstance(var, str):
        raise ConfigError(f"variable must be a name (got {var!r})")
    simplified: dict[int, Node] = {}
    derivative: dict[int, Node] = {}
    for node in post_order(tree):
        kids = children(node)
        s = [simplified[id(c)] for c in kids]
        d = [derivative[id(c)] for c in kids]
        simplified[id(node)] = _rebuild(node, s)
        derivative[id(node)] = _derivative(node, s, d, var)
    return derivative[id(tree)]


def gradient_trees(tree: Node, variables: Sequence[str]) -> tuple[Node, ...]:
    """The partial derivatives of ``tree``, one per variable, in order.

    Args:
        tree: The formula.
        variables: Names, in the order of the result.

    Returns:
        ``(d tree / d v for v in variables)``, each simplified.

    Examples:
        >>> from descentlab.expr import parse
        >>> [str(t) for t in gradient_trees(parse("x^2 y"), ["x", "y"])]
        ['2*x*y', 'x^2']
    """
    if isinstance(variables, str):
        variables = (variables,)
    return tuple(diff(tree, v) for v in variables)
