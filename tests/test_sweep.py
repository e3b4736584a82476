"""diffcli eps-sweep: the V of error against step, measured against the reference and predicted."""

import csv
import importlib.util
import io
import json
import math
import sys

import pytest
from conftest import LECTURE

from diffcli.core.errors import UsageError
from diffcli.methods.registry import default_sweep
from diffcli.render.sweep import render, terminal_plot
from diffcli.tasks.sweep import step_grid, sweep

HAVE_PLOTEXT = importlib.util.find_spec("plotext") is not None
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


@pytest.fixture(scope="module")
def lecture():
    return sweep(LECTURE, {"x": 2, "z": 3}, "x")


def errors(record, scheme):
    return {row["h"]: row[scheme]["rel_error"] for row in record["rows"]}


# -------------------------------------------------------- the "done when", on the lecture example

def test_central_optimum_between_1e7_and_1e4_and_below_1e10(lecture):
    best = lecture["optimal"]["fd-central"]
    assert 1e-7 <= best["h"] <= 1e-4 and best["rel_error"] <= 1e-10


def test_forward_optimum_between_1e10_and_1e6(lecture):
    assert 1e-10 <= lecture["optimal"]["fd-forward"]["h"] <= 1e-6


def test_complex_step_exact_for_every_step_up_to_1e8(lecture):
    small = {h: e for h, e in errors(lecture, "complex-step").items() if h <= 1e-8}
    assert len(small) >= 16 and max(small.values()) <= 1e-15


def test_round_off_side_is_visible(lecture):
    assert errors(lecture, "fd-central")[1e-13] >= 1e-5


def test_truncation_side_grows_with_the_order(lecture):
    """At h = 1e-2 truncation rules: forward ~C·h, central ~C·h², five-point ~C·h⁴; each extra order gains
    roughly another factor h (times the ratio of the derivatives involved)."""
    at = {s: errors(lecture, s)[0.01] for s in ("fd-forward", "fd-central", "fd-5point")}
    assert at["fd-forward"] > 30 * at["fd-central"] > 30 ** 2 * at["fd-5point"]


# ---------------------------------------------------------------- rule of thumb and model

def test_rule_of_thumb_step_and_its_error(lecture):
    rule = lecture["rule"]
    assert rule["fd-central"]["h"] == pytest.approx(2.220446049250313e-16 ** (1 / 3) * 2)
    assert rule["fd-forward"]["h"] == pytest.approx(2.220446049250313e-16 ** 0.5 * 2)
    assert 1e-11 < rule["fd-central"]["rel_error"] < 1e-9
    assert rule["complex-step"]["h"] == 2e-20 and rule["complex-step"]["rel_error"] <= 1e-15


@pytest.mark.parametrize("scheme", ["fd-forward", "fd-central", "fd-5point"])
def test_model_predicts_the_error_at_the_rule_step(lecture, scheme):
    """Where one side of the V dominates, C·h^p + R·eps·|f|/h is the error to within a factor 3."""
    rule = lecture["rule"][scheme]
    assert rule["predicted"] / 3 <= rule["rel_error"] <= 3 * rule["predicted"]


def test_model_truncation_constant_from_f(lecture):
    """fd-central: C = |f'''(x)|/6, with f''' computed in mpmath from f (independently: by hand below)."""
    import mpmath

    m = mpmath.MPContext()
    m.dps = 30
    f = lambda x: m.exp(3 * x) + 3 * x / m.log(x) + m.sin(m.log(x)) / (3 * x)  # noqa: E731  (z = 3)
    third, second = float(abs(m.diff(f, 2, 3))), float(abs(m.diff(f, 2, 2)))
    assert lecture["model"]["fd-central"]["C"] == pytest.approx(third / 6, rel=1e-9, abs=0)
    assert lecture["model"]["fd-forward"]["C"] == pytest.approx(second / 2, rel=1e-9, abs=0)


def test_model_optimum_is_near_the_measured_one(lecture):
    for scheme in ("fd-central", "fd-5point"):
        predicted, measured = lecture["model"][scheme]["h_optimal"], lecture["optimal"][scheme]["h"]
        assert predicted / 20 <= measured <= predicted * 20, scheme


def test_predicted_curve_in_every_row(lecture):
    for row in lecture["rows"]:
        for scheme in default_sweep():
            assert row[scheme]["predicted"] > 0


# ---------------------------------------------------------------- the grid and its options

def test_default_grid_is_two_per_decade_from_1e16_to_1e1(lecture):
    steps = [row["h"] for row in lecture["rows"]]
    assert len(steps) == 31 and steps[0] == 1e-16 and steps[-1] == 0.1 and 1e-8 in steps
    assert lecture["schemes"] == default_sweep()


def test_grid():
    assert step_grid(1e-6, 1e-3, 1) == [1e-6, 1e-5, 1e-4, 1e-3]
    assert len(step_grid(1e-16, 1e-1, 4)) == 61
    for bad in ((1e-3, 1e-6, 1), (0.0, 1.0, 1), (1e-3, 1e-1, 0), (1e-300, 1.0, 100)):
        with pytest.raises(UsageError):
            step_grid(*bad)


def test_steps_below_the_spacing_of_doubles_have_no_estimate(lecture):
    cell = lecture["rows"][0]["fd-central"]  # h = 1e-16 at x = 2: x + h == x
    assert cell["estimate"] is None and cell["rel_error"] is None and "x + h == x" in cell["error"]


def test_stencil_outside_the_domain_is_a_cell_error_not_a_crash():
    record = sweep("sqrt(x)", {"x": 1e-3}, "x", schemes=["fd-central", "fd-forward"], h_from=1e-6, h_to=1e-1,
                   per_decade=1)
    central = {row["h"]: row["fd-central"] for row in record["rows"]}
    assert central[1e-2]["estimate"] is None and "undefined" in central[1e-2]["error"]
    assert central[1e-5]["rel_error"] == pytest.approx(1e-10 * 0.75e6 / 6, rel=1e-3, abs=0)  # h²·f'''/(6·f')
    assert all(row["fd-forward"]["estimate"] is not None for row in record["rows"])


def test_complex_step_not_applicable_to_abs():
    record = sweep("abs(x) + x**2", {"x": 1.0}, "x", h_from=1e-4, h_to=1e-2, per_decade=1)
    assert all(row["complex-step"]["error"] == "not applicable: abs is not analytic"
               for row in record["rows"])
    assert record["optimal"]["complex-step"] is None
    assert "complex-step: not applicable: abs is not analytic" in render(record, plot=False)


@pytest.mark.parametrize("args, words", [
    (("--schemes", "richardson"), "chooses its own steps"),
    (("--schemes", "fd-central,bogus"), "cannot run 'bogus'"),
    (("--from", "1e-2", "--to", "1e-4"), "must be smaller"),
    (("--per-decade", "0"), "--per-decade"),
])
def test_bad_options_exit_2_with_one_line(cli, args, words):
    code, out, err = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x", *args)
    assert code == 2 and out == "" and err.count("\n") == 1 and words in err, err


def test_wrt_must_be_a_variable(cli):
    code, _, err = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "y")
    assert code == 2 and "'y' is not a variable" in err
    code, _, err = cli("eps-sweep", "sin(x*y)", "x=1", "y=2")  # --wrt defaults only to the one variable
    assert code == 2 and "--wrt" in err


# ---------------------------------------------------------------- formats

def test_json_is_the_documented_record(cli):
    code, out, err = cli("eps-sweep", LECTURE, "x=2", "z=3", "--wrt", "x", "--format", "json",
                         "--per-decade", "1")
    assert code == 0 and err == ""
    record = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    assert set(record) >= {"expression", "point", "wrt", "reference", "schemes", "rows", "optimal"}
    assert record["wrt"] == "x" and record["point"] == {"x": 2.0, "z": 3.0}
    assert record["reference"]["derivative"].startswith("1208.3812151266096294")
    assert len(record["rows"]) == 16
    for row in record["rows"]:
        for scheme in record["schemes"]:
            assert set(row[scheme]) >= {"estimate", "rel_error"}
    for scheme in record["schemes"]:
        assert set(record["optimal"][scheme]) == {"h", "rel_error"}


def test_csv_one_line_per_step(cli):
    code, out, _ = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x", "--format", "csv", "--from", "1e-6")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 11 and float(rows[0]["h"]) == 1e-6
    assert float(rows[-1]["fd-central_estimate"]) == pytest.approx(math.cos(1) * math.sin(0.1) / 0.1,
                                                                   rel=1e-12, abs=0)
    assert {"fd-5point_rel_error", "complex-step_predicted"} <= set(rows[0])


@pytest.mark.parametrize("fmt, marker", [("markdown", "|"), ("latex", r"\begin{tabular}")])
def test_markdown_and_latex(cli, fmt, marker):
    code, out, _ = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x", "--format", fmt, "--from", "1e-4", "--all")
    assert code == 0 and out.count(marker) >= 2 and "fd-central" in out and "scheme" in out


def test_table_has_rows_summary_and_model(cli):
    code, out, _ = cli("eps-sweep", LECTURE, "x=2", "z=3", "--wrt", "x", "--no-terminal-plot", "--all")
    assert code == 0
    assert "reference 1208.3812151266096294" in out
    assert any(line.startswith("1e-08 ") for line in out.splitlines())  # the steps, with --all
    assert "rule h" in out and "best h" in out and " h*" in out
    assert "C·h^2 + 0.5·eps·|f|/h" in out
    assert "relative error of" not in out  # --no-terminal-plot


# ---------------------------------------------------------------- plots

@pytest.mark.skipif(not HAVE_PLOTEXT, reason="plotext is not installed (pip install 'diffcli[plot]')")
def test_terminal_plot_draws_the_v(lecture):
    text = terminal_plot(lecture, width=90, height=24)
    lines = text.splitlines()
    assert "relative error of ∂f/∂x against the step h" in lines[0]
    assert ("f fd-forward" in text and "c fd-central" in text and "i complex-step" in text
            and "· model" in text)
    assert "1e-16" in text and "\x1b[" not in text  # labelled axes, no colour codes
    grid = [line for line in lines if "│" in line]
    # the V: complex-step's letters sit at the bottom left, the forward difference's at the top right
    assert any("i" in line for line in grid[-4:]) and any("f" in line[-8:] for line in grid[:4])


@pytest.mark.skipif(not HAVE_PLOTEXT, reason="plotext is not installed (pip install 'diffcli[plot]')")
def test_table_ends_with_the_terminal_plot(cli):
    code, out, _ = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x", "--from", "1e-12")
    assert code == 0 and "relative error of ∂f/∂x against the step h" in out


def test_missing_plotext_is_a_note_not_a_failure(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "plotext", None)  # import plotext now raises ImportError
    code, out, err = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x", "--from", "1e-8")
    assert code == 0 and err == ""
    assert "(no terminal plot: the terminal plot needs plotext: pip install 'diffcli[plot]'" in out


@pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="matplotlib is not installed (pip install 'diffcli[plot]')")
@pytest.mark.parametrize("suffix, signature", [(".png", b"\x89PNG"), (".svg", b"<svg")])
def test_plot_file(cli, tmp_path, suffix, signature):
    path = tmp_path / f"v{suffix}"
    code, out, err = cli("eps-sweep", LECTURE, "x=2", "z=3", "--wrt", "x", "--plot", str(path), "-f", "json")
    assert code == 0 and err == "" and json.loads(out)["wrt"] == "x"
    assert signature in path.read_bytes()[:400]


def test_plot_file_without_matplotlib_is_one_clear_line(cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, out, err = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x", "--plot", str(tmp_path / "v.png"))
    assert code == 2 and out == ""
    assert err.startswith("diffcli: error: writing a plot file needs matplotlib: pip install 'diffcli[plot]'")
    assert err.count("\n") == 1


def test_plot_file_suffix_is_checked(cli, tmp_path):
    code, _, err = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x", "--plot", str(tmp_path / "v.jpg"))
    assert code == 2 and "name it .png, .svg or .pdf" in err


def test_complex_step_model_constant_from_f(lecture):
    """complex step: Im f(x + ih)/h = f'(x) − h²·f'''(x)/6 + …, so C = |f'''(x)|/6 (f''' in mpmath)."""
    import mpmath

    m = mpmath.MPContext()
    m.dps = 30
    f = lambda x: m.exp(3 * x) + 3 * x / m.log(x) + m.sin(m.log(x)) / (3 * x)  # noqa: E731  (z = 3)
    third = float(abs(m.diff(f, 2, 3)))
    assert lecture["model"]["complex-step"]["C"] == pytest.approx(third / 6, rel=1e-9, abs=0)


def test_a_partial_without_a_derivative_stops_only_a_sweep_in_that_variable():
    # (-x)**z at x=2, z=3: d/dx = z*(-x)**(z-1)*(-1) = -12 exists; d/dz does not (f is not real for z near 3)
    from diffcli.core.errors import PrecisionError
    from diffcli.tasks.sweep import sweep

    record = sweep("(-x)**z", {"x": 2.0, "z": 3.0}, "x", h_from=1e-6, h_to=1e-2)
    assert record["reference"]["derivative"] == "-12.0"
    with pytest.raises(PrecisionError, match="∂f/∂z does not exist"):
        sweep("(-x)**z", {"x": 2.0, "z": 3.0}, "z", h_from=1e-6, h_to=1e-2)
