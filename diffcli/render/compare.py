"""The view of ``compare`` records (see :func:`diffcli.tasks.compare.compare`) and of their expression
files."""

from __future__ import annotations

from functools import partial

from diffcli.render.base import (
    DEFAULT_WIDTH,
    FileOutput,
    Table,
    View,
    duration,
    error_number,
    fitting,
    heading,
    number,
    packed,
    point_text,
    raw,
    short_decimal,
    shorten,
)
from diffcli.render.base import render as render_view

WIDE_LAYOUT_MAX_VARIABLES = 3
"""Up to this many variables a table may have one row per method; beyond, it has one row per partial."""


def view(record: dict, width: int = DEFAULT_WIDTH, wide: bool = False) -> View:
    """A ``compare`` record: the methods against the reference.

    The table fits ``width`` columns: for up to :data:`WIDE_LAYOUT_MAX_VARIABLES` variables one row per
    method with each partial and its relative error, or (when that is too wide) the relative errors alone,
    else one row per partial; the cost in f evaluations, time and × f on each method's row.  ``wide`` shows
    every column whatever the width (absolute errors, richardson's error estimate, setup time), as the
    JSON record has them.  CSV has the long schema of :data:`FILE_CSV_HEADER`, one row per method and
    variable, for one record as for an expression file.
    """
    return View(record, body=partial(_body, record, width, wide), csv=partial(_csv_table, record),
                width=width)


def render(record: dict, fmt: str = "table", width: int = DEFAULT_WIDTH, wide: bool = False) -> str:
    """Render a ``compare`` record (see :func:`diffcli.tasks.compare.compare`) in format ``fmt``."""
    return render_view(view(record, width, wide), fmt)


def _body(record: dict, width: int, wide: bool) -> list:
    names = list(record["point"])
    if wide:
        layout = _compare_wide if len(names) <= WIDE_LAYOUT_MAX_VARIABLES else _compare_long
        lines = [*heading(record), Table(*layout(record, names))]
    else:
        layouts = [partial(_by_partial, record, names, estimates) for estimates in (True, False)]
        if len(names) <= WIDE_LAYOUT_MAX_VARIABLES:
            layouts = [partial(_by_method, record, names, estimates) for estimates in (True, False)] + layouts
        lines = [*heading(record)[:-1], *_reference_lines(record, width), "", fitting(layouts, width)]
        failed = [f"{row['method']}: {row['error']}" for row in record["methods"] if row["error"]]
        lines += [""] + failed if failed else []
    reference = record["reference"]
    for problem in (reference.get("error"), reference.get("note")):
        if problem:
            lines += ["", f"reference: {problem}"]
    return lines


def _reference_lines(record: dict, width: int) -> list[str]:
    """``reference (mpmath, 50 digits):   ∂f/∂x = 1208.38…   ∂f/∂z = 809.70…``, on as many lines as needed."""
    gradient = record["reference"].get("gradient")
    if not gradient:
        return []
    parts = [f"∂f/∂{name} = {short_decimal(value)}" for name, value in gradient.items()]
    return packed(parts, width, first=_reference_label(record) + ":")


def _cost_cells(row: dict, record: dict) -> list[str]:
    return [str(row["evaluations"]), duration(row["seconds"]), _cost(row, record["f_seconds"])]


_COST_HEADERS = ["f evals", "time", "× f"]


def _by_method(record: dict, names: list, estimates: bool) -> Table:
    """One row per method: each partial (with ``estimates``) and its relative error, then the cost."""
    headers = ["method"]
    for name in names:
        headers += [f"∂f/∂{name}", "rel error"] if estimates else [f"rel error ∂f/∂{name}"]
    rows = []
    for row in record["methods"]:
        cells = [row["method"]]
        for name in names:
            if row["error"]:
                cells += ["", "failed"] if estimates else ["failed"]
                continue
            relative = error_number((row["rel_error"] or {}).get(name))
            cells += [number(row["gradient"][name]), relative] if estimates else [relative]
        rows.append(cells + _cost_cells(row, record))
    return Table(headers + _COST_HEADERS, rows)


def _by_partial(record: dict, names: list, estimates: bool) -> Table:
    """One row per method and partial; the cost on the method's first row."""
    headers = ["method", "variable"] + (["∂f/∂variable"] if estimates else []) + ["rel error"]
    rows = []
    for row in record["methods"]:
        for i, name in enumerate(names):
            if row["error"]:
                cells = [""] * estimates + ["failed"]
            else:
                cells = [number(row["gradient"][name])] * estimates \
                    + [error_number((row["rel_error"] or {}).get(name))]
            cost = _cost_cells(row, record) if i == 0 else [""] * len(_COST_HEADERS)
            rows.append([row["method"] if i == 0 else "", name, *cells, *cost])
    return Table(headers + _COST_HEADERS, rows)


def _estimated(record) -> bool:
    """Whether some method reports an error estimate of its own (richardson): then it gets a column."""
    return any(row.get("error_estimate") for row in record["methods"])


def _cost(row, f_seconds) -> str:
    if row["seconds"] is None or not f_seconds:
        return ""
    return f"{row['seconds'] / f_seconds:.2g}"


def _reference_label(record) -> str:
    return f"reference (mpmath, {record['reference']['digits']} digits)"


def _compare_wide(record, names):
    estimated = _estimated(record)
    per_name = 4 if estimated else 3
    headers = ["method"]
    for name in names:
        headers += [f"∂f/∂{name}", "abs error"] + (["est. error"] if estimated else []) + ["rel error"]
    headers += ["f evals", "setup", "time", "× f"]
    gradient = record["reference"].get("gradient") or {}
    rows = [[_reference_label(record)]
            + [cell for name in names for cell in [short_decimal(gradient.get(name))] + [""] * (per_name - 1)]
            + ["", "", "", ""]]
    notes = False
    for row in record["methods"]:
        cells = [row["method"]]
        for name in names:
            if row["error"]:
                cells += [""] * per_name
            else:
                cells += [number(row["gradient"][name]), error_number((row["abs_error"] or {}).get(name))]
                if estimated:
                    cells.append(error_number((row.get("error_estimate") or {}).get(name)))
                cells.append(error_number((row["rel_error"] or {}).get(name)))
        cells += [str(row["evaluations"]), duration(row["setup_seconds"]), duration(row["seconds"]),
                  _cost(row, record["f_seconds"])]
        if row["error"]:
            cells.append(row["error"])
            notes = True
        rows.append(cells)
    if notes:
        headers.append("error")
        for cells in rows:
            cells += [""] * (len(headers) - len(cells))
    return headers, rows


def _compare_long(record, names):
    estimated = _estimated(record)
    headers = ["method", "variable", "∂f/∂variable", "abs error"] + (["est. error"] if estimated else []) \
        + ["rel error", "f evals", "setup", "time", "× f", "error"]
    gradient = record["reference"].get("gradient") or {}
    rows = [[_reference_label(record) if i == 0 else "", name, short_decimal(gradient.get(name))]
            + [""] * (len(headers) - 3) for i, name in enumerate(names)]
    for row in record["methods"]:
        for i, name in enumerate(names):
            first = i == 0
            if row["error"]:
                estimate = absolute = relative = guess = ""
            else:
                estimate = number(row["gradient"][name])
                absolute = error_number(row["abs_error"][name]) if row["abs_error"] else ""
                relative = error_number(row["rel_error"][name]) if row["rel_error"] else ""
                guess = error_number((row.get("error_estimate") or {}).get(name))
            once = [str(row["evaluations"]), duration(row["setup_seconds"]), duration(row["seconds"]),
                    _cost(row, record["f_seconds"]), row["error"] or ""]   # on the method's first row
            rows.append([row["method"] if first else "", name, estimate, absolute]
                        + ([guess] if estimated else []) + [relative]
                        + (once if first else [""] * len(once)))
    return headers, rows


def _csv_table(record) -> Table:
    names = list(record["point"])
    estimated = _estimated(record)
    headers = ["method"]
    for name in names:
        headers += [f"d_{name}", f"abs_error_{name}", f"rel_error_{name}"] \
            + ([f"error_estimate_{name}"] if estimated else [])
    headers += ["max_rel_error", "evaluations", "setup_seconds", "seconds", "cost_in_f", "error"]
    reference = record["reference"]
    blank = ["", "", ""] if estimated else ["", ""]
    rows = [["reference"] + [cell for name in names
                             for cell in [(reference.get("gradient") or {}).get(name) or ""] + blank]
            + ["", "", "", "", "", reference.get("error") or ""]]
    for row in record["methods"]:
        cells = [row["method"]]
        for name in names:
            cells += [raw((row["gradient"] or {}).get(name)), raw((row["abs_error"] or {}).get(name)),
                      raw((row["rel_error"] or {}).get(name))]
            if estimated:
                cells.append(raw((row.get("error_estimate") or {}).get(name)))
        cost = row["seconds"] / record["f_seconds"] if row["seconds"] and record["f_seconds"] else None
        cells += [raw(row["max_rel_error"]), row["evaluations"], raw(row["setup_seconds"]),
                  raw(row["seconds"]), raw(cost), row["error"] or ""]
        rows.append(cells)
    return Table(headers, rows)


# ---------------------------------------------------------------- expression files (--file)

def file_view(records: list) -> View:
    """An expression file's records: one row per line, the point, f, and each method's max relative error."""
    return View(records, body=partial(_file_body, records))


def _file_body(records: list) -> list:
    methods = list(dict.fromkeys(m["method"] for r in records if "methods" in r for m in r["methods"]))
    headers = ["line", "expression", "point", "f", *methods, "error"]
    rows = []
    for record in records:
        if "error" in record:
            rows.append([str(record["line"]), shorten(record["expression"]), "", ""]
                        + [""] * len(methods) + [shorten(record["error"])])
            continue
        errors = {row["method"]: ("error" if row["error"] else error_number(row["max_rel_error"]))
                  for row in record["methods"]}
        problem = shorten(record["reference"].get("error") or "")
        rows.append([str(record["line"]), shorten(record["expression"]), point_text(record["point"], " "),
                     number(record["value"])] + [errors.get(m, "") for m in methods] + [problem])
    return ["max relative error of each method against the reference (--format jsonl has every field)", "",
            Table(headers, rows)]


FILE_CSV_HEADER = ("line", "expression", "point", "value", "method", "variable", "derivative", "reference",
                   "abs_error", "rel_error", "max_rel_error", "evaluations", "setup_seconds", "seconds",
                   "error")


def file_csv_rows(record: dict) -> list:
    """The CSV rows of one line of a file: one per method and variable (the same columns for every line)."""
    line = record["line"]
    if "error" in record:
        return [[line, record["expression"]] + [""] * (len(FILE_CSV_HEADER) - 3) + [record["error"]]]
    head = [line, record["expression"], point_text(record["point"], " "), raw(record["value"])]
    reference = record["reference"].get("gradient") or {}
    rows = []
    for row in record["methods"]:
        cost = [raw(row["max_rel_error"]), row["evaluations"], raw(row["setup_seconds"]), raw(row["seconds"])]
        if row["error"]:
            rows.append(head + [row["method"], "", "", "", "", ""] + cost + [row["error"]])
            continue
        for name, value in row["gradient"].items():
            errors = [raw((row["abs_error"] or {}).get(name)), raw((row["rel_error"] or {}).get(name))]
            rows.append(head + [row["method"], name, raw(value), reference.get(name) or "", *errors]
                        + cost + [record["reference"].get("error") or ""])
    return rows


FILE_OUTPUT = FileOutput(view=file_view, csv_header=FILE_CSV_HEADER, csv_rows=file_csv_rows)
