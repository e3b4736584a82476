"""Reverse-mode AD (backpropagation): one forward pass storing every intermediate, one backward pass of
adjoints.  Compiled to straight-line code (:func:`diffcli.core.codegen.compile_gradient`) for one point and
for arrays of points; :func:`tape` is the same loop interpreted on floats with every chain-rule term
recorded, which ``trace`` shows and which names the failing rule when the compiled code cannot run.
"""

from __future__ import annotations

from diffcli.core.algebra import FloatAlgebra
from diffcli.core.chain import adjoints
from diffcli.core.codegen import compile_gradient
from diffcli.core.errors import DomainError
from diffcli.core.evaluate import evaluate
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.methods.registry import method


def tape(graph: Graph, point: dict) -> tuple[list, dict, FloatAlgebra]:
    """Interpreted reverse mode on floats: forward values, adjoints, and every chain-rule term.

    Raises DomainError naming the primitive whose partial derivative is undefined at the point.

    >>> from diffcli.core.parse import parse
    >>> values, adjoint, algebra = tape(parse("x*z"), {"x": 2.0, "z": 3.0})
    >>> adjoint[0], adjoint[1]
    (3.0, 2.0)
    """
    values = evaluate(graph, point)
    algebra = FloatAlgebra(record=True)
    try:
        adjoint = adjoints(graph, values, algebra)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        node = _failing_node(graph, algebra)
        raise DomainError(f"the partial derivative of {node} is undefined here ({error})") from None
    return values, adjoint, algebra


def _failing_node(graph: Graph, algebra: FloatAlgebra) -> str:
    """The primitive being differentiated when the backward pass failed (the one after the last term)."""
    done = {n for n, *_ in algebra.terms}
    last = min(done) if done else (graph.output + 1)
    for node in range(last - 1, -1, -1):
        if graph.ops[node] not in (CONST, VAR):
            return graph.ops[node]
    return graph.ops[graph.output]


def _arrays(graph: Graph):
    gradient = compile_gradient(graph, kind="array")
    return lambda columns: (gradient(*columns)[1], 1)


@method("reverse", "reverse-mode AD (backpropagation): one forward pass storing every intermediate, then one "
                   "backward pass of adjoints; compiled to straight-line code", rank=80, arrays=_arrays)
def _reverse(graph: Graph):
    gradient = compile_gradient(graph)

    def run(values):
        try:
            return list(gradient(*values)[1]), 1
        except (ValueError, ZeroDivisionError, OverflowError):
            tape(graph, dict(zip(graph.variable_names, values)))
            raise
    return run
