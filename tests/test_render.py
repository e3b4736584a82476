"""One renderer: every command supplies a view, ``render/base.py`` alone decides what each format looks like.

Adding an output format is a change in ``render/base.py`` alone: a format registered in its ``FORMATS``
is offered by every command's ``--format``, single records and expression files alike, and no other
render module tests a format's name.
"""

import ast
import json
from pathlib import Path

import pytest
from conftest import LECTURE

from diffcli.render import base
from diffcli.render.base import FORMATS, Figure, Format, Table, View, render
from diffcli.render.plot import IMAGE_FORMATS

RENDER = Path(base.__file__).parent
CHECKS = Path(__file__).parent.parent / "examples" / "checks.txt"


@pytest.fixture
def files(tmp_path):
    """The input files the command lines below read: expression files, a points file."""
    (tmp_path / "claims.txt").write_text("x*sin(x) => sin(x) + x*cos(x) @ x=1.3\nlog(x)*x => log(x) @ x=2\n")
    (tmp_path / "diffs.txt").write_text("x*sin(x)\n(( bad\n")
    (tmp_path / "points.csv").write_text("x,z\n1,2\n2,3\n")
    return tmp_path


def command_lines(files):
    """Every command, on one record and (where it takes one) on an expression file; with the exit status
    each must give: 1 where the file has a failing line or a wrong claim."""
    return {
        "compare": (["compare", LECTURE, "x=2", "z=3", "--no-timing"], 0),
        "compare --file": (["compare", "--file", str(CHECKS), "x=1.5", "z=0.5", "--no-timing"], 1),
        "compare --points": (["compare", "x*sin(z)", "--points", str(files / "points.csv"), "--no-timing"],
                             0),
        "hessian": (["hessian", LECTURE, "x=2", "z=3", "--no-timing"], 0),
        "trace": (["trace", LECTURE, "x=2", "z=3"], 0),
        "graph": (["graph", LECTURE, "x=2", "z=3", "--adjoints"], 0),
        "verify": (["verify", "x*sin(x)", "--wrt", "x", "--claim", "sin(x) + x*cos(x)", "x=1.3"], 0),
        "verify --file": (["verify", "--file", str(files / "claims.txt"), "--wrt", "x"], 1),
        "diff": (["diff", "x*sin(x)", "--wrt", "x"], 0),
        "diff --file": (["diff", "--file", str(files / "diffs.txt"), "--wrt", "x"], 1),
        "eps-sweep": (["eps-sweep", "sin(x)", "x=1", "--wrt", "x", "--per-decade", "1"], 0),
        "eps-sweep --file": (["eps-sweep", "--file", str(files / "diffs.txt"), "--wrt", "x", "x=1",
                              "--per-decade", "1"], 1),
        "optimize": (["optimize", "(x-1)**2", "x=3", "--no-timing", "--max-steps", "50", "-o", "sgd,adam"],
                     0),
    }


COMMANDS = ["compare", "compare --file", "compare --points", "hessian", "trace", "graph", "verify",
            "verify --file", "diff", "diff --file", "eps-sweep", "eps-sweep --file", "optimize"]


def _shout(view: View) -> str:
    """A throwaway format: the JSON record and the headers of each table, one line each."""
    lines = ["SHOUT " + base.to_json(view.record, indent=None)]
    lines += ["SHOUT " + " | ".join(map(str, table.headers)) for table in view.tables()]
    return "\n".join(lines)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_format_registered_in_base_is_used_by_every_command(cli, files, monkeypatch, command):
    monkeypatch.setitem(FORMATS, "shout", Format(_shout))
    words, status = command_lines(files)[command]
    code, out, err = cli(*words, "--format", "shout")
    assert code == status, err
    lines = out.splitlines()
    assert lines and all(line.startswith("SHOUT ") for line in lines), out[:300]
    record = json.loads(lines[0][len("SHOUT "):])
    if "--file" in command:
        assert isinstance(record, list) and all("line" in r for r in record)
    else:
        assert "expression" in record
    # the format saw the same record the json format writes (timings apart, there are none here)
    code, out, _ = cli(*words, "--format", "json")
    if command not in ("eps-sweep --file", "compare --file", "verify --file", "diff --file"):
        assert json.loads(out) == record


@pytest.mark.parametrize("command", COMMANDS)
def test_a_streaming_format_registered_in_base_streams_every_file(cli, files, monkeypatch, command):
    """A format with a ``record`` writer streams the records of a file, one text per line, in order."""
    lines = Format(_shout, record=lambda output, record: f"LINE {record['line']}",
                   start=lambda output: "START")
    monkeypatch.setitem(FORMATS, "lines", lines)
    words, status = command_lines(files)[command]
    code, out, err = cli(*words, "--format", "lines")
    assert code == status, err
    if "--file" in command:
        _, jsonl, _ = cli(*words, "--format", "jsonl")
        numbers = [json.loads(line)["line"] for line in jsonl.splitlines()]
        assert out.splitlines() == ["START"] + [f"LINE {n}" for n in numbers] and len(numbers) > 1
    else:
        assert out.startswith("SHOUT ")


@pytest.mark.parametrize("command", ["compare", "trace", "diff", "graph"])
def test_a_wrong_format_is_exit_2_naming_the_choices(cli, monkeypatch, command):
    monkeypatch.setitem(FORMATS, "shout", Format(_shout))
    words = {"compare": ["compare", "x", "x=1"], "trace": ["trace", "x", "x=1"],
             "diff": ["diff", "x", "--wrt", "x"], "graph": ["graph", "x"]}[command]
    code, out, err = cli(*words, "-f", "xml")
    shared = "'table', 'json', 'jsonl', 'csv', 'markdown', 'latex', 'shout'"
    choices = {"diff": "'text', 'latex', 'python', 'table', 'json', 'jsonl', 'csv', 'markdown', 'shout'",
               "graph": "'dot', 'mermaid', " + shared}.get(command, shared)
    assert code == 2 and out == ""
    assert err == f"diffcli: error: Invalid value for '--format' / '-f': 'xml' is not one of {choices}.\n"


@pytest.mark.parametrize("command", ["compare", "eps-sweep", "hessian", "optimize", "trace", "verify",
                                     "graph", "diff"])
def test_help_lists_every_format_of_the_registry(cli, command):
    own = {"graph": ["dot", "mermaid"], "diff": ["text", "latex", "python"]}.get(command, [])
    code, out, _ = cli(command, "--help")
    assert code == 0
    assert "<" + "|".join(dict.fromkeys([*own, *FORMATS])) + ">" in "".join(out.split())


# ---------------------------------------------------------------- the rules of render/


def _format_names() -> set:
    return {*FORMATS, "dot", "mermaid", "text", "python", "latex_raw"}


def _compares_a_format(node: ast.Compare, names: set) -> bool:
    """Whether a comparison involves an output format's name, or a variable named like a format compared with
    anything but an image file's format (png, svg, pdf: matplotlib's business in plot.py)."""
    operands = [node.left, *node.comparators]
    constants = [c.value for operand in operands
                 for c in (operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand])
                 if isinstance(c, ast.Constant)]
    if any(value in names for value in constants):
        return True
    named = any(isinstance(o, ast.Name) and o.id in ("fmt", "format", "style") or
                isinstance(o, ast.Attribute) and o.attr in ("fmt", "format") for o in operands)
    return named and not (constants and all(value in IMAGE_FORMATS for value in constants))


@pytest.mark.parametrize("path", sorted(p.name for p in RENDER.glob("*.py") if p.name != "base.py"))
def test_no_render_module_but_base_compares_a_format_name(path):
    tree = ast.parse((RENDER / path).read_text(encoding="utf-8"))
    names = _format_names()
    found = [f"line {node.lineno}" for node in ast.walk(tree)
             if isinstance(node, ast.Compare) and _compares_a_format(node, names)]
    found += [f"line {node.lineno}" for node in ast.walk(tree) if isinstance(node, ast.Match)]
    assert not found, f"{path} tests a format name at {', '.join(found)}: give base.py a view instead"


def test_the_check_above_finds_a_format_test():
    """The AST check is not vacuous: the ladders render modules used to have are found."""
    names = _format_names()
    for source in ['if fmt == "csv": pass', 'x = 1 if fmt in ("markdown", "latex") else 2',
                   'if style != "table": pass', 'ok = "json" == kind', 'if fmt is other: pass']:
        tree = ast.parse(source)
        assert any(_compares_a_format(n, names) for n in ast.walk(tree) if isinstance(n, ast.Compare)), source


def test_render_modules_do_not_copy_the_shared_helpers():
    """The raw number, the shortened reference and the "f = … / at …" heading live in base.py alone."""
    for path in RENDER.glob("*.py"):
        if path.name == "base.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert not defined & {"_raw", "_short", "as_json", "_heading_lines"}, path.name
        assert "f\"at {point}" not in path.read_text(encoding="utf-8"), path.name


# ---------------------------------------------------------------- views


def test_a_view_builds_only_what_the_format_shows():
    def never():
        raise AssertionError("the json format built a table")

    view = View({"value": 1.5}, body=never, csv=never, latex=never)
    assert render(view, "json") == '{\n  "value": 1.5\n}'
    assert render(view, "jsonl") == '{"value": 1.5}'


def test_table_shows_text_tables_and_figures_markdown_and_latex_the_tables():
    drawn = []

    def figure():
        drawn.append(True)
        return "~plot~"

    table = Table(["a", "b|c"], [["1", "x|y"]])
    view = View({}, body=lambda: ["title", "", table, "", Figure(figure)])
    text = render(view, "table")
    assert text.startswith("title\n\na  b|c\n-  ---\n1  x|y\n\n~plot~") and drawn == [True]
    assert render(view, "markdown") == "| a   | b|c   |\n|-----|-------|\n| 1   | x\\|y  |"
    assert "x\\textbar{}y" in render(view, "latex") and "~plot~" not in render(view, "latex")
    assert render(view, "csv") == "a,b|c\n1,x|y"
    assert len(drawn) == 1   # only the table format draws figures
    assert base.draws_figures("table") and not base.draws_figures("markdown")


def test_a_view_s_own_documents_come_before_the_registry():
    view = View({"x": 1}, body=lambda: ["derivative"], documents={"python": lambda: "def f(x): ...",
                                                                    "markdown": lambda: "`x`"})
    assert render(view, "python") == "def f(x): ..." and render(view, "markdown") == "`x`"
    assert render(view, "table") == "derivative"


def test_markdown_tables_keep_their_columns_when_a_cell_holds_a_bar(cli):
    """The eps-sweep summary's model column, ``eps·|f|/h``, is escaped like every other cell."""
    code, out, _ = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x", "--per-decade", "1", "-f", "markdown")
    assert code == 0 and "eps·\\|f\\|/h" in out
    for block in out.split("\n\n"):
        counts = {line.replace("\\|", "").count("|") for line in block.splitlines()}
        assert len(counts) == 1, block


def test_a_shortened_reference_keeps_its_exponent_in_every_command(cli):
    code, out, _ = cli("hessian", "exp(-40*x)*y", "x=1", "y=2", "--no-timing")
    assert code == 0 and "1.35947336169330847850…e-14" in out
    code, out, _ = cli("verify", "exp(-40*x)", "--wrt", "x", "--claim", "-40*exp(-40*x)", "x=1")
    assert code == 0 and "-1.6993417021166355981…e-16" in out


def test_trace_shows_the_error_of_a_tape_that_failed(cli, monkeypatch):
    def broken(graph, point):
        raise RuntimeError("the tape broke")

    monkeypatch.setattr("diffcli.tasks.trace.tape", broken)
    code, out, err = cli("trace", "x*z", "x=2", "z=3")
    lines = out.splitlines()
    assert lines[:2] == ["f = x*z", "at x=2.0, z=3.0:  f = 6.0"]
    assert any(line.startswith("error: ") and "the tape broke" in line for line in lines), out
    code, out, _ = cli("trace", "x*z", "x=2", "z=3", "-f", "json")
    record = json.loads(out)
    assert record["nodes"] == [] and "the tape broke" in record["error"]


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex"])
def test_every_text_format_says_why_a_partial_failed(cli, fmt):
    # (-x)**z at x=2, z=3: f is real only at integer z, so ∂f/∂z exists for no method and not for the
    # reference; markdown and LaTeX show the tables and the notes, so the reasons must be notes.
    code, out, _ = cli("compare", "(-x)**z", "x=2", "z=3", "-m", "reverse", "-f", fmt)
    text = " ".join(out.split())
    assert code == 0
    assert "f is not real for z near 3.0" in text  # the reference's reason
    assert "no derivative: f is undefined on both sides of z = 3.0" in text  # the method's


def test_the_wide_table_keeps_the_reference_reason_for_a_partial(cli):
    code, out, _ = cli("compare", "(-x)**z", "x=2", "z=3", "-m", "reverse", "--wide")
    assert code == 0 and "reference ∂f/∂z: ∂f/∂z does not exist: f is not real for z near 3.0" in out
