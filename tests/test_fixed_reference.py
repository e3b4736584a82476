"""Fixed cases of the 50-digit reference (diffcli/reference/), run first against its mutants.

Expected values come from closed forms, from mpmath called here on the exact doubles, or from literal
numbers derived in a comment, never from the reference itself.  The small functions every reference shares
(how many digits two runs agree on, when a pair of runs is repeated with more digits) are checked at their
boundaries; the reference itself through :func:`diffcli.reference.reference` on small expressions.
"""

import math

import mpmath
import pytest

from diffcli.core.evaluate import evaluate_mp
from diffcli.core.parse import parse
from diffcli.reference import reference, reference_partials
from diffcli.reference.cancellation import Loss, assess, sensitivities
from diffcli.reference.neighbourhood import Sides, edge_slope, sides
from diffcli.reference.runs import (
    MAX_EXTRA_DIGITS,
    SLACK_DIGITS,
    agree,
    agreeing_digits,
    private_context,
    rounded,
    rounded_all,
    settle,
    unknown_losses,
)

M = mpmath.MPContext()
M.dps = 60


# ---------------------------------------------------------------- agreement of two runs

@pytest.mark.parametrize("a, b, digits", [
    ("1", "1", 10_000),                      # the same number: capped
    ("1", "1.0000001", 7),                   # 1e-7 / 1.0000001 = 9.9999990e-8: 7.0000000434 digits
    ("-1.2345", "-1.2346", 4),               # 1e-4 / 1.2346 = 8.0998e-5: 4.09 digits, sign aside
    ("1.2346", "-1.2346", 0),                # 2.4692 / 1.2346 = 2: none
    ("100", "1", 0),                         # 99: none, not a negative count
    ("0", "1e-30", 0), ("1e-30", "0", 0),    # one of them 0: no significant digit in common
    ("123456789.0", "123456788.0", 8),       # 1 / 123456788 = 8.1e-9: 8.09 digits
])
def test_agreeing_digits(a, b, digits):
    assert agreeing_digits(M, M.mpf(a), M.mpf(b)) == digits


@pytest.mark.parametrize("a, b, digits, scale, agreed", [
    ("1", "1.000002", 5, 1, True),           # 2e-6 <= 1e-5 · 1.000002
    ("1", "1.0001", 5, 1, False),            # 1e-4 > 1e-5 · 1.0001
    ("-1", "-1.000002", 5, 1, True),         # sizes, not signed values
    ("1e-12", "0", 5, 1, True),              # next to 0: within 1e-5 · 1e-5 · scale = 1e-10
    ("1e-9", "0", 5, 100, True),             # 1e-9 <= 1e-5 · 1e-5 · 100 = 1e-8
    ("1e-9", "0", 5, 1, False),              # 1e-9 > 1e-10
    ("1.00001", "1", 5, 1, True),            # exactly 10^-5 apart is agreement (<=)
])
def test_agree_to_digits_relative_to_the_larger_of_the_number_and_its_scale(a, b, digits, scale, agreed):
    assert agree(M, M.mpf(a), M.mpf(b), digits, scale) is agreed


@pytest.mark.parametrize("b, enough, digits", [
    ("1e-30", 20, 20),       # plainly past 20 digits: 20 is enough, whatever the exact count (30)
    ("1e-30", None, 30),
    ("1e-20", 20, 20),
    ("1e-19", 20, 19),
    (2.0 ** -66, 20, 19),    # 1.36e-20 apart: 19.87 digits, not 20, though within a bit of the shortcut
    (2.0 ** -67, 20, 20),    # 6.8e-21: 20.17 digits
])
def test_agreeing_digits_stop_at_enough_only_when_plainly_there(b, enough, digits):
    assert agreeing_digits(M, M.one, 1 + M.mpf(b), enough) == digits


@pytest.mark.parametrize("numbers, largest_size", [
    (["-3", "2", "0.5"], 3), (["-3", "2.5"], 3), (["-0.75", "0.5"], 0.75),  # sizes, of one magnitude too
    (["0", "0"], 0), (["0"], 0), (["1", "inf"], M.inf), (["-inf", "1"], M.inf),
    (["0.5", "-3"], 3), (["1", "0.75", "-6"], 6),  # the largest after smaller ones
    (["2", "-2.5"], 2.5),  # one magnitude: 2 = 1·2^1 (1 bit), 2.5 = 5·2^-1 (3 bits), compared at 3 bits
])
def test_the_largest_size_met(numbers, largest_size):
    from diffcli.reference.runs import largest

    assert largest([M.mpf(n) for n in numbers], None) == largest_size
    assert largest([], "none") == "none" and largest([2.0, -5.0], None) == 5.0


def test_unknown_losses_are_those_past_the_working_digits_less_one():
    """At 20 working digits a quantity that lost 19 or more is unknown, as is an unresolved one."""
    losses = {"value": Loss(digits=18.5), "x": Loss(digits=19.0), "y": Loss(unresolved=True),
              "z": Loss(digits=25.0)}
    assert sorted(unknown_losses(losses, 20)) == ["x", "y", "z"]
    assert unknown_losses({"value": Loss(digits=18.99)}, 20) == {}


def test_the_worse_of_two_losses_takes_the_worst_of_each_part():
    a = Loss(digits=3.0, unresolved=False, bound=M.mpf(2), spread=7.0)
    b = Loss(digits=5.0, unresolved=True, bound=M.mpf(1), spread=4.0)
    for worse in (a.worse(b), b.worse(a)):
        assert (worse.digits, worse.unresolved, worse.bound, worse.spread) == (5.0, True, 2, 7.0)
    assert a.worse(Loss()).bound == 2 and Loss().worse(b).bound == 1 and Loss().worse(Loss()).bound is None
    assert not Loss().worse(Loss()).unresolved


def test_private_contexts_work_at_the_precision_asked_and_are_reused():
    m = private_context(mpmath, 37)
    assert m.dps == 37 and m is not mpmath.mp
    assert private_context(mpmath, 37) is m and private_context(mpmath, 38).dps == 38


# ---------------------------------------------------------------- settling the extra digits

class _Run:
    def __init__(self, loss):
        self.losses = {"value": loss}


def _settled(losses):
    """The extra digits each pair of runs was asked for, and what settle returned, for runs whose loss at
    each call is ``losses(extra)``."""
    asked = []

    def runs(low, high, extra):
        asked.append(extra)
        return _Run(losses(extra)), _Run(Loss())
    first, second, extra = settle(runs, 15, 30, 0)
    return asked, extra


def test_a_run_that_lost_no_more_than_its_slack_is_kept():
    assert _settled(lambda extra: Loss(digits=float(SLACK_DIGITS))) == ([0], 0)


def test_a_run_that_lost_more_is_repeated_with_what_it_lost_plus_the_slack():
    # 12.2 digits lost: ceil(12.2) + 5 = 18 more working digits, after which 12.2 <= 18 + 5
    assert _settled(lambda extra: Loss(digits=12.2)) == ([0, 18], 18)
    assert _settled(lambda extra: Loss(digits=5.5)) == ([0, 11], 11)


def test_an_unresolved_run_at_least_doubles_its_extra_digits_up_to_the_maximum():
    # max(2·extra, extra + 16, spread + slack): 16, 32, 64, … then capped at MAX_EXTRA_DIGITS, and kept there
    asked, extra = _settled(lambda extra: Loss(unresolved=True))
    assert asked == [0, 16, 32, 64, 128, 256, 512, 1024, 1200] and extra == MAX_EXTRA_DIGITS == 1200  # README
    # a spread of 100 digits jumps to 105 at once, then doubles
    asked, _ = _settled(lambda extra: Loss(unresolved=extra < 200, spread=100.0))
    assert asked == [0, 105, 210]
    # a spread past any precision is capped: one jump to the maximum
    asked, _ = _settled(lambda extra: Loss(unresolved=True, spread=float("inf")))
    assert asked == [0, MAX_EXTRA_DIGITS]


def test_a_loss_past_the_maximum_stops_at_the_maximum():
    assert _settled(lambda extra: Loss(digits=5000.0)) == ([0, MAX_EXTRA_DIGITS], MAX_EXTRA_DIGITS)



def test_a_reference_is_rounded_to_its_digits_and_20_bits_more():
    """50 digits are ceil(50·log2 10) = 167 bits, and 20 more make 187: 1 + 2^-190 (a residue past them)
    rounds to 1, 1 + 2^-180 (within them) stays, one number or a gradient of them alike."""
    m = private_context(mpmath, 300)
    numbers = {"a": 1 + m.ldexp(1, -190), "b": 1 + m.ldexp(1, -180), "c": None}
    assert rounded_all(m, numbers, 50) == {"a": 1, "b": 1 + M.ldexp(1, -180), "c": None}
    assert [rounded(m, numbers[k], 50) for k in "ab"] == [1, 1 + M.ldexp(1, -180)]

# ---------------------------------------------------------------- what a run lost to cancellation

def _loss(text, point, dps, imaginary=False):
    m = mpmath.MPContext()
    m.dps = dps
    graph = parse(text)
    values = evaluate_mp(graph, {name: m.mpf(v) for name, v in point.items()}, m, every=True)
    return m, assess(m, graph, values, imaginary, lambda: sensitivities(m, graph, values))


def test_the_digits_lost_are_the_log_of_the_terms_over_the_result():
    """(1e125 + x) − 1e125 at x = 1 and 150 digits: the nodes rounded are the sum (1e125 + 1, adjoint 1) and
    the difference (1, adjoint 1), so the loss is log10((1e125 + 1 + 1)/1) = 125 (1e125 the double);
    the magnitudes met spread over 125 digits, from 1 to 1e125."""
    m, loss = _loss("(1e125 + x) - 1e125", {"x": 1.0}, 150)
    big = M.mpf(1e125)
    assert not loss.unresolved
    assert abs(loss.digits - float(M.log10(big + 2))) < 1e-9
    assert abs(loss.spread - float(M.log10(big + 1))) < 1e-9
    assert float(loss.bound) == pytest.approx(float((big + 2) * M.mpf(10) ** (2 - 150)), rel=1e-12, abs=0)


def test_an_absorbed_term_that_leaves_zero_is_unresolved():
    """At 30 digits 1e125 + 1 rounds to 1e125 and the difference is exactly 0 from nonzero operands."""
    _, loss = _loss("(1e125 + x) - 1e125", {"x": 1.0}, 30)
    assert loss.unresolved and loss.digits == 0.0


@pytest.mark.parametrize("text, point", [
    ("x*y", {"x": 3.0, "y": 4.0}),        # no sum at all
    ("(x + 0.5) - 0.25", {"x": 0.25}),     # sums of exact doubles: no gap, no cancellation
])
def test_runs_without_a_suspicious_sum_lose_nothing(text, point):
    _, loss = _loss(text, point, 30)
    assert (loss.digits, loss.unresolved, loss.bound, loss.spread) == (0.0, False, None, 0.0)


def test_a_node_minus_itself_is_an_exact_zero_with_the_bound_of_its_largest_magnitude():
    """x − x is exactly 0 (one node twice): nothing lost, not unresolved, and the bound of a 0 is 10^(2−dps)
    times the largest magnitude met, 1.5."""
    _, loss = _loss("x - x", {"x": 1.5}, 30)
    assert (loss.digits, loss.unresolved, loss.spread) == (0.0, False, 0.0)
    assert float(loss.bound) == pytest.approx(1.5e-28, rel=1e-12, abs=0)




def test_the_bound_of_a_residue_within_it_covers_the_residue_whatever_its_sign():
    """(x + y) − x − y at x = 0.7, y = 1e-20 and 30 digits: x + y needs about 120 bits and is rounded (at
    ~100), so f comes out as a residue q of about −2.5e-32 instead of 0.  The rounded nodes are s = x + y,
    d = s − x and q, each with adjoint 1: the first-order bound is 10^(2−30)·(|s| + |d| + |q|), and a
    residue within it is 0 within that bound plus |q| (the bound covers the computed value, here negative).
    The values are mpmath's own at 30 digits, computed here the same way."""
    m, loss = _loss("(x + y) - x - y", {"x": 0.7, "y": 1e-20}, 30)
    s = m.mpf(0.7) + m.mpf(1e-20)
    d = s - m.mpf(0.7)
    q = d - m.mpf(1e-20)
    assert q < 0 and loss.zero
    expected = M.mpf(10) ** -28 * (abs(s) + abs(d) + abs(q)) + abs(q)
    assert abs(loss.bound - expected) <= M.mpf(10) ** -12 * expected


def test_a_zero_sum_is_moved_both_ways_and_counts_the_larger_move():
    """(S·w)² − (S·w)³ with S = sin(y)*2 − sin(y) − sin(y), exactly 0 at 30 digits with a zero adjoint: S is
    moved by its error bound 10^(2−30)·2 (2, the constant, is the largest magnitude it depends on) up and
    down.  With w = 2.5e27 the move t = S·w is ±1/2: f moves by 1/4 − 1/8 up and 1/4 + 1/8 down, and the
    larger, 3/8, is f's bound (it exceeds the largest magnitude met, w, times 10^(2−30))."""
    _, loss = _loss("(S*w)**2 - (S*w)**3".replace("S", "(sin(y)*2 - sin(y) - sin(y))"),
                    {"y": 0.7, "w": 2.5e27}, 30)
    t = M.mpf(2) * M.mpf(10) ** -28 * M.mpf(2.5e27)  # the double 2.5e27 makes t 1/2 to 16 digits
    expected = t ** 2 + t ** 3
    assert abs(loss.bound - expected) <= M.mpf(10) ** -12 * expected

def test_many_zero_sums_are_moved_together_by_their_own_error_bounds():
    """(S·w)² with S the nine sums sin(k·y)*2 − sin(k·y) − sin(k·y) (k = 1 … 9), each exactly 0 at 60 digits
    with a zero adjoint (2·S·w² = 0), more than are moved one at a time: all nine are moved together, each
    by its error bound 10^(2−60) times the largest magnitude it depends on (the constant 2 for k = 1, the
    constant k beyond: 2 + 2 + 3 + … + 9 = 46 in all), all up, all down and in alternating signs.  The
    largest move, all one way, is (w·10^-58·46)², f's bound (f = 0 and nothing else weighs: w = 1e70
    makes the move far larger than the 1e70 met)."""
    text = "((" + " + ".join(f"(sin(y*{k})*2 - sin(y*{k}) - sin(y*{k}))" for k in range(1, 10)) + ")*w)**2"
    _, loss = _loss(text, {"y": 0.7, "w": 1e70}, 60)
    expected = (M.mpf(1e70) * M.mpf(10) ** -58 * 46) ** 2
    assert loss.unresolved and abs(loss.bound - expected) <= M.mpf(10) ** -12 * expected

T = 1 / 3  # the double, 53 significant bits


@pytest.mark.parametrize("text, point, dps, unresolved", [
    # an exact 0 from two equal values is known to be 0 only if everything before it was computed exactly
    ("x/4 - y/4", {"x": 1.0, "y": 1.0}, 30, False),          # 0.25: exact
    ("x/3 - y/3", {"x": 1.0, "y": 1.0}, 30, True),           # 1/3 rounds at any precision
    ("x*z - y*z", {"x": T, "y": T, "z": T}, 30, True),       # a 106-bit product at 30 digits (~100 bits)
    ("x*z - y*z", {"x": T, "y": T, "z": T}, 40, False),      # and exact at 40 (~133 bits)
    ("(x + z) - (y + z)", {"x": 1.5, "y": 1.5, "z": 0.25}, 30, False),
    ("(x + z) - (y + z)", {"x": 1e30, "y": 1e30, "z": 1e-30}, 30, True),  # a 200-bit sum
    ("x**3 - y**3", {"x": T, "y": T}, 30, True),             # 159 bits at ~100
    ("x**3 - y**3", {"x": T, "y": T}, 60, False),            # and at ~200
    ("x**64 - y**64", {"x": 1.5, "y": 1.5}, 40, False),      # 3^64: 102 bits, exact at ~133
    ("x**65 - y**65", {"x": 1.5, "y": 1.5}, 40, False),      # 3^65 (104 bits, as any power, recomputed
    ("x**65 - y**65", {"x": 1.5, "y": 1.5}, 25, True),       # at 2p + 64 bits): exact at ~136, not at ~86
    ("sqrt(x) - sqrt(y)", {"x": 2.25, "y": 2.25}, 30, False),  # 1.5
    ("sqrt(x) - sqrt(y)", {"x": 2.0, "y": 2.0}, 30, True),
    ("exp(x) - exp(y)", {"x": 0.0, "y": 0.0}, 30, False),    # exp(0) = 1 exactly
    ("log(x) - log(y)", {"x": 1.0, "y": 1.0}, 30, False),    # log(1) = 0 exactly
    ("exp(x) - exp(y)", {"x": 1.0, "y": 1.0}, 30, True),     # e is irrational
    ("log2(x) - log2(y)", {"x": 8.0, "y": 8.0}, 30, False),  # log2(8) = 3 exactly
    ("hypot(x, z) - hypot(y, z)", {"x": 3.0, "y": 3.0, "z": 4.0}, 30, False),  # 5 exactly
    ("log2(x) - log2(y)", {"x": 3.0, "y": 3.0}, 30, True),   # log2(3) is irrational
    ("sin(x) - sin(y)", {"x": T, "y": T}, 30, True),
    ("abs(x) - abs(y)", {"x": -T, "y": T}, 30, False),       # a selection is exact
    ("((1e125 + x) - 1e125)**2", {"x": 1.0}, 30, True),      # 1e125 + 1 rounded to 1e125: 0, squared
])
def test_an_exact_zero_is_resolved_only_where_everything_before_it_was_exact(text, point, dps, unresolved):
    _, loss = _loss(text, point, dps)
    assert loss.unresolved is unresolved
    assert loss.digits == 0.0  # a quantity that is 0 has no relative loss


# ---------------------------------------------------------------- the reference, end to end

def test_digits_asked_for_are_bounded_1_to_1000():
    from diffcli.core.errors import UsageError

    for digits in (0, 1001):
        with pytest.raises(UsageError, match=f"at least 1 and at most 1,000 .*, not {digits:,}$"):
            reference(parse("x"), {"x": 1.0}, digits=digits)
        with pytest.raises(UsageError, match="at least 1 and at most 1,000"):
            reference_partials(parse("x"), {"x": 1.0}, [(1,)], digits=digits)
    assert reference(parse("x*y"), {"x": 0.1, "y": 3.0}, digits=1).as_json()["gradient"] == {"x": "3.0",
                                                                                          "y": "0.1"}


def test_a_thousand_digits_write_out_the_double_exactly():
    """∂(x·y)/∂y = x, the double 0.1, whose exact decimal value has 55 significant digits."""
    result = reference(parse("x*y"), {"x": 0.1, "y": 3.0}, digits=1000)
    assert result.as_json()["gradient"]["y"] == "0.1000000000000000055511151231257827021181583404541015625"
    assert result.digits == 1000 and result.text(result.gradient["x"]) == "3.0"


def test_an_absorbed_input_is_repaid_with_more_digits():
    """(1e125 + x) − 1e125 at x = 1/3 (the double): both first runs round 1e125 + x to 1e125; the loss of
    125 digits raises the working precision, and f is x itself, its slope 1."""
    result = reference(parse("(1e125 + x) - 1e125"), {"x": 1 / 3}, digits=20)
    assert result.note is None and result.errors == {}
    assert (result.text(result.value), result.text(result.gradient["x"])) == (M.nstr(M.mpf(1 / 3), 20), "1.0")


# ---------------------------------------------------------------- the neighbourhood of the point

@pytest.mark.parametrize("left, right, direction, message", [
    (False, True, 1, "f is undefined for x < 0.5"),
    (True, False, -1, "f is undefined for x > 0.5"),
    (False, False, 0, "∂f/∂x does not exist: f is not real for x near 0.5"),
])
def test_sides_say_which_way_the_partial_may_look(left, right, direction, message):
    side = Sides(left, right)
    assert side.direction == direction and side.message("x", 0.5) == message


@pytest.mark.parametrize("text, point, expected", [
    ("sqrt(x)", {"x": 0.0}, {"x": (False, True)}),
    ("sqrt(-x)", {"x": 0.0}, {"x": (True, False)}),
    ("sqrt(x)", {"x": 1.0}, {}),                                   # nothing near an edge
    ("sqrt(x + 2)", {"x": -2.0}, {"x": (False, True)}),            # an edge away from 0
    ("sqrt(2 - x)", {"x": 2.0}, {"x": (True, False)}),
    ("asin(x)", {"x": 1.0}, {"x": (True, False)}), ("asin(x)", {"x": -1.0}, {"x": (False, True)}),
    ("acosh(x)", {"x": 1.0}, {"x": (False, True)}),
    ("x**1.5", {"x": 0.0}, {"x": (False, True)}),
    ("sqrt(x) + sqrt(-x)", {"x": 0.0}, {"x": (False, False)}),      # real at the point only
    ("(-x)**z", {"x": 2.0, "z": 3.0}, {"z": (False, False)}),        # real only at integer z; x moves freely
    ("(-x)**(z - z + 3)", {"x": 2.0, "z": 3.0}, {}),                 # the exponent does not move
    ("sqrt(x - y)", {"x": 1.0, "y": 1.0}, {"x": (False, True), "y": (True, False)}),
    # sqrt's argument x·y is at its edge; the suspicion reaches both x and y, but only x leaves the domain
    ("sqrt(x*y)", {"x": 0.0, "y": 1.0}, {"x": (False, True)}),
    # the edge is two applications below the root: sqrt(x) − 1 = 0 at x = 1, exp(x) − 1 = 0 at x = 0
    ("sqrt(sqrt(x) - 1)", {"x": 1.0}, {"x": (False, True)}),
    ("sqrt(exp(x) - 1)", {"x": 0.0}, {"x": (False, True)}),
    # base x − y = 0 with exponent x = 1: out of pow's domain only when both move (negative base,
    # non-integer exponent), which is x < 1
    ("(x - y)**x", {"x": 1.0, "y": 1.0}, {"x": (False, True)}),
    ("log(x)", {"x": 1e-300}, {}),                                  # a relative nudge stays inside
    ("sqrt(x - 1e-300)", {"x": 1e-300}, {"x": (False, True)}),
])
def test_sides_of_each_variable_not_real_on_both_sides(text, point, expected):
    m = private_context(mpmath, 50)
    graph = parse(text)
    found = sides(m, graph, {name: m.mpf(v) for name, v in point.items()}, graph.variable_names)
    assert found == {name: Sides(*pair) for name, pair in expected.items()}


def test_sides_are_asked_only_for_the_variables_named():
    m = private_context(mpmath, 50)
    graph = parse("sqrt(x - y)")
    at = {"x": m.mpf(1), "y": m.mpf(1)}
    assert sides(m, graph, at, ["y"]) == {"y": Sides(True, False)}


def test_f_undefined_at_the_point_is_no_reference():
    from diffcli.core.errors import PrecisionError

    with pytest.raises(PrecisionError, match=r"^no reference: f is undefined at the point \(.*log\(x\) is "
                                             r"undefined: x = 0\.0 \(needs x > 0\)\)$"):
        reference(parse("log(x) + sqrt(x)"), {"x": 0.0}, digits=20)


@pytest.mark.parametrize("text, direction", [("sqrt(x)", 1), ("sqrt(-x)", -1), ("sqrt(x) + 1e200", 1)])
def test_the_edge_slope_of_a_square_root_is_two_to_the_precision(text, direction):
    """δ = 2^-2P at a working precision of P bits: sqrt(δ)/δ = 2^P exactly (on the left, −2^P), also beside
    1e200, which the rise would vanish into without more precision."""
    m = private_context(mpmath, 40)
    graph = parse(text)
    at = {"x": m.zero}
    values = evaluate_mp(graph, at, m, every=True)
    assert edge_slope(m, graph, at, values, "x", direction) == direction * m.ldexp(1, m.prec)


@pytest.mark.parametrize("text, direction", [
    ("x/3 + sqrt(x)**3", 1), ("x/3 - sqrt(-x)**3", -1), ("x/3 + sqrt(x)**3 + 1e200", 1),
    ("x/3 + sqrt(x)**3 + 1e30", 1), ("x/3 + x*x + 1e30", -1), ("(x/3 + 1e30) - 1e30 + sqrt(x)**3", 1),
    ("(x/3 + 1e30) - 1e30 + sqrt(x)**3 + 5", 1),
])
def test_the_edge_slope_of_a_power_one_and_a_half_is_its_linear_term(text, direction):
    """x/3 + t^1.5: the quotient is 1/3 + δ^0.5 = 1/3 + 2^-P, 1/3 to the context's precision (x/3 + x²:
    1/3 - δ on the left).  Beside 1e30 (2^100) the rise δ/3 ≈ 2^-2P/3 is about 2P + 101 bits below f: the
    first evaluation at 3P + 64 bits keeps only P - 37 of them, so the precision must still be raised.
    (x/3 + 1e30) - 1e30 is 0 at 0, beside f = 0 or 5, but 1e30 + δ/3 needs 2P + 100 bits and P more to
    keep the rise's: the largest number met, not only f, sets the precision."""
    m = private_context(mpmath, 40)
    graph = parse(text)
    at = {"x": m.zero}
    slope = edge_slope(m, graph, at, evaluate_mp(graph, at, m, every=True), "x", direction)
    assert abs(slope - m.mpf(1) / 3) <= m.ldexp(1, 2 - m.prec)


@pytest.mark.parametrize("scale", [1e-50, 1e-100])
def test_the_edge_slope_of_a_small_multiple_of_a_cancelling_sum(scale):
    """((x/3 + 1e30) - 1e30 + t^1.5)·scale at 0: the slope is scale/3, and the rise, scale·δ/3, lies
    far below the last bit of the 1e30 met on the way (by 2^-166 or 2^-332 more than δ/3 does): the
    precision must be raised by all the bits it misses, not by fewer."""
    m = private_context(mpmath, 40)
    graph = parse(f"((x/3 + 1e30) - 1e30 + sqrt(x)**3)*{scale!r}")
    at = {"x": m.zero}
    slope = edge_slope(m, graph, at, evaluate_mp(graph, at, m, every=True), "x", 1)
    assert abs(slope - m.mpf(scale) / 3) <= m.mpf(scale) * m.ldexp(1, 2 - m.prec)


def test_the_edge_slope_beside_a_huge_f_doubles_its_precision_until_the_rise_shows():
    """x/3 + t^1.5 + exp(y) at y = 4160: f ≈ 2^6002 beside a rise of δ/3 ≈ 2^-274 (P = 136 bits), which
    shows from about 6276 bits on: from 3P + 64 = 472 bits, the fourth doubling (7552 bits) keeps over
    P + 64 bits of it, within the EDGE_DOUBLINGS allowed (4)."""
    m = private_context(mpmath, 40)
    graph = parse("x/3 + sqrt(x)**3 + exp(y)")
    at = {"x": m.zero, "y": m.mpf(4160)}
    slope = edge_slope(m, graph, at, evaluate_mp(graph, at, m, every=True), "x", 1)
    assert abs(slope - m.mpf(1) / 3) <= m.ldexp(1, 2 - m.prec)


def test_a_partial_at_a_two_variable_edge_is_one_sided_in_one_and_two_sided_in_the_other():
    """(x − y)**x at x = y = 1: f = t^(1+t) to the right in x (slope t^t → 1), not real to the left; in y
    f = (1 − y)^1, real on both sides, slope −1."""
    result = reference(parse("(x - y)**x"), {"x": 1.0, "y": 1.0}, digits=20)
    assert result.errors == {} and result.note == "∂f/∂x is one-sided: f is undefined for x < 1.0"
    assert [result.text(result.gradient[name]) for name in "xy"] == ["1.0", "-1.0"]


def test_a_partial_real_at_the_point_only_does_not_exist():
    result = reference(parse("sqrt(x) + sqrt(-x) + y"), {"x": 0.0, "y": 2.0}, digits=20)
    assert result.gradient == {"x": None, "y": 1} and result.note is None
    assert result.errors == {"x": "∂f/∂x does not exist: f is not real for x near 0.0"}


# ------------------------------------------------ partials that do not settle, zeros, reverse mode

@pytest.mark.parametrize("text, message", [
    # cbrt is real on both sides and has no kink; its slope at 0 is infinite: the runs never agree
    ("cbrt(x) + y", "no reference for ∂f/∂x: f is not differentiable here in x, or too ill-conditioned (two "
                    "working precisions do not agree on a single digit)"),
    # sqrt(|x|): ±1/(2·sqrt|t|) on both sides of abs's kink
    ("sqrt(abs(x)) + y", "no reference for ∂f/∂x: f has a kink here, where it is not differentiable "
                         "(abs(0.0) is at its kink)"),
])
def test_a_partial_on_which_the_runs_never_agree_says_why(text, message):
    result = reference(parse(text), {"x": 0.0, "y": 1.0}, digits=20)
    assert result.errors == {"x": message} and result.gradient["x"] is None
    assert result.text(result.gradient["y"]) == "1.0" and result.note is None


@pytest.mark.parametrize("x", [2.0, -2.0, 0.0])
def test_a_zero_partial_is_shown_as_zero_at_any_sign_of_the_point(x):
    """exp(x)·exp(−x) is 1 for every x: ∂f/∂x = 0 whatever the sign of x (the complex step's h is relative
    to |x|, and the largest term met, e^|x|, is a size)."""
    result = reference(parse("exp(x)*exp(-x)"), {"x": x}, digits=30)
    assert (result.text(result.value), result.text(result.gradient["x"])) == ("1.0", "0")
    assert result.note is None and result.errors == {}


def test_an_imaginary_part_cancelled_exactly_through_a_real_division_is_resolved():
    """((x + sin(y)) − x)/2: in the complex step in x the imaginary parts h of x + sin(y) and of x cancel
    exactly, while sin(y) was rounded; the difference reaches f only through a division by the real 2, so
    no error of a real part hides in it: ∂f/∂x is 0 and ∂f/∂y = cos(1)/2, with no note."""
    result = reference(parse("((x + sin(y)) - x)/2"), {"x": 1 / 3, "y": 1.0}, digits=20)
    assert result.note is None
    assert result.text(result.gradient["x"]) == "0"
    assert result.text(result.gradient["y"]) == M.nstr(M.cos(1) / 2, 20)


def test_reverse_mode_reference_of_a_sum_with_differences():
    """16 variables: the reference is reverse mode in mpmath, whose sums' partials ±1 are taken as the
    adjoint or its negation; f = x0² − x1² − … − x15² has ∂f/∂x0 = 2·x0 and ∂f/∂xi = −2·xi."""
    names = [f"x{i}" for i in range(16)]
    point = {name: i + 0.5 for i, name in enumerate(names)}
    result = reference(parse("x0*x0" + "".join(f" - {name}*{name}" for name in names[1:])), point, digits=20)
    assert result.method == "reverse-mode in mpmath, checked by mpmath.diff on 3 coordinates"
    assert [result.text(result.gradient[name]) for name in names] == \
        ["1.0"] + [M.nstr(-2 * (i + 0.5), 20) for i in range(1, 16)]
    assert result.text(result.value) == M.nstr(0.25 - sum((i + 0.5) ** 2 for i in range(1, 16)), 20)


def test_fifteen_variables_are_still_the_complex_step():
    names = [f"x{i}" for i in range(15)]
    result = reference(parse(" + ".join(f"{name}*{name}" for name in names)),
                       {name: i + 0.5 for i, name in enumerate(names)}, digits=20)
    assert result.method == "complex step in mpmath"
    assert result.text(result.gradient["x14"]) == "29.0"


def test_without_adjoints_every_rounded_node_weighs_one():
    """With no adjoints (the rules cannot be evaluated at the point), each node counts with weight 1: for
    (1e125 + x) − 1e125 that is the same sum as with its adjoints, all 1 there."""
    m = mpmath.MPContext()
    m.dps = 150
    graph = parse("(1e125 + x) - 1e125")
    values = evaluate_mp(graph, {"x": m.one}, m, every=True)
    for weights in (None, lambda: None):
        loss = assess(m, graph, values, False, weights)
        assert abs(loss.digits - float(M.log10(M.mpf(1e125) + 2))) < 1e-9 and not loss.unresolved


def test_reverse_mode_reference_through_a_constant_zero_partial():
    """sign and step have the constant partial 0 away from 0: in reverse mode nothing flows through them,
    so with 16 variables f = Σ xi² + sign(x0) + step(x15) has ∂f/∂xi = 2·xi."""
    names = [f"x{i}" for i in range(16)]
    text = " + ".join(f"{name}*{name}" for name in names) + " + sign(x0) + step(x15)"
    result = reference(parse(text), {name: i + 0.5 for i, name in enumerate(names)}, digits=20)
    assert result.method == "reverse-mode in mpmath, checked by mpmath.diff on 3 coordinates"
    assert [result.text(result.gradient[name]) for name in names] == [f"{2 * i + 1}.0" for i in range(16)]


@pytest.mark.parametrize("digits", [30, 200])
def test_a_reverse_mode_reference_is_cross_checked_by_the_complex_step_beside_an_edge(digits):
    """Σ sqrt(xi) over 16 variables with x0 = 1e-300: mpmath.diff's central difference in x0 would step
    below 0, so that coordinate is checked by the complex step instead, which must be good to every digit
    asked for (200 too): ∂f/∂x0 = 1/(2·sqrt(x0)) on the exact double, ∂f/∂x8 = 1/(2·sqrt(8.5))."""
    wide = mpmath.MPContext()
    wide.dps = digits + 20
    names = [f"x{i}" for i in range(16)]
    point = {name: 1e-300 if i == 0 else i + 0.5 for i, name in enumerate(names)}
    result = reference(parse(" + ".join(f"sqrt({name})" for name in names)), point, digits=digits)
    assert result.method == \
        "reverse-mode in mpmath, checked by mpmath.diff and the complex step on 3 coordinates"
    for name, x in (("x0", 1e-300), ("x8", 8.5)):
        truth = 1 / (2 * wide.sqrt(wide.mpf(x)))
        assert wide.mpf(result.text(result.gradient[name])) == wide.mpf(wide.nstr(truth, digits))


@pytest.mark.parametrize("kinked", [0, 8, 15])
def test_the_reverse_mode_cross_check_reads_the_first_middle_and_last_coordinates(kinked):
    """16 variables, abs(xk) at xk = 0 among squares: reverse mode gives abs's rule there while mpmath.diff's
    central difference gives 0; the cross-check, on x0, x8 and x15, refuses the reference naming xk."""
    from diffcli.core.errors import PrecisionError

    names = [f"x{i}" for i in range(16)]
    text = " + ".join(f"abs({name})" if i == kinked else f"{name}*{name}" for i, name in enumerate(names))
    point = {name: 0.0 if i == kinked else i + 0.5 for i, name in enumerate(names)}
    with pytest.raises(PrecisionError, match=f"^the reverse-mode reference disagrees with mpmath.diff in "
                                             f"x{kinked}; no trustworthy reference at this point$"):
        reference(parse(text), point, digits=20)


def test_an_unused_assignment_that_moves_with_x_is_not_a_term_of_its_partial():
    """'a = x*3; x*x': x·3 depends on x but f does not use it; ∂f/∂x = 2x on the double 0.1."""
    result = reference(parse("a = x*3\nx*x"), {"x": 0.1}, digits=20)
    assert result.text(result.gradient["x"]) == M.nstr(2 * M.mpf(0.1), 20) and result.note is None


@pytest.mark.parametrize("moved, shown", [(1.03, "3.0"), (1.3, None)])
def test_a_partial_on_which_the_runs_agree_to_one_digit_is_shown_to_that_digit(monkeypatch, moved, shown):
    # ∂exp(x)/∂x at 1 is e = 2.718…; the lower precision's run is moved by 3% (the runs then agree on one
    # digit: 0.03 <= 10^-1) or by 30% (on none: 0.3 > 10^-1).  One digit is shown, rounded ("3.0"), with
    # the ill-conditioning note; none is an error for that partial, not a digit.
    import diffcli.reference as reference_module
    from diffcli.core.parse import parse

    original = reference_module.settle

    def disagreeing(*args, **kwargs):
        first, second, extra = original(*args, **kwargs)
        first.gradient["x"] = first.gradient["x"] * moved
        return first, second, extra
    monkeypatch.setattr(reference_module, "settle", disagreeing)
    ref = reference_module.reference(parse("exp(x)"), {"x": 1.0}, digits=50)
    if shown is None:
        assert ref.gradient["x"] is None and "x" in ref.errors
    else:
        assert ref.digits == 1 and ref.text(ref.gradient["x"]) == shown and "only 1 of the 50" in ref.note


# ---------------------------------------------------------------- edges the float screen must not miss

def test_an_argument_rounded_just_inside_an_edge_is_still_suspected():
    # x = 0.75·2^-40, y = 1 - x: exactly x + y = 1, acos's edge.  In floats x + 8192 rounds to 8192 (x is
    # below half of 8192's ulp, 2^-40), so acos's argument is y = 1 - 0.75·2^-40: inside by 0.75·2^-40, which
    # the screen's nudge of 2^-40 crosses (and one of 2^-41 would not).  f is real only left of the point in
    # both variables, and acos' slope -1/sqrt(1 - u²) is unbounded there: no partial exists.
    x = 0.75 * 2.0 ** -40
    graph, point = parse("acos(((x + 8192) - 8192) + y)"), {"x": x, "y": 1 - x}
    assert sides(M, graph, {n: M.mpf(v) for n, v in point.items()}, ["x", "y"]) \
        == {"x": Sides(left=True, right=False), "y": Sides(left=True, right=False)}
    result = reference(graph, point, digits=20)
    assert result.gradient == {"x": None, "y": None}
    assert result.errors["x"].startswith(f"∂f/∂x does not exist: f is undefined for x > {x!r} and ")


def test_f_real_only_far_closer_than_a_double_apart_still_has_its_two_sided_partial():
    # acos(0.5 + (x - 1)·1e40) is real for |x - 1| <= 0.5e-40 (the double 1e40), a neighbourhood of the
    # point x = 1: ∂f/∂x = -1e40 / sqrt(1 - 0.25), two-sided, with no note.  No application is near its edge
    # at the point (acos(0.5)), so nothing may be suspected: a test of f at x ± 2^-83 would leave the domain.
    result = reference(parse("acos(0.5 + (x - 1)*1e40)"), {"x": 1.0}, digits=20)
    assert result.text(result.gradient["x"]) == M.nstr(-M.mpf(1e40) / M.sqrt(M.mpf(0.75)), 20)
    assert result.errors == {} and result.note is None


# ---------------------------------------------------------------- real parts absorbed under the complex step

@pytest.mark.parametrize("last_line, expected", [
    ("t + x*t**2 + 1e200", M.mpf(0.75) ** 2),             # t² = y²
    ("t + x*t*t + 1e200", M.mpf(0.75) ** 2),              # (x·t)·t: x·t is complex under the step
    ("t + x*cos(t) + 1e200", M.cos(M.mpf(0.75))),         # cos(y)
    ("t + x/(1 + t*t) + 1e200", 1 / (1 + M.mpf(0.75) ** 2)),  # a real divisor that t moves: 1/1.5625
    ("t + t*t/x + 1e200", -M.mpf(0.75) ** 2 / M.mpf(0.5) ** 2),  # a complex divisor: -y²/x² = -2.25
])
def test_a_sum_absorbed_to_zero_in_a_partial_it_reaches_through_a_nonlinear_path_is_resolved(last_line,
                                                                                           expected):
    # t = (1e125 + y) - 1e125 is y = 0.75, but 0 at any working precision below 125 digits.  The value
    # (1e200 plus small terms) does not care, and ∂f/∂t = 1 + … is 1 at t = 0, so only ∂f/∂x shows the
    # absorption: it reads t through x·t² (or a division by a real divisor that t moves, or by the complex
    # x), where t's real error reaches the imaginary part of the complex step with a zero first-order
    # weight.  The run must be repeated until t is y.
    result = reference(parse(f"t = (1e125 + y) - 1e125\n{last_line}"), {"x": 0.5, "y": 0.75}, digits=20,
                       variables=["x"])
    assert result.text(result.gradient["x"]) == M.nstr(expected, 20) and result.note is None


@pytest.mark.parametrize("text", ["t = sin(y)*2 - sin(y) - sin(y)\na = exp(t)\nx + t",
                                  "x + 3*(sin(y)*2 - sin(y) - sin(y))", "x + (sin(y)*2 - sin(y) - sin(y))/3"])
def test_a_sum_exactly_zero_read_linearly_does_not_hide_the_partials(text):
    # t = 2·sin(y) - sin(y) - sin(y) is exactly 0 (each step exact) though sin(y) is not, so the run cannot
    # show it exact.  f reads t linearly (alone, times 3, over 3), so ∂f/∂x = 1 and ∂f/∂y = 0 whatever
    # t's error; exp(t), assigned and never used, is not a path to f.
    result = reference(parse(text), {"x": 0.5, "y": 0.7}, digits=20)
    assert [result.text(result.gradient[name]) for name in "xy"] == ["1.0", "0"] and result.note is None


def test_an_output_assigned_before_its_last_use_is_read_linearly():
    # f = t = x·sin(y) - sin(y)·w at x = w: exactly 0 (the two products round alike), which the run cannot
    # show exact (sin), so f is "0 within a bound".  Its partials are sin(y), 0 and -sin(y): under x's
    # complex step t's real part is that exact 0 and its imaginary part h·sin(y), and f is t itself; exp(t),
    # computed after it and never used, is not a path to f.
    result = reference(parse("t = x*sin(y) - sin(y)*w\na = exp(t)\nt"), {"x": 0.5, "y": 0.7, "w": 0.5},
                       digits=20)
    sine = M.nstr(M.sin(M.mpf(0.7)), 20)
    assert [result.text(result.gradient[name]) for name in "xyw"] == [sine, "0", f"-{sine}"]
    assert result.value == 0 and sorted(result.gradient) == ["w", "x", "y"]
    assert result.note.startswith("cancellation beyond the largest working precision: f is 0 within ±")
    assert "∂f" not in result.note


@pytest.mark.parametrize("text", ["log((x + u) - x)", "log((x + u) - x) + sqrt(w)**3"])
def test_f_defined_at_the_point_only_past_an_absorbed_input_has_its_reference(text):
    # (x + u) - x is u = 2^-300 exactly, but 0 at the 80 digits (266 bits) the neighbourhood is first asked
    # at, where log fails: f = log(2^-300) = -300·ln 2, ∂f/∂u = 2^300, ∂f/∂x = 0 (and sqrt(w)³ = w^1.5 at
    # w = 0 adds 0, one-sided: f is real for w >= 0 only).
    point = {"x": 1.0, "u": 2.0 ** -300, "w": 0.0}
    graph = parse(text)
    result = reference(graph, {name: point[name] for name in graph.variable_names}, digits=50)
    assert result.text(result.value) == M.nstr(-300 * M.ln(2), 50)
    assert result.text(result.gradient["u"]) == M.nstr(M.ldexp(1, 300), 50) and result.gradient["x"] == 0
    assert result.errors == {}
    if "w" in graph.variable_names:
        assert result.gradient["w"] == 0 and result.note == "∂f/∂w is one-sided: f is undefined for w < 0.0"


def test_f_undefined_at_the_point_at_every_precision_has_no_reference():
    from diffcli.core.errors import PrecisionError

    with pytest.raises(PrecisionError, match=r"^no reference: f is undefined at the point \(log\(x - 1\) is "
                                             r"undefined: x - 1 = 0.0 \(needs x - 1 > 0\)\)$"):
        reference(parse("log(x - 1)"), {"x": 1.0}, digits=20)


def test_a_one_sided_slope_that_shrinks_too_slowly_is_not_given():
    # x^1.01 at 0: the right derivative is 0, but the one-sided quotient is δ^0.01, and at δ = 2^-2P for
    # the P ≈ 180-200 bits of a 20-digit reference's runs that is still about 0.07: the two runs agree on no
    # digit, and the slope falls as the step does (not an unbounded one).
    result = reference(parse("x**1.01 + y"), {"x": 0.0, "y": 1.0}, digits=20)
    assert result.gradient == {"x": None, "y": 1}
    assert result.errors == {"x": "no reference for ∂f/∂x: f is undefined for x < 0.0 and the one-sided "
                                  "slope at 0.0 changes with the step too slowly to settle (like t^a with "
                                  "1 < a < 1.5)"}


# ---------------------------------------------------------------- higher partials (reference_partials)

def test_higher_partials_have_fifty_digits_by_default():
    result = reference_partials(parse("x*y"), {"x": 2.0, "y": 3.0}, [(1, 1), (2, 0)])
    assert result.digits == 50
    assert [result.text(result.derivatives[o]) for o in [(1, 1), (2, 0)]] == ["1.0", "0"]


UNSETTLED = ("two working precisions of mpmath.diff do not agree on 20 digits: f is not twice differentiable "
             "here, or too ill-conditioned; try fewer --digits")


@pytest.mark.parametrize("text, second_in_x", [("x*x + abs(y)", "2.0"),
                                               ("sin(x) + abs(y)", M.nstr(-M.sin(1), 20))])
def test_a_second_derivative_at_a_kink_is_its_own_error_and_the_others_are_given(text, second_in_x):
    # abs(y) at y = 0 has no second derivative: mpmath.diff's runs never agree, so the last pair of guard
    # digits is reached; ∂²/∂x² (2, or -sin(1), which the runs agree on but not to the last bit) is still
    # given, and only (0, 2) is an error.
    result = reference_partials(parse(text), {"x": 1.0, "y": 0.0}, [(2, 0), (0, 2)], digits=20)
    assert result.text(result.derivatives[(2, 0)]) == second_in_x and result.derivatives[(0, 2)] is None
    assert result.errors == {(0, 2): UNSETTLED}


def test_no_higher_partial_settling_is_an_error_of_the_whole_reference():
    from diffcli.core.errors import PrecisionError

    with pytest.raises(PrecisionError, match=r"^the reference could not reach 20 correct digits at this "
                                             r"point \(two working precisions"):
        reference_partials(parse("abs(y)"), {"y": 0.0}, [(2,)], digits=20)


def test_a_zero_higher_partial_beside_a_large_negative_value_is_zero():
    # d³/dx³ (x/3 - 1e100) = 0; mpmath.diff's runs leave residues that scale with f's rounding (|f| = 1e100
    # times 10^-working digits), which need not be below 10^-20 but are far within 10^-20·|f|: 0 to the
    # digits asked for, relative to f's size (not its signed value).
    result = reference_partials(parse("x/3 - 1e100"), {"x": 1.0}, [(3,)], digits=20)
    assert result.derivatives[(3,)] == 0 and result.errors == {}


@pytest.mark.parametrize("text, point, given, errors", [
    # (-x)**z at z = 3: not real for any non-integer z, so nothing in z; ∂/∂x (-x)³ = -3x² = -12
    ("(-x)**z", {"x": 2.0, "z": 3.0}, {(1, 0): "-12.0"},
     {(0, 1): "∂f/∂z does not exist: f is not real for z near 3.0",
      (1, 1): "∂f/∂z does not exist: f is not real for z near 3.0"}),
    # x**1.5 at 0 is real on the right only: no two-sided derivative in x; ∂²/∂y² y = 0
    ("x**1.5 + y", {"x": 0.0, "y": 1.0}, {(0, 2): "0"},
     {(1, 1): "no two-sided derivative in x: f is undefined for x < 0.0"}),
])
def test_higher_partials_in_a_variable_without_a_real_neighbourhood_are_errors(text, point, given, errors):
    result = reference_partials(parse(text), point, [*given, *errors], digits=20)
    assert {o: result.text(result.derivatives[o]) for o in given} == given and result.errors == errors
    assert all(result.derivatives[o] is None for o in errors)


@pytest.mark.parametrize("digits", [5, 20])
def test_higher_partials_of_a_cancelling_function_are_resolved(digits):
    # ((1e125 + x) - 1e125)² is x², d²/dx² = 2, once the runs have the 125 digits the sum absorbs
    result = reference_partials(parse("((1e125 + x) - 1e125)**2"), {"x": 1.0}, [(2,)], digits=digits)
    assert result.text(result.derivatives[(2,)]) == "2.0"


# ---------------------------------------------------------------- the lower run by the rules (rules.py)

@pytest.mark.parametrize("x, wrong", [
    (math.pi / 2, lambda b, y, x: b.cos(x) - 5.0),  # the rule's -10 against 2·cos(x) = 1.2e-16, below 1e-10
    (math.pi, lambda b, y, x: b.cos(x) * 0.0),      # the rule's 0 against 2·cos(π) = -2
])
def test_a_wrong_rule_beside_a_partial_near_zero_never_reaches_the_reference(monkeypatch, x, wrong):
    # Only a partial that both runs put within 10^-digits of its scale (1 here) may stand as 0 without
    # agreeing digits: a rule's partial counts only when it and the complex step's are both that small in
    # size, so a wrong rule is set aside and the complex step's two runs are shown.
    from dataclasses import replace

    from diffcli.core.primitives import PRIMITIVES

    monkeypatch.setitem(PRIMITIVES, "sin", replace(PRIMITIVES["sin"], partials=(wrong,)))
    result = reference(parse("sin(x) * z"), {"x": x, "z": 2.0}, digits=10)
    assert result.errors == {} and result.note is None
    assert result.text(result.gradient["x"]) == M.nstr(2 * M.cos(M.mpf(x)), 10)


@pytest.mark.parametrize("text, point, edge", [
    ("(x + 2)/3 + sqrt(x + 2)**3", -2.0, "-2.0"),  # an edge at a negative x: the step goes right of it
    ("a = x*3\nx/3 + sqrt(x)**3", 0.0, "0.0"),     # x·3, assigned and never used, moves with x
])
def test_a_one_sided_partial_steps_into_the_real_side(text, point, edge):
    # f = t/3 + t^1.5 with t = x - edge: the right derivative is 1/3 (t^1.5's is 0)
    result = reference(parse(text), {"x": point}, digits=20)
    assert result.text(result.gradient["x"]) == M.nstr(M.mpf(1) / 3, 20) and result.errors == {}
    assert result.note == f"∂f/∂x is one-sided: f is undefined for x < {edge}"


def test_a_zero_partial_is_zero_relative_to_its_largest_term():
    # ∂/∂x (sin(x)·1e200 - x·1e200) = 1e200·(cos x - 1) = 0 at x = 0, but the complex step leaves
    # 1e200·h²/6 in each run (its truncation, about 1e104 even at the last guard pair's h ~ 1e-48), and the
    # two runs' h differ: they agree on no digit.  Both are far within 10^-20 of the partial's largest term
    # (1e200, the derivative of either product), so the partial is 0 to the 20 digits asked for.
    result = reference(parse("sin(x)*1e200 - x*1e200 + y"), {"x": 0.0, "y": 1.0}, digits=20)
    assert result.gradient == {"x": 0, "y": 1} and result.errors == {} and result.note is None


@pytest.mark.parametrize("text, point", [("0**(x + 0.5)", {"x": 1.0}), ("0**(x*y)", {"x": 1.5, "y": 0.7})])
def test_zero_to_a_moving_positive_power_is_exactly_zero(text, point):
    # 0**t = 0 for every t > 0, exactly: f and its partials are 0, with nothing unknown about them (the
    # exponent moves nothing: the table's partial in t vanishes where the base is the constant 0)
    result = reference(parse(text), point, digits=20)
    assert result.value == 0 and set(result.gradient.values()) == {0} and result.note is None


@pytest.mark.parametrize("moved, shown", [(1.03, "3.0"), (1.3, None)])
def test_a_value_on_which_the_runs_agree_to_one_digit_is_shown_to_that_digit(monkeypatch, moved, shown):
    # exp(1) = 2.718…; the lower precision's value moved by 3% agrees with the higher one on one digit
    # (0.08 / 2.7 = 0.03 <= 10^-1), by 30% on none: one digit is shown ("3.0") with the note, none refuses
    # the whole reference (a value is what every error is measured against).
    import diffcli.reference as reference_module
    from diffcli.core.errors import PrecisionError

    original = reference_module.settle

    def disagreeing(*args, **kwargs):
        first, second, extra = original(*args, **kwargs)
        first.value = first.value * moved
        return first, second, extra
    monkeypatch.setattr(reference_module, "settle", disagreeing)
    if shown is None:
        with pytest.raises(PrecisionError, match="^no reference: f's value is too ill-conditioned here"):
            reference_module.reference(parse("exp(x)"), {"x": 1.0}, digits=50)
    else:
        ref = reference_module.reference(parse("exp(x)"), {"x": 1.0}, digits=50)
        assert ref.digits == 1 and ref.text(ref.value) == shown and "only 1 of the 50" in ref.note


def test_a_reverse_mode_reference_whose_rule_has_a_pole_is_refused_naming_it():
    # 16 variables take the reverse-mode reference; cbrt's derivative 1/(3·cbrt(x)²) has a pole at 0, so
    # ∂f/∂x0 has no finite value there, and the rule that fails is named.
    from diffcli.core.errors import PrecisionError

    names = [f"x{i}" for i in range(16)]
    text = " + ".join(["cbrt(x0)"] + [f"{name}*{name}" for name in names[1:]])
    point = {name: 0.0 if i == 0 else i + 0.5 for i, name in enumerate(names)}
    with pytest.raises(PrecisionError, match=r"the partial derivative of cbrt\(x0\) in x0 is undefined: "
                                             r"x0 = 0\.0"):
        reference(parse(text), point, digits=20)


@pytest.mark.parametrize("text, point, truth", [
    ("abs(x) + 1e300", {"x": 0.0}, {"x": 1.0}),  # d/dx+ |x| = 1; the constant moves nothing
    ("abs(x) + w", {"x": 0.0, "w": 1e300}, {"x": 1.0, "w": 1.0}),
    ("abs(x)*3 + w*w*1e-300", {"x": 0.0, "w": 1e150}, {"x": 3.0, "w": "2·w·1e-300"}),
    ("max(x, 2*x) + 1e200", {"x": 0.0}, {"x": 2.0}),                  # right of 0, 2x is the larger
])
def test_a_right_derivative_at_a_kink_is_not_lost_beside_a_huge_term(text, point, truth):
    """At a kink the reference is the right derivative.  mpmath.diff's step was lost beside 1e300 in both
    runs, so the reference said ∂f/∂x = 0 with no note where it is 1 (abs(x) + 1e300 at 0).  The truths
    are the right slopes worked out by hand (2·w·1e-300 at the doubles' exact values, in mpmath at 60
    digits); each must come out to the digits asked."""
    with mpmath.workdps(60):
        truth = {name: 2 * mpmath.mpf(point["w"]) * mpmath.mpf(1e-300) if isinstance(value, str) else value
                 for name, value in truth.items()}
    result = reference(parse(text), point, digits=30, one_sided=True)
    assert result.method == "right difference quotient in mpmath"
    for name, value in truth.items():
        got = result.gradient[name]
        assert abs(got - value) <= abs(value) * 1e-29, (name, got, value)
