"""What is built once and shared: f's compiled forms per graph, mpmath contexts per precision, a point's
float values."""

import math
import pickle

import mpmath

from diffcli.core import codegen
from diffcli.core import evaluate as evaluation
from diffcli.core.codegen import compile_function, compile_gradient, compile_tangent, function_at, gradient_at
from diffcli.core.errors import DomainError
from diffcli.core.parse import parse
from diffcli.reference import reference
from diffcli.reference.runs import private_context


def test_each_compiled_form_is_built_once_per_graph_and_kind():
    graph = parse("exp(x*z) + x/z")
    assert compile_function(graph) is compile_function(graph, kind="real")
    assert compile_function(graph, kind="array") is not compile_function(graph)
    assert compile_gradient(graph) is compile_gradient(graph)
    assert compile_gradient(graph, value=False) is not compile_gradient(graph)
    assert compile_tangent(graph) is compile_tangent(graph)
    assert compile_function(graph, [graph.output, 2]) is not compile_function(graph)
    assert compile_function(parse("exp(x*z) + x/z")) is not compile_function(graph)  # per graph object


def test_a_grown_graph_gets_code_for_what_it_is_now():
    graph = parse("x*z")
    f = compile_function(graph)
    graph.output = graph.apply("sin", (graph.output,))
    assert compile_function(graph) is not f
    assert compile_function(graph)(2.0, 3.0) == (mpmath.sin(6.0),)


def test_a_graph_with_compiled_code_pickles_without_it():
    graph = parse("x*z + 1")
    compile_gradient(graph)
    copy = pickle.loads(pickle.dumps(graph))
    assert copy.compiled == {} and compile_gradient(copy)(2.0, 3.0) == (7.0, (3.0, 2.0))


def test_contexts_are_reused_at_their_precision_and_never_changed():
    m = private_context(mpmath, 77)
    assert private_context(mpmath, 77) is m and m.dps == 77
    assert private_context(mpmath, 78) is not m
    first = reference(parse("sin(x)*z"), {"x": 0.5, "z": 2.0})
    second = reference(parse("sin(x)*z"), {"x": 0.5, "z": 2.0})
    assert first.as_json() == second.as_json()
    assert first.context.dps == second.context.dps


def test_a_points_float_values_are_walked_once_and_handed_out_as_copies(monkeypatch):
    graph = parse("sin(x*z) + log(x)")
    first = evaluation.evaluate(graph, {"x": 2.0, "z": 3.0})
    walks = []
    for module in (evaluation, codegen):
        monkeypatch.setattr(module, "forward", lambda *args, **kw: walks.append(1) or [])
    first[-1] = "changed by a caller"
    again = evaluation.evaluate(graph, {"x": 2.0, "z": 3.0})
    assert again[-1] == math.sin(6.0) + math.log(2.0) and again is not first
    # reverse mode's walk of the same lines at the same doubles reads them: z cos(xz) + 1/x, x cos(xz)
    assert gradient_at(graph, [2.0, 3.0]) == [math.cos(6.0) * 3.0 + 1.0 / 2.0, math.cos(6.0) * 2.0]
    assert function_at(graph, [graph.output], [2.0, 3.0]) == (again[-1],)
    assert walks == []


def test_another_point_graph_or_output_is_walked_again():
    graph = parse("x*z + log(x)")
    evaluation.evaluate(graph, {"x": 2.0, "z": 3.0})
    assert evaluation.evaluated(graph, graph.output, [2.0, 3.0]) is not None
    assert evaluation.evaluated(graph, graph.output, [2.0, 3.5]) is None
    assert evaluation.evaluated(graph, 2, [2.0, 3.0]) is None  # x*z alone
    assert evaluation.evaluated(parse("x*z + log(x)"), graph.output, [2.0, 3.0]) is None
    assert evaluation.evaluate(graph, {"x": 2.0, "z": 3.5})[-1] == 7.0 + math.log(2.0)
    zero = parse("x*z")  # 0.0 and -0.0 are different points: x*z is -0.0 at x = -0.0
    assert str(evaluation.evaluate(zero, {"x": 0.0, "z": 1.0})[-1]) == "0.0"
    assert str(evaluation.evaluate(zero, {"x": -0.0, "z": 1.0})[-1]) == "-0.0"


def test_a_point_where_f_fails_is_not_kept():
    graph = parse("log(x) + z")
    evaluation.evaluate(graph, {"x": 2.0, "z": 1.0})
    try:
        evaluation.evaluate(graph, {"x": -1.0, "z": 1.0})
    except DomainError:
        pass
    assert evaluation.evaluated(graph, graph.output, [-1.0, 1.0]) is None
    assert gradient_at(graph, [-1.0, 1.0]) is None  # log(-1) fails here: compiled and run instead
