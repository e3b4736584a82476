"""``diff``: the symbolic derivative of an expression, as text diffcli parses back, LaTeX and Python.

>>> derivative("x*sin(x)", "x")["derivative"]
'sin(x) + x * cos(x)'
"""

from __future__ import annotations

from diffcli.core.chain import symbolic_gradient
from diffcli.core.derivation import derivation
from diffcli.core.errors import UsageError
from diffcli.core.parse import as_graph
from diffcli.core.printing import to_latex, to_program, to_python

MAX_ORDER = 20
"""Highest derivative order ``diff --order`` builds (each order differentiates the previous graph)."""


def derivative(expression, wrt, order: int = 1, steps: bool = False) -> dict:
    """The simplified symbolic derivative of ``expression`` in ``wrt``, as text diffcli parses back.

    ``wrt`` is a variable, or several separated by commas (or a list) for a mixed derivative taken in
    that order; ``order`` repeats a single variable (``order=3``: the third derivative).  ``steps`` adds
    the chain-rule derivation (:mod:`diffcli.core.derivation`; first derivatives only).

    >>> derivative("x*sin(x)", "x")["derivative"]
    'sin(x) + x * cos(x)'
    >>> derivative("sin(x)", "x", order=3)["derivative"]
    '-cos(x)'
    >>> derivative("x**2 * z**3", "x,z")["derivative"]
    '6 * (x * z**2)'
    """
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
        record["steps"] = derivation(as_graph(expression), variables[0])
    return record
