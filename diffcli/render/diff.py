"""Rendering of ``diff`` records (see :func:`diffcli.api.derivative`)."""

from __future__ import annotations

from .base import csv_text, to_json


def render(record: dict, fmt: str = "table") -> str:
    """Render a ``diff`` record: ``{"expression", "wrt", "derivative", "latex"}``."""
    if fmt == "json":
        return to_json(record)
    if fmt == "jsonl":
        return to_json(record, indent=None)
    if fmt == "latex":
        return record["latex"]
    if fmt == "csv":
        return csv_text(["expression", "wrt", "derivative"], [[record["expression"], record["wrt"],
                                                           record["derivative"]]])
    if fmt == "markdown":
        return f"∂/∂{record['wrt']} `{record['expression']}` = `{record['derivative']}`"
    return record["derivative"]
