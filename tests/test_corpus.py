"""The hostile corpus (tests/data/hostile.jsonl): every entry through the real command line, in its own
process, limited to 3 s of CPU time and 256 MB of address space.  The largest entry that is answered, a
flat sum of 5,001 terms with all nine methods, their error estimates and the reference, uses 1.6–1.9 s
of CPU on an idle 2-core machine (1.2 s before every row carried an error estimate) and passed 2 s
in a CI run; 3 s still stops any runaway within a few seconds.

Expected: exit 2 with exactly one line on stderr (``diffcli: error: …`` naming the problem), nothing on
stdout, no traceback; or, where the entry says so, the documented answer (exit 0) — e.g. ``sqrt(x)`` at 0,
whose rows explain that the derivative is undefined.  A wall-clock timeout guards against a hang; it is
not a performance assertion.
"""

import json
import os
import resource
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CORPUS = [json.loads(line)
          for line in (Path(__file__).parent / "data" / "hostile.jsonl").read_text().splitlines()]
ROOT = Path(__file__).parent.parent


def _limits():
    resource.setrlimit(resource.RLIMIT_CPU, (3, 3))
    resource.setrlimit(resource.RLIMIT_AS, (256 * 2 ** 20, 256 * 2 ** 20))


def _argv(entry):
    expression = os.fsencode(entry["text"]) if "text" in entry else bytes.fromhex(entry["argv_hex"])
    return [sys.executable.encode(), b"-m", b"diffcli", b"compare", b"--no-timing", b"--",
            expression, *[p.encode() for p in entry["point"]]]


def _run(entry):
    if "\x00" in entry.get("text", ""):  # an OS argument cannot hold NUL: the Python API takes the same path
        return entry, _api(entry)
    result = subprocess.run(_argv(entry), capture_output=True, timeout=60, preexec_fn=_limits, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    return entry, result


def _api(entry):
    from diffcli.api import compare
    from diffcli.core.errors import DiffcliError
    from diffcli.core.parse import parse_point

    try:
        compare(entry["text"], parse_point(entry["point"]), timing=False)
    except DiffcliError as error:
        return subprocess.CompletedProcess([], 2, b"", f"diffcli: error: {error}\n".encode())
    return subprocess.CompletedProcess([], 0, b"(answered)", b"")


@pytest.fixture(scope="module")
def results():
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(_run, CORPUS))


def test_corpus_is_large_and_tagged():
    classes = Counter(e["class"] for e in CORPUS)
    assert len(CORPUS) >= 80
    assert set(classes) == {"code-execution", "syntax", "bomb", "nesting", "long", "unicode", "domain"}


def test_every_entry_is_refused_cleanly_or_answered_as_documented(results):
    failures = []
    for entry, result in results:
        err = result.stderr.decode("utf-8", "replace")
        out = result.stdout.decode("utf-8", "replace")
        label = entry.get("text", entry.get("argv_hex"))[:60]
        expect = entry["expect"]
        if b"Traceback" in result.stderr or result.returncode < 0:
            failures.append((label, result.returncode, err[-300:]))
        elif result.returncode == 2 and expect in (2, "2or0"):
            if err.count("\n") != 1 or not err.startswith("diffcli: error: ") or out:
                failures.append((label, "not one clean line", err[:300], out[:100]))
            elif entry.get("words") and entry["words"] not in err:
                failures.append((label, f"stderr does not name {entry['words']!r}", err[:300]))
        elif result.returncode == 0 and expect in (0, "2or0"):
            # an answer's warnings go to stderr once each (README); nothing else may
            noise = [line for line in err.splitlines() if not line.startswith("diffcli: warning: ")]
            if noise or not out:
                failures.append((label, "exit 0 but stderr/stdout unexpected", err[:200]))
        else:
            failures.append((label, f"exit {result.returncode}, expected {expect}", err[:300]))
    assert not failures, failures
    assert not Path("/tmp/diffcli-corpus-pwned").exists()
