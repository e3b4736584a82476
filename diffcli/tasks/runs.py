"""One optimizer run: the update loop and why it stops (see :mod:`diffcli.tasks.optimize` for the rules of
stopping and the comparison of optimizers built from these runs)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from diffcli.core.bounds import LARGEST, Bound
from diffcli.tasks.updates import Hyper

# ---------------------------------------------------------------- why a run stops

STOPS = ("tol", "max-steps", "early-stopping", "diverged", "undefined")
"""Why a run stopped (module docstring); the last two are failures and rank below every other run."""
FAILED = ("diverged", "undefined")


# ---------------------------------------------------------------- stopping


CHECK_EVERY_AT_LEAST = 10
"""Fewest steps between two validation checks by default: with full batches an epoch is one step, and a
patience of a few single steps would stop on the first wobble of the loss, not on over-fitting."""


MAX_UPDATES = 10**6
"""Most updates of one run (``--max-steps``): about 35 s of CPU for the four rules on a small expression."""

STOPPING = {
    "max_steps": Bound(0, MAX_UPDATES, "10^6 updates of each rule take about 35 s; without --history a "
                       "run keeps O(1) memory per step"),
    "min_steps": Bound(0, MAX_UPDATES, "as --max-steps"),
    "window": Bound(1, 10**6, "the run keeps the last 2 x window losses for --tol"),
    "tol": Bound(0.0, LARGEST, "a relative change: finite and not negative", whole=False),
    "patience": Bound(1, 10**6, "checks of the validation loss; more than the steps can never stop a run"),
    "check_every": Bound(1, MAX_UPDATES, "as --max-steps"),
}
"""The bound of each field of :class:`Stopping` (and of the option of the same name)."""


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

    def check(self) -> "Stopping":
        """The same rule with every field inside its bound (:data:`STOPPING`); a UsageError naming the
        field otherwise."""
        given = {name: getattr(self, name) for name in STOPPING}
        return replace(self, **{name: STOPPING[name].check(value, name) for name, value in given.items()
                                if value is not None})


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
        recent = losses[-2 * window:] if isinstance(losses, list) else list(losses)[-2 * window:]
        return (sum(recent[:window]) - sum(recent[window:])) / window
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


class _Validation:
    """Early stopping: the validation loss checked every ``every`` steps, the best parameters kept."""

    def __init__(self, objective, stopping: Stopping, w):
        self.objective, self.patience = objective, stopping.patience
        self.every = None
        if objective.has_validation:  # default: once per epoch, but at least 10 steps apart
            self.every = stopping.check_every or max(CHECK_EVERY_AT_LEAST,
                                                     -(-objective.examples // objective.batch))
        self.checks: list = []
        self.best = (math.inf, None, w)  # (validation loss, step, parameters)
        self.bad = 0

    def verdict(self, t: int, w) -> tuple[str, str] | None:
        if not self.every or t % self.every:
            return None
        current = self.objective.validation_loss(w)
        self.checks.append((t, current))
        if current < self.best[0]:
            self.best, self.bad = (current, t, w), 0
            return None
        self.bad += 1
        if self.bad < self.patience:
            return None
        return "early-stopping", (f"the validation loss has not improved for {self.patience} checks "
                                  f"(every {self.every} steps); best at step {self.best[1]}")


def _not_finite(t: int, loss: float, g) -> tuple[str, str] | None:
    if not math.isfinite(loss):
        return "diverged", f"step {t}: f is not finite ({loss!r})"
    if not np.isfinite(g).all():
        return "diverged", f"step {t}: the gradient is not finite"
    return None


def _limits(t: int, loss: float, losses: list, stopping: Stopping, smoothed: bool) -> tuple[str, str] | None:
    if t >= stopping.max_steps:
        return "max-steps", f"reached --max-steps {stopping.max_steps}"
    if t >= stopping.min_steps:
        gain = improvement(losses, stopping.window, smoothed)
        if gain is not None and abs(gain) < stopping.tol * max(1.0, abs(loss)):
            return "tol", (f"the loss changed by {-gain:.3g} over the last {stopping.window} steps "
                           f"(|change| < tol·max(1, |f|))")
    return None


def run(objective, update: Callable, hyper: Hyper, stopping: Stopping, start, rng=None,
        history: bool = True) -> Run:
    """Minimize ``objective`` with the update rule ``update`` from ``start``; never raises for bad numbers.

    With ``history`` the run keeps every loss (``Run.losses``) and every validation check; without it only
    what the stopping rule needs, the last ``2·window`` losses and the last check: O(1) memory per step.
    """
    w = np.array(start, dtype=float)
    batches = objective.batches(rng)
    watch = _Validation(objective, stopping, w)
    state: dict = {}
    losses = [] if history else deque(maxlen=2 * stopping.window + 1)
    if not history:
        watch.checks = deque(maxlen=1)
    evaluations, t, loss, g = 0, 0, None, None
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
        verdict = _not_finite(t, loss, g) or watch.verdict(t, w) or \
            _limits(t, loss, losses, stopping, objective.smoothed)
        if verdict:
            stop, message = verdict
            break
        t += 1
        w, state = update(w, g, state, t, hyper)
        if not np.isfinite(w).all():
            stop, message, loss = "diverged", f"step {t}: the parameters are not finite", None
            break
    result = Run(start=np.array(start, dtype=float), parameters=w, loss=loss, steps=t,
                 evaluations=evaluations, seconds=time.perf_counter() - started, stop=stop, message=message,
                 losses=list(losses), validation=list(watch.checks))
    return _finish(result, objective, watch, w, loss, g)


def _finish(result: Run, objective, watch: _Validation, w, loss, g) -> Run:
    """The reported parameters (the best validated ones, with early stopping) and the whole objective's loss
    and gradient norm there."""
    if objective.has_validation and watch.best[1] is not None:
        result.parameters, result.best_step, result.validation_loss = (watch.best[2], watch.best[1],
                                                                        watch.best[0])
    if not result.failed or result.best_step is not None:
        if objective.exact_gradient and result.parameters is w and not result.failed:
            final = loss, g  # already computed at the final parameters
        else:
            final = objective.value_and_gradient(result.parameters, None)  # one full pass, not counted
        result.loss, result.gradient_norm = final[0], float(np.sqrt(final[1] @ final[1]))
    return result
