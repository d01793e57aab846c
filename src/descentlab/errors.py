"""The exceptions and warnings descentlab raises.

Everything a user can get wrong raises a subclass of :class:`DescentlabError`; the CLI catches
exactly these, prints one line and exits with status 2. Numerical trouble during a run (divergence,
NaN, the iteration limit) is never an exception: it is a ``Result.status``.
"""

from __future__ import annotations


class DescentlabError(Exception):
    """Base class of every error descentlab raises on bad input."""


class ParseError(DescentlabError, ValueError):
    """A formula that cannot be read.

    Args:
        message: What was wrong, in words (``"expected ')'"``).
        text: The formula as typed.
        column: 0-based index into ``text`` where the problem is.
    """

    def __init__(self, message: str, text: str = "", column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.column = max(0, min(column, len(text)))

    def caret(self) -> str:
        """The formula (shortened around the column if long) with a ``^`` under the column."""
        text, col = self.text, self.column
        start = max(0, col - 40)
        end = min(len(text), col + 40)
        snippet = text[start:end].replace("\n", " ").replace("\t", " ")
        prefix = "..." if start > 0 else ""
        suffix = "..." if end < len(text) else ""
        shown = "".join(ch if ch.isprintable() else "?" for ch in snippet)
        return f"{prefix}{shown}{suffix}\n{' ' * (len(prefix) + col - start)}^"

    def one_line(self) -> str:
        """The message with its column, for a terminal's single error line."""
        return f"{self.message} at column {self.column + 1}"

    def __str__(self) -> str:
        if not self.text:
            return self.message
        return f"{self.one_line()}\n{self.caret()}"


class ConfigError(DescentlabError, ValueError):
    """A setting out of range or of the wrong kind (``lr must be > 0 (got -1.0)``)."""


class EvaluationError(DescentlabError, ValueError):
    """A formula evaluated where it is not defined (``log(-1)``) or with the wrong inputs."""


class RenderError(DescentlabError):
    """An animation or picture that cannot be written (missing writer, bad path, bad suffix)."""


class DescentlabWarning(UserWarning):
    """An option that has no effect, or a result worth a second look."""
