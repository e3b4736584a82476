"""``diffcli verify``: is a hand-derived derivative right?  Exit 0 if it holds, 1 if not."""

from __future__ import annotations

import functools
from typing import Annotated, Optional

import typer

from diffcli.cli.app import (
    ExpressionArg,
    FileOption,
    FormatOption,
    JobsOption,
    PointArg,
    app,
    emit,
    expression_and_point,
    note_warnings,
)
from diffcli.cli.options import (
    NO_FILE,
    NO_FILE_MEMORY,
    DigitsOption,
    MaxMemoryOption,
    QuietOption,
    SeedOption,
    StrictOption,
    WrtOption,
    bounded,
    check_bindings,
    refuse_unused,
    resolve_wrt,
)

MIXED = ("verify checks a first derivative (its diagnosis splits one into chain-rule terms); check the "
         "mixed one with diffcli diff EXPR --wrt x,z, or verify each first derivative")
"""Why ``verify --wrt x,z`` is refused (``diff`` reads x,z as the mixed derivative ∂²f/∂x∂z)."""


@app.command(short_help="Check a hand-derived derivative against the reference.",
             help="Check a hand-derived derivative (--claim) against the mpmath reference at the point, or "
                  "without one at random points inside both domains (--seed). Exit 0 when it holds "
                  "everywhere, 1 when not, naming the chain-rule term it most likely dropped or got wrong. "
                  "With --file, one check per line 'EXPR => CLAIM [@ NAME=VALUE ...]'.\n\n"
                  "Example: diffcli verify \"x*sin(x)\" --wrt x --claim \"sin(x) + x*cos(x)\"")
def verify(ctx: typer.Context, expression: ExpressionArg = None, wrt: WrtOption = None,
           claim: Annotated[Optional[str], typer.Option("--claim", help="The claimed derivative (an "
                                                        "expression); with --file each line gives its own: "
                                                        "EXPR => CLAIM.",
                                                        show_default=False)] = None,
           point: PointArg = None,
           tolerance: Annotated[float, typer.Option("--tolerance",
                                                    help="Largest relative error accepted "
                                                         "(absolute where the derivative is 0).",
                                                    callback=bounded("diffcli.tasks.verify", "TOLERANCE",
                                                                     "--tolerance"))]
           = 1e-10,
           seed: SeedOption = 0,
           samples: Annotated[int, typer.Option("--samples",
                                                help="How many random points (without a point).",
                                                callback=bounded("diffcli.tasks.verify", "SAMPLES",
                                                                 "--samples"))] = 5,
           digits: DigitsOption = 50,
           file: FileOption = None, jobs: JobsOption = 1, max_memory: MaxMemoryOption = None,
           format: FormatOption = "table", quiet: QuietOption = False, strict: StrictOption = False):
    from diffcli.core.errors import UsageError
    from diffcli.core.parse import as_graph, parse_point
    from diffcli.tasks.verify import verify as run_verify

    expression, words = expression_and_point(expression, point, file)
    random = None if file or not words else "random points are drawn only when no point is given"
    refuse_unused(ctx, jobs=None if file else NO_FILE, max_memory=None if file else NO_FILE_MEMORY,
                  seed=random, samples=random)
    options = dict(wrt=wrt, tolerance=tolerance, seed=seed, samples=samples, digits=digits)
    if file is not None:
        from diffcli.cli.runner import run_file
        from diffcli.render.verify import FILE_OUTPUT, failures

        if claim is not None:
            raise UsageError("with --file each line gives its claim (EXPR => CLAIM); drop --claim")
        return run_file(file, functools.partial(verify_line, **options), parse_point(words), format, jobs,
                        FILE_OUTPUT, check=failures, max_memory=max_memory)
    if claim is None:
        raise UsageError("give the claimed derivative with --claim EXPR2")
    from diffcli.render.verify import render

    graph, at = as_graph(expression), parse_point(words)
    check_bindings(graph, at, strict)
    options["wrt"] = resolve_wrt(graph, wrt, mixed=MIXED)
    record = run_verify(graph, claim=claim, point=at, **options)
    emit(render(record, format))
    note_warnings(record)
    return 0 if record["holds"] else 1


def verify_line(line: str, point: dict, **options) -> dict:
    """The file task of ``verify``: a line is ``EXPR => CLAIM`` (its point after '@', as in every file)."""
    from diffcli.core.errors import UsageError
    from diffcli.core.parse import as_graph
    from diffcli.tasks.verify import verify as run_verify

    expression, arrow, claim = line.partition("=>")
    if not arrow or not claim.strip():
        raise UsageError("a verify line is EXPR => CLAIM (the claimed derivative after '=>')")
    graph = as_graph(expression.strip())
    options["wrt"] = resolve_wrt(graph, options.get("wrt"), mixed=MIXED)
    return run_verify(graph, claim=claim.strip(), point=point or None, **options)
