"""``diffcli diff``: the simplified symbolic derivative (or one per line of an expression file)."""

from __future__ import annotations

import functools

from ..app import (ExpressionArg, FileOption, Format, FormatOption, JobsOption, WrtOption, app, emit,
                   expression_and_point)


def derivative_task(expression: str, point: dict, wrt: str) -> dict:
    """The file task of ``diff``: a point after '@' is allowed (files are shared with compare) and unused."""
    from ..api import derivative

    return derivative(expression, wrt)


@app.command(help="The simplified symbolic derivative, as text diffcli parses back (or LaTeX).\n\n"
                  "With --file, one derivative per line of an expression file.\n\n"
                  "Example: diffcli diff \"x*sin(x)\" --wrt x")
def diff(expression: ExpressionArg = None, wrt: WrtOption = ..., file: FileOption = None, jobs: JobsOption = 1,
         format: FormatOption = Format.table):
    from ..errors import UsageError

    expression, words = expression_and_point(expression, [], file)
    if words:
        raise UsageError(f"diff takes no point: {words[0]!r}")
    if file is not None:
        from ..render.diff import FILE_OUTPUT
        from .runner import run_file

        return run_file(file, functools.partial(derivative_task, wrt=wrt), {}, format.value, jobs, FILE_OUTPUT)

    from ..api import derivative
    from ..render.diff import render

    emit(render(derivative(expression, wrt), format.value))
    return 0
