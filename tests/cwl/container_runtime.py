"""Bring up a container runtime for the toil-cwl tests, as CI needs it on a fresh machine.

A docker daemon that answers is used as it is. Otherwise podman: when the tests run as root on a
Debian-like system, podman, runc and a static busybox are installed with apt-get and podman is set
up the way this kind of machine needs (runc, cgroupfs, lowered rlimits; see shared/recipes/
podman_up.sh). Images cannot be pulled here, so the test image is the one :mod:`toil_cwl.conformance_images`
builds from the host's busybox, bash and python3.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
from pathlib import Path
from typing import List, NamedTuple, Optional

from toil_cwl.conformance_images import IMAGE, ensure_images

CONTAINERS_CONF = Path("/etc/containers/containers.conf")


class Engine(NamedTuple):
    name: str                 #: "docker", "podman" or "podman (as docker)"
    flags: List[str]          #: toil-cwl-runner flags selecting it
    image: str                #: a small local image with sh and cat
    shim_for: Optional[str]   #: run cwltool's docker mode through a shim calling this executable


def _works(*command: str, timeout: int = 120) -> bool:
    try:
        return subprocess.run(list(command), capture_output=True, timeout=timeout).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _apt_install(*packages: str) -> str:
    """Install ``packages`` with apt-get; '' on success, else the error's tail."""
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", *lock, "install", "-y", "-qq", "--no-install-recommends", *packages]
    proc = subprocess.run(install, capture_output=True, text=True, env=env, timeout=1200, check=False)
    if proc.returncode != 0:  # stale package lists: refresh once and retry
        subprocess.run(["apt-get", *lock, "update", "-qq"], capture_output=True, env=env, timeout=1200,
                       check=False)
        proc = subprocess.run(install, capture_output=True, text=True, env=env, timeout=1200, check=False)
    return "" if proc.returncode == 0 else proc.stderr[-2000:]


def _configure_podman() -> None:
    """runc and cgroupfs (crun refuses this VM's hybrid cgroups) and rlimits podman may set."""
    if CONTAINERS_CONF.exists():
        return
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = 65536 if hard == resource.RLIM_INFINITY or hard > 65536 else hard
    CONTAINERS_CONF.parent.mkdir(parents=True, exist_ok=True)
    CONTAINERS_CONF.write_text(
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc=4096:4096"]\n'
        "[engine]\n"
        'runtime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')


def bring_up() -> Engine:
    """The container runtime to test with; RuntimeError (with the reason) when none can run here."""
    docker = shutil.which("docker")
    if docker and _works(docker, "info", timeout=60):
        image = os.environ.get("TOIL_CWL_TEST_IMAGE", "busybox")
        if _works(docker, "image", "inspect", image):
            return Engine("docker", [], image, None)
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    missing = [p for p, exe in (("podman", "podman"), ("runc", "runc"), ("busybox-static", "busybox"))
               if shutil.which(exe) is None]
    if missing:
        if not root or shutil.which("apt-get") is None:
            raise RuntimeError(f"no docker daemon, and {', '.join(missing)} not installed "
                               "(apt-get install podman runc busybox-static)")
        error = _apt_install(*missing)
        if error:
            raise RuntimeError(f"could not install {' '.join(missing)} with apt-get: {error}")
    if root:
        _configure_podman()
    podman = shutil.which("podman")
    assert podman is not None
    if not _works(podman, "info"):
        info = subprocess.run([podman, "info"], capture_output=True, text=True)
        raise RuntimeError(f"podman does not work here: {info.stderr.strip()[-1500:]}")
    image = os.environ.get("TOIL_CWL_TEST_IMAGE", IMAGE)
    if image == IMAGE:
        ensure_images("podman", names=())
    if not _works(podman, "run", "--rm", "--network=none", image, "true"):
        run = subprocess.run([podman, "run", "--rm", "--network=none", image, "true"],
                             capture_output=True, text=True)
        raise RuntimeError(f"podman cannot run a container here: {run.stderr.strip()[-1500:]}")
    if root:
        return Engine("podman (as docker)", [], image, podman)
    return Engine("podman", ["--podman"], image, None)
