"""``diffcli eps-sweep``: one partial derivative by each finite-difference scheme over a range of steps."""

from __future__ import annotations

import functools
import os
import sys
from typing import Annotated, Optional

import typer

from diffcli.cli.app import (
    ExpressionArg,
    FileOption,
    FormatOption,
    JobsOption,
    PointArg,
    WrtOption,
    app,
    emit,
    expression_and_point,
    note_warnings,
    terminal_width,
    write_file,
)


def _schemes_help() -> str:
    from diffcli.methods import METHODS
    from diffcli.methods.registry import default_sweep, ids

    rules = "; ".join(f"{s}: h = {METHODS[s].sweep.rule}" for s in ids("sweep"))
    return (f"Comma-separated schemes (default: {','.join(default_sweep())}). Their own step rules, shown in "
            f"the summary: {rules}.")


@app.command("eps-sweep", help="The step-size trade-off of finite differences: each scheme's error against "
                               "the step h, measured against the mpmath reference and predicted (truncation "
                               "C·h^p on one side, round-off eps·|f|/h on the other), with the best step of "
                               "each scheme, its rule-of-thumb step, and a log-log plot of the V.\n\n"
                               "With --file, one sweep per line of an expression file (best steps in the "
                               "table, every row with --format jsonl).\n\n"
                               "Example: diffcli eps-sweep \"exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)\" "
                               "x=2 z=3 --wrt x")
def eps_sweep(expression: ExpressionArg = None, point: PointArg = None, wrt: WrtOption = ...,
              schemes: Annotated[Optional[str], typer.Option("--schemes", help=_schemes_help(),
                                                             show_default=False)] = None,
              h_from: Annotated[float, typer.Option("--from", metavar="H", help="Smallest step.")] = 1e-16,
              h_to: Annotated[float, typer.Option("--to", metavar="H", help="Largest step.")] = 1e-1,
              per_decade: Annotated[int, typer.Option("--per-decade", metavar="N",
                                                      help="Steps per factor of 10.")] = 2,
              digits: Annotated[int, typer.Option("--digits", help="Significant digits of the reference.",
                                                  min=1, max=1000)] = 50,
              plot: Annotated[Optional[str], typer.Option(
                  "--plot", metavar="FILE", show_default=False,
                  help="Also write the plot to FILE (.png or .svg; needs matplotlib: "
                       "pip install 'diffcli[plot]').")]
              = None,
              terminal_plot: Annotated[bool, typer.Option(
                  "--terminal-plot/--no-terminal-plot",
                  help="Draw the plot as text under the table (table format; needs plotext).")] = True,
              all_steps: Annotated[bool, typer.Option(
                  "--all", help="The table of every step (each scheme's estimate and relative error) before "
                                "the summary; without it the table shows the summary alone (--format jsonl "
                                "or csv have every step).")] = False,
              file: FileOption = None, jobs: JobsOption = 1,
              format: FormatOption = "table"):
    from diffcli.core.parse import parse_point
    from diffcli.tasks.sweep import sweep

    expression, words = expression_and_point(expression, point, file)
    options = dict(wrt=wrt, schemes=schemes, h_from=h_from, h_to=h_to, per_decade=per_decade, digits=digits)
    if file is not None:
        from diffcli.cli.runner import run_file
        from diffcli.core.errors import UsageError
        from diffcli.render.sweep import file_output

        if plot:
            raise UsageError("--plot draws one sweep; with --file use --format jsonl and plot the records")
        return run_file(file, functools.partial(sweep, **options), parse_point(words), format, jobs,
                        file_output(terminal_width()))

    from diffcli.render.base import draws_figures
    from diffcli.render.plot import image_format
    from diffcli.render.sweep import plot_image, render

    record = sweep(expression, parse_point(words), **options)
    if plot:
        write_file(plot, plot_image(record, image_format(plot)))
    shown = draws_figures(format)  # colour only on a terminal that shows the plot, never under NO_COLOR
    color = shown and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    emit(render(record, format, plot=terminal_plot, width=terminal_width(), all_steps=all_steps, color=color))
    note_warnings(record)
    return 0
