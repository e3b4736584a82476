"""The one registry of methods: everything a task needs to know about a method, in its entry.

Every method is registered in :data:`METHODS` under its stable id with a one-line description that
``--help`` shows, and the forms it offers:

* ``prepare(graph, **options)`` — one point.  The one-off work (derive, compile), reported as
  ``setup_seconds``, returns ``run(values) -> (gradient, evaluations[, details])``: one whole gradient,
  timed as ``seconds``.  ``details`` is a dict of method-specific fields for the JSON row (e.g. the steps a
  finite difference took); its ``"warnings"`` list, if any, joins the row's warnings.  Methods that take a
  step declare ``options=("step",)`` and get ``prepare(graph, step=…)``: ``None`` for their own rule, or
  the ``--eps`` the user gave.  Methods that can answer without compiling declare ``options=("once",)``
  and get ``prepare(graph, once=True)`` when ``run`` will be called once (``--no-timing``): its one answer
  then costs no ``compile()`` (reverse, symbolic), to the same bits.
* ``arrays(graph)`` — many points at once (``compare --points``): ``run(columns) -> (gradient arrays,
  evaluations per point)``.
* ``hessian(graph)`` — the Hessian (``diffcli hessian``): ``run(values) -> (rows, passes)``, ``passes``
  counting forward(+backward) passes over f's tape.
* ``sweep`` — a fixed-step scheme ``eps-sweep`` can run at many steps (see
  :class:`diffcli.methods.finite.StencilSweep`), with its ``marker`` in the terminal plot.

``evaluations`` counts evaluations of f: 2 per variable for central differences, 1 (the forward pass)
for reverse mode, 0 for symbolic differentiation, which evaluates the derivative expressions instead.
A partial that has no value here (a stencil stepping out of the domain, a rule dividing by zero, f
undefined beside the point) is an :class:`~diffcli.methods.partials.Undefined` in the gradient list, which
the harness puts in the row's ``errors`` while the other partials print; a method that cannot run at all
raises (a :class:`~diffcli.core.errors.DomainError`, say), which the harness turns into the row's
``error`` — never nan, never a crash.

Importing the package :mod:`diffcli.methods` registers every method; then ``ids("hessian")`` is
``['symbolic', 'forward-over-reverse']`` (tests/test_registry.py checks the lists).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Estimate:
    """What one method found at one point: the gradient by variable, its cost, or why it could not run."""

    method: str
    gradient: dict = field(default_factory=dict)
    evaluations: int = 0
    setup_seconds: float | None = None
    seconds: float | None = None
    error: str | None = None
    errors: dict = field(default_factory=dict)  # variable -> why that partial has no value (methods.partials)
    warnings: list = field(default_factory=list)
    details: dict = field(default_factory=dict)  # method-specific fields added to its JSON row


@dataclass(frozen=True)
class Method:
    """A registry entry: the method's id, its help text and the forms it offers (None: not offered)."""

    id: str
    summary: str
    prepare: Callable | None = None
    options: tuple = ()  # keyword options ``prepare`` accepts, e.g. ("step",)
    rank: int = 1000  # place in tables and in the default selection, smallest first
    arrays: Callable | None = None
    hessian: Callable | None = None
    hessian_summary: str | None = None
    sweep: object | None = None
    sweep_default: bool = False  # run by ``eps-sweep`` when no --methods are given
    marker: str | None = None  # its character in eps-sweep's terminal plot
    draw_rank: int = 0  # eps-sweep draws lines in increasing draw_rank (the last one on top)
    work: str = "graph"
    """How its work grows: ``"graph"``, a fixed number of passes over f whatever the number of variables
    (reverse, symbolic); ``"variables"``, passes for every variable (stencils, complex step, richardson,
    dual), so variables × nodes, which the harness bounds (``MAX_VARIABLE_WORK``)."""


METHODS: dict[str, Method] = {}
"""Every registered method by stable id, ordered by ``rank``."""

FORMS = {"point": "prepare", "arrays": "arrays", "hessian": "hessian", "sweep": "sweep"}
"""The forms a method may offer, by the name tasks ask for them with, and the entry's field for each."""


def register(entry: Method) -> Method:
    """Add (or replace) ``entry`` in :data:`METHODS`, keeping the registry in ``rank`` order."""
    METHODS[entry.id] = entry
    ranked = sorted(METHODS.values(), key=lambda m: m.rank)
    METHODS.clear()
    METHODS.update((m.id, m) for m in ranked)
    return entry


def method(id: str, summary: str, rank: int, options: tuple = (), **forms):
    """Decorator: register ``prepare`` as the one-point form of method ``id`` (other forms as keywords).

    >>> @method("throwaway", "an example", rank=10_000)
    ... def _prepare(graph):
    ...     return lambda values: ([0.0] * len(values), 0)
    >>> "throwaway" in ids("point")
    True
    >>> del METHODS["throwaway"]
    """
    def decorate(prepare):
        register(Method(id, summary, prepare, tuple(options), rank, **forms))
        return prepare
    return decorate


def ids(form: str = "point") -> list[str]:
    """The ids of the methods offering ``form`` (``point``, ``arrays``, ``hessian``, ``sweep``), in rank
    order."""
    attribute = FORMS[form]
    return [m.id for m in METHODS.values() if getattr(m, attribute) is not None]


def default_sweep() -> list[str]:
    """The schemes ``eps-sweep`` runs when none are chosen."""
    return [m.id for m in METHODS.values() if m.sweep is not None and m.sweep_default]
