"""``diffcli graph``: the computation graph as Graphviz dot or mermaid."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from diffcli.cli.app import PointArg, app, emit, format_option
from diffcli.cli.options import ExpressionOnlyArg, QuietOption, StrictOption, check_bindings


@app.command(short_help="The computation graph as Graphviz dot or mermaid.",
             help="The computation graph: one rectangle per intermediate (inside: what it computes; outside: "
                  "its name), inputs as ellipses, unlabelled edges; with a point the forward values, with "
                  "--adjoints the adjoints too. Graphviz dot by default, or mermaid.\n\n"
                  "Example: diffcli graph \"exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)\" x=2 z=3 --adjoints "
                  "--render lecture.svg")
def graph(expression: ExpressionOnlyArg, point: PointArg = None,
          adjoints: Annotated[bool, typer.Option("--adjoints", help="Show the adjoints g (needs a point).")]
          = False,
          render_to: Annotated[Optional[str], typer.Option(
              "--render", metavar="FILE", help="Write FILE (.svg, .png or .pdf) with Graphviz's dot program "
                                               "instead of printing.", show_default=False)] = None,
          format: Annotated[str, format_option(("dot", "mermaid"))] = "dot",
          quiet: QuietOption = False, strict: StrictOption = False):
    from diffcli.core.parse import as_graph, parse_point
    from diffcli.render.graph import render, to_dot
    from diffcli.tasks.graph import graph_record, render_file

    parsed, at = as_graph(expression), parse_point(point) if point else None
    check_bindings(parsed, at or {}, strict)
    record = graph_record(parsed, at, adjoints=adjoints)
    if render_to:
        render_file(to_dot(record), render_to)
        return
    emit(render(record, format))
