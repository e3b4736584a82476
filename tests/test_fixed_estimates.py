"""Fixed cases of the est. error columns (methods/rounding.py, methods/fd_error.py), run first against their
mutants: every expected number comes from a closed form, from exact rational arithmetic (``Fraction``) or
from mpmath called here, never from the estimate itself.

An estimate must bound the true error, and where a closed form says what it should be (a polynomial whose
stencil error is a known power of the step, at steps where every point and every value of f is an exact
double), it must be that error times the documented safety factor, not some other multiple.
"""

import math
from fractions import Fraction

import mpmath
import pytest

from diffcli.api import compare
from diffcli.methods.rounding import Tracked

M = mpmath.MPContext()
M.prec = 300
UNIT = Fraction(1, 2 ** 53)


def _row(text, point, method, eps=None):
    """The row of one method (20 reference digits are plenty: the true errors are checked here)."""
    (row,) = compare(text, point, methods=[method], digits=20, timing=False, eps=eps)["methods"]
    return row


def _exact_error(value: float, truth) -> Fraction:
    return abs(Fraction(value) - Fraction(truth))


# ---------------------------------------------------------------- running bounds on doubles

def test_a_sum_s_bound_is_its_own_rounding_exactly():
    """0.1 + 0.2 rounds to 0.30000000000000004; the bound is that rounding (exact in rationals), rounded up
    by no more than a few ulps of itself."""
    a = Tracked(0.1) + Tracked(0.2)
    rounding = _exact_error(a.value, Fraction(0.1) + Fraction(0.2))
    assert rounding > 0 and a.value == 0.30000000000000004
    assert rounding <= Fraction(a.bound) <= rounding * (1 + Fraction(1, 2 ** 40))


@pytest.mark.parametrize("a, b, op", [
    (0.1, 0.7, "-"), (1e16, 1.0, "+"), (0.1, 3.0, "*"), (1.0, 3.0, "/"), (-2.0, 3.0, "/"), (0.7, -0.3, "*"),
    # TwoSum's two parts both nonzero (0.1 + 0.3: 2^-55 and −2^-54), their sum the rounding
    (0.1, 0.3, "+"),
    # past Dekker's safe range (2^500, 2^-400): the rounding is measured in rationals instead
    (3.0 ** 400, 1.1, "*"), (3.0 ** -400, 1.1, "*"), (3.0 ** 400, 1.1, "/"), (3.0 ** -400, 0.3, "/"),
    # operands inside it, result outside: Dekker's split of 1e308 overflows, a subnormal's error underflows
    # (a bound below 2^-1074 is rounded up to it)
    (1e308, 1.1, "*"), (1e-300, 1.1e-10, "*"), (1e-300, 3e10, "/"),
])
def test_each_operation_s_bound_is_its_exact_rounding(a, b, op):
    exact = {"+": Fraction(a) + Fraction(b), "-": Fraction(a) - Fraction(b), "*": Fraction(a) * Fraction(b),
             "/": Fraction(a) / Fraction(b)}[op]
    r = {"+": Tracked(a) + Tracked(b), "-": Tracked(a) - Tracked(b), "*": Tracked(a) * Tracked(b),
         "/": Tracked(a) / Tracked(b)}[op]
    assert r.value == {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]
    rounding = _exact_error(r.value, exact)
    assert rounding > 0
    assert rounding <= Fraction(r.bound) <= rounding * (1 + Fraction(1, 2 ** 40)) + Fraction(2.0 ** -1074)


@pytest.mark.parametrize("a, b, op", [(3.0, 1.0, "-"), (0.5, 0.25, "+"), (3.0, 0.5, "*"), (3.0, 4.0, "/"),
                                      (2.0 ** 600, 3.0, "*"), (2.0 ** 600, 4.0, "/")])
def test_an_exact_operation_adds_nothing(a, b, op):
    r = {"+": Tracked(a) + Tracked(b), "-": Tracked(a) - Tracked(b), "*": Tracked(a) * Tracked(b),
         "/": Tracked(a) / Tracked(b)}[op]
    assert r.bound == 0.0


def test_bounds_flow_through_each_operation_first_order():
    """What flows in reaches the result through the operation's partials: |a| and |b| for a product (and
    the product of the bounds), 1/(|b| − its bound) for a quotient; the operations here are exact."""
    a, b = Tracked(3.0, 1e-10), Tracked(2.0, 1e-12)
    assert (a + b).bound == pytest.approx(1e-10 + 1e-12, rel=1e-14, abs=0)
    assert (a - b).bound == pytest.approx(1e-10 + 1e-12, rel=1e-14, abs=0)
    assert (a * b).bound == pytest.approx(3 * 1e-12 + 2 * 1e-10 + 1e-22, rel=1e-14, abs=0)
    # (bound of a + |a/b|·bound of b) / (|b| − bound of b)
    assert (a / b).bound == pytest.approx((1e-10 + 1.5 * 1e-12) / (2.0 - 1e-12), rel=1e-14, abs=0)
    assert (-a).value == -3.0 and (-a).bound == 1e-10


def test_numbers_on_the_left_keep_their_place():
    """1 − t and 2 / t with t tracked: the number is the left operand (exact constants of a rule)."""
    t = Tracked(4.0, 1e-3)
    assert (1.0 - t).value == -3.0 and (1.0 - t).bound == pytest.approx(1e-3, rel=1e-14, abs=0)
    assert (2.0 / t).value == 0.5
    assert (2.0 / t).bound == pytest.approx(0.5 * 1e-3 / (4.0 - 1e-3), rel=1e-14, abs=0)
    assert (5.0 + t).value == 9.0 and (3.0 * t).value == 12.0
    assert (3.0 * t).bound == pytest.approx(3e-3, rel=1e-14, abs=0)


def test_a_divisor_whose_bound_reaches_zero_knows_nothing():
    assert (Tracked(1.0) / Tracked(1e-3, 1e-3)).bound == math.inf
    assert (Tracked(1.0) / Tracked(1e-3, 0.999e-3)).bound < math.inf
    unknown = Tracked(1.0) / Tracked(0.0)  # a partial undefined here
    assert math.isnan(unknown.value) and unknown.bound == math.inf


def test_an_overflowing_operation_has_no_finite_bound():
    assert (Tracked(1e300) * Tracked(1e10)).bound == math.inf


def test_a_table_function_s_bound_is_its_measured_error():
    """sin of the double 1.0, against mpmath: the bound is that error plus 2^-80 of the result (what the
    80-bit measurement may miss), and the measurement is itself off by at most another 2^-80 of it."""
    from diffcli.core.primitives import PRIMITIVES
    from diffcli.methods.rounding import call

    r = call(PRIMITIVES["sin"], [Tracked(1.0)])
    error = abs(M.mpf(r.value) - M.sin(1))
    assert r.value == math.sin(1.0)
    assert error <= r.bound <= (error + 2 * M.ldexp(r.value, -80)) * (1 + M.ldexp(1, -40))


def test_a_table_function_carries_its_argument_s_bound_through_its_slope():
    """sqrt at 4 (exact, 2) with the argument off by 1e-20: its slope 1/4 carries 2.5e-21; at 0 the slope is
    infinite, so nothing is known."""
    from diffcli.core.primitives import PRIMITIVES
    from diffcli.methods.rounding import call

    # plus the measurement's allowance 2^-80·2 for sqrt's result 2 (itself exact)
    assert call(PRIMITIVES["sqrt"], [Tracked(4.0, 1e-20)]).bound == pytest.approx(2.5e-21 + 2.0 ** -79,
                                                                               rel=1e-12, abs=0)
    assert call(PRIMITIVES["sqrt"], [Tracked(0.0, 1e-20)]).bound == math.inf
    assert (Tracked(2.0, 1e-10) ** 3.0).bound == pytest.approx(12 * 1e-10, rel=1e-6, abs=0)  # 3·2² = 12


# ---------------------------------------------------------------- AD and symbolic rows

@pytest.mark.parametrize("method", ["reverse", "dual", "symbolic"])
def test_exact_partials_have_an_estimate_of_zero(method):
    """x·y + x at (0.1, 0.3): ∂f/∂x = y + 1 = 1.3 rounds (one addition), ∂f/∂y = x is exact."""
    row = _row("x*y + x", {"x": 0.1, "y": 0.3}, method)
    assert row["gradient"]["y"] == 0.1 and row["error_estimate"]["y"] == 0.0
    true = _exact_error(row["gradient"]["x"], Fraction(0.3) + 1)
    assert Fraction(row["error_estimate"]["x"]) >= true > 0


def test_the_complex_step_s_own_rounding_is_counted():
    """The complex step of x·y + x in y is Im(x·(y + ih))/h: x·h and the division round, so it gives
    0.09999999999999999, not x = 0.1, and its estimate covers that distance."""
    row = _row("x*y + x", {"x": 0.1, "y": 0.3}, "complex-step")
    for name, truth in (("x", Fraction(0.3) + 1), ("y", Fraction(0.1))):
        assert Fraction(row["error_estimate"][name]) >= _exact_error(row["gradient"][name], truth)
    assert row["gradient"]["y"] != 0.1 and row["error_estimate"]["y"] <= 4 * float(UNIT) * 0.1


@pytest.mark.parametrize("method, factor", [("reverse", 1), ("dual", 1), ("symbolic", 2)])
def test_the_bound_of_a_rounded_product_chain_is_its_error(method, factor):
    """x·x·x at 0.1: the partial 3x² as the loop computes it is off by its products' roundings, all of one
    sign here, so the bound equals the error (symbolic adds reverse mode's bound for its folded constants:
    twice it)."""
    row = _row("x*x*x", {"x": 0.1}, method)
    true = _exact_error(row["gradient"]["x"], 3 * Fraction(0.1) ** 2)
    assert true > 0
    assert true <= Fraction(row["error_estimate"]["x"]) <= factor * true * (1 + Fraction(1, 10 ** 6))


# ---------------------------------------------------------------- fixed stencils, closed forms

# f = x^p-ish polynomials at steps where every stencil point and every value of f is an exact double: the
# stencil's error is its truncation alone, a closed form, and the estimate's step-halving model is exact
# for it, so the estimate is that error times SAFETY (2), plus a rounding allowance far below it.
CLOSED = [
    # (method, f, x, h, f'(x), the stencil's truncation error D(h) − f'(x))
    # fd-forward of x² at 1.5: (f(x+h) − f(x))/h = 2x + h
    ("fd-forward", "x**2", 1.5, 2.0 ** -10, 3.0, 2.0 ** -10),
    # fd-backward: 2x − h
    ("fd-backward", "x**2", 1.5, 2.0 ** -10, 3.0, -2.0 ** -10),
    # at a negative point the same: 2x + h at −1.5
    ("fd-forward", "x**2", -1.5, 2.0 ** -10, -3.0, 2.0 ** -10),
    # fd-central of x³: 3x² + h²
    ("fd-central", "x**3", 1.5, 2.0 ** -10, 6.75, 2.0 ** -20),
    # fd-5point of x⁵ at 1: 5x⁴ − 4h⁴ (its error term h⁴·f⁽⁵⁾/30 with f⁽⁵⁾ = 120); its division by 12h rounds
    ("fd-5point", "x**5", 1.0, 2.0 ** -6, 5.0, -4 * 2.0 ** -24),
]


@pytest.mark.parametrize("method, text, x, h, slope, truncation", CLOSED)
def test_a_polynomial_s_stencil_error_is_estimated_as_twice_its_truncation(method, text, x, h, slope,
                                                                            truncation):
    row = _row(text, {"x": x}, method, eps=h)
    assert row["step"]["x"] == h and row["warnings"] == []
    # the stencil's weighted sum of values of f near 1.4 rounds by u·Σ|w|·1.4/h at most (fd-5point: 1.5e-14)
    assert abs(row["gradient"]["x"] - (slope + truncation)) <= 1e-13
    true = abs(row["gradient"]["x"] - slope)
    assert 2 * abs(truncation) <= row["error_estimate"]["x"] <= 2 * abs(truncation) * (1 + 1e-4)
    assert row["error_estimate"]["x"] >= true


@pytest.mark.parametrize("method", ["fd-forward", "fd-backward", "fd-central", "fd-5point"])
def test_a_line_s_stencil_error_is_only_rounding(method):
    """3x + 1 at 0.75 with h = 2^-8: every stencil point and value of f is exact and nothing is truncated,
    so the true error is only the rounding of the stencil's own sum and division (0 but for fd-5point's
    1/12), and the estimate is its rounding allowance: a few hundred ulps of f over the step at most."""
    row = _row("3*x + 1", {"x": 0.75}, method, eps=2.0 ** -8)
    assert row["warnings"] == []
    estimate = row["error_estimate"]["x"]
    assert abs(row["gradient"]["x"] - 3.0) <= estimate <= 1000 * float(UNIT) * 3.25 / 2.0 ** -8
    assert row["gradient"]["x"] == 3.0 or method == "fd-5point"
    assert estimate > 0  # never ±0: the sum and division may round


# ---------------------------------------------------------------- Hessian rows

@pytest.mark.parametrize("method, factor", [("forward-over-reverse", 1), ("symbolic", 2)])
def test_hessian_bounds_cover_each_entry_s_rounding(method, factor):
    """x·x·x·y at (0.1, 0.3): H = [[6xy, 3x²], [3x², 0]] on the exact doubles (Fractions).  The entries'
    roundings all have one sign here, so forward-over-reverse's bound is the error itself (symbolic adds
    reverse mode's bound of the same chain rule: twice it); ∂²f/∂y² is an exact 0 with a bound of 0."""
    from diffcli.api import hessian

    (row,) = [r for r in hessian("x*x*x*y", {"x": 0.1, "y": 0.3}, methods=[method], digits=20,
                                 timing=False)["methods"]]
    x, y = Fraction(0.1), Fraction(0.3)
    exact = [[6 * x * y, 3 * x * x], [3 * x * x, Fraction(0)]]
    for i in range(2):
        for j in range(2):
            true = _exact_error(row["hessian"][i][j], exact[i][j])
            estimate = Fraction(row["error_estimate"][i][j])
            assert true <= estimate <= factor * true * (1 + Fraction(1, 10 ** 6)), (i, j)
    assert row["hessian"][1][1] == 0.0 and row["error_estimate"][1][1] == 0.0


# ---------------------------------------------------------------- how much is tracked

def test_an_estimate_is_given_up_to_50_000_tracked_node_evaluations():
    """The README: graphs beyond 50,000 tracked node evaluations get no estimate, and a warning saying so.
    Reverse mode makes two passes, so a graph of 25,000 nodes is measured and one of 25,001 is not (a
    stand-in graph: only its size and variables are read before the bound is asked for)."""
    from types import SimpleNamespace

    from diffcli.methods.rounding import with_estimate

    class Sized:
        variable_names = ["x", "y"]

        def __init__(self, size):
            self.size = size

        def __len__(self):
            return self.size

    kept = with_estimate(SimpleNamespace(), Sized(25_000), lambda values: [1e-16, math.inf], "m")  # 2 passes
    # a finite bound is given; an infinite one is None and a warning says why; one of a partial without
    # a value is None (the partial's own error says why)
    unknowable = ("m: the error of ∂f/∂y cannot be estimated: its rounding bound is not finite here (a "
                  "divisor whose rounding may reach its own size, or a bound that overflows) (est. error: "
                  "unknowable)")
    assert kept.details([1.0, 2.0], [0.5, 0.25]) == {"error_estimate": {"x": 1e-16, "y": None},
                                                     "warnings": [unknowable]}
    assert kept.details([1.0, 2.0], [None, 0.25]) == {"error_estimate": {"x": None, "y": None},
                                                      "warnings": [unknowable]}
    assert kept.details([1.0, 2.0], [0.5, None]) == {"error_estimate": {"x": 1e-16, "y": None}}
    # past the limit the row has no estimate, and its warning says so (the column is never left out silently)
    too_many = with_estimate(SimpleNamespace(), Sized(25_001), lambda values: [0.0, 0.0], "m", passes=2)
    assert too_many.details([1.0, 2.0], [0.5, 0.25]) == {"warnings": [
        "m: no error estimate: f has 25001 nodes, more than the 25000 whose rounding is measured"]}
    fits = with_estimate(SimpleNamespace(), Sized(50_000), lambda values: [0.0, 0.0], "m", passes=1)
    assert fits.details([1.0, 2.0], [0.5, 0.25]) == {"error_estimate": {"x": 0.0, "y": 0.0}}
    past = with_estimate(SimpleNamespace(), Sized(50_001), lambda values: [0.0, 0.0], "m", passes=1)
    (warning,) = past.details([1.0, 2.0], [0.5, 0.25])["warnings"]
    assert warning.endswith("than the 50000 whose rounding is measured")

    def failing(values):
        raise ArithmeticError("a pass that cannot run")
    assert with_estimate(SimpleNamespace(), Sized(10), failing, "m").details([1.0, 2.0], [0.5, 0.25]) == {
        "warnings": ["m: no error estimate: its rounding could not be bounded here (a pass that cannot run)"]}


def test_a_row_past_the_tracked_limit_says_how_many_nodes_fit():
    from diffcli.methods.rounding import too_large

    class Sized(list):
        pass
    assert too_large(Sized([None] * 25_000), 2) is None
    assert too_large(Sized([None] * 25_001), 2) == \
        "no error estimate: f has 25001 nodes, more than the 25000 whose rounding is measured"
    # 10,000 evaluations spent besides: (50,000 − 10,000) // 2 fit
    assert too_large(Sized([None] * 20_001), 2, 10_000).endswith("than the 20000 whose rounding is measured")
    assert too_large(Sized([None] * 20_000), 2, 10_000) is None
    assert too_large(Sized([None] * 50_001), 1).endswith("than the 50000 whose rounding is measured")


def test_a_table_function_is_measured_at_80_bits():
    """own_rounding of exp at 0.1: |double − exp(0.1) at 80 bits| rounded up to a double, plus 2^-80 of the
    result for what the 80-bit value itself may miss (the documented measurement, done here in mpmath)."""
    from diffcli.core.primitives import PRIMITIVES
    from diffcli.methods.rounding import own_rounding

    m = mpmath.MPContext()
    m.prec = 80
    result = math.exp(0.1)
    measured = abs(m.exp(m.mpf(0.1)) - m.mpf(result))
    up = float(measured) if float(measured) >= measured else math.nextafter(float(measured), math.inf)
    assert own_rounding(PRIMITIVES["exp"], [0.1], result) == pytest.approx(up + 2.0 ** -80 * result,
                                                                           rel=2.0 ** -50, abs=0)


def test_a_tracked_number_reads_as_its_value_and_bound():
    t = Tracked(0.5, 1.25e-17)
    assert repr(t) == "Tracked(0.5, 1.25e-17)" and float(t) == 0.5
    assert repr(Tracked(3.0)) == "Tracked(3.0, 0)"


# ---------------------------------------------------------------- rates other than h^p, and no bound

def test_the_complex_step_s_truncation_is_estimated_from_a_step_twice_as_large():
    """x³ at 1.5 with the step h = 2^-10 (eps): Im((x + ih)³)/h = 3x² − h², so the answer is off by h² from
    forward mode's tangent 6.75, and D(2h) − D(h) = −3h² gives |…|/3 = h² more: 2h² in all."""
    row = _row("x**3", {"x": 1.5}, "complex-step", eps=2.0 ** -10)
    h2 = 2.0 ** -20
    assert row["gradient"]["x"] == 6.75 - h2 and row["warnings"] == []
    assert 2 * h2 <= row["error_estimate"]["x"] <= 2 * h2 * (1 + 1e-6)


def test_differences_that_shrink_slower_than_h_use_the_rate_they_show():
    """x^1.5 at its edge 0, fd-forward with h = 2^-10: D(h) = h^0.5 = 2^-5 while the one-sided slope is 0.
    The differences shrink by 2^0.5 = 1.41 per halving, not 2, but above SLOWEST·2 = 1.4: the truncation
    T(h) = d1/(ρ − 1) with the rate ρ shown is h^0.5 itself, doubled (SAFETY)."""
    row = _row("x**1.5", {"x": 0.0}, "fd-forward", eps=2.0 ** -10)
    assert row["gradient"]["x"] == 2.0 ** -5 and row["warnings"] == []
    assert 2 * 2.0 ** -5 <= row["error_estimate"]["x"] <= 2 * 2.0 ** -5 * (1 + 1e-12)


@pytest.mark.parametrize("power", ["1.45", "1.4"])
def test_differences_that_shrink_slower_than_slowest_are_unknowable(power):
    """x^1.45: a rate of 2^0.45 = 1.37 per halving, below SLOWEST·2 = 1.4: no estimate, with the steps."""
    row = _row(f"x**{power}", {"x": 0.0}, "fd-forward", eps=2.0 ** -10)
    assert row["error_estimate"] == {"x": None}
    assert row["warnings"] == [
        "fd-forward: the error of ∂f/∂x cannot be estimated: its differences at steps 0.000977, 0.00195, "
        "0.00391 do not shrink like h^1: f is not resolved at these steps (a singularity, a kink or fast "
        "oscillation near the point) (est. error: unknowable)"]


def test_a_partial_without_a_rounding_bound_is_unknowable_and_the_others_keep_theirs():
    """sqrt(y·y) + x at y = 0: sqrt's slope at 0 is infinite, so the rounding of f cannot be bounded in y;
    x never reaches it: its estimate stays (a rounding allowance only, the stencil being exact)."""
    row = _row("sqrt(y*y) + x", {"x": 1.0, "y": 0.0}, "fd-central", eps=2.0 ** -10)
    assert row["error_estimate"]["y"] is None and 0 < row["error_estimate"]["x"] < 1e-10
    assert row["warnings"] == [
        "fd-central: the error of ∂f/∂y cannot be estimated: the rounding of f cannot be bounded here (a "
        "partial of some step of f is undefined at the point) (est. error: unknowable)"]


@pytest.mark.parametrize("method", ["forward-over-reverse", "symbolic"])
def test_hessian_bounds_through_every_kind_of_rule(method):
    """A Hessian whose rules use sums, differences, products and quotients with constants on either side
    (1/(1 + x), atan's 1/(1 + x²), (2 − y)³), powers of a constant and of a variable, and table functions:
    each entry's bound covers its true error (mpmath.diff at 400 bits on the exact doubles) and is within 100
    times it."""
    from diffcli.api import hessian

    m = mpmath.MPContext()
    m.prec = 400

    def f(x, y):
        return m.atan(x) * y + m.exp(x * y) + x / y - m.sqrt(x) + 1 / (1 + x) - (2 - y) ** 3 + 2 ** x + x ** y
    text = "atan(x)*y + exp(x*y) + x/y - sqrt(x) + 1/(1 + x) - (2 - y)**3 + 2**x + x**y"
    (row,) = hessian(text, {"x": 0.7, "y": 0.3}, methods=[method], digits=20, timing=False)["methods"]
    for i in range(2):
        for j in range(2):
            orders = tuple(int(k == i) + int(k == j) for k in range(2))
            true = abs(m.mpf(row["hessian"][i][j]) - m.diff(f, (m.mpf(0.7), m.mpf(0.3)), orders))
            assert true <= row["error_estimate"][i][j] <= 100 * true, (i, j)


def test_passes_shared_at_a_point_are_not_shared_between_graphs_of_one_size():
    """sin(x) then exp(x), both of two nodes, at the same point 1.0: reverse mode's partial is the table's
    cos(1.0), then exp(1.0) itself, each off by its own measured rounding (plus 2^-80 of it): the second
    row must not reuse the first's pass."""
    m = mpmath.MPContext()
    m.prec = 200
    for text, exact in (("sin(x)", m.cos(1)), ("exp(x)", m.e), ("sin(x)", m.cos(1))):
        row = _row(text, {"x": 1.0}, "reverse")
        true = abs(m.mpf(row["gradient"]["x"]) - exact)
        assert true <= row["error_estimate"]["x"] <= true + m.ldexp(exact, -78), text


@pytest.mark.parametrize("method", ["symbolic", "reverse"])
@pytest.mark.parametrize("x", [1.0, 2.0])
def test_a_constant_a_rule_writes_is_exact(method, x):
    """x**41: the derivative 41·x^40 is exact at 1 and 2 (41·2^40); the rule's new constant 40 is exact, not
    a folded rounding (2u·40, which at x = 2 would reach the result through ∂pow/∂exponent = 2^40·log 2), so
    the bound is only the measurement's allowance of 2^-80 of pow's results, about 41·x^40·2^-80 per pass."""
    row = _row("x**41", {"x": x}, method)
    assert row["gradient"]["x"] == 41 * x ** 40
    assert 0 <= row["error_estimate"]["x"] <= 41 * x ** 40 * 2.0 ** -76


@pytest.mark.parametrize("factor, allowance", [
    # d/dx of x²·c folds to the one constant 2c: 1048577 = 2^20 + 1 is past the constants a rule writes
    # (multiples of 2^-10 below 2^20), so it counts as folded and possibly off by one ulp, 2u·1048577
    ("524288.5", 2.0 ** -52 * 1048577),
    # 2c = 2^20 exactly: already past them; and a negative one, by its size
    ("524288", 2.0 ** -52 * 1048576), ("-524288.5", 2.0 ** -52 * 1048577),
    # 2c = 1048575, below 2^20: a rule's exact constant, nothing for it
    ("524287.5", 0.0),
])
def test_a_folded_constant_in_a_derivative_counts_one_ulp(factor, allowance):
    row = _row(f"x**2*{factor}", {"x": 1.0}, "symbolic")
    assert row["gradient"]["x"] == 2 * float(factor)
    assert allowance <= row["error_estimate"]["x"] <= allowance * (1 + 1e-6) + 1e-17, factor


def test_a_variable_the_result_does_not_depend_on_has_an_exact_zero_partial():
    """In the program 'a = y*2; x*x' f does not depend on y: every method's ∂f/∂y is an exact 0, its
    estimate 0 (the complex step's x-partial is off by the rounding of Im((x + ih)²)/h, and says so)."""
    row = _row("a = y*2\nx*x", {"x": 0.1, "y": 0.5}, "fd-central")  # no slope of 1 where there is none
    assert row["gradient"]["y"] == 0.0 and row["warnings"] == [] and row["error_estimate"]["y"] < 1e-11
    for method in ("complex-step", "dual", "reverse"):
        row = _row("a = y*2\nx*x", {"x": 0.1, "y": 0.5}, method)
        assert row["gradient"]["y"] == 0.0 and row["error_estimate"]["y"] == 0.0, method
        assert row["error_estimate"]["x"] >= _exact_error(row["gradient"]["x"], 2 * Fraction(0.1)), method
    from diffcli.api import hessian

    record = hessian("a = y*2\nx*x*x", {"x": 0.1, "y": 0.5}, digits=20, timing=False)
    assert record["variables"] == ["y", "x"]  # in the order they appear
    for row in record["methods"]:
        estimate = row["error_estimate"]
        assert (estimate[0][0], estimate[0][1], estimate[1][0]) == (0.0, 0.0, 0.0), row["method"]
        assert estimate[1][1] >= _exact_error(row["hessian"][1][1], 6 * Fraction(0.1)) > 0


# ---------------------------------------------------------------- the rounding allowance, by hand

@pytest.mark.parametrize("text, values, units", [
    # one IEEE operation may round by u·|its value|, reaching f through its adjoint (1 here):
    # 3x = 2.25 and 3x + 1 = 3.25, both moved by x
    ("3*x + 1", [0.75], [5.5]),
    # x·y = 1.5 and x·y + y = 4.5 both move with x and with y
    ("x*y + y", [0.5, 3.0], [6.0, 6.0]),
])
def test_the_evaluation_bound_is_each_moved_node_s_rounding(text, values, units):
    from diffcli.core.parse import parse
    from diffcli.methods.fd_error import evaluation_bound

    found = evaluation_bound(parse(text), values)
    # rounded up, never down: above the sum of the allowances by a hair (a relative 1e-10 at most 2e-10)
    assert all(k * float(UNIT) < b <= k * float(UNIT) * (1 + 2e-10) for b, k in zip(found, units))
    assert len(found) == len(units)


def test_no_evaluation_bound_where_f_cannot_be_evaluated_or_is_too_large():
    from diffcli.core.parse import parse
    from diffcli.methods.fd_error import evaluation_bound

    assert evaluation_bound(parse("log(x)"), [-1.0]) == [None]

    class Sized(list):
        variable_names = ["x", "y"]
    assert evaluation_bound(Sized([None] * 20_000), [1.0, 2.0]) == [None, None]  # 3 passes > 50,000


# 3x + 1 at 0.75 with h = 2^-8: f is exact at every point and every stencil answers 3 exactly at h, 2h, 4h,
# so the estimate is the rounding allowance alone.  With B = 5.5u the evaluation bound (above) and f_k the
# values of f at a step s, the allowance at s is (Σ|w|·(2B + u·|f_k|) + (points + 2)·u·Σ|w·f_k|)/s
# (each value off by B at x and at the point beside it, plus its own rounding, plus the stencil's sum and
# division), and the estimate is SAFETY·max(e1, e2) + allowance(h), with e1 = (n(h) + n(2h))/(2^p − 1),
# e2 = (n(2h) + n(4h))/(4^p − 2^p):
# fd-forward (f(x+s) − f(x))/s: n(s) = (4B + 4u·(3.25 + f(x+s)))/s, f(x+s) = 3.25 + 3s:
#   n(h) = 256·(22 + 4·6.51171875)u = 12300u, n(2h) = 128·(22 + 4·6.5234375)u = 6156u, n(4h) = 3084u;
#   e1 = 18456u > e2 = 4620u: 2·18456u + 12300u = 49212u
# fd-backward, f(x−s) = 3.25 − 3s: 12276u, 6132u, 3060u: 2·18408u + 12276u = 49092u
# fd-central (f(x+s) − f(x−s))/2s, weights ±1/2, f(x+s) + f(x−s) = 6.5: n(s) = (2B + 3.25u + 4u·3.25)/s
#   = 27.25u/s: 6976u, 3488u, 1744u; e1 = 10464u/3 = 3488u > e2 = 5232u/12: 2·3488u + 6976u = 13952u
# The same with f = −3x − 1 (sizes, not signs: the same numbers), and with 3·|x| + 1, where abs is a table
# function: its allowance is twice its measured error (0 but for 2^-80 of it) plus 8 ulps, 8u·0.75, reaching f
# through its adjoint 3: B = 18u + 5.5u = 23.5u, so 4B = 94u in place of 22u:
# fd-forward n(h) = 256·(94 + 26.046875)u = 30732u, n(2h) = 15372u: 2·46104u + 30732u = 122940u;
# fd-backward 256·(94 + 25.953125)u = 30708u, 15348u: 2·46056u + 30708u = 122820u;
# fd-central n(s) = (2B + 16.25u)/s = 63.25u/s: 16192u, 8096u; e1 = 8096u: 2·8096u + 16192u = 32384u
@pytest.mark.parametrize("text, slope, units", [
    ("3*x + 1", 3.0, {"fd-forward": 49212, "fd-backward": 49092, "fd-central": 13952}),
    ("-3*x - 1", -3.0, {"fd-forward": 49212, "fd-backward": 49092, "fd-central": 13952}),
    ("3*abs(x) + 1", 3.0, {"fd-forward": 122940, "fd-backward": 122820, "fd-central": 32384}),
])
@pytest.mark.parametrize("method", ["fd-forward", "fd-backward", "fd-central"])
def test_the_rounding_allowance_of_an_exact_stencil(text, slope, units, method):
    row = _row(text, {"x": 0.75}, method, eps=2.0 ** -8)
    assert row["gradient"]["x"] == slope and row["warnings"] == []
    assert row["error_estimate"]["x"] == pytest.approx(units[method] * float(UNIT), rel=1e-8, abs=0)


def test_the_evaluation_bound_is_measured_up_to_the_tracked_limit():
    """x·y + 1 + 2 + … + 8331 has 16,665 nodes: with two variables the stencils' tracked passes are 3 per
    node, 49,995 evaluations, within the 50,000; each sum v_k = 1.5 + k(k+1)/2 is one IEEE operation moved
    by both variables, as is x·y = 1.5: B = u·(1.5 + Σ v_k) = u·(1.5 + 1.5n + n(n+1)(n+2)/6), n = 8331."""
    from diffcli.core.parse import parse
    from diffcli.methods.fd_error import evaluation_bound

    n = 8331
    graph = parse("x*y" + "".join(f" + {k}" for k in range(1, n + 1)))
    assert len(graph) == 16_665
    expected = float(UNIT) * (1.5 + 1.5 * n + n * (n + 1) * (n + 2) / 6)
    assert evaluation_bound(graph, [0.5, 3.0]) == [pytest.approx(expected, rel=1e-9, abs=0)] * 2


@pytest.mark.parametrize("x, estimate, warnings", [
    # the stencil's points 0.3 ± h lie on both sides of abs's kink at 0.3: no estimate
    (0.3, None, ["abs(0.0) is at its kink: not differentiable there; the methods use the right derivative of "
                 "each function and the reference the right derivative in each variable",
                 "fd-central: the error of ∂f/∂x cannot be estimated: the stencil steps across a kink around "
                 "x = 0.3 (h = 0.000977) (est. error: unknowable)"]),
    # 0.31 ± h, ± 2h, ± 4h are all right of it: f = 2x − 0.3 there, and the estimate is its rounding only
    (0.31, "rounding", []),
])
def test_a_stencil_across_a_kink_has_no_estimate(x, estimate, warnings):
    record = compare("abs(x - 0.3) + x", {"x": x}, methods=["fd-central"], digits=20, timing=False,
                     eps=2.0 ** -10)
    (row,) = record["methods"]
    assert row["warnings"] == warnings
    if estimate is None:
        assert row["error_estimate"] == {"x": None}
    else:
        assert abs(row["gradient"]["x"] - 2) <= row["error_estimate"]["x"] < 1e-11


@pytest.mark.parametrize("text, answer, units", [("x", 1.0, 703 / 45), ("-3*x", -3.0, 703 / 15)])
def test_the_rounding_allowance_of_the_five_point_stencil(text, answer, units):
    """fd-5point of f = c·x at 0, h = 2^-8: f's values are exact and every product and partial sum of the
    stencil scales by s (a power of 2), so D(h) = D(2h) = D(4h) (nothing to extrapolate) and B = 0 (but for
    2^-1074s).  At every step s the allowance is Σ|w|·u·|f_k| = u·s·|c|·(2/12 + 8/12 + 8/12 + 2/12) =
    (5/3)|c|·u·s, plus the rounding of the points x ± 2s, 2·(1/12)·2|D|·u·(x + 2s) = (2/3)|D|·u·s, plus the
    sum and division's (4 + 2)·u·Σ|w·f_k| = 10|c|·u·s, over s: n = 37/3 u for c = 1 (D ≈ 1), 37u for c = −3.
    With e1 = 2n/(2^4 − 1) > e2 = 2n/(4^4 − 2^4) the estimate is 2·e1 + n = (19/15)·n: 703/45 u and
    703/15 u.  The answer for c = 1 is 1 exactly: the stencil sums its antisymmetric pairs first, so
    −2s·fl(1/12) − 2s·fl(1/12) = −s·fl(1/3), plus s·fl(2/3) = 2s·fl(1/3), is s·fl(1/3) exactly, and
    2s·fl(1/3) more is 3s·fl(1/3) = s·(1 − 2^-54), a tie, rounded to even: s.  (In the order −2, −1, 1, 2
    the weights' roundings did not cancel, and it was 1 − 2^-53.)"""
    row = _row(text, {"x": 0.0}, "fd-5point", eps=2.0 ** -8)
    assert row["gradient"]["x"] == answer and row["warnings"] == []
    assert row["error_estimate"]["x"] == pytest.approx(units * float(UNIT), rel=1e-9, abs=0)


def test_the_five_point_stencil_s_outer_points_round_relative_to_the_point():
    """fd-5point of 3·(x + 0.5) at −0.5, h = 2^-8: f's values 3·o·s are exact and D(s) = 3 at every step.
    Beside the terms above (5u·s and 30u·s for |c| = 3), the points x ± 2s are rounded relative to
    |x ± 2s|, about 0.5: 2·(1/12)·2·3·u·(|x| + 2s) = u·(0.5 + 2s), which dominates here.  So n(s) =
    u·(37 + 0.5/s): 165u, 101u, 69u, and the estimate 2·(165 + 101)u/15 + 165u = 3007/15 u."""
    row = _row("3*(x + 0.5)", {"x": -0.5}, "fd-5point", eps=2.0 ** -8)
    assert row["gradient"]["x"] == 3.0 and row["warnings"] == []
    assert row["error_estimate"]["x"] == pytest.approx(3007 / 15 * float(UNIT), rel=1e-9, abs=0)


@pytest.mark.parametrize("text, sign", [("x**3 + 268435456", 1), ("268435456 - x**3", -1)])
def test_the_pair_at_the_larger_steps_can_set_the_estimate(text, sign):
    """fd-forward of x³ + 2^28 at 0, h = 2^-6: every value C + s³ is exact (s³ a multiple of 2^28's ulp,
    2^-24), so D(s) = s², d1 = D(2h) − D(h) = 3h², d2 = D(4h) − D(2h) = 12h²: the larger steps' pair, with
    e2 = (d2 + n(2h) + n(4h))/(4 − 2), outweighs e1 = (d1 + n(h) + n(2h))/(2 − 1).  The allowance is
    n(s) = (4B + 4u·(2C + s³))/s with B = u·C (the sum's rounding): 12uC/s = 12·2^-25/s, so
    n(h) = 12·2^-19, n(2h) = 12·2^-20, n(4h) = 12·2^-21, and the estimate 2·e2 + n(h) =
    12·(2^-12 + 2^-20 + 2^-21 + 2^-19) = 6228·2^-21 for a true error h² = 2^-12.  C − x³ gives the same
    with every difference negative: the estimate is of their sizes."""
    row = _row(text, {"x": 0.0}, "fd-forward", eps=2.0 ** -6)
    assert row["gradient"]["x"] == sign * 2.0 ** -12 and row["warnings"] == []
    assert row["error_estimate"]["x"] == pytest.approx(6228 * 2.0 ** -21, rel=1e-9, abs=0)


@pytest.mark.parametrize("method, x", [("fd-forward", 0.2998), ("fd-backward", 0.3002)])
def test_a_one_sided_stencil_across_a_kink_on_its_side_has_no_estimate(method, x):
    """abs(x − 0.3) + x: 0.2998 + h and 0.3002 − h (h = 2^-10) lie beyond the kink at 0.3, on the side the
    stencil steps to; the point itself is not at a kink."""
    row = _row("abs(x - 0.3) + x", {"x": x}, method, eps=2.0 ** -10)
    assert row["error_estimate"] == {"x": None}
    assert row["warnings"] == [f"{method}: the error of ∂f/∂x cannot be estimated: the stencil steps across "
                               f"a kink around x = {x!r} (h = 0.000977) (est. error: unknowable)"]


def test_extra_steps_past_a_domain_edge_are_halved_instead():
    """x² + log(x − 0.933) at 1, fd-backward with h = 2^-5: x − 2h = 0.9375 is inside the domain, x − 4h =
    0.875 is not, so the extra steps are h/2 and h/4 (x − 1.5h would be inside but x − 2.25h = 0.9297 not):
    an estimate, no warning, and it bounds the true error (mpmath)."""
    m = mpmath.MPContext()
    m.prec = 200
    row = _row("x*x + log(x - 0.933)", {"x": 1.0}, "fd-backward", eps=2.0 ** -5)
    true = abs(m.mpf(row["gradient"]["x"]) - (2 + 1 / (1 - m.mpf(0.933))))
    assert row["warnings"] == [] and true <= row["error_estimate"]["x"] <= 4 * true


@pytest.mark.parametrize("text, x, method", [
    ("x*1e-300", 1e-30, "fd-forward"),
    # f is exactly 0 at the point: its only allowance there is 2^-1074, which its subnormal values beside it
    # (about 1e-318 at the steps taken) are rounded by
    ("x*1e-310", 0.0, "fd-forward"), ("x*1e-310", 0.0, "fd-central"),
])
def test_a_result_that_underflows_still_has_a_rounding_allowance(text, x, method):
    """x·1e-300 at 1e-30 and x·1e-310 at 0: f's values beside the point are below the smallest normal double,
    so they are rounded by up to 2^-1074 each, not by u·|f|: the estimate is positive and covers the true
    error (mpmath)."""
    row = _row(text, {"x": x}, method)
    slope = float(text.split("*")[1])
    true = abs(M.mpf(row["gradient"]["x"]) - M.mpf(slope))
    assert 0 < true <= row["error_estimate"]["x"] < slope


def test_the_rounding_of_a_step_that_does_not_move_with_x_is_added():
    """sin(y)·(x − 1) at x = y = 1, fd-forward with h = 2^-10: f's values s·sin(1) are exact multiples of the
    double sin(1), so D(s) is that double at every step and the stencil's allowance is n(s) = 4u·|f(x+s)|/s =
    4u·sin(1) (B is only 2^-1074s); the double sin(1) itself is off by its rounding, which forward mode's
    tracked tangent adds: 2·(n(h) + n(2h)) + n(h) + |sin(1) double − sin(1)| + 2^-80·sin(1)."""
    m = mpmath.MPContext()
    m.prec = 200
    row = _row("sin(y)*(x - 1)", {"x": 1.0, "y": 1.0}, "fd-forward", eps=2.0 ** -10)
    sine = math.sin(1.0)
    assert row["gradient"]["x"] == sine and row["warnings"] == []
    expected = 20 * float(UNIT) * sine + float(abs(m.mpf(sine) - m.sin(1))) + 2.0 ** -80 * sine
    assert row["error_estimate"]["x"] == pytest.approx(expected, rel=1e-9, abs=0)


@pytest.mark.parametrize("h", [2.0 ** -4, 2.0 ** -6])
def test_the_five_point_stencil_at_a_rate_between_h3_and_h4(h):
    """x·(x·x)^1.75 = x·|x|^3.5 at 0 (f'(0) = 0): fd-5point gives D(h) = c·h^3.5 with c = Σ w·o·|o|^3.5 =
    (16 − 4·2^3.5)/12, so its differences shrink by 2^3.5 = 11.3 per halving, slower than the model's 16 but
    above SLOWEST·16 = 11.2: the truncation T(h) = d1/(ρ − 1) from the rate shown is D(h) itself, and the
    estimate twice it (SAFETY), not the model's d1/15 (0.69 of it)."""
    m = mpmath.MPContext()
    m.prec = 200
    truncation = float((16 - 4 * m.mpf(2) ** 3.5) / 12 * m.mpf(h) ** 3.5)
    row = _row("x*(x*x)**1.75", {"x": 0.0}, "fd-5point", eps=h)
    assert row["gradient"]["x"] == pytest.approx(truncation, rel=1e-12, abs=0) and row["warnings"] == []
    assert row["error_estimate"]["x"] == pytest.approx(2 * abs(truncation), rel=1e-9, abs=0)


def test_the_extra_steps_are_checked_for_kinks_at_2h_too():
    """abs(sin(1638.4·x)) + x at x = 0.1/1638.4, fd-forward with h = 2^-10: sin's argument moves by 1.6 per
    h from 0.1, so it is positive at x, x + h (1.7) and x + 4h (6.5) but negative at x + 2h (3.3): the
    stencil at 2h crosses abs's kink twice over and the extra steps are halved instead (h/2, h/4, where sin
    stays positive): an estimate, no warning, covering the true error (mpmath)."""
    m = mpmath.MPContext()
    m.prec = 200
    x = 0.1 / 1638.4
    row = _row("abs(sin(1638.4*x)) + x", {"x": x}, "fd-forward", eps=2.0 ** -10)
    truth = 1638.4 * m.cos(1638.4 * m.mpf(x)) + 1
    true = abs(m.mpf(row["gradient"]["x"]) - truth)
    assert row["warnings"] == [] and true <= row["error_estimate"]["x"] <= 4 * true


def test_differences_of_opposite_sign_are_seen_however_small_f_is():
    # cos(1228.8x) at 0 with h = 2^-10: the forward differences at h, 2h, 4h change sign (f oscillates
    # faster than the steps resolve), so the truncation cannot be estimated.  Scaled by 1e-200 the
    # differences are about 1e-198 and their product, 1e-396, underflows to -0.0: the sign test must not
    # depend on it.
    from diffcli import api

    for scale in ("", "1e-150*", "1e-200*"):
        record = api.compare(f"{scale}cos(1228.8*x)", {"x": 0.0}, methods=["fd-forward"], eps=2**-10,
                             timing=False)
        (row,) = record["methods"]
        assert row["error_estimate"] == {"x": None}, scale
        assert "do not shrink like h^1" in row["warnings"][0]


# ---------------------------------------------------------------- boundaries of the stencils' estimate

def test_a_partial_f_does_not_depend_on_where_f_is_0_has_an_estimate_of_exactly_0():
    """'a = y*2; x*x' at x = 0: f is 0 at every stencil point in y and no node f needs moves with y, so
    the stencil, its rounding allowance and its distance from the chain rule's slope (0) are all exactly
    0: an estimate of 0 is the answer's whole error, not a disagreement with the slope."""
    row = _row("a = y*2\nx*x", {"x": 0.0, "y": 0.5}, "fd-central")
    assert row["gradient"]["y"] == 0.0 and row["error_estimate"]["y"] == 0.0 and row["warnings"] == []


def test_a_stencil_below_the_chain_rule_s_slope_says_how_far_below():
    """x + 1e-4·sin(a·x) at 0 with a = 2π·1024 and h = 2^-10: sin(a·s) is 0 (to rounding) at s = h, 2h, 4h, so
    every stencil answers 1 and its differences shrink to nothing, while the slope is 1 + 1e-4·a =
    1.6434: the stencil is 0.64 below it, a distance (never a signed -0.64), with no estimate."""
    a = 2 * math.pi * 1024
    for method in ("fd-central", "fd-forward"):
        row = _row(f"x + 0.0001*sin({a!r}*x)", {"x": 0.0}, method, eps=2.0 ** -10)
        assert row["gradient"]["x"] == pytest.approx(1.0, rel=0, abs=1e-12)
        assert row["error_estimate"] == {"x": None}
        (warning,) = row["warnings"]
        assert warning.startswith(f"{method}: the error of ∂f/∂x cannot be estimated: the stencil is 0.64 "
                                  "from the chain rule's slope at the point, more than its own estimate ")
        assert warning.endswith(" allows: f is not resolved at these steps (est. error: unknowable)")


def test_f_values_below_their_rounding_are_noise_however_small_the_rounding():
    """(x + 1) − 1 at 0 with h = 2^-60: x + 1 rounds to 1 at every stencil point, so f is 0 at all of them
    while its rounding bound is about u (x + 1 rounded by u·1, then 2^-1074s): far more than 1000 times f
    itself, though far below 1, so the values are noise and there is no estimate."""
    row = _row("(x + 1) - 1", {"x": 0.0}, "fd-forward", eps=2.0 ** -60)
    assert row["gradient"]["x"] == 0.0 and row["error_estimate"] == {"x": None}
    assert row["warnings"] == [
        "fd-forward: the error of ∂f/∂x cannot be estimated: f's values around x = 0.0 are noise: their "
        "rounding may reach 1.1e-16, more than 1000 times f itself (0) (est. error: unknowable)"]


@pytest.mark.parametrize("text", ["x**3 - 0.09375*x**2", "0.09375*x**2 - x**3"])
def test_differences_that_stop_growing_at_the_larger_steps_are_unknowable(text):
    """±(x³ − 6h·x²) at 0, fd-forward with h = 2^-6 (exact values): D(s) = ±(s² − 6h·s), so D(h) = ∓5h²,
    D(2h) = D(4h) = ∓8h²: d1 = ∓3h² is far above rounding and d2 = 0, so the larger steps' difference is
    not larger (whichever its sign): the truncation is not shrinking with the step, no estimate."""
    row = _row(text, {"x": 0.0}, "fd-forward", eps=2.0 ** -6)
    assert abs(row["gradient"]["x"]) == 5 * 2.0 ** -12 and row["error_estimate"] == {"x": None}
    assert row["warnings"] == [
        "fd-forward: the error of ∂f/∂x cannot be estimated: its differences at steps 0.0156, 0.0312, "
        "0.0625 do not shrink like h^1: f is not resolved at these steps (a singularity, a kink or fast "
        "oscillation near the point) (est. error: unknowable)"]


def test_the_five_point_stencil_at_a_rate_below_slowest_is_unknowable():
    """x·|x|^2.5 at 0, fd-5point with h = 2^-6: D(h) = c·h^2.5, c = (16 − 4·2^2.5)/12, so the differences
    shrink by 2^2.5 = 5.66 per halving, below SLOWEST·2^4 = 11.2: no estimate (5.66 is above 0.7·2·4 = 5.6,
    so a threshold of 2·p instead of 2^p would let it through)."""
    m = mpmath.MPContext()
    m.prec = 200
    row = _row("x*(x*x)**1.25", {"x": 0.0}, "fd-5point", eps=2.0 ** -6)
    c = (16 - 4 * m.mpf(2) ** 2.5) / 12
    assert row["gradient"]["x"] == pytest.approx(float(c * m.mpf(2) ** -15), rel=1e-12, abs=0)
    assert row["error_estimate"] == {"x": None}
    assert row["warnings"] == [
        "fd-5point: the error of ∂f/∂x cannot be estimated: its differences at steps 0.0156, 0.0312, "
        "0.0625 do not shrink like h^4: f is not resolved at these steps (a singularity, a kink or fast "
        "oscillation near the point) (est. error: unknowable)"]


# 2x + min(x, c) at 0.75, fd-forward with h = 2^-8 and the kink c = 0.75 + 1.5h: the stencil at 2h crosses
# it, so the extra steps are h/2 and h/4.  f = 3x left of c, exact at every point, so D(s) = 3 at every step
# and the estimate is the rounding allowance alone.  B = u·(1.5 + 2.25) for 2x and the sum, plus min's
# 8u·0.75 (its measured error 0, but for 2^-80 of it): 9.75u.  n(s) = (4B + 4u·(f(x) + f(x + s)))/s =
# 57u/s + 12u: n(h) = 14604u, n(h/2) = 29196u, n(h/4) = 58380u.  The halved pairs scale by r1 = 1/2,
# r2 = 1/4: e1 = (n(h) + n(h/2))/(1 − 1/2) = 87600u, e2 = (n(h/2) + n(h/4))/(1/2 − 1/4) = 350304u (its
# distance |r2 − r1|), so the estimate is 2·e2 + n(h) = 715212u.
def test_the_rounding_allowance_with_halved_steps():
    row = _row("2*x + min(x, 0.755859375)", {"x": 0.75}, "fd-forward", eps=2.0 ** -8)
    assert row["gradient"]["x"] == 3.0 and row["warnings"] == []
    assert row["error_estimate"]["x"] == pytest.approx(715212 * float(UNIT), rel=1e-8, abs=0)


def test_differences_that_shrink_slower_than_h_with_halved_steps_use_the_rate_they_show():
    """x^1.5 + min(x, 1.5h) at 0, fd-forward with h = 2^-10: the stencil at 2h crosses min's kink, so the
    extra steps are h/2 and h/4.  D(s) = 1 + s^0.5 (min is x there), so with a = 2^-0.5 the differences are
    d1 = D(h/2) − D(h) = −h^0.5·(1 − a), d2 = −h^0.5·a·(1 − a), the rate ρ = d1/d2 = 2^0.5, and the
    truncation T(h) = |d1|/(1 − 1/ρ) = h^0.5 = 2^-5 exactly: the estimate is twice it (the model's
    |d1|/(1 − 1/2) would be 0.59 of it)."""
    row = _row("x**1.5 + min(x, 0.00146484375)", {"x": 0.0}, "fd-forward", eps=2.0 ** -10)
    assert row["gradient"]["x"] == 1 + 2.0 ** -5 and row["warnings"] == []
    assert row["error_estimate"]["x"] == pytest.approx(2 * 2.0 ** -5, rel=1e-12, abs=0)


def test_a_table_function_s_allowance_is_twice_its_error_and_4_ulps():
    """sin(x) at 10: the double sin(10) = -0.544 is off by 0.64 of u·|sin 10|; the evaluation bound is twice
    that error plus 8u·|sin 10| (4 ulps), times 1 + 1e-10 (what the measurement at 80 bits may miss, 2^-80
    of it twice, is below the tolerance); at 0, where sin is exact, only the 2^-1074 an underflow may
    leave."""
    from diffcli.core.parse import parse
    from diffcli.methods.fd_error import evaluation_bound

    v = math.sin(10.0)
    error = abs(M.mpf(v) - M.sin(10))
    expected = (2 * float(error) + 8 * float(UNIT) * abs(v)) * (1 + 1e-10)
    assert evaluation_bound(parse("sin(x)"), [10.0]) == [pytest.approx(expected, rel=1e-8, abs=0)]
    assert evaluation_bound(parse("sin(x)"), [0.0]) == [2.0 ** -1074]


# ---------------------------------------------------------------- one operation's rounding

@pytest.mark.parametrize("a, b", [(3.0, 0.7), (0.1, 3.0), (3.0 ** 400, 3.0 ** 200), (3.0 ** -400, 0.3),
                                  (3.0 ** 400, 1.1), (0.7, 0.3), (3.0 ** -400, 3.0 ** 400),
                                  (3.0 ** 300, 3.0 ** 400)])
@pytest.mark.parametrize("op", ["*", "/"])
def test_the_rounding_of_a_product_or_quotient_does_not_depend_on_signs(a, b, op):
    """|a·b| and |a/b| are the same whatever the operands' signs, and so is their rounding: the bound of
    (±a) op (±b) is one number, on either side of Dekker's range (2^-400 to 2^500)."""
    bounds = {(sa, sb): ((Tracked(sa * a) * Tracked(sb * b)) if op == "*" else
                         (Tracked(sa * a) / Tracked(sb * b))).bound for sa in (1, -1) for sb in (1, -1)}
    assert len(set(bounds.values())) == 1, bounds
    assert bounds[1, 1] > 0


def test_a_bound_through_a_table_function_never_rounds_down():
    """sqrt at 4 with the argument off by 1e-20 (the double): the first-order bound is exactly
    1e-20/4 + 2^-79 (sqrt's result 2 is exact; 2^-80 of it is what the measurement may miss); its sum in
    doubles may round down, the bound must not."""
    from diffcli.core.primitives import PRIMITIVES
    from diffcli.methods.rounding import call

    bound = call(PRIMITIVES["sqrt"], [Tracked(4.0, 1e-20)]).bound
    exact = Fraction(1e-20) / 4 + Fraction(1, 2 ** 79)
    assert exact <= Fraction(bound) <= exact * (1 + Fraction(1, 2 ** 40))


def test_a_function_mpmath_cannot_value_is_given_one_ulp():
    """A stand-in table function whose mpmath evaluator raises (no real value there): its rounding is taken
    as one ulp of the result, 2u·|result|, whatever the result's sign."""
    from types import SimpleNamespace

    from diffcli.methods.one_rounding import own_rounding

    def no_value(m, x):
        raise ValueError("no real value")
    for result in (0.75, -0.75):
        stand_in = SimpleNamespace(real=math.sin, mp=no_value)
        assert own_rounding(stand_in, [0.5], result) == 2.0 ** -52 * 0.75


def test_a_measurement_at_a_zero_argument_is_not_reused_for_another():
    """atan2(0, −0.0) is the double π while mpmath, with one unsigned zero, values it 0: its measured rounding
    is π itself.  atan2(0, −1) is the same double π, off by π's rounding only: measured afterwards, it must
    not be given the first one's (the arguments 0 and −0.0 are equal keys, so neither is kept)."""
    from diffcli.core.primitives import PRIMITIVES
    from diffcli.methods.one_rounding import own_rounding

    atan2 = PRIMITIVES["atan2"]
    assert own_rounding(atan2, [0.0, -0.0], math.pi) >= math.pi
    error = abs(M.mpf(math.pi) - M.pi)
    assert own_rounding(atan2, [0.0, -1.0], math.pi) == pytest.approx(float(error) + 2.0 ** -80 * math.pi,
                                                                      rel=1e-6, abs=0)


def test_a_measurement_is_kept_for_the_same_arguments_and_result_only(monkeypatch):
    """own_rounding keeps what it measured: sin at 1.0 with the same double result is not measured in mpmath
    again; the same argument with another result (a double an ulp above sin(1.0)) is measured, and its
    rounding is its own distance from sin 1, plus the 2^-80 of it the measurement may miss."""
    from diffcli.core.primitives import PRIMITIVES
    from diffcli.methods import one_rounding

    measured = []
    exact = one_rounding._exact
    monkeypatch.setattr(one_rounding, "_exact", lambda primitive, values: measured.append(values) or
                        exact(primitive, values))
    monkeypatch.setattr(one_rounding, "_MEASURED", {})
    sin, double = PRIMITIVES["sin"], math.sin(1.0)
    first = one_rounding.own_rounding(sin, [1.0], double)
    assert one_rounding.own_rounding(sin, [1.0], double) == first and len(measured) == 1
    above = math.nextafter(double, 2.0)
    other = one_rounding.own_rounding(sin, [1.0], above)
    assert len(measured) == 2
    for result, rounding in [(double, first), (above, other)]:
        expected = float(abs(M.mpf(result) - M.sin(1))) + 2.0 ** -80 * result
        assert rounding == pytest.approx(expected, rel=1e-6, abs=0), result


def test_differences_barely_above_their_rounding_that_stop_growing_keep_an_estimate():
    """C + x³/16 − 6h·x²/16 at 0 with C = 2^28, fd-forward, h = 2^-6: f(s) − C = (s³ − 6h·s²)/16 is −20, −64
    and −128 ulps of C (2^-24) at h, 2h, 4h, all exact, so D(h) = −20·2^-18, D(2h) = D(4h) = −32·2^-18:
    d1 = −12·2^-18, d2 = 0.  The allowance is n(s) = (4B + 4u·(f(x) + f(x + s)))/s with B = u·C (the sum's
    rounding), 12·2^-25/s: n(h) = 6·2^-18, n(2h) = 3·2^-18, n(4h) = 1.5·2^-18.  |d1| = 12 is above its
    rounding n1 = 9 but by less than 4 times, so d2 = 0 is no evidence that the differences stop growing
    (|d2| + n2 = 4.5 is not below 1.25·(12 − 9)): the estimate stands, 2·e1 + n(h) with e1 = (12 + 9)/(2 − 1),
    48·2^-18, above the true error 20·2^-18."""
    row = _row("0.0625*x**3 - 0.005859375*x**2 + 268435456", {"x": 0.0}, "fd-forward", eps=2.0 ** -6)
    assert row["gradient"]["x"] == -20 * 2.0 ** -18 and row["warnings"] == []
    assert row["error_estimate"]["x"] == pytest.approx(48 * 2.0 ** -18, rel=1e-9, abs=0)


@pytest.mark.parametrize("a, b", [(1.0, 3.0), (1.0, 7.0), (2.0, 0.7), (3.0, 0.7)])
def test_a_quotient_s_rounding_is_never_below_its_exact_value(a, b):
    """a/b inside Dekker's range: the residual a − r·b is exact, but its quotient by b rounds (for 1/3 it
    rounds down); the error given must still be at least |r − a/b| (exact in rationals), and within a few
    ulps of it."""
    import operator

    from diffcli.methods.one_rounding import operation_error

    r = a / b
    exact = _exact_error(r, Fraction(a) / Fraction(b))
    assert exact <= Fraction(operation_error(operator.truediv, a, b, r)) <= exact * (1 + Fraction(1, 2 ** 48))


@pytest.mark.parametrize("a, b", [(2.0 ** 500, 3.0), (-(2.0 ** 500), 3.0), (3.0 ** 400, 1.1),
                                  (3.0 ** -300, 1.1), (0.7 * 2.0 ** -400, 1.1)])
def test_from_the_edge_of_dekker_s_range_a_quotient_s_rounding_is_exact(a, b):
    """A dividend of 2^500 or more, or a quotient below 2^-400 (3^-300/1.1 is about 2^-476, 0.7·2^-400/1.1
    just below the edge), is past Dekker's range (its edge included): the rounding is computed in
    rationals, so it is |r − a/b| exactly, rounded up to the next double and no further."""
    import operator

    from diffcli.methods.one_rounding import operation_error

    r = a / b
    exact = _exact_error(r, Fraction(a) / Fraction(b))
    up = float(exact) if Fraction(float(exact)) >= exact else math.nextafter(float(exact), math.inf)
    assert exact > 0 and operation_error(operator.truediv, a, b, r) == up


def _rounded_up(exact: Fraction) -> float:
    near = float(exact)
    return near if Fraction(near) >= exact else math.nextafter(near, math.inf)


@pytest.mark.parametrize("a, b", [
    # subnormal dividends: r·b is as small, and Dekker's error terms of it would underflow (they gave 0)
    (1e-310, 3e-300), (3e-320, 7e-310),
    # a dividend below 2^-400, the quotient inside the range: part of those error terms would underflow
    # (the error given was below the exact one for the first, above it for the second)
    (1.6742768885000213e-294, 6.332464212314712e-179), (1e-294, 1e-180),
    # 1/3 rounds down and its error |residual/b| rounds down too: it must be rounded up
    (1.0, 3.0), (-(2.0 ** 30), 3.0),
    # a divisor of about 2^523, past 2^500, with r and a inside the range
    (3.0 ** 300, 3.0 ** 330),
])
def test_a_quotient_s_rounding_is_its_exact_error_rounded_up(a, b):
    import operator

    from diffcli.methods.one_rounding import operation_error

    r = a / b
    exact = _exact_error(r, Fraction(a) / Fraction(b))
    assert exact > 0 and operation_error(operator.truediv, a, b, r) == _rounded_up(exact)


def test_every_product_and_quotient_s_rounding_is_its_exact_error_rounded_up():
    """Random doubles (seeded) of sizes inside Dekker's range (2^-400 to 2^500), around its edges and past
    them, subnormal ones among them, second operands up to 2^1023 and powers of two among them (exact
    quotients and products), either sign: the rounding of a·b and a/b is |r − a op b| in rationals, as the
    nearest double at or above it, every time (0 where the operation is exact)."""
    import operator
    import random

    from diffcli.methods.one_rounding import operation_error

    rng = random.Random(18)
    sizes = [(-60, 60), (-420, -380), (480, 520), (-1074, -900), (-1074, 1023), (-400, -60)]
    checked = exact_ones = 0
    for k in range(3000):
        low, high = sizes[k % len(sizes)]
        a = math.ldexp(rng.uniform(0.5, 1.0), rng.randint(low, high))
        b_low, b_high = [(-60, 60), (low, high), (500, 1023)][k % 3]  # past 2^500 too: r, a decide
        b = math.ldexp(1.0 if k % 4 == 0 else rng.uniform(0.5, 1.0), rng.randint(b_low, b_high))
        a, b = (-a if k % 5 == 0 else a), (-b if k % 7 == 0 else b)
        for op in (operator.mul, operator.truediv):
            r = op(a, b)
            if a == 0 or b == 0 or r == 0 or not math.isfinite(r):
                continue
            exact = abs(op(Fraction(a), Fraction(b)) - Fraction(r))
            assert operation_error(op, a, b, r) == _rounded_up(exact), (op, a.hex(), b.hex())
            checked, exact_ones = checked + 1, exact_ones + (exact == 0)
    assert checked > 5000 and exact_ones > 500


def test_differences_at_exactly_the_slowest_rate_keep_an_estimate():
    """x³ − 13h·x² at 0, fd-forward with h = 2^-6 (exact values): D(s) = s² − 13h·s, so D(h) = −12h²,
    D(2h) = −22h², D(4h) = −36h²: d1 = −10h², d2 = −14h², a rate of 14/10, the double 1.4 = SLOWEST·2
    exactly.  At the threshold it is still resolved: T(h) = |d1|/(ρ − 1) = 25h², the estimate twice it (plus
    a rounding allowance far below), above the true error 12h²."""
    row = _row("x**3 - 0.203125*x**2", {"x": 0.0}, "fd-forward", eps=2.0 ** -6)
    assert row["gradient"]["x"] == -12 * 2.0 ** -12 and row["warnings"] == []
    assert row["error_estimate"]["x"] == pytest.approx(50 * 2.0 ** -12, rel=1e-9, abs=0)


@pytest.mark.parametrize("method", ["fd-forward", "fd-central"])
def test_extra_steps_that_round_to_the_step_taken_are_not_used(method):
    """x² at x = 2 − 2^-52 with eps = 2^-52: the step taken is h = 2^-52 (x + h = 2).  x + 2h = 2 + 2^-52 is
    half-way between 2 and 2 + 2^-51 and rounds to even, 2: the step 2h taken is h again, and x + h/2 =
    2 − 2^-53 rounds to 2 as well.  Two answers at one step tell nothing of the truncation (and their
    step ratio 1 would divide by 0): there is no estimate, and the warning says why, not that f is
    undefined at the point."""
    x = 2 - 2.0 ** -52
    assert x + 2 * 2.0 ** -52 == 2.0 and x + 2.0 ** -53 == 2.0
    row = _row("x*x", {"x": x}, method, eps=2.0 ** -52)
    assert row["step"]["x"] == 2.0 ** -52 and row["error_estimate"] == {"x": None}
    assert row["warnings"] == [
        f"{method}: the error of ∂f/∂x cannot be estimated: the stencil at other steps (2h and 4h, h/2 and "
        "h/4) leaves f's domain, crosses a kink or rounds to the step h or to no step "
        "(est. error: unknowable)"]


def test_halved_steps_that_round_to_no_step_are_not_used():
    """x + log(1 + 2^-51 − x) at 1 with eps = 2^-52 (an ulp of 1), fd-forward: x + 2h = 1 + 2^-51 is the
    edge of log's domain, so the extra steps are halved, but x + h/2 = 1 + 2^-53 is half-way between 1 and
    1 + 2^-52 and rounds to even, 1, and so does x + h/4: the steps taken are 0 and the stencil's answers
    there nan.  No estimate, and the warning says why."""
    assert 1.0 + 2.0 ** -53 == 1.0 and 1.0 + 2.0 ** -54 == 1.0
    row = _row("x + log(1.0000000000000004 - x)", {"x": 1.0}, "fd-forward", eps=2.0 ** -52)
    assert row["step"]["x"] == 2.0 ** -52 and row["error_estimate"] == {"x": None}
    assert row["warnings"] == [
        "fd-forward: the error of ∂f/∂x cannot be estimated: the stencil at other steps (2h and 4h, h/2 and "
        "h/4) leaves f's domain, crosses a kink or rounds to the step h or to no step "
        "(est. error: unknowable)"]


def test_a_rate_read_just_above_four_times_the_rounding():
    """C + x³/16 − 13.5h·x²/16 at 0 with C = 2^28, fd-forward, h = 2^-6: f(s) − C is −50, −184 and −608 ulps
    of C (2^-24) at h, 2h, 4h, all exact, so D(h) = −50·2^-18, D(2h) = −92·2^-18, D(4h) = −152·2^-18: d1 = −42
    and d2 = −60 (in 2^-18).  The allowance n(s) = 12·2^-25/s gives n1 = 9 and n2 = 4.5: |d1| = 42 is above
    4·n1 = 36 (though not above 5·n1) and |d2| above 4·n2, so the rate they show, ρ = 60/42, is read: it is
    below the model's 2, and T(h) = (|d1| + n1)/(ρ − 1) = 51·42/18 = 119.  The estimate is 2·119 + n(h) =
    244·2^-18 (the model's e1 = 51 would give 108), above the true error 50·2^-18."""
    row = _row("0.0625*x**3 - 0.01318359375*x**2 + 268435456", {"x": 0.0}, "fd-forward", eps=2.0 ** -6)
    assert row["gradient"]["x"] == -50 * 2.0 ** -18 and row["warnings"] == []
    assert row["error_estimate"]["x"] == pytest.approx(244 * 2.0 ** -18, rel=1e-9, abs=0)


def test_a_rate_with_halved_steps_read_just_above_four_times_the_rounding():
    """C − 5x³ + 13.75h·x² + min(x, 1.5h) − x at 0 with C = 2^28, fd-forward, h = 2^-6: the stencil at 2h
    crosses min's kink, so the extra steps are h/2 and h/4, where min(x, 1.5h) − x is 0.  f(s) − C is 560,
    180 and 50 ulps of C (2^-24) at h, h/2, h/4, all exact, so D(h) = 560·2^-18, D(h/2) = 360·2^-18,
    D(h/4) = 200·2^-18: d1 = −200 and d2 = −160 (in 2^-18).  The allowance n(s) = 12·2^-25/s is 6, 12 and
    24 at h, h/2, h/4: n1 = 18, n2 = 36.  |d2| = 160 is above 4·n2 = 144 (though not above 5·n2) and |d1|
    above 4·n1, so the rate is read: ρ = 200/160 = 1.25, below SLOWEST·2: f is not resolved at these steps,
    no estimate."""
    row = _row("-5*x**3 + 0.21484375*x**2 + min(x, 0.0234375) - x + 268435456", {"x": 0.0}, "fd-forward",
               eps=2.0 ** -6)
    assert row["gradient"]["x"] == 560 * 2.0 ** -18 and row["error_estimate"] == {"x": None}
    assert row["warnings"] == [
        "fd-forward: the error of ∂f/∂x cannot be estimated: its differences at steps 0.0156, 0.00781, "
        "0.00391 do not shrink like h^1: f is not resolved at these steps (a singularity, a kink or fast "
        "oscillation near the point) (est. error: unknowable)"]


@pytest.mark.parametrize("scale, estimated", [("12.5", False), ("-1.25", True)])
def test_a_stencil_more_than_twice_its_estimate_from_the_slope_is_unknowable(scale, estimated):
    """C + x³/16 − 6h·x²/16 − k·x(x − h)(x − 2h)(x − 4h) at 0 with C = 2^28, fd-forward, h = 2^-6: the last
    term is 0 at every stencil point (h, 2h, 4h and x), so the stencil answers −20·2^-18 with the estimate
    48·2^-18 as without it (the case above), while the chain rule's slope at 0 is k·8h³ = 8k·2^-18.  For
    k = 12.5 the stencil is 120·2^-18 from the slope, more than twice its estimate (96; the slope's own
    allowance, 1e-6 of it, is far below): no estimate.  For k = −1.25 it is 10·2^-18 away, within it."""
    text = f"0.0625*x**3 - 0.005859375*x**2 - {scale}*x*(x - 0.015625)*(x - 0.03125)*(x - 0.0625) + 268435456"
    row = _row(text, {"x": 0.0}, "fd-forward", eps=2.0 ** -6)
    assert row["gradient"]["x"] == -20 * 2.0 ** -18
    if estimated:
        assert row["warnings"] == []
        assert row["error_estimate"]["x"] == pytest.approx(48 * 2.0 ** -18, rel=1e-9, abs=0)
    else:
        assert row["error_estimate"] == {"x": None}
        assert row["warnings"] == [
            f"fd-forward: the error of ∂f/∂x cannot be estimated: the stencil is {120 * 2.0 ** -18:.2g} from "
            f"the chain rule's slope at the point, more than its own estimate {48 * 2.0 ** -18:.2g} allows: "
            "f is not resolved at these steps (est. error: unknowable)"]


def test_graph_bounds_of_no_outputs_is_empty_and_of_one_its_rounding():
    """graph_bounds walks only up to the last output asked for: none asked, nothing walked (even on a graph
    of one node); x·x at 0.1 asked, its bound is the product's exact rounding (rounded up by a hair)."""
    from diffcli.core.parse import parse
    from diffcli.methods.rounding import graph_bounds

    assert graph_bounds(parse("x"), [], [1.0]) == []
    graph = parse("x*x")
    (bound,) = graph_bounds(graph, [graph.output], [0.1])
    rounding = _exact_error(0.1 * 0.1, Fraction(0.1) ** 2)
    assert rounding <= Fraction(bound) <= rounding * (1 + Fraction(1, 2 ** 40))


def test_graph_bounds_count_the_constants_from_exact_below_on_as_folded():
    """x·0.1 at 3 (nodes x, 0.1, the product).  With exact_below = 1 the constant 0.1 is node 1, from
    exact_below on: a folded constant, possibly off by 2u·0.1, which reaches the product through its partial
    x = 3.  With exact_below = 2 it is f's own constant, exact.  Each bound is that plus the product's own
    rounding (exact in rationals), rounded up by a hair."""
    from diffcli.core.parse import parse
    from diffcli.methods.rounding import graph_bounds

    graph = parse("x*0.1")
    assert graph.ops == ["var", "const", "mul"]
    rounding = _exact_error(3.0 * 0.1, 3 * Fraction(0.1))
    folded = 3 * 2 * UNIT * Fraction(0.1) + rounding
    assert rounding > 0
    for exact_below, expected in [(2, rounding), (1, folded)]:
        (bound,) = graph_bounds(graph, [graph.output], [3.0], exact_below)
        assert expected <= Fraction(bound) <= expected * (1 + Fraction(1, 2 ** 40)), exact_below


def test_a_stencil_across_a_kink_has_no_estimate_even_where_the_larger_steps_do_not_cross_it():
    """abs(sin(k·x)) + x with k = 1024·(π + 0.1), at x = 0.1/k, fd-forward with h = 2^-10: sin's argument is
    0.1 at x, π + 0.2 at x + h (sin < 0: across abs's kink), 2π + 0.3 at x + 2h and 4π + 0.5 at x + 4h (on
    x's side again).  The answer's own stencil crosses the kink, so there is no estimate, whatever the
    stencil at the larger steps shows."""
    k = (math.pi + 0.1) * 1024
    x = 0.1 / k
    assert [math.sin(k * (x + o * 2.0 ** -10)) > 0 for o in (0, 1, 2, 4)] == [True, False, True, True]
    row = _row(f"abs(sin({k!r}*x)) + x", {"x": x}, "fd-forward", eps=2.0 ** -10)
    assert row["error_estimate"] == {"x": None}
    assert row["warnings"] == [f"fd-forward: the error of ∂f/∂x cannot be estimated: the stencil steps "
                               f"across a kink around x = {x!r} (h = 0.000977) (est. error: unknowable)"]


def test_a_rate_is_read_only_where_both_differences_are_well_above_rounding():
    """C + x³/32 − 15h·x²/32 at 0 with C = 2^28, fd-forward, h = 2^-6: f(s) − C is −28, −104 and −352 ulps of
    C (2^-24) at h, 2h, 4h, all exact, so D(h) = −28·2^-18, D(2h) = −52·2^-18, D(4h) = −88·2^-18:
    d1 = −24·2^-18 and d2 = −36·2^-18, a ratio of 1.5.  The allowance is n(s) = 12·2^-25/s as above:
    n(h) = 6·2^-18, n(2h) = 3·2^-18, n(4h) = 1.5·2^-18, so n1 = 9 and n2 = 4.5 (in 2^-18).  d2 is above 4·n2
    but d1 is not above 4·n1: the ratio 1.5 is not a measured rate, and the model's e1 = (24 + 9)/(2 − 1) =
    33 stands (e2 = (36 + 4.5)/2): the estimate is 2·33 + 6 = 72·2^-18, above the true error 28·2^-18."""
    row = _row("0.03125*x**3 - 0.00732421875*x**2 + 268435456", {"x": 0.0}, "fd-forward", eps=2.0 ** -6)
    assert row["gradient"]["x"] == -28 * 2.0 ** -18 and row["warnings"] == []
    assert row["error_estimate"]["x"] == pytest.approx(72 * 2.0 ** -18, rel=1e-9, abs=0)


@pytest.mark.parametrize("method", ["fd-forward", "fd-central"])
def test_a_partial_whose_tracked_tangent_is_unbounded_has_no_estimate(method):
    """1/(((x + 1e17) − 1e17) − x − 1) at 8.5: x + 1e17 rounds to 1e17 + 16 (its ulp is 16), so the
    denominator is 6.5 in doubles while it is −1 exactly: its rounding, 7.5, exceeds its size, and forward
    mode's tracked tangent through the quotient has no finite bound.  f's evaluation bound is finite (the
    roundings times the adjoints on doubles), but the derivative of f as evaluated is not bounded: no
    estimate, with the warning."""
    from diffcli.core.parse import parse
    from diffcli.methods.fd_error import evaluation_bound

    text = "1/(((x + 1e17) - 1e17) - x - 1)"
    assert math.isfinite(evaluation_bound(parse(text), [8.5])[0])
    row = _row(text, {"x": 8.5}, method)
    assert row["error_estimate"] == {"x": None}
    assert row["warnings"] == [
        f"{method}: the error of ∂f/∂x cannot be estimated: the rounding of f cannot be bounded here (the "
        "bound on the derivative of f as evaluated is not finite) (est. error: unknowable)"]


def test_a_bound_s_own_sum_never_rounds_down():
    """1 (off by 1) + 2 (off by 2^-60): the sum 3 is exact and its bound is 1 + 2^-60, which as a double
    rounds down to 1; the bound given must be at least the exact 1 + 2^-60."""
    bound = (Tracked(1.0, 1.0) + Tracked(2.0, 2.0 ** -60)).bound
    assert Fraction(bound) >= 1 + Fraction(1, 2 ** 60) and bound <= 1 + 2.0 ** -48


def test_a_hessian_through_min_has_its_bounds():
    """min(x, y)·x at (0.5, 2): min is x there, so f = x² and H = [[2, 0], [0, 0]], every entry exact; min's
    rules 1 − step(x − y) and 1 − step(y − x) put a number on the left of a tracked dual, and the bounds come
    out (of the order of the 2^-80 measurement allowance, far below any rounding)."""
    from diffcli.api import hessian

    (row,) = hessian("min(x, y)*x", {"x": 0.5, "y": 2.0}, methods=["forward-over-reverse"], digits=20,
                     timing=False)["methods"]
    assert row["error"] is None and row["warnings"] == []
    assert row["hessian"] == [[2.0, 0.0], [0.0, 0.0]]
    assert all(0 <= e <= 2.0 ** -70 for line in row["error_estimate"] for e in line)


def test_a_complex_step_refused_for_one_variable_keeps_the_other_s_estimate():
    """x^0.5 + y at (0, 1): x = 0 is sqrt's branch point, so the complex step refuses ∂f/∂x (an error, no
    number, and no estimate for it); ∂f/∂y = 1 is exact, its estimate 0."""
    row = _row("x**0.5 + y", {"x": 0.0, "y": 1.0}, "complex-step")
    assert row["gradient"] == {"x": None, "y": 1.0} and row["warnings"] == []
    assert row["errors"]["x"].startswith("not applicable here: f is not analytic at x = 0.0")
    assert row["error_estimate"] == {"x": None, "y": 0.0}


def test_the_estimates_take_x_to_the_constant_0_as_f_does():
    """x**0 is 1 for every x, 0 included (the power's constant form), and its partial in x is 0 there
    (the table's zero_where): the tracked passes take it so, as f, dual and the compiled code do.  They
    applied the general power, for which 0**0 is undefined, so at x = 0 every stencil and the complex step
    said f's rounding could not be bounded ('a partial ... undefined') and the Hessian had no est. error.
    f = y² at y = 2: ∂f/∂y = 4 and ∂²f/∂y² = 2, each bounded; the x entries are exact 0s, bound 0."""
    from diffcli.api import compare, hessian

    record = compare("x**0*y*y", {"x": 0.0, "y": 2.0}, timing=False,
                     methods=["fd-central", "fd-5point", "complex-step", "dual", "reverse", "symbolic"])
    for row in record["methods"]:
        assert row["warnings"] == [], row["method"]
        assert math.isfinite(row["error_estimate"]["y"]), row["method"]
    # by the rules: ∂f/∂x is an exact 0; ∂f/∂y = 2y·x**0 carries the measured power's own allowance,
    # 2^-80·|1| (the measurement's margin, one_rounding.CHECK_BITS), times 2y = 4 (symbolic adds
    # reverse's bound to its own: twice that)
    for row in record["methods"]:
        if row["method"] in ("dual", "reverse", "symbolic"):
            times = 2 if row["method"] == "symbolic" else 1
            assert row["error_estimate"]["x"] == 0.0, row["method"]
            assert row["error_estimate"]["y"] == pytest.approx(times * 4 * 2.0 ** -80, rel=1e-12, abs=0.0)
    for row in hessian("x**0*y*y", {"x": 0.0, "y": 2.0})["methods"]:
        assert row["warnings"] == [] and row["error_estimate"][0] == [0.0, 0.0], row["method"]
        assert row["hessian"][1][1] == 2.0 and math.isfinite(row["error_estimate"][1][1]), row["method"]


def test_a_partial_whose_bound_is_not_finite_says_its_estimate_is_unknowable():
    """1/(((x + 1e17) − 1e17) − x − 1) at 8.5: the divisor is −1 exactly, but as rounded it is 6.5 or −0.5
    ((8.5 + 1e17) rounds to a multiple of 16), so its bound reaches its own size and the quotient's bound is
    infinite.  The rules' partial, 0 (d/dx of x − x), has a value; its est. error is unknowable, and the row
    says so, as the stencils' rows do (it was left out silently)."""
    record = compare("1/(((x + 1e17) - 1e17) - x - 1)", {"x": 8.5}, methods=["reverse", "dual", "symbolic"],
                     timing=False)
    for row in record["methods"]:
        assert row["gradient"]["x"] == 0.0 and row["error_estimate"] == {"x": None}, row["method"]
        assert row["warnings"] == [f"{row['method']}: the error of ∂f/∂x cannot be estimated: its rounding "
                                   "bound is not finite here (a divisor whose rounding may reach its own "
                                   "size, or a bound that overflows) (est. error: unknowable)"]
