"""Domains and kinks of the primitive table at their edges.

Every ``inside`` predicate is tried at its boundary, just inside and just outside it (the neighbouring
doubles, from ``math.nextafter``), and every point outside is refused with the message that names the
function, the arguments and the domain — in the float evaluation, in the mpmath reference and on the
command line.  The expected domains are written out here, not read from the table, so a changed
boundary fails a test even where only the message would change.
"""

import math

import mpmath
import pytest

from diffcli.core.errors import DomainError, PrecisionError
from diffcli.core.evaluate import evaluate
from diffcli.core.parse import parse
from diffcli.core.primitives import PRIMITIVES
from diffcli.reference import reference

M = mpmath.MPContext()
M.dps = 40

TINY = 5e-324  # the smallest positive double


def below(v: float) -> float:
    return math.nextafter(v, -math.inf)


def above(v: float) -> float:
    return math.nextafter(v, math.inf)


# The domain of each primitive that has one, as its message states it, and its value in mpmath.
DOMAINS = {
    "div": ("y != 0", lambda x, y: x / y),
    "pow": ("x > 0, or x == 0 and y > 0, or x < 0 and y an integer", lambda x, y: M.power(x, y)),
    "log": ("x > 0", M.log),
    "log2": ("x > 0", lambda x: M.log(x, 2)),
    "log10": ("x > 0", M.log10),
    "log1p": ("x > -1", M.log1p),
    "sqrt": ("x >= 0", M.sqrt),
    "asin": ("-1 <= x <= 1", M.asin),
    "acos": ("-1 <= x <= 1", M.acos),
    "acosh": ("x >= 1", M.acosh),
    "atanh": ("-1 < x < 1", M.atanh),
}

# (primitive, arguments, inside?): at the boundary, the neighbouring doubles on each side.
EDGES = [
    ("div", (1.0, 0.0), False), ("div", (1.0, -0.0), False), ("div", (TINY, TINY), True),
    ("div", (TINY, -TINY), True),
    ("pow", (0.0, 0.0), False),  # 0**0: no derivative in y (log 0), so outside, like 0**-1
    ("pow", (0.0, TINY), True), ("pow", (0.0, -TINY), False), ("pow", (0.0, 1.0), True),
    ("pow", (0.0, -1.0), False),
    ("pow", (TINY, 0.5), True), ("pow", (TINY, -0.5), True),
    ("pow", (-8.0, 1.0), True), ("pow", (-8.0, above(1.0)), False), ("pow", (-8.0, below(1.0)), False),
    ("pow", (-8.0, 1 / 3), False), ("pow", (-TINY, 2.0), True), ("pow", (-TINY, 0.5), False),
    *[(name, (0.0,), False) for name in ("log", "log2", "log10")],
    *[(name, (TINY,), True) for name in ("log", "log2", "log10")],
    *[(name, (-TINY,), False) for name in ("log", "log2", "log10")],
    ("log1p", (-1.0,), False), ("log1p", (above(-1.0),), True), ("log1p", (below(-1.0),), False),
    ("sqrt", (0.0,), True), ("sqrt", (-0.0,), True), ("sqrt", (TINY,), True), ("sqrt", (-TINY,), False),
    *[(name, (edge,), True) for name in ("asin", "acos") for edge in (-1.0, 1.0, above(-1.0), below(1.0))],
    *[(name, (edge,), False) for name in ("asin", "acos") for edge in (below(-1.0), above(1.0))],
    ("acosh", (1.0,), True), ("acosh", (above(1.0),), True), ("acosh", (below(1.0),), False),
    ("atanh", (-1.0,), False), ("atanh", (1.0,), False), ("atanh", (above(-1.0),), True),
    ("atanh", (below(1.0),), True), ("atanh", (below(-1.0),), False), ("atanh", (above(1.0),), False),
]


def text_of(name: str) -> str:
    primitive = PRIMITIVES[name]
    if primitive.symbol:
        return f"x {primitive.symbol} y"
    return f"{name}({', '.join('xy'[:primitive.arity])})"


def point_of(name: str, args) -> dict:
    return dict(zip("xy", args))


def test_every_restricted_domain_has_its_edges_here():
    restricted = {name for name, p in PRIMITIVES.items() if p.domain != "all real numbers"}
    assert restricted == set(DOMAINS)
    assert {name for name, _, _ in EDGES} == restricted
    for name in restricted:
        assert {inside for n, _, inside in EDGES if n == name} == {True, False}, name


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_the_domain_text_is_the_one_stated(name):
    assert PRIMITIVES[name].domain == DOMAINS[name][0]


@pytest.mark.parametrize("name, args, inside", EDGES, ids=[f"{n}{a}" for n, a, _ in EDGES])
def test_inside_at_the_edge(name, args, inside):
    assert PRIMITIVES[name].inside(*args) is inside


@pytest.mark.parametrize("name, args", [(n, a) for n, a, inside in EDGES if inside],
                         ids=[f"{n}{a}" for n, a, inside in EDGES if inside])
def test_just_inside_the_value_is_mpmaths(name, args):
    graph = parse(text_of(name))
    value = evaluate(graph, point_of(name, args))[graph.output]
    truth = DOMAINS[name][1](*[M.mpf(v) for v in args])
    assert value == pytest.approx(float(truth), rel=4e-16, abs=1e-320), (name, args, value, truth)


@pytest.mark.parametrize("name, args", [(n, a) for n, a, inside in EDGES if not inside],
                         ids=[f"{n}{a}" for n, a, inside in EDGES if not inside])
def test_outside_is_refused_with_the_domain_in_the_message(name, args):
    graph = parse(text_of(name))
    shown = ", ".join(repr(float(v)) for v in args)
    with pytest.raises(DomainError) as error:
        evaluate(graph, point_of(name, args))
    assert error.value.message == f"{name} is undefined at ({shown}) (needs {DOMAINS[name][0]})"
    assert error.value.column == 1
    # the reference checks the same domain in mpmath, and says so
    with pytest.raises(PrecisionError) as error:
        reference(graph, point_of(name, args), digits=20)
    assert f"{name} is undefined here (needs {DOMAINS[name][0]})" in error.value.message


def test_zero_to_the_zero_on_the_command_line(cli):
    code, out, err = cli("compare", "x**y", "x=0", "y=0")
    assert code == 2 and out == ""
    assert err.startswith("diffcli: error: column 1: pow is undefined at (0.0, 0.0) (needs x > 0, or x == 0 "
                          "and y > 0, or x < 0 and y an integer)")


@pytest.mark.parametrize("name", sorted(n for n, p in PRIMITIVES.items() if p.domain == "all real numbers"))
def test_functions_of_all_real_numbers_are_inside_everywhere(name):
    extremes = (-1e308, -1.0, -TINY, -0.0, 0.0, TINY, 1.0, 1e308)
    for x in extremes:
        args = (x,) if PRIMITIVES[name].arity == 1 else (x, -x)
        assert PRIMITIVES[name].inside(*args) is True, (name, args)


# ---------------------------------------------------------------- kinks

KINKS = {  # where each non-differentiable primitive has its kink, and the doubles beside it
    "abs": [((0.0,), True), ((-0.0,), True), ((TINY,), False), ((-TINY,), False)],
    "relu": [((0.0,), True), ((TINY,), False), ((-TINY,), False)],
    "sign": [((0.0,), True), ((TINY,), False), ((-TINY,), False)],
    "step": [((0.0,), True), ((TINY,), False), ((-TINY,), False)],
    "min": [((1.5, 1.5), True), ((1.5, above(1.5)), False), ((1.5, below(1.5)), False)],
    "max": [((1.5, 1.5), True), ((1.5, above(1.5)), False), ((1.5, below(1.5)), False)],
}


def test_every_kink_has_its_edges_here():
    assert {name for name, p in PRIMITIVES.items() if p.kink is not None} == set(KINKS)


@pytest.mark.parametrize("name, args, at_kink", [(n, a, k) for n, cases in KINKS.items() for a, k in cases])
def test_kink_at_and_beside(name, args, at_kink):
    assert bool(PRIMITIVES[name].kink(*args)) is at_kink
