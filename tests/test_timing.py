"""Timing that adapts (``median_seconds`` without a budget): a method is timed for a few times its own cost,
and no longer once the median is known to ±5%.  Its first call (a method's answer) only sizes the batches:
it runs cold, and is never a sample."""


import pytest

from diffcli.harness import running


def test_a_steady_call_stops_after_five_batches(clock):
    steady = clock(lambda k: 1e-6)
    assert running.median_seconds(steady.call) == pytest.approx(1e-6, rel=1e-9, abs=0)
    # the first call (1 µs) says 5 fit in MIN_BATCH_SECONDS = 5 µs: a batch of 4 (rounded down to a power
    # of 2) is too short, 8 calls (8 µs) make a batch: that batch is the first sample and 4 more follow
    assert running.MIN_BATCH_SECONDS == 5e-6
    assert steady.calls == 1 + 4 + 5 * 8


def test_a_cold_first_call_only_makes_the_batches_start_smaller(clock):
    """A first call of 1e-5 (cold) for calls of 1e-6: batches of 1, 2, 4 calls are too short, 8 make one."""
    steady = clock(lambda k: 1e-6)
    assert running.median_seconds(steady.call, first=1e-5) == pytest.approx(1e-6, rel=1e-9, abs=0)
    assert steady.calls == (1 + 2 + 4) + 5 * 8


def test_the_first_call_is_not_a_sample(clock):
    """A cold first call twice as slow as the others changes neither the median nor how long the timing
    lasts: 5 samples of the warm cost, known to ±5% (with the first call among them they would not be)."""
    cold = clock(lambda k: 2e-4 if k == 0 else 1e-4)
    assert running.median_seconds(cold.call) == pytest.approx(1e-4, rel=1e-9, abs=0)
    assert cold.calls == 1 + 5


def test_a_method_answer_is_its_first_call(clock):
    """Given the time of the answer's call, no call is made just to size the batches."""
    warm = clock(lambda k: 1e-4)
    assert running.median_seconds(warm.call, first=2e-4) == pytest.approx(1e-4, rel=1e-9, abs=0)
    assert warm.calls == 5


def test_run_timed_times_the_answer_once_and_then_only_samples(clock):
    fake = clock(lambda k: 1e-4)

    def run(value):
        fake.call()
        return value * 2, 1

    outcome = running.run_timed(lambda: run, 21)
    assert outcome.result == 42 and outcome.seconds == pytest.approx(1e-4, rel=1e-9, abs=0)
    assert fake.calls == 1 + 5  # the answer, then 5 samples: no warm-up call


def test_a_noisy_call_stops_when_its_own_budget_is_spent(clock):
    """Samples of 1e-4 and 1.2e-4 in turn never agree to 5%: after 5 samples (5.4e-4) timing goes on to
    TIMING_CALLS times the fastest one, 6e-4, which one more sample passes."""
    noisy = clock(lambda k: 1.2e-4 if k % 2 else 1e-4)
    running.median_seconds(noisy.call, first=1e-4)
    assert running.TIMING_CALLS == 6
    assert noisy.calls == 6 and noisy.now == pytest.approx(6.6e-4, rel=1e-9, abs=0)


def test_the_budget_is_the_warm_cost_not_the_cold_first_call(clock):
    """A cold first call of 1e-3, then calls of 1e-4, 1e-4, 1.5e-4 in turn, which never agree to 5%: each
    is timed alone (a batch needs only MIN_BATCH_SECONDS, not a twentieth of 6·1e-3), and the budget is
    TIMING_CALLS × 1e-4 = 6e-4, passed by the sixth sample (7e-4), not 6·1e-3."""
    noisy = clock(lambda k: 1.5e-4 if k % 3 == 2 else 1e-4)
    running.median_seconds(noisy.call, first=1e-3)
    assert noisy.calls == 6 and noisy.now == pytest.approx(7e-4, rel=1e-9, abs=0)


def test_a_descheduled_sample_does_not_raise_the_budget(clock):
    """A first sample of 5e-3 (the process descheduled: another one ran) beside calls of 1e-4: the budget
    is TIMING_CALLS times the fastest time seen, 6·1e-4 (the cap of 0.02 s for 6·5e-3), so the timing
    stops after its 5 samples, whose median is the call's cost."""
    busy = clock(lambda k: [2e-4, 5e-3][k] if k < 2 else 1e-4)
    assert running.median_seconds(busy.call) == pytest.approx(1e-4, rel=1e-9, abs=0)
    assert busy.calls == 1 + 5


def test_batches_grow_when_the_first_sample_was_one_off_work(clock):
    """The first sample's call took 5e-4 (a method compiling its fast path on its second call), the others
    1e-6: later batches grow to 8 calls, so that none is shorter than MIN_BATCH_SECONDS, and the median
    is the call's cost."""
    lazy = clock(lambda k: 5e-4 if k == 0 else 1e-6)
    assert running.median_seconds(lazy.call, first=1e-5) == pytest.approx(1e-6, rel=1e-9, abs=0)
    assert lazy.calls == 1 + 1 + 3 * 8  # samples of 1 call (5e-4), 1 call (1e-6), then 3 of 8 calls


def test_the_cap_holds_for_a_slow_call(clock):
    slow = clock(lambda k: 0.004 if k % 2 else 0.012)
    running.median_seconds(slow.call)
    assert slow.now <= running.TIMING_BUDGET + 0.012 * 2


def test_a_slow_call_takes_its_first_call_as_a_sample(clock):
    """A call of 0.01 s (budget TIMING_BUDGET = 0.02, more than a quarter of it): the answer's time and
    two more calls, their median."""
    slow = clock(lambda k: [0.012, 0.009][k])
    assert running.median_seconds(slow.call, first=0.01) == pytest.approx(0.01, rel=1e-12, abs=0)
    assert slow.calls == 2


def test_a_cold_slow_answer_is_timed_again_as_the_fast_call_it_is(clock):
    """An answer of 0.3 s (the method that first imports numpy pays the import) and calls of 1e-4 s after
    it: the median is 1e-4 s, not the import's 0.3 s (one sample of the slow path, as before)."""
    cold = clock(lambda k: 1e-4)
    assert running.median_seconds(cold.call, first=0.3) == pytest.approx(1e-4, rel=1e-9, abs=0)


def test_a_cold_answer_under_the_budget_is_not_a_sample_either(clock):
    """An answer of 9 ms (more than a quarter of the 20 ms budget) and calls of 1.4e-4 s, one of them
    the first descheduled to 5 ms: the fast path's median, not that of [9 ms, 5 ms, 0.14 ms]."""
    noisy = clock(lambda k: 5e-3 if k == 0 else 1.4e-4)
    assert running.median_seconds(noisy.call, first=9e-3) == pytest.approx(1.4e-4, rel=1e-9, abs=0)


def test_a_slow_call_past_the_budget_is_called_once_more(clock):
    """A steady 0.05 s call (past the whole budget): one more call, the median of the two."""
    slow = clock(lambda k: 0.05)
    assert running.median_seconds(slow.call, first=0.06) == pytest.approx(0.055, rel=1e-12, abs=0)
    assert slow.calls == 1


def test_a_given_budget_is_still_cut_short_by_precision(clock):
    steady = clock(lambda k: 1e-6)
    assert running.median_seconds(steady.call, budget=1.0) == pytest.approx(1e-6, rel=1e-9, abs=0)
    assert steady.now < 0.5  # 5 batches of 1/20 s each, not the whole second
