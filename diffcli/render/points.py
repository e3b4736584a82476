"""Rendering of ``--points`` batch records (see :func:`diffcli.tasks.points.batch`).

``table``/``markdown``/``latex`` summarise each method over all points; ``json`` is that summary;
``jsonl`` and ``csv`` give one record per point (value and each method's gradient; ``null``/empty where a
method failed at that point).
"""

from __future__ import annotations

import math

from diffcli.render.base import csv_text, duration, error_number, tabulate, to_json

_SUMMARY_KEYS = ("expression", "points", "variables", "f_seconds", "reference", "methods")


def render(record: dict, fmt: str = "table") -> str:
    if fmt == "json":
        return to_json({key: record[key] for key in _SUMMARY_KEYS})
    if fmt == "jsonl":
        return "\n".join(to_json(point, indent=None) for point in points(record))
    if fmt == "csv":
        return _csv(record)
    headers = ["method", "points", "failed", "max rel error (sample)", "setup", "time (all points)",
               "per point", "× f", "error"]
    rows = []
    for row in record["methods"]:
        cost = row["seconds"] / record["f_seconds"] if row["seconds"] and record["f_seconds"] else None
        rows.append([row["method"], str(record["points"]), "" if row["failed_points"] is None else
                     str(row["failed_points"]), error_number(row["max_rel_error"]), duration(row["setup_seconds"]),
                     duration(row["seconds"]), duration(row["seconds_per_point"]),
                     "" if cost is None else f"{cost:.2g}", row["error"] or ""])
    table = tabulate(headers, rows, fmt)
    if fmt != "table":
        return table
    sample = record["reference"]
    return "\n".join([f"f = {record['expression']}",
                      f"{record['points']} points; f on all of them: {duration(record['f_seconds']) or '-'}; "
                      f"reference ({sample['digits']} digits) at points {', '.join(map(str, sample['computed']))}",
                      "", table])


def _number(value):
    value = float(value)
    return value if math.isfinite(value) else None


def points(record: dict):
    """One plain dict per point: index, point, value and each method's gradient (None where it failed)."""
    names = record["variables"]
    columns = record.get("columns")
    for index in range(record["points"]):
        gradients = {}
        for method, gradient in record["gradients"].items():
            failed = record["failed"][method][index]
            gradients[method] = None if failed else {n: float(g[index]) for n, g in zip(names, gradient)}
        yield {"index": index,
               "point": {n: float(c[index]) for n, c in zip(names, columns)} if columns else None,
               "value": _number(record["values"][index]), "gradient": gradients}


def _csv(record: dict) -> str:
    names = record["variables"]
    methods = list(record["gradients"])
    headers = ["index", *names, "value", *[f"{m}:d_{n}" for m in methods for n in names]]
    rows = []
    for point in points(record):
        cells = [point["index"], *[repr(v) for v in (point["point"] or {}).values()],
                 "" if point["value"] is None else repr(point["value"])]
        for m in methods:
            g = point["gradient"][m]
            cells += [repr(g[n]) if g else "" for n in names]
        rows.append(cells)
    return csv_text(headers, rows)
