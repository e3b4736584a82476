"""Text to graph: a safe parser for diffcli's expression language (DESIGN §3).

Each statement goes through ``ast.parse(..., mode="eval")`` and then a whitelist walk with an explicit stack
(no recursion), building the hash-consed :class:`~diffcli.core.graph.Graph` directly.  Nothing the user writes is
ever evaluated by Python: only numbers are converted, and only the primitive table's functions are applied,
to constants, in float64.

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

import ast
import bisect
import difflib
import re
import unicodedata

from diffcli.core.errors import DiffcliError, DomainError, LimitError, ParseError, UsageError
from diffcli.core.graph import Graph, gc_paused
from diffcli.core.primitives import CONSTANTS, FUNCTIONS, PRIMITIVES

MAX_INPUT_CHARS = 10_000_000
"""Longest text accepted (a whole program)."""

MAX_NESTING = 100
"""Deepest parenthesis nesting accepted; CPython's own parser stops near 200."""

_HINTS = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u2217": "*",
    "\u00f7": "/", "\u2215": "/", "\u00b2": "**2", "\u00b3": "**3", "\u03c0": "pi", "\u221a": "sqrt",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": "a plain space",
    "\u03c4": "tau", "\u2044": "/",
}

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_UNARY = {ast.USub: "neg"}
_OPERATOR_TEXT = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
                  ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^", ast.Not: "not", ast.Invert: "~"}
_REJECTED = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed", ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed", ast.GeneratorExp: "comprehensions are not allowed",
    ast.Compare: "comparisons are not allowed", ast.BoolOp: "'and' and 'or' are not allowed",
    ast.IfExp: "conditional expressions are not allowed", ast.NamedExpr: "':=' is not allowed",
    ast.JoinedStr: "strings are not allowed", ast.FormattedValue: "strings are not allowed",
    ast.List: "lists are not allowed", ast.Tuple: "tuples are not allowed", ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed", ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "await is not allowed", ast.Yield: "yield is not allowed", ast.YieldFrom: "yield is not allowed",
    ast.Slice: "slices are not allowed",
}
_ASSIGNMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")


class _Statement:
    """One statement's text and where it starts in the whole input (1-based line, 0-based column)."""

    def __init__(self, text: str, line: int, start: int):
        self.text, self.line, self.start = text, line, start


@gc_paused()
def parse(text: str) -> Graph:
    """Parse an expression or a program into a graph whose ``output`` is the value it computes.

    Raises :class:`~diffcli.core.errors.ParseError` (with column and a caret) for anything outside the language.

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
                raise _error(f"a program must end with an expression, but this line assigns '{name}'",
                             text, where)
            if name in FUNCTIONS or name in CONSTANTS or name == "log":
                raise _error(f"'{name}' is a built-in name and cannot be assigned", text, where)
            if name in names:
                raise _error(f"'{name}' is assigned twice; each name is assigned once", text, where)
            if name in used_free:
                raise _error(f"'{name}' is used before it is assigned", text, where)
            offset = match.end()
            node = _parse_statement(graph, text, _Statement(statement.text[offset:], statement.line,
                                                            statement.start + offset), names, used_free)
            names[name] = node
            graph.labels.setdefault(node, name)
        else:
            node = _parse_statement(graph, text, statement, names, used_free)
            if not last:
                raise _error("only the last statement of a program may be an expression; "
                             "write 'name = expression' before it", text, (statement.line, statement.start + 1))
            graph.output = node
    return graph


def parse_point(words, what: str = "point") -> dict[str, float]:
    """``["x=2", "z=pi/4"]`` → ``{"x": 2.0, "z": 0.785…}``; each value is a constant expression.

    >>> parse_point(["x=2", "z=pi/4"])
    {'x': 2.0, 'z': 0.7853981633974483}
    """
    point: dict[str, float] = {}
    for word in words:
        name, sep, value = word.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise UsageError(f"expected NAME=VALUE, got {word!r}")
        if name in CONSTANTS or name in FUNCTIONS:
            raise UsageError(f"{word!r}: '{name}' is a built-in name, not a variable")
        if name in point:
            raise UsageError(f"{word!r}: '{name}' is given twice")
        try:
            graph = parse(value)
        except DiffcliError as error:
            raise UsageError(f"{word!r}: {error}") from None
        if graph.variables:
            raise UsageError(f"{word!r}: the value must be a number or a constant expression; "
                             f"'{graph.variable_names[0]}' is not a known constant")
        point[name] = graph.value(graph.output)
    return point


# ---------------------------------------------------------------- text checks and splitting

def _check_characters(text: str) -> None:
    if len(text) > MAX_INPUT_CHARS:
        raise LimitError(f"the input has {len(text):,} characters; the limit is {MAX_INPUT_CHARS:,} "
                         "(MAX_INPUT_CHARS)")
    for position, char in enumerate(text):
        if char > "\x7e" or (char < " " and char not in "\n\t\r"):
            where = _line_column(text, position)
            hint = _HINTS.get(char)
            if hint is None:
                folded = unicodedata.normalize("NFKC", char)
                hint = folded if folded.isascii() and folded.isprintable() and folded != char else None
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            message = f"non-ASCII character {char!r} ({name})" if char > "\x7e" else \
                f"control character U+{ord(char):04X}"
            message += f"; use {hint!r} instead" if hint else "; expressions are plain ASCII"
            raise _error(message, text, where)


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


def _error(message: str, text: str, where: tuple[int, int]) -> ParseError:
    return ParseError(message, column=where[1], text=text, line=where[0])


# ---------------------------------------------------------------- one statement

def _parse_statement(graph: Graph, text: str, statement: _Statement, names: dict, used_free: set) -> int:
    source, shifts = _caret_to_power(statement.text)
    newlines = [i for i, char in enumerate(source) if char == "\n"] if "\n" in source else []

    def original(position: int) -> int:
        return position - bisect.bisect_left(shifts, position)

    def where(position: int) -> tuple[int, int]:
        """A position in ``source`` (0-based, after '^' → '**') to (line, 1-based column) in the whole text;
        a statement may span lines inside parentheses."""
        k = bisect.bisect_left(newlines, position)
        if k == 0:
            return statement.line, statement.start + original(position) + 1
        return statement.line + k, original(position) - original(newlines[k - 1] + 1) + 1

    return _parse_piece(graph, text, source, 0, where, names, used_free)


def _parse_piece(graph: Graph, text: str, piece: str, offset: int, where, names: dict, used_free: set) -> int:
    """Parse ``piece`` (which starts at ``offset`` in the statement's source) into a node.

    A long flat chain (``t1 + t2 + … + t100000``) overflows CPython's parser, which recurses once per operator;
    such a piece — any piece over :data:`CHAIN_SPLIT_CHARS`, or one the parser gives up on — is split at its
    top-level ``+``/``-`` (else ``*``/``/``) operators and parsed in runs of :data:`CHAIN_RUN` parts
    (:func:`_parse_chain`), the parts folded left to right exactly as Python would have associated them.
    """
    parts = None
    if len(piece) > CHAIN_SPLIT_CHARS:
        parts = _split_chain(piece, "+-") or _split_chain(piece, "*/")
    if parts is None:
        try:
            tree, locate = _syntax_tree(text, piece, offset, where)
        except (RecursionError, MemoryError):
            parts = _split_chain(piece, "+-") or _split_chain(piece, "*/")
            if parts is None:
                line, column = where(offset + len(piece) - len(piece.lstrip()))
                raise LimitError("too deeply nested for Python's parser (about 200 parentheses, or a long chain "
                                 "of '**' or of unary signs); write it as a program of assignments: a = ...; "
                                 "b = ...; a + b", column=column, text=text, line=line) from None
        else:
            return _build(graph, tree.body, text, locate, names, used_free)
    return _parse_chain(graph, text, piece, offset, where, parts, names, used_free)


CHAIN_SPLIT_CHARS = 20_000
"""Pieces longer than this are split at their top-level operators before CPython's parser sees them (a
flat chain of a few thousand terms would make it recurse past its limit, after doing most of the work)."""

CHAIN_RUN = 200
"""Parts of a split chain parsed in one call of CPython's parser (each call costs about as much as 40 parts)."""


def _syntax_tree(text: str, piece: str, offset: int, where):
    """``(tree, locate)``: ``piece`` parsed by CPython (mode "eval"), and a function from an AST node to its
    (line, column) in the whole text.  A syntax error is a ParseError; RecursionError passes through."""
    lead = len(piece) - len(piece.lstrip())
    stripped = piece.strip()
    line_starts = [0] + [i + 1 for i, char in enumerate(stripped) if char == "\n"] if "\n" in stripped else [0]

    def position(lineno: int, column0: int) -> int:
        """An AST position (1-based line, 0-based column in ``stripped``) as a position in the source."""
        return offset + lead + line_starts[min(max(lineno, 1), len(line_starts)) - 1] + column0

    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as error:
        message = (error.msg or "invalid syntax").rstrip(".")
        at = position(error.lineno or 1, (error.offset or 0) - 1)
        if (error.offset or 0) < 1 or at >= offset + lead + len(stripped):  # offset 0 means "at the end"
            at, message = offset + lead + len(stripped), "the expression ends too early"
        raise _error(f"syntax error: {message}", text, where(at)) from None
    except ValueError as error:
        raise _error(f"invalid input: {error}", text, where(offset + lead)) from None
    return tree, lambda node: where(position(getattr(node, "lineno", 1), getattr(node, "col_offset", 0)))


def _parse_chain(graph: Graph, text: str, piece: str, offset: int, where, parts: list, names: dict,
                 used_free: set) -> int:
    """Fold the parts of a split chain (:func:`_split_chain`) left to right into one node.

    Each run of :data:`CHAIN_RUN` parts is parsed in one call: its tree is the chain ``((p1 op p2) op p3) …``,
    whose left spine gives back the parts' trees.  A run the parser gives up on (a part nested deeply
    itself) is parsed part by part, each part as a piece of its own.
    """
    node = None
    for first in range(0, len(parts), CHAIN_RUN):
        run = parts[first:first + CHAIN_RUN]
        start, end = run[0][1], run[-1][2]
        try:
            tree, locate = _syntax_tree(text, piece[start:end], offset + start, where)
        except (RecursionError, MemoryError):
            terms = None
        else:
            terms = _spine(tree.body, len(run))
        for k, (operator, part_start, part_end) in enumerate(run):
            if terms is None:
                term = _parse_piece(graph, text, piece[part_start:part_end], offset + part_start, where, names,
                                    used_free)
            else:
                term = _build(graph, terms[k], text, locate, names, used_free)
            if node is None:
                node = term
            else:
                node = graph.apply(_CHAIN_OPERATORS[operator], (node, term))
                graph.positions.setdefault(node, where(offset + part_start - 1))
    return node


def _spine(tree, count: int) -> list | None:
    """The ``count`` operands of a left-associated chain ``((a op b) op c) …`` (its left spine), in order;
    None if the tree is not such a chain (which :func:`_split_chain`'s parts always make)."""
    operands = []
    for _ in range(count - 1):
        if not isinstance(tree, ast.BinOp):
            return None
        operands.append(tree.right)
        tree = tree.left
    operands.append(tree)
    return operands[::-1]


_CHAIN_OPERATORS = {p.symbol: p.name for p in PRIMITIVES.values()
                     if p.symbol in ("+", "-", "*", "/") and p.arity == 2}  # the table's add, sub, mul, div
_OPERATOR_CHARS = re.compile(r"[()+\-*/]")


def _split_chain(source: str, symbols: str) -> list | None:
    """``[(None, 0, e0), (op, s1, e1), …]``: the parts of ``source`` between its top-level binary operators
    among ``symbols``, or None if there are fewer than two parts.  Unary signs, the sign of an exponent
    (``1e-5``) and ``**`` are not split points."""
    depth, cuts = 0, []
    for match in _OPERATOR_CHARS.finditer(source):
        char, i = match.group(), match.start()
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char in symbols:
            if char == "*" or char == "/":
                if source[i + 1:i + 2] == "*" or source[i - 1:i] == "*":
                    continue
            elif not _is_binary_sign(source, i):
                continue
            cuts.append(i)
    if not cuts:
        return None
    bounds = [-1, *cuts, len(source)]
    return [(None if k == 0 else source[bounds[k]], bounds[k] + 1, bounds[k + 1]) for k in range(len(bounds) - 1)]


def _is_binary_sign(source: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and source[j] in " \t\r\n":
        j -= 1
    if j < 0 or not (source[j].isalnum() or source[j] in "_.)"):
        return False  # a unary sign
    if source[j] in "eE":  # the exponent of a literal such as 1e-5?
        k = j
        while k >= 0 and (source[k].isalnum() or source[k] in "_."):
            k -= 1
        token = source[k + 1:j + 1]
        return not (token[0].isdigit() or token[0] == ".")
    return True


def _caret_to_power(text: str) -> tuple[str, list[int]]:
    """Replace '^' by '**'; returns the new text and the new-text positions where one char was inserted."""
    if "^" not in text:
        return text, []
    out, shifts = [], []
    for char in text:
        if char == "^":
            shifts.append(len("".join(out)) + 1)
            out.append("**")
        else:
            out.append(char)
    return "".join(out), shifts


def _build(graph: Graph, root: ast.AST, text: str, where, names: dict, used_free: set) -> int:
    """Whitelist walk: pre-order with an explicit stack to check nodes (and create variables in textual
    order), then reverse pre-order to build graph nodes, children before parents."""
    order: list[ast.AST] = []
    stack = [root]
    while stack:
        node = stack.pop()
        _check_node(node, text, where, names)
        order.append(node)
        if isinstance(node, ast.Name) and node.id not in names and node.id not in CONSTANTS:
            variable = graph.var(node.id)
            used_free.add(node.id)
            graph.positions.setdefault(variable, where(node))
        stack.extend(reversed(_children(node)))
    built: dict[int, int] = {}
    for node in reversed(order):
        position = where(node)
        try:
            result = _BUILDERS[type(node)](graph, node, built, names)
        except DomainError as error:
            raise DomainError(f"{error.message}", column=position[1], text=text, line=position[0]) from None
        graph.positions.setdefault(result, position)
        built[id(node)] = result
    return built[id(root)]


def _children(node: ast.AST) -> list:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _check_node(node: ast.AST, text: str, where, names: dict) -> None:
    def reject(message, at=node):
        raise _error(message, text, where(at))

    kind = type(node)
    if kind in _REJECTED:
        reject(_REJECTED[kind])
    if kind is ast.BinOp and type(node.op) not in _BINARY:
        reject(f"the operator '{_OPERATOR_TEXT.get(type(node.op), '?')}' is not supported")
    elif kind is ast.UnaryOp and type(node.op) not in (ast.USub, ast.UAdd):
        reject(f"the operator '{_OPERATOR_TEXT.get(type(node.op), '?')}' is not supported")
    elif kind is ast.Constant:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            reject(f"{value!r} is not a number")
        if isinstance(value, (str, bytes)):
            reject("strings are not allowed")
        if isinstance(value, complex):
            reject("complex numbers are not allowed")
    elif kind is ast.Name:
        if node.id in FUNCTIONS or node.id == "log":
            reject(f"'{node.id}' is a function; call it as {node.id}(...)")
    elif kind is ast.Call:
        _check_call(node, reject, names)
    elif kind not in _BUILDERS:
        reject(f"{kind.__name__} is not allowed")


def _check_call(node: ast.Call, reject, names: dict) -> None:
    if not isinstance(node.func, ast.Name):
        kind = type(node.func)
        reject(_REJECTED.get(kind) or ("calls of calls are not allowed" if kind is ast.Call else
                                       "only functions called by name are allowed, like sin(x)"), node.func)
    name = node.func.id
    if node.keywords:
        reject(f"{name}() takes no keyword arguments")
    if any(isinstance(a, ast.Starred) for a in node.args):
        reject("'*' unpacking is not allowed")
    if name == "log":
        if len(node.args) not in (1, 2):
            reject(f"log takes 1 or 2 arguments (log(x) or log(x, base)), not {len(node.args)}")
        return
    primitive = FUNCTIONS.get(name)
    if primitive is None:
        if name in names or name in CONSTANTS:
            reject(f"'{name}' is not a function")
        close = difflib.get_close_matches(name, sorted(FUNCTIONS), n=1)
        reject(f"unknown function '{name}'" + (f"; did you mean '{close[0]}'?" if close else ""))
    if primitive.name in ("min", "max"):
        if len(node.args) < 2:
            reject(f"{name} takes two or more arguments")
    elif len(node.args) != primitive.arity:
        reject(f"{name} takes {primitive.arity} argument{'s' if primitive.arity > 1 else ''}, "
               f"not {len(node.args)}")


# ---------------------------------------------------------------- builders, one per allowed AST node type

def _number(graph: Graph, node, built, names) -> int:
    try:
        value = float(node.value)
    except OverflowError:
        raise DomainError("the number is too large for float64") from None
    return graph.const(value)


def _name(graph: Graph, node, built, names) -> int:
    if node.id in names:
        return names[node.id]
    if node.id in CONSTANTS:
        return graph.const(CONSTANTS[node.id])
    return graph.var(node.id)


def _binary(graph: Graph, node, built, names) -> int:
    return graph.apply(_BINARY[type(node.op)], (built[id(node.left)], built[id(node.right)]))


def _unary(graph: Graph, node, built, names) -> int:
    operand = built[id(node.operand)]
    return operand if isinstance(node.op, ast.UAdd) else graph.apply("neg", (operand,))


def _call(graph: Graph, node, built, names) -> int:
    args = [built[id(a)] for a in node.args]
    name = node.func.id
    if name == "log":
        value = graph.apply("log", (args[0],))
        return value if len(args) == 1 else graph.apply("div", (value, graph.apply("log", (args[1],))))
    primitive = FUNCTIONS[name]
    result = graph.apply(primitive.name, tuple(args[:2]))
    for more in args[2:]:  # min(a, b, c) = min(min(a, b), c)
        result = graph.apply(primitive.name, (result, more))
    return result


_BUILDERS = {ast.Constant: _number, ast.Name: _name, ast.BinOp: _binary, ast.UnaryOp: _unary, ast.Call: _call}


def as_graph(expression) -> Graph:
    """A Graph as it is, or the Graph of expression text."""
    return expression if isinstance(expression, Graph) else parse(expression)
