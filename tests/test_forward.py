"""Forward mode (dual numbers): the ``dual`` method against symbolic, reverse and the reference."""

import math

import mpmath
import pytest
from conftest import LECTURE
from test_primitives import CASES, text_of

from diffcli.api import compare
from diffcli.core.errors import DomainError
from diffcli.core.parse import parse
from diffcli.core.primitives import PRIMITIVES
from diffcli.harness import run_method
from diffcli.methods.forward import Dual, forward_pass
from diffcli.methods.registry import ids

M = mpmath.MPContext()
M.dps = 40


def test_dual_is_registered_last_in_the_stable_order():
    assert ids("point")[-1] == "dual"


@pytest.mark.parametrize("name, point", CASES)
def test_dual_symbolic_reverse_agree_on_every_table_entry(name, point):
    graph = parse(text_of(PRIMITIVES[name]))
    record = compare(graph, dict(zip(graph.variable_names, point)), methods=["dual", "symbolic", "reverse"],
                     timing=False, digits=30)
    rows = {row["method"]: row for row in record["methods"]}
    for row in rows.values():
        assert row["error"] is None, row
        assert row["max_rel_error"] <= 1e-13, (name, point, row)
    for variable in graph.variable_names:
        values = [rows[m]["gradient"][variable] for m in rows]
        scale = max(abs(v) for v in values)
        assert max(values) - min(values) <= 1e-13 * scale, (name, point, variable, values)


def test_forward_mode_costs_one_pass_per_variable():
    graph = parse(" + ".join(f"x{i}*x{i + 1}" for i in range(5)))
    point = {f"x{i}": 1.0 + i for i in range(6)}
    dual = run_method("dual", graph, point, timing=False)
    reverse = run_method("reverse", graph, point, timing=False)
    assert dual.evaluations == 6 and reverse.evaluations == 1
    assert dual.gradient == reverse.gradient == {"x0": 2.0, "x1": 4.0, "x2": 6.0, "x3": 8.0, "x4": 10.0,
                                                 "x5": 5.0}


def test_lecture_dual_matches_closed_form():
    ln2 = M.log(2)
    dx = 3 * M.exp(6) + 3 / ln2 - 3 / ln2 ** 2 + M.cos(ln2) / 12 - M.sin(ln2) / 12
    dz = 2 * M.exp(6) + 2 / ln2 - M.sin(ln2) / 18
    estimate = run_method("dual", parse(LECTURE), {"x": 2.0, "z": 3.0}, timing=False)
    assert abs(estimate.gradient["x"] - dx) / dx < 1e-15
    assert abs(estimate.gradient["z"] - dz) / dz < 1e-15


def test_dual_numbers_apply_the_table():
    x = Dual(0.5, 1.0)
    y = x.sin() * x.exp() / (1.0 + x ** 2.0)
    f = lambda t: math.sin(t) * math.exp(t) / (1 + t * t)  # noqa: E731
    exact = (M.cos(0.5) * M.exp(0.5) + M.sin(0.5) * M.exp(0.5)) / 1.25 \
        - M.sin(0.5) * M.exp(0.5) * 2 * 0.5 / 1.25 ** 2
    assert y.value == pytest.approx(f(0.5), rel=1e-15, abs=0)
    assert y.tangent == pytest.approx(float(exact), rel=1e-14, abs=0)
    constant = Dual(-2.0, 0.0) ** 2.0  # a float exponent is a constant: log(-2) is never asked for
    assert (constant.value, constant.tangent) == (4.0, 0.0)


def test_interpreted_and_compiled_forward_mode_agree():
    graph = parse(LECTURE)
    point = {"x": 2.0, "z": 3.0}
    compiled = run_method("dual", graph, point, timing=False).gradient
    for name in ("x", "z"):
        assert forward_pass(graph, point, {name: 1.0})[graph.output].tangent == compiled[name]


def test_undefined_partial_is_named():
    with pytest.raises(DomainError, match="sqrt"):
        forward_pass(parse("sqrt(x)"), {"x": 0.0}, {"x": 1.0})
    estimate = run_method("dual", parse("sqrt(x)"), {"x": 0.0}, timing=False)
    assert estimate.gradient == {} and "sqrt" in estimate.error


def test_kink_uses_the_right_derivative():
    estimate = run_method("dual", parse("abs(x) + relu(x) + max(x, y)"), {"x": 0.0, "y": 0.0}, timing=False)
    assert estimate.gradient == {"x": 3.0, "y": 1.0}


def test_a_dual_from_a_value_alone_is_a_constant():
    """Dual(v) has tangent 0: d(3·x)/dx = 3 and d(3 + x)/dx = 1 with x = Dual(2, 1)."""
    three, x = Dual(3.0), Dual(2.0, 1.0)
    assert three.tangent == 0.0
    assert (three * x).tangent == 3.0 and (three + x).tangent == 1.0
