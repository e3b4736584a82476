"""``diffcli verify``: is a hand-derived derivative right?  Exit 0 if it holds, 1 if not."""

from __future__ import annotations

from typing import Annotated

import typer

from ..app import ExpressionArg, Format, FormatOption, PointArg, WrtOption, app, emit


@app.command(help="Check a hand-derived derivative (--claim) against the mpmath reference at the point, or "
                  "without one at random points inside both domains (--seed). Exit 0 when it holds "
                  "everywhere, 1 when not, naming the chain-rule term it most likely dropped or got wrong.\n\n"
                  "Example: diffcli verify \"x*sin(x)\" --wrt x --claim \"sin(x) + x*cos(x)\"")
def verify(expression: ExpressionArg, wrt: WrtOption,
           claim: Annotated[str, typer.Option("--claim", help="The claimed derivative (an expression).",
                                              show_default=False)],
           point: PointArg = None,
           tolerance: Annotated[float, typer.Option("--tolerance", help="Largest relative error accepted "
                                                                        "(absolute where the derivative is 0).")]
           = 1e-10,
           seed: Annotated[int, typer.Option("--seed", help="Seed of the random points (without a point).")] = 0,
           samples: Annotated[int, typer.Option("--samples", help="How many random points (without a point).",
                                                min=1, max=1000)] = 5,
           digits: Annotated[int, typer.Option("--digits", help="Significant digits of the reference.",
                                               min=1, max=1000)] = 30,
           format: FormatOption = Format.table):
    from ..parse import parse_point
    from ..render.verify import render
    from ..verify import verify as run_verify

    record = run_verify(expression, wrt, claim, parse_point(point or []), tolerance=tolerance, seed=seed,
                        samples=samples, digits=digits)
    emit(render(record, format.value))
    return 0 if record["holds"] else 1
