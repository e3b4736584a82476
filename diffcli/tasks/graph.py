"""``graph``: the computation graph as data (drawn as Graphviz dot or mermaid by :mod:`diffcli.render.graph`),
and an image of a dot text made by Graphviz's ``dot`` program.

Every node of the graph the output needs appears once (shared sub-expressions are one node, as in the
hash-consed graph), and every argument-to-node edge once (``x*x`` has one edge from ``x``).  With a point
the forward values are recorded, with ``adjoints=True`` the adjoints ``g`` too (from the same tape as
``trace``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from diffcli.core.errors import DiffcliError, UsageError
from diffcli.core.graph import CONST, VAR
from diffcli.core.printing import format_number

RENDER_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
"""File name endings ``--render`` understands, and the ``dot -T`` format each gives."""

DOT_INSTALL_HINT = ("the 'dot' program of Graphviz is not installed (or not on PATH); install it with "
                    "'apt-get install graphviz' (Debian, Ubuntu), 'brew install graphviz' (macOS) or "
                    "'winget install graphviz' (Windows), or print the dot text without --render and render "
                    "it elsewhere")


def graph_record(expression, point: dict | None = None, adjoints: bool = False) -> dict:
    """The graph as plain data: ``nodes`` (id, name, kind, computes, value, adjoint) in topological order and
    ``edges`` (argument id → node id).

    >>> record = graph_record("a = x*z; sin(a) + a")
    >>> [(n["name"], n["computes"]) for n in record["nodes"]]
    [('x', None), ('z', None), ('a', 'x * z'), ('b', 'sin(a)'), ('y', 'b + a')]
    >>> record["edges"]
    [['n0', 'n2'], ['n1', 'n2'], ['n2', 'n3'], ['n3', 'n4'], ['n2', 'n4']]
    """
    from diffcli.core.evaluate import bind, evaluate
    from diffcli.core.parse import as_graph
    from diffcli.tasks.trace import NodeSymbols, node_names

    graph = as_graph(expression)
    names = node_names(graph)
    needed = graph.reachable([graph.output])
    values = adjoint = None
    if adjoints and point is None:
        raise UsageError("--adjoints needs a point (NAME=VALUE ...)")
    if point is not None:
        bound = bind(graph, point)
        point = dict(zip(graph.variable_names, (float(v) for v in bound)))
        if adjoints:
            from diffcli.methods.reverse import tape

            values, adjoint, _ = tape(graph, point)
        else:
            values = evaluate(graph, point)
    nodes, edges = [], []
    for node in range(graph.output + 1):
        if not needed[node]:
            continue
        op = graph.ops[node]
        kind = "const" if op == CONST else "input" if op == VAR else \
            "output" if node == graph.output else "intermediate"
        entry = {"id": f"n{node}", "name": names.get(node), "kind": kind,
                 "computes": None if op in (CONST, VAR) else NodeSymbols(graph, node, names).computes()[0]}
        if op == CONST:
            entry["name"] = format_number(graph.data[node])
        if values is not None:
            entry["value"] = values[node]
        if adjoint is not None and op != CONST:
            entry["adjoint"] = float(adjoint.get(node, 0.0))
        nodes.append(entry)
        for a in dict.fromkeys(graph.arguments[node]):
            edges.append([f"n{a}", f"n{node}"])
    return {"expression": graph.source, "point": point, "nodes": nodes, "edges": edges}


def render_file(dot_text: str, path: str) -> None:
    """Write ``path`` (.svg, .png or .pdf) by running Graphviz ``dot`` on ``dot_text``.

    Raises UsageError for an unknown ending and DiffcliError (with how to install it) when ``dot`` is
    missing or fails.
    """
    ending = Path(path).suffix.lower()
    if ending not in RENDER_FORMATS:
        raise UsageError(f"--render needs a file ending in {', '.join(RENDER_FORMATS)}, not {path!r}")
    program = shutil.which("dot")
    if program is None:
        raise DiffcliError(DOT_INSTALL_HINT)
    try:
        result = subprocess.run([program, f"-T{RENDER_FORMATS[ending]}", "-o", path], input=dot_text,
                                capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DiffcliError(f"running dot failed: {error}") from None
    if result.returncode != 0:
        first = (result.stderr.strip().splitlines() or ["no message"])[0]
        raise DiffcliError(f"dot could not render {path!r}: {first}")
