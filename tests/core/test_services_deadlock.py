"""Deadlock detection (FEATURES 4.5, manual "Service Options"): only services running -> DeadlockException."""
from __future__ import annotations

import re

from workflows.harness import FAST, describe, events, names, run

#: A detected deadlock ends the run well within this (--deadlockWait 2, checked every second); an
#: undetected one runs forever and fails the test here.
DEADLINE = 45


def _run(tmp_path, mode, *extra):
    out = tmp_path / "out"
    out.mkdir()
    proc = run("services.py", tmp_path / "js", "--out", out, "--mode", mode, "--retryCount", "0", *FAST, *extra,
               tmp_path=tmp_path, timeout=DEADLINE)
    return proc, events(out)


def _waits_logged(stderr):
    """(seconds deadlocked so far, seconds still to wait) of every "Potentially deadlocked" log line."""
    return [(int(a), int(b)) for a, b in
            re.findall(r"Potentially deadlocked for (\d+) seconds\. Waiting at most (\d+) more seconds", stderr)]


def test_service_using_the_only_core_deadlocks(tmp_path):
    proc, evts = _run(tmp_path, "deadlock", "--maxCores", "1")
    assert proc.returncode != 0, describe(proc)
    assert "DeadlockException" in proc.stderr
    assert "Potential deadlock detected" in proc.stderr
    assert names(evts, "svc_start") == ["S"]
    assert "u" not in names(evts, "start")
    assert (tmp_path / "js").is_dir()


def test_deadlock_waits_for_deadlock_wait(tmp_path):
    proc, evts = _run(tmp_path, "deadlock", "--maxCores", "1", "--deadlockWait", "6")
    assert proc.returncode != 0, describe(proc)
    assert "Potential deadlock detected" in proc.stderr
    # The leader counts the deadlock's age up towards --deadlockWait before giving up, and gives up only
    # after the last of those lines.
    waits = _waits_logged(proc.stderr)
    assert waits, describe(proc)
    assert all(so_far + left == 6 for so_far, left in waits), waits
    assert max(so_far for so_far, _ in waits) >= 3, waits
    assert proc.stderr.rindex("Potentially deadlocked for") < proc.stderr.index("Potential deadlock detected")


def test_more_services_than_max_service_jobs_deadlocks(tmp_path):
    # Like upstream's testServiceDeadlock: one client with two services and --maxServiceJobs 1; the
    # second service waits for a slot the first never frees.
    proc, evts = _run(tmp_path, "two_services", "--maxServiceJobs", "1", "--maxCores", "2")
    assert proc.returncode != 0, describe(proc)
    assert "Potential deadlock detected" in proc.stderr
    assert len(names(evts, "svc_start")) == 1
    assert "u" not in names(evts, "start")


def test_two_services_within_the_limit_complete(tmp_path):
    proc, evts = _run(tmp_path, "two_services", "--maxServiceJobs", "2", "--maxCores", "2")
    assert proc.returncode == 0, describe(proc)
    assert sorted(names(evts, "svc_start")) == ["A", "B"]
    assert names(evts, "end") == ["u"]

