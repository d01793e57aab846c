"""What a run of :func:`descentlab.descent.minimize` returns: per-row outcomes and the path.

A :class:`Result` holds one row per start. Each row says where it ended (``x``, ``fun``), why it
stopped (``status``, a :class:`Status`) and how long it took (``nit``, ``nfev``). A row that
diverged keeps its last finite iterate in ``x`` and ``fun`` but its status is
:attr:`Status.DIVERGED`: it is never reported as a minimum (``success`` is False and ``best``
skips it). The optional :class:`Trajectory` holds the recorded iterates.

Examples:
    >>> import numpy as np
    >>> r = Result(
    ...     x=np.array([[1.0]]), fun=np.array([2.0]), grad_norm=np.array([1e-13]),
    ...     status=np.array([Status.CONVERGED_GRAD]), nit=np.array([4321]), nfev=np.array([4322]),
    ...     diverged_at=np.array([-1]), detail=np.array([1e-13]),
    ...     stop=StopRule(max_iter=100_000, grad_tol=1e-12),
    ... )
    >>> r.message
    ['converged: gradient norm 1e-13 < grad_tol 1e-12 after 4,321 iterations']
    >>> bool(r.success[0]), r.best
    (True, 0)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SCENE_STOPS",
    "STATUS_MESSAGES",
    "Cause",
    "Result",
    "RowOutcome",
    "Stationary",
    "Status",
    "StopRule",
    "Trajectory",
    "scene_stops",
]


class Status(IntEnum):
    """Why a row stopped. The first three are successes (:attr:`converged`)."""

    CONVERGED_GRAD = 0
    CONVERGED_F = 1
    CONVERGED_X = 2
    MAX_ITER = 3
    DIVERGED = 4
    STOPPED = 5
    PRECISION_LOSS = 6
    STALLED = 7
    SMALL_STEP = 8

    @property
    def label(self) -> str:
        """The short name the CLI and JSON print; every status has its own.

        Examples:
            >>> Status.CONVERGED_F.label
            'converged_f'
        """
        return _LABELS[self]

    @property
    def converged(self) -> bool:
        """True for the three convergence criteria."""
        return self <= Status.CONVERGED_X


_LABELS = {
    Status.CONVERGED_GRAD: "converged",
    Status.CONVERGED_F: "converged_f",
    Status.CONVERGED_X: "converged_x",
    Status.MAX_ITER: "max_iter",
    Status.DIVERGED: "diverged",
    Status.STOPPED: "stopped",
    Status.PRECISION_LOSS: "precision_loss",
    Status.STALLED: "stalled",
    Status.SMALL_STEP: "small_step",
}

STATUS_MESSAGES: dict[Status, str] = {
    Status.CONVERGED_GRAD: "converged: the gradient norm fell below grad_tol",
    Status.CONVERGED_F: "converged_f: the change in f fell below f_tol",
    Status.CONVERGED_X: "converged_x: the step length fell below x_tol at a stationary point",
    Status.MAX_ITER: "max_iter: the iteration limit was reached",
    Status.DIVERGED: "diverged: the iterates or values became non-finite or blew up",
    Status.STOPPED: "stopped: the callback asked to stop",
    Status.PRECISION_LOSS: (
        "precision_loss: the line search found no step that decreases f enough, so none was taken"
    ),
    Status.STALLED: "stalled: the step left x unchanged",
    Status.SMALL_STEP: (
        "small_step: the step length fell below x_tol where the gradient is not small "
        "(small step, not stationary)"
    ),
}
"""One sentence per status; :attr:`Result.message` adds the numbers of each row."""

_STATUSES = {int(s): s for s in Status}  # code -> Status, cheaper than Status(code) per row
_LAST_CONVERGED = int(Status.CONVERGED_X)


@functools.lru_cache(maxsize=16)  # a rule is frozen: its sentences are made once
def _formats(rule: StopRule) -> dict[Status, tuple[str, tuple[str, ...]]]:
    """Each status's :attr:`Result.message` as a ``%``-format and the numbers of a row it takes.

    The numbers are ``value`` (``Result.detail``), ``gnorm`` (the gradient norm) and ``after``
    ("after 1,234 iterations"); a diverged row's sentence is :func:`_diverged`'s.
    """
    stationary = f"{rule.stationary_tol:.3g}"
    return {
        Status.CONVERGED_GRAD: (
            f"converged: gradient norm %.3g < grad_tol {rule.grad_tol:g} %s",
            ("value", "after"),
        ),
        Status.CONVERGED_F: (
            f"converged_f: |f_k - f_(k-1)| = %.3g < f_tol {rule.f_tol:g} %s",
            ("value", "after"),
        ),
        Status.CONVERGED_X: (
            f"converged_x: |x_k - x_(k-1)| = %.3g < x_tol {rule.x_tol:g} %s",
            ("value", "after"),
        ),
        Status.SMALL_STEP: (
            f"small_step (not stationary): |x_k - x_(k-1)| = %.3g < x_tol {rule.x_tol:g} but "
            f"gradient norm %.3g >= {stationary} %s",
            ("value", "gnorm", "after"),
        ),
        Status.PRECISION_LOSS: (
            "precision_loss: no line-search step decreases f enough at gradient norm %.3g "
            "(f cannot be lowered at this precision), %s",
            ("gnorm", "after"),
        ),
        Status.STALLED: (
            "stalled: the step left x unchanged at gradient norm %.3g, %s",
            ("gnorm", "after"),
        ),  # fmt: skip
        Status.MAX_ITER: (
            f"max_iter: reached max_iter {rule.max_iter:,} with gradient norm %.3g",
            ("gnorm",),
        ),
        Status.STOPPED: ("stopped: the callback stopped the run %s", ("after",)),
    }


def _after(nit: int) -> str:
    return f"after {nit:,} iteration{'' if nit == 1 else 's'}"


def _diverged(rule: StopRule, value: float, cause: int, at: int, f: float) -> str:
    """A diverged row's :attr:`Result.message`: where, and which number blew up."""
    why_cause = Cause(cause)
    name = {Cause.X: "x_i", Cause.F: "f", Cause.GRAD: "the gradient"}.get(why_cause, "a value")
    size = {Cause.X: "|x_i|", Cause.F: "|f|"}.get(why_cause, "|value|")
    if not math.isfinite(value):
        why = f"{name} is {value}"
    elif why_cause is Cause.GRAD:
        why = f"gradient norm {value:.3g} overflows"
    else:
        why = f"{name} = {value:.3g}, {size} > {rule.limit:g}"
    if at > 0:
        why += f" (the row keeps iteration {at - 1:,}, f = {f:.3g})"
    return f"diverged at iteration {at:,}: {why}"


class Cause(IntEnum):
    """What a diverged row tripped over (NONE for rows that did not diverge)."""

    NONE = 0
    X = 1
    F = 2
    GRAD = 3


class Stationary(IntEnum):
    """What kind of stationary point a converged row ended at (see :mod:`descentlab.stationary`).

    NONE marks rows that were not classified: they did not converge.
    """

    NONE = 0
    MINIMUM = 1
    MAXIMUM = 2
    SADDLE = 3
    DEGENERATE = 4

    @property
    def label(self) -> str | None:
        """``minimum``, ``maximum``, ``saddle``, ``degenerate``, or None for NONE.

        Examples:
            >>> Stationary.SADDLE.label
            'saddle'
        """
        return None if self is Stationary.NONE else self.name.lower()


@dataclass(frozen=True)
class StopRule:
    """The stopping settings of a run (a tolerance of 0 turns its criterion off).

    Attributes:
        max_iter: Iteration limit per row.
        grad_tol: Stop when the gradient's 2-norm is below this.
        f_tol: Stop when ``|f_k - f_(k-1)|`` is below this.
        x_tol: Stop when ``|x_k - x_(k-1)|`` (2-norm) is below this.
        limit: Divergence threshold on ``|x_i|`` and ``|f|``.
    """

    max_iter: int = 10_000
    grad_tol: float = 1e-8
    f_tol: float = 0.0
    x_tol: float = 0.0
    limit: float = 1e150

    @property
    def stationary_tol(self) -> float:
        """The gradient norm below which a small step (``x_tol``) counts as convergence.

        ``max(grad_tol, sqrt(x_tol))``: a step shorter than ``x_tol`` where the gradient is
        larger than this is SMALL_STEP (small step, not stationary), never CONVERGED_X.

        Examples:
            >>> StopRule(grad_tol=1e-8, x_tol=1e-6).stationary_tol
            0.001
        """
        return float(max(self.grad_tol, self.x_tol**0.5))


SCENE_STOPS: dict[str, tuple[StopRule, str]] = {
    "descent-1d": (
        StopRule(max_iter=100_000, grad_tol=1e-12),
        "one descent told to its end: it stops where the slope is zero",
    ),
    "remedies": (
        StopRule(max_iter=100_000, grad_tol=1e-12),
        "each remedy runs to its valley's bottom, as descent-1d",
    ),
    "contour": (
        StopRule(max_iter=3000, grad_tol=0.0, f_tol=1e-6),
        "the original notebook's multivariable cell",
    ),
    "surface": (
        StopRule(max_iter=3000, grad_tol=0.0, f_tol=1e-6),
        "the original notebook's multivariable cell, as contour",
    ),
    "race": (StopRule(max_iter=2000), "every runner gets the same budget, short enough to watch"),
    "lr-sweep": (
        StopRule(max_iter=300),
        "a short fixed budget shows which rates converged, still crawl or diverge",
    ),
    "basins": (
        StopRule(grad_tol=1e-6),
        "a start belongs to the minimum it reaches; 1e-6 is close enough for 8,100 starts",
    ),
}
"""The stop settings of the scenes that run descents, each with the reason it differs from
``descentlab run``'s (:class:`StopRule`'s defaults); ``animate --help`` prints this table, and
every scene reads its own row through :func:`scene_stops`."""


def scene_stops(scene: str, **given: float | None) -> dict[str, Any]:
    """A scene's stop settings (``max_iter`` and the tolerances): :data:`SCENE_STOPS`'s row,
    with every setting in ``given`` that is not None taking its place."""
    rule = SCENE_STOPS[scene][0]
    chosen: dict[str, Any] = {
        "max_iter": rule.max_iter, "grad_tol": rule.grad_tol,
        "f_tol": rule.f_tol, "x_tol": rule.x_tol,
    }  # fmt: skip
    unknown = set(given) - set(chosen)
    if unknown:
        raise TypeError(f"scene_stops: unknown settings {sorted(unknown)}")
    chosen |= {k: v for k, v in given.items() if v is not None}
    return chosen


@dataclass
class RowOutcome:
    """The per-row outcome arrays that a compiled loop (the fused loop, the compiled line search)
    fills in place, and the Result fields it hands back to ``minimize``.

    Its fields ``status``, ``nit``, ``nfev``, ``detail``, ``cause`` and ``diverged_at`` are (k,)
    arrays as in :class:`Result`; a row still running has the loop's own "running" code as its
    status.
    """

    status: NDArray[np.int64]
    nit: NDArray[np.int64]
    nfev: NDArray[np.int64]
    detail: NDArray[np.float64]
    cause: NDArray[np.int8]
    diverged_at: NDArray[np.int64]

    @classmethod
    def running(cls, k: int, code: int) -> RowOutcome:
        """``k`` rows, each with the status ``code`` (running), no iterations and no cause."""
        return cls(
            status=np.full(k, code, dtype=np.int64),
            nit=np.zeros(k, dtype=np.int64),
            nfev=np.zeros(k, dtype=np.int64),
            detail=np.full(k, np.nan),
            cause=np.zeros(k, dtype=np.int8),
            diverged_at=np.full(k, -1, dtype=np.int64),
        )

    def fields(
        self,
        x: NDArray[np.float64],
        fun: NDArray[np.float64],
        grad_norm: NDArray[np.float64],
        *,
        t: int,
        stopped: bool,
        code: int,
        extra: NDArray[np.int64] | int = 0,
    ) -> dict[str, Any]:
        """The Result's per-row fields, after ending the rows still running (status ``code``)
        at iteration ``t``: stopped by the callback or out of iterations, with ``t + 1``
        evaluations plus their ``extra`` ones (a line search's trials) and their gradient norm
        as the detail."""
        still = self.status == code
        if still.any():
            self.status[still] = int(Status.STOPPED if stopped else Status.MAX_ITER)
            self.nit[still] = t
            self.nfev[still] = t + 1 + (extra[still] if isinstance(extra, np.ndarray) else extra)
            self.detail[still] = grad_norm[still]
        return {"x": x, "fun": fun, "grad_norm": grad_norm, **vars(self)}


@dataclass(frozen=True)
class Trajectory:
    """Recorded iterates, shared iteration numbers for all rows.

    Row ``i`` of record ``j`` is the iterate of start ``i`` at iteration ``min(its[j], nit[i])``:
    a row that has finished stays frozen at its final point, so the last record holds every
    row's final point.

    Attributes:
        xs: (T, k, n) the points.
        fs: (T, k) f at the points.
        its: (T,) the iteration number of each record; 0 is the start.
        lrs: (T, k) the learning rate each row's step to that record used (``nan`` at the
            start), kept when the run had a scheduler; otherwise None.
    """

    xs: NDArray[np.float64]
    fs: NDArray[np.float64]
    its: NDArray[np.int64]
    lrs: NDArray[np.float64] | None = None

    def path(self, i: int) -> NDArray[np.float64]:
        """The (T, n) path of row ``i``."""
        return self.xs[:, i, :]

    def __len__(self) -> int:
        return int(self.its.shape[0])


@dataclass(frozen=True, repr=False)
class Result:
    """The outcome of a batched run, one row per start (a frozen record, like scipy's).

    Attributes:
        x: (k, n) where each row ended (a diverged row: its last finite iterate).
        fun: (k,) f at ``x``.
        grad_norm: (k,) 2-norm of the gradient at ``x``.
        status: (k,) :class:`Status` codes.
        nit: (k,) iterations (updates) made by each row.
        nfev: (k,) objective evaluations made for each row (value and gradient count as one).
        diverged_at: (k,) the iteration at which divergence was detected, -1 if none.
        trajectory: The recorded iterates, or None if nothing was recorded.
        detail: (k,) the number behind each status (the gradient norm, change in f or step
            length that met its tolerance; for a diverged row the offending value), or None.
        cause: (k,) :class:`Cause` codes of diverged rows, or None.
        stop: The settings the run used (for the messages), or None.
        stationary: (k,) :class:`Stationary` codes: what each converged row ended at (minimum,
            maximum, saddle or degenerate, from the Hessian's eigenvalues); NONE for the rows
            that did not converge. None when not classified.
        in_domain: (k,) whether each row ended inside the objective's domain (None when the
            objective has no domain).
    """

    x: NDArray[np.float64]
    fun: NDArray[np.float64]
    grad_norm: NDArray[np.float64]
    status: NDArray[np.int64]
    nit: NDArray[np.int64]
    nfev: NDArray[np.int64]
    diverged_at: NDArray[np.int64]
    trajectory: Trajectory | None = None
    detail: NDArray[np.float64] | None = None
    cause: NDArray[np.int8] | None = None
    stop: StopRule | None = None
    stationary: NDArray[np.int8] | None = None
    in_domain: NDArray[np.bool_] | None = None

    @property
    def k(self) -> int:
        """Number of rows (starts)."""
        return int(self.x.shape[0])

    @property
    def n(self) -> int:
        """Number of variables."""
        return int(self.x.shape[1])

    @property
    def success(self) -> NDArray[np.bool_]:
        """(k,) True where the row converged (on the gradient, on f or on x)."""
        return self.status <= _LAST_CONVERGED  # (an int: an array against an IntEnum took 7 us)

    @property
    def message(self) -> list[str]:
        """One sentence per row: its status label, the numbers behind it, the iterations.

        Examples: ``"converged: gradient norm 3.2e-13 < grad_tol 1e-12 after 4,321
        iterations"``, ``"diverged at iteration 37: f is inf"``.
        """
        return self.messages(range(self.k))

    def row_message(self, i: int) -> str:
        """The :attr:`message` of row ``i`` alone (``message`` builds the sentence of every row)."""
        return self.messages(range(i, i + 1))[0]

    def messages(self, rows: range) -> list[str]:
        """The :attr:`message` of each row of ``rows`` (a contiguous range), column by column.

        The numbers of the rows are read as Python scalars once per column, not once per row,
        so that a million-row ``run --json`` spends its time on its sentences only.
        """
        s = slice(rows.start, rows.stop)
        status = self.status[s]
        if self.stop is None or self.detail is None:
            texts = [STATUS_MESSAGES[_STATUSES[v]] for v in status.tolist()]
        else:
            texts = [""] * len(status)
            formats = _formats(self.stop)
            # the codes present (np.bincount: np.unique imports numpy.ma, 10-20 ms of a run)
            for code in np.flatnonzero(np.bincount(status)).tolist():
                at = np.flatnonzero(status == code)
                i = at + rows.start
                if code == Status.DIVERGED:
                    causes = np.zeros(len(i), int) if self.cause is None else self.cause[i]
                    columns = (self.detail[i], causes, self.diverged_at[i], self.fun[i])
                    rows_of = zip(*(c.tolist() for c in columns), strict=True)
                    made = [_diverged(self.stop, *row) for row in rows_of]
                else:
                    form, names = formats[_STATUSES[code]]
                    numbers = (self._numbers(name, i) for name in names)
                    made = [form % row for row in zip(*numbers, strict=True)]
                for j, text in zip(at.tolist(), made, strict=True):
                    texts[j] = text
        if self.in_domain is not None:
            outside = " (ended outside the domain)"
            texts = [
                t if ok else t + outside
                for t, ok in zip(texts, self.in_domain[s].tolist(), strict=True)
            ]
        return texts

    def _numbers(self, name: str, rows: NDArray[np.intp]) -> list[Any]:
        """The numbers called ``name`` in :func:`_formats` of ``rows``, as Python scalars."""
        if name == "after":
            return list(map(_after, self.nit[rows].tolist()))
        assert self.detail is not None  # messages() formats only when there is one
        numbers: list[float] = (self.detail if name == "value" else self.grad_norm)[rows].tolist()
        return numbers

    @property
    def best(self) -> int | None:
        """Index of the lowest ``fun`` among rows that did not diverge (None if all did)."""
        ok = np.flatnonzero(self.status != Status.DIVERGED)
        if ok.size == 0:
            return None
        return int(ok[np.argmin(self.fun[ok])])

    def row(self, i: int) -> Result:
        """Row ``i`` as a Result of one row (with its part of the trajectory)."""
        if not -self.k <= i < self.k:
            raise IndexError(f"row {i!r} out of range for a Result of {self.k} rows")
        s = slice(i, i + 1) if i != -1 else slice(-1, None)
        traj = self.trajectory
        if traj is not None:
            lrs = None if traj.lrs is None else traj.lrs[:, s]
            traj = Trajectory(traj.xs[:, s], traj.fs[:, s], traj.its, lrs)
        return Result(
            self.x[s],
            self.fun[s],
            self.grad_norm[s],
            self.status[s],
            self.nit[s],
            self.nfev[s],
            self.diverged_at[s],
            traj,
            None if self.detail is None else self.detail[s],
            None if self.cause is None else self.cause[s],
            self.stop,
            None if self.stationary is None else self.stationary[s],
            None if self.in_domain is None else self.in_domain[s],
        )

    def __repr__(self) -> str:
        with np.printoptions(precision=6, threshold=20, edgeitems=3):
            labels = [Status(int(s)).label for s in self.status[:6]]
            more = ", ..." if self.k > 6 else ""
            recorded = "None" if self.trajectory is None else f"<{len(self.trajectory)} records>"
            lines = [
                f"x: {np.array2string(self.x, prefix='x: ')}",
                f"fun: {self.fun}",
                f"success: {self.success}",
                f"status: [{', '.join(labels)}{more}]",
                f"grad_norm: {self.grad_norm}",
                f"nit: {self.nit}",
                f"nfev: {self.nfev}",
                f"diverged_at: {self.diverged_at}",
                f"trajectory: {recorded}",
            ]
        return "Result(\n  " + "\n  ".join(lines) + "\n)"
