"""Optimizers that consume reverse-mode gradients, side by side (``diffcli optimize``).

The update rules (in :mod:`diffcli.tasks.updates`) are the lecture's, exactly, as small pure functions
``rule(w, g, state, t, h) -> (w, state)`` of the parameters ``w`` (a numpy vector), the gradient ``g = G_t`` at ``w``, the rule's own ``state`` (a dict,
empty before the first step), the step number ``t`` (1, 2, …) and the hyper-parameters ``h``
(:class:`Hyper`).  Products of vectors (``⊙``) are elementwise:

* ``sgd``: W ← W − η·G_t;
* ``momentum`` (the lecture's form): W ← W − η·(β·G_{t−1} + G_t), with G_0 = 0.  It adds β times the
  *previous gradient* only, not a decaying sum of all earlier ones;
* ``momentum-velocity`` (the common form, e.g. PyTorch's SGD with momentum): V_t = β·V_{t−1} + G_t,
  W ← W − η·V_t;
* ``rmsprop``: S_t = β·S_{t−1} + (1−β)·G_t⊙G_t, W ← W − γ/√(S_t + ε)⊙G_t (ε inside the root, as the
  lecture writes it);
* ``adam``: M_t = β1·M_{t−1} + (1−β1)·G_t, S_t = β2·S_{t−1} + (1−β2)·G_t⊙G_t,
  W ← W − γ·(M_t/(1−β1^t)) / (√(S_t/(1−β2^t)) + ε).

Gradients come from the compiled reverse mode: on floats for an expression, on numpy arrays for a data set,
where one call differentiates the per-example loss at every example of a batch at once (the objectives of
:mod:`diffcli.tasks.objectives`).

A run stops at the first of (checked after every step, in this order):

* ``diverged`` — f, its gradient or the parameters are not finite (or overflow float64);
* ``undefined`` — the parameters left the domain of f or of its gradient (``log`` of a negative number);
* ``early-stopping`` — with a validation split, the validation loss has not improved for ``patience`` checks;
* ``max-steps`` — ``max_steps`` updates were made;
* ``tol`` — at least ``min_steps`` updates were made AND the loss changed by less than ``tol·max(1, |f_t|)``
  over the last ``window`` steps: |f_{t−window} − f_t| below it (absolute for small f, relative for large).
  A loss that went *up* over the window is not a plateau — it is a transient (momentum overshooting into
  the valley and climbing out again) or a growing oscillation — so it does not stop the run.  ``tol`` means
  the loss stopped moving, not that a minimum was reached (``gradient_norm`` tells: rmsprop's limit cycle
  on Rosenbrock stops by ``tol`` with a large gradient).  With mini-batches the per-step loss is noisy, so
  the change is that of the mean loss of the last ``window`` steps against the mean of the ``window`` steps
  before them; that noise is usually far above ``tol``, so such runs end by early stopping or at
  ``max_steps`` unless ``tol`` is raised.

>>> record = optimize("(x - 3)**2", {"x": 0.0}, optimizers="sgd,adam", hyper=Hyper(lr=0.1), timing=False)
>>> row = record["optimizers"][0]
>>> row["optimizer"], row["stop"], round(row["parameters"]["x"], 6)
('sgd', 'tol', 3.0)
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from diffcli.core.chain import evaluate
from diffcli.core.errors import UsageError
from diffcli.tasks.objectives import DataObjective, ExpressionObjective, read_data
from diffcli.tasks.updates import RULES, Hyper, select_optimizers

# ---------------------------------------------------------------- why a run stops

STOPS = ("tol", "max-steps", "early-stopping", "diverged", "undefined")
"""Why a run stopped (module docstring); the last two are failures and rank below every other run."""
FAILED = ("diverged", "undefined")


# ---------------------------------------------------------------- stopping


CHECK_EVERY_AT_LEAST = 10
"""Fewest steps between two validation checks by default: with full batches an epoch is one step, and a
patience of a few single steps would stop on the first wobble of the loss, not on over-fitting."""


@dataclass(frozen=True)
class Stopping:
    """When a run stops (see the module docstring).  ``check_every`` None means once per epoch, at least
    :data:`CHECK_EVERY_AT_LEAST` steps."""

    max_steps: int = 20_000
    min_steps: int = 100
    window: int = 100
    tol: float = 1e-10
    patience: int = 5
    check_every: int | None = None

    def check(self) -> None:
        for name in ("max_steps", "min_steps", "window", "patience"):
            if getattr(self, name) < (1 if name in ("window", "patience") else 0):
                raise UsageError(f"--{name.replace('_', '-')} must be at least "
                                 f"{1 if name in ('window', 'patience') else 0}, not {getattr(self, name)}")
        if self.check_every is not None and self.check_every < 1:
            raise UsageError(f"--check-every must be at least 1, not {self.check_every}")
        if not (self.tol >= 0):
            raise UsageError(f"--tol must be non-negative, not {self.tol!r}")


def improvement(losses: list, window: int, smoothed: bool) -> float | None:
    """How much the loss went down over the last ``window`` steps (None while there are too few); with
    ``smoothed``, the mean of the last ``window`` losses against the mean of the ``window`` before them.

    >>> improvement([5.0, 4.0, 3.5, 3.25], 2, smoothed=False)
    0.75
    >>> improvement([4.0, 2.0, 3.0, 1.0], 2, smoothed=True)
    1.0
    """
    if smoothed:
        if len(losses) < 2 * window:
            return None
        return (sum(losses[-2 * window:-window]) - sum(losses[-window:])) / window
    if len(losses) <= window:
        return None
    return losses[-1 - window] - losses[-1]


# ---------------------------------------------------------------- one run


@dataclass
class Run:
    """One optimizer from one start: where it ended, what it cost, why it stopped, and its loss per step."""

    start: np.ndarray
    parameters: np.ndarray
    loss: float | None
    steps: int
    evaluations: int
    seconds: float
    stop: str
    message: str
    losses: list = field(default_factory=list)
    validation: list = field(default_factory=list)  # (step, validation loss) at every check
    best_step: int | None = None
    validation_loss: float | None = None
    gradient_norm: float | None = None  # of the whole objective at the reported parameters

    @property
    def failed(self) -> bool:
        return self.stop in FAILED

    @property
    def rank_key(self):
        """Failures last; then by validation loss where there is one (what early stopping is for), else by
        the final loss; ties by cost."""
        loss = self.validation_loss if self.validation_loss is not None else self.loss
        loss = loss if loss is not None and not math.isnan(loss) else math.inf
        return (self.failed, loss, self.evaluations)


def run(objective, step: Callable, hyper: Hyper, stopping: Stopping, start, rng=None) -> Run:
    """Minimize ``objective`` with the update rule ``step`` from ``start``; never raises for bad numbers."""
    w = np.array(start, dtype=float)
    batches = objective.batches(rng)
    check_every = None
    if objective.has_validation:  # default: once per epoch, but at least 10 steps apart
        check_every = stopping.check_every or max(CHECK_EVERY_AT_LEAST, -(-objective.examples // objective.batch))
    state: dict = {}
    losses: list = []
    validation: list = []
    best = (math.inf, None, w)  # (validation loss, step, parameters)
    bad_checks, evaluations, t = 0, 0, 0
    loss = None
    started = time.perf_counter()
    while True:
        rows = batches.next()
        try:
            loss, g = objective.value_and_gradient(w, rows)
        except (ArithmeticError, ValueError) as error:
            stop = "diverged" if isinstance(error, OverflowError) else "undefined"
            message, loss = f"step {t}: {objective.failure(w, error)}", None
            break
        evaluations += objective.examples if rows is None else len(rows)
        losses.append(loss)
        if not math.isfinite(loss):
            stop, message = "diverged", f"step {t}: f is not finite ({loss!r})"
            break
        if not np.isfinite(g).all():
            stop, message = "diverged", f"step {t}: the gradient is not finite"
            break
        if check_every and t % check_every == 0:
            current = objective.validation_loss(w)
            validation.append((t, current))
            if current < best[0]:
                best, bad_checks = (current, t, w), 0
            else:
                bad_checks += 1
                if bad_checks >= stopping.patience:
                    stop = "early-stopping"
                    message = (f"the validation loss has not improved for {stopping.patience} checks "
                               f"(every {check_every} steps); best at step {best[1]}")
                    break
        if t >= stopping.max_steps:
            stop, message = "max-steps", f"reached --max-steps {stopping.max_steps}"
            break
        if t >= stopping.min_steps:
            gain = improvement(losses, stopping.window, objective.smoothed)
            if gain is not None and abs(gain) < stopping.tol * max(1.0, abs(loss)):
                stop = "tol"
                message = (f"the loss changed by {-gain:.3g} over the last {stopping.window} steps "
                           f"(|change| < tol·max(1, |f|))")
                break
        t += 1
        w_next, state = step(w, g, state, t, hyper)
        if not np.isfinite(w_next).all():
            stop, message, loss = "diverged", f"step {t}: the parameters are not finite", None
            w = w_next
            break
        w = w_next
    seconds = time.perf_counter() - started
    result = Run(start=np.array(start, dtype=float), parameters=w, loss=loss, steps=t, evaluations=evaluations,
                 seconds=seconds, stop=stop, message=message, losses=losses, validation=validation)
    if objective.has_validation and best[1] is not None:
        result.parameters, result.best_step, result.validation_loss = best[2], best[1], best[0]
    if not result.failed or result.best_step is not None:
        if objective.exact_gradient and result.parameters is w and not result.failed:
            final = loss, g  # already computed at the final parameters
        else:
            final = objective.value_and_gradient(result.parameters, None)  # one full pass, not counted
        result.loss, result.gradient_norm = final[0], float(np.sqrt(final[1] @ final[1]))
    return result


# ---------------------------------------------------------------- options


def parse_box(text: str) -> tuple[float, float]:
    """``"LOW:HIGH"`` (each a number or constant expression) to ``(low, high)``.

    >>> parse_box("-pi:pi")
    (-3.141592653589793, 3.141592653589793)
    """
    from diffcli.core.parse import parse_point

    low, sep, high = text.partition(":")
    if not sep:
        raise UsageError(f"--box must be LOW:HIGH, not {text!r}")
    bounds = parse_point([f"low={low}", f"high={high}"], what="box")
    if not bounds["low"] < bounds["high"]:
        raise UsageError(f"--box {text}: LOW must be below HIGH")
    return bounds["low"], bounds["high"]


def _names(value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    return list(dict.fromkeys(value))


# ---------------------------------------------------------------- the comparison


def optimize(expression, start: dict | None = None, *, optimizers=None, hyper: Hyper | None = None,
             stopping: Stopping | None = None, l2: float = 0.0, restarts: int = 0, box=(-2.0, 2.0),
             seed: int = 0, data=None, params=None, batch: int | None = None, validation: float = 0.0,
             timing: bool = True, history: bool = False) -> dict:
    """Minimize ``expression`` with each optimizer and return the comparison as a plain record (its JSON).

    * ``start``: ``{name: value}``; names that are not parameters are fixed at their value.
    * ``params``: the names optimized (default: every variable; required with ``data``).
    * ``restarts`` K > 0: K runs from starts drawn uniformly from ``box`` (the same K starts for every
      optimizer, reproducible with ``seed``); the best run is reported with the spread of final losses.
    * ``data``: a CSV path, an open file or ``{column: values}``; the objective is then the mean of the
      per-example loss over the training rows, ``batch`` rows per step (default all), with a fraction
      ``validation`` of the rows held out for early stopping.  Parameters without a start value start at 0.
    * ``l2``: adds ``l2·Σw²`` over the parameters to the objective.
    * ``history``: add ``"history"``, every run's loss per step (and validation loss per check).

    Raises :class:`~diffcli.core.errors.UsageError` for inconsistent options; a run whose numbers blow up stops
    with ``"stop": "diverged"`` and a message instead.
    """
    from diffcli.core.parse import as_graph

    graph = as_graph(expression)
    hyper = hyper or Hyper()
    stopping = stopping or Stopping()
    hyper.check()
    stopping.check()
    selected = select_optimizers(optimizers)
    start = dict(start or {})
    variables = graph.variable_names
    parameters = _names(params)
    if data is None and any(option for option in (batch, validation)):
        raise UsageError("--batch and --validation need --data")
    if data is not None and not parameters:
        raise UsageError("--data needs --params, the names to fit (the other names are data columns)")
    parameters = parameters or list(variables)
    missing = [p for p in parameters if p not in variables]
    if missing:
        raise UsageError(f"parameter {missing[0]!r} is not a variable of the expression "
                         f"(its variables: {', '.join(variables) or 'none'})")
    stray = [n for n in start if n not in variables]
    if stray:
        raise UsageError(f"{stray[0]!r} is not a variable of the expression "
                         f"(its variables: {', '.join(variables) or 'none'})")
    if not parameters:
        raise UsageError("the expression has no variables to optimize")
    if not (math.isfinite(l2) and l2 >= 0):
        raise UsageError(f"--l2 must be a non-negative number, not {l2!r}")
    if restarts < 0:
        raise UsageError(f"--restarts must be at least 0, not {restarts}")
    fixed = {n: float(v) for n, v in start.items() if n not in parameters}

    record = {"expression": graph.source, "mode": "data" if data is not None else "expression",
              "parameters": parameters, "fixed": fixed}
    split = None
    if data is None:
        unbound = [n for n in variables if n not in parameters and n not in fixed]
        if unbound:
            raise UsageError(f"no value for variable {unbound[0]!r}; give it as {unbound[0]}=VALUE, "
                             "or optimize it too with --params")
        objective = ExpressionObjective(graph, parameters, fixed, l2)
    else:
        columns, source = (data, "<columns>") if isinstance(data, dict) else \
            (read_data(data), str(getattr(data, "name", data)))
        needed = [n for n in variables if n not in parameters and n not in fixed]
        absent = [n for n in needed if n not in columns]
        if absent:
            raise UsageError(f"{absent[0]!r} is neither a parameter nor a column of the data "
                             f"(columns: {', '.join(columns)})")
        both = [n for n in fixed if n in columns]
        if both:
            raise UsageError(f"{both[0]!r} is a column of the data and also given a value")
        count = len(next(iter(columns.values()))) if columns else 0
        split = _split(count, validation, seed)
        if batch is not None and not 1 <= batch <= len(split[0]):
            raise UsageError(f"--batch must be between 1 and the {len(split[0])} training examples, not {batch}")
        objective = DataObjective(graph, parameters, fixed, columns, split[0], split[1], l2, batch)
        record["data"] = {"source": source, "rows": count, "train": len(split[0]),
                          "validation": len(split[1]), "validation_rows": [int(r) for r in split[1]],
                          "batch": objective.batch, "columns": needed}

    if restarts:
        given = [p for p in parameters if p in start]
        if given:
            raise UsageError(f"--restarts draws every start from --box; drop the start value of {given[0]!r}")
        low, high = box
        starts = np.random.default_rng([seed, 0]).uniform(low, high, size=(restarts, len(parameters)))
        record["start"] = None
    else:
        if data is None:
            unset = [p for p in parameters if p not in start]
            if unset:
                raise UsageError(f"no start value for {unset[0]!r}; give it as {unset[0]}=VALUE "
                                 "(or use --restarts K --box LOW:HIGH)")
        starts = np.array([[float(start.get(p, 0.0)) for p in parameters]])
        record["start"] = dict(zip(parameters, (float(v) for v in starts[0])))
        if data is None:  # f undefined at the one start given is an input error, as in `compare`
            evaluate(graph, {**fixed, **record["start"]})

    record["settings"] = {**asdict(hyper), **asdict(stopping), "l2": l2, "restarts": restarts,
                          "box": list(box) if restarts else None, "seed": seed}
    rows, series = [], []
    for optimizer in selected:
        step = RULES[optimizer].step
        runs = [run(objective, step, hyper, stopping, s, np.random.default_rng([seed, 1, k]))
                for k, s in enumerate(starts)]
        rows.append(_row(optimizer, runs, parameters, timing, restarts))
        if history:
            series += [{"optimizer": optimizer, "run": k, "loss": r.losses,
                        "validation": [list(v) for v in r.validation]} for k, r in enumerate(runs)]
    rows.sort(key=lambda row: row.pop("_rank_key"))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    record["optimizers"] = rows
    if history:
        record["history"] = series
    return record


def _split(count: int, fraction: float, seed: int):
    """Training and validation row indices (validation: a seeded random ``fraction`` of the rows)."""
    if not 0 <= fraction < 1:
        raise UsageError(f"--validation must be a fraction in [0, 1), not {fraction!r}")
    held = round(fraction * count)
    if fraction and not 1 <= held < count:
        raise UsageError(f"--validation {fraction} of {count} rows leaves no validation or no training rows")
    order = np.random.default_rng([seed, 2]).permutation(count)
    return np.sort(order[held:]), np.sort(order[:held])


def _row(optimizer: str, runs: list[Run], parameters: list[str], timing: bool, restarts: int) -> dict:
    best_run = min(range(len(runs)), key=lambda k: runs[k].rank_key)
    best = runs[best_run]
    row = {"optimizer": optimizer, "rank": None, "loss": best.loss,
           "parameters": dict(zip(parameters, (float(v) for v in best.parameters))),
           "steps": best.steps, "gradient_evaluations": best.evaluations,
           "gradient_norm": best.gradient_norm, "seconds": best.seconds if timing else None,
           "stop": best.stop, "message": best.message}
    if best.validation:
        row["validation_loss"], row["best_step"] = best.validation_loss, best.best_step
    if restarts:
        # the spread is of what the runs are ranked by: the validation loss where there is one
        measure = "validation_loss" if best.validation_loss is not None else "loss"
        values = [getattr(r, measure) for r in runs]
        finals = [math.inf if r.failed or v is None or math.isnan(v) else v for r, v in zip(runs, values)]
        row["restarts"] = {
            "runs": len(runs), "best_run": best_run, "of": measure,
            "best": min(finals), "median": statistics.median(finals), "worst": max(finals),
            "failed": sum(r.failed for r in runs),
            "gradient_evaluations": sum(r.evaluations for r in runs),
            "seconds": sum(r.seconds for r in runs) if timing else None,
            "starts": [dict(zip(parameters, (float(v) for v in r.start))) for r in runs],
            "losses": [r.loss for r in runs], "stops": [r.stop for r in runs]}
        if measure == "validation_loss":
            row["restarts"]["validation_losses"] = values
    row["_rank_key"] = best.rank_key
    return row
