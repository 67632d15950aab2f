"""A real Docker-compatible engine for the ``toil.lib.docker`` tests: podman, and its Docker API service.

:func:`docker_clients` yields the client command lines to test the helpers with, each pointing at a
real engine: ``podman`` itself, and the ``docker`` CLI talking to podman's Docker-compatible API
service (``podman system service``) when a docker client is installed. The image is built locally
from the host's busybox (nothing can be pulled here) and is also tagged ``ubuntu`` so that the
manual's Docker tutorial runs unchanged.
"""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterator

from podman_setup import ensure_busybox_image, ensure_podman, works

IMAGE = "localhost/toil-busybox:test"
UBUNTU = "docker.io/library/ubuntu:latest"  # the manual's tutorial asks for 'ubuntu'


@contextlib.contextmanager
def podman_api_service(podman: str, socket: Path) -> Iterator[str]:
    """Run podman's Docker-compatible API on a unix socket; yields its URL."""
    url = f"unix://{socket}"
    proc = subprocess.Popen([podman, "system", "service", "--time=0", url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not works(podman, "--url", url, "info", timeout=30):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("podman's API service did not start: "
                                   + (proc.stderr.read().decode(errors="replace") if proc.stderr else ""))
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def docker_clients(scratch: Path) -> Iterator[Dict[str, str]]:
    """Client name -> the ``TOIL_DOCKER_COMMAND`` that reaches a real engine."""
    podman = ensure_podman()
    ensure_busybox_image(podman, IMAGE, UBUNTU)
    scratch.mkdir(parents=True, exist_ok=True)
    clients = {"podman": podman}
    docker = shutil.which("docker")
    with contextlib.ExitStack() as stack:
        if docker:
            url = stack.enter_context(podman_api_service(podman, scratch / "podman.sock"))
            clients["docker-cli-on-podman-api"] = f"{docker} -H {url}"
        yield clients
