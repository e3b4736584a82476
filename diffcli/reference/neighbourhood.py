"""Whether each partial derivative has a real neighbourhood to differentiate in.

A partial derivative ∂f/∂v is a limit of real difference quotients, so it needs f to be real on both sides
of the point along v (or, at an edge of f's domain, on one side).  The complex step never leaves the point's
real parts, so it cannot see this: ``(-x)**z`` at x=2, z=3 is -8, but ``(-2)**z`` is not real for any
non-integer z, so ∂f/∂z does not exist, while the complex step returns the real part of a complex
derivative, -5.545….  :func:`sides` finds such variables and says, for each, on which sides f is real.

It is cheap where nothing is near an edge: a screen first nudges the arguments of every application by a
relative 2^-40 either way (in floats), alone and together, and asks the table's domain (``inside``); only
the variables that reach an application some nudge takes out of its domain are tested on f itself, at
``v ± δ`` (δ relative to |v|, or absolute at 0), which is the truth (``(-x)**(z - z + 3)`` passes: its
exponent does not move).

At an edge (f real on one side only: ``x**1.5`` or ``sqrt(x)`` at 0), the derivative is one-sided:
:func:`edge_slope` is the difference quotient over a step far below the digits asked for, at a working
precision that resolves it; it settles where the one-sided derivative exists (``x**1.5``: 0) and grows
without bound where it does not (``sqrt(x)``), which the two runs of the reference then show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product

from diffcli.core.errors import DiffcliError, DomainError, PrecisionError
from diffcli.core.evaluate import depends_on, evaluate, evaluate_mp
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.core.primitives import PRIMITIVES, everywhere
from diffcli.reference.cancellation import Loss
from diffcli.reference.runs import GUARD_DIGITS, MAX_EXTRA_DIGITS, private_context

SCREEN_BITS = 40
"""The screen nudges each argument by this many bits below its magnitude (2^-40 relative, or 2^-40 at 0):
far more than a double's rounding, so an argument that is at an edge in exact arithmetic and off it by
rounding in floats is still suspected (f itself then decides)."""

EDGE_DOUBLINGS = 4
"""Times :func:`edge_slope` doubles its precision where f absorbed its whole rise (or f does not move)."""


@dataclass(frozen=True)
class Sides:
    """Whether f is real just left and just right of the point along one variable."""

    left: bool
    right: bool

    @property
    def direction(self) -> int:
        """+1 where only the right side is real, -1 where only the left is, 0 where neither is."""
        return int(self.right) - int(self.left)

    def message(self, name: str, value: float) -> str:
        """Why ∂f/∂name has no two-sided real neighbourhood, in the user's words."""
        if not (self.left or self.right):
            return f"∂f/∂{name} does not exist: f is not real for {name} near {value!r}"
        side = "<" if self.right else ">"
        return f"f is undefined for {name} {side} {value!r}"


def sides(m, graph: Graph, at: dict, names: list) -> dict:
    """``{name: Sides}`` for every variable in ``names`` along which f is not real on both sides of the
    point ``at`` (mpmath numbers of ``m``).  The screen runs on floats; f is evaluated in ``m`` only for
    the variables it suspects.  Raises DomainError where f is undefined at the point itself."""
    suspects = _suspects(graph, _floats(m, graph, at))
    if not suspects:
        return {}
    values = evaluate_mp(graph, at, m, every=True)
    found = {}
    node_of = dict(zip(graph.variable_names, graph.variables))  # not .index per name: quadratic in them
    for name in names:
        variable = node_of[name]
        if not suspects[variable]:
            continue
        changed = depends_on(graph, variable)
        x = at[name]
        delta = m.ldexp(abs(x) if x else m.one, -(m.prec // 2))
        real = [_real(m, graph, at, values, changed, name, x + sign * delta) for sign in (-1, 1)]
        if not all(real):
            found[name] = Sides(*real)
    return found


def _floats(m, graph: Graph, at: dict) -> list:
    """Every node's value at the point as a float: f on floats, or in ``m`` where floats fail (overflow)."""
    try:
        return evaluate(graph, {name: float(v) for name, v in at.items()})
    except DiffcliError:
        return [None if v is None else float(v) for v in evaluate_mp(graph, at, m, every=True)]


def _real(m, graph, at, values, changed, name, moved) -> bool:
    try:
        evaluate_mp(graph, {**at, name: moved}, m, base=values, changed=changed)
    except DomainError:
        return False
    return True


def _suspects(graph: Graph, values: list) -> list | None:
    """For every node, whether it reaches (as an argument, at any depth) an application that a nudge of
    its moving arguments takes out of its domain; None where no application does."""
    ops, arguments = graph.ops, graph.arguments
    depends = graph.depends_on_variables()
    marked = [False] * len(values)
    any_marked = False
    for node, value in enumerate(values):
        if value is None or ops[node] in (CONST, VAR):
            continue
        primitive = PRIMITIVES[ops[node]]
        if everywhere(primitive):
            continue
        moving = [k for k, a in enumerate(arguments[node]) if depends[a]]
        args = [values[a] for a in arguments[node]]
        # An argument past the floats' range (inf, from mpmath) cannot be nudged: f itself decides.
        if moving and not (all(map(math.isfinite, args)) and _inside_when_nudged(primitive, args, moving)):
            for k in moving:
                marked[arguments[node][k]] = any_marked = True
    if not any_marked:
        return None
    for node in reversed(range(len(values))):  # marks flow from an argument to what it is computed from
        if marked[node]:
            for a in arguments[node]:
                marked[a] = True
    return marked


def _inside_when_nudged(primitive, args: list, moving: list) -> bool:
    """Whether the application stays in its domain with the moving arguments nudged either way, alone and
    together in every combination of signs (``(x - y)**x`` at x = y = 1 leaves it only when both move)."""
    nudges = [math.ldexp(abs(a) if a else 1.0, -SCREEN_BITS) for a in args]
    for signs in product((-1, 0, 1), repeat=len(moving)):
        moved = list(args)
        for k, sign in zip(moving, signs):
            moved[k] = args[k] + sign * nudges[k]
        if not primitive.inside(*moved):
            return False
    return True


def edge_slope(m, graph: Graph, at: dict, values: list, name: str, direction: int):
    """The one-sided difference quotient ``(f(x + s·δ) − f(x)) / (s·δ)``, s = ``direction``, with δ about
    the square of the context's precision (relative to |x|, or absolute at 0), both values computed at
    three times the working digits so that their difference keeps its digits (nodes that do not depend on
    ``name`` keep their values, the same in both).  Its truncation ``δ^(α-1)`` for f ≈ c·t^α at the edge is
    below the working precision for α ≥ 1.5, and it grows like δ^(α-1) where α < 1 (no derivative).

    Where f, or a number computed on the way, is large beside the rise (``sqrt(x) + 1e200`` at 0, or
    ``(x + 1e30) - 1e30 + sqrt(x)**3``, 0 at 0), the precision is raised until the rise keeps the context's
    bits beside the largest of them (doubled, at most :data:`EDGE_DOUBLINGS` times, where the rise is 0).
    A rise still 0 is a slope of 0 only where a rise lost beside the numbers met would be a slope below the
    context's precision (``sqrt(x) - sqrt(x)``); elsewhere (``sqrt(x) + w**13`` at w = 1e300, 10^3900 beside
    a rise of 2^-prec) the slope is None, never 0: the run lost it (:func:`edge_loss`)."""
    x = at[name]
    changed = depends_on(graph, graph.variables[graph.variable_names.index(name)])
    bits = 2 * m.prec
    precision = 3 * m.prec + 64
    for _ in range(EDGE_DOUBLINGS + 1):
        with m.workprec(precision):
            delta = m.ldexp(abs(x) if x else m.one, -bits) * direction
            here = evaluate_mp(graph, at, m, base=values, changed=changed)
            walked = evaluate_mp(graph, {**at, name: x + delta}, m, base=values, changed=changed, every=True)
            rise = walked[graph.output] - here
            slope = rise / delta
        # Each number the walks rounded moved f by up to its own size times 2^-precision (f's among them).
        sizes = [m.mag(v) for v, moves in zip(walked, changed) if moves and v] + [m.mag(here)] * bool(here)
        if rise:  # the bits of the rise left beside the largest size met
            kept = precision - (max(sizes) - m.mag(rise))
            if kept >= m.prec + 64:
                break
            precision += m.prec + 64 - kept
        elif max(sizes) - precision - m.mag(delta) < -m.prec:  # sizes holds x + δ, never 0
            break  # no rise the roundings could have lost is a slope the context would hold: 0
        else:  # f may have absorbed the whole rise: look closer
            precision *= 2
    else:
        if not rise:
            return None
    return +slope


def edge_loss(m, graph: Graph, at: dict, values: list, name: str, direction: int) -> tuple:
    """:func:`edge_slope` as a run's partial and its :class:`~diffcli.reference.cancellation.Loss`: a slope
    lost beside far larger numbers (None) is 0 and unresolved, so the runs are repeated with more working
    digits, and past the largest the partial is refused, never shown as 0."""
    slope = edge_slope(m, graph, at, values, name, direction)
    return (m.zero, Loss(unresolved=True)) if slope is None else (slope, Loss())


def edges(mpmath, graph: Graph, point: dict, names: list, digits: int) -> dict:
    """:func:`sides` of ``names`` at ``point`` (floats), in a private context of ``digits`` plus the first
    guard digits (:func:`at_the_point`): the variables along which f is not real on both sides."""
    return at_the_point(mpmath, graph, point, digits + GUARD_DIGITS[0][1],
                        lambda m, at: sides(m, graph, at, names))


def at_the_point(mpmath, graph: Graph, point: dict, digits: int, work):
    """``work(m, at)`` with ``at`` the point (floats) in a private context ``m`` of ``digits``.  Where f
    fails there, a sum may have absorbed an input (``log((x + u) - x)`` at x = 1, u = 2^-300 is ``log(0)``
    at 80 digits), so it is done again with :data:`MAX_EXTRA_DIGITS` more, as the reference's runs may be;
    f undefined at the point at both precisions is a PrecisionError (no reference)."""
    for extra in (0, MAX_EXTRA_DIGITS):
        m = private_context(mpmath, digits + extra)
        at = {name: m.mpf(float(point[name])) for name in graph.variable_names}
        try:
            return work(m, at)
        except DomainError as error:
            failure = error
    raise PrecisionError(f"no reference: f is undefined at the point ({failure.message})") from None
