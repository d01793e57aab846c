"""The one-variable descent scene: a point sliding down the curve, with its tangent and step."""

from __future__ import annotations

import numpy as np

from descentlab.animate.common import curve, num
from descentlab.animate.engine import Scene
from descentlab.animate.frames import pad, sample_indices
from descentlab.animate.style import COLORS, RC, finish_layout, new_figure, quiet_axes
from descentlab.errors import ConfigError

__all__ = ["descent_1d"]


def descent_1d(
    target: object = "3x^4 + 4x^3 - 12x^2 + 7",
    *,
    start: float = 3.0,
    optimizer: object = None,
    grad_tol: float = 1e-12,
    max_iter: int = 100_000,
    frames: int = 70,
    pause_frames: int | None = None,
    fps: float = 15.0,
    size: tuple[int, int] = (1000, 400),
    xlim: tuple[float, float] | None = None,
) -> Scene:
    """Gradient descent on a curve, frames taken from the real trajectory.

    Left: the function with its formula. Right: the current iterate on the curve with the tangent
    there and an arrow to where the iterate is at the next frame (downhill); the title reads the
    iteration, x, f(x) and f'(x). Frames are equally spaced in distance travelled on screen (the
    descent slows down near the minimum), followed by a pause on the final iterate.

    Args:
        target: Formula text in one variable, a catalogue name or a one-variable Objective.
        start: The initial guess x0.
        optimizer: An Optimizer (default ``gd(lr=0.001)``, the original notebook's).
        grad_tol: Stop when ``|f'(x)| < grad_tol``.
        max_iter: Iteration limit.
        frames: Frame budget, the pause included.
        pause_frames: Frames resting on the final iterate (default ``frames // 7``).
        fps: Frames per second.
        size: (width, height) in pixels.
        xlim: Plotted x range (default: [-3, 3] joined with the path, padded).

    Returns:
        The scene.

    Raises:
        ConfigError: Bad numbers or a target of more than one variable.
        ParseError: Formula text that cannot be read.
    """
    import matplotlib

    from descentlab.descent import minimize
    from descentlab.optimizers import gd

    if isinstance(start, bool) or not np.isfinite(start):
        raise ConfigError(f"start must be a finite number (got {start!r})")
    if isinstance(frames, bool) or int(frames) != frames or frames < 3:
        raise ConfigError(f"frames must be an integer >= 3 (got {frames!r})")
    pause = int(frames) // 7 if pause_frames is None else pause_frames
    if int(pause) != pause or not 0 <= pause <= frames - 2:
        raise ConfigError(f"pause_frames must be in 0..frames-2 (got {pause_frames!r})")
    c = curve(target, scene="descent-1d")
    X0 = np.array([[float(start)]])
    c.objective.check_finite_at(X0)  # a start where f is undefined is bad input
    result = minimize(
        c.objective,
        X0,
        gd(lr=0.001) if optimizer is None else optimizer,
        max_iter=max_iter,
        grad_tol=grad_tol,
        record=True,
    )
    traj = result.trajectory
    xs = traj.xs[:, 0, 0]
    fs = traj.fs[:, 0]
    its = traj.its

    finite = np.isfinite(fs)
    if xlim is None:
        lo, hi = float(xs[finite].min()), float(xs[finite].max())
        margin = 0.05 * max(hi - lo, 1.0)
        xlim = (min(-3.0, lo - margin), max(3.0, hi + margin))
    grid = np.linspace(*xlim, 600)
    ys = c.f(grid)
    y_lo, y_hi = float(np.nanmin(ys)), float(np.nanmax(ys))
    ypad = 0.08 * max(y_hi - y_lo, 1.0)
    ylim = (y_lo - ypad, y_hi + ypad)

    # Frames: equal distances on screen (x and f scaled by the plotted ranges).
    screen = np.stack((xs / (xlim[1] - xlim[0]), fs / (ylim[1] - ylim[0])), axis=1)
    walk = sample_indices(len(xs), int(frames) - int(pause), mode="distance", xs=screen)
    idx = pad(walk, int(pause))
    nxt = np.append(walk[1:], walk[-1])
    nxt = np.concatenate((nxt, np.full(int(pause), walk[-1])))
    slopes = c.df(xs[idx])
    fname = f"$f({c.var}) = {c.latex}$" if c.latex else "f"

    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        left, right = fig.subplots(1, 2)
        for ax in (left, right):
            quiet_axes(ax)
            ax.plot(grid, ys, color=COLORS["curve"], zorder=2)
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
            ax.set_xlabel(f"${c.var}$")
        left.set_ylabel(f"$f({c.var})$")
        left.set_title(f"Function to minimize\n{fname}")
        right.plot([xs[0]], [fs[0]], "o", color=COLORS["muted"], ms=5, zorder=3)
        (trail,) = right.plot([], [], color=COLORS["moving"], lw=1.2, alpha=0.6, zorder=3)
        (tangent,) = right.plot([], [], color=COLORS["tangent"], lw=1.5, zorder=4)
        step = right.annotate(
            "", (0, 0), (0, 0), zorder=5,
            arrowprops={"arrowstyle": "-|>", "color": COLORS["step"], "lw": 2,
                        "shrinkA": 0, "shrinkB": 0, "mutation_scale": 14},
        )  # fmt: skip
        (point,) = right.plot([], [], "o", color=COLORS["moving"], ms=9, zorder=6)
        title = right.set_title(" \n ")

        finish_layout(fig)
        # Tangent drawn with a constant length on screen, whatever its slope.
        bbox = right.get_window_extent()
        px_per_x = bbox.width / (xlim[1] - xlim[0])
        px_per_y = bbox.height / (ylim[1] - ylim[0])
        half_px = 0.12 * bbox.width

        def update(i: int) -> None:
            k, k_next = idx[i], nxt[i]
            x, f, g = xs[k], fs[k], slopes[i]
            dx = half_px / np.hypot(px_per_x, g * px_per_y)
            tangent.set_data([x - dx, x + dx], [f - g * dx, f + g * dx])
            point.set_data([x], [f])
            trail.set_data(xs[: k + 1], fs[: k + 1])
            step.set_visible(bool(k_next != k))
            step.xy, step.xyann = (xs[k_next], fs[k_next]), (x, f)
            title.set_text(
                f"Gradient descent: iteration {its[k]}\n"
                f"x = {num(x, 6)}   f(x) = {num(f, 6)}   f′(x) = {num(g, 3)}"
            )

    return Scene(fig, [trail, tangent, step, point, title], update, n_frames=len(idx), fps=fps)
