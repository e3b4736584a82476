"""Fixed tests for core behaviours that only random examples used to reach (each names its case)."""

import mpmath
import pytest

from diffcli.core.errors import DiffcliError
from diffcli.core.evaluate import evaluate
from diffcli.core.parse import parse
from diffcli.reference import reference


def test_a_caret_needs_both_a_column_and_a_text():
    assert DiffcliError("bad", column=3).caret() == []
    assert DiffcliError("bad", text="x + y").caret() == []
    assert DiffcliError("bad", column=3, text="x + y").caret() == ["  x + y", "    ^"]


def test_the_caret_window_of_a_long_line_is_centred_on_the_column():
    text = "a" * 249 + "!" + "b" * 50  # the '!' is column 250 of a 300-character line
    source, caret = DiffcliError("bad", column=250, text=text).caret()
    # the window starts 100 characters before the column: text[150:350], the '!' at its 100th character
    assert source == "  " + "a" * 99 + "!" + "b" * 50
    assert caret == "  " + " " * 99 + "^"


@pytest.mark.parametrize("y, x", [(0.5, 0.1), (-0.5, 0.1), (0.5, -0.1), (3.0, 0.5), (0.1, 0.5), (-2.0, -3.0)])
def test_the_reference_value_of_atan2_in_every_octant(y, x):
    r = reference(parse("atan2(y, x)"), {"y": y, "x": x}, digits=30)
    with mpmath.workdps(40):
        expected = mpmath.atan2(y, x)
        assert abs(r.value - expected) <= abs(expected) * mpmath.mpf(10) ** -29
        # d/dy atan2 = x / (x² + y²), d/dx = -y / (x² + y²)
        square = mpmath.mpf(x) ** 2 + mpmath.mpf(y) ** 2
        assert abs(r.gradient["y"] - x / square) <= abs(x / square) * mpmath.mpf(10) ** -29
        assert abs(r.gradient["x"] + y / square) <= abs(y / square) * mpmath.mpf(10) ** -29


def test_atan2_at_the_origin_has_no_reference_derivative_instead_of_an_internal_error():
    # atan2 jumps at (0, 0) (pi/2 above, -pi/2 below, pi to the left): neither partial exists
    r = reference(parse("atan2(y, x)"), {"y": 0.0, "x": 0.0}, digits=30)
    assert r.text(r.value) == "0"
    assert r.gradient == {"y": None, "x": None}
    assert set(r.errors) == {"y", "x"}


def test_steps_name_a_small_labelled_part_of_a_long_program():
    from diffcli.core.derivation import naming

    long_sum = " + ".join(f"{1 + k / 10_000}*x" for k in range(1, 301))
    graph = parse(f"a = {long_sum}; b = cos(x); a + b")
    names = naming(graph)
    # a and b are the program's own names for its parts; the result itself is not named
    assert "a" in names.values() and "b" in names.values()
    assert graph.output not in names


def test_a_run_python_cannot_parse_is_parsed_part_by_part_with_its_positions():
    # 10,000 factors make CPython's parser recurse too deep: that run of the '+' chain falls back to
    # parsing its parts one by one, and the '*' chain is split in turn.
    text = "y + " + "*".join(["x"] * 10_000) + "*log(-x) + y"
    graph = parse(text)
    with pytest.raises(DiffcliError) as error:
        evaluate(graph, {"x": 1.0, "y": 1.0})
    assert error.value.column == text.index("log(-x)") + 1
    graph = parse(text.replace("log(-x)", "log(x)"))
    assert evaluate(graph, {"x": 1.0, "y": 2.0})[graph.output] == 4.0  # 2 + 1·…·1·log(1) + 2


def test_the_complex_step_of_zero_to_a_positive_power_is_zero():
    # 0.0**y is 0 for every y > 0 (autograd's test_power_arg1_zero): its derivative in y is 0
    from diffcli.core.primitives import PRIMITIVES
    from diffcli.harness import run_method

    assert PRIMITIVES["pow"].complex(0j, complex(0.4556, 1e-20)) == 0j
    estimate = run_method("complex-step", parse("0.0**y"), {"y": 0.4556}, timing=False)
    assert estimate.error is None and estimate.gradient == {"y": 0.0}


@pytest.mark.parametrize("text, point, gradient", [
    ("x**0.0", {"x": 0.0}, {"x": 0.0}),       # 1 for every x: the power rule's domain, slope 0
    ("0.0**y", {"y": 0.4556}, {"y": 0.0}),    # 0 for every y > 0
    ("x**2.0", {"x": -3.0}, {"x": -6.0}),     # 2x
])
def test_compiled_code_follows_the_power_rule_for_a_constant_exponent(text, point, gradient):
    from diffcli.harness import run_method

    for method in ("reverse", "dual", "symbolic", "complex-step"):
        estimate = run_method(method, parse(text), point, timing=False)
        assert (estimate.error, estimate.errors, estimate.gradient) == (None, {}, gradient), method
