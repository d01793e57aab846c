"""Tokenizer and parser: precedence, implicit products, round trips, every kind of bad input."""

from __future__ import annotations

import re

import pytest
from bounded import bounded
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import smooth_trees, trees

from descentlab.errors import ParseError
from descentlab.expr import (
    MAX_DEPTH,
    Binary,
    Call,
    Const,
    Num,
    Unary,
    Var,
    parse,
    parse_with_variables,
    variables,
)
from descentlab.expr.evaluate import FUNCTIONS
from descentlab.expr.parser import FUNCTION_ALIASES, FUNCTION_NAMES
from descentlab.expr.tokens import tokenize
from descentlab.expr.tree import depth

x, y = Var("x"), Var("y")

# (text, the tree printed with every binary operation in parentheses)
PRECEDENCE = [
    ("1 + 2*3", "(1 + (2 * 3))"),
    ("1 - 2 - 3", "((1 - 2) - 3)"),
    ("8/4/2", "((8 / 4) / 2)"),
    ("2^3^2", "(2 ^ (3 ^ 2))"),
    ("2**3**2", "(2 ^ (3 ^ 2))"),
    ("-x^2", "-(x ^ 2)"),
    ("-x*y", "(-x * y)"),
    ("2^-x", "(2 ^ -x)"),
    ("2^-x^2", "(2 ^ -(x ^ 2))"),
    ("2^-x*y", "((2 ^ -x) * y)"),
    ("x*-y", "(x * -y)"),
    ("x - -y", "(x - -y)"),
    ("--x", "--x"),
    ("+x", "x"),
    ("+-+x", "-x"),
    ("2x", "(2 * x)"),
    ("2 x", "(2 * x)"),
    ("2x^2", "(2 * (x ^ 2))"),
    ("10cos(x)", "(10 * cos(x))"),
    ("2pi*x", "((2 * pi) * x)"),
    ("2(x+1)", "(2 * (x + 1))"),
    ("(x-1)^2(y+1)", "(((x - 1) ^ 2) * (y + 1))"),
    ("x(y+1)", "(x * (y + 1))"),
    ("x1(y)", "(x1 * y)"),
    ("1/2x", "((1 / 2) * x)"),
    ("x y z", "((x * y) * z)"),
    ("sin(x)cos(y)", "(sin(x) * cos(y))"),
    ("2e^x", "(2 * (e ^ x))"),
    ("2e-3x", "(0.002 * x)"),
    ("2e3", "2000"),
    ("1E+5", "100000"),
    (".5x", "(0.5 * x)"),
    ("2.x", "(2 * x)"),
    ("πx", "(pi * x)"),
    ("π(x)", "(pi * x)"),
    ("e(x+1)", "(e * (x + 1))"),
    ("ln(x)", "log(x)"),
    ("arcsin(x) + arccos(x) + arctan(x)", "((asin(x) + acos(x)) + atan(x))"),
    ("x^2y", "((x ^ 2) * y)"),
    ("-2x", "(-2 * x)"),
    ("sin(x)^2", "(sin(x) ^ 2)"),
    ("2^x^y", "(2 ^ (x ^ y))"),
    ("(x)", "x"),
    (" \t\nx\n", "x"),
    ("alpha*beta", "(alpha * beta)"),
    ("x_1 + x_2", "(x_1 + x_2)"),
]


def explicit(node: object) -> str:
    """The tree with every binary operation in parentheses: an independent view of its shape."""
    if isinstance(node, Binary):
        return f"({explicit(node.left)} {node.op} {explicit(node.right)})"
    if isinstance(node, Unary):
        return f"-{explicit(node.operand)}"
    if isinstance(node, Call):
        return f"{node.func}({explicit(node.arg)})"
    return str(node)


@pytest.mark.parametrize(("text", "expected"), PRECEDENCE)
def test_precedence_and_implicit_products(text: str, expected: str) -> None:
    assert explicit(parse(text)) == expected


def test_trees_have_the_documented_nodes() -> None:
    assert parse("2x") == Binary("*", Num(2.0), x)
    assert parse("-x^2") == Unary("-", Binary("^", x, Num(2.0)))
    assert parse("e^y") == Binary("^", Const("e"), y)
    assert parse("π") == Const("pi")
    assert parse("ln(x)") == Call("log", x)


def test_every_function_and_alias_parses_to_its_canonical_name() -> None:
    assert set(FUNCTION_NAMES) == set(FUNCTIONS)
    for name in FUNCTION_NAMES:
        assert parse(f"{name}(x)") == Call(name, x)
    for alias, canonical in FUNCTION_ALIASES.items():
        assert parse(f"{alias}(x)") == Call(canonical, x)


HAND_ROUND_TRIPS = [
    "3x^4 + 4x^3 - 12x^2 + 7",
    "sin(x^2/2 - y^2/4 + 3)*cos(2x + 1 - e^y)",
    "(x^y)^z",
    "(-x)^2",
    "a - (b - c)",
    "a/(b/c)",
    "a/(b*c)",
    "x^-y^z",
    "-(x + y)",
    "--x",
    "1e-05*x",
    "1.5e+20",
    "123456.789",
    "(1 + x^2)^0.5",
    "abs(-x)",
    "2^(x + 1)",
    "x*(y*z)",
]


@pytest.mark.parametrize("text", HAND_ROUND_TRIPS)
def test_round_trip_by_hand(text: str) -> None:
    tree = parse(text)
    assert parse(str(tree)) == tree


@settings(max_examples=300, deadline=None)
@given(trees(max_leaves=16, variables=("x", "y", "z1", "rate")))
def test_round_trip_random_trees(tree: object) -> None:
    assert parse(str(tree)) == tree


@settings(max_examples=100, deadline=None)
@given(smooth_trees(variables=("x", "y")))
def test_round_trip_smooth_trees(tree: object) -> None:
    assert parse(str(tree)) == tree


# (text, column, a phrase of the message)
BAD = [
    ("", 0, "empty formula"),
    ("   ", 0, "empty formula"),
    ("__import__('os')", 0, "'__import__' is not allowed"),
    ("__import__('os').system('ls')", 0, "not allowed"),
    ("_x", 0, "not allowed"),
    ("x.real", 1, "unexpected character '.'"),
    ("(1).__class__", 3, "unexpected character '.'"),
    ("lambda: 1", 6, "unexpected character ':'"),
    ("[x for x in y]", 0, "unexpected character '['"),
    ("{x: 1}", 0, "unexpected character '{'"),
    ("'str'", 0, 'unexpected character "\'"'),
    ('"str"', 0, "unexpected character '\"'"),
    ("x if y else 1", 12, "expected an operator before the number '1'"),
    ("open('f')", 5, "unexpected character"),
    ("eval(x)", 0, "unknown function 'eval'"),
    ("exec(x)", 0, "unknown function 'exec'"),
    ("print(x)", 0, "unknown function 'print'"),
    ("foo(x)", 0, "unknown function 'foo'; known functions: abs, acos"),
    ("sinn(x)", 0, "unknown function 'sinn'"),
    ("2 + ab(x)", 4, "unknown function 'ab'"),
    ("x @ y", 2, "unexpected character '@'"),
    ("x % 2", 2, "unexpected character '%'"),
    ("x = 1", 2, "unexpected character '='"),
    ("x; y", 1, "unexpected character ';'"),
    ("1.2.3", 3, "malformed number '1.2.3'"),
    ("2..5", 2, "malformed number"),
    ("1e5.5", 3, "malformed number"),
    (".", 0, "unexpected character '.'"),
    ("x + .", 4, "unexpected character '.'"),
    ("(x", 0, "unclosed '('"),
    ("((x)", 0, "unclosed '('"),
    ("sin(x", 3, "unclosed '('"),
    ("(x + (y)", 0, "unclosed '('"),
    ("x)", 1, "unmatched ')'"),
    ("(x))", 3, "unmatched ')'"),
    (")", 0, "unmatched ')'"),
    ("()", 1, "empty parentheses"),
    ("sin()", 4, "sin needs an argument"),
    ("x +", 2, "after '+'"),
    ("x^", 1, "after '^'"),
    ("-", 0, "after '-'"),
    ("2*)", 2, "after '*'"),
    ("*x", 0, "found '*'"),
    ("/x", 0, "found '/'"),
    ("^2", 0, "found '^'"),
    ("x ** ** 2", 5, "found '^'"),
    ("x * / y", 4, "found '/'"),
    ("x 2", 2, "expected an operator before the number '2'"),
    ("(x)2", 3, "expected an operator"),
    ("2 3", 2, "expected an operator"),
    ("sin x", 0, "sin needs parentheses: sin(...)"),
    ("sin", 0, "sin needs parentheses"),
    ("2*ln", 2, "ln needs parentheses"),
    ("f(x, y)", 3, "functions take one argument"),
    ("sin(x, y)", 5, "sin takes one argument"),
    ("atan(y, x)", 6, "atan takes one argument"),
    ("x, y", 1, "unexpected ','"),
    ("\x00", 0, "unexpected character '\\x00'"),
    ("x\x00", 1, "unexpected character"),
    ("\uff11 + x", 0, "unexpected character '\uff11'"),  # full-width digit one
    ("x + \uff12", 4, "unexpected character"),
    ("\u00e9t\u00e9", 0, "unexpected character '\u00e9'"),
    ("x\u2212y", 1, "unexpected character '\u2212'"),  # Unicode minus sign
    ("\u221ax", 0, "unexpected character"),  # square-root sign
    ("x\u00b2", 1, "unexpected character"),  # superscript two
    ("1e999", 0, "number '1e999' is too large"),
    ("x + 1e400", 4, "too large"),
    ("9" * 400, 0, "too large"),
    ("x $ y", 2, "unexpected character '$'"),
    ("x \\ y", 2, "unexpected character"),
    ("x & y | z", 2, "unexpected character '&'"),
    ("`x`", 0, "unexpected character '`'"),
    ("x # comment", 2, "unexpected character '#'"),
    ("x!", 1, "unexpected character '!'"),
    ("x < 1", 2, "unexpected character '<'"),
]


@pytest.mark.parametrize(("text", "column", "phrase"), BAD)
def test_bad_input_names_the_problem_and_column(text: str, column: int, phrase: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    error = info.value
    assert phrase in error.message
    assert error.column == column
    assert error.text == text
    if text:
        assert str(error).splitlines()[-1].endswith("^")  # the caret line


def test_too_long() -> None:
    with pytest.raises(ParseError, match="formula too long .1000000 characters; the limit is"):
        parse("x" * 1_000_000)
    with pytest.raises(ParseError, match="too long"):
        parse("x + 1", max_length=3)
    assert parse("x + 1", max_length=5) == Binary("+", x, Num(1.0))


@pytest.mark.parametrize(
    "text",
    [
        "(" * 20_000,
        "(" * 20_000 + "x" + ")" * 20_000,
        "-" * 20_000 + "x",
        "x" + "^x" * 10_000,
        "(x+" * 10_000 + "x" + ")" * 10_000,
        "sin(" * 10_000 + "x" + ")" * 10_000,
        "1/(" * 10_000 + "2" + ")" * 10_000,
        "2" + "^-2" * 6_000,
    ],
    ids=["open", "balanced", "minus", "power", "sum", "sin", "divide", "power-minus"],
)
def test_deep_nesting_is_refused_in_linear_work_without_recursion(text: str) -> None:
    with (
        pytest.raises(ParseError, match=rf"too deeply nested \(more than {MAX_DEPTH} levels\)"),
        bounded(calls=5 * len(text) + 1_000, frames=MAX_DEPTH // 2),
    ):
        parse(text, max_length=len(text))


def test_depth_limit_is_exact() -> None:
    # x^x^...^x with k carets nests k + 1 levels (power is right-associative).
    at_limit = "^".join(["x"] * MAX_DEPTH)
    assert depth(parse(at_limit)) == MAX_DEPTH
    with pytest.raises(ParseError, match="too deeply nested"):
        parse(at_limit + "^x")
    chain = "(x+" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1)
    assert depth(parse(chain)) == MAX_DEPTH
    with pytest.raises(ParseError, match="too deeply nested"):
        parse("(x+" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)
    nested = "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert parse(nested) == x


def test_one_megabyte_is_refused_before_reading_it() -> None:
    with pytest.raises(ParseError, match="too long"), bounded(calls=100):
        parse("(x+1)*" * 200_000)


def test_not_text() -> None:
    with pytest.raises(ParseError, match="must be text"):
        parse(b"x")  # type: ignore[arg-type]


def test_tokens_keep_columns() -> None:
    tokens = tokenize("2x**2 + π")
    assert [(t.kind, t.text, t.column) for t in tokens] == [
        ("number", "2", 0),
        ("name", "x", 1),
        ("op", "^", 2),
        ("number", "2", 4),
        ("op", "+", 6),
        ("name", "pi", 8),
        ("end", "", 9),
    ]
    assert [t.value for t in tokenize("2e-3 1E+5 .5 2.")[:-1]] == [0.002, 1e5, 0.5, 2.0]


def test_variables_order() -> None:
    tree, names = parse_with_variables("b + y*a + x + z")
    assert names == ("x", "y", "z", "a", "b")
    assert variables(tree) == names
    assert parse_with_variables("x + y", order=["y", "x", "t"])[1] == ("y", "x", "t")
    assert parse_with_variables("3")[1] == ()


@pytest.mark.parametrize(
    ("order", "phrase"),
    [
        (["x"], "misses y"),
        (["x", "y", "x"], "repeats"),
        ("xy", "must be a sequence"),
        (["x", "y", "sin"], "bad name 'sin'"),
        (["x", "y", "2"], "bad name '2'"),
        (["x", "y", 3], "bad name 3"),
    ],
)
def test_bad_variable_order_is_a_parse_error(order: object, phrase: str) -> None:
    with pytest.raises(ParseError, match=phrase):
        parse_with_variables("x + y", order=order)  # type: ignore[arg-type]


ALPHABET = st.sampled_from(list("xyz2e.+-*/^() ,\t_πs1") + ["sin", "ln", "**", "e-", "\x00", "１"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=30), st.lists(ALPHABET, max_size=25).map("".join)))
def test_fuzz_parses_and_round_trips_or_raises_parse_error(text: str) -> None:
    try:
        tree = parse(text)
    except ParseError as error:
        assert 0 <= error.column <= len(text)
        assert error.message
        return
    assert parse(str(tree)) == tree
    assert depth(tree) <= MAX_DEPTH


@pytest.mark.parametrize(
    "text",
    [
        "+".join(f"x{i}^2" for i in range(1, 1001)),  # sphere in 1000 variables
        "-".join(["x"] * 3000),
        "*".join(["x"] * 3000),
        "1/" * 3000 + "x",  # ((1/1)/1)/.../x: flat too
        " + ".join(f"{i}x*sin(y)" for i in range(1, 800)),  # a flat sum of products
        "x" + "+x - y" * 1500,
    ],
    ids=["sphere", "minus", "times", "divide", "products", "mixed"],
)
def test_a_long_flat_formula_is_not_deep_nesting(text: str) -> None:
    tree = parse(text, max_length=len(text))
    assert depth(tree) > MAX_DEPTH  # the tree is deep, but nothing is nested
    assert parse(str(tree), max_length=10**6) == tree


def test_a_flat_chain_of_nested_terms_counts_the_terms_depth() -> None:
    def term(k: int) -> str:  # k + 1 levels
        return "sin(" * k + "x" + ")" * k

    assert depth(parse(" + ".join([term(MAX_DEPTH - 2)] * 10))) == MAX_DEPTH + 8
    with pytest.raises(ParseError, match="too deeply nested"):
        parse(" + ".join([term(MAX_DEPTH - 1)] * 10))


@pytest.mark.parametrize(
    ("text", "column", "suggestion"),
    [
        ("sinx", 0, "did you mean sin(x)?"),
        ("cosy + 1", 0, "did you mean cos(y)?"),
        ("2expx", 1, "did you mean exp(x)?"),
        ("x + sqrtx2", 4, "did you mean sqrt(x2)?"),
        ("sinhy", 0, "did you mean sinh(y)?"),
        ("lnx", 0, "did you mean ln(x)?"),
    ],
)
def test_a_function_name_glued_to_a_variable_is_refused(
    text: str, column: int, suggestion: str
) -> None:
    with pytest.raises(ParseError, match=re.escape(suggestion)) as info:
        parse_with_variables(text)
    assert info.value.column == column
    glued = text[column:].split()[0].lstrip("0123456789")
    tree, names = parse_with_variables(text, [glued, *sorted(set("xy") & set(text))])
    assert glued in names  # declared, it is a variable of several letters


def test_multi_letter_variables_still_work() -> None:
    assert parse_with_variables("theta^2 + alpha")[1] == ("alpha", "theta")
    assert parse_with_variables("theta^2 + alpha", ["theta", "alpha"])[1] == ("theta", "alpha")
    with pytest.raises(ParseError, match=r"did you mean cos\(t\)"):
        parse_with_variables("cost^2")  # a function name and a letter: ambiguous, so refused
    assert parse_with_variables("cost^2", ["cost"])[1] == ("cost",)
