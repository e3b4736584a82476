"""The high-precision reference: value and gradient in mpmath, in a private context.

Three ways, and the record says which was used (``method``):

* ``complex step in mpmath`` (the default): ∂f/∂x is ``Im f(x + ih) / h`` with f evaluated by the table's
  mpmath evaluators, never its derivative rules.  It has no subtractive cancellation of its own, and the
  step never leaves the real line, so it cannot cross a singularity or a kink beside the point.  Where it
  leaves f's domain while f is real on both sides (``(x*x)**1.75`` at 0), that partial is taken from its
  one-sided slopes on the real line (:mod:`diffcli.reference.steps`).
  :func:`~diffcli.core.evaluate.evaluate_mp` refuses any value that is not an mpmath number of the private
  context, so a Python float cannot slip in and silently lose the imaginary part.
* ``right difference quotient in mpmath`` (``one_sided``, at a kink such as ``abs(x)`` at 0, where the
  derivative does not exist and the caller warns): :func:`~diffcli.reference.neighbourhood.edge_slope`
  in every variable (``mpmath.diff`` lost the rise of ``abs(x) + 1e300`` at 0: 0 in both runs).
* ``reverse-mode in mpmath`` (from :data:`REVERSE_REFERENCE_MIN_VARIABLES` variables on, where the complex
  step would cost one high-precision evaluation per variable): the one backward loop of
  :mod:`diffcli.core.chain` in mpmath arithmetic, then cross-checked against ``mpmath.diff`` on
  :data:`CROSS_CHECKS` coordinates; a disagreement is an error.  It keeps both runs: the check vouches for
  the rules on a few coordinates, the second run for the digits of all.  A backward pass loses digits where
  an adjoint's terms cancel and f's value does not (∂/∂x of sin(x) - x*cos(y + 1e-40) at x = y = 0.5 is
  cos(x) - cos(x + 1e-40): one run at 80 digits gets 39 of its digits right), which the cancellation
  bound, weighing the value, does not see and two runs do.

The point is taken at the exact binary value of the doubles the methods see (``x=1.7`` is
1.6999999999999999555910790149937…), and every constant of the graph is the double it folded to, so the
reference measures the methods, not the decimal-to-binary conversion.  mpmath's global precision is never
touched.

Correct digits: the whole computation runs twice, with ``digits + low`` and ``digits + high`` working digits
(``low, high`` the first pair of :data:`GUARD_DIGITS`; the complex step adds room for its imaginary parts
and uses a different step h in each run), and the two must agree to ``digits`` significant digits, else
they are repeated with the next pair of guard digits.  The complex step's lower run is first tried by
reverse mode on the table's rules (one backward pass for all variables) and kept only where it agrees with
the higher complex-step run (:mod:`diffcli.reference.rules`): the digits shown are the complex step's either
way.  Two runs that both lose an input the same way (``(1e125 + x) - 1e125``: both round ``1e125 + 1`` to
``1e125``) agree on a wrong number, so each run also bounds what it lost to cancellation
(:mod:`diffcli.reference.cancellation`), and the pair is repeated with that many more working digits, up to
:data:`MAX_EXTRA_DIGITS`.  A quantity of which no digit is known there is shown as 0, the ``note`` giving the
bound within which it is 0 ("… digits are unknown"), only if the run computed it within that bound of 0
and the bound is the run's rounding, not a term a sum computed as 0 may have lost (``Loss.zero``: ∂f/∂y
of ``x + exp(sin(y)*2 - sin(y) - sin(y))``, exactly 0); any other is refused (a partial's ``errors``, or
the whole reference for f's value), never shown as 0.  If the runs still disagree
after the last guard digits, the reference keeps only the digits on which they agree and says so in
``note`` ("ill-conditioned here: only N … digits").  Digits it shows are digits it has checked.

Zeros: a partial that is 0 leaves different residues in the two runs (rounding, the complex step's h²),
which share no significant digit, so one that both runs put within ``10^-digits`` of the largest term
met on the way (its *scale*: the largest ``|∂n/∂x|`` over the nodes n, 1 for x itself; in the last pair
of runs, also weighed by what reaches f, ``|∂n/∂x|·|∂f/∂n|``) is shown as 0.

Partials that do not exist are told one by one (``errors``, with ``gradient[name]`` None), the value and
the other partials still given: where f is not real on either side of the point along that variable
(:mod:`diffcli.reference.neighbourhood`: ``(-x)**z`` in z at z = 3), at an edge of f's domain where the
one-sided slope is unbounded (``sqrt(x)`` at 0; where it is finite, as ``x**1.5`` at 0, the partial is
that one-sided slope and ``note`` says so), or where the runs agree on not one digit (a kink, named, or an
ill-conditioned point).  Only a value on which the runs agree on no digit refuses the whole reference
(:class:`~diffcli.core.errors.PrecisionError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from diffcli.core.algebra import MpAlgebra
from diffcli.core.chain import adjoints
from diffcli.core.errors import DomainError, PrecisionError
from diffcli.core.evaluate import evaluate, evaluate_mp, kinks
from diffcli.core.graph import Graph
from diffcli.reference.cancellation import assess
from diffcli.reference.neighbourhood import edge_loss
from diffcli.reference.neighbourhood import edges as edges_of
from diffcli.reference.notes import refuse_unknown, unknown_note, unsettled_reason
from diffcli.reference.partials import Partials, reference_partials
from diffcli.reference.rules import rule_gradient
from diffcli.reference.runs import (
    DIGITS,
    GUARD_DIGITS,
    MAX_EXTRA_DIGITS,
    SLACK_DIGITS,
    agree,
    agreeing_digits,
    at_point,
    decimal,
    exact_values,
    largest,
    lazy_sensitivities,
    private_context,
    rounded,
    rounded_all,
    settle,
    unknown_losses,
)
from diffcli.reference.steps import (
    NotDifferentiable,
    Scales,
    complex_step,
    independent_complex_step,
    one_diff,
    real_slope,
)

__all__ = ["DIGITS", "GUARD_DIGITS", "MAX_EXTRA_DIGITS", "SLACK_DIGITS", "Partials", "Reference", "reference",
           "reference_partials"]

REVERSE_REFERENCE_MIN_VARIABLES = 16
"""From this many variables on, the reference gradient is reverse mode in mpmath (cross-checked)."""

CROSS_CHECKS = 3
"""Coordinates of a reverse-mode reference checked against mpmath.diff (first, middle, last)."""

RIGHT, REVERSE, COMPLEX_STEP = ("right difference quotient in mpmath", "reverse-mode in mpmath",
                               "complex step in mpmath")


@dataclass
class Reference:
    """``value`` and ``gradient`` as mpmath numbers of a private context, good to ``digits`` digits.

    ``gradient[name]`` is None where that partial derivative does not exist (or the reference cannot
    settle it), and ``errors[name]`` then says why in the user's words; the value and the other partials
    are still given."""

    digits: int
    value: object
    gradient: dict
    context: object
    method: str = COMPLEX_STEP
    note: str | None = None
    losses: dict = field(default_factory=dict, repr=False)
    """What each run lost to cancellation: "value" and each variable's name → :class:`Loss`."""
    errors: dict = field(default_factory=dict)
    """Variable name → why ∂f/∂name has no reference (its ``gradient`` entry is None)."""
    scales: dict = field(default_factory=dict, repr=False)
    """Each partial's largest term met on the way (the floor of its agreement, see :func:`reference`)."""
    values: list | None = field(default=None, repr=False, compare=False)
    """Every node's value in a reverse-mode run, until the cross-check has read them (then None)."""

    def text(self, number) -> str:
        """``number`` as a decimal string of ``digits`` significant digits."""
        return decimal(self.context, number, self.digits)

    def as_json(self) -> dict:
        record = {"digits": self.digits, "method": self.method, "value": self.text(self.value),
                  "gradient": {n: None if g is None else self.text(g) for n, g in self.gradient.items()},
                  "errors": dict(self.errors)}
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
    edges = edges_of(mpmath, graph, point, names, digits)
    computed = [name for name in names if name not in edges or edges[name].direction]
    directions = {name: edges[name].direction for name in computed if name in edges}
    use_reverse = variables is None and not one_sided and not edges \
        and len(names) >= REVERSE_REFERENCE_MIN_VARIABLES

    # rules.py: the lower run's shortcut, one backward pass over the whole graph; a sample of the variables
    # (``variables``) keeps its complex walks, which may cost less
    by_rules = variables is None and not use_reverse and not one_sided and not directions
    exact = exact_values(point, graph.variable_names)

    def runs(low, high, extra):
        try:
            second = _compute(mpmath, graph, exact, high, extra, digits, computed, one_sided, use_reverse,
                              directions)
            if by_rules:
                return [_compute_complex_step(mpmath, graph, exact, (low, extra, digits), computed,
                                              directions, second), second]
            return [_compute(mpmath, graph, exact, low, extra, digits, computed, one_sided, use_reverse,
                             directions), second]
        except DomainError as error:
            raise PrecisionError("no reference derivative: f is undefined just beside the point, so it is "
                                 f"not differentiable there ({error.message})") from None

    extra = 0
    for low, high in GUARD_DIGITS:
        first, second, extra = settle(runs, low, high, extra)
        first.values = None
        unknown = unknown_losses(second.losses, digits + low + extra)
        agreed = _agreement(first, second, computed, unknown, digits, last=(low, high) == GUARD_DIGITS[-1])
        if min(agreed.values()) >= digits:
            break
    _finish(second, first, (agreed, unknown, digits), {name: edges[name] for name in names if name in edges},
            point, graph)
    if use_reverse:
        _cross_check(mpmath, graph, exact, second, names, digits + high + extra)
    m = second.context  # what the reference knows, without the runs' residues (runs.rounded)
    second.value = rounded(m, second.value, digits)
    second.gradient = rounded_all(m, second.gradient, digits)
    return second


def _agreement(first: Reference, second: Reference, names: list, unknown: dict, digits: int,
               last: bool = False) -> dict:
    """Digits on which the two runs agree, for ``"value"`` and each name.  A partial that both runs put
    within ``10^-digits`` of the largest term met on the way (its scale) is 0 to those digits: a true 0
    leaves different residues (rounding, the complex step's h²) in the two runs, which agree on no
    significant digit; it counts as agreeing and is shown as 0.  Only the ``last`` pair of runs weighs the
    terms by how much of them reaches f (:class:`~diffcli.reference.steps.Scales`): earlier pairs could
    not tell a 0 from a partial far smaller than those terms, which they resolve."""
    m = second.context
    agreed = {"value": digits if "value" in unknown
              else agreeing_digits(m, first.value, second.value, digits)}
    for name in names:
        if name in unknown or name in second.errors or name in first.errors:
            agreed[name] = digits
            second.errors.update(first.errors)
            continue
        a, b = first.gradient[name], second.gradient[name]
        agreed[name] = agreeing_digits(m, a, b, digits)  # more than digits counts as digits (_finish)
        scales = second.scales
        if agreed[name] < digits and _within_floor(m, (a, b), digits, scales.weighed(name) if last
                                                   and isinstance(scales, Scales) else scales.get(name)):
            second.gradient[name] = m.zero
            agreed[name] = digits
    return agreed


def _kinks(graph: Graph, point: dict) -> list:
    """The kinks the point sits on, as :func:`~diffcli.core.evaluate.kinks` words them (its advice cut);
    none where f overflows the floats (``sqrt(x) + y*1e300*1e300``), whose values kinks reads."""
    try:
        values = evaluate(graph, {name: float(point[name]) for name in graph.variable_names})
    except DomainError:
        return []
    return [warning.split(":")[0] for warning in kinks(graph, values)]


def _within_floor(m, numbers, digits: int, scale) -> bool:
    floor = m.mpf(10) ** (-digits) * (scale if scale is not None else m.one)
    return all(abs(n) <= floor for n in numbers)


def _finish(result: Reference, other: Reference, agreement: tuple, edges: dict, point: dict,
            graph: Graph) -> None:
    """Set the digits shown, the errors of partials without a reference and the note; ``other`` is the
    run at the lower precision, ``agreement`` ``(agreed, unknown, digits)``."""
    agreed, unknown, digits = agreement
    m = result.context
    if agreed["value"] < 1:
        raise PrecisionError("no reference: f's value is too ill-conditioned here (two working precisions "
                             "do not agree on a single digit)")
    for name, side in edges.items():
        if not side.direction:
            result.errors[name] = side.message(name, point[name])
    unknown = refuse_unknown(result, unknown)
    unsettled = [name for name, count in agreed.items() if name != "value" and count < 1]
    kinked = _kinks(graph, point) if unsettled else []
    for name in unsettled:
        growing = abs(result.gradient[name]) > abs(other.gradient[name])  # the smaller step's is larger
        result.errors[name] = unsettled_reason(name, point[name], edges.get(name), kinked, growing)
    for name in result.errors:
        result.gradient[name] = None
    shown = [count for name, count in agreed.items() if name not in result.errors]
    agreed_digits = min(shown)
    result.digits = min(agreed_digits, digits)
    notes = []
    if agreed_digits < digits:
        notes.append(f"ill-conditioned here: only {agreed_digits} of the {digits} digits asked for agree "
                     "between two working precisions; only those are shown")
    notes += [f"∂f/∂{name} is one-sided: {side.message(name, point[name])}"
              for name, side in edges.items() if side.direction and name not in result.errors]
    unknown = {q: loss for q, loss in unknown.items() if q not in result.errors}
    for q in [q for q, loss in unknown.items() if q != "value" and q in result.scales and loss.zero
              and loss.bound is not None and _within_floor(m, (loss.bound,), digits, result.scales[q])]:
        result.gradient[q] = m.zero  # 0 to the digits asked for, relative to its largest term
        del unknown[q]
    if unknown:
        notes.append(unknown_note(result, unknown))
    result.note = "; ".join(notes) or None


def _compute(mpmath, graph: Graph, exact: dict, guard: int, extra: int, digits: int, names: list,
             one_sided: bool, use_reverse: bool, directions: dict) -> Reference:
    """One run; ``directions`` are the variables at an edge of f's domain (+1: only the right side is
    real, -1: only the left), differentiated one-sidedly."""
    if not use_reverse and not one_sided:
        return _compute_complex_step(mpmath, graph, exact, (guard, extra, digits), names, directions)
    m = private_context(mpmath, digits + guard + extra)
    at = at_point(m, exact)  # exact binary values
    values = evaluate_mp(graph, at, m, every=True)
    weights = lazy_sensitivities(m, graph, values)
    losses = {"value": assess(m, graph, values, False, weights)}
    if use_reverse:
        adjoint = weights() or adjoints(graph, values, MpAlgebra(m))  # without: the rule's error, raised
        gradient = {name: adjoint.get(node, m.zero)
                    for name, node in zip(graph.variable_names, graph.variables)}
        scale = max(largest(list(adjoint.values()), m.one), m.one)
        method = REVERSE
    else:
        slopes = {name: edge_loss(m, graph, at, values, name, directions.get(name, 1)) for name in names}
        losses.update((name, loss) for name, (_, loss) in slopes.items())
        gradient = {name: slope for name, (slope, _) in slopes.items()}
        scale = m.one
        method = RIGHT
    return Reference(digits=m.dps, value=values[graph.output], gradient=gradient, context=m, method=method,
                     losses=losses, scales=dict.fromkeys(gradient, scale),
                     values=values if use_reverse else None)


def _compute_complex_step(mpmath, graph: Graph, exact: dict, precision: tuple, names: list,
                          directions: dict, higher: Reference | None = None) -> Reference:
    # Im f(x + ih) / h has no subtractive cancellation of its own.  h shrinks with the guard digits, so two
    # runs also differ in truncation error; the working precision leaves room for the imaginary parts,
    # which are h times smaller.  h is a power of two times |x|, so x + ih and its images under exact
    # operations are exact too, and a derivative that cancels to exactly 0 can be shown exact.
    # With ``higher`` (the other run, at the higher precision), this lower run is first tried by the rules
    # and kept only where it agrees with that one (rules.py says why the digits shown are still right).
    guard, extra, digits = precision
    exponent = digits // 2 + 5 + guard // 3
    m = private_context(mpmath, digits + exponent + guard + extra)
    at = at_point(m, exact)
    values = evaluate_mp(graph, at, m, every=True)
    weights = lazy_sensitivities(m, graph, values)
    losses = {"value": assess(m, graph, values, False, weights)}
    if higher is not None:
        gradient = rule_gradient(m, graph, names, weights(), higher, digits)
        if gradient is not None:
            return Reference(digits=m.dps, value=values[graph.output], gradient=gradient, context=m,
                             method=COMPLEX_STEP, losses=losses)
    gradient, failed = {}, {}

    def weigh(name):  # the same walk again, its nodes weighed by the adjoints at the point
        adjoint = weights()
        return None if adjoint is None else complex_step(m, graph, at, values, name, exponent, adjoint)[2]
    scales = Scales(weigh)
    for name in names:
        if name in directions:
            gradient[name], losses[name] = edge_loss(m, graph, at, values, name, directions[name])
            scales[name] = m.one
            continue
        try:
            gradient[name], losses[name], scale = complex_step(m, graph, at, values, name, exponent)
            scales.stepped(name, scale)
        except DomainError:  # f is not defined at x + ih: on the real line, if f is real on both sides
            try:
                (gradient[name], losses[name]), scales[name] = real_slope(m, graph, at, values, name,
                                                                          digits), m.one
            except NotDifferentiable as kink:
                failed[name] = kink.message
            except DomainError as error:  # this partial only
                failed[name] = (f"no reference for ∂f/∂{name}: f is undefined just beside the point, so it "
                                f"is not differentiable there ({error.message})")
    return Reference(digits=m.dps, value=values[graph.output], gradient=gradient, context=m,
                     method=COMPLEX_STEP, losses=losses, scales=scales, errors=failed)


def _cross_check(mpmath, graph: Graph, exact: dict, result: Reference, names: list, dps: int) -> None:
    """mpmath.diff on a few coordinates must agree with the reverse-mode reference to ``digits``."""
    m = private_context(mpmath, dps)
    at = at_point(m, exact)
    # The run checked was made at this precision from the same point: its node values are these.
    values = result.values if result.values is not None and result.context is m \
        else evaluate_mp(graph, at, m, every=True)
    result.values = None
    picks = sorted({0, len(names) // 2, len(names) - 1})[:CROSS_CHECKS]
    scale = max(abs(result.value), result.context.one)
    how = "mpmath.diff"
    for index in picks:
        name = names[index]
        by = "mpmath.diff"
        try:
            independent = one_diff(m, graph, at, values, name)
        except DomainError:  # the central difference stepped out of f's domain (sqrt(x) at 1e-300)
            independent = independent_complex_step(mpmath, graph, exact, name, dps)
            by = how = "the complex step"
        shown = result.gradient[name]
        # A partial shown as 0 is 0 relative to its largest term (_agreement): so is an independent value
        # within that floor (cos(x) - cos(y + 1e-60) at y = x is 4.8e-61 there, and 0 to 50 digits).
        if not (agree(result.context, result.context.mpf(independent), shown, result.digits, scale)
                or not shown and _within_floor(m, (independent,), result.digits, result.scales.get(name))):
            raise PrecisionError(f"the reverse-mode reference disagrees with {by} in {name}; "
                                 "no trustworthy reference at this point")
    result.method = f"{REVERSE}, checked by mpmath.diff on {len(picks)} coordinates" if how == "mpmath.diff" \
        else f"{REVERSE}, checked by mpmath.diff and the complex step on {len(picks)} coordinates"
