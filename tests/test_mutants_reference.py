"""Fixed tests for mistakes in the reference that ``tools/mutate.py`` planted and no other test noticed.

Each test names the behaviour it pins; its expected values come from closed forms or from mpmath directly,
never from the reference itself.
"""

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
