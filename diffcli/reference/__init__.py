"""The high-precision reference: value and gradient in mpmath, in a private context.

Three ways, and the record says which was used (``method``):

* ``complex step in mpmath`` (the default): ∂f/∂x is ``Im f(x + ih) / h`` with f evaluated by the table's
  mpmath evaluators, never its derivative rules.  It has no subtractive cancellation of its own, and the
  step never leaves the real line, so it cannot cross a singularity or a kink beside the point.
  :func:`~diffcli.core.evaluate.evaluate_mp` refuses any value that is not an mpmath number of the private
  context, so a Python float cannot slip in and silently lose the imaginary part.
* ``mpmath.diff (right derivative)`` (``one_sided``, at a kink such as ``abs(x)`` at 0, where the
  derivative does not exist and the caller warns): ``mpmath.diff`` with ``direction=+1``.
* ``reverse-mode in mpmath`` (from :data:`REVERSE_REFERENCE_MIN_VARIABLES` variables on, where the complex
  step would cost one high-precision evaluation per variable): the one backward loop of
  :mod:`diffcli.core.chain` in mpmath arithmetic, then cross-checked against ``mpmath.diff`` on
  :data:`CROSS_CHECKS` coordinates; a disagreement is an error.

The point is taken at the exact binary value of the doubles the methods see (``x=1.7`` is
1.6999999999999999555910790149937…), and every constant of the graph is the double it folded to, so the
reference measures the methods, not the decimal-to-binary conversion.  mpmath's global precision is never
touched.

Correct digits: the whole computation runs twice, with ``digits + low`` and ``digits + high`` working digits
(``low, high`` the first pair of :data:`GUARD_DIGITS`; the complex step adds room for its imaginary parts
and uses a different step h in each run), and the two must agree to ``digits`` significant digits, else
they are repeated with the next pair of guard digits.  Two runs that both lose an input the same way
(``(1e125 + x) - 1e125``: both round ``1e125 + 1`` to ``1e125``) agree on a wrong number, so each run also
bounds what it lost to cancellation (:mod:`diffcli.reference.cancellation`), and the pair is repeated with
that many more working digits, up to :data:`MAX_EXTRA_DIGITS`.  A quantity still unresolved there is shown
as 0 and the ``note`` gives the bound within which it is 0 ("… digits are unknown").  If the runs still
disagree after the last guard digits, the reference keeps only the digits on which they agree and says so
in ``note`` ("ill-conditioned here: only N … digits"); with not even one, it is refused with
:class:`~diffcli.core.errors.PrecisionError`.  Digits it shows are digits it has checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from diffcli.core.algebra import MpAlgebra
from diffcli.core.bounds import Bound
from diffcli.core.chain import adjoints
from diffcli.core.errors import DomainError, PrecisionError
from diffcli.core.evaluate import depends_on, evaluate_mp
from diffcli.core.graph import Graph
from diffcli.reference.cancellation import Loss, assess, sensitivities

GUARD_DIGITS = ((15, 30), (40, 80), (100, 200))
"""Extra working digits of the two runs compared, tried in turn until they agree."""

MAX_EXTRA_DIGITS = 1200
"""At most this many working digits are added for what cancellation lost (two doubles are at most 632
decimal orders apart, so one sum of them is always resolved)."""

SLACK_DIGITS = 5
"""A run may lose this many of its guard digits to cancellation before the pair is repeated."""

DIGITS = Bound(1, 1000, "the reference's cost grows like digits squared; 1,000 digits already take "
               "seconds for a large expression")
"""Significant digits a reference may be asked for (``--digits``, ``digits=``)."""

REVERSE_REFERENCE_MIN_VARIABLES = 16
"""From this many variables on, the reference gradient is reverse mode in mpmath (cross-checked)."""

CROSS_CHECKS = 3
"""Coordinates of a reverse-mode reference checked against mpmath.diff (first, middle, last)."""

DIFF, REVERSE, COMPLEX_STEP = ("mpmath.diff (right derivative)", "reverse-mode in mpmath",
                               "complex step in mpmath")


@dataclass
class Reference:
    """``value`` and ``gradient`` as mpmath numbers of a private context, good to ``digits`` digits."""

    digits: int
    value: object
    gradient: dict
    context: object
    method: str = COMPLEX_STEP
    note: str | None = None
    losses: dict = field(default_factory=dict, repr=False)
    """What each run lost to cancellation: "value" and each variable's name → :class:`Loss`."""

    def text(self, number) -> str:
        """``number`` as a decimal string of ``digits`` significant digits."""
        return _text(self.context, number, self.digits)

    def as_json(self) -> dict:
        record = {"digits": self.digits, "method": self.method, "value": self.text(self.value),
                  "gradient": {name: self.text(v) for name, v in self.gradient.items()}}
        if self.note:
            record["note"] = self.note
        return record


def reference(graph: Graph, point: dict, digits: int = 50, one_sided: bool = False,
              variables: list | None = None) -> Reference:
    """Value and gradient of ``graph`` at ``point`` (floats) to ``digits`` correct significant digits.

    ``variables`` restricts the gradient to some variables, e.g. to sample a large graph.

    >>> from diffcli.core.parse import parse
    >>> r = reference(parse("x**3"), {"x": 2.0}, digits=20)
    >>> r.text(r.gradient["x"])
    '12.0'
    >>> r = reference(parse("(1e125 + x) - 1e125"), {"x": 1.0}, digits=20)
    >>> r.text(r.value), r.text(r.gradient["x"])
    ('1.0', '1.0')
    """
    digits = DIGITS.check(digits, "digits")
    import mpmath

    names = graph.variable_names if variables is None else list(variables)
    use_reverse = variables is None and not one_sided and len(names) >= REVERSE_REFERENCE_MIN_VARIABLES

    def runs(low, high, extra):
        try:
            return [_compute(mpmath, graph, point, guard, extra, digits, names, one_sided, use_reverse)
                    for guard in (low, high)]
        except DomainError as error:
            raise PrecisionError("no reference derivative: f is undefined just beside the point, so it is "
                                 f"not differentiable there ({error.message})") from None

    extra = 0
    for low, high in GUARD_DIGITS:
        first, second, extra = _settle(runs, low, high, extra)
        unknown = _unknown(second.losses, digits + low + extra)
        m = second.context
        agreed = min([_agreeing_digits(m, first.gradient[n], second.gradient[n])
                      for n in names if n not in unknown]
                     + [digits if "value" in unknown else _agreeing_digits(m, first.value, second.value)])
        if agreed >= digits:
            break
    second.digits = min(agreed, digits)
    notes = []
    if agreed < digits:
        if agreed < 1:
            raise PrecisionError("no reference derivative: f is not differentiable at this point, or too "
                                 "ill-conditioned (two working precisions do not agree on a single digit)")
        notes.append(f"ill-conditioned here: only {agreed} of the {digits} digits asked for agree between "
                     "two working precisions; only those are shown")
    if unknown:
        notes.append(_unknown_note(second, unknown))
    second.note = "; ".join(notes) or None
    if use_reverse:
        _cross_check(mpmath, graph, point, second, names, digits + high + extra)
    return second


def _settle(runs, low: int, high: int, extra: int):
    """The two runs, repeated with more working digits (``extra``) until neither lost more to cancellation
    than its slack, or :data:`MAX_EXTRA_DIGITS` is reached."""
    while True:
        first, second = runs(low, high, extra)
        loss = Loss()
        for run in (first, second):
            for each in run.losses.values():
                loss = loss.worse(each)
        if loss.unresolved:
            # Nothing says how much was lost: jump by the spread of the magnitudes met, at least doubling.
            wanted = max(2 * extra, extra + 16, math.ceil(loss.spread) + SLACK_DIGITS)
        elif loss.digits > extra + SLACK_DIGITS:
            wanted = math.ceil(loss.digits) + SLACK_DIGITS
        else:
            return first, second, extra
        if extra >= MAX_EXTRA_DIGITS:
            return first, second, extra
        extra = min(MAX_EXTRA_DIGITS, wanted)


def _unknown(losses: dict, working: int) -> dict:
    """The quantities (``"value"`` or variable names) of which no digit is known: → their :class:`Loss`."""
    return {q: loss for q, loss in losses.items() if loss.unresolved or loss.digits >= working - 1}


def _unknown_note(result: Reference, unknown: dict) -> str:
    m = result.context
    shown = []
    for q, loss in unknown.items():
        if q == "value":
            result.value = m.zero
        else:
            result.gradient[q] = m.zero
        label = "f" if q == "value" else f"∂f/∂{q}"
        shown.append(f"{label} is 0 within ±{m.nstr(loss.bound, 2)}")
    return ("cancellation beyond the largest working precision: " + ", ".join(shown)
            + "; shown as 0, its digits are unknown")


def _agreeing_digits(m, a, b) -> int:
    """How many significant decimal digits two approximations share (capped at 10,000; 0 if one is 0)."""
    difference = abs(a - b)
    if not difference:
        return 10_000
    if not a or not b:
        return 0
    return max(0, int(m.floor(-m.log10(difference / abs(b)))))


def _agree(m, a, b, digits: int, scale) -> bool:
    tolerance = m.mpf(10) ** (-digits)
    return abs(a - b) <= tolerance * max(abs(b), tolerance * scale)


def _context(mpmath, dps: int):
    m = mpmath.MPContext()
    m.dps = dps
    return m


def _compute(mpmath, graph: Graph, point: dict, guard: int, extra: int, digits: int, names: list,
             one_sided: bool, use_reverse: bool) -> Reference:
    m = _context(mpmath, digits + guard + extra)
    if not use_reverse and not one_sided:
        return _compute_complex_step(m, graph, point, guard, extra, digits, names)
    at = {name: m.mpf(float(point[name])) for name in graph.variable_names}  # exact binary values
    values = evaluate_mp(graph, at, m, every=True)
    weights = _lazy_sensitivities(m, graph, values)
    losses = {"value": assess(m, graph, values, False, weights)}
    if use_reverse:
        adjoint = weights() or adjoints(graph, values, MpAlgebra(m))  # without: the rule's error, raised
        gradient = {name: adjoint.get(node, m.zero)
                    for name, node in zip(graph.variable_names, graph.variables)}
        method = REVERSE
    else:
        gradient = {name: _diff(m, graph, at, values, name, True) for name in names}
        method = DIFF
    return Reference(digits=m.dps, value=values[graph.output], gradient=gradient, context=m, method=method,
                     losses=losses)


def _compute_complex_step(m, graph: Graph, point: dict, guard: int, extra: int, digits: int,
                          names: list) -> Reference:
    # Im f(x + ih) / h has no subtractive cancellation of its own.  h shrinks with the guard digits, so two
    # runs also differ in truncation error; the working precision leaves room for the imaginary parts,
    # which are h times smaller.  h is a power of two times |x|, so x + ih and its images under exact
    # operations are exact too, and a derivative that cancels to exactly 0 can be shown exact.
    exponent = digits // 2 + 5 + guard // 3
    m.dps = digits + exponent + guard + extra
    at = {name: m.mpf(float(point[name])) for name in graph.variable_names}
    values = evaluate_mp(graph, at, m, every=True)
    weights = _lazy_sensitivities(m, graph, values)
    losses = {"value": assess(m, graph, values, False, weights)}
    gradient = {}
    for name in names:
        gradient[name], losses[name] = _complex_step(m, graph, at, values, name, exponent)
    return Reference(digits=m.dps, value=values[graph.output], gradient=gradient, context=m,
                     method=COMPLEX_STEP, losses=losses)


def _lazy_sensitivities(m, graph: Graph, values: list):
    """A callable giving the adjoints of every node, computed on the first call only (most runs never ask)."""
    cache = []

    def weights():
        if not cache:
            cache.append(sensitivities(m, graph, values))
        return cache[0]
    return weights


def _complex_step(m, graph: Graph, at: dict, values: list, name: str, exponent: int):
    """∂f/∂name as Im f(x + ih)/h in mpmath, h = 2^-k·|x| (2^-k at x = 0) with 2^-k just below 10^-exponent;
    and the :class:`Loss` of that run (weighed by the adjoints at x + ih, whose imaginary parts carry the
    real parts' errors into the derivative)."""
    x = at[name]
    h = m.ldexp(abs(x) if x else m.one, -math.ceil(exponent * math.log2(10)))
    changed = depends_on(graph, graph.variables[graph.variable_names.index(name)])
    perturbed = evaluate_mp(graph, {**at, name: m.mpc(x, h)}, m, base=values, changed=changed,
                            complex_step=True, every=True)
    loss = assess(m, graph, perturbed, True, _lazy_sensitivities(m, graph, perturbed), scale=h)
    return m.im(perturbed[graph.output]) / h, loss


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
        if not _agree(result.context, result.context.mpf(independent), result.gradient[name], result.digits,
                      scale):
            raise PrecisionError(f"the reverse-mode reference disagrees with mpmath.diff in {name}; "
                                 "no trustworthy reference at this point")
    result.method = f"{REVERSE}, checked by mpmath.diff on {len(picks)} coordinates"


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
    losses: dict = field(default_factory=dict, repr=False)

    def text(self, number) -> str:
        return _text(self.context, number, self.digits)


def reference_partials(graph: Graph, point: dict, orders: list, digits: int = 50) -> Partials:
    """Partial derivatives of any orders (one tuple per wanted derivative, one entry per variable in
    ``graph.variable_names`` order) by ``mpmath.diff`` on the table's mpmath evaluators — never the
    derivative rules — at two precisions that must agree, as :func:`reference` does for the gradient, with
    as many more working digits as f's value lost to cancellation at the point (refused where that cannot
    be resolved).

    >>> from diffcli.core.parse import parse
    >>> r = reference_partials(parse("x**3 * z"), {"x": 2.0, "z": 5.0}, [(2, 0), (1, 1)], digits=20)
    >>> [r.text(r.derivatives[o]) for o in [(2, 0), (1, 1)]]
    ['60.0', '12.0']
    """
    digits = DIGITS.check(digits, "digits")
    import mpmath

    orders = [tuple(o) for o in orders]

    def runs(low, high, extra):
        return [_compute_partials(mpmath, graph, point, orders, digits + guard + extra)
                for guard in (low, high)]

    extra = 0
    for low, high in GUARD_DIGITS:
        first, second, extra = _settle(runs, low, high, extra)
        if _unknown(second.losses, digits + low + extra):
            raise PrecisionError("no reference: f cancels beyond the largest working precision here, so its "
                                 "digits are unknown")
        m = second.context
        scale = max(abs(second.value), m.one)
        if all(_agree(m, first.derivatives[o], second.derivatives[o], digits, scale) for o in orders):
            second.digits = digits
            return second
    raise PrecisionError(f"the reference could not reach {digits} correct digits at this point "
                         "(f is too ill-conditioned here for mpmath.diff); try fewer --digits")


def _compute_partials(mpmath, graph: Graph, point: dict, orders: list, dps: int) -> Partials:
    m = _context(mpmath, dps)
    names = graph.variable_names
    at = [m.mpf(float(point[name])) for name in names]  # exact binary values

    def f(*values):
        return evaluate_mp(graph, dict(zip(names, values)), m)

    try:
        values = evaluate_mp(graph, dict(zip(names, at)), m, every=True)
        derivatives = {o: (m.diff(f, at, o) if any(o) else values[graph.output]) for o in orders}
    except DomainError as error:
        raise PrecisionError("no reference derivative: f is undefined just beside the point, so it is not "
                             f"differentiable there ({error.message})") from None
    losses = {"value": assess(m, graph, values, False, _lazy_sensitivities(m, graph, values))}
    return Partials(digits=dps, value=values[graph.output], derivatives=derivatives, context=m, losses=losses)
