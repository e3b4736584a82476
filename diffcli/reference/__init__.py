"""The high-precision reference: value and gradient in mpmath, in a private context.

Two ways, and the record says which was used (``method``):

* ``mpmath.diff`` (up to :data:`REVERSE_REFERENCE_MIN_VARIABLES` variables): independent of diffcli's
  derivative rules — f is evaluated with the table's mpmath evaluators and differentiated numerically by
  ``mpmath.diff`` at raised working precision.  ``mpmath.diff`` on a function that returned Python floats
  would silently give 0; :func:`~diffcli.core.chain.evaluate_mp` refuses any value that is not an ``mpf`` of the
  private context, so that cannot happen.
* ``reverse-mode in mpmath`` (many variables, where ``mpmath.diff`` would cost two high-precision
  evaluations of f per variable): the one backward loop of :mod:`diffcli.core.chain` in mpmath arithmetic, then
  cross-checked against ``mpmath.diff`` on :data:`CROSS_CHECKS` coordinates; a disagreement is an error.

The point is taken at the exact binary value of the doubles the methods see (``x=1.7`` is
1.6999999999999999555910790149937…), and every constant of the graph is the double it folded to, so the
reference measures the methods, not the decimal-to-binary conversion.  mpmath's global precision is never
touched.

Correct digits: the whole computation runs twice, at ``digits + 15`` and ``digits + 30`` decimal digits;
the two must agree to ``digits`` significant digits, else it is repeated with more guard digits.  If they
still disagree, the reference keeps only the digits on which the runs agree and says so in ``note``
("ill-conditioned here: only N … digits"); with not even one, it is refused with
:class:`~diffcli.core.errors.PrecisionError`.  Digits it shows are digits it has checked.

At a kink (``abs(x)`` at 0) the derivative does not exist; the reference is then the right derivative
(``direction=+1``, always by ``mpmath.diff``) and the caller warns.
"""

from __future__ import annotations

from dataclasses import dataclass

from diffcli.core.algebra import MpAlgebra
from diffcli.core.chain import adjoints
from diffcli.core.errors import DiffcliError, DomainError, PrecisionError
from diffcli.core.evaluate import depends_on, evaluate_mp
from diffcli.core.graph import Graph

GUARD_DIGITS = ((15, 30), (40, 80), (100, 200))
"""Extra working digits of the two runs compared, tried in turn until they agree."""

REVERSE_REFERENCE_MIN_VARIABLES = 16
"""From this many variables on, the reference gradient is reverse mode in mpmath (cross-checked)."""

CROSS_CHECKS = 3
"""Coordinates of a reverse-mode reference checked against mpmath.diff (first, middle, last)."""

DIFF, REVERSE, COMPLEX_STEP = "mpmath.diff (right derivative)", "reverse-mode in mpmath", "complex step in mpmath"


@dataclass
class Reference:
    """``value`` and ``gradient`` as mpmath numbers of a private context, good to ``digits`` digits."""

    digits: int
    value: object
    gradient: dict
    context: object
    method: str = COMPLEX_STEP
    note: str | None = None

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

    ``variables`` restricts the gradient to some variables (by ``mpmath.diff``), e.g. to sample a large one.

    >>> from diffcli.core.parse import parse
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
            first, second = [_compute(mpmath, graph, point, extra, digits, names, one_sided, use_reverse)
                             for extra in (low, high)]
        except DomainError as error:
            raise PrecisionError("no reference derivative: f is undefined just beside the point, so it is not "
                                 f"differentiable there ({error.message})") from None
        m = second.context
        scale = max(abs(second.value), m.one)
        agreed = min(_agreeing_digits(m, first.gradient[n], second.gradient[n], scale) for n in names) \
            if names else digits
        agreed = min(agreed, _agreeing_digits(m, first.value, second.value, scale))
        if agreed >= digits:
            second.digits = digits
            if use_reverse:
                _cross_check(mpmath, graph, point, second, names, digits + high)
            return second
    if agreed < 1:
        raise PrecisionError("no reference derivative: f is not differentiable at this point, or too "
                             "ill-conditioned (two working precisions do not agree on a single digit)")
    second.digits = agreed
    second.note = (f"ill-conditioned here: only {agreed} of the {digits} digits asked for agree between "
                   "two working precisions; only those are shown")
    if use_reverse:
        _cross_check(mpmath, graph, point, second, names, digits + high)
    return second


def _agreeing_digits(m, a, b, scale) -> int:
    """How many significant decimal digits two approximations share (capped at 10,000)."""
    difference = abs(a - b)
    if not difference:
        return 10_000
    size = max(abs(b), m.mpf(10) ** -(m.dps) * scale)
    return max(0, int(m.floor(-m.log10(difference / size))))


def _agree(m, a, b, digits: int, scale) -> bool:
    tolerance = m.mpf(10) ** (-digits)
    return abs(a - b) <= tolerance * max(abs(b), tolerance * scale)


def _context(mpmath, dps: int):
    m = mpmath.MPContext()
    m.dps = dps
    return m


def _compute(mpmath, graph: Graph, point: dict, guard: int, digits: int, names: list, one_sided: bool,
             use_reverse: bool) -> Reference:
    m = _context(mpmath, digits + guard)
    at = {name: m.mpf(float(point[name])) for name in graph.variable_names}  # exact binary values
    if use_reverse:
        values = evaluate_mp(graph, at, m, every=True)
        adjoint = adjoints(graph, values, MpAlgebra(m))
        gradient = {name: adjoint.get(node, m.zero) for name, node in zip(graph.variable_names, graph.variables)}
        return Reference(digits=m.dps, value=values[graph.output], gradient=gradient, context=m, method=REVERSE)
    if one_sided:
        values = evaluate_mp(graph, at, m, every=True)
        gradient = {name: _diff(m, graph, at, values, name, True) for name in names}
        return Reference(digits=m.dps, value=values[graph.output], gradient=gradient, context=m, method=DIFF)
    # Complex step: Im f(x + ih) / h has no subtractive cancellation, so a huge or tiny f (1e100 + x,
    # 1 + 1e-200*x) loses nothing.  h shrinks with the guard digits, so two runs also differ in truncation
    # error; the working precision leaves room for the imaginary parts, which are h times smaller.
    exponent = digits // 2 + 5 + guard // 3
    m.dps = digits + exponent + guard
    at = {name: m.mpf(float(point[name])) for name in graph.variable_names}
    values = evaluate_mp(graph, at, m, every=True)
    gradient = {name: _complex_step(m, graph, at, values, name, exponent) for name in names}
    return Reference(digits=m.dps, value=values[graph.output], gradient=gradient, context=m, method=COMPLEX_STEP)


def _complex_step(m, graph: Graph, at: dict, values: list, name: str, exponent: int):
    """∂f/∂name as Im f(x + ih)/h in mpmath, h = 10^-exponent·|x| (10^-exponent at x = 0)."""
    x = at[name]
    h = m.mpf(10) ** -exponent * (abs(x) if x else 1)
    changed = depends_on(graph, graph.variables[graph.variable_names.index(name)])
    value = evaluate_mp(graph, {**at, name: m.mpc(x, h)}, m, base=values, changed=changed, complex_step=True)
    return m.im(value) / h


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

    >>> from diffcli.core.parse import parse
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
