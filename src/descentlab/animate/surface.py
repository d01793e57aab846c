"""The surface scene: the 3D surface and its contour map side by side, the path on both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.common import (
    check_frames,
    draw_filled,
    formula_title,
    grid_values,
    label_colorbar,
    lr_at,
    lr_inset,
    lr_text,
    notebook_descent,
    num,
    path_frames,
    recorded,
    stop_line,
    stop_reason,
)
from descentlab.animate.engine import Scene
from descentlab.animate.style import RC, finish_layout, new_figure

if TYPE_CHECKING:
    from descentlab.optimizers import Optimizer

__all__ = ["surface"]


def surface(
    target: object = None,
    *,
    start: Sequence[Sequence[float]] | None = None,
    optimizer: Optimizer | None = None,
    scheduler: Any = None,
    max_iter: int | None = None,
    grad_tol: float | None = None,
    f_tol: float | None = None,
    x_tol: float | None = None,
    frames: int = 50,
    fps: float = 12.0,
    size: tuple[int, int] = (1000, 460),
    elev: float = 35.0,
    azim: float = -60.0,
) -> Scene:
    """The path drawn on the 3D surface (left) and on the filled contours (right).

    The 3D view is fixed (``elev``, ``azim``); the path is drawn over the surface (not depth
    sorted against it), so it stays visible behind hills. Frames are real iterates equally
    spaced in distance travelled, with a pause at the end. Defaults as :func:`contour`.

    Args:
        target: An Objective, a catalogue name or a formula in two variables (None: the
            notebook's sin-cos function).
        start: Start points ``[[x, y], ...]`` (default ``[[0.1, -0.8]]``).
        optimizer: An Optimizer (default ``gd(lr=0.1)``).
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`); the title then reads
            each frame's lr and, when it changes, a small panel draws it against the iteration.
        max_iter: Iteration limit (default 3000).
        grad_tol: Gradient-norm tolerance (default 0: off).
        f_tol: Tolerance on the change of f (default 1e-6).
        x_tol: Step-length tolerance (default 0: off).
        frames: Frame budget, the final pause included.
        fps: Frames per second.
        size: (width, height) in pixels.
        elev: Elevation of the 3D view in degrees.
        azim: Azimuth of the 3D view in degrees.

    Returns:
        The scene; ``scene.info["result"]`` holds the run and ``info["frames"]`` the record
        drawn in each frame. The last frame says why it stopped.

    Raises:
        ConfigError: A target that is not a function of two variables, bad starts or frames.
        RenderError: A bad size or fps.
    """
    import matplotlib

    frames = check_frames(frames)
    obj, result, xs, fs, its, xlim, ylim, (Xg, Yg, Z) = notebook_descent(
        "surface", target, start, optimizer, max_iter, grad_tol, f_tol, x_tol, scheduler
    )
    lrs = recorded(result).lrs
    Xs, Ys, Zs = grid_values(obj, xlim, ylim, n=60)
    pause = max(1, frames // 8)
    idx = path_frames(xs, xlim, ylim, frames, pause)
    k = xs.shape[1]
    zlim = (float(np.nanmin(Zs)), float(np.nanmax(Zs)))
    lift = 0.01 * (zlim[1] - zlim[0])  # keeps the path just above the surface it lies on
    vx, vy = obj.variables

    with matplotlib.rc_context(RC | {"axes.grid": False}):
        fig = new_figure(size)
        ax3 = fig.add_subplot(1, 2, 1, projection="3d", computed_zorder=False)
        ax = fig.add_subplot(1, 2, 2)
        ax3.plot_surface(
            Xs,
            Ys,
            Zs,
            cmap="magma",
            rstride=1,
            cstride=1,
            linewidth=0,
            antialiased=False,
            zorder=1,
        )
        ax3.view_init(elev=elev, azim=azim)
        ax3.set_xlim(*xlim)
        ax3.set_ylim(*ylim)
        ax3.set_zlim(*zlim)
        ax3.set_xlabel(f"${vx}$")
        ax3.set_ylabel(f"${vy}$")
        ax3.tick_params(labelsize=8)
        filled = draw_filled(ax, Xg, Yg, Z, 12)
        label_colorbar(fig.colorbar(filled, ax=ax, fraction=0.05, pad=0.03), filled.levels)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel(f"${vx}$")
        ax.set_ylabel(f"${vy}$")
        fig.suptitle(formula_title(obj), fontsize=12)
        ax3.plot(xs[0, :, 0], xs[0, :, 1], fs[0] + lift, "o", color="white", mec="black", zorder=5)
        ax.plot(xs[0, :, 0], xs[0, :, 1], "o", color="white", mec="black", ms=8, zorder=4)
        lines3 = [ax3.plot([], [], [], color="#1fd1e0", lw=2.2, zorder=6)[0] for _ in range(k)]
        (point3,) = ax3.plot([], [], [], "o", color="#1fd1e0", mec="black", ms=7, zorder=7)
        lines = [ax.plot([], [], color="#1fd1e0", lw=2.2, zorder=5)[0] for _ in range(k)]
        (point,) = ax.plot([], [], "o", color="#1fd1e0", mec="black", ms=8, zorder=6)
        title = ax.set_title(" ")
        status, stop_text, bottom = stop_line(fig, [stop_reason(result)])
        last = len(xs) - 1
        lr_dots, move_lr = lr_inset(
            ax, its, lrs, ["#1fd1e0"], bounds=(0.6, 0.04, 0.36, 0.24), ends=result.nit
        )

        def update(i: int) -> None:
            j = idx[i]
            for r in range(k):
                lines3[r].set_data_3d(xs[: j + 1, r, 0], xs[: j + 1, r, 1], fs[: j + 1, r] + lift)
                lines[r].set_data(xs[: j + 1, r, 0], xs[: j + 1, r, 1])
            point3.set_data_3d(xs[j, :, 0], xs[j, :, 1], fs[j] + lift)
            point.set_data(xs[j, :, 0], xs[j, :, 1])
            best = fs[j, 0] if k == 1 else np.nanmin(fs[j])
            text = f"iteration {its[j]}:  f = {num(best, 8)}"
            if lrs is not None:
                text += f",  {lr_text(lr_at(lrs, j))}"
            move_lr(j)
            title.set_text(text)
            status.set_text(stop_text if j == last else "")

        finish_layout(fig, rect=(0.0, bottom, 1.0, 1.0))
    moving = [*lines3, point3, *lines, point, title, status, *lr_dots]
    info = {"result": result, "frames": idx}
    return Scene(fig, moving, update, n_frames=len(idx), fps=fps, info=info)
