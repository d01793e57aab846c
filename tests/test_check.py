"""check_grad: small for right gradients, large for wrong ones, objects accepted, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.derivatives.autodiff import grad_function
from descentlab.derivatives.check import check_grad
from descentlab.errors import ConfigError, EvaluationError
from descentlab.expr import parse
from descentlab.expr.evaluate import to_function

ROSENBROCK = parse("(1 - x)^2 + 100(y - x^2)^2")


def rosen(X: np.ndarray) -> np.ndarray:
    x, y = X[:, 0], X[:, 1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosen_grad(X: np.ndarray) -> np.ndarray:
    x, y = X[:, 0], X[:, 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=1)


def test_right_gradient_is_small_wrong_gradient_is_large() -> None:
    assert check_grad(rosen, rosen_grad, [-1.2, 1.0]) < 1e-6
    assert check_grad(rosen, lambda X: 1.01 * rosen_grad(X), [-1.2, 1.0]) > 1.0


def test_complex_step_checks_to_rounding() -> None:
    assert check_grad(rosen, rosen_grad, [-1.2, 1.0], method="complex") < 1e-12


def test_many_points_and_the_autodiff_gradient() -> None:
    X = np.random.default_rng(3).uniform(-2, 2, (20, 2))
    fn = grad_function(ROSENBROCK, ("x", "y"))
    err = check_grad(to_function(ROSENBROCK, ("x", "y")), lambda P: fn(P)[1], X)
    assert err < 1e-5 * np.abs(rosen_grad(X)).max()


class _Objective:
    def value(self, X: np.ndarray) -> np.ndarray:
        return rosen(X)

    def grad(self, X: np.ndarray) -> np.ndarray:
        return rosen_grad(X)


def test_accepts_an_object_with_value_and_grad() -> None:
    assert check_grad(_Objective(), x=[0.5, 0.5]) < 1e-6


def test_bad_input() -> None:
    with pytest.raises(ConfigError, match="needs a gradient"):
        check_grad(rosen, x=[1.0, 1.0])
    with pytest.raises(ConfigError, match="needs a point"):
        check_grad(rosen, rosen_grad)
    with pytest.raises(ConfigError, match="unknown"):
        check_grad(rosen, rosen_grad, [1.0, 1.0], method="nope")
    with pytest.raises(EvaluationError, match="grad must return shape"):
        check_grad(rosen, lambda X: X[:, 0], [1.0, 1.0])
    with pytest.raises(EvaluationError, match="shape"):
        check_grad(rosen, rosen_grad, np.zeros((1, 1, 2)))
    with pytest.raises(EvaluationError, match="real numbers"):
        check_grad(rosen, rosen_grad, ["a", "b"])
