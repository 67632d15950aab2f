"""The mesos batch system's scheduling against the Mesos protocol double (mesos_support.py: a
double of the master's v1 scheduler API and the agents' executor API that launches the real
``_toil_mesos_executor``; no real Mesos master installs here): preemptible placement, roles, the
scalable interface the cluster scaler uses, and the offers it declines."""
from __future__ import annotations

import json
import shlex
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from mesos_support import wait_for
from toil_core.plugin_api import BatchJobExitReason, InsufficientSystemResources
from toil_core.testing import make_config, make_job_description

from toil_mesos.batch_system import MesosBatchSystem

PREEMPTIBLE_AGENT = "127.0.1.3"


def make_batch_system(tmp_path: Path, endpoint: str, **settings: Any) -> MesosBatchSystem:
    config = make_config(tmp_path / "work", batchSystem="mesos", mesos_endpoint=endpoint, **settings)
    return MesosBatchSystem(config, 8, 8 * 2**30, 8 * 2**30)


@pytest.fixture
def batch_system(tmp_path: Path, mesos_cluster: Any) -> Iterator[MesosBatchSystem]:
    system = make_batch_system(tmp_path, mesos_cluster.master)
    yield system
    system.shutdown()


def update_of(system: MesosBatchSystem, job_id: int, timeout: float = 60) -> Any:
    return wait_for(lambda: system.getUpdatedBatchJob(0.5), timeout, f"the update of job {job_id}")


def launched_on(cluster: Any, system: MesosBatchSystem, job_id: int) -> str:
    task_id = f"{system._token}-{job_id}"
    entry = wait_for(lambda: next((e for e in cluster.state()["launches"] if e["task_id"] == task_id), None), 30,
                     f"the launch of {task_id}")
    return entry["agent"]


def test_non_preemptible_jobs_never_go_to_a_preemptible_agent(batch_system: MesosBatchSystem, mesos_cluster: Any,
                                                               tmp_path: Path) -> None:
    release = tmp_path / "release"
    hold = f"while [ ! -e {shlex.quote(str(release))} ]; do sleep 0.1; done"
    # four 1-core jobs fill both ordinary agents; the fifth must wait rather than use the preemptible one
    held = [batch_system.issueBatchJob(hold, make_job_description(cores=1)) for _ in range(4)]
    hosts = {launched_on(mesos_cluster, batch_system, j) for j in held}
    assert hosts == {"127.0.1.1", "127.0.1.2"}
    waiting = batch_system.issueBatchJob("true", make_job_description(cores=1))
    preemptible = batch_system.issueBatchJob(hold, make_job_description(cores=1, preemptible=True))
    assert launched_on(mesos_cluster, batch_system, preemptible) == PREEMPTIBLE_AGENT
    task_id = f"{batch_system._token}-{waiting}"
    state = mesos_cluster.state()
    assert all(e["task_id"] != task_id for e in state["launches"])
    assert state["declines"] > 0, "the offers the framework could not use were not declined"
    release.touch()
    assert launched_on(mesos_cluster, batch_system, waiting) in {"127.0.1.1", "127.0.1.2"}
    updates = [update_of(batch_system, j) for j in [*held, waiting, preemptible]]
    assert {u.exitReason for u in updates} == {BatchJobExitReason.FINISHED}


def test_exit_reasons_and_wall_time(batch_system: MesosBatchSystem) -> None:
    ok = batch_system.issueBatchJob("sleep 0.5", make_job_description(cores=0.5))
    failed = batch_system.issueBatchJob("exit 7", make_job_description(cores=0.5))
    missing = batch_system.issueBatchJob("_toil_worker_nonexistent_program_", make_job_description(cores=0.5))
    updates = {u.jobID: u for u in (update_of(batch_system, 0), update_of(batch_system, 1),
                                     update_of(batch_system, 2))}
    assert (updates[ok].exitStatus, updates[ok].exitReason) == (0, BatchJobExitReason.FINISHED)
    assert updates[ok].wallTime >= 0.5
    assert (updates[failed].exitStatus, updates[failed].exitReason) == (7, BatchJobExitReason.FAILED)
    assert (updates[missing].exitStatus, updates[missing].exitReason) == (127, BatchJobExitReason.FAILED)


def test_killed_job_reports_killed_to_nobody_and_its_group_dies(batch_system: MesosBatchSystem,
                                                                tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    job = batch_system.issueBatchJob(f"sleep 300 & echo $! > {shlex.quote(str(pid_file))}; wait",
                                     make_job_description(cores=0.5))
    wait_for(lambda: job in batch_system.getRunningBatchJobIDs() and pid_file.exists()
             and pid_file.read_text().strip(), 30, "the job to start its grandchild")
    grandchild = int(pid_file.read_text())
    batch_system.killBatchJobs([job])
    assert job not in batch_system.getIssuedBatchJobIDs()
    wait_for(lambda: not Path(f"/proc/{grandchild}").exists() or "Z" in
             Path(f"/proc/{grandchild}/stat").read_text().rsplit(")", 1)[1].split()[0], 10,
             "the task's whole process group to die")


def test_a_job_larger_than_every_agent_is_refused(batch_system: MesosBatchSystem) -> None:
    with pytest.raises(InsufficientSystemResources, match="largest non-preemptible agent.*2 cores"):
        batch_system.issueBatchJob("true", make_job_description(cores=3))
    with pytest.raises(InsufficientSystemResources, match="memory"):
        batch_system.issueBatchJob("true", make_job_description(memory=3 * 2**30))
    # a preemptible job may use the preemptible agent, still too small for 3 cores
    with pytest.raises(InsufficientSystemResources, match="largest agent"):
        batch_system.issueBatchJob("true", make_job_description(cores=3, preemptible=True))


def test_scalable_interface(batch_system: MesosBatchSystem, mesos_cluster: Any, tmp_path: Path) -> None:
    nodes = wait_for(lambda: len(batch_system.getNodes()) == 3 and batch_system.getNodes(), 30,
                     "node reports from the executors on all three agents (one task each starts them)"
                     ) if _start_executors(batch_system) else {}
    assert set(nodes) == {"127.0.1.1", "127.0.1.2", PREEMPTIBLE_AGENT}
    assert set(batch_system.getNodes(preemptible=True)) == {PREEMPTIBLE_AGENT}
    assert set(batch_system.getNodes(preemptible=False)) == {"127.0.1.1", "127.0.1.2"}
    for address, info in nodes.items():
        agent = mesos_cluster.agent_state(address)
        assert info.coresTotal == agent["resources"]["cpus"]
        assert info.memoryTotal == agent["resources"]["mem"] * 2**20
        assert 0 <= info.coresUsed <= 1 and 0 <= info.memoryUsed <= 1
    release = tmp_path / "release"
    held = batch_system.issueBatchJob(f"while [ ! -e {shlex.quote(str(release))} ]; do sleep 0.1; done",
                                      make_job_description(cores=2, memory=300 * 2**20))
    host = launched_on(mesos_cluster, batch_system, held)
    assert batch_system.nodeInUse(host)
    info = wait_for(lambda: batch_system.getNodes()[host].workers == 1 and batch_system.getNodes()[host], 10,
                    "the executor to report its worker")
    assert (info.requestedCores, info.requestedMemory) == (2, 300 * 2**20)
    other = ({"127.0.1.1", "127.0.1.2"} - {host}).pop()
    assert not batch_system.nodeInUse(other)
    # an ignored node gets no new job; unignored, it does
    batch_system.ignoreNode(other)
    blocked = batch_system.issueBatchJob("true", make_job_description(cores=2))
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert batch_system.getUpdatedBatchJob(0.2) is None, "a job ran on an ignored node"
    batch_system.unignoreNode(other)
    assert launched_on(mesos_cluster, batch_system, blocked) == other
    release.touch()
    assert {update_of(batch_system, j).jobID for j in (held, blocked)} == {held, blocked}


def _start_executors(system: MesosBatchSystem) -> bool:
    """Executors start with an agent's first task: run a short job on every agent."""
    jobs = [system.issueBatchJob("sleep 1", make_job_description(cores=1, preemptible=True)) for _ in range(5)]
    for job in jobs:
        assert update_of(system, job).exitStatus == 0
    return True


def test_role_is_asked_for_with_multi_role(tmp_path: Path, mesos_cluster: Any) -> None:
    """With --mesosRole the framework subscribes in that role with MULTI_ROLE; the double then
    offers resources allocated to the role and refuses tasks whose resources are not."""
    system = make_batch_system(tmp_path, mesos_cluster.master, mesos_role="toil-tests", mesos_name="toil-role-test")
    try:
        job = system.issueBatchJob("true", make_job_description(cores=0.5))
        assert update_of(system, job).exitStatus == 0
        with urllib.request.urlopen(f"http://{mesos_cluster.master}/master/state") as answer:
            frameworks = json.load(answer)["frameworks"]
        mine = next(f for f in frameworks if f["id"] == system.driver.framework_id)
        assert (mine["roles"], mine["name"]) == (["toil-tests"], "toil-role-test")
    finally:
        system.shutdown()
