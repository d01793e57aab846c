"""Turn a scene's ``target`` into what one-variable scenes draw, through :func:`as_objective`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from descentlab.errors import ConfigError
from descentlab.objective import Objective, as_objective

__all__ = ["Curve", "curve"]


@dataclass(frozen=True)
class Curve:
    """A function of one variable with what the pictures print about it.

    Attributes:
        f: Values on an array of x (any shape).
        df: Derivative on an array of x (exact for formulas and catalogue problems).
        latex: ``f(x)``'s right-hand side in LaTeX (mathtext), or "" if unknown.
        dlatex: ``f'(x)``'s right-hand side in LaTeX, or "" without a formula.
        var: The variable's name.
        objective: The :class:`~descentlab.objective.Objective`, for :func:`minimize`.
    """

    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    latex: str
    dlatex: str
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
        return np.asarray(obj.value(x.reshape(-1, 1)), dtype=float).reshape(x.shape)

    def df(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.asarray(obj.grad(x.reshape(-1, 1)), dtype=float).reshape(x.shape)

    dlatex = ""
    if obj.tree is not None:
        from descentlab.derivatives.symbolic import diff
        from descentlab.expr import to_latex

        dlatex = to_latex(diff(obj.tree, var))
    return Curve(f, df, obj.latex or "", dlatex, var, obj)
