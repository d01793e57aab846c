"""Refine and verify the catalogue's minima (descentlab.problems) at high precision.

This is a maintainer's tool, not part of the library: sympy and mpmath are test/tool-only oracles.
For every catalogue problem it

1. builds a sympy expression by *walking the parsed tree* (never by parsing text with sympy),
2. refines each stored minimum with Newton's method on sympy's exact gradient and Hessian at
   50 significant digits, and reports how far the stored float64 value is from the refined one,
3. for problems whose ``all_minima`` is True (1-D and 2-D), searches the whole domain for local
   minima from a dense grid of starts (damped Newton in NumPy on the exact derivatives), refines
   what it finds and reports minima missing from the catalogue or listed but not found,
4. computes the constants of the n-dimensional forms (Styblinski-Tang's 1-D minima, Rosenbrock's
   local minimum near (-1, 1, ..., 1) for 4 <= n <= 7).

Run:  .venv/bin/python tools/refine_minima.py [NAME ...] [--search] [--emit]
``--emit`` prints each problem's minima as Python source to paste into problems.py.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import mpmath
import numpy as np
import sympy as sp

from descentlab import problems
from descentlab.expr.tree import Node

# The one tree -> sympy bridge lives with the tests (tests/sympy_oracle.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import sympy_oracle as _oracle  # noqa: E402

DPS = 50


def to_sympy(node: Node, symbols: dict[str, sp.Symbol]) -> sp.Expr:
    """The sympy expression of a parsed tree, built node by node (decimals kept exact)."""
    return _oracle.to_sympy(node, symbols, decimal=True)


_NUMPY_FUNCTIONS: dict[type, Callable[[np.ndarray], np.ndarray]] = {
    sp.sin: np.sin,
    sp.cos: np.cos,
    sp.tan: np.tan,
    sp.exp: np.exp,
    sp.log: np.log,
    sp.Abs: np.abs,
    sp.sign: np.sign,
    sp.asin: np.arcsin,
    sp.acos: np.arccos,
    sp.atan: np.arctan,
    sp.sinh: np.sinh,
    sp.cosh: np.cosh,
    sp.tanh: np.tanh,
}


def numpy_eval(expr: sp.Expr, env: dict[sp.Symbol, np.ndarray]) -> np.ndarray:
    """Evaluate a sympy expression on NumPy arrays by walking it (no lambdify, no exec)."""
    if expr.is_Symbol:
        return env[expr]
    if expr.is_Number or expr.is_NumberSymbol:
        return np.float64(float(expr))
    args = [numpy_eval(a, env) for a in expr.args]
    if expr.is_Add:
        return sum(args[1:], args[0])
    if expr.is_Mul:
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if expr.is_Pow:
        return np.power(args[0], args[1])
    return _NUMPY_FUNCTIONS[expr.func](args[0])


class Exact:
    """f, its gradient and Hessian as sympy expressions, evaluable in mpmath and NumPy."""

    def __init__(self, problem: problems.Problem) -> None:
        self.symbols = [sp.Symbol(v, real=True) for v in problem.variables]
        by_name = dict(zip(problem.variables, self.symbols, strict=True))
        self.f = to_sympy(problem.tree, by_name)
        self.g = [sp.diff(self.f, s) for s in self.symbols]
        self.h = [[sp.diff(gi, s) for s in self.symbols] for gi in self.g]

    def mp(self, expr: sp.Expr, x: Sequence[mpmath.mpf]) -> mpmath.mpf:
        subs = {
            s: sp.Float(mpmath.nstr(v, DPS + 10), DPS + 10)
            for s, v in zip(self.symbols, x, strict=True)
        }
        value = expr.evalf(DPS + 5, subs=subs)
        return mpmath.mpf(str(value)) if value.is_real and value.is_finite else mpmath.nan

    def np(self, expr: sp.Expr, X: np.ndarray) -> np.ndarray:
        env = {s: X[:, i] for i, s in enumerate(self.symbols)}
        return np.broadcast_to(numpy_eval(expr, env), X.shape[:1]).astype(float)


def newton(ex: Exact, x0: Sequence[float], iters: int = 60) -> tuple[list[mpmath.mpf], bool]:
    """Newton's method on the exact gradient at DPS digits; returns the point and success."""
    mpmath.mp.dps = DPS + 10
    x = mpmath.matrix([mpmath.mpf(v) for v in x0])
    n = len(x0)
    for _ in range(iters):
        g = mpmath.matrix([ex.mp(gi, x) for gi in ex.g])
        if mpmath.norm(g) < mpmath.mpf(10) ** (-DPS + 5):
            return list(x), True
        h = mpmath.matrix([[ex.mp(ex.h[i][j], x) for j in range(n)] for i in range(n)])
        x = x - mpmath.lu_solve(h, g)
    g = mpmath.matrix([ex.mp(gi, x) for gi in ex.g])
    return list(x), bool(mpmath.norm(g) < mpmath.mpf(10) ** (-DPS + 5))


def hessian_eigs(ex: Exact, x: Sequence[mpmath.mpf]) -> list[float]:
    n = len(x)
    h = np.array([[float(ex.mp(ex.h[i][j], x)) for j in range(n)] for i in range(n)])
    return list(np.linalg.eigvalsh(h))


def search(ex: Exact, problem: problems.Problem, per_axis: int) -> list[np.ndarray]:
    """Local minima inside the domain reached by damped Newton from a grid of starts."""
    lo = np.array([d[0] for d in problem.domain])
    hi = np.array([d[1] for d in problem.domain])
    axes = [np.linspace(a, b, per_axis + 2)[1:-1] for a, b in problem.domain]
    X = np.stack([m.ravel() for m in np.meshgrid(*axes, indexing="ij")], axis=1)
    n = X.shape[1]
    lam = np.full(len(X), 1e-3)
    with np.errstate(all="ignore"):
        F = ex.np(ex.f, X)
        for _ in range(400):
            G = np.stack([ex.np(gi, X) for gi in ex.g], axis=1)
            H = np.stack(
                [np.stack([ex.np(ex.h[i][j], X) for j in range(n)], axis=1) for i in range(n)],
                axis=1,
            )
            scale = np.abs(H).max(axis=(1, 2)) + 1.0
            A = H + (lam * scale)[:, None, None] * np.eye(n)
            step = -np.linalg.solve(A, G[:, :, None])[:, :, 0]
            trial = X + step
            Ft = ex.np(ex.f, trial)
            ok = np.isfinite(Ft) & (Ft <= F)
            X = np.where(ok[:, None], trial, X)
            F = np.where(ok, Ft, F)
            lam = np.where(ok, np.maximum(lam / 3, 1e-12), lam * 4)
        G = np.stack([ex.np(gi, X) for gi in ex.g], axis=1)
        small = np.linalg.norm(G, axis=1) < 1e-6 * (1 + np.abs(F))
    inside = np.all((lo + 1e-9 < X) & (hi - 1e-9 > X), axis=1)
    found: list[np.ndarray] = []
    for x in X[inside & small]:
        if all(np.linalg.norm(x - y) > 1e-5 for y in found):
            found.append(x)
    return found


def refine_point(ex: Exact, x0: Sequence[float]) -> tuple[tuple[float, ...], float, list[float]]:
    x, ok = newton(ex, x0)
    if not ok:
        raise RuntimeError(f"Newton did not converge from {x0}")
    f = ex.mp(ex.f, x)
    if abs(f) < mpmath.mpf(10) ** (-DPS + 5):
        f = mpmath.mpf(0)  # an exact zero, up to the working precision
    return tuple(float(v) for v in x), float(f), hessian_eigs(ex, x)


def check_problem(problem: problems.Problem, do_search: bool, emit: bool) -> bool:
    ex = Exact(problem)
    good = True
    print(f"== {problem.name} ({problem.dim}-D, {len(problem.minima)} minima listed)")
    refined = []
    for m in problem.minima:
        if not problem.smooth and not all(
            mpmath.isfinite(ex.mp(gi, [mpmath.mpf(v) for v in m.x])) for gi in ex.g
        ):
            # A kink (Ackley's cone): no Newton; check the value at the stored point itself.
            f = float(ex.mp(ex.f, [mpmath.mpf(v) for v in m.x]))
            print(f"  {m.kind:6s} x={m.x} f={f!r} (non-smooth point: value only)")
            good = good and abs(f - m.f) <= 4e-16 * (1 + abs(f))
            refined.append((m.x, f, m.kind))
            continue
        x, f, eigs = refine_point(ex, m.x)
        dx = max(abs(a - b) for a, b in zip(x, m.x, strict=True))
        df = abs(f - m.f)
        flag = "" if dx <= 4e-16 * (1 + max(map(abs, x))) and df <= 4e-16 * (1 + abs(f)) else " <<"
        if flag or min(eigs) <= 0:
            good = False
        print(f"  {m.kind:6s} x={x} f={f!r} |dx|={dx:.1e} |df|={df:.1e} eig>={min(eigs):.3g}{flag}")
        refined.append((x, f, m.kind))
    if do_search and problem.all_minima and problem.dim <= 2:
        per_axis = 160 if problem.dim == 2 else 2000
        found = search(ex, problem, per_axis)
        listed = [np.array(r[0]) for r in refined]
        for x in found:
            xr, fr, eigs = refine_point(ex, x)
            if min(eigs) <= 1e-8 * max(1.0, max(map(abs, eigs))):
                continue  # a saddle or a flat inflection point (Forrester at x = 1/3)
            if not any(np.linalg.norm(np.array(xr) - y) < 1e-6 for y in listed):
                good = False
                print(f"  MISSING minimum x={xr} f={fr!r} eig>={min(eigs):.3g}")
                refined.append((xr, fr, "?"))
                listed.append(np.array(xr))
        for y in listed:
            if not any(np.linalg.norm(y - x) < 1e-4 for x in found):
                print(f"  (listed minimum {tuple(y)} not reached by the search)")
    if emit:
        refined.sort(key=lambda r: r[1])
        best = refined[0][1] if refined else math.inf
        print("    minima=(")
        for x, f, _kind in refined:
            kind = "" if abs(f - best) <= 1e-12 * (1 + abs(best)) else ', "local"'
            print(f"        Minimum({x!r}, {f!r}{kind}),")
        print("    ),")
    return good


def nd_constants() -> None:
    mpmath.mp.dps = DPS + 10
    t = sp.Symbol("t", real=True)
    g = (t**4 - 16 * t**2 + 5 * t) / 2
    for root in sp.Poly(sp.diff(g, t), t).nroots(n=DPS):
        if sp.diff(g, t, 2).subs(t, root) > 0:
            print(f"Styblinski-Tang 1-D minimum t={float(root)!r} g={float(g.subs(t, root))!r}")
    for n in range(4, 8):
        p = problems.get("rosenbrock").with_dim(n)
        ex = Exact(p)
        x, f, eigs = refine_point(ex, (-1.0,) + (1.0,) * (n - 1))
        print(f"Rosenbrock n={n} local: {x!r}, {f!r}  eig>={min(eigs):.3g}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--search", action="store_true", help="search the domain for minima")
    parser.add_argument("--emit", action="store_true", help="print minima as Python source")
    parser.add_argument("--nd", action="store_true", help="n-dimensional constants")
    args = parser.parse_args(argv)
    if args.nd:
        nd_constants()
        return 0
    names = args.names or list(problems.PROBLEMS)
    results = [check_problem(problems.get(n), args.search, args.emit) for n in names]
    for name in names:
        base = problems.get(name)
        if base.nd:
            for n in range(max(base._min_dim, 1), 6):
                results.append(check_problem(base.with_dim(n), False, False))
    ok = all(results)
    print("all verified" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
