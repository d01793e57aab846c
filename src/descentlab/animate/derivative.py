"""The derivative scene: a secant through P0 and P1 that becomes the tangent as dx shrinks."""

from __future__ import annotations

import numpy as np

from descentlab.animate.common import curve, num, place_clear
from descentlab.animate.engine import Scene
from descentlab.animate.style import COLORS, RC, finish_layout, new_figure, quiet_axes
from descentlab.errors import ConfigError

__all__ = ["derivative"]


def _limits(f, x0: float, x1: float) -> tuple[tuple[float, float], tuple[float, float]]:  # noqa: ANN001
    lo, hi = min(x0, x1), max(x0, x1)
    span = max(hi - lo, 1.0)
    xlim = (lo - 0.6 * span, hi + 0.12 * span)
    grid = np.linspace(*xlim, 400)
    ys = f(grid)
    ys = ys[np.isfinite(ys)]
    if ys.size == 0:
        raise ConfigError("the target is not finite anywhere near x0")
    y_lo = float(min(ys.min(), f(np.array([x0, x1])).min()))
    y_hi = float(max(f(np.array([x0, x1])).max(), ys.min()))
    pad = max(y_hi - y_lo, 1.0)
    return xlim, (y_lo - 0.12 * pad, y_hi + 0.12 * pad)


#: Where the secant's second point and the walking point go by default: these distances right of
#: x0 (x0 = -1 gives the original notebook's x1 = 3 and a walk from 3.5).
X1_OFFSET, START_OFFSET = 4.0, 4.5

#: Values beyond this (relative to ``max(1, |f(x0)|)``) make a view of nothing but a wall.
WALL = 1e15


def _usable(f, x0: float, x: float) -> bool:  # noqa: ANN001
    """f is finite and not a wall on [x0, x] (sampled, the ends included)."""
    ys = f(np.linspace(x0, x, 65))
    bound = WALL * max(1.0, abs(float(ys[0])))
    return bool(np.all(np.isfinite(ys)) and np.all(np.abs(ys) <= bound))


def _second_points(f, x0: float, x1: float | None, start: float | None) -> tuple[float, float]:  # noqa: ANN001
    """x1 and start: given ones must be usable; missing ones are chosen where f is.

    The default distances (:data:`X1_OFFSET`, :data:`START_OFFSET`) are tried to the right of
    x0, then to the left, then halved (up to 30 times), so ``asin(x)`` at 0.5 or ``exp(300x)``
    get points inside their domain and below overflow.

    Raises:
        ConfigError: A given point where f is not finite, or no usable point near x0.
    """
    for name, value in (("x1", x1), ("start", start)):
        if value is not None and not _usable(f, x0, value):
            raise ConfigError(
                f"f is not finite (or overflows) between x0 = {x0:g} and {name} = {value:g}; "
                f"choose {name} where f is defined"
            )
    if x1 is not None and start is not None:
        return x1, start
    for k in range(31):
        for side in (1.0, -1.0):
            scale = side * 0.5**k
            a = x0 + X1_OFFSET * scale if x1 is None else x1
            b = x0 + START_OFFSET * scale if start is None else start
            if a != x0 and b != x0 and _usable(f, x0, a) and _usable(f, x0, b):
                return a, b
    raise ConfigError(f"f is not finite at any point near x0 = {x0:g}; a secant needs two points")


def _title_geometry(fig, title, head: str, value: str) -> tuple[float, float]:  # noqa: ANN001
    """Pixels from one title line's baseline to the next, and the shift that centres head+value."""
    renderer = fig.canvas.get_renderer()
    probe = title.axes.text(0, 0, "lp", fontproperties=title.get_fontproperties())
    one = probe.get_window_extent(renderer).height
    probe.set_text("lp\nlp")
    step = probe.get_window_extent(renderer).height - one
    widths = []
    for s in (head, value):
        probe.set_text(s)
        widths.append(probe.get_window_extent(renderer).width)
    probe.remove()
    return step, (widths[0] - widths[1]) / 2


def _shifted(transform, fig, dx: float, dy: float):  # noqa: ANN001, ANN202
    """``transform`` followed by a shift of (dx, dy) pixels at the figure's dpi."""
    from matplotlib.transforms import ScaledTranslation

    return transform + ScaledTranslation(dx / fig.dpi, dy / fig.dpi, fig.dpi_scale_trans)


def derivative(
    target: object = "1 + x^2",
    *,
    x0: float = -1.0,
    x1: float | None = None,
    start: float | None = None,
    frames: int = 45,
    tangent_frames: int | None = None,
    fps: float = 12.0,
    size: tuple[int, int] = (1000, 500),
) -> Scene:
    """Secant -> tangent: the slope of the secant through x0 and x0 + h converges to f'(x0).

    Left: the secant through P0 = (x0, f(x0)) and P1 = (x1, f(x1)) with the run (dx) and rise
    (dy) drawn as arrows. Right: P1 walks from ``start`` toward x0 (h shrinks geometrically,
    never to 0), with the slope readout; the last ``tangent_frames`` frames show the tangent with
    the exact slope f'(x0) and the symbolic f'(x).

    Args:
        target: Formula text in one variable, a catalogue name or a one-variable Objective.
        x0: Where the derivative is taken.
        x1: The second point of the static secant (left panel); default x0 + 4, or the
            nearest point where f is finite and does not overflow (see :data:`X1_OFFSET`).
        start: Where the moving point starts (right panel); default x0 + 4.5, chosen the same
            way. Both must differ from x0.
        frames: Total frames, the tangent frames included.
        tangent_frames: Frames that show the tangent at the end (default about 2/9 of
            ``frames``, at least 1: 10 of the default 45).
        fps: Frames per second.
        size: (width, height) in pixels.

    Returns:
        The scene; ``scene.info`` holds the points used (``x0``, ``x1``, ``start``) and the
        left panel's labels (``dx_label``, ``point_labels``: the two P labels).

    Raises:
        ConfigError: Bad numbers (x1 or start equal to x0, too few frames), f or f' not finite
            at x0, or f not finite between x0 and a given x1 or start.
        ParseError: Formula text that cannot be read.
    """
    import matplotlib

    for name, value in (("x0", x0), ("x1", x1), ("start", start)):
        if value is None and name != "x0":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise ConfigError(f"{name} must be a finite number (got {value!r})")
        if not np.isfinite(value):
            raise ConfigError(f"{name} must be a finite number (got {value!r})")
    if x1 == x0 or start == x0:
        raise ConfigError("x1 and start must differ from x0 (a secant needs two points)")
    if isinstance(frames, bool) or int(frames) != frames or frames < 2:
        raise ConfigError(f"frames must be an integer >= 2 (got {frames!r})")
    if tangent_frames is None:
        tangent_frames = max(1, min(int(frames) - 1, round(int(frames) * 2 / 9)))
    if (
        isinstance(tangent_frames, bool)
        or int(tangent_frames) != tangent_frames
        or not 1 <= tangent_frames < frames
    ):
        raise ConfigError(f"tangent_frames must be in 1..frames-1 (got {tangent_frames!r})")

    c = curve(target, scene="derivative")
    x0 = float(x0)
    y0 = float(c.f(np.array([x0]))[0])
    slope0 = float(c.df(np.array([x0]))[0])
    if not (np.isfinite(y0) and np.isfinite(slope0)):
        raise ConfigError(
            f"f or f' is not finite at x0 = {x0:g} (f = {y0:g}, f' = {slope0:g}); "
            "choose a point where both are"
        )
    x1, start = _second_points(
        c.f, x0, None if x1 is None else float(x1), None if start is None else float(start)
    )
    n_walk = int(frames) - int(tangent_frames)
    h0 = start - x0
    hs = h0 * (1e-2 ** (np.arange(n_walk) / max(1, n_walk - 1)))  # |h| from |h0| to |h0|/100
    xs1 = x0 + hs
    ys1 = c.f(xs1)
    slopes = (ys1 - y0) / hs  # h is never 0: no 0/0
    xlim, ylim = _limits(c.f, x0, max(x1, start, key=lambda v: abs(v - x0)))
    grid = np.linspace(*xlim, 600)

    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        left, right = fig.subplots(1, 2)
        for ax in (left, right):
            quiet_axes(ax)
            ax.plot(grid, c.f(grid), color=COLORS["curve"], zorder=2)
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
            ax.set_xlabel(f"${c.var}$")

        # Left: the static secant through P0 and P1.
        y1 = float(c.f(np.array([x1]))[0])
        s = (y1 - y0) / (x1 - x0)
        left.plot(xlim, [y0 + s * (xlim[0] - x0), y0 + s * (xlim[1] - x0)], color=COLORS["secant"])
        left.annotate("", (x1, y0), (x0, y0), arrowprops={"arrowstyle": "<->", "color": "k"})
        left.annotate("", (x1, y1), (x1, y0), arrowprops={"arrowstyle": "<->", "color": "k"})
        dx_text = left.annotate(
            r"$\Delta x = x_1 - x_0$", ((x0 + x1) / 2, y0), xytext=(0, -6),
            textcoords="offset points", ha="center", va="top",
        )  # fmt: skip
        left.text(x1, (y0 + y1) / 2, r" $\Delta y$", ha="left", va="center")
        left.plot([x0, x1], [y0, y1], "o", color=COLORS["point"], zorder=4)
        point_labels = [
            left.annotate(
                f"$P(x_{name}, f(x_{name}))$",
                (px, py),
                xytext=(-8, 6),
                textcoords="offset points",
                ha="right",
                va="bottom",
            )  # fmt: skip
            for (px, py), name in (((x0, y0), "0"), ((x1, y1), "1"))
        ]
        left.set_title(f"Secant of {c.title}\nslope $= \\Delta y / \\Delta x$")

        # Right: everything that follows the moving point.
        right.plot([x0], [y0], "o", color=COLORS["point"], zorder=4)
        (secant,) = right.plot([], [], color=COLORS["secant"], zorder=3)
        (tangent,) = right.plot([], [], color=COLORS["tangent"], zorder=3)
        (moving,) = right.plot([], [], "o", color=COLORS["moving"], zorder=5)
        arrow_style = {"arrowstyle": "<->", "color": COLORS["arrow"], "shrinkA": 0, "shrinkB": 0}
        run = right.annotate("", (x0, y0), (x0, y0), arrowprops=arrow_style, zorder=4)
        rise = right.annotate("", (x0, y0), (x0, y0), arrowprops=arrow_style, zorder=4)
        # The Δx readout stays at the top of the panel: beside a short arrow it would sit on the
        # curve, the secant and the points.
        dx_label = right.text(
            0.5, 0.97, "", transform=right.transAxes, ha="center", va="top", zorder=6,
            bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.85},
        )  # fmt: skip

        # The title in pieces, so that only the changing number is drawn each frame (the engine
        # pastes unchanged text back): line 1 "Secant slope Δy/Δx = " + value, line 2 the limit.
        # In the tangent frames line 1 is the exact slope and line 2 the symbolic f'(x).
        walk_head = "Secant slope Δy/Δx = "
        walk_limit = f"→ f′({num(x0, 4)}) = {num(slope0, 5)} as Δx → 0"
        tangent_head = f"Tangent at $x_0 = {x0:g}$: slope $f'({x0:g}) = {slope0:.4g}$"
        tangent_formula = c.dtitle
        values = [num(v, 5) for v in slopes]
        title = right.set_title(walk_limit)
        line_step, head_shift = _title_geometry(fig, title, walk_head, values[0])
        # zorder 3.5: drawn after the title, whose pixels then stay the same under them.
        font = {
            "fontsize": title.get_fontsize(), "color": title.get_color(), "va": "baseline",
            "zorder": 3.5,
        }  # fmt: skip
        head = right.text(0.5, 1.0, walk_head, ha="right", gid="title-head", **font)
        value = right.text(0.5, 1.0, values[0], ha="left", gid="title-value", **font)
        exact = right.text(0.5, 1.0, "", ha="center", gid="title-exact", **font)
        for text, dx in ((head, head_shift), (value, head_shift), (exact, 0.0)):
            text.set_transform(_shifted(title.get_transform(), fig, dx, line_step))

        def update(i: int) -> None:
            if i >= n_walk:
                secant.set_data([], [])
                moving.set_data([], [])
                for arrow in (run, rise):
                    arrow.set_visible(False)
                dx_label.set_text("")
                tangent.set_data(xlim, [y0 + slope0 * (v - x0) for v in xlim])
                head.set_text("")
                value.set_text("")
                exact.set_text(tangent_head)
                title.set_text(tangent_formula)
                return
            xa, ya, sl = xs1[i], ys1[i], slopes[i]
            tangent.set_data([], [])
            secant.set_data(xlim, [y0 + sl * (v - x0) for v in xlim])
            moving.set_data([xa], [ya])
            for arrow in (run, rise):
                arrow.set_visible(True)
            run.xy, run.xyann = (xa, y0), (x0, y0)
            rise.xy, rise.xyann = (xa, ya), (xa, y0)
            dx_label.set_text(f"Δx = {num(xa - x0, 3)}")
            head.set_text(walk_head)
            value.set_text(values[i])
            exact.set_text("")
            title.set_text(walk_limit)

        finish_layout(fig)
        # The point labels beside their points, off the curve, the secant and the arrows
        # (upper left first, as in the notebook).
        curve_xy = np.column_stack((grid, c.f(grid)))
        lines_xy = np.concatenate(
            [
                curve_xy,
                np.column_stack((grid, y0 + s * (grid - x0))),  # the secant
                np.column_stack((np.linspace(x0, x1, 200), np.full(200, y0))),  # Δx arrow
                np.column_stack((np.full(200, x1), np.linspace(y0, y1, 200))),  # Δy arrow
            ]
        )
        for label in point_labels:
            place_clear(
                left, label,
                [(label.xy, (dx, dy), "right" if dx < 0 else "left",
                  "bottom" if dy > 0 else "top" if dy < 0 else "center")
                 for dx, dy in ((-8, 6), (8, -6), (-8, -6), (8, 6), (-14, 0), (14, 0))],
                lines_xy,
            )  # fmt: skip
        # The Δx label: under or over the run arrow, where the curve does not cross it.
        spots = [
            ((x0 + t * (x1 - x0), y0), (0, dy), "center", va)
            for t in (0.5, 0.7, 0.3)
            for dy, va in ((-6, "top"), (6, "bottom"))
        ]
        place_clear(left, dx_text, spots, curve_xy)
    moving_artists = [secant, tangent, moving, run, rise, dx_label, title, head, value, exact]
    info = {"x0": x0, "x1": x1, "start": start, "dx_label": dx_text, "point_labels": point_labels}
    return Scene(fig, moving_artists, update, n_frames=int(frames), fps=fps, info=info)
