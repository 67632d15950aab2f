"""Plumbing for running the container command-line client (docker, or podman).

Used by :mod:`toil_core.lib.docker`: locating the client, running it with sane timeouts,
inspecting container state, translating docker-py style options into CLI flags, and a small
docker-py-like :class:`Container` handle for detached containers.
"""
from __future__ import annotations

import logging
import os
import selectors
import shlex
import shutil
import subprocess
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from toil_core.lib.errors import ToilError

logger = logging.getLogger(__name__)

ONE_YEAR = 365 * 24 * 60 * 60


class ContainerError(ToilError, subprocess.CalledProcessError):
    """A container (or the docker client) exited non-zero; ``stderr`` holds its error output."""

    def __init__(self, container: str, exit_status: int, command: Sequence[str], image: str,
                 stderr: Optional[bytes], output: Optional[bytes] = None) -> None:
        super().__init__(exit_status, list(command), output=output, stderr=stderr)
        self.container, self.exit_status, self.image = container, exit_status, image

    def __str__(self) -> str:
        err = (self.stderr or b"").decode("utf-8", "replace").strip()
        return (f"Command {shlex.join(self.cmd)!r} in image {self.image!r} returned non-zero exit "
                f"status {self.exit_status}" + (f": {err}" if err else ""))


def docker_command() -> List[str]:
    """The container client to run: ``$TOIL_DOCKER_COMMAND``, else ``docker``, else ``podman``."""
    override = os.environ.get("TOIL_DOCKER_COMMAND")
    if override:
        return shlex.split(override)
    for name in ("docker", "podman"):
        path = shutil.which(name)
        if path:
            return [path]
    raise RuntimeError("Neither 'docker' nor 'podman' was found on PATH; "
                       "install one or set TOIL_DOCKER_COMMAND")


def limit_timeout(timeout: Optional[float]) -> Optional[float]:
    """Timeouts beyond what poll() accepts (~24 days) mean "wait indefinitely"."""
    return None if timeout is None or timeout > 2_000_000 else timeout


def run_client(args: Sequence[str], timeout: Optional[float] = ONE_YEAR,
               **kwargs: Any) -> subprocess.CompletedProcess:
    """Run the client with ``args``; output is captured unless ``capture_output=False`` is passed."""
    cmd = docker_command() + list(args)
    logger.debug("Running %s", shlex.join(cmd))
    kwargs.setdefault("capture_output", True)
    return subprocess.run(cmd, timeout=limit_timeout(timeout), **kwargs)


def container_status(name: str, timeout: Optional[float] = ONE_YEAR) -> Optional[str]:
    """The container's state ('running', 'exited', ...), or None if it does not exist."""
    result = run_client(["inspect", "--type", "container", "--format", "{{.State.Status}}", name],
                        timeout, text=True)
    if result.returncode == 0:
        return result.stdout.strip()
    if "no such" in result.stderr.lower():
        return None
    raise RuntimeError(f"Could not inspect container {name!r}: {result.stderr.strip()}")


class Container:
    """A handle on a detached container, offering a subset of docker-py's ``Container`` API."""

    def __init__(self, id: str, name: str, timeout: Optional[float] = ONE_YEAR) -> None:
        self.id, self.name, self.timeout = id, name, timeout

    @property
    def status(self) -> Optional[str]:
        return container_status(self.id, self.timeout)

    def wait(self, timeout: Optional[float] = None) -> Dict[str, int]:
        """Block until the container exits; return ``{'StatusCode': exit_code}``."""
        result = run_client(["wait", self.id], timeout or self.timeout, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"docker wait {self.name} failed: {result.stderr.strip()}")
        return {"StatusCode": int(result.stdout.strip().splitlines()[-1])}

    def logs(self, stdout: bool = True, stderr: bool = True) -> bytes:
        """The container's output so far (stdout and/or stderr)."""
        err_target = (subprocess.STDOUT if stdout else subprocess.PIPE) if stderr else subprocess.DEVNULL
        result = run_client(["logs", self.id], self.timeout, capture_output=False, stdout=subprocess.PIPE,
                            stderr=err_target)
        return result.stdout if stdout or not stderr else result.stderr

    def kill(self) -> None:
        run_client(["kill", self.id], self.timeout)

    def stop(self) -> None:
        run_client(["stop", self.id], self.timeout)

    def remove(self, force: bool = False) -> None:
        run_client(["rm"] + (["-f"] if force else []) + [self.id], self.timeout, check=True)

    def __repr__(self) -> str:
        return f"<Container {self.name} ({self.id[:12]})>"


def kwarg_flags(kwargs: Dict[str, Any]) -> List[str]:
    """Translate docker-py ``containers.run`` keyword arguments into ``docker run`` flags."""
    renames = {"mem_limit": "memory", "network_mode": "network", "ipc_mode": "ipc", "pid_mode": "pid",
               "devices": "device", "labels": "label", "tty": "tty", "stdin_open": "interactive",
               "extra_hosts": "add-host", "dns": "dns", "cap_add": "cap-add", "cap_drop": "cap-drop",
               "security_opt": "security-opt", "group_add": "group-add", "ports": "publish"}
    flags: List[str] = []
    for key, value in kwargs.items():
        if value is None or value is False:
            continue
        flag = "--" + renames.get(key, key.replace("_", "-"))
        if value is True:
            flags.append(flag)
        elif key == "ports" and isinstance(value, dict):
            for ctr, host in value.items():
                flags += [flag, f"{host}:{ctr}"]
        elif isinstance(value, dict):
            for k, v in value.items():
                flags += [flag, f"{k}={v}" if key != "extra_hosts" else f"{k}:{v}"]
        elif isinstance(value, (list, tuple)):
            for item in value:
                flags += [flag, str(item)]
        else:
            flags += [flag, str(value)]
    return flags


def demux_stream(proc: subprocess.Popen) -> Iterator[Tuple[Optional[bytes], Optional[bytes]]]:
    """Yield ``(stdout_chunk, None)`` / ``(None, stderr_chunk)`` as the process produces output."""
    selector = selectors.DefaultSelector()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            selector.register(pipe, selectors.EVENT_READ)
    while selector.get_map():
        for key, _ in selector.select():
            chunk = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
            if not chunk:
                selector.unregister(key.fileobj)
            else:
                yield (chunk, None) if key.fileobj is proc.stdout else (None, chunk)
