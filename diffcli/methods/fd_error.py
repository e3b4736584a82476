"""The est. error of the finite differences and the complex step: their own evaluations and a few more.

A fixed stencil's error is truncation plus rounding:

* **rounding** — each value of f is off by at most its evaluation error, bounded once at the point by a
  running error analysis (:func:`evaluation_bound`: every node that depends on a variable may be rounded
  by half an ulp for ``+ - * /`` and by its measured error at the point plus 4 ulps for a table function,
  reaching f through the node's adjoint), doubled for the points beside x; the stencil's weights
  multiply it and the step divides it (``Σ|w|·2B/h``), plus the rounding of the stencil's own sum, of a
  point ``x + 2h`` and of the division; and the steps of f that do not move with x are rounded once, the
  same at every point, which shifts the derivative of f as evaluated: forward mode's tracked bound
  (:func:`~diffcli.methods.rounding.tangents`, shared with ``dual`` and ``complex-step``) covers that.
* **truncation** — the same stencil at two more steps, 2h and 4h (h/2 and h/4 where those leave f's
  domain, cross a kink or round to the step h itself): for an order-p stencil
  ``D(2h) − D(h) ≈ (2^p − 1)·C·h^p``, so ``|D(h) − D(2h)|/(2^p − 1)`` (and the same from the pair 2h, 4h,
  scaled down by 2^p), each widened by the rounding of the two values it subtracts, times 2 for the terms
  the model leaves out.  The cost is the stencil's points at the two extra steps: 2 more evaluations of f
  per variable for fd-forward and fd-backward, 4 for fd-central, 4 for fd-5point (its points at 2h are
  ``x ± 2h`` again, shared in the formula but evaluated again), all in one vectorized call after the timed
  answer.

Where the differences do not shrink like ``h^p`` (the pair at the larger steps differs by less than
:data:`SLOWEST` of what the smaller pair predicts, or with the other sign, both well above rounding),
where the answer's own stencil steps across a kink of abs, relu, min, max, sign or step (a function whose
partials change between the stencil points), where f's values are noise (:data:`NOISE`), or where the
answer is farther from the chain rule's slope at the point than its estimate allows (:data:`AGREEMENT`:
f turning faster than the steps can see, which three steps can miss), there is no honest estimate: it is
``None`` (est. error ``unknowable``) with a warning, never ±0.

The complex step ``Im f(x + ih)/h`` follows the chain rule of forward mode through the imaginary parts:
its rounding is bounded by forward mode's running bound of the same tangent
(:func:`~diffcli.methods.rounding.tangents`) plus the distance between the two doubles; its truncation
``h²·f'''/6`` is estimated from one more complex evaluation at 2h (``|D(2h) − D(h)|/3``): 1 more
evaluation per variable.
"""

from __future__ import annotations

import math

from diffcli.core.algebra import FLOATS, FloatAlgebra, Functions
from diffcli.core.chain import adjoints
from diffcli.core.errors import DomainError
from diffcli.core.evaluate import depends_on, forward
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.core.lazy import LazyNumpy
from diffcli.core.primitives import PRIMITIVES
from diffcli.methods.one_rounding import EXACTLY_KNOWN, UNIT, own_rounding
from diffcli.methods.rounding import once_per_point, tangents, too_large

np = LazyNumpy(globals())

TINY = 2.0 ** -1074
"""The rounding of a result that underflows is absolute, at most this (not relative to the result)."""

SAFETY = 2.0
"""The truncation estimate from step-halving is a first-order model: it is doubled."""

def evaluation_bound(graph: Graph, values: list) -> list:
    """For each variable, a bound on how differently f's evaluation may be rounded at points that move it:
    each node that depends on the variable contributes ``|∂f/∂node|`` times its possible rounding (u·|v|
    for one IEEE operation, twice its measured error plus 4 ulps for a table function, :data:`TINY` for
    underflow); nodes that do not depend on it are the same double at every stencil point.  None for a
    variable whose bound is not finite (a partial of a step of f undefined or infinite here), and for
    every variable where f cannot be evaluated.

    >>> from diffcli.core.parse import parse
    >>> [round(b / UNIT, 6) for b in evaluation_bound(parse("x*x + z"), [3.0, 1.0])]  # 9u + 10u, 10u
    [19.0, 10.0]
    """
    return _measured(graph, values)[0]


def _measured(graph: Graph, values: list) -> tuple[list, list, list]:
    """``(bounds, slopes, why)``: :func:`evaluation_bound`, the chain rule's ∂f/∂x_i on doubles (nan where
    undefined) and, where a bound is None, why (:data:`UNDEFINED_PARTIAL` or :data:`EVALUATION_OVERFLOWS`),
    from one pass, shared by the stencils of the same point."""
    n = len(values)
    refused = too_large(graph, 1 + n)
    if refused:
        return [None] * n, [math.nan] * n, [refused] * n
    return once_per_point(graph, values, "evaluation bound", lambda: _measure(graph, values))


class _Poisoned(FloatAlgebra):
    """Doubles whose rules give nan or inf where they are undefined, instead of raising: the partials
    that need them are left without a bound, the others keep theirs."""

    def __init__(self):
        super().__init__()
        self.functions = Functions(_safe)


def _safe(primitive, args):
    try:
        return np.float64(primitive.real(*(float(a) for a in args)))
    except (ArithmeticError, ValueError):
        return np.float64(math.nan)


UNDEFINED_PARTIAL = "a partial of some step of f is undefined at the point"
"""Why f's rounding has no bound where a step's adjoint is not a number (a partial undefined or infinite
at the point: sqrt at 0)."""

EVALUATION_OVERFLOWS = "the bound on its evaluation overflows"
"""Why, where every adjoint is finite but the sum of the roundings they carry to f is not."""


def _measure(graph: Graph, values: list) -> tuple[list, list, list]:
    point = dict(zip(graph.variable_names, values))
    try:
        nodes = forward(graph, graph.output, float, lambda name: float(point[name]),
                        lambda primitive, node, args: primitive.real(*args))
        with np.errstate(all="ignore"):
            adjoint = adjoints(graph, [None if v is None else np.float64(v) for v in nodes], _Poisoned())
    except (ArithmeticError, ValueError, DomainError) as error:
        n = len(values)
        return [None] * n, [math.nan] * n, [f"it cannot be evaluated ({error})"] * n
    share, undefined = {}, set()
    for node, weight in adjoint.items():
        op = graph.ops[node]
        if op in (CONST, VAR):
            continue
        primitive, v = PRIMITIVES[op], nodes[node]
        args = [nodes[a] for a in graph.arguments[node]]
        if primitive.real in EXACTLY_KNOWN:
            allowance = UNIT * abs(v) + TINY
        else:
            allowance = 2 * own_rounding(primitive, args, v) + 8 * UNIT * abs(v) + TINY
        share[node] = abs(float(weight)) * allowance if weight == weight else math.nan
        if not math.isfinite(weight):
            undefined.add(node)
    bounds, why = [], []
    for variable in graph.variables:
        moved = depends_on(graph, variable)
        total = sum(b for node, b in share.items() if moved[node])
        finite = math.isfinite(total)
        bounds.append(total * (1 + 1e-10) if finite else None)
        why.append(None if finite else UNDEFINED_PARTIAL if any(moved[node] for node in undefined)
                   else EVALUATION_OVERFLOWS)
    return bounds, [float(adjoint.get(v, 0.0)) for v in graph.variables], why


def _no_bound(method_id: str, name: str, why: str) -> str:
    return (f"{method_id}: the error of ∂f/∂{name} cannot be estimated: the rounding of f cannot be bounded "
            f"here ({why}) (est. error: unknowable)")


TANGENT_NOT_FINITE = "the bound on the derivative of f as evaluated is not finite"
"""Why, where forward mode's tracked tangent has a value but no finite bound: a divisor whose rounding may
reach its own size (``1/(((x + 1e17) - 1e17) - x - 1)`` at 8.5), or an overflow of the bound (``log10(x)``
at 1e308: the rule's ln 10·x is infinite in doubles, so the bound of 1 over it is), though every partial
of f is defined."""


def _tangent_unbounded(t) -> str | None:
    """Why forward mode's tracked tangent ``t`` bounds nothing; None where it does.  A tangent that is not a
    number is the chain rule through a partial without a value.  (The tracked passes raise nothing: each
    operation turns a failure into an unknown value or an infinite bound.)"""
    if not math.isfinite(t.value):
        return UNDEFINED_PARTIAL
    return None if math.isfinite(t.bound) else TANGENT_NOT_FINITE


def _shifted(graph: Graph, values: list) -> tuple[list, list]:
    """How far the derivative of f as evaluated (its steps that do not move with x rounded once, the same
    double at every stencil point) may be from the derivative of f: forward mode's tracked bound, which
    carries every node's rounding into the tangent (``(atan(y) - y)**g(x)`` at y = -1e-7: the base is
    rounded by 1% and so is ∂f/∂x).  ``(bounds, why)``: None where there is none, and why."""
    found = tangents(graph, values)
    why = [_tangent_unbounded(t) for t in found]
    return [None if w else t.bound for t, w in zip(found, why)], why


# ---------------------------------------------------------------- the fixed stencils

def _rounding(moved, s: float, F_row, f0, bound: float, x: float, slope: float) -> float:
    """A bound on the rounding of the stencil's value at step ``s`` (f at its ``moved`` points: offsets,
    weights and center weight, :attr:`~diffcli.methods.finite.Stencil.moved` as lists, at ``F_row``;
    ``slope`` about |f'|, for the rounding of a point ``x + 2h``)."""
    offsets, weights, center = moved
    total, spread = 0.0, 0.0
    for o, w, f in zip(offsets, weights, F_row):
        total += abs(w) * (2 * bound + UNIT * abs(f))
        spread += abs(w * f)
        if abs(o) > 1:  # x + 2h may round: f moves by |f'|·u·|x + 2h|
            total += abs(w) * slope * UNIT * (x + abs(o) * s)
    if center is not None:
        total += abs(center) * (2 * bound + UNIT * abs(f0))
        spread += abs(center * f0)
    return (total + (len(weights) + 2) * UNIT * spread) / s


def stencil_estimates(graph: Graph, derivatives, stencil, values, taken, answers, F, f0):
    """``(estimates, warnings)`` for every variable (None where there is no estimate), from the answer
    (``answers``, the steps ``taken``, f at the stencil points ``F`` and at the point ``f0``).

    ``derivatives(rows, steps) -> (estimates, taken, F, f0)`` runs the stencil once more for the variables
    ``rows`` at ``steps`` (the extra evaluations)."""
    sides = kink_sides(graph)

    def kinked(i: int, steps: list) -> bool:  # stencil points (and x) on different pieces of a kink
        points = [values[i] + o * s for s in steps for o in stencil.offsets]
        return sides is not None and sides(values, i, points)
    bounds, slopes, unbounded = _measured(graph, values)
    offsets, weights, center = stencil.moved
    moved = (offsets.tolist(), weights.tolist(), center)
    names, n = graph.variable_names, len(values)
    shifted, unshifted = _shifted(graph, values)
    estimates, warnings = [None] * n, []
    for i in range(n):
        if (bounds[i] is None or shifted[i] is None) and isinstance(answers[i], float):
            warnings.append(_no_bound(stencil.id, names[i], unbounded[i] or unshifted[i]))
            estimates[i] = math.nan
    for factor in (2.0, 0.5):
        todo = [i for i in range(n) if estimates[i] is None and isinstance(answers[i], float)]
        if not todo:
            break
        steps = [factor * taken[i] for i in todo] + [factor * factor * taken[i] for i in todo]
        D, used, G, g0 = derivatives([*todo, *todo], steps)
        for q, i in enumerate(todo):
            why = _unknowable(stencil, names[i], values[i], taken[i], bounds[i], [*F[i], f0 or 0.0]) \
                if factor == 2.0 else None
            if why is None and factor == 2.0 and kinked(i, [taken[i]]):
                why = f"the stencil steps across a kink around {names[i]} = {values[i]!r} " \
                      f"(h = {taken[i]:.3g})"
            if why is not None:
                warnings.append(f"{stencil.id}: the error of ∂f/∂{names[i]} cannot be estimated: {why} "
                                "(est. error: unknowable)")
                estimates[i] = math.nan
                continue
            s = [taken[i], used[q], used[q + len(todo)]]
            values_at = [answers[i], float(D[q]), float(D[q + len(todo)])]
            if not _usable(values_at, s) or kinked(i, s[1:]):
                continue  # an extra point outside the domain or across a kink: try the smaller steps
            rows = [F[i], G[q], G[q + len(todo)]]
            noise = [_rounding(moved, t, row, f, bounds[i], abs(values[i]), 2 * abs(d))
                     for t, row, f, d in zip(s, rows, [f0, g0, g0], values_at)]
            estimates[i] = _truncation(stencil.order, s, values_at, noise)
            if estimates[i] is None:
                warnings.append(f"{stencil.id}: the error of ∂f/∂{names[i]} cannot be estimated: its "
                                f"differences at steps {s[0]:.3g}, {s[1]:.3g}, {s[2]:.3g} do not shrink like "
                                f"h^{stencil.order}: f is not resolved at these steps (a singularity, a kink "
                                "or fast oscillation near the point) (est. error: unknowable)")
                estimates[i] = math.nan  # settled: not tried again
            else:
                estimates[i] += noise[0] + shifted[i]
                if abs(answers[i] - slopes[i]) > 2 * estimates[i] + AGREEMENT * abs(slopes[i]):
                    warnings.append(f"{stencil.id}: the error of ∂f/∂{names[i]} cannot be estimated: the "
                                    f"stencil is {abs(answers[i] - slopes[i]):.2g} from the chain rule's "
                                    f"slope at the point, more than its own estimate {estimates[i]:.2g} "
                                    "allows: f is not resolved at these steps (est. error: unknowable)")
                    estimates[i] = math.nan
    for i in range(n):
        if estimates[i] is None and isinstance(answers[i], float):  # neither 2h, 4h nor h/2, h/4 usable
            warnings.append(f"{stencil.id}: the error of ∂f/∂{names[i]} cannot be estimated: the stencil at "
                            "other steps (2h and 4h, h/2 and h/4) leaves f's domain, crosses a kink or "
                            "rounds to the step h or to no step (est. error: unknowable)")
    return [float(e) if e is not None and math.isfinite(e) else None for e in estimates], warnings


def _usable(values_at: list, steps: list) -> bool:
    """Whether the stencil's answers at three steps can tell its truncation: each finite, at three different
    steps (at a step of an ulp of x, x + 2h may round back to x + h: the same step twice; x + h/2 may round
    to x, a step of 0, where the stencil's answer is nan)."""
    return all(math.isfinite(v) for v in values_at) and len(set(steps)) == 3


AGREEMENT = 1e-6
"""A stencil's estimate is withheld where its answer is farther from the chain rule's slope at the point
(computed on doubles in the same pass as the rounding bound) than twice the estimate plus this fraction of
the slope (room for the slope's own rounding): the values of f at its steps misled it (``tan(exp(x))``
at 35 turns 10^8 times within one step).  It only ever turns an estimate into unknowable."""

NOISE = 1e3
"""f's values are noise where the bound on their rounding exceeds this many times f itself (beyond what an
underflow leaves): the first-order bound no longer describes them (``cos`` of 7e38, rounded by 1e23)."""


def _unknowable(stencil, name: str, x: float, h: float, bound: float, row: list) -> str | None:
    """Why f's values at the answer's stencil points tell nothing (its rounding swamps f itself), or None."""
    largest = max(abs(f) for f in row)
    if bound > NOISE * largest and bound > 1e-290:
        return (f"f's values around {name} = {x!r} are noise: their rounding may reach {bound:.2g}, more "
                f"than {NOISE:g} times f itself ({largest:.2g})")
    return None


def _truncation(p: int, s: list, D: list, noise: list) -> float | None:
    """``SAFETY·max`` of the truncation at ``s[0]`` from each pair of steps, or None where the differences
    do not shrink steadily with the step (both well above their rounding).

    Where they shrink more slowly than ``h^p`` (ratio ρ < 2^p of the larger pair's difference to the
    smaller's), the rate ρ measured is used instead of 2^p; below :data:`SLOWEST` (or with opposite
    signs) the truncation is not shrinking at all at these steps."""
    r1, r2 = (s[1] / s[0]) ** p, (s[2] / s[0]) ** p
    d1, d2 = D[1] - D[0], D[2] - D[1]
    n1, n2 = noise[0] + noise[1], noise[1] + noise[2]
    e1 = (abs(d1) + n1) / abs(r1 - 1)
    e2 = (abs(d2) + n2) / abs(r2 - r1)
    (small, n_small), (big, n_big) = ((d1, n1), (d2, n2)) if r1 > 1 else ((d2, n2), (d1, n1))
    if abs(small) > n_small and abs(big) + n_big < 1.25 * (abs(small) - n_small):
        return None  # even with its rounding, the larger steps' difference is not larger
    if abs(d1) > 4 * n1 and abs(d2) > 4 * n2:  # both well above rounding: the rate they show
        rate = abs(big / small)
        if (small < 0) != (big < 0) or rate < SLOWEST * 2 ** p:  # signs, not a product (it can underflow)
            return None
        if rate < 2 ** p:  # T(2h) = ρ·T(h): d1 = T(h)·(ρ − 1) at 2h, T(h)·(1 − 1/ρ) at h/2
            e1 = max(e1, (abs(d1) + n1) / ((rate - 1) if r1 > 1 else (1 - 1 / rate)))
    return SAFETY * max(e1, e2)


SLOWEST = 0.7
"""Differences at steps h, 2h, 4h (both well above rounding) whose ratio is below this fraction of the 2^p
of an order-p stencil do not shrink like h^p: f is not resolved at these steps, no estimate."""


def kink_sides(graph: Graph):
    """``sides(values, i, points) -> bool``: whether moving variable ``i`` to each of ``points`` puts some
    kinked function (abs, relu, …, any with a ``kink``) on another piece than at ``values`` (its partials,
    or its value where they are 0, change); None where f has no kink depending on a variable."""
    depends = graph.depends_on_variables()
    nodes = [node for node, op in enumerate(graph.ops) if op not in (CONST, VAR) and depends[node]
             and PRIMITIVES[op].kink is not None]
    if not nodes:
        return None
    names = graph.variable_names

    def signature(point: dict) -> tuple:
        try:
            v = forward(graph, graph.output, float, lambda name: float(point[name]),
                        lambda primitive, node, args: primitive.real(*args))
        except (ArithmeticError, ValueError):
            return (None,)
        found = []
        for node in nodes:
            if v[node] is None:
                continue
            primitive, args = PRIMITIVES[graph.ops[node]], [v[a] for a in graph.arguments[node]]
            partials = tuple(rule(FLOATS, v[node], *args) for rule in primitive.partials)
            found.append((partials, v[node] if not any(partials) else None))
        return tuple(found)

    def sides(values, i: int, points) -> bool:
        base = dict(zip(names, values))
        here = signature(base)
        return any(signature({**base, names[i]: float(p)}) != here for p in points)
    return sides


# ---------------------------------------------------------------- the complex step

def complex_step_estimates(graph: Graph, values: list, answers: list, second: list) -> tuple[list, list]:
    """The complex step's estimate of each partial: ``|D(h) − t| + bound(t)`` for forward mode's tracked
    tangent ``t`` (rounding: the same chain rule), plus ``|D(2h) − D(h)|/3`` (truncation h²f'''/6)."""
    tracked = tangents(graph, values)
    found, warnings = [], []
    for name, answer, again, t in zip(graph.variable_names, answers, second, tracked):
        estimate = math.nan
        if isinstance(answer, float) and isinstance(again, float):
            estimate = abs(answer - t.value) + t.bound + abs(again - answer) / 3
        found.append(estimate * (1 + 4 * UNIT) if math.isfinite(estimate) else None)
        if found[-1] is None and isinstance(answer, float):
            warnings.append(_complex_step_warning(name, again, t))
    return found, warnings


def _complex_step_warning(name: str, again, t) -> str:
    """Why the complex step's partial ``name`` has no estimate: its tracked tangent ``t``, or the step at 2h
    (``again``, not a float where f has no value there)."""
    why = _tangent_unbounded(t)
    if why:
        return _no_bound("complex-step", name, why)
    if not isinstance(again, float):
        return (f"complex-step: the error of ∂f/∂{name} cannot be estimated: f has no value at the second "
                "step, 2h (est. error: unknowable)")
    return (f"complex-step: the error of ∂f/∂{name} cannot be estimated: the estimate overflows "
            "(est. error: unknowable)")
