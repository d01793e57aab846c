"""What the scenes and stills share: targets, starts, runs, views, contour levels and readouts.

Every scene module imports from here (and from :mod:`~descentlab.animate.style` for colours and
figures); no scene imports another scene. One-variable scenes take their target through
:func:`curve`, two-variable ones through :func:`objective_2d`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.frames import pad, sample_indices
from descentlab.errors import ConfigError, RenderError
from descentlab.objective import Objective, as_objective, placeholder_latex
from descentlab.result import scene_stops

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend
    from matplotlib.text import Text
    from matplotlib.typing import LegendLocType

    from descentlab.optimizers import Optimizer
    from descentlab.result import Result, Trajectory

#: The notebook's start for its contour animation was random in [-2, 2]^2; this one gives a path
#: that crosses two basins' slopes before settling (90 iterations of gd with lr 0.1).
DEFAULT_START = (0.1, -0.8)


# -- targets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Curve:
    """A function of one variable with what the pictures print about it.

    Attributes:
        f: Values on an array of x (any shape); nan or inf where f is undefined or overflows
            (no warning).
        df: Derivative on an array of x (exact for formulas and catalogue problems), likewise.
        title: ``f(x) = ...`` for a title (mathtext, or plain text when mathtext cannot set
            it: see :func:`math_or_plain`).
        dtitle: ``f'(x) = ...`` likewise, or "" without a formula.
        var: The variable's name.
        objective: The :class:`~descentlab.objective.Objective`, for :func:`minimize`.
    """

    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    title: str
    dtitle: str
    var: str
    objective: Objective


def curve(target: object, *, scene: str = "this scene") -> Curve:
    """A :class:`Curve` from an Objective, a catalogue name or formula text.

    Args:
        target: Anything :func:`~descentlab.objective.as_objective` accepts except a bare
            Python function (it would need ``dim=1``; wrap it in an Objective).
        scene: The scene's name, for error messages.

    Raises:
        ConfigError: A target of another kind, or a function of more than one variable.
        ParseError: Formula text that cannot be read.
    """
    if not isinstance(target, Objective | str):
        raise ConfigError(
            f"{scene} needs formula text, a catalogue name or an Objective "
            f"(got {type(target).__name__})"
        )
    obj = as_objective(target)
    if obj.dim != 1:
        raise ConfigError(
            f"{scene} needs a function of one variable; {obj.name!r} has {obj.dim} variables "
            f"({', '.join(obj.variables)})"
        )
    var = obj.variables[0]

    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):  # outside the domain or overflowing: nan or inf
            return np.asarray(obj.value(x.reshape(-1, 1)), dtype=float).reshape(x.shape)

    def df(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            return np.asarray(obj.grad(x.reshape(-1, 1)), dtype=float).reshape(x.shape)

    dtitle = ""
    if obj.tree is not None:
        from descentlab.derivatives.symbolic import diff
        from descentlab.expr import to_latex

        d = diff(obj.tree, var)
        dtitle = math_or_plain(f"f'({var})", to_latex(d), str(d))
    return Curve(f, df, formula_title(obj), dtitle, var, obj)


def check_count(name: str, value: int, least: int) -> int:
    """``value`` as an int >= ``least``.

    Raises:
        ConfigError: Anything else (bools included), naming ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ConfigError(f"{name} must be an integer >= {least} (got {value!r})")
    return int(value)


def one_start(obj: Any, start: Any) -> np.ndarray:
    """The single start of a still: the catalogue's first, else ones; f must be defined there.

    Raises:
        ConfigError: Not one finite point of the objective's dimension.
        EvaluationError: f (or its gradient) is not defined at the start.
    """
    if start is None:
        x = np.array(obj.problem.starts[0], dtype=float) if obj.problem else np.ones(obj.dim)
    else:
        x = np.array(start, dtype=float).reshape(-1)
        if x.size != obj.dim or not np.all(np.isfinite(x)):
            raise ConfigError(
                f"start must be one finite point of {obj.dim} numbers (got {start!r})"
            )
    obj.check_finite_at(x)  # a start where f is undefined is bad input, not a divergence
    return x


def mark_minima(ax: Any, obj: Any) -> None:
    if obj.problem is None:
        return
    for m in obj.problem.minima:
        ax.plot(
            *m.x, "*", color="gold" if m.kind == "global" else "white", mec="black", ms=13, zorder=6
        )


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
    """``frames`` as an int >= ``least`` (:func:`check_count` for the frame budget)."""
    return check_count("frames", frames, least)


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
    scene: str,
    scheduler: Any = None,
) -> Result:
    """:func:`minimize` with every iterate recorded; ``None`` settings take the scene's own
    (:func:`~descentlab.result.scene_stops`).

    ``scheduler`` (a :mod:`descentlab.schedules` schedule) is passed on: the lr of every step is
    then in ``result.trajectory.lrs``.
    """
    from descentlab.descent import minimize

    chosen = scene_stops(scene, max_iter=max_iter, grad_tol=grad_tol, f_tol=f_tol, x_tol=x_tol)
    obj.check_finite_at(X0)  # a start where f is undefined is bad input, not a divergence
    opt = default if optimizer is None else optimizer
    return minimize(obj, X0, opt, record=True, scheduler=scheduler, **chosen)


def recorded(result: Result) -> Trajectory:
    """The recorded iterates of a scene's run (:func:`run` always records them).

    Raises:
        RenderError: A Result without a trajectory (run with ``record=False``).
    """
    if result.trajectory is None:
        raise RenderError("a scene needs the run's iterates: minimize(..., record=True)")
    return result.trajectory


def view(obj: Objective, paths: Sequence[np.ndarray], margin: float = 0.08) -> tuple[Any, Any]:
    """x and y limits: the target's usual box joined with the finite part of the paths.

    With a usual box (the catalogue's domain), only the points within one box width of it
    widen the view: a run that diverges (gd at lr 0.1 on Rosenbrock reaches 1e32 in five
    steps) leaves through the edge instead of shrinking the surface to a stripe.
    """
    pts = np.concatenate([np.asarray(p, dtype=float).reshape(-1, 2) for p in paths])
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if obj.domain is not None:
        box = np.array(obj.domain, dtype=float)
        width = box[:, 1] - box[:, 0]
        near = pts[np.all((pts >= box[:, 0] - width) & (pts <= box[:, 1] + width), axis=1)]
        lo = np.minimum(box[:, 0], near.min(axis=0)) if len(near) else box[:, 0]
        hi = np.maximum(box[:, 1], near.max(axis=0)) if len(near) else box[:, 1]
    else:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        span = np.maximum(hi - lo, 1.0)
        lo, hi = lo - 0.5 * span, hi + 0.5 * span
    span = hi - lo
    lo, hi = lo - margin * span, hi + margin * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def grid_values(
    obj: Any, xlim: tuple[float, float], ylim: tuple[float, float], n: int = 160
) -> tuple[Any, Any, Any]:
    """``(Xg, Yg, Z)`` on an n x n grid; non-finite values become nan."""
    xs = np.linspace(xlim[0], xlim[1], n)
    ys = np.linspace(ylim[0], ylim[1], n)
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

    return np.asarray(MaxNLocator(n).tick_values(zmin, zmax), dtype=float), False


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


def place_clear(
    ax: Any,
    text: Any,
    spots: Sequence[tuple[tuple[float, float], tuple[float, float] | None, str, str]],
    curve_xy: np.ndarray,
    pad_px: float = 2.0,
) -> int:
    """Move an annotation to the first spot where it stays inside the axes and off a curve.

    Args:
        ax: The axes (laid out: call after ``finish_layout``).
        text: An :class:`~matplotlib.text.Annotation` with ``textcoords="offset points"``, or a
            plain Text (then the offsets are None and ``xy`` is its position).
        spots: Candidates ``(xy, offset in points or None, ha, va)``, best first.
        curve_xy: (m, 2) points of the curve(s) in data coordinates, dense enough that a
            line through the label's box has a point inside it.
        pad_px: Extra margin around the label's box.

    Returns:
        The index of the spot taken (the one with the fewest curve points inside the box if
        none is clear).
    """
    from matplotlib.text import Text

    renderer = ax.figure.canvas.get_renderer()
    pts = ax.transData.transform(np.asarray(curve_xy, dtype=float))
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    frame = ax.get_window_extent(renderer)
    best, best_hits = 0, None

    def put(xy: Any, offset: Any, ha: str, va: str) -> None:
        if offset is None:
            text.set_position(xy)
        else:
            text.xy = xy
            text.set_position(offset)
        text.set_horizontalalignment(ha)
        text.set_verticalalignment(va)

    for k, (xy, offset, ha, va) in enumerate(spots):
        put(xy, offset, ha, va)
        # The label's own box: an Annotation's extent includes its arrow, whose tip may sit on
        # the frame's edge (a start above the view) and make every spot look outside.
        if hasattr(text, "update_positions"):  # an Annotation: place it from xy and offset
            text.update_positions(renderer)
        box = Text.get_window_extent(text, renderer).padded(pad_px)
        hits = int(np.sum(
            (pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1)
            & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)
        ))  # fmt: skip
        if not (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
                and box.y1 <= frame.y1):  # fmt: skip
            hits += 10**6
        if hits == 0:
            return k
        if best_hits is None or hits < best_hits:
            best, best_hits = k, hits
    put(*spots[best])
    return best


def distinct_labels(values: Sequence[float], least: int = 2) -> list[str]:
    """Each value with the fewest significant digits (at least ``least``) that tells all apart.

    A colour bar of log-spaced levels printed with a fixed format reads "0, 0, 3, 23"; here
    neighbours never share a label.
    """
    values = [float(v) for v in values]

    def short(v: float, digits: int) -> str:
        if v == 0:
            return "0"
        e = int(np.floor(np.log10(abs(v)))) if np.isfinite(v) else 0
        if not -4 <= e < 6:
            return num(v, digits)
        decimals = max(0, digits - 1 - e)
        return f"{round(v, decimals):.{decimals}f}".replace("-", "\u2212")

    for digits in range(least, 17):
        labels = [short(v, digits) for v in values]
        if len(set(labels)) == len(labels):
            return labels
    return [num(v, 17) for v in values]


def label_colorbar(bar: Any, levels: np.ndarray, n: int = 7) -> list[str]:
    """Put about ``n`` of the contour ``levels`` on ``bar``, each label distinct and readable.

    Returns:
        The labels, bottom to top.
    """
    levels = np.asarray(levels, dtype=float)
    picks = np.unique(np.round(np.linspace(0, len(levels) - 1, min(n, len(levels)))).astype(int))
    ticks = levels[picks]
    labels = distinct_labels(ticks)
    bar.set_ticks(ticks, labels=labels)
    bar.minorticks_off()
    return labels


#: Where a legend may go inside its axes, in order of preference (corners first).
LEGEND_SPOTS: tuple[LegendLocType, ...] = (
    "upper right", "upper left", "lower left", "lower right",
    "center right", "center left", "upper center", "lower center",
)  # fmt: skip


def place_legend(
    ax: Axes, legend: Legend, points: Sequence[np.ndarray], marks: np.ndarray | None = None
) -> str:
    """Put ``legend`` where it covers the fewest of ``points``, and no mark if it can.

    Each spot of :data:`LEGEND_SPOTS` is measured with the legend's real box (call after the
    layout), so a wide legend is not put over a path that an estimate of its size would miss;
    each path is followed along its segments (a long straight step has points in between).
    Chosen once from whole runs, the legend stays put while the paths grow.

    Args:
        ax: The axes holding the legend.
        legend: The legend (from ``ax.legend``).
        points: Paths as arrays of (x, y) points in data coordinates (a start: one point).
        marks: (m, 2) points the legend must not hide (minima): each counts as a thousand
            path points.

    Returns:
        The location taken.
    """
    from descentlab.animate.style import agg_canvas

    renderer = agg_canvas(ax.get_figure(root=True)).get_renderer()

    def screen(xy: np.ndarray) -> np.ndarray:
        pts = ax.transData.transform(np.asarray(xy, dtype=float).reshape(-1, 2))
        return pts[np.all(np.isfinite(pts), axis=1)]

    def along(path: np.ndarray, step_px: float = 3.0) -> np.ndarray:
        """The path's points with more on every segment longer than ``step_px`` pixels."""
        if len(path) < 2:
            return path
        d = np.diff(path, axis=0)
        n = np.maximum(1, np.ceil(np.hypot(d[:, 0], d[:, 1]) / step_px)).astype(int)
        seg = np.repeat(np.arange(len(d)), n)
        t = (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n, n)
        return np.concatenate((path[seg] + t[:, None] * d[seg], path[-1:]))

    parts = [along(screen(p)) for p in points]
    pts = np.concatenate(parts) if parts else np.empty((0, 2))
    marked = screen(np.empty((0, 2)) if marks is None else marks)

    def cost(loc: LegendLocType) -> int:
        legend.set_loc(loc)
        box = legend.get_window_extent(renderer)
        covered = [
            int(np.sum((p[:, 0] >= box.x0) & (p[:, 0] <= box.x1)
                       & (p[:, 1] >= box.y0) & (p[:, 1] <= box.y1)))
            for p in (pts, marked)
        ]  # fmt: skip
        return covered[0] + 1000 * covered[1]

    costs: dict[LegendLocType, int] = {}
    for loc in LEGEND_SPOTS:
        costs[loc] = cost(loc)
        if costs[loc] == 0:
            break
    best = min(costs, key=lambda loc: costs[loc])
    legend.set_loc(best)
    return str(best)


def path_frames(xs: np.ndarray, xlim: Any, ylim: Any, frames: int, pause: int) -> np.ndarray:
    """Iterate indices for the frames: equal distances on screen, then a pause on the last.

    Distances are measured on the points clipped to the view: a step that leaves the view
    moves nothing on screen past its edge (a diverging run's last jumps take no frames).
    """
    scale = np.array([xlim[1] - xlim[0], ylim[1] - ylim[0]])
    points = np.asarray(xs, dtype=float).reshape(len(xs), -1, 2)
    inside = np.clip(points, [xlim[0], ylim[0]], [xlim[1], ylim[1]])
    screen = inside / scale
    walk = sample_indices(len(xs), frames - pause, mode="distance", xs=screen)
    return pad(walk, pause)


#: Longest LaTeX a title sets in mathtext; longer formulas are printed as shortened plain text.
MATH_LIMIT = 160

#: Longest plain-text formula in a title (the rest becomes "...").
PLAIN_LIMIT = 56


def math_or_plain(lhs: str, latex: str, plain: str) -> str:
    """``$lhs = latex$`` when mathtext can set it, else ``lhs = plain`` shortened.

    mathtext parses recursively: a deeply nested formula (``sin`` nested 35 times) raises
    RecursionError at draw time, and a very long one does not fit a title anyway. Such formulas
    are shown as plain text, cut to :data:`PLAIN_LIMIT` characters.

    Args:
        lhs: The left-hand side in mathtext, e.g. ``f(x)`` or ``f'(x)``.
        latex: The right-hand side in LaTeX (may be empty: then plain text is used).
        plain: The right-hand side as plain text (the formula as typed, e.g. ``str(tree)``).
    """
    if latex and len(latex) <= MATH_LIMIT:
        from matplotlib.font_manager import FontProperties

        from descentlab.animate.style import _mathtext_parser

        text = f"${lhs} = {latex}$"
        try:
            _mathtext_parser().parse(text, 72, FontProperties())
        except (RecursionError, ValueError):
            pass
        else:
            return text
    short = plain if len(plain) <= PLAIN_LIMIT else plain[: PLAIN_LIMIT - 3] + "..."
    return f"{lhs.replace('{', '').replace('}', '')} = {short}"


def formula_title(obj: Objective) -> str:
    """``$f(x, y) = ...$`` in mathtext, or plain text when mathtext cannot set it.

    A Python function given without ``latex`` has no formula to print: its title is its name,
    ``valley(x) (a Python function)``, not ``f(x) = f(x)``.
    """
    if obj.tree is None and obj.latex == placeholder_latex(obj.variables):
        name = obj.name.replace("$", r"\$")  # plain text: a "$" would start mathtext
        return f"{name}({', '.join(obj.variables)}) (a Python function)"
    plain = str(obj.tree) if obj.tree is not None else obj.name
    return math_or_plain(f"f({', '.join(obj.variables)})", obj.latex or "", plain)


def optimizer_label(opt: Optimizer, scheduler: Any = None) -> str:
    """``gd (lr 0.001)``: the optimizer's name and learning rate, for titles and legends; with a
    schedule, ``gd (lr 0.001, steplr)`` (the lr it starts from and the schedule's name)."""
    lr = opt.hyperparameters.get("lr")
    if lr is None:
        return opt.name
    return f"{opt.name} (lr {lr:g}{'' if scheduler is None else ', ' + scheduler.name})"


# -- the learning rate of a schedule --------------------------------------------------------------


def lr_at(lrs: np.ndarray, j: int) -> np.ndarray:
    """The learning rates (one per run) shown with record ``j``: those of the step that led to
    it (``trajectory.lrs[j]``); at the start (``j = 0``, no step yet), those of the first step."""
    return lrs[min(max(j, 1), len(lrs) - 1)]


def lr_text(lrs: np.ndarray) -> str:
    """``lr 0.05`` for a readout: one value, or the range when the runs' rates differ."""
    values = np.asarray(lrs, dtype=float).reshape(-1)
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    return f"lr {num(lo, 4)}" if lo == hi else f"lr {num(lo, 3)}–{num(hi, 3)}"


def lr_inset(
    ax: Axes,
    its: np.ndarray,
    lrs: np.ndarray | None,
    colors: Sequence[str],
    bounds: tuple[float, float, float, float] = (0.6, 0.6, 0.36, 0.3),
    unit: str = "iterations",
    ends: Sequence[int] | np.ndarray | None = None,
) -> tuple[list[Any], Callable[[int], None]]:
    """A small lr-against-iteration panel inside ``ax``, with a dot at the current record.

    Drawn only when the schedule changes the lr (a constant one has no picture to show, nor has
    a run without a schedule, ``lrs=None``): then returns ``([], update)`` with an ``update``
    that does nothing.

    A run that has finished takes no more steps: its line stops at its last step, marked by a
    bar across it, and its dot rests there, hollow, instead of going on at the last lr.

    Args:
        ax: The axes to draw in (the panel sits at ``bounds``, in axes fractions).
        its: (T,) iteration numbers of the records.
        lrs: (T, r) the lr of the step to each record, one column per run (row 0 is ignored);
            None without a schedule.
        colors: One colour per run.
        bounds: ``(x, y, width, height)`` of the panel in ``ax``'s axes fractions.
        unit: What ``its`` counts, for the panel's title (``"steps"`` for a fit).
        ends: The iteration at which each run stopped (``Result.nit``; default: none stopped
            before the last record).

    Returns:
        The moving artists (the dots) and ``update(j)`` that puts them at record ``j``.
    """

    def still(j: int) -> None:
        return None

    if lrs is None:
        return [], still
    lrs = np.asarray(lrs, dtype=float).reshape(len(its), -1)
    body = lrs[1:]
    finite = body[np.isfinite(body)]
    if len(its) < 2 or finite.size == 0 or finite.min() == finite.max():
        return [], still
    n_runs = body.shape[1]
    its = np.asarray(its)
    stops = np.full(n_runs, its[-1]) if ends is None else np.asarray(ends).reshape(-1)
    # the last record each run reached by a step of its own (record 1 at least)
    last = [max(1, int(np.searchsorted(its, stop, side="right")) - 1) for stop in stops]
    inset = ax.inset_axes(bounds, zorder=9)
    inset.set_in_layout(False)  # inside ax: the figure's layout need not make room for it
    lo, hi = float(finite.min()), float(finite.max())
    if hi / lo > 20:
        inset.set_yscale("log")
    for r in range(n_runs):
        color = colors[r % len(colors)]
        inset.plot(its[1 : last[r] + 1], lrs[1 : last[r] + 1, r], color=color, lw=1.2)
        if last[r] < len(its) - 1:  # stopped before the clip's end: the line ends at a bar
            inset.plot(its[last[r]], lrs[last[r], r], "|", color=color, ms=9, mew=1.6)
    inset.set_xlim(0, max(float(its[-1]), 1.0))
    # Room above the curve for the label, which stays inside the panel (clipped to it): text
    # reaching over other axes would be drawn over them between frames but under them in a
    # full draw.
    if hi / lo > 20:
        ratio = hi / lo
        inset.set_ylim(lo / ratio**0.1, hi * ratio**0.7)
    else:
        span = max(hi - lo, 1e-300)
        inset.set_ylim(lo - 0.1 * span, hi + 0.7 * span)
    inset.set_xticks([])
    inset.set_yticks([])
    inset.minorticks_off()
    inset.text(
        0.03,
        0.96,
        f"lr {num(lo, 2)} to {num(hi, 2)}\nover {int(its[-1]):,} {unit}",
        transform=inset.transAxes,
        ha="left",
        va="top",
        fontsize=7,
        clip_on=True,
    )
    dots = [
        inset.plot(
            [], [], "o", color=colors[r % len(colors)], mec="white", ms=5, zorder=3, clip_on=False
        )[0]  # fmt: skip
        for r in range(n_runs)
    ]

    def update(j: int) -> None:
        at = min(max(j, 1), len(its) - 1)
        for r, dot in enumerate(dots):
            done = at >= last[r] and last[r] < len(its) - 1
            a = min(at, last[r])
            dot.set_data([its[a]], [lrs[a, r]])
            dot.set_markerfacecolor("white" if done else colors[r % len(colors)])
            dot.set_markeredgecolor(colors[r % len(colors)] if done else "white")

    return dots, update


#: Pixels kept clear on each side of the stop line.
STOP_MARGIN_PX = 6


def stop_line(
    fig: Figure, parts: Sequence[str], *, head: str = "stop: ", fontsize: float = 9
) -> tuple[Text, str, float]:
    """The line under the panels that says why the runs stopped, wrapped to the figure's width.

    ``parts`` (one per run or panel, e.g. from :func:`stop_reason`) stay whole on a line when
    they fit and are broken between words when one alone is too wide; the lines are centred. A
    stop line of a narrow figure ("converged_f ... (ended outside the domain)" at 520 pixels)
    is then two lines, never cut at the figure's edges.

    Args:
        fig: The figure (built with :func:`~descentlab.animate.style.new_figure`).
        parts: What to say, in order.
        head: Put before the first part.
        fontsize: Font size in points.

    Returns:
        ``(text, wrapped, bottom)``: the Text (empty: a scene sets it to ``wrapped`` on its last
        frame), the wrapped text, and the fraction of the figure's height it needs at the
        bottom (the ``rect`` bottom for :func:`~descentlab.animate.style.finish_layout`).
    """
    from descentlab.animate.style import COLORS, agg_canvas

    text = fig.text(
        0.5, 0.01, "", ha="center", va="bottom", fontsize=fontsize, color=COLORS["text"]
    )
    renderer = agg_canvas(fig).get_renderer()
    room = fig.bbox.width - 2 * STOP_MARGIN_PX

    def fits(line: str) -> bool:
        text.set_text(line)
        return bool(text.get_window_extent(renderer).width <= room)

    lines: list[str] = []
    line = ""
    for k, part in enumerate(parts):
        part = (head + part) if k == 0 else part
        joined = f"{line}   {part}" if line else part
        if fits(joined):
            line = joined
            continue
        if line:
            lines.append(line)
            line = ""
        for word in part.split(" "):
            joined = f"{line} {word}" if line else word
            if line and not fits(joined):
                lines.append(line)
                joined = word
            line = joined
    if line:
        lines.append(line)
    wrapped = "\n".join(lines)
    text.set_text(wrapped)
    height = text.get_window_extent(renderer).height
    text.set_text("")
    return text, wrapped, float((height + 0.01 * fig.bbox.height + 4) / fig.bbox.height)


def stop_reason(result: Result, row: int | None = None) -> str:
    """Why the runs stopped, for a scene's last frame.

    One row (or ``row`` given): its status sentence from ``Result.message`` (the numbers behind
    it included). Several rows: how many ended each way, e.g. ``3 converged, 1 max_iter``.
    """
    messages = result.message
    if row is not None or len(messages) == 1:
        return messages[0 if row is None else row]
    heads = [m.split(":", 1)[0].split(" at iteration")[0] for m in messages]
    counts = {h: heads.count(h) for h in dict.fromkeys(heads)}
    return ", ".join(f"{n} {h}" for h, n in counts.items()) + f" (of {len(messages)} runs)"


def num(value: float, digits: int = 5) -> str:
    """A number for a readout in plain text (mathtext is slow every frame), true minus sign."""
    return f"{value:.{digits}g}".replace("-", "\u2212")


def finite_path(xs: np.ndarray, fs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The records up to the last finite one (a diverged row keeps its last good iterate)."""
    ok = np.isfinite(xs.reshape(len(xs), -1)).all(axis=1)
    ok &= np.isfinite(fs.reshape(len(fs), -1)).all(axis=1)
    last = int(np.nonzero(ok)[0][-1]) + 1 if ok.any() else 1
    return xs[:last], fs[:last]


def notebook_descent(
    scene: str,
    target: object,
    start: Sequence[Sequence[float]] | None,
    optimizer: Any,
    max_iter: int | None,
    grad_tol: float | None,
    f_tol: float | None,
    x_tol: float | None,
    scheduler: Any = None,
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
        scene=scene,
        scheduler=scheduler,
    )
    traj = recorded(result)
    xs, fs = finite_path(traj.xs, traj.fs)
    xlim, ylim = view(obj, [xs])
    return obj, result, xs, fs, traj.its, xlim, ylim, grid_values(obj, xlim, ylim)
