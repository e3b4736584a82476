"""``compare --points`` as a stream: a CSV read block by block by numpy's compiled reader, a ``.npy`` memory
mapped, each chunk evaluated and written before the next is read; the summary kept as running totals and a
bounded, evenly spread sample.  Whatever the chunking, the output is the same as reading the file whole."""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from diffcli.core.errors import DiffcliError

ROOT = Path(__file__).parent.parent
LECTURE = "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)"


def _csv(path: Path, count: int, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    x, z = rng.uniform(1.5, 3.0, count), rng.uniform(0.5, 2.0, count)
    path.write_text("x,z\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, z)))
    return path


@pytest.mark.parametrize("block", [7, 64, 1 << 21])
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json"])
def test_any_block_size_gives_the_same_output(cli, tmp_path, monkeypatch, block, fmt):
    from diffcli.tasks import reading

    path = _csv(tmp_path / "p.csv", 300)
    argv = ("compare", LECTURE, "--points", str(path), "-f", fmt, "--no-timing", "--reference-sample", "5")
    whole = cli(*argv)
    monkeypatch.setattr(reading, "CSV_BLOCK_BYTES", block)
    assert cli(*argv) == whole and whole[0] == 0
    if fmt == "csv":
        assert whole[1].count("index,x,z,value") == 1 and len(whole[1].splitlines()) == 301


def test_npy_chunks_give_the_same_output_as_csv(cli, tmp_path, monkeypatch):
    from diffcli.tasks import points

    path = _csv(tmp_path / "p.csv", 200)
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    np.save(tmp_path / "p.npy", data)
    monkeypatch.setattr(points, "NPY_CHUNK_CELLS", 14)  # 7 rows of two variables at a time
    base = ("compare", LECTURE, "-f", "jsonl", "--no-timing", "--points")
    assert cli(*base, str(tmp_path / "p.npy")) == cli(*base, str(path))


def test_jsonl_indices_run_on_across_chunks(cli, tmp_path, monkeypatch):
    from diffcli.tasks import reading

    path = _csv(tmp_path / "p.csv", 100)
    monkeypatch.setattr(reading, "CSV_BLOCK_BYTES", 100)
    code, out, _ = cli("compare", "x*z", "--points", str(path), "-f", "jsonl", "-m", "reverse", "--no-timing")
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["index"] for r in records] == list(range(100))
    assert all(r["gradient"]["reverse"] == {"x": r["point"]["z"], "z": r["point"]["x"]} for r in records)


@pytest.mark.parametrize("text, words", [
    ("x\n" + "1\n" * 500 + "1,2\n", "line 502 has 2 values for 1 columns"),
    ("x\n" + "1\n" * 500 + "\n\n" + "one\n", "line 504: 'one' is not a number"),
    ("x\n" + "1\n" * 500 + "1" * 1001 + "\n", "line 502: a field longer than 1,000 characters"),
    ("x\n" + "1\n" * 500 + '"1\x00"\n', "line 502: "),
])
def test_a_bad_row_in_a_later_block_is_named_with_its_line(tmp_path, monkeypatch, text, words):
    from diffcli.tasks import reading

    monkeypatch.setattr(reading, "CSV_BLOCK_BYTES", 64)
    blocks = reading.CsvBlocks(io.BytesIO(text.encode()), "points file", "p.csv")
    with pytest.raises(DiffcliError, match=words):
        list(blocks)


def test_cells_read_as_float_reads_them(tmp_path):
    """Blocks numpy's reader refuses are read cell by cell with float(): same numbers, same rows kept."""
    from diffcli.tasks.reading import CsvBlocks

    text = 'x,y\r\n 1 ,2\r\n , \n"3",1_000\nnan,-inf\n\u0661,5\n'
    blocks = CsvBlocks(io.BytesIO(text.encode()), "points file", "p.csv")
    rows = np.concatenate([rows for _, rows in blocks]).tolist()
    assert rows[:2] == [[1.0, 2.0], [3.0, 1000.0]] and np.isnan(rows[2][0]) and rows[2][1] == -np.inf
    assert rows[3] == [1.0, 5.0]  # float() reads an Arabic-Indic one


def test_the_header_is_checked_before_any_row(tmp_path):
    from diffcli.tasks.reading import CsvBlocks

    for text, words in (("", "is empty"), ("\n\nx,x\n1,2\n", "has the column 'x' twice"),
                        ("\xff\n", "not UTF-8 text \\(byte 1\\)")):
        content = text.encode("latin-1") if "\xff" in text else text.encode()
        with pytest.raises(DiffcliError, match=words):
            CsvBlocks(io.BytesIO(content), "points file", "p.csv")


# ---------------------------------------------------------------- the sample, kept while streaming

def test_the_sample_of_an_unknown_count_is_exact_while_every_row_is_kept():
    from diffcli.tasks.points import Spread, _evenly

    spread = Spread(4, width=3)
    for start in range(0, 500, 37):
        size = min(37, 500 - start)
        spread.offer(start, size, lambda local, start=start: np.column_stack([local + start] * 3))
    chosen = spread.chosen(500)
    assert [index for index, _ in chosen] == _evenly(4, 500) == [0, 166, 333, 499]
    assert all(row[0] == index for index, row in chosen)


def test_past_its_limit_the_sample_is_within_half_a_stride_of_its_place():
    from diffcli.tasks.points import Spread, _evenly

    spread = Spread(7, width=1)
    count = 1_000_003
    for start in range(0, count, 65_536):
        size = min(65_536, count - start)
        spread.offer(start, size, lambda local, start=start: (local + start)[:, None].astype(float))
    assert len(spread.indices) <= spread.limit
    chosen = [index for index, _ in spread.chosen(count)]
    assert chosen[0] == 0 and chosen[-1] == count - 1 and len(chosen) == 7
    assert all(abs(c - t) <= spread.stride / 2 for c, t in zip(chosen, _evenly(7, count)))


def test_stdin_streams_and_samples_the_same_points(tmp_path):
    path = _csv(tmp_path / "p.csv", 500)
    argv = [sys.executable, "-m", "diffcli", "compare", LECTURE, "-f", "json", "--no-timing",
            "--reference-sample", "4", "--points"]
    from_file = subprocess.run([*argv, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    with open(path) as stdin:
        from_stdin = subprocess.run([*argv, "-"], capture_output=True, text=True, cwd=ROOT, timeout=120,
                                    stdin=stdin)
    summary = json.loads(from_file.stdout)
    assert json.loads(from_stdin.stdout) == summary and summary["reference"]["sample"] == [0, 166, 333, 499]


# ---------------------------------------------------------------- memory bounded by the chunk

def test_a_file_larger_than_memory_allows_is_streamed(tmp_path):
    """3,000,000 rows (27 MB): read whole as Python floats they would take some 700 MB; streamed, the
    command's peak resident memory stays under 300 MB (measured from a small parent, since a child's peak
    starts from its parent's), and every point is counted."""
    path = tmp_path / "big.csv"
    path.write_bytes(b"x,z\n" + b"1.5,2.25\n" * 3_000_000)
    wrapper = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True); "
               "sys.stdout.write(r.stdout.decode()); sys.stderr.write(r.stderr.decode()); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "diffcli", "compare", "x*z",
                             "--points", str(path), "-m", "reverse", "-f", "json", "--no-timing"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    peak_megabytes = int(result.stderr.split()[-1]) / 1024
    summary = json.loads(result.stdout)
    assert summary["points"] == 3_000_000 and summary["methods"][0]["failed_points"] == 0
    assert peak_megabytes < 300, peak_megabytes


@pytest.mark.parametrize("arrow", [False, True])
def test_the_compiled_readers_read_every_number_as_float_does(monkeypatch, arrow):
    """numpy's loadtxt and (when installed) pyarrow's reader against float() cell by cell: the same doubles,
    exactly, on numbers written every way a CSV may hold them."""
    from diffcli.tasks import reading

    if arrow and reading._arrow() is None:
        pytest.skip("pyarrow is not installed")
    monkeypatch.setattr(reading, "USE_ARROW", arrow)
    monkeypatch.setattr(reading, "ARROW_MIN_BYTES", 0)
    rng = np.random.default_rng(11)
    values = rng.standard_normal((3000, 3)) * 10.0 ** rng.integers(-300, 300, (3000, 3))
    forms = [repr, lambda v: f"{v:.17g}", lambda v: f"{v:.6e}", lambda v: f" {v:.3f} ",
             lambda v: f"{v:+.20f}"]
    text = "a,b,c\n" + "".join(",".join(forms[(i + j) % 5](float(v)) for j, v in enumerate(row)) + "\r\n"
                               for i, row in enumerate(values))
    blocks = reading.CsvBlocks(io.BytesIO(text.encode()), "points file", "p.csv")
    fast = np.concatenate([rows for _, rows in blocks])
    slow = reading.CsvBlocks(io.BytesIO(text.encode()), "points file", "p.csv")._slow(
        text.split("\n", 1)[1].encode())
    assert fast.tobytes() == slow.tobytes()


@pytest.mark.parametrize("piece", [3, 1 << 16])
@pytest.mark.parametrize("extra", [0, 1])
def test_both_line_readers_refuse_a_line_one_byte_past_their_limit(monkeypatch, piece, extra):
    """An expression file's line and a points CSV's line are read by one bounded reader: 12 bytes before the
    newline pass a limit of 12, 13 do not, whatever the size of the pieces read."""
    from diffcli.core.errors import LimitError, UsageError
    from diffcli.tasks import files, reading

    monkeypatch.setattr(reading, "MAX_ROW_BYTES", 12)
    monkeypatch.setattr(files, "MAX_LINE_BYTES", 12)
    monkeypatch.setattr(files, "READ_CHUNK_BYTES", piece)
    line = b"x," + b"y" * (10 + extra) + b"\n"  # 12 or 13 bytes, then the newline
    if extra:
        with pytest.raises(UsageError, match=r"line 1 is longer than 12 bytes \(MAX_ROW_BYTES\)"):
            reading.CsvBlocks(io.BytesIO(line), "points file", "p.csv")
        with pytest.raises(LimitError, match="line 2 of the expression file is longer than 12 bytes"):
            list(files.physical_lines(io.BytesIO(b"x\n" + line)))
    else:
        assert reading.CsvBlocks(io.BytesIO(line), "points file", "p.csv").names == ["x", "y" * 10]
        assert list(files.physical_lines(io.BytesIO(b"x\n" + line))) == [(1, b"x\n"), (2, line)]
