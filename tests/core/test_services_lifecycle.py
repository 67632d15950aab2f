"""Services (manual 12.14, FEATURES 4.5): started before the client's successors, stopped after them."""
from __future__ import annotations

import time

from workflows.harness import FAST, describe, events, index, names, ok, result_line, run


def _run(tmp_path, mode, *extra, timeout=60):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    proc = run("services.py", tmp_path / "js", "--out", out, "--mode", mode, "--maxCores", "2",
               "--retryCount", "0", *FAST, *extra, tmp_path=tmp_path, timeout=timeout)
    return proc, events(out)


def _assert_service_brackets(evts, service, users):
    started = index(evts, "svc_start", service)
    stopped = index(evts, "svc_stop", service)
    for user in users:
        assert started < index(evts, "start", user) < index(evts, "end", user) < stopped, (user, evts)


def test_service_runs_around_client_successors(tmp_path):
    proc, evts = _run(tmp_path, "static_basic")
    ok(proc)
    # c1, its child and the client's follow-on all saw the service running and got its value.
    _assert_service_brackets(evts, "S", ["c1", "c2", "c1_child", "f"])
    for e in evts:
        if e[0] == "start":
            assert e[2:] == ["value-of-S"], e
    assert names(evts, "svc_start") == ["S"] and names(evts, "svc_stop") == ["S"]
    assert not (tmp_path / "out" / "S.running").exists()


def test_service_added_at_run_time_and_start_value_promise(tmp_path):
    proc, evts = _run(tmp_path, "dynamic_basic")
    ok(proc)
    assert result_line(proc) == "value-of-S"  # the client returned the promise of start()'s value
    # The client's own run() comes before the service; its successors run inside the service's life.
    assert index(evts, "end", "root") < index(evts, "svc_start", "S")
    _assert_service_brackets(evts, "S", ["c1", "c1_child", "f"])


def test_service_tree_starts_parents_first(tmp_path):
    proc, evts = _run(tmp_path, "tree")
    ok(proc)  # each child service raises in start() if its parent service is not running
    assert index(evts, "svc_start", "P") < index(evts, "svc_start", "C") < index(evts, "svc_start", "G")
    for service in ("P", "C", "G"):
        _assert_service_brackets(evts, service, ["u"])
    start_u = next(e for e in evts if e[:2] == ["start", "u"])
    assert start_u[2:] == ["value-of-P", "value-of-C", "value-of-G"]


def test_max_service_jobs_queues_services_of_different_clients(tmp_path):
    proc, evts = _run(tmp_path, "sibling_clients", "--maxServiceJobs", "1")
    ok(proc)
    # One service at a time: the second starts only after the first stopped.
    first, second = names(evts, "svc_start")
    assert sorted([first, second]) == ["A", "B"]
    assert index(evts, "svc_stop", first) < index(evts, "svc_start", second)
    _assert_service_brackets(evts, "A", ["uA"])
    _assert_service_brackets(evts, "B", ["uB"])


def test_services_of_different_clients_overlap_without_limit(tmp_path):
    proc, evts = _run(tmp_path, "sibling_clients")
    ok(proc)
    # Each client's user sleeps 0.5 s; with no limit both services run at the same time.
    assert index(evts, "svc_start", "A") < index(evts, "svc_stop", "B")
    assert index(evts, "svc_start", "B") < index(evts, "svc_stop", "A")


def test_service_that_fails_to_start_fails_the_workflow(tmp_path):
    proc, evts = _run(tmp_path, "failing_start", timeout=40)
    assert proc.returncode == 1, describe(proc)
    assert "service S cannot start" in proc.stderr
    assert "Failed jobs at end of the run" in proc.stderr
    assert "u" not in names(evts, "start")  # the client's successors never ran


def test_failing_user_stops_the_services(tmp_path):
    began = time.time()
    proc, evts = _run(tmp_path, "failing_user", timeout=40)
    assert proc.returncode == 1, describe(proc)
    assert time.time() - began < 30
    assert "user job bad fails on purpose" in proc.stderr
    assert "never" not in names(evts, "start")
    assert names(evts, "end") == ["good"]  # the other user still finished
    assert names(evts, "svc_stop") == ["S"]  # and the service was stopped properly
    assert index(evts, "end", "good") < index(evts, "svc_stop", "S")


def test_failure_in_another_branch_leaves_services_alone(tmp_path):
    # The service starts (slowly) after an unrelated job failed completely; it must still serve its
    # client's successors and be stopped normally.
    proc, evts = _run(tmp_path, "failure_elsewhere", timeout=40)
    assert proc.returncode == 1, describe(proc)
    assert "bad fails on purpose" in proc.stderr
    _assert_service_brackets(evts, "S", ["u"])
    assert "user job" not in proc.stderr and "is not running" not in proc.stderr


def test_slow_service_stop_is_not_a_deadlock(tmp_path):
    # Only the service runs while its stop() takes 5 s; that is not a deadlock (--deadlockWait 2).
    proc, evts = _run(tmp_path, "slow_stop")
    ok(proc)
    assert "Potential deadlock detected" not in proc.stderr
    _assert_service_brackets(evts, "S", ["u"])


def test_service_crashing_while_in_use_fails_the_workflow(tmp_path):
    # Manual 12.14: if check() raises, "the service is killed and an error is reported".
    proc, evts = _run(tmp_path, "check_raises", "--retryCount", "1", timeout=40)
    assert proc.returncode == 1, describe(proc)
    assert "service S crashed" in proc.stderr
    end = next(line for line in proc.stderr.splitlines() if "Failed jobs at end of the run" in line)
    assert "Crashing" in end, end
    assert names(evts, "end") == ["u"]  # the user already running was left to finish
    assert "never" not in names(evts, "start")  # but the client's next phase never started
    assert names(evts, "svc_start") == ["S"]  # a service that was in use is not restarted
    assert names(evts, "svc_stop") == ["S"]  # stop() ran when the service failed


def test_checkpoint_with_service_is_rerun(tmp_path):
    proc, evts = _run(tmp_path, "checkpoint_service", "--retryCount", "1")
    ok(proc)
    assert result_line(proc) == "value-of-S"
    assert names(evts, "start").count("cp") == 2
    assert len(names(evts, "svc_start")) == 2  # the service was started again for the new run
    # The first run's service was stopped properly (stop() ran) before the checkpoint reran.
    assert len(names(evts, "svc_stop")) == 2
    first_stop = index(evts, "svc_stop", "S")
    assert first_stop < [i for i, e in enumerate(evts) if e[:2] == ["start", "cp"]][1]
    assert names(evts, "end") == ["user"]
    last_start = max(i for i, e in enumerate(evts) if e[0] == "svc_start")
    last_stop = max(i for i, e in enumerate(evts) if e[0] == "svc_stop")
    assert last_start < index(evts, "end", "user") < last_stop


def test_checkpoint_with_service_without_retries_fails(tmp_path):
    proc, evts = _run(tmp_path, "checkpoint_service", "--retryCount", "0", timeout=40)
    assert proc.returncode == 1, describe(proc)
    assert names(evts, "start").count("cp") == 1
    assert names(evts, "svc_stop") == ["S"]  # the service was stopped after its user failed


def test_checkpoint_with_service_is_rerun_under_max_service_jobs(tmp_path):
    # The first run's service is killed by the checkpoint restart: its slot must be free again.
    proc, evts = _run(tmp_path, "checkpoint_service", "--retryCount", "1", "--maxServiceJobs", "1", timeout=40)
    ok(proc)
    assert names(evts, "start").count("cp") == 2
    assert len(names(evts, "svc_start")) == 2


def test_service_crash_under_a_checkpoint_reruns_the_checkpoint(tmp_path):
    proc, evts = _run(tmp_path, "checkpoint_crashing_service", "--retryCount", "1", timeout=40)
    ok(proc)
    assert result_line(proc) == "value-of-S"
    assert names(evts, "start").count("cp") == 2
    assert names(evts, "start").count("user") == 2  # the first user was killed with its subtree
    assert names(evts, "end") == ["user"]
    assert "is being restarted as a checkpoint" in proc.stderr


def test_join_below_a_failed_job_stops_the_other_parents_services(tmp_path):
    # C waits for A (failed) and B (a service client): C never runs, S is stopped, the run ends.
    proc, evts = _run(tmp_path, "join_after_failure", timeout=40)
    assert proc.returncode == 1, describe(proc)
    assert "c" not in names(evts, "start")
    assert names(evts, "svc_start") == ["S"] and names(evts, "svc_stop") == ["S"]
    assert "Potential deadlock" not in proc.stderr
