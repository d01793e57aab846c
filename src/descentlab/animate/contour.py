"""The contour scene: a descent path growing on filled contours of a function of two variables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.common import (
    check_frames,
    draw_filled,
    formula_title,
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

__all__ = ["contour"]


def contour(
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
    size: tuple[int, int] = (600, 600),
    n_levels: int = 12,
) -> Scene:
    """Gradient descent on filled contours: the path grows, the title reads the current f.

    The start is a white dot, the path red, the current iterate a red dot; frames are equally
    spaced in distance travelled on screen (real iterates, in order) with a pause at the end.
    Defaults follow the original notebook: its sin-cos surface (``notebook-trig``), gd with lr
    0.1, stopping when ``|f_k - f_(k-1)| < 1e-6`` or after 3000 iterations, magma colours.

    Args:
        target: An Objective, a catalogue name or a formula in two variables (None: the
            notebook's function).
        start: Start points ``[[x, y], ...]``; one path per start (default ``[[0.1, -0.8]]``).
        optimizer: An Optimizer (default ``gd(lr=0.1)``).
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`); the title then reads
            each frame's lr and, when it changes, a small panel draws it against the iteration.
        max_iter: Iteration limit (default 3000).
        grad_tol: Gradient-norm tolerance (default 0: off, as in the notebook).
        f_tol: Tolerance on the change of f (default 1e-6).
        x_tol: Step-length tolerance (default 0: off).
        frames: Frame budget, the final pause included.
        fps: Frames per second.
        size: (width, height) in pixels.
        n_levels: Number of contour levels.

    Returns:
        The scene; ``scene.info`` holds the run (``result``), the colour bar's labels
        (``colorbar``) and the record drawn in each frame (``frames``).

    Raises:
        ConfigError: A target that is not a function of two variables, bad starts or frames.
        RenderError: A bad size or fps.
    """
    import matplotlib

    frames = check_frames(frames)
    obj, result, xs, fs, its, xlim, ylim, (Xg, Yg, Z) = notebook_descent(
        "contour", target, start, optimizer, max_iter, grad_tol, f_tol, x_tol, scheduler
    )
    lrs = recorded(result).lrs
    pause = max(1, frames // 8)
    idx = path_frames(xs, xlim, ylim, frames, pause)
    k = xs.shape[1]

    with matplotlib.rc_context(RC | {"axes.grid": False}):
        fig = new_figure(size)
        ax = fig.add_subplot()
        filled = draw_filled(ax, Xg, Yg, Z, n_levels)
        bar = fig.colorbar(filled, ax=ax, fraction=0.05, pad=0.03)
        bar_labels = label_colorbar(bar, filled.levels)
        bar.set_label(f"$f({obj.variables[0]}, {obj.variables[1]})$")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel(f"${obj.variables[0]}$")
        ax.set_ylabel(f"${obj.variables[1]}$")
        fig.suptitle(formula_title(obj), fontsize=11 if len(obj.latex) > 60 else 12)
        ax.plot(xs[0, :, 0], xs[0, :, 1], "o", color="white", mec="black", ms=8, zorder=4)
        lines = [ax.plot([], [], color="#e8112d", lw=2.2, zorder=5)[0] for _ in range(k)]
        (point,) = ax.plot([], [], "o", color="#e8112d", mec="white", ms=8, zorder=6)
        title = ax.set_title(" ")
        status, stop_text, bottom = stop_line(fig, [stop_reason(result)])
        last = len(xs) - 1

        # runs that converged to a saddle or a maximum say so once every run has ended
        ended_elsewhere = _not_minima(result)
        lr_dots, move_lr = lr_inset(
            ax, its, lrs, ["#e8112d"], bounds=(0.6, 0.04, 0.36, 0.24), ends=result.nit
        )

        def update(i: int) -> None:
            j = idx[i]
            for r, line in enumerate(lines):
                line.set_data(xs[: j + 1, r, 0], xs[: j + 1, r, 1])
            point.set_data(xs[j, :, 0], xs[j, :, 1])
            if k == 1:
                text = f"iteration {its[j]}:  f = {num(fs[j, 0], 8)}"
            else:
                text = f"iteration {its[j]}:  best f = {num(np.nanmin(fs[j]), 8)}"
            if lrs is not None:
                text += f",  {lr_text(lr_at(lrs, j))}"
            move_lr(j)
            title.set_text(text + (ended_elsewhere if j == last else ""))
            status.set_text(stop_text if j == last else "")

        finish_layout(fig, rect=(0.0, bottom, 1.0, 1.0))
    info = {"result": result, "colorbar": bar_labels, "frames": idx}
    moving = [*lines, status, point, title, *lr_dots]
    return Scene(fig, moving, update, n_frames=len(idx), fps=fps, info=info)


def _not_minima(result: object) -> str:
    """``"  (1 at a saddle)"``: the runs that converged somewhere other than a minimum."""
    from descentlab.result import Stationary

    codes = getattr(result, "stationary", None)
    if codes is None:
        return ""
    parts = [
        f"{int(np.sum(codes == kind))} at a {Stationary(kind).label}"
        for kind in (Stationary.SADDLE, Stationary.MAXIMUM)
        if np.any(codes == kind)
    ]
    return f"  ({', '.join(parts)})" if parts else ""
