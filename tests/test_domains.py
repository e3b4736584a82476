"""Domains and kinks of the primitive table at their edges.

Every ``inside`` predicate is tried at its boundary, just inside and just outside it (the neighbouring
doubles, from ``math.nextafter``), and every point outside is refused with the message that names the
sub-expression as the user wrote it, its arguments' values and the domain in terms of those arguments —
in the float evaluation, in the mpmath reference and on the command line.  The expected domains are
written out here, not read from the table, so a changed boundary fails a test even where only the message
would change.
"""

import math
import re

import mpmath
import pytest

from diffcli.core.errors import DomainError, PrecisionError
from diffcli.core.evaluate import evaluate, evaluate_mp
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


# The arguments are named u and v, not the table's parameter names x and y: a message must say u and v.
def text_of(name: str) -> str:
    primitive = PRIMITIVES[name]
    if primitive.symbol:
        return f"u {primitive.symbol} v"
    return f"{name}({', '.join('uv'[:primitive.arity])})"


def point_of(name: str, args) -> dict:
    return dict(zip("uv", args))


def in_user_words(name: str) -> str:
    """The domain as written out above, with u and v in place of x and y."""
    return re.sub(r"\b[xy]\b", lambda m: {"x": "u", "y": "v"}[m.group()], DOMAINS[name][0])


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

    def expected(values):
        shown = ", ".join(f"{n} = {float(v)!r}" for n, v in zip("uv", values))
        return f"{text_of(name)} is undefined: {shown} (needs {in_user_words(name)})"
    with pytest.raises(DomainError) as error:
        evaluate(graph, point_of(name, args))
    assert error.value.message == expected(args)
    assert error.value.column == 1
    # the reference checks the same domain in mpmath, and says it in the same words (mpmath has no -0.0)
    with pytest.raises(PrecisionError) as error:
        reference(graph, point_of(name, args), digits=20)
    assert expected([M.mpf(v) for v in args]) in error.value.message
    at = {n: M.mpf(v) for n, v in point_of(name, args).items()}
    with pytest.raises(DomainError) as error:
        evaluate_mp(graph, at, M)
    assert error.value.message == expected(at.values()) and error.value.column == 1


def test_zero_to_the_zero_on_the_command_line(cli):
    code, out, err = cli("compare", "x**y", "x=0", "y=0")
    assert code == 2 and out == ""
    assert err.startswith("diffcli: error: column 1: x**y is undefined: x = 0.0, y = 0.0 (needs x > 0, or "
                          "x == 0 and y > 0, or x < 0 and y an integer)")


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
    # atan2(y, x) on its branch cut y = 0, x < 0 (π just above, −π just below); not on the positive x-axis,
    # and not at the origin, where its partials have no value at all
    "atan2": [((0.0, -1.0), True), ((-0.0, -1e-300), True), ((TINY, -1.0), False), ((-TINY, -1.0), False),
              ((0.0, 1.0), False), ((0.0, -0.0), False), ((0.0, 0.0), False)],
}


def test_every_kink_has_its_edges_here():
    assert {name for name, p in PRIMITIVES.items() if p.kink is not None} == set(KINKS)


@pytest.mark.parametrize("name, args, at_kink", [(n, a, k) for n, cases in KINKS.items() for a, k in cases])
def test_kink_at_and_beside(name, args, at_kink):
    assert bool(PRIMITIVES[name].kink(*args)) is at_kink


def test_atan2_on_its_branch_cut_is_a_kink_with_the_right_derivative():
    """atan2(y, -1) is π − y + … for y > 0 and −π − y + … for y < 0: at y = 0 it jumps, so the output warns
    and the reference is the slope as y increases, ∂/∂y = x/(x² + y²) = −1 (f is π along x there: ∂/∂x = 0);
    the rules give the same.  Before atan2 had a kink, nothing said that f jumps there."""
    from diffcli.api import compare

    record = compare("atan2(y, x)", {"x": -1.0, "y": 0.0}, methods=["reverse", "fd-forward"], timing=False)
    assert record["warnings"] == ["atan2(0.0, -1.0) is at its kink: not differentiable there; the methods "
                                  "use the right derivative of each function and the reference the right "
                                  "derivative in each variable"]
    assert record["reference"]["gradient"] == {"y": "-1.0", "x": "0"}
    assert [row["gradient"]["y"] for row in record["methods"]] == [-1.0, -1.0]


# ---------------------------------------------------------------- errors in the user's words

@pytest.mark.parametrize("text, point, message", [
    # the example: no y (the table's parameter) and no x (a different variable) in the message
    ("x + 1/(z-3)", {"x": 1, "z": 3}, "1/(z-3) is undefined: z-3 = 0.0 (needs z-3 != 0)"),
    ("log(z)", {"z": -1}, "log(z) is undefined: z = -1.0 (needs z > 0)"),
    ("a = z - 3; b = 1/a; b + x", {"x": 1, "z": 3}, "1/a is undefined: a = 0.0 (needs a != 0)"),
    ("(-u)**v", {"u": 2, "v": 0.5}, "(-u)**v is undefined: -u = -2.0, v = 0.5 (needs -u > 0, or -u == 0 and "
                                    "v > 0, or -u < 0 and v an integer)"),
    ("w**w", {"w": -0.5}, "w**w is undefined: w = -0.5 (needs w > 0, or w == 0 and w > 0, or w < 0 and w an "
                          "integer)"),
    ("sqrt(u^2 - 4)", {"u": 1}, "sqrt(u^2 - 4) is undefined: u^2 - 4 = -3.0 (needs u^2 - 4 >= 0)"),
    ("exp(u) * 2", {"u": 1000}, "exp(u) overflows float64: u = 1000.0"),
])
def test_a_domain_error_names_what_the_user_wrote(text, point, message):
    graph = parse(text)
    with pytest.raises(DomainError) as error:
        evaluate(graph, point)
    assert error.value.message == message
    if "overflows" in message:  # a float64 limit, not a domain: mpmath has a value
        return
    with pytest.raises(DomainError) as error:  # the reference's path says the same
        evaluate_mp(graph, {n: M.mpf(v) for n, v in point.items()}, M)
    assert error.value.message == message


def test_the_column_still_points_at_the_failing_sub_expression(cli):
    code, out, err = cli("compare", "x + 1/(z-3)", "x=1", "z=3")
    assert code == 2 and out == ""
    line = err.splitlines()[-1] if "error" in err else err
    assert "diffcli: error: column 5: 1/(z-3) is undefined: z-3 = 0.0 (needs z-3 != 0)" in line
    assert " y " not in line and "(needs y" not in line and "x" not in line.split("error:", 1)[1]


def test_a_long_sub_expression_is_cut_with_an_ellipsis():
    inner = " + ".join(f"u*{k}" for k in range(1, 30))
    with pytest.raises(DomainError) as error:
        evaluate(parse(f"log({inner} - u*435)"), {"u": 1.0})
    message = error.value.message
    assert message.startswith("log(u*1 + u*2 + u*3 + u*4 + u*5 + u*6 +… is undefined: u*1 + u*2")
    assert message.count("…") == 3 and len(message) < 200


def test_a_sub_expression_built_without_text_is_printed_with_the_program_names():
    """A derivative's nodes were never written by the user: they are printed, with the program's names."""
    graph = parse("a = x - 1; b = a**z; b")
    with pytest.raises(DomainError) as error:
        evaluate(graph, {"x": 1.0, "z": 0.0})
    assert error.value.message.startswith("a**z is undefined: a = 0.0, z = 0.0 (needs a > 0,")


@pytest.mark.parametrize("text, message", [
    ("log(-1) + x", "log(-1) is undefined (needs -1 > 0)"),
    ("x + 1/(3-3)", "1/(3-3) is undefined: 3-3 = 0.0 (needs 3-3 != 0)"),
    ("exp(1000) + x", "exp(1000) overflows float64"),
])
def test_a_constant_that_cannot_be_folded_is_quoted(text, message):
    with pytest.raises(DomainError) as error:
        parse(text)
    assert error.value.message == message


def test_long_texts_in_messages_are_cut_at_shown_chars():
    """A text up to SHOWN_CHARS characters is kept whole; one more and it is cut to SHOWN_CHARS − 1
    characters and an ellipsis: SHOWN_CHARS in all."""
    from diffcli.core.domains import SHOWN_CHARS, shorten

    assert shorten("a" * SHOWN_CHARS) == "a" * SHOWN_CHARS
    assert shorten("a" * (SHOWN_CHARS + 1)) == "a" * (SHOWN_CHARS - 1) + "…"
