"""The view of ``verify`` records (see :func:`diffcli.tasks.verify.verify`) and of their expression files."""

from __future__ import annotations

from functools import partial

from diffcli.render.base import (
    FileOutput,
    Table,
    View,
    error_number,
    number,
    point_text,
    record_warnings,
    short_decimal,
    shorten,
)
from diffcli.render.base import render as render_view


def view(record: dict) -> View:
    """A ``verify`` record: one row per point checked, then the verdict and any diagnosis."""
    return View(record, body=partial(_body, record), csv=partial(_csv_table, record),
                notes=partial(_notes, record))


def render(record: dict, fmt: str = "table") -> str:
    """Render a ``verify`` record in format ``fmt`` (see :func:`view`)."""
    return render_view(view(record), fmt)


def verdict(record: dict) -> str:
    count = len(record["points"])
    where = "at the point" if count == 1 and record["seed"] is None else \
        f"at {count} random point{'s' if count != 1 else ''} (seed {record['seed']})"
    if record["holds"]:
        return f"the claim holds {where} (relative tolerance {record['tolerance']:g})"
    failed = sum(1 for p in record["points"] if not p["holds"])
    return f"the claim is WRONG: it fails at {failed} of {count} point{'s' if count != 1 else ''} " \
           f"(relative tolerance {record['tolerance']:g})"


def _headers(record: dict) -> list:
    return ["point", "claim", f"∂f/∂{record['wrt']} (reference)", "rel error", "holds"]


def _claim(p: dict) -> str:
    return number(p["claim"]) if p["error"] is None else p["error"]


def _body(record: dict) -> list:
    rows = [[point_text(p["point"]), _claim(p), short_decimal(p["derivative"]), error_number(p["rel_error"]),
             "yes" if p["holds"] else "NO"] for p in record["points"]]
    return [f"f = {record['expression']}", f"claim: ∂f/∂{record['wrt']} = {record['claim']}", "",
            Table(_headers(record), rows)]


def _notes(record: dict) -> list[str]:
    """The verdict and the diagnosis, then the warnings: after the table in every text format."""
    return [verdict(record), *_diagnosis(record), *(f"warning: {w}" for w in record_warnings(record))]


def _diagnosis(record: dict) -> list[str]:
    if record["diagnosis"]:
        return [record["diagnosis"]["message"]]
    if not record["holds"]:
        return ["no single mistake explains the difference (a term dropped, a chain-rule factor, a sign, a "
                "constant factor)"]
    return []


def _csv_table(record: dict) -> Table:
    """One row per point; the diagnosis and the warnings, the record's, on every row (CSV is flat)."""
    said = ["; ".join(_diagnosis(record)), "; ".join(record_warnings(record))]
    rows = [[point_text(p["point"]), _claim(p), p["derivative"],
             repr(p["rel_error"]) if p["rel_error"] is not None else "", "yes" if p["holds"] else "NO", *said]
            for p in record["points"]]
    return Table([*_headers(record), "diagnosis", "warnings"], rows)


# ---------------------------------------------------------------- expression files (--file)

def file_view(records: list) -> View:
    """An expression file's records: one row per line, expression, claim, verdict, and the diagnosis where it
    fails."""
    return View(records, body=lambda: [_file_table(records)])


def _file_table(records: list) -> Table:
    headers = ["line", "expression", "claim", "holds", "diagnosis or error"]
    rows = []
    for record in records:
        head = [str(record["line"]), shorten(record["expression"])]
        if "error" in record:
            rows.append(head + ["", "", shorten(record["error"])])
            continue
        diagnosis = (record["diagnosis"] or {}).get("message", "")
        rows.append(head + [shorten(record["claim"]), "yes" if record["holds"] else "NO", shorten(diagnosis)])
    return Table(headers, rows)


FILE_CSV_HEADER = ("line", "expression", "wrt", "claim", "holds", "points", "diagnosis", "error")


def file_csv_rows(record: dict) -> list:
    if "error" in record:
        return [[record["line"], record["expression"], "", "", "", "", "", record["error"]]]
    return [[record["line"], record["expression"], record["wrt"], record["claim"], record["holds"],
             len(record["points"]), (record["diagnosis"] or {}).get("message", ""), ""]]


def failures(record: dict) -> list[str]:
    """The ``check`` of a file run: a claim that does not hold is a failed check (exit 1)."""
    return [] if record["holds"] else [verdict(record)]


FILE_OUTPUT = FileOutput(view=file_view, csv_header=FILE_CSV_HEADER, csv_rows=file_csv_rows)
