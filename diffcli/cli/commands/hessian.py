"""``diffcli hessian``: the matrix of second derivatives, two ways, against the mpmath reference."""

from __future__ import annotations

from typing import Annotated, Optional

from diffcli.cli.app import FormatOption, PointArg, app, emit, note_warnings
from diffcli.cli.options import (
    DigitsOption,
    ExpressionOnlyArg,
    QuietOption,
    StrictOption,
    TimingOption,
    check_bindings,
    methods_option,
    timing_default,
)
from diffcli.methods.registry import ids


@app.command(short_help="The Hessian by two methods, against the reference.",
             help="The Hessian (second derivatives) by symbolic differentiation and by forward-over-reverse "
                  "AD, each against an mpmath reference.\n\n"
                  "Example: diffcli hessian \"exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)\" x=2 z=3")
def hessian(expression: ExpressionOnlyArg, point: PointArg = None,
            methods: Annotated[Optional[str], methods_option(ids("hessian"))] = None,
            digits: DigitsOption = 50, timing: TimingOption = None,
            format: FormatOption = "table", quiet: QuietOption = False, strict: StrictOption = False):
    from diffcli.core.parse import as_graph, parse_point
    from diffcli.render.hessian import render
    from diffcli.tasks.hessian import hessian as run_hessian

    graph, at = as_graph(expression), parse_point(point or [])
    check_bindings(graph, at, strict)
    record = run_hessian(graph, at, methods=methods, digits=digits, timing=timing_default(timing, None))
    emit(render(record, format))
    note_warnings(record)
