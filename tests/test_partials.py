"""Every partial answered on its own: a partial that does not exist, or that a
method cannot compute, is an error for that partial alone, in every method and every format; complex-step
refuses a partial along which f's complex continuation leaves the real line instead of printing a wrong
number.  Expected values are closed forms: for f = (-x)**z = -x**3 at z = 3, ∂f/∂x = -3·x**2 = -12 at
x = 2, and ∂f/∂z does not exist (f is real only at integer z)."""

import csv
import io
import json
import math

import pytest

from diffcli.api import compare, gradient
from diffcli.core.codegen import compile_function
from diffcli.core.errors import DiffcliError
from diffcli.core.parse import parse
from diffcli.harness import prepare, run_method
from diffcli.methods.complex_step import off_the_real_line
from diffcli.methods.forward import forward_pass
from diffcli.methods.poison import Guarded, Poison, poisoned_gradient
from diffcli.methods.registry import ids
from diffcli.render.compare import render
from diffcli.tasks.compare import tolerance_failures

POWER, AT = "(-x)**z", {"x": 2.0, "z": 3.0}
NO_DERIVATIVE_IN_Z = "no derivative: f is undefined on both sides of z = 3.0: (-x)**z is undefined: "
NEEDS = "(needs -x > 0, or -x == 0 and z > 0, or -x < 0 and z an integer)"

# how close each method comes to ∂f/∂x = -12: exact AD and complex step, the stencils' truncation error
CLOSE = {"fd-forward": 1e-6, "fd-backward": 1e-6, "fd-central": 1e-9, "fd-5point": 1e-11, "richardson": 1e-13,
         "complex-step": 0.0, "symbolic": 0.0, "reverse": 0.0, "dual": 0.0}


@pytest.fixture(scope="module")
def power_record():
    return compare(POWER, AT, timing=False)


@pytest.mark.parametrize("method", ids("point"))
def test_negative_base_keeps_the_partial_in_x_and_names_why_z_has_none(power_record, method):
    row = next(r for r in power_record["methods"] if r["method"] == method)
    assert row["error"] is None, row["error"]
    assert set(row["gradient"]) == {"x", "z"} and row["gradient"]["z"] is None
    assert abs(row["gradient"]["x"] - (-3 * 2.0 ** 2)) <= CLOSE[method] * 12, row["gradient"]
    assert list(row["errors"]) == ["z"]
    assert row["errors"]["z"].startswith(NO_DERIVATIVE_IN_Z) and row["errors"]["z"].endswith(NEEDS)
    assert row["abs_error"]["z"] is None and row["rel_error"]["z"] is None
    assert row["rel_error"]["x"] is not None and row["max_rel_error"] == row["rel_error"]["x"]


def test_complex_step_no_longer_prints_a_wrong_partial_in_z(power_record):
    """It used to print ∂f/∂z = -97971.74 (rounding noise of cmath's pow divided by h = 3e-20)."""
    row = next(r for r in power_record["methods"] if r["method"] == "complex-step")
    assert row["gradient"] == {"x": -12.0, "z": None}
    # f once, x: the step and f real at x + δ; z: the step and f beside z on both sides (not real on either)
    assert row["evaluations"] == 1 + 2 + 3


def test_off_the_real_line_reads_the_imaginary_part_of_f_beside_the_point():
    f = compile_function(parse(POWER), kind="complex")
    center = complex(-8.0)
    why, used = off_the_real_line(f, [2.0, 3.0], 1, center, "z")
    assert why.startswith("not applicable here: f's complex continuation is not real beside z = 3.0") \
        and used == 2
    assert off_the_real_line(f, [2.0, 3.0], 0, center, "x") == (None, 1)
    # the check is the imaginary part, not the function: |Im (-2)**(3 + 3e-6)| = 8·sin(3e-6·π)·2**3e-6 (its
    # sign is the side of the branch cut -x lands on: -(2+0j) is -2-0j)
    shifted = f(complex(2.0), complex(3.0 + 3e-6))[0]
    assert abs(shifted.imag) == pytest.approx(8 * math.sin(3e-6 * math.pi) * 2 ** 3e-6, rel=1e-9, abs=0)


def test_complex_step_still_answers_beside_a_branch_point_on_one_side_only():
    """sqrt(3 - x) at x = 3 - 1e-7: f is complex at x + δ but real at x − δ, and analytic at x."""
    x = 3.0 - 1e-7
    estimate = run_method("complex-step", parse("sqrt(3 - x)"), {"x": x}, timing=False)
    assert estimate.errors == {} and estimate.error is None
    assert estimate.gradient["x"] == pytest.approx(-0.5 / math.sqrt(3.0 - x), rel=1e-14, abs=0)


def test_poison_flows_only_into_the_variables_that_need_the_failing_rule():
    """x*sqrt(y) + z at y = 0: ∂f/∂y = x/(2·sqrt(y)) does not exist; ∂f/∂x = sqrt(0) = 0, ∂f/∂z = 1."""
    graph = parse("x*sqrt(y) + z")
    point = {"x": 3.0, "y": 0.0, "z": 5.0}
    for method in ("reverse", "dual", "symbolic"):
        estimate = run_method(method, graph, point, timing=False)
        assert estimate.error is None and estimate.gradient == {"x": 0.0, "y": None, "z": 1.0}, method
        assert list(estimate.errors) == ["y"]
    said = run_method("reverse", graph, point, timing=False).errors["y"]
    assert said == "the partial derivative of sqrt(y) in y is undefined: y = 0.0 (float division by zero)"


def test_one_poison_reaches_every_variable_under_it():
    """sqrt(x*y) + w at x = 0, y = 2: sqrt's partial is poison, so x and y fail; ∂f/∂w = 1."""
    x, y, w = poisoned_gradient(parse("sqrt(x*y) + w"), [0.0, 2.0, 4.0])
    assert w == 1.0
    assert x.message == y.message == ("the partial derivative of sqrt(x*y) in x*y is undefined: x*y = 0.0 "
                                      "(float division by zero)")


def test_guarded_numbers_turn_math_errors_into_poison():
    assert isinstance(Guarded(1.0) / 0.0, Poison) and isinstance(1.0 / Guarded(0.0), Poison)
    assert isinstance(Guarded(-2.0) ** 0.5, Poison)  # never Python's complex power
    poison = Guarded(1.0) / 0.0
    assert (poison * 2.0) is poison and (3.0 - poison) is poison and (Guarded(2.0) + poison) is poison
    assert Guarded(3.0) * 4.0 == 12.0 and isinstance(Guarded(3.0) * 4.0, Guarded)


def test_a_dual_number_with_zero_tangent_never_asks_for_its_partial():
    values = forward_pass(parse(POWER), AT, {"x": 1.0})
    assert values[-1].value == -8.0 and values[-1].tangent == -12.0


def test_the_json_record_carries_errors_for_every_method():
    record = compare("x*z", {"x": 2.0, "z": 3.0}, timing=False)
    assert all(row["errors"] == {} for row in record["methods"])
    power = json.loads(render(compare(POWER, AT, methods=["reverse"], timing=False), "json"))
    row = power["methods"][0]
    assert row["gradient"] == {"x": -12.0, "z": None} and row["error"] is None
    assert row["errors"]["z"].startswith(NO_DERIVATIVE_IN_Z)


def test_every_format_shows_the_failed_partial(power_record):
    record = {**power_record, "methods": [r for r in power_record["methods"] if r["method"] == "reverse"]}
    table = render(record, "table", width=200)
    assert "failed" in table and "-12.0" in table
    assert f"reverse ∂f/∂z: {record['methods'][0]['errors']['z']}" in table
    for wide in (render(record, "table", width=400, wide=True), render(record, "markdown", wide=True)):
        assert "∂f/∂z: no derivative" in wide
    line = json.loads(render(record, "jsonl").splitlines()[0])
    assert line["methods"][0]["errors"] == record["methods"][0]["errors"]
    rows = list(csv.DictReader(io.StringIO(render(record, "csv"))))
    by_variable = {r["variable"]: r for r in rows}
    assert by_variable["x"]["derivative"] == "-12.0" and by_variable["x"]["error"] == ""
    assert by_variable["z"]["derivative"] == "" and by_variable["z"]["error"].startswith(NO_DERIVATIVE_IN_Z)


def test_an_expression_file_keeps_the_partial_in_x(cli, tmp_path):
    path = tmp_path / "f.txt"
    path.write_text(f"{POWER} @ x=2 z=3\n")
    code, out, _ = cli("compare", "--file", str(path), "--format", "jsonl", "-m", "reverse,dual",
                       "--no-timing")
    rows = json.loads(out)["methods"]
    assert code == 0 and [r["gradient"] for r in rows] == [{"x": -12.0, "z": None}] * 2
    code, out, _ = cli("compare", "--file", str(path), "-m", "reverse", "--no-timing")
    assert "(1 failed)" in out


def test_methods_saying_the_same_share_one_line_under_the_table(power_record):
    table = render(power_record, "table", width=1000)
    assert f"{', '.join(ids('point'))} ∂f/∂z: {NO_DERIVATIVE_IN_Z}" in table
    assert table.count(NO_DERIVATIVE_IN_Z) == 1


def test_the_gradient_api_refuses_a_gradient_with_a_hole():
    with pytest.raises(DiffcliError, match=r"^reverse: ∂f/∂z: no derivative"):
        gradient(POWER, AT)


def test_the_whole_row_fails_only_when_no_partial_has_a_value():
    at = prepare("sqrt(x)", {"x": 0.0})
    estimate = run_method("reverse", at.graph, at.point, timing=False)
    assert estimate.gradient == {} and estimate.error == estimate.errors["x"]
    assert estimate.error.startswith("the partial derivative of sqrt(x) in x is undefined: x = 0.0")


# ---------------------------------------------------------------- --tolerance with partials

def _record(method_gradient, method_errors, reference_gradient, reference_errors, row_error=None,
            rel_error=None):
    return {"point": {"x": 2.0, "z": 3.0},
            "reference": {"digits": 50, "value": "-8.0", "gradient": reference_gradient,
                          "errors": reference_errors},
            "methods": [{"method": "reverse", "gradient": method_gradient, "errors": method_errors,
                         "error": row_error, "rel_error": rel_error,
                         "max_rel_error": max(rel_error.values()) if rel_error else None}]}


def test_a_partial_missing_in_the_reference_too_is_not_a_failed_check():
    record = _record({"x": -12.0, "z": None}, {"z": "no derivative"}, {"x": "-12.0", "z": None},
                     {"z": "∂f/∂z does not exist"}, rel_error={"x": 0.0})
    assert tolerance_failures(record, 1e-12) == []
    everything = _record(None, {"x": "a", "z": "b"}, {"x": None, "z": None}, {"x": "c", "z": "d"},
                         row_error="∂f/∂x: a; ∂f/∂z: b")
    assert tolerance_failures(everything, 1e-12) == []


def test_a_partial_the_method_misses_but_the_reference_has_fails():
    record = _record({"x": -12.0, "z": None}, {"z": "rule failed"}, {"x": "-12.0", "z": "-5.5"}, {},
                     rel_error={"x": 0.0})
    assert tolerance_failures(record, 1.0) == ["reverse: ∂f/∂z: no estimate (rule failed)"]


def test_a_value_where_the_reference_finds_no_derivative_fails():
    record = _record({"x": -12.0, "z": -97971.74}, {}, {"x": "-12.0", "z": None},
                     {"z": "∂f/∂z does not exist: f is not real for z near 3.0"}, rel_error={"x": 0.0})
    assert tolerance_failures(record, 1.0) == [
        "reverse: ∂f/∂z = -97971.74, but the reference finds no derivative (∂f/∂z does not exist: f is not "
        "real for z near 3.0)"]
