"""Output is linear in the size of the graph: every printer names a shared sub-expression instead of
writing it out again (text, LaTeX, Python, ``diff --steps``, verify's diagnosis, trace's table and JSON).

Two families of input: *doubling* programs (``a0 = x*x; a1 = a0*a0; …``: each level doubles the inline
text of the expression and of its derivative) and long *chains* of statements.  Times are never asserted;
work is bounded through what it produces: doubling the input at most about doubles the output, and the
output is a bounded multiple of the input.  Generated Python compiles for every accepted name and follows
diffcli's real power.
"""

import math

import pytest

from diffcli.api import derivative, trace, verify
from diffcli.core.chain import symbolic_gradient
from diffcli.core.errors import DiffcliError
from diffcli.core.evaluate import evaluate
from diffcli.core.parse import parse
from diffcli.core.printing import INLINE_LIMIT
from diffcli.render.diff import render as render_diff
from diffcli.render.trace import render as render_trace

GROWTH = 2.3
"""Doubling the input may at most about double the output (names grow by a character now and then)."""


def doubling(levels: int) -> str:
    """``a0 = x*x; a1 = a0*a0; …; aN``: 2**N copies of x*x inline."""
    return "; ".join(["a0 = x*x"] + [f"a{i} = a{i - 1}*a{i - 1}" for i in range(1, levels + 1)]
                     + [f"a{levels}"])


def bounded_doubling(levels: int) -> tuple[str, str]:
    """A doubling program whose values stay finite, and the claim that drops the top term of its
    derivative (``sin(aN)`` for ``sin(aN) * x``): verify's diagnosis names a node of the last level."""
    body = ["a0 = x*x"] + [f"a{i} = sin(a{i - 1})*cos(a{i - 1}) + x" for i in range(1, levels + 1)]
    return "; ".join(body + [f"sin(a{levels}) * x"]), "; ".join(body + [f"sin(a{levels})"])


def chain(statements: int) -> str:
    """A linear program: each statement uses the previous one twice and x once (x gets one term per
    statement in trace's adjoint equation)."""
    return "; ".join(["a0 = x*z"] + [f"a{i} = sin(a{i - 1})*x + z/(a{i - 1}+1)" for i in range(1, statements)]
                     + [f"a{statements - 1}"])


def diff_outputs(expression: str) -> dict[str, int]:
    """The length of every format of ``diff`` (and of ``--steps``) for ``expression``."""
    record = derivative(expression, "x", steps=True)
    sizes = {fmt: len(render_diff(record, fmt)) for fmt in ("latex", "python", "json", "markdown", "csv")}
    sizes["steps"] = len(render_diff(record, "text"))
    sizes["text"] = len(record["derivative"])
    return sizes


def assert_linear(small: dict, large: dict):
    for key in small:
        assert large[key] <= GROWTH * small[key], (key, small[key], large[key])


def test_doubling_programs_print_linearly_in_every_diff_format():
    sizes = {levels: diff_outputs(doubling(levels)) for levels in (12, 25, 50)}
    assert_linear(sizes[12], sizes[25])
    assert_linear(sizes[25], sizes[50])
    # the case, 25 levels: 5 GB of LaTeX before; now a few KB in every form
    assert len(doubling(25)) < 400 and max(sizes[25].values()) < 20 * len(doubling(25))


def test_the_derivative_graph_itself_is_linear():
    """The work behind the printers: the derivative's graph grows by a few nodes per level."""
    counts = []
    for levels in (25, 50):
        graph = parse(doubling(levels))
        symbolic_gradient(graph, graph.output)
        counts.append(len(graph.ops))
    assert counts[1] <= GROWTH * counts[0]


def test_a_long_derivative_reads_back_as_a_program_with_the_same_value():
    record = derivative(doubling(25), "x")
    assert record["derivative"].startswith("t1 = x * x; t2 = t1 * t1;")
    assert record["latex"].startswith("\\begin{aligned}")
    assert "\\text{where } t_{1} &= x \\cdot x" in record["latex"]
    assert "    b = a * a\n" in record["python"]
    exact = 2**26 * 0.999**(2**26 - 1)
    assert evaluate(parse(record["derivative"]), {"x": 0.999})[-1] == pytest.approx(exact, rel=1e-9, abs=0)
    namespace = {}
    exec(compile(record["python"], "<derivative>", "exec"), namespace)  # our own generated code
    assert namespace["df_dx"](0.999) == pytest.approx(exact, rel=1e-9, abs=0)


def test_steps_name_the_programs_own_intermediates():
    text = render_diff(derivative(doubling(25), "x", steps=True), "text")
    assert "d/dx[a24]    (product rule), a24 = a23 * a23\n    = a23 · d/dx[a23] + a23 · d/dx[a23]" in text


def test_diff_text_builds_only_the_text(cli):
    record = derivative(doubling(25), "x", forms=())
    assert "latex" not in record and "python" not in record
    code, out, err = cli("diff", doubling(25), "--wrt", "x")
    assert code == 0 and err == "" and out.startswith("t1 = x * x;") and len(out) < 1000
    with pytest.raises(DiffcliError):
        derivative("x", "x", forms=("pdf",))


def test_long_chains_print_linearly():
    sizes = {n: diff_outputs(chain(n)) for n in (500, 1000)}
    assert_linear(sizes[500], sizes[1000])
    expression = chain(4000)
    record = derivative(expression, "x", steps=True)
    for key in ("derivative", "latex", "python"):
        assert len(record[key]) < 10 * len(expression), key
    assert len(render_diff(record, "text")) < 20 * len(expression)


def test_verify_diagnosis_names_instead_of_expanding():
    messages = {}
    for levels in (12, 24, 48):
        expression, claim = bounded_doubling(levels)
        record = verify(expression, "x", claim, {"x": 0.7})
        assert record["diagnosis"]["mistake"] == "dropped"
        messages[levels] = record["diagnosis"]["message"]
    assert "= sin(a24) from its argument a24" in messages[24]
    assert all(len(message) < 200 for message in messages.values())
    assert len(bounded_doubling(24)[0]) > INLINE_LIMIT // 4  # the 603 characters: a 1 GB line before


def test_verify_diagnosis_of_a_short_expression_is_unchanged():
    record = verify("x*z + sin(x)", "x", "z", {"x": 0.5, "z": 2.0})
    assert record["diagnosis"]["term"] == "cos(x)"


def test_trace_table_and_json_are_linear_in_a_long_chain():
    sizes = {}
    for n in (250, 500):
        record = trace(chain(n), {"x": 0.5, "z": 0.3}, digits=15)
        sizes[n] = {fmt: len(render_trace(record, fmt)) for fmt in ("table", "json", "latex", "csv")}
    assert_linear(sizes[250], sizes[500])
    # the 4,000 statements (117 KB): 569 MB of table before, every row padded to one 47 KB cell
    expression = chain(4000)
    record = trace(expression, {"x": 0.5, "z": 0.3}, digits=15)
    table = render_trace(record, "table")
    assert len(table) < 25 * len(expression)
    assert max(map(len, table.splitlines()[:4000])) <= 100  # the table's rows keep the line's width
    assert len(render_trace(record, "json")) < 150 * len(expression)


# ---------------------------------------------------------------- generated Python

def test_python_with_a_variable_named_debug_compiles():
    for wrt in ("x", "__debug__"):
        record = derivative("__debug__*x + sin(__debug__)", wrt)
        assert "__debug___" in record["python"]
        namespace = {}
        exec(compile(record["python"], "<derivative>", "exec"), namespace)  # our own generated code
        function = namespace[f"df_d{wrt}"]
        assert function(2.0, 3.0) == (2.0 if wrt == "x" else 3.0 + math.cos(2.0))  # (__debug__, x)


def test_python_power_is_real_as_diffcli_says():
    """x**y at x=-8, y=1/3: diffcli reports pow undefined; the generated function raises, never returns a
    complex number."""
    record = derivative("x**y", "x")
    namespace = {}
    exec(compile(record["python"], "<derivative>", "exec"), namespace)  # our own generated code
    with pytest.raises(DiffcliError, match="undefined"):
        evaluate(parse("x**y"), {"x": -8.0, "y": 1 / 3})
    with pytest.raises(ValueError):
        namespace["df_dx"](-8.0, 1 / 3)
    assert namespace["df_dx"](8.0, 1 / 3) == pytest.approx(1 / 12)
    assert derivative("x**3", "x")["python"].endswith("return 3 * x**2")  # whole powers keep **


def test_a_file_table_keeps_a_long_latex_derivative_on_its_row(cli, tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(doubling(25) + "\nsin(x)\n")
    code, out, err = cli("diff", "--file", str(path), "--wrt", "x", "--format", "latex")
    rows = [line for line in out.splitlines() if line.lstrip().startswith(("1 ", "2 "))]
    assert code == 0 and len(rows) == 2 and "\\begin{aligned}" in rows[0] and "\\end{aligned}" in rows[0]
    assert len(out) < 20 * len(doubling(25))
