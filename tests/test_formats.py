"""Output that fits the terminal, loses nothing by format, and plots that tell their series apart.

Each test reproduced a problem of the issue "One voice" before the fix: tables 166 to 267 columns wide, a
kink warning only in the table, a silent --points failure, two CSV schemas, LaTeX that needed booktabs and
a Unicode engine, optimizers drawn in one colour.
"""

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import LECTURE

from diffcli.cli.app import terminal_width
from diffcli.render import plot
from diffcli.render.base import DEFAULT_WIDTH
from diffcli.render.layout import latex_text

CHECKS = str(Path(__file__).parent.parent / "examples" / "checks.txt")
POINT = ["x=2", "z=3"]
KINK = "abs(0.0) is at its kink"


@pytest.fixture(autouse=True)
def no_columns(monkeypatch):
    """Output under a test is not a terminal: 100 columns, unless a test sets COLUMNS."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


def _size(text: str) -> tuple[int, int]:
    lines = text.splitlines()
    return max(map(len, lines)), len(lines)


# ---------------------------------------------------------------- fitting the terminal

@pytest.mark.parametrize("words", [["compare", LECTURE, *POINT], ["eps-sweep", LECTURE, *POINT, "--wrt", "x"],
                                   ["trace", LECTURE, *POINT], ["compare", "--file", CHECKS]],
                         ids=["compare", "eps-sweep", "trace", "compare --file"])
def test_the_lecture_s_default_output_fits_100_columns(cli, words):
    """They were 202, 230 (and 71 lines), 166 and 267 columns wide."""
    code, out, _ = cli(*words)
    width, lines = _size(out)
    assert width <= 100, out
    if words[0] == "eps-sweep":
        assert lines <= 30, out


def test_the_terminal_width_is_columns_else_100_under_a_pipe(monkeypatch):
    assert terminal_width() == DEFAULT_WIDTH == 100
    monkeypatch.setenv("COLUMNS", "132")
    assert terminal_width() == 132
    monkeypatch.setenv("COLUMNS", "wide")
    assert terminal_width() == 100


def test_compare_switches_to_one_row_per_partial_in_a_narrow_terminal(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = cli("compare", LECTURE, *POINT, "--no-timing")
    header = next(line for line in out.splitlines() if line.startswith("method"))
    assert code == 0 and "variable" in header and _size(out)[0] <= 60, out


def test_compare_wide_has_every_column(cli):
    code, out, _ = cli("compare", LECTURE, *POINT, "--no-timing", "--wide")
    header = next(line for line in out.splitlines() if line.startswith("method"))
    assert code == 0 and header.count("abs error") == 2 and "est. error" in header and "setup" in header
    assert "reference (mpmath, 50 digits)  1208.38121512660962943…" in out


def test_eps_sweep_shows_every_step_with_all(cli):
    code, out, _ = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x", "--no-terminal-plot")
    assert code == 0 and not any(line.startswith("1e-16 ") for line in out.splitlines())
    assert "31 steps measured" in out
    code, out, _ = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x", "--no-terminal-plot", "--all")
    steps = [line for line in out.splitlines() if re.match(r"\d[\d.e+-]* ", line)]
    assert code == 0 and len(steps) == 31 and _size(out)[0] <= 100


# ---------------------------------------------------------------- nothing lost by format

@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv", "markdown", "latex"])
def test_a_kink_warning_is_in_every_format_and_once_on_stderr(cli, fmt):
    code, out, err = cli("compare", "abs(x)*z", "x=0", "z=1", "--no-timing", "-f", fmt)
    assert code == 0 and KINK in out
    assert err.count(KINK) == 1 and f"diffcli: warning: {KINK}" in err


def test_eps_sweep_s_kink_warning_is_on_stderr_too(cli):
    code, out, err = cli("eps-sweep", "abs(x)", "x=0", "--wrt", "x", "-f", "json")
    assert code == 0 and KINK in out and err.count(KINK) == 1


def test_failed_points_are_counted_on_stderr_and_fail_the_tolerance(cli, tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("x\n1\n-1\n4\n-4\n")
    for fmt in ("table", "csv"):
        code, _, err = cli("compare", "sqrt(x)", "--points", str(points), "-m", "reverse", "--no-timing",
                           "-f", fmt)
        assert code == 0 and "2 of 4 points failed for reverse" in err
    code, _, err = cli("compare", "sqrt(x)", "--points", str(points), "-m", "reverse", "--no-timing",
                       "--tolerance", "1")
    assert code == 1 and "2 failed points" in err


def test_one_csv_schema_for_one_compare_and_for_a_file(cli):
    _, single, _ = cli("compare", LECTURE, *POINT, "--no-timing", "-f", "csv")
    _, many, _ = cli("compare", "--file", CHECKS, "--no-timing", "-f", "csv")
    single_rows = list(csv.DictReader(io.StringIO(single)))
    assert single.splitlines()[0] == many.splitlines()[0]
    assert {row["variable"] for row in single_rows} == {"x", "z"} and len(single_rows) == 18
    assert single_rows[0]["line"] == "" and "warnings" in single_rows[0]


# ---------------------------------------------------------------- LaTeX for pdflatex

@pytest.mark.parametrize("words", [["compare", LECTURE, *POINT], ["hessian", LECTURE, *POINT],
                                   ["trace", LECTURE, *POINT], ["compare", "abs(x)*z", "x=0", "z=1"]],
                         ids=["compare", "hessian", "trace", "kink"])
def test_latex_is_ascii_that_plain_pdflatex_compiles(cli, tmp_path, words):
    code, out, _ = cli(*words, "-f", "latex")
    assert code == 0 and out.isascii() and "toprule" not in out and "usepackage" not in out
    assert out.count(r"\begin{tabular}") == out.count(r"\end{tabular}") >= 1
    if words[0] == "trace":
        assert "terms" in out and r"403.429 + 1 $\cdot$ 1.4427" in out
    if shutil.which("pdflatex"):
        (tmp_path / "t.tex").write_text("\\documentclass{article}\\begin{document}\n" + out
                                        + "\n\\end{document}\n")
        result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                                cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout[-2000:]


def test_latex_text_escapes_specials_and_writes_symbols_as_commands():
    assert latex_text("∂²f/∂x² × 2 µs") == r"$\partial$$^2$f/$\partial$x$^2$ $\times$ 2 $\mu$s"
    assert latex_text("a_b & 50% {c} | ★ é") == r"a\_b \& 50\% \{c\} \textbar{} * ?"


# ---------------------------------------------------------------- plots

def test_optimizers_get_a_colour_each_in_an_image(cli, tmp_path):
    pytest.importorskip("matplotlib")
    image = tmp_path / "opt.svg"
    code, _, err = cli("optimize", "(x-1)**2 + (y+2)**2", "x=3", "y=3", "--no-timing", "-o",
                       "sgd,momentum,adam", "--max-steps", "60", "--plot", str(image))
    assert code == 0, err
    strokes = set(re.findall(r"stroke: (#[0-9a-f]{6})", image.read_text()))
    assert len(strokes - {"#000000", "#ffffff", "#b0b0b0"}) >= 3, strokes


def test_terminal_plots_colour_each_group_only_when_asked():
    pytest.importorskip("plotext")
    series = [plot.Series("a", [1, 2, 3], [1, 2, 3], group="a"),
              plot.Series("a model", [1, 2, 3], [1, 2.5, 3], group="a", marker="·"),
              plot.Series("b", [1, 2, 3], [3, 2, 1], group="b")]
    text = plot.terminal(series, title="t", xlabel="x", ylabel="y", color=True)
    legend = text.splitlines()[-1]
    colours = re.findall(r"\x1b\[38;5;(\d+)m(\S)", legend)
    assert len(colours) == 3 and colours[0][0] == colours[1][0] != colours[2][0], legend
    assert "\x1b" not in plot.terminal(series, title="t", xlabel="x", ylabel="y", color=False)


def test_eps_sweep_s_plot_has_no_colour_under_a_pipe(cli):
    pytest.importorskip("plotext")
    code, out, _ = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x")
    assert code == 0 and "\x1b" not in out and "relative error of ∂f/∂x" in out


def test_json_records_are_unchanged_by_the_width(cli, monkeypatch):
    _, narrow, _ = cli("compare", "x*z", "x=1", "z=2", "--no-timing", "-f", "json")
    monkeypatch.setenv("COLUMNS", "40")
    _, still, _ = cli("compare", "x*z", "x=1", "z=2", "--no-timing", "-f", "json")
    assert json.loads(narrow) == json.loads(still)


@pytest.mark.parametrize("command", [("hessian", "abs(x)*y", "x=0", "y=1", "--no-timing"),
                                     ("trace", "abs(x) + x", "x=0")])
def test_hessian_and_trace_write_their_kink_warning_once_on_stderr(cli, command):
    code, out, err = cli(*command, "-f", "json")
    assert code == 0 and err.count("diffcli: warning: abs(0.0) is at its kink") == 1


def test_a_file_run_writes_each_lines_warnings_once_on_stderr(cli, tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("abs(x) @ x=0\nx**2 @ x=1\n")
    code, _, err = cli("compare", "--file", str(lines), "-m", "reverse", "-f", "jsonl")
    assert code == 0 and err.count("warning: line 1: abs(0.0) is at its kink") == 1 and "line 2" not in err
    _, _, quiet = cli("compare", "--file", str(lines), "-m", "reverse", "-f", "jsonl", "--quiet")
    assert quiet == ""


_AT_A_KINK = {
    "compare": ("compare", "abs(x)*y", "x=0", "y=1", "--no-timing"),
    "hessian": ("hessian", "abs(x)*y", "x=0", "y=1", "--no-timing"),
    "trace": ("trace", "abs(x)*y", "x=0", "y=1"),
    "eps-sweep": ("eps-sweep", "abs(x)*y", "x=0", "y=1", "--wrt", "x", "--no-terminal-plot"),
    "verify": ("verify", "abs(x)*y", "--wrt", "x", "--claim", "y", "x=0", "y=1"),
}


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv", "markdown", "latex"])
@pytest.mark.parametrize("command", list(_AT_A_KINK))
def test_every_command_carries_its_kink_warning_in_every_format(cli, command, fmt):
    code, out, err = cli(*_AT_A_KINK[command], "-f", fmt)
    assert code == 0 and KINK in " ".join(out.split())
    assert err.count(f"diffcli: warning: {KINK}") == 1


_FAILING = {  # each with the reason every format must carry
    "compare": (("compare", "(-x)**z", "x=2", "z=3", "-m", "reverse"), "f is undefined on both sides of z"),
    "hessian": (("hessian", "sqrt(x)*y", "x=0", "y=1"), "no two-sided derivative in x"),
    "trace": (("trace", "sqrt(x)", "x=0"), "the partial derivative of sqrt(x) in x is undefined"),
    "eps-sweep": (("eps-sweep", "abs(x)", "x=1", "--wrt", "x", "--no-terminal-plot"),
                  "not applicable: abs is not analytic"),
    "verify": (("verify", "x*sin(x)", "--wrt", "x", "--claim", "x*cos(x)", "x=1"), "dropped the term sin(x)"),
}


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "latex"])
@pytest.mark.parametrize("command", list(_FAILING))
def test_every_command_says_why_something_failed_in_every_format(cli, command, fmt):
    arguments, reason = _FAILING[command]
    code, out, _ = cli(*arguments, "-f", fmt)
    text = " ".join(out.split()).replace(r"\_", "_")  # LaTeX escapes the underscore
    assert reason in text, (code, out[-400:])
