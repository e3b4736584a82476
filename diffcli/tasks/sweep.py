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
import time

from diffcli.core import bounds
from diffcli.core.bounds import LARGEST, Bound
from diffcli.core.choices import choose
from diffcli.core.errors import DiffcliError, UsageError
from diffcli.core.evaluate import evaluate_mp
from diffcli.core.parse import as_graph
from diffcli.harness import point as harness_point
from diffcli.harness import prepare, reference_or_error, reference_within_limit, relative_error, run_timed
from diffcli.methods import METHODS
from diffcli.methods.finite import EPS, Evaluator
from diffcli.methods.registry import default_sweep, ids
from diffcli.reference import DIGITS, reference

MAX_STEPS = 10_000
"""Largest number of steps in one sweep (about 1 s for a small expression, the reference computed once)."""
STEP = Bound(1e-300, LARGEST, "a positive step; 1e-300 to 1e300 spans the floats", whole=False)
"""Each end of the grid (``--from``, ``--to``)."""
PER_DECADE = Bound(1, MAX_STEPS, "steps per factor of 10; the whole grid has at most MAX_STEPS steps")



def step_grid(h_from: float, h_to: float, per_decade: int) -> list[float]:
    """``per_decade`` steps per factor of 10 from ``h_from`` to ``h_to`` (both included when on the grid).

    >>> step_grid(1e-3, 1e-1, 2)
    [0.001, 0.0031622776601683794, 0.01, 0.03162277660168379, 0.1]
    """
    h_from, h_to = STEP.check(h_from, "h_from"), STEP.check(h_to, "h_to")
    per_decade = PER_DECADE.check(per_decade, "per_decade")
    if not h_from < h_to:
        raise UsageError(f"--from ({h_from:g}) must be smaller than --to ({h_to:g})")
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
    """Scheme ids (methods with a sweep form) from a list or a comma-separated string; None means the
    defaults."""
    def why(id):
        return " (it chooses its own steps)" if id in METHODS and METHODS[id].prepare is not None else ""
    return choose(schemes, ids("sweep"), default_sweep(), what="scheme",
                  unknown_message="eps-sweep cannot run {id!r}", why=why)


def sweep(expression, point: dict, wrt: str, schemes=None, h_from: float = 1e-16, h_to: float = 1e-1,
          per_decade: int = 2, digits: int = 50) -> dict:
    """∂f/∂``wrt`` at ``point`` by each scheme at every step of the grid, against the reference.

    Returns the record ``{"expression", "point", "wrt", "reference", "schemes", "rows", "optimal", "rule",
    "model"}``: ``rows[i] = {"h": h, scheme: {"estimate", "rel_error", "predicted", "error"}}``;
    ``optimal[scheme]`` the step with the smallest measured error; ``rule[scheme]`` the scheme's own step
    rule and its error; ``model[scheme]`` the coefficients of the predicted error curve.  Raises
    DiffcliError for bad input, or when f or its reference derivative does not exist at the point.
    """
    graph = as_graph(bounds.expression(expression))
    point, wrt = bounds.point(point), bounds.text(wrt, "wrt")
    digits = DIGITS.check(digits, "digits")
    chosen = select_schemes(schemes)
    steps = step_grid(h_from, h_to, per_decade)
    names = graph.variable_names
    if wrt not in names:
        raise UsageError(f"'{wrt}' is not a variable of the expression "
                         f"(its variables: {', '.join(names) or 'none'})")
    at = prepare(graph, point)
    index = names.index(wrt)
    limit, started = harness_point.REFERENCE_TIME_LIMIT, time.monotonic()  # one limit for both, read now
    ref = reference_within_limit(lambda: reference(graph, at.point, digits, one_sided=bool(at.warnings)),
                                 limit, wrt=wrt)
    truth = ref.gradient[wrt]  # at a kink: the right derivative
    order = max(METHODS[s].sweep.order for s in ids("sweep"))
    higher, late = _higher_within(graph, at.point, wrt, order + 1, limit - (time.monotonic() - started))
    warnings = at.warnings + ([f"no predicted error: the derivatives of f it needs gave up within the "
                               f"reference's time limit ({limit:g} s)"] if late else [])

    evaluator = Evaluator(graph)
    columns, rule, model = {}, {}, {}
    for scheme in chosen:
        form = METHODS[scheme].sweep
        rule_step = form.rule_step(at.values[index])
        model[scheme] = _model(*form.model(higher, at.value, truth))
        trial = steps + [rule_step]
        outcome = run_timed(
            lambda form=form: (lambda hs: (form.runner(graph, evaluator, at.values, index)(hs), len(hs))),
            trial, timing=False)
        results = outcome.result if outcome.error is None else [(None, outcome.error)] * len(trial)
        cells = [_cell(estimate, error, ref.context, truth) for estimate, error in results]
        for cell, h in zip(cells, trial):
            cell["predicted"] = _predicted(model[scheme], h, truth)
        columns[scheme], rule[scheme] = cells[:-1], {"h": rule_step, **cells[-1]}

    rows = [{"h": h, **{s: columns[s][i] for s in chosen}} for i, h in enumerate(steps)]
    return {"expression": graph.source, "point": at.point, "wrt": wrt,
            "reference": {"digits": ref.digits, "value": ref.text(ref.value), "derivative": ref.text(truth)},
            "value": at.value, "schemes": chosen, "rows": rows,
            "optimal": {s: _optimal(steps, columns[s]) for s in chosen}, "rule": rule, "model": model,
            **({"warnings": warnings} if warnings else {})}


def _cell(estimate, error, m, truth) -> dict:
    if error is not None:
        return {"estimate": None, "rel_error": None, "error": error}
    return {"estimate": estimate, "rel_error": relative_error(m, estimate, truth), "error": None}


def _optimal(steps, cells) -> dict | None:
    measured = [(cell["rel_error"], h) for h, cell in zip(steps, cells) if cell["rel_error"] is not None]
    if not measured:
        return None
    error, h = min(measured)
    return {"h": h, "rel_error": error}


def _higher_within(graph, point: dict, wrt: str, order: int, seconds: float) -> tuple[list[float], bool]:
    """:func:`_higher_derivatives` within ``seconds`` (what the reference left of the time limit), and
    whether they ran out of time (then all nan: the record has no predicted error, and says why)."""
    higher, problem = (None, "no time left") if seconds <= 0 else \
        reference_or_error(lambda: _higher_derivatives(graph, point, wrt, order), seconds)
    return ([math.nan] * (order + 1), True) if problem is not None else (higher, False)


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
    try:  # at |x| ~ 1e200 the rule's step is ~1e194, and h^p overflows: the predicted error is then inf
        truncation = model["C"] * h ** model["order"]
    except OverflowError:
        truncation = math.inf
    error = truncation + model["roundoff"] / h + model["floor"]
    scale = float(abs(truth)) or 1.0
    return error / scale
