"""Shared helpers: run the command line in-process and split what it wrote."""

import pytest
from hypothesis import HealthCheck, settings

from diffcli.cli.program import main

# Property-test profiles: "ci" (the default) and "long" (pytest --hypothesis-profile=long).
_QUIET = [HealthCheck.filter_too_much, HealthCheck.too_slow]
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("long", max_examples=3000, deadline=None, suppress_health_check=_QUIET)
settings.load_profile("ci")

LECTURE = "exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)"


@pytest.fixture
def cli(capsys):
    """``cli("compare", "x**2", "x=3")`` -> (exit status, stdout, stderr)."""
    def run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return run


class FakeClock:
    """A clock that advances only when the timed call runs: call number k costs ``cost(k)`` seconds."""

    def __init__(self, cost):
        self.now, self.calls, self.cost = 0.0, 0, cost

    def perf_counter(self) -> float:
        return self.now

    def call(self) -> None:
        self.now += self.cost(self.calls)
        self.calls += 1


@pytest.fixture
def clock(monkeypatch):
    """``clock(cost)`` installs a :class:`FakeClock` as the harness's timer and returns it."""
    from types import SimpleNamespace

    from diffcli.harness import running

    def install(cost):
        fake = FakeClock(cost)
        monkeypatch.setattr(running, "time", SimpleNamespace(perf_counter=fake.perf_counter))
        return fake
    return install
