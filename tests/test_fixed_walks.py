"""Fixed tests for the forward and backward walks written for speed: each gives what the general path gives,
to the bit.

``evaluate_mp`` skips the domain check of an entry defined everywhere (``_EVERYWHERE``);
``chain.adjoints`` skips a ``note`` that does nothing; ``MpAlgebra.plus`` adds two mpf on their raw
tuples; ``Functions`` keeps each function it made; ``Graph.depending`` is the one dependence walk.

Expected values come from mpmath or math directly, from the definitions written in the test, or from
mpmath's own ``+`` (what the shortcut replaces); error messages are the literal words of the domain
messages.
"""

import math

import mpmath
import pytest

from diffcli.core import evaluate as evaluate_module
from diffcli.core.algebra import FloatAlgebra, Functions, MpAlgebra, NumberAlgebra
from diffcli.core.chain import adjoints
from diffcli.core.errors import DomainError
from diffcli.core.evaluate import depends_on, evaluate, evaluate_mp
from diffcli.core.graph import Graph
from diffcli.core.parse import parse
from diffcli.core.primitives import PRIMITIVES


def _context(dps: int = 40):
    m = mpmath.MPContext()
    m.dps = dps
    return m


# ---------------------------------------------------------------- the walks' values, to the bit

def test_the_mpmath_walk_computes_each_node_as_mpmath_does():
    """sin(x*y) + exp(x)/(1 + x**2) - sqrt(y): every node is mpmath's own operation at the context's
    precision, in the order written."""
    m = _context(50)
    x, y = m.mpf(0.7), m.mpf(1.3)
    graph = parse("sin(x*y) + exp(x)/(1 + x**2) - sqrt(y)")
    expected = m.sin(x * y) + m.exp(x) / (1 + x ** 2) - m.sqrt(y)
    got = evaluate_mp(graph, {"x": x, "y": y}, m)
    assert type(got) is m.mpf and got._mpf_ == expected._mpf_


def test_the_float_walk_computes_each_node_as_math_does():
    graph = parse("sin(x*y) + exp(x)/(1 + x**2) - sqrt(y) + log(y)")
    x, y = 0.7, 1.3
    values = evaluate(graph, {"x": x, "y": y})
    assert values[graph.output] == math.sin(x * y) + math.exp(x) / (1 + x ** 2) - math.sqrt(y) + math.log(y)


def test_a_complex_step_walk_keeps_its_imaginary_parts():
    """sin(x)*x at x + ih: the walk's value is mpmath's on the mpc."""
    m = _context(40)
    z = m.mpc(m.mpf(0.5), m.mpf(2) ** -60)
    graph = parse("sin(x)*x")
    got = evaluate_mp(graph, {"x": z}, m, complex_step=True)
    expected = m.sin(z) * z
    assert type(got) is m.mpc and got._mpc_ == expected._mpc_


def test_an_unchanged_node_keeps_its_base_value_and_a_changed_one_is_walked_again():
    m = _context(30)
    graph = parse("sin(x) + y*y")
    at = {"x": m.mpf(1), "y": m.mpf(2)}
    base = evaluate_mp(graph, at, m, every=True)
    y_node = graph.variables[1]
    again = evaluate_mp(graph, {**at, "y": m.mpf(3)}, m, base=base, changed=depends_on(graph, y_node),
                        every=True)
    assert again[graph.output] == m.sin(1) + 9
    sine = graph.arguments[graph.output][0]
    assert again[sine] is base[sine]  # not walked again


# ---------------------------------------------------------------- domains: checked, or skipped if always true

def test_an_entry_defined_everywhere_has_no_check_to_call_and_the_others_keep_theirs():
    """The mpmath walk skips ``inside`` for exactly the entries (and constant forms) of all real numbers."""
    forms = [form for primitive in PRIMITIVES.values()
             for form in (primitive, *(primitive.constant[1:] if primitive.constant else ()))]
    for form in forms:
        assert (id(form) in evaluate_module._EVERYWHERE) == (form.domain == "all real numbers"), form.name
    assert len(evaluate_module._EVERYWHERE) == sum(form.domain == "all real numbers" for form in forms)


@pytest.mark.parametrize("walk", ["float", "mp"])
def test_a_constant_power_has_the_power_rules_domain(walk):
    """x**0.0 is 1 at x = 0 (the constant form's domain: x == 0 and y >= 0); x**y at 0, 0 is outside pow's
    own (x == 0 needs y > 0)."""
    m = _context(30)

    def run(text, point):
        graph = parse(text)
        if walk == "float":
            return evaluate(graph, point)[graph.output]
        return evaluate_mp(graph, {k: m.mpf(v) for k, v in point.items()}, m)
    assert run("x**0.0", {"x": 0.0}) == 1
    with pytest.raises(DomainError) as caught:
        run("x**y", {"x": 0.0, "y": 0.0})
    assert caught.value.message == ("x**y is undefined: x = 0.0, y = 0.0 (needs x > 0, or x == 0 and y > 0, "
                                    "or x < 0 and y an integer)")


@pytest.mark.parametrize("walk", ["float", "mp"])
def test_a_value_outside_the_domain_is_named_and_located(walk):
    m = _context(30)
    graph = parse("2 + log(x - y)")
    point = {"x": 1.0, "y": 1.0}
    with pytest.raises(DomainError) as caught:
        if walk == "float":
            evaluate(graph, point)
        else:
            evaluate_mp(graph, {k: m.mpf(v) for k, v in point.items()}, m)
    assert caught.value.message == "log(x - y) is undefined: x - y = 0.0 (needs x - y > 0)"
    assert caught.value.column == 5


def test_a_complex_steps_domain_is_checked_on_the_real_parts():
    """log at -1 + ih: outside (x > 0) on the real part, which the message shows."""
    m = _context(30)
    graph = parse("log(x)")
    with pytest.raises(DomainError) as caught:
        evaluate_mp(graph, {"x": m.mpc(-1, m.mpf(2) ** -50)}, m, complex_step=True)
    assert caught.value.message == "log(x) is undefined: x = -1.0 (needs x > 0)"
    # sqrt at 4 + ih is inside: the value is mpmath's on the mpc
    z = m.mpc(4, m.mpf(2) ** -50)
    assert evaluate_mp(parse("sqrt(x)"), {"x": z}, m, complex_step=True) == m.sqrt(z)


@pytest.mark.parametrize("text, point, message", [
    ("exp(x) + 1", {"x": 1000.0}, "exp(x) overflows float64: x = 1000.0"),       # math.exp raises
    ("x*y + 1", {"x": 1e200, "y": 1e200}, "x*y overflows float64: x = 1e+200, y = 1e+200"),  # inf, no raise
    ("x**2.0", {"x": 1e200}, "x**2.0 overflows float64: x = 1e+200"),
])
def test_a_float_that_overflows_is_a_domain_error_in_the_users_words(text, point, message):
    with pytest.raises(DomainError) as caught:
        evaluate(parse(text), point)
    assert caught.value.message == message and caught.value.column == 1


def test_an_infinite_mpmath_value_is_refused():
    """inf*2 and (1 + i·inf)*2: no finite real value (an mpc's parts are checked on their raw tuples)."""
    m = _context(30)
    with pytest.raises(DomainError) as caught:
        evaluate_mp(parse("x*2"), {"x": m.inf}, m)
    assert caught.value.message == "x*2 has no finite real value: x = inf"
    with pytest.raises(DomainError) as caught:
        evaluate_mp(parse("x*2"), {"x": m.mpc(1, m.inf)}, m, complex_step=True)
    assert caught.value.message == "x*2 has no finite real value: x = 1.0"  # the real part shown
    with pytest.raises(DomainError) as caught:
        evaluate_mp(parse("x*2"), {"x": m.mpc(m.nan, 1)}, m, complex_step=True)
    assert caught.value.message == "x*2 has no finite real value: x = nan"


# ---------------------------------------------------------------- the backward loop

def test_a_note_that_records_is_told_every_term():
    """FloatAlgebra(record=True) overrides note: it is called once per term (x*y + x: three terms)."""
    graph = parse("x*y + x")
    values = evaluate(graph, {"x": 2.0, "y": 3.0})
    algebra = FloatAlgebra(record=True)
    adjoint = adjoints(graph, values, algebra)
    assert adjoint[graph.variables[0]] == 3.0 + 1.0 and adjoint[graph.variables[1]] == 2.0
    assert len(algebra.terms) == 4  # add: 2 terms, mul: 2 terms


def test_a_subclass_note_is_called_and_a_silent_one_is_not(monkeypatch):
    told = []

    class Telling(NumberAlgebra):
        from diffcli.core.algebra import FLOATS as functions

        def note(self, node, argument, partial, term):
            told.append((node, argument))
    graph = parse("sin(x)*x")
    values = evaluate(graph, {"x": 0.5})
    adjoints(graph, values, Telling())
    assert len(told) == 3

    class Loud(FloatAlgebra):
        pass
    loud = Loud(record=True)
    adjoints(graph, values, loud)
    assert len(loud.terms) == 3


def test_the_mpmath_backward_loop_gives_the_chain_rule_to_the_bit():
    """x*sin(x) + x*y: ∂/∂x = sin(x) + x cos(x) + y, summed in the loop's order (reverse node order)."""
    m = _context(40)
    x, y = m.mpf(0.75), m.mpf(-1.25)
    graph = parse("x*sin(x) + x*y")
    values = evaluate_mp(graph, {"x": x, "y": y}, m, every=True)
    adjoint = adjoints(graph, values, MpAlgebra(m))
    dx = adjoint[graph.variables[0]]
    assert abs(dx - (m.sin(x) + x * m.cos(x) + y)) < m.mpf(10) ** -38
    assert adjoint[graph.variables[1]] == x


# ---------------------------------------------------------------- MpAlgebra.plus on raw tuples

@pytest.mark.parametrize("dps", [15, 30, 60])
@pytest.mark.parametrize("a, b", [(1.0, 2.0 ** -70), (1 / 3, -1 / 3), (0.1, 0.2), (-1e300, 7.0), (0.0, -0.0)])
def test_plus_of_two_mpf_is_mpmaths_own_sum(dps, a, b):
    m = _context(dps)
    total, term = m.mpf(1) / 3 + m.mpf(a), m.mpf(b) / 7  # full-precision operands, rounded when added
    got = MpAlgebra(m).plus(total, term, 0)
    expected = total + term
    assert type(got) is m.mpf and got._mpf_ == expected._mpf_


def test_plus_reads_the_precision_when_it_adds(monkeypatch):
    """Under workprec the sum is rounded to that precision, as mpmath's + rounds it; and it is the raw
    path that adds (mpf_add called once)."""
    m = _context(50)
    algebra = MpAlgebra(m)
    calls = []
    real_add = algebra._mpf_add  # mpmath's, imported when the algebra is made (not with the module)
    monkeypatch.setattr(algebra, "_mpf_add", lambda *args: calls.append(args[2:]) or real_add(*args))
    total, term = m.mpf(1) / 3, m.mpf(2) / 3 * m.mpf(10) ** -20
    with m.workprec(20):
        got = algebra.plus(total, term, 0)
        expected = total + term
    assert got._mpf_ == expected._mpf_ and calls == [(20, "n")]


def test_plus_of_other_kinds_is_their_sum():
    m = _context(30)
    algebra = MpAlgebra(m)
    z = m.mpc(1, 2)
    assert algebra.plus(z, m.mpf(3), 0) == m.mpc(4, 2)
    assert algebra.plus(m.mpf(3), z, 0) == m.mpc(4, 2)
    assert algebra.plus(m.mpf(3), 0.5, 0) == m.mpf(3.5)


# ---------------------------------------------------------------- Functions keeps what it made

def test_a_function_is_made_once_and_kept():
    calls = []
    functions = Functions(lambda primitive, args: calls.append(primitive.name) or primitive.real(*args))
    first = functions.cos
    assert functions.cos is first and "cos" in vars(functions)
    assert first(0.5) == math.cos(0.5) and functions.atan2(1.0, 2.0) == math.atan2(1.0, 2.0)
    assert calls == ["cos", "atan2"]
    with pytest.raises(AttributeError):
        functions.no_such_function  # noqa: B018 (the lookup is what is tested)
    assert "no_such_function" not in vars(functions)


# ---------------------------------------------------------------- the one dependence walk

def _depends_by_definition(graph: Graph, source: int) -> list[bool]:
    """Node n depends on ``source`` if it is ``source`` or one of its arguments does (its definition)."""
    def reaches(node):
        return node == source or any(reaches(a) for a in graph.arguments[node])
    return [reaches(n) for n in range(len(graph))]


def test_dependence_on_one_node_and_on_the_variables():
    graph = parse("sin(x*y) + exp(x)/(1 + x**2) + 3*z - z + log(2.0)")
    for node in range(len(graph)):
        assert depends_on(graph, node) == _depends_by_definition(graph, node)
    everywhere = [any(column) for column in zip(*(_depends_by_definition(graph, v) for v in graph.variables))]
    assert graph.depends_on_variables() == everywhere
    assert graph.depending([]) == [False] * len(graph)


def test_a_kept_dependence_walk_is_handed_out_as_a_copy_and_follows_the_graph_as_it_grows():
    graph = parse("x*y + 1")
    x = graph.variables[0]
    first = depends_on(graph, x)
    first[0] = not first[0]
    assert depends_on(graph, x) == _depends_by_definition(graph, x)  # the kept walk was not changed
    grown = graph.apply("sin", (graph.output,))
    assert len(depends_on(graph, x)) == len(graph) and depends_on(graph, x)[grown]
    assert graph.depends_on_variables()[grown]
