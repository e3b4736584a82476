"""The reference itself: right digits where naive numerical differentiation fails, honest when it cannot."""

import mpmath
import pytest

import diffcli.reference as reference_module
from diffcli.core.errors import PrecisionError
from diffcli.core.parse import parse
from diffcli.reference import reference

M = mpmath.MPContext()
M.dps = 80


@pytest.mark.parametrize("text, point, truth", [
    # f huge or the derivative tiny: a difference quotient at fixed precision cancels to exactly 0 here
    ("1e100 + x", {"x": 1.0}, lambda: M.one),
    ("1 + 1e-200*x", {"x": 1.0}, lambda: M.mpf(1e-200)),
    ("(1e100 + x) - 1e100", {"x": 1.0}, lambda: M.one),
    # steps that would cross a singularity or a kink: the complex step stays on the real line
    ("sqrt(x)", {"x": 1e-300}, lambda: 1 / (2 * M.sqrt(M.mpf(1e-300)))),
    ("abs(x)", {"x": 1e-300}, lambda: M.one),
    ("log(x)", {"x": 1e-250}, lambda: 1 / M.mpf(1e-250)),
])
def test_hard_cases_are_right(text, point, truth):
    ref = reference(parse(text), point, digits=50)
    assert ref.note is None
    got, expected = M.mpf(ref.text(ref.gradient["x"])), truth()
    assert abs(got - expected) <= M.mpf(10) ** -49 * abs(expected)


def test_point_is_the_exact_double():
    """x=1.7 is 1.6999999999999999555910790149937…, and the reference is taken there."""
    ref = reference(parse("x**2"), {"x": 1.7}, digits=40)
    assert abs(M.mpf(ref.text(ref.gradient["x"])) - 2 * M.mpf(1.7)) < M.mpf(10) ** -39
    assert ref.text(ref.gradient["x"]).startswith("3.39999999999999991118")


def test_kink_uses_a_one_sided_mpmath_diff():
    ref = reference(parse("abs(x) + 2*relu(x)"), {"x": 0.0}, digits=30, one_sided=True)
    assert ref.method.startswith("mpmath.diff") and M.mpf(ref.text(ref.gradient["x"])) == 3


def test_ill_conditioned_point_shows_only_agreeing_digits(monkeypatch):
    """With a singularity 1.1e-16 away and no extra guard digits allowed, the two runs disagree after about
    35 digits: the reference keeps those, says so, and they are right."""
    monkeypatch.setattr(reference_module, "GUARD_DIGITS", ((15, 30),))
    c = 0.9999999999999999
    ref = reference(parse(f"log(x - {c!r})"), {"x": 1.0}, digits=50)
    assert ref.note and "ill-conditioned" in ref.note
    assert 20 <= ref.digits < 50
    truth = 1 / (1 - M.mpf(c))
    assert abs(M.mpf(ref.text(ref.gradient["x"])) - truth) <= M.mpf(10) ** -(ref.digits - 1) * truth
    assert ref.as_json()["note"] == ref.note


def test_not_differentiable_beside_the_point_is_refused():
    with pytest.raises(PrecisionError, match="no reference derivative"):
        reference(parse("sqrt(x)"), {"x": 0.0}, digits=30)


def test_mpmath_global_precision_untouched():
    before = mpmath.mp.dps
    reference(parse("sin(x)"), {"x": 1.0}, digits=200)
    assert mpmath.mp.dps == before
