"""Ways to differentiate a graph at a point.  Methods return data (an :class:`Estimate`) and never print.

Every method is registered in :data:`METHODS` under its stable id (DESIGN §4) with a one-line description
that ``--help`` shows.  A method has two phases, timed separately:

* ``prepare(graph)`` — the one-off work (derive, compile), reported as ``setup_seconds``;
* the returned ``run(values) -> (gradient, evaluations)`` — one whole gradient, timed as ``seconds``.
  A run may return a third item, a dict of method-specific fields for the JSON row (``Estimate.details``,
  e.g. the steps a finite difference took); its ``"warnings"`` list, if any, joins the row's warnings.

Methods that take a step (the finite differences) declare ``options=("step",)`` and get
``prepare(graph, step=…)``: ``None`` for their own rule, or the ``--eps`` the user gave.

``evaluations`` counts evaluations of f: 2 per variable for central differences, 1 (the forward pass)
for reverse mode, 0 for symbolic differentiation, which evaluates the derivative expressions instead.

A method that cannot give a finite answer at the point (a stencil stepping out of the domain, a partial
derivative dividing by zero) returns an Estimate with ``error`` set — never nan, never a crash.
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from .chain import FloatAlgebra, adjoints, evaluate, symbolic_gradient
from .codegen import compile_function, compile_gradient
from .errors import DiffcliError, DomainError, UsageError
from .graph import Graph

EPS = sys.float_info.epsilon

TIMING_BUDGET = 0.02
"""Seconds spent timing one method (median of repeated runs); ``timing=False`` runs once instead."""


@dataclass
class Estimate:
    """What one method found: the gradient by variable, its cost, or why it could not run."""

    method: str
    gradient: dict = field(default_factory=dict)
    evaluations: int = 0
    setup_seconds: float | None = None
    seconds: float | None = None
    error: str | None = None
    warnings: list = field(default_factory=list)
    details: dict = field(default_factory=dict)  # method-specific fields added to its JSON row


@dataclass(frozen=True)
class Method:
    id: str
    summary: str
    prepare: Callable
    options: tuple = ()  # keyword options ``prepare`` accepts, e.g. ("step",)


ORDER = ("fd-forward", "fd-backward", "fd-central", "fd-5point", "complex-step", "richardson", "symbolic",
         "reverse", "dual")
"""The stable method ids of DESIGN §4, in the order ``compare`` shows them."""

METHODS: dict[str, Method] = {}
"""Implemented methods by stable id, in :data:`ORDER`."""


def method(id: str, summary: str, options: tuple = ()):
    """Register ``prepare`` as method ``id`` (one of :data:`ORDER`); ``options`` names the keyword options
    it accepts (``"step"``: the ``--eps`` override of a finite difference)."""
    if id not in ORDER:
        raise ValueError(f"method id {id!r} is not one of the stable ids {ORDER}")

    def register(prepare):
        METHODS[id] = Method(id, summary, prepare, tuple(options))
        ranked = sorted(METHODS.values(), key=lambda m: ORDER.index(m.id))
        METHODS.clear()
        METHODS.update((m.id, m) for m in ranked)
        return prepare
    return register


# ---------------------------------------------------------------- symbolic and reverse mode

@method("symbolic", "symbolic differentiation: the chain rule builds a simplified derivative expression "
                    "(see `diffcli diff`), compiled once and evaluated")
def _symbolic(graph: Graph):
    derived = graph.copy()
    outputs = symbolic_gradient(derived)
    g = compile_function(derived, outputs)

    def run(values):
        try:
            return list(g(*values)), 0
        except (ValueError, ZeroDivisionError, OverflowError):
            point = dict(zip(graph.variable_names, values))
            for name, node in zip(graph.variable_names, outputs):
                try:
                    evaluate(derived, point, output=node)
                except DomainError as error:
                    raise DomainError(f"the derivative in {name} is undefined here: {error.message}") from None
            raise
    return run


@method("reverse", "reverse-mode AD (backpropagation): one forward pass storing every intermediate, then one "
                   "backward pass of adjoints; compiled to straight-line code")
def _reverse(graph: Graph):
    gradient = compile_gradient(graph)

    def run(values):
        try:
            return list(gradient(*values)[1]), 1
        except (ValueError, ZeroDivisionError, OverflowError):
            tape(graph, dict(zip(graph.variable_names, values)))
            raise
    return run


def tape(graph: Graph, point: dict) -> tuple[list, dict, FloatAlgebra]:
    """Interpreted reverse mode on floats: forward values, adjoints, and every chain-rule term.

    Raises DomainError naming the primitive whose partial derivative is undefined at the point.
    """
    values = evaluate(graph, point)
    algebra = FloatAlgebra(record=True)
    try:
        adjoint = adjoints(graph, values, algebra)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        node = _failing_node(graph, algebra)
        raise DomainError(f"the partial derivative of {node} is undefined here ({error})") from None
    return values, adjoint, algebra


def _failing_node(graph: Graph, algebra: FloatAlgebra) -> str:
    """The primitive being differentiated when the backward pass failed (the one after the last term)."""
    done = {n for n, *_ in algebra.terms}
    last = min(done) if done else (graph.output + 1)
    for node in range(last - 1, -1, -1):
        if graph.ops[node] not in ("const", "var"):
            return graph.ops[node]
    return graph.ops[graph.output]


# ---------------------------------------------------------------- running a method

def check_step(step) -> float | None:
    """The ``--eps`` step as a float, or None; a step that is not a positive finite number is a UsageError."""
    if step is None:
        return None
    step = float(step)
    if not (math.isfinite(step) and step > 0):
        raise UsageError(f"--eps must be a positive finite step, not {step!r}")
    return step


def run_method(method_id: str, graph: Graph, point: dict, timing: bool = True, step: float | None = None,
               time_limit: float | None = None) -> Estimate:
    """Prepare and run one method at ``point``; every failure becomes the Estimate's ``error``.

    ``step`` (``--eps``) replaces the step rule of the methods that take a step; the others ignore it.
    A domain problem, an overflow, a method that runs past ``time_limit`` seconds (default
    :data:`METHOD_TIME_LIMIT`) and even a bug inside a method end up in its row, so the other methods and the
    reference still print.
    """
    if method_id not in METHODS:
        raise UsageError(f"unknown method {method_id!r}; choose from {', '.join(METHODS)}")
    step = check_step(step)
    names = graph.variable_names
    values = [float(point[n]) for n in names]
    estimate = Estimate(method=method_id)
    chosen = METHODS[method_id]
    options = {"step": step} if "step" in chosen.options else {}
    started = time.perf_counter()
    try:
        with deadline(METHOD_TIME_LIMIT if time_limit is None else time_limit):
            run = chosen.prepare(graph, **options)
            if timing:  # --no-timing leaves every timing empty, so that its output is reproducible
                estimate.setup_seconds = time.perf_counter() - started
            gradient, estimate.evaluations, *extra = run(values)
            if extra:
                details = dict(extra[0])
                estimate.warnings += details.pop("warnings", [])
                estimate.details.update(details)
            bad = [n for n, g in zip(names, gradient) if not math.isfinite(g)]
            if bad:
                raise DomainError(f"the derivative in {bad[0]} is not finite here "
                                  f"({gradient[names.index(bad[0])]!r})")
            estimate.gradient = dict(zip(names, gradient))
            estimate.seconds = median_seconds(lambda: run(values)) if timing else None
    except DiffcliError as error:
        estimate.error = error.message
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        estimate.error = f"undefined at this point ({error})"
    except MethodTimeout as error:
        estimate.error = str(error)
    except Exception as error:  # noqa: BLE001 - fault isolation: a bug in one method must not hide the others
        estimate.error = f"internal error: {type(error).__name__}: {error} (a bug in diffcli; please report it)"
    if estimate.error:
        estimate.gradient = {}
        estimate.seconds = None
    return estimate


METHOD_TIME_LIMIT = 120.0
"""Seconds one method may take at one point (setup, gradient and timing runs) before its row says so."""


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

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def median_seconds(call: Callable, budget: float = TIMING_BUDGET) -> float:
    """Median wall time of one call: calls are timed in batches long enough to dwarf the clock's
    resolution (like :mod:`timeit`), over as many batches as fit in ``budget`` seconds (at least 5)."""
    import statistics  # only timing needs it (start-up)

    started = time.perf_counter()
    call()
    first = time.perf_counter() - started
    if first >= budget / 4:  # a slow call: a few samples are all the budget allows
        samples = [first]
        for _ in range(int(min(2, budget // first))):
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)
    number = 1
    while True:
        started = time.perf_counter()
        for _ in range(number):
            call()
        batch = time.perf_counter() - started
        if batch >= budget / 20 or number >= 1 << 20:
            break
        number *= 2
    samples = []
    for _ in range(int(min(51, max(5, budget / max(batch, 1e-9))))):
        started = time.perf_counter()
        for _ in range(number):
            call()
        samples.append((time.perf_counter() - started) / number)
    return statistics.median(samples)


# Modules that register more methods (imported last: they use ``method`` and ``Estimate`` from here).
from . import finite  # noqa: E402,F401
from . import richardson  # noqa: E402,F401
from . import forward  # noqa: E402,F401
