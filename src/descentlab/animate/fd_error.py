"""The fd-error still: finite-difference error against the step h, truncation against round-off."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from descentlab.animate.common import math_or_plain
from descentlab.animate.engine import Still
from descentlab.animate.style import COLORS, RC, finish_layout, new_figure, quiet_axes
from descentlab.errors import ConfigError

if TYPE_CHECKING:
    from descentlab.objective import Objective

__all__ = ["fd_error"]


def fd_error(
    target: str | Objective = "sin(x)e^x",
    *,
    at: float = 0.7,
    methods: Sequence[str] = ("forward", "central", "complex", "richardson"),
    size: tuple[int, int] = (760, 520),
) -> Still:
    """Error of finite-difference derivatives against the step h, log-log.

    Each curve is ``|estimate - f'(x)|`` (the exact derivative from the formula). Large h:
    truncation error (slope 1 for forward, 2 for central); small h: round-off, growing like
    ``eps / h``. The complex step has no subtraction, hence no round-off arm. A ring marks the
    step each method takes by default, on its curve. Errors of exactly 0 (the log scale has no
    place for them) are small triangles on the bottom edge, not a line. Central differences and
    the complex step share their truncation error: central is drawn wide, complex dashed on top.
    The legend sits under the axes, off the curves.

    Args:
        target: A formula in one variable (default ``sin(x)e^x``), a catalogue name, or an
            Objective made from a formula.
        at: The point x.
        methods: Which methods to sweep (from ``forward, backward, central, complex,
            richardson``).
        size: (width, height) in pixels.

    Returns:
        The still; ``still.info`` holds the ``sweep`` (steps and errors) and each method's
        default step (``defaults``).

    Raises:
        ConfigError: A formula of more than one variable, a bad point or method.
        ParseError: Formula text that cannot be read.
    """
    import matplotlib
    from matplotlib.transforms import blended_transform_factory

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
    # The grid of steps holds each method's default step, so its ring sits on its curve.
    defaults = {m: abs(float(finite.default_step(m, at))) for m in methods}
    grid = np.unique(np.concatenate((np.logspace(0, -16, 129), list(defaults.values()))))[::-1]
    sweep = finite.error_sweep(f, float(at), exact, hs=grid, methods=methods)
    floor = 1e-17
    eps = np.finfo(float).eps
    colors = {
        "forward": "#d1495b",
        "backward": "#e07a1f",
        "central": "#3b6ea5",
        "complex": "#2e8b57",
        "richardson": "#6a4c93",
    }
    # central differences and the complex step share their truncation error (h^2 f''' / 6):
    # central is drawn wide underneath, complex dashed on top, so both show where they coincide.
    styles: dict[str, dict[str, Any]] = {
        "central": {"lw": 4.0, "alpha": 0.55, "zorder": 2},
        "complex": {"lw": 1.6, "ls": (0, (5, 2)), "zorder": 4},
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
        bottom = blended_transform_factory(ax.transData, ax.transAxes)
        zeros_drawn = False
        for method in methods:
            err = np.asarray(sweep[method], dtype=float)
            zero = err == 0
            shown = np.where(zero, np.nan, np.maximum(err, floor))  # log scale: 0 is not a value
            style = {"lw": 1.8, "zorder": 3} | styles.get(method, {})
            ax.loglog(hs, shown, color=colors[method], label=method, **style)
            if zero.any():  # exact zeros: small marks on the bottom edge, not a line
                ax.plot(
                    hs[zero], np.full(int(zero.sum()), 0.012), "v", color=colors[method],
                    ms=4, transform=bottom, clip_on=False, zorder=5,
                )  # fmt: skip
                zeros_drawn = True
            h0 = defaults[method]
            e0 = float(err[int(np.argmin(np.abs(hs - h0)))])
            if e0 > 0:
                ax.loglog([h0], [max(e0, floor)], "o", mfc="none", mec=colors[method], mew=2,
                          ms=10, zorder=6)  # fmt: skip
            else:
                ax.plot([h0], [0.012], "o", mfc="none", mec=colors[method], mew=2, ms=10,
                        transform=bottom, clip_on=False, zorder=6)  # fmt: skip
        ax.loglog([], [], "o", mfc="none", mec=COLORS["text"], mew=2, label="default step")
        if zeros_drawn:
            ax.plot([], [], "v", color=COLORS["text"], ms=5, label="error exactly 0")
        ax.set_ylim(floor / 2, 10)
        # A factor of 3 beyond the smallest and largest step: a ring at the end of the grid
        # (the complex step's 1e-20) is drawn whole, not halved by the frame.
        ax.set_xlim(hs.max() * 3, hs.min() / 3)  # large steps left: h shrinks to the right
        ax.set_xlabel("step $h$ (shrinking to the right)")
        ax.set_ylabel(r"$|$estimate $- f'(x)|$")
        ax.set_title(
            f"Finite differences of {math_or_plain(f'f({var})', to_latex(tree), str(tree))} "
            f"at ${var} = {at:g}$\n"
            "truncation error falls with h, round-off grows as h shrinks",
            fontsize=11,
        )
        # Outside the axes: inside, it covers a curve wherever it goes.
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=9, ncols=4,
                  frameon=False)  # fmt: skip
        finish_layout(fig)
    return Still(fig, info={"sweep": sweep, "defaults": defaults})
