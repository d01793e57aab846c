"""Objective: batched values and gradients from formulas, the catalogue and Python functions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from descentlab.descent import minimize
from descentlab.errors import ConfigError, EvaluationError, ParseError
from descentlab.objective import Objective, as_objective
from descentlab.optimizers import gd
from descentlab.problems import get


def rosen(p: np.ndarray) -> float:
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def rosen_grad(p: np.ndarray) -> np.ndarray:
    return np.array([-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)])


def rosen_batched(X: np.ndarray) -> np.ndarray:
    return (1 - X[:, 0]) ** 2 + 100 * (X[:, 1] - X[:, 0] ** 2) ** 2


points = arrays(np.float64, (5, 2), elements=st.floats(-3, 3, allow_nan=False))


# -- from a formula -----------------------------------------------------------------------------


def test_from_formula_attributes() -> None:
    obj = Objective.from_formula("  sin(x) + y^2 ", domain=(-2, 2))
    assert obj.variables == ("x", "y") and obj.dim == 2
    assert obj.name == obj.formula == "sin(x) + y^2"
    assert obj.tree is not None and obj.problem is None
    assert obj.domain == ((-2.0, 2.0), (-2.0, 2.0))
    assert obj.grad_method == "exact"
    assert "sin" in obj.latex


@settings(max_examples=30, deadline=None)
@given(points)
def test_formula_matches_hand_written_rosenbrock(X: np.ndarray) -> None:
    obj = Objective.from_formula("(1 - x)^2 + 100(y - x^2)^2")
    f, G = obj.value_and_grad(X)
    np.testing.assert_allclose(f, rosen_batched(X), rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(G, [rosen_grad(x) for x in X], rtol=1e-13, atol=1e-10)
    np.testing.assert_array_equal(obj.value(X), f)
    np.testing.assert_array_equal(obj.grad(X), G)


def test_single_point_shapes() -> None:
    for obj in (
        Objective.from_formula("x^2 + 3y"),
        Objective.from_function(lambda p: p[0] ** 2 + 3 * p[1], 2),
        Objective.from_function(lambda X: X[:, 0] ** 2 + 3 * X[:, 1], 2, vectorized=True),
    ):
        f, G = obj.value_and_grad([1.0, 2.0])
        assert f.shape == () and G.shape == (2,)
        assert obj.value([1.0, 2.0]).shape == ()
        assert obj.grad([1.0, 2.0]).shape == (2,)
        assert float(f) == pytest.approx(7.0)
        np.testing.assert_allclose(G, [2.0, 3.0], rtol=1e-6)
        f, G = obj.value_and_grad(np.zeros((4, 2)))
        assert f.shape == (4,) and G.shape == (4, 2)


def test_explicit_variable_order_and_extra_variables() -> None:
    obj = Objective.from_formula("x + 2y", variables=["y", "x", "z"])
    assert obj.dim == 3
    np.testing.assert_array_equal(obj.grad([0.0, 0.0, 0.0]), [2.0, 1.0, 0.0])


def test_counters_count_points_and_reset() -> None:
    obj = Objective.from_formula("x^2")
    obj.value(np.zeros((3, 1)))
    obj.grad(np.zeros((2, 1)))
    obj.value_and_grad([0.5])
    assert (obj.nfev, obj.ngev) == (4, 3)
    obj.reset_counts()
    assert (obj.nfev, obj.ngev) == (0, 0)


def test_value_and_grad_does_not_copy_float64_input() -> None:
    obj = Objective.from_formula("x^2 + y^2")
    X = np.ones((3, 2))
    f, G = obj.value_and_grad(X)
    assert not np.shares_memory(f, X) and not np.shares_memory(G, X)
    X_int = np.ones((3, 2), dtype=int)
    np.testing.assert_array_equal(obj.value(X_int), [2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    ("text", "variables", "error"),
    [
        ("x +", None, ParseError),
        ("x + y", ["x"], ParseError),
        ("x + y", ["x", "x", "y"], ParseError),
        ("3 + 4", None, ConfigError),
        (42, None, ConfigError),
    ],
)
def test_from_formula_rejects_bad_input(text: object, variables: object, error: type) -> None:
    with pytest.raises(error):
        Objective.from_formula(text, variables=variables)  # type: ignore[arg-type]


def test_from_formula_rejects_bad_domain() -> None:
    with pytest.raises(ConfigError, match="lo < hi"):
        Objective.from_formula("x^2", domain=[(1, 0)])


@pytest.mark.parametrize(
    ("X", "match"),
    [
        ([1.0, 2.0, 3.0], "shape"),
        (np.zeros((4, 3)), "shape"),
        (np.zeros((2, 2, 2)), "shape"),
        (5.0, "shape"),
        (["a", "b"], "real numbers"),
        ({"x": 1.0}, "real numbers"),
    ],
)
def test_points_of_the_wrong_shape_or_kind_raise(X: object, match: str) -> None:
    obj = Objective.from_formula("x + y")
    for method in (obj.value, obj.grad, obj.value_and_grad, obj.check_finite_at):
        with pytest.raises(EvaluationError, match=match):
            method(X)  # type: ignore[arg-type]


# -- from the catalogue ---------------------------------------------------------------------------


def test_from_problem_by_name_and_object() -> None:
    a = Objective.from_problem("rosenbrock")
    b = Objective.from_problem(get("rosenbrock"))
    assert a.problem is b.problem is get("rosenbrock")
    assert a.domain == get("rosenbrock").domain
    assert a.latex == get("rosenbrock").latex
    assert float(a.value([-1.2, 1.0])) == pytest.approx(24.2)


def test_from_problem_nd() -> None:
    obj = Objective.from_problem("rosenbrock", dim=5)
    assert obj.dim == 5 and obj.problem is not None and obj.problem.dim == 5
    assert float(obj.value(np.ones(5))) == 0.0
    assert Objective.from_problem("rosenbrock", dim=2).variables == ("x", "y")


@pytest.mark.parametrize(
    ("target", "dim", "match"),
    [("nope", None, "unknown function"), ("beale", 3, "no n-dimensional"), (3, None, "Problem")],
)
def test_from_problem_rejects(target: object, dim: int | None, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Objective.from_problem(target, dim=dim)  # type: ignore[arg-type]


# -- from a Python function -----------------------------------------------------------------------


def test_forward_difference_is_the_notebooks_definition() -> None:
    obj = Objective.from_function(rosen, 2, h=1e-5)
    x = np.array([-1.2, 1.0])
    expected = [
        (rosen(x + 1e-5 * e) - rosen(x)) / ((x + 1e-5 * e) - x)[i] for i, e in enumerate(np.eye(2))
    ]
    np.testing.assert_allclose(obj.grad(x), expected, rtol=1e-12)
    assert obj.grad_method == "forward"


@pytest.mark.parametrize(
    ("method", "rtol"), [("forward", 1e-6), ("central", 1e-9), ("complex", 1e-14)]
)
def test_finite_difference_methods_approach_the_exact_gradient(method: str, rtol: float) -> None:
    obj = Objective.from_function(rosen_batched, 2, vectorized=True, fd_method=method)
    X = np.array([[-1.2, 1.0], [0.5, 0.3], [2.0, -1.0]])
    np.testing.assert_allclose(obj.grad(X), [rosen_grad(x) for x in X], rtol=rtol)


def test_user_gradient_is_used() -> None:
    obj = Objective.from_function(rosen, 2, grad=rosen_grad, name="rb")
    assert obj.grad_method == "user" and obj.name == "rb"
    np.testing.assert_array_equal(obj.grad([[-1.2, 1.0]]), [rosen_grad(np.array([-1.2, 1.0]))])
    vec = Objective.from_function(
        rosen_batched, 2, vectorized=True, grad=lambda X: np.stack([rosen_grad(x) for x in X])
    )
    np.testing.assert_array_equal(vec.grad([[-1.2, 1.0]]), [rosen_grad(np.array([-1.2, 1.0]))])


def test_function_defaults() -> None:
    obj = Objective.from_function(lambda p: p[0] ** 2 + p[1] ** 2 + p[2] ** 2, 3)
    assert obj.name == "f" and obj.variables == ("x1", "x2", "x3")
    assert obj.latex == "f(x_{1}, x_{2}, x_{3})"
    assert obj.formula is None and obj.tree is None
    assert Objective.from_function(rosen, 2).name == "rosen"


def test_math_domain_errors_become_nan() -> None:
    obj = Objective.from_function(lambda p: math.log(p[0]), 1)
    f = obj.value([[-1.0], [1.0]])
    assert math.isnan(f[0]) and f[1] == 0.0
    with pytest.raises(EvaluationError, match=r"not defined at \(-1\): value is nan"):
        obj.check_finite_at([-1.0])


def test_other_exceptions_in_user_code_propagate() -> None:
    def broken(p: np.ndarray) -> float:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        Objective.from_function(broken, 1).value([1.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"f": 3, "dim": 1}, "callable"),
        ({"f": rosen, "dim": 0}, "dim"),
        ({"f": rosen, "dim": 2.0}, "dim"),
        ({"f": rosen, "dim": True}, "dim"),
        ({"f": rosen, "dim": 2, "grad": "g"}, "grad"),
        ({"f": rosen, "dim": 2, "fd_method": "sideways"}, "sideways"),
        ({"f": rosen, "dim": 2, "h": 0.0}, "h must"),
        ({"f": rosen, "dim": 2, "h": -1e-3}, "h must"),
        ({"f": rosen, "dim": 2, "h": math.inf}, "h must"),
        ({"f": rosen, "dim": 2, "h": "1e-3"}, "h must"),
        ({"f": rosen, "dim": 2, "domain": [(0, 1)]}, "1 intervals for 2"),
    ],
)
def test_from_function_rejects_bad_settings(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Objective.from_function(**kwargs)


@pytest.mark.parametrize(
    ("f", "vectorized", "match"),
    [
        (lambda p: [1.0, 2.0], False, "one real number; it returned list"),
        (lambda p: "one", False, "one real number; it returned str 'one'"),
        (lambda p: "1", False, "one real number; it returned str '1'"),  # was 1.0, silently
        (lambda p: None, False, "it returned None"),  # was NaN, silently
        (lambda p: 10**400, False, "an integer of 401 digits"),  # was a raw OverflowError
        (lambda p: np.array([p[0]]), False, r"shape \(1,\) and dtype float64"),
        (lambda p: np.int64(p[0] ** 2), False, "NumPy int64 scalar"),  # FD gradient was 0
        (lambda p: np.True_, False, "NumPy bool scalar"),
        (lambda p: True, False, "bool True"),
        (lambda p: 1j + p[0], False, "complex values for real input"),
        (lambda X: X, True, r"shape \(3,\); it returned an array of shape \(3, 2\)"),
        (lambda X: X[:, :1], True, r"shape \(3, 1\)"),  # (k, 1) was an IndexError in the loop
        (lambda X: np.ones(1), True, r"shape \(1,\)"),
        (lambda X: (X[:, 0] ** 2).astype(int), True, "dtype int64"),
        (lambda X: None, True, "it returned None"),
    ],
)
def test_functions_returning_the_wrong_thing_raise(f, vectorized: bool, match: str) -> None:
    obj = Objective.from_function(f, 2, vectorized=vectorized, name="myfun")
    with pytest.raises(ConfigError, match=match) as info:
        obj.value(np.full((3, 2), 0.5))
    assert str(info.value).startswith("myfun")  # the error names the function
    with pytest.raises(ConfigError, match=match):  # and the loop stops with it, not a status
        minimize(obj, np.full((3, 2), 0.5), gd(lr=0.1), max_iter=2)


def _my_grad(p):
    return np.array([[2 * p[0]], [2 * p[1]]])


@pytest.mark.parametrize(
    ("grad", "vectorized", "match"),
    [
        (lambda p: [1.0, 2.0, 3.0], False, r"the gradient of rosen.*list \[1.0, 2.0, 3.0\]"),
        (lambda p: "no", False, "it returned str 'no'"),
        (_my_grad, False, r"_my_grad \(the gradient of rosen\).*shape \(2, 1\)"),
        (lambda p: None, False, "it returned None"),
        (lambda p: [10**400, 1.0], False, "real numbers of shape \\(2,\\)"),
        (lambda p: np.array([2, 3]), False, "dtype int64"),
        (lambda X: 2 * X[:, :1], True, r"vectorized, must return real numbers of shape \(3, 2\)"),
        (lambda X: 2 * X[:, 0], True, r"it returned an array of shape \(3,\)"),
    ],
)
def test_gradients_returning_the_wrong_thing_raise(grad, vectorized: bool, match: str) -> None:
    f = (lambda X: np.sum(X**2, axis=1)) if vectorized else rosen
    obj = Objective.from_function(f, 2, grad=grad, vectorized=vectorized)
    with pytest.raises(ConfigError, match=match):
        obj.grad(np.full((3, 2), 0.5))
    with pytest.raises(ConfigError, match=match):
        minimize(obj, np.full((3, 2), 0.5), gd(lr=0.1), max_iter=2)


def test_right_outputs_of_every_accepted_kind() -> None:
    for f in (lambda p: 3, lambda p: 2.5, lambda p: np.float32(2.5), lambda p: np.array(2.5),
              lambda p: complex(2.5, 0)):  # fmt: skip
        assert Objective.from_function(f, 1).value([[1.0]]).tolist() == [float(f([1.0]).real)]
    obj = Objective.from_function(lambda p: p[0] ** 2, 1, grad=lambda p: [2 * p[0]])
    assert obj.grad([[3.0]]).tolist() == [[6.0]]


# -- check_finite_at ------------------------------------------------------------------------------


def test_check_finite_at_reports_the_first_bad_point() -> None:
    obj = Objective.from_formula("log(x) + y")
    obj.check_finite_at([[1.0, 0.0], [2.0, 5.0]])
    with pytest.raises(EvaluationError, match=r"f is not defined at \(-1, 2\.5\): value is nan"):
        obj.check_finite_at([[1.0, 0.0], [-1.0, 2.5]])


def test_check_finite_at_gradient() -> None:
    obj = Objective.from_formula("sqrt(x)")
    with pytest.raises(EvaluationError, match=r"gradient of f is not defined at \(0\)"):
        obj.check_finite_at([0.0])
    obj.check_finite_at([0.0], grad=False)


# -- as_objective ---------------------------------------------------------------------------------


def test_as_objective_dispatch() -> None:
    obj = Objective.from_formula("x^2")
    assert as_objective(obj) is obj
    assert as_objective("six-hump-camel").problem is get("six-hump-camel")
    assert as_objective("Six_Hump_Camel").problem is get("six-hump-camel")
    assert as_objective(get("beale")).problem is get("beale")
    assert as_objective("sphere", dim=4).dim == 4
    assert as_objective("x - y").dim == 2  # a formula with a hyphen, not a name
    assert as_objective("b + a", variables=["b", "a"]).variables == ("b", "a")
    assert as_objective("x^2", domain=(-1, 1)).domain == ((-1.0, 1.0),)
    assert as_objective(rosen, dim=2).grad_method == "forward"


@pytest.mark.parametrize(
    ("target", "kwargs", "match"),
    [
        ("rosenbrok", {}, "did you mean rosenbrock"),
        ("six-hump-camle", {}, "did you mean six-hump-camel"),
        (rosen, {}, "dim"),
        (3.5, {}, "expected an Objective"),
        (None, {}, "expected an Objective"),
        ("x^2 + y", {"dim": 3}, "2 variables"),
    ],
)
def test_as_objective_rejects(target: object, kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        as_objective(target, **kwargs)  # type: ignore[arg-type]


def test_as_objective_objective_dim_mismatch() -> None:
    with pytest.raises(ConfigError, match="dim=3"):
        as_objective(Objective.from_formula("x"), dim=3)


def test_repr() -> None:
    assert repr(Objective.from_problem("booth")) == (
        "Objective('booth', dim=2, variables=('x', 'y'), grad='exact')"
    )
