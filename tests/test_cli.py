"""The command line: output of each format, exit codes, help, version."""

import csv
import io
import json
import os
import subprocess
import sys

import mpmath
import pytest
from conftest import LECTURE

from diffcli import __version__
from diffcli.cli.program import app
from diffcli.methods.registry import ids

LECTURE_POINT = ("x=2", "z=3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_compare_table(cli):
    code, out, err = cli("compare", LECTURE, *LECTURE_POINT, "--no-timing")
    assert code == 0 and err == ""
    assert "∂f/∂x" in out and "∂f/∂z" in out
    assert "reference (mpmath, 50 digits)" in out
    assert "1208.381215126609" in out and "809.707479218564" in out
    for method in ids("point"):
        assert method in out


def test_compare_json_follows_the_design(cli):
    code, out, _ = cli("compare", LECTURE, *LECTURE_POINT, "--format", "json")
    assert code == 0
    record = json.loads(out)
    assert set(record) >= {"expression", "point", "value", "f_seconds", "reference", "methods"}
    assert record["expression"] == LECTURE and record["point"] == {"x": 2.0, "z": 3.0}
    assert record["reference"]["digits"] == 50
    assert set(record["reference"]["gradient"]) == {"x", "z"}
    assert mpmath.mpf(record["reference"]["gradient"]["x"]) > 1208
    assert len(record["reference"]["value"].replace(".", "")) >= 50
    assert [m["method"] for m in record["methods"]] == ids("point")
    for row in record["methods"]:
        assert set(row) >= {"method", "gradient", "abs_error", "rel_error", "max_rel_error", "evaluations",
                            "setup_seconds", "seconds", "error", "warnings"}
        assert row["error"] is None and row["seconds"] > 0 and row["setup_seconds"] > 0
        assert row["max_rel_error"] == max(row["rel_error"].values())
    assert record["f_seconds"] > 0


def test_json_is_strict_for_errors(cli):
    """1e300*sqrt(x) at x = 1e-300: the reference derivative, 5e449, is beyond the doubles, so the absolute
    errors are infinite and the symbolic, reverse and dual rows are errors (their derivative overflows).
    The record is still strict JSON: infinities are the string "Infinity", never a bare constant."""
    for fmt in ("json", "jsonl"):
        code, out, _ = cli("compare", "1e300*sqrt(x)", "x=1e-300", "--format", fmt, "--no-timing")
        assert code == 0
        assert "Infinity" in out and "NaN" not in out.replace('"NaN"', "")
        record = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
        rows = {row["method"]: row for row in record["methods"]}
        assert mpmath.mpf(record["reference"]["gradient"]["x"]) > mpmath.mpf("1e449")
        assert rows["fd-forward"]["abs_error"] == {"x": "Infinity"}  # |8.2e303 - 5e449| overflows
        for name in ("symbolic", "reverse", "dual"):
            assert rows[name]["gradient"] is None and "not finite" in rows[name]["error"], rows[name]


def test_jsonl_is_one_line(cli):
    code, out, _ = cli("compare", "x*z", "x=1", "z=2", "--format", "jsonl", "--no-timing")
    assert code == 0 and out.count("\n") == 1
    assert json.loads(out)["methods"][0]["gradient"] == {"x": 2.0, "z": 1.0}


def test_csv(cli):
    code, out, _ = cli("compare", LECTURE, *LECTURE_POINT, "--format", "csv", "--no-timing")
    rows = list(csv.DictReader(io.StringIO(out)))  # the long schema: one row per method and variable
    assert [r["method"] for r in rows[::2]] == ids("point")
    assert [r["variable"] for r in rows[:2]] == ["x", "z"]
    reverse = {r["variable"]: r for r in rows if r["method"] == "reverse"}
    assert float(reverse["x"]["derivative"]) == pytest.approx(1208.3812151266096, rel=1e-15, abs=0)
    assert reverse["x"]["reference"].startswith("1208.38121512660962943")
    assert float(reverse["z"]["rel_error"]) < 1e-14


@pytest.mark.parametrize("fmt, marker", [("markdown", "|"), ("latex", r"\begin{tabular}")])
def test_markdown_and_latex(cli, fmt, marker):
    code, out, _ = cli("compare", "x**2", "x=3", "--format", fmt, "--no-timing")
    assert code == 0 and marker in out and "reverse" in out


def test_many_variables_use_one_row_per_partial(cli):
    code, out, _ = cli("compare", "a*b*c*d", "a=1", "b=2", "c=3", "d=4", "--methods", "reverse",
                       "--no-timing")
    assert code == 0 and "variable" in out
    assert "24" in out and "12" in out and "8" in out and "6" in out


def test_methods_option(cli):
    code, out, _ = cli("compare", "x**2", "x=3", "--methods", "reverse,symbolic", "--format", "json",
                       "--no-timing")
    assert [m["method"] for m in json.loads(out)["methods"]] == ["reverse", "symbolic"]


def test_digits_option(cli):
    code, out, _ = cli("compare", "sin(x)", "x=1", "--digits", "80", "--format", "json", "--no-timing")
    record = json.loads(out)
    assert record["reference"]["digits"] == 80
    m = mpmath.MPContext()
    m.dps = 90
    assert abs(m.mpf(record["reference"]["gradient"]["x"]) - m.cos(1)) < m.mpf(10) ** -79


def test_point_value_may_be_an_expression(cli):
    code, out, _ = cli("compare", "sin(x)", "x=pi/4", "--methods", "reverse", "--format", "json",
                       "--no-timing")
    assert json.loads(out)["point"]["x"] == 0.7853981633974483


def test_diff_prints_parseable_derivative(cli):
    code, out, _ = cli("diff", "x*sin(x)", "--wrt", "x")
    assert code == 0 and out == "sin(x) + x * cos(x)\n"
    code, out, _ = cli("diff", "x*sin(x)", "--wrt", "x", "--format", "latex")
    assert out.strip() == r"\sin\left(x\right) + x \cdot \cos\left(x\right)"
    code, out, _ = cli("diff", "x*sin(x)", "--wrt", "x", "--format", "json")
    assert json.loads(out)["derivative"] == "sin(x) + x * cos(x)"


def test_diff_of_lecture_round_trips(cli):
    code, out, _ = cli("diff", LECTURE, "--wrt", "z")
    code2, out2, _ = cli("compare", out.strip(), *LECTURE_POINT, "--methods", "reverse", "--format", "json",
                         "--no-timing")
    assert code2 == 0 and json.loads(out2)["value"] == pytest.approx(809.70747921856408, rel=1e-15, abs=0)


def test_version(cli):
    code, out, _ = cli("--version")
    assert code == 0 and out.strip() == f"diffcli {__version__}"


def test_every_command_has_help_with_an_example(cli):
    import typer.main

    group = typer.main.get_command(app)
    assert {"compare", "diff"} <= set(group.commands)
    for name in group.commands:
        code, out, _ = cli(name, "--help")
        assert code == 0 and "Example:" in out, name
    code, out, _ = cli("--help")
    assert code == 0 and "Example:" in out and "--show-completion" in out and "--debug" in out
    assert "fd-central" in cli("compare", "--help")[1] and "cbrt(eps)" in cli("methods")[1]


def test_python_m_and_console_script():
    result = subprocess.run([sys.executable, "-m", "diffcli", "compare", "x**2", "x=3", "--methods",
                             "reverse", "--format", "jsonl", "--no-timing"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["methods"][0]["gradient"] == {"x": 6.0}


def test_caret_on_a_terminal(cli, monkeypatch):
    monkeypatch.setattr("diffcli.cli.program._stderr_is_terminal", lambda: True)
    code, _, err = cli("compare", "sin(x) + foo(x)", "x=1")
    assert code == 2
    assert err.splitlines() == ["diffcli: error: column 10: unknown function 'foo'; did you mean 'log'?",
                                "  sin(x) + foo(x)", "           ^"] or err.splitlines()[1:] == \
        ["  sin(x) + foo(x)", "           ^"]


def test_readme_python_examples_run():
    import doctest
    from pathlib import Path

    text = (Path(__file__).parent.parent / "README.md").read_text()
    block = text[text.index("```python") + len("```python"):]
    block = block[:block.index("```")]
    test = doctest.DocTestParser().get_doctest(block, {}, "README", None, 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.summarize().failed == 0 and test.examples


# ---------------------------------------------------------------- gradient checks: --tolerance

def test_tolerance_fails_and_names_every_row_over_it(cli):
    code, out, err = cli("compare", LECTURE, *LECTURE_POINT, "--no-timing", "--tolerance", "1e-300")
    assert code == 1 and "reference (mpmath, 50 digits)" in out  # the table is still written
    lines = err.splitlines()
    assert [line.split(":")[1].strip() for line in lines] == ids("point")
    assert all(" > tolerance 1e-300" in line for line in lines)


def test_tolerance_one_passes(cli):
    code, out, err = cli("compare", LECTURE, *LECTURE_POINT, "--no-timing", "--tolerance", "1")
    assert code == 0 and err == "" and "reverse" in out


def test_tolerance_fails_a_method_that_could_not_run(cli):
    code, _, err = cli("compare", "abs(x)", "x=1", "--methods", "complex-step", "--no-timing", "--tolerance",
                       "1")
    assert code == 1 and err == "diffcli: complex-step: no estimate (not applicable: abs is not analytic)\n"


def test_quiet_keeps_only_the_records(cli):
    code, out, err = cli("--quiet", "compare", "sin(x)", "x=1", "--methods", "fd-central", "--no-timing",
                         "--tolerance", "0", "--format", "jsonl")
    assert code == 1 and err == "" and json.loads(out)["methods"][0]["method"] == "fd-central"


# ---------------------------------------------------------------- internal errors: never a traceback

@pytest.fixture
def a_bug(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something impossible happened")
    monkeypatch.setattr("diffcli.tasks.compare.compare", broken)


def test_an_internal_error_is_one_line_saying_it_is_a_bug(cli, a_bug):
    code, out, err = cli("compare", "x", "x=1")
    assert code == 1 and out == ""
    assert err == ("diffcli: internal error: RuntimeError: something impossible happened (a bug; run again "
                   "with --debug, or DIFFCLI_DEBUG=1, to see the traceback)\n")


def test_debug_shows_the_traceback(cli, a_bug, monkeypatch):
    with pytest.raises(RuntimeError, match="something impossible"):
        cli("--debug", "compare", "x", "x=1")
    monkeypatch.setenv("DIFFCLI_DEBUG", "1")
    with pytest.raises(RuntimeError, match="something impossible"):
        cli("compare", "x", "x=1")


def test_an_internal_error_on_one_line_of_a_file_lets_the_others_go_on(cli, a_bug, tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("x @ x=1\nx @ x=2\n")
    code, out, err = cli("compare", "--file", str(path), "--format", "jsonl")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and [r["line"] for r in records] == [1, 2]
    assert all(r["error"].startswith("internal error (a bug; --debug shows the traceback): RuntimeError")
               for r in records)


def test_the_console_script_turns_an_internal_error_into_exit_1_without_a_traceback():
    code = ("import sys, diffcli.tasks.compare, diffcli.cli.program\n"
            "def broken(*a, **k): raise RuntimeError('boom')\n"
            "diffcli.tasks.compare.compare = broken\n"
            "sys.argv = ['diffcli', 'compare', 'x', 'x=1']\n"
            "diffcli.cli.program.run()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("diffcli: internal error: RuntimeError: boom (a bug;")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    debug = subprocess.run([sys.executable, "-c", code.replace("'compare'", "'--debug', 'compare'")],
                           capture_output=True, text=True, timeout=60)
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr


# ---------------------------------------------------------------- start-up: nothing imported that is not used

HEAVY = {"numpy", "mpmath", "tabulate", "rich"}


def _imported(*args):
    """Top-level packages of HEAVY that ``diffcli ARGS`` imports, read from ``python -X importtime``."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "diffcli", *args], capture_output=True,
                            text=True, timeout=60)
    names = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in result.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    assert "importtime" not in result.stdout and "imported package" in result.stderr  # the tool really ran
    return names & HEAVY


@pytest.mark.parametrize("args, needed", [
    (["--version"], set()),
    (["--help"], set()),
    (["compare", "--help"], set()),
    (["diff", "x*sin(x)", "--wrt", "x"], set()),
    (["compare", "sin(x) + foo(x)", "x=1"], set()),  # an error: nothing computed
    (["compare", LECTURE, *LECTURE_POINT, "--methods", "reverse", "--format", "json", "--no-timing"],
     {"mpmath"}),
    (["compare", "x**2", "x=3", "--methods", "reverse", "--no-timing"], {"mpmath", "tabulate"}),
])
def test_only_what_a_path_uses_is_imported(args, needed):
    assert _imported(*args) == needed


# ---------------------------------------------------------------- shell completions

def test_completions_match_what_the_app_generates_now():
    sys.path.insert(0, os.path.join(ROOT, "completions"))
    try:
        import generate
    finally:
        sys.path.pop(0)
    for shell, name in generate.SCRIPTS.items():
        with open(os.path.join(ROOT, "completions", name), encoding="utf-8") as script:
            assert script.read() == generate.generate(shell), \
                f"completions/{name} is out of date: run python3 completions/generate.py"


def test_the_bash_completion_script_completes_commands_and_choices(tmp_path):
    shim = tmp_path / "diffcli"  # what `pip install` puts on PATH
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m diffcli \"$@\"\n")
    shim.chmod(0o755)
    script = os.path.join(ROOT, "completions", "diffcli.bash")
    command = (f"source {script}; "
               "COMP_WORDS=(diffcli com); COMP_CWORD=1; _diffcli_completion diffcli; "
               "echo \"${COMPREPLY[*]}\"; "
               "COMP_WORDS=(diffcli compare --format j); COMP_CWORD=3; _diffcli_completion diffcli; "
               "echo \"${COMPREPLY[*]}\"")
    environment = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}",
                   "PYTHONPATH": ROOT}
    result = subprocess.run(["bash", "--norc", "-c", command], capture_output=True, text=True,
                            env=environment, timeout=60)
    assert result.stdout.splitlines() == ["compare", "json jsonl"], result.stderr


# ---------------------------------------------------------------- the reference's record

def test_reference_value_shows_only_digits_it_checked(cli):
    """(1e125 + x) - 1e125 at x = 1e12 + 1: in doubles f is 0 (1e12 is below the spacing of doubles at
    1e125); in exact arithmetic on those doubles it is x = 1000000000001.  Every digit the reference shows
    must be right, however many it shows."""
    code, out, _ = cli("compare", "(1e125 + x) - 1e125", "x=1000000000001", "--format", "json", "--no-timing",
                       "-m", "reverse")
    assert code == 0
    reference = json.loads(out)["reference"]
    m = mpmath.MPContext()
    m.dps = 200  # enough for 1e125 + 1e12 exactly
    truth = (m.mpf(1e125) + m.mpf(1e12 + 1)) - m.mpf(1e125)
    assert truth == 1000000000001
    shown = m.mpf(reference["value"])
    assert abs(shown - truth) <= m.mpf(10) ** (1 - reference["digits"]) * truth, reference
    assert m.mpf(reference["gradient"]["x"]) == 1


def test_reference_value_digits_are_checked_even_where_the_gradients_agree(monkeypatch):
    """Should the two working precisions disagree on f's value from its 30th digit (simulated here: every
    lower-precision run's value moved by 1e-30 relative), the reference shows only the digits they agree
    on, however well their gradients agree."""
    import diffcli.reference as reference_module
    from diffcli.core.parse import parse
    from diffcli.reference import reference

    original = reference_module.settle

    def disagreeing(*args, **kwargs):
        first, second, extra = original(*args, **kwargs)  # the lower and the higher precision's runs
        first.value = first.value * (1 + first.context.mpf(10) ** -30)
        return first, second, extra
    monkeypatch.setattr(reference_module, "settle", disagreeing)
    ref = reference(parse("exp(x)"), {"x": 1.0}, digits=50)
    assert 28 <= ref.digits <= 31 and "ill-conditioned" in ref.note, (ref.digits, ref.note)
    m = mpmath.MPContext()
    m.dps = 60
    assert abs(m.mpf(ref.text(ref.value)) - m.e) <= m.mpf(10) ** (1 - ref.digits) * m.e


@pytest.mark.parametrize("expression, point, method", [
    ("x**2", ("x=3",), "complex step in mpmath"),
    ("abs(x) + x", ("x=0",), "right difference quotient in mpmath"),  # at a kink: one-sided
    (" + ".join(f"x{i}**2" for i in range(16)), tuple(f"x{i}=1" for i in range(16)),
     "reverse-mode in mpmath, checked by mpmath.diff on 3 coordinates"),  # from 16 variables on
])
def test_reference_says_which_method_it_used(cli, expression, point, method):
    code, out, _ = cli("compare", expression, *point, "--format", "json", "--no-timing", "-m", "reverse")
    assert code == 0
    assert json.loads(out)["reference"]["method"] == method


# ---------------------------------------------------------------- durations

@pytest.mark.parametrize("seconds, shown", [
    (None, ""), (2.5, "2.5 s"),
    (1.0, "1 s"), (0.9994, "999 ms"),          # the unit boundaries, and just below them
    (1e-3, "1 ms"), (0.012, "12 ms"), (9.994e-4, "999 µs"),
    (1e-6, "1 µs"), (9.994e-7, "999 ns"),
    (1e-9, "1 ns"), (4.2e-10, "0.42 ns"),
])
def test_duration_uses_three_digits_in_a_readable_unit(seconds, shown):
    from diffcli.render.base import duration

    assert duration(seconds) == shown


@pytest.mark.parametrize("seconds, shown", [(0.9999, "1 s"), (9.9999e-4, "1 ms")])
def test_duration_rounding_up_to_the_next_unit(seconds, shown):
    from diffcli.render.base import duration

    assert duration(seconds) == shown


@pytest.mark.parametrize("command", ["compare", "hessian", "trace"])
def test_an_expression_without_variables_is_refused_in_one_line(cli, command):
    # sin(2) for sin(x): there is nothing to differentiate (complex-step failed with an internal IndexError
    # and richardson with a numpy message on such an expression)
    code, out, err = cli(command, "sin(2) + 0.5")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "the expression has no variables (it is the constant 1.4092974268256817)" in err
