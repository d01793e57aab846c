"""The rest of torch.optim's family (AdamW, NAdam, RAdam, Adamax, Adadelta, Rprop, ASGD), the
options that change the first rules (weight decay, dampening, amsgrad, centered, lr_decay,
maximize, ...) and every learning-rate schedule, against 500-step float64 traces recorded from
torch 2.13 by tools/make_torch_reference.py (this file never imports torch)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hand_objectives import Himmelblau, Negated, Quartic, Rosenbrock

from descentlab.descent import minimize
from descentlab.errors import ConfigError
from descentlab.optimizers import (
    OPTIMIZERS,
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    asgd,
    gd,
    momentum,
    nadam,
    nesterov,
    radam,
    rmsprop,
    rprop,
)
from descentlab.result import Status
from descentlab.schedules import SCHEDULERS

FAMILY = json.loads((Path(__file__).parent / "data" / "torch_family.json").read_text())
FUNCTIONS = {"rosenbrock": Rosenbrock(), "quartic": Quartic(), "himmelblau": Himmelblau()}
RTOL = 1e-12


def _hyper(raw: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}


def _run(case: dict, opt, scheduler=None):
    objective = FUNCTIONS[case["function"]]
    if case.get("negated"):
        objective = Negated(objective)
    steps = case["steps"]
    r = minimize(
        objective,
        case["x0"],
        opt,
        max_iter=steps[-1],
        grad_tol=0.0,
        record=True,
        scheduler=scheduler,
    )
    # a row whose step changes nothing any more stops (stalled) and keeps its point, as torch's
    # parameters do from there on
    assert r.nit[0] == steps[-1] or Status(r.status[0]) == Status.STALLED
    return r


def _at(r, steps: list[int]) -> np.ndarray:
    """The recorded iterates at iterations ``steps`` (the last one after a row stopped)."""
    its = r.trajectory.its.tolist()
    return r.trajectory.xs[[its.index(min(s, its[-1])) for s in steps], 0, :]


def _cases(key: str) -> list:
    return [
        pytest.param(c, id=f"{c.get('scheduler', c.get('optimizer'))}-{c['function']}-{i}")
        for i, c in enumerate(FAMILY[key])
    ]


def test_fixture_covers_the_family() -> None:
    assert FAMILY["torch_version"].startswith("2.13.0") and FAMILY["dtype"] == "float64"
    names = {c["optimizer"] for c in FAMILY["cases"]}
    first_order = {n for n, f in OPTIMIZERS.items() if f().kernel is not None}
    assert names == first_order
    options = {k for c in FAMILY["cases"] for k in c["hyperparameters"]}
    assert {
        "weight_decay",
        "dampening",
        "amsgrad",
        "centered",
        "momentum",
        "lr_decay",
        "initial_accumulator_value",
        "maximize",
        "decoupled_weight_decay",
        "momentum_decay",
        "etas",
        "step_sizes",
    } <= options
    assert {c["function"] for c in FAMILY["cases"]} == set(FUNCTIONS)


@pytest.mark.parametrize("case", _cases("cases"))
def test_iterates_match_torch(case: dict) -> None:
    opt = OPTIMIZERS[case["optimizer"]](**_hyper(case["hyperparameters"]))
    r = _run(case, opt)
    ours = _at(r, case["steps"])
    np.testing.assert_allclose(ours, np.array(case["iterates"]), rtol=RTOL, atol=0)


@pytest.mark.parametrize("case", _cases("schedulers"))
def test_scheduled_iterates_and_lrs_match_torch(case: dict) -> None:
    scheduler = SCHEDULERS[case["scheduler"]](**case["parameters"])
    opt = OPTIMIZERS[case["optimizer"]](**_hyper(case["hyperparameters"]))
    r = _run(case, opt, scheduler)
    steps = case["steps"]
    ours = _at(r, steps)
    np.testing.assert_allclose(ours, np.array(case["iterates"]), rtol=RTOL, atol=0)
    # lrs[t] is the lr of the step that led to iterate t; torch's list is per step from 1
    lrs = r.trajectory.lrs[:, 0]
    expected = case["all_lrs"] or case["lrs"]
    got = lrs[1:] if case["all_lrs"] else lrs[[s + 1 for s in steps if s + 1 < len(lrs)]]
    np.testing.assert_allclose(got, np.array(expected[: len(got)]), rtol=RTOL, atol=0)


def test_options_change_the_rule() -> None:
    """Each option moves the iterates (a flag that is ignored would pass the trace tests
    only if the trace did not use it; this catches an option wired to nothing)."""
    f = Rosenbrock()
    pairs = [
        (momentum(lr=1e-3), momentum(lr=1e-3, dampening=0.5)),
        (gd(lr=1e-3), gd(lr=1e-3, weight_decay=0.1)),
        (adam(lr=0.01), adam(lr=0.01, amsgrad=True)),
        (rmsprop(lr=0.01), rmsprop(lr=0.01, centered=True)),
        (rmsprop(lr=0.01), rmsprop(lr=0.01, momentum=0.5)),
        (adagrad(lr=0.1), adagrad(lr=0.1, lr_decay=0.1)),
        (adagrad(lr=0.1), adagrad(lr=0.1, initial_accumulator_value=1.0)),
        (nadam(), nadam(momentum_decay=0.1)),
        (radam(weight_decay=0.1), radam(weight_decay=0.1, decoupled_weight_decay=True)),
        (adamw(weight_decay=0.0), adamw()),
    ]
    for a, b in pairs:
        xa = minimize(f, [-1.2, 1.0], a, max_iter=50, grad_tol=0.0).x
        xb = minimize(f, [-1.2, 1.0], b, max_iter=50, grad_tol=0.0).x
        assert not np.array_equal(xa, xb), b.hyperparameters


def test_adamw_without_decay_is_adam_and_maximize_climbs() -> None:
    f = Rosenbrock()
    a = minimize(f, [-1.2, 1.0], adam(lr=0.01), max_iter=100, grad_tol=0.0).x
    w = minimize(f, [-1.2, 1.0], adamw(lr=0.01, weight_decay=0.0), max_iter=100, grad_tol=0.0).x
    np.testing.assert_array_equal(a, w)
    up = minimize(Negated(f), [-1.2, 1.0], adam(lr=0.01, maximize=True), max_iter=100).x
    np.testing.assert_array_equal(up, a)  # maximizing -f is minimizing f, to the last bit


def test_rprop_moves_each_coordinate_by_its_step_size() -> None:
    opt = rprop(lr=0.1, etas=(0.5, 2.0), step_sizes=(1e-3, 0.3))
    X = np.array([[1.0, -1.0]])
    G = np.array([[3.0, -0.001]])
    step, state = opt.update(G, opt.init(X), X)
    np.testing.assert_array_equal(step, [[-0.1, 0.1]])  # sign only, lr per coordinate
    step, state = opt.update(G, state, X + step)
    np.testing.assert_array_equal(step, [[-0.2, 0.2]])  # same sign: grows (etaplus)
    step, state = opt.update(G, state, X)
    np.testing.assert_array_equal(step, [[-0.3, 0.3]])  # clipped at the largest step
    step, state = opt.update(-G, state, X)
    np.testing.assert_array_equal(step, [[0.0, 0.0]])  # sign change: shrink and wait
    np.testing.assert_array_equal(state.step_size, [[0.15, 0.15]])


def test_batched_rows_equal_solo_runs() -> None:
    f = Himmelblau()
    starts = np.array([[0.5, -1.5], [-3.0, 3.0], [4.0, 4.0]])
    for name in ("adamw", "nadam", "radam", "adamax", "adadelta", "rprop", "asgd"):
        opt = OPTIMIZERS[name]()
        batch = minimize(f, starts, opt, max_iter=200, grad_tol=0.0).x
        for i, x0 in enumerate(starts):
            np.testing.assert_array_equal(
                minimize(f, x0, opt, max_iter=200, grad_tol=0.0).x[0], batch[i]
            )


BAD = [
    (gd, {"weight_decay": -0.1}, "-0.1"),
    (gd, {"maximize": 1}, "1"),
    (momentum, {"dampening": 1.5}, "1.5"),
    (nesterov, {"dampening": 0.1}, "0.1"),
    (adagrad, {"lr_decay": -1.0}, "-1.0"),
    (adagrad, {"initial_accumulator_value": math.nan}, "nan"),
    (rmsprop, {"centered": "yes"}, "'yes'"),
    (rmsprop, {"momentum": -0.5}, "-0.5"),
    (adam, {"amsgrad": None}, "None"),
    (adamw, {"weight_decay": math.inf}, "inf"),
    (adamw, {"betas": (0.9, 1.0)}, "1.0"),
    (nadam, {"momentum_decay": -0.004}, "-0.004"),
    (nadam, {"decoupled_weight_decay": 0}, "0"),
    (radam, {"betas": (1.2, 0.9)}, "1.2"),
    (adamax, {"eps": 0.0}, "0.0"),
    (adadelta, {"rho": 1.0}, "1.0"),
    (adadelta, {"lr": 0.0}, "0.0"),
    (rprop, {"etas": (1.5, 1.2)}, "1.5"),
    (rprop, {"etas": (0.5, 0.9)}, "0.9"),
    (rprop, {"etas": 0.5}, "0.5"),
    (rprop, {"step_sizes": (1e-3, 1e-4)}, "0.0001"),
    (rprop, {"step_sizes": (-1.0, 1.0)}, "-1.0"),
    (asgd, {"lambd": -1e-4}, "-0.0001"),
    (asgd, {"t0": math.nan}, "nan"),
]


@pytest.mark.parametrize(("factory", "kwargs", "quoted"), BAD)
def test_bad_settings_raise_config_error(factory, kwargs: dict, quoted: str) -> None:
    with pytest.raises(ConfigError) as info:
        factory(**kwargs)
    assert quoted in str(info.value) and "\n" not in str(info.value)
