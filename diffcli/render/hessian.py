"""The view of ``hessian`` records (see :func:`diffcli.tasks.hessian.hessian`): one row per entry
∂²f/∂xi∂xj, the reference and each method side by side, as ``compare`` does for the gradient."""

from __future__ import annotations

from functools import partial

from diffcli.render.base import (
    Table,
    View,
    duration,
    error_number,
    heading,
    number,
    raw,
    record_warnings,
    short_decimal,
)
from diffcli.render.base import render as render_view


def view(record: dict) -> View:
    """A ``hessian`` record: the entries against the reference, then each method's cost and status."""
    return View(record, body=partial(_body, record), csv=partial(_csv_table, record),
                notes=partial(_notes, record))


def render(record: dict, fmt: str = "table") -> str:
    """Render a ``hessian`` record in format ``fmt`` (see :func:`view`)."""
    return render_view(view(record), fmt)


NO_ESTIMATE = "none"
"""The est. error of an entry whose bound is not finite."""


def _entry_label(names, i, j) -> str:
    if i == j:
        return f"∂²f/∂{names[i]}²"
    return f"∂²f/∂{names[i]}∂{names[j]}"


def _cells(record: dict) -> list:
    size = len(record["variables"])
    return [(i, j) for i in range(size) for j in range(size)]


def _body(record: dict) -> list:
    names = record["variables"]
    reference = record["reference"]
    headers = ["entry", f"reference (mpmath, {reference['digits']} digits)"]
    for row in record["methods"]:
        headers += [row["method"], "rel error"] + (["est. error"] if row.get("error_estimate") else [])
    rows = []
    for i, j in _cells(record):
        line = [_entry_label(names, i, j),
                short_decimal(reference["hessian"][i][j]) if reference["hessian"] else ""]
        for row in record["methods"]:
            line += [number(row["hessian"][i][j]) if row["hessian"] else "",
                     error_number(row["rel_error"][i][j]) if row["rel_error"] else ""]
            if row.get("error_estimate"):
                bound = row["error_estimate"][i][j]
                line.append(NO_ESTIMATE if bound is None else error_number(bound))
        rows.append(line)
    return [*heading(record), Table(headers, rows)]


def _notes(record: dict) -> list[str]:
    """Each method's cost and status, the reference's problems, then the warnings: after the table in every
    text format."""
    reference = record["reference"]
    lines = [_method_line(row) for row in record["methods"]]
    if reference.get("error"):
        lines.append(f"reference: {reference['error']}")
    lines += [f"reference {entry}: {message}" for entry, message in (reference.get("errors") or {}).items()]
    return lines + [f"warning: {w}" for w in record_warnings(record)]


def _method_line(row: dict) -> str:
    """``symbolic: 0 passes of f, setup …, time …; max rel error …``"""
    passes = row["passes"]
    cost = "" if passes is None else f"{passes} pass{'es' if passes != 1 else ''} of f"
    timing = f", setup {duration(row['setup_seconds'])}, time {duration(row['seconds'])}" \
        if row["seconds"] is not None else ""
    if row["error"]:
        status = f"error: {row['error']}"
    elif row["max_rel_error"] is not None:
        status = f"max rel error {error_number(row['max_rel_error'])}"
    else:
        status = "ok"
    if not row["error"] and not row.get("error_estimate"):
        status += "; est. error: no estimate"  # said, not left out: symbolic Hessians carry no bound
    done = f"{cost}{timing}; " if cost or timing else ""
    return f"{row['method']}: {done}{status}"


def _csv_table(record: dict) -> Table:
    names = record["variables"]
    reference = record["reference"]
    headers = ["entry", "i", "j", "reference"]
    for row in record["methods"]:
        headers += [row["method"], f"rel_error_{row['method']}", f"error_estimate_{row['method']}"]
    rows = []
    for i, j in _cells(record):
        line = [f"d2f/d{names[i]}d{names[j]}", names[i], names[j],
                (reference["hessian"] or [[None] * len(names)] * len(names))[i][j] or ""]
        for row in record["methods"]:
            line += [raw(row["hessian"][i][j]) if row["hessian"] else "",
                     raw(row["rel_error"][i][j]) if row["rel_error"] else "",
                     raw(row["error_estimate"][i][j]) if row.get("error_estimate") else ""]
        rows.append(line + [_entry_problems(record, _entry_label(names, i, j))])
    return Table(headers + ["errors and warnings"], rows)


def _entry_problems(record: dict, entry: str) -> str:
    """What CSV says beside an entry: the reference's reason for it, the methods that failed as a whole,
    and the record's warnings."""
    reference = record["reference"]
    said = [(reference.get("errors") or {}).get(entry), reference.get("error"),
            *(f"{row['method']}: {row['error']}" for row in record["methods"] if row["error"]),
            *record_warnings(record)]
    return "; ".join(s for s in said if s)
