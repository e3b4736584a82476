"""Richardson extrapolation: differences at a geometric sequence of steps, extrapolated to h → 0.

Central, forward and backward differences at :data:`RICHARDSON_STEPS` halving steps, all evaluated in one
numpy call (:class:`diffcli.methods.Evaluator`), combined in a tableau (Neville); the candidate with the
smallest error estimate is kept, and its estimate is reported (``error_estimate``).  Near a domain edge the
one-sided differences take over; at a kink only forward differences are used (the right derivative).

Unlike the fixed stencils, richardson never evaluates f on floats point by point: its 80 points a variable
are past their crossover (:data:`diffcli.methods.finite.SCALAR_POINTS`, 32 points) from one variable on;
``benchmarks/stencil_crossover.py`` measures its 161 evaluations at the lecture's point as about 4 to 6
times slower on floats than in one numpy call.  Its time goes to the tableau and its estimates
(:mod:`diffcli.methods.tableau`), about seventy numpy operations on arrays of a few hundred to a thousand
and a half elements, each costing mostly numpy's fixed cost per call (a reduction or a strided argmin 1.5
to 3.5 µs, anything else about half a microsecond; fusing several into one broadcast call measured slower,
not faster): at the lecture's point about 85 µs on the loaded 2-core development machine, 400 calls of f
on floats.
"""

from __future__ import annotations

import math
import sys

from diffcli.core.evaluate import evaluate, kinks
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.core.lazy import LazyNumpy
from diffcli.core.primitives import PRIMITIVES
from diffcli.methods import tableau
from diffcli.methods.finite import Evaluator
from diffcli.methods.partials import explained
from diffcli.methods.registry import method

np = LazyNumpy(globals())
EPS = sys.float_info.epsilon


RICHARDSON_STEPS = 40
"""Steps per sequence: h_j = h_0 / 2^j, j = 0 … 39."""

RICHARDSON_FIRST_STEP = 0.2
"""h_0 = 0.2·max(1, |x|); for |x| < 2^-26 a second sequence starts at 0.2·|x|, for |x| > 2^26 at 0.2."""

RICHARDSON_LEVELS = 5
"""Extrapolation levels: a central estimate at level k has error O(h^(2k+2))."""

RICHARDSON_SAFETY = 2.0
"""The reported error estimate is this multiple of the selected candidate's estimate."""

RICHARDSON_TOLERANCE = 1e-10
"""A relative error estimate above this is reported as a warning in the row: the digits are not vouched
for."""

_CENTRAL, _FORWARD, _BACKWARD = 0, 1, 2


def _sequences(x: float, step: float | None) -> list[float]:
    """First steps h_0 of the geometric sequences tried at x (two scales when |x| is far from 1)."""
    if step is not None:
        return [step]
    firsts = [RICHARDSON_FIRST_STEP * max(1.0, abs(x))]
    if 0 < abs(x) < 2.0 ** -26:
        firsts.append(RICHARDSON_FIRST_STEP * abs(x))
    elif abs(x) > 2.0 ** 26:
        firsts.append(RICHARDSON_FIRST_STEP)
    return firsts


def richardson_derivatives(evaluate: Evaluator, values, step: float | None = None, one_sided: bool = False,
                           flat: list | None = None):
    """Richardson-extrapolated ∂f/∂x_i for every variable: ``(gradient, error estimates, evaluations)``.

    All steps of all variables go through ``evaluate`` in one vectorized call.  ``one_sided`` keeps only
    forward differences (the right derivative, at a kink).  A variable with no finite candidate gets nan.
    ``flat``, if given a list, receives the variables at which f is the same double at every step tried:
    there the values of f say nothing about the derivative.

    For each variable the chosen candidate is the one with the smallest relative estimate (the smallest
    absolute one if none is below 1, as for a derivative that is 0), over both families and sequences; its
    estimate is then widened to cover its distance to the error interval of the best of every family and
    sequence, and multiplied by :data:`RICHARDSON_SAFETY`.
    """
    values = np.asarray(values, dtype=float)
    rows, firsts = [], []
    for i, x in enumerate(values.tolist()):
        for h0 in _sequences(x, step):
            rows.append(i)
            firsts.append(h0)
    work = tableau.work_for(len(rows), RICHARDSON_STEPS, RICHARDSON_LEVELS + 1)
    points = work.abscissae                                       # abscissa (see tableau)
    np.multiply(np.array(firsts).reshape(-1, 1), work.layout.multiples, out=points)
    points += (values if len(rows) == len(values) else values[rows]).reshape(-1, 1)   # one row each, in order
    points = work.points                                          # x + h_j, then x − h_j
    F, f0 = evaluate(values, rows, points, center=True)
    still = F == f0
    if not np.count_nonzero(still):
        still = None
    with np.errstate(all="ignore"):
        tableau.candidates(work, F, f0, still)
    by_row = tableau.best(work, len(rows))
    tableau.keep(work)
    if flat is not None and still is not None:
        moved = (~still.all(axis=1)).tolist()
        flat += [i for i in range(len(values)) if not any(moved[q] for q, r in enumerate(rows) if r == i)]
    families = [_FORWARD] if one_sided else [_CENTRAL, _FORWARD, _BACKWARD]
    candidates = [[] for _ in values]                             # per variable: the best of each family
    for q, i in enumerate(rows):                                  # (relative: value, estimate, relative,
        for absolute, relative in (by_row[q][k] for k in families):      # then absolute: value, estimate)
            candidates[i].append(relative + absolute[:2])
    chosen = [_chosen(found) for found in candidates]
    return [value for value, _ in chosen], [estimate for _, estimate in chosen], 1 + points.size


def _chosen(found: list[tuple]) -> tuple[float, float]:
    """One variable's answer and reported estimate from the best candidate of each family and sequence,
    ``(value, estimate, E/|T|, value with the smallest absolute estimate, that estimate)``: the smallest
    relative estimate if it claims a first digit (E/|T| < 1; at exactly 1 it claims none), else the smallest
    absolute one; widened to reach the error interval of every other best, times :data:`RICHARDSON_SAFETY`.
    ``(nan, nan)`` where no candidate has a finite estimate."""
    found = [c for c in found if math.isfinite(c[4])]
    if not found:
        return math.nan, math.nan
    best = min(found, key=lambda c: c[2])
    if best[2] < 1:
        value, estimate = best[0], best[1]
    else:
        value, estimate = min(((c[3], c[4]) for c in found), key=lambda c: c[1])
    for v_r, e_r, rel, v_a, e_a in found:  # the best of every family and sequence must agree with it
        other_value, other_estimate = (v_r, e_r) if rel < 1 else (v_a, e_a)
        estimate = max(estimate, abs(value - other_value) - other_estimate)
    return value, RICHARDSON_SAFETY * estimate


def _at_a_kink(graph: Graph):
    """A function telling whether the values put some primitive exactly at its kink (None if f has none)."""
    if not any(op not in (CONST, VAR) and PRIMITIVES[op].kink is not None for op in graph.ops):
        return None
    return lambda values: bool(kinks(graph, evaluate(graph, dict(zip(graph.variable_names, values)))))


@method("richardson", "Richardson extrapolation: central and one-sided differences at 40 steps "
                      "h = 0.2·max(1, |x|)/2^j (--eps sets the first), extrapolated to h → 0, the candidate "
                      "with the smallest error estimate kept; 81 evaluations per variable in one vectorized "
                      "call; reports error_estimate, and says so when it cannot vouch for 10 digits", rank=60,
        options=("step",), work="variables")
def _richardson(graph: Graph, step: float | None = None):
    evaluate = Evaluator(graph)
    names = graph.variable_names
    kink = _at_a_kink(graph)

    def run(values):
        one_sided = kink is not None and kink(values)
        flat: list = []
        gradient, estimates, evaluations = richardson_derivatives(evaluate, values, step, one_sided, flat)
        warnings = []
        for index, (name, x, value, estimate) in enumerate(zip(names, values, gradient, estimates)):
            if value == 0 and (index in flat or estimate == 0):
                estimates[index] = None  # not ±0: the derivative is unknowable from f's values
                steps = "every step tried" if index in flat else "the steps it rests on"
                warnings.append(f"richardson: ∂f/∂{name} is unknowable from f's values: f is the same double "
                                f"at {steps} around {name} = {x!r}, so 0 is no estimate of it (est. error: "
                                "unknowable)")
            elif not math.isfinite(value):
                gradient[index] = explained(graph, values, index, f"no finite difference of f around "
                                                                  f"{name} = {x!r} at any step tried")
                estimates[index] = None
            elif value == 0 or not estimate <= RICHARDSON_TOLERANCE * abs(value):
                warnings.append(_unsure(name, value, estimate))
        details = {"error_estimate": dict(zip(names, estimates)), "warnings": warnings}
        if one_sided:
            details["warnings"].append("richardson: at a kink, one-sided (forward) differences only: the "
                                       "right derivative")
        return gradient, evaluations, details
    return run


def _unsure(name: str, value: float, estimate: float) -> str:
    if value == 0:
        return (f"richardson: ∂f/∂{name} is 0 within ±{estimate:.2g} (estimated); how many of its digits are "
                "right cannot be established")
    relative = estimate / abs(value)
    return (f"richardson: could not reach {RICHARDSON_TOLERANCE:.0e} relative accuracy in ∂f/∂{name}: "
            f"estimated error {estimate:.2g} ({relative:.2g} relative); the values of f do not hold more "
            "(rounding in f, or f changing faster than the steps can resolve)")
