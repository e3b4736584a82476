"""How the printers name sub-expressions of a large expression (:func:`diffcli.core.printing.plan`).

The contract: inline text up to INLINE_LIMIT is written as it is; past it, every node used more than once
is named, and so is every node whose text would pass STATEMENT_LIMIT — and nothing else, so the output is
linear in the graph and no statement is huge.  Each test builds an expression whose right naming is known
by construction and reads the printed program back.
"""

import re

from diffcli.core.evaluate import evaluate
from diffcli.core.parse import parse
from diffcli.core.printing import INLINE_LIMIT, STATEMENT_LIMIT, format_number, to_latex, to_program, to_text

TERMS = 300
# "1.0001*x + 1.0002*x + …": 300 distinct terms of 8–10 characters, about 3,300 characters in all, so
# past INLINE_LIMIT; no node is used twice, so only the STATEMENT_LIMIT rule names anything.
LONG_SUM = " + ".join(f"{1 + k / 10_000}*x" for k in range(1, TERMS + 1))


def _statements(program: str) -> tuple[list[tuple[str, str]], str]:
    *definitions, result = program.split("; ")
    return [tuple(d.split(" = ", 1)) for d in definitions], result


def _value(text: str, x: float = 0.7) -> float:
    graph = parse(text)
    return evaluate(graph, {"x": x})[graph.output]


def _same_value(source: str, program: str) -> None:
    """The program reads back to the same floating-point operations, so to the same value, bit for bit."""
    assert _value(program) == _value(source)


def test_long_sum_is_cut_into_statements_near_the_statement_limit():
    graph = parse(LONG_SUM)
    program = to_program(graph, graph.output)
    definitions, result = _statements(program)
    printed = len(to_text(graph, graph.output))  # 3,876 characters inline
    # A node is named when its estimated text passes STATEMENT_LIMIT; the estimate (operator name + 4 per
    # node) overshoots the printed " + " and " * ", so statements come out at 0.6 of the limit (about 630
    # characters here).  Not one statement per node (300 of ~20 characters), not one 3,876-character line.
    assert printed > INLINE_LIMIT
    assert 2 <= len(definitions) <= printed // (STATEMENT_LIMIT // 2) + 1
    for _, text in definitions:
        assert STATEMENT_LIMIT // 2 < len(text) <= STATEMENT_LIMIT
    assert len(result) <= STATEMENT_LIMIT
    _same_value(LONG_SUM, program)


def test_a_small_node_used_twice_in_a_large_expression_is_written_once():
    source = f"{LONG_SUM} + sin(x)*sin(x)"
    graph = parse(source)
    program = to_program(graph, graph.output)
    assert program.count("sin(x)") == 1, program[-200:]
    _same_value(source, program)


def test_the_last_node_before_the_result_is_named_when_used_twice():
    # (long sum) * (long sum): the node just before the result is the whole sum, used twice.
    source = f"({LONG_SUM}) * ({LONG_SUM})"
    graph = parse(source)
    program = to_program(graph, graph.output)
    _, result = _statements(program)
    assert re.fullmatch(r"t\d+ \* t\d+", result), result
    name = result.split(" * ")[0]
    assert result == f"{name} * {name}"
    _same_value(source, program)


def test_small_expressions_are_written_inline_even_with_sharing():
    graph = parse("sin(x)*sin(x) + sin(x)")
    assert to_program(graph, graph.output) == "sin(x) * sin(x) + sin(x)"


def _latex(text: str) -> str:
    graph = parse(text)
    return to_latex(graph, graph.output)


def test_format_number_reads_back_as_the_same_double():
    # Literal expectations: integers below 1e16 without ".0", the sign of -0.0 kept, large ones by repr.
    cases = [(2.0, "2"), (-3.0, "-3"), (1e15, "1000000000000000"), (1e16, "1e+16"), (-1e20, "-1e+20"),
             (0.0, "0"), (-0.0, "-0.0"), (0.1, "0.1")]  # a list: 0.0 and -0.0 are one dict key
    for value, text in cases:
        assert format_number(value) == text
        assert float(text) == value and str(float(text))[0] == str(value)[0]


def test_to_text_with_names_prints_the_named_root_itself():
    graph = parse("a = z^2; b = x + 1/(a-3); b")
    # the root is named b, but asked for, it is written out; its named argument a stays a name
    assert to_text(graph, graph.output, graph.labels) == "x + 1 / (a - 3)"


def test_latex_of_powers_and_the_definitions_block():
    assert _latex("x**(y+1)") == "x^{y + 1}"
    assert _latex("(x+1)**y") == r"\left(x + 1\right)^{y}"
    lines = _latex(f"sin({LONG_SUM}) * sin({LONG_SUM})").split(" \\\\\n")
    assert lines[0].startswith("\\begin{aligned}\n& t_{") and lines[-1].endswith("\\end{aligned}")
    assert lines[1].startswith(r"\text{where } t_{1} &= ")
    assert all(line.startswith("t_{") for line in lines[2:])


def test_latex_wraps_a_power_that_is_the_base_of_a_power():
    assert _latex("(x**y)**z") == r"\left(x^{y}\right)^{z}"  # x^{y}^{z} is not LaTeX


def test_python_renames_a_variable_python_cannot_bind():
    from diffcli.core.printing import to_python

    graph = parse("__debug__ * x + __debug___")  # the renamed name must not take an existing one
    code = to_python(graph, graph.output)
    assert code.startswith("def derivative(__debug____, x, __debug___):") or \
        code.startswith("def derivative(__debug____, __debug___, x):"), code
    namespace = {}
    exec(compile(code, "<derivative>", "exec"), namespace)  # it compiles, and computes the same
    assert namespace["derivative"](2.0, 3.0, 5.0) in (2.0 * 3.0 + 5.0, 2.0 * 5.0 + 3.0)


def test_inline_size_estimate_at_the_limit():
    from diffcli.core.printing import fits_inline

    # The estimate (printing._inline_sizes' docstring): a name its length, an operation its operator
    # name + 4 + its arguments.  "a100 + … + aK" (names of 4 characters) costs 4 per name, 7 per "add".
    def chain(count, extra=""):
        return " + ".join([f"a{100 + k}" for k in range(count - 1)] + [f"a{100 + count - 1}{extra}"])

    # 182 names: 182·4 + 181·7 = 1995; a last name 5 characters longer: exactly 2000 = INLINE_LIMIT.
    exact = parse(chain(182, "bcdef"))
    assert INLINE_LIMIT == 2000
    assert fits_inline(exact, exact.output)
    over = parse(chain(182, "bcdefg"))  # 2001
    assert not fits_inline(over, over.output)
    assert to_program(exact, exact.output) == to_text(exact, exact.output)
    assert to_program(over, over.output) != to_text(over, over.output)


def test_a_statement_is_named_only_past_the_statement_limit():
    # A first name of 10 characters, then names of 4: the sum of the first j names is estimated at
    # 10 + 11·(j - 1), exactly 1000 = STATEMENT_LIMIT at j = 91 (not past it: not named), 1011 at j = 92.
    names = ["a123456789"] + [f"b{100 + k}" for k in range(199)]  # 200 names, ~2,200 > INLINE_LIMIT
    graph = parse(" + ".join(names))
    definitions, _ = _statements(to_program(graph, graph.output))
    first = definitions[0][1]
    assert first.count(" + ") == 91  # the first 92 names
    assert STATEMENT_LIMIT == 1000
