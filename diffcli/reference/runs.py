"""What every reference shares: its working precisions, repeated runs and their agreement.

A reference (:func:`diffcli.reference.reference`, :func:`diffcli.reference.partials.reference_partials`)
computes its quantities twice, at two working precisions, and keeps the digits on which the two runs agree;
:func:`settle` repeats a pair with more digits while cancellation (:mod:`.cancellation`) says a run lost
more than its slack.
"""

from __future__ import annotations

import math
import threading

from diffcli.core.bounds import Bound
from diffcli.core.graph import Graph
from diffcli.reference.cancellation import Loss, sensitivities

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


def settle(runs, low: int, high: int, extra: int):
    """The two runs, repeated with more working digits (``extra``) until neither lost more to cancellation
    than its slack, or :data:`MAX_EXTRA_DIGITS` is reached."""
    while True:
        first, second = runs(low, high, extra)
        loss = Loss()
        for run in (first, second):
            for each in run.losses.values():
                loss = loss.worse(each)
        if loss.unresolved:
            # Nothing says how much was lost: jump by the spread of the magnitudes met, at least doubling
            # (a spread past any precision, as 0**(1e1500) beside 1 in a complex step, is inf: capped).
            wanted = max(2 * extra, extra + 16, math.ceil(min(loss.spread, MAX_EXTRA_DIGITS)) + SLACK_DIGITS)
        elif loss.digits > extra + SLACK_DIGITS:
            wanted = math.ceil(loss.digits) + SLACK_DIGITS
        else:
            return first, second, extra
        if extra >= MAX_EXTRA_DIGITS:
            return first, second, extra
        extra = min(MAX_EXTRA_DIGITS, wanted)


def unknown_losses(losses: dict, working: int) -> dict:
    """The quantities (``"value"`` or variable names) of which no digit is known: → their :class:`Loss`.
    Only one with ``Loss.zero`` (computed within its bound of 0) may be shown as 0 within that bound; the
    others are refused (:func:`~diffcli.reference.notes.refuse_unknown`), never shown as 0."""
    return {q: loss for q, loss in losses.items() if loss.unresolved or loss.digits >= working - 1}


def agreeing_digits(m, a, b, enough: int | None = None) -> int:
    """How many significant decimal digits two approximations share (capped at 10,000; 0 if one is 0).

    With ``enough``, a pair whose difference is plainly below ``10^-enough`` of ``|b|`` by the numbers'
    binary magnitudes returns ``enough`` without a logarithm (callers that ask only whether ``enough``
    digits agree: a large gradient compares thousands of pairs)."""
    difference = abs(a - b)
    if not difference:
        return 10_000
    if not a or not b:
        return 0
    # |d| < 2^mag(d) and |b| >= 2^(mag(b) - 1), so |d|/|b| < 2^(mag(d) - mag(b) + 1) <= 10^-enough.
    if enough is not None and m.mag(b) - m.mag(difference) - 1 >= enough * _BITS_PER_DIGIT:
        return enough
    return max(0, int(m.floor(-m.log10(difference / abs(b)))))


def largest(numbers: list, default):
    """``max(|n| for n in numbers)``, ``default`` if there are none, read off mpmath's raw
    ``(sign, mantissa, exponent, bitcount)`` tuples: ``2^(mag - 1) <= |n| < 2^mag`` with ``mag = exponent +
    bitcount`` (as ``m.mag``), so only the numbers of the largest ``mag`` are candidates, and among them
    ``|n| = mantissa·2^(mag - bitcount)`` orders as the mantissas shifted to a common width (a big sum's
    adjoints are mostly 1: thousands of candidates, compared as integers instead of mpf)."""
    if not numbers:
        return default
    try:
        parts = [n._mpf_ for n in numbers]
    except AttributeError:  # not all mpf: compared as they are
        return max(abs(n) for n in numbers)
    top = None
    for _, mantissa, exponent, bits in parts:
        if mantissa:
            if top is None or exponent + bits > top:
                top = exponent + bits
        elif bits:  # inf or nan
            return max(abs(n) for n in numbers)
    if top is None:  # all 0
        return abs(numbers[0])
    candidates = [(mantissa, bits, k) for k, (_, mantissa, exponent, bits) in enumerate(parts)
                  if mantissa and exponent + bits == top]
    width = max(bits for _, bits, _ in candidates)
    return abs(numbers[max(candidates, key=lambda c: c[0] << (width - c[1]))[2]])


def agree(m, a, b, digits: int, scale) -> bool:
    tolerance = m.mpf(10) ** (-digits)
    return abs(a - b) <= tolerance * max(abs(b), tolerance * scale)


_BITS_PER_DIGIT = math.log2(10)

CONTEXTS_KEPT = 16
"""Private mpmath contexts kept for reuse, per thread (a file of lines asks for the same few precisions)."""

_contexts = threading.local()


def private_context(mpmath, dps: int):
    """A private mpmath context working at ``dps`` digits, reused: building one costs about 200 µs (its
    thousands of function wrappers), several times a reference of a small expression.

    A context holds nothing of a computation but its precision, so one is shared by every run at the same
    ``dps`` in this thread (a Dask worker's threads each keep their own, as ``workprec`` changes it for a
    while).  Callers never set its precision: they ask for a context at the one they need.  The
    :data:`CONTEXTS_KEPT` most recently used are kept.
    """
    kept = getattr(_contexts, "by_dps", None)
    if kept is None:
        kept = _contexts.by_dps = {}
    m = kept.pop((mpmath, dps), None)
    if m is None or m.dps != dps:
        m = mpmath.MPContext()
        m.dps = dps
        while len(kept) >= CONTEXTS_KEPT:
            del kept[next(iter(kept))]
    kept[(mpmath, dps)] = m  # last in the dict: the most recently used
    return m


def exact_values(point: dict, names: list) -> dict:
    """``{name: the double point[name] as mpmath's raw value}``, exactly (a double has 53 bits), made once
    for every context: ``m.mpf(float)`` costs a few microseconds, times 18,000 variables, times every run
    (:func:`at_point` makes each run's numbers from these)."""
    from mpmath.libmp import from_float
    return {name: from_float(float(point[name])) for name in names}


def at_point(m, exact: dict) -> dict:
    """The point of :func:`exact_values` as mpmath numbers of the context ``m``."""
    make = m.make_mpf
    return {name: make(value) for name, value in exact.items()}


def lazy_sensitivities(m, graph: Graph, values: list):
    """A callable giving the adjoints of every node, computed on the first call only (most runs never ask)."""
    cache = []

    def weights():
        if not cache:
            cache.append(sensitivities(m, graph, values))
        return cache[0]
    return weights


def decimal(m, number, digits: int) -> str:
    return m.nstr(number, digits, min_fixed=-5, max_fixed=25) if number else "0"


ROUNDING_MARGIN_BITS = 20
"""Bits kept beyond the digits asked for when a result is rounded (:func:`rounded`): the last digit shown
changes only for a number within 2^-20 of a digit's half-way point."""


def rounded_all(m, numbers: dict, digits: int) -> dict:
    """:func:`rounded` of every value of ``numbers`` (None stays None), under one change of precision (a
    gradient of 18,000 partials entered the context's ``workprec`` 18,000 times)."""
    with m.workprec(math.ceil(digits * math.log2(10)) + ROUNDING_MARGIN_BITS):
        return {key: None if number is None else +number for key, number in numbers.items()}


def rounded(m, number, digits: int):
    """``number`` rounded to the bits of ``digits`` decimal digits and :data:`ROUNDING_MARGIN_BITS` more.
    A run carries residues far below the digits it vouches for (the complex step's h², rounding at the
    working precision): ∂(x*z + x**3)/∂x at 2 came out as 15 + 3e-80, so the float 15.0 had a relative
    error of 2.2e-81 against it.  Rounded, the reference is 15 exactly, and a method's error is measured
    against what the reference knows.

    >>> import mpmath
    >>> m = mpmath.MPContext(); m.prec = 300
    >>> rounded(m, m.mpf(15) + m.mpf(10) ** -80, 50) == 15, rounded(m, m.pi, 50) == m.pi
    (True, False)
    >>> abs(rounded(m, m.pi, 50) - m.pi) < m.mpf(10) ** -55
    True
    """
    if number is None:
        return None
    with m.workprec(math.ceil(digits * math.log2(10)) + ROUNDING_MARGIN_BITS):
        return +number
