"""One partial at a time: a method answers each partial derivative on its own, so one that does not exist
costs only its own column.

A method's ``run`` returns its gradient as a list with, for each variable, a float or an
:class:`Undefined` carrying why that partial has no value; the harness turns those into the row's
``errors`` (``{variable: message}``) and leaves the other partials standing.  ``(-x)**z`` at x=2, z=3 has
∂f/∂x = -12, while ∂f/∂z does not exist: f is real only at integer z.  :func:`undefined_beside` says so in
those words whatever the method, by evaluating the real function just beside the point.
"""

from __future__ import annotations

import math

from diffcli.core.errors import DomainError
from diffcli.core.evaluate import evaluate
from diffcli.core.graph import Graph


class Undefined:
    """A partial derivative with no value here, and why (one line in the user's words).

    >>> Undefined("f is undefined on both sides of z = 3.0")
    Undefined('f is undefined on both sides of z = 3.0')
    """

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message

    def __repr__(self) -> str:
        return f"Undefined({self.message!r})"


def undefined_beside(graph: Graph, values, index: int) -> str | None:
    """Why ∂f/∂x_index does not exist when the real f is undefined on both sides of the point (one double
    up and one down, every other variable fixed), else None: f is then defined at isolated values only,
    as ``(-x)**z`` at integer z.

    >>> from diffcli.core.parse import parse
    >>> undefined_beside(parse("(-x)**z"), [2.0, 3.0], 1)[:80]
    'no derivative: f is undefined on both sides of z = 3.0: (-x)**z is undefined: -x'
    >>> undefined_beside(parse("(-x)**z"), [2.0, 3.0], 0) is None
    True
    """
    names = graph.variable_names
    x = float(values[index])
    problems = []  # (the value beside, why f is undefined there)
    for beside in (math.nextafter(x, math.inf), math.nextafter(x, -math.inf)):
        point = dict(zip(names, map(float, values)))
        point[names[index]] = beside
        try:
            evaluate(graph, point)
        except DomainError as error:
            problems.append((beside, error.message))
        else:
            return None
    return f"no derivative: f is undefined on both sides of {names[index]} = {x!r}: {problems[0][1]}"


def explained(graph: Graph, values, index: int, message: str) -> Undefined:
    """The Undefined of partial ``index``: the true reason when f is undefined on both sides of the point,
    else the method's own ``message``."""
    return Undefined(undefined_beside(graph, values, index) or message)
