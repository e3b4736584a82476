"""``verify``: is a hand-derived derivative right?

The claim is compared with the mpmath reference derivative (:func:`diffcli.reference.reference`, which never
uses the rule table) at the given point, or — without one — at several random points inside the domain
of both expressions (reproducible: ``seed``).  The claim is evaluated in the reference's mpmath context at
the exact binary value of the point, so rounding in the claim's own evaluation cannot fail it.  It holds
where ``|claim − derivative| <= tolerance·|derivative|`` (absolute where the derivative is 0).

When it fails, a cheap diagnosis looks for a flipped sign, the term the claim dropped, got the sign of wrong
or counted twice, a chain-rule factor missing or wrong (:mod:`diffcli.tasks.mistakes`), or a constant
factor.  The true derivative is split into chain-rule terms: one per path from the output to the variable
in the graph (the product of the partial derivatives along it — the lecture's five terms of dy/dx are
the five paths), and coarser groups, one per edge (everything the derivative gets through that edge).
A candidate ``t`` explains the claim if ``claim − derivative`` is ``−t`` (dropped), ``−2t`` (wrong sign)
or ``+t`` (counted twice) at every point checked; the most specific candidate wins.  Paths are only
enumerated while there are at most :data:`MAX_PATHS` of them.
"""

from __future__ import annotations

import random
import time

from diffcli.core import bounds
from diffcli.core.algebra import GraphAlgebra, Ref
from diffcli.core.bounds import LARGEST, SEED, Bound
from diffcli.core.errors import DiffcliError, DomainError, PrecisionError, UsageError
from diffcli.core.evaluate import evaluate, evaluate_mp, kinks
from diffcli.core.parse import as_graph
from diffcli.core.printing import fits_inline, to_program, to_text
from diffcli.harness import errors, reference_within_limit, run_timed
from diffcli.harness import point as harness_point
from diffcli.methods.forward import forward_pass
from diffcli.methods.reverse import tape
from diffcli.reference import DIGITS, reference
from diffcli.tasks import mistakes
from diffcli.tasks.trace import node_names

DEFAULT_SAMPLES = 5
SAMPLES = Bound(1, 1000, "each random point costs a reference of f and of the claim")
"""Random points of ``--samples``."""
TOLERANCE = Bound(1e-300, LARGEST, "a relative error: positive (0 would fail on rounding alone), finite",
                  whole=False)
"""``--tolerance`` of ``verify``."""
"""Random points checked when no point is given."""

MAX_TRIES = 400
"""Random draws before giving up on finding points inside both domains."""

MAX_PATHS = 256
"""Above this many output-to-variable paths, only edge groups are tried as candidate terms."""

MISTAKES = (("dropped", -1.0), ("sign", -2.0), ("twice", 1.0))
"""How ``claim − derivative`` relates to a candidate term ``t`` for each kind of mistake."""

_WORDS = {"dropped": "dropped the term", "sign": "got the sign wrong of the term",
          "twice": "counted twice the term"}


def verify(expression, wrt: str, claim, point: dict | None = None, tolerance: float = 1e-10, seed: int = 0,
           samples: int = DEFAULT_SAMPLES, digits: int = 50) -> dict:
    """Check ``claim`` as ∂expression/∂wrt, as a plain record (``holds`` is the verdict).

    >>> verify("x*sin(x)", "x", "sin(x) + x*cos(x)")["holds"]
    True
    >>> verify("x*sin(x)", "x", "x*cos(x)", {"x": 1.0})["diagnosis"]["mistake"]
    'dropped'
    """
    graph, claimed = as_graph(bounds.expression(expression)), as_graph(bounds.expression(claim, "claim"))
    wrt, point = bounds.text(wrt, "wrt"), None if point is None else bounds.point(point)
    tolerance, seed = TOLERANCE.check(tolerance, "tolerance"), SEED.check(seed, "seed")
    samples, digits = SAMPLES.check(samples, "samples"), DIGITS.check(digits, "digits")
    if wrt not in graph.variable_names:
        known = ", ".join(graph.variable_names) or "none"
        raise UsageError(f"'{wrt}' is not a variable of the expression (its variables: {known})")
    strangers = [n for n in claimed.variable_names if n not in graph.variable_names]
    if strangers:
        raise UsageError(f"the claim uses '{strangers[0]}', which is not a variable of the expression")

    checks, until = [], time.monotonic() + harness_point.REFERENCE_TIME_LIMIT  # one limit for all points
    warnings: list = []
    if point:
        # f must be defined at a given point (exit 2 otherwise); at a kink the reference takes the right
        # derivative, as compare's does, and the record says so.
        prepared = harness_point.prepare(graph, point)
        warnings = prepared.warnings
        checks.append(_check(graph, claimed, wrt, prepared.point, tolerance, digits, until=until,
                             one_sided=bool(warnings)))
    else:
        rng = random.Random(seed)
        tries = 0
        while len(checks) < samples:
            tries += 1
            if tries > MAX_TRIES:
                if checks:
                    break
                raise UsageError(f"found no point inside the domain of both expressions in {MAX_TRIES} "
                                 "random tries; give one as NAME=VALUE")
            at = {name: _draw(rng) for name in graph.variable_names}
            try:
                check = _check(graph, claimed, wrt, at, tolerance, digits, strict=True, until=until)
            except DiffcliError:
                if time.monotonic() >= until:
                    raise _late() from None
                continue  # outside a domain, at a kink, or no reference there: draw again
            checks.append(check)

    holds = all(c["holds"] for c in checks)
    record = {"expression": graph.source, "wrt": wrt, "claim": claimed.source, "tolerance": tolerance,
              "seed": None if point else seed, "holds": holds, "points": [_public(c) for c in checks],
              "diagnosis": None, **({"warnings": warnings} if warnings else {})}
    if not holds:
        record["diagnosis"] = diagnose(graph, wrt, checks, claimed)
    return record


def _draw(rng: random.Random) -> float:
    """A value of either sign between 0.1 and 3 with three decimals: readable, rarely at a kink."""
    return round(rng.uniform(0.1, 3.0), 3) * rng.choice((1.0, -1.0))


def _late() -> PrecisionError:
    return PrecisionError(f"no reference: the points' references took more than the time limit, "
                          f"{harness_point.REFERENCE_TIME_LIMIT:g} s in all")


def _check(graph, claimed, wrt: str, at: dict, tolerance: float, digits: int, strict: bool = False,
           until: float = float("inf"), one_sided: bool = False) -> dict:
    if strict:
        evaluate(claimed, at)
        if kinks(graph, evaluate(graph, at)) or kinks(claimed, evaluate(claimed, at)):
            raise DomainError("at a kink")
    left = until - time.monotonic()
    if left <= 0:
        raise _late()
    ref = reference_within_limit(lambda: reference(graph, at, digits, one_sided=one_sided), min(left, 1e9),
                                 wrt=wrt)
    m = ref.context
    truth = ref.gradient[wrt]
    check = {"point": at, "derivative": ref.text(truth), "claim": None, "abs_error": None, "rel_error": None,
             "holds": False, "error": None, "_truth": truth, "_claim": None}
    # The claim is the method under test here: its failure (a bug included) is this point's error.
    mp_point = {name: m.mpf(at[name]) for name in claimed.variable_names}
    try:
        outcome = run_timed(lambda: (lambda p: (evaluate_mp(claimed, p, m), 1)), mp_point, timing=False,
                            reraise=(DomainError,))
    except DomainError as error:
        if strict:
            raise
        check["error"] = f"the claim is undefined here: {error.message}"
        return check
    if outcome.error:
        check["error"] = outcome.error
        return check
    value = outcome.result
    check["claim"], check["_claim"] = float(value), value
    check["abs_error"], check["rel_error"] = errors(m, value, truth)
    check["holds"] = check["rel_error"] <= tolerance
    return check


def _public(check: dict) -> dict:
    return {k: v for k, v in check.items() if not k.startswith("_")}


# ---------------------------------------------------------------- diagnosis

def _edges_to(graph, variable: int) -> tuple[list, list[bool]]:
    """Argument slots ``(node, k, argument)`` on some path from the output to ``variable``."""
    needed = graph.reachable([graph.output])
    leads = [False] * (graph.output + 1)
    if variable <= graph.output:
        leads[variable] = True
    for node in range(graph.output + 1):
        if graph.ops[node] not in ("const", "var"):
            leads[node] = any(leads[a] for a in graph.args(node))
    edges = [(n, k, a) for n in range(graph.output + 1) if needed[n] and leads[n] and graph.ops[n] != "var"
             for k, a in enumerate(graph.args(n)) if leads[a]]
    return edges, leads


def _paths(graph, variable: int, edges: list) -> list[tuple] | None:
    """Every path from the output to ``variable`` as a tuple of slots, or None when there are too many."""
    down: dict[int, list] = {}
    for edge in edges:
        down.setdefault(edge[0], []).append(edge)
    count = {variable: 1}
    for node in range(graph.output + 1):
        if node in down:
            count[node] = sum(count.get(a, 0) for _, _, a in down[node])
    if count.get(graph.output, 0) > MAX_PATHS or graph.output not in count:
        return None if count.get(graph.output, 0) > MAX_PATHS else []
    paths, stack = [], [(graph.output, ())]
    while stack:
        node, path = stack.pop()
        if node == variable:
            paths.append(path)
            continue
        for edge in reversed(down.get(node, [])):
            stack.append((edge[2], path + (edge,)))
    return paths


def _float_partials(graph, values: list, edges: list) -> dict:
    from diffcli.core.algebra import FloatAlgebra
    from diffcli.core.primitives import PRIMITIVES

    functions = FloatAlgebra().functions
    partials = {}
    for node, k, _ in edges:
        args = [values[a] for a in graph.args(node)]
        partials[(node, k)] = PRIMITIVES[graph.ops[node]].partials[k](functions, values[node], *args)
    return partials


def diagnose(graph, wrt: str, checks: list, claimed=None) -> dict | None:
    """The mistake that best explains the claim's error at every checked point, or None: a flipped sign,
    a single chain-rule term dropped, of the wrong sign or counted twice, a chain-rule factor missing or
    wrong (:mod:`diffcli.tasks.mistakes`), a constant factor — tried in that order.

    >>> from diffcli.core.parse import parse
    >>> g = parse("x*z + sin(x)")
    >>> c = verify(g, "x", "z", {"x": 0.5, "z": 2.0})
    >>> c["diagnosis"]["mistake"], c["diagnosis"]["term"]
    ('dropped', 'cos(x)')
    >>> verify("sin(x**2)", "x", "cos(x**2)")["diagnosis"]["message"]
    'the chain-rule factor d/dx[x**2] = 2 * x is missing (the chain-rule path y → a → x)'
    """
    usable = [c for c in checks if c["_claim"] is not None]
    if not usable:
        return None
    variable = graph.variables[graph.variable_names.index(wrt)]
    edges, _ = _edges_to(graph, variable)
    paths = _paths(graph, variable, edges)
    # Candidates: single paths (most specific) first, then the group of all paths through each edge.
    candidates = [("path", p) for p in (paths or [])] + [("edge", e) for e in edges]
    evidence = _evidence(graph, wrt, usable, edges, candidates)
    if evidence is None:
        return None
    flipped = mistakes.whole(evidence["truth"], evidence["claim"])
    if flipped and flipped["mistake"] == "flipped":
        return _plain(flipped)
    values_at = evidence["terms"]
    differences = [c - t for c, t in zip(evidence["claim"], evidence["truth"])]
    best = _fitting(candidates, usable, values_at, differences)
    if best is None:
        nodes = _claim_nodes(claimed, usable)
        found = mistakes.factor(graph, claimed, candidates, evidence, nodes) if nodes else None
        if found:
            text, where = _explanation(graph, found["kind"], found.pop("item"))
            return {**found, "term": text, "where": where, "values": None,
                    "message": found["message"] + f" ({where})"}
        return _plain(flipped) if flipped else None
    kind, item, mistake, index = best
    text, where = _explanation(graph, kind, item)
    shown = (text + " = " + format(values_at[0][index], ".6g") + " at " + _point_text(usable[0])
             if text else "")
    return {"mistake": mistake, "term": text, "kind": kind, "where": where,
            "values": [values_at[p][index] for p in range(len(usable))],
            "message": f"the claim most likely {_WORDS[mistake]} {shown}"
                       f"{' (' + where + ')' if text else where}"}


def _claim_nodes(claimed, usable: list) -> list | None:
    """The value of every node of the claim at each point, in floats (None where a float overflows or
    leaves a domain that mpmath's evaluation did not)."""
    if claimed is None:
        return None
    try:
        return [evaluate(claimed, c["point"]) for c in usable]
    except DiffcliError:
        return None


def _plain(found: dict) -> dict:
    """A mistake of the whole derivative: no term, no place in the graph."""
    return {"mistake": found["mistake"], "term": None, "kind": "whole", "where": "the whole derivative",
            "values": None, "factor": found["factor"], "message": found["message"]}


def _evidence(graph, wrt: str, usable: list, edges: list, candidates: list) -> dict | None:
    """Per checked point: the derivative, the claim, each candidate's term and every edge's partial."""
    evidence = {"truth": [], "claim": [], "terms": [], "partials": []}
    for check in usable:
        values = evaluate(graph, check["point"])
        try:
            partials = _float_partials(graph, values, edges)
            _, adjoint, _ = tape(graph, check["point"])
            tangent = forward_pass(graph, check["point"], {wrt: 1.0})
        except DiffcliError:
            return None
        row = []
        for kind, item in candidates:
            if kind == "path":
                value = 1.0
                for node, k, _ in item:
                    value *= partials[(node, k)]
            else:
                node, k, a = item
                value = float(adjoint[node]) * partials[(node, k)] * tangent[a].tangent  # a depends on wrt
            row.append(value)
        evidence["terms"].append(row)
        evidence["partials"].append(partials)
        evidence["truth"].append(float(check["_truth"]))
        evidence["claim"].append(float(check["_claim"]))
    return evidence


def _fitting(candidates: list, usable: list, values_at: list, differences: list):
    """The first candidate term ``t`` (most specific first) and mistake whose ``claim − derivative`` equals
    ``factor·t`` at every point: ``(kind, item, mistake, index)``, or None."""
    for index, (kind, item) in enumerate(candidates):
        for mistake, factor in MISTAKES:
            if all(_fits(values_at[p][index], differences[p], factor, abs(float(check["_truth"])))
                   for p, check in enumerate(usable)):
                return kind, item, mistake, index
    return None


def _fits(term: float, difference: float, factor: float, truth: float) -> bool:
    return term != 0.0 and abs(difference - factor * term) <= 1e-8 * (truth + abs(factor * term))


def _explanation(graph, kind: str, item) -> tuple[str | None, str]:
    """The candidate as a printed term (a path's product of partials) and where it sits in the graph."""
    names = node_names(graph)
    if kind == "edge":
        node, k, a = item
        # a long expression's other nodes by their names, so the message stays linear in the graph
        text = to_text(graph, node) if fits_inline(graph, node) else \
            to_text(graph, node, {n: name for n, name in names.items() if n != node})
        return None, (f"everything the derivative gets through {names.get(node)} = {text} from its argument "
                      f"{names.get(a)}")
    work = graph.copy()
    algebra = GraphAlgebra(work)
    refs = [Ref(work, n) for n in range(len(work))]
    term = algebra.one
    for node, k, _ in item:
        args = [refs[a] for a in work.args(node)]
        partial = work.primitive(node).partials[k](algebra.functions, refs[node], *args)
        term = term * (partial if isinstance(partial, Ref) else Ref(work, work.const(partial)))
    route = [names.get(item[0][0], "y")] + [names.get(a, "?") for _, _, a in item]
    return to_program(work, term.node), "the chain-rule path " + " → ".join(route)


def _point_text(check: dict) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in check["point"].items())
