"""The backtracking (Armijo) line search as compiled code: the ``linesearch`` optimizer's loop.

:func:`descentlab.minimize` hands a run of :func:`descentlab.optimizers.linesearch` on a formula
(or catalogue) objective to :func:`run_search`. It does, bit for bit, what the general loop of
:mod:`descentlab.descent` does with the optimizer's Python ``update``:

- each step starts from ``a = lr`` (or the scheduler's lr) and multiplies ``a`` by ``shrink``
  until ``f(x + d) <= f(x) - c a |g|^2`` with ``d = -a g`` (with bounds: ``d = P(x - a g) - x``
  and the decrease ``-c <g, d>``), and ``f(x + d) < f(x)`` unless the decrease is 0; ``f(x)`` is
  the value the previous step accepted (the first step evaluates it);
- a row whose ``max_backtracks + 1`` trials all fail takes no step and ends PRECISION_LOSS;
- then the loop's own tests, in its order (stall, divergence in x, evaluation, divergence in f
  or the gradient, the convergence criteria), its records, and the callback between chunks;
- every trial is an evaluation: a row's ``nfev`` is ``nit + 1`` (values with gradients) plus its
  trial points plus the first step's ``f(x)``.

Sums follow NumPy's order: ``|g|^2`` and ``<g, d>`` as ``ndarray.sum`` (pairwise, see
:func:`pairwise_sum`); gradient norms and step lengths as the general loop's row sums
(coordinate order up to 8 variables, pairwise above).

Each block of :data:`BLOCK` rows runs its iterations on the rows still running, packed together:
the trial points of the rows still searching are evaluated together by the interpreter's
:func:`~descentlab.engine.interp.forward`, the new points by the interpreter's sweep
(:func:`~descentlab.engine.interp.sweep_for`), both passed as first-class functions (compiled
once, not into each caller). Blocks run in parallel (on Python threads, see
:class:`_Blocks`); a row's numbers depend only on its own start, so a batch equals its rows run
alone.

This module imports numba; :mod:`descentlab.descent` imports it on first use.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba
import numpy as np

from descentlab.engine.interp import forward, sweep_for
from descentlab.engine.jit import (
    address,
    ahead,
    compiled,
    here,
    inline,
    jit,
    python,
    signature,
)
from descentlab.engine.loop import (
    _CAUSE_F,
    _CAUSE_GRAD,
    _CAUSE_X,
    _CONV_F,
    _CONV_GRAD,
    _CONV_X,
    _DIVERGED,
    _SMALL_STEP,
    _STALLED,
    BLOCK,
    FORWARD,
    INTERP,
    REC_FLOATS,
    RUNNING,
    Twins,
    _spread,
    chunk_for,
    put_block,
    snapshot,
    start_verdict,
    take_cols,
)
from descentlab.result import RowOutcome, Status

__all__ = ["pairwise_sum", "run_search", "search_step"]

# Compiled through engine.jit (one cache key over all the engine's sources, the unwritable-cache
# fallback); small helpers are inlined into their callers: a call per row costs more than its sum.

_PRECISION_LOSS = int(Status.PRECISION_LOSS)  # the other status and cause codes: loop.py's


# ---------------------------------------------------------------------------------------------
# Sums in NumPy's order.


@inline
def _pairwise_block(v, lo, n):  # noqa: ANN001, ANN202
    """NumPy's sum of ``v[lo:lo + n]`` for ``n <= 128`` (see :func:`pairwise_sum`)."""
    if n < 8:
        s = 0.0
        for i in range(lo, lo + n):
            s += v[i]
        return s
    r0, r1, r2, r3 = v[lo], v[lo + 1], v[lo + 2], v[lo + 3]
    r4, r5, r6, r7 = v[lo + 4], v[lo + 5], v[lo + 6], v[lo + 7]
    i = 8
    while i < n - n % 8:
        r0 += v[lo + i]
        r1 += v[lo + i + 1]
        r2 += v[lo + i + 2]
        r3 += v[lo + i + 3]
        r4 += v[lo + i + 4]
        r5 += v[lo + i + 5]
        r6 += v[lo + i + 6]
        r7 += v[lo + i + 7]
        i += 8
    s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        s += v[lo + i]
        i += 1
    return s


@jit
def pairwise_sum(v, lo, n):  # noqa: ANN001, ANN201
    """``v[lo:lo + n].sum()`` exactly as NumPy adds a contiguous row of float64.

    Under 8 numbers: left to right from 0. Up to 128: eight running sums over blocks of 8, added
    as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, then the rest one by one. Above:
    the two halves (cut at a multiple of 8) summed that way, then added; the halving runs on an
    explicit stack (numba's cache does not keep recursive functions).
    """
    if n <= 128:
        return _pairwise_block(v, lo, n)
    los = np.empty(64, dtype=np.int64)
    ns = np.empty(64, dtype=np.int64)
    first = np.empty(64)
    stage = np.zeros(64, dtype=np.int64)
    d = 0
    los[0], ns[0] = lo, n
    while True:
        while ns[d] > 128:  # down the left halves
            half = ns[d] // 2
            half -= half % 8
            los[d + 1], ns[d + 1], stage[d + 1] = los[d], half, 0
            d += 1
        s = _pairwise_block(v, los[d], ns[d])
        d -= 1
        while d >= 0 and stage[d] == 1:  # both halves known: add them, go up
            s = first[d] + s
            d -= 1
        if d < 0:
            return s
        first[d], stage[d] = s, 1  # the left half is known: now the right one
        half = ns[d] // 2
        half -= half % 8
        los[d + 1], ns[d + 1], stage[d + 1] = los[d] + half, ns[d] - half, 0
        d += 1


@inline
def _sum(v, n):  # noqa: ANN001, ANN202
    """``v[:n].sum()`` in NumPy's order (:func:`pairwise_sum`), inline up to 128 numbers."""
    if n <= 128:
        return _pairwise_block(v, 0, n)
    return pairwise_sum(v, 0, n)


@inline
def _sq_sum(v, n, tmp):  # noqa: ANN001, ANN202
    """``descent._sq_norms`` of the row ``v[:n]``: coordinate order up to 8 numbers, pairwise
    above (``tmp`` is scratch of n floats)."""
    s = 0.0
    if n <= 8:
        for i in range(n):
            s += v[i] * v[i]
        return s
    for i in range(n):
        tmp[i] = v[i] * v[i]
    return _sum(tmp, n)


@inline
def _grad_sq(X, G, b, lo, hi, bounded, vec, tmp):  # noqa: ANN001, ANN202
    """Squared norm of row ``b``'s gradient, projected on the box when ``bounded``."""
    n = G.shape[0]
    for i in range(n):
        g = G[i, b]
        if bounded and ((lo[i] >= X[i, b] and g > 0) or (hi[i] <= X[i, b] and g < 0)):
            g = 0.0
        vec[i] = g
    return _sq_sum(vec, n, tmp)


# ---------------------------------------------------------------------------------------------
# One line-search step over a block.


@jit
def _search(values, code, consts, X, G, FS, lr, c, shrink, width, lo, hi, bounded, rows, cnt, out,
            TA, TF, acc, nbt, ev, failed, buf):  # fmt: skip  # noqa: ANN001, ANN202
    """One backtracking step for the rows ``rows[:cnt]`` of a block, as ``linesearch.update``.

    Args:
        values: :func:`~descentlab.engine.interp.forward` as a first-class function
            (:data:`FORWARD`).
        code, consts: The objective's program.
        X, G: (n, B) points and gradients (column layout).
        FS: (B,) f at ``X`` as the last step accepted it (not finite: evaluated here); becomes
            f at the accepted trial point (unchanged where every trial failed).
        lr: (B,) the first trial step of each row.
        c, shrink, width: The Armijo constant, the shrink factor, ``max_backtracks + 1``.
        lo, hi, bounded: The box.
        rows, cnt: Which rows of the block search.
        out: (n, B) receives the step (0 where every trial failed).
        TA, TF: (width, B) receive the trial step sizes and values (nan-padded), or (0, 0):
            the trials are not kept (the loop). A shape, not a flag: numba would compile
            ``_search`` once for each literal value of a flag.
        acc, nbt, ev, failed: (B,) receive the accepted step size (nan if none), the number of
            shrinks, the evaluations made and whether every trial failed.
        buf: scratch of at least ``(2n + m + 6) * B`` floats.
    """
    n, B = X.shape
    m = code.shape[0]
    g2 = buf[0:B]
    a = buf[B : 2 * B]
    dec = buf[2 * B : 3 * B]
    ft = buf[3 * B : 4 * B]
    tmp = buf[4 * B : 4 * B + 2 * n + 2]
    base = 4 * B + 2 * n + 2
    todo = np.empty(B, dtype=np.int64)
    trials = TA.shape[0] > 0
    left = 0
    for q in range(cnt):  # the first step's f(x), where no step gave it yet
        b = rows[q]
        if not np.isfinite(FS[b]):
            todo[left] = b
            left += 1
    for q in range(cnt):
        b = rows[q]
        ev[b] = 0
        failed[b] = False
        acc[b] = np.nan
        nbt[b] = 0
        if trials:
            for j in range(width):
                TA[j, b] = np.nan
                TF[j, b] = np.nan
        for i in range(n):
            out[i, b] = 0.0
    if left > 0:
        XT = buf[base : base + n * left].reshape((n, left))
        work = buf[base + n * left : base + (n + m) * left].reshape((m, left))
        for i in range(n):
            for q in range(left):
                XT[i, q] = X[i, todo[q]]
        values(code, consts, XT, work, ft[:left])
        for q in range(left):
            FS[todo[q]] = ft[q]
            ev[todo[q]] += 1
    left = cnt
    for q in range(cnt):
        b = rows[q]
        todo[q] = b
        for i in range(n):
            tmp[i] = G[i, b] * G[i, b]
        g2[b] = _sum(tmp, n)
        a[b] = lr[b]
    D = np.empty((n, B))
    for j in range(width):
        XT = buf[base : base + n * left].reshape((n, left))
        work = buf[base + n * left : base + (n + m) * left].reshape((m, left))
        for q in range(left):
            b = todo[q]
            ar = a[b]
            for i in range(n):
                d = -(ar * G[i, b])
                if bounded:
                    d = min(max(X[i, b] + d, lo[i]), hi[i]) - X[i, b]
                D[i, q] = d
                XT[i, q] = X[i, b] + d
            if bounded:
                for i in range(n):
                    tmp[i] = G[i, b] * D[i, q]
                dec[b] = -c * _sum(tmp, n)
            else:
                dec[b] = (c * ar) * g2[b]
        values(code, consts, XT, work, ft[:left])
        kept = 0
        for q in range(left):
            b = todo[q]
            f = ft[q]
            ev[b] += 1
            if trials:
                TA[j, b] = a[b]
                TF[j, b] = f
            nbt[b] = j
            value = FS[b]
            if (f <= value - dec[b]) and ((f < value) or (dec[b] == 0)):
                acc[b] = a[b]
                FS[b] = f
                for i in range(n):
                    out[i, b] = D[i, q]
            else:
                a[b] *= shrink
                todo[kept] = b
                for i in range(n):  # keep the survivors packed at the front
                    D[i, kept] = D[i, q]
                kept += 1
        left = kept
        if left == 0:
            break
    for q in range(left):
        failed[todo[q]] = True


@inline
def _block(XT, bi, block):  # noqa: ANN001, ANN202
    """Block ``bi``'s rows ``a0:a1`` of ``XT`` (n, k), their count and their points (n, B)."""
    a0 = bi * block
    a1 = min(XT.shape[1], a0 + block)
    return a0, a1, a1 - a0, take_cols(XT, a0, np.empty((XT.shape[0], a1 - a0)))


@jit
def search_rows(values, code, consts, XT, GT, FS, lrs, c, shrink, width, lo, hi, bounded, block,
                out, TA, TF, acc, nbt, ev, failed, b0, b1):  # fmt: skip  # noqa: ANN001, ANN201
    """One line-search step for the rows of blocks ``b0:b1`` of ``XT`` (n, k) (see
    :func:`_search`)."""
    n = XT.shape[0]
    m = code.shape[0]
    for bi in range(b0, b1):
        a0, a1, B, X = _block(XT, bi, block)
        G = take_cols(GT, a0, np.empty((n, B)))
        F = FS[a0:a1].copy()
        o = np.empty((n, B))
        ta = np.empty((width, B))
        tf = np.empty((width, B))
        ac = np.empty(B)
        nb = np.empty(B, dtype=np.int64)
        e = np.empty(B, dtype=np.int64)
        fl = np.empty(B, dtype=np.bool_)
        rows = np.arange(B)
        buf = np.empty((2 * n + m + 6) * B + 2 * n + 2)
        _search(values, code, consts, X, G, F, lrs[a0:a1].copy(), c, shrink, width, lo, hi, bounded,
                rows, B, o, ta, tf, ac, nb, e, fl, buf)  # fmt: skip
        for b in range(B):
            FS[a0 + b] = F[b]
            acc[a0 + b] = ac[b]
            nbt[a0 + b] = nb[b]
            ev[a0 + b] = e[b]
            failed[a0 + b] = fl[b]
            for i in range(n):
                out[i, a0 + b] = o[i, b]
            for j in range(width):
                TA[j, a0 + b] = ta[j, b]
                TF[j, a0 + b] = tf[j, b]


class _Blocks:
    """Runs a compiled ``fn(*args, b0, b1)`` over ranges of the blocks of ``k`` rows, on
    ``numba.get_num_threads()`` Python threads (the compiled code drops the GIL; a block writes
    only its own rows, so the ranges may run in any order and on any thread), as the fused loop
    does (:func:`~descentlab.engine.loop._spread`). No ``prange``: two runs may go on at once
    in two threads of the caller (``compare`` runs its cells so)."""

    def __init__(self, k: int) -> None:
        self.nblocks = (k + BLOCK - 1) // BLOCK
        self.threads = min(numba.get_num_threads(), self.nblocks)
        self.pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> _Blocks:
        if self.threads > 1:
            self.pool = ThreadPoolExecutor(self.threads)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def run(self, fn: Any, args: tuple[Any, ...], twins: bool = False) -> None:
        """``fn(*args, b0, b1)`` over the blocks: compiled; as Python (``twins``) in one call."""
        if twins:
            python(fn, (*args, 0, self.nblocks))
            return
        entry = compiled(fn, (*args, 0, 0))  # compiles (or loads) before any thread calls it

        def call(b0: int, b1: int) -> None:
            entry(*args, b0, b1)

        _spread(call, self.nblocks, self.pool, self.threads)


def search_step(
    program: Any,
    X: np.ndarray,
    G: np.ndarray,
    value: np.ndarray | None,
    lr: float | np.ndarray,
    c: float,
    shrink: float,
    max_backtracks: int,
    box: Any = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One compiled line-search step from the rows of ``X`` (k, n), as ``linesearch.update``.

    Args:
        program: The objective's program.
        X, G: (k, n) points and their gradients.
        value: (k,) f at ``X`` (None or nan: evaluated here, one evaluation).
        lr: The first trial step (a number or (k,)).
        c, shrink, max_backtracks: The line search's settings.
        box: Bounds (``lo``, ``hi``) or None.

    Returns:
        ``(step, fields)``: the (k, n) step and the :class:`~descentlab.optimizers.
        LineSearchState` fields ``lr``, ``trial_lrs``, ``trial_values`` (k, width),
        ``n_backtracks``, ``nfev``, ``failed`` and ``f``.
    """
    X = np.asarray(X, dtype=np.float64)
    k, n = X.shape
    width = int(max_backtracks) + 1
    FS = np.full(k, np.nan) if value is None else np.array(value, dtype=np.float64)
    lrs = np.array(np.broadcast_to(np.asarray(lr, dtype=np.float64), (k,)))
    out = np.empty((n, k))
    TA, TF = np.empty((width, k)), np.empty((width, k))
    acc, nbt = np.empty(k), np.empty(k, dtype=np.int64)
    ev, failed = np.empty(k, dtype=np.int64), np.empty(k, dtype=bool)
    lo, hi = (np.zeros(n), np.zeros(n)) if box is None else (box.lo, box.hi)
    args = (address(forward, FORWARD), program.code, program.consts, np.ascontiguousarray(X.T),
            np.ascontiguousarray(np.asarray(G, dtype=np.float64).T), FS, lrs, float(c),
            float(shrink), width, lo, hi, box is not None, BLOCK, out, TA, TF, acc, nbt, ev,
            failed)  # fmt: skip
    with np.errstate(all="ignore"), _Blocks(k) as blocks:
        blocks.run(search_rows, args)
    fields = {
        "lr": acc,
        "trial_lrs": np.ascontiguousarray(TA.T),
        "trial_values": np.ascontiguousarray(TF.T),
        "n_backtracks": nbt,
        "nfev": ev,
        "failed": failed,
        "f": FS,
    }
    return np.ascontiguousarray(out.T), fields


# ---------------------------------------------------------------------------------------------
# The loop.


@jit
def start(sweep, code, consts, XT, FT, GT, GN, status, nfev, detail, cause, div_at, grad_tol, limit,
          lo, hi, bounded, block, b0, b1):  # fmt: skip  # noqa: ANN001, ANN201
    """Iteration 0 for the rows of blocks ``b0:b1``: evaluate the starts; diverged or converged
    rows finish.

    Column layout: ``XT``, ``GT`` are (n, k); the per-row outputs are (k,).
    """
    n = XT.shape[0]
    m = code.shape[0]
    for bi in range(b0, b1):
        a0, a1, B, X = _block(XT, bi, block)
        F = np.empty(B)
        G = np.empty((n, B))
        vec = np.empty(n)
        tmp = np.empty(n)
        sweep(code, consts, X, np.empty((m, B)), np.empty((m + 1, B)), F, G)
        for b in range(B):
            r = a0 + b
            gn2 = _grad_sq(X, G, b, lo, hi, bounded, vec, tmp)
            gn = np.sqrt(gn2)
            FT[r] = F[b]
            GN[r] = gn
            for i in range(n):
                GT[i, r] = G[i, b]
            start_verdict(r, F[b], gn2, gn, limit, grad_tol, status, nfev, detail, cause, div_at)


@jit
def chunk(sweep, values, code, consts, c, shrink, width, lrs, XT, FT, GT, GN, FS, EX, status,
          nit, nfev, detail, cause, div_at, t0, grad_tol, f_tol, x_tol, stat_tol, limit, lo, hi,
          bounded, block, rec_its, rec_X, rec_F, ends, reached, b0, b1):  # fmt: skip  # noqa: ANN001, ANN201, C901
    """Iterations ``t0 + 1 .. t0 + len(lrs)`` of the line search for the running rows of
    blocks ``b0:b1``.

    Args:
        sweep, values: The interpreter's sweep (:data:`~descentlab.engine.loop.INTERP`) and its
            forward pass (:data:`FORWARD`), first-class functions.
        code, consts: The objective's program.
        c, shrink, width: The Armijo constant, the shrink factor, ``max_backtracks + 1``.
        lrs: (c,) the first trial step of each iteration of this chunk.
        XT, FT, GT, GN: (n, k), (k,), (n, k), (k,) current points, values, gradients and
            (projected) gradient norms; updated.
        FS: (k,) f at each point as the line search accepted it (nan before the first step).
        EX: (k,) the evaluations the line searches made so far (trials, the first f(x)).
        status, nit, nfev, detail, cause, div_at: (k,) per-row outcome (status -1: running).
        t0: The iteration before the chunk.
        grad_tol, f_tol, x_tol, stat_tol, limit: The stop rule (0 turns a tolerance off).
        lo, hi, bounded: The box (n,) and whether there is one.
        block: Rows per block.
        rec_its, rec_X, rec_F: Iterations to snapshot (increasing) and the (R, k, n), (R, k)
            snapshots (finished rows frozen); ``rec_X`` (R, k, 0) keeps no points.
        ends: (nblocks,) the iteration at which each block's last row finished (``t0`` if none
            ran; ``t0 + c`` if some still run).
        reached: (nblocks,) receives 1 where a row of the block reached the convergence tests
            in its last iteration (the general loop calls the callback only then).
        b0, b1: The blocks to run.
    """
    n = XT.shape[0]
    m = code.shape[0]
    nc = lrs.shape[0]
    R = rec_its.shape[0]
    for bi in range(b0, b1):
        a0, a1, B, X = _block(XT, bi, block)
        rows = np.empty(B, dtype=np.int64)
        left: Any = np.int64(0)  # not the literal 0: numba would compile _search for each type
        for b in range(B):
            if status[a0 + b] == RUNNING:
                rows[left] = b
                left += 1
        F = FT[a0:a1].copy()
        G = take_cols(GT, a0, np.empty((n, B)))
        gn = GN[a0:a1].copy()
        fs = FS[a0:a1].copy()
        ex = EX[a0:a1].copy()
        lr = np.empty(B)
        out = np.empty((n, B))
        TA = np.empty((0, 0))  # trials are not kept
        TF = np.empty((0, 0))
        acc = np.empty(B)
        nbt = np.empty(B, dtype=np.int64)
        ev = np.empty(B, dtype=np.int64)
        failed = np.empty(B, dtype=np.bool_)
        buf = np.empty((2 * n + m + 6) * B + 2 * n + 2)
        vec = np.empty(n)
        tmp = np.empty(n)
        Xn = np.empty((n, B))
        work = np.empty(m * B)
        adj = np.empty((m + 1) * B)
        Gb = np.empty(n * B)
        Xb = np.empty(n * B)
        Fb = np.empty(B)
        j = np.int64(0)  # not the literal 0: numba would compile snapshot once for each type
        end = t0
        t = t0
        reach = 0
        while left > 0 and t < t0 + nc:
            t += 1
            reach = 0
            for q in range(left):
                lr[rows[q]] = lrs[t - t0 - 1]
            _search(values, code, consts, X, G, fs, lr, c, shrink, width, lo, hi, bounded, rows,
                    left, out, TA, TF, acc, nbt, ev, failed, buf)  # fmt: skip
            kept = 0
            for q in range(left):
                b = rows[q]
                r = a0 + b
                ex[b] += ev[b]
                if failed[b]:  # no trial decreased f: no step, precision loss
                    status[r] = _PRECISION_LOSS
                    nit[r] = t - 1
                    nfev[r] = t + ex[b]
                    detail[r] = gn[b]
                    continue
                same = True
                for i in range(n):
                    Xn[i, b] = out[i, b] + X[i, b]
                    if Xn[i, b] != X[i, b]:
                        same = False
                if same:  # the step changed nothing
                    status[r] = _STALLED
                    nit[r] = t - 1
                    nfev[r] = t + ex[b]
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
                    status[r] = _DIVERGED
                    nit[r] = t
                    nfev[r] = t + ex[b]
                    div_at[r] = t
                    detail[r] = Xn[wi, b]
                    cause[r] = _CAUSE_X
                    continue
                rows[kept] = b
                kept += 1
            left = kept
            XP = Xb[: n * left].reshape((n, left))
            GP = Gb[: n * left].reshape((n, left))
            if left > 0:
                for i in range(n):
                    for q in range(left):
                        XP[i, q] = Xn[i, rows[q]]
                sweep(code, consts, XP, work[: m * left].reshape((m, left)),
                      adj[: (m + 1) * left].reshape((m + 1, left)), Fb[:left], GP)  # fmt: skip
            kept = 0
            for q in range(left):
                b = rows[q]
                r = a0 + b
                gn2 = _grad_sq(XP, GP, q, lo, hi, bounded, vec, tmp)
                gnn = np.sqrt(gn2)
                fn = Fb[q]
                f_bad = not (abs(fn) <= limit)
                if f_bad or not (gn2 < np.inf):
                    status[r] = _DIVERGED
                    nit[r] = t
                    nfev[r] = t + 1 + ex[b]
                    div_at[r] = t
                    detail[r] = fn if f_bad else gnn
                    cause[r] = _CAUSE_F if f_bad else _CAUSE_GRAD
                    continue
                reach = 1
                done = -1
                measure = 0.0
                if grad_tol > 0 and gnn < grad_tol:
                    done = _CONV_GRAD
                    measure = gnn
                if done < 0 and f_tol > 0:
                    df = abs(fn - F[b])
                    if df < f_tol:
                        done = _CONV_F
                        measure = df
                if done < 0 and x_tol > 0:
                    for i in range(n):
                        vec[i] = Xn[i, b] - X[i, b]
                    dx = np.sqrt(_sq_sum(vec, n, tmp))
                    if dx < x_tol:
                        done = _CONV_X if gnn < stat_tol else _SMALL_STEP
                        measure = dx
                for i in range(n):
                    X[i, b] = Xn[i, b]
                    G[i, b] = GP[i, q]
                F[b] = fn
                gn[b] = gnn
                if done >= 0:
                    status[r] = done
                    nit[r] = t
                    nfev[r] = t + 1 + ex[b]
                    detail[r] = measure
                    continue
                rows[kept] = b
                kept += 1
            left = kept
            if left == 0:
                end = t
            while j < R and rec_its[j] <= t:
                if rec_its[j] == t:
                    snapshot(j, a0, X, F, F, rec_X, rec_F, rec_F[:0])
                j += 1
        if left > 0:
            end = t0 + nc
        ends[bi] = end
        reached[bi] = reach
        while j < R:  # the block is finished: its rows stay frozen
            snapshot(j, a0, X, F, F, rec_X, rec_F, rec_F[:0])
            j += 1
        put_block(a0, X, G, F, gn, XT, GT, FT, GN)
        for b in range(B):
            FS[a0 + b] = fs[b]
            EX[a0 + b] = ex[b]


def run_search(
    program: Any,
    X0: np.ndarray,
    hyperparameters: dict[str, Any],
    rule: Any,
    callback: Any,
    recorder: Any,
    box: Any,
    lr_table: np.ndarray | None,
    ask: Any,
) -> tuple[dict[str, Any], np.ndarray]:
    """Run :func:`descentlab.minimize`'s loop with the line search, in compiled chunks.

    Args:
        program: The objective's :class:`~descentlab.engine.program.Program`.
        X0: (k, n) starts (already projected on the box).
        hyperparameters: The ``linesearch`` optimizer's (``lr``, ``c``, ``shrink``,
            ``max_backtracks``).
        rule: The :class:`~descentlab.result.StopRule`.
        callback: ``callback(t, X, F)`` or None (then called after every iteration).
        recorder: The block recorder of :mod:`descentlab.descent`, or None.
        box: The bounds (``lo``, ``hi``) or None.
        lr_table: (max_iter,) first trial steps from a scheduler, or None (the optimizer's lr).
        ask: ``ask(callback, t, X, F) -> bool``, the loop's one way to read a callback.

    Returns:
        The per-row outcome arrays (``x``, ``fun``, ``grad_norm``, ``status``, ``nit``,
        ``nfev``, ``diverged_at``, ``detail``, ``cause``), rows in ``X0``'s order, and the (k,)
        evaluations of f alone (trials and first values) included in ``nfev``.
    """
    with _Blocks(X0.shape[0]) as blocks:
        return _search_loop(blocks, program, X0, hyperparameters, rule, callback, recorder, box,
                            lr_table, ask)  # fmt: skip


def _search_loop(blocks: _Blocks, program: Any, X0: np.ndarray, hyperparameters: dict[str, Any],
                 rule: Any, callback: Any, recorder: Any, box: Any, lr_table: np.ndarray | None,
                 ask: Any) -> tuple[dict[str, Any], np.ndarray]:  # fmt: skip
    """:func:`run_search`'s loop, its blocks run by ``blocks``."""
    k, n = X0.shape
    code, consts = program.code, program.consts
    XT = np.ascontiguousarray(X0.T)
    bounded = box is not None
    lo = box.lo if bounded else np.zeros(n)
    hi = box.hi if bounded else np.zeros(n)
    FT, GN = np.empty(k), np.empty(k)
    GT = np.empty((n, k))
    FS = np.full(k, np.nan)
    EX = np.zeros(k, dtype=np.int64)
    rows = RowOutcome.running(k, RUNNING)
    status, nit, nfev, detail, cause, div_at = (rows.status, rows.nit, rows.nfev, rows.detail,
                                                rows.cause, rows.diverged_at)  # fmt: skip
    c, shrink = float(hyperparameters["c"]), float(hyperparameters["shrink"])
    width = int(hyperparameters["max_backtracks"]) + 1
    sweep_fn = sweep_for(k)
    sweep, values = address(sweep_fn, INTERP), address(forward, FORWARD)
    ends = np.empty((k + BLOCK - 1) // BLOCK, dtype=np.int64)
    reached = np.zeros_like(ends)

    def chunk_args(t: int, lrs: np.ndarray, its: list[int], rec_X: Any, rec_F: Any) -> Any:
        return (sweep, values, code, consts, c, shrink, width, lrs, XT, FT, GT, GN, FS, EX,
                status, nit, nfev, detail, cause, div_at, t, rule.grad_tol, rule.f_tol,
                rule.x_tol, rule.stationary_tol, rule.limit, lo, hi, bounded, BLOCK,
                np.array(its, dtype=np.int64), rec_X, rec_F, ends, reached)  # fmt: skip

    starts = (sweep, code, consts, XT, FT, GT, GN, status, nfev, detail, cause, div_at,
              rule.grad_tol, rule.limit, lo, hi, bounded, BLOCK)  # fmt: skip
    first = (*chunk_args(0, np.empty(0), [], np.empty((0, k, n)), np.empty((0, k))), 0, 0)
    needs: list[Any] = []  # what the second process compiles while the run goes on as Python
    if not here(chunk, start, sweep_fn, forward):
        needs = [(chunk, signature(first)), (start, signature((*starts, 0, 0))),
                 (sweep_fn, INTERP.signature.args), (forward, FORWARD.signature.args)]  # fmt: skip
    # up to max_backtracks + 1 values per iteration, ~3 on average
    twins = Twins(needs, k, rule.max_iter, code.shape[0], n, 3)
    if not twins.on:  # a first run compiles start in the second process, chunk here
        ahead(start, (*starts, 0, 0))
        compiled(chunk, first)
    blocks.run(start, starts, twins.now())

    def snapshot() -> tuple[np.ndarray, np.ndarray]:
        return XT.T.copy(), FT.copy()

    if recorder is not None:
        recorder.add(0, *snapshot())
    t = 0
    stopped = False
    per_rec = k * (n + 1)
    while t < rule.max_iter and (status == RUNNING).any() and not stopped:
        size = 1 if callback is not None else min(twins.chunk if twins.on else chunk_for(k),
                                                  rule.max_iter - t)  # fmt: skip
        its: list[int] = []
        if recorder is not None:
            its = [u for u in range(t + 1, t + size + 1) if u % recorder.stride == 0]
            if len(its) * per_rec > REC_FLOATS:  # shorten the chunk to bound the buffer
                keep = max(1, REC_FLOATS // per_rec)
                size = its[keep - 1] - t
                its = its[:keep]
        lrs = (
            np.full(size, float(hyperparameters["lr"]))
            if lr_table is None
            else lr_table[t : t + size]
        )
        rec_X = np.empty((len(its), k, n if getattr(recorder, "points", True) else 0))
        rec_F = np.empty((len(its), k))
        blocks.run(chunk, chunk_args(t, lrs, its, rec_X, rec_F), twins.now())
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
        if callback is not None and reached.any():  # as the general loop: not after a break
            stopped = ask(callback, t, *snapshot())
    if recorder is not None and recorder.its[-1] != t:
        recorder.add(t, *snapshot(), final=True)
    fields = rows.fields(XT.T.copy(), FT, GN, t=t, stopped=stopped, code=RUNNING, extra=EX)
    return fields, EX
