"""``diffcli trace``: the reverse-mode tape, node by node."""

from __future__ import annotations

from diffcli.cli.app import FormatOption, PointArg, app, emit, note_warnings, terminal_width
from diffcli.cli.options import DigitsOption, ExpressionOnlyArg, QuietOption, StrictOption, check_bindings


@app.command(short_help="Reverse mode made visible: values and adjoints, node by node.",
             help="Reverse mode made visible: one row per node with its forward value, its adjoint g_· "
                  "and the chain-rule terms summed into it (inputs keep their names, program names are "
                  "used, other intermediates are a, b, c, …, the output y).\n\n"
                  "Example: diffcli trace \"exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)\" x=2 z=3")
def trace(expression: ExpressionOnlyArg, point: PointArg = None, digits: DigitsOption = 50,
          format: FormatOption = "table", quiet: QuietOption = False, strict: StrictOption = False):
    from diffcli.core.parse import as_graph, parse_point
    from diffcli.render.trace import render
    from diffcli.tasks.trace import trace as run_trace

    graph, at = as_graph(expression), parse_point(point or [])
    check_bindings(graph, at, strict)
    record = run_trace(graph, at, digits=digits)
    emit(render(record, format, width=terminal_width()))
    note_warnings(record)
    return 1 if record["error"] else 0  # the tape itself failed (a bug): shown, and a failed run
