"""Rendering of ``verify`` records (see :func:`diffcli.verify.verify`)."""

from __future__ import annotations

from .base import csv_text, error_number, number, tabulate, to_json


def _short(text) -> str:
    if text is None:
        return ""
    return text if len(text) <= 22 else text[:22] + "…"


def verdict(record: dict) -> str:
    count = len(record["points"])
    where = "at the point" if count == 1 and record["seed"] is None else \
        f"at {count} random point{'s' if count != 1 else ''} (seed {record['seed']})"
    if record["holds"]:
        return f"the claim holds {where} (relative tolerance {record['tolerance']:g})"
    failed = sum(1 for p in record["points"] if not p["holds"])
    return f"the claim is WRONG: it fails at {failed} of {count} point{'s' if count != 1 else ''} " \
           f"(relative tolerance {record['tolerance']:g})"


def render(record: dict, fmt: str = "table") -> str:
    """Render a ``verify`` record: one row per point checked, then the verdict and any diagnosis."""
    if fmt == "json":
        return to_json(record)
    if fmt == "jsonl":
        return to_json(record, indent=None)
    headers = ["point", "claim", f"∂f/∂{record['wrt']} (reference)", "rel error", "holds"]
    rows = [[", ".join(f"{k}={v!r}" for k, v in p["point"].items()),
             number(p["claim"]) if p["error"] is None else p["error"],
             p["derivative"] if fmt == "csv" else _short(p["derivative"]),
             repr(p["rel_error"]) if fmt == "csv" and p["rel_error"] is not None else error_number(p["rel_error"]),
             "yes" if p["holds"] else "NO"] for p in record["points"]]
    if fmt == "csv":
        return csv_text(headers, rows)
    table = tabulate(headers, rows, fmt)
    if fmt in ("markdown", "latex"):
        return table
    diagnosis = record["diagnosis"]
    lines = [f"f = {record['expression']}", f"claim: ∂f/∂{record['wrt']} = {record['claim']}", "", table, "",
             verdict(record)]
    if diagnosis:
        lines.append(diagnosis["message"])
    elif not record["holds"]:
        lines.append("no single chain-rule term explains the difference")
    return "\n".join(lines)
