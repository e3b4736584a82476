"""The typer application, the option types every command shares, and the one way commands write output.

Each command lives in :mod:`diffcli.cli.commands` (one module each, a few lines: parse options, call the
library, print what :mod:`diffcli.render` returns) and registers itself on :data:`app`.  Commands import
the library inside their function so that start-up stays short.

Commands write their output with :func:`emit` (stdout, flushed at once, a closed pipe becomes
:class:`OutputClosed`) and notes for the user with :func:`note` (stderr, silenced by ``--quiet``).  An
expression file (``--file``) is run by :func:`diffcli.cli.runner.run_file`; see :mod:`diffcli.tasks.files`.
"""

from __future__ import annotations

import contextlib
import re
import sys
from dataclasses import dataclass, field
from typing import Annotated, List, Optional

import typer

from diffcli import __version__
from diffcli.render import base as render_base


def format_choices(own: tuple = ()) -> list[str]:
    """A command's ``--format`` choices: ``own`` (formats of that command alone), then every format of the
    render registry (:data:`diffcli.render.base.FORMATS`), read when the command runs."""
    return list(dict.fromkeys((*own, *render_base.FORMATS)))


def format_option(own: tuple = (), help: str = "Output format."):
    """The ``--format``/``-f`` option of a command, checked against :func:`format_choices` when the command
    runs, so that a format added to the registry is offered by every command without a change here.

    A wrong name is a usage error listing the choices (exit 2), worded as click words a wrong choice.
    """
    def check(value: str) -> str:
        choices = format_choices(own)
        if value not in choices:
            from diffcli.core.choices import did_you_mean

            raise typer.BadParameter(f"{value!r} is not one of {', '.join(map(repr, choices))}"
                                     f"{did_you_mean(value, choices)}.")
        return value

    def complete(incomplete: str) -> list[str]:
        return [name for name in format_choices(own) if name.startswith(incomplete)]

    return typer.Option("--format", "-f", callback=check, autocompletion=complete, metavar="FORMAT",
                        help=help + " <" + "|".join(format_choices(own)) + ">")


@dataclass
class Settings:
    """The global options of one run (``diffcli --quiet --debug COMMAND …``), reset by ``cli.main``."""

    quiet: bool = False
    debug: bool = False
    warnings: list = field(default_factory=list)
    """Warnings about the command line itself (an unused binding), written once the command has run: a run
    that stops with an error shows that error alone, on one line."""


settings = Settings()

app = typer.Typer(
    name="diffcli", no_args_is_help=True, add_completion=True, rich_markup_mode=None,
    pretty_exceptions_enable=False,  # --debug shows Python's own traceback
)  # the help text is the docstring of the callback below

ExpressionArg = Annotated[Optional[str], typer.Argument(
    metavar="EXPR", help="Expression or ';'-separated program (omit it with --file).", show_default=False)]
PointArg = Annotated[Optional[List[str]], typer.Argument(
    metavar="[NAME=VALUE]...", help="The point: x=2 z=pi/4, or x=2,z=3.", show_default=False)]
FormatOption = Annotated[str, format_option()]
FileOption = Annotated[Optional[str], typer.Option(
    "--file", metavar="F", show_default=False,
    help="Run each line of expression file F ('-': stdin), a point after '@'.")]
def bounded(module: str, constant: str, name: str, key: str | None = None):
    """A callback checking an option, as the command line reads it, against the library's own bound:
    ``module.constant`` (or ``module.constant[key]``), a :class:`~diffcli.core.bounds.Bound` defined next
    to the code it protects, so that no number is declared here.  The module is imported when the option is
    given, not when the command line starts.  A value outside is a UsageError naming ``name``."""
    def check(ctx: typer.Context, param: typer.CallbackParam, value):
        import importlib

        source = ctx.get_parameter_source(param.name)
        if value is None or (source is not None and source.name == "DEFAULT"):
            return value  # a default is inside its bound; importing the library here would slow start-up
        bound = getattr(importlib.import_module(module), constant)
        return (bound if key is None else bound[key]).check(value, name)
    return check


JobsOption = Annotated[int, typer.Option(
    "--jobs", "-j", callback=bounded("diffcli.tasks.files", "JOBS", "--jobs"), metavar="N",
    help="Worker processes for --file (0: one per core).")]


class OutputClosed(BaseException):
    """Whoever reads stdout has gone (``diffcli … | head -1``): stop quietly.

    A ``BaseException``, like ``KeyboardInterrupt``: :func:`watch_output` may raise it in the middle of any
    computation, and no catch-all of a method's failures may take it for that method's error."""


def emit(text: str) -> None:
    """Write ``text`` and a newline to stdout at once, so every record is whole when it is written.

    The record's whole text goes to stdout's file descriptor in one ``write`` system call (Python's own
    buffer flushed first), looping only if the call wrote part of it, as a pipe may.  What that buys, and
    what it does not (README, "Expression files"): Ctrl-C, a closed pipe or a dying worker never leave
    part of a record.  SIGKILL can: Linux checks for a fatal signal between the pages a ``write`` copies
    into a regular file (a 256 MB write killed after 1.5 s left 27,262,976 bytes, a multiple of 4096), so
    a kill that lands in the microseconds a record of a few KB takes to copy, or while the kernel makes
    the writer wait for dirty pages to be flushed, can leave the head of the last record, without its
    newline; every record before it is whole.  The same holds for a record larger than a pipe's buffer.

    Ctrl-C and the closed-output signal are held back while a record is written (and delivered right
    after): an exception raised in the middle of a large write would leave half a record.  A closed pipe
    raises :class:`OutputClosed` (not an ``OSError``, which typer would turn into exit 1).
    """
    with _signals_held():
        try:
            _write_whole(text + "\n")
        except BrokenPipeError:
            stop_watching()  # the watch thread may see the close too: one OutputClosed, not a second
            raise OutputClosed() from None


def stop_watching() -> None:
    """Disarm the closed-output handler (:func:`watch_output`): once the run stops for a closed output, a
    late SIGPIPE from the watch thread must not raise :class:`OutputClosed` again while it exits."""
    import signal
    import threading

    if _watching and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def _write_whole(text: str) -> None:
    import io
    import os

    stream = sys.stdout
    try:
        stream.flush()
        descriptor = stream.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):  # not a real file (a test's capture)
        stream.write(text)
        stream.flush()
        return
    data = memoryview(text.encode(stream.encoding or "utf-8", stream.errors or "strict"))
    while data:
        try:
            data = data[os.write(descriptor, data):]
        except BlockingIOError:  # a non-blocking stdout that is full: wait until it takes more
            import select

            select.select([], [descriptor], [])


@contextlib.contextmanager
def _signals_held():
    import signal
    import threading

    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGPIPE}
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


_watching = False


def watch_output() -> None:
    """Stop the run as soon as whoever reads stdout goes away, whatever it is computing.

    When stdout is a pipe or a socket, a thread waits (in ``poll``, costing nothing) for its reader to
    close it, then sends the main thread SIGPIPE, whose handler raises :class:`OutputClosed` there — at the
    next bytecode, or at once if it waits in a system call (``compare --points`` between two records would
    otherwise compute for half a minute into a pipe nobody reads).  The handler fires once and then hands
    SIGPIPE back to Python's default (ignored: a write then fails with ``BrokenPipeError``).  Worker
    processes ignore SIGPIPE.  A regular file or a terminal is never watched.
    """
    import os
    import signal
    import stat
    import threading

    global _watching
    if _watching or threading.current_thread() is not threading.main_thread() or not hasattr(os, "fork"):
        return
    try:
        mode = os.fstat(sys.stdout.fileno()).st_mode
    except (AttributeError, ValueError, OSError):  # no descriptor (a test's capture), or closed
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return
    _watching = True
    signal.signal(signal.SIGPIPE, _output_closed)
    threading.Thread(target=_wait_for_close, args=(sys.stdout.fileno(), threading.main_thread().ident),
                     name="diffcli-output-watch", daemon=True).start()


def _wait_for_close(descriptor: int, main: int) -> None:
    import select
    import signal

    poll = select.poll()
    poll.register(descriptor, 0)  # no events asked: poll returns on POLLERR (the reader closed) or POLLHUP
    try:
        while not poll.poll():
            pass
    except OSError:
        return
    global _closed
    _closed = True
    signal.pthread_kill(main, signal.SIGPIPE)


_closed = False
"""Set by the watch thread: stdout's reader has gone.  Any other SIGPIPE (a write into a worker's pipe
after that worker died) is left to the write, which fails with ``BrokenPipeError`` as Python's default
would have it."""


def _output_closed(signum, frame) -> None:
    import signal

    if _closed:
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        raise OutputClosed()


def write_file(path: str, content: str | bytes) -> None:
    """Write a file a command makes besides its output (a plot image, a history): text as UTF-8, bytes as
    they are.  A file that cannot be written is a usage error naming it."""
    from diffcli.core.errors import UsageError

    try:
        if isinstance(content, bytes):
            with open(path, "wb") as handle:
                handle.write(content)
        else:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(content)
    except OSError as error:
        raise UsageError(f"cannot write {path!r}: {error.strerror or error}") from None


def note(message: str) -> None:
    """One line for the user on stderr (``diffcli: …``), unless ``--quiet``; control characters escaped."""
    if not settings.quiet:
        sys.stderr.write(f"diffcli: {render_base.printable(message)}\n")  # a path or a name may hold ESC
        sys.stderr.flush()


def terminal_width() -> int:
    """The columns output may take: ``COLUMNS`` when it is a positive integer, else the terminal's width when
    stdout is a terminal, else :data:`diffcli.render.base.DEFAULT_WIDTH` (100), so that output under a pipe
    is the same everywhere.  Tables choose their layout by it (see README, "Fitting the terminal")."""
    import os

    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        with contextlib.suppress(OSError, ValueError):
            return os.get_terminal_size(sys.stdout.fileno()).columns
    return render_base.DEFAULT_WIDTH


def note_warnings(record) -> None:
    """Each warning of a record (its own and its methods', once: see
    :func:`diffcli.render.base.record_warnings`) as a ``diffcli: warning: …`` note on stderr, whatever the
    format, so that a script reading JSON or CSV hears it too; ``--quiet`` silences it."""
    for warning in render_base.record_warnings(record):
        note(f"warning: {warning}")


_BINDING_START = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*=(?!=)")
"""``x=2`` or ``x = 2``: with --file, a first word that opens a point is not an EXPR."""


def expression_and_point(expression: str | None, words: list[str] | None, file: str | None):
    """The EXPR argument and the NAME=VALUE words, checked against ``--file``.

    With ``--file`` there is no EXPR, so a first word that typer took for EXPR is part of the point.
    Returns ``(expression or None, words)``.
    """
    from diffcli.core.errors import UsageError

    words = list(words or [])
    if file is None:
        if expression is None:
            raise UsageError("give an expression (EXPR) or an expression file (--file F)")
        return expression, words
    if expression is not None:
        if not _BINDING_START.match(" ".join([expression, *words])):
            raise UsageError(f"with --file the expressions come from the file; {expression!r} is not a "
                             "NAME=VALUE binding")
        words.insert(0, expression)
    return None, words


def _version(value: bool):
    if value:
        typer.echo(f"diffcli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False,
          quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                              help="Only the records: no progress, notes, warnings or "
                                                   "summaries on stderr (errors that stop the run are still "
                                                   "printed; the exit status still tells). Also accepted "
                                                   "after the command.")] = False,
          debug: Annotated[bool, typer.Option("--debug",
                                              help="Show the Python traceback of an internal error (a bug); "
                                                   "DIFFCLI_DEBUG=1 does the same.")] = False):
    """Differentiate an expression at a point several ways and compare each with a 50-digit reference.

    Example: diffcli compare "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)" x=2 z=3
    """
    settings.quiet = quiet
    settings.debug = debug or settings.debug
    watch_output()
