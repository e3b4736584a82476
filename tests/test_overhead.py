"""What the harness adds around the work it times: f and every method are timed the same way, once warm
(``warm_median_seconds``): code made for the point runs slower in its first calls, and a median over those
would compare a cold method with a warm f."""

from functools import partial

import pytest

from diffcli.harness import running


def test_a_fast_call_is_warmed_up_sixteen_times_before_any_sample(clock):
    """Calls of 1 µs after a cold answer of 10 µs: batches of 1, 2, 4 and 8 calls warm it up (16 calls
    with the answer), then median_seconds sizes its batches on the warm 1 µs: 5 µs fit, a batch of 4 is
    too short, 8 calls make one, and 5 agreeing samples of 8 calls end the timing."""
    steady = clock(lambda k: 1e-6)
    assert running.warm_median_seconds(steady.call, first=1e-5) == pytest.approx(1e-6, rel=1e-9, abs=0)
    assert running.WARMUP_CALLS == 16
    assert steady.calls == (1 + 2 + 4 + 8) + 4 + 5 * 8


def test_the_samples_are_those_of_the_warm_call(clock):
    """A call that takes 2 µs in its first 15 calls and 1 µs from then on (as CPython's specialized
    bytecode does): the warm-up takes the 15 cold calls, every sample is 1 µs, and the timing ends after
    the fewest samples (5 that agree)."""
    cold_then_warm = clock(lambda k: 2e-6 if k < 15 else 1e-6)
    assert running.warm_median_seconds(cold_then_warm.call, first=3e-6) == pytest.approx(1e-6, rel=1e-9,
                                                                                          abs=0)
    # batches sized on the fastest warm-up call (2 µs): 2 and 4 calls are too short, 8 make one
    assert cold_then_warm.calls == 15 + (2 + 4) + 5 * 8


def test_without_a_first_call_one_is_made_and_timed_as_f_is(clock):
    """f has no answer to reuse: its first call is made here (1 call), then the same warm-up."""
    steady = clock(lambda k: 1e-6)
    assert running.warm_median_seconds(steady.call) == pytest.approx(1e-6, rel=1e-9, abs=0)
    assert steady.calls == 1 + (1 + 2 + 4 + 8) + 4 + 5 * 8


def test_a_first_call_of_the_warm_up_limit_or_more_is_not_warmed_up(clock):
    """An answer of 50 µs (WARMUP_SECONDS) or more: no warm-up, median_seconds' own 5 samples."""
    steady = clock(lambda k: 1e-4)
    assert running.WARMUP_SECONDS == 5e-5
    assert running.warm_median_seconds(steady.call, first=5e-5) == pytest.approx(1e-4, rel=1e-9, abs=0)
    assert steady.calls == 5


def test_one_off_work_in_the_first_warm_up_call_does_not_end_the_warm_up(clock):
    """The call after the answer compiles a fast path (100 µs), the others take 1 µs: the warm-up goes on
    to 16 calls (judged from its second batch), and the median is the fast call's."""
    lazy = clock(lambda k: 1e-4 if k == 0 else 1e-6)
    assert running.warm_median_seconds(lazy.call, first=2e-5) == pytest.approx(1e-6, rel=1e-9, abs=0)
    assert lazy.calls == (1 + 2 + 4 + 8) + 4 + 5 * 8


def test_a_call_too_slow_to_warm_up_sixteen_times_stops_after_its_second_batch(clock):
    """Calls of 20 µs after an answer of 30 µs: 1 + 2 warm-up calls (3 calls of 20 µs and the answer
    would cost 80 µs at that rate, past WARMUP_SECONDS), then 5 samples of one call each."""
    steady = clock(lambda k: 2e-5)
    assert running.warm_median_seconds(steady.call, first=3e-5) == pytest.approx(2e-5, rel=1e-9, abs=0)
    assert steady.calls == (1 + 2) + 5


def test_run_timed_warms_a_fast_method_up_after_its_answer(clock):
    fake = clock(lambda k: 1e-5 if k == 0 else 1e-6)  # the answer runs cold

    def run(value):
        fake.call()
        return value * 2, 1

    outcome = running.run_timed(lambda: run, 21)
    assert outcome.result == 42 and outcome.seconds == pytest.approx(1e-6, rel=1e-9, abs=0)
    assert fake.calls == 1 + (1 + 2 + 4 + 8) + 4 + 5 * 8


def test_compare_times_f_and_every_method_the_same_way(monkeypatch):
    """``× f`` divides like by like: f's time and each method's come from warm_median_seconds, f as a
    bare call of f compiled for floats on the point's values, each method as run(values)."""
    import diffcli.tasks.compare as task

    timed, events = [], []

    def recorder(call, first=None):
        timed.append((call, first))
        events.append("timed")
        return 1e-6

    def reference_first(compute):
        events.append("reference")
        return compute(), None

    monkeypatch.setattr(task, "warm_median_seconds", recorder)
    monkeypatch.setattr(running, "warm_median_seconds", recorder)
    monkeypatch.setattr(task, "reference_or_error", reference_first)
    record = task.compare("x*z", {"x": 2, "z": 3}, methods=["reverse", "fd-central"])
    assert record["f_seconds"] == 1e-6
    assert [row["seconds"] for row in record["methods"]] == [1e-6, 1e-6]
    (f_call, f_first), *method_calls = timed
    assert isinstance(f_call, partial) and f_call.args == (2.0, 3.0) and f_first is None
    assert f_call() == (6.0,)  # f itself, bare
    assert len(method_calls) == 2
    assert events == ["reference", "timed", "timed", "timed"]  # f just before the methods, not before the ms
    # of the reference: a shared machine's speed drifts, and f is the unit the methods are divided by
    for call, first in method_calls:
        assert isinstance(call, partial) and call.args == ([2.0, 3.0],) and first is not None


# ---------------------------------------------------------------- start-up: one command's options built

@pytest.mark.parametrize("argv, expected", [
    (["compare", "x*z", "x=2", "z=3"], ["compare"]),
    (["--quiet", "eps-sweep", "sin(x)", "x=1"], ["eps-sweep"]),
    (["compare", "--help"], ["compare"]),  # the command's own help needs only the command
])
def test_a_run_builds_only_the_command_it_names(argv, expected):
    from diffcli.cli.program import _app_for

    chosen = _app_for(argv).registered_commands
    assert [c.name or c.callback.__name__.replace("_", "-") for c in chosen] == expected


@pytest.mark.parametrize("argv", [[], ["--help"], ["--help", "compare"], ["-h", "compare"], ["compar", "x"],
                                  ["--version"]])
def test_without_a_command_named_first_the_whole_app_runs(argv):
    from diffcli.cli.app import app
    from diffcli.cli.program import _app_for

    assert _app_for(argv) is app


def test_shell_completion_sees_the_whole_app(monkeypatch):
    from diffcli.cli.app import app
    from diffcli.cli.program import _app_for

    monkeypatch.setenv("_DIFFCLI_COMPLETE", "complete_bash")
    assert _app_for(["compare", "x"]) is app


def test_the_app_with_one_command_prints_what_the_whole_app_prints(capsys):
    """The same output, the same exit status, through main (one command built) and the whole app."""
    from diffcli.cli.app import app
    from diffcli.cli.program import main

    argv = ["compare", "x*z", "x=2", "z=3", "-m", "reverse,fd-central", "--no-timing", "-f", "json"]
    assert main(argv) == 0
    alone = capsys.readouterr().out
    assert app(args=argv, prog_name="diffcli", standalone_mode=False) in (0, None)
    assert capsys.readouterr().out == alone and '"fd-central"' in alone
    assert main(["compare", "--help"]) == 0
    help_alone = capsys.readouterr().out
    with pytest.raises(SystemExit):  # in standalone mode (the default) click exits after the help
        app(args=["compare", "--help"], prog_name="diffcli")
    assert capsys.readouterr().out == help_alone and "--tolerance" in help_alone
