"""The view of ``--points`` records (see :mod:`diffcli.tasks.points`).

``table``/``markdown``/``latex`` summarise each method over all points; ``json`` is that summary;
``jsonl`` and ``csv`` give one record per point (value and each method's gradient; ``null``/empty where a
method failed at that point), written a chunk of points at a time (:func:`chunk_text`).
"""

from __future__ import annotations

import math
from functools import partial

from diffcli.render.base import FORMATS, FileOutput, Table, View, duration, error_number, raw
from diffcli.render.base import render as render_view

STREAMING = tuple(name for name, spec in FORMATS.items() if spec.record is not None)
"""The formats that write the points themselves, a chunk at a time; the others write the summary."""

_SUMMARY_KEYS = ("expression", "points", "variables", "f_seconds", "reference", "methods")


def view(record: dict) -> View:
    """A ``--points`` record: the summary of each method (``json`` is that summary); ``jsonl`` and ``csv``
    give the points."""
    return View({key: record[key] for key in _SUMMARY_KEYS}, body=partial(_body, record),
                csv=partial(_csv_table, record), records=partial(points, record))


def render(record: dict, fmt: str = "table") -> str:
    """Render a ``--points`` record in format ``fmt`` (see :func:`view`)."""
    return render_view(view(record), fmt)


def _body(record: dict) -> list:
    headers = ["method", "points", "failed", "max rel error (sample)", "setup", "time (all points)",
               "per point", "× f", "error"]
    rows = []
    for row in record["methods"]:
        cost = row["seconds"] / record["f_seconds"] if row["seconds"] and record["f_seconds"] else None
        failed = "" if row["failed_points"] is None else str(row["failed_points"])
        rows.append([row["method"], str(record["points"]), failed, error_number(row["max_rel_error"]),
                     duration(row["setup_seconds"]), duration(row["seconds"]),
                     duration(row["seconds_per_point"]), "" if cost is None else f"{cost:.2g}",
                     row["error"] or ""])
    sample = record["reference"]
    return [f"f = {record['expression']}",
            f"{record['points']} points; f on all of them: {duration(record['f_seconds']) or '-'}; "
            f"reference ({sample['digits']} digits) at points {', '.join(map(str, sample['computed']))}",
            "", Table(headers, rows)] + ([f"reference: {sample['note']}"] if sample.get("note") else [])


def _number(value):
    value = float(value)
    return value if math.isfinite(value) else None


def chunk_text(record: dict, fmt: str, methods: list, first: bool) -> str:
    """The ``jsonl`` or ``csv`` text of the points of one chunk record (``start``, ``values``, ``gradients``
    …, see :class:`diffcli.tasks.points.PointsRun`), with the CSV header when ``first``; ``methods`` are the
    columns of every chunk (a method that failed from some chunk on is empty there).  Each point is one
    record of a streaming format (base.py's ``Format.record``), as a line of an expression file is."""
    names = record["variables"]
    output = FileOutput(view=lambda records: View(records), csv_header=tuple(_csv_headers(names, methods)),
                        csv_rows=lambda point: [_csv_cells(point, names, methods)])
    texts = [output.start(fmt)] if first else []
    texts += [output.record(point, fmt) for point in points(record, methods)]
    return "\n".join(text for text in texts if text is not None)


def points(record: dict, methods: list | None = None):
    """One plain dict per point: index, point, value and each method's gradient (None where it failed)."""
    names = record["variables"]
    columns = record.get("columns")
    start = record.get("start", 0)
    methods = list(record["gradients"]) if methods is None else methods
    for index in range(len(record["values"])):
        gradients = {}
        for method in methods:
            gradient = record["gradients"].get(method)
            failed = gradient is None or record["failed"][method][index]
            gradients[method] = None if failed else {n: float(g[index]) for n, g in zip(names, gradient)}
        yield {"index": start + index,
               "point": {n: float(c[index]) for n, c in zip(names, columns)} if columns else None,
               "value": _number(record["values"][index]), "gradient": gradients}


def _csv_headers(names: list, methods: list) -> list:
    return ["index", *names, "value", *[f"{m}:d_{n}" for m in methods for n in names]]


def _csv_cells(point: dict, names: list, methods: list) -> list:
    cells = [point["index"], *[repr(v) for v in (point["point"] or {}).values()], raw(point["value"])]
    for m in methods:
        g = point["gradient"][m]
        cells += [repr(g[n]) if g else "" for n in names]
    return cells


def _csv_table(record: dict, methods: list | None = None) -> Table:
    names = record["variables"]
    methods = list(record["gradients"]) if methods is None else methods
    return Table(_csv_headers(names, methods), [_csv_cells(point, names, methods)
                                                for point in points(record, methods)])
