"""The basins still: every start of a grid coloured by the minimum its run reaches."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from descentlab.animate.common import (
    check_count,
    formula_title,
    grid_values,
    levels,
    num,
    objective_2d,
)
from descentlab.animate.engine import Still
from descentlab.animate.style import RC, finish_layout, new_figure

if TYPE_CHECKING:
    from descentlab.optimizers import Optimizer

__all__ = ["BASIN_COLORS", "FAILED", "basins"]


BASIN_COLORS = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#9c755f",
    "#ff9da7",
    "#bab0ac",
)
FAILED = "#9a9a9a"


def basins(
    target: object = None,
    *,
    optimizer: Optimizer | None = None,
    per_axis: int = 80,
    max_iter: int | None = None,
    grad_tol: float | None = None,
    size: tuple[int, int] = (640, 600),
) -> Still:
    """Basins of attraction: every start of a grid coloured by the minimum its run ends at.

    The grid's runs go through :func:`minimize` as one batch; their end points are grouped
    with :func:`descentlab.multistart.group_minima`. Starts whose run diverged, hit the
    iteration limit or converged to a saddle or a maximum are grey. Each minimum found is a
    star in its basin's colour.

    Args:
        target: An Objective, catalogue name or formula in two variables (None: Himmelblau).
        optimizer: An Optimizer (default ``gd(lr=0.01)``).
        per_axis: Grid starts along each axis.
        max_iter: Iteration limit (default 2000).
        grad_tol: Gradient tolerance (default 1e-6).
        size: (width, height) in pixels.

    Returns:
        The still. ``still.info["labels"]`` is the (per_axis, per_axis) grid of minimum
        numbers (-1 for grey), rows along y; ``info["minima"]`` the grouped minima and
        ``info["result"]`` the runs.

    Raises:
        ConfigError: A target that is not a function of two variables, or a bad count.
        RenderError: A bad size.
    """
    import matplotlib
    from matplotlib.colors import ListedColormap

    from descentlab.descent import minimize
    from descentlab.multistart import grid_starts, group_minima
    from descentlab.optimizers import gd

    obj = objective_2d(target, "himmelblau", "basins")
    per_axis = check_count("per_axis", per_axis, 2)
    box = obj.domain if obj.domain is not None else ((-3.0, 3.0), (-3.0, 3.0))
    X0 = grid_starts(box, per_axis)
    result = minimize(
        obj,
        X0,
        gd(lr=0.01) if optimizer is None else optimizer,
        max_iter=2000 if max_iter is None else max_iter,
        grad_tol=1e-6 if grad_tol is None else grad_tol,
        record=False,
    )
    found = group_minima(result, tol=1e-3)
    flat = np.full(X0.shape[0], -1)
    for m, minimum in enumerate(found):
        flat[list(minimum.rows)] = m
    # grid_starts varies the first axis (x) slowest: reshape to (x, y), then rows along y.
    labels = flat.reshape(per_axis, per_axis).T
    n_found = len(found)
    palette = [BASIN_COLORS[m % len(BASIN_COLORS)] for m in range(n_found)]
    cmap = ListedColormap([FAILED, *palette]) if n_found else ListedColormap([FAILED])
    (x_lo, x_hi), (y_lo, y_hi) = box

    with matplotlib.rc_context(RC | {"axes.grid": False}):
        fig = new_figure(size)
        ax = fig.add_subplot()
        ax.imshow(
            labels + 1,
            origin="lower",
            extent=(x_lo, x_hi, y_lo, y_hi),
            cmap=cmap,
            vmin=-0.5,
            vmax=n_found + 0.5,
            interpolation="nearest",
            aspect="auto",
        )
        Xg, Yg, Z = grid_values(obj, (x_lo, x_hi), (y_lo, y_hi), n=160)
        ax.contour(Xg, Yg, Z, levels=levels(Z, 12)[0], colors="white", linewidths=0.6, alpha=0.7)
        for m, minimum in enumerate(found):
            ax.plot(*minimum.x, "*", color="white", mec="black", ms=16, zorder=5)
            if m < 8:
                where = f"({num(minimum.x[0], 3)}, {num(minimum.x[1], 3)})"
                ax.plot([], [], "s", color=palette[m], ms=10, label=f"{where}: {minimum.count}")
        failed = int((flat < 0).sum())
        if failed:
            ax.plot([], [], "s", color=FAILED, ms=10, label=f"no minimum reached: {failed}")
        ax.set_xlim(x_lo, x_hi)
        ax.set_ylim(y_lo, y_hi)
        ax.set_xlabel(f"${obj.variables[0]}$")
        ax.set_ylabel(f"${obj.variables[1]}$")
        opt = gd(lr=0.01) if optimizer is None else optimizer
        lr = opt.hyperparameters.get("lr")
        ax.set_title(
            f"Basins of attraction, {opt.name}"
            + (f" (lr {lr:g})" if lr else "")
            + f"\n{formula_title(obj)}",
            fontsize=11,
        )
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.11), ncols=2, fontsize=8, frameon=False
        )
        finish_layout(fig)
    return Still(fig, info={"labels": labels, "minima": found, "result": result})
