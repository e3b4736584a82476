"""Every simplification rule, each with one small fixed example checked against the reference.

Three places simplify, and a wrong rule in any of them gives a confident wrong derivative:

* the primitive table's identities, applied by ``Graph.apply(simplify=True)`` while symbolic
  differentiation builds the derivative graph (``-(x - y)`` is ``y - x``, ``(-a)*(-b)`` is ``a*b``, …);
* the source fragments of compiled code (:class:`diffcli.core.fragments.Code`: constants fold, ``a * (1/b)``
  is ``a / b``, a negation is carried outwards until a sum subtracts it);
* the adjoint lines of :class:`diffcli.core.fragments.CodeAlgebra` (accumulation in place, ``g += …`` or
  ``g -= …``, with the signs of the total and the term).

Each rule has a case that names it and shows the simplified form it must produce; the value is checked
against plain float arithmetic on the unsimplified form or against the mpmath reference, and the derivative
of an expression that exercises the rule is checked, by every method built on these rules, against the
reference.  None of these depends on random examples.
"""

import math
import operator
import re

import pytest

from diffcli.api import compare
from diffcli.core.codegen import gradient_source, tangent_source
from diffcli.core.errors import DomainError
from diffcli.core.evaluate import evaluate
from diffcli.core.fragments import Code, CodeAlgebra, constant, source_of, total
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.core.parse import parse
from diffcli.core.primitives import PRIMITIVES
from diffcli.core.printing import to_text
from diffcli.reference import reference

EPS = 2.0 ** -52
POINT = {"x": 1.7, "y": -0.6}


def simplified(text: str):
    """The graph of ``text`` built again node by node with ``simplify=True``: every identity of the table
    applies bottom-up, as it does when a derivative graph is built.  Returns (graph, node)."""
    source = parse(text)
    graph, new = Graph(), {}
    for node in range(len(source)):
        op = source.op(node)
        if op == CONST:
            new[node] = graph.const(source.value(node))
        elif op == VAR:
            new[node] = graph.var(source.data[node])
        else:
            new[node] = graph.apply(op, tuple(new[a] for a in source.args(node)), simplify=True)
    return graph, new[source.output]


def check_derivative(text, point, methods, tolerance=4 * EPS):
    """Every method's gradient of ``text`` against the reference (absolute error where the reference is 0)."""
    record = compare(text, point, methods=methods, timing=False, digits=30)
    for row in record["methods"]:
        assert row["error"] is None, (text, row["method"], row["error"])
        assert row["max_rel_error"] <= tolerance, (text, row["method"], row["gradient"],
                                                   record["reference"]["gradient"])


# ---------------------------------------------------------------- the table's identities (graph.apply)

IDENTITIES = [  # (expression, what the identity makes of it)
    # add
    ("0 + x", "x"), ("x + 0", "x"), ("x + x", "2 * x"), ("2 + x", "x + 2"), ("x + -y", "x - y"),
    ("-x + y", "y - x"), ("(x + 1) + 2", "x + 3"),
    # sub
    ("x - 0", "x"), ("0 - x", "-x"), ("x - x", "0"), ("x - -y", "x + y"),
    # mul
    ("0 * x", "0"), ("x * 0", "0"), ("1 * x", "x"), ("x * 1", "x"), ("-1 * x", "-x"), ("x * -1", "-x"),
    ("x * 2", "2 * x"), ("-x * y", "-(x * y)"), ("x * -y", "-(x * y)"), ("-x * -y", "x * y"),
    ("x * (2 * y)", "2 * (x * y)"), ("3 * (2 * y)", "6 * y"), ("(2 * x) * y", "2 * (x * y)"),
    ("3 * (2 / y)", "6 / y"), ("(1 / x) * y", "y / x"), ("y * (1 / x)", "y / x"), ("x * x", "x**2"),
    # div
    ("0 / x", "0"), ("x / 1", "x"), ("x / -1", "-x"), ("x / x", "1"), ("-x / y", "-(x / y)"),
    ("x / -y", "-(x / y)"),
    # neg
    ("-(-x)", "x"), ("-(x - y)", "y - x"), ("-(2 * x)", "-2 * x"), ("-(2 / x)", "-2 / x"),
    # pow
    ("x ** 1", "x"), ("x ** 0", "1"), ("1 ** x", "1"),
]


@pytest.mark.parametrize("text, expected", IDENTITIES)
def test_identity_gives_its_simpler_form_with_the_same_value(text, expected):
    graph, node = simplified(text)
    assert to_text(graph, node) == expected
    truth = reference(parse(text), {n: POINT[n] for n in parse(text).variable_names}, digits=30).value
    got = evaluate(graph, POINT, output=node)[node]
    assert abs(got - float(truth)) <= 2 * EPS * abs(float(truth)), (text, got, truth)


@pytest.mark.parametrize("text", [text for text, _ in IDENTITIES])
def test_derivative_through_each_identity_matches_the_reference(text):
    graph = parse(text)
    check_derivative(text, {n: POINT[n] for n in graph.variable_names}, ["symbolic", "reverse", "dual"])


def test_every_primitive_with_identities_has_cases():
    covered = set()
    for text, _ in IDENTITIES:
        graph = parse(text)
        covered.add(graph.op(graph.output))
    assert {name for name, p in PRIMITIVES.items() if p.identities is not None} <= covered


def test_apply_folds_constants_and_refuses_a_domain_error():
    graph = Graph()
    assert graph.apply("mul", (graph.const(2.0), graph.const(3.0)), simplify=True) == graph.const(6.0)
    with pytest.raises(DomainError, match=r"^log\(-1.0\) is undefined \(needs -1.0 > 0\)$"):
        graph.apply("log", (graph.const(-1.0),), simplify=True)


def test_apply_builds_one_node_for_the_same_application():
    graph = Graph()
    x, y = graph.var("x"), graph.var("y")
    assert graph.apply("mul", (x, y), simplify=True) == graph.apply("mul", (x, y))
    assert graph.apply("mul", (x, y)) != graph.apply("mul", (y, x))  # not commuted: the same rounding


# ---------------------------------------------------------------- source fragments (compiled code)

A, B = 1.7, -0.6  # the values of a and b below


def _known(name: str, table: dict) -> Code:
    """A forward value ``name`` that knows what f's lines computed (a derivative reuses them)."""
    code = Code(name)
    code.known = table
    return code


a, b = Code("a"), Code("b")
FORWARD = {"(v0 * v1)": "v2", "(-v0)": "v3"}  # f computed v2 = v0 * v1 and v3 = -v0
v0, v1 = _known("v0", FORWARD), _known("v1", FORWARD)
VALUES = {"a": A, "b": B, "v0": A, "v1": B, "v2": A * B, "v3": -A, "pow": math.pow, "div": operator.truediv}

FRAGMENTS = [  # (rule, build, the source it writes, the plain float arithmetic it replaces)
    ("constants fold", lambda: constant(2.0) - constant(0.5), "1.5", lambda: 2.0 - 0.5),
    ("a negated constant is a number", lambda: -constant(2.0), "(-2.0)", lambda: -2.0),
    ("a ** 1 is a", lambda: a ** 1.0, "a", lambda: A ** 1.0),
    ("a ** b is a call of pow", lambda: a ** b, "pow(a, b)", lambda: A ** B),
    ("1 * a is a", lambda: 1.0 * a, "a", lambda: 1.0 * A),
    ("a * 1 is a", lambda: a * 1.0, "a", lambda: A * 1.0),
    ("a / 1 is a", lambda: a / 1.0, "a", lambda: A / 1.0),
    ("a * b", lambda: a * b, "(a * b)", lambda: A * B),
    ("(-a) * b is -(a * b)", lambda: (-a) * b, "(-(a * b))", lambda: (-A) * B),
    ("a * (-b) is -(a * b)", lambda: a * (-b), "(-(a * b))", lambda: A * (-B)),
    ("(-a) * (-b) is a * b", lambda: (-a) * (-b), "(a * b)", lambda: (-A) * (-B)),
    ("(-a) / b is -(a / b)", lambda: (-a) / b, "(-(a / b))", lambda: (-A) / B),
    ("a / (-b) is -(a / b)", lambda: a / (-b), "(-(a / b))", lambda: A / (-B)),
    ("(-a) / (-b) is a / b", lambda: (-a) / (-b), "(a / b)", lambda: (-A) / (-B)),
    ("a * (1 / b) is a / b", lambda: a * (1.0 / b), "(a / b)", lambda: A * (1.0 / B)),
    ("(1 / b) * a is a / b", lambda: (1.0 / b) * a, "(a / b)", lambda: (1.0 / B) * A),
    ("-(-a) is a", lambda: operator.neg(-a), "a", lambda: operator.neg(-A)),
    ("a + (-b) stays a sum (total subtracts)", lambda: a + (-b), "(a + (-b))", lambda: A + (-B)),
    ("a sum subtracts a negated term", lambda: total([a, -b]), "a - b", lambda: A + (-B)),
    ("a sum adds a negated term's negation", lambda: total([-a, -b]), "(-a) - b", lambda: (-A) + (-B)),
    ("an empty sum is 0", lambda: total([]), "0.0", lambda: 0.0),
    ("a product f computed is its name", lambda: v0 * v1, "v2", lambda: A * B),
    ("a negation f computed is its name", lambda: -v0, "v3", lambda: -A),
    ("times a partial 0 is 0", lambda: CodeAlgebra().times(a, 0.0), "0.0", lambda: A * 0.0),
    ("times a partial -1 negates the adjoint", lambda: CodeAlgebra().times(a, -1.0), "(-a)",
     lambda: A * -1.0),
    ("an adjoint -1 negates the partial", lambda: CodeAlgebra().times(-1.0, b), "(-b)", lambda: -1.0 * B),
    ("adjoint times partial", lambda: CodeAlgebra().times(a, b), "(a * b)", lambda: A * B),
]


@pytest.mark.parametrize("rule, build, source, plain", FRAGMENTS, ids=[case[0] for case in FRAGMENTS])
def test_fragment_rule_writes_its_form_with_the_same_value(rule, build, source, plain):
    result = build()
    assert (result if isinstance(result, str) else source_of(result)) == source  # total() writes a str
    assert eval(source, dict(VALUES)) == pytest.approx(plain(), rel=2 * EPS, abs=0.0)


def test_a_constant_that_cannot_fold_is_the_primitives_call():
    """1.0 / 0.0 is written as div(1.0, 0.0), which raises on floats as the expression does."""
    assert source_of(constant(1.0) / constant(0.0)) == "div(1.0, 0.0)"
    assert source_of(CodeAlgebra().functions.log(constant(-0.5))) == "log((-0.5))"
    assert CodeAlgebra().functions.log(constant(2.0)) == math.log(2.0)
    with pytest.raises(ZeroDivisionError):
        eval("div(1.0, 0.0)", {"div": PRIMITIVES["div"].real})


# ---------------------------------------------------------------- adjoint lines (CodeAlgebra)

@pytest.mark.parametrize("total_negative", [False, True], ids=["total+", "total-"])
@pytest.mark.parametrize("term_negative", [False, True], ids=["term+", "term-"])
@pytest.mark.parametrize("owned", [True, False], ids=["in place", "fresh name"])
def test_accumulating_an_adjoint_adds_with_the_right_signs(total_negative, term_negative, owned):
    """adjoint = total + term, whichever of them is negated: in place (``g5 += …``/``g5 -= …``) into a
    name the adjoint owns, else into a fresh name (never in place into a name it shares)."""
    algebra = CodeAlgebra()
    product, quotient = a * b, a / b
    first = -product if total_negative else product
    if owned:  # the first term wrote its own line g5 = …
        running = algebra.first(first, 5)
        assert algebra.lines == ["g5 = (a * b)"]
    else:  # a name shared with another adjoint
        running = -Code("v2") if total_negative else Code("v2")
    term = -quotient if term_negative else quotient
    result = algebra.plus(running, term, 5)
    if owned:
        assert re.fullmatch(r"g5 [+-]= \(a / b\)", algebra.lines[-1])
    else:
        assert algebra.lines[-1].startswith("g5 = ")
    namespace = dict(VALUES)
    exec("\n".join(algebra.lines), namespace)
    expected = (-1 if total_negative else 1) * A * B + (-1 if term_negative else 1) * A / B
    assert eval(source_of(result), namespace) == pytest.approx(expected, rel=4 * EPS, abs=0.0)


def test_a_first_adjoint_that_is_a_number_or_a_name_writes_no_line():
    algebra = CodeAlgebra()
    assert algebra.first(2.0, 5) == 2.0
    assert algebra.first(Code("v3"), 6) == "v3"
    assert algebra.first(-Code("v3"), 7) == "(-v3)"
    assert algebra.lines == []


def test_accumulating_numbers_folds():
    assert CodeAlgebra().plus(2.0, -0.5, 5) == 1.5


# ---------------------------------------------------------------- compiled gradients and tangents end to end

COMPILED = [  # (rule, expression, point, the code it shows in, a line that shows the rule at work)
    ("accumulate in place: + a term", "x*x*x", {"x": 1.3}, gradient_source, "g0 += v1"),
    ("accumulate in place: - a negated term", "sin(x) - x*y - x", {"x": 0.7, "y": -1.3}, gradient_source,
     "g0 -= v1"),
    ("accumulate in place into a negated total", "-sin(x) - cos(x) + x*y", {"x": 0.7, "y": -1.3},
     gradient_source, "g0 -= v1"),
    ("accumulate in place: negated total and term", "atan2(-(x+x), x)", {"x": 2.0}, gradient_source,
     "g0 += g1"),
    ("a fresh sum", "x*x", {"x": -1.3}, gradient_source, "g0 = v0 + v0"),
    ("a fresh difference", "x/x", {"x": 0.7}, gradient_source, "g0 = (1.0 / v0) - (v1 / v0)"),
    ("a fresh difference from a negated total", "(x - hypot(1, x))/x", {"x": 0.7}, gradient_source,
     "g0 = g3 - (v4 / v0)"),
    ("(-a)*(-b) is a*b", "-log(cos(x))", {"x": 0.7}, gradient_source, "((sin(v0) / v1),)"),
    ("a * (1/b) is a / b", "log(sin(x))", {"x": 0.7}, gradient_source, "((cos(v0) / v1),)"),
    ("a negation carried out of a product", "cos(sqrt(x))", {"x": 0.7}, gradient_source,
     "((-(sin(v1) * (0.5 / v1))),)"),
    ("a derivative reuses f's value", "exp(x)", {"x": 0.7}, gradient_source, "return v1, (v1,)"),
    ("a partial -1 negates the adjoint", "-(x - y)", {"x": 0.7, "y": -1.3}, gradient_source,
     "return v3, ((-1.0), 1.0)"),
    ("a constant partial 0 writes nothing", "x*0 + y", {"x": 0.7, "y": -1.3}, gradient_source,
     "return v4, (0.0, 1.0)"),
    ("a tangent's sum subtracts a negated term", "sin(x)/cos(y)", {"x": 0.7, "y": -1.3}, tangent_source,
     "d4 = (d3 / v2) - (d2 * (v4 / v2))"),
    ("a tangent of a negation", "-sin(x)", {"x": 0.7}, tangent_source, "d2 = (-d1)"),
]


@pytest.mark.parametrize("rule, text, point, writer, line", COMPILED, ids=[case[0] for case in COMPILED])
def test_compiled_rule_at_work_matches_the_reference(rule, text, point, writer, line):
    assert line in writer(parse(text)), writer(parse(text))
    check_derivative(text, point, ["reverse", "dual", "symbolic"])


def test_an_in_place_sign_error_cannot_hide_in_atan2_of_a_negated_sum():
    """atan2(-(x+x), x) = atan(-2) for x > 0, so the gradient is exactly 0: the partial in the second
    argument, 2x/5x², less twice the partial in the first, x/5x² (at x = 2: 0.2 - 0.1 - 0.1, exact)."""
    record = compare("atan2(-(x+x), x)", {"x": 2.0}, methods=["reverse", "dual", "symbolic"], timing=False)
    assert record["reference"]["gradient"]["x"] == "0"
    for row in record["methods"]:
        assert abs(row["gradient"]["x"]) <= 1e-16, row
