"""The command line: parse options, call the library, print what ``render`` returns, map errors to exit codes.

Exit status: 0 all good; 1 a check failed; 2 the input or the options are wrong.  An error is one line on
stderr, ``diffcli: error: column N: …``; when stderr is a terminal the expression and a caret line under
the problem follow it (scripts and CI get exactly one line).
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import Annotated, List, Optional

import typer

from . import __version__
from .errors import DiffcliError

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 70


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"
    latex = "latex"


def _methods_help() -> str:
    from .methods import METHODS

    return "Comma-separated method ids (default: all): " + "; ".join(
        f"{m.id}: {m.summary}" for m in METHODS.values()) + "."


app = typer.Typer(
    name="diffcli", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    help="Differentiate an expression at a point several ways and compare each with a 50-digit reference.",
)

ExpressionArg = Annotated[str, typer.Argument(metavar="EXPR", help="Expression or ';'-separated program.",
                                              show_default=False)]
PointArg = Annotated[Optional[List[str]], typer.Argument(metavar="[NAME=VALUE]...",
                                                         help="The point, e.g. x=2 z=pi/4.", show_default=False)]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def _version(value: bool):
    if value:
        typer.echo(f"diffcli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False):
    """Differentiate an expression at a point several ways and compare each with a 50-digit reference.

    Example: diffcli compare "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)" x=2 z=3
    """


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
            format: FormatOption = Format.table):
    from . import render
    from .api import compare as run_compare
    from .parse import parse_point

    record = run_compare(expression, parse_point(point or []), methods=methods, digits=digits, timing=timing)
    typer.echo(render.compare(record, format.value))


@app.command(help="The simplified symbolic derivative, as text diffcli parses back (or LaTeX).\n\n"
                  "Example: diffcli diff \"x*sin(x)\" --wrt x")
def diff(expression: ExpressionArg,
         wrt: Annotated[str, typer.Option("--wrt", help="The variable to differentiate by.",
                                          show_default=False)],
         format: FormatOption = Format.table):
    from . import render
    from .api import derivative

    typer.echo(render.diff(derivative(expression, wrt), format.value))


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _fail(message: str, extra: list[str] = ()) -> int:
    lines = [f"diffcli: error: {message}"]
    if _stderr_is_terminal():
        lines += list(extra)
    sys.stderr.write("\n".join(lines) + "\n")
    return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (the console script exits with it)."""
    try:
        code = app(args=argv, prog_name="diffcli", standalone_mode=False)
    except DiffcliError as error:
        return _fail(str(error), error.caret())
    except typer.Abort:
        sys.stderr.write("\n")
        return 130
    except typer.TyperException as error:  # click's usage errors (typer vendors click)
        if type(error).__name__ == "NoArgsIsHelpError" and getattr(error, "ctx", None) is not None:
            sys.stdout.write(error.ctx.get_help() + "\n")
            return EXIT_OK
        return _fail(" ".join(error.format_message().split()))
    except KeyboardInterrupt:
        return 130
    return code if isinstance(code, int) else EXIT_OK


def run() -> None:
    """Console-script entry point.  An unexpected exception is a bug: one line and exit 70 (EX_SOFTWARE);
    set DIFFCLI_DEBUG=1 to see the traceback."""
    try:
        code = main()
    except Exception as error:  # noqa: BLE001 - the promise is "never a traceback"
        if os.environ.get("DIFFCLI_DEBUG"):
            raise
        sys.stderr.write(f"diffcli: internal error: {type(error).__name__}: {error} "
                         "(a bug; DIFFCLI_DEBUG=1 shows the traceback)\n")
        code = EXIT_INTERNAL
    sys.exit(code)
