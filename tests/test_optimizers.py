"""Optimizers against independent references: torch.optim's documented rules and real torch.

The references here are plain-Python scalar loops written from torch.optim's documentation, and a
fixture of iterates produced by real torch 2.13.0 (tools/make_torch_reference.py); this file never
imports torch.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hand_objectives import Quartic, Rosenbrock, Sphere
from hypothesis import given, settings
from hypothesis import strategies as st

from descentlab.descent import minimize
from descentlab.errors import ConfigError
from descentlab.optimizers import (
    OPTIMIZERS,
    AdamState,
    LineSearchState,
    Optimizer,
    adagrad,
    adam,
    gd,
    linesearch,
    momentum,
    nesterov,
    rmsprop,
)

DATA = Path(__file__).parent / "data"


# --- objectives with hand-written gradients (same operation order as the torch tool) ---------


def rosenbrock_value(x: float, y: float) -> float:
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def rosenbrock_grad(x: float, y: float) -> tuple[float, float]:
    r = y - x * x
    return (-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r)


def quartic_grad(x: float) -> tuple[float]:
    return (12.0 * x * x * x + 12.0 * x * x - 24.0 * x,)


FUNCTIONS = {"rosenbrock": (Rosenbrock(), rosenbrock_grad), "quartic": (Quartic(), quartic_grad)}


# --- plain-Python references, one step per call, from torch.optim's documented algorithms ----


def reference_path(name: str, hyper: dict, grad, x0: list[float], steps: int) -> np.ndarray:
    """Iterate torch.optim's documented rule coordinate by coordinate with Python floats."""
    x = list(x0)
    n = len(x)
    buf = [0.0] * n  # momentum buffer / adagrad sum / rmsprop average / adam m
    sq = [0.0] * n  # adam v
    path = [list(x)]
    lr = hyper["lr"]
    for t in range(1, steps + 1):
        g = grad(*x)
        for i in range(n):
            if name == "gd":
                x[i] = x[i] - lr * g[i]
            elif name in ("momentum", "nesterov"):
                mu = hyper.get("momentum", 0.9)
                buf[i] = g[i] if t == 1 else mu * buf[i] + g[i]  # torch: buf = clone(g) at t=1
                d = g[i] + mu * buf[i] if name == "nesterov" else buf[i]
                x[i] = x[i] - lr * d
            elif name == "adagrad":
                eps = hyper.get("eps", 1e-10)
                buf[i] = buf[i] + g[i] * g[i]
                x[i] = x[i] - lr * g[i] / (math.sqrt(buf[i]) + eps)
            elif name == "rmsprop":
                alpha, eps = hyper.get("alpha", 0.99), hyper.get("eps", 1e-8)
                buf[i] = alpha * buf[i] + (1 - alpha) * g[i] * g[i]
                x[i] = x[i] - lr * g[i] / (math.sqrt(buf[i]) + eps)
            elif name == "adam":
                b1, b2 = hyper.get("betas", (0.9, 0.999))
                eps = hyper.get("eps", 1e-8)
                buf[i] = b1 * buf[i] + (1 - b1) * g[i]
                sq[i] = b2 * sq[i] + (1 - b2) * g[i] * g[i]
                mhat = buf[i] / (1 - b1**t)
                vhat = sq[i] / (1 - b2**t)
                x[i] = x[i] - lr * mhat / (math.sqrt(vhat) + eps)
            else:  # pragma: no cover
                raise AssertionError(name)
        path.append(list(x))
    return np.array(path)


def descentlab_path(opt: Optimizer, objective, x0: list[float], steps: int) -> np.ndarray:
    result = minimize(objective, x0, opt, max_iter=steps, grad_tol=0.0, record=True)
    assert result.trajectory is not None
    assert result.nit[0] == steps
    return result.trajectory.xs[:, 0, :]


REFERENCE_CASES = [
    ("gd", {"lr": 1e-3}),
    ("momentum", {"lr": 1e-3, "momentum": 0.9}),
    ("nesterov", {"lr": 1e-3, "momentum": 0.9}),
    ("adagrad", {"lr": 0.1}),
    ("adagrad", {"lr": 0.05, "eps": 1e-6}),
    ("rmsprop", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.003, "alpha": 0.9, "eps": 1e-6}),
    ("adam", {"lr": 0.01}),
    ("adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
]


@pytest.mark.parametrize("function", ["rosenbrock", "quartic"])
@pytest.mark.parametrize(("name", "hyper"), REFERENCE_CASES)
def test_iterates_equal_documented_rule(name: str, hyper: dict, function: str) -> None:
    objective, grad = FUNCTIONS[function]
    x0 = [-1.2, 1.0] if function == "rosenbrock" else [2.5]
    ours = descentlab_path(OPTIMIZERS[name](**hyper), objective, x0, 50)
    ref = reference_path(name, hyper, grad, x0, 50)
    np.testing.assert_allclose(ours, ref, rtol=1e-14, atol=1e-300)


def test_torch_fixture_is_complete() -> None:
    doc = json.loads((DATA / "torch_reference.json").read_text())
    assert doc["dtype"] == "float64" and doc["torch_version"].startswith("2.13.0")
    names = {case["optimizer"] for case in doc["cases"]}
    # the first seven rules (torch has no backtracking gd); the others: tests/test_family.py
    assert names == {"gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}


def _torch_cases() -> list:
    doc = json.loads((DATA / "torch_reference.json").read_text())
    return [
        pytest.param(case, id=f"{case['optimizer']}-{case['function']}-{i}")
        for i, case in enumerate(doc["cases"])
    ]


@pytest.mark.parametrize("case", _torch_cases())
def test_iterates_match_real_torch(case: dict) -> None:
    hyper = dict(case["hyperparameters"])
    if "betas" in hyper:
        hyper["betas"] = tuple(hyper["betas"])
    objective, _ = FUNCTIONS[case["function"]]
    expected = np.array(case["iterates"])
    ours = descentlab_path(OPTIMIZERS[case["optimizer"]](**hyper), objective, case["x0"], 50)
    # torch fuses some operations (lerp/addcmul may use FMA): agreement is to rounding.
    np.testing.assert_allclose(ours, expected, rtol=5e-13, atol=0)


# --- properties that catch a wrong sign or a missing bias correction -------------------------


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_first_step_goes_downhill(name: str) -> None:
    opt = OPTIMIZERS[name]()
    X = np.array([[3.0, -2.0]])
    G = 2 * X  # f = |x|^2
    step, _ = opt.update(G, opt.init(X), X, value_fn=Sphere().value, objective=Sphere())
    assert np.all(np.sign(step) == -np.sign(G))


@given(
    g=st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3),
    lr=st.floats(1e-4, 1.0),
    b1=st.floats(0.0, 0.99),
    b2=st.floats(0.0, 0.9999),
)
@settings(max_examples=40, deadline=None)
def test_adam_first_step_has_length_lr(g: float, lr: float, b1: float, b2: float) -> None:
    # With bias correction mhat = g and vhat = g^2 at t = 1, so the first step is -lr sign(g).
    opt = adam(lr=lr, betas=(b1, b2), eps=1e-12)
    X = np.zeros((1, 1))
    step, state = opt.update(np.array([[g]]), opt.init(X), X)
    assert isinstance(state, AdamState) and state.t == 1
    assert step[0, 0] == pytest.approx(-math.copysign(lr, g), rel=1e-8)


@given(
    x0=st.lists(st.floats(-3, 3), min_size=1, max_size=3),
    lr=st.floats(1e-3, 0.2),
    b1=st.floats(0.0, 0.99),
    b2=st.floats(0.5, 0.9999),
)
@settings(max_examples=30, deadline=None)
def test_adam_matches_reference_for_random_settings(x0, lr, b1, b2) -> None:
    """Every Adam update equals the documented rule from the same state, for any settings.

    One step at a time from the reference's own state: a whole trajectory would compare rounding
    (the documented ``b1 m + (1 - b1) g`` against torch's ``lerp``), and with b1 near 0 an iterate
    that flips sign around 0 amplifies a last-bit difference to 1e-12 within 20 steps.
    """
    eps = 1e-8
    opt = adam(lr=lr, betas=(b1, b2), eps=eps)
    x = np.array([x0], dtype=float)
    state = opt.init(x)
    m = [0.0] * len(x0)
    v = [0.0] * len(x0)
    for t in range(1, 21):
        g = np.sinh(x)  # f = sum cosh(x_i): smooth, non-quadratic
        step, ours = opt.update(
            g, AdamState(t - 1, np.array([m]), np.array([v]), np.zeros((1, len(x0)))), x
        )
        assert ours.t == t
        # Rounding of one update, relative to its operands (lerp's g - m may cancel).
        ulps = 8 * np.finfo(float).eps
        m_tol = ulps * np.maximum(np.abs(g[0]), np.abs(m))
        v_tol = ulps * np.maximum(g[0] ** 2, np.abs(v))
        new_x = []
        for i, gi in enumerate(g[0].tolist()):
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            mhat = m[i] / (1 - b1**t)
            vhat = v[i] / (1 - b2**t)
            new_x.append(x[0, i] - lr * mhat / (math.sqrt(vhat) + eps))
        assert np.all(np.abs(ours.m[0] - m) <= m_tol)
        assert np.all(np.abs(ours.v[0] - v) <= v_tol)
        np.testing.assert_allclose((x + step)[0], new_x, rtol=1e-14, atol=1e-13 * lr)
        x = np.array([new_x])
        state = ours
    assert state.t == 20


@pytest.mark.parametrize("name", sorted(n for n, f in OPTIMIZERS.items() if f().kernel))
def test_rows_with_their_own_lr_step_as_they_would_alone(name: str) -> None:
    # A kernel takes one t and one lr for all its rows (it computes bias corrections and a
    # decayed lr once); rows with their own lr (a plateau schedule's) are run by
    # rules.rule_step in groups of equal lr, and take the same steps, bit for bit, as each
    # row run alone.
    rng = np.random.default_rng(3)
    X, G = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    lrs = np.array([0.1, 0.1, 0.2, 0.3, 0.1])
    opt = OPTIMIZERS[name]()

    def two_steps(rows: slice) -> np.ndarray:
        state = opt.init(X[rows])
        for _ in range(2):
            step, state = opt.update(G[rows], state, X[rows], lr=lrs[rows])
        return step

    together = two_steps(slice(None))
    for r in range(5):
        np.testing.assert_array_equal(together[r : r + 1], two_steps(slice(r, r + 1)))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_never_changes_the_old_state(name: str) -> None:
    opt = OPTIMIZERS[name]()
    X = np.array([[1.0, 2.0], [-0.5, 0.25]])
    value_fn = Rosenbrock().value
    f = Rosenbrock()
    state = opt.update(f.grad(X), opt.init(X), X, value_fn=value_fn, objective=f)[1]
    before = [np.copy(part) for part in state]
    opt.update(f.grad(X), state, X, value_fn=value_fn, objective=f)
    for old, part in zip(before, state, strict=True):
        np.testing.assert_array_equal(old, part)


def test_registry_and_torch_defaults() -> None:
    assert list(OPTIMIZERS) == [
        "gd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
        "linesearch",
        "adamw",
        "nadam",
        "radam",
        "adamax",
        "adadelta",
        "rprop",
        "asgd",
        "newton",
        "bfgs",
        "lbfgs",
    ]
    for name, factory in OPTIMIZERS.items():
        assert factory().name == name
    assert adam().hyperparameters == {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8}
    assert rmsprop().hyperparameters == {"lr": 0.01, "alpha": 0.99, "eps": 1e-8}
    assert adagrad().hyperparameters == {"lr": 0.01, "eps": 1e-10}
    assert momentum().hyperparameters == {"lr": 0.01, "momentum": 0.9}
    assert nesterov().hyperparameters == {"lr": 0.01, "momentum": 0.9}
    assert gd().hyperparameters == {"lr": 0.01}
    json.dumps([f().hyperparameters for f in OPTIMIZERS.values()])  # CLI JSON needs this


# --- the line search --------------------------------------------------------------------------


def test_linesearch_records_its_trials() -> None:
    # f = x^2 from 3: a = 1 lands on -3 (f = 9, no decrease), a = 0.5 lands on 0 (accepted).
    opt = linesearch()
    X = np.array([[3.0]])
    value_fn = lambda Z: Z[:, 0] ** 2  # noqa: E731
    step, state = opt.update(2 * X, opt.init(X), X, value_fn=value_fn, value=value_fn(X))
    assert isinstance(state, LineSearchState)
    assert step[0, 0] == -3.0
    np.testing.assert_array_equal(state.trial_lrs[0, :2], [1.0, 0.5])
    np.testing.assert_array_equal(state.trial_values[0, :2], [9.0, 0.0])
    assert np.isnan(state.trial_lrs[0, 2:]).all()
    assert state.n_backtracks[0] == 1 and state.nfev[0] == 2 and state.lr[0] == 0.5


def test_linesearch_rows_are_independent_and_counted() -> None:
    opt = linesearch(lr=1.0)
    X = np.array([[3.0], [0.1]])
    # f = x^2 / 8: a = 1 is accepted at once for both rows (curvature 1/4).
    value_fn = lambda Z: Z[:, 0] ** 2 / 8  # noqa: E731
    step, state = opt.update(X / 4, opt.init(X), X, value_fn=value_fn)
    np.testing.assert_array_equal(step, -X / 4)
    np.testing.assert_array_equal(state.nfev, [2, 2])  # f(x) itself plus one trial


def reference_linesearch(x: list[float], steps: int, lr=1.0, c=1e-4, shrink=0.5, max_bt=30):
    path = [list(x)]
    for _ in range(steps):
        g = rosenbrock_grad(*x)
        g2 = g[0] * g[0] + g[1] * g[1]
        f = rosenbrock_value(*x)
        a = lr
        for j in range(max_bt + 1):
            trial = [x[0] - a * g[0], x[1] - a * g[1]]
            if rosenbrock_value(*trial) <= f - c * a * g2 or j == max_bt:
                break
            a *= shrink
        x = trial
        path.append(list(x))
    return np.array(path)


def test_linesearch_matches_reference_on_rosenbrock() -> None:
    ours = descentlab_path(linesearch(), Rosenbrock(), [-1.2, 1.0], 50)
    np.testing.assert_allclose(ours, reference_linesearch([-1.2, 1.0], 50), rtol=1e-14)


def test_linesearch_needs_value_fn() -> None:
    opt = linesearch()
    X = np.ones((1, 1))
    with pytest.raises(ConfigError, match="value_fn"):
        opt.update(X, opt.init(X), X)


# --- validation: every bad setting raises ConfigError quoting the value ------------------------

BAD_SETTINGS = [
    (gd, {"lr": 0.0}, "0.0"),
    (gd, {"lr": -1.0}, "-1.0"),
    (gd, {"lr": math.inf}, "inf"),
    (gd, {"lr": math.nan}, "nan"),
    (gd, {"lr": "0.1"}, "'0.1'"),
    (gd, {"lr": True}, "True"),
    (momentum, {"lr": 0.0}, "0.0"),
    (momentum, {"momentum": -0.1}, "-0.1"),
    (momentum, {"momentum": math.inf}, "inf"),
    (nesterov, {"momentum": 0.0}, "0.0"),
    (nesterov, {"momentum": -1}, "-1"),
    (nesterov, {"lr": -2}, "-2"),
    (adagrad, {"lr": -0.1}, "-0.1"),
    (adagrad, {"eps": 0.0}, "0.0"),
    (adagrad, {"eps": -1e-10}, "-1e-10"),
    (rmsprop, {"alpha": 1.0}, "1.0"),
    (rmsprop, {"alpha": -0.1}, "-0.1"),
    (rmsprop, {"eps": math.nan}, "nan"),
    (rmsprop, {"lr": 0}, "0"),
    (adam, {"betas": (1.0, 0.999)}, "1.0"),
    (adam, {"betas": (0.9, 1.0)}, "1.0"),
    (adam, {"betas": (-0.1, 0.999)}, "-0.1"),
    (adam, {"betas": (0.9,)}, "(0.9,)"),
    (adam, {"betas": 0.9}, "0.9"),
    (adam, {"eps": 0.0}, "0.0"),
    (adam, {"lr": math.inf}, "inf"),
    (linesearch, {"c": 0.0}, "0.0"),
    (linesearch, {"c": 1.0}, "1.0"),
    (linesearch, {"shrink": 1.0}, "1.0"),
    (linesearch, {"shrink": 0.0}, "0.0"),
    (linesearch, {"max_backtracks": -1}, "-1"),
    (linesearch, {"max_backtracks": 2.5}, "2.5"),
    (linesearch, {"lr": -1.0}, "-1.0"),
]


@pytest.mark.parametrize(("factory", "kwargs", "quoted"), BAD_SETTINGS)
def test_bad_settings_raise_config_error(factory, kwargs: dict, quoted: str) -> None:
    with pytest.raises(ConfigError) as info:
        factory(**kwargs)
    message = str(info.value)
    assert quoted in message and "\n" not in message


def test_zero_momentum_is_plain_gd() -> None:
    a = descentlab_path(momentum(lr=1e-3, momentum=0.0), Rosenbrock(), [-1.2, 1.0], 20)
    b = descentlab_path(gd(lr=1e-3), Rosenbrock(), [-1.2, 1.0], 20)
    np.testing.assert_array_equal(a, b)
