"""How many working digits a run of the reference lost to cancellation, so that it can be run again with them.

Two runs at different working precisions agree on a wrong number when both lose an input the same way:
``(1e125 + x) - 1e125`` at 65 and at 80 digits rounds ``1e125 + 1`` to ``1e125`` both times and returns 0
both times.  So agreement alone proves nothing where a sum absorbs or cancels; this module bounds what a run
lost and says how many more digits it needs.

Rounding is the only way a run errs before the complex step's truncation, and rounding node ``n`` to
relative precision ``u`` moves the output by about ``u·|n|·|∂f/∂n|``.  The *loss* of a quantity ``q``
(the value, or the imaginary part of a complex-step run, which carries one partial derivative) is
``log10(Σ |∂f/∂n|·|n| / |q|)`` over the nodes the run rounded: the digits a run loses to cancellation,
wherever it happens (``(1 + x) - 1``, ``log((1 + x) - 1)``, ``sin(1e125 + x)``).  The adjoints ``∂f/∂n``
come from the one backward loop (the table's rules); they only choose the working precision, the digits
still come from the complex step and the two runs.

First order misses a loss where the adjoint is exactly 0 (``t**2`` at ``t = (1e125 + x) - 1e125``
computed as 0), and a quantity that is 0 has no relative error at all.  So a sum or difference that came
out exactly 0 from nonzero operands where its adjoint is 0, and a quantity that is exactly 0 while some
node moves it to first order, count as *unresolved* unless every node they depend on was computed exactly
(:func:`_exact_here`): then the run must be repeated at a higher precision.  A zero sum whose adjoint is 0
is measured instead where it can be (:func:`_moved`): it is set to ± its own error bound (``10^(2-dps)``
times the largest magnitude among the nodes it depends on) and the output recomputed (many such sums
together); how far the quantity moves counts as lost (``sin(y)*2 - sin(y) - sin(y)`` is 0 exactly in
every run, sin(y) inexact: under cos it moves f by 10^-(2·dps), nothing).  Only where that fails (a
domain left, more than :data:`MAX_JOINT_SUSPECTS` such sums) does the loss stay unresolved.

Past the largest precision a quantity of which no digit is known is 0 within its bound only if the run
computed it within that bound of 0 (``Loss.zero``, and the bound then covers the computed value too) and a
measured zero sum does not move it by more than the run's own roundings may: there the bound is that of a
term the sum may have lost, amplified (``x + (((sin(y) + z**5) - sin(y))*w**5)**2`` at z = 1e-300,
w = 1e291 computes 0.5 and is 0 only within ±2.5e365), which says nothing of the quantity.  Any other
quantity is refused by the caller, never shown as 0.

Only runs with a suspicious sum pay for the adjoints: :func:`assess` first screens every ``add`` and
``sub`` for a gap or a cancellation of more than :data:`SCREEN_DIGITS` digits, or an exact 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from diffcli.core.algebra import MpAlgebra
from diffcli.core.chain import adjoints
from diffcli.core.errors import DiffcliError
from diffcli.core.evaluate import depends_on, evaluate_mp
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.core.primitives import PRIMITIVES

MAX_SUSPECTS = 8
"""Up to this many zero sums with a zero adjoint are measured one at a time by :func:`_moved`, more of
them together."""

MAX_JOINT_SUSPECTS = 1000
"""More zero sums with a zero adjoint than this leave the run unresolved (each costs a walk of the graph)."""

SCREEN_DIGITS = 10
"""A sum whose operands are this many digits apart (or that cancels this many) makes a run look closer."""

ADDITIVE = ("add", "sub")
SELECTIONS = ("neg", "abs", "relu", "min", "max", "sign", "step")
"""Primitives whose value is one of their arguments (up to sign) or a fixed number: always exact."""

_BITS_PER_DIGIT = math.log2(10)

_ONE = (0, 1, 0, 1)
"""1 as mpmath's raw ``(sign, mantissa, exponent, bitcount)``."""


@dataclass
class Loss:
    """What one quantity of a run lost: ``digits`` to cancellation (first order), whether an exact 0 could
    not be shown exact (``unresolved``), the absolute error bound ``u·Σ|∂f/∂n|·|n|`` (``bound``, in the
    quantity's units, with at least the largest magnitude met) and the spread of the magnitudes met, in
    digits (``spread``), which says how far the precision may have to rise."""

    digits: float = 0.0
    unresolved: bool = False
    bound: object = None
    spread: float = 0.0
    zero: bool = False
    """The run computed the quantity within ``bound`` of 0 (``bound`` then includes the computed value), and
    the bound is its roundings', not a measured zero sum's larger move, so where none of its digits is known
    it is 0 within ``bound``; a quantity without it is refused there."""

    def worse(self, other: "Loss") -> "Loss":
        bound = self.bound if other.bound is None else other.bound if self.bound is None \
            else max(self.bound, other.bound)
        return Loss(max(self.digits, other.digits), self.unresolved or other.unresolved, bound,
                    max(self.spread, other.spread), self.zero or other.zero)


class ReverseAlgebra(MpAlgebra):
    """:class:`MpAlgebra` where a product with a factor of exactly 1 is the other factor, as mpmath would
    round it anyway (every number of the pass already has the context's precision): a partial of exactly ±1
    (a sum's, a difference's) gives the adjoint or its negation, which skips converting the float and one
    multiplication for each argument of every sum, a third of the mpmath products of a big flat sum's
    backward pass; an adjoint of exactly 1 (each term of a sum, as f's own) gives the partial, which skips
    a third of the rest."""

    def __init__(self, m):
        super().__init__(m)
        self._mpf, self._mpc = m.mpf, m.mpc

    def times(self, adjoint, partial):
        if type(partial) is float:
            if partial == 1.0:
                return adjoint
            if partial == -1.0:
                return -adjoint
        elif type(adjoint) is self._mpf and adjoint._mpf_ == _ONE and type(partial) in (self._mpf, self._mpc):
            return partial
        return adjoint * partial


def sensitivities(m, graph: Graph, values: list):
    """``∂f/∂n`` for every node the output depends on, in ``m``; None where the rules cannot be evaluated
    at the point (a partial with a pole there): :func:`assess` then weighs every node by 1."""
    try:
        return adjoints(graph, values, ReverseAlgebra(m))
    except (ArithmeticError, ValueError, TypeError, DiffcliError):
        return None


def assess(m, graph: Graph, values: list, imaginary: bool = False, weights=None, scale=None) -> Loss:
    """The :class:`Loss` of the quantity carried by the output of one run: its real part (the value), or
    with ``imaginary`` its imaginary part (a complex step run), whose real parts move the imaginary ones
    through the imaginary parts of the adjoints (``x·t`` with ``t`` absorbed to 0 loses ``h·t`` from
    ``Im``), so both components are screened and weighed.
    ``weights`` is a callable giving the run's adjoints, asked only when a sum looks suspicious (None, or
    one that returns None, weighs every node by 1); ``scale`` divides the bound (the complex step's h).
    """
    output = graph.output
    ops = graph.ops
    nodes = [n for n in range(output + 1) if values[n] is not None]
    part, other = (m.im, m.re) if imaginary else (m.re, m.im)
    parts = (part, other)  # component 0 carries the quantity
    q = part(values[output])
    suspicious, zeros = _screen(m, graph, values, nodes, parts)
    if not (suspicious or not q):
        return Loss()
    adjoint = weights() if weights is not None else None
    if adjoint is None:
        def weight(node, component):
            return 0 if component else 1
    else:
        def weight(node, component):
            # |part(adjoint · δ)| ≤ |Re adjoint|·|part δ| + |Im adjoint|·|other δ|
            return abs(m.im(adjoint.get(node, 0))) if component else abs(m.re(adjoint.get(node, 0)))
    total, spread = m.zero, 0.0
    largest = m.zero
    for component in (0, 1):
        sizes = [abs(parts[component](values[n])) for n in nodes]
        nonzero = [size for size in sizes if size]
        if nonzero:
            spread = max(spread, float(m.log10(max(nonzero) / min(nonzero))))
        if component == 0:
            largest = max(sizes, default=m.zero)
        total += sum((weight(n, component) * size for n, size in zip(nodes, sizes)
                      if ops[n] not in (CONST, VAR)),
                     m.zero)
    exact = _Exactness(m, graph, values)
    # A real part's error reaches the imaginary part only through a nonlinear function of it: a node that
    # reaches the output only through sums and products with real factors cannot hide anything there.
    linear = _linear_paths(m, graph, values) if imaginary and any(c for _, c in zeros) else None
    suspects = [(node, component) for node, component in zeros if weight(node, component) == 0
                and not (component and linear[node]) and not exact.ancestry(node)]
    moved = _moved(m, graph, values, suspects, parts, imaginary) if suspects else m.zero
    unresolved = moved is None
    unit = m.mpf(10) ** (2 - m.dps)
    # A zero sum that moves the quantity by more than the run's roundings may have lost a term (absorbed,
    # then amplified): the bound is then that term's, and the quantity is not 0 within it but unknown.
    hidden = not unresolved and moved / unit > max(total, largest)
    if not unresolved:
        total += moved / unit  # as first order weighs a rounding of relative size unit
    if not q:
        # 0 to first order (total == 0) is 0: every node is 0 or moves nothing, and the one blind spot of
        # first order, an adjoint that is exactly 0, comes from an exact 0 measured above.
        unresolved = unresolved or (total > 0 and not exact.ancestry(output))
        digits = 0.0
    else:
        digits = max(0.0, float(m.log10(total / abs(q)))) if total else 0.0
    bound = max(total, largest) * unit
    zero = abs(q) <= bound and not hidden
    if zero:
        bound += abs(q)
    return Loss(digits, unresolved, bound / scale if scale else bound, spread, zero)


def _moved(m, graph: Graph, values: list, suspects: list, parts: tuple, imaginary: bool):
    """How far the quantity (``parts[0]`` of the output) moves when each suspect ``(node, component)``, a sum
    that came out exactly 0 with a zero adjoint, is set to ± its error bound in that component: one at a
    time (the sum of each one's largest move) up to :data:`MAX_SUSPECTS` suspects, all together beyond (the
    largest move of all of them +, all -, and alternating signs); None where that cannot be told (a domain
    left, more than :data:`MAX_JOINT_SUSPECTS`).  A sum's error bound is ``10^(2-dps)`` times the largest
    magnitude (of that component) among the nodes it depends on, as :func:`assess` bounds a rounding: an
    estimate, with two digits to spare, which a function amplifying its argument's error by more (exp of
    an argument over 100) exceeds."""
    if len(suspects) > MAX_JOINT_SUSPECTS:
        return None
    unit = m.mpf(10) ** (2 - m.dps)
    steps = []  # (node, the step, whether it is along the imaginary axis)
    for node, component in suspects:
        ancestry = graph.reachable([node])
        size = max((abs(parts[component](values[n])) for n in range(node + 1)
                    if ancestry[n] and values[n] is not None), default=m.zero)
        if size:  # which part of the number the suspect is 0 in:
            steps.append((node, unit * size, (component == 0) == imaginary))
    if len(steps) <= MAX_SUSPECTS:
        total = m.zero
        for step in steps:
            moves = [_move(m, graph, values, [step], [sign], parts[0], imaginary) for sign in (1, -1)]
            if None in moves:
                return None
            total += max(moves)
        return total
    patterns = ([1] * len(steps), [-1] * len(steps), [(-1) ** k for k in range(len(steps))],
                [-(-1) ** k for k in range(len(steps))])
    moves = [_move(m, graph, values, steps, signs, parts[0], imaginary) for signs in patterns]
    return None if None in moves else max(moves)


def _move(m, graph: Graph, values: list, steps: list, signs: list, part, imaginary: bool):
    """``|part(output)|``'s change when each ``(node, step, along the imaginary axis)`` of ``steps`` moves
    its node by ``sign·step``; None where f is not defined there."""
    base = list(values)
    changed = [False] * len(graph)
    for (node, step, on_imaginary), sign in zip(steps, signs):
        base[node] = base[node] + (m.mpc(0, sign * step) if on_imaginary else sign * step)
        changed = [a or b for a, b in zip(changed, depends_on(graph, node))]
    for node, _, _ in steps:
        changed[node] = False
    try:
        moved = evaluate_mp(graph, {}, m, base=base, changed=changed, complex_step=imaginary)
    except (ArithmeticError, ValueError, TypeError, DiffcliError):
        return None
    return abs(part(moved) - part(values[graph.output]))


def _screen(m, graph: Graph, values: list, nodes: list, parts: tuple) -> tuple[bool, list]:
    """Whether some sum lost more than :data:`SCREEN_DIGITS` digits to cancellation or to a gap between its
    operands, and the ``(node, component)`` of sums that came out exactly 0 from nonzero operands.

    It reads magnitudes off mpmath's raw ``(sign, mantissa, exponent, bitcount)`` tuples, as ``m.mag`` does
    (``exponent + bitcount``), without building an mpf for each part, ``abs`` or ``max``: a sum's larger
    operand in absolute value has the larger (or equal) magnitude, so the comparisons are those of the
    numbers themselves."""
    ops, arguments = graph.ops, graph.arguments
    suspicious, zeros = False, []
    screen = int(SCREEN_DIGITS * _BITS_PER_DIGIT)
    # Which component of an mpc each part is: (real, imaginary) for the value, (imaginary, real) for a
    # complex step's derivative.
    indices = (0, 1) if parts == (m.re, m.im) else (1, 0)
    for node in nodes:
        if ops[node] not in ADDITIVE:
            continue
        args = arguments[node]
        triple = (values[args[0]], values[args[1]], values[node])
        # Real numbers have no imaginary part to screen (it would be skipped as 0 below); a complex step's
        # run screens the real parts too, whose errors its imaginary parts may carry.
        plain = not indices[0] and not any(hasattr(v, "_mpc_") for v in triple)
        for component in (0,) if plain else (0, 1):
            a, b, r = (_magnitude(v, indices[component]) for v in triple)
            if a is None and b is None:
                continue
            if r is None:
                if args[0] != args[1]:
                    zeros.append((node, component))
                    suspicious = True
            elif max(a if a is not None else b, b if b is not None else a) - r > screen \
                    or (a is not None and b is not None and abs(a - b) > screen):
                suspicious = True
    return suspicious, zeros


def _magnitude(value, index: int):
    """``m.mag`` of component ``index`` (0 real, 1 imaginary) of an mpf or mpc; None where it is 0."""
    if hasattr(value, "_mpc_"):
        part = value._mpc_[index]
    elif index:
        return None
    else:
        part = value._mpf_
    sign, mantissa, exponent, bits = part
    if mantissa:
        return exponent + bits
    if bits:  # inf or nan (a forward walk refuses them): as large as can be
        return math.inf
    return None


def _linear_paths(m, graph: Graph, values: list) -> list[bool]:
    """For every node, whether the output is an affine function of it with real coefficients (every path to
    the output goes through ``add``, ``sub``, ``neg``, a product with a real factor or a division by a
    real divisor): then its real part's error never reaches the output's imaginary part."""
    output = graph.output
    linear = [True] * (output + 1)
    for node in range(output, -1, -1):
        if values[node] is None or graph.ops[node] in (CONST, VAR):
            continue
        op, args = graph.ops[node], graph.arguments[node]
        for k, a in enumerate(args):
            if op in ("add", "sub", "neg"):
                through = True
            elif op == "mul":
                through = not m.im(values[args[1 - k]])
            elif op == "div":
                through = k == 0 and not m.im(values[args[1]])
            else:
                through = False
            linear[a] = linear[a] and linear[node] and through
    return linear


class _Exactness:
    """Whether a node's value, and every value it was computed from, was computed without rounding."""

    def __init__(self, m, graph: Graph, values: list):
        self.m, self.graph, self.values = m, graph, values
        self.known: dict = {}

    def ancestry(self, node: int) -> bool:
        """Every node ``node`` depends on (itself included) was computed exactly: walked with a stack."""
        arguments, known = self.graph.arguments, self.known
        stack = [node]
        while stack:
            top = stack[-1]
            if top in known:
                stack.pop()
                continue
            pending = [a for a in arguments[top] if a not in known]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            known[top] = all(known[a] for a in arguments[top]) and _exact_here(
                self.m, self.graph.ops[top], self.values[top], [self.values[a] for a in arguments[top]])
        return known[node]


def _exact_here(m, op: str, value, args: list) -> bool:
    """Whether ``op(*args)`` was computed exactly (the arguments taken as they are)."""
    if op in (CONST, VAR) or op in SELECTIONS:
        return True
    if op == "add":
        return m.fadd(args[0], args[1], exact=True) == value
    if op == "sub":
        return m.fsub(args[0], args[1], exact=True) == value
    if op == "mul":
        return m.fmul(args[0], args[1], exact=True) == value
    if op == "div":
        return m.fmul(value, args[1], exact=True) == args[0]
    if op == "sqrt":
        return m.fmul(value, value, exact=True) == args[0]
    # Any other function is exact where it gives the same value again at a far higher precision: exp(0),
    # log(1), but also log2(8) = 3, hypot(3, 4) = 5 or 1.5**3.  A value that is not exact (sin(1) is
    # irrational; T**3 of a p-bit T needs 3p bits) agrees with its closer approximation to 2p + 64 bits only
    # by a 1-in-2^(p+64) chance (a power's second binomial term lands in those bits).
    try:
        with m.workprec(2 * m.prec + 64):
            return PRIMITIVES[op].mp(m, *args) == value
    except (ArithmeticError, ValueError, TypeError):  # an evaluator that takes no such arguments: not shown
        return False
