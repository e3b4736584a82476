"""Rendering of ``eps-sweep`` records (see :func:`diffcli.tasks.sweep.sweep`): tables, the terminal plot (plotext)
and the plot file (matplotlib).  Both plotting libraries are optional (``pip install 'diffcli[plot]'``)."""

from __future__ import annotations


from diffcli.core.errors import UsageError
from diffcli.render.base import FileOutput, as_json, csv_text, error_number, number, short_decimal, shorten, tabulate

ZERO_FLOOR = 1e-17
"""A relative error of exactly 0 is drawn here (a log scale has no 0)."""



def render(record: dict, fmt: str = "table", plot: bool = True, width: int = 100) -> str:
    """Render a sweep record; the table format ends with the summary and, with ``plot``, the terminal plot
    (or a note on how to get it when plotext is not installed)."""
    text = as_json(record, fmt)
    if text is not None:
        return text
    if fmt == "csv":
        return _csv(record)
    headers, rows = _steps_table(record)
    summary_headers, summary_rows = _summary_table(record)
    if fmt != "table":
        return tabulate(headers, rows, fmt) + "\n\n" + tabulate(summary_headers, summary_rows, fmt)
    point = ", ".join(f"{k}={v!r}" for k, v in record["point"].items())
    reference = record["reference"]
    lines = [f"f = {record['expression']}",
             f"∂f/∂{record['wrt']} at {point}:  reference {short_decimal(reference['derivative'], 24)} "
             f"(mpmath, {reference['digits']} digits)", "",
             tabulate(headers, rows, fmt), "",
             "—: no estimate (x + h == x in floating point, or a stencil point outside the domain)", "",
             tabulate(summary_headers, summary_rows, fmt), "",
             "model: the predicted error, truncation C·h^p (C from f's derivatives, in mpmath) plus round-off "
             "R·eps·|f|/h; it is smallest at h*."]
    lines += [f"{scheme}: {row['error']}" for scheme, row in _refusals(record)]
    lines += [f"warning: {w}" for w in record.get("warnings", [])]
    if plot:
        try:
            lines += ["", terminal_plot(record, width=width)]
        except UsageError as error:
            lines += ["", f"(no terminal plot: {error.message})"]
    return "\n".join(lines)


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
    return headers, rows


def _summary_table(record):
    headers = ["scheme", "rule step", "its error", "best step", "its error", "model", "C", "h* (model)"]
    rows = []
    for scheme in record["schemes"]:
        rule, best, model = record["rule"][scheme], record["optimal"][scheme], record["model"][scheme]
        rows.append([scheme, f"{rule['h']:.3g}", error_number(rule["rel_error"]) if rule["error"] is None else "—",
                     f"{best['h']:.3g}" if best else "", error_number(best["rel_error"]) if best else "",
                     model["formula"], f"{model['C']:.3g}" if model["C"] is not None else "",
                     f"{model['h_optimal']:.3g}" if model["h_optimal"] else ""])
    return headers, rows


def _csv(record) -> str:
    headers = ["h"]
    for scheme in record["schemes"]:
        headers += [f"{scheme}_estimate", f"{scheme}_rel_error", f"{scheme}_predicted"]
    rows = []
    for row in record["rows"]:
        cells = [repr(row["h"])]
        for scheme in record["schemes"]:
            cell = row[scheme]
            cells += [_raw(cell["estimate"]), _raw(cell["rel_error"]), _raw(cell["predicted"])]
        rows.append(cells)
    return csv_text(headers, rows)


def _raw(value) -> str:
    return "" if value is None else repr(value)


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
            curves.append(Series(line["scheme"], [h for h, _ in line["measured"]], [e for _, e in line["measured"]],
                                 marker=METHODS[line["scheme"]].marker, joined=False, group=line["scheme"]))
    return curves


def terminal_plot(record: dict, width: int = 100, height: int = 28) -> str:
    """The V: log-log plot of relative error against h, drawn as text (no colours) by :mod:`.plot`.

    Each scheme's measured errors are marked by its letter (f, b, c, 5, i), the model's curves by dots.
    Raises UsageError when plotext is not installed.
    """
    from diffcli.render.plot import terminal

    return terminal(_series(record), title=_title(record), xlabel="step h", ylabel="relative error", xlog=True,
                    ylog=True, width=width, height=height, color=False)


def save_plot(record: dict, path: str) -> str:
    """Write the log-log plot to ``path`` (.png, .svg or .pdf) with matplotlib, by :mod:`.plot`; returns the
    path.  Raises UsageError for another suffix, or when matplotlib is not installed."""
    from diffcli.render.plot import Series, image, image_format

    fmt = image_format(path)
    stars = [Series("", [rule["h"]], [max(rule["rel_error"], ZERO_FLOOR)], marker="*", joined=False, group=scheme)
             for scheme, rule in record["rule"].items()
             if rule["rel_error"] is not None and record["rows"][0]["h"] <= rule["h"] <= record["rows"][-1]["h"]]
    picture = image(_series(record) + stars, fmt, title=f"{_title(record)}\nf = {record['expression']}   "
                    "(dashed: model, ★: the rule's step)", xlabel="step h", ylabel="relative error",
                    xlog=True, ylog=True)
    try:
        with open(path, "wb") as handle:
            handle.write(picture)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    return path


# ---------------------------------------------------------------- expression files (--file)

def file_table(records: list, fmt: str) -> str:
    """One row per line of the file: for each scheme, its best step and that step's relative error."""
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
    return tabulate(headers, rows, fmt)


FILE_CSV_HEADER = ("line", "expression", "wrt", "scheme", "best_h", "best_rel_error", "rule_h", "rule_rel_error",
                   "error")


def file_csv_rows(record: dict) -> list:
    if "error" in record:
        return [[record["line"], record["expression"], "", "", "", "", "", "", record["error"]]]
    rows = []
    for scheme in record["schemes"]:
        best, rule = record["optimal"].get(scheme) or {}, record["rule"][scheme]
        rows.append([record["line"], record["expression"], record["wrt"], scheme, _raw(best.get("h")),
                     _raw(best.get("rel_error")), _raw(rule["h"]), _raw(rule["rel_error"]), rule["error"] or ""])
    return rows


FILE_OUTPUT = FileOutput(table=file_table, csv_header=FILE_CSV_HEADER, csv_rows=file_csv_rows)
