"""The view of ``optimize`` records (see :func:`diffcli.tasks.optimize.optimize`): the ranked table, the loss
history as CSV, and the convergence plot (terminal text, or image bytes that the command writes)."""

from __future__ import annotations

import math
from functools import partial
from typing import Callable

from diffcli.core.errors import cut
from diffcli.render import plot
from diffcli.render.base import Figure, Table, View, csv_text, duration, number, raw
from diffcli.render.base import render as render_view

WIDE_LAYOUT_MAX_PARAMETERS = 4
"""Up to this many parameters the table has a column per parameter; beyond, one column lists them all."""


def view(record: dict, figure: Callable[[], str] | None = None) -> View:
    """An ``optimize`` record without its ``history`` (which :func:`history_csv` writes): the settings, the
    ranked table and why each optimizer stopped; ``figure`` draws a terminal plot that ends the text (see
    :func:`plot_terminal`)."""
    summary = {k: v for k, v in record.items() if k != "history"}
    return View(summary, body=partial(_body, summary, figure), csv=partial(_csv_table, summary))


def render(record: dict, fmt: str = "table", figure: Callable[[], str] | None = None) -> str:
    """Render an ``optimize`` record in format ``fmt`` (see :func:`view`)."""
    return render_view(view(record, figure), fmt)


def _body(record: dict, figure: Callable[[], str] | None) -> list:
    width = max(len(row["optimizer"]) for row in record["optimizers"])
    lines = [*_heading(record), "", _table(record), ""]
    lines += [f"{row['optimizer']:<{width}}  {row['stop']}: {row['message']}" for row in record["optimizers"]]
    if figure is not None:
        lines += ["", Figure(figure)]
    return lines


def _loss(value) -> str:
    return "" if value is None else f"{value:.7g}"


def _heading(record: dict) -> list[str]:
    settings = record["settings"]
    if record["mode"] == "data":
        data = record["data"]
        held_out = f", {data['validation']} validation" if data["validation"] else ""
        split = f"{data['train']} training{held_out}"
        lines = [f"fit {record['expression']}  (mean over examples)",
                 (f"data {data['source']}: {data['rows']} rows ({split}); batch {data['batch']}; "
                  f"parameters {', '.join(record['parameters'])}")]
    else:
        lines = [f"minimize f = {record['expression']}"]
    if record["start"] is not None:
        lines.append("from " + ", ".join(f"{k}={v!r}" for k, v in record["start"].items()))
    else:
        low, high = settings["box"]
        lines.append(f"{settings['restarts']} random starts in [{low!r}, {high!r}] "
                     f"(seed {settings['seed']}); each row shows its best run")
    if record["fixed"]:
        lines.append("fixed " + ", ".join(f"{k}={v!r}" for k, v in record["fixed"].items()))
    lines.append(f"lr {settings['lr']:g}, momentum {settings['momentum']:g}, decay {settings['decay']:g}, "
                 f"beta1 {settings['beta1']:g}, beta2 {settings['beta2']:g}, epsilon {settings['epsilon']:g}"
                 + (f", l2 {settings['l2']:g}" if settings["l2"] else ""))
    patience = f"; patience {settings['patience']} checks" if record.get("data", {}).get("validation") else ""
    lines.append(f"stop: tol {settings['tol']:g} over {settings['window']} steps after at least "
                 f"{settings['min_steps']}; max-steps {settings['max_steps']}{patience}")
    return lines


def _table(record: dict) -> Table:
    names = record["parameters"]
    wide = len(names) <= WIDE_LAYOUT_MAX_PARAMETERS
    restarts = bool(record["settings"]["restarts"])
    validation = bool(record.get("data", {}).get("validation"))
    headers = ["rank", "optimizer", "loss"]
    headers += names if wide else ["parameters"]
    headers += ["grad norm", "steps"]
    if validation:
        headers += ["val loss", "best step"]
    if restarts:
        of = " val" if validation else ""
        headers += [f"best{of}", f"median{of}", f"worst{of}", "failed", "grad evals (all runs)",
                    "time (all runs)"]
    else:
        headers += ["grad evals", "time"]
    headers.append("stop")
    rows = []
    for row in record["optimizers"]:
        cells = [str(row["rank"]), row["optimizer"], _loss(row["loss"])]
        values = row["parameters"]
        cells += [number(values[n]) for n in names] if wide else \
            [", ".join(f"{n}={values[n]:.6g}" for n in names)]
        cells += ["" if row["gradient_norm"] is None else f"{row['gradient_norm']:.2g}", str(row["steps"])]
        if validation:
            best_step = row.get("best_step")
            cells += [_loss(row.get("validation_loss")), "" if best_step is None else str(best_step)]
        if restarts:
            spread = row["restarts"]
            cells += [_loss(spread["best"]), _loss(spread["median"]), _loss(spread["worst"]),
                      f"{spread['failed']}/{spread['runs']}", str(spread["gradient_evaluations"]),
                      duration(spread["seconds"])]
        else:
            cells += [str(row["gradient_evaluations"]), duration(row["seconds"])]
        cells.append(row["stop"])
        rows.append(cells)
    return Table(headers, rows)


def _csv_table(record: dict) -> Table:
    names = record["parameters"]
    headers = ["rank", "optimizer", "loss", *[f"param_{n}" for n in names], "gradient_norm", "steps",
               "gradient_evaluations", "seconds", "stop", "message", "validation_loss", "best_step",
               "restarts_best", "restarts_median", "restarts_worst", "restarts_failed"]
    rows = []
    for row in record["optimizers"]:
        spread = row.get("restarts") or {}
        rows.append([row["rank"], row["optimizer"], raw(row["loss"]),
                     *[raw(row["parameters"][n]) for n in names],
                     raw(row["gradient_norm"]), row["steps"], row["gradient_evaluations"],
                     raw(row["seconds"]), row["stop"], row["message"], raw(row.get("validation_loss")),
                     raw(row.get("best_step")),
                     raw(spread.get("best")), raw(spread.get("median")), raw(spread.get("worst")),
                     raw(spread.get("failed"))])
    return Table(headers, rows)


# ---------------------------------------------------------------- history and plot


def history_csv(record: dict) -> str:
    """The loss at every step of every run: ``optimizer,run,step,loss,validation_loss`` (the validation
    loss only at the steps where it was checked).  ``step`` 0 is the start; with mini-batches ``loss`` is the
    loss of the batch the step used."""
    rows = []
    for series in record["history"]:
        checks = {int(step): loss for step, loss in series["validation"]}
        for step, loss in enumerate(series["loss"]):
            rows.append([series["optimizer"], series["run"], step, repr(loss), raw(checks.get(step))])
    return csv_text(["optimizer", "run", "step", "loss", "validation_loss"], rows)


def convergence(record: dict) -> tuple[list[plot.Series], bool]:
    """One series per optimizer (its best run): loss against step; and whether a log scale can show it."""
    best = {row["optimizer"]: (row.get("restarts") or {}).get("best_run", 0) for row in record["optimizers"]}
    series = [plot.Series(s["optimizer"], range(len(s["loss"])), s["loss"], group=s["optimizer"])
              for s in record["history"] if s["run"] == best[s["optimizer"]]]
    order = [row["optimizer"] for row in record["optimizers"]]
    series.sort(key=lambda s: order.index(s.label))
    finite = [y for s in series for y in s.y if math.isfinite(y)]
    return series, bool(finite) and min(finite) > 0


def _plot_labels(record: dict, log: bool) -> dict:
    data = record.get("data", {})
    what = "training loss (batch)" if data.get("batch", 0) < data.get("train", 0) else "loss"
    expression = cut(record["expression"], 50)
    return {"title": f"convergence: {expression}", "xlabel": "step",
            "ylabel": what + (" (log scale)" if log else "")}


def plot_terminal(record: dict, color: bool = True) -> str:
    """The convergence plot (loss against step, log scale when every loss is positive) as terminal text."""
    series, log = convergence(record)
    return plot.terminal(series, ylog=log, color=color, **_plot_labels(record, log))


def plot_image(record: dict, fmt: str) -> bytes:
    """The convergence plot as PNG, SVG or PDF bytes."""
    series, log = convergence(record)
    return plot.image(series, fmt, ylog=log, **_plot_labels(record, log))
