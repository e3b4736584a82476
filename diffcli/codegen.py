"""Straight-line Python from a graph, compiled once and run on floats or numpy arrays.

One assignment per node, as in the lecture: ``v2 = v0 * v1; v3 = log(v0); …`` and, for a gradient, the
adjoint lines ``g3 = g7 * (1.0 / v3); …`` produced by the one backward loop of :mod:`diffcli.chain` in
:class:`CodeAlgebra`.  The generated source contains only names (``v12``, ``g12``, primitive names) and
numbers (``repr`` of finite doubles) that the graph produced, never user text.

The same compiled code runs on floats (the table's ``real`` evaluators, which raise outside a domain), on
numpy arrays (``array`` evaluators, which give nan/inf) or on Python complex numbers (``complex`` evaluators,
the analytic continuations the complex-step method needs), chosen by the globals it is run with.
"""

from __future__ import annotations

from .chain import _Functions, adjoints
from .graph import CONST, VAR, Graph
from .primitives import PRIMITIVES

KINDS = ("real", "array", "complex")


def _literal(value: float) -> str:
    text = repr(float(value))
    return f"({text})" if text.startswith("-") else text


class Code(str):
    """A fragment of Python source; arithmetic on it writes more source (fully parenthesised)."""

    def _bin(self, symbol, left, right):
        return Code(f"({_code(left)} {symbol} {_code(right)})")

    def __add__(self, other): return self._bin("+", self, other)
    def __radd__(self, other): return self._bin("+", other, self)
    def __sub__(self, other): return self._bin("-", self, other)
    def __rsub__(self, other): return self._bin("-", other, self)
    def __mul__(self, other): return self._bin("*", self, other)
    def __rmul__(self, other): return self._bin("*", other, self)
    def __truediv__(self, other): return self._bin("/", self, other)
    def __rtruediv__(self, other): return self._bin("/", other, self)
    def __pow__(self, other): return Code(f"pow({_code(self)}, {_code(other)})")
    def __rpow__(self, other): return Code(f"pow({_code(other)}, {_code(self)})")
    def __neg__(self): return Code(f"(-{_code(self)})")


def _code(value) -> str:
    return str(value) if isinstance(value, Code) else _literal(value)


def _call(primitive, args):
    if not any(isinstance(a, Code) for a in args):  # a constant such as log(2.0): fold it now
        return float(primitive.real(*args))
    return Code(f"{primitive.name}({', '.join(_code(a) for a in args)})")


class CodeAlgebra:
    """Source lines: each adjoint becomes a variable ``g<node>`` assigned in ``lines``."""

    one = 1.0

    def __init__(self):
        self.functions = _Functions(_call)
        self.lines: list[str] = []

    def times(self, adjoint, partial):
        if not isinstance(partial, Code):
            if partial == 1.0:
                return adjoint
            if partial == -1.0:
                return Code(f"(-{_code(adjoint)})")
            if partial == 0.0:
                return 0.0
        if not isinstance(adjoint, Code) and adjoint == 1.0:
            return partial
        return Code(f"{_code(adjoint)} * {_code(partial)}")

    def first(self, term, node):
        self.lines.append(f"g{node} = {_code(term)}")
        return Code(f"g{node}")

    def plus(self, total, term, node):
        # Not ``+=``: on numpy arrays that would add in place into an array another adjoint may share
        # (``g0 = g4; g1 = g4``), corrupting both.
        self.lines.append(f"g{node} = g{node} + {_code(term)}")
        return total

    def note(self, node, argument, partial, term):
        pass


def node_expression(graph: Graph, node: int, names) -> str:
    """The right-hand side computing ``node`` from its arguments' names."""
    op = graph.ops[node]
    if op == CONST:
        return _literal(graph.data[node])
    primitive = PRIMITIVES[op]
    args = [names(a) for a in graph.arguments[node]]
    if primitive.symbol and primitive.arity == 2 and primitive.symbol != "**":
        return f"{args[0]} {primitive.symbol} {args[1]}"
    if primitive.symbol and primitive.arity == 1:
        return f"{primitive.symbol}{args[0]}"
    return f"{primitive.name}({', '.join(args)})"


def forward_lines(graph: Graph, outputs) -> list[str]:
    """One assignment ``v<n> = …`` per node the outputs need (constants are inlined)."""
    needed = graph.reachable(outputs)
    names = lambda a: _literal(graph.data[a]) if graph.ops[a] == CONST else f"v{a}"  # noqa: E731
    return [f"v{n} = {node_expression(graph, n, names)}"
            for n in range(max(outputs, default=-1) + 1)
            if needed[n] and graph.ops[n] not in (CONST, VAR)]


def _globals(kind: str) -> dict:
    """Each primitive's evaluator of that kind (a field of the table entry of the same name)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose from {KINDS}")
    return {p.name: getattr(p, kind) for p in PRIMITIVES.values()}


def _build(source: str, name: str, kind: str):
    namespace = _globals(kind)
    exec(compile(source, f"<diffcli {name}>", "exec"), namespace)  # generated-code: names and numbers only
    return namespace[name]


def _value(graph: Graph, node: int) -> str:
    return _literal(graph.data[node]) if graph.ops[node] == CONST else f"v{node}"


def function_source(graph: Graph, outputs: list[int], name: str = "f") -> str:
    """Source of ``def f(<variables>): … return (out0, out1, …)``."""
    params = ", ".join(f"v{v}" for v in graph.variables)
    body = forward_lines(graph, outputs)
    body.append("return (" + "".join(_value(graph, o) + ", " for o in outputs) + ")")
    return f"def {name}({params}):\n" + "".join(f"    {line}\n" for line in body)


def gradient_source(graph: Graph, name: str = "gradient") -> str:
    """Source of ``def gradient(<variables>): … return value, (g_x, g_z, …)`` (reverse mode)."""
    params = ", ".join(f"v{v}" for v in graph.variables)
    lines = forward_lines(graph, [graph.output])
    algebra = CodeAlgebra()
    names = [Code(_value(graph, n)) for n in range(len(graph))]
    adjoint = adjoints(graph, names, algebra)
    lines += algebra.lines
    grads = ", ".join(_code(adjoint[v]) if v in adjoint else "0.0" for v in graph.variables)
    lines.append(f"return {_value(graph, graph.output)}, ({grads}{',' if len(graph.variables) == 1 else ''})")
    return f"def {name}({params}):\n" + "".join(f"    {line}\n" for line in lines)


def tangent_source(graph: Graph, name: str = "tangent") -> str:
    """Source of ``def tangent(<variables>, <their tangents>): … return value, tangent`` (forward mode).

    One pass computes each node's value ``v<n>`` and its tangent ``d<n> = Σ ∂n/∂a · d<a>``, the partials
    written by the primitive table's rules (the same ones the backward loop uses).
    """
    params = ", ".join([f"v{v}" for v in graph.variables] + [f"d{v}" for v in graph.variables])
    needed = graph.reachable([graph.output])
    depends = graph.depends_on_variables()
    algebra = CodeAlgebra()
    lines = []
    for node in range(graph.output + 1):
        if not needed[node] or graph.ops[node] in (CONST, VAR):
            continue
        lines.append(f"v{node} = {node_expression(graph, node, lambda a: _value(graph, a))}")
        primitive = PRIMITIVES[graph.ops[node]]
        args = [Code(_value(graph, a)) for a in graph.arguments[node]]
        terms = []
        for k, a in enumerate(graph.arguments[node]):
            if depends[a]:
                partial = primitive.partials[k](algebra.functions, Code(f"v{node}"), *args)
                term = algebra.times(Code(f"d{a}"), partial)
                if isinstance(term, Code) or term != 0.0:
                    terms.append(_code(term))
        lines.append(f"d{node} = {' + '.join(terms) or '0.0'}")
    output = graph.output
    tangent = f"d{output}" if depends[output] else "0.0"
    lines.append(f"return {_value(graph, output)}, {tangent}")
    return f"def {name}({params}):\n" + "".join(f"    {line}\n" for line in lines)


def compile_function(graph: Graph, outputs: list[int] | None = None, kind: str = "real"):
    """Compile the graph's outputs (default: its output) to ``f(*variables) -> tuple``.

    >>> from diffcli.parse import parse
    >>> f = compile_function(parse("x*z + 1"))
    >>> f(2.0, 3.0)
    (7.0,)
    """
    outputs = [graph.output] if outputs is None else list(outputs)
    return _build(function_source(graph, outputs), "f", kind)


def compile_gradient(graph: Graph, kind: str = "real"):
    """Compile reverse mode to ``gradient(*variables) -> (value, (∂/∂v for v in variables))``.

    >>> from diffcli.parse import parse
    >>> compile_gradient(parse("x*z + 1"))(2.0, 3.0)
    (7.0, (3.0, 2.0))
    """
    return _build(gradient_source(graph), "gradient", kind)


def compile_tangent(graph: Graph, kind: str = "real"):
    """Compile forward mode to ``tangent(*variables, *seeds) -> (value, directional derivative)``.

    >>> from diffcli.parse import parse
    >>> compile_tangent(parse("x*z + 1"))(2.0, 3.0, 1.0, 0.0)
    (7.0, 3.0)
    """
    return _build(tangent_source(graph), "tangent", kind)
