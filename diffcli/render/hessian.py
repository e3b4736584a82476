"""Rendering of ``hessian`` records (see :func:`diffcli.tasks.hessian.hessian`): one row per entry ∂²f/∂xi∂xj,
the reference and each method side by side, as ``compare`` does for the gradient."""

from __future__ import annotations

from diffcli.render.base import as_json, csv_text, duration, error_number, number, tabulate


def _short(text) -> str:
    if text is None:
        return ""
    return text if len(text) <= 22 else text[:22] + "…"


def _entry_label(names, i, j) -> str:
    if i == j:
        return f"∂²f/∂{names[i]}²"
    return f"∂²f/∂{names[i]}∂{names[j]}"


def render(record: dict, fmt: str = "table") -> str:
    """Render a ``hessian`` record."""
    text = as_json(record, fmt)
    if text is not None:
        return text
    names = record["variables"]
    reference = record["reference"]
    cells = [(i, j) for i in range(len(names)) for j in range(len(names))]
    if fmt == "csv":
        headers = ["entry", "i", "j", "reference"]
        for row in record["methods"]:
            headers += [row["method"], f"rel_error_{row['method']}"]
        rows = []
        for i, j in cells:
            line = [f"d2f/d{names[i]}d{names[j]}", names[i], names[j],
                    (reference["hessian"] or [[None] * len(names)] * len(names))[i][j] or ""]
            for row in record["methods"]:
                line += [_raw(row["hessian"][i][j]) if row["hessian"] else "",
                         _raw(row["rel_error"][i][j]) if row["rel_error"] else ""]
            rows.append(line)
        return csv_text(headers, rows)
    headers = ["entry", f"reference (mpmath, {reference['digits']} digits)"]
    for row in record["methods"]:
        headers += [row["method"], "rel error"]
    rows = []
    for i, j in cells:
        line = [_entry_label(names, i, j), _short(reference["hessian"][i][j]) if reference["hessian"] else ""]
        for row in record["methods"]:
            line += [number(row["hessian"][i][j]) if row["hessian"] else "",
                     error_number(row["rel_error"][i][j]) if row["rel_error"] else ""]
        rows.append(line)
    table = tabulate(headers, rows, fmt)
    if fmt != "table":
        return table
    point = ", ".join(f"{k}={v!r}" for k, v in record["point"].items())
    lines = [f"f = {record['expression']}", f"at {point}:  f = {record['value']!r}", "", table, ""]
    for row in record["methods"]:
        cost = "" if row["passes"] is None else f"{row['passes']} pass{'es' if row['passes'] != 1 else ''} of f"
        timing = f", setup {duration(row['setup_seconds'])}, time {duration(row['seconds'])}" \
            if row["seconds"] is not None else ""
        status = f"error: {row['error']}" if row["error"] else \
            f"max rel error {error_number(row['max_rel_error'])}" if row["max_rel_error"] is not None else "ok"
        lines.append(f"{row['method']}: {cost}{timing}; {status}")
    if reference.get("error"):
        lines.append(f"reference: {reference['error']}")
    lines += [f"warning: {w}" for w in record.get("warnings", [])]
    return "\n".join(lines)


def _raw(value) -> str:
    return "" if value is None else repr(value)
