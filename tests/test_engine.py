"""The engine: one lowering of a formula (program.py) and its compiled interpreter (interp.py).

Oracles: sympy's exact derivatives (gradients and Hessians at 30 digits), NumPy's own functions,
the serial results of the same calls (threads), and hand-derived limits at awkward points.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import SMOOTH_BOX, smooth_trees, trees
from sympy_oracle import symbol, to_sympy
from test_autodiff import FORMULAS

from descentlab import Objective, gd, minimize
from descentlab.derivatives import finite
from descentlab.derivatives.autodiff import value_and_grad
from descentlab.engine.program import CONST, OPS, POWI, VAR, lower, powi, run_numpy
from descentlab.errors import EvaluationError
from descentlab.expr import evaluate, parse, to_function
from descentlab.expr.tree import Binary, Call, Num, Var

# -- lowering ------------------------------------------------------------------------------------


def names_of(program) -> list[str]:
    return [OPS[op].name for op in program.code[:, 0]]


def test_constants_fold_and_equal_subexpressions_share_a_slot() -> None:
    p = lower(parse("sin(x)*sin(x) + 2^3*pi"), ("x",))
    assert names_of(p) == ["var", "sin", "mul", "const", "add"]
    assert p.consts.tolist() == [8 * math.pi]
    assert p.output == p.code.shape[0] - 1


def test_powers() -> None:
    assert names_of(lower(parse("(x + 1)^1"), ("x",)))[-1] == "add"  # u^1 is u
    assert names_of(lower(parse("x^0"), ("x",))) == ["const"]  # u^0 is 1
    code = lower(parse("x^3 + x^-2 + x^0.5 + x^70 + e^x"), ("x",)).code
    assert [(OPS[op].name, b) for op, _, b in code if op == POWI] == [("powi", 3), ("powi", -2)]
    assert [OPS[op].name for op, _, _ in code].count("pow") == 3  # x^0.5, x^70 and e^x


def test_only_used_variables_get_a_slot_and_the_output_is_last() -> None:
    p = lower(parse("y"), ("x", "y", "z"))
    assert p.code.tolist() == [[VAR, 1, 0]] and p.n_vars == 3
    c = lower(parse("2 + 3"), ())
    assert c.is_constant and c.code.tolist() == [[CONST, 0, 0]] and c.consts.tolist() == [5.0]


def test_a_long_flat_sum_lowers_and_runs_without_recursion() -> None:
    terms = 3000
    tree = Binary("^", Var("x1"), Num(2.0))
    for i in range(2, terms + 1):  # a left-deep chain: 3000 levels, far past any recursion limit
        tree = Binary("+", tree, Binary("^", Var(f"x{i}"), Num(2.0)))
    names = tuple(f"x{i}" for i in range(1, terms + 1))
    obj = Objective(*_value_fns(tree, names), names, name="sum", latex="", grad_method="exact")
    X = np.arange(2 * terms, dtype=float).reshape(2, terms) / terms
    f, G = obj.value_and_grad(X)
    np.testing.assert_allclose(f, (X**2).sum(axis=1), rtol=1e-13)
    np.testing.assert_array_equal(G, 2 * X)
    assert to_function(tree, names)(X).tolist() == f.tolist()


def _value_fns(tree, names):
    from descentlab.objective import _compiled

    return _compiled(lower(tree, names))


@pytest.mark.parametrize(
    ("tree", "variables", "phrase"),
    [
        (Call("gamma", Var("x")), ("x",), "unknown function 'gamma'"),
        (Var("y"), ("x",), "uses y, not among the variables"),
        (Var("x"), ("x", "x"), "repeat"),
        (Var("x"), (1,), "must be strings"),
        (Binary("%", Var("x"), Num(1.0)), ("x",), "unknown operator"),
    ],
)
def test_bad_trees_and_variables(tree, variables, phrase: str) -> None:
    with pytest.raises(EvaluationError, match=phrase):
        lower(tree, variables)


# -- one forward pass ----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(trees(max_leaves=10), st.integers(0, 2**32 - 1))
def test_value_is_the_forward_half_of_value_and_grad_bit_for_bit(tree, seed: int) -> None:
    obj = Objective.from_formula(str(tree), variables=("x", "y"))
    X = np.random.default_rng(seed).uniform(-3, 3, (37, 2))
    X[::5] = np.round(X[::5])  # integers and zero: the awkward points
    f, G = obj.value_and_grad(X)
    np.testing.assert_array_equal(obj.value(X), f)
    np.testing.assert_array_equal(to_function(obj.tree, obj.variables)(X), f)
    np.testing.assert_array_equal(evaluate(obj.tree, {"x": X[:, 0], "y": X[:, 1]}), f)
    for i in (0, 36):
        assert obj.value(X[i]) == f[i] or (np.isnan(f[i]) and np.isnan(obj.value(X[i])))


def same_bits(a: np.ndarray, b: np.ndarray) -> None:
    """Equal bit for bit (0.0 is not -0.0) where not nan, nan where nan. A nan's sign is not
    compared: LLVM keeps no promise about it (it may move a negation past a product), and the
    compiled row and block sweeps themselves differ there (y / log(y) at y = -1)."""
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    fine = ~np.isnan(a)
    np.testing.assert_array_equal(a[fine].view(np.int64), b[fine].view(np.int64))


@settings(max_examples=150, deadline=None)
@given(trees(max_leaves=10), st.integers(0, 2**32 - 1), st.integers(1, 3))
def test_the_row_sweeps_equal_the_block_sweeps_bit_for_bit(tree, seed: int, rows: int) -> None:
    # One start runs the program one row at a time (interp.forward_backward_rows); many run the
    # vectorized block sweeps. Values and gradients must be the same bits, a nan's sign aside
    # (same_bits: 0 / x at x = 0 is -nan in one and +nan in the other).
    from descentlab.engine.interp import forward_backward, forward_backward_rows

    p = lower(tree, ("x", "y"))
    m = p.code.shape[0]
    XT = np.random.default_rng(seed).uniform(-3, 3, (2, rows))
    XT[:, ::2] = np.round(XT[:, ::2])  # integers and zero: the awkward points
    got = []
    for sweep in (forward_backward, forward_backward_rows):
        F, GT = np.empty(rows), np.empty((2, rows))
        sweep(p.code, p.consts, XT, np.empty((m, rows)), np.empty((m + 1, rows)), F, GT)
        got.append((F, GT))
    same_bits(got[0][0], got[1][0])
    same_bits(got[0][1], got[1][1])


def test_the_block_sweep_refuses_an_adjoint_array_without_its_row_of_zeros() -> None:
    # It writes each adjoint's first share onto row m (zeros) instead of zeroing every row
    # first; compiled code has no bounds checks, so a caller's (m, B) array is refused, not
    # written past its end.
    from descentlab.engine.interp import forward_backward

    p = lower(parse("x^2 + y"), ("x", "y"))
    m = p.code.shape[0]
    XT, F, GT = np.ones((2, 4)), np.empty(4), np.empty((2, 4))
    with pytest.raises(ValueError, match="m \\+ 1 rows"):
        forward_backward(p.code, p.consts, XT, np.empty((m, 4)), np.empty((m, 4)), F, GT)
    forward_backward(p.code, p.consts, XT, np.empty((m, 4)), np.empty((m + 1, 4)), F, GT)
    assert F.tolist() == [2.0] * 4 and GT.tolist() == [[2.0] * 4, [1.0] * 4]


def test_few_starts_run_the_row_sweeps_and_many_the_block_sweeps(monkeypatch) -> None:
    from descentlab.engine import interp, jit, loop

    rows, block = interp.forward_backward_rows, interp.forward_backward
    used = []
    real = loop.address
    monkeypatch.setattr(loop, "address", lambda fn, ftype: used.append(fn) or real(fn, ftype))
    obj = Objective.from_problem("rosenbrock")
    ks = (1, interp.ROWS_SWEEP_MAX, interp.ROWS_SWEEP_MAX + 1, 300)
    for k in ks:
        minimize(obj, np.full((k, 2), 0.5), gd(lr=1e-3), max_iter=3)
    assert [fn for fn in used if fn in (rows, block)] == [rows, rows, block, block]
    calls = []  # Program.values_and_grads asks the same question
    real_run = jit.run
    monkeypatch.setattr(jit, "run", lambda fn, *a: calls.append(fn) or real_run(fn, *a))
    for k in ks:
        obj.program.values_and_grads(np.full((k, 2), 0.5))
    assert calls == [rows, rows, block, block, block]  # 300 rows: two blocks


def test_issue_e_x_and_x4_value_equals_value_and_grad() -> None:
    # Two compilers gave 1-2 ulp apart at about half of 100k points (issue 10, section 5).
    X = np.random.default_rng(3).uniform(-700, 700, (100_000, 1))
    for formula in ("e^x", "x^4"):
        obj = Objective.from_formula(formula)
        np.testing.assert_array_equal(obj.value(X), obj.value_and_grad(X)[0])


def test_numpy_interpreter_agrees_with_the_compiled_one_on_real_input() -> None:
    X = np.random.default_rng(5).uniform(0.5, 1.5, (64, 2))
    for formula, _ in FORMULAS:
        tree = parse(formula)
        p = lower(tree, ("x", "y", "z"))
        Xz = np.column_stack([X, X[:, 0] * X[:, 1]])
        compiled = p.values(Xz)
        plain = np.broadcast_to(run_numpy(p, list(Xz.T)), (64,))
        np.testing.assert_allclose(compiled, plain, rtol=2e-16 * 8, atol=0, err_msg=formula)


@pytest.mark.parametrize("n", [2, 3, -1, 5])
def test_integer_powers_follow_their_rule_bit_for_bit(n: int) -> None:
    # POWI's value is powi(x, n) and its derivative (g n) powi(x, n - 1) with g = 1, for every
    # block length (the square has its own loop without branches, so it vectorizes: the
    # vectorized body and the scalar remainder must give the same bits).
    x = np.random.default_rng(n + 10).uniform(-3.0, 3.0, 259)
    program = lower(parse(f"x^{n}"), ("x",))
    assert names_of(program) == ["var", "powi"]
    for rows in (1, 7, 259):
        f, G = program.values_and_grads(x[:rows, None].copy())
        np.testing.assert_array_equal(f, powi(x[:rows], n))
        np.testing.assert_array_equal(G[:, 0], (1.0 * n) * powi(x[:rows], n - 1))


def test_no_result_aliases_a_reused_buffer() -> None:
    # (x^2+1)^1 used to return a buffer the next evaluation overwrote, so gd reported
    # "converged" after 1 iteration with |f_k - f_(k-1)| = 0 (issue 10, section 5).
    obj = Objective.from_formula("(x^2+1)^1")
    f1, _ = obj.value_and_grad([[3.0]])
    obj.value_and_grad([[1.0]])
    assert f1.tolist() == [10.0]
    result = minimize(obj, [[3.0]], gd(lr=0.1), f_tol=1e-12)
    assert result.nit[0] > 10 and abs(result.x[0, 0]) < 1e-5


# -- gradients at awkward points (issue 10, section 5) -------------------------------------------


def test_a_zero_adjoint_times_an_infinite_partial_is_zero() -> None:
    obj = Objective.from_formula("1/(1+exp(-x))")
    f, G = obj.value_and_grad([[-710.0], [-700.0], [0.0]])
    assert f[0] == 0.0 and G[0, 0] == 0.0  # exp(710) = inf inside; the truth is 4e-309
    assert G[1, 0] == pytest.approx(math.exp(-700), rel=1e-12)
    obj.check_finite_at([-710.0])  # a start the CLI used to refuse


def test_power_with_a_variable_exponent_at_a_zero_base() -> None:
    _, G = value_and_grad(parse("x^y"), ("x", "y"), [[0.0, 2.0], [0.0, 0.5], [-1.0, 0.5]])
    np.testing.assert_array_equal(G[0], [0.0, 0.0])  # d/dy = x^y log x -> 0
    assert G[1, 0] == math.inf and G[1, 1] == 0.0
    assert np.isnan(G[2]).all()


@pytest.mark.parametrize(
    ("formula", "at", "exact"),
    [("abs(x-1) + x^2", 0.3, -0.4), ("abs(x) + x", 2.0, 2.0), ("abs(x)*x", -1.5, 3.0)],
)
def test_abs_takes_the_complex_step(formula: str, at: float, exact: float) -> None:
    f = to_function(parse(formula), ("x",))
    estimate = finite.gradient(f, [[at]], method="complex")
    assert estimate[0, 0] == pytest.approx(exact, rel=1e-15)
    assert f(np.array([at + 0j])).dtype == np.complex128


# -- exact Hessians ------------------------------------------------------------------------------

XYZ = {name: symbol(name) for name in ("x", "y", "z")}


def sympy_hessian(tree, variables, point) -> np.ndarray:
    expr = to_sympy(tree)
    syms = [XYZ[v] for v in variables]
    subs = {s: sp.Float(float(p), 30) for s, p in zip(syms, point, strict=True)}
    return np.array(
        [[float(sp.re(sp.diff(expr, a, b).evalf(30, subs=subs))) for b in syms] for a in syms]
    )


def _vars(tree) -> tuple[str, ...]:
    found = {str(n) for n in _walk(tree) if isinstance(n, Var)}
    return tuple(v for v in ("x", "y", "z") if v in found)


def _walk(tree):
    from descentlab.expr.tree import walk

    return walk(tree)


def assert_hessian_close(H: np.ndarray, exact: np.ndarray, rtol: float = 1e-11) -> None:
    scale = max(1.0, float(np.abs(exact).max()))
    err = np.abs(H - exact)
    assert np.all(err <= rtol * np.abs(exact) + 1e-13 * scale), f"{H}\nvs\n{exact}"


@pytest.mark.parametrize(("formula", "point"), FORMULAS, ids=[f for f, _ in FORMULAS])
def test_hessian_matches_sympy(formula: str, point: tuple[float, ...]) -> None:
    tree = parse(formula)
    names = _vars(tree)
    obj = Objective.from_formula(formula, variables=names)
    H = obj.hessian(np.array(point))
    assert H.shape == (len(names), len(names))
    assert_hessian_close(H, sympy_hessian(tree, names, point))
    np.testing.assert_array_equal(H, H.T)


@settings(max_examples=60, deadline=None)
@given(smooth_trees(max_leaves=7, variables=("x", "y")))
def test_hessian_matches_sympy_on_random_smooth_formulas(tree) -> None:
    point = np.array([0.5 + 1 / 3, 1.5 - 1 / 7])
    assert SMOOTH_BOX[0] <= point.min() and point.max() <= SMOOTH_BOX[1]
    obj = Objective.from_formula(str(tree), variables=("x", "y"))
    assert_hessian_close(obj.hessian(point), sympy_hessian(tree, ("x", "y"), point))


def test_hessian_batches_match_single_points_and_catalogue_minima_are_minima() -> None:
    obj = Objective.from_problem("himmelblau")
    X = np.random.default_rng(2).uniform(-5, 5, (300, 2))  # more than one block of rows
    H = obj.hessian(X)
    assert H.shape == (300, 2, 2)
    for i in (0, 255, 256, 299):
        np.testing.assert_array_equal(obj.hessian(X[i]), H[i])
    minima = np.array([m.x for m in obj.problem.minima])
    assert (np.linalg.eigvalsh(obj.hessian(minima)) > 0).all()


def test_hessian_of_a_python_function_by_differences_of_the_gradient() -> None:
    def f(p):
        return p[0] ** 2 * p[1] + math.sin(p[1])

    def g(p):
        return np.array([2 * p[0] * p[1], p[0] ** 2 + math.cos(p[1])])

    point = np.array([0.7, -1.3])
    exact = np.array([[2 * point[1], 2 * point[0]], [2 * point[0], -math.sin(point[1])]])
    by_user_grad = Objective.from_function(f, 2, grad=g).hessian(point)
    np.testing.assert_allclose(by_user_grad, exact, rtol=1e-8, atol=1e-8)
    by_forward = Objective.from_function(f, 2).hessian(point[None, :])
    assert by_forward.shape == (1, 2, 2)
    np.testing.assert_allclose(by_forward[0], exact, rtol=1e-2, atol=1e-2)
    np.testing.assert_array_equal(by_forward[0], by_forward[0].T)


def test_hessian_bad_points() -> None:
    with pytest.raises(EvaluationError, match="shape"):
        Objective.from_formula("x*y").hessian([1.0, 2.0, 3.0])


# -- threads -------------------------------------------------------------------------------------


def test_one_objective_shared_by_four_threads_gives_the_serial_results() -> None:
    obj = Objective.from_problem("rosenbrock")
    rng = np.random.default_rng(7)
    batches = [rng.uniform(-2, 2, (int(rng.integers(1, 600)), 2)) for _ in range(200)]
    serial = [obj.value_and_grad(X) for X in batches]
    results: list = [None] * len(batches)

    def work(part: int) -> None:
        for i in range(part, len(batches), 4):
            results[i] = obj.value_and_grad(batches[i])
            obj.value(batches[i])

    threads = [threading.Thread(target=work, args=(p,)) for p in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (f, G), (fs, Gs) in zip(results, serial, strict=True):
        np.testing.assert_array_equal(f, fs)
        np.testing.assert_array_equal(G, Gs)


# -- the compile cache ---------------------------------------------------------------------------

_NO_CACHE = """
import warnings
import numba.core.caching as caching

def refuse(self):
    raise OSError("read-only file system (simulated)")

caching._CacheLocator.ensure_cache_path = refuse
import numpy as np
from descentlab import Objective
f, G = Objective.from_formula("x^2 + 3y").value_and_grad(np.array([[1.0, 2.0]]))
print(f.tolist(), G.tolist())
"""


def test_an_unwritable_cache_falls_back_to_compiling_in_memory_with_a_message() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", _NO_CACHE],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parent,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[7.0] [[2.0, 3.0]]"
    assert "numba cannot cache compiled code here" in done.stderr
    assert "Traceback" not in done.stderr
