"""The contour scene: a descent path growing on filled contours of a function of two variables.

The private helpers here (targets, starts, runs, views, levels) are shared by the other
two-variable scenes and stills (surface, race, stills).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.engine import Scene
from descentlab.animate.frames import pad, sample_indices
from descentlab.animate.style import RC, finish_layout, new_figure
from descentlab.errors import ConfigError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from descentlab.objective import Objective
    from descentlab.optimizers import Optimizer
    from descentlab.result import Result

__all__ = ["contour"]

#: The notebook's start for its contour animation was random in [-2, 2]^2; this one gives a path
#: that crosses two basins' slopes before settling (90 iterations of gd with lr 0.1).
DEFAULT_START = (0.1, -0.8)


# -- shared helpers -------------------------------------------------------------------------------


def objective_2d(target: object, default: str, scene: str) -> Objective:
    """The Objective of a two-variable scene (``None`` takes ``default``).

    Raises:
        ConfigError: A target of another number of variables.
        ParseError: Formula text that cannot be read.
    """
    from descentlab.objective import as_objective

    obj = as_objective(default if target is None else target)  # type: ignore[arg-type]
    if obj.dim != 2:
        raise ConfigError(f"{scene} needs a function of two variables ({obj.name!r} has {obj.dim})")
    return obj


def starts(start: Sequence[Sequence[float]] | None, default: Sequence[Sequence[float]]) -> Any:
    """Start points as a (k, 2) float array.

    Raises:
        ConfigError: Not a non-empty list of finite (x, y) points.
    """
    points = default if start is None else start
    try:
        X = np.array(points, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"start must be a list of (x, y) points (got {start!r})") from None
    if X.ndim == 1 and X.shape == (2,):
        X = X[None, :]
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] != 2:
        raise ConfigError(f"start must be a list of (x, y) points (got {start!r})")
    if not np.all(np.isfinite(X)):
        raise ConfigError(f"start points must be finite (got {start!r})")
    return X


def check_frames(frames: int, least: int = 3) -> int:
    """``frames`` as an int >= ``least``.

    Raises:
        ConfigError: Anything else.
    """
    if isinstance(frames, bool) or not isinstance(frames, int | np.integer) or frames < least:
        raise ConfigError(f"frames must be an integer >= {least} (got {frames!r})")
    return int(frames)


def run(
    obj: Any,
    X0: np.ndarray,
    optimizer: Optimizer | None,
    default: Optimizer,
    *,
    max_iter: int | None,
    grad_tol: float | None,
    f_tol: float | None,
    x_tol: float | None,
    defaults: dict[str, Any],
) -> Result:
    """:func:`minimize` with every iterate recorded; ``None`` settings take ``defaults``."""
    from descentlab.descent import minimize

    settings = {"max_iter": max_iter, "grad_tol": grad_tol, "f_tol": f_tol, "x_tol": x_tol}
    chosen = {k: (defaults.get(k) if v is None else v) for k, v in settings.items()}
    chosen = {k: v for k, v in chosen.items() if v is not None}
    obj.check_finite_at(X0)  # a start where f is undefined is bad input, not a divergence
    return minimize(obj, X0, default if optimizer is None else optimizer, record=True, **chosen)


def view(obj: Objective, paths: Sequence[np.ndarray], margin: float = 0.08) -> tuple[Any, Any]:
    """x and y limits: the target's usual box joined with the finite part of the paths."""
    pts = np.concatenate([np.asarray(p, dtype=float).reshape(-1, 2) for p in paths])
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if obj.domain is not None:
        box = np.array(obj.domain, dtype=float)
        lo = np.minimum(box[:, 0], pts.min(axis=0))
        hi = np.maximum(box[:, 1], pts.max(axis=0))
    else:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        span = np.maximum(hi - lo, 1.0)
        lo, hi = lo - 0.5 * span, hi + 0.5 * span
    span = hi - lo
    lo, hi = lo - margin * span, hi + margin * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def grid_values(obj: Any, xlim: Any, ylim: Any, n: int = 160) -> tuple[Any, Any, Any]:
    """``(Xg, Yg, Z)`` on an n x n grid; non-finite values become nan."""
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    Xg, Yg = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = np.asarray(obj.value(np.column_stack((Xg.ravel(), Yg.ravel()))), dtype=float)
    Z = np.where(np.isfinite(Z), Z, np.nan).reshape(Xg.shape)
    if np.all(np.isnan(Z)):
        raise ConfigError("the target is not finite anywhere in the view")
    return Xg, Yg, Z


def levels(Z: np.ndarray, n: int, *, log: bool | None = None) -> tuple[np.ndarray, bool]:
    """Contour levels: log-spaced above the minimum when values span many decades.

    Returns:
        ``(levels, log)``; with ``log`` the levels are for ``Z`` as it is, spaced geometrically
        above ``min(Z)`` (Rosenbrock's valley is invisible with linear levels).
    """
    zmin, zmax = float(np.nanmin(Z)), float(np.nanmax(Z))
    if zmax <= zmin:
        return np.array([zmin - 1.0, zmin + 1.0]), False
    q = float(np.nanquantile(Z, 0.5)) - zmin
    if log is None:
        log = q > 0 and (zmax - zmin) / q > 8
    if log:
        low = max((zmax - zmin) * 1e-5, float(np.nanquantile(Z, 0.002)) - zmin, 1e-12)
        above = np.geomspace(low, zmax - zmin, n - 1)
        return np.concatenate(([zmin], zmin + above)), True
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(n).tick_values(zmin, zmax), False


def draw_filled(
    ax: Axes,
    Xg: Any,
    Yg: Any,
    Z: Any,
    n_levels: int,
    cmap: str = "magma",
    alpha: float = 1.0,
    log: bool | None = None,
) -> Any:
    """Filled contours (log-spaced levels when needed); returns the ContourSet."""
    from matplotlib.colors import BoundaryNorm

    lv, log = levels(Z, n_levels, log=log)
    if log:
        import matplotlib

        norm = BoundaryNorm(lv, matplotlib.colormaps[cmap].N)
        return ax.contourf(Xg, Yg, Z, levels=lv, cmap=cmap, norm=norm, alpha=alpha)
    return ax.contourf(Xg, Yg, Z, levels=lv, cmap=cmap, alpha=alpha)


def path_frames(xs: np.ndarray, xlim: Any, ylim: Any, frames: int, pause: int) -> np.ndarray:
    """Iterate indices for the frames: equal distances on screen, then a pause on the last."""
    scale = np.array([xlim[1] - xlim[0], ylim[1] - ylim[0]])
    screen = np.asarray(xs, dtype=float).reshape(len(xs), -1, 2) / scale
    walk = sample_indices(len(xs), frames - pause, mode="distance", xs=screen)
    return pad(walk, pause)


def formula_title(obj: Objective) -> str:
    """``$f(x, y) = ...$`` in mathtext."""
    return f"$f({', '.join(obj.variables)}) = {obj.latex}$"


def num(value: float, digits: int = 5) -> str:
    """A number for a readout in plain text (mathtext is slow every frame), true minus sign."""
    return f"{value:.{digits}g}".replace("-", "\u2212")


def finite_path(xs: np.ndarray, fs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The records up to the last finite one (a diverged row keeps its last good iterate)."""
    ok = np.isfinite(xs.reshape(len(xs), -1)).all(axis=1)
    ok &= np.isfinite(fs.reshape(len(fs), -1)).all(axis=1)
    last = int(np.nonzero(ok)[0][-1]) + 1 if ok.any() else 1
    return xs[:last], fs[:last]


# -- the scene ------------------------------------------------------------------------------------


def notebook_descent(
    scene: str,
    target: object,
    start: Sequence[Sequence[float]] | None,
    optimizer: Any,
    max_iter: int | None,
    grad_tol: float | None,
    f_tol: float | None,
    x_tol: float | None,
) -> tuple[Any, ...]:
    """One descent with the original notebook's settings, ready to draw on a 2D view.

    The defaults are the notebook's: the trig surface, gd with lr 0.1, stop when f changes by
    less than 1e-6 or after 3000 iterations. Shared by the contour and surface scenes.

    Returns:
        ``(obj, result, xs, fs, its, xlim, ylim, (Xg, Yg, Z))``: the objective, the Result, the
        finite part of the path with its values and iteration numbers, the view, and the
        objective on a grid over the view.
    """
    from descentlab.optimizers import gd

    obj = objective_2d(target, "notebook-trig", scene)
    result = run(
        obj,
        starts(start, [DEFAULT_START]),
        optimizer,
        gd(lr=0.1),
        max_iter=max_iter,
        grad_tol=grad_tol,
        f_tol=f_tol,
        x_tol=x_tol,
        defaults={"max_iter": 3000, "grad_tol": 0.0, "f_tol": 1e-6, "x_tol": 0.0},
    )
    xs, fs = finite_path(result.trajectory.xs, result.trajectory.fs)
    xlim, ylim = view(obj, [xs])
    return obj, result, xs, fs, result.trajectory.its, xlim, ylim, grid_values(obj, xlim, ylim)


def contour(
    target: object = None,
    *,
    start: Sequence[Sequence[float]] | None = None,
    optimizer: Optimizer | None = None,
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
        max_iter: Iteration limit (default 3000).
        grad_tol: Gradient-norm tolerance (default 0: off, as in the notebook).
        f_tol: Tolerance on the change of f (default 1e-6).
        x_tol: Step-length tolerance (default 0: off).
        frames: Frame budget, the final pause included.
        fps: Frames per second.
        size: (width, height) in pixels.
        n_levels: Number of contour levels.

    Returns:
        The scene.

    Raises:
        ConfigError: A target that is not a function of two variables, bad starts or frames.
        RenderError: A bad size or fps.
    """
    import matplotlib

    frames = check_frames(frames)
    obj, result, xs, fs, its, xlim, ylim, (Xg, Yg, Z) = notebook_descent(
        "contour", target, start, optimizer, max_iter, grad_tol, f_tol, x_tol
    )
    pause = max(1, frames // 8)
    idx = path_frames(xs, xlim, ylim, frames, pause)
    k = xs.shape[1]

    with matplotlib.rc_context(RC | {"axes.grid": False}):
        fig = new_figure(size)
        ax = fig.add_subplot()
        filled = draw_filled(ax, Xg, Yg, Z, n_levels)
        bar = fig.colorbar(filled, ax=ax, fraction=0.05, pad=0.03)
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

        def update(i: int) -> None:
            j = idx[i]
            for r, line in enumerate(lines):
                line.set_data(xs[: j + 1, r, 0], xs[: j + 1, r, 1])
            point.set_data(xs[j, :, 0], xs[j, :, 1])
            if k == 1:
                title.set_text(f"iteration {its[j]}:  f = {num(fs[j, 0], 8)}")
            else:
                title.set_text(f"iteration {its[j]}:  best f = {num(np.nanmin(fs[j]), 8)}")

        finish_layout(fig)
    return Scene(fig, [*lines, point, title], update, n_frames=len(idx), fps=fps)
