"""Finite differences: steps, accuracy on smooth formulas, the error ranking, bad input."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import smooth_trees
from test_autodiff import FORMULAS, _vars

from descentlab.derivatives.autodiff import value_and_grad
from descentlab.derivatives.finite import (
    METHODS,
    default_step,
    derivative,
    error_sweep,
    gradient,
    richardson,
)
from descentlab.errors import ConfigError, EvaluationError
from descentlab.expr import parse
from descentlab.expr.evaluate import to_function
from descentlab.expr.tree import Node

EPS = np.finfo(float).eps
SMOOTH = [(f, p) for f, p in FORMULAS if "abs" not in f]


def test_default_steps_follow_scipy() -> None:
    x = np.array([0.0, 0.5, -4.0, 100.0])
    scale = np.array([1.0, 1.0, 4.0, 100.0])
    expected_forward = math.sqrt(EPS) * scale * np.array([1, 1, -1, 1])
    np.testing.assert_array_equal(default_step("forward", x), expected_forward)
    np.testing.assert_array_equal(default_step("backward", x), expected_forward)
    np.testing.assert_allclose(default_step("central", x), EPS ** (1 / 3) * scale, rtol=1e-15)
    np.testing.assert_array_equal(default_step("complex", x), 1e-20)
    np.testing.assert_allclose(default_step("richardson", x), EPS ** (1 / 7) * scale, rtol=1e-15)


@pytest.mark.parametrize(("formula", "point"), SMOOTH, ids=[f for f, _ in SMOOTH])
def test_central_and_complex_on_smooth_formulas(formula: str, point: tuple) -> None:
    tree = parse(formula)
    names = _vars(tree)
    f = to_function(tree, names)
    X = np.array([point])
    _, exact = value_and_grad(tree, names, X)
    scale = np.abs(exact) + 1e-3 * max(1.0, np.abs(exact).max())
    central = gradient(f, X, method="central")
    # The default step grows with max(1, |x|), and the truncation error with its square.
    step_growth = np.maximum(1.0, np.abs(X)) ** 2
    assert np.all(np.abs(central - exact) <= 1e-9 * scale * step_growth)
    complex_step = gradient(f, X, method="complex")
    # Rounding in the complex step is relative to the terms that make up each partial (the
    # product rule adds terms as large as the largest partial), not to the partial itself.
    assert np.all(np.abs(complex_step - exact) <= 4 * EPS * (scale + np.abs(exact).max()))


@settings(max_examples=100, deadline=None)
@given(smooth_trees(max_leaves=6, variables=("x",)), st.floats(0.6, 1.4))
def test_richardson_beats_central_beats_forward(tree: Node, x: float) -> None:
    f = to_function(tree, ("x",))
    X = np.array([[x]])
    value, exact = value_and_grad(tree, ("x",), X)
    err = {m: float(np.abs(gradient(f, X, method=m) - exact)[0, 0]) for m in METHODS}
    scale = 1.0 + abs(float(exact[0, 0]))
    # The ranking is about truncation error; it holds up to each method's round-off floor,
    # about eps |f| / h (a straight line has no truncation error and forward is then exact).
    floor = 8 * EPS * (1.0 + abs(float(value[0]))) / float(default_step("central", x))
    assert err["richardson"] <= err["central"] + floor
    assert err["central"] <= err["forward"] + floor
    assert err["complex"] <= 1e-14 * scale


def test_batched_rows_match_single_rows_and_f_is_called_once() -> None:
    calls = []

    def f(P: np.ndarray) -> np.ndarray:
        calls.append(P.shape)
        return np.sin(P[:, 0]) * np.exp(P[:, 1])

    X = np.random.default_rng(0).uniform(-1, 1, (7, 2))
    for method in METHODS:
        calls.clear()
        G = gradient(f, X, method=method)
        assert len(calls) == 1
        for i in (0, 6):
            np.testing.assert_array_equal(gradient(f, X[i], method=method), G[i])


def test_exact_on_a_quadratic_with_a_given_step() -> None:
    def f(P: np.ndarray) -> np.ndarray:
        return P[:, 0] ** 2 + 3 * P[:, 1]

    G = gradient(f, [[1.0, 2.0]], method="central", h=0.5)
    np.testing.assert_allclose(G, [[2.0, 3.0]], rtol=1e-15)
    G = gradient(f, [[1.0, 2.0]], method="forward", h=[0.5, 0.25])
    np.testing.assert_allclose(G, [[2.5, 3.0]], rtol=1e-15)
    G = gradient(f, [[1.0, 2.0]], method="backward", h=0.5)
    np.testing.assert_allclose(G, [[1.5, 3.0]], rtol=1e-15)


def test_divides_by_the_step_actually_taken() -> None:
    # At x = 1e8 an asked-for step of 1e-9 is lost entirely except for the part x can represent.
    x, h = 1e8, 3e-8
    taken = (x + h) - x
    est = derivative(lambda t: t, x, method="forward", h=h)
    assert taken != h and est == 1.0


def test_derivative_of_plain_functions() -> None:
    assert derivative(math.sin, 0.7) == pytest.approx(math.cos(0.7), rel=1e-9)
    assert derivative(cmath.sin, 0.7, method="complex") == pytest.approx(math.cos(0.7), rel=1e-15)
    assert derivative(math.exp, 1.0, method="richardson") == pytest.approx(math.e, rel=1e-12)
    assert derivative(lambda t: t**3, -2.0, method="backward") == pytest.approx(12.0, rel=1e-7)


def test_error_sweep_shows_truncation_and_round_off() -> None:
    sweep = error_sweep(cmath.exp, 0.7, math.exp(0.7))
    hs, fwd, cen = sweep["h"], sweep["forward"], sweep["central"]
    assert len(hs) == 57 and hs[0] == 0.1 and hs[-1] == pytest.approx(1e-15)
    # V shape: large at both ends, smallest near sqrt(eps) (forward) and eps^(1/3) (central).
    assert hs[np.argmin(fwd)] == pytest.approx(1e-8, rel=10)
    assert hs[np.argmin(cen)] == pytest.approx(1e-5, rel=10)
    assert fwd[0] > 100 * fwd.min() and fwd[-1] > 100 * fwd.min()
    assert sweep["complex"][hs <= 1e-8].max() <= 4 * EPS * math.exp(0.7)  # no round-off arm
    assert sweep["richardson"].min() < cen.min()
    assert set(error_sweep(cmath.exp, 0.0, 1.0, hs=[1e-3], methods=("backward",))) == {
        "h",
        "backward",
    }


@pytest.mark.parametrize("method", ["Central", "secant", "", "exact"])
def test_unknown_method(method: str) -> None:
    with pytest.raises(ConfigError, match="forward, backward, central, complex, richardson"):
        gradient(lambda P: P[:, 0], [[1.0]], method=method)
    with pytest.raises(ConfigError, match=repr(method)):
        derivative(math.sin, 1.0, method=method)
    with pytest.raises(ConfigError):
        default_step(method, 1.0)
    with pytest.raises(ConfigError):
        error_sweep(math.sin, 1.0, 1.0, methods=(method,))


@pytest.mark.parametrize("h", [0.0, -1e-3, math.nan, math.inf, "big", [1e-3, -1e-3]])
def test_bad_steps(h: object) -> None:
    with pytest.raises(ConfigError, match="step h"):
        gradient(lambda P: P[:, 0] + P[:, 1], [[1.0, 2.0]], h=h)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        error_sweep(math.sin, 1.0, 1.0, hs=[h] if not isinstance(h, list) else h)


def test_step_of_the_wrong_shape() -> None:
    with pytest.raises(ConfigError, match="does not fit"):
        gradient(lambda P: P[:, 0], [[1.0, 2.0]], h=[1e-3, 1e-3, 1e-3])


@pytest.mark.parametrize("X", [[], [[]], np.zeros((2, 2, 2)), [["a"]]])
def test_bad_points(X: object) -> None:
    with pytest.raises(EvaluationError):
        gradient(lambda P: P[:, 0], X)


def test_f_returning_the_wrong_shape() -> None:
    with pytest.raises(EvaluationError, match="shape"):
        gradient(lambda P: P, [[1.0, 2.0]])
    with pytest.raises(EvaluationError, match="must return a number"):
        derivative(lambda t: "one", 1.0)  # type: ignore[arg-type,return-value]


def test_complex_step_needs_complex_input() -> None:
    with pytest.raises(EvaluationError, match="'complex'"):
        derivative(math.sin, 1.0, method="complex")
    with pytest.raises(EvaluationError, match="'complex'"):
        gradient(lambda P: np.asarray(P, dtype=float)[:, 0] * 1.0, [[1.0]], method="complex")
    with pytest.raises(EvaluationError, match="'complex'"):
        gradient(lambda P: np.abs(P[:, 0]), [[1.0]], method="complex")


def test_complex_values_for_real_input_are_refused() -> None:
    with pytest.raises(EvaluationError, match="complex values for real input"):
        gradient(lambda P: P[:, 0] + 1j, [[1.0]])


def test_nan_and_inf_do_not_warn() -> None:
    G = gradient(lambda P: np.log(P[:, 0]), [[0.0], [-1.0]], method="central")
    assert np.isnan(G).all()


# -- Richardson stays where f is defined and smooth, or says it cannot (issue #10, section 5) ----


def _sympy_derivative(text: str, x: float) -> float:
    import sympy as sp
    from sympy_oracle import symbol, to_sympy

    expr = to_sympy(parse(text))
    return float(sp.diff(expr, symbol("x")).subs(symbol("x"), sp.Rational(x)).evalf(30))


NEAR_SINGULAR = [
    ("sin(x)/x^2", 0.001),  # the default step 5.8e-3 crosses the pole at 0: gave +1.23e6
    ("log(x)", 0.001),  # gave NaN
    ("1/x", 1e-4),
    ("sqrt(x)", 1e-4),
    ("1/(x - 2)", 2.001),
    ("tan(x)", 1.5697963),  # pi/2 - 0.001
    ("x^-3", 0.002),
    ("sin(300x)", 0.2),  # not singular, but the default step spans a whole period
]


@pytest.mark.parametrize(("text", "x"), NEAR_SINGULAR)
def test_richardson_near_a_singularity_is_right_or_nan(text: str, x: float) -> None:
    f = to_function(parse(text), ("x",))
    exact = _sympy_derivative(text, x)
    est = gradient(f, [[x]], method="richardson")[0, 0]
    assert est == pytest.approx(exact, rel=1e-6)
    G, h = richardson(f, [[x]])
    assert G[0, 0] == est and h[0, 0] < default_step("richardson", x)
    # a fixed step is honoured as given (the error-vs-h picture needs that)
    fixed = gradient(f, [[x]], method="richardson", h=1e-2)[0, 0]
    assert fixed != est


def test_richardson_without_a_reliable_step_is_nan_not_a_wrong_number() -> None:
    f = to_function(parse("sqrt(x)"), ("x",))
    assert math.isnan(gradient(f, [[1e-12]], method="richardson")[0, 0])
    # rows are independent: a good row next to a bad one keeps its estimate
    G = gradient(f, [[1e-12], [4.0]], method="richardson")
    assert math.isnan(G[0, 0]) and G[1, 0] == pytest.approx(0.25, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-6, 1e-2), st.sampled_from(["log(x)", "1/x", "sin(x)/x^2", "sqrt(x)"]))
def test_richardson_is_never_silently_wrong_near_zero(x: float, text: str) -> None:
    f = to_function(parse(text), ("x",))
    est = gradient(f, [[x]], method="richardson")[0, 0]
    exact = _sympy_derivative(text, x)
    assert math.isnan(est) or est == pytest.approx(exact, rel=1e-5)


@pytest.mark.parametrize("x", ["three", None, [1.0, 2.0]])
def test_derivative_refuses_a_point_that_is_not_a_number(x: object) -> None:
    with pytest.raises(EvaluationError, match="x must be a real number"):
        derivative(math.sin, x)  # type: ignore[arg-type]
