"""One optimizer run: the update loop and why it stops (see :mod:`diffcli.tasks.optimize` for the rules of
stopping and the comparison of optimizers built from these runs)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from diffcli.core.errors import UsageError
from diffcli.tasks.updates import Hyper

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


def run(objective, update: Callable, hyper: Hyper, stopping: Stopping, start, rng=None) -> Run:
    """Minimize ``objective`` with the update rule ``update`` from ``start``; never raises for bad numbers."""
    w = np.array(start, dtype=float)
    batches = objective.batches(rng)
    watch = _Validation(objective, stopping, w)
    state: dict = {}
    losses: list = []
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
                 losses=losses, validation=watch.checks)
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
