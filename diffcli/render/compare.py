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
    point_text,
    raw,
    record_warnings,
    short_decimal,
    shorten,
    table_width,
)
from diffcli.render.base import render as render_view
from diffcli.render.layout import packed

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
                notes=partial(_notes, record, wide), width=width)


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
    return lines


def _notes(record: dict, wide: bool) -> list[str]:
    """What every text format shows after the table (markdown and LaTeX show the tables alone): the methods
    and partials that failed and why (the wide table has its own error column), the reference's problem or
    note, then the warnings."""
    reference = record["reference"]
    lines = [] if wide else [f"{row['method']}: {row['error']}" for row in record["methods"] if row["error"]]
    lines += partial_failures(record, methods=not wide)
    lines += [f"reference: {said}" for said in (reference.get("error"), reference.get("note")) if said]
    return lines + [f"warning: {w}" for w in record_warnings(record)]


FAILED = "failed"
"""What a table shows in place of a partial that has no value; its message is listed below the table."""


def partial_failures(record: dict, methods: bool = True) -> list[str]:
    """``reverse ∂f/∂z: no derivative: …``: each partial a method (or the reference) has no value for, with
    why, for the rows that have other partials (a row that failed as a whole says so once); methods that
    say the same about the same partial share one line (``symbolic, reverse, dual ∂f/∂z: …``)."""
    lines = [f"reference ∂f/∂{name}: {message}"
             for name, message in (record["reference"].get("errors") or {}).items()]
    if not methods:  # the wide table has the methods' reasons in its error column
        return lines
    said: dict = {}  # (variable, message) -> the methods saying it, in table order
    for row in record["methods"]:
        if not row["error"]:
            for name, message in _errors(row).items():
                said.setdefault((name, message), []).append(row["method"])
    return lines + [f"{', '.join(methods)} ∂f/∂{name}: {message}"
                    for (name, message), methods in said.items()]


def _errors(row: dict) -> dict:
    """The row's failed partials by variable (records written before rows had ``errors`` have none)."""
    return row.get("errors") or {}


def _partial(row: dict, name: str) -> str:
    """A partial's cell: its value, or :data:`FAILED`."""
    value = (row["gradient"] or {}).get(name)
    return FAILED if value is None else number(value)


def _reference_lines(record: dict, width: int) -> list[str]:
    """``reference (mpmath, 50 digits):   ∂f/∂x = 1208.38…   ∂f/∂z = 809.70…``, on as many lines as needed."""
    gradient = record["reference"].get("gradient")
    if not gradient:
        return []
    parts = [f"∂f/∂{name} = {'none' if value is None else short_decimal(value)}"
             for name, value in gradient.items()]
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
            if name in _errors(row):
                relative = "" if estimates else FAILED
            cells += [_partial(row, name), relative] if estimates else [relative]
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
            elif name in _errors(row):
                cells = [FAILED] * estimates + ["" if estimates else FAILED]
            else:
                cells = [number(row["gradient"][name])] * estimates \
                    + [error_number((row["rel_error"] or {}).get(name))]
            cost = _cost_cells(row, record) if i == 0 else [""] * len(_COST_HEADERS)
            rows.append([row["method"] if i == 0 else "", name, *cells, *cost])
    return Table(headers + _COST_HEADERS, rows)


UNKNOWABLE = "unknowable"
"""The est. error of a partial whose estimate cannot be known from what the method saw (richardson where f
is the same double at its steps)."""


def _estimate_cell(row: dict, name: str) -> str:
    """A partial's est. error: the estimate, :data:`UNKNOWABLE` where the method gives a value but no
    estimate, empty without either."""
    estimates = row.get("error_estimate") or {}
    if name in estimates and estimates[name] is None and (row["gradient"] or {}).get(name) is not None:
        return UNKNOWABLE
    return error_number(estimates.get(name))


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
                cells += [_partial(row, name), error_number((row["abs_error"] or {}).get(name))]
                if estimated:
                    cells.append(_estimate_cell(row, name))
                cells.append(error_number((row["rel_error"] or {}).get(name)))
        cells += [str(row["evaluations"]), duration(row["setup_seconds"]), duration(row["seconds"]),
                  _cost(row, record["f_seconds"])]
        problem = row["error"] or "; ".join(f"∂f/∂{n}: {m}" for n, m in _errors(row).items())
        if problem:
            cells.append(problem)
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
                estimate = _partial(row, name)
                absolute = error_number((row["abs_error"] or {}).get(name))
                relative = error_number((row["rel_error"] or {}).get(name))
                guess = _estimate_cell(row, name)
            once = [str(row["evaluations"]), duration(row["setup_seconds"]), duration(row["seconds"]),
                    _cost(row, record["f_seconds"])]   # on the method's first row
            problem = (row["error"] if first else "") if row["error"] else _errors(row).get(name, "")
            rows.append([row["method"] if first else "", name, estimate, absolute]
                        + ([guess] if estimated else []) + [relative]
                        + (once if first else [""] * len(once)) + [problem])
    return headers, rows


def _csv_table(record) -> Table:
    """The long CSV schema (:data:`FILE_CSV_HEADER`), the same as an expression file's, ``line`` empty."""
    return Table(list(FILE_CSV_HEADER), file_csv_rows(record))


# ---------------------------------------------------------------- expression files (--file)

def file_view(records: list, width: int = DEFAULT_WIDTH) -> View:
    """An expression file's records: one row per line with each method's max relative error.  When the
    table with the expression, point and f of each line is wider than ``width``, the table keeps the line
    numbers and the errors, and the expressions, points and errors follow as notes."""
    return View(records, body=partial(_file_body, records, width), width=width)


def _file_body(records: list, width: int) -> list:
    methods = list(dict.fromkeys(m["method"] for r in records if "methods" in r for m in r["methods"]))
    title = ["max relative error of each method against the reference (--format jsonl has every field)", ""]
    full = _file_table(records, methods, full=True)
    if table_width(full) <= width:
        return title + [full]
    notes = []
    for record in records:
        where = f" @ {point_text(record['point'], ' ')}" if record.get("point") else ""
        problem = record.get("error") or _reference_problem(record)
        text = f"line {record['line']}: {record['expression']}{where}"
        notes.append(text + (f": {problem}" if problem else ""))
    return title + [_file_table(records, methods, full=False), ""] + notes


def _file_table(records: list, methods: list, full: bool) -> Table:
    """With ``full``, line, expression, point, f, each method, error; else line and each method, its name
    broken after a hyphen (``fd-`` over ``central``) to keep the columns narrow."""
    headers = ["line", "expression", "point", "f", *methods, "error"] if full else ["line", *methods]
    rows = []
    for record in records:
        errors = {row["method"]: _file_cell(row) for row in record.get("methods", [])}
        cells = [errors.get(m, "") for m in methods]
        if not full:
            rows.append([str(record["line"]), *cells])
        elif "error" in record:
            rows.append([str(record["line"]), shorten(record["expression"]), "", ""] + cells
                        + [shorten(record["error"])])
        else:
            rows.append([str(record["line"]), shorten(record["expression"]), point_text(record["point"], " "),
                         number(record["value"])] + cells + [shorten(_reference_problem(record))])
    return Table(headers, rows, narrow_headers=not full)


def _reference_problem(record: dict) -> str:
    """What the reference could not give: its error, or each partial it finds no derivative for."""
    reference = record.get("reference") or {}
    return reference.get("error") or "; ".join(f"reference ∂f/∂{name}: {message}"
                                               for name, message in (reference.get("errors") or {}).items())


def _file_cell(row: dict) -> str:
    """A method's cell in the file table: its max relative error, and how many partials failed."""
    if row["error"]:
        return "error"
    failed = len(_errors(row))
    shown = error_number(row["max_rel_error"])
    return shown if not failed else f"{shown} ({failed} failed)" if shown else FAILED


FILE_CSV_HEADER = ("line", "expression", "point", "value", "method", "variable", "derivative",
                   "reference", "abs_error", "rel_error", "error_estimate", "max_rel_error", "evaluations",
                   "setup_seconds", "seconds", "error", "warnings")
"""The CSV columns of ``compare``, one row per method and variable, for one record (``line`` empty) and for
an expression file alike; ``warnings`` joins the record's and the method's with ``; ``.  A partial with no
value has an empty ``derivative`` and its message in ``error`` (the method's, else the reference's)."""


def file_csv_rows(record: dict) -> list:
    """The CSV rows of one record: one per method and variable (the same columns for every line)."""
    line = record.get("line", "")
    if "error" in record:
        return [[line, record["expression"]] + [""] * (len(FILE_CSV_HEADER) - 4) + [record["error"], ""]]
    head = [line, record["expression"], point_text(record["point"], " "), raw(record["value"])]
    reference = record["reference"].get("gradient") or {}
    shared = record.get("warnings") or []
    rows = []
    for row in record["methods"]:
        cost = [raw(row["max_rel_error"]), row["evaluations"], raw(row["setup_seconds"]), raw(row["seconds"])]
        warnings = "; ".join(dict.fromkeys(shared + (row.get("warnings") or [])))
        if row["error"]:
            rows.append(head + [row["method"], "", "", "", "", "", ""] + cost + [row["error"], warnings])
            continue
        for name, value in row["gradient"].items():
            errors = [raw((row[key] or {}).get(name)) for key in ("abs_error", "rel_error")]
            estimate = raw((row.get("error_estimate") or {}).get(name))
            problem = _errors(row).get(name) or (record["reference"].get("errors") or {}).get(name)
            rows.append(head + [row["method"], name, raw(value), reference.get(name) or "", *errors, estimate]
                        + cost + [problem or record["reference"].get("error") or "", warnings])
    return rows


def file_output(width: int = DEFAULT_WIDTH) -> FileOutput:
    """How ``compare --file`` writes its records, its table fitting ``width``."""
    return FileOutput(view=partial(file_view, width=width), csv_header=FILE_CSV_HEADER,
                      csv_rows=file_csv_rows)


FILE_OUTPUT = file_output()
