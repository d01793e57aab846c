"""Fuzzing: random text and random formulas never make the library raise anything but its own
errors, never warn (pytest turns warnings into errors) and never lose a round trip.

The CI share is bounded (150 examples per test). For a long run on demand::

    HYPOTHESIS_PROFILE=fuzz .venv/bin/pytest tests/test_fuzz.py

(the "fuzz" profile in tests/conftest.py: 20,000 examples per test, no deadline).
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import trees

from descentlab.derivatives.autodiff import grad_function
from descentlab.derivatives.symbolic import diff
from descentlab.errors import DescentlabError, ParseError
from descentlab.expr import evaluate, parse, to_latex
from descentlab.expr.tree import depth
from descentlab.objective import Objective

CI = settings(max_examples=150, deadline=None)
fuzz = settings() if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else CI

PIECES = list("xyz0123456789.eE+-*/^(), \t\n_π") + [
    "sin", "log", "sqrt", "abs", "exp", "**", "pi", "1e308", "1e-320", "9^9^9", "\x00", "１",
    "\u200b", "__", "'", "[", ":", "lambda", "@", "\ud800", "😀",
]  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
)
POINTS = st.lists(
    st.one_of(st.floats(-1e3, 1e3), st.sampled_from([0.0, -0.0, 1e300, -1e300, 1e-300])),
    min_size=2,
    max_size=2,
)


@fuzz
@given(TEXT)
def test_text_parses_and_round_trips_or_raises_parse_error(text: str) -> None:
    try:
        tree = parse(text)
    except ParseError as error:
        assert 0 <= error.column <= len(text)
        assert "\n" not in error.one_line()
        return
    assert parse(str(tree)) == tree


@fuzz
@given(trees(), POINTS)
def test_everything_on_a_random_formula_raises_only_our_errors(tree, point) -> None:
    X = np.array([point])
    try:
        value = evaluate(tree, {"x": X[:, 0], "y": X[:, 1]})
        f, g = grad_function(tree, ("x", "y"))(X)
        assert f.shape == (1,) and g.shape == (1, 2)
        np.testing.assert_array_equal(np.isnan(f), np.isnan(value))
        for var in ("x", "y"):
            d = diff(tree, var)
            assert str(d) and to_latex(d) and hash(d) == hash(diff(tree, var))
        assert to_latex(tree)
        assert parse(str(tree)) == tree
    except DescentlabError:
        pass


@fuzz
@given(trees(max_leaves=8), POINTS)
def test_objective_from_a_random_formula(tree, point) -> None:
    text = str(tree)
    try:
        objective = Objective.from_formula(text, variables=("x", "y"))
        f, g = objective.value_and_grad(np.array([point]))
    except DescentlabError:
        return
    assert f.shape == (1,) and g.shape == (1, 2)


@fuzz
@given(TEXT, POINTS)
def test_objective_from_random_text(text: str, point) -> None:
    try:
        objective = Objective.from_formula(text)
        X = np.resize(np.array(point), (1, objective.dim))
        f, g = objective.value_and_grad(X)
    except DescentlabError:
        return
    assert f.shape == (1,) and g.shape == X.shape
    assert depth(objective.tree) >= 1
