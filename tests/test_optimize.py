"""``diffcli optimize``: the update rules against hand-computed steps, Rosenbrock, data mode, early stopping,
restarts, divergence, output formats and option errors."""

import contextlib
import csv
import inspect
import io
import json
import math
import sys

import numpy as np
import pytest

from diffcli.cli.program import main
from diffcli.core.errors import UsageError
from diffcli.render.optimize import render
from diffcli.tasks.optimize import RULES, Hyper, Stopping, optimize
from diffcli.tasks.updates import select_optimizers

ROSENBROCK = "(1-x)**2 + 100*(y-x**2)**2"


def rows_by_optimizer(record):
    return {row["optimizer"]: row for row in record["optimizers"]}


def two_steps(optimizer, hyper, steps=2):
    """Parameters after exactly ``steps`` updates on f = x**2 + 3*y from x=1, y=2 (G = (2x, 3))."""
    record = optimize("x**2 + 3*y", {"x": 1.0, "y": 2.0}, optimizers=optimizer, hyper=hyper,
                      stopping=Stopping(max_steps=steps, min_steps=0), timing=False)
    (row,) = record["optimizers"]
    assert row["steps"] == steps and row["stop"] == "max-steps"
    return row["parameters"]["x"], row["parameters"]["y"]


# ---------------------------------------------------------------- each update rule, by hand
# Every expected value below is plain float arithmetic on the rule as the lecture writes it, with the
# gradient G = (2x, 3) of x**2 + 3*y written out by hand: no numpy, no diffcli.

def test_sgd_two_steps():
    x, y = two_steps("sgd", Hyper(lr=0.1))
    # step 1: x = 1 - 0.1*2 = 0.8, y = 2 - 0.1*3 = 1.7; step 2: x = 0.8 - 0.1*1.6 = 0.64, y = 1.7 - 0.3 = 1.4
    assert x == pytest.approx(0.64, rel=1e-15, abs=0) and y == pytest.approx(1.4, rel=1e-15, abs=0)


def test_momentum_is_the_lectures_form():
    x, y = two_steps("momentum", Hyper(lr=0.1, momentum=0.9))
    # step 1 (G_0 = 0): x = 1 - 0.1*(0 + 2) = 0.8, y = 2 - 0.1*3 = 1.7
    # step 2: x = 0.8 - 0.1*(0.9*2 + 1.6) = 0.46, y = 1.7 - 0.1*(0.9*3 + 3) = 1.13
    assert x == pytest.approx(0.46, rel=1e-14, abs=0) and y == pytest.approx(1.13, rel=1e-14, abs=0)
    # step 3 tells it from the velocity form: only the previous gradient, G_2 = (0.92, 3), counts
    x, y = two_steps("momentum", Hyper(lr=0.1, momentum=0.9), steps=3)
    assert x == pytest.approx(0.46 - 0.1 * (0.9 * 1.6 + 0.92), rel=1e-14, abs=0)   # 0.224
    assert y == pytest.approx(1.13 - 0.1 * (0.9 * 3 + 3), rel=1e-14, abs=0)        # 0.56


def test_momentum_velocity_three_steps():
    # V_1 = (2, 3); V_2 = 0.9*V_1 + (1.6, 3) = (3.4, 5.7); so step 2 equals the lecture's form (0.46, 1.13)
    x, y = two_steps("momentum-velocity", Hyper(lr=0.1, momentum=0.9))
    assert x == pytest.approx(0.46, rel=1e-14, abs=0) and y == pytest.approx(1.13, rel=1e-14, abs=0)
    # V_3 = 0.9*(3.4, 5.7) + (0.92, 3) = (3.98, 8.13): the whole past decays in, unlike the lecture's form
    x, y = two_steps("momentum-velocity", Hyper(lr=0.1, momentum=0.9), steps=3)
    assert x == pytest.approx(0.46 - 0.1 * 3.98, rel=1e-13, abs=0)   # 0.062
    assert y == pytest.approx(1.13 - 0.1 * 8.13, rel=1e-13, abs=0)   # 0.317


def test_rmsprop_two_steps():
    gamma, beta, eps = 0.1, 0.9, 1e-8
    x, y = two_steps("rmsprop", Hyper(lr=gamma, decay=beta, epsilon=eps))
    s_x, s_y = (1 - beta) * 2 ** 2, (1 - beta) * 3 ** 2                 # S_1 = (0.4, 0.9)
    x1 = 1 - gamma * 2 / math.sqrt(s_x + eps)
    y1 = 2 - gamma * 3 / math.sqrt(s_y + eps)
    # 1 - 0.2/sqrt(0.4) = 0.683772234 and 2 - 0.3/sqrt(0.9) = 1.683772234; ε moves them by a few 1e-9
    assert x1 == pytest.approx(0.683772234, abs=1e-8) and y1 == pytest.approx(1.683772234, abs=1e-8)
    s_x, s_y = beta * s_x + (1 - beta) * (2 * x1) ** 2, beta * s_y + (1 - beta) * 3 ** 2  # S_2
    x2 = x1 - gamma * (2 * x1) / math.sqrt(s_x + eps)
    y2 = y1 - gamma * 3 / math.sqrt(s_y + eps)
    assert x == pytest.approx(x2, rel=1e-14, abs=0) and y == pytest.approx(y2, rel=1e-14, abs=0)


def test_adam_two_steps():
    gamma, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    x, y = two_steps("adam", Hyper(lr=gamma, beta1=b1, beta2=b2, epsilon=eps))
    m_x, m_y = (1 - b1) * 2, (1 - b1) * 3                                # M_1 = (0.2, 0.3)
    s_x, s_y = (1 - b2) * 4, (1 - b2) * 9                                # S_1 = (0.004, 0.009)
    # bias correction makes the first step ±γ per coordinate: M_1/(1-b1) = G, S_1/(1-b2) = G*G
    x1 = 1 - gamma * (m_x / (1 - b1)) / (math.sqrt(s_x / (1 - b2)) + eps)
    y1 = 2 - gamma * (m_y / (1 - b1)) / (math.sqrt(s_y / (1 - b2)) + eps)
    assert x1 == pytest.approx(0.9, abs=1e-9) and y1 == pytest.approx(1.9, abs=1e-9)
    g_x = 2 * x1
    m_x, m_y = b1 * m_x + (1 - b1) * g_x, b1 * m_y + (1 - b1) * 3
    s_x, s_y = b2 * s_x + (1 - b2) * g_x ** 2, b2 * s_y + (1 - b2) * 9
    x2 = x1 - gamma * (m_x / (1 - b1 ** 2)) / (math.sqrt(s_x / (1 - b2 ** 2)) + eps)
    y2 = y1 - gamma * (m_y / (1 - b1 ** 2)) / (math.sqrt(s_y / (1 - b2 ** 2)) + eps)
    assert x == pytest.approx(x2, rel=1e-14, abs=0) and y == pytest.approx(y2, rel=1e-14, abs=0)


def test_every_rule_is_covered_by_a_hand_computed_test(monkeypatch):
    """Run the hand-computed tests above (those that call two_steps), recording which update rules they
    ask for: together they must take every rule of RULES through hand-computed steps."""
    used = []
    original = two_steps

    def recording(optimizer, hyper, steps=2):
        used.append(optimizer)
        return original(optimizer, hyper, steps)

    hand_computed = [test for name, test in globals().items() if name.startswith("test_") and callable(test)
                     and not inspect.signature(test).parameters and "two_steps(" in inspect.getsource(test)]
    monkeypatch.setitem(globals(), "two_steps", recording)
    for test in hand_computed:
        test()
    assert set(used) == set(RULES)


# ---------------------------------------------------------------- Rosenbrock

@pytest.fixture(scope="module")
def rosenbrock():
    """The command line's JSON for Rosenbrock from (-1.2, 1) with every default (run once: ~1 s)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["optimize", ROSENBROCK, "x=-1.2", "y=1", "--format", "json", "--no-timing"]) == 0
    return json.loads(out.getvalue())


def test_rosenbrock_adam_and_momentum_reach_the_minimum(rosenbrock):
    rows = rows_by_optimizer(rosenbrock)
    assert (set(rows) == {"sgd", "momentum", "rmsprop", "adam"}
            and rosenbrock["start"] == {"x": -1.2, "y": 1.0})
    for name in ("adam", "momentum"):
        row = rows[name]
        distance = math.hypot(row["parameters"]["x"] - 1, row["parameters"]["y"] - 1)
        assert distance < 1e-3, (name, row)
        assert row["stop"] in ("tol", "max-steps") and row["steps"] <= Stopping().max_steps
        assert row["gradient_evaluations"] == row["steps"] + 1   # one reverse-mode gradient per step, + start
        # the reported loss is f at the reported parameters, recomputed here by hand
        x, y = row["parameters"]["x"], row["parameters"]["y"]
        assert row["loss"] == pytest.approx((1 - x) ** 2 + 100 * (y - x ** 2) ** 2, rel=1e-12, abs=1e-300)


def test_rosenbrock_table_ranks_the_optimizers(rosenbrock):
    rows = rosenbrock["optimizers"]
    assert [row["rank"] for row in rows] == [1, 2, 3, 4]
    losses = [row["loss"] for row in rows]
    assert losses == sorted(losses)
    table = render(rosenbrock, "table")
    ranked = [line.split()[1] for line in table.splitlines() if line[:1].isdigit()]
    assert ranked == [row["optimizer"] for row in rows]
    assert "rank" in table and "stop" in table and "grad evals" in table
    # rmsprop with ε inside the root ends in a limit cycle: it stops by tol with a large gradient, and says so
    rmsprop = rows_by_optimizer(rosenbrock)["rmsprop"]
    assert rmsprop["stop"] == "tol" and rmsprop["gradient_norm"] > 0.1 and rmsprop["rank"] == 4


def test_command_line_defaults_are_the_librarys(cli):
    import typer.main

    from diffcli.cli.program import app

    command = typer.main.get_command(app).commands["optimize"]
    defaults = {p.name: p.default for p in command.params}
    for name, value in {**vars(Hyper()), **vars(Stopping())}.items():
        assert defaults[name] == value, name
    assert defaults["methods"] is None and select_optimizers(None) == ["sgd", "momentum", "rmsprop", "adam"]
    assert "(default: sgd,momentum,rmsprop,adam)" in " ".join(cli("optimize", "--help")[1].split())


# ---------------------------------------------------------------- stopping, divergence, domain

def test_divergence_is_reported_not_crashed_on(cli):
    code, out, err = cli("optimize", ROSENBROCK, "x=-1.2", "y=1", "--lr", "0.01", "-o", "sgd,adam",
                         "--format", "json", "--no-timing")
    assert code == 0 and err == ""
    rows = rows_by_optimizer(json.loads(out))
    assert rows["sgd"]["stop"] == "diverged" and rows["sgd"]["rank"] == 2
    assert "overflows" in rows["sgd"]["message"] and rows["sgd"]["steps"] < 20
    assert rows["adam"]["stop"] == "tol"


def test_leaving_the_domain_names_the_function(cli):
    # sgd on log(x) with η = 0.5: x = 1 → 0.5 → -0.5, where log is undefined
    code, out, _ = cli("optimize", "log(x)", "x=1", "--lr", "0.5", "-o", "sgd", "--format", "json",
                       "--no-timing")
    (row,) = json.loads(out)["optimizers"]
    assert code == 0 and row["stop"] == "undefined" and row["steps"] == 2
    assert row["parameters"] == {"x": -0.5} and row["loss"] is None
    assert row["message"] == "step 2: log(x) is undefined: x = -0.5 (needs x > 0)"


def test_start_outside_the_domain_is_an_input_error(cli):
    code, out, err = cli("optimize", "log(x)", "x=-1")
    assert code == 2 and out == "" and "log(x) is undefined: x = -1.0 (needs x > 0)" in err


def test_window_criterion_and_min_steps():
    # x**2 with sgd η = 0.25 halves x every step: f drops by 4x a step and soon changes by less than tol
    record = optimize("x**2", {"x": 1.0}, optimizers="sgd", hyper=Hyper(lr=0.25),
                      stopping=Stopping(min_steps=50, window=10, tol=1e-12), timing=False, history=True)
    (row,) = record["optimizers"]
    losses = record["history"][0]["loss"]
    assert row["stop"] == "tol" and row["steps"] == 50   # f_40 - f_50 = 4**-40 < 1e-12 but min-steps holds
    assert losses[-11] - losses[-1] < 1e-12
    record = optimize("x**2", {"x": 1.0}, optimizers="sgd", hyper=Hyper(lr=0.25),
                      stopping=Stopping(min_steps=0, window=10, tol=1e-12), timing=False, history=True)
    (row,) = record["optimizers"]
    losses = record["history"][0]["loss"]
    t = row["steps"]   # the first step at which the 10-step change is below 1e-12
    assert losses[t - 10] - losses[t] < 1e-12 <= losses[t - 11] - losses[t - 1]


def test_a_rising_loss_is_not_a_plateau():
    # momentum in the lecture's form overshoots from this start: f falls to 0.6 at step 1, then climbs back
    # above it for more than 100 steps before going down the valley. That rise must not stop the run by tol.
    record = optimize(ROSENBROCK, {"x": 1.310810375281767, "y": -0.3632034545233549}, optimizers="momentum",
                      timing=False, history=True)
    (row,) = record["optimizers"]
    losses = record["history"][0]["loss"]
    assert losses[1] < losses[101]
    assert math.hypot(row["parameters"]["x"] - 1, row["parameters"]["y"] - 1) < 1e-3


def test_l2_adds_lambda_sum_of_squares():
    # (x - 3)**2 + 1*x**2 is smallest at x = 1.5, with value 4.5
    record = optimize("(x - 3)**2", {"x": 0.0}, optimizers="momentum", hyper=Hyper(lr=0.05), l2=1.0,
                      timing=False)
    (row,) = record["optimizers"]
    assert row["parameters"]["x"] == pytest.approx(1.5, abs=1e-6)
    assert row["loss"] == pytest.approx(4.5, rel=1e-10, abs=0)


def test_fixed_variables_are_not_optimized():
    record = optimize("(x - a)**2", {"x": 0.0, "a": 2.0}, params="x", optimizers="sgd", hyper=Hyper(lr=0.1),
                      timing=False)
    assert record["fixed"] == {"a": 2.0} and record["parameters"] == ["x"]
    assert record["optimizers"][0]["parameters"]["x"] == pytest.approx(2.0, abs=1e-5)


# ---------------------------------------------------------------- restarts

def test_restarts_are_reproducible(cli):
    args = ("optimize", "sin(3*x) + 0.1*x**2", "--restarts", "5", "--seed", "1", "--box", "-3:3",
            "--lr", "0.01", "--no-timing")
    first, second = cli(*args), cli(*args)
    assert first[0] == 0 and first == second
    assert "5 random starts in [-3.0, 3.0] (seed 1)" in first[1]
    one = json.loads(cli(*args, "--format", "json")[1])
    other = json.loads(cli(*args[:4], "--seed", "2", *args[6:], "--format", "json")[1])
    starts = [s["x"] for s in one["optimizers"][0]["restarts"]["starts"]]
    assert starts != [s["x"] for s in other["optimizers"][0]["restarts"]["starts"]]
    assert len(set(starts)) == 5 and all(-3 <= s <= 3 for s in starts)
    for row in one["optimizers"]:  # every optimizer starts from the same five points
        assert [s["x"] for s in row["restarts"]["starts"]] == starts


def test_restarts_report_best_and_spread():
    record = optimize("sin(3*x) + 0.1*x**2", restarts=6, box=(-3.0, 3.0), seed=4, optimizers="adam",
                      hyper=Hyper(lr=0.01), timing=False)
    (row,) = record["optimizers"]
    spread = row["restarts"]
    losses = sorted(spread["losses"])
    assert spread["best"] == losses[0] == row["loss"]
    assert spread["worst"] == losses[-1] and spread["median"] == (losses[2] + losses[3]) / 2
    assert losses[-1] - losses[0] > 0.1   # the starts fell in different basins: restarts matter here
    grid = np.linspace(-3, 3, 600_001)   # the global minimum in the box, by brute force
    assert row["parameters"]["x"] == pytest.approx(grid[np.argmin(np.sin(3 * grid) + 0.1 * grid ** 2)],
                                                   abs=1e-4)
    assert spread["failed"] == 0 and spread["runs"] == 6


def test_restarts_with_validation_rank_and_spread_by_validation_loss(line_data):
    path, *_ = line_data
    record = optimize("(w*x + b - y)**2", data=str(path), params="w,b", restarts=3, box=(-5.0, 5.0), seed=2,
                      validation=0.25, optimizers="momentum", hyper=Hyper(lr=0.01), timing=False)
    (row,) = record["optimizers"]
    spread = row["restarts"]
    assert spread["of"] == "validation_loss" and len(spread["validation_losses"]) == 3
    assert spread["best"] == min(spread["validation_losses"]) == row["validation_loss"]
    assert spread["worst"] == max(spread["validation_losses"])
    assert row["loss"] == spread["losses"][spread["best_run"]]


def test_restarts_refuse_a_start_value():
    with pytest.raises(UsageError, match="drop the start value"):
        optimize("x**2", {"x": 1.0}, restarts=3)


# ---------------------------------------------------------------- data mode

@pytest.fixture(scope="module")
def line_data(tmp_path_factory):
    """200 examples of y = 3x - 1 + N(0, 0.1²), written as CSV."""
    rng = np.random.default_rng(20240601)
    x = rng.uniform(-2, 2, 200)
    y = 3 * x - 1 + rng.normal(0, 0.1, 200)
    path = tmp_path_factory.mktemp("data") / "line.csv"
    path.write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))
    design = np.column_stack([x, np.ones_like(x)])
    fit, residual, *_ = np.linalg.lstsq(design, y, rcond=None)
    sigma = math.sqrt(residual[0] / (len(x) - 2))
    standard_error = sigma * np.sqrt(np.diag(np.linalg.inv(design.T @ design)))
    return path, x, y, fit, standard_error


def test_data_mode_recovers_a_line(cli, line_data):
    path, x, y, fit, standard_error = line_data
    code, out, err = cli("optimize", "(w*x + b - y)**2", "--data", str(path), "--params", "w,b",
                         "--lr", "0.01", "--format", "json", "--no-timing")
    assert code == 0 and err == ""
    record = json.loads(out)
    assert record["data"]["rows"] == 200 and record["data"]["columns"] == ["x", "y"]
    for row in record["optimizers"]:
        w, b = row["parameters"]["w"], row["parameters"]["b"]
        # within the noise level of the known truth (3 standard errors of least squares)...
        assert abs(w - 3) < 3 * standard_error[0] and abs(b + 1) < 3 * standard_error[1], row
        # ...and the loss is the mean squared residual there, computed here independently
        assert row["loss"] == pytest.approx(np.mean((w * x + b - y) ** 2), rel=1e-12, abs=0)
        if row["optimizer"] != "rmsprop":  # rmsprop's step γ·G/√S does not shrink with G: it hovers near
            assert (w, b) == pytest.approx(tuple(fit), abs=1e-4)  # the minimum instead of settling on it


def test_mini_batches_recover_a_line_and_are_vectorized(line_data, monkeypatch):
    from diffcli.tasks import optimize as module

    path, *_, standard_error = line_data
    shapes = []
    original = module.DataObjective.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        gradient = self._gradient

        def recorded(*values):
            shapes.append(tuple(np.shape(v) for v in values))
            return gradient(*values)
        self._gradient = recorded

    monkeypatch.setattr(module.DataObjective, "__init__", spy)
    record = optimize("(w*x + b - y)**2", data=str(path), params="w,b", batch=32, optimizers="momentum",
                      hyper=Hyper(lr=0.01), stopping=Stopping(max_steps=600), timing=False)
    (row,) = record["optimizers"]
    assert row["stop"] == "max-steps"   # mini-batch noise is far above tol
    assert abs(row["parameters"]["w"] - 3) < 3 * standard_error[0]
    assert abs(row["parameters"]["b"] + 1) < 3 * standard_error[1]
    # one call per step (601 batches) plus one full pass for the final gradient norm; each call gets whole
    # columns (x, y as arrays of 32, or 200 for the full pass; w, b scalars): no loop over examples
    assert len(shapes) == 602
    variables = ["w", "x", "b", "y"]
    batch_sizes = [dict(zip(variables, s))["x"] for s in shapes]
    assert set(batch_sizes[:-1]) == {(32,), (200 - 6 * 32,)} and batch_sizes[-1] == (200,)
    assert all(dict(zip(variables, s))["w"] == () for s in shapes)
    assert row["gradient_evaluations"] == sum(size[0] for size in batch_sizes[:-1])


def test_early_stopping_returns_the_best_validation_weights(cli, tmp_path):
    # 15 noisy points of sin(3x) and a degree-12 polynomial: 13 weights for 12 training rows
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, 15)
    y = np.sin(3 * x) + rng.normal(0, 0.3, 15)
    path = tmp_path / "poly.csv"
    path.write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))
    degree = 12
    loss = "(" + " + ".join(f"w{k}*x**{k}" for k in range(degree + 1)) + " - y)**2"
    names = [f"w{k}" for k in range(degree + 1)]
    history = tmp_path / "history.csv"
    code, out, err = cli("optimize", loss, "--data", str(path), "--params", ",".join(names), "-o", "adam",
                         "--lr", "0.01", "--validation", "0.2", "--patience", "5", "--history", str(history),
                         "--format", "json", "--no-timing")
    assert code == 0 and err == ""
    record = json.loads(out)
    (row,) = record["optimizers"]
    assert row["stop"] == "early-stopping"
    assert record["data"]["train"] == 12 and record["data"]["validation"] == 3

    held = record["data"]["validation_rows"]
    train = [r for r in range(15) if r not in held]
    weights = [row["parameters"][n] for n in names]

    def mean_loss(rows):
        return np.mean((np.polyval(weights[::-1], x[rows]) - y[rows]) ** 2)

    checks = [(int(r["step"]), float(r["validation_loss"])) for r in csv.DictReader(history.open())
              if r["validation_loss"]]
    steps, losses = zip(*checks)
    assert steps == tuple(range(0, steps[-1] + 1, 10))   # one check every 10 steps (full batch: 1 step/epoch)
    best = int(np.argmin(losses))
    assert row["best_step"] == steps[best] and row["best_step"] < row["steps"]
    assert losses[best + 1:] and len(losses) - 1 - best == 5      # stopped after 5 checks without improvement
    # the reported weights are the best ones: their validation loss, computed here, is the minimum seen
    assert row["validation_loss"] == pytest.approx(min(losses), rel=1e-12, abs=0)
    assert mean_loss(held) == pytest.approx(min(losses), rel=1e-10, abs=0)
    assert row["loss"] == pytest.approx(mean_loss(train), rel=1e-10, abs=0)
    # and it was over-fitting: the training loss kept falling while the validation loss rose
    training = {int(r["step"]): float(r["loss"]) for r in csv.DictReader(history.open())}
    assert training[row["steps"]] < training[row["best_step"]] and losses[-1] > losses[best]


def test_data_mode_l2_is_ridge_regression(line_data):
    path, x, y, *_ = line_data
    lam = 0.5
    record = optimize("(w*x + b - y)**2", data=str(path), params="w,b", optimizers="momentum", l2=lam,
                      hyper=Hyper(lr=0.01), timing=False)
    # minimize mean((w x + b - y)^2) + λ(w² + b²): (AᵀA/n + λI) θ = Aᵀy/n
    design = np.column_stack([x, np.ones_like(x)])
    theta = np.linalg.solve(design.T @ design / len(x) + lam * np.eye(2), design.T @ y / len(x))
    (row,) = record["optimizers"]
    assert (row["parameters"]["w"], row["parameters"]["b"]) == pytest.approx(tuple(theta), abs=1e-6)


def test_data_from_stdin(cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("x,y\n0,1\n1,3\n2,5\n"))
    code, out, _ = cli("optimize", "(w*x + b - y)**2", "--data", "-", "--params", "w,b", "-o", "momentum",
                       "--lr", "0.05", "--format", "json", "--no-timing")
    (row,) = json.loads(out)["optimizers"]
    assert code == 0 and row["parameters"] == pytest.approx({"w": 2.0, "b": 1.0}, abs=1e-5)


# ---------------------------------------------------------------- output

def test_formats(cli):
    args = ("optimize", "(x-1)**2 + (y+2)**2", "x=0", "y=0", "--lr", "0.1", "--no-timing")
    code, out, _ = cli(*args, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["optimizer"] for r in rows] and {r["optimizer"] for r in rows} == \
        {"sgd", "momentum", "rmsprop", "adam"}
    assert float(next(r for r in rows if r["optimizer"] == "sgd")["param_y"]) == pytest.approx(-2, abs=1e-5)
    code, out, _ = cli(*args, "--format", "jsonl")
    assert out.count("\n") == 1 and json.loads(out)["optimizers"][0]["rank"] == 1
    for fmt, marker in (("markdown", "|"), ("latex", r"\begin{tabular}")):
        code, out, _ = cli(*args, "--format", fmt)
        assert code == 0 and marker in out and "adam" in out
    lines = cli(*args, "--format", "markdown")[1].splitlines()
    assert len({line.count("|") for line in lines}) == 1 and len(lines) == 6   # no stray '|' in a cell


def test_json_is_strict_when_a_run_diverges(cli):
    code, out, _ = cli("optimize", "x**4", "--restarts", "2", "--box", "5:10", "--lr", "1", "-o", "sgd",
                       "--format", "json", "--no-timing")
    record = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    (row,) = record["optimizers"]
    assert code == 0 and row["stop"] == "diverged" and row["loss"] is None
    assert row["restarts"]["failed"] == 2 and row["restarts"]["worst"] == "Infinity"


def test_history_csv(cli, tmp_path):
    history = tmp_path / "h.csv"
    code, out, _ = cli("optimize", ROSENBROCK, "x=-1.2", "y=1", "-o", "sgd,adam", "--max-steps", "50",
                       "--history", str(history), "--format", "json", "--no-timing")
    rows = list(csv.DictReader(history.open()))
    assert code == 0 and set(rows[0]) == {"optimizer", "run", "step", "loss", "validation_loss"}
    assert len(rows) == 2 * 51   # steps 0..50 for each optimizer
    # f at the start
    assert float(rows[0]["loss"]) == pytest.approx(2.2 ** 2 + 100 * 0.44 ** 2, rel=1e-15, abs=0)
    last = [r for r in rows if r["optimizer"] == "adam"][-1]
    assert float(last["loss"]) == rows_by_optimizer(json.loads(out))["adam"]["loss"]


def test_terminal_plot(cli):
    pytest.importorskip("plotext")
    code, out, _ = cli("optimize", ROSENBROCK, "x=-1.2", "y=1", "--max-steps", "300", "--plot", "terminal",
                       "--no-timing")
    assert code == 0
    plot = out.split("convergence: ")[1]
    assert "loss (log scale)" in plot and "1e0" in plot and "step" in plot
    legend = plot.rstrip().splitlines()[-1].split()   # marker, optimizer, … in rank order
    assert legend[0::2] == ["•", "x", "+", "o"]
    assert legend[1::2] == [row["optimizer"] for row in json.loads(cli(
        "optimize", ROSENBROCK, "x=-1.2", "y=1", "--max-steps", "300", "--format", "json", "--no-timing")[1])
        ["optimizers"]]
    assert "\x1b[" not in out   # no colours when stdout is not a terminal
    code, out, err = cli("optimize", "x**2", "x=1", "--plot", "terminal", "--format", "json", "--no-timing")
    assert json.loads(out) and "convergence" in err   # machine-readable stdout stays clean


@pytest.mark.parametrize("suffix, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_plot_file(cli, tmp_path, suffix, magic):
    pytest.importorskip("matplotlib")
    target = tmp_path / f"convergence.{suffix}"
    code, _, err = cli("optimize", "x**2", "x=1", "--max-steps", "30", "--plot", str(target), "--no-timing")
    assert code == 0 and err == "" and target.read_bytes().startswith(magic)


def test_plot_needs_its_extra(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "plotext", None)   # import plotext now raises ImportError
    code, out, err = cli("optimize", "x**2", "x=1", "--plot", "terminal", "--max-steps", "5")
    assert code == 2 and out == "" and "pip install 'diffcli[plot]'" in err and err.count("\n") == 1
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, out, err = cli("optimize", "x**2", "x=1", "--plot", "out.png", "--max-steps", "5")
    assert code == 2 and out == "" and "writing a plot file needs matplotlib" in err


# ---------------------------------------------------------------- bad options

@pytest.mark.parametrize("args, message", [
    (("x**2", "x=1", "-o", "newton"), "unknown optimizer 'newton'"),
    (("x**2",), "no start value for 'x'"),
    (("x**2", "x=1", "z=2", "--strict"), "z is not used by the expression"),
    (("x**2", "x=1", "--params", "q"), "parameter 'q' is not a variable"),
    (("x**2", "x=1", "--batch", "4"), "--batch and --validation need --data"),
    (("x**2", "x=1", "--restarts", "2"), "drop the start value of 'x'"),
    (("x**2", "--restarts", "2", "--box", "3:1"), "LOW must be below HIGH"),
    (("x**2", "--restarts", "2", "--box", "3"), "--box must be LOW:HIGH"),
    (("x**2", "x=1", "--lr", "-1"), "--lr must be a number of at least 1e-300"),
    (("x**2", "x=1", "--beta2", "1"), "--beta2 must be a number of at least 0 and below 1"),
    (("x**2", "x=1", "--plot", "out.gif"), "name it .png, .svg or .pdf"),
    (("(w*x - y)**2", "--data", "/nonexistent/data.csv", "--params", "w"), "cannot read the data file"),
    (("(w*x - y)**2", "--data", "/dev/null"), "--data needs --params"),
])
def test_bad_options(cli, args, message):
    code, out, err = cli("optimize", *args)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


@pytest.mark.parametrize("content, message", [
    ("x,y\n1,2\n3,oops\n", "row 3, column 'y': 'oops' is not a finite number"),
    ("x,y\n1,2\nnan,1\n", "row 3, column 'x': 'nan' is not a finite number"),
    ("x,y\n1,2\n3\n", "row 3 has 1 values, the header has 2"),
    ("x,z\n1,2\n", "'y' is neither a parameter nor a column of the data"),
    ("x,y\n", "needs a header row of column names and at least one row"),
])
def test_bad_data_files(cli, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code, _, err = cli("optimize", "(w*x - y)**2", "--data", str(path), "--params", "w")
    assert code == 2 and message in err, err


def test_validation_needs_rows_on_both_sides():
    with pytest.raises(UsageError, match="leaves no validation"):
        optimize("(w*x - y)**2", data={"x": [1.0, 2.0], "y": [1.0, 2.0]}, params="w", validation=0.1)
