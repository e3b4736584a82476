"""Optimizers that consume reverse-mode gradients, side by side (``diffcli optimize``).

The update rules (in :mod:`diffcli.tasks.updates`) are the lecture's, exactly, as small pure functions
``rule(w, g, state, t, h) -> (w, state)`` of the parameters ``w`` (a numpy vector), the gradient
``g = G_t`` at ``w``, the rule's own ``state`` (a dict, empty before the first step), the step number ``t``
(1, 2, …) and the hyper-parameters ``h`` (:class:`Hyper`).  Products of vectors (``⊙``) are elementwise:

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
import os
import statistics
from dataclasses import asdict

import numpy as np

from diffcli.core import bounds
from diffcli.core.bounds import LARGEST, SEED, Bound
from diffcli.core.errors import UsageError
from diffcli.core.evaluate import evaluate
from diffcli.core.parse import as_graph
from diffcli.tasks.objectives import DataObjective, ExpressionObjective, read_data
from diffcli.tasks.runs import MAX_UPDATES, Run, Stopping, run
from diffcli.tasks.updates import RULES, Hyper, select_optimizers

# ---------------------------------------------------------------- options

RESTARTS = Bound(0, 1_000, "each restart is a whole run of every optimizer (1,000 take about 40 s); the "
                 "spread of 1,000 final losses tells as much as more would")
"""Random starts of ``--restarts``."""
MAX_ROW_UPDATES = 1_000_000_000
"""Most rows all the runs of one optimizer may evaluate together with ``--data`` (updates × rows per
update): 3 to 7 ns each for a small loss (more for the 2 million rows of a 32 MiB file), so the four rules
take at most about 30 s (``benchmarks/limits.py``)."""
BOX = Bound(-LARGEST, LARGEST, "its width HIGH - LOW must be a finite float", whole=False)
"""Each end of ``--box``."""
L2 = Bound(0.0, LARGEST, "a penalty weight: finite and not negative", whole=False)
VALIDATION = Bound(0.0, 1.0, "a fraction of the rows; some must stay for training", whole=False, below=True)
BATCH = Bound(1, 10**8, "rows per step; at most the training rows, checked once the data is read")


def parse_box(text: str) -> tuple[float, float]:
    """``"LOW:HIGH"`` (each a number or constant expression) to ``(low, high)``.

    >>> parse_box("-pi:pi")
    (-3.141592653589793, 3.141592653589793)
    """
    from diffcli.core.parse import parse_point

    low, sep, high = text.partition(":")
    if not sep:
        raise UsageError(f"--box must be LOW:HIGH, not {text!r}")
    ends = parse_point([f"low={low}", f"high={high}"], what="box")
    return _box((ends["low"], ends["high"]), "--box")


def _box(box, name: str = "box") -> tuple[float, float]:
    if not isinstance(box, (tuple, list)) or len(box) != 2:
        raise UsageError(f"{name} must be a pair (LOW, HIGH), not {box!r:.60}")
    low, high = (BOX.check(end, name) for end in box)
    if not low < high:
        raise UsageError(f"{name}: LOW must be below HIGH, not {low:g}:{high:g}")
    return low, high


def _names(value) -> list[str] | None:
    return None if value is None else list(dict.fromkeys(bounds.names(value, "params")))


def _instance(value, kind, name: str):
    """``value``, or ``kind()`` for None; anything else than a ``kind`` is a UsageError naming ``name``."""
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise UsageError(f"{name} must be a {kind.__name__}(...), not {value!r:.60}")
    return value


def _data(data):
    """``data`` as given (a path or an open file, read later) or, for ``{column: values}``, float columns of
    one length, at least one row, every value a finite number."""
    if data is None or isinstance(data, (str, os.PathLike)) or hasattr(data, "read"):
        return data
    if not isinstance(data, dict) or not data or not all(isinstance(name, str) for name in data):
        raise UsageError(f"data must be a CSV path, an open file or {{column: values}}, not {data!r:.60}")
    columns = {}
    for name, values in data.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise UsageError(f"data[{name!r}] must be a sequence of numbers, not {values!r:.60}")
        columns[name] = np.array([bounds.real(v, f"data[{name!r}]") for v in np.ravel(values).tolist()])
    lengths = {len(column) for column in columns.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise UsageError(f"data columns must have one length, at least 1 row, not {sorted(lengths)}")
    return columns


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

    Raises :class:`~diffcli.core.errors.UsageError` for inconsistent options; a run whose numbers blow up
    stops with ``"stop": "diverged"`` and a message instead.
    """
    graph = as_graph(bounds.expression(expression))
    hyper = _instance(hyper, Hyper, "hyper").check()
    stopping = _instance(stopping, Stopping, "stopping").check()
    selected = select_optimizers(optimizers)
    start = bounds.point({} if start is None else start, "start")
    restarts, seed, box = RESTARTS.check(restarts, "restarts"), SEED.check(seed, "seed"), _box(box)
    l2, validation = L2.check(l2, "l2"), VALIDATION.check(validation, "validation")
    batch = None if batch is None else BATCH.check(batch, "batch")
    timing, history, data = bounds.flag(timing, "timing"), bounds.flag(history, "history"), _data(data)
    parameters = _parameters(graph.variable_names, _names(params), start, data, batch, validation, l2,
                             restarts)
    fixed = {n: float(v) for n, v in start.items() if n not in parameters}
    record = {"expression": graph.source, "mode": "data" if data is not None else "expression",
              "parameters": parameters, "fixed": fixed}
    objective = _objective(graph, parameters, fixed, l2, data, batch, validation, seed, record)
    starts = _starts(graph, parameters, fixed, start, restarts, box, seed, data, record)
    _bounded_work(len(starts), stopping.max_steps, getattr(objective, "batch", 0))
    record["settings"] = {**asdict(hyper), **asdict(stopping), "l2": l2, "restarts": restarts,
                          "box": list(box) if restarts else None, "seed": seed}
    rows, series = [], []
    for optimizer in selected:
        update = RULES[optimizer].update
        runs = [run(objective, update, hyper, stopping, s, np.random.default_rng([seed, 1, k]), history)
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


def _parameters(variables: list, parameters, start: dict, data, batch, validation, l2, restarts) -> list[str]:
    """The names optimized, after every check of the options that does not need the data."""
    if data is None and any(option for option in (batch, validation)):
        raise UsageError("--batch and --validation need --data")
    if data is not None and not parameters:
        raise UsageError("--data needs --params, the names to fit (the other names are data columns)")
    parameters = parameters or list(variables)
    known = f"(its variables: {', '.join(variables) or 'none'})"
    missing = [p for p in parameters if p not in variables]
    if missing:
        raise UsageError(f"parameter {missing[0]!r} is not a variable of the expression {known}")
    # A start value for a name the expression does not use is ignored here, as by every task; the command
    # line warns about it (an error under --strict).
    if not parameters:
        raise UsageError("the expression has no variables to optimize")
    return parameters


def _objective(graph, parameters, fixed, l2, data, batch, validation, seed, record):
    """The expression itself, or the mean per-example loss over the data (``record["data"]`` says which
    rows)."""
    variables = graph.variable_names
    if data is None:
        unbound = [n for n in variables if n not in parameters and n not in fixed]
        if unbound:
            raise UsageError(f"no value for variable {unbound[0]!r}; give it as {unbound[0]}=VALUE, "
                             "or optimize it too with --params")
        return ExpressionObjective(graph, parameters, fixed, l2)
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
    train, held = _split(count, validation, seed)
    if batch is not None and not 1 <= batch <= len(train):
        raise UsageError(f"--batch must be between 1 and the {len(train)} training examples, not {batch}")
    objective = DataObjective(graph, parameters, fixed, columns, train, held, l2, batch)
    record["data"] = {"source": source, "rows": count, "train": len(train), "validation": len(held),
                      "validation_rows": [int(r) for r in held], "batch": objective.batch, "columns": needed}
    return objective


def _bounded_work(runs: int, max_steps: int, rows: int) -> None:
    """The runs of one optimizer together make at most MAX_UPDATES updates (restarts × max-steps) and, with
    data, evaluate at most MAX_ROW_UPDATES rows, so that any options within their bounds finish in about a
    minute; a UsageError says which product is too large."""
    updates = runs * max_steps
    if updates > MAX_UPDATES:
        raise UsageError(f"{runs:,} runs (--restarts) × {max_steps:,} steps (--max-steps) are {updates:,} "
                         f"updates of each optimizer; at most {MAX_UPDATES:,} (about 35 s for the four): "
                         "lower one of them")
    if rows and updates * rows > MAX_ROW_UPDATES:
        raise UsageError(f"{updates:,} updates (--restarts × --max-steps) of {rows:,} rows each are "
                         f"{updates * rows:,} row evaluations of each optimizer; at most "
                         f"{MAX_ROW_UPDATES:,} (about 30 s for the four): lower --max-steps, or use --batch")


def _starts(graph, parameters, fixed, start, restarts, box, seed, data, record):
    """One start per run: the given one, or ``restarts`` drawn uniformly from ``box``
    (``record["start"]``)."""
    if restarts:
        given = [p for p in parameters if p in start]
        if given:
            raise UsageError(f"--restarts draws every start from --box; drop the start value of {given[0]!r}")
        low, high = box
        record["start"] = None
        return np.random.default_rng([seed, 0]).uniform(low, high, size=(restarts, len(parameters)))
    if data is None:
        unset = [p for p in parameters if p not in start]
        if unset:
            raise UsageError(f"no start value for {unset[0]!r}; give it as {unset[0]}=VALUE "
                             "(or use --restarts K --box LOW:HIGH)")
    starts = np.array([[float(start.get(p, 0.0)) for p in parameters]])
    record["start"] = dict(zip(parameters, (float(v) for v in starts[0])))
    if data is None:  # f undefined at the one start given is an input error, as in `compare`
        evaluate(graph, {**fixed, **record["start"]})
    return starts


def _split(count: int, fraction: float, seed: int):
    """Training and validation row indices (validation: a seeded random ``fraction`` of the rows, a
    fraction in [0, 1) that ``VALIDATION`` checked)."""
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
