"""Pieces of a statement to graph nodes: CPython's parser, and the splitter that keeps long chains from it.

CPython's parser recurses once per operator, so a long flat chain (``t1 + t2 + … + t100000``, the shape of
generated models) would exhaust its recursion limit after doing most of the work.  :func:`parse_piece`
hands a piece to CPython (:func:`syntax_tree`) unless it is longer than :data:`CHAIN_SPLIT_CHARS` or the
parser gives up on it; then the piece is split at its top-level ``+``/``-`` (else ``*``/``/``) operators
(:func:`_split_chain`, a scan of the text that knows unary signs, exponents such as ``1e-5`` and ``**``),
and the parts are parsed in runs of :data:`CHAIN_RUN` and folded left to right exactly as Python would have
associated them.  The nodes are built by the whitelist walk of :mod:`diffcli.core.whitelist`.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import sys
import tokenize

from diffcli.core.errors import LimitError, ParseError
from diffcli.core.graph import Graph
from diffcli.core.primitives import PRIMITIVES
from diffcli.core.whitelist import build

CHAIN_SPLIT_CHARS = 20_000
"""Pieces longer than this are split at their top-level operators before CPython's parser sees them (a
flat chain of a few thousand terms would make it recurse past its limit, after doing most of the work)."""

CHAIN_RUN = 200
"""Parts of a split chain parsed in one call of CPython's parser (each call costs about as much as 40
parts)."""


def parse_piece(graph: Graph, text: str, piece: str, offset: int, where, names: dict, used_free: set) -> int:
    """Parse ``piece`` (which starts at ``offset`` in the statement's source) into a node.

    A long flat chain (``t1 + t2 + … + t100000``) overflows CPython's parser, which recurses once per
    operator; such a piece — any piece over :data:`CHAIN_SPLIT_CHARS`, or one the parser gives up on — is
    split at its top-level ``+``/``-`` (else ``*``/``/``) operators and parsed in runs of :data:`CHAIN_RUN`
    parts (:func:`_parse_chain`), the parts folded left to right exactly as Python would have associated
    them.
    """
    parts = None
    if len(piece) > CHAIN_SPLIT_CHARS:
        parts = _split_chain(piece, "+-") or _split_chain(piece, "*/")
    if parts is None:
        try:
            tree, locate = syntax_tree(text, piece, offset, where)
        except (RecursionError, MemoryError):
            parts = _split_chain(piece, "+-") or _split_chain(piece, "*/")
            if parts is None:
                line, column = where(offset + len(piece) - len(piece.lstrip()))
                raise LimitError("too deeply nested for Python's parser (about 200 parentheses, or a long "
                                 "chain of '**' or of unary signs); write it as a program of assignments: "
                                 "a = ...; b = ...; a + b", column=column, text=text, line=line) from None
        else:
            return build(graph, tree.body, text, locate, names, used_free)
    return _parse_chain(graph, text, piece, offset, where, parts, names, used_free)


def syntax_tree(text: str, piece: str, offset: int, where):
    """``(tree, locate)``: ``piece`` parsed by CPython (mode "eval"), and a function from an AST node to its
    (line, column) in the whole text (with ``end=True``, the (line, column) just after it).  A syntax error
    is a ParseError; RecursionError passes through."""
    lead = len(piece) - len(piece.lstrip())
    stripped = piece.strip()
    line_starts = [0]
    if "\n" in stripped:
        line_starts += [i + 1 for i, char in enumerate(stripped) if char == "\n"]

    def position(lineno: int, column0: int) -> int:
        """An AST position (1-based line, 0-based column in ``stripped``) as a position in the source."""
        return offset + lead + line_starts[min(max(lineno, 1), len(line_starts)) - 1] + column0

    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as error:
        message = (error.msg or "invalid syntax").rstrip(".")
        long_number = _LONG_INTEGER.search(stripped) if message.startswith("Exceeds the limit") else None
        if long_number:  # CPython refuses to convert it and says offset 0, as for "the text ends early"
            raise ParseError.at(f"a whole number of {len(long_number[0])} digits; at most "
                                f"{sys.get_int_max_str_digits()} digits are read (write it with an exponent, "
                                "such as 1.5e20)", text, where(offset + lead + long_number.start())) from None
        hint = _slip(stripped, message, (error.lineno or 1, (error.offset or 1) - 1))
        if hint is not None:
            raise ParseError.at(hint[0], text, where(position(*hint[1]))) from None
        at = position(error.lineno or 1, (error.offset or 0) - 1)
        if (error.offset or 0) < 1 or at >= offset + lead + len(stripped):  # offset 0 means "at the end"
            at, message = offset + lead + len(stripped), "the expression ends too early"
        raise ParseError.at(f"syntax error: {message}", text, where(at)) from None

    def locate(node, end: bool = False) -> tuple[int, int]:  # node: an expression of the tree, always located
        if end:
            return where(position(node.end_lineno, node.end_col_offset))
        return where(position(node.lineno, node.col_offset))

    def locate_on_one_line(node, end: bool = False) -> tuple[int, int]:  # the same, for one line of text
        return where(start + (node.end_col_offset if end else node.col_offset))
    start = offset + lead
    return tree, locate if len(line_starts) > 1 else locate_on_one_line


_LONG_INTEGER = re.compile(r"(?<![\w.])\d{%d,}(?![\w.])" % (sys.get_int_max_str_digits() + 1))
_IMPLICIT_PRODUCT = re.compile(r"(?<![\w.])((?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)([A-Za-z_]\w*)")
_OPERAND_AFTER = {"(", "[", "{", ",", "**", "*", "/", "+", "-", "^"}


def keyword_as_name(name: str) -> str:
    """The message for a Python keyword (``lambda``, ``in``) written as a name."""
    return f"'{name}' is a Python keyword and cannot be a name; call it something else"


def _slip(source: str, message: str, at: tuple[int, int]):
    """``(message, (line, column0))`` for a common slip that made ``source`` a syntax error (CPython's
    ``message`` at ``at``, a line and 0-based column), else None: a number written against a name (``2x``:
    write ``2*x``), or a Python keyword where a name belongs (``lambda*x``)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        tokens = []
    meaningful = [t for t in tokens if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)]
    for k, token in enumerate(meaningful):
        if token.type != tokenize.NAME or not keyword.iskeyword(token.string) or \
                token.string in ("True", "False", "None"):
            continue
        before = meaningful[k - 1] if k else None
        after = meaningful[k + 1] if k + 1 < len(meaningful) else None
        if (before is None or before.string in _OPERAND_AFTER) and (after is None or after.type in (
                tokenize.ENDMARKER, tokenize.OP) and after.string != ":"):
            return keyword_as_name(token.string), token.start
    if message != "invalid decimal literal":  # CPython's words for 2x, at the number
        return None
    line = source.split("\n")[at[0] - 1] if at[0] <= source.count("\n") + 1 else ""
    for match in _IMPLICIT_PRODUCT.finditer(line):
        if match.start() <= at[1] < match.end():
            return (f"syntax error: {message} '{match[0]}'; to multiply, write {match[1]}*{match[2]}",
                    (at[0], match.start()))
    return None


def _parse_chain(graph: Graph, text: str, piece: str, offset: int, where, parts: list, names: dict,
                 used_free: set) -> int:
    """Fold the parts of a split chain (:func:`_split_chain`) left to right into one node.

    Each run of :data:`CHAIN_RUN` parts is parsed in one call: its tree is the chain ``((p1 op p2) op p3) …``,
    whose left spine gives back the parts' trees.  A run the parser gives up on (a part nested deeply
    itself) is parsed part by part, each part as a piece of its own.  Each link of the chain is placed
    where the chain starts, as CPython places a binary operation at its left operand, and ends where its
    right operand ends.
    """
    node = None
    chain_start = where(offset + len(piece) - len(piece.lstrip()))  # CPython places every link there
    for first in range(0, len(parts), CHAIN_RUN):
        run = parts[first:first + CHAIN_RUN]
        start, end = run[0][1], run[-1][2]
        try:
            tree, locate = syntax_tree(text, piece[start:end], offset + start, where)
        except (RecursionError, MemoryError):
            terms = None
        else:
            terms = _spine(tree.body, len(run))
        for k, (operator, part_start, part_end) in enumerate(run):
            if terms is None:
                term = parse_piece(graph, text, piece[part_start:part_end], offset + part_start, where, names,
                                    used_free)
            else:
                term = build(graph, terms[k], text, locate, names, used_free)
            if node is None:
                node = term
            else:
                node = graph.apply(_CHAIN_OPERATORS[operator], (node, term))
                graph.positions.setdefault(node, chain_start)
                # and it ends where its right operand does (a message quotes the link as the user wrote it)
                part = piece[part_start:part_end]
                graph.ends.setdefault(node, where(offset + part_start + len(part.rstrip())))
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
    return [(None if k == 0 else source[bounds[k]], bounds[k] + 1, bounds[k + 1])
            for k in range(len(bounds) - 1)]


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
