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


def test_toil_kill_removes_every_pod_of_the_workflow(k8s: Cluster, shared: Path, k8s_shared: Path) -> None:
    import os
    import time

    leader = subprocess.Popen([sys.executable, str(WORKFLOWS / "sleepers.py"), f"file:{shared / 'jobstore'}",
                               "--batchSystem", "kubernetes", "--kubernetesHostPath", str(k8s_shared)],
                              cwd=str(shared), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        running: List[str] = []
        while time.monotonic() < deadline and len(running) < 2:
            out = k8s.kubectl("get", "pods", "-l", "toil_run", "--field-selector=status.phase=Running",
                              "-o", "name").stdout
            running = out.split()
            time.sleep(1)
        assert len(running) >= 2, "the two sleeping jobs never ran in pods"
        toil = os.path.join(os.path.dirname(sys.executable), "toil")
        kill = subprocess.run([toil, "kill", f"file:{shared / 'jobstore'}"], capture_output=True, text=True,
                              timeout=120)
        assert kill.returncode == 0, kill.stderr
        _, err = leader.communicate(timeout=240)
        assert leader.returncode != 0
    finally:
        if leader.poll() is None:
            leader.kill()
            leader.communicate()
    assert k8s.kubectl("get", "jobs,pods", "-l", "toil_run", "-o", "name").stdout.strip() == "", err[-3000:]


def test_sort_example(k8s: Cluster, shared: Path, k8s_shared: Path) -> None:
    """The manual's merge sort (section 2.4), split into a few levels of down/up jobs, all in pods
    (its jobs are preemptible: the spot-node preference must not keep them off this node)."""
    script = REPO / "tests" / "e2e" / "scripts" / "sort.py"
    proc = run_workflow(script, shared, k8s_shared, "--numLines=200", "--lineLength=10", "--N=800",
                        "--sortMemory=150M", "--mergeMemory=150M", "--defaultCores=0.2", "--defaultDisk=50M")
    assert proc.returncode == 0, describe(proc)
    original = (shared / "fileToSort.txt").read_text().splitlines()
    assert len(original) == 200
    assert (shared / "sortedFile.txt").read_text().splitlines() == sorted(original)


def test_leader_killed_then_restart_finishes_and_removes_the_orphans(k8s: Cluster, shared: Path,
                                                                     k8s_shared: Path) -> None:
    """SIGKILL the leader while its jobs run in pods: the pods run on (nothing shut them down);
    --restart deletes the Jobs its predecessor left, reruns the work and finishes."""
    import signal
    import time

    args = [sys.executable, str(WORKFLOWS / "two_naps.py"), f"file:{shared / 'jobstore'}", "--batchSystem",
            "kubernetes", "--kubernetesHostPath", str(k8s_shared), "--nap", "20"]
    leader = subprocess.Popen(args, cwd=str(shared), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        running: List[str] = []
        while time.monotonic() < deadline and len(running) < 2:
            running = k8s.kubectl("get", "pods", "-l", "toil_run", "--field-selector=status.phase=Running",
                                  "-o", "name").stdout.split()
            time.sleep(0.5)
        assert len(running) == 2, "the two napping jobs never ran in pods"
    finally:
        leader.send_signal(signal.SIGKILL)
        leader.communicate()
    orphans = k8s.kubectl("get", "jobs", "-l", "toil_run", "-o", "name").stdout.split()
    assert len(orphans) >= 2, "the killed leader's jobs should still be there"
    proc = subprocess.run(args + ["--restart"], cwd=str(shared), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, describe(proc)
    assert "napped: 40" in proc.stdout, describe(proc)
    assert "left by an earlier run of this workflow" in proc.stderr, describe(proc)
    left = k8s.kubectl("get", "jobs,pods", "-l", "toil_run", "-o", "name").stdout.split()
    assert not set(orphans) & set(left), f"the killed leader's jobs are still there: {left}"
