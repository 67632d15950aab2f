"""Faults and bad inputs on the mesos batch system, against the Mesos protocol double
(mesos_support.py: a double of the master's v1 scheduler API and the agents' executor API that
runs the real ``_toil_mesos_executor``; no real Mesos master installs here): an agent that dies
mid-task, a master failover, a leader SIGKILLed mid-workflow and restarted (with the fault suite's
counters), and bad inputs that must end in a clear message."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List

import psutil
import pytest
from mesos_support import REPO, WORKFLOWS, MesosCluster, describe, markers, run_python, wait_for

sys.path.insert(0, str(REPO / "tests" / "faults" / "workflows"))
import faultkit  # noqa: E402  (the fault suite's workflow, counters and kill helpers)

WF = WORKFLOWS / "mesos_wf.py"


def finish(proc: subprocess.Popen, cwd: Path, timeout: float = 180) -> Any:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        faultkit.kill_group(proc)
        proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, (cwd / "run.out").read_text(),
                                       (cwd / "run.err").read_text())


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process. A killed task whose parent (the agent) died is re-parented to
    init; an init that does not reap (as in some containers) leaves it a zombie, which is dead."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def start_wf(cluster: MesosCluster, cwd: Path, *args: Any) -> subprocess.Popen:
    (cwd / "markers").mkdir()
    return run_python([WF, f"file:{cwd / 'js'}", "--batchSystem", "mesos", "--mesosEndpoint", cluster.master,
                       "--markerDir", cwd / "markers", *args], cwd=cwd, background=True)


def test_agent_dies_mid_task_and_the_job_is_retried(tmp_path: Path, own_cluster: Callable[..., MesosCluster]) -> None:
    cluster = own_cluster(["1:2048:8192", "1:2048:8192"])
    proc = start_wf(cluster, tmp_path, "--jobs", "1", "--jobCores", "1", "--holdFirst", "--retryCount", "2")
    first = wait_for(lambda: markers(tmp_path / "markers"), 120, "the first attempt to start")[0]
    host = first["agent"].split(":")[0]
    cluster.kill_agent(host)
    result = finish(proc, tmp_path)
    assert result.returncode == 0, describe(result)
    assert "mesos workflow result: 0" in result.stdout
    attempts = markers(tmp_path / "markers")
    assert [a["attempt"] for a in attempts] == [1, 2]
    assert attempts[1]["agent"].split(":")[0] != host
    assert "LOST" in result.stderr, describe(result)
    assert not running(first["pid"]), "the task outlived its agent"


def test_master_failover_keeps_the_tasks(tmp_path: Path, own_cluster: Callable[..., MesosCluster]) -> None:
    cluster = own_cluster()
    proc = start_wf(cluster, tmp_path, "--jobs", "2", "--holdFirst", "--retryCount", "0")
    wait_for(lambda: len(markers(tmp_path / "markers")) == 2, 120, "both jobs to start")
    first_id = cluster.state()["subscriptions"][-1]["framework_id"]
    cluster.restart_master(down=2)
    wait_for(lambda: not cluster.state()["master_up"], 10, "the master to go down")
    resubscribed = wait_for(lambda: [s for s in cluster.state()["subscriptions"] if s["given"] == first_id], 30,
                            "the framework to re-subscribe with its framework ID")
    assert resubscribed[0]["framework_id"] == first_id
    (tmp_path / "markers" / "release").touch()
    result = finish(proc, tmp_path)
    assert result.returncode == 0, describe(result)
    assert "mesos workflow result: 10" in result.stdout
    assert sorted((a["job"], a["attempt"]) for a in markers(tmp_path / "markers")) == [(0, 1), (1, 1)]
    assert cluster.state()["reconciles"] >= 1


WIDTH, SIZE, BIG, SEED = 3, 64 * 1024, 1024 * 1024, 7


def test_leader_sigkilled_then_restart(tmp_path: Path, mesos_cluster: MesosCluster) -> None:
    """The fault suite's workflow and counters: SIGKILL the leader's group after some jobs ended;
    the tasks die with the framework (failover timeout), --restart finishes, nothing recorded as
    done runs again, and the result is a clean run's."""
    js, out = tmp_path / "js", tmp_path / "out"
    out.mkdir()
    args: List[Any] = [*faultkit.QUICK, "--clean", "never", "--width", WIDTH, "--size", SIZE, "--big", BIG,
                       "--seed", SEED, "--batchSystem", "mesos", "--mesosEndpoint", mesos_cluster.master]
    proc = faultkit.start(js, out, args, tmp_path, "leader0")
    info = faultkit.watch_and_kill(proc, js, out, faultkit.Trigger("done", 4))
    assert info is not None, "the workflow ended before the kill"
    lines = faultkit.counter(out)
    survivors = faultkit.wait_gone(faultkit.job_pids(lines), timeout=30)
    assert not survivors, f"Mesos tasks outlived the killed leader's framework: {survivors}"
    recorded = faultkit.completion_recorded(lines, faultkit.stored_jobs(js))
    before = len(lines)
    proc = faultkit.start(js, out, [*args, "--restart"], tmp_path, "leader1")
    assert proc.wait(timeout=180) == 0, (tmp_path / "leader1.err").read_text()[-5000:]
    lines = faultkit.counter(out)
    assert faultkit.result_line(tmp_path / "leader1.out") == faultkit.expected_result(SEED, WIDTH, SIZE, BIG)
    again = {line.name for line in lines[before:] if line.kind == "run"} & set(recorded)
    assert not again, f"{sorted(again)} ran again after their completion was recorded"
    assert {line.name for line in lines if line.kind == "done"} == set(faultkit.faultflow.job_names(WIDTH))
    assert faultkit.stored_jobs(js) == {} and faultkit.tmp_files(js) == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory, mesos_cluster: MesosCluster) -> Dict[str, Any]:
    """Each bad input run once, all at the same time."""
    cases = {
        "unreachable": ["--mesosEndpoint", f"127.0.0.1:{_free_port()}"],
        "zookeeper": ["--mesosEndpoint", "zk://127.0.0.1:2181/mesos"],
        "bad-role": ["--mesosEndpoint", mesos_cluster.master, "--mesosRole=.."],
        "too-large": ["--mesosEndpoint", mesos_cluster.master, "--jobCores", "3", "--maxCores", "16"],
    }
    procs = {}
    for name, args in cases.items():
        cwd = tmp_path_factory.mktemp(name)
        (cwd / "markers").mkdir()
        procs[name] = (cwd, run_python([WF, f"file:{cwd / 'js'}", "--batchSystem", "mesos", "--markerDir",
                                        cwd / "markers", *args], cwd=cwd, background=True,
                                       env={"TOIL_MESOS_REGISTRATION_TIMEOUT": "3"}))
    return {name: (cwd, finish(proc, cwd, 120)) for name, (cwd, proc) in procs.items()}


@pytest.mark.parametrize("case, message", [
    ("unreachable", r"Could not register with the Mesos master at 127\.0\.0\.1:\d+ within 3 s \(Connection"
                    r"RefusedError.*point --mesosEndpoint \(alias --mesosMaster\) at it"),
    ("zookeeper", r"is a ZooKeeper URL, which toil-mesos does not read; give the master as HOST:PORT"),
    ("bad-role", r"refused the framework: Failed to validate FrameworkInfo: Role '\.\.' is invalid"),
    ("too-large", r"requesting 3\.0 cores, more than the maximum of 2\.0 cores that the largest non-preemptible "
                  r"agent of the Mesos cluster at 127\.0\.0\.1:\d+ was configured with"),
])
def test_bad_input_fails_clearly(bad_runs: Dict[str, Any], case: str, message: str) -> None:
    import re

    cwd, result = bad_runs[case]
    assert result.returncode != 0, describe(result)
    assert re.search(message, result.stderr), describe(result)
    assert "Traceback" not in result.stderr, "a user's mistake is reported without a traceback\n" + describe(result)
    assert not markers(cwd / "markers"), "a job ran"
