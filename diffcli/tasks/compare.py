"""``compare``: every method against the reference, as one plain record (its JSON is described in README.md).

>>> record = compare("x**2", {"x": 3.0}, methods=["reverse"], timing=False)
>>> record["methods"][0]["gradient"]
{'x': 6.0}
"""

from __future__ import annotations

from functools import partial

from diffcli.core import bounds
from diffcli.core.bounds import LARGEST, Bound
from diffcli.core.choices import choose
from diffcli.core.codegen import compile_function
from diffcli.core.errors import DiffcliError, UsageError
from diffcli.core.parse import as_graph
from diffcli.harness import (
    check_step,
    errors,
    prepare,
    reference_or_error,
    run_method,
    warm_median_seconds,
)
from diffcli.methods import METHODS
from diffcli.methods.registry import ids
from diffcli.reference import DIGITS, reference

TOLERANCE = Bound(0.0, LARGEST, "a relative error: finite and not negative", whole=False)
"""``--tolerance`` of ``compare``."""


def select_methods(methods, form: str | None = "point") -> list[str]:
    """Method ids (offering ``form``; any registered id for None) from a list or a comma-separated string;
    ``methods=None`` means all of them."""
    return choose(methods, ids(form) if form else list(METHODS))


def compare(expression, point: dict, methods=None, digits: int = 50, timing: bool = True,
            eps: float | None = None) -> dict:
    """All selected methods at ``point`` against the mpmath reference, as the JSON record of ``compare``.

    ``eps`` replaces the step rule of every finite-difference method by that step (the first step of
    ``richardson``'s sequence); the other methods ignore it.  Raises DiffcliError when the expression does
    not parse, a variable has no value, or f itself is undefined at the point; a method that fails has its
    ``error`` set instead.
    """
    graph, point = as_graph(bounds.expression(expression)), bounds.point(point)
    digits, timing = DIGITS.check(digits, "digits"), bounds.flag(timing, "timing")
    selected = select_methods(methods)
    eps = check_step(eps)
    at = prepare(graph, point)  # f must be defined at the point: DomainError otherwise
    graph, point, warnings = at.graph, at.point, at.warnings

    record = {"expression": graph.source, "point": point, "value": at.value, "f_seconds": None}
    ref, problem = reference_or_error(lambda: reference(graph, point, digits, one_sided=bool(warnings)))
    record["reference"] = ref.as_json() if ref is not None else \
        {"digits": digits, "value": None, "gradient": None, "error": problem}
    if timing:  # f, the unit of × f, is timed as each method's run is, and just before them: on a shared
        # machine a core's speed drifts (f took 0.26 or 0.5 µs by the moment), and the reference takes ms
        record["f_seconds"] = warm_median_seconds(partial(compile_function(graph), *at.values))
    scored: dict = {}  # (variable, estimate) -> its errors: methods often agree to the bit (a third here)
    record["methods"] = [_row(run_method(m, graph, point, timing, step=eps), ref, warnings, scored)
                         for m in selected]
    if warnings:
        record["warnings"] = warnings
    return record


def _row(estimate, ref, warnings, scored: dict) -> dict:
    row = {"method": estimate.method, "gradient": estimate.gradient or None, "errors": dict(estimate.errors),
           "abs_error": None, "rel_error": None, "max_rel_error": None,
           "evaluations": estimate.evaluations, "setup_seconds": estimate.setup_seconds,
           "seconds": estimate.seconds, "error": estimate.error,
           "warnings": list(warnings) + estimate.warnings, **estimate.details}
    if estimate.error is None and ref is not None:
        pairs = {}
        for name, g in estimate.gradient.items():
            pair = scored.get((name, g))
            if pair is None:
                pair = scored[name, g] = errors(ref.context, g, ref.gradient.get(name))
            pairs[name] = pair
        row["abs_error"] = {name: pair[0] for name, pair in pairs.items()}
        row["rel_error"] = {name: pair[1] for name, pair in pairs.items()}
        checked = [error for error in row["rel_error"].values() if error is not None]
        row["max_rel_error"] = max(checked) if checked else (None if row["rel_error"] else 0.0)
    return row


def tolerance_failures(record: dict, tolerance: float) -> list[str]:
    """The methods of a ``compare`` record that fail a gradient check at ``tolerance``, one message each.

    A method fails when its ``max_rel_error`` exceeds ``tolerance``, or when a partial could not be checked:
    the method has no value for a partial the reference has (it could not run, or that partial failed),
    gives a value for a partial the reference finds does not exist, or there is no reference at all — a
    check that could not be made is not passed.  A partial that neither the method nor the reference finds
    (``(-x)**z`` in z at z=3: f is real only at integer z) agrees with the reference, and passes.

    >>> record = compare("sin(x)", {"x": 1.0}, methods=["reverse", "fd-central"], timing=False)
    >>> [message.split(":")[0] for message in tolerance_failures(record, 1e-12)]
    ['fd-central']
    >>> tolerance_failures(record, 1.0)
    []
    """
    if not isinstance(record, dict) or not isinstance(record.get("methods"), list):
        raise UsageError(f"record must be a record of compare, not {record!r:.60}")
    tolerance = TOLERANCE.check(tolerance, "tolerance")
    failures = []
    reference = record["reference"]
    for row in record["methods"]:
        unchecked = _unchecked(row, reference, list(record["point"]))
        error = row["max_rel_error"]
        if row["error"] and unchecked:
            failures.append(f"{row['method']}: no estimate ({row['error']})")
        elif reference.get("error"):
            failures.append(f"{row['method']}: nothing to check against ({reference['error']})")
        elif unchecked:
            failures.append(f"{row['method']}: {unchecked[0]}")
        elif error is not None and not error <= tolerance:  # a NaN error fails too
            failures.append(f"{row['method']}: max_rel_error {error:.2g} > tolerance {tolerance:g}")
    return failures


def _unchecked(row: dict, reference: dict, names: list) -> list[str]:
    """Why partials of ``row`` cannot be checked against the reference (empty when every one can): the
    method has no value where the reference has one, or the other way round."""
    truth = reference.get("gradient") or {}
    said = reference.get("errors") or {}
    found = row["gradient"] or {}
    problems = []
    for name in names:
        estimate = found.get(name)
        if truth.get(name) is None and not reference.get("error"):  # the reference finds no derivative
            if estimate is not None:
                problems.append(f"∂f/∂{name} = {estimate!r}, but the reference finds no derivative "
                                f"({said.get(name, 'no reference value')})")
        elif estimate is None:
            problems.append(f"∂f/∂{name}: no estimate ({row['errors'].get(name) or row['error']})")
    return problems


def gradient(expression, point: dict, method: str = "reverse") -> dict:
    """The gradient of ``expression`` at ``point`` by one method, as ``{variable: value}``.  Raises
    DiffcliError when the method cannot run, or when some partial has no value (naming it and why);
    ``compare`` keeps the other partials.

    >>> gradient("x*z", {"x": 2, "z": 3})
    {'x': 3.0, 'z': 2.0}
    """
    graph, point = as_graph(bounds.expression(expression)), bounds.point(point)
    select_methods([bounds.text(method, "method")])
    at = prepare(graph, point)
    estimate = run_method(method, at.graph, at.point, timing=False)
    if estimate.error:
        raise DiffcliError(f"{method}: {estimate.error}")
    if estimate.errors:  # a gradient with a hole is not a gradient: name the partial and why
        name, message = next(iter(estimate.errors.items()))
        raise DiffcliError(f"{method}: ∂f/∂{name}: {message}")
    return estimate.gradient
