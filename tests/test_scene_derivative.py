"""The derivative scene: secant slopes converge to f'(x0); the tangent ends the clip."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.animate import SCENES, derivative
from descentlab.errors import ConfigError, ParseError


def test_default_frames_size_and_tangent() -> None:
    scene = derivative(frames=12, tangent_frames=3, size=(400, 200))
    assert scene.n_frames == 12 and scene.size == (400, 200)
    scene.frame(11)
    right = scene.fig.axes[1]
    assert "-2" in right.get_title().replace("\u2212", "-")
    assert "2x" in right.get_title()
    tangent = [ln for ln in right.lines if len(ln.get_xdata()) == 2][0]
    xd, yd = np.asarray(tangent.get_xdata()), np.asarray(tangent.get_ydata())
    assert (yd[1] - yd[0]) / (xd[1] - xd[0]) == pytest.approx(-2.0)
    assert np.interp(-1.0, xd, yd) == pytest.approx(2.0)


def test_secant_slope_readout_converges_without_zero_division() -> None:
    scene = derivative(frames=20, tangent_frames=2, size=(300, 150))
    slopes = []
    for i in range(18):
        scene.frame(i)
        text = scene.fig.axes[1].get_title().split("=")[1].split("\n")[0]
        slopes.append(float(text.replace("\u2212", "-")))
    errors = np.abs(np.array(slopes) + 2.0)
    assert np.all(np.diff(errors) < 0) and errors[-1] < 0.05


def test_partial_equals_full() -> None:
    scene = derivative(frames=8, tangent_frames=2, size=(300, 150))
    for i in (0, 5, 7):
        assert np.array_equal(scene.frame(i), scene.frame(i, full=True))


def test_registry() -> None:
    assert SCENES["derivative"] is derivative


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"target": "x*y"}, ConfigError),
        ({"target": "1 +"}, ParseError),
        ({"target": 3}, ConfigError),
        ({"x0": 3.5}, ConfigError),
        ({"x1": -1.0}, ConfigError),
        ({"x0": float("nan")}, ConfigError),
        ({"frames": 1}, ConfigError),
        ({"tangent_frames": 0}, ConfigError),
        ({"tangent_frames": 45}, ConfigError),
        ({"target": "log(x)", "x0": -1.0}, ConfigError),
    ],
)
def test_bad_input(kwargs: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        derivative(size=(200, 100), **kwargs)
