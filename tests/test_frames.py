"""Frame sampling from real trajectories: order, endpoints, budget, arc-length spacing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descentlab.animate import align_ends, pad, sample_indices
from descentlab.errors import ConfigError


@given(n=st.integers(1, 5000), budget=st.integers(2, 300))
def test_stride_monotone_endpoints_budget(n: int, budget: int) -> None:
    idx = sample_indices(n, budget)
    assert idx.dtype.kind == "i"
    assert idx[0] == 0 and idx[-1] == n - 1
    assert len(idx) <= budget
    assert np.all(np.diff(idx) > 0)
    if n <= budget:
        assert idx.tolist() == list(range(n))
    else:
        strides = np.diff(idx)[:-1]  # every k-th iterate; only the last gap may be shorter
        assert len(set(strides.tolist())) <= 1
        assert len(idx) >= min(n, budget // 2)


@st.composite
def paths(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(2, 400))
    dim = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    decay = draw(st.floats(0.9, 1.0))
    steps = rng.normal(size=(n - 1, dim)) * decay ** np.arange(n - 1)[:, None]
    return np.concatenate((np.zeros((1, dim)), np.cumsum(steps, axis=0)))


@settings(max_examples=60)
@given(xs=paths(), budget=st.integers(2, 120))
def test_distance_monotone_endpoints_budget(xs: np.ndarray, budget: int) -> None:
    idx = sample_indices(len(xs), budget, mode="distance", xs=xs)
    assert idx[0] == 0 and idx[-1] == len(xs) - 1
    assert len(idx) <= budget
    assert np.all(np.diff(idx) > 0)


def test_distance_is_roughly_uniform_in_arc_length() -> None:
    # Descent that slows down geometrically: uniform in distance, not in iterations.
    t = np.arange(2000)
    xs = (1.0 - 0.995**t)[:, None]
    idx = sample_indices(len(xs), 30, mode="distance", xs=xs)
    arc = xs[idx, 0]  # monotone path: arc length = x
    gaps = np.diff(arc)
    target = xs[-1, 0] / 29
    assert len(idx) >= 25
    assert np.all(gaps[:-1] < 1.6 * target)
    assert abs(gaps[:-1].mean() - target) < 0.1 * target
    stride = sample_indices(len(xs), 30)  # stride spends most frames where nothing moves
    assert np.diff(xs[stride, 0])[-5:].max() < 0.2 * target


def test_distance_multistart_and_still_path() -> None:
    xs = np.zeros((50, 3, 2))
    assert sample_indices(50, 10, mode="distance", xs=xs).tolist() == [0, 49]
    xs[:, 1, 0] = np.linspace(0, 1, 50)
    idx = sample_indices(50, 10, mode="distance", xs=xs)
    assert len(idx) == 10 and idx[-1] == 49


def test_small_cases() -> None:
    assert sample_indices(1, 1).tolist() == [0]
    assert sample_indices(1, 5).tolist() == [0]
    assert sample_indices(10, 4).tolist() == [0, 3, 6, 9]
    assert sample_indices(11, 2).tolist() == [0, 10]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0, 5), {}, "n_points"),
        ((2.5, 5), {}, "n_points"),
        ((True, 5), {}, "n_points"),
        ((5, 0), {}, "budget"),
        ((5, 1), {}, "budget must be >= 2"),
        ((5, 3), {"mode": "random"}, "mode"),
        ((5, 3), {"mode": "distance"}, "needs the path"),
        ((5, 3), {"mode": "distance", "xs": np.zeros(4)}, "expected n_points"),
        ((3, 3), {"mode": "distance", "xs": np.array([0.0, np.nan, 1.0])}, "non-finite"),
    ],
)
def test_bad_sampling_input(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        sample_indices(*args, **kwargs)


def test_pad() -> None:
    assert pad([0, 4, 9], 2).tolist() == [0, 4, 9, 9, 9]
    assert pad(np.array([3]), 0).tolist() == [3]
    with pytest.raises(ConfigError, match="non-empty"):
        pad([], 3)
    with pytest.raises(ConfigError, match="pause_frames"):
        pad([1], -1)


def test_align_ends() -> None:
    a = np.arange(6.0).reshape(3, 2)
    b = np.ones((5, 2))
    out = align_ends([a, b])
    assert [o.shape for o in out] == [(5, 2), (5, 2)]
    assert np.array_equal(out[0][:3], a) and np.all(out[0][3:] == a[-1])
    assert np.array_equal(out[1], b)
    assert a.shape == (3, 2)  # inputs untouched
    with pytest.raises(ConfigError, match="at least one"):
        align_ends([])
    with pytest.raises(ConfigError, match="at least one point"):
        align_ends([np.zeros((0, 2))])
