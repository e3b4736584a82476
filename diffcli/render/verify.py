"""Rendering of ``verify`` records (see :func:`diffcli.tasks.verify.verify`)."""

from __future__ import annotations

from diffcli.render.base import FileOutput, as_json, csv_text, error_number, number, shorten, tabulate


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
    text = as_json(record, fmt)
    if text is not None:
        return text
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


# ---------------------------------------------------------------- expression files (--file)

def file_table(records: list, fmt: str) -> str:
    """One row per line of the file: expression, claim, verdict, and the diagnosis where it fails."""
    headers = ["line", "expression", "claim", "holds", "diagnosis or error"]
    rows = []
    for record in records:
        if "error" in record:
            rows.append([str(record["line"]), shorten(record["expression"]), "", "", shorten(record["error"])])
            continue
        diagnosis = (record["diagnosis"] or {}).get("message", "")
        rows.append([str(record["line"]), shorten(record["expression"]), shorten(record["claim"]),
                     "yes" if record["holds"] else "NO", shorten(diagnosis)])
    return tabulate(headers, rows, fmt)


FILE_CSV_HEADER = ("line", "expression", "wrt", "claim", "holds", "points", "diagnosis", "error")


def file_csv_rows(record: dict) -> list:
    if "error" in record:
        return [[record["line"], record["expression"], "", "", "", "", "", record["error"]]]
    return [[record["line"], record["expression"], record["wrt"], record["claim"], record["holds"],
             len(record["points"]), (record["diagnosis"] or {}).get("message", ""), ""]]


def failures(record: dict) -> list[str]:
    """The ``check`` of a file run: a claim that does not hold is a failed check (exit 1)."""
    return [] if record["holds"] else [verdict(record)]


FILE_OUTPUT = FileOutput(table=file_table, csv_header=FILE_CSV_HEADER, csv_rows=file_csv_rows)
