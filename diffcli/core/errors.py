"""The one exception family of diffcli.

Every problem the library reports is a :class:`DiffcliError` carrying a message and, where it is known,
the line and column of the problem in the user's text.  The command line prints ``str(error)`` as its one
line on stderr and exits 2; :meth:`DiffcliError.caret` gives the expression with a caret under the problem
for interactive use.
"""

from __future__ import annotations

from typing import Callable


class DiffcliError(Exception):
    """Base class: a message, and optionally where in ``text`` the problem is (1-based line and column)."""

    def __init__(self, message: str, column: int | None = None, text: str | None = None,
                 line: int | None = None):
        super().__init__(message)
        self.message = message
        self.column = column
        self.text = text
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.column is not None:
            multi_line = self.text is not None and "\n" in self.text.strip("\n")
            where = (f"line {self.line}, " if multi_line and self.line else "") + f"column {self.column}: "
        return where + self.message

    def caret(self, show: Callable[[str], str] = str) -> list[str]:
        """The offending line of the expression and a caret line under the problem (empty if unknown).

        ``show`` makes text safe for a terminal (the command line passes ``render.base.printable``, which
        writes control characters as escapes); the caret stands under the shown text.

        >>> DiffcliError("unexpected end", column=4, text="x +").caret()
        ['  x +', '     ^']
        >>> DiffcliError("bad", column=3, text="x\\x1b+").caret(lambda s: s.replace("\\x1b", "<ESC>"))
        ['  x<ESC>+', '        ^']
        """
        if self.column is None or self.text is None:
            return []
        lines = self.text.split("\n")
        source = lines[(self.line or 1) - 1] if (self.line or 1) <= len(lines) else lines[-1]
        if len(source) > 200:  # keep the window around the caret readable
            start = max(0, self.column - 100)
            source, column = source[start:start + 200], self.column - start
        else:
            column = self.column
        return ["  " + show(source), "  " + " " * len(show(source[:column - 1])) + "^"]


class ParseError(DiffcliError):
    """The text is not an expression of diffcli's language (README: the expression language)."""

    @classmethod
    def at(cls, message: str, text: str, where: tuple[int, int]) -> "ParseError":
        """The error at ``where``, a (1-based line, 1-based column) pair in ``text``."""
        return cls(message, column=where[1], text=text, line=where[0])


class LimitError(ParseError):
    """The input exceeds one of the named size limits."""


class DomainError(DiffcliError):
    """A function was applied outside its domain (``log(-1)``, ``1/0``) or overflowed."""


class RuleError(DomainError, ValueError):
    """A partial derivative's rule cannot be evaluated: ``node``'s rule for its ``argument``-th argument
    (``sqrt(x)``'s ``0.5/y`` at 0), raised by the one backward loop with the node it was working on.  Also a
    ValueError (what a rule raises on floats, "math domain error"), so code that caught the rule's own
    exception around the loop still catches it."""

    def __init__(self, message: str, node: int, argument: int, **where):
        super().__init__(message, **where)
        self.node, self.argument = node, argument


class UsageError(DiffcliError):
    """Options or bindings are wrong: a missing variable, an unknown method, a bad ``NAME=VALUE``."""


class PrecisionError(DiffcliError):
    """The high-precision reference could not be computed to the digits asked for."""


def cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, the last of them an ellipsis, where it is longer: the one way
    messages (here) and table cells (``render``) shorten what the user wrote.

    >>> cut("exp(x*z) + x", 6)
    'exp(x…'
    >>> cut("x", 6)
    'x'
    """
    return text if len(text) <= width else text[:width - 1] + "…"
