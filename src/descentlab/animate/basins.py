"""The basins still: every start of a grid coloured by the minimum its run reaches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.common import (
    check_count,
    formula_title,
    grid_values,
    levels,
    num,
    objective_2d,
    optimizer_label,
)
from descentlab.animate.engine import Still
from descentlab.animate.style import RC, finish_layout, new_figure
from descentlab.result import scene_stops

if TYPE_CHECKING:
    from descentlab.optimizers import Optimizer

__all__ = ["BASIN_COLORS", "DIVERGED", "FAILED", "MAX_ITER", "NOT_A_MINIMUM", "OTHER", "basins"]


#: One colour per named basin: hues that stay apart (CIE76 distance > 26 from each other and
#: from the greys below), so no two basins share a colour. More basins than colours: the
#: smallest join OTHER.
BASIN_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#000075",
    "#aaffc3",
)
#: Minima with a tiny basin (or outside the picture), merged into one legend entry.
OTHER = "#fffac8"
#: Runs that reached no minimum, told apart: blown up, out of iterations, at another
#: stationary point (a saddle or a maximum) or stopped otherwise.
DIVERGED, MAX_ITER, NOT_A_MINIMUM = "#303030", "#b3b3b3", "#6e6e6e"
FAILED = MAX_ITER

#: A basin smaller than this fraction of the starts joins "other minima".
TINY = 0.002


def basins(
    target: object = None,
    *,
    optimizer: Optimizer | None = None,
    scheduler: Any = None,
    per_axis: int = 80,
    max_iter: int | None = None,
    grad_tol: float | None = None,
    size: tuple[int, int] = (640, 600),
) -> Still:
    """Basins of attraction: every start of a grid coloured by the minimum its run ends at.

    The grid's runs go through :func:`minimize` as one batch; their end points are grouped
    with :func:`descentlab.multistart.group_minima`. Each basin in the picture gets its own
    colour (:data:`BASIN_COLORS`) and legend entry with its count; minima with a tiny basin
    (under :data:`TINY` of the starts) share one "other minima" entry that says how many; more
    basins than colours: the smallest join it too. A minimum outside the picture is marked so.
    Runs that reached no minimum are told apart: diverged (dark grey), out of iterations (light
    grey) and stopped at a saddle or maximum (grey). The legend's counts add up to the starts.

    Args:
        target: An Objective, catalogue name or formula in two variables (None: Himmelblau).
        optimizer: An Optimizer (default ``gd(lr=0.01)``).
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`) every run follows;
            the title names it after the lr it starts from.
        per_axis: Grid starts along each axis.
        max_iter: Iteration limit (default 10,000, as for `run`: enough for most starts to
            finish; those that do not are counted as such).
        grad_tol: Gradient tolerance (default 1e-6).
        size: (width, height) in pixels.

    Returns:
        The still. ``still.info["labels"]`` is the (per_axis, per_axis) grid of minimum
        numbers (-1 for grey), rows along y; ``info["minima"]`` the grouped minima and
        ``info["result"]`` the runs; ``info["legend"]`` the (colour, text) entries and
        ``info["picture"]`` the grid of legend entry numbers that is drawn.

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
    stops = scene_stops("basins", max_iter=max_iter, grad_tol=grad_tol)
    limit = int(stops["max_iter"])
    per_axis = check_count("per_axis", per_axis, 2)
    box = obj.domain if obj.domain is not None else ((-3.0, 3.0), (-3.0, 3.0))
    X0 = grid_starts(box, per_axis)
    opt = gd(lr=0.01) if optimizer is None else optimizer
    result = minimize(
        obj,
        X0,
        opt,
        **stops,
        record=False,
        scheduler=scheduler,
    )
    found = group_minima(result, tol=1e-3)
    n = X0.shape[0]
    (x_lo, x_hi), (y_lo, y_hi) = box
    inside = [x_lo <= m.x[0] <= x_hi and y_lo <= m.x[1] <= y_hi for m in found]
    big = [m for m, minimum in enumerate(found) if minimum.count >= max(2, TINY * n)]
    big = sorted(big, key=lambda m: -found[m].count)[: len(BASIN_COLORS)]
    big.sort()  # group_minima's order: lowest f first
    other = [m for m in range(len(found)) if m not in big]

    # One category per start: its named basin, "other minima", or why it reached no minimum.
    from descentlab.result import Status

    categories: list[tuple[str, str, np.ndarray]] = []  # (colour, legend text, rows mask)
    for colour, m in zip(BASIN_COLORS, big, strict=False):
        rows = np.zeros(n, bool)
        rows[list(found[m].rows)] = True
        where = f"({num(found[m].x[0], 3)}, {num(found[m].x[1], 3)})"
        out = "" if inside[m] else " outside"
        categories.append((colour, f"{where}{out}, f = {num(found[m].f, 4)}", rows))
    if other:
        rows = np.zeros(n, bool)
        for m in other:
            rows[list(found[m].rows)] = True
        categories.append((OTHER, f"{len(other)} other minima (small basins)", rows))
    reached = np.any([c[2] for c in categories], axis=0) if categories else np.zeros(n, bool)
    status = np.asarray(result.status)
    for colour, text, rows in (
        (DIVERGED, "diverged", status == Status.DIVERGED),
        (MAX_ITER, f"still moving at max_iter {limit:,}", status == Status.MAX_ITER),
    ):
        rows = rows & ~reached
        if rows.any():
            categories.append((colour, text, rows))
            reached |= rows
    if (~reached).any():
        categories.append((NOT_A_MINIMUM, "no minimum (saddle, maximum, ...)", ~reached))
    code = np.zeros(n, int)
    for c, (_, _, rows) in enumerate(categories):
        code[rows] = c
    flat = np.full(n, -1)
    for m, minimum in enumerate(found):
        flat[list(minimum.rows)] = m
    # grid_starts varies the first axis (x) slowest: reshape to (x, y), then rows along y.
    labels = flat.reshape(per_axis, per_axis).T
    picture = code.reshape(per_axis, per_axis).T
    cmap = ListedColormap([c[0] for c in categories])
    legend = [(c[0], f"{c[1]}: {int(c[2].sum()):,}") for c in categories]

    with matplotlib.rc_context(RC | {"axes.grid": False}):
        fig = new_figure(size)
        ax = fig.add_subplot()
        ax.imshow(
            picture,
            origin="lower",
            extent=(x_lo, x_hi, y_lo, y_hi),
            cmap=cmap,
            vmin=-0.5,
            vmax=len(categories) - 0.5,
            interpolation="nearest",
            aspect="auto",
        )
        Xg, Yg, Z = grid_values(obj, (x_lo, x_hi), (y_lo, y_hi), n=160)
        ax.contour(Xg, Yg, Z, levels=levels(Z, 12)[0], colors="white", linewidths=0.6, alpha=0.7)
        for m in (m for m in big if inside[m]):  # a minimum on the edge is drawn whole
            ax.plot(*found[m].x, "*", color="white", mec="black", ms=15, zorder=5, clip_on=False)
        for colour, text in legend:
            ax.plot([], [], "s", color=colour, mec="#555555", mew=0.5, ms=10, label=text)
        ax.set_xlim(x_lo, x_hi)
        ax.set_ylim(y_lo, y_hi)
        ax.set_xlabel(f"${obj.variables[0]}$")
        ax.set_ylabel(f"${obj.variables[1]}$")
        ax.set_title(
            f"Basins of attraction: {optimizer_label(opt, scheduler)}, {n:,} starts\n"
            f"{formula_title(obj)}",
            fontsize=11,
        )
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.1),
            ncols=2 if len(legend) > 6 else 1,
            fontsize=8,
            frameon=False,
            columnspacing=1.0,
            handlelength=1.2,
        )
        finish_layout(fig)
    info = {
        "labels": labels,
        "minima": found,
        "result": result,
        "legend": legend,
        "picture": picture,
    }
    return Still(fig, info=info)
