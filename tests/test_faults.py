"""Faults (issue "Bounded everywhere", items 3 and 4): a worker that dies costs only its line; --max-memory
turns a runaway line into its error; every high-precision computation ends within the reference's time
limit.  A run killed at any moment leaving only whole records (item 5) is tests/test_kill.py."""

import functools
import io
import math
import os
import signal
import subprocess
import sys
import time

import pytest

from diffcli.tasks.files import records

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KILL_TRIALS = 100
AT_ONCE = 4

# ---------------------------------------------------------------- a worker that dies (item 4)


def _fragile(expression, point, marker=None):
    """A task whose line "die" kills its worker every time and "once" only the first time."""
    if expression == "die" or (expression == "once" and not os.path.exists(marker)):
        if expression == "once":
            open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    if expression == "hog":
        return {"size": len(bytearray(4 * 1024**3))}
    return {"value": len(expression)}


def _lines(*special):
    text = [f"line{k}" for k in range(30)]
    for number, word in special:
        text[number - 1] = word
    return io.BytesIO(("\n".join(text) + "\n").encode())


def test_a_worker_that_dies_costs_only_its_line_which_is_retried_once_in_a_fresh_worker(tmp_path):
    task = functools.partial(_fragile, marker=str(tmp_path / "once"))
    got = list(records(_lines((7, "die"), (20, "once")), task, {}, jobs=2))
    assert [r["line"] for r in got] == list(range(1, 31))
    assert got[6] == {"line": 7, "expression": "die", "error": "worker killed by signal 9 (SIGKILL) — out of "
                      "memory? (twice: the line was retried in a fresh worker)"}
    assert got[19] == {"line": 20, "value": 4}  # died once, then done in a fresh worker
    assert all(r == {"line": k + 1, "value": len(f"line{k}")} for k, r in enumerate(got) if k not in (6, 19))


@pytest.mark.parametrize("jobs", [1, 2])
def test_max_memory_turns_a_runaway_line_into_that_lines_error(jobs):
    got = list(records(_lines((3, "hog")), _fragile, {}, jobs=jobs, max_memory=64))
    assert [r["line"] for r in got] == list(range(1, 31))
    assert got[2] == {"line": 3, "expression": "hog",
                      "error": "out of memory: the line needs more than --max-memory 64 MB"}
    assert len(bytearray(256 * 1024**2)) > 0  # the limit is the workers', never this process's


def test_max_memory_is_bounded():
    from diffcli.core.errors import UsageError

    with pytest.raises(UsageError, match="max_memory must be a whole number of at least 64"):
        list(records(_lines(), _fragile, {}, max_memory=63))


def _wide_file(path, lines=24, terms=300):
    """Lines with records of about 15 KB (more than Python's 8 KB buffer), each cheap to differentiate."""
    names = " + ".join(f"long_variable_name_{k}" for k in range(terms))
    path.write_text("".join(f"x*{n} + {names}\n" for n in range(1, lines + 1)))
    return str(path)


def _children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(word) for word in children.read().split()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the worker processes")
def test_killing_a_worker_of_the_command_line_loses_no_record(tmp_path):
    path = _wide_file(tmp_path / "wide.txt", lines=60)
    command = [sys.executable, "-m", "diffcli", "diff", "--file", path, "--wrt", "x", "-f", "jsonl"]
    whole = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120).stdout
    process = subprocess.Popen(command + ["--jobs", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    first = process.stdout.readline()
    workers = _children(process.pid)
    assert len(workers) == 2 and process.poll() is None
    os.kill(workers[0], signal.SIGKILL)
    rest, err = process.stdout.read(), process.stderr.read()
    assert process.wait(timeout=60) == 0 and err == ""
    assert first + rest == whole  # every record, in order, the killed worker's line retried


# ---------------------------------------------------------------- time limits of high-precision work (item 3)


def _slow(*args, **kwargs):
    time.sleep(5)


def test_the_reference_time_limit_is_short_enough_to_wait_for():
    from diffcli.harness import point

    assert 10 <= point.REFERENCE_TIME_LIMIT <= 30  # README, Safety: "the reference (30 s)"


def test_eps_sweep_gives_its_error_model_only_what_the_reference_left_of_the_limit(monkeypatch):
    from diffcli.api import sweep

    monkeypatch.setattr("diffcli.harness.point.REFERENCE_TIME_LIMIT", 0.3)
    monkeypatch.setattr("diffcli.tasks.sweep._higher_derivatives", _slow)
    started = time.monotonic()
    record = sweep("sin(x)", {"x": 1.0}, "x", h_from=1e-4, h_to=1e-2, per_decade=1)
    assert time.monotonic() - started < 3
    assert any("time limit (0.3 s)" in warning for warning in record["warnings"])
    assert all(model["C"] is None for model in record["model"].values())
    assert record["rows"][0]["fd-central"]["rel_error"] < 1e-6  # the sweep itself is whole


def test_eps_sweep_error_model_within_the_limit_is_unchanged(monkeypatch):
    from diffcli.api import sweep

    monkeypatch.setattr("diffcli.harness.point.REFERENCE_TIME_LIMIT", 30.0)
    record = sweep("sin(x)", {"x": 1.0}, "x", h_from=1e-4, h_to=1e-2, per_decade=1)
    assert "warnings" not in record
    assert abs(record["model"]["fd-central"]["C"] - math.cos(1.0) / 6) < 1e-12  # |f'''|/6


@pytest.mark.parametrize("point", [{"x": 1.0}, None])
def test_verify_references_share_one_time_limit(monkeypatch, point):
    """1,000 random points whose references take 0.1 s each would take 100 s: the limit (0.5 s here)
    bounds them all together, and the refusal says so."""
    from diffcli.api import verify
    from diffcli.core.errors import PrecisionError
    from diffcli.reference import reference

    def slowish(*args, **kwargs):
        time.sleep(0.1)
        return reference(*args, **kwargs)

    monkeypatch.setattr("diffcli.harness.point.REFERENCE_TIME_LIMIT", 0.5)
    monkeypatch.setattr("diffcli.tasks.verify.reference", _slow if point else slowish)
    started = time.monotonic()
    with pytest.raises(PrecisionError, match="time limit"):
        verify("x*sin(x)", "x", "sin(x) + x*cos(x)", point, samples=1000)
    assert time.monotonic() - started < 3


def test_the_points_reference_sample_shares_one_time_limit(monkeypatch, tmp_path):
    """1,000 sampled points whose references take 0.1 s each would take 100 s: one limit (0.5 s here)
    bounds the whole sample, and the record says where it stopped."""
    from diffcli.reference import reference
    from diffcli.tasks.points import at_points

    def slowish(*args, **kwargs):
        time.sleep(0.1)
        return reference(*args, **kwargs)

    monkeypatch.setattr("diffcli.harness.point.REFERENCE_TIME_LIMIT", 0.5)
    monkeypatch.setattr("diffcli.tasks.points.reference", slowish)
    from diffcli.core.parse import parse

    started = time.monotonic()
    record = at_points(parse("x*sin(x)"), {"x": [0.001 * k for k in range(1, 2001)]}, ["reverse"],
                       reference_sample=1000, timing=False)
    assert time.monotonic() - started < 5
    computed = record["reference"]["computed"]
    assert 1 <= len(computed) <= 8  # about 0.5 s / 0.1 s of points, not 1,000
    assert record["reference"]["note"].startswith("the reference sample stopped at its time limit (0.5 s")
    reached = int(record["reference"]["note"].split(" after ")[1].split(" of ")[0])
    assert record["reference"]["note"].endswith(f"after {reached} of 1000 points")
    assert len(computed) <= reached <= len(computed) + 1  # the last one reached may have been cut short


def test_methods_whose_work_grows_with_variables_times_nodes_are_bounded(monkeypatch):
    """The stencils, the complex step, richardson and dual pass over f for every variable: past
    MAX_VARIABLE_WORK variables × nodes their rows say so instead of running for minutes; reverse and
    symbolic (a fixed number of passes) still run, and their answer is right."""
    from diffcli.api import compare
    from diffcli.methods.registry import METHODS

    monkeypatch.setattr("diffcli.harness.running.MAX_VARIABLE_WORK", 1000)
    count = 40  # 40 variables × 159 nodes = 6,360 > 1,000
    expression = " + ".join(f"sin(x{i})*x{i}" for i in range(count))
    point = {f"x{i}": 0.1 * i for i in range(count)}
    rows = {row["method"]: row for row in compare(expression, point, timing=False)["methods"]}
    per_variable = {m for m, entry in METHODS.items() if entry.work == "variables"}
    assert per_variable >= {"fd-forward", "fd-backward", "fd-central", "fd-5point", "complex-step",
                            "richardson", "dual"}
    for method in per_variable & set(rows):
        assert rows[method]["error"].startswith("not run: 40 variables × 159 nodes = 6,360, past "
                                                "MAX_VARIABLE_WORK (1,000)"), rows[method]["error"]
    for method in ("reverse", "symbolic"):
        assert rows[method]["error"] is None
        x = 0.1 * 7  # d/dx_i sin(x_i)·x_i = cos(x_i)·x_i + sin(x_i)
        expected = math.cos(x) * x + math.sin(x)
        assert rows[method]["gradient"]["x7"] == pytest.approx(expected, rel=1e-14, abs=0)


def test_a_closed_output_disarms_the_watch_handler(monkeypatch):
    """When a write finds stdout closed, the run stops once: the watch thread's SIGPIPE, arriving late
    (while diffcli is already pointing stdout at /dev/null), must not raise OutputClosed a second time
    — that was a traceback and exit 1 in about 1 run in 12 of `compare --file … | head -1` under load."""
    import importlib
    import io
    import os
    import signal

    app = importlib.import_module("diffcli.cli.app")  # the module (the package's 'app' is the Typer app)
    read, write = os.pipe()
    os.close(read)
    stream = io.TextIOWrapper(os.fdopen(write, "wb"), write_through=True)
    monkeypatch.setattr("sys.stdout", stream)
    monkeypatch.setattr(app, "_watching", True)
    caught = []
    previous = signal.signal(signal.SIGPIPE, lambda signum, frame: caught.append(signum))  # armed
    try:
        with pytest.raises(app.OutputClosed):
            app.emit("a record")
        assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGPIPE, previous)
        try:
            stream.close()
        except BrokenPipeError:
            pass
