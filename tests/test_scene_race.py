"""The race scene: every runner real, one shared clock, none diverges by default."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.animate.race import RACERS, race
from descentlab.errors import ConfigError
from descentlab.optimizers import adam, gd
from descentlab.result import Status

SIZE = (560, 260)


@pytest.fixture(scope="module")
def scene():
    return race(frames=10, size=SIZE)


def test_default_field_races_without_diverging(scene) -> None:
    assert len(scene.info["results"]) == len(RACERS)
    for res in scene.info["results"]:
        assert Status(res.status[0]) != Status.DIVERGED
        assert res.fun[0] < 0.05  # everybody gets well into the valley in 2000 iterations


def test_shared_clock_and_real_iterates(scene) -> None:
    k = len(RACERS)
    heads = scene.artists[k : 2 * k]
    clock = scene.artists[-1]
    for i in (0, 4, scene.n_frames - 1):
        scene.frame(i)
        t = int(clock.get_text().split()[-1])
        for head, res in zip(heads, scene.info["results"], strict=True):
            j = min(t, int(res.nit[0]))
            shown = (head.get_xdata()[0], head.get_ydata()[0])
            assert shown == tuple(res.trajectory.xs[j, 0])
    assert clock.get_text() == "iteration 2000"


@pytest.mark.parametrize("i", [1, 8])
def test_partial_redraw_equals_full_draw(scene, i: int) -> None:
    assert np.array_equal(scene.frame(i), scene.frame(i, full=True))


def test_custom_runners_and_bad_input() -> None:
    s = race(
        "himmelblau",
        start=[[0.0, 0.0]],
        optimizer=[gd(lr=0.01), adam(lr=0.1)],
        frames=5,
        size=SIZE,
        max_iter=100,
    )
    assert s.n_frames == 5 and len(s.info["results"]) == 2
    with pytest.raises(ConfigError, match="two variables"):
        race("x^2", frames=5, size=SIZE)
    with pytest.raises(ConfigError, match="one start"):
        race(start=[[0.0, 0.0], [1.0, 1.0]], frames=5, size=SIZE, max_iter=10)
    with pytest.raises(ConfigError, match="Optimizer"):
        race(optimizer=["adam"], frames=5, size=SIZE)
