"""The chain rule, written once: a forward pass and one backward pass of adjoints over the tape.

The backward loop :func:`adjoints` walks the graph in reverse topological order and, for every argument
``a`` of a node ``n``, adds ``adjoint[n] * ∂n/∂a`` to ``adjoint[a]``, where ``∂n/∂a`` comes from the
primitive table's rule.  *What* it adds depends on the algebra it is given:

* :class:`FloatAlgebra` — numbers: reverse-mode AD on a tape of floats (``trace`` shows it);
* :class:`GraphAlgebra` — graph nodes: symbolic differentiation, the derivative as a simplified graph;
* :class:`diffcli.core.fragments.CodeAlgebra` — source lines: the compiled reverse-mode gradient.

So symbolic differentiation, reverse mode and compiled gradients cannot disagree about a rule: there is
only one rule and one loop.
"""

from __future__ import annotations

from diffcli.core.errors import DomainError, UsageError
from diffcli.core.graph import CONST, VAR, Graph, fold, gc_paused
from diffcli.core.primitives import PRIMITIVES


class Functions:
    """The ``b`` of the rules: ``b.cos(x)`` calls the named primitive in the current algebra."""

    def __init__(self, call):
        self._call = call

    def __getattr__(self, name):
        primitive = PRIMITIVES.get(name)
        if primitive is None:  # an AttributeError, so introspection (doctest, copy) works
            raise AttributeError(f"no primitive named {name!r}")
        return lambda *args: self._call(primitive, args)


# ---------------------------------------------------------------- algebras

class NumberAlgebra:
    """Plain arithmetic on numbers of some kind; subclasses say which functions (``functions``) and ``one``."""

    one = 1.0

    def times(self, adjoint, partial):
        return adjoint * partial

    def first(self, term, node):
        return term

    def plus(self, total, term, node):
        return total + term

    def note(self, node, argument, partial, term):
        pass


class FloatAlgebra(NumberAlgebra):
    """Numbers.  ``record`` collects every chain-rule term, for ``trace``."""

    def __init__(self, record: bool = False):
        self.functions = Functions(lambda primitive, args: primitive.real(*args))
        self.terms: list | None = [] if record else None

    def note(self, node, argument, partial, term):
        if self.terms is not None:
            self.terms.append((node, argument, partial, term))


class MpAlgebra(NumberAlgebra):
    """mpmath numbers of a private context ``m``: reverse mode at high precision (the reference for many
    variables, cross-checked against mpmath.diff, which does not use the rules)."""

    def __init__(self, m):
        self.one = m.one
        self.functions = Functions(lambda primitive, args: primitive.mp(m, *args))


class Ref:
    """A graph node in :class:`GraphAlgebra`; arithmetic builds simplified nodes."""

    __slots__ = ("graph", "node")

    def __init__(self, graph: Graph, node: int):
        self.graph, self.node = graph, node

    def _node(self, other) -> int:
        return other.node if isinstance(other, Ref) else self.graph.const(other)

    def _apply(self, name, *others):
        return Ref(self.graph, self.graph.apply(name, tuple(self._node(o) for o in others), simplify=True))

    def __add__(self, other): return self._apply("add", self, other)
    def __radd__(self, other): return self._apply("add", other, self)
    def __sub__(self, other): return self._apply("sub", self, other)
    def __rsub__(self, other): return self._apply("sub", other, self)
    def __mul__(self, other): return self._apply("mul", self, other)
    def __rmul__(self, other): return self._apply("mul", other, self)
    def __truediv__(self, other): return self._apply("div", self, other)
    def __rtruediv__(self, other): return self._apply("div", other, self)
    def __pow__(self, other): return self._apply("pow", self, other)
    def __rpow__(self, other): return self._apply("pow", other, self)
    def __neg__(self): return self._apply("neg", self)


class GraphAlgebra:
    """Graph nodes: the backward loop builds the derivative graph (symbolic differentiation)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.one = Ref(graph, graph.const(1.0))
        self.functions = Functions(
            lambda primitive, args: Ref(graph, graph.apply(
                primitive.name, tuple(a.node if isinstance(a, Ref) else graph.const(a) for a in args),
                simplify=True)))

    def times(self, adjoint, partial):
        return adjoint * partial

    def first(self, term, node):
        return term if isinstance(term, Ref) else Ref(self.graph, self.graph.const(term))

    def plus(self, total, term, node):
        return total + term

    def note(self, node, argument, partial, term):
        pass


# ---------------------------------------------------------------- the one backward loop

def adjoints(graph: Graph, values: list, algebra, output: int | None = None) -> dict:
    """Adjoints ``∂output/∂node`` for every node the output depends on, in one reverse sweep.

    ``values[n]`` is node ``n``'s forward value in the algebra.  Nodes that do not depend on a variable get
    no adjoint (their partials are never built, so ``x**2`` never asks for ``log(x)``).
    """
    output = graph.output if output is None else output
    depends = graph.depends_on_variables()
    adjoint = {output: algebra.one}
    ops, arguments = graph.ops, graph.arguments
    for node in range(output, -1, -1):
        g = adjoint.get(node)
        if g is None or ops[node] == CONST or ops[node] == VAR:
            continue
        primitive = PRIMITIVES[ops[node]]
        args = arguments[node]
        arg_values = [values[a] for a in args]
        for k, a in enumerate(args):
            if not depends[a]:
                continue
            partial = primitive.partials[k](algebra.functions, values[node], *arg_values)
            term = algebra.times(g, partial)
            algebra.note(node, a, partial, term)
            adjoint[a] = algebra.plus(adjoint[a], term, a) if a in adjoint else algebra.first(term, a)
    return adjoint


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


# ---------------------------------------------------------------- forward passes with clear errors

def bind(graph: Graph, point: dict) -> list:
    """The point's value for each variable of the graph, in order; a missing variable is a UsageError."""
    missing = [name for name in graph.variable_names if name not in point]
    if missing:
        raise UsageError(f"no value for variable {', '.join(repr(m) for m in missing)}; "
                         f"give it as {missing[0]}=VALUE")
    return [point[name] for name in graph.variable_names]


def forward(graph: Graph, output: int, constant, variable, apply, base: list | None = None,
            changed: list | None = None) -> list:
    """The one forward walk: every node the output needs, in topological order, valued by ``constant(value)``,
    ``variable(name)`` or ``apply(primitive, node, argument values)``; None where not needed.  With ``base``
    and ``changed``, nodes that did not change keep their value from ``base``."""
    needed = graph.reachable([output])
    values: list = [None] * (output + 1)
    ops, arguments, data = graph.ops, graph.arguments, graph.data
    for node in range(output + 1):
        if not needed[node]:
            continue
        if base is not None and not changed[node]:
            values[node] = base[node]
            continue
        op = ops[node]
        if op == CONST:
            values[node] = constant(data[node])
        elif op == VAR:
            values[node] = variable(data[node])
        else:
            values[node] = apply(PRIMITIVES[op], node, [values[a] for a in arguments[node]])
    return values


def evaluate(graph: Graph, point: dict, output: int | None = None) -> list:
    """Forward pass on floats, checking every domain; returns every node's value (None where not needed).

    Raises DomainError naming the function, the values and where it appears in the text.
    """
    bind(graph, point)

    def apply(primitive, node, args):
        try:
            return fold(primitive, args)
        except DomainError as error:
            raise locate(graph, node, error) from None
    return forward(graph, graph.output if output is None else output, float, lambda name: float(point[name]),
                   apply)


def evaluate_mp(graph: Graph, point: dict, m, output: int | None = None, every: bool = False,
                base: list | None = None, changed: list | None = None, complex_step: bool = False):
    """The output's value in the mpmath context ``m``, checking every domain (an mpc result is refused);
    with ``every``, the list of every node's value instead.

    ``base`` (every node's value at another point) and ``changed`` (which nodes depend on the variables
    that differ from it) let a caller re-evaluate only the nodes a perturbed variable reaches.  With
    ``complex_step``, values may be ``mpc`` (a variable moved off the real line); domains are checked on
    real parts.  Any other kind of value (a Python float, say) is refused.
    """
    kinds = (m.mpf, m.mpc) if complex_step else m.mpf

    def apply(primitive, node, args):
        if not primitive.inside(*(m.re(a) for a in args) if complex_step else args):
            raise locate(graph, node, DomainError(f"{primitive.name} is undefined here (needs {primitive.domain})"))
        value = primitive.mp(m, *args)
        if not isinstance(value, kinds) or not m.isfinite(value):
            raise locate(graph, node, DomainError(f"{primitive.name} has no finite real value here"))
        return value
    output = graph.output if output is None else output
    values = forward(graph, output, m.mpf, point.__getitem__, apply, base, changed)
    return values if every else values[output]


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
    """For every node, whether it depends on the given variable node."""
    reached = [False] * len(graph)
    reached[variable] = True
    for node in range(variable + 1, len(graph)):
        reached[node] = any(reached[a] for a in graph.arguments[node])
    return reached


def locate(graph: Graph, node: int, error: DomainError) -> DomainError:
    """Attach the node's position in the source text (if known) to a DomainError."""
    line, column = graph.positions.get(node, (None, None))
    return DomainError(error.message, column=column, text=graph.source, line=line)
