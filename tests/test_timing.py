"""Timing that adapts (``median_seconds`` without a budget): a method is timed for a few times its own cost,
and no longer once the median is known to ±5%."""

from types import SimpleNamespace

import pytest
from conftest import FakeClock

from diffcli.harness import running


@pytest.fixture
def clock(monkeypatch):
    def install(cost):
        fake = FakeClock(cost)
        monkeypatch.setattr(running, "time", SimpleNamespace(perf_counter=fake.perf_counter))
        return fake
    return install


def test_a_steady_call_stops_after_five_batches(clock):
    steady = clock(lambda k: 1e-5)
    assert running.median_seconds(steady.call) == pytest.approx(1e-5, rel=1e-9, abs=0)
    # the first call, batches of 1 then 2 calls (2 calls = MIN_BATCH_SECONDS), then 5 batches of 2
    assert steady.calls == 1 + 1 + 2 + 5 * 2


def test_a_noisy_call_stops_when_its_own_budget_is_spent(clock):
    noisy = clock(lambda k: 1e-4 if k % 3 else 3e-4)  # the median is never known to 5%
    running.median_seconds(noisy.call)
    budget = running.TIMING_CALLS * 3e-4  # the first call costs 3e-4
    assert noisy.now <= budget + 2 * 3e-4 and noisy.calls < 51


def test_the_cap_holds_for_a_slow_call(clock):
    slow = clock(lambda k: 0.004 if k % 2 else 0.012)
    running.median_seconds(slow.call)
    assert slow.now <= running.TIMING_BUDGET + 0.012 * 2


def test_a_given_budget_is_still_cut_short_by_precision(clock):
    steady = clock(lambda k: 1e-6)
    assert running.median_seconds(steady.call, budget=1.0) == pytest.approx(1e-6, rel=1e-9, abs=0)
    assert steady.now < 0.5  # 5 batches of 1/20 s each, not the whole second
