"""Tests for toil_core.lib.throttle, driven by a fake clock: the tests decide how time passes instead
of measuring how long real sleeps took."""
import threading
from typing import List

import pytest

from toil_core.lib.throttle import LocalThrottle, throttle


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it (or the test advances it)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: List[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_throttle_context_sleeps_the_rest_of_the_interval(clock):
    with throttle(0.2, clock=clock, sleep=clock.sleep):
        clock.advance(0.05)
    assert clock.sleeps == [pytest.approx(0.15)]


def test_throttle_context_no_extra_wait_for_slow_body(clock):
    with throttle(0.1, clock=clock, sleep=clock.sleep):
        clock.advance(0.2)
    assert clock.sleeps == []


def test_throttle_context_skips_wait_on_exception(clock):
    with pytest.raises(ValueError):
        with throttle(1, clock=clock, sleep=clock.sleep):
            raise ValueError("foo")
    assert clock.sleeps == []


def test_throttle_decorator_makes_each_call_take_the_interval(clock):
    @throttle(0.2, clock=clock, sleep=clock.sleep)
    def f():
        return 5

    assert f() == 5
    assert f() == 5
    assert clock.sleeps == [pytest.approx(0.2), pytest.approx(0.2)]


def test_throttle_uses_the_real_clock_by_default():
    with throttle(0):
        pass  # no fake clock: nothing to wait for, and no error


def test_local_throttle_first_call_is_immediate(clock):
    assert LocalThrottle(1, clock=clock, sleep=clock.sleep).throttle()
    assert clock.sleeps == []


def test_local_throttle_no_wait_returns_false_when_too_soon(clock):
    t = LocalThrottle(10, clock=clock, sleep=clock.sleep)
    assert t.throttle(wait=False) is True
    clock.advance(9.9)
    assert t.throttle(wait=False) is False
    clock.advance(0.1)
    assert t.throttle(wait=False) is True
    assert clock.sleeps == []


def test_local_throttle_waits_the_rest_of_the_interval(clock):
    t = LocalThrottle(0.2, clock=clock, sleep=clock.sleep)
    t.throttle()
    clock.advance(0.05)
    assert t.throttle() is True
    assert clock.sleeps == [pytest.approx(0.15)]


def test_local_throttle_counts_from_the_last_allowed_call(clock):
    t = LocalThrottle(1, clock=clock, sleep=clock.sleep)
    t.throttle()
    t.throttle()  # sleeps 1 s: the next interval starts after that sleep
    clock.advance(0.5)
    t.throttle()
    assert clock.sleeps == [pytest.approx(1), pytest.approx(0.5)]


def test_local_throttle_as_decorator(clock):
    t = LocalThrottle(0.2, clock=clock, sleep=clock.sleep)

    @t
    def f():
        return 1

    assert f() == 1
    assert f() == 1
    assert clock.sleeps == [pytest.approx(0.2)]


def test_local_throttle_is_per_thread(clock):
    t = LocalThrottle(10, clock=clock, sleep=clock.sleep)
    assert t.throttle(wait=False) is True
    other: List[bool] = []
    thread = threading.Thread(target=lambda: other.append(t.throttle(wait=False)))
    thread.start()
    thread.join(10)
    assert other == [True]  # another thread has its own interval
    assert t.throttle(wait=False) is False
