"""``diff``: the symbolic derivative of an expression, as text diffcli parses back, LaTeX and Python.

>>> derivative("x*sin(x)", "x")["derivative"]
'sin(x) + x * cos(x)'
"""

from __future__ import annotations

from diffcli.core import bounds
from diffcli.core.bounds import Bound
from diffcli.core.chain import symbolic_gradient
from diffcli.core.derivation import definitions, derivation, naming
from diffcli.core.errors import UsageError
from diffcli.core.parse import as_graph
from diffcli.core.printing import to_latex, to_program, to_python

MAX_ORDER = 20
"""Highest derivative order ``diff --order`` builds (each order differentiates the previous graph)."""
ORDER = Bound(1, MAX_ORDER, "each order differentiates the previous derivative's graph, which can double")
"""``--order``, ``order=``."""


FORMS = ("latex", "python")
"""The forms a ``diff`` record can carry besides its text; :func:`derivative` builds only those asked for."""


def derivative(expression, wrt, order: int = 1, steps: bool = False, forms=FORMS) -> dict:
    """The simplified symbolic derivative of ``expression`` in ``wrt``, as text diffcli parses back.

    ``wrt`` is a variable, or several separated by commas (or a list) for a mixed derivative taken in
    that order; ``order`` repeats a single variable (``order=3``: the third derivative).  ``steps`` adds
    the chain-rule derivation (:mod:`diffcli.core.derivation`; first derivatives only).  ``forms``
    names the other forms to build (``"latex"``, ``"python"``; all by default): ``diff -f text`` builds
    neither.  Every form is linear in the size of the derivative's graph (shared sub-expressions are named).

    >>> derivative("x*sin(x)", "x")["derivative"]
    'sin(x) + x * cos(x)'
    >>> derivative("sin(x)", "x", order=3)["derivative"]
    '-cos(x)'
    >>> derivative("x**2 * z**3", "x,z")["derivative"]
    '6 * (x * z**2)'
    """
    graph = as_graph(bounds.expression(expression)).copy()
    variables = bounds.names(wrt, "wrt")
    order, steps = ORDER.check(order, "order"), bounds.flag(steps, "steps")
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
    if isinstance(forms, str) or not set(forms) <= set(FORMS):
        raise UsageError(f"forms must be a collection of {', '.join(FORMS)}, not {forms!r}")
    function = "d" + (str(len(sequence)) if len(sequence) > 1 else "") + "f_d" + "_d".join(sequence)
    record = {"expression": graph.source, "wrt": ",".join(variables), "order": len(sequence),
              "variables": sequence, "derivative": to_program(graph, node)}
    if "latex" in forms:
        record["latex"] = to_latex(graph, node)
    if "python" in forms:
        record["python"] = to_python(graph, node, function)
    if steps:
        original = as_graph(expression)
        record["steps"] = derivation(original, variables[0])
        where = definitions(original, naming(original), record["steps"])
        if where:
            record["where"] = where  # the named sub-expressions no step defines
    return record
