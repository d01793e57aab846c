"""Exact gradients (reverse mode) against sympy evaluated at 30 digits, and per-rule checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from strategies import SMOOTH_BOX, smooth_trees
from sympy_oracle import symbol, to_sympy

from descentlab.derivatives.autodiff import RULES, grad_function, value_and_grad
from descentlab.errors import EvaluationError
from descentlab.expr import parse
from descentlab.expr.evaluate import to_function
from descentlab.expr.tree import Call, Const, Node, Var, children

SYMBOLS = {name: symbol(name) for name in ("x", "y", "z")}


def sympy_gradient(tree: Node, variables: tuple[str, ...], point: np.ndarray) -> np.ndarray:
    """Exact gradient at ``point`` from sympy's derivative evaluated to 30 digits."""
    expr = to_sympy(tree)
    subs = {SYMBOLS[v]: sp.Float(float(p), 30) for v, p in zip(variables, point, strict=True)}
    return np.array(
        [float(sp.re(sp.diff(expr, SYMBOLS[v]).evalf(30, subs=subs))) for v in variables]
    )


def assert_close(actual: np.ndarray, exact: np.ndarray, rtol: float = 1e-13, atol: float = 1e-14):
    err = np.abs(actual - exact)
    bound = rtol * np.abs(exact) + atol
    assert np.all(err <= bound), f"{actual} vs {exact}: error {err}, bound {bound}"


# (formula, point): smooth formulas in 1-3 variables, at points inside their domains.
FORMULAS = [
    ("x^2", (3.0,)),
    ("3x^4 + 4x^3 - 12x^2 + 7", (1.7,)),
    ("1 + x^2", (-1.0,)),
    ("(1 - x)^2 + 100(y - x^2)^2", (-1.2, 1.0)),
    ("sin(x^2/2 - y^2/4 + 3)*cos(2x + 1 - e^y)", (0.3, -0.7)),
    ("x*y*z", (1.5, -2.0, 0.25)),
    ("x/y", (2.0, 3.0)),
    ("x^y", (1.3, 2.7)),
    ("2^x", (0.9,)),
    ("e^x", (1.1,)),
    ("exp(-x^2 - y^2)", (0.4, -0.3)),
    ("log(x)", (0.37,)),
    ("log10(x) + log2(y)", (4.2, 0.6)),
    ("sqrt(x^2 + y^2)", (3.0, 4.0)),
    ("tan(x)", (0.6,)),
    ("asin(x) + acos(y)", (0.3, -0.45)),
    ("atan(x/y)", (1.0, 2.0)),
    ("sinh(x) + cosh(y) + tanh(x*y)", (0.8, -1.3)),
    ("abs(x - y)", (0.2, 0.9)),
    ("-x^2", (1.25,)),
    ("x^-1.5", (2.5,)),
    ("x^0.5 + x^(1/3)", (2.0,)),
    ("(x + y)^3 - (x - y)^3", (0.7, 0.2)),
    ("x^5 - 5x^3 + 4x", (1.1,)),
    ("pi*x^2 + e*y", (1.0, 2.0)),
    ("sin(x)*sin(x) + cos(x)*cos(x)", (0.77,)),
    ("1/(1 + exp(-x))", (0.5,)),
    ("log(1 + exp(x))", (-2.0,)),
    ("x*exp(-x)*sin(3x)", (1.4,)),
    ("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", (3.5, -1.5)),
    ("0.26(x^2 + y^2) - 0.48x*y", (1.0, -3.0)),
    ("(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2", (1.0, 0.8)),
    ("-cos(x)*cos(y)*exp(-((x - pi)^2 + (y - pi)^2))", (3.0, 3.3)),
    ("20 + x^2 - 10cos(2pi*x) + y^2 - 10cos(2pi*y)", (0.3, -0.2)),
    ("x^2*y + y^3*z - z/x", (1.2, 0.8, -0.5)),
    ("sqrt(1 + x^4)*log(2 + sin(y))", (0.9, 2.1)),
    ("x^x", (1.6,)),
]


def _vars(tree: Node) -> tuple[str, ...]:
    found = {n.name for n in _walk(tree) if isinstance(n, Var)}
    return tuple(v for v in ("x", "y", "z") if v in found)


def _walk(tree: Node):
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))


@pytest.mark.parametrize(("formula", "point"), FORMULAS, ids=[f for f, _ in FORMULAS])
def test_gradient_matches_sympy(formula: str, point: tuple[float, ...]) -> None:
    tree = parse(formula)
    names = _vars(tree)
    x = np.array(point)
    f, G = value_and_grad(tree, names, x[None, :])
    assert_close(G[0], sympy_gradient(tree, names, x))
    assert f[0] == pytest.approx(float(to_sympy(tree).evalf(30, subs=_subs(names, x))), rel=1e-14)


def _subs(names: tuple[str, ...], x: np.ndarray) -> dict:
    return {SYMBOLS[v]: sp.Float(float(p), 30) for v, p in zip(names, x, strict=True)}


def test_formula_set_is_large_enough() -> None:
    assert len(FORMULAS) >= 30


@settings(max_examples=150, deadline=None)
@given(smooth_trees(max_leaves=8, variables=("x", "y")))
def test_gradient_matches_sympy_on_random_smooth_formulas(tree: Node) -> None:
    point = np.array([0.5 + 1 / 3, 1.5 - 1 / 7])
    assert SMOOTH_BOX[0] <= point.min() and point.max() <= SMOOTH_BOX[1]
    _, G = value_and_grad(tree, ("x", "y"), point[None, :])
    exact = sympy_gradient(tree, ("x", "y"), point)
    # Relative, plus a tiny absolute part for derivatives that cancel to (nearly) zero.
    assert_close(G[0], exact, rtol=1e-13, atol=1e-13)


def test_values_match_evaluate_and_batches_match_single_points() -> None:
    tree = parse("sin(x^2/2 - y^2/4 + 3)*cos(2x + 1 - e^y)")
    X = np.random.default_rng(1).uniform(-2, 2, (50, 2))
    f, G = value_and_grad(tree, ("x", "y"), X)
    np.testing.assert_allclose(f, to_function(tree, ("x", "y"))(X), rtol=1e-15, atol=1e-15)
    for i in (0, 17, 49):
        fi, gi = value_and_grad(tree, ("x", "y"), X[i])
        assert fi.shape == () and gi.shape == (2,)
        np.testing.assert_array_equal(gi, G[i])
        assert fi == f[i]


def test_prepared_function_is_reusable_and_does_not_alias_input() -> None:
    fn = grad_function(parse("x"), ("x", "y"))
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    f, G = fn(X)
    f[0] = 99.0
    assert X[0, 0] == 1.0
    np.testing.assert_array_equal(G, [[1.0, 0.0], [1.0, 0.0]])
    f2, _ = fn(X)
    np.testing.assert_array_equal(f2, [1.0, 3.0])
    f3, _ = grad_function(parse("x^1"), ("x",))(X[:, :1])
    f3[:] = 0.0
    assert X[0, 0] == 1.0


def test_shared_subexpressions_accumulate() -> None:
    # f = u*u with u = sin(x): both uses of u feed its adjoint (micrograd's +=).
    _, G = value_and_grad(parse("sin(x)*sin(x) + sin(x)"), ("x",), [[0.4]])
    assert G[0, 0] == pytest.approx(2 * math.sin(0.4) * math.cos(0.4) + math.cos(0.4), rel=1e-15)


def test_unused_variable_gets_zero_column_and_constants_zero_gradient() -> None:
    f, G = value_and_grad(parse("pi*x + e"), ("x", "y", "z"), [[1.0, 5.0, 6.0]])
    assert f[0] == pytest.approx(math.pi + math.e, rel=1e-15)
    np.testing.assert_array_equal(G, [[math.pi, 0.0, 0.0]])


def test_constant_formula() -> None:
    f, G = value_and_grad(parse("2^10 + sin(0)"), ("x",), np.zeros((3, 1)))
    np.testing.assert_array_equal(f, [1024.0] * 3)
    np.testing.assert_array_equal(G, np.zeros((3, 1)))


def test_huge_constant_power_does_not_warn_or_hang() -> None:
    f, G = value_and_grad(parse("x + 9^9^9^9"), ("x",), [[1.0]])
    assert f[0] == math.inf and G[0, 0] == 1.0


# One line per rule: (formula, point, exact derivative at the point).
RULE_CASES = {
    "add": ("x + y", (1.0, 2.0), (1.0, 1.0)),
    "sub": ("x - y", (1.0, 2.0), (1.0, -1.0)),
    "mul": ("x*y", (3.0, -2.0), (-2.0, 3.0)),
    "div": ("x/y", (3.0, -2.0), (-0.5, -0.75)),
    "neg": ("-x", (3.0,), (-1.0,)),
    "powi": ("x^3", (-2.0,), (12.0,)),
    "pow": ("x^y", (2.0, 3.5), (3.5 * 2.0**2.5, 2.0**3.5 * math.log(2.0))),
    "sin": ("sin(x)", (0.3,), (math.cos(0.3),)),
    "cos": ("cos(x)", (0.3,), (-math.sin(0.3),)),
    "tan": ("tan(x)", (0.3,), (1 / math.cos(0.3) ** 2,)),
    "asin": ("asin(x)", (0.3,), (1 / math.sqrt(1 - 0.09),)),
    "acos": ("acos(x)", (0.3,), (-1 / math.sqrt(1 - 0.09),)),
    "atan": ("atan(x)", (0.3,), (1 / 1.09,)),
    "sinh": ("sinh(x)", (0.3,), (math.cosh(0.3),)),
    "cosh": ("cosh(x)", (0.3,), (math.sinh(0.3),)),
    "tanh": ("tanh(x)", (0.3,), (1 - math.tanh(0.3) ** 2,)),
    "exp": ("exp(x)", (0.3,), (math.exp(0.3),)),
    "log": ("log(x)", (0.3,), (1 / 0.3,)),
    "log10": ("log10(x)", (0.3,), (1 / (0.3 * math.log(10)),)),
    "log2": ("log2(x)", (0.3,), (1 / (0.3 * math.log(2)),)),
    "sqrt": ("sqrt(x)", (0.3,), (0.5 / math.sqrt(0.3),)),
    "abs": ("abs(x)", (-0.3,), (-1.0,)),
}


def test_every_rule_has_a_case() -> None:
    assert set(RULE_CASES) == set(RULES)


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_rule(rule: str) -> None:
    formula, point, exact = RULE_CASES[rule]
    tree = parse(formula)
    _, G = value_and_grad(tree, _vars(tree), [point])
    np.testing.assert_allclose(G[0], exact, rtol=1e-15)


@pytest.mark.parametrize(
    ("formula", "x", "value", "grad"),
    [
        ("abs(x)", 0.0, 0.0, 0.0),  # a subgradient: documented choice
        ("abs(x)", -0.0, 0.0, 0.0),
        ("sqrt(x)", 0.0, 0.0, math.inf),  # documented: inf at 0
        ("sqrt(x)", 1e-300, 1e-150, 0.5e150),
        ("log(x)", 0.0, -math.inf, math.inf),
        ("log(x)", 1e-300, math.log(1e-300), 1e300),
        ("x^2", 0.0, 0.0, 0.0),
        ("x^0", 0.0, 1.0, 0.0),
    ],
)
def test_awkward_points_without_warnings(formula: str, x: float, value: float, grad: float) -> None:
    f, G = value_and_grad(parse(formula), ("x",), [[x]])
    assert f[0] == pytest.approx(value, rel=1e-15)
    assert G[0, 0] == pytest.approx(grad, rel=1e-15)


def test_outside_the_domain_is_nan_without_warnings() -> None:
    f, G = value_and_grad(parse("log(x) + asin(x)"), ("x",), [[-1.0], [2.0]])
    assert np.isnan(f).all() and np.isnan(G).all()


@pytest.mark.parametrize(
    ("variables", "X", "match"),
    [
        (("x",), [[1.0, 2.0]], "shape"),
        (("x", "y"), [1.0], "shape"),
        (("x", "y"), np.zeros((2, 2, 2)), "shape"),
        (("x", "y"), [["a", "b"]], "real numbers"),
    ],
)
def test_bad_points(variables: tuple[str, ...], X: object, match: str) -> None:
    fn = grad_function(parse("x"), variables)
    with pytest.raises(EvaluationError, match=match):
        fn(X)


def test_bad_variables() -> None:
    with pytest.raises(EvaluationError, match="'y'"):
        grad_function(parse("x*y"), ("x",))
    with pytest.raises(EvaluationError, match="repeat"):
        grad_function(parse("x"), ("x", "x"))
    with pytest.raises(EvaluationError, match="unknown constant"):
        grad_function(Const("tau"), ("x",))
    with pytest.raises(EvaluationError, match="no derivative rule"):
        grad_function(Call("gamma", Var("x")), ("x",))
