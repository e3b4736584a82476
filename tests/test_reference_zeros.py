"""The reference answers exact zeros, and says partial by partial where a derivative does not exist.

Expected values are worked out by hand in each docstring (closed forms at the exact binary values of the
doubles) or with mpmath directly, never by the reference under test.
"""

import json
import re

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.core.errors import PrecisionError
from diffcli.core.parse import parse
from diffcli.reference import reference, reference_partials

M = mpmath.MPContext()
M.dps = 80


def _close(shown: str, truth, digits: int = 50) -> bool:
    return abs(M.mpf(shown) - truth) <= M.mpf(10) ** (1 - digits) * abs(truth)


# ---------------------------------------------------------------- true zeros agree

@pytest.mark.parametrize("text, point, gradient", [
    # x³ at 0: f = 0, f' = 3x² = 0 (the complex step leaves -h² in each run, different h, no common digit)
    ("x**3", {"x": 0.0}, {"x": "0"}),
    # f = b·a·x³ at b=2, a=1, x=0: ∂b = a·x³ = 0, ∂a = b·x³ = 0, ∂x = 3·a·b·x² = 0
    ("b*a*x*x*x", {"b": 2.0, "a": 1.0, "x": 0.0}, {"b": "0", "a": "0", "x": "0"}),
])
def test_a_derivative_that_is_exactly_zero_is_zero(text, point, gradient):
    ref = reference(parse(text), point, digits=50)
    assert ref.note is None and ref.errors == {} and ref.digits == 50
    assert ref.text(ref.value) == "0"
    assert {name: ref.text(g) for name, g in ref.gradient.items()} == gradient


def test_quotient_times_its_divisor_has_gradient_minus_one_and_zero():
    """(x/y)·(−y) is −x for every y ≠ 0 (in real arithmetic, at the doubles' exact values): f = −x,
    ∂f/∂x = −1, ∂f/∂y = −x/y² · (−y) + (x/y) · (−1) = x/y − x/y = 0."""
    x, y = 1.8161021352509934, -0.5960260968409659
    ref = reference(parse("(x / y) * (-y)"), {"x": x, "y": y}, digits=50)
    assert ref.errors == {} and ref.note is None
    assert _close(ref.text(ref.value), -M.mpf(x))
    assert ref.text(ref.gradient["x"]) == "-1.0" and ref.text(ref.gradient["y"]) == "0"


def test_a_constant_made_of_the_variable_has_derivative_zero():
    """At x = −1.8: max(2.0, x) = 2, tanh(x) < 0 so step(tanh(x)) = 0 and acos(0) = π/2, all of it on a
    whole neighbourhood of −1.8.  So f = x / (2·(x·c)) · π/2 = π/(4c) there, c the double nearest −2.31:
    f = π/(4c) ≈ −0.33999920…, and f' = 0."""
    c = M.mpf(-2.31)
    ref = reference(parse("(x / (max(2.0, x) * (x * (-2.31)))) * acos(step(tanh(x)))"), {"x": -1.8},
                    digits=50)
    assert ref.errors == {} and ref.note is None
    assert _close(ref.text(ref.value), M.pi / (4 * c))
    assert ref.text(ref.gradient["x"]) == "0"


def test_a_tiny_derivative_above_the_floor_keeps_all_its_digits():
    """1e-40·x + x³ at 0: f' = 1e-40 (the double nearest), far below the term x (tangent 1) but far above
    10^-50 of it: the runs are repeated with smaller steps until they agree, never rounded to 0."""
    ref = reference(parse("1e-40*x + x**3"), {"x": 0.0}, digits=50)
    assert ref.note is None and _close(ref.text(ref.gradient["x"]), M.mpf(1e-40))


def test_zero_to_the_digits_asked_is_relative_to_the_largest_term():
    """1e-60·x + x³ at 0 asked to 50 digits: the derivative 1e-60 is within 10^-50 of the largest term met
    (x itself, tangent 1), so it is 0 to the digits asked for and shown as 0 (README: the reference)."""
    ref = reference(parse("1e-60*x + x**3"), {"x": 0.0}, digits=50)
    assert ref.text(ref.gradient["x"]) == "0"


# ---------------------------------------------------------------- undefined partials (item 2)

def test_a_partial_without_a_real_neighbourhood_is_an_error_for_that_partial_only():
    """(−x)**z at x=2, z=3: f = (−2)³ = −8, ∂f/∂x = −z·(−x)^(z−1) = −3·4 = −12; (−2)**z is not real for any
    non-integer z, so ∂f/∂z does not exist (its complex continuation's −8·log(2)… is not it)."""
    ref = reference(parse("(-x)**z"), {"x": 2.0, "z": 3.0}, digits=50)
    record = ref.as_json()
    assert record["value"] == "-8.0"
    assert record["gradient"] == {"x": "-12.0", "z": None}
    assert record["errors"] == {"z": "∂f/∂z does not exist: f is not real for z near 3.0"}
    assert json.loads(json.dumps(record))["gradient"]["z"] is None


def test_errors_are_always_in_the_record():
    assert reference(parse("x*z"), {"x": 2.0, "z": 3.0}, digits=20).as_json()["errors"] == {}


def test_a_zero_base_to_a_variable_power_has_slope_zero():
    """0.0**y is 0 for every y > 0, so at y = 0.4556 f = 0 and f' = 0."""
    ref = reference(parse("0.0**y"), {"y": 0.4556}, digits=50)
    assert ref.errors == {} and ref.text(ref.value) == "0" and ref.text(ref.gradient["y"]) == "0"


@pytest.mark.parametrize("text, point, name, side", [
    ("x**0.5", {"x": 0.0}, "x", "x < 0.0"),    # slope 1/(2√t) from the right: unbounded
    ("acos(x)", {"x": 1.0}, "x", "x > 1.0"),   # slope −1/√(1−t²) from the left: unbounded
    ("x**y", {"x": 0.0, "y": 0.5}, "x", "x < 0.0"),
])
def test_an_infinite_slope_at_an_edge_of_the_domain_is_an_error(text, point, name, side):
    ref = reference(parse(text), point, digits=50)
    assert ref.gradient[name] is None
    assert ref.errors[name] == (f"∂f/∂{name} does not exist: f is undefined for {side} and the one-sided "
                                f"slope at {point[name]!r} grows without bound")


@pytest.mark.parametrize("text, point, gradient", [
    ("x**1.5", {"x": 0.0}, {"x": "0"}),             # 1.5·t^0.5 → 0 from the right
    ("x**1.5 + x", {"x": 0.0}, {"x": "1.0"}),
    ("x**y", {"x": 0.0, "y": 2.5}, {"x": "0", "y": "0"}),  # 0**y = 0 for y near 2.5: ∂y = 0 both sides
])
def test_a_finite_slope_at_an_edge_of_the_domain_is_one_sided(text, point, gradient):
    ref = reference(parse(text), point, digits=50)
    assert {name: ref.text(g) for name, g in ref.gradient.items()} == gradient
    assert ref.errors == {} and "∂f/∂x is one-sided: f is undefined for x < 0.0" in ref.note


def test_an_exponent_that_does_not_move_keeps_its_partial():
    """(−x)**(z − z + 3): the exponent is 3 whatever z is, so f = −x³ near every point: ∂f/∂z = 0 and
    ∂f/∂x = −3x² = −12 at x = 2 (the screen suspects z, f itself clears it)."""
    ref = reference(parse("(-x)**(z - z + 3)"), {"x": 2.0, "z": 3.5}, digits=50)
    assert ref.errors == {}
    assert {name: ref.text(g) for name, g in ref.gradient.items()} == {"x": "-12.0", "z": "0"}


def test_many_variables_with_an_undefined_partial_answer_the_others():
    """16 variables would take reverse mode, whose rules fail on log(−2); the undefined partial makes the
    reference take the complex step per variable instead: ∂f/∂x1 = 2·x1 = 2, ∂f/∂x15 = −x0·(−x15)^(x0−1)
    = −3·4 = −12 at x0 = 3, x15 = 2."""
    terms = " + ".join(f"x{i}**2" for i in range(1, 15))
    point = {**{f"x{i}": 1.0 for i in range(1, 15)}, "x0": 3.0, "x15": 2.0}
    ref = reference(parse(f"{terms} + (-x15)**x0"), point, digits=30)
    assert ref.gradient["x0"] is None and set(ref.errors) == {"x0"}
    assert ref.text(ref.gradient["x1"]) == "2.0" and ref.text(ref.gradient["x15"]) == "-12.0"


def test_second_derivatives_that_are_zero_are_zero():
    """x·y: ∂²/∂x² = ∂²/∂y² = 0, ∂²/∂x∂y = 1 (mpmath.diff leaves residues where they are 0)."""
    from diffcli.reference import reference_partials

    ref = reference_partials(parse("x*y"), {"x": 2.0, "y": 3.0}, [(2, 0), (1, 1), (0, 2)], digits=50)
    assert [ref.text(ref.derivatives[o]) for o in [(2, 0), (1, 1), (0, 2)]] == ["0", "1.0", "0"]


# ---------------------------------------------------------------- powers (item 2)

def test_a_constant_exponent_has_the_power_rule_s_domain():
    """x**0.0 is 1 for every x, 0 included, and its derivative 0 (a variable exponent keeps pow's domain:
    x**y at (0, 0) is undefined, 0**y jumping from 0 to 1 there)."""
    from diffcli.core.errors import DomainError
    from diffcli.core.evaluate import evaluate

    graph = parse("x**0.0")
    assert evaluate(graph, {"x": 0.0})[graph.output] == 1.0
    ref = reference(graph, {"x": 0.0}, digits=50)
    assert ref.text(ref.value) == "1.0" and ref.text(ref.gradient["x"]) == "0" and ref.errors == {}
    with pytest.raises(DomainError, match=r"x\*\*y is undefined"):
        evaluate(parse("x**y"), {"x": 0.0, "y": 0.0})


def test_an_integer_power_of_a_negative_number():
    """x² at x = −1.5: 2.25, slope 2x = −3."""
    ref = reference(parse("x**2"), {"x": -1.5}, digits=50)
    assert (ref.text(ref.value), ref.text(ref.gradient["x"])) == ("2.25", "-3.0")


@pytest.mark.parametrize("method", ["symbolic", "reverse"])
@pytest.mark.parametrize("text, point, gradient", [
    ("0.0**y", {"y": 0.4556}, {"y": 0.0}),           # 0**y = 0 for y > 0: no log(0) is evaluated
    ("x**0.0", {"x": 0.0}, {"x": 0.0}),              # 1 for every x
    ("x**0.0 * y", {"x": 0.0, "y": 2.0}, {"x": 0.0, "y": 1.0}),
])
def test_the_power_rule_answers_where_a_partial_vanishes(method, text, point, gradient):
    from diffcli.api import gradient as gradient_of

    assert gradient_of(text, point, method=method) == gradient


# ---------------------------------------------------------------- property (item 5)
# Random expressions as trees, written as text for diffcli and evaluated independently in mpmath (its own
# functions, at 60 digits) to tell whether f is real on each side of the point along a variable.

_UNARY = {"sin": "sin", "exp": "exp", "log": "log", "sqrt": "sqrt", "tanh": "tanh", "cos": "cos"}
_BINARY = ("+", "-", "*", "/", "**")
_VALUES = (-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0)  # whole numbers: negative bases to whole powers, zeros


def _trees():
    from hypothesis import strategies as st

    leaves = st.sampled_from(["x", "y", "z", "2.0", "3.0", "0.5", "-1.0", "-2.0"])
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(sorted(_UNARY)), inner),
            st.tuples(st.sampled_from(_BINARY), inner, inner),
            # (a - b)**c: negative and zero bases to powers that may move
            st.tuples(st.just("**"), st.tuples(st.just("-"), leaves, leaves), inner)),
        max_leaves=6)


def _text(tree) -> str:
    if isinstance(tree, str):
        return f"({tree})" if tree.startswith("-") else tree
    if len(tree) == 2:
        return f"{tree[0]}({_text(tree[1])})"
    return f"({_text(tree[1])} {tree[0]} {_text(tree[2])})"


def _mp_value(tree, at: dict, m):
    """f in mpmath (complex where f leaves the reals), or None where it is not defined at all."""
    if isinstance(tree, str):
        return at[tree] if tree in at else m.mpf(float(tree))
    args = [_mp_value(t, at, m) for t in tree[1:]]
    if any(a is None for a in args):
        return None
    try:
        if len(tree) == 2:
            return getattr(m, _UNARY[tree[0]])(args[0])
        a, b = args
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                "/": lambda: a / b, "**": lambda: m.power(a, b)}[tree[0]]()
    except (ZeroDivisionError, ValueError):
        return None


def _real_beside(tree, point: dict, name: str) -> tuple[bool, bool]:
    """Whether f is real (and finite) just left and just right of the point along ``name``."""
    m = mpmath.MPContext()
    m.dps = 60
    at = {n: m.mpf(v) for n, v in point.items()}
    delta = m.mpf(10) ** -30 * max(abs(at[name]), 1)
    sides = []
    for sign in (-1, 1):
        value = _mp_value(tree, {**at, name: at[name] + sign * delta}, m)
        sides.append(isinstance(value, m.mpf) and m.isfinite(value))
    return tuple(sides)


def _prepared(tree, point):
    """(graph, point) where f is defined, not at a kink and every variable has a value; else None."""
    from diffcli.core.errors import DiffcliError
    from diffcli.harness.point import prepare

    text = _text(tree)
    try:
        at = prepare(text, {n: point[n] for n in "xyz" if n in text})
    except DiffcliError:
        return None
    if at.warnings or not at.names:
        return None
    return at


def _agreeing_gradient(at):
    """The gradient where symbolic, reverse and dual all give it, finite and equal to 1e-12; else None."""
    import math

    from diffcli.api import gradient
    from diffcli.core.errors import DiffcliError

    found = []
    for method in ("symbolic", "reverse", "dual"):
        try:
            found.append(gradient(at.graph, at.point, method=method))
        except DiffcliError:
            return None
    first = found[0]
    for other in found[1:]:
        for name, g in first.items():
            if not (math.isfinite(g) and math.isfinite(other[name])) or \
                    abs(g - other[name]) > 1e-12 * max(abs(g), abs(other[name])):
                return None
    return first


def _property(test):
    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    points = st.fixed_dictionaries({n: st.sampled_from(_VALUES) for n in "xyz"})
    cases = [(("**", ("-", "0.5", "x"), "z"), {"x": 2.5, "y": 0.0, "z": 3.0}),   # (0.5 - x)**z: z undefined
             (("*", "x", ("*", "x", "x")), {"x": 0.0, "y": 0.0, "z": 0.0}),       # x³ at 0: a true zero
             (("*", ("/", "x", "y"), ("-", "0.5", ("+", "y", "0.5"))), {"x": 2.0, "y": -1.0, "z": 0.0})]
    for tree, point in cases:
        test = example(tree, point)(test)
    return settings(max_examples=120, derandomize=True, deadline=None)(given(_trees(), points)(test))


@_property
def test_the_reference_answers_where_the_ad_methods_agree(tree, point):
    """Where symbolic, reverse and dual agree on a finite gradient (exact zeros included) and f is real on
    both sides of the point along every variable, the reference gives every partial, close to theirs."""
    from hypothesis import assume, event

    at = _prepared(tree, point)
    assume(at is not None)
    assume(all(all(_real_beside(tree, at.point, name)) for name in at.names))
    agreed = _agreeing_gradient(at)
    assume(agreed is not None)
    ref = reference(at.graph, at.point, digits=30)
    assert ref.errors == {}, (_text(tree), at.point, ref.errors)
    event("a partial is 0" if 0.0 in agreed.values() else "no partial is 0")
    for name, g in agreed.items():
        truth = ref.gradient[name]
        assert abs(truth - g) <= 1e-9 * max(abs(truth), 1), (_text(tree), at.point, name, g, truth)


@_property
def test_the_reference_never_gives_digits_where_f_is_not_real_beside_the_point(tree, point):
    """A partial along which f is not real on either side has no digits, only its error; one real on one
    side only is one-sided and says so, or is an error."""
    from hypothesis import assume, event

    at = _prepared(tree, point)
    assume(at is not None)
    ref = reference(at.graph, at.point, digits=30)
    for name in at.names:
        left, right = _real_beside(tree, at.point, name)
        event(f"real beside the point: left {left}, right {right}")
        if not (left or right):
            assert ref.gradient[name] is None and name in ref.errors, (_text(tree), at.point, name)
        elif not (left and right) and ref.gradient[name] is not None:
            assert f"∂f/∂{name} is one-sided" in (ref.note or ""), (_text(tree), at.point, name)


@pytest.mark.parametrize("call", [
    lambda api: api.sweep("(-x)**z", {"x": 2.0, "z": 3.0}, wrt="z"),
    lambda api: api.verify("(-x)**z", wrt="z", claim="0", point={"x": 2.0, "z": 3.0}),
], ids=["eps-sweep", "verify"])
def test_commands_needing_one_partial_say_it_does_not_exist(call):
    """eps-sweep and verify need ∂f/∂z itself: where it does not exist they refuse, saying why."""
    import diffcli.api as api
    from diffcli.core.errors import PrecisionError

    with pytest.raises(PrecisionError, match="∂f/∂z does not exist: f is not real for z near 3.0"):
        call(api)


@pytest.mark.parametrize("one_sided", [False, True], ids=["complex step", "right derivative"])
def test_a_partial_that_does_not_settle_at_a_kink_names_the_kink(one_sided):
    """sqrt(|x|) + y at x=0: its slope in x is ±1/(2·sqrt|t|), unbounded on both sides of the kink of abs;
    ∂f/∂y = 1 still prints."""
    ref = reference(parse("sqrt(abs(x)) + y"), {"x": 0.0, "y": 1.0}, digits=30, one_sided=one_sided)
    assert ref.text(ref.gradient["y"]) == "1.0" and ref.gradient["x"] is None
    assert ref.errors == {"x": "no reference for ∂f/∂x: f has a kink here, where it is not differentiable "
                               "(abs(0.0) is at its kink)"}


def test_a_one_sided_slope_that_shrinks_too_slowly_is_not_called_infinite():
    """x**1.01 at 0: the right derivative is 0 (1.01·t^0.01 → 0) but the quotient t^0.01 is still about
    10^-2 at any step mpmath can take: no reference, and the reason is not 'grows without bound'."""
    ref = reference(parse("x**1.01"), {"x": 0.0}, digits=50)
    assert ref.gradient["x"] is None
    assert ref.errors["x"].startswith("no reference for ∂f/∂x: f is undefined for x < 0.0 and the one-sided "
                                      "slope at 0.0 changes with the step too slowly to settle")


def test_a_method_exactly_right_has_no_error_against_the_reference():
    # ∂(x*z + x**3)/∂x at x=2, z=3 is z + 3x² = 15 and ∂/∂z is x = 2, both exact in floats: the reference's
    # runs left residues far below its 50 digits (15 + 3e-80 from the complex step), which made reverse
    # mode's exact 15.0 show a relative error of 2.2e-81.
    from diffcli import api

    record = api.compare("x*z + x**3", {"x": 2.0, "z": 3.0}, methods=["reverse", "symbolic"], timing=False)
    assert record["reference"]["gradient"] == {"x": "15.0", "z": "2.0"}
    for row in record["methods"]:
        assert row["gradient"] == {"x": 15.0, "z": 2.0}
        assert row["rel_error"] == {"x": 0.0, "z": 0.0} and row["abs_error"] == {"x": 0.0, "z": 0.0}


# ---------------------------------------------------------------- an inexact sum that cancels to exactly 0

def _zero_bounds(note):
    """The quantities a note says are 0 within a bound: label → bound (an mpf)."""
    if not note or "digits are unknown" not in note:
        return {}
    found = re.findall(r"(f|∂f/∂\w+) is 0 within ±([^,;]+)", note)
    return {label: TRUTH.mpf(bound) for label, bound in found}


TRUTH = mpmath.MPContext()
TRUTH.dps = 2000


@pytest.mark.parametrize("outer", ["exp", "cos"])
def test_a_sum_of_sines_that_cancels_exactly_leaves_the_other_digits(outer):
    """sin(y)*2 - sin(y) - sin(y) is 0 for every y, and every run computes it as exactly 0 (doubling is
    exact), though sin(y) is not exact and so the 0 cannot be proven.  f = x + exp(0) = x + 1 = 1.5 (or
    x + cos(0)), ∂f/∂x = 1 exactly, ∂f/∂y = (2cos y - cos y - cos y)·(exp or -sin)(0) = 0 exactly.
    Before, ∂f/∂x was shown as 0, and with cos f was '0 within ±2.5e-1318'."""
    ref = reference(parse(f"x + {outer}(sin(y)*2 - sin(y) - sin(y))"), {"x": 0.5, "y": 0.7}, digits=50)
    assert ref.text(ref.value) == "1.5" and ref.text(ref.gradient["x"]) == "1.0"
    assert ref.text(ref.gradient["y"]) == "0"
    assert all(label == "∂f/∂y" for label in _zero_bounds(ref.note))  # only a true 0 may be '0 within'


@pytest.mark.parametrize("text, point, value, gradient", [
    # x·0 + x: f = x = 0.5, ∂f/∂x = 0 + 1 = 1, ∂f/∂y = x·(2cos y - cos y - cos y) = 0
    ("x*(sin(y)*2 - sin(y) - sin(y)) + x", {"x": 0.5, "y": 0.7}, "0.5", {"x": "1.0", "y": "0"}),
    # x·0² + x: the same, with a zero adjoint (2·x·0) on the sum
    ("x*(sin(y)*2 - sin(y) - sin(y))**2 + x", {"x": 0.5, "y": 0.7}, "0.5", {"x": "1.0", "y": "0"}),
    # 2e^y - e^y - e^y = 0 inside cos inside sin: f = sin(x + 1), ∂f/∂x = cos(x + 1) (mpmath below),
    # ∂f/∂y = 0
    ("sin(x + cos(exp(y)*2 - exp(y) - exp(y)))", {"x": 0.5, "y": 0.7}, None, {"y": "0"}),
    # The first sum is sin(y)·(1 - x), 0 at x = 1 exactly, but its other operand moves with x; the second,
    # under cos, has a zero adjoint.  f = exp(0) + cos(0) = 2, ∂f/∂x = exp(0)·(-sin(y)) = -sin(y) (mpmath
    # below), ∂f/∂y = exp(0)·cos(y)·(1 - x) - sin(0)·0 = 0
    ("exp(sin(y)*2 - sin(y) - sin(y)*x) + cos(sin(y)*2 - sin(y) - sin(y))", {"x": 1.0, "y": 0.7}, "2.0",
     {"y": "0"}),
])
def test_an_exactly_cancelling_sum_inside_keeps_every_other_digit(text, point, value, gradient):
    ref = reference(parse(text), point, digits=50)
    assert ref.errors == {}
    shown = {name: ref.text(g) for name, g in ref.gradient.items()}
    assert {name: shown[name] for name in gradient} == gradient
    if value is not None:
        assert ref.text(ref.value) == value
    x, y = M.mpf(point["x"]), M.mpf(point["y"])
    if text.startswith("sin"):
        assert _close(ref.text(ref.value), M.sin(x + 1)) and _close(shown["x"], M.cos(x + 1))
    if text.startswith("exp"):
        assert _close(shown["x"], -M.sin(y))


def test_many_sums_that_cancel_exactly_are_measured_together():
    """Twelve sums sin(k·y)*2 - sin(k·y) - sin(k·y), each 0 for every y, under cos (more than are moved one
    at a time): f = x + 12·cos(0) = 12.5, ∂f/∂x = 1, ∂f/∂y = 0."""
    text = "x + " + " + ".join(f"cos(sin(y*{k})*2 - sin(y*{k}) - sin(y*{k}))" for k in range(1, 13))
    ref = reference(parse(text), {"x": 0.5, "y": 0.7}, digits=50)
    assert ref.errors == {} and "f" not in _zero_bounds(ref.note) and "∂f/∂x" not in _zero_bounds(ref.note)
    assert (ref.text(ref.value), ref.text(ref.gradient["x"]), ref.text(ref.gradient["y"])) == ("12.5", "1.0",
                                                                                                 "0")


def test_the_hessian_reference_answers_beside_an_exactly_cancelling_sum():
    """x² + cos(sin(y)*2 - sin(y) - sin(y)) is x² + 1 for every y: ∂²f/∂x² = 2, ∂²f/∂x∂y = ∂²f/∂y² = 0.
    The exact 0 of the sum used to refuse the whole Hessian reference ("f cancels beyond …")."""
    ref = reference_partials(parse("x*x + cos(sin(y)*2 - sin(y) - sin(y))"), {"x": 0.5, "y": 0.7},
                             [(2, 0), (1, 1), (0, 2)], digits=30)
    assert [ref.text(ref.derivatives[o]) for o in [(2, 0), (1, 1), (0, 2)]] == ["2.0", "0", "0"]


def test_a_zero_sum_that_a_power_amplifies_is_never_shown_as_wrong_digits():
    """t = (sin(y) + z**5) - sin(y) is z**5 = 1e-1500 (about), which even the largest working precision
    absorbs into sin(y): every run computes t = 0.  (t·w**5)**2 with w = 1e300 is then about 1, not 0, so
    f = x + 1 (about 1.5), and no run can see it.  The reference must not print f's digits as x's 0.5:
    it refuses, or says f is 0 within a bound that holds 1.5.  ∂f/∂x = 1 exactly all the same."""
    x, y, z, w = 0.5, 0.7, 1e-300, 1e300
    truth = TRUTH.mpf(x) + (((TRUTH.sin(y) + TRUTH.mpf(z) ** 5) - TRUTH.sin(y)) * TRUTH.mpf(w) ** 5) ** 2
    assert abs(truth - M.mpf("1.5")) < 0.01  # z**5·w**5 is 1 to the doubles' rounding
    try:
        ref = reference(parse("x + (((sin(y) + z**5) - sin(y)) * w**5)**2"),
                        {"x": x, "y": y, "z": z, "w": w}, digits=50)
    except PrecisionError as error:
        assert "no reference" in error.message
        return
    bounds = _zero_bounds(ref.note)
    assert "f" in bounds and ref.text(ref.value) == "0" and abs(truth) <= bounds["f"]
    assert ref.text(ref.gradient["x"]) == "1.0"



@pytest.mark.parametrize("w, truth", [
    # f = x + (z**5·w**5)**2 at the doubles: z·w is 1 to the doubles' rounding, so f is 1.5 (w = 1e300) or
    # 0.5 + 1e-90 (w = 1e291): the run computes t = 0 and f = 0.5 either way
    (1e300, "1.5"), (1e291, "0.5"),
])
def test_a_zero_sum_that_may_hide_an_amplified_term_refuses_f(w, truth):
    """t = (sin(y) + z**5) - sin(y) at z = 1e-300 is 1e-1500, absorbed at every working precision, and
    (t·w**5)**2 squares the ±10^-1273 that t is known within into about 10^(2·(1500 - 1273)) at w = 1e300
    (10^365 at 1e291): 'f is 0 within' that says nothing of f, 0.5 or 1.5.  The reference refuses f."""
    x, y, z = 0.5, 0.7, 1e-300
    exact = TRUTH.mpf(x) + (TRUTH.mpf(z) ** 5 * TRUTH.mpf(w) ** 5) ** 2
    assert abs(exact - TRUTH.mpf(truth)) < 0.01
    with pytest.raises(PrecisionError, match="f cancels beyond the largest working precision here"):
        reference(parse("x + (((sin(y) + z**5) - sin(y)) * w**5)**2"), {"x": x, "y": y, "z": z, "w": w},
                  digits=20)


def test_a_zero_partial_within_a_bound_far_below_its_terms_is_still_shown():
    """At z = 1e-200, w = 1e300 the runs keep t = z**5 = 1e-1000: f = 0.5 + (z·w)**10, about 1e1000.
    ∂f/∂y = 2t·W²·(cos y - cos y) with W = w**5 is 0, its two terms 2t·W²·cos(y) about 1.5e2000 each: 0
    within a bound the largest precision's rounding puts far below them (under 1e1000), still shown."""
    x, y, z, w = 0.5, 0.7, 1e-200, 1e300
    ref = reference(parse("x + (((sin(y) + z**5) - sin(y)) * w**5)**2"), {"x": x, "y": y, "z": z, "w": w},
                    digits=20)
    exact = TRUTH.mpf(x) + (TRUTH.mpf(z) ** 5 * TRUTH.mpf(w) ** 5) ** 2
    assert ref.errors == {} and ref.text(ref.value) == TRUTH.nstr(exact, 20)
    bounds = _zero_bounds(ref.note)
    assert list(bounds) == ["∂f/∂y"] and 0 < bounds["∂f/∂y"] < TRUTH.mpf(10) ** 1000
    assert ref.text(ref.gradient["y"]) == "0"

# The property: expressions that wrap a sum cancelling to 0 (for every y, or at x = 1) in a nonlinear
# function, plus terms in x alone.  y appears only in the cancelling sum C, whose partial in y is 0 at the
# point in every form, so ∂f/∂y is 0 exactly; f and ∂f/∂x come from mpmath at 2,000 digits (C's residue
# there is below 10^-1,600, or C is 0 exactly).
SUMS = st.sampled_from(["sin(y)", "exp(y)", "cos(y)", "exp(sin(y))"]).flatmap(lambda s: st.one_of(
    st.integers(2, 4).map(lambda k: f"{s}*{k} - " + " - ".join([s] * k)),
    st.sampled_from(["1e20", "1e150", "1e300", "3.0"]).map(lambda a: f"(({a} + {s}) - {a}) - {s}"),
    st.just(f"{s}*2 - {s} - {s}*x")))
WRAPS = st.sampled_from(["exp({c})", "cos({c})", "x*({c}) + x", "sin({c} + x)", "({c})**2 + x",
                         "exp({c})*x", "cos({c})*x", "({c})*({c}) + sin({c})"])
TERMS = st.sampled_from([" + x", " + x*x", " + sin(x)", " - x"])


def _truth(text: str, x: float, y: float):
    """f and ∂f/∂x by mpmath directly at 2,000 digits, at the doubles' exact values."""
    tree = compile(text.replace("^", "**"), "<f>", "eval")
    names = {"sin": TRUTH.sin, "cos": TRUTH.cos, "exp": TRUTH.exp, "sqrt": TRUTH.sqrt, "log": TRUTH.log,
             "cosh": TRUTH.cosh}

    def f(t):
        return eval(tree, {**names, "x": t, "y": TRUTH.mpf(y)})  # noqa: S307 - the test's own text
    return f(TRUTH.mpf(x)), TRUTH.diff(f, TRUTH.mpf(x))


def _right(shown: str, truth, digits: int) -> bool:
    slack = TRUTH.mpf(10) ** -1500  # the truth's own residue (below 10^-1,600), far below any digit shown
    return abs(TRUTH.mpf(shown) - truth) <= abs(truth) * TRUTH.mpf(10) ** (1 - digits) + slack


@settings(max_examples=40, derandomize=True, deadline=None)
@given(SUMS, WRAPS, TERMS, st.sampled_from([0.5, 1.0, -1.25, 2.0]), st.floats(0.1, 3.0))
def test_printed_digits_are_right_around_an_inexact_sum_that_cancels(cancelling, wrap, term, x, y):
    text = wrap.format(c=cancelling) + term
    if "*x" in cancelling:
        x = 1.0  # where that sum cancels
    value, slope = _truth(text, x, y)
    try:
        ref = reference(parse(text), {"x": x, "y": y}, digits=30)
    except PrecisionError as error:  # a refusal prints no digit; it must say why
        assert "no reference" in error.message
        return
    bounds = _zero_bounds(ref.note)
    for label, number, truth in [("f", ref.value, value), ("∂f/∂x", ref.gradient["x"], slope),
                                 ("∂f/∂y", ref.gradient["y"], TRUTH.zero)]:
        if number is None:
            assert label != "f" and ref.errors, (text, label)
        elif label in bounds:
            assert ref.text(number) == "0" and abs(truth) <= bounds[label], (text, label)
        else:
            assert _right(ref.text(number), truth, ref.digits), (text, label, ref.text(number), truth)
