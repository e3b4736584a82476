"""How often does richardson's error estimate fall short?  Random compositions of the primitive table's
functions at random points, against the 20-digit mpmath reference.

Prints the number of cases, how many richardson vouches for (relative estimate <= RICHARDSON_TOLERANCE,
no warning), how many of those have a true error above the estimate, the median relative error and the
share below 1e-12; lists every estimate that fell short.

    python benchmarks/richardson_stress.py [SEED [CASES]]      # defaults: seed 2, 1000 cases
"""

from __future__ import annotations

import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diffcli.core.errors import DiffcliError  # noqa: E402
from diffcli.core.evaluate import evaluate  # noqa: E402
from diffcli.core.parse import parse  # noqa: E402
from diffcli.methods.finite import Evaluator  # noqa: E402
from diffcli.methods.richardson import RICHARDSON_TOLERANCE, richardson_derivatives  # noqa: E402
from diffcli.reference import reference  # noqa: E402

UNARY = ("exp log sqrt sin cos tan atan sinh cosh tanh asinh sigmoid softplus log1p expm1 cbrt asin acos "
         "atanh acosh log2 log10").split()
SCALES = (0.5, 2, 3, 10, 100, 0.01, 1e3, 1e-3, 7.3)
POINTS = (1.0, 0.3, 2.5, -0.7, 1e-3, 10.0, 1e-6, 100.0, 0.999, 5e3)


def expression(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.2:
        r = rng.random()
        if r < 0.6:
            return "x"
        k = rng.choice(SCALES)
        return f"({k}*x)" if r < 0.8 else f"(x + {k})"
    if rng.random() < 0.5:
        return f"{rng.choice(UNARY)}({expression(rng, depth - 1)})"
    op = rng.choice(["+", "-", "*", "/", "**"])
    if op == "**":
        return f"({expression(rng, depth - 1)})**{rng.choice([2, 3, 0.5, -1, 1.5, 7])}"
    return f"({expression(rng, depth - 1)} {op} {expression(rng, depth - 1)})"


def main(seed: int = 2, count: int = 1000) -> None:
    rng = random.Random(seed)
    cases = vouched = short = 0
    errors = []
    while cases < count:
        text = expression(rng, 3)
        x = rng.choice(POINTS) * (1 + 0.1 * rng.random())
        try:
            graph = parse(text)
            if graph.variable_names != ["x"]:
                continue
            evaluate(graph, {"x": x})
            ref = reference(graph, {"x": x}, digits=20)
        except DiffcliError:
            continue
        m, truth = ref.context, ref.gradient["x"]
        if not m.isfinite(truth) or abs(truth) > 1e300:
            continue
        (value,), (estimate,), _ = richardson_derivatives(Evaluator(graph), [x])
        if value != value:
            continue
        cases += 1
        error = abs(m.mpf(value) - truth)
        errors.append(float(error / abs(truth)) if truth else float(error))
        if value and estimate <= RICHARDSON_TOLERANCE * abs(value):
            vouched += 1
            if estimate < float(error):
                short += 1
                print(f"short: {text} at x={x!r}: estimate {estimate:.2e} < error {float(error):.2e}")
    print(f"seed {seed}: {cases} cases, {vouched} vouched for, {short} of those with the error above the "
          f"estimate; median relative error {statistics.median(errors):.1e}, "
          f"{sum(e < 1e-12 for e in errors) / len(errors):.0%} below 1e-12")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
