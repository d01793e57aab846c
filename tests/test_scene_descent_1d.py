"""The descent_1d scene follows the real gradient-descent iterates."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.animate import SCENES, descent_1d
from descentlab.errors import ConfigError, ParseError
from descentlab.optimizers import gd


def test_frames_follow_the_real_iterates() -> None:
    scene = descent_1d(frames=20, size=(400, 160), max_iter=2000)
    assert scene.n_frames == 20 and scene.size == (400, 160)
    right = scene.fig.axes[1]
    (point,) = [ln for ln in right.lines if ln.get_zorder() == 6]  # the moving dot
    xs_seen, its_seen = [], []
    for i in range(scene.n_frames):
        scene.frame(i)
        xs_seen.append(float(point.get_xdata()[0]))
        its_seen.append(int(right.get_title().split("iteration ")[1].split("\n")[0]))
    assert xs_seen[0] == 3.0
    assert np.all(np.diff(its_seen) >= 0)
    x = 3.0
    for t in range(max(its_seen) + 1):  # x_t = x_{t-1} - lr f'(x_{t-1}), lr = 0.001
        if t in its_seen:
            assert xs_seen[its_seen.index(t)] == pytest.approx(x, rel=1e-12)
        x -= 0.001 * (12 * x**3 + 12 * x**2 - 24 * x)
    assert xs_seen[-1] == pytest.approx(1.0, abs=1e-3)


def test_step_arrow_points_downhill() -> None:
    scene = descent_1d(frames=12, size=(300, 150), max_iter=500)
    ann = scene.fig.axes[1].texts[0]
    for i in range(5):
        scene.frame(i)
        (x_to, f_to), (x_from, f_from) = ann.xy, ann.xyann
        assert f_to <= f_from and x_to < x_from  # equal f: both above the view, on its top edge


def test_optimizer_and_start() -> None:
    scene = descent_1d(start=-3.0, optimizer=gd(lr=0.01), frames=10, size=(300, 150))
    scene.frame(-1)
    assert "x = \u22122" in scene.fig.axes[1].get_title()


def test_partial_equals_full() -> None:
    scene = descent_1d(frames=8, size=(300, 150), max_iter=300)
    for i in (0, 4, 7):
        assert np.array_equal(scene.frame(i), scene.frame(i, full=True))


def test_registry() -> None:
    assert SCENES["descent-1d"] is descent_1d


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"target": "x + y"}, ConfigError),
        ({"target": "x +* 2"}, ParseError),
        ({"start": float("inf")}, ConfigError),
        ({"frames": 2}, ConfigError),
        ({"pause_frames": -1}, ConfigError),
        ({"optimizer": None, "max_iter": -1}, ConfigError),
    ],
)
def test_bad_input(kwargs: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        descent_1d(size=(200, 100), **kwargs)


@pytest.mark.parametrize("target", ["x + y", "rosenbrock"])
def test_two_variables_message(target: str) -> None:
    with pytest.raises(ConfigError, match="descent-1d needs a function of one variable"):
        descent_1d(target, size=(200, 100))


def test_catalogue_name_and_objective() -> None:
    from descentlab.objective import as_objective

    for target in ("quartic", as_objective("3x^4 + 4x^3 - 12x^2 + 7")):
        scene = descent_1d(target, frames=6, size=(300, 150), max_iter=50)
        assert "3x^{4}" in scene.fig.get_suptitle()


def test_a_python_function_is_titled_by_its_name() -> None:
    # The notebook's "valley" cell read "f(x) = f(x)": a function with no formula has no
    # right-hand side to print, so the title names the function; given LaTeX, it prints that.
    from descentlab.objective import Objective

    def valley(p: np.ndarray) -> float:
        return p[0] ** 4 / 4 - p[0] ** 2 + 0.3 * p[0]

    named = Objective.from_function(valley, 1, fd_method="central")
    scene = descent_1d(named, start=2.5, frames=6, size=(300, 150), max_iter=50)
    title = scene.fig.get_suptitle()
    assert title.startswith("valley(x)") and "f(x)" not in title, title
    given = Objective.from_function(valley, 1, latex=r"x^4/4 - x^2 + 0.3x")
    scene = descent_1d(given, start=2.5, frames=6, size=(300, 150), max_iter=50)
    assert scene.fig.get_suptitle() == r"$f(x) = x^4/4 - x^2 + 0.3x$"
