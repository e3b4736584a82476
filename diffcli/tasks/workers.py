"""The worker processes of ``--jobs``: a small pool of our own in which a worker that dies costs one line.

``concurrent.futures.ProcessPoolExecutor`` breaks the whole pool when one worker dies (``BrokenProcessPool``),
so one runaway line killed by the out-of-memory killer would lose the run.  Here each worker is a
``multiprocessing.Process`` with its own pipe.  It is sent a chunk of up to :data:`CHUNK_LINES` lines at a
time (one message, not one per line), and its next chunk once it has started the last one
(:data:`AHEAD_BYTES`), and sends back each line's record as soon as it is done, so the parent always knows
which line a worker is running.  A worker that dies (a signal, the out-of-memory killer, a hard crash in
C code) is replaced by a fresh one; the line it was running is retried once, alone in a worker that runs
nothing else meanwhile, and if that worker dies too the line's record is an error naming the cause
("worker killed by signal 9 (SIGKILL) — out of memory?"); the lines sent to it that it had not reached are
sent again as usual.  Every other line is unaffected.  Workers are forked after the task's modules (mpmath,
the methods, the reference) are imported, so none of them pays that start-up again; numpy is not among
them (see :func:`warm`).

``max_memory`` (MB, ``--max-memory``) limits each worker's address space (``RLIMIT_AS``, Linux) to what it
uses at rest plus that many megabytes; a line that needs more gets a ``MemoryError``, which becomes that
line's error record.  The limit is set after numpy and mpmath are imported, so their start-up does not
count against it.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
from collections import deque
from dataclasses import dataclass
from typing import Callable

ATTEMPTS = 2
"""A line whose worker dies is run once more in a fresh worker; a second death is that line's error."""

CHUNK_LINES = 8
"""Most lines sent to a worker in one message (fewer when fewer are waiting, so that every worker has
some): one pipe round trip per chunk instead of per line."""

AHEAD_BYTES = 1 << 16
"""A worker that has started its last chunk is sent its next one while it still runs lines, so that it
never waits for the main process between chunks (under load it waited 6% of a ``-m reverse`` run), if
that chunk takes at most this many bytes: far below a pipe's buffer (212,992 bytes on Linux), so the
send never blocks the main process while the worker, busy, cannot read it.  A longer chunk waits until
the worker has answered every line it holds."""

PARENT_CHECK_SECONDS = 0.5
STOP_SECONDS = 2.0
"""How long closing the pool waits for a worker to exit before killing it."""


@dataclass
class _Job:
    key: object        # the caller's name for the line (its index in the file)
    line: object       # the FileLine it runs
    attempt: int       # 1, or 2 when retried after a death


class Workers:
    """``jobs`` worker processes running ``run(task, line, point)`` on chunks of lines.

    :meth:`submit` queues a line; :meth:`results` waits until at least one line is done and returns
    ``(key, kind, value)`` triples: ``kind`` is ``"record"`` (the line's record), ``"error"`` (an
    unexpected exception raised in the worker, a bug) or ``"died"`` (its worker died twice; ``value``
    is the cause in words); :func:`record` makes the line's record of each.
    """

    def __init__(self, jobs: int, run: Callable, task: Callable, point: dict, max_memory: int | None = None):
        import multiprocessing

        warm(task)
        self.context = multiprocessing.get_context()
        self.jobs, self.arguments = jobs, (run, task, point, os.getpid(), max_memory)
        self.queue: deque = deque()
        self.busy: dict = {}            # connection -> deque of the _Job sent and not yet answered
        self.idle: list = []            # connections of workers waiting for a chunk
        self.processes: dict = {}       # connection -> Process
        self.latest: dict = {}          # connection -> the first _Job of the last chunk sent to it
        for _ in range(jobs):
            self._start()

    def _start(self):
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(target=_work, args=(child_end, *self.arguments), daemon=True,
                                       name="diffcli-worker")
        gc.freeze()  # what is imported stays shared: the worker's collections neither visit nor copy it
        try:
            process.start()
        finally:
            gc.unfreeze()
        child_end.close()  # so that the worker's death is an end of file on parent_end
        self.processes[parent_end] = process
        self.idle.append(parent_end)
        return parent_end

    def submit(self, key, line) -> None:
        """Queue a line; lines are sent once a chunk's worth is waiting, or when :meth:`results` is asked."""
        self.queue.append(_Job(key, line, 1))
        if len(self.queue) >= CHUNK_LINES:
            self._dispatch()

    def _chunk(self, takers: int) -> list:
        """The next jobs to send together: a retried line alone, else up to :data:`CHUNK_LINES` lines, so
        many that every worker that can take some (``takers``) gets its share of the queue."""
        if self.queue[0].attempt > 1:
            return [self.queue.popleft()]
        size = max(1, min(CHUNK_LINES, len(self.queue) // max(takers, 1)))
        chunk = []
        while self.queue and len(chunk) < size and self.queue[0].attempt == 1:
            chunk.append(self.queue.popleft())
        return chunk

    def _ahead(self) -> list:
        """Busy workers that have started the last chunk sent to them (its first line is answered), so
        that no message of ours waits in their pipe: the ones that can be sent their next chunk now."""
        return [connection for connection, jobs in self.busy.items()
                if not any(job is self.latest[connection] for job in jobs)]

    def _dispatch(self) -> None:
        """Send chunks while lines wait: to idle workers, then ahead to busy ones (:data:`AHEAD_BYTES`)
        while a chunk for every worker waits (near the end of a file, a line sent ahead could keep one
        worker busy while another has nothing left).  A retried line goes alone, and only to an idle
        worker."""
        while self.queue:
            plenty = len(self.queue) >= CHUNK_LINES * len(self.processes) and self.queue[0].attempt == 1
            ahead = self._ahead() if plenty and not self.idle else []
            if not self.idle and not ahead:
                return
            connection = self.idle[-1] if self.idle else ahead[0]
            chunk = self._chunk(len(self.idle) + len(ahead))
            message = pickle.dumps([job.line for job in chunk], pickle.HIGHEST_PROTOCOL)
            if not self.idle and len(message) > AHEAD_BYTES:  # it waits until the worker is idle
                self.queue.extendleft(reversed(chunk))
                return
            try:
                connection.send_bytes(message)
            except OSError:  # it died: an idle one is replaced now, a busy one when results() sees it
                self.queue.extendleft(reversed(chunk))
                if connection in self.idle:
                    self.idle.remove(connection)
                    self._replace(connection)
                    continue
                return
            if connection in self.idle:
                self.idle.remove(connection)
            self.busy.setdefault(connection, deque()).extend(chunk)
            self.latest[connection] = chunk[0]

    def results(self) -> list:
        from multiprocessing.connection import wait

        done: list = []
        self._dispatch()
        while not done and self.busy:
            for connection in wait(list(self.busy)):
                jobs = self.busy[connection]
                try:
                    kind, value = connection.recv()
                except (EOFError, OSError, pickle.UnpicklingError):
                    del self.busy[connection]
                    self._died(connection, jobs, done)
                    continue
                job = jobs.popleft()
                done.append((job.key, kind, value))
                if not jobs:
                    del self.busy[connection]
                    self.idle.append(connection)
            self._dispatch()
        return done

    def _died(self, connection, jobs: deque, done: list) -> None:
        """A worker died running ``jobs[0]``: that line is retried alone (or is an error the second time);
        the lines after it, never started, go back to the front of the queue."""
        cause = self._replace(connection)
        running = jobs.popleft()
        self.queue.extendleft(reversed(jobs))
        if running.attempt < ATTEMPTS:
            self.queue.appendleft(_Job(running.key, running.line, running.attempt + 1))
        else:
            done.append((running.key, "died", f"{cause} (twice: the line was retried in a fresh worker)"))

    def _replace(self, connection) -> str:
        """Bury a dead worker, start a fresh one, and say how the dead one ended."""
        process = self.processes.pop(connection)
        self.latest.pop(connection, None)
        connection.close()
        process.join(STOP_SECONDS)
        if process.exitcode is None:
            process.kill()
            process.join()
        self._start()
        return death_cause(process.exitcode)

    def close(self) -> None:
        """Stop every worker now: idle ones are told to exit, busy ones (whose lines nobody will read) are
        killed."""
        for connection, process in self.processes.items():
            if connection in self.busy:
                process.kill()
            else:
                try:
                    connection.send(None)
                except OSError:
                    pass
        for connection, process in self.processes.items():
            process.join(STOP_SECONDS)
            if process.exitcode is None:
                process.kill()
                process.join()
            connection.close()
        self.processes, self.busy, self.idle = {}, {}, []


def warm(task: Callable) -> None:
    """Import what the task will use (its module, mpmath, the methods and the reference) before workers are
    forked, so that each starts with them loaded: copy-on-write, imported once.  Not numpy: it is imported
    where first used (:mod:`diffcli.core.lazy`), and many runs never use it (``-m reverse`` on a file of
    lines); imported here it cost every run its start-up (0.15 s of CPU, a tenth of 500 lines of
    ``-m reverse``) in the main process, before any line could start, where a worker that needs it imports
    it alongside the other workers."""
    import importlib

    module = getattr(getattr(task, "func", task), "__module__", None)
    for name in ("mpmath", "diffcli.methods", "diffcli.reference", module):
        if name:
            try:
                importlib.import_module(name)
            except ImportError:  # an optional module missing: the worker reports it on its line
                pass


def death_cause(exitcode: int | None) -> str:
    """How a worker ended, in words: ``worker killed by signal 9 (SIGKILL) — out of memory?``."""
    if exitcode is not None and exitcode < 0:
        try:
            name = f" ({signal.Signals(-exitcode).name})"
        except ValueError:
            name = ""
        hint = " — out of memory?" if -exitcode == signal.SIGKILL else ""
        return f"worker killed by signal {-exitcode}{name}{hint}"
    return f"worker exited with status {exitcode} in the middle of the line"


def _work(connection, run, task, point, parent: int, max_memory: int | None) -> None:
    """A worker's life: take a chunk of lines, send back ``("record", record)`` or ``("error", exception)``
    for each line as soon as it is done."""
    _start_worker(parent, max_memory)
    while True:
        try:
            chunk = connection.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        for line in chunk:
            _answer(connection, run, task, point, line, max_memory)


def reply(run, task, point, line, max_memory: int | None = None) -> tuple:
    """What a worker (a local process, or a Dask worker) sends back for one line: ``("record", record)``,
    a line that ran out of memory as its error record, or ``("error", exception)`` for a bug, which the
    main process decides about."""
    try:
        return "record", run(task, line, point)
    except MemoryError:
        needs = f": the line needs more than --max-memory {max_memory} MB" if max_memory else ""
        return "record", line.error_record("out of memory" + needs)
    except Exception as error:  # noqa: BLE001 - a bug: the main process decides what to do with it
        return "error", error


def record(line, kind: str, value, on_internal_error: Callable | None = None) -> dict:
    """The record of ``line`` from what its worker (a local process, or a Dask worker) answered: the record
    it made, an error record for a line whose workers died (``"died"``, ``value`` says how), or for a bug
    (``"error"``) ``on_internal_error(line, value)``, and without it the bug raised."""
    if kind == "record":
        return value
    if kind == "died":
        return line.error_record(value)
    if on_internal_error is None:
        raise value
    return on_internal_error(line, value)


def _answer(connection, run, task, point, line, max_memory) -> None:
    kind, value = reply(run, task, point, line, max_memory)
    try:
        connection.send((kind, value))
    except (pickle.PicklingError, TypeError, AttributeError):
        connection.send(("error", RuntimeError(f"{type(value).__name__}: {value}")))


def _start_worker(parent: int, max_memory: int | None) -> None:
    """Set up a worker process.

    Ctrl-C reaches the whole process group; only the main process handles it (no worker tracebacks).
    A worker exits soon after the main process dies, even by SIGKILL (its pipe may be held open by a
    sibling forked later, so an end of file cannot be relied on).
    """
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # the main process's closed-output handler is not ours

    def watch():
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="diffcli-parent-watch", daemon=True).start()
    if max_memory:
        limit_memory(max_memory)


def limit_memory(megabytes: int) -> None:
    """Limit this process's address space to what it uses now plus ``megabytes`` (Linux; elsewhere a
    no-op).  numpy and mpmath are imported first: their start-up (a BLAS maps large buffers) is not the
    line's."""
    try:
        import resource
    except ImportError:  # not a Unix
        return
    import mpmath  # noqa: F401
    import numpy  # noqa: F401

    try:
        with open("/proc/self/statm") as statm:
            in_use = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # no /proc: not Linux, where RLIMIT_AS is not what we want
        return
    limit = in_use + megabytes * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    soft = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
