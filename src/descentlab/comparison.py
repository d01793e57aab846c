"""A fair comparison of optimizers: success rates over many starts with equal budgets.

Single paths from one hand-picked start, with learning rates tuned until the picture looks good,
say little about an optimizer. :func:`compare` asks the honest question instead: for every
optimizer and every learning rate on a log grid, run the *same* random starts with the *same*
iteration budget and every stopping tolerance off, and count how often the run ends within
``success_tol`` of the reference value ``f*`` (the catalogue's verified global minimum, or for a
formula without known minima the best value any run found). Every rate carries a Wilson 95%
interval; the best learning rate per optimizer is the one with the highest success rate (ties:
fewer iterations to success, then the smaller gap).

The starts are exactly those of ``descentlab run TARGET --random-starts K --seed S``, and each
cell can be reproduced with ``run ... --lr LR --max-iter N --grad-tol 0 --f-tol 0 --x-tol 0``.

Examples:
    >>> c = compare("booth", optimizers=["gd", "adam"], starts=20, budget=200,
    ...             lr_grid=(1e-3, 1e-1, 3), progress=False)
    >>> c.reference, c.reference_f
    ('catalogue', 0.0)
    >>> [(b.optimizer, b.lr) for b in c.best]
    [('gd', 0.1), ('adam', 0.1)]
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descentlab import checks
from descentlab.errors import ConfigError
from descentlab.multistart import MAX_STARTS

__all__ = [
    "DEFAULT_OPTIMIZERS",
    "CatalogueComparison",
    "Cell",
    "Comparison",
    "compare",
    "compare_catalogue",
    "lr_grid",
    "wilson_interval",
]

DEFAULT_OPTIMIZERS = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "linesearch")
"""The optimizers compared when none are named."""

DEFAULT_LR_GRID = (1e-4, 1.0, 13)
"""The default learning-rate grid: 13 values from 1e-4 to 1, evenly spaced in log."""

MAX_GRID = 200
"""Most learning rates in one grid."""


MAX_BUDGET = 1_000_000
"""Most iterations per run."""

TRAJECTORY_FLOATS = 4_000_000
"""Floats of trajectory kept per cell to find the first iteration within tolerance (32 MB);
above that, every s-th iteration is kept and iterations to success are resolved to s."""

Z95 = 1.959963984540054
"""The standard normal quantile for a two-sided 95% interval."""

ND_DIMS = (2, 10)
"""The dimensions at which ``compare_catalogue`` runs the n-dimensional catalogue forms."""


# ---------------------------------------------------------------------------------------------
# Records.


@dataclass(frozen=True)
class Cell:
    """One (optimizer, learning rate) cell of a comparison.

    Attributes:
        optimizer: The optimizer's registry name.
        lr: The learning rate (for ``linesearch``, its first trial step).
        runs: How many starts ran.
        budget: The iteration budget every run had.
        max_iterations: The most iterations any run made (never more than ``budget``).
        successes: Runs that did not diverge and ended within the tolerance of ``f*``.
        success_rate: ``successes / runs``.
        success_ci: Wilson 95% interval of the success rate.
        diverged: Runs that diverged (always failures).
        diverged_rate: ``diverged / runs``.
        diverged_ci: Wilson 95% interval of the divergence rate.
        median_gap: Median of ``f - f*`` over the runs that did not diverge (nan if all did).
        median_iterations_to_success: Median, over the successful runs, of the first recorded
            iteration at which ``|f - f*| <= success_tol`` (nan without successes).
        nfev: Evaluations per run, on average (value and gradient count as one; the line
            search pays for its trial points).
    """

    optimizer: str
    lr: float
    runs: int
    budget: int
    max_iterations: int
    successes: int
    success_rate: float
    success_ci: tuple[float, float]
    diverged: int
    diverged_rate: float
    diverged_ci: tuple[float, float]
    median_gap: float
    median_iterations_to_success: float
    nfev: float

    def to_json(self) -> dict[str, Any]:
        """The cell as a JSON-ready dict (nan becomes None)."""
        return {key: _json_value(value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` found for one target.

    Attributes:
        target: The catalogue name or the formula.
        dim: Number of variables.
        starts: Starts per cell (the same points in every cell).
        seed: The seed that drew them.
        budget: Iterations per run.
        success_tol: A run succeeds when ``|f - f*| <= success_tol`` and it did not diverge.
        reference_f: ``f*``.
        reference: ``"catalogue"`` (verified global minimum) or ``"best found"`` (the lowest
            value any run of this comparison reached: the target has no known minimum).
        lrs: The learning-rate grid.
        results: One :class:`Cell` per optimizer and learning rate, optimizer-major.
        best: The best cell of each optimizer, in the order the optimizers were given.
        hyperparameters: The settings each optimizer used besides ``lr``.
    """

    target: str
    dim: int
    starts: int
    seed: int
    budget: int
    success_tol: float
    reference_f: float
    reference: str
    lrs: tuple[float, ...]
    results: tuple[Cell, ...]
    best: tuple[Cell, ...]
    hyperparameters: Mapping[str, Mapping[str, Any]]

    @property
    def optimizers(self) -> tuple[str, ...]:
        """The optimizers, in the order given."""
        return tuple(cell.optimizer for cell in self.best)

    def cells(self, optimizer: str) -> list[Cell]:
        """The cells of one optimizer, in learning-rate order."""
        return [cell for cell in self.results if cell.optimizer == optimizer]

    def to_json(self) -> dict[str, Any]:
        """The record as the JSON document ``descentlab compare --json`` prints."""
        return {
            "target": self.target,
            "dim": self.dim,
            "starts": self.starts,
            "budget": self.budget,
            "seed": self.seed,
            "success_tol": self.success_tol,
            "reference_f": _json_value(self.reference_f),
            "reference": self.reference,
            "lrs": list(self.lrs),
            "hyperparameters": {k: _json_value(dict(v)) for k, v in self.hyperparameters.items()},
            "results": [cell.to_json() for cell in self.results],
            "best": [cell.to_json() for cell in self.best],
        }

    def table(self) -> str:
        """A plain-text summary: the best cell of each optimizer."""
        head = (
            f"{self.target}: {self.starts:,} starts (seed {self.seed}), {self.budget:,} "
            f"iterations each, tolerances off; success = not diverged and |f - f*| <= "
            f"{self.success_tol:g}, f* = {self.reference_f:.10g} ({_reference_text(self)})"
        )
        rows = [
            ("optimizer", "best lr", "success (95% CI)", "diverged", "median gap", "iters", "nfev")
        ]
        for c in self.best:
            rows.append(
                (
                    c.optimizer,
                    f"{c.lr:.3g}",
                    f"{100 * c.success_rate:5.1f}% [{100 * c.success_ci[0]:.1f}, "
                    f"{100 * c.success_ci[1]:.1f}]",
                    f"{100 * c.diverged_rate:.1f}%",
                    _fmt(c.median_gap),
                    _fmt(c.median_iterations_to_success, integer=True),
                    f"{c.nfev:,.0f}",
                )
            )
        return head + "\n" + _columns(rows)

    def figure(self, size: tuple[int, int] = (1200, 520)) -> Any:
        """Success rate against lr (with 95% intervals) and the median gap, one line per
        optimizer: a :class:`~descentlab.animate.engine.Still` (``.fig`` is the matplotlib
        figure; ``.save(path)`` writes ``.png`` or ``.svg``; it shows itself in Jupyter)."""
        return _comparison_figure(self, size)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`figure` to ``path`` (``.png`` or ``.svg``), atomically."""
        return self.figure().save(path, quiet=True)

    def _repr_png_(self) -> bytes:
        return self.figure()._repr_png_()


@dataclass(frozen=True)
class CatalogueComparison:
    """:func:`compare` over the whole catalogue: success at the best lr, function x optimizer.

    Attributes:
        comparisons: One :class:`Comparison` per catalogue function (n-dimensional forms at
            each of :data:`ND_DIMS`), in catalogue order.
    """

    comparisons: tuple[Comparison, ...]

    @property
    def optimizers(self) -> tuple[str, ...]:
        """The optimizers compared."""
        return self.comparisons[0].optimizers

    def rates(self) -> NDArray[np.float64]:
        """(functions, optimizers) success rates at each optimizer's best lr."""
        return np.array([[c.success_rate for c in comp.best] for comp in self.comparisons])

    def to_json(self) -> dict[str, Any]:
        """A JSON document: the shared settings and each function's comparison."""
        first = self.comparisons[0]
        return {
            "starts": first.starts,
            "budget": first.budget,
            "seed": first.seed,
            "success_tol": first.success_tol,
            "optimizers": list(self.optimizers),
            "functions": [comp.to_json() for comp in self.comparisons],
        }

    def table(self) -> str:
        """Success rate (%) at the best lr, one row per function."""
        first = self.comparisons[0]
        head = (
            f"success at the best lr: {first.starts:,} starts (seed {first.seed}), "
            f"{first.budget:,} iterations, |f - f*| <= {first.success_tol:g}"
        )
        rows = [("function", *self.optimizers)]
        for comp in self.comparisons:
            mark = "" if comp.reference == "catalogue" else " (best found)"
            rows.append((comp.target + mark, *(f"{100 * c.success_rate:.0f}%" for c in comp.best)))
        return head + "\n" + _columns(rows)

    def figure(self) -> Any:
        """A heatmap of :meth:`rates`, annotated with the percentages (a Still, as
        :meth:`Comparison.figure`)."""
        return _heatmap_figure(self)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`figure` to ``path`` (``.png`` or ``.svg``), atomically."""
        return self.figure().save(path, quiet=True)

    def _repr_png_(self) -> bytes:
        return self.figure()._repr_png_()


# ---------------------------------------------------------------------------------------------
# Statistics.


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a binomial proportion.

    Args:
        successes: Successes, ``0 <= successes <= n``.
        n: Trials, >= 1.
        z: Normal quantile (default: two-sided 95%).

    Returns:
        ``(lo, hi)`` within [0, 1].

    Examples:
        >>> [round(v, 4) for v in wilson_interval(0, 10)]
        [0.0, 0.2775]
    """
    if n < 1 or not 0 <= successes <= n:
        raise ConfigError(f"need 0 <= successes <= n and n >= 1 (got {successes}, {n})")
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # At 0 or n successes the near end is exactly p; rounding must not move it off.
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return (lo, hi)


def lr_grid(lo: float, hi: float, count: int) -> NDArray[np.float64]:
    """``count`` learning rates from ``lo`` to ``hi``, evenly spaced in log.

    Args:
        lo: Smallest, > 0.
        hi: Largest, >= lo.
        count: How many, 1..:data:`MAX_GRID` (1 needs ``lo == hi``).

    Raises:
        ConfigError: Empty or malformed grid.

    Examples:
        >>> lr_grid(1e-3, 1e-1, 3).tolist()
        [0.001, 0.01, 0.1]
    """
    lo = checks.positive("the lr grid's lo", lo)
    hi = checks.positive("the lr grid's hi", hi)
    count = checks.integer("the lr grid's count", count, lo=1, hi=MAX_GRID)
    if hi < lo:
        raise ConfigError(f"the lr grid is empty: hi {hi:g} < lo {lo:g}")
    if count == 1:
        if lo != hi:
            raise ConfigError(f"one lr needs lo == hi (got {lo:g}, {hi:g})")
        return np.array([float(lo)])
    grid = np.geomspace(float(lo), float(hi), int(count))
    grid[0], grid[-1] = lo, hi  # exact ends, as typed
    if len(np.unique(grid)) < len(grid):
        raise ConfigError(f"the lr grid repeats values (lo {lo:g}, hi {hi:g}, count {count})")
    return grid


# ---------------------------------------------------------------------------------------------
# The comparison.


def compare(
    target: Any,
    *,
    optimizers: Sequence[str] | None = None,
    starts: int = 1000,
    seed: int = 0,
    budget: int = 1000,
    lr_grid: tuple[float, float, int] | Sequence[float] = DEFAULT_LR_GRID,
    success_tol: float = 1e-4,
    hyperparameters: Mapping[str, Mapping[str, Any]] | None = None,
    dim: int | None = None,
    progress: bool | None = None,
) -> Comparison:
    """Success rates of optimizers over the same random starts, equal budgets, an lr grid.

    Args:
        target: A catalogue name, a formula, a Problem or an Objective (as for ``run``).
        optimizers: Registry names (default: :data:`DEFAULT_OPTIMIZERS`).
        starts: Random starts per cell, drawn from the target's domain (``[-2, 2]`` per
            variable for a formula), exactly as ``run --random-starts K --seed S`` draws them.
        seed: The seed of the starts.
        budget: Iterations per run; every tolerance is off, so each run gets all of them
            unless it diverges (or cannot move: a line search at the precision limit).
        lr_grid: ``(lo, hi, count)`` for :func:`lr_grid`, or an explicit increasing sequence.
        success_tol: Absolute tolerance on ``f - f*``, > 0.
        hyperparameters: Other settings per optimizer name (``{"adam": {"betas": ...}}``);
            anything not given is the optimizer's default.
        dim: Dimension for an n-dimensional catalogue form.
        progress: Show a progress bar on stderr (None: only on a terminal).

    Returns:
        The :class:`Comparison`.

    Raises:
        ConfigError: Unknown optimizer or target, empty grid, ``starts`` or ``budget`` < 1,
            a bad tolerance or hyperparameter.
    """
    from descentlab.descent import minimize
    from descentlab.multistart import random_starts, start_domain
    from descentlab.objective import as_objective

    names = _check_optimizers(optimizers)
    k = checks.integer("starts", starts, lo=1, hi=MAX_STARTS)
    n_iter = checks.integer("budget", budget, lo=1, hi=MAX_BUDGET)
    seed = checks.integer("seed", seed, lo=0, hi=2**63 - 1)
    tol = checks.positive("success_tol", success_tol)
    lrs = _grid(lr_grid)
    extra = _check_hyperparameters(hyperparameters, names)
    factories = _factories(names, extra, lrs)

    objective = as_objective(target, dim=dim)
    X0 = random_starts(start_domain(objective), k, seed=seed)
    objective.check_finite_at(X0)
    reference_f = _known_minimum(objective)
    stride = max(1, math.ceil(k * (n_iter + 1) * 2 / TRAJECTORY_FLOATS))

    def run(name: str, lr: float, on: Any) -> Cell | _Outcome:
        result = minimize(
            on,
            X0,
            factories[name](lr),
            max_iter=n_iter,
            grad_tol=0.0,
            f_tol=0.0,
            x_tol=0.0,
            record=stride,
            record_points=False,  # the cell reads the values alone
        )
        outcome = _Outcome.of(result)
        # With the catalogue's f*, the cell is known now and the trajectory can go.
        return outcome if reference_f is None else outcome.cell(name, lr, n_iter, reference_f, tol)

    jobs = [(name, float(lr)) for name in names for lr in lrs]
    with _progress(len(jobs), f"compare {objective.name}", progress) as advance:
        done = _run_cells(objective, jobs, run, advance)

    if reference_f is None:
        raw = [o for o in done if isinstance(o, _Outcome)]
        finite = [o.best_f for o in raw if np.isfinite(o.best_f)]
        if not finite:
            raise ConfigError(f"no run on {objective.name} ended without diverging")
        reference, reference_f = "best found", float(min(finite))
        done = [
            o.cell(name, lr, n_iter, reference_f, tol)
            for (name, lr), o in zip(jobs, raw, strict=True)
        ]
    else:
        reference = "catalogue"
    cells = tuple(c for c in done if isinstance(c, Cell))
    best = tuple(_best([c for c in cells if c.optimizer == name]) for name in names)
    return Comparison(
        target=objective.name if getattr(objective, "problem", None) else _target_text(target),
        dim=objective.dim,
        starts=k,
        seed=seed,
        budget=n_iter,
        success_tol=tol,
        reference_f=float(reference_f),
        reference=reference,
        lrs=tuple(float(v) for v in lrs),
        results=cells,
        best=best,
        hyperparameters={name: dict(extra.get(name, {})) for name in names},
    )


def compare_catalogue(
    *,
    optimizers: Sequence[str] | None = None,
    starts: int = 1000,
    seed: int = 0,
    budget: int = 1000,
    lr_grid: tuple[float, float, int] | Sequence[float] = DEFAULT_LR_GRID,
    success_tol: float = 1e-4,
    hyperparameters: Mapping[str, Mapping[str, Any]] | None = None,
    names: Sequence[str] | None = None,
    progress: bool | None = None,
    each: Callable[[Comparison], None] | None = None,
) -> CatalogueComparison:
    """:func:`compare` on every 1-D and 2-D catalogue function and on the n-dimensional forms at
    each of :data:`ND_DIMS` (arguments as for :func:`compare`; ``names`` limits the functions;
    ``each`` is called with each function's comparison as soon as it is done).

    Returns:
        The :class:`CatalogueComparison`.
    """
    from descentlab.problems import get, list_problems

    problems = [get(name) for name in names] if names is not None else list_problems()
    jobs: list[tuple[Any, int | None]] = []
    for problem in problems:
        if problem.nd:
            jobs.extend((problem, n) for n in ND_DIMS)
        elif problem.dim <= 2:
            jobs.append((problem, None))
    if not jobs:
        raise ConfigError("no catalogue function to compare")
    comparisons = []
    for problem, n in jobs:
        comparison = compare(
            problem.with_dim(n) if n is not None and n != problem.dim else problem,
            optimizers=optimizers,
            starts=starts,
            seed=seed,
            budget=budget,
            lr_grid=lr_grid,
            success_tol=success_tol,
            hyperparameters=hyperparameters,
            progress=progress,
        )
        if n is not None:
            comparison = _renamed(comparison, f"{problem.name} (n={n})")
        comparisons.append(comparison)
        if each is not None:
            each(comparison)
    return CatalogueComparison(tuple(comparisons))


def _run_cells(
    objective: Any,
    jobs: list[tuple[str, float]],
    run: Callable[[str, float, Any], Any],
    advance: Callable[[], None],
) -> list[Any]:
    """``run(name, lr, objective)`` for every job; the results in the jobs' order.

    On a compiled objective (one with a program) the jobs run on as many Python threads as
    numba has: the compiled loops drop the GIL, so one cell's Python work (checks, records,
    statistics) overlaps another's compiled iterations and no core idles between cells. Each
    job then gets its own shallow copy of the objective (sharing its program), whose evaluation
    counters are added to the objective's at the end. A cell's numbers depend only on its own
    run, never on the thread or the order.
    """
    workers = 1
    if getattr(objective, "program", None) is not None and len(jobs) > 1:
        import numba

        workers = min(numba.get_num_threads(), len(jobs))
    if workers == 1:
        out = []
        for name, lr in jobs:
            out.append(run(name, lr, objective))
            advance()
        return out
    import copy
    from concurrent.futures import ThreadPoolExecutor

    copies = [copy.copy(objective) for _ in jobs]
    for c in copies:
        c.nfev = c.ngev = 0
    pool = ThreadPoolExecutor(workers)
    try:
        futures = [
            pool.submit(run, name, lr, c) for (name, lr), c in zip(jobs, copies, strict=True)
        ]
        out = []
        for f in futures:
            out.append(f.result())
            advance()
        return out
    finally:
        pool.shutdown(cancel_futures=True)
        objective.nfev += sum(c.nfev for c in copies)
        objective.ngev += sum(c.ngev for c in copies)


@dataclass(frozen=True)
class _Outcome:
    """What one minimize run of a cell left, reduced to what the cell needs."""

    fun: NDArray[np.float64]
    diverged: NDArray[np.bool_]
    in_domain: NDArray[np.bool_]
    nit: NDArray[np.int64]
    nfev: NDArray[np.int64]
    fs: NDArray[np.float64]
    its: NDArray[np.int64]

    @classmethod
    def of(cls, result: Any) -> _Outcome:
        from descentlab.result import Status

        in_domain = getattr(result, "in_domain", None)
        traj = result.trajectory
        return cls(
            fun=result.fun,
            diverged=result.status == Status.DIVERGED,
            in_domain=np.ones(result.k, bool) if in_domain is None else np.asarray(in_domain),
            nit=result.nit,
            nfev=result.nfev,
            fs=traj.fs,
            its=traj.its,
        )

    @property
    def best_f(self) -> float:
        ok = ~self.diverged & np.isfinite(self.fun)
        return float(self.fun[ok].min()) if ok.any() else math.inf

    def cell(self, name: str, lr: float, budget: int, f_star: float, tol: float) -> Cell:
        runs = int(self.fun.shape[0])
        gap = self.fun - f_star
        ok = ~self.diverged
        success = ok & (np.abs(gap) <= tol) & self.in_domain
        n_ok, n_div = int(success.sum()), int(self.diverged.sum())
        near = self.fs[:, success]  # (T, successes), a copy: worked on in place
        near -= f_star
        np.abs(near, out=near)
        first = self.its[np.argmax(near <= tol, axis=0)] if n_ok else np.array([])
        return Cell(
            optimizer=name,
            lr=lr,
            runs=runs,
            budget=budget,
            max_iterations=int(self.nit.max()),
            successes=n_ok,
            success_rate=n_ok / runs,
            success_ci=wilson_interval(n_ok, runs),
            diverged=n_div,
            diverged_rate=n_div / runs,
            diverged_ci=wilson_interval(n_div, runs),
            median_gap=float(np.median(gap[ok])) if ok.any() else math.nan,
            median_iterations_to_success=float(np.median(first)) if n_ok else math.nan,
            nfev=float(self.nfev.mean()),
        )


def _best(cells: list[Cell]) -> Cell:
    """Highest success rate; ties: fewer iterations to success, then the smaller gap."""

    def key(c: Cell) -> tuple[float, float, float]:
        iters = c.median_iterations_to_success
        gap = abs(c.median_gap)
        return (-c.success_rate, math.inf if math.isnan(iters) else iters, _nan_last(gap))

    return min(cells, key=key)


def _nan_last(value: float) -> float:
    return math.inf if math.isnan(value) else value


def _known_minimum(objective: Any) -> float | None:
    problem = getattr(objective, "problem", None)
    if problem is None or not problem.global_minima:
        return None
    return float(min(m.f for m in problem.global_minima))


def _renamed(comparison: Comparison, target: str) -> Comparison:
    from dataclasses import replace

    return replace(comparison, target=target)


# ---------------------------------------------------------------------------------------------
# Validation.


def _check_optimizers(optimizers: Sequence[str] | None) -> list[str]:
    from descentlab.optimizers import OPTIMIZERS

    if optimizers is None:
        return list(DEFAULT_OPTIMIZERS)
    if isinstance(optimizers, str):
        raise ConfigError(f"optimizers must be a list of names (got the string {optimizers!r})")
    names = list(optimizers)
    if not names:
        raise ConfigError("name at least one optimizer")
    for name in names:
        if name not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {name!r}; choose from: {', '.join(OPTIMIZERS)}")
    if len(set(names)) != len(names):
        raise ConfigError(f"an optimizer is named twice: {', '.join(names)}")
    return names


def _grid(spec: Any) -> NDArray[np.float64]:
    if isinstance(spec, tuple) and len(spec) == 3 and isinstance(spec[2], int | np.integer):
        return lr_grid(*spec)
    try:
        values = np.asarray(spec, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"lr_grid must be (lo, hi, count) or learning rates (got {spec!r})"
        ) from exc
    if values.ndim != 1 or values.size == 0:
        raise ConfigError(f"the lr grid is empty or not a list (got {spec!r})")
    if values.size > MAX_GRID:
        raise ConfigError(f"the lr grid has {values.size} values; the limit is {MAX_GRID}")
    if not (np.all(np.isfinite(values)) and np.all(values > 0)):
        raise ConfigError(f"every learning rate must be finite and > 0 (got {spec!r})")
    if np.any(np.diff(values) <= 0):
        raise ConfigError(f"the learning rates must increase (got {spec!r})")
    return values


def _check_hyperparameters(
    hyperparameters: Mapping[str, Mapping[str, Any]] | None, names: list[str]
) -> dict[str, dict[str, Any]]:
    if hyperparameters is None:
        return {}
    if not isinstance(hyperparameters, Mapping):
        raise ConfigError("hyperparameters must map optimizer names to settings")
    out: dict[str, dict[str, Any]] = {}
    for name, settings in hyperparameters.items():
        if name not in names:
            raise ConfigError(f"hyperparameters for {name!r}, which is not compared")
        if not isinstance(settings, Mapping):
            raise ConfigError(f"hyperparameters of {name!r} must be a dict (got {settings!r})")
        if "lr" in settings:
            raise ConfigError(f"the lr of {name!r} comes from the grid; do not set it")
        out[name] = dict(settings)
    return out


def _factories(
    names: list[str], extra: dict[str, dict[str, Any]], lrs: NDArray[np.float64]
) -> dict[str, Callable[[float], Any]]:
    """One ``lr -> Optimizer`` per name; every setting is checked once, before any run."""
    from descentlab.optimizers import OPTIMIZERS

    factories: dict[str, Callable[[float], Any]] = {}
    for name in names:
        settings = extra.get(name, {})

        def make(lr: float, _f: Any = OPTIMIZERS[name], _s: dict = settings) -> Any:
            return _f(lr=lr, **_s)

        try:
            for lr in (lrs[0], lrs[-1]):
                make(float(lr))
        except TypeError as exc:
            raise ConfigError(f"bad hyperparameters for {name}: {exc}") from exc
        factories[name] = make
    return factories


def _target_text(target: Any) -> str:
    return target if isinstance(target, str) else getattr(target, "name", repr(target))


# ---------------------------------------------------------------------------------------------
# Text.


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _fmt(value: float, *, integer: bool = False) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.0f}" if integer else f"{value:.3g}"


def _reference_text(c: Comparison) -> str:
    if c.reference == "catalogue":
        return "the catalogue's global minimum"
    return "no known minimum: the best value any run found"


def _columns(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


@contextmanager
def _progress(total: int, label: str, show: bool | None) -> Iterator[Callable[[], None]]:
    import sys

    if show is None:
        show = sys.stderr.isatty()
    if not show:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    columns = (f"[bold]{label}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


# ---------------------------------------------------------------------------------------------
# Figures.

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">")
"""Markers by optimizer position, so that curves which coincide stay distinguishable."""

GAP_FLOOR = 1e-16
"""Median gaps below this (exact zeros included) are drawn at it, and the axis says so."""


def _comparison_figure(c: Comparison, size: tuple[int, int]) -> Any:
    import matplotlib as mpl

    from descentlab.animate.engine import Still
    from descentlab.animate.style import OPTIMIZER_COLORS, RC, new_figure

    with mpl.rc_context(RC):
        fig = new_figure(size)
        ax_rate, ax_gap = fig.subplots(1, 2)
        for index, name in enumerate(c.optimizers):
            marker = _MARKERS[index % len(_MARKERS)]
            cells = c.cells(name)
            lrs = np.array([cell.lr for cell in cells])
            rate = np.array([cell.success_rate for cell in cells])
            lo = np.array([cell.success_ci[0] for cell in cells])
            hi = np.array([cell.success_ci[1] for cell in cells])
            color = OPTIMIZER_COLORS.get(name, "#444444")
            ax_rate.fill_between(lrs, 100 * lo, 100 * hi, color=color, alpha=0.15, lw=0)
            ax_rate.plot(lrs, 100 * rate, "-", marker=marker, color=color, ms=5, label=name)
            # Where most runs diverged, a cross on the zero line says why the rate is 0.
            blown = np.array([cell.diverged_rate > 0.5 for cell in cells])
            ax_rate.plot(lrs[blown], np.zeros(blown.sum()), "x", color=color, ms=9, mew=2)
            gap = np.array([abs(cell.median_gap) for cell in cells])
            shown = np.isfinite(gap)
            ax_gap.plot(
                lrs[shown], np.maximum(gap[shown], GAP_FLOOR), "-", marker=marker, color=color,
                ms=5, label=name,
            )  # fmt: skip
        ax_rate.set_xscale("log")
        ax_rate.set_ylim(-3, 103)
        ax_rate.set_xlabel("learning rate (x: most runs diverged)")
        ax_rate.set_ylabel("success rate (%), 95% interval shaded")
        ax_rate.set_title(f"{c.target}: runs ending within {c.success_tol:g} of f*")
        ax_gap.set_xscale("log")
        ax_gap.set_yscale("log")
        ax_gap.set_xlabel("learning rate")
        ax_gap.set_ylabel(f"median |f - f*| (runs not diverged; floor {GAP_FLOOR:g})")
        ax_gap.set_title(f"f* = {c.reference_f:.6g} ({c.reference})")
        ax_gap.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        fig.suptitle(
            f"{c.starts:,} random starts (seed {c.seed}), {c.budget:,} iterations each, "
            "tolerances off: the same starts and budget for every optimizer and lr",
            fontsize=10,
            color="#555555",
        )
        fig.tight_layout()
    return Still(fig, info={"comparison": c})


def _heatmap_figure(cc: CatalogueComparison) -> Any:
    import matplotlib as mpl

    from descentlab.animate.engine import Still
    from descentlab.animate.style import RC, new_figure

    rates = cc.rates()
    names = [comp.target for comp in cc.comparisons]
    opts = list(cc.optimizers)
    width = max(700, 120 + 95 * len(opts) + 9 * max(len(n) for n in names))
    height = max(300, 110 + 26 * len(names))
    with mpl.rc_context({**RC, "axes.grid": False}):
        fig = new_figure((width, height))
        ax = fig.subplots()
        image = ax.imshow(100 * rates, cmap="viridis", vmin=0, vmax=100, aspect="auto")
        ax.set_xticks(range(len(opts)), opts)
        ax.set_yticks(range(len(names)), names)
        ax.xaxis.tick_top()
        for i in range(len(names)):
            for j in range(len(opts)):
                value = 100 * rates[i, j]
                ax.text(
                    j, i, f"{value:.0f}", ha="center", va="center", fontsize=9,
                    color="black" if value > 60 else "white",
                )  # fmt: skip
        first = cc.comparisons[0]
        ax.set_title(
            f"success (%) at each optimizer's best lr: {first.starts:,} starts, "
            f"{first.budget:,} iterations, |f - f*| <= {first.success_tol:g}",
            fontsize=10,
            pad=28,
        )
        fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02, label="success (%)")
        fig.tight_layout()
    return Still(fig, info={"catalogue": cc})
