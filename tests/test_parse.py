"""The expression language (README): what parses, to what, and how rejections read."""

import math

import pytest
from conftest import LECTURE

from diffcli.api import derivative
from diffcli.core.errors import DomainError, LimitError, ParseError, UsageError
from diffcli.core.evaluate import evaluate
from diffcli.core.parse import MAX_NESTING, parse, parse_point
from diffcli.core.primitives import FUNCTIONS


def value(text, **point):
    graph = parse(text)
    return evaluate(graph, {k: float(v) for k, v in point.items()})[graph.output]


@pytest.mark.parametrize("text, expected", [
    ("-x**2", -9.0), ("2**3**2", 512.0), ("x^2 + 1", 10.0), ("2^3^2", 512.0), ("(2**3)**2", 64.0),
    ("-2**2", -4.0), ("+x", 3.0), ("x - -x", 6.0), ("10/4/5", 0.5), ("pi", math.pi), ("e", math.e),
    ("tau", math.tau), ("log(8, 2)", 3.0), ("ln(e)", 1.0), ("1e-3*x", 0.003), ("1.5", 1.5),
    ("max(x, 1, 7)", 7.0), ("min(x, 1, 7)", 1.0), ("pow(x, 2)", 9.0), ("arcsin(1)", math.pi / 2),
    ("x**0.5", math.sqrt(3.0)), ("abs(-x)", 3.0),
])
def test_meaning(text, expected):
    assert value(text, x=3) == pytest.approx(expected, rel=1e-15, abs=0)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_parses(name):
    primitive = FUNCTIONS[name]
    args = ", ".join(["x"] * primitive.arity)
    graph = parse(f"{name}({args})")
    assert graph.variable_names == ["x"] and graph.op(graph.output) == primitive.name


def test_program_labels_nodes_and_equals_the_expression():
    program = parse("a = x*z; b = log(x)\nexp(a) + a/b + sin(b)/a")
    assert program.variable_names == ["x", "z"]
    labels = {program.labels[n]: program.op(n) for n in program.labels}
    assert labels == {"x": "var", "z": "var", "a": "mul", "b": "log"}
    point = {"x": 2.0, "z": 3.0}
    assert evaluate(program, point)[program.output] == evaluate(parse(LECTURE), point)[parse(LECTURE).output]


def test_variables_in_order_of_first_appearance():
    assert parse("z*y + x + y").variable_names == ["z", "y", "x"]


def test_constants_fold_in_float64():
    graph = parse("x * (2 * pi / 4)")
    x, constant = graph.args(graph.output)
    assert graph.is_const(constant, 2 * math.pi / 4)


def test_huge_constant_power_is_an_error_at_once():
    with pytest.raises(DomainError, match="overflows"):
        parse("9**9**9")
    with pytest.raises(DomainError, match="overflows"):
        parse("x + 9**9**9**9")


def test_constant_domain_errors_name_the_column():
    with pytest.raises(DomainError) as error:
        parse("x + log(-1)")
    assert error.value.column == 5


@pytest.mark.parametrize("text, column, words", [
    ("x +", 4, "ends too early"),
    ("exp(x", 4, "never closed"),
    ("2x", 1, "invalid decimal literal"),
    ("foo(x)", 1, "unknown function 'foo'"),
    ("sinn(x)", 1, "did you mean 'sin'"),
    ("x.real", 1, "attribute"),
    ("().__class__", 1, "attribute"),
    ("x[0]", 1, "subscript"),
    ("lambda: 1", 1, "lambda"),
    ("True + x", 1, "not a number"),
    ("'a'*9", 1, "strings"),
    ("x < 1", 1, "comparisons"),
    ("[x for x in y]", 1, "comprehensions"),
    ("(y := 2)", 2, ":="),
    ("f'{x}'", 1, "strings"),
    ("x % 2", 1, "'%'"),
    ("x // 2", 1, "'//'"),
    ("sin(x, y)", 1, "takes 1 argument"),
    ("sin(x=1)", 1, "keyword"),
    ("exp + 1", 1, "is a function"),
    ("x = 1", 1, "must end with an expression"),
    ("a = 1; a = 2; a", 8, "assigned twice"),
    ("pi = 3; pi", 1, "built-in"),
    ("y = x; x = 2; y", 8, "used before"),
    ("1j * x", 1, "complex"),
    ("x; y", 1, "only the last statement"),
    ("", 1, "empty"),
])
def test_rejections_name_the_problem_and_column(text, column, words):
    with pytest.raises(ParseError) as error:
        parse(text)
    assert words in error.value.message
    assert error.value.column == column
    assert str(error.value).startswith(f"column {column}: ")


def test_caret_points_at_the_problem():
    with pytest.raises(ParseError) as error:
        parse("sin(x) + foo(x)")
    assert error.value.caret() == ["  sin(x) + foo(x)", "           ^"]


def test_caret_with_power_sign_and_programs():
    with pytest.raises(ParseError) as error:
        parse("a = x^2\nb = a ^ 3 + bar(a)\nb")
    assert error.value.line == 2 and error.value.column == 13
    assert str(error.value).startswith("line 2, column 13: unknown function 'bar'")
    assert error.value.caret()[1].index("^") == 2 + 12


@pytest.mark.parametrize("text, line, column", [
    # "x *^ 2": the '^' is the 4th character (x, space, *, ^); CPython sees "x *** 2" and stops at the third
    # '*', the second of the two written for the '^', so the error is at the '^': column 4, not 5.
    ("x *^ 2", 1, 4),
    # "x*^2": x, *, ^ -> column 3.
    ("x*^2", 1, 3),
    # "y = 1\ny *^ 3\ny": the second line is "y *^ 3", its '^' the 4th character again.
    ("y = 1\ny *^ 3\ny", 2, 4),
    # "a^2 + b *^ 2": a, ^, 2, space, +, space, b, space, *, ^ -> the second '^' is column 10; the first '^'
    # before it (written as '**', one character more) must not shift it.
    ("a^2 + b *^ 2", 1, 10),
])
def test_an_error_at_a_power_sign_is_at_the_caret(text, line, column):
    with pytest.raises(ParseError) as error:
        parse(text)
    assert (error.value.line, error.value.column) == (line, column)
    assert text.split("\n")[line - 1][column - 1] == "^"


@pytest.mark.parametrize("char, hint", [("−", "'-'"), ("×", "'*'"), ("²", "'**2'"), ("ｅ", "'e'"),
                                        ("π", "'pi'"), ("÷", "'/'")])
def test_non_ascii_with_hint(char, hint):
    with pytest.raises(ParseError) as error:
        parse(f"x {char} 1")
    assert "non-ASCII" in error.value.message and hint in error.value.message
    assert error.value.column == 3


def test_control_characters_rejected():
    with pytest.raises(ParseError, match="control character"):
        parse("x\x00+1")


def test_nesting_limit_is_named():
    parse("(" * MAX_NESTING + "x" + ")" * MAX_NESTING)
    with pytest.raises(LimitError, match="MAX_NESTING") as error:
        parse("(" * 300 + "x" + ")" * 300)
    assert error.value.column == MAX_NESTING + 1


def test_long_chain_is_right_or_one_clear_error():
    text = "+".join(["x"] * 5000)
    try:
        graph = parse(text)
    except LimitError as error:
        assert "program of assignments" in error.message
    else:
        assert evaluate(graph, {"x": 1.0})[graph.output] == 5000.0


def test_points():
    assert parse_point(["x=2", "z=pi/4", "w=-1e-3"]) == {"x": 2.0, "z": math.pi / 4, "w": -0.001}
    for bad, words in (["x=abc"], "not a known constant"), (["x"], "NAME=VALUE"), (["x=1", "x=2"], "twice"), \
            (["pi=3"], "built-in"), (["x=log(-1)"], "undefined"), (["x=1+"], "ends too early"):
        with pytest.raises(UsageError, match=words):
            parse_point(bad)


@pytest.mark.parametrize("text", [LECTURE, "x**y**z", "(x**y)**z", "-x**2 + x/(y*z)",
                                  "atan2(y, x) * hypot(x, z)",
                                  "sigmoid(x) - softplus(-y) + relu(z) * abs(x - y)",
                                  "log(x, 10) + cbrt(z)", "a = sin(x); b = a*a; b*b + a", "2**-x + x**-0.5"])
def test_diff_output_parses_back_to_the_same_function(text):
    point = {"x": 1.3, "y": 0.7, "z": 2.1}
    for wrt in parse(text).variable_names:
        printed = derivative(text, wrt)["derivative"]
        reparsed = parse(printed)
        from diffcli.harness import run_method
        graph = parse(text)
        symbolic = run_method("symbolic", graph, {n: point[n] for n in graph.variable_names}, timing=False)
        assert evaluate(reparsed, {n: point[n] for n in reparsed.variable_names})[reparsed.output] == \
            symbolic.gradient[wrt]


@pytest.mark.parametrize("text, line, column", [
    ("a = (x +\n foo(x))\na", 2, 2),           # a statement spanning lines inside parentheses
    ("a = 1; b = (x\n+ bar(x)); b", 2, 3),
    ("(x +\n  2 +)", 2, 6),                    # a syntax error on the second line of a statement
])
def test_positions_in_statements_that_span_lines(text, line, column):
    with pytest.raises(ParseError) as error:
        parse(text)
    assert (error.value.line, error.value.column) == (line, column)
    assert error.value.caret()[1].index("^") == 2 + column - 1


def test_a_long_program_is_split_in_linear_time_and_numbered_right():
    lines = [f"y{i} = sin(y{i - 1}) + x" for i in range(1, 20000)]
    text = "y0 = x\n" + "\n".join(lines) + "\nfoo(y19999)"
    with pytest.raises(ParseError) as error:
        parse(text)
    assert error.value.line == 20001 and error.value.column == 1


@pytest.mark.parametrize("text, column, message", [
    # a number against a name: CPython's words, then the product to write
    ("2x", 1, "syntax error: invalid decimal literal '2x'; to multiply, write 2*x"),
    ("y + 3.5x", 5, "syntax error: invalid decimal literal '3.5x'; to multiply, write 3.5*x"),
    ("a = 1\nb = 2x\nb", 5, "syntax error: invalid decimal literal '2x'; to multiply, write 2*x"),
    # a number, a variable or a parenthesized value called like a function
    ("2(x+1)", 1, "a number cannot be called; to multiply, write 2*(x+1)"),
    ("y + 2.5(x - 1)", 5, "a number cannot be called; to multiply, write 2.5*(x - 1)"),
    ("(x+1)(x-1)", 1, "a value cannot be called; to multiply, write (x+1)*(x-1)"),
    ("x(y)", 1, "'x' is not a function; to multiply, write x*(y)"),
    ("rate*t + rate(t)", 10, "'rate' is not a function; to multiply, write rate*(t)"),
    ("a = 2*z; a(z)", 10, "'a' is not a function; to multiply, write a*(z)"),
    # a Python keyword where a name belongs
    ("lambda*x", 1, "'lambda' is a Python keyword and cannot be a name; call it something else"),
    ("x + in", 5, "'in' is a Python keyword and cannot be a name; call it something else"),
    ("x*is*2", 3, "'is' is a Python keyword and cannot be a name; call it something else"),
    ("sin(for)", 5, "'for' is a Python keyword and cannot be a name; call it something else"),
    ("lambda = 2; lambda*x", 1, "'lambda' is a Python keyword and cannot be a name; call it something else"),
])
def test_common_slips_get_a_hint_at_their_column(text, column, message):
    with pytest.raises(ParseError) as error:
        parse(text)
    assert error.value.message == message and error.value.column == column


@pytest.mark.parametrize("text, words", [
    ("import os", "syntax error"),        # a statement, not a keyword used as a name
    ("x if x else 1", "conditional"),     # keywords in their own constructs keep their messages
    ("lambda: 1", "lambda is not allowed"),
    ("foo(x)", "unknown function 'foo'"),  # a longer unknown name is a function the user meant
    ("sin(x)(2)", "calls of calls"),
])
def test_no_hint_where_the_slip_is_something_else(text, words):
    with pytest.raises(ParseError) as error:
        parse(text)
    assert words in error.value.message and "to multiply" not in error.value.message
    assert "Python keyword" not in error.value.message


def test_a_newline_inside_nested_parentheses_continues_the_statement():
    """Only newlines at depth 0 end a statement: after ((x + 1) the depth is still 1, so the line break
    before * 2 is inside exp( … ): exp((0 + 1)·2) = e²."""
    import math

    graph = parse("exp((x\n+ 1)\n* 2)")
    assert evaluate(graph, {"x": 0.0})[graph.output] == math.exp(2.0)


@pytest.mark.parametrize("point, message", [
    ({"x": 1.0}, "no value for variable 'z'; give it as z=VALUE"),
    ({}, "no value for variable 'x', 'z'; give it as x=VALUE"),
])
def test_a_missing_variable_is_named_with_how_to_give_it(point, message):
    import re

    from diffcli.core.evaluate import bind

    with pytest.raises(UsageError, match=re.escape(message)):
        bind(parse("x*z"), point)
