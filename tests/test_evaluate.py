"""Evaluation against hand-written NumPy, fast paths against np.power, shapes and bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bounded import bounded
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import SMOOTH_BOX, smooth_trees, trees

from descentlab.errors import EvaluationError
from descentlab.expr import (
    CONSTANTS,
    FUNCTIONS,
    Binary,
    Call,
    Const,
    Num,
    Unary,
    Var,
    evaluate,
    parse,
    to_function,
)
from descentlab.expr.tree import Node

RNG = np.random.default_rng(20240601)
X = RNG.uniform(-2.0, 2.0, size=200)
Y = RNG.uniform(-2.0, 2.0, size=200)

# (formula, the same thing written by hand in NumPy)
BY_HAND = [
    ("sin(x^2/2 - y^2/4 + 3)*cos(2x + 1 - e^y)",
     lambda x, y: np.sin(x**2 / 2 - y**2 / 4 + 3) * np.cos(2 * x + 1 - np.exp(y))),
    ("3x^4 + 4x^3 - 12x^2 + 7", lambda x, y: 3 * x**4 + 4 * x**3 - 12 * x**2 + 7),
    ("(1 - x)^2 + 100(y - x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("x*y/(1 + x^2 + y^2)", lambda x, y: x * y / (1 + x**2 + y**2)),
    ("-x^2", lambda x, y: -(x**2)),
    ("2^-x", lambda x, y: 2.0 ** (-x)),
    ("abs(x)^1.5", lambda x, y: np.abs(x) ** 1.5),
    ("x^y", lambda x, y: np.power(x, y)),
    ("2^3^x", lambda x, y: 2.0 ** (3.0**x)),
    ("exp(-(x^2 + y^2))", lambda x, y: np.exp(-(x**2 + y**2))),
    ("log(1 + x^2) + ln(2)", lambda x, y: np.log(1 + x**2) + np.log(2)),
    ("log10(abs(x)) - log2(abs(y))", lambda x, y: np.log10(np.abs(x)) - np.log2(np.abs(y))),
    ("sqrt(x^2 + y^2)", lambda x, y: np.hypot(x, y)),
    ("tanh(x) + sinh(y)*cosh(x)", lambda x, y: np.tanh(x) + np.sinh(y) * np.cosh(x)),
    ("atan(y/x) + tan(x/2)", lambda x, y: np.arctan(y / x) + np.tan(x / 2)),
    ("asin(x/2) + acos(y/2)", lambda x, y: np.arcsin(x / 2) + np.arccos(y / 2)),
    ("pi*x + e", lambda x, y: np.pi * x + np.e),
    ("x^3 - x^4 + x^1 + x^0", lambda x, y: x**3 - x**4 + x + 1),
    ("-x*-y", lambda x, y: (-x) * (-y)),
    ("1/2x", lambda x, y: 0.5 * x),
    ("x - (y - x)", lambda x, y: x - (y - x)),
    ("7", lambda x, y: np.full_like(x, 7.0)),
]  # fmt: skip


@pytest.mark.parametrize(("formula", "by_hand"), BY_HAND, ids=[f for f, _ in BY_HAND])
def test_agrees_with_hand_written_numpy(formula: str, by_hand: object) -> None:
    with np.errstate(all="ignore"):
        expected = by_hand(X, Y)  # type: ignore[operator]
    got = evaluate(parse(formula), {"x": X, "y": Y})
    assert got.shape == X.shape
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13, equal_nan=True)


def test_the_notebook_surface_on_a_grid_is_exact() -> None:
    g = np.linspace(-2.3, 2.3, 101)
    x, y = np.meshgrid(g, g)
    got = evaluate(parse("sin(x^2/2 - y^2/4 + 3)*cos(2x + 1 - e^y)"), {"x": x, "y": y})
    # e^y is a power, as typed (np.exp(y) may differ from it in the last bit)
    expected = np.sin(x**2 / 2 - y**2 / 4 + 3) * np.cos(2 * x + 1 - np.e**y)
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=1e-15)


def test_every_function_is_its_numpy_ufunc() -> None:
    # The compiled interpreter calls the C library's functions: bit for bit NumPy's, except
    # tanh, where NumPy has its own vectorized version (they differ by up to 3 ulp).
    t = np.linspace(0.05, 0.95, 19)
    for name, ufunc in FUNCTIONS.items():
        got = evaluate(Call(name, Var("x")), {"x": t})
        if name == "tanh":
            np.testing.assert_allclose(got, ufunc(t), rtol=4 * 2.0**-52, atol=0)
        else:
            np.testing.assert_array_equal(got, ufunc(t))
    assert {"pi": math.pi, "e": math.e} == CONSTANTS


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(finite, st.sampled_from([1, 2, 3, 4]))
def test_integer_powers_agree_with_np_power(value: float, k: int) -> None:
    got = evaluate(parse(f"x^{k}"), {"x": value})
    np.testing.assert_allclose(got, np.power(value, float(k)), rtol=4e-16, atol=0)


@settings(max_examples=100, deadline=None)
@given(st.floats(-700, 700))
def test_e_to_the_y_agrees_with_np_power(value: float) -> None:
    got = evaluate(parse("e^y"), {"y": value})
    np.testing.assert_allclose(got, np.power(math.e, value), rtol=1e-13)


def test_towers_of_powers_are_inf_at_once() -> None:
    # float64 all the way: a tower is a few calls, never Python's unbounded integer power
    with bounded(calls=2_000):
        nine = evaluate(parse("9^9^9^9"), {})
        assert np.asarray(nine).dtype == np.float64 and nine == np.inf
        assert evaluate(parse("9^9^9^9^9^9^9^9"), {"x": np.zeros(3)}).tolist() == [np.inf] * 3
        assert evaluate(parse("x^9^9^9"), {"x": 2.0}) == np.inf
        assert evaluate(parse("-(10^400)"), {}) == -np.inf


@pytest.mark.parametrize(
    ("formula", "value", "expected"),
    [
        ("log(x)", -1.0, np.nan),
        ("log(x)", 0.0, -np.inf),
        ("sqrt(x)", -1.0, np.nan),
        ("1/x", 0.0, np.inf),
        ("0/x", 0.0, np.nan),
        ("asin(x)", 2.0, np.nan),
        ("exp(x)", 1000.0, np.inf),
        ("x^0.5", -4.0, np.nan),
        ("exp(x) - exp(x)", 1000.0, np.nan),
    ],
)
def test_outside_the_domain_is_nan_or_inf_without_warnings(
    formula: str, value: float, expected: float
) -> None:
    # pytest runs with filterwarnings=error: any RuntimeWarning would fail this test.
    got = evaluate(parse(formula), {"x": np.array([value, value])})
    np.testing.assert_array_equal(got, [expected, expected])


def test_constant_sub_trees_fold_without_warnings() -> None:
    assert np.isnan(evaluate(parse("log(-1) + x"), {"x": 1.0}))
    assert evaluate(parse("1/0*x"), {"x": 2.0}) == np.inf


def test_complex_values_stay_complex_for_the_complex_step() -> None:
    h = 1e-20
    for formula, derivative in [
        ("sin(x)*exp(x)", lambda x: np.exp(x) * (np.sin(x) + np.cos(x))),
        ("x^3 + x^2 + 1/x", lambda x: 3 * x**2 + 2 * x - 1 / x**2),
        ("e^(2x) + sqrt(1 + x^2)", lambda x: 2 * np.exp(2 * x) + x / np.sqrt(1 + x**2)),
    ]:
        got = evaluate(parse(formula), {"x": 0.7 + 1j * h})
        assert got.dtype == np.complex128
        np.testing.assert_allclose(got.imag / h, derivative(0.7), rtol=1e-14)


def test_inputs_are_converted_and_never_modified() -> None:
    assert evaluate(parse("x^-1"), {"x": 2}) == 0.5  # an integer input becomes float
    assert evaluate(parse("x"), {"x": True}) == 1.0
    x = np.array([1.0, 2.0, 3.0])
    kept = x.copy()
    result = evaluate(parse("x"), {"x": x})
    assert result is not x
    result[0] = 99.0
    for formula in ["-x", "x^2", "sin(x)", "x*x + x", "exp(x)/x"]:
        evaluate(parse(formula), {"x": x})
    np.testing.assert_array_equal(x, kept)


def test_broadcasting_and_result_shape() -> None:
    x = np.linspace(0, 1, 4)[:, None]
    y = np.linspace(0, 1, 3)[None, :]
    assert evaluate(parse("x + y"), {"x": x, "y": y}).shape == (4, 3)
    assert evaluate(parse("x"), {"x": x, "y": y}).shape == (4, 3)
    constant = evaluate(parse("2 + 3"), {"x": np.zeros(5)})
    np.testing.assert_array_equal(constant, np.full(5, 5.0))
    assert evaluate(parse("pi"), {}).shape == ()
    assert evaluate(parse("x*y"), {"x": 2.0, "y": np.ones((2, 2))}).shape == (2, 2)


@pytest.mark.parametrize(
    ("env", "phrase"),
    [
        ({"x": 1.0}, "no value for the variable 'y'"),
        ({"x": "1", "y": 2.0}, "must be numbers"),
        ({"x": [1.0, [2.0]], "y": 1.0}, "not an array of numbers"),
        ({"x": object(), "y": 1.0}, "must be numbers"),
        ({"x": np.zeros(3), "y": np.zeros(4)}, "do not broadcast"),
    ],
)
def test_bad_env(env: dict[str, object], phrase: str) -> None:
    with pytest.raises(EvaluationError, match=phrase):
        evaluate(parse("x + y"), env)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tree", "phrase"),
    [
        (Call("system", Var("x")), "unknown function 'system'"),
        (Const("tau"), "unknown constant 'tau'"),
        (Binary("%", Var("x"), Num(2.0)), "unknown operator '%'"),
        (Unary("!", Var("x")), "unknown unary operator '!'"),
        (Binary("+", Var("x"), "y"), "not an expression node"),  # type: ignore[arg-type]
    ],
)
def test_hand_built_bad_trees(tree: Node, phrase: str) -> None:
    with pytest.raises(EvaluationError, match=phrase):
        evaluate(tree, {"x": 1.0})


def test_to_function_shapes() -> None:
    f = to_function(parse("x^2 + 10y"), ("x", "y"))
    points = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, 0.0]])
    np.testing.assert_allclose(f(points), [21.0, 49.0, 0.25])
    assert f(points).shape == (3,)
    one = f(np.array([1.0, 2.0]))
    assert isinstance(one, np.ndarray) and one.shape == () and one == 21.0
    assert f(np.empty((0, 2))).shape == (0,)
    # Extra variables make a constant function of them; the order is the caller's.
    g = to_function(parse("y"), ("y", "x", "t"))
    np.testing.assert_array_equal(g(np.array([[1.0, 2.0, 3.0]] * 2)), [1.0, 1.0])
    constant = to_function(parse("3"), ("x",))
    np.testing.assert_array_equal(constant(np.zeros((4, 1))), np.full(4, 3.0))
    complex_points = np.array([[1.0 + 1e-20j, 2.0]])
    assert f(complex_points).dtype == np.complex128


@pytest.mark.parametrize(
    ("points", "phrase"),
    [
        (np.zeros(3), r"expected points with 2 coordinates \(x, y\)"),
        (np.zeros((4, 3)), r"got shape \(4, 3\)"),
        (np.zeros((2, 2, 2)), "got shape"),
        (np.float64(1.0), r"got shape \(\)"),
        (["a", "b"], "must be numbers"),
    ],
)
def test_to_function_bad_points(points: object, phrase: str) -> None:
    f = to_function(parse("x*y"), ["x", "y"])
    with pytest.raises(EvaluationError, match=phrase):
        f(points)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("names", "phrase"),
    [(["x"], "uses y, not among the variables"), (["x", "y", "x"], "repeat"), ([1, 2], "strings")],
)
def test_to_function_bad_variables(names: list[object], phrase: str) -> None:
    with pytest.raises(EvaluationError, match=phrase):
        to_function(parse("x*y"), names)  # type: ignore[arg-type]


def reference(node: Node, env: dict[str, np.ndarray]) -> np.ndarray:
    """The plainest evaluator: one NumPy call per node, no folding, no fast paths."""
    if isinstance(node, Num):
        return np.float64(node.value)
    if isinstance(node, Const):
        return np.float64(CONSTANTS[node.name])
    if isinstance(node, Var):
        return env[node.name]
    if isinstance(node, Unary):
        return np.negative(reference(node.operand, env))
    if isinstance(node, Call):
        return FUNCTIONS[node.func](reference(node.arg, env))
    assert isinstance(node, Binary)
    ops = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power}
    return ops[node.op](reference(node.left, env), reference(node.right, env))


@settings(max_examples=150, deadline=None)
@given(smooth_trees(variables=("x", "y")))
def test_smooth_trees_match_the_plain_evaluator(tree: Node) -> None:
    lo, hi = SMOOTH_BOX
    env = {"x": RNG.uniform(lo, hi, 16), "y": RNG.uniform(lo, hi, 16)}
    got = evaluate(tree, env)
    with np.errstate(all="ignore"):
        expected = np.broadcast_to(reference(tree, env), (16,))
    assert np.all(np.isfinite(got)), str(tree)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@settings(max_examples=200, deadline=None)
@given(trees(max_leaves=10))
def test_any_tree_evaluates_without_raising_or_warning(tree: Node) -> None:
    x = np.array([-1.5, 0.0, 0.5, 2.0])
    x0, y0 = x.copy(), x[::-1].copy()
    y = y0.copy()
    got = evaluate(tree, {"x": x, "y": y})
    assert got.shape == (4,) and got.dtype == np.float64
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    f = to_function(tree, ("x", "y"))
    np.testing.assert_array_equal(f(np.column_stack([x, y])), got)
