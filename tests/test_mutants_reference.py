"""Fixed tests for mistakes in the reference that ``tools/mutate.py`` planted and no other test noticed.

Each test names the behaviour it pins; its expected values come from closed forms or from mpmath directly,
never from the reference itself.
"""

import re

import mpmath
import pytest

from diffcli.core.parse import parse
from diffcli.reference import reference, reference_partials

M = mpmath.MPContext()
M.dps = 60


@pytest.mark.parametrize("x, shown", [
    # 2^-13 = 0.0001220703125 (exponent -4) is written out; 2^-14 and 2^-16 (exponent -5) are scientific
    (2.0 ** -13, "0.0001220703125"),
    (2.0 ** -14, "6.103515625e-5"),
    (2.0 ** -16, "1.52587890625e-5"),
    # 2^83 = 9671406556917033397649408 (25 digits) is written out; 2^84 (26 digits) is scientific
    (2.0 ** 83, "9671406556917033397649408.0"),
    (2.0 ** 84, "1.9342813113834066795298816e+25"),
])
def test_reference_digits_are_written_out_from_1e_minus_4_to_25_digits(x, shown):
    """The value of f = x is the double itself, exact in decimal: the record writes it out in fixed
    point for exponents -4 … 24, in scientific notation outside."""
    assert reference(parse("x"), {"x": x}, digits=30).as_json()["value"] == shown


def test_partials_reference_gives_50_digits_by_default():
    result = reference_partials(parse("x**3"), {"x": 2.0}, [(2,)])
    assert result.digits == 50
    assert result.text(result.derivatives[(2,)]) == "12.0"  # 6x at 2


@pytest.mark.parametrize("text, x, below", [
    # f = x/3 + t**1.5 with t = x - edge >= 0: the one-sided slope at the edge is exactly 1/3
    ("x/3 + sqrt(x)**3", 0.0, "x < 0.0"),
    ("x/3 + sqrt(x + 2)**3", -2.0, "x < -2.0"),
    # mirrored: f real only for x <= 0, slope 1/3 from the left
    ("x/3 - sqrt(-x)**3", 0.0, "x > 0.0"),
])
def test_one_sided_slope_at_a_domain_edge_has_every_digit(text, x, below):
    """At an edge of f's domain the partial is the one-sided slope, computed on the real side (a negative
    point too) with all the digits asked for: 1/3 to 30 digits, not the ~19 of a 64-bit quotient."""
    result = reference(parse(text), {"x": x}, digits=30)
    assert result.errors == {}
    assert result.text(result.gradient["x"]) == M.nstr(M.mpf(1) / 3, 30)
    assert result.note == f"∂f/∂x is one-sided: f is undefined for {below}"


@pytest.mark.parametrize("y", [2.0, 4.0, 3.0])
def test_no_partial_where_f_is_real_only_at_integer_exponents(y):
    """(-x)**y at x = 2 is real only where y is an integer: ∂f/∂y does not exist, for y = 2 and 4 as for 3
    (a nudge of y by a power of two must not land on another integer), while ∂f/∂x = -y·(-2)^(y-1)."""
    result = reference(parse("(-x)**y"), {"x": 2.0, "y": y}, digits=30)
    assert result.gradient["y"] is None
    assert result.errors["y"] == f"∂f/∂y does not exist: f is not real for y near {y!r}"
    assert result.text(result.gradient["x"]) == M.nstr(-y * M.mpf(-2) ** (y - 1), 30)


@pytest.mark.parametrize("exponent, z", [("2*z", 1.5), ("(z + 1)*2", 0.5), ("((z + 1)*2) - 1", 0.5)])
def test_no_partial_where_the_exponent_reaches_z_through_several_operations(exponent, z):
    """The exponent is an integer at the point (3, 3, 2) and not beside it, so (-x)**exponent at x = 2 has
    no ∂f/∂z, however many operations lie between z and the power."""
    result = reference(parse(f"(-x)**({exponent})"), {"x": 2.0, "z": z}, digits=20)
    assert result.errors == {"z": f"∂f/∂z does not exist: f is not real for z near {z!r}"}


@pytest.mark.parametrize("text, how", [
    # the one-sided slope -1/(2·sqrt(t)) at step t: larger in size at the smaller step, though negative
    ("-sqrt(x)", "grows without bound"),
    # -1.01·t^0.01 shrinks in size as t shrinks, too slowly to settle: it does not grow, though negative
    ("-(x**1.01)", "changes with the step too slowly to settle (like t^a with 1 < a < 1.5)"),
])
def test_a_negative_one_sided_slope_that_does_not_settle_is_told_by_its_size(text, how):
    result = reference(parse(text), {"x": 0.0}, digits=30)
    assert result.gradient["x"] is None and result.note is None  # the error says it all: no one-sided note
    assert result.errors["x"].endswith(f"f is undefined for x < 0.0 and the one-sided slope at 0.0 {how}")


def test_a_zero_partial_settled_by_its_floor_is_shown_without_a_note():
    """exp(x)·exp(−x) at x = 2: ∂f/∂x = 0, which the two runs leave as different residues; it is 0 to the
    digits asked for (within 10^-30 of its largest term e²), and all digits asked for are shown."""
    result = reference(parse("exp(x)*exp(-x)"), {"x": 2.0}, digits=30)
    assert result.text(result.gradient["x"]) == "0" and result.text(result.value) == "1.0"
    assert result.note is None and result.digits == 30


def test_zero_partials_among_huge_terms_are_zero_relative_to_those_terms():
    """(a²·sin x)² + (a²·cos x)² − (a²)² with a = 1e300 is 0 for every a and x, so both partials are 0; the
    terms that meet in ∂f/∂x are about a⁴ = 1e1200, and what cancellation may have left in them is far
    below 10^-30 of that, but not below 10^-30 itself: shown as 0 with no bound of theirs in the note.  f's
    value keeps its bound, written with two significant digits."""
    result = reference(parse("(a*a*sin(x))**2 + (a*a*cos(x))**2 - (a*a)**2"), {"a": 1e300, "x": 1.0},
                       digits=30)
    assert [result.text(result.gradient[name]) for name in ("a", "x")] == ["0", "0"]
    assert re.fullmatch(r"cancellation beyond the largest working precision: f is 0 within ±\d\.\de-\d+; "
                        r"shown as 0, its digits are unknown", result.note)


def test_the_bound_of_an_unknown_value_is_written_with_two_significant_digits():
    """(sin²x + cos²x − 1)·1.2345 is 0 for every x, but rounds to noise at every working precision: the note
    gives the bound within which f is 0 with two significant digits (its third is not 0 here: the bound
    carries the factor 1.2345 times the sum of the terms met, about 4)."""
    result = reference(parse("(sin(x)**2 + cos(x)**2 - 1)*1.2345"), {"x": 1.0}, digits=30)
    assert result.text(result.value) == "0"
    assert re.fullmatch(r"cancellation beyond the largest working precision: f is 0 within ±[1-9]\.\de-\d+; "
                        r"shown as 0, its digits are unknown", result.note)


def test_cancellation_is_repaid_with_slack_to_spare(monkeypatch):
    """(1e11 + x) − 1e11 at x = 1/3 loses about 11.5 digits to cancellation (1e11 against 0.33); with only 2
    and 4 guard digits allowed, the runs are repeated with the digits lost plus SLACK_DIGITS (5) more, so
    the 10 digits asked for are right: f is the double nearest 1/3, and its right derivative 1 (runs
    repeated with the digits lost less the slack, 19 and 21 working digits, would agree on about 8)."""
    import diffcli.reference as reference_module

    monkeypatch.setattr(reference_module, "GUARD_DIGITS", ((2, 4),))
    result = reference(parse("(1e11 + x) - 1e11"), {"x": 1 / 3}, digits=10, one_sided=True)
    assert result.note is None and result.digits == 10
    assert result.text(result.value) == M.nstr(M.mpf(1 / 3), 10) == "0.3333333333"
    assert result.text(result.gradient["x"]) == "1.0"


@pytest.mark.parametrize("text", ["sin(-1e300 + x)", "sin(x + -1e300)", "sin(x - 1e300)"])
def test_an_argument_absorbed_by_a_huge_negative_term_is_seen(text):
    """-1e300 + x at x = 1/3 needs about 317 digits to keep x, more than any guard digits give: the
    reference must see that sum absorb x (whichever operand is negative) and raise its working precision,
    or sin's value and slope come out wrong.  Expected: mpmath at 400 digits on the exact doubles."""
    wide = mpmath.MPContext()
    wide.dps = 400
    argument = wide.mpf(-1e300) + wide.mpf(1 / 3)
    result = reference(parse(text), {"x": 1 / 3}, digits=20)
    assert result.note is None
    assert result.text(result.value) == wide.nstr(wide.sin(argument), 20)
    assert result.text(result.gradient["x"]) == wide.nstr(wide.cos(argument), 20)



@pytest.mark.parametrize("text, slopes", [
    # (x − 1)**e with e = y·1e1500 (an even integer beside y = 1): 0 at x = 1 with both slopes 0, since
    # e·0^(e−1) = 0 and log(0)·0^e → 0; the second term gives 1
    ("(x - 1)**(y*1e300*1e300*1e300*1e300*1e300) + ((1e20 + x) - 1e20)", ["1.0", "0"]),
    ("(x - 1)**(2 + y*1e300*1e300*1e300*1e300*1e300) + ((1e20 + y) - 1e20)", ["0", "1.0"]),
])
def test_terms_past_the_floats_range_beside_an_exact_zero(text, slopes):
    """An exponent of 1e1500 is past the floats' range (the neighbourhood screen sees inf) and its powers
    of the base 0 are past any precision's spread: the reference still answers, f = 1, and the rounding of
    the exponent, whose partials vanish at base 0, costs nothing."""
    result = reference(parse(text), {"x": 1.0, "y": 1.0}, digits=20)
    assert result.note is None and result.errors == {}
    assert [result.text(result.value), result.text(result.gradient["x"]), result.text(result.gradient["y"])] \
        == ["1.0", *slopes]


def test_an_edge_is_found_where_f_overflows_the_floats():
    """x/3 + sqrt(x)**3 + y·1e600 at x = 0, y = 1 overflows the floats, so the neighbourhood screen reads
    mpmath's values: it must still see sqrt at its edge (f undefined for x < 0), where the one-sided slope
    is 1/3, while ∂f/∂y = 1e600 (the double 1e300 squared)."""
    result = reference(parse("x/3 + sqrt(x)**3 + y*1e300*1e300"), {"x": 0.0, "y": 1.0}, digits=20)
    assert result.errors == {} and result.note == "∂f/∂x is one-sided: f is undefined for x < 0.0"
    assert result.text(result.gradient["x"]) == M.nstr(M.mpf(1) / 3, 20)
    assert result.text(result.gradient["y"]) == M.nstr(M.mpf(1e300) ** 2, 20)


@pytest.mark.parametrize("text, slope", [
    # the rise of sqrt over a step δ far below the working precision is absorbed by 1e200 unless the
    # precision is raised: the slope 1/(2·sqrt(δ)) is unbounded, not 0
    ("sqrt(x) + 1e200", None),
    ("x/3 + sqrt(x)**3 + 1e200", M.nstr(M.mpf(1) / 3, 20)),   # 1/3 + 1.5·sqrt(δ) → 1/3, not 0
])
def test_a_one_sided_slope_beside_a_huge_value_is_not_absorbed(text, slope):
    result = reference(parse(text), {"x": 0.0}, digits=20)
    if slope is None:
        assert result.errors == {"x": "∂f/∂x does not exist: f is undefined for x < 0.0 and the one-sided "
                                      "slope at 0.0 grows without bound"}
    else:
        assert result.text(result.gradient["x"]) == slope


def test_sides_are_tested_at_the_step_closest_to_the_point():
    """sqrt(x·(x − y)) at x = 0 with y = 1.5·2^-84 is real left of 0 and on [y, ∞), not on (0, y): just
    right of the point f is undefined, however small y.  The reference, at 20 + 30 working digits (169
    bits), tests each side at δ = 2^-84: x = δ is inside (0, y), x = 2δ would not be.  Left of 0 the slope
    of sqrt(|x|·y) is unbounded."""
    result = reference(parse("sqrt(x*(x - y))"), {"x": 0.0, "y": 1.5 * 2.0 ** -84}, digits=20)
    assert result.errors == {"x": "∂f/∂x does not exist: f is undefined for x > 0.0 and the one-sided slope "
                                  "at 0.0 grows without bound"}
    assert result.text(result.gradient["y"]) == "0"  # f(0, y) = sqrt(0) for every y


def test_partials_reference_refuses_when_no_derivative_asked_for_settles():
    """abs(x − 2) has a kink at 2: its second derivative there does not exist (mpmath.diff's runs do not
    agree), and when it is the only one asked for, and no variable lacks a real neighbourhood, the reference
    refuses as a whole."""
    from diffcli.core.errors import PrecisionError

    with pytest.raises(PrecisionError, match="could not reach 20 correct digits at this point"):
        reference_partials(parse("abs(x - 2)"), {"x": 2.0}, [(2,)], digits=20)


def test_an_unbounded_edge_slope_is_told_where_f_overflows_the_floats():
    """sqrt(x) + y·1e600 at x = 0, y = 1: the floats overflow, and the reference still answers: ∂f/∂x does
    not exist (the one-sided slope 1/(2·sqrt(t)) is unbounded), ∂f/∂y = 1e600."""
    result = reference(parse("sqrt(x) + y*1e300*1e300"), {"x": 0.0, "y": 1.0}, digits=20)
    assert result.errors == {"x": "∂f/∂x does not exist: f is undefined for x < 0.0 and the one-sided slope "
                                  "at 0.0 grows without bound"}
    assert result.text(result.gradient["y"]) == M.nstr(M.mpf(1e300) ** 2, 20)


def test_a_one_sided_slope_that_flips_sign_between_the_steps_is_not_called_growing():
    """f = x·sign((x − a)(x − b)(x − c²)) at x = 0, real only for x ≥ 0 (sqrt(x) − sqrt(x) is 0 there and
    undefined below): its one-sided slope over a step δ is ±1 exactly, the sign of the product.  The
    thresholds a = 2^-400, b = 2^-700, c² = 2^-1500 lie between the two steps of each pair of runs (2^-372
    and 2^-504 at 20 digits with 15 and 30 guard digits, 2^-592 and 2^-944 with 40 and 80, 2^-1122 and
    2^-2006 with 100 and 200), so every pair gets 1 and -1: no digit settles, and a slope of the same size
    at the smaller step does not grow."""
    point = {"x": 0.0, "a": 2.0 ** -400, "b": 2.0 ** -700, "c": 2.0 ** -750}
    result = reference(parse("x*sign((x - a)*(x - b)*(x - c*c)) + (sqrt(x) - sqrt(x))"), point, digits=20)
    assert result.errors == {"x": "no reference for ∂f/∂x: f is undefined for x < 0.0 and the one-sided "
                                  "slope at 0.0 changes with the step too slowly to settle (like t^a with "
                                  "1 < a < 1.5)"}
    assert [result.text(result.gradient[name]) for name in "abc"] == ["0", "0", "0"]


def test_a_zero_sum_is_moved_by_its_own_terms_not_by_a_huge_unrelated_one():
    """cos(sin(y)*2 − sin(y) − sin(y)) is cos(0) = 1 for every y, and every run computes the sum as exactly
    0 (a zero sum with a zero adjoint, moved by its error bound to measure it): that bound comes from sin(y)
    and 2·sin(y), its own terms, not from W = z·z·z·z·z = 1e1500 beside it, which would move it by more
    than any working precision holds.  W/W is 1 exactly: f = x + 1 + 1 = 2.5, ∂f/∂x = 1, ∂f/∂y = ∂f/∂z = 0."""
    result = reference(parse("x + cos(sin(y)*2 - sin(y) - sin(y)) + (z*z*z*z*z)/(z*z*z*z*z)"),
                       {"x": 0.5, "y": 0.7, "z": 1e300}, digits=20)
    assert result.note is None and result.errors == {}
    assert [result.text(q) for q in (result.value, *result.gradient.values())] == ["2.5", "1.0", "0", "0"]


def test_zero_sums_that_reach_a_partial_only_through_real_factors_are_not_measured(monkeypatch):
    """In ∂f/∂x's complex step the sums sin(k·y)*2 − sin(k·y) − sin(k·y) are exactly 0 in their real parts
    (sin(k·y) inexact, so the 0 cannot be proven) and reach f only through a sum and a product by the real
    2: a real part's error cannot reach the imaginary part there, so they are not measured.  With at most 3
    zero sums measured, four that were would leave ∂f/∂x unresolved and refused; it is 1 exactly."""
    import diffcli.reference.cancellation as cancellation

    monkeypatch.setattr(cancellation, "MAX_JOINT_SUSPECTS", 3)
    text = "x + (" + " + ".join(f"(sin(y*{k})*2 - sin(y*{k}) - sin(y*{k}))" for k in range(1, 5)) + ")*2"
    result = reference(parse(text), {"x": 0.5, "y": 0.7}, digits=20, variables=["x"])
    assert result.errors == {} and result.note is None
    assert (result.text(result.value), result.text(result.gradient["x"])) == ("0.5", "1.0")


@pytest.mark.parametrize("text, slope", [
    # the rise 1/(2·sqrt(δ))·δ of sqrt over a step δ far below the working precision, beside 1e3900: it is
    # lost at every precision edge_slope reaches by doubling, and must not be read as a slope of 0
    ("sqrt(x) + w**13", None),
    ("x/3 + sqrt(x)**3 + w**13", M.nstr(M.mpf(1) / 3, 20)),   # 1/3 + 1.5·sqrt(δ) → 1/3, not 0
])
def test_a_one_sided_rise_lost_beside_a_far_larger_term_is_never_a_zero_slope(text, slope):
    """w**13 at w = 1e300 is 1e3900, about 2^12955: beside it a rise of 2^-prec is lost even at sixteen
    times the first walk's precision.  The runs are repeated with more working digits until it is not."""
    result = reference(parse(text), {"x": 0.0, "w": 1e300}, digits=20)
    assert result.text(result.gradient["w"]) == M.nstr(13 * M.mpf(1e300) ** 12, 20)
    if slope is None:
        assert result.errors == {"x": "∂f/∂x does not exist: f is undefined for x < 0.0 and the one-sided "
                                      "slope at 0.0 grows without bound"}
    else:
        assert result.errors == {} and result.text(result.gradient["x"]) == slope


@pytest.mark.parametrize("power", [250, 400])
def test_a_one_sided_rise_lost_at_the_largest_precision_is_refused(power):
    """w**250 at w = 1e300 is 1e75000, about 2^249000: beside it the rise of sqrt(x) over the step is lost
    at every working precision, since the walks start at three times the largest run's (about 5,000 bits:
    20 digits, 81 for the step, 200 guard and 1,200 extra) and double at most EDGE_DOUBLINGS = 4 times, to
    16·(3·5,000 + 64) bits, about 2^241000.  So ∂f/∂x has no reference (nor beside 1e120000); f and
    ∂f/∂w = power·w**(power − 1) still have theirs."""
    result = reference(parse(f"sqrt(x) + w**{power}"), {"x": 0.0, "w": 1e300}, digits=20)
    assert result.errors == {"x": "no reference for ∂f/∂x: it cancels beyond the largest working precision "
                                  "here, so its digits are unknown"}
    assert result.text(result.gradient["w"]) == M.nstr(power * M.mpf(1e300) ** (power - 1), 20)


def test_a_program_whose_output_is_not_its_last_node_beside_an_exactly_cancelling_sum():
    """s = x + 2·(sin(y)*2 − sin(y) − sin(y)); u = s + 3; s: f is s = x + 0 = 0.5, and u's nodes come
    after f's output.  The cancelling sum is 0 in the real parts of ∂f/∂x's complex step, whose paths to
    the output are walked back from the output only, never from u's nodes: ∂f/∂x = 1, ∂f/∂y = 0."""
    result = reference(parse("s = x + (sin(y)*2 - sin(y) - sin(y))*2; u = s + 3; s"), {"x": 0.5, "y": 0.7},
                       digits=20)
    assert result.errors == {} and result.note is None
    assert [result.text(q) for q in (result.value, result.gradient["x"], result.gradient["y"])] \
        == ["0.5", "1.0", "0"]


@pytest.mark.parametrize("power", ["w", "w**13"])
def test_a_one_sided_rise_that_is_exactly_0_beside_a_large_term_is_a_zero_slope(power):
    """sqrt(x) − sqrt(x) + W is W for every x ≥ 0 and undefined below: the one-sided slope is exactly 0.
    Beside W = 1e300 (or 1e3900) a rise of 0 could also be one lost, so the rise is looked at again at
    higher precisions, until one lost there would be a slope below the digits: shown as 0, not refused."""
    result = reference(parse(f"sqrt(x) - sqrt(x) + {power}"), {"x": 0.0, "w": 1e300}, digits=20)
    assert result.errors == {} and result.note == "∂f/∂x is one-sided: f is undefined for x < 0.0"
    assert result.text(result.gradient["x"]) == "0"


def test_a_slowly_rising_one_sided_slope_beside_a_large_term_is_not_a_zero_slope():
    """x**1.01 + 1e111 at 0: over a step δ = 2^-372 (the lower run at 20 digits) the rise δ^1.01, about
    2^-376, is lost beside 1e111 (about 2^369) at the first walk's 622 bits, and a rise lost there could be
    a slope up to 2^(369 - 622)/δ = 2^119, not 0: the walk is repeated at a higher precision, where the
    slope 1.01·δ^0.01 shows, shrinking too slowly with the step to settle."""
    result = reference(parse("x**1.01 + 1e111"), {"x": 0.0}, digits=20)
    assert result.errors == {"x": "no reference for ∂f/∂x: f is undefined for x < 0.0 and the one-sided "
                                  "slope at 0.0 changes with the step too slowly to settle (like t^a with "
                                  "1 < a < 1.5)"}


@pytest.mark.parametrize("text", ["log2(x) - 3", "hypot(x, 4) - 5", "(log2(x) - 3)*y"])
def test_a_zero_from_exact_values_of_functions_is_shown_as_0_without_a_note(text):
    """log2(8) = 3 and hypot(3, 4) = 5 exactly, so f = 0 at x = 8 (x = 3 for hypot) is an exact 0, not one
    cancelled beyond every working precision: '0' with no bound in a note."""
    x = 3.0 if "hypot" in text else 8.0
    result = reference(parse(text), {"x": x, "y": 2.0}, digits=20)
    assert result.text(result.value) == "0" and result.note is None and result.errors == {}


def test_a_product_by_an_exact_zero_is_0_at_once():
    """y·sin(x) at y = 0 is exactly 0 although sin(x) is not exact: every node is 0 or moves f by nothing
    (sin(x)'s adjoint is y = 0), so nothing can have been lost: f = 0 with no note, ∂f/∂x = y·cos(x) = 0,
    ∂f/∂y = sin(0.5) (mpmath)."""
    result = reference(parse("y*sin(x)"), {"x": 0.5, "y": 0.0}, digits=20)
    assert result.note is None and result.errors == {}
    assert [result.text(result.value), result.text(result.gradient["x"]), result.text(result.gradient["y"])] \
        == ["0", "0", M.nstr(M.sin(M.mpf(0.5)), 20)]


@pytest.mark.parametrize("text, slope", [
    ("abs(-3*x)", "3.0"),    # f = 3|x|: right slope 3 at 0
    ("max(x, 2*x)", "2.0"),  # f = 2x for x >= 0: right slope 2
    ("sqrt(x*x)", "1.0"),    # f = |x|: right slope 1
])
def test_a_one_sided_reference_at_a_kink_takes_both_runs_one_sided(text, slope):
    """With one_sided the lower run is mpmath.diff's right derivative too, never the rules' complex step
    (which sees the kink itself, or x*x < 0 just beside it): the right slopes by hand."""
    result = reference(parse(text), {"x": 0.0}, digits=20, one_sided=True)
    assert result.errors == {}
    assert result.text(result.gradient["x"]) == slope


def _run(text, point, dps=30):
    from diffcli.core.evaluate import evaluate_mp

    m = mpmath.MPContext()
    m.dps = dps
    graph = parse(text)
    return m, graph, evaluate_mp(graph, {k: m.mpf(v) for k, v in point.items()}, m, every=True)


def test_a_node_whose_adjoint_the_table_makes_0_adds_no_loss():
    """0.0**(x*1e30) + ((y + 1e20) - 1e20) at x = y = 1: the table gives 0.0**u no partial in u, so u = 1e30
    (no adjoint) moves f by nothing; the loss is the sums' Σ|∂f/∂n|·|n| = (1e20 + 1) + 1 (and the power's
    value 0) over f = 1: log10(1e20 + 2) = 20 digits, not the 30 that weighing u by 1 would give."""
    from diffcli.reference.cancellation import assess, sensitivities

    m, graph, values = _run("0.0**(x*1e30) + ((y + 1e20) - 1e20)", {"x": 1.0, "y": 1.0})
    loss = assess(m, graph, values, False, lambda: sensitivities(m, graph, values))
    assert abs(loss.digits - 20.0) < 1e-9 and not loss.unresolved


def test_a_run_whose_nodes_are_all_0_computed_its_0_within_its_bound():
    """x*y at x = y = 0: every node is 0, so the bound is 0 and the quantity, 0, is within it (Loss.zero)."""
    from diffcli.reference.cancellation import assess, sensitivities

    m, graph, values = _run("x*y", {"x": 0.0, "y": 0.0})
    loss = assess(m, graph, values, False, lambda: sensitivities(m, graph, values))
    assert loss.bound == 0 and loss.zero and not loss.unresolved


def test_the_reverse_algebra_multiplies_by_a_float_partial_other_than_plus_or_minus_1():
    """ReverseAlgebra.times is a product: only ±1.0 skip the multiplication."""
    from diffcli.reference.cancellation import ReverseAlgebra

    m = mpmath.MPContext()
    m.dps = 30
    algebra = ReverseAlgebra(m)
    three = m.mpf(3)
    assert [algebra.times(three, p) for p in (1.0, -1.0, 2.0, 0.5, 0.0)] == [3, -3, 6, 1.5, 0]


def test_more_than_1000_joint_suspects_leave_the_run_unresolved():
    """MAX_JOINT_SUSPECTS is 1000: 1,000 zero sums are still moved (all together), 1,001 are not (None).
    The one sum of (x + 1) - x at 0.5 stands for each of them."""
    from diffcli.reference.cancellation import _moved

    m, graph, values = _run("(x + 1) - x", {"x": 0.5})
    sub = graph.output
    assert _moved(m, graph, values, [(sub, 0)] * 1000, (m.re, m.im), False) is not None
    assert _moved(m, graph, values, [(sub, 0)] * 1001, (m.re, m.im), False) is None


def test_more_than_8_suspects_are_moved_together_with_four_sign_patterns(monkeypatch):
    """Past MAX_SUSPECTS (8) the suspects move together: all +, all -, and alternating from + and from -;
    each pattern's move is asked once."""
    from diffcli.reference import cancellation

    m, graph, values = _run("(x + 1) - x", {"x": 0.5})
    asked = []

    def move(m, graph, values, steps, signs, part, imaginary):
        asked.append(list(signs))
        return m.mpf(len(asked))

    monkeypatch.setattr(cancellation, "_move", move)
    moved = cancellation._moved(m, graph, values, [(graph.output, 0)] * 9, (m.re, m.im), False)
    assert sorted(asked) == sorted([[1] * 9, [-1] * 9, [1, -1] * 4 + [1], [-1, 1] * 4 + [-1]])
    assert moved == 4


def test_a_sum_absorbed_at_every_working_precision_of_the_first_runs_is_undefined_at_the_point():
    """log((x + y⁴) - x) at x = 1, y = 2^-1050: y⁴ = 2^-4200, and 1 + 2^-4200 needs 4,201 bits.  The first
    pair of runs works with at most digits + 30 + MAX_EXTRA_DIGITS = 20 + 30 + 1200 = 1250 digits (about
    4,152 bits), where the sum is 1 and f is log(0): f is undefined at the point as the runs evaluate it,
    which the refusal says, never that f is undefined beside the point (so not differentiable there), as
    it would if the point were checked at more digits (1300, about 4,318 bits) than the runs have."""
    from diffcli.core.errors import PrecisionError

    with pytest.raises(PrecisionError) as error:
        reference(parse("log((x + y*y*y*y) - x)"), {"x": 1.0, "y": 2.0 ** -1050}, digits=20)
    assert str(error.value).startswith("no reference: f is undefined at the point")
    assert "(x + y*y*y*y) - x = 0.0" in str(error.value) and "differentiable" not in str(error.value)
