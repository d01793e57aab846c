"""Stationary points are classified: minimum, maximum, saddle or degenerate (issue #10, section 2).

The oracle is sympy: the Hessian of the catalogue's formula, differentiated symbolically and its
eigenvalues' signs taken exactly at stationary points that scipy's root finder locates from
sympy's gradient. Nothing here uses descentlab's own derivatives as the reference.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import root
from sympy_oracle import symbol, to_sympy

from descentlab.cli import main
from descentlab.descent import minimize
from descentlab.multistart import group_minima, summarize
from descentlab.objective import Objective
from descentlab.optimizers import gd
from descentlab.problems import PROBLEMS, get
from descentlab.result import Stationary, Status
from descentlab.stationary import RTOL_APPROX, classify, hessians, labels


def _sympy_kinds(name: str, guesses: list[tuple[float, ...]]) -> list[tuple[np.ndarray, str]]:
    """Stationary points near ``guesses`` (scipy's root on sympy's gradient) and their kinds."""
    problem = get(name)
    syms = [symbol(v) for v in problem.variables]
    expr = to_sympy(problem.tree)
    partials = [sp.diff(expr, s) for s in syms]
    H = sp.hessian(expr, syms)

    def grad(p: np.ndarray) -> list[float]:
        at = dict(zip(syms, p, strict=True))
        return [float(d.subs(at)) for d in partials]

    out = []
    for guess in guesses:
        sol = root(grad, guess, tol=1e-13)
        assert np.max(np.abs(grad(sol.x))) < 1e-9, sol
        w = np.array([float(e) for e in H.subs(dict(zip(syms, sol.x, strict=True))).eigenvals()])
        kind = (
            "minimum"
            if (w > 0).all()
            else "maximum"
            if (w < 0).all()
            else "saddle"
            if (w > 0).any() and (w < 0).any()
            else "degenerate"
        )
        out.append((sol.x, kind))
    return out


# Himmelblau: 4 minima, 4 saddles, 1 maximum; six-hump camel: 6 minima, saddles and maxima.
CASES = {
    "himmelblau": [
        (3, 2), (-2.8, 3.1), (-3.8, -3.3), (3.6, -1.8), (-0.27, -0.92),
        (0.09, 2.88), (-3.07, -0.08), (3.39, 0.07), (-0.13, -1.95),
    ],
    "six-hump-camel": [
        (0.09, -0.71), (-1.7, 0.8), (0, 0), (1.1, 0.77), (1.23, 0.16), (-1.6, -0.57),
    ],
    "quartic": [(0.0,), (1.0,), (-2.0,)],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_converged_runs_are_classified_like_sympy(name: str) -> None:
    points = _sympy_kinds(name, CASES[name])
    kinds = {k for _, k in points}
    assert "minimum" in kinds and ({"saddle", "maximum"} & kinds)  # the oracle found both
    obj = Objective.from_problem(name)
    X0 = np.array([x for x, _ in points])
    r = minimize(obj, X0, gd(lr=1e-4), max_iter=0, grad_tol=1e-6)
    assert (r.status == Status.CONVERGED_GRAD).all()
    assert labels(r.stationary) == [k for _, k in points]


def test_maxima_and_saddles_are_not_listed_as_minima_but_counted() -> None:
    obj = Objective.from_problem("himmelblau")
    points = _sympy_kinds("himmelblau", CASES["himmelblau"])
    r = minimize(obj, np.array([x for x, _ in points]), gd(lr=1e-4), max_iter=0, grad_tol=1e-6)
    found = group_minima(r)
    assert len(found) == 4 and sum(m.count for m in found) == 4
    summary = summarize(r)
    assert (summary.converged, summary.saddles, summary.maxima, summary.degenerate) == (9, 4, 1, 0)


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_every_stored_catalogue_minimum_is_a_minimum(name: str) -> None:
    problem = get(name)
    if not problem.minima:
        assert name in ("saddle", "monkey-saddle")
        return
    obj = Objective.from_problem(problem)
    X = np.array([m.x for m in problem.minima], dtype=float)
    if name == "ackley":  # a kink at its minimum (sqrt of a square): not twice differentiable;
        X = X + 1e-3  # a point beside it lies in the convex bowl
    assert labels(classify(hessians(obj, X))) == ["minimum"] * len(X)


def test_rows_that_did_not_converge_are_not_classified() -> None:
    r = minimize(Objective.from_formula("x^2 + y^2"), [[1.0, 1.0], [3.0, 0.0]], gd(lr=0.1),
                 max_iter=3)  # fmt: skip
    assert r.stationary is not None and labels(r.stationary) == [None, None]
    assert labels(r.row(1).stationary) == [None]


def test_degenerate_points() -> None:
    # a flat function, a valley floor of minima, and x^4 + y^2 with H = diag(0, 2) at 0
    for formula, start in (("0*x*y", [0.3, 0.4]), ("(x - y)^2", [1.0, 1.0]),
                           ("x^4 + y^2", [0.0, 0.0])):  # fmt: skip
        r = minimize(Objective.from_formula(formula), [start], gd(lr=0.1), max_iter=0)
        assert r.success[0] and labels(r.stationary) == ["degenerate"], formula
        assert group_minima(r) == []


def test_python_functions_are_classified_through_finite_differences() -> None:
    def rosenbrock(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    def saddle(p):
        return p[0] ** 2 - p[1] ** 2

    for method in ("forward", "central"):
        for f, kind in ((rosenbrock, "minimum"), (saddle, "saddle")):
            obj = Objective.from_function(f, 2, fd_method=method)
            start = [1.0, 1.0] if f is rosenbrock else [0.0, 0.0]
            r = minimize(obj, [start], gd(lr=1e-4), max_iter=0, grad_tol=1e-3)
            assert labels(r.stationary) == [kind], (method, f.__name__)
    valley = Objective.from_function(lambda p: (p[0] - p[1]) ** 2, 2)
    assert labels(classify(hessians(valley, np.array([[1.0, 1.0]])), rtol=RTOL_APPROX)) == [
        "degenerate"
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.floats(0.05, 50.0).flatmap(lambda a: st.sampled_from([a, -a])), min_size=1, max_size=5
    ),
    st.integers(0, 2**32 - 1),
)
def test_classify_follows_the_eigenvalue_signs_of_any_rotation(eigs, seed) -> None:
    n = len(eigs)
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    H = Q @ np.diag(eigs) @ Q.T
    w = np.array(eigs)
    expected = (
        Stationary.MINIMUM
        if (w > 0).all()
        else Stationary.MAXIMUM
        if (w < 0).all()
        else Stationary.SADDLE
    )
    assert classify(H[None])[0] == expected
    H0 = Q @ np.diag([*eigs[:-1], 0.0]) @ Q.T  # one zero eigenvalue
    w0 = w[:-1]
    if n > 1 and ((w0 > 0).any() and (w0 < 0).any()):
        assert classify(H0[None])[0] == Stationary.SADDLE
    else:
        assert classify(H0[None])[0] == Stationary.DEGENERATE


def test_non_finite_hessians_are_degenerate() -> None:
    H = np.array([[[np.nan, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    assert labels(classify(H)) == ["degenerate", "minimum"]


def test_cli_marks_saddles_and_maxima(capsys) -> None:
    assert main(["run", "saddle", "--start", "0,0"]) == 0
    out = capsys.readouterr().out
    assert "saddle" in out.splitlines()[2] and "minima found" not in out
    assert "converged but not minima: 1 saddle point" in out
    assert main(["run", "quartic", "--start", "0", "--start", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["stationary"] for r in doc["runs"]] == ["maximum", "minimum"]
    assert [m["x"] for m in doc["minima_found"]] == [[pytest.approx(-2.0)]]
    assert main(["run", "quartic", "--start", "0", "--max-iter", "0", "--grad-tol", "0",
                 "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["runs"][0]["stationary"] is None
