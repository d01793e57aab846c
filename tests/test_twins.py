"""A first run that does not wait for the compiler: the engine's functions run as Python.

While the second process compiles what the disk cache lacks, a small run goes on with the
twins of the engine's compiled functions (``engine.jit.twin``: the same Python, run by Python),
and must give exactly what the machine code gives: every field of the Result, the trajectory,
the values, gradients and Hessians, bit for bit. Here the twins are forced (``as_python``) and
compared with the compiled code, for every rule on every catalogue function, random formulas
and settings, and a run that switches to the machine code halfway. Then the decisions: when a
call runs as Python, and that the second process, left with work at exit, finishes it into the
cache for the next process.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import smooth_trees, trees
from test_engine import same_bits
from test_fused import FUSED, RULES, ProgramObjective, same_result
from test_jit import _FIRST_RUN, _aside_module, _printed_json, _until

from descentlab import PROBLEMS, Objective, minimize
from descentlab.engine import jit, loop, rules, search
from descentlab.engine.program import lower
from descentlab.grouping import leaders
from descentlab.optimizers import OPTIMIZERS, adam, gd, linesearch
from descentlab.schedules import exponentiallr


@contextlib.contextmanager
def as_python(switch_after: int | None = None) -> Iterator[list[int]]:
    """Every engine call in the block runs its twins (as if the compiler were still at work);
    with ``switch_after``, the fused loop's first that many chunks do, then the machine code.
    Yields the count of chunks run as Python."""
    chunks = [0]

    def still(needs):  # noqa: ANN001, ANN202
        if switch_after is None or chunks[0] < switch_after:
            chunks[0] += 1
            return True
        return False

    with contextlib.ExitStack() as stack:
        # the fused loop and the line search, chunk by chunk (loop.Twins)
        stack.enter_context(mock.patch.object(loop, "meanwhile", lambda *a: True))
        stack.enter_context(mock.patch.object(loop, "pending", still))
        for module in (loop, search, jit):  # as if nothing were compiled in this process
            stack.enter_context(mock.patch.object(module, "here", lambda *fns: False))
        stack.enter_context(mock.patch.object(jit, "pending", lambda needs: True))  # jit.run
        yield chunks


@contextlib.contextmanager
def as_machine_code() -> Iterator[None]:
    """Every engine call in the block runs machine code (compiled here if the cache lacks it,
    as with no second process): the reference the twins are compared with."""
    with contextlib.ExitStack() as stack:
        for module in (loop, jit):
            stack.enter_context(mock.patch.object(module, "pending", lambda *a: False))
            stack.enter_context(mock.patch.object(module, "meanwhile", lambda *a: False))
        yield


def both(obj, X0, opt, **kw):  # noqa: ANN001, ANN201
    """The run as Python and compiled: equal in every field; returns the compiled one."""
    with as_python() as chunks:
        a = minimize(obj, X0, opt, engine="compiled", **kw)
    assert chunks[0] >= 1
    with as_machine_code():
        b = minimize(obj, X0, opt, engine="compiled", **kw)
    same_result(a, b)
    return b


@pytest.mark.parametrize("name", FUSED)
def test_every_rule_on_every_catalogue_function_as_python_equals_compiled(name: str) -> None:
    rng = np.random.default_rng(len(name))
    for problem in PROBLEMS.values():
        obj = Objective.from_problem(problem.name)
        lo, hi = np.array(problem.domain).T
        X0 = np.vstack([problem.starts[0], rng.uniform(lo, hi, (2, len(lo)))])
        both(obj, X0, OPTIMIZERS[name](), max_iter=60, record=True)


@pytest.mark.parametrize(("starts", "calls"), [(1, [10_000]), (300, [10_000]),
                                               (2_000, [4096, 4096, 1808])])  # fmt: skip
def test_a_compiled_call_runs_about_the_same_work_whatever_the_rows(
    monkeypatch, starts, calls
) -> None:
    # loop.chunk_for: a call costs ~40 us of Python, so few rows run more iterations per call
    # (one start of 10,000 iterations: one call); many rows at least loop.CHUNK per call.
    sizes: list[int] = []
    real = loop.compiled

    def counted(fn, args):  # noqa: ANN001, ANN202
        entry = real(fn, args)

        def call(*a):  # noqa: ANN002, ANN202
            if a[-2] == 0:  # the first block's call (one call per block of rows)
                sizes.append(len(a[6]))  # a[6]: the chunk's lrs
            return entry(*a)

        return call

    monkeypatch.setattr(loop, "compiled", counted)
    monkeypatch.setattr(loop, "_ENTRY", [])  # (so that this run looks its entry up)
    X0 = np.random.default_rng(8).uniform(-2, 2, (starts, 2))
    with as_machine_code():
        r = minimize(Objective.from_problem("rosenbrock"), X0, gd(lr=1e-4), max_iter=10_000,
                     grad_tol=0.0, record=False)  # fmt: skip
    assert sizes == calls
    assert (r.nit == 10_000).all()


@given(
    tree=st.one_of(smooth_trees(max_leaves=8), trees(max_leaves=6)),
    starts=st.lists(st.tuples(st.floats(-2, 2), st.floats(-2, 2)), min_size=1, max_size=4),
    opt=st.one_of(RULES, st.builds(linesearch, lr=st.floats(1e-3, 2.0))),
    max_iter=st.integers(0, 40),
    tols=st.sampled_from([(0.0, 0.0, 0.0), (1e-8, 1e-10, 1e-6), (1e-3, 1e-4, 1e-2)]),
    bounds=st.sampled_from([None, (-1.0, 1.5)]),
    record=st.sampled_from([False, True, 3]),
    scheduled=st.booleans(),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_formulas_and_settings_as_python_equal_compiled(
    tree, starts, opt, max_iter, tols, bounds, record, scheduled
) -> None:
    obj = ProgramObjective(tree)
    grad_tol, f_tol, x_tol = tols
    both(obj, np.array(starts), opt, max_iter=max_iter, grad_tol=grad_tol, f_tol=f_tol,
         x_tol=x_tol, bounds=bounds, record=record,
         scheduler=exponentiallr(gamma=0.9) if scheduled else None)  # fmt: skip


def test_the_line_search_on_every_catalogue_function_as_python_equals_compiled() -> None:
    for problem in PROBLEMS.values():
        obj = Objective.from_problem(problem.name)
        both(obj, np.array(problem.starts[:3]), linesearch(), max_iter=40, record=True)


def test_the_numpy_path_as_python_equals_compiled() -> None:
    # A Python objective: the general loop calls each rule's kernel (engine.rules.rule_step),
    # as Python while the kernel compiles; rows with different lrs (a plateau) run apart.
    def f(X):  # noqa: ANN001, ANN202
        return (1 - X[:, 0]) ** 2 + 100 * (X[:, 1] - X[:, 0] ** 2) ** 2

    X0 = np.random.default_rng(4).uniform(-2, 2, (7, 2))
    obj = Objective.from_function(f, 2, vectorized=True)
    for name in FUSED:
        opt = OPTIMIZERS[name](lr=1e-3)
        with as_python():
            a = minimize(obj, X0, opt, max_iter=30, record=True)
        with as_machine_code():
            b = minimize(obj, X0, opt, max_iter=30, record=True)
        same_result(a, b)


@given(
    points=st.lists(
        st.tuples(*[st.sampled_from([0.0, 1e-3, 0.5, 1.0, -2.0, 1e6])] * 3), min_size=1, max_size=40
    ),
    n=st.integers(1, 3) | st.just(5),
    tol=st.sampled_from([1e-6, 1e-2, 0.3, 0.9]),
)
@settings(max_examples=40, deadline=None)
def test_grouping_end_points_as_python_equals_compiled(points, n, tol) -> None:
    X = np.array([(p * 2)[:n] for p in points])
    with as_python():
        group, work = leaders(X, tol)
    with as_machine_code():
        again, work_again = leaders(X, tol)
    np.testing.assert_array_equal(group, again)
    assert work == work_again


def test_a_run_goes_on_as_python_until_the_machine_code_comes(monkeypatch) -> None:
    # Chunks of 7 iterations: the first three as Python, the rest compiled, the same numbers
    # as a run compiled throughout (a row's state passes between them in the same arrays).
    monkeypatch.setattr(loop, "TWIN_CHUNK", 7)
    obj = Objective.from_problem("rosenbrock")
    X0 = np.random.default_rng(5).uniform(-2, 2, (5, 2))
    for opt in (adam(lr=0.02), gd(lr=1e-3), linesearch()):  # (the line search: its start too)
        with as_python(switch_after=3) as chunks:
            a = minimize(obj, X0, opt, max_iter=100, record=5)
        assert chunks[0] == 3
        with as_machine_code():
            b = minimize(obj, X0, opt, max_iter=100, record=5)
        same_result(a, b)


def test_a_long_run_tries_python_for_a_while_then_compiles(monkeypatch) -> None:
    # A run whose max_iter is too long for Python still starts as Python (it may stop early),
    # for loop.TWIN_TRY_SECONDS; then it compiles here though the code has not come. Its
    # numbers are those of a run compiled throughout. (A clock that ticks 1 s per reading:
    # with 2.5 s to try, exactly two chunks go as Python.)
    monkeypatch.setattr(loop, "TWIN_CHUNK", 7)
    monkeypatch.setattr(loop, "TWIN_TRY_SECONDS", 2.5)
    obj = Objective.from_problem("rosenbrock")
    X0 = np.random.default_rng(6).uniform(-2, 2, (5, 2))
    for opt in (adam(lr=1e-3), linesearch()):
        clock = SimpleNamespace(perf_counter=map(float, range(10**6)).__next__)
        monkeypatch.setattr(loop, "time", clock)
        with as_python() as chunks:  # the code never comes: only the time can end Python
            a = minimize(obj, X0, opt, max_iter=50_000, grad_tol=0.0, record=1000)
        assert chunks[0] == 2  # two chunks as Python, then machine code
        with as_machine_code():
            b = minimize(obj, X0, opt, max_iter=50_000, grad_tol=0.0, record=1000)
        same_result(a, b)


def test_a_run_of_many_starts_compiles_first() -> None:
    # One iteration of 100,000 starts as Python would take seconds: no headway, compile.
    needs = [(loop._chunk_block, ())]
    with as_python():
        assert not loop.Twins(needs, 100_000, 10, 11, 2).on
        assert loop.Twins(needs, 1, 10**9, 11, 2).on  # one start: tries, for a while
        assert loop.Twins(needs, 1, 10**9, 11, 2).until < float("inf")
        assert loop.Twins(needs, 1, 1000, 11, 2).until == float("inf")  # short: until it comes
        assert not loop.Twins([], 1, 10, 11, 2).on  # nothing to compile


@given(
    tree=st.one_of(smooth_trees(max_leaves=8), trees(max_leaves=6)),
    points=st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=1, max_size=6),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_values_gradients_and_hessians_as_python_equal_compiled(tree, points) -> None:
    program = lower(tree, ["x", "y"])
    X = np.array(points)
    with as_python():
        python = program.values(X), *program.values_and_grads(X), program.hessians(X)
    with as_machine_code():
        compiled = program.values(X), *program.values_and_grads(X), program.hessians(X)
    for a, b in zip(python, compiled, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_twin_calls_the_twins_of_what_it_calls() -> None:
    chunk = jit.twin(loop._chunk_block)
    assert chunk is jit.twin(loop._chunk_block)  # made once
    assert chunk.__code__ is loop._chunk_block.py_func.__code__
    assert chunk.__globals__["take_cols"] is jit.twin(loop.take_cols)
    assert chunk.__globals__["_grad_sq"] is jit.twin(loop._grad_sq)
    assert jit.twin(rules._adam).__globals__["_grad"] is jit.twin(rules._grad)
    assert loop.take_cols.py_func.__globals__["take_cols"] is loop.take_cols  # the module's own


def test_which_calls_run_as_python(tmp_path, monkeypatch, aside) -> None:
    mod = _aside_module(tmp_path, monkeypatch, "twin_a")
    out = np.zeros(1)
    need = [(mod.triple, jit.signature((2.0, out)))]
    assert not jit.meanwhile(need, jit.TWIN_SECONDS * 2)  # too long as Python: compile
    assert aside._proc is None
    monkeypatch.setenv("DESCENTLAB_COMPILE_ASIDE", "0")  # no second process: compile
    assert not jit.meanwhile(need, 0.001) and aside._proc is None
    monkeypatch.setenv("DESCENTLAB_COMPILE_ASIDE", "1")
    assert jit.meanwhile(need, 0.001)  # sent to the second process
    assert jit.pending(need)
    jit.run(mod.triple, (2.0, out), 0.001)  # meanwhile, as Python
    assert out[0] == 6.0 and not mod.triple.overloads
    _until(lambda: not jit.pending(need))
    assert not jit.pending(need) and jit.at_hand(*need[0])
    assert not jit.meanwhile(need, 0.001)  # in the cache now: load it
    out[0] = 0.0
    jit.run(mod.triple, (2.0, out), 0.001)
    assert out[0] == 6.0 and sum(mod.triple.stats.cache_hits.values()) == 1


def test_the_second_process_finishes_its_work_after_this_one_is_done(
    tmp_path, monkeypatch, aside
) -> None:
    # At exit, a second process with work finishes the function it is compiling, and a third
    # takes the rest of its queue: between them all of it reaches the cache; both end.
    mod = _aside_module(tmp_path, monkeypatch, "twin_b")
    a, b = (jit.signature((2.0, np.zeros(1))),) * 2
    aside.submit(mod.triple, a)
    aside.submit(mod.quadruple, b)
    assert aside._queue == [(mod.quadruple, b)]
    proc = aside._proc
    aside.close()
    assert proc is not None and proc.wait(timeout=300) == 0
    _until(lambda: jit._in_cache(mod.triple, a) and jit._in_cache(mod.quadruple, b))
    assert jit._in_cache(mod.triple, a) and jit._in_cache(mod.quadruple, b)


def test_a_small_first_run_compiles_nothing_and_the_next_process_loads_it(tmp_path) -> None:
    # An empty cache: the run goes on as Python while the second process compiles; the process
    # ends before it is done, and the second finishes; a later process loads it all.
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "DESCENTLAB_COMPILE_ASIDE": "1"}
    code = _FIRST_RUN.replace("MAX_ITER", "2000")
    first = _printed_json(code, env=env)
    assert first["compiled"] == [] and first["told"] == []  # nothing to tell: no wait
    wanted = ("loop._chunk_block", "interp.forward_backward_rows", "rules._adam")

    def indexed() -> bool:  # the second process writes each index after its code
        names = [p.name for p in tmp_path.rglob("*.nbi")]
        return all(any(n.startswith(w + "-") for n in names) for w in wanted)

    _until(indexed)
    later = _printed_json(code, env=env)
    assert later["compiled"] == []  # loaded, not compiled
    r = minimize(Objective.from_problem("rosenbrock"), [[-1.2, 1.0]], adam(), max_iter=2000)
    assert first["x"] == later["x"] == r.x.tolist()


def test_python_twins_keep_numpy_quiet() -> None:
    # Compiled code overflows to inf silently (NumPy's error model); its twins say nothing
    # either, even where NumPy is told to raise.
    obj = Objective.from_formula("exp(300x)")
    with as_python(), np.errstate(all="raise"):
        a = minimize(obj, [[0.5]], gd(lr=1.0), max_iter=5)
        f = obj.program.values(np.array([[10.0]]))
    with as_machine_code():
        same_result(a, minimize(obj, [[0.5]], gd(lr=1.0), max_iter=5))
    assert f[0] == np.inf


@pytest.mark.skipif(os.name != "posix", reason="file locks: POSIX")
def test_one_second_process_at_a_time_compiles_a_function(tmp_path, monkeypatch, aside) -> None:
    # Another process compiling triple holds its lock: this one's second process waits (the
    # function stays pending), then compiles it (or loads it, had the other written it).
    import fcntl

    mod = _aside_module(tmp_path, monkeypatch, "twin_c")
    sig = jit.signature((2.0, np.zeros(1)))
    with open(Path(mod.triple._cache._cache_path) / "triple.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        aside.submit(mod.triple, sig)
        time.sleep(2.0)  # time to start, import numba and reach the lock
        assert aside.pending(mod.triple, sig) and not jit._in_cache(mod.triple, sig)
    _until(lambda: not aside.pending(mod.triple, sig))
    assert jit._in_cache(mod.triple, sig)


@pytest.mark.parametrize(
    "formula",
    ["abs(x) + y", "acos(x/3)", "asin(x/3)", "atan(x*y)", "cos(x*y)", "cosh(x + y)",
     "exp(x*y)", "log(x^2 + y)", "log10(x^2 + y)", "log2(x^2 + y)", "sin(x*y)", "sinh(x - y)",
     "sqrt(x^2 + y)", "tan(x*y)", "tanh(x*y)", "x^y", "abs(x)^2.5 + y^3", "(x + y)^17"],
)  # fmt: skip
def test_every_function_as_python_gives_the_machine_codes_bits(formula: str) -> None:
    # NumPy's own SIMD tanh differs from the C library's (which numba calls) in the last bit
    # at about a quarter of all points on this machine: the twins call the C library
    # (jit.LIBM). Values, gradients and Hessians, on points in and out of each domain.
    obj = Objective.from_formula(formula, variables=("x", "y"))
    rng = np.random.default_rng(7)
    odd = [[0.875, 1.0], [0.0, 0.0], [-0.0, 2.0], [1e300, 1.0], [np.nan, 1.0]]
    X = np.vstack([rng.uniform(-3, 3, (500, 2)), rng.uniform(0, 10, (200, 2)), odd])
    with as_python():
        python = (obj.program.values(X), *obj.program.values_and_grads(X),
                  obj.program.hessians(X))  # fmt: skip
    with as_machine_code():
        compiled = (obj.program.values(X), *obj.program.values_and_grads(X),
                    obj.program.hessians(X))  # fmt: skip
    for a, b in zip(python, compiled, strict=True):
        same_bits(a, b)
