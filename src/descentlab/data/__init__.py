"""Data for fitting models: shipped CSV sets, seeded synthetic sets and the user's own CSV.

A :class:`Dataset` holds the features ``X`` (m, d), the target ``y`` (m,), their names and the
task (``"regression"``, or ``"classification"`` when every target is 0 or 1). :func:`load` takes a
name from :data:`DATASETS` or the path of a CSV file; :func:`read_csv` reads a CSV file with a
header row, numeric cells only, the last column the target unless ``target=`` names another.
A bad file raises :class:`~descentlab.errors.ConfigError` naming the row and the column.

The shipped files and their sources and licences are listed in this package's ``README.md``.

Examples:
    >>> engel = load("engel")
    >>> engel.X.shape, engel.features, engel.target, engel.kind
    ((235, 1), ('income',), 'foodexp', 'regression')
    >>> moons(50, seed=1).kind
    'classification'
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from descentlab.checks import in_range, integer, non_negative
from descentlab.errors import ConfigError

__all__ = [
    "DATASETS",
    "MAX_ROWS",
    "Dataset",
    "blobs",
    "line",
    "load",
    "moons",
    "read_csv",
]

Array = NDArray[np.float64]

MAX_ROWS = 100_000
"""Rows a CSV file may have (these are teaching sets; a larger file is refused, not truncated)."""

MAX_BYTES = 64 * 1024 * 1024
"""Bytes a CSV file may have."""


@dataclass(frozen=True)
class Dataset:
    """Features and target of a data set, with their names.

    Attributes:
        name: The set's name (a :data:`DATASETS` key or the file name).
        X: (m, d) features.
        y: (m,) target.
        features: The d feature names.
        target: The target's name.
        kind: ``"classification"`` when every target is 0 or 1, else ``"regression"``.
        x_mean: (d,) the means subtracted by :meth:`standardized` (None if not standardized).
        x_scale: (d,) the standard deviations divided by (None if not standardized).
    """

    name: str
    X: Array
    y: Array
    features: tuple[str, ...]
    target: str
    kind: Literal["regression", "classification"]
    x_mean: Array | None = None
    x_scale: Array | None = None

    @property
    def rows(self) -> int:
        """Number of rows m."""
        return int(self.X.shape[0])

    def standardized(self, like: Dataset | None = None) -> Dataset:
        """The set with every feature shifted to mean 0 and scaled to standard deviation 1.

        A constant feature is only shifted. Gradient descent needs this on features of very
        different sizes (Engel's incomes are in the thousands): the loss's curvature along a
        weight grows with the square of its feature, and one learning rate must suit them all.

        Args:
            like: A standardized set whose means and deviations to use instead of this set's
                own (a validation set is scaled as its training set was).

        Raises:
            ValueError: ``like`` is not standardized.
        """
        if like is None:
            mean = self.X.mean(axis=0)
            scale = self.X.std(axis=0)
            scale = np.where(scale > 0, scale, 1.0)
        elif like.x_mean is None or like.x_scale is None:
            raise ValueError(f"{like.name!r} is not standardized: it has no means to reuse")
        else:
            mean, scale = like.x_mean, like.x_scale
        return replace(self, X=(self.X - mean) / scale, x_mean=mean, x_scale=scale)

    def split(self, holdout: float, seed: int) -> tuple[Dataset, Dataset]:
        """Training and validation sets: a seeded random ``holdout`` fraction is held out.

        Args:
            holdout: Fraction of rows for validation, in (0, 1); both parts keep at least a row.
            seed: Seed of the shuffle (``np.random.default_rng(seed).permutation(m)``).

        Raises:
            ConfigError: A fraction outside (0, 1), or one that leaves a part empty.
        """
        holdout = in_range("holdout", holdout, 0.0, 1.0, lo_open=True, hi_open=True)
        n_valid = round(self.rows * holdout)
        if not 1 <= n_valid < self.rows:
            raise ConfigError(
                f"holdout {holdout:g} of {self.rows} rows leaves a part empty "
                f"({n_valid} for validation)"
            )
        order = np.random.default_rng(seed).permutation(self.rows)
        valid, train = np.sort(order[:n_valid]), np.sort(order[n_valid:])
        return (
            replace(self, X=self.X[train], y=self.y[train]),
            replace(self, name=f"{self.name} (validation)", X=self.X[valid], y=self.y[valid]),
        )


def _kind(y: Array) -> Literal["regression", "classification"]:
    return "classification" if np.isin(y, (0.0, 1.0)).all() else "regression"


def _make(name: str, X: Array, y: Array, features: tuple[str, ...], target: str) -> Dataset:
    return Dataset(name, X, y, features, target, _kind(y))


# ---------------------------------------------------------------------------------------------
# CSV files


def read_csv(path: str | Path, *, target: str | None = None, name: str | None = None) -> Dataset:
    """Read a CSV file: a header row of names, then rows of numbers.

    Args:
        path: The file.
        target: The target column's name (default: the last column).
        name: The set's name (default: the file name).

    Returns:
        The data set; every other column is a feature, in file order.

    Raises:
        ConfigError: A missing or unreadable file, an empty file or one with no data rows, fewer
            than two columns, a duplicate or empty column name, an unknown ``target``, a row with
            the wrong number of cells, or a cell that is not a finite number. The message names
            the row (counting the header as row 1, as a spreadsheet does) and the column.
    """
    p = Path(path)
    label = str(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(f"{label}: the file has {size:,} bytes; the limit is {MAX_BYTES:,}")
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: not a text file (UTF-8 CSV expected)") from None
    except OSError as exc:
        raise ConfigError(f"cannot read data file {label!r}: {exc.strerror or exc}") from None
    return _parse_csv(text, label, target=target, name=name or p.name)


def _parse_csv(text: str, label: str, *, target: str | None, name: str) -> Dataset:
    """The Dataset in CSV ``text``; errors start with ``label`` (the file's name)."""
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    rows: list[list[float]] = []
    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue  # blank lines
            if header is None:
                header = [cell.strip() for cell in record]
                _check_header(header, label)
                continue
            if len(record) != len(header):
                raise ConfigError(
                    f"{label}: row {line} has {len(record)} cells; the header has {len(header)}"
                )
            if len(rows) >= MAX_ROWS:
                raise ConfigError(f"{label}: more than {MAX_ROWS:,} data rows")
            rows.append([_number(cell, label, line, header, j) for j, cell in enumerate(record)])
    except csv.Error as exc:
        raise ConfigError(f"{label}: row {reader.line_num}: {exc}") from None
    if header is None:
        raise ConfigError(f"{label}: the file is empty (a header row and data rows expected)")
    if not rows:
        raise ConfigError(f"{label}: no data rows after the header")
    if target is None:
        t = len(header) - 1
    elif target in header:
        t = header.index(target)
    else:
        raise ConfigError(
            f"{label}: no target column {target!r}; the columns are {', '.join(header)}"
        )
    table = np.array(rows, dtype=np.float64)
    keep = [j for j in range(len(header)) if j != t]
    features = tuple(header[j] for j in keep)
    return _make(
        name, np.ascontiguousarray(table[:, keep]), table[:, t].copy(), features, header[t]
    )


def _check_header(header: list[str], label: str) -> None:
    if len(header) < 2:
        raise ConfigError(
            f"{label}: row 1 (the header) has {len(header)} column; a feature and a target "
            "are needed"
        )
    for j, cell in enumerate(header):
        if not cell:
            raise ConfigError(f"{label}: row 1 (the header), column {j + 1} has no name")
        if header.index(cell) != j:
            raise ConfigError(f"{label}: row 1 (the header): column name {cell!r} appears twice")


def _number(cell: str, label: str, line: int, header: list[str], j: int) -> float:
    try:
        value = float(cell)
    except ValueError:
        shown = cell if len(cell) <= 30 else cell[:27] + "..."
        raise ConfigError(
            f"{label}: row {line}, column {j + 1} ({header[j]!r}): {shown!r} is not a number"
        ) from None
    if not math.isfinite(value):
        raise ConfigError(
            f"{label}: row {line}, column {j + 1} ({header[j]!r}): {cell.strip()!r} is not finite"
        )
    return value


def _shipped(filename: str, name: str) -> Callable[[], Dataset]:
    def load_shipped() -> Dataset:
        text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
        return _parse_csv(text, filename, target=None, name=name)

    load_shipped.__doc__ = f"The shipped set ``{filename}`` (see the package README)."
    return load_shipped


# ---------------------------------------------------------------------------------------------
# Synthetic sets


def line(
    n: int = 100,
    *,
    slope: float = 2.0,
    intercept: float = -1.0,
    noise: float = 0.5,
    seed: int = 0,
) -> Dataset:
    """A noisy line: ``x`` uniform on [0, 3], ``y = slope x + intercept + noise N(0, 1)``.

    The features are not centred, so without standardizing the mean squared error is an
    elongated bowl over (w, b) (the picture where plain gradient descent curves and crawls).

    Raises:
        ConfigError: ``n`` not an int from 4 to :data:`MAX_ROWS`, or a negative noise.
    """
    n, noise = integer("n", n, lo=4, hi=MAX_ROWS), non_negative("noise", noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 3.0, n)
    y = slope * x + intercept + noise * rng.standard_normal(n)
    return _make("line", x[:, None], y, ("x",), "y")


def blobs(n: int = 200, *, distance: float = 2.5, seed: int = 0) -> Dataset:
    """Two round Gaussian blobs (standard deviation 1) whose centres are ``distance`` apart.

    Class 0 is centred at ``(-distance/2, 0)``, class 1 at ``(distance/2, 0)``; the first
    ``n // 2`` rows are class 0.

    Raises:
        ConfigError: ``n`` not an int from 4 to :data:`MAX_ROWS`, or a negative distance.
    """
    n, distance = integer("n", n, lo=4, hi=MAX_ROWS), non_negative("distance", distance)
    rng = np.random.default_rng(seed)
    y = (np.arange(n) >= n // 2).astype(np.float64)
    X = rng.standard_normal((n, 2))
    X[:, 0] += (y - 0.5) * distance
    return _make("blobs", X, y, ("x1", "x2"), "class")


def moons(n: int = 200, *, noise: float = 0.15, seed: int = 0) -> Dataset:
    """Two interleaving half circles, the classic set a line cannot separate.

    Class 0 lies on the upper half of the unit circle, class 1 on the lower half shifted by
    ``(1, 0.5)``; Gaussian ``noise`` is added to both coordinates. The first ``n // 2`` rows are
    class 0.

    Raises:
        ConfigError: ``n`` not an int from 4 to :data:`MAX_ROWS`, or a negative noise.
    """
    n, noise = integer("n", n, lo=4, hi=MAX_ROWS), non_negative("noise", noise)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n - n0)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
        ]
    )
    X += noise * rng.standard_normal(X.shape)
    y = (np.arange(n) >= n0).astype(np.float64)
    return _make("moons", X, y, ("x1", "x2"), "class")


#: The named data sets: shipped CSV files and synthetic sets with their default settings.
DATASETS: dict[str, Callable[[], Dataset]] = {
    "engel": _shipped("engel.csv", "engel"),
    "iris": _shipped("iris.csv", "iris"),
    "line": line,
    "blobs": blobs,
    "moons": moons,
}


def load(source: str | Path | Dataset, *, target: str | None = None) -> Dataset:
    """A data set by name (:data:`DATASETS`), from a CSV file, or a Dataset as it is.

    Args:
        source: A name such as ``"engel"``, a path ending in ``.csv``, or a :class:`Dataset`.
        target: The target column of a CSV file (default: its last column).

    Raises:
        ConfigError: An unknown name, a ``target`` for a named set, or a bad file
            (see :func:`read_csv`).
    """
    if isinstance(source, Dataset):
        return source
    if isinstance(source, str) and source in DATASETS:
        if target is not None:
            raise ConfigError(f"target applies to a CSV file, not to the named set {source!r}")
        return DATASETS[source]()
    if isinstance(source, Path) or (isinstance(source, str) and source.lower().endswith(".csv")):
        return read_csv(source, target=target)
    raise ConfigError(
        f"unknown data set {source!r}; choose one of {', '.join(DATASETS)} or give a .csv file"
    )
