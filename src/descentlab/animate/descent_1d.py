"""The one-variable descent scene: a point sliding down the curve, with its tangent and step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.common import (
    curve,
    finite_path,
    lr_at,
    lr_inset,
    lr_text,
    num,
    optimizer_label,
    recorded,
    stop_line,
    stop_reason,
)
from descentlab.animate.engine import Scene
from descentlab.animate.frames import pad, sample_indices
from descentlab.animate.style import COLORS, RC, new_figure, quiet_axes
from descentlab.errors import ConfigError
from descentlab.result import SCENE_STOPS

if TYPE_CHECKING:
    from descentlab.optimizers import Optimizer

__all__ = ["descent_1d"]


def descent_1d(
    target: object = "3x^4 + 4x^3 - 12x^2 + 7",
    *,
    start: float = 3.0,
    optimizer: Optimizer | None = None,
    scheduler: Any = None,
    grad_tol: float = SCENE_STOPS["descent-1d"][0].grad_tol,
    max_iter: int = SCENE_STOPS["descent-1d"][0].max_iter,
    frames: int = 70,
    pause_frames: int | None = None,
    fps: float = 15.0,
    size: tuple[int, int] = (1000, 400),
    xlim: tuple[float, float] | None = None,
) -> Scene:
    """Gradient descent on a curve, frames taken from the real trajectory.

    Left: f at each iterate against the iteration (a plateau shows as a flat line). Right: the
    current iterate on the curve with the tangent there and an arrow to where the iterate is at
    the next frame (downhill); the title reads the iteration, x, f(x) and f'(x), the left title
    the optimizer and its lr. Frames are equally spaced in distance travelled on screen (the
    descent slows down near the minimum), followed by a pause on the final iterate; the last
    frames state why the run stopped (converged, max_iter, diverged) under the panels. The view
    shows where f is defined; with two valleys it is cut at twice the ridge between them and the
    first iterates ride on the top edge (a triangle instead of the dot).

    Args:
        target: Formula text in one variable, a catalogue name or a one-variable Objective.
        start: The initial guess x0.
        optimizer: An Optimizer (default ``gd(lr=0.001)``, the original notebook's).
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`); the title then reads
            the lr of each frame's step and, when the lr changes, a small panel in the left
            plot draws it against the iteration.
        grad_tol: Stop when ``|f'(x)| < grad_tol``.
        max_iter: Iteration limit.
        frames: Frame budget, the pause included.
        pause_frames: Frames resting on the final iterate (default ``frames // 7``).
        fps: Frames per second.
        size: (width, height) in pixels.
        xlim: Plotted x range (default: [-3, 3] joined with the path, padded).

    Returns:
        The scene; ``scene.info`` holds the run's ``result``, the iterate index of each frame
        (``frames``) and the view (``xlim``, ``ylim``). With a schedule the lr of frame ``i``'s
        step is ``result.trajectory.lrs[frames[i]]`` (the first step's at the start).

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
    opt = gd(lr=0.001) if optimizer is None else optimizer
    result = minimize(
        c.objective,
        X0,
        opt,
        max_iter=max_iter,
        grad_tol=grad_tol,
        record=True,
        scheduler=scheduler,
    )
    traj = recorded(result)
    xs = traj.xs[:, 0, 0]
    fs = traj.fs[:, 0]
    its = traj.its

    path_x, path_f = finite_path(xs, fs)
    xlim, ylim, grid, ys = _view(c.f, path_x, path_f, xlim)
    top = ylim[1]
    shown_f = np.minimum(fs, top)  # iterates above the view ride on its top edge

    # Frames: equal distances on screen (x and the shown f scaled by the plotted ranges).
    n = len(path_x)
    screen = np.stack((path_x / (xlim[1] - xlim[0]), shown_f[:n] / (ylim[1] - ylim[0])), axis=1)
    walk = sample_indices(n, int(frames) - int(pause), mode="distance", xs=screen)
    idx = pad(walk, int(pause))
    nxt = np.append(walk[1:], walk[-1])
    nxt = np.concatenate((nxt, np.full(int(pause), walk[-1])))
    slopes = c.df(xs[idx])
    opt_text = optimizer_label(opt, scheduler)
    last_walk = len(walk) - 1

    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        left, right = fig.subplots(1, 2, width_ratios=(1, 1.6))
        for ax in (left, right):
            quiet_axes(ax)
        # Left: f at each iterate against the iteration (a plateau shows as a flat line).
        finite_its = its[:n]
        left.set_xscale("symlog", linthresh=10)
        left.set_xlim(0, max(float(finite_its[-1]), 10.0))
        f_lo, f_hi = float(np.min(path_f)), float(np.max(path_f))
        f_pad = 0.08 * max(f_hi - f_lo, 1e-12 + 1e-9 * abs(f_hi))
        left.set_ylim(f_lo - f_pad, f_hi + f_pad)
        left.set_xlabel("iteration")
        left.set_ylabel(f"$f({c.var}_k)$")
        # With a schedule the label is longer: the axis labels already say "f against iteration".
        left.set_title(opt_text if scheduler else f"{opt_text}: f against iteration", fontsize=11)
        # Right: the curve, the tangent and the step.
        right.plot(grid, ys, color=COLORS["curve"], zorder=2)
        right.set_xlim(*xlim)
        right.set_ylim(*ylim)
        right.set_xlabel(f"${c.var}$")
        right.set_ylabel(f"$f({c.var})$")
        # The stop line first: figure texts made after it (the suptitle) are redrawn with it,
        # in the same order as a full draw, wherever they overlap.
        status, stop_text, bottom = stop_line(fig, [stop_reason(result)], fontsize=10)
        fig.suptitle(c.title, fontsize=12)
        right.plot([xs[0]], [shown_f[0]], "o", color=COLORS["muted"], ms=5, zorder=3, clip_on=False)
        (loss,) = left.plot([], [], color=COLORS["moving"], lw=1.8, zorder=3)
        (loss_dot,) = left.plot([], [], "o", color=COLORS["moving"], ms=6, zorder=4)
        (trail,) = right.plot([], [], color=COLORS["moving"], lw=1.2, alpha=0.6, zorder=3)
        (tangent,) = right.plot([], [], color=COLORS["tangent"], lw=1.5, zorder=4)
        (point,) = right.plot(
            [], [], "o", color=COLORS["moving"], ms=DOT_MS, zorder=6, clip_on=False
        )
        step = right.annotate(
            "", (0, 0), (0, 0), zorder=7,
            arrowprops={"arrowstyle": "-|>", "color": COLORS["step"], "lw": 2,
                        "shrinkA": DOT_MS / 2 + 1, "shrinkB": 0, "mutation_scale": 14},
        )  # fmt: skip
        title = right.set_title(" \n ", fontsize=11)
        lr_dots, move_lr = lr_inset(left, its, traj.lrs, [COLORS["moving"]], ends=result.nit)

        # Fixed margins: tight_layout would size them from the empty readouts (the bottom one
        # holds the tick labels, the axis label and the stop line).
        w, h = size
        fig.subplots_adjust(
            left=60 / w, right=1 - 12 / w, bottom=min(56 / h + bottom, 0.4),
            top=1 - min(72 / h, 0.3),
            wspace=max(0.22, 70 / ((w - 72) / 2.6)),  # room for the right panel's y labels
        )  # fmt: skip
        # Tangent drawn with a constant length on screen, whatever its slope.
        bbox = right.get_window_extent()
        px_per_x = bbox.width / (xlim[1] - xlim[0])
        px_per_y = bbox.height / (ylim[1] - ylim[0])
        half_px = 0.12 * bbox.width

        def update(i: int) -> None:
            k, k_next = idx[i], nxt[i]
            x, f, g = xs[k], fs[k], slopes[i]
            fy = shown_f[k]
            dx = half_px / np.hypot(px_per_x, g * px_per_y)
            tangent.set_data([x - dx, x + dx], [f - g * dx, f + g * dx])
            point.set_data([x], [fy])
            point.set_marker("o" if f <= top else "^")
            trail.set_data(xs[: k + 1], shown_f[: k + 1])
            loss.set_data(its[: k + 1], fs[: k + 1])
            loss_dot.set_data([its[k]], [f])
            # The step arrow from the dot's edge to the next frame's iterate, only when it is
            # longer than the dot (a shorter one would hide under it).
            length = np.hypot((xs[k_next] - x) * px_per_x, (shown_f[k_next] - fy) * px_per_y)
            step.set_visible(bool(length > MIN_ARROW_PX))
            step.xy, step.xyann = (xs[k_next], shown_f[k_next]), (x, fy)
            head = f"iteration {its[k]}"
            if traj.lrs is not None:  # on the first line: the second is long enough
                head += f",  {lr_text(lr_at(traj.lrs, k))}"
            move_lr(k)
            title.set_text(f"{head}\nx = {num(x, 6)}   f(x) = {num(f, 6)}   f′(x) = {num(g, 3)}")
            status.set_text(stop_text if i >= last_walk else "")

    moving = [loss, loss_dot, trail, tangent, point, step, title, status, *lr_dots]
    info = {"result": result, "frames": idx, "ylim": ylim, "xlim": xlim}
    return Scene(fig, moving, update, n_frames=len(idx), fps=fps, info=info)


#: Marker size of the moving dot (points) and the shortest step arrow drawn (pixels).
DOT_MS, MIN_ARROW_PX = 9, 16.0


def _view(
    f: Any, path_x: np.ndarray, path_f: np.ndarray, xlim: tuple[float, float] | None
) -> tuple[tuple[float, float], tuple[float, float], np.ndarray, np.ndarray]:
    """x and y ranges that show the valleys, where f is defined, and the curve on a grid.

    x: the path joined with [-3, 3], cut back to where f is finite around the path. y: from the
    lowest value to the path's highest, but when the curve has an interior local maximum below
    that (two valleys), only up to that maximum plus its depth: the valleys fill the lower half
    and the first iterates ride on the top edge instead of squeezing the picture.
    """
    lo, hi = float(path_x.min()), float(path_x.max())
    margin = 0.05 * max(hi - lo, 1.0)
    if xlim is None:
        wide = (min(-3.0, lo - margin), max(3.0, hi + margin))
        grid = np.linspace(*wide, 601)
        ok = np.isfinite(f(grid))
        # the finite stretch of the grid around the path
        inside = (grid >= lo) & (grid <= hi)
        first = int(np.argmax(inside)) if inside.any() else int(np.searchsorted(grid, lo))
        a = first
        while a > 0 and ok[a - 1]:
            a -= 1
        b = max(first, int(np.searchsorted(grid, hi, side="right")) - 1)
        while b < len(grid) - 1 and ok[b + 1]:
            b += 1
        xlim = (min(float(grid[a]), lo - margin), max(float(grid[b]), hi + margin))
    grid = np.linspace(*xlim, 600)
    ys = f(grid)
    finite = ys[np.isfinite(ys)]
    y_lo = float(min(finite.min(), path_f.min())) if finite.size else float(path_f.min())
    y_hi = float(path_f.max())
    inner = ys[1:-1]
    peaks = (inner > ys[:-2]) & (inner >= ys[2:]) & np.isfinite(inner)
    if peaks.any():
        ridge = float(inner[peaks].max())
        y_hi = min(y_hi, ridge + (ridge - y_lo)) if ridge < y_hi else y_hi
        y_hi = max(y_hi, float(path_f[-1]))
    span = y_hi - y_lo
    pad_y = 0.08 * span if span > 0 else max(1.0, abs(y_hi))
    return xlim, (y_lo - pad_y, y_hi + pad_y), grid, ys
