"""The view of ``graph`` records (see :func:`diffcli.tasks.graph.graph_record`): Graphviz dot and mermaid
drawings, or the node list in the shared formats.

The drawings follow the lecture: one rectangle per intermediate variable, labelled inside with what it
computes and outside with the variable's name (dot's ``xlabel``; mermaid has no outside labels, so there
the name leads the inside label: ``a = x * z``), inputs as ellipses, constants as plain numbers, directed
edges without labels from each argument to the node that uses it; with a point the forward values, with
adjoints the ``g`` too.  Labels contain only names the graph produced, numbers and operator symbols; they
are escaped anyway.
"""

from __future__ import annotations

from functools import partial

from diffcli.render.base import Table, View, number
from diffcli.render.base import render as render_view


def view(record: dict) -> View:
    """A ``graph`` record: ``dot`` and ``mermaid`` draw it; the other formats list its nodes."""
    return View(record, body=lambda: [_nodes_table(record)],
                documents={"dot": partial(to_dot, record), "mermaid": partial(to_mermaid, record)})


def render(record: dict, fmt: str = "dot") -> str:
    """Render a ``graph`` record in format ``fmt`` (see :func:`view`)."""
    return render_view(view(record), fmt)


def _nodes_table(record: dict) -> Table:
    inputs: dict[str, list] = {}
    names = {n["id"]: n["name"] for n in record["nodes"]}
    for a, b in record["edges"]:
        inputs.setdefault(b, []).append(names[a])
    headers = ["node", "kind", "computes", "inputs", "value", "adjoint"]
    rows = [[n["name"], n["kind"], n["computes"] or "", ", ".join(inputs.get(n["id"], [])),
             number(n.get("value")), number(n.get("adjoint"))] for n in record["nodes"]]
    return Table(headers, rows)


def _numbers(node: dict) -> list[str]:
    lines = []
    if "value" in node and node["kind"] != "const":
        lines.append(f"= {node['value']:.6g}")
    if "adjoint" in node:
        lines.append(f"g = {node['adjoint']:.6g}")
    return lines


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(record: dict) -> str:
    """Graphviz dot text of a :func:`graph_record`."""
    lines = ["digraph diffcli {", "  rankdir=LR;", "  forcelabels=true;",
             '  node [shape=box, fontname="Helvetica"];', '  edge [arrowsize=0.7];']
    for node in record["nodes"]:
        if node["kind"] == "const":
            attributes = f"label={_dot_string(node['name'])}, shape=plaintext"
        elif node["kind"] == "input":
            attributes = f"label={_dot_string(chr(10).join([node['name'], *_numbers(node)]))}, shape=ellipse"
        else:
            attributes = (f"label={_dot_string(chr(10).join([node['computes'], *_numbers(node)]))}, "
                          f"xlabel={_dot_string(node['name'])}")
        lines.append(f"  {node['id']} [{attributes}];")
    lines += [f"  {a} -> {b};" for a, b in record["edges"]]
    lines.append("}")
    return "\n".join(lines)


def _mermaid_string(text: str) -> str:
    escaped = text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return '"' + escaped.replace("\n", "<br/>") + '"'


def to_mermaid(record: dict) -> str:
    """Mermaid flowchart text of a :func:`graph_record` (the name leads the label: no outside labels)."""
    lines = ["flowchart LR"]
    for node in record["nodes"]:
        if node["kind"] == "const":
            lines.append(f"  {node['id']}[/{_mermaid_string(node['name'])}/]")
        elif node["kind"] == "input":
            label = "\n".join([node["name"], *_numbers(node)])
            lines.append(f"  {node['id']}([{_mermaid_string(label)}])")
        else:
            label = "\n".join([f"{node['name']} = {node['computes']}", *_numbers(node)])
            lines.append(f"  {node['id']}[{_mermaid_string(label)}]")
    lines += [f"  {a} --> {b}" for a, b in record["edges"]]
    return "\n".join(lines)
