"""``diffcli optimize``: the optimizers that consume reverse-mode gradients, side by side."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from diffcli.cli.app import ExpressionArg, FormatOption, PointArg, app, emit, write_file

_HYPER = "Hyper-parameters"
_STOP = "Stopping"
_DATA = "Data mode"
_OUT = "Output"


def _option(*names, help, panel=None, **extra):
    return typer.Option(*names, help=help, rich_help_panel=panel, **extra)


@app.command(help="Minimize EXPR from a start point with sgd, momentum, rmsprop and adam (gradients by "
                  "compiled reverse mode) and rank them: final loss, parameters, steps, gradient "
                  "evaluations, time and the criterion that stopped each run.\n\n"
                  "Update rules (the lecture's): sgd W ← W − η·G_t; momentum W ← W − η·(β·G_{t−1} + G_t) "
                  "(the lecture's form; momentum-velocity is the common V_t = β·V_{t−1} + G_t, "
                  "W ← W − η·V_t); rmsprop S_t = β·S_{t−1} + (1−β)·G_t², W ← W − γ·G_t/√(S_t + ε); "
                  "adam M_t = β1·M_{t−1} + (1−β1)·G_t, S_t = β2·S_{t−1} + (1−β2)·G_t², "
                  "W ← W − γ·(M_t/(1−β1^t))/(√(S_t/(1−β2^t)) + ε)."
                  "\n\n"
                  "A run stops when f, the gradient or W is not finite (diverged) or f leaves its domain "
                  "(undefined); with --validation, when the validation loss has not improved for "
                  "--patience checks (early-stopping); at --max-steps; or, after --min-steps, when the loss "
                  "went down by less than tol·max(1, |f|) over the last --window steps (tol).\n\n"
                  "Data mode: with --data FILE.csv --params w,b, EXPR is a per-example loss whose other "
                  "names are CSV columns, and the objective is its mean over the training rows.\n\n"
                  "Example: diffcli optimize \"(1-x)**2 + 100*(y-x**2)**2\" x=-1.2 y=1")
def optimize(
    expression: ExpressionArg,
    point: PointArg = None,
    optimizers: Annotated[str, _option("--optimizer", "-o", help="Comma-separated update rules: sgd, "
                                       "momentum, momentum-velocity, rmsprop, adam.")]
    = "sgd,momentum,rmsprop,adam",
    lr: Annotated[float, _option("--lr", help="Learning rate: η of sgd/momentum, γ of rmsprop/adam.",
                                 panel=_HYPER)] = 0.001,
    momentum: Annotated[float, _option("--momentum", help="β of momentum and momentum-velocity.",
                                       panel=_HYPER)] = 0.9,
    decay: Annotated[float, _option("--decay", help="β of rmsprop (decay of the mean square).",
                                    panel=_HYPER)] = 0.9,
    beta1: Annotated[float, _option("--beta1", help="β1 of adam.", panel=_HYPER)] = 0.9,
    beta2: Annotated[float, _option("--beta2", help="β2 of adam.", panel=_HYPER)] = 0.999,
    epsilon: Annotated[float, _option("--epsilon", help="ε of rmsprop and adam.", panel=_HYPER)] = 1e-8,
    l2: Annotated[float, _option("--l2", help="Add l2·Σw² over the parameters to the objective.",
                                 panel=_HYPER)] = 0.0,
    max_steps: Annotated[int, _option("--max-steps", help="Stop after this many updates.",
                                      panel=_STOP)] = 20_000,
    min_steps: Annotated[int, _option("--min-steps", help="Never stop on --tol before this many updates.",
                                      panel=_STOP)] = 100,
    window: Annotated[int, _option("--window", help="Steps over which the improvement is measured.",
                                   panel=_STOP)] = 100,
    tol: Annotated[float, _option("--tol", help="Stop when the loss went down by less than tol·max(1, |f|) "
                                  "over the last --window steps.", panel=_STOP)] = 1e-10,
    restarts: Annotated[int, _option("--restarts", help="Run K times from random starts in --box (the same K "
                                     "starts for every optimizer); report the best run and the spread.",
                                     panel=_STOP)] = 0,
    box: Annotated[str, _option("--box", help="LOW:HIGH, the interval the random starts are drawn from.",
                                panel=_STOP)] = "-2:2",
    seed: Annotated[int, _option("--seed", help="Seed of the random starts, mini-batches and validation "
                                 "split: the same seed gives the same output.", panel=_STOP)] = 0,
    data: Annotated[Optional[str], _option("--data", help="CSV file with a header row ('-' for stdin).",
                                           panel=_DATA, show_default=False)] = None,
    params: Annotated[Optional[str], _option("--params", help="Comma-separated names to optimize "
                                             "(required with --data; default: every variable). "
                                             "Without a start value a "
                                             "parameter starts at 0 in data mode.", panel=_DATA,
                                             show_default=False)] = None,
    batch: Annotated[Optional[int], _option("--batch", help="Mini-batch size: examples sampled per step "
                                            "(default: all training rows).", panel=_DATA,
                                            show_default=False)] = None,
    validation: Annotated[float, _option("--validation", help="Fraction of the rows held out for early "
                                         "stopping.", panel=_DATA)] = 0.0,
    patience: Annotated[int, _option("--patience", help="With --validation: stop when the validation loss "
                                     "has not improved for this many checks; report the best weights.",
                                     panel=_DATA)] = 5,
    check_every: Annotated[Optional[int], _option("--check-every", help="Steps between validation checks "
                                                  "(default: one epoch, at least 10 steps).", panel=_DATA,
                                                  show_default=False)] = None,
    history: Annotated[Optional[str], _option("--history", help="Write the loss at every step to this CSV "
                                              "file.", panel=_OUT, show_default=False)] = None,
    plot: Annotated[Optional[str], _option("--plot", help="Convergence plot (loss against step, log scale): "
                                           "'terminal', or a .png/.svg/.pdf file.", panel=_OUT,
                                           show_default=False)] = None,
    timing: Annotated[bool, _option("--timing/--no-timing", help="Show the time of each run (--no-timing "
                                    "makes the output identical from run to run).", panel=_OUT)] = True,
    format: FormatOption = "table",
):
    from diffcli.core.parse import parse_point
    from diffcli.render import optimize as render
    from diffcli.render.base import draws_figures
    from diffcli.render.plot import image_format, require
    from diffcli.tasks.optimize import Hyper, Stopping, parse_box
    from diffcli.tasks.optimize import optimize as run_optimize

    image = image_format(plot) if plot not in (None, "terminal") else None
    if plot:
        require(image=bool(image))
    source = data
    if data == "-":
        source = sys.stdin
    record = run_optimize(
        expression, parse_point(point or []), optimizers=optimizers,
        hyper=Hyper(lr=lr, momentum=momentum, decay=decay, beta1=beta1, beta2=beta2, epsilon=epsilon),
        stopping=Stopping(max_steps=max_steps, min_steps=min_steps, window=window, tol=tol, patience=patience,
                          check_every=check_every),
        l2=l2, restarts=restarts, box=parse_box(box), seed=seed, data=source, params=params, batch=batch,
        validation=validation, timing=timing, history=bool(history or plot))

    if history:
        write_file(history, render.history_csv(record) + "\n")
    if image:
        write_file(plot, render.plot_image(record, image))
    shown = draws_figures(format)  # a table ends with the terminal plot; the other formats leave it to stderr
    color = (sys.stdout if shown else sys.stderr).isatty() and not os.environ.get("NO_COLOR")
    figure = (lambda: render.plot_terminal(record, color=color)) if plot == "terminal" else None
    emit(render.render(record, format, figure=figure if shown else None))
    if figure is not None and not shown:
        typer.echo("\n" + figure(), file=sys.stderr)
