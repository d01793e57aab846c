"""Input checks: the one home of the questions public functions ask of their arguments.

Each check takes the argument's name and value, returns the value in its canonical type (``float``
or ``int``) and otherwise raises :class:`~descentlab.errors.ConfigError` with one message shape:
``"{name} must be {what} (got {value!r})"``. What counts as a number is decided once here
(:func:`is_real`): Python and NumPy integers and floats, never ``bool``.

Examples:
    >>> positive("lr", 0.1)
    0.1
    >>> in_range("beta1", 0.9, 0, 1, hi_open=True)
    0.9
    >>> integer("max_iter", np.int64(5), lo=0)
    5
    >>> positive("lr", float("inf"))
    Traceback (most recent call last):
    ...
    descentlab.errors.ConfigError: lr must be a finite number > 0 (got inf)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TypeGuard

import numpy as np

from descentlab.errors import ConfigError

__all__ = ["choice", "in_range", "integer", "is_real", "non_negative", "positive", "real"]


def is_real(value: object) -> TypeGuard[int | float | np.integer | np.floating]:
    """Whether ``value`` is a real number: an int or float, Python's or NumPy's, but not a bool.

    Args:
        value: Anything.

    Returns:
        True for ``1``, ``1.5``, ``np.int32(1)``, ``np.float64(nan)``; False for ``True``,
        ``np.bool_(True)``, ``"1"``, ``1j``, arrays and None.
    """
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, int | float | np.integer | np.floating)


def real(
    name: str,
    value: object,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """A finite real number, optionally within bounds.

    Args:
        name: The argument's name, as the message shows it.
        value: The value to check.
        lo: The lower bound, or None for none.
        hi: The upper bound, or None for none.
        lo_open: Exclude ``lo`` itself.
        hi_open: Exclude ``hi`` itself.

    Returns:
        ``value`` as a float.

    Raises:
        ConfigError: Not a real number, not finite, or out of bounds.
    """
    x = _as_float(value)
    ok = math.isfinite(x)
    if ok and lo is not None:
        ok = x > lo if lo_open else x >= lo
    if ok and hi is not None:
        ok = x < hi if hi_open else x <= hi
    if not ok:
        raise ConfigError(f"{name} must be {_describe(lo, hi, lo_open, hi_open)} (got {value!r})")
    return x


def positive(name: str, value: object) -> float:
    """A finite number > 0 (a learning rate, a step, an epsilon, a tolerance that cannot be 0)."""
    return real(name, value, lo=0.0, lo_open=True)


def non_negative(name: str, value: object) -> float:
    """A finite number >= 0 (a stopping tolerance, where 0 turns the criterion off)."""
    return real(name, value, lo=0.0)


def in_range(
    name: str, value: object, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False
) -> float:
    """A number between ``lo`` and ``hi``; each end is included unless said open."""
    return real(name, value, lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open)


def integer(name: str, value: object, *, lo: int | None = None, hi: int | None = None) -> int:
    """An integer (Python's or NumPy's, not a bool, not a float such as 3.0) in ``[lo, hi]``.

    Args:
        name: The argument's name, as the message shows it.
        value: The value to check.
        lo: The smallest allowed value, or None.
        hi: The largest allowed value, or None.

    Returns:
        ``value`` as a Python int.

    Raises:
        ConfigError: Not an integer, or out of bounds.
    """
    n = int(value) if isinstance(value, int | np.integer) and not isinstance(value, bool) else None
    ok = n is not None and (lo is None or n >= lo) and (hi is None or n <= hi)
    if n is None or not ok:
        if lo is not None and hi is not None:
            what = f"an integer between {lo:,} and {hi:,}"
        elif lo is not None:
            what = f"an integer >= {lo:,}"
        elif hi is not None:
            what = f"an integer <= {hi:,}"
        else:
            what = "an integer"
        raise ConfigError(f"{name} must be {what} (got {value!r})")
    return n


def flag(name: str, value: object) -> bool:
    """A switch: True or False (Python's or NumPy's bool; not 0 or 1)."""
    if not isinstance(value, bool | np.bool_):
        raise ConfigError(f"{name} must be True or False (got {value!r})")
    return bool(value)


def choice(name: str, value: object, choices: Iterable[str]) -> str:
    """One of a fixed set of names.

    Args:
        name: What is being chosen (``"optimizer"``, ``"finite-difference method"``).
        value: The value to check.
        choices: The allowed names, in the order the message lists them.

    Returns:
        ``value``.

    Raises:
        ConfigError: ``value`` is not one of ``choices``.
    """
    allowed = tuple(choices)
    if not isinstance(value, str) or value not in allowed:
        raise ConfigError(f"unknown {name} {value!r} (one of {', '.join(allowed)})")
    return value


def _as_float(value: object) -> float:
    """``value`` as a float; NaN for anything that is not a real number or overflows float64."""
    if not is_real(value):
        return math.nan
    try:
        return float(value)
    except OverflowError:  # an int beyond float64: 10**400
        return math.nan


def _describe(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f"a number in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    if lo is not None:
        return f"a finite number {'>' if lo_open else '>='} {lo:g}"
    if hi is not None:
        return f"a finite number {'<' if hi_open else '<='} {hi:g}"
    return "a finite number"
