"""Big expressions and many points: flat chains past CPython's parser limit, 100,000 nodes, batches."""

import gc
import math
import platform
import random
import re

import mpmath
import numpy as np
import pytest
from conftest import LECTURE

from diffcli.core.chain import symbolic_gradient
from diffcli.core.codegen import compile_function, compile_gradient, function_at, gradient_at, gradient_source
from diffcli.core.errors import LimitError
from diffcli.core.evaluate import evaluate
from diffcli.core.memory import keep_freed_memory
from diffcli.core.parse import parse
from diffcli.core.statements import in_parts, reuse_names
from diffcli.reference import reference


def generated_sum(terms: int) -> str:
    """f = Σ sin(x_i·x_{i+1}) + exp(x_i)/(1+x_i²): the flat sum generated models produce."""
    return " + ".join(f"sin(x{i}*x{i + 1}) + exp(x{i})/(1 + x{i}**2)" for i in range(terms))


@pytest.mark.parametrize("terms, symbolic_fits", [(11_200, False), (5_000, True)])
def test_large_expression_reverse_and_symbolic_match_the_reference(terms, symbolic_fits):
    """11,200 terms are 100,000 nodes: reverse mode adds none; symbolic differentiation builds the
    derivative in the same graph, which then needs more than MAX_NODES (200,000), a clear LimitError.
    5,000 terms (45,000 nodes) fit with their derivative."""
    graph = parse(generated_sum(terms))
    assert len(graph) > 8 * terms and len(graph.variables) == terms + 1
    point = {f"x{i}": 0.5 + 0.0001 * i for i in range(terms + 1)}
    values = [point[n] for n in graph.variable_names]
    _, reverse = compile_gradient(graph)(*values)
    derived = graph.copy()
    if not symbolic_fits:
        with pytest.raises(LimitError, match="MAX_NODES"):
            symbolic_gradient(derived)
    symbolic = compile_function(derived, symbolic_gradient(derived))(*values) if symbolic_fits else reverse
    sampled = ["x0", "x1", "x2500", f"x{terms - 1}", f"x{terms}"]
    ref = reference(graph, point, digits=30, variables=sampled)
    for name in sampled:
        k = graph.variable_names.index(name)
        truth = float(ref.gradient[name])
        assert reverse[k] == pytest.approx(truth, rel=1e-13, abs=0)
        assert symbolic[k] == pytest.approx(truth, rel=1e-13, abs=0)


def test_sampled_reference_is_the_closed_form():
    graph = parse(generated_sum(50))
    point = {f"x{i}": 0.3 + 0.01 * i for i in range(51)}
    ref = reference(graph, point, digits=40, variables=["x7"])
    m = mpmath.MPContext()
    m.dps = 60
    x = [m.mpf(point[f"x{i}"]) for i in range(51)]
    truth = (m.cos(x[7] * x[8]) * x[8] + m.cos(x[6] * x[7]) * x[6]
             + m.exp(x[7]) / (1 + x[7] ** 2) - m.exp(x[7]) * 2 * x[7] / (1 + x[7] ** 2) ** 2)
    assert abs(m.mpf(ref.gradient["x7"]) - truth) < m.mpf(10) ** -38 * abs(truth)


def test_many_variables_use_a_cross_checked_reverse_reference():
    graph = parse(generated_sum(30))
    point = {f"x{i}": 0.1 * i for i in range(31)}
    ref = reference(graph, point, digits=40)
    assert ref.method.startswith("reverse-mode in mpmath, checked by mpmath.diff")
    independent = reference(graph, point, digits=40, variables=["x4", "x17"])
    for name in ("x4", "x17"):
        assert (abs(ref.gradient[name] - independent.gradient[name])
                < mpmath.mpf(10) ** -38 * abs(ref.gradient[name]))


def test_batch_of_10000_points_matches_per_point_results():
    graph = parse(LECTURE)
    rng = np.random.default_rng(7)
    x = rng.uniform(1.5, 3.0, 10_000)
    z = rng.uniform(0.5, 2.0, 10_000)
    value, (gx, gz) = compile_gradient(graph, kind="array")(x, z)
    single = compile_gradient(graph)
    for i in range(0, 10_000, 97):
        v, (sx, sz) = single(float(x[i]), float(z[i]))
        assert value[i] == pytest.approx(v, rel=1e-14, abs=0)
        assert gx[i] == pytest.approx(sx, rel=1e-13, abs=0) and gz[i] == pytest.approx(sz, rel=1e-13, abs=0)



def test_compiled_gradient_writes_no_avoidable_operation():
    """On arrays a gradient costs one pass over memory per operation, so the code has none to spare: a
    product with a reciprocal is a division, a negation is a subtraction, a power 1 or a partial 1 writes
    nothing, and the constant adjoints of a sum are numbers, not lines."""
    source = gradient_source(parse("exp(x)/(1 + x**2) + sin(x*y) - y/x"))
    assert "* (1.0 /" not in source and "(-" not in source
    assert "1.0)" not in source and "2.0 - 1.0" not in source and "1.0 *" not in source
    assert source.count("\n") - 1 == 10 + 5  # 10 forward lines, 5 adjoint lines (see the comment below)
    # g0 = e/b - (v/b)·2x;  g3 = cos(xy);  g0 += g3·y;  g1 = g3·x - 1/x;  g0 += (y/x)/x


@pytest.mark.parametrize("text, values", [
    ("exp(x)/(1 + x**2) + sin(x*y) - y/x", [0.7, -1.3]),  # a reciprocal turned division, a subtraction
    ("log(x)*y - x/y + (x - y)**3 - -x*y", [2.5, 0.3]),
    ("1/(x - y) - 1/(y - x) + atan2(x, y) * x**y", [1.1, 1.1 + 2**-40]),  # cancels to a few bits
    ("x*0 - y*0 + x*y - x", [-0.0, 0.0]),  # signed zeros
    (generated_sum(40), [0.1 * k - 2 for k in range(41)]),
])
def test_gradient_without_compiling_is_the_compiled_one_to_the_bit(text, values):
    """The answer wanted once is computed as the compiled code is written, operation for operation:
    every partial has the compiled code's bits (and sign of zero), not just its value to rounding."""
    graph = parse(text)
    found = gradient_at(graph, values)
    compiled = compile_gradient(graph, value=False)(*values)[1]
    assert [v.hex() for v in found] == [float(v).hex() for v in compiled]


def test_gradient_without_compiling_gives_way_where_the_code_fails():
    """Where an operation of the code fails (log of a negative in pow's partial) there is no number: the
    compiled code is run instead, and fails as it fails."""
    graph = parse("(-x)**z")
    assert gradient_at(graph, [2.0, 3.0]) is None
    with pytest.raises(ValueError):
        compile_gradient(graph, value=False)(2.0, 3.0)


@pytest.mark.parametrize("text, values", [
    ("x**0.0 * y + atan2(y, x) / (x - y) - -x", [0.0, 0.75]),  # a constant form at 0
    ("x**2.0 * y + atan2(y, x) / (x - y) - -x*exp(-y*y)", [1e-160, 30.0]),  # underflows
    ("log(x)*tanh(y) + 1/x", [-2.0, 1.0]),  # log of a negative: ValueError
    ("x/y - 1/(x - 0.5)", [0.5, 2.0]),  # division by zero
])
def test_a_function_walked_once_is_the_compiled_one(text, values):
    """The symbolic gradient's lines walked instead of compiled: the same bits, or the same exception."""
    graph = parse(text)
    outputs = symbolic_gradient(graph)

    def outcome(call):
        try:
            return [float(v).hex() for v in call()]
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            return type(error), str(error)
    assert outcome(lambda: function_at(graph, outputs, values)) == \
        outcome(lambda: compile_function(graph, outputs)(*values))


def test_batched_gradient_with_a_scalar_argument_matches_single_points():
    """A variable given as a number among arrays: the adjoints that accumulate in place broadcast."""
    graph = parse("x*y + sin(x)*y**2 + y/x")
    x = np.linspace(0.5, 2.0, 7)
    value, (gx, gy) = compile_gradient(graph, kind="array")(x, 1.5)
    single = compile_gradient(graph)
    for i in range(7):
        v, (sx, sy) = single(float(x[i]), 1.5)
        assert (value[i], gx[i], gy[i]) == pytest.approx((v, sx, sy), rel=1e-14, abs=0)


def test_compiled_code_reuses_a_name_only_after_its_last_reader():
    """Names are reassigned as registers: a value's name is taken over only once nothing reads the value
    again, so the renamed code computes what the readable code does, with far fewer locals."""
    graph = parse(generated_sum(30))
    source = gradient_source(graph)
    renamed = reuse_names(source)
    local_names = lambda text: set(re.findall(r"\b[vgr]\d+\b", text))  # noqa: E731
    assert len(local_names(renamed)) < len(local_names(source)) / 2
    columns = [np.linspace(0.1, 0.9, 5) + 0.01 * k for k in range(31)]
    from diffcli.core.codegen import evaluators
    readable, compiled = evaluators("array"), evaluators("array")
    exec(compile(source, "readable", "exec"), readable)  # noqa: S102 - generated from our graph
    exec(compile(renamed, "renamed", "exec"), compiled)  # noqa: S102
    value, gradient = readable["gradient"](*columns)
    value_renamed, gradient_renamed = compiled["gradient"](*columns)
    assert np.array_equal(value, value_renamed)
    assert all(np.array_equal(a, b) for a, b in zip(gradient, gradient_renamed))
    single = compile_gradient(graph)  # on floats: libm's functions, so equal to rounding
    for i in range(5):
        assert (single(*(float(c[i]) for c in columns))[1]
                == pytest.approx([g[i] for g in gradient], rel=1e-14, abs=0))


def _closed_form_partial(x: list, i: int) -> float:
    """∂/∂x_i of :func:`generated_sum` (x_i is in the terms i − 1 and i), written out by hand."""
    total = math.exp(x[i]) / (1 + x[i] ** 2) - math.exp(x[i]) * 2 * x[i] / (1 + x[i] ** 2) ** 2 \
        if i < len(x) - 1 else 0.0
    if i > 0:
        total += math.cos(x[i - 1] * x[i]) * x[i - 1]
    if i < len(x) - 1:
        total += math.cos(x[i] * x[i + 1]) * x[i + 1]
    return total


def test_a_long_function_is_compiled_in_parts_that_compute_what_the_whole_does(monkeypatch):
    """Past PART_STATEMENTS statements a generated function is compiled in parts (values handed from one
    part to the next): the same statements in the same order, so the same doubles and arrays, bit for
    bit, on floats, numpy arrays and complex numbers; and the gradient is the closed form's."""
    from diffcli.core import codegen

    graph = parse(generated_sum(120))  # 1,082 nodes: about 1,400 statements of gradient
    sources = in_parts(gradient_source(graph), 300)
    assert len(sources) == 1 + math.ceil((gradient_source(graph).count("\n") - 1) / 300)
    assert all(source.count("\n") <= 300 + 2 for source in sources[1:])  # its def and its return
    point = [0.3 + 0.005 * i for i in range(121)]
    columns = [np.linspace(0.2, 0.9, 6) + 0.003 * i for i in range(121)]
    built = {}
    for size in (300, 10**9):  # in parts, and whole
        monkeypatch.setattr(codegen, "PART_STATEMENTS", size)
        fresh = graph.copy()  # compiled code is kept per graph
        built[size] = (compile_gradient(fresh)(*point), compile_gradient(fresh, kind="array")(*columns),
                       codegen.compile_tangent(fresh)(*point, *([0.0] * 60 + [1.0] + [0.0] * 60)),
                       compile_function(fresh, kind="complex")(*[complex(v, 1e-20) for v in point]))
    (value, gradient), (array_value, array_gradient), tangent, complex_value = built[300]
    assert (value, gradient) == built[10**9][0] and tangent == built[10**9][2]
    assert complex_value == built[10**9][3]
    assert np.array_equal(array_value, built[10**9][1][0])
    assert all(np.array_equal(a, b) for a, b in zip(array_gradient, built[10**9][1][1]))
    for i in (0, 1, 60, 119, 120):
        assert gradient[i] == pytest.approx(_closed_form_partial(point, i), rel=1e-13, abs=0)
    assert tangent[1] == pytest.approx(_closed_form_partial(point, 60), rel=1e-13, abs=0)


def test_gradient_without_the_value_leaves_out_only_what_the_value_needs():
    graph = parse(generated_sum(5))
    columns = [np.linspace(0.1, 0.9, 7) + 0.01 * k for k in range(6)]
    value, gradient = compile_gradient(graph, kind="array")(*columns)
    none, alone = compile_gradient(graph, kind="array", value=False)(*columns)
    assert none is None and all(np.array_equal(a, b) for a, b in zip(gradient, alone))
    source = gradient_source(graph, value=False)
    assert "sin(" not in source and source.count("cos(") == 5  # sin(x*y)'s gradient needs only the cosine


def test_building_pauses_the_cyclic_collector_and_restores_it():
    assert gc.isenabled()
    parse(generated_sum(2))
    compile_gradient(parse("x*y"), kind="array")
    assert gc.isenabled()
    gc.disable()
    try:
        parse("x + 1")
        assert not gc.isenabled()  # a pause inside leaves an outer decision alone
    finally:
        gc.enable()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the malloc settings are glibc's")
def test_batched_code_keeps_freed_memory_on_glibc():
    assert keep_freed_memory()

@pytest.mark.parametrize("operator, expected", [("+", 100_000.0), ("*", 1.0)])
def test_flat_chain_of_100k_operands(operator, expected):
    graph = parse(operator.join(["x"] * 100_000))
    assert evaluate(graph, {"x": 1.0})[graph.output] == expected


def test_chain_split_keeps_python_semantics():
    """Signs, exponents and ** inside a chain too long for CPython's parser fold exactly as Python would."""
    rng = random.Random(3)
    pieces, expected = [], 0.0
    for _ in range(3000):
        a, b = rng.uniform(-2, 2), rng.randint(1, 3)
        sign = rng.choice("+-")
        pieces.append(f"{sign} {a!r}e-1 * x**{b} / -2")
        term = a * 0.1 * 1.5 ** b / -2
        expected = expected + term if sign == "+" else expected - term
    text = "0 " + " ".join(pieces)
    graph = parse(text)
    assert evaluate(graph, {"x": 1.5})[graph.output] == pytest.approx(expected, rel=1e-12, abs=0)


def test_split_chains_build_the_graph_python_would(monkeypatch):
    """Splitting and parsing in runs changes nothing: forced on a chain CPython parses whole, it builds the
    same graph (same nodes, same text, the same value to the bit) and reports errors at the same place."""
    import diffcli.core.splitter as splitter
    from diffcli.core.errors import ParseError
    from diffcli.core.printing import to_text

    rng = random.Random(5)
    terms = [rng.choice(["x", "-x", "sin(x*2)", "1e-5", "x**2", "(x - 3)", "2 * x / 7", "-(x + 1)", "x^3"])
             for _ in range(400)]
    text = terms[0] + "".join(f" {rng.choice('+-*/')} {term}" for term in terms[1:])
    whole = parse(text)
    bad = text[:2000] + " + nosuch(x) " + text[2000:]
    with pytest.raises(ParseError) as whole_error:
        parse(bad)
    monkeypatch.setattr(splitter, "CHAIN_SPLIT_CHARS", 10)
    monkeypatch.setattr(splitter, "CHAIN_RUN", 7)
    split = parse(text)
    assert len(split) == len(whole)
    assert to_text(split, split.output) == to_text(whole, whole.output)
    assert evaluate(split, {"x": 0.7})[split.output] == evaluate(whole, {"x": 0.7})[whole.output]
    with pytest.raises(ParseError) as split_error:
        parse(bad)
    assert ((split_error.value.line, split_error.value.column)
            == (whole_error.value.line, whole_error.value.column))
    assert str(split_error.value) == str(whole_error.value)


def test_genuine_deep_nesting_keeps_its_clear_error():
    with pytest.raises(LimitError, match="program of assignments"):
        parse("x" + "**x" * 5000)


def test_long_unary_chain_is_right_or_a_clear_error():
    try:
        graph = parse("-" * 5000 + "x")
    except LimitError as error:
        assert "program of assignments" in error.message
    else:
        assert evaluate(graph, {"x": 2.0})[graph.output] == 2.0


def test_deep_model_as_a_program():
    depth = 2000
    lines = (["y0 = x0"] + [f"y{i} = sin(x{i % 7} * y{i - 1} + x{i % 7})" for i in range(1, depth)]
             + [f"y{depth - 1}"])
    graph = parse("\n".join(lines))
    point = {f"x{i}": 0.1 * (i + 1) for i in range(7)}
    values = [point[n] for n in graph.variable_names]
    _, reverse = compile_gradient(graph)(*values)
    derived = graph.copy()
    symbolic = compile_function(derived, symbolic_gradient(derived))(*values)
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300) for a, b in zip(reverse, symbolic))


# ---------------------------------------------------------------- compare --points

def _points_csv(tmp_path, count=500, seed=5):
    rng = np.random.default_rng(seed)
    x, z = rng.uniform(1.5, 3.0, count), rng.uniform(0.5, 2.0, count)
    path = tmp_path / "points.csv"
    path.write_text("x,z\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, z)))
    return path, x, z


def test_points_file_gives_one_record_per_point_matching_single_points(cli, tmp_path):
    import json

    path, x, z = _points_csv(tmp_path)
    code, out, err = cli("compare", LECTURE, "--points", str(path), "--format", "jsonl", "--no-timing")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["index"] for r in records] == list(range(500))
    single = compile_gradient(parse(LECTURE))
    for r in records[::37]:
        value, (gx, gz) = single(r["point"]["x"], r["point"]["z"])
        assert r["point"] == {"x": x[r["index"]], "z": z[r["index"]]}
        assert r["value"] == pytest.approx(value, rel=1e-14, abs=0)
        for method in ("reverse", "symbolic", "dual"):
            assert r["gradient"][method]["x"] == pytest.approx(gx, rel=1e-13, abs=0)
            assert r["gradient"][method]["z"] == pytest.approx(gz, rel=1e-13, abs=0)
        assert r["gradient"]["fd-central"]["x"] == pytest.approx(gx, rel=1e-7, abs=0)


def test_points_summary_measures_errors_on_a_sample(cli, tmp_path):
    import json

    path, _, _ = _points_csv(tmp_path)
    code, out, _ = cli("compare", LECTURE, "--points", str(path), "--format", "json",
                       "--reference-sample", "4", "--no-timing")
    summary = json.loads(out)
    assert summary["points"] == 500 and summary["reference"]["sample"] == [0, 166, 333, 499]
    rows = {r["method"]: r for r in summary["methods"]}
    assert rows["reverse"]["max_rel_error"] < 1e-14 and rows["reverse"]["failed_points"] == 0
    assert 1e-13 < rows["fd-central"]["max_rel_error"] < 1e-6


def test_points_from_npy(cli, tmp_path):
    import json

    plain = tmp_path / "plain.npy"
    np.save(plain, np.array([[1.0, 2.0], [3.0, 4.0]]))
    structured = tmp_path / "named.npy"
    np.save(structured, np.array([(2.0, 1.0), (4.0, 3.0)], dtype=[("z", float), ("x", float)]))
    for path in (plain, structured):
        code, out, err = cli("compare", "x*z*z", "--points", str(path), "-f", "jsonl", "-m", "reverse",
                             "--no-timing")
        assert code == 0, err
        first = json.loads(out.splitlines()[0])
        assert first["point"] == {"x": 1.0, "z": 2.0} and first["gradient"]["reverse"] == {"x": 4.0, "z": 4.0}


def test_points_mark_failed_points(cli, tmp_path):
    import json

    path = tmp_path / "p.csv"
    path.write_text("x\n4\n-1\n9\n")
    code, out, _ = cli("compare", "sqrt(x)", "--points", str(path), "-f", "jsonl", "-m", "reverse",
                       "--no-timing")
    records = [json.loads(line) for line in out.splitlines()]
    assert records[1]["gradient"]["reverse"] is None and records[1]["value"] is None
    assert records[2]["gradient"]["reverse"] == {"x": pytest.approx(1 / 6)}


@pytest.mark.parametrize("content, words", [("x\n1\nabc\n", "line 3: 'abc' is not a number"),
                                            ("y\n1\n", "no value for variable 'x'"), ("", "empty")])
def test_points_file_errors(cli, tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code, _, err = cli("compare", "x**2", "--points", str(path))
    assert code == 2 and words in err and err.count("\n") == 1


def test_points_refuses_a_point_and_missing_files(cli, tmp_path):
    path, _, _ = _points_csv(tmp_path, 3)
    assert cli("compare", "x*z", "x=1", "--points", str(path))[0] == 2
    assert cli("compare", "x*z", "--points", str(tmp_path / "nope.csv"))[0] == 2


def test_points_tolerance(cli, tmp_path):
    path, _, _ = _points_csv(tmp_path, 50)
    assert cli("compare", LECTURE, "--points", str(path), "--tolerance", "1e-12", "-m", "reverse")[0] == 0
    code, _, err = cli("compare", LECTURE, "--points", str(path), "--tolerance", "1e-12", "-m", "fd-central")
    assert code == 1 and "fd-central" in err


def test_chain_split_never_cuts_inside_nested_parentheses():
    """3000 terms ((x + 1)*(x - 1)) in one sum, far over the length where the chain is split: a cut is only
    at depth 0, so each term stays whole: 3000·(2² − 1) = 9000 at x = 2."""
    graph = parse(" + ".join(["((x + 1)*(x - 1))"] * 3000))
    assert evaluate(graph, {"x": 2.0})[graph.output] == 9000.0


def test_the_neighbourhood_screen_looks_variables_up_once_not_per_variable(monkeypatch):
    """With a variable at a domain edge (sqrt(x0) at x0 = 0) the screen walks every variable; it looked
    each one up with ``graph.variable_names.index`` (a list built and searched per variable: quadratic, 15 s
    at 20,000 variables).  Counted, not timed: the list is built a fixed number of times, whatever the
    number of variables."""
    from diffcli.core.graph import Graph
    from diffcli.reference.neighbourhood import sides

    built = []
    names = Graph.variable_names.fget
    monkeypatch.setattr(Graph, "variable_names", property(lambda graph: built.append(1) or names(graph)))
    times = []
    for count in (50, 400):
        graph = parse("sqrt(x0) + " + " + ".join(f"x{i}*x{i + 1}" for i in range(count)))
        m = mpmath.MPContext()
        at = {name: m.mpf(0.0 if name == "x0" else 0.5) for name in names(graph)}
        built.clear()
        assert list(sides(m, graph, at, names(graph))) == ["x0"]  # f is real only right of x0 = 0
        times.append(len(built))
    assert times[0] == times[1] <= 8, times
