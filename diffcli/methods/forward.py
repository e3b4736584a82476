"""Forward-mode AD with dual numbers: the ``dual`` method, and the algebra behind forward-over-reverse.

A dual number ``v + d·ε`` (ε² = 0) carries a value and a tangent.  Applying a primitive to dual numbers
gives ``f(v) + (Σ_k ∂f/∂arg_k · d_k)·ε`` where the partials come from the primitive table's rules,
evaluated on floats — the same rules the backward loop uses, so there is no second rule table.

One forward pass seeded with ``d = 1`` on one variable gives the derivative in that variable, so a whole
gradient costs one pass *per variable* (D passes), where reverse mode needs one forward and one backward
pass whatever D is: the contrast ``compare`` shows in its ``f evals`` column.

Plain floats stand for constants (tangent 0): their partials are never asked for, so ``x ** 2.0`` never
evaluates ``log(x)``.

>>> x = Dual(2.0, 1.0)
>>> y = x * x + Dual(3.0, 0.0).sin()
>>> (y.value, y.tangent)
(4.141120008059867, 4.0)
"""

from __future__ import annotations

from diffcli.core.algebra import FLOATS, Functions, NumberAlgebra
from diffcli.core.chain import adjoints, rule_error, vanishes
from diffcli.core.codegen import compile_tangent
from diffcli.core.errors import RuleError
from diffcli.core.evaluate import evaluate, forward
from diffcli.core.graph import Graph
from diffcli.core.primitives import PRIMITIVES
from diffcli.methods.partials import explained
from diffcli.methods.registry import Method, method, register
from diffcli.methods.rounding import (
    hessian_bounds,
    no_estimate,
    tangent_bounds,
    too_large,
    unbounded,
    with_estimate,
)


class Dual:
    """A value and its tangent; arithmetic and ``b.<function>`` apply the primitive table's entries."""

    __slots__ = ("value", "tangent")

    def __init__(self, value: float, tangent: float = 0.0):
        self.value, self.tangent = value, tangent

    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.tangent!r})"

    def __add__(self, other): return apply(PRIMITIVES["add"], (self, other))
    def __radd__(self, other): return apply(PRIMITIVES["add"], (other, self))
    def __sub__(self, other): return apply(PRIMITIVES["sub"], (self, other))
    def __rsub__(self, other): return apply(PRIMITIVES["sub"], (other, self))
    def __mul__(self, other): return apply(PRIMITIVES["mul"], (self, other))
    def __rmul__(self, other): return apply(PRIMITIVES["mul"], (other, self))
    def __truediv__(self, other): return apply(PRIMITIVES["div"], (self, other))
    def __rtruediv__(self, other): return apply(PRIMITIVES["div"], (other, self))
    def __pow__(self, other): return apply(PRIMITIVES["pow"], (self, other))
    def __rpow__(self, other): return apply(PRIMITIVES["pow"], (other, self))
    def __neg__(self): return apply(PRIMITIVES["neg"], (self,))

    def __getattr__(self, name):  # dual.sin() and friends, for convenience
        primitive = PRIMITIVES.get(name)
        if primitive is None:
            raise AttributeError(name)
        return lambda *others: apply(primitive, (self, *others))


def apply(primitive, args) -> Dual:
    """``primitive(*args)`` on dual numbers (floats are constants): value by ``real``, tangent by the
    table's partials evaluated on the values.  An argument whose tangent is 0 does not move in this
    direction, like a constant: its partial is not evaluated, so ``(-x)**z`` seeded on x never asks for
    log(-x), the partial in z."""
    values = [a.value if isinstance(a, Dual) else a for a in args]
    y = primitive.real(*values)
    tangent = 0.0
    for k, a in enumerate(args):
        if isinstance(a, Dual) and a.tangent != 0.0:  # 0·ε adds nothing: its partial is never asked for
            tangent += primitive.partials[k](FLOATS, y, *values) * a.tangent
    return Dual(y, tangent)


class DualAlgebra(NumberAlgebra):
    """Dual numbers for the one backward loop of :mod:`diffcli.core.chain`: run on forward values that carry a
    tangent in direction ``e_i``, each adjoint's tangent is ``∂²f/∂x_i∂node`` (forward-over-reverse)."""

    def __init__(self):
        self.functions = Functions(apply)


def forward_pass(graph: Graph, point: dict, seed: dict) -> list:
    """Every node's value as a Dual (constants stay floats), tangents seeded by ``seed`` ({name: tangent}).

    Raises DomainError where f is undefined at the point, and RuleError (a DomainError) naming the
    sub-expression and argument whose partial derivative is not.

    >>> from diffcli.core.parse import parse
    >>> forward_pass(parse("x*sin(x)"), {"x": 0.0}, {"x": 1.0})[-1]
    Dual(0.0, 0.0)
    """
    evaluate(graph, point)  # f itself must be defined: a clear, located DomainError otherwise

    def dual_apply(primitive, node, args):
        # as the compiled tangent: an argument whose partial the table says is 0 here (x**0.0 in x) moves
        # nothing, a constant (forward gives the node's entry: x**0.0 is 1 at x = 0)
        arguments = graph.arguments[node]
        args = [a.value if isinstance(a, Dual) and vanishes(graph, primitive, arguments, k) else a
                for k, a in enumerate(args)]
        try:
            return apply(primitive, args)
        except (ArithmeticError, ValueError) as error:
            values = [a.value if isinstance(a, Dual) else a for a in args]
            raise rule_error(graph, node, _failing_argument(primitive, args), values, error) from None
    return forward(graph, graph.output, float,
                   lambda name: Dual(float(point[name]), float(seed.get(name, 0.0))), dual_apply)


def _failing_argument(primitive, args) -> int:
    """Which argument's partial cannot be evaluated, where ``apply(primitive, args)`` raised.  Its value
    can be: ``evaluate`` computed the same entry's ``real`` on the same doubles before the walk (every
    value of the walk is that ``real`` of the values before it), and ``apply``'s products and sums of
    floats do not raise.  So a partial raised, and the loop, asking the same partials in the same order,
    meets it and returns."""
    values = [a.value if isinstance(a, Dual) else a for a in args]
    y = primitive.real(*values)
    for k, a in enumerate(args):
        if isinstance(a, Dual) and a.tangent != 0.0:
            try:
                primitive.partials[k](FLOATS, y, *values)
            except (ArithmeticError, ValueError):
                return k


def _arrays(graph: Graph):
    import numpy as np

    tangent = compile_tangent(graph, kind="array")
    count = len(graph.variables)

    def run(columns):
        seeds = np.eye(count)
        return [tangent(*columns, *seeds[k])[1] for k in range(count)], count
    return run


@method("dual", "forward-mode AD with dual numbers: one forward pass per variable, each carrying a value "
                "and a tangent; compiled to straight-line code", rank=90, arrays=_arrays, work="variables")
def _dual(graph: Graph):
    tangent = compile_tangent(graph)
    count = len(graph.variables)
    seeds = [tuple(1.0 if i == j else 0.0 for j in range(count)) for i in range(count)]

    def run(values):
        try:
            return [tangent(*values, *seed)[1] for seed in seeds], count
        except (ValueError, ZeroDivisionError, OverflowError):
            return [_directional(graph, values, i) for i in range(count)], count
    return with_estimate(run, graph, lambda values: tangent_bounds(graph, values), "dual",
                         passes=1 + count)


def _directional(graph: Graph, values, index: int):
    """One pass of ``dual`` where the compiled pass raised: the interpreted one, which names the rule that
    failed (an :class:`~diffcli.methods.partials.Undefined` for this partial alone).  The compiled pass is
    not tried again per seed: its tangent lines are linear in the seeds (a sum of products by partials
    computed from the values alone), so where it raised for one seed it raises for every seed."""
    name = graph.variable_names[index]
    try:
        output = forward_pass(graph, dict(zip(graph.variable_names, values)), {name: 1.0})[graph.output]
    except RuleError as error:
        return explained(graph, values, index, error.message)
    return output.tangent


# ---------------------------------------------------------------- forward-over-reverse (Hessian only)

def forward_over_reverse_row(graph: Graph, point: dict, name: str) -> list[float]:
    """Row ``name`` of the Hessian: the backward loop on dual numbers seeded on ``name``.

    >>> from diffcli.core.parse import parse
    >>> forward_over_reverse_row(parse("x*x*z"), {"x": 3.0, "z": 2.0}, "x")
    [4.0, 6.0]
    """
    values = forward_pass(graph, point, {name: 1.0})
    adjoint = adjoints(graph, values, DualAlgebra())  # a rule undefined here: RuleError, naming it
    row = []
    for v in graph.variables:  # no adjoint where f does not need v; a float one (f = v) has no tangent
        g = adjoint.get(v)
        row.append(g.tangent if isinstance(g, Dual) else 0.0)
    return row


def _forward_over_reverse(graph: Graph):
    names = graph.variable_names

    def run(values):
        point = dict(zip(names, values))
        return [forward_over_reverse_row(graph, point, name) for name in names], len(names)

    def details(values, rows) -> dict:  # the rounding bound of every entry, once, after the timing
        why = too_large(graph, 2 * len(names))  # a forward and a backward pass a row, each tracked
        if why:
            return no_estimate("forward-over-reverse", why)
        try:
            return {"error_estimate": hessian_bounds(graph, values)}
        except (ArithmeticError, ValueError) as error:
            return no_estimate("forward-over-reverse", unbounded(error))
    run.details = details
    return run


register(Method("forward-over-reverse", "Hessian only", rank=95, hessian=_forward_over_reverse,
                hessian_summary="the backward loop run on dual numbers seeded on one variable: one "
                                "forward+backward pass per row"))
