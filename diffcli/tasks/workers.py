"""The worker processes of ``--jobs``: a small pool of our own in which a worker that dies costs one line.

``concurrent.futures.ProcessPoolExecutor`` breaks the whole pool when one worker dies (``BrokenProcessPool``),
so one runaway line killed by the out-of-memory killer would lose the run.  Here each worker is a
``multiprocessing.Process`` with its own pipe and runs one line at a time.  A worker that dies (a signal, the
out-of-memory killer, a hard crash in C code) is replaced by a fresh one; the line it was running is retried
once there, and if that worker dies too the line's record is an error naming the cause ("worker killed by
signal 9 (SIGKILL) — out of memory?").  Every other line is unaffected.

``max_memory`` (MB, ``--max-memory``) limits each worker's address space (``RLIMIT_AS``, Linux) to what it
uses at rest plus that many megabytes; a line that needs more gets a ``MemoryError``, which becomes that
line's error record.  The limit is set after numpy and mpmath are imported, so their start-up does not
count against it.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections import deque
from dataclasses import dataclass
from typing import Callable

ATTEMPTS = 2
"""A line whose worker dies is run once more in a fresh worker; a second death is that line's error."""

PARENT_CHECK_SECONDS = 0.5
STOP_SECONDS = 2.0
"""How long closing the pool waits for a worker to exit before killing it."""


@dataclass
class _Busy:
    key: object        # the caller's name for the job (its index in the file)
    line: object       # the FileLine it runs
    attempt: int       # 1, or 2 when retried after a death


class Workers:
    """``jobs`` worker processes running ``run(task, line, point)`` on one line each at a time.

    :meth:`submit` queues a line; :meth:`results` waits until at least one line is done and returns
    ``(key, kind, value)`` triples: ``kind`` is ``"record"`` (the line's record), ``"error"`` (an
    unexpected exception raised in the worker, a bug) or ``"died"`` (its worker died twice; ``value``
    is the cause in words).
    """

    def __init__(self, jobs: int, run: Callable, task: Callable, point: dict, max_memory: int | None = None):
        import multiprocessing

        self.context = multiprocessing.get_context()
        self.jobs, self.arguments = jobs, (run, task, point, os.getpid(), max_memory)
        self.queue: deque = deque()
        self.busy: dict = {}            # connection -> _Busy
        self.idle: list = []            # connections of workers waiting for a line
        self.processes: dict = {}       # connection -> Process
        for _ in range(jobs):
            self._start()

    def _start(self):
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(target=_work, args=(child_end, *self.arguments), daemon=True,
                                       name="diffcli-worker")
        process.start()
        child_end.close()  # so that the worker's death is an end of file on parent_end
        self.processes[parent_end] = process
        self.idle.append(parent_end)
        return parent_end

    def submit(self, key, line, attempt: int = 1, first: bool = False) -> None:
        job = _Busy(key, line, attempt)
        self.queue.appendleft(job) if first else self.queue.append(job)
        self._dispatch()

    def pending(self) -> int:
        return len(self.queue) + len(self.busy)

    def _dispatch(self) -> None:
        while self.queue and self.idle:
            connection = self.idle.pop()
            job = self.queue.popleft()
            try:
                connection.send(job.line)
            except OSError:  # it died while idle: its end of file is seen by results()
                self.queue.appendleft(job)
                self._replace(connection)
                continue
            self.busy[connection] = job

    def results(self) -> list:
        from multiprocessing.connection import wait

        done: list = []
        while not done and self.busy:
            for connection in wait(list(self.busy)):
                job = self.busy.pop(connection)
                try:
                    kind, value = connection.recv()
                except (EOFError, OSError, pickle.UnpicklingError):
                    cause = self._replace(connection)
                    if job.attempt < ATTEMPTS:
                        self.submit(job.key, job.line, job.attempt + 1, first=True)
                    else:
                        done.append((job.key, "died", cause))
                    continue
                self.idle.append(connection)
                done.append((job.key, kind, value))
            self._dispatch()
        return done

    def _replace(self, connection) -> str:
        """Bury a dead worker, start a fresh one, and say how the dead one ended."""
        process = self.processes.pop(connection)
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
    """A worker's life: take a line, send back ``("record", record)`` or ``("error", exception)``."""
    _start_worker(parent, max_memory)
    while True:
        try:
            line = connection.recv()
        except (EOFError, OSError):
            return
        if line is None:
            return
        try:
            reply = ("record", run(task, line, point))
        except MemoryError:
            needs = f": the line needs more than --max-memory {max_memory} MB" if max_memory else ""
            reply = ("record", {"line": line.number, "expression": line.expression,
                                "error": "out of memory" + needs})
        except Exception as error:  # noqa: BLE001 - a bug: the main process decides what to do with it
            reply = ("error", error)
        try:
            connection.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError):
            connection.send(("error", RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))


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
