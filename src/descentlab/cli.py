"""The ``descentlab`` command line.

One subcommand per verb (``derivative``, ``run``, ``functions``, ``animate``, ``gallery``);
``main(argv=None) -> int`` is the whole interface, so tests call it in process.

Exit status: 0 done, 2 bad input (one line on stderr that says what and where), 1 an internal
error (one line too; set ``DESCENTLAB_DEBUG=1`` for the traceback). ``--json`` prints exactly one
JSON document on stdout and nothing else there.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from descentlab import (
    _threads,  # noqa: F401 - before NumPy: the program's BLAS threads
    checks,
)
from descentlab.derivatives.finite import METHODS as FD_METHODS
from descentlab.errors import ConfigError, DescentlabError, EvaluationError, ParseError
from descentlab.multistart import MAX_STARTS
from descentlab.result import SCENE_STOPS, StopRule

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from descentlab.objective import Objective
    from descentlab.optimizers import Optimizer

PROG = "descentlab"

# Upper limits that keep one command within memory and time on a small machine (issue 6).
MAX_ITER_LIMIT = 10_000_000
MAX_START_NUMBERS = 20_000_000  # starts x variables: each copy of the starts is <= 160 MB
MAX_TRACE_FLOATS = 50_000_000  # --trace keeps every iterate: starts * (iterations + 1) * dim
MAX_FRAMES = 2_000
MAX_SIDE_PX = 4_000
MIN_SIDE_PX = 100
MAX_FPS = 120
MAX_GRID_STARTS = 1_000_000
MAX_DIM = 1_000
_MAX_ROWS = 50  # rows of the run table (--json has them all)
_MAX_NOTES = 5  # "diverged at iteration ..." lines under the table

# argparse takes "-1,2", "-x^2" or "-x" for an option; here anything that starts with one minus and
# is not one of our options (-o, -h) is a value: a negative number or a formula that begins with -.
_VALUE_WITH_MINUS = re.compile(r"^-(?:[\d.(]|.*[\^*/()+, ]|(?![oh]$)[^-])")


class UsageError(DescentlabError):
    """A command line that argparse could not read."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise instead of printing usage and exiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _VALUE_WITH_MINUS

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def library_default(source: str, name: str) -> Any:
    """The default of keyword ``name`` of the library function ``source`` (``"module:function"``).

    The CLI states the library's defaults and never copies them: a default changed in the
    library is the one ``--help`` shows and the one a command uses.
    """
    import importlib

    module, function = source.split(":")
    return (
        inspect.signature(getattr(importlib.import_module(module), function))
        .parameters[name]
        .default
    )


def _shown(value: Any) -> str:
    """A default as the help writes it: ``1,000``, ``1e-08``, ``0.0001,1,13``, ``tanh``."""
    if isinstance(value, bool):
        return "true" if value else "false"  # as the option takes it
    if isinstance(value, tuple):
        return ",".join(_shown(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)


class _LibraryDefault:
    """An option's default as the library function states it, read when a help text is shown.

    ``str()`` imports the function's module then, not when the parser is built, so no command
    pays for the import of another's module at start-up.
    """

    def __init__(self, source: str, name: str) -> None:
        self.source, self.name = source, name

    def __str__(self) -> str:
        return _shown(library_default(self.source, self.name))


class _WithLibraryDefault(argparse.Action):
    """Stores the option's text, and offers ``%(library_default)s`` to its help.

    Args:
        source: The ``"module:function"`` whose keyword ``name`` (default: the option's dest)
            the option sets when given; its default is what the help shows.
    """

    def __init__(
        self, option_strings: list[str], dest: str, *, source: str, name: str | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(option_strings, dest, **kwargs)
        self.library_default = _LibraryDefault(source, name or dest)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
        values: Any, option_string: str | None = None,
    ) -> None:  # fmt: skip
        setattr(namespace, self.dest, values)


# ----------------------------------------------------------------------------------------------
# Reading values


def _number(text: str, what: str) -> float:
    """One number as a person types it: ``2``, ``-1.5e-3``, ``1e5``, ``pi/4``, ``sqrt(2)``.

    The text is read by the formula parser (never executed) and must be a constant expression.
    A plain decimal number (``-1.5e-3``) is read by ``float`` at once, the value the parser
    gives it (the parser reads each literal with ``float``; a leading minus negates it, and
    -0 stays -0), so that typing numbers does not start the compiled evaluator.
    """
    if _PLAIN_NUMBER.fullmatch(text) and math.isfinite(value := float(text)):
        return value
    from descentlab.expr import evaluate, parse, variables

    example = f"{what} must be a finite number such as 2, -1.5e-3 or pi/4 (got {text!r})"
    try:
        tree = parse(text)
    except ParseError as error:
        raise ConfigError(f"{example}: {error.one_line()}") from None
    if variables(tree):
        raise ConfigError(example)
    value = float(evaluate(tree, {}))
    if not math.isfinite(value):
        raise ConfigError(example)
    return value


_PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
"""A decimal literal the formula parser reads as one number, possibly negated."""


def _floats(text: str, what: str) -> list[float]:
    """``"1,-2.5"`` or ``"pi/2,0"`` -> ``[1.0, -2.5]``; anything else is a ConfigError."""
    try:
        return [_number(part, what) for part in text.split(",")]
    except ConfigError:
        raise ConfigError(
            f"{what} must be finite numbers separated by commas, such as 1,-2.5 or pi/2,0 "
            f"(got {text!r})"
        ) from None


def _float(text: str, what: str, *, positive: bool = False, nonneg: bool = False) -> float:
    value = _number(text, what)
    if positive:
        return checks.positive(what, value)
    return checks.non_negative(what, value) if nonneg else value


def _int(text: str, what: str, *, low: int, high: int) -> int:
    """A whole number, also written as ``1e5`` or ``2^20`` when that is exact."""
    try:
        value = int(text)
    except ValueError:
        number = _number(text, what)
        if not number.is_integer():
            raise ConfigError(f"{what} must be a whole number (got {text!r})") from None
        value = int(number)
    return checks.integer(what, value, lo=low, hi=high)


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise ConfigError(f"--size must look like WIDTHxHEIGHT, e.g. 1000x500 (got {text!r})")
    w, h = int(match[1]), int(match[2])
    for side in (w, h):
        if not MIN_SIDE_PX <= side <= MAX_SIDE_PX:
            raise ConfigError(
                f"--size sides must be between {MIN_SIDE_PX} and {MAX_SIDE_PX} pixels "
                f"(got {text!r})"
            )
    return w, h


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",")]
    if not all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n) for n in names):
        raise ConfigError(f"--vars must be variable names separated by commas (got {text!r})")
    return names


def _jsonable(value: Any) -> Any:
    """Floats that JSON cannot carry (nan, inf) become null; arrays become lists."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def _print_json(document: dict[str, Any]) -> None:
    """Print ``document`` as indented JSON, streamed: memory holds one item at a time.

    A value that is an iterator (a generator of run records, say) is written item by item as a
    JSON array, so a run with a million starts or a million-iteration trace never holds the
    whole text, nor every record, at once (at most about :data:`_WRITE_AT_ONCE` characters wait
    to be written). The text is what ``json.dumps(doc, indent=2)`` gives.
    """
    pending: list[str] = []  # texts not yet written, about _WRITE_AT_ONCE characters at most
    size = 0

    def flush() -> None:
        nonlocal size
        if pending:
            sys.stdout.write("".join(pending))
            pending.clear()
            size = 0

    def write(text: str) -> None:
        nonlocal size
        if len(text) >= _WRITE_AT_ONCE:  # a long piece (of a trace) is written as it is
            flush()
            sys.stdout.write(text)
            return
        pending.append(text)
        size += len(text)
        if size >= _WRITE_AT_ONCE:
            flush()

    _write_json(document, write, 0)
    write("\n")
    flush()
    sys.stdout.flush()


_WRITE_AT_ONCE = 1 << 18  # characters (an unbuffered stdout makes each write a system call)


def _write_json(value: Any, write: Callable[[str], Any], level: int) -> None:
    pad = "  " * (level + 1)
    if isinstance(value, _Raw):
        write(value)
    elif isinstance(value, _Parts):
        for piece in value.pieces:
            write(piece)
    elif isinstance(value, dict) and any(isinstance(v, Iterator) for v in value.values()):
        write("{")
        for j, (key, item) in enumerate(value.items()):
            write(("," if j else "") + "\n" + pad + json.dumps(str(key)) + ": ")
            _write_json(item, write, level + 1)
        write("\n" + "  " * level + "}")
    elif isinstance(value, Iterator):
        empty = True
        for item in value:
            head = ("[" if empty else ",") + "\n" + pad
            if isinstance(item, _Raw):  # a run record: one write with its separator
                write(head + item)
            else:
                write(head)
                _write_json(item, write, level + 1)
            empty = False
        write("[]" if empty else "\n" + "  " * level + "]")
    else:
        text = json.dumps(_jsonable(value), indent=2, allow_nan=False)
        write(text.replace("\n", "\n" + "  " * level) if level else text)


def _fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return str(value)
    return f"{value:.10g}"


_VEC_SHOWN = 6  # coordinates a vector shows in text output (its first 3 and last 3 beyond that)


def _fmt_vec(values: Sequence[float] | NDArray[np.float64]) -> str:
    """``(1, 2)``; a long vector by its ends and its length: ``(1, 2, 3, ..., 8, 9, 10) [n=10]``."""
    if len(values) <= _VEC_SHOWN:
        return "(" + ", ".join(_fmt(float(v)) for v in values) + ")"
    half = _VEC_SHOWN // 2
    ends = [_fmt(float(v)) for v in values[:half]] + [_fmt(float(v)) for v in values[-half:]]
    return f"({', '.join(ends[:half])}, ..., {', '.join(ends[half:])}) [n={len(values):,}]"


# ----------------------------------------------------------------------------------------------
# Targets and optimizers shared by run and animate


def _objective(target: str, variables: list[str] | None, dim: int | None) -> Objective:
    from descentlab.objective import as_objective

    return as_objective(target, variables=variables, dim=dim)


def _add_target_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vars", metavar="x,y", help="variable order for a formula")
    p.add_argument(
        "--dim",
        metavar="N",
        help=f"dimension for an n-dimensional catalogue function (<= {MAX_DIM:,})",
    )


# Every hyperparameter flag, torch's keyword dashed: (keyword, metavar, kind, help). kind is
# "float", "pair" (two numbers A,B), "int", "ints", "text", "bool" (true or false) or "flag" (a
# switch that sets True). One table for the parser, run, animate, fit and compare.
OPTIMIZER_FLAGS: tuple[tuple[str, str, str, str], ...] = (
    ("lr", "LR", "float", "learning rate"),
    ("momentum", "M", "float", "momentum (momentum, nesterov, rmsprop)"),
    ("alpha", "A", "float", "smoothing constant (rmsprop); step decay power (asgd)"),
    ("betas", "B1,B2", "pair", "moment decay rates (adam, adamw, nadam, radam, adamax)"),
    ("eps", "E", "float", "term added to the denominator (adaptive rules)"),
    ("weight_decay", "WD", "float", "L2 penalty added to the gradient (decoupled in adamw)"),
    ("dampening", "D", "float", "dampening of the momentum buffer (momentum)"),
    ("nesterov", "", "flag", "Nesterov momentum with --optimizer momentum (= nesterov)"),
    ("amsgrad", "", "flag", "AMSGrad's running maximum (adam, adamw)"),
    ("centered", "", "flag", "divide by the root of the variance (rmsprop)"),
    ("maximize", "", "flag", "climb instead of descend (first-order rules)"),
    ("lr_decay", "D", "float", "learning-rate decay (adagrad)"),
    ("initial_accumulator_value", "S0", "float", "where the sum starts (adagrad)"),
    ("momentum_decay", "PSI", "float", "momentum schedule (nadam)"),
    ("decoupled_weight_decay", "", "flag", "decay as adamw does (nadam, radam)"),
    ("rho", "RHO", "float", "decay of the running averages (adadelta)"),
    ("etas", "MINUS,PLUS", "pair", "step-size factors (rprop)"),
    ("step_sizes", "MIN,MAX", "pair", "smallest and largest step sizes (rprop)"),
    ("lambd", "L", "float", "decay term (asgd)"),
    ("t0", "T0", "float", "step at which averaging starts (asgd)"),
    ("damping", "DELTA", "float", "floor on |Hessian eigenvalues|: damped Newton (newton)"),
    ("history_size", "M", "int", "curvature pairs kept (lbfgs)"),
)

# Scheduler parameters, torch's names dashed (ReduceLROnPlateau's eps is not offered: --eps is
# the optimizer's).
SCHEDULER_FLAGS: tuple[tuple[str, str, str, str], ...] = (
    ("step_size", "N", "int", "iterations between decays (steplr)"),
    ("gamma", "G", "float", "decay factor (steplr, multisteplr, exponentiallr)"),
    ("milestones", "N,N,...", "ints", "iterations to decay at (multisteplr)"),
    ("T_max", "N", "int", "half period (cosineannealinglr)"),
    ("eta_min", "LR", "float", "smallest lr (cosineannealinglr)"),
    ("start_factor", "F", "float", "factor of the first lr (linearlr)"),
    ("end_factor", "F", "float", "factor at the end (linearlr)"),
    ("total_iters", "N", "int", "length of the ramp (linearlr)"),
    ("max_lr", "LR", "float", "peak lr (onecyclelr)"),
    ("total_steps", "N", "int", "cycle length, default: the whole run (onecyclelr)"),
    ("pct_start", "P", "float", "warm-up fraction (onecyclelr)"),
    ("anneal_strategy", "cos|linear", "text", "annealing shape (onecyclelr)"),
    ("cycle_momentum", "true|false", "bool", "cycle momentum or beta1 (onecyclelr; default %s)"),
    ("base_momentum", "M", "float", "lowest cycled momentum (onecyclelr; default %s)"),
    ("max_momentum", "M", "float", "highest cycled momentum (onecyclelr; default %s)"),
    ("div_factor", "D", "float", "initial lr = max_lr / D (onecyclelr)"),
    ("final_div_factor", "D", "float", "min lr = initial lr / D (onecyclelr)"),
    ("three_phase", "", "flag", "three-phase cycle (onecyclelr)"),
    ("mode", "min|max", "text", "improvement means lower or higher (reducelronplateau)"),
    ("factor", "F", "float", "lr cut (reducelronplateau)"),
    ("patience", "N", "int", "bad iterations tolerated (reducelronplateau)"),
    ("threshold", "T", "float", "what counts as better (reducelronplateau)"),
    ("threshold_mode", "rel|abs", "text", "relative or absolute threshold (reducelronplateau)"),
    ("cooldown", "N", "int", "iterations to wait after a cut (reducelronplateau)"),
    ("min_lr", "LR", "float", "lr floor (reducelronplateau)"),
)


def _flag(keyword: str) -> str:
    return "--" + keyword.lower().replace("_", "-")


def _add_flags(
    p: argparse.ArgumentParser, table: tuple[tuple[str, str, str, str], ...],
    source: str | None = None,
) -> None:  # fmt: skip
    """One option per table row; a help with ``%s`` shows the default of ``source``'s keyword."""
    for keyword, metavar, kind, text in table:
        if kind == "flag":
            p.add_argument(
                _flag(keyword), dest=keyword, action="store_true", default=None, help=text
            )
        elif "%s" in text and source is not None:
            p.add_argument(
                _flag(keyword), dest=keyword, metavar=metavar, action=_WithLibraryDefault,
                source=source, help=text.replace("%s", "%(library_default)s"),
            )  # fmt: skip
        else:
            p.add_argument(_flag(keyword), dest=keyword, metavar=metavar, help=text)


def _add_optimizer_options(p: argparse.ArgumentParser, *, default: str | None = "gd") -> None:
    from descentlab.optimizers import OPTIMIZERS

    p.add_argument(
        "--optimizer", default=default, metavar="NAME", help=f"one of: {', '.join(OPTIMIZERS)}"
    )
    _add_flags(p, OPTIMIZER_FLAGS)


def _add_scheduler_options(p: argparse.ArgumentParser) -> None:
    from descentlab.schedules import SCHEDULERS

    p.add_argument(
        "--scheduler", metavar="NAME", help=f"learning-rate schedule: {', '.join(SCHEDULERS)}"
    )
    _add_flags(p, SCHEDULER_FLAGS, "descentlab.schedules:onecyclelr")  # the only defaults shown


def _parse_flags(
    args: argparse.Namespace, table: tuple[tuple[str, str, str, str], ...]
) -> dict[str, Any]:
    """The flags of ``table`` given on the command line, parsed (torch's keyword -> value)."""
    given: dict[str, Any] = {}
    for keyword, _, kind, _ in table:
        text = getattr(args, keyword, None)
        if text is None:
            continue
        flag = _flag(keyword)
        if kind == "flag":
            given[keyword] = True
        elif kind == "float":
            given[keyword] = _float(text, flag)
        elif kind == "int":
            given[keyword] = _int(text, flag, low=-(2**62), high=2**62)
        elif kind == "ints":
            given[keyword] = [_int(v, flag, low=-(2**62), high=2**62) for v in text.split(",")]
        elif kind == "bool":
            if text.lower() not in ("true", "false"):
                raise ConfigError(f"{flag} takes true or false (got {text!r})")
            given[keyword] = text.lower() == "true"
        elif kind == "pair":
            pair = _floats(text, flag)
            if len(pair) != 2:
                raise ConfigError(f"{flag} takes two numbers {_metavar(keyword)} (got {text!r})")
            given[keyword] = tuple(pair)
        else:
            given[keyword] = text
    return given


def _metavar(keyword: str) -> str:
    return next(m for k, m, _, _ in OPTIMIZER_FLAGS + SCHEDULER_FLAGS if k == keyword)


def _scheduler(args: argparse.Namespace) -> Any:
    """The scheduler named by ``--scheduler`` (None without it); its flags warn when unused."""
    from descentlab.schedules import SCHEDULERS

    given = _parse_flags(args, SCHEDULER_FLAGS)
    name = getattr(args, "scheduler", None)
    if name is None:
        if given:
            raise ConfigError(f"{_flag(next(iter(given)))} needs --scheduler NAME")
        return None
    if name not in SCHEDULERS:
        raise ConfigError(f"unknown scheduler {name!r}; choose one of: {', '.join(SCHEDULERS)}")
    factory = SCHEDULERS[name]
    accepted = inspect.signature(factory).parameters
    unused = [k for k in given if k not in accepted]
    if unused:
        raise ConfigError(f"{_flag(unused[0])} does not apply to --scheduler {name}")
    missing = [
        k for k, v in accepted.items() if v.default is inspect.Parameter.empty and k not in given
    ]
    if missing:
        raise ConfigError(f"--scheduler {name} needs {_flag(missing[0])}")
    return factory(**given)


def _scheduler_json(scheduler: Any) -> dict[str, Any] | None:
    """The JSON record of a scheduler: its name and settings (None without one)."""
    return None if scheduler is None else {"name": scheduler.name, **scheduler.parameters}


def _settings_text(optimizer: Any, scheduler: Any) -> str:
    """``adam(lr=0.1, ...)`` or ``adam(lr=0.1, ...), steplr(step_size=5, gamma=0.1)``."""
    hyper = ", ".join(f"{k}={v}" for k, v in optimizer.hyperparameters.items())
    return f"{optimizer.name}({hyper})" + ("" if scheduler is None else f", {scheduler}")


def _scene_stops_text() -> str:
    """``animate --help``'s table of each scene's stop settings and why (from SCENE_STOPS)."""

    def shown(rule: StopRule) -> str:
        return (f"max-iter {rule.max_iter:,}, grad-tol {rule.grad_tol:g}, f-tol {rule.f_tol:g}, "
                f"x-tol {rule.x_tol:g}")  # fmt: skip

    lines = ["stop settings when --max-iter/--grad-tol/--f-tol/--x-tol are not given:"]
    for scene, (rule, why) in SCENE_STOPS.items():
        lines += [f"  {scene}: {shown(rule)}", f"  ({why})"]
    lines.append(f"  (descentlab run: {shown(StopRule())})")
    return "\n".join(lines)


def _add_stop_options(p: argparse.ArgumentParser, *, defaults: bool = True) -> None:
    """--max-iter, --grad-tol, --f-tol, --x-tol; with ``defaults``, the help shows minimize's
    (:class:`~descentlab.result.StopRule`'s), else says that each scene has its own."""
    rule = StopRule()
    if defaults:
        say = {k: f"; default {v:,}" if k == "max_iter" else f"; default {v:g}"
               for k, v in vars(rule).items()}  # fmt: skip
    else:
        say = dict.fromkeys(vars(rule), "; default: the scene's own, listed below")
    p.add_argument(
        "--max-iter", metavar="N", help=f"iteration limit (<= {MAX_ITER_LIMIT:,}{say['max_iter']})"
    )
    p.add_argument(
        "--grad-tol", metavar="T", help=f"stop when |grad f| < T (0: off{say['grad_tol']})"
    )
    p.add_argument(
        "--f-tol", metavar="T", help=f"stop when |f_k - f_(k-1)| < T (0: off{say['f_tol']})"
    )
    p.add_argument(
        "--x-tol", metavar="T", help=f"stop when |x_k - x_(k-1)| < T (0: off{say['x_tol']})"
    )


def _add_bounds_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--bounds",
        metavar="domain|LO,HI",
        help="keep every iterate in a box: the target's domain, or LO <= x_i <= HI for all i",
    )


def _bounds(text: str | None, objective: Any) -> Any:
    """The ``bounds=`` of minimize for ``--bounds`` (None when not given)."""
    if text == "domain" and objective.domain is None:
        raise ConfigError(f"--bounds domain: {objective.name} has no domain; give LO,HI")
    if text is None or text == "domain":
        return text
    box = _floats(text, "--bounds")
    if len(box) != 2:
        raise ConfigError(f"--bounds takes 'domain' or two numbers LO,HI (got {text!r})")
    return (box[0], box[1])


def _optimizer(args: argparse.Namespace, *, warn: Callable[[str], None]) -> Optimizer:
    """Build the optimizer named on the command line from its hyperparameter options."""
    from descentlab.optimizers import OPTIMIZERS

    name = args.optimizer
    if name not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")
    given = _parse_flags(args, OPTIMIZER_FLAGS)
    if given.pop("nesterov", False):
        if name not in ("momentum", "nesterov"):
            raise ConfigError(f"--nesterov applies to --optimizer momentum (got {name})")
        name = "nesterov"
    factory = OPTIMIZERS[name]
    accepted = inspect.signature(factory).parameters
    kwargs = {}
    for key, value in given.items():
        if key in accepted:
            kwargs[key] = value
        else:
            warn(f"{_flag(key)} has no effect with --optimizer {name}")
    return factory(**kwargs)


def _stop_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if args.max_iter is not None:
        kwargs["max_iter"] = _int(args.max_iter, "--max-iter", low=0, high=MAX_ITER_LIMIT)
    for opt in ("grad_tol", "f_tol", "x_tol"):
        text = getattr(args, opt)
        if text is not None:
            kwargs[opt] = _float(text, "--" + opt.replace("_", "-"), nonneg=True)
    return kwargs


def _starts(args: argparse.Namespace, objective: Objective) -> NDArray[np.float64]:
    """The (k, n) array of starts: --start values, --random-starts, or the catalogue's."""
    import numpy as np

    # Starts stay NumPy arrays: a million random starts as Python lists took gigabytes.
    blocks: list[Any] = []
    for text in args.start or []:
        point = _floats(text, "--start")
        if len(point) != objective.dim:
            raise ConfigError(
                f"--start {text!r} has {len(point)} coordinate(s); "
                f"{objective.name} takes {objective.dim} ({', '.join(objective.variables)})"
            )
        blocks.append(np.asarray([point], dtype=float))
    if args.random_starts is not None:
        from descentlab.multistart import random_starts

        k = _int(args.random_starts, "--random-starts", low=1, high=MAX_STARTS)
        if k * objective.dim > MAX_START_NUMBERS:
            raise ConfigError(
                f"--random-starts {k:,} in {objective.dim} variables is {k * objective.dim:,} "
                f"numbers; the limit is {MAX_START_NUMBERS:,} (starts x variables)"
            )
        seed = _int(args.seed, "--seed", low=0, high=2**63 - 1) if args.seed is not None else 0
        domain = _domain(args, objective)
        blocks.append(random_starts(domain, k, seed=seed))
    elif args.seed is not None:
        raise ConfigError("--seed goes with --random-starts")
    if not blocks:
        problem = getattr(objective, "problem", None)
        if problem is not None and problem.starts:
            blocks = [np.asarray(problem.starts, dtype=float)]
        else:
            raise ConfigError("give a start point with --start X[,Y...] or use --random-starts K")
    k = sum(b.shape[0] for b in blocks)
    if k > MAX_STARTS:
        raise ConfigError(f"at most {MAX_STARTS:,} starts in one run (got {k:,})")
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def _domain(args: argparse.Namespace, objective: Objective) -> list[tuple[float, float]]:
    if getattr(args, "domain", None) is not None:
        lo_hi = _floats(args.domain, "--domain")
        if len(lo_hi) != 2 or not lo_hi[0] < lo_hi[1]:
            raise ConfigError(f"--domain must be LO,HI with LO < HI (got {args.domain!r})")
        return [(lo_hi[0], lo_hi[1])] * objective.dim
    from descentlab.multistart import start_domain

    return start_domain(objective)


# ----------------------------------------------------------------------------------------------
# derivative


def _cmd_derivative(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    import numpy as np

    from descentlab.derivatives import finite, symbolic
    from descentlab.derivatives.autodiff import value_and_grad
    from descentlab.expr import parse_with_variables, to_latex

    order = _names(args.vars) if args.vars is not None else None
    tree, variables = parse_with_variables(args.formula, order)
    point = _floats(args.at, "--at")
    if len(point) != len(variables):
        names = ", ".join(variables) if variables else "none: the formula is a constant"
        raise ConfigError(
            f"--at {args.at!r} has {len(point)} coordinate(s); the formula's variables are {names}"
        )
    if not variables:
        raise ConfigError("the formula has no variables: there is nothing to differentiate")
    if args.method is not None and args.method not in ("exact", *FD_METHODS):
        raise ConfigError(
            f"unknown --method {args.method!r}; choose one of: exact, {', '.join(FD_METHODS)}"
        )
    h = _float(args.h, "--h", positive=True) if args.h is not None else None
    if h is not None and args.method == "exact":
        raise ConfigError("--h applies to finite differences, not to --method exact")

    X = np.asarray([point], dtype=float)
    values, grads = value_and_grad(tree, variables, X)
    value, grad = float(values[0]), grads[0]
    where = ", ".join(f"{v}={_fmt(p)}" for v, p in zip(variables, point, strict=True))
    if not math.isfinite(value):
        raise ConfigError(
            f"{_short(args.formula)} is not defined at {where} (its value is {value})"
        )
    if not np.all(np.isfinite(grad)):
        raise ConfigError(f"{_short(args.formula)} has no finite derivative at {where}")
    partials = symbolic.gradient_trees(tree, variables)

    def f(Z: NDArray[np.float64]) -> NDArray[np.float64]:
        from descentlab.expr import evaluate

        return evaluate(tree, {v: Z[:, i] for i, v in enumerate(variables)})

    methods: tuple[str, ...]
    if args.method in (None, "exact"):
        methods = FD_METHODS if args.method is None else ()
    else:
        methods = (args.method,)
    kink = _kink(tree, variables, X)
    estimates: dict[str, dict[str, Any]] = {}
    for method in methods:
        steps = (
            np.full(len(variables), h)
            if h is not None
            else np.array([finite.default_step(method, p) for p in point], dtype=float)
        )
        reason = None
        if method == "complex" and kink is not None:
            reason = f"f is not analytic here ({kink})"
        else:
            try:
                if method == "richardson" and h is None:  # it may shrink its step: show it
                    estimate, taken = finite.richardson(f, X)
                    estimate, steps = estimate[0], taken[0]
                else:
                    estimate = finite.gradient(f, X, method=method, h=h)[0]
            except EvaluationError as exc:
                if args.method is not None:
                    raise
                reason = str(exc).split(";")[0]
        if reason is None and not np.all(np.isfinite(estimate)):
            reason = "no reliable estimate: the steps meet a singularity or f is not smooth here"
        if reason is not None and args.method is not None:
            raise ConfigError(f"method {method!r} does not apply: {reason}")
        estimates[method] = {
            "h": np.abs(steps),
            "applicable": reason is None,
            "reason": reason,
            "gradient": None if reason else estimate,
            "error": None if reason else float(np.max(np.abs(estimate - grad))),
        }

    if args.json:
        _print_json(
            {
                "formula": str(tree),
                "variables": list(variables),
                "point": point,
                "value": value,
                "gradient": grad,
                "derivatives": [str(p) for p in partials],
                "latex": to_latex(tree),
                "finite_differences": estimates,
            }
        )
        return 0
    out(f"f({', '.join(variables)}) = {tree}")
    out(f"at {where}")
    out(f"  f = {_fmt(value)}")
    for var, d, g in zip(variables, partials, grad, strict=True):
        out(f"  d/d{var} = {d}  =  {_fmt(float(g))}")
    out(f"  exact gradient (reverse-mode autodiff) = {_fmt_vec(grad)}")
    if estimates:
        out("finite differences (by the definition):")
        width = max(len(m) for m in estimates)
        for method, e in estimates.items():
            if not e["applicable"]:
                out(f"  {method:<{width}}  not applicable: {e['reason']}")
                continue
            out(
                f"  {method:<{width}}  h = {_fmt_vec(e['h'])}  gradient = {_fmt_vec(e['gradient'])}"
                f"  error = {e['error']:.1e}"
            )
    return 0


def _kink(tree: Any, variables: Sequence[str], X: Any) -> str | None:
    """Why f is not analytic at the point for the complex step (an abs at its kink), or None."""
    from descentlab.expr import evaluate
    from descentlab.expr.tree import Call, walk

    abs_nodes = [n for n in walk(tree) if isinstance(n, Call) and n.func == "abs"]
    for node in abs_nodes:
        with _quiet_numpy():
            at = evaluate(node.arg, {v: X[:, i] for i, v in enumerate(variables)})
        if float(at.reshape(-1)[0]) == 0:
            return f"{_short(str(node), 40)} has its kink at the point"
    if abs_nodes and not _abs_takes_the_complex_step():
        return "abs is evaluated as |z| for complex input"
    return None


def _abs_takes_the_complex_step() -> bool:
    """Whether the evaluator extends abs to complex input by the sign of the real part.

    Then abs is analytic away from its kink and the complex step applies; an evaluator that
    returns |z| drops the imaginary part (``abs(x - 1) + x^2`` at 0.3 gave 0.6, not -0.4).
    """
    import numpy as np

    from descentlab.expr import evaluate, parse

    z = evaluate(parse("abs(x)"), {"x": np.array([-2.0 + 1e-20j])})
    return bool(np.iscomplexobj(z) and z.imag[0] == -1e-20)


# ----------------------------------------------------------------------------------------------
# run


def _cmd_run(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    import numpy as np

    from descentlab.descent import minimize
    from descentlab.multistart import match_known, summarize
    from descentlab.result import Status

    order = _names(args.vars) if args.vars is not None else None
    dim = _int(args.dim, "--dim", low=1, high=MAX_DIM) if args.dim is not None else None
    objective = _objective(args.target, order, dim)
    optimizer = _optimizer(args, warn=lambda m: print(f"{PROG}: warning: {m}", file=sys.stderr))
    stop = _stop_kwargs(args)
    X0 = _starts(args, objective)
    objective.check_finite_at(X0)
    if args.trace:
        iters = stop.get("max_iter", StopRule.max_iter)
        floats = X0.shape[0] * (iters + 1) * (X0.shape[1] + 1)
        if floats > MAX_TRACE_FLOATS:
            raise ConfigError(
                f"--trace would keep up to {floats:,} numbers (starts x iterations); "
                f"the limit is {MAX_TRACE_FLOATS:,}: lower --max-iter or the number of starts"
            )
    bounds = _bounds(args.bounds, objective)
    scheduler = _scheduler(args)
    result = minimize(
        objective,
        X0,
        optimizer,
        record=bool(args.trace),
        bounds=bounds,
        scheduler=scheduler,
        **stop,
    )
    summary = summarize(result)
    found = summary.minima

    # The text table shows the first rows and the first diverged ones; --json shows them all.
    # Rows are built only where shown: a million starts must not cost a million sentences.
    diverged_rows = np.flatnonzero(result.status == Status.DIVERGED)
    found = match_known(found, getattr(objective, "problem", None))
    if args.json:  # streamed: each run's record is built while it is written
        records = _run_records(result, X0, trace=bool(args.trace), level=2)
        _print_json(
            {
                "objective": {
                    "name": objective.name,
                    "formula": objective.formula,
                    "variables": list(objective.variables),
                    "dim": objective.dim,
                },
                "optimizer": {"name": optimizer.name, **dict(optimizer.hyperparameters)},
                "scheduler": _scheduler_json(scheduler),
                "runs": records,
                "minima_found": (
                    {"x": m.x, "f": float(m.f), "count": int(m.count), "kind": m.kind}
                    for m in found
                ),
            }
        )
        return 0
    shown = sorted(set(range(min(result.k, _MAX_ROWS))) | set(diverged_rows[:_MAX_NOTES]))
    runs = {i: _run_record(result, X0, i, trace=bool(args.trace)) for i in shown}

    out(f"{objective.name}: {_settings_text(optimizer, scheduler)}")
    _print_run_table([runs[i] for i in range(min(result.k, _MAX_ROWS))], result.k, out)
    for i in diverged_rows[:_MAX_NOTES]:
        out(f"start {_fmt_vec(runs[i]['start'])} {runs[i]['message']}")
    if len(diverged_rows) > _MAX_NOTES:
        out(f"... and {len(diverged_rows) - _MAX_NOTES:,} more diverged runs")
    if found:
        out("minima found:")
        for m in found[:_MAX_ROWS]:
            kind = f"  ({m.kind} minimum)" if m.kind else ""
            out(f"  x = {_fmt_vec(m.x)}  f = {_fmt(m.f)}  from {m.count} start(s){kind}")
        if len(found) > _MAX_ROWS:
            rest = sum(m.count for m in found[_MAX_ROWS:])
            out(
                f"... and {len(found) - _MAX_ROWS:,} more minima, found from {rest:,} start(s) "
                "(use --json for all of them)"
            )
    others = _not_minima(summary)
    if others:
        out(f"converged but not minima: {others}")
    return 0


def _not_minima(summary: Any) -> str:
    """``"2 saddle points, 1 maximum"``: the converged rows that did not end at a minimum."""
    counts = [
        (summary.saddles, "saddle point", "saddle points"),
        (summary.maxima, "maximum", "maxima"),
        (summary.degenerate, "degenerate point", "degenerate points"),
    ]
    return ", ".join(f"{c:,} {one if c == 1 else many}" for c, one, many in counts if c)


def _run_columns(result: Any, X0: Any, rows: range, *, trace: bool) -> dict[str, Any]:
    """The JSON records of ``rows`` of a run, column by column (one list or array per field:
    ``start`` and ``x`` are (rows, n) float arrays, ``f`` and ``grad_norm`` (rows,) ones).

    The one definition of a run's record: :func:`_run_record` takes one row of it, and
    :func:`_run_records` encodes whole columns at once for ``run --json``.
    """
    from descentlab.result import Stationary, Status

    s = slice(rows.start, rows.stop)
    status = {int(v): v.label for v in Status}
    kinds = {int(v): v.label for v in Stationary}
    columns: dict[str, list[Any]] = {
        "start": X0[s],
        "x": result.x[s],
        "f": result.fun[s],
        "grad_norm": result.grad_norm[s],
        "iterations": result.nit[s].tolist(),
        "status": [status[v] for v in result.status[s].tolist()],
        "stationary": (
            [None] * len(rows)
            if result.stationary is None
            else [kinds[v] for v in result.stationary[s].tolist()]
        ),
        "message": result.messages(rows),
        "diverged_at": [v if v >= 0 else None for v in result.diverged_at[s].tolist()],
        "in_domain": [None] * len(rows)
        if result.in_domain is None
        else result.in_domain[s].tolist(),
    }
    if trace:
        traj = result.trajectory
        keeps = [traj.its <= n for n in result.nit[s].tolist()]
        columns["path"] = [traj.xs[keep, i, :] for keep, i in zip(keeps, rows, strict=True)]
        columns["values"] = [traj.fs[keep, i] for keep, i in zip(keeps, rows, strict=True)]
    return columns


def _run_record(result: Any, X0: Any, i: int, *, trace: bool) -> dict[str, Any]:
    """The JSON record of row ``i`` of a run."""
    columns = _run_columns(result, X0, range(i, i + 1), trace=trace)
    return {name: _python(values[0]) for name, values in columns.items()}


def _python(value: Any) -> Any:
    """A NumPy row or number as the Python list or number it holds; anything else as it is."""
    return value.tolist() if hasattr(value, "tolist") else value


_ROWS_AT_ONCE = 4096  # run records encoded together by run --json (memory: a few MB of text)
_FLOATS_AT_ONCE = 1_000_000  # trace numbers formatted at once by run --json --trace (~60 MB)


class _Raw(str):
    """JSON text already encoded for its place in the document (written as it is)."""


class _Parts:
    """JSON text for its place in the document, written piece by piece (a record with a trace:
    its path can hold tens of millions of numbers, never all formatted at once)."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self.pieces = pieces


def _run_records(result: Any, X0: Any, *, trace: bool, level: int) -> Iterator[_Raw | _Parts]:
    """``run --json``'s records as the text ``json.dumps(record, indent=2)`` gives at ``level``.

    Column by column: the floats of a column are formatted together (``repr``, the JSON
    encoder's own float text; nan and inf as null), then each record is joined from its
    fields. Blocks of :data:`_ROWS_AT_ONCE` rows keep memory bounded; with ``trace`` a block
    also holds at most :data:`_FLOATS_AT_ONCE` numbers of paths and values (or one row), and a
    record is :class:`_Parts` whose path and values are formatted that many numbers at a time.
    """
    import numpy as np

    pad = "\n" + "  " * (level + 1)
    close = "\n" + "  " * level + "}"
    lo = 0
    while lo < result.k:
        hi = min(lo + _ROWS_AT_ONCE, result.k)
        if trace:  # rows whose paths and values fit the budget together (at least one)
            floats = np.cumsum((result.nit[lo:hi] + 1) * (result.x.shape[1] + 1))
            hi = lo + max(1, int(np.searchsorted(floats, _FLOATS_AT_ONCE, side="right")))
        rows = range(lo, hi)
        columns = _run_columns(result, X0, rows, trace=False)
        forms, texts = zip(*(_text_columns(v, level + 1) for v in columns.values()), strict=True)
        head = "{" + ",".join(
            _percent(f"{pad}{json.dumps(name)}: ") + form
            for name, form in zip(columns, forms, strict=True)
        )
        fields = zip(*(t for column in texts for t in column), strict=True)
        if not trace:
            record = head + _percent(close)
            yield from (_Raw(record % f) for f in fields)
            lo = hi
            continue
        for i, f in zip(rows, fields, strict=True):
            traj = result.trajectory
            keep = traj.its <= result.nit[i]
            yield _Parts(
                _trace_pieces(
                    head % f, pad, close, traj.xs[keep, i, :], traj.fs[keep, i], level + 1
                )
            )
        lo = hi


def _trace_pieces(
    head: str, pad: str, close: str, path: NDArray[np.float64], values: NDArray[np.float64],
    level: int,
) -> Iterator[str]:  # fmt: skip
    """A record's text with its ``path`` and ``values`` fields, a block of numbers at a time."""
    yield head
    for name, array in (("path", path), ("values", values)):
        yield f",{pad}{json.dumps(name)}: "
        yield from _nest_pieces(array, level)
    yield close


def _nest_pieces(array: NDArray[np.float64], level: int) -> Iterator[str]:
    """:func:`_nest`'s text of ``array``, in pieces of at most :data:`_FLOATS_AT_ONCE` numbers."""
    if array.shape[0] == 0:
        yield "[]"
        return
    inner = "\n" + "  " * (level + 1)
    size = math.prod(array.shape[1:])
    step = max(1, _FLOATS_AT_ONCE // max(size, 1))
    yield "[" + inner
    for start in range(0, array.shape[0], step):
        part = array[start : start + step]
        flat = _float_texts(part.ravel())
        items = [_nest(flat, j * size, part.shape[1:], level + 1) for j in range(part.shape[0])]
        yield ("," + inner if start else "") + ("," + inner).join(items)
    yield "\n" + "  " * level + "]"


def _percent(text: str) -> str:
    """``text`` as a literal part of a ``%``-format."""
    return text.replace("%", "%%")


def _text_columns(values: Any, level: int) -> tuple[str, list[list[str]]]:
    """A column's JSON texts as a ``%``-format for one row's value and the texts it takes.

    A column of float vectors of one length (``start``, ``x``) gives :func:`_vector_columns`
    (one slot per coordinate), so that a record is one ``%`` of all its texts; any other column
    gives ``"%s"`` and :func:`_json_texts`.
    """
    return _vector_columns(values, level) or ("%s", [_json_texts(values, level)])


def _vector_columns(values: Any, level: int) -> tuple[str, list[list[str]]] | None:
    """A (rows, n) float array (``start``, ``x``: a vector per row) as the indented JSON list with
    ``n`` ``%s`` slots and the texts of each coordinate (one list per slot); None for any other
    column."""
    import numpy as np

    if not isinstance(values, np.ndarray) or values.ndim != 2 or values.dtype.kind != "f":
        return None
    n = values.shape[1]
    if n == 0:
        return None
    flat = _float_texts(values.ravel())
    inner = _percent("\n" + "  " * (level + 1))
    form = "[" + inner + ("," + inner).join(["%s"] * n) + _percent("\n" + "  " * level) + "]"
    return form, [flat[j::n] for j in range(n)]


def _json_texts(values: Any, level: int) -> list[str]:
    """Each value's ``json.dumps(value, indent=2)`` text, indented for ``level``.

    Values are None, bools, ints, floats, strings, lists of floats or float arrays (or the
    column is one float array: a number or a vector per row); the floats of the whole column
    are formatted at once.
    """
    import numpy as np

    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind == "f":
        return _float_texts(values)
    kinds = set(map(type, values))
    if kinds == {float}:
        return _float_texts(np.asarray(values, dtype=float))
    if kinds == {type(None)}:
        return ["null"] * len(values)
    if kinds == {int}:
        return list(map(str, values))  # json.dumps's text of an int (not of a bool)
    if kinds == {str}:
        return list(map(_encode_str, values))
    if all(isinstance(v, list | np.ndarray) for v in values):
        arrays = [np.asarray(v, dtype=float) for v in values]
        flat = _float_texts(np.concatenate([a.ravel() for a in arrays]))
        out, at = [], 0
        for a in arrays:
            out.append(_nest(flat, at, a.shape, level))
            at += a.size
        return out
    known: dict[Any, str] = {}  # labels repeat: each text made once
    keys = [(type(v), v) for v in values]  # True and 1 are equal keys, not equal texts
    return [known[k] if k in known else known.setdefault(k, _scalar_text(k[1])) for k in keys]


_encode_str = json.encoder.encode_basestring_ascii  # json.dumps's own string text (ensure_ascii)


def _scalar_text(value: Any) -> str:
    """JSON text of None, a bool, an int, a float or a string, as ``json.dumps`` writes it."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    if isinstance(value, str):
        return _encode_str(value)
    return json.dumps(value)  # None, bools and ints


def _float_texts(values: Any) -> list[str]:
    """JSON text of each float: its ``repr`` (what ``json.dumps`` writes), null if not finite."""
    import numpy as np

    texts = list(map(repr, values.tolist()))
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        texts[i] = "null"
    return texts


def _nest(flat: list[str], at: int, shape: tuple[int, ...], level: int) -> str:
    """The indented JSON list of ``shape`` whose numbers are ``flat[at:]`` (row-major)."""
    if not shape or shape[0] == 0:
        return flat[at] if not shape else "[]"
    inner = "\n" + "  " * (level + 1)
    size = math.prod(shape[1:])
    items = [_nest(flat, at + j * size, shape[1:], level + 1) for j in range(shape[0])]
    return "[" + inner + ("," + inner).join(items) + "\n" + "  " * level + "]"


def _print_run_table(runs: list[dict[str, Any]], total: int, out: Callable[[str], None]) -> None:
    """The first rows of the run table (``runs``) and how many more there are (of ``total``)."""
    header: tuple[str, ...] = (
        "start",
        "end point",
        "f",
        "|grad|",
        "iterations",
        "status",
        "stationary",
    )
    rows: list[tuple[str, ...]] = [
        (
            _fmt_vec(r["start"]),
            _fmt_vec(r["x"]),
            _fmt(r["f"]),
            f"{r['grad_norm']:.2e}",
            f"{r['iterations']:,}",
            r["status"],
            r["stationary"] or "",
        )
        for r in runs
    ]
    if runs and runs[0]["in_domain"] is not None:
        header += ("in domain",)
        rows = [
            (*row, "yes" if r["in_domain"] else "no") for row, r in zip(rows, runs, strict=True)
        ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    out("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row in rows:
        out("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if total > len(runs):
        out(f"... and {total - len(runs):,} more runs (use --json for all of them)")


# ----------------------------------------------------------------------------------------------
# functions


def _cmd_functions(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    from descentlab.problems import list_problems, to_json

    problems = list_problems()
    if args.json:
        print(json.dumps(_jsonable([to_json(p) for p in problems]), indent=2, allow_nan=False))
        return 0
    width = max(len(p.name) for p in problems)
    for p in problems:
        glob = [m for m in p.minima if m.kind == "global"]
        best = f"min f = {_fmt(glob[0].f)}" if glob else "no minimum"
        out(f"{p.name:<{width}}  {p.dim}D  {best:<22}  {p.tree}")  # derivative's printer
    from descentlab.optimizers import OPTIMIZERS
    from descentlab.schedules import SCHEDULERS

    out(f"optimizers (--optimizer): {', '.join(OPTIMIZERS)}")
    out(f"schedules (--scheduler): {', '.join(SCHEDULERS)}")
    return 0


# ----------------------------------------------------------------------------------------------
# fit

MAX_EPOCHS_CLI = 1_000_000
MAX_SEEDS_CLI = 1_000
MAX_FIT_WORK = 20_000_000_000  # epochs x rows x seeds x parameters: minutes, not hours
_FIT = "descentlab.training:fit"  # whose defaults fit --help shows
_MLP = "descentlab.models:mlp"  # the mlp's options: its own
_COMPARE = "descentlab.comparison:compare"
_FIT_DATA = {"linear": "engel", "logistic": "iris", "mlp": "moons"}
_HISTORY_LINES = 10


def _cmd_fit(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    from descentlab.data import load
    from descentlab.training import fit

    model = args.model
    if model not in _FIT_DATA:
        raise ConfigError(f"unknown model {model!r}; choose one of: {', '.join(_FIT_DATA)}")
    path = None
    if args.output is not None:
        from descentlab.animate.export import check_path

        path = check_path(args.output, still=False)  # before the training, not after
    warn = lambda m: print(f"{PROG}: warning: {m}", file=sys.stderr)  # noqa: E731
    hyper = ("lr", "momentum", "alpha", "betas", "eps")
    given = args.optimizer is not None or any(getattr(args, o) is not None for o in hyper)
    if given and args.optimizer is None:
        args.optimizer = "gd"
    optimizer = _optimizer(args, warn=warn) if given else None
    data = load(args.data or _FIT_DATA[model], target=args.target)
    kwargs: dict[str, Any] = {"standardize": not args.no_standardize}
    if args.epochs is not None:
        kwargs["epochs"] = _int(args.epochs, "--epochs", low=1, high=MAX_EPOCHS_CLI)
    if args.batch_size is not None:
        kwargs["batch_size"] = _int(args.batch_size, "--batch-size", low=1, high=2**62)
    seeds = [_int(s, "--seed", low=0, high=2**63 - 1) for s in (args.seed or "0").split(",")]
    if len(seeds) > MAX_SEEDS_CLI:
        raise ConfigError(f"at most {MAX_SEEDS_CLI:,} seeds (got {len(seeds):,})")
    kwargs["seeds"] = seeds
    if args.holdout is not None:
        kwargs["holdout"] = _float(args.holdout, "--holdout", positive=True)
    if args.l2 is not None:
        kwargs["l2"] = _float(args.l2, "--l2", nonneg=True)
    if args.hidden is not None or args.activation is not None:
        if model != "mlp":
            raise ConfigError("--hidden and --activation apply to the mlp model")
        if args.hidden is not None:
            kwargs["hidden"] = _int(args.hidden, "--hidden", low=1, high=1024)
        if args.activation is not None:
            kwargs["activation"] = args.activation
    for name in ("grad_tol", "f_tol"):
        text = getattr(args, name)
        if text is not None:
            kwargs[name] = _float(text, "--" + name.replace("_", "-"), nonneg=True)
    # the work bound needs the values fit will use: the given ones, else the library's defaults
    hidden = kwargs["hidden"] if "hidden" in kwargs else library_default(_MLP, "hidden")
    epochs = kwargs["epochs"] if "epochs" in kwargs else library_default(_FIT, "epochs")
    d = data.X.shape[1]
    p = d + 1 if model != "mlp" else d * hidden + 2 * hidden + 1
    work = epochs * data.rows * len(seeds) * p
    if work > MAX_FIT_WORK:
        raise ConfigError(
            f"--epochs x rows x seeds x parameters is {work:,}; the limit is {MAX_FIT_WORK:,}"
        )
    scheduler = _scheduler(args)
    if scheduler is not None:
        kwargs["scheduler"] = scheduler
    result = fit(model, data, optimizer, record=path is not None, **kwargs)
    runs = [_fit_record(result, i) for i in range(result.k)]
    opt = result.optimizer
    if args.json:
        doc = {
            "model": model,
            "data": {
                "name": result.data.name,
                "rows": result.data.rows,
                "features": list(result.data.features),
                "target": result.data.target,
                "standardized": result.data.x_mean is not None,
                "validation_rows": None if result.validation is None else result.validation.rows,
            },
            "optimizer": {"name": opt.name, **dict(opt.hyperparameters)},
            "scheduler": _scheduler_json(scheduler),
            "batch_size": result.batch_size,
            **runs[0],
            "runs": runs,
        }
        _print_json(doc)
    else:
        batch = (
            "full batch"
            if result.batch_size == result.data.rows
            else (f"batches of {result.batch_size}")
        )
        out(
            f"{model} on {result.data.name} ({result.data.rows} rows; "
            f"{', '.join(result.data.features)} -> {result.data.target}): "
            f"{_settings_text(opt, scheduler)}, {batch}"
        )
        for run in runs[:_MAX_ROWS]:
            params = "  ".join(f"{k} = {_fmt_param(v)}" for k, v in run["parameters"].items())
            out(f"seed {run['seed']}: loss {_fmt(run['loss'])}  {params}")
            out(f"  {run['message']}")
        if result.k > _MAX_ROWS:
            out(f"... and {result.k - _MAX_ROWS:,} more seeds (use --json for all of them)")
        h = runs[0]["history"]
        last = len(h["epoch"]) - 1
        shown = sorted({round(j * last / (_HISTORY_LINES - 1)) for j in range(_HISTORY_LINES)})
        out(f"history (seed {runs[0]['seed']}):")
        for j in shown:
            line = f"  epoch {h['epoch'][j]:>6}  loss {_fmt(h['loss'][j])}"
            if "val_loss" in h:
                line += f"  validation {_fmt(h['val_loss'][j])}"
            if "accuracy" in h:
                line += f"  accuracy {h['accuracy'][j]:.1%}"
            out(line)
    if path is not None:
        from descentlab.animate.fit import fit as fit_scene

        written = fit_scene(result).save(path, quiet=args.quiet or args.json)
        if not (args.quiet or args.json):
            out(f"wrote {written}")
    return 0


def _fmt_param(value: Any) -> str:
    import numpy as np

    if isinstance(value, float):
        return _fmt(value)
    return np.array2string(np.asarray(value), precision=6, separator=", ")


def _fit_record(result: Any, i: int) -> dict[str, Any]:
    """The JSON record of seed ``i`` of a fit: parameters, loss, history, status."""
    from descentlab.result import Status

    h = result.history
    history: dict[str, Any] = {"epoch": h.epoch, "loss": h.loss[:, i]}
    if h.val_loss is not None:
        history["val_loss"] = h.val_loss[:, i]
    if h.accuracy is not None:
        history["accuracy"] = h.accuracy[:, i]
    if h.val_accuracy is not None:
        history["val_accuracy"] = h.val_accuracy[:, i]
    if h.lr is not None:
        history["lr"] = h.lr[:, i]  # the lr of each epoch's last step (null at epoch 0)
    # A row that finished early repeats its last values: the history stops where it stopped.
    stop = int(result.epochs[i]) + 1
    history = {k: v[:stop] for k, v in history.items()}
    diverged_at = int(result.diverged_at[i])
    return {
        "seed": result.seeds[i],
        "parameters": result.parameters(i),
        "loss": float(result.loss[i]),
        "grad_norm": float(result.grad_norm[i]),
        "epochs": int(result.epochs[i]),
        "history": history,
        "status": Status(int(result.status[i])).label,
        "message": result.row_message(i),
        "diverged_at": diverged_at if diverged_at >= 0 else None,
    }


# ----------------------------------------------------------------------------------------------
# animate and gallery


def _cmd_animate(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    import inspect

    from descentlab.animate.export import check_path
    from descentlab.animate.registry import SCENES, STILLS, scene_name

    name = scene_name(args.scene)
    scene_fn = SCENES[name]
    accepted = inspect.signature(scene_fn).parameters
    path = check_path(args.output, still=name in STILLS)

    kwargs: dict[str, Any] = {}

    def give(key: str, value: Any, option: str) -> None:
        if key not in accepted:
            raise ConfigError(f"{option} does not apply to scene {name!r}")
        kwargs[key] = value

    if args.target is not None:
        order = _names(args.vars) if args.vars is not None else None
        dim = _int(args.dim, "--dim", low=1, high=MAX_DIM) if args.dim is not None else None
        give("target", _objective(args.target, order, dim), "a target")
    if args.start:
        starts = [_floats(s, "--start") for s in args.start]
        default = accepted["start"].default if "start" in accepted else None
        if isinstance(default, int | float):  # a scene of one variable and one start
            if len(starts) != 1 or len(starts[0]) != 1:
                raise ConfigError(f"scene {name!r} takes one --start with one number")
            give("start", starts[0][0], "--start")
        else:
            give("start", starts, "--start")
    if args.at is not None:
        at = _floats(args.at, "--at")
        if len(at) != 1:
            raise ConfigError(f"--at takes one number for scene {name!r} (got {args.at!r})")
        give("x0" if "x0" in accepted else "at", at[0], "--at")
    hyper = [keyword for keyword, _, _, _ in OPTIMIZER_FLAGS]
    if args.optimizer is not None or any(getattr(args, o) is not None for o in hyper):
        if args.optimizer is None:
            args.optimizer = "gd"
        warn = lambda m: print(f"{PROG}: warning: {m}", file=sys.stderr)  # noqa: E731
        give("optimizer", _optimizer(args, warn=warn), "--optimizer")
    scheduler = _scheduler(args)
    if scheduler is not None:
        give("scheduler", scheduler, "--scheduler")
    for key, value in _stop_kwargs(args).items():
        give(key, value, "--" + key.replace("_", "-"))
    if args.frames is not None:
        give("frames", _int(args.frames, "--frames", low=1, high=MAX_FRAMES), "--frames")
    if args.fps is not None:
        give("fps", _int(args.fps, "--fps", low=1, high=MAX_FPS), "--fps")
    if args.size is not None:
        give("size", _size(args.size), "--size")
    scene = scene_fn(**kwargs)
    written = scene.save(path, quiet=args.quiet)
    if not args.quiet:
        out(f"wrote {written}")
    return 0


def _scene_names() -> list[str]:
    """The scene names of the registry (importing it loads no matplotlib)."""
    from descentlab.animate.registry import SCENES

    return list(SCENES)


def _cmd_gallery(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    from descentlab.animate.gallery import render_gallery

    written = render_gallery(args.out, quiet=args.quiet)
    if not args.quiet:
        out(f"wrote {len(written)} files to {args.out}")
    return 0


# ----------------------------------------------------------------------------------------------
# compare


def _cmd_compare(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    from descentlab.comparison import (
        MAX_BUDGET,
        MAX_GRID,
        compare,
        compare_catalogue,
    )

    if args.catalogue == (args.target is not None):
        raise ConfigError("give a TARGET or --catalogue (one of the two)")
    settings: dict[str, Any] = {}
    if args.optimizers is not None:
        settings["optimizers"] = [n.strip() for n in args.optimizers.split(",")]
    if args.starts is not None:
        settings["starts"] = _int(args.starts, "--starts", low=1, high=MAX_STARTS)
    if args.seed is not None:
        settings["seed"] = _int(args.seed, "--seed", low=0, high=2**63 - 1)
    if args.budget is not None:
        settings["budget"] = _int(args.budget, "--budget", low=1, high=MAX_BUDGET)
    if args.success_tol is not None:
        settings["success_tol"] = _float(args.success_tol, "--success-tol", positive=True)
    if args.lr_grid is not None:
        parts = args.lr_grid.split(",")
        if len(parts) != 3:
            raise ConfigError(f"--lr-grid takes LO,HI,COUNT (got {args.lr_grid!r})")
        lo = _float(parts[0], "--lr-grid LO", positive=True)
        hi = _float(parts[1], "--lr-grid HI", positive=True)
        count = _int(parts[2], "--lr-grid COUNT", low=1, high=MAX_GRID)
        settings["lr_grid"] = (lo, hi, count)
    hyper = _compare_hyperparameters(args, settings.get("optimizers"))
    if hyper:
        settings["hyperparameters"] = hyper
    if args.output is not None:
        from descentlab.animate.export import check_path

        check_path(args.output, still=True)  # before hours of work, not after
    progress = None if not args.quiet else False
    if args.catalogue:
        if args.dim is not None:
            raise ConfigError("--dim goes with a TARGET; --catalogue runs n = 2 and 10")
        record: Any = compare_catalogue(progress=progress, **settings)
    else:
        dim = _int(args.dim, "--dim", low=1, high=MAX_DIM) if args.dim is not None else None
        record = compare(args.target, dim=dim, progress=progress, **settings)
    if args.output is not None:
        record.save(args.output)
    if args.json:
        _print_json(record.to_json())
    else:
        out(record.table())
        if args.output is not None:
            out(f"wrote {args.output}")
    return 0


def _compare_hyperparameters(
    args: argparse.Namespace, names: list[str] | None
) -> dict[str, dict[str, Any]]:
    """``--momentum`` and friends, given to every compared optimizer that takes them."""
    from descentlab.comparison import DEFAULT_OPTIMIZERS
    from descentlab.optimizers import OPTIMIZERS

    given = _parse_flags(args, OPTIMIZER_FLAGS)
    given.pop("lr", None)  # compare sweeps the lr (--lr-grid)
    out: dict[str, dict[str, Any]] = {}
    for name in names if names is not None else DEFAULT_OPTIMIZERS:
        if name not in OPTIMIZERS:
            continue  # compare() names the unknown optimizer
        accepted = inspect.signature(OPTIMIZERS[name]).parameters
        mine = {key: value for key, value in given.items() if key in accepted}
        if mine:
            out[name] = mine
    for key in given:
        if not any(key in settings for settings in out.values()):
            raise ConfigError(f"{_flag(key)} applies to none of the compared optimizers")
    return out


# ----------------------------------------------------------------------------------------------
# The parser and main


def _cmd_explore(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    from descentlab.explorer import explore

    page = explore(args.target)
    path = page.save(args.output)
    out(f"wrote {path} ({len(page.html.encode()):,} bytes): open it in a browser, no server needed")
    return 0


def build_parser() -> _Parser:
    """The argument parser, for ``--help`` texts and tests."""
    parser = _Parser(
        prog=PROG,
        description="Gradient descent by hand: derivatives, optimizers and their animations.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("derivative", help="value, exact gradient and finite differences at a point")
    p.add_argument("formula", help='a formula, e.g. "1 + x^2" or "sin(x)y"')
    p.add_argument("--at", required=True, metavar="X[,Y...]", help="the point")
    p.add_argument("--method", metavar="M", help=f"exact or one of: {', '.join(FD_METHODS)}")
    p.add_argument("--h", metavar="H", help="finite-difference step (default: automatic)")
    p.add_argument("--vars", metavar="x,y", help="variable order")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=_cmd_derivative)

    p = sub.add_parser("run", help="minimize a catalogue function or a formula")
    p.add_argument("target", help="a catalogue name (see 'functions') or a formula")
    p.add_argument("--start", action="append", metavar="X[,Y...]", help="a start (repeatable)")
    p.add_argument(
        "--random-starts",
        metavar="K",
        help=f"K random starts in the domain (<= {MAX_STARTS:,}, and K x variables <= "
        f"{MAX_START_NUMBERS:,})",
    )
    p.add_argument("--seed", metavar="S", help="seed for --random-starts (default 0)")
    p.add_argument("--domain", metavar="LO,HI", help="box for random starts (formulas: -2,2)")
    _add_target_options(p)
    _add_optimizer_options(p)
    _add_scheduler_options(p)
    _add_stop_options(p)
    _add_bounds_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument(
        "--trace",
        action="store_true",
        help=f"with --json: every iterate of each run (<= {MAX_TRACE_FLOATS:,} numbers in all)",
    )
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser("functions", help="the catalogue of test functions")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=_cmd_functions)

    p = sub.add_parser(
        "animate",
        help="render a scene to .gif, .mp4, .html or .png",
        epilog=_scene_stops_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scene", help=f"one of: {', '.join(_scene_names())}")
    p.add_argument("target", nargs="?", help="a catalogue name or a formula (default per scene)")
    p.add_argument("--start", action="append", metavar="X[,Y...]", help="a start (repeatable)")
    p.add_argument("--at", metavar="X", help="the point of the tangent (derivative scene)")
    _add_target_options(p)
    _add_optimizer_options(p, default=None)
    _add_scheduler_options(p)
    _add_stop_options(p, defaults=False)
    p.add_argument("--frames", metavar="N", help=f"frame budget (<= {MAX_FRAMES:,})")
    p.add_argument("--fps", metavar="F", help=f"frames per second (1 to {MAX_FPS})")
    p.add_argument(
        "--size",
        metavar="WxH",
        help=f"picture size in pixels, e.g. 1000x500 (sides {MIN_SIDE_PX} to {MAX_SIDE_PX:,})",
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help=".gif .mp4 .html .png")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_cmd_animate)

    p = sub.add_parser("explore", help="write the offline explorer page (one HTML file)")
    p.add_argument(
        "target", nargs="?", help="a 1-D or 2-D catalogue name or a formula (default: quartic)"
    )
    p.add_argument("-o", "--output", default="explore.html", metavar="FILE", help="the page")
    p.set_defaults(handler=_cmd_explore)

    p = sub.add_parser("fit", help="train a model on data by gradient descent")
    p.add_argument("model", help="linear, logistic or mlp")
    p.add_argument(
        "--data",
        metavar="NAME|FILE.csv",
        help="engel, iris, line, blobs, moons or a CSV file with a header row "
        "(default: engel for linear, iris for logistic, moons for mlp)",
    )
    p.add_argument("--target", metavar="NAME", help="the CSV's target column (default: the last)")
    _add_optimizer_options(p, default=None)
    _add_scheduler_options(p)
    fit_default = functools.partial(p.add_argument, action=_WithLibraryDefault, source=_FIT)
    fit_default(
        "--epochs", metavar="E", help=f"epochs (<= {MAX_EPOCHS_CLI:,}; default %(library_default)s)"
    )
    p.add_argument("--batch-size", metavar="B", help="rows per step (default: all, full batch)")
    p.add_argument(
        "--seed", metavar="S[,S...]", help=f"seeds, one run each (<= {MAX_SEEDS_CLI:,}; default 0)"
    )
    p.add_argument("--holdout", metavar="F", help="fraction of rows held out for validation")
    p.add_argument("--l2", metavar="L", help="L2 penalty (L/2)|w|^2 on the weights")
    fit_default(
        "--hidden",
        metavar="H",
        source=_MLP,
        help="hidden units of mlp (1 to 1024; default %(library_default)s)",
    )
    fit_default(
        "--activation",
        metavar="A",
        source=_MLP,
        help="tanh or relu (mlp; default %(library_default)s)",
    )
    fit_default(
        "--grad-tol",
        metavar="T",
        help="stop when |grad loss| < T (0: off; default %(library_default)s)",
    )
    fit_default(
        "--f-tol",
        metavar="T",
        help="stop when an epoch changes the loss < T (0: off; default %(library_default)s)",
    )
    p.add_argument("--no-standardize", action="store_true", help="keep the features as they are")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="render the fit scene (.gif .mp4 .html .png)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_cmd_fit)

    p = sub.add_parser("gallery", help="render every scene and still")
    p.add_argument("--out", default="gallery", metavar="DIR", help="folder (default: gallery/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_cmd_gallery)

    p = sub.add_parser(
        "compare",
        help="success rates of optimizers over many starts, equal budgets, an lr grid",
    )
    p.add_argument("target", nargs="?", help="a catalogue name or a formula")
    p.add_argument(
        "--catalogue", action="store_true", help="every 1-D and 2-D function, n-D ones at n=2, 10"
    )
    p.add_argument("--optimizers", metavar="A,B", help="optimizers (default: the seven basic)")
    compare_default = functools.partial(p.add_argument, action=_WithLibraryDefault, source=_COMPARE)
    compare_default(
        "--starts", metavar="K", help="random starts per cell (default %(library_default)s)"
    )
    compare_default("--seed", metavar="S", help="seed of the starts (default %(library_default)s)")
    compare_default(
        "--budget", metavar="N", help="iterations per run (default %(library_default)s)"
    )
    compare_default(
        "--lr-grid",
        metavar="LO,HI,COUNT",
        help="log grid of learning rates (default %(library_default)s)",
    )
    compare_default(
        "--success-tol",
        metavar="T",
        help="success: |f - f*| <= T, not diverged (default %(library_default)s)",
    )
    _add_flags(p, tuple(flag for flag in OPTIMIZER_FLAGS if flag[0] not in ("lr", "nesterov")))
    p.add_argument(
        "--dim", metavar="N", help=f"dimension of an n-dimensional function (<= {MAX_DIM:,})"
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("-o", "--output", metavar="FIGURE", help="write the figure (.png or .svg)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_cmd_compare)
    return parser


def _version() -> str:
    from descentlab import __version__

    return f"{PROG} {__version__}"


def _short(text: str, limit: int = 60) -> str:
    """``text`` quoted for a one-line message: at most ``limit`` characters, printable only."""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr("".join(ch if ch.isprintable() else "?" for ch in text))


def _one_line(error: BaseException) -> str:
    if isinstance(error, ParseError):
        return f"cannot read formula {_short(error.text)}: {error.one_line()}"
    return " ".join(str(error).split())


PROGRAM_GC_THRESHOLDS = (10_000, 10, 10)
"""The cyclic garbage collector's thresholds in the ``descentlab`` process (CPython's: 700, 10, 10).

A command that runs the engine creates about 10^5 objects that live until it exits (numba's
start-up); with CPython's thresholds the collector walks them ~25 times, twice in full, which
was 0.15 s of a 1.8 s ``run --json`` of 20,000 starts, and is 0.08 s with these (measured with
``gc.callbacks``). Garbage in reference cycles is still collected, after 10,000 allocations
rather than 700.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status instead of exiting.

    Called as the program (``argv`` None: the ``descentlab`` command, ``python -m descentlab``),
    it sets the garbage collector's thresholds to :data:`PROGRAM_GC_THRESHOLDS` first, and
    freezes the collector's objects last (``gc.freeze()``), as the process is about to exit:
    Python's shutdown then does not walk them (0.2-0.5 s once numba is loaded).
    """
    if argv is None:
        import gc

        gc.set_threshold(*PROGRAM_GC_THRESHOLDS)
        code = _main(argv)
        gc.freeze()
        return code
    return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        if sys.stderr.isatty():
            _say_when_compiling()
        with _quiet_numpy():
            handler: Callable[[argparse.Namespace, Callable[[str], None]], int] = args.handler
            return handler(args, print)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except DescentlabError as error:
        print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except (KeyboardInterrupt, Exception) as error:  # noqa: BLE001 - the last line of defence
        if _interrupted(error):  # Ctrl-C, or clean-up that Ctrl-C broke: the user interrupted
            print(f"{PROG}: interrupted", file=sys.stderr)
            return 130
        if os.environ.get("DESCENTLAB_DEBUG"):
            raise
        print(
            f"{PROG}: internal error: {type(error).__name__}: {_one_line(error)} "
            "(set DESCENTLAB_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


COMPILING = (
    f"{PROG}: compiling the machine code this run needs, once "
    "(the cache keeps it for later runs)..."
)
"""The line on a terminal's stderr when a run first waits for the engine's compiler (a first run
after install waits there for several seconds: ``engine.ON_FIRST_COMPILE``)."""


def _say_when_compiling() -> None:
    """Print :data:`COMPILING` on stderr when this process first waits for engine code to be
    compiled (a registration only: numba is not imported for it)."""
    from descentlab import engine

    if _say_compiling not in engine.ON_FIRST_COMPILE:
        engine.ON_FIRST_COMPILE.append(_say_compiling)


def _say_compiling() -> None:
    print(COMPILING, file=sys.stderr, flush=True)


def _interrupted(error: BaseException) -> bool:
    """Whether ``error`` is a Ctrl-C or was raised while one was being handled: a
    ``KeyboardInterrupt`` in its context chain (say, a renderer's clean-up that met a half-drawn
    frame)."""
    seen: set[int] = set()
    context: BaseException | None = error
    while context is not None and id(context) not in seen:
        if isinstance(context, KeyboardInterrupt):
            return True
        seen.add(id(context))
        context = context.__context__
    return False


def _quiet_numpy() -> np.errstate:
    """NumPy quiet about 0/0 and overflow: a formula's domain is checked, not warned about."""
    import numpy as np

    return np.errstate(all="ignore")
