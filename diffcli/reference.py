"""The high-precision reference: value and gradient in mpmath, in a private context.

Two ways, and the record says which was used (``method``):

* ``mpmath.diff`` (up to :data:`REVERSE_REFERENCE_MIN_VARIABLES` variables): independent of diffcli's
  derivative rules — f is evaluated with the table's mpmath evaluators and differentiated numerically by
  ``mpmath.diff`` at raised working precision.  ``mpmath.diff`` on a function that returned Python floats
  would silently give 0; :func:`~diffcli.chain.evaluate_mp` refuses any value that is not an ``mpf`` of the
  private context, so that cannot happen.
* ``reverse-mode in mpmath`` (many variables, where ``mpmath.diff`` would cost two high-precision
  evaluations of f per variable): the one backward loop of :mod:`diffcli.chain` in mpmath arithmetic, then
  cross-checked against ``mpmath.diff`` on :data:`CROSS_CHECKS` coordinates; a disagreement is an error.

The point is taken at the exact binary value of the doubles the methods see (``x=1.7`` is
1.6999999999999999555910790149937…), and every constant of the graph is the double it folded to, so the
reference measures the methods, not the decimal-to-binary conversion.  mpmath's global precision is never
touched.

Correct digits: the whole computation runs twice, at ``digits + 15`` and ``digits + 30`` decimal digits;
the two must agree to ``digits`` significant digits (else it is repeated with more guard digits, and
finally refused with :class:`~diffcli.errors.PrecisionError`).

At a kink (``abs(x)`` at 0) the derivative does not exist; the reference is then the right derivative
(``direction=+1``, always by ``mpmath.diff``) and the caller warns.
"""

from __future__ import annotations

from dataclasses import dataclass

from .chain import MpAlgebra, adjoints, depends_on, evaluate_mp
from .errors import DiffcliError, DomainError, PrecisionError
from .graph import Graph

GUARD_DIGITS = ((15, 30), (40, 80), (100, 200))
"""Extra working digits of the two runs compared, tried in turn until they agree."""

REVERSE_REFERENCE_MIN_VARIABLES = 16
"""From this many variables on, the reference gradient is reverse mode in mpmath (cross-checked)."""

CROSS_CHECKS = 3
"""Coordinates of a reverse-mode reference checked against mpmath.diff (first, middle, last)."""

DIFF, REVERSE = "mpmath.diff", "reverse-mode in mpmath"


@dataclass
class Reference:
    """``value`` and ``gradient`` as mpmath numbers of a private context, good to ``digits`` digits."""

    digits: int
    value: object
    gradient: dict
    context: object
    method: str = DIFF

    def text(self, number) -> str:
        """``number`` as a decimal string of ``digits`` significant digits."""
        return self.context.nstr(number, self.digits, min_fixed=-5, max_fixed=25) if number else "0"

    def as_json(self) -> dict:
        return {"digits": self.digits, "method": self.method, "value": self.text(self.value),
                "gradient": {name: self.text(v) for name, v in self.gradient.items()}}


def reference(graph: Graph, point: dict, digits: int = 50, one_sided: bool = False,
              variables: list | None = None) -> Reference:
    """Value and gradient of ``graph`` at ``point`` (floats) to ``digits`` correct significant digits.

    ``variables`` restricts the gradient to some variables (by ``mpmath.diff``), e.g. to sample a large one.

    >>> from diffcli.parse import parse
    >>> r = reference(parse("x**3"), {"x": 2.0}, digits=20)
    >>> r.text(r.gradient["x"])
    '12.0'
    """
    if not 1 <= digits <= 1000:
        raise DiffcliError(f"--digits must be between 1 and 1000, not {digits}")
    import mpmath

    names = graph.variable_names if variables is None else list(variables)
    use_reverse = variables is None and not one_sided and len(names) >= REVERSE_REFERENCE_MIN_VARIABLES
    for low, high in GUARD_DIGITS:
        try:
            runs = [_compute(mpmath, graph, point, digits + extra, names, one_sided, use_reverse)
                    for extra in (low, high)]
        except DomainError as error:
            raise PrecisionError("no reference derivative: f is undefined just beside the point, so it is not "
                                 f"differentiable there ({error.message})") from None
        first, second = runs
        m = second.context
        scale = max(abs(second.value), m.one)
        if all(_agree(m, first.gradient[n], second.gradient[n], digits, scale) for n in names) \
                and _agree(m, first.value, second.value, digits, scale):
            second.digits = digits
            if use_reverse:
                _cross_check(mpmath, graph, point, second, names, digits + high)
            return second
    raise PrecisionError(f"the reference could not reach {digits} correct digits at this point "
                         "(f is too ill-conditioned here); try fewer --digits")


def _agree(m, a, b, digits: int, scale) -> bool:
    tolerance = m.mpf(10) ** (-digits)
    return abs(a - b) <= tolerance * max(abs(b), tolerance * scale)


def _context(mpmath, dps: int):
    m = mpmath.MPContext()
    m.dps = dps
    return m


def _compute(mpmath, graph: Graph, point: dict, dps: int, names: list, one_sided: bool,
             use_reverse: bool) -> Reference:
    m = _context(mpmath, dps)
    at = {name: m.mpf(float(point[name])) for name in graph.variable_names}  # exact binary values
    if use_reverse:
        values = evaluate_mp(graph, at, m, every=True)
        adjoint = adjoints(graph, values, MpAlgebra(m))
        gradient = {name: adjoint.get(node, m.zero) for name, node in zip(graph.variable_names, graph.variables)}
        return Reference(digits=dps, value=values[graph.output], gradient=gradient, context=m, method=REVERSE)
    values = evaluate_mp(graph, at, m, every=True)
    gradient = {name: _diff(m, graph, at, values, name, one_sided) for name in names}
    return Reference(digits=dps, value=values[graph.output], gradient=gradient, context=m, method=DIFF)


def _diff(m, graph: Graph, at: dict, values: list, name: str, one_sided: bool):
    """mpmath.diff in one variable; nodes that do not depend on it keep their values at the point."""
    changed = depends_on(graph, graph.variables[graph.variable_names.index(name)])

    def f(t):
        return evaluate_mp(graph, {**at, name: t}, m, base=values, changed=changed)
    return m.diff(f, at[name], direction=1 if one_sided else 0)


def _cross_check(mpmath, graph: Graph, point: dict, result: Reference, names: list, dps: int) -> None:
    """mpmath.diff on a few coordinates must agree with the reverse-mode reference to ``digits``."""
    m = _context(mpmath, dps)
    at = {name: m.mpf(float(point[name])) for name in graph.variable_names}
    values = evaluate_mp(graph, at, m, every=True)
    picks = sorted({0, len(names) // 2, len(names) - 1})[:CROSS_CHECKS]
    scale = max(abs(result.value), result.context.one)
    for index in picks:
        name = names[index]
        independent = _diff(m, graph, at, values, name, False)
        if not _agree(result.context, result.context.mpf(independent), result.gradient[name], result.digits, scale):
            raise PrecisionError(f"the reverse-mode reference disagrees with mpmath.diff in {name}; "
                                 "no trustworthy reference at this point")
    result.method = f"{REVERSE}, checked by mpmath.diff on {len(picks)} coordinates"
