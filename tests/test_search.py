"""The compiled line search (engine/search.py) against the general loop's ``linesearch``.

The reference is the general loop (``engine="numpy"``) running the optimizer's Python
``update`` on the same objective (the same interpreter gives both loops bit-identical values and
gradients): every field of the Result, the trajectory, the evaluation counts and the trial
points must be equal bit for bit, on catalogue functions (with and without bounds, n = 1, 2, 10)
and on random formulas.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import smooth_trees, trees
from test_fused import FIELDS
from test_fused import same_result as same_fused

from descentlab.descent import _Box, minimize
from descentlab.engine import search
from descentlab.errors import ConfigError
from descentlab.multistart import random_starts, start_domain
from descentlab.objective import Objective, as_objective
from descentlab.optimizers import adam, linesearch
from descentlab.result import Status
from descentlab.schedules import steplr


def same_result(a, b) -> None:
    """Every field, the trajectory, and the scheduler's lrs where there are any."""
    same_fused(a, b)
    if a.trajectory is not None:
        assert (a.trajectory.lrs is None) == (b.trajectory.lrs is None)
        if a.trajectory.lrs is not None:
            np.testing.assert_array_equal(a.trajectory.lrs, b.trajectory.lrs)


@pytest.fixture
def general_only(monkeypatch):
    """Make sure the reference run never enters the compiled line search."""

    def refuse(*args, **kwargs):
        raise AssertionError("engine='numpy' must run the general loop")

    def run(obj, X0, opt, **kw):
        with monkeypatch.context() as m:
            m.setattr(search, "run_search", refuse)
            return minimize(obj, X0, opt, engine="numpy", **kw)

    return run


def both(general_only, obj, X0, opt, **kw):
    a = general_only(obj, X0, opt, **kw)
    b = minimize(obj, X0, opt, engine="compiled", **kw)
    same_result(a, b)
    return b


CASES = [
    ("rosenbrock", None, 1.0),
    ("himmelblau", None, 0.5),
    ("styblinski-tang", None, 1.0),
    ("rastrigin", 10, 0.05),
    ("forrester", None, 1.0),
    ("gramacy-lee", None, 1.0),
]


@pytest.mark.parametrize(("name", "dim", "lr"), CASES)
@pytest.mark.parametrize(
    "settings_",
    [{}, {"bounds": "domain"}, {"grad_tol": 1e-6, "f_tol": 1e-12, "x_tol": 1e-9, "record": 7}],
    ids=["plain", "bounds", "tolerances"],
)
def test_compiled_line_search_equals_the_general_loop(
    general_only, name: str, dim: int | None, lr: float, settings_: dict
) -> None:
    obj = as_objective(name, dim=dim)
    X0 = random_starts(start_domain(obj), 40, seed=3)
    kw = {"max_iter": 150, "grad_tol": 0.0, **settings_}
    r = both(general_only, obj, X0, linesearch(lr=lr), **kw)
    assert (r.nfev > r.nit + 1).all() or (r.nit == 0).any()  # the trials are paid for


@pytest.mark.parametrize("max_iter", [0, 1, 5])
def test_a_scheduled_line_search_records_its_lrs_from_no_step_on(general_only, max_iter) -> None:
    # With no iteration, no lr was used: nan, as the general loop records (the compiled path
    # indexed the empty schedule; hypothesis found it).
    obj = as_objective("rosenbrock")
    r = both(general_only, obj, [[-1.2, 1.0], [0.5, 0.5]], linesearch(),
             scheduler=steplr(step_size=2, gamma=0.5), max_iter=max_iter, record=True)  # fmt: skip
    assert r.trajectory.lrs.shape == (len(r.trajectory.its), 2)
    assert np.isnan(r.trajectory.lrs[0]).all() and (max_iter == 0 or r.trajectory.lrs[-1][0] > 0)


def test_every_status_of_the_line_search_agrees(general_only) -> None:
    # Precision loss at a minimum, stalls, divergence in f, max_iter: one batch.
    obj = as_objective("styblinski-tang")
    X0 = np.array([[-2.903534, -2.903534], [-2.9035, -2.9035], [0.3, -1.0], [4.0, 4.0]])
    r = both(general_only, obj, X0, linesearch(), max_iter=400, grad_tol=0.0)
    assert Status.PRECISION_LOSS in r.status.tolist()
    quartic = Objective.from_formula("-x^4")  # unbounded below: diverges
    r = both(general_only, quartic, [[1.0], [-2.0]], linesearch(), max_iter=500)
    assert (r.status == Status.DIVERGED).all()


def test_objective_counters_count_trials_as_values_only() -> None:
    counts = []
    for engine in ("numpy", "compiled"):
        obj = as_objective("rosenbrock")
        X0 = random_starts(start_domain(obj), 30, seed=1)
        minimize(obj, X0, linesearch(), max_iter=40, grad_tol=0.0, engine=engine)
        counts.append((obj.nfev, obj.ngev))
    assert counts[0] == counts[1]
    assert counts[0][0] > counts[0][1]


def test_batch_equals_solo_and_threads_do_not_matter() -> None:
    numba = pytest.importorskip("numba")
    obj = as_objective("rosenbrock")
    X0 = random_starts(start_domain(obj), 300, seed=5)  # two blocks, the last partial
    opt = linesearch(lr=1.0)
    batch = minimize(obj, X0, opt, max_iter=120, grad_tol=0.0, record=False)
    for i in (0, 255, 299):
        solo = minimize(obj, X0[i], opt, max_iter=120, grad_tol=0.0, record=False)
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(solo, name)[0], getattr(batch, name)[i])
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = minimize(obj, X0, opt, max_iter=120, grad_tol=0.0, record=False)
    finally:
        numba.set_num_threads(before)
    same_result(batch, one)


def test_callbacks_and_schedules_agree(general_only) -> None:
    obj = as_objective("himmelblau")
    X0 = random_starts(start_domain(obj), 5, seed=2)
    calls: dict[str, list[int]] = {"numpy": [], "compiled": []}

    def make(engine: str):
        def callback(t, X, F):
            calls[engine].append(t)
            return t == 9

        return callback

    a = general_only(obj, X0, linesearch(), callback=make("numpy"), grad_tol=0.0)
    b = minimize(obj, X0, linesearch(), callback=make("compiled"), grad_tol=0.0)
    same_result(a, b)
    assert calls["numpy"] == calls["compiled"] == list(range(1, 10))
    both(general_only, obj, X0, linesearch(), scheduler=steplr(step_size=5, gamma=0.5),
         max_iter=30, grad_tol=0.0, record=True)  # fmt: skip


@pytest.mark.parametrize("bounded", [False, True])
@pytest.mark.parametrize("name", ["rosenbrock", "gramacy-lee", "rastrigin"])
def test_one_step_records_the_same_trials_as_update(name: str, bounded: bool) -> None:
    obj = as_objective(name, dim=10 if name == "rastrigin" else None)
    X = random_starts(start_domain(obj), 50, seed=4)
    F, G = obj.value_and_grad(X)
    opt = linesearch(lr=2.0, max_backtracks=12)
    box = _Box(*(np.array(s) for s in zip(*obj.domain, strict=True))) if bounded else None
    with np.errstate(all="ignore"):
        step, state = opt.update(
            G, opt.init(X), X, value_fn=obj.value, project=None if box is None else box.project
        )
    got_step, got = search.search_step(obj.program, X, G, None, 2.0, 1e-4, 0.5, 12, box)
    np.testing.assert_array_equal(got_step, step)
    for field in state._fields:
        np.testing.assert_array_equal(got[field], getattr(state, field), err_msg=field)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_pairwise_sum_is_numpys_sum(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(n) * np.exp(rng.uniform(-20, 20, n))
    assert search.pairwise_sum(v, 0, n) == v.sum()
    A = np.repeat(v[None, :], 3, axis=0)
    assert search.pairwise_sum(v, 0, n) == A.sum(axis=1)[1]


class ProgramObjective:
    """A random formula as an objective (values and gradients by the compiled interpreter)."""

    def __init__(self, tree) -> None:
        from descentlab.engine.program import lower

        self.program = lower(tree, ["x", "y"])
        self.dim = 2

    def value(self, X):
        return self.program.values(np.ascontiguousarray(X, dtype=float))

    def grad(self, X):
        return self.value_and_grad(X)[1]

    def value_and_grad(self, X):
        return self.program.values_and_grads(np.ascontiguousarray(X, dtype=float))


@given(
    tree=st.one_of(smooth_trees(max_leaves=8), trees(max_leaves=6)),
    starts=st.lists(st.tuples(st.floats(-2, 2), st.floats(-2, 2)), min_size=1, max_size=5),
    lr=st.floats(1e-3, 4.0),
    max_backtracks=st.integers(0, 12),
    max_iter=st.integers(0, 40),
    grad_tol=st.sampled_from([0.0, 1e-3]),
    f_tol=st.sampled_from([0.0, 1e-6]),
    x_tol=st.sampled_from([0.0, 1e-4]),
    bounds=st.sampled_from([None, (-1.0, 1.5)]),
    record=st.sampled_from([False, True, 3]),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_formulas_agree(
    tree, starts, lr, max_backtracks, max_iter, grad_tol, f_tol, x_tol, bounds, record
) -> None:
    obj = ProgramObjective(tree)
    opt = linesearch(lr=lr, max_backtracks=max_backtracks)
    kw = {"max_iter": max_iter, "grad_tol": grad_tol, "f_tol": f_tol, "x_tol": x_tol,
          "bounds": bounds, "record": record}  # fmt: skip
    a = minimize(obj, np.array(starts), opt, engine="numpy", **kw)
    b = minimize(obj, np.array(starts), opt, engine="compiled", **kw)
    same_result(a, b)


@pytest.mark.parametrize(
    ("engine", "opt"),
    [("compiled", linesearch()), ("numpy", linesearch()), ("compiled", adam(lr=0.05))],
)
def test_record_points_false_keeps_the_same_values_only(engine: str, opt) -> None:
    obj = as_objective("himmelblau")
    X0 = random_starts(start_domain(obj), 20, seed=6)
    kw = {"max_iter": 60, "grad_tol": 0.0, "record": 4, "engine": engine}
    full = minimize(obj, X0, opt, **kw)
    lean = minimize(obj, X0, opt, record_points=False, **kw)
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(full, name), getattr(lean, name), err_msg=name)
    np.testing.assert_array_equal(full.trajectory.fs, lean.trajectory.fs)
    np.testing.assert_array_equal(full.trajectory.its, lean.trajectory.its)
    assert lean.trajectory.xs.shape == (len(full.trajectory), 20, 0)
    with pytest.raises(ConfigError, match="record_points"):
        minimize(obj, X0, opt, record_points="no")
