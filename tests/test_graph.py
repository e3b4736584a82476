"""``graph``: dot and mermaid drawings of the computation graph; every node and edge exactly once."""

import json
import re
import shutil
import subprocess

import pytest
from conftest import LECTURE

from diffcli.core.parse import parse
from diffcli.render.graph import to_dot, to_mermaid
from diffcli.tasks.graph import graph_record

HAS_DOT = shutil.which("dot") is not None
EXPRESSIONS = [LECTURE, "x*x + 2*x**3 - x", "a = x*z; b = a*a; sqrt(b) / (1 + exp(-a))",
               "min(x, y, 2) + abs(x)"]


def graph_facts(text):
    """The graph's nodes (needed by the output) and its distinct argument→node edges, from the Graph."""
    graph = parse(text)
    needed = graph.reachable([graph.output])
    nodes = {f"n{n}" for n in range(len(graph)) if needed[n]}
    edges = {(f"n{a}", f"n{n}") for n in range(len(graph)) if needed[n] for a in graph.args(n)}
    return nodes, edges


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_dot_has_every_node_and_edge_once(text):
    dot = to_dot(graph_record(text))
    nodes, edges = graph_facts(text)
    declared = re.findall(r"^  (n\d+) \[", dot, flags=re.M)
    drawn = re.findall(r"^  (n\d+) -> (n\d+);$", dot, flags=re.M)
    assert sorted(declared) == sorted(nodes) and len(declared) == len(set(declared))
    assert sorted(drawn) == sorted(edges) and len(drawn) == len(set(drawn))


@pytest.mark.parametrize("text", EXPRESSIONS)
@pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")
def test_dot_is_accepted_by_graphviz(text):
    dot = to_dot(graph_record(text, {"x": 0.5, "y": 0.25, "z": 3.0}
                              if "y" in text else {"x": 2.0, "z": 3.0}, adjoints=True))
    result = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("<?xml") and "<svg" in result.stdout
    nodes, edges = graph_facts(text)
    assert result.stdout.count('class="node"') == len(nodes)
    assert result.stdout.count('class="edge"') == len(edges)


MERMAID_LINE = re.compile(
    r'^  (?:'
    r'(?P<id>n\d+)(?:\["(?P<box>[^"]*)"\]|\(\["(?P<stadium>[^"]*)"\]\)|\[/"(?P<para>[^"]*)"/\])'
    r'|(?P<a>n\d+) --> (?P<b>n\d+))$')


def check_mermaid(text):
    """A syntax check of the flowchart subset diffcli writes: a header, then node shapes with quoted
    labels (no raw quote, '<' or '>' but in <br/>), then edges between declared nodes."""
    lines = text.split("\n")
    assert lines[0] == "flowchart LR"
    declared, edges = [], []
    for line in lines[1:]:
        match = MERMAID_LINE.match(line)
        assert match, f"not valid mermaid (for this subset): {line!r}"
        if match["id"]:
            label = match["box"] or match["stadium"] or match["para"]
            assert (label and re.sub(r"<br/>", "", label).count("<") == 0
                    and ">" not in label.replace("<br/>", ""))
            declared.append(match["id"])
        else:
            assert match["a"] in declared and match["b"] in declared, "edge before its nodes"
            edges.append((match["a"], match["b"]))
    return declared, edges


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_mermaid_syntax_and_every_node_and_edge_once(text):
    declared, edges = check_mermaid(to_mermaid(graph_record(text)))
    nodes, graph_edges = graph_facts(text)
    assert sorted(declared) == sorted(nodes) and len(declared) == len(set(declared))
    assert sorted(edges) == sorted(graph_edges) and len(edges) == len(set(edges))


def test_lecture_conventions():
    record = graph_record(LECTURE, {"x": 2.0, "z": 3.0}, adjoints=True)
    dot = to_dot(record)
    assert 'n2 [label="x * z\\n= 6\\ng = 404.854", xlabel="a"];' in dot
    assert 'n0 [label="x\\n= 2\\ng = 1208.38", shape=ellipse];' in dot
    assert "->" in dot and "label=" not in "".join(line for line in dot.splitlines() if "->" in line)
    mermaid = to_mermaid(record)
    assert '  n3["b = log(x)<br/>= 0.693147<br/>g = -12.36"]' in mermaid


def test_values_need_no_adjoints_and_adjoints_need_a_point(cli):
    record = graph_record("x*z", {"x": 2.0, "z": 3.0})
    assert [n.get("value") for n in record["nodes"]] == [2.0, 3.0, 6.0]
    assert all("adjoint" not in n for n in record["nodes"])
    code, _, err = cli("graph", "x*z", "--adjoints")
    assert code == 2 and "--adjoints needs a point" in err


def test_graph_cli_formats(cli):
    code, out, _ = cli("graph", "x*z + x")
    assert code == 0 and out.startswith("digraph diffcli {")
    code, out, _ = cli("graph", "x*z + x", "--format", "mermaid")
    assert code == 0 and out.startswith("flowchart LR")
    code, out, _ = cli("graph", "x*z + x", "x=1", "z=2", "--format", "json")
    record = json.loads(out)
    assert [n["name"] for n in record["nodes"]] == ["x", "z", "a", "y"] and len(record["edges"]) == 4
    code, out, _ = cli("graph", "x*z + x", "--format", "table")
    assert "intermediate" in out and "x, z" in out


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")
def test_render_writes_an_svg(cli, tmp_path):
    target = tmp_path / "lecture.svg"
    code, out, err = cli("graph", LECTURE, "x=2", "z=3", "--adjoints", "--render", str(target))
    assert code == 0 and out == "" and err == ""
    assert "<svg" in target.read_text()


def test_render_without_dot_says_how_to_get_it(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("diffcli.tasks.graph.shutil.which", lambda name: None)
    code, out, err = cli("graph", "x*z", "--render", str(tmp_path / "g.svg"))
    assert code == 2 and out == ""
    assert "apt-get install graphviz" in err and err.count("\n") == 1


def test_render_needs_a_known_ending(cli, tmp_path):
    code, _, err = cli("graph", "x*z", "--render", str(tmp_path / "g.gif"))
    assert code == 2 and ".svg" in err
