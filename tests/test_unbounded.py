"""A linear formula is unbounded below: minimize and run refuse it, unless a box bounds it.

Linearity is decided from the formula (:func:`descentlab.stationary.linear_gradient`); sympy is
the independent oracle: every formula called linear has all second derivatives zero and the
gradient reported, and every linear formula built below is recognised.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import smooth_trees
from sympy_oracle import symbol, to_sympy

from descentlab.cli import main
from descentlab.descent import minimize
from descentlab.errors import ConfigError
from descentlab.expr.tree import Binary, Call, Const, Node, Num, Unary, Var
from descentlab.objective import Objective
from descentlab.optimizers import adam, gd
from descentlab.stationary import linear_gradient, refuse_unbounded

VARS = ("x", "y")

constants = st.one_of(
    st.integers(1, 5).map(lambda v: Num(float(v))),
    st.just(Call("sin", Num(2.0))),
    st.just(Const("pi")),
)


def _linear(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(lambda a, b: Binary("+", a, b), children, children),
        st.builds(lambda a, b: Binary("-", a, b), children, children),
        st.builds(lambda a, c: Binary("*", c, a), children, constants),
        st.builds(lambda a, c: Binary("/", a, c), children, constants),
        st.builds(lambda a: Unary("-", a), children),
        st.builds(lambda a: Binary("^", a, Num(1.0)), children),
        st.builds(lambda a, c: Binary("+", a, c), children, constants),
    )


linear_trees = st.recursive(st.sampled_from([Var("x"), Var("y")]), _linear, max_leaves=8)


def _sympy_gradient(tree: Node) -> list[sp.Expr]:
    f = to_sympy(tree)
    return [sp.diff(f, symbol(v)) for v in VARS]


@settings(max_examples=40, deadline=None)
@given(linear_trees)
def test_every_linear_formula_is_recognised_with_its_gradient(tree: Node) -> None:
    objective = Objective.from_formula(str(tree), variables=VARS)
    truth = np.array([float(d) for d in _sympy_gradient(tree)])
    g = linear_gradient(objective)
    if not truth.any():  # x - x: constant, bounded
        assert g is None
    else:
        assert g is not None and np.allclose(g, truth, rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(smooth_trees(variables=VARS))
def test_a_formula_called_linear_is_linear(tree: Node) -> None:
    g = linear_gradient(Objective.from_formula(str(tree), variables=VARS))
    if g is not None:
        f = to_sympy(tree)
        assert all(sp.simplify(sp.diff(f, symbol(a), symbol(b))) == 0 for a in VARS for b in VARS)
        truth = np.array([float(d) for d in _sympy_gradient(tree)])
        assert np.allclose(g, truth, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("formula", "gradient"),
    [("x", "(1)"), ("2x - 3y + 1", "(2, -3)"), ("x/2 + 0*y", "(0.5, 0)"), ("-(x+y)^1/4", "(-0.25")],
)
def test_minimize_refuses_a_linear_formula_before_running(formula: str, gradient: str) -> None:
    objective = Objective.from_formula(formula)
    calls = []
    with pytest.raises(ConfigError, match="unbounded below") as error:
        minimize(objective, np.zeros((3, objective.dim)), adam(lr=0.1), callback=calls.append)
    assert gradient in str(error.value) and calls == []


def test_bounds_make_a_linear_formula_fine() -> None:
    # The minimum of g.x over a box is the corner against the gradient: lo where g > 0, else hi.
    objective = Objective.from_formula("2x - 3y + 1")
    box = [(-1.0, 2.0), (0.5, 4.0)]
    r = minimize(objective, [[0.0, 1.0], [1.5, 3.0]], gd(lr=0.1), bounds=box)
    assert r.success.all()
    assert r.x.tolist() == [[-1.0, 4.0]] * 2
    assert r.fun.tolist() == [2 * -1.0 - 3 * 4.0 + 1] * 2


@pytest.mark.parametrize("formula", ["0*x + 3", "x*y", "x^2 - y", "abs(x)", "x - x + y^2"])
def test_formulas_that_are_not_linear_run(formula: str) -> None:
    objective = Objective.from_formula(formula)
    r = minimize(objective, np.ones((2, objective.dim)), gd(lr=0.1), max_iter=3)
    assert r.k == 2 and (r.nit <= 3).all()


def test_a_python_function_is_not_judged() -> None:
    # Nothing proves a callable linear: it runs (to max_iter) and says so.
    objective = Objective.from_function(lambda x: 2 * x[0], dim=1, grad=lambda x: np.array([2.0]))
    r = minimize(objective, [[0.0]], gd(lr=0.1), max_iter=5)
    assert r.message[0].startswith("max_iter")


def test_the_cli_refuses_with_one_line_and_takes_bounds(capsys) -> None:
    assert main(["run", "2x - 3y + 1", "--start", "0,1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unbounded below" in err and "(2, -3)" in err
    assert main(["run", "2x - 3y + 1", "--start", "0,1", "--bounds", "-1,2", "--json"]) == 0


def test_linearity_is_decided_once_per_formula(monkeypatch) -> None:
    # minimize asks on every call: the answer is kept per tree (one walk cost ~40 us, a tenth
    # of a one-start run's fixed cost), and each tree keeps its own answer.
    import descentlab.expr.tree as tree_module

    linear, curved = Objective.from_formula("2x - 3y"), Objective.from_formula("x^2 + y")
    walks: list[Node] = []
    real = tree_module.post_order
    monkeypatch.setattr(tree_module, "post_order", lambda t: walks.append(t) or real(t))
    for _ in range(3):
        assert linear_gradient(linear).tolist() == [2.0, -3.0]
        assert linear_gradient(curved) is None
        refuse_unbounded(curved)  # what minimize calls
    assert [id(t) for t in walks] == [id(linear.tree), id(curved.tree)]
