"""Behaviours that match upstream Toil 5.10 (issue 13), run as a user runs a workflow script."""
from __future__ import annotations

from workflows.harness import describe, ok, run

SCRIPT = "upstream_behaviours.py"


def _run(tmp_path, mode, *args, store="js"):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return run(SCRIPT, tmp_path / store, "--mode", mode, "--out", out, *args, tmp_path=tmp_path, timeout=120), out


def _lines(proc, key):
    return [line.split(" ", 1)[1] for line in proc.stdout.splitlines() if line.startswith(key + " ")]


def test_one_toil_block_starts_several_workflows(tmp_path):
    proc, _ = _run(tmp_path, "several-starts")
    ok(proc)
    assert _lines(proc, "result") == ["shared-1", "shared-2", "shared-3"], describe(proc)


def test_defer_accepts_a_lambda_and_a_closure(tmp_path):
    proc, out = _run(tmp_path, "defer-closure")
    ok(proc)
    assert (out / "lambda-ran").read_text() == "lambda"
    assert (out / "closure-ran").read_text() == "closure"


def test_diamond_failure_counts_the_blocked_predecessors_on_start_and_restart(tmp_path):
    proc, _ = _run(tmp_path, "diamond", "--retryCount", "0")
    assert proc.returncode == 1, describe(proc)
    assert _lines(proc, "count") == ["3"], describe(proc)
    message = _lines(proc, "message")[0]
    assert "contains 3 failed jobs: 'failing'" in message  # the job that failed is named first
    again, _ = _run(tmp_path, "diamond", "--retryCount", "0", "--restart")
    assert again.returncode == 1, describe(again)
    assert _lines(again, "count") == ["3"], describe(again)
    assert "contains 3 failed jobs: 'failing'" in _lines(again, "message")[0]


def test_a_failed_jobs_log_names_the_files_it_read_and_wrote(tmp_path):
    proc, _ = _run(tmp_path, "file-log", "--retryCount", "0")
    assert proc.returncode == 1, describe(proc)
    log = proc.stderr[proc.stderr.index("---TOIL WORKER OUTPUT LOG---"):]
    wrote = [line for line in log.splitlines() if "Wrote file" in line]
    read = [line for line in log.splitlines() if "Downloaded file" in line]
    assert wrote and "input-for-grep.txt" in wrote[0], describe(proc)
    assert read and "copy-for-grep.txt" in read[0], describe(proc)


def test_debug_log_says_which_batch_system_was_set_up(tmp_path):
    proc, _ = _run(tmp_path, "defer-closure", "--logLevel=debug", "--maxCores", "1")
    ok(proc)
    lines = [line for line in proc.stderr.splitlines() if "single machine batch system" in line]
    assert lines, describe(proc)
    assert "up to 1 cores" in lines[0] and "memory" in lines[0] and "disk" in lines[0]


def test_a_service_may_hold_its_host_jobs_promise(tmp_path):
    """``job.addService(MyService(job.rv()))``: the service starts after its host ran, so it gets the
    host's return value, and the jobs after the host read what the service's start() returned."""
    proc, out = _run(tmp_path, "service-promise")
    ok(proc)
    assert _lines(proc, "result") == ["host value"]
    assert (out / "seen.txt").read_text() == repr(("service saw", "host value"))


def test_a_service_may_not_hold_a_promise_of_its_hosts_child(tmp_path):
    proc, _ = _run(tmp_path, "service-promise-child", "--retryCount", "0")
    assert proc.returncode != 0, describe(proc)
    assert "JobPromiseConstraintError" in proc.stderr, describe(proc)
