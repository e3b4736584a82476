"""richardson against numdifftools and scipy.differentiate on the battery of hard cases (tests/battery.py).

Prints, per case and in total: relative error against the 30-digit mpmath reference, whether the method's
own error estimate under-states the true error by more than 10x, evaluations of f per partial derivative
and time per partial (median of repeated runs, after setup, in this run).  Every method gets the same f:
diffcli's graph compiled for numpy arrays.  Peers that are not installed are skipped quietly
(pip install 'diffcli[bench]').

    python benchmarks/fd_vs_peers.py

Target: at least the accuracy of numdifftools at a quarter of its time per partial.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from battery import BATTERY  # noqa: E402

from diffcli.core.codegen import compile_function  # noqa: E402
from diffcli.core.parse import parse  # noqa: E402
from diffcli.methods import METHODS  # noqa: E402
from diffcli.reference import reference  # noqa: E402


def median_time(call, budget: float = 0.05) -> float:
    """Median seconds of one call over batches filling ``budget`` seconds."""
    number, started = 1, time.perf_counter()
    call()
    once = max(time.perf_counter() - started, 1e-7)
    number = max(1, int(budget / 7 / once))
    samples = []
    for _ in range(7):
        started = time.perf_counter()
        for _ in range(number):
            call()
        samples.append((time.perf_counter() - started) / number)
    return statistics.median(samples)


class Counted:
    """f on numpy arrays, counting the points it is evaluated at."""

    def __init__(self, f):
        self.f, self.points = f, 0

    def __call__(self, t):
        t = np.asarray(t, dtype=float)
        self.points += t.size
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(self.f(t)[0], dtype=float), t.shape)


def ours(graph, x):
    run = METHODS["richardson"].prepare(graph)
    (value,), evaluations, details = run([x])
    return value, details["error_estimate"]["x"], evaluations, median_time(lambda: run([x]))


def numdifftools_peer():
    try:
        import numdifftools
    except ImportError:
        return None

    def run(graph, x):
        f = Counted(compile_function(graph, kind="array"))
        derivative = numdifftools.Derivative(f, full_output=True)
        result = derivative(x)
        evaluations, f.points = f.points, 0
        return (float(result.estimate), float(result.error_estimate), evaluations,
                median_time(lambda: derivative(x)))
    return run


def scipy_peer():
    try:
        from scipy.differentiate import derivative
    except ImportError:
        return None

    def run(graph, x):
        f = Counted(compile_function(graph, kind="array"))
        result = derivative(f, x)
        return float(result.df), float(result.error), int(result.nfev), median_time(lambda: derivative(f, x))
    return run


def main() -> None:
    warnings.filterwarnings("ignore")
    methods = {"diffcli richardson": ours, "numdifftools": numdifftools_peer(),
               "scipy.differentiate": scipy_peer()}
    methods = {name: run for name, run in methods.items() if run is not None}
    results = {name: [] for name in methods}
    print(f"{'case':40s}" + "".join(f"{name:>34s}" for name in methods))
    for case, text, x in BATTERY:
        graph = parse(text)
        ref = reference(graph, {"x": x}, digits=30)
        m, truth = ref.context, ref.gradient["x"]
        cells = []
        for name, run in methods.items():
            value, estimate, evaluations, seconds = run(graph, x)
            if math.isfinite(value):
                error = abs(m.mpf(value) - truth)
                relative = float(error / abs(truth)) if truth else float(error)
                under = not (estimate * 10 >= float(error))
            else:
                relative, under = math.inf, False
            results[name].append((relative, under, evaluations, seconds))
            flag = " UNDER" if under else ("  nan " if not math.isfinite(value) else "      ")
            cells.append(f"{relative:9.1e}{flag} {evaluations:4d} ev {seconds * 1e6:6.0f} µs")
        print(f"{case:40s}" + "".join(f"{c:>34s}" for c in cells))

    print()
    print(f"{'over ' + str(len(BATTERY)) + ' cases':40s}" + "".join(f"{name:>34s}" for name in methods))
    summary = {}
    for name, rows in results.items():
        summary[name] = {"median error": statistics.median(r[0] for r in rows),
                         "estimate under >10x": sum(r[1] for r in rows),
                         "nan": sum(1 for r in rows if not math.isfinite(r[0])),
                         "evaluations / partial": statistics.median(r[2] for r in rows),
                         "µs / partial": statistics.median(r[3] for r in rows) * 1e6}
    for key in ("median error", "estimate under >10x", "nan", "evaluations / partial", "µs / partial"):
        cells = [summary[name][key] for name in methods]
        shown = [f"{c:.1e}" if key == "median error" else f"{c:.0f}" for c in cells]
        print(f"{key:40s}" + "".join(f"{s:>34s}" for s in shown))
    if "numdifftools" in summary:
        mine, theirs = summary["diffcli richardson"], summary["numdifftools"]
        ratio = theirs["µs / partial"] / mine["µs / partial"]
        print(f"\nnumdifftools / richardson time per partial: {ratio:.2f}x (target >= 4); median error "
              f"{mine['median error']:.1e} vs {theirs['median error']:.1e} (target: not worse)")


if __name__ == "__main__":
    main()
