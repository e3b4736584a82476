"""Rendering of ``graph`` records (see :func:`diffcli.tasks.graph.graph_record`): dot and mermaid drawings, or the
node list in the shared formats."""

from __future__ import annotations

from diffcli.render.base import as_json, csv_text, number, tabulate


def render(record: dict, fmt: str = "dot") -> str:
    from diffcli.tasks.graph import to_dot, to_mermaid

    if fmt == "dot":
        return to_dot(record)
    if fmt == "mermaid":
        return to_mermaid(record)
    text = as_json(record, fmt)
    if text is not None:
        return text
    inputs: dict[str, list] = {}
    names = {n["id"]: n["name"] for n in record["nodes"]}
    for a, b in record["edges"]:
        inputs.setdefault(b, []).append(names[a])
    headers = ["node", "kind", "computes", "inputs", "value", "adjoint"]
    rows = [[n["name"], n["kind"], n["computes"] or "", ", ".join(inputs.get(n["id"], [])),
             number(n.get("value")), number(n.get("adjoint"))] for n in record["nodes"]]
    if fmt == "csv":
        return csv_text(headers, rows)
    return tabulate(headers, rows, fmt)
