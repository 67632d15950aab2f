"""Tests for toil_core.lib.memoize."""
import datetime
import threading
import time

import pytest

from toil_core.lib.memoize import memoize, parse_iso_utc, strict_bool, sync_memoize


def test_memoize_caches_by_arguments():
    calls = []

    @memoize
    def square(x):
        calls.append(x)
        return x * x
    assert [square(3), square(3), square(4)] == [9, 9, 16]
    assert calls == [3, 4]


def test_sync_memoize_runs_once_across_threads():
    calls = []

    @sync_memoize
    def slow(x):
        calls.append(x)
        time.sleep(0.05)
        return x + 1
    results = []
    threads = [threading.Thread(target=lambda: results.append(slow(1))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [2] * 8 and calls == [1]


def test_sync_memoize_distinguishes_keyword_arguments():
    @sync_memoize
    def f(x=0):
        return x
    assert (f(x=1), f(x=2)) == (1, 2)


def test_parse_iso_utc_with_millis():
    assert parse_iso_utc("2016-04-27T00:28:04.000Z") == datetime.datetime(2016, 4, 27, 0, 28, 4)


def test_parse_iso_utc_rejects_other_zone():
    with pytest.raises(ValueError, match="Not a valid ISO datetime in UTC"):
        parse_iso_utc("2016-04-27T00:28:04X")


def test_strict_bool():
    assert strict_bool("true") is True and strict_bool("false") is False


def test_strict_bool_rejects_other():
    with pytest.raises(ValueError):
        strict_bool("yes")
