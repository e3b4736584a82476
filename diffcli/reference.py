"""The high-precision reference: value and gradient in mpmath, independent of the derivative rules.

The reference never uses the primitive table's ``partials``: it evaluates f with the table's mpmath
evaluators and differentiates numerically with ``mpmath.diff`` at raised working precision, in a private
:class:`mpmath.MPContext` (mpmath's global precision is never touched).  The point is taken at the exact
binary value of the doubles the methods see (``x=1.7`` is 1.6999999999999999555910790149937…), and every
constant of the graph is the double it folded to, so the reference measures the methods, not the
decimal-to-binary conversion.

Correct digits: the whole computation runs twice, at ``digits + 15`` and ``digits + 30`` decimal digits;
the two must agree to ``digits`` significant digits (else it is repeated with more guard digits, and
finally refused with :class:`~diffcli.errors.PrecisionError`).  ``mpmath.diff`` on a function that
returned Python floats would silently give 0; :func:`~diffcli.chain.evaluate_mp` refuses any value that is
not an ``mpf`` of the private context, so that cannot happen.

At a kink (``abs(x)`` at 0) the derivative does not exist; the reference is then the right derivative
(``direction=+1``) and the caller warns.
"""

from __future__ import annotations

from dataclasses import dataclass

from .chain import evaluate_mp
from .errors import DiffcliError, DomainError, PrecisionError
from .graph import Graph

GUARD_DIGITS = ((15, 30), (40, 80), (100, 200))
"""Extra working digits of the two runs compared, tried in turn until they agree."""


@dataclass
class Reference:
    """``value`` and ``gradient`` as mpmath numbers of a private context, good to ``digits`` digits."""

    digits: int
    value: object
    gradient: dict
    context: object

    def text(self, number) -> str:
        """``number`` as a decimal string of ``digits`` significant digits."""
        return _text(self.context, number, self.digits)

    def as_json(self) -> dict:
        return {"digits": self.digits, "value": self.text(self.value),
                "gradient": {name: self.text(v) for name, v in self.gradient.items()}}


def reference(graph: Graph, point: dict, digits: int = 50, one_sided: bool = False) -> Reference:
    """Value and gradient of ``graph`` at ``point`` (floats) to ``digits`` correct significant digits.

    >>> from diffcli.parse import parse
    >>> r = reference(parse("x**3"), {"x": 2.0}, digits=20)
    >>> r.text(r.gradient["x"])
    '12.0'
    """
    if not 1 <= digits <= 1000:
        raise DiffcliError(f"--digits must be between 1 and 1000, not {digits}")
    import mpmath

    for low, high in GUARD_DIGITS:
        try:
            first = _compute(mpmath, graph, point, digits + low, one_sided)
            second = _compute(mpmath, graph, point, digits + high, one_sided)
        except DomainError as error:
            raise PrecisionError("no reference derivative: f is undefined just beside the point, so it is not "
                                 f"differentiable there ({error.message})") from None
        m = second.context
        scale = max(abs(second.value), m.one)
        if all(_agree(m, first.gradient[n], second.gradient[n], digits, scale) for n in second.gradient) \
                and _agree(m, first.value, second.value, digits, scale):
            second.digits = digits
            return second
    raise PrecisionError(f"the reference could not reach {digits} correct digits at this point "
                         "(f is too ill-conditioned here for mpmath.diff); try fewer --digits")


def _agree(m, a, b, digits: int, scale) -> bool:
    tolerance = m.mpf(10) ** (-digits)
    return abs(a - b) <= tolerance * max(abs(b), tolerance * scale)


def _compute(mpmath, graph: Graph, point: dict, dps: int, one_sided: bool) -> Reference:
    m = mpmath.MPContext()
    m.dps = dps
    at = {name: m.mpf(float(point[name])) for name in graph.variable_names}  # exact binary values
    value = evaluate_mp(graph, at, m)
    gradient = {}
    for name in graph.variable_names:
        def f(t, name=name):
            return evaluate_mp(graph, {**at, name: t}, m)
        gradient[name] = m.diff(f, at[name], direction=1 if one_sided else 0)
    return Reference(digits=dps, value=value, gradient=gradient, context=m)


def _text(m, number, digits: int) -> str:
    return m.nstr(number, digits, min_fixed=-5, max_fixed=25) if number else "0"


@dataclass
class Partials:
    """Higher partial derivatives: ``derivatives[orders]`` is ∂^|orders| f / ∂x1^o1 ∂x2^o2 …, an mpmath
    number of the private ``context``, good to ``digits`` digits."""

    digits: int
    value: object
    derivatives: dict
    context: object

    def text(self, number) -> str:
        return _text(self.context, number, self.digits)


def reference_partials(graph: Graph, point: dict, orders: list, digits: int = 50) -> Partials:
    """Partial derivatives of any orders (one tuple per wanted derivative, one entry per variable in
    ``graph.variable_names`` order) by ``mpmath.diff`` on the table's mpmath evaluators — never the
    derivative rules — at two precisions that must agree, as :func:`reference` does for the gradient.

    >>> from diffcli.parse import parse
    >>> r = reference_partials(parse("x**3 * z"), {"x": 2.0, "z": 5.0}, [(2, 0), (1, 1)], digits=20)
    >>> [r.text(r.derivatives[o]) for o in [(2, 0), (1, 1)]]
    ['60.0', '12.0']
    """
    if not 1 <= digits <= 1000:
        raise DiffcliError(f"--digits must be between 1 and 1000, not {digits}")
    import mpmath

    orders = [tuple(o) for o in orders]
    for low, high in GUARD_DIGITS:
        try:
            first = _compute_partials(mpmath, graph, point, orders, digits + low)
            second = _compute_partials(mpmath, graph, point, orders, digits + high)
        except DomainError as error:
            raise PrecisionError("no reference derivative: f is undefined just beside the point, so it is not "
                                 f"differentiable there ({error.message})") from None
        m = second.context
        scale = max(abs(second.value), m.one)
        if all(_agree(m, first.derivatives[o], second.derivatives[o], digits, scale) for o in orders):
            second.digits = digits
            return second
    raise PrecisionError(f"the reference could not reach {digits} correct digits at this point "
                         "(f is too ill-conditioned here for mpmath.diff); try fewer --digits")


def _compute_partials(mpmath, graph: Graph, point: dict, orders: list, dps: int) -> Partials:
    m = mpmath.MPContext()
    m.dps = dps
    names = graph.variable_names
    at = [m.mpf(float(point[name])) for name in names]  # exact binary values

    def f(*values):
        return evaluate_mp(graph, dict(zip(names, values)), m)

    derivatives = {o: (m.diff(f, at, o) if any(o) else f(*at)) for o in orders}
    return Partials(digits=dps, value=f(*at), derivatives=derivatives, context=m)
