"""``diffcli graph``: the computation graph as Graphviz dot or mermaid."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from diffcli.cli.app import ExpressionArg, PointArg, app, emit, format_option


@app.command(help="The computation graph: one rectangle per intermediate (inside: what it computes; outside: "
                  "its name), inputs as ellipses, unlabelled edges; with a point the forward values, with "
                  "--adjoints the adjoints too. Graphviz dot by default, or mermaid.\n\n"
                  "Example: diffcli graph \"exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)\" x=2 z=3 --adjoints "
                  "--render lecture.svg")
def graph(expression: ExpressionArg, point: PointArg = None,
          adjoints: Annotated[bool, typer.Option("--adjoints", help="Show the adjoints g (needs a point).")]
          = False,
          render_to: Annotated[Optional[str], typer.Option(
              "--render", metavar="FILE", help="Write FILE (.svg, .png or .pdf) with Graphviz's dot program "
                                               "instead of printing.", show_default=False)] = None,
          format: Annotated[str, format_option(("dot", "mermaid"))] = "dot"):
    from diffcli.core.parse import parse_point
    from diffcli.render.graph import render, to_dot
    from diffcli.tasks.graph import graph_record, render_file

    record = graph_record(expression, parse_point(point) if point else None, adjoints=adjoints)
    if render_to:
        render_file(to_dot(record), render_to)
        return
    emit(render(record, format))
