"""The fit scene and the fit-compare still: real runs, what is drawn, partial == full draw."""

from __future__ import annotations

import numpy as np
import pytest

import descentlab as dl
from descentlab.animate import SCENES, STILLS
from descentlab.animate.fit import fit, fit_compare
from descentlab.errors import ConfigError


@pytest.fixture(scope="module")
def line_scene():
    return fit("linear", frames=12, size=(700, 360))


@pytest.fixture(scope="module")
def moons_scene():
    return fit("mlp", epochs=30, frames=10, size=(640, 320))


def test_registered_as_scene_and_still():
    assert SCENES["fit"] is fit and SCENES["fit-compare"] is fit_compare
    assert "fit-compare" in STILLS and "fit" not in STILLS


def test_the_line_of_each_frame_is_the_model_of_that_step(line_scene):
    r = line_scene.info["result"]
    curve = line_scene.artists[0]
    assert r.path.shape[0] == r.epochs[0] + 1  # full batch: one step per epoch
    for i in (0, 5, line_scene.n_frames - 1):
        line_scene.frame(i)
        x, y = curve.get_data()
        # the drawn line passes through w x + b for the step shown: find which step it is
        w = (y[-1] - y[0]) / (x[-1] - x[0])
        b = y[0] - w * x[0]
        match = np.flatnonzero(np.all(np.isclose(r.path[:, 0], [w, b], rtol=1e-9), axis=1))
        assert match.size == 1
    assert np.allclose([w, b], r.params[0], rtol=1e-9)  # the last frame: the final model


@pytest.mark.parametrize("i", [0, 4, 11])
def test_partial_redraw_equals_full_draw_line(line_scene, i):
    assert np.array_equal(line_scene.frame(i), line_scene.frame(i, full=True))


@pytest.mark.parametrize("i", [0, 6, 9])
def test_partial_redraw_equals_full_draw_boundary(moons_scene, i):
    assert np.array_equal(moons_scene.frame(i), moons_scene.frame(i, full=True))


def test_the_boundary_is_where_the_network_says_one_half(moons_scene):
    r = moons_scene.info["result"]
    moons_scene.frame(moons_scene.n_frames - 1)
    boundary = moons_scene.artists[1]
    x, y = (np.asarray(v, dtype=float) for v in boundary.get_data())
    pts = np.column_stack([x, y])[np.isfinite(x)]
    assert len(pts) > 20
    prob = r.model.output(r.params[:1], pts)[0]
    assert np.max(np.abs(prob - 0.5)) < 0.05  # interpolated on a 160 x 160 grid


def test_the_last_frame_says_why_the_fit_stopped(line_scene, moons_scene):
    """Under the panels, on the last frame only: the run's own status sentence (max_iter after
    its epochs here; a diverged run would say so)."""
    for scene in (line_scene, moons_scene):
        said = []
        for i in (0, scene.n_frames - 1):
            scene.frame(i)
            said.append([t.get_text() for t in scene.fig.texts if t.get_text().startswith("stop")])
        assert said[0] == []
        message = scene.info["result"].message[0]
        assert message.startswith("max_iter: ran all")
        assert [t.replace("\n", " ") for t in said[1]] == [f"stop: {message}"]


def test_a_given_run_is_drawn_as_it_is():
    run = dl.fit("logistic", dl.data.load("iris"), dl.gd(lr=1.0), epochs=8, batch_size=20)
    scene = fit(run, frames=6, size=(500, 260))
    assert scene.info["result"] is run and scene.n_frames <= 6
    with pytest.raises(ConfigError, match="apply to a model name"):
        fit(run, epochs=3)


def test_compare_runs_full_batch_minibatch_and_single_samples():
    still = fit_compare(epochs=5, size=(600, 280))
    full, mini, sgd = still.info["results"]
    rows = full.data.rows
    assert [r.batch_size for r in (full, mini, sgd)] == [rows, 10, 1]
    assert [len(r.path) - 1 for r in (full, mini, sgd)] == [5, 5 * rows // 10, 5 * rows]
    assert all(np.array_equal(r.path[0], full.path[0]) for r in (mini, sgd))  # one start

    def wander(r):  # path length over straight-line distance: 1 for a straight path
        p = r.path[:, 0]
        return np.linalg.norm(np.diff(p, axis=0), axis=1).sum() / np.linalg.norm(p[-1] - p[0])

    assert wander(full) < wander(mini) < wander(sgd)
    assert still.frame().shape == (280, 600, 3)


def test_compare_takes_a_schedule_as_fit_does(tmp_path):
    schedule = dl.schedules.steplr(step_size=3, gamma=0.5)
    still = fit_compare(epochs=4, batch_sizes=(None, 10), scheduler=schedule, size=(600, 280))
    for r, b in zip(still.info["results"], (None, 10), strict=True):
        direct = dl.fit(
            "linear", "line", dl.gd(lr=0.05), epochs=4, batch_size=b, seeds=0,
            start=(-1.0, 3.0), standardize=False, grad_tol=0.0, scheduler=schedule,
        )  # fmt: skip
        assert np.array_equal(r.path, direct.path)
        unscheduled = dl.fit(
            "linear", "line", dl.gd(lr=0.05), epochs=4, batch_size=b, seeds=0,
            start=(-1.0, 3.0), standardize=False, grad_tol=0.0,
        )  # fmt: skip
        assert not np.array_equal(r.path, unscheduled.path)  # the schedule changed the steps
    out = tmp_path / "c.png"
    code = dl.cli.main(
        ["animate", "fit-compare", "--scheduler", "steplr", "--step-size", "3", "-o", str(out)]
    )
    assert code == 0 and out.stat().st_size > 0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: fit("svm"), "unknown model 'svm'"),
        (lambda: fit(3.0), "takes a model name"),
        (lambda: fit("linear", data="moons"), "two-class|one feature"),
        (
            lambda: fit(
                "logistic",
                data=dl.data.Dataset(
                    "t",
                    np.zeros((4, 3)),
                    np.array([0.0, 1, 0, 1]),
                    ("a", "b", "c"),
                    "y",
                    "classification",
                ),
            ),
            "draws one feature",
        ),  # fmt: skip
        (lambda: fit(dl.fit("linear", "line", epochs=2, record=False)), "path recorded"),
        (lambda: fit_compare(batch_sizes=(None, 1, 2, 3)), "1 to 3 batch sizes"),
        (lambda: fit_compare("iris"), "two-class|one feature|needs one feature"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ConfigError, match=match):
        call()


def test_compare_legend_covers_no_path_and_not_the_star():
    """The legend goes where no path runs, measured along every drawn segment (a single-sample
    path wanders over most of the surface), and never over the least-squares star."""
    still = fit_compare(size=(1100, 480))
    still.frame()
    surf = still.fig.axes[0]
    renderer = still.fig.canvas.get_renderer()
    box = surf.get_legend().get_window_extent(renderer)
    for line in surf.lines:
        xy = np.column_stack([np.asarray(v, dtype=float) for v in line.get_data()])
        if len(xy) > 1:  # every segment, ten points on each
            t = np.linspace(0, 1, 10)[:, None, None]
            xy = (xy[:-1] + t * (xy[1:] - xy[:-1])).reshape(-1, 2)
        pts = surf.transData.transform(xy)
        inside = (pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1)
        inside &= (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)
        assert not inside.any(), line.get_label()
