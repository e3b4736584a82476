"""Rendering of ``compare`` records (see :func:`diffcli.tasks.compare.compare`)."""

from __future__ import annotations

from diffcli.render.base import FileOutput, as_json, csv_text, duration, error_number, number, short_decimal, shorten, tabulate

WIDE_LAYOUT_MAX_VARIABLES = 3
"""Up to this many variables the compare table has one row per method; beyond, one row per partial."""


def render(record: dict, fmt: str = "table") -> str:
    """Render a ``compare`` record (see :func:`diffcli.tasks.compare.compare`)."""
    text = as_json(record, fmt)
    if text is not None:
        return text
    names = list(record["point"])
    if fmt == "csv":
        return _comparecsv_text(record, names)
    headers, rows = (_compare_wide if len(names) <= WIDE_LAYOUT_MAX_VARIABLES else _compare_long)(record, names)
    table = tabulate(headers, rows, fmt)
    if fmt != "table":
        return table
    point = ", ".join(f"{k}={v!r}" for k, v in record["point"].items())
    lines = [f"f = {record['expression']}", f"at {point}:  f = {record['value']!r}", "", table]
    reference = record["reference"]
    if reference.get("error"):
        lines.append(f"\nreference: {reference['error']}")
    if reference.get("note"):
        lines.append(f"\nreference: {reference['note']}")
    shared = record.get("warnings", [])
    lines += [f"warning: {w}" for w in shared]
    lines += [f"warning: {w}" for row in record["methods"] for w in row["warnings"] if w not in shared]
    return "\n".join(lines)


def _estimated(record) -> bool:
    """Whether some method reports an error estimate of its own (richardson): then it gets a column."""
    return any(row.get("error_estimate") for row in record["methods"])


def _cost(row, f_seconds) -> str:
    if row["seconds"] is None or not f_seconds:
        return ""
    return f"{row['seconds'] / f_seconds:.2g}"


def _reference_label(record) -> str:
    return f"reference (mpmath, {record['reference']['digits']} digits)"


def _short(text) -> str:
    """A reference value cut to 22 characters for the table, exponent kept (JSON has all the digits)."""
    return short_decimal(text, 22)


def _compare_wide(record, names):
    estimated = _estimated(record)
    per_name = 4 if estimated else 3
    headers = ["method"]
    for name in names:
        headers += [f"∂f/∂{name}", "abs error"] + (["est. error"] if estimated else []) + ["rel error"]
    headers += ["f evals", "setup", "time", "× f"]
    reference = record["reference"]
    rows = [[_reference_label(record)]
            + [cell for name in names
               for cell in [_short((reference.get("gradient") or {}).get(name))] + [""] * (per_name - 1)]
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
    reference = record["reference"]
    rows = [[_reference_label(record) if i == 0 else "", name, _short((reference.get("gradient") or {}).get(name))]
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
            rows.append([row["method"] if first else "", name, estimate, absolute] + ([guess] if estimated else [])
                        + [relative, str(row["evaluations"]) if first else "",
                           duration(row["setup_seconds"]) if first else "", duration(row["seconds"]) if first else "",
                           _cost(row, record["f_seconds"]) if first else "", (row["error"] or "") if first else ""])
    return headers, rows


def _comparecsv_text(record, names) -> str:
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
            cells += [_raw((row["gradient"] or {}).get(name)), _raw((row["abs_error"] or {}).get(name)),
                      _raw((row["rel_error"] or {}).get(name))]
            if estimated:
                cells.append(_raw((row.get("error_estimate") or {}).get(name)))
        cost = row["seconds"] / record["f_seconds"] if row["seconds"] and record["f_seconds"] else None
        cells += [_raw(row["max_rel_error"]), row["evaluations"], _raw(row["setup_seconds"]), _raw(row["seconds"]),
                  _raw(cost), row["error"] or ""]
        rows.append(cells)
    return csv_text(headers, rows)


def _raw(value) -> str:
    return "" if value is None else repr(value)


# ---------------------------------------------------------------- expression files (--file)

def file_table(records: list, fmt: str) -> str:
    """One row per line of the file: the point, f, and each method's max relative error."""
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
        rows.append([str(record["line"]), shorten(record["expression"]), _point_text(record["point"]),
                     number(record["value"])] + [errors.get(m, "") for m in methods] + [problem])
    table = tabulate(headers, rows, fmt)
    if fmt == "table":
        return "max relative error of each method against the reference (--format jsonl has every field)\n\n" \
            + table
    return table


def _point_text(point: dict) -> str:
    return " ".join(f"{name}={value!r}" for name, value in point.items())


FILE_CSV_HEADER = ("line", "expression", "point", "value", "method", "variable", "derivative", "reference",
                   "abs_error", "rel_error", "max_rel_error", "evaluations", "setup_seconds", "seconds", "error")


def file_csv_rows(record: dict) -> list:
    """The CSV rows of one line of a file: one per method and variable (the same columns for every line)."""
    line = record["line"]
    if "error" in record:
        return [[line, record["expression"]] + [""] * (len(FILE_CSV_HEADER) - 3) + [record["error"]]]
    head = [line, record["expression"], _point_text(record["point"]), _raw(record["value"])]
    reference = record["reference"].get("gradient") or {}
    rows = []
    for row in record["methods"]:
        cost = [_raw(row["max_rel_error"]), row["evaluations"], _raw(row["setup_seconds"]), _raw(row["seconds"])]
        if row["error"]:
            rows.append(head + [row["method"], "", "", "", "", ""] + cost + [row["error"]])
            continue
        for name, value in row["gradient"].items():
            rows.append(head + [row["method"], name, _raw(value), reference.get(name) or "",
                                _raw((row["abs_error"] or {}).get(name)), _raw((row["rel_error"] or {}).get(name))]
                        + cost + [record["reference"].get("error") or ""])
    return rows


FILE_OUTPUT = FileOutput(table=file_table, csv_header=FILE_CSV_HEADER, csv_rows=file_csv_rows)
