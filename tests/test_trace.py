"""``trace``: the lecture's forward values, adjoints and chain-rule terms, node by node."""

import csv
import io
import json

import mpmath
import pytest
from conftest import LECTURE

from diffcli.core.parse import parse
from diffcli.tasks.trace import node_names, trace

M = mpmath.MPContext()
M.dps = 50
X, Z = M.mpf(2), M.mpf(3)
# The lecture's intermediates and adjoints at x=2, z=3, written out by hand (independent of diffcli).
A, B = X * Z, M.log(X)
C = M.sin(B)
LECTURE_ADJOINT = {
    "c": 1 / A,                                                         # g_c = g_f·(1/a)
    "b": -A / B ** 2 + (1 / A) * M.cos(B),                              # g_b = g_e·(−a/b²) + g_c·cos b
    # g_a = g_f·(−c/a²) + g_e·(1/b) + g_d·e^a
    "a": -C / A ** 2 + 1 / B + M.exp(A),
}
LECTURE_ADJOINT["z"] = LECTURE_ADJOINT["a"] * X                         # g_z = g_a·x
LECTURE_ADJOINT["x"] = LECTURE_ADJOINT["a"] * Z + LECTURE_ADJOINT["b"] / X


@pytest.fixture(scope="module")
def lecture():
    return trace(LECTURE, {"x": 2, "z": 3})


def by_computes(record):
    return {n["computes"] or n["name"]: n for n in record["nodes"]}


def test_lecture_names_and_order(lecture):
    """Intermediates skip e and f: e is the constant, f the expression (∂f/∂x)."""
    assert [(n["name"], n["computes"]) for n in lecture["nodes"]] == [
        ("x", None), ("z", None), ("a", "x * z"), ("b", "log(x)"), ("c", "sin(b)"), ("d", "c / a"),
        ("g", "a / b"), ("h", "exp(a)"), ("i", "h + g"), ("y", "i + d")]


@pytest.mark.parametrize("text, clash", [
    ("e*x + sin(x)*cos(x)*x/(x+1)", "e"), ("a = x*x; b = a*x; c = b*x; d = c*x; d*x*x*x", "f"),
    ("*".join(["x"] * 500), "pi"), ("*".join(["x"] * 500), "ln"),  # two-letter names come after z
])
def test_intermediates_never_take_a_name_of_the_language(text, clash):
    """trace used to call its fifth and sixth intermediates e and f: the constant e, and the f of ∂f/∂x."""
    names = set(node_names(parse(text)).values())
    assert clash not in names
    assert not names & {"e", "f", "pi", "tau", "exp", "log", "ln", "sin", "min", "max", "abs", "step"}


def test_lecture_adjoint_equations(lecture):
    """The lecture's g_c, g_b, g_a, g_z: the same terms (its f = c/a is our d, its e = a/b our g, its
    d = e^a our h)."""
    nodes = {n["name"]: n for n in lecture["nodes"]}
    assert nodes["c"]["equation"] == "g_c = g_d·(1 / a)"
    assert nodes["b"]["equation"] == "g_b = g_g·(-(a / b / b)) + g_c·cos(b)"
    assert nodes["a"]["equation"] == "g_a = g_h·exp(a) + g_g·(1 / b) + g_d·(-(c / a / a))"
    assert nodes["z"]["equation"] == "g_z = g_a·x"
    assert nodes["x"]["equation"] == "g_x = g_b·(1 / x) + g_a·z"
    partials = {(name, t["from"]): t["partial_value"] for name, n in nodes.items() for t in n["terms"]}
    expected = {("c", "d"): 1 / A, ("b", "g"): -A / B ** 2, ("b", "c"): M.cos(B), ("a", "h"): M.exp(A),
                ("a", "g"): 1 / B, ("a", "d"): -C / A ** 2, ("z", "a"): X, ("x", "a"): Z, ("x", "b"): 1 / X}
    assert set(partials) >= set(expected)
    for key, value in expected.items():
        assert abs(partials[key] - value) <= 1e-15 * abs(value), key
    for name, value in LECTURE_ADJOINT.items():
        assert abs(nodes[name]["adjoint"] - value) <= 1e-14 * abs(value), name
        assert (sum(t["value"] for t in nodes[name]["terms"])
                == pytest.approx(nodes[name]["adjoint"], rel=1e-15, abs=0))


def test_lecture_gradient_matches_the_reference(lecture):
    for name in ("x", "z"):
        truth = M.mpf(lecture["reference"]["gradient"][name])
        assert abs(lecture["gradient"][name] - truth) / truth <= 1e-14
        assert abs(LECTURE_ADJOINT[name] - truth) / truth < 1e-45  # the hand derivation is the reference
        assert lecture["rel_error"][name] < 1e-14


def test_forward_values(lecture):
    nodes = by_computes(lecture)
    assert nodes["x * z"]["value"] == 6.0
    assert nodes["sin(b)"]["value"] == pytest.approx(float(C), rel=1e-16, abs=0)
    assert lecture["nodes"][-1]["kind"] == "output" and lecture["nodes"][-1]["adjoint"] == 1.0


def test_program_names_are_used_and_letters_avoid_clashes():
    record = trace("a = x*z; b = log(x); exp(a) + a/b + sin(b)/a", {"x": 2, "z": 3})
    names = [n["name"] for n in record["nodes"]]
    assert names[:4] == ["x", "z", "a", "b"]
    assert len(set(names)) == len(names) and names[-1] == "y"
    graph = parse("c = sin(a) * y; c + exp(c)")  # 'y' is a variable: the output takes the next free letter
    assigned = node_names(graph)
    assert assigned[graph.output] not in ("a", "c", "y") and len(set(assigned.values())) == len(assigned)


def test_constants_are_inline_and_unused_inputs_have_zero_adjoint():
    record = trace("u = w; 2*x**3", {"x": 2.0, "w": 1.0})
    nodes = {n["name"]: n for n in record["nodes"]}
    assert nodes["w"]["adjoint"] == 0.0 and nodes["w"]["equation"] == "g_w = 0"
    assert record["gradient"] == {"w": 0.0, "x": 24.0}
    assert [n["computes"] for n in record["nodes"] if n["kind"] != "input"] == ["x**3", "2 * a"]


def test_trace_cli_table(cli):
    code, out, err = cli("trace", LECTURE, "x=2", "z=3")
    assert code == 0 and err == ""
    assert "g_b = g_g·(-(a / b / b)) + g_c·cos(b)" in out
    assert "1208.3812151266095" in out and "rel error" in out


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "markdown", "latex"])
def test_trace_cli_formats(cli, fmt):
    code, out, _ = cli("trace", "a = x*z; sin(a)", "x=2", "z=0.5", "--format", fmt)
    assert code == 0
    if fmt in ("json", "jsonl"):
        assert json.loads(out)["nodes"][2]["equation"] == "g_a = g_y·cos(a)"
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [r["node"] for r in rows] == ["x", "z", "a", "y"] and rows[0]["equation"] == "g_x = g_a·z"
    elif fmt == "markdown":
        assert "| a " in out and "g_a = g_y·cos(a)" in out
    else:
        assert r"$g_{a} = g_{y} \cdot \cos\left(a\right)$" in out


def test_trace_errors(cli):
    code, _, err = cli("trace", "sqrt(-x)", "x=1")  # f itself is undefined: nothing to trace
    assert code == 2 and err.count("\n") == 1 and "sqrt(-x) is undefined" in err
    code, _, err = cli("trace", "x*y", "x=1")
    assert code == 2 and "no value for variable 'y'" in err


def test_a_partial_whose_rule_cannot_be_evaluated_leaves_the_rest_of_the_tape_standing():
    # (-x)**z at x=2, z=3: f = (-2)**3 = -8 and ∂f/∂x = -z·(-x)**(z-1) = -3·4 = -12, while pow's partial in
    # its exponent is log(-2)·f, which has no real value: only g_z is undefined, as in the reverse method.
    record = trace("(-x)**z", {"x": 2.0, "z": 3.0})
    assert record["value"] == -8.0 and record["gradient"] == {"x": -12.0, "z": None}
    assert record["errors"]["z"].startswith("no derivative: f is undefined on both sides of z = 3.0")
    nodes = {n["name"]: n for n in record["nodes"]}
    assert nodes["x"]["adjoint"] == -12.0 and nodes["a"]["adjoint"] == 12.0 and nodes["z"]["adjoint"] is None
    (term,) = nodes["z"]["terms"]
    assert term["partial_value"] is None and term["value"] is None and term["from_adjoint"] == 1.0
    assert "the partial derivative of (-x)**z in z is undefined" in term["error"]
    assert record["rel_error"]["z"] is None and record["rel_error"]["x"] < 1e-15


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown", "latex"])
def test_every_format_says_why_a_partial_is_undefined(cli, fmt):
    # sqrt(x) at 0: f = 0, and the rule 0.5/sqrt(x) divides by zero.
    code, out, _ = cli("trace", "sqrt(x)", "x=0", "-f", fmt)
    assert code == 0 and "undefined" in out
    said = "the partial derivative of sqrt(x) in x is undefined" if fmt == "csv" else \
        "the partial derivative of sqrt(x) in x is undefined: x = 0.0"
    assert said in out.replace("\n    ", " ")
