"""Split the text of a formula into tokens, keeping each token's column.

The tokenizer is written by hand over the user's text (no ``eval``, no Python tokenizer), so every
error can point at a 0-based column of exactly what was typed. It knows only:

- numbers: ``2``, ``0.5``, ``.5``, ``2.``, ``1e-3``, ``1E+5``. An ``e`` that is not followed by
  digits (or a sign and digits) ends the number, so ``2e^x`` is ``2`` then the name ``e``, while
  ``2e-3`` is one number. A literal that overflows to infinity (``1e999``) is refused.
- names: ASCII letters, digits and ``_``, starting with a letter; ``π`` is the name ``pi``.
- operators ``+ - * / ^`` and ``**`` (power, returned as ``^``), parentheses, and ``,`` (only so
  that the parser can say "takes one argument").
- whitespace (space, tab, newline, carriage return), which is skipped.

Anything else (``@``, quotes, brackets, a lone ``.``, NUL, full-width digits, other Unicode) is a
:class:`~descentlab.errors.ParseError` that names the character and its column.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from descentlab.errors import ParseError

NUMBER = "number"
NAME = "name"
OP = "op"
LPAREN = "("
RPAREN = ")"
COMMA = ","
END = "end"

_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_CHARS = _LETTERS | _DIGITS | {"_"}
_WHITESPACE = frozenset(" \t\n\r")
_SINGLE = {"+": OP, "-": OP, "*": OP, "/": OP, "^": OP, "(": LPAREN, ")": RPAREN, ",": COMMA}


class Token(NamedTuple):
    """One token of a formula.

    Attributes:
        kind: ``"number"``, ``"name"``, ``"op"``, ``"("``, ``")"``, ``","`` or ``"end"``.
        text: The token as the parser sees it (``"^"`` for ``**``, ``"pi"`` for ``π``).
        column: 0-based index of its first character in the formula.
        value: The number's value for a ``"number"`` token, else ``None``.
    """

    kind: str
    text: str
    column: int
    value: float | None = None


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with one ``"end"`` token.

    Args:
        text: The formula as typed.

    Returns:
        The tokens in order; the last one has kind ``"end"`` and column ``len(text)``.

    Raises:
        ParseError: An unexpected character, a malformed number (``1.2.3``), a number that
            overflows (``1e999``) or a name starting with ``_``.

    Examples:
        >>> [t.text for t in tokenize("2x**2 + .5")]
        ['2', 'x', '^', '2', '+', '.5', '']
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _WHITESPACE:
            i += 1
        elif ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            token, i = _number(text, i)
            tokens.append(token)
        elif ch in _LETTERS:
            start = i
            while i < n and text[i] in _NAME_CHARS:
                i += 1
            tokens.append(Token(NAME, text[start:i], start))
        elif ch == "π":
            tokens.append(Token(NAME, "pi", i))
            i += 1
        elif ch == "_":
            start = i
            while i < n and text[i] in _NAME_CHARS:
                i += 1
            raise ParseError(
                f"name {text[start:i]!r} is not allowed: names start with a letter", text, start
            )
        elif ch == "*" and text.startswith("**", i):
            tokens.append(Token(OP, "^", i))
            i += 2
        elif ch in _SINGLE:
            tokens.append(Token(_SINGLE[ch], ch, i))
            i += 1
        else:
            raise ParseError(f"unexpected character {ch!r}", text, i)
    tokens.append(Token(END, "", n))
    return tokens


def _number(text: str, start: int) -> tuple[Token, int]:
    """Read the number starting at ``start``; return its token and the index just past it."""
    n = len(text)
    i = start
    while i < n and text[i] in _DIGITS:
        i += 1
    if i < n and text[i] == ".":
        i += 1
        while i < n and text[i] in _DIGITS:
            i += 1
    if i < n and text[i] in "eE":
        # An exponent only if digits follow (after an optional sign): 2e-3 is a number, while in
        # 2e^x or 2ex the e starts a name.
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j] in _DIGITS:
            while j < n and text[j] in _DIGITS:
                j += 1
            i = j
    literal = text[start:i]
    if i < n and text[i] == ".":
        end = i + 1
        while end < n and (text[end] in _DIGITS or text[end] == "."):
            end += 1
        raise ParseError(f"malformed number {_shown(text[start:end])!r}", text, i)
    value = float(literal)
    if not math.isfinite(value):
        raise ParseError(f"number {_shown(literal)!r} is too large", text, start)
    return Token(NUMBER, literal, start, value), i


def _shown(literal: str, limit: int = 30) -> str:
    """A literal for an error message: a 10,000-digit number is shown by its ends."""
    if len(literal) <= limit:
        return literal
    return f"{literal[:12]}...{literal[-12:]} ({len(literal):,} characters)"
