"""Rendering of ``trace`` records (see :func:`diffcli.tasks.trace.trace`)."""

from __future__ import annotations

from diffcli.render.base import as_json, csv_text, error_number, number, tabulate

HEADERS = ["node", "computes", "value", "adjoint g", "chain rule", "terms"]


def render(record: dict, fmt: str = "table") -> str:
    """Render a ``trace`` record: one row per node, inputs first, the output last."""
    from diffcli.tasks.trace import numbers

    text = as_json(record, fmt)
    if text is not None:
        return text
    if fmt == "csv":
        return csv_text(["node", "kind", "computes", "value", "adjoint", "equation", "terms"],
                        [[n["name"], n["kind"], n["computes"] or "", repr(n["value"]), repr(n["adjoint"]),
                          n["equation"], numbers(n, 17)] for n in record["nodes"]])
    if fmt == "latex":
        rows = [[f"${n['name']}$", f"${n['computes_latex']}$" if n["computes_latex"] else "input",
                 number(n["value"]), number(n["adjoint"]), f"${n['equation_latex']}$"] for n in record["nodes"]]
        return tabulate(HEADERS[:5], rows, "latex_raw")
    rows = [[n["name"], n["computes"] or "input", number(n["value"]), number(n["adjoint"]), n["equation"],
             ("= " + numbers(n)) if n["terms"] else ""] for n in record["nodes"]]
    if fmt == "markdown":
        rows = [[cell.replace("|", "\\|") for cell in row] for row in rows]
        return tabulate(HEADERS, rows, fmt)
    point = ", ".join(f"{k}={v!r}" for k, v in record["point"].items())
    lines = [f"f = {record['expression']}", f"at {point}:  f = {record['value']!r}", "",
             tabulate(HEADERS, rows, fmt), ""]
    reference = record["reference"]
    if reference.get("error"):
        lines.append(f"reference: {reference['error']}")
    else:
        for name, value in record["gradient"].items():
            lines.append(f"∂f/∂{name} = g_{name} = {number(value)}   reference {reference['gradient'][name]}"
                         f"   rel error {error_number(record['rel_error'][name])}")
    lines += [f"warning: {w}" for w in record.get("warnings", [])]
    return "\n".join(lines)
