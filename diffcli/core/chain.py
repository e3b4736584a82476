"""The chain rule, written once: one backward pass of adjoints over the tape.

The backward loop :func:`adjoints` walks the graph in reverse topological order and, for every argument
``a`` of a node ``n``, adds ``adjoint[n] * ∂n/∂a`` to ``adjoint[a]``, where ``∂n/∂a`` comes from the
primitive table's rule.  *What* it adds depends on the :class:`~diffcli.core.algebra.Algebra` it is given
(floats, mpmath numbers, graph nodes, source code, dual numbers: see :mod:`diffcli.core.algebra`).

So symbolic differentiation, reverse mode and compiled gradients cannot disagree about a rule: there is
only one rule and one loop.  The forward passes that give the loop its values are in
:mod:`diffcli.core.evaluate`.
"""

from __future__ import annotations

from diffcli.core.algebra import Algebra, GraphAlgebra, NumberAlgebra, Ref
from diffcli.core.errors import DomainError, RuleError
from diffcli.core.graph import CONST, VAR, Graph, gc_paused
from diffcli.core.primitives import PRIMITIVES
from diffcli.core.printing import words


def adjoints(graph: Graph, values: list, algebra: Algebra, output: int | None = None) -> dict:
    """Adjoints ``∂output/∂node`` for every node the output depends on, in one reverse sweep.

    ``values[n]`` is node ``n``'s forward value in the algebra.  Nodes that do not depend on a variable get
    no adjoint (their partials are never built, so ``x**2`` never asks for ``log(x)``).  A rule that cannot
    be evaluated raises :class:`~diffcli.core.errors.RuleError` naming the node and argument it was for.
    """
    output = graph.output if output is None else output
    depends = graph.depends_on_variables()
    adjoint = {output: algebra.one}
    ops, arguments = graph.ops, graph.arguments
    # The algebra's parts looked up once, not per term (a 100,000-node graph has 200,000 terms); a ``note``
    # that does nothing is not called.
    functions, times, plus, first = algebra.functions, algebra.times, algebra.plus, algebra.first
    note = algebra.note
    if getattr(note, "__func__", None) in _SILENT:
        note = None
    found = adjoint.get
    for node in range(output, -1, -1):
        g = found(node)
        if g is None:
            continue
        op = ops[node]
        if op == CONST or op == VAR:
            continue
        primitive = PRIMITIVES[op]
        partials, zero_where = primitive.partials, primitive.zero_where
        args, value = arguments[node], values[node]
        # The arguments' values without a comprehension (its own frame, once per node).
        arg_values = [values[args[0]], values[args[1]]] if len(args) == 2 else [values[a] for a in args]
        for k, a in enumerate(args):
            if not depends[a] or (zero_where and vanishes(graph, primitive, args, k)):
                continue
            try:
                partial = partials[k](functions, value, *arg_values)
                term = times(g, partial)
            except (ArithmeticError, ValueError, DomainError) as error:
                raise rule_error(graph, node, k, arg_values, error) from None
            if note is not None:
                note(node, a, partial, term)
            total = found(a)
            adjoint[a] = first(term, a) if total is None else plus(total, term, a)
    return adjoint


_SILENT = (NumberAlgebra.note, GraphAlgebra.note)
"""The algebras' ``note`` that does nothing (mpmath numbers, graph nodes): :func:`adjoints` skips it."""


def vanishes(graph: Graph, primitive, args, k: int) -> bool:
    """Whether the table says partial k is 0 here, because another argument is the constant 0
    (``Primitive.zero_where``: 0.0**y in y)."""
    if not primitive.zero_where or primitive.zero_where[k] is None:
        return False
    other = args[primitive.zero_where[k]]
    return graph.ops[other] == CONST and graph.data[other] == 0.0


def rule_error(graph: Graph, node: int, k: int, values: list, error: Exception) -> RuleError:
    """The RuleError of ``node``'s rule for its ``k``-th argument failing with ``error``, in the user's words:
    ``the partial derivative of (-x)**z in z is undefined: -x = -2.0, z = 3.0 (math domain error)``; the
    arguments' values are shown where they are plain numbers."""
    said = words(graph, node)
    try:
        pairs = [f"{text} = {float(value)!r}"
                 for text, value, shown in zip(said.arguments, values, said.shown) if shown]
    except (TypeError, ValueError):  # graph nodes, dual numbers: no single value to show
        pairs = []
    at = ": " + ", ".join(pairs) if pairs else " here"
    cause = error.message if isinstance(error, DomainError) else str(error) or type(error).__name__
    line, column = graph.positions.get(node, (None, None))
    return RuleError(f"the partial derivative of {said.whole} in {said.arguments[k]} is undefined{at} "
                     f"({cause})", node, k, column=column, text=graph.source, line=line)


@gc_paused()
def symbolic_gradient(graph: Graph, output: int | None = None) -> list[int]:
    """Build, inside ``graph``, one simplified derivative node per variable; returns them in variable order.

    ``output`` (default: the graph's output) is the node to differentiate; a derivative node may be given,
    which is how higher derivatives are built (the same loop, run again on the derivative graph).

    >>> from diffcli.core.parse import parse
    >>> g = parse("x*sin(x)")
    >>> from diffcli.core.printing import to_text
    >>> to_text(g, symbolic_gradient(g)[0])
    'sin(x) + x * cos(x)'
    """
    algebra = GraphAlgebra(graph)
    values = [Ref(graph, n) for n in range(len(graph))]
    adjoint = adjoints(graph, values, algebra, output)
    zero = graph.const(0.0)
    return [adjoint[v].node if v in adjoint else zero for v in graph.variables]
