"""Shared formatting: strict JSON, numbers, durations, tables (tabulate) and CSV.

JSON is strict: non-finite numbers become the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` so that
``jq`` reads it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Callable

FORMATS = ("table", "json", "jsonl", "csv", "markdown", "latex")
_TABULATE_STYLE = {"table": "simple", "markdown": "github", "latex": "latex_booktabs", "latex_raw": "latex_raw"}


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


def as_json(record, fmt: str) -> str | None:
    """A record as ``json`` (indented) or ``jsonl`` (one line); None for the other formats, which each
    command renders its own way."""
    if fmt == "json":
        return to_json(record)
    if fmt == "jsonl":
        return to_json(record, indent=None)
    return None


def to_json(record, indent: int | None = 2) -> str:
    return json.dumps(strict(record), indent=indent, allow_nan=False, ensure_ascii=False)


# ---------------------------------------------------------------- numbers

def number(value) -> str:
    """A float as the shortest text that reads back as the same double."""
    return "" if value is None else repr(float(value))


def short_decimal(text, width: int = 22) -> str:
    """A long decimal string cut to ``width`` characters with "…", keeping its exponent.

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
    """``0.81 µs``, ``12 ms``: three significant digits in a readable unit."""
    if seconds is None:
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def tabulate(headers, rows, fmt: str) -> str:
    from tabulate import tabulate  # imported only where a table is drawn

    return tabulate(rows, headers=headers, tablefmt=_TABULATE_STYLE[fmt], disable_numparse=True)


def csv_text(headers, rows) -> str:
    """CSV with a header row (``headers`` None: the rows alone), without the final newline."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if headers is not None:
        writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().rstrip("\n")


def shorten(text: str, width: int = 60) -> str:
    """``text`` cut to ``width`` characters with an ellipsis, for table cells."""
    return text if len(text) <= width else text[:width - 1] + "…"


# ---------------------------------------------------------------- expression files

@dataclass(frozen=True)
class FileOutput:
    """How a command writes the records of an expression file (``--file``, see :mod:`diffcli.tasks.files`).

    ``jsonl`` and ``csv`` stream: one line (or a few CSV rows) per record, written as the record is done,
    so an interrupted run leaves whole records.  ``json`` (an array of the records), ``table``,
    ``markdown`` and ``latex`` are documents, written once the file is done.  A command gives the parts
    that depend on its records: ``table(records, fmt)`` (``fmt`` is table, markdown or latex), the CSV
    header, and ``csv_rows(record)``.
    """

    table: Callable[[list, str], str]
    csv_header: tuple
    csv_rows: Callable[[dict], list]

    def streams(self, fmt: str) -> bool:
        return fmt in ("jsonl", "csv")

    def start(self, fmt: str) -> str | None:
        return csv_text(self.csv_header, []) if fmt == "csv" else None

    def record(self, record: dict, fmt: str) -> str | None:
        if fmt == "jsonl":
            return to_json(record, indent=None)
        if fmt == "csv":
            return csv_text(None, self.csv_rows(record))
        return None

    def end(self, records: list, fmt: str) -> str | None:
        if fmt == "json":
            return to_json(records)
        if self.streams(fmt):
            return None
        return self.table(records, fmt)


