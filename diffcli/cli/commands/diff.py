"""``diffcli diff``: the simplified symbolic derivative (of any order, mixed too), or one per line of a
file."""

from __future__ import annotations

import functools
from typing import Annotated

import typer

from diffcli.cli.app import (
    ExpressionArg,
    FileOption,
    JobsOption,
    app,
    emit,
    expression_and_point,
    format_option,
)
from diffcli.cli.options import (
    NO_FILE,
    NO_FILE_MEMORY,
    MaxMemoryOption,
    QuietOption,
    WrtOption,
    bounded,
    refuse_unused,
    resolve_wrt,
)


def derivative_task(expression: str, point: dict, wrt: str | None, order: int = 1) -> dict:
    """The file task of ``diff``: a point after '@' is allowed (files are shared with compare) and unused;
    without ``--wrt`` each line is differentiated by its only variable."""
    from diffcli.core.parse import as_graph
    from diffcli.tasks.derivative import derivative

    graph = as_graph(expression)
    return derivative(graph, resolve_wrt(graph, wrt), order=order)


@app.command(short_help="The simplified symbolic derivative: text, LaTeX or Python.",
             help="The simplified symbolic derivative, as text diffcli parses back, LaTeX, or a Python "
                  "function.\n\n"
                  "--wrt x,z gives the mixed derivative (by x, then by z); --order N repeats one variable. "
                  "With --file, one derivative per line of an expression file.\n\n"
                  "Example: diffcli diff \"x*sin(x)\" --wrt x\n\n"
                  "Example: diffcli diff \"sin(x)\" --wrt x --order 3")
def diff(ctx: typer.Context, expression: ExpressionArg = None, wrt: WrtOption = None,
         order: Annotated[int, typer.Option("--order", "-n", help="How many times to differentiate by "
                                                                  "the --wrt variable.",
                                            callback=bounded("diffcli.tasks.derivative", "ORDER",
                                                             "--order"))] = 1,
         steps: Annotated[bool, typer.Option("--steps", help="Write out the chain-rule derivation step "
                                                            "by step (first derivatives).")] = False,
         file: FileOption = None, jobs: JobsOption = 1, max_memory: MaxMemoryOption = None,
         quiet: QuietOption = False,
         format: Annotated[str, format_option(("text", "latex", "python"), help="Output format: text "
                                              "parses back into diffcli, python is a self-contained "
                                              "function.")] = "text"):
    from diffcli.core.errors import UsageError

    expression, words = expression_and_point(expression, [], file)
    if words:
        raise UsageError(f"diff takes no point: {words[0]!r}")
    refuse_unused(ctx, jobs=None if file else NO_FILE, max_memory=None if file else NO_FILE_MEMORY,
                  steps=None if file is None else "with --file a line gives a derivative, not a derivation")
    if file is not None:
        from diffcli.cli.runner import run_file
        from diffcli.render.diff import FILE_OUTPUT

        return run_file(file, functools.partial(derivative_task, wrt=wrt, order=order), {}, format, jobs,
                        FILE_OUTPUT, max_memory=max_memory)

    from diffcli.core.parse import as_graph
    from diffcli.render.diff import forms_shown, render
    from diffcli.tasks.derivative import FORMS, derivative

    shown = forms_shown(format)  # build only the forms the format shows: -f text never builds LaTeX
    emit(render(derivative(expression, resolve_wrt(as_graph(expression), wrt), order=order, steps=steps,
                           forms=FORMS if shown is None else shown), format))
    return 0
