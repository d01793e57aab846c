"""The remedies scene: the notebook's three outcomes, panels ending together, exact redraw."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.animate.remedies import remedies
from descentlab.errors import ConfigError

SIZE = (900, 260)


@pytest.fixture(scope="module")
def scene():
    return remedies(frames=14, size=SIZE)


def test_notebook_outcomes(scene) -> None:
    ends = [r.x[:, 0] for r in scene.info["results"]]
    np.testing.assert_allclose(ends[0], [-2.0], atol=1e-9)
    np.testing.assert_allclose(ends[1], [-2.0], atol=1e-9)
    np.testing.assert_allclose(ends[2], [-2.0, 1.0, 1.0], atol=1e-9)


def test_panels_end_together_with_their_own_counts(scene) -> None:
    assert scene.n_frames == 14
    scene.frame(-1)
    readouts = scene.artists[-3:]
    for text, res in zip(readouts, scene.info["results"], strict=True):
        counts = ", ".join(str(int(n)) for n in res.nit)
        assert text.get_text().split("\n")[0].endswith(counts)
    dots = scene.artists[:5]  # 1 + 1 + 3 points
    finals = np.concatenate([r.x[:, 0] for r in scene.info["results"]])
    assert [d.get_xdata()[0] for d in dots] == finals.tolist()


def test_frames_show_real_iterates(scene) -> None:
    path = scene.info["results"][1].trajectory.xs[:, 0, 0]
    dot = scene.artists[1]
    for i in range(scene.n_frames):
        scene.frame(i)
        assert dot.get_xdata()[0] in path


@pytest.mark.parametrize("i", [0, 6, -1])
def test_partial_redraw_equals_full_draw(scene, i: int) -> None:
    assert np.array_equal(scene.frame(i), scene.frame(i, full=True))


def test_bad_input() -> None:
    with pytest.raises(ConfigError, match="one variable"):
        remedies("x^2 + y^2", frames=5, size=SIZE)
    with pytest.raises(ConfigError, match="start"):
        remedies(start=[[1.0]] * 4, frames=5, size=SIZE)
    with pytest.raises(ConfigError, match="frames"):
        remedies(frames=0, size=SIZE)


def test_a_run_that_ends_on_a_maximum_says_so() -> None:
    # the quartic's local maximum is x = 0 (f = 7): a start there converges at once
    scene = remedies(start=[[0.0], [3.0]], frames=6, size=SIZE)
    assert [r.stationary.tolist() for r in scene.info["results"]][2] == [2, 1]  # maximum, minimum
    scene.frame(-1)
    where = scene.artists[-1].get_text().split("\n")[1]
    assert where == "x = 0 (maximum), 1"
    scene.frame(0)
    assert "maximum" not in scene.artists[-2].get_text()
