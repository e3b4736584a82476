"""The view of ``diff`` records (see :func:`diffcli.tasks.derivative.derivative`) and of their expression
files."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from diffcli.render.base import FileOutput, Table, View, shorten
from diffcli.render.base import render as render_view

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


def view(record: dict) -> View:
    """A ``diff`` record (``{"expression", "wrt", "order", "variables", "derivative", "latex", "python"}``):
    ``table`` and ``text`` print the derivative (or, with ``steps``, the derivation), ``latex`` and
    ``python`` are the record's own texts, ``markdown`` one line naming the operator."""
    text = partial(_text, record)
    return View(record, body=lambda: [text()], csv=partial(_csv_table, record),
                documents={"text": text, "latex": lambda: record["latex"], "python": lambda: record["python"],
                           "markdown": partial(_markdown, record)})


FORMS_SHOWN = {"text": (), "table": (), "markdown": (), "csv": (), "latex": ("latex",), "python": ("python",)}
"""The forms of a ``diff`` record (besides its text) each format shows; the others (``json``…) show them
all."""


def forms_shown(fmt: str) -> tuple | None:
    """The forms format ``fmt`` shows of a ``diff`` record, or None for all of them (the record itself)."""
    return FORMS_SHOWN.get(fmt)


def render(record: dict, fmt: str = "text") -> str:
    """Render a ``diff`` record in format ``fmt`` (see :func:`view`)."""
    return render_view(view(record), fmt)


def _text(record: dict) -> str:
    return steps_text(record) if record.get("steps") is not None else record["derivative"]


def _markdown(record: dict) -> str:
    return f"{operator(record)} `{record['expression']}` = `{record['derivative']}`"


def _csv_table(record: dict) -> Table:
    return Table(["expression", "wrt", "order", "derivative"],
                 [[record["expression"], record["wrt"], record.get("order", 1), record["derivative"]]])


def steps_text(record: dict) -> str:
    """The derivation, one step per line pair, then the simplified result.  A long expression's named
    sub-expressions are defined where their step is (``d/dx[a1]    (product rule), a1 = a0 * a0``) or, for
    those no step derives, in ``where`` lines first."""
    wrt = record["wrt"]
    lines = [f"where {text}" for text in record.get("where", [])]
    for step in record["steps"]:
        of = f"{step['name']}]    ({step['rule']}), {step['name']} = {step['of']}" if "name" in step else \
            f"{step['of']}]    ({step['rule']})"
        lines += [f"d/d{wrt}[{of}", f"    = {step['result']}"]
    lines += ["simplified:", f"    d/d{wrt}[{record['expression']}] = {record['derivative']}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- expression files (--file)

def file_view(records: list) -> View:
    """An expression file's records: one row per line, the expression and its derivative (LaTeX in
    ``latex``), or the error.  ``diff``'s own formats text and python have no per-line form: they show the
    table."""
    view = View(records, body=lambda: [_file_table(records, latex=False)],
                latex=lambda: [_file_table(records, latex=True)])
    def table():
        return render_view(view, "table")
    return replace(view, documents={"text": table, "python": table})


def _file_table(records: list, latex: bool) -> Table:
    wrt = next((r["wrt"] for r in records if "wrt" in r), "")
    text = _latex_text if latex else str
    headers = ["line", "expression", rf"$\partial/\partial {wrt}$" if latex else f"∂/∂{wrt}", "error"]
    rows = []
    for record in records:
        row = [str(record["line"]), text(shorten(record["expression"]))]
        if "error" in record:
            rows.append(row + ["", text(shorten(record["error"]))])
        else:
            typeset = record["latex"].replace("\n", " ")  # a long one's aligned block, on the cell's line
            rows.append(row + [f"${typeset}$" if latex else record["derivative"], ""])
    return Table(headers, rows)


_LATEX_SPECIAL = {c: "\\" + c for c in "&%$#_{}"}


def _latex_text(text: str) -> str:
    """Plain text for a LaTeX table cell (the derivative column is already LaTeX)."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text)


def file_csv_rows(record: dict) -> list:
    if "error" in record:
        return [[record["line"], record["expression"], "", "", record["error"]]]
    return [[record["line"], record["expression"], record["wrt"], record["derivative"], ""]]


FILE_OUTPUT = FileOutput(view=file_view, csv_header=("line", "expression", "wrt", "derivative", "error"),
                         csv_rows=file_csv_rows)
