"""Many points at once: value and gradient at every row of a points file, a chunk of rows at a time.

The compiled straight-line code of a method runs on numpy arrays (one array per variable), so 10,000 points
cost one pass, not 10,000.  The command line streams the file (:func:`open_points`): each chunk of rows is
read, evaluated and written before the next is read, so memory is bounded by the chunk, not the file;
the summary (failed points, time, the errors at the sampled points) is kept as running totals.  With
``--scheduler`` each chunk is evaluated (:class:`Evaluator`) as a Dask task instead, and the answers are
added to the same running totals in input order (:func:`diffcli.tasks.cluster.points_on_cluster`).  The mpmath
reference is computed on a sample of the points only (``reference_sample``, evenly spread, first and last
included), which keeps large files fast while still measuring each method's error.

Points files: CSV with a header row of variable names (extra columns are ignored, but must hold numbers),
read by numpy's compiled reader in blocks (:class:`~diffcli.tasks.reading.CsvBlocks`); or ``.npy``, memory
mapped, holding a structured array with one field per variable, or a plain 2-D array whose columns are the
expression's variables in order of first appearance.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from diffcli.core.bounds import Bound, flag
from diffcli.core.codegen import compile_function
from diffcli.core.errors import UsageError
from diffcli.core.evaluate import bind
from diffcli.core.graph import Graph
from diffcli.harness import point as harness_point
from diffcli.harness import reference_or_error, relative_error, run_timed, warm_median_seconds
from diffcli.methods import METHODS
from diffcli.methods.registry import ids
from diffcli.reference import DIGITS, reference
from diffcli.tasks.reading import CsvBlocks, npy_columns, open_input, read_bytes

DEFAULT_REFERENCE_SAMPLE = 3
REFERENCE_SAMPLE = Bound(0, 1000, "each sampled point costs one mpmath reference; 1,000 spread points "
                         "measure a method's error as well as more would")
"""Points of ``--reference-sample`` (at most the number of points is used)."""

NPY_CHUNK_CELLS = 1 << 17
"""Numbers of a ``.npy`` points file evaluated at once (65,536 rows of two variables)."""

MAX_POINTS = 10 ** 10
"""Most points one run reads (a CSV of that many rows is some 300 GB); every output is linear in it."""

_WHAT = "points file"


# ---------------------------------------------------------------- reading


@dataclass
class PointsSource:
    """An open points file: its column ``names``, its number of points when known before reading
    (``.npy``), and ``chunks()``, the ``{name: column}`` tables of successive rows."""

    names: list
    count: int | None
    chunks: Callable[[], Iterator[dict]]


def open_points(path: str) -> PointsSource:
    """The points file at ``path`` (``-``: stdin, CSV), read lazily in chunks; the header (CSV) or the
    ``.npy`` header is read and checked now."""
    if path.endswith(".npy"):
        return _open_npy(path)
    source = open_input(path, _WHAT)
    blocks = CsvBlocks(source, _WHAT, path)

    def chunks():
        with source if path != "-" else contextlib.nullcontext():
            for _, rows in blocks:
                yield {name: rows[:, k] for k, name in enumerate(blocks.names)}
    return PointsSource(blocks.names, None, chunks)


def read_points(path: str) -> dict[str, np.ndarray]:
    """``{variable: column}`` of a whole CSV (header of names) or ``.npy`` file, read at once within
    :data:`~diffcli.tasks.reading.MAX_TABLE_BYTES` (``-`` is stdin, CSV); a plain array gets names
    ``0, 1, …`` resolved against the expression later.  The command line streams instead
    (:func:`open_points`)."""
    content = read_bytes(sys.stdin if path == "-" else path, _WHAT, path)
    if path.endswith(".npy"):
        return npy_columns(io.BytesIO(content), len(content), path, memory_map=False)
    blocks = CsvBlocks(io.BytesIO(content.encode() if isinstance(content, str) else content), _WHAT, path)
    rows = [chunk for _, chunk in blocks]
    table = np.concatenate(rows) if rows else np.empty((0, len(blocks.names)))
    return {name: table[:, k] for k, name in enumerate(blocks.names)}


def _open_npy(path: str) -> PointsSource:
    """A regular ``.npy`` file is memory mapped (its header checked first); anything else is read whole."""
    if path == "-" or not os.path.isfile(path):
        table = read_points(path)
        names = list(table)
        return PointsSource(names, len(next(iter(table.values()))) if table else 0, lambda: iter([table]))
    with open_input(path, _WHAT) as handle:
        table = npy_columns(handle, os.fstat(handle.fileno()).st_size, path, memory_map=True)
    names = list(table)
    count = len(table[names[0]]) if names else 0
    step = max(1, NPY_CHUNK_CELLS // max(len(names), 1))

    def chunks():
        for start in range(0, count, step):
            yield {name: np.asarray(column[start:start + step], dtype=float)
                   for name, column in table.items()}
    return PointsSource(names, count, chunks)


def _column_names(graph: Graph, names: list) -> list:
    """The column of each variable of ``graph``, in its order (a plain array's columns ``0, 1, …`` are the
    variables in order)."""
    variables = graph.variable_names
    if names and all(key.isdigit() for key in names) and not set(variables) & set(names):
        if len(names) != len(variables):
            raise UsageError(f"the points array has {len(names)} columns for {len(variables)} variables "
                             f"({', '.join(variables)})")
        return [str(k) for k in range(len(variables))]
    return bind(graph, {name: name for name in names})


# ---------------------------------------------------------------- evaluating


def at_points(graph: Graph, table: dict, methods: list[str], reference_sample: int = DEFAULT_REFERENCE_SAMPLE,
              digits: int = 30, timing: bool = True) -> dict:
    """Value and gradient by each method at every point of ``table`` (``{variable: column}``, all at once);
    errors against the reference on a sample.

    Returns a record with per-method summaries (``methods``) and the per-point arrays (``values``,
    ``gradients[method]``, ``failed[method]``) for rendering one record per point.
    """
    run = PointsRun(graph, list(table), methods, reference_sample, digits, timing,
                    count=len(next(iter(table.values()))) if table else 0)
    chunk = run.chunk(table)
    return {**run.summary(), **chunk}


class Evaluator:
    """f and the array form of each method for one graph, each compiled once: :meth:`block` evaluates them
    on one block of points, here or on a Dask worker (:func:`diffcli.tasks.cluster.run_block`)."""

    def __init__(self, graph: Graph, timing: bool):
        self.graph, self.timing = graph, timing
        self.f = compile_function(graph, kind="array")
        self.forms: dict = {}

    def block(self, columns: list, methods: list) -> dict:
        """f's ``values`` at the points of ``columns`` (one array per variable), its ``f_seconds``, and for
        each method of ``methods`` its run there (``setup_seconds``, ``seconds``, ``error``, ``gradient``)."""
        size = len(columns[0]) if columns else 0
        with np.errstate(all="ignore"):
            (values,) = self.f(*columns)
            values = np.broadcast_to(np.asarray(values, dtype=float), (size,))
            f_seconds = warm_median_seconds(lambda: self.f(*columns)) if self.timing else None
            runs = {method: self._run(method, columns) for method in methods}
        return {"values": values, "f_seconds": f_seconds, "methods": runs}

    def _run(self, method: str, columns: list) -> dict:
        def prepare():
            if method not in self.forms:
                form = METHODS[method].arrays(self.graph)

                def broadcast(argument):
                    gradient, evaluations = form(argument)
                    shape = (len(argument[0]),)
                    return [np.broadcast_to(np.asarray(g, dtype=float), shape) for g in gradient], evaluations
                self.forms[method] = broadcast
            return self.forms[method]

        outcome = run_timed(prepare, columns, self.timing)
        return {"setup_seconds": outcome.setup_seconds, "seconds": outcome.seconds, "error": outcome.error,
                "gradient": outcome.result}


def lost_block(columns: list, methods: list, why: str) -> dict:
    """What :meth:`Evaluator.block` would give for a block none of whose evaluations came back: f and every
    method undefined at each of its points, and ``why`` (:attr:`PointsRun.lost` says it)."""
    size = len(columns[0]) if columns else 0
    undefined = [np.full(size, math.nan)] * len(columns)
    return {"values": np.full(size, math.nan), "f_seconds": 0.0, "lost": why,
            "methods": {m: {"setup_seconds": None, "seconds": 0.0, "error": None, "gradient": undefined}
                        for m in methods}}


class PointsRun:
    """One ``--points`` run, fed chunk by chunk: :meth:`chunk` evaluates a chunk of rows and returns its
    per-point arrays; :meth:`summary` is the record of every method over all the points fed.  A chunk
    evaluated elsewhere (a Dask worker) is fed in two steps: :meth:`columns_of` its table, then
    :meth:`absorb` what :meth:`Evaluator.block` made of it, chunk after chunk in input order.

    ``count``, when known before reading (``.npy``), places the reference sample exactly; otherwise the
    sample is drawn from a bounded, evenly spread set of kept rows (:class:`Spread`).
    """

    def __init__(self, graph: Graph, names: list, methods: list[str], reference_sample: int = 3,
                 digits: int = 30, timing: bool = True, count: int | None = None):
        self.reference_sample = REFERENCE_SAMPLE.check(reference_sample, "reference_sample")
        self.digits, self.timing = DIGITS.check(digits, "digits"), flag(timing, "timing")
        batched = ids("arrays")
        unknown = [m for m in methods if m not in batched]
        if unknown:
            raise UsageError(f"method {unknown[0]!r} has no batched form yet; with --points choose from "
                             f"{', '.join(batched)}")
        self.graph, self.methods, self.columns = graph, list(methods), _column_names(graph, names)
        self.evaluator = Evaluator(graph, self.timing)
        self.count, self.read, self.f_seconds = 0, 0, 0.0 if timing else None
        self.rows = {m: {"method": m, "setup_seconds": None, "seconds": None, "seconds_per_point": None,
                         "max_rel_error": None, "failed_points": None, "error": None} for m in methods}
        self.started: set = set()  # the methods whose first chunk is absorbed
        self.lost: list = []  # why each block that could not be evaluated was lost (lost_block)
        width = len(self.columns) * (1 + len(methods)) + 1 + len(methods)
        self.spread = Spread(self.reference_sample, width, count)

    def chunk(self, table: dict) -> dict:
        """Evaluate f and every method on one chunk of rows; the chunk's record (``start``, ``values``,
        ``gradients``, ``failed``, ``columns``) for writing its points."""
        columns = self.columns_of(table)
        return self.absorb(columns, self.evaluator.block(columns, self.running()))

    def columns_of(self, table: dict) -> list:
        """The columns of a chunk's table (``{name: column}``), one float array per variable in order."""
        columns = [np.ascontiguousarray(table[name], dtype=float) for name in self.columns]
        size = len(columns[0]) if columns else 0
        if len({len(c) for c in columns}) > 1:
            raise UsageError("the point columns have different lengths")
        if self.read + size > MAX_POINTS:
            raise UsageError(f"more than {MAX_POINTS:,} points (MAX_POINTS)")
        self.read += size
        return columns

    def running(self) -> list:
        """The methods still evaluated: a method that failed on a chunk is not run on the later ones."""
        return [m for m in self.methods if not self.rows[m]["error"]]

    def absorb(self, columns: list, block: dict) -> dict:
        """Add the next chunk, ``columns`` evaluated as ``block``, to the running summary; its record."""
        size, start, values = len(block["values"]), self.count, block["values"]
        if self.timing:
            self.f_seconds += block["f_seconds"]
        if "lost" in block:
            self.lost.append(f"points {start} to {start + size - 1}: {block['lost']}")
        record = {"start": start, "points": size, "variables": self.graph.variable_names, "values": values,
                  "gradients": {}, "failed": {}, "columns": columns}
        for method in self.methods:
            if method in block["methods"] and not self.rows[method]["error"]:
                self._add(method, block["methods"][method], values, record)
        self.count += size
        parts = [*columns, values[:, None]]
        for method in self.methods:
            gradient = record["gradients"].get(method, [np.full(size, math.nan)] * len(columns))
            parts += [*gradient, record["failed"].get(method, np.ones(size, dtype=bool))]
        self.spread.offer(start, size, lambda chosen: np.column_stack([np.asarray(p)[chosen] for p in parts]))
        return record

    def _add(self, method: str, run: dict, values, record: dict) -> None:
        row = self.rows[method]
        first = method not in self.started
        self.started.add(method)
        if first:
            row["setup_seconds"] = run["setup_seconds"]
        if run["error"]:
            row["error"] = run["error"] if first else f"{run['error']} (at the points from {self.count} on)"
            return
        if self.timing:
            row["seconds"] = (row["seconds"] or 0.0) + run["seconds"]
        gradient = run["gradient"]
        failed = ~np.logical_and.reduce([np.isfinite(g) for g in gradient] + [np.isfinite(values)])
        row["failed_points"] = (row["failed_points"] or 0) + int(failed.sum())
        record["gradients"][method], record["failed"][method] = gradient, failed

    def summary(self) -> dict:
        """The record of the whole run: each method's row, the reference's sample and the errors there."""
        if not self.count:
            raise UsageError("the points file has no points")
        names, size = self.graph.variable_names, len(self.columns)
        chosen = self.spread.chosen(self.count)
        scored: dict = {m: [] for m in self.methods}
        computed, note = [], None
        # One time limit for the whole sample (read now), not one per point: 1,000 slow points must not
        # take 1,000 limits.  Past it, the points not reached are left out and a note says so.
        limit, started = harness_point.REFERENCE_TIME_LIMIT, time.monotonic()
        for count, (index, kept) in enumerate(chosen):
            if not math.isfinite(kept[size]):
                continue
            left = limit - (time.monotonic() - started)
            if left <= 0:
                note = (f"the reference sample stopped at its time limit ({limit:g} s for the whole sample) "
                        f"after {count} of {len(chosen)} points")
                break
            point = dict(zip(names, map(float, kept[:size])))
            ref, _ = reference_or_error(lambda point=point: reference(self.graph, point, self.digits), left)
            if ref is None:  # a sample point without a reference is left out of the errors (``computed``)
                continue
            computed.append(index)
            for k, method in enumerate(self.methods):
                at = size + 1 + k * (size + 1)
                if not kept[at + size]:  # a partial without a reference value scores nothing (None)
                    errors = [relative_error(ref.context, float(g), ref.gradient[name])
                              for name, g in zip(names, kept[at:at + size])]
                    scored[method] += [e for e in errors if e is not None]
        for method, row in self.rows.items():
            if row["error"] is None and scored[method]:
                row["max_rel_error"] = max(scored[method])
            if row["seconds"] is not None:
                row["seconds_per_point"] = row["seconds"] / self.count
        return {"expression": self.graph.source, "points": self.count, "variables": names,
                "f_seconds": self.f_seconds,
                "reference": {"digits": self.digits, "sample": [index for index, _ in chosen],
                              "computed": computed, **({"note": note} if note else {})},
                "methods": [self.rows[m] for m in self.methods]}


class Spread:
    """The rows of the reference sample, kept while the points stream by.

    With the number of points known, exactly the evenly spread indices (first and last included) are kept.
    Otherwise every ``stride``-th row is kept, the stride doubling whenever more than ``limit`` are kept,
    with the last row seen: each sampled point is then the kept row nearest its evenly spread place (the
    same place while there are at most ``limit`` points, within ``stride / 2`` rows of it past that).
    """

    def __init__(self, size: int, width: int, count: int | None = None):
        self.size, self.count, self.stride = size, count, 1
        self.limit = max(4 * size, 16, min(4096, (1 << 22) // max(width, 1)))
        self.indices, self.rows, self.last = np.empty(0, dtype=np.int64), [], None
        self.wanted = None if count is None else np.array(_evenly(size, count), dtype=np.int64)

    def offer(self, start: int, size: int, rows: Callable) -> None:
        """Consider rows ``start … start + size - 1``; ``rows(local indices)`` gives their kept values."""
        if not size or not self.size:
            return
        if self.wanted is not None:
            local = self.wanted[(self.wanted >= start) & (self.wanted < start + size)] - start
        else:
            while size > self.limit * self.stride:  # a long chunk: never more than ``limit`` rows at once
                self._thin()
            local = np.arange((-start) % self.stride, size, self.stride)
            self.last = (start + size - 1, rows(np.array([size - 1]))[0])
        if len(local):
            self.indices = np.concatenate([self.indices, local + start])
            self.rows.append(rows(local))
        while self.wanted is None and len(self.indices) > self.limit:
            self._thin()

    def _thin(self) -> None:
        """Double the stride, keeping the rows at its multiples."""
        self.stride *= 2
        kept = self.indices % self.stride == 0
        rows = np.concatenate(self.rows) if self.rows else np.empty((0, 0))
        self.indices, self.rows = self.indices[kept], [rows[kept]] if len(rows) else []

    def chosen(self, count: int) -> list:
        """``(index, kept row)`` of each sampled point, in order."""
        if not self.size or not len(self.indices):
            return []
        rows = np.concatenate(self.rows)
        if self.wanted is not None:
            return list(zip(self.indices.tolist(), rows))
        indices, rows = self.indices, list(rows)
        if self.last is not None and self.last[0] != indices[-1]:
            indices, rows = np.append(indices, self.last[0]), rows + [self.last[1]]
        picked = sorted({int(np.abs(indices - target).argmin()) for target in _evenly(self.size, count)})
        return [(int(indices[k]), rows[k]) for k in picked]


def _evenly(size: int, count: int) -> list:
    """``size`` indices evenly spread over ``count`` points, first and last included."""
    return sorted({round(k * (count - 1) / max(size - 1, 1)) for k in range(size)})
