"""A small mutation run over diffcli's core modules: do the tests notice when the code is wrong?

Each mutant changes one thing in one module (a comparison flipped, ``+`` for ``-``, ``*`` for ``/``, ``+=``
for ``=``, a constant ``n`` for ``n + 1``, ``abs(x)`` for ``x``, ``and`` for ``or``, a ``not`` or a unary
minus dropped, ``return x`` for ``return None``), is written into a temporary copy of the repository (the
working tree is never touched), and the tests that cover that module run against it (``pytest -x -q``, with
a time limit): the test files of :data:`TESTS`, cheapest first, then the module's doctests.  A mutant the
tests fail on is *killed*; one they pass is a *survivor*, printed with its ``file:line``, the change (with
the expression it changes) and the source line.  The score is killed / (mutants − listed equivalents).
Before the mutants, the unmutated copy runs every test file once: a test it fails is left out of every run
(and listed), since it could not tell a mutant from the original.  With ``--commit REV`` the copy is that
commit (``git archive``), so edits others are making in the working tree do not count.

The core modules (the default): ``diffcli/core/*.py`` (primitive table, parser, graph, chain rule,
evaluation, code generation, printers), ``diffcli/reference/*.py`` and ``diffcli/methods/*.py`` — the
layers every number diffcli prints comes from.  The harness, tasks, render and command line are not core.

Nearly-equivalent mutants (no test can tell, or only a timing test could) are listed in
``tools/equivalent_mutants.txt``, one ``path:line: change  | source line  # reason`` a line, as survivors
are printed; they are counted apart.  An entry matches by path, change and the source line's text, so it
holds while edits above it move the line.

Usage (by hand, not part of CI)::

    python tools/mutate.py                         # 200 mutants of the core modules, seed 0
    python tools/mutate.py diffcli/reference/*.py --max 50 --seed 3 --jobs 2
    python tools/mutate.py --list                  # only count the mutants
    python tools/mutate.py --commit HEAD           # the last commit, not a working tree others are editing

Bounds: ``--max`` 1–5000 mutants (sampled without replacement when the modules have more), ``--jobs``
1–16 workers, ``--timeout`` 5–900 seconds per mutant (a mutant that runs over it counts as killed: the tests
noticed something, a hang).
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import functools
import glob
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ["diffcli/core/*.py", "diffcli/reference/*.py", "diffcli/methods/*.py"]
EQUIVALENTS = ROOT / "tools" / "equivalent_mutants.txt"

# The tests that cover each module, cheapest first (``-x`` stops at the first failure, so a mutant is
# usually killed by the first file; a survivor costs them all).  The module's own doctests run after them.
# An entry may be a file or a pytest node id (``file::test``).  A module not listed runs DEFAULT_TESTS.
SCALE = "tests/test_scale.py"
SPEED = "tests/test_speed_paths.py"  # the shortcuts that save work without changing a number
WALKS = "tests/test_fixed_walks.py"  # the forward and backward walks written for speed, to the bit
# More fixed tests of the core modules and of the methods' helpers, run right after each one's first file.
CORE_MORE, METHODS_MORE = "tests/test_fixed_core_more.py", "tests/test_fixed_methods_more.py"
CBRT = "tests/test_fixed_cbrt.py"  # cbrt to the bit; forward's interpreted pass; fd_error's missing bounds
TESTS = {
    "diffcli/core/algebra.py": [WALKS, "tests/test_fixed_numeric.py", CORE_MORE, "tests/test_algebra.py",
                                "tests/test_rules.py", "tests/test_methods.py"],
    "diffcli/core/bounds.py": ["tests/test_fixed_core.py", CORE_MORE, "tests/test_options.py"],
    "diffcli/core/chain.py": [WALKS, "tests/test_fixed_core.py", CORE_MORE, "tests/test_algebra.py",
                              "tests/test_diff.py", "tests/test_hessian.py", "tests/test_methods.py"],
    "diffcli/core/choices.py": ["tests/test_fixed_core.py", CORE_MORE, "tests/test_hessian.py",
                                "tests/test_sweep.py", "tests/test_cli.py"],
    "diffcli/core/codegen.py": ["tests/test_fixed_core.py", CORE_MORE, "tests/test_rules.py",
                                "tests/test_methods.py", SCALE],
    "diffcli/core/derivation.py": ["tests/test_fixed_core.py", CORE_MORE, "tests/test_diff.py"],
    "diffcli/core/domains.py": ["tests/test_fixed_numeric.py", CORE_MORE, "tests/test_domains.py",
                                "tests/test_parse.py", "tests/test_hostile.py"],
    "diffcli/core/errors.py": ["tests/test_fixed_core.py", CORE_MORE, "tests/test_domains.py",
                               "tests/test_parse.py", "tests/test_hostile.py"],
    "diffcli/core/evaluate.py": [WALKS, "tests/test_fixed_core.py", CORE_MORE, "tests/test_domains.py",
                                 "tests/test_algebra.py", "tests/test_parse.py", "tests/test_methods.py"],
    "diffcli/core/fragments.py": ["tests/test_fixed_core.py", CORE_MORE, SPEED, "tests/test_rules.py",
                                  "tests/test_algebra.py", "tests/test_methods.py", SCALE],
    "diffcli/core/graph.py": [WALKS, "tests/test_fixed_core.py", CORE_MORE, "tests/test_graph.py",
                              "tests/test_algebra.py", "tests/test_rules.py", "tests/test_parse.py",
                              "tests/test_methods.py"],
    "diffcli/core/lazy.py": ["tests/test_fixed_core.py", CORE_MORE, "tests/test_registry.py",
                             "tests/test_methods.py"],
    "diffcli/core/memory.py": ["tests/test_fixed_core.py", CORE_MORE, SCALE],
    "diffcli/core/parse.py": ["tests/test_fixed_core.py", CORE_MORE, "tests/test_parse.py",
                              "tests/test_splitter.py", "tests/test_hostile.py"],
    "diffcli/core/primitives.py": ["tests/test_fixed_numeric.py", CORE_MORE, "tests/test_domains.py",
                                   "tests/test_rules.py", "tests/test_primitives.py", "tests/test_diff.py",
                                   "tests/test_methods.py"],
    "diffcli/core/numeric.py": [CBRT, "tests/test_fixed_numeric.py", CORE_MORE, "tests/test_domains.py",
                                "tests/test_rules.py", "tests/test_primitives.py", "tests/test_diff.py",
                                "tests/test_methods.py"],
    "diffcli/core/printing.py": ["tests/test_fixed_core.py", CORE_MORE, "tests/test_printing_plan.py",
                                 "tests/test_diff.py", "tests/test_graph.py", "tests/test_rules.py",
                                 "tests/test_domains.py", "tests/test_splitter.py", "tests/test_hessian.py"],
    "diffcli/core/splitter.py": ["tests/test_fixed_core.py", CORE_MORE, "tests/test_splitter.py",
                                 "tests/test_parse.py", SCALE],
    "diffcli/core/statements.py": ["tests/test_fixed_core.py", CORE_MORE, "tests/test_rules.py",
                                   "tests/test_methods.py", SCALE],
    "diffcli/core/whitelist.py": ["tests/test_fixed_core.py", CORE_MORE, "tests/test_parse.py",
                                  "tests/test_hostile.py"],
    "diffcli/methods/complex_step.py": ["tests/test_fixed_methods.py", METHODS_MORE,
                                        "tests/test_mutants_methods.py", "tests/test_sweep.py",
                                        "tests/test_finite.py", "tests/test_partials.py",
                                        "tests/test_methods.py"],
    "diffcli/methods/fd_error.py": ["tests/test_fixed_estimates.py", METHODS_MORE, CBRT,
                                    "tests/test_estimates.py", "tests/test_finite.py",
                                    "tests/test_methods.py"],
    "diffcli/methods/float_stencil.py": ["tests/test_scalar_stencils.py", "tests/test_fixed_methods.py",
                                         "tests/test_finite.py", "tests/test_methods.py"],
    "diffcli/methods/finite.py": ["tests/test_fixed_methods.py", "tests/test_scalar_stencils.py",
                                  "tests/test_mutants_methods.py", "tests/test_registry.py",
                                  "tests/test_sweep.py", "tests/test_finite.py", "tests/test_methods.py"],
    "diffcli/methods/forward.py": ["tests/test_fixed_methods.py", METHODS_MORE, CBRT, "tests/test_algebra.py",
                                   "tests/test_forward.py", "tests/test_registry.py", "tests/test_hessian.py",
                                   "tests/test_partials.py", "tests/test_rounding.py",
                                   "tests/test_methods.py"],
    "diffcli/methods/one_rounding.py": ["tests/test_fixed_estimates.py", METHODS_MORE,
                                        "tests/test_rounding.py", "tests/test_estimates.py",
                                        "tests/test_methods.py"],
    "diffcli/methods/partials.py": ["tests/test_fixed_methods.py", METHODS_MORE, "tests/test_partials.py",
                                    "tests/test_mutants_methods.py"],
    "diffcli/methods/poison.py": ["tests/test_fixed_methods.py", METHODS_MORE, "tests/test_partials.py",
                                  "tests/test_mutants_methods.py"],
    "diffcli/methods/registry.py": ["tests/test_fixed_methods.py", METHODS_MORE, "tests/test_registry.py",
                                    "tests/test_methods.py"],
    "diffcli/methods/reverse.py": ["tests/test_fixed_methods.py", METHODS_MORE,
                                   "tests/test_mutants_methods.py", "tests/test_trace.py",
                                   "tests/test_registry.py", "tests/test_partials.py",
                                   "tests/test_rounding.py", "tests/test_methods.py"],
    "diffcli/methods/richardson.py": ["tests/test_fixed_tableau.py", "tests/test_fixed_methods.py",
                                      "tests/test_mutants_methods.py",
                                      "tests/test_finite.py", "tests/test_rounding.py",
                                      "tests/test_methods.py"],
    "diffcli/methods/tableau.py": ["tests/test_fixed_tableau.py", "tests/test_richardson_scalar.py",
                                   "tests/test_fixed_methods.py",
                                   "tests/test_mutants_methods.py", "tests/test_finite.py",
                                   "tests/test_rounding.py", "tests/test_methods.py"],
    "diffcli/methods/rounding.py": ["tests/test_fixed_estimates.py", METHODS_MORE, "tests/test_rounding.py",
                                    "tests/test_mutants_methods.py", "tests/test_partials.py",
                                    "tests/test_methods.py"],
    "diffcli/methods/symbolic.py": ["tests/test_fixed_methods.py", METHODS_MORE, "tests/test_diff.py",
                                    "tests/test_registry.py", "tests/test_hessian.py",
                                    "tests/test_partials.py", "tests/test_rounding.py",
                                    "tests/test_methods.py", "tests/test_mutants_methods.py"],
    "diffcli/reference/__init__.py": ["tests/test_fixed_reference.py", "tests/test_fixed_reference_more.py",
                                      "tests/test_fixed_reference_answers.py",
                                      "tests/test_mutants_reference.py",
                                      "tests/test_reference.py", "tests/test_domains.py",
                                      "tests/test_hessian.py", "tests/test_reference_zeros.py",
                                      "tests/test_primitives.py"],
    "diffcli/reference/cancellation.py": ["tests/test_fixed_reference.py", SPEED,
                                          "tests/test_fixed_reference_more.py",
                                          "tests/test_mutants_reference.py",
                                          "tests/test_reference.py", "tests/test_reference_zeros.py"],
    "diffcli/reference/neighbourhood.py": ["tests/test_fixed_reference.py",
                                           "tests/test_fixed_reference_more.py",
                                           "tests/test_mutants_reference.py",
                                           "tests/test_reference_zeros.py", "tests/test_reference.py",
                                           "tests/test_hessian.py"],
    "diffcli/reference/partials.py": ["tests/test_fixed_reference.py", "tests/test_fixed_reference_more.py",
                                      "tests/test_mutants_reference.py",
                                      "tests/test_hessian.py", "tests/test_reference.py",
                                      "tests/test_reference_zeros.py"],
    "diffcli/reference/rules.py": ["tests/test_fixed_reference.py", "tests/test_fixed_reference_more.py",
                                   "tests/test_reference.py",
                                   "tests/test_mutants_reference.py", "tests/test_reference_zeros.py"],
    "diffcli/reference/notes.py": ["tests/test_fixed_reference.py", "tests/test_fixed_reference_more.py",
                                   "tests/test_reference.py",
                                   "tests/test_mutants_reference.py", "tests/test_reference_zeros.py",
                                   "tests/test_hessian.py"],
    "diffcli/reference/steps.py": ["tests/test_fixed_reference_answers.py", "tests/test_fixed_reference.py",
                                   "tests/test_fixed_reference_more.py", "tests/test_mutants_reference.py",
                                   "tests/test_reference.py", "tests/test_reference_zeros.py"],
    "diffcli/reference/runs.py": ["tests/test_fixed_reference.py", "tests/test_fixed_reference_more.py",
                                  "tests/test_mutants_reference.py",
                                  "tests/test_reference.py", "tests/test_hessian.py",
                                  "tests/test_reference_zeros.py", "tests/test_options.py"],
}
DEFAULT_TESTS = ["tests/test_methods.py"]
# Left out of every run: 26 s of one 100,000-node expression, whose parts the smaller tests cover.
DESELECT = ["tests/test_scale.py::test_100k_node_expression_reverse_and_symbolic_match_the_reference"]
FAILING: set = set()  # tests the unmutated copy fails (found by the baseline check): they judge nothing

COMPARISONS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
               ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
ARITHMETIC = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
              ast.Pow: ast.Mult, ast.Mod: ast.FloorDiv}
SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
           ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+", ast.Sub: "-",
           ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Pow: "**", ast.Mod: "%", ast.And: "and",
           ast.Or: "or"}


@dataclass(frozen=True)
class Mutant:
    path: str      # relative to the repository
    line: int
    index: int     # which mutation point of the module (in ast.walk order)
    change: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.change}"


def _docstrings(tree) -> set:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _points(tree):
    """Every (node, change description, apply) of a module, in a fixed order."""
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in COMPARISONS:
                    new = COMPARISONS[type(op)]
                    yield node, f"{SYMBOLS[type(op)]} -> {SYMBOLS[new]}", ("compare", k, new)
        elif isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
            new = ARITHMETIC[type(node.op)]
            yield node, f"{SYMBOLS[type(node.op)]} -> {SYMBOLS[new]}", ("binop", new)
        elif isinstance(node, ast.AugAssign):
            yield node, f"{SYMBOLS.get(type(node.op), '?')}= -> =", ("augassign",)
        elif isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield node, f"{SYMBOLS[type(node.op)]} -> {SYMBOLS[new]}", ("boolop", new)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
            yield node, f"drop unary {'not' if isinstance(node.op, ast.Not) else '-'}", ("unary",)
        elif isinstance(node, ast.Constant) and id(node) not in skip and type(node.value) in (int, float):
            yield node, f"{node.value!r} -> {node.value + 1!r}", ("constant",)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "abs" \
                and len(node.args) == 1:
            yield node, "abs(x) -> x", ("abs",)
        elif isinstance(node, ast.Return) and node.value is not None \
                and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield node, "return x -> return None", ("return",)


@functools.cache
def _source(path: str) -> str:
    """A module's text as it was when first read: mutants stay what they were listed as while others edit
    the working tree during a run."""
    return (ROOT / path).read_text()


def _where(node) -> str:
    """The mutated expression, shortened: tells apart two changes of the same kind on one line."""
    if isinstance(node, ast.Constant):
        return ""
    text = ast.unparse(node.value if isinstance(node, ast.Return) else node)
    return f" in `{text if len(text) <= 50 else text[:49] + '…'}`"


def mutants_of(path: str) -> list[Mutant]:
    tree = ast.parse(_source(path), path)
    found, seen = [], {}
    for index, (node, change, _) in enumerate(_points(tree)):
        line, change = getattr(node, "lineno", 0), change + _where(node)
        seen[line, change] = count = seen.get((line, change), 0) + 1
        found.append(Mutant(path, line, index, change + (f" (#{count})" if count > 1 else "")))
    return found


class _Replace(ast.NodeTransformer):
    def __init__(self, target, action):
        self.target, self.action = target, action

    def visit(self, node):
        if node is not self.target:
            return self.generic_visit(node)
        kind = self.action[0]
        if kind == "compare":
            node.ops[self.action[1]] = self.action[2]()
        elif kind in ("binop", "boolop"):
            node.op = self.action[1]()
        elif kind == "augassign":
            return ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node)
        elif kind == "unary":
            return node.operand
        elif kind == "constant":
            return ast.copy_location(ast.Constant(node.value + 1), node)
        elif kind == "abs":
            return node.args[0]
        elif kind == "return":
            return ast.copy_location(ast.Return(value=None), node)
        return node


def mutated_source(mutant: Mutant) -> str:
    tree = ast.parse(_source(mutant.path), mutant.path)
    node, _, action = list(_points(tree))[mutant.index]
    tree = _Replace(node, action).visit(tree)
    return ast.unparse(ast.fix_missing_locations(tree))


def _copy_repository(into: Path) -> None:
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".hypothesis", "*.egg-info",
                                    ".pytest_cache")
    for name in ("diffcli", "tests", "completions", "examples"):  # and the files tests read
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, into / name, ignore=ignore)
    for path in [ROOT / "pyproject.toml", ROOT / "conftest.py", *ROOT.glob("*.md")]:
        if path.is_file():
            shutil.copy2(path, into / path.name)


def _tests(path: str, tree: Path) -> tuple:
    """The module itself (for its doctests), then the test files that cover it, those present in ``tree``."""
    tests = tuple(t for t in TESTS.get(path, DEFAULT_TESTS) if (tree / t.split("::")[0]).exists())
    return (path, *(tests or DEFAULT_TESTS))


def _pytest(tests, tree: Path, timeout: float, failing=None) -> str:
    """'killed' (the tests failed), 'survived' (they passed) or 'timeout', in the copy at ``tree``.  With a
    set ``failing`` (the baseline check) every test runs and the ids of those that fail are added to it;
    the tests in ``FAILING`` are left out."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the copy's bytecode is kept; a mutated module's is removed
    command = [sys.executable, "-m", "pytest", *(["-x"] if failing is None else ["-rfE"]), "-q",
               "-p", "no:cacheprovider", "--no-header", "-o", "addopts=--import-mode=importlib",
               "--doctest-modules",
               *(f"--deselect={test}" for test in [*DESELECT, *sorted(FAILING)]), *tests]
    try:
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    if failing is not None and done.returncode == 1:  # some tests failed (not a collection error)
        found = [line.split(" ", 1)[1].split(" - ", 1)[0] for line in done.stdout.splitlines()
                 if line.startswith(("FAILED ", "ERROR "))]
        if found:
            failing.update(found)
            return "survived"
    # 5: nothing collected (a module without doctests run alone, in the baseline check)
    return "survived" if done.returncode in (0, 5) else "killed"


def _forget_bytecode(module: Path) -> None:
    for cached in module.parent.glob(f"__pycache__/{module.stem}.*.pyc"):
        cached.unlink()


def _run(mutant: Mutant, tree: Path, timeout: float) -> str:
    """The verdict for one mutant, written into the copy at ``tree`` (restored afterwards)."""
    target = tree / mutant.path
    original = target.read_text()
    _forget_bytecode(target)
    target.write_text(mutated_source(mutant))
    module, *tests = _tests(mutant.path, tree)
    try:
        # The test files alone first: with the module on the command line too, pytest's importlib mode
        # imports it a second time for its doctests, replacing its entry in sys.modules, and a test that
        # patches an attribute of the module would patch a copy nothing reads.  Its doctests then run
        # beside its first test file (what some need imported), only for a mutant the files let through.
        verdict = _pytest(tests, tree, timeout)
        return verdict if verdict != "survived" else _pytest((module, tests[0]), tree, timeout)
    finally:
        target.write_text(original)
        _forget_bytecode(target)


def _text(path: str, line: int) -> str:
    """The source line a mutant changes, stripped and without its comment: what the equivalents list keys on
    (line numbers move whenever the file is edited above it)."""
    lines = _source(path).splitlines()
    return lines[line - 1].split("  #", 1)[0].strip() if 0 < line <= len(lines) else ""


def _key(mutant: Mutant) -> str:
    return f"{mutant}  | {_text(mutant.path, mutant.line)}"


def _equivalents() -> list[tuple]:
    """The listed mutants: (path, line, change, source text), one a line of ``EQUIVALENTS`` written as
    ``path:line: change  | source line  # reason`` (as the survivors are printed).  A mutant matches an
    entry with its path, change and source text wherever the line has moved; an entry without ``| text``
    matches by line number."""
    if not EQUIVALENTS.exists():
        return []
    listed = []
    for line in EQUIVALENTS.read_text().splitlines():
        line = line.split("  # ", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        head, _, text = line.partition("  | ")
        path, number, change = head.split(":", 2)
        listed.append((path, int(number), change.strip(), text.strip()))
    return listed


def _is_listed(mutant: Mutant, listed: list[tuple]) -> bool:
    text = _text(mutant.path, mutant.line)
    return any(path == mutant.path and change == mutant.change
               and (text == listed_text if listed_text else number == mutant.line)
               for path, number, change, listed_text in listed)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="modules to mutate (default: the core modules)")
    parser.add_argument("--max", type=int, default=200, help="mutants to run, 1-5000 (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="which sample of mutants (default 0)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel workers, 1-16 (default 1)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per mutant, 5-900 (default 120)")
    parser.add_argument("--list", action="store_true", help="only count the mutants of each module")
    parser.add_argument("--commit", metavar="REV",
                        help="mutate a commit (e.g. HEAD) instead of the working tree, which others may be "
                             "editing")
    options = parser.parse_args(argv)
    if not 1 <= options.max <= 5000 or not 1 <= options.jobs <= 16 or not 5 <= options.timeout <= 900:
        parser.error("--max must be 1-5000, --jobs 1-16, --timeout 5-900")
    snapshot = _extract(options.commit) if options.commit else None
    try:
        return _main(options, snapshot)
    finally:
        if snapshot is not None:
            shutil.rmtree(snapshot, ignore_errors=True)


def _extract(commit: str) -> Path:
    """The commit's files in a temporary directory, which becomes ROOT for the run."""
    global ROOT
    snapshot = Path(tempfile.mkdtemp(prefix="diffcli-mutate-commit-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(snapshot)], input=archive.stdout, check=True)
    ROOT = snapshot
    return snapshot


def _main(options, snapshot) -> int:
    patterns = options.paths or CORE
    paths = sorted({str(Path(p).resolve().relative_to(ROOT)) for pattern in patterns  # relative to the root
                    for p in glob.glob(str(ROOT / pattern))})
    everything = [m for path in paths for m in mutants_of(path)]
    for path in sorted({m.path for m in everything} - set(TESTS)):  # a module with code but no entry
        print(f"warning: {path} has no entry in TESTS: its mutants run only {', '.join(DEFAULT_TESTS)}",
              file=sys.stderr)
    if options.list:
        for path in paths:
            print(f"{sum(m.path == path for m in everything):5d}  {path}")
        print(f"{len(everything):5d}  mutants in all")
        return 0
    chosen = random.Random(options.seed).sample(everything, min(options.max, len(everything)))
    chosen.sort(key=lambda m: (m.path, m.line, m.index))
    listed = _equivalents()
    print(f"{len(chosen)} of {len(everything)} mutants of {len(paths)} modules, seed {options.seed}",
          flush=True)
    trees = []
    for _ in range(options.jobs):
        tree = Path(tempfile.mkdtemp(prefix="diffcli-mutate-"))
        _copy_repository(tree)
        for path in paths:  # the modules as their mutants were listed
            (tree / path).write_text(_source(path))
        trees.append(tree)
    results: dict[Mutant, str] = {}
    started = time.monotonic()
    try:
        # The unmutated code must pass the tests a mutant is judged by, or a kill would mean nothing: each
        # test file once, and a module's doctests beside its first test file, as in a mutant's run (some
        # need what that file imports, e.g. the methods registered).  A test it fails is left out of every
        # run; a module whose test file cannot even be collected is not run.
        needed = sorted({(test,) for m in chosen for test in _tests(m.path, trees[0])[1:]}
                        | {_tests(m.path, trees[0])[:2] for m in chosen})
        failing: set = set()
        broken = {unit for unit in needed if _pytest(unit, trees[0], options.timeout, failing) != "survived"}
        for unit in sorted(broken):
            print(f"the unmutated copy fails {' '.join(unit)}: the mutants it judges are not run",
                  file=sys.stderr)
        FAILING.update(failing)
        for test in sorted(failing):
            print(f"left out, the unmutated copy fails it: {test}", file=sys.stderr)
        untested = [m for m in chosen if any(set(unit) <= set(_tests(m.path, trees[0])) for unit in broken)]
        print(f"baseline checked in {time.monotonic() - started:.0f} s", flush=True)
        started = time.monotonic()
        queue = [m for m in chosen if m not in untested]

        def worker(tree):
            while queue:
                mutant = queue.pop()
                results[mutant] = _run(mutant, tree, options.timeout)
                print(f"  {len(results):4d}/{len(chosen)}  {results[mutant]:8s} {mutant}", file=sys.stderr,
                      flush=True)
        with concurrent.futures.ThreadPoolExecutor(options.jobs) as pool:
            list(pool.map(worker, trees))
    finally:
        for tree in trees:
            shutil.rmtree(tree, ignore_errors=True)
    chosen = [m for m in chosen if m not in untested]
    if untested:
        print(f"not run ({len(untested)}): the unmutated code fails their tests")
    equivalent = [m for m in chosen if _is_listed(m, listed)]
    survivors = [m for m in chosen if results[m] == "survived" and m not in equivalent]
    killed = sum(results[m] != "survived" for m in chosen if m not in equivalent)
    scored = len(chosen) - len(equivalent)
    print(f"\nsurvivors ({len(survivors)}):")
    for m in survivors:
        print(f"  {_key(m)}")
    if equivalent:
        print(f"nearly equivalent, listed in tools/{EQUIVALENTS.name} ({len(equivalent)}):")
        for m in equivalent:
            print(f"  {_key(m)}  [{results[m]}]")
    score = killed / scored if scored else 1.0
    seconds = time.monotonic() - started
    print(f"\nscore: {killed}/{scored} killed = {score:.1%} ({len(equivalent)} nearly equivalent apart; "
          f"{seconds:.0f} s, {seconds * options.jobs / max(len(results), 1):.1f} s a mutant per worker)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
