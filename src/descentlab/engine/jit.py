"""How the engine compiles: numba's ``njit`` with the engine's options, cached under one key.

Every compiled function of :mod:`descentlab.engine` is made by :func:`jit` (or :func:`inline` for
small helpers compiled into their callers). What differs from a plain ``njit(cache=True)``:

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
  The environments in a cache entry (one per function in its code, numba's ``np.empty``
  among them) are rebuilt without importing their modules (:func:`_rebuild_env`: ~40 ms
  for ``numba.np.arrayobj``), as nopython code never reads their globals.
  On a miss numba compiles as usual, and its compiler does the whole refresh first. Loaded code
  calls only NRT, numba's C helpers and libm, whose symbols are registered by then (the
  registries would add hashing secrets and the parallel runtime, which the engine never uses; a
  ``parallel`` function takes numba's usual path).
- **A first run compiles in two processes.** numba compiles on one core, and a run's first
  compile is several independent functions: the fused loop takes the rule and the sweep by
  address (:func:`address`), the line search its start and its chunk. What the cache lacks of
  those is sent to a second Python process (:class:`_Aside`) that compiles it into the same
  cache while this one compiles the rest, then loaded from there (or taken back, if the second
  has not started it). The machine code is the same; only the wall time of a first run changes.
- **A small first run does not wait for the compiler.** Every engine function is plain Python
  that numba compiles; its :func:`twin` is that Python run by Python, calling the twins of the
  functions it calls: the same operations in the same order on the same float64 numbers, so the
  same bits (its ``tanh``, ``exp``, ... call the C library, as the machine code does:
  :data:`LIBM`; tests compare every rule on every catalogue function, and every function). A
  call whose machine code is neither here nor in the cache and that would take at most
  :data:`TWIN_SECONDS` as Python (:func:`run`, and the fused loop chunk by chunk) runs the
  twins while the second process compiles the code into the cache; the first call after that
  loads it. At exit, the second process and a third share
  what is left (so the next process loads it), then end.
- **A wait for the compiler is told.** When this process first starts compiling a cached engine
  function (numba's ``numba:compile`` event: a cache miss, not a load) or first waits for the
  second process to finish one, it calls the functions in
  :data:`descentlab.engine.ON_FIRST_COMPILE`, once: on a terminal, the command line prints a
  line there.

This module imports numba; it is imported on first use of the engine, never by
``import descentlab``.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib
import json
import math
import os
import pickle
import subprocess
import sys
import threading
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numba.core import environment, event
from numba.core.caching import FunctionCache
from numba.core.dispatcher import Dispatcher
from numba.core.errors import NumbaExperimentalFeatureWarning
from numba.core.runtime.nrt import rtsys
from numba.core.typing.typeof import Purpose

from descentlab.engine import ON_FIRST_COMPILE
from descentlab.errors import DescentlabWarning

__all__ = [
    "CACHE_FALLBACK_MESSAGE",
    "OPTIONS",
    "Address",
    "address",
    "ahead",
    "compiled",
    "here",
    "inline",
    "jit",
    "meanwhile",
    "pending",
    "python",
    "run",
    "signature",
    "source_stamp",
    "twin",
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
        # (numba loads under its compiler lock: one load at a time, so the swap is safe)
        environment._rebuild_env, rebuild = _rebuild_env, environment._rebuild_env
        try:
            with self._guard_against_spurious_io_errors():
                return self._load_overload(sig, target_context)
        finally:
            environment._rebuild_env = rebuild


class _Globals(dict):  # type: ignore[type-arg]
    """The globals of a module not imported yet, for the environment of loaded code: the module
    is imported when they are first read."""

    def __init__(self, module: str) -> None:
        super().__init__(__name__=module)  # (what pickling an environment reads)

    def __missing__(self, key: str) -> Any:
        self.update(importlib.import_module(self["__name__"]).__dict__)
        if key not in self:
            raise KeyError(key)
        return super().__getitem__(key)


def _rebuild_env(module: str, consts: Any, env_name: str) -> Any:
    """numba's ``environment._rebuild_env`` (how a cache entry's environments are unpickled),
    except that the module of an environment is not imported for it when it is not imported yet.

    A cache entry holds the environment (globals and constants) of every function in its code,
    numba's own included: ``np.empty`` and ``np.zeros`` live in ``numba.np.arrayobj``, whose
    import (with ``numba.cpython.unicode`` and ``charseq``) is ~40 ms of every process that
    loads the fused loop or the sweep. Code compiled in nopython mode, as all the engine is,
    never reads an environment's globals (only object mode does), so they are given as
    :class:`_Globals`, which import the module if they are ever read.
    """
    if module in sys.modules:
        return _numba_rebuild_env(module, consts, env_name)
    env = environment.lookup_environment(env_name)
    if env is None:
        env = environment.Environment(_Globals(module))
        env.consts[:] = consts
        env.env_name = env_name
        environment.Environment._memo[env_name] = env
    return env


_numba_rebuild_env = environment._rebuild_env


_warned = False

_CACHED: set[Any] = set()
"""The functions :func:`jit` made with a disk cache (the ones a first run compiles once)."""


class _FirstCompile(event.Listener):
    """Calls :data:`descentlab.engine.ON_FIRST_COMPILE`, once, when this process first waits for
    the compiler: it starts compiling a function in :data:`_CACHED` (numba's ``numba:compile``
    event: a cache miss, not a load), or waits for the second process to finish one
    (:meth:`_Aside.claim`)."""

    told = False
    _lock = threading.Lock()  # a wait (in any thread) and a compile may begin at once

    def tell(self) -> None:
        with self._lock:
            first, self.told = not self.told, True
        if first:
            for notice in list(ON_FIRST_COMPILE):
                notice()

    def on_start(self, ev: event.Event) -> None:
        if ev.data["dispatcher"] in _CACHED:
            self.tell()

    def on_end(self, ev: event.Event) -> None:
        pass


_FIRST_COMPILE = _FirstCompile()
event.register("numba:compile", _FIRST_COMPILE)


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
    _CACHED.add(compiled)
    if not parallel:
        compiled._cache.__class__ = _LoadOnly
    # numba's C dispatcher asks this the first time it meets an argument type
    compiled.typeof_pyval = types.MethodType(_typeof_pyval, compiled)
    return compiled


def _typeof_pyval(self: Any, val: Any) -> Any:
    """numba's ``Dispatcher.typeof_pyval``, with a plain array typed by :func:`_array_type`
    (without importing ``numpy.ma``)."""
    tp = _array_type(val)
    if tp is None:
        return Dispatcher.typeof_pyval(self, val)
    self._types_active_call.add(tp)
    return tp


class Address:
    """A compiled function as compiled code takes it: by the address of its machine code.

    numba turns a ``@jit`` function passed for a first-class function type into an address on
    every call, by two symbol look-ups (~0.1 ms each); this holds the address, found once
    (numba's "wrapper address protocol": ``__wrapper_address__``).

    Made before it is needed: a function the cache lacks starts compiling in the second
    process at once (:class:`_Aside`); :meth:`resolve` (on the first use) takes the machine
    code from the cache then, or compiles it here.
    """

    def __init__(self, fn: Any, ftype: Any) -> None:
        self.fn = fn  # keeps the machine code alive
        self.ftype = ftype
        self._address: int | None = None
        _ASIDE.submit(fn, ftype.signature.args)

    def resolve(self) -> Address:
        """Compile (or load) the function if that is not done yet; returns ``self``."""
        with _RESOLVING:
            if self._address is None:
                args = self.ftype.signature.args
                _ASIDE.claim(self.fn, args)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", NumbaExperimentalFeatureWarning)
                    self.fn.compile(args)  # keyed as a call from Python keys it (the cache too)
                    cres = self.fn.get_compile_result(self.ftype.signature)
                name = cres.fndesc.llvm_cfunc_wrapper_name
                self._address = int(cres.library.get_pointer_to_function(name))
        return self

    def __wrapper_address__(self) -> int:
        return int(self.resolve()._address)  # type: ignore[arg-type]


_RESOLVING = threading.RLock()
_ADDRESSES: dict[tuple[Any, Any], Address] = {}


def address(fn: Any, ftype: Any) -> Address:
    """``fn`` (a ``@jit`` function) as a first-class function of type ``ftype``
    (``numba.types.FunctionType``), compiled (or loaded from the cache) before its first use;
    when the cache lacks it, in a second process meanwhile (:class:`_Aside`)."""
    key = (fn, ftype)
    if key not in _ADDRESSES:
        _ADDRESSES[key] = Address(fn, ftype)
    return _ADDRESSES[key]


def _in_cache(fn: Any, args: tuple[Any, ...]) -> bool:
    """Whether ``fn``'s disk cache has an entry for ``args`` (its index is read, not the code)."""
    cache = fn._cache
    key = cache._index_key(args, fn.targetctx.codegen())
    return key in cache._cache_file._load_index()


class _Aside:
    """A second Python process that compiles engine functions into the disk cache while this
    one compiles others: numba compiles on one core, and a run's first compile is several
    independent functions (the fused loop here; the rule and the interpreter's sweep there).

    Used only for a function whose cache is on disk and lacks the entry, with two or more cores,
    ``sys.executable`` a Python (not the binary of a program that embeds one) and
    ``DESCENTLAB_COMPILE_ASIDE`` not ``0``. The process starts on the first such function
    (it imports numba, ~0.5 s, while this one compiles) and serves until this one exits or it
    has had nothing to do for :data:`IDLE_SECONDS` (then the next such function starts another).
    It is given one function at a time, so :meth:`claim` can take back one it has not started.
    If it cannot start or dies with work, everything is compiled here, as without it.
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._queue: list[tuple[Any, ...]] = []
        self._busy: tuple[Any, ...] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._dead = False
        self._inherited: Any = None

    def _usable(self, fn: Any) -> bool:
        if self._dead or type(fn._cache) is not _LoadOnly:
            return False
        if not os.path.basename(sys.executable or "").lower().startswith("python"):
            return False  # an embedding program's own binary (not one to run with -c)
        if os.environ.get("DESCENTLAB_COMPILE_ASIDE", "1") == "0":
            return False
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return (cores or 1) > 1

    def submit(self, fn: Any, args: tuple[Any, ...]) -> None:
        """Have the second process compile ``fn`` for ``args`` if the cache lacks it."""
        if self._usable(fn) and not at_hand(fn, args):
            self.enqueue(fn, args)

    def enqueue(self, fn: Any, args: tuple[Any, ...]) -> None:
        """:meth:`submit` for a function the caller found usable and missing."""
        with self._lock:
            if self.pending(fn, args) or (self._proc is None and not self._start()):
                return
            self._queue.append((fn, args))
            self._next()

    def pending(self, fn: Any, args: tuple[Any, ...]) -> bool:
        """Whether the second process has ``fn`` for ``args`` still to compile (queued or at
        work on it)."""
        item = (fn, tuple(args))
        return not self._dead and (self._busy == item or item in self._queue)

    def claim(self, fn: Any, args: tuple[Any, ...]) -> None:
        """Before ``fn`` is compiled or loaded here: take it back if the second process has not
        started it, or wait until it is done with it."""
        with self._lock:
            if (fn, args) in self._queue:
                self._queue.remove((fn, args))
            waits = self._busy == (fn, args) and not self._dead
        if waits:
            _FIRST_COMPILE.tell()  # (not under the lock: the functions told are anyone's)
        with self._lock:
            while self._busy == (fn, args) and not self._dead:
                self._lock.wait()

    def forget(self) -> None:
        """In a forked copy of this process (no reader thread, the parent's pipe): the second
        process is the parent's, neither waited for nor stopped here; everything compiles here."""
        self._lock = threading.Condition()
        self._inherited, self._proc = self._proc, None
        with self._lock:
            self._die()

    def _start(self) -> bool:
        try:
            self._proc = _spawn(subprocess.PIPE)
        except OSError:
            self._dead = True
            return False
        threading.Thread(target=self._read, args=(self._proc,), daemon=True).start()
        return True

    def _next(self) -> None:
        """Send the next queued function if the process is idle (with the lock held)."""
        if self._busy is not None or not self._queue or self._proc is None:
            return
        self._busy = self._queue.pop(0)
        try:
            self._proc.stdin.write(_line(*self._busy))  # type: ignore[union-attr]
            self._proc.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            self._die()

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        """The reader thread of ``proc``: each line from it is one function done. When it ends
        (idle, done after :meth:`close`, or dead), its pipes are closed."""
        for line in proc.stdout:  # type: ignore[union-attr]
            if line != _DONE:  # something else printed there (a sitecustomize, say)
                continue
            with self._lock:
                if proc is self._proc:  # (not after close: nobody waits then)
                    self._busy = None
                    self._next()
                    self._lock.notify_all()
        with self._lock:
            if proc is self._proc:
                self._proc = None  # stopped when idle: another starts on need
                if self._busy is not None or self._queue:
                    self._die()  # it died with work: everything compiles here
        _reap(proc)

    def close(self) -> None:
        """At exit: an idle second process is stopped; one with work (a run that did not wait
        for it: :func:`meanwhile`) finishes the function it is compiling, and the rest of its
        queue is shared between it and a third process on the core this one frees (all of it
        to the second if none starts); both compile into the cache for the next process and
        end, not waited for. numba writes a cache entry under a temporary name: none is left
        half-written."""
        with self._lock:
            proc, self._proc = self._proc, None
            rest = list(self._queue) if self._busy is not None or self._queue else None
            self._die()
        if proc is None:
            return
        if rest is None:
            proc.kill()
            _reap(proc)
            return
        theirs = rest[len(rest) - 1 :: -2]  # the last (a run sends its loop last: the largest)
        if theirs:  # and every other one before it
            with contextlib.suppress(OSError):
                third = _spawn(subprocess.DEVNULL)
                threading.Thread(target=third.wait, daemon=True).start()  # reaped if we go on
                _send(third, theirs)
                rest = [item for item in rest if item not in theirs]
        _send(proc, rest)

    def _die(self) -> None:
        """Compile everything here from now on (with the lock held)."""
        self._dead = True
        self._busy = None
        self._queue.clear()
        self._lock.notify_all()


def _spawn(answers: int) -> subprocess.Popen[bytes]:
    """A process that compiles what it reads (:func:`_serve`), its answers to ``answers``."""
    return subprocess.Popen(
        [sys.executable, "-c", _SERVE, json.dumps(sys.path), str(IDLE_SECONDS)],
        stdin=subprocess.PIPE, stdout=answers, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _send(proc: subprocess.Popen[bytes], items: list[tuple[Any, ...]]) -> None:
    """Give ``proc`` (a :func:`_serve` process) ``items`` to compile, then end its input."""
    with contextlib.suppress(OSError):
        for item in items:
            proc.stdin.write(_line(*item))  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]


def _line(fn: Any, args: tuple[Any, ...]) -> bytes:
    """What the second process reads to compile ``fn`` for ``args``: one line."""
    what = (fn.py_func.__module__, fn.py_func.__qualname__, args)
    return pickle.dumps(what).hex().encode() + b"\n"


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Wait for the second process to end and close its pipes."""
    proc.wait()
    for pipe in (proc.stdout, proc.stdin):
        with contextlib.suppress(OSError):  # a write it never read: a broken pipe
            pipe.close()  # type: ignore[union-attr]


_DONE = b"descentlab: compiled\n"  # the second process's answer, one line per function

_SERVE = """
import json, sys
sys.path[:0] = json.loads(sys.argv[1])
from descentlab.engine.jit import _serve
_serve(float(sys.argv[2]))
"""


IDLE_SECONDS = 30.0
"""The second process stops after this long without a function to compile (POSIX; the first
starts another on need), so it does not outlive the compiling it was started for."""


@contextlib.contextmanager
def _one_at_a_time(fn: Any) -> Iterator[None]:
    """Across processes, one second process at a time compiles ``fn`` (an exclusive lock on a
    file next to its cache, POSIX): several first runs at once (a script of commands, the test
    suite's workers) would otherwise each compile the same functions on the same cores. The
    others wait, then load what the first wrote."""
    try:
        import fcntl

        lock = open(Path(fn._cache._cache_path) / f"{fn.py_func.__qualname__}.lock", "a")  # noqa: SIM115
    except (ImportError, OSError, AttributeError):
        yield  # no locks here (Windows), or no cache directory: compile
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _serve(idle: float) -> None:
    """The second process's loop: compile each function it is sent (into the disk cache);
    return after ``idle`` seconds without one, or when its input ends (after compiling every
    line that came before the end: the first process sends the rest of its queue at exit)."""
    import select

    fd = sys.stdin.fileno()
    buffered = b""
    answer = True  # until the first process has gone (its exit closes the pipe)
    while True:
        if b"\n" not in buffered:
            if os.name == "posix" and not select.select([fd], [], [], idle)[0]:
                return  # idle
            more = os.read(fd, 1 << 16)
            if not more:
                return
            buffered += more
            continue
        line, buffered = buffered.split(b"\n", 1)
        module, qualname, args = pickle.loads(bytes.fromhex(line.decode()))
        fn: Any = importlib.import_module(module)
        for part in qualname.split("."):
            fn = getattr(fn, part)
        try:
            with warnings.catch_warnings(), _one_at_a_time(fn):
                warnings.simplefilter("ignore")
                fn.compile(args)  # (loads it if another process has just compiled it)
        except Exception:  # noqa: BLE001, S110 - the first process compiles it and reports
            pass
        if answer:
            try:
                sys.stdout.buffer.write(_DONE)
                sys.stdout.flush()
            except OSError:  # the first process has exited: compile the rest for the cache
                answer = False


_ASIDE = _Aside()
atexit.register(lambda: _ASIDE.close())


def _after_fork() -> None:
    global _RESOLVING
    _RESOLVING = threading.RLock()  # another thread of the parent may have held it
    _ASIDE.forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def compiled(dispatcher: Any, args: tuple[Any, ...]) -> Any:
    """``dispatcher``'s machine code for ``args``, compiled (or loaded from the cache) once.

    An :class:`Address` among ``args`` (see :func:`address`) is a compiled function passed by
    address: the caller is compiled once for every such function instead of once per
    function, and does not compile the callee's code into its own. If :func:`ahead` sent it to
    the second process, it is waited for (or taken back) and loaded.

    Returns:
        The compiled entry point: call it with ``args`` (or arguments of the same types).
    """
    key = (dispatcher, *map(_kind, args))  # what decides the types, found cheaply
    entry = _ENTRIES.get(key)
    if entry is None:
        sig = signature(args)
        _ASIDE.claim(dispatcher, sig)
        with warnings.catch_warnings():
            # numba calls first-class function types "experimental"; the engine relies only on
            # passing a compiled function by address, which its tests check.
            warnings.simplefilter("ignore", NumbaExperimentalFeatureWarning)
            entry = _ENTRIES[key] = dispatcher.compile(sig)
        for a in args:  # compiled meanwhile in the second process, if the cache lacked them
            if isinstance(a, Address):
                a.resolve()
    return entry


def ahead(dispatcher: Any, args: tuple[Any, ...]) -> None:
    """Have the second process compile ``dispatcher`` for ``args`` (their types) now, if the
    cache lacks it, while this one compiles something else; :func:`compiled` takes it later."""
    _ASIDE.submit(dispatcher, signature(args))


TWIN_SECONDS = 4.0
"""A call the cache lacks the machine code for runs as Python (its :func:`twin`) while the
second process compiles it, if it would take at most this long that way (the estimate its
caller gives :func:`run` or :func:`meanwhile`); a longer one compiles first (the fused loop
and the line search try Python for a while even then: :class:`~descentlab.engine.loop.Twins`).
A first fused run compiles in ~7 s with two processes, and a run that did not wait finds its
machine code in the cache ~9-14 s after it started; one that goes on as Python longer than
that switches to it when it comes, so one of 4 s as Python costs at most a few seconds more
than compiling first, and usually far less."""


def twin(fn: Any) -> Callable[..., Any]:
    """``fn``'s Python function, calling the twins of the compiled functions it calls.

    The engine's compiled functions are plain Python over NumPy arrays and scalars: run by
    Python they do the same float64 operations in the same order and give the same bits, a
    nan's sign aside (their ``np`` calls the C library for ``sin``, ``exp``, ..., as numba's
    machine code does: :data:`LIBM`), only ~100x slower. A function passed as an argument (a
    rule, a sweep) is passed as its twin by the caller.
    """
    made = _TWINS.get(fn)
    if made is None:
        py = fn.py_func
        names = dict(py.__globals__)  # the module's names, each compiled one as its twin
        if names.get("np") is np:
            names["np"] = _NUMPY_AS_COMPILED
        made = _TWINS[fn] = types.FunctionType(
            py.__code__, names, py.__name__, py.__defaults__, py.__closure__
        )
        for name, value in names.items():
            if isinstance(value, Dispatcher):
                names[name] = twin(value)
    return made


_TWINS: dict[Any, Callable[..., Any]] = {}


def _from_libm(numpy_fn: Any, libm_fn: Any) -> Callable[..., Any]:
    """``numpy_fn`` of a number as compiled code computes it: by the C library's function
    (``libm_fn``, from :mod:`math`); where :mod:`math` raises (a domain or range error, where
    compiled code gives nan or inf) or the argument is not a number, by NumPy's."""

    def call(*args: Any) -> Any:
        try:
            return np.float64(libm_fn(*args))
        except (ValueError, OverflowError, TypeError):
            return numpy_fn(*args)

    return call


LIBM = {"arccos": "acos", "arcsin": "asin", "arctan": "atan", "cos": "cos", "cosh": "cosh",
        "exp": "exp", "log": "log", "log10": "log10", "log2": "log2", "power": "pow",
        "sin": "sin", "sinh": "sinh", "tan": "tan", "tanh": "tanh"}  # fmt: skip
"""NumPy's functions of a number that numba compiles to calls of the C library (libm): numba's
name -> the C library's (and :mod:`math`'s)."""


def _numpy_as_compiled() -> types.ModuleType:
    """``np`` for the twins: NumPy, but the functions of :data:`LIBM` call the C library, as the
    machine code does. NumPy has SIMD routines of its own for some of them (``tanh`` on AVX2
    machines: a last-bit difference at a quarter of all points; ``exp``, ``log``, ``sin``, ...
    on AVX-512 ones), and a twin must give the machine code's bits."""
    module = types.ModuleType("numpy_as_compiled")
    module.__getattr__ = lambda name: getattr(np, name)  # type: ignore[method-assign]
    for name, libm in LIBM.items():
        setattr(module, name, _from_libm(getattr(np, name), getattr(math, libm)))
    return module


_NUMPY_AS_COMPILED = _numpy_as_compiled()


def python(fn: Any, args: tuple[Any, ...]) -> Any:
    """``fn(*args)`` run by its :func:`twin` (a function passed by :func:`address`, as its twin),
    with NumPy's floating-point warnings off: compiled code has none (inf and nan are values)."""
    args = tuple(twin(a.fn) if isinstance(a, Address) else a for a in args)
    with np.errstate(all="ignore"):
        return twin(fn)(*args)


def here(*fns: Any) -> bool:
    """Whether every one of ``fns`` is compiled in this process (each is called with one set of
    argument types): their callers skip asking what is still to compile, ~50 us a run."""
    return all(fn.overloads for fn in fns)


def at_hand(fn: Any, args: tuple[Any, ...]) -> bool:
    """Whether ``fn``'s machine code for ``args`` (argument types) is compiled in this process
    or in the disk cache: nothing to compile."""
    return tuple(args) in fn.overloads or (type(fn._cache) is _LoadOnly and _in_cache(fn, args))


def pending(needs: Sequence[tuple[Any, tuple[Any, ...]]]) -> bool:
    """Whether the second process still has any of ``needs`` (``(fn, argument types)``) to
    compile: a caller that started on their twins (:func:`meanwhile`) goes on with them."""
    return any(_ASIDE.pending(fn, args) for fn, args in needs)


def meanwhile(needs: Sequence[tuple[Any, tuple[Any, ...]]], seconds: float) -> bool:
    """Whether to run the twins of ``needs`` (``(fn, argument types)``) rather than wait for
    their compile: some of them are neither here nor in the cache, the work would take at most
    :data:`TWIN_SECONDS` as Python (``seconds``, the caller's estimate), and the second process
    takes them (they are sent to it here). Otherwise they are compiled (or loaded) as usual."""
    if seconds > TWIN_SECONDS:
        return False
    missing = [(fn, args) for fn, args in needs if not at_hand(fn, args)]
    if not missing or not all(_ASIDE._usable(fn) for fn, _ in missing):
        return False
    for fn, args in missing:
        _ASIDE.enqueue(fn, args)  # (at_hand has read the cache's index: not again)
    return pending(missing)


def run(fn: Any, args: tuple[Any, ...], seconds: float) -> Any:
    """``fn(*args)``: by its machine code (:func:`compiled`), or by its :func:`twin` when that
    code is still to be compiled and the call would take at most :data:`TWIN_SECONDS` as Python
    (``seconds``, the caller's estimate); the second process compiles it meanwhile."""
    if here(fn):  # numba's own dispatch: a few us less than compiled()'s look-up
        return fn(*args)
    need = [(fn, signature(args))]
    if seconds <= TWIN_SECONDS and (pending(need) or meanwhile(need, seconds)):
        return python(fn, args)
    return compiled(fn, args)(*args)


def signature(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """numba's argument types for ``args`` (an :class:`Address`: its function type)."""
    return tuple(map(_argument_type, args))


def _argument_type(a: Any) -> Any:
    """numba's type of argument ``a`` (a plain array: :func:`_array_type`)."""
    if isinstance(a, Address):
        return a.ftype
    tp = _array_type(a)
    return numba.typeof(a, Purpose.argument) if tp is None else tp


def _array_type(a: Any) -> Any:
    """numba's type of a plain bool, int or float ndarray, typed as ``numba.typeof`` types it
    without its first step, a check for NumPy's masked arrays that imports ``numpy.ma``
    (10-20 ms of a ``descentlab run``); None for anything else (subclasses, masked arrays
    included, other dtypes), which numba types."""
    if type(a) is not np.ndarray or a.dtype.kind not in "biuf":
        return None
    layout: Any = "C" if a.flags.c_contiguous else "F" if a.flags.f_contiguous else "A"
    dtype: Any = numba.from_dtype(a.dtype)
    return numba.types.Array(dtype, a.ndim, layout, readonly=not a.flags.writeable)


_ENTRIES: dict[tuple[Any, ...], Any] = {}


def _kind(a: Any) -> Any:
    """What numba's type of argument ``a`` depends on (arrays: dtype, rank, layout)."""
    if isinstance(a, np.ndarray):
        return (a.dtype, a.ndim, a.flags.c_contiguous, a.flags.f_contiguous, a.flags.writeable)
    return a.ftype if isinstance(a, Address) else type(a)


def inline(fn: Callable[..., Any]) -> Any:
    """A small helper, compiled into its callers (numba's ``inline="always"``)."""
    return numba.njit(inline="always", error_model="numpy")(fn)
