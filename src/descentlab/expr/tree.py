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
``str``, ``repr``, ``==`` and ``hash`` walk the tree with explicit stacks rather than recursion:
a derivative can be several times deeper than the parser's ``MAX_DEPTH`` (``d/dx`` of 140 nested
``(x^x)`` is 560 levels deep), and none of them may exhaust Python's stack on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

T = TypeVar("T")

MAX_DEPTH = 150
"""Deepest tree the parser builds; derivatives of such trees are deeper (walkers are iterative)."""

BINARY_OPS = ("+", "-", "*", "/", "^")

# Binding strength, loosest first. Unary minus sits between * and ^: -x^2 is -(x^2), -x*y is (-x)*y.
PREC_ADD = 1
PREC_MUL = 2
PREC_UNARY = 3
PREC_POW = 4
PREC_ATOM = 5

_BINARY_PREC = {"+": PREC_ADD, "-": PREC_ADD, "*": PREC_MUL, "/": PREC_MUL, "^": PREC_POW}


class _Node:
    """What every node shares: ``str``, ``repr``, ``==`` and ``hash``, all without recursion.

    The dataclass-generated versions recurse once per level (through tuples of fields), so a
    derivative a few hundred levels deep would raise RecursionError from ``str(tree)``.
    """

    __slots__ = ()

    def __str__(self) -> str:
        return _fold(_node(self), _text)

    def __repr__(self) -> str:
        return _fold(_node(self), _repr)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Node):
            return NotImplemented
        return _equal(_node(self), _node(other))

    def __hash__(self) -> int:
        return _fold(_node(self), _hash)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Num(_Node):
    """A number."""

    value: float


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Var(_Node):
    """A variable, by name."""

    name: str


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Const(_Node):
    """A named constant (``pi`` or ``e``); its value is in ``evaluate.CONSTANTS``."""

    name: str


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Unary(_Node):
    """Negation: ``op`` is always ``"-"``."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Binary(_Node):
    """``left op right`` with ``op`` in ``+ - * / ^``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Call(_Node):
    """``func(arg)`` for a function in ``evaluate.FUNCTIONS``."""

    func: str
    arg: Node


Node = Num | Var | Const | Unary | Binary | Call


def _node(node: _Node) -> Node:
    """``node`` as the union ``Node``: every ``_Node`` is one of its six classes."""
    return cast(Node, node)


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


def _fields(node: Node) -> tuple[Any, ...]:
    """The node's own (non-tree) fields: the value, name, operator or function."""
    if isinstance(node, Num):
        return (node.value,)
    if isinstance(node, Var | Const):
        return (node.name,)
    if isinstance(node, Unary | Binary):
        return (node.op,)
    return (node.func,)


def post_order(tree: Node) -> list[Node]:
    """Every distinct node (by identity) once, children before parents, left to right.

    Iterative, so it works on trees of any depth; every walker in descentlab is built on it.

    Examples:
        >>> [str(n) for n in post_order(Binary("+", Var("x"), Num(1.0)))]
        ['x', '1', 'x + 1']
    """
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        if ready:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children(node)))
    return order


def _fold(tree: Node, combine: Callable[[Node, list[T]], T]) -> T:
    """``combine(node, [results of its children])`` for every node, children first, iteratively."""
    done: dict[int, T] = {}
    for node in post_order(tree):
        done[id(node)] = combine(node, [done[id(c)] for c in children(node)])
    return done[id(tree)]


def _text(node: Node, args: list[str]) -> str:
    """The formula for ``node`` given its children's formulas (the fewest parentheses)."""
    if isinstance(node, Num):
        return format_number(node.value)
    if isinstance(node, Var | Const):
        return node.name
    if isinstance(node, Call):
        return f"{node.func}({args[0]})"
    if isinstance(node, Unary):
        inner = args[0]
        if precedence(node.operand) < PREC_UNARY:
            inner = f"({inner})"
        return f"-{inner}"
    left, right = args
    if node.op == "^":
        # Right-associative: a^b^c is a^(b^c); the base needs parentheses at equal strength,
        # and so does a unary base (-x)^2, which would otherwise read as -(x^2).
        if precedence(node.left) <= PREC_POW:
            left = f"({left})"
        if precedence(node.right) < PREC_UNARY:
            right = f"({right})"
        return f"{left}^{right}"
    # Left-associative: the right operand needs parentheses at equal strength (a - (b - c)).
    prec = _BINARY_PREC[node.op]
    if precedence(node.left) < prec:
        left = f"({left})"
    if precedence(node.right) <= prec:
        right = f"({right})"
    if node.op in "+-":
        return f"{left} {node.op} {right}"
    return f"{left}{node.op}{right}"


_FIELD_NAMES = {
    "Num": ("value",),
    "Var": ("name",),
    "Const": ("name",),
    "Unary": ("op", "operand"),
    "Binary": ("op", "left", "right"),
    "Call": ("func", "arg"),
}


def _repr(node: Node, args: list[str]) -> str:
    """``Binary(op='+', left=Var(name='x'), right=Num(value=1.0))``, as a dataclass prints."""
    values = [repr(v) for v in _fields(node)] + args
    cls = type(node).__name__
    inner = ", ".join(f"{k}={v}" for k, v in zip(_FIELD_NAMES[cls], values, strict=True))
    return f"{cls}({inner})"


def _hash(node: Node, args: list[int]) -> int:
    return hash((type(node).__name__, *_fields(node), *args))


def _equal(a: Node, b: Node) -> bool:
    """Structural equality, pair by pair with an explicit stack."""
    stack = [(a, b)]
    while stack:
        p, q = stack.pop()
        if p is q:
            continue
        if type(p) is not type(q):
            return False
        fp, fq = _fields(p), _fields(q)
        if not all(u is v or u == v for u, v in zip(fp, fq, strict=True)):
            return False
        stack.extend(zip(children(p), children(q), strict=True))
    return True


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
