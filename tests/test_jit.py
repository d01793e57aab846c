"""The engine's compile helper (engine/jit.py): one cache key over every engine source, and a
clean fallback when no cache directory is writable."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("numba")

from descentlab.engine import interp, jit, loop, rules, search  # noqa: E402
from descentlab.errors import DescentlabWarning  # noqa: E402

ENGINE_FUNCTIONS = (
    interp.forward,
    interp.forward_backward,
    interp.hessian_block,
    loop._chunk_block,
    rules._adam,
    rules._gd,
)


def test_the_stamp_changes_when_any_engine_source_changes(tmp_path) -> None:
    for p in jit.ENGINE_DIR.glob("*.py"):
        shutil.copy(p, tmp_path / p.name)
    assert jit.source_stamp(tmp_path.glob("*.py")) == jit.source_stamp()
    stamps = {jit.source_stamp()}
    for name in ("interp.py", "rules.py", "program.py"):
        path = tmp_path / name
        path.write_text(path.read_text() + "\n# edited\n")
        stamps.add(jit.source_stamp(tmp_path.glob("*.py")))
    assert len(stamps) == 4


def test_every_engine_function_is_cached_under_the_engine_stamp() -> None:
    # loop.py's machine code embeds interp.py's and rules.py's: all carry one key, so an edit
    # of interp.py alone cannot leave a stale loop in the cache.
    for fn in ENGINE_FUNCTIONS:
        assert fn._cache._cache_file._source_stamp == jit.source_stamp(), fn


def test_compiled_code_outside_the_engine_is_keyed_on_its_own_sources() -> None:
    from pathlib import Path

    from descentlab import grouping

    stamp = grouping._leaders._cache._cache_file._source_stamp
    assert stamp == jit.source_stamp([Path(grouping.__file__)])
    assert stamp != jit.source_stamp()


_MODULE = """
from descentlab.engine.jit import jit

@jit
def twice(x):
    return 2.0 * x
"""


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_cache_entry_under_another_stamp_is_not_loaded(tmp_path, monkeypatch) -> None:
    path = tmp_path / "stamped.py"
    path.write_text(_MODULE)
    first = _load(path, "stamped_a")
    assert first.twice(2.0) == 4.0
    assert sum(first.twice.stats.cache_misses.values()) == 1  # compiled and saved
    again = _load(path, "stamped_b")
    assert again.twice(2.0) == 4.0
    assert sum(again.twice.stats.cache_hits.values()) == 1  # loaded: same stamp
    monkeypatch.setattr(jit, "_STAMP", ["another engine"])
    edited = _load(path, "stamped_c")
    assert edited.twice(2.0) == 4.0
    assert sum(edited.twice.stats.cache_hits.values()) == 0  # stale: compiled again
    assert sum(edited.twice.stats.cache_misses.values()) == 1


def test_an_unwritable_cache_compiles_in_memory_with_one_warning(monkeypatch) -> None:
    import numba.core.caching as caching

    def refuse(self):
        raise OSError("read-only file system (simulated)")

    monkeypatch.setattr(caching._CacheLocator, "ensure_cache_path", refuse)
    monkeypatch.setattr(jit, "_warned", False)

    def half(x):
        return 0.5 * x

    with pytest.warns(DescentlabWarning, match="cannot cache compiled code here") as seen:
        a = jit.jit(half)
        b = jit.jit(lambda x: x + 1.0)
    assert len(seen) == 1  # one message per process, not one per function
    assert a(np.float64(3.0)) == 1.5 and b(1.0) == 2.0
    assert type(a._cache).__name__ == "NullCache"


def test_the_engine_modules_compile_through_the_one_helper() -> None:
    for module in (interp, loop, rules, search):
        source = Path(module.__file__).read_text()
        assert "numba.njit(" not in source and "@njit" not in source, module.__name__


def _printed_json(code: str, env: dict[str, str] | None = None, *argv: str) -> Any:
    """What a fresh Python process running ``code`` (with arguments ``argv``) prints, as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True,
        timeout=900, env=env,
    )  # fmt: skip
    return json.loads(out.stdout)


_HERE = {**os.environ, "DESCENTLAB_COMPILE_ASIDE": "0"}
"""A child's environment where what its runs need is compiled (or loaded) in it: no second
process, so no run goes on as Python while the cache lacks code (test_twins.py)."""

_ADAM_RUN = """
import json
import os
import numpy as np
from descentlab.descent import minimize
from descentlab.objective import Objective
from descentlab.optimizers import adam
from descentlab.engine import interp, loop, rules

minimize(Objective.from_formula("(1 - x)^2 + 100 (y - x^2)^2"), np.zeros((3, 2)), adam(lr=0.01),
         max_iter=5)
print(json.dumps({
    "rules": sorted({fn.py_func.__name__ for fn in rules.KERNELS.values() if fn.signatures}),
    "interp": [len(fn.signatures) for fn in (interp.forward_backward, interp.hessian_block)],
    "chunk": [[str(t) for t in sig[:2]] for sig in loop._chunk_block.signatures],
}))
"""


def test_a_run_compiles_only_what_it_uses() -> None:
    # A fresh process (this one has run every rule): an Adam run compiles Adam's kernel and
    # no other rule, the interpreter once (no Hessian), and the fused loop's one compiled
    # function (a chunk of iterations, the first one after the starts) once, the rule and the
    # interpreter first-class function arguments - the same machine code for every rule.
    seen = _printed_json(_ADAM_RUN, env=_HERE)
    assert seen["rules"] == ["_adam"]
    assert seen["interp"] == [1, 0]
    assert seen["chunk"] == [[str(rules.RULE), str(loop.INTERP)]]


_RULE_COMPILE = """
import json
import os
from numba.core import event
from descentlab.engine import rules

with event.install_recorder("numba:compile") as rec:
    rules.KERNELS["adam"].compile(rules.SIGNATURE.args)
print(json.dumps(sorted({
    ev.data["dispatcher"].py_func.__qualname__ for _, ev in rec.buffer
    if ev.data["dispatcher"].py_func.__module__.startswith("descentlab")
})))
"""


def test_compiling_a_rule_compiles_the_rule_alone(tmp_path) -> None:
    # A kernel takes one t and one lr for all its rows: compiling Adam (into an empty cache)
    # compiles Adam and torch's gradient preamble, and no row-by-row fallback around them.
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    assert _printed_json(_RULE_COMPILE, env=env) == ["_adam", "_grad"]


_RUN_AND_LOOK = """
import io, json, sys
from contextlib import redirect_stdout
import numpy as np
from descentlab import Objective, cli, linesearch, minimize, newton
with redirect_stdout(io.StringIO()) as out:
    code = cli.main(["run", "rosenbrock", "--random-starts", "50", "--optimizer", "adam",
                     "--max-iter", "5", "--json"])
obj = Objective.from_problem("rosenbrock")
X = np.array([[-1.2, 1.0], [0.5, -0.3], [2.0, 2.0]])
ends = {name: minimize(obj, X, opt, max_iter=30).x.tolist()
        for name, opt in (("line search", linesearch()), ("newton", newton()))}
from descentlab.grouping import leaders
seen = {"code": code, "runs": len(json.loads(out.getvalue())["runs"]), "ends": ends,
        "hessian": obj.hessian(np.array([0.3, 0.4])).tolist(),
        "leaders": leaders(np.array([[0.0, 0.0], [1.0, 1.0], [1e-9, 0.0]]), 1e-6)[0].tolist(),
        "loaded": sorted(m for m in ("numba.np.arraymath", "numba.np.npyimpl", "numpy.f2py",
                                     "scipy.linalg", "numba.np.arrayobj", "numpy.ma")
                         if m in sys.modules)}
import numba.np.linalg
import scipy.linalg.cython_blas
numba.np.linalg.ensure_blas()  # what numba's np.linalg and np.dot check when they compile
seen["blas"] = scipy.linalg.cython_blas.__name__
print(json.dumps(seen))
"""


def test_cached_code_loads_without_numbas_compiler_set_up() -> None:
    # numba refreshes its CPU target before every cache load: it imports every implementation
    # it could compile (numba.np.arraymath, ...; scipy.linalg to look for a BLAS), 0.25-0.4 s
    # of a cached run's start-up. The engine's functions load through jit._LoadOnly, which
    # sets up numba's runtime only. A first process fills the cache (it compiles, with the
    # whole set-up); a second, loading everything (the CLI's fused Adam, the line search,
    # Newton's Hessians, the grouping of end points), imports none of those modules (nor
    # numba.np.arrayobj, for the environments of np.empty in the cache entries, nor numpy.ma,
    # which numba's typeof imports to look for masked arrays) and gets
    # the same numbers as the first and as this process, and numba's own BLAS check still
    # passes afterwards. (Both compile or load in their own process: no second process.)
    from descentlab import Objective, linesearch, minimize, newton

    first = _printed_json(_RUN_AND_LOOK, env=_HERE)
    seen = _printed_json(_RUN_AND_LOOK, env=_HERE)
    assert seen["code"] == 0 and seen["runs"] == 50
    assert seen["loaded"] == []
    assert seen["ends"] == first["ends"] and seen["hessian"] == first["hessian"]
    assert seen["leaders"] == first["leaders"] == [0, 1, 0]
    assert seen["blas"] == "scipy.linalg.cython_blas"
    obj = Objective.from_problem("rosenbrock")
    X = np.array([[-1.2, 1.0], [0.5, -0.3], [2.0, 2.0]])
    for name, opt in (("line search", linesearch()), ("newton", newton())):
        assert seen["ends"][name] == minimize(obj, X, opt, max_iter=30).x.tolist(), name
    assert seen["hessian"] == obj.hessian(np.array([0.3, 0.4])).tolist()


_ENV_MODULE = """
import numpy as np
from descentlab.engine.jit import jit

@jit
def ramp(n):
    out = np.empty(n)
    for i in range(n):
        out[i] = 2.0 * i
    return out

@jit
def squares(n):
    out = np.empty(n)
    for i in range(n):
        out[i] = i * i
    return out
"""

_ENV_STEP = """
import json, sys
sys.path.insert(0, sys.argv[1])
import env_module
step = sys.argv[2]
seen = {}
if step in ("fill", "load"):
    seen["ramp"] = env_module.ramp(4).tolist()
    seen["arrayobj"] = "numba.np.arrayobj" in sys.modules
if step == "load":  # a new function, compiled after ramp's environments were loaded lazily
    seen["squares"] = env_module.squares(4).tolist()
if step == "reload":
    seen["squares"] = env_module.squares(4).tolist()
    seen["hits"] = sum(env_module.squares.stats.cache_hits.values())
print(json.dumps(seen))
"""


def test_loaded_code_does_not_import_the_modules_of_its_environments(tmp_path) -> None:
    # A cache entry holds the environment of every function in its code, numba's np.empty
    # (numba.np.arrayobj) among them; numba imports each one's module to rebuild it (~40 ms
    # for that one). jit._LoadOnly rebuilds them without importing what is not imported yet.
    # A first process compiles ramp (with numba's whole set-up); a second loads it without
    # importing numba.np.arrayobj, then compiles squares, whose cache entry pickles the
    # environment of np.empty that the load made; a third loads squares and gets its numbers.
    (tmp_path / "env_module.py").write_text(_ENV_MODULE)
    env = {**_HERE, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}

    def run(step: str) -> Any:
        return _printed_json(_ENV_STEP, env, str(tmp_path), step)

    assert run("fill") == {"ramp": [0.0, 2.0, 4.0, 6.0], "arrayobj": True}
    assert run("load") == {"ramp": [0.0, 2.0, 4.0, 6.0], "arrayobj": False,
                           "squares": [0.0, 1.0, 4.0, 9.0]}  # fmt: skip
    assert run("reload") == {"squares": [0.0, 1.0, 4.0, 9.0], "hits": 1}


def test_an_environment_rebuilt_without_its_module_imports_it_when_read() -> None:
    from numba.core import environment

    name = "descentlab_env_probe"
    assert name not in sys.modules
    env = jit._rebuild_env("colorsys", [], name)
    try:
        assert environment.lookup_environment(name) is env
        assert jit._rebuild_env("colorsys", [], name) is env  # made once, as numba does
        assert env.__reduce__()[1][0] == "colorsys"  # what a cache entry would pickle
        assert env.can_cache()
        if "colorsys" not in sys.modules:  # (unless another test imported it)
            assert "hls_to_rgb" not in env.globals
        import colorsys

        assert env.globals["hls_to_rgb"] is colorsys.hls_to_rgb
        with pytest.raises(KeyError):
            env.globals["no_such_name"]
    finally:
        environment.Environment._memo.pop(name, None)
    # a module already imported gives numba's own environment, with the module's globals
    env = jit._rebuild_env("json", [1.5], "descentlab_env_probe_json")
    try:
        assert env.globals is json.__dict__ and list(env.consts) == [1.5]
    finally:
        environment.Environment._memo.pop("descentlab_env_probe_json", None)


def test_plain_arrays_are_typed_as_numba_types_them() -> None:
    import numba
    from numba.core.typing.typeof import Purpose

    ro = np.zeros(3)
    ro.flags.writeable = False
    arrays = [np.zeros(3), np.zeros((2, 3)), np.zeros((2, 3)).T, np.zeros((4, 4))[::2],
              np.zeros((1, 1)), np.zeros((0, 0, 0)), np.zeros(3, np.int64),
              np.zeros(3, np.bool_), np.zeros(3, np.int8), np.zeros(3, np.float32), ro,
              np.zeros(2, np.complex128)]  # fmt: skip
    for a in arrays:
        assert jit.signature((a,)) == (numba.typeof(a, Purpose.argument),), a
    with pytest.raises(numba.core.errors.NumbaTypeError, match="MaskedArray"):  # as numba says
        jit.signature((np.ma.masked_array([1.0, 2.0]),))
    assert jit.signature((2, 1.5, True)) == tuple(
        numba.typeof(v, Purpose.argument) for v in (2, 1.5, True)
    )


def test_only_the_engines_serial_functions_load_without_the_set_up() -> None:
    for fn in ENGINE_FUNCTIONS:
        assert type(fn._cache) is jit._LoadOnly, fn
    assert type(jit.jit(parallel=True)(lambda x: x)._cache) is not jit._LoadOnly


_ASIDE_MODULE = """
from numba import types
from descentlab.engine.jit import jit

@jit
def triple(x, out):
    out[0] = 3.0 * x

@jit
def quadruple(x, out):
    out[0] = 4.0 * x

@jit
def use(f, x, out):
    f(x, out)

FTYPE = types.FunctionType(types.void(types.float64, types.float64[::1]))
"""


def _aside_module(tmp_path, monkeypatch, name: str) -> Any:
    """A fresh module of @jit functions (its cache next to it, empty)."""
    (tmp_path / f"{name}.py").write_text(_ASIDE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(name)


def _until(done, seconds: float = 300.0) -> None:  # noqa: ANN001
    """Wait (polling) until ``done()``, at most ``seconds``: the second process's work."""
    for _ in range(int(seconds / 0.1)):
        if done():
            return
        time.sleep(0.1)


def _run(mod, fn) -> float:
    args = (jit.address(fn, mod.FTYPE), 2.0, np.zeros(1))
    jit.compiled(mod.use, args)(*args)
    return float(args[2][0])


def test_a_function_the_cache_lacks_compiles_in_the_second_process(
    tmp_path, monkeypatch, aside
) -> None:
    # Two functions the cache lacks: the second process takes the first at once; the second
    # waits in the queue, and resolving it before the process gets to it takes it back (the
    # process is still starting: importing numba takes far longer than these lines).
    mod = _aside_module(tmp_path, monkeypatch, "aside_a")
    a = jit.address(mod.triple, mod.FTYPE)
    b = jit.address(mod.quadruple, mod.FTYPE)
    assert aside._busy == (mod.triple, mod.FTYPE.signature.args)
    assert aside._queue == [(mod.quadruple, mod.FTYPE.signature.args)]
    b.resolve()
    assert aside._queue == []
    assert sum(mod.quadruple.stats.cache_misses.values()) == 1  # compiled here
    a.resolve()  # waits for the second process, then loads what it compiled
    assert sum(mod.triple.stats.cache_hits.values()) == 1
    assert sum(mod.triple.stats.cache_misses.values()) == 0
    assert _run(mod, mod.triple) == 6.0 and _run(mod, mod.quadruple) == 8.0
    assert jit._in_cache(mod.triple, mod.FTYPE.signature.args)


@pytest.mark.parametrize("python", ["/nonexistent/python", "exits"])
def test_no_second_process_compiles_everything_here(tmp_path, monkeypatch, aside, python) -> None:
    # A process that cannot start, or exits at once: the functions compile here, as without it.
    if python == "exits":  # a "Python" that exits at once without reading its work
        python = str(tmp_path / "python3")
        Path(python).write_text("#!/bin/sh\nexit 0\n")
        Path(python).chmod(0o755)
    mod = _aside_module(tmp_path, monkeypatch, "aside_b" + str(len(python)))
    monkeypatch.setattr(jit.sys, "executable", python)
    assert _run(mod, mod.triple) == 6.0 and _run(mod, mod.quadruple) == 8.0
    assert sum(mod.triple.stats.cache_misses.values()) == 1
    assert aside._dead


def test_a_program_embedding_python_is_not_run_as_one(tmp_path, monkeypatch, aside) -> None:
    # Embedding programs set sys.executable to their own binary: never run it with -c.
    mod = _aside_module(tmp_path, monkeypatch, "aside_f")
    monkeypatch.setattr(jit.sys, "executable", shutil.which("false"))
    assert _run(mod, mod.triple) == 6.0
    assert aside._proc is None and not aside._dead
    assert sum(mod.triple.stats.cache_misses.values()) == 1


def test_the_second_process_is_not_used_when_turned_off_or_cached(
    tmp_path, monkeypatch, aside
) -> None:
    mod = _aside_module(tmp_path, monkeypatch, "aside_c")
    monkeypatch.setenv("DESCENTLAB_COMPILE_ASIDE", "0")
    assert _run(mod, mod.triple) == 6.0
    assert aside._proc is None
    monkeypatch.setenv("DESCENTLAB_COMPILE_ASIDE", "1")
    aside.submit(mod.triple, mod.FTYPE.signature.args)  # cached now: nothing to do
    assert aside._proc is None
    monkeypatch.setattr(jit, "_in_cache", lambda fn, args: False)  # as if its save had failed
    aside.submit(mod.triple, mod.FTYPE.signature.args)  # compiled in this process: nothing to do
    assert aside._proc is None


_FIRST_RUN = """
import json
from numba.core import event
import descentlab.engine
from descentlab import Objective, adam, minimize
told = []
descentlab.engine.ON_FIRST_COMPILE.append(lambda: told.append(len(rec.buffer)))
with event.install_recorder("numba:compile") as rec:
    r = minimize(Objective.from_problem("rosenbrock"), [[-1.2, 1.0]], adam(), max_iter=MAX_ITER)
print(json.dumps({"x": r.x.tolist(), "told": told, "compiled": sorted({
    ev.data["dispatcher"].py_func.__qualname__ for _, ev in rec.buffer
    if ev.data["dispatcher"].py_func.__module__.startswith("descentlab")})}))
"""
"""A first run's child (MAX_ITER to fill in): its end point, what it compiled itself, and when
``ON_FIRST_COMPILE`` was called (the number of compile events recorded before: each call)."""


def test_a_first_run_compiles_the_sweep_in_the_second_process(tmp_path) -> None:
    # An empty cache and a run too long to go on as Python meanwhile (test_twins.py): the
    # fused loop compiles here while the second process compiles the row sweep (sent first)
    # and, unless this process gets to it first, Adam's kernel; the run's numbers are this
    # process's.
    from descentlab import Objective, adam, minimize

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "DESCENTLAB_COMPILE_ASIDE": "1"}
    seen = _printed_json(_FIRST_RUN.replace("MAX_ITER", "100_000"), env=env)
    assert "_chunk_block" in seen["compiled"]
    assert "forward_backward_rows" not in seen["compiled"]
    assert set(seen["compiled"]) <= {"_chunk_block", "_adam", "_grad", "take_cols",
                                     "start_verdict", "snapshot", "put_block"}  # fmt: skip
    # Told once, as its first compile began (the recorder, installed before the run imported
    # the engine, hears of that compile just before): the command line says so on a terminal.
    assert seen["told"] == [1]
    obj = Objective.from_problem("rosenbrock")
    assert seen["x"] == minimize(obj, [[-1.2, 1.0]], adam(), max_iter=100_000).x.tolist()


def test_the_first_compile_of_cached_engine_code_is_told_once(
    tmp_path, monkeypatch, on_first_compile
) -> None:
    # A compile for the disk cache calls ON_FIRST_COMPILE, once per process: not again for the
    # next compile, not for a load from the cache, not for code jit() could not cache.
    import numba

    told: list[str] = []
    on_first_compile.append(lambda: told.append("told"))
    monkeypatch.setattr(jit._FIRST_COMPILE, "told", False)
    monkeypatch.setenv("DESCENTLAB_COMPILE_ASIDE", "0")
    uncached = numba.njit(lambda x: x + 1.0)  # not made by jit(): no disk cache of the engine's
    assert uncached(1.0) == 2.0 and told == []
    mod = _aside_module(tmp_path, monkeypatch, "aside_told")
    out = np.zeros(1)
    mod.triple(2.0, out)  # compiled: told
    assert told == ["told"] and out[0] == 6.0
    mod.quadruple(2.0, out)  # compiled: not told again
    assert told == ["told"] and out[0] == 8.0
    monkeypatch.setattr(jit._FIRST_COMPILE, "told", False)
    again = importlib.reload(mod)  # new dispatchers over the same file: loaded from the cache
    again.triple(5.0, out)
    assert out[0] == 15.0 and sum(again.triple.stats.cache_hits.values()) == 1
    assert told == ["told"]


def test_waiting_for_the_second_process_is_told_too(
    tmp_path, monkeypatch, aside, on_first_compile
) -> None:
    # This process compiles nothing, but waits while the second compiles what it needs: that
    # wait is told as a compile here would be (once).
    told: list[Any] = []
    on_first_compile.append(lambda: told.append(aside._busy))  # what the second was doing
    monkeypatch.setattr(jit._FIRST_COMPILE, "told", False)
    mod = _aside_module(tmp_path, monkeypatch, "aside_wait")
    a = jit.address(mod.triple, mod.FTYPE)  # the second process takes it at once
    a.resolve()  # waits for it, then loads what it compiled
    assert sum(mod.triple.stats.cache_misses.values()) == 0  # nothing compiled here
    assert sum(mod.triple.stats.cache_hits.values()) == 1
    assert told == [(mod.triple, mod.FTYPE.signature.args)]  # told as the wait began
    assert _run(mod, mod.triple) == 6.0 and told == [(mod.triple, mod.FTYPE.signature.args)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_copy_compiles_here(tmp_path, monkeypatch, aside) -> None:
    # A fork has no reader thread and shares the pipe: it must neither wait for the second
    # process nor talk to it. (It would wait forever for a function the parent had sent.)
    mod = _aside_module(tmp_path, monkeypatch, "aside_d")
    jit.address(mod.triple, mod.FTYPE)  # the parent's second process is busy with it
    pid = os.fork()
    if pid == 0:  # the copy: compile both here, report through the exit code
        signal.alarm(120)
        try:
            ok = _run(mod, mod.triple) == 6.0 and _run(mod, mod.quadruple) == 8.0
            os._exit(0 if ok and jit._ASIDE._dead else 1)
        except BaseException:
            (tmp_path / "fork.txt").write_text(traceback.format_exc())
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    err = (tmp_path / "fork.txt").read_text() if (tmp_path / "fork.txt").exists() else ""
    assert os.waitstatus_to_exitcode(status) == 0, err
    assert _run(mod, mod.triple) == 6.0 and not aside._dead


def test_an_idle_second_process_stops_and_another_starts_on_need(
    tmp_path, monkeypatch, aside
) -> None:
    monkeypatch.setattr(jit, "IDLE_SECONDS", 0.5)
    mod = _aside_module(tmp_path, monkeypatch, "aside_e")
    a = jit.address(mod.triple, mod.FTYPE)
    first = aside._proc  # started for it (it cannot stop with work to do)
    a.resolve()  # compiled there, loaded here
    assert first is not None and sum(mod.triple.stats.cache_hits.values()) == 1
    _until(lambda: aside._proc is None, seconds=60.0)  # it stops 0.5 s after its last function
    assert aside._proc is None and first.returncode == 0 and not aside._dead
    b = jit.address(mod.quadruple, mod.FTYPE)
    second = aside._proc  # another one, started for this
    b.resolve()
    assert second is not None and second is not first
    assert sum(mod.quadruple.stats.cache_hits.values()) == 1
