"""The float cube root (``core/numeric.cbrt``) is correctly rounded: the double nearest to the exact root,
bit for bit, for every finite double, against a root computed here in integers alone.  At the end: the
paths of ``methods/forward.py`` and ``methods/fd_error.py`` once listed as dead, and the words of a
stencil's or the complex step's missing estimate.

The reference (:func:`nearest_root`) shares nothing with the code under test: the double's exact rational
value, scaled by 2^3s to an integer n, its floor cube root found by bisection (r³ ≤ n < (r + 1)³, checked),
then rounded to 53 bits with the bits it drops.  The hard cases are doubles whose root lies within 2^-45 of
a unit from a midpoint between two doubles (or from a double): their list comes from a published search for
hard-to-round cube roots, and the test measures each one's distance itself, so the list vouches for itself.
"""

import math
import random
import struct
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diffcli.api import compare
from diffcli.core import numeric
from diffcli.core.parse import parse
from diffcli.core.primitives import PRIMITIVES
from diffcli.methods import fd_error, forward
from diffcli.methods.forward import Dual
from diffcli.methods.partials import Undefined

ROOT_BITS = 140  # the floor root's bits: 87 beyond a double's 53, to tell a root 2^-45 units off a midpoint


def floor_root(x: float, bits: int = ROOT_BITS) -> tuple[int, int, bool]:
    """(r, s, exact) with r = ⌊∛|x|·2^s⌋ of at least ``bits`` bits, and whether r is the root itself."""
    num, den = abs(x).as_integer_ratio()  # den is 2^d
    d = den.bit_length() - 1
    s = max(-(-d // 3), -(-(3 * bits - num.bit_length() + d) // 3))  # 3s ≥ d, and n ≥ 2^(3·bits)
    n = num << (3 * s - d)  # |x|·2^3s, an integer
    lo, hi = 0, 1 << (n.bit_length() // 3 + 1)  # lo³ ≤ n < hi³
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if mid ** 3 <= n else (lo, mid)
    assert lo ** 3 <= n < (lo + 1) ** 3 and lo.bit_length() >= bits
    return lo, s, lo ** 3 == n


def nearest_root(x: float) -> float:
    """The double nearest to ∛x: the floor root's top 53 bits, one more where the bits dropped are above
    half a unit, or exactly half with the root beyond them (not exact); a tie (half, exact) to even."""
    if x == 0:
        return x
    r, s, exact = floor_root(x)
    drop = r.bit_length() - 53
    top, rest, half = r >> drop, r & ((1 << drop) - 1), 1 << (drop - 1)
    if rest > half or (rest == half and (not exact or top & 1)):
        top += 1
    return math.copysign(math.ldexp(top, drop - s), x)


def units_from_midpoint(x: float) -> float:
    """How far ∛x is from the nearest midpoint between two doubles, in units of its last place (to 2^-87)."""
    r, _, _ = floor_root(x)
    drop = r.bit_length() - 53
    return abs((r & ((1 << drop) - 1)) - (1 << (drop - 1))) / 2.0 ** drop


def units_from_double(x: float) -> float:
    r, _, _ = floor_root(x)
    drop = r.bit_length() - 53
    rest = r & ((1 << drop) - 1)
    return min(rest, (1 << drop) - rest) / 2.0 ** drop


def same_double(a: float, b: float) -> bool:
    return struct.pack("<d", a) == struct.pack("<d", b)  # the sign of a zero too


def test_the_reference_rounds_what_it_should():
    """The reference itself, on roots known by hand: exact cubes, and ∛(1 + 2^-51) = 1 + (2/3)·2^-52 less
    about 2^-105, two thirds of the way from 1 to the next double 1 + 2^-52, so that one, 1/6 of a unit
    past the midpoint; ∛(1 + 2^-52) is a third of the way, so 1, 1/6 of a unit short of it."""
    assert nearest_root(27.0) == 3.0 and nearest_root(-8.0) == -2.0
    assert nearest_root(8 * 5e-324) == 2.0 ** -357
    assert nearest_root(2.0 ** 300) == 2.0 ** 100 and nearest_root(1e-300) == 1e-100
    assert nearest_root(1 + 2.0 ** -51) == 1 + 2.0 ** -52 and nearest_root(1 + 2.0 ** -52) == 1.0
    for x in (1 + 2.0 ** -51, 1 + 2.0 ** -52):
        assert units_from_midpoint(x) == pytest.approx(1 / 6, rel=1e-12, abs=0)
    assert units_from_double(27.0) == 0 and units_from_midpoint(27.0) == 0.5


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_cbrt_is_the_nearest_double_to_the_root_of_every_finite_double(x):
    assert same_double(numeric.cbrt(x), nearest_root(x))


def every_finite_double(rng: random.Random) -> float:
    """A double drawn uniformly from the bit patterns: every exponent, subnormals included, as likely."""
    while True:
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(x):
            return x


def test_cbrt_on_two_thousand_random_bit_patterns():
    """One root in ten was a fraction of a unit off the nearest double with the Newton step on a rounded y³
    (0.93 units at worst, on 100,000 such doubles): 2,000 of them, all to the bit."""
    rng = random.Random(1020)
    for _ in range(2000):
        x = every_finite_double(rng)
        assert same_double(numeric.cbrt(x), nearest_root(x)), x


MIDPOINT_HARD = ["0x1.0082b35be0924p-1", "0x1.010b285accf2dp-1", "0x1.018369b92e523p-1",
                 "0x1.02419aabe811ep-1", "0x1.3a78af6ae551ap-1", "0x1.5301879d288d5p-1",
                 "0x1.0005f3b4478dap+0", "0x1.1062c4a199abp+0", "0x1.4847bcf6aaaabp+0",
                 "0x1.18b89484bb8bep+0", "0x1.749dcbdf637cfp+0", "0x1.f4c2156f3de83p+0",
                 "0x1.f4c70662c1f0ap+0", "0x1.dc169feccb8b2p+1", "0x1.cbe22cd82013fp+1"]
DOUBLE_HARD = ["0x1.00ef471361446p-1", "0x1.01fb4bd640f53p-1", "0x1.7ddb5f0ae5c39p-1",
               "0x1.fffffb800002dp-1", "0x1.ffffffffffffdp-1", "0x1.0000000000003p+0",
               "0x1.0030030028024p+0", "0x1.9c1a63d44893fp+1", "0x1.d7c1819bc932ep+1"]


@pytest.mark.parametrize("text", MIDPOINT_HARD)
def test_roots_within_2_to_the_minus_45_units_of_a_midpoint(text):
    """Each root is measured within 2^-45 units of a midpoint (so the case is hard: a root computed to 45
    bits beyond the last place could not round it), and cbrt rounds it, negated and scaled by 8^j too."""
    x = float.fromhex(text)
    assert units_from_midpoint(x) < 2.0 ** -45
    for j in (-340, -100, 0, 7, 340):
        for y in (math.ldexp(x, 3 * j), -math.ldexp(x, 3 * j)):
            assert same_double(numeric.cbrt(y), nearest_root(y)), y


@pytest.mark.parametrize("text", DOUBLE_HARD)
def test_roots_within_2_to_the_minus_45_units_of_a_double(text):
    x = float.fromhex(text)
    assert 0 < units_from_double(x) < 2.0 ** -45
    for y in (x, -x, math.ldexp(x, -999), math.ldexp(x, 999)):
        assert same_double(numeric.cbrt(y), nearest_root(y)), y


def test_a_pow_one_unit_low_is_corrected(monkeypatch):
    """With glibc, cbrt's power y = a ** fl(1/3) on [1/8, 1) is at or above the root less half a unit
    (fl(1/3) < 1/3 raises the power of an a below 1; pow is within about half a unit), so the step up is
    never needed.  A libm's pow one unit lower, still within 1.5 units of the root, needs it: y moved one
    unit down, and the integer step still finds the nearest double."""
    low = types.SimpleNamespace(**{name: getattr(math, name) for name in dir(math) if name[0] != "_"})
    low.pow = lambda a, b: math.nextafter(math.pow(a, b), 0.0)
    monkeypatch.setattr(numeric, "math", low)
    rng = random.Random(1021)
    sample = [every_finite_double(rng) for _ in range(500)]
    sample += [float.fromhex(text) for text in MIDPOINT_HARD + DOUBLE_HARD] + [1.0, 0.125, 27.0]
    for x in sample:
        assert same_double(numeric.cbrt(x), nearest_root(x)), x


def test_diff_prints_cbrt_as_python_that_runs():
    """diff's Python printer copies cbrt's source (it uses only math): the copy gives the same doubles."""
    from diffcli.core.printing import to_python

    graph, namespace = parse("cbrt(x)"), {}
    exec(compile(to_python(graph, graph.output, "f"), "<cbrt>", "exec"), namespace)  # our own code
    for x in (27.0, -8.0, 1e-300, 5e-324, float.fromhex(MIDPOINT_HARD[0])):
        assert same_double(namespace["f"](x), nearest_root(x))


def test_exact_cubes_and_powers_of_two():
    """n³ for every n up to 2^17 (whose cube is a double) and scaled by 8^j is n·2^j exactly; every power
    of two from the smallest subnormal to the largest, to the nearest double of 2^(k/3)."""
    for n in range(1, 1 << 17, 7):
        assert numeric.cbrt(float(n ** 3)) == n and numeric.cbrt(-float(n ** 3)) == -n
        assert numeric.cbrt(math.ldexp(n ** 3, -300)) == math.ldexp(n, -100)
    for k in range(-1074, 1024):
        assert same_double(numeric.cbrt(2.0 ** k), nearest_root(2.0 ** k)), k


@pytest.mark.parametrize("x", [5e-324, 2 * 5e-324, 3 * 5e-324, 2.0 ** -1022 - 5e-324, 2.0 ** -1022,
                               math.nextafter(2.0 ** -1022, 1.0), 1.7976931348623157e308,
                               math.nextafter(1.0, 0.0), math.nextafter(1.0, 2.0), 0.125,
                               math.nextafter(0.125, 0.0), math.nextafter(0.125, 1.0), 1e-310, 1e300])
def test_subnormals_the_largest_double_and_the_ends_of_the_scaled_range(x):
    """Subnormals (where y³ of a plain Newton step underflows), the largest double (where it overflows),
    and the ends of [1/8, 1), where the scaled argument lies, from either side."""
    for y in (x, -x):
        assert same_double(numeric.cbrt(y), nearest_root(y)), y


def test_zeros_infinities_and_nan_are_their_own_roots():
    assert same_double(numeric.cbrt(0.0), 0.0) and same_double(numeric.cbrt(-0.0), -0.0)
    assert numeric.cbrt(math.inf) == math.inf and numeric.cbrt(-math.inf) == -math.inf
    assert math.isnan(numeric.cbrt(math.nan))


# ---------------------------------------------------------------- forward mode's interpreted pass

def test_the_interpreted_forward_pass_takes_a_constant_exponent_as_evaluate_does():
    """x**0 is 1 for every x (the constant form of pow), so x**0·y·y = y² at x = 0: ∂f/∂x = 0, ∂f/∂y = 2y = 4,
    and the Hessian's rows are (0, 0) and (0, 2).  The interpreted pass applied the general pow, whose
    0**0 is undefined, and raised a bare ValueError there (forward-over-reverse: "undefined at this
    point (0 to the power 0)" for a defined f); and x's partial of x**0, 0·x^-1, is 0 by the table
    (zero_where), not a division by 0."""
    graph, point = parse("x**0*y*y"), {"x": 0.0, "y": 2.0}
    on_x, on_y = (forward.forward_pass(graph, point, {name: 1.0})[graph.output] for name in "xy")
    assert (on_x.value, on_x.tangent, on_y.value, on_y.tangent) == (4.0, 0.0, 4.0, 4.0)
    assert [forward.forward_over_reverse_row(graph, point, name) for name in "xy"] == [[0.0, 0.0], [0.0, 2.0]]
    assert [forward._directional(graph, [0.0, 2.0], i) for i in range(2)] == [0.0, 4.0]


def test_the_failing_argument_is_the_first_moving_one_whose_partial_raises():
    """pow at (0, 0.5): its value is 0, its partial in x (0.5·0^-0.5) and in y (log 0·0) both raise: the
    first argument that moves names the failure; at (-2, 3) only the partial in y (log -2) does."""
    pow_ = PRIMITIVES["pow"]
    assert forward._failing_argument(pow_, [Dual(0.0, 1.0), Dual(0.5, 1.0)]) == 0
    assert forward._failing_argument(pow_, [Dual(0.0, 0.0), Dual(0.5, 1.0)]) == 1
    assert forward._failing_argument(pow_, [0.0, Dual(0.5, 1.0)]) == 1
    assert forward._failing_argument(pow_, [Dual(-2.0, 1.0), Dual(3.0, 1.0)]) == 1


def test_a_directional_pass_returns_the_tangent_or_the_rule_that_failed():
    """sqrt(x)·y at x = 0: ∂f/∂x needs sqrt's slope at 0 (1/(2·0)): an Undefined naming that rule; ∂f/∂y
    is sqrt(0) = 0."""
    graph = parse("sqrt(x)*y")
    undefined = forward._directional(graph, [0.0, 2.0], 0)
    assert isinstance(undefined, Undefined)
    assert undefined.message == ("the partial derivative of sqrt(x) in x is undefined: x = 0.0 "
                                 "(float division by zero)")
    assert forward._directional(graph, [0.0, 2.0], 1) == 0.0


# ---------------------------------------------------------------- fd_error without a bound, and why

LOG10_TEXT = "f is log10(x) at x = 1e308: ∂f/∂x = 1/(x·ln 10) ≈ 4.3e-309 is defined"


def test_forward_mode_s_tracked_pass_overflowing_leaves_the_stencils_and_the_complex_step_without_estimate():
    """log10(x) at 1e308: the rule 1/(ln 10·x) is computed in tracked arithmetic, ln 10·x overflows to
    inf (its bound too), and 1/inf is 0 exactly with an infinite bound.  Every partial of f is defined: the
    estimate is refused, saying that the bound is not finite.  (The bound of 1/inf used to raise, from the
    rational form of inf, and reverse then called the partial of log10 undefined.)"""
    graph = parse("log10(x)")
    assert fd_error._shifted(graph, [1e308]) == ([None], [fd_error.TANGENT_NOT_FINITE])
    assert fd_error.complex_step_estimates(graph, [1e308], [4.3e-309], [4.3e-309]) == ([None], [
        "complex-step: the error of ∂f/∂x cannot be estimated: the rounding of f cannot be bounded here "
        "(the bound on the derivative of f as evaluated is not finite) (est. error: unknowable)"])
    record = compare("log10(x)", {"x": 1e308}, methods=["fd-central", "reverse", "dual", "symbolic"],
                     digits=20, timing=False)
    fd_central, *by_rules = record["methods"]
    assert fd_central["error_estimate"] == {"x": None} and fd_central["warnings"] == [
        "fd-central: the error of ∂f/∂x cannot be estimated: the rounding of f cannot be bounded here "
        "(the bound on the derivative of f as evaluated is not finite) (est. error: unknowable)"]
    for row in by_rules:  # 1/(ln 10·x) is 0 in doubles (4.3e-309 in truth): no finite bound, said so
        assert row["gradient"] == {"x": 0.0} and row["error_estimate"] == {"x": None}, row["method"]
        assert row["warnings"] == [f"{row['method']}: the error of ∂f/∂x cannot be estimated: its rounding "
                                   "bound is not finite here (a divisor whose rounding may reach its own "
                                   "size, or a bound that overflows) (est. error: unknowable)"]


@pytest.mark.parametrize("method", ["fd-forward", "complex-step"])
def test_an_infinite_bound_is_not_called_an_undefined_partial(method):
    """1/(((x + 1e17) − 1e17) − x − 1) at 8.5: every partial is defined (the quotient's, −1/d², with d =
    6.5 in doubles), but d's rounding, 7.5, reaches its size, so forward mode's bound is infinite.  The
    warning says that, not that a partial is undefined."""
    (row,) = compare("1/(((x + 1e17) - 1e17) - x - 1)", {"x": 8.5}, methods=[method], digits=20,
                     timing=False)["methods"]
    assert row["error_estimate"] == {"x": None} and row["warnings"] == [
        f"{method}: the error of ∂f/∂x cannot be estimated: the rounding of f cannot be bounded here "
        "(the bound on the derivative of f as evaluated is not finite) (est. error: unknowable)"]


def test_an_undefined_partial_is_still_called_so():
    """sqrt(x) at 0: forward mode's tangent through sqrt's slope 1/(2·sqrt(0)) is not a number;
    sqrt(y·y) + x at y = 0: the adjoint of y·y, sqrt's slope at 0, is not finite in the evaluation bound.
    Both say that a partial is undefined (x keeps its bound)."""
    assert fd_error._shifted(parse("sqrt(x)"), [0.0]) == ([None], [fd_error.UNDEFINED_PARTIAL])
    graph = parse("sqrt(y*y) + x")
    assert graph.variable_names == ["y", "x"]  # in the order they appear
    bounds, _, why = fd_error._measured(graph, [0.0, 1.0])
    assert bounds[0] is None and bounds[1] > 0 and why == [fd_error.UNDEFINED_PARTIAL, None]
    assert fd_error.UNDEFINED_PARTIAL == "a partial of some step of f is undefined at the point"
    (row,) = compare("sqrt(x)", {"x": 0.0}, methods=["fd-forward"], digits=20, timing=False)["methods"]
    assert row["warnings"] == [
        "fd-forward: the error of ∂f/∂x cannot be estimated: the rounding of f cannot be bounded here "
        "(a partial of some step of f is undefined at the point) (est. error: unknowable)"]


def test_an_evaluation_bound_that_overflows_with_every_adjoint_finite():
    """(2x − z)·1e30 at x = 5e299, z = 1e300: f is 0 and every adjoint is finite (1e30, and the slopes
    2e30 and −1e30), but 2x = 1e300 may be rounded by 2^-53·1e300, which reaches f times 1e30: 1.1e314,
    past the largest double.  z moves only 2x − z, exactly 0 (its allowance the underflow's 2^-1074)."""
    bounds, slopes, why = fd_error._measured(parse("(2*x - z)*1e30"), [5e299, 1e300])
    assert slopes == [2e30, -1e30] and bounds[0] is None and 0 < bounds[1] < 1e-290
    assert why == [fd_error.EVALUATION_OVERFLOWS, None]
    assert fd_error.EVALUATION_OVERFLOWS == "the bound on its evaluation overflows"


def test_the_evaluation_bound_where_f_has_no_value():
    """log(x) at −1: f itself cannot be evaluated (evaluation_bound is public: nothing has checked f
    first), so no variable has a bound, and the reason is libm's."""
    assert fd_error.evaluation_bound(parse("log(x)"), [-1.0]) == [None]
    assert fd_error._measured(parse("log(x)"), [-1.0])[2] == ["it cannot be evaluated (math domain error)"]


def test_the_complex_step_without_its_second_step_or_with_an_estimate_that_overflows():
    """x² at 3 (tangent 6, bound 0): with no value at 2h the truncation cannot be estimated; with answers
    ±1.7e308 the estimate |D(h) − 6| + |D(2h) − D(h)|/3 is past the largest double."""
    graph = parse("x*x")
    assert fd_error.complex_step_estimates(graph, [3.0], [6.0], [None]) == ([None], [
        "complex-step: the error of ∂f/∂x cannot be estimated: f has no value at the second step, 2h "
        "(est. error: unknowable)"])
    assert fd_error.complex_step_estimates(graph, [3.0], [1.7e308], [-1.7e308]) == ([None], [
        "complex-step: the error of ∂f/∂x cannot be estimated: the estimate overflows "
        "(est. error: unknowable)"])
    assert fd_error.complex_step_estimates(graph, [3.0], [6.0], [6.0]) == ([0.0], [])
