"""Expression files (`--file`, see README.md): read them, run a command's task on every line, get records
in order.

The format, one line each::

    # a comment; blank lines are skipped too
    exp(x*z) + x/z @ x=2 z=3          # an expression, and a point after '@' ("at")
    a = x*z; b = log(x); exp(a) + a/b  # a ';'-separated program; its point comes from the command line
    sin(x) @ x = pi/4, z = 1           # bindings may have spaces and commas between them

The point after ``@`` overrides the command line's bindings variable by variable.  ``#`` starts a comment
anywhere (it can never be part of an expression).  Line numbers count every physical line, 1-based.

Every line gives exactly one record, in input order: the task's record with ``"line"`` first, or, for a
line that fails (bad syntax, a missing variable, f undefined at the point, a bad ``@`` point, bytes that
are not UTF-8), ``{"line": N, "expression": "...", "error": "column 5: ..."}`` — and the run goes on.

Using it for a new command (``eps-sweep``, ``verify``)
------------------------------------------------------
1. A *task* is ``task(expression: str, point: dict) -> dict`` returning the command's record and raising
   :class:`~diffcli.core.errors.DiffcliError` for a bad line.  A record with a top-level ``"error"`` key is a
   failed line, so a good record must not use that key (report a failed check through ``check``).  It must
   pickle for ``--jobs``: a module-level function, or ``functools.partial`` of one with the command's
   options::

       task = functools.partial(diffcli.tasks.compare.compare, methods=methods, digits=digits, timing=timing)

2. In the command, take ``file: FileOption = None, jobs: JobsOption = 1`` from :mod:`diffcli.cli.app`, and
   hand everything to the command-line runner, which writes the records, shows progress, and returns the
   exit status (1 if any line failed or ``check`` found a problem)::

       expression, words = expression_and_point(expression, point, file)
       if file is not None:
           from .runner import run_file
           return run_file(file, task, parse_point(words), format.value, jobs, FILE_OUTPUT, check=None)

3. In the command's render module, describe how its records look in each format with
   :class:`diffcli.render.base.FileOutput` (a summary table and the CSV rows of one record; JSON and JSONL
   are generic).  ``check(record) -> list[str]`` names what failed in a good record (``--tolerance``,
   a wrong ``verify`` claim); each message goes to stderr and makes the exit status 1.

From Python, :func:`records` is the whole thing without the printing::

    >>> import functools, io
    >>> from diffcli.api import gradient
    >>> text = io.BytesIO(b"x*z @ x=2\\nlog(x) @ x=-1\\n# done\\n")
    >>> def task(expression, point): return {"gradient": gradient(expression, point)}
    >>> for record in records(text, task, {"z": 3.0}):
    ...     print(record)
    {'line': 1, 'gradient': {'x': 3.0, 'z': 2.0}}
    {'line': 2, 'expression': 'log(x)', 'error': 'column 1: log(x) is undefined: x = -1.0 (needs x > 0)'}
"""

from __future__ import annotations

import codecs
import io
import itertools
import os
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator

from diffcli.core import bounds
from diffcli.core.bounds import Bound
from diffcli.core.errors import DiffcliError, LimitError, UsageError
from diffcli.tasks.reading import open_input, read_line

JOBS = Bound(0, 4 * (os.cpu_count() or 1), "worker processes (0: one per core); beyond 4 per core they "
             "add only memory, each worker importing numpy and mpmath")
"""``--jobs``, ``jobs=``: at most 4 × the cores of this machine."""


def _memory_megabytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (AttributeError, ValueError, OSError):  # not a Unix: no limit can be set anyway
        return 2**20


MAX_MEMORY = Bound(64, max(64, _memory_megabytes()), "megabytes a line may use beyond what its worker holds "
                   "at rest: from 64 (an ordinary line needs a few) to this machine's memory")
"""``--max-memory``, ``max_memory=``: MB per line, applied to each worker's address space (Linux)."""

WINDOW_PER_JOB = 32
"""Lines read ahead of the one being written, per worker (four chunks of
:data:`~diffcli.tasks.workers.CHUNK_LINES`), so workers never wait for the writer."""


@dataclass(frozen=True)
class FileLine:
    """One line of an expression file that holds an expression (comments and blank lines never do)."""

    number: int                 # 1-based physical line number
    expression: str             # the text before '@', comment removed, stripped
    point: dict | None = None   # the bindings after '@', or None
    error: str | None = None    # why the line cannot even be read (a bad '@' point, not UTF-8)

    def error_record(self, message: str) -> dict:
        """The record of this line when it fails: its number, its expression and why."""
        return {"line": self.number, "expression": self.expression, "error": message}


def parse_line(text: str, number: int = 1) -> FileLine | None:
    """One line of an expression file, or None for a blank or comment line.

    >>> parse_line("exp(x*z) + x/z @ x=2 z=pi  # lecture")
    FileLine(number=1, expression='exp(x*z) + x/z', point={'x': 2.0, 'z': 3.141592653589793}, error=None)
    >>> parse_line("  # nothing") is None
    True
    """
    from diffcli.core.parse import parse_point

    text = text.split("#", 1)[0].strip()
    if not text:
        return None
    expression, at, bindings = text.partition("@")
    expression = expression.strip()
    if not at:
        return FileLine(number, expression)
    try:
        return FileLine(number, expression, parse_point(bindings, what="point after '@'"))
    except DiffcliError as error:
        return FileLine(number, expression, error=f"the point after '@': {error}")


MAX_LINE_BYTES = 10_000_000
"""Longest line of an expression file, in bytes: the parser's ``MAX_INPUT_CHARS`` for ASCII text.  A
longer line is refused once ``MAX_LINE_BYTES + 1`` bytes of it are read, so a file without newlines
(``/dev/zero``) costs that much memory at most, never the whole file."""

READ_CHUNK_BYTES = 1 << 16
"""A line is read in pieces of at most this many bytes (a read without a size could take a whole file)."""


def physical_lines(source: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """``(number, bytes)`` for each physical line of an open binary file, its newline kept, read in chunks of
    at most :data:`READ_CHUNK_BYTES`; a line longer than :data:`MAX_LINE_BYTES` raises ``LimitError``.

    >>> import io
    >>> list(physical_lines(io.BytesIO(b"x\\ny")))
    [(1, b'x\\n'), (2, b'y')]
    """
    for number in itertools.count(1):
        raw = read_line(source.readline, MAX_LINE_BYTES, READ_CHUNK_BYTES)
        if raw is None:
            raise LimitError(f"line {number} of the expression file is longer than {MAX_LINE_BYTES:,} "
                             "bytes (MAX_LINE_BYTES)")
        if not raw:
            return
        yield number, raw


def read_lines(source: BinaryIO) -> Iterator[FileLine]:
    """The lines of an open binary file that hold an expression, read lazily (stdin streams) and bounded
    (:func:`physical_lines`).  A UTF-8 byte order mark before line 1 is skipped."""
    for number, raw in physical_lines(source):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield FileLine(number, raw.decode("utf-8", "replace").strip(),
                           error=f"the line is not UTF-8 text (byte {error.start + 1})")
            continue
        line = parse_line(text.rstrip("\r\n"), number)
        if line is not None:
            yield line


def open_file(path: str) -> BinaryIO:
    """The expression file at ``path`` (``-`` is stdin), opened for :func:`read_lines`."""
    return open_input(path, "expression file")


def count_lines(path: str) -> int | None:
    """How many records a file will give (for a progress bar), or None for stdin or a pipe."""
    if path == "-" or not os.path.isfile(path):
        return None
    with open(path, "rb") as source:  # the lines read_lines yields: not blank once the comment is cut
        return sum(1 for _, raw in physical_lines(source) if raw.split(b"#", 1)[0].strip())


def run_line(task: Callable, line: FileLine, point: dict) -> dict:
    """One line's record: ``task(expression, {**point, **line.point})`` with ``"line"`` first, or an
    error record.  Only :class:`DiffcliError` becomes an error record; anything else is a bug and is
    raised (the runner decides what to do with it)."""
    if line.error is None:
        try:
            record = task(line.expression, {**point, **(line.point or {})})
            return {"line": line.number, **record}
        except DiffcliError as error:
            message = str(error)
    else:
        message = line.error
    return line.error_record(message)


def internal_error_record(line: FileLine, error: BaseException) -> dict:
    """The record of a line on which diffcli itself failed (a bug), when the run goes on."""
    return line.error_record(f"internal error (a bug; --debug shows the traceback): {type(error).__name__}: "
                             f"{error}")


def records(source: BinaryIO, task: Callable, point: dict, jobs: int = 1,
            on_internal_error: Callable | None = None, max_memory: int | None = None,
            scheduler: str | None = None) -> Iterator[dict]:
    """Run ``task`` on every expression line of ``source``; yield one record per line, in input order.

    ``jobs`` > 1 runs the lines on that many worker processes (0: one per core); records still come out
    in input order, each as soon as it and all lines before it are done.  A worker that dies costs only
    its line, retried once in a fresh worker, then an error record naming the cause (see
    :mod:`diffcli.tasks.workers`).  ``max_memory`` (MB) limits what one line may use: the lines then run
    in worker processes even with ``jobs`` = 1, so the limit never applies to the calling process.  An
    unexpected exception (a bug) is raised, unless ``on_internal_error(line, error)`` is given, whose
    return value is the record.

    ``scheduler`` (a Dask scheduler's address) runs the lines on that cluster instead, in chunks
    (:mod:`diffcli.tasks.cluster`); ``jobs`` and ``max_memory`` are then the cluster's business.
    """
    jobs, point = JOBS.check(jobs, "jobs"), bounds.point(point)
    if max_memory is not None:
        max_memory = MAX_MEMORY.check(max_memory, "max_memory")
    if not hasattr(source, "read") or isinstance(source, io.TextIOBase) or not callable(task):
        raise UsageError(f"source must be a binary file (open(path, 'rb')) and task a function, not "
                         f"{source!r:.40} and {task!r:.40}")
    lines = read_lines(source)
    if scheduler is not None:
        if max_memory is not None:
            raise UsageError("--max-memory limits local workers; on a Dask cluster give the workers "
                             "--memory-limit")
        from diffcli.tasks.cluster import records_on_cluster

        yield from records_on_cluster(lines, run_line, task, point, scheduler, on_internal_error)
        return
    if jobs == 0:
        jobs = os.cpu_count() or 1
    if jobs <= 1 and max_memory is None:
        for line in lines:
            yield _guarded(task, line, point, on_internal_error)
        return
    yield from _parallel(lines, task, point, max(jobs, 1), on_internal_error, max_memory)


def _guarded(task, line, point, on_internal_error) -> dict:
    try:
        return run_line(task, line, point)
    except Exception as error:  # noqa: BLE001 - a bug in one line must not lose the others
        if on_internal_error is None:
            raise
        return on_internal_error(line, error)


def _parallel(lines, task, point, jobs, on_internal_error, max_memory) -> Iterator[dict]:
    from diffcli.tasks.workers import Workers

    workers = Workers(jobs, run_line, task, point, max_memory)
    waiting: deque = deque()   # the lines read and not yet written, in input order
    done: dict = {}            # index in the file -> the line's record
    try:
        try:
            for index, line in enumerate(lines):
                waiting.append((index, line))
                workers.submit(index, line)
                while len(waiting) >= jobs * WINDOW_PER_JOB:
                    yield from _in_order(workers, waiting, done, on_internal_error)
        except DiffcliError:  # a line that cannot be read (too long): the lines before it first, as on 1 job
            while waiting:
                yield from _in_order(workers, waiting, done, on_internal_error)
            raise
        while waiting:
            yield from _in_order(workers, waiting, done, on_internal_error)
    finally:
        # Ctrl-C, a closed pipe or the end: the lines not written will never be read; stop every worker.
        workers.close()


def _in_order(workers, waiting: deque, done: dict, on_internal_error) -> Iterator[dict]:
    """Wait for at least one line, then yield the records that are next in input order."""
    from diffcli.tasks.workers import record

    lines = dict(waiting)
    for index, kind, value in workers.results():
        done[index] = record(lines[index], kind, value, on_internal_error)
    while waiting and waiting[0][0] in done:
        yield done.pop(waiting.popleft()[0])
