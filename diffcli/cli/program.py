"""The command line: parse options, call the library, print what ``render`` returns, map errors to exit codes.

Exit status: 0 all good; 1 a check failed (``--tolerance``, a failed line of an expression file) or an
internal error (a bug); 2 the input or the options are wrong; 130 interrupted (Ctrl-C); 141 stdout was
closed (``diffcli … | head -1``: the run stops quietly, like a Unix tool killed by SIGPIPE).  Output that
cannot be written at all (stdout closed with ``>&-``, a full disk such as ``> /dev/full``) is an error: one
line, exit 2.

An error is one line on stderr, ``diffcli: error: column N: …``; when stderr is a terminal the expression
and a caret line under the problem follow it (scripts and CI get exactly one line).  Both show control
characters from the input as escapes (``render.base.printable``), so no input can drive the terminal.
An unexpected exception is a bug: one line saying so, exit 1; ``--debug`` (or ``DIFFCLI_DEBUG=1``) shows
the traceback.
"""

from __future__ import annotations

import copy
import errno
import os
import sys

import typer

from diffcli.cli.app import OutputClosed, app, note, settings, stop_watching
from diffcli.core.errors import DiffcliError
from diffcli.render.base import printable

# Importing a command module registers it on the app; one line per command.  The order is the order
# ``diffcli --help`` lists the commands in, so isort must leave it alone.
# isort: off
from diffcli.cli.commands import compare as _compare  # noqa: F401
from diffcli.cli.commands import diff as _diff  # noqa: F401
from diffcli.cli.commands import hessian as _hessian  # noqa: F401
from diffcli.cli.commands import trace as _trace  # noqa: F401
from diffcli.cli.commands import graph as _graph  # noqa: F401
from diffcli.cli.commands import verify as _verify  # noqa: F401
from diffcli.cli.commands import gradcheck as _gradcheck  # noqa: F401
from diffcli.cli.commands import optimize as _optimize  # noqa: F401
from diffcli.cli.commands import sweep as _sweep  # noqa: F401
from diffcli.cli.commands import methods as _methods  # noqa: F401
# isort: on

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERNAL = 1
"""An internal error (a bug) is a failure like any other for a script; the message says it is a bug."""
EXIT_INTERRUPTED = 130   # 128 + SIGINT, what shells report for Ctrl-C
EXIT_OUTPUT_CLOSED = 141  # 128 + SIGPIPE, what a Unix tool writing into a closed pipe exits with

_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO, errno.EBADF, errno.EROFS}
"""Why writing the output can fail other than a closed pipe: a full disk (``> /dev/full``), a file too
large, a quota, an I/O error, a descriptor closed behind Python's back."""


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _fail(message: str, extra: list[str] = ()) -> int:
    lines = [f"diffcli: error: {printable(message)}"]
    if _stderr_is_terminal():
        lines += [printable(line) for line in extra]
    sys.stderr.write("\n".join(lines) + "\n")
    return EXIT_BAD_INPUT


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing at exit does not raise BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture): nothing to flush
        pass


def _leading_minus_hint(error, argv: list[str]) -> str:
    """An expression that starts with '-' (``"-x**2"``) reads as an option: say how to pass it."""
    name = getattr(error, "option_name", None)
    if type(error).__name__ != "NoSuchOption" or not name or name.startswith("--"):
        return ""
    word = next((w for w in argv if w.startswith(name) and not w.startswith("--")), name)
    command = getattr(getattr(error, "ctx", None), "info_name", None) or "COMMAND"
    return (f"; an expression that starts with '-' reads as an option: put -- before it, after the "
            f"options (diffcli {command} [OPTIONS] -- {word!r} ...), or write ({word})")


def _app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command ``argv`` names: typer builds the click options of every registered
    command on each run (evaluating their annotations), 35 ms of CPU for the ten, of which one runs (4 ms
    for ``compare``).  The whole app where ``argv`` names no command (the group's help, a misspelled
    command), asks for help before naming one, or when the shell asks for completions.  The global
    options are all flags, so the first word that is not an option is the command."""
    name = next((word for word in argv if not word.startswith("-")), None)
    if name is None or os.environ.get("_DIFFCLI_COMPLETE") or \
            {"--help", "-h"} & set(argv[:argv.index(name)]):
        return app
    chosen = [command for command in app.registered_commands  # named as typer names them
              if (command.name or typer.main.get_command_name(command.callback.__name__)) == name]
    if len(chosen) != 1:
        return app
    alone = copy.copy(app)
    alone.registered_commands = chosen
    return alone


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (the console script exits with it).

    An unexpected exception (a bug) gives one line and exit 1, or, with ``--debug``/``DIFFCLI_DEBUG=1``,
    is raised so that Python prints its traceback.
    """
    settings.quiet = False
    settings.debug = bool(os.environ.get("DIFFCLI_DEBUG"))
    settings.warnings = []
    argv = sys.argv[1:] if argv is None else list(argv)
    if sys.stdout is None:  # started with stdout closed (>&-): Python has no sys.stdout to write to
        return _fail("standard output is closed; give it somewhere to go (> FILE, or > /dev/null)")
    try:
        code = _app_for(argv)(args=argv, prog_name="diffcli", standalone_mode=False)
    except DiffcliError as error:
        return _fail(str(error), error.caret(printable))
    except OutputClosed:
        stop_watching()
        _silence_stdout()
        return EXIT_OUTPUT_CLOSED
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("\n")
        return EXIT_INTERRUPTED
    except typer.TyperException as error:  # click's usage errors (typer vendors click)
        if type(error).__name__ == "NoArgsIsHelpError" and getattr(error, "ctx", None) is not None:
            sys.stderr.write(error.ctx.get_help() + "\n")  # nothing asked: the help, and a usage error
            return EXIT_BAD_INPUT
        return _fail(" ".join(error.format_message().split()) + _leading_minus_hint(error, argv))
    except Exception as error:  # noqa: BLE001 - the promise is "never a traceback" unless asked for
        if isinstance(error, OSError) and error.errno in _OUTPUT_ERRNOS:  # stdout: > /dev/full
            _silence_stdout()
            return _fail(f"cannot write the output: {error.strerror or error}")
        if settings.debug:
            raise
        sys.stderr.write(f"diffcli: internal error: {type(error).__name__}: {printable(str(error))} "
                         "(a bug; run again with --debug, or DIFFCLI_DEBUG=1, to see the traceback)\n")
        return EXIT_INTERNAL
    for warning in settings.warnings:
        note(f"warning: {warning}")
    return code if isinstance(code, int) else EXIT_OK


def run() -> None:
    """Console-script entry point: exit with :func:`main`'s status; Ctrl-C during start-up exits 130 too."""
    try:
        code = main()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    sys.exit(code)
