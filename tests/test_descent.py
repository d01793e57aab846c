"""The one loop: the notebook's results, per-row stopping, batch == solo, divergence, recording."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hand_objectives import Quartic, Rosenbrock
from hypothesis import given, settings
from hypothesis import strategies as st

from descentlab import descent
from descentlab.descent import SupportsObjective, minimize
from descentlab.errors import ConfigError
from descentlab.optimizers import OPTIMIZERS, adam, gd, linesearch, momentum
from descentlab.result import Cause, Status


class Quadratic:
    """f = sum_i a_i x_i^2 / 2 (elementwise, so each row is computed on its own)."""

    def __init__(self, a):
        self.a = np.asarray(a, dtype=float)
        self.dim = self.a.size

    def value(self, X):
        return 0.5 * (self.a * X * X).sum(axis=1)

    def grad(self, X):
        return self.a * X

    def value_and_grad(self, X):
        return self.value(X), self.grad(X)


class SqrtBowl:
    """f = sqrt(x) + x^2/1000... defined only for x >= 0: steps into x < 0 give f = nan."""

    dim = 1

    def value(self, X):
        return np.sqrt(X[:, 0])

    def grad(self, X):
        return 0.5 / np.sqrt(X)

    def value_and_grad(self, X):
        return self.value(X), self.grad(X)


def test_protocol_is_duck_typed() -> None:
    assert isinstance(Quartic(), SupportsObjective)
    assert not isinstance(object(), SupportsObjective)


# --- the original notebook ---------------------------------------------------------------------

NOTEBOOK = {"max_iter": 100_000, "grad_tol": 1e-12}


@pytest.mark.parametrize(
    ("x0", "lr", "minimum", "f_min"),
    [(3.0, 0.001, 1.0, 2.0), (-3.0, 0.001, -2.0, -25.0), (3.0, 0.01, -2.0, -25.0)],
)
def test_notebook_single_runs(x0: float, lr: float, minimum: float, f_min: float) -> None:
    r = minimize(Quartic(), [x0], gd(lr=lr), **NOTEBOOK, record=False)
    assert r.status[0] == Status.CONVERGED_GRAD
    assert r.x[0, 0] == pytest.approx(minimum, abs=1e-12)
    assert r.fun[0] == pytest.approx(f_min, abs=1e-12)
    assert r.grad_norm[0] < 1e-12
    assert r.nfev[0] == r.nit[0] + 1
    assert r.message[0].startswith("converged: gradient norm ")


def test_notebook_multistart() -> None:
    r = minimize(Quartic(), [[-3.0], [0.5], [4.0]], gd(lr=0.001), **NOTEBOOK)
    np.testing.assert_allclose(r.x[:, 0], [-2.0, 1.0, 1.0], atol=1e-12)
    assert r.success.all()
    assert r.best == 0
    assert len(set(r.nit.tolist())) == 3  # each row stopped on its own


def test_notebook_f_change_criterion() -> None:
    r = minimize(Quartic(), [3.0], gd(lr=0.001), grad_tol=0.0, f_tol=1e-6, max_iter=3000)
    assert r.status[0] == Status.CONVERGED_F
    assert r.x[0, 0] == pytest.approx(1.0, abs=1e-3)
    assert "f_tol 1e-06" in r.message[0]


# --- batch == solo, bitwise ----------------------------------------------------------------------

STARTS_1D = [[-3.0], [0.5], [4.0], [1.0], [30.0], [-1.7], [2.2]]


def _solo_vs_batch(objective, starts, opt, **kw) -> None:
    batch = minimize(objective, starts, opt, **kw)
    for i, x0 in enumerate(starts):
        solo = minimize(objective, x0, opt, **kw)
        for name in ("x", "fun", "grad_norm", "status", "nit", "nfev", "diverged_at", "detail"):
            np.testing.assert_array_equal(getattr(batch, name)[i], getattr(solo, name)[0], name)
        if batch.trajectory is not None:
            assert solo.trajectory is not None
            steps = solo.trajectory.its
            rows = np.searchsorted(batch.trajectory.its, steps)
            np.testing.assert_array_equal(batch.trajectory.xs[rows, i], solo.trajectory.xs[:, 0])
    return batch


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_batch_equals_solo_bitwise(name: str) -> None:
    lr = {"gd": 0.01, "momentum": 0.002, "nesterov": 0.002, "linesearch": 1.0}.get(name, 0.05)
    lr = {"newton": 1.0, "bfgs": 1.0, "lbfgs": 1.0, "adadelta": 1.0, "rprop": 0.01}.get(name, lr)
    # decay towards 0 (AdamW, ASGD) moves the minimum off f' = 0: switched off here
    extra = {"adamw": {"weight_decay": 0.0}, "asgd": {"lambd": 0.0}}.get(name, {})
    opt = OPTIMIZERS[name](lr=lr, **extra)
    # x0 = 30 diverges for the momentum methods, 1.0 converges at the start, others in between.
    batch = _solo_vs_batch(Quartic(), STARTS_1D, opt, max_iter=3000, grad_tol=1e-9, f_tol=1e-15)
    assert len(set(batch.nit.tolist())) > 2
    assert batch.status[3] == Status.CONVERGED_GRAD and batch.nit[3] == 0


def test_batch_equals_solo_with_blocks_and_recording(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    starts = rng.uniform(-2, 2, size=(11, 2)).tolist()
    reference = minimize(Rosenbrock(), starts, adam(lr=0.05), max_iter=400, x_tol=1e-7)
    monkeypatch.setattr(descent, "BLOCK_ROWS", 3)
    blocked = _solo_vs_batch(Rosenbrock(), starts, adam(lr=0.05), max_iter=400, x_tol=1e-7)
    for name in ("x", "fun", "status", "nit", "nfev"):
        np.testing.assert_array_equal(getattr(blocked, name), getattr(reference, name))
    assert reference.trajectory is not None and blocked.trajectory is not None
    np.testing.assert_array_equal(blocked.trajectory.xs, reference.trajectory.xs)
    np.testing.assert_array_equal(blocked.trajectory.its, reference.trajectory.its)


def test_batch_equals_solo_in_many_dimensions() -> None:
    a = np.linspace(0.5, 3.0, 12)
    starts = np.random.default_rng(1).normal(size=(5, 12)) * np.arange(1, 6)[:, None]
    _solo_vs_batch(Quadratic(a), starts.tolist(), adam(lr=0.1), max_iter=500, grad_tol=1e-6)


@given(
    starts=st.lists(st.floats(-3.0, 3.0), min_size=2, max_size=6),
    name=st.sampled_from(sorted(OPTIMIZERS)),
    lr=st.floats(1e-3, 0.05),
    f_tol=st.sampled_from([0.0, 1e-10]),
)
@settings(max_examples=25, deadline=None)
def test_batch_equals_solo_property(starts, name, lr, f_tol) -> None:
    opt = OPTIMIZERS[name](lr=lr)
    X0 = [[s] for s in starts]
    _solo_vs_batch(Quartic(), X0, opt, max_iter=300, grad_tol=1e-8, f_tol=f_tol, record=7)


@given(
    a=st.lists(st.floats(0.1, 10.0), min_size=1, max_size=4),
    frac=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=30, deadline=None)
def test_gd_on_convex_quadratic_decreases_monotonically(a, frac, seed) -> None:
    L = max(a)
    lr = frac * 2.0 / L
    x0 = np.random.default_rng(seed).uniform(-5, 5, size=len(a))
    r = minimize(Quadratic(a), x0, gd(lr=lr), max_iter=200, grad_tol=1e-10, record=True)
    fs = r.trajectory.fs[:, 0]
    assert np.all(np.diff(fs) <= 0)
    assert r.status[0] in (Status.CONVERGED_GRAD, Status.MAX_ITER)


# --- divergence --------------------------------------------------------------------------------


def test_gd_with_too_large_lr_diverges() -> None:
    r = minimize(Quadratic([2.0]), [1.0], gd(lr=1.5), record=True)  # x -> -2x each step
    assert r.status[0] == Status.DIVERGED
    assert not r.success[0]
    assert r.best is None
    d = int(r.diverged_at[0])
    assert d > 0 and r.nit[0] == d
    # The reported point is the last good iterate: x_(d-1) = (-2)^(d-1).
    assert r.x[0, 0] == (-2.0) ** (d - 1)
    assert np.isfinite(r.fun[0]) and abs(r.fun[0]) <= 1e150
    # The message gives f as it was (sign and size) and the f the row keeps (the table's).
    assert r.message[0].startswith(f"diverged at iteration {d}: f = ")
    assert r.message[0].endswith(f"(the row keeps iteration {d - 1}, f = {r.fun[0]:.3g})")
    assert r.trajectory.xs[-1, 0, 0] == r.x[0, 0]


def test_gd_on_rosenbrock_with_lr_001_diverges() -> None:
    r = minimize(Rosenbrock(), [-1.2, 1.0], gd(lr=0.01))
    assert r.status[0] == Status.DIVERGED
    assert r.diverged_at[0] > 0
    assert np.isfinite(r.x).all() and np.isfinite(r.fun).all()


def test_nan_value_is_divergence_not_a_minimum() -> None:
    # From 0.01, a step of lr * f' = 0.1 * 5 jumps to x < 0 where sqrt is nan.
    r = minimize(SqrtBowl(), [[0.01], [4.0]], gd(lr=0.1), max_iter=5, grad_tol=0.0)
    assert r.status.tolist() == [Status.DIVERGED, Status.MAX_ITER]
    assert r.cause[0] == Cause.F
    assert r.message[0] == "diverged at iteration 1: f is nan (the row keeps iteration 0, f = 0.1)"
    assert r.x[0, 0] == 0.01 and r.fun[0] == 0.1
    assert r.best == 1


def test_divergence_at_the_start_and_in_x() -> None:
    r = minimize(SqrtBowl(), [[-1.0], [0.0]], gd(lr=0.1))
    assert r.status.tolist() == [Status.DIVERGED, Status.DIVERGED]
    assert r.diverged_at.tolist() == [0, 0]
    assert r.nfev.tolist() == [1, 1]
    assert "the gradient is inf" in r.message[1]

    class Flat:  # one step jumps past |x| = 1e150
        dim = 1

        def value(self, X):
            return -X[:, 0]

        def grad(self, X):
            return np.full_like(X, -1e100)

        def value_and_grad(self, X):
            return self.value(X), self.grad(X)

    r = minimize(Flat(), [0.0], gd(lr=1e60))
    assert r.status[0] == Status.DIVERGED and r.cause[0] == Cause.X
    assert r.x[0, 0] == 0.0 and r.nfev[0] == 1 and r.diverged_at[0] == 1
    assert r.message[0].startswith("diverged at iteration 1: x_i = 1e+160, |x_i| > 1e+150")


# --- stopping criteria -------------------------------------------------------------------------


def test_zero_tolerances_leave_only_the_iteration_limit() -> None:
    r = minimize(Quadratic([1.0]), [[1.0], [-2.0]], gd(lr=0.25), max_iter=50, grad_tol=0.0)
    assert r.status.tolist() == [Status.MAX_ITER, Status.MAX_ITER]
    assert r.nit.tolist() == [50, 50] and r.nfev.tolist() == [51, 51]
    assert r.message[0].startswith("max_iter: reached max_iter 50")


def test_max_iter_zero_evaluates_the_start_only() -> None:
    r = minimize(Quartic(), [3.0], gd(), max_iter=0)
    assert r.status[0] == Status.MAX_ITER and r.nit[0] == 0 and r.x[0, 0] == 3.0
    assert r.fun[0] == Quartic().value(np.array([[3.0]]))[0]
    assert r.trajectory.its.tolist() == [0]


def test_x_tol_criterion() -> None:
    r = minimize(Quadratic([1.0]), [1.0], gd(lr=0.1), grad_tol=0.0, x_tol=1e-3)
    assert r.status[0] == Status.CONVERGED_X
    # |x_k - x_(k-1)| = 0.1 * 0.9^(k-1) < 1e-3  first at k = 45.
    assert r.nit[0] == 45 and r.detail[0] < 1e-3


def test_callback_stops_running_rows() -> None:
    seen = []

    def callback(t, X, F):
        seen.append((t, X.shape, F.shape))
        return t == 5

    r = minimize(Quartic(), [[1.0], [3.0], [-3.0]], gd(lr=1e-3), callback=callback)
    assert r.status.tolist() == [Status.CONVERGED_GRAD, Status.STOPPED, Status.STOPPED]
    assert r.nit.tolist() == [0, 5, 5]
    assert seen[0] == (1, (3, 1), (3,)) and len(seen) == 5
    assert r.message[1] == "stopped: the callback stopped the run after 5 iterations"


def test_callback_may_raise_stop_iteration() -> None:
    def callback(t, X, F):
        if t == 3:
            raise StopIteration

    r = minimize(Quartic(), [3.0], gd(lr=1e-3), callback=callback)
    stopped_by_limit = minimize(Quartic(), [3.0], gd(lr=1e-3), max_iter=3)
    assert r.status[0] == Status.STOPPED and r.nit[0] == 3
    np.testing.assert_array_equal(r.x, stopped_by_limit.x)


def test_linesearch_evaluations_are_counted() -> None:
    r = minimize(Rosenbrock(), [-1.2, 1.0], linesearch(), max_iter=10, grad_tol=0.0)
    assert r.nit[0] == 10 and r.nfev[0] > 10 + 1 + 10  # at least one trial per step


# --- recording -----------------------------------------------------------------------------------


def test_record_false_and_true() -> None:
    assert minimize(Quartic(), [3.0], gd(lr=1e-3), record=False).trajectory is None
    r = minimize(Quartic(), [[3.0], [-3.0]], gd(lr=1e-3), record=True)
    traj = r.trajectory
    assert traj.its.tolist() == list(range(int(r.nit.max()) + 1))
    assert traj.xs.shape == (len(traj), 2, 1) and traj.fs.shape == (len(traj), 2)
    np.testing.assert_array_equal(traj.xs[0], [[3.0], [-3.0]])
    np.testing.assert_array_equal(traj.xs[-1], r.x)
    np.testing.assert_array_equal(traj.fs[-1], r.fun)
    fast = int(np.argmin(r.nit))  # the row that finished first stays frozen
    np.testing.assert_array_equal(
        traj.path(fast)[r.nit[fast] :], r.x[fast][None].repeat(len(traj) - r.nit[fast], axis=0)
    )


def test_record_every_s_iterations() -> None:
    r = minimize(Quartic(), [3.0], gd(lr=1e-3), record=100, grad_tol=1e-10)
    its = r.trajectory.its.tolist()
    nit = int(r.nit[0])
    assert its[:-1] == list(range(0, nit, 100)) or its == list(range(0, nit + 1, 100))
    assert its[-1] == nit
    np.testing.assert_array_equal(r.trajectory.xs[-1], r.x)


def test_record_auto_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr(descent, "RECORD_BUDGET", 2 * 100)  # room for 100 records of 1 x (1 + 1)
    r = minimize(Quadratic([1.0]), [1.0], gd(lr=1e-3), max_iter=5000, grad_tol=0.0)
    traj = r.trajectory
    assert len(traj) <= 101
    stride = traj.its[1] - traj.its[0]
    assert stride > 1 and stride & (stride - 1) == 0  # a power of two
    np.testing.assert_array_equal(np.diff(traj.its[:-1]), stride)
    assert traj.its[-1] == 5000
    np.testing.assert_array_equal(traj.xs[-1], r.x)
    full = minimize(Quadratic([1.0]), [1.0], gd(lr=1e-3), max_iter=5000, grad_tol=0.0, record=1)
    np.testing.assert_array_equal(traj.xs[:, 0], full.trajectory.xs[traj.its, 0])


def test_auto_recording_copies_snapshots_and_holds_at_most_its_capacity() -> None:
    # The compiled loop hands the recorder views of each chunk's snapshot buffer. The recorder
    # copies them into arrays of its own, sized for what "auto" keeps (capacity + 1 records):
    # a chunk's buffer is freed when the chunk ends (a kept view would hold all of it), and a
    # snapshot that thinning drops frees its slot.
    import weakref

    def snapshot(its):  # (iterations, 3 rows, 2 variables) points and (iterations, 3) values
        points = its[:, None, None] + np.array([[0.25, 0.5]]) * np.arange(3)[:, None]
        return points, its[:, None] * np.array([1.0, -1.0, 2.0])

    rec = descent._Recorder("auto", 1, 4, limit=1000)  # capacity: 4 records before thinning
    rec.add(0, *(a[0] for a in snapshot(np.zeros(1))))
    for chunk in range(6):  # 6 chunks of 10 iterations, as the loop hands them over
        its = np.arange(10 * chunk + 1, 10 * chunk + 11)
        buffer, values = snapshot(its)
        for q, t in enumerate(its.tolist()):
            if rec.wants(t) or t == 60:
                rec.add(t, buffer[q], values[q], final=t == 60)
        held = weakref.ref(buffer)
        del buffer
        assert held() is None  # nothing refers to the chunk's buffer any more
    xs, fs, lrs = rec.records()
    # 0..3, then every 2nd, 4th, 8th, 16th as it fills up, and the last one (never dropped)
    assert rec.its == [0, 16, 32, 48, 60] and lrs is None
    assert xs.base is None or xs.base.shape[0] <= 5  # the recorder's arrays: capacity + 1
    expected_xs, expected_fs = snapshot(np.array(rec.its))
    np.testing.assert_array_equal(xs, expected_xs)
    np.testing.assert_array_equal(fs, expected_fs)


# --- validation ----------------------------------------------------------------------------------

BAD_CALLS = [
    ({"X0": [1.0, 2.0]}, "(2,)"),
    ({"X0": [[1.0, 2.0]]}, "(1, 2)"),
    ({"X0": [[[1.0]]]}, "(1, 1, 1)"),
    ({"X0": np.zeros((0, 1))}, "(0, 1)"),
    ({"X0": ["a"]}, "'a'"),
    ({"X0": [math.nan]}, "nan"),
    ({"X0": [math.inf]}, "inf"),
    ({"max_iter": -1}, "-1"),
    ({"max_iter": 2.5}, "2.5"),
    ({"max_iter": True}, "True"),
    ({"grad_tol": -1e-8}, "-1e-08"),
    ({"grad_tol": math.nan}, "nan"),
    ({"f_tol": math.inf}, "inf"),
    ({"f_tol": -1}, "-1"),
    ({"x_tol": "1e-3"}, "'1e-3'"),
    ({"x_tol": -0.5}, "-0.5"),
    ({"record": 0}, "0"),
    ({"record": -3}, "-3"),
    ({"record": "all"}, "'all'"),
    ({"record": 2.0}, "2.0"),
    ({"optimizer": "adam"}, "'adam'"),
    ({"callback": 3}, "3"),
]


@pytest.mark.parametrize(("kwargs", "quoted"), BAD_CALLS)
def test_bad_arguments_raise_config_error(kwargs: dict, quoted: str) -> None:
    call = {"X0": [3.0], "optimizer": gd()} | kwargs
    X0, optimizer = call.pop("X0"), call.pop("optimizer")
    with pytest.raises(ConfigError) as info:
        minimize(Quartic(), X0, optimizer, **call)
    assert quoted in str(info.value) and "\n" not in str(info.value)


def test_ints_become_floats_and_objective_dim_is_checked() -> None:
    r = minimize(Quartic(), [3], gd(lr=1e-3), max_iter=1)
    assert r.x.dtype == np.float64

    class NoDim:
        def value(self, X): ...

    with pytest.raises(ConfigError, match="dim"):
        minimize(NoDim(), [3.0], gd())


def test_momentum_result_repr_and_row() -> None:
    r = minimize(Quartic(), [[3.0], [-3.0]], momentum(lr=1e-3), grad_tol=1e-10)
    text = repr(r)
    assert text.index("x:") < text.index("fun:") < text.index("status:") < text.index("nit:")
    one = r.row(1)
    assert one.k == 1 and one.x[0, 0] == r.x[1, 0] and one.message == [r.message[1]]
