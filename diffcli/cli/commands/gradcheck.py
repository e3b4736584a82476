"""``diffcli gradcheck``: check the gradient code of a Python function.  Exit 0 if every checked coordinate
passes, 1 if one fails or cannot be decided, 2 for bad usage (or the user's code failing at the point)."""

from __future__ import annotations

import contextlib
import sys
from typing import Annotated, List, Optional

import typer

from diffcli.cli.app import FormatOption, app, emit, note_warnings, settings, terminal_width
from diffcli.cli.options import (
    AtolOption,
    DirectionsOption,
    MaxCoordinatesOption,
    QuietOption,
    RtolOption,
    SamplesOption,
    SeedOption,
    refuse_unused,
)


@app.command(short_help="Check the gradient code of a Python function (runs that code).",
             help="Check Python gradient code against finite differences, each coordinate within its "
                  "own error bound. TARGET (FILE.py:FUNCTION or MODULE:FUNCTION) and --grad are imported "
                  "and run. Exit 0 all pass, 1 a failure or undecided.\n\n"
                  "Example: diffcli gradcheck model.py:loss --grad model.py:grad --at point.npz")
def gradcheck(ctx: typer.Context, target: Annotated[str, typer.Argument(metavar="TARGET", show_default=False,
                                                    help="The function f.")],
              point: Annotated[Optional[List[str]], typer.Argument(
                  metavar="[NAME=VALUE]...", show_default=False, help="Named scalar inputs.")] = None,
              grad: Annotated[Optional[str], typer.Option(
                  "--grad", metavar="TARGET", show_default=False,
                  help="The gradient function.")] = None,
              value_and_grad: Annotated[bool, typer.Option(
                  "--value-and-grad", help="TARGET returns (value, gradient).")] = False,
              at: Annotated[Optional[List[str]], typer.Option(
                  "--at", metavar="FILE", show_default=False,
                  help="A point: .npy, .npz or .json; repeat for more.")] = None,
              samples: SamplesOption = 5, seed: SeedOption = 0,
              shape: Annotated[Optional[List[str]], typer.Option(
                  "--shape", metavar="[NAME=]D,D", show_default=False,
                  help="Random points' shape: 3,4, or W=3,4 per input.")]
              = None,
              box: Annotated[str, typer.Option("--box", metavar="LOW:HIGH",
                                               help="Range of random starts.")] = "-2:2",
              dtype: Annotated[str, typer.Option("--dtype", metavar="float64|float32",
                                                 help="dtype of random and NAME=VALUE points.")]
              = "float64",
              max_coordinates: MaxCoordinatesOption = 300, directions: DirectionsOption = 16,
              rtol: RtolOption = None, atol: AtolOption = None,
              format: FormatOption = "table", quiet: QuietOption = False):
    from diffcli.core.errors import UsageError
    from diffcli.render.gradcheck import render
    from diffcli.tasks.gradcheck import gradcheck as run_gradcheck
    from diffcli.tasks.gradinputs import points_from_options, structure
    from diffcli.tasks.usercode import load

    if (grad is None) == (not value_and_grad):
        raise UsageError("give the gradient: --grad FILE.py:FUNCTION, or --value-and-grad when TARGET "
                         "returns (value, gradient) — one of the two")
    random = None if shape else "random points are drawn only for a --shape"
    refuse_unused(ctx, samples=random, box=random)
    points = points_from_options(at or [], point or [], shape or [], samples, seed, box, dtype)
    if all(structure(p).size <= max_coordinates for p in points):
        refuse_unused(ctx, directions=f"every coordinate is checked (at most {max_coordinates:,} per point); "
                                      "random directions are checked only when the coordinates are sampled")
    progress = _Progress() if _shows_progress() else None
    # the user's code may print: its output goes to stderr, so that stdout holds the records alone
    with contextlib.redirect_stdout(sys.stderr):
        f = load(target)
        gradient = load(grad, "--grad") if grad else None
        try:
            record = run_gradcheck(f, gradient, points=points, value_and_grad=value_and_grad,
                                   max_coordinates=max_coordinates, directions=directions, seed=seed,
                                   rtol=rtol, atol=atol, progress=progress, names=(target, grad or target))
        finally:
            if progress is not None:
                progress.finish()
    emit(render(record, format, width=terminal_width()))
    note_warnings(record)
    return 0 if record["verdict"] == "pass" else 1


def _shows_progress() -> bool:
    return not settings.quiet and sys.stderr.isatty()


class _Progress:
    """``gradcheck: point 1 of 3: 64 of 300 coordinates`` on one stderr line, rewritten in place, ended by
    :meth:`finish`."""

    shown = False

    def __call__(self, where: tuple, done: int, total: int, method: str) -> None:
        index, count = where
        sys.stderr.write(f"\rdiffcli: gradcheck: point {index + 1} of {count}: {done} of {total} "
                         f"coordinates by {method}   ")
        sys.stderr.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
