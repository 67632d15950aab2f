"""How the kubernetes batch system reports what goes wrong, on the real cluster: a failing job
(exit code and pod log), a job over its memory limit (OOMKilled), an image that does not exist
(fails after the pod timeout with the reason), and bad set-ups (no cluster, an unreachable or
refusing API server, a missing security-context file), each one clear message."""
from __future__ import annotations

import logging
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import yaml
from k8s_cluster import REPO, Cluster
from toil_core.testing import make_config, make_job_description

from toil_k8s.batch_system import KubernetesBatchSystem
from toil_k8s.connection import KubernetesSetupError


def make(shared: Path, **values: Any) -> KubernetesBatchSystem:
    config = make_config(shared / f"work-{uuid.uuid4().hex[:6]}", batchSystem="kubernetes",
                         kubernetes_host_path=str(shared), **values)
    return KubernetesBatchSystem(config, 2, 2 * 2**30, 2 * 2**30)


@pytest.fixture
def batch(k8s: Cluster, k8s_shared: Path) -> Iterator[KubernetesBatchSystem]:
    system = make(k8s_shared, kubernetes_pod_timeout=20)
    yield system
    system.shutdown()


def wait_for(system: KubernetesBatchSystem, job_id: int, timeout: float = 120) -> Any:
    """The update of one job; those of other jobs that come first are kept for their own wait."""
    early: Dict[int, Any] = system.__dict__.setdefault("_test_early_updates", {})
    if job_id in early:
        return early.pop(job_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        update = system.getUpdatedBatchJob(1)
        if update is None:
            continue
        if update.jobID == job_id:
            return update
        early[update.jobID] = update
    pytest.fail(f"job {job_id} was not reported within {timeout} s")


def test_failing_job_reports_exit_code_and_pod_log(batch: KubernetesBatchSystem, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="toil_k8s")
    job_id = batch.issueBatchJob("echo 'about to fail: marker 4711' && exit 3", make_job_description())
    update = wait_for(batch, job_id)
    assert update.exitStatus == 3
    assert update.exitReason.name == "FAILED"
    assert "about to fail: marker 4711" in caplog.text, "the failed pod's log is not in the leader's log"


def test_job_over_its_memory_is_reported_out_of_memory(batch: KubernetesBatchSystem, caplog: Any) -> None:
    hog = "python3 -c 'import time; block = b\"x\" * (600 * 2**20); time.sleep(5)'"
    job_id = batch.issueBatchJob(hog, make_job_description(memory=100 * 2**20))
    update = wait_for(batch, job_id)
    assert update.exitStatus != 0
    assert update.exitReason.name == "MEMLIMIT", update
    assert "ran out of memory" in caplog.text


def test_missing_image_fails_after_the_pod_timeout(k8s: Cluster, k8s_shared: Path, monkeypatch: Any,
                                                  caplog: Any) -> None:
    monkeypatch.setenv("TOIL_APPLIANCE_SELF", "localhost/no-such-image:404")
    system = make(k8s_shared, kubernetes_pod_timeout=5)
    try:
        job_id = system.issueBatchJob("true", make_job_description())
        update = wait_for(system, job_id)
    finally:
        system.shutdown()
    assert update.exitStatus != 0
    assert update.exitReason.name == "ERROR"
    assert "did not start within 5 s" in caplog.text
    assert "ImagePullBackOff" in caplog.text or "ErrImagePull" in caplog.text, caplog.text


def test_shutdown_removes_every_job_of_the_run(k8s: Cluster, k8s_shared: Path) -> None:
    system = make(k8s_shared)
    for _ in range(3):
        system.issueBatchJob("sleep 60", make_job_description(cores=0.1))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(system.getRunningBatchJobIDs()) < 1:
        time.sleep(0.2)
    system.shutdown()
    out = k8s.kubectl("get", "jobs,pods", "-l", system.selector, "-o", "name").stdout
    assert out.strip() == "", f"left behind: {out}"


def test_jobs_wait_in_the_batch_systems_queue_until_the_cluster_has_room(k8s: Cluster, k8s_shared: Path) -> None:
    """Three jobs of which only two fit on the node at once: the third stays in the batch system's
    own queue (no Job is created for it, so no pod sits Pending) until one ends, then runs."""
    from toil_k8s.capacity import parse_quantity

    allocatable = parse_quantity(k8s.kubectl("get", "nodes", "-o", "jsonpath={.items[0].status.allocatable.cpu}").stdout)
    cores = float(allocatable) * 0.4  # two fit (80 %), three do not (120 %)
    system = make(k8s_shared)
    try:
        ids = [system.issueBatchJob("sleep 8", make_job_description(cores=cores, memory=50 * 2**20))
               for _ in range(3)]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(system.getRunningBatchJobIDs()) < 2:
            time.sleep(0.2)
        assert len(system.getRunningBatchJobIDs()) == 2
        created = k8s.kubectl("get", "jobs", "-l", system.selector, "-o", "name").stdout.split()
        assert len(created) == 2, f"the job that does not fit should wait in the batch system, not as {created}"
        assert "1 jobs are waiting for room" in (system.getSchedulingStatusMessage() or "")
        updates = [wait_for(system, job_id) for job_id in ids]
    finally:
        system.shutdown()
    assert [u.exitStatus for u in updates] == [0, 0, 0]
    assert system.getSchedulingStatusMessage() is None


# ---------------------------------------------------------------------- bad set-ups
def run_hello(shared: Path, env: dict, *args: str) -> "subprocess.CompletedProcess[str]":
    import os

    return subprocess.run([sys.executable, str(REPO / "examples" / "helloWorld.py"), f"file:{shared / 'js'}",
                           "--batchSystem", "kubernetes", *args], cwd=str(shared), capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)


def assert_one_clear_line(proc: Any, *phrases: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    for phrase in phrases:
        assert phrase in proc.stderr, proc.stderr


def test_no_kubeconfig_and_not_in_a_cluster(tmp_path: Path) -> None:
    proc = run_hello(tmp_path, {"KUBECONFIG": str(tmp_path / "missing"), "TOIL_APPLIANCE_SELF": "img:1",
                                "KUBERNETES_SERVICE_HOST": ""})
    assert_one_clear_line(proc, "No Kubernetes cluster to run on", "Set KUBECONFIG")


def _kubeconfig_variant(k8s: Cluster, tmp_path: Path, **changes: Any) -> Path:
    data = yaml.safe_load(k8s.kubeconfig.read_text())
    if "server" in changes:
        data["clusters"][0]["cluster"]["server"] = changes["server"]
    if "token" in changes:
        data["users"][0]["user"] = {"token": changes["token"]}
    if "namespace" in changes:
        data["contexts"][0]["context"]["namespace"] = changes["namespace"]
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(data))
    return path


def test_unreachable_api_server(k8s: Cluster, tmp_path: Path) -> None:
    path = _kubeconfig_variant(k8s, tmp_path, server="https://127.0.0.1:1")
    proc = run_hello(tmp_path, {"KUBECONFIG": str(path)})
    assert_one_clear_line(proc, "Cannot reach the Kubernetes API server at https://127.0.0.1:1")


def test_credentials_the_server_refuses(k8s: Cluster, tmp_path: Path) -> None:
    path = _kubeconfig_variant(k8s, tmp_path, token="not-a-valid-token")
    proc = run_hello(tmp_path, {"KUBECONFIG": str(path)})
    assert_one_clear_line(proc, "refuses to let this user manage Jobs", "HTTP 401")


def test_namespace_that_does_not_exist(k8s: Cluster, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig_variant(k8s, tmp_path, namespace="no-such-namespace")))
    with pytest.raises(KubernetesSetupError, match="namespace 'no-such-namespace' does not exist"):
        make(tmp_path)


def test_missing_security_context_file(k8s: Cluster, tmp_path: Path) -> None:
    proc = run_hello(tmp_path, {}, "--kubernetesSecurityContext", str(tmp_path / "nope.yaml"))
    assert_one_clear_line(proc, "The file given to --kubernetesSecurityContext", "does not exist")


def test_no_appliance_image(k8s: Cluster, tmp_path: Path) -> None:
    proc = run_hello(tmp_path, {"TOIL_APPLIANCE_SELF": ""})
    assert_one_clear_line(proc, "set TOIL_APPLIANCE_SELF")
