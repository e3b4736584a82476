"""``gradcheck``: is the gradient code of a numpy function right?  No tolerance to tune.

For each checked coordinate ``i`` of a point, the user's gradient ``g_i`` is compared with a
finite-difference estimate ``d_i`` of ∂f/∂x_i that carries its own error bound ``b_i``:

* the **complex step** ``Im f(x + i·h·e_i)/h`` when f accepts complex input (found by trying it, and
  checked once per point against richardson along a random direction: ``abs`` or a comparison inside f
  breaks it), exact to rounding; a coordinate it does not pass is decided by richardson;
* otherwise **richardson** (:func:`diffcli.methods.richardson.richardson_derivatives`, the same
  extrapolation and error estimate as ``compare``), with f evaluated in float64 at the point's exact values.

The gradient carries rounding of its own, ``r_i``, in its dtype, measured by
:func:`diffcli.tasks.gradrounding.rounding` (its twin in the other dtype, or how far it moves a few ulps
away when it has none).

A coordinate **fails** when ``|g_i − d_i| > SAFETY·(b_i + r_i)``; it is **undecided** when it does not fail
but ``b_i`` is wider than :data:`UNDECIDED` of the derivative's size (f not smooth there, noisy, or not
changing in its dtype: the reason is given); otherwise it **passes**.  ``rtol``/``atol`` replace the
bound (``|g_i − d_i| <= atol + rtol·|d_i|``) for whoever must have them.

Above ``max_coordinates`` coordinates a seeded random sample is checked, plus ``directions`` random unit
directions ``v`` (``∂f/∂v`` against ``v·g``: one difference per direction sees an error spread thinly over
every coordinate).  :mod:`diffcli.tasks.patterns` names what the failures have in common.
"""

from __future__ import annotations

import math
import warnings

from diffcli.core.bounds import SEED, Bound
from diffcli.core.errors import UsageError
from diffcli.core.lazy import LazyNumpy
from diffcli.methods.complex_step import COMPLEX_STEP_FACTOR
from diffcli.methods.richardson import EPS, richardson_derivatives
from diffcli.tasks import gradrounding, patterns
from diffcli.tasks.gradinputs import shown, structure
from diffcli.tasks.usercode import float64_function, value_and_gradient

np = LazyNumpy(globals())

SAFETY = 4.0
"""A coordinate fails when its gradient and the finite-difference estimate differ by more than this many
times the sum of their error bounds (richardson's estimate already carries a factor 2 of its own)."""
UNDECIDED = 1e-3
"""A bound wider than this fraction of the derivative's size (the larger of |g_i|, |d_i| and 1/1000 of the
point's largest derivative) leaves a coordinate that does not fail undecided."""
COMPLEX_STEP = COMPLEX_STEP_FACTOR
"""The step h of the complex step: far below any rounding of x, so truncation (h²·f''') is nil."""
COMPLEX_ULPS = 64
"""The complex step's bound: this many units in the last place of float64 times |d_i|, plus the same of
the point's largest derivative; a coordinate outside it is decided by richardson instead."""
MAX_COORDINATES = Bound(1, 100_000, "each coordinate costs about 80 calls of f for richardson")
"""``--max-coordinates``: above it, a random sample of this many coordinates is checked."""
DEFAULT_MAX_COORDINATES = 300
DIRECTIONS = Bound(0, 1_000, "each direction costs about 80 calls of f")
"""``--directions``: random directional checks when the coordinates are sampled."""
DEFAULT_DIRECTIONS = 16
TOLERANCE = Bound(0.0, 1e300, "an override of the computed bound: finite, not negative", whole=False)
"""``--rtol`` and ``--atol``."""
SAMPLES = Bound(1, 10_000, "each random point is a whole check of its own")
"""``--samples``: random points drawn in ``--box``."""
CHUNK = 16
"""Coordinates per richardson call (progress is reported between calls, and every CHUNK² complex steps)."""


def gradcheck(f, grad=None, at=None, *, points=None, value_and_grad: bool = False,
              max_coordinates: int = DEFAULT_MAX_COORDINATES, directions: int = DEFAULT_DIRECTIONS,
              seed: int = 0, rtol: float | None = None, atol: float | None = None, progress=None,
              names: tuple = ("f", "grad")) -> dict:
    """Check ``grad`` (or ``f`` returning ``(value, gradient)`` with ``value_and_grad``) against finite
    differences of ``f`` at ``at`` (one point) or each of ``points``: a plain record, ``verdict`` "pass",
    "fail" or "undecided".  A point is an array (``f(x)``) or a dict of named arrays or numbers
    (``f(**point)``, the gradient a tuple or dict in the same structure).

    >>> import numpy as np
    >>> gradcheck(lambda x: np.sum(x**3), lambda x: 3*x**2, np.array([1.0, -2.0]))["verdict"]
    'pass'
    >>> gradcheck(lambda x: np.sum(x**3), lambda x: 2*x**2, np.array([1.0, -2.0]))["patterns"][0]["message"]
    'the gradient of x is scaled by 2/3'
    """
    if (grad is None) != value_and_grad:
        raise UsageError("give the gradient function (grad), or value_and_grad=True when f returns "
                         "(value, gradient) — one of the two")
    if (at is None) == (points is None):
        raise UsageError("give one point (at) or a list of points (points)")
    points = [at] if points is None else list(points)
    if not points:
        raise UsageError("points is empty")
    options = {"max_coordinates": MAX_COORDINATES.check(max_coordinates, "max_coordinates"),
               "directions": DIRECTIONS.check(directions, "directions"), "seed": SEED.check(seed, "seed"),
               "rtol": None if rtol is None else TOLERANCE.check(rtol, "rtol"),
               "atol": None if atol is None else TOLERANCE.check(atol, "atol")}
    if (options["rtol"] is None) != (options["atol"] is None):
        options["rtol"], options["atol"] = options["rtol"] or 0.0, options["atol"] or 0.0
    rng = np.random.default_rng(options["seed"])
    checked = [_point(f, grad, point, k, len(points), names, options, rng, progress)
               for k, point in enumerate(points)]
    return summary(checked, names, options)


def summary(checked: list, names: tuple, options: dict) -> dict:
    fails = sum(p["failed"] for p in checked)
    undecided = sum(p["undecided"] for p in checked)
    verdict = "fail" if fails else "undecided" if undecided else "pass"
    found = patterns.merged(checked)
    warnings_ = []
    for p in checked:
        warnings_ += [w for w in p["warnings"] if w not in warnings_]
    if undecided and not fails:
        warnings_.append(f"{undecided} coordinate{'s' if undecided != 1 else ''} undecided: the finite "
                         "differences cannot tell there (see each one's reason)")
    return {"function": names[0], "gradient": names[1], "verdict": verdict, "failed": fails,
            "undecided": undecided, "checked": sum(p["checked"] for p in checked), "patterns": found,
            "safety": SAFETY, **options, "points": checked, "warnings": warnings_}


def _point(f, grad, point, index: int, count: int, names: tuple, options: dict, rng, progress) -> dict:
    inputs = structure(point)
    where = f"at point {index + 1}" if count > 1 else "at the point"
    value, g, g_dtype = value_and_gradient(f, grad, inputs, inputs.flat(point), inputs.dtype, names, where)
    x = inputs.flat(point)
    rounding, fixed = gradrounding.rounding(f, grad, inputs, x, g, g_dtype, names, where)
    fun = float64_function(f, inputs, names, where, grad is None)
    if not math.isfinite(fun(x)):
        value_and_gradient(f, grad, inputs, x, "float64", names, where + " (in float64)")
        raise UsageError(f"{names[0]} {where} gives no finite value on the float64 copy of the point")
    chosen, sampled = _chosen(inputs.size, options["max_coordinates"], rng)
    steps = _ComplexStep.detect(f, inputs, x, fun(x), grad is None)
    fun, scale = _offset(fun, x, g), {}
    estimates = _estimates(fun, x, chosen, steps, g, rounding, scale, progress, (index, count))
    rows = [_decide(i, inputs, x, g, rounding, *estimates[i], scale["max"], options) for i in chosen]
    for row, i in zip(rows, chosen):
        if row["status"] == "undecided" and row["reason"].startswith("the finite-difference bound"):
            row["reason"] += _why(fun, x, i)
    if fixed and options["rtol"] is None:
        gradrounding.within_terms(rows, value, x, g_dtype)
    directional = []
    if sampled:
        directional = [_direction(fun, x, g, rounding, steps, rng, scale["max"], options, k)
                       for k in range(options["directions"])]
    if steps is not None and steps.distrusted:
        steps.note = ("f accepts complex input, but its complex step disagreed with richardson along a "
                      "random direction (abs, a comparison or a cast inside f?): richardson was used")
    found = patterns.name(rows, directional, inputs, x)
    failed = sum(r["status"] == "fail" for r in rows + directional)
    return {"point": index + 1, "inputs": _shapes(inputs), "dtype": inputs.dtype, "gradient_dtype": g_dtype,
            "value": value, "coordinates": inputs.size, "checked": len(rows), "sampled": sampled,
            "complex_step": steps is not None and not steps.distrusted, "failed": failed,
            "undecided": sum(r["status"] == "undecided" for r in rows + directional),
            "patterns": found, "rows": patterns.worst_first(rows), "directions": directional,
            "warnings": [steps.note] if steps is not None and steps.note else []}


def _shapes(inputs) -> dict:
    names = ["x"] if inputs.names is None else inputs.names
    return {name: list(shape) for name, shape in zip(names, inputs.shapes)}


def _offset(fun, x, g):
    """f plus the constant ``C = |f(x)| + Σ|x_i·g_i|``, for richardson: its round-off model takes each value
    of f to be off by eps·|f|, but a sum of many terms (a loss over a batch) is off by eps times the size of
    its terms even where they cancel (|f| ≈ 0).  C is that size to first order (the rounding of every
    argument carried through f); adding it makes the model see it, and adds about as much rounding again."""
    offset = abs(fun(x)) + float(np.abs(x) @ np.abs(g))
    return lambda v: fun(v) + offset


def _chosen(size: int, most: int, rng):
    if size <= most:
        return list(range(size)), False
    return sorted(int(i) for i in rng.choice(size, size=most, replace=False)), True


class _ComplexStep:
    """The complex step of a function that accepts complex input."""

    def __init__(self, f, inputs, pair: bool):
        self.f, self.inputs, self.pair = f, inputs, pair
        self.distrusted, self.note = False, None

    @classmethod
    def detect(cls, f, inputs, x, value: float, pair: bool):
        steps = cls(f, inputs, pair)
        probe = steps.along(x, np.eye(1, inputs.size, 0).reshape(-1), value)
        return steps if probe is not None else None

    def along(self, x, v, value: float | None = None):
        """``Im f(x + i·h·v)/h``, or None if f does not take or give complex numbers."""
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("error", np.exceptions.ComplexWarning)
                point = x + 1j * COMPLEX_STEP * v
                arguments = self.inputs.build(point, "complex128")
                result = self.f(**arguments) if self.inputs.names else self.f(arguments)
                result = np.asarray(result[0] if self.pair else result).reshape(-1)[0]
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception:  # noqa: BLE001 - f does not take complex numbers: richardson alone
            return None
        if not np.iscomplexobj(result) or not np.isfinite(result):
            return None
        if value is not None and abs(result.real - value) > 1e-6 * (abs(value) + 1e-300):
            return None
        return float(result.imag) / COMPLEX_STEP


def _estimates(fun, x, chosen: list, steps, g, rounding, scale: dict, progress, where: tuple) -> dict:
    """``{coordinate: (estimate, bound, method)}``: the complex step where it passes the coordinate, else
    richardson (also for every coordinate when f does not take complex input)."""
    found, pending = {}, []
    if steps is not None:
        for done, i in enumerate(chosen, start=1):
            d = steps.along(x, np.eye(1, x.size, i).reshape(-1))
            found[i] = (d, math.nan, "complex-step") if d is not None else None
            if progress is not None and (done % CHUNK ** 2 == 0 or done == len(chosen)):
                progress(where, done, len(chosen), "complex step")
        if any(v is None for v in found.values()):
            steps.distrusted, found = True, {}
        else:
            steps.distrusted = not _complex_step_agrees(fun, x, steps)
    if found and not steps.distrusted:
        largest = max(abs(d) for d, _, _ in found.values())
        for i, (d, _, method) in found.items():
            bound = COMPLEX_ULPS * EPS * (abs(d) + largest)
            found[i] = (d, bound, method)
            if abs(g[i] - d) > SAFETY * (bound + rounding[i]):
                pending.append(i)
    else:
        found, pending = {}, list(chosen)
    for start in range(0, len(pending), CHUNK):
        block = pending[start:start + CHUNK]
        values, bounds = _richardson(fun, x, block)
        found.update({i: (d, b, "richardson") for i, d, b in zip(block, values, bounds)})
        if progress is not None:
            progress(where, start + len(block), len(pending), "richardson")
    finite = [abs(d) for d, _, _ in found.values() if math.isfinite(d)]
    scale["max"] = max(finite, default=0.0)
    return found


def _complex_step_agrees(fun, x, steps) -> bool:
    v = np.random.default_rng(12345).standard_normal(x.size)
    v /= np.linalg.norm(v)
    d = steps.along(x, v)
    values, bounds = _richardson_along(fun, x, v)
    return d is not None and abs(d - values) <= SAFETY * bounds + COMPLEX_ULPS * EPS * abs(d)


def _richardson(fun, x, coordinates: list):
    """Richardson's ∂f/∂x_i and error estimate for each of ``coordinates`` (f called once per step)."""
    def evaluate(values, rows, points, center: bool = False):
        F = np.empty(np.shape(points))
        for q, r in enumerate(rows):
            moved = x.copy()
            for k, p in enumerate(points[q]):
                moved[coordinates[r]] = p
                F[q, k] = fun(moved)
        return (F, fun(x)) if center else F
    gradient, estimates, _ = richardson_derivatives(evaluate, x[coordinates])
    return gradient, estimates


def _richardson_along(fun, x, v):
    """Richardson's derivative of t ↦ f(x + t·v) at t = 0, and its error estimate."""
    def evaluate(values, rows, points, center: bool = False):
        F = np.array([[fun(x + p * v) for p in row] for row in np.asarray(points)])
        return (F, fun(x)) if center else F
    gradient, estimates, _ = richardson_derivatives(evaluate, [0.0])
    return gradient[0], estimates[0]


def _decide(i: int, inputs, x, g, rounding, d: float, bound: float, method: str, largest: float,
            options: dict) -> dict:
    name, index = inputs.label(i)
    row = {"coordinate": shown(name, index), "input": name, "index": list(index), "x": float(x[i]),
           "gradient": float(g[i]), "estimate": d, "method": method, "estimate_bound": bound,
           "rounding": float(rounding[i])}
    return _status(row, options, largest)


def _status(row: dict, options: dict, largest: float) -> dict:
    g, d, bound = row["gradient"], row["estimate"], row["estimate_bound"]
    row["difference"] = abs(g - d) if math.isfinite(d) else math.nan
    if options["rtol"] is not None:
        allowed = options["atol"] + options["rtol"] * abs(d)
    else:
        allowed = SAFETY * (bound + row["rounding"])
    row["allowed"], row["reason"] = allowed, None
    if not (math.isfinite(d) and math.isfinite(bound)):
        row["status"], row["reason"] = "undecided", "no finite difference of f at any step tried here"
    elif row["difference"] > allowed:
        row["status"] = "fail"
    elif bound > UNDECIDED * max(abs(d), abs(g), largest / 1000) and options["rtol"] is None:
        row["status"] = "undecided"
        flat = d == 0 and largest == 0
        row["reason"] = ("f does not change along this coordinate at any step tried" if flat
                         else f"the finite-difference bound ±{bound:.2g} is wider than {UNDECIDED:g} of the "
                              "derivative")
    else:
        row["status"] = "pass"
    return row


def _why(fun, x, i: int) -> str:
    """Why the differences cannot tell, from f at x_i ± h for h = 2^-10 … 2^-25 (times max(1, |x_i|)):
    f standing still (flat in float64 there), one-sided slopes that each settle but disagree (not smooth:
    a kink), or slopes that do not settle (noisy, or a kink within the steps)."""
    moved, f0 = x.copy(), fun(x)
    forward, backward = [], []
    for k in range(10, 26, 5):
        h = 2.0 ** -k * max(1.0, abs(float(x[i])))
        moved[i] = x[i] + h
        up = fun(moved)
        moved[i] = x[i] - h
        down = fun(moved)
        forward.append((up - f0) / h)
        backward.append((f0 - down) / h)
    if all(v == 0.0 for v in forward + backward):
        return ": f does not change along it in float64 (flat in its dtype)"
    settled = all(_near(s[k], s[k + 1]) for s in (forward, backward) for k in range(len(s) - 1))
    if settled and not _near(forward[-1], backward[-1]):
        return (f": f is not smooth here (its slope is {forward[-1]:.3g} on the right, {backward[-1]:.3g} "
                "on the left)")
    return ": f is noisy here, or has a kink close by (its differences do not settle as the step shrinks)"


def _near(a: float, b: float) -> bool:
    return abs(a - b) <= 0.1 * max(abs(a), abs(b))


def _direction(fun, x, g, rounding, steps, rng, largest: float, options: dict, k: int) -> dict:
    v = rng.standard_normal(x.size)
    v /= np.linalg.norm(v)
    d, method = (steps.along(x, v), "complex-step") if steps is not None and not steps.distrusted else \
        (None, "richardson")
    along = float(v @ g)
    bound = COMPLEX_ULPS * EPS * (abs(d) + largest) if d is not None else math.nan
    slack = float(np.abs(v) @ rounding)
    if d is None or abs(along - d) > SAFETY * (bound + slack):
        (d, bound), method = _richardson_along(fun, x, v), "richardson"
    row = {"coordinate": f"direction {k + 1}", "input": None, "index": [], "x": None, "gradient": along,
           "estimate": d, "method": method, "estimate_bound": bound, "rounding": slack}
    return _status(row, options, largest)
