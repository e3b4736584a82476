"""The complex step: Im f(x + ih) / h, one complex evaluation of f per variable, no subtraction.

Where f is analytic, f(x + ih) = f(x) + ih·f'(x) − h²·f''(x)/2 − …, so Im f(x + ih)/h = f'(x) − h²·f'''(x)/6
+ … and, nothing being subtracted, h can be far below eps: h = 1e-20·max(1, |x|) is exact to rounding.
f is evaluated on Python complex numbers (the table's ``complex`` evaluators).  Not applicable where f
applies a non-holomorphic function (abs, relu, …) to something depending on a variable, nor at a branch
point (sqrt at 0), which :func:`analytic_here` detects from the real part moving, nor for a partial along
which f is real only at isolated points (``(-x)**z`` at integer z), where the complex continuation leaves
the real line: :func:`off_the_real_line` detects that from the imaginary part of f beside x.  Either is
an error for that partial alone.
"""

from __future__ import annotations

import math

from diffcli.core.codegen import compile_function
from diffcli.core.errors import DiffcliError, DomainError
from diffcli.core.graph import CONST, VAR, Graph
from diffcli.core.primitives import PRIMITIVES
from diffcli.methods.fd_error import complex_step_estimates, too_large
from diffcli.methods.finite import EPS
from diffcli.methods.partials import explained
from diffcli.methods.registry import method
from diffcli.methods.rounding import no_estimate

COMPLEX_STEP_FACTOR = 1e-20
"""complex-step: h = 1e-20·max(1, |x|); no subtraction, so h can be far below eps."""

BESIDE_STEP = 1e-6
"""complex-step checks that f's complex value is real at x ± 1e-6·max(1, |x|) (:func:`off_the_real_line`)."""

ANALYTIC_TOLERANCE = 1e-10
"""complex-step checks Re f(x+ih) = f(x) + O(h²), to this relative accuracy, before trusting Im f(x+ih)/h."""


def not_analytic(graph: Graph) -> list[str]:
    """The non-holomorphic primitives f applies to something that depends on a variable (sorted names)."""
    depends = graph.depends_on_variables()
    needed = graph.reachable([graph.output])
    return sorted({op for node, op in enumerate(graph.ops)
                   if needed[node] and depends[node] and op not in (CONST, VAR)
                   and not PRIMITIVES[op].holomorphic})


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


def off_the_real_line(f, values, index: int, center: complex, name: str = "x") -> tuple[str | None, int]:
    """``(why, evaluations)``: why Im f(x+ih)/h is not the derivative of the real function because f's
    complex continuation leaves the real line beside x (None if it does not).

    A real function evaluated on its real branch is real at real arguments: Im f(x) = 0 and, a step
    δ = :data:`BESIDE_STEP`·max(1, |x|) to either side, Im f(x ± δ) = 0.  On a non-real branch (a negative
    base to a power that varies, ``(-x)**z`` at an integer z) f is real only at isolated points; its
    complex derivative there is not the real one (for ``(-x)**z``, Re of it is f·log|x|, not a derivative
    at all).  Refused when Im f is not negligible (beyond :data:`ANALYTIC_TOLERANCE` of |f|) at the point,
    or on both sides of it: on one side only, x is merely near a branch point, and f is analytic at x.
    """
    if abs(center.imag) > ANALYTIC_TOLERANCE * abs(center):
        return (f"not applicable here: f's complex value at the point is not real "
                f"(Im f = {center.imag:.2g}): f is on a non-real branch"), 0
    x = values[index]
    delta = BESIDE_STEP * max(1.0, abs(x))
    evaluations = 0
    for sign in (1.0, -1.0):
        point = list(values)
        point[index] = x + sign * delta
        evaluations += 1
        try:
            value = complex_value(f, point)
        except DiffcliError:
            continue  # no complex value there: not a non-real branch
        if abs(value.imag) <= ANALYTIC_TOLERANCE * abs(value):
            return None, evaluations
    return (f"not applicable here: f's complex continuation is not real beside {name} = {x!r} (at {name} ± "
            f"{delta:.2g}): f is on a non-real branch, where Im f(x+ih)/h is not its derivative"), evaluations


def rule_step(x: float) -> float:
    """The complex step's own rule: h = COMPLEX_STEP_FACTOR·max(1, |x|)."""
    return COMPLEX_STEP_FACTOR * max(1.0, abs(x))


class ComplexSweep:
    """The complex step at many steps for ``eps-sweep`` (one complex evaluation each), or why it cannot run:
    a non-analytic function in f, or a branch point at x (checked once, at the rule's step).  Its error
    model is ``C·h² + eps·|f'|``, from Im f(x + ih)/h = f'(x) − h²·f'''(x)/6 + …; nothing is subtracted."""

    order, truncation = 2, 1 / 6
    rule = "1e-20·max(1, |x|)"

    def rule_step(self, x: float) -> float:
        return rule_step(x)

    def runner(self, graph: Graph, evaluator, values, index: int):
        rule_step = self.rule_step(values[index])
        refusal = complex_step_refusal(graph)
        f = None if refusal else compile_function(graph, kind="complex")
        if f is not None:
            try:
                center, shifted = complex_value(f, values), complex_value(f, values, index, rule_step)
                name = graph.variable_names[index]
                if not analytic_here(shifted, center, rule_step):
                    refusal = branch_point(name, values[index], shifted, center)
                else:
                    refusal = off_the_real_line(f, values, index, center, name)[0]
                if refusal:
                    refusal = explained(graph, values, index, refusal).message
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

    def model(self, higher: list, value: float, truth) -> tuple:
        return (self.order, self.truncation * higher[self.order + 1], 0.0, "C·h^2 + eps·|f'|",
                EPS * float(abs(truth)))


@method("complex-step", "complex step Im f(x + ih) / h, h = 1e-20·max(1, |x|), one evaluation per variable "
                        "plus f(x) once to check that f is analytic there (one more per variable with "
                        "--eps) and one beside x to check that f is real there (two where it is not); no "
                        "subtraction, so exact to rounding where f is analytic (not applicable to "
                        + ", ".join(p.name for p in PRIMITIVES.values() if not p.holomorphic) + ")",
        rank=50, options=("step",), sweep=ComplexSweep(), sweep_default=True, marker="i", draw_rank=0,
        work="variables")
def _complex_step(graph: Graph, step: float | None = None):
    refusal = complex_step_refusal(graph)
    if refusal:
        raise DiffcliError(refusal)
    f = compile_function(graph, kind="complex")

    def run(values):
        center = complex_value(f, values)
        gradient, steps, evaluations = [], {}, 1
        for i, x in enumerate(values):
            rule = rule_step(x)
            h = rule if step is None else step
            estimate, used = _one_partial(graph, f, values, center, i, h, rule)
            gradient.append(estimate)
            evaluations += used
            steps[graph.variable_names[i]] = h
        return gradient, evaluations, {"step": steps}

    def details(values, gradient) -> dict:  # the est. error, once, after the timing (fd_error.py)
        names = graph.variable_names
        refused = too_large(graph, 1 + len(names))
        if refused:
            return no_estimate("complex-step", refused)
        steps = [rule_step(x) if step is None else step for x in values]
        second = []
        for i, h in enumerate(steps):
            try:
                second.append(complex_value(f, values, i, 2 * h).imag / (2 * h))
            except DiffcliError:
                second.append(None)
        found, warnings = complex_step_estimates(graph, values, gradient, second)
        return {"error_estimate": dict(zip(names, found)), "warnings": warnings}
    run.details = details
    return run


def _one_partial(graph: Graph, f, values, center: complex, i: int, h: float, rule: float):
    """``(Im f(x + ih)/h or an Undefined, evaluations)`` for variable ``i``: refused at a branch point
    (:func:`analytic_here`) and where f's complex continuation is not the real function
    (:func:`off_the_real_line`)."""
    names, x = graph.variable_names, values[i]
    shifted = complex_value(f, values, i, h)
    estimate, evaluations = shifted.imag / h, 1
    if h != rule:  # the analyticity check needs a tiny step: one more evaluation at the rule's step
        shifted = complex_value(f, values, i, rule)
        evaluations += 1
    if not analytic_here(shifted, center, rule):
        return explained(graph, values, i, branch_point(names[i], x, shifted, center)), evaluations
    off, used = off_the_real_line(f, values, i, center, names[i])
    if off:
        return explained(graph, values, i, off), evaluations + used
    return estimate, evaluations + used
