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
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from descentlab import checks
from descentlab.errors import ConfigError
from descentlab.optimizers import Optimizer
from descentlab.result import Cause, Result, Status, StopRule, Trajectory
from descentlab.stationary import classify_rows

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
    max_iter: int = 10_000,
    grad_tol: float = 1e-8,
    f_tol: float = 0.0,
    x_tol: float = 0.0,
    callback: Callback | None = None,
    record: bool | int | Literal["auto"] = "auto",
) -> Result:
    """Minimize ``objective`` from every row of ``X0`` with ``optimizer``, rows independently.

    Iteration ``t`` computes ``X_t = X_(t-1) + step``, evaluates f and its gradient there, then
    tests, for each running row and in this order:

    1. divergence: ``x`` not finite or some ``|x_i| > 1e150`` (tested before evaluating), ``f``
       not finite or ``|f| > 1e150``, or the gradient not finite (or its norm overflowing). The
       row keeps its last good iterate ``X_(t-1)``, its status is DIVERGED and
       ``diverged_at = t``. The start itself is tested the same way (``diverged_at = 0``).
    2. convergence: gradient 2-norm ``< grad_tol`` (also tested at the start), then
       ``|f_t - f_(t-1)| < f_tol``, then ``|x_t - x_(t-1)| < x_tol`` (2-norm).
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

    Returns:
        A :class:`~descentlab.result.Result` with one row per start.

    Raises:
        ConfigError: If ``X0`` is not (n,) or (k, n) with ``n == objective.dim``, is not finite
            real numbers, or a setting is out of range.

    Examples:
        >>> import numpy as np
        >>> from descentlab.optimizers import gd
        >>> class Square:
        ...     dim = 1
        ...     def value(self, X): return X[:, 0] ** 2
        ...     def grad(self, X): return 2 * X
        ...     def value_and_grad(self, X): return self.value(X), self.grad(X)
        >>> r = minimize(Square(), [1.0], gd(lr=1.5), record=False)
        >>> r.message[0]
        'diverged at iteration 250: |f| = 3.27e+150 exceeds 1e+150'
    """
    X = _check_starts(objective, X0)
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
    k, n = X.shape
    capacity = max(2, RECORD_BUDGET // (k * (n + 1))) if mode == "auto" else 0
    block = k if callback is not None else BLOCK_ROWS
    with np.errstate(all="ignore"):
        runs = [
            _run_block(
                objective,
                X[lo : lo + block],
                optimizer,
                rule,
                callback,
                None if mode == "off" else _Recorder(mode, stride, capacity),
            )
            for lo in range(0, k, block)
        ]
    joined = {name: np.concatenate([getattr(b, name) for b in runs]) for name in _FIELDS}
    trajectory = None if mode == "off" else _merge_records(runs)
    return classify_rows(objective, Result(**joined, trajectory=trajectory, stop=rule))


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
    """Snapshots (iteration, X, F) of one block at the iterations the mode asks for."""

    def __init__(self, mode: str, stride: int, capacity: int) -> None:
        self.mode, self.stride, self.capacity = mode, stride, capacity
        self.its: list[int] = []
        self.xs: list[Array] = []
        self.fs: list[Array] = []

    def wants(self, t: int) -> bool:
        return t % self.stride == 0

    def add(self, t: int, X: Array, F: Array, *, final: bool = False) -> None:
        """Keep a snapshot; in "auto" mode, halve the records first when they are full.

        A final record (a block's last iteration) is always kept, never thinned away.
        """
        if self.mode == "auto" and not final and len(self.its) >= self.capacity:
            keep = [j for j, it in enumerate(self.its) if it % (2 * self.stride) == 0]
            self.its = [self.its[j] for j in keep]
            self.xs = [self.xs[j] for j in keep]
            self.fs = [self.fs[j] for j in keep]
            self.stride *= 2
            if t % self.stride:
                return
        self.its.append(t)
        self.xs.append(X)
        self.fs.append(F)


def _merge_records(runs: Sequence[_Block]) -> Trajectory:
    """Join the blocks' records on a common set of iterations (the coarsest stride)."""
    recs = [b.recorder for b in runs if b.recorder is not None]
    stride = max(r.stride for r in recs)
    end = max(r.its[-1] for r in recs)
    its = list(range(0, end + 1, stride))
    if its[-1] != end:
        its.append(end)
    xs = np.empty((len(its), sum(r.xs[0].shape[0] for r in recs), recs[0].xs[0].shape[1]))
    fs = np.empty(xs.shape[:2])
    lo = 0
    for r in recs:
        where = {t: j for j, t in enumerate(r.its)}
        rows = slice(lo, lo + r.xs[0].shape[0])
        for j, t in enumerate(its):
            src = where[t] if t <= r.its[-1] else len(r.its) - 1
            xs[j, rows] = r.xs[src]
            fs[j, rows] = r.fs[src]
        lo = rows.stop
    return Trajectory(xs, fs, np.array(its, dtype=np.int64))


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


def _sq_norms(A: Array) -> Array:
    """Row-wise sum of squares, summed in column order so every row's rounding is its own."""
    n = A.shape[1]
    if n > 8:
        return np.add.reduce(A * A, axis=1)
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


def _run_block(
    objective: SupportsObjective,
    X0: Array,
    opt: Optimizer,
    rule: StopRule,
    callback: Callback | None,
    recorder: _Recorder | None,
) -> _Block:
    out = _Block.start(X0, recorder)
    limit = rule.limit
    idx = np.arange(X0.shape[0])  # block rows still running
    X = X0

    def finish(rows: NDArray[np.bool_], status: Status, t: int, detail: Array, **at: Any) -> None:
        where = idx[rows]
        out.status[where] = status
        out.nit[where] = t
        out.detail[where] = detail
        for name, values in at.items():
            getattr(out, name)[where] = values

    def snapshot(X: Array, F: Array) -> tuple[Array, Array]:
        xs, fs = out.x.copy(), out.fun.copy()
        xs[idx], fs[idx] = X, F
        return xs, fs

    # Iteration 0: the starts are finite (checked), so evaluate them.
    F, G = objective.value_and_grad(X)
    gn2 = _sq_norms(G)
    gn = np.sqrt(gn2)
    extra = np.zeros(idx.size, dtype=np.int64)  # value evaluations made by the optimizer
    bad = ~((np.abs(F) <= limit) & (gn2 < np.inf))
    if bad.any():
        f_bad = ~(np.abs(F) <= limit)
        finish(
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
        finish(conv, Status.CONVERGED_GRAD, 0, gn[conv], fun=F[conv], grad_norm=gn[conv], nfev=1)
    if recorder is not None:
        recorder.add(0, *snapshot(X, F))
    keep = ~(bad | conv)
    if not keep.all():
        idx, X, F, G, gn = idx[keep], X[keep], F[keep], G[keep], gn[keep]
        extra = extra[keep]
    state = opt.init(X)
    has_nfev = hasattr(state, "nfev")
    t = 0
    stopped = False
    while idx.size and t < rule.max_iter and not stopped:
        t += 1
        step, state = opt.update(G, state, X, value_fn=objective.value, value=F)
        if has_nfev:
            extra += state.nfev
        Xn = step + X

        # Divergence in x: test before evaluating there.
        if not np.abs(Xn).max() <= limit:
            xmax = np.abs(Xn).max(axis=1)
            bad = ~(xmax <= limit)
            finish(
                bad,
                Status.DIVERGED,
                t,
                xmax[bad],
                diverged_at=t,
                x=X[bad],
                fun=F[bad],
                grad_norm=gn[bad],
                nfev=t + extra[bad],
                cause=Cause.X,
            )
            keep = ~bad
            idx, X, Xn, F, G, gn = idx[keep], X[keep], Xn[keep], F[keep], G[keep], gn[keep]
            state, extra = _take(state, keep), extra[keep]
            if not idx.size:
                break

        Fn, Gn = objective.value_and_grad(Xn)
        gn2 = _sq_norms(Gn)
        absf = np.abs(Fn)
        if not (absf.max() <= limit and gn2.max() < np.inf):
            f_bad = ~(absf <= limit)
            bad = f_bad | ~(gn2 < np.inf)
            finish(
                bad,
                Status.DIVERGED,
                t,
                np.where(f_bad, Fn, np.sqrt(gn2))[bad],
                diverged_at=t,
                x=X[bad],
                fun=F[bad],
                grad_norm=gn[bad],
                nfev=t + 1 + extra[bad],
                cause=np.where(f_bad, Cause.F, Cause.GRAD)[bad],
            )
            keep = ~bad
            idx, X, Xn, F, Fn = idx[keep], X[keep], Xn[keep], F[keep], Fn[keep]
            Gn, gn2 = Gn[keep], gn2[keep]
            state, extra = _take(state, keep), extra[keep]
            if not idx.size:
                break

        gnn = np.sqrt(gn2)
        done = None
        if rule.grad_tol > 0 and gnn.min() < rule.grad_tol:
            done = gnn < rule.grad_tol
            _finish_converged(finish, done, Status.CONVERGED_GRAD, t, gnn, Xn, Fn, gnn, extra)
        if rule.f_tol > 0:
            df = np.abs(Fn - F)
            hit = df < rule.f_tol
            if done is not None:
                hit &= ~done
            if hit.any():
                _finish_converged(finish, hit, Status.CONVERGED_F, t, df, Xn, Fn, gnn, extra)
                done = hit if done is None else done | hit
        if rule.x_tol > 0:
            dx = np.sqrt(_sq_norms(Xn - X))
            hit = dx < rule.x_tol
            if done is not None:
                hit &= ~done
            if hit.any():
                _finish_converged(finish, hit, Status.CONVERGED_X, t, dx, Xn, Fn, gnn, extra)
                done = hit if done is None else done | hit

        X, F, G, gn = Xn, Fn, Gn, gnn
        if callback is not None:
            stopped = _ask(callback, t, *snapshot(X, F))
        if done is not None and done.any():
            keep = ~done
            idx, X, F, G, gn = idx[keep], X[keep], F[keep], G[keep], gn[keep]
            state, extra = _take(state, keep), extra[keep]
        if recorder is not None:
            final = stopped or not idx.size
            if final or recorder.wants(t):
                recorder.add(t, *snapshot(X, F), final=final)

    # Rows still running ran out of iterations (or were stopped by the callback).
    if idx.size:
        rows = np.ones(idx.size, dtype=bool)
        status = Status.STOPPED if stopped else Status.MAX_ITER
        finish(rows, status, t, gn, x=X, fun=F, grad_norm=gn, nfev=t + 1 + extra)
        if recorder is not None and recorder.its[-1] != t:
            recorder.add(t, out.x.copy(), out.fun.copy(), final=True)
    return out


def _finish_converged(
    finish: Callable[..., None],
    rows: NDArray[np.bool_],
    status: Status,
    t: int,
    detail: Array,
    X: Array,
    F: Array,
    gn: Array,
    extra: NDArray[np.int64],
) -> None:
    finish(
        rows,
        status,
        t,
        detail[rows],
        x=X[rows],
        fun=F[rows],
        grad_norm=gn[rows],
        nfev=t + 1 + extra[rows],
    )


def _ask(callback: Callback, t: int, X: Array, F: Array) -> bool:
    """True if the callback asks to stop (by returning True or raising StopIteration)."""
    try:
        return callback(t, X, F) is True
    except StopIteration:
        return True
