"""The view of ``trace`` records (see :func:`diffcli.tasks.trace.trace`): one row per node, inputs first, the
output last."""

from __future__ import annotations

from functools import partial

from diffcli.render.base import (
    DEFAULT_WIDTH,
    Table,
    View,
    error_number,
    heading,
    latex_text,
    number,
    record_warnings,
    table_width,
)
from diffcli.render.base import render as render_view
from diffcli.render.layout import packed

HEADERS = ["node", "computes", "value", "adjoint g", "chain rule", "terms"]

UNDEFINED = "undefined"
"""An adjoint or a partial's value where a rule cannot be evaluated (the term's ``error`` says why)."""

LATEX_CELL = 1_000
"""Longest chain-rule cell (equation and terms, in characters) the ``latex`` table keeps in line."""


def view(record: dict, width: int = DEFAULT_WIDTH) -> View:
    """A ``trace`` record: the tape, then each partial against the reference (or why the tape failed).

    The tape is one table when it fits ``width``; else the table keeps each node's value and adjoint, and
    the backward pass follows it as a block of equations, one per node (``g_a = g_f·exp(a) + …  = 1 ·
    403.4 + …``), wrapped to the width."""
    return View(record, body=partial(_body, record, width), csv=partial(_csv_table, record),
                latex=partial(_latex_tables, record), notes=partial(_notes, record), width=width)


def _notes(record: dict) -> list[str]:
    """Why a partial is undefined (a rule that cannot be evaluated at the point), then the warnings."""
    return [f"∂f/∂{name}: {message}" for name, message in (record.get("errors") or {}).items()] + \
        [f"warning: {w}" for w in record_warnings(record)]


def render(record: dict, fmt: str = "table", width: int = DEFAULT_WIDTH) -> str:
    """Render a ``trace`` record in format ``fmt`` (see :func:`view`)."""
    return render_view(view(record, width), fmt)


def numbers(row: dict, digits: int = 6) -> str:
    """The terms of a row's equation as numbers: ``1 · (-4.3) + 0.0417 · 0.769``."""
    parts = []
    for term in row["terms"]:
        adjoint, factor = (UNDEFINED if v is None else f"{v:.{digits}g}"
                           for v in (term["from_adjoint"], term["partial_value"]))
        parts.append(f"{adjoint} · {'(' + factor + ')' if factor.startswith('-') else factor}")
    return " + ".join(parts)


def _value(value) -> str:
    """A node's value or adjoint; an adjoint a rule that cannot be evaluated flows into is undefined."""
    return UNDEFINED if value is None else number(value)


def _terms(node: dict) -> str:
    return ("= " + numbers(node)) if node["terms"] else ""


def _body(record: dict, width: int) -> list:
    nodes = record["nodes"]
    full = Table(HEADERS, [[n["name"], n["computes"] or "input", number(n["value"]), _value(n["adjoint"]),
                            n["equation"], _terms(n)] for n in nodes])
    # a cell wider than the line rules the whole table out before it is laid out (which pads every row)
    if max((len(n["equation"]) + len(_terms(n)) for n in nodes), default=0) <= width and \
            table_width(full) <= width:
        lines = [*heading(record), full, ""]
    else:
        short = Table(HEADERS[:4], [row[:4] for row in full.rows])
        lines = [*heading(record), short, "", "backward pass, the output first:", *_equations(nodes, width),
                 ""]
    reference = record["reference"]
    if record.get("error"):
        lines.append(f"error: {record['error']}")
    elif reference.get("error"):
        lines.append(f"reference: {reference['error']}")
    else:
        for name, value in record["gradient"].items():
            if value is None:  # why: in the notes, which every format shows
                lines.append(f"∂f/∂{name} = g_{name} = {UNDEFINED}")
                continue
            lines += packed([f"reference {reference['gradient'][name]}",
                             f"rel error {error_number(record['rel_error'][name])}"], width,
                            first=f"∂f/∂{name} = g_{name} = {number(value)}")
    return lines


def _equations(nodes: list, width: int) -> list[str]:
    """The chain-rule equation of each node and its terms as numbers: the terms in one column where the
    line fits ``width``, else on the next line."""
    column = max((len(n["equation"]) for n in nodes if 2 + len(n["equation"]) + 3 + len(_terms(n)) <= width),
                 default=0)
    lines = []
    for node in reversed(nodes):
        aligned = f"  {node['equation']:<{column}}   {_terms(node)}".rstrip()
        if len(aligned) <= width:
            lines.append(aligned)
        else:
            lines += packed([node["equation"], _terms(node)], width, first="  ", indent="      ")
    return lines


def _csv_table(record: dict) -> Table:
    return Table(["node", "kind", "computes", "value", "adjoint", "equation", "terms", "warnings"],
                 [[n["name"], n["kind"], n["computes"] or "", repr(n["value"]), _value(n["adjoint"]),
                   n["equation"], numbers(n, 17), "; ".join(_term_errors(n) + (record.get("warnings") or []))]
                  for n in record["nodes"]])


def _term_errors(node: dict) -> list[str]:
    """Why the node's chain-rule terms that cannot be evaluated are undefined."""
    return [t["error"] for t in node["terms"] if t.get("error")]


def _latex_tables(record: dict) -> list[Table]:
    """The table with LaTeX cells: names and equations typeset, the terms as text.  When an equation is
    longer than :data:`LATEX_CELL` characters (a variable used by thousands of nodes), the equations leave
    the table, which pads every row to its widest cell: the long ones get a table of their own each."""
    rows = [[f"${n['name']}$", f"${n['computes_latex']}$" if n["computes_latex"] else "input",
             number(n["value"]), _value(n["adjoint"]), f"${n['equation_latex']}$", latex_text(_terms(n))]
            for n in record["nodes"]]
    if all(len(row[4]) + len(row[5]) <= LATEX_CELL for row in rows):
        return [Table(HEADERS, rows)]
    equations = [HEADERS[0], *HEADERS[4:]]
    short = [[row[0], *row[4:]] for row in rows if len(row[4]) + len(row[5]) <= LATEX_CELL]
    long = [Table(equations, [[row[0], *row[4:]]]) for row in rows if len(row[4]) + len(row[5]) > LATEX_CELL]
    tables = [Table(HEADERS[:4], [row[:4] for row in rows])] + ([Table(equations, short)] if short else [])
    return tables + long
