"""The one bridge from descentlab's trees to sympy: the independent oracle of the tests and tools.

Built by walking the nodes (never by parsing text with sympify), without recursion, so deep trees
are fine. sympy is a test-time dependency only; the package never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp

from descentlab.expr.tree import Binary, Call, Const, Node, Num, Unary, Var, children, post_order

SYMBOLS: dict[str, sp.Symbol] = {}
"""Real symbols by name, made on first use (``to_sympy`` without ``symbols`` uses these)."""

FUNCTIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "exp": sp.exp,
    "log": sp.log,
    "log10": lambda a: sp.log(a, 10),
    "log2": lambda a: sp.log(a, 2),
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
}

OPERATORS: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: a**b,
}


def symbol(name: str) -> sp.Symbol:
    """The real symbol for ``name`` (the same object every time)."""
    return SYMBOLS.setdefault(name, sp.Symbol(name, real=True))


def to_sympy(
    tree: Node, symbols: Mapping[str, sp.Symbol] | None = None, *, decimal: bool = False
) -> sp.Expr:
    """The tree as a sympy expression.

    Args:
        tree: A descentlab expression tree.
        symbols: Symbols by variable name (default: :func:`symbol`).
        decimal: Numbers as the decimals they print as (``0.1`` is 1/10, what a person typed);
            by default as the exact binary value of the float the tree holds.
    """
    done: dict[int, sp.Expr] = {}
    for node in post_order(tree):
        args = [done[id(c)] for c in children(node)]
        if isinstance(node, Num):
            value = sp.Rational(repr(node.value)) if decimal else sp.Rational(node.value)
        elif isinstance(node, Var):
            value = symbols[node.name] if symbols is not None else symbol(node.name)
        elif isinstance(node, Const):
            value = sp.pi if node.name == "pi" else sp.E
        elif isinstance(node, Unary):
            value = -args[0]
        elif isinstance(node, Binary):
            value = OPERATORS[node.op](*args)
        else:
            assert isinstance(node, Call), node
            value = FUNCTIONS[node.func](args[0])
        done[id(node)] = value
    return done[id(tree)]
