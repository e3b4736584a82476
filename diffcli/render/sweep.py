"""The view of ``eps-sweep`` records (see :func:`diffcli.tasks.sweep.sweep`): tables, the terminal plot
(plotext) and the plot image (matplotlib).  Both plotting libraries are optional
(``pip install 'diffcli[plot]'``)."""

from __future__ import annotations

from functools import partial

from diffcli.core.errors import UsageError
from diffcli.render.base import (
    Figure,
    FileOutput,
    Table,
    View,
    error_number,
    number,
    point_text,
    raw,
    short_decimal,
    shorten,
)
from diffcli.render.base import render as render_view

ZERO_FLOOR = 1e-17
"""A relative error of exactly 0 is drawn here (a log scale has no 0)."""


def view(record: dict, plot: bool = True, width: int = 100) -> View:
    """A sweep record: the steps, the summary of each scheme, and with ``plot`` the terminal plot in the text
    (or a note on how to get it when plotext is not installed)."""
    return View(record, body=partial(_body, record, plot, width), csv=partial(_csv_table, record))


def render(record: dict, fmt: str = "table", plot: bool = True, width: int = 100) -> str:
    """Render a sweep record in format ``fmt`` (see :func:`view`)."""
    return render_view(view(record, plot=plot, width=width), fmt)


def _body(record: dict, plot: bool, width: int) -> list:
    reference = record["reference"]
    lines = [f"f = {record['expression']}",
             f"∂f/∂{record['wrt']} at {point_text(record['point'])}:  reference "
             f"{short_decimal(reference['derivative'], 24)} (mpmath, {reference['digits']} digits)", "",
             _steps_table(record), "",
             "—: no estimate (x + h == x in floating point, or a stencil point outside the domain)", "",
             _summary_table(record), "",
             "model: the predicted error, truncation C·h^p (C from f's derivatives, in mpmath) plus "
             "round-off R·eps·|f|/h; it is smallest at h*."]
    lines += [f"{scheme}: {row['error']}" for scheme, row in _refusals(record)]
    if plot:
        lines += ["", Figure(partial(_plot_or_note, record, width))]
    return lines


def _plot_or_note(record: dict, width: int) -> str:
    try:
        return terminal_plot(record, width=width)
    except UsageError as error:
        return f"(no terminal plot: {error.message})"


def _refusals(record):
    """Schemes that could not run at any step, with the reason."""
    for scheme in record["schemes"]:
        cells = [row[scheme] for row in record["rows"]]
        if cells and all(c["error"] for c in cells) and len({c["error"] for c in cells}) == 1:
            yield scheme, cells[0]


def _steps_table(record):
    headers = ["h"]
    for scheme in record["schemes"]:
        headers += [scheme, "rel error"]
    rows = []
    for row in record["rows"]:
        cells = [f"{row['h']:.3g}"]
        for scheme in record["schemes"]:
            cell = row[scheme]
            if cell["estimate"] is None:
                cells += ["", "—"]
            else:
                cells += [number(cell["estimate"]), error_number(cell["rel_error"])]
        rows.append(cells)
    return Table(headers, rows)


def _summary_table(record):
    headers = ["scheme", "rule step", "its error", "best step", "its error", "model", "C", "h* (model)"]
    rows = []
    for scheme in record["schemes"]:
        rule, best, model = record["rule"][scheme], record["optimal"][scheme], record["model"][scheme]
        rule_error = error_number(rule["rel_error"]) if rule["error"] is None else "—"
        rows.append([scheme, f"{rule['h']:.3g}", rule_error, f"{best['h']:.3g}" if best else "",
                     error_number(best["rel_error"]) if best else "", model["formula"],
                     f"{model['C']:.3g}" if model["C"] is not None else "",
                     f"{model['h_optimal']:.3g}" if model["h_optimal"] else ""])
    return Table(headers, rows)


def _csv_table(record) -> Table:
    headers = ["h"]
    for scheme in record["schemes"]:
        headers += [f"{scheme}_estimate", f"{scheme}_rel_error", f"{scheme}_predicted"]
    rows = []
    for row in record["rows"]:
        cells = [repr(row["h"])]
        for scheme in record["schemes"]:
            cell = row[scheme]
            cells += [raw(cell["estimate"]), raw(cell["rel_error"]), raw(cell["predicted"])]
        rows.append(cells)
    return Table(headers, rows)


# ---------------------------------------------------------------- plots

def series(record: dict) -> list[dict]:
    """Per scheme, the measured (h, rel_error) points and the model's curve; exact zeros at ZERO_FLOOR."""
    out = []
    for scheme in record["schemes"]:
        measured = [(row["h"], max(row[scheme]["rel_error"], ZERO_FLOOR)) for row in record["rows"]
                    if row[scheme]["rel_error"] is not None]
        model = [(row["h"], max(row[scheme]["predicted"], ZERO_FLOOR)) for row in record["rows"]
                 if row[scheme]["predicted"] is not None]
        out.append({"scheme": scheme, "measured": measured, "model": model})
    return out


def _title(record) -> str:
    return f"relative error of ∂f/∂{record['wrt']} against the step h"


def _series(record: dict) -> list:
    """The plot's curves: each scheme's model (dots), then its measured errors (its letter), central's V
    drawn last so that it shows where curves overlap, and the rule-of-thumb step of each scheme (★, files)."""
    from diffcli.render.plot import Series

    lines = series(record)
    curves = [Series("model", [h for h, _ in line["model"]], [e for _, e in line["model"]], marker="·",
                     group=line["scheme"], dashed=True) for line in lines if line["model"]]
    from diffcli.methods import METHODS  # each scheme's marker and drawing order are in its registry entry

    for line in sorted(lines, key=lambda line: METHODS[line["scheme"]].draw_rank):
        if line["measured"]:
            steps, errors = [h for h, _ in line["measured"]], [e for _, e in line["measured"]]
            curves.append(Series(line["scheme"], steps, errors, marker=METHODS[line["scheme"]].marker,
                                 joined=False, group=line["scheme"]))
    return curves


def terminal_plot(record: dict, width: int = 100, height: int = 28) -> str:
    """The V: log-log plot of relative error against h, drawn as text (no colours) by :mod:`.plot`.

    Each scheme's measured errors are marked by its letter (f, b, c, 5, i), the model's curves by dots.
    Raises UsageError when plotext is not installed.
    """
    from diffcli.render.plot import terminal

    return terminal(_series(record), title=_title(record), xlabel="step h", ylabel="relative error",
                    xlog=True, ylog=True, width=width, height=height, color=False)


def plot_image(record: dict, fmt: str) -> bytes:
    """The log-log plot as PNG, SVG or PDF bytes (matplotlib, by :mod:`.plot`), the rule-of-thumb step of each
    scheme starred; the command writes them.  Raises UsageError when matplotlib is not installed."""
    from diffcli.render.plot import Series, image

    low, high = record["rows"][0]["h"], record["rows"][-1]["h"]
    stars = [Series("", [rule["h"]], [max(rule["rel_error"], ZERO_FLOOR)], marker="*", joined=False,
                    group=scheme)
             for scheme, rule in record["rule"].items()
             if rule["rel_error"] is not None and low <= rule["h"] <= high]
    return image(_series(record) + stars, fmt, title=f"{_title(record)}\nf = {record['expression']}   "
                 "(dashed: model, ★: the rule's step)", xlabel="step h", ylabel="relative error", xlog=True,
                 ylog=True)


# ---------------------------------------------------------------- expression files (--file)

def file_view(records: list) -> View:
    """An expression file's records: one row per line, for each scheme its best step and that step's relative
    error."""
    return View(records, body=lambda: [_file_table(records)])


def _file_table(records: list) -> Table:
    schemes = list(dict.fromkeys(s for r in records if "schemes" in r for s in r["schemes"]))
    headers = ["line", "expression", *[f"{s} best h" for s in schemes], *[f"{s} error" for s in schemes],
               "error"]
    rows = []
    for record in records:
        row = [str(record["line"]), shorten(record["expression"])]
        if "error" in record:
            rows.append(row + [""] * (2 * len(schemes)) + [shorten(record["error"])])
            continue
        best = [record["optimal"].get(s) for s in schemes]
        rows.append(row + [f"{b['h']:.3g}" if b else "" for b in best]
                    + [error_number(b["rel_error"]) if b else "" for b in best] + [""])
    return Table(headers, rows)


FILE_CSV_HEADER = ("line", "expression", "wrt", "scheme", "best_h", "best_rel_error", "rule_h",
                   "rule_rel_error", "error")


def file_csv_rows(record: dict) -> list:
    if "error" in record:
        return [[record["line"], record["expression"], "", "", "", "", "", "", record["error"]]]
    rows = []
    for scheme in record["schemes"]:
        best, rule = record["optimal"].get(scheme) or {}, record["rule"][scheme]
        rows.append([record["line"], record["expression"], record["wrt"], scheme, raw(best.get("h")),
                     raw(best.get("rel_error")), raw(rule["h"]), raw(rule["rel_error"]), rule["error"] or ""])
    return rows


FILE_OUTPUT = FileOutput(view=file_view, csv_header=FILE_CSV_HEADER, csv_rows=file_csv_rows)
