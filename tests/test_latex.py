"""The LaTeX printer: exact strings for the common cases, and mathtext must parse everything."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from matplotlib.mathtext import MathTextParser
from strategies import smooth_trees, trees

from descentlab.expr import Binary, Call, Num, Unary, Var, parse, to_latex
from descentlab.expr.tree import Node

PARSER = MathTextParser("path")


def renders(latex: str) -> None:
    """Raise (ValueError) unless matplotlib's mathtext can lay out ``$latex$``."""
    PARSER.parse(f"${latex}$")


EXPECTED = [
    ("3x^4 + 4x^3 - 12x^2 + 7", "3x^{4} + 4x^{3} - 12x^{2} + 7"),
    ("12x^3 + 12x^2 - 24x", "12x^{3} + 12x^{2} - 24x"),
    (
        "sin(x^2/2 - y^2/4 + 3)*cos(2x + 1 - e^y)",
        r"\sin\left(\frac{x^{2}}{2} - \frac{y^{2}}{4} + 3\right) \cos\left(2x + 1 - e^{y}\right)",
    ),
    ("1 + x^2", "1 + x^{2}"),
    ("2*3", r"2 \cdot 3"),
    ("2*3x", r"2 \cdot 3x"),
    ("x*y", r"x \cdot y"),
    ("2pi*x", r"2\pi x"),
    ("10cos(x)", r"10\cos\left(x\right)"),
    ("2(x + 1)", r"2\left(x + 1\right)"),
    ("(x - 1)^2(y + 1)", r"\left(x - 1\right)^{2} \left(y + 1\right)"),
    ("x/y", r"\frac{x}{y}"),
    ("2*x/3", r"\frac{2x}{3}"),
    ("2*(x/3)", r"2 \cdot \frac{x}{3}"),
    ("sqrt(x + 1)", r"\sqrt{x + 1}"),
    ("abs(x)", r"\left|x\right|"),
    ("log10(x)", r"\log_{10}\left(x\right)"),
    ("log2(x)", r"\log_{2}\left(x\right)"),
    ("ln(x)", r"\ln\left(x\right)"),
    ("arcsin(x)", r"\arcsin\left(x\right)"),
    ("e^y", "e^{y}"),
    ("pi", r"\pi"),
    ("-x^2", "-x^{2}"),
    ("(-x)^2", r"\left(-x\right)^{2}"),
    ("-(x + y)", r"-\left(x + y\right)"),
    ("x - (y - z)", r"x - \left(y - z\right)"),
    ("x - (y + z)", r"x - \left(y + z\right)"),
    ("x + -y", r"x + \left(-y\right)"),
    ("x - y + z", "x - y + z"),
    ("2*-x", r"2\left(-x\right)"),
    ("x^y^z", "x^{y^{z}}"),
    ("(x^y)^z", r"\left(x^{y}\right)^{z}"),
    ("(x + 1)^2", r"\left(x + 1\right)^{2}"),
    ("sin(x)^2", r"\sin\left(x\right)^{2}"),
    ("(x/y)^2", r"\left(\frac{x}{y}\right)^{2}"),
    ("x1 + x2", "x_{1} + x_{2}"),
    ("alpha*x", r"\alpha x"),
    ("rate*x", r"\mathrm{rate} \cdot x"),
    ("my_var", r"\mathrm{my\_var}"),
    ("1e-05*x", r"10^{-5} \cdot x"),
    ("1.5e+20", r"1.5 \times 10^{20}"),
    ("0.5x", "0.5x"),
]


@pytest.mark.parametrize(("formula", "latex"), EXPECTED, ids=[f for f, _ in EXPECTED])
def test_exact_latex(formula: str, latex: str) -> None:
    got = to_latex(parse(formula))
    assert got == latex
    renders(got)


def test_trees_the_parser_does_not_make() -> None:
    assert to_latex(Num(-2.0)) == "-2"
    assert to_latex(Binary("*", Var("x"), Num(-2.0))) == r"x \left(-2\right)"
    assert to_latex(Binary("^", Num(-2.0), Var("x"))) == r"\left(-2\right)^{x}"
    assert to_latex(Num(float("inf"))) == r"\infty"
    for tree in [Num(-0.0), Unary("-", Num(-1e-30)), Call("sin", Num(-3.5))]:
        renders(to_latex(tree))


def test_deep_trees_do_not_recurse() -> None:
    tree: Node = Var("x")
    for _ in range(5000):
        tree = Binary("+", tree, Num(1.0))
    assert to_latex(tree).count("+") == 5000


@settings(max_examples=150, deadline=None)
@given(trees(max_leaves=12, variables=("x", "y", "x1", "alpha", "rate")))
def test_mathtext_renders_random_trees(tree: Node) -> None:
    renders(to_latex(tree))


@settings(max_examples=50, deadline=None)
@given(smooth_trees())
def test_mathtext_renders_smooth_trees(tree: Node) -> None:
    renders(to_latex(tree))
