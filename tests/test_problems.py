"""The catalogue: every stored minimum checked against independent computation.

The minima are read from the catalogue, never repeated here. Oracles: sympy expressions built by
walking the parsed tree (values and gradients at 40 digits), Hessians by central differences of
the exact gradient, dense grids over the domain, and descents from nearby points.
"""

from __future__ import annotations

import contextlib
import json
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy_oracle import to_sympy

from descentlab.descent import minimize
from descentlab.errors import ConfigError
from descentlab.expr import parse, variables
from descentlab.objective import Objective
from descentlab.optimizers import linesearch
from descentlab.problems import (
    MAX_ND_DIM,
    NAME_PATTERN,
    PROBLEMS,
    Minimum,
    Problem,
    check_domain,
    get,
    list_problems,
    to_json,
)

DPS = 40

ND_DIMS = {
    "sphere": (1, 3, 5),
    "rosenbrock": (3, 4, 7),
    "styblinski-tang": (1, 3),
    "rastrigin": (3,),
}

# Every problem as listed, plus the n-dimensional forms at a few sizes.
CASES = list(PROBLEMS.values()) + [
    PROBLEMS[name].with_dim(n) for name, dims in ND_DIMS.items() for n in dims
]
CASE_IDS = [f"{p.name}-{p.dim}d" for p in CASES]
MINIMA = [(p, m) for p in CASES for m in p.minima]
MINIMA_IDS = [f"{p.name}-{p.dim}d-{i}" for p in CASES for i, _ in enumerate(p.minima)]


def exact(problem: Problem) -> tuple[sp.Expr, list[sp.Symbol]]:
    syms = [sp.Symbol(v, real=True) for v in problem.variables]
    by_name = dict(zip(problem.variables, syms, strict=True))
    return to_sympy(problem.tree, by_name, decimal=True), syms


def at(expr: sp.Expr, syms: list[sp.Symbol], x: tuple[float, ...]) -> mpmath.mpf:
    subs = {s: sp.Float(v, DPS) for s, v in zip(syms, x, strict=True)}  # the float64 exactly
    value = expr.evalf(DPS, subs=subs)
    return mpmath.mpf(str(value)) if value.is_finite else mpmath.nan


def fd_hessian(obj: Objective, x: np.ndarray) -> np.ndarray:
    n = x.size
    h = 1e-5 * np.maximum(1.0, np.abs(x))
    P = np.concatenate([x + np.diag(h), x - np.diag(h)])
    G = obj.grad(P)
    H = (G[:n] - G[n:]) / (2 * h[:, None])
    return (H + H.T) / 2


# -- names, formulas, LaTeX, JSON -----------------------------------------------------------------


def test_at_least_twenty_problems_with_unique_cli_safe_names() -> None:
    names = [p.name for p in list_problems()]
    assert len(names) >= 20
    assert len(set(names)) == len(names)
    assert all(NAME_PATTERN.match(n) for n in names)
    assert list(PROBLEMS) == names


def test_the_issue_lists_these_problems() -> None:
    wanted = {
        "parabola", "quartic", "notebook-trig", "rosenbrock", "himmelblau", "beale", "booth",
        "matyas", "three-hump-camel", "six-hump-camel", "goldstein-price", "mccormick",
        "styblinski-tang", "rastrigin", "ackley", "easom", "levi-13", "saddle", "monkey-saddle",
        "forrester", "gramacy-lee", "sphere",
    }  # fmt: skip
    assert wanted <= set(PROBLEMS)
    assert {p.name for p in list_problems() if p.nd} == set(ND_DIMS)


@pytest.mark.parametrize("problem", CASES, ids=CASE_IDS)
def test_formula_parses_with_the_problems_variables(problem: Problem) -> None:
    tree = parse(problem.formula)
    assert tree == problem.tree
    assert set(variables(tree)) <= set(problem.variables)
    assert len(problem.variables) == problem.dim == len(problem.domain)
    assert all(lo < hi for lo, hi in problem.domain)
    for start in problem.starts:
        assert len(start) == problem.dim
        assert all(lo <= s <= hi for s, (lo, hi) in zip(start, problem.domain, strict=True))


@pytest.mark.parametrize("problem", list_problems(), ids=lambda p: p.name)
def test_latex_renders_with_mathtext(problem: Problem) -> None:
    from matplotlib.mathtext import MathTextParser

    MathTextParser("path").parse(f"${problem.latex}$")


@pytest.mark.parametrize("problem", CASES, ids=CASE_IDS)
def test_to_json_has_exactly_the_cli_keys(problem: Problem) -> None:
    doc = to_json(problem)
    assert list(doc) == [
        "name", "title", "formula", "latex", "dim", "domain", "minima", "starts", "smooth",
        "source",
    ]  # fmt: skip
    text = json.dumps(doc, allow_nan=False)
    back = json.loads(text)
    assert back["dim"] == problem.dim
    assert [tuple(m["x"]) for m in back["minima"]] == [m.x for m in problem.minima]
    assert {m["kind"] for m in back["minima"]} <= {"global", "local"}
    assert back["domain"] == [list(d) for d in problem.domain]
    assert isinstance(back["smooth"], bool) and back["source"]


# -- every minimum, checked -----------------------------------------------------------------------


@pytest.mark.parametrize(("problem", "minimum"), MINIMA, ids=MINIMA_IDS)
def test_value_at_minimum_matches_the_formula(problem: Problem, minimum: Minimum) -> None:
    obj = Objective.from_problem(problem)
    x = np.array(minimum.x)
    assert float(obj.value(x)) == pytest.approx(minimum.f, rel=1e-12, abs=1e-12)
    if problem.dim <= 3:
        expr, syms = exact(problem)
        assert float(at(expr, syms, minimum.x)) == pytest.approx(minimum.f, rel=1e-14, abs=1e-14)


@pytest.mark.parametrize(("problem", "minimum"), MINIMA, ids=MINIMA_IDS)
def test_gradient_vanishes_and_hessian_is_positive_definite(
    problem: Problem, minimum: Minimum
) -> None:
    obj = Objective.from_problem(problem)
    x = np.array(minimum.x)
    G = obj.grad(x)
    if not problem.smooth and not np.all(np.isfinite(G)):
        pytest.skip("a kink: checked by descent below")
    H = fd_hessian(obj, x)
    scale = max(1.0, float(np.abs(H).max())) * max(1.0, float(np.abs(x).max()))
    assert np.linalg.norm(G) <= 1e-9 * scale
    eig = np.linalg.eigvalsh(H)
    assert eig.min() > 1e-6 * eig.max() > 0
    if problem.dim <= 3:
        # At 40 digits the gradient at the stored float64 point is as small as the rounding of
        # x to float64 allows: a rounded table value (1e-6 off) fails this by orders of magnitude.
        expr, syms = exact(problem)
        g = [abs(at(sp.diff(expr, s), syms, minimum.x)) for s in syms]
        assert float(max(g)) <= 1e-14 * scale * problem.dim


@pytest.mark.parametrize(
    ("problem", "minimum"),
    [(p, m) for p, m in MINIMA if not p.smooth],
    ids=lambda v: getattr(v, "name", ""),
)
def test_descent_from_nearby_returns_to_a_kink_minimum(problem: Problem, minimum: Minimum) -> None:
    obj = Objective.from_problem(problem)
    x = np.array(minimum.x)
    rng = np.random.default_rng(0)
    starts = x + 0.05 * rng.standard_normal((8, problem.dim))
    result = minimize(obj, starts, linesearch(lr=0.1), max_iter=500, grad_tol=0.0, f_tol=0.0)
    assert np.all(np.linalg.norm(result.x - x, axis=1) < 1e-3)
    assert np.all(result.fun >= minimum.f - 1e-12)
    # and f grows along every sampled direction out of the kink
    d = rng.standard_normal((200, problem.dim))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    for r in (1e-8, 1e-5, 1e-2):
        assert np.all(obj.value(x + r * d) > minimum.f)


@pytest.mark.parametrize("problem", CASES, ids=CASE_IDS)
def test_global_minima_are_lowest_and_kinds_are_valid(problem: Problem) -> None:
    kinds = {m.kind for m in problem.minima}
    assert kinds <= {"global", "local"}
    if not problem.minima:
        return
    assert "global" in kinds
    glob = [m.f for m in problem.minima if m.kind == "global"]
    loc = [m.f for m in problem.minima if m.kind == "local"]
    assert max(glob) - min(glob) <= 1e-12 * (1 + abs(min(glob)))
    assert all(max(glob) < f for f in loc)
    assert all(len(m.x) == problem.dim for m in problem.minima)
    xs = np.array([m.x for m in problem.minima])
    for i in range(len(xs)):  # distinct points
        assert np.all(np.linalg.norm(np.delete(xs, i, axis=0) - xs[i], axis=1) > 1e-6)


@pytest.mark.parametrize(
    "problem", [p for p in list_problems() if p.dim <= 2], ids=lambda p: p.name
)
def test_no_grid_point_is_below_the_global_minimum(problem: Problem) -> None:
    obj = Objective.from_problem(problem)
    per_axis = 100_000 if problem.dim == 1 else 300
    axes = [np.linspace(lo, hi, per_axis) for lo, hi in problem.domain]
    X = np.stack([m.ravel() for m in np.meshgrid(*axes, indexing="ij")], axis=1)
    values = obj.value(X)
    assert np.all(np.isfinite(values))
    if not problem.minima:
        # saddles: no minimum, and points below the value at the critical point exist
        assert values.min() < float(obj.value(np.zeros(problem.dim)))
        return
    best = min(m.f for m in problem.minima)
    assert values.min() >= best - 1e-9 * (1 + abs(best))
    for m in problem.minima:  # listed minima are interior points
        assert all(lo < v < hi for v, (lo, hi) in zip(m.x, problem.domain, strict=True))


@pytest.mark.parametrize(
    "problem", [PROBLEMS[n].with_dim(3) for n in ND_DIMS], ids=lambda p: p.name
)
def test_random_points_are_not_below_the_nd_global_minimum(problem: Problem) -> None:
    obj = Objective.from_problem(problem)
    lo, hi = np.array(problem.domain).T
    X = lo + (hi - lo) * np.random.default_rng(1).random((50_000, problem.dim))
    best = min(m.f for m in problem.minima)
    assert obj.value(X).min() >= best - 1e-9 * (1 + abs(best))


# -- the n-dimensional forms ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ND_DIMS))
def test_nd_form_at_two_agrees_with_the_2d_form(name: str) -> None:
    base = get(name)
    nd = base.with_dim(2)
    assert nd.variables == ("x1", "x2")
    assert nd.domain == base.domain or name == "rosenbrock"
    X = np.random.default_rng(2).uniform(-3, 3, (1000, 2))
    a = Objective.from_problem(base).value(X)
    b = Objective.from_problem(nd).value(X)
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-12)
    key = sorted((m.x, m.kind) for m in base.minima)
    assert sorted((m.x, m.kind) for m in nd.minima) == key
    pairs = zip(
        sorted(base.minima, key=lambda m: m.x), sorted(nd.minima, key=lambda m: m.x), strict=True
    )
    for m, n in pairs:
        assert n.f == pytest.approx(m.f, rel=1e-14, abs=1e-14)


def test_nd_forms_use_x1_to_xn_in_order_even_past_ten() -> None:
    p = get("rastrigin").with_dim(12)
    assert p.variables == tuple(f"x{i}" for i in range(1, 13))
    obj = Objective.from_problem(p)
    x = np.zeros(12)
    x[10] = 0.5  # x11: alphabetical order would put it second
    G = obj.grad(x)
    assert G[10] == pytest.approx(1.0) and np.count_nonzero(G) == 1


def test_styblinski_tang_lists_all_two_to_the_n_minima() -> None:
    for n in (1, 2, 3, 4):
        p = get("styblinski-tang").with_dim(n)
        assert len(p.minima) == 2**n
        assert sum(m.kind == "global" for m in p.minima) == 1
    assert len(get("styblinski-tang").with_dim(10).minima) == 1


def test_rosenbrock_local_minimum_exists_for_four_to_seven() -> None:
    for n in range(2, 10):
        kinds = [m.kind for m in get("rosenbrock").with_dim(n).minima]
        assert kinds == (["global", "local"] if 4 <= n <= 7 else ["global"])


@pytest.mark.parametrize(
    ("name", "n"),
    [("sphere", 0), ("sphere", -1), ("rosenbrock", 1), ("sphere", MAX_ND_DIM + 1), ("sphere", 2.5),
     ("sphere", True), ("sphere", "3"), ("beale", 3), ("quartic", 2)],
)  # fmt: skip
def test_with_dim_rejects_bad_sizes_and_non_nd_problems(name: str, n: object) -> None:
    with pytest.raises(ConfigError, match=repr(n) if name not in ("beale", "quartic") else name):
        get(name).with_dim(n)  # type: ignore[arg-type]


# -- look-up and validation -----------------------------------------------------------------------


def test_get_forgives_case_and_separators() -> None:
    assert get("Six_Hump_Camel") is PROBLEMS["six-hump-camel"]
    assert get(" levi 13 ") is PROBLEMS["levi-13"]


@pytest.mark.parametrize(
    ("name", "hint"),
    [("rosenbrok", "did you mean rosenbrock"), ("himmelblaw", "himmelblau"), ("zzz", "catalogue")],
)
def test_get_unknown_name_suggests_close_ones(name: str, hint: str) -> None:
    with pytest.raises(ConfigError, match=hint) as info:
        get(name)
    assert repr(name) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("bad", [None, 3, ["rosenbrock"]])
def test_get_rejects_non_strings(bad: object) -> None:
    with pytest.raises(ConfigError, match="string"):
        get(bad)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=20))
def test_get_either_finds_or_raises_config_error(text: str) -> None:
    with contextlib.suppress(ConfigError):
        assert get(text).name in PROBLEMS


@pytest.mark.parametrize(
    ("domain", "dim", "match"),
    [
        ([(1.0, 0.0)], None, "lo < hi"),
        ([(0.0, 0.0)], None, "lo < hi"),
        ([(0.0, math.inf)], None, "not finite"),
        ([(math.nan, 1.0)], None, "not finite"),
        ([(0.0, 1.0, 2.0)], None, "not a pair"),
        ([("a", "b")], None, "numbers"),
        ([(True, 2)], None, "numbers"),
        ("-2,2", None, "pairs"),
        (5, None, "pairs"),
        ([], None, "empty"),
        ([(0, 1), (0, 1)], 3, "2 intervals for 3"),
    ],
)
def test_check_domain_rejects_bad_boxes(domain: object, dim: int | None, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        check_domain(domain, dim)


def test_check_domain_accepts_one_pair_for_every_variable() -> None:
    assert check_domain((-2, 2), 3) == ((-2.0, 2.0),) * 3
    assert check_domain([(0, 1), (2, 3)]) == ((0.0, 1.0), (2.0, 3.0))
    assert check_domain(np.array([[0, 1]])) == ((0.0, 1.0),)


def test_problem_rejects_inconsistent_data() -> None:
    with pytest.raises(ConfigError, match="not 2-D"):
        Problem("p", "P", "x^2 + y^2", ((0, 1), (0, 1)), (Minimum((0.0,), 0.0),), (), True, "s")
    with pytest.raises(ConfigError, match="bad domain"):
        Problem("p", "P", "x^2", ((1, 0),), (), (), True, "s")


@pytest.mark.parametrize("name", sorted(ND_DIMS))
def test_an_n_dimensional_copy_can_be_resized_again(name: str) -> None:
    from descentlab.objective import Objective

    p3 = get(name).with_dim(3)
    assert p3.nd and p3.with_dim(4) == get(name).with_dim(4)
    assert p3.with_dim(4).with_dim(2).formula == get(name).with_dim(2).formula
    obj = Objective.from_problem(p3, dim=4)
    assert obj.variables == ("x1", "x2", "x3", "x4") and obj.problem == get(name).with_dim(4)


def _independent(name: str, X: np.ndarray) -> np.ndarray:
    """The n-dimensional forms written directly in NumPy (their textbook definitions)."""
    if name == "sphere":
        return np.sum(X**2, axis=1)
    if name == "rosenbrock":
        return np.sum(100 * (X[:, 1:] - X[:, :-1] ** 2) ** 2 + (1 - X[:, :-1]) ** 2, axis=1)
    if name == "rastrigin":
        return 10 * X.shape[1] + np.sum(X**2 - 10 * np.cos(2 * np.pi * X), axis=1)
    assert name == "styblinski-tang"
    return np.sum(X**4 - 16 * X**2 + 5 * X, axis=1) / 2


@pytest.mark.parametrize(
    ("name", "n"),
    [
        ("sphere", 1000),
        ("rosenbrock", 300),
        ("rastrigin", 300),
        ("styblinski-tang", 300),
    ],  # fmt: skip
)
def test_long_n_dimensional_forms_parse_and_evaluate(name: str, n: int) -> None:
    from descentlab.objective import Objective

    # these failed with "formula too deeply nested" from n = 50 (styblinski-tang) to 150 (sphere)
    obj = Objective.from_problem(name, dim=n)
    X = np.random.default_rng(n).uniform(-2, 2, size=(3, n))
    np.testing.assert_allclose(obj.value(X), _independent(name, X), rtol=1e-12)
    if name == "sphere":
        np.testing.assert_allclose(obj.grad(X), 2 * X, rtol=1e-15)
