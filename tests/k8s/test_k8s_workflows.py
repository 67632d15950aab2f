"""Real workflows with ``--batchSystem kubernetes``: every job runs in a pod of the appliance
image, the ``file:`` job store on the host path the pods share with the leader."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import attrs
import pytest
from k8s_cluster import REPO, Cluster

WORKFLOWS = Path(__file__).resolve().parent / "workflows"

sys.path.insert(0, str(REPO / "tests" / "hpc"))
from hpc_suite import TUTORIALS, tutorial_copy  # noqa: E402  (the tutorials table the other backends run)

sys.path.insert(0, str(REPO / "tests" / "faults" / "workflows"))
import faultkit  # noqa: E402  (the fault suite's workflow, counters and kill helpers)


@pytest.fixture
def shared(k8s_shared: Path) -> Iterator[Path]:
    path = k8s_shared / f"wf-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_workflow(script: Path, shared: Path, k8s_shared: Path, *args: str, timeout: float = 600,
                 env: Optional[Dict[str, str]] = None) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, str(script), f"file:{shared / 'jobstore'}", "--batchSystem", "kubernetes",
                           "--kubernetesHostPath", str(k8s_shared), "--logLevel", "INFO", *args],
                          cwd=str(shared), capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def describe(proc: Any) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-8000:]}"


def pod_jobs_left(k8s: Cluster) -> List[str]:
    out = k8s.kubectl("get", "jobs", "-o", "name").stdout
    return [line for line in out.splitlines() if line.strip()]


def test_hello_world_polling_without_watch(k8s: Cluster, shared: Path, k8s_shared: Path) -> None:
    """helloWorld.py with KUBE_WATCH_ENABLED=False: completion learned by polling alone (the
    other tests watch)."""
    proc = run_workflow(REPO / "examples" / "helloWorld.py", shared, k8s_shared, env={"KUBE_WATCH_ENABLED": "False"})
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


def owned(k8s: Cluster, owner: str, kinds: str = "jobs,pods", running: bool = False) -> List[str]:
    """The Jobs and pods of the Toil runs whose ``--kubernetesOwner`` was ``owner``."""
    extra = ["--field-selector=status.phase=Running"] if running else []
    return k8s.kubectl("get", kinds, "-l", f"toil_owner={owner}", *extra, "-o", "name").stdout.split()


@attrs.define
class Sleeping:
    """A leader whose two jobs sleep in pods; its Jobs and pods carry ``toil_owner=owner``."""

    owner: str
    store: Path
    leader: "subprocess.Popen[str]"
    stderr: Path

    def log(self) -> str:
        return self.stderr.read_text()[-3000:]


@pytest.fixture(scope="module")
def sleeping(k8s_cluster_session: Cluster, k8s_shared: Path) -> Iterator[Dict[str, Sleeping]]:
    """Two workflows of two sleeping jobs each, started together (their pods start side by side,
    which halves what this costs): one for ``toil kill``, one to SIGKILL and ``toil clean``."""
    k8s = k8s_cluster_session
    runs: Dict[str, Sleeping] = {}
    for owner in ("killed", "sigkilled"):
        cwd = k8s_shared / f"{owner}-{uuid.uuid4().hex[:6]}"
        cwd.mkdir()
        with open(cwd / "leader.err", "w") as err:
            leader = subprocess.Popen([sys.executable, str(WORKFLOWS / "sleepers.py"), f"file:{cwd / 'jobstore'}",
                                       "--batchSystem", "kubernetes", "--kubernetesHostPath", str(k8s_shared),
                                       "--kubernetesOwner", owner],
                                      cwd=str(cwd), stdout=subprocess.DEVNULL, stderr=err, text=True,
                                      env={**os.environ, **k8s.env()})
        runs[owner] = Sleeping(owner, cwd / "jobstore", leader, cwd / "leader.err")
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and any(len(owned(k8s, o, "pods", running=True)) < 2 for o in runs):
            time.sleep(0.5)
        for run in runs.values():
            assert len(owned(k8s, run.owner, "pods", running=True)) == 2, \
                f"the two sleeping jobs of {run.owner} never ran in pods\n{run.log()}"
        yield runs
    finally:
        for run in runs.values():
            if run.leader.poll() is None:
                run.leader.kill()
                run.leader.wait()
        for run in runs.values():
            k8s.kubectl("delete", "jobs,pods", "-l", f"toil_owner={run.owner}", "--wait=false", check=False)


def test_toil_kill_removes_every_pod_of_the_workflow(k8s: Cluster, sleeping: Dict[str, Sleeping]) -> None:
    run = sleeping["killed"]
    toil = os.path.join(os.path.dirname(sys.executable), "toil")
    kill = subprocess.run([toil, "kill", f"file:{run.store}"], capture_output=True, text=True, timeout=120)
    assert kill.returncode == 0, kill.stderr
    assert run.leader.wait(timeout=240) != 0
    assert owned(k8s, run.owner) == [], run.log()


def test_leader_sigkilled_then_toil_clean_leaves_nothing(k8s: Cluster, sleeping: Dict[str, Sleeping]) -> None:
    """A leader SIGKILLed while its jobs run leaves its Jobs and pods running (nothing shut them
    down); ``toil clean`` of its job store deletes them with the store."""
    run = sleeping["sigkilled"]
    run.leader.send_signal(signal.SIGKILL)
    run.leader.wait()
    time.sleep(1)
    assert len(owned(k8s, run.owner, "pods", running=True)) == 2, "the killed leader's pods should run on"
    toil = os.path.join(os.path.dirname(sys.executable), "toil")
    clean = subprocess.run([toil, "clean", f"file:{run.store}"], capture_output=True, text=True, timeout=300)
    assert clean.returncode == 0, clean.stderr
    assert "Deleting the Kubernetes jobs and pods of workflow" in clean.stderr, clean.stderr
    assert not run.store.exists()
    assert owned(k8s, run.owner) == [], "toil clean left these behind"


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


WIDTH, SIZE, BIG, SEED = 2, 64 * 1024, 1024 * 1024, 11


def test_leader_sigkilled_mid_workflow_then_restart(k8s: Cluster, shared: Path, k8s_shared: Path) -> None:
    """The fault suite's workflow and execution counters (tests/faults/workflows): SIGKILL the
    leader once some jobs have ended while others run in pods. The pods run on (nothing shut them
    down; the service's pod would run for ever); ``--restart`` deletes its predecessor's Jobs and
    waits for their pods before it reads the job store, then finishes: the result is a clean run's,
    nothing is lost, no job whose completion was recorded runs again, and no Job or pod is left."""
    js, out = shared / "js", shared / "out"
    out.mkdir()
    args: List[Any] = [*faultkit.QUICK, "--width", WIDTH, "--size", SIZE, "--big", BIG, "--seed", SEED,
                       "--batchSystem", "kubernetes", "--kubernetesHostPath", k8s_shared, "--kubernetesOwner", "faults",
                       "--logLevel", "INFO"]
    proc = faultkit.start(js, out, args, shared, "leader0")
    info = faultkit.watch_and_kill(proc, js, out, faultkit.Trigger("done", 3), poll=0.05, timeout=300)
    assert info is not None, "the workflow ended before the kill"
    orphans = k8s.kubectl("get", "jobs", "-l", "toil_owner=faults", "-o",
                          "jsonpath={range .items[*]}{.metadata.name} {.spec.ttlSecondsAfterFinished}{'\\n'}{end}"
                          ).stdout.split("\n")
    orphans = [line.split() for line in orphans if line.strip()]
    assert orphans, "the killed leader's Jobs should have outlived it"
    assert {ttl for _, ttl in orphans} == {"600"}, f"ttlSecondsAfterFinished not kept by the API server: {orphans}"
    lines = faultkit.counter(out)
    recorded = faultkit.completion_recorded(lines, faultkit.stored_jobs(js))
    runs_before = faultkit.runs(lines)
    assert recorded, "no job's completion was recorded before the kill"

    again = faultkit.start(js, out, [*args, "--restart"], shared, "leader1")
    try:
        assert again.wait(timeout=420) == 0, (shared / "leader1.err").read_text()[-6000:]
    finally:
        faultkit.kill_group(again)
    err = (shared / "leader1.err").read_text()
    assert "left by an earlier run of this workflow" in err, err[-4000:]
    assert faultkit.result_line(shared / "leader1.out") == faultkit.expected_result(SEED, WIDTH, SIZE, BIG)
    lines = faultkit.counter(out)
    runs_after = faultkit.runs(lines)
    rerun = {name for name in recorded if runs_after[name] != runs_before[name]}
    assert not rerun, f"jobs whose completion was recorded ran again: {sorted(rerun)}"
    assert {line.name for line in lines if line.kind == "done"} == set(faultkit.faultflow.job_names(WIDTH))
    assert faultkit.bad_reads(lines, SEED, faultkit.file_sizes(SIZE, BIG, WIDTH)) == []
    assert not js.exists(), "the finished workflow's job store is deleted"
    assert owned(k8s, "faults") == [], "Jobs or pods left behind"

class PodWatch:
    """Every pod of a Toil run the cluster creates while it runs (``kubectl get pods --watch``)."""
    def __init__(self, k8s: Cluster, out: Path) -> None:
        self._out = out
        self._handle = open(out, "w")
        self._proc = subprocess.Popen([str(k8s.bin / "kubectl"), f"--kubeconfig={k8s.kubeconfig}",
                                       f"--cache-dir={k8s.state / 'kubectl-cache'}", "get", "pods", "-l", "toil_run",
                                       "--watch", "-o", "custom-columns=NAME:.metadata.name,RUN:.metadata.labels."
                                       "toil_run,PHASE:.status.phase", "--no-headers"],
                                      stdout=self._handle, stderr=subprocess.DEVNULL)

    def stop(self) -> Dict[str, Dict[str, str]]:
        """run label -> pod name -> the last phase seen."""
        self._proc.terminate()
        self._proc.wait(timeout=30)
        self._handle.close()
        runs: Dict[str, Dict[str, str]] = {}
        for line in self._out.read_text().splitlines():
            parts = line.split()
            if len(parts) == 3:
                runs.setdefault(parts[1], {})[parts[0]] = parts[2]
        return runs


def test_manual_tutorials_in_pods(k8s: Cluster, shared: Path, k8s_shared: Path) -> None:
    """The manual's chapter 12 tutorials the other backends run (tests/hpc/hpc_suite.py's table),
    each its own workflow, one after the other in one leader process (workflows/run_tutorials.py):
    each prints what the manual says, and its jobs ran in pods of the cluster, all succeeded."""
    scripts = [tutorial_copy(name, shared).name for name in sorted(TUTORIALS)]
    (shared / "tmp").mkdir()
    watch = PodWatch(k8s, shared / "pods.txt")
    try:
        proc = subprocess.run([sys.executable, str(WORKFLOWS / "run_tutorials.py"), *scripts, "--",
                               "--batchSystem", "kubernetes", "--defaultCores", "0.2", "--defaultMemory", "200M",
                               "--defaultDisk", "100M"],
                              cwd=str(shared), capture_output=True, text=True, timeout=600,
                              env={**os.environ, "TMPDIR": str(shared / "tmp"),  # the tutorials' job stores
                                   # the settings' environment variables instead of the options
                                   "TOIL_KUBERNETES_HOST_PATH": str(k8s_shared), "TOIL_KUBERNETES_OWNER": "Tu.Tor"})
    finally:
        pods = watch.stop()
    assert proc.returncode == 0, describe(proc)
    sections = dict(re.findall(r"### BEGIN (\S+)\n(.*?)### END \1 exit=0\n", proc.stderr, re.S))
    assert sorted(sections) == scripts, describe(proc)
    for name, text in sections.items():
        for line in TUTORIALS[name]:
            assert line in text, f"{name}: {line!r} not in its output\n{text[-4000:]}"
        assert "Traceback" not in text, text[-4000:]
        run = re.search(r"run label toil_run=(\w+)", text)
        assert run, f"{name} did not use the kubernetes batch system\n{text[-4000:]}"
        ran = pods.get(run.group(1), {})
        assert ran, f"no job of {name} ran in a pod"
        assert set(ran.values()) == {"Succeeded"}, f"{name}: pods that did not succeed: {ran}"
        assert all(pod.startswith(f"tu-tor-toil-{run.group(1)}-") for pod in ran), ran  # owner, run, number
    assert pod_jobs_left(k8s) == []
