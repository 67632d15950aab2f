"""--restart (FEATURES A.6, A.8, 4.9): resume only unfinished work, with the script as edited."""
from __future__ import annotations

import shutil

from workflows.harness import FAST, WORKFLOWS, describe, events, names, ok, result_line, run

EXPECTED = "steady fragile-ok after_fragile"


def _run(tmp_path, *extra, script="restartable.py"):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return run(script, tmp_path / "js", "--out", out, *FAST, *extra, tmp_path=tmp_path)


def test_restart_reruns_only_unfinished_jobs(tmp_path):
    first = _run(tmp_path, "--retryCount", "0")
    assert first.returncode == 1, describe(first)
    evts = events(tmp_path / "out")
    assert names(evts, "start").count("fragile") == 1
    assert "after_fragile" not in names(evts, "start")  # successors of a failed job wait
    assert "final" not in names(evts, "start")
    (tmp_path / "out" / "fixed.marker").touch()
    second = ok(_run(tmp_path, "--restart", "--retryCount", "0"))
    assert result_line(second) == EXPECTED
    started = names(events(tmp_path / "out"), "start")
    # Jobs that had completed before the failure did not run again.
    assert started.count("root") == 1
    assert started.count("steady") == 1
    assert started.count("fragile") == 2
    assert started.count("after_fragile") == 1
    assert started.count("final") == 1
    assert "Finished toil run successfully." in second.stderr
    assert not (tmp_path / "js").exists()  # --clean onSuccess after the successful restart


def test_retry_counts_are_reset_on_restart(tmp_path):
    first = _run(tmp_path, "--retryCount", "1")
    assert first.returncode == 1, describe(first)
    assert names(events(tmp_path / "out"), "start").count("fragile") == 2
    # Still broken: the restart gives the failed job its full tries again.
    second = _run(tmp_path, "--restart", "--retryCount", "1")
    assert second.returncode == 1, describe(second)
    assert names(events(tmp_path / "out"), "start").count("fragile") == 4
    # Options given on the command line of a restart apply (here a larger retry count).
    third = _run(tmp_path, "--restart", "--retryCount", "2")
    assert third.returncode == 1, describe(third)
    assert names(events(tmp_path / "out"), "start").count("fragile") == 7
    assert names(events(tmp_path / "out"), "start").count("steady") == 1


def test_restart_uses_edited_script(tmp_path):
    script = tmp_path / "restartable.py"
    shutil.copy(WORKFLOWS / "restartable.py", script)
    first = _run(tmp_path, "--retryCount", "0", script=script)
    assert first.returncode == 1, describe(first)
    text = script.read_text()
    broken = 'raise RuntimeError("fragile is still broken")  # EDIT-ME'
    assert broken in text
    script.write_text(text.replace(broken, 'record(out, "edited", "fragile")'))
    second = ok(_run(tmp_path, "--restart", "--retryCount", "0", script=script))
    assert result_line(second) == EXPECTED
    evts = events(tmp_path / "out")
    assert ["edited", "fragile"] in evts
    assert names(evts, "start").count("fragile") == 2
    assert names(evts, "start").count("steady") == 1


def test_restart_of_finished_workflow_returns_stored_value(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "fixed.marker").touch()
    first = ok(_run(tmp_path, "--clean", "never"))
    assert result_line(first) == EXPECTED
    assert (tmp_path / "js").is_dir()
    before = len(events(tmp_path / "out"))
    second = ok(_run(tmp_path, "--restart", "--clean", "never"))
    assert result_line(second) == EXPECTED
    assert "already been completed" in second.stderr
    assert len(events(tmp_path / "out")) == before  # no job ran again
    assert (tmp_path / "js").is_dir()


def test_restart_missing_job_store(tmp_path):
    proc = _run(tmp_path, "--restart")
    assert proc.returncode != 0
    assert "does not exist, so there is nothing to restart" in proc.stderr, describe(proc)
    assert events(tmp_path / "out") == []
    assert not (tmp_path / "js").exists()


def test_fresh_run_on_existing_job_store(tmp_path):
    first = _run(tmp_path, "--retryCount", "0")
    assert first.returncode == 1
    before = events(tmp_path / "out")
    second = _run(tmp_path, "--retryCount", "0")
    assert second.returncode != 0
    assert "already exists" in second.stderr and "Use --restart" in second.stderr, describe(second)
    assert events(tmp_path / "out") == before  # nothing ran
    assert (tmp_path / "js").is_dir()  # and the existing store is untouched
    (tmp_path / "out" / "fixed.marker").touch()
    ok(_run(tmp_path, "--restart"))
