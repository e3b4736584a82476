"""The algebras of the one backward loop: what "multiply an adjoint by a partial" and "add up terms" mean.

:func:`diffcli.core.chain.adjoints` is written once; an :class:`Algebra` says what its values are and how
they combine.  The primitive table's rules are written against the same interface (``b.cos(x)`` is
``algebra.functions.cos(x)``), so one rule serves every kind of value:

* :class:`FloatAlgebra` — floats: reverse-mode AD on a tape (``trace`` records each term);
* :class:`MpAlgebra` — mpmath numbers of a private context: reverse mode at high precision;
* :class:`GraphAlgebra` — graph nodes (:class:`Ref`): symbolic differentiation;
* :class:`diffcli.core.fragments.CodeAlgebra` — source fragments: the compiled gradient's adjoint lines;
* ``diffcli.methods.forward.DualAlgebra`` — dual numbers: forward-over-reverse Hessian rows.

A sixth kind of value needs only a class with the six members of :class:`Algebra`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from diffcli.core.graph import Graph
from diffcli.core.primitives import PRIMITIVES


@runtime_checkable
class Algebra(Protocol):
    """What the backward loop asks of the values it runs on.

    For every node ``n`` and argument ``a`` of it, the loop computes ``partial`` = ∂n/∂a by the table's
    rule (called with :attr:`functions` as its ``b``), then ``term = times(adjoint[n], partial)``, tells
    :meth:`note`, and adds ``term`` to ``a``'s adjoint: :meth:`first` for a's first term, :meth:`plus` for
    every later one.  The output's adjoint starts at :attr:`one`.  A value may also be a plain float (a
    rule's constant such as ``1.0``), which every algebra must accept wherever it accepts its own values.
    """

    one: Any
    """The output's adjoint, ∂output/∂output."""

    functions: Any
    """The ``b`` of the rules: ``functions.cos(x)`` applies the primitive ``cos`` to values of this algebra
    (a :class:`Functions`)."""

    def times(self, adjoint, partial):
        """``adjoint · partial``: one term of the chain rule."""

    def first(self, term, node: int):
        """The adjoint of ``node`` when ``term`` is its first term (an algebra may store it here)."""

    def plus(self, total, term, node: int):
        """The adjoint of ``node`` once ``term`` is added to its running ``total``."""

    def note(self, node: int, argument: int, partial, term) -> None:
        """Told every term as it is made (``node``'s partial in ``argument``); most algebras ignore it."""


class Functions:
    """The ``b`` of the rules: ``b.cos(x)`` calls the named primitive in the current algebra."""

    def __init__(self, call):
        self._call = call

    def __getattr__(self, name):
        primitive = PRIMITIVES.get(name)
        if primitive is None:  # an AttributeError, so introspection (doctest, copy) works
            raise AttributeError(f"no primitive named {name!r}")
        call = self._call

        def function(*args):
            return call(primitive, args)
        # Kept as an attribute: the next b.cos is found without __getattr__ (a backward pass asks per term).
        setattr(self, name, function)
        return function


class NumberAlgebra:
    """Plain arithmetic on numbers of some kind; subclasses set ``functions`` (and ``one`` if not 1.0)."""

    one = 1.0

    def times(self, adjoint, partial):
        return adjoint * partial

    def first(self, term, node):
        return term

    def plus(self, total, term, node):
        return total + term

    def note(self, node, argument, partial, term):
        pass


FLOATS = Functions(lambda primitive, args: primitive.real(*args))
"""The table's functions on floats, for a rule evaluated on numbers (``rule(FLOATS, y, *args)``)."""


class FloatAlgebra(NumberAlgebra):
    """Numbers.  ``record`` collects every chain-rule term, for ``trace``."""

    def __init__(self, record: bool = False):
        self.functions = FLOATS
        self.terms: list | None = [] if record else None

    def note(self, node, argument, partial, term):
        if self.terms is not None:
            self.terms.append((node, argument, partial, term))


class MpAlgebra(NumberAlgebra):
    """mpmath numbers of a private context ``m``: reverse mode at high precision (the reference for many
    variables, cross-checked against mpmath.diff, which does not use the rules)."""

    def __init__(self, m):
        from mpmath.libmp import mpf_add  # here: a command without a reference never imports mpmath

        self.one = m.one
        self.functions = Functions(lambda primitive, args: primitive.mp(m, *args))
        self._context, self._mpf_add = m, mpf_add

    def plus(self, total, term, node):
        # Two mpf: mpmath's own sum (mpf.__add__ is this mpf_add at the context's precision and rounding),
        # without its type dispatch; anything else (an mpc, a float): total + term.
        m = self._context
        mpf = m.mpf
        if type(total) is mpf and type(term) is mpf:
            value = _new(mpf)
            value._mpf_ = self._mpf_add(total._mpf_, term._mpf_, *m._prec_rounding)
            return value
        return total + term


_new = object.__new__
"""How mpmath makes a number before setting its raw tuple (``mpf.__add__`` does the same)."""


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
