"""Finite differences: derivatives from values of f alone, never from its derivative rules.

Fixed stencils, each with its step rule (``--eps H`` replaces the rule by the step H for every variable):

============  ============================================================  =======================  =====
id            estimate of ∂f/∂x                                             step h                   error
============  ============================================================  =======================  =====
fd-forward    (f(x+h) − f(x)) / h                                           sqrt(eps)·max(1, |x|)    O(h)
fd-backward   (f(x) − f(x−h)) / h                                           sqrt(eps)·max(1, |x|)    O(h)
fd-central    (f(x+h) − f(x−h)) / 2h                                        cbrt(eps)·max(1, |x|)    O(h²)
fd-5point     (f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h)) / 12h                 eps^(1/5)·max(1, |x|)    O(h⁴)
complex-step  Im f(x + ih) / h                                              1e-20·max(1, |x|)        O(h²)
============  ============================================================  =======================  =====

``eps`` is the machine epsilon 2.2e-16.  Each rule balances the stencil's truncation error C·h^p against
the round-off in f, about eps·|f|/h, which is what makes the error of a finite difference against h a V
(``diffcli eps-sweep`` draws it).  The step actually taken is ``h = (x + h) − x``, so that ``x + h`` is
exactly representable and the division uses the distance between the points really evaluated.

``richardson`` runs central and one-sided differences over a geometric sequence of steps, extrapolates
each to h → 0 (Neville's algorithm), and returns the extrapolation with the smallest error estimate; the
estimate (``error_estimate`` in JSON) is built to be an upper bound, and the row says so when it cannot
vouch for the digits (:mod:`diffcli.methods.richardson`).

For few variables (below :data:`SCALAR_POINTS` stencil points) the stencil evaluates f compiled for floats
at one stencil point after another (:class:`FloatStencil`; from its second answer on as straight-line code,
one line per step, call of f and sum): numpy's cost per call would be most of the time.  For more, the
stencil points of all variables go through f compiled for numpy arrays in one call
(chunked so that memory stays bounded).  Both give the same steps, points and sums; f's values may differ
in the last bit where numpy and Python's ``math`` round a function differently (:class:`FloatStencil`
says by how much).  A point outside f's domain gives nan there, and that partial alone then reports which
stencil point stepped out of the domain (or that f is undefined on both sides of the point,
:mod:`diffcli.methods.partials`).  Each stencil also offers ``eps-sweep`` its form (:class:`StencilSweep`:
many steps in one call, and its error model); the complex step lives in :mod:`diffcli.methods.complex_step`.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from functools import cached_property

from diffcli.core.codegen import compile_function
from diffcli.core.graph import Graph
from diffcli.core.lazy import LazyNumpy
from diffcli.methods.fd_error import stencil_estimates, too_large
from diffcli.methods.float_stencil import FAILURES, FloatStencil
from diffcli.methods.partials import explained
from diffcli.methods.registry import method

np = LazyNumpy(globals())

EPS = sys.float_info.epsilon

SCALAR_POINTS = 32
"""A one-point stencil with fewer stencil points than this (variables × points per variable: fd-central
up to 15 variables, fd-forward up to 31, fd-5point up to 7) evaluates f on floats, one point after another
(:class:`FloatStencil`); from it on, all points in one numpy call (:class:`Evaluator`).  Measured by
``benchmarks/stencil_crossover.py`` (f a sum of D copies of the lecture's terms; vectorized time / scalar
time for fd-forward, fd-central, fd-5point; four runs on the shared, loaded 2-core machine): 4.6–16 at 1
to 4 points, where numpy's cost per call dominates; 2.5–6.3 at 8 points; 1.3–2.5 at 16; 0.50–1.13 at 32 (the
crossover); 0.25–0.51 at 64."""

MAX_ARRAY_ELEMENTS = 1 << 22
"""Bound on (graph nodes × stencil points) evaluated in one vectorized call; more points are chunked."""


# ---------------------------------------------------------------- the stencils

@dataclass(frozen=True)
class Stencil:
    """f'(x) ≈ Σ weights[k]·f(x + offsets[k]·h) / h, error O(h^order), step h = factor·max(1, |x|)."""

    id: str
    offsets: tuple
    weights: tuple
    order: int
    factor: float
    rule: str
    formula: str
    rank: int = 1000  # the method's place in tables
    marker: str | None = None  # its character in eps-sweep's terminal plot
    draw_rank: int = 0  # eps-sweep draws lines in increasing draw_rank
    sweep_default: bool = False  # run by eps-sweep when no --methods are given
    arrays: bool = False  # offered for ``compare --points`` (arrays of points)

    def step(self, x: float) -> float:
        """The step the rule gives at x."""
        return self.factor * max(1.0, abs(x))

    @cached_property
    def moved(self):
        """``(offsets, weights)`` of the points other than x as arrays, and the weight of f(x) (None if 0)."""
        pairs = [(o, w) for o, w in zip(self.offsets, self.weights) if o]
        center = [w for o, w in zip(self.offsets, self.weights) if not o]
        return (np.array([o for o, _ in pairs], dtype=float), np.array([w for _, w in pairs]),
                center[0] if center else None)

    @property
    def truncation(self) -> float:
        """c in the truncation error c·|f^(p+1)|·h^p (the first Taylor term the stencil does not cancel)."""
        p = self.order
        return abs(sum(w * o ** (p + 1) for o, w in zip(self.offsets, self.weights))) / math.factorial(p + 1)

    @property
    def roundoff(self) -> float:
        """r in the round-off error r·eps·|f|/h: Σ|w|/2, each value of f being off by about eps·|f|/2."""
        return sum(abs(w) for w in self.weights) / 2

    @property
    def summary(self) -> str:
        points = sum(1 for o in self.offsets if o)
        per = f"{points} evaluation{'s' if points > 1 else ''} per variable"
        if 0 in self.offsets:
            per += " plus f(x) once"
        return f"{self.formula}, h = {self.rule}·max(1, |x|), {per}, error O(h{_power(self.order)})"


def _power(p: int) -> str:
    return "" if p == 1 else "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(d)] for d in str(p))


STENCILS = {s.id: s for s in (
    Stencil("fd-forward", (0, 1), (-1.0, 1.0), 1, EPS ** 0.5, "sqrt(eps)",
            "forward difference (f(x+h) - f(x)) / h", rank=10, marker="f", draw_rank=3, sweep_default=True),
    Stencil("fd-backward", (-1, 0), (-1.0, 1.0), 1, EPS ** 0.5, "sqrt(eps)",
            "backward difference (f(x) - f(x-h)) / h", rank=20, marker="b", draw_rank=2),
    Stencil("fd-central", (-1, 1), (-0.5, 0.5), 2, EPS ** (1 / 3), "cbrt(eps)",
            "central difference (f(x+h) - f(x-h)) / 2h", rank=30, marker="c", draw_rank=4, sweep_default=True,
            arrays=True),
    Stencil("fd-5point", (-2, 2, -1, 1), (1 / 12, -1 / 12, -8 / 12, 8 / 12), 4, EPS ** 0.2, "eps^(1/5)",
            "five-point stencil (f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / 12h", rank=40, marker="5",
            draw_rank=1, sweep_default=True),  # ±2h, then ±h: a constant f's weights cancel exactly
)}
"""The fixed stencils by method id, in the stable order."""


# ---------------------------------------------------------------- evaluating f on many points at once

def chunk_columns(graph: Graph) -> int:
    """How many stencil points one vectorized call of f takes, so that memory stays bounded."""
    return max(1, MAX_ARRAY_ELEMENTS // max(1, len(graph)))


class Evaluator:
    """f compiled for numpy arrays, evaluated on the stencil points of many variables in one call.

    ``evaluator(values, rows, points)`` is f at the base point ``values`` with variable ``rows[q]`` moved to
    each ``points[q, k]``: an array shaped like ``points``, nan where f is undefined or not finite.  With
    ``center=True`` it also returns f at the base point, which rides along in the same call.  The points
    of as many rows as fit in :func:`chunk_columns` go through f at once; the index bookkeeping for a
    layout of rows is computed once and kept.

    >>> from diffcli.core.parse import parse
    >>> evaluate = Evaluator(parse("x*z"))
    >>> evaluate([2.0, 3.0], [0, 1], [[1.0, 4.0], [5.0, 6.0]], center=True)
    (array([[ 3., 12.],
           [10., 12.]]), 6.0)
    """

    def __init__(self, graph: Graph):
        self.f = compile_function(graph, kind="array")
        self.columns = chunk_columns(graph)
        self._layouts: dict = {}

    def __call__(self, values, rows, points, center: bool = False):
        values = np.asarray(values, dtype=float)
        points = np.asarray(points, dtype=float)
        chunks = self._layout(tuple(rows), points.shape[1], center)
        out = None if len(chunks) == 1 else np.empty(points.shape)  # one chunk: f's values are the answer
        f0 = math.nan
        with np.errstate(all="ignore"):
            for start, stop, moved, source, n, extra in chunks:
                grid = np.concatenate((points[start:stop].reshape(-1), values)).take(source)
                args = values.tolist()
                for r, v in enumerate(moved):
                    args[v] = grid[r]
                result = self._call(args, n)
                if extra:
                    f0 = float(result[-1])
                if out is None:
                    out = result[:n - extra].reshape(points.shape)
                else:
                    out[start:stop] = result[:n - extra].reshape(stop - start, -1)
        return (out, f0) if center else out

    def _layout(self, rows: tuple, width: int, center: bool) -> list:
        """Chunks ``(start, stop, moved variables, source, columns, extra)``: row r of what ``source`` picks
        from the chunk's points then the values is f's argument ``moved[r]`` (the base point in the last
        column of the first chunk when ``extra``)."""
        key = (rows, width, center)
        if key not in self._layouts:
            chunks = []
            per_call = max(1, self.columns // width)  # width >= 1: every stencil moves some point
            for start in range(0, len(rows), per_call):
                stop = min(len(rows), start + per_call)
                extra = 1 if (center and start == 0) else 0  # the base point, last column of the first call
                n = (stop - start) * width + extra
                block = rows[start:stop]
                moved = sorted(set(block))
                row_of = {v: r for r, v in enumerate(moved)}
                cells = np.repeat([row_of[v] * n for v in block], width) + np.arange(n - extra)
                source = np.repeat(np.array(moved) + (stop - start) * width, n)   # the value itself
                source[cells] = np.arange((stop - start) * width)                 # or the point
                chunks.append((start, stop, moved, source.reshape(len(moved), n), n, extra))
            if len(self._layouts) > 64:
                self._layouts.clear()
            self._layouts[key] = chunks
        return self._layouts[key]

    def _call(self, args, n: int) -> np.ndarray:
        try:
            (result,) = self.f(*args)
        except FAILURES:
            return np.full(n, np.nan)
        result = np.asarray(result, dtype=float)
        if result.shape != (n,):  # f does not depend on the moved variables
            result = np.full(n, float(result))
        np.copyto(result, np.nan, where=np.isinf(result))
        return result


def effective_steps(x, h):
    """``(x + h) − x``: the step really taken from x (0 where h is below the spacing of doubles at x)."""
    x = np.asarray(x, dtype=float)
    return (x + h) - x


def stencil_derivatives(evaluate: Evaluator, values, rows, steps, stencil: Stencil):
    """The stencil's estimate of ∂f/∂x_rows[q] with step ``steps[q]``, for every q, in one vectorized pass.

    Returns ``(estimates, taken, F, f0)``: estimates (nan where a stencil point is outside the domain or the
    step is below the spacing of doubles), the steps taken, f at every stencil point, f at the base point
    (None for a stencil without the center).
    """
    values = np.asarray(values, dtype=float)
    rows = np.asarray(rows, dtype=int)
    x = values[rows]
    taken = effective_steps(x, steps)
    offsets, weights, center = stencil.moved
    points = x[:, None] + taken[:, None] * offsets
    if center is None:
        F, f0 = evaluate(values, rows, points), None
    else:
        F, f0 = evaluate(values, rows, points, center=True)
    with np.errstate(all="ignore"):
        total = F[:, 0] * weights[0]  # Σ w·f left to right, then the center: the sum FloatStencil writes
        for k in range(1, len(weights)):
            total += F[:, k] * weights[k]
        if center is not None:
            total += center * f0
        estimates = total / taken
    estimates[~(taken > 0)] = np.nan
    return estimates, taken, F, f0


def _outside(name: str, x: float, step: float, stencil: Stencil, F_row, f0) -> str:
    """Why a stencil failed at x: its leftmost stencil point outside the domain, or a step too small."""
    if step == 0:
        return (f"the step is below the spacing of doubles at {name} = {x!r} ({name} + h == {name}); "
                "use a larger --eps")
    if f0 is not None and math.isnan(f0):
        return f"f is not finite at {name} = {x!r}"
    moved = [o for o in stencil.offsets if o]
    for o, value in sorted(zip(moved, F_row)):  # from the left, whatever the order of the offsets
        if math.isnan(value):
            shift = f"{'+' if o > 0 else '-'} {'' if abs(o) == 1 else f'{abs(o)}·'}h"
            return (f"f is undefined at a stencil point: {name} {shift} = {x + o * step!r} (h = {step:.3g}); "
                    "the step crosses the edge of the domain (try richardson, or a smaller --eps)")
    return f"the stencil gave no finite estimate at {name} = {x!r}"


def _fixed(stencil: Stencil):
    """The method of a fixed stencil: below :data:`SCALAR_POINTS` stencil points f on floats point by
    point (:class:`FloatStencil`), else every variable's stencil points in one vectorized evaluation."""
    moved = sum(1 for o in stencil.offsets if o)

    def prepare(graph: Graph, step: float | None = None):
        names = graph.variable_names
        everyone = list(range(len(names)))
        n = len(names)
        evaluations = moved * n + (1 if 0 in stencil.offsets else 0)
        last = None
        if moved * n < SCALAR_POINTS:
            float_stencil = FloatStencil(graph, stencil, Evaluator)
            derivatives, answer = float_stencil.at, float_stencil.every
        else:
            evaluate = Evaluator(graph)

            def derivatives(values, rows, steps=None):
                x = np.asarray(values, dtype=float)
                if steps is None:
                    steps = stencil.factor * np.maximum(1.0, np.abs(x[rows]))
                estimates, taken, F, f0 = stencil_derivatives(evaluate, x, rows, steps, stencil)
                return estimates.tolist(), taken.tolist(), F.tolist(), f0
            answer = lambda values, step=None: derivatives(values, everyone, step)  # noqa: E731

        def run(values):
            gradient, taken, F, f0 = answer(values, step)
            total = sum(gradient)
            if total - total != 0.0:  # some partial is not finite: say why
                gradient = [g if g - g == 0.0 else
                            explained(graph, values, i, _outside(names[i], float(values[i]), taken[i],
                                                                 stencil, F[i], f0))
                            for i, g in enumerate(gradient)]
            nonlocal last
            last = taken, F, f0  # what the untimed estimate reuses
            return gradient, evaluations

        def details(values, gradient) -> dict:  # the steps and est. error, once, after the timing
            taken, F, f0 = last
            fields, refused = {"step": dict(zip(names, taken))}, too_large(graph, 1 + len(names))
            if refused:  # as dual's: forward mode's tracked passes, shared
                return {**fields, "warnings": [f"{stencil.id}: {refused}"]}
            again = lambda rows, steps: derivatives(values, rows, steps)  # noqa: E731
            found, warnings = stencil_estimates(graph, again, stencil, values, taken, gradient, F, f0)
            return {**fields, "error_estimate": dict(zip(names, found)), "warnings": warnings}
        run.details = details
        return run
    return prepare


def _stencil_arrays(stencil: Stencil):
    """The stencil on arrays of points (``compare --points``): one call of f per stencil point and
    variable."""

    def prepare(graph: Graph):
        f = compile_function(graph, kind="array")
        moved = [(o, w) for o, w in zip(stencil.offsets, stencil.weights) if o]
        center = [w for o, w in zip(stencil.offsets, stencil.weights) if not o]

        def run(columns):
            gradient = []
            f0 = f(*columns)[0] if center else 0.0
            for i, x in enumerate(columns):
                taken = effective_steps(x, stencil.factor * np.maximum(1.0, np.abs(x)))
                total = None
                for o, w in moved:  # Σ w·f left to right, then the center: the one-point forms' sum
                    shifted = list(columns)
                    shifted[i] = x + taken * float(o)
                    term = f(*shifted)[0] * w
                    total = term if total is None else total + term
                if center:
                    total = total + center[0] * f0
                gradient.append(total / taken)
            return gradient, len(moved) * len(columns) + (1 if center else 0)
        return run
    return prepare


def register_stencil(stencil: Stencil) -> None:
    """Register a fixed stencil as a method: one point, eps-sweep's form, and arrays if it says so."""
    method(stencil.id, stencil.summary, rank=stencil.rank, options=("step",), sweep=StencilSweep(stencil),
           sweep_default=stencil.sweep_default, marker=stencil.marker, draw_rank=stencil.draw_rank,
           arrays=_stencil_arrays(stencil) if stencil.arrays else None, work="variables")(_fixed(stencil))


# ---------------------------------------------------------------- eps-sweep's forms: many steps at once

class StencilSweep:
    """A fixed stencil at many steps for ``eps-sweep``: all stencil points in one vectorized call, and the
    constants of its error model ``C·h^p + R·eps·|f|/h``."""

    def __init__(self, stencil: Stencil):
        self.stencil = stencil
        self.order = stencil.order
        self.rule = f"{stencil.rule}·max(1, |x|), error O(h^{stencil.order})"

    def rule_step(self, x: float) -> float:
        return self.stencil.step(x)

    def runner(self, graph: Graph, evaluator: Evaluator, values, index: int):
        """``run(steps) -> [(estimate, None) or (None, why)]`` at variable ``index``."""
        stencil = self.stencil

        def run(steps):
            estimates, taken, F, f0 = stencil_derivatives(evaluator, values, [index] * len(steps), steps,
                                                          stencil)
            results = []
            for estimate, step in zip(estimates.tolist(), taken.tolist()):
                if math.isfinite(estimate):
                    results.append((estimate, None))
                elif step == 0:
                    results.append((None, "x + h == x in floating point: the step is below the spacing "
                                          "of doubles"))
                else:
                    results.append((None, "f is undefined at a stencil point"))
            return results
        return run

    def model(self, higher: list, value: float, truth) -> tuple:
        """``(order, C, roundoff, formula, floor)`` from |f^(n)(x)| (``higher``) and f's value."""
        p, R = self.stencil.order, self.stencil.roundoff
        return (p, self.stencil.truncation * higher[p + 1], R * EPS * abs(value),
                f"C·h^{p} + {R:g}·eps·|f|/h", 0.0)


for _stencil in STENCILS.values():
    register_stencil(_stencil)
