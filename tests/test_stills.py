"""Stills: arrows downhill and perpendicular to level sets, diverged runs marked, basins."""

from __future__ import annotations

import numpy as np
import pytest
from colour import lab
from matplotlib.quiver import Quiver

from descentlab import animate as stills
from descentlab.errors import ConfigError, RenderError
from descentlab.multistart import group_minima
from descentlab.objective import as_objective
from descentlab.optimizers import gd
from descentlab.result import Status


def test_field_arrows_point_downhill_across_level_sets() -> None:
    still = stills.field(arrows=9, size=(360, 340))
    (q,) = [c for c in still.fig.axes[0].collections if isinstance(c, Quiver)]
    P = np.asarray(q.get_offsets())
    A = np.column_stack((q.U, q.V))
    G = as_objective("himmelblau").grad(P)
    unit = -G / np.linalg.norm(G, axis=1, keepdims=True)
    np.testing.assert_allclose(A, unit, atol=1e-12)  # -grad / |grad|
    tangent = np.column_stack((-G[:, 1], G[:, 0]))  # along the level set through each point
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    assert np.max(np.abs(np.sum(A * tangent, axis=1))) < 1e-12
    # a short step along each arrow lowers f
    f = as_objective("himmelblau").value
    assert np.all(f(P + 1e-4 * A) < f(P))
    assert still.frame().shape == (340, 360, 3)


def test_lr_sweep_marks_diverged_runs_and_the_edge() -> None:
    lrs = [0.01, 0.05, 0.09, 0.2, 0.5]
    still = stills.lr_sweep(lrs=lrs, max_iter=2000, size=(480, 320))
    status = [Status(r.status[0]) for r in still.info["runs"]]
    diverged = [lr for lr, s in zip(lrs, status, strict=True) if s == Status.DIVERGED]
    assert diverged == [0.2, 0.5]
    ax = still.fig.axes[0]
    # a kind the sweep has none of is kept out of the legend ("_" + its label)
    by_label = {line.get_label().lstrip("_"): line for line in ax.lines}
    np.testing.assert_array_equal(by_label["diverged (no value)"].get_xdata(), diverged)
    for label in ("converged", f"stopped at max_iter = {2000}"):
        assert not set(by_label[label].get_xdata()) & set(diverged)  # never drawn as a value
    edges = [
        line.get_xdata()[0]
        for line in ax.lines
        if line.get_color() == "#d62728" and line.get_linestyle() == "-"
    ]
    assert edges == pytest.approx([0.1], rel=1e-6)  # 2 / L for x^2 + 10y^2


def test_lr_sweep_legend_hides_no_point() -> None:
    # The notebook's sweep on 2x^2: the slow small rates start at the top left, where the legend
    # used to sit. Every marker drawn (in its own transform) must lie outside the legend's box.
    square = as_objective("2x^2")
    lrs = np.geomspace(0.005, 0.6, 48)
    still = stills.lr_sweep(square, start=[[1.0]], lrs=lrs, max_iter=50, size=(700, 420))
    fig = still.fig
    fig.canvas.draw()
    ax = fig.axes[0]
    box = ax.get_legend().get_window_extent()
    drawn = 0
    for line in ax.lines:
        xy = line.get_xydata()
        if len(xy) == 0 or line.get_marker() in (None, "None", ""):
            continue
        for px, py in line.get_transform().transform(xy):
            drawn += 1
            assert not box.contains(px, py), (line.get_label(), px, py)
    assert drawn >= len(lrs)  # the check saw the sweep's points
    assert fig.bbox.contains(box.x1 - 1, box.y0 + 1)  # and the legend is on the picture


def test_basins_colours_match_group_minima() -> None:
    still = stills.basins(per_axis=12, size=(360, 340))
    found = group_minima(still.info["result"], tol=1e-3)
    assert len(found) == 4
    flat = still.info["labels"].T.ravel()  # back to grid_starts order (x slowest)
    for m, minimum in enumerate(found):
        assert set(np.nonzero(flat == m)[0]) == set(minimum.rows)
    assert still.info["labels"].shape == (12, 12)


def test_basins_grey_for_failed_runs() -> None:
    still = stills.basins(optimizer=gd(lr=0.05), per_axis=8, max_iter=50, size=(360, 340))
    failed = ~np.array([Status(s).converged for s in still.info["result"].status])
    assert failed.any()
    assert np.all(still.info["labels"].T.ravel()[failed] == -1)


def test_linesearch_trials_follow_armijo() -> None:
    still = stills.linesearch(size=(480, 320))
    a, fa, accepted = still.info["trials"]
    obj = as_objective("rosenbrock")
    f0, g = obj.value_and_grad(np.array([[-1.2, 1.0]]))
    bound = f0[0] - 1e-4 * a * float(g[0] @ g[0])
    assert a[0] == 1.0 and np.all(a[1:] == a[:-1] / 2)
    assert np.all(fa[:-1] > bound[:-1]) and fa[-1] <= bound[-1]
    assert accepted == a[-1]


def test_fd_error_renders_and_checks_input() -> None:
    still = stills.fd_error(size=(480, 320))
    assert still.frame().shape == (320, 480, 3)
    with pytest.raises(ConfigError, match="one variable"):
        stills.fd_error("x*y")


def test_bad_input() -> None:
    with pytest.raises(ConfigError, match="two variables"):
        stills.field("x^2")
    with pytest.raises(ConfigError, match="two variables"):
        stills.basins("x^2")
    with pytest.raises(ConfigError, match="lrs"):
        stills.lr_sweep(lrs=[-1.0])
    with pytest.raises(ConfigError, match="linesearch"):
        stills.linesearch(optimizer=gd())
    with pytest.raises(RenderError):
        stills.field(size=(5, 5))


def test_basins_with_many_minima_every_basin_its_own_colour_and_counts_add_up() -> None:
    """notebook-trig has more minima than colours: none shares a colour, nothing is dropped."""
    from descentlab.animate.basins import BASIN_COLORS

    still = stills.basins("notebook-trig", optimizer=gd(lr=0.05), per_axis=30, size=(560, 520))
    ax = still.fig.axes[0]
    stars = [ln for ln in ax.lines if ln.get_marker() == "*"]
    assert stars
    still.frame()
    frame = ax.get_window_extent()
    for star in stars:  # a minimum on the view's edge (x = 2.2 here) is drawn whole, not cut
        px, py = ax.transData.transform(np.column_stack(star.get_data()))[0]
        radius = star.get_markersize() / 2 * still.fig.dpi / 72
        whole = frame.x0 + radius <= px <= frame.x1 - radius
        whole &= frame.y0 + radius <= py <= frame.y1 - radius
        assert whole or not star.get_clip_on()
    legend = still.info["legend"]
    colours = [c for c, _ in legend]
    assert len(set(colours)) == len(colours)
    points = [lab(c) for c in colours]
    gaps = [np.linalg.norm(a - b) for i, a in enumerate(points) for b in points[i + 1 :]]
    assert min(gaps) > 20  # CIE76: clearly different colours, greys included
    counts = [int(text.rsplit(": ", 1)[1].replace(",", "")) for _, text in legend]
    assert sum(counts) == 30 * 30
    picture = still.info["picture"]
    assert [int(np.sum(picture == k)) for k in range(len(legend))] == counts  # drawn as told
    found = still.info["minima"]
    named = [t for _, t in legend if t.startswith("(")]
    assert len(found) > len(named) or len(named) <= len(BASIN_COLORS)
    if len(found) > len(named):
        other = [t for _, t in legend if "other minima" in t]
        assert other and other[0].startswith(f"{len(found) - len(named)} other minima")
    ax = still.fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [t for _, t in legend]


def test_basins_tell_diverged_from_max_iter() -> None:
    from descentlab.animate.basins import DIVERGED, MAX_ITER

    still = stills.basins(optimizer=gd(lr=0.03), per_axis=10, max_iter=20, size=(400, 380))
    status = still.info["result"].status
    by_colour = dict(still.info["legend"])
    if np.any(status == Status.MAX_ITER):
        assert by_colour[MAX_ITER].startswith("still moving at max_iter 20")
    big = stills.basins(optimizer=gd(lr=0.2), per_axis=8, max_iter=50, size=(400, 380))
    assert np.any(big.info["result"].status == Status.DIVERGED)
    assert dict(big.info["legend"])[DIVERGED].startswith("diverged")


def test_lr_sweep_legend_lists_only_the_kinds_of_run_it_shows() -> None:
    # small rates on x^2 + 10y^2 (L = 20): all converge, none grows or diverges
    still = stills.lr_sweep(lrs=[0.02, 0.05, 0.09], max_iter=5000, size=(480, 320))
    (ax,) = [a for a in still.fig.axes if a.get_legend() is not None]
    shown = [t.get_text() for t in ax.get_legend().get_texts()]
    assert shown == ["converged"]
    # ... and a sweep past 2/L shows its diverged runs in the legend
    wide = stills.lr_sweep(lrs=[1e-2, 0.2, 1.0], max_iter=300, size=(480, 320))
    (ax,) = [a for a in wide.fig.axes if a.get_legend() is not None]
    assert any("diverged" in t.get_text() or "growing" in t.get_text()
               for t in ax.get_legend().get_texts())  # fmt: skip
