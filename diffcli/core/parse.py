"""Text to graph: a safe parser for diffcli's expression language.

This module checks the text (length, characters, nesting), splits it into statements and handles
assignments; each statement goes through ``ast.parse(..., mode="eval")`` (:mod:`diffcli.core.splitter`,
which keeps long chains from CPython's recursive parser) and then a whitelist walk with an explicit stack
(:mod:`diffcli.core.whitelist`), building the hash-consed :class:`~diffcli.core.graph.Graph` directly.
Nothing the user writes is ever evaluated by Python: only numbers are converted, and only the primitive
table's functions are applied, to constants, in float64.

* ``^`` is power (as ``**``), ``-x**2`` is ``-(x**2)``, ``x**y**z`` is ``x**(y**z)``;
* ``log(x, b)`` is ``log(x)/log(b)``; ``min`` and ``max`` take two or more arguments;
* ``pi``, ``e`` and ``tau`` are constants (so ``e`` cannot be a variable);
* a program is statements separated by ``;`` or newlines, ``name = expression`` each, ending with the
  output expression; assigned names label the graph's nodes and are assigned once, before use.

>>> g = parse("a = x*z; b = log(x); exp(a) + a/b + sin(b)/a")
>>> g.variable_names
['x', 'z']
"""

from __future__ import annotations

import bisect
import keyword
import math
import re
import unicodedata

from diffcli.core.errors import DiffcliError, LimitError, ParseError, UsageError, cut
from diffcli.core.graph import Graph, gc_paused
from diffcli.core.primitives import CONSTANTS, FUNCTIONS
from diffcli.core.splitter import keyword_as_name, parse_piece

MAX_INPUT_CHARS = 2_000_000
"""Longest text accepted (a whole program): about 10 characters per node of :data:`MAX_NODES`."""

MAX_NESTING = 100
"""Deepest parenthesis nesting accepted; CPython's own parser stops near 200."""

_HINTS = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u2217": "*",
    "\u00f7": "/", "\u2215": "/", "\u00b2": "**2", "\u00b3": "**3", "\u03c0": "pi", "\u221a": "sqrt",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": "a plain space",
    "\u03c4": "tau", "\u2044": "/",
}

_ASSIGNMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")


class _Statement:
    """One statement's text and where it starts in the whole input (1-based line, 0-based column)."""

    def __init__(self, text: str, line: int, start: int):
        self.text, self.line, self.start = text, line, start


@gc_paused()
def parse(text: str) -> Graph:
    """Parse an expression or a program into a graph whose ``output`` is the value it computes.

    Raises :class:`~diffcli.core.errors.ParseError` (with column and a caret) for anything outside the
    language.

    >>> g = parse("x^2 + 1")
    >>> from diffcli.core.printing import to_text
    >>> to_text(g, g.output)
    'x**2 + 1'
    """
    if not isinstance(text, str):
        raise ParseError(f"an expression must be text, not {type(text).__name__}")
    _check_characters(text)
    statements = _split(text)
    if not statements:
        raise ParseError("the expression is empty", column=1, text=text, line=1)
    graph = Graph()
    graph.source = text
    names: dict[str, int] = {}
    used_free: set[str] = set()
    for index, statement in enumerate(statements):
        last = index == len(statements) - 1
        match = _ASSIGNMENT.match(statement.text)
        if match:
            name = match.group(1)
            where = (statement.line, statement.start + match.start(1) + 1)
            if last:
                raise ParseError.at(f"a program must end with an expression, but this line assigns '{name}'",
                             text, where)
            if keyword.iskeyword(name):
                raise ParseError.at(keyword_as_name(name), text, where)
            if name in FUNCTIONS or name in CONSTANTS or name == "log":
                raise ParseError.at(f"'{name}' is a built-in name and cannot be assigned", text, where)
            if name in names:
                raise ParseError.at(f"'{name}' is assigned twice; each name is assigned once", text, where)
            if name in used_free:
                raise ParseError.at(f"'{name}' is used before it is assigned", text, where)
            offset = match.end()
            node = _parse_statement(graph, text, _Statement(statement.text[offset:], statement.line,
                                                            statement.start + offset), names, used_free)
            names[name] = node
            graph.labels.setdefault(node, name)
        else:
            node = _parse_statement(graph, text, statement, names, used_free)
            if not last:  # located at its first character, past the blanks after the ';' or newline
                lead = len(statement.text) - len(statement.text.lstrip())
                raise ParseError.at("only the last statement of a program may be an expression; "
                                    "write 'name = expression' before it", text,
                                    (statement.line, statement.start + lead + 1))
            graph.output = node
    return graph


def parse_point(words, what: str = "point") -> dict[str, float]:
    """The bindings of a point → ``{"x": 2.0, "z": 0.785…}``; each value is a constant expression.

    ``words`` is the command line's words or one text (a file's point after '@'); either way the bindings
    are read from the words joined by spaces, so ``x=2 z=3``, ``x=2,z=3`` and ``x = 2`` are the same
    point wherever they are written: each binding runs from its ``NAME =`` to the next.

    >>> parse_point(["x=2", "z=pi/4"])
    {'x': 2.0, 'z': 0.7853981633974483}
    >>> parse_point(["x", "=", "2,z=3"]) == parse_point("x = 2, z = 3") == {"x": 2.0, "z": 3.0}
    True
    """
    point: dict[str, float] = {}
    for name, value in _bindings(words if isinstance(words, str) else " ".join(words)):
        word = f"{name}={value}"
        if name in CONSTANTS or name in FUNCTIONS:
            raise UsageError(f"{word!r}: '{name}' is a built-in name, not a variable")
        if name in point:
            raise UsageError(f"{word!r}: '{name}' is given twice")
        if len(value) <= 40 and _PLAIN_NUMBER.fullmatch(value) and math.isfinite(float(value)):
            point[name] = float(value)  # what parse gives, without a graph (10,000 variables: 10,000 parses)
            continue
        try:
            graph = parse(value)
        except DiffcliError as error:
            raise UsageError(f"{word!r}: {error}") from None
        if graph.variables:
            raise UsageError(f"{word!r}: the value must be a number or a constant expression; "
                             f"'{graph.variable_names[0]}' is not a known constant")
        point[name] = graph.value(graph.output)
    return point


_PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+\.[0-9]*|\.[0-9]+|0|[1-9][0-9]*)(?:[eE][+-]?[0-9]+)?")
"""A number Python reads as ``float()`` does (no underscores, no leading zeros of a whole number)."""

_SEPARATORS = " \t\r\f\v,"
"""What may separate two bindings of a point."""
_BINDING = re.compile(r"(?:^|(?<=[ \t\r\f\v,]))([A-Za-z_][A-Za-z0-9_]*)[ \t]*=(?!=)")
"""``NAME =`` at the start or after a separator.  The look-behind keeps the scan linear on hostile text
(``aaaa…a`` would otherwise be retried from every position: quadratic)."""


def _bindings(text: str) -> list[tuple[str, str]]:
    """``"x = 2, z=pi / 4"`` → ``[("x", "2"), ("z", "pi / 4")]``: each binding runs to the next ``NAME =``."""
    text = text.strip()
    if not text:
        return []
    starts = list(_BINDING.finditer(text))
    if not starts or starts[0].start() != 0:
        raise UsageError(f"expected NAME=VALUE, got {cut(text, 41)!r}")
    pairs = []
    for match, following in zip(starts, starts[1:] + [None]):
        end = following.start() if following else len(text)
        pairs.append((match.group(1), text[match.end():end].rstrip(_SEPARATORS).strip()))
    return pairs


# ---------------------------------------------------------------- text checks and splitting

def _check_characters(text: str) -> None:
    if len(text) > MAX_INPUT_CHARS:
        raise LimitError(f"the input has {len(text):,} characters; the limit is {MAX_INPUT_CHARS:,} "
                         "(MAX_INPUT_CHARS)")
    found = _NOT_ALLOWED.search(text)  # the first character that is not printable ASCII, \n, \t or \r
    if found is None:
        return
    position, char = found.start(), found.group()
    hint = _HINTS.get(char)
    if hint is None:
        folded = unicodedata.normalize("NFKC", char)
        hint = folded if folded.isascii() and folded.isprintable() and folded != char else None
    name = unicodedata.name(char, f"U+{ord(char):04X}")
    message = f"non-ASCII character {char!r} ({name})" if char > "\x7e" else \
        f"control character U+{ord(char):04X}"
    message += f"; use {hint!r} instead" if hint else "; expressions are plain ASCII"
    raise ParseError.at(message, text, _line_column(text, position))


_NOT_ALLOWED = re.compile(r"[^ -~\n\t\r]")
"""A character an expression may not hold: anything but printable ASCII (space to ``~``) and ``\\n \\t \\r``
(found by the regular expression engine: a Python loop over the characters cost 0.13 s on a 90,000-node
sum)."""


def _line_column(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


_STRUCTURE = re.compile(r"[();\n]")


def _split(text: str) -> list[_Statement]:
    """Statements at parenthesis depth 0, split at ';' and newlines; checks nesting depth.

    Walks only the characters that matter (a regular expression finds them) and keeps line numbers as it
    goes, so a 100,000-statement program is split in linear time.
    """
    statements, depth = [], 0
    line, line_start = 1, 0                  # the line being scanned and where it starts
    start, start_line, start_column = 0, 1, 0  # the statement being collected
    for match in _STRUCTURE.finditer(text + "\n"):
        char, position = match.group(), match.start()
        if char == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise LimitError(f"parentheses nest deeper than {MAX_NESTING} (MAX_NESTING); "
                                 "write deep models as programs of assignments",
                                 column=position - line_start + 1, text=text, line=line)
            continue
        if char == ")":
            depth = max(depth - 1, 0)
            continue
        if depth == 0:
            piece = text[start:position]
            if piece.strip():
                statements.append(_Statement(piece, start_line, start_column))
            start = position + 1
        if char == "\n":
            line, line_start = line + 1, position + 1
        if depth == 0:
            start_line, start_column = line, start - line_start
    if text[start:].strip():  # an unclosed parenthesis: let Python's parser report it
        statements.append(_Statement(text[start:], start_line, start_column))
    return statements


# ---------------------------------------------------------------- one statement

def _parse_statement(graph: Graph, text: str, statement: _Statement, names: dict, used_free: set) -> int:
    source, shifts = _caret_to_power(statement.text)
    newlines = [i for i, char in enumerate(source) if char == "\n"] if "\n" in source else []

    def original(position: int) -> int:
        """A position in ``source`` as a position in the statement's text: both '*' of a '**' written for
        a '^' are that '^' (so an inserted '*' counts as inserted at its own position too)."""
        return position - bisect.bisect_right(shifts, position)

    def where(position: int) -> tuple[int, int]:
        """A position in ``source`` (0-based, after '^' → '**') to (line, 1-based column) in the whole text;
        a statement may span lines inside parentheses."""
        k = bisect.bisect_left(newlines, position)
        if k == 0:
            return statement.line, statement.start + original(position) + 1
        return statement.line + k, original(position) - original(newlines[k - 1] + 1) + 1

    def where_on_one_line(position: int) -> tuple[int, int]:  # the same, for one line without a '^'
        return line, first + position
    line, first = statement.line, statement.start + 1
    one_line = not newlines and not shifts  # every node is located twice: the common case kept short
    return parse_piece(graph, text, source, 0, where_on_one_line if one_line else where, names, used_free)


def _caret_to_power(text: str) -> tuple[str, list[int]]:
    """Replace '^' by '**'; returns the new text and, in order, the new-text position of each inserted '*'
    (the second of the two that stand for one '^')."""
    if "^" not in text:
        return text, []
    carets = [i for i, char in enumerate(text) if char == "^"]
    return text.replace("^", "**"), [i + k + 1 for k, i in enumerate(carets)]


def as_graph(expression) -> Graph:
    """A Graph as it is, or the Graph of expression text."""
    return expression if isinstance(expression, Graph) else parse(expression)
