"""Input files and output streams: bounded reads, one clear line for every bad file, no silent misreads, and
no control character from the input on a terminal.

``tests/data/hostile_files.jsonl`` is the corpus of hostile files (expression files, points and data files,
``.npy`` headers, closed or full output): each entry runs through the real command line in its own process,
limited to 2 s of CPU time and 256 MB of address space, with the files it names written first (``{F}`` in
``argv`` is the path of file ``F``; ``repeat`` writes the text that many times).  Expected: its exit status;
for exit 2 exactly one line on stderr (``diffcli: error: …`` with the entry's ``words``) and nothing on
stdout; never a traceback, never a raw control character in the output.
"""

import io
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from diffcli.core.errors import DiffcliError, LimitError
from diffcli.render.base import Table, View, printable, render, to_json

ROOT = Path(__file__).parent.parent
CORPUS = [json.loads(line)
          for line in (ROOT / "tests" / "data" / "hostile_files.jsonl").read_text().splitlines()]
RAW = ("\x1b", "\x07", "\x9b", "\u202e")  # what must never reach a terminal from the input


def _limits():
    resource.setrlimit(resource.RLIMIT_CPU, (2, 2))
    resource.setrlimit(resource.RLIMIT_AS, (256 * 2 ** 20, 256 * 2 ** 20))


def _write_files(entry, folder: Path) -> dict:
    paths = {}
    for name, spec in entry.get("files", {}).items():
        path = folder / name
        text = spec.get("text", "") * spec.get("repeat", 1)
        content = bytes.fromhex(spec["hex"]) if "hex" in spec else text.encode()
        path.write_bytes(content)
        paths["{" + name + "}"] = str(path)
    return paths


def _run(entry, folder: Path) -> subprocess.CompletedProcess:
    paths = _write_files(entry, folder)
    argv = [paths.get(word, word) for word in entry["argv"]]
    stdin = open(entry["stdin"], "rb") if "stdin" in entry else subprocess.DEVNULL
    stdout = {"closed": None, "/dev/full": "/dev/full"}.get(entry.get("stdout"), subprocess.PIPE)
    if stdout == "/dev/full":
        stdout = open("/dev/full", "wb")
    shell_close = entry.get("stdout") == "closed"
    command = [sys.executable, "-m", "diffcli", *argv]
    if shell_close:  # exec with fd 1 closed, as `diffcli … >&-` does
        command = ["bash", "-c", 'exec "$@" >&-', "bash", *command]
    try:
        return subprocess.run(command, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, timeout=60,
                              preexec_fn=_limits, cwd=ROOT)
    finally:
        for handle in (stdin, stdout):
            if hasattr(handle, "close"):
                handle.close()


@pytest.mark.parametrize("entry", CORPUS, ids=[f"{k}-{e['class']}" for k, e in enumerate(CORPUS)])
def test_hostile_file_is_refused_in_one_line_or_read_right(entry, tmp_path):
    result = _run(entry, tmp_path)
    out = (result.stdout or b"").decode("utf-8", "replace")
    err = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and result.returncode == entry["expect"], (result.returncode, err[-500:])
    if entry["expect"] == 2:
        assert err.count("\n") == 1 and err.startswith("diffcli: error: "), err
        assert entry["words"] in err, err
        assert out == ""
    if "shown" in entry:
        assert entry["shown"] in out, out[:2000]
    assert not any(char in out or char in err for char in RAW), (out[:2000], err)


def test_corpus_covers_every_kind_of_case():
    assert {e["class"] for e in CORPUS} == {"unbounded", "internal", "npy", "output", "misread", "bom",
                                            "escape"}


# ---------------------------------------------------------------- bounded reads


class _Counting(io.BytesIO):
    """A binary file that counts the bytes read from it."""

    def __init__(self, content: bytes):
        super().__init__(content)
        self.taken = 0

    def read(self, size=-1):
        assert size is not None and size >= 0, "a read without a size"
        data = super().read(size)
        self.taken += len(data)
        return data

    def readline(self, size=-1):
        assert size is not None and size >= 0, "a readline without a size"
        data = super().readline(size)
        self.taken += len(data)
        return data


def test_a_long_line_is_refused_after_reading_at_most_the_limit_and_one(monkeypatch):
    from diffcli.tasks import files

    monkeypatch.setattr(files, "MAX_LINE_BYTES", 1000)
    source = _Counting(b"x\n" + b"x+" * 100_000 + b"x\nx\n")
    lines = files.read_lines(source)
    assert next(lines).expression == "x"
    with pytest.raises(LimitError, match="line 2 of the expression file is longer than 1,000 bytes"):
        next(lines)
    assert source.taken <= 2 + 1001


def test_a_line_of_exactly_the_limit_is_read(monkeypatch):
    from diffcli.tasks import files

    monkeypatch.setattr(files, "MAX_LINE_BYTES", 1000)
    monkeypatch.setattr(files, "READ_CHUNK_BYTES", 7)
    text = "+".join(["x"] * 499) + " \n"  # 999 characters and the newline
    assert [line.expression for line in files.read_lines(io.BytesIO(text.encode() * 2))] == [text.strip()] * 2


def test_count_lines_is_bounded_too(monkeypatch, tmp_path):
    from diffcli.tasks import files

    monkeypatch.setattr(files, "MAX_LINE_BYTES", 100)
    path = tmp_path / "long.txt"
    path.write_text("x\n" + "x" * 1000)
    with pytest.raises(LimitError):
        files.count_lines(str(path))


@pytest.mark.parametrize("reader", ["points", "data"])
def test_a_table_file_is_refused_while_reading(monkeypatch, reader):
    from diffcli.tasks import reading
    from diffcli.tasks.objectives import read_data
    from diffcli.tasks.points import read_points

    monkeypatch.setattr(reading, "MAX_TABLE_BYTES", 1000)
    source = _Counting(b"x,y\n" + b"1,2\n" * 100_000)
    with pytest.raises(DiffcliError, match="larger than 1,000 bytes"):
        if reader == "points":
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(source))
            read_points("-")
        else:
            read_data(source)
    assert source.taken <= 1001 + 8192  # the text wrapper of stdin reads ahead one buffer


def test_dev_zero_is_refused_quickly():
    """/dev/zero given to each reader: one line, exit 2, well inside a short time-out (a hang guard)."""
    for argv in (["compare", "--file", "/dev/zero", "x=1"], ["compare", "x", "--points", "/dev/zero"],
                 ["optimize", "(w*x-y)**2", "--params", "w", "--data", "/dev/zero"]):
        result = subprocess.run([sys.executable, "-m", "diffcli", *argv], capture_output=True, text=True,
                                timeout=15, preexec_fn=_limits, cwd=ROOT)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr


# ---------------------------------------------------------------- reading right


def test_a_duplicate_points_header_is_refused_not_merged(tmp_path):
    from diffcli.tasks.points import read_points

    path = tmp_path / "p.csv"
    path.write_text("x,x\n1,2\n3,4\n")
    with pytest.raises(DiffcliError, match="has the column 'x' twice"):
        read_points(str(path))


@pytest.mark.parametrize("dtype", [complex, "datetime64[D]", "U3", [("x", float, (2,))],
                                   [("x", [("a", float)])]], ids=str)
def test_an_npy_that_is_not_real_numbers_is_refused(tmp_path, dtype):
    import numpy as np

    from diffcli.tasks.points import read_points

    path = tmp_path / "p.npy"
    np.save(path, np.zeros((2, 2) if not isinstance(dtype, list) else 2, dtype=dtype))
    with pytest.raises(DiffcliError, match="points must be real numbers"):
        read_points(str(path))


def test_a_good_npy_is_read(tmp_path):
    import numpy as np

    from diffcli.tasks.points import read_points

    np.save(tmp_path / "s.npy", np.array([(1.0, 2), (3.0, 4)], dtype=[("x", float), ("y", "i4")]))
    np.save(tmp_path / "p.npy", np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert {k: v.tolist() for k, v in read_points(str(tmp_path / "s.npy")).items()} == \
        {"x": [1.0, 3.0], "y": [2.0, 4.0]}
    assert {k: v.tolist() for k, v in read_points(str(tmp_path / "p.npy")).items()} == \
        {"0": [1.0, 3.0], "1": [2.0, 4.0]}


def test_a_bom_is_skipped_everywhere(tmp_path):
    from diffcli.tasks.files import read_lines
    from diffcli.tasks.objectives import read_data
    from diffcli.tasks.points import read_points

    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffx,y\n1,2\n".encode())
    assert list(read_points(str(path))) == ["x", "y"]
    assert list(read_data(str(path))) == ["x", "y"]
    assert [line.expression for line in read_lines(io.BytesIO("\ufeffx**2\n".encode()))] == ["x**2"]


def test_history_is_refused_when_empty_or_the_data_file(cli, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,y\n1,2\n2,4\n")
    base = ("optimize", "(w*x - y)**2", "--params", "w", "--max-steps", "5", "--min-steps", "1",
            "--data", str(data), "--no-timing")
    code, out, err = cli(*base, "--history", "")
    assert code == 2 and "--history needs a file name" in err
    code, out, err = cli(*base, "--history", str(tmp_path / "." / "d.csv"))
    assert code == 2 and "is the --data file" in err
    assert data.read_text() == "x,y\n1,2\n2,4\n"
    code, out, err = cli(*base, "--history", str(tmp_path / "h.csv"))
    assert code == 0 and (tmp_path / "h.csv").read_text().startswith("optimizer,run,step,loss")


# ---------------------------------------------------------------- control characters


@pytest.mark.parametrize("char, shown", [("\x1b", "\\x1b"), ("\x07", "\\x07"), ("\r", "\\x0d"),
                                         ("\x7f", "\\x7f"), ("\x9b", "\\x9b"), ("\u202e", "\\u202e"),
                                         ("\u2066", "\\u2066"), ("\u2028", "\\u2028"), ("\t", "\t"),
                                         ("\n", "\n"), ("é", "é"), ("∂", "∂")])
def test_printable_shows_control_characters_as_escapes(char, shown):
    assert printable(f"a{char}b") == f"a{shown}b"


def test_json_escapes_what_a_terminal_would_act_on_and_reads_back_the_same():
    record = {"expression": "x\x1b]0;PWNED\x07+1 \x9b \u202e ∂"}
    text = to_json(record)
    assert not any(char in text for char in RAW) and "∂" in text
    assert json.loads(text) == record


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex", "csv"])
def test_every_text_format_escapes_cells_headers_and_notes(fmt):
    view = View({}, body=lambda: ["f = x\x1b[31m", Table(["e\u202e"], [["x\x1b]0;PWNED\x07+1"]])],
                notes=lambda: ["warning: \x9b"])
    text = render(view, fmt)
    assert not any(char in text for char in RAW), text
    assert "x\\x1b]0;PWNED\\x07+1" in text or fmt == "latex"


def test_the_caret_line_shows_escapes_under_the_right_column(cli, monkeypatch):
    monkeypatch.setattr("diffcli.cli.program._stderr_is_terminal", lambda: True)
    code, out, err = cli("compare", "x\x1b]0;PWNED\x07+1 + foo(x)", "x=1")
    assert code == 2 and not any(char in err for char in RAW)
    first, source, caret = err.splitlines()
    assert source == "  x\\x1b]0;PWNED\\x07+1 + foo(x)"
    assert caret.index("^") == source.index("\\x1b")


# ---------------------------------------------------------------- work bounds of optimize (item 10)


def test_optimize_refuses_restarts_times_steps_past_the_update_bound():
    from diffcli.api import optimize
    from diffcli.core.errors import UsageError

    with pytest.raises(UsageError, match=r"1,000 runs \(--restarts\) × 20,000 steps .* at most 1,000,000"):
        optimize("sin(3*x) + 0.1*x**2", restarts=1000, timing=False)


def test_optimize_refuses_data_runs_past_the_row_bound(monkeypatch):
    from diffcli.api import optimize
    from diffcli.core.errors import UsageError
    from diffcli.tasks.runs import Stopping

    monkeypatch.setattr("diffcli.tasks.optimize.MAX_ROW_UPDATES", 10_000)
    data = {"x": [k / 100 for k in range(100)], "y": [2 * k / 100 for k in range(100)]}
    with pytest.raises(UsageError, match="20,000 row evaluations .* at most 10,000"):
        optimize("(w*x - y)**2", data=data, params="w", stopping=Stopping(max_steps=200), timing=False)
    record = optimize("(w*x - y)**2", data=data, params="w", stopping=Stopping(max_steps=100), timing=False)
    assert record["data"]["rows"] == 100  # 100 steps of 100 rows: at the bound, accepted
