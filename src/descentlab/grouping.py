"""The grouping rule of :func:`descentlab.multistart.group_minima`, compiled, with bounded work.

The rule: end points in rank order (lowest f first); a point joins the lowest-ranked group start
that reaches it (start ``s`` reaches ``x`` when ``|x - x_s| <= r_s = tol * max(1, |x_s|)``), else
it starts a group. It is sequential by nature (whether a point starts a group depends on every
lower point), so it runs as one compiled loop over the points, and each point is compared only
with the group starts stored in the grid cells next to it:

- **Levels.** A start with ``|x_s| <= 1`` is stored at level 0; one with ``2^(j-1) < |x_s| <= 2^j``
  at level ``j``. Level ``j``'s cells are cubes of side ``h_j = tol * 2^j`` (times ``1 + 2^-6``,
  a margin for rounding), at least the radius of every start stored there, so a start that
  reaches ``x`` is in one of the ``3^d`` cells around ``x`` at its level. ``|x - x_s| <= r_s``
  implies ``|x|/(1 + tol) <= |x_s| <= |x|/(1 - tol)``, so for ``tol < 1/3`` a point looks at one
  level, or two when ``|x|`` is near a power of 2. A far outlier lives at its own level and does
  not stretch the cells of the others.
- **Starts per cell.** Two starts of one level are more than ``h_j / 2`` apart (the later one is
  not reached by the earlier one, whose radius is at least ``h_j / 2``), so a cell holds at most
  3 of them in 1-D, 9 in 2-D and 27 in 3-D (points more than ``a/2`` apart in a cube of side
  ``a``).
- **Work.** Each point visits at most ``2 * 3^d`` cells (hash-table look-ups) and compares with at
  most ``9 * 3^d`` starts (2-D): ``O(N)`` after the ``O(N log N)`` sort by f, whatever the shape:
  a chain, a single tight cluster, a far outlier, a million scattered end points.
- With more than 3 variables the grid is over a fixed random projection to 3-D (an orthonormal
  one: distances only shrink, so no pair within reach is missed); there the count of starts per
  cell is bounded only for end points that are not crowded in every direction the projection
  drops, and the work is ``O(N * starts per cell)``.
- Cells are never smaller than ``2^-40`` of the level's scale (for ``tol < 2^-40`` a cell may hold
  more starts than the bound above; the groups are still exact).

This module imports numba; :mod:`descentlab.multistart` imports it on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from descentlab.engine.jit import inline, jit, run

__all__ = ["Work", "leaders"]

_MARGIN = 1.0 + 2.0**-6
"""Cells are this much wider than the largest radius stored in them (rounding in x / side)."""

_SMALLEST_TOL = 2.0**-40
"""Cells are never narrower than this (times the level's scale): cell indices stay below 2^42."""

_PROJECTION_SEED = 20240601


class Work(NamedTuple):
    """What one grouping did, for the tests that bound it.

    Attributes:
        comparisons: Distances computed between a point and a group start.
        visits: Grid cells looked up.
        probes: Hash-table slots inspected by those look-ups (at least one per visit).
        most_per_cell: The most group starts any one cell held.
    """

    comparisons: int
    visits: int
    probes: int
    most_per_cell: int


@inline
def _cell(P, p, j, side, k, offset, out):
    """Write the level-``j`` cell of point ``p`` moved by ``offset`` (base-3 digits) into out."""
    out[0] = j
    q = offset
    for i in range(k):
        out[i + 1] = np.int64(np.floor(P[p, i] / side)) + q % 3 - 1
        q //= 3


@inline
def _hash(cell, mask):
    """A slot for a cell key (splitmix-style mixing of its integers; mask = table size - 1)."""
    h = np.int64(0x2545F4914F6CDD1D)
    for c in cell:
        h = (h ^ c) * np.int64(0x5851F42D4C957F2D)
        h ^= (h >> 29) & np.int64(0x7FFFFFFFF)
    return h & mask


@inline
def _find(cell, P, level, side0, head, mask, k, scratch):
    """The slot of ``cell``: where its starts are listed, or the empty slot where they would be.

    A slot stores only its first start; the slot's key is that start's own cell, recomputed.
    Returns (slot, probes).
    """
    slot = _hash(cell, mask)
    probes = 1
    j = cell[0]
    side = side0 * 2.0**j
    while head[slot] >= 0:
        s = head[slot]
        if level[s] == j:
            _cell(P, s, j, side, k, (3**k - 1) // 2, scratch)  # offset 0 along every axis
            same = True
            for i in range(1, k + 1):
                if scratch[i] != cell[i]:
                    same = False
                    break
            if same:
                return slot, probes
        slot = (slot + 1) & mask
        probes += 1
    return slot, probes


@jit(sources=[Path(__file__)])  # keyed on this file: it calls nothing of the engine
def _leaders(X, P, radius, level, jlo, jhi, side0):
    """The group start of each point, in one pass over the points in rank order.

    Args:
        X: (m, n) end points, lowest f first (row i has rank i).
        P: (m, k) their coordinates on the grid's axes (k <= 3).
        radius: (m,) each point's reach if it starts a group.
        level: (m,) the level a point is stored at if it starts a group.
        jlo, jhi: (m,) the lowest and highest level a start reaching the point can be stored at.
        side0: Cell side at level 0 (level j: ``side0 * 2^j``).

    Returns:
        group (m,) the rank of the start each point joins (its own if it starts one), and the
        counts comparisons, visits, probes, most starts in one cell.
    """
    m, n = X.shape
    k = P.shape[1]
    size = 16
    head = np.full(size, -1, np.int32)  # per slot: first start of the cell, or -1
    tail = np.full(size, -1, np.int32)  # and last (starts are appended: ranks increase)
    count = np.zeros(size, np.int32)
    used = 0
    nxt = np.full(m, -1, np.int32)  # the next start in the same cell
    group = np.empty(m, np.int64)
    cell = np.empty(k + 1, np.int64)
    scratch = np.empty(k + 1, np.int64)
    comparisons = visits = probes = most = 0
    for p in range(m):
        best = m
        for j in range(jlo[p], jhi[p] + 1):
            side = side0 * 2.0**j
            for offset in range(3**k):
                _cell(P, p, j, side, k, offset, cell)
                slot, tries = _find(cell, P, level, side0, head, size - 1, k, scratch)
                visits += 1
                probes += tries
                s = head[slot]
                while s >= 0 and s < best:  # the cell's starts, lowest rank first
                    comparisons += 1
                    d = 0.0
                    for i in range(n):
                        t = X[p, i] - X[s, i]
                        d += t * t
                    if np.sqrt(d) <= radius[s]:
                        best = s
                        break
                    s = nxt[s]
        if best < m:
            group[p] = best
            continue
        group[p] = p
        j = level[p]
        _cell(P, p, j, side0 * 2.0**j, k, (3**k - 1) // 2, cell)
        slot, tries = _find(cell, P, level, side0, head, size - 1, k, scratch)
        probes += tries
        if head[slot] < 0:
            head[slot] = p
            used += 1
        else:
            nxt[tail[slot]] = p
        tail[slot] = p
        count[slot] += 1
        most = max(most, count[slot])
        if 2 * used > size:  # keep the table at most half full: double it and re-insert
            old_head, old_tail, old_count = head, tail, count
            size *= 2
            head = np.full(size, -1, np.int32)
            tail = np.full(size, -1, np.int32)
            count = np.zeros(size, np.int32)
            for o in range(old_head.size):
                s = old_head[o]
                if s < 0:
                    continue
                j = level[s]
                _cell(P, s, j, side0 * 2.0**j, k, (3**k - 1) // 2, cell)
                slot, tries = _find(cell, P, level, side0, head, size - 1, k, scratch)
                head[slot] = s
                tail[slot] = old_tail[o]
                count[slot] = old_count[o]
    return group, comparisons, visits, probes, most


def _level(norm: NDArray[np.float64]) -> NDArray[np.int64]:
    """0 for ``|x| <= 1``, else ``j`` with ``2^(j-1) < |x| <= 2^j``."""
    mantissa, exponent = np.frexp(norm)
    j = np.where(mantissa == 0.5, exponent - 1, exponent)  # |x| = 2^(e-1) exactly: level e-1
    return np.where(norm <= 1.0, 0, j).astype(np.int64)


def leaders(X: NDArray[np.float64], tol: float) -> tuple[NDArray[np.intp], Work]:
    """For end points in rank order, the rank of the group start each one joins.

    Args:
        X: (m, n) finite end points, lowest f first.
        tol: The grouping tolerance (a positive finite number).

    Returns:
        ``group`` (m,) with ``group[i] <= i`` (``group[i] == i`` where point i starts a group),
        and the :class:`Work` done.
    """
    m, n = X.shape
    if m == 0:
        return np.zeros(0, dtype=np.intp), Work(0, 0, 0, 0)
    X = np.ascontiguousarray(X, dtype=np.float64)
    norm = np.linalg.norm(X, axis=1)
    radius = tol * np.maximum(1.0, norm)
    if n <= 3:
        P = X
    else:  # an orthonormal projection shortens distances: pairs within r stay within r
        g = np.random.default_rng(_PROJECTION_SEED).standard_normal((n, 3))
        P = np.ascontiguousarray(X @ np.linalg.qr(g)[0])
    level = _level(norm)
    # A start s reaching x has |x|/(1+tol) - tol <= |x_s| <= max(|x|/(1-tol), |x| + tol) (tol < 1).
    slack = 1e-9
    low = np.minimum(norm - tol, norm / (1.0 + tol)) * (1.0 - slack)
    jlo = _level(np.maximum(low, 0.0))
    if tol < 0.5:
        high = np.maximum(norm / (1.0 - tol), norm + tol) * (1.0 + slack)
        jhi = np.minimum(_level(high), level.max())
    else:
        jhi = np.full(m, level.max(), dtype=np.int64)
    jlo = np.maximum(jlo, level.min())
    side0 = max(tol, _SMALLEST_TOL) * _MARGIN
    args = (X, P, radius, level, jlo, jhi, side0)
    # as Python while the cache lacks the machine code (engine.jit.run): ~20 us per cell visit
    seconds = 2e-5 * m * 3 ** P.shape[1] * (1 + int((jhi - jlo).max()))
    group, comparisons, visits, probes, most = run(_leaders, args, seconds)
    return group.astype(np.intp), Work(int(comparisons), int(visits), int(probes), int(most))
