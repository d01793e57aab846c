"""fit(): least squares, scipy's logistic minimum, minibatch reproducibility, divergence, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize

import descentlab as dl
from descentlab import data as dsets
from descentlab.descent import minimize
from descentlab.errors import ConfigError
from descentlab.models import linear, logistic
from descentlab.optimizers import OPTIMIZERS
from descentlab.result import Status
from descentlab.secondorder import SECOND_ORDER
from descentlab.training import fit


def lstsq(ds):
    A = np.column_stack([ds.X, np.ones(ds.rows)])
    return np.linalg.lstsq(A, ds.y, rcond=None)[0]


@pytest.mark.parametrize("name", ["engel", "line"])
def test_full_batch_gd_reaches_the_least_squares_solution(name):
    r = fit("linear", name, dl.gd(lr=0.2), epochs=2000, seeds=(0, 1, 2), grad_tol=0)
    want = lstsq(r.data)
    for row in r.params:
        assert np.max(np.abs(row - want)) <= 1e-8 * np.max(np.abs(want))


def test_least_squares_with_several_features_and_a_csv(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((80, 3)) * [1.0, 10.0, 0.1]
    y = X @ [1.0, -0.2, 5.0] + 2.0 + 0.3 * rng.standard_normal(80)
    path = tmp_path / "three.csv"
    path.write_text(
        "a,b,c,y\n" + "".join(f"{r[0]},{r[1]},{r[2]},{t}\n" for r, t in zip(X, y, strict=True))
    )
    r = fit("linear", path, dl.momentum(lr=0.05, momentum=0.9), epochs=3000, grad_tol=1e-12)
    assert Status(int(r.status[0])) is Status.CONVERGED_GRAD
    want = lstsq(r.data)
    assert np.max(np.abs(r.params[0] - want)) <= 1e-8 * np.max(np.abs(want))


@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_logistic_regression_reaches_scipys_minimum_of_the_same_loss(l2):
    r = fit("logistic", "iris", dl.gd(lr=3.0), epochs=100_000, grad_tol=1e-11, l2=l2)
    assert Status(int(r.status[0])).converged
    X, y = r.data.X, r.data.y

    def loss(p):  # the textbook form, written independently of descentlab
        z = X @ p[:2] + p[2]
        prob = 1 / (1 + np.exp(-z))
        return -np.mean(y * np.log(prob) + (1 - y) * np.log(1 - prob)) + l2 / 2 * p[:2] @ p[:2]

    ref = scipy.optimize.minimize(loss, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    assert np.max(np.abs(r.params[0] - ref.x)) <= 1e-6 * np.max(np.abs(ref.x))
    assert r.loss[0] == pytest.approx(ref.fun, rel=1e-12)


def test_full_batch_is_minimize_on_the_loss_as_a_function_of_the_parameters():
    ds = dsets.load("engel").standardized()
    model = linear(1)

    class Loss:
        dim = 2

        def value(self, P):
            return model.loss(P, ds.X, ds.y)

        def grad(self, P):
            return model.loss_and_grad(P, ds.X, ds.y)[1]

        def value_and_grad(self, P):
            return model.loss_and_grad(P, ds.X, ds.y)

    P0 = model.init(4)
    opt = dl.adam(lr=5.0)
    r = fit(model, ds, opt, epochs=40, standardize=False, start=P0, grad_tol=0)
    m = minimize(Loss(), P0, opt, max_iter=40, grad_tol=0, record=True)
    assert np.array_equal(r.path[:, 0], m.trajectory.xs[:, 0])
    assert np.array_equal(r.history.loss[:, 0], m.trajectory.fs[:, 0])


def test_minibatch_runs_are_reproducible_from_the_seed():
    kwargs = {"epochs": 5, "batch_size": 16, "hidden": 4}
    a = fit("mlp", "moons", dl.adam(lr=0.01), seeds=(3, 4), **kwargs)
    b = fit("mlp", "moons", dl.adam(lr=0.01), seeds=(3, 4), **kwargs)
    c = fit("mlp", "moons", dl.adam(lr=0.01), seeds=(3, 5), **kwargs)
    assert np.array_equal(a.path, b.path) and np.array_equal(a.history.loss, b.history.loss)
    assert np.array_equal(a.path[:, 0], c.path[:, 0]) and not np.allclose(a.params[1], c.params[1])
    # Same start, other shuffles: the minibatch paths part after the first step.
    d = fit("mlp", "moons", dl.adam(lr=0.01), seeds=(3, 5), start=a.path[0, 0], **kwargs)
    assert np.array_equal(d.path[0, 0], d.path[0, 1]) and not np.array_equal(
        d.path[2, 0], d.path[2, 1]
    )


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if n not in SECOND_ORDER])
@pytest.mark.parametrize("rows", [None, "all", "more"])
def test_batch_size_of_all_rows_equals_full_batch_bit_for_bit(name, rows):
    ds = dsets.load("iris")
    size = {None: None, "all": ds.rows, "more": ds.rows + 7}[rows]
    opt = OPTIMIZERS[name](lr=0.5)
    full = fit("logistic", ds, opt, epochs=30, seeds=(0, 1), grad_tol=0)
    mini = fit("logistic", ds, opt, epochs=30, seeds=(0, 1), grad_tol=0, batch_size=size)
    assert np.array_equal(full.path, mini.path)
    assert np.array_equal(full.history.loss, mini.history.loss)
    assert np.array_equal(full.params, mini.params) and mini.batch_size == ds.rows


def test_one_epoch_of_single_sample_sgd_equals_a_hand_written_loop():
    ds = dsets.load("engel").standardized()
    lr, seed = 0.01, 11
    r = fit("linear", ds, dl.gd(lr=lr), epochs=1, batch_size=1, seeds=seed, standardize=False,
            grad_tol=0)  # fmt: skip
    w, b = (float(v) for v in linear(1).init(seed))
    assert np.array_equal(r.path[0, 0], [w, b])
    order = np.random.default_rng(seed).permutation(ds.rows)
    for step, i in enumerate(order, start=1):
        x, t = float(ds.X[i, 0]), float(ds.y[i])
        residual = w * x + b - t  # d/dw (w x + b - t)^2 = 2 residual x
        w, b = w - lr * (2 * residual * x), b - lr * (2 * residual)
        assert r.path[step, 0].tolist() == pytest.approx([w, b], rel=1e-13), step
    assert len(r.path) == ds.rows + 1 and r.steps_per_epoch == ds.rows


def test_several_seeds_as_rows_equal_separate_runs_bit_for_bit():
    kwargs = {"epochs": 4, "batch_size": 10}
    for opt in (dl.rmsprop(lr=0.01), dl.linesearch(lr=1.0)):
        together = fit("linear", "engel", opt, seeds=(1, 2, 3), **kwargs)
        for i, seed in enumerate((1, 2, 3)):
            alone = fit("linear", "engel", opt, seeds=seed, **kwargs)
            assert np.array_equal(together.path[:, i], alone.path[:, 0])


def test_diverging_learning_rate_is_reported_as_diverged_with_the_epoch():
    # On standardized features the MSE's Hessian is 2 I, so gd with lr = 1.5 multiplies the
    # distance e to the minimum by (1 - 2 lr) = -2 each epoch: the loss is min + |e_t|^2 with
    # |e_t|^2 = 4^t |e_0|^2. Divergence is declared in the first epoch whose loss exceeds 1e150.
    r = fit("linear", "engel", dl.gd(lr=1.5), epochs=1000, seeds=(0, 5))
    best = lstsq(r.data)
    X, y = r.data.X[:, 0], r.data.y
    min_loss = np.mean((best[0] * X + best[1] - y) ** 2)
    for i, seed in enumerate((0, 5)):
        e0 = np.sum((linear(1).init(seed) - best) ** 2)
        want = math.ceil(math.log((1e150 - min_loss) / e0, 4))
        assert Status(int(r.status[i])) is Status.DIVERGED
        assert int(r.diverged_at[i]) == want == int(r.epochs[i])
        assert f"diverged in epoch {want}" in r.message[i]
        assert np.abs(r.params[i]).max() < 1e76 and r.loss[i] < 1e150  # the last good epoch


def test_history_has_validation_and_accuracy_for_classifiers():
    r = fit("logistic", "iris", dl.gd(lr=1.0), epochs=50, holdout=0.25, seeds=(0, 1))
    h = r.history
    assert r.data.rows == 75 and r.validation.rows == 25
    assert h.loss.shape == h.val_loss.shape == h.accuracy.shape == h.val_accuracy.shape == (51, 2)
    assert h.epoch.tolist() == list(range(51))
    # Accuracy against a direct count with the final parameters.
    p = r.params[0]
    z = r.validation.X @ p[:2] + p[2]
    assert h.val_accuracy[-1, 0] == np.mean((z >= 0) == (r.validation.y == 1))
    assert h.accuracy[-1, 0] > 0.9 and h.loss[-1, 0] < h.loss[0, 0]
    lin = fit("linear", "line", epochs=3).history
    assert lin.accuracy is None and lin.val_loss is None


def test_finished_rows_stop_moving_and_keep_their_values():
    r = fit("linear", "line", dl.gd(lr=0.4), epochs=500, seeds=(0, 1, 2), grad_tol=1e-6)
    assert all(Status(int(s)) is Status.CONVERGED_GRAD for s in r.status)
    for i in range(3):
        e = int(r.epochs[i])
        assert np.all(r.history.loss[e:, i] == r.loss[i]) and r.grad_norm[i] < 1e-6
        assert r.history.grad_norm[e - 1, i] >= 1e-6
    assert "converged: gradient norm" in r.message[0]


def test_f_tol_and_max_iter_statuses():
    r = fit("linear", "line", dl.gd(lr=0.01), epochs=5, grad_tol=0)
    assert Status(int(r.status[0])) is Status.MAX_ITER and "ran all 5 epochs" in r.message[0]
    r = fit("linear", "line", dl.gd(lr=0.1), epochs=500, grad_tol=0, f_tol=1e-3)
    assert Status(int(r.status[0])) is Status.CONVERGED_F
    e = int(r.epochs[0])
    assert abs(r.history.loss[e, 0] - r.history.loss[e - 1, 0]) < 1e-3
    assert abs(r.history.loss[e - 1, 0] - r.history.loss[e - 2, 0]) >= 1e-3


def test_the_path_keeps_epoch_ends_only_when_every_step_would_not_fit(monkeypatch):
    from descentlab import training

    monkeypatch.setattr(training, "PATH_BUDGET", 100)
    r = fit("linear", "line", dl.gd(lr=0.01), epochs=6, batch_size=10, grad_tol=0)
    assert r.path_steps.tolist() == [0, 10, 20, 30, 40, 50, 60] and r.path.shape == (7, 1, 2)
    assert fit("linear", "line", epochs=2, record=False).path is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "svm"}, "unknown model 'svm'"),
        ({"model": "logistic", "data": "engel"}, "two-class model"),
        ({"model": "mlp", "data": "line"}, "two-class model"),
        ({"epochs": 0}, "epochs must be"),
        ({"epochs": 2.5}, "epochs must be"),
        ({"batch_size": 0}, "batch_size must be"),
        ({"seeds": ()}, "give 1 to"),
        ({"seeds": (-1,)}, "a seed must be"),
        ({"grad_tol": -1.0}, "grad_tol must be"),
        ({"f_tol": float("nan")}, "f_tol must be"),
        ({"holdout": 1.0}, "holdout must be"),
        ({"start": [1.0, 2.0, 3.0]}, "start must be 2 finite numbers"),
        ({"start": [1.0, float("inf")]}, "start must be"),
        ({"optimizer": "adam"}, "optimizer must be an Optimizer"),
        ({"l2": -1.0}, "l2 must be"),
        ({"hidden": 3}, "linear takes no option 'hidden'"),
        ({"model": "mlp", "data": "moons", "width": 3}, "mlp takes no option 'width'"),
        ({"start": "ab"}, "start must be"),
        ({"model": logistic(2), "data": "iris", "l2": 1.0}, "apply to a model name"),
        ({"model": logistic(3), "data": "iris"}, "takes 3 feature"),
    ],
)
def test_bad_settings_raise(kwargs, match):
    kwargs = {"model": "linear", "data": "line", **kwargs}
    with pytest.raises(ConfigError, match=match):
        fit(kwargs.pop("model"), kwargs.pop("data"), **kwargs)


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_order_rules_are_refused_with_a_reason(name):
    with pytest.raises(ConfigError, match=f"fit does not train with {name}"):
        fit("logistic", dsets.load("iris"), OPTIMIZERS[name](), epochs=1)


# ---------------------------------------------------------------------------------------------
# Schedules: one scheduler step per optimizer step, against a torch training loop.

FITS = __import__("json").loads(
    (__import__("pathlib").Path(__file__).parent / "data" / "torch_fit.json").read_text()
)


def _torch_fit_data() -> dsets.Dataset:
    X = np.array(FITS["x"])[:, None]
    return dsets.Dataset("torch", X, np.array(FITS["y"]), ("x",), "y", "regression")


def _hyper(raw: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}


def test_torch_fit_batches_are_fits_order():
    """The trace's batches are the ones fit draws (so the comparison below is like for like)."""
    m, b = len(FITS["x"]), FITS["batch_size"]
    rng = np.random.default_rng(FITS["seed"])
    ours = []
    for _ in range(FITS["epochs"]):
        order = rng.permutation(m)
        ours += [sorted(order[j : j + b].tolist()) for j in range(0, m, b)]
    assert ours == FITS["batches"]


@pytest.mark.parametrize("case", FITS["cases"], ids=[c["name"] for c in FITS["cases"]])
def test_scheduled_fit_equals_torchs_training_loop(case):
    from descentlab.schedules import SCHEDULERS

    sched = SCHEDULERS[case["scheduler"]](**_hyper(case["parameters"]))
    opt = OPTIMIZERS[case["optimizer"]](**_hyper(case["hyperparameters"]))
    r = fit(
        "linear",
        _torch_fit_data(),
        opt,
        epochs=FITS["epochs"],
        batch_size=FITS["batch_size"],
        seeds=FITS["seed"],
        start=FITS["start"],
        standardize=False,
        grad_tol=0.0,
        scheduler=sched,
    )
    assert r.scheduler is sched and r.path is not None and r.lrs is not None
    np.testing.assert_allclose(r.path[:, 0], np.array(case["params"]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(r.lrs[1:, 0], np.array(case["lrs"]), rtol=1e-12, atol=0)
    assert np.isnan(r.lrs[0, 0])
    # history.lr: the lr of each epoch's last step
    per_epoch = r.steps_per_epoch
    last_of_epoch = np.array(case["lrs"])[per_epoch - 1 :: per_epoch]
    np.testing.assert_array_equal(r.history.lr[1:, 0], last_of_epoch)


def test_plateau_steps_on_the_minibatch_loss_per_row():
    """Two seeds shuffle differently, so their minibatch losses and lr cuts differ."""
    from descentlab.schedules import reducelronplateau

    r = fit("linear", "line", dl.adam(lr=0.5), epochs=40, batch_size=4, seeds=(0, 1),
            scheduler=reducelronplateau(factor=0.5, patience=2), grad_tol=0.0)  # fmt: skip
    assert r.history.lr is not None and (r.history.lr[-1] < 0.5).all()
    assert not np.array_equal(r.lrs[:, 0], r.lrs[:, 1])


def test_a_bad_schedule_or_one_too_long_is_refused():
    from descentlab.schedules import steplr

    with pytest.raises(ConfigError, match="scheduler"):
        fit("linear", "line", dl.gd(lr=0.1), scheduler=object())
    with pytest.raises(ConfigError, match="steps"):
        fit("linear", "line", dl.gd(lr=0.1), epochs=10**6, batch_size=1, scheduler=steplr(5))
