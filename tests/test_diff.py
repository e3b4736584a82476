"""``diff`` output formats: text that parses back, LaTeX, and a self-contained Python function."""

import math

import pytest
from conftest import LECTURE
from test_primitives import CASES, text_of

from diffcli.api import derivative
from diffcli.core.evaluate import evaluate
from diffcli.core.parse import parse
from diffcli.core.primitives import PRIMITIVES
from diffcli.harness import run_method


def python_function(record):
    source = record["python"]
    assert "diffcli" not in source and "import os" not in source
    namespace = {}
    exec(compile(source, "<derivative>", "exec"), namespace)  # our own generated code, in a test
    name = ("d" + ("" if record["order"] == 1 else str(record["order"])) + "f_d"
            + "_d".join(record["variables"]))
    return namespace[name]


@pytest.mark.parametrize("name, point", CASES)
def test_python_function_gives_the_symbolic_value(name, point):
    graph = parse(text_of(PRIMITIVES[name]))
    at = dict(zip(graph.variable_names, point))
    symbolic = run_method("symbolic", graph, at, timing=False).gradient
    for variable in graph.variable_names:
        record = derivative(graph, variable)
        assert python_function(record)(*point) == symbolic[variable], (name, point, variable)


def test_python_names_shared_subexpressions_like_the_lecture():
    record = derivative(LECTURE, "x")
    assert record["python"].splitlines()[-3:] == [
        "    a = x * z", "    b = log(x)",
        "    return (cos(b) / a - a / b / b) / x + (exp(a) + 1 / b - sin(b) / a / a) * z"]
    assert python_function(record)(2.0, 3.0) == run_method("symbolic", parse(LECTURE), {"x": 2.0, "z": 3.0},
                                                            timing=False).gradient["x"]


def test_python_copies_the_tables_own_helpers():
    record = derivative("softplus(x) + relu(x)", "x")
    assert "def sigmoid(x" in record["python"] and "def step(x" in record["python"]
    f = python_function(record)
    assert f(0.3) == pytest.approx(1 / (1 + math.exp(-0.3)) + 1.0, rel=1e-15, abs=0)


def test_latex_uses_frac_ln_and_exponents(cli):
    code, out, _ = cli("diff", LECTURE, "--wrt", "x", "--format", "latex")
    assert code == 0
    assert r"\frac{" in out and r"\ln\left(x\right)" in out and r"e^{x \cdot z}" in out


def test_text_is_the_default_and_parses_back(cli):
    code, out, _ = cli("diff", LECTURE, "--wrt", "x")
    code2, out2, _ = cli("diff", LECTURE, "--wrt", "x", "--format", "text")
    assert code == code2 == 0 and out == out2
    graph = parse(out.strip())
    value = evaluate(graph, {"x": 2.0, "z": 3.0})[graph.output]
    assert value == run_method("symbolic", parse(LECTURE), {"x": 2.0, "z": 3.0}, timing=False).gradient["x"]


def test_large_derivative_names_intermediates_instead_of_blowing_up():
    program = "\n".join(["a0 = sin(x) * x"] + [f"a{i} = a{i - 1} * sin(a{i - 1}) + x" for i in range(1, 9)]
                        + ["a8"])
    record = derivative(program, "x")
    text = record["derivative"]
    assert "t1 = " in text and len(text) < 20_000
    graph = parse(text)
    value = evaluate(graph, {"x": 0.7})[graph.output]
    assert value == run_method("symbolic", parse(program), {"x": 0.7}, timing=False).gradient["x"]
    assert python_function(record)(0.7) == value


def test_python_format_on_the_command_line(cli):
    code, out, _ = cli("diff", "x**2*z**3", "--wrt", "x,z", "--format", "python")
    assert code == 0 and out == "def d2f_dx_dz(x, z):\n    return 6 * (x * z**2)\n"


# ---------------------------------------------------------------- --steps

def test_steps_follow_the_lecture_slide(cli):
    code, out, _ = cli("diff", LECTURE, "--wrt", "x", "--steps")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "d/dx[exp(x * z) + x * z / log(x) + sin(log(x)) / (x * z)]    (sum rule)"
    assert "d/dx[sin(log(x)) / (x * z)]    (quotient rule)" in lines
    assert "d/dx[sin(log(x))]    (chain rule (sin))" in lines
    assert sum(1 for line in lines if line.startswith("d/dx[x * z]")) == 1  # shared: derived once
    assert lines[-2:] == ["simplified:", f"    d/dx[{LECTURE}] = {derivative(LECTURE, 'x')['derivative']}"]


@pytest.mark.parametrize("expression", [LECTURE, "sqrt(x) * atan2(x, z) - x**z / (1 + x)", "-sinh(x*z)**2"])
def test_every_step_is_an_equation_that_holds(expression):
    """Each step's right side, with every d/dx[E] replaced by the mpmath reference derivative of E, equals
    the reference derivative of the step's left side."""
    import re

    import mpmath

    from diffcli.reference import reference

    point = {"x": 0.75, "z": 1.5}
    m = mpmath.MPContext()
    m.dps = 30

    def truth(text):
        graph = parse(text)
        return m.mpf(reference(graph, {n: point[n] for n in graph.variable_names}, 25).gradient.get("x", 0))

    steps = derivation_of(expression)
    assert steps
    for step in steps:
        stand_ins = {}

        def stand_in(match, stand_ins=stand_ins):
            name = f"D{len(stand_ins)}"
            stand_ins[name] = truth(match.group(1))
            return name
        right = re.sub(r"d/dx\[([^\]]*)\]", stand_in, step["result"].replace("·", "*"))
        graph = parse(right)
        from diffcli.core.evaluate import evaluate_mp
        values = {**{n: m.mpf(v) for n, v in point.items()}, **stand_ins}
        value = evaluate_mp(graph, {n: values[n] for n in graph.variable_names}, m)
        expected = truth(step["of"])
        assert abs(value - expected) <= m.mpf(10) ** -20 * abs(expected), (step, value, expected)


def derivation_of(expression):
    return derivative(expression, "x", steps=True)["steps"]


def test_steps_are_first_derivatives_only(cli):
    code, _, err = cli("diff", "x*z", "--wrt", "x", "--order", "2", "--steps")
    assert code == 2 and "--steps" in err


@pytest.mark.parametrize("text, point, value", [
    # (-2)**2 + 0.5 = 4.5; printed without its parentheses, -2**y + x would be -(2**2) + 0.5 = -3.5
    ("(-2)**y + x", {"x": 0.5, "y": 2.0}, 4.5),
    # (-2.5)**2 * 0.5 - (-1)**2 = 3.125 - 1 = 2.125
    ("(-2.5)**y * x - (-1)**y", {"x": 0.5, "y": 2.0}, 2.125),
    # x**(-2) at 0.5 = 4 (a negative exponent needs no parentheses, but must keep its value)
    ("x**(-2) + 1", {"x": 0.5}, 5.0),
])
def test_a_negative_constant_is_printed_so_that_it_parses_back(text, point, value):
    """The printer writes a negative constant with the precedence of a negation, not of an atom."""
    from diffcli.core.printing import to_program, to_text

    graph = parse(text)
    for printed in (to_text(graph, graph.output), to_program(graph, graph.output)):
        reparsed = parse(printed)
        assert evaluate(reparsed, point)[reparsed.output] == value, printed
    assert to_text(graph, graph.output) == text


# ---------------------------------------------------------------- printers (survivors of tools/mutate.py)

@pytest.mark.parametrize("text, latex", [
    ("x - y - z", r"x - y - z"),                     # a left operand of the same precedence needs no brackets
    ("x - (y - z)", r"x - \left(y - z\right)"),      # a right one does
    ("x*y*z", r"x \cdot y \cdot z"),
])
def test_latex_brackets_follow_precedence_and_side(text, latex):
    from diffcli.core.printing import to_latex

    graph = parse(text)
    assert to_latex(graph, graph.output) == latex


def test_a_constant_is_written_as_its_number():
    from diffcli.core.printing import written

    graph = parse("x + 2.5")
    assert [written(graph, a) for a in graph.arguments[graph.output]] == ["x", "2.5"]


@pytest.mark.parametrize("text, printed", [("-(-x)", "-(-x)"), ("-(-x)*y", "-(-x) * y"),
                                           ("-(x*y)", "-(x * y)")])
def test_a_negation_of_a_negation_or_product_keeps_its_brackets(text, printed):
    """A negation brackets an operand whose precedence is not above its own: -(-x) stays -(-x)."""
    from diffcli.core.printing import to_text

    graph = parse(text)
    assert to_text(graph, graph.output) == printed


def test_a_step_brackets_a_factor_that_is_not_atomic():
    """d/dx (x + 1)³ = 3(x + 1)² · d/dx[x + 1]: the power rule's factor is a product, so it is bracketed
    before the chain rule's ·; cos(…) and exp(…) are atomic and are not."""
    assert [s["result"] for s in derivation_of("(x + 1)**3")] == ["(3 * (x + 1)**2) · d/dx[x + 1]", "1"]
    assert derivation_of("exp(2*x)")[0]["result"] == "exp(2 * x) · d/dx[2 * x]"
