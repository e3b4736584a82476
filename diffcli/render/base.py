"""The one dispatch on the output format: a command supplies a :class:`View` of its record, and this module
alone decides what ``table``, ``json``, ``jsonl``, ``csv``, ``markdown`` and ``latex`` make of it.

:data:`FORMATS` is the registry of output formats, name → :class:`Format`; every command's ``--format``
offers what it holds, so adding a format is a change here alone (see ARCHITECTURE.md).  A view is
formatted by :func:`render`; what a view holds:

- ``record``, the JSON document (``json``; one line of ``jsonl`` unless ``records`` gives the lines);
- ``body``: text lines, :class:`Table` s and :class:`Figure` s in reading order.  ``table`` shows it all,
  ``markdown`` and ``latex`` the tables alone;
- ``csv``: a table with the numbers written exactly (default: the body's first table);
- ``latex``: tables whose cells are LaTeX already (default: the body's tables, escaped by tabulate);
- ``documents``: the whole text of formats one command has alone (graph's ``dot``, diff's ``python``), or
  that it writes as a document rather than a table (diff's ``markdown``);
- ``notes``: lines every text format shows after the tables (default: the record's warnings, see
  :func:`record_warnings`), so that no format drops a warning; JSON and CSV carry them as a field;
- ``width``: the columns the text may take (the terminal's, see ``diffcli.cli.app.terminal_width``); a view
  chooses its layout by it, and ``table`` wraps text lines to it.

Every part but ``record`` is a function, called only by the formats that show it: a ``json`` run never
builds a table.  Renderers return text (or bytes, for image files); the command decides where it goes.

JSON is strict: non-finite numbers become the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` so that
``jq`` reads it.  Control characters from the input never reach a terminal: every text format shows them as
visible escapes (:func:`printable`), and JSON writes them as ``\\u`` escapes, which read back unchanged.
LaTeX is plain ASCII for ``pdflatex`` and needs no package: ``\\hline`` rules, and the symbols
tables use (∂, ×, ², µ, ·, …) written as LaTeX commands.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

from diffcli.core.errors import cut
from diffcli.render.layout import UNSAFE, latex_text, printable, wrap

_TABULATE_STYLE = {"table": "simple", "markdown": "github", "latex_raw": "latex_raw"}

DEFAULT_WIDTH = 100
"""The width text is laid out for when no terminal says otherwise (under a pipe, in the Python API), so
that the output of a script does not depend on where it runs."""


# ---------------------------------------------------------------- views

@dataclass(frozen=True)
class Table:
    """Column headers and rows of cells (text, except in CSV tables, where numbers may stay numbers).

    With ``narrow_headers`` the ``table`` format breaks each header after its first hyphen (``fd-`` over
    ``central``) to keep the columns narrow; the other formats show the headers whole."""

    headers: list
    rows: list
    narrow_headers: bool = False

    def text_headers(self) -> list:
        """The headers as the ``table`` format writes them."""
        if not self.narrow_headers:
            return self.headers
        return [h.replace("-", "-\n", 1) if isinstance(h, str) else h for h in self.headers]


@dataclass(frozen=True)
class Figure:
    """A drawing shown in the ``table`` format's text (a terminal plot); ``draw()`` runs only when shown."""

    draw: Callable[[], str]


def _nothing() -> list:
    return []


@dataclass(frozen=True)
class View:
    """What a command's record looks like, independently of the format (see the module docstring).

    >>> view = View({"f": 1.5}, body=lambda: ["f = 1.5", "", Table(["x", "g"], [["1", "2"]])])
    >>> print(render(view, "markdown"))
    | x   | g   |
    |-----|-----|
    | 1   | 2   |
    """

    record: Any
    body: Callable[[], list] = _nothing
    csv: Callable[[], Table] | None = None
    latex: Callable[[], list] | None = None
    records: Callable[[], Iterable] | None = None
    documents: Mapping[str, Callable[[], str]] = field(default_factory=dict)
    notes: Callable[[], list] | None = None
    width: int = DEFAULT_WIDTH

    def tables(self) -> list:
        return [item for item in self.body() if isinstance(item, Table)]

    def note_lines(self) -> list[str]:
        """The notes every format shows: ``warning: …`` lines by default (see :func:`record_warnings`)."""
        if self.notes is not None:
            return self.notes()
        return [f"warning: {w}" for w in record_warnings(self.record)]


@dataclass(frozen=True)
class Format:
    """An output format: ``write(view)`` is the whole output of one run; ``figures`` says whether it draws
    the view's figures (a command may show them elsewhere when it does not, as optimize does on stderr).

    A format that streams an expression file (``--file``) also gives ``record(output, record)``, the text
    of one record, written as soon as it is done, and optionally ``start(output)``, the text before the
    first; ``output`` is the command's :class:`FileOutput`.  The others are written once the file is done.
    """

    write: Callable[[View], str]
    figures: bool = False
    record: Callable[[FileOutput, dict], str] | None = None
    start: Callable[[FileOutput], str] | None = None


def render(view: View, fmt: str) -> str:
    """The text of ``view`` in format ``fmt``: the view's own document for that name, else the format's."""
    document = view.documents.get(fmt)
    if document is not None:
        return document()
    return FORMATS[fmt].write(view)


def draws_figures(fmt: str) -> bool:
    """Whether format ``fmt`` shows the figures of a view (terminal plots)."""
    return fmt in FORMATS and FORMATS[fmt].figures


def _table_text(view: View) -> str:
    """The body, then the notes; text lines longer than the view's width are wrapped."""
    parts = []
    for item in view.body():
        if isinstance(item, Table):
            parts.append(tabulate(item.text_headers(), item.rows, "table"))
        elif isinstance(item, Figure):
            parts.append(item.draw())
        else:
            parts += wrap(printable(item), view.width)
    notes = view.note_lines()
    if notes and parts and parts[-1] != "":
        parts.append("")
    for line in notes:
        parts += wrap(printable(line), view.width)
    return "\n".join(parts)


def _markdown_text(view: View) -> str:
    """GitHub tables, then the notes as paragraphs; a ``|`` inside a cell is escaped so that it cannot end
    the cell."""
    tables = [tabulate(t.headers, [[_markdown_cell(c) for c in row] for row in t.rows], "markdown")
              for t in view.tables()]
    return "\n\n".join(tables + [printable(line) for line in view.note_lines()])


def _markdown_cell(cell):
    return cell.replace("|", "\\|") if isinstance(cell, str) else cell


def _latex_text(view: View) -> str:
    """``tabular`` environments with ``\\hline`` rules, then the notes as paragraphs: ASCII that plain
    ``pdflatex`` compiles without any package."""
    if view.latex is not None:
        tables = [tabulate(t.headers, t.rows, "latex_raw") for t in view.latex()]
    else:
        tables = [tabulate([latex_text(printable(h)) for h in t.headers],
                           [[latex_text(printable(str(c))) for c in row] for row in t.rows], "latex_raw")
                  for t in view.tables()]
    return "\n\n".join(tables + [latex_text(printable(line)) for line in view.note_lines()])


def _csv_text(view: View) -> str:
    table = view.csv() if view.csv is not None else view.tables()[0]
    return csv_text(table.headers, table.rows)


def _jsonl_text(view: View) -> str:
    records = view.records() if view.records is not None else [view.record]
    return "\n".join(to_json(record, indent=None) for record in records)


FORMATS: dict[str, Format] = {
    "table": Format(_table_text, figures=True),
    "json": Format(lambda view: to_json(view.record)),
    "jsonl": Format(_jsonl_text, record=lambda output, record: to_json(record, indent=None)),
    "csv": Format(_csv_text, record=lambda output, record: csv_text(None, output.csv_rows(record)),
                  start=lambda output: csv_text(output.csv_header, [])),
    "markdown": Format(_markdown_text),
    "latex": Format(_latex_text),
}
"""The output formats, in the order ``--help`` lists them; the first is every command's default."""


# ---------------------------------------------------------------- JSON

def strict(value):
    """A copy of ``value`` with non-finite floats as strings, so ``json.dumps(allow_nan=False)`` works."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return value


def to_json(record, indent: int | None = 2) -> str:
    """Strict JSON, UTF-8 text kept readable (``ensure_ascii=False``).  ``json.dumps`` then escapes only
    U+0000–U+001F; the other characters :func:`printable` escapes (DEL, C1 controls, bidirectional and line
    separators) are written as ``\\uXXXX`` here too, so ``cat`` of a JSON file cannot drive a terminal and
    ``jq`` reads back the same strings.  They can only occur inside strings: JSON's own syntax is ASCII.

    >>> to_json({"e": "x\\x1b\\u202e"}, indent=None)
    '{"e": "x\\\\u001b\\\\u202e"}'
    """
    try:  # most records hold no non-finite number: copying them through strict first cost 40% of this
        text = json.dumps(record, indent=indent, allow_nan=False, ensure_ascii=False)
    except ValueError:  # allow_nan=False refuses nan and ±inf
        text = json.dumps(strict(record), indent=indent, allow_nan=False, ensure_ascii=False)
    return UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


# ---------------------------------------------------------------- numbers and cells

def number(value) -> str:
    """A float as the shortest text that reads back as the same double."""
    return "" if value is None else repr(float(value))


def raw(value) -> str:
    """A value exactly (``repr``) for CSV, empty for None."""
    return "" if value is None else repr(value)


def short_decimal(text, width: int = 22) -> str:
    """A long decimal string cut to ``width`` characters with "…", keeping its exponent (JSON has all the
    digits).

    >>> short_decimal("1.6993417021166355836935052e-17", 12)
    '1.6993417021…e-17'
    """
    if text is None:
        return ""
    mantissa, e, exponent = text.partition("e")
    if len(mantissa) <= width:
        return text
    return mantissa[:width] + "…" + e + exponent


def error_number(value) -> str:
    if value is None:
        return ""
    return "0" if value == 0 else f"{value:.1e}"


def duration(seconds) -> str:
    """``810 ns``, ``12 ms``, ``1 s``: three significant digits in a readable unit (rounded first, so that
    0.9999 s is ``1 s``, not ``1e+03 ms``)."""
    if seconds is None:
        return ""
    seconds = float(f"{seconds:.3g}")
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def point_text(point: dict, separator: str = ", ") -> str:
    """``x=2.0, z=3.0``: a point as the command line would give it."""
    return separator.join(f"{name}={value!r}" for name, value in point.items())


def heading(record: dict) -> list[str]:
    """The first lines of a table: ``f = EXPR`` and ``at POINT:  f = VALUE``, then a blank line."""
    return [f"f = {record['expression']}", f"at {point_text(record['point'])}:  f = {record['value']!r}", ""]


def record_warnings(record) -> list[str]:
    """The warnings of a record, each once: its own (a one-sided choice at a kink, say), then its methods'
    (``"richardson: …"``).  For the list of an expression file's records, each line's, as ``line N: …``.

    >>> record_warnings({"warnings": ["w"], "methods": [{"warnings": ["w", "reverse: v"]}]})
    ['w', 'reverse: v']
    """
    if isinstance(record, list):
        return [f"line {r.get('line')}: {w}" for r in record if isinstance(r, dict)
                for w in record_warnings(r)]
    if not isinstance(record, dict):
        return []
    found = list(record.get("warnings") or [])
    for row in record.get("methods") or []:
        found += row.get("warnings") or [] if isinstance(row, dict) else []
    return list(dict.fromkeys(found))


def table_width(table: Table) -> int:
    """How many columns ``table`` takes in the ``table`` format."""
    return max(map(len, tabulate(table.text_headers(), table.rows, "table").splitlines()), default=0)


def fitting(layouts: Iterable[Callable[[], Table]], width: int) -> Table:
    """The first of ``layouts`` (richest first) whose table is at most ``width`` wide, else the last."""
    table = None
    for layout in layouts:
        table = layout()
        if table_width(table) <= width:
            return table
    return table


def tabulate(headers, rows, fmt: str) -> str:
    """``rows`` under ``headers`` in tabulate's style for ``fmt``.  In the ``table`` format a column is as
    wide as its widest cell or header, without the two extra spaces tabulate gives headers by default
    (the two spaces between columns remain): tables have to fit the terminal.  Text cells and headers go
    through :func:`printable`."""
    import tabulate as library  # imported only where a table is drawn

    headers = [printable(h) if isinstance(h, str) else h for h in headers]
    rows = [[printable(c) if isinstance(c, str) else c for c in row] for row in rows]
    padding = library.MIN_PADDING
    library.MIN_PADDING = 0 if fmt == "table" else padding
    try:
        return library.tabulate(rows, headers=headers, tablefmt=_TABULATE_STYLE[fmt], disable_numparse=True)
    finally:
        library.MIN_PADDING = padding


def csv_text(headers, rows) -> str:
    """CSV with a header row (``headers`` None: the rows alone), without the final newline.  Text cells go
    through :func:`printable` as in the tables (no expression diffcli accepts contains a control character,
    so only the echo of a refused line changes)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if headers is not None:
        writer.writerow([printable(h) if isinstance(h, str) else h for h in headers])
    writer.writerows([printable(c) if isinstance(c, str) else c for c in row] for row in rows)
    return out.getvalue().rstrip("\n")


def shorten(text: str, width: int = 60) -> str:
    """``text`` cut to ``width`` characters for a table cell (see :func:`~diffcli.core.errors.cut`)."""
    return cut(text, width)


# ---------------------------------------------------------------- expression files

@dataclass(frozen=True)
class FileOutput:
    """How a command writes the records of an expression file (``--file``, see :mod:`diffcli.tasks.files`).

    A streaming format (``jsonl``, ``csv``: see :class:`Format`) writes each record as it is done, so an
    interrupted run leaves whole records; the others write ``view(records)`` once the file is done (its
    ``record`` is the list of records, the ``json`` array).  A command gives that view, the CSV header and
    ``csv_rows(record)``, the CSV rows of one record (the same columns for every line).
    """

    view: Callable[[list], View]
    csv_header: tuple
    csv_rows: Callable[[dict], list]

    def streams(self, fmt: str) -> bool:
        return fmt in FORMATS and FORMATS[fmt].record is not None  # a command's own format is a document

    def start(self, fmt: str) -> str | None:
        start = FORMATS[fmt].start if fmt in FORMATS else None
        return start(self) if start is not None else None

    def record(self, record: dict, fmt: str) -> str | None:
        write = FORMATS[fmt].record if fmt in FORMATS else None
        return write(self, record) if write is not None else None

    def end(self, records: list, fmt: str) -> str | None:
        if self.streams(fmt):
            return None
        view = self.view(records)
        if view.csv is None:
            view = replace(view, csv=lambda: self.csv_table(records))
        return render(view, fmt)

    def csv_table(self, records: list) -> Table:
        return Table(list(self.csv_header), [row for record in records for row in self.csv_rows(record)])
