"""The mistakes ``verify`` names beyond one wrong additive term: a flipped sign, a constant factor, and a
chain-rule factor missing or wrong along one path of the derivative graph.

The derivative is a sum over paths of products of partials (see :mod:`diffcli.tasks.verify`); a path's
term ``t`` is ``p_1·p_2·…`` with ``p_e`` the partial on edge ``e`` (``∂node/∂argument``).  Given, at every
checked point, the derivative ``d``, the claim ``c``, each candidate term ``t`` and its partials:

* ``c = −d`` — the sign of the whole derivative is flipped;
* ``c = d − t + t/p_e`` — the factor ``p_e`` is missing from the term (``sin(x**2)`` claimed to have the
  derivative ``cos(x**2)``: ``d/dx[x**2] = 2*x is missing``);
* ``c = d − t + (t/p_e)·w`` with ``w`` the value of some sub-expression of the claim at every point — the
  factor ``p_e`` became that sub-expression (``cos(x**2)*x``: ``2*x`` written as ``x``);
* ``c = r·d`` for one constant ``r`` at every point — the derivative is scaled by ``r`` (with one point
  only when ``r`` is a small ratio like 2, 1/2, 3: any two numbers have some ratio).

These are the words ``gradcheck`` uses for gradient code: sign flipped, scaled by r, a missing factor.
"""

from __future__ import annotations

from fractions import Fraction

from diffcli.core.algebra import GraphAlgebra, Ref
from diffcli.core.printing import fits_inline, format_number, to_program, to_text

MATCH = 1e-8
"""Relative agreement at which a predicted claim matches the claim (the claim itself is evaluated to the
reference's precision; the terms in floats)."""

SIMPLE_DENOMINATOR = 6
"""A ratio claim/derivative seen at one point only is named when it is p/q with q at most this (and
|p| at most this too)."""


def close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= MATCH * scale


def short_fraction(r: float, largest: int, within: float) -> Fraction | None:
    """The fraction p/q with q and |p| at most ``largest`` that is within ``within`` of ``r``, or None: the
    factor a mistake is named by (``scaled by 2/3``), in verify's diagnosis and gradcheck's patterns alike.

    >>> short_fraction(0.6666666667, 6, 1e-8), short_fraction(0.7071, 6, 1e-8), short_fraction(9.0, 6, 1e-8)
    (Fraction(2, 3), None, None)
    """
    simple = Fraction(r).limit_denominator(largest)
    return simple if abs(float(simple) - r) <= within and abs(simple.numerator) <= largest else None


def whole(truth: list, claim: list) -> dict | None:
    """A sign flip or constant factor of the whole derivative: ``{"mistake", "factor", "message"}``."""
    if any(t == 0.0 for t in truth):
        return None
    ratios = [c / t for c, t in zip(claim, truth)]
    r = ratios[0]
    if not all(close(q, r, abs(r)) for q in ratios):
        return None
    if close(r, -1.0, 1.0):
        return {"mistake": "flipped", "factor": -1.0,
                "message": "the claim is the derivative with its sign flipped"}
    simple = short_fraction(r, SIMPLE_DENOMINATOR, MATCH * abs(r))
    if len(ratios) < 2 and simple is None:
        return None
    shown = str(simple) if simple is not None else format(r, ".6g")
    return {"mistake": "scaled", "factor": r,
            "message": f"the claim is the derivative scaled by {shown} (a constant factor)"}


def factor(graph, claimed, candidates: list, evidence: dict, claim_nodes: list) -> dict | None:
    """A chain-rule factor missing, or wrong, in one candidate term (paths first, then edge groups).

    ``evidence`` holds per point ``truth``, ``claim``, ``terms`` (one value per candidate) and ``partials``
    (by edge ``(node, k)``); ``claim_nodes`` per point the value of every node of the claim.
    """
    truth, claim, terms, partials = (evidence[k] for k in ("truth", "claim", "terms", "partials"))
    points = range(len(truth))
    found = None
    for index, (kind, item) in enumerate(candidates):
        # the innermost factor first: the one most often forgotten
        for node, k, a in reversed(item if kind == "path" else [item]):
            p = [partials[i][(node, k)] for i in points]
            t = [terms[i][index] for i in points]
            if any(v == 0.0 for v in p + t):
                continue
            scale = [abs(truth[i]) + abs(t[i] / p[i]) + abs(t[i]) for i in points]
            if all(close(claim[i], truth[i] - t[i] + t[i] / p[i], scale[i]) for i in points):
                return _named(graph, kind, item, (node, k, a), "missing", None)
            wanted = [(claim[i] - truth[i] + t[i]) * p[i] / t[i] for i in points]
            if found is None:
                node_match = _node_matching(claim_nodes, wanted, p)
                if node_match is not None:
                    found = (kind, item, (node, k, a), _short(claimed, node_match))
    if found:
        return _named(graph, *found[:3], "wrong", found[3])
    return None


def _node_matching(claim_nodes: list, wanted: list, partial: list):
    """The first node of the claim whose value is ``wanted`` at every point (and is not the right factor)."""
    points = range(len(wanted))
    if all(close(wanted[i], partial[i], abs(partial[i])) for i in points):
        return None
    for n in range(len(claim_nodes[0])):
        if all(close(float(claim_nodes[i][n]), wanted[i], abs(wanted[i]) + 1e-300) for i in points):
            return n
    return None


def _named(graph, kind: str, item, edge: tuple, mistake: str, replaced) -> dict:
    node, k, a = edge
    partial = partial_text(graph, node, k)
    inner = f"d/d{_short(graph, a)}[{_short(graph, node)}] = {partial}"
    if mistake == "missing":
        message = f"the chain-rule factor {inner} is missing"
    else:
        message = f"the chain-rule factor {inner} is wrong: the claim has {replaced} instead"
    return {"mistake": f"{mistake}-factor", "factor": inner, "edge": [node, k, a], "kind": kind,
            "message": message, "item": item}


def _short(graph, node: int) -> str:
    return to_text(graph, node) if fits_inline(graph, node) else f"node {node}"


def partial_text(graph, node: int, k: int) -> str:
    """The rule's partial ``∂node/∂(argument k)`` printed in the graph's terms (``2*x`` for ``x**2``)."""
    work = graph.copy()
    algebra = GraphAlgebra(work)
    refs = [Ref(work, n) for n in range(len(work))]
    args = [refs[a] for a in work.args(node)]
    partial = work.primitive(node).partials[k](algebra.functions, refs[node], *args)
    if not isinstance(partial, Ref):
        return format_number(float(partial))
    return to_program(work, partial.node)
