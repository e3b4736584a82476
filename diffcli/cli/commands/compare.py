"""``diffcli compare``: all methods against the reference, one table (or one record per line of a file)."""

from __future__ import annotations

import contextlib
import functools
from typing import Annotated, Optional

import typer

from diffcli.cli.app import (
    ExpressionArg,
    FileOption,
    FormatOption,
    JobsOption,
    PointArg,
    app,
    emit,
    expression_and_point,
    note,
    note_warnings,
    terminal_width,
)
from diffcli.cli.options import (
    NO_FILE,
    NO_FILE_MEMORY,
    DigitsOption,
    MaxMemoryOption,
    QuietOption,
    StrictOption,
    TimingOption,
    bounded,
    check_bindings,
    methods_option,
    refuse_unused,
    timing_default,
)
from diffcli.methods.registry import ids


@app.command(short_help="All methods against the mpmath reference, one table.",
             help="All methods against the mpmath reference, one table; with --file, one record per line "
                  "of an expression file.\n\n"
                  "Example: diffcli compare \"exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)\" x=2 z=3")
def compare(ctx: typer.Context, expression: ExpressionArg = None, point: PointArg = None,
            methods: Annotated[Optional[str], methods_option(ids("point"))] = None,
            digits: DigitsOption = 50, timing: TimingOption = None,
            tolerance: Annotated[Optional[float], typer.Option(
                "--tolerance", metavar="TOL", show_default=False,
                callback=bounded("diffcli.tasks.compare", "TOLERANCE", "--tolerance"),
                help="Exit 1 when a method's max relative error exceeds TOL (or it has none).")] = None,
            eps: Annotated[Optional[float], typer.Option(
                "--eps", metavar="H", show_default=False,
                callback=bounded("diffcli.harness.running", "STEP", "--eps"),
                help="Step of every finite difference (richardson: its first).")]
            = None,
            file: FileOption = None, jobs: JobsOption = 1, max_memory: MaxMemoryOption = None,
            scheduler: Annotated[Optional[str], typer.Option(
                "--scheduler", metavar="ADDRESS", envvar="DIFFCLI_SCHEDULER", show_default=False,
                show_envvar=False,
                help="Run --file or --points on this Dask scheduler (env DIFFCLI_SCHEDULER).")]
            = None,
            points: Annotated[Optional[str], typer.Option(
                "--points", metavar="FILE", show_default=False,
                help="Each row of CSV/.npy FILE, streamed ('-': stdin).")]
            = None,
            reference_sample: Annotated[int, typer.Option(
                "--reference-sample", metavar="K",
                callback=bounded("diffcli.tasks.points", "REFERENCE_SAMPLE", "--reference-sample"),
                help="With --points: the reference at K of them.")] = 3,
            wide: Annotated[bool, typer.Option(
                "--wide", help="Every column of the table (estimates, absolute errors, richardson's error "
                               "estimate, setup time), not only those that fit the terminal "
                               "(COLUMNS).")] = False,
            format: FormatOption = "table", quiet: QuietOption = False, strict: StrictOption = False):
    from diffcli.core.parse import parse_point
    from diffcli.tasks.compare import compare as run_compare
    from diffcli.tasks.compare import select_methods, tolerance_failures

    expression, words = expression_and_point(expression, point, file)
    cluster_reason = "--scheduler runs the lines or points on the Dask cluster's workers"
    refuse_unused(ctx, jobs=cluster_reason if scheduler else None if file else NO_FILE,
                  max_memory=cluster_reason if scheduler else None if file else NO_FILE_MEMORY,
                  scheduler=None if file or points else "it runs the lines of --file or the points of "
                                                        "--points on a Dask cluster, and there are none",
                  reference_sample=None if points else "it samples the rows of --points, and there is none",
                  eps=None if points is None else "--points runs the methods that evaluate arrays of points "
                                                  "with their own steps")
    scheduler = scheduler if file or points else None  # DIFFCLI_SCHEDULER applies to those runs only
    at = parse_point(words)
    timing = timing_default(timing, file)
    if scheduler is not None:
        from diffcli.tasks.cluster import require

        scheduler = require(scheduler, reach=True)  # a wrong address is exit 2 before any output
    if points is not None:
        return _points(expression, at, points, methods, reference_sample, digits, timing, tolerance, format,
                       scheduler)
    methods = select_methods(methods)  # a wrong id is exit 2 before any line runs
    check = None if tolerance is None else functools.partial(tolerance_failures, tolerance=tolerance)
    if file is not None:
        from diffcli.cli.runner import run_file
        from diffcli.render.compare import file_output

        task = functools.partial(run_compare, methods=methods, digits=digits, timing=timing, eps=eps)
        return run_file(file, task, at, format, jobs, file_output(terminal_width()), check=check,
                        max_memory=max_memory, scheduler=scheduler)

    from diffcli.core.parse import as_graph
    from diffcli.render.compare import render

    expression = as_graph(expression)
    check_bindings(expression, at, strict)
    record = run_compare(expression, at, methods=methods, digits=digits, timing=timing, eps=eps)
    emit(render(record, format, width=terminal_width(), wide=wide))
    note_warnings(record)
    failures = check(record) if check else []
    for message in failures:
        note(message)
    return 1 if failures else 0


def _points(expression, at, path, methods, reference_sample, digits, timing, tolerance, format,
            scheduler) -> int:
    """``compare --points FILE``: every row of a points file, a chunk at a time (see
    :mod:`diffcli.tasks.points`), here or with ``scheduler`` as Dask tasks
    (:func:`diffcli.tasks.cluster.points_on_cluster`); jsonl and csv write each chunk's points as soon as
    it and every chunk before it are done."""
    from diffcli.core.errors import UsageError
    from diffcli.core.parse import as_graph
    from diffcli.render.points import STREAMING, chunk_text, render
    from diffcli.tasks.compare import select_methods
    from diffcli.tasks.points import PointsRun, open_points

    if at:
        raise UsageError(f"with --points the point comes from {path}; drop {next(iter(at))}=…")
    # any known id passes here; PointsRun says which have no form for arrays of points
    chosen = select_methods(None, form="arrays") if methods is None else select_methods(methods, form=None)
    graph = as_graph(expression)
    source = open_points(path)
    run = PointsRun(graph, source.names, chosen, reference_sample=reference_sample, digits=digits,
                    timing=timing, count=source.count)
    if scheduler is None:
        pieces = (run.chunk(table) for table in source.chunks())
    else:
        from diffcli.tasks.cluster import points_on_cluster

        pieces = points_on_cluster(run, source.chunks(), scheduler)
    shown = None  # the methods of the first chunk: the columns of every chunk
    with contextlib.closing(pieces):  # a closed output or Ctrl-C: the cluster's client closes now
        for piece in pieces:
            if format in STREAMING:
                emit(chunk_text(piece, format, shown or list(piece["gradients"]), first=shown is None))
                shown = shown or list(piece["gradients"])
    record = run.summary()
    if format not in STREAMING:
        emit(render(record, format))
    return _points_notes(record, tolerance, run.lost)


def _points_notes(record: dict, tolerance, lost: list) -> int:
    """Failed points on stderr whatever the format (a summary table is not the only one to hear it); exit
    status 1 past ``--tolerance`` or when a block of points was lost on a cluster."""
    for why in lost:
        note(f"lost on the cluster: {why}")
    for row in record["methods"]:
        if row["error"]:
            note(f"{row['method']}: {row['error']}")
        if row["failed_points"]:
            note(f"{row['failed_points']} of {record['points']} points failed for {row['method']}: no finite "
                 "gradient there (null in --format jsonl, empty in csv)")
    failures = [row for row in record["methods"] if tolerance is not None and
                (row["max_rel_error"] is None or row["max_rel_error"] > tolerance or row["failed_points"])]
    for row in failures:
        note(f"{row['method']}: max relative error {row['max_rel_error']} over the sampled points, "
             f"{row['failed_points']} failed points; tolerance {tolerance:g}")
    return 1 if failures or lost else 0
