"""Expression files: the format, one record per line in input order, bad lines,
--jobs, streaming into a closed pipe, Ctrl-C, --tolerance over a file, progress only on a terminal."""

import csv
import io
import json
import math
import os
import random
import re
import signal
import subprocess
import sys

import pytest

from diffcli.tasks.files import FileLine, parse_line, read_lines, records

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAST = ("--methods", "fd-central,symbolic,reverse", "--no-timing")
TIMING_FIELD = re.compile(r'"(setup_seconds|seconds|f_seconds)": [^,}]+')

# ---------------------------------------------------------------- the line format


@pytest.mark.parametrize("text, expression, point", [
    ("exp(x*z) + x/z @ x=2 z=3", "exp(x*z) + x/z", {"x": 2.0, "z": 3.0}),
    ("sin(x) @ x = pi/4, z = 1", "sin(x)", {"x": math.pi / 4, "z": 1.0}),
    ("sin(x)*z @ x=pi / 4 z=-2.5", "sin(x)*z", {"x": math.pi / 4, "z": -2.5}),
    ("  a = x*z; b = log(x); exp(a) + a/b  ", "a = x*z; b = log(x); exp(a) + a/b", None),
    ("x**2   # square it @ x=5", "x**2", None),
    ("x**2 @ x=1e-3  # small", "x**2", {"x": 0.001}),
])
def test_a_line_is_an_expression_and_an_optional_point(text, expression, point):
    line = parse_line(text, 7)
    assert line == FileLine(7, expression, point)


@pytest.mark.parametrize("text", ["", "   ", "# a comment", "   # indented comment", "\t"])
def test_blank_and_comment_lines_hold_nothing(text):
    assert parse_line(text) is None


@pytest.mark.parametrize("text, problem", [
    ("x**2 @ x=", "the expression is empty"),
    ("x**2 @ 3", "expected NAME=VALUE"),
    ("x**2 @ x=2 x=3", "given twice"),
    ("x**2 @ x=foo(1)", "unknown function 'foo'"),
    ("x**2 @ pi=3", "built-in name"),
])
def test_a_bad_point_is_that_lines_error(text, problem):
    line = parse_line(text, 3)
    assert line.expression == "x**2" and line.point is None
    assert line.error.startswith("the point after '@'") and problem in line.error


@pytest.mark.parametrize("bindings", ["a" * 1_000_000, "x=1" + " " * 1_000_000 + "+1",
                                      "x=1" + " ," * 500_000],
                         ids=["one long name", "spaces inside a value", "separators without a binding"])
def test_reading_a_hostile_point_is_linear(bindings):
    # A quadratic scan would take hours on these; it runs apart so that a regression fails, not hangs.
    code = ("import sys; from diffcli.tasks.files import parse_line; "
            "print(parse_line('x @ ' + sys.stdin.read()))")
    result = subprocess.run([sys.executable, "-c", code], input=bindings, capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout.startswith("FileLine(number=1, expression='x'") and len(result.stdout) < 300


def test_line_numbers_count_every_physical_line_and_bad_bytes_are_one_lines_error():
    source = io.BytesIO(b"# header\n\nx @ x=1\r\nsin(\xff)\nx*2\n")
    lines = list(read_lines(source))
    assert [line.number for line in lines] == [3, 4, 5]
    assert lines[0] == FileLine(3, "x", {"x": 1.0})
    assert lines[1].error == "the line is not UTF-8 text (byte 5)"
    assert lines[2] == FileLine(5, "x*2")


def test_records_merge_the_command_line_point_under_the_lines_point():
    def task(expression, point):
        return {"point": point}
    out = list(records(io.BytesIO(b"x @ x=5\nx\n"), task, {"x": 1.0, "z": 2.0}))
    assert out == [{"line": 1, "point": {"x": 5.0, "z": 2.0}}, {"line": 2, "point": {"x": 1.0, "z": 2.0}}]


# ---------------------------------------------------------------- a 1,000-line file through compare

BAD_LINES = {37: "sin(x) + foo(x)", 500: "log(x) @ x=-1", 998: "x*z +"}
"""Line number → a line that must fail: an unknown function, f undefined at the point, a syntax error."""


def _generated_file(tmp_path, count=1000):
    """A comment, a blank line, then ``count`` expression lines ``sin(x)*z + k @ x=... [z=...]`` (k = the
    line number), the lines of BAD_LINES among them.  Returns the path and, per good line, (k, x, z)."""
    rng = random.Random(5)
    lines, truth = ["# generated for test_files.py", ""], {}
    while len(lines) < count + 2:
        number = len(lines) + 1
        if number in BAD_LINES:
            lines.append(BAD_LINES[number])
            continue
        x = round(rng.uniform(-3, 3), 3)
        if number % 3:
            lines.append(f"sin(x)*z + {number} @ x={x}")
            truth[number] = (number, x, 2.0)  # z from the command line
        else:
            z = round(rng.uniform(-3, 3), 3)
            lines.append(f"sin(x)*z + {number} @ x={x} z={z}")
            truth[number] = (number, x, z)
    path = tmp_path / "checks.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, truth


def _records(out):
    return [json.loads(line) for line in out.splitlines()]


def test_a_thousand_line_file_gives_a_thousand_records_in_input_order_also_on_two_workers(cli, tmp_path):
    path, truth = _generated_file(tmp_path)
    code, out, err = cli("compare", "--file", str(path), "z=2", "--format", "jsonl", *FAST)
    assert code == 1
    rows = _records(out)
    assert len(rows) == 1000
    assert [r["line"] for r in rows] == list(range(3, 1003))  # after the comment and the blank line
    failed = {r["line"]: r for r in rows if "error" in r}
    assert sorted(failed) == sorted(BAD_LINES)
    assert "unknown function 'foo'" in failed[37]["error"]
    assert "log(x) is undefined: x = -1.0 (needs x > 0)" in failed[500]["error"]
    assert failed[998]["expression"] == "x*z +" and "syntax error" in failed[998]["error"]
    for row in rows:
        if "error" in row:
            continue
        k, x, z = truth[row["line"]]
        assert row["expression"] == f"sin(x)*z + {k}" and row["point"] == {"x": x, "z": z}
        assert row["value"] == pytest.approx(math.sin(x) * z + k, rel=1e-15, abs=0)
        reverse = next(m for m in row["methods"] if m["method"] == "reverse")
        assert reverse["gradient"]["x"] == pytest.approx(math.cos(x) * z, rel=1e-14, abs=1e-300)
        assert reverse["gradient"]["z"] == pytest.approx(math.sin(x), rel=1e-14, abs=1e-300)
    assert err == f"diffcli: 3 lines of {path} failed (lines 37, 500, 998); their records say why\n"

    code2, out2, err2 = cli("compare", "--file", str(path), "z=2", "--format", "jsonl", *FAST, "--jobs", "2")
    assert code2 == 1 and err2 == err
    assert TIMING_FIELD.sub("", out2) == TIMING_FIELD.sub("", out)  # byte-identical apart from timings
    assert len(TIMING_FIELD.findall(out)) > 1000  # the fields blanked out are really there


def test_jobs_zero_means_one_worker_per_core(cli, tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("x*z @ x=3\nx**3 @ x=2\n")
    code, out, _ = cli("compare", "--file", str(path), "z=1", "--format", "jsonl", *FAST, "--jobs", "0")
    assert code == 0
    assert [r["methods"][-1]["gradient"]["x"] for r in _records(out)] == [1.0, 12.0]


def test_workers_are_started_without_numpy_when_no_line_needs_it(tmp_path):
    """-m reverse on floats never uses numpy: starting workers must not import it in the main process (its
    start-up was a tenth of such a run, paid before any line could start)."""
    path = tmp_path / "f.txt"
    path.write_text("x*z @ x=3\nsin(x)/z @ x=2\n")
    code = ("import sys; from diffcli.tasks.compare import compare; from diffcli.tasks.files import records; "
            f"found = list(records(open({str(path)!r}, 'rb'), "
            "lambda e, p: compare(e, p, methods=['reverse'], timing=False), {'z': 1.0}, jobs=2)); "
            "print(len(found), 'numpy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.split() == ["2", "False"], result.stderr


# ---------------------------------------------------------------- the worker pool: chunks sent ahead


def _pool_lines(count):
    return [FileLine(k + 1, f"x + {k}") for k in range(count)]


def _sent(pool, done) -> int:
    """Lines sent to workers so far: answered, or in flight."""
    return len(done) + sum(len(jobs) for jobs in pool.busy.values())


def test_a_worker_is_sent_its_next_chunk_while_it_runs_its_last():
    """40 lines: the first 8 go out as 4 to each worker; once a worker has answered the first line of its
    chunk (so it has read that message) and 32 lines wait (a chunk for each worker), its next chunk is
    sent at once, before it has finished the last."""
    from diffcli.tasks.files import run_line
    from diffcli.tasks.workers import CHUNK_LINES, Workers

    pool = Workers(2, run_line, _length, {})
    try:
        for index, line in enumerate(_pool_lines(40)):
            pool.submit(index, line)
        assert _sent(pool, []) == 8
        done = pool.results()
        assert done and _sent(pool, done) >= 8 + CHUNK_LINES
    finally:
        pool.close()


def test_near_the_end_no_chunk_is_sent_ahead():
    """12 lines: after the first 8, only 4 wait, fewer than a chunk for each worker: they go to the first
    worker that has answered every line it holds, not ahead to a busy one (that could keep one worker busy
    at the end while the other has nothing left)."""
    from diffcli.tasks.files import run_line
    from diffcli.tasks.workers import Workers

    pool = Workers(2, run_line, _length, {})
    try:
        for index, line in enumerate(_pool_lines(12)):
            pool.submit(index, line)
        done = pool.results()
        assert done and _sent(pool, done) == 8
        got = list(done)
        while len(got) < 12:
            got += pool.results()
        assert sorted(key for key, _, _ in got) == list(range(12))
    finally:
        pool.close()


def test_a_worker_killed_with_a_chunk_sent_ahead_costs_only_its_line():
    """A line that kills its worker while more lines were sent to it ahead: those lines are run again
    elsewhere, only the killing line fails (twice: it is retried once), in input order."""
    text = "".join("die\n" if k == 20 else f"x + {k}\n" for k in range(1, 81)).encode()

    def fragile(expression, point):
        if expression == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        return {"length": len(expression)}

    got = list(records(io.BytesIO(text), fragile, {}, jobs=2))
    assert [r["line"] for r in got] == list(range(1, 81))
    assert "worker killed by signal 9" in got[19]["error"]
    assert all(r == {"line": k + 1, "length": len(f"x + {k + 1}")} for k, r in enumerate(got) if k != 19)


def test_long_lines_are_never_sent_ahead_to_a_busy_worker(tmp_path):
    """Chunks of 40 KB lines (320 KB, past AHEAD_BYTES) and records of 80 KB: a chunk sent to a busy worker
    would fill its pipe while the worker fills its own with records the main process, blocked in the send,
    never reads; both would wait for ever.  Such a chunk waits until the worker is idle: the run ends (in
    a subprocess killed after 120 s otherwise), every record in order."""
    code = ("from diffcli.tasks.files import records; import io; "
            "text = ''.join('x' + ' + x' * 10_000 + f' + {k}\\n' for k in range(48)).encode(); "
            "got = list(records(io.BytesIO(text), lambda e, p: {'echo': e + e}, {}, jobs=2)); "
            "print(len(got), [r['line'] for r in got] == list(range(1, 49)), "
            "all(len(r['echo']) > 80_000 for r in got))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.split() == ["48", "True", "True"], result.stderr


# ---------------------------------------------------------------- other formats

def _small_file(tmp_path):
    path = tmp_path / "small.txt"
    path.write_text("x*z @ x=2 z=3\n\nfoo(x)\nsin(x) @ x=0\n")
    return path


def test_csv_has_one_header_and_one_row_per_method_and_variable(cli, tmp_path):
    code, out, _ = cli("compare", "--file", str(_small_file(tmp_path)), "--format", "csv", "--methods",
                       "reverse,symbolic", "--no-timing")
    assert code == 1 and out.count("line,expression,") == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["line"], r["method"], r["variable"]) for r in rows] == [
        ("1", "reverse", "x"), ("1", "reverse", "z"), ("1", "symbolic", "x"), ("1", "symbolic", "z"),
        ("3", "", ""), ("4", "reverse", "x"), ("4", "symbolic", "x")]
    assert float(rows[0]["derivative"]) == 3.0 and rows[0]["reference"] == "3.0"
    assert "unknown function 'foo'" in rows[4]["error"]
    assert float(rows[5]["derivative"]) == 1.0  # cos(0)


def test_json_is_one_array_of_the_records(cli, tmp_path):
    code, out, _ = cli("compare", "--file", str(_small_file(tmp_path)), "--format", "json", *FAST)
    document = json.loads(out)
    assert code == 1 and [r["line"] for r in document] == [1, 3, 4]


def test_table_has_a_row_per_line(cli, tmp_path):
    code, out, _ = cli("compare", "--file", str(_small_file(tmp_path)), *FAST)
    assert code == 1
    rows = [line.split()[0] for line in out.splitlines()[4:]]
    assert rows == ["1", "3", "4"]
    assert "unknown function 'foo'" in out and "x=2.0 z=3.0" in out


def test_diff_over_a_file(cli, tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("x*sin(x)\nz*2 @ z=1\nx*\n")
    code, out, err = cli("diff", "--file", str(path), "--wrt", "x", "--format", "jsonl")
    rows = _records(out)
    assert code == 1 and [r["line"] for r in rows] == [1, 2, 3]
    assert rows[0]["derivative"] == "sin(x) + x * cos(x)"
    assert "'x' is not a variable" in rows[1]["error"]
    assert "syntax error" in rows[2]["error"] and err.endswith("failed (lines 2, 3); their records say why\n")
    code, out, _ = cli("diff", "--file", str(path), "--wrt", "x")
    assert "sin(x) + x * cos(x)" in out and "∂/∂x" in out


def test_stdin_is_dash(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x**2 @ x=3\n")))
    code, out, _ = cli("compare", "--file", "-", "--format", "jsonl", *FAST)
    assert code == 0 and _records(out)[0]["methods"][0]["gradient"] == {"x": 6.0}


# ---------------------------------------------------------------- options and their errors

def test_file_and_point_words(cli, tmp_path):
    path = _small_file(tmp_path)
    code, _, err = cli("compare", "x**2", "--file", str(path))
    assert code == 2 and err.count("\n") == 1 and "not a NAME=VALUE binding" in err
    code, _, err = cli("compare", "--file", str(tmp_path / "missing.txt"))
    assert code == 2 and err == f"diffcli: error: cannot read the expression file " \
                                f"'{tmp_path / 'missing.txt'}': No such file or directory\n"
    code, out, err = cli("compare", "--file", str(path), "--methods", "nope")
    assert code == 2 and out == "" and "unknown method 'nope'" in err
    code, _, err = cli("compare")
    assert code == 2 and "give an expression (EXPR) or an expression file (--file F)" in err
    code, _, err = cli("diff", "--file", str(path), "x=1", "--wrt", "x")
    assert code == 2 and "diff takes no point" in err


def test_tolerance_over_a_file_names_the_line_and_the_method(cli, tmp_path):
    path = tmp_path / "t.txt"
    # exact, ~1e-11 for fd-central, a stencil crossing the domain's edge (the derivative exists: 5e5)
    path.write_text("x**2 @ x=3\nsin(x) @ x=1\nsqrt(x) @ x=1e-12\n")
    code, out, err = cli("compare", "--file", str(path), "--format", "jsonl", "--methods",
                         "fd-central,reverse", "--no-timing", "--tolerance", "1e-12")
    records = _records(out)
    assert code == 1 and len(records) == 3
    central = records[1]["methods"][0]
    assert central["method"] == "fd-central" and central["max_rel_error"] > 1e-12
    assert err.splitlines() == [
        f"diffcli: line 2: fd-central: max_rel_error {central['max_rel_error']:.2g} > tolerance 1e-12",
        f"diffcli: line 3: fd-central: no estimate ({records[2]['methods'][0]['error']})"]
    assert "stencil" in records[2]["methods"][0]["error"] and records[2]["methods"][1]["error"] is None
    code, out, err = cli("-q", "compare", "--file", str(path), "--format", "jsonl", "--methods", "fd-central",
                         "--no-timing", "--tolerance", "1e-12")
    assert code == 1 and err == "" and len(_records(out)) == 3


# ---------------------------------------------------------------- progress on stderr, only on a terminal

COLOR = re.compile(r"\x1b\[[0-9;]*[34]\d(;[0-9;]*)?m|\x1b\[[0-9;]*38;")


@pytest.mark.parametrize("terminal, quiet, no_color", [(True, False, False), (True, False, True),
                                                       (False, False, False), (True, True, False)])
def test_progress_only_on_a_terminal_and_without_colour_under_no_color(cli, tmp_path, monkeypatch, terminal,
                                                                        quiet, no_color):
    monkeypatch.setattr("diffcli.cli.runner.stderr_is_terminal", lambda: terminal)
    monkeypatch.setenv("NO_COLOR", "1") if no_color else monkeypatch.delenv("NO_COLOR", raising=False)
    path = tmp_path / "p.txt"
    path.write_text("x*z @ x=2 z=3\nx**2 @ x=1\n")
    code, out, err = cli(*(["--quiet"] if quiet else []), "compare", "--file", str(path), *FAST)
    assert code == 0 and "\x1b" not in out and out.startswith("max relative error")
    if terminal and not quiet:
        assert "2/2" in err
        assert bool(COLOR.search(err)) is not no_color
    else:
        assert err == ""


def test_progress_counts_records_not_comment_or_blank_lines(cli, tmp_path, monkeypatch):
    """Two records among comments and blank lines: the bar's total is 2 (its count reads the lines as
    read_lines does: a line is nothing once its comment is cut)."""
    from diffcli.tasks.files import count_lines

    monkeypatch.setattr("diffcli.cli.runner.stderr_is_terminal", lambda: True)
    path = tmp_path / "commented.txt"
    path.write_text("# header\n\nx*z @ x=2 z=3\n   # indented comment\n\t\n"
                    "x**2 @ x=1  # trailing comment\n# end\n")
    assert count_lines(str(path)) == 2
    code, out, err = cli("compare", "--file", str(path), *FAST)
    assert code == 0 and len(out.strip().splitlines()) > 2
    totals = set(re.findall(r"\d+/(\d+)", err))  # "0/2", "1/2", "2/2" as the bar advances
    assert totals == {"2"}, err
    assert count_lines("-") is None


# ---------------------------------------------------------------- the real command line, in a shell

def _generated_path(tmp_path):
    return str(_generated_file(tmp_path)[0])


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_closed_pipe_ends_the_run_quietly(tmp_path, jobs):
    command = (f"{sys.executable} -m diffcli compare --file - z=2 --format jsonl --no-timing --jobs {jobs} "
               f"< {_generated_path(tmp_path)} | head -1; echo \"status ${{PIPESTATUS[0]}}\" >&2")
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert len(result.stdout.splitlines()) == 1 and json.loads(result.stdout)["line"] == 3
    assert result.stderr == "status 141\n"  # no traceback, no BrokenPipeError message


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGKILL, -signal.SIGKILL)])
def test_an_interrupted_run_leaves_whole_records(tmp_path, jobs, sig, status):
    # with timings: slow lines
    # SIGINT's default disposition in the child even when the tests run as a background job, whose shell
    # ignores SIGINT for it (Python then keeps it ignored, as a background command should)
    process = subprocess.Popen([sys.executable, "-m", "diffcli", "compare", "--file",
                                _generated_path(tmp_path), "z=2", "--format", "jsonl", "--jobs", jobs],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = process.stdout.readline()
    process.send_signal(sig)
    # Not communicate(): it reads the raw pipe and would lose what readline() already buffered.
    rest, err = process.stdout.read(), process.stderr.read()
    process.wait(timeout=60)
    assert (process.returncode, err) == (status, ""), f"{len(_records(first + rest))} records written"
    rows = _records(first + rest)
    assert 1 <= len(rows) < 1000 and [r["line"] for r in rows] == list(range(3, 3 + len(rows)))


def test_diff_file_as_latex_escapes_the_text_cells(cli, tmp_path):
    path = tmp_path / "l.txt"
    path.write_text("x_1*y @ y=1\nfoo_bar(x_1)\n")
    code, out, _ = cli("diff", "--file", str(path), "--wrt", "x_1", "--format", "latex")
    assert code == 1
    assert r"$\partial/\partial x_1$" in out and r"x\_1*y" in out and "$y$" in out
    assert r"unknown function 'foo\_bar'" in out


# ---------------------------------------------------------------- verify and eps-sweep over a file

def test_verify_file_checks_every_line(cli, tmp_path):
    path = tmp_path / "claims.txt"
    path.write_text("x*sin(x) => sin(x) + x*cos(x)\n"
                    "x*sin(x) => x*cos(x) @ x=1\n"
                    "exp(x*z) => z*exp(x*z) @ x=0.5 z=2\n"
                    "no arrow here\n")
    code, out, err = cli("verify", "--file", str(path), "--wrt", "x", "--format", "jsonl")
    records = _records(out)
    assert code == 1 and [r["line"] for r in records] == [1, 2, 3, 4]
    assert [r.get("holds") for r in records[:3]] == [True, False, True]
    assert records[1]["diagnosis"]["mistake"] == "dropped"
    assert "EXPR => CLAIM" in records[3]["error"]
    assert "line 2: the claim is WRONG" in err
    code, _, _ = cli("verify", "--file", str(path), "--wrt", "x", "--claim", "1")
    assert code == 2


def test_eps_sweep_file_gives_one_sweep_per_line(cli, tmp_path):
    path = tmp_path / "sweeps.txt"
    path.write_text("sin(x) @ x=1\nexp(x*z) @ x=2 z=3\nlog(x) @ x=-1\n")
    code, out, err = cli("eps-sweep", "--file", str(path), "--wrt", "x", "--per-decade", "1",
                         "--format", "jsonl")
    records = _records(out)
    assert code == 1 and [r["line"] for r in records] == [1, 2, 3]
    central = records[0]["optimal"]["fd-central"]
    assert 1e-7 <= central["h"] <= 1e-4 and central["rel_error"] < 1e-9
    assert "log(x) is undefined: x = -1.0 (needs x > 0)" in records[2]["error"]
    code, out, _ = cli("eps-sweep", "--file", str(path), "--wrt", "x", "--per-decade", "1", "--format", "csv")
    assert out.splitlines()[0].startswith("line,expression,wrt,scheme,best_h")


def _length(expression, point):
    return {"length": len(expression)}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_line_too_long_comes_after_every_record_before_it(monkeypatch, jobs):
    """Line 30 is past MAX_LINE_BYTES: lines 1 to 29 are written, then the run stops there, with or without
    worker processes (they used to lose the lines still in flight)."""
    from diffcli.core.errors import LimitError
    from diffcli.tasks import files

    monkeypatch.setattr(files, "MAX_LINE_BYTES", 100)
    text = b"".join(b"x" * 101 + b"\n" if k == 30 else b"x + %d\n" % k for k in range(1, 41))
    got = []
    with pytest.raises(LimitError, match="line 30 of the expression file is longer than 100 bytes"):
        for record in records(io.BytesIO(text), _length, {}, jobs=jobs):
            got.append(record)
    assert got == [{"line": k, "length": len(f"x + {k}")} for k in range(1, 30)]
