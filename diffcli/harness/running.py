"""Running a method: the one place that prepares, runs, times and isolates a method's failure.

:func:`run_timed` is the whole protocol every task uses, whatever the method computes (a gradient at a
point, gradients on arrays of points, a Hessian): ``prepare()`` once (``setup_seconds``), ``run(argument)``
once for the answer, then again for the median time (``seconds``), all under a time limit.  Any failure —
a domain problem, an overflow, the time limit, even a bug inside the method — becomes the outcome's
``error`` so that the other methods and the reference still print.
"""

from __future__ import annotations

import _signal
import contextlib
import math
import signal
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

from diffcli.core.bounds import LARGEST, Bound
from diffcli.core.errors import DiffcliError, UsageError
from diffcli.core.graph import Graph
from diffcli.methods import METHODS
from diffcli.methods.partials import Undefined
from diffcli.methods.registry import Estimate

MAX_VARIABLE_WORK = 50_000_000
"""Variables × nodes past which a method whose work grows with both (``Method.work == "variables"``: the
stencils, the complex step, richardson, dual) is not run: at 2.25·10^8 (5,001 variables, 45,000 nodes)
dual took 26 s, the complex step and richardson 31 s each on the 2-core development machine; here about
7 s each.  reverse and symbolic pass over f a fixed number of times and are not bounded by it."""

TIMING_BUDGET = 0.02
"""Most seconds spent timing one method (median of repeated runs); ``timing=False`` runs once instead."""

TIMING_CALLS = 6
"""Without an explicit budget, timing stops after about this many times the method's own cost (a method
of 50 µs is timed for about 0.3 ms, one of 3.3 ms for 20 ms, the cap :data:`TIMING_BUDGET`): one more
sample than the fewest (:data:`TIMING_SAMPLES`) for a call timed alone whose samples do not agree.  On
a file of small expressions richardson's samples are most of what timing costs (on the 500-line file,
0.57 s of CPU of the 1.3 s by which timing made it slower than ``--no-timing``, under load)..."""

TIMING_PRECISION = 0.05
"""... or sooner, once the median is known to ±5% (a 95% interval of order statistics), which takes at
least :data:`TIMING_SAMPLES` samples."""

TIMING_SAMPLES = 5
"""Fewest samples a median is taken of: the smallest and the largest of 5 enclose the median 94% of the
time (1 - 2/2^5), the fewest for which :func:`_known` can hold."""

MIN_BATCH_SECONDS = 5e-6
"""Calls are timed in batches at least this long: a reading of the clock costs about 70 ns on the
development machine (``time.perf_counter``, 1 ns resolution), 1.4% of a batch this long, well within
:data:`TIMING_PRECISION`; longer batches only cost more calls of a method of a microsecond."""


WARMUP_CALLS = 16
"""Calls a fast call makes, its first included, before :func:`warm_median_seconds` takes samples: CPython
specializes a function's bytecode only once it has run a few times, and the code timed is new for the point
(f compiled for it, a stencil's straight-line code).  On the lecture example fd-central took 2.9 µs a call
at its 4th call and 2.45 µs from its 16th on, f 0.36 µs and 0.32 µs; fd-central timed from its second call
(what its budget of 50 µs allowed: about ten calls) showed 11-23 × f in the table where warm it is 10 ×."""

WARMUP_SECONDS = 10 * MIN_BATCH_SECONDS
"""... for a call whose first call took less than this (50 µs, the adaptive budget's floor), and only as
long as its calls cost less than this in all at the fastest rate seen: warming up a slower call 16 times
would cost more than timing it (6 calls)."""


METHOD_TIME_LIMIT = 120.0
"""Seconds one method may take at one point (setup, answer and timing runs) before its row says so."""


class MethodTimeout(Exception):
    """Raised inside a method that ran past its time limit."""


@contextlib.contextmanager
def deadline(seconds: float):
    """Raise MethodTimeout in the block after ``seconds`` (wall clock, via SIGALRM; a no-op off the main
    thread or where there is no SIGALRM)."""
    usable = seconds and seconds > 0 and hasattr(signal, "setitimer") and \
        threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise MethodTimeout(f"gave up after {seconds:g} s (time limit)")

    previous = _signal.signal(signal.SIGALRM, expire)  # signal.signal's enum conversions took 20 µs a call
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _signal.signal(signal.SIGALRM, previous)


def median_seconds(call: Callable, budget: float | None = None, first: float | None = None) -> float:
    """Median wall time of one call: calls are timed in batches long enough to dwarf the clock's
    resolution (like :mod:`timeit`), at least :data:`MIN_BATCH_SECONDS` and, for a given budget, a
    twentieth of it, at least :data:`TIMING_SAMPLES` batches.

    ``budget`` None (what the tasks use) adapts to the call: :data:`TIMING_CALLS` times its cost (the
    fastest time seen so far: under load a sample may include time the process was descheduled), at most
    :data:`TIMING_BUDGET`, and timing stops early once the median is known to :data:`TIMING_PRECISION`.
    A given ``budget`` (the benchmarks) is a fixed time, stopped early the same way.

    ``first`` is the time of a call already made (a method's answer), else one call is made and timed
    first.  That first call only sizes the batches and is never a sample, since it runs cold (the first
    call of a method took 1.7 to 6 times its later ones on the 500-line file), except for a call so slow
    that the budget allows only a few: its time is then the first of them.  Adaptive timing makes at
    least one more call after a slow first one; where a later call takes less than half as long and under
    a twentieth of :data:`TIMING_BUDGET` (so that its samples cost little), the first was cold (the
    method that first imports numpy paid the import: 0.25 to 0.45 s) and the call is timed from there as
    a fast one."""
    import statistics  # only timing needs it (start-up)

    if first is None:
        first = _one_call(call)
    adaptive = budget is None
    if adaptive:
        budget = _adaptive_budget(first)
    if first >= budget / 4:  # a slow call: a few samples are all the budget allows
        samples = [first]
        for _ in range(int(min(2, max(adaptive, budget // first)))):
            started = time.perf_counter()
            call()
            took = time.perf_counter() - started
            if adaptive and took < first / 2 and took < TIMING_BUDGET / 20:  # the first call ran cold (an
                return median_seconds(call, None, took)  # import, a cache): a fast call after all
            samples.append(took)
        return statistics.median(samples)
    least = MIN_BATCH_SECONDS if adaptive else max(budget / 20, MIN_BATCH_SECONDS)
    # as many calls as the first call says fit in a batch, rounded down to a power of 2: doubling from
    # there (the first call runs cold, so it may take more) spends less than doubling from 1
    fit = int(min(least / first, 1 << 20)) if first > 0 else 1
    number, spent = 1 << max(0, fit.bit_length() - 1), 0.0
    while True:
        started = time.perf_counter()
        for _ in range(number):
            call()
        batch = time.perf_counter() - started
        spent += batch
        if batch >= least or number >= 1 << 20:
            break
        number *= 2
    samples = [batch / number]
    while len(samples) < 51:
        fastest = min(first, *samples)  # the call's own cost, not a cold call's or a descheduled one's
        if adaptive:
            budget = _adaptive_budget(fastest)
        if len(samples) >= TIMING_SAMPLES and (spent >= budget or _known(samples)):
            break
        while number * fastest < least and number < 1 << 20:  # a first batch slowed by one-off work
            number *= 2
        started = time.perf_counter()
        for _ in range(number):
            call()
        batch = time.perf_counter() - started
        spent += batch
        samples.append(batch / number)
    return statistics.median(samples)


def warm_median_seconds(call: Callable, first: float | None = None) -> float:
    """:func:`median_seconds` of ``call`` once it is warm: how the tasks time f (``f_seconds``) and every
    method (``seconds``, through :func:`run_timed`), the same way for both, so that ``× f`` divides like
    by like.  What is timed is ``call()`` alone, in batches (a loop calling it, two clock reads a batch):
    for f, ``f(*values)``, f compiled for floats called on the point's values; for a method,
    ``run(values)``, its whole answer (the gradient, its count of f's evaluations and its row's fields),
    not its ``prepare``.

    ``first`` is the time of a call already made (a method's answer), else one call is made and timed.
    Where it took less than :data:`WARMUP_SECONDS`, ``call`` is made again in batches of 1, 2, 4 … calls
    until it has run :data:`WARMUP_CALLS` times, or its calls so far would have taken
    :data:`WARMUP_SECONDS` at the fastest rate seen, which is judged from the second batch on: the first
    may still do one-off work (a stencil compiles its straight-line code on its second call, 0.1 ms).
    These calls are not samples; the fastest of them (per call) sizes :func:`median_seconds`' batches and
    budget in place of the cold first call."""
    if first is None:
        first = _one_call(call)
    fastest, calls, number = first, 1, 1
    while first < WARMUP_SECONDS and calls < WARMUP_CALLS:
        started = time.perf_counter()
        for _ in range(number):
            call()
        batch = time.perf_counter() - started
        fastest, calls, number = min(fastest, batch / number), calls + number, number * 2
        if number > 2 and calls * fastest >= WARMUP_SECONDS:
            break
    return median_seconds(call, first=fastest)


def _one_call(call: Callable) -> float:
    """The time of one call of ``call``."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _adaptive_budget(cost: float) -> float:
    """The time timing may spend on a call of this cost: :data:`TIMING_CALLS` times it, at least ten
    shortest batches, at most :data:`TIMING_BUDGET`."""
    return min(TIMING_BUDGET, max(TIMING_CALLS * cost, 10 * MIN_BATCH_SECONDS))


def _known(samples: list) -> bool:
    """Whether the median of ``samples`` is known to :data:`TIMING_PRECISION`: the order statistics that
    bound a 95% interval of the median lie within that fraction of it."""
    ordered = sorted(samples)
    n = len(ordered)
    spread = 0.98 * math.sqrt(n)  # 1.96 standard deviations of a binomial(n, 1/2) count, halved
    low, high = ordered[max(0, math.floor(n / 2 - spread))], ordered[min(n - 1, math.ceil(n / 2 + spread))]
    middle = ordered[n // 2]
    return high - low <= 2 * TIMING_PRECISION * middle


@dataclass
class Outcome:
    """What :func:`run_timed` found: the run's answer and count, its extra fields, timings, or an error."""

    result: Any = None
    count: int | None = None
    details: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    setup_seconds: float | None = None
    seconds: float | None = None
    error: str | None = None


def failure_message(error: BaseException) -> str:
    """The row's error text for an exception raised inside a method."""
    if isinstance(error, DiffcliError):
        return error.message
    if isinstance(error, (ValueError, ZeroDivisionError, OverflowError, FloatingPointError)):
        return f"undefined at this point ({error})"
    if isinstance(error, MethodTimeout):
        return str(error)
    return f"internal error: {type(error).__name__}: {error} (a bug in diffcli; please report it)"


def run_timed(prepare: Callable[[], Callable], argument, timing: bool = True,
              time_limit: float | None = None, check: Callable | None = None, reraise: tuple = ()) -> Outcome:
    """``prepare()`` then ``run(argument) -> (result, count[, details])``, timed, under a time limit; a
    ``run.details(argument, result) -> dict`` attribute, if any, adds fields computed once after the timing.

    ``check(result)`` may raise (e.g. a DomainError for a non-finite entry) before the result is accepted.
    ``time_limit`` defaults to :data:`METHOD_TIME_LIMIT`.  Every failure becomes ``Outcome.error``, except
    exceptions of the types in ``reraise``, which the caller reports itself;
    ``--no-timing`` (``timing=False``) leaves every timing empty, so that output is reproducible.

    >>> run_timed(lambda: (lambda v: (v * 2, 1)), 21, timing=False).result
    42
    >>> run_timed(lambda: (lambda v: (1 / v, 1)), 0, timing=False).error
    'undefined at this point (division by zero)'
    """
    outcome = Outcome()
    started = time.perf_counter()
    try:
        with deadline(METHOD_TIME_LIMIT if time_limit is None else time_limit):
            run = prepare()
            if timing:
                outcome.setup_seconds = time.perf_counter() - started
            answering = time.perf_counter()
            result, count, *extra = run(argument)
            answered = time.perf_counter() - answering
            if extra:
                details = dict(extra[0])
                outcome.warnings += details.pop("warnings", [])
                outcome.details.update(details)
            outcome.count = count
            if check is not None:
                check(result)
            outcome.result = result
            outcome.seconds = warm_median_seconds(partial(run, argument), first=answered) if timing else None
            untimed = getattr(run, "details", None)  # fields computed once, after the timing (rounding)
            if untimed is not None:
                _add_details(outcome, untimed, argument, result)
    except reraise:
        raise
    except Exception as error:  # noqa: BLE001 - fault isolation: one method's failure must not hide the others
        outcome.error = failure_message(error)
    if outcome.error:
        outcome.result, outcome.seconds = None, None
    return outcome


def _add_details(outcome: Outcome, untimed: Callable, argument, result) -> None:
    """The untimed fields of a run; their failure costs only themselves (a warning), not the answer."""
    try:
        details = dict(untimed(argument, result))
        outcome.warnings += details.pop("warnings", [])
        outcome.details.update(details)
    except Exception as error:  # noqa: BLE001 - an estimate's failure must not hide the answer
        outcome.warnings.append(f"no rounding estimate: {failure_message(error)}")


STEP = Bound(1e-300, LARGEST, "a positive, finite step", whole=False)
"""A finite-difference step given by hand (``--eps``, ``eps=``)."""


def check_step(step) -> float | None:
    """The ``--eps`` step as a float, or None; a step outside :data:`STEP` is a UsageError."""
    return None if step is None else STEP.check(step, "eps")


def per_partial(names: list, result: list) -> tuple[dict, dict]:
    """``(gradient, errors)`` from a method's answer: each entry a float, or an
    :class:`~diffcli.methods.partials.Undefined` saying why that partial has no value.  A failed or
    non-finite partial is None in ``gradient`` and its message is in ``errors``.

    >>> per_partial(["x", "z"], [-12.0, Undefined("no derivative")])
    ({'x': -12.0, 'z': None}, {'z': 'no derivative'})
    >>> per_partial(["x"], [float("inf")])
    ({'x': None}, {'x': 'the derivative in x is not finite here (inf)'})
    """
    gradient, problems = {}, {}
    for name, value in zip(names, result):
        if isinstance(value, Undefined):
            gradient[name], problems[name] = None, value.message
        elif not math.isfinite(value):
            gradient[name], problems[name] = None, f"the derivative in {name} is not finite here ({value!r})"
        else:
            gradient[name] = value
    return gradient, problems


def whole_row_error(problems: dict) -> str:
    """The row's ``error`` when no partial has a value: the one message, or each with its partial."""
    if len(problems) == 1:
        return next(iter(problems.values()))
    return "; ".join(f"∂f/∂{name}: {message}" for name, message in problems.items())


def run_method(method_id: str, graph: Graph, point: dict, timing: bool = True, step: float | None = None,
               time_limit: float | None = None) -> Estimate:
    """Prepare and run one method's one-point form at ``point``; a partial that has no value (an
    :class:`~diffcli.methods.partials.Undefined`, or not finite) becomes the Estimate's ``errors[name]``
    while the others keep theirs; a failure of the whole method, or of every partial, becomes its ``error``.

    ``step`` (``--eps``) replaces the step rule of the methods that take a step; the others ignore it.
    """
    chosen = METHODS.get(method_id)
    if chosen is None or chosen.prepare is None:
        from diffcli.methods.registry import ids

        raise UsageError(f"unknown method {method_id!r}; choose from {', '.join(ids('point'))}")
    step = check_step(step)
    names = graph.variable_names
    work = len(names) * len(graph)
    if chosen.work == "variables" and work > MAX_VARIABLE_WORK:
        return Estimate(method=method_id, error=f"not run: {len(names):,} variables × {len(graph):,} nodes "
                        f"= {work:,}, past MAX_VARIABLE_WORK ({MAX_VARIABLE_WORK:,}); {method_id} passes "
                        "over f for every variable (reverse and symbolic do not)")
    values = [float(point[n]) for n in names]
    options = {"step": step} if "step" in chosen.options else {}
    if "once" in chosen.options:  # the answer is wanted once: no work that only repeated runs repay
        options["once"] = not timing
    outcome = run_timed(lambda: chosen.prepare(graph, **options), values, timing, time_limit)
    estimate = Estimate(method=method_id, evaluations=outcome.count or 0, setup_seconds=outcome.setup_seconds,
                        seconds=outcome.seconds, error=outcome.error, warnings=outcome.warnings,
                        details=outcome.details)
    if outcome.error is None:
        estimate.gradient, estimate.errors = per_partial(names, outcome.result)
        if names and len(estimate.errors) == len(names):  # nothing could be computed: the row failed
            estimate.error, estimate.gradient, estimate.seconds = whole_row_error(estimate.errors), {}, None
    return estimate
