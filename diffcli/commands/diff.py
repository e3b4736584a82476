"""``diffcli diff``: the simplified symbolic derivative (of any order, mixed too)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..app import DiffFormat, ExpressionArg, app


@app.command(help="The simplified symbolic derivative, as text diffcli parses back, LaTeX, or a Python "
                  "function.\n\n"
                  "--wrt x,z gives the mixed derivative (by x, then by z); --order N repeats one variable.\n\n"
                  "Example: diffcli diff \"x*sin(x)\" --wrt x\n\n"
                  "Example: diffcli diff \"sin(x)\" --wrt x --order 3")
def diff(expression: ExpressionArg,
         wrt: Annotated[str, typer.Option("--wrt", help="The variable to differentiate by, or a comma-separated "
                                                        "list (x,z) for a mixed derivative.", show_default=False)],
         order: Annotated[int, typer.Option("--order", "-n", help="How many times to differentiate by the "
                                                                  "--wrt variable.")] = 1,
         steps: Annotated[bool, typer.Option("--steps", help="Write out the chain-rule derivation step by "
                                                            "step (first derivatives).")] = False,
         format: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format: text parses back "
                                                    "into diffcli, python is a self-contained function.")]
         = DiffFormat.text):
    from ..api import derivative
    from ..render.diff import render

    typer.echo(render(derivative(expression, wrt, order=order, steps=steps), format.value))
