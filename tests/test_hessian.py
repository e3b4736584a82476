"""Higher order: Hessians (symbolic and forward-over-reverse) against the reference; ``diff --order``."""

import json

import mpmath
import pytest
from conftest import LECTURE
from test_primitives import CASES, text_of

from diffcli.api import derivative
from diffcli.core.parse import parse
from diffcli.core.primitives import PRIMITIVES
from diffcli.methods.registry import ids
from diffcli.methods.symbolic import symbolic_hessian
from diffcli.reference import reference_partials
from diffcli.tasks.hessian import hessian

M = mpmath.MPContext()
M.dps = 60


def lecture_by_hand(x, z):
    """The lecture's f written directly in mpmath (not through diffcli's table)."""
    return M.exp(x * z) + x * z / M.log(x) + M.sin(M.log(x)) / (x * z)


@pytest.mark.parametrize("name, point", CASES)
def test_every_table_entry_hessian_matches_the_reference(name, point):
    graph = parse(text_of(PRIMITIVES[name]))
    record = hessian(graph, dict(zip(graph.variable_names, point)), timing=False, digits=30)
    assert record["reference"].get("error") is None
    for row in record["methods"]:
        assert row["error"] is None, (name, point, row)
        assert row["max_rel_error"] <= 1e-10, (name, point, row["hessian"], record["reference"]["hessian"])


def test_lecture_hessian():
    record = hessian(LECTURE, {"x": 2, "z": 3}, timing=False)
    two, three = M.mpf(2), M.mpf(3)
    truth = [[M.diff(lecture_by_hand, (two, three), (2, 0)), M.diff(lecture_by_hand, (two, three), (1, 1))],
             [M.diff(lecture_by_hand, (two, three), (1, 1)), M.diff(lecture_by_hand, (two, three), (0, 2))]]
    for i in range(2):
        for j in range(2):
            assert (abs(M.mpf(record["reference"]["hessian"][i][j]) - truth[i][j])
                    < M.mpf(10) ** -45 * abs(truth[i][j]))
            for row in record["methods"]:
                assert abs(row["hessian"][i][j] - truth[i][j]) / abs(truth[i][j]) < 1e-14, row["method"]
    assert [row["method"] for row in record["methods"]] == ids("hessian")
    assert [row["passes"] for row in record["methods"]] == [0, 2]


def test_reference_partials_against_closed_forms():
    r = reference_partials(parse("exp(x) * sin(z)"), {"x": 0.5, "z": 1.25}, [(2, 0), (1, 1), (0, 2), (0, 0)])
    x, z = M.mpf(0.5), M.mpf(1.25)
    expected = {(2, 0): M.exp(x) * M.sin(z), (1, 1): M.exp(x) * M.cos(z), (0, 2): -M.exp(x) * M.sin(z),
                (0, 0): M.exp(x) * M.sin(z)}
    for orders, value in expected.items():
        assert abs(r.derivatives[orders] - value) < M.mpf(10) ** -48 * abs(value)


def test_polynomial_hessian_is_exact():
    record = hessian("x**2 * z**3", {"x": 1.5, "z": -2.0}, timing=False, digits=20)
    assert record["reference"]["hessian"] == [["-16.0", "36.0"], ["36.0", "-27.0"]]
    for row in record["methods"]:
        assert row["hessian"] == [[-16.0, 36.0], [36.0, -27.0]]


def test_symbolic_hessian_rows_are_derivative_graphs():
    from diffcli.core.printing import to_text
    graph = parse("x*sin(x)")
    (row,) = symbolic_hessian(graph)
    assert to_text(graph, row[0]) == "cos(x) - x * sin(x) + cos(x)"


def test_hessian_method_failure_is_the_rows_error():
    record = hessian("sqrt(x)", {"x": 0.0}, timing=False)
    assert all(row["error"] and row["hessian"] is None for row in record["methods"])
    # the reference's entry has no reference either, and says why (sqrt is undefined left of 0)
    assert record["reference"]["hessian"] == [[None]]
    assert record["reference"]["errors"] == {
        "∂²f/∂x²": "no two-sided derivative in x: f is undefined for x < 0.0"}


def test_hessian_at_a_kink_is_the_right_derivatives_not_a_precision_failure(cli):
    """|x|·y at x=0, y=1: to the right of 0, f = x·y, so ∂²/∂x² = 0, ∂²/∂x∂y = 1, ∂²/∂y² = 0 —
    the right derivatives, as the gradient's reference takes at a kink, with 50 digits and with 15."""
    for digits in (50, 15):
        record = hessian("abs(x)*y", {"x": 0.0, "y": 1.0}, timing=False, digits=digits)
        assert "error" not in record["reference"], record["reference"]
        assert record["reference"]["hessian"] == [["0", "1.0"], ["1.0", "0"]]
        assert record["reference"]["method"] == "mpmath.diff (right derivatives)"
        assert all(row["max_rel_error"] == 0 for row in record["methods"])
    code, out, _ = cli("hessian", "abs(x)*y", "x=0", "y=1", "--no-timing")
    assert code == 0 and "could not reach" not in out and "at its kink" in out


def test_hessian_entries_in_a_variable_without_a_real_neighbourhood_are_errors():
    """(−x)**z at x=2, z=3: f = −x³ along x, so ∂²f/∂x² = −6x = −12; (−2)**z is not real for non-integer
    z, so every entry in z has no reference, and says why."""
    record = hessian("(-x)**z", {"x": 2.0, "z": 3.0}, timing=False)
    assert record["reference"]["hessian"] == [["-12.0", None], [None, None]]
    message = "∂f/∂z does not exist: f is not real for z near 3.0"
    assert record["reference"]["errors"] == {"∂²f/∂x∂z": message, "∂²f/∂z²": message}


def test_hessian_cli_json(cli):
    code, out, err = cli("hessian", "x*x*z", "x=3", "z=2", "--format", "json", "--no-timing")
    assert code == 0 and err == ""
    record = json.loads(out)
    assert record["reference"]["hessian"] == [["4.0", "6.0"], ["6.0", "0"]]
    assert record["methods"][1]["hessian"] == [[4.0, 6.0], [6.0, 0.0]]


def test_hessian_cli_table_and_unknown_method(cli):
    code, out, _ = cli("hessian", "x*x*z", "x=3", "z=2", "--no-timing")
    assert code == 0 and "∂²f/∂x∂z" in out and "forward-over-reverse" in out
    code, _, err = cli("hessian", "x", "x=1", "--methods", "magic")
    assert code == 2 and "unknown Hessian method 'magic'" in err


# ---------------------------------------------------------------- diff --order and mixed --wrt

def test_third_derivative_of_sin_is_minus_cos(cli):
    assert derivative("sin(x)", "x", order=3)["derivative"] == "-cos(x)"
    code, out, _ = cli("diff", "sin(x)", "--wrt", "x", "--order", "3")
    assert code == 0 and out == "-cos(x)\n"


@pytest.mark.parametrize("order, expected", [(1, "cos(x)"), (2, "-sin(x)"), (4, "sin(x)"), (8, "sin(x)")])
def test_derivatives_of_sin_cycle(order, expected):
    assert derivative("sin(x)", "x", order=order)["derivative"] == expected


def test_mixed_derivative_value_matches_the_reference():
    record = derivative(LECTURE, "x,z")
    assert record["variables"] == ["x", "z"] and record["order"] == 2
    graph = parse(record["derivative"])
    from diffcli.core.evaluate import evaluate
    value = evaluate(graph, {"x": 2.0, "z": 3.0})[graph.output]
    truth = M.diff(lecture_by_hand, (M.mpf(2), M.mpf(3)), (1, 1))
    assert abs(value - truth) / truth < 1e-14


def test_higher_order_value_matches_the_reference():
    record = derivative("exp(x) * sin(x) / (1 + x**2)", "x", order=4)
    graph = parse(record["derivative"])
    from diffcli.core.evaluate import evaluate
    value = evaluate(graph, {"x": 0.7})[graph.output]
    truth = M.diff(lambda t: M.exp(t) * M.sin(t) / (1 + t ** 2), M.mpf(0.7), 4)
    assert abs(value - truth) / abs(truth) < 1e-13


@pytest.mark.parametrize("args, words", [
    (("--wrt", "x,z", "--order", "2"), "--order repeats one variable"),
    (("--wrt", "x", "--order", "0"), "--order must be a whole number of at least 1"),
    (("--wrt", "x,y"), "'y' is not a variable"),
    (("--wrt", "x,"), "wrt must be a variable name"),
])
def test_diff_order_errors(cli, args, words):
    code, out, err = cli("diff", "x*z", *args)
    assert code == 2 and out == "" and words in err and err.count("\n") == 1


def test_diff_markdown_names_the_operator(cli):
    code, out, _ = cli("diff", "x**2*z**3", "--wrt", "x,z", "--format", "markdown")
    assert out.startswith("∂²/∂x∂z ")
    code, out, _ = cli("diff", "x**2*z**3", "--wrt", "z", "-n", "3", "--format", "markdown")
    assert out.startswith("∂³/∂z³ ")


@pytest.mark.parametrize("text, entry", [
    ("x*sqrt(z)", "x, z"),          # ∂²f/∂x² = 0, ∂²f/∂x∂z = 1/(2√z): the first undefined entry, row by row
    ("x*z + z*sqrt(z)", "z, z"),    # ∂²f/∂z² = 3/(4√z) alone is undefined
])
def test_symbolic_hessian_names_the_entry_it_cannot_evaluate(text, entry):
    """At z = 0 f is defined but a second derivative divides by √z = 0: the error names that entry."""
    from diffcli.core.errors import DomainError
    from diffcli.methods import METHODS

    with pytest.raises(DomainError, match=f"the second derivative in {entry} is undefined here"):
        METHODS["symbolic"].hessian(parse(text))([1.0, 0.0])


def test_hessian_entry_that_does_not_settle_at_a_kink_is_that_entry_s_error():
    """sqrt(|x|) + y at x=0: from the right f = sqrt(x) + y, whose ∂²/∂x² = −x^(−3/2)/4 is unbounded; the
    entries in y are 0 (f is y plus a function of x alone)."""
    record = hessian("sqrt(abs(x)) + y", {"x": 0.0, "y": 1.0}, timing=False, digits=30)
    assert record["reference"]["hessian"] == [[None, "0"], ["0", "0"]]
    assert record["reference"]["errors"] == {
        "∂²f/∂x²": "mpmath.diff's right derivatives do not settle: f has a kink here, where it is not twice "
                   "differentiable"}


@pytest.mark.parametrize("text, point, one_sided", [
    ("x*y + 1e300", {"x": 1.0, "y": 1.0}, False),      # the variation of x*y beside 1e300
    ("x*y + 1e-300", {"x": 1e300, "y": 1.0}, False),   # x + h at x = 1e300
    ("abs(x)*y + 1e300", {"x": 0.0, "y": 1.0}, True),  # at the kink, right derivatives
])
def test_mixed_partial_beside_a_huge_term_is_not_lost(text, point, one_sided):
    """∂²f/∂x∂y of x·y (+ a constant) is 1 and ∂²f/∂x² = ∂²f/∂y² = 0, by hand.  mpmath.diff's step was lost
    beside 1e300 (or at x = 1e300) in both runs, which agreed on a mixed partial of 0."""
    r = reference_partials(parse(text), point, [(1, 1), (2, 0), (0, 2)], digits=30, one_sided=one_sided)
    assert r.errors == {}
    assert abs(r.derivatives[(1, 1)] - 1) <= 1e-29
    assert r.derivatives[(2, 0)] == 0 and r.derivatives[(0, 2)] == 0
