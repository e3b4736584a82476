"""Property-based tests over random expressions built from the whole primitive table.

Profiles: the default ("ci") runs a few hundred examples; ``pytest --hypothesis-profile=long`` runs deeper.
"""

import math

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from diffcli.api import compare
from diffcli.core.chain import adjoints
from diffcli.core.errors import DiffcliError
from diffcli.core.evaluate import evaluate
from diffcli.core.graph import CONST, VAR
from diffcli.core.parse import parse
from diffcli.core.primitives import FUNCTIONS, PRIMITIVES

EPS = 2.0 ** -52
UNARY = sorted({p.name for p in FUNCTIONS.values() if p.arity == 1})
BINARY_FUNCTIONS = sorted({p.name for p in FUNCTIONS.values() if p.arity == 2})
OPERATORS = ["+", "-", "*", "/", "**"]

leaves = st.sampled_from(["x", "y", "x", "y", "0.5", "1.5", "2", "3"])


def _combine(children):
    unary = st.tuples(st.sampled_from(UNARY), children).map(lambda t: f"{t[0]}({t[1]})")
    operator = st.tuples(children, st.sampled_from(OPERATORS), children).map(
        lambda t: f"({t[0]}) {t[1]} ({t[2]})")
    binary = st.tuples(st.sampled_from(BINARY_FUNCTIONS), children, children).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]})")
    negation = children.map(lambda t: f"-({t})")
    return st.one_of(unary, operator, binary, negation)


expressions = st.recursive(leaves, _combine, max_leaves=8)
coordinates = st.sampled_from([-1.7, -0.6, 0.3, 0.8, 1.3, 2.2])


def _graph_or_skip(text):
    try:
        return parse(text)
    except DiffcliError:
        assume(False)


def _absolute_gradient(graph, values):
    """Σ over chain-rule paths of |products of partials|: how large the terms summed into each partial are,
    the condition estimate of the backward pass."""
    from diffcli.core.algebra import FloatAlgebra

    class Absolute(FloatAlgebra):
        def times(self, adjoint, partial):
            return abs(adjoint) * abs(partial)

    adjoint = adjoints(graph, values, Absolute())
    return [adjoint.get(v, 0.0) for v in graph.variables]


def _gradient(graph, values):
    from diffcli.core.algebra import FloatAlgebra

    adjoint = adjoints(graph, values, FloatAlgebra())
    return [adjoint.get(v, 0.0) for v in graph.variables]


def _forward_sensitivity(graph, values):
    """Σ over nodes of |change of the gradient| when that node's value is off by one rounding (eps·|v|) and
    everything after it is recomputed: the condition estimate of the forward pass (cos(18.86) near a zero
    of sin, say, where the argument's own rounding dominates)."""
    base = _gradient(graph, values)
    total = [0.0] * len(base)
    for node, op in enumerate(graph.ops):
        if op in (CONST, VAR) or values[node] is None or values[node] == 0:
            continue
        moved = list(values)
        moved[node] = values[node] * (1 + EPS)
        for later in range(node + 1, len(moved)):
            if graph.ops[later] not in (CONST, VAR) and moved[later] is not None:
                moved[later] = PRIMITIVES[graph.ops[later]].real(*[moved[a] for a in graph.arguments[later]])
        total = [t + abs(g - b) for t, g, b in zip(total, _gradient(graph, moved), base)]
    return total


def _around(name: str, inner: str, other: str) -> str:
    """An expression whose outermost operation is the primitive ``name`` applied to generated arguments."""
    primitive = PRIMITIVES[name]
    if primitive.symbol and primitive.arity == 2:
        return f"({inner}) {primitive.symbol} ({other})"
    if primitive.symbol:
        return f"-({inner})"
    return f"{name}({inner})" if primitive.arity == 1 else f"{name}({inner}, {other})"


PER_PRIMITIVE = max(10, settings.default.max_examples // 6)


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
@settings(max_examples=PER_PRIMITIVE)
@given(inner=expressions, other=expressions, x=coordinates, y=coordinates)
def test_methods_agree_with_the_reference(name, inner, other, x, y):
    """Every primitive, applied to random sub-expressions: symbolic, reverse and dual against the reference,
    within a condition estimate: 4× the forward pass's rounding sensitivity plus 16·nodes·eps times the sum
    of the magnitudes of the chain-rule terms."""
    text = _around(name, inner, other)
    graph = _graph_or_skip(text)
    assume(graph.variables)
    point = {n: {"x": x, "y": y}[n] for n in graph.variable_names}
    try:
        values = evaluate(graph, point)
    except DiffcliError:
        assume(False)
    for node, op in enumerate(graph.ops):  # not at a kink, and no value so large that rounding dominates
        if op in (CONST, VAR) or values[node] is None:
            continue
        assume(abs(values[node]) < 1e8)
        primitive = PRIMITIVES[op]
        args = [values[a] for a in graph.arguments[node]]
        # at a kink methods and reference differ by design
        assume(not (primitive.kink and primitive.kink(*args)))
    try:
        scale = _absolute_gradient(graph, values)
        forward = _forward_sensitivity(graph, values)
    except (ValueError, ZeroDivisionError, OverflowError):
        assume(False)
    assume(all(math.isfinite(s) and s < 1e8 for s in scale + forward))
    record = compare(graph, point, methods=["symbolic", "reverse", "dual"], timing=False, digits=30)
    assume("gradient" in record["reference"] and record["reference"]["gradient"])
    nodes = len(graph)
    for row in record["methods"]:
        assert row["error"] is None, (text, point, row)
        for k, name in enumerate(graph.variable_names):
            truth = float(record["reference"]["gradient"][name])
            tolerance = 4 * forward[k] + 16 * nodes * EPS * (scale[k] + abs(truth)) + 1e-300
            assert abs(row["gradient"][name] - truth) <= tolerance, (text, point, row["method"], name,
                                                                      row["gradient"][name], truth, tolerance)


@given(expressions)
def test_diff_text_parses_back_to_the_same_values(text):
    from diffcli.api import derivative
    from diffcli.core.chain import symbolic_gradient
    from diffcli.core.codegen import compile_function

    graph = _graph_or_skip(text)
    assume(graph.variables)
    derived = graph.copy()
    try:
        outputs = symbolic_gradient(derived)
    except DiffcliError:  # e.g. (-0.5)**x: the rule needs log(-0.5), so there is no derivative to print
        assume(False)
    point = {n: {"x": 0.8, "y": 1.3}[n] for n in graph.variable_names}
    try:
        expected = compile_function(derived, outputs)(*point.values())
    except (ValueError, ZeroDivisionError, OverflowError):
        assume(False)
    for name, value in zip(graph.variable_names, expected):
        printed = derivative(text, name)["derivative"]
        reparsed = parse(printed)
        got = evaluate(reparsed, {n: point[n] for n in reparsed.variable_names})[reparsed.output] \
            if reparsed.variables else reparsed.value(reparsed.output)
        assert got == value or (math.isnan(got) and math.isnan(value)), (text, name, printed)


@given(st.text(max_size=200))
def test_parser_on_any_text_raises_only_its_own_errors(text):
    try:
        parse(text)
    except DiffcliError:
        pass


@given(st.binary(max_size=200))
def test_parser_on_any_bytes_raises_only_its_own_errors(data):
    try:
        parse(data.decode("utf-8", "surrogateescape"))
    except DiffcliError:
        pass


@given(st.text(alphabet="x()+-*/^.,0123456789e ", max_size=60))
def test_parser_on_expression_like_noise(text):
    try:
        parse(text)
    except DiffcliError:
        pass


@pytest.mark.parametrize("profile, examples", [("ci", 150), ("long", 3000)])
def test_profiles_exist(profile, examples):
    """conftest.py registers the two profiles the module docstring names, without deadlines (a reference
    computation may take a while), "long" far deeper than "ci"."""
    chosen = settings.get_profile(profile)
    assert chosen.max_examples == examples and chosen.deadline is None


@settings(max_examples=max(20, settings.default.max_examples // 2))
@given(inner=expressions, other=expressions, operator=st.sampled_from(sorted(PRIMITIVES)))
# adjoints shared by an add's arguments
@example(inner="sin((x) + (y)) * 2", other="(x) * (y)", operator="add")
# a constant partial 1/0: inf on arrays, not a raise
@example(inner="x", other="(0.5) - (0.5)", operator="div")
def test_batched_gradient_equals_single_points(inner, other, operator):
    """Compiled reverse mode on numpy arrays gives, point by point, what it gives on floats (within the
    rounding differences of numpy's and libm's functions, amplified at most by the condition estimate)."""
    import numpy as np

    from diffcli.core.codegen import compile_gradient

    graph = _graph_or_skip(_around(operator, inner, other))
    assume(graph.variables)
    xs = [0.3, 0.8, 1.3, 2.2, -0.6]
    ys = [1.3, -1.7, 0.8, 0.3, 2.2]
    batched = compile_gradient(graph, kind="array")
    single = compile_gradient(graph)
    columns = [np.array(xs if n == "x" else ys) for n in graph.variable_names]
    with np.errstate(all="ignore"):
        _, gradient = batched(*columns)
    for i in range(len(xs)):
        point = {n: (xs if n == "x" else ys)[i] for n in graph.variable_names}
        try:
            values = evaluate(graph, point)
            _, expected = single(*point.values())
            scale, forward = _absolute_gradient(graph, values), _forward_sensitivity(graph, values)
        except (DiffcliError, ValueError, ZeroDivisionError, OverflowError):
            continue
        for k, g in enumerate(gradient):
            got = float(np.broadcast_to(g, (len(xs),))[i])
            if not (math.isfinite(expected[k]) and math.isfinite(scale[k]) and math.isfinite(forward[k])):
                continue
            tolerance = 4 * forward[k] + 16 * len(graph) * EPS * (scale[k] + abs(expected[k])) + 1e-300
            assert abs(got - expected[k]) <= tolerance, (str(graph.source), point, k, got, expected[k])
