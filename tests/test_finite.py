"""Finite differences against the mpmath reference: each stencil's order and step rule, --eps, the complex
step and where it refuses, Richardson extrapolation on a battery of hard cases, vectorized evaluation."""

import json
import math
import statistics

import mpmath
import numpy as np
import pytest
from battery import BATTERY
from conftest import LECTURE
from test_primitives import CASES, text_of

from diffcli.api import compare, sweep
from diffcli.core.errors import UsageError
from diffcli.core.parse import parse
from diffcli.core.primitives import PRIMITIVES
from diffcli.harness import run_method
from diffcli.methods import METHODS
from diffcli.methods.finite import STENCILS, Evaluator

M = mpmath.MPContext()
M.dps = 60
LN2 = M.log(2)
# by hand, see test_methods
LECTURE_DX = 3 * M.exp(6) + 3 / LN2 - 3 / LN2 ** 2 + M.cos(LN2) / 12 - M.sin(LN2) / 12
EPS = 2.0 ** -52  # the machine epsilon of doubles
FINITE = ("fd-forward", "fd-backward", "fd-central", "fd-5point", "complex-step", "richardson")


def row_of(record, method):
    return next(r for r in record["methods"] if r["method"] == method)


@pytest.fixture(scope="module")
def lecture():
    return compare(LECTURE, {"x": 2, "z": 3}, methods=list(FINITE), timing=False)


def test_every_finite_method_is_registered_with_its_step_rule():
    rules = {"fd-forward": "sqrt(eps)", "fd-backward": "sqrt(eps)", "fd-central": "cbrt(eps)",
             "fd-5point": "eps^(1/5)", "complex-step": "1e-20", "richardson": "0.2·max(1, |x|)"}
    for method, rule in rules.items():
        assert rule in METHODS[method].summary, method
        assert "step" in METHODS[method].options, method


@pytest.mark.parametrize("method, low, high", [
    ("fd-forward", 1e-8, 1e-7), ("fd-backward", 1e-8, 1e-7), ("fd-central", 1e-11, 1e-9),
    ("fd-5point", 1e-12, 1e-10), ("complex-step", 0, 1e-15), ("richardson", 0, 1e-14)])
def test_lecture_errors_are_where_theory_puts_them(lecture, method, low, high):
    """Forward O(sqrt(eps)), central O(eps^(2/3)), five-point O(eps^(4/5)), complex step exact to rounding."""
    row = row_of(lecture, method)
    assert row["error"] is None
    truth = float(LECTURE_DX)
    rel = abs(row["gradient"]["x"] - truth) / truth
    assert low <= rel <= high, (method, rel)


# The step rules' factors, from eps = 2^-52 (mpmath, not the code under test): h = factor·max(1, |x|).
FACTORS = {"fd-forward": float(M.power(2, M.mpf(-52) / 2)),   # sqrt(eps) = 2^-26 = 1.4901161193847656e-08
           "fd-backward": float(M.power(2, M.mpf(-52) / 2)),
           "fd-central": float(M.power(2, M.mpf(-52) / 3)),   # cbrt(eps) = 6.0554544523933395e-06
           "fd-5point": float(M.power(2, M.mpf(-52) / 5)),    # eps^(1/5) = 7.4009597974140505e-04
           "complex-step": 1e-20}
RULE_POINTS = [-3.0, -0.5, 0.0, -0.0, 5e-324, 1e-300, -1e-300, 1e200, -1e200]
"""Negative, zero, tiny and huge x: where max(1, |x|) is 1, |x| or a huge |x|."""


def assert_rule_step(step: float, x: float, factor: float, real: bool = True) -> None:
    """``step`` is the rule's h = factor·max(1, |x|) (to rounding: the rule's own factor may be off by an
    ulp, and a real step, taken as (x + h) - x so that it is exactly representable from x, by a few ulps
    of x); the complex step ih moves x off the real line, where nothing is rounded."""
    h = factor * max(1.0, abs(x))
    assert step == pytest.approx(h, rel=1e-15, abs=4 * math.ulp(x) if real else 0.0), (step, h, x)
    if real:
        assert (x + step) - x == step


def test_the_steps_taken_follow_the_rules(lecture):
    for method in STENCILS:
        step = row_of(lecture, method)["step"]
        for name, x in (("x", 2.0), ("z", 3.0)):
            assert_rule_step(step[name], x, FACTORS[method])
    assert row_of(lecture, "complex-step")["step"] == {"x": 1e-20 * 2.0, "z": 1e-20 * 3.0}


@pytest.mark.parametrize("x", RULE_POINTS)
def test_every_step_rule_at_negative_zero_tiny_and_huge_x(x):
    """h = factor·max(1, |x|): at x = -3 the central step is 1.8e-5 (3·cbrt(eps)), not cbrt(eps) = 6.1e-6."""
    record = compare("3*x + 1", {"x": x}, methods=list(FACTORS), timing=False)
    for method, factor in FACTORS.items():
        row = row_of(record, method)
        assert row["error"] is None, (method, row["error"])
        assert_rule_step(row["step"]["x"], x, factor, real=method != "complex-step")
        assert row["gradient"]["x"] == pytest.approx(3.0, rel=1e-6, abs=0), (method, x)


@pytest.mark.parametrize("x", [-3.0, 0.0, 1e-300, -1e200])
def test_eps_sweep_marks_the_rules_step(x):
    record = sweep("3*x + 1", {"x": x}, "x", schemes=list(FACTORS), h_from=1e-3, h_to=1e-2, per_decade=1)
    for method, factor in FACTORS.items():
        h = factor * max(1.0, abs(x))
        assert record["rule"][method]["h"] == pytest.approx(h, rel=1e-15, abs=0.0), method


def test_central_differences_on_arrays_step_by_the_rule_at_negative_x():
    """x**2 at x = -1e6 by fd-central on an array of points: with h = cbrt(eps)·1e6 = 6.06 the difference
    (f(x+h) - f(x-h))/2h loses eps·x²/h ≈ 4e-5 to rounding; with h = cbrt(eps) it would lose 1e6 times
    more (relative error 2e-5, not 2e-11)."""
    gradient, _ = METHODS["fd-central"].arrays(parse("x**2"))([np.array([-1e6, -3.0, 1e6])])
    assert gradient[0].tolist() == pytest.approx([-2e6, -6.0, 2e6], rel=1e-10, abs=0)


@pytest.mark.parametrize("x, firsts", [
    (-3.0, [0.6]), (0.0, [0.2]), (-0.5, [0.2]),
    (1e-300, [0.2, 0.2 * 1e-300]), (-1e-300, [0.2, 0.2 * 1e-300]),   # |x| < 2^-26: a second, tiny sequence
    (1e200, [0.2 * 1e200, 0.2]), (-1e200, [0.2 * 1e200, 0.2]),       # |x| > 2^26: a second sequence at 0.2
])
def test_richardsons_first_steps_at_negative_zero_tiny_and_huge_x(monkeypatch, x, firsts):
    """Richardson's sequences start at h_0 = 0.2·max(1, |x|) and halve 40 times, on both sides of x."""
    seen = []
    original = Evaluator

    def recording(graph):
        evaluator = original(graph)

        def call(values, rows, points, center=False):
            seen.append(np.array(points, dtype=float))
            return evaluator(values, rows, points, center=center)
        return call
    monkeypatch.setattr("diffcli.methods.richardson.Evaluator", recording)
    run_method("richardson", parse("3*x + 1"), {"x": x}, timing=False)
    (points,) = seen
    halvings = 2.0 ** -np.arange(40)
    expected = [x + h0 * np.concatenate([halvings, -halvings]) for h0 in firsts]
    assert points.shape == (len(firsts), 80)
    assert np.array_equal(points, np.array(expected))


@pytest.mark.parametrize("method, order", [("fd-forward", 1), ("fd-backward", 1), ("fd-central", 2),
                                           ("fd-5point", 4)])
def test_halving_the_step_shows_the_order(method, order):
    """In the truncation regime, halving h divides the error by 2^order (--eps sets the step)."""
    errors = []
    for h in (0.04, 0.02):
        row = compare("exp(x) * sin(x)", {"x": 0.7}, methods=[method], timing=False, eps=h)["methods"][0]
        errors.append(row["abs_error"]["x"])
    assert errors[0] / errors[1] == pytest.approx(2 ** order, rel=0.15, abs=0)


# Each stencil's error model, from its Taylor expansion (by hand, not from the code under test):
# order p, truncation C·|f^(p+1)|·h^p, round-off R·eps·|f|/h with R = Σ|weights|/2.
#   forward, backward: (f(x±h) - f(x))/±h = f' ± f''·h/2 + …        p = 1, C = 1/2,  R = (1 + 1)/2 = 1
#   central: (f(x+h) - f(x-h))/2h = f' + f'''·h²/6 + …               p = 2, C = 1/6,  R = (1/2 + 1/2)/2
#   five-point: (f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h))/12h = f' - f⁽⁵⁾·h⁴/30 + …
#                                                                    p = 4, C = 1/30, R = (18/12)/2 = 3/4
ERROR_MODELS = {"fd-forward": (1, 1 / 2, 1.0), "fd-backward": (1, 1 / 2, 1.0), "fd-central": (2, 1 / 6, 0.5),
                "fd-5point": (4, 1 / 30, 0.75)}


@pytest.mark.parametrize("name, point", [c for c in CASES if PRIMITIVES[c[0]].kink is None])
@pytest.mark.parametrize("method", list(STENCILS))
def test_every_smooth_primitive_within_its_error_model(name, point, method):
    """Error at the rule's step <= 4·(C·h^p + R·eps·|f|/h) + a few eps, with C from mpmath derivatives."""
    order, truncation, roundoff = ERROR_MODELS[method]
    graph = parse(text_of(PRIMITIVES[name]))
    names = graph.variable_names
    record = compare(graph, dict(zip(names, point)), methods=[method], timing=False, digits=30)
    row = record["methods"][0]
    if row["error"]:  # only a stencil that steps out of the domain may refuse, and it must say so
        assert "stencil point" in row["error"], row["error"]
        return
    for k, variable in enumerate(names):
        def along(t, k=k):
            args = [M.mpf(v) for v in point]
            args[k] = t
            return PRIMITIVES[name].mp(M, *args)
        x = point[k]
        h = (x + FACTORS[method] * max(1.0, abs(x))) - x  # the rule's step, as really taken
        C = truncation * abs(M.diff(along, M.mpf(x), order + 1))
        f = abs(float(along(M.mpf(x))))
        bound = 4 * (float(C) * h ** order + roundoff * EPS * f / h)
        assert row["abs_error"][variable] <= bound + 4 * EPS * abs(row["gradient"][variable]), \
            (variable, bound)


# ---------------------------------------------------------------- --eps

def test_eps_replaces_every_step_rule():
    record = compare("sin(x)", {"x": 1.0}, methods=list(FINITE), timing=False, eps=1e-3)
    for method in STENCILS:
        assert row_of(record, method)["step"]["x"] == pytest.approx(1e-3, rel=1e-12, abs=0)
    assert row_of(record, "complex-step")["step"]["x"] == 1e-3
    # (sin(1+h) - sin(1-h))/2h = cos(1)·sin(h)/h: relative error h²/6
    assert row_of(record, "fd-central")["rel_error"]["x"] == pytest.approx(1e-6 / 6, rel=1e-4, abs=0)


def test_eps_too_small_is_round_off_a_teacher_can_show():
    """At h = 1e-10 a central difference has lost about 6 digits to round-off: the classic failed check."""
    row = compare(LECTURE, {"x": 2, "z": 3}, methods=["fd-central"], timing=False, eps=1e-10)["methods"][0]
    assert row["max_rel_error"] > 1e-8


def test_eps_below_the_spacing_of_doubles_is_an_error_not_a_zero():
    row = compare("x**2", {"x": 1e6}, methods=["fd-forward"], timing=False, eps=1e-12)["methods"][0]
    assert row["gradient"] is None and "spacing of doubles" in row["error"]


@pytest.mark.parametrize("bad", [0.0, -1e-3, math.inf, math.nan])
def test_eps_must_be_a_positive_step(bad):
    with pytest.raises(UsageError, match="eps must be"):
        compare("x**2", {"x": 1.0}, eps=bad, timing=False)


def test_eps_on_the_command_line(cli):
    code, out, err = cli("compare", "sin(x)", "x=1", "--eps", "1e-3", "-m", "fd-central", "-f", "json",
                         "--no-timing")
    assert code == 0 and json.loads(out)["methods"][0]["step"]["x"] == pytest.approx(1e-3)
    code, out, err = cli("compare", "sin(x)", "x=1", "--eps", "0")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("diffcli: error: --eps must be a number of at least 1e-300")


# ---------------------------------------------------------------- domain edges

def test_a_stencil_crossing_the_domain_edge_names_the_point():
    record = compare("sqrt(x)", {"x": 1e-9}, methods=["fd-backward", "fd-central", "fd-5point", "fd-forward"],
                     timing=False)
    assert "x - h" in row_of(record, "fd-backward")["error"]
    assert "x - h" in row_of(record, "fd-central")["error"]
    assert "x - 2·h" in row_of(record, "fd-5point")["error"]
    assert row_of(record, "fd-forward")["error"] is None  # it never steps left


# ---------------------------------------------------------------- complex step

@pytest.mark.parametrize("name, point", [c for c in CASES if PRIMITIVES[c[0]].holomorphic])
def test_complex_step_is_exact_where_f_is_analytic(name, point):
    graph = parse(text_of(PRIMITIVES[name]))
    record = compare(graph, dict(zip(graph.variable_names, point)), methods=["complex-step"], timing=False,
                     digits=30)
    row = record["methods"][0]
    assert row["error"] is None and row["max_rel_error"] <= 4 * EPS, (name, point, row)


@pytest.mark.parametrize("text, culprit", [("abs(x) + x", "abs is"), ("relu(x)*x", "relu is"),
                                           ("max(x, 1)", "max is"),
                                           ("min(x, y) + abs(y)", "abs and min are")])
def test_complex_step_refuses_non_analytic_functions(text, culprit):
    graph = parse(text)
    point = {n: 2.0 for n in graph.variable_names}
    row = compare(graph, point, methods=["complex-step"], timing=False)["methods"][0]
    assert row["error"] == f"not applicable: {culprit} not analytic"
    assert row["gradient"] is None


def test_complex_step_uses_the_table_flag_not_a_list_of_names():
    assert {p.name for p in PRIMITIVES.values() if not p.holomorphic} >= {"abs", "relu", "min", "max"}


@pytest.mark.parametrize("text", ["sqrt(x)", "cbrt(x)", "x**0.5 + 1"])
def test_complex_step_refuses_a_branch_point(text):
    """Im sqrt(ih)/h = 1/sqrt(2h) = 7e9 would be a confident wrong number: refused instead."""
    row = compare(text, {"x": 0.0}, methods=["complex-step"], timing=False)["methods"][0]
    assert row["gradient"] is None and "not analytic at x = 0.0" in row["error"]


def test_complex_step_at_a_harmless_zero():
    """x**2 and sin(x) are analytic at 0: the check must not refuse them."""
    record = compare("x**2 + sin(x)", {"x": 0.0}, methods=["complex-step"], timing=False)
    assert record["methods"][0]["gradient"] == {"x": 1.0}


# ---------------------------------------------------------------- Richardson

@pytest.fixture(scope="module")
def battery():
    """richardson on the battery: (name, row) with the reference's errors filled in."""
    results = []
    for name, text, x in BATTERY:
        record = compare(text, {"x": x}, methods=["richardson"], timing=False, digits=30)
        assert record["reference"].get("error") is None, name
        results.append((name, record["methods"][0]))
    return results


def test_battery_is_big_and_varied():
    assert len(BATTERY) >= 15
    names = " ".join(name for name, _, _ in BATTERY)
    for kind in ("oscillatory: sin(1/x) at 0.05", "sqrt at 1e-6", "exp(100x)", "tanh at 20", "1e10 + sin(x)"):
        assert kind in names


def test_richardson_median_error_on_the_battery(battery):
    errors = [row["rel_error"]["x"] for _, row in battery]
    assert statistics.median(errors) <= 1e-12, errors


def test_richardson_error_estimate_bounds_the_true_error_everywhere(battery):
    """Not only where it claims success: in every case of the battery."""
    for name, row in battery:
        assert row["error"] is None, name
        assert row["error_estimate"]["x"] >= row["abs_error"]["x"], (name, row)


def test_richardson_estimate_covers_what_the_other_families_say():
    """hypot(x, 1e-8) at 0: ∂f/∂x = x/hypot(x, 1e-8) = 0, but f bends only over |x| ≲ 1e-8, far below every
    step, so the differences see |x|, whose slope is ±1 on either side.  Whatever richardson answers, its
    estimate must cover the distance to 0, which the families' disagreement reveals (alone, its chosen
    candidate would claim 6e-7 about an answer near 1)."""
    row = compare("hypot(x, 1e-8)", {"x": 0.0}, methods=["richardson"], timing=False)["methods"][0]
    assert row["error"] is None
    assert abs(row["gradient"]["x"] - 0.0) <= row["error_estimate"]["x"]
    assert row["warnings"]


def test_richardson_says_so_where_it_cannot_reach_accuracy(battery):
    rows = dict(battery)
    for name in ("tiny derivative: tanh at 20", "large offset: 1e10 + sin(x)"):
        assert any("richardson:" in w for w in rows[name]["warnings"]), name
    for name, row in battery:  # and a row without a warning vouches for 10 digits
        if not row["warnings"]:
            assert row["rel_error"]["x"] <= 1e-10, name


def test_richardson_near_a_domain_edge_falls_back_and_stays_finite(battery):
    """sqrt(x) at 1e-6: central differences with h > 1e-6 step below 0 (numdifftools and scipy give nan)."""
    row = dict(battery)["near a branch point: sqrt at 1e-6"]
    assert math.isfinite(row["gradient"]["x"]) and row["rel_error"]["x"] <= 1e-12


def test_richardson_at_a_domain_edge_uses_one_sided_differences():
    """sqrt(x)**2 + sin(x) at 0 (= x + sin(x) where defined): no central difference exists at any step."""
    row = compare("sqrt(x)**2 + sin(x)", {"x": 0.0}, methods=["richardson"], timing=False)["methods"][0]
    assert row["error"] is None and abs(row["gradient"]["x"] - 2.0) <= row["error_estimate"]["x"] <= 1e-10


def test_richardson_is_honest_when_its_model_does_not_fit():
    """x*sqrt(x) + x at 0: the forward differences are 1 + sqrt(h), a series in half-integer powers that
    Richardson's integer-power extrapolation cannot remove; the estimate must still cover the error."""
    row = compare("x*sqrt(x) + x", {"x": 0.0}, methods=["richardson"], timing=False)["methods"][0]
    assert abs(row["gradient"]["x"] - 1.0) <= row["error_estimate"]["x"]
    assert row["warnings"]


def test_richardson_at_a_kink_gives_the_right_derivative():
    record = compare("abs(x) + relu(x)", {"x": 0.0}, methods=["richardson"], timing=False)
    row = record["methods"][0]
    assert row["gradient"]["x"] == pytest.approx(2.0, abs=1e-12)  # the convention of the other methods
    assert any("one-sided" in w for w in row["warnings"])


def test_richardson_zero_derivative_is_reported_as_zero_within_its_estimate():
    row = compare("cos(x)", {"x": 0.0}, methods=["richardson"], timing=False)["methods"][0]
    assert abs(row["gradient"]["x"]) <= row["error_estimate"]["x"] <= 1e-12
    assert any("is 0 within" in w for w in row["warnings"])


def test_richardson_column_in_the_table_and_field_in_json(cli):
    code, out, _ = cli("compare", LECTURE, "x=2", "z=3", "--no-timing", "--wide")  # every column
    assert code == 0 and "est. error" in out
    code, out, _ = cli("compare", LECTURE, "x=2", "z=3", "--no-timing", "--wide", "-m", "fd-central")
    assert "est. error" in out  # every method has one
    code, out, _ = cli("compare", LECTURE, "x=2", "z=3", "--no-timing", "-f", "json")
    rows = {r["method"]: r for r in json.loads(out)["methods"]}
    for row in rows.values():
        assert set(row["error_estimate"]) == {"x", "z"}, row["method"]
    code, out, _ = cli("compare", "tanh(x)", "x=20", "--no-timing", "-m", "richardson")
    assert "warning: richardson: ∂f/∂x is 0 within" in out


# ---------------------------------------------------------------- one vectorized call

class Counting:
    """Wraps a compiled f: counts calls and remembers how many points each call evaluated."""

    def __init__(self, f):
        self.f, self.sizes = f, []

    def __call__(self, *args):
        self.sizes.append(max(np.size(a) for a in args))
        return self.f(*args)


@pytest.mark.parametrize("method, points, extra", [("fd-forward", 3 + 1, 3 * 2 + 1), ("fd-central", 6, 12),
                                                   ("fd-5point", 12, 24), ("richardson", 3 * 80 + 1, None)])
def test_all_stencil_points_go_through_f_in_one_call(monkeypatch, method, points, extra):
    """The vectorized path: the answer's points in one call; the est. error's (the stencil at 2h and 4h,
    untimed) in one more.  (Below SCALAR_POINTS stencil points a one-point stencil calls f on floats
    instead, point by point: tests/test_scalar_stencils.py; here the vectorized path is forced.)"""
    monkeypatch.setattr("diffcli.methods.finite.SCALAR_POINTS", 0)
    counters = []

    def counted(graph):
        evaluator = original(graph)
        evaluator.f = Counting(evaluator.f)
        counters.append(evaluator.f)
        return evaluator
    original = Evaluator
    monkeypatch.setattr("diffcli.methods.finite.Evaluator", counted)
    monkeypatch.setattr("diffcli.methods.richardson.Evaluator", counted)
    estimate = run_method(method, parse("x*y*z + sin(x)"), {"x": 0.5, "y": 2.0, "z": 3.0}, timing=False)
    assert estimate.error is None and estimate.evaluations == points
    (counter,) = counters
    assert counter.sizes == ([points] if extra is None else [points, extra])


def test_evaluator_chunks_big_gradients():
    evaluator = Evaluator(parse("x + 10*y + 100*z"))
    evaluator.columns = 4  # two rows of two points per call
    points = np.array([[1.5, 2.5], [3.5, 4.5], [5.5, 6.5]])
    together = Evaluator(parse("x + 10*y + 100*z"))
    for values in ([1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]):
        assert np.array_equal(evaluator(values, [0, 1, 2], points, center=True)[0],
                              together(values, [0, 1, 2], points, center=True)[0])
    assert evaluator([1.0, 2.0, 3.0], [0, 1, 2], points)[2].tolist() == [571.0, 671.0]


def test_evaluator_marks_points_outside_the_domain_nan():
    values = Evaluator(parse("log(x)"))([1.0], [0], [[2.0, -1.0, 0.0]])
    assert values[0, 0] == pytest.approx(math.log(2.0)) and np.isnan(values[0, 1:]).all()


# ------------------------------------------------ the evaluator and richardson (survivors of tools/mutate.py)

def test_evaluator_marks_points_nan_where_f_raises():
    """x + 1/z at z = 0 with only x moved: 1/z does not depend on the moved variable, so it is a Python
    float division, which raises; every point is nan, as outside the domain."""
    values = Evaluator(parse("x + 1/z"))([1.0, 0.0], [0], [[1.5, 0.5]])
    assert values.shape == (1, 2) and np.isnan(values).all()


@pytest.mark.parametrize("right, left", [("sqrt(x)**2 + sin(x)", "sqrt(-x)**2 - sin(x)"),
                                         ("1e10 + sqrt(x)**2 + sin(x)", "1e10 + sqrt(-x)**2 - sin(x)")])
def test_richardson_backward_differences_mirror_the_forward_ones(right, left):
    """left(x) = right(−x).  At x = 0 only forward differences of ``right`` and only backward ones of
    ``left`` exist, at steps that are mirror images (sqrt(−(−h)) = sqrt(h), sin(−h) = −sin(h) exactly), so
    the two extrapolations are the same numbers, negated, with the same estimate: the backward family is
    extrapolated and bounded as the forward one.  With 1e10 added, f stands still at small steps (the
    quantum of the doubles near 1e10 is 2^-19), which widens the round-off bound of both alike."""
    forward, backward = (compare(text, {"x": 0.0}, methods=["richardson"], timing=False)["methods"][0]
                         for text in (right, left))
    assert backward["gradient"]["x"] == -forward["gradient"]["x"]
    assert backward["error_estimate"]["x"] == forward["error_estimate"]["x"]
    assert abs(forward["gradient"]["x"] - 2.0) <= forward["error_estimate"]["x"]


@pytest.mark.parametrize("scale", [1e6, 1e-6])
def test_richardson_tolerance_is_relative_to_the_derivative(scale):
    """Scaled by 1e6 or 1e-6, sin' at 1 is found to about 14 digits as unscaled: the estimate stays below
    1e-10 of the derivative, so no warning, and the digits are right (cos 1, scaled)."""
    row = compare(f"{scale!r}*sin(x)", {"x": 1.0}, methods=["richardson"], timing=False)["methods"][0]
    assert row["warnings"] == []
    assert row["error_estimate"]["x"] <= 1e-10 * abs(row["gradient"]["x"])
    assert abs(row["gradient"]["x"] - scale * math.cos(1.0)) <= 1e-12 * scale


@pytest.mark.parametrize("x, sequences", [
    (2.0 ** 26, 1), (math.nextafter(2.0 ** 26, math.inf), 2),     # above 2^26: a second sequence from 0.2
    (2.0 ** -26, 1), (math.nextafter(2.0 ** -26, 0.0), 2),        # below 2^-26: a second from 0.2·|x|
])
def test_richardson_adds_a_second_sequence_only_beyond_2_to_the_26(x, sequences):
    """RICHARDSON_FIRST_STEP's rule: |x| strictly beyond 2^±26 gets a second sequence; each costs 2·40
    evaluations (x ± h_j), plus f(x) once."""
    row = compare("sin(x)", {"x": x}, methods=["richardson"], timing=False)["methods"][0]
    assert row["evaluations"] == 1 + 80 * sequences


@pytest.mark.parametrize("eps, evaluations", [(None, 1 + 2 * 3), (1e-10, 1 + 3 * 3)])
def test_complex_step_counts_f_once_and_two_evaluations_per_variable(eps, evaluations):
    """x·y·z: f(x) once (for the analyticity check), one complex evaluation per variable and one more
    beside x (f real there: not a non-real branch); with --eps one more per variable, at the rule's step,
    for the analyticity check."""
    row = compare("x*y*z", {"x": 1.0, "y": 2.0, "z": 3.0}, methods=["complex-step"], timing=False,
                  eps=eps)["methods"][0]
    assert row["error"] is None and row["evaluations"] == evaluations


def test_richardson_at_the_kink_of_a_function_made_only_of_kinks():
    """abs(x) at 0 alone (no other primitive in f): still one-sided, the right derivative 1."""
    row = compare("abs(x)", {"x": 0.0}, methods=["richardson"], timing=False)["methods"][0]
    assert row["gradient"]["x"] == pytest.approx(1.0, abs=1e-12)
    assert any("one-sided" in w for w in row["warnings"])


@pytest.mark.parametrize("method, counted", [
    ("fd-forward", "1 evaluation per variable plus f(x) once, error O(h)"),    # f(x + h), and f(x)
    ("fd-backward", "1 evaluation per variable plus f(x) once, error O(h)"),   # f(x − h), and f(x)
    ("fd-central", "2 evaluations per variable, error O(h²)"),                 # f(x ± h)
    ("fd-5point", "4 evaluations per variable, error O(h⁴)"),                  # f(x ± h), f(x ± 2h)
])
def test_stencil_summary_counts_its_evaluations_and_order(method, counted):
    assert METHODS[method].summary.endswith(", " + counted)


def test_complex_step_where_f_is_0_and_falling():
    """1 − x² at x = 1: f = 0 and f' = −2 < 0.  Re f(x+ih) − f(x) = h² is far below the analyticity
    tolerance on |Im f(x+ih)| = 2h, whatever the sign of Im: −2 exactly."""
    row = compare("1 - x**2", {"x": 1.0}, methods=["complex-step"], timing=False)["methods"][0]
    assert row["error"] is None and row["gradient"]["x"] == -2.0
