"""descentlab: gradient descent by hand.

A typed formula (or a Python function, or a catalogue name) becomes an :class:`Objective`; an
optimizer (a pure init/update pair) is driven by the one loop, :func:`minimize`, over many starts
at once; the :class:`Result` (with its trajectory) feeds the scenes in :mod:`descentlab.animate`.

Examples:
    >>> import descentlab as dl
    >>> f = dl.Objective.from_formula("3x^4 + 4x^3 - 12x^2 + 7")
    >>> result = dl.minimize(f, [[3.0], [-3.0]], dl.gd(lr=0.001), grad_tol=1e-12, max_iter=100_000)
    >>> [round(float(x), 6) for x in result.x[:, 0]]
    [1.0, -2.0]

Importing descentlab imports nothing else: each public name is loaded from its module on first
use (PEP 562), so ``import descentlab`` and ``descentlab --help`` stay fast; NumPy loads with the
first name used, numba with the first compiled run, matplotlib when a scene is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from descentlab._lazy import attach

__version__ = "0.1.0"

_HOMES: dict[str, str] = {
    "ConfigError": "descentlab.errors",
    "DescentlabError": "descentlab.errors",
    "DescentlabWarning": "descentlab.errors",
    "EvaluationError": "descentlab.errors",
    "FitResult": "descentlab.training",
    "OPTIMIZERS": "descentlab.optimizers",
    "Objective": "descentlab.objective",
    "Optimizer": "descentlab.optimizers",
    "PROBLEMS": "descentlab.problems",
    "ParseError": "descentlab.errors",
    "Problem": "descentlab.problems",
    "RenderError": "descentlab.errors",
    "Result": "descentlab.result",
    "SCHEDULERS": "descentlab.schedules",
    "Stationary": "descentlab.result",
    "Status": "descentlab.result",
    "Trajectory": "descentlab.result",
    "adadelta": "descentlab.optimizers",
    "adagrad": "descentlab.optimizers",
    "adam": "descentlab.optimizers",
    "adamax": "descentlab.optimizers",
    "adamw": "descentlab.optimizers",
    "as_objective": "descentlab.objective",
    "asgd": "descentlab.optimizers",
    "bfgs": "descentlab.optimizers",
    "check_grad": "descentlab.derivatives",
    "compare": "descentlab.comparison",
    "cosineannealinglr": "descentlab.schedules",
    "diff": "descentlab.derivatives",
    "error_sweep": "descentlab.derivatives",
    "evaluate": "descentlab.expr",
    "explore": "descentlab.explorer",
    "exponentiallr": "descentlab.schedules",
    "fit": "descentlab.training",
    "gd": "descentlab.optimizers",
    "gradient": "descentlab.derivatives",
    "grid_starts": "descentlab.multistart",
    "group_minima": "descentlab.multistart",
    "lbfgs": "descentlab.optimizers",
    "linearlr": "descentlab.schedules",
    "linesearch": "descentlab.optimizers",
    "minimize": "descentlab.descent",
    "momentum": "descentlab.optimizers",
    "multisteplr": "descentlab.schedules",
    "nadam": "descentlab.optimizers",
    "nesterov": "descentlab.optimizers",
    "newton": "descentlab.optimizers",
    "onecyclelr": "descentlab.schedules",
    "parse": "descentlab.expr",
    "radam": "descentlab.optimizers",
    "random_starts": "descentlab.multistart",
    "reducelronplateau": "descentlab.schedules",
    "rmsprop": "descentlab.optimizers",
    "rprop": "descentlab.optimizers",
    "steplr": "descentlab.schedules",
    "to_latex": "descentlab.expr",
}
"""Each public name -> the module that defines it (imported on first use)."""

__all__ = [*sorted(_HOMES), "__version__"]

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from descentlab.comparison import compare as compare
    from descentlab.derivatives import check_grad as check_grad
    from descentlab.derivatives import diff as diff
    from descentlab.derivatives import error_sweep as error_sweep
    from descentlab.derivatives import gradient as gradient
    from descentlab.descent import minimize as minimize
    from descentlab.errors import ConfigError as ConfigError
    from descentlab.errors import DescentlabError as DescentlabError
    from descentlab.errors import DescentlabWarning as DescentlabWarning
    from descentlab.errors import EvaluationError as EvaluationError
    from descentlab.errors import ParseError as ParseError
    from descentlab.errors import RenderError as RenderError
    from descentlab.explorer import explore as explore
    from descentlab.expr import evaluate as evaluate
    from descentlab.expr import parse as parse
    from descentlab.expr import to_latex as to_latex
    from descentlab.multistart import grid_starts as grid_starts
    from descentlab.multistart import group_minima as group_minima
    from descentlab.multistart import random_starts as random_starts
    from descentlab.objective import Objective as Objective
    from descentlab.objective import as_objective as as_objective
    from descentlab.optimizers import OPTIMIZERS as OPTIMIZERS
    from descentlab.optimizers import Optimizer as Optimizer
    from descentlab.optimizers import adadelta as adadelta
    from descentlab.optimizers import adagrad as adagrad
    from descentlab.optimizers import adam as adam
    from descentlab.optimizers import adamax as adamax
    from descentlab.optimizers import adamw as adamw
    from descentlab.optimizers import asgd as asgd
    from descentlab.optimizers import bfgs as bfgs
    from descentlab.optimizers import gd as gd
    from descentlab.optimizers import lbfgs as lbfgs
    from descentlab.optimizers import linesearch as linesearch
    from descentlab.optimizers import momentum as momentum
    from descentlab.optimizers import nadam as nadam
    from descentlab.optimizers import nesterov as nesterov
    from descentlab.optimizers import newton as newton
    from descentlab.optimizers import radam as radam
    from descentlab.optimizers import rmsprop as rmsprop
    from descentlab.optimizers import rprop as rprop
    from descentlab.problems import PROBLEMS as PROBLEMS
    from descentlab.problems import Problem as Problem
    from descentlab.result import Result as Result
    from descentlab.result import Stationary as Stationary
    from descentlab.result import Status as Status
    from descentlab.result import Trajectory as Trajectory
    from descentlab.schedules import SCHEDULERS as SCHEDULERS
    from descentlab.schedules import cosineannealinglr as cosineannealinglr
    from descentlab.schedules import exponentiallr as exponentiallr
    from descentlab.schedules import linearlr as linearlr
    from descentlab.schedules import multisteplr as multisteplr
    from descentlab.schedules import onecyclelr as onecyclelr
    from descentlab.schedules import reducelronplateau as reducelronplateau
    from descentlab.schedules import steplr as steplr
    from descentlab.training import FitResult as FitResult
    from descentlab.training import fit as fit


__getattr__, __dir__ = attach(__name__, _HOMES)
