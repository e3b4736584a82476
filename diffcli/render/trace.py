"""The view of ``trace`` records (see :func:`diffcli.tasks.trace.trace`): one row per node, inputs first, the
output last."""

from __future__ import annotations

from functools import partial

from diffcli.render.base import Table, View, error_number, heading, number
from diffcli.render.base import render as render_view

HEADERS = ["node", "computes", "value", "adjoint g", "chain rule", "terms"]


def view(record: dict) -> View:
    """A ``trace`` record: the tape, then each partial against the reference (or why the tape failed)."""
    return View(record, body=partial(_body, record), csv=partial(_csv_table, record),
                latex=lambda: [_latex_table(record)])


def render(record: dict, fmt: str = "table") -> str:
    """Render a ``trace`` record in format ``fmt`` (see :func:`view`)."""
    return render_view(view(record), fmt)


def numbers(row: dict, digits: int = 6) -> str:
    """The terms of a row's equation as numbers: ``1 · (-4.3) + 0.0417 · 0.769``."""
    parts = []
    for term in row["terms"]:
        adjoint, factor = f"{term['from_adjoint']:.{digits}g}", f"{term['partial_value']:.{digits}g}"
        parts.append(f"{adjoint} · {'(' + factor + ')' if factor.startswith('-') else factor}")
    return " + ".join(parts)


def _body(record: dict) -> list:
    rows = [[n["name"], n["computes"] or "input", number(n["value"]), number(n["adjoint"]), n["equation"],
             ("= " + numbers(n)) if n["terms"] else ""] for n in record["nodes"]]
    lines = [*heading(record), Table(HEADERS, rows), ""]
    reference = record["reference"]
    if record.get("error"):
        lines.append(f"error: {record['error']}")
    elif reference.get("error"):
        lines.append(f"reference: {reference['error']}")
    else:
        for name, value in record["gradient"].items():
            relative = error_number(record["rel_error"][name])
            lines.append(f"∂f/∂{name} = g_{name} = {number(value)}   reference {reference['gradient'][name]}"
                         f"   rel error {relative}")
    return lines


def _csv_table(record: dict) -> Table:
    return Table(["node", "kind", "computes", "value", "adjoint", "equation", "terms"],
                 [[n["name"], n["kind"], n["computes"] or "", repr(n["value"]), repr(n["adjoint"]),
                   n["equation"], numbers(n, 17)] for n in record["nodes"]])


def _latex_table(record: dict) -> Table:
    """The table with LaTeX cells (no terms column: the equation is typeset)."""
    return Table(HEADERS[:5], [[f"${n['name']}$", f"${n['computes_latex']}$" if n["computes_latex"] else
                                "input", number(n["value"]), number(n["adjoint"]), f"${n['equation_latex']}$"]
                               for n in record["nodes"]])
