"""Honest stops, bounds and schedules in minimize (issue #10 sections 1 and 3, issue #12's hook).

References: the catalogue's own functions and starts, closed-form iterates of gradient descent on
a quadratic, and the definition of the projected gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.descent import minimize
from descentlab.errors import ConfigError
from descentlab.multistart import group_minima
from descentlab.objective import Objective
from descentlab.optimizers import OPTIMIZERS, adam, gd, linesearch, rprop
from descentlab.problems import PROBLEMS
from descentlab.result import Status
from descentlab.secondorder import SECOND_ORDER  # no box: their models assume none


class Shifted:
    """f = sum (x_i - c_i)^2, minimum at c (elementwise)."""

    def __init__(self, c):
        self.c = np.asarray(c, dtype=float)
        self.dim = self.c.size

    def value(self, X):
        return ((X - self.c) ** 2).sum(axis=1)

    def grad(self, X):
        return 2 * (X - self.c)

    def value_and_grad(self, X):
        return self.value(X), self.grad(X)

    def hessian(self, X):
        return np.broadcast_to(2 * np.eye(self.dim), (X.shape[0], self.dim, self.dim)).copy()


class Linear:
    """f = x: gradient 1 everywhere."""

    dim = 1

    def value(self, X):
        return X[:, 0].copy()

    def grad(self, X):
        return np.ones_like(X)

    def value_and_grad(self, X):
        return self.value(X), self.grad(X)


# --- 1. stops --------------------------------------------------------------------------------


def test_linesearch_at_the_precision_limit_stops_with_precision_loss() -> None:
    obj = Objective.from_problem("styblinski-tang")
    # grad_tol 1e-13 is below what f's rounding lets the line search reach here.
    r = minimize(obj, [-2.9035, -2.9035], linesearch(), max_iter=100_000, grad_tol=1e-13)
    assert r.status[0] == Status.PRECISION_LOSS
    assert not r.success[0]
    assert r.nit[0] < 100  # not 100,000 iterations at the precision limit
    gn = float(np.linalg.norm(obj.grad(r.x)[0]))
    assert r.grad_norm[0] == pytest.approx(gn, rel=1e-12)
    assert f"gradient norm {gn:.3g}" in r.message[0]
    # The step that failed was not taken: x is where the last accepted step left it.
    assert r.fun[0] == obj.value_and_grad(r.x)[0][0]


def test_a_failed_line_search_takes_no_step() -> None:
    opt = linesearch(max_backtracks=2)
    X = np.array([[3.0]])
    value_fn = lambda Z: Z[:, 0] ** 2  # noqa: E731  (f' = 6 at 3; the gradient given is wrong)
    step, state = opt.update(np.array([[-6.0]]), opt.init(X), X, value_fn=value_fn)
    assert step[0, 0] == 0.0 and state.failed[0] and np.isnan(state.lr[0])
    assert state.nfev[0] == 4  # f(x) and three trials


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_linesearch_never_increases_f(name: str) -> None:
    problem = PROBLEMS[name]
    obj = Objective.from_problem(name)
    starts = np.array(problem.starts, dtype=float)
    r = minimize(obj, starts, linesearch(), max_iter=300, record=True)
    # f as the line search sees it (objective.value) at every recorded iterate.
    xs = r.trajectory.xs
    fs = obj.value(xs.reshape(-1, obj.dim)).reshape(xs.shape[:2])
    ok = r.status != Status.DIVERGED
    assert (np.diff(fs[:, ok], axis=0) <= 0).all()
    assert set(r.status.tolist()) <= {s.value for s in Status} - {Status.STOPPED}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_step_that_changes_nothing_stalls_every_rule(name: str) -> None:
    # Decay towards 0 moves x even where the gradient is 0: switch it off (AdamW, ASGD).
    no_decay = {"adamw": {"weight_decay": 0.0}, "asgd": {"lambd": 0.0}}
    opt = OPTIMIZERS[name](**no_decay.get(name, {}))
    # Row 0 starts at the minimum (gradient 0, so every rule's step is 0); grad_tol=0 keeps it.
    r = minimize(Shifted([1.0]), [[1.0], [3.0]], opt, grad_tol=0.0, max_iter=20)
    assert r.status[0] == Status.STALLED and r.nit[0] == 0 and r.x[0, 0] == 1.0
    assert (
        r.message[0] == "stalled: the step left x unchanged at gradient norm 0, after 0 iterations"
    )
    assert r.status[1] != Status.STALLED or r.nit[1] > 0


def test_a_step_below_the_spacing_of_x_stalls() -> None:
    # x = 1e17: x - 1 rounds back to x (the spacing of floats there is 16).
    r = minimize(Linear(), [[1e17], [0.0]], gd(lr=1.0), max_iter=10)
    assert r.status.tolist() == [Status.STALLED, Status.MAX_ITER]
    assert r.nit.tolist() == [0, 10] and r.grad_norm[0] == 1.0


def test_x_tol_at_a_steep_point_is_a_small_step_not_convergence() -> None:
    obj = Objective.from_problem("rosenbrock")
    r = minimize(obj, [-1.2, 1.0], adam(lr=0.001), x_tol=1e-3)
    assert r.status[0] == Status.SMALL_STEP and not r.success[0]
    assert r.grad_norm[0] > 50
    assert r.message[0].startswith("small_step (not stationary)")
    assert f"gradient norm {r.grad_norm[0]:.3g}" in r.message[0]
    assert group_minima(r) == []  # never listed as a minimum


def test_x_tol_near_a_stationary_point_converges() -> None:
    r = minimize(Shifted([0.0]), [1.0], gd(lr=0.05), grad_tol=0.0, x_tol=1e-3)
    # |x_k - x_(k-1)| = 0.1 * 0.9^(k-1) * 1 < 1e-3 first at k = 45, where |g| = 2 * 0.9^45 < 0.0316.
    assert r.status[0] == Status.CONVERGED_X and r.nit[0] == 45
    assert r.grad_norm[0] < r.stop.stationary_tol


def test_callback_answer_np_true_stops() -> None:
    r = minimize(Shifted([0.0]), [1.0], gd(lr=1e-4), callback=lambda t, X, F: np.bool_(t == 3))
    assert r.status[0] == Status.STOPPED and r.nit[0] == 3


# --- 3. bounds and domains -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(set(OPTIMIZERS) - {"rprop", *SECOND_ORDER}))
def test_bounds_keep_every_iterate_and_a_boundary_minimum_converges(name: str) -> None:
    # decay towards 0 (AdamW, ASGD) would move the boxed minimum: switched off here
    extra = {"adamw": {"weight_decay": 0.0}, "asgd": {"lambd": 0.0}}.get(name, {})
    opt = OPTIMIZERS[name](lr=0.1, **extra) if name != "linesearch" else linesearch()
    obj = Shifted([3.0, 0.5])  # the minimum (3, 0.5) lies outside x <= 1
    starts = np.array([[0.0, 0.0], [-1.0, 1.0], [0.9, -1.0]])
    r = minimize(obj, starts, opt, bounds=[(-1.0, 1.0), (-1.0, 1.0)], max_iter=20_000, record=True)
    xs = r.trajectory.xs
    assert (xs >= -1.0).all() and (xs <= 1.0).all()
    assert (r.status == Status.CONVERGED_GRAD).all(), r.message
    np.testing.assert_allclose(r.x[:, 0], 1.0)  # on the boundary
    np.testing.assert_allclose(r.x[:, 1], 0.5, atol=1e-8)
    # Batched equals solo, row by row, bit for bit.
    for i in range(3):
        solo = minimize(obj, starts[i], opt, bounds=[(-1.0, 1.0), (-1.0, 1.0)], max_iter=20_000)
        np.testing.assert_array_equal(solo.x[0], r.x[i])
        assert solo.nit[0] == r.nit[i]


def test_rprop_stays_in_the_box_and_reaches_the_boundary_minimum() -> None:
    # Rprop without backtracking ends circling the minimum with tiny steps: close, not exact.
    obj = Shifted([3.0, 0.5])
    r = minimize(
        obj,
        [[0.0, 0.0], [-1.0, 1.0]],
        rprop(lr=0.1),
        bounds=[(-1, 1), (-1, 1)],
        max_iter=2000,
        record=True,
    )
    assert (np.abs(r.trajectory.xs) <= 1.0).all()
    np.testing.assert_allclose(r.x, [[1.0, 0.5], [1.0, 0.5]], atol=1e-3)


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_order_rules_refuse_bounds(name: str) -> None:
    with pytest.raises(ConfigError, match="bounds"):
        minimize(Shifted([3.0, 0.5]), [0.0, 0.0], OPTIMIZERS[name](), bounds=[(-1, 1), (-1, 1)])


def test_bounds_domain_keeps_forrester_inside() -> None:
    obj = Objective.from_problem("forrester")
    free = minimize(obj, [0.5], linesearch())
    assert free.status[0] == Status.DIVERGED or not free.in_domain[0]
    boxed = minimize(obj, [0.5], linesearch(), bounds="domain")
    assert boxed.in_domain[0] and 0.0 <= boxed.x[0, 0] <= 1.0
    # It reaches the global minimum, at the precision f allows.
    assert boxed.status[0] in (Status.CONVERGED_GRAD, Status.PRECISION_LOSS)
    minimum = obj.problem.minima[0]
    assert abs(boxed.x[0, 0] - minimum.x[0]) < 1e-4


def test_gramacy_lee_reports_leaving_its_domain() -> None:
    obj = Objective.from_problem("gramacy-lee")
    free = minimize(obj, [1.0], linesearch())
    lo, hi = obj.domain[0]
    assert free.in_domain[0] == (lo <= free.x[0, 0] <= hi)
    assert not free.in_domain[0]
    assert free.message[0].endswith("(ended outside the domain)")
    boxed = minimize(obj, [1.0], linesearch(), bounds="domain")
    assert boxed.in_domain[0] and lo <= boxed.x[0, 0] <= hi
    assert boxed.fun[0] >= -0.869011134989500 - 1e-9  # not below the listed global minimum


def test_no_domain_means_no_in_domain() -> None:
    assert minimize(Shifted([0.0]), [1.0], gd()).in_domain is None


BAD_BOUNDS = [
    ((2.0, 1.0), "lo"),
    ([(0.0, 1.0)] * 3, "3"),
    ("box", "box"),
    ((0.0, np.nan), "nan"),
]


@pytest.mark.parametrize(("bounds", "quoted"), BAD_BOUNDS)
def test_bad_bounds_raise(bounds, quoted: str) -> None:
    with pytest.raises(ConfigError) as info:
        minimize(Shifted([0.0, 0.0]), [1.0, 1.0], gd(), bounds=bounds)
    assert "\n" not in str(info.value)


def test_domain_bounds_need_a_domain() -> None:
    with pytest.raises(ConfigError, match="domain"):
        minimize(Shifted([0.0]), [1.0], gd(), bounds="domain")


# --- schedules ------------------------------------------------------------------------------


class Halving:
    """A closed-form schedule: lr_t = lr0 / 2^(t-1)."""

    def __init__(self, lr0: float) -> None:
        self.lr0 = lr0

    def table(self, max_iter: int, lr: float) -> np.ndarray:
        return self.lr0 / 2.0 ** np.arange(max_iter)


class Plateau:
    """Per-row state: halve a row's lr when its f did not decrease by 10% (a toy plateau)."""

    def init(self, k: int, lr: float):
        return (np.full(k, lr), np.full(k, np.inf))

    def step(self, state, F):
        lr, best = state
        worse = 0.9 * best < F
        lr = np.where(worse, lr / 2, lr)
        return lr, (lr, np.minimum(best, F))


def test_scheduler_table_sets_each_step() -> None:
    r = minimize(Shifted([0.0]), [1.0], gd(lr=0.3), scheduler=Halving(0.3), max_iter=8, record=True)
    x = 1.0
    for t in range(1, 9):
        x = x - (0.3 / 2.0 ** (t - 1)) * (2 * x)
        assert r.trajectory.xs[t, 0, 0] == x
    np.testing.assert_array_equal(r.trajectory.lrs[1:, 0], 0.3 / 2.0 ** np.arange(8))
    assert np.isnan(r.trajectory.lrs[0, 0])


def test_stateful_scheduler_runs_per_row() -> None:
    obj = Shifted([0.0])
    r = minimize(obj, [[1.0], [-4.0]], gd(lr=0.1), scheduler=Plateau(), max_iter=30, record=True)
    lrs = r.trajectory.lrs
    assert lrs.shape == (31, 2) and (lrs[1] == 0.1).all()
    # Rows are independent: each equals its solo run.
    for i, x0 in enumerate([1.0, -4.0]):
        solo = minimize(obj, [x0], gd(lr=0.1), scheduler=Plateau(), max_iter=30, record=True)
        np.testing.assert_array_equal(solo.trajectory.lrs[:, 0], lrs[:, i])
        np.testing.assert_array_equal(solo.x[0], r.x[i])


@pytest.mark.parametrize(
    "scheduler",
    [object(), type("T", (), {"table": lambda self, m, lr: np.ones(m + 1)})(), Halving(-1.0)],
)
def test_bad_schedulers_raise(scheduler) -> None:
    with pytest.raises(ConfigError, match="scheduler"):
        minimize(Shifted([0.0]), [1.0], gd(), scheduler=scheduler, max_iter=5)
