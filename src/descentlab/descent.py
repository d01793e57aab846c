"""The one loop: :func:`minimize` drives any optimizer over many starts at once.

Starts are the rows of one (k, n) array. Each row stops on its own criterion and then freezes:
it is no longer updated or evaluated (the running rows are compacted), so a batched run gives
bitwise the same numbers as k separate runs, provided the objective computes each row on its own
(elementwise formulas do; a matrix product may not). Divergence, the iteration limit and a
callback's stop are statuses in the :class:`~descentlab.result.Result`, never exceptions.

Large batches are processed in blocks of :data:`BLOCK_ROWS` rows, each run to its end before the
next: the arrays of a block stay in the CPU cache, and since rows are independent no number
changes. A callback sees all running rows at each iteration, so with a callback all rows run as
one block.

Examples:
    >>> import numpy as np
    >>> from descentlab.optimizers import gd
    >>> class Quartic:
    ...     dim = 1
    ...     def value(self, X):
    ...         x = X[:, 0]
    ...         return 3 * x**4 + 4 * x**3 - 12 * x**2 + 7
    ...     def grad(self, X):
    ...         return 12 * X**3 + 12 * X**2 - 24 * X
    ...     def value_and_grad(self, X):
    ...         return self.value(X), self.grad(X)
    >>> r = minimize(Quartic(), [[-3.0], [0.5], [4.0]], gd(lr=0.001), grad_tol=1e-12,
    ...              max_iter=100_000)
    >>> np.round(r.x[:, 0], 12).tolist(), [s.label for s in map(Status, r.status)]
    ([-2.0, 1.0, 1.0], ['converged', 'converged', 'converged'])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from descentlab import checks
from descentlab.errors import ConfigError
from descentlab.optimizers import Optimizer
from descentlab.result import Cause, Result, Status, StopRule, Trajectory
from descentlab.stationary import classify_rows, refuse_unbounded

__all__ = ["BLOCK_ROWS", "RECORD_BUDGET", "SupportsObjective", "minimize"]

Array = NDArray[np.float64]

BLOCK_ROWS = 4096
"""Rows processed together when nothing needs to see all rows at once (4096 x n floats per
array fit in the L2 cache)."""

RECORD_BUDGET = 20_000_000
"""Floats the ``record="auto"`` trajectory may hold (xs and fs together), about 160 MB."""

Callback = Callable[[int, Array, Array], bool | None]


@runtime_checkable
class SupportsObjective(Protocol):
    """What :func:`minimize` needs from an objective: batched values and gradients.

    ``X`` is (k, n) with ``n == dim``; ``value`` returns (k,), ``grad`` (k, n), and
    ``value_and_grad`` both (the loop calls only this one, plus ``value`` for line searches).
    """

    dim: int

    def value(self, X: Array) -> Array: ...

    def grad(self, X: Array) -> Array: ...

    def value_and_grad(self, X: Array) -> tuple[Array, Array]: ...


def minimize(
    objective: SupportsObjective,
    X0: ArrayLike,
    optimizer: Optimizer,
    *,
    max_iter: int = StopRule.max_iter,
    grad_tol: float = StopRule.grad_tol,
    f_tol: float = StopRule.f_tol,
    x_tol: float = StopRule.x_tol,
    callback: Callback | None = None,
    record: bool | int | Literal["auto"] = "auto",
    record_points: bool = True,
    bounds: Any = None,
    scheduler: Any = None,
    engine: Literal["auto", "compiled", "numpy"] = "auto",
) -> Result:
    """Minimize ``objective`` from every row of ``X0`` with ``optimizer``, rows independently.

    Iteration ``t`` computes ``X_t = X_(t-1) + step`` (projected onto ``bounds`` if given),
    evaluates f and its gradient there, then tests, for each running row and in this order:

    0. a step that is not taken or changes nothing: a line search that finds no step passing
       its sufficient-decrease test takes none, and the row ends PRECISION_LOSS at ``X_(t-1)``
       (f cannot be decreased at this precision); a step with ``X_(t-1) + step == X_(t-1)``
       (before any projection) ends the row STALLED. Either way ``nit = t - 1`` and the
       message gives the gradient norm.
    1. divergence: ``x`` not finite or some ``|x_i| > 1e150`` (tested before evaluating), ``f``
       not finite or ``|f| > 1e150``, or the gradient not finite (or its norm overflowing). The
       row keeps its last good iterate ``X_(t-1)``, its status is DIVERGED and
       ``diverged_at = t``. The start itself is tested the same way (``diverged_at = 0``).
    2. convergence (:data:`CRITERIA`): gradient 2-norm ``< grad_tol`` (also tested at the
       start), then ``|f_t - f_(t-1)| < f_tol``, then ``|x_t - x_(t-1)| < x_tol`` (2-norm). A
       small step is convergence (CONVERGED_X) only where the gradient norm is also below
       ``max(grad_tol, sqrt(x_tol))`` (``StopRule.stationary_tol``); elsewhere the row ends
       SMALL_STEP (not a stationary point).
       With bounds the gradient is projected (components pushing out of an active bound are
       zero), so a minimum on the boundary converges there.
    3. the callback, ``callback(t, X, F)`` with the (k, n) current points (finished rows frozen)
       and their (k,) values: returning True, or raising StopIteration, stops every row still
       running with status STOPPED.

    Rows still running after ``max_iter`` iterations get MAX_ITER. The notebook's criteria are
    ``grad_tol`` (for one variable ``|f'| < tol``), ``f_tol`` and ``max_iter``.

    Args:
        objective: Anything with ``dim``, ``value``, ``grad`` and ``value_and_grad`` on (k, n)
            arrays (see :class:`SupportsObjective`).
        X0: Starts, (n,) for one or (k, n) for k; ints become floats.
        optimizer: An :class:`~descentlab.optimizers.Optimizer`.
        max_iter: Iteration limit per row, an int >= 0.
        grad_tol: Gradient-norm tolerance, >= 0 (0 turns the test off).
        f_tol: Tolerance on the change in f, >= 0 (0: off).
        x_tol: Tolerance on the step length, >= 0 (0: off).
        callback: Called after every iteration as ``callback(t, X, F)``; may stop the run.
        record: What trajectory to keep. ``False``: none. ``True``: every iterate, the start
            included. An int ``s >= 1``: iterations 0, s, 2s, ... and the last one. ``"auto"``
            (default): every iterate while the records fit in :data:`RECORD_BUDGET` floats
            (about 160 MB); when they would not, every other record is dropped and the stride
            doubles, so memory stays bounded whatever ``max_iter`` is. The last iteration is
            always recorded, and finished rows stay frozen, so the last record holds every
            row's final point.
        record_points: False keeps only the values in the trajectory (``xs`` is then
            ``(T, k, 0)``): what a caller needs that reads ``fs`` alone (:func:`descentlab.
            compare` finds each run's first iteration within tolerance), at a fraction of the
            memory and copying.
        bounds: A box every iterate is projected onto: ``(lo, hi)`` for every variable, one
            ``(lo, hi)`` pair per variable, or ``"domain"`` for the objective's own domain. The
            starts are projected first; the line search searches along the projected path.
        scheduler: A learning-rate schedule (:mod:`descentlab.schedules`). Either it has
            ``table(max_iter, lr)`` returning the (max_iter,) learning rates of iterations
            1..max_iter for the optimizer's ``lr``, or ``init(k, lr) -> state`` and
            ``step(state, F) -> (lr (k,), state)``: called after each step with the values at
            the points the step started from, it gives each row's lr for the next step (the
            first step uses the optimizer's lr), as torch's ``ReduceLROnPlateau`` does. Arrays
            in its state have the rows on their leading axis. The lr of every recorded
            iteration is kept in ``trajectory.lrs``. A schedule with ``momentum(max_iter)``
            (``onecyclelr(cycle_momentum=True)``) also sets the optimizer's momentum or beta1
            at every iteration (the general loop passes each step's value to the rule's
            kernel); a rule without one is refused.
        engine: Which loop runs. ``"auto"`` (default): the fused compiled loop
            (:mod:`descentlab.engine.loop`) when the objective has a program (formulas and the
            catalogue), the optimizer an elementwise rule or ``linesearch`` (its own compiled
            loop, :mod:`descentlab.engine.search`), and the scheduler (if any) a table that
            leaves the momentum alone; the general loop otherwise. ``"numpy"``: always the
            general loop. ``"compiled"``: the fused loop, or a ConfigError saying why it cannot
            run. Both give the same Result; with a callback, the compiled loop returns to
            Python after every iteration.

    Returns:
        A :class:`~descentlab.result.Result` with one row per start.

    Raises:
        ConfigError: If ``X0`` is not (n,) or (k, n) with ``n == objective.dim``, is not finite
            real numbers, or a setting is out of range (bounds, scheduler, tolerances), or the
            objective is a formula proven linear (unbounded below: no minimum to find; see
            :func:`~descentlab.stationary.refuse_unbounded`) and no ``bounds`` are given.

    Examples:
        >>> import numpy as np
        >>> from descentlab.optimizers import gd
        >>> class Square:
        ...     dim = 1
        ...     def value(self, X): return X[:, 0] ** 2
        ...     def grad(self, X): return 2 * X
        ...     def value_and_grad(self, X): return self.value(X), self.grad(X)
        >>> r = minimize(Square(), [1.0], gd(lr=1.5), record=False)
        >>> r.message[0].split(" (")[0]
        'diverged at iteration 250: f = 3.27e+150, |f| > 1e+150'
    """
    X = _check_starts(objective, X0)
    box = _check_bounds(objective, bounds)
    if box is not None:
        X = box.project(X)
    else:
        refuse_unbounded(objective)
    rule = StopRule(
        max_iter=checks.integer("max_iter", max_iter, lo=0),
        grad_tol=checks.non_negative("grad_tol", grad_tol),
        f_tol=checks.non_negative("f_tol", f_tol),
        x_tol=checks.non_negative("x_tol", x_tol),
    )
    if not isinstance(optimizer, Optimizer):
        raise ConfigError(f"optimizer must be an Optimizer (got {optimizer!r})")
    if callback is not None and not callable(callback):
        raise ConfigError(f"callback must be callable (got {callback!r})")
    mode, stride = _check_record(record)
    if not isinstance(record_points, bool | np.bool_):
        raise ConfigError(f"record_points must be True or False (got {record_points!r})")
    lr_table = _check_scheduler(scheduler, optimizer, rule.max_iter)
    momenta = _check_momentum(scheduler, optimizer, rule.max_iter)
    k, n = X.shape
    capacity = max(2, RECORD_BUDGET // (k * (n + 1)))  # records "auto" keeps before thinning
    limit = rule.max_iter // stride + 2  # records a run can make (0, s, 2s, ... and its last)

    def new_recorder() -> _Recorder | None:  # one per block of rows
        if mode == "off":
            return None
        return _Recorder(mode, stride, capacity, bool(record_points), limit=limit)

    program = _fused_program(objective, optimizer, scheduler, lr_table, engine, momenta)
    if program is not None:
        recorder = new_recorder()
        searched = 0  # evaluations of f alone (the line search's trials)
        with np.errstate(all="ignore"):
            if optimizer.kernel is None:  # the line search (see _fused_program)
                from descentlab.engine.search import run_search

                fields, trials = run_search(
                    program, X, optimizer.hyperparameters, rule, callback, recorder, box,
                    lr_table, _ask,
                )  # fmt: skip
                searched = int(trials.sum())
                if recorder is not None and lr_table is not None:
                    # The lr each row used last at each record, as the general loop keeps it.
                    used = np.minimum(np.array(recorder.its)[:, None], fields["nit"])
                    if lr_table.size:  # (max_iter=0: no lr was used, and none to index)
                        lrs = np.where(used >= 1, lr_table[np.maximum(used, 1) - 1], np.nan)
                    else:
                        lrs = np.full(used.shape, np.nan)
                    recorder.lrs_used(lrs)
            else:  # the fused loop records the lrs itself
                from descentlab.engine.loop import run_fused

                fields = run_fused(
                    program, X, optimizer.kernel, rule, callback, recorder, box, lr_table, _ask,
                    pauses=optimizer.pauses,
                )  # fmt: skip
        if isinstance(getattr(objective, "nfev", None), int):  # its counters, as if called
            evaluated = int(fields["nfev"].sum())
            objective.nfev += evaluated  # type: ignore[attr-defined]
            objective.ngev += evaluated - searched  # type: ignore[attr-defined]
        return _result([_Block(**fields, recorder=recorder)], objective, rule, mode)
    block = k if callback is not None else BLOCK_ROWS
    with np.errstate(all="ignore"):
        runs = [
            _run_block(
                objective,
                X[lo : lo + block],
                optimizer,
                rule,
                callback,
                new_recorder(),
                box,
                scheduler,
                lr_table,
                momenta,
            )
            for lo in range(0, k, block)
        ]
    return _result(runs, objective, rule, mode)


def _result(runs: list[_Block], objective: Any, rule: StopRule, mode: str) -> Result:
    if len(runs) == 1:  # the compiled loops, and one block of the general loop: no copies
        joined = {name: getattr(runs[0], name) for name in _FIELDS}
    else:
        joined = {name: np.concatenate([getattr(b, name) for b in runs]) for name in _FIELDS}
    trajectory = None if mode == "off" else _merge_records(runs)
    domain = getattr(objective, "domain", None)
    in_domain = None if domain is None else _inside(joined["x"], _box_of(domain))
    result = Result(**joined, trajectory=trajectory, stop=rule, in_domain=in_domain)
    return classify_rows(objective, result)


def _fused_program(
    objective: Any,
    optimizer: Optimizer,
    scheduler: Any,
    lr_table: Array | None,
    engine: str,
    momenta: Array | None = None,
) -> Any:
    """The objective's program if the fused compiled loop can run this minimize, else None."""
    if engine not in ("auto", "compiled", "numpy"):
        raise ConfigError(f'engine must be "auto", "compiled" or "numpy" (got {engine!r})')
    if engine == "numpy":
        return None
    program = getattr(objective, "program", None)
    why = None
    if program is None:
        why = "the objective has no program (a Python function)"
    elif optimizer.kernel is None and not _is_linesearch(optimizer):
        why = f"{optimizer.name} is not an elementwise rule"
    elif scheduler is not None and lr_table is None:
        why = "the scheduler steps on the loss (not a table)"
    elif momenta is not None:
        why = "the schedule cycles the momentum (the fused loop's hyperparameters are fixed)"
    elif lr_table is not None and not (lr_table > 0).all():
        why = "the schedule reaches lr 0 (a pause, which the fused stall test would end)"
    if why is not None:
        if engine == "compiled":
            raise ConfigError(f'engine="compiled" cannot run this: {why}')
        return None
    return program


def _is_linesearch(optimizer: Optimizer) -> bool:
    """True for :func:`~descentlab.optimizers.linesearch`, which has its own compiled loop
    (:mod:`descentlab.engine.search`)."""
    return optimizer.name == "linesearch" and "max_backtracks" in optimizer.hyperparameters


# ---------------------------------------------------------------------------------------------
# Validation.


def _check_starts(objective: SupportsObjective, X0: ArrayLike) -> Array:
    dim = checks.integer("objective.dim", getattr(objective, "dim", None), lo=1)
    try:
        X = np.array(X0, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"starts must be real numbers (got {X0!r})") from exc
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] != dim or X.shape[0] == 0:
        raise ConfigError(
            f"starts must have shape (n,) or (k, n) with n = {dim} (got shape {np.shape(X0)})"
        )
    if not np.isfinite(X).all():
        raise ConfigError(f"starts must be finite (got {X0!r})")
    return X


def _box_of(domain: Any) -> _Box:
    lo, hi = (np.array(side, dtype=np.float64) for side in zip(*domain, strict=True))
    return _Box(lo, hi)


def _inside(X: Array, box: _Box) -> NDArray[np.bool_]:
    inside: NDArray[np.bool_] = np.all((box.lo <= X) & (box.hi >= X), axis=1)
    return inside


def _check_bounds(objective: SupportsObjective, bounds: Any) -> _Box | None:
    if bounds is None:
        return None
    if isinstance(bounds, str):
        if bounds != "domain":
            raise ConfigError(f'bounds must be "domain", (lo, hi) or pairs (got {bounds!r})')
        domain = getattr(objective, "domain", None)
        if domain is None:
            raise ConfigError('bounds="domain" needs an objective with a domain (it has none)')
        return _box_of(domain)
    from descentlab.problems import check_domain

    return _box_of(check_domain(bounds, int(objective.dim)))


def _check_scheduler(scheduler: Any, optimizer: Optimizer, max_iter: int) -> Array | None:
    """The scheduler's lr table (None for a stateful scheduler or none at all)."""
    if scheduler is None:
        return None
    base_lr = _base_lr(optimizer)  # refuses an optimizer without an lr
    if getattr(scheduler, "table", None) is not None:
        table = np.asarray(scheduler.table(max_iter, base_lr), dtype=np.float64)
        if table.shape != (max_iter,) or not (np.isfinite(table).all() and (table >= 0).all()):
            raise ConfigError(
                f"scheduler.table({max_iter}) must give {max_iter} finite learning rates >= 0 "
                f"(got shape {table.shape})"
            )
        return table
    if not (
        callable(getattr(scheduler, "init", None)) and callable(getattr(scheduler, "step", None))
    ):
        raise ConfigError(
            "scheduler must have table(max_iter, lr), or init(k, lr) and step(state, F) "
            f"(got {scheduler!r})"
        )
    return None


def _check_momentum(scheduler: Any, optimizer: Optimizer, max_iter: int) -> Array | None:
    """The (max_iter,) momentum (or beta1) of each iteration for a schedule that cycles it,
    else None; refused, as torch refuses it, for a rule that has neither."""
    cycle = getattr(scheduler, "momentum", None)
    if cycle is None:
        return None
    if optimizer.kernel is None or optimizer.kernel.momentum is None:
        raise ConfigError(
            f"{scheduler.name} cycles the momentum and {optimizer.name} has no momentum or "
            "beta1 (torch: optimizer must support momentum or beta1 with `cycle_momentum` "
            "option enabled); pass cycle_momentum=False"
        )
    table = np.asarray(cycle(max_iter), dtype=np.float64)
    if table.shape != (max_iter,) or not np.isfinite(table).all():
        raise ConfigError(f"scheduler.momentum({max_iter}) must give {max_iter} finite numbers")
    return table


def _check_record(record: object) -> tuple[str, int]:
    if record is False:
        return "off", 1
    if record is True:
        return "stride", 1
    if isinstance(record, str) and record == "auto":  # the type first: an array's == is an array
        return "auto", 1
    if isinstance(record, int | np.integer) and not isinstance(record, bool) and record >= 1:
        return "stride", int(record)
    raise ConfigError(f'record must be False, True, an int >= 1 or "auto" (got {record!r})')


# ---------------------------------------------------------------------------------------------
# Recording.


class _Recorder:
    """Snapshots (iteration, X, F) of one block at the iterations the mode asks for.

    Each snapshot is copied into arrays the recorder owns, ``(slots, rows, n)`` and ``(slots,
    rows)``, sized once for the records the run can make (at most ``capacity + 1`` in "auto"
    mode; a longer stride run grows them by doubling), so the trajectory is a view of them,
    not a stack of separate arrays, and a snapshot dropped by thinning frees its slot at once.
    """

    def __init__(
        self, mode: str, stride: int, capacity: int, points: bool = True, *, limit: int
    ) -> None:
        """``capacity``: records kept before thinning ("auto") and the records the arrays first
        hold in any mode; ``limit``: the most records the run can make (``max_iter // stride +
        2``), so that a short run does not reserve the whole budget."""
        self.mode, self.stride, self.capacity = mode, stride, capacity
        self.points = points  # False: keep the values only (the points as (k, 0) views)
        self.limit = limit
        self.its: list[int] = []
        self._xs: Array | None = None
        self._fs: Array | None = None
        self._lrs: Array | None = None

    def wants(self, t: int) -> bool:
        return t % self.stride == 0

    def add(
        self, t: int, X: Array, F: Array, *, final: bool = False, lr: Array | None = None
    ) -> None:
        """Keep a snapshot; in "auto" mode, halve the records first when they are full.

        A final record (a block's last iteration) is always kept, never thinned away.
        """
        if self.mode == "auto" and not final and len(self.its) >= self.capacity:
            keep = [j for j, it in enumerate(self.its) if it % (2 * self.stride) == 0]
            for i, j in enumerate(keep):  # j >= i: moving forward never overwrites a kept one
                if i != j:
                    for store in (self._xs, self._fs, self._lrs):
                        if store is not None:
                            store[i] = store[j]
            self.its = [self.its[j] for j in keep]
            self.stride *= 2
            if t % self.stride:
                return
        j = len(self.its)
        self._room(j + 1, X, lr is not None)
        assert self._xs is not None and self._fs is not None
        if self.points:
            self._xs[j] = X
        self._fs[j] = F
        if self._lrs is not None:
            self._lrs[j] = lr
        self.its.append(t)

    def _room(self, records: int, X: Array, lrs: bool) -> None:
        """Make the arrays hold at least ``records`` snapshots like ``X``."""
        size = 0 if self._fs is None else self._fs.shape[0]
        if records <= size:
            return
        slots = min(self.limit, self.capacity + 1) if size == 0 else 2 * size
        slots = max(slots, records)
        rows, n = X.shape[0], X.shape[1] if self.points else 0
        old = (self._xs, self._fs, self._lrs)
        self._xs, self._fs = np.empty((slots, rows, n)), np.empty((slots, rows))
        self._lrs = np.empty((slots, rows)) if lrs else None
        for new, before in zip((self._xs, self._fs, self._lrs), old, strict=True):
            if new is not None and before is not None:
                new[:size] = before

    def lrs_used(self, lrs: Array) -> None:
        """Set the (T, rows) lr each row used last at each record (the line search's, from its
        lr table after the run)."""
        self._lrs = lrs

    def records(self) -> tuple[Array, Array, Array | None]:
        """The kept snapshots: points (T, rows, n), values (T, rows), lrs (T, rows) or None."""
        assert self._xs is not None and self._fs is not None  # the start is always recorded
        T = len(self.its)
        if self._fs.shape[0] >= 2 * T:  # a run that ended early: do not hold the unused rest
            self._xs, self._fs = self._xs[:T].copy(), self._fs[:T].copy()
            self._lrs = None if self._lrs is None else self._lrs[:T].copy()
        return self._xs[:T], self._fs[:T], None if self._lrs is None else self._lrs[:T]


def _merge_records(runs: Sequence[_Block]) -> Trajectory:
    """Join the blocks' records on a common set of iterations (the coarsest stride)."""
    recs = [b.recorder for b in runs if b.recorder is not None]
    stride = max(r.stride for r in recs)
    end = max(r.its[-1] for r in recs)
    its = list(range(0, end + 1, stride))
    if its[-1] != end:
        its.append(end)
    parts = [r.records() for r in recs]
    if len(recs) == 1 and recs[0].its == its:  # one block (the compiled loops): its arrays
        r_xs, r_fs, r_lrs = parts[0]
        return Trajectory(r_xs, r_fs, np.array(its, dtype=np.int64), r_lrs)
    xs = np.empty((len(its), sum(p[1].shape[1] for p in parts), parts[0][0].shape[2]))
    fs = np.empty(xs.shape[:2])
    lrs = None if parts[0][2] is None else np.empty(xs.shape[:2])
    lo = 0
    for r, (r_xs, r_fs, r_lrs) in zip(recs, parts, strict=True):
        where = {t: j for j, t in enumerate(r.its)}
        rows = slice(lo, lo + r_fs.shape[1])
        for j, t in enumerate(its):
            src = where[t] if t <= r.its[-1] else len(r.its) - 1
            xs[j, rows] = r_xs[src]
            fs[j, rows] = r_fs[src]
            if lrs is not None:
                lrs[j, rows] = r_lrs[src]  # type: ignore[index]
        lo = rows.stop
    return Trajectory(xs, fs, np.array(its, dtype=np.int64), lrs)


# ---------------------------------------------------------------------------------------------
# The loop over one block of rows.

_FIELDS = ("x", "fun", "grad_norm", "status", "nit", "nfev", "diverged_at", "detail", "cause")


@dataclass
class _Block:
    """Per-row outcome of one block; rows are written once, when they finish."""

    x: Array
    fun: Array
    grad_norm: Array
    status: NDArray[np.int64]
    nit: NDArray[np.int64]
    nfev: NDArray[np.int64]
    diverged_at: NDArray[np.int64]
    detail: Array
    cause: NDArray[np.int8]
    recorder: _Recorder | None = field(default=None)

    @classmethod
    def start(cls, X0: Array, recorder: _Recorder | None) -> _Block:
        k = X0.shape[0]
        return cls(
            x=X0.copy(),
            fun=np.full(k, np.nan),
            grad_norm=np.full(k, np.nan),
            status=np.full(k, int(Status.MAX_ITER), dtype=np.int64),
            nit=np.zeros(k, dtype=np.int64),
            nfev=np.zeros(k, dtype=np.int64),
            diverged_at=np.full(k, -1, dtype=np.int64),
            detail=np.full(k, np.nan),
            cause=np.zeros(k, dtype=np.int8),
            recorder=recorder,
        )


@dataclass
class _Rows:
    """The running rows of a block: everything that shrinks when rows finish, in one record.

    ``X``, ``F``, ``G`` are the current point, value and gradient; ``gn`` the norm of the
    (projected) gradient; ``extra`` the value evaluations the optimizer made; ``state`` the
    optimizer's state and ``sched`` the scheduler's (rows on the leading axis of every array).
    """

    idx: NDArray[np.intp]
    X: Array
    F: Array
    G: Array
    gn: Array
    extra: NDArray[np.int64]
    state: Any = None
    sched: Any = None
    lr: Array | None = None

    def take(self, keep: NDArray[np.bool_]) -> _Rows:
        """The rows ``keep`` of everything."""
        return _Rows(
            self.idx[keep],
            self.X[keep],
            self.F[keep],
            self.G[keep],
            self.gn[keep],
            self.extra[keep],
            _take(self.state, keep),
            _take(self.sched, keep),
            None if self.lr is None else self.lr[keep],
        )


class _Trial(NamedTuple):
    """One iteration's candidate for the running rows: the old point and the new one."""

    X: Array
    F: Array
    Xn: Array
    Fn: Array
    gn: Array


class _Test(NamedTuple):
    """A convergence criterion as data: its status, its StopRule tolerance, what it measures."""

    status: Status
    tol: str
    measure: Callable[[_Trial], Array]


CRITERIA = (
    _Test(Status.CONVERGED_GRAD, "grad_tol", lambda c: c.gn),
    _Test(Status.CONVERGED_F, "f_tol", lambda c: np.abs(c.Fn - c.F)),
    _Test(Status.CONVERGED_X, "x_tol", lambda c: np.sqrt(_sq_norms(c.Xn - c.X))),
)
"""The convergence tests, in the order they are tried; the first one a row meets names its
status. A small step (``x_tol``) counts as convergence only at a stationary point: where the
gradient norm is not below ``StopRule.stationary_tol`` the row ends SMALL_STEP instead."""


def _sq_norms(A: Array) -> Array:
    """Row-wise sum of squares, summed in column order so every row's rounding is its own."""
    n = A.shape[1]
    if n > 8:
        sums: Array = np.add.reduce(A * A, axis=1)
        return sums
    col = A[:, 0]
    out = col * col
    for j in range(1, n):
        col = A[:, j]
        out += col * col
    return out


def _take(state: Any, keep: NDArray[np.bool_] | NDArray[np.intp]) -> Any:
    """The rows ``keep`` of every per-row array in an optimizer state (scalars are shared)."""
    if isinstance(state, np.ndarray):
        return state[keep] if state.ndim >= 1 else state
    if isinstance(state, tuple):
        parts = [_take(part, keep) for part in state]
        return type(state)(*parts) if hasattr(state, "_fields") else tuple(parts)
    return state


class _Box(NamedTuple):
    """Bounds ``lo <= x <= hi`` (each (n,)) and the projections they define."""

    lo: Array
    hi: Array

    def project(self, X: Array) -> Array:
        """The nearest point of the box (every coordinate clipped)."""
        return np.minimum(np.maximum(X, self.lo), self.hi)

    def grad(self, X: Array, G: Array) -> Array:
        """The projected gradient: components pushing out of an active bound are zero."""
        blocked = ((self.lo >= X) & (G > 0)) | ((self.hi <= X) & (G < 0))
        return np.where(blocked, 0.0, G)


def _grad_norm(box: _Box | None, X: Array, G: Array) -> tuple[Array, Array]:
    """(squared norm, norm) of the gradient, projected when there are bounds."""
    gn2 = _sq_norms(G if box is None else box.grad(X, G))
    return gn2, np.sqrt(gn2)


def _run_block(
    objective: SupportsObjective,
    X0: Array,
    opt: Optimizer,
    rule: StopRule,
    callback: Callback | None,
    recorder: _Recorder | None,
    box: _Box | None = None,
    scheduler: Any = None,
    lr_table: Array | None = None,
    momenta: Array | None = None,
) -> _Block:
    out = _Block.start(X0, recorder)
    limit = rule.limit

    def finish(
        run: _Rows, rows: NDArray[np.bool_], status: Any, t: int, detail: Array, **at: Any
    ) -> None:
        where = run.idx[rows]
        out.status[where] = status
        out.nit[where] = t
        out.detail[where] = detail
        for name, values in at.items():
            getattr(out, name)[where] = values

    def finish_here(
        run: _Rows, rows: NDArray[np.bool_], status: Any, t: int, detail: Array, nfev: Any
    ) -> None:
        """Finish ``rows`` at their current point (no new evaluation)."""
        finish(
            run,
            rows,
            status,
            t,
            detail[rows],
            x=run.X[rows],
            fun=run.F[rows],
            grad_norm=run.gn[rows],
            nfev=nfev,
        )

    def snapshot(run: _Rows) -> tuple[Array, Array]:
        xs, fs = out.x.copy(), out.fun.copy()
        xs[run.idx], fs[run.idx] = run.X, run.F
        return xs, fs

    # Iteration 0: the starts are finite (checked), so evaluate them.
    F, G = objective.value_and_grad(X0)
    gn2, gn = _grad_norm(box, X0, G)
    k = X0.shape[0]
    run = _Rows(np.arange(k), X0, F, G, gn, np.zeros(k, dtype=np.int64))
    bad = ~((np.abs(F) <= limit) & (gn2 < np.inf))
    if bad.any():
        f_bad = ~(np.abs(F) <= limit)
        finish(
            run,
            bad,
            Status.DIVERGED,
            0,
            np.where(f_bad, F, gn)[bad],
            diverged_at=0,
            fun=F[bad],
            grad_norm=gn[bad],
            nfev=1,
            cause=np.where(f_bad, Cause.F, Cause.GRAD)[bad],
        )
    conv = ~bad & (gn < rule.grad_tol)
    if conv.any():
        finish_here(run, conv, Status.CONVERGED_GRAD, 0, gn, 1)
    lr_now = None if scheduler is None else np.full(k, np.nan)  # the lr each row used last
    if recorder is not None:
        recorder.add(0, *snapshot(run), lr=_copy(lr_now))
    run = run.take(~(bad | conv))
    run.state = opt.init(run.X)
    has_nfev = hasattr(run.state, "nfev")
    if scheduler is not None and lr_table is None:
        run.sched = scheduler.init(run.idx.size, _base_lr(opt))
        run.lr = np.full(run.idx.size, _base_lr(opt))
    project = None if box is None else box.project
    t = 0
    stopped = False
    while run.idx.size and t < rule.max_iter and not stopped:
        t += 1
        lr = run.lr if lr_table is None else np.full(run.idx.size, lr_table[t - 1])
        kwargs: dict[str, Any] = {"value_fn": objective.value, "objective": objective}
        if lr is not None:
            kwargs["lr"] = lr
        if momenta is not None:  # the schedule's momentum: the kernel reads this step's H
            kwargs["momentum"] = float(momenta[t - 1])
        if opt.kernel is None and project is not None:
            kwargs["project"] = project
        step, run.state = opt.update(run.G, run.state, run.X, **kwargs)
        if has_nfev:
            run.extra += run.state.nfev
        if scheduler is not None and lr_table is None:
            run.lr, run.sched = scheduler.step(run.sched, run.F)
            run.lr = np.asarray(run.lr, dtype=np.float64)
        Xn = step + run.X

        # A step that is not taken (the line search found no decrease) or changes nothing (on
        # its own: a step that bounds clip away is a row pressing on a wall, not a stall).
        failed = getattr(run.state, "failed", None)
        still = (Xn == run.X).all(axis=1)
        if opt.pauses:  # a zero step is a pause (Rprop), unless the gradient itself is zero
            still &= (run.G == 0).all(axis=1)
        if lr is not None:  # a schedule at lr 0 (cosine annealing at T_max) pauses the row
            still &= lr > 0
        if box is not None:
            Xn = box.project(Xn)
        if failed is not None:
            still &= ~failed
            if failed.any():
                finish_here(
                    run, failed, Status.PRECISION_LOSS, t - 1, run.gn, t + run.extra[failed]
                )
        if still.any():
            finish_here(run, still, Status.STALLED, t - 1, run.gn, t + run.extra[still])
        if still.any() or (failed is not None and failed.any()):
            keep = ~still if failed is None else ~(still | failed)
            run, Xn = run.take(keep), Xn[keep]
            if lr is not None:
                lr = lr[keep]
            if not run.idx.size:
                break

        # Divergence in x: test before evaluating there.
        if not np.abs(Xn).max() <= limit:
            absx = np.abs(Xn)
            bad = ~(absx.max(axis=1) <= limit)
            worst = Xn[
                np.arange(Xn.shape[0]), np.argmax(np.where(np.isnan(Xn), np.inf, absx), axis=1)
            ]
            finish(
                run,
                bad,
                Status.DIVERGED,
                t,
                worst[bad],
                diverged_at=t,
                x=run.X[bad],
                fun=run.F[bad],
                grad_norm=run.gn[bad],
                nfev=t + run.extra[bad],
                cause=Cause.X,
            )
            keep = ~bad
            run, Xn = run.take(keep), Xn[keep]
            if lr is not None:
                lr = lr[keep]
            if not run.idx.size:
                break

        Fn, Gn = objective.value_and_grad(Xn)
        gn2, gnn = _grad_norm(box, Xn, Gn)
        if not (np.abs(Fn).max() <= limit and gn2.max() < np.inf):
            f_bad = ~(np.abs(Fn) <= limit)
            bad = f_bad | ~(gn2 < np.inf)
            finish(
                run,
                bad,
                Status.DIVERGED,
                t,
                np.where(f_bad, Fn, gnn)[bad],
                diverged_at=t,
                x=run.X[bad],
                fun=run.F[bad],
                grad_norm=run.gn[bad],
                nfev=t + 1 + run.extra[bad],
                cause=np.where(f_bad, Cause.F, Cause.GRAD)[bad],
            )
            keep = ~bad
            run, Xn, Fn, Gn, gnn = run.take(keep), Xn[keep], Fn[keep], Gn[keep], gnn[keep]
            if lr is not None:
                lr = lr[keep]
            if not run.idx.size:
                break

        trial = _Trial(run.X, run.F, Xn, Fn, gnn)
        done = np.zeros(run.idx.size, dtype=bool)
        for test in CRITERIA:
            tol = getattr(rule, test.tol)
            if tol <= 0:
                continue
            measure = test.measure(trial)
            hit = (measure < tol) & ~done
            if not hit.any():
                continue
            status: Any = test.status
            if status is Status.CONVERGED_X:
                still_steep = ~(gnn[hit] < rule.stationary_tol)
                status = np.where(still_steep, Status.SMALL_STEP, Status.CONVERGED_X)
            finish(
                run,
                hit,
                status,
                t,
                measure[hit],
                x=Xn[hit],
                fun=Fn[hit],
                grad_norm=gnn[hit],
                nfev=t + 1 + run.extra[hit],
            )
            done |= hit

        run.X, run.F, run.G, run.gn = Xn, Fn, Gn, gnn
        if callback is not None:
            stopped = _ask(callback, t, *snapshot(run))
        if lr_now is not None and lr is not None:
            lr_now[run.idx] = lr
        if done.any():
            run = run.take(~done)
        if recorder is not None:
            final = stopped or not run.idx.size
            if final or recorder.wants(t):
                recorder.add(t, *snapshot(run), final=final, lr=_copy(lr_now))

    # Rows still running ran out of iterations (or were stopped by the callback).
    if run.idx.size:
        rows = np.ones(run.idx.size, dtype=bool)
        status = Status.STOPPED if stopped else Status.MAX_ITER
        finish_here(run, rows, status, t, run.gn, t + 1 + run.extra)
    if recorder is not None and recorder.its[-1] != t:
        recorder.add(t, out.x.copy(), out.fun.copy(), final=True, lr=_copy(lr_now))
    return out


def _copy(a: Array | None) -> Array | None:
    return None if a is None else a.copy()


def _base_lr(opt: Optimizer) -> float:
    lr = opt.hyperparameters.get("lr")
    if lr is None:
        raise ConfigError(f"a scheduler needs an optimizer with an lr ({opt.name} has none)")
    return float(lr)


def _ask(callback: Callback, t: int, X: Array, F: Array) -> bool:
    """True if the callback asks to stop (by returning True or raising StopIteration)."""
    try:
        answer = callback(t, X, F)
    except StopIteration:
        return True
    return isinstance(answer, bool | np.bool_) and bool(answer)
