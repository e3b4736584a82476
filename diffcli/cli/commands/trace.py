"""``diffcli trace``: the reverse-mode tape, node by node."""

from __future__ import annotations

from typing import Annotated

import typer

from diffcli.cli.app import ExpressionArg, FormatOption, PointArg, app, emit


@app.command(help="Reverse mode made visible: one row per node with its forward value, its adjoint g_· "
                  "and the chain-rule terms summed into it (inputs keep their names, program names are "
                  "used, other intermediates are a, b, c, …, the output y).\n\n"
                  "Example: diffcli trace \"exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)\" x=2 z=3")
def trace(expression: ExpressionArg, point: PointArg = None,
          digits: Annotated[int, typer.Option("--digits", help="Significant digits of the reference.",
                                              min=1, max=1000)] = 50,
          format: FormatOption = "table"):
    from diffcli.core.parse import parse_point
    from diffcli.render.trace import render
    from diffcli.tasks.trace import trace as run_trace

    record = run_trace(expression, parse_point(point or []), digits=digits)
    emit(render(record, format))
    return 1 if record["error"] else 0  # the tape itself failed (a bug): shown, and a failed run
