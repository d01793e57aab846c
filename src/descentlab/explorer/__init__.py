"""The explorer: one offline HTML page where a learner races the optimizers on a function.

:func:`explore` builds the page: the HTML, CSS and JavaScript templates shipped with the package
(``descentlab/explorer/templates``) inlined into one file, plus a JSON blob with the catalogue's
1-D and 2-D functions, the grammar's tables (functions, aliases, constants, limits), every
optimizer's defaults and the stop tolerances, all read from the library itself so that they are
written once. The page parses, differentiates and minimizes on its own (a JavaScript port of
descentlab's parser, reverse-mode autodiff, update rules and stop tests), so it needs no server
and makes no network request. Its documented API for tests and power users is
``window.descentlab.run({formula, start, optimizer, hyperparameters, steps})`` (returning
``{xs, fs, status}``, every iterate with the start first) and
``window.descentlab.grad(formula, point)``.

Examples:
    >>> page = explore("rosenbrock")
    >>> page.target, page.html.startswith("<!DOCTYPE html>")
    ('rosenbrock', True)
"""

from __future__ import annotations

import contextlib
import html
import importlib.util
import inspect
import json
import os
import re
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from descentlab.descent import minimize
from descentlab.errors import ConfigError, RenderError
from descentlab.expr.evaluate import CONSTANTS
from descentlab.expr.parser import DEFAULT_MAX_LENGTH, FUNCTION_ALIASES, FUNCTION_NAMES
from descentlab.expr.tree import MAX_DEPTH
from descentlab.objective import as_objective
from descentlab.optimizers import OPTIMIZERS
from descentlab.problems import PROBLEMS, to_json
from descentlab.result import Status, StopRule
from descentlab.stationary import UNBOUNDED_MESSAGE, UNBOUNDED_NAME_LIMIT, refuse_unbounded

__all__ = [
    "DEFAULT_TARGET",
    "EXPLORER_OPTIMIZERS",
    "MAX_BYTES",
    "RACING",
    "SCHEDULE_STARTS",
    "Explorer",
    "explore",
]

DEFAULT_TARGET = "quartic"
"""What the page opens on without a target: the original notebook's quartic."""

EXPLORER_OPTIMIZERS = tuple(
    n for n, f in OPTIMIZERS.items() if f.__module__ == "descentlab.optimizers"
)
"""The update rules the page carries: every first-order rule of the library, those defined in
:mod:`descentlab.optimizers` (Newton and the quasi-Newton methods live in
:mod:`descentlab.secondorder`), each ported to JavaScript and tested against Python."""

RACING = EXPLORER_OPTIMIZERS[:7]
"""The rules that race when the page opens (the others are one click away)."""

SCHEDULE_STARTS: dict[str, dict[str, Any]] = {
    "steplr": {"step_size": 100},
    "multisteplr": {"milestones": [100, 300]},
    "exponentiallr": {"gamma": 0.99},
    "cosineannealinglr": {"T_max": 1000},
    "onecyclelr": {"max_lr": 0.01},
}
"""Where the page starts a schedule's parameters that torch leaves without a default."""

MAX_BYTES = 400_000
"""The page's size limit (it is one file with everything inlined)."""

_TEMPLATES = ("page.html", "style.css", "core.js", "ui.js")


def _defaults(factory: Any, starts: dict[str, Any] | None = None) -> dict[str, Any]:
    """A factory's keyword defaults, every option included (tuples as lists, for JSON); a
    parameter without a default takes its value from ``starts``."""
    out: dict[str, Any] = {}
    for name, param in inspect.signature(factory).parameters.items():
        value = (starts or {})[name] if param.default is inspect.Parameter.empty else param.default
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def _kind(value: Any) -> str:
    """How the page reads a parameter, from its default: flag, pair, ints, int, float, choice."""
    if isinstance(value, bool):
        return "flag"
    if isinstance(value, list):
        return "pair"
    if isinstance(value, str):
        return "choice"
    return "int" if isinstance(value, int) else "float"


def _parameters() -> dict[str, Any]:
    """Defaults, kinds, help texts and choices of every rule's and schedule's parameters."""
    from descentlab.cli import OPTIMIZER_FLAGS, SCHEDULER_FLAGS
    from descentlab.schedules import SCHEDULERS

    optimizers = {name: _defaults(OPTIMIZERS[name]) for name in EXPLORER_OPTIMIZERS}
    schedules = {name: _defaults(f, SCHEDULE_STARTS.get(name)) for name, f in SCHEDULERS.items()}
    kinds = {}
    for group in (optimizers, schedules):
        for name, defaults in group.items():
            kinds[name] = {k: _kind(v) for k, v in defaults.items()}
    kinds["multisteplr"]["milestones"] = "ints"
    kinds["onecyclelr"]["total_steps"] = "int?"  # None: the run's max_iter
    flags = OPTIMIZER_FLAGS + SCHEDULER_FLAGS
    return {
        "optimizers": optimizers,
        "schedules": schedules,
        "kinds": kinds,
        "help": {k: text for k, _, _, text in OPTIMIZER_FLAGS},
        "scheduleHelp": {k: text for k, _, _, text in SCHEDULER_FLAGS},
        "choices": {k: m.split("|") for k, m, kind, _ in flags if kind == "text"},
        "pauses": [n for n in EXPLORER_OPTIMIZERS if OPTIMIZERS[n]().pauses],
        # the rules whose momentum or beta1 a schedule may cycle (onecyclelr)
        "cycles": [
            n
            for n in EXPLORER_OPTIMIZERS
            if getattr(OPTIMIZERS[n]().kernel, "momentum", None) is not None
        ],
    }


def _stop_defaults() -> dict[str, Any]:
    params = inspect.signature(minimize).parameters
    stop = {name: params[name].default for name in ("max_iter", "grad_tol", "f_tol", "x_tol")}
    stop["limit"] = StopRule().limit
    return stop


def config() -> dict[str, Any]:
    """The tables the page's JavaScript reads: grammar, optimizers, stops, catalogue.

    Returns:
        A JSON-ready dict (see the module docstring).
    """
    from descentlab import __version__
    from descentlab.animate.style import OPTIMIZER_COLORS

    problems = [to_json(p) for p in PROBLEMS.values() if p.dim <= 2]
    return {
        "version": __version__,
        "functions": list(FUNCTION_NAMES),
        "aliases": dict(FUNCTION_ALIASES),
        "constants": dict(CONSTANTS),
        "maxDepth": MAX_DEPTH,
        "maxLength": DEFAULT_MAX_LENGTH,
        **_parameters(),
        "racing": list(RACING),
        "stop": _stop_defaults(),
        # Whether Objective.value is the forward pass of the gradient's program (one evaluator).
        "valueIsForwardPass": importlib.util.find_spec("descentlab.engine.program") is not None,
        "colors": [OPTIMIZER_COLORS[name] for name in EXPLORER_OPTIMIZERS],
        # minimize's refusal of a linear formula (stationary.refuse_unbounded), word for word
        "unbounded": {"message": UNBOUNDED_MESSAGE, "nameLimit": UNBOUNDED_NAME_LIMIT},
        "statuses": {int(s): s.label for s in Status},
        "codes": {s.name: int(s) for s in Status},
        "problems": [
            {
                key: p[key]
                for key in ("name", "title", "formula", "dim", "domain", "minima", "starts")
            }
            for p in problems
        ],
    }


def _script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` in it."""
    text = json.dumps(value, ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _template(name: str) -> str:
    return resources.files("descentlab.explorer").joinpath("templates", name).read_text("utf-8")


class Explorer:
    """The explorer page for one target: ``.html``, ``.save(path)``, and inline in Jupyter.

    Attributes:
        target: The catalogue name or formula the page opens on.
        html: The whole page, one self-contained HTML document.
    """

    def __init__(self, target: str, html_text: str) -> None:
        self.target = target
        self.html = html_text

    def save(self, path: str | os.PathLike[str], *, quiet: bool | None = None) -> Path:
        """Write the page to ``path`` atomically (a temporary file in the folder, then renamed).

        Args:
            path: The output file; its folder must exist. Any suffix is accepted (``.html``
                is what a browser expects).
            quiet: Accepted as scenes accept it (the gallery passes it); a page is written at
                once, so there is never a progress bar.

        Returns:
            The path written.

        Raises:
            RenderError: The folder is missing or not writable, or ``path`` is a folder.
        """
        path = Path(path)
        parent = path.parent
        if parent.exists() and not parent.is_dir():
            raise RenderError(
                f"cannot write {str(path)!r}: {str(parent)!r} is a file, not a folder"
            )
        if not parent.is_dir():
            raise RenderError(f"cannot write {str(path)!r}: folder {str(parent)!r} does not exist")
        if path.is_dir():
            raise RenderError(f"cannot write {str(path)!r}: it is a folder")
        try:
            fd, name = tempfile.mkstemp(dir=parent, suffix=".html", prefix=f".{path.stem}.")
        except OSError as exc:
            raise RenderError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
        tmp = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.html)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, OSError):
                raise RenderError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
            raise
        return path

    def _repr_html_(self) -> str:
        """The page in an iframe (``srcdoc``), so it runs inside a notebook with no server."""
        return (
            '<iframe title="descentlab explorer" style="width:100%;height:760px;border:0" '
            f'sandbox="allow-scripts" srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        return f"Explorer(target={self.target!r}, {len(self.html.encode()):,} bytes)"


def explore(target: str | None = None) -> Explorer:
    """Build the explorer page, opened on a catalogue function or a formula.

    Args:
        target: A 1-D or 2-D catalogue name (``"rosenbrock"``) or a formula of one or two
            variables (``"x^2 + 3y^2"``); default the original notebook's quartic.

    Returns:
        An :class:`Explorer`: ``.save("explore.html")`` writes it; in Jupyter it shows inline.

    Raises:
        ParseError: The formula does not parse (the message names the column).
        ConfigError: An unknown catalogue name, a target of more than two variables, or a
            linear formula (unbounded below: see :func:`descentlab.stationary.refuse_unbounded`).

    Examples:
        >>> explore("x^2 + 3y^2").target
        'x^2 + 3y^2'
    """
    if target is None:
        target = DEFAULT_TARGET
    if not isinstance(target, str):
        raise ConfigError(f"the explorer's target must be a name or a formula (got {target!r:.80})")
    objective = as_objective(target)
    if objective.dim > 2:
        raise ConfigError(
            f"the explorer draws functions of one or two variables; {objective.name!r} has "
            f"{objective.dim} ({', '.join(objective.variables)})"
        )
    refuse_unbounded(objective)  # a linear formula: minimize, and so the page, refuses it
    data = config()
    if objective.problem is not None:
        data["initial"] = {"problem": objective.problem.name}
        title = objective.problem.title
    else:
        data["initial"] = {"formula": objective.formula, "variables": list(objective.variables)}
        title = objective.formula or target
    page = _template("page.html")
    parts = {
        "__TITLE__": html.escape(f"descentlab explorer: {title}", quote=True),
        "__STYLE__": _template("style.css"),
        "__CONFIG__": _script_json(data),
        "__CORE__": _template("core.js"),
        "__UI__": _template("ui.js"),
    }
    # One pass, so that text put in (a formula holding "__UI__") is never substituted again.
    page = re.sub("|".join(parts), lambda m: parts[m.group(0)], page)
    return Explorer(target, page)
