"""Higher partial derivatives for ``hessian``: ``mpmath.diff`` with partial orders on the table's mpmath
evaluators, never the derivative rules, at two working precisions that must agree (:mod:`.runs`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from diffcli.core.errors import DomainError, PrecisionError
from diffcli.core.evaluate import evaluate_mp
from diffcli.core.graph import Graph
from diffcli.reference.cancellation import ADDITIVE, assess
from diffcli.reference.neighbourhood import at_the_point, edges
from diffcli.reference.runs import (
    DIGITS,
    GUARD_DIGITS,
    MAX_EXTRA_DIGITS,
    agree,
    agreeing_digits,
    decimal,
    lazy_sensitivities,
    private_context,
    settle,
    unknown_losses,
)


@dataclass
class Partials:
    """Higher partial derivatives: ``derivatives[orders]`` is ∂^|orders| f / ∂x1^o1 ∂x2^o2 …, an mpmath
    number of the private ``context``, good to ``digits`` digits."""

    digits: int
    value: object
    derivatives: dict
    context: object
    losses: dict = field(default_factory=dict, repr=False)
    errors: dict = field(default_factory=dict)
    """Orders → why that derivative has no reference (its ``derivatives`` entry is None): it differentiates
    in a variable along which f is not real on both sides of the point."""
    method: str = "mpmath.diff"

    def text(self, number) -> str:
        return decimal(self.context, number, self.digits)


def reference_partials(graph: Graph, point: dict, orders: list, digits: int = 50,
                       one_sided: bool = False) -> Partials:
    """Partial derivatives of any orders (one tuple per wanted derivative, one entry per variable in
    ``graph.variable_names`` order) by ``mpmath.diff`` on the table's mpmath evaluators — never the
    derivative rules — at two precisions that must agree, as :func:`reference` does for the gradient, with
    as many more working digits as f's value lost to cancellation at the point (refused where that cannot
    be resolved).  With ``one_sided`` (at a kink) every difference steps to the right: right derivatives,
    as the gradient's reference takes there.  A derivative in a variable along which f is not real on both
    sides (``(-x)**z`` in z at z = 3) is not computed: ``errors`` says why, the others are given.

    >>> from diffcli.core.parse import parse
    >>> r = reference_partials(parse("x**3 * z"), {"x": 2.0, "z": 5.0}, [(2, 0), (1, 1)], digits=20)
    >>> [r.text(r.derivatives[o]) for o in [(2, 0), (1, 1)]]
    ['60.0', '12.0']
    """
    digits = DIGITS.check(digits, "digits")
    import mpmath

    orders = [tuple(o) for o in orders]
    missing = _without_neighbourhood(mpmath, graph, point, digits)
    errors = {o: next(missing[name] for name, k in zip(graph.variable_names, o) if k and name in missing)
              for o in orders if any(k and name in missing for name, k in zip(graph.variable_names, o))}
    computed = [o for o in orders if o not in errors]
    unsettled = ("mpmath.diff's right derivatives do not settle: f has a kink here, where it is not twice "
                 "differentiable" if one_sided else
                 f"two working precisions of mpmath.diff do not agree on {digits} digits: f is not twice "
                 "differentiable here, or too ill-conditioned; try fewer --digits")

    def runs(low, high, extra):
        return [_compute_partials(mpmath, graph, point, computed, digits + guard + extra, one_sided)
                for guard in (low, high)]

    # measured at the last pair's highest digits: a small operand that cancels within them is seen
    extra = _hidden_digits(mpmath, graph, point, digits + GUARD_DIGITS[-1][1])
    for low, high in GUARD_DIGITS:
        first, second, extra = settle(runs, low, high, extra)
        if unknown_losses(second.losses, digits + low + extra):
            raise PrecisionError("no reference: f cancels beyond the largest working precision here, so its "
                                 "digits are unknown")
        m = second.context
        if all(agreeing_digits(m, first.derivatives[o], second.derivatives[o], digits) >= digits
               for o in computed):
            return _done(second, digits, errors)
    # The last pair: a derivative that both runs put within 10^-digits of max(|f|, 1) is 0 to the digits
    # asked for (mpmath.diff leaves residues of about that size where the derivative is 0); earlier pairs
    # could not tell it from a derivative far smaller than f (sin(x) - 1e40 near π/2), which they resolve.
    # An entry on which even that fails is that entry's error; the others are given.
    scale = max(abs(second.value), m.one)
    for o in computed:
        if agreeing_digits(m, first.derivatives[o], second.derivatives[o], digits) >= digits:
            continue
        if agree(m, first.derivatives[o], second.derivatives[o], digits, scale):
            second.derivatives[o] = m.zero
        else:
            errors[o] = unsettled
    if len(errors) == len(orders) and not missing:
        raise PrecisionError(f"the reference could not reach {digits} correct digits at this point "
                             f"({unsettled})")
    return _done(second, digits, errors)


def _done(result: Partials, digits: int, errors: dict) -> Partials:
    result.digits = digits
    result.errors = errors
    result.derivatives.update(dict.fromkeys(errors))
    return result


def _without_neighbourhood(mpmath, graph: Graph, point: dict, digits: int) -> dict:
    """Variable name → why f has no derivatives in it here (f not real on one side or both)."""
    found = edges(mpmath, graph, point, graph.variable_names, digits)
    return {name: (side.message(name, float(point[name])) if not side.direction else
                   f"no two-sided derivative in {name}: {side.message(name, float(point[name]))}")
            for name, side in found.items()}


def _compute_partials(mpmath, graph: Graph, point: dict, orders: list, dps: int,
                      one_sided: bool = False) -> Partials:
    m = private_context(mpmath, dps)
    names = graph.variable_names
    at = [m.mpf(float(point[name])) for name in names]  # exact binary values

    def f(*values):
        return evaluate_mp(graph, dict(zip(names, values)), m)

    try:
        values = evaluate_mp(graph, dict(zip(names, at)), m, every=True)
        derivatives = {o: (m.diff(f, at, o, direction=int(one_sided)) if any(o) else values[graph.output])
                       for o in orders}
    except DomainError as error:
        raise PrecisionError("no reference derivative: f is undefined just beside the point, so it is not "
                             f"differentiable there ({error.message})") from None
    losses = {"value": assess(m, graph, values, False, lazy_sensitivities(m, graph, values))}
    return Partials(digits=dps, value=values[graph.output], derivatives=derivatives, context=m, losses=losses,
                    method="mpmath.diff (right derivatives)" if one_sided else "mpmath.diff")


def _hidden_digits(mpmath, graph: Graph, point: dict, dps: int) -> int:
    """Working digits that mpmath.diff needs beyond ``dps`` so that a sum's smaller operand, where it
    depends on a variable, still moves the sum at its step: the largest gap, in digits, between the two
    operands of such a sum at the point (``x*y + 1e300``: 300; both runs lost ∂²f/∂x∂y = 1 beside 1e300
    and agreed on 0), or between a variable and 1 (``x*y`` at x = 1e300: x + h was x).  A variation
    hidden inside a function (``exp(1e-300*x)``) is not seen here.  Where f fails at ``dps`` digits, a sum
    may have absorbed an input (``log((x + u) - x)`` at x = 1, u = 2^-121 is ``log(0)`` at 35 digits): f is
    asked again with more (:func:`~diffcli.reference.neighbourhood.at_the_point`), and that sum's gap (121
    bits, 37 digits) is what the runs need; f undefined at both is refused."""
    m, values = at_the_point(mpmath, graph, point, dps,
                             lambda m, at: (m, evaluate_mp(graph, at, m, every=True)))
    depends = graph.depends_on_variables()
    gap = max([m.mag(values[v]) for v in graph.variables if values[v]], default=0)  # mpmath.diff's step is
    # absolute (about 2^-prec^(1/(n+1))): x + h at x = 1e300 is x unless the digits reach down to h
    for node, (op, arguments) in enumerate(zip(graph.ops, graph.arguments)):
        if op in ADDITIVE and values[node] is not None:
            small, large = sorted(arguments, key=lambda k: abs(values[k]))
            if depends[small] and values[large]:  # a small operand of 0 varies by about its step, from 1
                gap = max(gap, m.mag(values[large]) - (m.mag(values[small]) if values[small] else 1))
    return min(MAX_EXTRA_DIGITS, math.ceil(gap * math.log10(2)))  # doubles span ~632 digits: never cut
