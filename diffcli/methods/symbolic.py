"""Symbolic differentiation: the chain rule builds a simplified derivative graph, compiled once.

The one backward loop of :mod:`diffcli.core.chain` runs on graph nodes (``GraphAlgebra``), so the derivative
is an expression (``diffcli diff`` prints it).  It offers three forms: one point, arrays of points (the
same compiled code run on numpy columns), and the Hessian (the symbolic gradient differentiated again by the
same loop, one sweep per gradient entry, giving one simplified graph per row).
"""

from __future__ import annotations

from diffcli.core.chain import symbolic_gradient
from diffcli.core.codegen import compile_function, function_at
from diffcli.core.errors import DomainError
from diffcli.core.evaluate import evaluate
from diffcli.core.graph import Graph
from diffcli.methods.partials import explained
from diffcli.methods.registry import method
from diffcli.methods.rounding import (
    graph_bounds,
    hessian_bounds,
    no_estimate,
    symbolic_bounds,
    too_large,
    unbounded,
    with_estimate,
)


def symbolic_hessian(graph: Graph) -> list[list[int]]:
    """Build, inside ``graph``, one simplified node per Hessian entry (rows in variable order).

    >>> from diffcli.core.parse import parse
    >>> from diffcli.core.printing import to_text
    >>> g = parse("x*sin(x)")
    >>> to_text(g, symbolic_hessian(g)[0][0])
    'cos(x) - x * sin(x) + cos(x)'
    """
    return [symbolic_gradient(graph, node) for node in symbolic_gradient(graph)]


def _explain(derived: Graph, nodes: list, point: dict, what) -> None:
    """Raise the DomainError of the first derivative node undefined at ``point`` (``what(k)`` names it)."""
    for k, node in enumerate(nodes):
        try:
            evaluate(derived, point, output=node)
        except DomainError as error:
            raise DomainError(f"{what(k)} is undefined here: {error.message}") from None


def _arrays(graph: Graph):
    derived = graph.copy()
    gradient = compile_function(derived, symbolic_gradient(derived), kind="array")
    return lambda columns: (gradient(*columns), 0)


def _hessian(graph: Graph):
    derived = graph.copy()
    flat = [node for row in symbolic_hessian(derived) for node in row]
    h = compile_function(derived, flat)
    names, count = graph.variable_names, len(graph.variables)

    def run(values):
        try:
            entries = h(*values)
        except (ValueError, ZeroDivisionError, OverflowError):
            _explain(derived, flat, dict(zip(names, values)),
                     lambda k: f"the second derivative in {names[k // count]}, {names[k % count]}")
            raise
        return [list(entries[i * count:(i + 1) * count]) for i in range(count)], 0

    def details(values, rows) -> dict:  # the rounding bound of every entry, once, after the timing
        why = too_large(graph, 2 * count, len(derived))
        if why:
            return no_estimate("symbolic", why)
        try:  # its own evaluation's bound, plus the chain rule's (forward-over-reverse) for folded constants
            own = graph_bounds(derived, flat, values, len(graph))
            chain = hessian_bounds(graph, values)
        except (ArithmeticError, ValueError) as error:
            return no_estimate("symbolic", unbounded(error))
        return {"error_estimate": [[own[i * count + j] + chain[i][j] for j in range(count)]
                                   for i in range(count)]}
    run.details = details
    return run


@method("symbolic", "symbolic differentiation: the chain rule builds a simplified derivative expression "
                    "(see `diffcli diff`), compiled once and evaluated", rank=70, arrays=_arrays,
        hessian=_hessian, hessian_summary="the symbolic gradient differentiated again by the same backward "
                                          "loop (one sweep per row), simplified, compiled once",
        options=("once",))
def _symbolic(graph: Graph, once: bool = False):
    """``once``: the answer is asked for once (no timing), so the derivative's lines are walked as compiled
    code runs them (:func:`~diffcli.core.codegen.function_at`, the same numbers) instead of compiled."""
    derived = graph.copy()
    outputs = symbolic_gradient(derived)
    g = (lambda *values: function_at(derived, outputs, list(values))) if once else \
        compile_function(derived, outputs)

    def run(values):
        try:
            return list(g(*values)), 0
        except (ValueError, ZeroDivisionError, OverflowError):
            return [_one(graph, derived, node, values, k) for k, node in enumerate(outputs)], 0
    return with_estimate(run, graph, lambda values: symbolic_bounds(graph, derived, outputs, values),
                         "symbolic", passes=3 + len(derived) // max(1, len(graph)))


def _one(graph: Graph, derived: Graph, node: int, values, index: int):
    """The derivative node for variable ``index`` evaluated alone, or an
    :class:`~diffcli.methods.partials.Undefined` naming the sub-expression that cannot be evaluated."""
    names = graph.variable_names
    try:
        return evaluate(derived, dict(zip(names, values)), output=node)[node]
    except DomainError as error:
        return explained(graph, values, index, f"the derivative in {names[index]} is undefined here: "
                                               f"{error.message}")
