"""Scoring: the one relative-error function every task measures a method with."""

from __future__ import annotations


def errors(m, estimate, truth) -> tuple[float | None, float | None]:
    """``(|estimate − truth|, relative error)`` in the reference's mpmath context ``m``; the relative error
    is ``|estimate − truth| / |truth|``, or the absolute error where the truth is exactly 0.  Where either
    side has no value (a partial the method or the reference found undefined), there is no error to
    measure: ``(None, None)``.

    >>> import mpmath
    >>> errors(mpmath.mp, 1.5, mpmath.mpf(2))
    (0.5, 0.25)
    >>> errors(mpmath.mp, 1e-3, mpmath.mpf(0))
    (0.001, 0.001)
    >>> errors(mpmath.mp, None, mpmath.mpf(2)), errors(mpmath.mp, 1.5, None)
    ((None, None), (None, None))
    """
    if estimate is None or truth is None:
        return None, None
    difference = abs(m.mpf(estimate) - truth)
    return float(difference), float(difference / abs(truth)) if truth else float(difference)


def relative_error(m, estimate, truth) -> float | None:
    """The relative error of :func:`errors` alone (None where either side has no value)."""
    return errors(m, estimate, truth)[1]
