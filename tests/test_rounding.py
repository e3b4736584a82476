"""A rounding estimate for every AD and symbolic partial: a running error bound carried
through the same loops (:mod:`diffcli.methods.rounding`).  It must bound the true error — measured against
mpmath, independently of the bound — in every case of a random battery and in the rounding-limited cases,
and not be more than 10^4 times the true error on the median case.  richardson says its estimate is
unknowable where f's values are all the same double."""

import math
import random
import statistics

import mpmath
import pytest

from diffcli.api import compare
from diffcli.core.errors import DiffcliError
from diffcli.core.parse import parse
from diffcli.core.primitives import FUNCTIONS
from diffcli.methods.forward import forward_over_reverse_row
from diffcli.methods.rounding import Tracked, hessian_bounds
from diffcli.render.compare import render

AD = ["symbolic", "reverse", "dual"]
M = mpmath.MPContext()
M.prec = 300


def _true_error(estimate: float, truth) -> float:
    return float(abs(M.mpf(estimate) - M.mpf(truth)))


def _random_expression(r: random.Random, depth: int) -> str:
    if depth == 0 or r.random() < 0.2:
        return r.choice(["x", "y", "x", "y", "0.5", "1.5", "2", "3"])
    if r.random() < 0.45:
        name = r.choice(sorted(p.name for p in FUNCTIONS.values() if p.arity == 1 and p.holomorphic))
        return f"{name}({_random_expression(r, depth - 1)})"
    operator = r.choice(["+", "-", "*", "/", "**"])
    return f"({_random_expression(r, depth - 1)}) {operator} ({_random_expression(r, depth - 1)})"


def _battery(seed: int, count: int):
    """(estimate, true error) of every AD/symbolic partial over ``count`` random expressions at random
    points, where f and the reference are defined."""
    r = random.Random(seed)
    pairs = []
    for _ in range(count):
        text = _random_expression(r, 4)
        point = {"x": r.choice([-1.7, -0.6, 0.3, 0.8, 1.3, 2.2]), "y": r.choice([-1.7, -0.6, 0.3, 0.8, 1.3])}
        try:
            record = compare(text, point, methods=AD, timing=False)
        except DiffcliError:
            continue
        truth = record["reference"].get("gradient") or {}
        for row in record["methods"]:
            for name, value in (row["gradient"] or {}).items():
                if value is None or truth.get(name) is None:
                    continue
                true = _true_error(value, truth[name])
                if true <= 1e-40 * max(1.0, abs(float(truth[name]))):  # below the reference's 50 digits
                    true = 0.0
                pairs.append((text, point, row["method"], name, row["error_estimate"][name], true))
    return pairs


@pytest.fixture(scope="module")
def battery():
    return _battery(seed=4, count=120)


def test_the_estimate_bounds_the_true_error_in_every_case(battery):
    assert len(battery) > 150
    short = [case for case in battery if not case[4] >= case[5]]
    assert short == []


def test_the_estimate_is_within_ten_thousand_times_the_true_error_on_the_median_case(battery):
    ratios = [estimate / true for *_, estimate, true in battery if true > 0 and math.isfinite(estimate)]
    assert len(ratios) > 50 and statistics.median(ratios) <= 1e4


# ---------------------------------------------------------------- the rounding-limited cases

def test_cancelling_terms_d_dx_at_0_01():
    """3*(x**2 - 2)*cos(x) + x*(x**2 - 6)*sin(x) has the derivative x**3·cos(x) (the sin terms cancel):
    at 0.01 it is 1e-6 against terms of size 6, so every double evaluation is ~1e-12 off relatively."""
    x = M.mpf(0.01)
    exact = x ** 3 * M.cos(x)
    record = compare("3*(-2 + x**2)*cos(x) + x*(-6 + x**2)*sin(x)", {"x": 0.01}, methods=AD, timing=False)
    for row in record["methods"]:
        true = _true_error(row["gradient"]["x"], exact)
        assert true > 1e-13 * float(exact)  # rounding-limited indeed
        assert row["error_estimate"]["x"] >= true, row


def test_third_derivative_of_softplus_at_1e_8():
    """softplus'' = sigmoid(x)·sigmoid(-x); its derivative σ(x)σ(-x)(σ(-x) − σ(x)) ≈ -x/8 at 1e-8 is tiny
    against the terms of size 1/4 it comes from."""
    x = M.mpf(1e-8)
    s, t = 1 / (1 + M.exp(-x)), 1 / (1 + M.exp(x))
    exact = s * t * (t - s)
    record = compare("sigmoid(x)*sigmoid(-x)", {"x": 1e-8}, methods=AD, timing=False)
    for row in record["methods"]:
        true = _true_error(row["gradient"]["x"], exact)
        assert true > 1e-10 * abs(float(exact))
        assert row["error_estimate"]["x"] >= true, row


def test_hessian_of_sin_x_over_x_at_0_05_by_forward_over_reverse():
    """(sin x / x)'' = -sin x / x − 2 cos x / x² + 2 sin x / x³: the terms of size 1e4 cancel to -1/3."""
    x = M.mpf(0.05)
    exact = -M.sin(x) / x - 2 * M.cos(x) / x ** 2 + 2 * M.sin(x) / x ** 3
    graph = parse("sin(x)/x")
    entry = forward_over_reverse_row(graph, {"x": 0.05}, "x")[0]
    true = _true_error(entry, exact)
    assert true > 1e-14
    assert hessian_bounds(graph, [0.05])[0][0] >= true


def test_exact_operations_add_nothing_and_rounded_ones_their_exact_rounding():
    assert (Tracked(3.0) - 1.0).bound == 0.0 and (Tracked(0.5) * 4.0).bound == 0.0
    third = Tracked(1.0) / 3.0
    rounding = abs(M.mpf(1) / 3 - M.mpf(third.value))  # 1/3 − fl(1/3), not less, and to 12 digits
    assert rounding <= third.bound <= rounding * (1 + 1e-12)
    assert (Tracked(2.0) * 1.5).bound == 0.0


def test_a_tracked_pass_runs_once_per_point_and_is_reused_only_there(monkeypatch):
    """reverse, symbolic and the others ask for the same tracked passes at a point: each runs once there;
    another point, another graph or the other zero (0.0 and -0.0 are equal floats, not the same point)
    runs it again, and a pass that fails is not kept."""
    from diffcli.methods import rounding

    walks = []
    original = rounding.forward
    monkeypatch.setattr(rounding, "forward", lambda *args, **kw: walks.append(1) or original(*args, **kw))
    graph = parse("sin(x)*exp(y)/(1 + x*y)")
    first = rounding.reverse_bounds(graph, [0.7, 1.3])
    assert rounding.reverse_bounds(graph, [0.7, 1.3]) == first and rounding.tangents(graph, [0.7, 1.3])
    assert len(walks) == 1  # one tracked forward walk served reverse mode twice and forward mode
    moved = rounding.reverse_bounds(graph, [0.7, 1.31])
    assert len(walks) == 2 and moved != first
    assert rounding.reverse_bounds(graph.copy(), [0.7, 1.31]) == moved and len(walks) == 3  # a new graph
    assert rounding.reverse_bounds(graph, [0.7, 1.3]) == first and len(walks) == 4  # only the last point kept
    assert rounding.once_per_point(graph, [0.0, 1.0], "probe", lambda: "at +0") == "at +0"
    assert rounding.once_per_point(graph, [-0.0, 1.0], "probe", lambda: "at -0") == "at -0"
    calls = []

    def failing():
        calls.append(1)
        raise ArithmeticError("no bound here")
    for _ in range(2):
        with pytest.raises(ArithmeticError):
            rounding.once_per_point(graph, [-0.0, 1.0], "failing", failing)
    assert len(calls) == 2


def test_every_ad_row_shows_est_error_in_the_wide_table():
    record = compare("exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)", {"x": 2.0, "z": 3.0}, methods=AD,
                     timing=False)
    assert all(row["error_estimate"]["x"] > 0 for row in record["methods"])
    assert "est. error" in render(record, "table", width=300, wide=True)


# ---------------------------------------------------------------- richardson where f does not move

@pytest.mark.parametrize("text, x, where", [("exp(-x)", 800.0, "the steps it rests on"),
                                            ("1 + 1e-30*x", 1.0, "every step tried")])
def test_richardson_says_its_estimate_is_unknowable_where_f_is_one_double(text, x, where):
    """exp(-x) underflows to 0.0 around 800 (the derivative is -3.7e-348); 1 + 1e-30·x rounds to 1.0 at
    every step: the differences are all 0, so 0 ± 0 would claim what f's values cannot tell."""
    record = compare(text, {"x": x}, methods=["richardson"], timing=False)
    row = record["methods"][0]
    assert row["gradient"]["x"] == 0.0 and row["error_estimate"] == {"x": None}
    assert any(f"∂f/∂x is unknowable from f's values: f is the same double at {where}" in w
               for w in row["warnings"])
    line = next(t for t in render(record, "table", width=300, wide=True).splitlines()
                if t.startswith("richardson"))
    assert line.split()[3] == "unknowable", line  # method, ∂f/∂x, abs error, est. error


def test_a_failed_partial_leaves_the_others_their_estimate():
    """(-x)**z at x=2, z=3: ∂f/∂x = -12 is exact (3·(-2)**2 has no rounding), ∂f/∂z has no value."""
    record = compare("(-x)**z", {"x": 2.0, "z": 3.0}, methods=AD, timing=False)
    for row in record["methods"]:
        assert row["gradient"]["x"] == -12.0 and row["error_estimate"]["z"] is None
        assert 0.0 <= row["error_estimate"]["x"] <= 1e-20  # only the mpmath measurement's own margin
