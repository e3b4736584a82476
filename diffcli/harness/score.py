"""Scoring: the one relative-error function every task measures a method with."""

from __future__ import annotations


def errors(m, estimate, truth) -> tuple[float, float]:
    """``(|estimate − truth|, relative error)`` in the reference's mpmath context ``m``; the relative error
    is ``|estimate − truth| / |truth|``, or the absolute error where the truth is exactly 0.

    >>> import mpmath
    >>> errors(mpmath.mp, 1.5, mpmath.mpf(2))
    (0.5, 0.25)
    >>> errors(mpmath.mp, 1e-3, mpmath.mpf(0))
    (0.001, 0.001)
    """
    difference = abs(m.mpf(estimate) - truth)
    return float(difference), float(difference / abs(truth)) if truth else float(difference)


def relative_error(m, estimate, truth) -> float:
    """The relative error of :func:`errors` alone."""
    return errors(m, estimate, truth)[1]
