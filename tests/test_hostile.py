"""Hostile formulas at every entry point: refused with a ParseError naming the problem and the
column, in bounded work, without RecursionError, MemoryError, hangs or side effects.

The corpus here adds to tests/test_parser.py's BAD table (none repeated). Each formula goes through
``parse``, ``Objective.from_formula``, ``as_objective`` and the CLI's ``derivative``, ``run`` and
``animate`` (the last refuses before rendering anything). Valid but huge formulas evaluate to inf or
nan and the CLI says so (not defined at the start).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest
from bounded import bounded

from descentlab.cli import main
from descentlab.derivatives.symbolic import diff
from descentlab.errors import DescentlabError, ParseError
from descentlab.expr import MAX_DEPTH, parse, to_latex
from descentlab.expr.tree import depth
from descentlab.objective import Objective, as_objective

# Bounded work, not wall time (tests/bounded.py): each entry point refuses a hostile formula within
# 100,000 Python calls (the largest here needs about 35,000), never nesting 100 frames deep
CALL_BUDGET = 100_000
FRAME_BUDGET = 100

# (formula, column of the problem, phrase of the message)
HOSTILE = [
    # Python syntax and dunder tricks
    ("__import__('os').system('touch pwned')", 0, "names start with a letter"),
    ("x.__class__", 1, "unexpected character '.'"),
    ("x.__class__.__mro__", 1, "unexpected character '.'"),
    ("().__class__.__bases__[0].__subclasses__()", 2, "unexpected character '.'"),
    ("os.system('ls')", 2, "unexpected character '.'"),
    ("exec('1')", 5, 'unexpected character "\'"'),
    ("exec(x)", 0, "unknown function 'exec'"),
    ("eval(x)", 0, "unknown function 'eval'"),
    ("open(x)", 0, "unknown function 'open'"),
    ("compile(x)", 0, "unknown function 'compile'"),
    ("getattr(x)", 0, "unknown function 'getattr'"),
    ("globals()", 0, "unknown function 'globals'"),
    ("breakpoint()", 0, "unknown function 'breakpoint'"),
    ("lambda: 1", 6, "unexpected character ':'"),
    ("lambda x: x", 8, "unexpected character ':'"),
    ("[x for x in y]", 0, "unexpected character '['"),
    ("{x: 1}", 0, "unexpected character '{'"),
    ("'x'", 0, 'unexpected character "\'"'),
    ('"x^2"', 0, "unexpected character '\"'"),
    ("f'{x}'", 1, "unexpected character"),
    ("x @ y", 2, "unexpected character '@'"),
    ("x // y", 3, "found '/'"),
    ("x % y", 2, "unexpected character '%'"),
    ("x == y", 2, "unexpected character '='"),
    ("x := 1", 2, "unexpected character ':'"),
    ("x; y", 1, "unexpected character ';'"),
    ("x ** -", 5, "after '-'"),
    ("sin.__call__(x)", 3, "unexpected character '.'"),
    ("_x + 1", 0, "names start with a letter"),
    ("x + __builtins__", 4, "names start with a letter"),
    ("1_000", 1, "names start with a letter"),
    ("x.real", 1, "unexpected character"),
    ("~x", 0, "unexpected character '~'"),
    ("x?", 1, "unexpected character '?'"),
    # broken syntax
    ("((x)", 0, "unclosed '('"),
    ("x +* y", 3, "found '*'"),
    ("x^^2", 2, "found '^'"),
    ("sin(x)(", 6, "unclosed '('"),
    ("2..", 2, "malformed number '2..'"),
    ("1.2.3.4", 3, "malformed number '1.2.3.4'"),
    ("cos", 0, "cos needs parentheses"),
    ("exp()", 4, "exp needs an argument"),
    ("log(x, 2)", 5, "log takes one argument"),
    ("max(x, y)", 0, "unknown function 'max'"),
    ("sinx(2)", 0, "unknown function 'sinx'"),
    ("x +\n", 2, "after '+'"),
    ("\t", 0, "empty formula"),
    # odd characters
    ("x\x00 + 1", 1, "unexpected character '\\x00'"),
    ("\uff58^2", 0, "unexpected character"),  # full-width x
    ("\uff13x", 0, "unexpected character"),  # full-width three
    ("x\u200b+1", 1, "unexpected character"),  # zero-width space
    ("\u202ex+1", 0, "unexpected character"),  # right-to-left override
    ("x\u200f", 1, "unexpected character"),  # right-to-left mark
    ("\ufeffx", 0, "unexpected character"),  # byte-order mark
    ("x + \U0001f600", 4, "unexpected character"),  # emoji
    ("x\ud800", 1, "unexpected character"),  # lone surrogate
    ("\u0661 + x", 0, "unexpected character"),  # Arabic-Indic digit one
    ("x\u00a0+ 1", 1, "unexpected character"),  # no-break space
    ("x\x0b+1", 1, "unexpected character"),  # vertical tab
    ("\u0445^2", 0, "unexpected character"),  # Cyrillic x
    ("sin\uff08x)", 3, "unexpected character"),  # full-width parenthesis
    # huge literals
    ("1" * 400 + "x", 0, "too large"),
    ("x^1e309", 2, "too large"),
    ("1" * 310 + ".5", 0, "too large"),
]
# Python-looking text that is nevertheless a formula: a product of variables, nothing more
HARMLESS = [
    "import os",
    "(x for x in y)",
    "x if y else z",
    "0x10",
    "1j",
    "print  x",
]
# deep nesting and very long input: (text, phrase); the column is checked to be in the text
HUGE = [
    ("(" * 100_000 + "x" + ")" * 100_000, "too long"),
    ("x" * 1_000_000, "too long"),
    ("x+" * 500_000 + "x", "too long"),
    ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "too deeply nested"),
    ("sin(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "too deeply nested"),
    ("-" * (MAX_DEPTH + 1) + "x", "too deeply nested"),
    ("x" + "^x" * MAX_DEPTH, "too deeply nested"),
    ("2^" * 4_000 + "2", "too deeply nested"),
]
# valid formulas whose values overflow or are undefined everywhere near the start
VALID_BUT_HUGE = ["x + 9^9^9^9", "x*9^9^9^9", "exp(exp(exp(x + 10)))", "x + 1e308*1e308", "x + 0/0",
                  "10^(10^(10^x))*x", "x*(1e300^2)", "log(-1) + x"]  # fmt: skip

assert len(HOSTILE) + len(HUGE) + len(VALID_BUT_HUGE) >= 60


@pytest.fixture(autouse=True, scope="module")
def engine_loaded():
    """Load the compiled engine (numba, its cache) once before any work is counted: the budgets
    below bound the work a formula causes, not the first import of the engine, which a test that
    happens to run first in its process would otherwise pay."""
    main(["run", "x^2 + y^2", "--start", "1,1"])
    Objective.from_formula("x^2").value_and_grad(np.array([[1.0]]))


@pytest.fixture(autouse=True)
def no_side_effects(monkeypatch, tmp_path):
    """Fail if anything tries to run a program; run in an empty folder and check it stays empty."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("a formula tried to run a program")

    for name in ("system", "popen", "execv", "execvp", "spawnv", "fork"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refuse)
    for name in ("run", "Popen", "call", "check_call", "check_output"):
        monkeypatch.setattr(subprocess, name, refuse)
    monkeypatch.chdir(tmp_path)
    modules = set(sys.modules)
    yield
    assert list(tmp_path.iterdir()) == []
    assert not {"pwned", "ctypes", "pty"} & (set(sys.modules) - modules)


def _bounded(fn, *args, **kwargs):
    with bounded(calls=CALL_BUDGET, frames=FRAME_BUDGET):
        return fn(*args, **kwargs)


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = _bounded(main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _check_cli_error(capsys, argv: list[str], phrase: str) -> None:
    code, out, err = _cli(capsys, *argv)
    assert code == 2, err
    assert out == ""
    assert err.startswith("descentlab: error: ") and err.count("\n") == 1, err
    assert len(err) < 400  # the formula is shortened, never echoed whole
    assert phrase in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("text", "column", "phrase"), HOSTILE, ids=range(len(HOSTILE)))
def test_parse_refuses_with_problem_and_column(text: str, column: int, phrase: str) -> None:
    with pytest.raises(ParseError) as info:
        _bounded(parse, text)
    assert phrase in info.value.message
    assert info.value.column == column
    assert info.value.one_line().endswith(f"at column {column + 1}")
    assert "\n" not in info.value.one_line()


@pytest.mark.parametrize(("text", "column", "phrase"), HOSTILE, ids=range(len(HOSTILE)))
def test_objective_refuses_with_a_parse_error(text: str, column: int, phrase: str) -> None:
    for build in (Objective.from_formula, as_objective):
        with pytest.raises(ParseError) as info:
            _bounded(build, text)
        assert info.value.column == column and phrase in info.value.message


@pytest.mark.parametrize(("text", "column", "phrase"), HOSTILE, ids=range(len(HOSTILE)))
def test_cli_refuses_with_one_line(capsys, text: str, column: int, phrase: str) -> None:
    if "\x00" in text or "\ud800" in text:
        pytest.skip("a process cannot receive NUL or a lone surrogate in argv")  # parse covers it
    where = f"at column {column + 1}"
    _check_cli_error(capsys, ["derivative", text, "--at", "1"], where)
    _check_cli_error(capsys, ["run", text, "--start", "1"], where)
    _check_cli_error(capsys, ["animate", "descent-1d", text, "--quiet", "-o", "a.gif"], where)


@pytest.mark.parametrize(("text", "phrase"), HUGE, ids=range(len(HUGE)))
def test_deep_and_long_input_is_refused_in_bounded_work(capsys, text: str, phrase: str) -> None:
    for build in (parse, Objective.from_formula, as_objective):
        with pytest.raises(ParseError, match=phrase) as info:
            _bounded(build, text)
        assert 0 <= info.value.column <= len(text)
    # "--" ends the options: "-----x" would otherwise read as an option (argparse's rule)
    _check_cli_error(capsys, ["derivative", "--at", "1", "--", text], phrase)
    _check_cli_error(capsys, ["run", "--start", "1", "--", text], phrase)


@pytest.mark.parametrize("text", VALID_BUT_HUGE)
def test_valid_but_huge_is_inf_or_nan_and_the_cli_says_not_defined(capsys, text: str) -> None:
    objective = _bounded(Objective.from_formula, text)
    f, g = _bounded(objective.value_and_grad, np.array([[1.0]]))
    assert not (np.isfinite(f).all() and np.isfinite(g).all())
    _check_cli_error(capsys, ["derivative", text, "--at", "1"], "not")
    _check_cli_error(capsys, ["run", text, "--start", "1"], "not defined")


# ------------------------------------------------------------------------------------------------
# Trees deeper than the parser makes: derivatives of deep formulas


def _deep_derivatives():
    n = MAX_DEPTH - 10
    return {
        "nested x^x": "(" * n + "x" + "^x)" * n,
        "power tower": "^".join(["x"] * MAX_DEPTH),
        "nested quotient": "(" * n + "x" + "/x)" * n,
        "nested product": "(" * n + "x" + "*sin(x))" * n,
        "sqrt chain": "sqrt(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1),
    }


@pytest.mark.parametrize(("name", "text"), list(_deep_derivatives().items()))
def test_deep_derivatives_print_compare_and_hash_without_recursion(name: str, text: str) -> None:
    tree = parse(text)
    d = _bounded(diff, tree, "x")
    again = diff(tree, "x")
    assert d is not again and d == again and hash(d) == hash(again)
    assert str(d) == str(again) and repr(d) == repr(again)
    assert to_latex(d)
    if depth(d) > MAX_DEPTH:  # deeper than the parser accepts: refused cleanly, never a crash
        with pytest.raises(ParseError, match="too deeply nested"):
            parse(str(d), max_length=10**7)
    else:
        assert parse(str(d), max_length=10**7) == d


def test_the_worst_derivative_is_far_deeper_than_the_parser_allows() -> None:
    d = diff(parse(_deep_derivatives()["nested x^x"]), "x")
    assert depth(d) > 3 * MAX_DEPTH
    assert str(d).count("(") == str(d).count(")")
    assert len(repr(d)) > len(str(d))


def test_cli_derivative_of_the_deepest_formula_prints(capsys) -> None:
    text = _deep_derivatives()["nested x^x"]
    code, out, err = _cli(capsys, "derivative", text, "--at", "0.9", "--method", "exact")
    assert code == 0, err
    assert "d/dx = " in out
    code, out, err = _cli(capsys, "derivative", text, "--at", "1.5")
    assert code == 2 and "not defined at x=1.5 (its value is inf)" in err and len(err) < 300


@pytest.mark.parametrize("text", HARMLESS)
def test_python_looking_formulas_are_only_products_of_variables(text: str) -> None:
    from descentlab.expr.tree import Binary, Num, Var, walk

    tree = _bounded(parse, text)
    assert all(
        isinstance(n, Var | Num) or (isinstance(n, Binary) and n.op == "*") for n in walk(tree)
    )


def test_every_error_is_a_descentlab_error() -> None:
    for text, _column, _phrase in HOSTILE:
        with pytest.raises(DescentlabError):
            parse(text)


# ------------------------------------------------------------------------------------------------
# Names that would silently become variables (issue #10, section 4)


@pytest.mark.parametrize(
    ("target", "phrase"),
    [
        ("nosuchfunction_zz", "unknown function 'nosuchfunction_zz'"),
        ("rosenbrok", "did you mean rosenbrock?"),
        ("himmelblu", "did you mean himmelblau?"),
        ("theta", "--vars theta"),
        ("sinx", "did you mean sin(x)?"),
        ("cosy", "did you mean cos(y)?"),
        ("expx", "did you mean exp(x)?"),
        ("x + sinx", "did you mean sin(x)?"),
    ],
)
def test_unknown_words_are_refused_not_made_variables(capsys, target: str, phrase: str) -> None:
    _check_cli_error(capsys, ["run", target, "--start", "1"], phrase)
    with pytest.raises(DescentlabError, match=re.escape(phrase)):
        as_objective(target)


def test_declared_multi_letter_variables_work(capsys) -> None:
    assert as_objective("theta", variables=["theta"]).variables == ("theta",)
    assert as_objective("sinx^2", variables=["sinx"]).variables == ("sinx",)
    code, out, err = _cli(capsys, "run", "(theta - 2)^2", "--start", "1")
    assert code == 0 and "converged" in out, err
    code, out, err = _cli(capsys, "run", "theta^2", "--vars", "theta", "--start", "1")
    assert code == 0 and "converged" in out, err
    code, out, err = _cli(capsys, "run", "x1", "--start", "1", "--max-iter", "2")
    assert code == 2 and "unbounded below" in err  # x1 is a variable, and f = x1 is linear


@pytest.mark.parametrize(("formula", "gradient"), [("x", "(1)"), ("2x - 3y + 1", "(2, -3)"),
                                                    ("x/2 + 0*y", "(0.5, 0)")])  # fmt: skip
def test_a_linear_objective_is_reported_unbounded_below(capsys, formula, gradient) -> None:
    _check_cli_error(capsys, ["run", formula, "--random-starts", "3"], "unbounded below")
    _check_cli_error(capsys, ["run", formula, "--random-starts", "3"], gradient)
    code, out, err = _cli(capsys, "run", "0*x + 3", "--start", "1")  # constant: not unbounded
    assert code == 0 and "degenerate" in out, err
