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
vouch for the digits (see :func:`_richardson_rows`).

Vectorized: the stencil points of all variables go through f compiled for numpy arrays in one call
(chunked so that memory stays bounded), never point by point.  A point outside f's domain gives nan
there, and the method then reports which stencil point stepped out of the domain.  Complex step
evaluates f once per variable on Python complex numbers (the table's ``complex`` evaluators).
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass
from functools import cached_property



class _Numpy:
    """Stands for numpy until first used, then replaces itself by the real module (start-up: commands that
    never run a finite difference do not import numpy)."""

    def __getattr__(self, name):
        import numpy

        globals()["np"] = numpy
        return getattr(numpy, name)


np = _Numpy()

from .codegen import compile_function
from .errors import DiffcliError, DomainError
from .graph import CONST, VAR, Graph
from .methods import method
from .primitives import PRIMITIVES

EPS = sys.float_info.epsilon

MAX_ARRAY_ELEMENTS = 1 << 22
"""Bound on (graph nodes × stencil points) evaluated in one vectorized call; more points are chunked."""


# ---------------------------------------------------------------- the stencils

@dataclass(frozen=True)
class Stencil:
    """f'(x) ≈ Σ weights[k]·f(x + offsets[k]·h) / h, error O(h^order); the step rule h = factor·max(1, |x|)."""

    id: str
    offsets: tuple
    weights: tuple
    order: int
    factor: float
    rule: str
    formula: str

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
    Stencil("fd-forward", (0, 1), (-1.0, 1.0), 1, EPS ** 0.5, "sqrt(eps)", "forward difference (f(x+h) - f(x)) / h"),
    Stencil("fd-backward", (-1, 0), (-1.0, 1.0), 1, EPS ** 0.5, "sqrt(eps)",
            "backward difference (f(x) - f(x-h)) / h"),
    Stencil("fd-central", (-1, 1), (-0.5, 0.5), 2, EPS ** (1 / 3), "cbrt(eps)",
            "central difference (f(x+h) - f(x-h)) / 2h"),
    Stencil("fd-5point", (-2, -1, 1, 2), (1 / 12, -8 / 12, 8 / 12, -1 / 12), 4, EPS ** 0.2, "eps^(1/5)",
            "five-point stencil (f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / 12h"),
)}
"""The fixed stencils by method id, in the stable order."""

COMPLEX_STEP_FACTOR = 1e-20
"""complex-step: h = 1e-20·max(1, |x|); no subtraction, so h can be far below eps."""

ANALYTIC_TOLERANCE = 1e-10
"""complex-step checks Re f(x+ih) = f(x) + O(h²), to this relative accuracy, before trusting Im f(x+ih)/h."""


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

    >>> from diffcli.parse import parse
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
        out = np.empty(points.shape)
        f0 = math.nan
        with np.errstate(all="ignore"):
            for start, stop, moved, cells, n, extra in self._layout(tuple(rows), points.shape[1], center):
                grid = np.repeat(values[moved][:, None], n, axis=1)  # one row of arguments per moved variable
                grid.reshape(-1)[cells] = points[start:stop].reshape(-1)
                args = values.tolist()
                for r, v in enumerate(moved):
                    args[v] = grid[r]
                result = self._call(args, n)
                if extra:
                    f0 = float(result[-1])
                out[start:stop] = result[:n - extra].reshape(stop - start, -1)
        return (out, f0) if center else out

    def _layout(self, rows: tuple, width: int, center: bool) -> list:
        """Chunks ``(start, stop, moved variables, flat cells of the argument grid, columns, extra)``."""
        key = (rows, width, center)
        if key not in self._layouts:
            chunks = []
            per_call = max(1, self.columns // max(1, width))
            for start in range(0, len(rows), per_call):
                stop = min(len(rows), start + per_call)
                extra = 1 if (center and start == 0) else 0  # the base point, last column of the first call
                n = (stop - start) * width + extra
                block = rows[start:stop]
                moved = sorted(set(block))
                row_of = {v: r for r, v in enumerate(moved)}
                cells = np.repeat([row_of[v] * n for v in block], width) + np.arange(n - extra)
                chunks.append((start, stop, moved, cells, n, extra))
            if len(self._layouts) > 64:
                self._layouts.clear()
            self._layouts[key] = chunks
        return self._layouts[key]

    def _call(self, args, n: int) -> np.ndarray:
        try:
            (result,) = self.f(*args)
        except (ValueError, ZeroDivisionError, OverflowError, FloatingPointError, TypeError):
            return np.full(n, np.nan)
        result = np.asarray(result, dtype=float)
        if result.shape != (n,):  # f does not depend on the moved variables
            result = np.full(n, float(result))
        result[~np.isfinite(result)] = np.nan
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
        total = F @ weights
    else:
        F, f0 = evaluate(values, rows, points, center=True)
        total = F @ weights + center * f0
    with np.errstate(all="ignore"):
        estimates = total / taken
    estimates[~(taken > 0)] = np.nan
    return estimates, taken, F, f0


def _outside(name: str, x: float, step: float, stencil: Stencil, F_row, f0) -> str:
    """Why a stencil failed at x: the first stencil point outside the domain, or a step too small."""
    if step == 0:
        return (f"the step is below the spacing of doubles at {name} = {x!r} ({name} + h == {name}); "
                "use a larger --eps")
    if f0 is not None and math.isnan(f0):
        return f"f is not finite at {name} = {x!r}"
    moved = [o for o in stencil.offsets if o]
    for o, value in zip(moved, F_row):
        if math.isnan(value):
            shift = f"{'+' if o > 0 else '-'} {'' if abs(o) == 1 else f'{abs(o)}·'}h"
            return (f"f is undefined at a stencil point: {name} {shift} = {x + o * step!r} (h = {step:.3g}); "
                    "the step crosses the edge of the domain (try richardson, or a smaller --eps)")
    return f"the stencil gave no finite estimate at {name} = {x!r}"


def _fixed(stencil: Stencil):
    """The method of a fixed stencil: every variable's stencil points in one vectorized evaluation."""

    def prepare(graph: Graph, step: float | None = None):
        evaluate = Evaluator(graph)
        names = graph.variable_names
        everyone = list(range(len(names)))
        moved = sum(1 for o in stencil.offsets if o)

        def run(values):
            x = np.asarray(values, dtype=float)
            steps = step if step is not None else stencil.factor * np.maximum(1.0, np.abs(x))
            estimates, taken, F, f0 = stencil_derivatives(evaluate, x, everyone, steps, stencil)
            failed = np.flatnonzero(~np.isfinite(estimates))
            if failed.size:
                i = failed[0]
                raise DomainError(_outside(names[i], float(x[i]), float(taken[i]), stencil, F[i], f0))
            evaluations = moved * len(x) + (1 if 0 in stencil.offsets else 0)
            return [float(g) for g in estimates], evaluations, {"step": dict(zip(names, map(float, taken)))}
        return run
    return prepare


for _stencil in STENCILS.values():
    method(_stencil.id, _stencil.summary, options=("step",))(_fixed(_stencil))


# ---------------------------------------------------------------- complex step

def not_analytic(graph: Graph) -> list[str]:
    """The non-holomorphic primitives f applies to something that depends on a variable (sorted names)."""
    depends = graph.depends_on_variables()
    needed = graph.reachable([graph.output])
    return sorted({op for node, op in enumerate(graph.ops)
                   if needed[node] and depends[node] and op not in (CONST, VAR) and not PRIMITIVES[op].holomorphic})


def complex_step_refusal(graph: Graph) -> str | None:
    """Why the complex step cannot differentiate f at all (a non-analytic function in it), or None."""
    refused = not_analytic(graph)
    if not refused:
        return None
    names = refused[0] if len(refused) == 1 else ", ".join(refused[:-1]) + " and " + refused[-1]
    return f"not applicable: {names} {'is' if len(refused) == 1 else 'are'} not analytic"


def complex_value(f, values, index: int = 0, step: float = 0.0) -> complex:
    """f at ``values`` with ``i·step`` added to variable ``index`` (``f`` compiled with ``kind="complex"``).

    Raises DomainError when f has no finite complex value there.
    """
    point = [complex(v) for v in values]
    point[index] += complex(0.0, step)
    try:
        (value,) = f(*point)
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise DomainError(f"f has no complex value near the point ({error})") from None
    value = complex(value)
    if not (math.isfinite(value.real) and math.isfinite(value.imag)):
        raise DomainError("f is not finite at the complex step")
    return value


def branch_point(name: str, x: float, shifted: complex, center: complex) -> str:
    return (f"not applicable here: f is not analytic at {name} = {x!r} (Re f(x+ih) moves by "
            f"{abs(shifted.real - center.real):.2g}, as at a branch point)")


def analytic_here(shifted: complex, center: complex, step: float) -> bool:
    """Where f is analytic, Re f(x+ih) = f(x) − h²f''(x)/2 + …, so it differs from f(x) by far less than
    Im f(x+ih) ≈ h·f'(x).  At a branch point (sqrt at 0) both are of the same size h^α, α < 1, and
    Im f(x+ih)/h is a large wrong number: refuse it."""
    drift = abs(shifted.real - center.real)
    return drift <= ANALYTIC_TOLERANCE * abs(shifted.imag) + 8 * EPS * abs(center.real) \
        + ANALYTIC_TOLERANCE * step * max(1.0, abs(center.real))


@method("complex-step", "complex step Im f(x + ih) / h, h = 1e-20·max(1, |x|), one evaluation per variable "
                        "plus f(x) once to check that f is analytic there (one more per variable with --eps); no "
                        "subtraction, so exact to rounding where f is analytic (not applicable to "
                        + ", ".join(p.name for p in PRIMITIVES.values() if not p.holomorphic) + ")",
        options=("step",))
def _complex_step(graph: Graph, step: float | None = None):
    refusal = complex_step_refusal(graph)
    if refusal:
        raise DiffcliError(refusal)
    f = compile_function(graph, kind="complex")
    names = graph.variable_names

    def run(values):
        center = complex_value(f, values)
        gradient, steps, evaluations = [], {}, 1
        for i, x in enumerate(values):
            rule = COMPLEX_STEP_FACTOR * max(1.0, abs(x))
            h = rule if step is None else step
            shifted = complex_value(f, values, i, h)
            estimate = shifted.imag / h
            if h != rule:  # the analyticity check needs a tiny step: one more evaluation at the rule's step
                shifted = complex_value(f, values, i, rule)
                evaluations += 1
            if not analytic_here(shifted, center, rule):
                raise DomainError(branch_point(names[i], x, shifted, center))
            gradient.append(estimate)
            steps[names[i]] = h
        return gradient, evaluations + len(values), {"step": steps}
    return run


# ---------------------------------------------------------------- Richardson extrapolation

RICHARDSON_STEPS = 40
"""Steps per sequence: h_j = h_0 / 2^j, j = 0 … 39."""

RICHARDSON_FIRST_STEP = 0.2
"""h_0 = 0.2·max(1, |x|); for |x| < 2^-26 a second sequence starts at 0.2·|x|, for |x| > 2^26 at 0.2."""

RICHARDSON_LEVELS = 5
"""Extrapolation levels: a central estimate at level k has error O(h^(2k+2))."""

RICHARDSON_SAFETY = 2.0
"""The reported error estimate is this multiple of the selected candidate's estimate."""

RICHARDSON_TOLERANCE = 1e-10
"""A relative error estimate above this is reported as a warning in the row: the digits are not vouched for."""

_CENTRAL, _FORWARD, _BACKWARD = 0, 1, 2
_UPPER, _LOWER = [0, 0, 2], [1, 2, 1]   # per family, which of (x + h, x − h, x) its difference goes from and to
_STOOD, _STOOD_TOO = [0, 0, 1], [1, 0, 1]   # f stood still: at x+h or x−h (central), x+h, x−h


def _sequences(x: float, step: float | None) -> list[float]:
    """First steps h_0 of the geometric sequences tried at x (two scales when |x| is far from 1)."""
    if step is not None:
        return [step]
    firsts = [RICHARDSON_FIRST_STEP * max(1.0, abs(x))]
    if 0 < abs(x) < 2.0 ** -26:
        firsts.append(RICHARDSON_FIRST_STEP * abs(x))
    elif abs(x) > 2.0 ** 26:
        firsts.append(RICHARDSON_FIRST_STEP)
    return firsts


def _tableau(D, noise, levels: int):
    """Richardson's tableau for steps that halve, every sequence and family at once.

    ``D`` and ``noise`` are shaped (rows, 3 families, steps + 2) with a nan column at each end.  Returns
    ``T`` and ``R`` shaped (levels + 1, rows, 3, steps + 2): ``T[k, …, j]`` extrapolates the differences at
    steps j … j+k to h = 0.  The central difference's error is a series in h², so level k removes the
    h^(2k) term with ``(4^k·T[k-1, j+1] − T[k-1, j]) / (4^k − 1)``; one-sided differences have every power
    of h, so ``2^k`` instead.  The same combination with |weights| carries ``noise`` (an error bound of each
    difference) to ``R``.  (The steps really taken differ from halving by a few units in the last place of
    x: far below the error terms the extrapolation removes.)
    """
    n = D.shape[-1] - 2
    _, _, later, here = _constants()
    X = np.full((levels + 1, 2, *D.shape), np.nan)             # by level: T and R
    X[0, 0], X[0, 1] = D, noise
    for k in range(1, levels + 1):
        out = X[k, ..., 1:n + 1 - k]
        np.multiply(later[k], X[k - 1, ..., 2:n + 2 - k], out=out)
        out += here[k] * X[k - 1, ..., 1:n + 1 - k]
    return X[:, 0], X[:, 1]


@functools.lru_cache(maxsize=None)
def _constants():
    """Arrays the extrapolation uses, built once on first use: ``half`` (the step of a central difference is
    half its width), ``halvings`` (2^-j), and by level k the weights ``later`` of T[k-1, j+1] (the smaller
    step) and ``here`` of T[k-1, j] (−1/(r−1) for T, +1/(r−1) for the bound R), where r is the factor by
    which the error term that level k removes shrinks when the step halves (4^k central, 2^k one-sided)."""
    ratios = np.array([[[4.0 ** k], [2.0 ** k], [2.0 ** k]] for k in range(RICHARDSON_LEVELS + 1)])
    with np.errstate(divide="ignore"):
        later = ratios / (ratios - 1)
        here = np.array([-1.0, 1.0])[None, :, None, None, None] / (ratios - 1)[:, None, None]
    return np.array([0.5, 1.0, 1.0])[:, None], 2.0 ** -np.arange(RICHARDSON_STEPS), later, here


def _richardson_rows(Fp, Fm, f0: float, x, steps):
    """Every candidate extrapolation and its error estimate, for each row q: variable value ``x[q]``, steps
    ``steps[q, j]`` (halving), ``Fp``/``Fm`` = f at x ± step (nan where undefined).

    Returns ``T``, ``E`` shaped (levels + 1, rows, 3 families, steps + 2) — a nan column pads each end of
    the steps — with nan where a candidate does not exist (every level 0 entry: a plain difference is not
    extrapolated).  The families are central, forward and backward differences.  A candidate's estimate is

    * the largest difference to its neighbours in the tableau (same step at the level below, next step at
      the level below, the next and previous step at the same level) — the truncation error;
    * plus the round-off: each value of f is taken to be off by eps·(|f| + |x·f'|) (the second term for
      arguments rounded inside f, as in ``exp(100*x)``), carried through the extrapolation weights;
    * plus, where f(x ± h) == f(x) although f' ≠ 0 (f is quantized, as in ``1e10 + sin(x)``), the
      quantum this reveals, |f'|·h/2 per value of f, carried through the weights the same way;
    * then the largest estimate of its neighbours at the next and previous step (a lucky agreement of a few
      numbers stays isolated), and at least its distance to the error interval of every row-best
      candidate of its family that claims a relative error below 1 (if that one's estimate is honest, this
      one is at least that far off; a candidate that does not even claim its first digit, like a central
      difference straddling a pole, constrains nothing).
    """
    x = np.asarray(x, dtype=float)[:, None]
    q, n = steps.shape
    # per family (central, forward, backward): the upper and lower point of each difference, padded with a
    # nan step at each end so that neighbours in the step direction are plain slices
    at = np.full((q, 3, n + 2), np.nan)                          # abscissae x + h, x − h, x
    value = np.full((q, 3, n + 2), np.nan)                       # f there
    at[:, 0, 1:-1], at[:, 1, 1:-1], at[:, 2] = x + steps, x - steps, x
    value[:, 0, 1:-1], value[:, 1, 1:-1], value[:, 2] = Fp, Fm, f0
    upper, lower = _UPPER, _LOWER
    width = at[:, upper] - at[:, lower]                          # distances really stepped
    D = (value[:, upper] - value[:, lower]) / width
    D[~np.isfinite(D)] = np.nan
    magnitude = np.abs(value)
    big = np.fmax(magnitude[:, upper], magnitude[:, lower])
    reach = width * _constants()[0]                                        # the step h of each difference
    stood = value[:, :2] == f0                                   # f(x ± h) == f(x)
    same = stood[:, _STOOD] | stood[:, _STOOD_TOO]
    slopes = np.abs(D)
    quantum = np.max(reach, axis=-1, keepdims=True, where=same, initial=0.0)  # largest step where f stood still …
    near = (reach >= quantum) & (reach <= 64 * quantum)
    slope = np.fmax.reduce(slopes, axis=-1, keepdims=True, where=near, initial=0.0)  # … and |f'| just above it
    noise = (EPS * (big + np.abs(x)[:, None] * slopes) + 0.5 * quantum * slope) * (2.0 / width)  # in D

    T, R = _tableau(D, noise, RICHARDSON_LEVELS)
    E = np.full_like(T, np.nan)
    t = T[1:, ..., 1:-1]
    E[1:, ..., 1:-1] = np.fmax(np.fmax(np.abs(t - T[:-1, ..., 1:-1]), np.abs(t - T[:-1, ..., 2:])),
                               np.fmax(np.abs(t - T[1:, ..., 2:]), np.abs(t - T[1:, ..., :-2]))) \
        + R[1:, ..., 1:-1] + EPS * np.abs(t)
    middle = E[..., 1:-1]
    worst = np.fmax(np.fmax(E[..., :-2], E[..., 2:]), middle)
    worst[np.isnan(middle)] = np.nan
    E[..., 1:-1] = worst

    unknown = np.isnan(E)
    E[unknown] = np.inf
    level = E.argmin(axis=0).reshape(-1)                      # each step's best level
    Eb = E.min(axis=0)
    Tb = T.reshape(len(T), -1)[level, np.arange(level.size)].reshape(Eb.shape)
    E[unknown] = np.nan
    claims = ~(Eb < np.abs(Tb))                               # row-bests that do not claim a first digit
    low, high = Tb - Eb, Tb + Eb
    low[claims], high[claims] = -np.inf, np.inf
    low = low.max(axis=-1, keepdims=True)                     # the row-bests' error intervals
    high = high.min(axis=-1, keepdims=True)                   # meet in [low, high]
    E = np.maximum(E, np.fmax(T - high, low - T))
    return T, E


def _best(T, E):
    """For each sequence and family: ``(value, estimate, relative)`` of the candidate with the smallest
    relative estimate, and ``(value, estimate)`` of the one with the smallest absolute estimate."""
    levels, q, families, n = T.shape
    T = T.transpose(1, 2, 0, 3).reshape(q * families, -1)
    E = E.transpose(1, 2, 0, 3).reshape(T.shape)
    absolute = np.where(np.isnan(E), np.inf, E)
    relative = absolute / np.abs(T)
    relative[np.isnan(relative)] = np.inf
    every = np.arange(len(T))
    r, a = relative.argmin(axis=-1), absolute.argmin(axis=-1)
    shaped = lambda array: array.reshape(q, families)  # noqa: E731
    return ((shaped(T[every, r]), shaped(E[every, r]), shaped(relative[every, r])),
            (shaped(T[every, a]), shaped(E[every, a])))


def richardson_derivatives(evaluate: Evaluator, values, step: float | None = None, one_sided: bool = False):
    """Richardson-extrapolated ∂f/∂x_i for every variable: ``(gradient, error estimates, evaluations)``.

    All steps of all variables go through ``evaluate`` in one vectorized call.  ``one_sided`` keeps only
    forward differences (the right derivative, at a kink).  A variable with no finite candidate gets nan.

    For each variable the chosen candidate is the one with the smallest relative estimate (the smallest
    absolute one if none is below 1, as for a derivative that is 0), over both families and sequences; its
    estimate is then widened to cover its distance to the error interval of the best of every family and
    sequence, and multiplied by :data:`RICHARDSON_SAFETY`.
    """
    values = np.asarray(values, dtype=float)
    rows, firsts = [], []
    for i, x in enumerate(values.tolist()):
        for h0 in _sequences(x, step):
            rows.append(i)
            firsts.append(h0)
    rows = np.array(rows)
    steps = np.array(firsts)[:, None] * _constants()[1]
    x = values[rows]
    points = np.concatenate([x[:, None] + steps, x[:, None] - steps], axis=1)
    F, f0 = evaluate(values, rows.tolist(), points, center=True)
    with np.errstate(all="ignore"):
        T, E = _richardson_rows(F[:, :RICHARDSON_STEPS], F[:, RICHARDSON_STEPS:], f0, x, steps)
        if one_sided:
            T, E = T[:, :, _FORWARD:_FORWARD + 1], E[:, :, _FORWARD:_FORWARD + 1]
        (value_r, estimate_r, relative), (value_a, estimate_a) = (
            [a.tolist() for a in group] for group in _best(T, E))
    candidates = [[] for _ in values]                             # per variable: the best of each family
    for q, i in enumerate(rows.tolist()):
        candidates[i] += zip(value_r[q], estimate_r[q], relative[q], value_a[q], estimate_a[q])
    gradient, estimates = [], []
    for found in candidates:
        found = [c for c in found if math.isfinite(c[4])]
        if not found:
            gradient.append(math.nan)
            estimates.append(math.nan)
            continue
        best = min(found, key=lambda c: c[2])
        if best[2] < 1:
            value, estimate = best[0], best[1]
        else:
            value, estimate = min(((c[3], c[4]) for c in found), key=lambda c: c[1])
        for v_r, e_r, rel, v_a, e_a in found:  # the best of every family and sequence must agree with it
            other_value, other_estimate = (v_r, e_r) if rel < 1 else (v_a, e_a)
            estimate = max(estimate, abs(value - other_value) - other_estimate)
        gradient.append(value)
        estimates.append(RICHARDSON_SAFETY * estimate)
    return gradient, estimates, 1 + points.size


def _at_a_kink(graph: Graph):
    """A function telling whether the values put some primitive exactly at its kink (None if f has none)."""
    if not any(op not in (CONST, VAR) and PRIMITIVES[op].kink is not None for op in graph.ops):
        return None
    from .api import kinks  # late: api imports the methods
    from .chain import evaluate

    return lambda values: bool(kinks(graph, evaluate(graph, dict(zip(graph.variable_names, values)))))


@method("richardson", "Richardson extrapolation: central and one-sided differences at 40 steps "
                      "h = 0.2·max(1, |x|)/2^j (--eps sets the first), extrapolated to h → 0, the candidate with "
                      "the smallest error estimate kept; 81 evaluations per variable in one vectorized call; "
                      "reports error_estimate, and says so when it cannot vouch for 10 digits", options=("step",))
def _richardson(graph: Graph, step: float | None = None):
    evaluate = Evaluator(graph)
    names = graph.variable_names
    kink = _at_a_kink(graph)

    def run(values):
        one_sided = kink is not None and kink(values)
        gradient, estimates, evaluations = richardson_derivatives(evaluate, values, step, one_sided)
        warnings = []
        for name, x, value, estimate in zip(names, values, gradient, estimates):
            if not math.isfinite(value):
                raise DomainError(f"no finite difference of f around {name} = {x!r} at any step tried")
            if value == 0 or not estimate <= RICHARDSON_TOLERANCE * abs(value):
                warnings.append(_unsure(name, value, estimate))
        details = {"error_estimate": dict(zip(names, estimates)), "warnings": warnings}
        if one_sided:
            details["warnings"].append("richardson: at a kink, one-sided (forward) differences only: the right "
                                       "derivative")
        return gradient, evaluations, details
    return run


def _unsure(name: str, value: float, estimate: float) -> str:
    if value == 0:
        return (f"richardson: ∂f/∂{name} is 0 within ±{estimate:.2g} (estimated); how many of its digits are "
                "right cannot be established")
    relative = estimate / abs(value)
    return (f"richardson: could not reach {RICHARDSON_TOLERANCE:.0e} relative accuracy in ∂f/∂{name}: estimated "
            f"error {estimate:.2g} ({relative:.2g} relative); the values of f do not hold more (rounding in f, "
            "or f changing faster than the steps can resolve)")
