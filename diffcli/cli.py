"""The command line: parse options, call the library, print what ``render`` returns, map errors to exit codes.

Exit status: 0 all good; 1 a check failed; 2 the input or the options are wrong.  An error is one line on
stderr, ``diffcli: error: column N: …``; when stderr is a terminal the expression and a caret line under
the problem follow it (scripts and CI get exactly one line).
"""

from __future__ import annotations

import os
import sys

import typer

from .app import app
from .errors import DiffcliError

# Importing a command module registers it on the app; one line per command.
from .commands import compare as _compare  # noqa: F401,I001
from .commands import diff as _diff  # noqa: F401
from .commands import sweep as _sweep  # noqa: F401

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 70


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
