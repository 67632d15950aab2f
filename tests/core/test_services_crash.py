"""A leader killed while a service runs: --restart starts the service again and finishes cleanly."""
from __future__ import annotations

import signal

from workflows.harness import FAST, describe, events, kill_group, names, ok, pid_alive, result_line, run, start_to_files, wait_for


def test_restart_after_leader_killed_during_service(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    args = ("--out", out, "--mode", "wake_user", "--maxCores", "2", "--retryCount", "0", *FAST)
    leader = start_to_files("services.py", tmp_path / "js", *args, tmp_path=tmp_path)
    try:
        wait_for(lambda: "sleepy" in names(events(out), "start"), 60, "the service's user to start")
    finally:
        kill_group(leader, signal.SIGKILL)
        leader.wait()
    assert leader.returncode == -signal.SIGKILL
    assert names(events(out), "svc_start") == ["S"]
    assert names(events(out), "svc_stop") == []
    # The service process dies with its leader (like on a crashed machine, it gets no chance to
    # stop) rather than running on next to the instance the restarted leader starts.
    first_pid = int(next(e[2] for e in events(out) if e[0] == "svc_start"))
    wait_for(lambda: not pid_alive(first_pid), 20, "the service of the killed leader to die")
    (out / "wake").touch()
    proc = ok(run("services.py", tmp_path / "js", "--restart", *args, tmp_path=tmp_path, timeout=60))
    assert result_line(proc) == "value-of-S"
    evts = events(out)
    # The service ran again for the restarted leader, and that instance was stopped.
    assert len(names(evts, "svc_start")) == 2
    service_pids = {int(e[2]) for e in evts if e[0] == "svc_start"}
    wait_for(lambda: not any(pid_alive(p) for p in service_pids), 10, "every service process to end")
    assert [int(e[2]) for e in evts if e[0] == "svc_stop"] == [int(e[2]) for e in evts if e[0] == "svc_start"][1:]
    assert not (out / "S.running").exists()
    assert not (tmp_path / "js").exists(), describe(proc)


def test_restart_after_failure_restarts_the_services(tmp_path):
    # A user of S fails; S is stopped. After the fix, --restart must start S again for the client's
    # remaining successors (the failed user and the client's follow-on).
    out = tmp_path / "out"
    out.mkdir()
    args = ("--out", out, "--mode", "restartable_client", "--maxCores", "2", "--retryCount", "0", *FAST)
    first = run("services.py", tmp_path / "js", *args, tmp_path=tmp_path, timeout=60)
    assert first.returncode == 1, describe(first)
    evts = events(out)
    assert names(evts, "svc_start") == ["S"] and names(evts, "svc_stop") == ["S"]
    assert names(evts, "end") == ["steady"]
    (out / "fixed").touch()
    second = ok(run("services.py", tmp_path / "js", "--restart", *args, tmp_path=tmp_path, timeout=60))
    assert result_line(second) == "after"
    evts = events(out)
    assert names(evts, "svc_start") == ["S", "S"] and names(evts, "svc_stop") == ["S", "S"]
    assert names(evts, "start").count("steady") == 1  # finished before: not rerun
    assert names(evts, "end") == ["steady", "fixable", "after"]
