"""Fixed cases of the core modules: each pins one behaviour at its boundary with a value known from outside
the code (a literal message, a count done by hand in a comment, a closed form, Python's own arithmetic).

The mutation run (tools/mutate.py) runs this file first against the mutants of printing, splitter, parse,
whitelist, graph, chain, derivation, errors, bounds, choices, evaluate, codegen, fragments, statements,
memory and lazy, so it stays fast (a few seconds for the whole file).
"""

import math

import pytest

from diffcli.core.bounds import SEED, Bound, expression, flag, names, point, real, text, whole
from diffcli.core.choices import choose, did_you_mean
from diffcli.core.errors import DiffcliError, ParseError, UsageError, cut
from diffcli.core.lazy import LazyNumpy

# ---------------------------------------------------------------- bounds


def _usage(call, *args, **kwargs) -> str:
    with pytest.raises(UsageError) as error:
        call(*args, **kwargs)
    return str(error.value)


def test_a_bound_holds_at_both_ends_and_not_past_them():
    bound = Bound(2, 5, "why")
    assert bound.check(2, "n") == 2 and bound.check(5, "n") == 5
    assert _usage(bound.check, 1, "n") == "n must be a whole number of at least 2 and at most 5 (why), not 1"
    assert _usage(bound.check, 6, "n") == "n must be a whole number of at least 2 and at most 5 (why), not 6"


def test_a_bound_with_its_high_end_excluded():
    bound = Bound(0.5, 2.0, "why", whole=False, below=True)
    assert bound.check(0.5, "h") == 0.5 and bound.check(1.9375, "h") == 1.9375
    assert _usage(bound.check, 2.0, "h") == "h must be a number of at least 0.5 and below 2 (why), not 2"
    assert _usage(bound.check, 0.25, "h") == "h must be a number of at least 0.5 and below 2 (why), not 0.25"
    assert isinstance(bound.check(1, "h"), float)


def test_the_seed_bound_is_numpys_32_bits():
    assert SEED.check(0, "seed") == 0 and SEED.check(4294967295, "seed") == 4294967295  # 2**32 - 1
    assert _usage(SEED.check, 4294967296, "seed").endswith("not 4,294,967,296")
    assert _usage(SEED.check, -1, "seed").startswith("seed must be a whole number of at least 0 and at most "
                                                     "4,294,967,295 (")


def test_huge_whole_numbers_are_shown_by_their_digit_count():
    bound = Bound(0, 10, "why")
    assert _usage(bound.check, 10**18 - 1, "n").endswith("not 999,999,999,999,999,999")
    assert _usage(bound.check, 10**18, "n").endswith("not a number of 19 digits")
    assert _usage(bound.check, -(10**20), "n").endswith("not a number of 21 digits")  # the sign is no digit
    assert _usage(bound.check, 1000, "n").endswith("not 1,000")


def test_whole_and_real_refuse_what_is_not_their_kind():
    assert whole(7, "n") == 7
    assert _usage(whole, True, "n") == "n must be a whole number, not True (bool)"
    assert _usage(whole, 2.0, "n") == "n must be a whole number, not 2.0 (float)"
    assert real(3, "x") == 3.0 and type(real(3, "x")) is float
    assert _usage(real, False, "x") == "x must be a real number, not False (bool)"
    assert _usage(real, 1j, "x") == "x must be a real number, not 1j (complex)"
    assert _usage(real, 10**400, "x") == "x is too large for a float (401 digits)"
    assert _usage(real, math.inf, "x") == "x must be a finite number, not inf"
    assert real(-1e300, "x") == -1e300


def test_flags_text_and_expressions():
    assert flag(False, "f") is False and flag(True, "f") is True
    assert _usage(flag, 1, "f") == "f must be True or False, not 1 (int)"
    assert text("x", "e") == "x" and text(" ", "e", empty=True) == " "
    assert _usage(text, " ", "e") == "e must be a non-empty string, not ' ' (str)"
    assert _usage(text, 3, "e", empty=True) == "e must be a string, not 3 (int)"
    assert expression("x + 1") == "x + 1"
    from diffcli.core.parse import parse

    graph = parse("x")
    assert expression(graph) is graph


def test_names_from_text_or_a_list():
    assert names(" x, z ", "wrt") == ["x", "z"] and names(("y",), "wrt") == ["y"]
    message = "wrt must be a variable name or a comma-separated list of names (or a list of them), not "
    assert _usage(names, [], "wrt") == message + "[] (list)"
    assert _usage(names, {"x": 1}, "wrt") == message + "{'x': 1} (dict)"
    assert _usage(names, ["x", 2], "wrt") == message + "['x', 2] (list)"
    assert _usage(names, "x,1y", "wrt") == message + "['x', '1y'] (list)"


def test_a_point_is_a_dict_of_names_to_floats():
    checked = point({"x": 2, "y": 0.5})
    assert checked == {"x": 2.0, "y": 0.5} and type(checked["x"]) is float
    assert _usage(point, [("x", 1.0)]) == "point must be a dict of variable names to numbers, not " \
                                          "[('x', 1.0)] (list)"
    assert _usage(point, {1: 2.0}) == "point must have variable names as keys, not 1 (int)"
    assert _usage(point, {"x": True}) == "point['x'] must be a real number, not True (bool)"
    assert _usage(point, {"x": "2"}) == "point['x'] must be a real number, not '2' (str)"
    assert _usage(point, {"x": 10**400}) == "point['x'] is too large for a float"


def test_a_long_value_is_cut_to_forty_characters_in_a_message():
    forty = "a" * 38  # repr adds two quotes: 40 characters, shown whole
    assert _usage(flag, forty, "f") == f"f must be True or False, not '{forty}' (str)"
    longer = "a" * 39  # 41 characters: the first 37, then "..."
    assert _usage(flag, longer, "f") == f"f must be True or False, not '{'a' * 36}... (str)"


# ---------------------------------------------------------------- choices


def test_choose_reads_a_list_or_text_in_the_order_given():
    assert choose(None, ["a", "b"]) == ["a", "b"]
    assert choose(None, ["a", "b"], default=["b"]) == ["b"]
    assert choose("b, a,b", ["a", "b", "c"]) == ["b", "a"]
    assert choose(["c"], ("a", "b", "c")) == ["c"]


def test_choose_refuses_with_the_choices_and_a_near_miss():
    available = ["reverse", "symbolic"]
    assert _usage(choose, "revers", available) == \
        "unknown method 'revers' (did you mean 'reverse'?); choose from reverse, symbolic"
    assert _usage(choose, "zz,revers", available) == "unknown method 'zz'; choose from reverse, symbolic"
    assert _usage(choose, ["revers", "zz"], available) == \
        "unknown method 'revers' (did you mean 'reverse'?); choose from reverse, symbolic"
    assert _usage(choose, " , ", available, what="format") == "no format given; choose from reverse, symbolic"
    assert _usage(choose, 5, available) == "methods must be a comma-separated string or a list of ids, not 5"
    assert _usage(choose, ["reverse", 5], available) == \
        "methods must be a comma-separated string or a list of ids, not ['reverse', 5]"


def test_choose_gives_the_reason_an_id_is_not_available_instead_of_a_near_miss():
    def why(method):
        return f" ({method} needs numpy)"

    available = ["reverse", "symbolic"]
    assert _usage(choose, ["revers", "zz"], available, why=why) == \
        "unknown method 'revers' (revers needs numpy); choose from reverse, symbolic"
    assert _usage(choose, "revers", available, why=lambda method: "") == \
        "unknown method 'revers' (did you mean 'reverse'?); choose from reverse, symbolic"
    assert _usage(choose, "", available, why=why) == "no method given; choose from reverse, symbolic"
    assert _usage(choose, "zz", available, unknown_message="no {what} called {id}") == \
        "no method called zz; choose from reverse, symbolic"


def test_did_you_mean():
    assert did_you_mean("symbolc", ["reverse", "symbolic"]) == " (did you mean 'symbolic'?)"
    assert did_you_mean("zzz", ["reverse"]) == ""


# ---------------------------------------------------------------- lazy numpy


def test_lazy_numpy_imports_on_first_use():
    import numpy

    namespace = {"np": None}
    lazy = LazyNumpy(namespace)
    assert lazy.pi == numpy.pi and namespace["np"] is numpy
    functions = LazyNumpy()
    hypot = functions.hypot
    assert hypot(3.0, 4.0) == 5.0 and hypot(5.0, 12.0) == 13.0
    assert functions.hypot is hypot and hypot.__name__ == "numpy.hypot"
    assert LazyNumpy().sqrt(6.25) == 2.5
    with pytest.raises(AttributeError):
        functions.__wrapped__  # noqa: B018


# ---------------------------------------------------------------- errors


def test_an_error_names_its_line_only_in_a_text_of_several_lines():
    assert str(DiffcliError("bad", column=3, text="x +\n", line=1)) == "column 3: bad"
    assert str(DiffcliError("bad", column=3, text="x\n+ y", line=2)) == "line 2, column 3: bad"
    assert str(DiffcliError("bad", column=3, text="x\n+ y")) == "column 3: bad"
    assert str(DiffcliError("bad", column=3)) == "column 3: bad"
    assert str(DiffcliError("bad", text="x\n+ y", line=2)) == "bad"
    error = ParseError.at("oops", "a\nbc", (2, 1))
    assert (error.line, error.column, error.text, error.message) == (2, 1, "a\nbc", "oops")


def test_the_caret_stands_under_its_column_on_its_line():
    assert DiffcliError("e", column=2, text="ab\ncd\nef", line=2).caret() == ["  cd", "   ^"]
    assert DiffcliError("e", column=1, text="ab\ncd\nef").caret() == ["  ab", "  ^"]  # no line: the first
    assert DiffcliError("e", column=1, text="ab\ncd\nef", line=3).caret() == ["  ef", "  ^"]
    assert DiffcliError("e", column=2, text="ab\ncd\nef", line=5).caret() == ["  ef", "   ^"]  # past the end
    assert DiffcliError("e", text="ab").caret() == [] and DiffcliError("e", column=1).caret() == []


def test_the_caret_window_of_a_long_line_at_its_boundary():
    digits = "0123456789" * 30
    line = digits[:200]  # exactly 200 characters: shown whole
    assert DiffcliError("e", column=150, text=line).caret() == ["  " + line, "  " + " " * 149 + "^"]
    longer = digits[:201]  # 201: a window of 200 starting 100 before the column
    shown, caret = DiffcliError("e", column=150, text=longer).caret()
    assert shown == "  " + longer[50:201] and caret == "  " + " " * 99 + "^"
    shown, caret = DiffcliError("e", column=30, text=digits).caret()  # near the start: from the start
    assert shown == "  " + digits[:200] and caret == "  " + " " * 29 + "^"
    shown, caret = DiffcliError("e", column=101, text=digits).caret()  # starts at the line's 2nd character
    assert shown == "  " + digits[1:201] and caret == "  " + " " * 99 + "^"


def test_cut_keeps_text_of_its_width_and_ends_longer_text_with_an_ellipsis():
    assert cut("abcdef", 6) == "abcdef"
    assert cut("abcdefg", 6) == "abcde…"
    assert len(cut("x" * 100, 41)) == 41


# ---------------------------------------------------------------- graph


def test_graph_nodes_are_hash_consed_in_topological_order():
    from diffcli.core.graph import Graph

    g = Graph()
    x, again, y = g.var("x"), g.var("x"), g.var("y")
    assert (x, again, y) == (0, 0, 1) and g.variables == [0, 1] and g.variable_names == ["x", "y"]
    product = g.apply("mul", (x, y))
    assert g.apply("mul", (x, y)) == product == 2 and len(g) == 3
    assert (g.op(product), g.args(product), g.primitive(product).name) == ("mul", (0, 1), "mul")
    two = g.const(2.0)
    assert g.const(2) == two and g.value(two) == 2.0 and len(g) == 4
    assert g.is_const(two) and g.is_const(two, 2.0) and not g.is_const(two, 3.0) and not g.is_const(x)
    assert not g.is_const(x, None) and g.labels == {0: "x", 1: "y"}


def test_constants_fold_and_identities_apply_only_when_asked():
    from diffcli.core.errors import DomainError
    from diffcli.core.graph import Graph

    g = Graph()
    x = g.var("x")
    total = g.apply("add", (g.const(1.5), g.const(2.25)))
    assert g.ops[total] == "const" and g.value(total) == 3.75
    assert g.value(g.apply("log", (g.const(1.0),))) == 0.0
    one = g.const(1.0)
    kept = g.apply("mul", (x, one))
    assert g.ops[kept] == "mul" and g.args(kept) == (x, one)
    assert g.apply("mul", (x, one), simplify=True) == x
    sine = g.apply("sin", (x,), simplify=True)  # sin has no identities
    assert g.ops[sine] == "sin"
    with pytest.raises(DomainError, match="the constant inf is not a finite double"):
        g.const(math.inf)
    with pytest.raises(DomainError):
        g.apply("log", (g.const(-1.0),))


def test_the_node_limit_holds_at_its_boundary():
    from diffcli.core.errors import LimitError
    from diffcli.core.graph import MAX_NODES, Graph

    assert MAX_NODES == 200_000
    g = Graph()
    for k in range(200_000):  # exactly the limit: accepted
        g.const(float(k))
    assert len(g) == 200_000 and g.const(5.0) == 5  # an existing node costs nothing
    with pytest.raises(LimitError, match=r"^the expression needs more than 200,000 graph nodes \(MAX_NODES"):
        g.const(-1.0)


def test_reachable_and_depends_on_variables():
    from diffcli.core.graph import Graph

    g = Graph()
    x = g.var("x")                         # 0
    s = g.apply("sin", (x,))               # 1
    c = g.const(2.0)                       # 2
    y = g.var("y")                         # 3
    m = g.apply("mul", (s, c))             # 4
    n = g.apply("mul", (y, y))             # 5
    assert g.reachable([m]) == [True, True, True, False, True, False]
    assert g.reachable([m]) == [True, True, True, False, True, False]  # again, from the remembered walk
    assert g.reachable([n]) == [False, False, False, True, False, True]
    assert g.reachable([s, y]) == [True, True, False, True, False, False]
    assert g.reachable([c, n]) == [False, False, True, True, False, True]
    walk = g.reachable([s])
    walk[0] = False  # a copy: the remembered walk is not changed
    assert g.reachable([s]) == [True, True, False, False, False, False]
    assert g.depends_on_variables() == [True, True, False, True, True, True]
    assert g.depends_on_variables() == [True, True, False, True, True, True]
    g.apply("add", (c, g.const(1.0)))      # 6 (the 1.0) and 7 (the 3.0 it folds to): constants only
    assert g.depends_on_variables() == [True, True, False, True, True, True, False, False]


def test_a_graph_pickles_without_its_compiled_code_and_copies_independently():
    import pickle

    from diffcli.core.codegen import compile_function
    from diffcli.core.parse import parse

    g = parse("x*y + 1")
    assert compile_function(g)(2.0, 3.0) == (7.0,) and g.compiled
    back = pickle.loads(pickle.dumps(g))
    assert back.compiled == {} and back.ops == g.ops and back.output == g.output and back.source == "x*y + 1"
    copy = g.copy()
    copy.apply("sin", (copy.output,))
    assert len(copy) == len(g) + 1 and copy.variable_names == ["x", "y"] and copy.labels == g.labels
    assert (copy.positions, copy.ends, copy.output) == (g.positions, g.ends, g.output)


# ---------------------------------------------------------------- the chain rule


def _float_adjoints(text, point, output=None):
    from diffcli.core.algebra import FloatAlgebra
    from diffcli.core.chain import adjoints
    from diffcli.core.evaluate import evaluate
    from diffcli.core.parse import parse

    graph = parse(text)
    node = graph.output if output is None else output(graph)
    values = evaluate(graph, point, node)
    found = adjoints(graph, values, FloatAlgebra(), None if output is None else node)
    return graph, found


def test_the_backward_loop_reaches_the_first_nodes():
    # sin(x)*sin(x): x is node 0, sin(x) node 1; d/dx = 2 sin(x) cos(x), summed as sin + sin, times cos.
    graph, found = _float_adjoints("sin(x)*sin(x)", {"x": 0.5})
    assert found[0] == 2 * math.sin(0.5) * math.cos(0.5)
    from diffcli.core.chain import symbolic_gradient
    from diffcli.core.evaluate import evaluate

    (derivative,) = symbolic_gradient(graph)
    assert evaluate(graph, {"x": 0.5}, derivative)[derivative] == math.sin(1.0)  # 2 sin cos, to the bit here


def test_the_backward_loop_from_a_node_other_than_the_output():
    # the output is log(x) + y; asked from the node log(x): d/dx = 1/x, and y gets no adjoint
    graph, found = _float_adjoints("log(x) + y", {"x": 4.0, "y": 1.0},
                                   output=lambda g: g.arguments[g.output][0])
    assert found[graph.variables[0]] == 0.25 and graph.variables[1] not in found


def test_zero_to_a_power_has_no_partial_in_the_exponent():
    # d/dy (0**y + y) = 1: the table says 0**y's partial in y is 0 (its rule, 0**y * log(0), fails)
    graph, found = _float_adjoints("0**y + y", {"y": 2.0})
    assert found[graph.variables[0]] == 1.0
    from diffcli.core.codegen import compile_gradient

    assert compile_gradient(graph)(2.0) == (2.0, (1.0,))  # 0**2 + 2
    assert compile_gradient(graph, value=False)(3.0) == (None, (1.0,))


def test_a_constant_exponent_or_base_other_than_zero_keeps_its_partial():
    # d/dx (x**3 + 2**x) = 3x² + 2**x log 2: at x = 2, 3·2**2 (the rule z·x**(z-1)) + log(2)·4
    graph, found = _float_adjoints("x**3 + 2**x", {"x": 2.0})
    assert found[graph.variables[0]] == 12.0 + math.log(2.0) * 4.0
    from diffcli.core.codegen import compile_tangent

    assert compile_tangent(graph)(2.0, 1.0) == (12.0, 12.0 + math.log(2.0) * 4.0)


def test_a_variable_the_output_does_not_reach_has_the_derivative_zero():
    from diffcli.core.chain import symbolic_gradient
    from diffcli.core.graph import Graph

    g = Graph()
    x = g.var("x")
    g.var("y")
    g.output = g.apply("sin", (x,))
    dx, dy = symbolic_gradient(g)
    assert g.ops[dx] == "cos" and g.args(dx) == (x,)
    assert g.ops[dy] == "const" and g.value(dy) == 0.0


def test_a_rule_that_fails_is_reported_in_the_users_words():
    from diffcli.core.errors import RuleError

    with pytest.raises(RuleError) as error:
        _float_adjoints("1 + sqrt(x)", {"x": 0.0})  # sqrt's rule 0.5/y at y = 0
    assert str(error.value) == "column 5: the partial derivative of sqrt(x) in x is undefined: x = 0.0 " \
                               "(float division by zero)"
    assert (error.value.node, error.value.argument) == (1, 0)  # built children first: x, sqrt(x), 1, the sum


# ---------------------------------------------------------------- derivation (diff --steps)


def _steps(text, wrt="x"):
    from diffcli.core.derivation import derivation
    from diffcli.core.parse import parse

    return [(step["rule"], step["of"], step["result"]) + ((step["name"],) if "name" in step else ())
            for step in derivation(parse(text), wrt)]


def test_each_factor_is_written_bare_only_when_it_is_atomic():
    # The table's partials: of k*u in u, k; of cos(u), -sin(u); of u*v in u, v; of u/v in u, 1/v; of
    # u**3 in u, 3*u**(3-1).  A negative number or an operation is parenthesised before " · ".
    assert _steps("-3*sin(x) + 0.5*cos(x)") == [
        ("sum rule", "-3 * sin(x) + 0.5 * cos(x)", "d/dx[-3 * sin(x)] + d/dx[0.5 * cos(x)]"),
        ("product rule", "-3 * sin(x)", "(-3) · d/dx[sin(x)]"),
        ("chain rule (sin)", "sin(x)", "cos(x)"),
        ("product rule", "0.5 * cos(x)", "0.5 · d/dx[cos(x)]"),
        ("chain rule (cos)", "cos(x)", "-sin(x)")]
    assert _steps("x*sin(x) - exp(y*x)") == [
        ("difference rule", "x * sin(x) - exp(y * x)", "d/dx[x * sin(x)] - d/dx[exp(y * x)]"),
        ("product rule", "x * sin(x)", "sin(x) + x · d/dx[sin(x)]"),
        ("chain rule (sin)", "sin(x)", "cos(x)"),
        ("chain rule (exp)", "exp(y * x)", "exp(y * x) · d/dx[y * x]"),
        ("product rule", "y * x", "y")]
    assert _steps("sin(x)^3 / y") == [
        ("quotient rule", "sin(x)**3 / y", "(1 / y) · d/dx[sin(x)**3]"),
        ("power rule", "sin(x)**3", "(3 * sin(x)**2) · d/dx[sin(x)]"),
        ("chain rule (sin)", "sin(x)", "cos(x)")]


def test_only_the_parts_the_variable_reaches_are_derived():
    # a = sin(x) is not used by the output; y + 1 does not depend on x; a short program names nothing
    assert _steps("a = sin(x); b = x*x; b*(y + 1) + y") == [
        ("sum rule", "x * x * (y + 1) + y", "d/dx[x * x * (y + 1)]"),
        ("product rule", "x * x * (y + 1)", "(y + 1) · d/dx[x * x]"),
        ("product rule", "x * x", "x + x")]
    assert _steps("x + y*y", "y") == [("sum rule", "x + y * y", "d/dy[y * y]"),
                                      ("product rule", "y * y", "y + y")]


def test_a_long_expression_is_derived_with_names():
    from diffcli.core.derivation import definitions, derivation, naming
    from diffcli.core.parse import parse

    # 300 terms in y (about 3,300 characters: past INLINE_LIMIT), which x does not reach, and x*x named a
    long = " + ".join(f"{1 + k / 10_000}*y" for k in range(1, 301))
    graph = parse(f"a = x*x; b = ({long}) + a; b*b")
    names = naming(graph)
    steps = derivation(graph, "x")
    assert [(s["rule"], s["result"], s.get("name")) for s in steps] == [
        ("product rule", "b · d/dx[b] + b · d/dx[b]", None), ("sum rule", "d/dx[a]", "b"),
        ("product rule", "x + x", "a")]
    assert steps[0]["of"] == "b * b" and steps[1]["of"].endswith(" + a") and steps[2]["of"] == "x * x"
    parts = [n for n in sorted(names) if names[n] not in ("a", "b")]
    assert [names[n] for n in parts] == [f"t{k}" for k in range(1, len(parts) + 1)] and len(parts) >= 2
    assert steps[1]["of"].startswith(f"t{len(parts)} + ")
    written = definitions(graph, names, steps)
    assert [line.split(" = ", 1)[0] for line in written] == [f"t{k}" for k in range(1, len(parts) + 1)]
    assert written[0].startswith("t1 = 1.0001 * y + 1.0002 * y") and written[1].startswith("t2 = t1 + ")
    assert naming(parse("a = x*x; b = a + 1; b*b")) == {}  # short: no names, not even the program's


# ---------------------------------------------------------------- source fragments (compiled gradients)


def test_literals_and_constants_of_source():
    from diffcli.core.fragments import constant, literal

    assert (literal(2.0), literal(-2.0), literal(3)) == ("2.0", "(-2.0)", "3.0")
    half = constant(-0.5)
    assert half == "(-0.5)" and half.value == -0.5


def test_fragment_arithmetic_simplifies_as_documented():
    from diffcli.core.fragments import Code, CodeAlgebra, constant

    a, b = Code("a"), Code("b")
    # constants fold; a failing or overflowing constant is the primitive's call, failing when it runs
    assert constant(2.0) - constant(0.5) == 1.5 and type(constant(2.0) - constant(0.5)) is float
    assert constant(1.0) / constant(0.0) == "div(1.0, 0.0)"
    functions = CodeAlgebra().functions
    assert functions.log(constant(-0.5)) == "log((-0.5))" and functions.log(constant(1.0)) == 0.0
    assert functions.sin(a) == "sin(a)"
    # a * 1.0, 1.0 * a, a / 1.0 and a ** 1.0 are a; the rest is written out, fully parenthesised
    assert (a * 1.0, 1.0 * a, a / 1.0, a ** 1.0) == ("a", "a", "a", "a")
    assert (a * 2.0, 2.0 / a, 1.0 - a, 1.0 + a, a + constant(1.0)) == \
        ("(a * 2.0)", "(2.0 / a)", "(1.0 - a)", "(1.0 + a)", "(a + 1.0)")
    # a known exponent is the power rule's constant form, where x**0.0 is 1 at x = 0
    assert (a ** 2.0, 2.0 ** a, a - b) == ("pow_constant(a, 2.0)", "pow(2.0, a)", "(a - b)")
    # a * (1.0 / b) is a / b, on either side
    reciprocal = 1.0 / b
    assert reciprocal == "(1.0 / b)" and reciprocal.reciprocal == "b"
    assert (a * reciprocal, reciprocal * a) == ("(a / b)", "(a / b)")
    # a negation is carried outwards, and two cancel
    negative = -a
    assert negative == "(-a)" and negative.negand == "a" and -negative == "a" and -constant(2.0) == -2.0
    product = negative * b
    assert product == "(-(a * b))" and product.negand == "(a * b)"
    assert (negative * -b, b / negative) == ("(a * b)", "(-(b / a))")


def test_fragments_reuse_the_values_f_computed():
    from diffcli.core.fragments import Code

    known = {"(a * b)": "v3", "(-a)": "v5", "(1.0 / b)": "v4"}
    a, b = Code("a"), Code("b")
    a.known = b.known = known
    assert a * b == "v3" and (a * b).known is known
    assert Code("c") * 2.0 == "(c * 2.0)" and (a * 2.0).known is known
    assert -a == "v5" and (-a).negand is None  # a name: another variable's value, not a negation to undo
    inverse = 1.0 / b
    assert inverse == "v4" and inverse.reciprocal is None and Code("c") * inverse == "(c * v4)"


def test_a_sum_of_terms_subtracts_the_negated_ones():
    from diffcli.core.fragments import Code, total

    assert total([]) == "0.0" and total([2.0]) == "2.0"
    assert total([Code("a"), -Code("b"), Code("c")]) == "a - b + c"


def test_the_adjoint_algebra_on_source_lines():
    from diffcli.core.fragments import Code, CodeAlgebra, constant

    algebra = CodeAlgebra()
    a, b = Code("a"), Code("b")
    # times: a zero partial is 0.0, a partial of -1 (or an adjoint of -1) negates the other
    assert algebra.times(a, 0.0) == 0.0 and algebra.times(a, constant(0.0)) == 0.0
    assert algebra.times(a, -1.0) == "(-a)" and algebra.times(-1.0, Code("(p * q)")) == "(-(p * q))"
    assert algebra.times(a, b) == "(a * b)" and algebra.times(1.0, b) == "b"
    # first: a number or a name writes no line; an expression gets its own line g<node>, sign kept apart
    assert algebra.first(2.0, 3) == 2.0 and algebra.first(a, 4) == "a" and algebra.lines == []
    assert algebra.first(Code("(p * q)"), 5) == "g5"
    negative = algebra.first(-Code("(p * q)"), 6)
    assert negative == "(-g6)" and negative.negand == "g6"
    assert algebra.lines == ["g5 = (p * q)", "g6 = (p * q)"]
    # plus: numbers fold; into a line the adjoint owns, in place, the operator given by the two signs
    assert algebra.plus(1.0, 2.0, 7) == 3.0
    steps = [(Code("g5"), Code("(r)"), 5, "g5", "g5 += (r)"),
             (Code("g5"), -Code("(r)"), 5, "g5", "g5 -= (r)"),
             (negative, Code("(u)"), 6, "(-g6)", "g6 -= (u)"),
             (negative, -Code("(u)"), 6, "(-g6)", "g6 += (u)"),
             # a name the adjoint does not own (it may share its array): a new line, never in place
             (Code("g9"), Code("(w)"), 8, "g8", "g8 = g9 + (w)"),
             (-Code("g9"), -Code("(w)"), 10, "(-g10)", "g10 = g9 + (w)"),
             (-Code("g9"), Code("(w)"), 11, "g11", "g11 = (w) - g9"),
             (Code("g9"), -Code("(w)"), 12, "g12", "g12 = g9 - (w)"),
             (Code("g9"), 2.0, 13, "g13", "g13 = g9 + 2.0"),
             (Code("g14"), Code("(w)"), 14, "g14", "g14 = g14 + (w)")]  # its name, but no line of its own
    for total, term, node, result, line in steps:
        assert (algebra.plus(total, term, node), algebra.lines[-1]) == (result, line)
    assert algebra.plus(Code("g8"), Code("(z)"), 8) == "g8" and algebra.lines[-1] == "g8 += (z)"  # owned now


def test_an_adjoint_read_once_writes_no_line_of_its_own():
    from diffcli.core.fragments import Code, CodeAlgebra
    from diffcli.core.parse import parse

    graph = parse("x*y + sin(x)")  # x*y reads its adjoint for two arguments, sin(x) for one
    algebra = CodeAlgebra(graph)
    product, sine = graph.ops.index("mul"), graph.ops.index("sin")
    assert algebra.first(Code("(p * q)"), sine) == "(p * q)" and algebra.lines == []
    assert algebra.first(Code("(p * q)"), product) == f"g{product}"
    assert algebra.lines == [f"g{product} = (p * q)"]


def test_compiled_gradients_on_arrays_add_every_term_once():
    import numpy as np

    from diffcli.core.codegen import compile_gradient, compile_tangent
    from diffcli.core.parse import parse

    # d/dx = 3 + 2x, d/dy = 3 - 3y²: x + y passes one adjoint to both, which then get terms of their own
    graph = parse("(x + y)*3 + x*x - y*y*y")
    x, y = np.array([0.5, 2.0, -4.0]), np.array([1.5, -1.0, 0.25])
    value, (dx, dy) = compile_gradient(graph, "array")(x, y)
    assert value.tolist() == ((x + y) * 3 + x * x - y * y * y).tolist()
    assert dx.tolist() == [4.0, 7.0, -5.0] and dy.tolist() == [3 - 6.75, 0.0, 3 - 0.1875]
    assert compile_tangent(graph)(0.5, 1.5, 1.0, 0.0) == (compile_gradient(graph)(0.5, 1.5)[0], 4.0)


# ---------------------------------------------------------------- generated code: codegen, statements, memory


def test_compiled_functions_and_gradients():
    from diffcli.core.codegen import compile_function, compile_gradient, compile_tangent
    from diffcli.core.parse import parse

    graph = parse("a = x*y; a + sin(x)")
    inner = next(n for n, name in graph.labels.items() if name == "a")
    assert compile_function(graph, [inner, graph.output])(2.0, 3.0) == (6.0, 6.0 + math.sin(2.0))
    assert compile_gradient(parse("x*x"))(3.0) == (9.0, (6.0,))  # one variable: a tuple of one
    assert compile_function(parse("-x*y"))(2.0, 3.0) == (-6.0,)  # a negation
    with pytest.raises(ValueError):  # the table's real power, not Python's ** (which would give a complex)
        compile_function(parse("x**y"))(-8.0, 0.5)
    assert compile_gradient(parse("-x*y"))(2.0, 3.0) == (-6.0, (-3.0, -2.0))
    # variables in order of first appearance: y, x; the output does not reach y
    assert compile_gradient(parse("b = y*2; x*x"))(1.0, 3.0) == (9.0, (0.0, 6.0))
    # x**0.0 has the power rule's domain (1 at x = 0, where pow refuses 0**0)
    assert compile_function(parse("x**0.0 + x"))(0.0) == (1.0,)
    assert compile_gradient(parse("x**0.0 + x"))(0.0) == (1.0, (1.0,))
    # without the value, f's own lines the gradient does not read are left out, with their domain errors
    with pytest.raises(ValueError):
        compile_gradient(parse("log(x)"))(-1.0)
    assert compile_gradient(parse("log(x)"), value=False)(-1.0) == (None, (-1.0,))
    assert compile_gradient(parse("x*x"), "complex")(1 + 2j) == (-3 + 4j, (2 + 4j,))
    # forward mode: the tangent along (dx, dy) is the gradient's dot product with it
    tangent = compile_tangent(parse("x*y + sin(x)"))
    assert tangent(2.0, 3.0, 1.0, 0.0) == (6.0 + math.sin(2.0), 3.0 + math.cos(2.0))
    assert tangent(2.0, 3.0, 0.0, 1.0) == (6.0 + math.sin(2.0), 2.0)
    assert compile_tangent(parse("0**y + y"))(2.0, 1.0) == (2.0, 1.0)  # 0**y's partial in y is 0
    assert compile_tangent(parse("a = x*x; 2.5"))(1.0, 1.0) == (2.5, 0.0)  # a constant output


def test_compiled_code_is_shared_until_the_graph_grows():
    from diffcli.core.codegen import compile_function, evaluators
    from diffcli.core.parse import parse

    graph = parse("x + 1")
    first = compile_function(graph)
    assert compile_function(graph) is first
    graph.apply("sin", (graph.output,))
    assert compile_function(graph) is not first and compile_function(graph)(2.0) == (3.0,)
    with pytest.raises(ValueError, match=r"^unknown kind 'quaternion'; choose from \('real', 'array', 'co"):
        evaluators("quaternion")
    assert evaluators("real")["sin"] is math.sin and evaluators("real")["pow_constant"](0.0, 0.0) == 1.0


def test_generated_names_are_reused_as_registers():
    from diffcli.core.statements import reuse_names

    # v1 is never read: its register is free at once; v2's last read is the line binding v3, which
    # may then take its register
    source = "def f(v0):\n    v1 = v0 * 2.0\n    v2 = v0 + 1.0\n    v3 = v2 * v2\n    return (v3,)\n"
    assert reuse_names(source) == \
        "def f(v0):\n    r0 = v0 * 2.0\n    r0 = v0 + 1.0\n    r0 = r0 * r0\n    return (r0,)\n"
    # parameters keep their names; a value read by the return stays live; += reads its target
    source = ("def f(v0, v1):\n    v0 = v0 * 2.0\n    v2 = v0 * v1\n    g2 = v2 + v1\n    g2 += v2\n"
              "    g1 = g2 * v0\n    return v2, (g2, g1)\n")
    assert reuse_names(source) == ("def f(v0, v1):\n    v0 = v0 * 2.0\n    r0 = v0 * v1\n    r1 = r0 + v1\n"
                                   "    r1 += r0\n    r2 = r1 * v0\n    return r0, (r1, r2)\n")


def test_code_for_arrays_and_every_compiled_f_has_its_names_reused_as_registers():
    from diffcli.core.codegen import compile_function, compile_gradient
    from diffcli.core.parse import parse

    graph = parse("sin(x*x) + x")  # v0 is x, a parameter, which keeps its name
    assert compile_function(graph).__code__.co_varnames == ("v0", "r0")  # f: registers on every kind
    assert compile_function(graph, kind="complex").__code__.co_varnames == ("v0", "r0")
    assert compile_gradient(graph, kind="array").__code__.co_varnames[:2] == ("v0", "r0")
    assert compile_gradient(graph).__code__.co_varnames[:2] == ("v0", "v1")  # on floats: not renamed


def test_a_function_of_as_many_statements_as_a_part_holds_is_compiled_whole():
    from diffcli.core.statements import in_parts

    # four statements after the def line (three assignments and the return)
    source = "def f(v0):\n    v1 = v0 * v0\n    v2 = sin(v1)\n    v3 = v2 + v0\n    return (v3,)\n"
    assert in_parts(source, 4) == in_parts(source, 5) == [source]
    parts = in_parts(source, 3)  # one statement more than a part holds: a driver and two parts
    assert len(parts) == 3 and parts[0].startswith("def f(v0):\n") and parts[2].startswith("def f_part1(")


def test_only_the_lines_the_return_reads_are_needed():
    from diffcli.core.statements import needed_lines

    lines = ["v1 = v0 * v0", "v2 = sin(v1)", "g1 = cos(v1)", "g1 += v0", "v3 = exp(v0)", "return None, (g1,)"]
    assert needed_lines(lines) == ["v1 = v0 * v0", "g1 = cos(v1)", "g1 += v0", "return None, (g1,)"]


def test_freed_memory_is_not_kept_elsewhere_than_glibc(monkeypatch):
    """keep_freed_memory says False, a bool as where glibc took the settings, on another platform than
    Linux and on a Linux without glibc (no libc.so.6 to load, as with musl)."""
    import ctypes
    import sys

    from diffcli.core.memory import keep_freed_memory

    monkeypatch.setattr(sys, "platform", "darwin")
    assert keep_freed_memory.__wrapped__() is False

    def no_glibc(name):
        raise OSError(f"{name}: cannot open shared object file")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes, "CDLL", no_glibc)
    assert keep_freed_memory.__wrapped__() is False


def test_glibc_keeps_freed_memory_when_told():
    import sys

    from diffcli.core.memory import keep_freed_memory

    if not sys.platform.startswith("linux"):
        assert keep_freed_memory() is False
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").mallopt  # noqa: B018
    except (OSError, AttributeError):
        pytest.skip("not glibc")
    # glibc accepts both settings (a trim threshold of 256 MiB, an mmap threshold of 32 MiB)
    assert keep_freed_memory.__wrapped__() is True
    libc = ctypes.CDLL("libc.so.6")

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                                          "usmblks", "fsmblks", "uordblks", "fordblks",
                                                          "keepcost")]
    if not hasattr(libc, "mallinfo2"):  # glibc before 2.33
        return
    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], \
        [ctypes.c_void_p]
    # 16 MiB, below the 32 MiB mmap threshold: served from the heap, not by an mmap of its own (glibc's
    # default threshold is 128 kB, raised only as far as the largest block freed so far)
    before = libc.mallinfo2().hblks
    block = libc.malloc(16 << 20)
    during = libc.mallinfo2().hblks
    libc.free(block)
    assert block and during == before


# ---------------------------------------------------------------- forward passes (evaluate)


def test_binding_a_point_names_every_missing_variable():
    from diffcli.core.evaluate import bind
    from diffcli.core.parse import parse

    graph = parse("z*x + y")
    assert bind(graph, {"x": 1.0, "y": 2.0, "z": 3.0, "w": 4.0}) == [3.0, 1.0, 2.0]  # in order of appearance
    assert _usage(bind, graph, {"y": 1.0}) == "no value for variable 'z', 'x'; give it as z=VALUE"


def test_evaluate_values_only_the_nodes_the_output_needs():
    from diffcli.core.evaluate import depends_on, evaluate
    from diffcli.core.parse import parse

    graph = parse("a = sin(y); x*3")  # y's sine is not needed
    values = evaluate(graph, {"x": 2.0, "y": 1.0})
    assert values[graph.output] == 6.0 and values[graph.ops.index("sin")] is None
    sine = graph.ops.index("sin")
    assert evaluate(graph, {"x": 2.0, "y": 1.0}, sine)[sine] == math.sin(1.0)
    assert evaluate(parse("x**0.0"), {"x": 0.0})[-1] == 1.0  # the constant form: 1 at x = 0
    graph = parse("x*y + sin(y)")
    x, y = graph.variables
    assert depends_on(graph, x) == [n == x or graph.ops[n] in ("mul", "add") for n in range(len(graph))]
    assert depends_on(graph, y) == [n != x for n in range(len(graph))]


@pytest.mark.parametrize("text, point, message", [
    ("x + log(y)", {"x": 1.0, "y": -1.0}, "column 5: log(y) is undefined: y = -1.0 (needs y > 0)"),
    ("x**y", {"x": 0.0, "y": 0.0}, "column 1: x**y is undefined: x = 0.0, y = 0.0 (needs x > 0, or x == 0 "
                                   "and y > 0, or x < 0 and y an integer)"),
])
def test_a_domain_error_names_the_function_its_values_and_its_column(text, point, message):
    from diffcli.core.errors import DomainError
    from diffcli.core.evaluate import evaluate
    from diffcli.core.parse import parse

    with pytest.raises(DomainError) as error:
        evaluate(parse(text), point)
    assert str(error.value) == message and error.value.text == text


def test_evaluate_in_mpmath_refuses_what_is_not_a_finite_real():
    import mpmath

    from diffcli.core.errors import DomainError
    from diffcli.core.evaluate import evaluate_mp
    from diffcli.core.parse import parse

    m = mpmath.MPContext()
    m.dps = 30
    assert evaluate_mp(parse("x*x + 1"), {"x": m.mpf(2)}, m) == 5
    assert evaluate_mp(parse("x*x + 1"), {"x": m.mpf(2)}, m, every=True)[-1] == 5
    cases = [("x + 1", {"x": m.inf}, "column 1: x + 1 has no finite real value: x = inf", False),
             ("x + sqrt(y)", {"x": m.mpf(1), "y": m.mpf(-1)}, "column 5: sqrt(y) is undefined: y = -1.0 "
                                                               "(needs y >= 0)", False),
             ("x*x", {"x": 2.0}, "column 1: x*x has no finite real value: x = 2.0", False),  # not an mpf
             ("sqrt(x)", {"x": m.mpc(-1, 1e-20)}, "column 1: sqrt(x) is undefined: x = -1.0 (needs x >= 0)",
              True)]  # the domain is checked on the real part
    for source, at, message, complex_step in cases:
        with pytest.raises(DomainError) as error:
            evaluate_mp(parse(source), at, m, complex_step=complex_step)
        assert str(error.value) == message
    # a complex step: (2 + ih)² = 4 - h² + 4ih
    value = evaluate_mp(parse("x*x"), {"x": m.mpc(2, "1e-20")}, m, complex_step=True)
    assert value.imag == m.mpf("4e-20") and value.real == 4 - m.mpf("1e-40")


def test_evaluate_in_mpmath_keeps_the_values_a_changed_variable_does_not_reach():
    import mpmath

    from diffcli.core.evaluate import depends_on, evaluate_mp
    from diffcli.core.parse import parse

    m = mpmath.MPContext()
    graph = parse("sin(x) + y")
    base = evaluate_mp(graph, {"x": m.mpf(1), "y": m.mpf(2)}, m, every=True)
    _, y = graph.variables
    # only y changed (x's new value is not even read): sin(x) is taken from the base values
    again = evaluate_mp(graph, {"x": m.mpf(5), "y": m.mpf(3)}, m, base=base, changed=depends_on(graph, y))
    assert again == m.sin(1) + 3
    # an output before the last node (sin(x), node 2 of x, y, sin, add): the walk from the base values gives
    # the list a fresh walk gives, x, no y, sin(x), and nothing for the node past the output
    sine = graph.ops.index("sin")
    fresh = evaluate_mp(graph, {"x": m.mpf(1), "y": m.mpf(3)}, m, output=sine, every=True)
    assert fresh == [1, None, m.sin(1)]
    assert evaluate_mp(graph, {"x": m.mpf(5), "y": m.mpf(3)}, m, output=sine, every=True, base=base,
                       changed=depends_on(graph, y)) == fresh


def test_kinks_are_named_with_their_arguments():
    from diffcli.core.evaluate import evaluate, kinks
    from diffcli.core.parse import parse

    graph = parse("abs(x) + max(x, y)")  # built children first: max before abs
    words = "is at its kink: not differentiable there; the methods use the right derivative of each " \
            "function and the reference the right derivative in each variable"
    assert kinks(graph, evaluate(graph, {"x": 0.0, "y": 0.0})) == [f"max(0.0, 0.0) {words}",
                                                                   f"abs(0.0) {words}"]
    assert kinks(graph, evaluate(graph, {"x": 0.0, "y": 1.0})) == [f"abs(0.0) {words}"]
    assert kinks(graph, evaluate(graph, {"x": 2.0, "y": 2.0})) == [f"max(2.0, 2.0) {words}"]
    assert kinks(graph, evaluate(graph, {"x": -1.0, "y": 2.0})) == []
    sine = parse("a = abs(y); sin(x)")  # abs(y) is not needed: no value, no warning
    assert kinks(sine, evaluate(sine, {"x": 0.0, "y": 0.0})) == []


# ---------------------------------------------------------------- printing


def test_the_text_between_two_positions():
    from diffcli.core.printing import between

    assert between("abc", (1, 2), (1, 3)) == "b" and between("ab\ncd", (2, 1), (2, 3)) == "cd"
    assert between("abc", (1, 2), (1, 2)) is None and between("abc", (1, 3), (1, 2)) is None  # empty
    assert between("x" * 500, (1, 1), (1, 500)) == "x" * 80  # at most twice the 40 characters a message shows


def test_to_text_keeps_only_the_first_characters_when_asked():
    from diffcli.core.parse import parse
    from diffcli.core.printing import to_text

    graph = parse("sin(x) + cos(y)*(x - y)")
    whole = "sin(x) + cos(y) * (x - y)"
    assert to_text(graph, graph.output) == whole
    for keep in (1, 5, 12, 20, 25, 40):
        assert to_text(graph, graph.output, keep=keep) == whole[:keep]


# ---------------------------------------------------------------- the whitelist (what the language refuses)

REFUSED = [
    ("x.y", 1, "attribute access is not allowed"), ("x[1]", 1, "subscripts are not allowed"),
    ("(lambda: x)", 2, "lambda is not allowed"), ("[x for x in y]", 1, "comprehensions are not allowed"),
    ("x < y", 1, "comparisons are not allowed"), ("x and y", 1, "'and' and 'or' are not allowed"),
    ("x if y else z", 1, "conditional expressions are not allowed"), ("(y := 2)", 2, "':=' is not allowed"),
    ("'a'", 1, "strings are not allowed"), ("f'{x}'", 1, "strings are not allowed"),
    ("b'x'", 1, "strings are not allowed"), ("[x]", 1, "lists are not allowed"),
    ("(x, y)", 1, "tuples are not allowed"), ("{x}", 1, "sets are not allowed"),
    ("{x: y}", 1, "dicts are not allowed"),
    ("x % y", 1, "the operator '%' is not supported"), ("x // y", 1, "the operator '//' is not supported"),
    ("x @ y", 1, "the operator '@' is not supported"), ("x << y", 1, "the operator '<<' is not supported"),
    ("x | y", 1, "the operator '|' is not supported"), ("~x", 1, "the operator '~' is not supported"),
    ("not x", 1, "the operator 'not' is not supported"),
    ("True", 1, "True is not a number"), ("None", 1, "None is not a number"),
    ("...", 1, "Ellipsis is not a number"), ("1j", 1, "complex numbers are not allowed"),
    ("x + sin", 5, "'sin' is a function; call it as sin(...)"), ("log", 1, "'log' is a function; call it as "
                                                                       "log(...)"),
    ("x + 2(x+1)", 5, "a number cannot be called; to multiply, write 2*(x+1)"),
    ("(x+1)(x-1)", 1, "a value cannot be called; to multiply, write (x+1)*(x-1)"),
    ("y + (x+1) (x-1)", 5, "a value cannot be called; to multiply, write (x+1)*(x-1)"),  # without the blank
    ("y + 2 (x+1)", 5, "a number cannot be called; to multiply, write 2*(x+1)"),
    # a called value longer than the 80 characters read of the call (2 × SHOWN_CHARS): the product is cut
    # there, then shown as its first 39 characters and '…'
    ("(" + "x+" * 40 + "x)(y)", 1, "a value cannot be called; to multiply, write (" + "x+" * 19 + "…"),
    ("(x.y)(1)", 2, "attribute access is not allowed"),  # at the function, not the call
    ("('a')(x)", 2, "only functions called by name are allowed, like sin(x)"),
    ("(sin(x))(y)", 2, "calls of calls are not allowed"), ("[1](x)", 1, "lists are not allowed"),
    ("sin(x, key=1)", 1, "sin() takes no keyword arguments"), ("sin(*x)", 1, "'*' unpacking is not allowed"),
    ("log()", 1, "log takes 1 or 2 arguments (log(x) or log(x, base)), not 0"),
    ("log(x, y, z)", 1, "log takes 1 or 2 arguments (log(x) or log(x, base)), not 3"),
    ("x(y)", 1, "'x' is not a function; to multiply, write x*(y)"),  # a one-letter name
    ("pi(x)", 1, "'pi' is not a function; to multiply, write pi*(x)"),
    ("aa = 2; aa(x)", 9, "'aa' is not a function; to multiply, write aa*(x)"),
    ("xy + xy(2)", 6, "'xy' is not a function; to multiply, write xy*(2)"),
    ("xy(2) + xy", 1, "'xy' is not a function; to multiply, write xy*(2)"),  # the value after the call
    ("b = xy(2) + 1; b*xy", 5, "'xy' is not a function; to multiply, write xy*(2)"),  # a later statement
    ("xy(2) + xy (3)", 1, "unknown function 'xy'"),  # called twice, never a value: blanks before '(' too
    ("xy(2) + xyz + x.xy", 1, "unknown function 'xy'"),  # neither a longer name nor an attribute is xy
    ("ab(y)", 1, "unknown function 'ab'; did you mean 'abs'?"), ("zzzz(y)", 1, "unknown function 'zzzz'"),
    ("min(x)", 1, "min takes two or more arguments"), ("sin(x, y)", 1, "sin takes 1 argument, not 2"),
    ("atan2(x)", 1, "atan2 takes 2 arguments, not 1"),
    # constants fold while parsing; one that cannot is quoted as written, its literal arguments unshown
    ("log(-1) + x", 1, "log(-1) is undefined (needs -1 > 0)"),
    ("x + 1/(3-3)", 5, "1/(3-3) is undefined: 3-3 = 0.0 (needs 3-3 != 0)"),
    ("x + (-8)**(1/3)", 5, "(-8)**(1/3) is undefined: 1/3 = 0.3333333333333333 (needs -8 > 0, or -8 == 0 and "
                           "1/3 > 0, or -8 < 0 and 1/3 an integer)"),
    ("x + 1e999", 5, "the constant inf is not a finite double"),
    ("x + 1" + "0" * 400, 5, "the number is too large for float64"),
]


@pytest.mark.parametrize("text, column, message", REFUSED)
def test_the_language_refuses_with_its_reason_at_its_column(text, column, message):
    from diffcli.core.parse import parse

    with pytest.raises(DiffcliError) as error:
        parse(text)
    assert (error.value.message, error.value.column) == (message, column)


def test_what_the_language_builds():
    from diffcli.core.evaluate import evaluate
    from diffcli.core.parse import parse
    from diffcli.core.printing import to_text

    def printed(text):
        graph = parse(text)
        return to_text(graph, graph.output), graph.variable_names

    assert printed("min(x, y, z)") == ("min(min(x, y), z)", ["x", "y", "z"])
    assert printed("max(x, y, 2, z)") == ("max(max(max(x, y), 2), z)", ["x", "y", "z"])
    assert printed("log(x, 2)") == (f"log(x) / {math.log(2)!r}", ["x"])
    assert printed("log(x)") == ("log(x)", ["x"])
    assert printed("e + pi + tau + x") == (f"{math.e + math.pi + math.tau!r} + x", ["x"])
    assert printed("-x + +x") == ("-x + x", ["x"])
    assert printed("a = y*y; a + x") == ("y * y + x", ["y", "x"])
    graph = parse("log(x, 10) + 2.5")
    assert evaluate(graph, {"x": 1000.0})[graph.output] == math.log(1000.0) / math.log(10) + 2.5


# ---------------------------------------------------------------- parse: text checks, statements, points

PARSE_ERRORS = [
    ("x × y", 1, 3, "non-ASCII character '×' (MULTIPLICATION SIGN); use '*' instead"),
    ("x + ｘ", 1, 5, "non-ASCII character 'ｘ' (FULLWIDTH LATIN SMALL LETTER X); use 'x' instead"),  # NFKC
    ("é + x", 1, 1, "non-ASCII character 'é' (LATIN SMALL LETTER E WITH ACUTE); expressions are plain ASCII"),
    ("x\x01", 1, 2, "control character U+0001; expressions are plain ASCII"),
    ("x\x7f", 1, 2, "non-ASCII character '\\x7f' (U+007F); expressions are plain ASCII"),  # past '~'
    ("x +\n y ×", 2, 4, "non-ASCII character '×' (MULTIPLICATION SIGN); use '*' instead"),
    ("x²", 1, 2, "non-ASCII character '²' (SUPERSCRIPT TWO); use '**2' instead"),
    ("a = 1", 1, 1, "a program must end with an expression, but this line assigns 'a'"),
    ("lambda = 2; x", 1, 1, "'lambda' is a Python keyword and cannot be a name; call it something else"),
    ("y = 1; sin = 2; x", 1, 8, "'sin' is a built-in name and cannot be assigned"),
    ("log = 2; x", 1, 1, "'log' is a built-in name and cannot be assigned"),
    ("pi = 3; x", 1, 1, "'pi' is a built-in name and cannot be assigned"),
    ("a = 1; a = 2; a", 1, 8, "'a' is assigned twice; each name is assigned once"),
    ("b = a; a = 2; b", 1, 8, "'a' is used before it is assigned"),
    ("x; y", 1, 1, "only the last statement of a program may be an expression; write 'name = expression' "
                   "before it"),
    ("a = 1\n  x; y", 2, 3, "only the last statement of a program may be an expression; write 'name = "
                            "expression' before it"),  # at the x, not at the blanks before it
    ("a = 1;   x; y", 1, 10, "only the last statement of a program may be an expression; write 'name = "
                             "expression' before it"),
    ("", 1, 1, "the expression is empty"), ("  ;  \n", 1, 1, "the expression is empty"),
    ("(x + 1", 1, 1, "syntax error: '(' was never closed"),
    ("x) + (y", 1, 2, "syntax error: unmatched ')'"),
    ("a = 1; b = 2;   x + $", 1, 21, "syntax error: invalid syntax"),
    ("a = 1\nb = x +\n 1\nb", 2, 8, "syntax error: the expression ends too early"),
    ("x == 1", 1, 1, "comparisons are not allowed"),
]


@pytest.mark.parametrize("text, line, column, message", PARSE_ERRORS)
def test_parse_refuses_with_its_reason_at_its_line_and_column(text, line, column, message):
    from diffcli.core.parse import parse

    with pytest.raises(ParseError) as error:
        parse(text)
    assert (error.value.message, error.value.line, error.value.column) == (message, line, column)


def test_every_character_outside_printable_ascii_and_three_blanks_is_refused_where_it_stands():
    """An expression holds printable ASCII (space to '~', 0x20-0x7e) and newline, tab and carriage return;
    each other code point of the first 0x3000 (controls, DEL, Latin-1, symbols, CJK punctuation) is refused
    at its own column, and one allowed character is not refused there."""
    from diffcli.core.parse import _check_characters, parse

    for code in range(0x3000):
        char = chr(code)
        allowed = 0x20 <= code <= 0x7E or char in "\n\t\r"
        if allowed:
            _check_characters("x +" + char + " y")  # the character check lets it through (the parser may not)
            continue
        with pytest.raises(ParseError) as error:
            parse("x +" + char + " y")
        assert (error.value.line, error.value.column) == (1, 4), code
        kind = "control character" if code < 0x20 else "non-ASCII character"
        assert error.value.message.startswith(kind), code
    assert parse("(x\t+\r\n y)").variable_names == ["x", "y"]  # inside parentheses a line goes on


def test_too_deep_nesting_is_located_on_its_own_line():
    from diffcli.core.errors import LimitError
    from diffcli.core.parse import parse

    with pytest.raises(LimitError) as error:
        parse("a = 1\n  b = " + "(" * 101 + "x" + ")" * 101 + "\nb")
    assert (error.value.line, error.value.column) == (2, 6 + 101)  # "  b = " and the 101st '('


def test_parse_wants_text():
    from diffcli.core.parse import parse

    with pytest.raises(ParseError) as error:
        parse(5)
    assert str(error.value) == "an expression must be text, not int" and error.value.column is None


def test_the_input_limit_is_two_million_characters():
    from diffcli.core.errors import LimitError
    from diffcli.core.parse import MAX_INPUT_CHARS, parse

    assert MAX_INPUT_CHARS == 2_000_000
    with pytest.raises(LimitError) as error:
        parse("é" + "x" * 2_000_000)  # 2,000,001 characters: refused before any character is read
    assert str(error.value) == "the input has 2,000,001 characters; the limit is 2,000,000 (MAX_INPUT_CHARS)"
    with pytest.raises(ParseError) as error:
        parse("é" + "x" * 1_999_999)  # exactly the limit: read, and refused at its first character
    assert type(error.value) is ParseError and error.value.message.startswith("non-ASCII character 'é'")


def test_a_program_labels_its_nodes_with_the_first_name_given():
    from diffcli.core.parse import parse

    graph = parse("a=x*y; b=x*y; a+b")  # one node x*y, named a
    assert graph.labels == {0: "x", 1: "y", 2: "a"} and graph.output == 3
    graph = parse("a = x\nb = 2*a\n\nb")  # a is the variable x itself, which keeps its name
    assert graph.labels == {0: "x", 2: "b"} and graph.output == 2


def test_points_are_read_from_words():
    from diffcli.core.parse import parse_point

    assert parse_point(["x=2*pi"]) == {"x": 2 * math.pi}
    assert parse_point(["x=1,", "y = -2.5e-3"]) == {"x": 1.0, "y": -0.0025}
    assert parse_point(["x=" + "1" * 41]) == {"x": 1.111111111111111e40}  # past 40 characters: parsed
    negative_zero = parse_point(["x=-0"])["x"]
    assert negative_zero == 0.0 and math.copysign(1.0, negative_zero) == -1.0
    refused = [(["pi=2"], "'pi=2': 'pi' is a built-in name, not a variable"),
               (["sin=2"], "'sin=2': 'sin' is a built-in name, not a variable"),
               (["x=1", "x=2"], "'x=2': 'x' is given twice"),
               (["x=1e999"], "'x=1e999': column 1: the constant inf is not a finite double"),
               (["2"], "expected NAME=VALUE, got '2'"),
               (["hello world x=1"], "expected NAME=VALUE, got 'hello world x=1'"),
               (["1234567890" * 5], "expected NAME=VALUE, got '" + "1234567890" * 4 + "…'"),  # 41: 40 and …
               (["x=y"], "'x=y': the value must be a number or a constant expression; 'y' is not a known "
                         "constant"),
               (["x=(1"], "'x=(1': column 1: syntax error: '(' was never closed")]
    for words, message in refused:
        assert _usage(parse_point, words) == message


# Python's own precedence: unary minus binds tighter than * and / but looser than ** (so -x**2 is -(x**2)),
# ** groups from the right, + - * / from the left; LaTeX writes a power's exponent in braces.
PRINTED = [
    ("-(x + y)", "-(x + y)", r"-\left(x + y\right)"), ("(-x)**2", "(-x)**2", r"\left(-x\right)^{2}"),
    ("-x**2", "-x**2", "-x^{2}"), ("x**(-y)", "x**(-y)", "x^{-y}"), ("x**y**z", "x**y**z", "x^{y^{z}}"),
    ("(x**y)**z", "(x**y)**z", r"\left(x^{y}\right)^{z}"), ("x - (y - z)", "x - (y - z)",
                                                            r"x - \left(y - z\right)"),
    ("(x - y) - z", "x - y - z", "x - y - z"), ("x / (y * z)", "x / (y * z)", r"\frac{x}{y \cdot z}"),
    ("x * y / z", "x * y / z", r"\frac{x \cdot y}{z}"), ("x*-2", "x * -2", r"x \cdot -2"),
    ("-2**x", "-2**x", "-2^{x}"), ("(-2)**x", "(-2)**x", r"\left(-2\right)^{x}"),
    ("x**-2", "x**(-2)", "x^{-2}"),
    ("-(-x)", "-(-x)", r"-\left(-x\right)"), ("x - -y", "x - -y", "x - -y"),
    ("sin(x + 1)*cos(y)", "sin(x + 1) * cos(y)", r"\sin\left(x + 1\right) \cdot \cos\left(y\right)"),
    ("theta + 0.5", "theta + 0.5", r"\mathit{theta} + 0.5"),
    ("(x + y)*z", "(x + y) * z", r"\left(x + y\right) \cdot z"), ("z*(x - y)", "z * (x - y)",
                                                                   r"z \cdot \left(x - y\right)"),
]


@pytest.mark.parametrize("source, text, latex", PRINTED)
def test_printed_text_and_latex_keep_the_structure(source, text, latex):
    from diffcli.core.evaluate import evaluate
    from diffcli.core.parse import parse
    from diffcli.core.printing import to_latex, to_program, to_text

    graph = parse(source)
    assert to_text(graph, graph.output) == text == to_program(graph, graph.output)
    assert to_latex(graph, graph.output) == latex
    back = parse(text)  # the printed text reads back to the same operations, so the same value to the bit
    point = {name: 2.0 + k for k, name in enumerate(graph.variable_names)}  # (-2)**x wants a whole x
    assert evaluate(back, point)[back.output] == evaluate(graph, point)[graph.output]


def test_python_source_of_an_expression():
    from diffcli.core.parse import parse
    from diffcli.core.printing import to_python

    def run(text, *args):
        graph = parse(text)
        code = to_python(graph, graph.output, "f")
        namespace = {}
        exec(compile(code, "<f>", "exec"), namespace)  # noqa: S102 - code printed from a parsed graph
        return code, namespace["f"](*args)

    code, value = run("abs(x) + atan2(y, x)", -1.0, 1.0)
    assert code == "from math import atan2\n\n\ndef f(x, y):\n    return abs(x) + atan2(y, x)"
    assert value == 1.0 + math.atan2(1.0, -1.0)
    assert run("2.5 + 1") == ("def f():\n    return 3.5", 3.5)
    code, value = run("x**0.5 * exp(x) + x**2", 4.0)
    assert code.startswith("import math\nfrom math import exp\n\n\ndef pow(x: float, y: float) -> float:")
    assert code.endswith("def f(x):\n    return pow(x, 0.5) * exp(x) + x**2")
    assert value == 2.0 * math.exp(4.0) + 16.0
    code, value = run("sin(x*y) + x*y + lambda_", 2.0, 3.0, 1.0)  # x*y is used twice: named a
    assert code.endswith("def f(x, y, lambda_):\n    a = x * y\n    return sin(a) + a + lambda_")
    assert value == math.sin(6.0) + 7.0
    code, value = run("sigmoid(x)", 0.0)
    assert "def sigmoid(x: float) -> float:" in code and value == 0.5
    code, value = run("a*b + c*d + a*b*c", 1.0, 2.0, 3.0, 4.0)  # a to d are taken: a*b is named e
    assert code.endswith("def f(a, b, c, d):\n    e = a * b\n    return e + c * d + e * c") and value == 20.0


# ---------------------------------------------------------------- the splitter of long chains


@pytest.mark.parametrize("text", ["x*2*3/(x-x)*5", "y + x*2 - log(x-3) + 1", "  x +  y  -sqrt(x - 3)  ",
                                  "(x +\n y) * (x-x) / 2", "a = 1; b = 2;  y*2 -  log(x -3)  ",
                                  "x^2*3^x/(x-x)"])
@pytest.mark.parametrize("run", [200, 2])
def test_a_split_chain_has_the_positions_and_messages_of_the_whole(monkeypatch, text, run):
    import diffcli.core.splitter as splitter
    from diffcli.core.evaluate import evaluate
    from diffcli.core.parse import parse

    def parsed():
        graph = parse(text)
        try:
            evaluate(graph, {"x": 1.0, "y": 1.0})
            message = None
        except DiffcliError as error:
            message = str(error)
        links = sorted((graph.positions[n], graph.ends[n]) for n in range(len(graph))
                       if graph.ops[n] in ("add", "sub", "mul", "div"))
        return message, links

    whole = parsed()
    monkeypatch.setattr(splitter, "CHAIN_SPLIT_CHARS", 0)  # every chain split at its operators
    monkeypatch.setattr(splitter, "CHAIN_RUN", run)  # and parsed in runs of 2 parts: runs after the first
    assert parsed() == whole
    if text == "x*2*3/(x-x)*5":  # the failing link quoted as written, not as printed (x * 2 * 3 / …)
        assert whole[0] == "column 1: x*2*3/(x-x) is undefined: x*2*3 = 6.0, x-x = 0.0 (needs x-x != 0)"


def test_a_flat_chain_too_long_for_pythons_parser_is_split():
    from diffcli.core.evaluate import evaluate
    from diffcli.core.parse import parse

    # 3,000 terms (about 12,000 characters, under CHAIN_SPLIT_CHARS): CPython's parser gives up on it
    # ("maximum recursion depth exceeded during ast construction"), so it is split at its operators
    graph = parse(" + ".join(["x"] * 2999) + " - y")
    assert evaluate(graph, {"x": 1.0, "y": 0.5})[graph.output] == 2998.5  # 2999 - 0.5, exact in floats
    assert len(graph) == 2 + 2999  # x, y and one node per operator


def test_a_whole_number_too_long_for_python_is_found_past_one_just_short_enough():
    import sys

    from diffcli.core.parse import parse

    limit = sys.get_int_max_str_digits()  # CPython's own limit on the digits int() reads (4300 by default)
    text = "x + " + "1" * limit + " + " + "2" * (limit + 1)  # the first number is read, the second is not
    with pytest.raises(ParseError) as error:
        parse(text)
    assert error.value.message == f"a whole number of {limit + 1} digits; at most {limit} digits are read " \
                                  "(write it with an exponent, such as 1.5e20)"
    assert error.value.column == 4 + limit + 3 + 1  # past "x + ", the first number and " + "
    with pytest.raises(ParseError) as error:
        parse("a = 1;   x + " + "3" * (limit + 1))  # after a statement and blanks
    assert error.value.column == 14


@pytest.mark.parametrize("text, column, product", [("2x", 1, ("2x", "2*x")), ("x + 2x", 5, ("2x", "2*x")),
                                                   ("x + 12x", 5, ("12x", "12*x")),
                                                   ("x + 1.5e3x", 5, ("1.5e3x", "1.5e3*x")),
                                                   ("(x +\n 2y)", 2, ("2y", "2*y"))])  # on line 2
def test_a_number_written_against_a_name_gets_the_product_to_write(text, column, product):
    from diffcli.core.parse import parse

    with pytest.raises(ParseError) as error:
        parse(text)
    written, meant = product
    assert error.value.message == \
        f"syntax error: invalid decimal literal '{written}'; to multiply, write {meant}"
    assert error.value.column == column


@pytest.mark.parametrize("text", ["x*y*z + w + v", "x/y*z - w*v + v", "(x + y)*(x - y)*x - y + x"])
def test_a_split_chain_whose_first_part_is_itself_a_chain(monkeypatch, text):
    import diffcli.core.splitter as splitter
    from diffcli.core.evaluate import evaluate
    from diffcli.core.parse import parse
    from diffcli.core.printing import to_text

    whole = parse(text)
    monkeypatch.setattr(splitter, "CHAIN_SPLIT_CHARS", 0)
    split = parse(text)
    assert to_text(split, split.output) == to_text(whole, whole.output)
    point = {"x": 0.7, "y": 1.3, "z": 2.9, "w": 0.3, "v": 5.0}
    assert evaluate(split, point)[split.output] == evaluate(whole, point)[whole.output]


def test_a_long_chain_of_nested_parentheses_is_split_at_its_top_level():
    from diffcli.core.evaluate import evaluate
    from diffcli.core.parse import parse

    # 3,000 terms ((x - 1)*2), 42,000 characters: split at the top-level '+' only; each term is 1 at x = 1.5
    graph = parse(" + ".join(["((x - 1)*2)"] * 3000))
    assert evaluate(graph, {"x": 1.5})[graph.output] == 3000.0


def test_a_chain_python_gives_up_on_is_split_at_its_lowest_operators():
    from diffcli.core.evaluate import evaluate
    from diffcli.core.parse import parse

    # 3,000 terms 2*x (18,000 characters, parsed whole at first): split at '+', never at '*'
    graph = parse(" + ".join(["2*x"] * 3000))
    assert evaluate(graph, {"x": 0.5})[graph.output] == 3000.0


def test_a_run_of_a_split_chain_python_gives_up_on_is_parsed_part_by_part():
    from diffcli.core.evaluate import evaluate
    from diffcli.core.parse import parse

    # the product of 3,000 factors is too deep for CPython inside the run of the '+' chain: that run is
    # parsed part by part, and the product is split at its '*' in turn
    text = "y + " + "*".join(["x"] * 3000) + "*log(x - 2) + y"
    with pytest.raises(DiffcliError) as error:
        evaluate(parse(text), {"x": 1.0, "y": 1.0})
    assert error.value.column == text.index("log(x - 2)") + 1
    assert error.value.message == "log(x - 2) is undefined: x - 2 = -1.0 (needs x - 2 > 0)"
    graph = parse(text.replace("log(x - 2)", "log(x)"))
    assert evaluate(graph, {"x": 1.0, "y": 2.0})[graph.output] == 4.0  # 2 + 1·…·1·log(1) + 2


def test_a_complex_number_is_finite_only_when_both_of_its_parts_are():
    import mpmath

    from diffcli.core.evaluate import finite

    check = finite(mpmath.mp)
    assert check(mpmath.mpc(1, 2)) and check(mpmath.mpf(3))
    assert not check(mpmath.mpc(mpmath.inf, 1)) and not check(mpmath.mpc(1, mpmath.nan))
    assert not check(mpmath.mpc(mpmath.ninf, mpmath.inf)) and not check(mpmath.mpf("-inf"))


@pytest.mark.parametrize("timing", [False, True])
def test_compiled_power_rule_takes_0_to_the_power_0_as_1(timing):
    """(x - x)**1 is 0 for every x, so ∂f/∂x = 0; the power rule's 1 * (x - x)**0.0 needs 0**0.0 = 1, as
    the graph and mpmath paths give it.  Reverse mode's generated code wrote pow((x - x), 0.0) and refused
    "0 to the power 0" (found by a property test at x = -1.7, exponent -(-(-((2) - (3))))).  Both the
    compiled code (timing) and the number carried while writing it (an answer wanted once) are checked."""
    from diffcli import api

    result = api.compare("(x - x)**(-(-(-((2) - (3)))))", {"x": -1.7}, methods=["reverse"], timing=timing)
    (row,) = result["methods"]
    assert row.get("error") is None and row["gradient"] == {"x": 0.0}
