"""Stopping a running leader (FEATURES 4.7): the job store kill flag and SIGTERM.

In both cases the leader exits promptly with a non-zero status and takes its workers with it.
"""
from __future__ import annotations

import os
import signal

from workflows.harness import FAST, events, names, ok, pid_alive, run, start, wait_for


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # Zombies still count for killpg; look for a live member.
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                return True
    return False


def _start_long_workflow(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    leader = start("sleeper.py", tmp_path / "js", "--out", out, "--seconds", "60", "--maxCores", "2", *FAST,
                   tmp_path=tmp_path)
    try:
        wait_for(lambda: "long" in names(events(out), "start"), 60, "the long job to start")
    except AssertionError:
        leader.kill()
        raise AssertionError("long job never started\n" + leader.communicate()[1][-5000:])
    long_pid = next(int(e[2]) for e in events(out) if e[:2] == ["start", "long"])
    return leader, out, long_pid


#: How long a stopped leader may take to exit (--kill_polling_interval 1; generous for a loaded machine).
STOP_DEADLINE = 20


def _wait_exit(leader, timeout=STOP_DEADLINE):
    """The leader's stderr once it has exited; fails (and kills it) if it runs past ``timeout``."""
    try:
        _, err = leader.communicate(timeout=timeout)
    except Exception:
        os.killpg(leader.pid, signal.SIGKILL)
        _, err = leader.communicate()
        raise AssertionError(f"leader did not stop within {timeout} s\n" + err[-5000:])
    return err


def test_kill_flag_stops_the_leader(tmp_path):
    from toil_core.jobstores.locator import open_job_store

    leader, out, long_pid = _start_long_workflow(tmp_path)
    open_job_store(str(tmp_path / "js")).write_kill_flag(kill=True)
    err = _wait_exit(leader)
    assert leader.returncode not in (0, None)
    assert "Received kill via job store. Shutting down." in err
    wait_for(lambda: not pid_alive(long_pid), 5, "the running job to be killed")
    assert not _group_alive(leader.pid)  # the fork server is gone too
    assert "long" not in names(events(out), "end")
    assert (tmp_path / "js").is_dir()  # kept: the workflow can be restarted


def test_restart_after_kill_flag(tmp_path):
    from toil_core.jobstores.locator import open_job_store

    leader, out, _ = _start_long_workflow(tmp_path)
    wait_for(lambda: "short" in names(events(out), "end"), 30, "the short job to finish")
    open_job_store(str(tmp_path / "js")).write_kill_flag(kill=True)
    _wait_exit(leader)
    (out / "wake").touch()
    ok(run("sleeper.py", tmp_path / "js", "--restart", "--out", out, *FAST, tmp_path=tmp_path))
    started = names(events(out), "start")
    assert started.count("root") == 1 and started.count("short") == 1
    assert started.count("long") == 2 and started.count("after_long") == 1


def test_sigterm_stops_the_leader(tmp_path):
    leader, out, long_pid = _start_long_workflow(tmp_path)
    os.kill(leader.pid, signal.SIGTERM)  # the leader only, not its process group
    err = _wait_exit(leader)
    assert leader.returncode not in (0, None)
    wait_for(lambda: not pid_alive(long_pid), 5, "the running job to be killed")
    assert not _group_alive(leader.pid)
    assert "long" not in names(events(out), "end")
    assert "Finished toil run successfully." not in err


def test_sigint_stops_the_leader(tmp_path):
    leader, out, long_pid = _start_long_workflow(tmp_path)
    os.kill(leader.pid, signal.SIGINT)  # Ctrl-C
    _wait_exit(leader)
    assert leader.returncode not in (0, None)
    wait_for(lambda: not pid_alive(long_pid), 5, "the running job to be killed")
    assert not _group_alive(leader.pid)
    assert (tmp_path / "js").is_dir()
