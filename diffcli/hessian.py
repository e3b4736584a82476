"""Second derivatives: the Hessian two ways, each against an mpmath reference.

* ``symbolic`` (reverse-over-symbolic): the symbolic gradient graph (:func:`~diffcli.chain.symbolic_gradient`)
  is differentiated again by the same backward loop, one sweep per gradient entry, giving one simplified
  graph per Hessian row; compiled once and evaluated.
* ``forward-over-reverse``: the backward loop runs on dual numbers (:class:`~diffcli.forward.DualAlgebra`)
  whose tangents are seeded on one variable, so each adjoint's tangent is a second derivative: one
  forward+backward pass per variable gives one row.

Both use only the primitive table's ``partials`` (no second rule table).  The reference differentiates
the table's mpmath evaluators twice with ``mpmath.diff`` (:func:`~diffcli.reference.reference_partials`),
never the rules.  Each method computes every entry, so ``H[i][j]`` and ``H[j][i]`` may differ in the last
bits; the reference is symmetric by construction (it computes i <= j).

>>> record = hessian("x**3 * z", {"x": 2.0, "z": 5.0}, timing=False, digits=20)
>>> record["methods"][0]["hessian"]
[[60.0, 12.0], [12.0, 0.0]]
"""

from __future__ import annotations

import math
import time

from .api import as_graph, kinks
from .chain import adjoints, bind, evaluate, symbolic_gradient
from .codegen import compile_function
from .choices import choose
from .errors import DiffcliError, DomainError, UsageError
from .forward import Dual, DualAlgebra, forward_pass
from .graph import Graph
from .methods import median_seconds
from .reference import reference_partials

MAX_VARIABLES = 20
"""More variables than this make the Hessian table unreadable and the reference slow: refused."""


# ---------------------------------------------------------------- the methods

def symbolic_hessian(graph: Graph) -> list[list[int]]:
    """Build, inside ``graph``, one simplified node per Hessian entry (rows in variable order).

    >>> from diffcli.parse import parse
    >>> from diffcli.printing import to_text
    >>> g = parse("x*sin(x)")
    >>> to_text(g, symbolic_hessian(g)[0][0])
    'cos(x) - x * sin(x) + cos(x)'
    """
    return [symbolic_gradient(graph, node) for node in symbolic_gradient(graph)]


def _symbolic(graph: Graph):
    derived = graph.copy()
    rows = symbolic_hessian(derived)
    flat = [node for row in rows for node in row]
    h = compile_function(derived, flat)
    names, count = graph.variable_names, len(graph.variables)

    def run(values):
        try:
            entries = h(*values)
        except (ValueError, ZeroDivisionError, OverflowError):
            point = dict(zip(names, values))
            for k, node in enumerate(flat):
                try:
                    evaluate(derived, point, output=node)
                except DomainError as error:
                    raise DomainError(f"the second derivative in {names[k // count]}, {names[k % count]} is "
                                      f"undefined here: {error.message}") from None
            raise
        return [list(entries[i * count:(i + 1) * count]) for i in range(count)], 0
    return run


def forward_over_reverse_row(graph: Graph, point: dict, name: str) -> list[float]:
    """Row ``name`` of the Hessian: the backward loop on dual numbers seeded on ``name``.

    >>> from diffcli.parse import parse
    >>> forward_over_reverse_row(parse("x*x*z"), {"x": 3.0, "z": 2.0}, "x")
    [4.0, 6.0]
    """
    values = forward_pass(graph, point, {name: 1.0})
    try:
        adjoint = adjoints(graph, values, DualAlgebra())
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise DomainError(f"a partial derivative is undefined here ({error})") from None
    row = []
    for v in graph.variables:
        g = adjoint.get(v, 0.0)
        row.append(g.tangent if isinstance(g, Dual) else 0.0)
    return row


def _forward_over_reverse(graph: Graph):
    names = graph.variable_names

    def run(values):
        point = dict(zip(names, values))
        return [forward_over_reverse_row(graph, point, name) for name in names], len(names)
    return run


HESSIAN_METHODS = {
    "symbolic": (_symbolic, "the symbolic gradient differentiated again by the same backward loop (one sweep "
                            "per row), simplified, compiled once"),
    "forward-over-reverse": (_forward_over_reverse, "the backward loop run on dual numbers seeded on one "
                                                    "variable: one forward+backward pass per row"),
}
"""Hessian methods by id: ``(prepare, summary)``; ``prepare(graph)`` does the one-off work and returns
``run(values) -> (rows, passes)``, ``passes`` counting forward(+backward) passes over f's tape (0 for
symbolic, which evaluates the derivative expressions instead)."""


# ---------------------------------------------------------------- the record

def hessian(expression, point: dict, methods=None, digits: int = 50, timing: bool = True) -> dict:
    """The Hessian of ``expression`` at ``point`` by each method against the mpmath reference, as a plain
    record (the JSON of ``diffcli hessian``).  A method that fails has its ``error`` set; a missing variable
    or a point where f is undefined raises DiffcliError."""
    graph = as_graph(expression)
    selected = _select(methods)
    values = bind(graph, point)
    names = graph.variable_names
    if len(names) > MAX_VARIABLES:
        raise UsageError(f"the expression has {len(names)} variables; hessian shows at most {MAX_VARIABLES}")
    point = dict(zip(names, (float(v) for v in values)))
    forward = evaluate(graph, point)
    warnings = kinks(graph, forward)
    record = {"expression": graph.source, "point": point, "value": forward[graph.output], "variables": names}

    truth = None
    try:
        truth = _reference(graph, point, digits)
        record["reference"] = {"digits": digits, "value": truth.text(truth.value),
                               "hessian": [[truth.text(_entry(truth, i, j)) for j in range(len(names))]
                                           for i in range(len(names))]}
    except DiffcliError as error:
        record["reference"] = {"digits": digits, "value": None, "hessian": None, "error": error.message}

    record["methods"] = [_run(method_id, graph, point, truth, timing, warnings) for method_id in selected]
    if warnings:
        record["warnings"] = warnings
    return record


def _select(methods) -> list[str]:
    return choose(methods, HESSIAN_METHODS, what="Hessian method")


def _orders(count: int, i: int, j: int) -> tuple:
    orders = [0] * count
    orders[i] += 1
    orders[j] += 1
    return tuple(orders)


def _reference(graph: Graph, point: dict, digits: int):
    count = len(graph.variables)
    wanted = [_orders(count, i, j) for i in range(count) for j in range(i, count)]
    return reference_partials(graph, point, wanted, digits)


def _entry(truth, i: int, j: int):
    count = len(next(iter(truth.derivatives)))
    return truth.derivatives[_orders(count, i, j)]


def _run(method_id: str, graph: Graph, point: dict, truth, timing: bool, warnings: list) -> dict:
    names = graph.variable_names
    values = list(point.values())
    row = {"method": method_id, "hessian": None, "abs_error": None, "rel_error": None, "max_rel_error": None,
           "passes": None, "setup_seconds": None, "seconds": None, "error": None,
           "warnings": list(warnings)}
    prepare = HESSIAN_METHODS[method_id][0]
    started = time.perf_counter()
    try:
        run = prepare(graph)
        if timing:  # --no-timing leaves every timing empty, so that its output is reproducible
            row["setup_seconds"] = time.perf_counter() - started
        matrix, row["passes"] = run(values)
        bad = [(i, j) for i, r in enumerate(matrix) for j, h in enumerate(r) if not math.isfinite(h)]
        if bad:
            i, j = bad[0]
            raise DomainError(f"the second derivative in {names[i]}, {names[j]} is not finite here "
                              f"({matrix[i][j]!r})")
        row["hessian"] = matrix
        row["seconds"] = median_seconds(lambda: run(values)) if timing else None
    except DiffcliError as error:
        row["error"] = error.message
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        row["error"] = f"undefined at this point ({error})"
    if row["hessian"] is not None and truth is not None:
        m = truth.context
        absolute, relative = [], []
        for i, r in enumerate(row["hessian"]):
            absolute.append([]), relative.append([])
            for j, h in enumerate(r):
                exact = _entry(truth, i, j)
                difference = abs(m.mpf(h) - exact)
                absolute[i].append(float(difference))
                relative[i].append(float(difference / abs(exact)) if exact else float(difference))
        row["abs_error"], row["rel_error"] = absolute, relative
        row["max_rel_error"] = max((e for r in relative for e in r), default=0.0)
    return row
