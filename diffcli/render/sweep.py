"""The view of ``eps-sweep`` records (see :func:`diffcli.tasks.sweep.sweep`): tables, the terminal plot
(plotext) and the plot image (matplotlib).  Both plotting libraries are optional
(``pip install 'diffcli[plot]'``)."""

from __future__ import annotations

from functools import partial

from diffcli.core.errors import UsageError
from diffcli.render.base import (
    DEFAULT_WIDTH,
    Figure,
    FileOutput,
    Table,
    View,
    error_number,
    fitting,
    number,
    point_text,
    raw,
    record_warnings,
    short_decimal,
    shorten,
    table_width,
)
from diffcli.render.base import render as render_view

ZERO_FLOOR = 1e-17
"""A relative error of exactly 0 is drawn here (a log scale has no 0)."""


PLOT_HEIGHT = 28
"""Lines of the terminal plot under every step (``--all``)."""
SUMMARY_PLOT_HEIGHT = 15
"""Lines of the terminal plot under the summary, so that the default output stays within 30 lines."""


def view(record: dict, plot: bool = True, width: int = DEFAULT_WIDTH, all_steps: bool = False,
         color: bool = False) -> View:
    """A sweep record: the summary of each scheme (with ``all_steps`` every step before it), and with
    ``plot`` the terminal plot in the text (or a note on how to get it when plotext is not installed),
    coloured with ``color``.  Tables fit ``width`` (the steps table keeps only the errors when the
    estimates do not fit).  CSV has every step, whatever ``all_steps``."""
    return View(record, body=partial(_body, record, plot, width, all_steps, color),
                csv=partial(_csv_table, record), notes=partial(_notes, record), width=width)


def _notes(record: dict) -> list[str]:
    """The schemes that could not run and why, then the warnings: after the tables in every text format."""
    return [f"{scheme}: {row['error']}" for scheme, row in _refusals(record)] + \
        [f"warning: {w}" for w in record_warnings(record)]


def render(record: dict, fmt: str = "table", plot: bool = True, width: int = DEFAULT_WIDTH,
           all_steps: bool = False, color: bool = False) -> str:
    """Render a sweep record in format ``fmt`` (see :func:`view`)."""
    return render_view(view(record, plot=plot, width=width, all_steps=all_steps, color=color), fmt)


def _body(record: dict, plot: bool, width: int, all_steps: bool, color: bool) -> list:
    reference = record["reference"]
    lines = [f"f = {record['expression']}",
             f"∂f/∂{record['wrt']} at {point_text(record['point'])}:  reference "
             f"{short_decimal(reference['derivative'], 24)} (mpmath, {reference['digits']} digits)", ""]
    if all_steps:
        steps = fitting([partial(_steps_table, record, True), partial(_steps_table, record, False)], width)
        lines += [steps, "", "—: no estimate (x + h == x in floating point, or a stencil point outside the "
                  "domain)", ""]
    lines += [fitting([partial(_summary_table, record, True), partial(_summary_table, record, False)], width),
              "", "model: the predicted error, truncation C·h^p plus round-off R·eps·|f|/h; smallest at h*."]
    if not all_steps:
        lines.append(f"{len(record['rows'])} steps measured: every one with --all, or --format jsonl/csv.")
    if plot:
        height = PLOT_HEIGHT if all_steps else SUMMARY_PLOT_HEIGHT
        lines += ["", Figure(partial(_plot_or_note, record, width, height, color))]
    return lines


def _plot_or_note(record: dict, width: int, height: int, color: bool) -> str:
    try:
        return terminal_plot(record, width=width, height=height, color=color)
    except UsageError as error:
        return f"(no terminal plot: {error.message})"


def _refusals(record):
    """Schemes that could not run at any step, with the reason."""
    for scheme in record["schemes"]:
        cells = [row[scheme] for row in record["rows"]]
        if cells and all(c["error"] for c in cells) and len({c["error"] for c in cells}) == 1:
            yield scheme, cells[0]


def _steps_table(record, estimates: bool) -> Table:
    """Every step: each scheme's estimate (with ``estimates``) and its relative error."""
    headers = ["h"]
    for scheme in record["schemes"]:
        headers += [scheme, "rel error"] if estimates else [scheme]
    rows = []
    for row in record["rows"]:
        cells = [f"{row['h']:.3g}"]
        for scheme in record["schemes"]:
            cell = row[scheme]
            relative = "—" if cell["estimate"] is None else error_number(cell["rel_error"])
            cells += [number(cell["estimate"]), relative] if estimates else [relative]
        rows.append(cells)
    return Table(headers, rows)


def _summary_table(record, constants: bool) -> Table:
    """Each scheme: its rule's step and error, the best step measured and its error, the model (with
    ``constants`` its C) and the step h* where the model is smallest."""
    headers = ["scheme", "rule h", "its error", "best h", "its error", "model", "C", "h*"]
    rows = []
    for scheme in record["schemes"]:
        rule, best, model = record["rule"][scheme], record["optimal"][scheme], record["model"][scheme]
        rule_error = error_number(rule["rel_error"]) if rule["error"] is None else "—"
        rows.append([scheme, f"{rule['h']:.3g}", rule_error, f"{best['h']:.3g}" if best else "",
                     error_number(best["rel_error"]) if best else "", model["formula"],
                     f"{model['C']:.3g}" if model["C"] is not None else "",
                     f"{model['h_optimal']:.3g}" if model["h_optimal"] else ""])
    if not constants:
        headers, rows = headers[:6] + headers[7:], [row[:6] + row[7:] for row in rows]
    return Table(headers, rows)


def _csv_table(record) -> Table:
    headers = ["h"]
    for scheme in record["schemes"]:
        headers += [f"{scheme}_estimate", f"{scheme}_rel_error", f"{scheme}_predicted"]
    refusals = [f"{scheme}: {row['error']}" for scheme, row in _refusals(record)]
    said = "; ".join(refusals + record_warnings(record))
    rows = []
    for row in record["rows"]:
        cells = [repr(row["h"])]
        for scheme in record["schemes"]:
            cell = row[scheme]
            cells += [raw(cell["estimate"]), raw(cell["rel_error"]), raw(cell["predicted"])]
        rows.append(cells + [said])
    return Table(headers + ["errors and warnings"], rows)


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


def terminal_plot(record: dict, width: int = DEFAULT_WIDTH, height: int = PLOT_HEIGHT,
                  color: bool = False) -> str:
    """The V: log-log plot of relative error against h, drawn as text by :mod:`.plot` (each scheme in its
    colour with ``color``).

    Each scheme's measured errors are marked by its letter (f, b, c, 5, i), the model's curves by dots.
    Raises UsageError when plotext is not installed.
    """
    from diffcli.render.plot import terminal

    return terminal(_series(record), title=_title(record), xlabel="step h", ylabel="relative error",
                    xlog=True, ylog=True, width=width, height=height, color=color)


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

def file_view(records: list, width: int = DEFAULT_WIDTH) -> View:
    """An expression file's records: for each line and scheme the best step and that step's relative error;
    one row per line, or (when that is wider than ``width``) one per line and scheme, with the errors of
    failed lines as notes under the table."""
    return View(records, body=partial(_file_body, records, width), width=width)


def _file_body(records: list, width: int) -> list:
    table = _file_table(records)
    if table_width(table) <= width:
        return [table]
    failed = [f"line {r['line']}: {r['error']}" for r in records if "error" in r]
    return [_file_rows_by_scheme(records)] + ([""] + failed if failed else [])


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


def _file_rows_by_scheme(records: list) -> Table:
    rows = []
    for record in records:
        line, expression = str(record["line"]), shorten(record["expression"], 40)
        if "error" in record:
            rows.append([line, expression, "failed", "", ""])
            continue
        for i, scheme in enumerate(record["schemes"]):
            best = record["optimal"].get(scheme)
            rows.append([line if i == 0 else "", expression if i == 0 else "", scheme,
                         f"{best['h']:.3g}" if best else "", error_number(best["rel_error"]) if best else ""])
    return Table(["line", "expression", "scheme", "best h", "its error"], rows)


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


def file_output(width: int = DEFAULT_WIDTH) -> FileOutput:
    """How ``eps-sweep --file`` writes its records, its table fitting ``width``."""
    return FileOutput(view=partial(file_view, width=width), csv_header=FILE_CSV_HEADER,
                      csv_rows=file_csv_rows)


FILE_OUTPUT = file_output()
