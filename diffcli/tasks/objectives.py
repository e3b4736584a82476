"""What ``diffcli optimize`` minimizes: the expression itself, or the mean of a per-example loss over the
rows of a data file (:func:`read_data`), with its reverse-mode gradient compiled once
(:func:`diffcli.core.codegen.compile_gradient`): on floats for an expression, on numpy arrays for a data set,
where one call differentiates the loss at every example of a batch at once and the batch gradient is the
mean of the columns (no Python loop over examples).

An objective offers ``value_and_gradient(w, rows)`` (rows: a mini-batch, or None for all), ``batches(rng)``
(what ``rows`` to take at each step), ``failure(w, error)`` (why f could not be computed there) and the
flags ``smoothed``, ``has_validation`` and ``exact_gradient`` that the stopping rules read.
"""

from __future__ import annotations

import math

import numpy as np

from diffcli.core.codegen import compile_function, compile_gradient
from diffcli.core.errors import DiffcliError, UsageError
from diffcli.core.evaluate import evaluate
from diffcli.core.graph import Graph
from diffcli.tasks.reading import csv_rows, decode, header, read_bytes


class ExpressionObjective:
    """Minimize the expression itself: parameters are some of its variables, the others are fixed."""

    smoothed = False
    has_validation = False
    exact_gradient = True  # the gradient of a step is that of the whole objective

    def __init__(self, graph: Graph, parameters: list[str], fixed: dict, l2: float):
        self.graph, self.parameters, self.l2 = graph, parameters, l2
        self.examples = 1
        self._gradient = compile_gradient(graph, kind="real")
        names = graph.variable_names
        self._index = [names.index(p) for p in parameters]
        self._args = [float(fixed.get(n, 0.0)) for n in names]
        self._fixed = fixed

    def batches(self, rng):
        return _FullBatch()

    def value_and_gradient(self, w, rows):
        args = self._args
        for i, k in enumerate(self._index):
            args[k] = float(w[i])
        value, grads = self._gradient(*args)
        g = np.array([grads[k] for k in self._index], dtype=float)
        if self.l2:
            value = value + self.l2 * float(w @ w)
            g = g + 2.0 * self.l2 * w
        return value, g

    def failure(self, w, error) -> str:
        """Why f or its gradient could not be computed at ``w`` (the interpreted pass names the function)."""
        point = dict(self._fixed, **{p: float(v) for p, v in zip(self.parameters, w)})
        try:
            evaluate(self.graph, point)
        except DiffcliError as problem:
            return problem.message
        if isinstance(error, OverflowError):
            return f"f or its gradient overflows float64 ({error})"
        return f"the gradient is undefined here ({error})"


class _FullBatch:
    def next(self):
        return None


class _MiniBatches:
    """Mini-batches of ``size`` training rows: a fresh random permutation every epoch, cut in order."""

    def __init__(self, count: int, size: int, rng):
        self.count, self.size, self.rng = count, size, rng
        self.order, self.position = rng.permutation(count), 0

    def next(self):
        if self.position >= self.count:
            self.order, self.position = self.rng.permutation(self.count), 0
        rows = self.order[self.position:self.position + self.size]
        self.position += self.size
        return rows


class DataObjective:
    """The mean over training examples of a per-example loss whose non-parameter names are data columns."""

    def __init__(self, graph: Graph, parameters: list[str], fixed: dict, columns: dict, train, validation,
                 l2: float, batch: int | None):
        self.graph, self.parameters, self.l2 = graph, parameters, l2
        names = graph.variable_names
        self._index = [names.index(p) for p in parameters]
        self._gradient = compile_gradient(graph, kind="array")
        self._function = compile_function(graph, kind="array")
        self._names = names
        self._fixed = {n: float(v) for n, v in fixed.items()}
        self._columns = {n: np.asarray(columns[n], dtype=float) for n in names
                         if n not in parameters and n not in fixed}
        self._train = {n: c[train] for n, c in self._columns.items()}
        self._validation = {n: c[validation] for n, c in self._columns.items()} if len(validation) else None
        self.has_validation = self._validation is not None
        self.examples = len(train)
        self.batch = batch if batch is not None else self.examples
        self.smoothed = self.batch < self.examples
        self.exact_gradient = not self.smoothed

    def batches(self, rng):
        return _MiniBatches(self.examples, self.batch, rng) if self.smoothed else _FullBatch()

    def _arguments(self, w, columns):
        values = dict(self._fixed, **columns, **{p: float(v) for p, v in zip(self.parameters, w)})
        return [values[n] for n in self._names]

    def value_and_gradient(self, w, rows):
        columns = self._train if rows is None else {n: c[rows] for n, c in self._train.items()}
        with np.errstate(all="ignore"):
            value, grads = self._gradient(*self._arguments(w, columns))
            value = float(np.mean(value))
            g = np.array([np.mean(grads[k]) for k in self._index], dtype=float)
        if self.l2:
            value += self.l2 * float(w @ w)
            g = g + 2.0 * self.l2 * w
        return value, g

    def validation_loss(self, w) -> float:
        """The mean per-example loss over the validation examples (no L2 term)."""
        with np.errstate(all="ignore"):
            (value,) = self._function(*self._arguments(w, self._validation))
            return float(np.mean(value))

    def failure(self, w, error) -> str:
        return f"f or its gradient failed ({error})"


def read_data(source) -> dict[str, np.ndarray]:
    """Columns of a CSV file with a header row, as float arrays by column name.

    ``source`` is a path or an open file (text or binary), read within
    :data:`~diffcli.tasks.reading.MAX_TABLE_BYTES`.  Every value must be a finite number.

    >>> import io
    >>> read_data(io.StringIO("x,y\\n1,2\\n3,4.5\\n"))
    {'x': array([1., 3.]), 'y': array([2. , 4.5])}
    """
    name = str(getattr(source, "name", source))
    rows = csv_rows(decode(read_bytes(source, _WHAT, name), _WHAT, name), _WHAT, name)
    if len(rows) < 2:
        raise UsageError(f"the data file {name!r} needs a header row of column names and at least one row")
    names = header(rows[0][1], _WHAT, name)
    values = np.empty((len(rows) - 1, len(names)))
    for r, (number, row) in enumerate(rows[1:]):
        if len(row) != len(names):
            raise UsageError(f"{name}: row {number} has {len(row)} values, the header has {len(names)}")
        for c, cell in enumerate(row):
            try:
                values[r, c] = float(cell)
            except ValueError:
                values[r, c] = math.nan
            if not math.isfinite(values[r, c]):
                raise UsageError(f"{name}: row {number}, column {names[c]!r}: {cell.strip()!r} is not a "
                                 "finite number")
    return {column: values[:, c].copy() for c, column in enumerate(names)}


_WHAT = "data file"
