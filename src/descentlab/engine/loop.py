"""The fused compiled descent loop: evaluate, gradient, rule, stop tests and records in one place.

For a formula (or catalogue) objective and an elementwise rule, :func:`descentlab.minimize`
hands the whole run to :func:`run_fused`. The rows are cut into blocks of :data:`BLOCK` rows;
for each block (blocks in parallel with ``prange``), compiled code runs up to a chunk of
iterations of exactly what the general loop of :mod:`descentlab.descent` does, row by row:

1. ``step = rule(G)`` (:func:`descentlab.engine.rules.rule_step`), ``X_t = X_(t-1) + step``;
   a step that changes no coordinate ends the row STALLED; with bounds, ``X_t`` is projected.
2. divergence in x (before evaluating), then ``F, G`` by the program's interpreter
   (:func:`descentlab.engine.interp.forward_backward`), divergence in f or the gradient;
3. the convergence tests of :data:`descentlab.descent.CRITERIA`, in the same order;
4. the snapshot of the iterations the recorder asked for.

Then control returns to Python, which keeps the records, calls the callback (after *every*
iteration when there is one: the chunk is then one iteration long) and starts the next chunk.
A row's numbers depend on nothing but its own start: not on its block, the other rows, or the
number of threads, so a batched run equals k solo runs bit for bit, and equals the general loop
(the same rule kernel, the same interpreter, the same order of operations; gradient norms are
summed in coordinate order, as the general loop does for n <= 8 variables).

This module imports numba; :mod:`descentlab.descent` imports it on first use.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from numba import njit, prange

from descentlab.engine.interp import forward_backward
from descentlab.engine.rules import rule_step
from descentlab.result import Cause, Status

__all__ = ["BLOCK", "CHUNK", "REC_FLOATS", "run_fused"]

BLOCK = 256
"""Rows per block: a block's program slots and state stay in the CPU cache."""

CHUNK = 4096
"""Most iterations per compiled call when nothing needs Python in between."""

REC_FLOATS = 1 << 22
"""Most floats of trajectory one compiled call may write before Python keeps them."""

RUNNING = -1

_LOCK = threading.Lock()
"""Serializes the parallel compiled calls: numba's fallback threading layer (workqueue) must not
be entered from two Python threads at once; one run's blocks already use every core."""
_CONV_GRAD = int(Status.CONVERGED_GRAD)
_CONV_F = int(Status.CONVERGED_F)
_CONV_X = int(Status.CONVERGED_X)
_SMALL_STEP = int(Status.SMALL_STEP)
_DIVERGED = int(Status.DIVERGED)
_STALLED = int(Status.STALLED)
_CAUSE_X = int(Cause.X)
_CAUSE_F = int(Cause.F)
_CAUSE_GRAD = int(Cause.GRAD)

_JIT: dict[str, Any] = {"cache": True, "error_model": "numpy", "nogil": True}


@njit(**_JIT)
def _grad_sq(X, G, b, lo, hi, bounded):
    """Squared norm of row ``b``'s gradient (projected on the box when ``bounded``)."""
    s = 0.0
    for i in range(G.shape[0]):
        g = G[i, b]
        if bounded and ((X[i, b] <= lo[i] and g > 0) or (X[i, b] >= hi[i] and g < 0)):
            g = 0.0
        s += g * g
    return s


@njit(parallel=True, **_JIT)
def start(code, consts, XT, FT, GT, GN, status, nfev, detail, cause, div_at, grad_tol, limit,
          lo, hi, bounded, block):  # fmt: skip
    """Iteration 0 for every row: evaluate the starts; diverged or converged rows finish.

    Column layout throughout: ``XT``, ``GT`` are (n, k); the per-row outputs are (k,).
    """
    n, k = XT.shape
    m = code.shape[0]
    nblocks = (k + block - 1) // block
    for bi in prange(nblocks):
        a0 = bi * block
        a1 = min(k, a0 + block)
        B = a1 - a0
        X = np.ascontiguousarray(XT[:, a0:a1])
        F = np.empty(B)
        G = np.empty((n, B))
        work = np.empty((m, B))
        adj = np.empty((m, B))
        forward_backward(code, consts, X, work, adj, F, G)
        for b in range(B):
            r = a0 + b
            gn2 = _grad_sq(X, G, b, lo, hi, bounded)
            gn = np.sqrt(gn2)
            FT[r] = F[b]
            GN[r] = gn
            for i in range(n):
                GT[i, r] = G[i, b]
            f_bad = not (abs(F[b]) <= limit)
            if f_bad or not (gn2 < np.inf):
                status[r] = _DIVERGED
                nfev[r] = 1
                div_at[r] = 0
                detail[r] = F[b] if f_bad else gn
                cause[r] = _CAUSE_F if f_bad else _CAUSE_GRAD
            elif gn < grad_tol:
                status[r] = _CONV_GRAD
                nfev[r] = 1
                detail[r] = gn
            else:
                status[r] = RUNNING


@njit(parallel=True, **_JIT)
def chunk(code, consts, rule_id, H, lrs, XT, FT, GT, GN, S, status, nit, nfev, detail, cause,
          div_at, t0, grad_tol, f_tol, x_tol, stat_tol, limit, lo, hi, bounded, block, rec_its,
          rec_X, rec_F, ends):  # fmt: skip
    """Iterations ``t0 + 1 .. t0 + len(lrs)`` for every running row, in blocks.

    Args:
        code, consts: The objective's program.
        rule_id, H: The rule (``engine.rules``) and its hyperparameters.
        lrs: (c,) the learning rate of each iteration of this chunk.
        XT, FT, GT, GN: (n, k), (k,), (n, k), (k,) current points, values, gradients and
            (projected) gradient norms; updated.
        S: (s, n, k) the rule's state; updated.
        status, nit, nfev, detail, cause, div_at: (k,) per-row outcome (status -1: running).
        t0: The iteration before the chunk.
        grad_tol, f_tol, x_tol, stat_tol, limit: The stop rule (0 turns a tolerance off).
        lo, hi, bounded: The box (n,) and whether there is one.
        block: Rows per block.
        rec_its: (R,) iterations of this chunk to snapshot, increasing.
        rec_X, rec_F: (R, k, n), (R, k) receive the snapshots (finished rows frozen).
        ends: (nblocks,) receives the iteration at which each block's last row finished
            (``t0`` if it had none running; ``t0 + c`` if some still run).
    """
    n, k = XT.shape
    m = code.shape[0]
    s = S.shape[0]
    c = lrs.shape[0]
    R = rec_its.shape[0]
    nblocks = (k + block - 1) // block
    for bi in prange(nblocks):
        a0 = bi * block
        a1 = min(k, a0 + block)
        B = a1 - a0
        run = np.empty(B, dtype=np.bool_)
        left = 0
        for b in range(B):
            run[b] = status[a0 + b] == RUNNING
            left += run[b]
        X = np.ascontiguousarray(XT[:, a0:a1])
        F = FT[a0:a1].copy()
        G = np.ascontiguousarray(GT[:, a0:a1])
        gn = GN[a0:a1].copy()
        St = np.ascontiguousarray(S[:, :, a0:a1])
        T = np.empty(B, dtype=np.int64)
        lr = np.empty(B)
        out = np.empty((n, B))
        Xn = np.empty((n, B))
        Fn = np.empty(B)
        Gn = np.empty((n, B))
        work = np.empty((m, B))
        adj = np.empty((m, B))
        j = 0
        end = t0
        t = t0
        while left > 0 and t < t0 + c:
            t += 1
            for b in range(B):
                T[b] = t
                lr[b] = lrs[t - t0 - 1]
            rule_step(rule_id, G, St, T, H, lr, out, X)
            for i in range(n):
                for b in range(B):
                    Xn[i, b] = X[i, b] + out[i, b]
            for b in range(B):
                if not run[b]:
                    continue
                r = a0 + b
                same = True
                for i in range(n):
                    if Xn[i, b] != X[i, b]:
                        same = False
                        break
                if same:  # the step changed nothing
                    run[b] = False
                    left -= 1
                    status[r] = _STALLED
                    nit[r] = t - 1
                    nfev[r] = t
                    detail[r] = gn[b]
                    continue
                worst = -1.0
                wi = 0
                for i in range(n):
                    if bounded:
                        Xn[i, b] = min(max(Xn[i, b], lo[i]), hi[i])
                    v = abs(Xn[i, b])
                    key = np.inf if np.isnan(v) else v
                    if key > worst:
                        worst = key
                        wi = i
                if not (worst <= limit):  # divergence in x, before evaluating there
                    run[b] = False
                    left -= 1
                    status[r] = _DIVERGED
                    nit[r] = t
                    nfev[r] = t
                    div_at[r] = t
                    detail[r] = Xn[wi, b]
                    cause[r] = _CAUSE_X
            forward_backward(code, consts, Xn, work, adj, Fn, Gn)
            for b in range(B):
                if not run[b]:
                    continue
                r = a0 + b
                gn2 = _grad_sq(Xn, Gn, b, lo, hi, bounded)
                gnn = np.sqrt(gn2)
                f_bad = not (abs(Fn[b]) <= limit)
                if f_bad or not (gn2 < np.inf):
                    run[b] = False
                    left -= 1
                    status[r] = _DIVERGED
                    nit[r] = t
                    nfev[r] = t + 1
                    div_at[r] = t
                    detail[r] = Fn[b] if f_bad else gnn
                    cause[r] = _CAUSE_F if f_bad else _CAUSE_GRAD
                    continue
                done = -1
                measure = 0.0
                if grad_tol > 0 and gnn < grad_tol:
                    done = _CONV_GRAD
                    measure = gnn
                if done < 0 and f_tol > 0:
                    df = abs(Fn[b] - F[b])
                    if df < f_tol:
                        done = _CONV_F
                        measure = df
                if done < 0 and x_tol > 0:
                    dx2 = 0.0
                    for i in range(n):
                        d = Xn[i, b] - X[i, b]
                        dx2 += d * d
                    dx = np.sqrt(dx2)
                    if dx < x_tol:
                        done = _CONV_X if gnn < stat_tol else _SMALL_STEP
                        measure = dx
                for i in range(n):
                    X[i, b] = Xn[i, b]
                    G[i, b] = Gn[i, b]
                F[b] = Fn[b]
                gn[b] = gnn
                if done >= 0:
                    run[b] = False
                    left -= 1
                    status[r] = done
                    nit[r] = t
                    nfev[r] = t + 1
                    detail[r] = measure
            if left == 0:
                end = t
            while j < R and rec_its[j] <= t:
                if rec_its[j] == t:
                    for b in range(B):
                        rec_F[j, a0 + b] = F[b]
                        for i in range(n):
                            rec_X[j, a0 + b, i] = X[i, b]
                j += 1
        if left > 0:
            end = t0 + c
        ends[bi] = end
        while j < R:  # the block is finished: its rows stay frozen
            for b in range(B):
                rec_F[j, a0 + b] = F[b]
                for i in range(n):
                    rec_X[j, a0 + b, i] = X[i, b]
            j += 1
        for i in range(n):
            for b in range(B):
                XT[i, a0 + b] = X[i, b]
                GT[i, a0 + b] = G[i, b]
        for b in range(B):
            FT[a0 + b] = F[b]
            GN[a0 + b] = gn[b]
        for q in range(s):
            for i in range(n):
                for b in range(B):
                    S[q, i, a0 + b] = St[q, i, b]


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
        lr_table: (max_iter,) learning rates from a scheduler, or None (the kernel's lr).
        ask: ``ask(callback, t, X, F) -> bool``, the loop's one way to read a callback.

    Returns:
        The per-row outcome arrays (``x``, ``fun``, ``grad_norm``, ``status``, ``nit``,
        ``nfev``, ``diverged_at``, ``detail``, ``cause``), rows in ``X0``'s order.
    """
    from descentlab.engine.rules import RULE_IDS, STATE_SIZE

    k, n = X0.shape
    code, consts = program.code, program.consts
    XT = np.ascontiguousarray(X0.T)
    FT = np.empty(k)
    GT = np.empty((n, k))
    GN = np.empty(k)
    status = np.full(k, RUNNING, dtype=np.int64)
    nit = np.zeros(k, dtype=np.int64)
    nfev = np.zeros(k, dtype=np.int64)
    detail = np.full(k, np.nan)
    cause = np.zeros(k, dtype=np.int8)
    div_at = np.full(k, -1, dtype=np.int64)
    bounded = box is not None
    lo = box.lo if bounded else np.zeros(n)
    hi = box.hi if bounded else np.zeros(n)
    with _LOCK:
        start(code, consts, XT, FT, GT, GN, status, nfev, detail, cause, div_at, rule.grad_tol,
              rule.limit, lo, hi, bounded, BLOCK)  # fmt: skip

    def snapshot() -> tuple[np.ndarray, np.ndarray]:
        return XT.T.copy(), FT.copy()

    if recorder is not None:
        recorder.add(0, *snapshot())
    S = np.zeros((STATE_SIZE[kernel.rule], n, k))
    H = np.array(kernel.H, dtype=np.float64)
    rule_id = RULE_IDS[kernel.rule]
    stat_tol = rule.stationary_tol
    nblocks = (k + BLOCK - 1) // BLOCK
    ends = np.empty(nblocks, dtype=np.int64)
    t = 0
    stopped = False
    per_rec = k * (n + 1)
    while t < rule.max_iter and (status == RUNNING).any() and not stopped:
        c = 1 if callback is not None else min(CHUNK, rule.max_iter - t)
        its = []
        if recorder is not None:
            its = [u for u in range(t + 1, t + c + 1) if u % recorder.stride == 0]
            if len(its) * per_rec > REC_FLOATS:  # shorten the chunk to bound the buffer
                keep = max(1, REC_FLOATS // per_rec)
                c = its[keep - 1] - t
                its = its[:keep]
        lrs = np.full(c, kernel.lr) if lr_table is None else lr_table[t : t + c]
        rec_its = np.array(its, dtype=np.int64)
        rec_X = np.empty((len(its), k, n))
        rec_F = np.empty((len(its), k))
        with _LOCK:
            chunk(code, consts, rule_id, H, lrs, XT, FT, GT, GN, S, status, nit, nfev, detail,
                  cause, div_at, t, rule.grad_tol, rule.f_tol, rule.x_tol, stat_tol, rule.limit,
                  lo, hi, bounded, BLOCK, rec_its, rec_X, rec_F, ends)  # fmt: skip
        end = int(ends.max())
        finished = not (status == RUNNING).any()
        if recorder is not None:
            for q, u in enumerate(its):
                if u > end:
                    break
                last = finished and u == end
                if last or recorder.wants(u):
                    recorder.add(u, rec_X[q], rec_F[q], final=last)
            if finished and recorder.its[-1] != end:
                recorder.add(end, *snapshot(), final=True)
        t = end
        if callback is not None and not finished:
            stopped = ask(callback, t, *snapshot())
        elif callback is not None:
            ask(callback, t, *snapshot())
    running = status == RUNNING
    if running.any():
        status[running] = int(Status.STOPPED if stopped else Status.MAX_ITER)
        nit[running] = t
        nfev[running] = t + 1
        detail[running] = GN[running]
    if recorder is not None and recorder.its[-1] != t:
        recorder.add(t, *snapshot(), final=True)
    return {
        "x": XT.T.copy(),
        "fun": FT,
        "grad_norm": GN,
        "status": status,
        "nit": nit,
        "nfev": nfev,
        "diverged_at": div_at,
        "detail": detail,
        "cause": cause,
    }
