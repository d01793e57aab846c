"""Which iterates become frames: thinning a real trajectory to a frame budget.

Frames are always real iterates, in their order: every k-th one (``"stride"``) or equally spaced in
distance travelled along the path (``"distance"``, which suits descent that slows down). Nothing
is rounded, reordered or merged by value; the first and last iterates are always shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from descentlab.errors import ConfigError

__all__ = ["align_ends", "pad", "sample_indices"]


def sample_indices(
    n_points: int,
    budget: int,
    *,
    mode: Literal["stride", "distance"] = "stride",
    xs: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of the iterates to show, at most ``budget`` of them.

    Args:
        n_points: Length T of the trajectory.
        budget: Largest number of indices to return (>= 2 unless ``n_points`` is 1).
        mode: ``"stride"`` keeps every k-th iterate (k as small as the budget allows);
            ``"distance"`` keeps the first iterate past each of m equally spaced distances
            along the path, with m the largest count (up to 64 x budget) that yields at most
            ``budget`` distinct iterates.
        xs: The path, shape (T,) or (T, ...), needed for ``"distance"``; trailing axes are
            flattened, so a (T, k, n) multi-start path is measured as one point moving in k*n
            dimensions.

    Returns:
        Strictly increasing int indices; the first is 0 and the last is ``n_points - 1``.

    Raises:
        ConfigError: A bad count, budget, mode or path.

    Examples:
        >>> sample_indices(10, 4).tolist()
        [0, 3, 6, 9]
        >>> sample_indices(3, 10).tolist()
        [0, 1, 2]
    """
    if isinstance(n_points, bool) or int(n_points) != n_points or n_points < 1:
        raise ConfigError(f"n_points must be a positive integer (got {n_points!r})")
    if isinstance(budget, bool) or int(budget) != budget or budget < 1:
        raise ConfigError(f"budget must be a positive integer (got {budget!r})")
    n_points, budget = int(n_points), int(budget)
    if n_points > 1 and budget < 2:
        raise ConfigError(f"budget must be >= 2 to show the first and last iterates (got {budget})")
    if mode not in ("stride", "distance"):
        raise ConfigError(f"mode must be 'stride' or 'distance' (got {mode!r})")
    if mode == "distance":
        if xs is None:
            raise ConfigError("mode='distance' needs the path xs")
        path = np.asarray(xs, dtype=float).reshape(len(xs), -1)
        if path.shape[0] != n_points:
            raise ConfigError(f"xs has {path.shape[0]} points, expected n_points={n_points}")
        if not np.all(np.isfinite(path)):
            raise ConfigError("xs contains non-finite values; cannot measure distance")
    if n_points <= budget:
        return np.arange(n_points)
    if mode == "stride":
        k = -(-(n_points - 1) // (budget - 1))  # ceil: at most budget - 1 strides + the end
        idx = np.arange(0, n_points - 1, k)
        return np.append(idx, n_points - 1)
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    arc = np.concatenate(([0.0], np.cumsum(steps)))
    if arc[-1] == 0.0:
        return np.array([0, n_points - 1])

    def at_distances(m: int) -> np.ndarray:
        idx = np.searchsorted(arc, np.linspace(0.0, arc[-1], m), side="left")
        idx[0], idx[-1] = 0, n_points - 1
        # Several distances can fall inside one long step: keep each iterate once, in order.
        return np.unique(np.clip(idx, 0, n_points - 1))

    # Long early steps swallow several equally spaced distances; use finer spacing, as fine as
    # the budget allows (the count of distinct iterates grows with m).
    best, lo, hi = at_distances(budget), budget, 64 * budget
    while lo < hi:
        mid = (lo + hi + 1) // 2
        trial = at_distances(mid)
        if len(trial) <= budget:
            best, lo = trial, mid
        else:
            hi = mid - 1
    return best


def pad(indices: np.ndarray | Sequence[int], pause_frames: int) -> np.ndarray:
    """Append ``pause_frames`` copies of the last index: the clip rests on its final frame.

    Raises:
        ConfigError: Empty indices or a negative pause.

    Examples:
        >>> pad([0, 4, 9], 2).tolist()
        [0, 4, 9, 9, 9]
    """
    idx = np.asarray(indices, dtype=int)
    if idx.ndim != 1 or idx.size == 0:
        raise ConfigError("indices must be a non-empty 1-D sequence")
    if isinstance(pause_frames, bool) or int(pause_frames) != pause_frames or pause_frames < 0:
        raise ConfigError(f"pause_frames must be an integer >= 0 (got {pause_frames!r})")
    return np.concatenate((idx, np.full(int(pause_frames), idx[-1])))


def align_ends(paths: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Pad shorter paths with their last point so all have the same length (panels end together).

    Args:
        paths: Arrays of shape (T_i, ...), T_i >= 1, with equal trailing shapes per array.

    Returns:
        New arrays, each of length ``max(T_i)``; the originals are not changed.

    Raises:
        ConfigError: No paths, or an empty one.
    """
    if len(paths) == 0:
        raise ConfigError("align_ends needs at least one path")
    arrays = [np.asarray(p) for p in paths]
    if any(a.ndim == 0 or a.shape[0] == 0 for a in arrays):
        raise ConfigError("every path needs at least one point")
    length = max(a.shape[0] for a in arrays)
    out = []
    for a in arrays:
        tail = np.repeat(a[-1:], length - a.shape[0], axis=0)
        out.append(np.concatenate((a, tail), axis=0))
    return out
