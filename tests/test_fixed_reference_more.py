"""Fixed tests for the reference (``diffcli/reference``): behaviour that mutants planted by
``tools/mutate.py`` changed and no other test noticed.

Expected values come from closed forms (worked out in the comments) or from mpmath directly, never from the
reference itself.
"""

import mpmath
import pytest

from diffcli.core.parse import parse
from diffcli.reference import reference, reference_partials

M = mpmath.MPContext()
M.dps = 60


@pytest.mark.parametrize("text, point", [
    ("x*y + -1e300", {"x": 1.0, "y": 1.0}),            # the huge operand is negative: the smaller in value
    ("-1e300 + x*y", {"x": 1.0, "y": 1.0}),
    ("x*y + w", {"x": 1.0, "y": 1.0, "w": -1e300}),    # and a variable, so it depends on one too
])
def test_mixed_partial_beside_a_huge_negative_term_is_not_lost(text, point):
    """∂²f/∂x∂y of x·y plus a term free of x and y is 1, and ∂²f/∂x² = 0, by hand.  The sum's smaller
    operand is the smaller in size (|x·y| = 1 beside |−1e300|), not in value: taken by value, the gap of
    300 digits is not seen, mpmath.diff's step is lost beside −1e300 in both runs and they agree on 0."""
    orders = [(1, 1, 0)[:len(point)], (2, 0, 0)[:len(point)]]
    r = reference_partials(parse(text), point, orders, digits=30)
    assert r.errors == {}
    assert r.text(r.derivatives[orders[0]]) == "1.0"
    assert r.derivatives[orders[1]] == 0


@pytest.mark.parametrize("sign", ["+", "-"])
def test_the_reverse_mode_cross_check_weighs_the_value_by_its_size_whatever_its_sign(sign):
    """x1 + … + x16 ± 1e70 at x_k = k/7 takes the reverse-mode reference (16 variables), checked by
    mpmath.diff at 20 + 30 digits (169 bits): its central difference steps by h = 2^-179 and evaluates f at
    (169 + 20)·2 = 378 bits, where a double's neighbours of 1e70 (about 2^232.5) are 2^-145 apart, so
    f(x + h) and f(x − h) round to the same number and the check gets 0 where every partial is 1.  The
    check's floor is 10^-20·10^-20·|f| = 1e30 (f is the largest term met): 0 and 1 agree within it for
    f ≈ −1e70 as for +1e70, and the reference is given, each partial exactly 1."""
    names = [f"x{k}" for k in range(1, 17)]
    point = {name: k / 7 for k, name in enumerate(names, start=1)}
    result = reference(parse(" + ".join(names) + f" {sign} 1e70"), point, digits=20)
    assert result.method == "reverse-mode in mpmath, checked by mpmath.diff on 3 coordinates"
    assert result.errors == {} and result.note is None
    assert all(result.text(result.gradient[name]) == "1.0" for name in names)
    value = M.fsum(M.mpf(v) for v in point.values()) + int(f"{sign}1") * M.mpf(1e70)  # the exact doubles
    assert result.text(result.value) == M.nstr(value, 20)


def test_a_right_slope_steps_by_delta_not_by_twice_delta():
    """At a kink (one_sided) each partial is the right difference quotient over δ = 2^-2P, P the run's bits
    (20 digits plus the guard digits: 120 and 169 bits in the first pair of runs, δ = 2^-240 and 2^-338;
    203 and 336 in the second, 2^-406 and 2^-672; 402 and 734 in the third, 2^-804 and 2^-1468).
    f = x·sign((x − a)(x − b)(x − c)) has the right slope sign((−a)(−b)(−c)) = −1 at 0 (a, b, c > 0).
    a = 1.5·2^-240, b = 1.5·2^-406, c = 1.5·2^-804 each lie between the lower run's δ and 2δ of one pair,
    so a quotient over 2δ would give +1 and −1 (or −1 and +1) in each pair: no pair would agree.  Over δ
    both runs of the first pair give −1."""
    point = {"x": 0.0, "a": 1.5 * 2.0 ** -240, "b": 1.5 * 2.0 ** -406, "c": 1.5 * 2.0 ** -804}
    result = reference(parse("x*sign((x - a)*(x - b)*(x - c))"), point, digits=20, one_sided=True)
    assert result.errors == {}
    assert [result.text(result.gradient[name]) for name in "xabc"] == ["-1.0", "0", "0", "0"]


def test_a_one_sided_rise_lost_at_the_first_walk_is_looked_at_closer_at_the_boundary():
    """f = (sqrt(x) − sqrt(x)) + w + c·x, real for x ≥ 0: its right slope at 0 is c = 2^-300 exactly.  The
    first walk of edge_slope runs at 3P + 64 bits with δ = 2^-2P, where w = 2^64 absorbs the rise c·δ
    (2^-672 at P = 186): the rise is 0.  A rise lost beside numbers of magnitude 2^65 (mag of 2^64) would be
    a slope of at most 2^(65 − (3P + 64))/2^(1 − 2P) = 2^-P: not below the context's precision (strictly),
    so the walk is repeated at twice the bits, where the rise is kept and the slope is 2^-300 in both
    runs; ∂f/∂w = 1 and ∂f/∂c = x = 0."""
    point = {"x": 0.0, "w": 2.0 ** 64, "c": 2.0 ** -300}
    result = reference(parse("(sqrt(x) - sqrt(x)) + w + c*x"), point, digits=20)
    assert result.errors == {} and result.note == "∂f/∂x is one-sided: f is undefined for x < 0.0"
    assert result.text(result.gradient["x"]) == M.nstr(M.mpf(2) ** -300, 20)
    assert [result.text(result.gradient[name]) for name in "wc"] == ["1.0", "0"]


@pytest.mark.parametrize("text, point, digits", [
    # 1e300 lies in [2^996, 2^997) and x·y = 1 in [2^0, 2^1): magnitudes 997 and 1, a gap of 996 bits,
    # 996·log10(2) = 299.8 digits: 300 (the docstring's example)
    ("x*y + 1e300", {"x": 1.0, "y": 1.0}, 300),
    # no sum: the variable x = 1e300 against 1, 997 bits, 997·log10(2) = 300.1 digits: 301
    ("x*y", {"x": 1e300, "y": 1.0}, 301),
    # a sum of 2^-10 (magnitude -9) and 2^40 (magnitude 41): 50 bits, 15.05 digits: 16
    ("x + y", {"x": 2.0 ** -10, "y": 2.0 ** 40}, 16),
    # no sum and no variable above 1 (every variable 0): nothing hidden
    ("x*y", {"x": 0.0, "y": 0.0}, 0),
    # a sum's small operand that is a constant does not vary: nothing below x = 0.5 (magnitude 0) must move
    ("x + 1e-300", {"x": 0.5}, 0),
    # a small operand of 0 varies by about its step, as from 1 (magnitude 1): x + 16 at x = 0 hides
    # mag(16) − 1 = 5 − 1 = 4 bits, 1.2 digits: 2
    ("x + 16", {"x": 0.0}, 2),
])
def test_the_digits_hidden_below_a_sum_are_its_operands_gap_in_bits_times_log10_2(text, point, digits):
    """mpmath.diff needs as many more working digits as the larger operand of a sum has binary orders of
    magnitude above the smaller, varying one, written in decimal digits (bits·log10(2), rounded up): no
    more (each one costs time at every step of every run)."""
    from diffcli.reference.partials import _hidden_digits

    assert _hidden_digits(mpmath, parse(text), point, 50) == digits


def test_eight_suspects_are_moved_one_at_a_time(monkeypatch):
    """Up to MAX_SUSPECTS (8) zero sums are moved one at a time, each by + and by - its step, and their
    largest moves add up; past 8 they move together (four sign patterns).  With the k-th move asked
    reported as k, the eight suspects' largest moves are 2, 4, …, 16: 72 in all."""
    from diffcli.core.evaluate import evaluate_mp
    from diffcli.reference import cancellation

    m = mpmath.MPContext()
    m.dps = 30
    graph = parse("(x + 1) - x")
    values = evaluate_mp(graph, {"x": m.mpf(0.5)}, m, every=True)
    asked = []

    def move(m, graph, values, steps, signs, part, imaginary):
        asked.append((len(steps), list(signs)))
        return m.mpf(len(asked))

    monkeypatch.setattr(cancellation, "_move", move)
    moved = cancellation._moved(m, graph, values, [(graph.output, 0)] * 8, (m.re, m.im), False)
    assert asked == [(1, [1]), (1, [-1])] * 8
    assert moved == 72


def test_the_third_pair_of_runs_steps_by_the_lower_runs_delta():
    """At a kink (one_sided) the right quotients step by δ = 2^-2P: at 20 digits the pairs of runs have 15
    and 30, 40 and 80, 100 and 200 guard digits, P = 120 and 169, 203 and 336, 402 and 734 bits, so δ =
    2^-240 and 2^-338, 2^-406 and 2^-672, 2^-804 and 2^-1468.  f = x·sign((x − a)(x − b)(x − c)(x − d))
    with a = 2^-300, b = 2^-500, c = 2^-807, d = 2^-1000 has the right slope sign(abcd) = +1 at 0; over δ
    the quotient is −1 to the number of thresholds above δ.  First pair: none, then a: +1 and −1.  Second:
    a, then a and b: −1 and +1.  Third: a and b, then all four: +1 and +1, agreeing on the truth.  (With
    101 guard digits the third pair's lower δ would be 2^-810, below c: −1 and +1, no pair agreeing.)"""
    point = {"x": 0.0, "a": 2.0 ** -300, "b": 2.0 ** -500, "c": 2.0 ** -807, "d": 2.0 ** -1000}
    result = reference(parse("x*sign((x - a)*(x - b)*(x - c)*(x - d))"), point, digits=20, one_sided=True)
    assert result.errors == {} and result.note is None
    assert [result.text(result.gradient[name]) for name in "xabcd"] == ["1.0", "0", "0", "0", "0"]


@pytest.mark.parametrize("text, u, factor", [
    # sin(u) − u = −1.7e-31 lies 21 digits below its operands; the entry −1.7e-121 lies 121 below f
    ("x*y*(sin(u) - u)*1e-90 + 1", 1e-10, 1e-90),
    # sin(u) − u = −1.7e-181 lies 121 digits below its operands, and the entry 181 below f
    ("x*y*(sin(u) - u) + 1", 1e-60, 1.0),
])
def test_the_hidden_digits_are_measured_where_a_small_operand_cancels_to_a_nonzero_number(text, u, factor):
    """f = x·y·(sin(u) − u)·c + 1 at x = y = 1: ∂²f/∂x∂y = (sin(u) − u)·c, about −u³/6·c, far below f ≈ 1,
    so mpmath.diff needs as many more working digits as it lies below 1.  The sum shows that gap only where
    sin(u) − u comes out nonzero, at more digits than it cancels: measured at 20 digits plus the last
    pair's 200 guard digits it is seen (at 20 less 15, or 20 + 80, the second is 0 and both runs lose the
    entry beside 1, shown as 0).  Expected: mpmath at 600 digits on the exact doubles."""
    wide = mpmath.MPContext()
    wide.dps = 600
    exact = wide.mpf(u)
    r = reference_partials(parse(text), {"x": 1.0, "y": 1.0, "u": u}, [(1, 1, 0)], digits=20)
    assert r.errors == {}
    assert r.text(r.derivatives[(1, 1, 0)]) == wide.nstr((wide.sin(exact) - exact) * wide.mpf(factor), 20)


@pytest.mark.parametrize("sign", ["-", ""])
def test_a_hessian_entry_within_the_digits_of_f_is_0_whatever_the_sign_of_f(sign):
    """f = ∓1e250·(sin²x + cos²x) is the constant ∓1e250, so f' = f'' = 0.  mpmath.diff leaves residues of
    about |f|·2^-(P + 31) (its step 2^-(P+10) beside values rounded at 2P + 40 bits): some 1e120 in the
    last pair's lower run (121 digits, P = 402), where the higher run has 0.  They agree on no digit, but
    both lie within 10^-20 of max(|f|, 1) = 1e250: 0 to the 20 digits asked for, relative to f's size,
    for f negative as for f positive."""
    r = reference_partials(parse(f"{sign}1e250*(sin(x)**2 + cos(x)**2)"), {"x": 1.0}, [(1,), (2,)], digits=20)
    assert r.errors == {}
    assert [r.text(r.derivatives[o]) for o in [(1,), (2,)]] == ["0", "0"]


def test_a_hessian_where_a_sum_absorbs_an_input_at_the_first_runs_digits():
    """log((x + u) − x) at x = 1, u = 2^-121 is log(u) for every x: ∂f/∂u = 1/u = 2^121, ∂²f/∂u² = −1/u² =
    −2^242, and every entry in x is 0.  At 20 + 15 digits (120 bits) 1 + 2^-121 rounds to 1 and f is log(0):
    the working digits the sum hides (its gap of 121 bits, 37 digits) are measured where f is defined, with
    more digits, not taken as 0 — the runs at 35 digits then refused the Hessian ("f is undefined just
    beside the point"), while the gradient's reference gave it."""
    r = reference_partials(parse("log((x + u) - x)"), {"x": 1.0, "u": 2.0 ** -121},
                           [(0, 1), (0, 2), (1, 1), (2, 0)], digits=20)
    assert r.errors == {}
    assert [r.text(r.derivatives[o]) for o in [(0, 1), (0, 2), (1, 1), (2, 0)]] \
        == [M.nstr(M.mpf(2) ** 121, 20), M.nstr(-M.mpf(2) ** 242, 20), "0", "0"]


def test_a_hessian_of_f_undefined_at_the_point_is_refused_though_some_precision_evaluates_it():
    """log((x + u) − x) + sqrt(−((y + v) − y)) at x = y = 1, u = 2^-121, v = 2^-200 is undefined:
    sqrt(−2^-200).  A working precision between 122 and 200 bits keeps u and absorbs v, and evaluates it;
    the Hessian's reference, asking f at 35 digits (120 bits, where u is lost: log(0)) and then at 1,235
    (where v is kept), refuses it, naming the failure at the higher precision."""
    from diffcli.core.errors import PrecisionError

    point = {"x": 1.0, "u": 2.0 ** -121, "y": 1.0, "v": 2.0 ** -200}
    with pytest.raises(PrecisionError) as error:
        reference_partials(parse("log((x + u) - x) + sqrt(-((y + v) - y))"), point, [(0, 2, 0, 0)], digits=20)
    assert str(error.value).startswith("no reference: f is undefined at the point (sqrt(-((y + v) - y)) is "
                                       "undefined")


def test_a_complex_step_whose_weights_are_unknown_weighs_real_parts_by_0_in_its_imaginary_part():
    """w⁵ + x + sqrt(y) at w = 1e300, x = 0.5, y = 0: sqrt's partial has a pole at y = 0, so no run knows the
    adjoints and the cancellation bound weighs every node by 1 in the part a run carries, and by 0 in the
    other (the adjoints taken as real).  In ∂f/∂x's complex step the sum w⁵ + x, 10^1500 beside 0.5, is
    screened; weighed by 1, its real parts (1e1500) would bury the imaginary part h·1 beyond any working
    precision.  ∂f/∂x = 1, ∂f/∂w = 5·w⁴ (mpmath), and ∂f/∂y does not exist (sqrt's slope at its edge)."""
    result = reference(parse("w*w*w*w*w + x + sqrt(y)"), {"w": 1e300, "x": 0.5, "y": 0.0}, digits=20)
    assert result.note is None
    assert result.text(result.gradient["x"]) == "1.0"
    assert result.text(result.gradient["w"]) == M.nstr(5 * M.mpf(1e300) ** 4, 20)
    assert result.errors == {"y": "∂f/∂y does not exist: f is undefined for y < 0.0 and the one-sided slope "
                                  "at 0.0 grows without bound"}


@pytest.mark.parametrize("digits, bits", [(50, 167 + 20), (20, 67 + 20)])
def test_a_reference_keeps_20_bits_beyond_the_digits_asked_for(digits, bits):
    """rounded(…, digits) keeps ceil(digits·log2(10)) bits (167 for 50 digits, 67 for 20) and
    ROUNDING_MARGIN_BITS = 20 more: 1/3, whose bits alternate 0101…, rounded there is 1/3 to exactly that
    many bits (correctly rounded in a context of that precision), neither one bit fewer nor one more; so
    is a gradient's entry (rounded_all), where None stays None."""
    from diffcli.reference.runs import rounded, rounded_all

    m = mpmath.MPContext()
    m.prec = 400
    kept = rounded(m, m.mpf(1) / 3, digits)
    entries = rounded_all(m, {"x": m.mpf(1) / 3, "y": None}, digits)
    assert entries["y"] is None
    for precision in (bits - 1, bits, bits + 1):
        exact = mpmath.MPContext()
        exact.prec = precision
        assert (kept == exact.mpf(1) / 3) == (precision == bits)
        assert (entries["x"] == exact.mpf(1) / 3) == (precision == bits)


def test_a_zero_sum_moves_by_its_bound_from_the_largest_size_among_its_terms_whatever_their_sign():
    """A zero sum's error bound is 10^(2 − dps) times the largest |value| among the nodes it is computed
    from: (x + x) − x − x at x = −0.5 comes from −0.5, x + x = −1 and −0.5, all negative, so at 30 digits
    the sum, which is f itself, moves by 10^-28·|−1| = 1e-28 (to the context's rounding of 10^-28)."""
    from diffcli.core.evaluate import evaluate_mp
    from diffcli.reference.cancellation import _moved

    m = mpmath.MPContext()
    m.dps = 30
    graph = parse("((x + x) - x) - x")
    values = evaluate_mp(graph, {"x": m.mpf(-0.5)}, m, every=True)
    assert values[graph.output] == 0
    assert _moved(m, graph, values, [(graph.output, 0)], (m.re, m.im), False) == m.mpf(10) ** -28


def test_the_left_side_is_tested_at_the_step_closest_to_the_point():
    """The mirror of the right side's test: sqrt(x·(x + y)) at x = 0 with y = 1.5·2^-84 is real on
    (−∞, −y] and [0, ∞), not on (−y, 0): just left of the point f is undefined.  At 20 + 30 working digits
    (169 bits) each side is tested at δ = 2^-84: x = −δ is inside (−y, 0), x = −2δ would not be.  Right of
    0 the slope of sqrt(x·y) is unbounded."""
    result = reference(parse("sqrt(x*(x + y))"), {"x": 0.0, "y": 1.5 * 2.0 ** -84}, digits=20)
    assert result.errors == {"x": "∂f/∂x does not exist: f is undefined for x < 0.0 and the one-sided slope "
                                  "at 0.0 grows without bound"}
    assert result.text(result.gradient["y"]) == "0"  # f(0, y) = sqrt(0) for every y


@pytest.mark.parametrize("failed_in", ["first", "second"])
def test_a_partial_one_run_could_not_compute_is_settled_with_its_error(failed_in):
    """Where the complex step of ∂f/∂x failed in one run (f undefined at x + ih there), that run has no
    gradient entry for x, only an error: the two runs are not compared on x (there is nothing to compare),
    x counts as settled with the digits asked for, and the higher run carries the error; y agrees exactly."""
    from diffcli.reference import Reference, _agreement

    m = mpmath.MPContext()
    m.dps = 50
    reason = "no reference for ∂f/∂x: f is undefined just beside the point"
    runs = {}
    for run in ("first", "second"):
        failed = run == failed_in
        runs[run] = Reference(digits=50, value=m.mpf(2), context=m, errors={"x": reason} if failed else {},
                              gradient={"y": m.mpf(3)} if failed else {"x": m.mpf(1), "y": m.mpf(3)})
    agreed = _agreement(runs["first"], runs["second"], ["x", "y"], {}, 20)
    assert agreed["x"] == 20 and agreed["y"] >= 20 and agreed["value"] >= 20  # identical: 10,000 (the cap)
    assert runs["second"].errors == {"x": reason}


def test_the_first_pair_of_runs_steps_by_the_lower_runs_delta():
    """As the third pair's test: the right quotients at 20 digits step by δ = 2^-240 and 2^-338 (15 and 30
    guard digits), 2^-406 and 2^-672, 2^-804 and 2^-1468.  f = x·sign((x − c)(x − d)(x − u)(x − v)) with
    c = 2^-243, d = 2^-300, u = 2^-500, v = 2^-1000 has the right slope +1 at 0; over δ the quotient is −1
    to the number of thresholds above δ.  First pair: none, then c and d: +1 and +1, agreeing on the
    truth.  (The second pair, c, d, then c, d, u: +1 and −1, and the third, c, d, u, then all four: −1 and
    +1, would not agree; with 16 guard digits the first pair's lower δ would be 2^-246, below c: −1.)"""
    point = {"x": 0.0, "c": 2.0 ** -243, "d": 2.0 ** -300, "u": 2.0 ** -500, "v": 2.0 ** -1000}
    result = reference(parse("x*sign((x - c)*(x - d)*(x - u)*(x - v))"), point, digits=20, one_sided=True)
    assert result.errors == {} and result.note is None
    assert [result.text(result.gradient[name]) for name in "xcduv"] == ["1.0", "0", "0", "0", "0"]


def test_the_cross_checks_complex_step_has_a_step_small_enough_for_a_fast_oscillation():
    """sqrt(x)·cos(x·w²) + a1 + … + a14 at x = 1e-300, w = 1e156 (16 variables: reverse mode, checked on x,
    a7 and a14).  mpmath.diff's absolute step leaves sqrt's domain at x = 1e-300, so x is checked by the
    complex step, with h = 10^-(dps/2 + 5)·x.  cos(x·w²) turns on a scale of 1/w² = 1e-312, so the step's
    truncation h²·|f'''/f'|/6, about 10^-(dps + 10)·(x·w²)², must stay below 10^-20 of ∂f/∂x: at dps = 50
    it is 1e-36 (with 10^-(dps/2 − 5) it would be 1e-16 and the check would refuse).  Expected: the closed
    forms cos(xw²)/(2√x) − w²·sin(xw²)·√x and −2xw·sin(xw²)·√x in mpmath at 200 digits."""
    names = [f"a{k}" for k in range(1, 15)]
    point = {"x": 1e-300, "w": 1e156, **dict.fromkeys(names, 1.0)}
    result = reference(parse("sqrt(x)*cos(x*w*w) + " + " + ".join(names)), point, digits=20)
    assert result.method == ("reverse-mode in mpmath, checked by mpmath.diff and the complex step on 3 "
                             "coordinates")
    wide = mpmath.MPContext()
    wide.dps = 200
    x, w = wide.mpf(1e-300), wide.mpf(1e156)
    turn = x * w * w
    assert result.text(result.gradient["x"]) == wide.nstr(wide.cos(turn) / (2 * wide.sqrt(x))
                                                          - w * w * wide.sin(turn) * wide.sqrt(x), 20)
    assert result.text(result.gradient["w"]) == wide.nstr(-2 * x * w * wide.sin(turn) * wide.sqrt(x), 20)
    assert all(result.text(result.gradient[name]) == "1.0" for name in names)


@pytest.mark.parametrize("outer", ["*2", "/0.5"])
def test_zero_sums_reaching_a_partial_through_a_real_factor_or_divisor_are_not_measured(monkeypatch, outer):
    """As test_mutants_reference's test of the same name, with the limit set where the reference reads it
    (the module object runs.py imported, which a test importing diffcli.reference.cancellation may not get
    when that module's doctests are collected in importlib mode): the sums sin(k·y)*2 − sin(k·y) −
    sin(k·y), exactly 0 in the real parts of ∂f/∂x's complex step, reach f through a sum and a product by
    the real 2 (or a division by the real 0.5), where a real part's error cannot reach the imaginary part:
    not measured.  With at most 3 zero sums measured, four that were would leave ∂f/∂x refused; it is 1."""
    from diffcli.reference import runs

    monkeypatch.setitem(runs.sensitivities.__globals__, "MAX_JOINT_SUSPECTS", 3)
    sums = " + ".join(f"(sin(y*{k})*2 - sin(y*{k}) - sin(y*{k}))" for k in range(1, 5))
    text = f"x + ({sums}){outer}"
    result = reference(parse(text), {"x": 0.5, "y": 0.7}, digits=20, variables=["x"])
    assert result.errors == {} and result.note is None
    assert (result.text(result.value), result.text(result.gradient["x"])) == ("0.5", "1.0")
