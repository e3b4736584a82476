"""How much the vectorized batch gradient of ``diffcli optimize --data`` saves over a Python loop over
examples.

One mini-batch gradient of a per-example loss, computed two ways in the same run:

* vectorized — what ``optimize`` does: one call of the compiled reverse-mode gradient on whole numpy columns
  (``DataObjective.value_and_gradient``), then the mean of each gradient column;
* per example — the compiled float gradient called once per example in a Python loop, then averaged.

Both give the same gradient (checked); the script prints the time of each and their ratio per batch size.
Run: ``python benchmarks/optimize_batch.py``.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diffcli.core.codegen import compile_gradient
from diffcli.core.parse import parse
from diffcli.harness import median_seconds
from diffcli.tasks.objectives import DataObjective

LOSS = "softplus(-(y*(w0 + w1*x1 + w2*x2 + w3*x3))) + 0.5*(w0*x1 - w1*x2)**2"   # a logistic-ish loss
PARAMETERS = ["w0", "w1", "w2", "w3"]


def main():
    graph = parse(LOSS)
    rng = np.random.default_rng(0)
    rows = 4096
    columns = {"x1": rng.normal(size=rows), "x2": rng.normal(size=rows), "x3": rng.normal(size=rows),
               "y": rng.choice([-1.0, 1.0], size=rows)}
    w = np.array([0.1, -0.2, 0.3, 0.05])
    objective = DataObjective(graph, PARAMETERS, {}, columns, np.arange(rows), np.arange(0), 0.0, None)
    scalar = compile_gradient(graph, kind="real")
    names = graph.variable_names
    index = [names.index(p) for p in PARAMETERS]
    print(f"loss: {LOSS}")
    print(f"{'batch':>6} {'vectorized':>12} {'per example':>12} {'ratio':>7}")
    for size in (8, 32, 256, 4096):
        batch = np.arange(size)

        def per_example(batch=batch, size=size):
            total = np.zeros(len(PARAMETERS))
            for r in batch:
                values = {"x1": columns["x1"][r], "x2": columns["x2"][r], "x3": columns["x3"][r],
                          "y": columns["y"][r], **dict(zip(PARAMETERS, w))}
                _, grads = scalar(*(float(values[n]) for n in names))
                total += [grads[k] for k in index]
            return total / size

        vectorized = objective.value_and_gradient(w, batch)[1]
        assert np.allclose(vectorized, per_example(), rtol=1e-12, atol=1e-15)
        fast = median_seconds(lambda batch=batch: objective.value_and_gradient(w, batch), budget=0.2)
        slow = median_seconds(per_example, budget=0.2)
        print(f"{size:>6} {fast * 1e6:>10.1f}µs {slow * 1e6:>10.1f}µs {slow / fast:>6.1f}×")


if __name__ == "__main__":
    main()
