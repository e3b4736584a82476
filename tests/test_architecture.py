"""The structure of ARCHITECTURE.md, checked: layers only import downward (import-linter's contracts in
pyproject.toml), no module reaches into another's private names, files and functions stay small enough to
read, and ruff's rules hold."""

import ast
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "diffcli"
MODULES = sorted(PACKAGE.rglob("*.py"))

MAX_FILE_LINES = 400
"""A longer module must say why in its docstring, in a sentence starting with "Long by design:"."""

MAX_FUNCTION_LINES = 60
"""Statements of one function body (docstring excluded); a command's option declarations are its signature,
so they do not count."""


def _tool(name: str) -> str:
    """The console script installed beside this Python (the test extra installs import-linter and ruff)."""
    script = pathlib.Path(sys.executable).parent / name
    assert script.exists(), f"{name} is not installed beside {sys.executable}: pip install '.[test]'"
    return str(script)


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_layers_only_import_downward():
    result = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout


def _cycles(imports: dict) -> list[list[str]]:
    """Every import cycle among modules, as found by a depth-first walk (each cycle once, from its first
    module in sorted order)."""
    found, state = [], {}

    def walk(start):
        stack = [(start, iter(sorted(imports.get(start, ()))))]
        path, state[start] = [start], "open"
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = "done"
            elif state.get(child) == "open":
                found.append(path[path.index(child):] + [child])
            elif child not in state:
                state[child] = "open"
                path.append(child)
                stack.append((child, iter(sorted(imports.get(child, ())))))
    for module in sorted(imports):
        if module not in state:
            walk(module)
    return found


def test_no_import_cycle_between_modules():
    """import-linter's layers forbid cycles across layers; this finds one inside a layer too.  A package's
    ``__init__`` importing its own children is not a cycle unless a child imports the package back."""
    import grimp

    graph = grimp.build_graph("diffcli", cache_dir=None)
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    assert _cycles(imports) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_layers_contract_names_every_subpackage():
    """A new subpackage must take its place in the layers (else import-linter would not check it)."""
    contract = (ROOT / "pyproject.toml").read_text()
    for package in sorted(p.parent for p in PACKAGE.glob("*/__init__.py")):
        assert f"diffcli.{package.name}" in contract, (
            f"diffcli.{package.name} is in no layer of pyproject.toml"
        )


def _private_uses(path: pathlib.Path):
    """``from diffcli.x import _name`` and ``module._name`` where ``module`` is an imported diffcli module."""
    tree = ast.parse(path.read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("diffcli"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    yield node.lineno, f"from {node.module} import {alias.name}"
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name for alias in node.names
                        if alias.name.startswith("diffcli")}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules \
                and node.attr.startswith("_") and not node.attr.startswith("__"):
            yield node.lineno, f"{node.value.id}.{node.attr}"


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_no_module_imports_a_private_name_of_another(path):
    assert list(_private_uses(path)) == []


def test_the_private_name_check_can_fail(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from diffcli.core import chain\nfrom diffcli.core.graph import _hidden\n"
                       "chain._inner()\n")
    assert [line for line, _ in _private_uses(planted)] == [2, 3]


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_files_are_short_or_say_why(path):
    lines = len(path.read_text().splitlines())
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert lines <= MAX_FILE_LINES or "Long by design:" in docstring, f"{lines} lines and no reason given"


def _long_functions(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and len(body) > 1:
                body = body[1:]  # the docstring
            length = body[-1].end_lineno - body[0].lineno + 1
            if length > MAX_FUNCTION_LINES:
                yield f"{node.name} ({length} lines)"


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_functions_are_short(path):
    assert list(_long_functions(path)) == []


def test_ruff_passes():
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", "diffcli", "tests", "benchmarks",
                             "completions", "tools"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]


_OUTSIDE = re.compile(r"(?-i:DESIGN\b|STYLE\.md)|\bissues? #?\d+|#\d+ \(", re.IGNORECASE)
"""A design document or an issue tracker entry: what a reader of the repository cannot open."""


def test_no_code_cites_a_document_outside_the_repository():
    """Comments and docstrings, tests, benchmarks and the two guides may point to ARCHITECTURE.md and
    README.md, never to a design document or an issue that a reader of the repository cannot open."""
    paths = [*MODULES, *ROOT.glob("tests/*.py"), *ROOT.glob("benchmarks/*.py"), *ROOT.glob("tools/*.py"),
             ROOT / "README.md", ROOT / "ARCHITECTURE.md"]
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()[:80]}" for path in paths
             if path.name != "test_architecture.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if _OUTSIDE.search(line)]
    assert found == []


def test_the_citation_check_can_fail():
    assert _OUTSIDE.search("see DESIGN §4") and _OUTSIDE.search("(issue 14, item 5)")
    assert _OUTSIDE.search("Issue 15, item 10:") and not _OUTSIDE.search("by design: one table")


def _approx_without_abs(source: str) -> list[int]:
    """Lines of ``approx(…, rel=…)`` calls that leave out ``abs``: pytest keeps its default absolute
    tolerance of 1e-12 beside ``rel``, so such a test passes any value within 1e-12, whatever ``rel`` says."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            keywords = {k.arg for k in node.keywords}
            if name == "approx" and "rel" in keywords and "abs" not in keywords:
                found.append(node.lineno)
    return found


def test_relative_tolerances_in_tests_are_not_widened_by_an_absolute_one():
    widened = {path.name: lines for path in sorted((ROOT / "tests").glob("*.py"))
               if (lines := _approx_without_abs(path.read_text()))}
    assert widened == {}


def test_the_tolerance_check_can_fail():
    assert _approx_without_abs("assert x == pytest.approx(1e-100, rel=1e-15)") == [1]
    assert _approx_without_abs("assert x == pytest.approx(1e-100, rel=1e-15, abs=0)") == []
