"""Expression files and points files on a Dask cluster (``--scheduler ADDRESS``, ``DIFFCLI_SCHEDULER``):
past one machine.

Chunks of :data:`CLUSTER_CHUNK_LINES` lines become Dask tasks (:func:`run_chunk`, each line through
:func:`diffcli.tasks.files.run_line`); at most :data:`CHUNKS_PER_WORKER` per worker are in flight, and the
records come back and are yielded in input order as soon as each one and all before it are done, so memory
stays bounded whatever the file's length.  Dask reschedules the task of a worker that dies; a chunk that
keeps killing its workers (Dask's ``KilledWorker``, after the scheduler's ``allowed-failures``) is run
again line by line, so that only the line that kills them is lost: its record is an error naming the cause.

A points file (``compare --points``) is read here a block at a time, as locally; each block becomes a Dask
task (:func:`run_block`: f and every method on its points, compiled once per run on each worker), at most
:data:`MAX_BLOCKS_IN_FLIGHT` of them, and the answers are added to the run's summary and written in input
order (:func:`points_on_cluster`), so that the output is the local run's apart from timing fields.

Dask (``pip install "diffcli[dask]"``) is imported only here and only with a scheduler; ``--jobs`` never
needs it.  The workers must have the same diffcli installed.  Time limits (``METHOD_TIME_LIMIT``, the
reference's) rely on ``SIGALRM`` in the main thread, and a Dask worker runs tasks in threads: there they
do not apply, so a cluster run is bounded by the workers' own limits (``--memory-limit``, and stopping a
run that takes too long) instead.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from typing import Callable, Iterator

from diffcli.core.errors import UsageError
from diffcli.tasks.workers import record, reply

MAX_ADDRESS_CHARS = 1_000
"""Longest ``--scheduler`` address: ``tcp://host:8786`` and its kin are a few dozen characters."""

CLUSTER_CHUNK_LINES = 16
"""Lines in one Dask task: a task costs the scheduler about a millisecond, a small line a few."""

CHUNKS_PER_WORKER = 4
"""Tasks in flight per worker (the read-ahead), so workers never wait for the writer."""

MAX_BLOCKS_IN_FLIGHT = 16
"""Most blocks of a ``--points`` file sent to the cluster and not yet written, whatever its number of workers
(fewer with fewer than four workers: :data:`CHUNKS_PER_WORKER` each).  A block is at most
:data:`~diffcli.tasks.reading.CSV_BLOCK_BYTES` of text or :data:`~diffcli.tasks.points.NPY_CHUNK_CELLS`
numbers.  This machine holds the points of every block in flight and the answers (values and gradients) of
one block at a time, the others waiting on their workers: 16 blocks of 65,536 two-variable points are 16 MB;
the worst case, a CSV of one column of one-digit numbers, is a million points a block, 8 MB of points and
44 MB of answers through the four array methods, some 180 MB in all.  Measured on that worst case (20
million points, 2 workers, so 8 blocks in flight): 390 MB at most here, against 270 MB for the local run,
which evaluates its one block here."""

CONNECT_SECONDS = 10
"""How long to wait for the scheduler before exit 2."""

NO_WORKER_SECONDS = 60
"""How long diffcli waits for a task while the cluster has no worker at all (all died and none came back)
before it stops the run with one line, exit 2: Dask itself would wait for a worker for ever.  The records
written before stay written."""

INSTALL = 'pip install "diffcli[dask]"'


def check_address(address) -> str:
    """A scheduler address as given (``tcp://10.0.0.5:8786``, ``10.0.0.5:8786``): printable ASCII without
    spaces, at most :data:`MAX_ADDRESS_CHARS` characters.

    >>> check_address("tcp://127.0.0.1:8786")
    'tcp://127.0.0.1:8786'
    """
    if not isinstance(address, str) or not address or len(address) > MAX_ADDRESS_CHARS or \
            not address.isascii() or not address.isprintable() or " " in address:
        raise UsageError(f"scheduler must be a Dask scheduler address such as tcp://HOST:8786 (printable, no "
                         f"spaces, at most {MAX_ADDRESS_CHARS:,} characters), not {str(address)[:60]!r}")
    return address


def require(address, reach: bool = False) -> str:
    """The checked address, once Dask is known to be importable (else exit 2 with the install command);
    with ``reach``, once the scheduler has answered too (so that a wrong address is exit 2 before any
    output)."""
    address = check_address(address)
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError(f"--scheduler needs Dask, which is not installed: {INSTALL}") from None
    if reach:
        connect(address).close()
    return address


def connect(address: str):
    """A ``distributed.Client`` for ``address``; a missing Dask or an unreachable scheduler is exit 2."""
    address = require(address)
    import distributed

    try:
        return distributed.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {error}") from None


def run_chunk(run: Callable, task: Callable, lines: list, point: dict) -> list:
    """On a worker: each line's :func:`~diffcli.tasks.workers.reply`, in order (the same as a local worker's,
    a line out of memory included)."""
    return [reply(run, task, point, line) for line in lines]


def records_on_cluster(lines: Iterator, run: Callable, task: Callable, point: dict, address: str,
                       on_internal_error: Callable | None = None) -> Iterator[dict]:
    """The records of ``lines`` (:class:`~diffcli.tasks.files.FileLine`), each ``run(task, line, point)``
    (:func:`~diffcli.tasks.files.run_line`) on the Dask cluster at ``address``, in input order (see the
    module docstring)."""
    client = connect(address)
    try:
        def submit(chunk):
            return client.submit(run_chunk, run, task, chunk, point, pure=False)

        limit = _workers(client) * CHUNKS_PER_WORKER
        for chunk, future in _in_flight(_chunks(lines, CLUSTER_CHUNK_LINES), submit, limit):
            yield from _finish(client, chunk, future, (run, task, point), on_internal_error)
    finally:
        client.close()


def _finish(client, chunk: list, future, job: tuple, on_internal_error) -> Iterator[dict]:
    """The records of one chunk, waiting for its task; a chunk whose workers kept dying is run line by
    line, and a line that still kills its worker is that line's error record."""
    from distributed import KilledWorker

    try:
        replies = result(client, future)
    except KilledWorker:
        replies = []
        for line in chunk:
            try:
                alone = client.submit(run_chunk, job[0], job[1], [line], job[2], pure=False)
                replies += result(client, alone)
            except KilledWorker as error:
                replies.append(("died", f"its Dask worker died every time it ran the line ({error})"))
    for line, (kind, value) in zip(chunk, replies):
        yield record(line, kind, value, on_internal_error)


def points_on_cluster(run, tables: Iterator[dict], address: str) -> Iterator[dict]:
    """The chunk records of a ``--points`` run (:class:`~diffcli.tasks.points.PointsRun`), each table of
    ``tables`` evaluated as a Dask task (:func:`run_block`) on the cluster at ``address`` and added to the
    run's summary in input order, at most :data:`MAX_BLOCKS_IN_FLIGHT` at a time.  A block whose workers
    kept dying (Dask's ``KilledWorker``) is run once more, alone: a block that was only running beside the
    one that kills them passes then.  One that kills them again is lost alone
    (:func:`~diffcli.tasks.points.lost_block`): its points are failed points of every method, and the run's
    ``lost`` says why; the blocks after it are evaluated as usual."""
    from distributed import KilledWorker

    from diffcli.tasks.points import lost_block

    client = connect(address)
    token = uuid.uuid4().hex  # the workers compile f and the methods once per run (run_block)
    try:
        def submit(columns):
            return client.submit(run_block, token, run.graph, run.timing, columns, run.running(), pure=False)

        limit = min(_workers(client) * CHUNKS_PER_WORKER, MAX_BLOCKS_IN_FLIGHT)
        for columns, future in _in_flight(map(run.columns_of, tables), submit, limit):
            try:
                block = result(client, future)
            except KilledWorker:  # it, or a block beside it on the same workers, kills them: run it alone
                try:
                    block = result(client, submit(columns))
                except KilledWorker as error:
                    block = lost_block(columns, run.running(), f"its Dask worker died every time it ran "
                                                                f"them ({error})")
            yield run.absorb(columns, block)
    finally:
        client.close()


_EVALUATORS: dict = {}  # on a worker: run token -> its Evaluator, for the last KEPT_RUNS runs
_EVALUATORS_LOCK = threading.Lock()  # a worker may run tasks in several threads

KEPT_RUNS = 4
"""Runs whose compiled f and methods a worker keeps (a run's blocks reuse them)."""


def run_block(token: str, graph, timing: bool, columns: list, methods: list) -> dict:
    """On a worker: :meth:`~diffcli.tasks.points.Evaluator.block` of one block of points, with f and the
    methods compiled once per run (``token``) on this worker, not once per block."""
    from diffcli.tasks.points import Evaluator

    with _EVALUATORS_LOCK:
        evaluator = _EVALUATORS.get(token)
        if evaluator is None:
            evaluator = _EVALUATORS[token] = Evaluator(graph, timing)
            while len(_EVALUATORS) > KEPT_RUNS:
                del _EVALUATORS[next(iter(_EVALUATORS))]
    return evaluator.block(columns, methods)


def result(client, future, poll: float = 1.0):
    """``future.result()``, except that a cluster left without any worker for :data:`NO_WORKER_SECONDS` stops
    the run (a :class:`~diffcli.core.errors.UsageError`, exit 2) instead of waiting for ever."""
    alone_since = None
    while True:
        try:
            return future.result(timeout=poll)
        except TimeoutError:
            if client.scheduler_info().get("workers"):
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > NO_WORKER_SECONDS:
                raise UsageError(f"the Dask cluster at {client.scheduler.address} has had no worker for "
                                 f"{NO_WORKER_SECONDS} s: start workers (dask worker ADDRESS) and run "
                                 f"again") from None


def _workers(client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    """``items`` in lists of ``size`` (the last shorter); the items read before a failure to read the next
    come first, then the failure."""
    chunk: list = []
    try:
        for item in items:
            chunk.append(item)
            if len(chunk) == size:
                yield chunk
                chunk = []
    except Exception:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _in_flight(items: Iterator, submit: Callable, limit: int) -> Iterator[tuple]:
    """``(item, submit(item))`` for each item in input order, with at most ``limit`` submitted and not yet
    taken, so that memory is bounded by ``limit`` items whatever the input's length.  When the next item
    cannot be read (a bad row of a points file, a line too long), the items before it are taken first and
    then the error is raised, as when they run one at a time."""
    flight: deque = deque()
    try:
        for item in items:
            flight.append((item, submit(item)))
            while len(flight) >= limit:
                yield flight.popleft()
    except Exception:
        while flight:
            yield flight.popleft()
        raise
    while flight:
        yield flight.popleft()
