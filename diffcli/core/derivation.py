"""``diff --steps``: the chain-rule derivation written out, one step per node, from the output down.

Each step takes one node on a path from the output to the variable and applies its primitive's rule:
``d/dx[u + v] = d/dx[u] + d/dx[v]`` (sum rule), ``d/dx[sin(u)] = cos(u) · d/dx[u]`` (chain rule)… The
factors are the primitive table's partials (the same rules every method uses), printed in the
expression's own terms — so the quotient rule reads ``1 / v · d/dx[u] + (-(u / v / v)) · d/dx[v]``, the
form the table writes it in.  A shared sub-expression is derived once.  The derivative of the variable
itself is 1 and is not written; other variables are constants here and drop out.  The last line is the
simplified derivative ``diff`` prints.

When the expression written inline would pass :data:`~diffcli.core.printing.INLINE_LIMIT` characters,
the steps name sub-expressions instead of writing them out again and again (so the derivation stays
linear in the size of the graph): the program's own names, and ``t1, t2, …`` for the others
:func:`~diffcli.core.printing.plan` names.  A step of a named node carries its ``name``; the named nodes
that are not steps are defined in :func:`definitions`.
"""

from __future__ import annotations

from itertools import count

from diffcli.core.algebra import GraphAlgebra, Ref
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.core.primitives import PRIMITIVES
from diffcli.core.printing import plan, to_text


def _atomic(graph: Graph, node: int) -> bool:
    op = graph.ops[node]
    return op == VAR or (op == CONST and graph.data[node] >= 0) or \
        (op != CONST and PRIMITIVES[op].symbol is None)


def naming(graph: Graph) -> dict[int, str]:
    """Names the steps use for sub-expressions: none while the expression is short inline; else the
    program's names and those :func:`~diffcli.core.printing.plan` gives shared or long parts."""
    names = plan(graph, graph.output, (f"t{k}" for k in count(1)),
                 set(graph.variable_names) | set(graph.labels.values()))
    if not names:
        return {}
    needed = graph.reachable([graph.output])
    names.update((n, label) for n, label in graph.labels.items()
                 if needed[n] and graph.ops[n] not in (CONST, VAR) and n != graph.output)
    return {n: graph.labels.get(n, name) for n, name in names.items()}


def definitions(graph: Graph, names: dict, steps: list) -> list[str]:
    """``name = text`` for each named node no step defines (one the variable does not reach)."""
    defined = {step["name"] for step in steps if "name" in step}
    return [f"{name} = {to_text(graph, n, names)}" for n, name in sorted(names.items())
            if name not in defined]


def _printed(graph: Graph, node: int, names: dict) -> str:
    return names[node] if node in names else to_text(graph, node, names)


def derivation(graph: Graph, wrt: str) -> list[dict]:
    """The steps of d/d``wrt`` of the graph's output: ``{"rule", "of", "result"}`` each, output first.

    >>> from diffcli.core.parse import parse
    >>> for step in derivation(parse("sin(x*x) + x"), "x"):
    ...     print(step["rule"], "|", step["of"], "|", step["result"])
    sum rule | sin(x * x) + x | d/dx[sin(x * x)] + 1
    chain rule (sin) | sin(x * x) | cos(x * x) · d/dx[x * x]
    product rule | x * x | x + x
    """
    variable = graph.variables[graph.variable_names.index(wrt)]
    names = naming(graph)
    work = graph.copy()
    algebra = GraphAlgebra(work)
    needed = graph.reachable([graph.output])
    leads = [False] * (graph.output + 1)
    for node in range(graph.output + 1):
        leads[node] = node == variable or (graph.ops[node] not in (CONST, VAR)
                                           and any(leads[a] for a in graph.arguments[node]))
    steps = []
    for node in range(graph.output, -1, -1):
        if not (needed[node] and leads[node]) or graph.ops[node] == VAR:
            continue
        primitive = PRIMITIVES[graph.ops[node]]
        refs = [Ref(work, a) for a in graph.arguments[node]]
        pieces = []
        for k, a in enumerate(graph.arguments[node]):
            if not leads[a]:
                continue
            partial = primitive.partials[k](algebra.functions, Ref(work, node), *refs)
            partial = partial.node if isinstance(partial, Ref) else work.const(partial)
            factor = _printed(work, partial, names)
            if a == variable:
                pieces.append(factor)
                continue
            inner = f"d/d{wrt}[{_printed(graph, a, names)}]"
            if factor == "1":
                pieces.append(inner)
            elif factor == "-1":
                pieces.append(f"-{inner}")
            else:
                bare = partial in names or _atomic(work, partial)
                pieces.append(f"{factor if bare else '(' + factor + ')'} · {inner}")
        steps.append({"rule": primitive.rule or f"chain rule ({primitive.name})",
                      "of": to_text(graph, node, names), "result": " + ".join(pieces).replace("+ -", "- ")})
        if node in names:
            steps[-1]["name"] = names[node]
    return steps
