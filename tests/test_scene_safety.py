"""Scenes never crash: points and views where f is defined, plain titles for deep formulas,
and every animation's last frame says why its runs stopped."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from matplotlib.text import Text

from descentlab import animate
from descentlab.animate.common import STOP_MARGIN_PX, distinct_labels, math_or_plain, stop_line
from descentlab.animate.style import COLORS, agg_canvas, new_figure
from descentlab.errors import ConfigError
from descentlab.objective import as_objective

DEEP_1D = "sin(" * 35 + "x" + ")" * 35
DEEP_2D = "sin(" * 35 + "x + y" + ")" * 35

#: Small settings for each scene, so the whole registry renders in seconds.
SMALL = {
    "frames": 6, "size": (420, 300), "per_axis": 6, "arrows": 4, "lrs": [0.01, 0.1],
    "max_iter": 30,
}  # fmt: skip


def small(function: object, **extra: object) -> dict[str, object]:
    accepted = inspect.signature(function).parameters  # type: ignore[arg-type]
    return {k: v for k, v in (SMALL | extra).items() if k in accepted}


@pytest.mark.parametrize(
    ("formula", "x0"),
    [("asin(x)", 0.5), ("sqrt(1-x^2)", 0.5), ("exp(300x)", -1.0), ("asin(x)", 0.99)],
)
def test_derivative_points_are_where_f_is_finite(formula: str, x0: float) -> None:
    scene = animate.derivative(formula, x0=x0, frames=6, size=(400, 220))
    f = as_objective(formula).value
    x1, start = scene.info["x1"], scene.info["start"]
    assert x1 != x0 and start != x0
    walk = np.linspace(x0, start, 50)[:, None]
    assert np.all(np.isfinite(f(np.array([[x1], [start]])))) and np.all(np.isfinite(f(walk)))
    scene.frame(-1)
    scene.frame(0)


def test_derivative_keeps_the_notebook_points_where_they_work() -> None:
    scene = animate.derivative(frames=4, size=(400, 220))
    assert (scene.info["x1"], scene.info["start"]) == (3.0, 3.5)


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"target": "cosh(1000x)", "x0": -1.0}, "not finite at x0"),
        ({"target": "sqrt(1-x^2)", "x0": 1.0}, "not finite at x0"),
        ({"target": "asin(x)", "x0": 0.5, "start": 2.0}, "choose start where f is defined"),
    ],
)
def test_derivative_refuses_points_outside_the_domain(kwargs: dict, phrase: str) -> None:
    with pytest.raises(ConfigError, match=phrase):
        animate.derivative(**kwargs, frames=4, size=(300, 200))


@pytest.mark.parametrize(
    ("formula", "start"),
    [("asin(x)", 0.5), ("sqrt(1-x^2)", 0.5), ("exp(300x)", 1.0), ("cosh(1000x)", 0.1)],
)
def test_descent_1d_views_only_where_f_is_defined(formula: str, start: float) -> None:
    scene = animate.descent_1d(formula, start=start, frames=6, size=(420, 260))
    (lo, hi), ylim = scene.info["xlim"], scene.info["ylim"]
    assert np.all(np.isfinite([lo, hi, *ylim])) and lo < hi and ylim[0] < ylim[1]
    scene.frame(-1)


def test_descent_1d_valleys_fill_the_view_and_the_start_rides_the_top() -> None:
    scene = animate.descent_1d(frames=30, size=(700, 300))
    ylim = scene.info["ylim"]
    # the quartic's valleys: f = -25 and 2 under a ridge f(0) = 7
    assert (7 - -25) / (ylim[1] - ylim[0]) > 0.4  # was 32 / 350 with the whole curve in view
    right = scene.fig.axes[1]
    (point,) = [ln for ln in right.lines if ln.get_zorder() == 6]
    scene.frame(0)
    assert point.get_marker() == "^" and point.get_ydata()[0] == ylim[1]  # f(3) = 250: above
    scene.frame(-1)
    assert point.get_marker() == "o" and point.get_ydata()[0] == pytest.approx(2.0)


def test_descent_1d_step_arrow_never_hides_under_the_dot() -> None:
    from descentlab.animate.descent_1d import MIN_ARROW_PX

    scene = animate.descent_1d(frames=40, size=(700, 300))
    right = scene.fig.axes[1]
    (arrow,) = [t for t in right.texts if t.arrow_patch is not None]
    shown = 0
    for i in range(scene.n_frames):
        scene.frame(i)
        if arrow.get_visible():
            shown += 1
            a = right.transData.transform(arrow.xy)
            b = right.transData.transform(arrow.xyann)
            assert np.hypot(*(a - b)) > MIN_ARROW_PX
    assert shown >= 3


def test_descent_1d_step_arrow_stands_apart_from_the_tangent_and_the_dot() -> None:
    """The step runs down the curve, nearly along the tangent: drawn in the tangent's red it
    could not be told from it."""
    from colour import distance

    scene = animate.descent_1d(frames=6, size=(700, 300))
    right = scene.fig.axes[1]
    (arrow,) = [t for t in right.texts if t.arrow_patch is not None]
    scene.frame(1)
    tangent = scene.artists[3]
    point = scene.artists[4]
    assert len(tangent.get_xdata()) == 2 and point.get_marker() in ("o", "^")
    step = arrow.arrow_patch.get_edgecolor()
    assert distance(step, tangent.get_color()) > 20
    assert distance(step, point.get_color()) > 20
    assert distance(step, right.lines[0].get_color()) > 20  # the curve


def test_descent_1d_title_shows_the_learning_rate() -> None:
    scene = animate.descent_1d(frames=4, size=(500, 260))
    assert "lr 0.001" in scene.fig.axes[0].get_title()


def test_descent_1d_says_the_run_did_not_converge() -> None:
    scene = animate.descent_1d(
        "x**4 - 3*x**3 + 2", start=-0.5, max_iter=5000, frames=8, size=(600, 280)
    )  # the plateau at x = 0, where f' = 3x^2(... ) vanishes to second order
    scene.frame(-1)
    said = [t.get_text().replace("\n", " ") for t in scene.fig.texts
            if t.get_text().startswith("stop:")]  # fmt: skip
    assert said == [f"stop: {scene.info['result'].message[0]}"]
    assert said[0].startswith("stop: max_iter")
    scene.frame(0)
    assert not [t for t in scene.fig.texts if t.get_text().startswith("stop:")]


#: The scenes of the descent story (the registry also holds other engineers' pictures).
STORY = (
    "derivative", "descent-1d", "remedies", "contour", "surface", "race", "field", "fd-error",
    "lr-sweep", "basins", "linesearch",
)  # fmt: skip


@pytest.mark.parametrize("name", STORY)
def test_a_deep_formula_gets_a_plain_title(name: str) -> None:
    """sin nested 35 times: mathtext would raise RecursionError; the title is plain text."""
    function = animate.SCENES[name]
    dim1 = name in ("derivative", "descent-1d", "remedies", "fd-error")
    extra = {"x0": 0.5} if name == "derivative" else {}
    picture = function(DEEP_1D if dim1 else DEEP_2D, **small(function, **extra))
    picture.frame(-1)
    texts = [t.get_text() for t in picture.fig.findobj(Text)]
    lines = [line for t in texts for line in t.split("\n")]
    assert any("= sin(sin(sin(" in ln and "..." in ln for ln in lines)  # plain, not mathtext


def test_math_or_plain() -> None:
    assert math_or_plain("f(x)", "x^{2}", "x^2") == "$f(x) = x^{2}$"
    assert math_or_plain("f(x)", "", "x^2") == "f(x) = x^2"
    assert math_or_plain("f(x)", r"\frac{", "x") == "f(x) = x"  # mathtext cannot set it


def test_contour_colour_bar_labels_are_distinct() -> None:
    scene = animate.contour("rosenbrock", start=[[-1.2, 1.0]], frames=4, size=(400, 400))
    labels = scene.info["colorbar"]
    assert len(labels) >= 5 and len(set(labels)) == len(labels)
    values = [float(s.replace("\u2212", "-")) for s in labels]
    assert values == sorted(values)


def test_distinct_labels_use_the_fewest_digits() -> None:
    assert distinct_labels([0.0, 0.0012, 0.3, 3.4, 23.0]) == ["0", "0.0012", "0.30", "3.4", "23"]
    assert distinct_labels([-0.27871, -0.27868]) == ["\u22120.27871", "\u22120.27868"]


@pytest.mark.parametrize("size", [(1200, 340), None], ids=["small", "default"])
def test_remedies_labels_stay_off_the_curve(size) -> None:
    """The readouts ("x = -2, 1.428, 1") and the "x0 = 4, f = 839" pointer cross no curve and
    stay inside their axes (at the default size the pointer was once pushed off the figure)."""
    from matplotlib.text import Text

    scene = animate.remedies(frames=12, **({"size": size} if size else {}))
    scene.frame(-1, full=True)
    renderer = scene.fig.canvas.get_renderer()
    texts = [*scene.artists[-3:], *scene.info["pointers"]]
    assert scene.info["pointers"]  # x0 = 4 is above the view in the default scene
    for text in texts:
        ax = text.axes
        box = Text.get_window_extent(text, renderer)  # the label, not an annotation's arrow
        frame = ax.get_window_extent(renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, text.get_text()
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, text.get_text()
        curve = ax.lines[0]  # the function, drawn first
        pts = ax.transData.transform(np.column_stack((curve.get_xdata(), curve.get_ydata())))
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        inside = (pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1)
        inside &= (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)
        assert not inside.any(), text.get_text()


def test_race_reference_for_a_typed_formula_is_not_the_best_final_value() -> None:
    from descentlab.optimizers import gd

    formula = "(1 - x)^2 + 100(y - x^2)^2"  # Rosenbrock typed: no known f*
    scene = animate.race(formula, optimizer=[gd(lr=0.001)], max_iter=300, frames=6,
                         size=(700, 320))  # fmt: skip
    (result,) = scene.info["results"]
    assert result.status[0] != 0  # stopped by max_iter, far from the minimum
    f_ref = scene.info["f_ref"]
    assert f_ref < float(result.fun[0]) - 1e-3  # no plunge to 1e-16 on the last iteration
    assert f_ref == pytest.approx(0.0, abs=1e-8)  # the refined end is Rosenbrock's minimum
    loss = scene.fig.axes[1]
    assert "f_{ref}" in loss.get_ylabel()


def test_race_star_is_drawn_over_the_end_markers_and_paths_are_nested() -> None:
    scene = animate.race(frames=6, size=(800, 360))
    ax = scene.fig.axes[0]
    (star,) = [ln for ln in ax.lines if ln.get_marker() == "*"]
    heads = [ln for ln in ax.lines if ln.get_marker() == "o" and ln.get_zorder() == 6]
    assert heads and all(star.get_zorder() > h.get_zorder() for h in heads)
    trails = [ln for ln in ax.lines if ln.get_label() and not ln.get_label().startswith("_")]
    widths = [t.get_linewidth() for t in trails]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == len(widths)


@pytest.mark.parametrize("name", ["descent-1d", "contour", "surface", "race", "remedies"])
def test_the_last_frame_says_why_the_runs_stopped(name: str) -> None:
    function = animate.SCENES[name]
    scene = function(**small(function, max_iter=40))
    scene.frame(-1)
    said = [t.get_text() for t in scene.fig.findobj(Text) if t.get_text().startswith("stop")]
    assert len(said) == 1
    results = scene.info.get("results") or [scene.info["result"]]
    for result in results:
        for message in result.message:
            assert message.split(":")[0].split(" at ")[0] in said[0]


@pytest.mark.parametrize(("formula", "x0"), [("1 + x^2", -1.0), ("3x^4 + 4x^3 - 12x^2 + 7", -1.5)])
def test_derivative_dx_label_is_off_the_curve_and_inside_the_axes(formula: str, x0: float) -> None:
    scene = animate.derivative(formula, x0=x0, frames=4, size=(800, 400))
    scene.frame(0, full=True)
    left = scene.fig.axes[0]
    renderer = scene.fig.canvas.get_renderer()
    box = scene.info["dx_label"].get_window_extent(renderer)
    frame = left.get_window_extent(renderer)
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 <= box.y1 <= frame.y1
    (curve,) = [ln for ln in left.lines if len(ln.get_xdata()) > 100]
    pts = left.transData.transform(np.column_stack((curve.get_xdata(), curve.get_ydata())))
    inside = (pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1)
    inside &= (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)
    assert not inside.any()  # was crossed by the parabola in every frame
    # The P(x0, f(x0)) and P(x1, f(x1)) labels: off the curve and the secant (the parabola
    # touched the closing parenthesis of P0's label), inside the axes.
    (secant,) = [ln for ln in left.lines if ln.get_color() == COLORS["secant"]]
    sx = np.linspace(*left.get_xlim(), 2000)
    sy = np.interp(sx, secant.get_xdata(), secant.get_ydata())
    lines = np.concatenate((pts, left.transData.transform(np.column_stack((sx, sy)))))
    for label in scene.info["point_labels"]:
        box = Text.get_window_extent(label, renderer)  # the label, not its (absent) arrow
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
        assert box.y1 <= frame.y1
        inside = (lines[:, 0] >= box.x0) & (lines[:, 0] <= box.x1)
        inside &= (lines[:, 1] >= box.y0) & (lines[:, 1] <= box.y1)
        assert not inside.any(), label.get_text()


def test_fd_error_rings_on_their_curves_and_zeros_not_a_line() -> None:
    still = animate.fd_error("3x^4 + 4x^3 - 12x^2 + 7", at=1.5, size=(700, 500))
    sweep, defaults = still.info["sweep"], still.info["defaults"]
    ax = still.fig.axes[0]
    for h0 in defaults.values():
        assert h0 in sweep["h"]  # the ring's error is the curve's value at that step
    (central,) = [ln for ln in ax.lines if ln.get_label() == "central"]
    ys = np.asarray(central.get_ydata(), dtype=float)
    err = np.asarray(sweep["central"], dtype=float)
    exact_zero = err == 0
    assert exact_zero.any()  # the quartic's central difference is exact at some steps
    assert np.all(np.isnan(ys[exact_zero]))  # not drawn as a line on the bottom edge
    assert np.all(ys[~exact_zero & np.isfinite(err)] > 0)
    legend = ax.get_legend()
    renderer = still.fig.canvas.get_renderer()
    assert not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))


@pytest.mark.parametrize("width", [300, 520, 1400])
def test_the_stop_line_wraps_to_the_figure_and_keeps_every_word(width: int) -> None:
    """Parts stay whole on a line when they fit, long ones break between words; the text keeps
    every word in order, every line fits between the margins, and the room it asks for at the
    bottom holds all its lines."""
    fig = new_figure((width, 300))
    parts = [
        "converged_f: |f_k - f_(k-1)| = 8.36e-07 < f_tol 1e-06 after 90 iterations "
        "(ended outside the domain)",
        "multi-start: 3 converged (of 3 runs)",
        "x",
    ]
    text, wrapped, bottom = stop_line(fig, parts, head="stop: ")
    assert text.get_text() == ""  # shown on the last frame only
    assert wrapped.split() == ("stop: " + " ".join(parts)).split()
    renderer = agg_canvas(fig).get_renderer()
    for line in wrapped.split("\n"):
        text.set_text(line)
        assert text.get_window_extent(renderer).width <= width - 2 * STOP_MARGIN_PX
    lines = wrapped.count("\n") + 1
    assert (lines > 1) == (width < 1400)
    text.set_text(wrapped)
    box = text.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0
    assert box.y1 <= bottom * 300  # the layout's rect starts above the stop line
    if width == 1400:  # everything fits: the parts on one line, three spaces apart
        assert wrapped == "stop: " + "   ".join(parts)


def test_fd_error_default_step_rings_are_drawn_whole() -> None:
    """The complex step's ring sits at h = 1e-20, the end of the step grid: the view reaches
    past both ends of the grid, so no ring is cut in half by the frame."""
    still = animate.fd_error(size=(760, 500))
    ax = still.fig.axes[0]
    still.frame()
    renderer = still.fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    rings = [ln for ln in ax.lines if ln.get_marker() == "o" and len(ln.get_xdata()) == 1]
    assert len(rings) == len(still.info["defaults"])
    assert min(still.info["defaults"].values()) == still.info["sweep"]["h"].min()  # at an end
    for ring in rings:
        (x,) = ring.get_xdata()
        cx = ax.transData.transform((x, 1.0))[0]
        radius = ring.get_markersize() / 2 * still.fig.dpi / 72
        assert frame.x0 <= cx - radius and cx + radius <= frame.x1, x
