"""``diffcli hessian``: the matrix of second derivatives, two ways, against the mpmath reference."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from diffcli.cli.app import DigitsOption, ExpressionArg, FormatOption, PointArg, TimingOption, app, emit


def _methods_help() -> str:
    from diffcli.methods import METHODS
    from diffcli.methods.registry import ids

    return "Comma-separated Hessian methods (default: all): " + "; ".join(
        f"{name}: {METHODS[name].hessian_summary}" for name in ids("hessian")) + "."


@app.command(help="The Hessian (second derivatives) by symbolic differentiation and by forward-over-reverse "
                  "AD, each against an mpmath reference.\n\n"
                  "Example: diffcli hessian \"exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)\" x=2 z=3")
def hessian(expression: ExpressionArg, point: PointArg = None,
            methods: Annotated[Optional[str], typer.Option("--methods", "-m", help=_methods_help(),
                                                           show_default=False)] = None,
            digits: DigitsOption = 50, timing: TimingOption = True,
            format: FormatOption = "table"):
    from diffcli.core.parse import parse_point
    from diffcli.render.hessian import render
    from diffcli.tasks.hessian import hessian as run_hessian

    record = run_hessian(expression, parse_point(point or []), methods=methods, digits=digits, timing=timing)
    emit(render(record, format))
