"""Reverse-mode AD (backpropagation): one forward pass storing every intermediate, one backward pass of
adjoints.  Compiled to straight-line code (:func:`diffcli.core.codegen.compile_gradient`) for one point and
for arrays of points; :func:`tape` is the same loop interpreted on floats with every chain-rule term
recorded, which ``trace`` shows.  Where the compiled code cannot run, :func:`poisoned_gradient` runs the
loop again on numbers that turn a rule that cannot be evaluated into a poison carrying its message
(:mod:`diffcli.methods.poison`), so only the partials it flows into fail.
"""

from __future__ import annotations

from diffcli.core.algebra import FloatAlgebra
from diffcli.core.chain import adjoints
from diffcli.core.codegen import compile_gradient, gradient_at
from diffcli.core.evaluate import evaluate
from diffcli.core.graph import Graph
from diffcli.methods.poison import poisoned_gradient
from diffcli.methods.registry import method
from diffcli.methods.rounding import reverse_bounds, with_estimate


def tape(graph: Graph, point: dict) -> tuple[list, dict, FloatAlgebra]:
    """Interpreted reverse mode on floats: forward values, adjoints, and every chain-rule term.

    Raises DomainError where f is undefined at the point, and RuleError (a DomainError) naming the
    sub-expression and argument whose partial derivative is not, as the backward loop found it.

    >>> from diffcli.core.parse import parse
    >>> values, adjoint, algebra = tape(parse("x*z"), {"x": 2.0, "z": 3.0})
    >>> adjoint[0], adjoint[1]
    (3.0, 2.0)
    """
    values = evaluate(graph, point)
    algebra = FloatAlgebra(record=True)
    return values, adjoints(graph, values, algebra), algebra


def _arrays(graph: Graph):
    gradient = compile_gradient(graph, kind="array")
    return lambda columns: (gradient(*columns)[1], 1)


@method("reverse", "reverse-mode AD (backpropagation): one forward pass storing every intermediate, then one "
                   "backward pass of adjoints; compiled to straight-line code", rank=80, arrays=_arrays,
        options=("once",))
def _reverse(graph: Graph, once: bool = False):
    """``once``: the answer is asked for once (no timing), so the compiled code's numbers are computed as it
    is written (:func:`~diffcli.core.codegen.gradient_at`, the same to the bit) instead of compiling it,
    which costs more than a run; where they cannot be, it is compiled and run as usual."""
    compiled = [] if once else [compile_gradient(graph, value=False)]  # f's value is not read (checked)

    def run(values):
        if once:
            found = gradient_at(graph, values)
            if found is not None:
                return found, 1
        if not compiled:
            compiled.append(compile_gradient(graph, value=False))
        try:
            return list(compiled[0](*values)[1]), 1
        except (ValueError, ZeroDivisionError, OverflowError):
            return poisoned_gradient(graph, values), 1
    return with_estimate(run, graph, lambda values: reverse_bounds(graph, values), "reverse")
