"""``compare``: every method against the reference, as one plain record (the JSON of DESIGN §4).

>>> record = compare("x**2", {"x": 3.0}, methods=["reverse"], timing=False)
>>> record["methods"][0]["gradient"]
{'x': 6.0}
"""

from __future__ import annotations

from .chain import bind, evaluate
from .codegen import compile_function
from .errors import DiffcliError, UsageError
from .graph import CONST, VAR, Graph
from .methods import METHODS, check_step, median_seconds, run_method
from .parse import parse
from .primitives import PRIMITIVES
from .reference import reference


def as_graph(expression) -> Graph:
    return expression if isinstance(expression, Graph) else parse(expression)


def select_methods(methods) -> list[str]:
    """Method ids from a list or a comma-separated string; None means all of them."""
    if methods is None:
        return list(METHODS)
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        problem = f"unknown method {unknown[0]!r}" if unknown else "no method given"
        raise UsageError(f"{problem}; choose from {', '.join(METHODS)}")
    return list(dict.fromkeys(methods))


def kinks(graph: Graph, values: list) -> list[str]:
    """Warnings for every non-differentiable primitive sitting exactly at its kink."""
    found = []
    for node, op in enumerate(graph.ops):
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

    f = compile_function(graph)
    f_seconds = median_seconds(lambda: f(*point.values())) if timing else None

    record = {"expression": graph.source, "point": point, "value": value, "f_seconds": f_seconds}
    ref = None
    try:
        ref = reference(graph, point, digits, one_sided=bool(warnings))
        record["reference"] = ref.as_json()
    except DiffcliError as error:
        record["reference"] = {"digits": digits, "value": None, "gradient": None, "error": error.message}

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


def derivative(expression, wrt: str) -> dict:
    """The simplified symbolic derivative of ``expression`` in ``wrt``, as text diffcli parses back.

    >>> derivative("x*sin(x)", "x")["derivative"]
    'sin(x) + x * cos(x)'
    """
    from .chain import symbolic_gradient
    from .printing import to_latex, to_program

    graph = as_graph(expression).copy()
    if wrt not in graph.variable_names:
        known = ", ".join(graph.variable_names) or "none"
        raise UsageError(f"'{wrt}' is not a variable of the expression (its variables: {known})")
    node = symbolic_gradient(graph)[graph.variable_names.index(wrt)]
    return {"expression": graph.source, "wrt": wrt, "derivative": to_program(graph, node),
            "latex": to_latex(graph, node)}
