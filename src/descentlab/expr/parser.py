"""Read a formula people type into an expression tree.

Grammar (loosest first)::

    expr  := term (('+' | '-') term)*
    term  := unary (('*' | '/' | implicit) unary)*
    unary := ('-' | '+') unary | power
    power := atom ('^' unary)?                 # ^ and ** are power, right-associative
    atom  := NUMBER | CONST | FUNC '(' expr ')' | NAME | '(' expr ')'

So ``2^3^2`` is ``2^(3^2)``, ``2^-x`` is allowed, ``-x^2`` is ``-(x^2)`` and ``-x*y`` is
``(-x)*y``. A factor followed by a name or ``(`` is an implicit product with the same strength as
``*`` and left-associative: ``2x``, ``2 x``, ``10cos(x)``, ``2pi*x``, ``2(x+1)``, ``x(y+1)``,
``(x-1)^2(y+1)``; ``2x^2`` is ``2*(x^2)`` and ``1/2x`` is ``(1/2)*x`` (as in ``1/2*x``). A number
right after a name or ``)`` is not a product (``x 2`` is an error). Unary plus is dropped.

Functions take one argument; ``arcsin``, ``arccos``, ``arctan`` and ``ln`` are read as ``asin``,
``acos``, ``atan`` and ``log``. ``pi``, ``π`` and ``e`` are constants. A name followed by ``(``
multiplies only if it looks like a variable (one letter, or a letter and digits such as ``x1``);
any longer name followed by ``(`` must be a known function.

A function name glued to a variable (``sinx``, ``cosy``, ``expx2``) is not taken for a variable
of several letters: :func:`parse_with_variables` refuses it with "did you mean sin(x)?" unless the
name is declared in ``order`` (``--vars``).

The parser is iterative (an operator-precedence parser with explicit stacks), so no input can
exhaust Python's stack; it refuses texts longer than ``max_length`` and formulas nested deeper
than :data:`~descentlab.expr.tree.MAX_DEPTH` levels. A level is a parenthesis, a function call, a
power, a sign, or a change of operator: a flat chain of one operator (``x1^2 + x2^2 + ... +
x1000^2``, ``a*b*c*...``) is one level however long it is, so every long flat formula parses (the
tree's walkers are iterative).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from descentlab.errors import ParseError
from descentlab.expr.tokens import COMMA, END, LPAREN, NAME, NUMBER, OP, RPAREN, Token, tokenize
from descentlab.expr.tree import (
    MAX_DEPTH,
    PREC_ADD,
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
    variables,
)

FUNCTION_NAMES = (
    "abs",
    "acos",
    "asin",
    "atan",
    "cos",
    "cosh",
    "exp",
    "log",
    "log10",
    "log2",
    "sin",
    "sinh",
    "sqrt",
    "tan",
    "tanh",
)
"""The canonical names of the one-argument functions, alphabetically."""

FUNCTION_ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "ln": "log"}
"""Other spellings people type, and the canonical name each one becomes."""

CONSTANT_NAMES = ("e", "pi")
"""The named constants (``π`` is read as ``pi``)."""

DEFAULT_MAX_LENGTH = 10_000

_TOO_DEEP = f"formula too deeply nested (more than {MAX_DEPTH} levels)"
_VARIABLE_LIKE = re.compile(r"[A-Za-z][0-9]*")
_OPERAND = "a number, a name or '('"
_PREC = {"+": PREC_ADD, "-": PREC_ADD, "*": PREC_MUL, "/": PREC_MUL, "^": PREC_POW}
_FUNCTIONS = {name: name for name in FUNCTION_NAMES} | FUNCTION_ALIASES


@dataclass(frozen=True, slots=True)
class _Operator:
    """A pending operator on the stack: a binary op, unary minus (``"neg"``) or an open paren."""

    kind: str  # "+", "-", "*", "/", "^", "neg" or "("
    column: int
    func: str | None = None  # for "(": the function it calls, if any

    @property
    def prec(self) -> int:
        return PREC_UNARY if self.kind == "neg" else _PREC.get(self.kind, 0)


def parse(text: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> Node:
    """Parse a formula into an expression tree.

    Args:
        text: The formula, e.g. ``"3x^4 + 4x^3 - 12x^2 + 7"``.
        max_length: Longest text accepted, in characters.

    Returns:
        The tree; ``str(tree)`` reads back to an equal tree.

    Raises:
        ParseError: The text is not a formula, is too long or nests too deeply. The error carries
            the text and the 0-based column of the problem.

    Examples:
        >>> str(parse("2x^2 - 3(x + 1)"))
        '2*x^2 - 3*(x + 1)'
        >>> parse("-x^2")
        Unary(op='-', operand=Binary(op='^', left=Var(name='x'), right=Num(value=2.0)))
    """
    if not isinstance(text, str):
        raise ParseError(f"a formula must be text, not {type(text).__name__}")
    if len(text) > max_length:
        raise ParseError(
            f"formula too long ({len(text)} characters; the limit is {max_length})",
            text,
            max_length,
        )
    return _Parser(text).run()


def parse_with_variables(
    text: str, order: Sequence[str] | None = None, *, max_length: int = DEFAULT_MAX_LENGTH
) -> tuple[Node, tuple[str, ...]]:
    """Parse a formula and order its variables (``x, y, z`` first, then alphabetically).

    Args:
        text: The formula.
        order: An explicit variable order; it must name every variable the formula uses, once.
        max_length: Longest text accepted, in characters.

    Returns:
        ``(tree, variables)``.

    Raises:
        ParseError: The text is not a formula, or ``order`` misses or repeats a name (column 0).

    Examples:
        >>> parse_with_variables("b + y*a + x")[1]
        ('x', 'y', 'a', 'b')
    """
    tree = parse(text, max_length=max_length)
    _refuse_glued_functions(text, tree, order)
    if order is not None:
        if isinstance(order, str):
            raise ParseError(f"variable order must be a sequence of names, not {order!r}", text, 0)
        for name in order:
            if not isinstance(name, str) or not _is_name(name):
                raise ParseError(f"variable order has a bad name {name!r}", text, 0)
    try:
        return tree, variables(tree, order)
    except ValueError as exc:
        raise ParseError(str(exc), text, 0) from None


_GLUED = re.compile(
    r"(?P<func>" + "|".join(sorted(map(re.escape, _FUNCTIONS), key=len, reverse=True)) + r")"
    r"(?P<arg>[A-Za-z][0-9]*)"
)


def _refuse_glued_functions(text: str, tree: Node, order: Sequence[str] | None) -> None:
    """Refuse a variable such as ``sinx``: a function name glued to a variable name."""
    declared = set(order) if order is not None and not isinstance(order, str) else set()
    for name in variables(tree):
        match = _GLUED.fullmatch(name)
        if match is None or name in declared:
            continue
        column = next(t.column for t in tokenize(text) if t.kind == NAME and t.text == name)
        func, arg = match["func"], match["arg"]
        raise ParseError(
            f"unknown name {name!r}: did you mean {func}({arg})? "
            f"(a variable named {name} must be declared, e.g. --vars {name})",
            text,
            column,
        )


def _is_name(name: str) -> bool:
    """Whether ``name`` could be a variable in a formula (not a function or constant)."""
    return (
        re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) is not None
        and name not in _FUNCTIONS
        and name not in CONSTANT_NAMES
    )


def _known_functions() -> str:
    return ", ".join(sorted(FUNCTION_NAMES))


class _Parser:
    """One parse: the tokens, the operand stack and the operator stack."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = tokenize(text)
        # Operands carry their nesting depth so that the depth limit is checked while building;
        # a chain of one associative operator (a + b + c, a*b*c) counts as one level.
        self.operands: list[tuple[Node, int]] = []
        self.operators: list[_Operator] = []
        self.open_parens = 0

    def error(self, message: str, column: int) -> ParseError:
        return ParseError(message, self.text, column)

    def run(self) -> Node:
        tokens = self.tokens
        if tokens[0].kind == END:
            raise self.error("empty formula", 0)
        expect_operand = True
        i = 0
        while True:
            tok = tokens[i]
            if expect_operand:
                i = self.operand(i)
                # After an operand-starting token we expect an operator, except after a prefix
                # sign, an opening parenthesis or a function call's parenthesis.
                expect_operand = tokens[i - 1].kind in (OP, LPAREN)
                continue
            if tok.kind == OP:
                self.push_binary(tok.text, tok.column)
                expect_operand = True
            elif tok.kind == NAME or tok.kind == LPAREN:
                self.push_binary("*", tok.column)  # implicit product; tok is read next
                expect_operand = True
                continue
            elif tok.kind == RPAREN:
                self.close_paren(tok)
            elif tok.kind == COMMA:
                self.comma(tok)
            elif tok.kind == NUMBER:
                raise self.error(
                    f"expected an operator before the number {tok.text!r} "
                    f"(write '*' for a product)",
                    tok.column,
                )
            else:  # END
                return self.finish()
            i += 1

    def operand(self, i: int) -> int:
        """Read the token at ``i`` where an operand must start; return the next index."""
        tok = self.tokens[i]
        nxt = self.tokens[i + 1] if tok.kind != END else tok
        if tok.kind == NUMBER:
            assert tok.value is not None  # a number token always carries its value
            self.operands.append((Num(tok.value), 1))
        elif tok.kind == NAME:
            return self.name(tok, nxt, i)
        elif tok.kind == OP and tok.text in "+-":
            if tok.text == "-":
                self.operators.append(_Operator("neg", tok.column))
            if nxt.kind == END:
                raise self.error(f"expected {_OPERAND} after {tok.text!r}", tok.column)
        elif tok.kind == LPAREN:
            self.open(tok.column, None)
        elif tok.kind == END:
            last = self.tokens[i - 1]
            if last.kind == LPAREN:
                raise self.error("unclosed '('", self.operators[-1].column)
            raise self.error(f"expected {_OPERAND} after {last.text!r}", last.column)
        elif tok.kind == RPAREN:
            if i == 0:
                raise self.error("unmatched ')': no '(' before it", tok.column)
            last = self.tokens[i - 1]
            if last.kind == LPAREN:
                what = self.operators[-1].func
                if what is not None:
                    raise self.error(f"{what} needs an argument: {what}(...)", tok.column)
                raise self.error("empty parentheses '()'", tok.column)
            raise self.error(f"expected {_OPERAND} after {last.text!r}, found ')'", tok.column)
        else:
            raise self.error(f"expected {_OPERAND}, found {tok.text!r}", tok.column)
        return i + 1

    def name(self, tok: Token, nxt: Token, i: int) -> int:
        """Read a name: a function call, a constant or a variable."""
        name = tok.text
        if name in _FUNCTIONS:
            if nxt.kind != LPAREN:
                raise self.error(f"{name} needs parentheses: {name}(...)", tok.column)
            self.open(nxt.column, _FUNCTIONS[name])
            return i + 2
        if name in CONSTANT_NAMES:
            self.operands.append((Const(name), 1))
        elif nxt.kind == LPAREN and not _VARIABLE_LIKE.fullmatch(name):
            raise self.error(
                f"unknown function {name!r}; known functions: {_known_functions()}", tok.column
            )
        else:
            self.operands.append((Var(name), 1))
        return i + 1

    def open(self, column: int, func: str | None) -> None:
        self.open_parens += 1
        if self.open_parens > MAX_DEPTH:
            raise self.error(_TOO_DEEP, column)
        self.operators.append(_Operator("(", column, func))

    def push_binary(self, op: str, column: int) -> None:
        """Reduce what binds at least as tightly as ``op``, then push ``op``."""
        prec = _PREC[op]
        right_assoc = op == "^"
        ops = self.operators
        while ops and ops[-1].kind != "(":
            top = ops[-1].prec
            if top > prec or (top == prec and not right_assoc):
                self.reduce(ops.pop())
            else:
                break
        ops.append(_Operator(op, column))

    def reduce(self, op: _Operator) -> None:
        """Apply one operator to the operands on top of the stack."""
        if op.kind == "neg":
            operand, d = self.operands.pop()
            self.push_node(Unary("-", operand), d + 1, op.column)
        else:
            right, dr = self.operands.pop()
            left, dl = self.operands.pop()
            chained = op.kind != "^" and isinstance(left, Binary) and _PREC[left.op] == op.prec
            depth = max(dl, dr + 1) if chained else max(dl, dr) + 1
            self.push_node(Binary(op.kind, left, right), depth, op.column)

    def push_node(self, node: Node, depth: int, column: int) -> None:
        if depth > MAX_DEPTH:
            raise self.error(_TOO_DEEP, column)
        self.operands.append((node, depth))

    def close_paren(self, tok: Token) -> None:
        ops = self.operators
        while ops and ops[-1].kind != "(":
            self.reduce(ops.pop())
        if not ops:
            raise self.error("unmatched ')': no '(' before it", tok.column)
        paren = ops.pop()
        self.open_parens -= 1
        if paren.func is not None:
            arg, d = self.operands.pop()
            self.push_node(Call(paren.func, arg), d + 1, paren.column)

    def comma(self, tok: Token) -> None:
        for op in reversed(self.operators):
            if op.kind == "(":
                if op.func is not None:
                    raise self.error(f"{op.func} takes one argument", tok.column)
                break
        raise self.error("unexpected ','; functions take one argument", tok.column)

    def finish(self) -> Node:
        ops = self.operators
        while ops:
            op = ops.pop()
            if op.kind == "(":
                raise self.error("unclosed '('", op.column)
            self.reduce(op)
        # The grammar leaves exactly one operand: every binary operator was pushed between two.
        ((tree, _depth),) = self.operands
        return tree
