"""The derivative scene: secant slopes converge to f'(x0); the tangent ends the clip."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.animate import SCENES, derivative
from descentlab.errors import ConfigError, ParseError


def right_title(scene) -> str:  # noqa: ANN001
    """The right panel's title as read: line 1 is drawn in pieces (only the number changes)."""
    ax = scene.fig.axes[1]
    parts = {t.get_gid(): t.get_text() for t in ax.texts if t.get_gid()}
    line1 = parts["title-head"] + parts["title-value"] + parts["title-exact"]
    return line1 + "\n" + ax.get_title()


def test_default_frames_size_and_tangent() -> None:
    scene = derivative(frames=12, tangent_frames=3, size=(400, 200))
    assert scene.n_frames == 12 and scene.size == (400, 200)
    scene.frame(11)
    right = scene.fig.axes[1]
    assert "-2" in right_title(scene).replace("\u2212", "-")
    assert "2x" in right_title(scene)
    tangent = [ln for ln in right.lines if len(ln.get_xdata()) == 2][0]
    xd, yd = np.asarray(tangent.get_xdata()), np.asarray(tangent.get_ydata())
    assert (yd[1] - yd[0]) / (xd[1] - xd[0]) == pytest.approx(-2.0)
    assert np.interp(-1.0, xd, yd) == pytest.approx(2.0)


def test_secant_slope_readout_converges_without_zero_division() -> None:
    scene = derivative(frames=20, tangent_frames=2, size=(300, 150))
    slopes = []
    for i in range(18):
        scene.frame(i)
        text = right_title(scene).split("=")[1].split("\n")[0]
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
        ({"x0": 3.5, "start": 3.5}, ConfigError),
        ({"target": "asin(x)", "x0": 0.5, "x1": 3.0}, ConfigError),  # x1 outside the domain
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


@pytest.mark.parametrize(("frames", "tangent"), [(2, 1), (6, 1), (9, 2), (45, 10), (100, 22)])
def test_tangent_frames_follow_frames(frames: int, tangent: int) -> None:
    scene = derivative(frames=frames, size=(300, 150))
    assert scene.n_frames == frames
    titles = []
    for i in range(frames):
        scene.frame(i)
        titles.append(right_title(scene))
    assert sum(t.startswith("Tangent") for t in titles) == tangent
    assert titles[-1].startswith("Tangent") and not titles[0].startswith("Tangent")


def test_cli_few_frames(tmp_path) -> None:  # noqa: ANN001
    from descentlab.cli import main

    out = tmp_path / "d.gif"
    assert (
        main(["animate", "derivative", "--frames", "6", "--size", "300x150", "-o", str(out)]) == 0
    )
    assert out.stat().st_size > 0


@pytest.mark.parametrize(
    ("target", "x0", "slope", "dlatex"),
    [
        ("1 + x^2", -1.0, "-2", "2x"),
        ("parabola", -1.0, "-2", "2x"),
        ("x^3 - x", 0.5, "-0.25", "3x^{2} - 1"),
    ],
)
def test_last_title_has_slope_and_symbolic_derivative(
    target: str, x0: float, slope: str, dlatex: str
) -> None:
    from descentlab.objective import as_objective

    for given in (target, as_objective(target)):  # the CLI hands over an Objective
        scene = derivative(given, x0=x0, frames=6, size=(300, 150))
        scene.frame(-1)
        title = right_title(scene)
        assert f"f'({x0:g}) = {slope}$" in title
        assert f"$f'(x) = {dlatex}$" in title


def test_two_variables_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="derivative needs a function of one variable"):
        derivative("rosenbrock", size=(200, 100))
