"""Still pictures (PNG): gradient field, finite-difference error, learning-rate sweep, basins of
attraction and one backtracking line search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.contour import (
    draw_filled,
    formula_title,
    grid_values,
    num,
    objective_2d,
)
from descentlab.animate.engine import Still
from descentlab.animate.style import COLORS, RC, finish_layout, new_figure, quiet_axes
from descentlab.errors import ConfigError

if TYPE_CHECKING:
    from descentlab.optimizers import Optimizer

__all__ = ["basins", "fd_error", "field", "linesearch", "lr_sweep"]


def _check_count(name: str, value: int, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ConfigError(f"{name} must be an integer >= {least} (got {value!r})")
    return int(value)


def _one_start(obj: Any, start: Any) -> np.ndarray:
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


def _mark_minima(ax: Any, obj: Any) -> None:
    if obj.problem is None:
        return
    for m in obj.problem.minima:
        ax.plot(
            *m.x, "*", color="gold" if m.kind == "global" else "white", mec="black", ms=13, zorder=6
        )


# -- gradient field -------------------------------------------------------------------------------


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
    arrows = _check_count("arrows", arrows, 2)
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
        from descentlab.animate.contour import levels

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
        _mark_minima(ax, obj)
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


# -- finite-difference error ----------------------------------------------------------------------


def fd_error(
    target: object = "sin(x)e^x",
    *,
    at: float = 0.7,
    methods: Sequence[str] = ("forward", "central", "complex", "richardson"),
    size: tuple[int, int] = (760, 520),
) -> Still:
    """Error of finite-difference derivatives against the step h, log-log.

    Each curve is ``|estimate - f'(x)|`` (the exact derivative from the formula). Large h:
    truncation error (slope 1 for forward, 2 for central); small h: round-off, growing like
    ``eps / h``. The complex step has no subtraction, hence no round-off arm. A ring marks the
    step each method takes by default. Errors of exactly 0 are drawn at the bottom edge.

    Args:
        target: A formula in one variable (default ``sin(x)e^x``), a catalogue name, or an
            Objective made from a formula.
        at: The point x.
        methods: Which methods to sweep (from ``forward, backward, central, complex,
            richardson``).
        size: (width, height) in pixels.

    Returns:
        The still.

    Raises:
        ConfigError: A formula of more than one variable, a bad point or method.
        ParseError: Formula text that cannot be read.
    """
    import matplotlib

    from descentlab.derivatives import finite
    from descentlab.derivatives.symbolic import diff
    from descentlab.expr import parse, to_function, to_latex, variables
    from descentlab.objective import as_objective

    if isinstance(at, bool) or not np.isfinite(at):
        raise ConfigError(f"at must be a finite number (got {at!r})")
    tree = parse(target) if isinstance(target, str) else as_objective(target).tree
    if tree is None:
        raise ConfigError(
            "fd-error needs a formula (its exact derivative is the reference); "
            f"{getattr(target, 'name', target)!r} is a Python function"
        )
    names = variables(tree)
    if len(names) > 1:
        raise ConfigError(f"fd-error needs a function of one variable ({str(tree)!r} has {names})")
    var = names[0] if names else "x"
    fn = to_function(tree, [var])
    dfn = to_function(diff(tree, var), [var])

    def f(x: complex) -> Any:
        return fn(np.array([[x]]))[0]

    exact = float(dfn(np.array([[float(at)]]))[0])
    if not np.isfinite(exact):
        raise ConfigError(f"f' is not finite at {var} = {at:g}")
    sweep = finite.error_sweep(f, float(at), exact, hs=np.logspace(0, -16, 129), methods=methods)
    floor = 1e-17
    eps = np.finfo(float).eps
    colors = {
        "forward": "#d1495b",
        "backward": "#e07a1f",
        "central": "#3b6ea5",
        "complex": "#2e8b57",
        "richardson": "#6a4c93",
    }

    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        ax = fig.add_subplot()
        quiet_axes(ax)
        hs = sweep["h"]
        ax.loglog(
            hs,
            np.maximum(eps * abs(float(f(at))) / hs, floor),
            ":",
            color=COLORS["muted"],
            lw=1.2,
            label=r"round-off $\sim \varepsilon\,|f| / h$",
        )
        for method in methods:
            err = np.maximum(sweep[method], floor)
            ax.loglog(hs, err, color=colors[method], lw=1.8, label=method)
            h0 = abs(float(finite.default_step(method, at)))
            e0 = abs(finite.derivative(f, float(at), method=method) - exact)
            ax.loglog([h0], [max(e0, floor)], "o", mfc="none", mec=colors[method], mew=2, ms=10)
        ax.loglog([], [], "o", mfc="none", mec=COLORS["text"], mew=2, label="default step")
        ax.set_ylim(floor / 2, 10)
        ax.set_xlim(hs.min(), hs.max())
        ax.invert_xaxis()
        ax.set_xlabel("step $h$ (shrinking to the right)")
        ax.set_ylabel(r"$|$estimate $- f'(x)|$")
        ax.set_title(
            f"Finite differences of $f({var}) = {to_latex(tree)}$ at ${var} = {at:g}$\n"
            "truncation error falls with h, round-off grows as h shrinks",
            fontsize=11,
        )
        ax.legend(loc="upper center", fontsize=9, ncols=3)
        finish_layout(fig)
    return Still(fig)


# -- learning-rate sweep --------------------------------------------------------------------------


def _max_curvature(obj: Any, x: np.ndarray) -> float:
    """Largest eigenvalue of the Hessian at x (central differences of the exact gradient)."""
    n = x.size
    h = 1e-5 * max(1.0, float(np.abs(x).max()))
    P = np.concatenate([x + h * np.eye(n), x - h * np.eye(n)])
    G = np.asarray(obj.grad(P), dtype=float)
    H = (G[:n] - G[n:]) / (2 * h)
    return float(np.linalg.eigvalsh((H + H.T) / 2).max())


def lr_sweep(
    target: object = "x^2 + 10y^2",
    *,
    start: Sequence[Sequence[float]] | None = None,
    lrs: Sequence[float] | None = None,
    max_iter: int | None = None,
    grad_tol: float | None = None,
    size: tuple[int, int] = (760, 500),
) -> Still:
    """Final f after plain gradient descent, against the learning rate (log x-axis).

    Too small a rate crawls (the iteration limit stops it high), a good one converges, and past
    the edge ``2 / L`` (L the largest curvature, the Hessian's largest eigenvalue at the best
    end point) the iterates oscillate with growing amplitude. Runs with status DIVERGED are
    drawn as red crosses on the top edge, never as a value.

    Args:
        target: An Objective, catalogue name or formula (default ``x^2 + 10y^2``: L = 20,
            edge 0.1).
        start: One start ``[[x, ...]]`` (default ``[[1, 1]]``, or the catalogue's first start).
        lrs: The learning rates (default 48 log-spaced from 1e-3 to 0.3).
        max_iter: Iteration limit per run (default 300).
        grad_tol: Gradient tolerance (default 1e-8).
        size: (width, height) in pixels.

    Returns:
        The still.

    Raises:
        ConfigError: Bad starts or learning rates.
        RenderError: A bad size.
    """
    import matplotlib
    from matplotlib.transforms import blended_transform_factory

    from descentlab.descent import minimize
    from descentlab.objective import as_objective
    from descentlab.optimizers import gd
    from descentlab.result import Status

    obj = as_objective(target)  # type: ignore[arg-type]
    x0 = _one_start(obj, start)
    rates = np.geomspace(1e-3, 0.3, 48) if lrs is None else np.asarray(lrs, dtype=float)
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates) & (rates > 0)):
        raise ConfigError(f"lrs must be positive numbers (got {lrs!r})")
    settings = {
        "max_iter": 300 if max_iter is None else max_iter,
        "grad_tol": 1e-8 if grad_tol is None else grad_tol,
    }
    runs = [minimize(obj, x0, gd(lr=float(lr)), record=False, **settings) for lr in rates]
    status = np.array([int(r.status[0]) for r in runs])
    final = np.array([float(r.fun[0]) for r in runs])
    diverged = status == Status.DIVERGED
    converged = np.array([Status(s).converged for s in status])
    ok = ~diverged
    best = int(np.argmin(np.where(ok, final, np.inf))) if ok.any() else None
    f_star = None
    if obj.problem is not None and obj.problem.global_minima:
        f_star = float(obj.problem.global_minima[0].f)
    shown = final if f_star is None else final - f_star
    positive = bool(np.all(shown[ok] > 0)) if ok.any() else True
    L = _max_curvature(obj, runs[best].x[0]) if best is not None else float("nan")
    f0 = float(obj.value(x0))

    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        ax = fig.add_subplot()
        quiet_axes(ax)
        ax.set_xscale("log")
        if positive:
            ax.set_yscale("log")
        ref = f0 if f_star is None else f0 - f_star
        # Runs that blew up without reaching the divergence limit would squash the picture:
        # the view stops 6 decades above the start and those runs sit on the top edge.
        y_top = abs(ref) * 1e6 if positive else ref + 10 * max(abs(ref), 1.0)
        off = ok & (shown > y_top)
        seen = ok & ~off
        ax.plot(rates[seen], shown[seen], color=COLORS["muted"], lw=1, zorder=2)
        maxed = seen & ~converged
        ax.plot(
            rates[seen & converged],
            shown[seen & converged],
            "o",
            color=COLORS["curve"],
            ms=6,
            label="converged",
            zorder=4,
        )
        ax.plot(
            rates[maxed],
            shown[maxed],
            "o",
            mfc="white",
            mec=COLORS["moving"],
            mew=1.5,
            ms=6,
            label=f"stopped at max_iter = {settings['max_iter']}",
            zorder=4,
        )
        top = blended_transform_factory(ax.transData, ax.transAxes)
        ax.plot(
            rates[off],
            np.full(off.sum(), 0.97),
            "^",
            mfc="white",
            mec="#d62728",
            mew=1.5,
            ms=7,
            transform=top,
            clip_on=False,
            label="growing: f far above the view",
            zorder=5,
        )
        ax.plot(
            rates[diverged],
            np.full(diverged.sum(), 0.97),
            "x",
            color="#d62728",
            mew=2,
            ms=8,
            transform=top,
            clip_on=False,
            label="diverged (no value)",
            zorder=5,
        )
        if seen.any():
            low = float(shown[seen].min())
            if positive:
                ax.set_ylim(low / 30, y_top)
            else:
                ax.set_ylim(low - 0.05 * (y_top - low), y_top)
        ax.axhline(f0 if f_star is None else f0 - f_star, color=COLORS["muted"], ls="--", lw=1)
        ax.text(
            rates[-1],
            f0 if f_star is None else f0 - f_star,
            "f at the start ",
            va="bottom",
            ha="right",
            color=COLORS["muted"],
            fontsize=9,
        )
        if np.isfinite(L) and L > 0:
            edge = 2.0 / L
            ax.axvline(edge, color="#d62728", lw=1.5, zorder=3)
            ax.text(
                edge,
                0.5,
                f" 2/L = {num(edge, 3)}\n (L = {num(L, 4)})",
                transform=top,
                color="#d62728",
                va="center",
                fontsize=10,
            )
        ax.set_xlabel("learning rate")
        ax.set_ylabel("final $f$" if f_star is None else "final $f - f^*$")
        ax.set_title(
            f"Gradient descent on {formula_title(obj)} from ({', '.join(num(v, 3) for v in x0)})"
            "\nfinal value against the learning rate",
            fontsize=11,
        )
        ax.legend(loc="upper left", fontsize=9)
        finish_layout(fig)
    still = Still(fig)
    still.runs = runs  # type: ignore[attr-defined]  (the sweep's results, for tests)
    still.lrs = rates  # type: ignore[attr-defined]
    return still


# -- basins of attraction -------------------------------------------------------------------------

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
    with :func:`descentlab.multistart.group_minima`. Starts whose run diverged or hit the
    iteration limit are grey. Each minimum found is a star in its basin's colour.

    Args:
        target: An Objective, catalogue name or formula in two variables (None: Himmelblau).
        optimizer: An Optimizer (default ``gd(lr=0.01)``).
        per_axis: Grid starts along each axis.
        max_iter: Iteration limit (default 2000).
        grad_tol: Gradient tolerance (default 1e-6).
        size: (width, height) in pixels.

    Returns:
        The still; ``still.labels`` is the (per_axis, per_axis) grid of minimum numbers (-1 for
        grey), rows along y, and ``still.minima`` the grouped minima.

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
    per_axis = _check_count("per_axis", per_axis, 2)
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
        from descentlab.animate.contour import levels

        ax.contour(Xg, Yg, Z, levels=levels(Z, 12)[0], colors="white", linewidths=0.6, alpha=0.7)
        for m, minimum in enumerate(found):
            ax.plot(*minimum.x, "*", color="white", mec="black", ms=16, zorder=5)
            if m < 8:
                where = f"({num(minimum.x[0], 3)}, {num(minimum.x[1], 3)})"
                ax.plot([], [], "s", color=palette[m], ms=10, label=f"{where}: {minimum.count}")
        failed = int((flat < 0).sum())
        if failed:
            ax.plot([], [], "s", color=FAILED, ms=10, label=f"diverged or max_iter: {failed}")
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
    still = Still(fig)
    still.labels = labels  # type: ignore[attr-defined]
    still.minima = found  # type: ignore[attr-defined]
    still.result = result  # type: ignore[attr-defined]
    return still


# -- one backtracking line search -----------------------------------------------------------------


def linesearch(
    target: object = None,
    *,
    start: Sequence[Sequence[float]] | None = None,
    optimizer: Optimizer | None = None,
    iteration: int = 0,
    size: tuple[int, int] = (760, 500),
) -> Still:
    """The trial steps of one backtracking (Armijo) line search on the slice ``f(x - a g)``.

    The curve is f along the steepest-descent ray from the current iterate, against the step
    size a (log scale: each trial halves it). Trials come from the linesearch optimizer's own
    record (its state): rejected ones are red crosses, the accepted one a green dot. The
    Armijo line ``f(x) - c a |g|^2`` is what a trial must fall under; the tangent
    ``f(x) - a |g|^2`` is the decrease the slope promises. Values above the view are drawn on
    the top edge.

    Args:
        target: An Objective, catalogue name or formula (None: Rosenbrock).
        start: The start ``[[x, ...]]`` (default the catalogue's first start).
        optimizer: A ``linesearch`` Optimizer (default ``linesearch()``: lr 1, c 1e-4,
            shrink 0.5).
        iteration: Which step to show: the search made at this iteration of the run (0 is the
            first step, from the start).
        size: (width, height) in pixels.

    Returns:
        The still; ``still.trials`` holds ``(trial_lrs, trial_values, accepted_lr)``.

    Raises:
        ConfigError: An optimizer that is not a line search, bad start or iteration.
        RenderError: A bad size.
    """
    import matplotlib
    from matplotlib.transforms import blended_transform_factory

    from descentlab.descent import minimize
    from descentlab.objective import as_objective
    from descentlab.optimizers import linesearch as make_linesearch

    obj = as_objective("rosenbrock" if target is None else target)  # type: ignore[arg-type]
    opt = make_linesearch() if optimizer is None else optimizer
    if getattr(opt, "name", None) != "linesearch":
        raise ConfigError(f"the linesearch still needs the linesearch optimizer (got {opt!r})")
    iteration = _check_count("iteration", iteration, 0)
    x = _one_start(obj, start)
    if iteration:
        x = minimize(obj, x, opt, max_iter=iteration, grad_tol=0.0, record=False).x[0]
    X = x[None, :]
    fx, G = obj.value_and_grad(X)
    state = opt.init(X)
    with np.errstate(all="ignore"):
        _, state = opt.update(G, state, X, value_fn=obj.value, value=fx)
    tried = np.isfinite(state.trial_lrs[0])
    a_try = state.trial_lrs[0][tried]
    f_try = state.trial_values[0][tried]
    a_ok = float(state.lr[0])
    f0, g = float(fx[0]), G[0]
    g2 = float(g @ g)
    c = float(opt.hyperparameters["c"])
    a = np.geomspace(a_try.min() / 4, a_try.max() * 1.5, 400)
    with np.errstate(all="ignore"):
        phi = obj.value(x[None, :] - a[:, None] * g[None, :])
    span = max(f0 - float(np.nanmin(phi)), abs(f0) * 0.05, 1e-12)
    ylim = (f0 - 1.35 * span, f0 + 2.0 * span)
    accepted = a_try == a_ok

    with matplotlib.rc_context(RC):
        fig = new_figure(size)
        ax = fig.add_subplot()
        quiet_axes(ax)
        ax.set_xscale("log")
        ax.plot(a, phi, color=COLORS["curve"], label=r"$f(x - a\,g)$", zorder=3)
        ax.plot(
            a,
            f0 - c * a * g2,
            "--",
            color=COLORS["moving"],
            zorder=2,
            label=rf"Armijo: $f(x) - c\,a\,\Vert g\Vert^2$, c = {c:g}",
        )
        ax.plot(
            a,
            f0 - a * g2,
            ":",
            color=COLORS["muted"],
            zorder=2,
            label=r"tangent: $f(x) - a\,\Vert g\Vert^2$",
        )
        ax.axhline(f0, color=COLORS["grid"], lw=1, zorder=1)
        top = blended_transform_factory(ax.transData, ax.transAxes)
        for j, (aj, fj) in enumerate(zip(a_try, f_try, strict=True)):
            inside = ylim[0] <= fj <= ylim[1]
            style = (
                {"color": "#2e8b57", "marker": "o", "ms": 10}
                if accepted[j]
                else {"color": "#d62728", "marker": "x", "ms": 9, "mew": 2}
            )
            if inside:
                ax.plot([aj], [fj], ls="none", zorder=5, **style)
                ax.annotate(
                    str(j + 1),
                    (aj, fj),
                    xytext=(0, 8),
                    textcoords="offset points",
                    ha="center",
                    fontsize=9,
                )
            else:
                ax.plot([aj], [0.985], ls="none", transform=top, clip_on=False, zorder=5, **style)
                ax.annotate(
                    str(j + 1),
                    (aj, 0.985),
                    xycoords=top,
                    xytext=(0, -16),
                    textcoords="offset points",
                    ha="center",
                    fontsize=9,
                )
        ax.plot([], [], "x", color="#d62728", mew=2, label="rejected trial (top edge: off scale)")
        ax.plot([], [], "o", color="#2e8b57", label=f"accepted: a = {num(a_ok, 4)}")
        ax.set_ylim(*ylim)
        ax.set_xlim(a[0], a[-1])
        ax.set_xlabel("step size $a$ (log scale; each trial halves it)")
        ax.set_ylabel(r"$f(x - a\,g)$")
        where = ", ".join(num(v, 4) for v in x)
        ax.set_title(
            f"Backtracking line search on {formula_title(obj)}\n"
            f"iteration {iteration} from ({where}): {len(a_try)} trials",
            fontsize=11,
        )
        ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.86), fontsize=9)
        finish_layout(fig)
    still = Still(fig)
    still.trials = (a_try, f_try, a_ok)  # type: ignore[attr-defined]
    return still
