"""Throughput: lines/s in file mode, points/s and peak memory for --points, µs per node for big expressions,
each next to its peer or floor measured in the same run.

    python benchmarks/throughput.py            # the full sizes (10^7 points: several minutes, ~1 GB)
    python benchmarks/throughput.py --quick    # small sizes, about a minute

Every diffcli figure is a whole command (``python -m diffcli …``, start-up included) run once, its peak
memory read from the kernel (``wait4``), after diffcli's modules are compiled to bytecode once as an install
does (:func:`compile_bytecode`).  Peers: a SymPy loop (sympify, diff, evalf, lambdify) per line and
a SymPy ``lambdify`` script for the points, JAX likewise, skipped quietly when not installed (``pip install
sympy``).  Floors: ``np.loadtxt`` of the same CSV, and diffcli's compiled f on the same columns.  The
machine is shared: figures from one run are noisy, ratios within a run less so.  Scratch files go to a
temporary folder (``--keep DIR`` to keep them elsewhere).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

LECTURE = "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)"
TERMS = ["exp(x*z)", "x/z", "sin(x)", "log(x)", "sqrt(x*z)", "x**2", "cos(z)", "tanh(x)", "atan(x/z)", "x*z"]


MEASURE = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))
"""
"""Run a command from a small fresh process: the peak memory the kernel reports for a child starts from its
parent's at the fork, so this benchmark's own arrays must not be the parent."""


def compile_bytecode() -> None:
    """Compile diffcli's modules to bytecode once (``compileall``, into the ``__pycache__`` folders git
    ignores), as a regular install does when it installs.  An editable install compiles a module on its first
    import and keeps the bytecode, unless ``PYTHONDONTWRITEBYTECODE`` is set (as on the development machine):
    then every measured command would compile diffcli's modules again, about 0.1 s of CPU each, and every
    figure would carry that.  (A private ``PYTHONPYCACHEPREFIX`` would not do: every installed package would
    then look for its bytecode there too, and find none.)"""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "diffcli")], check=True,
                   stdout=subprocess.DEVNULL)


def run(argv: list) -> tuple[float, float, int]:
    """Seconds, peak resident MB and exit status of ``python -m diffcli ARGV`` (output discarded)."""
    result = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "diffcli", *argv], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    seconds, peak, status = result.stdout.split()
    return float(seconds), float(peak), int(status)


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# ---------------------------------------------------------------- file mode


def expression_file(folder: Path, count: int) -> Path:
    """``count`` lines of 5-30 nodes, each with its point (the same file every run)."""
    rng = np.random.default_rng(16)
    lines = []
    for _ in range(count):
        terms = " + ".join(TERMS[k] for k in rng.integers(0, len(TERMS), rng.integers(2, 6)))
        lines.append(f"{terms} @ x={rng.uniform(0.5, 3):.3f} z={rng.uniform(0.5, 3):.3f}")
    path = folder / f"lines{count}.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def sympy_loop(path: Path) -> float | None:
    """Seconds for the SymPy loop over the file: sympify, diff, evalf at 50 digits, lambdify the gradient."""
    if not have("sympy"):
        return None
    import sympy

    def work():
        for line in path.read_text().splitlines():
            text, _, at = line.partition("@")
            point = dict(word.split("=") for word in at.split())
            expression = sympy.sympify(text)
            names = sorted(expression.free_symbols, key=str)
            values = {s: sympy.Float(point[str(s)], 50) for s in names}
            [sympy.diff(expression, s).evalf(50, subs=values) for s in names]
            sympy.lambdify(names, [sympy.diff(expression, s) for s in names])(
                *[float(point[str(s)]) for s in names]
            )

    return timed(work)


def jax_loop(path: Path) -> float | None:
    """Seconds for the JAX loop over the file: jit(grad) of each line, called at its point."""
    if not have("jax"):
        return None
    import jax
    import jax.numpy as jnp

    def work():
        for line in path.read_text().splitlines():
            text, _, at = line.partition("@")
            point = dict(word.split("=") for word in at.split())
            names = sorted(point)
            code = compile(text.replace("^", "**"), "<line>", "eval")
            spaces = {n: getattr(jnp, n) for n in ("exp", "sin", "cos", "log", "sqrt", "tanh", "arctan")}
            spaces["atan"] = jnp.arctan
            def value(v, code=code, spaces=spaces, names=names):
                return eval(code, spaces, dict(zip(names, v)))  # noqa: S307 - the benchmark's own lines

            f = jax.jit(jax.grad(value))
            f(jnp.array([float(point[n]) for n in names])).block_until_ready()

    return timed(work)


def file_mode(folder: Path, lines: int, dask_lines: int) -> list:
    path = expression_file(folder, lines)
    rows = []
    base = ["compare", "--file", str(path), "-f", "jsonl"]
    cases = {
        "all methods, --no-timing, -j 1": [],
        "all methods, timing, -j 1": ["--timing"],
        "-m reverse, --no-timing, -j 1": ["-m", "reverse"],
        "all methods, --no-timing, -j 2": ["-j", "2"],
        "-m reverse, --no-timing, -j 2": ["-m", "reverse", "-j", "2"],
    }
    seconds = {}
    for name, extra in cases.items():
        seconds[name] = run(base + ["--no-timing" if "--no-timing" in name else "--timing", *extra])[0]
        rows.append((f"file, {lines} lines, {name}", f"{lines / seconds[name]:.0f} lines/s", ""))
    sympy_seconds, jax_seconds = sympy_loop(path), jax_loop(path)
    for peer, value in (("SymPy loop", sympy_seconds), ("JAX loop", jax_seconds)):
        rows.append(
            (
                f"file, {lines} lines, {peer}",
                "not installed" if value is None else f"{lines / value:.0f} lines/s",
                "",
            )
        )
    all_off = seconds["all methods, --no-timing, -j 1"]
    rows.append(
        (
            "ratio: timing on / --no-timing (lines/s)",
            f"{all_off / seconds['all methods, timing, -j 1']:.2f}",
            "target >= 0.5",
        )
    )
    rows.append(
        (
            "ratio: -j 2 / -j 1, all methods",
            f"{all_off / seconds['all methods, --no-timing, -j 2']:.2f}",
            "target >= 1.7",
        )
    )
    rows.append(
        (
            "ratio: -j 2 / -j 1, reverse",
            f"{seconds['-m reverse, --no-timing, -j 1'] / seconds['-m reverse, --no-timing, -j 2']:.2f}",
            "target >= 1.7",
        )
    )
    rows += dask_rows(folder, dask_lines)
    return rows


def dask_rows(folder: Path, lines: int) -> list:
    if not have("distributed"):
        return [("Dask LocalCluster", "not installed", "")]
    import dask
    import distributed

    path = expression_file(folder, lines)
    rows, seconds = [], {}
    for workers in (1, 2):
        with (
            dask.config.set({"distributed.worker.daemon": False}),
            distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
        ):
            seconds[workers] = run(
                [
                    "compare",
                    "--file",
                    str(path),
                    "-f",
                    "jsonl",
                    "--no-timing",
                    "--scheduler",
                    cluster.scheduler_address,
                ]
            )[0]
        rows.append(
            (
                f"Dask LocalCluster, {workers} worker(s), {lines} lines",
                f"{lines / seconds[workers]:.0f} lines/s",
                "",
            )
        )
    rows.append(("ratio: Dask 2 workers / 1 worker", f"{seconds[1] / seconds[2]:.2f}", "target >= 1.6"))
    return rows


# ---------------------------------------------------------------- points


def points_files(folder: Path, count: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(7)
    csv, npy = folder / f"points{count}.csv", folder / f"points{count}.npy"
    with open(csv, "w") as out:
        out.write("x,z\n")
        for start in range(0, count, 1_000_000):
            block = rng.uniform(0.5, 3.0, (min(1_000_000, count - start), 2))
            np.savetxt(out, block, delimiter=",", fmt="%.17g")
    np.save(
        npy,
        np.loadtxt(csv, delimiter=",", skiprows=1)
        if count <= 1_000_000
        else np.column_stack([rng.uniform(0.5, 3.0, count), rng.uniform(0.5, 3.0, count)]),
    )
    return csv, npy


def points_peers(csv: Path, count: int) -> list:
    """The floors and peers at one size: np.loadtxt of the CSV, diffcli's compiled f and the SymPy
    lambdify gradient on its columns."""
    from diffcli.core.codegen import compile_function
    from diffcli.core.parse import parse

    rows = []
    started = time.perf_counter()
    table = np.loadtxt(csv, delimiter=",", skiprows=1)
    rows.append(
        (f"points {count:.0e}: floor np.loadtxt of the CSV", f"{time.perf_counter() - started:.2f} s", "")
    )
    f = compile_function(parse(LECTURE), kind="array")
    x, z = np.ascontiguousarray(table[:, 0]), np.ascontiguousarray(table[:, 1])
    rows.append(
        (f"points {count:.0e}: floor compiled f on the columns", f"{timed(lambda: f(x, z)) * 1e3:.2f} ms", "")
    )
    if have("sympy"):
        import sympy

        def lambdify_job():
            data = np.loadtxt(csv, delimiter=",", skiprows=1)
            sx, sz = sympy.symbols("x z")
            expression = sympy.sympify(LECTURE)
            gradient = sympy.lambdify([sx, sz], [sympy.diff(expression, s) for s in (sx, sz)], "numpy")
            gradient(data[:, 0], data[:, 1])

        rows.append(
            (f"points {count:.0e}: SymPy lambdify script (whole job)", f"{timed(lambdify_job):.2f} s", "")
        )
    return rows


def points_rows(folder: Path, sizes: list) -> list:
    rows = []
    for count in sizes:
        csv, npy = points_files(folder, count)
        results = {}
        for kind, path in (("CSV", csv), (".npy", npy)):
            results[kind] = run(
                ["compare", LECTURE, "--points", str(path), "-m", "reverse", "--no-timing", "-f", "json"]
            )
            seconds, peak, status = results[kind]
            rows.append(
                (
                    f"points {count:.0e} {kind}, -m reverse",
                    f"{seconds:.2f} s, {count / seconds:.3g} "
                    f"points/s, peak {peak:.0f} MB" + ("" if status == 0 else f" (exit {status})"),
                    "",
                )
            )
        rows.append(
            (
                f"ratio: CSV / .npy time at {count:.0e}",
                f"{results['CSV'][0] / results['.npy'][0]:.2f}",
                "target <= 1.5 at 10^6",
            )
        )
        if count <= 1_000_000:
            rows += points_peers(csv, count)
        if count >= 10_000_000:
            rows.append((f"peak memory, CSV {count:.0e}", f"{results['CSV'][1]:.0f} MB", "target < 1 GB"))
        csv.unlink()
        npy.unlink()
    return rows


# ---------------------------------------------------------------- big expressions


def phase_rows(sizes: list) -> list:
    """CPU µs per node of each phase of ``compare -m reverse`` on the flat sum of ``tests/test_scale.py``
    (Σ sin(x_i·x_(i+1)) + exp(x_i)/(1 + x_i²), 9 nodes a term, a variable each): parse, the reference
    (reverse mode in mpmath, cross-checked), derive (the gradient's source) and compile it; and how
    each grows from one size to the next (linear: the ratio of the sizes)."""
    from diffcli.core.codegen import gradient_source
    from diffcli.core.parse import parse
    from diffcli.reference import reference

    rows, before = [], None
    for nodes in sizes:
        text = " + ".join(f"sin(x{i}*x{i + 1}) + exp(x{i})/(1 + x{i}**2)" for i in range(max(1, nodes // 9)))
        graph = parse(text)
        point = {name: 0.5 + 0.0001 * i for i, name in enumerate(graph.variable_names)}
        seconds = {}
        for phase, call, argument in (("parse", parse, text), ("reference", reference, (graph, point)),
                                      ("derive", gradient_source, graph)):
            started = time.process_time()
            result = call(*argument) if isinstance(argument, tuple) else call(argument)
            seconds[phase] = time.process_time() - started
        started = time.process_time()
        compile(result, "<gradient>", "exec")
        seconds["compile"] = time.process_time() - started
        per = {phase: s * 1e6 / len(graph) for phase, s in seconds.items()}
        shown = " / ".join(f"{per[p]:.1f}" for p in per)
        rows.append((f"{len(graph):,} nodes, D = {len(graph.variables):,}: parse / reference / derive / "
                     "compile", f"{shown} µs per node (CPU)", ""))
        if before is not None:
            growth = " / ".join(f"{seconds[p] / before[1][p]:.1f}" for p in seconds)
            rows.append((f"growth {before[0]:,} -> {len(graph):,} nodes ({len(graph) / before[0]:.1f}×)",
                         growth, "target <= 10.5 for 10x"))
        before = (len(graph), seconds)
    return rows


def nodes_rows(folder: Path, sizes: list) -> list:
    """µs per node: parse and compile f here, the whole ``compare -m reverse`` as a command, against the
    floor of one evaluation of the compiled f."""
    from diffcli.core.codegen import compile_function
    from diffcli.core.parse import parse

    rows = phase_rows([n for n in sizes if n <= 100_000])  # MAX_NODES is 200,000
    for nodes in sizes:
        terms = max(1, nodes // 5)  # sin(x_k*y + x_k) + … : 5 nodes a term (x_k, *, +, sin, the sum)
        text = " + ".join(f"sin(x{k}*y + x{k})" for k in range(terms))
        graph_seconds = timed(lambda text=text: parse(text))
        graph = parse(text)
        count = len(graph.ops)
        compile_seconds = timed(lambda graph=graph: compile_function(graph, kind="real"))
        f = compile_function(graph, kind="real")
        values = [0.5] * len(graph.variable_names)
        f_seconds = timed(lambda f=f, values=values: f(*values))
        path = folder / f"big{nodes}.txt"
        path.write_text(text + " @ " + " ".join(f"{n}=0.5" for n in graph.variable_names) + "\n")
        whole, peak, status = run(
            ["compare", "--file", str(path), "-m", "reverse", "--no-timing", "-f", "jsonl"]
        )
        per = 1e6 / count
        rows.append(
            (
                f"{count:,} nodes: parse / compile f / compare -m reverse (command)",
                f"{graph_seconds * per:.1f} / {compile_seconds * per:.1f} / {whole * per:.1f} µs per node, "
                f"peak {peak:.0f} MB" + ("" if status == 0 else f" (exit {status})"),
                "",
            )
        )
        rows.append(
            (f"{count:,} nodes: floor one call of the compiled f", f"{f_seconds * per:.3f} µs per node", "")
        )
        path.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--keep", metavar="DIR", help="scratch folder (default: a temporary one)")
    parser.add_argument("--only", choices=["files", "points", "nodes"], help="one part only")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(options.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        quick = options.quick
        compile_bytecode()
        parts = {
            "files": lambda: file_mode(folder, 100 if quick else 500, 200 if quick else 5000),
            "points": lambda: points_rows(folder, [10**4, 10**5] if quick else [10**4, 10**6, 10**7]),
            "nodes": lambda: nodes_rows(folder, [10**3, 10**4] if quick else [10**4, 10**5, 10**6]),
        }
        print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f} (a shared machine is noisy)")
        for name, part in parts.items():
            if options.only in (None, name):
                for row in part():
                    print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()
