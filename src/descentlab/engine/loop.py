"""The fused compiled descent loop: evaluate, gradient, rule, stop tests and records in one place.

For a formula (or catalogue) objective and an elementwise rule, :func:`descentlab.minimize`
hands the whole run to :func:`run_fused`. The rows are cut into blocks of :data:`BLOCK` rows;
for each block (ranges of blocks on ``numba.get_num_threads()`` Python threads; the compiled
code drops the GIL), compiled code runs up to a chunk of iterations of exactly what the general
loop of :mod:`descentlab.descent` does:

1. ``step = rule(G)`` (:func:`descentlab.engine.rules.rule_step`), ``X_t = X_(t-1) + step``;
   a step that changes no coordinate ends the row STALLED (unless it is a pause of the rule:
   ``Optimizer.pauses`` and a nonzero gradient); with bounds, ``X_t`` is projected.
2. divergence in x (before evaluating), then ``F, G`` by the program's interpreter
   (:func:`descentlab.engine.interp.forward_backward`), divergence in f or the gradient;
3. the convergence tests of :data:`descentlab.descent.CRITERIA`, in the same order;
4. the snapshot of the iterations the recorder asked for (points, values and, with a
   scheduler, the lr each row used last).

Each step works on all rows of the block at once (loops over the rows innermost, so they
vectorize); only the rows where something happens (a stall, a divergence, a test met) take a
per-row path.

Then control returns to Python, which keeps the records, calls the callback (after *every*
iteration when there is one: the chunk is then one iteration long) and starts the next chunk.
A row's numbers depend on nothing but its own start: not on its block, the other rows, or the
number of threads, so a batched run equals k solo runs bit for bit, and equals the general loop
(the same rule kernel, the same interpreter, the same order of operations; gradient norms are
summed in coordinate order, as the general loop does for n <= 8 variables).

This module imports numba; :mod:`descentlab.descent` imports it on first use.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba
import numpy as np
from numba import types

from descentlab.engine import rules
from descentlab.engine.interp import sweep_for
from descentlab.engine.jit import (
    TWIN_SECONDS,
    address,
    compiled,
    here,
    inline,
    jit,
    meanwhile,
    pending,
    python,
    signature,
)
from descentlab.result import Cause, RowOutcome, Status

__all__ = ["BLOCK", "CHUNK", "REC_FLOATS", "chunk_for", "run_fused"]

BLOCK = 256
"""Rows per block: a block's program slots and state stay in the CPU cache."""

CHUNK = 4096
"""Fewest iterations per compiled call when nothing needs Python in between (no callback)."""

CHUNK_WORK = 1 << 22
"""...a call of fewer rows runs more iterations, this many row-iterations (at most
:data:`CHUNK_MAX`): a call costs ~40 us of Python and argument passing, which at one start of
Rosenbrock (~0.17 us an iteration) was ~5% of a chunk of 4,096 iterations."""

CHUNK_MAX = 1 << 16
"""Most iterations per compiled call (~15 ms at one start of Rosenbrock: Ctrl-C waits for the
call to end, and each call holds an array of this many learning rates)."""


_ENTRY: list[Any] = []
"""The compiled :func:`_chunk_block`, once found: every run calls it with the same argument
types (the rule and the sweep are passed by address), so a run skips :func:`~descentlab.engine.
jit.compiled`'s look-up of its 35 argument types (~20 us of a one-start run's fixed cost)."""


def chunk_for(k: int) -> int:
    """Iterations per compiled call for ``k`` rows (when nothing needs Python in between)."""
    return max(CHUNK, min(CHUNK_MAX, CHUNK_WORK // k))


TWIN_CHUNK = 256
"""Most iterations per call while the run goes on as Python (:func:`~descentlab.engine.jit.twin`):
between calls it looks whether the compiled code has come."""


def python_seconds(k: int, iterations: int, m: int, n: int, evaluations: int = 1) -> float:
    """About how long ``iterations`` of ``k`` rows take as Python (the twins, see
    :func:`~descentlab.engine.jit.meanwhile`), for a program of ``m`` slots in ``n`` variables
    and ``evaluations`` per iteration: ~70 us per block and iteration, plus ~1.5 us per slot
    (and per 4 variables) and row (measured on Rosenbrock, the notebook's trig surface and
    Ackley, 1-100 rows, GD, Adam and the line search, at 3 evaluations)."""
    blocks = -(-k // BLOCK)
    return evaluations * iterations * (7e-5 * blocks + 1.5e-6 * k * (m + 4 * n))


TWIN_TRY_SECONDS = 1.0
"""A run longer than :data:`~descentlab.engine.jit.TWIN_SECONDS` as Python (by its
``max_iter``) still starts as Python, for this long: most runs stop long before ``max_iter``
(a learner's first run converges in a few hundred iterations). Then it compiles here, and the
second process goes on with the rest; a run that does not stop early pays these seconds more."""

TWIN_STEP_SECONDS = 0.05
"""...unless one of its iterations as Python would take longer than this (many starts): it
compiles first, as it would make no headway as Python."""


class Twins:
    """A run's way through a cache that lacks ``needs`` (``(fn, argument types)``: what its loop
    calls): as Python while the second process compiles them (:func:`~descentlab.engine.jit.
    meanwhile`), chunk by chunk, until they come or its time as Python is up; compiled after
    that. ``needs`` empty (all compiled here already) or ``on`` False: compiled throughout.

    ``k`` rows, at most ``iterations``, a program of ``m`` slots in ``n`` variables,
    ``evaluations`` per iteration (:func:`python_seconds`).
    """

    def __init__(self, needs: list[Any], k: int, iterations: int, m: int, n: int,
                 evaluations: int = 1) -> None:  # fmt: skip
        step = python_seconds(k, 1, m, n, evaluations)
        whole = step * iterations
        short = whole <= TWIN_SECONDS  # as Python until the code comes, else for a while
        self.needs = needs
        self.on = (
            bool(needs)
            and step <= TWIN_STEP_SECONDS
            and meanwhile(needs, whole if short else TWIN_TRY_SECONDS)  # its time as Python
        )
        self.until = math.inf if short else time.perf_counter() + TWIN_TRY_SECONDS
        self.chunk = max(1, min(TWIN_CHUNK, int(0.25 / step)))  # ~0.25 s as Python at most

    def now(self) -> bool:
        """Whether the next chunk goes as Python (once not, never again in this run)."""
        self.on = self.on and time.perf_counter() < self.until and pending(self.needs)
        return self.on


REC_FLOATS = 1 << 22
"""Most floats of trajectory one compiled call may write before Python keeps them."""

RUNNING = -1

_ROWS = types.float64[:, ::1]  # (.., B): one row of B numbers per variable or slot
_VALUES = types.float64[::1]  # (B,)
_PROGRAM = (types.int64[:, ::1], types.float64[::1])  # code, consts

INTERP = types.FunctionType(types.void(*_PROGRAM, _ROWS, _ROWS, _ROWS, _VALUES, _ROWS))
"""The numba type of :func:`~descentlab.engine.interp.forward_backward` (``code, consts, XT,
work, adj, F, GT``) as the fused loop takes it: a first-class function, so the loop calls the
interpreter's one compiled copy instead of compiling its own."""

FORWARD = types.FunctionType(types.void(*_PROGRAM, _ROWS, _ROWS, _VALUES))
"""The numba type of :func:`~descentlab.engine.interp.forward` (``code, consts, XT, work, F``)
as the line search takes it: a first-class function, like :data:`INTERP`."""


_CONV_GRAD = int(Status.CONVERGED_GRAD)
_CONV_F = int(Status.CONVERGED_F)
_CONV_X = int(Status.CONVERGED_X)
_SMALL_STEP = int(Status.SMALL_STEP)
_DIVERGED = int(Status.DIVERGED)
_STALLED = int(Status.STALLED)
_CAUSE_X = int(Cause.X)
_CAUSE_F = int(Cause.F)
_CAUSE_GRAD = int(Cause.GRAD)


@inline
def _grad_sq(X, G, lo, hi, bounded, out):
    """Squared norms ``out`` (B,) of the gradients ``G`` (n, B), projected on the box when
    ``bounded``; summed in coordinate order, as the general loop sums them. Inlined: a call
    passes each array as its ~9 fields, ~5% of an iteration at one row."""
    n, B = G.shape
    for b in range(B):
        out[b] = 0.0
    for i in range(n):
        if bounded:
            lo_i = lo[i]
            hi_i = hi[i]
            for b in range(B):
                g = G[i, b]
                x = X[i, b]
                blocked = (x <= lo_i and g > 0) or (x >= hi_i and g < 0)
                g = 0.0 if blocked else g
                out[b] += g * g
        else:
            for b in range(B):
                g = G[i, b]
                out[b] += g * g


@jit
def take_cols(A, a0, out):  # noqa: ANN001, ANN201
    """``out`` (r, B) = columns ``a0:a0 + B`` of ``A`` (r, k): a block's rows, contiguous.

    A loop, not ``np.ascontiguousarray(A[:, a0:a1])``: that overload took half a second to
    compile for each array type (2D, 3D) in each compiled function that used it.
    """
    for i in range(out.shape[0]):
        for b in range(out.shape[1]):
            out[i, b] = A[i, a0 + b]
    return out


@jit
def start_verdict(r, f, gn2, gn, limit, grad_tol, status, nfev, detail, cause, div_at):  # noqa: ANN001
    """Row ``r``'s outcome at its start (f and the squared gradient norm there): diverged (f
    beyond ``limit`` or the gradient not finite), converged (``|grad| < grad_tol``) or running.
    The fused loop and the compiled line search both judge their starts here."""
    f_bad = not (abs(f) <= limit)
    if f_bad or not (gn2 < np.inf):
        status[r] = _DIVERGED
        nfev[r] = 1
        div_at[r] = 0
        detail[r] = f if f_bad else gn
        cause[r] = _CAUSE_F if f_bad else _CAUSE_GRAD
    elif gn < grad_tol:
        status[r] = _CONV_GRAD
        nfev[r] = 1
        detail[r] = gn
    else:
        status[r] = RUNNING


@jit
def _chunk_block(rule, interp, code, consts, H, pauses, lrs, XT, FT, GT, GN, S, LR, status, nit,
                 nfev, detail, cause, div_at, start, t0, grad_tol, f_tol, x_tol, stat_tol, limit,
                 lo, hi, bounded, rec_its, rec_X, rec_F, rec_L, a0, a1):  # fmt: skip
    """Iterations ``t0 + 1 .. t0 + len(lrs)`` for the running rows ``a0:a1`` (one block);
    first, if ``start``, iteration 0: the starts are evaluated and diverged or converged rows
    finish there (one compiled function for both: a run compiles and calls one).

    Each iteration makes a few passes over all the block's rows (rows innermost, no branch, so
    they vectorize): the rule; the new points, counting the coordinates that did not move or
    passed the limit; the interpreter; the gradient norms; the tests, counting the rows where
    something happened (a divergence in f or the gradient, a test met). Only when a count is
    not zero do the rows take a per-row path.
    The new point, value, gradient and norm are written to a second set of arrays; when every
    row of the block took the step, the two sets swap (no copy), otherwise the rows that took
    it are copied over. Returns the iteration at which the block's last running row finished
    (``t0`` if none ran; ``t0 + len(lrs)`` if some still run).
    """
    n = XT.shape[0]
    m = code.shape[0]
    s = S.shape[0]
    c = lrs.shape[0]
    R = rec_its.shape[0]
    B = a1 - a0
    X = take_cols(XT, a0, np.empty((n, B)))
    G = np.empty((n, B))
    F = np.empty(B)
    gn = np.empty(B)
    gn2 = np.empty(B)
    work = np.empty((m, B))
    adj = np.empty((m + 1, B))
    if start:  # iteration 0: f and the gradient at the starts
        interp(code, consts, X, work, adj, F, G)
        _grad_sq(X, G, lo, hi, bounded, gn2)
        for b in range(B):
            gn[b] = np.sqrt(gn2[b])
            start_verdict(a0 + b, F[b], gn2[b], gn[b], limit, grad_tol, status, nfev, detail,
                          cause, div_at)  # fmt: skip
    else:
        take_cols(GT, a0, G)
        for b in range(B):
            F[b] = FT[a0 + b]
            gn[b] = GN[a0 + b]
    St = np.empty((s, n, B))
    for q in range(s):
        take_cols(S[q], a0, St[q])
    run = np.empty(B, dtype=np.bool_)
    lrb = np.empty(B)
    dx = np.empty(B)
    left = 0
    for b in range(B):
        run[b] = status[a0 + b] == RUNNING
        left += run[b]
        lrb[b] = LR[a0 + b]
        dx[b] = 0.0
    out = np.empty((n, B))
    Xn = np.empty((n, B))
    Fn = np.empty(B)
    Gn = np.empty((n, B))
    gnn = np.empty(B)
    moved = np.empty(B, dtype=np.bool_)
    fine = np.empty(B, dtype=np.bool_)
    upd = np.empty(B, dtype=np.bool_)
    lrb_filled = np.nan  # the lr every entry of ``lrb`` holds (nan: they differ)
    j = np.int64(0)  # not the literal 0: numba would compile snapshot once for each type
    if R and rec_its[0] == t0:  # the starts (iteration 0), when the recorder asks for them
        snapshot(j, a0, X, F, lrb, rec_X, rec_F, rec_L)
        j += 1
    end = t0
    t = t0
    while left > 0 and t < t0 + c:
        t += 1
        lr_t = lrs[t - t0 - 1]
        everyone = left == B  # every row of the block runs this iteration
        rule(G, St, t, H, lr_t, out, X)
        # 1. the new points (then the box), counting the coordinates that did not move or are
        # beyond the limit: a row none of whose coordinates moved stalls (unless zero steps are
        # pauses of the rule and its gradient is not zero), one beyond the limit diverges.
        odd = 0
        for i in range(n):
            lo_i = lo[i]
            hi_i = hi[i]
            for b in range(B):
                x0 = X[i, b]
                x = x0 + out[i, b]
                still = (x == x0) & (not (pauses & (G[i, b] != 0.0)))
                if bounded:
                    x = min(max(x, lo_i), hi_i)
                Xn[i, b] = x
                odd += still | (not (abs(x) <= limit))
        if odd:  # which rows moved (some coordinate did) and are fine (all within the limit)
            for b in range(B):
                moved[b] = False
                fine[b] = True
            for i in range(n):
                for b in range(B):
                    x0 = X[i, b]
                    moved[b] |= (x0 + out[i, b] != x0) | (pauses & (G[i, b] != 0.0))
                    fine[b] &= abs(Xn[i, b]) <= limit
        # 2. values and gradients there, the gradient norms and the tests' measures.
        interp(code, consts, Xn, work, adj, Fn, Gn)
        _grad_sq(Xn, Gn, lo, hi, bounded, gn2)
        if x_tol > 0:
            for b in range(B):
                dx[b] = 0.0
            for i in range(n):
                for b in range(B):
                    d = Xn[i, b] - X[i, b]
                    dx[b] += d * d
            for b in range(B):
                dx[b] = np.sqrt(dx[b])
        events = 0
        for b in range(B):
            g = np.sqrt(gn2[b])
            gnn[b] = g
            ok = (abs(Fn[b]) <= limit) & (gn2[b] < np.inf)
            hit = (not ok) | (g < grad_tol) | (abs(Fn[b] - F[b]) < f_tol) | (dx[b] < x_tol)
            events += run[b] & hit
        # 3. rows where something happened: a stall or a divergence in x (the row stays where
        # it was), a divergence in f or the gradient, or a test met (in the order of
        # descentlab.descent.CRITERIA).
        if events or odd:
            for b in range(B):
                upd[b] = run[b]
                if not run[b]:
                    continue
                r = a0 + b
                if odd and not moved[b]:  # the step changed nothing
                    run[b] = False
                    upd[b] = False
                    left -= 1
                    status[r] = _STALLED
                    nit[r] = t - 1
                    nfev[r] = t
                    detail[r] = gn[b]
                    continue
                if odd and not fine[b]:  # divergence in x, found before evaluating there
                    worst = -1.0
                    wi = 0
                    for i in range(n):
                        v = abs(Xn[i, b])
                        key = np.inf if np.isnan(v) else v
                        if key > worst:
                            worst = key
                            wi = i
                    run[b] = False
                    upd[b] = False
                    left -= 1
                    status[r] = _DIVERGED
                    nit[r] = t
                    nfev[r] = t
                    div_at[r] = t
                    detail[r] = Xn[wi, b]
                    cause[r] = _CAUSE_X
                    continue
                f_bad = not (abs(Fn[b]) <= limit)
                if f_bad or not (gn2[b] < np.inf):
                    run[b] = False
                    upd[b] = False
                    left -= 1
                    status[r] = _DIVERGED
                    nit[r] = t
                    nfev[r] = t + 1
                    div_at[r] = t
                    detail[r] = Fn[b] if f_bad else gnn[b]
                    cause[r] = _CAUSE_F if f_bad else _CAUSE_GRAD
                    continue
                done = -1
                measure = 0.0
                df = abs(Fn[b] - F[b])
                if grad_tol > 0 and gnn[b] < grad_tol:
                    done = _CONV_GRAD
                    measure = gnn[b]
                elif f_tol > 0 and df < f_tol:
                    done = _CONV_F
                    measure = df
                elif x_tol > 0 and dx[b] < x_tol:
                    done = _CONV_X if gnn[b] < stat_tol else _SMALL_STEP
                    measure = dx[b]
                if done >= 0:  # converged at the new point: the row takes the step
                    run[b] = False
                    left -= 1
                    status[r] = done
                    nit[r] = t
                    nfev[r] = t + 1
                    detail[r] = measure
        # 4. the rows that took the step move: all of them (swap the two sets) or some (copy).
        if everyone and events == 0 and odd == 0:
            X, Xn = Xn, X
            G, Gn = Gn, G
            F, Fn = Fn, F
            gn, gnn = gnn, gn
            if lr_t != lrb_filled:
                for b in range(B):
                    lrb[b] = lr_t
                lrb_filled = lr_t
        else:
            if events == 0 and odd == 0:
                for b in range(B):
                    upd[b] = run[b]
            for i in range(n):
                for b in range(B):
                    X[i, b] = Xn[i, b] if upd[b] else X[i, b]
                    G[i, b] = Gn[i, b] if upd[b] else G[i, b]
            for b in range(B):
                F[b] = Fn[b] if upd[b] else F[b]
                gn[b] = gnn[b] if upd[b] else gn[b]
                lrb[b] = lr_t if upd[b] else lrb[b]
            lrb_filled = np.nan
        if left == 0:
            end = t
        while j < R and rec_its[j] <= t:
            if rec_its[j] == t:
                snapshot(j, a0, X, F, lrb, rec_X, rec_F, rec_L)
            j += 1
    if left > 0:
        end = t0 + c
    while j < R:  # the block is finished: its rows stay frozen
        snapshot(j, a0, X, F, lrb, rec_X, rec_F, rec_L)
        j += 1
    put_block(a0, X, G, F, gn, XT, GT, FT, GN)
    for b in range(B):
        LR[a0 + b] = lrb[b]
    for q in range(s):
        for i in range(n):
            for b in range(B):
                S[q, i, a0 + b] = St[q, i, b]
    return end


@jit
def snapshot(j, a0, X, F, lrb, rec_X, rec_F, rec_L):  # noqa: ANN001
    """Snapshot ``j`` of the block's rows (from row ``a0``): values; points unless ``rec_X`` is
    (R, k, 0) (a recorder that keeps values only); the lr each row used last (``lrb``) unless
    ``rec_L`` is (0, k). The line search records here too.
    """
    B = X.shape[1]
    n = rec_X.shape[2]
    for b in range(B):
        rec_F[j, a0 + b] = F[b]
        for i in range(n):
            rec_X[j, a0 + b, i] = X[i, b]
    if rec_L.shape[0]:
        for b in range(B):
            rec_L[j, a0 + b] = lrb[b]


@jit
def put_block(a0, X, G, F, gn, XT, GT, FT, GN):  # noqa: ANN001
    """The block's points, gradients, values and gradient norms back into the rows from ``a0``
    (the fused loop and the line search both end a chunk here)."""
    n, B = X.shape
    for i in range(n):
        for b in range(B):
            XT[i, a0 + b] = X[i, b]
            GT[i, a0 + b] = G[i, b]
    for b in range(B):
        FT[a0 + b] = F[b]
        GN[a0 + b] = gn[b]


def _spread(call: Any, nblocks: int, pool: ThreadPoolExecutor | None, threads: int) -> None:
    """``call(b0, b1)`` over ranges of blocks, on the pool's threads (the calls drop the GIL).

    Each block writes only its own rows, so the ranges may run in any order and on any thread:
    a row's numbers do not depend on them.
    """
    if pool is None or nblocks < 2:
        call(0, nblocks)
        return
    pieces = min(nblocks, 4 * threads)  # a few per thread: rows finish unevenly
    cuts = [nblocks * p // pieces for p in range(pieces + 1)]
    for f in [pool.submit(call, cuts[p], cuts[p + 1]) for p in range(pieces)]:
        f.result()


def run_fused(
    program: Any,
    X0: np.ndarray,
    kernel: Any,
    rule: Any,
    callback: Any,
    recorder: Any,
    box: Any,
    lr_table: np.ndarray | None,
    ask: Any,
    *,
    pauses: bool = False,
) -> dict[str, Any]:
    """Run :func:`descentlab.minimize`'s loop for every row of ``X0`` in compiled chunks.

    Args:
        program: The objective's :class:`~descentlab.engine.program.Program`.
        X0: (k, n) starts (already projected on the box).
        kernel: The optimizer's :class:`~descentlab.optimizers.Kernel`.
        rule: The :class:`~descentlab.result.StopRule`.
        callback: ``callback(t, X, F)`` or None (then called after every iteration).
        recorder: The block recorder of :mod:`descentlab.descent`, or None.
        box: The bounds (``lo``, ``hi``) or None.
        lr_table: (max_iter,) learning rates from a scheduler, or None (the kernel's lr). With
            a table, the recorder also keeps the lr each row used last (``trajectory.lrs``).
        ask: ``ask(callback, t, X, F) -> bool``, the loop's one way to read a callback.
        pauses: The optimizer's ``pauses``: a zero step is a pause of the rule (Rprop) while
            the gradient is not zero, so it does not stall the row.

    Each block of rows ``a0:a1`` is one call of :func:`_chunk_block` per chunk (the first one
    also evaluates the starts), from Python, on the pool's threads. Its arguments, in
    column layout: the rule's kernel and the interpreter (first-class functions, so the two
    are compiled once for every rule), the program (``code``, ``consts``), ``H``, ``pauses``,
    the chunk's ``lrs``, the running state ``XT, FT, GT, GN`` ((n, k), (k,), (n, k), (k,)),
    the rule's ``S`` (s, n, k), the last lr per row ``LR``, the per-row outcome (``status``
    -1 while running, ``nit``, ``nfev``, ``detail``, ``cause``, ``div_at``), whether to
    evaluate the starts first, the iteration before the chunk, the stop rule's tolerances, the
    box, and the snapshots to take (``rec_its``, with 0 for the starts; ``rec_X, rec_F,
    rec_L``: (R, k, n), (R, k), (R or 0, k)).

    Returns:
        The per-row outcome arrays (``x``, ``fun``, ``grad_norm``, ``status``, ``nit``,
        ``nfev``, ``diverged_at``, ``detail``, ``cause``), rows in ``X0``'s order.
    """

    k, n = X0.shape
    code, consts = program.code, program.consts
    XT = np.ascontiguousarray(X0.T)
    FT = np.empty(k)
    GT = np.empty((n, k))
    GN = np.empty(k)
    LR = np.full(k, np.nan)
    rows = RowOutcome.running(k, RUNNING)
    status, nit, nfev, detail, cause, div_at = (rows.status, rows.nit, rows.nfev, rows.detail,
                                                rows.cause, rows.diverged_at)  # fmt: skip
    bounded = box is not None
    lo = np.ascontiguousarray(box.lo, dtype=np.float64) if bounded else np.zeros(n)
    hi = np.ascontiguousarray(box.hi, dtype=np.float64) if bounded else np.zeros(n)
    S = np.zeros((rules.STATE_SIZE[kernel.rule], n, k))
    H = np.array(kernel.H, dtype=np.float64)
    # the sweep first: when the cache lacks both, the second process starts on the larger one
    sweep, step = sweep_for(k), rules.KERNELS[kernel.rule]
    interp, rule_fn = address(sweep, INTERP), address(step, rules.RULE)
    nblocks = (k + BLOCK - 1) // BLOCK
    ends = np.full(nblocks, 0, dtype=np.int64)
    keep_lrs = lr_table is not None

    def chunk_args(first: bool, t: int, lrs: Any, its: Any, rx: Any, rf: Any, rl: Any):
        return (rule_fn, interp, code, consts, H, pauses, lrs, XT, FT, GT, GN, S, LR, status,
                nit, nfev, detail, cause, div_at, first, t, rule.grad_tol, rule.f_tol,
                rule.x_tol, rule.stationary_tol, rule.limit, lo, hi, bounded, its, rx, rf,
                rl)  # fmt: skip

    # Machine code the cache lacks is compiled in the second process while the run goes on
    # as Python (Twins), in short chunks, until it has come.
    needs: list[Any] = []
    if not here(_chunk_block, sweep, step):  # (a run skips the questions below)
        none = np.empty(0)
        types_of = signature((*chunk_args(True, 0, none, none.astype(np.int64),
                                          np.empty((0, 0, 0)), np.empty((0, 0)),
                                          np.empty((0, 0))), 0, 0))  # fmt: skip
        needs = [(_chunk_block, types_of), (sweep, INTERP.signature.args),
                 (step, rules.RULE.signature.args)]  # fmt: skip
    twins = Twins(needs, k, rule.max_iter, code.shape[0], n)

    def run(first: bool, t: int, lrs: np.ndarray, its: np.ndarray, rx: Any, rf: Any, rl: Any):
        args = chunk_args(first, t, lrs, its, rx, rf, rl)
        if twins.now():  # as Python, on this thread (twins hold the GIL)
            for bi in range(nblocks):
                ends[bi] = python(_chunk_block, (*args, bi * BLOCK, min(k, (bi + 1) * BLOCK)))
            return
        if not _ENTRY:
            _ENTRY.append(compiled(_chunk_block, (*args, 0, 0)))
        fn = _ENTRY[0]

        def call(b0: int, b1: int) -> None:
            for bi in range(b0, b1):
                ends[bi] = fn(*args, bi * BLOCK, min(k, (bi + 1) * BLOCK))

        _spread(call, nblocks, pool, threads)

    def snapshot() -> tuple[np.ndarray, np.ndarray]:
        return XT.T.copy(), FT.copy()

    def lrs_now() -> np.ndarray | None:
        return LR.copy() if keep_lrs else None

    threads = min(numba.get_num_threads(), nblocks)
    pool = ThreadPoolExecutor(threads) if threads > 1 else None
    try:
        t = 0
        first = True  # the first chunk evaluates the starts (iteration 0) first
        stopped = False
        points = getattr(recorder, "points", True)  # False: the recorder keeps values only
        per_rec = k * ((n if points else 0) + 1 + keep_lrs)
        while first or (t < rule.max_iter and (status == RUNNING).any() and not stopped):
            c = min(1 if callback is not None else twins.chunk if twins.on else chunk_for(k),
                    rule.max_iter - t)  # fmt: skip
            its = []
            if recorder is not None:
                its = [0] if first else []
                its += [u for u in range(t + 1, t + c + 1) if u % recorder.stride == 0]
                if len(its) * per_rec > REC_FLOATS:  # shorten the chunk to bound the buffer
                    keep = max(1, REC_FLOATS // per_rec)
                    c = its[keep - 1] - t
                    its = its[:keep]
            lrs = np.full(c, kernel.lr) if lr_table is None else lr_table[t : t + c]
            R = len(its)
            rec_X, rec_F = np.empty((R, k, n if points else 0)), np.empty((R, k))
            rec_L = np.empty((R if keep_lrs else 0, k))
            run(first, t, lrs, np.array(its, dtype=np.int64), rec_X, rec_F, rec_L)
            first = False
            end = int(ends.max())
            finished = not (status == RUNNING).any()
            if recorder is not None:
                for q, u in enumerate(its):
                    if u > end:
                        break
                    last = finished and u == end
                    if last or recorder.wants(u):
                        lr = rec_L[q] if keep_lrs else None
                        recorder.add(u, rec_X[q], rec_F[q], final=last, lr=lr)
                if finished and recorder.its[-1] != end:
                    recorder.add(end, *snapshot(), final=True, lr=lrs_now())
            t = end
            if callback is not None and t > 0 and not finished:  # (t = 0: no row took a step)
                stopped = ask(callback, t, *snapshot())
            elif callback is not None and t > 0:
                ask(callback, t, *snapshot())
    finally:
        if pool is not None:
            pool.shutdown()
    fields = rows.fields(XT.T.copy(), FT, GN, t=t, stopped=stopped, code=RUNNING)
    if recorder is not None and recorder.its[-1] != t:
        recorder.add(t, *snapshot(), final=True, lr=lrs_now())
    return fields
