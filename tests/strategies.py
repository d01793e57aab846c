"""Hypothesis strategies for expression trees, shared by the test modules.

- :func:`trees` draws any tree the parser could make: non-negative numbers, variables, ``pi`` and
  ``e``, negation, the five binary operators and every function under its canonical name. Its
  values may be nan or inf anywhere; use it for parsing, printing and "never raises" properties.
- :func:`smooth_trees` draws trees that are smooth (infinitely differentiable) and finite, with
  moderate values, on the box ``[0.5, 1.5]^n`` (indeed wherever every variable lies in
  ``[0.5, 1.5]``; most of them are smooth everywhere). Use it to compare derivatives with an
  oracle such as sympy. What it builds, with a bound B on ``|value|`` over the box carried along:

  - leaves: a variable (B = 1.5), a small number (0 to 5, or a one-decimal number; B = its value),
    ``pi`` or ``e``;
  - ``a + b``, ``a - b``, ``a*b``, ``-a``;
  - division only by positive expressions: ``a/(1 + b^2)``, ``a/(2 + cos(b))`` and ``a/v`` for a
    variable v (which is at least 0.5 on the box);
  - ``a^k`` for an integer k from 2 to 4;
  - ``sin``, ``cos``, ``atan``, ``tanh`` of anything; ``exp``, ``sinh`` and ``cosh`` of arguments
    with B <= 3; ``sqrt(1 + b^2)``, ``log(1 + b^2)``;
  - whenever B would exceed 1e4 the expression is wrapped in ``tanh`` (B = 1), so values never
    get huge and no subtree overflows.

  Values can still cancel (``x - x``), so compare derivatives with a tolerance that has an
  absolute part, or scale by the size of the terms.

Examples:
    >>> from hypothesis import given
    >>> @given(smooth_trees(variables=("x",)))
    ... def test(tree): ...
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from hypothesis import strategies as st

from descentlab.expr.parser import CONSTANT_NAMES, FUNCTION_NAMES
from descentlab.expr.tree import Binary, Call, Const, Node, Num, Unary, Var

SMOOTH_BOX = (0.5, 1.5)
"""Every variable of a :func:`smooth_trees` tree may range over this interval."""

_BOUND_CAP = 1e4
_SMOOTH_FUNCTIONS = ("sin", "cos", "tanh", "atan", "exp", "sinh", "cosh", "sqrt", "log")
_ONE = Num(1.0)
_TWO = Num(2.0)


def _check_names(variables: Sequence[str]) -> tuple[str, ...]:
    names = tuple(variables)
    for name in names:
        if not name or not name[0].isascii() or not name[0].isalpha():
            raise ValueError(f"not a variable name: {name!r}")
        if name in FUNCTION_NAMES or name in CONSTANT_NAMES:
            raise ValueError(f"{name!r} is a function or constant name, not a variable")
    if not names:
        raise ValueError("give at least one variable name")
    return names


def numbers() -> st.SearchStrategy[Num]:
    """Non-negative finite numbers as the parser reads them: small integers, decimals, extremes."""
    return st.one_of(
        st.integers(0, 12).map(float),
        st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False),
        st.sampled_from([0.5, 0.25, 1e-5, 1.5e-10, 1e20, 123456.789]),
    ).map(lambda v: Num(abs(v)))


def trees(max_leaves: int = 12, variables: Sequence[str] = ("x", "y")) -> st.SearchStrategy[Node]:
    """Random trees of every shape the parser makes.

    Args:
        max_leaves: Upper bound on the number of leaves (keeps trees shallow and fast).
        variables: The variable names to use.

    Returns:
        A strategy of trees; ``parse(str(tree)) == tree`` holds for each of them.
    """
    names = _check_names(variables)
    leaves = st.one_of(
        numbers(),
        st.sampled_from(names).map(Var),
        st.sampled_from(CONSTANT_NAMES).map(Const),
    )

    def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        return st.one_of(
            children.map(lambda a: Unary("-", a)),
            st.builds(Binary, st.sampled_from("+-*/^"), children, children),
            st.builds(Call, st.sampled_from(FUNCTION_NAMES), children),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


_Bounded = tuple[Node, float]


def _capped(tree: Node, bound: float) -> _Bounded:
    if bound > _BOUND_CAP or not math.isfinite(bound):
        return Call("tanh", tree), 1.0
    return tree, bound


def _square_plus(base: Node, tree: Node) -> Node:
    """``base + tree^2``."""
    return Binary("+", base, Binary("^", tree, _TWO))


def smooth_trees(
    max_leaves: int = 10, variables: Sequence[str] = ("x", "y")
) -> st.SearchStrategy[Node]:
    """Random trees that are smooth and finite on ``[0.5, 1.5]^n`` (see the module docstring).

    Args:
        max_leaves: Upper bound on the number of leaves.
        variables: The variable names to use (the box is ``SMOOTH_BOX`` for each of them).

    Returns:
        A strategy of trees, each one a formula the parser could make.
    """
    names = _check_names(variables)
    lo, hi = SMOOTH_BOX
    leaves: st.SearchStrategy[_Bounded] = st.one_of(
        st.sampled_from(names).map(lambda n: (Var(n), hi)),
        st.integers(0, 5).map(lambda k: (Num(float(k)), float(k))),
        st.integers(1, 30).map(lambda k: (Num(k / 10), k / 10)),
        st.sampled_from([(Const("pi"), math.pi), (Const("e"), math.e)]),
    )

    def neg(a: _Bounded) -> _Bounded:
        return Unary("-", a[0]), a[1]

    def binary(op: str, a: _Bounded, b: _Bounded) -> _Bounded:
        bound = a[1] + b[1] if op in "+-" else a[1] * b[1]
        return _capped(Binary(op, a[0], b[0]), bound)

    def divide(kind: str, a: _Bounded, b: _Bounded, v: str) -> _Bounded:
        if kind == "square":
            return Binary("/", a[0], _square_plus(_ONE, b[0])), a[1]
        if kind == "cos":
            return Binary("/", a[0], Binary("+", _TWO, Call("cos", b[0]))), a[1]
        return _capped(Binary("/", a[0], Var(v)), a[1] / lo)

    def power(a: _Bounded, k: int) -> _Bounded:
        return _capped(Binary("^", a[0], Num(float(k))), a[1] ** k)

    def call(func: str, a: _Bounded) -> _Bounded:
        tree, bound = a
        if func in ("sin", "cos", "tanh"):
            return Call(func, tree), 1.0
        if func == "atan":
            return Call(func, tree), math.pi / 2
        if func in ("exp", "sinh", "cosh"):
            if bound > 3:
                tree, bound = Call("tanh", tree), 1.0
            return Call(func, tree), math.exp(bound)
        # sqrt and log of 1 + tree^2: smooth everywhere.
        inner = _square_plus(_ONE, tree)
        if func == "sqrt":
            return Call("sqrt", inner), math.sqrt(1 + bound**2)
        return Call("log", inner), math.log1p(bound**2)

    def extend(children: st.SearchStrategy[_Bounded]) -> st.SearchStrategy[_Bounded]:
        return st.one_of(
            children.map(neg),
            st.builds(binary, st.sampled_from("+-*"), children, children),
            st.builds(
                divide,
                st.sampled_from(["square", "cos", "var"]),
                children,
                children,
                st.sampled_from(names),
            ),
            st.builds(power, children, st.integers(2, 4)),
            st.builds(
                call,
                st.sampled_from(_SMOOTH_FUNCTIONS),
                children,
            ),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves).map(lambda pair: pair[0])
