"""The largest inputs the documented limits admit, each run as a whole command: wall time and peak memory.

The goal: any input within the limits must finish in under 60 s and 4 GB on a 2-core machine.
Each case below builds the biggest input one limit allows (its size is computed from the limit's own
constant, so lowering a limit shrinks the case) and runs ``python -m diffcli …`` on it in a subprocess.
Measured per case: wall time, the peak resident memory of the largest process (``wait4``'s ``ru_maxrss``)
and the peak of the whole process tree (workers included, sampled every 0.1 s from ``/proc``).  A case
still running at ``--timeout`` seconds, or whose tree passes ``--kill-memory`` MB, is killed and fails.

    python3 benchmarks/limits.py                 # every case
    python3 benchmarks/limits.py --only nodes    # the cases whose name contains "nodes"
    python3 benchmarks/limits.py --list

A case passes when it ends (with any exit status: a refusal or a time-limit row is an answer) within
TARGET_SECONDS and TARGET_MB.  The verdict is printed, never asserted: tests do not time things.  Times on
a shared machine are pessimistic; run it alone for the numbers the README quotes.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from diffcli.core.graph import MAX_NODES  # noqa: E402
from diffcli.core.parse import MAX_INPUT_CHARS  # noqa: E402
from diffcli.reference import DIGITS  # noqa: E402
from diffcli.tasks.derivative import MAX_ORDER  # noqa: E402
from diffcli.tasks.files import JOBS, MAX_LINE_BYTES  # noqa: E402
from diffcli.tasks.hessian import MAX_VARIABLES  # noqa: E402
from diffcli.tasks.optimize import MAX_ROW_UPDATES, RESTARTS  # noqa: E402
from diffcli.tasks.points import REFERENCE_SAMPLE  # noqa: E402
from diffcli.tasks.reading import MAX_TABLE_BYTES  # noqa: E402
from diffcli.tasks.runs import MAX_UPDATES  # noqa: E402
from diffcli.tasks.sweep import MAX_STEPS  # noqa: E402
from diffcli.tasks.verify import SAMPLES  # noqa: E402

TARGET_SECONDS = 60.0
TARGET_MB = 4096.0
ARGUMENT_BYTES = 120_000
"""Linux refuses one command-line argument over 128 KiB (MAX_ARG_STRLEN): the largest EXPR a command
without ``--file`` (trace, graph, hessian, optimize) can be given, whatever MAX_INPUT_CHARS says."""
LECTURE = "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)"


@dataclass
class Case:
    name: str
    limit: str
    arguments: Callable[[str], list]
    """The command line after ``diffcli``, given the folder for input files."""
    size: Callable[[], str]


def _write(folder: str, name: str, text: str) -> str:
    path = os.path.join(folder, name)
    with open(path, "w") as handle:
        handle.write(text)
    return path


def _line_fitting(characters: int, nodes: int, first: str, term: Callable[[int], str], tail: str = "") -> str:
    """``first`` followed by terms ``term(k)`` while the line stays within ``characters`` and ``nodes``
    (each term adds at most two nodes)."""
    parts, length, k = [first], len(first) + len(tail), 1
    while True:
        piece = term(k)
        if length + len(piece) > characters or 2 * (k + 1) > nodes:
            break
        parts.append(piece)
        length += len(piece)
        k += 1
    return "".join(parts) + tail


def _input_limit() -> int:
    return min(MAX_INPUT_CHARS, MAX_LINE_BYTES) - 100


def flat_sum(folder: str) -> str:
    """x*x + x*x + … : one variable, a flat chain of additions, as many nodes as MAX_NODES admits."""
    line = "x*x" + "+x*x" * min((MAX_NODES - 10) - 2, (_input_limit() - 3) // 4)
    return _write(folder, "flat.txt", line + "\n")


def many_statements(folder: str) -> str:
    """a1 = a0*x + 1; a2 = a1*x + 1; …: the most statements the limits admit (two nodes each)."""
    count = min((MAX_NODES - 10) // 3, _input_limit() // len("; a999999 = a999998*x + 1"))
    program = "a0 = x*x; " + "; ".join(f"a{k} = a{k - 1}*x + 1" for k in range(1, count)) + f"; a{count - 1}"
    return _write(folder, "program.txt", program + "\n")


def many_variables(folder: str) -> str:
    """v0 + v1 + …, every variable bound after '@': as many variables as one line admits."""
    budget = _input_limit()
    count, used = 0, 0
    while used + 2 * len(f"+v{count} v{count}=0.5") <= budget and 2 * count + 4 < MAX_NODES:
        used += len(f"+v{count}") + len(f" v{count}=0.5")
        count += 1
    names = [f"v{k}" for k in range(count)]
    line = "+".join(names) + " @ " + " ".join(f"{name}=0.5" for name in names)
    return _write(folder, "variables.txt", line + "\n")


def longest_line(folder: str, characters: int | None = None) -> str:
    """A line of ``characters`` (default: the longest a file may hold), a flat sum ``x+x+…``."""
    characters = MAX_LINE_BYTES - 1 if characters is None else characters
    line = "x" + "+x" * ((characters - 1) // 2)
    return _write(folder, "longest.txt", line + "\n")


def _table(folder: str, name: str, header: str, row: Callable[[int], str]) -> str:
    """A CSV of ``header`` and rows ``row(k)`` as large as MAX_TABLE_BYTES admits."""
    path = os.path.join(folder, name)
    size, k = len(header) + 1, 0
    with open(path, "w") as handle:
        handle.write(header + "\n")
        while True:
            text = row(k) + "\n"
            if size + len(text) > MAX_TABLE_BYTES:
                break
            handle.write(text)
            size += len(text)
            k += 1
    return path


def points_table(folder: str) -> str:
    return _table(folder, "points.csv", "x,z",
                  lambda k: f"{1 + (k % 997) / 1000:.6f},{2 + (k % 991) / 1000:.6f}")


def data_table(folder: str) -> str:
    return _table(folder, "data.csv", "x,y", lambda k: f"{(k % 1009) / 1009:.6f},{(k % 1013) / 500:.6f}")


def _data_arguments(path: str) -> list:
    """optimize over the whole data file with as many full-batch steps as MAX_ROW_UPDATES admits."""
    with open(path) as handle:
        rows = sum(1 for _ in handle) - 1
    return ["optimize", "(w*x + b - y)**2", "--data", path, "--params", "w,b", "--max-steps",
            str(MAX_ROW_UPDATES // rows), "--tol", "0", "--no-timing"]


def program_argument(statements: int | None = None) -> str:
    """The trace's chain of statements (``tests/test_output_size.py``), as long as one argument may be."""
    parts, length, k = ["a0 = x*z"], 8, 1
    while statements is None or k < statements:
        piece = f"a{k} = sin(a{k - 1})*x + z/(a{k - 1}+1)"
        if length + len(piece) + 2 + 12 > ARGUMENT_BYTES:
            break
        parts.append(piece)
        length += len(piece) + 2
        k += 1
    return "; ".join(parts + [f"a{k - 1}"])


def hessian_expression() -> str:
    """The issue's 20-variable expression of about 5 KB (each variable in many products)."""
    names = [f"w{k}" for k in range(MAX_VARIABLES)]
    terms = [f"sin({a}*{b})*exp({b}/(1+{a}**2))" for a in names for b in names if a < b]
    return " + ".join(terms[:150]), names


def lines_file(folder: str, lines: int = 200) -> str:
    return _write(folder, "lines.txt", "".join(f"{LECTURE} + {k}*x\n" for k in range(lines)))


def _cases() -> list[Case]:
    hessian_text, hessian_names = hessian_expression()
    hessian_point = [f"{name}=0.{k + 1}" for k, name in enumerate(hessian_names)]
    return [
        Case("nodes: compare", f"MAX_NODES {MAX_NODES:,}",
             lambda d: ["compare", "--file", flat_sum(d), "x=0.5"], lambda: "flat sum, one line"),
        Case("nodes: compare -m reverse", f"MAX_NODES {MAX_NODES:,}",
             lambda d: ["compare", "-m", "reverse", "--file", flat_sum(d), "x=0.5"], lambda: "flat sum"),
        Case("nodes: diff", f"MAX_NODES {MAX_NODES:,}",
             lambda d: ["diff", "--file", flat_sum(d), "--wrt", "x"], lambda: "flat sum"),
        Case("nodes: eps-sweep", f"MAX_NODES {MAX_NODES:,}",
             lambda d: ["eps-sweep", "--file", flat_sum(d), "x=0.5", "--wrt", "x"],
             lambda: "flat sum"),
        Case("statements: compare", f"MAX_NODES, MAX_INPUT_CHARS {MAX_INPUT_CHARS:,}",
             lambda d: ["compare", "--file", many_statements(d), "x=0.5"], lambda: "a1 = a0*x + 1; …"),
        Case("variables: compare", "MAX_LINE_BYTES, MAX_NODES",
             lambda d: ["compare", "--file", many_variables(d)], lambda: "v0 + v1 + … @ v0=0.5 …"),
        Case("line length: compare", f"MAX_LINE_BYTES {MAX_LINE_BYTES:,}",
             lambda d: ["compare", "--file", longest_line(d), "x=0.5"], lambda: "x+x+…"),
        Case("input length: compare", f"MAX_INPUT_CHARS {MAX_INPUT_CHARS:,}",
             lambda d: ["compare", "--file", longest_line(d, MAX_INPUT_CHARS), "x=0.5"], lambda: "x+x+…"),
        Case("points rows: compare --points", f"MAX_TABLE_BYTES {MAX_TABLE_BYTES:,}",
             lambda d: ["compare", LECTURE, "--points", points_table(d)], lambda: "CSV x,z"),
        Case("points rows: --reference-sample max", f"REFERENCE_SAMPLE {REFERENCE_SAMPLE.high:,}",
             lambda d: ["compare", LECTURE, "--points", points_table(d), "--reference-sample",
                        str(REFERENCE_SAMPLE.high)], lambda: "CSV x,z"),
        Case("data rows: optimize --data", f"MAX_TABLE_BYTES {MAX_TABLE_BYTES:,}, MAX_ROW_UPDATES "
             f"{MAX_ROW_UPDATES:,}", lambda d: _data_arguments(data_table(d)), lambda: "CSV x,y, --tol 0"),
        Case("digits: compare --file, largest line", f"DIGITS {DIGITS.high:,}",
             lambda d: ["compare", "--file", flat_sum(d), "x=0.5", "--digits", str(DIGITS.high)],
             lambda: "flat sum"),
        Case("digits: hessian, 20 variables", f"MAX_VARIABLES {MAX_VARIABLES}, DIGITS {DIGITS.high:,}",
             lambda d: ["hessian", hessian_text, *hessian_point, "--digits", str(DIGITS.high)],
             lambda: f"{len(hessian_text):,} characters"),
        Case("argument: trace", f"{ARGUMENT_BYTES:,}-byte argument, DIGITS {DIGITS.high:,}",
             lambda d: ["trace", program_argument(), "x=0.5", "z=0.3", "--digits", str(DIGITS.high)],
             lambda: f"{len(program_argument()):,} characters"),
        Case("argument: verify --samples max", f"SAMPLES {SAMPLES.high:,}",
             lambda d: ["verify", program_argument(400), "--wrt", "x", "--claim", "x",
                        "--samples", str(SAMPLES.high), "--digits", str(DIGITS.high)],
             lambda: "400 statements"),
        Case("jobs: compare --file --jobs max", f"JOBS {JOBS.high}",
             lambda d: ["compare", "--file", lines_file(d), "--jobs", str(JOBS.high), "x=2", "z=3"],
             lambda: "200 lines"),
        Case("eps-sweep: the whole grid", f"MAX_STEPS {MAX_STEPS:,}",
             lambda d: ["eps-sweep", LECTURE, "x=2", "z=3", "--wrt", "x", "--from", "1e-300", "--to", "1e300",
                        "--per-decade", str(MAX_STEPS // 600), "--digits", str(DIGITS.high)],
             lambda: f"{MAX_STEPS // 600 * 600:,} steps"),
        Case("order: diff --order max", f"MAX_ORDER {MAX_ORDER}",
             lambda d: ["diff", LECTURE, "--wrt", "x", "--order", str(MAX_ORDER)], lambda: "lecture"),
        Case("restarts: optimize --restarts max", f"RESTARTS {RESTARTS.high:,}, MAX_UPDATES",
             lambda d: ["optimize", "sin(3*x) + 0.1*x**2", "--restarts", str(RESTARTS.high), "--max-steps",
                        str(MAX_UPDATES // RESTARTS.high), "--tol", "0", "--no-timing"],
             lambda: f"--max-steps {MAX_UPDATES // RESTARTS.high:,}, --tol 0"),
        Case("restarts and updates together", f"RESTARTS {RESTARTS.high:,} x MAX_UPDATES {MAX_UPDATES:,}",
             lambda d: ["optimize", "sin(3*x) + 0.1*x**2", "--restarts", str(RESTARTS.high), "--max-steps",
                        str(MAX_UPDATES), "--tol", "0", "--no-timing"], lambda: "refused"),
        Case("updates: optimize --max-steps max", f"MAX_UPDATES {MAX_UPDATES:,}",
             lambda d: ["optimize", "(1-x)**2 + 100*(y-x**2)**2", "x=-1.2", "y=1", "--max-steps",
                        str(MAX_UPDATES), "--tol", "0", "--no-timing"], lambda: "Rosenbrock"),
    ]


def _tree(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        process = stack.pop()
        found.append(process)
        try:
            with open(f"/proc/{process}/task/{process}/children") as children:
                stack.extend(int(word) for word in children.read().split())
        except OSError:
            pass
    return found


def _cpu_seconds(pid: int) -> float:
    """CPU time of the tree so far (user + system, with the children each process has waited for)."""
    total = 0
    for process in _tree(pid):
        try:
            with open(f"/proc/{process}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += sum(int(fields[k]) for k in (11, 12, 13, 14))  # utime stime cutime cstime
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    total = 0
    for process in _tree(pid):
        try:
            with open(f"/proc/{process}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total / 2**20


def run(case: Case, folder: str, timeout: float, kill_mb: float) -> dict:
    """One case in a subprocess (its own process group): wall and CPU seconds, peak MB, exit status, why it
    was killed (past ``timeout`` CPU seconds, ten times that of wall time, or ``kill_mb``)."""
    arguments = case.arguments(folder)
    command = [sys.executable, "-m", "diffcli", "--quiet", *arguments]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    tree_peak, killed = 0.0, None
    while True:
        done, status, usage = os.wait4(process.pid, os.WNOHANG)
        if done:
            break
        tree_peak = max(tree_peak, _rss_mb(process.pid))
        elapsed, cpu = time.monotonic() - started, _cpu_seconds(process.pid)
        if cpu > timeout or elapsed > 10 * timeout or tree_peak > kill_mb:
            killed = f"killed at {tree_peak:.0f} MB" if tree_peak > kill_mb else \
                f"killed at {cpu:.0f} s of CPU, {elapsed:.0f} s"
            os.killpg(process.pid, signal.SIGKILL)
            done, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.1)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace").strip().splitlines()
    largest = usage.ru_maxrss / 1024
    peak = max(tree_peak, largest)
    cpu = usage.ru_utime + usage.ru_stime  # with the workers it waited for
    # On an idle machine a command's wall time is about its CPU time (one process computing at a time),
    # or less with --jobs; on a shared machine the wall time also holds the waits for a core.
    idle = min(seconds, cpu)
    broken = any(word in " ".join(error) for word in ("internal error", "Traceback", "SyntaxError"))
    ok = killed is None and not broken and idle < TARGET_SECONDS and peak < TARGET_MB
    return {"case": case.name, "limit": case.limit, "input": case.size(), "seconds": seconds, "cpu": cpu,
            "mb": peak,
            "exit": process.returncode, "killed": killed, "broken": broken, "ok": ok,
            "stderr": error[-1][:90] if error else ""}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the cases whose name contains this text (or one of several, "
                                       "comma-separated)")
    parser.add_argument("--timeout", type=float, default=1.5 * TARGET_SECONDS,
                        help="kill a case past this many CPU seconds (or ten times as many of wall time)")
    parser.add_argument("--kill-memory", type=float, default=6144.0, help="kill a case past this many MB")
    parser.add_argument("--list", action="store_true", help="list the cases")
    options = parser.parse_args(argv)
    wanted = None if options.only is None else options.only.split(",")
    cases = [case for case in _cases() if wanted is None or any(word in case.name for word in wanted)]
    if options.list:
        for case in cases:
            print(f"{case.name:40} {case.limit}")
        return 0
    print(f"{datetime.date.today()}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}; "
          f"target: under {TARGET_SECONDS:.0f} s and {TARGET_MB:.0f} MB")
    print("| case | limit | input | wall s | CPU s | peak MB | exit | verdict |\n"
          "|---|---|---|---|---|---|---|---|")
    failures = 0
    for case in cases:
        with tempfile.TemporaryDirectory(prefix="diffcli-limits-") as folder:
            result = run(case, folder, options.timeout, options.kill_memory)
        verdict = "pass" if result["ok"] else "FAIL" + (f" ({result['killed']})" if result["killed"] else "")
        if result["broken"]:
            verdict = "FAIL (a bug: an internal error)"
        failures += not result["ok"]
        print(f"| {result['case']} | {result['limit']} | {result['input']} | {result['seconds']:.1f} | "
              f"{result['cpu']:.1f} | {result['mb']:.0f} | {result['exit']} | {verdict} |", flush=True)
        if result["stderr"] and (not result["ok"] or result["exit"] != 0):
            print(f"|   stderr: {result['stderr']} |", flush=True)
    print(f"{len(cases) - failures} of {len(cases)} within {TARGET_SECONDS:.0f} s and {TARGET_MB:.0f} MB")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
