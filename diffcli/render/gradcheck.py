"""The view of a ``gradcheck`` record (see :func:`diffcli.tasks.gradcheck.gradcheck`).

The table format shows, per point, the coordinates that fail or are undecided, worst first (at most
:data:`SHOWN_ROWS`, then how many more), the patterns the failures make, and the verdict; ``jsonl`` writes
one record per checked coordinate and direction (``"record": "coordinate"`` or ``"direction"``, with its
point), one per point, and a last ``"summary"``; ``json`` the whole record; ``csv`` every checked
coordinate with its numbers written exactly, its reason and the check's warnings.
"""

from __future__ import annotations

from functools import partial

from diffcli.render.base import Table, View, raw, record_warnings
from diffcli.render.base import render as render_view

SHOWN_ROWS = 20
"""Rows of failing or undecided coordinates shown per point in the text formats."""

HEADERS = ["point", "coordinate", "gradient", "finite differences", "method", "allowed", "status"]


def view(record: dict, width: int | None = None) -> View:
    """A ``gradcheck`` record: the failures of each point, the patterns, the verdict."""
    extra = {} if width is None else {"width": width}
    return View(record, body=partial(_body, record), csv=partial(_csv, record),
                records=partial(_records, record), notes=partial(_notes, record), **extra)


def render(record: dict, fmt: str = "table", width: int | None = None) -> str:
    """Render a ``gradcheck`` record in format ``fmt``."""
    return render_view(view(record, width), fmt)


def report(record: dict) -> str:
    """The text report (``table`` format) — the message of :func:`diffcli.testing.assert_gradient`."""
    return render(record, "table")


def verdict(record: dict) -> str:
    checked, points = record["checked"], len(record["points"])
    where = f"{checked} coordinate{'s' if checked != 1 else ''} at {points} point{'s' if points != 1 else ''}"
    how = (f"|gradient − finite differences| <= {record['atol']:g} + {record['rtol']:g}·|finite differences|"
           if record["rtol"] is not None else
           f"within {record['safety']:g} × (the finite-difference bound + the gradient's rounding)")
    if record["verdict"] == "pass":
        return f"gradient OK: {where} checked, each {how}"
    if record["verdict"] == "undecided":
        return f"gradient UNDECIDED: {record['undecided']} of {where} could not be decided; none fails"
    return f"gradient WRONG: {record['failed']} failure{'s' if record['failed'] != 1 else ''} in {where} " \
           f"(each allowed {how})"


def _number(value) -> str:
    return "" if value is None else f"{value:.10g}"


def _row(point: dict, row: dict) -> list:
    return [str(point["point"]), row["coordinate"], _number(row["gradient"]), _number(row["estimate"]),
            row["method"], f"{row['allowed']:.2g}",
            row["status"].upper() if row["status"] != "pass" else "ok"]


def _body(record: dict) -> list:
    lines = [f"gradcheck of {record['gradient']} against finite differences of {record['function']}"]
    for point in record["points"]:
        shapes = ", ".join(f"{name} {tuple(shape)}" for name, shape in point["inputs"].items())
        sampled = (f"{point['checked']} of {point['coordinates']} coordinates sampled, "
                   f"{len(point['directions'])} random directions" if point["sampled"] else
                   f"all {point['coordinates']} coordinates")
        lines.append(f"point {point['point']}: {shapes}, {point['dtype']}; f = {point['value']:.10g}; "
                     f"{sampled}; {'complex step' if point['complex_step'] else 'richardson'}")
        bad = [r for r in point["rows"] + point["directions"] if r["status"] != "pass"]
        if bad:
            rows = [_row(point, r) for r in bad[:SHOWN_ROWS]]
            lines += ["", Table(HEADERS, rows)]
            if len(bad) > SHOWN_ROWS:
                lines.append(f"… and {len(bad) - SHOWN_ROWS} more")
            lines += [f"  {r['coordinate']}: {r['reason']}" for r in bad[:SHOWN_ROWS] if r["reason"]]
            lines.append("")
    return lines


def _notes(record: dict) -> list:
    """The patterns and the verdict, then the warnings: after the tables in every text format (markdown and
    latex show no other lines)."""
    lines = []
    several = len(record["points"]) > 1
    for pattern in record["patterns"]:
        at = f" (point{'s' if len(pattern['points']) > 1 else ''} {', '.join(map(str, pattern['points']))})" \
            if several else ""
        lines.append(f"pattern: {pattern['message']}{at}; worst {pattern['worst']}")
    lines.append(verdict(record))
    return lines + [f"warning: {w}" for w in record_warnings(record)]


def _csv(record: dict) -> Table:
    """Every checked coordinate and direction, its numbers exact, with its reason (undecided) and the
    warnings of the whole check (CSV has no other place for them)."""
    warnings = "; ".join(record_warnings(record))
    rows = [[p["point"], r["coordinate"], raw(r["gradient"]), raw(r["estimate"]), r["method"],
             raw(r["allowed"]), r["status"], r["reason"] or "", warnings]
            for p in record["points"] for r in p["rows"] + p["directions"]]
    return Table(HEADERS + ["reason", "warnings"], rows)


def _records(record: dict):
    for point in record["points"]:
        for row in point["rows"]:
            yield {"record": "coordinate", "point": point["point"], **row}
        for row in point["directions"]:
            yield {"record": "direction", "point": point["point"], **row}
        yield {"record": "point", **{k: v for k, v in point.items() if k not in ("rows", "directions")}}
    yield {"record": "summary", **{k: v for k, v in record.items() if k != "points"}}
