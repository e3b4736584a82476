"""The method registry and the harness: a method is one registration away from every task, and whatever it
raises, in any task, becomes its own row's error.

A throwaway method registered here must show up in ``compare``, in ``compare --points`` (it declares
arrays) and in ``eps-sweep`` (it declares a stencil), with no other file listing method ids.
"""

import json
import math

import pytest

from diffcli.api import compare, hessian, trace, verify
from diffcli.methods import METHODS
from diffcli.methods.finite import EPS, Stencil, register_stencil
from diffcli.methods.registry import Method, default_sweep, ids, register

# f'(x) ≈ (3 f(x) − 4 f(x−h) + f(x−2h)) / 2h: the one-sided second-order difference, error O(h²).
BACKWARD2 = Stencil("fd-backward2", (-2, -1, 0), (0.5, -2.0, 1.5), 2, EPS ** (1 / 3), "cbrt(eps)",
                    "second-order backward difference (3f(x) - 4f(x-h) + f(x-2h)) / 2h", rank=45, marker="2",
                    draw_rank=5, arrays=True)


@pytest.fixture
def registered():
    """Register throwaway entries for one test, then remove them (the registry is process-wide)."""
    added = []

    def add(entry):
        if isinstance(entry, Stencil):
            register_stencil(entry)
            added.append(entry.id)
        else:
            register(entry)
            added.append(entry.id)
    yield add
    for id in added:
        del METHODS[id]


def test_a_new_stencil_is_one_registration_away_from_every_task(cli, registered, tmp_path):
    registered(BACKWARD2)
    assert ("fd-backward2" in ids("point") and "fd-backward2" in ids("arrays")
            and "fd-backward2" in ids("sweep"))
    assert "fd-backward2" not in default_sweep()  # it did not ask to be a default of eps-sweep

    code, out, _ = cli("compare", "sin(x)", "x=1", "-f", "json", "--no-timing")
    rows = {row["method"]: row for row in json.loads(out)["methods"]}
    assert code == 0 and list(rows).index("fd-backward2") == list(rows).index("fd-5point") + 1  # by rank
    assert rows["fd-backward2"]["gradient"]["x"] == pytest.approx(math.cos(1.0), rel=1e-9, abs=0)
    assert rows["fd-backward2"]["evaluations"] == 3  # f(x), f(x−h), f(x−2h)

    points = tmp_path / "points.csv"
    points.write_text("x\n0.5\n1.0\n2.0\n")
    code, out, _ = cli("compare", "sin(x)", "--points", str(points), "-m", "fd-backward2,reverse",
                       "-f", "jsonl", "--no-timing")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [line["gradient"]["fd-backward2"]["x"] for line in lines] == \
        pytest.approx([math.cos(0.5), math.cos(1.0), math.cos(2.0)], rel=1e-8, abs=0)

    code, out, _ = cli("eps-sweep", "sin(x)", "x=1", "--wrt", "x", "--schemes", "fd-backward2", "-f", "json")
    record = json.loads(out)
    assert code == 0 and record["schemes"] == ["fd-backward2"]
    best = record["optimal"]["fd-backward2"]
    assert best["rel_error"] < 1e-9  # a second-order scheme reaches ~eps^(2/3) near its best step
    assert record["model"]["fd-backward2"]["order"] == 2


def test_a_method_without_arrays_or_stencil_stays_out_of_those_tasks(cli, registered):
    registered(Method("constant-zero", "always 0 (a test's throwaway)",
                      lambda graph: lambda v: ([0.0] * len(v), 0), rank=10_000))
    record = compare("x**2", {"x": 3.0}, timing=False)
    assert (record["methods"][-1]["method"] == "constant-zero"
            and record["methods"][-1]["rel_error"] == {"x": 1.0})
    code, _, err = cli("eps-sweep", "x**2", "x=3", "--wrt", "x", "--schemes", "constant-zero")
    assert code == 2 and "cannot run 'constant-zero'" in err


def _raises(*_):
    raise RuntimeError("planted bug")


def test_a_hessian_method_that_raises_becomes_its_row_error(cli, registered):
    registered(Method("broken-hessian", "raises", rank=10_000, hessian=lambda graph: _raises))
    record = hessian("x**3 * z", {"x": 2.0, "z": 5.0}, timing=False, digits=20)
    rows = {row["method"]: row for row in record["methods"]}
    assert "internal error: RuntimeError: planted bug" in rows["broken-hessian"]["error"]
    assert rows["broken-hessian"]["hessian"] is None
    assert rows["symbolic"]["hessian"] == [[60.0, 12.0], [12.0, 0.0]]  # d²/dx² x³z = 6xz, d²/dxdz = 3x²
    code, out, _ = cli("hessian", "x**3 * z", "x=2", "z=5", "--no-timing")
    assert code == 0 and "broken-hessian" in out


def test_an_arrays_method_that_raises_becomes_its_row_error(cli, registered, tmp_path):
    registered(Method("broken-arrays", "raises", rank=10_000, arrays=lambda graph: _raises))
    points = tmp_path / "points.csv"
    points.write_text("x\n1\n2\n")
    code, out, _ = cli("compare", "x**2", "--points", str(points), "-m", "reverse,broken-arrays",
                       "-f", "json", "--no-timing")
    rows = {row["method"]: row for row in json.loads(out)["methods"]}
    assert code == 0 and "internal error: RuntimeError: planted bug" in rows["broken-arrays"]["error"]
    assert rows["reverse"]["error"] is None and rows["reverse"]["failed_points"] == 0


def test_a_sweep_form_that_raises_becomes_its_cells_error(registered):
    class Broken:
        order, rule = 1, "none"

        def rule_step(self, x):
            return 1e-8

        def runner(self, *args):
            return _raises

        def model(self, higher, value, truth):
            return 1, 1.0, 0.0, "none", 0.0

    registered(Method("broken-sweep", "raises", rank=10_000, sweep=Broken()))
    from diffcli.api import sweep

    record = sweep("sin(x)", {"x": 1.0}, "x", schemes=["fd-central", "broken-sweep"], h_from=1e-4, h_to=1e-2,
                   per_decade=1)
    cells = [row["broken-sweep"] for row in record["rows"]]
    assert all(cell["estimate"] is None and "planted bug" in cell["error"] for cell in cells)
    assert all(row["fd-central"]["error"] is None for row in record["rows"])


def test_a_trace_whose_tape_raises_becomes_the_record_error(monkeypatch):
    monkeypatch.setattr("diffcli.tasks.trace.tape", _raises)
    record = trace("sin(x)", {"x": 1.0})
    assert "internal error: RuntimeError: planted bug" in record["error"]
    assert record["nodes"] == [] and record["gradient"] is None and record["value"] == math.sin(1.0)


def test_a_verify_claim_whose_evaluation_raises_becomes_its_point_error(monkeypatch):
    monkeypatch.setattr("diffcli.tasks.verify.evaluate_mp", _raises)
    record = verify("x*sin(x)", "x", "sin(x) + x*cos(x)", {"x": 1.0})
    (point,) = record["points"]
    assert "internal error: RuntimeError: planted bug" in point["error"]
    assert record["holds"] is False and point["claim"] is None


def test_hessian_and_points_choose_only_methods_offering_their_form(cli, tmp_path):
    assert ids("hessian") == ["symbolic", "forward-over-reverse"]
    assert ids("arrays") == ["fd-central", "symbolic", "reverse", "dual"]
    code, _, err = cli("hessian", "x*x", "x=1", "-m", "reverse")
    assert code == 2 and "unknown Hessian method 'reverse'" in err


@pytest.mark.parametrize("method", ["fd-central", "symbolic", "reverse", "dual"])
def test_arrays_and_one_point_forms_agree_to_the_bit(method):
    """One method, one answer: its form for arrays of points is the same arithmetic as its one-point form.
    The expression uses only + - * / and sqrt, which numpy and Python's math round alike (correctly
    rounded by IEEE 754); sin or exp may differ in the last bit between the two libraries, and the one-point
    stencils evaluate f on floats (finite.FloatStencil says how far apart that can take them)."""
    import numpy as np

    from diffcli.core.parse import parse
    from diffcli.harness import run_method
    from diffcli.tasks.points import at_points

    graph = parse("x*y + sqrt(x*x + 1)/y")
    xs, ys = [-1.0, 0.3, 3.0, 1e3], [0.5, -2.0, 4.0, 7.0]
    record = at_points(graph, {"x": np.array(xs), "y": np.array(ys)}, [method], reference_sample=0,
                       timing=False)
    batched = record["gradients"][method]
    for k, (x, y) in enumerate(zip(xs, ys)):
        single = run_method(method, graph, {"x": x, "y": y}, timing=False).gradient
        assert [float(batched[0][k]), float(batched[1][k])] == [single["x"], single["y"]]


def test_trace_exits_1_when_its_tape_raises(cli, monkeypatch):
    monkeypatch.setattr("diffcli.tasks.trace.tape", _raises)
    code, out, _ = cli("trace", "sin(x)", "x=1")
    assert code == 1 and "planted bug" in out


def test_an_arrays_form_counts_its_evaluations_of_f(registered):
    """fd-backward2 on x*z at two points: f(x − 2h) and f(x − h) for each of the two variables, and f(x)
    once: 2·2 + 1 = 5 evaluations (of every point at once)."""
    import numpy as np

    from diffcli.core.parse import parse

    registered(BACKWARD2)
    gradient, evaluations = METHODS["fd-backward2"].arrays(parse("x*z"))([np.array([1.0, 2.0]),
                                                                          np.array([3.0, 4.0])])
    assert evaluations == 5
    assert gradient[0] == pytest.approx([3.0, 4.0], rel=1e-9, abs=0)
    assert gradient[1] == pytest.approx([1.0, 2.0], rel=1e-9, abs=0)


def test_eps_sweep_draw_order_is_total():
    """eps-sweep draws its schemes' curves in increasing draw_rank, the last on top where they overlap: two
    schemes with one rank would leave the order to whichever the record lists first."""
    ranks = [METHODS[scheme].draw_rank for scheme in ids("sweep")]
    assert len(set(ranks)) == len(ranks)


def test_the_reference_time_limit_ends_a_slow_reference_in_every_task(monkeypatch):
    """A reference past REFERENCE_TIME_LIMIT becomes the record's reference error (trace and hessian) or a
    refusal (eps-sweep), never a wait without end."""
    import time as clock

    from diffcli.api import sweep
    from diffcli.core.errors import PrecisionError

    def slow(*args, **kwargs):
        clock.sleep(5)

    monkeypatch.setattr("diffcli.harness.point.REFERENCE_TIME_LIMIT", 0.2)
    monkeypatch.setattr("diffcli.tasks.trace.reference", slow)
    monkeypatch.setattr("diffcli.tasks.hessian.reference_partials", slow)
    monkeypatch.setattr("diffcli.tasks.sweep.reference", slow)
    assert "time limit" in trace("sin(x)", {"x": 1.0})["reference"]["error"]
    assert "time limit" in hessian("sin(x)", {"x": 1.0}, timing=False)["reference"]["error"]
    with pytest.raises(PrecisionError, match="time limit"):
        sweep("sin(x)", {"x": 1.0}, "x", h_from=1e-4, h_to=1e-2, per_decade=1)


def test_importing_the_package_imports_every_method_module():
    """Adding a method is one new module: the package imports every module in its folder, no list to edit."""
    import pathlib
    import sys

    import diffcli.methods

    folder = pathlib.Path(diffcli.methods.__file__).parent
    for path in folder.glob("*.py"):
        if path.stem != "__init__":
            assert f"diffcli.methods.{path.stem}" in sys.modules, path.name
