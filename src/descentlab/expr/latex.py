r"""Print an expression tree as LaTeX that matplotlib's mathtext renders.

Products are written the way people write them: ``3x^{4}``, ``2\pi``, ``10\cos\left(x\right)``;
two numbers, or two names, get a ``\cdot`` between them (``2 \cdot 3``, ``x \cdot y``). Division
is ``\frac{a}{b}``, powers put the exponent in braces, functions use their LaTeX names with
``\left(...\right)`` (``\ln`` for the natural logarithm, ``\log_{10}``, ``\log_{2}``), ``sqrt`` is
``\sqrt{...}`` and ``abs`` is ``\left|...\right|``. Parentheses appear only where the tree needs
them. Names of one letter print as they are, a letter and digits as a subscript (``x_{1}``),
Greek letter names as the letter (``\alpha``), and other names upright (``\mathrm{rate}``).

The printer is iterative, so trees of any depth are safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from descentlab.expr.tree import (
    PREC_ADD,
    PREC_ATOM,
    PREC_MUL,
    PREC_POW,
    PREC_UNARY,
    Binary,
    Call,
    Const,
    Node,
    Num,
    Unary,
    Var,
    children,
    format_number,
    post_order,
)

_GREEK = frozenset(
    (
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
        "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
        "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
    )
)  # fmt: skip
_FUNCTIONS = {
    "sin": r"\sin",
    "cos": r"\cos",
    "tan": r"\tan",
    "asin": r"\arcsin",
    "acos": r"\arccos",
    "atan": r"\arctan",
    "sinh": r"\sinh",
    "cosh": r"\cosh",
    "tanh": r"\tanh",
    "exp": r"\exp",
    "log": r"\ln",
    "log10": r"\log_{10}",
    "log2": r"\log_{2}",
}


@dataclass(frozen=True, slots=True)
class _Printed:
    """LaTeX for a sub-tree, with how tightly it binds."""

    text: str
    prec: int

    def wrapped(self) -> str:
        return rf"\left({self.text}\right)"


def to_latex(tree: Node) -> str:
    r"""LaTeX for a tree (without the surrounding ``$``).

    Args:
        tree: The expression tree.

    Returns:
        A LaTeX string that matplotlib's mathtext renders.

    Examples:
        >>> from descentlab.expr.parser import parse
        >>> to_latex(parse("3x^4 + 4x^3 - 12x^2 + 7"))
        '3x^{4} + 4x^{3} - 12x^{2} + 7'
        >>> to_latex(parse("sin(x^2/2)*sqrt(abs(y))"))
        '\\sin\\left(\\frac{x^{2}}{2}\\right) \\sqrt{\\left|y\\right|}'
    """
    printed: dict[int, _Printed] = {}
    for node in post_order(tree):
        printed[id(node)] = _print(node, [printed[id(c)] for c in children(node)])
    return printed[id(tree)].text


def _print(node: Node, args: list[_Printed]) -> _Printed:
    if isinstance(node, Num):
        return _number(node.value)
    if isinstance(node, Var):
        return _Printed(_name(node.name), PREC_ATOM)
    if isinstance(node, Const):
        return _Printed(r"\pi" if node.name == "pi" else node.name, PREC_ATOM)
    if isinstance(node, Unary):
        (operand,) = args
        inner = operand.wrapped() if operand.prec < PREC_UNARY else operand.text
        return _Printed(f"-{inner}", PREC_UNARY)
    if isinstance(node, Call):
        return _call(node.func, args[0])
    if isinstance(node, Binary):
        return _binary(node.op, args[0], args[1])
    raise TypeError(f"not an expression node: {node!r}")


def _number(value: float) -> _Printed:
    text = format_number(abs(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = f"10^{{{int(exponent)}}}"
        text = power if mantissa == "1" else rf"{mantissa} \times {power}"
        prec = PREC_MUL
    else:
        prec = PREC_ATOM
    if text == "inf":
        text = r"\infty"
    if value < 0 or str(value).startswith("-"):
        return _Printed(f"-{text}", PREC_UNARY)
    return _Printed(text, prec)


def _name(name: str) -> str:
    if len(name) == 1:
        return name
    if name in _GREEK:
        return "\\" + name
    match = re.fullmatch(r"([A-Za-z])([0-9]+)", name)
    if match:
        return f"{match[1]}_{{{match[2]}}}"
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


def _call(func: str, arg: _Printed) -> _Printed:
    if func == "sqrt":
        return _Printed(rf"\sqrt{{{arg.text}}}", PREC_ATOM)
    if func == "abs":
        return _Printed(rf"\left|{arg.text}\right|", PREC_ATOM)
    command = _FUNCTIONS.get(func, rf"\mathrm{{{func}}}")
    return _Printed(rf"{command}\left({arg.text}\right)", PREC_ATOM)


def _binary(op: str, left: _Printed, right: _Printed) -> _Printed:
    if op == "/":
        return _Printed(rf"\frac{{{left.text}}}{{{right.text}}}", PREC_ATOM)
    if op == "^":
        # A fraction as a base keeps parentheses: \frac{x}{y}^{2} would read as x / y^2.
        needs = left.prec <= PREC_POW or left.text.startswith(r"\frac")
        base = left.wrapped() if needs else left.text
        return _Printed(f"{base}^{{{right.text}}}", PREC_POW)
    if op in "+-":
        # A right operand that is itself a sum or difference, or starts with a minus, keeps its
        # parentheses: a - (b - c), a + (-b).
        r = right.wrapped() if right.prec <= PREC_ADD or right.text.startswith("-") else right.text
        return _Printed(f"{left.text} {op} {r}", PREC_ADD)
    # Multiplication: sums need parentheses; a negative factor on the right too.
    a = left.wrapped() if left.prec < PREC_MUL else left.text
    b = right.wrapped() if right.prec < PREC_MUL or right.text.startswith("-") else right.text
    return _Printed(f"{a}{_times(a, b)}{b}", PREC_MUL)


def _times(left: str, right: str) -> str:
    r"""How to join two factors: by juxtaposition (``3x``, ``2\pi``) where that reads clearly."""
    starts_with_letter = right[:1].isalpha() or (
        right.startswith("\\") and not right.startswith((r"\frac", r"\infty"))
    )
    if not starts_with_letter or r"\times" in left or r"\times" in right:
        return r" \cdot "
    if left[-1:].isdigit():
        return ""  # 3x, 2\pi, 10\cos(x)
    if re.search(r"\\[A-Za-z]+$", left):
        return " "  # 2\pi x: a space ends the command
    if right[:1].isalpha() and (left[-1:].isalpha() or left[-1:] == "}"):
        return r" \cdot "  # x \cdot y, never xy
    return " "
