"""Scenes with a learning-rate schedule: the lr drawn in frame i is the trajectory's lr of the
record frame i shows (readout and the lr panel's dot), the panel only when the lr changes, the
partial redraw equals a full draw, and the CLI's --scheduler reaches every scene that runs one."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.text import Text

import descentlab as dl
from descentlab.animate.common import lr_text, num
from descentlab.animate.contour import contour
from descentlab.animate.descent_1d import descent_1d
from descentlab.animate.fit import fit
from descentlab.animate.race import race
from descentlab.animate.remedies import remedies
from descentlab.cli import main
from descentlab.descent import minimize
from descentlab.objective import as_objective

SMALL = (480, 300)


def texts(scene) -> str:
    return "\n".join(a.get_text() for a in scene.artists if isinstance(a, Text))


def dots(scene, k: int):
    """The lr panel's dots: the last ``k`` moving artists, drawn in an inset axes."""
    found = scene.artists[-k:]
    assert all(d.axes not in scene.fig.axes for d in found)  # in an inset, not a main axes
    return found


def shown_record(j: int, n: int) -> int:
    return min(max(j, 1), n - 1)


def test_descent_1d_draws_the_lr_of_each_frame() -> None:
    sched = dl.cosineannealinglr(T_max=40, eta_min=1e-4)
    scene = descent_1d(optimizer=dl.gd(lr=0.004), scheduler=sched, max_iter=120, frames=8,
                       size=SMALL)  # fmt: skip
    r = scene.info["result"]
    lrs = r.trajectory.lrs[:, 0]
    # the independent reference: the same run without the scene, and torch's cosine recursion
    ref = minimize(as_objective("3x^4 + 4x^3 - 12x^2 + 7"), [3.0], dl.gd(lr=0.004),
                   max_iter=120, grad_tol=1e-12, record=True, scheduler=sched)  # fmt: skip
    np.testing.assert_array_equal(lrs, ref.trajectory.lrs[:, 0])
    (dot,) = dots(scene, 1)
    for i in range(scene.n_frames):
        frame = scene.frame(i)
        j = shown_record(int(scene.info["frames"][i]), len(lrs))
        assert f"lr {num(lrs[j], 4)}" in texts(scene)
        assert dot.get_ydata()[0] == lrs[j] and dot.get_xdata()[0] == r.trajectory.its[j]
    assert np.array_equal(frame, scene.frame(scene.n_frames - 1, full=True))


def test_contour_readout_and_panel_follow_a_step_schedule() -> None:
    scene = contour(scheduler=dl.steplr(step_size=10, gamma=0.5), frames=6, size=(360, 340))
    lrs = scene.info["result"].trajectory.lrs[:, 0]
    assert len(set(lrs[1:].tolist())) > 2  # the lr did change
    (dot,) = dots(scene, 1)
    for i in range(scene.n_frames):
        scene.frame(i)
        j = shown_record(int(scene.info["frames"][i]), len(lrs))
        assert f",  lr {num(lrs[j], 4)}" in scene.artists[-2].get_text()
        assert dot.get_ydata()[0] == lrs[j]
    assert np.array_equal(scene.frame(3), scene.frame(3, full=True))


def test_a_constant_schedule_shows_the_lr_but_no_panel() -> None:
    plain = contour(frames=4, size=(300, 280))
    scene = contour(scheduler=dl.steplr(step_size=10**6), frames=4, size=(300, 280))
    assert len(scene.artists) == len(plain.artists)  # no dot: nothing to draw against time
    scene.frame(2)
    assert scene.artists[-1].get_text().endswith(",  lr 0.1")


def test_race_gives_every_runner_its_own_scheduled_lr() -> None:
    runners = [dl.gd(lr=0.002), dl.adam(lr=0.05)]
    scene = race(optimizer=runners, scheduler=dl.exponentiallr(0.995), max_iter=200, frames=6,
                 size=(560, 300))  # fmt: skip
    lrs = scene.info["lrs"]
    for r, res in enumerate(scene.info["results"]):
        np.testing.assert_array_equal(
            lrs[1 : len(res.trajectory.lrs), r], res.trajectory.lrs[1:, 0]
        )
    np.testing.assert_allclose(lrs[1:3, 1], [0.05, 0.05 * 0.995], rtol=1e-15)
    marks = dots(scene, 2)
    for i in (0, 3, scene.n_frames - 1):
        scene.frame(i)
        j = shown_record(int(scene.info["frames"][i]), len(lrs))
        assert [d.get_ydata()[0] for d in marks] == lrs[j].tolist()
        assert lr_text(lrs[j]) in texts(scene)
    assert np.array_equal(scene.frame(2), scene.frame(2, full=True))


def test_remedies_readouts_carry_each_panels_lr() -> None:
    scene = remedies(scheduler=dl.linearlr(0.5, total_iters=50), max_iter=400, frames=5,
                     size=(900, 300))  # fmt: skip
    for i in (0, scene.n_frames - 1):
        scene.frame(i)
        j = int(scene.info["frames"][i])
        for p in range(3):
            want = lr_text(scene.info["lrs"][p][shown_record(j, len(scene.info["lrs"][p]))])
            assert want in texts(scene)
    assert np.array_equal(scene.frame(1), scene.frame(1, full=True))


def test_a_finished_runs_lr_stops_where_the_run_did() -> None:
    """remedies' middle run (lr 0.01) ends long before the other panels: its lr line stops at
    its last step, marked by a bar, and its dot rests there hollow instead of stepping on at
    the last lr as if the run went on."""
    from matplotlib.colors import same_color

    scene = remedies(scheduler=dl.linearlr(0.5, total_iters=50), max_iter=400, frames=5,
                     size=(900, 300))  # fmt: skip
    res = scene.info["results"][1]
    nit, n = int(res.nit[0]), len(scene.info["lrs"][1])
    assert 0 < nit < n - 1  # the middle run finished first
    own = res.trajectory.lrs[:, 0]  # the run's own record, not the padded one
    (dot,) = dots(scene, 1)
    line, bar = [ln for ln in dot.axes.lines if ln is not dot]
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, nit + 1))
    np.testing.assert_array_equal(line.get_ydata(), own[1 : nit + 1])
    assert bar.get_marker() == "|"
    assert (bar.get_xdata()[0], bar.get_ydata()[0]) == (nit, own[nit])
    for i, finished in ((0, False), (scene.n_frames - 1, True)):
        scene.frame(i)
        j = shown_record(int(scene.info["frames"][i]), n)
        assert dot.get_xdata()[0] == min(j, nit) and dot.get_ydata()[0] == own[min(j, nit)]
        assert same_color(dot.get_markerfacecolor(), "white") == finished
    assert np.array_equal(scene.frame(scene.n_frames - 1), scene.frame(-1, full=True))


def test_fit_scene_shows_the_lr_of_each_step() -> None:
    scene = fit("linear", scheduler=dl.steplr(step_size=15, gamma=0.5), batch_size=20,
                epochs=12, frames=6, size=(640, 360))  # fmt: skip
    r = scene.info["result"]
    (dot,) = dots(scene, 1)
    for i in range(scene.n_frames):
        scene.frame(i)
        j = shown_record(int(scene.info["frames"][i]), len(r.lrs))
        assert texts(scene).endswith(f"lr {num(r.lrs[j, 0], 4)}")
        assert dot.get_ydata()[0] == r.lrs[j, 0] and dot.get_xdata()[0] == r.path_steps[j]
    assert np.array_equal(scene.frame(2), scene.frame(2, full=True))


def test_cli_animate_takes_a_scheduler(tmp_path, capsys) -> None:
    out = tmp_path / "c.gif"
    argv = ["animate", "contour", "--scheduler", "multisteplr", "--milestones", "5,10",
            "--frames", "4", "--size", "300x280", "--quiet", "-o", str(out)]  # fmt: skip
    assert main(argv) == 0 and out.exists()
    capsys.readouterr()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["field", "--scheduler", "steplr", "--step-size", "3"], "--scheduler does not apply"),
        (["contour", "--step-size", "3"], "needs --scheduler"),
        (["contour", "--scheduler", "steplr"], "needs --step-size"),
    ],
)
def test_cli_animate_bad_scheduler_exits_2(tmp_path, capsys, argv, message) -> None:
    out = tmp_path / "x.png"
    assert main(["animate", *argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.splitlines()) == 1 and not out.exists()


def test_stills_name_the_schedule() -> None:
    from descentlab.animate.basins import basins
    from descentlab.animate.lr_sweep import lr_sweep

    sched = dl.exponentiallr(0.9)
    still = basins(scheduler=sched, per_axis=6, max_iter=300)
    plain = basins(per_axis=6, max_iter=300)
    assert "gd (lr 0.01, exponentiallr)" in still.fig.axes[0].get_title()
    assert not np.array_equal(still.info["result"].x, plain.info["result"].x)
    sweep = lr_sweep(lrs=[0.01, 0.05], scheduler=sched, max_iter=50)
    assert str(sched) in sweep.fig.axes[0].get_title()
    ref = minimize(as_objective("x^2 + 10y^2"), [1.0, 1.0], dl.gd(lr=0.05), max_iter=50,
                   grad_tol=1e-8, scheduler=sched, record=False)  # fmt: skip
    assert sweep.info["runs"][1].fun[0] == ref.fun[0]


def test_linesearch_still_starts_from_the_schedules_lr() -> None:
    from descentlab.animate.linesearch import linesearch

    sched = dl.steplr(step_size=2, gamma=0.5)
    still = linesearch(scheduler=sched, iteration=4)
    trials, _, accepted = still.info["trials"]
    assert trials[0] == sched.table(5, 1.0)[4] == 0.25  # step 5 of lr 1 halved twice
    assert trials[1] == 0.125 and accepted in trials  # the search halves from there
    assert "steplr's lr" in still.fig.axes[0].get_title()
    with pytest.raises(dl.ConfigError, match="no step 40"):
        linesearch("x^2", start=[[1.0]], scheduler=sched, iteration=40)
