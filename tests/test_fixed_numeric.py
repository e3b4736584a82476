"""Fixed cases for the primitive table and its numerics (``core/primitives.py``, ``core/numeric.py``,
``core/domains.py``, ``core/algebra.py``), each at chosen points against values from outside the code.

Every evaluator of every entry (float, numpy, complex, mpmath) is compared with the function computed by
mpmath directly; every partial rule, and the complex step through the complex and mpmath evaluators, with
the derivative written from calculus; every domain and kink at its boundary, just inside and just outside;
every algebraic simplification with the expression it must give; every message with its exact words.
tools/mutate.py runs this file first against those modules' mutants, so it is kept to about a second: no
reference, no command line.
"""

import math
import re

import mpmath
import numpy as np
import pytest

from diffcli.core import numeric
from diffcli.core.algebra import FLOATS, FloatAlgebra, Functions, GraphAlgebra, MpAlgebra, Ref
from diffcli.core.domains import NOT_REAL, OUTSIDE, OVERFLOW, Words, condition, failure, number_words, shorten
from diffcli.core.errors import ParseError
from diffcli.core.graph import Graph
from diffcli.core.parse import parse
from diffcli.core.primitives import PRIMITIVES, everywhere
from diffcli.core.printing import to_text

M = mpmath.MPContext()
M.dps = 40
H = 1e-30  # the complex step: Im f(x + iH)/H is f'(x) to every digit where f is analytic
TINY = 5e-324  # the smallest positive double


def below(v: float) -> float:
    return math.nextafter(v, -math.inf)


def above(v: float) -> float:
    return math.nextafter(v, math.inf)


def _atan2(y, x):
    return M.atan2(y, x)


# ---------------------------------------------------------------- the functions, from mpmath directly

# Each entry's function of real arguments, written with mpmath's own functions (not the table's mp forms).
FUNCTION = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y, "neg": lambda x: -x, "pow": lambda x, y: M.power(x, y),
    "exp": M.exp, "log": M.log, "log2": lambda x: M.log(x) / M.log(2),
    "log10": lambda x: M.log(x) / M.log(10),
    "log1p": lambda x: M.log(1 + x), "expm1": lambda x: M.exp(x) - 1, "sqrt": M.sqrt,
    "cbrt": lambda x: M.sign(x) * M.root(abs(x), 3),
    "sin": M.sin, "cos": M.cos, "tan": M.tan, "asin": M.asin, "acos": M.acos, "atan": M.atan,
    "atan2": _atan2, "sinh": M.sinh, "cosh": M.cosh, "tanh": M.tanh, "asinh": M.asinh, "acosh": M.acosh,
    "atanh": M.atanh, "sigmoid": lambda x: 1 / (1 + M.exp(-x)), "softplus": lambda x: M.log(1 + M.exp(x)),
    "abs": abs, "relu": lambda x: max(x, 0), "min": min, "max": max,
    "sign": lambda x: 1 if x >= 0 else -1, "step": lambda x: 1 if x >= 0 else 0,
    "hypot": lambda x, y: M.sqrt(x * x + y * y),
}

# The partial derivatives, from calculus (per argument).
DERIVATIVE = {
    "add": (lambda x, y: 1, lambda x, y: 1), "sub": (lambda x, y: 1, lambda x, y: -1),
    "mul": (lambda x, y: y, lambda x, y: x), "div": (lambda x, y: 1 / y, lambda x, y: -x / y ** 2),
    "neg": (lambda x: -1,),
    "pow": (lambda x, y: y * M.power(x, y - 1), lambda x, y: M.power(x, y) * M.log(x)),
    "exp": (M.exp,), "log": (lambda x: 1 / x,), "log2": (lambda x: 1 / (x * M.log(2)),),
    "log10": (lambda x: 1 / (x * M.log(10)),), "log1p": (lambda x: 1 / (1 + x),), "expm1": (M.exp,),
    "sqrt": (lambda x: 1 / (2 * M.sqrt(x)),), "cbrt": (lambda x: M.root(abs(x), 3) / (3 * abs(x)),),
    "sin": (M.cos,), "cos": (lambda x: -M.sin(x),), "tan": (lambda x: M.sec(x) ** 2,),
    "asin": (lambda x: 1 / M.sqrt(1 - x * x),), "acos": (lambda x: -1 / M.sqrt(1 - x * x),),
    "atan": (lambda x: 1 / (1 + x * x),),
    "atan2": (lambda y, x: x / (x * x + y * y), lambda y, x: -y / (x * x + y * y)),
    "sinh": (M.cosh,), "cosh": (M.sinh,), "tanh": (lambda x: M.sech(x) ** 2,),
    "asinh": (lambda x: 1 / M.sqrt(x * x + 1),), "acosh": (lambda x: 1 / M.sqrt(x * x - 1),),
    "atanh": (lambda x: 1 / (1 - x * x),),
    "sigmoid": (lambda x: M.exp(-x) / (1 + M.exp(-x)) ** 2,), "softplus": (lambda x: 1 / (1 + M.exp(-x)),),
    "abs": (lambda x: M.sign(x),), "relu": (lambda x: 1 if x > 0 else 0,),
    "min": (lambda x, y: 1 if x < y else 0, lambda x, y: 1 if y < x else 0),
    "max": (lambda x, y: 1 if x > y else 0, lambda x, y: 1 if y > x else 0),
    "sign": (lambda x: 0,), "step": (lambda x: 0,),
    "hypot": (lambda x, y: x / M.sqrt(x * x + y * y), lambda x, y: y / M.sqrt(x * x + y * y)),
}

ANYWHERE = (-2.5, -0.3, 0.4, 1.7)
POSITIVE = (0.4, 1.7, 3.1)
UNIT = (-0.7, 0.4)
PAIRS = ((1.5, 2.0), (-2.5, 0.75), (0.4, -1.7))
# Points inside each domain, away from kinks, on both sides of every branch an evaluator takes.
POINTS = {
    "add": PAIRS, "sub": PAIRS, "mul": PAIRS, "div": PAIRS, "neg": ANYWHERE,
    "pow": ((1.7, 2.5), (0.4, -1.3), (-2.5, 3.0), (-2.5, -2.0), (3.0, 0.5)),
    "exp": ANYWHERE, "log": POSITIVE, "log2": POSITIVE, "log10": POSITIVE, "log1p": (-0.7, 0.4, 3.1),
    "expm1": ANYWHERE, "sqrt": POSITIVE, "cbrt": (-8.0, -2.5, 0.4, 27.0),
    "sin": ANYWHERE, "cos": ANYWHERE, "tan": (-0.3, 1.2), "asin": UNIT, "acos": UNIT, "atan": ANYWHERE,
    # every octant of the plane, and the axes, for atan2(y, x): each of its branches
    "atan2": ((1.0, 2.0), (2.0, 1.0), (2.0, -1.0), (1.0, -2.0), (-1.0, -2.0), (-2.0, -1.0), (-2.0, 1.0),
              (-1.0, 2.0), (0.0, 1.0), (0.0, -1.0), (1.0, 0.0), (-1.0, 0.0), (1.0, 1.0), (-1.0, -1.0),
              (0.25, 0.5), (-0.25, 0.5)),
    "sinh": ANYWHERE, "cosh": ANYWHERE, "tanh": ANYWHERE, "asinh": ANYWHERE, "acosh": (1.7, 3.1),
    "atanh": UNIT, "sigmoid": (-40.0, -0.3, 0.4, 40.0), "softplus": (-40.0, -0.3, 0.4, 40.0),
    "abs": (-2.5, 0.4), "relu": (-2.5, 0.4), "min": ((1.0, 2.0), (2.0, 1.0), (-1.0, -3.0)),
    "max": ((1.0, 2.0), (2.0, 1.0), (-1.0, -3.0)), "sign": (-2.5, 0.4), "step": (-2.5, 0.4),
    "hypot": ((3.0, 4.0), (-3.0, 4.0), (0.4, -1.7)),
}

CASES = [(name, point if isinstance(point, tuple) else (point,)) for name, points in POINTS.items()
         for point in points]


def partials(name, point) -> range:
    """The arguments f has a derivative in: x**y for x < 0 is defined only at integers y, so not in y."""
    return range(1 if name == "pow" and point[0] < 0 else len(point))


def close(value, truth, rel=1e-14) -> bool:
    return abs(value - truth) <= rel * abs(truth) or value == truth


def test_every_entry_is_here():
    assert set(POINTS) == set(PRIMITIVES) == set(FUNCTION) == set(DERIVATIVE)
    for name, entry in PRIMITIVES.items():
        assert entry.arity == len(DERIVATIVE[name]) == len(entry.partials), name


def test_a_call_takes_as_many_arguments_as_the_entry():
    assert to_text(parse("pow(x, 3)"), parse("pow(x, 3)").output) == "x**3"
    for text, message in (("pow(x, 3, 4)", "pow takes 2 arguments, not 3"),
                          ("atan2(x)", "atan2 takes 2 arguments, not 1"),
                          ("sin(x, y)", "sin takes 1 argument")):
        with pytest.raises(ParseError, match=re.escape(message)):
            parse(text)


@pytest.mark.parametrize("name, point", CASES, ids=[f"{n}{p}" for n, p in CASES])
def test_every_evaluator_is_the_function(name, point):
    entry = PRIMITIVES[name]
    truth = float(FUNCTION[name](*(M.mpf(v) for v in point)))
    assert entry.inside(*point)
    # no point is at a kink but atan2's on its branch cut, where every evaluator gives the value above it (π)
    assert not (entry.kink and entry.kink(*point)) or (name, point) == ("atan2", (0.0, -1.0))
    assert close(entry.real(*point), truth)
    assert close(float(entry.array(*(np.array([v]) for v in point))[0]), truth)
    value = entry.complex(*(complex(v) for v in point))
    assert close(value.real, truth) and value.imag == 0.0
    value = entry.mp(M, *(M.mpf(v) for v in point))
    assert close(float(M.re(value)), truth) and M.im(value) == 0


@pytest.mark.parametrize("name, point", CASES, ids=[f"{n}{p}" for n, p in CASES])
def test_every_rule_is_the_derivative(name, point):
    """Each partial rule on floats and on mpmath numbers is the calculus derivative."""
    entry = PRIMITIVES[name]
    y = entry.real(*point)
    args = [M.mpf(v) for v in point]
    for k in partials(name, point):
        rule = entry.partials[k]
        truth = DERIVATIVE[name][k](*args)
        assert close(float(rule(FLOATS, y, *point)), float(truth), rel=1e-13), k
        exact = rule(MpAlgebra(M).functions, FUNCTION[name](*args), *args)
        assert abs(exact - truth) <= M.mpf(10) ** -35 * max(abs(truth), 1), k


@pytest.mark.parametrize("name, point", CASES, ids=[f"{n}{p}" for n, p in CASES])
def test_the_complex_step_through_the_complex_and_mpmath_evaluators(name, point):
    """Im f(x + iH)/H is f'(x) through both continuations (what the complex step and the reference read);
    for the entries that are not holomorphic, away from the kinks, it is the slope of the piece."""
    entry = PRIMITIVES[name]
    for k in partials(name, point):
        truth = float(DERIVATIVE[name][k](*(M.mpf(v) for v in point)))
        z = [complex(v) for v in point]
        z[k] += H * 1j
        assert close(entry.complex(*z).imag / H, truth, rel=1e-12), k
        w = [M.mpf(v) for v in point]
        w[k] = M.mpc(point[k], H)
        assert close(float(M.im(entry.mp(M, *w))) / H, truth, rel=1e-12), k


# ---------------------------------------------------------------- numeric.py at its branches and edges

def test_cube_root_on_both_sides_and_at_zero():
    assert numeric.cbrt(27.0) == 3.0 and numeric.cbrt(-8.0) == -2.0
    assert numeric.cbrt(0.0) == 0.0 and numeric.cbrt(1e-300) == pytest.approx(1e-100, rel=1e-15, abs=0)
    assert numeric.ccbrt(complex(-8.0)) == pytest.approx(-2.0, rel=1e-15, abs=0)
    assert numeric.np_cbrt(np.array([-8.0, 27.0])).tolist() == [-2.0, 3.0]
    assert numeric.np_cbrt(np.array([-8 + 0j, 27 + 0j])) == pytest.approx([-2.0, 3.0], rel=1e-15, abs=0)


@pytest.mark.parametrize("z", [8j, -8j, 1e-30j])
def test_every_continuation_of_the_cube_root_agrees_on_the_imaginary_axis(z):
    """Re z = 0 belongs to the principal branch's side in every evaluator: cbrt(8i) = 2·e^{iπ/6}, the
    same number in the complex, numpy and mpmath forms (they meet there, where the complex step from 0
    lands)."""
    truth = complex(M.cbrt(M.mpc(z)))  # the principal cube root
    assert truth.real > 0
    # z**(1/3) with the double nearest 1/3 is off by |ln z|·2^-54 relative: 1.3e-15 at |z| = 1e-30
    for value in (numeric.ccbrt(z), complex(numeric.np_cbrt(np.array([z]))[0]),
                  complex(numeric.mp_cbrt(M, M.mpc(z)))):
        assert abs(value - truth) <= 1e-14 * abs(truth)


def test_sigmoid_and_softplus_keep_their_digits_far_out():
    # sigmoid(-745) = e^-745/(1 + e^-745), a subnormal near 4.9e-324; 1/(1 + exp(745)) would overflow
    assert numeric.sigmoid(-745.0) == float(1 / (1 + M.exp(745)))
    assert numeric.sigmoid(745.0) == 1.0 and numeric.sigmoid(0.0) == 0.5
    assert numeric.sigmoid(-36.0) == pytest.approx(float(1 / (1 + M.exp(36))), rel=1e-15, abs=0.0)
    assert numeric.softplus(-745.0) == float(M.log1p(M.exp(-745)))
    assert numeric.softplus(710.0) == 710.0  # exp(710) overflows a double; softplus(710) = 710 + 4e-309
    assert numeric.softplus(0.0) == float(M.log(2))
    x = np.array([-745.0, -36.0, 0.0, 36.0, 745.0])
    assert numeric.np_sigmoid(x) == pytest.approx([float(1 / (1 + M.exp(-v))) for v in x], rel=1e-15, abs=0.0)


def test_the_power_of_zero():
    """0**y: 0 for y > 0; undefined for y = 0 (it jumps from 0 to 1 there) and y < 0, each with its
    reason; x**c for a constant c is 1 at 0**0 (the power rule's x**0 = 1)."""
    assert numeric.real_pow(0.0, 2.5) == 0.0 and numeric.real_pow(0.0, TINY) == 0.0
    with pytest.raises(ValueError, match="^0 to the power 0$"):
        numeric.real_pow(0.0, 0.0)
    with pytest.raises(ZeroDivisionError, match="^0 to a negative power$"):
        numeric.real_pow(0.0, -1.0)
    assert numeric.real_pow(2.0, -1.0) == 0.5 and numeric.real_pow(-2.0, 0.0) == 1.0
    assert numeric.constant_power(0.0, 0.0) == 1.0 and numeric.constant_power(0.0, 3.0) == 0.0
    assert numeric.constant_power(2.0, -1.0) == 0.5 and numeric.constant_power(-2.0, 3.0) == -8.0
    with pytest.raises(ZeroDivisionError, match="^0 to a negative power$"):
        numeric.constant_power(0.0, -TINY)
    # the continuations: 0**y is 0 for Re y > 0 (slope 0 in y), and 0**0 is 1 as Python's and mpmath's
    for y in (2.5, 0.5):  # Python's and mpmath's power fail or give nan for 0 to a complex power
        assert numeric.cpow(0j, complex(y, H)) == 0 and numeric.mp_pow(M, M.zero, M.mpc(y, H)) == 0
    assert numeric.cpow(0j, 0j) == 1
    assert numeric.cpow(complex(2.0), complex(3.0)) == 8
    assert numeric.mp_pow(M, M.zero, M.mpc(2.5, H)) == 0 and numeric.mp_pow(M, M.zero, M.zero) == 1
    assert numeric.mp_pow(M, M.mpf(2), M.mpf(3)) == 8
    assert numeric.np_pow(np.array([3.0]), 2.0).tolist() == [9.0]
    assert numeric.np_pow(np.array([2.0]), np.array([3.0])).tolist() == [8.0]
    # the square is only for the float exponent 2.0; any other float, or an array of exponents, is a power
    assert numeric.np_pow(np.array([2.0, -3.0]), 3.0).tolist() == [8.0, -27.0]
    assert numeric.np_pow(np.array([2.0, 2.0]), np.array([2.0, 3.0])).tolist() == [4.0, 8.0]


@pytest.mark.parametrize("y, integer", [(3.0, True), (-2.0, True), (0.0, True), (above(3.0), False),
                                        (0.5, False), (-0.5, False), (1e300, True)])
def test_is_integer(y, integer):
    assert numeric.is_integer(y) is integer


@pytest.mark.parametrize("x, relu, sign, step", [(-1.0, 0.0, -1.0, 0.0), (-TINY, 0.0, -1.0, 0.0),
                                                 (0.0, 0.0, 1.0, 1.0), (TINY, TINY, 1.0, 1.0),
                                                 (2.0, 2.0, 1.0, 1.0)])
def test_the_piecewise_functions_at_and_beside_zero(x, relu, sign, step):
    """relu, sign and step take the right-hand value at 0 (sign(0) = step(0) = 1), in every evaluator."""
    for kind in ("real", "array", "complex", "mp"):
        for name, value in (("relu", relu), ("sign", sign), ("step", step)):
            entry = PRIMITIVES[name]
            if kind == "real":
                got = entry.real(x)
            elif kind == "array":
                got = float(entry.array(np.array([x]))[0])
            elif kind == "complex":
                got = entry.complex(complex(x)).real
            else:
                got = float(entry.mp(M, M.mpf(x)))
            assert got == value, (name, kind)
    # relu(x) = max(x, 0): at x = -0.0 it is the 0 of the max, +0.0 (atan2(relu(x), -1) is then π, not -π)
    assert math.copysign(1.0, PRIMITIVES["relu"].real(-0.0)) == 1.0
    assert math.copysign(1.0, PRIMITIVES["relu"].complex(complex(-0.0)).real) == 1.0


def test_atan2_on_the_negative_real_axis_is_plus_pi():
    """atan2(0, x) = π for x < 0 (the upper side, as math.atan2(0.0, -1.0)), in every evaluator."""
    entry = PRIMITIVES["atan2"]
    assert entry.real(0.0, -1.0) == math.pi
    assert entry.complex(0j, complex(-1.0)).real == math.pi
    assert float(entry.mp(M, M.zero, M.mpf(-1))) == math.pi
    assert entry.complex(complex(-0.5), complex(-1.0)).real == pytest.approx(-math.pi + math.atan(0.5))


def test_atan2_at_the_origin_and_a_step_off_it():
    """atan2(0, 0) is 0 (as math.atan2); a complex step off the origin has no continuation: nan."""
    assert float(numeric.mp_atan2(M, M.zero, M.zero)) == 0.0
    assert M.isnan(numeric.mp_atan2(M, M.mpc(0, H), M.zero))
    assert M.isnan(numeric.mp_atan2(M, M.zero, M.mpc(0, H)))
    with pytest.raises(ZeroDivisionError):  # the complex form has no value there either
        numeric.catan2(complex(0.0, H), 0j)
    assert float(numeric.mp_atan2(M, M.one, M.zero)) == pytest.approx(math.pi / 2, rel=1e-16, abs=0)
    assert float(numeric.mp_atan2(M, M.zero, M.one)) == 0.0


def test_careful_complex_forms_near_zero():
    """log(1 + z) and e^z - 1 for z near 0 keep the digits 1 + z would lose."""
    z = complex(1e-20, 1e-30)
    assert numeric.clog1p(z) == pytest.approx(z, rel=1e-15, abs=0)
    assert numeric.cexpm1(z) == pytest.approx(z, rel=1e-15, abs=0)
    for z in (complex(0.5, 2.0), complex(-0.3, -1.1)):
        assert abs(numeric.clog1p(z) - complex(M.log(1 + M.mpc(z)))) <= 1e-15 * abs(z)
        assert abs(numeric.cexpm1(z) - complex(M.exp(M.mpc(z)) - 1)) <= 1e-15 * abs(z)
    for z in (complex(3.0, 0.5), complex(-3.0, 0.5)):
        assert abs(numeric.csoftplus(z) - complex(M.log(1 + M.exp(M.mpc(z))))) <= 1e-15
        assert abs(numeric.csigmoid(z) - complex(1 / (1 + M.exp(-M.mpc(z))))) <= 1e-15


def test_complex_atan2_far_from_the_axes_off_the_real_line():
    for y, x in ((complex(1.0, 0.1), complex(-2.0, 0.2)), (complex(-3.0, 0.1), complex(1.0, -0.2))):
        assert abs(numeric.catan2(y, x) - complex(-1j * M.log((M.mpc(x) + 1j * M.mpc(y))
                                                             / M.sqrt(M.mpc(x) ** 2 + M.mpc(y) ** 2)))) \
            <= 1e-14


# ---------------------------------------------------------------- domains and kinks at their edges

EDGES = [
    ("div", (1.0, 0.0), False), ("div", (1.0, -0.0), False), ("div", (1.0, TINY), True),
    ("div", (1.0, -TINY), True),
    ("pow", (0.0, 0.0), False), ("pow", (0.0, TINY), True), ("pow", (0.0, -TINY), False),
    ("pow", (0.0, -1.0), False), ("pow", (0.0, 2.0), True), ("pow", (0.5, 0.5), True),
    ("pow", (TINY, -1.0), True), ("pow", (-TINY, 2.0), True), ("pow", (-TINY, 0.5), False),
    ("pow", (-8.0, 3.0), True), ("pow", (-8.0, above(3.0)), False), ("pow", (-8.0, below(3.0)), False),
    ("log", (0.0,), False), ("log", (TINY,), True), ("log", (-TINY,), False),
    ("log2", (0.0,), False), ("log2", (TINY,), True), ("log10", (0.0,), False), ("log10", (TINY,), True),
    ("log1p", (-1.0,), False), ("log1p", (above(-1.0),), True), ("log1p", (below(-1.0),), False),
    ("sqrt", (0.0,), True), ("sqrt", (-TINY,), False), ("sqrt", (TINY,), True),
    ("asin", (1.0,), True), ("asin", (above(1.0),), False), ("asin", (-1.0,), True),
    ("asin", (below(-1.0),), False), ("asin", (0.0,), True),
    ("acos", (1.0,), True), ("acos", (above(1.0),), False), ("acos", (-1.0,), True),
    ("acos", (below(-1.0),), False),
    ("acosh", (1.0,), True), ("acosh", (below(1.0),), False), ("acosh", (above(1.0),), True),
    ("atanh", (1.0,), False), ("atanh", (below(1.0),), True), ("atanh", (-1.0,), False),
    ("atanh", (above(-1.0),), True), ("atanh", (0.0,), True),
]

# pow with a constant exponent (x**c): the power rule's domain, where x**0 is 1 at x = 0
CONSTANT_EDGES = [((0.0, 0.0), True), ((0.0, TINY), True), ((0.0, -TINY), False), ((0.0, -1.0), False),
                  ((0.5, 0.5), True), ((-8.0, 3.0), True),
                  ((-8.0, 0.5), False), ((TINY, -1.0), True), ((-TINY, 0.0), True)]


@pytest.mark.parametrize("name, args, inside", EDGES, ids=[f"{n}{a}" for n, a, _ in EDGES])
def test_inside_at_the_edge(name, args, inside):
    assert PRIMITIVES[name].inside(*args) is inside


@pytest.mark.parametrize("args, inside", CONSTANT_EDGES)
def test_the_constant_exponent_domain_at_its_edge(args, inside):
    _, power = PRIMITIVES["pow"].constant
    assert PRIMITIVES["pow"].constant[0] == 1  # the exponent is the argument that may be a constant
    assert power.inside(*args) is inside
    assert power.domain == "x > 0, or x == 0 and y >= 0, or x < 0 and y an integer"


def test_restricted_and_unrestricted_domains():
    restricted = {"div", "pow", "log", "log2", "log10", "log1p", "sqrt", "asin", "acos", "acosh", "atanh"}
    assert {name for name, p in PRIMITIVES.items() if not everywhere(p)} == restricted
    for name, p in PRIMITIVES.items():
        if name not in restricted:
            assert p.inside(*[-1e300] * p.arity) is True and p.domain == "all real numbers"


KINKS = [("abs", (0.0,), True), ("abs", (TINY,), False), ("abs", (-TINY,), False),
         ("relu", (0.0,), True), ("relu", (-TINY,), False), ("sign", (0.0,), True), ("sign", (TINY,), False),
         ("step", (0.0,), True), ("step", (-TINY,), False),
         ("min", (1.0, 1.0), True), ("min", (1.0, above(1.0)), False), ("max", (2.0, 2.0), True),
         ("max", (below(2.0), 2.0), False)]


@pytest.mark.parametrize("name, args, at_kink", KINKS)
def test_kinks_at_and_beside(name, args, at_kink):
    assert PRIMITIVES[name].kink(*args) is at_kink
    assert not PRIMITIVES[name].holomorphic


def test_the_holomorphic_entries():
    assert {n for n, p in PRIMITIVES.items() if not p.holomorphic} == {"abs", "relu", "min", "max", "sign",
                                                                        "step"}
    # atan2 is holomorphic off its branch cut, where it jumps (a kink: the right derivative is taken there)
    assert {n for n, p in PRIMITIVES.items() if p.kink} == {"abs", "relu", "min", "max", "sign", "step",
                                                             "atan2"}


@pytest.mark.parametrize("name, args, value, slopes", [
    ("abs", (0.0,), 0.0, (1.0,)), ("relu", (0.0,), 0.0, (1.0,)),
    ("min", (1.0, 1.0), 1.0, (0.0, 0.0)), ("max", (1.0, 1.0), 1.0, (1.0, 1.0)),
    ("sign", (0.0,), 1.0, (0.0,)), ("step", (0.0,), 1.0, (0.0,))])
def test_the_right_derivative_at_the_kink(name, args, value, slopes):
    """At the kink, every evaluator takes the right-hand value and every rule the right-hand slope."""
    entry = PRIMITIVES[name]
    assert entry.real(*args) == value
    assert entry.mp(M, *(M.mpf(a) for a in args)) == value
    assert entry.complex(*(complex(a) for a in args)) == value
    assert tuple(float(rule(FLOATS, value, *args)) for rule in entry.partials) == slopes
    # the continuation the complex step from the kink reads: the right-hand piece, slope 1 for abs
    if name == "abs":
        assert entry.complex(complex(0.0, H)).imag / H == 1.0
        assert M.im(entry.mp(M, M.mpc(0, H))) / H == 1


@pytest.mark.parametrize("name, args", [("abs", (0.0,)), ("relu", (0.0,)), ("sign", (0.0,)), ("step", (0.0,)),
                                        ("min", (1.0, 1.0)), ("max", (1.0, 1.0))])
def test_the_complex_and_mpmath_forms_are_one_function_at_the_kink(name, args):
    """A complex step from the kink, either way, lands where the complex and the mpmath form give the same
    number: the complex-step method and the reference see one function."""
    entry = PRIMITIVES[name]
    for k in range(entry.arity):
        for step in (H, -H):
            z = [complex(a) for a in args]
            z[k] += step * 1j
            w = [M.mpf(a) for a in args]
            w[k] = M.mpc(args[k], step)
            assert complex(entry.mp(M, *w)) == entry.complex(*z), (k, step)


def test_the_partials_that_vanish_at_a_constant_zero():
    """∂(0**y)/∂y = 0 for y > 0 and ∂(x**0)/∂x = 0: the table says so (zero_where), where the rules would
    evaluate log(0) and 0**-1."""
    from diffcli.api import gradient

    assert PRIMITIVES["pow"].zero_where == (1, 0)
    assert gradient("0**y", {"y": 2.0}, method="reverse") == {"y": 0.0}
    assert gradient("x**0", {"x": 0.0}, method="reverse") == {"x": 0.0}
    assert all(p.zero_where == () for name, p in PRIMITIVES.items() if name != "pow")


# ---------------------------------------------------------------- simplification (symbolic derivatives)

def _simplified(op, *texts):
    g = Graph()
    nodes = []
    for text in texts:
        if isinstance(text, float):
            nodes.append(g.const(text))
            continue
        sub = parse(text)
        mapping = {}
        for n in range(len(sub)):
            kind = sub.ops[n]
            if kind == "const":
                mapping[n] = g.const(sub.data[n])
            elif kind == "var":
                mapping[n] = g.var(sub.data[n])
            else:
                mapping[n] = g.apply(kind, tuple(mapping[a] for a in sub.arguments[n]))
        nodes.append(mapping[sub.output])
    return to_text(g, g.apply(op, tuple(nodes), simplify=True))


@pytest.mark.parametrize("op, args, text", [
    ("add", (0.0, "x"), "x"), ("add", ("x", 0.0), "x"), ("add", ("x", "x"), "2 * x"),
    ("add", (3.0, "x"), "x + 3"), ("add", ("x", "-y"), "x - y"), ("add", ("-x", "y"), "y - x"),
    ("add", ("x + 1", 2.0), "x + 3"), ("add", ("x + y", 2.0), "x + y + 2"), ("add", ("x", "y"), "x + y"),
    ("add", ("x", 1.0), "x + 1"), ("add", (1.0, "x"), "x + 1"), ("sub", ("x", 1.0), "x - 1"),
    ("mul", ("x", 2.0), "2 * x"), ("mul", (-2.0, "x"), "-2 * x"), ("mul", ("x", -2.0), "-2 * x"),
    ("mul", ("2/y", "x"), "2 / y * x"), ("div", ("x", -2.0), "x / -2"), ("div", (1.0, "x"), "1 / x"),
    ("div", (2.0, "x"), "2 / x"), ("neg", ("-2*x",), "2 * x"),
    ("sub", ("x", 0.0), "x"), ("sub", (0.0, "x"), "-x"), ("sub", ("x", "x"), "0"),
    ("sub", ("x", "-y"), "x + y"), ("sub", ("x", "y"), "x - y"), ("sub", (1.0, "x"), "1 - x"),
    ("mul", (0.0, "x"), "0"), ("mul", ("x", 0.0), "0"), ("mul", (1.0, "x"), "x"), ("mul", ("x", 1.0), "x"),
    ("mul", (-1.0, "x"), "-x"), ("mul", ("x", -1.0), "-x"), ("mul", ("x", 3.0), "3 * x"),
    ("mul", (2.0, "x"), "2 * x"),
    ("mul", ("-x", "y"), "-(x * y)"), ("mul", ("x", "-y"), "-(x * y)"), ("mul", ("x", "2*y"), "2 * (x * y)"),
    ("mul", (3.0, "2*y"), "6 * y"), ("mul", ("2*x", "y"), "2 * (x * y)"), ("mul", ("2*x", 3.0), "6 * x"),
    ("mul", (3.0, "2/y"), "6 / y"), ("mul", ("1/y", "x"), "x / y"), ("mul", ("x", "1/y"), "x / y"),
    ("mul", ("x", "x"), "x**2"), ("mul", ("x", "y"), "x * y"), ("mul", ("x", "2/y"), "x * (2 / y)"),
    ("div", (0.0, "x"), "0"), ("div", ("x", 1.0), "x"), ("div", ("x", -1.0), "-x"), ("div", ("x", "x"), "1"),
    ("div", ("-x", "y"), "-(x / y)"), ("div", ("x", "-y"), "-(x / y)"), ("div", ("x", "y"), "x / y"),
    ("div", ("x", 2.0), "x / 2"),
    ("neg", ("-x",), "x"), ("neg", ("x - y",), "y - x"), ("neg", ("2*x",), "-2 * x"),
    ("neg", ("2/x",), "-2 / x"), ("neg", ("x",), "-x"), ("neg", ("x*y",), "-(x * y)"),
    ("pow", ("x", 1.0), "x"), ("pow", ("x", 0.0), "1"), ("pow", (1.0, "x"), "1"), ("pow", ("x", 2.0), "x**2"),
    ("pow", (2.0, "x"), "2**x"),
])
def test_each_simplification(op, args, text):
    assert _simplified(op, *args) == text


@pytest.mark.parametrize("text, printed", [
    ("(x + y) * z", "(x + y) * z"), ("x * -y", "x * -y"), ("-(x**2)", "-x**2"), ("(-x)**2", "(-x)**2"),
    ("sin(x)**2", "sin(x)**2"), ("x - (y - z)", "x - (y - z)"), ("x / (y * z)", "x / (y * z)"),
    ("(x * y) / z", "x * y / z"), ("x + y * z", "x + y * z"), ("-(x + y)", "-(x + y)"),
    ("x**y**z", "x**y**z"), ("(x**y)**z", "(x**y)**z"), ("-x * y", "-x * y"), ("2**-x", "2**(-x)"),
    ("atan2(x, y) + hypot(x, y)", "atan2(x, y) + hypot(x, y)"),
])
def test_precedence_decides_the_parentheses(text, printed):
    g = parse(text)
    assert to_text(g, g.output) == printed


# ---------------------------------------------------------------- messages (domains.py)

@pytest.mark.parametrize("name, values, reason, message", [
    ("div", [1.0, 0.0], OUTSIDE, "1.0 / 0.0 is undefined (needs 0.0 != 0)"),
    ("div", [-1.0, -0.0], OUTSIDE, "(-1.0) / (-0.0) is undefined (needs -0.0 != 0)"),
    ("neg", [-2.0], OVERFLOW, "-(-2.0) overflows float64"),
    ("neg", [2.0], NOT_REAL, "-2.0 has no finite real value"),
    ("log", [-1.0], OUTSIDE, "log(-1.0) is undefined (needs -1.0 > 0)"),
    ("pow", [-8.0, 0.5], OUTSIDE,
     "(-8.0) ** 0.5 is undefined (needs -8.0 > 0, or -8.0 == 0 and 0.5 > 0, or -8.0 < 0 and 0.5 an integer)"),
    ("pow", [0.0, 0.0], "0 to the power 0", "0.0 ** 0.0 is undefined (0 to the power 0)"),
    ("atan2", [1.0, 2.0], NOT_REAL, "atan2(1.0, 2.0) has no finite real value"),
    ("exp", [1000.0], OVERFLOW, "exp(1000.0) overflows float64"),
])
def test_messages_for_numbers(name, values, reason, message):
    assert failure(PRIMITIVES[name], values, reason) == message


def test_messages_with_the_users_words():
    words = Words("log(z - w)", ("z - w",), (True,))
    assert failure(PRIMITIVES["log"], [-1.0], OUTSIDE, words) == \
        "log(z - w) is undefined: z - w = -1.0 (needs z - w > 0)"
    words = Words("x**x", ("x", "x"), (True, True))  # the same argument twice is shown once
    assert failure(PRIMITIVES["pow"], [-0.5, -0.5], OVERFLOW, words) == "x**x overflows float64: x = -0.5"
    words = Words("a / 2", ("a", "2"), (True, False))  # a number's text is its value: not shown again
    assert failure(PRIMITIVES["div"], [M.mpf(3), 2.0], NOT_REAL, words) == \
        "a / 2 has no finite real value: a = 3.0"
    words = Words("t / u", ("t", "u"), (True, True))
    assert failure(PRIMITIVES["div"], [1.0, 0.0], "float division by zero", words) == \
        "t / u is undefined: t = 1.0, u = 0.0 (float division by zero)"


def test_number_words_and_conditions():
    assert number_words(PRIMITIVES["sub"], [1.0, -2.0]) == Words("1.0 - (-2.0)", ("1.0", "-2.0"),
                                                                 (False, False))
    assert number_words(PRIMITIVES["neg"], [-2.0]).whole == "-(-2.0)"
    assert number_words(PRIMITIVES["hypot"], [3.0, -4.0]).whole == "hypot(3.0, -4.0)"
    assert condition(PRIMITIVES["atanh"], ["2*z"]) == "-1 < 2*z < 1"
    assert condition(PRIMITIVES["div"], ["x", "y + x"]) == "y + x != 0"
    assert shorten("a" * 40) == "a" * 40
    assert shorten("a" * 41) == "a" * 39 + "…"
    assert shorten(" exp(a)\n\t+  b ") == "exp(a) + b"


# ---------------------------------------------------------------- the algebras

def test_the_number_algebras():
    algebra = FloatAlgebra(record=True)
    assert algebra.one == 1.0 and algebra.times(3.0, 4.0) == 12.0
    assert algebra.first(5.0, 0) == 5.0 and algebra.plus(2.0, 5.0, 0) == 7.0
    algebra.note(3, 1, 2.0, 6.0)
    assert algebra.terms == [(3, 1, 2.0, 6.0)]
    assert FloatAlgebra().terms is None
    assert FloatAlgebra().functions.cos(0.0) == 1.0 and FLOATS.atan2(1.0, 0.0) == math.pi / 2
    mp = MpAlgebra(M)
    assert mp.one == 1 and isinstance(mp.one, M.mpf)
    assert mp.functions.log(M.mpf(2)) == M.log(2) and mp.functions.hypot(3, 4) == 5


def test_functions_name_only_primitives():
    functions = Functions(lambda primitive, args: (primitive.name, args))
    assert functions.sin(1.0) == ("sin", (1.0,))
    with pytest.raises(AttributeError, match="no primitive named 'sine'"):
        functions.sine  # noqa: B018


def test_graph_algebra_builds_each_operation():
    g = Graph()
    algebra = GraphAlgebra(g)
    x, y = Ref(g, g.var("x")), Ref(g, g.var("y"))
    assert to_text(g, algebra.one.node) == "1"
    cases = [(x + y, "x + y"), (2.0 + x, "x + 2"), (x - y, "x - y"), (2.0 - x, "2 - x"), (x * y, "x * y"),
             (2.0 * x, "2 * x"), (x / y, "x / y"), (2.0 / x, "2 / x"), (x ** y, "x**y"), (2.0 ** x, "2**x"),
             (-x, "-x"), (x - 2.0, "x - 2"), (x / 2.0, "x / 2"), (x ** 3.0, "x**3"),
             (algebra.times(x, y), "x * y"), (algebra.plus(x, y, 0), "x + y"), (algebra.first(x, 0), "x"),
             (algebra.first(2.5, 0), "2.5"), (algebra.functions.sin(x), "sin(x)"),
             (algebra.functions.atan2(x, 1.0), "atan2(x, 1)")]
    for ref, text in cases:
        assert isinstance(ref, Ref) and to_text(g, ref.node) == text


@pytest.mark.parametrize("x", [5e-324, -3e-320, 1e-310, 2.0 ** -600, 2.0 ** -600 * 0.75, 2.2e-308, 1e-300,
                               0.3, 1e300, 2.0 ** 600 * 1.5, -1.7976931348623157e308])
def test_cbrt_is_within_an_ulp_of_the_true_cube_root_from_subnormals_to_the_largest_double(x):
    """The true cube root from mpmath at 200 bits, rounded to a double: the float cbrt is within one unit
    in its last place, subnormal arguments (where y³ of a plain Newton step underflows: 62 units off at
    5e-324) and the largest double (where y³ overflows) included."""
    with M.workprec(200):
        truth = float(M.sign(x) * M.cbrt(abs(M.mpf(x))))
    assert abs(numeric.cbrt(x) - truth) <= math.ulp(truth)


# ---------------------------------------------------------------- complex powers left of the imaginary axis

@pytest.mark.parametrize("a, n", [(1.00001, 101), (1.00001, 1001), (1.00001, 1_000_001),
                                  (1 + 2.0 ** -44, 2 ** 40 + 1)])
def test_a_large_integer_power_of_a_negative_base_keeps_its_complex_step(a, n):
    """(−a − ih)^n with h = 1e-20 (the complex step of (−x)**z in x at x = a, z = n): its imaginary part
    is −(−1)^n·n·a^(n−1)·h to first order, which mpmath gives at 60 digits; Python's power above n = 100
    takes the angle n·arg(−a − ih) ≈ n·π, which left 7.6e-6 in the imaginary part at n = 1000001 (h·f' is
    2.2e-10).  Both parts are now within 1e-13 of mpmath's, relative."""
    h = 1e-20
    base = complex(-a, -h)
    got = numeric.cpow(base, complex(n, 0))
    with M.workdps(60):
        truth = M.power(M.mpc(-a, -h), n)
        scale = abs(truth)
        assert abs(M.mpf(got.real) - truth.real) <= 1e-13 * scale
        assert abs(M.mpf(got.imag) - truth.imag) <= 1e-13 * abs(truth.imag)
        assert abs(truth.imag) > 1e-24 * scale  # the part the complex step reads is there to be checked


def test_a_small_integer_power_of_a_negative_base_is_pythons_to_the_bit():
    """Up to n = 100 Python multiplies, and (−1)^n·(−x)^n is then the same bits as x^n."""
    rng = np.random.default_rng(9)
    for _ in range(200):
        x = complex(-rng.uniform(0.1, 3.0), rng.uniform(-1.0, 1.0) * 10.0 ** rng.integers(-20, 1))
        for n in range(-100, 101):
            if x == 0:
                continue
            assert numeric.cpow(x, complex(n, 0)) == x ** complex(n, 0), (x, n)
    assert numeric.cpow(complex(-2.0, 0.0), complex(2.5, 0)) == complex(-2.0, 0.0) ** complex(2.5, 0)


def test_the_complex_step_differentiates_a_negative_base_to_a_large_odd_power():
    from diffcli.api import compare

    record = compare("(-x)**z", {"x": 1.00001, "z": 1000001.0}, methods=["complex-step"], timing=False)
    (row,) = record["methods"]
    assert row["rel_error"]["x"] <= 1e-14  # it was 'not applicable here: ... Im f = -7.6e-06'
    assert row["gradient"]["z"] is None  # (−x)**z is not real beside an integer z: no derivative in z
