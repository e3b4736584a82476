"""What is built once and shared: f's compiled forms per graph, mpmath contexts per precision."""

import pickle

import mpmath

from diffcli.core.codegen import compile_function, compile_gradient, compile_tangent
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
