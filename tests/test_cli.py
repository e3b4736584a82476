"""The command line: output of each format, exit codes, help, version."""

import csv
import io
import json
import subprocess
import sys

import mpmath
import pytest

from diffcli import __version__
from diffcli.cli import app
from diffcli.methods import METHODS

from conftest import LECTURE

LECTURE_POINT = ("x=2", "z=3")


def test_compare_table(cli):
    code, out, err = cli("compare", LECTURE, *LECTURE_POINT, "--no-timing")
    assert code == 0 and err == ""
    assert "∂f/∂x" in out and "∂f/∂z" in out
    assert "reference (mpmath, 50 digits)" in out
    assert "1208.381215126609" in out and "809.707479218564" in out
    for method in METHODS:
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
    assert [m["method"] for m in record["methods"]] == list(METHODS)
    for row in record["methods"]:
        assert set(row) >= {"method", "gradient", "abs_error", "rel_error", "max_rel_error", "evaluations",
                            "setup_seconds", "seconds", "error", "warnings"}
        assert row["error"] is None and row["seconds"] > 0 and row["setup_seconds"] > 0
        assert row["max_rel_error"] == max(row["rel_error"].values())
    assert record["f_seconds"] > 0


def test_json_is_strict_for_errors(cli):
    code, out, _ = cli("compare", "sqrt(x)", "x=0", "--format", "json", "--no-timing")
    assert code == 0
    record = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    rows = {row["method"]: row for row in record["methods"]}
    # the forward difference (f(h) - f(0))/h exists; everything else refuses, or (richardson) says it is unsure
    assert all(row["error"] for name, row in rows.items() if name not in ("fd-forward", "richardson"))
    assert rows["richardson"]["warnings"]


def test_jsonl_is_one_line(cli):
    code, out, _ = cli("compare", "x*z", "x=1", "z=2", "--format", "jsonl", "--no-timing")
    assert code == 0 and out.count("\n") == 1
    assert json.loads(out)["methods"][0]["gradient"] == {"x": 2.0, "z": 1.0}


def test_csv(cli):
    code, out, _ = cli("compare", LECTURE, *LECTURE_POINT, "--format", "csv", "--no-timing")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["method"] for r in rows] == ["reference", *METHODS]
    reverse = next(r for r in rows if r["method"] == "reverse")
    assert float(reverse["d_x"]) == pytest.approx(1208.3812151266096, rel=1e-15)
    assert float(reverse["rel_error_z"]) < 1e-14


@pytest.mark.parametrize("fmt, marker", [("markdown", "|"), ("latex", r"\begin{tabular}")])
def test_markdown_and_latex(cli, fmt, marker):
    code, out, _ = cli("compare", "x**2", "x=3", "--format", fmt, "--no-timing")
    assert code == 0 and marker in out and "reverse" in out


def test_many_variables_use_one_row_per_partial(cli):
    code, out, _ = cli("compare", "a*b*c*d", "a=1", "b=2", "c=3", "d=4", "--methods", "reverse", "--no-timing")
    assert code == 0 and "variable" in out
    assert "24" in out and "12" in out and "8" in out and "6" in out


def test_methods_option(cli):
    code, out, _ = cli("compare", "x**2", "x=3", "--methods", "reverse,symbolic", "--format", "json", "--no-timing")
    assert [m["method"] for m in json.loads(out)["methods"]] == ["reverse", "symbolic"]


def test_digits_option(cli):
    code, out, _ = cli("compare", "sin(x)", "x=1", "--digits", "80", "--format", "json", "--no-timing")
    record = json.loads(out)
    assert record["reference"]["digits"] == 80
    m = mpmath.MPContext()
    m.dps = 90
    assert abs(m.mpf(record["reference"]["gradient"]["x"]) - m.cos(1)) < m.mpf(10) ** -79


def test_point_value_may_be_an_expression(cli):
    code, out, _ = cli("compare", "sin(x)", "x=pi/4", "--methods", "reverse", "--format", "json", "--no-timing")
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
    assert code2 == 0 and json.loads(out2)["value"] == pytest.approx(809.70747921856408, rel=1e-15)


def test_version(cli):
    code, out, _ = cli("--version")
    assert code == 0 and out.strip() == f"diffcli {__version__}"


def test_every_command_has_help_with_an_example(cli):
    import typer.main

    group = typer.main.get_command(app)
    for name in group.commands:
        code, out, _ = cli(name, "--help")
        assert code == 0 and "Example" in out, name
    assert "fd-central" in cli("compare", "--help")[1] and "cbrt(eps)" in cli("compare", "--help")[1]


def test_python_m_and_console_script():
    result = subprocess.run([sys.executable, "-m", "diffcli", "compare", "x**2", "x=3", "--methods", "reverse",
                             "--format", "jsonl", "--no-timing"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["methods"][0]["gradient"] == {"x": 6.0}


def test_caret_on_a_terminal(cli, monkeypatch):
    monkeypatch.setattr("diffcli.cli._stderr_is_terminal", lambda: True)
    code, _, err = cli("compare", "sin(x) + foo(x)", "x=1")
    assert code == 2
    assert err.splitlines() == ["diffcli: error: column 10: unknown function 'foo'; did you mean 'log'?",
                                "  sin(x) + foo(x)", "           ^"] or err.splitlines()[1:] == \
        ["  sin(x) + foo(x)", "           ^"]
