"""The surface scene: the 3D path over a saved background is exact, and follows the iterates."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.animate.common import DEFAULT_START
from descentlab.animate.surface import surface
from descentlab.descent import minimize
from descentlab.errors import ConfigError
from descentlab.objective import as_objective
from descentlab.optimizers import gd


@pytest.fixture(scope="module")
def scene():
    return surface(frames=10, size=(560, 280))


def test_count_and_size(scene) -> None:
    assert scene.n_frames == 10
    assert scene.size == (560, 280)


@pytest.mark.parametrize("i", [0, 4, 9])
def test_partial_redraw_equals_full_draw(scene, i: int) -> None:
    assert np.array_equal(scene.frame(i), scene.frame(i, full=True))


def test_both_panels_show_the_same_real_iterate(scene) -> None:
    obj = as_objective("notebook-trig")
    ref = minimize(
        obj, [DEFAULT_START], gd(lr=0.1), max_iter=3000, grad_tol=0.0, f_tol=1e-6, record=True
    )
    path = ref.trajectory.xs[:, 0]
    line3, point3, line2, point2 = scene.artists[:4]
    for i in (2, 7):
        scene.frame(i)
        xs3, ys3, _ = line3.get_data_3d()
        xs2, ys2 = line2.get_data()
        assert np.array_equal(xs3, xs2) and np.array_equal(ys3, ys2)
        n = len(xs2)
        assert np.array_equal(np.column_stack((xs2, ys2)), path[:n])
        assert (point2.get_xdata()[0], point2.get_ydata()[0]) == tuple(path[n - 1])


def test_one_variable_target_is_refused() -> None:
    with pytest.raises(ConfigError, match="two variables"):
        surface("sin(x)", frames=5)
