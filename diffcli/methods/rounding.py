"""How far rounding can take an AD or symbolic partial: a running error bound, computed by the same loops.

A :class:`Tracked` number is a double and a bound on its distance from the exact value of what it stands
for.  Every operation adds its own rounding to the bound of what flows in, weighted by how much the result
depends on it (first order):

* ``+ - * /`` on doubles: their rounding exactly (rational arithmetic), 0 where the result is exact;
* a function of the table is measured: its double result against the exact value of the function at the
  same double arguments (mpmath, :data:`~diffcli.methods.one_rounding.CHECK_BITS` bits), so libm's error
  and the table's own composite evaluators (sigmoid, softplus, cbrt, …) are counted as they are, with no
  list of functions (:mod:`diffcli.methods.one_rounding` measures one operation);
* the bound of an argument reaches the result through ``|∂result/∂argument|``, the table's rule
  evaluated at the doubles.

Run through the forward pass and then through the one backward loop (:mod:`diffcli.core.chain`) with a
:class:`TrackedAlgebra`, the bound rides along with every adjoint, so each partial of ``reverse`` comes
with its bound; the same numbers in forward mode bound ``dual``'s tangents, and evaluating the derivative
graph bounds ``symbolic``'s.  It is an extra pass, run once after the timed answer (the harness's
``details`` hook), so it costs nothing in the ``time`` column.  Where a partial is small against the terms
that cancel inside its formula (``3*(-2 + x**2)*cos(x) + x*(-6 + x**2)*sin(x)`` d/dx at 0.01) the bound is
large relative to it, and says in advance how many digits rounding leaves.
"""

from __future__ import annotations

import math
import operator

from diffcli.core.algebra import FLOATS, Functions, NumberAlgebra
from diffcli.core.chain import adjoints, vanishes
from diffcli.core.evaluate import entry, forward
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.core.primitives import PRIMITIVES
from diffcli.methods.one_rounding import UNIT, operation_error, own_rounding

MAX_TRACKED_NODES = 50_000
"""Node evaluations the tracked passes of one row may take; beyond, the row has no rounding estimate."""


class Tracked:
    """A double ``value`` and ``bound``, an upper bound (to first order) on its distance from the exact
    quantity it computes.

    >>> a = Tracked(0.1) + Tracked(0.2)
    >>> a.value, a.bound  # its rounding, 2^-55, and a hair more (the bound must not round down)
    (0.30000000000000004, 2.775557561562894e-17)
    >>> (Tracked(3.0) - 1.0).bound
    0.0
    """

    __slots__ = ("value", "bound")

    def __init__(self, value: float, bound: float = 0.0):
        self.value, self.bound = float(value), bound

    def __repr__(self) -> str:
        return f"Tracked({self.value!r}, {self.bound:.3g})"

    def __float__(self) -> float:
        return self.value


def _lift(x) -> Tracked:
    return x if isinstance(x, Tracked) else Tracked(x)  # a rule's constant (1.0, 0.5) is exact


UNKNOWN = Tracked(math.nan, math.inf)
"""What an operation that cannot be evaluated gives (a partial undefined here): it flows only into the
partials that need it, whose estimates are then left out."""

_UPWARD = 1.0 + 2.0 ** -50
"""A bound's own formula rounds a few times, each by at most u: this factor keeps it from rounding down."""


def _times(magnitude: float, bound: float) -> float:
    """``magnitude · bound``, 0 where the magnitude is 0 (an unbounded error times 0 adds nothing)."""
    return magnitude * bound if magnitude else 0.0


def _arithmetic(op, reflected: bool = False):
    def apply(a, b):
        if not isinstance(b, (Tracked, float, int)):
            return NotImplemented  # a TrackedDual: its own (reflected) operation
        a, b = (_lift(b), _lift(a)) if reflected else (_lift(a), _lift(b))
        try:
            r = op(a.value, b.value)
        except ArithmeticError:  # a partial undefined here: nothing is known of what it reaches
            return UNKNOWN
        if op is operator.truediv:
            room = abs(b.value) - b.bound  # the divisor's bound may reach 0: then nothing is known
            passed = (a.bound + _times(abs(r), b.bound)) / room if room > 0 else math.inf
        elif op is operator.mul:
            passed = _times(abs(a.value), b.bound) + _times(abs(b.value), a.bound) + a.bound * b.bound
        else:
            passed = a.bound + b.bound
        return Tracked(r, (passed + operation_error(op, a.value, b.value, r)) * _UPWARD)
    return apply


Tracked.__add__, Tracked.__radd__ = _arithmetic(operator.add), _arithmetic(operator.add, True)
Tracked.__sub__, Tracked.__rsub__ = _arithmetic(operator.sub), _arithmetic(operator.sub, True)
Tracked.__mul__, Tracked.__rmul__ = _arithmetic(operator.mul), _arithmetic(operator.mul, True)
Tracked.__truediv__, Tracked.__rtruediv__ = _arithmetic(operator.truediv), _arithmetic(operator.truediv, True)
Tracked.__pow__ = lambda a, b: call(PRIMITIVES["pow"], (a, b)) if isinstance(b, (Tracked, float, int)) \
    else NotImplemented
Tracked.__rpow__ = lambda a, b: call(PRIMITIVES["pow"], (b, a))
Tracked.__neg__ = lambda a: Tracked(-a.value, a.bound)


def call(primitive, args) -> Tracked:
    """``primitive(*args)`` on tracked numbers: its measured rounding plus each argument's bound times the
    magnitude of its partial."""
    args = [_lift(a) for a in args]
    values = [a.value for a in args]
    try:
        r = primitive.real(*values)
    except (ArithmeticError, ValueError):
        return UNKNOWN
    bound = own_rounding(primitive, values, r)
    for k, a in enumerate(args):
        if a.bound:
            try:
                bound += _times(abs(primitive.partials[k](FLOATS, r, *values)), a.bound)
            except (ArithmeticError, ValueError):
                return Tracked(r, math.inf)
    return Tracked(r, bound * _UPWARD)


TRACKED = Functions(call)
"""The ``b`` of the rules on tracked numbers."""


class TrackedAlgebra(NumberAlgebra):
    """Tracked numbers for the one backward loop: each adjoint carries its bound."""

    def __init__(self):
        self.one = Tracked(1.0)
        self.functions = TRACKED


def once_per_point(graph: Graph, values: list, name: str, compute):
    """``compute()``, computed once for ``graph`` at ``values`` and then shared (the pass called ``name``):
    every method's estimate at a point runs the same tracked passes (reverse mode's bound serves
    ``symbolic`` too; forward mode's tangents serve ``dual``, the stencils and the complex step; the
    Hessian's bounds serve both Hessian methods).  Only the last point's passes are kept; a pass that
    raises is not kept."""
    key = (len(graph), *(float(v).hex() for v in values))  # hex: 0.0 and -0.0 are different points
    kept = _POINT[0]  # replaced whole, never changed: a thread with another point only recomputes
    if kept[0] is not graph or kept[1] != key:
        kept = _POINT[0] = (graph, key, {})
    passes = kept[2]
    if name not in passes:
        passes[name] = compute()
    return passes[name]


_POINT: list = [(None, None, {})]  # the graph, its size and point, and the passes computed there


def tracked_forward(graph: Graph, values: list, output: int | None = None) -> list:
    """Every node's Tracked value at the double ``values`` (variables and constants are exact)."""
    output = graph.output if output is None else output
    point = dict(zip(graph.variable_names, values))
    return once_per_point(graph, values, f"forward {output}", lambda: forward(
        graph, output, Tracked, lambda name: Tracked(point[name]),
        lambda primitive, node, args: call(primitive, args)))


def reverse_bounds(graph: Graph, values: list) -> list[float]:
    """The rounding bound of each partial reverse mode computes at ``values`` (once per point).

    >>> from diffcli.core.parse import parse
    >>> reverse_bounds(parse("x*z"), [2.0, 3.0])
    [0.0, 0.0]
    """
    def compute():
        adjoint = adjoints(graph, tracked_forward(graph, values), TrackedAlgebra())
        return [_lift(adjoint.get(v, 0.0)).bound for v in graph.variables]
    return list(once_per_point(graph, values, "reverse", compute))


def tangent_bounds(graph: Graph, values: list) -> list[float]:
    """The rounding bound of each partial forward mode (``dual``) computes (:func:`tangents`)."""
    return [t.bound for t in tangents(graph, values)]


def tangents(graph: Graph, values: list) -> list[Tracked]:
    """Each partial as forward mode computes it, tracked: one tracked pass per variable, each node's
    tangent ``Σ ∂n/∂a · d_a`` in tracked arithmetic (an argument with tangent 0 adds nothing).  Computed
    once per point: ``dual``, the stencils and ``complex-step`` ask for the same ones."""
    return once_per_point(graph, values, "tangents", lambda: _tangents(graph, values))


def _tangents(graph: Graph, values: list) -> list[Tracked]:
    tracked = tracked_forward(graph, values)
    depends = graph.depends_on_variables()
    variables = set(graph.variables)
    bounds = []
    for seeded in graph.variables:
        tangent: dict = {seeded: Tracked(1.0)}
        for node in range(graph.output + 1):
            if tracked[node] is None or node in variables or not depends[node]:
                continue
            args = graph.arguments[node]
            primitive = entry(graph, node, PRIMITIVES[graph.ops[node]])
            total = None
            for k, a in enumerate(args):
                if a in tangent and not vanishes(graph, primitive, args, k):  # as dual: x**0.0 in x is 0
                    partial = primitive.partials[k](TRACKED, tracked[node], *(tracked[b] for b in args))
                    term = tangent[a] * partial
                    total = term if total is None else total + term
            if total is not None:
                tangent[node] = _lift(total)
        bounds.append(_lift(tangent.get(graph.output, Tracked(0.0))))
    return bounds


def _short(c: float) -> bool:
    """A constant a rule writes (1.0, 2.0, 0.5, -3.0): a multiple of 2^-10 below 2^20, exact, unlike a
    folded one, whose 53 bits are a rounding."""
    return abs(c) < 2.0 ** 20 and c * 1024.0 == round(c * 1024.0)


def graph_bounds(graph: Graph, outputs: list[int], values: list,
                 exact_below: int | None = None) -> list[float]:
    """The rounding bound of each of ``outputs`` (nodes of ``graph``) evaluated at ``values``: one tracked
    walk over the nodes any of them needs, in topological order.  Constants from node ``exact_below`` on
    were written by a rule (exact: :func:`_short`) or folded while the derivative was simplified
    (``log(2.0)``, ``3*sin(2)``: off by up to an ulp, 2u·|c|); the constants of f itself are exact (the
    reference uses the same doubles)."""
    exact_below = len(graph) if exact_below is None else exact_below
    needed = graph.reachable(list(outputs))
    point = dict(zip(graph.variable_names, values))
    tracked: list = [None] * len(graph)
    for node in range(max(outputs, default=-1) + 1):
        if not needed[node]:
            continue
        op = graph.ops[node]
        if op == CONST:
            c = graph.data[node]
            tracked[node] = Tracked(c, 0.0 if node < exact_below or _short(c) else 2 * UNIT * abs(c))
        elif op == VAR:
            tracked[node] = Tracked(point[graph.data[node]])
        else:
            primitive = entry(graph, node, PRIMITIVES[op])  # x**0.0 is 1 at x = 0, as f has it
            tracked[node] = call(primitive, [tracked[a] for a in graph.arguments[node]])
    return [tracked[node].bound for node in outputs]


def too_large(graph: Graph, passes: int, more: int = 0) -> str | None:
    """Why a row has no rounding estimate: its tracked passes (``passes`` over the graph, and ``more`` node
    evaluations besides) would take more than :data:`MAX_TRACKED_NODES` node evaluations, each measured in
    mpmath; None where they fit.  The one check of that limit, whatever the method.

    >>> too_large(Graph(), 2) is None
    True
    """
    if len(graph) * passes + more <= MAX_TRACKED_NODES:
        return None
    return (f"no error estimate: f has {len(graph)} nodes, more than the "
            f"{(MAX_TRACKED_NODES - more) // max(1, passes)} whose rounding is measured")


def no_estimate(method: str, why: str) -> dict:
    """The ``details`` of a row without an estimate: its warning, ``method: why``."""
    return {"warnings": [f"{method}: {why}"]}


def unbounded(error: BaseException) -> str:
    """Why a row has no estimate when its tracked passes fail (an overflow while bounding)."""
    return f"no error estimate: its rounding could not be bounded here ({error})"


def with_estimate(run, graph: Graph, bounds, method: str, passes: int = 2):
    """``run`` with the harness's untimed ``details`` hook giving ``{"error_estimate": {name: bound}}``,
    ``bounds(values)`` in variable order; None for a partial without a value (its error says why) or
    without a finite bound (a warning says so).
    Where there is no estimate, the row says why in its warnings, as the Hessians' and the stencils' rows
    do, instead of leaving the column out silently: a tracked pass that cannot run (an overflow while
    bounding), or a graph whose ``passes`` over it exceed :data:`MAX_TRACKED_NODES` node evaluations (each
    measured in mpmath).  ``method`` is the row's method id, which starts each warning.

    >>> from diffcli.core.parse import parse
    >>> run = with_estimate(lambda values: ([1.0], 0), parse("x"), lambda values: [0.0], "reverse")
    >>> run.details([2.0], [1.0])
    {'error_estimate': {'x': 0.0}}
    """
    names = graph.variable_names
    refused = too_large(graph, passes)

    def details(values, gradient) -> dict:
        if refused:
            return no_estimate(method, refused)
        try:
            found = bounds(values)
        except (ArithmeticError, ValueError) as error:
            return no_estimate(method, unbounded(error))
        estimates = {name: bound if isinstance(g, float) and math.isfinite(bound) else None
                     for name, bound, g in zip(names, found, gradient)}
        unbounded_partials = [name for name, g in zip(names, gradient)
                              if isinstance(g, float) and estimates[name] is None]
        if not unbounded_partials:
            return {"error_estimate": estimates}
        return {"error_estimate": estimates, "warnings": [
            f"{method}: the error of ∂f/∂{name} cannot be estimated: {NOT_FINITE} (est. error: unknowable)"
            for name in unbounded_partials]}
    run.details = details
    return run


NOT_FINITE = ("its rounding bound is not finite here (a divisor whose rounding may reach its own size, or "
              "a bound that overflows)")
"""Why a partial with a value has no estimate: its tracked bound is infinite (``1/(((x + 1e17) - 1e17) - x
- 1)`` at 8.5: the divisor −1 may be off by more than 1 as rounded)."""


def symbolic_bounds(graph: Graph, derived: Graph, outputs: list[int], values: list) -> list[float]:
    """The rounding estimate of each derivative node of ``derived`` (``graph`` extended by the symbolic
    gradient): its own evaluation's bound, plus reverse mode's bound for the same chain rule, which stands
    for the constants the simplifier folded (``1 - 1/tanh(3)`` folded to one double loses what the terms
    it combines are rounded by; the bound of the chain rule's terms is of that size)."""
    own = graph_bounds(derived, outputs, values, len(graph))
    return [a + b for a, b in zip(own, reverse_bounds(graph, values))]


# ---------------------------------------------------------------- forward-over-reverse Hessians

class TrackedDual:
    """A dual number of tracked numbers: the backward loop run on it is forward-over-reverse (a Hessian
    row), with the bound of every entry."""

    __slots__ = ("value", "tangent")

    def __init__(self, value, tangent=0.0):
        self.value, self.tangent = _lift(value), _lift(tangent)

    def __add__(self, other): return _dual_apply(PRIMITIVES["add"], (self, other))
    def __radd__(self, other): return _dual_apply(PRIMITIVES["add"], (other, self))
    def __sub__(self, other): return _dual_apply(PRIMITIVES["sub"], (self, other))
    def __rsub__(self, other): return _dual_apply(PRIMITIVES["sub"], (other, self))
    def __mul__(self, other): return _dual_apply(PRIMITIVES["mul"], (self, other))
    def __rmul__(self, other): return _dual_apply(PRIMITIVES["mul"], (other, self))
    def __truediv__(self, other): return _dual_apply(PRIMITIVES["div"], (self, other))
    def __rtruediv__(self, other): return _dual_apply(PRIMITIVES["div"], (other, self))
    def __pow__(self, other): return _dual_apply(PRIMITIVES["pow"], (self, other))
    def __rpow__(self, other): return _dual_apply(PRIMITIVES["pow"], (other, self))
    def __neg__(self): return _dual_apply(PRIMITIVES["neg"], (self,))


def _dual_apply(primitive, args) -> TrackedDual:
    """``primitive(*args)``: value by :func:`call`, tangent ``Σ ∂/∂arg · tangent`` in tracked arithmetic (an
    argument whose tangent is 0 adds nothing, as in ``dual``)."""
    values = [a.value if isinstance(a, TrackedDual) else _lift(a) for a in args]
    y = call(primitive, values)
    tangent = Tracked(0.0)
    for k, a in enumerate(args):
        if isinstance(a, TrackedDual) and (a.tangent.value or a.tangent.bound):
            tangent = tangent + primitive.partials[k](TRACKED, y, *values) * a.tangent
    return TrackedDual(y, tangent)


class TrackedDualAlgebra(NumberAlgebra):
    """Tracked dual numbers for the one backward loop (forward-over-reverse)."""

    def __init__(self):
        self.one = TrackedDual(1.0)
        self.functions = Functions(_dual_apply)


def hessian_bounds(graph: Graph, values: list) -> list[list[float]]:
    """The rounding bound of each entry of the Hessian that forward-over-reverse computes: row ``i`` is the
    backward loop on tracked dual numbers seeded on variable ``i`` (once per point: the symbolic Hessian
    adds the same bounds to its own)."""
    rows = once_per_point(graph, values, "hessian", lambda: _hessian_bounds(graph, values))
    return [list(row) for row in rows]


def _hessian_bounds(graph: Graph, values: list) -> list[list[float]]:
    point = dict(zip(graph.variable_names, values))

    def apply(primitive, node, args):  # as forward mode's pass: no tangent through a partial the table
        arguments = graph.arguments[node]  # makes 0 (x**0.0 in x)
        args = [a.value if isinstance(a, TrackedDual) and vanishes(graph, primitive, arguments, k) else a
                for k, a in enumerate(args)]
        return _dual_apply(primitive, args)
    rows = []
    for seeded in graph.variable_names:
        def variable(name, seeded=seeded):
            return TrackedDual(point[name], 1.0 if name == seeded else 0.0)
        duals = forward(graph, graph.output, Tracked, variable, apply)
        adjoint = adjoints(graph, duals, TrackedDualAlgebra())
        rows.append([adjoint[v].tangent.bound if isinstance(adjoint.get(v), TrackedDual) else 0.0
                     for v in graph.variables])
    return rows
