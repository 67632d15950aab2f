"""--maxJobDuration and --rescueJobsFrequency (FEATURES 4.6): overlong jobs are killed and retried."""
from __future__ import annotations

import time

import pytest

from workflows.harness import FAST, describe, events, kill_group, names, pid_alive, run, start_to_files, wait_for


def _run(tmp_path, *extra, timeout=60):
    out = tmp_path / "out"
    out.mkdir()
    began = time.time()
    proc = run("sleeper.py", tmp_path / "js", "--out", out, "--maxCores", "2", *FAST, *extra,
               tmp_path=tmp_path, timeout=timeout)
    return proc, events(out), time.time() - began


def test_overlong_job_is_killed_and_retried(tmp_path):
    proc, evts, took = _run(tmp_path, "--maxJobDuration", "2", "--retryCount", "1")
    assert proc.returncode == 1, describe(proc)
    assert took < 20, took  # not the 30 s the job wanted (twice)
    assert names(evts, "start").count("long") == 2  # killed, retried, killed again
    assert "long" not in names(evts, "end")
    assert "after_long" not in names(evts, "start")
    assert names(evts, "end").count("short") == 1  # the other branch was not affected
    assert "more than the max job duration" in proc.stderr
    for e in evts:
        if e[1] == "long":
            assert not pid_alive(int(e[2]))
    end = next(line for line in proc.stderr.splitlines() if "Failed jobs at end of the run" in line)
    assert "nap" in end


def test_job_within_max_job_duration_is_left_alone(tmp_path):
    proc, evts, _ = _run(tmp_path, "--maxJobDuration", "5", "--retryCount", "0", "--seconds", "1.5")
    assert proc.returncode == 0, describe(proc)
    assert names(evts, "start").count("long") == 1
    assert names(evts, "end").count("after_long") == 1
    assert "more than the max job duration" not in proc.stderr


def test_workflow_survives_the_death_of_the_fork_server(tmp_path):
    import psutil

    out = tmp_path / "out"
    out.mkdir()
    leader = start_to_files("sleeper.py", tmp_path / "js", "--out", out, "--seconds", "2", "--retryCount", "2",
                            "--maxCores", "2", *FAST, tmp_path=tmp_path)
    try:
        wait_for(lambda: "long" in names(events(out), "start"), 60, "the long job to start")
        servers = [p for p in psutil.Process(leader.pid).children() if "fork_server" in " ".join(p.cmdline())]
        assert servers, "no fork server found"
        for server in servers:
            server.kill()
        leader.wait(timeout=30)
    finally:
        kill_group(leader)
        leader.wait()
    assert leader.returncode == 0, (tmp_path / "leader.err").read_text()[-5000:]
    assert "after_long" in names(events(out), "end")


@pytest.mark.xfail(reason="single_machine reports the jobs of a dead fork server as lost without killing "
                          "them, so the retry runs next to the orphan (batch/single_machine.py)", strict=False)
def test_jobs_of_a_dead_fork_server_do_not_run_twice(tmp_path):
    import psutil

    out = tmp_path / "out"
    out.mkdir()
    leader = start_to_files("sleeper.py", tmp_path / "js", "--out", out, "--seconds", "2", "--retryCount", "2",
                            "--maxCores", "2", *FAST, tmp_path=tmp_path)
    try:
        wait_for(lambda: "long" in names(events(out), "start"), 60, "the long job to start")
        for server in psutil.Process(leader.pid).children():
            if "fork_server" in " ".join(server.cmdline()):
                server.kill()
        leader.wait(timeout=30)
    finally:
        kill_group(leader)
        leader.wait()
    assert leader.returncode == 0, (tmp_path / "leader.err").read_text()[-5000:]
    # The lost attempt must not go on running (and committing) next to its retry.
    assert names(events(out), "end").count("long") == 1, events(out)
