"""``diffcli optimize``: the optimizers that consume reverse-mode gradients, side by side."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from diffcli.cli.app import FormatOption, PointArg, app, emit, write_file
from diffcli.cli.options import (
    ExpressionOnlyArg,
    PlotOption,
    QuietOption,
    SeedOption,
    StrictOption,
    TimingOption,
    bounded,
    check_bindings,
    hidden_alias,
    merged_alias,
    methods_option,
    refuse_unused,
    timing_default,
)

_HYPER = "Hyper-parameters"
_STOP = "Stopping"
_DATA = "Data mode"
_OUT = "Output"

OPTIMIZERS_HELP = "Update rules (default: {default})."


def _option(*names, help, panel=None, **extra):
    """An option of this command; a numeric one is checked against its bound in the library (:data:`BOUNDS`)
    when the command line is read."""
    where = BOUNDS.get(names[0])
    if where:
        extra["callback"] = bounded(f"diffcli.tasks.{where[0]}", where[1], names[0], *where[2:])
    return typer.Option(*names, help=help, rich_help_panel=panel, **extra)


BOUNDS = {
    **{f"--{name}": ("updates", "HYPER", name) for name in ("lr", "momentum", "decay", "beta1", "beta2",
                                                            "epsilon")},
    **{f"--{name.replace('_', '-')}": ("runs", "STOPPING", name)
       for name in ("max_steps", "min_steps", "window", "tol", "patience", "check_every")},
    "--l2": ("optimize", "L2"), "--restarts": ("optimize", "RESTARTS"), "--batch": ("optimize", "BATCH"),
    "--validation": ("optimize", "VALIDATION"),
}
"""Where each numeric option's bound is defined: module of :mod:`diffcli.tasks`, constant, key."""


def _check_outputs(data: str | None, **outputs) -> None:
    """Each file an option writes (``--history``, ``--plot``) needs a name, and is never the ``--data`` file,
    which writing it would overwrite: both are refused before anything runs."""
    from diffcli.core.errors import UsageError

    for option, path in outputs.items():
        if path is None:
            continue
        if not path.strip():
            raise UsageError(f"--{option} needs a file name; it was given an empty one")
        if data not in (None, "-") and _same_file(path, data):
            raise UsageError(f"--{option} {path!r} is the --data file; writing it would overwrite the data")


def _same_file(a: str, b: str) -> bool:
    if os.path.exists(a) and os.path.exists(b):
        return os.path.samefile(a, b)
    return os.path.abspath(a) == os.path.abspath(b)


@app.command(short_help="Minimize EXPR with sgd, momentum, rmsprop and adam; rank them.",
             help="\b\nMinimize EXPR with each update rule (see diffcli methods); rank the runs.\n"
                  "Example: diffcli optimize \"(1-x)**2 + 100*(y-x**2)**2\" x=-1.2 y=1")
def optimize(
    ctx: typer.Context,
    expression: ExpressionOnlyArg,
    point: PointArg = None,
    methods: Annotated[Optional[str], methods_option(None, "sgd,momentum,rmsprop,adam", OPTIMIZERS_HELP)]
    = None,
    optimizers: Annotated[Optional[str], hidden_alias("--optimizer", "-o")] = None,
    lr: Annotated[float, _option("--lr", metavar="η", help="Learning rate.",
                                 panel=_HYPER)] = 0.001,
    momentum: Annotated[float, _option("--momentum", metavar="β", help="β of the momentum rules.",
                                       panel=_HYPER)] = 0.9,
    decay: Annotated[float, _option("--decay", metavar="β", help="β of rmsprop.", panel=_HYPER)] = 0.9,
    beta1: Annotated[float, _option("--beta1", metavar="β1", help="β1 of adam.", panel=_HYPER)] = 0.9,
    beta2: Annotated[float, _option("--beta2", metavar="β2", help="β2 of adam.", panel=_HYPER)] = 0.999,
    epsilon: Annotated[float, _option("--epsilon", metavar="ε", help="ε of rmsprop and adam.",
                                      panel=_HYPER)] = 1e-8,
    l2: Annotated[float, _option("--l2", metavar="λ", help="Add λ·Σw² to the objective.",
                                 panel=_HYPER)] = 0.0,
    max_steps: Annotated[int, _option("--max-steps", metavar="N", help="Most updates per run.",
                                      panel=_STOP)] = 20_000,
    min_steps: Annotated[int, _option("--min-steps", metavar="N", help="Fewest updates before --tol.",
                                      panel=_STOP)] = 100,
    window: Annotated[int, _option("--window", metavar="N", help="Steps --tol looks back.",
                                   panel=_STOP)] = 100,
    tol: Annotated[float, _option("--tol", metavar="TOL", help="Stop below this relative gain.",
                                  panel=_STOP)] = 1e-10,
    restarts: Annotated[int, _option("--restarts", metavar="K", help="K random starts in --box.",
                                     panel=_STOP)] = 0,
    box: Annotated[str, _option("--box", metavar="LOW:HIGH", help="Range of random starts.",
                                panel=_STOP)] = "-2:2",
    seed: SeedOption = 0,
    data: Annotated[Optional[str], _option("--data", metavar="CSV", help="Loss per row of CSV ('-': stdin).",
                                           panel=_DATA, show_default=False)] = None,
    params: Annotated[Optional[str], _option("--params", metavar="NAMES", help="Names to fit (default: all).",
                                             panel=_DATA, show_default=False)] = None,
    batch: Annotated[Optional[int], _option("--batch", metavar="N", help="Rows per step (default: all).",
                                            panel=_DATA,
                                            show_default=False)] = None,
    validation: Annotated[float, _option("--validation", metavar="F", help="Rows held out to stop early.",
                                         panel=_DATA)] = 0.0,
    patience: Annotated[int, _option("--patience", metavar="N", help="Checks without gain.",
                                     panel=_DATA)] = 5,
    check_every: Annotated[Optional[int], _option("--check-every", metavar="N", help="Steps between checks.",
                                                  panel=_DATA, show_default=False)] = None,
    history: Annotated[Optional[str], _option("--history", metavar="FILE", help="CSV of the loss per step.",
                                              panel=_OUT, show_default=False)] = None,
    plot: PlotOption = None, timing: TimingOption = None,
    format: FormatOption = "table", quiet: QuietOption = False, strict: StrictOption = False,
):
    from diffcli.core.parse import as_graph, parse_point
    from diffcli.render import optimize as render
    from diffcli.render.base import draws_figures
    from diffcli.render.plot import image_format, require
    from diffcli.tasks.optimize import Hyper, Stopping, parse_box
    from diffcli.tasks.optimize import optimize as run_optimize

    no_validation = None if validation else "it belongs to early stopping, and there is no --validation"
    refuse_unused(ctx, patience=no_validation, check_every=no_validation,
                  box=None if restarts else "it bounds the random starts of --restarts, and there are none")
    optimizers = merged_alias(methods, optimizers, "--optimizer")
    image = image_format(plot) if plot not in (None, "terminal") else None
    _check_outputs(data, history=history, plot=plot if image else None)
    if plot:
        require(image=bool(image))
    graph, start = as_graph(expression), parse_point(point or [])
    check_bindings(graph, start, strict)
    record = run_optimize(
        graph, start, optimizers=optimizers,
        hyper=Hyper(lr=lr, momentum=momentum, decay=decay, beta1=beta1, beta2=beta2, epsilon=epsilon),
        stopping=Stopping(max_steps=max_steps, min_steps=min_steps, window=window, tol=tol, patience=patience,
                          check_every=check_every),
        l2=l2, restarts=restarts, box=parse_box(box), seed=seed, data=sys.stdin if data == "-" else data,
        params=params, batch=batch, validation=validation, timing=timing_default(timing, None),
        history=history is not None or bool(plot))

    if history is not None:
        write_file(history, render.history_csv(record) + "\n")
    if image:
        write_file(plot, render.plot_image(record, image))
    shown = draws_figures(format)  # a table ends with the terminal plot; the other formats leave it to stderr
    color = (sys.stdout if shown else sys.stderr).isatty() and not os.environ.get("NO_COLOR")
    figure = (lambda: render.plot_terminal(record, color=color)) if plot == "terminal" else None
    emit(render.render(record, format, figure=figure if shown else None))
    if figure is not None and not shown:
        typer.echo("\n" + figure(), file=sys.stderr)
