"""``diffcli diff``: the simplified symbolic derivative."""

from __future__ import annotations

import typer

from ..app import ExpressionArg, Format, FormatOption, WrtOption, app


@app.command(help="The simplified symbolic derivative, as text diffcli parses back (or LaTeX).\n\n"
                  "Example: diffcli diff \"x*sin(x)\" --wrt x")
def diff(expression: ExpressionArg, wrt: WrtOption, format: FormatOption = Format.table):
    from ..api import derivative
    from ..render.diff import render

    typer.echo(render(derivative(expression, wrt), format.value))
