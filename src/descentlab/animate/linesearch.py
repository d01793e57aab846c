"""The linesearch still: the trial steps of one backtracking (Armijo) line search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.common import check_count, formula_title, num, one_start
from descentlab.animate.engine import Still
from descentlab.animate.style import COLORS, RC, finish_layout, new_figure, quiet_axes
from descentlab.errors import ConfigError

if TYPE_CHECKING:
    from descentlab.optimizers import Optimizer

__all__ = ["linesearch"]


def linesearch(
    target: object = None,
    *,
    start: Sequence[Sequence[float]] | None = None,
    optimizer: Optimizer | None = None,
    scheduler: Any = None,
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
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`): the run follows it
            and the search shown starts from the schedule's lr of that step (its first trial).
        iteration: Which step to show: the search made at this iteration of the run (0 is the
            first step, from the start).
        size: (width, height) in pixels.

    Returns:
        The still; ``still.info["trials"]`` holds ``(trial_lrs, trial_values, accepted_lr)``
        (with a schedule the first trial is the schedule's lr of that step).

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
    iteration = check_count("iteration", iteration, 0)
    x = one_start(obj, start)
    first: dict[str, Any] = {}  # the first trial's lr: the optimizer's, or the schedule's
    if scheduler is not None:
        run = minimize(obj, x, opt, max_iter=iteration + 1, grad_tol=0.0, scheduler=scheduler)
        if run.nit[0] < iteration + 1:
            raise ConfigError(
                f"the run stopped after {int(run.nit[0])} iterations: there is no step "
                f"{iteration} to show ({run.message[0]})"
            )
        traj = run.trajectory
        assert traj is not None and traj.lrs is not None  # recorded, with the schedule's lrs
        x = traj.xs[iteration, 0]
        first["lr"] = traj.lrs[iteration + 1, :1]
    elif iteration:
        x = minimize(obj, x, opt, max_iter=iteration, grad_tol=0.0, record=False).x[0]
    X = x[None, :]
    fx, G = obj.value_and_grad(X)
    state = opt.init(X)
    with np.errstate(all="ignore"):
        _, state = opt.update(G, state, X, value_fn=obj.value, value=fx, **first)
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
            style: dict[str, Any] = (
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
            f"iteration {iteration} from ({where}): {len(a_try)} trials"
            + ("" if scheduler is None else f", the first at {scheduler.name}'s lr"),
            fontsize=11,
        )
        ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.86), fontsize=9)
        finish_layout(fig)
    return Still(fig, info={"trials": (a_try, f_try, a_ok)})
