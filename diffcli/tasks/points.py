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

import io
import math
import sys

import numpy as np

from diffcli.core.bounds import Bound, flag
from diffcli.core.codegen import compile_function
from diffcli.core.errors import UsageError
from diffcli.core.evaluate import bind
from diffcli.core.graph import Graph
from diffcli.harness import (
    median_seconds,
    reference_or_error,
    relative_error,
    run_timed,
)
from diffcli.methods import METHODS
from diffcli.methods.registry import ids
from diffcli.reference import DIGITS, reference
from diffcli.tasks.reading import csv_rows, decode, header, read_bytes

DEFAULT_REFERENCE_SAMPLE = 3
REFERENCE_SAMPLE = Bound(0, 1000, "each sampled point costs one mpmath reference; 1,000 spread points "
                         "measure a method's error as well as more would")
"""Points of ``--reference-sample`` (at most the number of points is used)."""


def read_points(path: str) -> dict[str, np.ndarray]:
    """``{variable: column}`` from a CSV (header of names) or ``.npy`` file; a plain array gets names
    ``0, 1, …`` resolved against the expression later.  The file is read within
    :data:`~diffcli.tasks.reading.MAX_TABLE_BYTES` (``-`` is stdin, CSV)."""
    content = read_bytes(sys.stdin if path == "-" else path, _WHAT, path)
    if path.endswith(".npy"):
        return _npy_columns(content, path)
    rows = csv_rows(decode(content, _WHAT, path), _WHAT, path)
    if not rows:
        raise UsageError(f"{path}: the points file is empty; it needs a header of variable names")
    names = header(rows[0][1], _WHAT, path)
    columns = {name: [] for name in names}
    for number, row in rows[1:]:
        if len(row) != len(names):
            raise UsageError(f"{path}: line {number} has {len(row)} values for {len(names)} columns")
        for name, cell in zip(names, row):
            try:
                columns[name].append(float(cell))
            except ValueError:
                raise UsageError(f"{path}: line {number}: {cell!r} is not a number") from None
    return {name: np.array(values, dtype=float) for name, values in columns.items()}


_WHAT = "points file"
_NUMBER_KINDS = "fiu"  # float, signed and unsigned integer: complex, datetime, text or objects are refused


def _npy_columns(content: bytes, path: str) -> dict[str, np.ndarray]:
    """The columns of a ``.npy`` file's bytes, its header checked before any array is made: a dtype of
    real numbers (or a flat structure of them), and exactly as many data bytes as the shape says."""
    stream = io.BytesIO(content)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f".npy format version {version} is not supported")
        shape, _, dtype = read_header(stream)
    except (ValueError, EOFError, SyntaxError, TypeError) as error:
        raise UsageError(f"{path}: not a .npy array ({str(error) or type(error).__name__})") from None
    fields = [dtype.fields[name][0] for name in dtype.names] if dtype.names else [dtype]
    if any(f.names or f.subdtype or f.kind not in _NUMBER_KINDS for f in fields):
        raise UsageError(f"{path}: the .npy array holds {dtype}; points must be real numbers (a plain array, "
                         "or a structured array with one number field per variable)")
    if len(shape) != (1 if dtype.names else 2):
        raise UsageError(f"{path}: a {'structured' if dtype.names else 'plain'} .npy points array must be "
                         f"{'1-D' if dtype.names else '2-D (points × variables)'}, not of shape {shape}")
    if math.prod(shape) * dtype.itemsize != len(content) - stream.tell():
        raise UsageError(f"{path}: the .npy header says {shape} of {dtype}, but the file holds "
                         f"{len(content) - stream.tell():,} bytes of data")
    array = np.load(io.BytesIO(content), allow_pickle=False)
    if dtype.names:
        return {name: np.asarray(array[name], dtype=float) for name in dtype.names}
    return {str(k): np.asarray(array[:, k], dtype=float) for k in range(shape[1])}


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


def at_points(graph: Graph, table: dict, methods: list[str], reference_sample: int = DEFAULT_REFERENCE_SAMPLE,
          digits: int = 30, timing: bool = True) -> dict:
    """Value and gradient by each method at every point; errors against the reference on a sample.

    Returns a record with per-method summaries (``methods``) and the per-point arrays (``values``,
    ``gradients[method]``, ``failed[method]``) for rendering one record per point.
    """
    reference_sample = REFERENCE_SAMPLE.check(reference_sample, "reference_sample")
    digits, timing = DIGITS.check(digits, "digits"), flag(timing, "timing")
    batched = ids("arrays")
    unknown = [m for m in methods if m not in batched]
    if unknown:
        raise UsageError(f"method {unknown[0]!r} has no batched form yet; with --points choose from "
                         f"{', '.join(batched)}")
    columns = _columns_for(graph, table)
    count = len(columns[0])
    names = graph.variable_names
    f = compile_function(graph, kind="array")
    with np.errstate(all="ignore"):
        (values,) = f(*columns)
        values = np.broadcast_to(np.asarray(values, dtype=float), (count,))
        f_seconds = median_seconds(lambda: f(*columns)) if timing else None
    sample = sorted({round(k * (count - 1) / max(reference_sample - 1, 1))
                     for k in range(reference_sample)}) if reference_sample > 0 else []
    references = {}
    for index in sample:
        point = {name: float(column[index]) for name, column in zip(names, columns)}
        if not math.isfinite(values[index]):
            continue
        ref, _ = reference_or_error(lambda point=point: reference(graph, point, digits))
        if ref is not None:  # a sample point without a reference is left out of the errors (``computed``)
            references[index] = ref
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

    def run():
        form = METHODS[method_id].arrays(graph)

        def broadcast(argument):
            gradient, evaluations = form(argument)
            return [np.broadcast_to(np.asarray(g, dtype=float), (count,)) for g in gradient], evaluations
        return broadcast

    with np.errstate(all="ignore"):
        outcome = run_timed(run, columns, timing)
    row["setup_seconds"], row["error"] = outcome.setup_seconds, outcome.error
    if outcome.error:
        return row
    if timing:
        row["seconds"] = outcome.seconds
        row["seconds_per_point"] = outcome.seconds / count
    gradient = outcome.result
    failed = ~np.logical_and.reduce([np.isfinite(g) for g in gradient] + [np.isfinite(record["values"])])
    row["failed_points"] = int(failed.sum())
    scored = [relative_error(ref.context, float(g[index]), ref.gradient[name])
              for index, ref in references.items() if not failed[index]
              for name, g in zip(names, gradient)]
    row["max_rel_error"] = max(scored) if scored else None
    record["gradients"][method_id] = gradient
    record["failed"][method_id] = failed
    return row
