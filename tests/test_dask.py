"""``--jobs`` in chunks and ``--scheduler`` on Dask: many lines per task, records in input order, a dead
worker costing at most the line that killed it.

The Dask tests start a ``distributed.LocalCluster`` of 2 worker processes (once for the module) and are
skipped when Dask is not installed (``pip install "diffcli[dask]"``; the test extra installs it)."""

import functools
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from diffcli.tasks.files import records

ROOT = Path(__file__).parent.parent
TIMING = ("seconds", "setup_seconds", "f_seconds")


def _fragile(expression, point, marker=None):
    """A task whose line "die" kills its worker process every time; the others give their pid."""
    if expression == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    return {"value": len(expression), "pid": os.getpid()}


def _lines(count=30, special=()):
    text = [f"line{k}" for k in range(count)]
    for number, word in special:
        text[number - 1] = word
    return io.BytesIO(("\n".join(text) + "\n").encode())


def _expressions(path: Path, count: int) -> Path:
    """``count`` small lines, with a line that does not parse and one undefined at its point among them."""
    terms = ["exp(x*z)", "x/z", "sin(x)", "log(x)", "sqrt(x*z)", "x**2", "cos(z)", "atan(x/z)"]
    lines = [f"{terms[k % 8]} + {terms[(3 * k + 1) % 8]} @ x={1 + k % 5 / 4} z={2 + k % 3 / 2}"
             for k in range(count)]
    lines[5], lines[count // 2] = "x + * z @ x=1 z=2", "log(x) + z @ x=-1 z=2"
    path.write_text("\n".join(lines) + "\n")
    return path


def _without_timing(text: str) -> list:
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in TIMING}
        return [strip(v) for v in value] if isinstance(value, list) else value
    return [strip(json.loads(line)) for line in text.splitlines()]


# ---------------------------------------------------------------- --jobs: chunks of lines


def test_local_workers_take_lines_in_chunks():
    got = list(records(_lines(), _fragile, {}, jobs=2))
    assert [r["line"] for r in got] == list(range(1, 31))
    assert len({r["pid"] for r in got[:4]}) == 1  # the first chunk: four lines in one message


def test_a_worker_dying_mid_chunk_costs_only_its_line():
    got = list(records(_lines(special=[(2, "die")]), _fragile, {}, jobs=2))
    assert [r["line"] for r in got] == list(range(1, 31))
    assert "worker killed by signal 9" in got[1]["error"] and all("value" in r for k, r in enumerate(got)
                                                                  if k != 1)


# ---------------------------------------------------------------- --scheduler: refused cleanly


def test_without_dask_the_scheduler_is_one_line_exit_2(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    path = _expressions(tmp_path / "e.txt", 10)
    code, out, err = cli("compare", "--file", str(path), "--scheduler", "tcp://127.0.0.1:1")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert 'needs Dask, which is not installed: pip install "diffcli[dask]"' in err


@pytest.mark.parametrize("words, message", [
    (["--scheduler", "tcp://a b:1"], "printable, no spaces"),
    (["--scheduler", "x" * 1001], "at most 1,000 characters"),
    (["--scheduler", "tcp://127.0.0.1:1", "--jobs", "2"], "--jobs has no effect here"),
    (["--scheduler", "tcp://127.0.0.1:1", "--max-memory", "100"], "--max-memory has no effect here"),
])
def test_a_bad_scheduler_option_is_one_line_exit_2(cli, tmp_path, words, message):
    path = _expressions(tmp_path / "e.txt", 10)
    code, out, err = cli("compare", "--file", str(path), *words)
    assert code == 2 and out == "" and message in err, err


def test_the_scheduler_needs_a_file(cli):
    code, _, err = cli("compare", "x", "x=1", "--scheduler", "tcp://127.0.0.1:1")
    assert code == 2 and "--scheduler has no effect here" in err


# ---------------------------------------------------------------- --scheduler: a local Dask cluster


def _local_cluster():
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=":0") as cluster:
        yield cluster


scheduler = pytest.fixture(scope="module")(_local_cluster)
fresh_scheduler = pytest.fixture(scope="function")(_local_cluster)
"""A cluster of its own, for a test that kills both workers: on a cluster that other tests' kills had
restarted, its nannies once closed after restarting the workers (nanny-close), leaving none for 60 s."""


def test_dask_output_is_the_local_output_apart_from_timing(cli, tmp_path, scheduler):
    path = _expressions(tmp_path / "e.txt", 40)
    local = cli("compare", "--file", str(path), "-f", "jsonl", "--jobs", "1", "--timing")
    dask = cli("compare", "--file", str(path), "-f", "jsonl", "--timing", "--scheduler",
               scheduler.scheduler_address)
    assert dask[0] == local[0] == 1 and dask[2] == local[2]  # exit 1: two lines failed, named on stderr
    assert _without_timing(dask[1]) == _without_timing(local[1])
    records_ = _without_timing(dask[1])
    assert [r["line"] for r in records_] == list(range(1, 41))
    assert "error" in records_[5] and "log(x) is undefined" in records_[20]["error"]


def test_dask_reads_the_scheduler_from_the_environment(cli, tmp_path, scheduler, monkeypatch):
    path = _expressions(tmp_path / "e.txt", 20)
    local = cli("compare", "--file", str(path), "-f", "jsonl", "-m", "reverse")
    monkeypatch.setenv("DIFFCLI_SCHEDULER", scheduler.scheduler_address)
    assert cli("compare", "--file", str(path), "-f", "jsonl", "-m", "reverse") == local
    assert cli("compare", "x*z", "x=1", "z=2", "-f", "json")[0] == 0  # one expression: runs here


def test_a_dask_worker_killed_mid_run_loses_no_line(tmp_path, scheduler):
    path = _expressions(tmp_path / "e.txt", 96)
    command = [sys.executable, "-m", "diffcli", "compare", "--file", str(path), "-f", "jsonl", "--no-timing"]
    local = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300).stdout
    process = subprocess.Popen(command + ["--scheduler", scheduler.scheduler_address], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = process.stdout.readline()
    with scheduler.get_client() if hasattr(scheduler, "get_client") else _client(scheduler) as client:
        pids = client.run(os.getpid)
        busy = [worker for worker, keys in client.processing().items() if keys]
    assert busy  # a worker is running chunks of the run when it is killed: Dask runs them again elsewhere
    os.kill(pids[busy[0]], signal.SIGKILL)
    rest = process.stdout.read()  # not communicate(): it would skip what readline() buffered
    process.stderr.read()
    assert process.wait(timeout=300) == 1  # the two failing lines, as locally
    assert first + rest == local


def _client(cluster):
    import distributed

    return distributed.Client(cluster.scheduler_address, set_as_default=False)


def test_a_line_that_kills_its_dask_worker_is_that_lines_error(scheduler):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this file
    try:
        got = list(records(_lines(40, special=[(19, "die")]), functools.partial(_fragile), {},
                           scheduler=scheduler.scheduler_address))
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert [r["line"] for r in got] == list(range(1, 41))
    assert "Dask worker died every time it ran the line" in got[18]["error"]
    assert all(r["value"] == len(f"line{k}") for k, r in enumerate(got) if k != 18)


# ---------------------------------------------------------------- --points on a local Dask cluster

POINTS_F = "exp(x*z) + log(x)/z"  # undefined where x <= 0: failed points, counted from the file itself


def _points_csv(path: Path, count: int, bad_row: int | None = None) -> Path:
    import numpy as np

    rng = np.random.default_rng(7)
    x, z = rng.uniform(-1.0, 3.0, count), rng.uniform(0.5, 2.0, count)
    rows = [f"{float(a)!r},{float(b)!r}" for a, b in zip(x, z)]
    if bad_row is not None:
        rows[bad_row] = "1,oops"
    path.write_text("x,z\n" + "\n".join(rows) + "\n")
    return path


def _small_blocks(monkeypatch):
    """Blocks of about 20 points (CSV) and 20 points (.npy), so that a few hundred points are many tasks."""
    from diffcli.tasks import points, reading

    monkeypatch.setattr(reading, "CSV_BLOCK_BYTES", 800)
    monkeypatch.setattr(points, "NPY_CHUNK_CELLS", 40)


@pytest.mark.parametrize("kind", ["csv", "npy"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json", "table"])
def test_dask_points_are_the_local_points(cli, tmp_path, scheduler, monkeypatch, kind, fmt):
    import numpy as np

    _small_blocks(monkeypatch)
    path = _points_csv(tmp_path / "p.csv", 400)
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    if kind == "npy":
        path = tmp_path / "p.npy"
        np.save(path, table)
    argv = ("compare", POINTS_F, "--points", str(path), "-f", fmt, "--no-timing", "--reference-sample", "5")
    local = cli(*argv)
    dask = cli(*argv, "--scheduler", scheduler.scheduler_address)
    assert dask == local and local[0] == 0
    undefined = int((table[:, 0] <= 0).sum())  # log(x) needs x > 0: those rows fail for every method
    assert 0 < undefined < 400 and f"{undefined} of 400 points failed for reverse" in local[2]
    if fmt == "jsonl":
        got = [json.loads(line) for line in dask[1].splitlines()]
        assert [p["index"] for p in got] == list(range(400))
        assert [p["point"]["x"] for p in got] == table[:, 0].tolist()
        assert sum(p["gradient"]["reverse"] is None for p in got) == undefined


def test_dask_points_timing_is_all_that_differs(cli, tmp_path, scheduler, monkeypatch):
    _small_blocks(monkeypatch)
    path = _points_csv(tmp_path / "p.csv", 200)
    argv = ("compare", POINTS_F, "--points", str(path), "-f", "json", "--timing")
    local, dask = cli(*argv), cli(*argv, "--scheduler", scheduler.scheduler_address)
    timing = TIMING + ("seconds_per_point",)
    def rows(text):
        return [{k: v for k, v in row.items() if k not in timing} for row in json.loads(text)["methods"]]
    assert rows(dask[1]) == rows(local[1]) and dask[0] == local[0] == 0
    assert all(row["seconds"] > 0 for row in json.loads(dask[1])["methods"])  # the workers' times, added up


def test_a_bad_row_on_dask_comes_after_the_blocks_before_it(cli, tmp_path, scheduler, monkeypatch):
    _small_blocks(monkeypatch)
    path = _points_csv(tmp_path / "p.csv", 400, bad_row=300)
    argv = ("compare", POINTS_F, "--points", str(path), "-f", "jsonl", "--no-timing")
    local = cli(*argv)
    assert cli(*argv, "--scheduler", scheduler.scheduler_address) == local
    assert local[0] == 2 and "line 302: 'oops' is not a number" in local[2]
    assert 250 < len(local[1].splitlines()) <= 300  # the blocks before the bad row's block, every point


def test_dask_holds_at_most_its_bound_of_blocks(tmp_path, scheduler, monkeypatch):
    import numpy as np

    from diffcli.core.parse import parse
    from diffcli.tasks import cluster
    from diffcli.tasks.points import PointsRun

    monkeypatch.setattr(cluster, "MAX_BLOCKS_IN_FLIGHT", 3)  # below the 2 workers × CHUNKS_PER_WORKER
    read = []

    def tables():
        for k in range(10):
            read.append(k)
            yield {"x": np.arange(10.0 * k + 1, 10.0 * k + 11)}
    run = PointsRun(parse("x**2"), ["x"], ["reverse"], reference_sample=0, timing=False)
    written = []
    for chunk in cluster.points_on_cluster(run, tables(), scheduler.scheduler_address):
        assert len(read) - len(written) <= 3
        written.append(chunk["gradients"]["reverse"][0].tolist())
    assert written == [[2.0 * x for x in range(10 * k + 1, 10 * k + 11)] for k in range(10)]  # d(x²)/dx


def test_a_dask_worker_killed_mid_points_run_loses_no_block(tmp_path, scheduler):
    import time

    import numpy as np

    rng = np.random.default_rng(5)
    path = tmp_path / "p.npy"
    np.save(path, np.column_stack([rng.uniform(0.5, 3.0, 20_000), rng.uniform(0.5, 2.0, 20_000)]))
    small = ("import sys; from diffcli.tasks import points; points.NPY_CHUNK_CELLS = 400; "
             "from diffcli.cli.program import main; sys.exit(main(sys.argv[1:]))")  # 100 blocks of 200
    f = " + ".join(f"sin(x*{k} + z)/(x + {k})" for k in range(30))
    # json: the summary only, so that the workers, not the writing of points, are what the run waits for
    command = [sys.executable, "-c", small, "compare", f, "--points", str(path), "-f", "json", "--no-timing",
               "--reference-sample", "20"]
    local = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    process = subprocess.Popen(command + ["--scheduler", scheduler.scheduler_address], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with scheduler.get_client() if hasattr(scheduler, "get_client") else _client(scheduler) as client:
        busy, waited = [], time.monotonic()
        while not busy and process.poll() is None and time.monotonic() - waited < 60:
            busy = [worker for worker, keys in client.processing().items() if keys]
        pids = client.run(os.getpid)
    assert busy  # a worker is running blocks of the run when it is killed: Dask runs them again elsewhere
    os.kill(pids[busy[0]], signal.SIGKILL)
    out, _ = process.communicate(timeout=300)
    assert process.returncode == local.returncode == 0
    assert out == local.stdout and json.loads(out)["points"] == 20_000


def _deadly_block(token, graph, timing, columns, methods):
    """run_block, except that a block holding the point x = 666 kills its worker every time."""
    from diffcli.tasks.cluster import run_block

    if any((column == 666.0).any() for column in columns):
        os.kill(os.getpid(), signal.SIGKILL)
    return run_block(token, graph, timing, columns, methods)


def test_a_block_that_kills_its_dask_workers_is_lost_alone(cli, tmp_path, fresh_scheduler, monkeypatch):
    import cloudpickle

    from diffcli.tasks import cluster

    path = tmp_path / "p.csv"
    path.write_text("x\n" + "".join(f"{666 if k == 45 else k + 1}\n" for k in range(100)))
    monkeypatch.setattr(cluster, "run_block", _deadly_block)
    monkeypatch.setattr("diffcli.tasks.reading.CSV_BLOCK_BYTES", 60)  # 20 rows of 'NN\n' and more per block
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this file
    try:
        code, out, err = cli("compare", "x**2", "--points", str(path), "-f", "jsonl", "--no-timing",
                             "-m", "reverse", "--scheduler", fresh_scheduler.scheduler_address)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    got = [json.loads(line) for line in out.splitlines()]
    lost = [p["index"] for p in got if p["gradient"]["reverse"] is None]
    assert code == 1 and [p["index"] for p in got] == list(range(100)) and 45 in lost
    assert f"lost on the cluster: points {lost[0]} to {lost[-1]}: its Dask worker died every time" in err
    assert lost == list(range(lost[0], lost[-1] + 1)) and len(lost) < 40  # one block, not the run
    assert all(p["gradient"]["reverse"]["x"] == 2 * p["point"]["x"] for p in got if p["index"] not in lost)


def test_a_cluster_without_any_worker_stops_the_run_instead_of_waiting_for_ever(monkeypatch):
    """Dask waits for a worker for ever; diffcli gives a cluster NO_WORKER_SECONDS without any (here 2 s),
    then stops with one line (exit 2), naming the cluster.  With a worker, the task's answer comes back."""
    distributed = pytest.importorskip("distributed")
    from diffcli.core.errors import UsageError
    from diffcli.tasks import cluster

    monkeypatch.setattr(cluster, "NO_WORKER_SECONDS", 2)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty, \
            distributed.Client(empty) as client:
        with pytest.raises(UsageError, match=r"the Dask cluster at \S+ has had no worker for 2 s"):
            cluster.result(client, client.submit(sum, [1, 2]), poll=0.2)
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as one, \
            distributed.Client(one) as client:
        assert cluster.result(client, client.submit(sum, [1, 2]), poll=0.2) == 3
