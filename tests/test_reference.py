"""The reference itself: right digits where naive numerical differentiation fails, honest when it cannot."""

import ast
import json
import math
import re
from fractions import Fraction

import mpmath
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

import diffcli.reference as reference_module
from diffcli.core.errors import PrecisionError
from diffcli.core.parse import parse
from diffcli.reference import reference, reference_partials

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


def test_kink_uses_a_right_difference_quotient():
    ref = reference(parse("abs(x) + 2*relu(x)"), {"x": 0.0}, digits=30, one_sided=True)
    assert ref.method == "right difference quotient in mpmath" and M.mpf(ref.text(ref.gradient["x"])) == 3


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


def test_not_differentiable_beside_the_point_is_that_partial_s_error():
    """sqrt(x) at 0: f = 0 is given; ∂f/∂x does not exist (f is undefined left of 0, its slope from the
    right is 1/(2·sqrt(t)), unbounded), so that partial is None with the reason, never digits."""
    ref = reference(parse("sqrt(x)"), {"x": 0.0}, digits=30)
    assert ref.text(ref.value) == "0" and ref.gradient == {"x": None}
    assert ref.errors == {"x": "∂f/∂x does not exist: f is undefined for x < 0.0 and the one-sided slope "
                               "at 0.0 grows without bound"}


def test_mpmath_global_precision_untouched():
    before = mpmath.mp.dps
    reference(parse("sin(x)"), {"x": 1.0}, digits=200)
    assert mpmath.mp.dps == before


# ---------------------------------------------------------------- cancellation past the working precision

def _exact(text, point, digits=50):
    """The reference at ``point``, with its value and gradient checked for a note saying digits are
    unknown."""
    ref = reference(parse(text), point, digits=digits)
    return ref, M.mpf(ref.text(ref.value)), {n: M.mpf(ref.text(g)) for n, g in ref.gradient.items()}


@pytest.mark.parametrize("text, value, slope", [
    # both working precisions round 1e125 + 1 to 1e125: agreeing runs are not enough
    ("(1e125 + x) - 1e125", 1, 1),
    ("(1e300 + x) - 1e300", 1, 1),
    ("(x + 1e-300*x) - x", 1e-300, 1e-300),
    # the cancellation is in the derivative only: Im parts 2e125·h + h − 2e125·h
    ("(1e125*x*x + x) - 1e125*x*x", 1, 1),
    # the adjoint of the absorbing sum is 2t = 0 where t was computed as 0: first order alone misses it
    ("((1e125 + x) - 1e125)**2 + 1", 2, 2),
    ("((1e125 + x) - 1e125 - 1)**2 + 1", 1, 0),
    ("cos((1e125 + x) - 1e125) * 2", 2 * M.cos(1), -2 * M.sin(1)),
    # the real part of x + ih lost, and with it the imaginary part of t**3 (found by hypothesis)
    ("1e125 + ((1e125 + x) - 1e125) + ((1e125 + x) - 1e125)**3", 1e125 + 2, 4),
    ("1e125 + x*((1e125 + x) - 1e125)", 1e125 + 1, 2),
    # lost inside a function, found at the difference
    ("(exp(1e-125*x) - 1) * 1e125", 1e125 * M.expm1(M.mpf(1e-125)),
     1e125 * M.mpf(1e-125) * M.exp(M.mpf(1e-125))),
])
def test_cancellation_past_both_working_precisions(text, value, slope):
    ref, got, gradient = _exact(text, {"x": 1.0})
    assert ref.note is None and ref.digits == 50
    for number, truth in ((got, M.mpf(value)), (gradient["x"], M.mpf(slope))):
        assert abs(number - truth) <= M.mpf(10) ** -49 * abs(truth)


def test_derivative_through_a_factor_absorbed_at_the_point():
    """∂/∂x of x·((z + 1e125) − 1e125) is z: the absorbed sum does not move with x, its error still counts."""
    ref = reference(parse("1e125 + x*((z + 1e125) - 1e125)"), {"x": 1.0, "z": 3.0}, digits=50)
    assert ref.note is None
    assert M.mpf(ref.text(ref.gradient["x"])) == 3 and M.mpf(ref.text(ref.gradient["z"])) == 1


def test_absorbed_argument_of_a_sensitive_function():
    """sin(1e125 + x): no cancellation, but sin's condition number 1e125 shows the lost x."""
    ref, got, gradient = _exact("sin(1e125 + x)", {"x": 1.0})
    m = mpmath.MPContext()
    m.dps = 300
    argument = m.mpf(1e125) + 1
    assert abs(got - m.sin(argument)) < M.mpf(10) ** -48
    assert abs(gradient["x"] - m.cos(argument)) < M.mpf(10) ** -48


@pytest.mark.parametrize("text, point", [
    ("x - x", {"x": 0.3}), ("(x + 1) - (1 + x)", {"x": 0.3}), ("cos(x) - 1", {"x": 0.0}),
    ("exp(x) - 1", {"x": 0.0}), ("sqrt(x) - 2", {"x": 4.0}), ("x**3 - 8", {"x": 2.0}),
    ("x/4 - 0.5", {"x": 2.0}),
    ("(1e125*x + 1) - 1e125*x - 1", {"x": 3.0}), ("x*z - z*x", {"x": 0.1, "z": 3.0}),
])
def test_exact_zeros_are_shown_as_zeros(text, point):
    """A sum that cancels to exactly 0 from exactly computed operands is 0: no note, no refusal."""
    ref = reference(parse(text), point, digits=50)
    assert ref.note is None and ref.digits == 50
    assert ref.text(ref.value) == "0"


def test_zero_by_inexact_cancellation_is_shown_with_its_bound():
    """sin²+cos²−1 rounds to 0 or to noise at every precision: no digit of f is known, and the record says
    so with the bound it is 0 within, instead of showing noise with full digits.  Its derivative
    2·sin·cos − 2·cos·sin is 0 too, and its bound (below 1e-1000) is far within 10^-30 of its largest term
    (2·sin(1)·cos(1) ≈ 0.91): a partial that is 0 to the digits asked for, relative to the terms that met,
    is shown as 0 with no note (only f's value, whose terms may have been absorbed, keeps its bound)."""
    ref = reference(parse("sin(x)**2 + cos(x)**2 - 1 + 0*z"), {"x": 1.0, "z": 2.0}, digits=30)
    assert ref.text(ref.value) == "0" and ref.text(ref.gradient["x"]) == "0"
    assert "digits are unknown" in ref.note and "f is 0 within ±" in ref.note
    assert "∂f/∂x" not in ref.note and "∂f/∂z" not in ref.note
    bound = M.mpf(ref.note.split("f is 0 within ±")[1].split(";")[0])
    assert 0 < bound < M.mpf(10) ** -1000


def test_irrelevant_noise_costs_nothing():
    """A cancellation whose noise is swamped by the rest of f needs no extra digits and loses none."""
    ref, got, gradient = _exact("(sin(x)**2 + cos(x)**2 - 1) + x", {"x": 1.0})
    assert ref.note is None and got == 1 and gradient["x"] == 1
    assert ref.losses["value"].digits < 5


def test_loss_is_weighed_by_how_much_each_node_moves_f():
    """1e-200·((1e20 + x) − 1e20) loses 20 digits, not 220: the sum's size counts times its adjoint 1e-200."""
    ref = reference(parse("1e-200 * ((1e20 + x) - 1e20)"), {"x": 1.0}, digits=50)
    assert 19 < ref.losses["value"].digits < 21 and ref.note is None
    assert abs(M.mpf(ref.text(ref.value)) - M.mpf(1e-200)) <= M.mpf(10) ** -49 * M.mpf(1e-200)


def test_ordinary_expression_runs_at_the_ordinary_precision():
    """No suspicious sum: no adjoints, no extra digits (the second run works at digits + exponent + 30)."""
    ref = reference(parse("exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)"), {"x": 2.0, "z": 3.0}, digits=50)
    assert ref.context.dps == 50 + (50 // 2 + 5 + 30 // 3) + 30
    assert all(loss.digits == 0 and not loss.unresolved for loss in ref.losses.values())


def test_cancellation_asks_for_the_digits_it_lost():
    ref = reference(parse("(1e40 + x) - 1e40"), {"x": 1.0 / 3}, digits=50)
    assert ref.context.dps >= 50 + 40 + 30
    assert abs(M.mpf(ref.text(ref.value)) - M.mpf(1.0 / 3)) <= M.mpf(10) ** -49


def test_hessian_reference_sees_the_cancellation_too():
    r = reference_partials(parse("((1e125 + x) - 1e125)**3"), {"x": 1.0}, [(0,), (1,), (2,)], digits=30)
    assert [r.text(r.derivatives[o]) for o in [(0,), (1,), (2,)]] == ["1.0", "3.0", "6.0"]


def test_hessian_reference_refuses_unknown_digits():
    with pytest.raises(PrecisionError, match="digits are unknown"):
        reference_partials(parse("sin(x)**2 + cos(x)**2 - 1"), {"x": 1.0}, [(2,)], digits=20)


def test_compare_prints_the_value_one(cli):
    code, out, err = cli("compare", "(1e125 + x) - 1e125", "x=1", "--no-timing", "-f", "json")
    record = json.loads(out)
    assert (code == 0 and record["reference"]["value"] == "1.0"
            and record["reference"]["gradient"] == {"x": "1.0"})
    assert "note" not in record["reference"]


# ---------------------------------------------------------------- printed digits against exact rationals

BIG = [1e125, 1e300, 1e16, 2.0 ** 60, 1e-125, 1e-300, 3.0, 0.1, 7.0, 1 / 3]


def _leaf():
    return st.one_of(st.sampled_from(["x", "z"]), st.sampled_from(BIG).map(repr))


def _tree(children):
    ops = st.sampled_from(["+", "-", "*", "/"])
    return st.one_of(
        st.tuples(children, ops, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        # a large cancellation: E + C − C, C big or E's own sum
        st.tuples(children, st.sampled_from(BIG[:4]).map(repr)).map(
            lambda t: f"(({t[0]} + {t[1]}) - {t[1]})"),
    )


EXPRESSIONS = st.recursive(_leaf(), _tree, max_leaves=8)
POINTS = st.sampled_from([1.0, 3.0, -0.5, 0.1, 1e-20, 2.0 ** 70, 1 / 3, 12345.678])


def _dual(text, point):
    """f and ∂f/∂x, ∂f/∂z in exact rationals (dual numbers over Fraction); constant sub-expressions fold in
    float64 first, as the parser folds them.  None where a denominator is 0 (or a fold is not finite)."""
    tree = ast.parse(text, mode="eval").body
    ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}

    def walk(node):
        if isinstance(node, ast.Constant):
            return float(node.value), None
        if isinstance(node, ast.Name):
            return None, (Fraction(point[node.id]),
                          {n: Fraction(int(n == node.id)) for n in ("x", "z")})
        (fa, a), (fb, b) = walk(node.left), walk(node.right)
        op = ops[type(node.op)]
        if a is None and b is None:  # both constant: folded in float64
            result = {"+": fa + fb, "-": fa - fb, "*": fa * fb, "/": fa / fb if fb else math.inf}[op]
            if not math.isfinite(result):
                raise ZeroDivisionError
            return result, None
        a = a or (Fraction(fa), {"x": Fraction(0), "z": Fraction(0)})
        b = b or (Fraction(fb), {"x": Fraction(0), "z": Fraction(0)})
        (u, du), (v, dv) = a, b
        if op == "+":
            return None, (u + v, {n: du[n] + dv[n] for n in du})
        if op == "-":
            return None, (u - v, {n: du[n] - dv[n] for n in du})
        if op == "*":
            return None, (u * v, {n: du[n] * v + u * dv[n] for n in du})
        if not v:
            raise ZeroDivisionError
        return None, (u / v, {n: (du[n] * v - u * dv[n]) / (v * v) for n in du})
    try:
        folded, exact = walk(tree)
    except ZeroDivisionError:
        return None
    return exact or (Fraction(folded), {"x": Fraction(0), "z": Fraction(0)})


def _printed_right(text: str, truth: Fraction, digits: int) -> bool:
    shown = Fraction(text)
    if not truth:
        return not shown
    return abs(shown - truth) <= abs(truth) * Fraction(1, 10 ** (digits - 1))


def _bounds(note):
    """The quantities a note says are 0 within a bound: label → bound."""
    if not note or "digits are unknown" not in note:
        return {}
    found = re.findall(r"(f|∂f/∂\w+) is 0 within ±([^,;]+)", note)
    return {label: Fraction(bound) for label, bound in found}


@given(EXPRESSIONS, POINTS, POINTS)
@example("((x + 1e+125) - 1e+125)", 1.0, 1.0)
@example("(((x * 1e+125) + 1e+300) - 1e+300) / 1e+125", 0.1, 1.0)
@example("((x / 0.3333333333333333) + 1e+300) - 1e+300", 1.0 / 3, 1.0)
def test_printed_digits_are_right_under_large_cancellation(text, x, z):
    exact = _dual(text, {"x": x, "z": z})
    assume(exact is not None)
    value, gradient = exact
    try:
        ref = reference(parse(text), {"x": x, "z": z}, digits=30)
    except PrecisionError as error:  # a refusal prints no digit; it must say why
        assert "no reference" in error.message
        return
    bounds = _bounds(ref.note)
    shown = [("f", ref.value, value)] + [(f"∂f/∂{n}", ref.gradient[n], gradient[n]) for n in ref.gradient]
    for label, number, truth in shown:
        if label in bounds:
            assert ref.text(number) == "0" and abs(truth) <= bounds[label], (text, label)
        else:
            assert _printed_right(ref.text(number), truth, ref.digits), (text, label, ref.text(number), truth)


# ---------------------------------------------------------------- many variables, bounds, higher partials
# (tests written for survivors of tools/mutate.py)

def _many(count, term):
    """A sum of ``term`` over x0 … x(count-1), at x_i = i + 1."""
    return " + ".join(term.format(i=i) for i in range(count)), {f"x{i}": i + 1.0 for i in range(count)}


@pytest.mark.parametrize("count, method", [(15, "complex step in mpmath"), (16, "reverse-mode in mpmath")])
def test_reverse_mode_reference_from_16_variables_on(count, method):
    """The README: from 16 variables on, the reference is reverse mode in mpmath; 15 still take the complex
    step."""
    text, point = _many(count, "x{i}")
    ref = reference(parse(text), point, digits=30)
    assert ref.method.startswith(method)
    assert [ref.text(g) for g in ref.gradient.values()] == ["1.0"] * count


@pytest.mark.parametrize("first", ["sin(x0)", "sin((1e30 + x0) - 1e30)"])
def test_reverse_mode_reference_is_cross_checked_with_all_its_working_digits(first):
    """The cross-check's mpmath.diff runs with the guard digits and the extra digits for cancellation on top
    of those asked for: with fewer, its derivatives would disagree with reverse mode in the last digits and
    the reference be refused.  (1e30 + 1) - 1e30 is 1 exactly at the doubles' binary values."""
    text, point = _many(16, "sin(x{i})")
    ref = reference(parse(first + " + " + text.split(" + ", 1)[1]), point, digits=50)
    assert ref.method == "reverse-mode in mpmath, checked by mpmath.diff on 3 coordinates"
    for i in range(16):
        truth = M.cos(i + 1)
        assert abs(M.mpf(ref.text(ref.gradient[f"x{i}"])) - truth) <= M.mpf(10) ** -49 * abs(truth), i


def test_reverse_mode_cross_check_is_a_central_difference():
    """The cross-check is independent of the rule table: a central difference, which at abs's kink sees the
    mean of both slopes, (|h| - |-h|)/2h = 0, while reverse mode takes the rule's one slope — so the
    reference is refused (the harness asks for a one-sided reference at kinks instead)."""
    text, point = _many(16, "abs(x{i})")
    with pytest.raises(PrecisionError, match="disagrees with mpmath.diff in x0"):
        reference(parse(text), {**point, "x0": 0.0}, digits=30)


@pytest.mark.parametrize("count", [15, 16])
def test_a_partial_that_is_0_to_the_digits_asked_for_is_0_with_or_without_the_cross_check(count):
    """∂/∂x0 of sin(x0) - x0*cos(x1 + 1e-60) at x0 = x1 = 1 is cos(1) - cos(1 + 1e-60) = sin(1)·1e-60 + …
    ≈ 8.4e-61: 0 to 50 digits relative to its largest term (cos(1) ≈ 0.54), so both references show 0,
    the complex step's (15 variables) and reverse mode's (16).  mpmath.diff, the latter's cross-check,
    finds the 8.4e-61: a partial shown as 0 agrees with it within that same floor (it was refused: "no
    trustworthy reference").  ∂/∂x1 = x0·sin(1 + 1e-60) = sin(1) to 59 digits."""
    text = "sin(x0) - x0*cos(x1 + 1e-60) + " + " + ".join(f"x{i}" for i in range(2, count))
    ref = reference(parse(text), {f"x{i}": 1.0 for i in range(count)}, digits=50)
    assert ref.method.startswith("complex step" if count == 15 else "reverse-mode")
    assert ref.text(ref.gradient["x0"]) == "0"
    assert abs(M.mpf(ref.text(ref.gradient["x1"])) - M.sin(1)) <= M.mpf(10) ** -49 * M.sin(1)
    assert [ref.text(ref.gradient[f"x{i}"]) for i in range(2, count)] == ["1.0"] * (count - 2)


def test_reverse_mode_reference_keeps_two_runs_where_only_the_gradient_cancels():
    """∂/∂x of sin(x) - x*cos(y + 1e-40) at x = y = 0.5 is cos(0.5) - cos(0.5 + 1e-40) ≈ sin(0.5)·1e-40: its
    backward pass cancels 40 digits, f's value none (sin(0.5) - 0.5·cos(0.5) ≈ 0.04).  One reverse pass at
    80 working digits has 39 right; the two runs disagree, the guard digits rise, and all 50 shown are.
    x is the second variable, which the cross-check (first, middle, last) does not look at."""
    text = "w0*w0 + sin(x) - x*cos(y + 1e-40) + " + " + ".join(f"w{i}*w{i}" for i in range(1, 16))
    ref = reference(parse(text), {"x": 0.5, "y": 0.5, **{f"w{i}": 1.0 for i in range(16)}}, digits=50)
    assert ref.method.startswith("reverse-mode") and ref.digits == 50
    x = M.mpf(0.5)
    with M.workdps(200):
        truth = M.cos(x) - M.cos(x + M.mpf(1e-40))
    assert abs(M.mpf(ref.text(ref.gradient["x"])) - truth) <= M.mpf(10) ** -49 * abs(truth)


def test_reverse_mode_reference_beside_a_domain_edge_does_not_call_f_undefined():
    """sqrt(x0) at 1e-300 is defined and differentiable, ∂/∂x0 = 1/(2·sqrt(1e-300)); the 15-variable
    reference gives it by the complex step.  With 16 variables: that value, or a refusal that says why."""
    text, point = _many(16, "x{i}")
    try:
        ref = reference(parse("sqrt(x0) + " + text.split(" + ", 1)[1]), {**point, "x0": 1e-300}, digits=30)
    except PrecisionError:
        return
    truth = 1 / (2 * M.sqrt(M.mpf(1e-300)))
    assert abs(M.mpf(ref.text(ref.gradient["x0"])) - truth) <= M.mpf(10) ** -29 * truth


def test_unresolved_cancellation_bound_is_first_order_in_the_last_working_digits():
    """sin²+cos²−1 at x = 1 stays unresolved up to the largest precision.  Its bound is the first-order sum
    Σ|adjoint|·|node| over the computed nodes, times 100 units of the last working digit.  By hand: sin²+cos²
    = 1, sin² and cos² (adjoint 1 each), sin and cos (adjoints 2 sin, 2 cos), the output and 0*z (0):
    1 + sin² + cos² + 2 sin² + 2 cos² = 4.
    The working digits: 30 asked + 30 guard + 30 for the complex step's h (30//2 + 5 + 30//3) + 1200 extra
    = 1290, so the bound is 4·10^(2−1290) = 4.0e-1288."""
    ref = reference(parse("sin(x)**2 + cos(x)**2 - 1 + 0*z"), {"x": 1.0, "z": 2.0}, digits=30)
    assert "f is 0 within ±4.0e-1288;" in ref.note


def test_partials_reference_digits_are_relative_to_each_derivative():
    """f = sin(x) − 1e40 at the double nearest π/2: ∂f/∂x = cos(x) ≈ 6.1232339957367658e-17 (mpmath at the
    double's exact value), asked to 20 digits."""
    x = 1.5707963267948966
    ref = reference_partials(parse("sin(x) - 1e40"), {"x": x}, [(1,)], digits=20)
    truth = M.cos(M.mpf(x))
    assert abs(M.mpf(ref.text(ref.derivatives[(1,)])) - truth) <= M.mpf(10) ** -19 * abs(truth)


@pytest.mark.parametrize("compute, expected", [
    (lambda digits: (r := reference(parse("x**2"), {"x": 3.0}, digits=digits)).text(r.gradient["x"]), "6.0"),
    (lambda digits: (r := reference_partials(parse("x**2"), {"x": 3.0}, [(2,)], digits=digits))
     .text(r.derivatives[(2,)]), "2.0")], ids=["reference", "reference_partials"])
def test_digits_are_bounded_1_to_1000(compute, expected):
    """--digits is documented as 1 to 1000: both ends accepted (d/dx x² at 3 = 6, d²/dx² x² = 2), 0 and
    1001 refused, naming the argument and the bound."""
    from diffcli.core.errors import DiffcliError

    for digits in (0, 1001):
        with pytest.raises(DiffcliError, match=r"digits must be .*1,?000"):
            compute(digits)
    assert compute(1) == compute(1000) == expected


def test_partials_of_a_negative_derivative_agree_relative_to_its_size():
    """d²/dx² cos(x) = −cos(x) < 0 at x = 1, asked to 200 digits: the two precisions must agree to 200
    digits of |−cos 1| (measured against the signed value they would have to agree to 10^-400 absolute,
    beyond the largest working precision); the digits are cos(1)'s (mpmath at 260)."""
    ref = reference_partials(parse("cos(x)"), {"x": 1.0}, [(2,)], digits=200)
    wide = mpmath.MPContext()
    wide.dps = 260
    truth = -wide.cos(1)
    assert abs(wide.mpf(ref.text(ref.derivatives[(2,)])) - truth) <= wide.mpf(10) ** -199 * abs(truth)


def test_unknown_quantities_are_zeroed_where_they_belong():
    """sin²+cos²−1 + 0·z at x = 1: f and ∂f/∂x are unknown and shown as 0; the gradient keeps exactly the
    variables x and z (∂f/∂z = 0 exactly), with no entry for f."""
    ref = reference(parse("sin(x)**2 + cos(x)**2 - 1 + 0*z"), {"x": 1.0, "z": 2.0}, digits=30)
    assert set(ref.gradient) == {"x", "z"}
    assert [ref.text(ref.value), ref.text(ref.gradient["x"]), ref.text(ref.gradient["z"])] == ["0", "0", "0"]


def test_a_derivative_that_is_zero_through_a_product_is_not_refused():
    """exp(x)·exp(−x) = 1 everywhere: ∂f/∂x = e^x·e^−x − e^x·e^−x = 0 at x = 1.  Shown as 0 (exactly, or
    as 0 within a bound in the note)."""
    ref = reference(parse("exp(x)*exp(-x)"), {"x": 1.0}, digits=30)
    assert ref.text(ref.value) == "1.0" and ref.text(ref.gradient["x"]) == "0"


# ---------------------------------------------------------------- shortcuts of the bookkeeping
# The runs' agreement, a partial's scale and the cancellation screen read binary magnitudes instead of
# computing logarithms and absolute values; these cases sit at the boundaries where a wrong shortcut would
# claim a digit or miss a sum.

from diffcli.core.evaluate import evaluate_mp  # noqa: E402
from diffcli.reference.cancellation import assess  # noqa: E402
from diffcli.reference.runs import agreeing_digits, largest  # noqa: E402

A = mpmath.MPContext()
A.dps = 60


@pytest.mark.parametrize("difference, enough, digits", [
    ("3e-51", 50, 50),    # -log10(3e-51) = 50.52: 50 agree, and 50 are enough
    ("3e-51", 49, 49),    # at least 49 agree: 49 is the answer to "are 49 enough?"
    ("3e-51", 51, 50),    # not enough: the exact count, 50
    ("1.2e-50", 50, 49),  # -log10(1.2e-50) = 49.92: 49, not 50
    # 0.99·2^-166 = 1.0606e-50: 49.97 digits, so 49; its magnitude is -166 and 1's is 1, 167 bits apart,
    # more than 50 digits' 166.1 bits: only the -1 of the bound (|d| < 2^mag(d), |b| >= 2^(mag(b) - 1))
    # keeps the shortcut from claiming 50
    (A.ldexp(A.mpf("0.99"), -166), 50, 49),
])
def test_agreeing_digits_says_enough_only_when_that_many_agree(difference, enough, digits):
    b = A.one
    assert agreeing_digits(A, b + A.mpf(difference), b, enough) == digits


@pytest.mark.parametrize("numbers, largest_abs", [
    (["-0.75", "0.9", "-0.6", "0", "1e-300"], "0.9"),  # 0.75 and 0.9 share the magnitude 0 (in [1/2, 1))
    (["-0.9", "0.75"], "0.9"),
    (["0", "0"], "0"),
    (["-1e300", "3"], "1e300"),
])
def test_largest_is_the_largest_absolute_value(numbers, largest_abs):
    assert largest([A.mpf(n) for n in numbers], None) == A.mpf(largest_abs)


def test_largest_of_nothing_is_the_default():
    assert largest([], A.mpf(7)) == 7


@pytest.mark.parametrize("text, point, moved, asked", [
    # sums 11 digits apart (mag 37 and 1: 36 bits, more than the screen's 33) or cancelling 12 digits ask for
    # the adjoints; 9 digits apart (mag 30 and 1: 29 bits) do not
    ("x + 1e11", {"x": 1.0}, None, True),
    ("x + 1e9", {"x": 1.0}, None, False),
    ("x - 1", {"x": 1.0 + 2.0 ** -40}, None, True),   # 2^-40 left of 1: 40 bits cancelled
    ("x - 1", {"x": 1.0 + 2.0 ** -30}, None, False),  # 30 bits
    ("(x - y) + 1", {"x": 2.0, "y": 2.0}, None, True),  # a sum exactly 0 from nonzero operands
    # a complex step in x: imaginary parts h and 1e11·h, 11 digits apart; 1e9·h is not suspect
    ("x + 1e11*x", {"x": 1.0}, "x", True),
    ("x + 1e9*x", {"x": 1.0}, "x", False),
    # the real parts of a sum the step does not move (y + 1e11, 11 digits apart) are screened in a complex
    # step's run as well; the sum the step moves has parts 1e11 and 1e11 + 1, nothing to suspect
    ("1e11*x + (y + 1e11)", {"x": 1.0, "y": 1.0}, "x", True),
    ("1e11*x + (y + 1e9)", {"x": 1.0, "y": 1.0}, "x", False),
])
def test_the_cancellation_screen_asks_for_adjoints_only_at_suspect_sums(text, point, moved, asked):
    graph = parse(text)
    at = {name: A.mpf(value) for name, value in point.items()}
    if moved:
        at[moved] = A.mpc(at[moved], A.ldexp(1, -120))
    values = evaluate_mp(graph, at, A, every=True, complex_step=bool(moved))
    calls = []

    def weights():
        calls.append(1)
        return None
    assess(A, graph, values, bool(moved), weights)
    assert bool(calls) == asked


# ---------------------------------------------------------------- the lower run by the rules
# The complex step's lower run is first tried by reverse mode on the table's rules and kept only where it
# agrees with the higher complex-step run (diffcli/reference/rules.py).  A wrong rule must never show.

from dataclasses import replace  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from diffcli.core.primitives import PRIMITIVES  # noqa: E402
from diffcli.reference.rules import rule_gradient  # noqa: E402


@pytest.mark.parametrize("wrong", [
    lambda b, y, x: -b.cos(x),                    # the sign
    lambda b, y, x: b.cos(x) * (1.0 + 1e-15),     # one part in 10^15: far below the doubles' eye
])
def test_a_wrong_rule_never_reaches_the_reference(monkeypatch, wrong):
    monkeypatch.setitem(PRIMITIVES, "sin", replace(PRIMITIVES["sin"], partials=(wrong,)))
    r = reference(parse("sin(x) * z"), {"x": 1.0, "z": 2.0})
    assert r.note is None and r.errors == {}
    assert r.text(r.gradient["x"]) == M.nstr(2 * M.cos(1), 50)  # the complex step's, from mpmath here
    assert r.text(r.gradient["z"]) == M.nstr(M.sin(1), 50)


def _higher(gradient: dict, scales: dict | None = None, errors: dict | None = None):
    """What rule_gradient reads of the higher run (a Reference): context, gradient, scales, errors."""
    return SimpleNamespace(context=A, gradient={n: A.mpf(g) for n, g in gradient.items()},
                           scales=scales or {}, errors=errors or {})


def test_the_rules_run_is_kept_where_it_agrees_to_the_digits():
    graph = parse("x * z")
    x, z = graph.variables
    adjoint = {x: A.mpf(2) * (1 + A.mpf(10) ** -55), z: A.mpf(3)}  # 55 digits agree: enough for 50
    assert rule_gradient(A, graph, ["x", "z"], adjoint, _higher({"x": 2, "z": 3}), 50) == {"x": adjoint[x],
                                                                                          "z": adjoint[z]}


@pytest.mark.parametrize("adjoint_x, higher_x, kept", [
    ("2.000000000000000000000000000000000000000000001", "2", False),  # 45 digits: not 50
    ("1e-52", "-3e-53", True),   # both within 10^-50 of the scale 1: 0 to 50 digits, as two runs are
    ("1e-48", "-3e-53", False),  # one of them is not
])
def test_the_rules_run_is_refused_where_it_does_not_agree(adjoint_x, higher_x, kept):
    graph = parse("x * z")
    x, z = graph.variables
    adjoint = {x: A.mpf(adjoint_x), z: A.mpf(3)}
    found = rule_gradient(A, graph, ["x", "z"], adjoint, _higher({"x": higher_x, "z": 3}), 50)
    assert (found is not None) == kept


def test_the_rules_run_is_refused_off_the_real_line_or_without_adjoints():
    graph = parse("x * z")
    x, z = graph.variables
    higher = _higher({"x": 2, "z": 3})
    assert rule_gradient(A, graph, ["x", "z"], {x: A.mpc(2, 1), z: A.mpf(3)}, higher, 50) is None
    assert rule_gradient(A, graph, ["x", "z"], None, higher, 50) is None
    assert rule_gradient(A, graph, ["x", "z"], {x: A.inf, z: A.mpf(3)}, higher, 50) is None  # a pole
    assert rule_gradient(A, graph, ["x", "z"], {x: A.nan, z: A.mpf(3)}, higher, 50) is None


def test_a_partial_the_higher_run_could_not_compute_is_not_compared():
    graph = parse("x * z")
    x, z = graph.variables
    higher = _higher({"z": 3}, errors={"x": "f is undefined just beside the point"})
    assert rule_gradient(A, graph, ["x", "z"], {x: A.mpf(7), z: A.mpf(3)}, higher, 50) is not None
