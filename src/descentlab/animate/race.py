"""The race scene: several optimizers from the same start, on one contour map and a loss plot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.common import (
    check_frames,
    draw_filled,
    finite_path,
    formula_title,
    grid_values,
    lr_at,
    lr_inset,
    lr_text,
    objective_2d,
    optimizer_label,
    path_frames,
    place_legend,
    recorded,
    run,
    starts,
    stop_line,
    stop_reason,
    view,
)
from descentlab.animate.engine import Scene
from descentlab.animate.frames import align_ends
from descentlab.animate.style import RC, finish_layout, new_figure, quiet_axes
from descentlab.errors import ConfigError

if TYPE_CHECKING:
    from descentlab.optimizers import Optimizer

__all__ = ["RACERS", "race"]

#: The default field on Rosenbrock from (-1.2, 1): learning rates chosen so that every runner
#: converges or crawls (none diverges) and the differences show within 2000 iterations.
RACERS: tuple[tuple[str, dict[str, float]], ...] = (
    ("gd", {"lr": 0.002}),
    ("momentum", {"lr": 0.001, "momentum": 0.9}),
    ("nesterov", {"lr": 0.001, "momentum": 0.9}),
    ("adagrad", {"lr": 0.5}),
    ("rmsprop", {"lr": 0.01}),
    ("adam", {"lr": 0.05}),
    ("linesearch", {"lr": 1.0}),
)

COLORS = ("#222222", "#1f77b4", "#17becf", "#2ca02c", "#9467bd", "#d62728", "#ff7f0e")


def race(
    target: object = None,
    *,
    start: Sequence[Sequence[float]] | None = None,
    optimizer: Sequence[Optimizer] | Optimizer | None = None,
    scheduler: Any = None,
    max_iter: int | None = None,
    grad_tol: float | None = None,
    f_tol: float | None = None,
    x_tol: float | None = None,
    frames: int = 60,
    fps: float = 12.0,
    size: tuple[int, int] = (1100, 480),
) -> Scene:
    """Optimizers racing from one start: paths on the contours (left), f against iteration (right).

    Every runner is a real :func:`minimize` run. All panels share the clock: frame ``i`` shows
    every runner at the same iteration (a runner that has stopped stays at its last point), and
    frames are equally spaced in the distance all runners travel together, with a final pause.
    The loss panel is log-scaled and shows ``f - f*`` (``f*`` the catalogue's global minimum
    value, else the least value any runner reached).

    Args:
        target: An Objective, a catalogue name or a formula in two variables (None: Rosenbrock).
        start: One start point ``[[x, y]]`` (default the target's first catalogue start, else
            ``[[-1.2, 1]]``).
        optimizer: The runners: a list of Optimizers (or one); None takes :data:`RACERS`.
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`) every runner follows
            from its own lr (runners without an lr, such as Newton's method, are refused).
            The clock then reads each frame's lr and a small panel in the loss plot draws
            every runner's lr against the iteration.
        max_iter: Iteration limit (default 2000).
        grad_tol: Gradient-norm tolerance (default 1e-8).
        f_tol: Tolerance on the change of f (default 0: off).
        x_tol: Step-length tolerance (default 0: off).
        frames: Frame budget, the final pause included.
        fps: Frames per second.
        size: (width, height) in pixels.

    Returns:
        The scene; ``scene.info["results"]`` holds each runner's Result, ``info["frames"]``
        the iteration each frame shows, ``info["lrs"]`` (with a schedule) the (T, runners) lr of
        each iteration's step (a finished runner keeps its last), and ``info["f_ref"]``
        the value the loss panel subtracts (the known minimum, or for a typed formula the best
        end point refined by a line search: see :func:`_reference`).

    Raises:
        ConfigError: A target that is not a function of two variables, more than one start,
            no runners, bad frames.
        RenderError: A bad size or fps.
    """
    import matplotlib
    from matplotlib.ticker import LogLocator

    from descentlab.optimizers import OPTIMIZERS, Optimizer

    obj = objective_2d(target, "rosenbrock", "race")
    frames = check_frames(frames)
    default_start = obj.problem.starts[0] if obj.problem is not None else (-1.2, 1.0)
    X0 = starts(start, [default_start])
    if X0.shape[0] != 1:
        raise ConfigError(f"race runs from one start (got {X0.shape[0]})")
    if optimizer is None:
        runners = [OPTIMIZERS[name](**kw) for name, kw in RACERS]
    elif isinstance(optimizer, Optimizer):
        runners = [optimizer]
    else:
        runners = list(optimizer)
    if not runners or not all(isinstance(o, Optimizer) for o in runners):
        raise ConfigError(f"optimizer must be an Optimizer or a list of them (got {optimizer!r})")
    if len(runners) > len(COLORS):
        raise ConfigError(f"race shows at most {len(COLORS)} optimizers (got {len(runners)})")

    paths, values, results = [], [], []
    for opt in runners:
        res = run(
            obj,
            X0,
            opt,
            opt,
            max_iter=max_iter,
            grad_tol=grad_tol,
            f_tol=f_tol,
            x_tol=x_tol,
            scene="race",
            scheduler=scheduler,
        )
        traj = recorded(res)
        xs, fs = finite_path(traj.xs[:, 0], traj.fs[:, 0])
        paths.append(xs)
        values.append(fs)
        results.append(res)
    # Every record is one iteration (record=True): aligning the ends shares the clock.
    paths = align_ends(paths)
    values = align_ends(values)
    lrs = None
    lr_runs = [recorded(r).lrs for r in results]
    if scheduler is not None:  # (T, runners): a runner that stopped keeps its last lr
        lrs = np.stack(align_ends([lr[: len(p), 0] for lr, p in zip(lr_runs, values, strict=True)
                                   if lr is not None]), axis=1)  # fmt: skip
    n_points = len(paths[0])
    its = np.arange(n_points)
    f_star, star_text = _reference(obj, values, paths)
    floor = 1e-16 * max(1.0, abs(f_star))
    gaps = [np.maximum(v - f_star, floor) for v in values]
    xlim, ylim = view(obj, [X0] if obj.domain is not None else paths, margin=0.02)
    Xg, Yg, Z = grid_values(obj, xlim, ylim, n=200)
    pause = max(1, frames // 8)
    stacked = np.stack(
        [np.clip(p, [xlim[0], ylim[0]], [xlim[1], ylim[1]]) for p in paths], axis=1
    )  # (T, runners, 2): runners measured together, on screen
    idx = path_frames(stacked, xlim, ylim, frames, pause)
    g_lo = min(float(g.min()) for g in gaps)
    g_hi = max(float(g.max()) for g in gaps)

    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        ax, loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
        draw_filled(ax, Xg, Yg, Z, 16, cmap="Greys", alpha=0.45)
        ax.grid(False)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel(f"${obj.variables[0]}$")
        ax.set_ylabel(f"${obj.variables[1]}$")
        ax.set_title(formula_title(obj), fontsize=11)
        if obj.problem is not None:
            for m in obj.problem.global_minima:  # above the runners' end markers
                ax.plot(*m.x, "*", color="gold", mec="black", ms=15, zorder=8)
        ax.plot(*X0[0], "o", color="white", mec="black", ms=8, zorder=3)
        quiet_axes(loss)
        loss.set_yscale("log")
        loss.set_xlim(0, n_points - 1)
        loss.set_ylim(g_lo / 3, g_hi * 3)
        loss.yaxis.set_major_locator(LogLocator(numticks=8))
        loss.set_xlabel("iteration")
        loss.set_ylabel(star_text)
        loss.set_title("loss (log scale)")
        trails, heads, curves = [], [], []
        for r, opt in enumerate(runners):
            color = COLORS[r]
            # Earlier runners wider: where paths coincide, each shows as a border of the next.
            width = 1.3 + 0.55 * (len(runners) - 1 - r)
            label = optimizer_label(opt, scheduler)
            (trail,) = ax.plot([], [], color=color, lw=width, zorder=5, label=label)
            (head,) = ax.plot([], [], "o", color=color, mec="white", ms=6, zorder=6)
            (curve,) = loss.plot([], [], color=color, lw=1.6, zorder=5)
            trails.append(trail)
            heads.append(head)
            curves.append(curve)
        marks = [m.x for m in obj.problem.global_minima] if obj.problem is not None else []
        legend = ax.legend(fontsize=8, framealpha=0.85)
        legend.set_zorder(7)
        clock = loss.text(0.98, 0.97, "", transform=loss.transAxes, ha="right", va="top", zorder=6)
        ends = [int(r.nit[0]) for r in results]
        lr_dots, move_lr = lr_inset(
            loss, its, lrs, COLORS, bounds=(0.06, 0.06, 0.4, 0.3), ends=ends
        )
        reasons = [
            f"{o.name}: {stop_reason(res).split(':')[0]}"
            for o, res in zip(runners, results, strict=True)
        ]
        status, stop_text, bottom = stop_line(fig, reasons)

        def update(i: int) -> None:
            j = idx[i]
            for r in range(len(runners)):
                trails[r].set_data(paths[r][: j + 1, 0], paths[r][: j + 1, 1])
                heads[r].set_data([paths[r][j, 0]], [paths[r][j, 1]])
                curves[r].set_data(its[: j + 1], gaps[r][: j + 1])
            if lrs is None:
                clock.set_text(f"iteration {its[j]}")
            else:
                clock.set_text(f"iteration {its[j]}\n{lr_text(lr_at(lrs, j))}")
            move_lr(j)
            status.set_text(stop_text if j == n_points - 1 else "")

        finish_layout(fig, rect=(0.0, bottom, 1.0, 1.0))
        place_legend(ax, legend, [*paths, X0], np.asarray(marks).reshape(-1, 2))
    moving: list[Any] = [*trails, *heads, *curves, status, clock, *lr_dots]
    info = {"results": results, "f_ref": f_star, "frames": idx, "lrs": lrs}
    return Scene(fig, moving, update, n_frames=len(idx), fps=fps, info=info)


def _reference(obj: Any, values: list[np.ndarray], paths: list[np.ndarray]) -> tuple[float, str]:
    """The f* the loss panel subtracts, and the axis label that says which it is.

    A catalogue function has its known global minimum. A typed formula has none: the best end
    point of the race is refined by a backtracking line search (up to 10,000 more steps) and
    the lower of the two is the reference. The best run's final value is not used as is: a run
    that merely stopped there would plunge to 1e-16 on its last iteration.
    """
    if obj.problem is not None and obj.problem.global_minima:
        return float(obj.problem.global_minima[0].f), "$f - f^*$"
    from descentlab.descent import minimize
    from descentlab.optimizers import linesearch

    finals = [float(v[-1]) for v in values]
    best = int(np.argmin(finals))
    refined = minimize(obj, paths[best][-1], linesearch(), max_iter=10_000, grad_tol=1e-12)
    f_ref = min(float(refined.fun[0]), min(float(np.min(v)) for v in values))
    return f_ref, "$f - f_{ref}$ ($f_{ref}$: best end refined by line search)"
