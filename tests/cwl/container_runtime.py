"""Bring up a container runtime for the toil-cwl tests, as CI needs it on a fresh machine.

A docker daemon that answers is used as it is. Otherwise podman: when the tests run as root on a
Debian-like system, podman, runc and a static busybox are installed with apt-get and podman is set
up the way this kind of machine needs (runc, cgroupfs, lowered rlimits; see shared/recipes/
podman_up.sh). Images cannot be pulled here, so the test image is the one :mod:`toil_cwl.conformance_images`
builds from the host's busybox, bash and python3.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import List, NamedTuple, Optional

from toil_cwl.conformance_images import IMAGE, ensure_images

from podman_setup import ensure_podman, works as _works


class Engine(NamedTuple):
    name: str                 #: "docker", "podman" or "podman (as docker)"
    flags: List[str]          #: toil-cwl-runner flags selecting it
    image: str                #: a small local image with sh and cat
    shim_for: Optional[str]   #: run cwltool's docker mode through a shim calling this executable


def bring_up() -> Engine:
    """The container runtime to test with; RuntimeError (with the reason) when none can run here."""
    docker = shutil.which("docker")
    if docker and _works(docker, "info", timeout=60):
        image = os.environ.get("TOIL_CWL_TEST_IMAGE", "busybox")
        if _works(docker, "image", "inspect", image):
            return Engine("docker", [], image, None)
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    podman = ensure_podman()
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
