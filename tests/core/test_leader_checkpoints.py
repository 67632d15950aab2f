"""Checkpoint jobs (manual 12.15, FEATURES 4.3): rerun when their subtree fails completely."""
from __future__ import annotations

from workflows.harness import FAST, describe, events, names, ok, result_line, run


def _run(tmp_path, *extra):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    proc = run("checkpoint.py", tmp_path / "js", "--out", out, "--maxCores", "2", *FAST, *extra,
               tmp_path=tmp_path)
    return proc, names(events(out), "start")


def test_checkpoint_rerun_after_subtree_failure(tmp_path):
    proc, started = _run(tmp_path, "--retryCount", "1")
    ok(proc)
    assert result_line(proc) == "child-ok"
    assert started.count("cp") == 2  # the checkpoint's body ran again
    assert started.count("child") == 3  # 2 failed tries in the first run, 1 success in the second
    assert started.count("cp_followon") == 1  # the first run's follow-on was discarded
    assert started.count("root") == 1 and started.count("sibling") == 1 and started.count("after") == 1
    assert "is being restarted as a checkpoint" in proc.stderr


def test_checkpoint_not_rerun_with_retry_count_zero(tmp_path):
    proc, started = _run(tmp_path, "--retryCount", "0")
    assert proc.returncode == 1, describe(proc)
    assert started.count("cp") == 1
    assert started.count("child") == 1
    assert "cp_followon" not in started and "after" not in started
    assert "child fails during the checkpoint's first run" in proc.stderr


def test_checkpoint_retried_only_once_with_retry_count_one(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "always-fail").touch()
    proc, started = _run(tmp_path, "--retryCount", "1")
    assert proc.returncode == 1, describe(proc)
    assert started.count("cp") == 2
    assert started.count("child") == 4
    assert "after" not in started


def test_restart_reruns_a_started_checkpoint(tmp_path):
    proc, started = _run(tmp_path, "--retryCount", "0")
    assert proc.returncode == 1, describe(proc)
    assert started.count("cp") == 1
    # --restart repairs the store: the checkpoint's old subtree is dropped and its body reruns.
    proc, started = _run(tmp_path, "--retryCount", "0", "--restart")
    ok(proc)
    assert result_line(proc) == "child-ok"
    assert started.count("cp") == 2
    assert started.count("child") == 2
    assert started.count("cp_followon") == 1
    assert started.count("root") == 1 and started.count("sibling") == 1
