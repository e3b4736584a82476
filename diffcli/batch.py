"""Many points at once: value and gradient at every row of a points file in one vectorized pass.

The compiled straight-line code of a method runs on numpy arrays (one array per variable), so 10,000 points
cost one pass, not 10,000.  The mpmath reference is computed on a sample of the points only
(``reference_sample``, evenly spread, first and last included), which keeps large files fast while still
measuring each method's error.

Points files: CSV with a header row of variable names (extra columns are ignored), or ``.npy`` holding a
structured array with one field per variable, or a plain 2-D array whose columns are the expression's
variables in order of first appearance.
"""

from __future__ import annotations

import csv
import math
import time

import numpy as np

from .chain import bind, symbolic_gradient
from .codegen import compile_function, compile_gradient, compile_tangent
from .errors import DiffcliError, UsageError
from .graph import Graph
from .methods import median_seconds
from .reference import reference

DEFAULT_REFERENCE_SAMPLE = 3


def _reverse(graph: Graph):
    gradient = compile_gradient(graph, kind="array")
    return lambda columns: gradient(*columns)[1]


def _symbolic(graph: Graph):
    derived = graph.copy()
    gradient = compile_function(derived, symbolic_gradient(derived), kind="array")
    return lambda columns: gradient(*columns)


def _fd_central(graph: Graph):
    f = compile_function(graph, kind="array")
    scale = np.finfo(float).eps ** (1.0 / 3.0)

    def run(columns):
        gradient = []
        for i, x in enumerate(columns):
            step = scale * np.maximum(1.0, np.abs(x))
            up, down = list(columns), list(columns)
            up[i], down[i] = x + step, x - step
            gradient.append((f(*up)[0] - f(*down)[0]) / (up[i] - down[i]))
        return gradient
    return run


def _dual(graph: Graph):
    tangent = compile_tangent(graph, kind="array")
    count = len(graph.variables)

    def run(columns):
        seeds = np.eye(count)
        return [tangent(*columns, *seeds[k])[1] for k in range(count)]
    return run


BATCHED = {"fd-central": _fd_central, "symbolic": _symbolic, "reverse": _reverse, "dual": _dual}
"""Methods that run on arrays of points, by id: ``prepare(graph) -> run(columns) -> [∂/∂v arrays]``."""


def read_points(path: str) -> dict[str, np.ndarray]:
    """``{variable: column}`` from a CSV (header of names) or ``.npy`` file; a plain array gets names
    ``0, 1, …`` resolved against the expression later."""
    try:
        if path.endswith(".npy"):
            array = np.load(path, allow_pickle=False)
            if array.dtype.names:
                return {name: np.asarray(array[name], dtype=float) for name in array.dtype.names}
            if array.ndim != 2:
                raise UsageError(f"{path}: a plain .npy points array must be 2-D (points × variables)")
            return {str(k): np.asarray(array[:, k], dtype=float) for k in range(array.shape[1])}
        with open(path, newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as error:
        raise UsageError(f"cannot read points file {path}: {error.strerror}") from None
    except ValueError as error:
        raise UsageError(f"{path}: {error}") from None
    if not rows:
        raise UsageError(f"{path}: the points file is empty; it needs a header of variable names")
    header = [name.strip() for name in rows[0]]
    columns = {name: [] for name in header}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise UsageError(f"{path}: line {number} has {len(row)} values for {len(header)} columns")
        for name, cell in zip(header, row):
            try:
                columns[name].append(float(cell))
            except ValueError:
                raise UsageError(f"{path}: line {number}: {cell!r} is not a number") from None
    return {name: np.array(values, dtype=float) for name, values in columns.items()}


def _columns_for(graph: Graph, table: dict) -> list[np.ndarray]:
    names = graph.variable_names
    if table and all(key.isdigit() for key in table) and not set(names) & set(table):
        if len(table) != len(names):
            raise UsageError(f"the points array has {len(table)} columns for {len(names)} variables "
                             f"({', '.join(names)})")
        table = {name: table[str(k)] for k, name in enumerate(names)}
    columns = bind(graph, table)
    sizes = {len(c) for c in columns}
    if len(sizes) > 1:
        raise UsageError("the point columns have different lengths")
    if not sizes or sizes == {0}:
        raise UsageError("the points file has no points")
    return [np.asarray(c, dtype=float) for c in columns]


def batch(graph: Graph, table: dict, methods: list[str], reference_sample: int = DEFAULT_REFERENCE_SAMPLE,
          digits: int = 30, timing: bool = True) -> dict:
    """Value and gradient by each method at every point; errors against the reference on a sample.

    Returns a record with per-method summaries (``methods``) and the per-point arrays (``values``,
    ``gradients[method]``, ``failed[method]``) for rendering one record per point.
    """
    unknown = [m for m in methods if m not in BATCHED]
    if unknown:
        raise UsageError(f"method {unknown[0]!r} has no batched form yet; with --points choose from "
                         f"{', '.join(BATCHED)}")
    columns = _columns_for(graph, table)
    count = len(columns[0])
    names = graph.variable_names
    f = compile_function(graph, kind="array")
    with np.errstate(all="ignore"):
        (values,) = f(*columns)
        values = np.broadcast_to(np.asarray(values, dtype=float), (count,))
        f_seconds = median_seconds(lambda: f(*columns)) if timing else None
    sample = sorted({round(k * (count - 1) / max(reference_sample - 1, 1)) for k in range(reference_sample)}) \
        if reference_sample > 0 else []
    references = {}
    for index in sample:
        point = {name: float(column[index]) for name, column in zip(names, columns)}
        if not math.isfinite(values[index]):
            continue
        try:
            references[index] = reference(graph, point, digits)
        except DiffcliError:
            pass
    record = {"expression": graph.source, "points": count, "variables": names, "f_seconds": f_seconds,
              "reference": {"digits": digits, "sample": sample, "computed": sorted(references)},
              "methods": [], "values": values, "gradients": {}, "failed": {}, "columns": columns}
    for method_id in methods:
        record["methods"].append(_run(method_id, graph, columns, count, references, record, timing))
    return record


def _run(method_id, graph, columns, count, references, record, timing) -> dict:
    names = graph.variable_names
    row = {"method": method_id, "setup_seconds": None, "seconds": None, "seconds_per_point": None,
           "max_rel_error": None, "failed_points": None, "error": None}
    started = time.perf_counter()
    try:
        run = BATCHED[method_id](graph)
        if timing:  # --no-timing leaves every timing empty, so that its output is reproducible
            row["setup_seconds"] = time.perf_counter() - started
        with np.errstate(all="ignore"):
            gradient = [np.broadcast_to(np.asarray(g, dtype=float), (count,)) for g in run(columns)]
            if timing:
                row["seconds"] = median_seconds(lambda: run(columns))
                row["seconds_per_point"] = row["seconds"] / count
    except DiffcliError as error:
        row["error"] = error.message
        return row
    failed = ~np.logical_and.reduce([np.isfinite(g) for g in gradient] + [np.isfinite(record["values"])])
    row["failed_points"] = int(failed.sum())
    errors = []
    for index, ref in references.items():
        if failed[index]:
            continue
        m = ref.context
        for name, g in zip(names, gradient):
            truth = ref.gradient[name]
            difference = abs(m.mpf(float(g[index])) - truth)
            errors.append(float(difference / abs(truth)) if truth else float(difference))
    row["max_rel_error"] = max(errors) if errors else None
    record["gradients"][method_id] = gradient
    record["failed"][method_id] = failed
    return row
