"""Preparing a point once: the graph, the bound values, f, the kink warnings, and the reference or its error.

Every task starts the same way; :func:`prepare` is that opening, and :func:`reference_or_error` computes a
reference under :data:`REFERENCE_TIME_LIMIT`, turning its refusal into the message the record shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from diffcli.core.errors import DiffcliError, PrecisionError, UsageError
from diffcli.core.evaluate import bind, evaluate, kinks
from diffcli.core.graph import Graph
from diffcli.core.parse import as_graph
from diffcli.harness.running import MethodTimeout, deadline

REFERENCE_TIME_LIMIT = 30.0
"""Seconds a reference may take before its row says it gave up: long enough for 1,000 digits of a large
expression, short enough to wait for (a command's methods and output need the rest of a minute)."""


@dataclass
class Prepared:
    """A graph at a point where f is defined: values in variable order, every node's float value, and the
    warnings for primitives sitting exactly at their kink."""

    graph: Graph
    point: dict
    values: list
    forward: list
    warnings: list

    @property
    def names(self) -> list[str]:
        return self.graph.variable_names

    @property
    def value(self) -> float:
        return self.forward[self.graph.output]


def prepare(expression, point: dict) -> Prepared:
    """Parse (unless given a Graph), bind the point (a missing variable is a UsageError) and evaluate f
    (a DomainError where f is undefined); an expression without variables is a UsageError (a derivative of
    a constant is asked for by mistake, e.g. ``sin(2)`` for ``sin(x)``).

    >>> p = prepare("x*z", {"x": 2, "z": 3})
    >>> p.point, p.value, p.warnings
    ({'x': 2.0, 'z': 3.0}, 6.0, [])
    """
    graph = as_graph(expression)
    values = [float(v) for v in bind(graph, point)]
    point = dict(zip(graph.variable_names, values))
    forward = evaluate(graph, point)
    if not graph.variables:
        raise UsageError(f"the expression has no variables (it is the constant {forward[graph.output]!r}): "
                         "there is nothing to differentiate")
    return Prepared(graph, point, values, forward, kinks(graph, forward))


def reference_within_limit(compute: Callable, time_limit: float | None = None, wrt: str | None = None):
    """``compute()`` under the time limit (default :data:`REFERENCE_TIME_LIMIT`, read when called); running
    out of time is a PrecisionError saying so.  For a caller that needs one partial derivative, the
    reference's ``errors`` are refused as a PrecisionError too: ``wrt``'s, or without ``wrt`` any (then
    every partial the caller may read has a value)."""
    try:
        with deadline(REFERENCE_TIME_LIMIT if time_limit is None else time_limit):
            result = compute()
    except MethodTimeout as error:
        raise PrecisionError(f"no reference: {error}") from None
    problems = getattr(result, "errors", None) or {}
    missing = [name for name in problems if wrt is None or name == wrt]
    if missing:
        raise PrecisionError("no reference: " + "; ".join(problems[name] for name in missing))
    return result


def reference_or_error(compute: Callable, time_limit: float | None = None):
    """``(compute(), None)``, or ``(None, message)`` when the reference is refused or runs out of time
    (default :data:`REFERENCE_TIME_LIMIT`, read when called)."""
    try:
        with deadline(REFERENCE_TIME_LIMIT if time_limit is None else time_limit):
            return compute(), None
    except DiffcliError as error:
        return None, error.message
    except MethodTimeout as error:
        return None, str(error)
