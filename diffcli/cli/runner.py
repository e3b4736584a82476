"""The command-line side of expression files: write each record as it is done, show progress, exit status.

:mod:`diffcli.tasks.files` reads the file and runs the lines (in worker processes with ``--jobs``); this
module prints.  Every command that takes ``--file`` calls :func:`run_file` (see :mod:`diffcli.tasks.files`
for how).
"""

from __future__ import annotations

import contextlib
import functools
import sys
import time
from typing import Callable

from diffcli.cli.app import emit, note, settings
from diffcli.render.base import FileOutput, record_warnings

PROGRESS_REFRESH_SECONDS = 0.1


def run_file(path: str, task: Callable, point: dict, fmt: str, jobs: int, output: FileOutput,
             check: Callable[[dict], list] | None = None, max_memory: int | None = None,
             scheduler: str | None = None) -> int:
    """Run ``task`` on every line of expression file ``path`` and write the records in format ``fmt``.

    Streaming formats (jsonl, csv) write each record whole, in one ``write`` (:func:`~diffcli.cli.app.emit`),
    as soon as it and every line before it are done; the others are written at the end.  ``jobs``,
    ``max_memory`` (MB per line, ``--max-memory``) and ``scheduler`` (a Dask scheduler's address,
    ``--scheduler``) are as in :func:`diffcli.tasks.files.records`.
    ``check(record)`` lists what is wrong with a good record (``--tolerance``); each message and a summary
    of the failed lines go to stderr.  A reader that closes stdout stops the run at once (see
    :func:`diffcli.cli.app.watch_output`), in every format.

    Returns the exit status: 1 if any line failed or any check found a problem, else 0.
    """
    from diffcli.tasks.files import count_lines, open_file, records

    source = open_file(path)
    kept: list = []
    failed_lines: list = []
    problems = 0
    streams = output.streams(fmt)
    first = output.start(fmt)
    if first is not None:
        emit(first)
    lines = records(source, task, point, jobs, on_internal_error=_internal_error, max_memory=max_memory,
                    scheduler=scheduler)
    # closing(lines): on a closed pipe or Ctrl-C the generator shuts its worker pool down at once.
    total = functools.partial(count_lines, path)  # read through once more only if a bar is shown
    with _closing(source, path), contextlib.closing(lines), _Progress(total, streams) as progress:
        for record in lines:
            if "error" in record:
                failed_lines.append(record["line"])
            if streams:
                emit(output.record(record, fmt))
            else:
                kept.append(record)
            if "error" not in record:  # each line's warnings once on stderr, as for a single record
                for warning in record_warnings(record):
                    progress.say(f"warning: line {record['line']}: {warning}")
            if check is not None and "error" not in record:
                for message in check(record):
                    progress.say(f"line {record['line']}: {message}")
                    problems += 1
            progress.advance()
    last = output.end(kept, fmt)
    if last is not None:
        emit(last)
    if failed_lines:
        shown = ", ".join(map(str, failed_lines[:10])) + (", …" if len(failed_lines) > 10 else "")
        plural = "s" if len(failed_lines) > 1 else ""
        source_name = "stdin" if path == "-" else path
        note(f"{len(failed_lines)} line{plural} of {source_name} failed (line{plural} {shown}); "
             "their records say why")
    return 1 if failed_lines or problems else 0


def _internal_error(line, error: BaseException) -> dict:
    """A bug on one line: with --debug stop and show the traceback, else record it and go on."""
    from diffcli.tasks.files import internal_error_record

    if settings.debug:
        raise error
    return internal_error_record(line, error)


def _closing(source, path: str):
    return contextlib.nullcontext() if path == "-" else source


class _Progress:
    """A progress bar on stderr (rich), only when stderr is a terminal, not ``--quiet``, and stdout is not
    the same terminal receiving streamed records (the two would garble each other).  ``NO_COLOR`` is
    respected (rich reads it).  Otherwise every method does nothing."""

    def __init__(self, total, streams: bool):
        self.total = total  # a function giving the number of lines (reading the file), called only if shown
        self.enabled = (not settings.quiet and stderr_is_terminal()
                        and not (streams and sys.stdout.isatty()))
        self.bar = None
        self.last_refresh = 0.0

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            console = Console(file=sys.stderr, force_terminal=True)  # we checked; NO_COLOR is honoured
            # No refresh thread (auto_refresh=False): --jobs forks worker processes, and forking a process
            # that runs threads is unsafe.  stdout is never redirected into the display.
            self.bar = Progress(TextColumn("lines"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                console=console, transient=True, auto_refresh=False,
                                redirect_stdout=False, redirect_stderr=False)
            self.bar.start()
            self.task = self.bar.add_task("lines", total=self.total())
            self.bar.refresh()
        return self

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)
            now = time.monotonic()
            if now - self.last_refresh >= PROGRESS_REFRESH_SECONDS:
                self.bar.refresh()
                self.last_refresh = now

    def say(self, message: str) -> None:
        """A note on stderr, printed above the bar while it is shown."""
        if self.bar is not None:
            self.bar.console.print(f"diffcli: {message}", markup=False, highlight=False, soft_wrap=True)
        else:
            note(message)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
