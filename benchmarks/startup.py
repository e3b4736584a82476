"""Start-up cost of one ``diffcli`` call, as a ratio to ``python -c "import numpy, typer"`` (issue 5).

Shell loops (``for f in *.txt; do diffcli compare …; done``) pay the start-up of every call, so a single
call should cost at most 1.5 times the import of what diffcli is built on.  Both commands are run
alternately in the same run (so machine load affects both alike), and the medians are compared.

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

COMMANDS = {
    'python -c "import numpy, typer"': [sys.executable, "-c", "import numpy, typer"],
    "diffcli compare (lecture) --methods reverse --format json --no-timing":
        [sys.executable, "-m", "diffcli", "compare", LECTURE, "x=2", "z=3", "--methods", "reverse",
         "--format", "json", "--no-timing"],
    'python -c "pass"': [sys.executable, "-c", "pass"],
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
    for name, median in medians.items():
        print(f"{median * 1000:8.1f} ms  (median of {runs}, min {min(samples[name]) * 1000:.1f})  {name}")
    baseline, diffcli = list(medians.values())[:2]
    ratio = diffcli / baseline
    print(f"ratio diffcli / import numpy, typer = {ratio:.2f}  (target <= {TARGET}: "
          f"{'met' if ratio <= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()
