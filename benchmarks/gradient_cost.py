"""What a gradient costs, in units of f, as the number of variables D grows — diffcli and its peers.

Two families:

* ``sum``:    f = Σ_i sin(x_i·x_{i+1}) + exp(x_i)/(1 + x_i²)                 (flat: generated models)
* ``nested``: y1 = sin(x1·x0 + x1); y2 = sin(x2·y1 + x2); …; y_D            (deep: one statement per level)

For D = 10, 100, 1000, 10000 it prints, per method, the setup time (parse + derive + compile) and
time(gradient) / time(f) at one point and batched over many points (10,000, fewer where the arrays of
every intermediate would not fit in memory; the count is printed).  Every method computes the gradient
alone, as ``jax.grad`` does: diffcli's ``reverse`` with ``value=False``, without the lines only the value
of f reads.  Peers — SymPy (diff + lambdify with
cse), JAX (jit(grad), and jit(vmap(grad)) batched) and autograd — run when installed, each in its own process
with a time cap, so a compile that would take ten minutes is reported as "> cap", not waited for.

Run:  python benchmarks/gradient_cost.py [--sizes 10,100,1000] [--cap 60] [--families sum,nested]
Every number is measured in this run; nothing is asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

MEMORY_BUDGET_FLOATS = 60_000_000
"""Batched runs keep (graph nodes × points) under this, about 0.5 GB per array set."""


def family(name: str, size: int) -> tuple[str, list[str]]:
    if name == "sum":
        text = " + ".join(f"sin(x{i}*x{i + 1}) + exp(x{i})/(1 + x{i}**2)" for i in range(size))
        return text, [f"x{i}" for i in range(size + 1)]
    lines = ["y1 = sin(x1*x0 + x1)"] + [f"y{i} = sin(x{i}*y{i - 1} + x{i})" for i in range(2, size + 1)]
    return "\n".join(lines + [f"y{size}"]), [f"x{i}" for i in range(size + 1)]


def median_time(call, budget: float = 0.3) -> float:
    started = time.perf_counter()
    call()
    first = time.perf_counter() - started
    if first > budget:
        return first
    number = max(1, int(0.02 / max(first, 1e-7)))
    samples = []
    while sum(samples) * number < budget or len(samples) < 5:
        started = time.perf_counter()
        for _ in range(number):
            call()
        samples.append((time.perf_counter() - started) / number)
        if len(samples) >= 25:
            break
    return statistics.median(samples)


# ---------------------------------------------------------------- diffcli

def diffcli_rows(text: str, names: list[str], batch_points: int) -> list[tuple]:
    from diffcli.core.chain import symbolic_gradient
    from diffcli.core.codegen import compile_function, compile_gradient
    from diffcli.core.parse import parse
    from diffcli.methods import METHODS

    rng = np.random.default_rng(0)
    point = [float(v) for v in rng.uniform(0.1, 0.9, len(names))]
    columns = [rng.uniform(0.1, 0.9, batch_points) for _ in names]

    started = time.perf_counter()
    graph = parse(text)
    parse_seconds = time.perf_counter() - started
    f = compile_function(graph)
    f_batch = compile_function(graph, kind="array")
    f_one = median_time(lambda: f(*point))
    f_many = median_time(lambda: f_batch(*columns)) if batch_points else None
    rows = [("diffcli f", len(graph), parse_seconds, f_one, 1.0, f_many, 1.0 if batch_points else None)]

    def add(name, prepare):
        started = time.perf_counter()
        one, many = prepare()
        setup = parse_seconds + time.perf_counter() - started
        t_one = median_time(one) if one else None
        t_many = median_time(many) if many and batch_points else None
        rows.append((name, len(graph), setup, t_one, t_one / f_one if t_one else None, t_many,
                     t_many / f_many if t_many else None))

    # the gradient alone, as jax.grad computes it (the value would cost the lines only it reads)
    def reverse():
        g1, gn = compile_gradient(graph, value=False), compile_gradient(graph, kind="array", value=False)
        return (lambda: g1(*point)), (lambda: gn(*columns))

    def symbolic():
        derived = graph.copy()
        outputs = symbolic_gradient(derived)
        g1, gn = compile_function(derived, outputs), compile_function(derived, outputs, kind="array")
        return (lambda: g1(*point)), (lambda: gn(*columns))

    add("diffcli reverse", reverse)
    add("diffcli symbolic", symbolic)
    if "dual" in METHODS:
        def dual():
            run = METHODS["dual"].prepare(graph)
            return (lambda: run(point)), None
        add("diffcli dual", dual)
    if len(names) <= 1000:
        def central():
            run = METHODS["fd-central"].prepare(graph)
            return (lambda: run(point)), None
        add("diffcli fd-central", central)
    return rows


def transcendental_floor(size: int, points: int) -> float:
    """Seconds numpy takes for the calls no gradient of the sum family can avoid, at ``points`` points:
    D cosines (the derivatives of the sines) and D exponentials.  numpy's float64 cos takes several times
    as long per element as its exp (it is not vectorized), and XLA's fused loops take about half of
    numpy's time for it, so this bounds how close any numpy code can come to JAX here."""
    rng = np.random.default_rng(1)
    arguments = [rng.uniform(0.01, 0.81, points) for _ in range(min(size, 100))]
    repeat = size / len(arguments)

    def calls():
        for a in arguments:
            np.cos(a), np.exp(a)
    return median_time(calls) * repeat


# ---------------------------------------------------------------- peers (each in a child process)

def _sympy(text, names, batch_points, queue):
    import sympy

    rng = np.random.default_rng(0)
    point = [float(v) for v in rng.uniform(0.1, 0.9, len(names))]
    columns = [rng.uniform(0.1, 0.9, batch_points) for _ in names]
    started = time.perf_counter()
    symbols = sympy.symbols(names)
    scope = dict(zip(names, symbols))
    if "\n" in text:  # a program: substitute statement by statement
        *statements, last = text.split("\n")
        for statement in statements:
            name, expression = statement.split(" = ")
            scope[name] = sympy.sympify(expression, locals=scope)
        expr = sympy.sympify(last, locals=scope)
    else:
        expr = sympy.sympify(text, locals=scope)
    gradient = [sympy.diff(expr, s) for s in symbols]
    f = sympy.lambdify(symbols, expr, "math")
    g = sympy.lambdify(symbols, gradient, "math", cse=True)
    gn = sympy.lambdify(symbols, gradient, "numpy", cse=True)
    fn = sympy.lambdify(symbols, expr, "numpy")
    setup = time.perf_counter() - started
    f_one, g_one = median_time(lambda: f(*point)), median_time(lambda: g(*point))
    f_many = median_time(lambda: fn(*columns)) if batch_points else None
    g_many = median_time(lambda: gn(*columns)) if batch_points else None
    queue.put(("sympy (lambdify, cse)", setup, g_one, g_one / f_one, g_many,
               g_many / f_many if f_many else None))


def _define_f(text: str, names: list[str], scope: dict) -> None:
    """Define ``f(x)`` in ``scope`` from a family's text (expression or program): x is one array of the
    variables, the way JAX and autograd differentiate."""
    source = "def f(x):\n" + "".join(f"    {n} = x[{k}]\n" for k, n in enumerate(names))
    *statements, last = text.split("\n")
    source += "".join(f"    {s}\n" for s in statements) + f"    return {last}\n"
    exec(source, scope)  # benchmark-generated text only


def _jax(text, names, batch_points, queue):
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    scope = {"sin": jnp.sin, "exp": jnp.exp}
    rng = np.random.default_rng(0)
    point = jnp.asarray(rng.uniform(0.1, 0.9, len(names)))
    columns = jnp.asarray(rng.uniform(0.1, 0.9, (batch_points, len(names))))
    _define_f(text, names, scope)
    f = jax.jit(scope["f"])
    started = time.perf_counter()
    g = jax.jit(jax.grad(scope["f"]))
    g(point).block_until_ready()
    setup = time.perf_counter() - started
    f(point).block_until_ready()
    f_one = median_time(lambda: f(point).block_until_ready())
    g_one = median_time(lambda: g(point).block_until_ready())
    g_many = f_many = None
    if batch_points:
        fv, gv = jax.jit(jax.vmap(scope["f"])), jax.jit(jax.vmap(jax.grad(scope["f"])))
        fv(columns).block_until_ready()
        gv(columns).block_until_ready()
        f_many = median_time(lambda: fv(columns).block_until_ready())
        g_many = median_time(lambda: gv(columns).block_until_ready())
    queue.put(("jax (jit grad / vmap)", setup, g_one, g_one / f_one, g_many,
               g_many / f_many if f_many else None))


def _autograd(text, names, batch_points, queue):
    import autograd
    import autograd.numpy as anp

    scope = {"sin": anp.sin, "exp": anp.exp}
    rng = np.random.default_rng(0)
    point = rng.uniform(0.1, 0.9, len(names))
    _define_f(text, names, scope)
    f = scope["f"]
    started = time.perf_counter()
    g = autograd.grad(f)
    setup = time.perf_counter() - started
    f_one, g_one = median_time(lambda: f(point)), median_time(lambda: g(point))
    queue.put(("autograd", setup, g_one, g_one / f_one, None, None))


PEERS = {"sympy": _sympy, "jax": _jax, "autograd": _autograd}


def _guarded(name, text, names, batch_points, queue):
    """Run a peer; its failure (SymPy's RecursionError on deep expressions, say) becomes a one-word row."""
    try:
        PEERS[name](text, names, batch_points, queue)
    except BaseException as error:  # noqa: BLE001 - a peer's failure is a result here
        queue.put((name, f"failed: {type(error).__name__}"))


def peer_row(name, text, names, batch_points, cap):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_guarded, args=(name, text, names, batch_points, queue))
    process.start()
    process.join(cap)
    if process.is_alive():
        process.kill()
        process.join()
        return (name, f"> {cap:.0f} s (capped)")
    if queue.empty():
        return (name, f"failed (exit {process.exitcode})")
    return queue.get()


# ---------------------------------------------------------------- report

def show(value, unit=""):
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.3g} s" if value >= 0.1 else f"{value * 1e3:.3g} ms"
    return f"{value:.3g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--families", default="sum,nested")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds allowed to each peer per size")
    parser.add_argument("--points", type=int, default=10_000)
    args = parser.parse_args()
    peers = [p for p in PEERS if importlib.util.find_spec(p) is not None]
    print(f"peers installed: {', '.join(peers) or 'none'}")
    print("| family | D | nodes | method | setup | grad/f (1 point) | grad/f (batch) | batch grad time "
          "| batch points |")
    print("|---|---|---|---|---|---|---|---|---|")
    # (family, D) -> seconds: diffcli reverse's and JAX's batched gradient; setup
    batch_times, setups = {}, {}
    for fam in args.families.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            text, names = family(fam, size)
            nodes_estimate = 9 * size
            batch_points = min(args.points, MEMORY_BUDGET_FLOATS // (3 * nodes_estimate))
            for row in diffcli_rows(text, names, batch_points):
                name, nodes, setup, t_one, ratio_one, t_many, ratio_many = row
                if name == "diffcli f":
                    continue
                if name == "diffcli reverse":
                    batch_times.setdefault((fam, size), {})["diffcli"] = t_many
                    setups[(fam, size)] = setup
                    if fam == "sum" and batch_points:
                        batch_times[(fam, size)]["floor"] = transcendental_floor(size, batch_points)
                print(f"| {fam} | {size} | {nodes} | {name} | {show(setup, 's')} | {show(ratio_one)} | "
                      f"{show(ratio_many)} | {show(t_many, 's')} | {batch_points} |", flush=True)
            for peer in peers:
                result = peer_row(peer, text, names, batch_points, args.cap)
                if len(result) == 2:
                    print(f"| {fam} | {size} | | {result[0]} | {result[1]} | - | - | - | |", flush=True)
                else:
                    label, setup, _, ratio_one, t_many, ratio_many = result
                    if peer == "jax":
                        batch_times.setdefault((fam, size), {})["jax"] = t_many
                    print(f"| {fam} | {size} | | {label} | {show(setup, 's')} | {show(ratio_one)} | "
                          f"{show(ratio_many)} | {show(t_many, 's')} | {batch_points} |", flush=True)
    summarize(batch_times, setups)


def summarize(batch_times: dict, setups: dict) -> None:
    """The targets that compare numbers of this run: reverse's batched gradient against JAX's
    (<= 1.5x), and setup growth from D to 10 D (<= 12x)."""
    print()
    for (fam, size), times in batch_times.items():
        if times.get("diffcli") and times.get("jax"):
            print(f"{fam} D={size}: diffcli reverse / jax batched gradient = "
                  f"{times['diffcli'] / times['jax']:.2f}x (target <= 1.5)")
            if times.get("floor"):
                print(f"    numpy's {size} cos + {size} exp alone: {show(times['floor'], 's')} = "
                      f"{times['floor'] / times['jax']:.2f}x jax's whole batched gradient "
                      "(no numpy code is faster)")
    for (fam, size), setup in setups.items():
        if (fam, size * 10) in setups:
            print(f"{fam} D={size} -> {size * 10}: setup grows {setups[(fam, size * 10)] / setup:.1f}x "
                  "(target <= 12)")


if __name__ == "__main__":
    main()
