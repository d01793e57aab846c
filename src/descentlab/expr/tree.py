"""Immutable expression trees.

A parsed formula is a tree of five frozen node types. ``str(tree)`` prints a formula that the parser
reads back to an equal tree, with the fewest parentheses that keep the tree's shape, so that
``parse(str(t)) == t`` for every tree the parser makes.

    Num(2.0)                       a number (the parser only makes non-negative ones)
    Var("x")                       a variable
    Const("pi")                    a named constant: pi or e
    Unary("-", operand)            negation
    Binary(op, left, right)        op is one of + - * / ^
    Call("sin", arg)               a whitelisted one-argument function

Trees are hashable and compare by structure, so they can be dictionary keys and test oracles.
Every walker in descentlab recurses; the parser caps the depth (``MAX_DEPTH``) so none of them can
exhaust Python's stack.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

MAX_DEPTH = 150
"""Deepest tree the parser builds. Walkers recurse, and a derivative is about 3x deeper."""

BINARY_OPS = ("+", "-", "*", "/", "^")

# Binding strength, loosest first. Unary minus sits between * and ^: -x^2 is -(x^2), -x*y is (-x)*y.
PREC_ADD = 1
PREC_MUL = 2
PREC_UNARY = 3
PREC_POW = 4
PREC_ATOM = 5

_BINARY_PREC = {"+": PREC_ADD, "-": PREC_ADD, "*": PREC_MUL, "/": PREC_MUL, "^": PREC_POW}


@dataclass(frozen=True, slots=True)
class Num:
    """A number."""

    value: float

    def __str__(self) -> str:
        return format_number(self.value)


@dataclass(frozen=True, slots=True)
class Var:
    """A variable, by name."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Const:
    """A named constant (``pi`` or ``e``); its value is in ``evaluate.CONSTANTS``."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Unary:
    """Negation: ``op`` is always ``"-"``."""

    op: str
    operand: Node

    def __str__(self) -> str:
        inner = str(self.operand)
        if precedence(self.operand) < PREC_UNARY:
            inner = f"({inner})"
        return f"-{inner}"


@dataclass(frozen=True, slots=True)
class Binary:
    """``left op right`` with ``op`` in ``+ - * / ^``."""

    op: str
    left: Node
    right: Node

    def __str__(self) -> str:
        prec = _BINARY_PREC[self.op]
        left, right = str(self.left), str(self.right)
        if self.op == "^":
            # Right-associative: a^b^c is a^(b^c); the base needs parentheses at equal strength,
            # and so does a unary base (-x)^2, which would otherwise read as -(x^2).
            if precedence(self.left) <= PREC_POW:
                left = f"({left})"
            if precedence(self.right) < PREC_UNARY:
                right = f"({right})"
            return f"{left}^{right}"
        # Left-associative: the right operand needs parentheses at equal strength (a - (b - c)).
        if precedence(self.left) < prec:
            left = f"({left})"
        if precedence(self.right) <= prec:
            right = f"({right})"
        if self.op in "+-":
            return f"{left} {self.op} {right}"
        return f"{left}{self.op}{right}"


@dataclass(frozen=True, slots=True)
class Call:
    """``func(arg)`` for a function in ``evaluate.FUNCTIONS``."""

    func: str
    arg: Node

    def __str__(self) -> str:
        return f"{self.func}({self.arg})"


Node = Num | Var | Const | Unary | Binary | Call


def precedence(node: Node) -> int:
    """How tightly ``node`` binds when printed; higher binds tighter."""
    if isinstance(node, Binary):
        return _BINARY_PREC[node.op]
    if isinstance(node, Unary):
        return PREC_UNARY
    if isinstance(node, Num) and (node.value < 0 or math.copysign(1.0, node.value) < 0):
        return PREC_UNARY  # prints with a leading minus
    return PREC_ATOM


def format_number(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (``2``, ``0.5``, ``1e-05``)."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
        text = str(int(value))
        return "-0" if text == "0" and math.copysign(1.0, value) < 0 else text
    return repr(float(value))


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-trees of ``node``, left to right."""
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Call):
        return (node.arg,)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (pre-order), without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def depth(node: Node) -> int:
    """Number of nodes on the longest root-to-leaf path (a leaf has depth 1)."""
    best = 0
    stack = [(node, 1)]
    while stack:
        current, d = stack.pop()
        best = max(best, d)
        stack.extend((child, d + 1) for child in children(current))
    return best


def size(node: Node) -> int:
    """Number of nodes in the tree."""
    return sum(1 for _ in walk(node))


def names(node: Node) -> set[str]:
    """The variable names used in the tree (constants excluded)."""
    return {n.name for n in walk(node) if isinstance(n, Var)}


def order_variables(found: Iterable[str], order: Sequence[str] | None = None) -> tuple[str, ...]:
    """Order variable names: ``x, y, z`` first, then the rest alphabetically.

    Args:
        found: The names a formula uses.
        order: An explicit order chosen by the caller. It must contain every name in ``found``; it
            may add names the formula does not use (a constant function of them).

    Returns:
        The variables in order.

    Raises:
        ValueError: ``order`` misses a name the formula uses or repeats one.

    Examples:
        >>> order_variables({"b", "y", "a", "x"})
        ('x', 'y', 'a', 'b')
    """
    found = set(found)
    if order is not None:
        order = tuple(order)
        if len(set(order)) != len(order):
            raise ValueError(f"variable order {list(order)} repeats a name")
        missing = sorted(found - set(order))
        if missing:
            raise ValueError(
                f"variable order {list(order)} misses {', '.join(missing)} used in the formula"
            )
        return order
    first = [v for v in ("x", "y", "z") if v in found]
    rest = sorted(found - set(first))
    return tuple(first + rest)


def variables(node: Node, order: Sequence[str] | None = None) -> tuple[str, ...]:
    """The tree's variables in the descentlab order (see :func:`order_variables`)."""
    return order_variables(names(node), order)
