"""The contour scene: frames follow the real iterates, partial == full draw, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.animate.common import DEFAULT_START, levels
from descentlab.animate.contour import contour
from descentlab.descent import minimize
from descentlab.errors import ConfigError, RenderError
from descentlab.objective import as_objective
from descentlab.optimizers import gd

SIZE = (320, 300)


@pytest.fixture(scope="module")
def scene():
    return contour(frames=12, size=SIZE)


def test_frame_count_and_size(scene) -> None:
    assert scene.n_frames == 12
    assert scene.size == SIZE
    assert scene.frame(0).shape == (SIZE[1], SIZE[0], 3)


def test_frames_are_real_iterates_in_order(scene) -> None:
    obj = as_objective("notebook-trig")
    ref = minimize(
        obj, [DEFAULT_START], gd(lr=0.1), max_iter=3000, grad_tol=0.0, f_tol=1e-6, record=True
    )
    path = ref.trajectory.xs[:, 0]
    point, title = scene.artists[-2], scene.artists[-1]
    seen = []
    for i in range(scene.n_frames):
        scene.frame(i)
        xy = np.array([point.get_xdata()[0], point.get_ydata()[0]])
        hits = np.nonzero(np.all(path == xy, axis=1))[0]  # exact: never rounded
        assert hits.size, f"frame {i} shows {xy}, not an iterate"
        seen.append(int(hits[0]))
        assert title.get_text().startswith(f"iteration {ref.trajectory.its[hits[0]]}:")
    assert seen == sorted(seen)
    assert seen[0] == 0 and seen[-1] == len(path) - 1
    assert seen[-2] == seen[-1]  # a pause on the final iterate


@pytest.mark.parametrize("i", [0, 5, -1])
def test_partial_redraw_equals_full_draw(scene, i: int) -> None:
    assert np.array_equal(scene.frame(i), scene.frame(i, full=True))


def test_any_2d_target_and_several_starts() -> None:
    s = contour(
        "rosenbrock",
        start=[[-1.2, 1.0], [1.5, -0.5]],
        frames=6,
        size=SIZE,
        optimizer=gd(lr=1e-3),
        max_iter=200,
    )
    assert s.n_frames == 6
    assert np.array_equal(s.frame(3), s.frame(3, full=True))


def test_log_levels_for_values_spanning_decades() -> None:
    Z = np.array([[0.0, 1e-3], [1.0, 2500.0]]).repeat(50, axis=0)
    lv, log = levels(Z, 10)
    assert log and np.all(np.diff(lv) > 0)
    assert not levels(np.linspace(-1, 1, 100).reshape(10, 10), 10)[1]


def test_bad_input() -> None:
    with pytest.raises(ConfigError, match="two variables"):
        contour("x^2 + 1", frames=5, size=SIZE)
    with pytest.raises(ConfigError, match="frames"):
        contour(frames=1, size=SIZE)
    with pytest.raises(ConfigError, match="start"):
        contour(start=[[1.0, 2.0, 3.0]], frames=5, size=SIZE)
    with pytest.raises(RenderError):
        contour(frames=5, size=(0, 10))
    with pytest.raises(RenderError):
        contour(frames=5, size=SIZE, fps=0)


def test_a_run_that_ends_on_a_saddle_says_so() -> None:
    # Himmelblau's saddle near (-0.13, -1.95): a start there converges at once (sympy-checked
    # kind in tests/test_stationary.py); the other start reaches the minimum (3, 2)
    starts = [[-0.127961, -1.953706], [2.5, 1.5]]
    scene = contour("himmelblau", start=starts, optimizer=gd(lr=0.01), frames=6, grad_tol=1e-3,
                    size=SIZE)  # fmt: skip
    scene.frame(-1)
    assert scene.artists[-1].get_text().endswith("(1 at a saddle)")
    scene.frame(0)
    assert "saddle" not in scene.artists[-1].get_text()


def test_a_diverging_run_leaves_through_the_edge_of_the_usual_view() -> None:
    """gd at lr 0.1 on Rosenbrock reaches ~1e32 in five steps: the view stays on the usual box
    (within one box width of it), not a stripe of a 1e32-wide plane, and the frames go to the
    steps that move on screen."""
    from descentlab.result import Status

    scene = contour("rosenbrock", frames=8, size=SIZE)
    res = scene.info["result"]
    assert Status(int(res.status[0])) is Status.DIVERGED
    xs = res.trajectory.xs[:, 0]
    assert np.nanmax(np.abs(xs)) > 1e6  # the run did go far
    box = np.array(as_objective("rosenbrock").domain, dtype=float)
    width = box[:, 1] - box[:, 0]
    ax = scene.fig.axes[0]
    for k, lim in enumerate((ax.get_xlim(), ax.get_ylim())):
        assert box[k, 0] - width[k] <= lim[0] <= box[k, 0]
        assert box[k, 1] <= lim[1] <= box[k, 1] + width[k]
    assert ax.get_xlim()[0] < xs[0, 0] < ax.get_xlim()[1]  # the start is in view
    assert ax.get_ylim()[0] < xs[0, 1] < ax.get_ylim()[1]
    frames = scene.info["frames"]
    assert frames[0] == 0 and frames[-1] == len(res.trajectory) - 1
    assert np.all(np.diff(frames) >= 0)
