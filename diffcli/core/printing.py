"""Graph nodes back to expression text that diffcli parses again (round trip), and to LaTeX.

Printing walks the graph in index order (children first), never recursively.  A node used several times
is written several times in the inline form; when that would make the text large, :func:`to_program`
names the shared sub-expressions (``t1 = …; t2 = …; result``), a form diffcli's parser reads back.

The text reproduces the graph's structure exactly (``a + (b + c)`` keeps its parentheses), so parsing it
back gives the same floating-point operations and the same value.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import math
from itertools import count, product
from string import ascii_lowercase

from diffcli.core.domains import SHOWN_CHARS, Words, shorten
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.core.primitives import ATOM, FUNCTIONS, NEG, POW, PRIMITIVES

INLINE_LIMIT = 2_000
"""Above this many characters, :func:`to_program` names shared sub-expressions instead of repeating them."""


def format_number(value: float) -> str:
    """Shortest text that reads back as the same double: ``2`` for 2.0, ``0.1``, ``1e+20``."""
    if value == int(value) and abs(value) < 1e16:
        return str(int(value)) if value or str(value)[0] != "-" else "-0.0"
    return repr(value)


def _text_piece(graph: Graph, node: int, pieces: list) -> tuple[str, int]:
    op = graph.ops[node]
    if op == CONST:
        text = format_number(graph.data[node])
        return text, NEG if text.startswith("-") else ATOM
    if op == VAR:
        return graph.data[node], ATOM
    primitive = PRIMITIVES[op]
    args = [pieces[a] for a in graph.arguments[node]]
    if primitive.symbol and primitive.arity == 1:
        inner, prec = args[0]
        return f"-{_wrap(inner, prec <= NEG)}", NEG
    if primitive.symbol:
        (left, lp), (right, rp) = args
        me = primitive.precedence
        if primitive.symbol == "**":
            return f"{_wrap(left, lp <= POW)}**{_wrap(right, rp < POW)}", POW
        return f"{_wrap(left, lp < me)} {primitive.symbol} {_wrap(right, rp <= me)}", me
    return f"{primitive.name}({', '.join(text for text, _ in args)})", ATOM


def _wrap(text: str, needed: bool) -> str:
    return f"({text})" if needed else text


def to_text(graph: Graph, node: int, names: dict | None = None, keep: int | None = None) -> str:
    """The expression computing ``node``, inline, in diffcli's (Python) syntax.

    ``names`` maps nodes to names to print instead of their expression (used by :func:`to_program`).
    With ``keep``, only the first ``keep`` characters: every piece is cut as it is built, so a text that
    would be huge (a derivative's shared sub-expressions written out) costs time linear in the graph.
    """
    needed = graph.reachable([node]) if not names else _needed_until(graph, node, names)
    pieces: list = [None] * (node + 1)
    for n in range(node + 1):
        if not needed[n]:
            continue
        if names and n in names and n != node:
            pieces[n] = (names[n], ATOM)
        else:
            pieces[n] = _text_piece(graph, n, pieces)
            if keep is not None:
                pieces[n] = (pieces[n][0][:keep], pieces[n][1])
    return pieces[node][0]


# ---------------------------------------------------------------- a node in the user's words (errors)

def written(graph: Graph, node: int, named: bool = True) -> str:
    """``node`` as the user wrote it, for a message: a number; its program name (with ``named``); the text
    where it first appears; else its expression printed with the program's names, cut short.

    >>> from diffcli.core.parse import parse
    >>> g = parse("a = z^2; b = x + 1/(a-3); b")
    >>> written(g, g.arguments[g.output][1]), written(g, g.output), written(g, g.output, named=False)
    ('1/(a-3)', 'b', 'x + 1/(a-3)')
    """
    if graph.ops[node] == CONST:
        return format_number(graph.data[node])
    if named and node in graph.labels:
        return graph.labels[node]
    span = _span(graph, node)
    if span is None:
        span = to_text(graph, node, graph.labels, keep=2 * SHOWN_CHARS)
    return shorten(span)


def words(graph: Graph, node: int) -> Words:
    """How the application at ``node`` reads in a message (:func:`diffcli.core.domains.failure`)."""
    arguments = graph.arguments[node]
    return Words(written(graph, node, named=False), tuple(written(graph, a) for a in arguments),
                 tuple(graph.ops[a] != CONST for a in arguments))


def _span(graph: Graph, node: int) -> str | None:
    """The text the user wrote for ``node`` where it first appears (None if not known)."""
    start, end = graph.positions.get(node), graph.ends.get(node)
    if start is None or end is None or graph.source is None:
        return None
    return between(graph.source, start, end)


def between(text: str, start: tuple[int, int], end: tuple[int, int]) -> str | None:
    """The (start of the) text from one (line, column) to another, or None if it is empty."""
    first, last = _offset(text, *start), _offset(text, *end)
    return text[first:min(last, first + 2 * SHOWN_CHARS)] if first < last else None


def _offset(text: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + column - 1


def _needed_until(graph: Graph, node: int, names: dict) -> list[bool]:
    needed = [False] * (node + 1)
    needed[node] = True
    for n in range(node, -1, -1):
        if needed[n] and (n == node or n not in names):
            for a in graph.arguments[n]:
                needed[a] = True
    return needed


def to_program(graph: Graph, node: int) -> str:
    """Like :func:`to_text`, but sub-expressions used more than once are named when the inline text
    would exceed :data:`INLINE_LIMIT` characters: ``t1 = cos(x); t1 * t1 + t1``."""
    sizes = _inline_sizes(graph, node)
    if sizes[node] <= INLINE_LIMIT:
        return to_text(graph, node)
    needed = graph.reachable([node])
    uses = [0] * (node + 1)
    for n in range(node + 1):
        if needed[n]:
            for a in graph.arguments[n]:
                uses[a] += 1
    taken = set(graph.variable_names)
    names: dict[int, str] = {}
    counter = 0
    statements = []
    for n in range(node):
        if needed[n] and uses[n] > 1 and graph.ops[n] not in (CONST, VAR):
            counter += 1
            while f"t{counter}" in taken:
                counter += 1
            statements.append(f"t{counter} = {to_text(graph, n, names)}")
            names[n] = f"t{counter}"
    statements.append(to_text(graph, node, names))
    return "; ".join(statements)


def _inline_sizes(graph: Graph, node: int) -> list[int]:
    """Approximate inline text length of every node (capped, so huge DAGs don't make huge integers)."""
    cap = INLINE_LIMIT + 1
    sizes = [0] * (node + 1)
    for n in range(node + 1):
        op = graph.ops[n]
        if op == CONST:
            sizes[n] = len(format_number(graph.data[n]))
        elif op == VAR:
            sizes[n] = len(graph.data[n])
        else:
            sizes[n] = min(cap, len(op) + 4 + sum(sizes[a] for a in graph.arguments[n]))
    return sizes


def letters():
    """``a, b, …, z, aa, ab, …``: names for intermediates, in order."""
    for length in count(1):
        for chosen in product(ascii_lowercase, repeat=length):
            yield "".join(chosen)


# ---------------------------------------------------------------- Python

def to_python(graph: Graph, node: int, name: str = "derivative") -> str:
    """A self-contained Python function computing ``node`` from the graph's variables: imports from
    :mod:`math`, the source of the table's own float evaluators where ``math`` has none (``sigmoid``…),
    then straight-line code with one assignment per sub-expression used more than once (named
    ``a, b, c, …`` like the lecture's intermediates) and the result.

    >>> from diffcli.core.parse import parse
    >>> g = parse("sin(x*z) + x*z")
    >>> print(to_python(g, g.output, "f"))
    from math import sin
    <BLANKLINE>
    <BLANKLINE>
    def f(x, z):
        a = x * z
        return sin(a) + a
    """
    needed = graph.reachable([node])
    uses = [0] * (node + 1)
    for n in range(node + 1):
        if needed[n]:
            for a in set(graph.arguments[n]):
                uses[a] += 1
    taken = set(graph.variable_names) | set(FUNCTIONS) | set(keyword.kwlist) | {"math"}
    fresh = (candidate for candidate in letters() if candidate not in taken)
    names: dict[int, str] = {}
    body = []
    for n in range(node):
        if needed[n] and uses[n] > 1 and graph.ops[n] not in (CONST, VAR):
            names[n] = next(fresh)
            body.append(f"    {names[n]} = {to_text(graph, n, names)}")
    result = to_text(graph, node, names) if graph.ops[node] != CONST else repr(graph.data[node])
    body.append(f"    return {result}")
    from_math, helpers = [], []
    for op in dict.fromkeys(graph.ops[n] for n in range(node + 1) if needed[n]):
        primitive = PRIMITIVES.get(op)
        if primitive is None or primitive.symbol:
            continue
        real = primitive.real
        if getattr(math, getattr(real, "__name__", ""), None) is real:
            from_math.append(real.__name__ if real.__name__ == primitive.name
                             else f"{real.__name__} as {primitive.name}")
        elif getattr(builtins, getattr(real, "__name__", ""), None) is not real:
            source = inspect.getsource(real)  # a module-level def of primitives.py, using only math
            helpers.append(source.replace(f"def {real.__name__}(", f"def {primitive.name}(", 1).rstrip())
    header = []
    if helpers:
        header.append("import math")
    if from_math:
        header.append(f"from math import {', '.join(sorted(from_math))}")
    parts = ["\n".join(header)] if header else []
    parts += helpers
    params = ", ".join(graph.variable_names)
    parts.append(f"def {name}({params}):\n" + "\n".join(body))
    return "\n\n\n".join(parts)


# ---------------------------------------------------------------- LaTeX

def to_latex(graph: Graph, node: int) -> str:
    r"""LaTeX for ``node`` using each primitive's template: ``\sin\left(x\right) + x^{2}``."""
    needed = graph.reachable([node])
    pieces: list = [None] * (node + 1)
    for n in range(node + 1):
        if not needed[n]:
            continue
        op = graph.ops[n]
        if op == CONST:
            text = format_number(graph.data[n])
            pieces[n] = (text, NEG if text.startswith("-") else ATOM)
        elif op == VAR:
            name = graph.data[n]
            pieces[n] = (name if len(name) == 1 else rf"\mathit{{{name}}}", ATOM)
        else:
            primitive = PRIMITIVES[op]
            args = [pieces[a] for a in graph.arguments[n]]
            me = primitive.precedence
            if primitive.name == "div":
                texts = [t for t, _ in args]
            elif primitive.name == "pow":
                texts = [_latex_wrap(args[0][0], args[0][1] <= POW), args[1][0]]
            elif primitive.symbol:
                texts = [_latex_wrap(args[0][0], args[0][1] < me)] + \
                        [_latex_wrap(t, p <= me) for t, p in args[1:]]
            else:
                texts = [t for t, _ in args]
            pieces[n] = (primitive.latex.format(*texts), me if primitive.symbol else ATOM)
    return pieces[node][0]


def _latex_wrap(text: str, needed: bool) -> str:
    return rf"\left({text}\right)" if needed else text
