"""Gradient checks for pytest: :func:`assert_gradient` raises an ``AssertionError`` whose message is the
``gradcheck`` report.

It sits at the top of the library, beside :mod:`diffcli.api` (the import-linter contract in
``pyproject.toml``): it runs a task and renders its record.
"""

from __future__ import annotations

from diffcli.render.gradcheck import report
from diffcli.tasks.gradcheck import gradcheck


def assert_gradient(f, grad, x, *, value_and_grad: bool = False, allow_undecided: bool = False,
                    **options) -> dict:
    """Assert that ``grad`` is the gradient of ``f`` at ``x`` (an array, or a dict of named arrays and
    numbers, each passed to ``f`` by keyword), with no tolerance to tune; returns the ``gradcheck`` record.

    ``grad`` may be None with ``value_and_grad=True`` (``f`` returns ``(value, gradient)``).  A coordinate
    that cannot be decided (see :mod:`diffcli.tasks.gradcheck`) fails the assertion too, unless
    ``allow_undecided``.  Other options (``max_coordinates``, ``directions``, ``seed``, ``rtol``, ``atol``)
    are those of :func:`diffcli.tasks.gradcheck.gradcheck`.

    >>> import numpy as np
    >>> _ = assert_gradient(lambda x: np.sum(np.sin(x)), np.cos, np.array([0.5, 1.5]))
    >>> try:
    ...     assert_gradient(lambda x: np.sum(np.sin(x)), lambda x: -np.cos(x), np.array([0.5, 1.5]))
    ... except AssertionError as error:
    ...     print(next(line for line in str(error).splitlines() if line.startswith("pattern")))
    pattern: the gradient of x has its sign flipped; worst x[0]: gradient -0.877583, finite differences
    """
    record = gradcheck(f, grad, x, value_and_grad=value_and_grad, **options)
    if record["verdict"] == "fail" or (record["verdict"] == "undecided" and not allow_undecided):
        raise AssertionError(report(record))
    return record
