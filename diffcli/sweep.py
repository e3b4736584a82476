"""``eps-sweep``: the step-size trade-off of finite differences, measured and predicted.

For one variable, each fixed-step scheme (fd-forward, fd-backward, fd-central, fd-5point, complex-step) is
run at every step of a geometric grid and compared with the mpmath reference.  The error of a finite
difference is truncation plus round-off: about ``C·h^p + R·eps·|f|/h`` for a scheme of order p, where
``C = c·|f^(p+1)(x)|`` (c from the stencil, the derivative computed in mpmath from f itself) and ``R`` is
half the sum of the stencil's |weights|.  Large steps lose to truncation, small ones to round-off: the
measured error against h is a V, and its bottom is near ``h* = (R·eps·|f| / (p·C))^(1/(p+1))``.  The
complex step subtracts nothing, so it has no round-off side: ``C·h² + eps·|f'|``.

>>> record = sweep("x**3", {"x": 1.0}, "x", schemes=["fd-central"], h_from=1e-4, h_to=1e-2, per_decade=1)
>>> [row["h"] for row in record["rows"]]
[0.0001, 0.001, 0.01]
>>> round(record["rows"][-1]["fd-central"]["estimate"], 12)  # (1.01³ − 0.99³)/0.02 = 3 + h²
3.0001
"""

from __future__ import annotations

import math

from .api import as_graph, kinks
from .chain import bind, evaluate, evaluate_mp
from .codegen import compile_function
from .errors import DiffcliError, UsageError
from .finite import (COMPLEX_STEP_FACTOR, EPS, STENCILS, Evaluator, analytic_here, branch_point,
                     complex_step_refusal, complex_value, stencil_derivatives)
from .reference import reference

SCHEMES = (*STENCILS, "complex-step")
"""The schemes a sweep can run: those with one fixed step (richardson chooses its own steps)."""

DEFAULT_SCHEMES = ("fd-forward", "fd-central", "fd-5point", "complex-step")

MAX_STEPS = 10_000
"""Largest number of steps in one sweep."""

COMPLEX_ORDER, COMPLEX_TRUNCATION = 2, 1 / 6
"""Im f(x + ih)/h = f'(x) − h²·f'''(x)/6 + …"""


def step_grid(h_from: float, h_to: float, per_decade: int) -> list[float]:
    """``per_decade`` steps per factor of 10 from ``h_from`` to ``h_to`` (both included when on the grid).

    >>> step_grid(1e-3, 1e-1, 2)
    [0.001, 0.0031622776601683794, 0.01, 0.03162277660168379, 0.1]
    """
    for name, value in (("--from", h_from), ("--to", h_to)):
        if not (math.isfinite(value) and value > 0):
            raise UsageError(f"{name} must be a positive step, not {value!r}")
    if not h_from < h_to:
        raise UsageError(f"--from ({h_from:g}) must be smaller than --to ({h_to:g})")
    if not (isinstance(per_decade, int) and per_decade >= 1):
        raise UsageError(f"--per-decade must be a whole number of at least 1, not {per_decade!r}")
    low, high = math.log10(h_from), math.log10(h_to)
    count = math.floor((high - low) * per_decade + 1e-9) + 1
    if count > MAX_STEPS:
        raise UsageError(f"the sweep would have {count:,} steps; the limit is {MAX_STEPS:,} (MAX_STEPS): "
                         "narrow --from/--to or lower --per-decade")
    return [_tidy(10.0 ** (low + k / per_decade)) for k in range(count)]


def _tidy(h: float) -> float:
    """1e-08 rather than 9.999999999999999e-09 when the grid lands on a power of ten."""
    rounded = float(f"{h:.12g}")
    return rounded if abs(rounded - h) <= 4 * EPS * h else h


def select_schemes(schemes) -> list[str]:
    """Scheme ids from a list or a comma-separated string; None means the defaults."""
    if schemes is None:
        return list(DEFAULT_SCHEMES)
    if isinstance(schemes, str):
        schemes = [s.strip() for s in schemes.split(",") if s.strip()]
    for s in schemes:
        if s not in SCHEMES:
            why = " (it chooses its own steps)" if s == "richardson" else ""
            raise UsageError(f"eps-sweep cannot run {s!r}{why}; choose from {', '.join(SCHEMES)}")
    if not schemes:
        raise UsageError(f"no scheme given; choose from {', '.join(SCHEMES)}")
    return list(dict.fromkeys(schemes))


def sweep(expression, point: dict, wrt: str, schemes=None, h_from: float = 1e-16, h_to: float = 1e-1,
          per_decade: int = 2, digits: int = 50) -> dict:
    """∂f/∂``wrt`` at ``point`` by each scheme at every step of the grid, against the reference.

    Returns the record ``{"expression", "point", "wrt", "reference", "schemes", "rows", "optimal", "rule",
    "model"}``: ``rows[i] = {"h": h, scheme: {"estimate", "rel_error", "predicted", "error"}}``;
    ``optimal[scheme]`` the step with the smallest measured error; ``rule[scheme]`` the scheme's own step
    rule and its error; ``model[scheme]`` the coefficients of the predicted error curve.  Raises
    DiffcliError for bad input, or when f or its reference derivative does not exist at the point.
    """
    graph = as_graph(expression)
    chosen = select_schemes(schemes)
    steps = step_grid(float(h_from), float(h_to), per_decade)
    names = graph.variable_names
    if wrt not in names:
        raise UsageError(f"'{wrt}' is not a variable of the expression (its variables: {', '.join(names) or 'none'})")
    values = [float(v) for v in bind(graph, point)]
    point = dict(zip(names, values))
    forward = evaluate(graph, point)
    value = forward[graph.output]
    index = names.index(wrt)
    x = values[index]

    warnings = kinks(graph, forward)
    ref = reference(graph, point, digits, one_sided=bool(warnings))  # at a kink: the right derivative
    m = ref.context
    truth = ref.gradient[wrt]
    higher = _higher_derivatives(graph, point, wrt, max(s.order for s in STENCILS.values()) + 1)

    def relative(estimate):
        difference = abs(m.mpf(estimate) - truth)
        return float(difference / abs(truth)) if truth else float(difference)

    evaluator = Evaluator(graph)
    columns, rule, model = {}, {}, {}
    for scheme in chosen:
        if scheme == "complex-step":
            rule_step = COMPLEX_STEP_FACTOR * max(1.0, abs(x))
            run, model[scheme] = _complex_step(graph, values, index, rule_step), _complex_model(higher, truth)
        else:
            stencil = STENCILS[scheme]
            run, model[scheme] = _stencil(evaluator, stencil, values, index), _stencil_model(stencil, higher, value)
            rule_step = stencil.step(x)
        results = run(steps + [rule_step])
        cells = [_cell(estimate, error, relative) for estimate, error in results]
        for cell, h in zip(cells, steps + [rule_step]):
            cell["predicted"] = _predicted(model[scheme], h, truth)
        columns[scheme], rule[scheme] = cells[:-1], {"h": rule_step, **cells[-1]}

    rows = [{"h": h, **{s: columns[s][i] for s in chosen}} for i, h in enumerate(steps)]
    return {"expression": graph.source, "point": point, "wrt": wrt,
            "reference": {"digits": ref.digits, "value": ref.text(ref.value), "derivative": ref.text(truth)},
            "value": value, "schemes": chosen, "rows": rows,
            "optimal": {s: _optimal(steps, columns[s]) for s in chosen}, "rule": rule, "model": model,
            **({"warnings": warnings} if warnings else {})}


def _cell(estimate, error, relative) -> dict:
    if error is not None:
        return {"estimate": None, "rel_error": None, "error": error}
    return {"estimate": estimate, "rel_error": relative(estimate), "error": None}


def _optimal(steps, cells) -> dict | None:
    measured = [(cell["rel_error"], h) for h, cell in zip(steps, cells) if cell["rel_error"] is not None]
    if not measured:
        return None
    error, h = min(measured)
    return {"h": h, "rel_error": error}


def _stencil(evaluator: Evaluator, stencil, values, index: int):
    """Estimates of a fixed stencil at many steps: all stencil points in one vectorized call."""
    def run(steps):
        estimates, taken, F, f0 = stencil_derivatives(evaluator, values, [index] * len(steps), steps, stencil)
        results = []
        for estimate, step, row in zip(estimates.tolist(), taken.tolist(), F):
            if math.isfinite(estimate):
                results.append((estimate, None))
            elif step == 0:
                results.append((None, "x + h == x in floating point: the step is below the spacing of doubles"))
            else:
                results.append((None, "f is undefined at a stencil point"))
        return results
    return run


def _complex_step(graph, values, index: int, rule_step: float):
    """Estimates of the complex step at many steps (one complex evaluation each), or why it cannot run:
    a non-analytic function in f, or a branch point at x (checked once, at the rule's step)."""
    refusal = complex_step_refusal(graph)
    f = None if refusal else compile_function(graph, kind="complex")
    if f is not None:
        try:
            center, shifted = complex_value(f, values), complex_value(f, values, index, rule_step)
            if not analytic_here(shifted, center, rule_step):
                refusal = branch_point(graph.variable_names[index], values[index], shifted, center)
        except DiffcliError as error:
            refusal = error.message

    def run(steps):
        if refusal:
            return [(None, refusal)] * len(steps)
        results = []
        for h in steps:
            try:
                results.append((complex_value(f, values, index, h).imag / h, None))
            except DiffcliError as error:
                results.append((None, error.message))
        return results
    return run


def _higher_derivatives(graph, point: dict, wrt: str, order: int) -> list[float]:
    """|f^(n)(x)| in ``wrt`` for n = 0 … order, from f by mpmath (for the constants of the error model);
    nan where mpmath cannot get them (e.g. f is undefined just beside x)."""
    import mpmath

    m = mpmath.MPContext()
    m.dps = 30
    at = {name: m.mpf(v) for name, v in point.items()}

    def f(t):
        return evaluate_mp(graph, {**at, wrt: t}, m)
    found = []
    for n in range(order + 1):
        try:
            found.append(float(abs(m.diff(f, at[wrt], n))))
        except (DiffcliError, ValueError, ZeroDivisionError, OverflowError):
            found.append(math.nan)
    return found


def _stencil_model(stencil, higher, value: float) -> dict:
    p = stencil.order
    C = stencil.truncation * higher[p + 1]
    R = stencil.roundoff
    return _model(p, C, R * EPS * abs(value), f"C·h^{p} + {R:g}·eps·|f|/h")


def _complex_model(higher, truth) -> dict:
    C = COMPLEX_TRUNCATION * higher[COMPLEX_ORDER + 1]
    return _model(COMPLEX_ORDER, C, 0.0, "C·h^2 + eps·|f'|", floor=EPS * float(abs(truth)))


def _model(order: int, C: float, roundoff: float, formula: str, floor: float = 0.0) -> dict:
    """The predicted absolute error ``C·h^order + roundoff/h + floor`` and the step where it is smallest."""
    best = None
    if roundoff > 0 and C > 0 and math.isfinite(C):
        best = (roundoff / (order * C)) ** (1.0 / (order + 1))
    return {"order": order, "C": C if math.isfinite(C) else None, "roundoff": roundoff, "floor": floor,
            "formula": formula, "h_optimal": best}


def _predicted(model: dict, h: float, truth) -> float | None:
    """The model's relative error at step h (None where C could not be computed)."""
    if model["C"] is None:
        return None
    error = model["C"] * h ** model["order"] + model["roundoff"] / h + model["floor"]
    scale = float(abs(truth)) or 1.0
    return error / scale
