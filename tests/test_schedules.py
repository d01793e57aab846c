"""Learning-rate schedules against torch.lr_scheduler's recorded learning rates (never torch)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descentlab.errors import ConfigError
from descentlab.schedules import (
    SCHEDULERS,
    cosineannealinglr,
    exponentiallr,
    linearlr,
    multisteplr,
    onecyclelr,
    reducelronplateau,
    steplr,
)

FAMILY = json.loads((Path(__file__).parent / "data" / "torch_family.json").read_text())


def _make(case: dict):
    return SCHEDULERS[case["scheduler"]](**case["parameters"])


TABLE_CASES = [
    pytest.param(c, id=f"{c['scheduler']}-{i}")
    for i, c in enumerate(FAMILY["schedulers"])
    if c["all_lrs"] is not None and c["scheduler"] != "reducelronplateau"
]


def test_fixture_covers_every_scheduler() -> None:
    assert {c["scheduler"] for c in FAMILY["schedulers"]} == set(SCHEDULERS)


@pytest.mark.parametrize("case", TABLE_CASES)
def test_table_equals_torch(case: dict) -> None:
    expected = np.array(case["all_lrs"])
    table = _make(case).table(len(expected), case["hyperparameters"]["lr"])
    np.testing.assert_allclose(table, expected, rtol=1e-12, atol=0)


def test_tables_against_closed_forms() -> None:
    """torch's recursions agree with the textbook closed forms (an independent check)."""
    e = np.arange(400)
    np.testing.assert_allclose(steplr(7, 0.5).table(400, 0.1), 0.1 * 0.5 ** (e // 7), rtol=1e-13)
    np.testing.assert_allclose(exponentiallr(0.99).table(400, 2.0), 2.0 * 0.99**e, rtol=1e-12)
    cos = 1e-3 + (0.1 - 1e-3) * (1 + np.cos(np.pi * e / 150)) / 2
    np.testing.assert_allclose(cosineannealinglr(150, 1e-3).table(400, 0.1), cos, rtol=1e-9)
    lin = 0.3 * (0.2 + 0.8 * np.minimum(e, 50) / 50)
    np.testing.assert_allclose(linearlr(0.2, 1.0, 50).table(400, 0.3), lin, rtol=1e-13)
    stones = multisteplr([10, 20, 20], 0.5).table(400, 1.0)
    np.testing.assert_array_equal(stones, np.where(e < 10, 1.0, np.where(e < 20, 0.5, 0.125)))


@given(
    peak=st.floats(1e-4, 10.0),
    steps=st.integers(10, 400),
    pct=st.floats(0.05, 0.95),
    three=st.booleans(),
)
@settings(max_examples=40, deadline=None)
def test_onecycle_peak_and_ends(peak: float, steps: int, pct: float, three: bool) -> None:
    sched = onecyclelr(peak, total_steps=steps, pct_start=pct, three_phase=three)
    if three and 2 * pct * steps - 2 <= pct * steps - 1 or pct * steps - 1 <= 0:
        with pytest.raises(ConfigError, match="empty phase"):
            sched.table(steps + 1, 1.0)
        return
    if three and steps - 1 <= 2 * pct * steps - 2 or steps - 1 <= pct * steps - 1:
        return
    table = sched.table(steps + 1, 1.0)
    assert table[0] == pytest.approx(peak / 25)
    assert table.max() <= peak * (1 + 1e-12)
    assert table[steps - 1] == pytest.approx(peak / 25 / 1e4)


def test_plateau_cuts_after_patience_and_cools_down() -> None:
    sched = reducelronplateau(factor=0.5, patience=2, cooldown=1, threshold=0.0)
    state = sched.init(2, 1.0)
    lrs = []
    # row 0 never improves after the first value; row 1 improves every time
    for f0, f1 in [(5, 5), (5, 4), (5, 3), (5, 2), (5, 1), (5, 0), (5, -1), (5, -2)]:
        lr, state = sched.step(state, np.array([f0, f1], dtype=float))
        lrs.append(lr.tolist())
    # row 0: bad at steps 2, 3, 4 -> cut at the 3rd; the cooldown swallows step 5; bad at 6, 7, 8
    # (torch 2.13 gives the same list for a constant loss of 5)
    assert [r[0] for r in lrs] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]
    assert [r[1] for r in lrs] == [1.0] * 8


def test_plateau_min_lr_and_eps() -> None:
    sched = reducelronplateau(factor=0.1, patience=0, min_lr=0.05)
    state = sched.init(1, 1.0)
    seen = []
    for _ in range(4):
        lr, state = sched.step(state, np.array([1.0]))
        seen.append(float(lr[0]))
    assert seen == [1.0, 0.1, 0.05, 0.05]


BAD = [
    (steplr, {"step_size": 0}, "0"),
    (steplr, {"step_size": 2.5}, "2.5"),
    (steplr, {"step_size": 3, "gamma": 0.0}, "0.0"),
    (steplr, {"step_size": 3, "gamma": 1.5}, "1.5"),
    (multisteplr, {"milestones": []}, "[]"),
    (multisteplr, {"milestones": [0, 3]}, "0"),
    (multisteplr, {"milestones": "3"}, "'3'"),
    (multisteplr, {"milestones": [3], "gamma": -1}, "-1"),
    (exponentiallr, {"gamma": math.nan}, "nan"),
    (exponentiallr, {"gamma": True}, "True"),
    (cosineannealinglr, {"T_max": 0}, "0"),
    (cosineannealinglr, {"T_max": 10, "eta_min": -1.0}, "-1.0"),
    (linearlr, {"start_factor": 0.0}, "0.0"),
    (linearlr, {"end_factor": 1.5}, "1.5"),
    (linearlr, {"total_iters": 0}, "0"),
    (onecyclelr, {"max_lr": 0.0}, "0.0"),
    (onecyclelr, {"max_lr": 1.0, "total_steps": 1}, "1"),
    (onecyclelr, {"max_lr": 1.0, "pct_start": 1.0}, "1.0"),
    (onecyclelr, {"max_lr": 1.0, "anneal_strategy": "sin"}, "'sin'"),
    (onecyclelr, {"max_lr": 1.0, "div_factor": -2.0}, "-2.0"),
    (onecyclelr, {"max_lr": 1.0, "cycle_momentum": "yes"}, "'yes'"),
    (onecyclelr, {"max_lr": 1.0, "base_momentum": -0.1}, "-0.1"),
    (onecyclelr, {"max_lr": 1.0, "max_momentum": 1.0}, "1.0"),
    (onecyclelr, {"max_lr": 1.0, "three_phase": "yes"}, "'yes'"),
    (reducelronplateau, {"mode": "up"}, "'up'"),
    (reducelronplateau, {"factor": 1.0}, "1.0"),
    (reducelronplateau, {"patience": -1}, "-1"),
    (reducelronplateau, {"threshold_mode": "pct"}, "'pct'"),
    (reducelronplateau, {"cooldown": 1.5}, "1.5"),
    (reducelronplateau, {"min_lr": -1e-3}, "-0.001"),
]


@pytest.mark.parametrize(("factory", "kwargs", "quoted"), BAD)
def test_bad_settings_raise_config_error(factory, kwargs: dict, quoted: str) -> None:
    with pytest.raises(ConfigError) as info:
        factory(**kwargs)
    assert quoted in str(info.value) and "\n" not in str(info.value)


def test_onecycle_run_longer_than_cycle_is_refused() -> None:
    with pytest.raises(ConfigError, match="total_steps = 10"):
        onecyclelr(1.0, total_steps=10).table(12, 0.1)
    assert onecyclelr(1.0, total_steps=10).table(11, 0.1).shape == (11,)
    assert onecyclelr(1.0).table(300, 0.1).shape == (300,)  # None: the run's length


def test_table_checks_its_arguments() -> None:
    with pytest.raises(ConfigError, match="max_iter"):
        steplr(2).table(-1, 0.1)
    with pytest.raises(ConfigError, match="lr"):
        steplr(2).table(5, 0.0)
    assert steplr(2).table(0, 0.1).shape == (0,)


@pytest.mark.parametrize("three", [False, True])
@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_onecycle_momentum_mirrors_the_lr(three: bool, strategy: str) -> None:
    """Within each phase the momentum moves from max to base exactly as the lr moves from its
    low end to its peak (the same anneal at the same fraction): 1cycle's inverse relation."""
    sched = onecyclelr(2.0, total_steps=200, anneal_strategy=strategy, three_phase=three,
                       base_momentum=0.8, max_momentum=0.9, div_factor=10.0)  # fmt: skip
    lr, m = sched.table(200, 1.0), sched.momentum(200)
    up = int(0.3 * 200) - 1  # the end of the warm-up
    frac_lr = (lr[: up + 1] - 0.2) / (2.0 - 0.2)
    frac_m = (0.9 - m[: up + 1]) / (0.9 - 0.8)
    np.testing.assert_allclose(frac_m, frac_lr, rtol=0, atol=1e-12)
    assert m[0] == pytest.approx(0.9, abs=1e-15) and m[up] == pytest.approx(0.8, abs=1e-15)
    assert m[-1] == pytest.approx(0.9, abs=1e-15)
    assert onecyclelr(1.0, cycle_momentum=False).momentum is None


def test_cycle_momentum_changes_the_iterates_and_runs_on_the_general_loop() -> None:
    from descentlab.descent import minimize
    from descentlab.objective import as_objective
    from descentlab.optimizers import adagrad, adam, gd

    f = as_objective("rosenbrock")
    on = onecyclelr(0.05)
    r = minimize(f, [-1.2, 1.0], adam(lr=0.01), max_iter=100, scheduler=on)
    same = minimize(f, [-1.2, 1.0], adam(lr=0.01), max_iter=100, scheduler=on, engine="numpy")
    np.testing.assert_array_equal(r.x, same.x)
    off = minimize(f, [-1.2, 1.0], adam(lr=0.01), max_iter=100,
                   scheduler=onecyclelr(0.05, cycle_momentum=False))  # fmt: skip
    assert np.abs(r.x - off.x).max() > 1e-6
    with pytest.raises(ConfigError, match="cycles the momentum"):
        minimize(f, [-1.2, 1.0], adam(lr=0.01), max_iter=10, scheduler=on, engine="compiled")
    for opt in (gd(lr=0.01), adagrad()):
        with pytest.raises(ConfigError, match="no momentum or beta1"):
            minimize(f, [-1.2, 1.0], opt, max_iter=10, scheduler=on)


@pytest.mark.parametrize("schedule", [steplr(5), reducelronplateau()], ids=["table", "stateful"])
def test_a_scheduler_needs_an_optimizer_with_an_lr(schedule) -> None:
    # A hand-made optimizer with no lr among its settings: both kinds of scheduler refuse it
    # before the first step (one check, _base_lr), naming the optimizer.
    from descentlab.descent import minimize
    from descentlab.objective import Objective
    from descentlab.optimizers import gd

    bare = gd(lr=0.1)._replace(name="mine", hyperparameters={})
    f = Objective.from_formula("x^2")
    with pytest.raises(ConfigError, match=r"needs an optimizer with an lr \(mine has none\)"):
        minimize(f, [1.0], bare, max_iter=5, scheduler=schedule)
    assert minimize(f, [1.0], bare, max_iter=5).nit[0] == 5  # without a scheduler it runs


def test_a_schedule_at_lr_zero_pauses_the_row_and_does_not_stall_it() -> None:
    """Cosine annealing with eta_min 0 reaches lr 0 at T_max (torch goes on; see the torch trace
    ``cosineannealinglr`` T_max=100 in test_family): the row is not ended as stalled there."""
    from descentlab.descent import minimize
    from descentlab.objective import as_objective
    from descentlab.optimizers import adam
    from descentlab.result import Status

    f = as_objective("rosenbrock")
    cos = SCHEDULERS["cosineannealinglr"](T_max=10)
    r = minimize(f, [-1.2, 1.0], adam(lr=0.01), max_iter=30, scheduler=cos, record=1)
    assert r.status[0] == Status.MAX_ITER and r.nit[0] == 30
    lrs = r.trajectory.lrs[:, 0]
    assert lrs[11] == 0.0  # lrs[t] made xs[t]: the 11th step, after T_max = 10 steps
    np.testing.assert_array_equal(r.trajectory.xs[11], r.trajectory.xs[10])  # paused
    assert not np.array_equal(r.trajectory.xs[12], r.trajectory.xs[11])  # and going again
    with pytest.raises(ConfigError, match="reaches lr 0"):
        minimize(f, [-1.2, 1.0], adam(lr=0.01), max_iter=30, scheduler=cos, engine="compiled")
