"""Where a one-point stencil stops gaining from f on floats: the scalar and vectorized paths as D grows.

Run: python3 benchmarks/stencil_crossover.py   (about a minute)

For f = a sum of D copies of the lecture's terms, one variable each (exp(3·x_i) + 3·x_i/log(x_i) +
sin(log(x_i))/(3·x_i), x_i = 2 + i/100), times one whole gradient by ``fd-forward``, ``fd-central`` and
``fd-5point`` through the scalar path (f compiled for floats, called once per stencil point) and through the
vectorized path (every stencil point in one numpy call), at D = 1, 2, 4, … 128, and prints vectorized /
scalar: above 1 the scalar path is faster; and the setup of each path (its first prepare, which compiles f).
The crossover is the number of stencil points (D × points per variable) of the first D where the vectorized
path wins; ``finite.SCALAR_POINTS`` is set from it. Then the lecture example at x=2, z=3 (D = 2):
``fd-central`` / f and ``richardson`` / f next to their targets, f being the bare compiled f on floats, with
fd-central's floor in plain Python (its four calls of f and two differences written out) and its time
through numpy; and richardson's 161 evaluations on floats against one numpy call. Every time is the best of
several ``timeit`` batches of this process's CPU time (``time.process_time``), so that other processes on a
loaded machine count less; all are from one run.
"""

import sys
import time
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diffcli.core.codegen import compile_function  # noqa: E402
from diffcli.core.parse import parse  # noqa: E402
from diffcli.methods import METHODS, finite  # noqa: E402
from diffcli.methods.richardson import RICHARDSON_FIRST_STEP, RICHARDSON_STEPS  # noqa: E402

LECTURE = "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)"
SIZES = (1, 2, 4, 8, 16, 32, 64, 128)
STENCILS = ("fd-forward", "fd-central", "fd-5point")
TARGETS = {"fd-central": 8.0, "richardson": 200.0}


def expression(d: int) -> str:
    return " + ".join(f"exp(3*x{i}) + 3*x{i}/log(x{i}) + sin(log(x{i}))/(3*x{i})" for i in range(d))


def seconds(call, budget: float = 0.05) -> float:
    """CPU seconds of one call: the best of 5 batches, each about ``budget`` long."""
    timer = timeit.Timer(call, timer=time.process_time)
    number = max(1, int(budget / max(1e-7, min(timer.repeat(3, 1)))))
    return min(timer.repeat(5, number)) / number


def prepared(method: str, graph, scalar: bool):
    """The method's run, with the scalar path allowed for every D (or for none)."""
    saved = finite.SCALAR_POINTS
    finite.SCALAR_POINTS = 1 << 30 if scalar else 0
    try:
        return METHODS[method].prepare(graph)
    finally:
        finite.SCALAR_POINTS = saved


def crossover() -> dict:
    """Per stencil, the stencil points of the first D where the vectorized path is faster (None: never)."""
    found = dict.fromkeys(STENCILS)
    print(f"{'D':>4}  " + "  ".join(f"{m + ' vec/scalar':>24}" for m in STENCILS)
          + "   setup scalar / vectorized")
    for d in SIZES:
        graph = parse(expression(d))
        values = [2.0 + i / 100 for i in range(d)]
        setup = []  # each path's first prepare compiles its f (on floats, on arrays); later ones share it
        for scalar in (True, False):
            started = time.process_time()
            prepared(STENCILS[0], graph, scalar)
            setup.append(time.process_time() - started)
        row = []
        for method in STENCILS:
            scalar = prepared(method, graph, True)
            vectorized = prepared(method, graph, False)
            assert scalar(values)[1] == vectorized(values)[1]  # the same evaluations counted
            ratio = seconds(lambda v=vectorized, x=values: v(x)) / seconds(lambda s=scalar, x=values: s(x))
            points = d * sum(1 for o in finite.STENCILS[method].offsets if o)
            if ratio < 1 and found[method] is None:
                found[method] = points
            row.append(f"{ratio:>10.2f} ({points:>4} points)")
        print(f"{d:>4}  " + "  ".join(f"{cell:>24}" for cell in row)
              + f"   {setup[0] * 1e3:6.2f} / {setup[1] * 1e3:.2f} ms", flush=True)
    return found


def richardson_evaluations() -> None:
    """richardson's 1 + 80·D values of f at the lecture point (D = 2): on floats one after another, as the
    scalar stencils do, against one numpy call (the Evaluator richardson uses)."""
    graph = parse(LECTURE)
    f = compile_function(graph)
    evaluate = finite.Evaluator(graph)
    values = [2.0, 3.0]
    halvings = [2.0 ** -j for j in range(RICHARDSON_STEPS)]  # x + h_j, then x − h_j, as richardson steps
    points = np.array([[x + sign * RICHARDSON_FIRST_STEP * max(1.0, abs(x)) * r for sign in (1.0, -1.0)
                        for r in halvings] for x in values])

    def on_floats():
        found = [f(*values)[0]]
        for i, row in enumerate(points.tolist()):
            args = list(values)
            for p in row:
                args[i] = p
                found.append(f(*args)[0])
        return found

    scalar = seconds(on_floats)
    vectorized = seconds(lambda: evaluate(values, [0, 1], points, center=True))
    print(f"\nrichardson's {1 + points.size} evaluations of the lecture's f: on floats {scalar * 1e6:.1f} µs,"
          f" in one numpy call {vectorized * 1e6:.1f} µs (vectorized / scalar {vectorized / scalar:.2f});\n"
          "  80 points a variable are past the crossover from D = 1 on: richardson stays vectorized")


def lecture() -> None:
    graph = parse(LECTURE)
    f = compile_function(graph)
    f_time = seconds(lambda: f(2.0, 3.0))
    print(f"\nlecture example at x=2, z=3: f = {f_time * 1e6:.3f} µs")
    for method, target in TARGETS.items():
        run = METHODS[method].prepare(graph)
        ratio = seconds(lambda run=run: run([2.0, 3.0])) / f_time
        print(f"  {method:<11} {ratio * f_time * 1e6:8.2f} µs = {ratio:6.1f} × f   (target ≤ {target:g} × f: "
              f"{'met' if ratio <= target else 'not met'})")
    h = [finite.STENCILS["fd-central"].step(v) for v in (2.0, 3.0)]

    def floor():  # the four calls of f and the two differences alone, nothing else a row needs
        return [(f(2.0 + h[0], 3.0)[0] - f(2.0 - h[0], 3.0)[0]) / (2 * h[0]),
                (f(2.0, 3.0 + h[1])[0] - f(2.0, 3.0 - h[1])[0]) / (2 * h[1])]
    print(f"  fd-central's floor in plain Python (4 calls of f, 2 differences): "
          f"{seconds(floor) / f_time:.1f} × f")
    run = prepared("fd-central", graph, False)
    ratio = seconds(lambda: run([2.0, 3.0])) / f_time
    print(f"  fd-central through numpy (as before the scalar path): {ratio * f_time * 1e6:.2f} µs = "
          f"{ratio:.1f} × f")


def main() -> None:
    found = crossover()
    for method, points in found.items():
        print(f"crossover {method}: " + (f"vectorized faster from {points} stencil points" if points
                                         else "scalar faster at every D measured"))
    print(f"finite.SCALAR_POINTS = {finite.SCALAR_POINTS}")
    richardson_evaluations()
    lecture()


if __name__ == "__main__":
    main()
