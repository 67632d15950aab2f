"""Retries and failures (FEATURES A.7, 4.2): try counts, other branches, the report, the exception."""
from __future__ import annotations

import os

import pytest

from workflows.harness import FAST, describe, events, names, run

MARKER = "---TOIL WORKER OUTPUT LOG---"


def _run(tmp_path, *extra, **kw):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    proc = run("failing.py", tmp_path / "js", "--out", out, "--maxCores", "2", *FAST, *extra,
               tmp_path=tmp_path, **kw)
    return proc, events(out)


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_retry_count_gives_n_plus_one_tries(tmp_path, retries):
    proc, evts = _run(tmp_path, "--retryCount", str(retries))
    assert proc.returncode == 1, describe(proc)
    assert names(evts, "start").count("bad0") == retries + 1


def test_default_retry_count_is_one(tmp_path):
    proc, evts = _run(tmp_path)
    assert proc.returncode == 1, describe(proc)
    assert names(evts, "start").count("bad0") == 2


def test_other_branches_complete_and_successors_of_failed_job_never_run(tmp_path):
    proc, evts = _run(tmp_path, "--retryCount", "1")
    assert proc.returncode == 1, describe(proc)
    started = names(evts, "start")
    # The good branch (which outlives the failure: good_child sleeps 1.5 s) runs to the end.
    for job in ("root", "good", "good_child", "good_followon"):
        assert started.count(job) == 1, (job, evts)
    assert names(evts, "end").count("good_followon") == 1
    # Nothing after the failed job runs: its child, its follow-on, nor the root's follow-on.
    for job in ("bad0_child", "bad0_followon", "root_followon"):
        assert job not in started, (job, evts)


def test_failure_report_on_stderr(tmp_path):
    proc, _ = _run(tmp_path, "--retryCount", "0")
    assert proc.returncode == 1, describe(proc)
    err = proc.stderr
    assert MARKER in err
    assert "Traceback (most recent call last)" in err
    assert "RuntimeError: Deliberate failure XYZZY-42" in err
    # What the job printed is part of its log, and log lines are prefixed by the job's ID.
    assert "about to fail on purpose" in err
    log_lines = [line for line in err.splitlines() if "about to fail on purpose" in line]
    assert any(line.split()[0].startswith("always_fails") for line in log_lines), log_lines
    assert "Failed jobs at end of the run" in err
    end_line = next(line for line in err.splitlines() if "Failed jobs at end of the run" in line)
    assert "always_fails" in end_line
    assert "FailedJobsException" in err
    # As upstream: the failed job and the root, which cannot finish because of it.
    assert "contains 2 failed jobs" in err
    # The job store is kept (default --clean onSuccess) so the run can be restarted.
    assert (tmp_path / "js").is_dir()
    assert "Finished toil run successfully." not in err


def test_failed_jobs_exception_attributes(tmp_path):
    proc, _ = _run(tmp_path, "--retryCount", "0", "--catch", "--bad", "2")
    assert proc.returncode == 3, describe(proc)
    caught = dict(line[len("CAUGHT "):].split("=", 1) for line in proc.stdout.splitlines()
                  if line.startswith("CAUGHT "))
    assert caught["numberOfFailedJobs"] == "3"  # the two failed jobs and the root they block
    assert caught["exit_code"] == "1"
    locator = caught["jobStoreLocator"]
    assert locator.rstrip("/").endswith(os.path.join(str(tmp_path), "js")), locator
    assert "contains 3 failed jobs" in caught["message"]
    assert "Deliberate failure XYZZY-42" in caught["message"]


def test_failed_workflow_can_be_killed_by_no_hang(tmp_path):
    # A failed job's successors never run, but the leader must still end promptly.
    proc, evts = _run(tmp_path, "--retryCount", "0", "--bad", "3", timeout=30)
    assert proc.returncode == 1
    assert sorted(set(n for n in names(evts, "start") if n.startswith("bad"))) == ["bad0", "bad1", "bad2"]
