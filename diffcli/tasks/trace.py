"""``trace``: the reverse-mode tape made visible, node by node, as in the lecture.

One row per node in topological order: its name, what it computes, its forward value, its adjoint
``g_·`` and the chain-rule terms summed into that adjoint, e.g. ``g_b = g_g·(-(a / b / b)) + g_c·cos(b)``
with the numbers.  The values are those of :func:`diffcli.methods.registry.tape` — the one backward loop of
:mod:`diffcli.core.chain` run on floats with every term recorded — so the trace is exactly what the
``reverse`` method computes, not a re-derivation.

Names follow the lecture: inputs keep their names, names assigned in a program (``a = x*z; …``) are
used, the output is ``y`` (when that name is free) and the other intermediates get ``a, b, c, …`` in
topological order, skipping names already taken and names of the language (``e``, ``pi``, functions) or
of the expression itself (``f``).  Constants are shown inline as numbers.

The partial derivatives are printed by running the same table rule on symbols: the rule's ``y`` (the
node's own value, which the tape reuses) is printed as the expression it stands for, so the partial of
``exp(a)`` reads ``exp(a)`` rather than the node's name.
"""

from __future__ import annotations

from diffcli.core import bounds
from diffcli.core.algebra import GraphAlgebra, Ref
from diffcli.core.chain import adjoints
from diffcli.core.errors import DiffcliError, RuleError
from diffcli.core.evaluate import evaluate
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.core.primitives import CONSTANTS, FUNCTIONS, PRIMITIVES
from diffcli.core.printing import letters, to_latex, to_text
from diffcli.harness import prepare, reference_or_error, relative_error, run_timed
from diffcli.methods.partials import Undefined
from diffcli.methods.poison import Guarded, Poison, PoisonAlgebra, gradient_of
from diffcli.methods.reverse import tape
from diffcli.reference import DIGITS, reference

OUTPUT_NAME = "y"
FUNCTION_NAME = "f"  # the expression itself, as in ∂f/∂x: no intermediate is called f


def node_names(graph: Graph) -> dict[int, str]:
    """A name for every non-constant node the output needs, and for every variable.

    >>> from diffcli.core.parse import parse
    >>> g = parse("exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)")
    >>> sorted(node_names(g).values())
    ['a', 'b', 'c', 'd', 'g', 'h', 'i', 'x', 'y', 'z']

    Intermediates never take a name that already means something: ``e``, ``pi``, ``tau`` and the
    functions (the language's names), nor ``f`` (the expression itself, as in ∂f/∂x).
    """
    needed = graph.reachable([graph.output])
    names = {v: graph.data[v] for v in graph.variables}
    for node, label in graph.labels.items():
        names.setdefault(node, label)
    taken = set(names.values()) | set(CONSTANTS) | set(FUNCTIONS) | set(PRIMITIVES) | {FUNCTION_NAME, "log"}
    if graph.output not in names:
        names[graph.output] = OUTPUT_NAME if OUTPUT_NAME not in taken else None
    taken.add(OUTPUT_NAME)  # never an intermediate's name: the lecture's y is the output
    fresh = (name for name in letters() if name not in taken)
    for node in range(graph.output + 1):
        if needed[node] and graph.ops[node] != CONST and names.get(node) is None:
            names[node] = next(fresh)
    return names


class NodeSymbols:
    """A scratch graph in which a node's arguments are plain names, for printing one node's formula and
    the partial derivatives its rule gives."""

    def __init__(self, graph: Graph, node: int, names: dict):
        self.scratch = Graph()
        self.args = []
        for a in graph.arguments[node]:
            if graph.ops[a] == CONST:
                self.args.append(self.scratch.const(graph.data[a]))
            else:
                self.args.append(self.scratch.var(names[a]))
        self.node = self.scratch.apply(graph.ops[node], tuple(self.args))
        self.primitive = PRIMITIVES[graph.ops[node]]

    def computes(self) -> tuple[str, str]:
        return to_text(self.scratch, self.node), to_latex(self.scratch, self.node)

    def partial(self, k: int) -> tuple[str, str, bool]:
        """The k-th partial as (text, LaTeX, whether it needs parentheses after a product sign)."""
        algebra = GraphAlgebra(self.scratch)
        rule = self.primitive.partials[k]
        value = rule(algebra.functions, Ref(self.scratch, self.node),
                     *[Ref(self.scratch, a) for a in self.args])
        node = value.node if isinstance(value, Ref) else self.scratch.const(value)
        op = self.scratch.ops[node]
        atomic = op == VAR or (op == CONST and self.scratch.data[node] >= 0) or \
            (op != CONST and PRIMITIVES[op].symbol is None)
        return to_text(self.scratch, node), to_latex(self.scratch, node), not atomic


def trace(expression, point: dict, digits: int = 50) -> dict:
    """The reverse-mode tape of ``expression`` at ``point`` as a plain record (the JSON of ``trace``).

    >>> record = trace("a = x*z; sin(a)", {"x": 2.0, "z": 0.5})
    >>> [(n["name"], n["computes"]) for n in record["nodes"]]
    [('x', None), ('z', None), ('a', 'x * z'), ('y', 'sin(a)')]
    >>> [n["equation"] for n in record["nodes"]]
    ['g_x = g_a·z', 'g_z = g_a·x', 'g_a = g_y·cos(a)', 'g_y = 1']
    """
    at = prepare(bounds.expression(expression), bounds.point(point))
    digits = DIGITS.check(digits, "digits")
    graph, point, warnings = at.graph, at.point, at.warnings
    # The tape is the reverse method interpreted: a domain problem in a rule is the user's (exit 2), any other
    # failure (a bug) becomes the record's error, as a method's failure becomes its row's error elsewhere.
    outcome = run_timed(lambda: (lambda p: (_tape(graph, p), 1)), point, timing=False,
                        reraise=(DiffcliError,))
    if outcome.error:
        return {"expression": graph.source, "point": point, "value": at.value, "nodes": [], "gradient": None,
                "reference": {"digits": digits, "value": None, "gradient": None, "error": None},
                "rel_error": None, "error": outcome.error, **({"warnings": warnings} if warnings else {})}
    forward, adjoint, algebra = outcome.result
    rows = _rows(graph, point, forward, adjoint, algebra.terms)
    values = [point[n] for n in graph.variable_names]
    partials = dict(zip(graph.variable_names, gradient_of(graph, values, adjoint)))
    gradient = {n: g if isinstance(g, float) else None for n, g in partials.items()}
    undefined = {n: g.message for n, g in partials.items() if isinstance(g, Undefined)}
    record = {"expression": graph.source, "point": point, "value": forward[graph.output], "nodes": rows,
              "gradient": gradient, "error": None, **({"errors": undefined} if undefined else {})}
    ref, problem = reference_or_error(lambda: reference(graph, point, digits, one_sided=bool(warnings)))
    if ref is not None:
        record["reference"] = ref.as_json()
        record["rel_error"] = {n: None if g is None or ref.gradient[n] is None else
                               relative_error(ref.context, g, ref.gradient[n]) for n, g in gradient.items()}
    else:
        record["reference"] = {"digits": digits, "value": None, "gradient": None, "error": problem}
        record["rel_error"] = None
    if warnings:
        record["warnings"] = warnings
    return record


def _tape(graph: Graph, point: dict):
    """The tape on floats, as the reverse method computes it; where a partial derivative cannot be evaluated
    (``(-x)**z`` at x = 2: the rule of z is log(-2)·f), the same loop again on guarded floats, so the tape is
    shown whole and only the adjoints that need that rule are undefined (as the reverse method answers the
    other partials)."""
    try:
        return tape(graph, point)
    except RuleError:
        values = evaluate(graph, point)
        algebra = PoisonAlgebra(graph, values, record=True)
        guarded = [None if v is None else Guarded(v) for v in values]
        return values, adjoints(graph, guarded, algebra), algebra


def _number(value):
    """A float, or None for a poison (its message is the term's ``error``)."""
    return None if isinstance(value, Poison) else float(value)


def _rows(graph: Graph, point: dict, forward: list, adjoint: dict, recorded: list) -> list[dict]:
    """One row per named node in topological order: what it computes, its value, its adjoint and the
    chain-rule terms summed into it (``recorded``: the tape's ``(node, argument, partial, term)``)."""
    names = node_names(graph)
    needed = graph.reachable([graph.output])
    terms_of: dict[int, list] = {}
    for node, argument, partial, term in recorded:
        terms_of.setdefault(argument, []).append((node, partial, term))
    symbols: dict[int, NodeSymbols] = {}

    def symbols_of(node):
        if node not in symbols:
            symbols[node] = NodeSymbols(graph, node, names)
        return symbols[node]

    rows = []
    for node in range(graph.output + 1):
        op = graph.ops[node]
        if op == CONST or not (needed[node] or op == VAR):
            continue
        name = names[node]
        row = {"name": name, "kind": "input" if op == VAR else ("output" if node == graph.output else
                                                                  "intermediate"),
               "computes": None, "computes_latex": None, "value": forward[node] if forward[node] is not None
               else point[graph.data[node]], "adjoint": _number(adjoint.get(node, 0.0)), "terms": []}
        if op != VAR:
            row["computes"], row["computes_latex"] = symbols_of(node).computes()
        pieces, latex_pieces = [], []
        for parent, partial, term in terms_of.get(node, []):
            text, latex, wrap = symbols_of(parent).partial(graph.arguments[parent].index(node))
            row["terms"].append({"from": names[parent], "partial": text, "partial_latex": latex,
                                 "partial_value": _number(partial), "from_adjoint": _number(adjoint[parent]),
                                 "value": _number(term),
                                 **({"error": term.message} if isinstance(term, Poison) else {})})
            pieces.append(_product(f"g_{names[parent]}", text, wrap))
            latex_pieces.append(_latex_product(names[parent], latex, wrap))
        output = node == graph.output
        equation = "1" if output else (" + ".join(pieces).replace("+ -", "- ") if pieces else "0")
        latex_equation = "1" if output else (" + ".join(latex_pieces) if latex_pieces else "0")
        row["equation"] = f"g_{name} = {equation}"
        row["equation_latex"] = f"g_{{{name}}} = {latex_equation}"
        rows.append(row)
    return rows


def _product(adjoint: str, partial: str, wrap: bool) -> str:
    if partial == "1":
        return adjoint
    if partial == "-1":
        return f"-{adjoint}"
    return f"{adjoint}·({partial})" if wrap else f"{adjoint}·{partial}"


def _latex_product(name: str, partial: str, wrap: bool) -> str:
    adjoint = f"g_{{{name}}}"
    if partial == "1":
        return adjoint
    if partial == "-1":
        return f"-{adjoint}"
    return rf"{adjoint} \cdot \left({partial}\right)" if wrap else rf"{adjoint} \cdot {partial}"


__all__ = ["trace", "node_names"]
