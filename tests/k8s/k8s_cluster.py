"""The real single-node Kubernetes cluster the toil-k8s tests run against.

The scripts in ``cluster/`` (this project's shared recipe, see ``cluster/README.md``) build the
v1.20 server binaries from Debian's ``kubernetes`` source package, install containerd, etcd,
runc and the CNI plugins from apt, make the pause/busybox/Debian+python3 images without a
registry, and start the cluster. :func:`bring_up` runs them:

1. ``build.sh`` into the cache directory (``$TOIL_TEST_K8S_HOME``, default
   ``~/.cache/toil-test/k8s``): 4-8 minutes the first time on a machine, nothing afterwards;
2. ``prepare.sh`` with ``DEBIAN_IMAGE=1`` (about 40 s cold, about a second afterwards);
3. ``down.sh --purge`` of anything a crashed earlier session left, then ``up.sh`` (about 25 s);
4. the appliance image (:mod:`appliance`) imported into containerd.

:func:`tear_down` runs ``down.sh --purge`` and ``cleanup-host.sh``. Only one cluster can run on a
machine (fixed ports), so a session holds an exclusive lock on the cache directory while it
uses the cluster; a second test session waits for it.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Dict, Optional

import attrs

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "cluster"
REPO = HERE.parent.parent


def cache_home() -> Path:
    return Path(os.environ.get("TOIL_TEST_K8S_HOME") or Path.home() / ".cache" / "toil-test" / "k8s")


@attrs.frozen
class Cluster:
    """A running cluster: where its files are and how to reach it."""

    home: Path
    kubeconfig: Path
    appliance: str  # the image name of the appliance, imported into containerd

    @property
    def state(self) -> Path:
        return self.home / "state"

    @property
    def bin(self) -> Path:
        return self.home / "bin"

    def env(self) -> Dict[str, str]:
        """What a leader needs to use the cluster (KUBECONFIG and the image)."""
        return {"KUBECONFIG": str(self.kubeconfig), "TOIL_APPLIANCE_SELF": self.appliance}

    def kubectl(self, *args: str, check: bool = True, timeout: float = 60) -> "subprocess.CompletedProcess[str]":
        return subprocess.run([str(self.bin / "kubectl"), f"--kubeconfig={self.kubeconfig}",
                               f"--cache-dir={self.state / 'kubectl-cache'}", *args],
                              capture_output=True, text=True, check=check, timeout=timeout)


def existing_cluster() -> Optional[Cluster]:
    """A cluster already running, named by ``TOIL_TEST_K8S_KUBECONFIG`` and ``TOIL_TEST_K8S_APPLIANCE``
    (an image imported into it), which the tests then use as it is and leave running: for
    developers who rerun the tests against one cluster. Unset (as in CI), the session brings its
    own cluster up and down."""
    kubeconfig = os.environ.get("TOIL_TEST_K8S_KUBECONFIG")
    image = os.environ.get("TOIL_TEST_K8S_APPLIANCE")
    if not kubeconfig or not image:
        return None
    return Cluster(cache_home(), Path(kubeconfig), image)


def impossible() -> Optional[str]:
    """Why a cluster cannot run on this machine (a reason for a skip), or None."""
    if os.name != "posix" or not Path("/proc/self/cgroup").exists():
        return "needs Linux with cgroups"
    if os.geteuid() != 0:
        return "the cluster's daemons (kubelet, containerd) need root"
    if not shutil.which("apt-get"):
        return "the recipe installs etcd, containerd, runc, the CNI plugins and Go from Debian's apt repositories"
    return None


def _run(script: str, env: Dict[str, str], timeout: float, log: Path, nice: bool = False) -> str:
    command = ["bash", str(SCRIPTS / script)]
    if script == "down.sh":
        command.append("--purge")
    if nice:
        command = ["nice", "-n", "10", *command]
    started = time.monotonic()
    with open(log, "a") as handle:
        handle.write(f"\n==== {' '.join(command)} ({time.strftime('%H:%M:%S')})\n")
        handle.flush()
        proc = subprocess.run(command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout)
        handle.write(proc.stdout)
        handle.write(f"==== exit {proc.returncode} after {time.monotonic() - started:.1f} s\n")
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-25:])
        raise RuntimeError(f"{script} failed (exit {proc.returncode}); full log in {log}:\n{tail}")
    return proc.stdout


class ClusterLock:
    """An exclusive lock on the cache directory: one cluster per machine."""

    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self._handle = open(home / ".session.lock", "w")

    def acquire(self, timeout: float = 3600) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError("another test session has held the Kubernetes test cluster for an hour")
                time.sleep(2)

    def release(self) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


def script_env(home: Path) -> Dict[str, str]:
    return {"K8S_HOME": str(home), "DEBIAN_IMAGE": "1", "PYTHONDONTWRITEBYTECODE": "1"}


#: What prepare.sh installs with apt; when all are there, its apt-get update (30-40 s) is skipped.
RUNTIME_PROGRAMS = ("containerd", "ctr", "runc", "etcd", "debootstrap", "iptables", "conntrack", "socat",
                    "/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/loopback", "/usr/lib/cni/portmap")


def runtime_installed() -> bool:
    return all(os.path.exists(p) if p.startswith("/") else shutil.which(p, path=os.environ.get("PATH", "") +
                                                                          ":/usr/sbin:/sbin")
               for p in RUNTIME_PROGRAMS)


def bring_up(home: Path, log: Path, timings: Dict[str, float]) -> Path:
    """Build (if needed), prepare and start the cluster; returns the kubeconfig."""
    env = script_env(home)
    for script, timeout, nice in (("build.sh", 3000, True), ("prepare.sh", 1200, True)):
        started = time.monotonic()
        step_env = dict(env)
        if script == "prepare.sh" and runtime_installed() and (home / "bin" / "kubectl").exists():
            step_env["SKIP_APT"] = "1"
        _run(script, step_env, timeout, log, nice=nice)
        timings[script] = time.monotonic() - started
    started = time.monotonic()
    if (home / "state").exists():  # left by a session that crashed: start from zero
        _run("down.sh", env, 300, log)
    out = _run("up.sh", env, 600, log)
    timings["up.sh"] = time.monotonic() - started
    for line in reversed(out.splitlines()):
        if line.startswith("KUBECONFIG="):
            return Path(line.split("=", 1)[1].strip())
    return home / "state" / "kubeconfig"


def import_image(home: Path, tarball: Path, log: Path) -> None:
    """Import a docker-archive into the cluster's containerd (namespace k8s.io)."""
    sock = home / "state" / "containerd" / "containerd.sock"
    with open(log, "a") as handle:
        proc = subprocess.run(["ctr", "-a", str(sock), "-n", "k8s.io", "images", "import", str(tarball)],
                              stdout=handle, stderr=subprocess.STDOUT, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"ctr images import {tarball} failed (exit {proc.returncode}); see {log}")


def tear_down(home: Path, log: Path) -> None:
    env = script_env(home)
    try:
        _run("down.sh", env, 300, log)
    finally:
        _run("cleanup-host.sh", env, 120, log)
