"""Crash safety: SIGKILL the leader mid-workflow, then --restart finishes it without redoing work.

The leader is started in its own session and its whole process group is SIGKILLed (the leader and
its fork server). Each job records "start" and "done" lines (with its pid and the time) outside the
job store. A job that had recorded "done" well before the kill (its worker had time to commit it)
must not run again; a job that was running when the leader died may legitimately run twice.
"""
from __future__ import annotations

import collections
import os
import signal
import time

import pytest

from workflows.harness import FAST, describe, events, kill_group, ok, pid_alive, result_line, run, start_to_files, wait_for

JOBS = 30
EXPECTED = sum(2 * i for i in range(JOBS))
#: A worker commits a finished job within this many seconds of the job's "done" line.
COMMIT_MARGIN = 0.5


def _done(evts, prefix=""):
    return [e for e in evts if e[0] == "done" and e[1].startswith(prefix)]


def _crash_and_restart(tmp_path, kill_when, kill_jobs_too, extra_args=()):
    out = tmp_path / "out"
    out.mkdir()
    args = ("--out", out, "--jobs", JOBS, "--maxCores", "2", "--defaultCores", "0.5", *FAST, *extra_args)
    leader = start_to_files("fanout.py", tmp_path / "js", *args, tmp_path=tmp_path)
    try:
        wait_for(lambda: kill_when(events(out)), 60, "the workflow to get going")
    except AssertionError:
        kill_group(leader)
        leader.wait()
        raise AssertionError("workflow did not progress\n" + (tmp_path / "leader.err").read_text()[-5000:])
    kill_time = time.time()
    kill_group(leader, signal.SIGKILL)
    job_pids = {int(e[2]) for e in events(out) if e[0] == "start"}
    if kill_jobs_too:  # like a machine crash: the jobs die with the leader
        for pid in job_pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    leader.wait()
    assert leader.returncode == -signal.SIGKILL
    # Whatever survived the leader must end by itself (orphaned jobs finish their short sleep).
    wait_for(lambda: not any(pid_alive(p) for p in job_pids), 20, "orphaned job processes to end")
    before = events(out)
    finished_before = {e[1] for e in _done(before) if float(e[3]) < kill_time - COMMIT_MARGIN}
    assert "total" not in {e[1] for e in _done(before)}, "the workflow finished before the kill"

    proc = ok(run("fanout.py", tmp_path / "js", "--restart", *args, tmp_path=tmp_path, timeout=90))
    assert result_line(proc) == str(EXPECTED)
    after = events(out)
    starts = collections.Counter(e[1] for e in after if e[0] == "start")
    dones = collections.Counter(e[1] for e in _done(after))
    every = {"root", "total"} | {f"work-{i}" for i in range(JOBS)} | {f"post-{i}" for i in range(JOBS)}
    assert set(dones) == every
    for name in finished_before:
        assert starts[name] == 1 and dones[name] == 1, (name, starts[name], dones[name])
    # Nothing ran more than twice, and jobs that never started before the kill ran exactly once.
    started_before = {e[1] for e in before if e[0] == "start"}
    for name in every:
        assert dones[name] <= 2, (name, dones[name])
        if name not in started_before:
            assert starts[name] == 1, name
    assert not (tmp_path / "js").exists()
    return finished_before


def _work_done(n):
    return lambda evts: len(_done(evts, "work-")) >= n


def _post_done(n):
    return lambda evts: len(_done(evts, "post-")) >= n


def test_kill_leader_during_fan_out(tmp_path):
    finished = _crash_and_restart(tmp_path, _work_done(JOBS // 3), kill_jobs_too=False)
    assert "root" in finished  # the root job's completion survived the crash
    assert [n for n in finished if n.startswith("work-")]


def test_kill_leader_and_jobs_during_fan_out(tmp_path):
    _crash_and_restart(tmp_path, _work_done(JOBS // 3), kill_jobs_too=True)


def test_kill_leader_of_an_encrypted_store(tmp_path):
    """The same guarantees on a job store encrypted with --sseKey (toil-core[encryption])."""
    pytest.importorskip("cryptography", reason="toil-core[encryption] is a test dependency; install it")
    key = tmp_path / "key"
    key.write_text(os.urandom(16).hex() + "\n")
    finished = _crash_and_restart(tmp_path, _work_done(JOBS // 3), kill_jobs_too=True,
                                  extra_args=("--sseKey", key))
    assert [n for n in finished if n.startswith("work-")]


def test_kill_leader_late_in_the_workflow(tmp_path):
    _crash_and_restart(tmp_path, _post_done(2 * JOBS // 3), kill_jobs_too=False)


def test_kill_leader_right_after_start(tmp_path):
    # Killed while the root job runs: the restart reruns at most the root and finishes.
    _crash_and_restart(tmp_path, lambda evts: any(e[0] == "start" and e[1] == "root" for e in evts),
                       kill_jobs_too=True)


def test_restart_after_leader_died_before_saving_the_root_job(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    first = run("fanout.py", tmp_path / "js", "--out", out, "--die-before-start", tmp_path=tmp_path)
    assert first.returncode == -signal.SIGKILL
    assert (tmp_path / "js").is_dir()
    second = run("fanout.py", tmp_path / "js", "--out", out, "--restart", tmp_path=tmp_path)
    assert second.returncode != 0
    assert "nothing to restart" in second.stderr, describe(second)
    assert "already been completed" not in second.stderr
    assert events(out) == []


def test_repeated_crashes_converge(tmp_path):
    """Kill leader and jobs three times at different points; each restart keeps the earlier work."""
    out = tmp_path / "out"
    out.mkdir()
    args = ("--out", out, "--jobs", JOBS, "--maxCores", "2", "--defaultCores", "0.5", *FAST)
    kill_times = []
    for cycle, more in enumerate((5, 12, 12)):
        seen = len(_done(events(out)))
        extra = ("--restart",) if cycle else ()
        leader = start_to_files("fanout.py", tmp_path / "js", *extra, *args, tmp_path=tmp_path, name=f"leader{cycle}")
        try:
            wait_for(lambda: len(_done(events(out))) >= seen + more, 60, f"progress in cycle {cycle}")
        finally:
            kill_times.append(time.time())
            kill_group(leader)
            for pid in {int(e[2]) for e in events(out) if e[0] == "start"}:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            leader.wait()
        assert "total" not in {e[1] for e in _done(events(out))}
    proc = ok(run("fanout.py", tmp_path / "js", "--restart", *args, tmp_path=tmp_path, timeout=90))
    assert result_line(proc) == str(EXPECTED)
    evts = events(out)
    first_done = {}
    for e in _done(evts):
        first_done.setdefault(e[1], float(e[3]))
    assert len(first_done) == 2 * JOBS + 2
    for e in evts:
        if e[0] != "start" or e[1] not in first_done or float(e[3]) < first_done[e[1]]:
            continue
        # A rerun after a recorded completion is only allowed if a crash came right after it.
        t_done = first_done[e[1]]
        assert any(t_done <= k <= t_done + COMMIT_MARGIN for k in kill_times), (e, t_done, kill_times)
