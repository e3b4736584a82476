"""The typer application and the option types every command shares.

Each command lives in :mod:`diffcli.commands` (one module each, a few lines: parse options, call the
library, print what :mod:`diffcli.render` returns) and registers itself on :data:`app`.  Commands import
the library inside their function so that start-up stays short.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, List, Optional

import typer

from . import __version__


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"
    latex = "latex"


class GraphFormat(str, Enum):
    """``graph`` draws (dot, mermaid) besides the shared formats, which list its nodes."""

    dot = "dot"
    mermaid = "mermaid"
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"
    latex = "latex"


class DiffFormat(str, Enum):
    """``diff`` prints an expression (text, the default; ``table`` is the same), LaTeX or a Python function,
    besides the record formats."""

    text = "text"
    latex = "latex"
    python = "python"
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"


app = typer.Typer(
    name="diffcli", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    help="Differentiate an expression at a point several ways and compare each with a 50-digit reference.",
)

ExpressionArg = Annotated[str, typer.Argument(metavar="EXPR", help="Expression or ';'-separated program.",
                                              show_default=False)]
PointArg = Annotated[Optional[List[str]], typer.Argument(metavar="[NAME=VALUE]...",
                                                         help="The point, e.g. x=2 z=pi/4.", show_default=False)]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
WrtOption = Annotated[str, typer.Option("--wrt", help="The variable to differentiate by.", show_default=False)]


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
