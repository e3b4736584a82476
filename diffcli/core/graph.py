"""The computation graph: a hash-consed DAG of nodes stored in topological order (a tape).

A node is a constant, a variable, or a primitive (see :mod:`diffcli.core.primitives`) applied to earlier
nodes.  Nodes are integers; the graph keeps parallel lists, so a 100,000-node expression costs a few
lists, not 100,000 objects.  Building the same application twice returns the same node (hash-consing), so
``x*z`` used three times is computed once and differentiated once.  Constants fold in float64 as they are
built.

Walks are loops over ``range(len(graph))``: nodes are created after their arguments, so index order is a
topological order and nothing needs recursion.

>>> g = Graph()
>>> x = g.var("x")
>>> g.apply("mul", (x, x)) == g.apply("mul", (x, x))
True
"""

from __future__ import annotations

import contextlib
import gc
import math
from typing import Iterable

from diffcli.core.domains import OUTSIDE, OVERFLOW, failure
from diffcli.core.errors import DomainError, LimitError
from diffcli.core.primitives import PRIMITIVES

MAX_NODES = 200_000
"""Largest graph diffcli builds (parsed expression and derivatives together): ``compare`` of a 100,000-node
expression takes about 20 s of CPU (all nine methods and the reference), twice that at this limit;
``benchmarks/limits.py`` measures it."""

CONST, VAR = "const", "var"



@contextlib.contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector while a graph or its code is built (a decorator or a ``with``).

    Building a graph of 100,000 nodes, or the straight-line code of its gradient, allocates millions of
    objects, and every 700 allocations start a collection that, now and then, walks every live object: the
    setup time of ``benchmarks/gradient_cost.py`` grew 12.7× for 10× the variables with it, 9× without.
    What is built here holds no reference cycles for the collector to find, so pausing it loses nothing;
    it is restored afterwards (a nested pause leaves it to the outer one).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

class Graph:
    """A hash-consed expression DAG.  ``output`` is the node the expression computes."""

    def __init__(self):
        self.ops: list[str] = []          # CONST, VAR or a primitive name
        self.arguments: list[tuple] = []  # argument nodes of each node
        self.data: list = []              # the float of a constant, the name of a variable
        self.labels: dict[int, str] = {}  # user names from programs (`a = x*z`) and variable names
        self.positions: dict[int, tuple[int, int]] = {}  # (line, column) where a node first appears
        self.ends: dict[int, tuple[int, int]] = {}       # (line, column) just after that first appearance
        self.variables: list[int] = []    # variable nodes in order of first appearance
        self.output: int | None = None
        self.source: str | None = None    # the text the graph was parsed from, for error carets
        self._index: dict = {}
        self.compiled: dict = {}          # code generated from this graph (codegen.compiled), not copied
        self._walks: dict = {}            # depends_on_variables and reachable, by graph size

    def __getstate__(self) -> dict:
        # Compiled functions do not pickle; they are rebuilt, as the walks are.
        return {**self.__dict__, "compiled": {}, "_walks": {}}

    # ---------------------------------------------------------------- inspection
    def __len__(self) -> int:
        return len(self.ops)

    def op(self, node: int) -> str:
        return self.ops[node]

    def args(self, node: int) -> tuple:
        return self.arguments[node]

    def value(self, node: int) -> float:
        """The value of a constant node."""
        return self.data[node]

    def is_const(self, node: int, value: float | None = None) -> bool:
        return self.ops[node] == CONST and (value is None or self.data[node] == value)

    @property
    def variable_names(self) -> list[str]:
        return [self.data[v] for v in self.variables]

    def primitive(self, node: int):
        return PRIMITIVES[self.ops[node]]

    def copy(self) -> "Graph":
        """An independent graph with the same nodes (derivatives are then built into the copy)."""
        other = Graph()
        other.ops, other.arguments, other.data = list(self.ops), list(self.arguments), list(self.data)
        other.labels, other.positions, other.ends = dict(self.labels), dict(self.positions), dict(self.ends)
        other.variables, other.output, other.source = list(self.variables), self.output, self.source
        other._index = dict(self._index)
        return other

    # ---------------------------------------------------------------- building
    def _add(self, key, op: str, arguments: tuple, data) -> int:
        node = self._index.get(key)
        if node is not None:
            return node
        if len(self.ops) >= MAX_NODES:
            raise LimitError(f"the expression needs more than {MAX_NODES:,} graph nodes (MAX_NODES)")
        node = len(self.ops)
        self.ops.append(op)
        self.arguments.append(arguments)
        self.data.append(data)
        self._index[key] = node
        return node

    def const(self, value: float) -> int:
        value = float(value)
        if not math.isfinite(value):
            raise DomainError(f"the constant {value} is not a finite double")
        return self._add((CONST, value.hex()), CONST, (), value)

    def var(self, name: str) -> int:
        before = len(self.ops)
        node = self._add((VAR, name), VAR, (), name)
        if len(self.ops) > before:
            self.variables.append(node)
            self.labels[node] = name
        return node

    def apply(self, name: str, arguments: tuple, simplify: bool = False) -> int:
        """The node ``name(*arguments)``; folds constants in float64 and, with ``simplify``, applies the
        primitive's algebraic identities (used when building derivatives, not when parsing)."""
        primitive = PRIMITIVES[name]
        arguments = tuple(arguments)
        ops = self.ops
        for a in arguments:  # a loop, not all(): no generator for each node built
            if ops[a] != CONST:
                break
        else:
            return self.const(fold(primitive, [self.data[a] for a in arguments]))
        if simplify and primitive.identities is not None:
            simpler = primitive.identities(self, *arguments)
            if simpler is not None:
                return simpler
        return self._add((name, arguments), name, arguments, None)

    # ---------------------------------------------------------------- analysis
    def depends_on_variables(self) -> list[bool]:
        """For every node, whether its value depends on some variable (constants' derivatives are 0)."""
        return self.depending(self.variables)

    def depending(self, sources: Iterable[int]) -> list[bool]:
        """For every node, whether its value depends on one of the nodes ``sources`` (each on itself): the
        one walk of dependence, for the variables (:meth:`depends_on_variables`), one variable (the nodes a
        perturbed variable moves) or any nodes."""
        sources = tuple(sources)
        key = ("depends", sources, len(self.ops))
        reached = self._walks.get(key)
        if reached is None:
            reached = [False] * len(self.ops)
            for node in sources:
                reached[node] = True
            arguments = self.arguments
            for node in range(min(sources, default=len(self.ops)) + 1, len(self.ops)):
                for a in arguments[node]:  # a loop, not any(): no generator per node of a 100,000-node graph
                    if reached[a]:
                        reached[node] = True
                        break
            self._remember(key, reached)
        return list(reached)

    def reachable(self, outputs: Iterable[int]) -> list[bool]:
        """Which nodes the given outputs need (walking arguments backwards in index order)."""
        outputs = tuple(outputs)
        key = ("reachable", outputs, len(self.ops)) if len(outputs) == 1 else None
        needed = self._walks.get(key)
        if needed is None:
            needed = [False] * len(self.ops)
            for node in outputs:
                needed[node] = True
            for node in range(len(self.ops) - 1, -1, -1):
                if needed[node]:
                    for a in self.arguments[node]:
                        needed[a] = True
            if key is not None:
                self._remember(key, needed)
        return list(needed)

    def _remember(self, key, walk: list) -> None:
        """Keep a walk's result for this size of the graph (a graph only grows, so it stays right); a
        100,000-node reference asks for the same ones a dozen times.  Callers get copies."""
        if len(self._walks) >= 8:
            self._walks.clear()
        self._walks[key] = walk


def fold(primitive, values: list[float], words=None) -> float:
    """Evaluate ``primitive`` on floats, turning every failure into a clear DomainError.

    ``words`` (called only on failure) gives the :class:`~diffcli.core.domains.Words` the message uses;
    without it the values are the text (a constant folded while parsing).
    """
    reason = None
    if not primitive.inside(*values):
        reason = OUTSIDE
    else:
        try:
            result = primitive.real(*values)
        except (ValueError, ZeroDivisionError) as error:
            reason = str(error)
        except OverflowError:
            reason = OVERFLOW
        else:
            if math.isfinite(result):
                return result
            reason = OVERFLOW
    raise DomainError(failure(primitive, values, reason, words() if words else None))
