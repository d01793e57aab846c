"""Turn a scene's ``target`` (formula text or an objective) into what one-variable scenes draw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from descentlab.errors import ConfigError

__all__ = ["Curve", "curve"]


@dataclass(frozen=True)
class Curve:
    """A function of one variable with what the pictures print about it.

    Attributes:
        f: Values on a 1-D array of x.
        df: Exact derivative on a 1-D array of x.
        latex: ``f(x)``'s right-hand side in LaTeX (mathtext), or "" if unknown.
        dlatex: ``f'(x)``'s right-hand side in LaTeX, or "" if unknown.
        var: The variable's name.
        objective: The same function batched on (k, 1) arrays, for :func:`minimize`.
    """

    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    latex: str
    dlatex: str
    var: str
    objective: Any


class _FormulaObjective:
    """The (k, 1)-batched objective :func:`~descentlab.descent.minimize` needs, from f and f'."""

    dim = 1

    def __init__(self, f: Callable[[np.ndarray], np.ndarray], df: Callable[..., np.ndarray]):
        self._f, self._df = f, df

    def value(self, X: np.ndarray) -> np.ndarray:
        return self._f(np.asarray(X, dtype=float)[:, 0])

    def grad(self, X: np.ndarray) -> np.ndarray:
        return self._df(np.asarray(X, dtype=float)[:, 0])[:, None]

    def value_and_grad(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.value(X), self.grad(X)


def _from_formula(text: str) -> Curve:
    from descentlab.derivatives.symbolic import diff
    from descentlab.expr import parse, to_function, to_latex, variables

    tree = parse(text)
    names = variables(tree)
    if len(names) > 1:
        raise ConfigError(
            f"this scene needs a function of one variable; {text!r} uses {', '.join(names)}"
        )
    var = names[0] if names else "x"
    dtree = diff(tree, var)
    f_rows = to_function(tree, [var])
    df_rows = to_function(dtree, [var])

    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.broadcast_to(f_rows(x.reshape(-1, 1)), x.reshape(-1).shape).reshape(x.shape)

    def df(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.broadcast_to(df_rows(x.reshape(-1, 1)), x.reshape(-1).shape).reshape(x.shape)

    return Curve(f, df, to_latex(tree), to_latex(dtree), var, _FormulaObjective(f, df))


def curve(target: object) -> Curve:
    """A :class:`Curve` from formula text or from an objective with ``value``/``grad`` on (k, 1).

    Raises:
        ConfigError: A target of another kind, or a function of more than one variable.
        ParseError: Formula text that cannot be read.
    """
    if isinstance(target, str):
        return _from_formula(target)
    if hasattr(target, "value") and hasattr(target, "grad"):
        if getattr(target, "dim", 1) != 1:
            raise ConfigError(f"this scene needs a function of one variable (got dim={target.dim})")
        obj: Any = target

        def f(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=float)
            return np.asarray(obj.value(x.reshape(-1, 1)), dtype=float).reshape(x.shape)

        def df(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=float)
            return np.asarray(obj.grad(x.reshape(-1, 1)), dtype=float).reshape(x.shape)

        variables = getattr(obj, "variables", None) or ("x",)
        return Curve(f, df, getattr(obj, "latex", "") or "", "", variables[0], obj)
    raise ConfigError(f"target must be formula text or an objective (got {type(target).__name__})")
