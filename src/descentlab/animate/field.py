"""The field still: contours with the direction of steepest descent on a grid."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from descentlab.animate.common import (
    check_count,
    draw_filled,
    formula_title,
    grid_values,
    levels,
    mark_minima,
    objective_2d,
)
from descentlab.animate.engine import Still
from descentlab.animate.style import RC, finish_layout, new_figure

if TYPE_CHECKING:
    pass

__all__ = ["field"]


def field(
    target: object = None,
    *,
    arrows: int = 19,
    size: tuple[int, int] = (640, 600),
) -> Still:
    """Contours with the direction of steepest descent, ``-grad f / |grad f|``, on a grid.

    Every arrow has the same length (only the direction is shown) and the axes have equal
    scales, so the arrows meet the level sets at right angles as they should.

    Args:
        target: An Objective, catalogue name or formula in two variables (None: Himmelblau).
        arrows: Arrows along each axis.
        size: (width, height) in pixels.

    Returns:
        The still. Its axes hold one :class:`matplotlib.quiver.Quiver`.

    Raises:
        ConfigError: A target that is not a function of two variables, or fewer than 2 arrows.
        RenderError: A bad size.
    """
    import matplotlib

    obj = objective_2d(target, "himmelblau", "field")
    arrows = check_count("arrows", arrows, 2)
    box = np.array(obj.domain) if obj.domain is not None else np.array([[-3.0, 3.0]] * 2)
    xlim, ylim = tuple(box[0]), tuple(box[1])
    Xg, Yg, Z = grid_values(obj, xlim, ylim, n=200)
    # Arrows at cell centres: none sits on the box edge.
    ax_x = xlim[0] + (np.arange(arrows) + 0.5) * (xlim[1] - xlim[0]) / arrows
    ax_y = ylim[0] + (np.arange(arrows) + 0.5) * (ylim[1] - ylim[0]) / arrows
    Px, Py = np.meshgrid(ax_x, ax_y)
    P = np.column_stack((Px.ravel(), Py.ravel()))
    with np.errstate(all="ignore"):
        G = np.asarray(obj.grad(P), dtype=float)
    norm = np.linalg.norm(G, axis=1)
    keep = np.isfinite(norm) & (norm > 0)
    U = -G[keep] / norm[keep, None]

    with matplotlib.rc_context(RC | {"axes.grid": False}):
        fig = new_figure(size)
        ax = fig.add_subplot()
        draw_filled(ax, Xg, Yg, Z, 16, cmap="Blues_r", alpha=0.45, log=True)
        lv, _ = levels(Z, 16, log=True)
        ax.contour(Xg, Yg, Z, levels=lv, colors="#3b6ea5", linewidths=0.7)
        ax.quiver(
            P[keep, 0],
            P[keep, 1],
            U[:, 0],
            U[:, 1],
            angles="xy",
            scale_units="xy",
            scale=arrows / (0.7 * (xlim[1] - xlim[0])),
            width=0.004,
            color="#222222",
            pivot="tail",
            zorder=5,
        )
        mark_minima(ax, obj)
        ax.set_aspect("equal")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel(f"${obj.variables[0]}$")
        ax.set_ylabel(f"${obj.variables[1]}$")
        ax.set_title(
            f"{formula_title(obj)}\n"
            r"arrows: $-\nabla f / \Vert\nabla f\Vert$, perpendicular to the level sets",
            fontsize=11,
        )
        finish_layout(fig)
    return Still(fig)
