"""--clean and --cleanWorkDir policies (FEATURES A.6, 4.9, 8.1) after success and after failure."""
from __future__ import annotations

import pytest

from workflows.harness import FAST, describe, run

SUCCESS = ("sleeper.py", "--seconds", "0.1")
FAILURE = ("failing.py", "--retryCount", "0")


def _run(tmp_path, workflow, *extra):
    out = tmp_path / "out"
    out.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    script, *args = workflow
    proc = run(script, tmp_path / "js", "--out", out, "--workDir", work, *args, *FAST, *extra, tmp_path=tmp_path)
    return proc, sorted(p.name for p in work.iterdir() if p.name.startswith("toil-"))


@pytest.mark.parametrize("policy,kept_on_success,kept_on_failure", [
    ("always", False, False),
    ("onError", True, False),
    ("never", True, True),
    ("onSuccess", False, True),
])
def test_clean_policy(tmp_path, policy, kept_on_success, kept_on_failure):
    (tmp_path / "ok").mkdir()
    (tmp_path / "bad").mkdir()
    ok_run, _ = _run(tmp_path / "ok", SUCCESS, "--clean", policy)
    assert ok_run.returncode == 0, describe(ok_run)
    assert (tmp_path / "ok" / "js").exists() == kept_on_success
    bad_run, _ = _run(tmp_path / "bad", FAILURE, "--clean", policy)
    assert bad_run.returncode == 1, describe(bad_run)
    assert (tmp_path / "bad" / "js").exists() == kept_on_failure


def test_default_clean_is_on_success(tmp_path):
    (tmp_path / "ok").mkdir()
    (tmp_path / "bad").mkdir()
    ok_run, _ = _run(tmp_path / "ok", SUCCESS)
    assert ok_run.returncode == 0, describe(ok_run)
    assert not (tmp_path / "ok" / "js").exists()
    assert "Finished toil run successfully." in ok_run.stderr
    bad_run, _ = _run(tmp_path / "bad", FAILURE)
    assert (tmp_path / "bad" / "js").is_dir()
    assert "Finished toil run successfully." not in bad_run.stderr


def test_success_message_is_logged_once_at_the_end(tmp_path):
    (tmp_path / "ok").mkdir()
    proc, _ = _run(tmp_path / "ok", SUCCESS, "--clean", "never")
    assert proc.returncode == 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    finished = [i for i, line in enumerate(lines) if "Finished toil run successfully." in line]
    assert len(finished) == 1
    # Nothing after it but job store clean-up messages (none here, with --clean never).
    assert finished[0] == len(lines) - 1, lines[-5:]


def test_stats_keeps_the_job_store(tmp_path):
    (tmp_path / "ok").mkdir()
    proc, _ = _run(tmp_path / "ok", SUCCESS, "--stats")
    assert proc.returncode == 0, describe(proc)
    assert (tmp_path / "ok" / "js").is_dir()


@pytest.mark.parametrize("policy,kept_on_success,kept_on_failure", [
    ("always", False, False),
    ("onError", True, False),
    ("never", True, True),
    ("onSuccess", False, True),
])
def test_clean_work_dir_policy(tmp_path, policy, kept_on_success, kept_on_failure):
    (tmp_path / "ok").mkdir()
    (tmp_path / "bad").mkdir()
    ok_run, ok_dirs = _run(tmp_path / "ok", SUCCESS, "--cleanWorkDir", policy)
    assert ok_run.returncode == 0, describe(ok_run)
    assert bool(ok_dirs) == kept_on_success, ok_dirs
    bad_run, bad_dirs = _run(tmp_path / "bad", FAILURE, "--cleanWorkDir", policy)
    assert bad_run.returncode == 1, describe(bad_run)
    assert bool(bad_dirs) == kept_on_failure, bad_dirs
