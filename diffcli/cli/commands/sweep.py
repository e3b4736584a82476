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
    app,
    emit,
    expression_and_point,
    note_warnings,
    terminal_width,
    write_file,
)
from diffcli.cli.options import (
    NO_FILE,
    NO_FILE_MEMORY,
    DigitsOption,
    MaxMemoryOption,
    PlotOption,
    QuietOption,
    StrictOption,
    WrtOption,
    bounded,
    check_bindings,
    hidden_alias,
    merged_alias,
    methods_option,
    refuse_unused,
    resolve_wrt,
    with_wrt,
)
from diffcli.methods.registry import default_sweep, ids


def _bounded(constant: str, name: str):
    return bounded("diffcli.tasks.sweep", constant, name)


MIXED = "eps-sweep sweeps one first partial derivative: give one name"
"""Why ``eps-sweep --wrt x,z`` is refused."""


@app.command("eps-sweep", short_help="The step-size trade-off of finite differences, error against h.",
             help="Each scheme's error against the step h, measured and predicted (truncation C·h^p, "
                  "round-off eps·|f|/h), its best step and the V plot; with --file, one sweep per line.\n\n"
                  "Example: diffcli eps-sweep \"exp(x*z) + x*z/log(x)\" x=2 z=3 --wrt x")
def eps_sweep(ctx: typer.Context, expression: ExpressionArg = None, point: PointArg = None,
              wrt: WrtOption = None,
              methods: Annotated[Optional[str], methods_option(
                  ids("sweep"), default=",".join(default_sweep()))] = None,
              schemes: Annotated[Optional[str], hidden_alias("--schemes")] = None,
              h_from: Annotated[float, typer.Option("--from", metavar="H", help="Smallest step.",
                                                    callback=_bounded("STEP", "--from"))] = 1e-16,
              h_to: Annotated[float, typer.Option("--to", metavar="H", help="Largest step.",
                                                  callback=_bounded("STEP", "--to"))] = 1e-1,
              per_decade: Annotated[int, typer.Option("--per-decade", metavar="N",
                                                      help="Steps per factor of 10.",
                                                      callback=_bounded("PER_DECADE", "--per-decade"))] = 2,
              digits: DigitsOption = 50, plot: PlotOption = None,
              no_terminal_plot: Annotated[bool, typer.Option(
                  "--no-terminal-plot", help="Leave out the text plot under the table.")] = False,
              old_terminal_plot: Annotated[bool, hidden_alias("--terminal-plot")] = False,
              all_steps: Annotated[bool, typer.Option(
                  "--all", help="The table of every step (each scheme's estimate and relative error) before "
                                "the summary; without it the table shows the summary alone (--format jsonl "
                                "or csv have every step).")] = False,
              file: FileOption = None, jobs: JobsOption = 1, max_memory: MaxMemoryOption = None,
              format: FormatOption = "table", quiet: QuietOption = False, strict: StrictOption = False):
    from diffcli.core.errors import UsageError
    from diffcli.core.parse import parse_point
    from diffcli.tasks.sweep import sweep

    expression, words = expression_and_point(expression, point, file)
    refuse_unused(ctx, jobs=None if file else NO_FILE, max_memory=None if file else NO_FILE_MEMORY,
                  no_terminal_plot=None if file is None else "with --file there is no plot")
    terminal_plot = not no_terminal_plot
    schemes = merged_alias(methods, schemes, "--schemes")
    options = dict(schemes=schemes, h_from=h_from, h_to=h_to, per_decade=per_decade, digits=digits)
    if file is not None:
        from diffcli.cli.runner import run_file
        from diffcli.render.sweep import file_output

        if plot:
            raise UsageError("--plot draws one sweep; with --file use --format jsonl and plot the records")
        task = functools.partial(with_wrt, task=sweep, wrt=wrt, mixed=MIXED, **options)
        return run_file(file, task, parse_point(words), format, jobs, file_output(terminal_width()),
                        max_memory=max_memory)

    from diffcli.core.parse import as_graph
    from diffcli.render.base import draws_figures
    from diffcli.render.plot import image_format
    from diffcli.render.sweep import plot_image, render
    from diffcli.render.sweep import terminal_plot as text_plot

    if plot == "terminal" and not terminal_plot:
        raise UsageError("--plot terminal draws the text plot that --no-terminal-plot leaves out; give one")
    graph, at = as_graph(expression), parse_point(words)
    check_bindings(graph, at, strict)
    record = sweep(graph, at, wrt=resolve_wrt(graph, wrt, mixed=MIXED), **options)
    if plot and plot != "terminal":
        write_file(plot, plot_image(record, image_format(plot)))
    shown = draws_figures(format)  # colour only on a terminal that shows the plot, never under NO_COLOR
    color = (sys.stdout if shown else sys.stderr).isatty() and not os.environ.get("NO_COLOR")
    emit(render(record, format, plot=terminal_plot, width=terminal_width(), all_steps=all_steps, color=color))
    note_warnings(record)
    if plot == "terminal" and not shown:  # as optimize: the text plot goes to stderr
        typer.echo("\n" + text_plot(record, width=terminal_width(), color=color), file=sys.stderr)
    return 0
