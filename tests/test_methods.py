"""Methods against the mpmath reference: the lecture example, and every table entry at several points."""

import math

import mpmath
import pytest
from conftest import LECTURE, FakeClock
from test_primitives import CASES, text_of

from diffcli.api import compare, gradient
from diffcli.core.parse import parse
from diffcli.core.primitives import PRIMITIVES
from diffcli.harness import prepare, run_method
from diffcli.methods.registry import ids
from diffcli.methods.reverse import tape

M = mpmath.MPContext()
M.dps = 60
LN2 = M.log(2)
# The lecture's hand-derived gradient at x=2, z=3 (independent of diffcli).
LECTURE_DX = 3 * M.exp(6) + 3 / LN2 - 3 / LN2 ** 2 + M.cos(LN2) / 12 - M.sin(LN2) / 12
LECTURE_DZ = 2 * M.exp(6) + 2 / LN2 - M.sin(LN2) / 18


@pytest.fixture(scope="module")
def lecture():
    return compare(LECTURE, {"x": 2, "z": 3}, timing=False)


def test_lecture_closed_forms_are_the_numbers_of_the_issue(lecture):
    """The issue's numbers, 1208.3812151266096 and 809.70747921856408, are the hand-derived gradient
    (independent of diffcli) to 17 digits; diffcli's reference shows them, and reverse mode and symbolic
    differentiation give them within an ulp or two."""
    assert M.nstr(LECTURE_DX, 17) == "1208.3812151266096"
    assert M.nstr(LECTURE_DZ, 17) == "809.70747921856408"
    reference = lecture["reference"]["gradient"]
    assert reference["x"].startswith("1208.3812151266096") and reference["z"].startswith("809.70747921856408")
    for row in lecture["methods"]:
        if row["method"] in ("reverse", "symbolic"):
            for name, truth in (("x", LECTURE_DX), ("z", LECTURE_DZ)):
                assert abs(row["gradient"][name] - float(truth)) <= 2 * math.ulp(float(truth)), row


def test_lecture_reference_is_the_closed_form(lecture):
    gradient = lecture["reference"]["gradient"]
    assert abs(M.mpf(gradient["x"]) - LECTURE_DX) < M.mpf(10) ** -45 * LECTURE_DX
    assert abs(M.mpf(gradient["z"]) - LECTURE_DZ) < M.mpf(10) ** -45 * LECTURE_DZ


@pytest.mark.parametrize("method, tolerance", [("symbolic", 1e-14), ("reverse", 1e-14), ("fd-central", 1e-8)])
def test_lecture_methods_within_tolerance(lecture, method, tolerance):
    row = next(r for r in lecture["methods"] if r["method"] == method)
    assert row["error"] is None
    for name, truth in (("x", LECTURE_DX), ("z", LECTURE_DZ)):
        assert abs(row["gradient"][name] - truth) / truth <= tolerance
        assert row["rel_error"][name] == pytest.approx(float(abs(row["gradient"][name] - truth) / truth),
                                                       rel=1e-6, abs=0)
    assert row["max_rel_error"] == max(row["rel_error"].values())


def test_fd_central_is_not_exact(lecture):
    """fd-central really is a finite difference: its error is far above rounding."""
    row = next(r for r in lecture["methods"] if r["method"] == "fd-central")
    assert row["max_rel_error"] > 1e-13
    assert row["evaluations"] == 4


@pytest.mark.parametrize("name, point", CASES)
@pytest.mark.parametrize("method", ["symbolic", "reverse"])
def test_every_primitive_against_the_reference(name, point, method):
    graph = parse(text_of(PRIMITIVES[name]))
    record = compare(graph, dict(zip(graph.variable_names, point)), methods=[method], timing=False, digits=30)
    row = record["methods"][0]
    assert row["error"] is None, row["error"]
    assert row["max_rel_error"] <= 1e-13, (name, point, row["gradient"], record["reference"]["gradient"])


@pytest.mark.parametrize("name, point", [c for c in CASES if PRIMITIVES[c[0]].kink is None])
def test_fd_central_on_every_smooth_primitive(name, point):
    graph = parse(text_of(PRIMITIVES[name]))
    record = compare(graph, dict(zip(graph.variable_names, point)), methods=["fd-central"], timing=False,
                     digits=30)
    row = record["methods"][0]
    assert row["error"] is None
    assert row["max_rel_error"] <= 1e-6


def test_reverse_is_one_sweep_for_the_whole_gradient():
    """The backward pass visits each node once, whatever the number of variables."""
    graph = parse(" + ".join(f"sin(x{i} * x{i + 1})" for i in range(20)))
    values, adjoint, algebra = tape(graph, {f"x{i}": 0.1 * i for i in range(21)})
    differentiated = {node for node, *_ in algebra.terms}
    assert len(algebra.terms) == sum(len(graph.args(n)) for n in differentiated)
    assert len(differentiated) == sum(1 for op in graph.ops if op not in ("const", "var"))


def test_shared_subexpression_is_one_node():
    graph = parse(LECTURE)
    assert sum(1 for n in range(len(graph)) if graph.op(n) == "mul") == 1  # x*z, three times in the text
    assert sum(1 for n in range(len(graph)) if graph.op(n) == "log") == 1


def test_domain_problem_is_the_rows_error_not_a_crash():
    record = compare("sqrt(x)", {"x": 1e-12}, timing=False)
    rows = {r["method"]: r for r in record["methods"]}
    assert "stencil" in rows["fd-central"]["error"]
    assert rows["fd-central"]["gradient"] is None
    assert rows["reverse"]["error"] is None and rows["reverse"]["max_rel_error"] < 1e-14


def test_undefined_derivative_is_an_error_not_nan():
    """sqrt at 0: the derivative is infinite.  Every method refuses, except the forward difference, whose
    quotient (f(h) - f(0))/h exists, and richardson, which answers with an error estimate larger than its
    answer and a warning."""
    record = compare("sqrt(x)", {"x": 0}, timing=False)
    for row in record["methods"]:
        if row["method"] == "fd-forward":
            assert row["gradient"]["x"] == 1 / PRIMITIVES["sqrt"].real(row["step"]["x"])
        elif row["method"] == "richardson":
            assert row["error_estimate"]["x"] > row["gradient"]["x"] > 0 and row["warnings"]
        else:
            assert row["error"] and row["gradient"] is None and row["errors"]["x"] == row["error"]
    reference = record["reference"]  # the reference has no ∂f/∂x either (all of it refused, or that partial)
    assert reference.get("error") or (reference["gradient"]["x"] is None and reference["errors"]["x"])


def test_kink_uses_the_right_derivative_and_warns():
    record = compare("abs(x) + relu(x)", {"x": 0}, methods=["symbolic", "reverse"], timing=False)
    assert record["warnings"]
    for row in record["methods"]:
        assert row["gradient"]["x"] == 2.0
        assert row["warnings"]
    assert M.mpf(record["reference"]["gradient"]["x"]) == 2


def test_python_api_gradient():
    assert gradient("x*z + sin(x)", {"x": 0.0, "z": 2.0}) == {"x": 3.0, "z": 0.0}
    for method in ids("point"):
        g = gradient(LECTURE, {"x": 2, "z": 3}, method=method)
        tolerance = 1e-7 if method in ("fd-forward", "fd-backward") else 1e-8  # O(sqrt(eps)) methods
        assert g["x"] == pytest.approx(float(LECTURE_DX), rel=tolerance, abs=0)


def test_method_failures_are_named():
    estimate = run_method("reverse", parse("sqrt(x)"), {"x": 0.0}, timing=False)
    assert "sqrt" in estimate.error


def test_timings_are_reported(lecture):
    timed = compare(LECTURE, {"x": 2, "z": 3}, methods=["reverse"])
    assert timed["f_seconds"] > 0 and timed["methods"][0]["seconds"] > 0
    assert timed["methods"][0]["setup_seconds"] > 0
    assert lecture["f_seconds"] is None and lecture["methods"][0]["seconds"] is None
    # --no-timing: every timing empty, output reproducible
    assert lecture["methods"][0]["setup_seconds"] is None


def test_a_failing_method_is_isolated(monkeypatch):
    """A bug inside one method becomes its row's error; the others and the reference still answer."""
    from diffcli.methods import registry as methods

    def broken(graph):
        raise KeyError("boom")

    monkeypatch.setitem(methods.METHODS, "symbolic", methods.Method("symbolic", "broken", broken))
    record = compare("x**2", {"x": 3}, timing=False)
    rows = {r["method"]: r for r in record["methods"]}
    assert "internal error: KeyError" in rows["symbolic"]["error"] and rows["symbolic"]["gradient"] is None
    assert rows["reverse"]["gradient"] == {"x": 6.0}
    assert record["reference"]["gradient"]["x"] == "6.0"


def test_a_slow_method_times_out_into_its_row(monkeypatch):
    from diffcli.methods import registry as methods

    def slow(graph):
        def run(values):
            while True:
                pass
        return run

    monkeypatch.setitem(methods.METHODS, "symbolic", methods.Method("symbolic", "slow", slow))
    monkeypatch.setattr("diffcli.harness.running.METHOD_TIME_LIMIT", 0.2)
    record = compare("x**2", {"x": 3}, timing=False)
    rows = {r["method"]: r for r in record["methods"]}
    assert "time limit" in rows["symbolic"]["error"]
    assert rows["reverse"]["gradient"] == {"x": 6.0}


def test_overflow_in_a_method_is_its_rows_error():
    record = compare("exp(x)/exp(x)", {"x": 709.78}, timing=False)  # exp overflows at 709.7827
    rows = {r["method"]: r for r in record["methods"]}
    assert rows["fd-central"]["error"] and "stencil" in rows["fd-central"]["error"]
    assert rows["reverse"]["error"] is None


def test_median_seconds_for_fast_and_slow_calls(monkeypatch):
    """Fast calls are timed in batches each lasting at least budget/20 (so the clock's resolution does not
    matter), at least 5 of them, and the median batch is reported per call: an outlier batch (one call of
    the 1,001st taking a whole second) changes nothing.  A call slower than a quarter of the budget is
    timed alone, as often as the budget allows up to 3 times, and the median of those is reported."""
    from types import SimpleNamespace

    from diffcli.harness import median_seconds

    fast = FakeClock(lambda k: 1.0 if k == 1000 else 1e-6)
    monkeypatch.setattr("diffcli.harness.running.time", SimpleNamespace(perf_counter=fast.perf_counter))
    assert median_seconds(fast.call, budget=0.004) == pytest.approx(1e-6, rel=1e-9, abs=0.0)
    assert fast.calls >= 5 * (0.004 / 20) / 1e-6  # at least 5 batches of at least budget/20 each

    costs = [0.003, 0.009, 0.004]  # the first sample is above budget/4 = 0.0025: the slow branch
    slow = FakeClock(lambda k: costs[k] if k < len(costs) else 1.0)
    monkeypatch.setattr("diffcli.harness.running.time", SimpleNamespace(perf_counter=slow.perf_counter))
    assert median_seconds(slow.call, budget=0.01) == pytest.approx(0.004, rel=1e-12, abs=0.0)  # not the mean
    assert slow.calls == 3


# ---------------------------------------------------------------- the failing rule, named as written

@pytest.mark.parametrize("text, point, rule", [
    # neg's partial is -1: the rule that fails is pow's in z (log(-x)), and the message says so
    ("(-x)**z", {"x": 2.0, "z": 3.0},
     "the partial derivative of (-x)**z in z is undefined: -x = -2.0, z = 3.0"),
    ("a = -x; b = a**z; b + 1", {"x": 2.0, "z": 3.0},
     "the partial derivative of a**z in z is undefined: a = -2.0, z = 3.0"),
    ("exp(x) + sqrt(x)", {"x": 0.0}, "the partial derivative of sqrt(x) in x is undefined: x = 0.0"),
])
def test_reverse_and_dual_name_the_rule_that_failed(text, point, rule):
    from diffcli.core.errors import RuleError
    from diffcli.methods.forward import forward_pass

    graph = parse(text)
    with pytest.raises(RuleError) as error:
        tape(graph, point)
    assert error.value.message.startswith(rule), error.value.message
    assert graph.ops[error.value.node] in ("pow", "sqrt")
    with pytest.raises(RuleError) as dual_error:
        forward_pass(graph, point, {name: 1.0 for name in graph.variable_names})
    assert dual_error.value.message.startswith(rule)
    for method in ("reverse", "dual"):  # per partial: f's other partials still print
        estimate = run_method(method, graph, point, timing=False)
        if "z" in point:  # f is real only at integer z: that, not the rule, is why ∂f/∂z does not exist
            assert estimate.error is None and estimate.gradient == {"x": -12.0, "z": None}, estimate
            said = estimate.errors["z"]
            assert said.startswith("no derivative: f is undefined on both sides of z = 3.0: "), said
        else:
            assert estimate.error.startswith(rule), estimate


def test_the_rule_error_carries_the_failing_node_and_its_column():
    from diffcli.core.errors import RuleError

    graph = parse("x + (-x)**z")
    with pytest.raises(RuleError) as error:
        tape(graph, {"x": 2.0, "z": 3.0})
    assert graph.ops[error.value.node] == "pow" and error.value.argument == 1
    assert error.value.column == 5


def test_symbolic_names_the_derivative_sub_expression_it_cannot_evaluate():
    at = prepare("sqrt(x) + y", {"x": 0.0, "y": 1.0})
    estimate = run_method("symbolic", at.graph, at.point, timing=False)
    assert estimate.gradient == {"x": None, "y": 1.0} and estimate.error is None
    assert estimate.errors == {"x": "the derivative in x is undefined here: 0.5 / sqrt(x) is undefined: "
                                    "sqrt(x) = 0.0 (needs sqrt(x) != 0)"}
