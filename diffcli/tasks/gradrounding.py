"""The rounding a gradient carries in its own dtype, for ``gradcheck`` (see :mod:`diffcli.tasks.gradcheck`).

A float32 gradient is compared with the same code's gradient at the float64 copy of the point (that
difference *is* its rounding); a float64 one with its float32 twin scaled by eps64/eps32 (the same
cancellations at float64's precision).  Code that computes in one dtype whatever it is given has no twin:
its rounding is how far its gradient moves when every coordinate moves by one ulp (:func:`jitter`), and
since it also rounds its own data, which no call from outside moves, a failure within the rounding of
terms of f's size is undecided (:func:`within_terms`).
"""

from __future__ import annotations

import warnings

from diffcli.core.errors import UsageError
from diffcli.core.lazy import LazyNumpy
from diffcli.tasks.usercode import value_and_gradient

np = LazyNumpy(globals())

GRADIENT_ULPS = 16
"""Units in the last place of |g_i| (in the gradient's dtype) always allowed for its rounding."""
JITTER_CALLS = 4
"""Calls of the gradient a few ulps away, for its rounding when it has no twin in the other dtype."""


def rounding(f, grad, inputs, x, g, g_dtype: str, names: tuple, where: str):
    """The rounding error the gradient may carry in its dtype, per coordinate (see the module docstring),
    and whether the gradient code has no twin in the other dtype (it computes in one dtype)."""
    eps = float(np.finfo(g_dtype).eps)
    base = GRADIENT_ULPS * eps * np.abs(g)
    other = "float64" if g_dtype == "float32" else "float32"
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            _, twin, twin_dtype = value_and_gradient(f, grad, inputs, x, other, names, where)
    except UsageError:
        twin_dtype = g_dtype  # the function works in its own dtype only
    if twin_dtype == g_dtype:  # no twin in the other dtype: how much the gradient moves a few ulps away
        return base + jitter(f, grad, inputs, x, g, eps, names, where), True
    difference = np.abs(g - twin)
    if g_dtype == "float64":
        difference = difference * (eps / float(np.finfo("float32").eps))
    return base + difference, False


def within_terms(rows: list, value: float, x, g_dtype: str) -> None:
    """Gradient code that computes in one dtype whatever it is given also rounds its own data, which no
    call from outside can move: a failure smaller than eps·|f|/max|x| (the rounding of terms of f's size,
    per unit of the inputs' size) is undecided, not failed."""
    eps = float(np.finfo(g_dtype).eps)
    terms = eps * abs(value) / max(float(np.max(np.abs(x))), eps)
    for row in rows:
        if row["status"] == "fail" and row["difference"] <= terms:
            row["status"] = "undecided"
            row["reason"] = (f"the gradient code computes in {g_dtype} whatever it is given, so it rounds "
                             f"its own data too; a difference of {row['difference']:.2g} is within what that "
                             f"can make ({terms:.2g}): let it follow its input's dtype to check it closer")


def jitter(f, grad, inputs, x, g, eps: float, names: tuple, where: str):
    """The largest change of the gradient over :data:`JITTER_CALLS` points whose every coordinate is moved
    by one unit in the last place of the gradient's dtype (seeded): its rounding, for gradient code that
    computes in one dtype whatever it is given (cancellations included; the move of the point itself is
    the size of the rounding of its input in that dtype)."""
    rng = np.random.default_rng(0)
    largest = np.zeros_like(g)
    for _ in range(JITTER_CALLS):
        moved = x * (1 + eps * rng.choice((-1.0, 1.0), size=x.size))
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                _, near, _ = value_and_gradient(f, grad, inputs, moved, inputs.dtype, names, where)
        except UsageError:
            continue
        np.fmax(largest, np.abs(near - g), out=largest)
    return largest
