"""Real workflows with ``--batchSystem kubernetes``: every job runs in a pod of the appliance
image, the ``file:`` job store on the host path the pods share with the leader."""
from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from k8s_cluster import REPO, Cluster

WORKFLOWS = Path(__file__).resolve().parent / "workflows"


@pytest.fixture
def shared(k8s_shared: Path) -> Iterator[Path]:
    path = k8s_shared / f"wf-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_workflow(script: Path, shared: Path, k8s_shared: Path, *args: str,
                 timeout: float = 600) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, str(script), f"file:{shared / 'jobstore'}", "--batchSystem", "kubernetes",
                           "--kubernetesHostPath", str(k8s_shared), "--logLevel", "INFO", *args],
                          cwd=str(shared), capture_output=True, text=True, timeout=timeout)


def describe(proc: Any) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-8000:]}"


def pod_jobs_left(k8s: Cluster) -> List[str]:
    out = k8s.kubectl("get", "jobs", "-o", "name").stdout
    return [line for line in out.splitlines() if line.strip()]


def test_hello_world(k8s: Cluster, shared: Path, k8s_shared: Path) -> None:
    proc = run_workflow(REPO / "examples" / "helloWorld.py", shared, k8s_shared)
    assert proc.returncode == 0, describe(proc)
    assert "Hello, world!, here's a message: You did it!" in proc.stdout, describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    assert pod_jobs_left(k8s) == [], "the run left Kubernetes jobs behind"


def test_children_promises_and_files_run_in_pods(k8s: Cluster, shared: Path, k8s_shared: Path) -> None:
    proc = run_workflow(WORKFLOWS / "pods_and_files.py", shared, k8s_shared)
    assert proc.returncode == 0, describe(proc)
    assert "sum of lengths: 28" in proc.stdout, describe(proc)  # 2 * (5 + 4 + 5)
    hosts = next(line for line in proc.stdout.splitlines() if line.startswith("hosts: ")).split()[1:]
    assert len(hosts) == 4
    assert all("-toil-" in host for host in hosts), f"a job did not run in a pod: {hosts}"
    assert len(set(hosts)) == 4, f"the jobs should run in four different pods: {hosts}"
    assert pod_jobs_left(k8s) == []
