"""Deadlock detection (FEATURES 4.5, manual "Service Options"): only services running -> DeadlockException."""
from __future__ import annotations

import time

from workflows.harness import FAST, describe, events, names, run


def _run(tmp_path, mode, *extra):
    out = tmp_path / "out"
    out.mkdir()
    began = time.time()
    proc = run("services.py", tmp_path / "js", "--out", out, "--mode", mode, "--retryCount", "0", *FAST, *extra,
               tmp_path=tmp_path, timeout=60)
    return proc, events(out), time.time() - began


def test_service_using_the_only_core_deadlocks(tmp_path):
    proc, evts, took = _run(tmp_path, "deadlock", "--maxCores", "1")
    assert proc.returncode != 0, describe(proc)
    assert "DeadlockException" in proc.stderr
    assert "Potential deadlock detected" in proc.stderr
    assert names(evts, "svc_start") == ["S"]
    assert "u" not in names(evts, "start")
    assert took < 20, took  # --deadlockWait 2, checked every second
    assert (tmp_path / "js").is_dir()


def test_deadlock_waits_for_deadlock_wait(tmp_path):
    proc, evts, took = _run(tmp_path, "deadlock", "--maxCores", "1", "--deadlockWait", "6")
    assert proc.returncode != 0, describe(proc)
    assert "Potential deadlock detected" in proc.stderr
    assert took >= 6
    assert "Potentially deadlocked for" in proc.stderr


def test_more_services_than_max_service_jobs_deadlocks(tmp_path):
    # Like upstream's testServiceDeadlock: one client with two services and --maxServiceJobs 1; the
    # second service waits for a slot the first never frees.
    proc, evts, took = _run(tmp_path, "two_services", "--maxServiceJobs", "1", "--maxCores", "2")
    assert proc.returncode != 0, describe(proc)
    assert "Potential deadlock detected" in proc.stderr
    assert len(names(evts, "svc_start")) == 1
    assert "u" not in names(evts, "start")
    assert took < 20, took


def test_two_services_within_the_limit_complete(tmp_path):
    proc, evts, _ = _run(tmp_path, "two_services", "--maxServiceJobs", "2", "--maxCores", "2")
    assert proc.returncode == 0, describe(proc)
    assert sorted(names(evts, "svc_start")) == ["A", "B"]
    assert names(evts, "end") == ["u"]

