"""Derivatives by hand: by definition (finite differences), exact (autodiff) and symbolic.

Examples:
    >>> from descentlab.expr import parse
    >>> from descentlab.derivatives import diff, value_and_grad
    >>> str(diff(parse("3x^4 + 4x^3 - 12x^2 + 7"), "x"))
    '12*x^3 + 12*x^2 - 24*x'
    >>> f, G = value_and_grad(parse("x^2 + 3y"), ["x", "y"], [[1.0, 2.0]])
    >>> G.tolist()
    [[2.0, 3.0]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from descentlab._lazy import attach

_HOMES: dict[str, str] = {
    "DERIVATIVES": "descentlab.derivatives.symbolic",
    "METHODS": "descentlab.derivatives.finite",
    "RULES": "descentlab.derivatives.autodiff",
    "check_grad": "descentlab.derivatives.check",
    "default_step": "descentlab.derivatives.finite",
    "derivative": "descentlab.derivatives.finite",
    "diff": "descentlab.derivatives.symbolic",
    "error_sweep": "descentlab.derivatives.finite",
    "grad_function": "descentlab.derivatives.autodiff",
    "gradient": "descentlab.derivatives.finite",
    "gradient_trees": "descentlab.derivatives.symbolic",
    "simplify": "descentlab.derivatives.symbolic",
    "value_and_grad": "descentlab.derivatives.autodiff",
}
"""Each public name -> the module that defines it (imported on first use)."""

__all__ = sorted(_HOMES)

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from descentlab.derivatives.autodiff import RULES as RULES
    from descentlab.derivatives.autodiff import grad_function as grad_function
    from descentlab.derivatives.autodiff import value_and_grad as value_and_grad
    from descentlab.derivatives.check import check_grad as check_grad
    from descentlab.derivatives.finite import METHODS as METHODS
    from descentlab.derivatives.finite import default_step as default_step
    from descentlab.derivatives.finite import derivative as derivative
    from descentlab.derivatives.finite import error_sweep as error_sweep
    from descentlab.derivatives.finite import gradient as gradient
    from descentlab.derivatives.symbolic import DERIVATIVES as DERIVATIVES
    from descentlab.derivatives.symbolic import diff as diff
    from descentlab.derivatives.symbolic import gradient_trees as gradient_trees
    from descentlab.derivatives.symbolic import simplify as simplify

__getattr__, __dir__ = attach(__name__, _HOMES)
