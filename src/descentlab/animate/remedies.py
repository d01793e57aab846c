"""The remedies scene: three ways out of a local minimum, side by side (the original notebook's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.common import (
    check_frames,
    formula_title,
    lr_at,
    lr_inset,
    lr_text,
    num,
    optimizer_label,
    place_clear,
    recorded,
    stop_line,
    stop_reason,
)
from descentlab.animate.engine import Scene
from descentlab.animate.frames import align_ends, pad, sample_indices
from descentlab.animate.style import COLORS, RC, finish_layout, new_figure, quiet_axes
from descentlab.errors import ConfigError
from descentlab.result import scene_stops

if TYPE_CHECKING:
    from descentlab.optimizers import Optimizer
    from descentlab.result import Result

__all__ = ["remedies"]

#: One colour per start of the multi-start panel (the first is the single panels' colour).
POINT_COLORS = ("#e07a1f", "#d1495b", "#6a4c93")


def _objective_1d(target: object) -> Any:
    from descentlab.objective import as_objective

    obj = as_objective("quartic" if target is None else target)  # type: ignore[arg-type]
    if obj.dim != 1:
        raise ConfigError(f"remedies needs a function of one variable ({obj.name!r} has {obj.dim})")
    return obj


def _points(start: Sequence[Sequence[float]] | Sequence[float] | None) -> np.ndarray:
    points = [[-3.0], [0.5], [4.0]] if start is None else start
    try:
        X = np.array(points, dtype=float).reshape(-1, 1)
    except (TypeError, ValueError):
        raise ConfigError(f"start must be a list of points [[x], ...] (got {start!r})") from None
    if X.shape[0] == 0 or X.shape[0] > len(POINT_COLORS) or not np.all(np.isfinite(X)):
        raise ConfigError(f"start must be 1 to 3 finite points [[x], ...] (got {start!r})")
    return X


def remedies(
    target: object = None,
    *,
    start: Sequence[Sequence[float]] | None = None,
    optimizer: Optimizer | None = None,
    scheduler: Any = None,
    max_iter: int | None = None,
    grad_tol: float | None = None,
    f_tol: float | None = None,
    x_tol: float | None = None,
    frames: int = 60,
    fps: float = 12.0,
    size: tuple[int, int] = (1500, 400),
) -> Scene:
    """Three panels animated together: a new start, a larger learning rate, several starts.

    On the notebook's quartic ``3x^4 + 4x^3 - 12x^2 + 7`` plain gradient descent from 3 with lr
    0.001 stops in the local minimum at 1. The panels show three remedies:

    1. *New initialization*: from -3 (lr 0.001) it reaches the global minimum -2.
    2. *Modification of learning rate*: from 3 with lr 0.01 the first step overshoots the local
       basin and the run ends at -2.
    3. *Multi-start*: from -3, 0.5 and 4 (lr 0.001) the runs end at -2, 1 and 1; the best wins.

    Every panel is a real run, recorded at every iteration; the panels share the clock (frame i
    shows iteration t in each panel, a finished run resting on its last point) so they end
    together, and each panel prints its own iteration count. Frames are equally spaced in the
    distance all points travel on screen, then the last frame pauses.

    Args:
        target: An Objective, catalogue name or formula in one variable (None: ``quartic``).
        start: The multi-start panel's starts ``[[x], ...]`` (1 to 3; default -3, 0.5, 4).
        optimizer: Replaces ``gd(lr=0.001)`` in panels 1 and 3 (panel 2 is always
            ``gd(lr=0.01)``, its point being the learning rate).
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`) every panel follows
            from its own lr; each readout then shows its lr at every frame, and the middle
            panel (the one about the learning rate) draws the lr against the iteration.
        max_iter: Iteration limit (default 100000).
        grad_tol: Gradient tolerance (default 1e-12).
        f_tol: Tolerance on the change of f (default 0: off).
        x_tol: Step-length tolerance (default 0: off).
        frames: Frame budget, the final pause included.
        fps: Frames per second.
        size: (width, height) in pixels.

    Returns:
        The scene; ``scene.info["results"]`` holds the three panels' Results, ``info["frames"]``
        the iteration of each frame and, with a schedule, ``info["lrs"]`` each panel's (T, k) lr
        of every iteration's step (a finished run keeps its last).

    Raises:
        ConfigError: A target of more than one variable, bad starts or frames.
        RenderError: A bad size or fps.
    """
    import matplotlib

    from descentlab.descent import minimize
    from descentlab.optimizers import gd

    obj = _objective_1d(target)
    frames = check_frames(frames)
    multi = _points(start)
    slow = gd(lr=0.001) if optimizer is None else optimizer
    settings = scene_stops("remedies", max_iter=max_iter, grad_tol=grad_tol, f_tol=f_tol,
                           x_tol=x_tol)  # fmt: skip
    fast = gd(lr=0.01)
    panels = [
        ("New initialization", np.array([[-3.0]]), slow),
        ("Modification of learning rate", np.array([[3.0]]), fast),
        ("Multi-start", multi, slow),
    ]
    for _, X0, _ in panels:
        obj.check_finite_at(X0)  # a start where f is undefined is bad input
    results = [
        minimize(obj, X0, opt, record=True, scheduler=scheduler, **settings)
        for _, X0, opt in panels
    ]
    # Each record is one iteration: padding the shorter runs with their last point shares the
    # clock, so the panels end together.
    trajectories = [recorded(r) for r in results]
    paths = align_ends([t.xs[:, :, 0] for t in trajectories])
    values = align_ends([t.fs for t in trajectories])
    lr_runs = [t.lrs for t in trajectories if t.lrs is not None]
    lrs = align_ends(lr_runs) if len(lr_runs) == len(results) else None
    n_points = len(paths[0])
    nits = [r.nit for r in results]
    # a run that converged to a maximum or a saddle says so once it has arrived
    kinds = [_not_minima(r) for r in results]

    # Each panel's x range holds [-3, 3] and its own path; the y range is the curve's on
    # [-3, 3] (the notebook's view), so a start far up the wall (x0 = 4) enters from the top.
    xlims = []
    for path in paths:
        lo = min(-3.0, float(np.nanmin(path)))
        hi = max(3.0, float(np.nanmax(path)))
        xlims.append((lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)))
    core = np.linspace(-3.0, 3.0, 601)
    with np.errstate(all="ignore"):
        core_f = obj.value(core[:, None])
    y_lo, y_hi = float(np.nanmin(core_f)), float(np.nanmax(core_f))
    ylim = (y_lo - 0.08 * (y_hi - y_lo), y_hi + 0.08 * (y_hi - y_lo))
    span = max(hi - lo for lo, hi in xlims)
    screen = np.concatenate(
        [
            np.concatenate((path / span, v / (ylim[1] - ylim[0])), axis=1)
            for path, v in zip(paths, values, strict=True)
        ],
        axis=1,
    )
    pause = max(1, frames // 7)
    walk = sample_indices(n_points, frames - pause, mode="distance", xs=screen)
    idx = pad(walk, pause)

    var = obj.variables[0]
    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        axes = fig.subplots(1, 3)
        dots, trails, readouts = [], [], []
        pointers: list[tuple[Any, Any, float]] = []  # (axes, annotation, x0) of starts above
        for p, (ax, (name, X0, opt)) in enumerate(zip(axes, panels, strict=True)):
            quiet_axes(ax)
            grid = np.linspace(*xlims[p], 600)
            with np.errstate(all="ignore"):
                ax.plot(grid, obj.value(grid[:, None]), color=COLORS["curve"], zorder=2)
            ax.set_xlim(*xlims[p])
            ax.set_ylim(*ylim)
            ax.set_xlabel(f"${var}$")
            starts_text = ", ".join(num(v, 3) for v in X0[:, 0])
            ax.set_title(
                f"{name}\n$x_0$ = {starts_text};  {optimizer_label(opt, scheduler)}", fontsize=11
            )
            k = X0.shape[0]
            colors = POINT_COLORS[:k] if p == 2 else POINT_COLORS[:1]
            ax.scatter(X0[:, 0], values[p][0], s=30, color=COLORS["muted"], zorder=3)
            for x0, f0 in zip(X0[:, 0], values[p][0], strict=True):
                if f0 > ylim[1]:  # a start above the view: say where it is
                    above_view = ax.annotate(
                        f"$x_0$ = {num(x0, 3)}\nf = {num(f0, 4)}",
                        (x0, ylim[1]),
                        xytext=(-6, -30),
                        textcoords="offset points",
                        ha="right",
                        va="top",
                        fontsize=9,
                        arrowprops={"arrowstyle": "->", "color": COLORS["muted"]},
                    )
                    pointers.append((ax, above_view, x0))
            panel_trails = []
            for r in range(k):
                (trail,) = ax.plot([], [], color=colors[r], lw=1.2, alpha=0.7, zorder=3)
                panel_trails.append(trail)
            (dot,) = ax.plot([], [], "o", color=colors[0], ms=9, mec="white", zorder=5)
            extra = [
                ax.plot([], [], "o", color=c, ms=9, mec="white", zorder=5)[0] for c in colors[1:]
            ]
            dots.append([dot, *extra])
            trails.append(panel_trails)
            readouts.append(
                ax.text(0.5, 0.96, "", transform=ax.transAxes, ha="center", va="top", zorder=6)
            )
        axes[0].set_ylabel(f"$f({var})$")
        # The panel about the learning rate draws it (its run may end before the others).
        lr_dots, move_lr = lr_inset(
            axes[1],
            np.arange(n_points),
            None if lrs is None else lrs[1],
            POINT_COLORS[:1],
            bounds=(0.28, 0.32, 0.44, 0.28),
            ends=nits[1],
        )
        # The stop line before the suptitle: figure texts redraw in creation order.
        # Each panel's status (its readout holds the iterations): one line, as the panels are low.
        reasons = [
            f"{name.split()[0].lower()}: {stop_reason(res).split(':')[0]}"
            for (name, _, _), res in zip(panels, results, strict=True)
        ]
        status, stop_text, bottom = stop_line(fig, reasons, head="stop  ")
        fig.suptitle(formula_title(obj), fontsize=12)

        def update(i: int) -> None:
            j = idx[i]
            for p in range(3):
                xs, fs = paths[p], values[p]
                for r, (dot, trail) in enumerate(zip(dots[p], trails[p], strict=True)):
                    dot.set_data([xs[j, r]], [fs[j, r]])
                    trail.set_data(xs[: j + 1, r], fs[: j + 1, r])
                it = np.minimum(j, nits[p])
                its = ", ".join(str(int(t)) for t in it)
                where = ", ".join(
                    num(v, 4) + (kinds[p][r] if j >= nits[p][r] else "")
                    for r, v in enumerate(xs[j])
                )
                label = "iterations" if len(it) > 1 else "iteration"
                text = f"{label} {its}\n{var} = {where}"
                if lrs is not None:
                    text += f"\n{lr_text(lr_at(lrs[p], j))}"
                readouts[p].set_text(text)
            move_lr(j)
            status.set_text(stop_text if j == n_points - 1 else "")

        finish_layout(fig, rect=(0.0, bottom, 1.0, 1.0))
        # Readouts and labels where the curve does not cross them: each readout is placed with
        # its longest text (the final one), at the top or the bottom, centre, left or right.
        for p, ax in enumerate(axes):
            grid = np.linspace(*xlims[p], 1200)
            with np.errstate(all="ignore"):
                curve_xy = np.column_stack((grid, obj.value(grid[:, None])))
            update(len(idx) - 1)
            longest = max((readouts[p].get_text() for _ in [0]), key=len)
            readouts[p].set_text(longest)
            readouts[p].set_transform(ax.transAxes)
            spots = [
                ((x, y), None, ha, va)
                for y, va in ((0.96, "top"), (0.04, "bottom"))
                for x, ha in ((0.5, "center"), (0.03, "left"), (0.97, "right"))
            ]
            place_clear(ax, readouts[p], spots, curve_xy, pad_px=3.0)
            for axis, text, x0 in pointers:
                if axis is ax:
                    tip = (x0, ylim[1])
                    offsets = [(-6, -30), (-30, -8), (-8, -70), (6, -30)]
                    place_clear(
                        ax, text,
                        [(tip, o, "right" if o[0] < 0 else "left", "top") for o in offsets],
                        curve_xy, pad_px=3.0,
                    )  # fmt: skip
    moving = [a for group in (*dots, *trails) for a in group] + [status, *readouts, *lr_dots]
    info = {"results": results, "pointers": [t for _, t, _ in pointers], "frames": idx}
    if lrs is not None:
        info["lrs"] = lrs
    return Scene(fig, moving, update, n_frames=len(idx), fps=fps, info=info)


def _not_minima(result: Result) -> list[str]:
    """Per row, `` (maximum)`` or `` (saddle)`` etc. for a run that converged elsewhere than a
    minimum, else ``""``."""
    from descentlab.result import Stationary

    if result.stationary is None:
        return [""] * len(result.nit)
    labels = [Stationary(int(code)).label for code in result.stationary]
    return ["" if label in (None, "minimum") else f" ({label})" for label in labels]
