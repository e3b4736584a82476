"""``compare``: every method against the reference, as one plain record (the JSON of DESIGN §4).

>>> record = compare("x**2", {"x": 3.0}, methods=["reverse"], timing=False)
>>> record["methods"][0]["gradient"]
{'x': 6.0}
"""

from __future__ import annotations

from .chain import bind, evaluate
from .codegen import compile_function
from .choices import choose
from .errors import DiffcliError, UsageError
from .graph import CONST, VAR, Graph
from .methods import METHODS, MethodTimeout, check_step, deadline, median_seconds, run_method
from .parse import parse
from .primitives import PRIMITIVES
from .reference import reference


REFERENCE_TIME_LIMIT = 300.0
"""Seconds the reference may take before its row says it gave up."""


def as_graph(expression) -> Graph:
    return expression if isinstance(expression, Graph) else parse(expression)


def select_methods(methods) -> list[str]:
    """Method ids from a list or a comma-separated string; None means all of them."""
    return choose(methods, METHODS)


def kinks(graph: Graph, values: list) -> list[str]:
    """Warnings for every non-differentiable primitive sitting exactly at its kink."""
    found = []
    for node, op in enumerate(graph.ops[:len(values)]):
        if op in (CONST, VAR) or values[node] is None:
            continue
        primitive = PRIMITIVES[op]
        args = [values[a] for a in graph.arguments[node]]
        if primitive.kink is not None and primitive.kink(*args):
            shown = ", ".join(repr(a) for a in args)
            found.append(f"{op}({shown}) is at its kink: not differentiable there; the methods use the "
                         "right derivative of each function and the reference the right derivative in each "
                         "variable")
    return found


def compare(expression, point: dict, methods=None, digits: int = 50, timing: bool = True,
            eps: float | None = None) -> dict:
    """All selected methods at ``point`` against the mpmath reference, as the JSON record of DESIGN §4.

    ``eps`` replaces the step rule of every finite-difference method by that step (the first step of
    ``richardson``'s sequence); the other methods ignore it.  Raises DiffcliError when the expression does
    not parse, a variable has no value, or f itself is undefined at the point; a method that fails has its
    ``error`` set instead.
    """
    graph = as_graph(expression)
    selected = select_methods(methods)
    eps = check_step(eps)
    values = bind(graph, point)
    point = dict(zip(graph.variable_names, (float(v) for v in values)))
    forward = evaluate(graph, point)  # f must be defined at the point: DomainError otherwise
    value = forward[graph.output]
    warnings = kinks(graph, forward)

    f_seconds = None
    if timing:
        f = compile_function(graph)
        f_seconds = median_seconds(lambda: f(*point.values()))

    record = {"expression": graph.source, "point": point, "value": value, "f_seconds": f_seconds}
    ref = None
    try:
        with deadline(REFERENCE_TIME_LIMIT):
            ref = reference(graph, point, digits, one_sided=bool(warnings))
        record["reference"] = ref.as_json()
    except DiffcliError as error:
        record["reference"] = {"digits": digits, "value": None, "gradient": None, "error": error.message}
    except MethodTimeout as error:
        record["reference"] = {"digits": digits, "value": None, "gradient": None, "error": str(error)}

    record["methods"] = [_row(run_method(m, graph, point, timing, step=eps), ref, warnings) for m in selected]
    if warnings:
        record["warnings"] = warnings
    return record


def _row(estimate, ref, warnings) -> dict:
    row = {"method": estimate.method, "gradient": estimate.gradient or None,
           "abs_error": None, "rel_error": None, "max_rel_error": None,
           "evaluations": estimate.evaluations, "setup_seconds": estimate.setup_seconds,
           "seconds": estimate.seconds, "error": estimate.error, "warnings": list(warnings) + estimate.warnings,
           **estimate.details}
    if estimate.error is None and ref is not None:
        m = ref.context
        absolute, relative = {}, {}
        for name, g in estimate.gradient.items():
            truth = ref.gradient[name]
            difference = abs(m.mpf(g) - truth)
            absolute[name] = float(difference)
            relative[name] = float(difference / abs(truth)) if truth else float(difference)
        row["abs_error"], row["rel_error"] = absolute, relative
        row["max_rel_error"] = max(relative.values(), default=0.0)
    return row


def tolerance_failures(record: dict, tolerance: float) -> list[str]:
    """The methods of a ``compare`` record that fail a gradient check at ``tolerance``, one message each.

    A method fails when its ``max_rel_error`` exceeds ``tolerance`` or when it has none (the method could
    not run, or there is no reference to check it against): a check that could not be made is not passed.

    >>> record = compare("sin(x)", {"x": 1.0}, methods=["reverse", "fd-central"], timing=False)
    >>> [message.split(":")[0] for message in tolerance_failures(record, 1e-12)]
    ['fd-central']
    >>> tolerance_failures(record, 1.0)
    []
    """
    failures = []
    no_reference = record["reference"].get("error")
    for row in record["methods"]:
        error = row["max_rel_error"]
        if row["error"]:
            failures.append(f"{row['method']}: no estimate ({row['error']})")
        elif error is None:
            failures.append(f"{row['method']}: nothing to check against ({no_reference or 'no reference'})")
        elif not error <= tolerance:  # a NaN error fails too
            failures.append(f"{row['method']}: max_rel_error {error:.2g} > tolerance {tolerance:g}")
    return failures


def gradient(expression, point: dict, method: str = "reverse") -> dict:
    """The gradient of ``expression`` at ``point`` by one method, as ``{variable: value}``.

    >>> gradient("x*z", {"x": 2, "z": 3})
    {'x': 3.0, 'z': 2.0}
    """
    graph = as_graph(expression)
    select_methods([method])
    values = bind(graph, point)
    point = dict(zip(graph.variable_names, (float(v) for v in values)))
    evaluate(graph, point)
    estimate = run_method(method, graph, point, timing=False)
    if estimate.error:
        raise DiffcliError(f"{method}: {estimate.error}")
    return estimate.gradient


MAX_ORDER = 20
"""Highest derivative order ``diff --order`` builds (each order differentiates the previous graph)."""


def derivative(expression, wrt, order: int = 1, steps: bool = False) -> dict:
    """The simplified symbolic derivative of ``expression`` in ``wrt``, as text diffcli parses back.

    ``wrt`` is a variable, or several separated by commas (or a list) for a mixed derivative taken in
    that order; ``order`` repeats a single variable (``order=3``: the third derivative).  ``steps`` adds
    the chain-rule derivation (:mod:`diffcli.steps`; first derivatives only).

    >>> derivative("x*sin(x)", "x")["derivative"]
    'sin(x) + x * cos(x)'
    >>> derivative("sin(x)", "x", order=3)["derivative"]
    '-cos(x)'
    >>> derivative("x**2 * z**3", "x,z")["derivative"]
    '6 * (x * z**2)'
    """
    from .chain import symbolic_gradient
    from .printing import to_latex, to_program, to_python

    graph = as_graph(expression).copy()
    variables = [w.strip() for w in wrt.split(",")] if isinstance(wrt, str) else [str(w).strip() for w in wrt]
    if not variables or not all(variables):
        raise UsageError(f"--wrt needs a variable name or a comma-separated list of them, not {wrt!r}")
    if not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order must be between 1 and {MAX_ORDER} (MAX_ORDER), not {order}")
    if len(variables) > 1 and order != 1:
        raise UsageError("--order repeats one variable; for a mixed derivative list each variable in turn, "
                         "e.g. --wrt x,x,z")
    for name in variables:
        if name not in graph.variable_names:
            known = ", ".join(graph.variable_names) or "none"
            raise UsageError(f"'{name}' is not a variable of the expression (its variables: {known})")
    if steps and (order != 1 or len(variables) != 1):
        raise UsageError("--steps writes out first derivatives only (one --wrt variable, no --order)")
    sequence = variables * order
    node = graph.output
    for name in sequence:
        node = symbolic_gradient(graph, node)[graph.variable_names.index(name)]
    function = "d" + (str(len(sequence)) if len(sequence) > 1 else "") + "f_d" + "_d".join(sequence)
    record = {"expression": graph.source, "wrt": ",".join(variables), "order": len(sequence),
              "variables": sequence, "derivative": to_program(graph, node), "latex": to_latex(graph, node),
              "python": to_python(graph, node, function)}
    if steps:
        from .steps import derivation

        record["steps"] = derivation(as_graph(expression), variables[0])
    return record


def hessian(expression, point: dict, **options) -> dict:
    """The ``hessian`` record (see :func:`diffcli.hessian.hessian`)."""
    from .hessian import hessian as run

    return run(expression, point, **options)


def trace(expression, point: dict, **options) -> dict:
    """The ``trace`` record (see :func:`diffcli.trace.trace`)."""
    from .trace import trace as run

    return run(expression, point, **options)


def verify(expression, wrt: str, claim, point: dict | None = None, **options) -> dict:
    """The ``verify`` record (see :func:`diffcli.verify.verify`)."""
    from .verify import verify as run

    return run(expression, wrt, claim, point, **options)
