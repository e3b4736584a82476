"""Straight-line Python from a graph, compiled once and run on floats or numpy arrays.

One assignment per node, as in the lecture: ``v2 = v0 * v1; v3 = log(v0); …`` and, for a gradient, the
adjoint lines ``g3 = g7 / v3; …`` produced by the one backward loop of :mod:`diffcli.core.chain` in
:class:`~diffcli.core.fragments.CodeAlgebra`.  The generated source contains only names (``v12``, ``g12``,
primitive names) and numbers (``repr`` of finite doubles) that the graph produced, never user text.

The same compiled code runs on floats (the table's ``real`` evaluators, which raise outside a domain), on
numpy arrays (``array`` evaluators, which give nan/inf) or on Python complex numbers (``complex`` evaluators,
the analytic continuations the complex-step method needs), chosen by the globals it is run with.  Code for
arrays has its names reassigned as registers (:func:`diffcli.core.statements.reuse_names`) and runs with
glibc told to keep freed memory (:mod:`diffcli.core.memory`).
"""

from __future__ import annotations

from itertools import compress

from diffcli.core.chain import adjoints, vanishes
from diffcli.core.evaluate import entry, evaluated, forward
from diffcli.core.fragments import (
    CONSTANT_FORM,
    Code,
    CodeAlgebra,
    constant,
    known_number,
    literal,
    number_of,
    source_of,
    total,
)
from diffcli.core.graph import CONST, VAR, Graph, gc_paused
from diffcli.core.memory import keep_freed_memory
from diffcli.core.primitives import PRIMITIVES
from diffcli.core.statements import in_parts, needed_lines, reuse_names

KINDS = ("real", "array", "complex")


def node_expression(graph: Graph, node: int, names) -> str:
    """The right-hand side computing ``node`` from its arguments' names."""
    op = graph.ops[node]
    if op == CONST:
        return literal(graph.data[node])
    primitive = PRIMITIVES[op]
    args = [names(a) for a in graph.arguments[node]]
    if primitive.symbol and primitive.arity == 2 and primitive.symbol != "**":
        return f"{args[0]} {primitive.symbol} {args[1]}"
    if primitive.symbol and primitive.arity == 1:
        return f"{primitive.symbol}{args[0]}"
    # x**0.0: the constant form, the power rule's domain
    if primitive.constant is not None and entry(graph, node, primitive) is not primitive:
        return f"{primitive.name}{CONSTANT_FORM}({', '.join(args)})"
    return f"{primitive.name}({', '.join(args)})"


def _forward(graph: Graph, outputs):
    """``(node, right-hand side)`` of every node the outputs need, in order (constants are inlined)."""
    needed = graph.reachable(outputs)
    ops, data = graph.ops, graph.data

    def name(node: int) -> str:  # _value, without a lambda and a call per argument
        return literal(data[node]) if ops[node] == CONST else f"v{node}"
    for n in compress(range(max(outputs, default=-1) + 1), needed):
        if ops[n] != CONST and ops[n] != VAR:
            yield n, node_expression(graph, n, name)


def _computed(graph: Graph, forward: list) -> dict[str, str]:
    """What the forward lines (``forward``: :func:`_forward`'s pairs) compute, as :class:`Code` would write
    it → the name it is stored in."""
    ops = graph.ops
    return {f"({text})" if ops[n] in _INFIX_OPS else text: f"v{n}" for n, text in forward}


_INFIX_OPS = frozenset(name for name, p in PRIMITIVES.items() if p.symbol not in (None, "**"))
"""The operations Code writes in parentheses (``(v0 * v1)``, ``(-v2)``): infix, but not ``**``."""


def forward_lines(graph: Graph, outputs) -> list[str]:
    """One assignment ``v<n> = …`` per node the outputs need (constants are inlined)."""
    return [f"v{n} = {text}" for n, text in _forward(graph, outputs)]


def evaluators(kind: str) -> dict:
    """Each primitive's evaluator of that kind (a field of the table entry of the same name): a fresh dict,
    which generated code may be run in."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose from {KINDS}")
    found = _EVALUATORS.get(kind)
    if found is None:
        found = _EVALUATORS[kind] = {p.name: getattr(p, kind) for p in PRIMITIVES.values()}
        found.update({p.name + CONSTANT_FORM: getattr(p.constant[1], kind)
                      for p in PRIMITIVES.values() if p.constant is not None})
    return dict(found)


_EVALUATORS: dict[str, dict] = {}


PART_STATEMENTS = 2_000
"""Statements of generated code compiled at once; a longer function is compiled in parts of this size
(:func:`~diffcli.core.statements.in_parts`): CPython holds a whole function's syntax tree while it
compiles it, and the 90,002-node sum's gradient (3.8 MB of source) took 240 MB."""


def _build(source: str, name: str, kind: str, registers: bool | None = None):
    """The function ``name`` of ``source`` run on ``kind`` numbers.  Code for arrays has its names
    reassigned as registers (on floats the renaming costs more setup than it saves: a compare runs f
    once), unless ``registers`` says otherwise."""
    registers = kind == "array" if registers is None else registers
    if kind == "array":
        keep_freed_memory()
    namespace = evaluators(kind)
    for code in _code(source, name, registers):
        exec(code, namespace)  # generated-code: names and numbers only
    return namespace[name]


def _code(source: str, name: str, registers: bool) -> list:
    """The code objects of ``source`` (in parts beyond :data:`PART_STATEMENTS`), compiled once for the last
    few short sources: f's code is the same whatever numbers it runs on (the stencils' arrays, the
    complex step's complex numbers, the timing's floats)."""
    key = (source, registers)
    found = _CODE.get(key)
    if found is None:
        found = [compile(reuse_names(part) if registers else part, f"<diffcli {name}>", "exec")
                 for part in in_parts(source, PART_STATEMENTS)]
        if len(source) <= CODE_KEPT_CHARS:
            if len(_CODE) >= CODE_KEPT:
                _CODE.clear()
            _CODE[key] = found
    return found


_CODE: dict[tuple, list] = {}

CODE_KEPT, CODE_KEPT_CHARS = 16, 100_000
"""How many compiled sources are kept for reuse, each at most this long."""


def compiled(graph: Graph, key: tuple, build):
    """What ``build()`` compiles from ``graph``, built once per graph and ``key`` and then shared: every
    method of a compare and its reference run the same f (compiling it took about 30% of the methods' time
    on a file of small expressions when each compiled its own copy).

    A graph only grows (nodes are appended, never changed), so code for given outputs stays right; the key
    also holds the graph's size, output and variables, which is what a built function can depend on.
    Compiled code is stateless (its globals are the table's evaluators), so sharing it is safe.
    """
    key = (*key, len(graph.ops), graph.output, len(graph.variables))
    found = graph.compiled.get(key)
    if found is None:
        found = graph.compiled[key] = build()
    return found


def _value(graph: Graph, node: int) -> str:
    return literal(graph.data[node]) if graph.ops[node] == CONST else f"v{node}"


def _operand(graph: Graph, node: int):
    """What the rules get for a node: its value as a number if it is a constant (so ``2.0 - 1.0`` folds),
    else its name."""
    return constant(graph.data[node]) if graph.ops[node] == CONST else Code(f"v{node}")


def function_source(graph: Graph, outputs: list[int], name: str = "f") -> str:
    """Source of ``def f(<variables>): … return (out0, out1, …)``."""
    params = ", ".join(f"v{v}" for v in graph.variables)
    body = forward_lines(graph, outputs)
    body.append("return (" + "".join(_value(graph, o) + ", " for o in outputs) + ")")
    return f"def {name}({params}):\n" + "".join(f"    {line}\n" for line in body)


def gradient_source(graph: Graph, name: str = "gradient", value: bool = True) -> str:
    """Source of ``def gradient(<variables>): … return value, (g_x, g_z, …)`` (reverse mode).

    With ``value=False`` it returns ``None`` for the value and leaves out every forward line the gradient
    does not read (as ``jax.grad`` does; :func:`~diffcli.core.statements.needed_lines`): the sines of
    ``sin(x*y)`` are not needed for its gradient, only their cosines.  A domain error of f in a line left
    out is then not raised.
    """
    params = ", ".join(f"v{v}" for v in graph.variables)
    forward, algebra, adjoint = _adjoint_code(graph)
    lines = [f"v{n} = {text}" for n, text in forward] + algebra.lines
    grads = ", ".join(source_of(adjoint[v]) if v in adjoint else "0.0" for v in graph.variables)
    result = _value(graph, graph.output) if value else "None"
    lines.append(f"return {result}, ({grads}{',' if len(graph.variables) == 1 else ''})")
    if not value:
        lines = needed_lines(lines)
    return f"def {name}({params}):\n" + "".join(f"    {line}\n" for line in lines)


def _adjoint_code(graph: Graph, numbers: list | None = None) -> tuple[list, CodeAlgebra, dict]:
    """The forward pairs (:func:`_forward`), the algebra holding the adjoint lines, and each node's adjoint
    as a fragment; with ``numbers`` (each node's forward value, as the forward lines compute them:
    :func:`_walk`) every fragment carries what it computes (:attr:`~diffcli.core.fragments.Code.number`)."""
    forward = list(_forward(graph, [graph.output]))  # written once, read twice
    algebra = CodeAlgebra(graph)
    known = _computed(graph, forward)
    operands = []
    for n, (op, data) in enumerate(zip(graph.ops, graph.data)):  # _operand, inlined: once per node
        if op == CONST:
            operands.append(constant(data))
            continue
        operand = Code(f"v{n}")
        operand.known = known
        if numbers is not None and n < len(numbers):
            operand.number = numbers[n]
        operands.append(operand)
    return forward, algebra, adjoints(graph, operands, algebra)


@gc_paused()
def gradient_at(graph: Graph, values: list) -> list | None:
    """The gradient that ``compile_gradient(graph)(*values)[1]`` computes, without compiling it: the
    adjoint fragments carry their numbers as they are written (:attr:`~diffcli.core.fragments.Code.number`),
    the same operations on the same doubles in the same order, so each partial is the compiled one to the
    bit.  For an answer wanted once (``--no-timing``), where compiling cost more than everything else the
    method does (the 90,002-node sum: 2.3 s of compile for a call of 10 ms).  None where a number is not
    known (f or an operation fails here): then compile and run, which fails as it fails.

    >>> from diffcli.core.parse import parse
    >>> gradient_at(parse("x*z + log(x)"), [2.0, 3.0])
    [3.5, 2.0]
    """
    try:
        numbers = _walk(graph, [graph.output], values)
    except Exception:  # noqa: BLE001 - the compiled code, run instead, fails as it fails
        return None
    _, _, adjoint = _adjoint_code(graph, numbers)
    gradient = [number_of(adjoint[v]) if v in adjoint else 0.0 for v in graph.variables]
    return None if None in gradient else gradient


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
        args = [_operand(graph, a) for a in graph.arguments[node]]
        terms = []
        for k, a in enumerate(graph.arguments[node]):
            if depends[a] and not vanishes(graph, primitive, graph.arguments[node], k):
                partial = primitive.partials[k](algebra.functions, Code(f"v{node}"), *args)
                term = algebra.times(Code(f"d{a}"), partial)
                if known_number(term) != 0.0:
                    terms.append(term)
        lines.append(f"d{node} = {total(terms)}")
    output = graph.output
    tangent = f"d{output}" if depends[output] else "0.0"
    lines.append(f"return {_value(graph, output)}, {tangent}")
    return f"def {name}({params}):\n" + "".join(f"    {line}\n" for line in lines)


@gc_paused()
def compile_function(graph: Graph, outputs: list[int] | None = None, kind: str = "real"):
    """Compile the graph's outputs (default: its output) to ``f(*variables) -> tuple``.

    >>> from diffcli.core.parse import parse
    >>> f = compile_function(parse("x*z + 1"))
    >>> f(2.0, 3.0)
    (7.0,)
    """
    outputs = [graph.output] if outputs is None else list(outputs)  # as registers on every kind: one code
    return compiled(graph, ("f", kind, tuple(outputs)),                # for the arrays and complex numbers
                    lambda: _build(function_source(graph, outputs), "f", kind, registers=True))


def function_at(graph: Graph, outputs: list[int], values: list) -> tuple:
    """What ``compile_function(graph, outputs)(*values)`` returns, without compiling it: its lines walked
    in their order, each calling what the line calls (an infix operator is the table's ``real``, Python's
    own; a constant form its own entry), on the same doubles, so the same numbers, and the same exception
    where a line fails.  For values wanted once (``--no-timing``), where compiling costs more than a run.

    >>> from diffcli.core.parse import parse
    >>> graph = parse("x*z + 1")
    >>> function_at(graph, [graph.output], [2.0, 3.0])
    (7.0,)
    """
    numbers = _walk(graph, outputs, values)
    return tuple(numbers[o] for o in outputs)


def _walk(graph: Graph, outputs: list[int], values: list) -> list:
    """Every node's number as the lines of :func:`function_source` compute it (None where not needed): the
    one forward walk (:func:`~diffcli.core.evaluate.forward`), each node by the entry its line calls, on the
    same doubles, without a domain check of its own (a line that fails raises as it does)."""
    if len(outputs) == 1 and all(type(v) is float for v in values):
        found = evaluated(graph, outputs[0], values)  # the harness checked f here: the same walk
        if found is not None:
            return found
    point = dict(zip(graph.variable_names, values))
    return forward(graph, outputs, float, point.__getitem__,
                   lambda primitive, node, args: primitive.real(*args))


@gc_paused()
def compile_gradient(graph: Graph, kind: str = "real", value: bool = True):
    """Compile reverse mode to ``gradient(*variables) -> (value, (∂/∂v for v in variables))``; the value is
    None with ``value=False``, which leaves out the work only the value needs (:func:`gradient_source`).

    >>> from diffcli.core.parse import parse
    >>> compile_gradient(parse("x*z + 1"))(2.0, 3.0)
    (7.0, (3.0, 2.0))
    >>> compile_gradient(parse("sin(x*z)"), value=False)(2.0, 0.0)
    (None, (0.0, 2.0))
    """
    return compiled(graph, ("gradient", kind, value),
                    lambda: _build(gradient_source(graph, value=value), "gradient", kind))


@gc_paused()
def compile_tangent(graph: Graph, kind: str = "real"):
    """Compile forward mode to ``tangent(*variables, *seeds) -> (value, directional derivative)``.

    >>> from diffcli.core.parse import parse
    >>> compile_tangent(parse("x*z + 1"))(2.0, 3.0, 1.0, 0.0)
    (7.0, 3.0)
    """
    return compiled(graph, ("tangent", kind), lambda: _build(tangent_source(graph), "tangent", kind))
