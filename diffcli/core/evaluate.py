"""Forward passes with clear errors: a graph's values at a point, on floats or in mpmath.

:func:`forward` is the one forward walk (every other pass is it with other ``constant``, ``variable`` and
``apply`` functions); :func:`evaluate` checks every domain on floats and :func:`evaluate_mp` in a private
mpmath context.  A domain error names the function and, through :func:`locate`, where it is in the text.
:func:`bind` turns a point into the variables' values in order, :func:`kinks` warns of non-differentiable
points, :func:`depends_on` says which nodes a variable reaches.
"""

from __future__ import annotations

from itertools import compress
from operator import and_

from diffcli.core.domains import NOT_REAL, OUTSIDE, failure
from diffcli.core.errors import DomainError, UsageError
from diffcli.core.graph import CONST, VAR, Graph, fold
from diffcli.core.primitives import PRIMITIVES, everywhere
from diffcli.core.printing import words


def bind(graph: Graph, point: dict) -> list:
    """The point's value for each variable of the graph, in order; a missing variable is a UsageError."""
    missing = [name for name in graph.variable_names if name not in point]
    if missing:
        raise UsageError(f"no value for variable {', '.join(repr(m) for m in missing)}; "
                         f"give it as {missing[0]}=VALUE")
    return [point[name] for name in graph.variable_names]


def forward(graph: Graph, output: int | list, constant, variable, apply, base: list | None = None,
            changed: list | None = None) -> list:
    """The one forward walk: every node the output (or each of a list of outputs) needs, in topological
    order, valued by ``constant(value)``, ``variable(name)`` or ``apply(primitive, node, argument values)``;
    None where not needed.  ``primitive`` is the table entry the node applies (:func:`entry`: ``x**0.0``
    takes pow's constant form, 1 at x = 0), so every pass computes what f computes.  With ``base`` and
    ``changed``, nodes that did not change keep their value from ``base``."""
    outputs = [output] if isinstance(output, int) else list(output)
    values, nodes = _start(graph, outputs, base, changed)
    ops, arguments, data = graph.ops, graph.arguments, graph.data
    for node in nodes:
        op = ops[node]
        if op == CONST:
            values[node] = constant(data[node])
        elif op == VAR:
            values[node] = variable(data[node])
        else:
            primitive = entry(graph, node, PRIMITIVES[op])
            values[node] = apply(primitive, node, [values[a] for a in arguments[node]])
    return values


def _start(graph: Graph, outputs: list, base: list | None, changed: list | None) -> tuple:
    """A forward walk's values before it starts (None, or with ``base`` and ``changed`` the base's values
    of the nodes that did not change) and the nodes it walks, in order: those the outputs need (and that
    changed)."""
    last = max(outputs, default=-1)
    needed = graph.reachable(outputs)[:last + 1]
    if base is None:
        return [None] * (last + 1), compress(range(last + 1), needed)
    # only the changed nodes are walked: a perturbed variable of a large graph reaches a few
    values = [b if need and not moved else None for b, need, moved in zip(base, needed, changed)]
    values += [None] * (last + 1 - len(values))
    return values, compress(range(last + 1), map(and_, needed, changed))


def entry(graph: Graph, node: int, primitive):
    """The table entry ``node`` applies: the primitive, or its ``constant`` form where that argument is a
    constant of the graph (``x**0.0`` has the power rule's domain: 1 at x = 0)."""
    if primitive.constant is not None and graph.ops[graph.arguments[node][primitive.constant[0]]] == CONST:
        return primitive.constant[1]
    return primitive


def evaluate(graph: Graph, point: dict, output: int | None = None) -> list:
    """Forward pass on floats, checking every domain; returns every node's value (None where not needed).

    Raises DomainError naming the function, the values and where it appears in the text.
    """
    bind(graph, point)
    output = graph.output if output is None else output
    doubles = [float(point[name]) for name in graph.variable_names]
    found = evaluated(graph, output, doubles)
    if found is not None:
        return found

    def apply(primitive, node, args):
        try:
            return fold(primitive, args, lambda: words(graph, node))
        except DomainError as error:
            raise locate(graph, node, error) from None
    values = forward(graph, output, float, lambda name: float(point[name]), apply)
    _EVALUATED[0] = (graph, _point_key(graph, output, doubles), values)
    return list(values)


def evaluated(graph: Graph, output: int, doubles: list) -> list | None:
    """A copy of what :func:`evaluate` returned for ``output`` at these doubles (in variable order) if it
    was its last evaluation, else None.  A point's float values are asked for several times (the harness
    checks f's domain, the reference's neighbourhood reads them, reverse mode's ``gradient_at`` walks the
    same lines): a large graph's walk is then done once.  Where the checked walk succeeded, every node is
    its entry's ``real`` on the same doubles, which is what an unchecked walk computes too."""
    kept_graph, key, values = _EVALUATED[0]
    if kept_graph is not graph or key != _point_key(graph, output, doubles):
        return None
    return list(values)


def _point_key(graph: Graph, output: int, doubles: list) -> tuple:
    return (len(graph.ops), output, *(d.hex() for d in doubles))  # hex: 0.0 and -0.0 are different points


_EVALUATED: list = [(None, None, None)]
"""The last graph :func:`evaluate` walked, its size, output and point, and the values: replaced whole."""


def evaluate_mp(graph: Graph, point: dict, m, output: int | None = None, every: bool = False,
                base: list | None = None, changed: list | None = None, complex_step: bool = False):
    """The output's value in the mpmath context ``m``, checking every domain (an mpc result is refused);
    with ``every``, the list of every node's value instead.

    ``base`` (every node's value at another point) and ``changed`` (which nodes depend on the variables
    that differ from it) let a caller re-evaluate only the nodes a perturbed variable reaches.  With
    ``complex_step``, values may be ``mpc`` (a variable moved off the real line); domains are checked on
    real parts.  Any other kind of value (a Python float, say) is refused.
    """
    mpf, mpc = m.mpf, m.mpc
    special = (m.inf._mpf_, m.ninf._mpf_, m.nan._mpf_)

    def apply(primitive, node, args):
        # The real parts: an mpf is its own, an mpc's is its first component (m.re would convert them again).
        real = [a if type(a) is mpf else a.real if type(a) is mpc else m.re(a) for a in args] \
            if complex_step else args
        if id(primitive) not in _EVERYWHERE and not primitive.inside(*real):
            raise located(graph, node, real, OUTSIDE)
        value = primitive.mp(m, *args)
        # The type, and finiteness, checked on the raw tuples of an mpf (or a complex step's mpc).
        kind = type(value)
        if kind is mpf:
            if value._mpf_ not in special:
                return value
        elif kind is mpc and complex_step and value._mpc_[0] not in special and value._mpc_[1] not in special:
            return value
        if not isinstance(value, (mpf, mpc) if complex_step else mpf) or not finite(m)(value):
            raise located(graph, node, real, NOT_REAL)
        return value
    output = graph.output if output is None else output
    values = forward(graph, output, mpf, point.__getitem__, apply, base, changed)
    return values if every else values[output]


_EVERYWHERE = frozenset(id(p) for primitive in PRIMITIVES.values()
                        for p in (primitive, *(primitive.constant[1:] if primitive.constant else ()))
                        if everywhere(p))
"""The ids of the table's entries (and constant forms) defined for every argument: a forward walk in mpmath
skips calling their ``inside``, once per node."""


def finite(m):
    """``m.isfinite`` for the mpf and mpc of context ``m``, without its conversions (a forward walk asks it of
    every node): a number is finite unless a part is mpmath's inf, -inf or nan."""
    special = (m.inf._mpf_, m.ninf._mpf_, m.nan._mpf_)

    def check(value) -> bool:
        if hasattr(value, "_mpc_"):
            return value._mpc_[0] not in special and value._mpc_[1] not in special
        return value._mpf_ not in special
    return check


def kinks(graph: Graph, values: list) -> list[str]:
    """Warnings for every non-differentiable primitive sitting exactly at its kink."""
    found = []
    for node, op in enumerate(graph.ops[:len(values)]):
        if op in (CONST, VAR) or values[node] is None:
            continue
        primitive = PRIMITIVES[op]
        args = [values[a] for a in graph.arguments[node]]
        if primitive.kink is not None and primitive.kink(*args):
            shown = ", ".join(repr(a) for a in args)
            found.append(f"{op}({shown}) is at its kink: not differentiable there; the methods use the "
                         "right derivative of each function and the reference the right derivative in each "
                         "variable")
    return found


def depends_on(graph: Graph, variable: int) -> list[bool]:
    """For every node, whether it depends on the given variable node (:meth:`Graph.depending`)."""
    return graph.depending((variable,))


def located(graph: Graph, node: int, values: list, reason: str) -> DomainError:
    """The DomainError of the primitive at ``node`` failing on ``values`` for ``reason``, in the user's
    words (:func:`diffcli.core.domains.failure`) and located in the text."""
    message = failure(entry(graph, node, graph.primitive(node)), values, reason, words(graph, node))
    return locate(graph, node, DomainError(message))


def locate(graph: Graph, node: int, error: DomainError) -> DomainError:
    """Attach the node's position in the source text (if known) to a DomainError."""
    line, column = graph.positions.get(node, (None, None))
    return DomainError(error.message, column=column, text=graph.source, line=line)
