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
- **Cached code loads without numba's compiler set-up.** Before it loads a function from its
  cache, numba "refreshes" its CPU target: it imports and registers every implementation it could
  ever compile (numba's ``numpy`` and ``cpython`` layers, and ``scipy.linalg`` to look for a
  BLAS): 0.25-0.4 s, a third of a cached ``descentlab run``'s start-up, for nothing that loaded
  machine code needs. The engine's functions load through :class:`_LoadOnly` instead, which
  sets up only numba's runtime (NRT, whose symbols loaded code calls) and reads the cache entry.
  On a miss numba compiles as usual, and its compiler does the whole refresh first. Loaded code
  calls only NRT, numba's C helpers and libm, whose symbols are registered by then (the
  registries would add hashing secrets and the parallel runtime, which the engine never uses; a
  ``parallel`` function takes numba's usual path).

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
import numpy as np
from numba.core.caching import FunctionCache
from numba.core.errors import NumbaExperimentalFeatureWarning
from numba.core.runtime.nrt import rtsys
from numba.core.typing.typeof import Purpose

from descentlab.errors import DescentlabWarning

__all__ = [
    "CACHE_FALLBACK_MESSAGE",
    "OPTIONS",
    "Address",
    "address",
    "compiled",
    "inline",
    "jit",
    "source_stamp",
]

OPTIONS: dict[str, Any] = {"error_model": "numpy", "nogil": True}
"""The engine's numba options: NumPy's error model (1/0 is inf, never an exception) and no GIL
(the fused loop runs blocks of rows on several threads). Never fastmath: results are bit-exact."""

CACHE_FALLBACK_MESSAGE = (
    "descentlab: numba cannot cache compiled code here (no writable cache directory: {reason}); "
    "compiling in memory instead, which costs a few seconds in every new process. "
    "Set NUMBA_CACHE_DIR to a writable directory to avoid it."
)

ENGINE_DIR = Path(__file__).resolve().parent


class _LoadOnly(FunctionCache):
    """numba's on-disk cache of one function, loaded without refreshing numba's CPU target
    (see the module notes): only numba's runtime is set up before a cache entry is read."""

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        rtsys.initialize(target_context)  # the NRT symbols loaded code links against
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)


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


def _stamp(sources: Iterable[Path] | None) -> str:
    """The engine's stamp (computed once), or the stamp of ``sources``."""
    if sources is not None:
        return source_stamp(sources)
    if not _STAMP:
        _STAMP.append(source_stamp())
    return _STAMP[0]


def jit(
    fn: Callable[..., Any] | None = None,
    *,
    parallel: bool = False,
    sources: Iterable[Path] | None = None,
) -> Any:
    """``numba.njit`` with :data:`OPTIONS`, cached on disk under the engine's stamp if possible.

    Used as ``@jit``, or ``@jit(parallel=True)`` for a function with ``prange`` loops;
    ``@jit(sources=[Path(__file__)])`` for compiled code outside the engine that calls none of
    it (its cache is then keyed on those files, not on the engine's).
    """
    if fn is None:
        return lambda f: jit(f, parallel=parallel, sources=sources)
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
    compiled._cache._cache_file._source_stamp = _stamp(sources)
    if not parallel:
        compiled._cache.__class__ = _LoadOnly
    return compiled


class Address:
    """A compiled function as compiled code takes it: by the address of its machine code.

    numba turns a ``@jit`` function passed for a first-class function type into an address on
    every call, by two symbol look-ups (~0.1 ms each); this holds the address, found once
    (numba's "wrapper address protocol": ``__wrapper_address__``).
    """

    def __init__(self, fn: Any, ftype: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NumbaExperimentalFeatureWarning)
            fn.compile(ftype.signature.args)  # keyed as a call from Python keys it (the cache too)
            cres = fn.get_compile_result(ftype.signature)
        self.fn = fn  # keeps the machine code alive
        self.ftype = ftype
        self._address = cres.library.get_pointer_to_function(cres.fndesc.llvm_cfunc_wrapper_name)

    def __wrapper_address__(self) -> int:
        return int(self._address)


_ADDRESSES: dict[tuple[Any, Any], Address] = {}


def address(fn: Any, ftype: Any) -> Address:
    """``fn`` (a ``@jit`` function) as a first-class function of type ``ftype``
    (``numba.types.FunctionType``), compiled (or loaded from the cache) on the first call."""
    key = (fn, ftype)
    if key not in _ADDRESSES:
        _ADDRESSES[key] = Address(fn, ftype)
    return _ADDRESSES[key]


def compiled(dispatcher: Any, args: tuple[Any, ...]) -> Any:
    """``dispatcher``'s machine code for ``args``, compiled (or loaded from the cache) once.

    An :class:`Address` among ``args`` (see :func:`address`) is a compiled function passed by
    address: the caller is compiled once for every such function instead of once per
    function, and does not compile the callee's code into its own.

    Returns:
        The compiled entry point: call it with ``args`` (or arguments of the same types).
    """
    key = (dispatcher, *map(_kind, args))  # what decides the types, found cheaply
    entry = _ENTRIES.get(key)
    if entry is None:
        sig = tuple(
            a.ftype if isinstance(a, Address) else numba.typeof(a, Purpose.argument) for a in args
        )
        with warnings.catch_warnings():
            # numba calls first-class function types "experimental"; the engine relies only on
            # passing a compiled function by address, which its tests check.
            warnings.simplefilter("ignore", NumbaExperimentalFeatureWarning)
            entry = _ENTRIES[key] = dispatcher.compile(sig)
    return entry


_ENTRIES: dict[tuple[Any, ...], Any] = {}


def _kind(a: Any) -> Any:
    """What numba's type of argument ``a`` depends on (arrays: dtype, rank, layout)."""
    if isinstance(a, np.ndarray):
        return (a.dtype, a.ndim, a.flags.c_contiguous, a.flags.f_contiguous, a.flags.writeable)
    return a.ftype if isinstance(a, Address) else type(a)


def inline(fn: Callable[..., Any]) -> Any:
    """A small helper, compiled into its callers (numba's ``inline="always"``)."""
    return numba.njit(inline="always", error_model="numpy")(fn)
