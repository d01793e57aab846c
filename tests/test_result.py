"""The Result record: statuses, labels, messages, success, best, rows and the trajectory."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from descentlab.result import STATUS_MESSAGES, Cause, Result, Status, StopRule, Trajectory

RULE = StopRule(max_iter=100_000, grad_tol=1e-12, f_tol=1e-9, x_tol=1e-7)


def make(statuses, funs, *, detail=None, cause=None, diverged_at=None, nit=None) -> Result:
    k = len(statuses)
    return Result(
        x=np.arange(k, dtype=float)[:, None] * np.ones((1, 2)),
        fun=np.array(funs, dtype=float),
        grad_norm=np.full(k, 1e-3),
        status=np.array([int(s) for s in statuses]),
        nit=np.array(nit if nit is not None else [4321] * k),
        nfev=np.full(k, 4322),
        diverged_at=np.array(diverged_at if diverged_at is not None else [-1] * k),
        trajectory=None,
        detail=np.array(detail if detail is not None else [3.2e-13] * k),
        cause=np.array(cause if cause is not None else [0] * k, dtype=np.int8),
        stop=RULE,
    )


def test_labels_are_the_cli_strings() -> None:
    assert [s.label for s in Status] == [
        "converged",
        "converged_f",
        "converged_x",
        "max_iter",
        "diverged",
        "stopped",
        "precision_loss",
        "stalled",
        "small_step",
    ]
    assert len({s.label for s in Status}) == len(Status)  # counting by label is counting
    assert [s.converged for s in Status] == [True] * 3 + [False] * 6
    assert set(STATUS_MESSAGES) == set(Status)
    for status, text in STATUS_MESSAGES.items():
        assert text.startswith(status.label + ":")


def test_messages_carry_the_numbers() -> None:
    r = make(
        [Status.CONVERGED_GRAD, Status.CONVERGED_F, Status.CONVERGED_X, Status.MAX_ITER],
        [1.0, 2.0, 3.0, 4.0],
        detail=[3.2e-13, 5e-10, 2e-8, 1e-3],
        nit=[4321, 1, 12, 100_000],
    )
    assert r.message == [
        "converged: gradient norm 3.2e-13 < grad_tol 1e-12 after 4,321 iterations",
        "converged_f: |f_k - f_(k-1)| = 5e-10 < f_tol 1e-09 after 1 iteration",
        "converged_x: |x_k - x_(k-1)| = 2e-08 < x_tol 1e-07 after 12 iterations",
        "max_iter: reached max_iter 100,000 with gradient norm 0.001",
    ]


def test_diverged_messages() -> None:
    r = make(
        [Status.DIVERGED] * 4,
        [1.0, 2.0, 3.0, 4.0],
        detail=[np.inf, np.nan, 2.5e151, 3e160],
        cause=[Cause.F, Cause.GRAD, Cause.F, Cause.X],
        diverged_at=[37, 2, 1000, 5],
    )
    assert r.message == [
        "diverged at iteration 37: f is inf (the row keeps iteration 36, f = 1)",
        "diverged at iteration 2: the gradient is nan (the row keeps iteration 1, f = 2)",
        "diverged at iteration 1,000: f = 2.5e+151, |f| > 1e+150 (the row keeps iteration 999, "
        "f = 3)",
        "diverged at iteration 5: x_i = 3e+160, |x_i| > 1e+150 (the row keeps iteration 4, f = 4)",
    ]
    negative = make([Status.DIVERGED], [-1e149], detail=[-1.04e150], cause=[Cause.F])
    negative = dataclasses.replace(negative, diverged_at=np.array([0]))
    assert negative.message == ["diverged at iteration 0: f = -1.04e+150, |f| > 1e+150"]


def test_new_status_messages_carry_the_numbers() -> None:
    r = make(
        [Status.PRECISION_LOSS, Status.STALLED, Status.SMALL_STEP],
        [1.0, 2.0, 3.0],
        detail=[8e-8, 1e-9, 3e-4],
        nit=[0, 7, 81],
    )
    r = dataclasses.replace(r, grad_norm=np.array([8e-8, 1e-9, 104.0]))
    assert r.message[0].startswith("precision_loss: ") and "gradient norm 8e-08" in r.message[0]
    assert r.message[0].endswith("after 0 iterations")
    assert (
        r.message[1]
        == "stalled: the step left x unchanged at gradient norm 1e-09, after 7 iterations"
    )
    assert r.message[2].startswith("small_step (not stationary): |x_k - x_(k-1)| = 0.0003")
    assert "gradient norm 104" in r.message[2]
    outside = dataclasses.replace(r, in_domain=np.array([True, False, True]))
    assert outside.message[1].endswith("(ended outside the domain)")
    assert not outside.message[0].endswith("(ended outside the domain)")


def test_messages_of_a_block_of_mixed_rows_are_each_rows_own() -> None:
    # messages() formats a block's rows grouped by status, then puts each text back in its row:
    # every row of any block (not starting at 0) gets the sentence of that row alone.
    statuses = [s for s in Status for _ in range(3)]
    order = np.random.default_rng(1).permutation(len(statuses))
    k = len(statuses)
    r = make(
        [statuses[j] for j in order],
        np.linspace(-2.0, 3.0, k),
        detail=np.geomspace(1e-14, 1e3, k),
        cause=[int(c) for c in np.resize(list(Cause), k)],
        diverged_at=np.arange(k) - 1,
        nit=np.arange(k) * 1001,
    )
    r = dataclasses.replace(r, in_domain=np.arange(k) % 4 != 1, grad_norm=np.linspace(1, 9, k))
    alone = [r.row(i).message[0] for i in range(k)]
    assert len(set(alone)) == k
    assert r.message == alone
    assert r.messages(range(5, 19)) == alone[5:19]
    assert r.messages(range(7, 7)) == []
    stopped = make([Status.STOPPED], [0.0], nit=[1])
    assert stopped.message == ["stopped: the callback stopped the run after 1 iteration"]


def test_messages_without_details_fall_back_to_the_table() -> None:
    r = dataclasses.replace(make([Status.STOPPED], [0.0]), detail=None)
    assert r.message == [STATUS_MESSAGES[Status.STOPPED]]


def test_success_and_best_never_pick_a_diverged_row() -> None:
    r = make([Status.DIVERGED, Status.MAX_ITER, Status.CONVERGED_F], [-1e100, 5.0, 7.0])
    assert r.success.tolist() == [False, False, True]
    assert r.best == 1  # the lowest f among rows that did not diverge
    assert make([Status.DIVERGED, Status.DIVERGED], [0.0, 1.0]).best is None


def test_shape_properties_and_row() -> None:
    xs = np.arange(3 * 2 * 2, dtype=float).reshape(3, 2, 2)
    traj = Trajectory(xs, xs[..., 0], np.array([0, 1, 2]))
    r = dataclasses.replace(
        make([Status.CONVERGED_GRAD, Status.MAX_ITER], [1.0, 2.0]), trajectory=traj
    )
    assert (r.k, r.n) == (2, 2)
    one = r.row(1)
    assert one.k == 1 and one.fun.tolist() == [2.0] and one.message == [r.message[1]]
    np.testing.assert_array_equal(one.trajectory.xs[:, 0], traj.path(1))
    np.testing.assert_array_equal(r.row(-1).x, r.x[1:])
    assert len(traj) == 3
    with pytest.raises(IndexError, match="5"):
        r.row(5)


def test_records_are_frozen() -> None:
    r = make([Status.CONVERGED_GRAD], [1.0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.x = np.zeros((1, 2))  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Trajectory(np.zeros((1, 1, 1)), np.zeros((1, 1)), np.zeros(1, int)).its = None  # type: ignore[misc]


def test_repr_puts_the_important_fields_first() -> None:
    text = repr(make([Status.CONVERGED_GRAD, Status.DIVERGED], [1.0, 2.0]))
    order = ["x:", "fun:", "success:", "status:", "grad_norm:", "nit:", "nfev:", "trajectory:"]
    positions = [text.index(key) for key in order]
    assert positions == sorted(positions)
    assert "[converged, diverged]" in text
