"""The scalar path of the one-point stencils (:mod:`diffcli.methods.finite`): f compiled for floats, evaluated
at one stencil point after another, for few variables, where numpy's cost per call outweighs its speed per
element (below :data:`diffcli.methods.finite.SCALAR_POINTS` stencil points).  Its arithmetic is the
vectorized path's: the stencil's step rule, the same points and the same sum."""

from __future__ import annotations

import functools
import math
from typing import Callable

from diffcli.core.codegen import compile_function
from diffcli.core.graph import Graph

FAILURES = (ValueError, ZeroDivisionError, OverflowError, FloatingPointError, TypeError)
"""What evaluating f on numbers raises where f has no value (numpy's warnings raised as errors included)."""


class FloatStencil:
    """A fixed stencil at one point with f evaluated on floats, one stencil point after another: the
    scalar path, for few variables, where numpy's cost per call outweighs its speed per element.

    ``float_stencil.at(values, rows, steps)`` returns what :func:`stencil_derivatives` returns (as lists): the
    same steps taken, the same stencil points and the same sum (Σ w·f left to right, then the center, then the
    division). The values of f are Python's ``math`` functions' (``kind="real"``), not numpy's, which round
    some functions differently in the last bit (``exp``, ``log``, ``tanh`` …); so the two paths, and ``compare
    --points`` (numpy, one call per stencil point), agree bit for bit where f's evaluations do (``+ − × /``
    and ``sqrt``, correctly rounded by both; ``sin`` and ``cos`` with some numpy builds), and otherwise differ
    by what the two evaluations of f differ by, times Σ|w|/h: about the round-off every stencil already
    carries (``eps·|f|/h``; on 900 random expressions, 305 of 3,108 rows differed, by at most 6% of the row's
    own est. error, and no warning or error differed). That is the honest price of the speed: numpy on a few
    points is what cost the lecture's fd-central 99 × f (15 × f here, ``benchmarks/stencil_crossover.py``),
    and numpy's ufuncs called on single floats cost more still. Where f has no finite value on floats (a
    domain error, an overflow, a nan), the point is evaluated again on arrays (finite's Evaluator), so that
    both paths fail at the same stencil points and a finite value the array evaluators find there (``x**y`` at
    0**0, ``1/exp(1000*x)``) is kept as the vectorized path keeps it.
    """

    def __init__(self, graph: Graph, stencil, arrays: Callable):
        self.graph = graph
        self.f = compile_function(graph)  # shared with every method that runs f on floats
        pairs = [(float(o), w) for o, w in zip(stencil.offsets, stencil.weights) if o]
        self.offsets = tuple(o for o, _ in pairs)  # the moved points; the weights of their sum:
        self.first, self.rest = pairs[0][1], tuple((k, w) for k, (_, w) in enumerate(pairs) if k)  # w0; k, wk
        center = [w for o, w in zip(stencil.offsets, stencil.weights) if not o]
        self.center = center[0] if center else None
        self.factor = stencil.factor  # of the step rule
        self.constants = self.f, self.offsets, self.first, self.rest, self.center, self.factor  # for at
        self.arrays, self.on_arrays = arrays, None  # arrays(graph): an Evaluator, made at the first failure
        self.everyone = list(range(len(graph.variable_names)))
        self.weights = [w for _, w in pairs]
        self.straight, self.answered = None, False

    def every(self, values, step=None):
        """:meth:`at` for every variable: from the second call on, the stencil written out as straight-line
        code (:func:`_straight`) where the step is the rule's and every value of f is finite, else
        :meth:`at` itself.  An answer wanted once (``--no-timing``) never pays for compiling that code (a
        few tenths of a millisecond, a hundred answers at a few variables); with timing, it is compiled
        once per stencil and number of variables and bound to each line's f."""
        if step is None:
            straight = self.straight
            if straight is None and self.answered:
                straight = self.straight = _straight(self.f, len(self.everyone), self.offsets, self.weights,
                                                     self.center, self.factor)
            self.answered = True
            if straight is not None:
                found = straight(*values)
                if found is not None:
                    return found
        return self.at(values, self.everyone, step)

    def value(self, args: list) -> float:
        """f at ``args``: on floats, or on arrays where that gives no finite value (nan if neither does)."""
        try:
            (value,) = self.f(*args)
        except FAILURES:
            value = math.nan
        return value if value - value == 0.0 else self.again(args)

    def again(self, args: list) -> float:
        """f at ``args`` (never empty: a stencil point moves some variable, and f(x) is asked for only with
        one) on arrays, as :class:`Evaluator` gives it (nan where undefined or not finite)."""
        if self.on_arrays is None:
            self.on_arrays = self.arrays(self.graph)
        return float(self.on_arrays(args, [0], [[args[0]]])[0, 0])

    def at(self, values, rows, steps=None):
        """``(estimates, taken, F, f0)`` as :func:`stencil_derivatives` returns them, as lists; ``steps`` one
        per row, one float for all, or None for the stencil's rule."""
        f, offsets, first, rest, center, factor = self.constants
        again, nan = self.again, math.nan
        args = list(map(float, values))
        each = steps is not None and hasattr(steps, "__len__")
        f0 = self.value(args) if center is not None and rows else None
        estimates, taken, F = [], [], []
        for q, i in enumerate(rows):  # self.value written out: this loop is the whole cost at a few variables
            x = args[i]
            if steps is None:  # the stencil's rule factor·max(1, |x|) (Stencil.step), without its two calls
                h = abs(x)
                h = factor * (h if h > 1.0 else 1.0)
            else:
                h = float(steps[q]) if each else steps
            t = (x + h) - x
            row = []
            for o in offsets:
                args[i] = x + t * o
                try:
                    (value,) = f(*args)
                except FAILURES:
                    value = nan
                if value - value != 0.0:  # not finite
                    value = again(args)
                row.append(value)
            args[i] = x
            total = row[0] * first  # Σ w·f left to right, then the center
            for k, w in rest:
                total += row[k] * w
            if f0 is not None:
                total += center * f0
            estimates.append(total / t if t > 0 else nan)
            taken.append(t)
            F.append(row)
        return estimates, taken, F, f0


def _straight(f: Callable, variables: int, offsets: tuple, weights: list, center, factor: float) -> Callable:
    """:meth:`FloatStencil.at` for every variable at the rule's steps, written out for ``variables``
    variables: one assignment per step, per call of f and per sum, in :meth:`~FloatStencil.at`'s order
    (Σ w·f left to right, then the center, then the division), without its loops, lists and per-call
    checks.  It returns None where f raises or a value is not finite (:meth:`~FloatStencil.at` then says
    how); a sum of finite values that overflows returns None as well, which only costs the slower path.
    The code holds names, indices and the stencil's numbers (``repr`` of a double reads back as the same
    double), nothing else; it does not depend on f, so it is compiled once per stencil and number of
    variables (:func:`_straight_code`) and each line's f is bound to it."""
    if not variables:
        return lambda: None
    namespace = {"f": f, "FAILURES": FAILURES, "nan": math.nan}
    code = _straight_code(variables, offsets, tuple(weights), center, factor)
    exec(code, namespace)  # generated-code: names, indices and the stencil's numbers only
    return namespace["straight"]


@functools.lru_cache(maxsize=64)  # a few stencils × the numbers of variables met; a code object each
def _straight_code(variables: int, offsets: tuple, weights: tuple, center, factor: float):
    """The compiled source of :func:`_straight` (numbers only)."""
    names = [f"x{i}" for i in range(variables)]
    lines = [f"def straight({', '.join(names)}):"] + [f"    {n} = float({n})" for n in names] + ["    try:"]
    if center is not None:
        lines.append(f"        (c,) = f({', '.join(names)})")
    values, estimates, steps, rows = [], [], [], []
    for i, x in enumerate(names):
        lines += [f"        h = abs({x})", f"        h = {factor!r} * (h if h > 1.0 else 1.0)",
                  f"        t{i} = ({x} + h) - {x}"]
        row = []
        for k, o in enumerate(offsets):
            moved = ", ".join(f"{x} + t{i} * {o!r}" if j == i else n for j, n in enumerate(names))
            lines.append(f"        (v{i}_{k},) = f({moved})")
            row.append(f"v{i}_{k}")
        total = " + ".join(f"{v} * {w!r}" for v, w in zip(row, weights))
        if center is not None:
            total += f" + {center!r} * c"
        estimates.append(f"({total}) / t{i} if t{i} > 0 else nan")
        values += row
        steps.append(f"t{i}")
        rows.append(f"[{', '.join(row)}]")
    every = values + (["c"] if center is not None else [])
    lines += ["    except FAILURES:", "        return None",
              f"    s = {' + '.join(every)}",
              "    if s - s != 0.0:  # some value is not finite (or their sum overflows)",
              "        return None",
              f"    return [{', '.join(estimates)}], [{', '.join(steps)}], [{', '.join(rows)}], "
              f"{'c' if center is not None else 'None'}"]
    return compile("\n".join(lines), "<diffcli stencil>", "exec")


__all__ = ["FAILURES", "FloatStencil"]
