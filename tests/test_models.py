"""Models: hand-written gradients against finite differences, stable losses, the layout."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descentlab import models
from descentlab.data import moons
from descentlab.derivatives import check_grad
from descentlab.derivatives.finite import gradient
from descentlab.errors import ConfigError

RNG_SEEDS = range(4)


def fd_relative_error(model, P, X, y, method="richardson"):
    """Largest |exact - finite differences| over the largest |partial|, per row."""
    exact = model.loss_and_grad(P, X, y)[1]
    estimate = gradient(lambda Q: model.loss(Q, X, y), P, method=method)
    return np.max(np.abs(exact - estimate) / np.abs(estimate).max(axis=1, keepdims=True))


@pytest.mark.parametrize("seed", RNG_SEEDS)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_mlp_tanh_gradient_equals_finite_differences(seed, l2):
    data = moons(40, seed=seed).standardized()
    model = models.mlp(2, hidden=6, activation="tanh", l2=l2)
    P = np.random.default_rng(seed).standard_normal((3, model.n_params))
    assert fd_relative_error(model, P, data.X, data.y) < 1e-7


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_mlp_relu_gradient_equals_finite_differences_away_from_the_kinks(seed):
    data = moons(40, seed=seed).standardized()
    model = models.mlp(2, hidden=5, activation="relu", l2=0.1)
    P = np.random.default_rng(seed).standard_normal((2, model.n_params))
    d, h = 2, 5
    for row in P:  # ReLU has a kink at 0: keep every hidden input clear of it
        Z1 = data.X @ row[: d * h].reshape(d, h) + row[d * h : d * h + h]
        assert np.abs(Z1).min() > 1e-4, "pick another seed: a hidden input is at the kink"
    # Central differences (steps ~1e-5) stay on one side of every kink; Richardson's do not.
    assert fd_relative_error(model, P, data.X, data.y, method="central") < 1e-7


@pytest.mark.parametrize(("name", "l2"), [("linear", 0.0), ("linear", 0.5), ("logistic", 0.2)])
def test_linear_models_pass_the_librarys_own_gradient_check(name, l2):
    data = moons(30, seed=1)
    model = models.MODELS[name](2, l2=l2)
    P = np.random.default_rng(2).standard_normal((4, model.n_params))
    scale = np.abs(model.loss_and_grad(P, data.X, data.y)[1]).max()
    err = check_grad(
        lambda Q: model.loss(Q, data.X, data.y),
        lambda Q: model.loss_and_grad(Q, data.X, data.y)[1],
        P,
    )
    assert err < 1e-8 * max(scale, 1.0)


def test_linear_loss_and_gradient_match_the_matrix_formulas():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((20, 3)), rng.standard_normal(20)
    model = models.linear(3, l2=0.25)
    P = rng.standard_normal((2, 4))
    L, G = model.loss_and_grad(P, X, y)
    for i in range(2):
        w, b = P[i, :3], P[i, 3]
        r = X @ w + b - y
        assert L[i] == pytest.approx(r @ r / 20 + 0.125 * w @ w, rel=1e-14)
        np.testing.assert_allclose(G[i, :3], 2 * X.T @ r / 20 + 0.25 * w, rtol=1e-13)
        assert G[i, 3] == pytest.approx(2 * r.sum() / 20, rel=1e-13)


@pytest.mark.parametrize("z", [-800.0, -40.0, -1.0, 0.0, 3.0, 40.0, 700.0, 1e4])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_cross_entropy_is_exact_at_any_margin(z, y):
    # One sample, x = 0, so the output is the bias z. Reference: mpmath.
    model = models.logistic(1)
    L, G = model.loss_and_grad(np.array([[0.0, z]]), np.zeros((1, 1)), np.array([y]))
    with mpmath.workdps(5000):  # 1 - p keeps its digits up to z = 1e4
        zz = mpmath.mpf(z)
        p = 1 / (1 + mpmath.exp(-zz))
        want_loss = -mpmath.log(p) if y == 1 else -mpmath.log(1 - p)
        want_grad = p - y
    assert L[0] == pytest.approx(float(want_loss), rel=1e-15, abs=1e-300)
    assert G[0, 1] == pytest.approx(float(want_grad), rel=1e-15, abs=1e-300)
    assert np.isfinite(L).all() and np.isfinite(G).all()


@settings(max_examples=25)
@given(st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_each_row_is_computed_on_its_own(k, seed):
    rng = np.random.default_rng(seed)
    data = moons(25, seed=seed % 100)
    model = models.mlp(2, hidden=3)
    P = rng.standard_normal((k, model.n_params))
    L, G = model.loss_and_grad(P, data.X, data.y)
    for i in range(k):
        Li, Gi = model.loss_and_grad(P[i : i + 1], data.X, data.y)
        assert np.array_equal(Li, L[i : i + 1]) and np.array_equal(Gi, G[i : i + 1])


def test_output_is_prediction_or_probability():
    X = np.array([[0.0], [2.0]])
    P = np.array([[1.5, -1.0]])
    assert models.linear(1).output(P, X).tolist() == [[-1.0, 2.0]]
    prob = models.logistic(1).output(P, X)
    np.testing.assert_allclose(prob, 1 / (1 + np.exp(-np.array([[-1.0, 2.0]]))), rtol=1e-15)


def test_parameters_unpack_by_name_and_layout():
    model = models.mlp(3, hidden=4)
    assert model.n_params == 3 * 4 + 4 + 4 + 1
    parts = model.unpack(np.arange(model.n_params, dtype=float))
    assert parts["W1"].shape == (3, 4) and parts["b1"].tolist() == [12, 13, 14, 15]
    assert parts["w2"].tolist() == [16, 17, 18, 19] and parts["b2"] == 20.0
    assert model.penalized.sum() == 12 + 4
    lin = models.linear(2).unpack([1.0, 2.0, 3.0])
    assert lin["w"].tolist() == [1.0, 2.0] and lin["b"] == 3.0


def test_init_is_seeded():
    model = models.mlp(2, hidden=8)
    assert np.array_equal(model.init(1), model.init(1))
    assert not np.array_equal(model.init(1), model.init(2))
    assert model.unpack(model.init(0))["b2"] == 0.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: models.linear(0), "number of features"),
        (lambda: models.linear(True), "number of features"),
        (lambda: models.logistic(2, l2=-1.0), "l2 must be"),
        (lambda: models.logistic(2, l2=float("inf")), "l2 must be"),
        (lambda: models.mlp(2, hidden=0), "hidden must be"),
        (lambda: models.mlp(2, hidden=2.5), "hidden must be"),
        (lambda: models.mlp(2, activation="sigmoid"), "unknown activation 'sigmoid'"),
        (lambda: models.linear(2).loss(np.zeros((1, 2)), np.zeros((3, 2)), np.zeros(3)), "3 par"),
        (lambda: models.linear(2).loss(np.zeros((1, 3)), np.zeros((3, 1)), np.zeros(3)), "X must"),
        (lambda: models.linear(2).loss(np.zeros((1, 3)), np.zeros((3, 2)), np.zeros(4)), "y must"),
        (lambda: models.linear(2).unpack([1.0]), "shape"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ConfigError, match=match):
        call()
