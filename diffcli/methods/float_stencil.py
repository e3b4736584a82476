"""The scalar path of the one-point stencils (:mod:`diffcli.methods.finite`): f compiled for floats, evaluated
at one stencil point after another, for few variables, where numpy's cost per call outweighs its speed per
element (below :data:`diffcli.methods.finite.SCALAR_POINTS` stencil points).  Its arithmetic is the
vectorized path's: the stencil's step rule, the same points and the same sum."""

from __future__ import annotations

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

    def value(self, args: list) -> float:
        """f at ``args``: on floats, or on arrays where that gives no finite value (nan if neither does)."""
        try:
            (value,) = self.f(*args)
        except FAILURES:
            value = math.nan
        return value if value - value == 0.0 else self.again(args)

    def again(self, args: list) -> float:
        """f at ``args`` on arrays, as :class:`Evaluator` gives it (nan where undefined or not finite)."""
        if not args:
            return math.nan  # as Evaluator: f(x) rides along with the stencil points of some variable
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


__all__ = ["FAILURES", "FloatStencil"]
