"""Graph nodes back to expression text that diffcli parses again (round trip), and to LaTeX.

Printing walks the graph in index order (children first), never recursively.  A node used several times
is written several times in the inline form; when that would make the text large (over
:data:`INLINE_LIMIT`), every printer — :func:`to_program` (``t1 = …; t2 = …; result``, a form diffcli's
parser reads back), :func:`to_latex` (an ``aligned`` block of definitions) and :func:`to_python`
(assignments) — names each sub-expression written more than once, and any longer than
:data:`STATEMENT_LIMIT`, so the output stays linear in the size of the graph.

The text reproduces the graph's structure exactly (``a + (b + c)`` keeps its parentheses), so parsing it
back gives the same floating-point operations and the same value.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import math
from functools import partial
from itertools import count, product
from string import ascii_lowercase

from diffcli.core.domains import SHOWN_CHARS, Words, shorten
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.core.primitives import ATOM, FUNCTIONS, NEG, POW, PRIMITIVES

INLINE_LIMIT = 2_000
"""Above this many characters inline, the printers name shared sub-expressions instead of repeating them."""

STATEMENT_LIMIT = 1_000
"""When names are given, a sub-expression longer than this many characters is named too (so no statement is
huge, and building the text never copies long strings again and again)."""


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
    if names:
        order = sorted(_needed_until(graph, node, names))
        pieces: dict | list = {}
    else:
        needed = graph.reachable([node])
        order = [n for n in range(node + 1) if needed[n]]
        pieces = [None] * (node + 1)
    for n in order:
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


def _needed_until(graph: Graph, node: int, names: dict) -> list[bool] | dict:
    """The nodes printing ``node`` visits, stopping at named ones: a walk of the printed part only."""
    needed = {node: True}
    stack = [node]
    while stack:
        n = stack.pop()
        if n == node or n not in names:
            for a in graph.arguments[n]:
                if a not in needed:
                    needed[a] = True
                    stack.append(a)
    return needed


def to_program(graph: Graph, node: int) -> str:
    """Like :func:`to_text`, but when the inline text would exceed :data:`INLINE_LIMIT` characters the
    sub-expressions written more than once (or longer than :data:`STATEMENT_LIMIT`) are named:
    ``t1 = cos(x); t1 * t1 + t1``, a program diffcli reads back.  Linear in the size of the graph."""
    names = plan(graph, node, (f"t{k}" for k in count(1)), set(graph.variable_names))
    if not names:
        return to_text(graph, node)
    definitions, result = write(graph, node, names, _text_piece)
    return "; ".join([f"{name} = {text}" for name, text in definitions] + [result])


def _uses(graph: Graph, node: int) -> tuple[list[bool], list[int], list[int]]:
    """The nodes ``node`` needs, how many argument slots use each, and how many distinct nodes do."""
    needed = graph.reachable([node])
    uses, users = [0] * (node + 1), [0] * (node + 1)
    for n in range(node + 1):
        if needed[n]:
            for a in graph.arguments[n]:
                uses[a] += 1
            for a in set(graph.arguments[n]):
                users[a] += 1
    return needed, uses, users


def plan(graph: Graph, node: int, candidates, taken: set, shared: bool = False) -> dict[int, str]:
    """Which nodes a printer names, and their names (the ``candidates`` in turn, skipping ``taken``).

    Inline text up to :data:`INLINE_LIMIT` characters is kept as it is (with ``shared``, as
    :func:`to_python` does, nodes used by several others are named even then).  Above it, every node
    written more than once is named, and every node whose text (with the names) is longer than
    :data:`STATEMENT_LIMIT`: each node is then written once, so the output is linear in the graph.
    """
    needed, uses, users = _uses(graph, node)
    big = _inline_sizes(graph, node)[node] > INLINE_LIMIT
    if not big and not shared:
        return {}
    fresh = (candidate for candidate in candidates if candidate not in taken)
    names: dict[int, str] = {}
    sizes = [0] * (node + 1)
    for n in range(node + 1):
        if not needed[n]:
            continue
        op = graph.ops[n]
        if op in (CONST, VAR):
            sizes[n] = len(format_number(graph.data[n])) if op == CONST else len(graph.data[n])
            continue
        sizes[n] = len(op) + 4 + sum(sizes[a] for a in graph.arguments[n])
        if n != node and ((users[n] > 1) if not big else (uses[n] > 1 or sizes[n] > STATEMENT_LIMIT)):
            names[n] = next(fresh)
            sizes[n] = len(names[n])
    return names


def write(graph: Graph, node: int, names: dict, piece) -> tuple[list[tuple[str, str]], str]:
    """``node`` printed with ``names``: the definitions ``(name, text)`` in order, then its own text.

    ``piece(graph, n, pieces)`` prints one node from its arguments' ``(text, precedence)``.  A piece is
    dropped once its last user is printed, so memory stays linear too."""
    needed, uses, _ = _uses(graph, node)
    pieces: list = [None] * (node + 1)
    definitions = []
    for n in range(node + 1):
        if not needed[n]:
            continue
        pieces[n] = piece(graph, n, pieces)
        for a in graph.arguments[n]:
            uses[a] -= 1
            if not uses[a]:
                pieces[a] = None
        if n in names and n != node:
            definitions.append((names[n], pieces[n][0]))
            pieces[n] = (names[n], ATOM)
    return definitions, pieces[node][0]


def fits_inline(graph: Graph, node: int) -> bool:
    """Whether ``node`` written inline (every shared part repeated) stays within :data:`INLINE_LIMIT`."""
    return _inline_sizes(graph, node)[node] <= INLINE_LIMIT


def _inline_sizes(graph: Graph, node: int) -> list[int]:
    """Estimated inline text length of every node (capped, so huge DAGs don't make huge integers): a number
    or a name its length, an application its operator's name + 4 + its arguments' estimates (close to the
    printed text, without counting spaces and parentheses one by one)."""
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
    params = _python_parameters(graph)
    taken = set(graph.variable_names) | set(params.values()) | set(FUNCTIONS) | set(keyword.kwlist) | {"math"}
    names = plan(graph, node, letters(), taken, shared=True)
    powers: list[int] = []
    definitions, result = write(graph, node, names, partial(_python_piece, params, powers))
    body = [f"    {name} = {text}" for name, text in definitions]
    body.append(f"    return {result if graph.ops[node] != CONST else repr(graph.data[node])}")
    from_math, helpers = [], []
    for op in dict.fromkeys([graph.ops[n] for n in range(node + 1) if needed[n]] + ["pow"] * bool(powers)):
        primitive = PRIMITIVES.get(op)
        if primitive is None or (primitive.symbol and not (op == "pow" and powers)):
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
    parameters = ", ".join(params.get(v, graph.data[v]) for v in graph.variables)
    parts.append(f"def {name}({parameters}):\n" + "\n".join(body))
    return "\n\n\n".join(parts)


def _python_parameters(graph: Graph) -> dict[int, str]:
    """Variables whose name Python cannot bind (``__debug__``), renamed with a trailing underscore."""
    taken = set(graph.variable_names)
    renamed = {}
    for v in graph.variables:
        name = graph.data[v]
        if name == "__debug__" or keyword.iskeyword(name):
            while name in taken:
                name += "_"
            taken.add(name)
            renamed[v] = name
    return renamed


def _python_piece(params: dict, powers: list, graph: Graph, node: int, pieces: list) -> tuple[str, int]:
    """A node in Python: renamed parameters, and ``pow(x, y)`` (the table's real power, an error where
    diffcli's domain says so, never a complex number) unless the exponent is a whole constant."""
    if node in params:
        return params[node], ATOM
    arguments = graph.arguments[node]
    if graph.ops[node] == "pow" and not (graph.ops[arguments[1]] == CONST and
                                         float(graph.data[arguments[1]]).is_integer()):
        powers.append(node)
        return f"pow({pieces[arguments[0]][0]}, {pieces[arguments[1]][0]})", ATOM
    return _text_piece(graph, node, pieces)


# ---------------------------------------------------------------- LaTeX

def to_latex(graph: Graph, node: int) -> str:
    r"""LaTeX for ``node`` using each primitive's template: ``\sin\left(x\right) + x^{2}``.

    When the inline form would pass :data:`INLINE_LIMIT` characters, the named sub-expressions of
    :func:`plan` follow as definitions: ``\begin{aligned} & t_{2} \cdot t_{2} \\ \text{where } t_{1} &=
    x \cdot x \\ t_{2} &= t_{1} \cdot t_{1} \end{aligned}``."""
    names = plan(graph, node, (f"t_{{{k}}}" for k in count(1)), set())
    definitions, result = write(graph, node, names, _latex_piece)
    if not definitions:
        return result
    lines = [f"& {result}"] + [("\\text{where } " if k == 0 else "") + f"{name} &= {text}"
                               for k, (name, text) in enumerate(definitions)]
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _latex_piece(graph: Graph, n: int, pieces: list) -> tuple[str, int]:
    op = graph.ops[n]
    if op == CONST:
        text = format_number(graph.data[n])
        return text, NEG if text.startswith("-") else ATOM
    if op == VAR:
        name = graph.data[n]
        return (name if len(name) == 1 else rf"\mathit{{{name}}}"), ATOM
    primitive = PRIMITIVES[op]
    args = [pieces[a] for a in graph.arguments[n]]
    me = primitive.precedence
    if primitive.name == "div":
        texts = [t for t, _ in args]
    elif primitive.name == "pow":
        texts = [_latex_wrap(args[0][0], args[0][1] <= POW), args[1][0]]
    elif primitive.symbol and primitive.arity == 1:  # -(-x), as the text printer writes it: not --x
        texts = [_latex_wrap(args[0][0], args[0][1] <= me)]
    elif primitive.symbol:
        texts = [_latex_wrap(args[0][0], args[0][1] < me)] + [_latex_wrap(t, p <= me) for t, p in args[1:]]
    else:
        texts = [t for t, _ in args]
    return primitive.latex.format(*texts), me if primitive.symbol else ATOM


def _latex_wrap(text: str, needed: bool) -> str:
    return rf"\left({text}\right)" if needed else text
