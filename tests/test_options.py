"""One option vocabulary: every command speaks the same options, fits the terminal, and errors in the user's
words.  The walk over every command's parameters fails on a second spelling of one idea; the other tests
each reproduce a problem the old command line had."""

import io
import json
import sys

import pytest
import typer.main

from diffcli.cli.program import app
from diffcli.methods.registry import ids

COMMANDS = typer.main.get_command(app).commands

SPELLINGS = {
    "algorithm selector": {"--methods", "--method", "--schemes", "--scheme", "--optimizer", "--optimizers",
                           "--algorithms"},
    "plot": {"--plot", "--terminal-plot", "--plot-file", "--image"},
    "variable to differentiate by": {"--wrt", "--var", "--variable", "--by"},
    "digits of the reference": {"--digits", "--precision", "--dps"},
    "expression file": {"--file", "--input", "--expressions"},
    "quiet": {"--quiet", "--silent"},
}
"""Each idea's names; only the first of each set in this order — the canonical one — may be shown."""
CANONICAL = {"algorithm selector": "--methods", "plot": "--plot", "variable to differentiate by": "--wrt",
             "digits of the reference": "--digits", "expression file": "--file", "quiet": "--quiet"}

DIFFERENT_DEFAULTS = {
    "--format": "diff prints text and graph prints dot by default; the shared formats are the same",
    "--tolerance": "compare checks only when it is given; verify always checks, at 1e-10",
    "--methods": "each command selects among its own algorithms (methods, schemes, update rules)",
}
"""Options whose default or help may differ between commands, and why (the name still means one thing)."""


def _options():
    """``(command, option)`` for every visible option of every command."""
    for name, command in COMMANDS.items():
        for param in command.params:
            if param.param_type_name == "option" and not param.hidden:
                yield name, param


def _long(param) -> str:
    return max(param.opts, key=len)


def test_no_command_shows_a_second_spelling_of_one_idea():
    shown = {_long(param) for _, param in _options()}
    for idea, names in SPELLINGS.items():
        assert shown & names == {CANONICAL[idea]}, f"{idea}: {sorted(shown & names)}"


def test_an_option_has_one_short_form_default_and_meaning_wherever_it_appears():
    seen = {}
    for command, param in _options():
        name = _long(param)
        shape = (sorted(param.opts), sorted(param.secondary_opts), param.default, param.help)
        if name in DIFFERENT_DEFAULTS:
            shape = shape[:2]
        first = seen.setdefault(name, (command, shape))
        assert shape == first[1], f"{name} differs between {first[0]} and {command}"


def test_a_short_form_means_one_option_everywhere():
    meaning = {}
    for command, param in _options():
        for short in (opt for opt in param.opts if not opt.startswith("--")):
            assert meaning.setdefault(short, _long(param)) == _long(param), f"{short} in {command}"
    assert meaning["-m"] == "--methods" and meaning["-q"] == "--quiet" and meaning["-f"] == "--format"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_takes_quiet_and_the_selectors_are_methods(command):
    names = {_long(param) for name, param in _options() if name == command}
    assert "--quiet" in names
    assert "--digits" not in names or COMMANDS[command].params[
        [p.name for p in COMMANDS[command].params].index("digits")].default == 50


@pytest.mark.parametrize("command", sorted(COMMANDS) + [None])
def test_every_help_page_fits_40_lines_of_80_columns(cli, monkeypatch, command):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = cli(*([command] if command else []), "--help")
    assert code == 0 and len(out.splitlines()) <= 40, f"{command}: {len(out.splitlines())} lines"
    assert max(map(len, out.splitlines())) <= 80


def test_the_command_list_is_not_cut(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = cli("--help")[1]
    listed = out[out.index("Commands:"):].splitlines()[1:]
    assert listed and not any(line.rstrip().endswith(("...", "…")) for line in listed)


def test_the_method_list_is_one_line_of_ids_and_a_pointer(cli):
    out = " ".join(cli("compare", "--help")[1].split())
    assert ", ".join(ids("point")) in out and "diffcli methods" in out and "cbrt(eps)" not in out
    listing = cli("methods")[1]
    for id in [*ids("point"), *ids("hessian"), "adam", "momentum-velocity"]:
        assert sum(line.startswith(id + " ") for line in listing.splitlines()) == 1, id


@pytest.mark.parametrize("command", ["hessian", "trace", "graph", "optimize"])
def test_commands_without_file_do_not_offer_to_omit_expr(cli, command):
    assert "omit it with --file" not in cli(command, "--help")[1]


# ---------------------------------------------------------------- the same idea, one spelling


def test_eps_sweep_plot_terminal_works_as_in_optimize(cli):
    code, out, err = cli("eps-sweep", "sin(x)", "x=1", "--plot", "terminal", "--from", "1e-6")
    assert code == 0 and err == "" and "h" in out
    code, out, err = cli("eps-sweep", "sin(x)", "x=1", "--plot", "terminal", "--from", "1e-6", "-f", "json")
    assert code == 0 and json.loads(out)["wrt"] == "x" and err.strip()  # the text plot went to stderr


def test_methods_selects_in_every_command_and_old_spellings_still_work(cli):
    code, out, _ = cli("eps-sweep", "sin(x)", "x=1", "-m", "fd-central", "--from", "1e-4", "-f", "json")
    assert code == 0 and json.loads(out)["schemes"] == ["fd-central"]
    code, old, _ = cli("eps-sweep", "sin(x)", "x=1", "--schemes", "fd-central", "--from", "1e-4",
                       "-f", "json")
    assert code == 0 and json.loads(old)["schemes"] == ["fd-central"]
    for flag in ("-m", "--methods", "-o", "--optimizer"):
        code, out, _ = cli("optimize", "x**2", "x=1", flag, "adam", "--max-steps", "5", "-f", "json",
                           "--no-timing")
        assert code == 0 and [r["optimizer"] for r in json.loads(out)["optimizers"]] == ["adam"], flag
    code, _, err = cli("optimize", "x**2", "x=1", "-m", "adam", "-o", "sgd")
    assert code == 2 and "--optimizer is the old spelling of --methods" in err
    code, out, _ = cli("hessian", "x*y", "x=1", "y=2", "-m", "symbolic", "-f", "json", "--no-timing")
    assert code == 0 and [m["method"] for m in json.loads(out)["methods"]] == ["symbolic"]


def test_wrt_defaults_to_the_only_variable_and_means_what_diff_means(cli):
    assert cli("diff", "x*sin(x)")[1] == "sin(x) + x * cos(x)\n"
    code, out, _ = cli("verify", "x*sin(x)", "--claim", "sin(x) + x*cos(x)")
    assert code == 0 and "holds" in out
    code, _, err = cli("diff", "x*z")
    assert code == 2 and "give --wrt NAME: the expression has 2 variables (x, z)" in err
    assert cli("diff", "x**2*z**3", "--wrt", "x,z")[1] == "6 * (x * z**2)\n"
    code, out, err = cli("verify", "x**2*z**3", "--wrt", "x,z", "--claim", "6*x*z**2")
    assert code == 2 and out == "" and "mixed derivative" in err and "verify checks a first derivative" in err
    code, _, err = cli("eps-sweep", "x*z", "x=1", "z=2", "--wrt", "x,z")
    assert code == 2 and "one first partial derivative" in err


def test_digits_default_is_50_everywhere():
    defaults = {name: p.default for name, command in COMMANDS.items() for p in command.params
                if p.name == "digits"}
    assert set(defaults) >= {"compare", "verify", "eps-sweep", "trace", "hessian"}
    assert set(defaults.values()) == {50}


def test_stdin_is_dash_for_points_as_for_file_and_data(cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("x,z\n1,2\n3,4\n"))
    code, out, _ = cli("compare", "x*z", "--points", "-", "-f", "jsonl", "--no-timing")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["value"] for r in records] == [2.0, 12.0]


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_is_accepted_before_or_after_the_command(cli, where):
    words = ["compare", "x", "x=1", "z=2", "-m", "reverse", "--no-timing", "-f", "jsonl"]
    code, out, err = cli(*(["-q", *words] if where == "before" else [*words, "--quiet"]))
    assert code == 0 and json.loads(out)["value"] == 1.0 and err == ""  # the unused-binding warning too


@pytest.mark.parametrize("words", [["x=2,z=3"], ["x", "=", "2", "z", "=", "3"], ["x=2", "z=3"],
                                   ["x=2,", "z = 3"]])
def test_points_on_the_command_line_read_as_in_files(cli, words):
    code, out, err = cli("compare", "x*z", *words, "-m", "reverse", "--no-timing", "-f", "json")
    assert code == 0 and err == "" and json.loads(out)["point"] == {"x": 2.0, "z": 3.0}


def test_points_with_file_read_the_same_words(cli, tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("x*z\n")
    code, out, _ = cli("compare", "--file", str(path), "x", "=", "2,", "z=3", "-m", "reverse", "-f", "jsonl")
    assert code == 0 and json.loads(out)["point"] == {"x": 2.0, "z": 3.0}


@pytest.mark.parametrize("command", [["compare", "-m", "reverse", "--no-timing"], ["trace"], ["hessian"],
                                     ["graph"], ["optimize", "--max-steps", "5"],
                                     ["verify", "--claim", "2*x"]])
def test_an_unused_binding_is_a_warning_everywhere_and_an_error_under_strict(cli, command):
    name, *options = command
    code, out, err = cli(name, "x**2", "x=1", "w=5", *options)
    assert code == 0 and out
    assert err == "diffcli: warning: w is not used by the expression (its variables: x)\n"
    code, out, err = cli(name, "x**2", "x=1", "w=5", *options, "--strict")
    assert code == 2 and out == "" and "w is not used by the expression" in err and err.count("\n") == 1


def test_a_run_that_fails_shows_its_error_alone(cli):
    code, out, err = cli("compare", "x*yy", "x=1", "y=2")  # the warning would be a second line
    assert code == 2 and out == "" and err.count("\n") == 1 and "no value for variable 'yy'" in err


@pytest.mark.parametrize("words, message", [
    (["compare", "x", "x=1", "-j", "2"], "--jobs has no effect here: it runs the lines of --file"),
    (["compare", "x", "x=1", "--reference-sample", "5"], "--reference-sample has no effect here"),
    (["verify", "x*x", "x=1", "--claim", "2*x", "--seed", "3"], "--seed has no effect here"),
    (["diff", "x", "-j", "2"], "--jobs has no effect here"),
    (["optimize", "x**2", "x=1", "--patience", "3"], "--patience has no effect here"),
    (["optimize", "x**2", "x=1", "--box", "0:1"], "--box has no effect here"),
])
def test_an_option_without_effect_is_an_error_that_says_why(cli, words, message):
    code, out, err = cli(*words)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


# ---------------------------------------------------------------- defaults that cost


def test_file_runs_without_timing_unless_asked(cli, tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("x**2 @ x=3\n")
    code, out, _ = cli("compare", "--file", str(path), "-m", "reverse", "-f", "jsonl")
    assert code == 0 and json.loads(out)["f_seconds"] is None
    code, out, _ = cli("compare", "--file", str(path), "-m", "reverse", "-f", "jsonl", "--timing")
    assert code == 0 and json.loads(out)["f_seconds"] is not None
    code, out, _ = cli("compare", "x**2", "x=3", "-m", "reverse", "-f", "json")
    assert code == 0 and json.loads(out)["f_seconds"] is not None


# ---------------------------------------------------------------- hints for common slips


def test_an_expression_starting_with_minus_says_to_put_dashes_before_it(cli):
    code, out, err = cli("compare", "-x**2", "x=1")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "put -- before it" in err and "(-x**2)" in err
    code, out, _ = cli("compare", "-m", "reverse", "--no-timing", "-f", "json", "--", "-x**2", "x=1")
    assert code == 0 and json.loads(out)["value"] == -1.0


@pytest.mark.parametrize("words, hint", [
    (["compare", "x", "x=1", "-m", "revers"], "did you mean 'reverse'?"),
    (["eps-sweep", "x", "x=1", "-m", "fd-centrl"], "did you mean 'fd-central'?"),
    (["hessian", "x", "x=1", "-m", "symbolc"], "did you mean 'symbolic'?"),
    (["optimize", "x**2", "x=1", "-m", "adm"], "did you mean 'adam'?"),
    (["compare", "x", "x=1", "-f", "jsn"], "did you mean 'json'?"),
])
def test_did_you_mean_for_ids_and_formats(cli, words, hint):
    code, _, err = cli(*words)
    assert code == 2 and hint in err and err.count("\n") == 1


def test_no_arguments_prints_the_help_and_exits_2(cli):
    code, out, err = cli()
    assert code == 2 and out == "" and err.startswith("Usage: diffcli") and "Commands:" in err


def test_failed_lines_of_stdin_are_named_stdin(cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"log(x) @ x=-1\n")))
    code, _, err = cli("compare", "--file", "-", "-f", "jsonl")
    assert code == 1 and "1 line of stdin failed" in err and " of - " not in err


# ---------------------------------------------------------------- bounds

@pytest.mark.parametrize("words, message", [
    (("compare", "x*x", "--points", "-", "--reference-sample", "100000000"), "--reference-sample must be"),
    (("compare", "x*x", "--file", "-", "--jobs", "2000"), "--jobs must be a whole number of at least 0"),
    (("optimize", "x*x", "--restarts", "1000000000"), "--restarts must be a whole number"),
    (("optimize", "x*x", "x=1", "--max-steps", "100000000", "--tol", "0"), "--max-steps must be"),
    (("optimize", "x*x", "x=1", "--seed", "-1"), "--seed must be a whole number of at least 0"),
    (("optimize", "x*x", "--restarts", "2", "--box=-1e308:1e308"), "--box must be a number"),
    (("optimize", "x*x", "x=1", "--tol", "nan"), "--tol must be a finite number"),
    (("optimize", "x*x", "x=1", "--window", "0"), "--window must be a whole number of at least 1"),
    (("eps-sweep", "x*x", "x=1", "--to", "1e301"), "--to must be a number"),
    (("eps-sweep", "x*x", "x=1", "--from", "1e-301"), "--from must be a number"),
    (("eps-sweep", "x*x", "x=1", "--per-decade", "100000"), "--per-decade must be"),
    (("compare", "x*x", "x=1", "--digits", "0"), "--digits must be a whole number of at least 1"),
    (("compare", "x*x", "x=1", "--digits", "1001"), "and at most 1,000"),
    (("compare", "x*x", "x=1", "--eps", "inf"), "--eps must be a finite number"),
    (("diff", "x*x", "--order", "21"), "--order must be a whole number of at least 1 and at most 20"),
    (("verify", "x*x", "--claim", "2*x", "--samples", "1001"), "--samples must be"),
])
def test_an_option_outside_its_bound_is_one_line_exit_2(cli, words, message):
    code, out, err = cli(*words)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1, err


def test_every_numeric_option_has_a_bound_in_the_library_and_a_row_in_the_readme():
    """No number in the command line's declarations: each int or float option is checked by a callback
    reading the library's bound (``cli.app.bounded``), and the README's table of bounds names it."""
    import re
    from pathlib import Path

    readme = Path(__file__).parent.parent.joinpath("README.md").read_text()
    table = readme[readme.index("### Bounds"):]
    table = table[:table.index("\n\n", table.index("| option |"))]
    documented = set(re.findall(r"`(--[a-z0-9-]+)", table))
    command = typer.main.get_command(app)
    for name, sub in command.commands.items():
        for param in sub.params:
            if param.type.name not in ("integer", "float") or param.hidden or param.name == "box":
                continue
            spelled = max(param.opts, key=len)
            assert param.callback is not None and "bounded" in param.callback.__qualname__, (name, spelled)
            assert spelled in documented, (name, spelled)
    assert "--box" in documented


def test_optimize_without_history_keeps_only_the_window_of_losses():
    """O(1) memory per step: a run keeps the last 2·window losses, not one per step (the whole list only
    with history)."""
    from diffcli.core.parse import parse
    from diffcli.tasks.objectives import ExpressionObjective
    from diffcli.tasks.runs import Stopping, run
    from diffcli.tasks.updates import RULES, Hyper

    objective = ExpressionObjective(parse("(x - 3)**2 + 1"), ["x"], {}, 0.0)
    stopping = Stopping(max_steps=5000, window=10, tol=0.0)
    kept = run(objective, RULES["sgd"].update, Hyper(lr=1e-4), stopping, [0.0], history=False)
    full = run(objective, RULES["sgd"].update, Hyper(lr=1e-4), stopping, [0.0], history=True)
    assert kept.steps == full.steps == 5000 and kept.loss == full.loss
    assert len(kept.losses) <= 2 * 10 + 1 and len(full.losses) == 5001
