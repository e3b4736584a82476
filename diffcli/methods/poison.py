"""Reverse mode one partial at a time: the backward loop on numbers where a rule that cannot be evaluated
gives a *poison* instead of stopping the loop.

A poison carries the message of the rule that failed; multiplied or added to anything it stays itself, so
it flows through the adjoint accumulation into exactly the variables whose derivative needs that rule.
``(-x)**z`` at x=2, z=3: pow's partial in z is log(-2)·f, a poison; its partial in the base is 12, so
∂f/∂x = -12 while ∂f/∂z carries the message.  The loop is the one of :mod:`diffcli.core.chain`; only the
numbers differ (:class:`Guarded` floats, whose every operation turns a math error into a poison).
"""

from __future__ import annotations

import operator

from diffcli.core.algebra import Functions, NumberAlgebra
from diffcli.core.chain import adjoints, rule_error
from diffcli.core.errors import DomainError
from diffcli.core.evaluate import evaluate
from diffcli.core.graph import Graph
from diffcli.core.primitives import PRIMITIVES
from diffcli.methods.partials import Undefined, explained

_MATH_ERRORS = (ArithmeticError, ValueError, DomainError)


class Poison:
    """A value that could not be computed: ``error`` as raised, ``message`` once the loop has located it
    (the failing rule, in the user's words).  Every arithmetic operation with it gives it back."""

    __slots__ = ("error", "message")

    def __init__(self, error: Exception):
        self.error, self.message = error, None

    def _absorb(self, other=None):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _absorb
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = _absorb

    def __repr__(self) -> str:
        return f"Poison({self.message or self.error!r})"


def _guarded(op, reflected: bool = False):
    def apply(a, b):
        if isinstance(b, Poison):
            return b
        x, y = (float(b), float(a)) if reflected else (float(a), float(b))
        try:
            return Guarded(op(x, y))
        except _MATH_ERRORS as error:
            return Poison(error)
    return apply


class Guarded(float):
    """A float whose arithmetic gives a :class:`Poison` where Python's would raise (``1/0``, ``(-2)**0.5``:
    powers use the table's real ``pow``, never a complex result)."""

    __add__, __radd__ = _guarded(operator.add), _guarded(operator.add, True)
    __sub__, __rsub__ = _guarded(operator.sub), _guarded(operator.sub, True)
    __mul__, __rmul__ = _guarded(operator.mul), _guarded(operator.mul, True)
    __truediv__, __rtruediv__ = _guarded(operator.truediv), _guarded(operator.truediv, True)
    __pow__, __rpow__ = _guarded(PRIMITIVES["pow"].real), _guarded(PRIMITIVES["pow"].real, True)

    def __neg__(self):
        return Guarded(-float(self))


def _call(primitive, args):
    for a in args:
        if isinstance(a, Poison):
            return a
    try:
        return Guarded(primitive.real(*(float(a) for a in args)))
    except _MATH_ERRORS as error:
        return Poison(error)


class PoisonAlgebra(NumberAlgebra):
    """Guarded floats and poisons for the backward loop; a poison made by a rule is given that rule's
    message (:func:`diffcli.core.chain.rule_error`) when the loop tells :meth:`note` of it.  ``record``
    collects every chain-rule term, poisons included, as FloatAlgebra's does (``trace``)."""

    def __init__(self, graph: Graph, values: list, record: bool = False):
        self.graph, self.values = graph, values
        self.one = Guarded(1.0)
        self.functions = Functions(_call)
        self.terms: list | None = [] if record else None

    def note(self, node, argument, partial, term):
        if isinstance(term, Poison) and term.message is None:
            arguments = self.graph.arguments[node]
            said = rule_error(self.graph, node, arguments.index(argument),
                              [self.values[a] for a in arguments], term.error)
            term.message = said.message
        if self.terms is not None:
            self.terms.append((node, argument, partial, term))


def poisoned_gradient(graph: Graph, values: list) -> list:
    """The gradient by reverse mode, each entry a float or an :class:`~diffcli.methods.partials.Undefined`
    saying why that partial has none.

    >>> from diffcli.core.parse import parse
    >>> x, z = poisoned_gradient(parse("(-x)**z"), [2.0, 3.0])
    >>> x, z.message[:48]
    (-12.0, 'no derivative: f is undefined on both sides of z')
    """
    forward = evaluate(graph, dict(zip(graph.variable_names, values)))  # f itself: a DomainError if not
    guarded = [None if v is None else Guarded(v) for v in forward]
    return gradient_of(graph, values, adjoints(graph, guarded, PoisonAlgebra(graph, forward)))


def gradient_of(graph: Graph, values: list, adjoint: dict) -> list:
    """The gradient in the adjoints of the poisoned loop: a float, or for a poison an
    :class:`~diffcli.methods.partials.Undefined` saying why."""
    gradient: list = []
    for index, variable in enumerate(graph.variables):
        g = adjoint.get(variable, 0.0)
        if isinstance(g, Poison):
            gradient.append(explained(graph, values, index, g.message or f"undefined here ({g.error})"))
        else:
            gradient.append(float(g))
    return gradient


__all__ = ["Guarded", "Poison", "PoisonAlgebra", "Undefined", "gradient_of", "poisoned_gradient"]
