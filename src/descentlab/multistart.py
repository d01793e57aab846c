"""Many starts at once: where to start, and which distinct minima the runs found.

:func:`random_starts` and :func:`grid_starts` make the ``(k, n)`` starting points that
:func:`~descentlab.descent.minimize` runs together; :func:`group_minima` clusters the end points of
the rows that converged into distinct minima (how many starts reached each); :func:`match_known`
labels them with the catalogue's global and local minima. Diverged runs and runs that hit the
iteration limit are never reported as minima: :func:`summarize` counts them.

Examples:
    >>> random_starts([(-2, 2), (0, 1)], 3, seed=0).shape
    (3, 2)
    >>> grid_starts([(0, 1)], 4).ravel().tolist()
    [0.125, 0.375, 0.625, 0.875]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import checks
from .errors import ConfigError
from .problems import Minimum, Problem, check_domain
from .result import Result, Stationary, Status

__all__ = [
    "FoundMinimum",
    "Summary",
    "grid_starts",
    "group_minima",
    "match_known",
    "random_starts",
    "start_domain",
    "summarize",
]

MAX_STARTS = 1_000_000
"""Most starting points in one run: what the helpers make in one call and ``run`` and ``compare``
accept (8 MB of float64 per coordinate; grouping and the JSON of a million runs fit the machine)."""

DEFAULT_BOX = (-2.0, 2.0)
"""Where random starts are drawn, per variable, for an objective without a domain."""


def start_domain(objective: Any) -> list[tuple[float, float]]:
    """The box random starts come from: the objective's domain, else :data:`DEFAULT_BOX`.

    ``run --random-starts`` and :func:`descentlab.compare.compare` both use it, so a comparison's
    starts are exactly the ones ``run`` draws with the same seed.

    Examples:
        >>> class F:
        ...     dim, domain = 2, None
        >>> start_domain(F())
        [(-2.0, 2.0), (-2.0, 2.0)]
    """
    if objective.domain is not None:
        return [(float(lo), float(hi)) for lo, hi in objective.domain]
    return [DEFAULT_BOX] * objective.dim


@dataclass(frozen=True, eq=False)
class FoundMinimum:
    """A distinct minimum reached by one or more starts (compared by identity: ``x`` is an array).

    Attributes:
        x: (n,) the lowest end point of the group.
        f: The value there.
        count: How many starts ended in this group.
        rows: Their row indices in the Result, in increasing order.
        kind: ``"global"`` or ``"local"`` once matched with a catalogue minimum, else None.
        known: The catalogue minimum it matched, or None.
    """

    x: NDArray[np.float64]
    f: float
    count: int
    rows: tuple[int, ...] = field(repr=False)
    kind: str | None = None
    known: Minimum | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Summary:
    """What a multi-start run found, and how many runs did not converge.

    Attributes:
        minima: The distinct minima, lowest first.
        converged: Rows that converged (to a minimum or to another stationary point).
        max_iter: Rows that reached the iteration limit.
        diverged: Rows that diverged.
        stopped: Rows stopped by a callback.
        saddles: Converged rows that ended at a saddle point (not minima).
        maxima: Converged rows that ended at a maximum.
        degenerate: Converged rows where the second-derivative test is inconclusive.
    """

    minima: list[FoundMinimum]
    converged: int
    max_iter: int
    diverged: int
    stopped: int
    saddles: int = 0
    maxima: int = 0
    degenerate: int = 0


def random_starts(domain: Any, k: int, *, seed: int | np.random.Generator | None = None) -> NDArray:
    """``k`` points drawn uniformly from the box ``domain``, reproducibly.

    Args:
        domain: One ``(lo, hi)`` per variable.
        k: How many points.
        seed: An integer seed (the same seed gives the same points), a NumPy Generator, or None
            for fresh randomness.

    Returns:
        Array of shape (k, n) with ``lo <= x < hi`` in every coordinate.

    Raises:
        ConfigError: ``k`` not a positive integer, a malformed domain, or a bad seed.

    Examples:
        >>> X = random_starts([(-2, 2), (-2, 2)], 5, seed=1)
        >>> bool(((X >= -2) & (X < 2)).all())
        True
    """
    k = checks.integer("the number of random starts", k, lo=1, hi=MAX_STARTS)
    box = check_domain(domain)
    if isinstance(seed, bool) or not (
        seed is None or isinstance(seed, int | np.integer | np.random.Generator)
    ):
        raise ConfigError(f"seed must be an integer, a numpy Generator or None (got {seed!r})")
    if isinstance(seed, int | np.integer) and seed < 0:
        raise ConfigError(f"seed must be >= 0 (got {seed!r})")
    rng = np.random.default_rng(seed)
    lo = np.array([a for a, _ in box])
    hi = np.array([b for _, b in box])
    X = lo + (hi - lo) * rng.random((k, len(box)))
    return np.minimum(X, np.nextafter(hi, lo))  # lo + (hi - lo)*u can round up to hi


def grid_starts(domain: Any, per_axis: int | Sequence[int]) -> NDArray:
    """A regular grid of starts: the centres of ``per_axis`` equal cells along each axis.

    Centres rather than edges keep every start strictly inside the box (a formula's domain often
    ends where it stops being defined).

    Args:
        domain: One ``(lo, hi)`` per variable.
        per_axis: Points along each axis: one integer for all axes, or one per axis.

    Returns:
        Array of shape (m, n), m the product of the counts, the first axis varying slowest.

    Raises:
        ConfigError: A count below 1, the wrong number of counts, too many points, or a
            malformed domain.

    Examples:
        >>> grid_starts([(0, 2), (0, 1)], [2, 1]).tolist()
        [[0.5, 0.5], [1.5, 0.5]]
    """
    box = check_domain(domain)
    if isinstance(per_axis, int | np.integer) and not isinstance(per_axis, bool):
        counts = [per_axis] * len(box)
    elif isinstance(per_axis, Sequence) and not isinstance(per_axis, str):
        counts = list(per_axis)
        if len(counts) != len(box):
            raise ConfigError(
                f"per_axis has {len(counts)} counts for a {len(box)}-D domain ({per_axis!r})"
            )
    else:
        raise ConfigError(f"per_axis must be an integer or one per axis (got {per_axis!r})")
    counts = [checks.integer("points per axis", c, lo=1, hi=MAX_STARTS) for c in counts]
    if math.prod(counts) > MAX_STARTS:
        raise ConfigError(f"a grid of {' x '.join(map(str, counts))} is more than {MAX_STARTS:,}")
    axes = [
        lo + (np.arange(c) + 0.5) * (hi - lo) / c for (lo, hi), c in zip(box, counts, strict=True)
    ]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def _converged(result: Result) -> NDArray[np.bool_]:
    """(k,) True where a row converged to a finite point."""
    return result.success & np.isfinite(result.fun) & np.all(np.isfinite(result.x), axis=1)


def _minimum_rows(result: Result) -> NDArray[np.intp]:
    """Rows that converged to a finite point classified as a minimum (or not classified)."""
    ok = _converged(result)
    if result.stationary is not None:
        ok &= result.stationary == Stationary.MINIMUM
    return np.flatnonzero(ok)


_PROJECTION_SEED = 20240601
_PAIRS_AT_ONCE = 1_000_000
"""Most candidate pairs held in memory at once while grouping (16 MB of indices)."""


def group_minima(result: Result, *, tol: float = 1e-4) -> list[FoundMinimum]:
    """Group the end points of the rows that converged to a minimum into distinct minima.

    The rule: the lowest end point starts a group and takes every other end point within
    ``tol * max(1, |x|)`` of it (Euclidean distance, ``x`` the group's lowest point); the lowest
    end point left starts the next group, and so on until every row is grouped. Rows that
    converged to a saddle, a maximum or a degenerate point (see :mod:`descentlab.stationary`), and
    rows that diverged, hit the iteration limit or were stopped are left out (see
    :func:`summarize`).

    The rule reads as a loop over groups, but it is computed without one (a crowd of 10^5 end
    points would make 10^5 Python iterations), in ``O(N log N)`` NumPy work for end points
    spread in space: near pairs come from a grid of cells one radius wide (on three fixed
    random directions when there are more than three variables); end points that share a cell
    ``tol / sqrt(n)`` wide can only follow the first of them, so the rule runs on those first
    points in rounds (a point is settled once every lower point that reaches it is), and the
    others join the lowest group start that reaches them. A point that no group start reaches is
    added to the points the rule runs on, which repeats until none is left (at most a few
    times): the groups are exactly the loop's.

    Args:
        result: The Result of a multi-start :func:`~descentlab.descent.minimize`.
        tol: Distance under which two end points are the same minimum (relative for ``|x| > 1``).

    Returns:
        The distinct minima, sorted by f (ties by the number of starts, most first).

    Raises:
        ConfigError: ``tol`` is not a positive finite number.

    Examples:
        >>> from descentlab.descent import minimize
        >>> from descentlab.objective import Objective
        >>> from descentlab.optimizers import gd
        >>> r = minimize(Objective.from_problem("quartic"), [[-3.0], [0.5], [4.0]], gd(lr=0.001),
        ...              max_iter=100_000, grad_tol=1e-10)
        >>> [(round(float(m.x[0]), 6), m.count) for m in group_minima(r)]
        [(-2.0, 1), (1.0, 2)]
    """
    tol = checks.positive("tol", tol)
    rows = _minimum_rows(result)
    if rows.size == 0:
        return []
    order = rows[np.argsort(result.fun[rows], kind="stable")]  # lowest f first: rank = position
    X = result.x[order]
    group = _leaders(X, tol * np.maximum(1.0, np.linalg.norm(X, axis=1)), tol)

    centres, counts = np.unique(group, return_counts=True)
    rows_sorted = order[np.lexsort((order, group))].tolist()  # by group, then by row index
    ends = np.cumsum(counts).tolist()
    xs = X[centres]
    fs = result.fun[order[centres]].tolist()
    found = [
        FoundMinimum(x=xs[j], f=fs[j], count=end - start, rows=tuple(rows_sorted[start:end]))
        for j, (start, end) in enumerate(zip([0, *ends[:-1]], ends, strict=True))
    ]
    found.sort(key=lambda f: (f.f, -f.count))
    return found


def _leaders(X: NDArray, radius: NDArray, tol: float) -> NDArray[np.intp]:
    """For points in rank order, the rank of the group start each joins (see group_minima)."""
    m, n = X.shape
    if n <= 3:
        P = X
    else:  # a projection shortens distances: pairs within r stay within r
        g = np.random.default_rng(_PROJECTION_SEED).standard_normal((n, 3))
        P = X @ np.linalg.qr(g)[0]
    grid = _Grid(P, float(radius.max()))
    cell = np.unique(np.floor(X * (math.sqrt(n) / tol)), axis=0, return_index=True)[1]
    runs = np.zeros(m, dtype=bool)
    runs[cell] = True  # the first (lowest) point of each small cell
    while True:
        ids = np.flatnonzero(runs)
        starts = ids[_greedy(X, radius, grid, ids)]
        group, missed = _join(X, radius, grid, starts)
        if not missed.any():
            return group
        runs |= missed


def _greedy(X: NDArray, radius: NDArray, grid: _Grid, ids: NDArray) -> NDArray[np.bool_]:
    """Which of the points ``ids`` (increasing ranks) start a group when the rule runs on them."""
    a_all, b_all = [], []
    for a, b in grid.pairs(ids, ids):  # positions in ids
        keep = a < b
        a, b = a[keep], b[keep]
        reach = np.linalg.norm(X[ids[a]] - X[ids[b]], axis=1) <= radius[ids[a]]
        a_all.append(a[reach])
        b_all.append(b[reach])
    a = np.concatenate(a_all) if a_all else np.zeros(0, np.intp)
    b = np.concatenate(b_all) if b_all else np.zeros(0, np.intp)
    state = np.zeros(ids.size, dtype=np.int8)  # 0 open, 1 starts a group, 2 joins one
    while True:
        first = np.full(ids.size, ids.size, dtype=np.intp)  # lowest open or starting point reaching
        np.minimum.at(first, b, a)
        open_ = state == 0
        state[open_ & (first == ids.size)] = 1
        joins = open_ & (first < ids.size)
        joins[joins] = state[first[joins]] == 1
        state[joins] = 2
        keep = (state[a] != 2) & (state[b] == 0)
        a, b = a[keep], b[keep]
        if a.size == 0:
            state[state == 0] = 1
            return state == 1


def _join(
    X: NDArray, radius: NDArray, grid: _Grid, starts: NDArray
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """Each point's lowest reaching group start among ``starts``; and points none reaches."""
    m = X.shape[0]
    group = np.full(m, m, dtype=np.intp)
    group[starts] = starts
    every = np.arange(m)
    for p, s in grid.pairs(every, starts):
        s = starts[s]
        keep = s < p
        p, s = p[keep], s[keep]
        reach = np.linalg.norm(X[p] - X[s], axis=1) <= radius[s]
        np.minimum.at(group, p[reach], s[reach])
    return group, group == m


class _Grid:
    """Cells of side ``h`` over the (projected) end points ``P``: which pairs may be within h."""

    def __init__(self, P: NDArray, h: float) -> None:
        cells = np.floor(P / h)
        axes = [np.unique(c) for c in cells.T]
        while math.prod(len(a) for a in axes) >= 2**62:  # keys fit in int64: fewer axes, more pairs
            axes.pop()
        self.dim = len(axes)
        self.near: dict[tuple[int, int], tuple[NDArray, NDArray]] = {}
        stride = 1
        for k in reversed(range(self.dim)):  # for offsets -1, 0, 1 along each axis: the
            for o in (-1, 0, 1):  # next cell's part of the key, and whether any point is there
                v = cells[:, k] + o
                at = np.minimum(np.searchsorted(axes[k], v), len(axes[k]) - 1)
                self.near[k, o] = (at * stride, axes[k][at] == v)
            stride *= len(axes[k])
        self.key: NDArray = np.sum([self.near[k, 0][0] for k in range(self.dim)], axis=0)
        self.pairs_made = 0  # candidate pairs handed out (the work the tests bound)

    def pairs(self, query: NDArray, target: NDArray) -> Iterator[tuple[NDArray, NDArray]]:
        """Positions ``(i, j)`` in ``query`` and ``target`` of points in the same or next cells.

        Yielded in chunks of at most about :data:`_PAIRS_AT_ONCE` pairs.
        """
        by_key = np.argsort(self.key[target], kind="stable")
        sorted_keys = self.key[target][by_key]
        ranked = np.argsort(self.key[query], kind="stable")  # needles in order: fast search
        query = query[ranked]
        for offset in itertools.product((-1, 0, 1), repeat=self.dim):
            key_q = np.zeros(len(query), dtype=np.intp)
            found = np.ones(len(query), dtype=bool)
            for k, o in enumerate(offset):
                at, exists = self.near[k, o]
                key_q += at[query]
                found &= exists[query]
            lo = np.searchsorted(sorted_keys, key_q, side="left")
            count = np.where(found, np.searchsorted(sorted_keys, key_q, side="right") - lo, 0)
            ends = np.cumsum(count)
            start = 0
            while start < len(query):
                budget = ends[start] - count[start] + _PAIRS_AT_ONCE
                stop = max(int(np.searchsorted(ends, budget, side="right")), start + 1)
                c = count[start:stop]
                i = np.repeat(ranked[start:stop], c)
                within = np.arange(i.size) - np.repeat(np.cumsum(c) - c, c)
                j = by_key[np.repeat(lo[start:stop], c) + within]
                self.pairs_made += i.size
                yield i, j
                start = stop


def summarize(result: Result, *, tol: float = 1e-4) -> Summary:
    """The distinct minima found (see :func:`group_minima`) and how the other rows ended.

    Args:
        result: The Result of a multi-start run.
        tol: As for :func:`group_minima`.

    Returns:
        A :class:`Summary`.

    Raises:
        ConfigError: ``tol`` is not a positive finite number.
    """
    minima = group_minima(result, tol=tol)
    status = np.asarray(result.status)
    kinds = result.stationary if result.stationary is not None else np.zeros(result.k, np.int8)
    return Summary(
        minima=minima,
        converged=int(np.sum(_converged(result))),
        max_iter=int(np.sum(status == Status.MAX_ITER)),
        diverged=int(np.sum(status == Status.DIVERGED)),
        stopped=int(np.sum(status == Status.STOPPED)),
        saddles=int(np.sum(kinds == Stationary.SADDLE)),
        maxima=int(np.sum(kinds == Stationary.MAXIMUM)),
        degenerate=int(np.sum(kinds == Stationary.DEGENERATE)),
    )


def match_known(
    found: Sequence[FoundMinimum], problem: Problem | None, *, tol: float = 1e-3
) -> list[FoundMinimum]:
    """Label found minima with the catalogue's ``"global"`` / ``"local"`` when close to one.

    Args:
        found: Minima from :func:`group_minima`.
        problem: The catalogue problem the run was on (None: nothing to match, returned as is).
        tol: Largest distance ``tol * max(1, |x|)`` to the catalogue point to count as a match.

    Returns:
        The same minima, in the same order, with ``kind`` and ``known`` set where one matched
        (None where the point is not in the catalogue).

    Raises:
        ConfigError: ``tol`` is not a positive finite number, or a found point has the wrong
            dimension for the problem.

    Examples:
        >>> from descentlab.problems import get
        >>> m = FoundMinimum(x=np.array([1.0000001]), f=2.0, count=3, rows=(0, 1, 2))
        >>> match_known([m], get("quartic"))[0].kind
        'local'
    """
    tol = checks.positive("tol", tol)
    if problem is None:
        return list(found)
    out = []
    for m in found:
        x = np.asarray(m.x, dtype=float)
        if x.shape != (problem.dim,):
            raise ConfigError(
                f"a found minimum of shape {x.shape} cannot match {problem.name!r} "
                f"({problem.dim} variables)"
            )
        best, best_d = None, math.inf
        for known in problem.minima:
            d = float(np.linalg.norm(x - np.asarray(known.x)))
            if d < best_d:
                best, best_d = known, d
        if best is not None and best_d <= tol * max(1.0, float(np.linalg.norm(x))):
            out.append(FoundMinimum(m.x, m.f, m.count, m.rows, best.kind, best))
        else:
            out.append(FoundMinimum(m.x, m.f, m.count, m.rows))
    return out
