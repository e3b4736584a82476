"""Rendering of ``diff`` records (see :func:`diffcli.tasks.compare.derivative`)."""

from __future__ import annotations

from diffcli.render.base import FileOutput, as_json, csv_text, shorten, tabulate

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def operator(record: dict) -> str:
    """``∂/∂x``, ``∂³/∂x³`` or ``∂²/∂x∂z`` (differentiated by x, then by z) for a ``diff`` record."""
    variables = record.get("variables") or [record["wrt"]]
    order = len(variables)
    top = "∂" if order == 1 else "∂" + str(order).translate(_SUPERSCRIPT)
    runs: list[list] = []
    for name in variables:
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    bottom = "".join(f"∂{name}" + (str(k).translate(_SUPERSCRIPT) if k > 1 else "") for name, k in runs)
    return f"{top}/{bottom}"


def render(record: dict, fmt: str = "table") -> str:
    """Render a ``diff`` record: ``{"expression", "wrt", "order", "variables", "derivative", "latex",
    "python"}``; ``text`` and ``table`` print the derivative expression."""
    text = as_json(record, fmt)
    if text is not None:
        return text
    if fmt == "latex":
        return record["latex"]
    if fmt == "python":
        return record["python"]
    if fmt == "csv":
        return csv_text(["expression", "wrt", "order", "derivative"],
                        [[record["expression"], record["wrt"], record.get("order", 1), record["derivative"]]])
    if fmt == "markdown":
        return f"{operator(record)} `{record['expression']}` = `{record['derivative']}`"
    if record.get("steps") is not None:
        return steps_text(record)
    return record["derivative"]


def steps_text(record: dict) -> str:
    """The derivation, one step per line pair, then the simplified result."""
    wrt = record["wrt"]
    lines = []
    for step in record["steps"]:
        lines += [f"d/d{wrt}[{step['of']}]    ({step['rule']})", f"    = {step['result']}"]
    lines += ["simplified:", f"    d/d{wrt}[{record['expression']}] = {record['derivative']}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- expression files (--file)

def file_table(records: list, fmt: str) -> str:
    """One row per line of the file: the expression and its derivative (LaTeX in ``latex``), or the error."""
    wrt = next((r["wrt"] for r in records if "wrt" in r), "")
    latex = fmt == "latex"
    text = _latex_text if latex else str
    headers = ["line", "expression", rf"$\partial/\partial {wrt}$" if latex else f"∂/∂{wrt}", "error"]
    rows = []
    for record in records:
        row = [str(record["line"]), text(shorten(record["expression"]))]
        if "error" in record:
            rows.append(row + ["", text(shorten(record["error"]))])
        else:
            rows.append(row + [f"${record['latex']}$" if latex else record["derivative"], ""])
    return tabulate(headers, rows, "latex_raw" if latex else fmt)


_LATEX_SPECIAL = {c: "\\" + c for c in "&%$#_{}"}


def _latex_text(text: str) -> str:
    """Plain text for a LaTeX table cell (the derivative column is already LaTeX)."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text)


def file_csv_rows(record: dict) -> list:
    if "error" in record:
        return [[record["line"], record["expression"], "", "", record["error"]]]
    return [[record["line"], record["expression"], record["wrt"], record["derivative"], ""]]


FILE_OUTPUT = FileOutput(table=file_table, csv_header=("line", "expression", "wrt", "derivative", "error"),
                         csv_rows=file_csv_rows)
