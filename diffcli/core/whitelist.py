"""Python syntax trees to graph nodes, through the language's whitelist.

:func:`build` walks the tree CPython's parser made of one piece of a statement with an explicit stack (no
recursion): first it checks every node against the whitelist (numbers, names, ``+ - * / **`` and unary
signs, calls of the primitive table's functions by name; everything else is refused with a message and the
column), then it builds graph nodes, children before parents, one builder per allowed AST node type.
Nothing the user writes is evaluated by Python: only numbers are converted, and only the table's functions
are applied, to constants, in float64.
"""

from __future__ import annotations

import ast
import difflib
import re

from diffcli.core.domains import Words, shorten
from diffcli.core.errors import DomainError, ParseError
from diffcli.core.graph import Graph, fold
from diffcli.core.primitives import CONSTANTS, FUNCTIONS, PRIMITIVES
from diffcli.core.printing import between

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_UNARY = {ast.UAdd: None, ast.USub: "neg"}
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
    ast.Await: "await is not allowed", ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Slice: "slices are not allowed",
}

def build(graph: Graph, root: ast.AST, text: str, where, names: dict, used_free: set) -> int:
    """Whitelist walk: pre-order with an explicit stack to check nodes (and create variables in textual
    order), then reverse pre-order to build graph nodes, children before parents.  ``where(node)`` is an
    AST node's (line, column) in ``text``; ``where(node, end=True)`` the (line, column) just after it."""
    order: list[ast.AST] = []
    stack = [root]
    Name, BinOp = ast.Name, ast.BinOp  # noqa: N806 - looked up once: this loop runs once per AST node
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is BinOp and type(node.op) in _BINARY:  # the most common node, allowed (_check_node's first
            order.append(node)                             # test, without a call)
            stack += (node.right, node.left)
            continue
        if kind is not Name or node.id in FUNCTIONS:  # any other name is allowed; a BinOp here has an
            _check_node(node, text, where, names)  # operator outside _BINARY, which this rejects
        order.append(node)
        if kind is Name:
            if node.id not in names and node.id not in CONSTANTS:
                variable = graph.var(node.id)
                used_free.add(node.id)
                _first_seen(graph, variable, node, where)
        else:
            stack.extend(reversed(_children(node)))
    built: dict[int, int] = {}
    positions, ends = graph.positions, graph.ends
    for node in reversed(order):
        try:
            result = _BUILDERS[type(node)](graph, node, built, names)
        except DomainError as error:
            line, column = where(node)
            message = _in_words(graph, node, built, text, where) or error.message
            raise DomainError(message, column=column, text=text, line=line) from None
        if result not in positions:  # _first_seen, without its call and second test
            positions[result] = where(node)
            ends[result] = where(node, end=True)
        built[id(node)] = result
    return built[id(root)]


def _first_seen(graph: Graph, result: int, node: ast.AST, where) -> None:
    """Where a graph node first appears in the text: its start and the end of what the user wrote for it
    (``where(node, end=True)``), so an error can quote it."""
    if result not in graph.positions:
        graph.positions[result] = where(node)
        graph.ends[result] = where(node, end=True)


def _in_words(graph: Graph, node: ast.AST, built: dict, text: str, where) -> str | None:
    """The message of a constant sub-expression that cannot be folded (``log(-1)``, ``1/(3-3)``), quoting
    what the user wrote; None where the node is not one application of a primitive to its children."""
    children = _children(node)
    if isinstance(node, ast.BinOp):
        name = _BINARY[type(node.op)]
    elif isinstance(node, ast.UnaryOp):
        name = _UNARY[type(node.op)]
    else:
        primitive = FUNCTIONS.get(node.func.id) if isinstance(node, ast.Call) else None
        name = primitive.name if primitive and primitive.arity == len(children) else None
    if name is None:
        return None
    values = [graph.data[built[id(child)]] for child in children]

    def quoted(part):
        return shorten(between(text, where(part), where(part, end=True)) or "")
    literal = [isinstance(getattr(c, "operand", c), ast.Constant) for c in children]
    said = Words(quoted(node), tuple(quoted(c) for c in children), tuple(not k for k in literal))
    try:
        fold(PRIMITIVES[name], values, lambda: said)
    except DomainError as error:
        return error.message
    return None


_OPERAND_KINDS = (ast.BinOp, ast.UnaryOp)  # (x+1)(x-1): a parenthesized value followed by parentheses


def _multiplied(call: ast.Call, text: str, where) -> str:
    """``2(x+1)`` as the product the user meant, in their own text: ``2*(x+1)``."""
    whole = between(text, where(call), where(call, end=True)) or ""
    cut = len(between(text, where(call), where(call.func, end=True)) or "")
    while cut < len(whole) and whole[cut] in ") \t\r\n":  # past the parentheses closing (x+1)
        cut += 1
    return shorten(whole[:cut].rstrip() + "*" + whole[cut:])  # 2 (x+1): 2*(x+1), without the blank


def _children(node: ast.AST) -> list:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _check_node(node: ast.AST, text: str, where, names: dict) -> None:
    kind = type(node)
    if kind is ast.BinOp and type(node.op) in _BINARY:  # the most common node, allowed: nothing to reject
        return

    def reject(message, at=node):
        raise ParseError.at(message, text, where(at))

    if kind in _REJECTED:
        reject(_REJECTED[kind])
    if kind is ast.BinOp and type(node.op) not in _BINARY:
        reject(f"the operator '{_OPERATOR_TEXT.get(type(node.op), '?')}' is not supported")
    elif kind is ast.UnaryOp and type(node.op) not in _UNARY:
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
        if node.id in FUNCTIONS:
            reject(f"'{node.id}' is a function; call it as {node.id}(...)")
    elif kind is ast.Call:
        _check_call(node, reject, names, text, lambda: _multiplied(node, text, where))
    elif kind not in _BUILDERS:
        reject(f"{kind.__name__} is not allowed")


def _check_call(node: ast.Call, reject, names: dict, text: str, multiplied) -> None:
    """Only the table's functions (and ``log``) are called, by name, with the right number of arguments.
    ``2(x+1)``, or ``x(y)`` where ``x`` is a value (a one-letter name, a constant, an assigned name, or a
    name used as a value anywhere in ``text``, before or after the call), is refused with the product to
    write instead; any other unknown name is an unknown function."""
    if not isinstance(node.func, ast.Name):
        kind = type(node.func)
        if kind in _REJECTED:
            reject(_REJECTED[kind], node.func)
        if kind is ast.Constant and isinstance(node.func.value, (int, float)) or kind in _OPERAND_KINDS:
            reject(f"a {'number' if kind is ast.Constant else 'value'} cannot be called; to multiply, "
                   f"write {multiplied()}")
        reject("calls of calls are not allowed" if kind is ast.Call else
               "only functions called by name are allowed, like sin(x)", node.func)
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
        if name in names or name in CONSTANTS or len(name) == 1 or _used_as_a_value(name, text):
            reject(f"'{name}' is not a function; to multiply, write {multiplied()}")
        close = difflib.get_close_matches(name, sorted(FUNCTIONS), n=1)
        reject(f"unknown function '{name}'" + (f"; did you mean '{close[0]}'?" if close else ""))
    if primitive.name in ("min", "max"):
        if len(node.args) < 2:
            reject(f"{name} takes two or more arguments")
    elif len(node.args) != primitive.arity:
        reject(f"{name} takes {primitive.arity} argument{'s' if primitive.arity > 1 else ''}, "
               f"not {len(node.args)}")


def _used_as_a_value(name: str, text: str) -> bool:
    """Whether ``name`` appears in ``text`` as a name that is not called (not followed by ``(``): then
    ``name(…)`` is a product the user meant, wherever in the text that use is (the message must not depend
    on which the walk met first)."""
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])(?!\s*\()", text) is not None


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
    operand, name = built[id(node.operand)], _UNARY[type(node.op)]
    return operand if name is None else graph.apply(name, (operand,))


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
