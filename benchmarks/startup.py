"""Start-up cost of one ``diffcli`` call, as a ratio to ``python -c "import numpy, typer"``.

Shell loops (``for f in *.txt; do diffcli compare …; done``) pay the start-up of every call, so a single
call should cost at most 1.5 times the import of what diffcli is built on.  The commands are run
alternately in the same run (so machine load affects all alike), and the medians are compared.  Two
floors are printed too: a one-command typer app (typer 0.29 imports pydantic to validate parameters),
and the same app importing mpmath (which ``compare`` needs for its reference).

    python3 benchmarks/startup.py            # 21 runs of each
    python3 benchmarks/startup.py --runs 51

The commands run from bytecode, as an installed diffcli does (pip compiles it at install time): the
environment's PYTHONDONTWRITEBYTECODE is dropped and the bytecode goes to a temporary PYTHONPYCACHEPREFIX,
so nothing is written into the checkout.  The ratio is printed, never asserted: tests do not time things.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LECTURE = "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)"
TARGET = 1.5

HELLO = """
import sys, typer
{extra}
app = typer.Typer()
@app.command()
def hello(name: str):
    print(name)
app(["world"])
"""

COMMANDS = {
    'python -c "import numpy, typer"': [sys.executable, "-c", "import numpy, typer"],
    # numpy starts OpenBLAS's threads on import; on a busy machine that alone varies by 50 ms or more,
    # which moves the baseline (and the ratio) with the load.  Without the threads it is stable:
    'the same with OPENBLAS_NUM_THREADS=1': ["env", "OPENBLAS_NUM_THREADS=1", sys.executable, "-c",
                                             "import numpy, typer"],
    "diffcli compare (lecture) --methods reverse --format json --no-timing":
        [sys.executable, "-m", "diffcli", "compare", LECTURE, "x=2", "z=3", "--methods", "reverse",
         "--format", "json", "--no-timing"],
    'python -c "pass"': [sys.executable, "-c", "pass"],
    # The floor under diffcli: typer (0.29) validates every non-flag parameter with pydantic, which it
    # imports on the first command that has one, and compare's reference needs mpmath.
    "a typer app with one str argument": [sys.executable, "-c", HELLO.format(extra="")],
    "the same app, plus import mpmath": [sys.executable, "-c", HELLO.format(extra="import mpmath")],
}


def wall_time(command: list[str], environment: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as cache:
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        environment["PYTHONPYCACHEPREFIX"] = cache
        for command in COMMANDS.values():  # write the bytecode, warm the file cache
            wall_time(command, environment)
        samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(runs):
            for name, command in COMMANDS.items():
                samples[name].append(wall_time(command, environment))
    medians = {name: statistics.median(times) for name, times in samples.items()}
    fastest = {name: min(times) for name, times in samples.items()}
    baseline, steady, diffcli = list(COMMANDS)[:3]
    import importlib.metadata

    typer_version = importlib.metadata.version("typer")
    print(f"typer {typer_version}" + ("" if tuple(map(int, typer_version.split(".")[:2])) < (0, 29) else
          " — outside the project's pin (< 0.29): it imports pydantic on every call; measure in the "
          "project's virtual environment (pip install -e .)"))
    print(f"{'fastest':>9} {'ratio':>6} {'median':>9} {'ratio':>6}   ({runs} runs each)")
    for name in COMMANDS:
        print(f"{fastest[name] * 1000:6.1f} ms {fastest[name] / fastest[baseline]:5.2f}x "
              f"{medians[name] * 1000:6.1f} ms {medians[name] / medians[baseline]:5.2f}x   {name}")
    # The fastest run is the least disturbed by other load (as timeit advises); medians are shown too,
    # but on a busy machine the baseline's are bimodal (numpy's thread start-up), so the verdict uses minima.
    for label, base in (("import numpy, typer", baseline), ("the same, OPENBLAS_NUM_THREADS=1", steady)):
        ratio = fastest[diffcli] / fastest[base]
        print(f"ratio diffcli / {label} = {ratio:.2f} (fastest runs; medians: "
              f"{medians[diffcli] / medians[base]:.2f}); target <= {TARGET}: "
              f"{'met' if ratio <= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
