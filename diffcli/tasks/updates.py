"""The update rules of ``diffcli optimize``, exactly as the lecture writes them (see
:mod:`diffcli.tasks.optimize` for the formulas), and their hyper-parameters.

Each rule is a small pure function ``rule(w, g, state, t, h) -> (w, state)`` of the parameters ``w`` (a numpy
vector), the gradient ``g = G_t`` at ``w``, the rule's own ``state`` (a dict, empty before the first step),
the step number ``t`` (1, 2, …) and the hyper-parameters ``h`` (:class:`Hyper`), registered in
:data:`RULES` by :func:`rule`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from diffcli.core.bounds import LARGEST, Bound
from diffcli.core.choices import choose


@dataclass(frozen=True)
class Hyper:
    """Hyper-parameters of the update rules (one set shared by all optimizers of a comparison).

    ``lr`` is η of sgd and momentum and γ of rmsprop and adam; ``momentum`` is β of both momentum forms;
    ``decay`` is β of rmsprop; ``beta1``, ``beta2`` and ``epsilon`` are Adam's (``epsilon`` is rmsprop's ε
    too).
    """

    lr: float = 0.001
    momentum: float = 0.9
    decay: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    def check(self) -> "Hyper":
        """The same hyper-parameters, each inside its bound (:data:`HYPER`); a UsageError naming it
        otherwise."""
        return replace(self, **{name: HYPER[name].check(getattr(self, name), name) for name in HYPER})


_FACTOR = "a decay factor: 1 would never forget, above 1 would grow"
HYPER = {
    "lr": Bound(1e-300, LARGEST, "a positive, finite rate", whole=False),
    "momentum": Bound(0.0, 1.0, _FACTOR, whole=False, below=True),
    "decay": Bound(0.0, 1.0, _FACTOR, whole=False, below=True),
    "beta1": Bound(0.0, 1.0, _FACTOR, whole=False, below=True),
    "beta2": Bound(0.0, 1.0, _FACTOR, whole=False, below=True),
    "epsilon": Bound(0.0, LARGEST, "added under a square root: finite and not negative", whole=False),
}
"""The bound of each field of :class:`Hyper` (and of the option of the same name)."""


@dataclass(frozen=True)
class Rule:
    """An optimizer's update rule: ``update(w, g, state, t, h) -> (w, state)`` (one iteration)."""

    id: str
    summary: str
    update: Callable


RULES: dict[str, Rule] = {}
"""Update rules by id, in the order they are defined."""

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
"""What ``optimize`` compares unless told otherwise (the lecture's four)."""



def rule(id: str, summary: str):
    """Register an update rule ``update(w, g, state, t, h) -> (w, state)`` under ``id``."""
    def register(update):
        RULES[id] = Rule(id, summary, update)
        return update
    return register


@rule("sgd", "W ← W − η·G_t")
def sgd(w, g, state, t, h):
    """One step of plain gradient descent.

    >>> sgd(np.array([1.0]), np.array([2.0]), {}, 1, Hyper(lr=0.1))[0]
    array([0.8])
    """
    return w - h.lr * g, state


@rule("momentum", "the lecture's form: W ← W − η·(β·G_{t−1} + G_t), G_0 = 0")
def momentum(w, g, state, t, h):
    previous = state.get("previous", 0.0)
    return w - h.lr * (h.momentum * previous + g), {"previous": g}


@rule("momentum-velocity", "the common velocity form: V_t = β·V_{t−1} + G_t, W ← W − η·V_t")
def momentum_velocity(w, g, state, t, h):
    velocity = h.momentum * state.get("velocity", 0.0) + g
    return w - h.lr * velocity, {"velocity": velocity}


@rule("rmsprop", "S_t = β·S_{t−1} + (1−β)·G_t⊙G_t, W ← W − γ/√(S_t + ε)⊙G_t")
def rmsprop(w, g, state, t, h):
    s = h.decay * state.get("s", 0.0) + (1.0 - h.decay) * g * g
    return w - h.lr / np.sqrt(s + h.epsilon) * g, {"s": s}


@rule("adam", "M_t = β1·M_{t−1} + (1−β1)·G_t, S_t = β2·S_{t−1} + (1−β2)·G_t⊙G_t, "
              "W ← W − γ·(M_t/(1−β1^t)) / (√(S_t/(1−β2^t)) + ε)")
def adam(w, g, state, t, h):
    m = h.beta1 * state.get("m", 0.0) + (1.0 - h.beta1) * g
    s = h.beta2 * state.get("s", 0.0) + (1.0 - h.beta2) * g * g
    corrected_m = m / (1.0 - h.beta1 ** t)
    corrected_s = s / (1.0 - h.beta2 ** t)
    return w - h.lr * corrected_m / (np.sqrt(corrected_s) + h.epsilon), {"m": m, "s": s}


def select_optimizers(optimizers) -> list[str]:
    """Rule ids from a list or a comma-separated string; None means :data:`DEFAULT_OPTIMIZERS`."""
    return choose(optimizers, RULES, DEFAULT_OPTIMIZERS, what="optimizer")
