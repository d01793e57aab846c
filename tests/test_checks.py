"""descentlab.checks: one answer to "is this a number in range?" for every public function.

The reference is Python's own arithmetic: a value passes exactly when it is an int or float
(Python's or NumPy's, never a bool), converts to a finite float and satisfies the bounds.
The regressions at the end are the disagreements the module replaced.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hand_objectives import Quartic
from hypothesis import given
from hypothesis import strategies as st

from descentlab import checks
from descentlab.descent import minimize
from descentlab.errors import ConfigError
from descentlab.multistart import group_minima, match_known, random_starts
from descentlab.objective import Objective
from descentlab.optimizers import adam, gd, linesearch, momentum, rmsprop
from descentlab.problems import get

REALS = [0, 1, -3, 2.5, np.int8(3), np.int64(-2), np.uint16(7), np.float32(0.5), np.float64(1e-300)]
NOT_REALS = [True, False, np.bool_(True), "1", b"1", 1j, None, [1.0], (1.0,), np.array(1.0),
             np.array([1.0, 2.0]), {1.0}, object()]  # fmt: skip


@pytest.mark.parametrize("value", REALS, ids=repr)
def test_reals_are_real(value) -> None:
    assert checks.is_real(value)
    assert checks.real("v", value) == float(value)
    assert type(checks.real("v", value)) is float


def _stable_id(value: object) -> str:
    """A test id that is the same in every process (``repr(object())`` holds an address)."""
    return type(value).__name__ if type(value) is object else repr(value)


@pytest.mark.parametrize("value", NOT_REALS, ids=_stable_id)
def test_everything_else_is_refused_by_every_numeric_check(value) -> None:
    assert not checks.is_real(value)
    for check in (checks.real, checks.positive, checks.non_negative):
        with pytest.raises(ConfigError, match=r"^v must be .* \(got "):
            check("v", value)
    with pytest.raises(ConfigError, match="^v must be a number in"):
        checks.in_range("v", value, 0, 1)
    with pytest.raises(ConfigError, match="^v must be an integer"):
        checks.integer("v", value)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, np.float64("nan"), 10**400])
def test_non_finite_and_overflowing_numbers_are_refused(value) -> None:
    for check in (checks.real, checks.positive, checks.non_negative):
        with pytest.raises(ConfigError, match=r"finite number"):
            check("v", value)
    with pytest.raises(ConfigError, match=r"must be a number in \[0, 1\]"):
        checks.in_range("v", value, 0, 1)


@given(
    st.one_of(st.floats(allow_nan=True), st.integers(-(10**30), 10**30)),
    st.floats(-10, 10),
    st.floats(-10, 10),
    st.booleans(),
    st.booleans(),
)
def test_in_range_agrees_with_python_comparisons(value, lo, hi, lo_open, hi_open) -> None:
    x = float(value)
    inside = (
        math.isfinite(x) and (lo < x if lo_open else lo <= x) and (x < hi if hi_open else x <= hi)
    )
    if inside:
        assert checks.in_range("v", value, lo, hi, lo_open=lo_open, hi_open=hi_open) == x
    else:
        with pytest.raises(ConfigError, match=r"^v must be a number in [\[(].*[\])] \(got "):
            checks.in_range("v", value, lo, hi, lo_open=lo_open, hi_open=hi_open)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_positive_and_non_negative_agree_with_python(value: float) -> None:
    for check, ok in ((checks.positive, value > 0), (checks.non_negative, value >= 0)):
        if math.isfinite(value) and ok:
            assert check("v", value) == value
        else:
            with pytest.raises(ConfigError):
                check("v", value)


def test_the_messages_say_the_bound_and_quote_the_value() -> None:
    with pytest.raises(ConfigError, match=r"^lr must be a finite number > 0 \(got 0\)$"):
        checks.positive("lr", 0)
    with pytest.raises(ConfigError, match=r"^f_tol must be a finite number >= 0 \(got -1\.0\)$"):
        checks.non_negative("f_tol", -1.0)
    with pytest.raises(ConfigError, match=r"^beta1 must be a number in \[0, 1\) \(got 1\)$"):
        checks.in_range("beta1", 1, 0, 1, hi_open=True)
    with pytest.raises(ConfigError, match=r"^c must be a number in \(0, 1\) \(got 0\.0\)$"):
        checks.in_range("c", 0.0, 0, 1, lo_open=True, hi_open=True)
    with pytest.raises(ConfigError, match=r"^k must be an integer between 1 and 1,000 \(got 0\)$"):
        checks.integer("k", 0, lo=1, hi=1000)
    with pytest.raises(ConfigError, match=r"^k must be an integer >= 1 \(got 2\.0\)$"):
        checks.integer("k", 2.0, lo=1)
    with pytest.raises(ConfigError, match=r"^k must be an integer <= 3 \(got 4\)$"):
        checks.integer("k", 4, hi=3)


@given(st.integers(-(10**20), 10**20), st.integers(-100, 100), st.integers(-100, 100))
def test_integer_agrees_with_python(value: int, lo: int, hi: int) -> None:
    if lo <= value <= hi:
        got = checks.integer("n", value, lo=lo, hi=hi)
        assert got == value and type(got) is int
    else:
        with pytest.raises(ConfigError):
            checks.integer("n", value, lo=lo, hi=hi)


def test_integer_takes_numpy_integers_and_refuses_whole_floats() -> None:
    assert checks.integer("n", np.int64(5), lo=0) == 5
    assert checks.integer("n", np.uint8(255)) == 255
    for value in (5.0, np.float64(5.0), True, np.bool_(False), "5"):
        with pytest.raises(ConfigError):
            checks.integer("n", value)


def test_choice() -> None:
    assert checks.choice("method", "central", ("forward", "central")) == "central"
    for value in ("Central", "", None, 1):
        with pytest.raises(ConfigError, match=r"unknown method .* \(one of forward, central\)"):
            checks.choice("method", value, ("forward", "central"))


# ------------------------------------------------------------------------------------------------
# The disagreements the module replaced: the same value now means the same everywhere


def _result():
    return minimize(Quartic(), [[-3.0], [0.5], [4.0]], gd(lr=0.001), max_iter=100_000)


def test_group_minima_takes_a_numpy_integer_tolerance() -> None:
    result = _result()
    assert [m.count for m in group_minima(result, tol=np.int64(1))] == [
        m.count for m in group_minima(result, tol=1.0)
    ]


@pytest.mark.parametrize("tol", [math.inf, math.nan, 0, -1e-3, True, "1e-3"])
def test_tolerances_of_grouping_and_matching_refuse_the_same_values(tol) -> None:
    result = _result()
    with pytest.raises(ConfigError, match="tol must be a finite number > 0"):
        group_minima(result, tol=tol)
    with pytest.raises(ConfigError, match="tol must be a finite number > 0"):
        match_known(group_minima(result), get("quartic"), tol=tol)


@pytest.mark.parametrize("record", [np.array([1, 2]), np.array(["auto"]), [True], 0, -1, 2.0])
def test_record_is_type_checked_before_it_is_compared(record) -> None:
    with pytest.raises(ConfigError, match="record must be"):
        minimize(Quartic(), [1.0], gd(lr=0.01), max_iter=1, record=record)


@pytest.mark.parametrize("name", ["grad_tol", "f_tol", "x_tol"])
@pytest.mark.parametrize("value", [-1e-9, math.inf, math.nan, True, "0"])
def test_stop_tolerances(name: str, value) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be a finite number >= 0"):
        minimize(Quartic(), [1.0], gd(lr=0.01), max_iter=1, **{name: value})


@pytest.mark.parametrize("value", [0, -1e-3, math.inf, math.nan, True, 10**400])
def test_every_step_size_refuses_the_same_values(value) -> None:
    for build in (lambda v: gd(lr=v), lambda v: adam(eps=v), lambda v: rmsprop(eps=v)):
        with pytest.raises(ConfigError, match=r"must be a finite number > 0"):
            build(value)
    with pytest.raises(ConfigError, match=r"h must be a finite number > 0"):
        Objective.from_function(lambda p: p[0] ** 2, 1, h=value)


def test_numpy_scalars_are_taken_wherever_a_number_is() -> None:
    assert gd(lr=np.float32(0.5)).hyperparameters["lr"] == 0.5
    assert momentum(momentum=np.int64(0)).hyperparameters["momentum"] == 0.0
    assert linesearch(max_backtracks=np.int16(3)).hyperparameters["max_backtracks"] == 3
    assert random_starts([(0, 1)], np.int64(4), seed=0).shape == (4, 1)
    run = minimize(Quartic(), [3.0], gd(lr=0.01), max_iter=np.int32(2), grad_tol=np.float32(0))
    assert run.nit.tolist() == [2]
