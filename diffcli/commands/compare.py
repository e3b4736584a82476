"""``diffcli compare``: all methods against the reference, one table."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..app import ExpressionArg, Format, FormatOption, PointArg, app


def _methods_help() -> str:
    from ..methods import METHODS

    return "Comma-separated method ids (default: all): " + "; ".join(
        f"{m.id}: {m.summary}" for m in METHODS.values()) + "."


@app.command(help="All methods against the mpmath reference, one table.\n\n"
                  "Example: diffcli compare \"exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)\" x=2 z=3")
def compare(expression: ExpressionArg, point: PointArg = None,
            methods: Annotated[Optional[str], typer.Option("--methods", "-m", help=_methods_help(),
                                                           show_default=False)] = None,
            digits: Annotated[int, typer.Option("--digits", help="Significant digits of the reference.",
                                                min=1, max=1000)] = 50,
            timing: Annotated[bool, typer.Option("--timing/--no-timing",
                                                 help="Median timings (repeated runs); --no-timing runs once.")]
            = True,
            eps: Annotated[Optional[float], typer.Option(
                "--eps", metavar="H", show_default=False,
                help="Step of every finite-difference method instead of its rule (for richardson: the first, "
                     "largest step of its sequence); e.g. --eps 1e-10 shows a check failing by round-off.")]
            = None,
            format: FormatOption = Format.table):
    from ..api import compare as run_compare
    from ..parse import parse_point
    from ..render.compare import render

    record = run_compare(expression, parse_point(point or []), methods=methods, digits=digits, timing=timing,
                         eps=eps)
    typer.echo(render(record, format.value))
