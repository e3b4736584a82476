"""Finite-difference methods: they only call f (compiled once), never its derivative rules."""

from __future__ import annotations

import math
import sys

from .codegen import compile_function
from .errors import DomainError
from .graph import Graph
from .methods import method

EPS = sys.float_info.epsilon


def _safe(f):
    """f on floats, turning a domain failure or non-finite value into a DomainError."""
    def call(*values):
        try:
            (value,) = f(*values)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise DomainError(str(error)) from None
        if not math.isfinite(value):
            raise DomainError("f is not finite")
        return value
    return call


def _stencil_failure(name: str, values, index, step) -> str:
    return (f"f is undefined at a stencil point ({name} = {values[index]!r} ± {step:.3g}); "
            "the step crosses the edge of the domain")


@method("fd-central", "central difference (f(x+h) - f(x-h)) / 2h, h = cbrt(eps)·max(1, |x|), 2 evaluations "
                      "per variable, error O(h²)")
def _fd_central(graph: Graph):
    f = _safe(compile_function(graph))
    names = graph.variable_names
    scale = EPS ** (1.0 / 3.0)

    def run(values):
        gradient = []
        for i, x in enumerate(values):
            step = scale * max(1.0, abs(x))
            up, down = list(values), list(values)
            up[i], down[i] = x + step, x - step
            width = up[i] - down[i]  # the step actually taken, exactly representable
            try:
                gradient.append((f(*up) - f(*down)) / width)
            except DomainError:
                raise DomainError(_stencil_failure(names[i], values, i, step)) from None
        return gradient, 2 * len(values)
    return run
