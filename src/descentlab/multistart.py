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

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from . import checks
from .errors import ConfigError
from .problems import Minimum, Problem, check_domain
from .result import Result, Stationary, Status

if TYPE_CHECKING:
    from .grouping import Work

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


def random_starts(
    domain: Any, k: int, *, seed: int | np.random.Generator | None = None
) -> NDArray[np.float64]:
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
    # lo + (hi - lo)*u can round up to hi
    inside: NDArray[np.float64] = np.minimum(X, np.nextafter(hi, lo))
    return inside


def grid_starts(domain: Any, per_axis: int | Sequence[int]) -> NDArray[np.float64]:
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
    ok: NDArray[np.bool_] = (
        result.success & np.isfinite(result.fun) & np.all(np.isfinite(result.x), axis=1)
    )
    return ok


def _minimum_rows(result: Result) -> NDArray[np.intp]:
    """Rows that converged to a finite point classified as a minimum (or not classified)."""
    ok = _converged(result)
    if result.stationary is not None:
        ok &= result.stationary == Stationary.MINIMUM
    return np.flatnonzero(ok)


def group_minima(result: Result, *, tol: float = 1e-4) -> list[FoundMinimum]:
    """Group the end points of the rows that converged to a minimum into distinct minima.

    The rule: the lowest end point starts a group and takes every other end point within
    ``tol * max(1, |x|)`` of it (Euclidean distance, ``x`` the group's lowest point); the lowest
    end point left starts the next group, and so on until every row is grouped. Rows that
    converged to a saddle, a maximum or a degenerate point (see :mod:`descentlab.stationary`), and
    rows that diverged, hit the iteration limit or were stopped are left out (see
    :func:`summarize`).

    The rule runs as one compiled pass over the end points sorted by f, each compared only with
    the group starts in the grid cells around it (:mod:`descentlab.grouping`): ``O(N log N)``
    for N end points in up to 3 variables whatever their shape (a chain of points each within
    reach of the next, one tight cluster, a far outlier, a million scattered points).

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
    group, _ = _leaders(X, tol)

    centres, counts = np.unique(group, return_counts=True)
    rows_sorted = order[np.lexsort((order, group))].tolist()  # by group, then by row index
    ends = np.cumsum(counts).tolist()
    xs = list(X[centres])  # one row view each (iterating is faster than indexing)
    fs = result.fun[order[centres]].tolist()
    found = [
        FoundMinimum(x, f, end - start, tuple(rows_sorted[start:end]))
        for x, f, start, end in zip(xs, fs, [0, *ends[:-1]], ends, strict=True)
    ]
    found.sort(key=lambda f: (f.f, -f.count))
    return found


def _leaders(X: NDArray[np.float64], tol: float) -> tuple[NDArray[np.intp], Work]:
    """For end points in rank order, the rank of the group start each joins, and the work done.

    (:func:`descentlab.grouping.leaders`, imported here on first use: it compiles with numba.)
    """
    from descentlab.grouping import leaders

    return leaders(X, tol)


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
