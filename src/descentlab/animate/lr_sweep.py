"""The lr-sweep still: the final value of gradient descent against the learning rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.common import formula_title, num, one_start, place_clear
from descentlab.animate.engine import Still
from descentlab.animate.style import COLORS, RC, finish_layout, new_figure, quiet_axes
from descentlab.errors import ConfigError
from descentlab.result import scene_stops

if TYPE_CHECKING:
    pass

__all__ = ["lr_sweep"]


def _max_curvature(obj: Any, x: np.ndarray) -> float:
    """Largest eigenvalue of the Hessian at x (central differences of the exact gradient)."""
    n = x.size
    h = 1e-5 * max(1.0, float(np.abs(x).max()))
    P = np.concatenate([x + h * np.eye(n), x - h * np.eye(n)])
    G = np.asarray(obj.grad(P), dtype=float)
    H = (G[:n] - G[n:]) / (2 * h)
    return float(np.linalg.eigvalsh((H + H.T) / 2).max())


def _schedule_words(scheduler: Any) -> str:
    """``, scheduled by steplr(step_size=50, gamma=0.5)`` (empty without a schedule)."""
    return "" if scheduler is None else f", scheduled by {scheduler}"


def lr_sweep(
    target: object = "x^2 + 10y^2",
    *,
    start: Sequence[Sequence[float]] | None = None,
    lrs: Sequence[float] | None = None,
    scheduler: Any = None,
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
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`): every run then
            starts from its rate and follows the schedule (the x-axis is the starting rate).
        max_iter: Iteration limit per run (default 300).
        grad_tol: Gradient tolerance (default 1e-8).
        size: (width, height) in pixels.

    Returns:
        The still; ``still.info["runs"]`` holds one Result per rate of ``info["lrs"]``, and
        ``info["start_label"]`` the "f at the start" label.

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
    x0 = one_start(obj, start)
    rates = np.geomspace(1e-3, 0.3, 48) if lrs is None else np.asarray(lrs, dtype=float)
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates) & (rates > 0)):
        raise ConfigError(f"lrs must be positive numbers (got {lrs!r})")
    settings: dict[str, Any] = scene_stops("lr-sweep", max_iter=max_iter, grad_tol=grad_tol)
    runs = [
        minimize(obj, x0, gd(lr=float(lr)), record=False, scheduler=scheduler, **settings)
        for lr in rates
    ]
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
            label=_shown_if("converged", seen & converged),
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
            label=_shown_if(f"stopped at max_iter = {settings['max_iter']}", maxed),
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
            label=_shown_if("growing: f far above the view", off),
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
            label=_shown_if("diverged (no value)", diverged),
            zorder=5,
        )
        if seen.any():
            low = float(shown[seen].min())
            if positive:
                ax.set_ylim(low / 30, y_top)
            else:
                ax.set_ylim(low - 0.05 * (y_top - low), y_top)
        ax.axhline(f0 if f_star is None else f0 - f_star, color=COLORS["muted"], ls="--", lw=1)
        start_label = ax.text(
            rates[-1], ref, "f at the start ", va="bottom", ha="right", color=COLORS["muted"],
            fontsize=9,
        )  # fmt: skip
        edge = 2.0 / L if np.isfinite(L) and L > 0 else None
        if edge is not None:
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
        ax.set_xlabel(
            "learning rate" if scheduler is None else f"starting learning rate ({scheduler.name})"
        )
        ax.set_ylabel("final $f$" if f_star is None else "final $f - f^*$")
        ax.set_title(
            f"Gradient descent on {formula_title(obj)} from ({', '.join(num(v, 3) for v in x0)})"
            f"\nfinal value against the learning rate{_schedule_words(scheduler)}",
            fontsize=11,
        )
        # outside the axes, right: inside, some corner always held points (lr near 0 starts high)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=9, ncols=2,
                  frameon=False)  # fmt: skip
        finish_layout(fig)
        # "f at the start" on its dashed line, at whichever end no point or the 2/L line crosses
        # (at the right end the 2/L line ran through it).
        marks = [np.column_stack((rates[seen], shown[seen]))]
        y_lo, y_hi = ax.get_ylim()
        y_top = ax.transData.inverted().transform(ax.transAxes.transform((0.0, 0.97)))[1]
        marks.append(
            np.column_stack((rates[off | diverged], np.full((off | diverged).sum(), y_top)))
        )
        if edge is not None:
            ys = np.geomspace(y_lo, y_hi, 400) if positive else np.linspace(y_lo, y_hi, 400)
            marks.append(np.column_stack((np.full(len(ys), edge), ys)))
        place_clear(
            ax, start_label,
            [((x, ref), None, ha, va) for va in ("bottom", "top")
             for x, ha in ((rates[-1], "right"), (rates[0], "left"))],
            np.concatenate(marks),
        )  # fmt: skip
    return Still(fig, info={"runs": runs, "lrs": rates, "start_label": start_label})


def _shown_if(label: str, mask: np.ndarray) -> str:
    """The legend label of a kind of run, or matplotlib's "no legend" for a kind the sweep has
    none of (a legend lists only what the picture shows)."""
    return label if bool(np.any(mask)) else "_" + label
