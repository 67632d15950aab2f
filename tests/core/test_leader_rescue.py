"""--maxJobDuration and --rescueJobsFrequency (FEATURES 4.6): overlong jobs are killed and retried."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from workflows.harness import FAST, describe, events, kill_group, names, pid_alive, run, start_to_files, wait_for

SLOW_START = Path(__file__).resolve().parents[1] / "faults" / "workflows" / "slow_start.py"


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


def _fork_servers(leader_pid):
    """The leader's fork servers: started as a fresh interpreter (its command line names the module) or
    forked from the leader (the same command line as the leader's)."""
    import psutil

    leader = psutil.Process(leader_pid)
    return [p for p in leader.children()
            if "fork_server" in " ".join(p.cmdline()) or p.cmdline() == leader.cmdline()]


def test_workflow_survives_the_death_of_the_fork_server(tmp_path):

    out = tmp_path / "out"
    out.mkdir()
    leader = start_to_files("sleeper.py", tmp_path / "js", "--out", out, "--seconds", "2", "--retryCount", "2",
                            "--maxCores", "2", *FAST, tmp_path=tmp_path)
    try:
        wait_for(lambda: "long" in names(events(out), "start"), 60, "the long job to start")
        servers = _fork_servers(leader.pid)
        assert servers, "no fork server found"
        for server in servers:
            server.kill()
        leader.wait(timeout=30)
    finally:
        kill_group(leader)
        leader.wait()
    assert leader.returncode == 0, (tmp_path / "leader.err").read_text()[-5000:]
    assert "after_long" in names(events(out), "end")


def test_jobs_of_a_dead_fork_server_do_not_run_twice(tmp_path):

    out = tmp_path / "out"
    out.mkdir()
    leader = start_to_files("sleeper.py", tmp_path / "js", "--out", out, "--seconds", "2", "--retryCount", "2",
                            "--maxCores", "2", *FAST, tmp_path=tmp_path)
    try:
        wait_for(lambda: "long" in names(events(out), "start"), 60, "the long job to start")
        servers = _fork_servers(leader.pid)
        assert servers, "no fork server found"
        for server in servers:
            server.kill()
        leader.wait(timeout=30)
    finally:
        kill_group(leader)
        leader.wait()
    assert leader.returncode == 0, (tmp_path / "leader.err").read_text()[-5000:]
    # The lost attempt must not go on running (and committing) next to its retry.
    assert names(events(out), "end").count("long") == 1, events(out)


def _kill_leader_while_the_long_job_runs(tmp_path, whole_group):
    out = tmp_path / "out"
    out.mkdir()
    leader = start_to_files("sleeper.py", tmp_path / "js", "--out", out, "--seconds", "60", "--maxCores", "2",
                            *FAST, tmp_path=tmp_path)
    try:
        wait_for(lambda: "long" in names(events(out), "start"), 60, "the long job to start")
        long_pid = next(int(e[2]) for e in events(out) if e[:2] == ["start", "long"])
        if whole_group:
            kill_group(leader)
        else:
            os.kill(leader.pid, signal.SIGKILL)
        leader.wait(timeout=30)
        # The job must not go on (and commit) without its leader: it dies with it.
        wait_for(lambda: not pid_alive(long_pid), 20, "the job of the killed leader to die")
    finally:
        kill_group(leader)
        leader.wait()
    assert "long" not in names(events(out), "end")


def test_jobs_die_with_a_sigkilled_leader(tmp_path):
    """Only the leader is killed: its fork server sees it go and kills its jobs."""
    _kill_leader_while_the_long_job_runs(tmp_path, whole_group=False)


def test_jobs_die_with_a_sigkilled_leader_and_fork_server(tmp_path):
    """Leader and fork server are killed at once: the jobs get SIGKILL from the kernel."""
    _kill_leader_while_the_long_job_runs(tmp_path, whole_group=True)


def test_max_job_duration_does_not_count_fork_server_start_up(tmp_path):
    # The fork server imports the workflow's module (here: 4 s) before it can fork the first
    # job, which itself runs for 0.2 s: well within --maxJobDuration 3.
    out = tmp_path / "out"
    out.mkdir()
    proc = run(SLOW_START, tmp_path / "js", "--out", out, "--import-seconds", "4", "--maxJobDuration", "3",
               "--retryCount", "0", *FAST, tmp_path=tmp_path, timeout=90)
    assert proc.returncode == 0, describe(proc)
    assert "more than the max job duration" not in proc.stderr
    assert names(events(out), "end") == ["root"]


SHELL_LEADER = """
import sys, time
from toil_core.batch.single_machine import SingleMachineBatchSystem
from toil_core.common.config import Config
from toil_core.workflow.options import get_default_options
from toil_core.job.description import JobDescription

options = get_default_options(sys.argv[1] + "/js")
options.workDir = sys.argv[1]
config = Config()
config.setOptions(options)
system = SingleMachineBatchSystem(config, 1, 1 << 30, 1 << 30)
system.issueBatchJob("echo $$ > " + sys.argv[1] + "/job.pid; exec sleep 60",
                     JobDescription(jobName="shell", cores=0.5, memory=1 << 20, disk=1 << 20))
time.sleep(600)
"""


def test_shell_jobs_die_with_a_sigkilled_leader(tmp_path):
    """Commands that are not Toil workers (run through the shell) die with their leader too."""
    import subprocess
    import sys

    leader = subprocess.Popen([sys.executable, "-c", SHELL_LEADER, str(tmp_path)], start_new_session=True)
    try:
        pid_file = tmp_path / "job.pid"
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), 30, "the shell job to start")
        job_pid = int(pid_file.read_text())
        assert pid_alive(job_pid)
        os.kill(leader.pid, signal.SIGKILL)
        leader.wait(timeout=30)
        wait_for(lambda: not pid_alive(job_pid), 20, "the shell job of the killed leader to die")
    finally:
        kill_group(leader)
        leader.wait()
