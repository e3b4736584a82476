"""Where a line's time goes, and the lines/s the file-mode targets would need: each phase against its floor.

    python benchmarks/floors.py              # 500 lines, 3 rounds (about a minute)
    python benchmarks/floors.py --lines 100 --rounds 1
    python benchmarks/floors.py --big        # the 90,002-node sum instead (about a minute)

``benchmarks/throughput.py`` measures whole commands; this script asks what is left to gain, in one run:

* **start-up**: ``python -m diffcli compare x x=1 --no-timing`` as a process (median of 7; with ``-m
  reverse`` for the reverse figures), the price every file pays once, imports included (mpmath; numpy for
  all methods), which the phases below then do not count again;
* **the phases of a line**, in this process, over the same 500-line file as ``throughput.py`` (lines of
  5-30 nodes, 2 variables): the whole ``compare`` task, the reference, the methods (their answers and their
  untimed rounding estimates apart), and the rest (parsing, preparing the point, scoring); the file loop and
  JSON writing are measured as the difference to the command's CPU time;
* **two floors of the reference**: *one unchecked pass* (a forward walk in mpmath at the reference's
  working precision and one backward pass by the rules: the least that gives 50 digits at all, with no second
  precision to tell which digits are right and no check that does not use the rules), and *one independent
  pass* (that forward walk and a complex step per variable at one precision: the reference's truth without
  its second precision);
* **what a target needs**: the CPU a line may cost for 800 lines/s (``-m reverse``) and 350 lines/s (all
  methods) once start-up is paid, next to what the line costs today and what it would cost with the
  reference at each floor and everything else as it is.

``--big`` does the same for the 90,002-node sum of ``tests/test_scale.py`` (10,001 variables; ``compare
-m reverse``, target 2.5 s for the whole command): its parse, reference (two reverse-mode runs in mpmath and
the cross-check), the method (the gradient's source and its compile) and the rest, against the unchecked
pass's floor (a complex step per variable would be 10,001 walks: no floor a design would take).

Times are CPU seconds (``time.process_time``), best of ``--rounds`` rounds, each round of phases in a fresh
process (a second run of the same file in one process would find its measurements kept and its code warm):
a shared machine slows some rounds; the best is the closest to what the code costs.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import throughput  # noqa: E402  (the same 500-line file)

from diffcli.cli.program import main as diffcli_main  # noqa: E402
from diffcli.core.algebra import MpAlgebra  # noqa: E402
from diffcli.core.chain import adjoints  # noqa: E402
from diffcli.core.evaluate import depends_on, evaluate_mp  # noqa: E402
from diffcli.core.parse import parse  # noqa: E402
from diffcli.harness import running  # noqa: E402
from diffcli.tasks import compare as compare_task  # noqa: E402

TARGETS = {"-m reverse": 800, "all methods": 350}
ARGUMENTS = {"-m reverse": ["-m", "reverse"], "all methods": []}
WORKING_DIGITS = 60  # the reference's lower run: 50 digits and 10 guard digits
STEP_DIGITS = 35     # the complex step's h = 10^-35 needs that many more digits for its imaginary parts


def startup_seconds(extra: list) -> float:
    """Median wall seconds of a one-line command (start-up, a tiny line and exit), from bytecode."""
    runs = [throughput.run(["compare", "x", "x=1", "--no-timing", "-f", "json", *extra])[0] for _ in range(7)]
    return statistics.median(runs)


def phases(path: Path, extra: list) -> dict:
    """CPU seconds of each phase over the file, ``compare --file PATH -f jsonl --no-timing EXTRA`` run in
    this process with the task's parts wrapped by timers (mpmath and numpy imported before: the start-up
    figure has their imports)."""
    import mpmath  # noqa: F401
    import numpy  # noqa: F401
    spent: dict = defaultdict(float)

    def timer(owner, name, label):
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - started
        setattr(owner, name, timed)
        return original

    wrapped = [(compare_task, "compare", "line"), (compare_task, "reference", "reference"),
               (compare_task, "as_graph", "parse"),
               (compare_task, "run_method", "methods"), (running, "_add_details", "estimates")]
    originals = [(owner, name, timer(owner, name, label)) for owner, name, label in wrapped]
    argv = sys.argv
    sys.argv = ["diffcli", "compare", "--file", str(path), "-f", "jsonl", "--no-timing", *extra]
    started = time.process_time()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            diffcli_main()
    except SystemExit:
        pass
    finally:
        spent["command"] = time.process_time() - started
        sys.argv = argv
        for owner, name, original in originals:
            setattr(owner, name, original)
    return dict(spent)


def reference_floors(path: Path, independent_too: bool = True) -> tuple[float, float | None]:
    """CPU seconds over the file of the two floors of the reference (see the module's docstring)."""
    import mpmath

    lines = []
    for line in path.read_text().splitlines():
        text, _, at = line.partition("@")
        lines.append((parse(text), {k: float(v) for k, v in (w.split("=") for w in at.split())}))
    low, high = mpmath.MPContext(), mpmath.MPContext()
    low.dps, high.dps = WORKING_DIGITS, WORKING_DIGITS + STEP_DIGITS

    def unchecked():
        for graph, point in lines:
            values = evaluate_mp(graph, {n: low.mpf(point[n]) for n in graph.variable_names}, low, every=True)
            adjoints(graph, values, MpAlgebra(low))

    def independent():
        h = high.mpf(2) ** -116  # about 10^-35
        for graph, point in lines:
            at = {n: high.mpf(point[n]) for n in graph.variable_names}
            base = evaluate_mp(graph, at, high, every=True)
            for name, node in zip(graph.variable_names, graph.variables):
                evaluate_mp(graph, {**at, name: high.mpc(at[name], h)}, high, base=base,
                            changed=depends_on(graph, node), complex_step=True, every=True)

    def cpu(call):
        started = time.process_time()
        call()
        return time.process_time() - started
    return cpu(unchecked), cpu(independent) if independent_too else None


def big_sum(folder: Path, rounds: int) -> None:
    """The phases of ``compare -m reverse`` on the 90,002-node sum, against its target and the floor."""
    terms = 10_000
    text = " + ".join(f"sin(x{i}*x{i + 1}) + exp(x{i})/(1 + x{i}**2)" for i in range(terms))
    point = " ".join(f"x{i}={0.5 + 0.0001 * i!r}" for i in range(terms + 1))
    path = folder / "big.txt"
    path.write_text(f"{text} @ {point}\n")
    start = startup_seconds(ARGUMENTS["-m reverse"])
    runs = [_phases_apart(path, "-m reverse") for _ in range(rounds)]
    spent = defaultdict(float, min(runs, key=lambda r: r["command"]))  # a phase never entered took 0 s
    floor = min(reference_floors(path, independent_too=False)[0] for _ in range(rounds))
    rest = spent["line"] - spent["reference"] - spent["methods"] - spent["parse"]
    loop = spent["command"] - spent["line"]
    whole = start + spent["command"]
    print(f"90,002-node sum, compare -m reverse, CPU seconds (best of {rounds}): start-up {start:.2f} "
          f"(wall) + parse {spent['parse']:.2f} + reference {spent['reference']:.2f} + method "
          f"{spent['methods']:.2f} "
          f"(its rounding estimates {spent['estimates']:.2f}) + prepare and score {rest:.2f} + file loop and "
          f"JSON {loop:.2f} = {whole:.2f} s (target 2.5 s)")
    print(f"  the reference's floor (one unchecked pass: a forward walk and a backward pass at "
          f"{WORKING_DIGITS} digits): {floor:.2f} s; the whole command with the reference at that floor "
          f"{whole - spent['reference'] + floor:.2f} s; with no reference at all "
          f"{whole - spent['reference']:.2f} s")


def _phases_apart(path: Path, name: str) -> dict:
    """:func:`phases` in a fresh process (see the module's docstring)."""
    result = subprocess.run([sys.executable, __file__, "--phases", str(path), name], capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=500, choices=range(10, 5001), metavar="10..5000")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 11), metavar="1..10")
    parser.add_argument("--big", action="store_true", help="the 90,002-node sum instead of the file")
    parser.add_argument("--phases", nargs=2, metavar=("FILE", "NAME"), help=argparse.SUPPRESS)  # one round
    options = parser.parse_args()
    if options.phases:
        path, name = options.phases
        print(json.dumps(phases(Path(path), ARGUMENTS[name])))
        return
    with tempfile.TemporaryDirectory() as scratch:
        throughput.compile_bytecode()
        if options.big:
            big_sum(Path(scratch), options.rounds)
            return
        path = throughput.expression_file(Path(scratch), options.lines)
        n = options.lines
        floors = [reference_floors(path) for _ in range(options.rounds)]
        unchecked, independent = (min(f[k] for f in floors) for k in (0, 1))
        print(f"reference floors per line: one unchecked pass {unchecked / n * 1e3:.3f} ms, "
              f"one independent pass {independent / n * 1e3:.3f} ms")
        for name in TARGETS:
            start = startup_seconds(ARGUMENTS[name])
            runs = [_phases_apart(path, name) for _ in range(options.rounds)]
            best = defaultdict(float, min(runs, key=lambda r: r["command"]))
            per = {k: v / n * 1e3 for k, v in best.items()}
            methods = per["methods"] - per["estimates"]
            rest = per["line"] - per["reference"] - per["methods"]  # parse, prepare and score
            loop = per["command"] - per["line"]
            print(f"\n{name}: start-up {start * 1e3:.0f} ms (wall, median of 7 one-line commands)")
            print(f"{name}, {n} lines, ms of CPU per line (best of {options.rounds}): whole command "
                  f"{per['command']:.3f} = reference {per['reference']:.3f} + methods {methods:.3f} + their "
                  f"rounding estimates {per['estimates']:.3f} + parse, prepare and score {rest:.3f} + file "
                  f"loop and JSON {loop:.3f}")
            allowed = (n / TARGETS[name] - start) / n * 1e3
            today = start + best["command"]
            print(f"  target {TARGETS[name]} lines/s: a line may cost {allowed:.3f} ms after start-up; "
                  f"today {n / today:.0f} lines/s ({per['command']:.3f} ms a line)")
            for label, floor in (("one independent pass", independent), ("one unchecked pass", unchecked)):
                line = per["command"] - per["reference"] + floor / n * 1e3
                print(f"  with the reference at its floor ({label}): {line:.3f} ms a line, "
                      f"{n / (start + line * n / 1e3):.0f} lines/s")
            without = per["command"] - per["reference"]
            print(f"  with no reference at all: {without:.3f} ms a line, "
                  f"{n / (start + without * n / 1e3):.0f} lines/s")


if __name__ == "__main__":
    main()
