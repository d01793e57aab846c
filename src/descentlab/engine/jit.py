"""How the engine compiles: numba's ``njit`` with the engine's options, cached under one key.

Every compiled function of :mod:`descentlab.engine` is made by :func:`jit` (or :func:`inline` for
small helpers compiled into their callers). Two things differ from a plain ``njit(cache=True)``:

- **One cache key for the whole engine.** numba keys a function's cache on its own source file,
  but the fused loop's machine code *contains* the interpreter and the rules (numba links callees
  into their callers): after an edit of ``interp.py`` alone, numba would load a stale
  ``loop.py`` entry. Here every engine function's cache entry is stamped with
  :func:`source_stamp`, a hash of all the engine's sources and of numba's version, so an edit of
  any of them recompiles all of them.
- **An unwritable cache is not an error.** When numba finds no writable cache directory, the
  function is compiled in memory for the process and one
  :class:`~descentlab.errors.DescentlabWarning` says so (:data:`CACHE_FALLBACK_MESSAGE`).

This module imports numba; it is imported on first use of the engine, never by
``import descentlab``.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numba
from numba.core.errors import NumbaExperimentalFeatureWarning
from numba.core.typing.typeof import Purpose

from descentlab.errors import DescentlabWarning

__all__ = ["CACHE_FALLBACK_MESSAGE", "OPTIONS", "compiled", "inline", "jit", "source_stamp"]

OPTIONS: dict[str, Any] = {"error_model": "numpy", "nogil": True}
"""The engine's numba options: NumPy's error model (1/0 is inf, never an exception) and no GIL
(the fused loop runs blocks of rows on several threads). Never fastmath: results are bit-exact."""

CACHE_FALLBACK_MESSAGE = (
    "descentlab: numba cannot cache compiled code here (no writable cache directory: {reason}); "
    "compiling in memory instead, which costs a few seconds in every new process. "
    "Set NUMBA_CACHE_DIR to a writable directory to avoid it."
)

ENGINE_DIR = Path(__file__).resolve().parent

_warned = False


def source_stamp(paths: Iterable[Path] | None = None) -> str:
    """A hash of the engine's sources (every ``*.py`` of ``engine/``, or ``paths``) and numba.

    The cache entries of every engine function carry it: a change to any engine source (or a
    new numba) makes all of them stale at once.
    """
    files = sorted(ENGINE_DIR.glob("*.py")) if paths is None else sorted(paths)
    h = hashlib.sha256(numba.__version__.encode())
    for p in files:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


_STAMP: list[str] = []


def _stamp() -> str:
    if not _STAMP:
        _STAMP.append(source_stamp())
    return _STAMP[0]


def jit(fn: Callable[..., Any] | None = None, *, parallel: bool = False) -> Any:
    """``numba.njit`` with :data:`OPTIONS`, cached on disk under the engine's stamp if possible.

    Used as ``@jit``, or ``@jit(parallel=True)`` for a function with ``prange`` loops.
    """
    if fn is None:
        return lambda f: jit(f, parallel=parallel)
    global _warned
    options = {**OPTIONS, "parallel": True} if parallel else OPTIONS
    try:
        compiled = numba.njit(cache=True, **options)(fn)
    except RuntimeError as exc:  # numba: "cannot cache function ...: no locator available"
        if "cannot cache" not in str(exc):
            raise
        if not _warned:
            _warned = True
            warnings.warn(
                CACHE_FALLBACK_MESSAGE.format(reason=exc), DescentlabWarning, stacklevel=2
            )
        return numba.njit(cache=False, **options)(fn)
    # numba compares this stamp with the one saved in the function's cache index and ignores
    # the index when they differ (numba.core.caching.IndexDataCacheFile).
    compiled._cache._cache_file._source_stamp = _stamp()
    return compiled


def compiled(dispatcher: Any, args: tuple[Any, ...], functions: dict[int, Any]) -> Any:
    """``dispatcher``'s machine code for ``args``, compiled (or loaded from the cache) once.

    ``functions`` maps positions in ``args`` to first-class function types
    (``numba.types.FunctionType``): the compiled function (``args[i]``, itself a ``@jit``
    function) is passed by address, so the caller is compiled once for every such function
    instead of once per function, and does not compile the callee's code into its own.

    Returns:
        The compiled entry point: call it with ``args`` (or arguments of the same types).
    """
    sig = tuple(
        functions[i] if i in functions else numba.typeof(a, Purpose.argument)
        for i, a in enumerate(args)
    )
    with warnings.catch_warnings():
        # numba calls first-class function types "experimental"; the engine relies only on
        # passing a compiled function by address, which its tests check.
        warnings.simplefilter("ignore", NumbaExperimentalFeatureWarning)
        for i, ftype in functions.items():  # keyed as a call from Python keys it (the cache too)
            args[i].compile(ftype.signature.args)
        return dispatcher.compile(sig)


def inline(fn: Callable[..., Any]) -> Any:
    """A small helper, compiled into its callers (numba's ``inline="always"``)."""
    return numba.njit(inline="always", error_model="numpy")(fn)
