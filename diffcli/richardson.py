"""Richardson extrapolation: differences at a geometric sequence of steps, extrapolated to h → 0.

Central, forward and backward differences at :data:`RICHARDSON_STEPS` halving steps, all evaluated in one
numpy call (:class:`diffcli.finite.Evaluator`), combined in a tableau (Neville); the candidate with the
smallest error estimate is kept, and its estimate is reported (``error_estimate``).  Near a domain edge the
one-sided differences take over; at a kink only forward differences are used (the right derivative).
"""

from __future__ import annotations

import functools
import math
import sys

from . import finite
from .errors import DomainError
from .graph import CONST, VAR, Graph
from .lazy import LazyNumpy
from .methods import method
from .primitives import PRIMITIVES

np = LazyNumpy(globals())
EPS = sys.float_info.epsilon


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


def richardson_derivatives(evaluate: finite.Evaluator, values, step: float | None = None, one_sided: bool = False):
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
    evaluate = finite.Evaluator(graph)
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
