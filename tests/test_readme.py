"""The README stays true: every ``$ diffcli …`` example in it is run from the repository's root and its
output compared with the text under it, timing figures masked (they change from run to run).

An example is a line starting with ``$ `` inside a fenced block; its output is every following line up to
the next ``$ `` line or the end of the block.  Examples that pipe into ``jq`` are skipped where jq is not
installed.  Files the examples read are committed under ``examples/``.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

NUMBER = r"\d+(?:\.\d+)?(?:e[+-]?\d+)?"
UNIT = r" ?(?:ns|µs|ms|s)\b"
DURATION = re.compile(rf"{NUMBER}{UNIT}(?: +{NUMBER}(?= |$)(?!{UNIT}))?")
"""A duration (``4.1 µs``), with the ``× f`` ratio that follows the time column when there is one."""


def examples(text: str) -> list[tuple[int, str, str]]:
    """``(line number, command, expected output)`` for every ``$ `` line of the README's fenced blocks."""
    found, inside, current = [], False, None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            if inside and current:
                found.append(current)
            inside, current = not inside, None
            continue
        if not inside:
            continue
        if line.startswith("$ "):
            if current:
                found.append(current)
            current = (number, line[2:], [])
        elif current:
            current[2].append(line)
    return [(number, command, "\n".join(output)) for number, command, output in found]


def normalized(text: str) -> str:
    """Timing masked, runs of spaces folded and a table's rule of dashes reduced to its column count (a
    masked column's width changes the table's alignment), ends trimmed."""
    lines = text.strip("\n").splitlines()
    lines = [re.sub(r" +", " ", DURATION.sub("<time>", line)).rstrip() for line in lines]
    return "\n".join(re.sub(r"-+", "-", line) if re.fullmatch(r"[- ]+", line) else line for line in lines)


EXAMPLES = examples(README.read_text())


def test_the_readme_has_examples_and_the_parser_finds_them():
    assert len(EXAMPLES) >= 20
    block = "text\n```\n$ diffcli a\nout 1\nout 2\n$ diffcli b\n```\n$ not in a block\n"
    assert examples(block) == [(3, "diffcli a", "out 1\nout 2"), (6, "diffcli b", "")]


def test_timing_is_masked_but_numbers_are_not():
    assert normalized("reverse  4.1 µs   0.29 µs   1.3\n") == "reverse <time> <time>"
    assert normalized("fd-central  1.2e-10  6") == "fd-central 1.2e-10 6"
    assert normalized("------  ---\n-1.5  -2") == "- -\n-1.5 -2"  # a rule, then numbers left alone


def run_example(command: str) -> str:
    """What a terminal shows for ``command`` run by bash in the repository (100 columns, no colour)."""
    environment = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1",
                   "PATH": f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    environment.pop("FORCE_COLOR", None)
    # stdout and stderr together, as a terminal shows them
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=environment, timeout=120)
    return result.stdout


@pytest.mark.parametrize("line, command, expected", EXAMPLES, ids=[f"line {e[0]}" for e in EXAMPLES])
def test_readme_example(line, command, expected):
    if "| jq" in command and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    assert normalized(run_example(command)) == normalized(expected), f"README line {line}: {command}"


def test_a_changed_example_fails():
    """The comparison bites: one changed character of an example's output is a difference."""
    line, command, expected = next(e for e in EXAMPLES if e[1].startswith("diffcli diff") and e[2])
    changed = expected.replace("x", "y", 1)
    assert changed != expected and normalized(run_example(command)) != normalized(changed)


def test_the_json_snippet_shows_what_compare_computes():
    """The README's ``compare`` record snippet quotes fd-central's gradient on the lecture example."""
    import json

    text = README.read_text()
    snippet = text[text.index('"methods": [{"method": "fd-central"'):]
    shown = json.loads(snippet[snippet.index('"gradient": ') + 12:snippet.index("}") + 1])
    command = ('diffcli compare "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)" x=2 z=3 -m fd-central '
               "--no-timing -f json")
    assert json.loads(run_example(command))["methods"][0]["gradient"] == shown
