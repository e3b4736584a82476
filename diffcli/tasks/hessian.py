"""``hessian``: second derivatives by every method that offers a Hessian form, against an mpmath reference.

The methods are those of the registry with a ``hessian`` form (:mod:`diffcli.methods.symbolic`: the
symbolic gradient differentiated again; :mod:`diffcli.methods.forward`: forward-over-reverse).  Both use
only the primitive table's ``partials`` (no second rule table).  The reference differentiates the table's
mpmath evaluators twice with ``mpmath.diff`` (:func:`~diffcli.reference.reference_partials`), never the
rules.  Each method computes every entry, so ``H[i][j]`` and ``H[j][i]`` may differ in the last bits; the
reference is symmetric by construction (it computes i <= j).

>>> record = hessian("x**3 * z", {"x": 2.0, "z": 5.0}, timing=False, digits=20)
>>> record["methods"][0]["hessian"]
[[60.0, 12.0], [12.0, 0.0]]
"""

from __future__ import annotations

import math

from diffcli.core import bounds
from diffcli.core.choices import choose
from diffcli.core.errors import DomainError, UsageError
from diffcli.core.graph import Graph
from diffcli.core.parse import as_graph
from diffcli.harness import errors, prepare, reference_or_error, run_timed
from diffcli.methods import METHODS
from diffcli.methods.registry import ids
from diffcli.reference import DIGITS, reference_partials

MAX_VARIABLES = 20
"""More variables than this make the Hessian table unreadable and the reference slow: refused."""


def hessian(expression, point: dict, methods=None, digits: int = 50, timing: bool = True) -> dict:
    """The Hessian of ``expression`` at ``point`` by each method against the mpmath reference, as a plain
    record (the JSON of ``diffcli hessian``).  A method that fails has its ``error`` set; a missing variable
    or a point where f is undefined raises DiffcliError."""
    graph, point = as_graph(bounds.expression(expression)), bounds.point(point)
    digits, timing = DIGITS.check(digits, "digits"), bounds.flag(timing, "timing")
    selected = choose(methods, ids("hessian"), what="Hessian method")
    names = graph.variable_names
    if len(names) > MAX_VARIABLES and all(name in point for name in names):
        raise UsageError(f"the expression has {len(names)} variables; hessian shows at most {MAX_VARIABLES}")
    at = prepare(graph, point)
    record = {"expression": graph.source, "point": at.point, "value": at.value, "variables": names}

    truth, problem = reference_or_error(lambda: _reference(graph, at.point, digits, bool(at.warnings)))
    if truth is not None:
        record["reference"] = _reference_record(truth, names, digits)
    else:
        record["reference"] = {"digits": digits, "value": None, "hessian": None, "error": problem}
    record["methods"] = [_row(method_id, graph, at.values, truth, timing, at.warnings)
                         for method_id in selected]
    if at.warnings:
        record["warnings"] = at.warnings
    return record


def _orders(count: int, i: int, j: int) -> tuple:
    orders = [0] * count
    orders[i] += 1
    orders[j] += 1
    return tuple(orders)


def _reference(graph: Graph, point: dict, digits: int, at_kink: bool):
    count = len(graph.variables)
    wanted = [_orders(count, i, j) for i in range(count) for j in range(i, count)]
    return reference_partials(graph, point, wanted, digits, one_sided=at_kink)


def _reference_record(truth, names: list, digits: int) -> dict:
    """The reference's JSON: entries as decimal strings, null where the entry has no reference, and why in
    ``errors`` (``{"∂²f/∂x∂z": "…"}``, ``{}`` when every entry has one)."""
    def shown(i, j):
        entry = _entry(truth, i, j)
        return None if entry is None else truth.text(entry)
    count = len(names)
    errors = {_label(names, i, j): truth.errors[_orders(count, i, j)]
              for i in range(count) for j in range(i, count) if _orders(count, i, j) in truth.errors}
    return {"digits": digits, "method": truth.method, "value": truth.text(truth.value),
            "hessian": [[shown(i, j) for j in range(count)] for i in range(count)], "errors": errors}


def _label(names, i: int, j: int) -> str:
    return f"∂²f/∂{names[i]}²" if i == j else f"∂²f/∂{names[i]}∂{names[j]}"


def _entry(truth, i: int, j: int):
    count = len(next(iter(truth.derivatives)))
    return truth.derivatives[_orders(count, i, j)]


def _finite_matrix(names):
    def check(matrix):
        bad = [(i, j) for i, r in enumerate(matrix) for j, h in enumerate(r) if not math.isfinite(h)]
        if bad:
            i, j = bad[0]
            raise DomainError(f"the second derivative in {names[i]}, {names[j]} is not finite here "
                              f"({matrix[i][j]!r})")
    return check


def _estimates(outcome) -> list | None:
    """The method's bound on the rounding of every entry (``forward-over-reverse``), None for an entry
    whose bound is not finite; None for a method that gives none (``symbolic``) or that failed."""
    bounds = outcome.details.get("error_estimate")
    if bounds is None or outcome.result is None:
        return None
    return [[b if math.isfinite(b) else None for b in r] for r in bounds]


def _row(method_id: str, graph: Graph, values: list, truth, timing: bool, warnings: list) -> dict:
    names = graph.variable_names
    outcome = run_timed(lambda: METHODS[method_id].hessian(graph), values, timing,
                        check=_finite_matrix(names))
    row = {"method": method_id, "hessian": outcome.result, "abs_error": None, "rel_error": None,
           "max_rel_error": None, "passes": outcome.count, "setup_seconds": outcome.setup_seconds,
           "seconds": outcome.seconds, "error": outcome.error, "warnings": list(warnings) + outcome.warnings,
           "error_estimate": _estimates(outcome)}
    if outcome.result is not None and truth is not None:
        exact = [[_entry(truth, i, j) for j in range(len(names))] for i in range(len(names))]
        scored = [[(None, None) if exact[i][j] is None else errors(truth.context, h, exact[i][j])
                   for j, h in enumerate(r)] for i, r in enumerate(outcome.result)]
        row["abs_error"] = [[pair[0] for pair in r] for r in scored]
        row["rel_error"] = [[pair[1] for pair in r] for r in scored]
        row["max_rel_error"] = max((e for r in row["rel_error"] for e in r if e is not None), default=None)
    return row
