"""How much one operation on doubles rounds: exactly for ``+ − * /``, measured in mpmath for a table function.

The running error bounds of :mod:`diffcli.methods.rounding` (Tracked numbers) and of
:mod:`diffcli.methods.fd_error` (f's evaluation) add this to what flows in.  ``+ − * /`` are known exactly
(Knuth's TwoSum, Dekker's TwoProduct, rational arithmetic where those could overflow or underflow), 0 where
the result is exact; a function of the table is measured: its double result against its exact value at the
same double arguments (mpmath, :data:`CHECK_BITS` bits), so libm's error and the table's own composite
evaluators are counted as they are.
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction

UNIT = 2.0 ** -53
"""The unit roundoff of doubles: a correctly rounded operation is off by at most UNIT·|result|."""

CHECK_BITS = 80
"""Precision at which a function's double result is measured against its exact value."""


def round_up(exact) -> float:
    """A non-negative exact number (Fraction, mpf) as the nearest double at or above it (a bound that
    underflows to 0 must not say 0)."""
    near = float(exact)
    return math.nextafter(near, math.inf) if near < exact else near


def operation_error(op, a: float, b: float, r: float) -> float:
    """``|r − a op b|`` exactly, as the nearest double at or above it: the operation's own rounding, 0 where
    it is exact (Knuth's TwoSum for + and −, Dekker's TwoProduct for * and /, rational arithmetic where
    those could overflow or underflow)."""
    if not math.isfinite(r):
        return math.inf
    if math.isinf(a) or math.isinf(b):  # a finite result of an infinite operand: a finite number over ±inf,
        return 0.0                       # ±0 exactly (the operand's own bound, infinite, says the rest)
    if op is operator.add or op is operator.sub:
        b = b if op is operator.add else -b
        back = r - a
        return abs((a - (r - back)) + (b - back))
    if _SAFE_BELOW < abs(r) < _SAFE_ABOVE and _SAFE_BELOW < abs(a) < _SAFE_ABOVE:  # then |b| < 2^900
        if op is operator.mul:
            return abs(_product_error(a, b, r))
        p = r * b  # a/b: the residual a − r·b is exact, and the quotient's error is |residual| / |b|
        return _quotient_up(abs((a - p) - _product_error(r, b, p)), abs(b))
    return round_up(abs(op(Fraction(a), Fraction(b)) - Fraction(r)))


_SAFE_ABOVE, _SAFE_BELOW = 2.0 ** 500, 2.0 ** -400  # Dekker's product is exact where r and a are between
# these, and so b below 2^900 (no overflow in the split of a, b or r; no underflow in the error terms, about
# 2^-106 of r·b: of a, for a quotient, which a subnormal dividend would leave below 2^-1074)


def _quotient_up(n: float, d: float) -> float:
    """``n / d`` for ``n ≥ 0``, ``d > 0`` rounded up to a double: the quotient rounded to nearest, and the
    next double where that is below (``q·d < n``, told exactly by Dekker's product)."""
    q = n / d
    p = q * d
    return math.nextafter(q, math.inf) if (p - n) + _product_error(q, d, p) < 0 else q


def _split(a: float) -> tuple[float, float]:
    c = 134217729.0 * a  # 2^27 + 1: Veltkamp's split into two 26-bit halves
    high = c - (c - a)
    return high, a - high


def _product_error(a: float, b: float, r: float) -> float:
    """``a·b − r`` exactly for ``r`` = fl(a·b) (Dekker's TwoProduct)."""
    ah, al = _split(a)
    bh, bl = _split(b)
    return ((ah * bh - r) + ah * bl + al * bh) + al * bl


EXACTLY_KNOWN = {operator.add, operator.sub, operator.mul, operator.truediv}
"""Evaluators that are one IEEE operation, whose rounding :func:`operation_error` knows exactly (no
mpmath)."""


_CONTEXT = None


def _exact(primitive, values: list) -> object:
    global _CONTEXT
    if _CONTEXT is None:
        import mpmath

        _CONTEXT = mpmath.MPContext()
        _CONTEXT.prec = CHECK_BITS
    m = _CONTEXT
    return primitive.mp(m, *(m.mpf(v) for v in values))


def own_rounding(primitive, values: list, result: float) -> float:
    """``|result − exact|`` for ``result`` = the primitive's double at the double ``values``, measured, plus
    what the measurement itself may miss (2^-CHECK_BITS·|result|); exact for one IEEE operation.  A
    measurement is kept (:data:`_MEASURED`): the estimates of every method at a point measure the same
    nodes of f at the same doubles."""
    if primitive.real in EXACTLY_KNOWN:
        return operation_error(primitive.real, *values, result)
    if primitive.real is operator.neg:
        return 0.0
    key = (id(primitive), *values) if all(values) else None  # ±0 are equal keys: not kept
    found = _MEASURED.get(key)
    if found is not None and found[0] == result:
        return found[1]
    try:
        exact = _exact(primitive, values)
        measured = round_up(abs(exact - result)) + 2.0 ** -CHECK_BITS * abs(result)
    except (ArithmeticError, ValueError, TypeError):
        measured = 2 * UNIT * abs(result)  # mpmath has no real value here: one ulp
    if key is not None:
        if len(_MEASURED) >= _MEASURED_KEPT:
            _MEASURED.clear()
        _MEASURED[key] = (result, measured)
    return measured


_MEASURED: dict = {}
"""``(id of the entry, *arguments) → (result, its measured rounding)`` of the table functions measured
lately."""

_MEASURED_KEPT = 4096
