"""est. error for the finite differences and the complex step (diffcli/methods/fd_error.py).

Each estimate must bound the true error — measured against mpmath, independently of the estimate — in
every case where the method gives a finite answer and an estimate, and be within 10^4 of it on the median
case; where no honest estimate exists (the stencil crosses a kink, the differences do not shrink with the
step, f's rounding cannot be bounded) it is null with a warning, never ±0 and never a small wrong number.
"""

import csv
import io
import json
import math
import random
import statistics

import mpmath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffcli.api import compare
from diffcli.core.errors import DiffcliError
from diffcli.core.primitives import FUNCTIONS
from diffcli.render.compare import render

STENCILS = ["fd-forward", "fd-backward", "fd-central", "fd-5point"]
METHODS = STENCILS + ["complex-step"]
M = mpmath.MPContext()
M.prec = 300
SMOOTH = sorted(p.name for p in FUNCTIONS.values() if p.arity == 1 and p.holomorphic)


def _true_error(estimate: float, truth) -> float:
    return float(abs(M.mpf(estimate) - M.mpf(truth)))


def _cases(text: str, point: dict, methods=METHODS):
    """(method, partial, answer, estimate, true error, warnings) of every partial with a finite answer and a
    reference; a true error below the reference's 50 digits counts as 0."""
    try:
        record = compare(text, point, methods=methods, timing=False)
    except DiffcliError:
        return []
    truth = record["reference"].get("gradient") or {}
    found = []
    for row in record["methods"]:
        for name, value in (row["gradient"] or {}).items():
            if value is None or truth.get(name) is None:
                continue
            true = _true_error(value, truth[name])
            if true <= 1e-40 * max(1.0, abs(float(truth[name]))):
                true = 0.0
            found.append((row["method"], name, value, row["error_estimate"][name], true, row["warnings"]))
    return found


def _random_expression(r: random.Random, depth: int) -> str:
    if depth == 0 or r.random() < 0.2:
        return r.choice(["x", "y", "x", "y", "0.5", "1.5", "2", "3"])
    if r.random() < 0.45:
        return f"{r.choice(SMOOTH)}({_random_expression(r, depth - 1)})"
    operator = r.choice(["+", "-", "*", "/", "**"])
    return f"({_random_expression(r, depth - 1)}) {operator} ({_random_expression(r, depth - 1)})"


def _battery(seed: int, count: int) -> list:
    r = random.Random(seed)
    found = []
    for _ in range(count):
        text = _random_expression(r, 4)
        point = {"x": r.choice([-1.7, -0.6, 0.3, 0.8, 1.3, 2.2, 1e-8, 35.0]), "y": r.uniform(-3, 3)}
        found += [(text, point, *case) for case in _cases(text, point)]
    return found


@pytest.fixture(scope="module")
def battery():
    return _battery(seed=7, count=400)


def test_every_estimate_bounds_the_true_error(battery):
    assert len(battery) > 800
    short = [case for case in battery if case[5] is not None and not case[5] >= case[6]]
    assert short == []


@pytest.mark.parametrize("method", METHODS)
def test_the_median_estimate_is_within_ten_thousand_times_the_true_error(battery, method):
    ratios = [estimate / true for _, _, m, _, _, estimate, true, _ in battery
              if m == method and estimate is not None and true > 0]
    assert len(ratios) > 100
    assert min(ratios) >= 1.0  # the bound, again, on the cases with an error
    assert statistics.median(ratios) <= 1e4, statistics.median(ratios)


def test_an_estimate_is_missing_only_with_a_warning_that_says_so_and_rarely(battery):
    missing = [case for case in battery if case[5] is None]
    for text, point, method, name, *_, warnings in missing:
        assert any(w.startswith(method) and f"∂f/∂{name}" in w and "unknowable" in w for w in warnings), \
            (text, point, method, warnings)
    assert len(missing) <= 0.05 * len(battery)


_leaf = st.sampled_from(["x", "y", "0.5", "1.5", "2", "3"])
_expressions = st.recursive(
    _leaf, lambda inner: st.one_of(
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(SMOOTH), inner),
        st.builds(lambda a, op, b: f"({a}) {op} ({b})", inner, st.sampled_from(["+", "-", "*", "/", "**"]),
                  inner)),
    max_leaves=6)


@settings(derandomize=True, max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=_expressions, x=st.sampled_from([-1.7, -0.6, 0.3, 0.8, 1.3, 2.2, 1e-8, 35.0]),
       y=st.floats(-3, 3))
def test_property_the_estimate_bounds_the_true_error_wherever_the_answer_is_finite(text, x, y):
    for method, name, answer, estimate, true, warnings in _cases(text, {"x": x, "y": y}):
        if estimate is None:
            assert any("unknowable" in w for w in warnings), (method, warnings)
        else:
            assert estimate >= true, (method, name, answer, estimate, true)


# ---------------------------------------------------------------- cases computed by hand

@pytest.mark.parametrize("method", METHODS)
def test_sin_at_1(method):
    (case,) = _cases("sin(x)", {"x": 1.0}, [method])
    _, _, answer, estimate, _, _ = case
    true = _true_error(answer, M.cos(1))
    assert true <= estimate <= 1e4 * true


@pytest.mark.parametrize("method", METHODS)
def test_the_cancelling_cubic_at_0_01(method):
    """3*(x**2 - 2)*cos(x) + x*(x**2 - 6)*sin(x) has the derivative x**3·cos(x) = 1e-6 against terms of 6."""
    x = M.mpf(0.01)
    (case,) = _cases("3*(-2 + x**2)*cos(x) + x*(-6 + x**2)*sin(x)", {"x": 0.01}, [method])
    assert case[3] >= _true_error(case[2], x ** 3 * M.cos(x))


@pytest.mark.parametrize("method", METHODS)
def test_softplus_third_derivative_at_1e_8(method):
    x = M.mpf(1e-8)
    s, t = 1 / (1 + M.exp(-x)), 1 / (1 + M.exp(x))
    (case,) = _cases("sigmoid(x)*sigmoid(-x)", {"x": 1e-8}, [method])
    assert case[3] >= _true_error(case[2], s * t * (t - s))


@pytest.mark.parametrize("method", STENCILS)
def test_where_f_underflows_to_one_double_the_estimate_is_tiny_but_not_zero(method):
    """exp(-x) at 800 is 0.0 at every stencil point; the true derivative is -exp(-800) = -3.7e-348."""
    (case,) = _cases("exp(-x)", {"x": 800.0}, [method])
    _, _, answer, estimate, _, _ = case
    assert answer == 0.0 and 0.0 < estimate < 1e-300
    assert estimate >= _true_error(answer, -M.exp(-800))


@pytest.mark.parametrize("method", STENCILS)
def test_a_term_rounded_away_is_counted(method):
    """1 + 1e-30·x rounds to 1.0 near x = 1: the stencils give ~0 for a derivative of 1e-30, and say
    that rounding at 1 (2^-53 of it) swamps it."""
    (case,) = _cases("1 + 1e-30*x", {"x": 1.0}, [method])
    _, _, answer, estimate, _, _ = case
    assert estimate >= _true_error(answer, M.mpf(1e-30)) and estimate > 1e-16 / 0.01


def test_a_stencil_across_a_kink_is_unknowable_one_beside_it_is_not():
    """abs(x - 1e-20) at x = 0: f is -x + 1e-20 left of 1e-20, so ∂f/∂x = -1; fd-central's points x ± h lie
    on both sides (it gives 0, true error 1), fd-backward's do not (it gives -1)."""
    rows = {row["method"]: row for row in compare("abs(x - 1e-20)", {"x": 0.0}, methods=STENCILS,
                                                   timing=False)["methods"]}
    for method in ("fd-forward", "fd-central", "fd-5point"):
        assert rows[method]["error_estimate"] == {"x": None}
        assert any(w.startswith(f"{method}: the error of ∂f/∂x cannot be estimated: the stencil steps "
                                f"across a kink around x = 0.0") and
                   "(est. error: unknowable)" in w for w in rows[method]["warnings"])
    backward = rows["fd-backward"]
    assert backward["gradient"]["x"] == pytest.approx(-1.0, abs=1e-15)
    assert 0 < backward["error_estimate"]["x"] < 1e-12
    assert backward["error_estimate"]["x"] >= _true_error(backward["gradient"]["x"], -1)


def test_differences_that_do_not_shrink_with_the_step_are_unknowable():
    """sqrt(x) at 1e-12 in fd-forward: h = 1.5e-8 is far beyond x, (sqrt(x+h) − sqrt(x))/h ≈ 1/sqrt(h) =
    8.2e3 for a derivative of 5e5, and the differences at h, 2h, 4h shrink like sqrt(h), not h."""
    (case,) = _cases("sqrt(x)", {"x": 1e-12}, ["fd-forward"])
    _, _, answer, estimate, true, warnings = case
    assert true > 4e5 and estimate is None
    assert any("do not shrink like h^1" in w for w in warnings)


@pytest.mark.parametrize("method", STENCILS)
def test_an_oscillation_finer_than_the_steps_is_unknowable(method):
    """sin((1.5 − 1.5**(x·y))·cbrt(3y − 6)) at x = -20, y = -1.9077…: 1.5**(xy) ≈ 5e6, so f turns over every
    ~1e-7 in y, below every stencil's step; the differences at h, 2h, 4h happen to shrink, but slower than
    h^p.  ∂f/∂y ≈ -9.7e7 (mpmath.diff on the real function), the stencils give 1e3 to 1.5e7."""
    m = mpmath.MPContext()
    m.dps = 60
    x, y = m.mpf(-20.0), m.mpf(-1.907769124551789)
    f = lambda t: m.sin((m.mpf(1.5) - m.mpf(1.5) ** (x * t)) * -m.cbrt(6 - 3 * t))  # noqa: E731
    exact = m.diff(f, y)
    point = {"x": -20.0, "y": -1.907769124551789}
    (case,) = [c for c in _cases("sin((1.5 - 1.5**(x*y)) * cbrt(3*y - 6))", point, [method]) if c[1] == "y"]
    _, _, answer, estimate, _, warnings = case
    assert _true_error(answer, exact) > 1e6
    assert estimate is None
    assert any(f"{method}: the error of ∂f/∂y cannot be estimated" in w for w in warnings)


@pytest.mark.parametrize("method", STENCILS)
def test_where_f_is_noise_the_estimate_is_unknowable(method):
    """cos(expm1(2x + cosh 1.5)/log2(sigmoid(x/2))) at x = 35: the argument is -7e38, rounded by ~1e23, so
    every double of f is noise; ∂f/∂x ≈ 1.7e39 (mpmath.diff at 100 digits), which no stencil can see."""
    m = mpmath.MPContext()
    m.dps = 100
    f = lambda t: m.cos(m.expm1(2 * t + m.cosh(1.5)) / m.log(1 / (1 + m.exp(-t / 2)), 2))  # noqa: E731
    exact = m.diff(f, m.mpf(35))
    (case,) = _cases("cos(expm1(x + x + cosh(1.5)) / log2(sigmoid(x*0.5)))", {"x": 35.0}, [method])
    _, _, answer, estimate, _, warnings = case
    assert _true_error(answer, exact) > 1e38
    assert estimate is None and any("are noise" in w for w in warnings), warnings


@pytest.mark.parametrize("method", STENCILS)
def test_a_stencil_far_from_the_chain_rules_slope_is_unknowable(method):
    """tan(exp(x)) at 35: exp(35) = 1.6e15, so tan turns ~10^8 times within one step and the stencils' three
    steps agree by chance on nonsense; ∂f/∂x = (1 + tan²(e^35))·e^35 ≈ 1.6e15 in closed form."""
    m = mpmath.MPContext()
    m.dps = 80
    u = m.exp(m.mpf(35))
    (case,) = _cases("tan(exp(x))", {"x": 35.0}, [method])
    _, _, answer, estimate, _, warnings = case
    assert _true_error(answer, (1 + m.tan(u) ** 2) * u) > 1e15
    assert estimate is None and any("from the chain rule's slope at the point" in w for w in warnings)


@pytest.mark.parametrize("method", METHODS)
def test_a_rounded_step_that_does_not_move_with_x_still_moves_the_derivative(method):
    """(atan(y) − y)**x at x = 0.3, y = -1e-7: the base, 3.3e-22 from terms of 1e-7, is the same double at
    every stencil point in x but is off by ~0.2%, and ∂f/∂x = b^x·log(b) with it."""
    m = mpmath.MPContext()
    m.dps = 60
    b = m.atan(m.mpf(-1e-7)) - m.mpf(-1e-7)
    (case,) = [c for c in _cases("(atan(y) - y)**x", {"x": 0.3, "y": -1e-7}, [method]) if c[1] == "x"]
    _, _, answer, estimate, _, _ = case
    true = _true_error(answer, b ** m.mpf(0.3) * m.log(b))
    assert true > 1e-3 * 1.78e-5  # rounding-limited: 0.2% of the derivative
    assert true <= estimate <= 1e4 * true


def test_near_a_domain_edge_the_extra_steps_shrink_instead():
    """log(x) at 1e-5 in fd-central: x − h is inside the domain, x − 2h is not; h/2 and h/4 are used."""
    (case,) = _cases("log(x)", {"x": 1e-5}, ["fd-central"])
    _, _, answer, estimate, _, _ = case
    true = _true_error(answer, 1 / M.mpf(1e-5))
    assert true > 1e-3 and true <= estimate <= 1e4 * true


def test_the_estimate_does_not_change_the_answer():
    """fd-central's answer is (f(x+h) − f(x−h))/2h at h = (x + cbrt(eps)) − x, computed here by hand."""
    record = compare("exp(x)*sin(x)", {"x": 0.7}, methods=["fd-central"], timing=False)
    h = (0.7 + 2.0 ** (-52 / 3)) - 0.7
    f = lambda t: math.exp(t) * math.sin(t)  # noqa: E731
    assert record["methods"][0]["gradient"]["x"] == (f(0.7 + h) * 0.5 + f(0.7 - h) * -0.5) / h


def test_complex_step_of_a_product_is_off_by_its_rounding_and_says_so():
    """∂(x·y)/∂x = y: Im((x + ih)·y)/h rounds twice (h·y, then /h), 0.7999999999999999 for 0.8."""
    cases = {case[1]: case for case in _cases("x*y", {"x": 0.3, "y": 0.8}, ["complex-step"])}
    for name, exact in (("x", M.mpf(0.8)), ("y", M.mpf(0.3))):
        _, _, answer, estimate, _, _ = cases[name]
        assert _true_error(answer, exact) <= estimate <= 1e-15
    assert _true_error(cases["x"][2], M.mpf(0.8)) > 0  # the rounding is real


# ---------------------------------------------------------------- every format carries it

def test_every_format_carries_the_estimate_and_its_warnings(cli):
    code, out, _ = cli("compare", "abs(x - 1e-20)", "x=0", "--no-timing", "-m", "fd-central,fd-backward",
                       "--wide")
    assert code == 0
    line = next(t for t in out.splitlines() if t.startswith("fd-central"))
    assert "unknowable" in line
    assert "warning: fd-central: the error of ∂f/∂x cannot be estimated: the stencil steps across a kink" \
        in out
    code, out, _ = cli("compare", "abs(x - 1e-20)", "x=0", "--no-timing", "-m", "fd-central,fd-backward",
                       "-f", "json")
    rows = {r["method"]: r for r in json.loads(out)["methods"]}
    assert rows["fd-central"]["error_estimate"] == {"x": None}
    assert rows["fd-backward"]["error_estimate"]["x"] > 0
    code, out, _ = cli("compare", "abs(x - 1e-20)", "x=0", "--no-timing", "-m", "fd-central,fd-backward",
                       "-f", "csv")
    rows = {r["method"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["fd-central"]["error_estimate"] == "" and "unknowable" in rows["fd-central"]["warnings"]
    assert float(rows["fd-backward"]["error_estimate"]) > 0


def test_file_mode_and_jsonl_carry_it(cli, tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("sin(x) @ x=1\nabs(x - 1e-20) @ x=0\n")
    code, out, _ = cli("compare", "--file", str(lines), "-m", "fd-central,complex-step", "-f", "jsonl")
    first, second = (json.loads(t) for t in out.splitlines())
    estimates = {r["method"]: r["error_estimate"]["x"] for r in first["methods"]}
    assert estimates["fd-central"] > 0 and estimates["complex-step"] >= 0
    central = next(r for r in second["methods"] if r["method"] == "fd-central")
    assert central["error_estimate"] == {"x": None} and any("unknowable" in w for w in central["warnings"])


def test_the_wide_table_shows_a_number_for_every_method():
    record = compare("exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)", {"x": 2.0, "z": 3.0}, timing=False)
    assert all(all(v > 0 for v in row["error_estimate"].values()) for row in record["methods"])
    text = render(record, "table", width=300, wide=True)
    assert "est. error" in text and "unknowable" not in text


# ---------------------------------------------------------------- hessian rows

def test_hessian_rows_carry_rounding_bounds_for_both_methods():
    """f = x³z + sin(xz) at x=0.7, z=1.3: H = [[6xz − z²sin(xz), 3x² + cos(xz) − xz·sin(xz)],
    [same, −x²sin(xz)]] in closed form, at the doubles' exact values."""
    from diffcli.api import hessian

    x, z = M.mpf(0.7), M.mpf(1.3)
    s, c = M.sin(x * z), M.cos(x * z)
    exact = [[6 * x * z - z * z * s, 3 * x * x + c - x * z * s], [3 * x * x + c - x * z * s, -x * x * s]]
    record = hessian("x**3*z + sin(x*z)", {"x": 0.7, "z": 1.3}, timing=False)
    rows = {row["method"]: row for row in record["methods"]}
    for method in ("symbolic", "forward-over-reverse"):
        bounds, entries = rows[method]["error_estimate"], rows[method]["hessian"]
        for i in range(2):
            for j in range(2):
                assert _true_error(entries[i][j], exact[i][j]) <= bounds[i][j] <= 1e-12


def test_hessian_of_sin_x_over_x_at_0_05_shows_its_bound_in_every_format(cli):
    """(sin x / x)'' = -sin x / x − 2 cos x / x² + 2 sin x / x³: terms of 1e4 cancel to -1/3."""
    x = M.mpf(0.05)
    exact = -M.sin(x) / x - 2 * M.cos(x) / x ** 2 + 2 * M.sin(x) / x ** 3
    code, out, _ = cli("hessian", "sin(x)/x", "x=0.05", "--no-timing", "-f", "json")
    rows = {row["method"]: row for row in json.loads(out)["methods"]}
    row = rows["forward-over-reverse"]
    entry, (bound,) = row["hessian"][0][0], row["error_estimate"][0]
    assert _true_error(entry, exact) > 1e-14 and bound >= _true_error(entry, exact)
    symbolic = rows["symbolic"]
    symbolic_entry, (symbolic_bound,) = symbolic["hessian"][0][0], symbolic["error_estimate"][0]
    true = _true_error(symbolic_entry, exact)
    assert true <= symbolic_bound <= 1e4 * max(true, abs(float(exact)) * 2.0 ** -53)
    code, out, _ = cli("hessian", "sin(x)/x", "x=0.05", "--no-timing")
    assert "est. error" in out.splitlines()[3] and "symbolic: 0 passes of f; " in out
    assert "est. error: no estimate" not in out
    code, out, _ = cli("hessian", "sin(x)/x", "x=0.05", "--no-timing", "-f", "csv")
    (row,) = csv.DictReader(io.StringIO(out))
    assert float(row["error_estimate_forward-over-reverse"]) == bound
    assert float(row["error_estimate_symbolic"]) == symbolic_bound
