"""Tests for toil_core.lib.throttle (intervals kept small)."""
import time

import pytest

from toil_core.lib.throttle import LocalThrottle, throttle


def test_throttle_context_takes_at_least_interval():
    start = time.monotonic()
    with throttle(0.2):
        pass
    assert time.monotonic() - start >= 0.19


def test_throttle_context_no_extra_wait_for_slow_body():
    start = time.monotonic()
    with throttle(0.1):
        time.sleep(0.2)
    assert time.monotonic() - start < 0.3


def test_throttle_context_skips_wait_on_exception():
    start = time.monotonic()
    with pytest.raises(ValueError):
        with throttle(1):
            raise ValueError("foo")
    assert time.monotonic() - start < 0.5


def test_throttle_decorator():
    @throttle(0.2)
    def f():
        return 5
    start = time.monotonic()
    assert f() == 5
    assert time.monotonic() - start >= 0.19


def test_local_throttle_first_call_immediate():
    start = time.monotonic()
    assert LocalThrottle(1).throttle()
    assert time.monotonic() - start < 0.1


def test_local_throttle_no_wait_returns_false_when_too_soon():
    t = LocalThrottle(10)
    assert t.throttle(wait=False) is True
    assert t.throttle(wait=False) is False


def test_local_throttle_waits_between_calls():
    t = LocalThrottle(0.2)
    t.throttle()
    start = time.monotonic()
    t.throttle()
    assert time.monotonic() - start >= 0.15


def test_local_throttle_as_decorator():
    t = LocalThrottle(0.2)

    @t
    def f():
        return 1
    f()
    start = time.monotonic()
    f()
    assert time.monotonic() - start >= 0.15
