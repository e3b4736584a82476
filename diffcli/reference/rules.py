"""The lower of the complex-step reference's two runs, first tried by reverse mode on the table's rules.

The complex-step reference (:func:`diffcli.reference.reference`) computes the gradient twice, at two working
precisions, and shows the higher run's digits where the two agree.  Each complex-step run costs one walk in
complex arithmetic per variable, the most expensive part of a reference.  So the lower run is first tried by
the one backward loop of :mod:`diffcli.core.chain` on the run's own mpmath values (one pass for every
variable, in real arithmetic), and kept only where every partial agrees with the higher complex-step run
by the reference's own test (the digits asked for, or both within ``10^-digits`` of the partial's largest
term); otherwise the lower run is the complex step, as before.

Why the digits shown are still right: they are always the higher complex-step run's, which never reads the
rules.  The lower run only vouches for them, and two different ways of computing a partial (the table's
rules, and Im f(x + ih)/h on the table's evaluators) that agree to ``digits`` digits at two precisions
vouch for them at least as well as two complex steps do.  A wrong rule cannot change a digit: it disagrees,
and the complex step is run instead (``tests/test_reference.py`` plants one).
"""

from __future__ import annotations

from diffcli.core.graph import Graph
from diffcli.reference.runs import agreeing_digits


def rule_gradient(m, graph: Graph, names: list, adjoint: dict | None, higher, digits: int) -> dict | None:
    """``{name: ∂f/∂name}`` for ``names`` from the run's ``adjoint`` (every node's, by the table's rules;
    None where a rule could not be evaluated), or None unless each agrees with the ``higher`` complex-step
    run as :func:`diffcli.reference.reference` asks two runs to agree.  A partial the higher run could not
    compute (its ``errors``) is not compared: the reference gives that partial its error either way."""
    if adjoint is None:
        return None
    compared = higher.context  # as the reference compares two runs: in the higher run's context
    gradient = {}
    for name, node in zip(graph.variable_names, graph.variables):
        if name not in names:
            continue
        partial = gradient[name] = adjoint.get(node, m.zero)
        if name in higher.errors:
            continue
        if not isinstance(partial, m.mpf) or not m.isfinite(partial):  # a rule left the real line (log of a
            return None                                                  # negative number) or has a pole
        other = higher.gradient[name]
        if agreeing_digits(compared, partial, other, digits) >= digits:
            continue
        scale = higher.scales.get(name)  # 10^-digits of it, made only here: most partials agree above
        bound = compared.mpf(10) ** (-digits) * (scale if scale is not None else compared.one)
        if not (abs(partial) <= bound and abs(other) <= bound):
            return None
    return gradient
