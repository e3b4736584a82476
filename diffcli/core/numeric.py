"""The numerically careful evaluators the primitive table (:mod:`diffcli.core.primitives`) is made of:
float, complex, mpmath and numpy versions of the functions whose library form is missing, loses digits, or
leaves the real function's branch.  Each is named in one table entry; nothing else calls them.
"""

from __future__ import annotations

import cmath
import math
import operator

from diffcli.core.lazy import LazyNumpy

np = LazyNumpy()  # imported when an array evaluator is first called

# ---------------------------------------------------------------- float helpers (numerically careful)

def cbrt(x: float) -> float:
    """The real cube root, correctly rounded: the double nearest to the exact root, for every double.

    ``a ** (1/3)`` alone is off by |ln a|·(1/3 − the double 1/3) relative, 1.3e-14 at 1e±300 (58 units in
    the last place); a Newton step's y³ underflows for a subnormal a and overflows near the largest double,
    and with y³ rounded it still missed the nearest double for one argument in ten (0.93 units off).  So a
    is first scaled by 2^-3k into [1/8, 1) (exactly: a power of two), where the power y is within 1.5 units
    of the root t (libm's pow within a unit, and the double 1/3 adds |ln a|·2^-54/3, at most 0.35 units;
    0.67 measured on 100,000 arguments), so the nearest double to t is y or a neighbour: the exact cube of
    the midpoint between y and its neighbour above (else below) is compared with a, in integers, and t
    beyond it takes that neighbour.  A midpoint is never t (its odd 54-bit significand cubed has more than
    53 bits): no ties.  The root is scaled back by 2^k, exactly, since a cube root is never subnormal.

    >>> cbrt(1e-300), cbrt(-27.0), cbrt(1e300), cbrt(-0.0)
    (1e-100, -3.0, 1e+100, -0.0)
    >>> cbrt(-2.0 ** -1068) == -2.0 ** -356, cbrt(2.0 ** 1023) == 2.0 ** 341  # subnormal; near the largest
    (True, True)
    """
    if not x or not math.isfinite(x):
        return x  # ±0, ±inf and nan are their own cube roots
    k = -(-math.frexp(x)[1] // 3)  # a = |x|·2^-3k in [1/8, 1): frexp's exponent e has |x| in [2^(e-1), 2^e)
    a = math.ldexp(abs(x), -3 * k)
    # In units of 2^-162 all are integers: y = root·2^-53 (y in [1/2, 1], where doubles are 2^-53 apart;
    # the denser ones below 1/2 are never the root), the midpoints beside it, (2·root ± 1)·2^-54, cubed,
    # and a = (a·2^56)·2^-56, as a ≥ 1/8 has no bit below 2^-55.  With fl(1/3) < 1/3 and a < 1, a ** fl(1/3)
    # is at or above ∛a, and glibc's pow within about half a unit of it: only a less exact pow needs the
    # step up.  (One function, using only math: diff's Python printer copies its source.)
    root = int(math.pow(a, 1.0 / 3.0) * 9007199254740992.0)  # 2^53
    scaled = int(a * 72057594037927936.0) << 106  # a·2^56, then 2^106 more: a·2^162
    above = 2 * root + 1
    if above * above * above < scaled:  # products: ** 3 on ints takes a third longer
        root += 1
    else:
        below = above - 2
        if below * below * below > scaled:
            root -= 1
    return math.copysign(math.ldexp(root, k - 53), x)


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    t = math.exp(x)
    return t / (1.0 + t)


def softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def real_pow(x: float, y: float) -> float:
    if x == 0.0 and y <= 0:
        # 0**0 too: 0**y jumps from 0 (y > 0) to 1, so x**y is undefined there (a constant exponent 0 is
        # another function, 1 everywhere: power)
        raise ZeroDivisionError("0 to a negative power") if y < 0 else ValueError("0 to the power 0")
    return math.pow(x, y)


def constant_power(x: float, y: float) -> float:
    if x == 0.0 and y < 0:
        raise ZeroDivisionError("0 to a negative power")
    return math.pow(x, y)


def relu(x: float) -> float:
    return x if x > 0 else 0.0


def sign(x: float) -> float:
    return 1.0 if x >= 0 else -1.0


def step(x: float) -> float:
    return 1.0 if x >= 0 else 0.0


def is_integer(y) -> bool:
    return int(y) == y


# ---------------------------------------------------------------- complex helpers (analytic continuations)

def ccbrt(z: complex) -> complex:
    """The cube root on the real function's branch (real for real z).  Off the imaginary axis it is
    cbrt(Re z)·(z / Re z)^(1/3): the power of a number near 1 (a complex step's x + ih) keeps the real
    root's accuracy, where z ** (1/3) alone loses |ln|z||·2^-54 relative.

    >>> ccbrt(complex(1e-300, 1e-320)).real, ccbrt(complex(-8.0)).real
    (1e-100, -2.0)
    """
    if z.real:
        return cbrt(z.real) * (z / z.real) ** (1.0 / 3.0)
    return z ** (1.0 / 3.0)  # on the imaginary axis (Re z is 0 or -0.0): the principal root


def clog1p(z: complex) -> complex:
    a, b = z.real, z.imag
    return complex(0.5 * math.log1p(a * (2.0 + a) + b * b), math.atan2(b, 1.0 + a))


def cexpm1(z: complex) -> complex:
    a, b = z.real, z.imag
    return complex(math.expm1(a) * math.cos(b) - 2.0 * math.sin(b / 2.0) ** 2, math.exp(a) * math.sin(b))


def catan2(y: complex, x: complex) -> complex:
    if abs(x.real) >= abs(y.real):
        base = cmath.atan(y / x)
        if x.real < 0:
            base += math.pi if y.real >= 0 else -math.pi
        return base
    return (math.pi / 2 if y.real > 0 else -math.pi / 2) - cmath.atan(x / y)


def csoftplus(z: complex) -> complex:
    return z + clog1p(cmath.exp(-z)) if z.real > 0 else clog1p(cmath.exp(z))


def csigmoid(z: complex) -> complex:
    return 1.0 / (1.0 + cmath.exp(-z)) if z.real >= 0 else cmath.exp(z) / (1.0 + cmath.exp(z))


def cpick(condition: bool, a: complex, b: complex) -> complex:
    return a if condition else b


# ---------------------------------------------------------------- mpmath helpers
# The mp evaluators also accept mpc arguments near the real line and then compute the analytic continuation
# of the real function (as the complex evaluators do): the reference differentiates by a complex step.

def mp_cbrt(m, x):
    return m.cbrt(x) if m.re(x) >= 0 else -m.cbrt(-x)


def mp_atan2(m, y, x):
    if not x and not y:
        return m.zero
    if not m.re(x) and not m.re(y):  # a step off the origin: atan2 jumps there, it has no continuation
        return m.nan
    if abs(m.re(x)) >= abs(m.re(y)):
        base = m.atan(y / x)
        if m.re(x) < 0:
            base += m.pi if m.re(y) >= 0 else -m.pi
        return base
    return (m.pi / 2 if m.re(y) > 0 else -m.pi / 2) - m.atan(x / y)


def mp_pow(m, x, y):
    # 0**y is 0 for every y with a positive real part, complex y too (mpmath's power gives nan there): the
    # continuation the complex step in y needs (0.0**y is 0 for y > 0, so its slope in y is 0)
    if not x and m.re(y) > 0:
        return m.zero * y
    return m.power(x, y)


# ---------------------------------------------------------------- numpy helpers

def np_sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def np_pow(x, y):
    # x**2 is the commonest power in generated models; np.square is twice as fast as np.power and gives the
    # same correctly rounded x·x
    return np.square(x) if y.__class__ is float and y == 2.0 else np.power(x, y)


def np_sign(x):
    return np.where(np.asarray(x) >= 0, 1.0, -1.0)


def np_step(x):
    return np.where(np.asarray(x) >= 0, 1.0, 0.0)


def np_cbrt(x):
    if not np.iscomplexobj(x):
        return np.cbrt(x)
    return np.where(np.real(x) >= 0, x ** (1 / 3), -((-x) ** (1 / 3)))


def cpow(x: complex, y: complex) -> complex:
    """x**y for complex numbers, with 0**y = 0 where Re y > 0 (Python raises for a complex exponent): the
    complex step differentiates 0.0**y in y there (the derivative is 0, as f is 0 for every y > 0).

    A base left of the imaginary axis to a real integer power n is (−1)^n·(−x)^n: Python takes a power
    above 100 as exp(n·log x), whose angle n·arg x ≈ n·π loses n·π·2^-53 (3.5e-10 at n = 10^6), so that
    (−x − ih)^n, the complex step of (−x)**z at z = 1000001, had an imaginary part of 7.6e-6 where h·f'
    is 2.2e-10; (−x)'s angle is h/x, small, and n times it keeps its digits.  At n up to 100 Python
    multiplies, and negating the base changes only the signs: the same bits either way.

    >>> cpow(complex(-1.00001, -1e-20), complex(1000001, 0)).imag
    -2.202538653319875e-10
    """
    if x == 0 and y.real > 0:
        return 0j
    if x.real < 0 and y.imag == 0 and y.real.is_integer():
        power = operator.pow(-x, y)
        return -power if y.real % 2 else power
    return operator.pow(x, y)
