"""The fused compiled loop (engine/loop.py) against the general loop of descent.py.

The reference is the general loop itself, driven by the same program through the interpreter's
``forward_backward`` (so both loops see bit-identical values and gradients): every field of the
Result, the trajectory and the stop reasons must be equal, bit for bit, for random formulas,
starts, rules and settings. Also: batch == solo, thread count does not matter, and bad requests
for the compiled engine are refused.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import smooth_trees, trees

from descentlab.descent import minimize
from descentlab.engine.interp import forward, forward_backward
from descentlab.engine.program import lower
from descentlab.errors import ConfigError
from descentlab.expr.parser import parse
from descentlab.optimizers import (
    OPTIMIZERS,
    adagrad,
    adam,
    gd,
    linesearch,
    momentum,
    nesterov,
    rmsprop,
    rprop,
)

FIELDS = ("x", "fun", "grad_norm", "status", "nit", "nfev", "diverged_at", "detail", "cause")


class ProgramObjective:
    """A formula's program evaluated by the compiled interpreter, row-major in and out."""

    def __init__(self, tree, variables=("x", "y"), domain=None) -> None:
        self.program = lower(tree, list(variables))
        self.dim = len(variables)
        self.domain = domain

    def _run(self, X):
        X = np.asarray(X, dtype=float)
        k, m = X.shape[0], self.program.code.shape[0]
        XT = np.ascontiguousarray(X.T)
        F, GT = np.empty(k), np.empty((self.dim, k))
        work, adj = np.empty((m, k)), np.empty((m + 1, k))
        forward_backward(self.program.code, self.program.consts, XT, work, adj, F, GT)
        return F, np.ascontiguousarray(GT.T)

    def value(self, X):
        X = np.asarray(X, dtype=float)
        k, m = X.shape[0], self.program.code.shape[0]
        F = np.empty(k)
        forward(self.program.code, self.program.consts, np.ascontiguousarray(X.T),
                np.empty((m, k)), F)  # fmt: skip
        return F

    def grad(self, X):
        return self._run(X)[1]

    def value_and_grad(self, X):
        return self._run(X)


def same_result(a, b) -> None:
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (a.trajectory is None) == (b.trajectory is None)
    if a.trajectory is not None:
        np.testing.assert_array_equal(a.trajectory.its, b.trajectory.its)
        np.testing.assert_array_equal(a.trajectory.xs, b.trajectory.xs)
        np.testing.assert_array_equal(a.trajectory.fs, b.trajectory.fs)
        assert (a.trajectory.lrs is None) == (b.trajectory.lrs is None)
        if a.trajectory.lrs is not None:
            np.testing.assert_array_equal(a.trajectory.lrs, b.trajectory.lrs)


def both(obj, X0, opt, **kw):
    a = minimize(obj, X0, opt, engine="numpy", **kw)
    b = minimize(obj, X0, opt, engine="compiled", **kw)
    same_result(a, b)
    return b


ROSENBROCK = ProgramObjective(parse("(1 - x)^2 + 100(y - x^2)^2"))

RULES = st.one_of(
    st.builds(gd, lr=st.floats(1e-4, 0.5)),
    st.builds(momentum, lr=st.floats(1e-4, 0.1), momentum=st.floats(0.0, 0.99)),
    st.builds(nesterov, lr=st.floats(1e-4, 0.1), momentum=st.floats(0.01, 0.99)),
    st.builds(adagrad, lr=st.floats(1e-3, 1.0)),
    st.builds(rmsprop, lr=st.floats(1e-4, 0.1), alpha=st.floats(0.0, 0.999)),
    st.builds(rprop, lr=st.floats(1e-4, 0.1)),
    st.builds(
        adam,
        lr=st.floats(1e-4, 0.5),
        betas=st.tuples(st.floats(0.0, 0.99), st.floats(0.0, 0.9999)),
    ),
)


@given(
    tree=st.one_of(smooth_trees(max_leaves=8), trees(max_leaves=6)),
    starts=st.lists(st.tuples(st.floats(-2, 2), st.floats(-2, 2)), min_size=1, max_size=5),
    opt=RULES,
    max_iter=st.integers(0, 60),
    grad_tol=st.sampled_from([0.0, 1e-8, 1e-3]),
    f_tol=st.sampled_from([0.0, 1e-10, 1e-4]),
    x_tol=st.sampled_from([0.0, 1e-6, 1e-2]),
    bounds=st.sampled_from([None, (-1.0, 1.5)]),
    record=st.sampled_from([False, True, 3]),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_compiled_loop_equals_general_loop(
    tree, starts, opt, max_iter, grad_tol, f_tol, x_tol, bounds, record
) -> None:
    obj = ProgramObjective(tree)
    both(
        obj,
        np.array(starts),
        opt,
        max_iter=max_iter,
        grad_tol=grad_tol,
        f_tol=f_tol,
        x_tol=x_tol,
        bounds=bounds,
        record=record,
    )


FUSED = [n for n, f in OPTIMIZERS.items() if f().kernel is not None]


def test_rules_whose_zero_steps_are_pauses_run_fused_and_equal_the_general_loop() -> None:
    # Rprop waits one step after a sign change (a zero step): a pause, not a stall, while the
    # gradient is not zero; where the gradient is exactly zero the row stalls, in both loops.
    opt = rprop(lr=1e-3)
    assert opt.pauses
    X0 = np.random.default_rng(3).uniform(-2, 2, (50, 2))
    r = both(ROSENBROCK, X0, opt, max_iter=300, record=7)
    assert (r.nit > 2).all()  # sign flips happened and did not stop the rows
    flat = ProgramObjective(parse("x^2 + y^2"))
    r = both(flat, [[0.0, 0.0], [0.3, -0.2]], opt, grad_tol=0.0, max_iter=40)
    assert r.status.tolist()[0] == 7 and r.nit[0] == 0  # zero gradient: stalled at once


def test_scheduled_lrs_are_recorded_by_the_compiled_loop_as_the_general_loop_keeps_them() -> None:
    from descentlab.schedules import exponentiallr

    # Rows that converge, diverge and run out of iterations at different times.
    X0 = np.array([[-1.2, 1.0], [1.0, 1.0], [50.0, 50.0], [0.9, 0.8]])
    for opt in (gd(lr=2e-3), rprop(lr=1e-2)):
        r = both(ROSENBROCK, X0, opt, scheduler=exponentiallr(gamma=0.97), max_iter=60,
                 grad_tol=1e-6, record=True)  # fmt: skip
        assert r.trajectory.lrs is not None and np.isnan(r.trajectory.lrs[0]).all()


@pytest.mark.parametrize("name", FUSED)
def test_every_rule_on_rosenbrock_many_starts(name: str) -> None:
    X0 = np.random.default_rng(1).uniform(-2, 2, (600, 2))  # three blocks, the last partial
    opt = OPTIMIZERS[name](lr=1e-3)
    r = both(ROSENBROCK, X0, opt, max_iter=400, grad_tol=1e-4, record=10)
    assert len(set(r.status.tolist())) >= 1 and r.trajectory.xs.shape == (41, 600, 2)


def test_statuses_of_every_kind_agree() -> None:
    # Divergence in f (huge lr), convergence on the gradient, max_iter and stalls, one batch.
    obj = ProgramObjective(parse("x^2 + y^2"))
    X0 = np.array([[0.0, 0.0], [1.0, 1.0], [1e-9, 0.0], [3.0, -4.0]])
    r = both(obj, X0, gd(lr=0.1), grad_tol=0.0, max_iter=50)
    assert r.status[0] == 7  # stalled
    r = both(obj, X0, gd(lr=5.0), max_iter=500)
    assert r.status.tolist() == [0, 4, 0, 4]  # converged at the start, or diverged


def test_batch_equals_solo_and_threads_do_not_matter() -> None:
    numba = pytest.importorskip("numba")
    X0 = np.random.default_rng(2).uniform(-2, 2, (300, 2))
    opt = adam(lr=0.02)
    batch = minimize(ROSENBROCK, X0, opt, max_iter=300, record=False)
    for i in (0, 137, 299):
        solo = minimize(ROSENBROCK, X0[i], opt, max_iter=300, record=False)
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(solo, name)[0], getattr(batch, name)[i])
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = minimize(ROSENBROCK, X0, opt, max_iter=300, record=False)
    finally:
        numba.set_num_threads(before)
    same_result(batch, one)


def test_callback_sees_every_iteration_and_stops() -> None:
    seen = []

    def callback(t, X, F):
        seen.append((t, X.shape, F.shape))
        return t == 7

    X0 = np.array([[-1.2, 1.0], [0.5, 0.5]])
    a = minimize(ROSENBROCK, X0, gd(lr=1e-3), callback=callback, engine="compiled")
    assert [s[0] for s in seen] == list(range(1, 8))
    assert a.nit.tolist() == [7, 7] and (a.status == 5).all()
    b = minimize(ROSENBROCK, X0, gd(lr=1e-3), callback=callback, engine="numpy")
    same_result(a, b)


@pytest.mark.parametrize("rec_floats", [10, 13, 1 << 22])
def test_the_first_chunk_evaluates_and_records_the_starts(monkeypatch, rec_floats) -> None:
    # The compiled loop's first chunk evaluates the starts and records iteration 0 itself:
    # with a buffer smaller than one snapshot (4 rows x 3 floats) it runs no iteration at
    # first, and rows that finish at their start never reach the callback, as in the general
    # loop. The first start is Rosenbrock's minimum (its gradient is exactly zero there).
    from descentlab.engine import loop

    monkeypatch.setattr(loop, "REC_FLOATS", rec_floats)
    runs = {}
    for X0 in ([[1.0, 1.0], [-1.2, 1.0], [0.5, 0.5], [2.0, -1.0]], [[1.0, 1.0]]):
        for engine in ("compiled", "numpy"):
            calls: list[int] = []
            r = minimize(ROSENBROCK, X0, adam(lr=0.05), max_iter=7, record=True, engine=engine,
                         callback=lambda t, X, F, c=calls: c.append(t))  # fmt: skip
            runs[engine] = r, calls
        same_result(runs["compiled"][0], runs["numpy"][0])
        assert runs["compiled"][1] == runs["numpy"][1] == ([] if len(X0) == 1 else [*range(1, 8)])
        assert runs["compiled"][0].trajectory.its.tolist() == ([0] if len(X0) == 1 else [*range(8)])


def test_auto_recording_thins_the_same_way(monkeypatch) -> None:
    import descentlab.descent as descent

    monkeypatch.setattr(descent, "RECORD_BUDGET", 3 * 40 * 8)  # 8 records of 40 rows, n = 2
    X0 = np.random.default_rng(3).uniform(-2, 2, (40, 2))
    r = both(ROSENBROCK, X0, adam(lr=0.01), max_iter=100, grad_tol=0.0)
    assert len(r.trajectory) <= 9 and r.trajectory.its[-1] == 100


def test_scheduler_tables_run_compiled() -> None:
    from descentlab.schedules import exponentiallr

    class Table:
        def table(self, max_iter, lr):
            return lr * 0.99 ** np.arange(max_iter)

    X0 = [[-1.2, 1.0], [2.0, 2.0]]
    both(ROSENBROCK, X0, adam(lr=0.01), scheduler=Table(), max_iter=200)
    both(ROSENBROCK, X0, adam(lr=0.01), scheduler=exponentiallr(gamma=0.99), max_iter=200)
    runs = [
        minimize(ROSENBROCK, X0, adam(lr=0.01), scheduler=exponentiallr(gamma=0.99),
                 max_iter=200, record=True, engine=engine)
        for engine in ("compiled", "numpy")
    ]  # fmt: skip
    np.testing.assert_array_equal(runs[0].trajectory.lrs, runs[1].trajectory.lrs)


def test_compiled_engine_refuses_what_it_cannot_run() -> None:
    class Plain:
        dim = 2

        def value(self, X):
            return (X * X).sum(axis=1)

        def grad(self, X):
            return 2 * X

        def value_and_grad(self, X):
            return self.value(X), self.grad(X)

    with pytest.raises(ConfigError, match="no program"):
        minimize(Plain(), [1.0, 1.0], gd(), engine="compiled")
    with pytest.raises(ConfigError, match="bfgs"):
        minimize(ROSENBROCK, [1.0, 1.0], OPTIMIZERS["bfgs"](), engine="compiled")
    with pytest.raises(ConfigError, match="engine"):
        minimize(ROSENBROCK, [1.0, 1.0], gd(), engine="fast")
    # The line search runs on a program objective (its own compiled loop, engine/search.py).
    r = minimize(ROSENBROCK, [-1.2, 1.0], linesearch(), max_iter=50)
    assert r.nit[0] == 50 or r.status[0] != 3


def test_in_domain_on_the_compiled_path() -> None:
    obj = ProgramObjective(parse("x^2 + y^2"), domain=((0.5, 2.0), (0.5, 2.0)))
    r = minimize(obj, [[1.0, 1.0]], gd(lr=0.1), engine="compiled")
    assert r.in_domain.tolist() == [False]
    r = minimize(obj, [[1.0, 1.0]], gd(lr=0.1), engine="compiled", bounds="domain")
    assert r.in_domain.tolist() == [True]
    np.testing.assert_allclose(r.x, [[0.5, 0.5]])
    assert dataclasses.replace(r).status[0] == 0


def test_every_fused_run_calls_the_one_compiled_loop(monkeypatch) -> None:
    # engine.loop keeps the compiled _chunk_block it found once (loop._ENTRY) and calls it for
    # every run: right only if every run passes the same argument types (numba's entry point
    # would not notice an int64 array for a float64 one). Runs of every shape (rules that
    # pause or not, bounds, a schedule, records with and without points, a callback, one row
    # and many), each looking its entry up afresh, find the one signature, and give the
    # general loop's results. (Compiled here, never as Python while a second process
    # compiles.)
    from descentlab.engine import loop
    from descentlab.schedules import exponentiallr

    monkeypatch.setenv("DESCENTLAB_COMPILE_ASIDE", "0")
    X0 = np.array([[-1.2, 1.0], [1.0, 1.0], [50.0, 50.0], [0.9, 0.8]])
    runs = [
        (X0, gd(lr=2e-3), {}),
        (X0[:1], rprop(lr=1e-2), {"record": True}),
        (X0, adam(lr=0.01), {"bounds": (-1.0, 1.5), "record": True, "record_points": False}),
        (X0, momentum(lr=1e-3), {"scheduler": exponentiallr(gamma=0.97),
                                 "callback": lambda it, X, F: None}),
    ]  # fmt: skip
    for X, opt, kw in runs:
        monkeypatch.setattr(loop, "_ENTRY", [])
        both(ROSENBROCK, X, opt, max_iter=50, **kw)
        assert len(loop._ENTRY) == 1
    assert len(loop._chunk_block.signatures) == 1
