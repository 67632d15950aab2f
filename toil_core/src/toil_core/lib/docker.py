"""Run Docker containers from jobs (``toil.lib.docker``) through the ``docker`` command line.

The ``docker`` client (or ``podman`` when docker is absent; ``TOIL_DOCKER_COMMAND`` overrides)
is run as a subprocess, so no Python SDK is needed. Containers are named after their job and a
cleanup (kill/stop) is registered with ``job.defer`` so a failed job does not leak containers.
"""
from __future__ import annotations

import base64
import logging
import os
import re
import shlex
import subprocess
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

from toil_core.lib.container_cli import (  # Container, ContainerError, docker_command re-exported
    ONE_YEAR,
    Container,
    ContainerError,
    container_status,
    demux_stream,
    docker_command,
    kwarg_flags,
    limit_timeout,
    run_client,
)

__all__ = ["FORGO", "STOP", "RM", "apiDockerCall", "dockerCall", "dockerCheckOutput", "subprocessDockerCall",
           "dockerKill", "dockerStop", "containerIsRunning", "getContainerName", "Container",
           "ContainerError", "docker_command"]

logger = logging.getLogger(__name__)

FORGO = 0  #: leave the container running when the job ends
STOP = 1  #: stop it gracefully (SIGTERM, then SIGKILL)
RM = 2  #: kill and remove it (default)


def _command_parts(parameters: Any, entrypoint: Any) -> Tuple[Optional[List[str]], List[str]]:
    """Return (entrypoint argv or None, command argv) for the given docker-py style inputs."""
    if isinstance(entrypoint, str):
        entrypoint = shlex.split(entrypoint)
    if isinstance(parameters, str):
        parameters = shlex.split(parameters)
    if parameters and isinstance(parameters[0], (list, tuple)):
        # A pipeline: every stage must succeed (pipefail).
        chain = " | ".join(" ".join(shlex.quote(str(a)) for a in stage) for stage in parameters)
        return (list(entrypoint) if entrypoint is not None else ["/bin/bash", "-c"]), \
            [f"set -eo pipefail && {chain}"]
    return (list(entrypoint) if entrypoint is not None else None), [str(p) for p in parameters or []]


def _register_cleanup(job: Any, name: str, deferParam: int) -> None:
    defer = getattr(job, "defer", None)
    if defer is None or deferParam == FORGO:
        return
    if deferParam == STOP:
        defer(dockerStop, name)
    else:
        defer(dockerKill, name, remove=True)


def apiDockerCall(job: Any, image: str, parameters: Any = None, deferParam: Optional[int] = None,
                  volumes: Any = None, working_dir: Optional[str] = None, containerName: Optional[str] = None,
                  entrypoint: Any = None, detach: bool = False, log_config: Optional[Dict[str, Any]] = None,
                  auto_remove: Optional[bool] = None, remove: bool = False, user: Optional[str] = None,
                  environment: Any = None, stdout: Optional[bool] = None, stderr: bool = False,
                  stream: bool = False, demux: bool = False, streamfile: Optional[str] = None,
                  timeout: int = ONE_YEAR, **kwargs: Any) -> Any:
    """Run ``image`` for ``job``; return its output (bytes, a generator or an (out, err) tuple), or a
    :class:`Container` when ``detach``.

    ``parameters`` is the command (a list of lists is run as a ``set -eo pipefail`` pipe chain
    in bash); ``working_dir`` (default ``job.tempDir``) is mounted at ``/data`` unless
    ``volumes`` is given; the container runs as the caller's uid:gid unless ``user`` is given.
    ``deferParam`` (FORGO/STOP/RM, default RM) says what to do with it when the job ends.
    Extra keyword arguments are docker-py ``run`` options turned into ``docker run`` flags.
    """
    if deferParam not in (None, FORGO, STOP, RM):
        raise RuntimeError("Please provide a valid value for deferParam (FORGO, STOP or RM).")
    name = containerName or getContainerName(job)
    working_dir = os.path.abspath(working_dir or getattr(job, "tempDir", None) or os.getcwd())
    if volumes is None:
        volumes = {working_dir: {"bind": "/data", "mode": "rw"}}
    auto_remove = remove if auto_remove is None else auto_remove
    args = ["run", "--quiet", "--name", name, "--user", user or f"{os.getuid()}:{os.getgid()}"]
    args += ["--detach"] if detach else []
    args += ["--rm"] if auto_remove else []
    if isinstance(volumes, dict):
        for host, spec in volumes.items():
            os.makedirs(host, exist_ok=True)
            bind, mode = (spec, "rw") if isinstance(spec, str) else (spec["bind"], spec.get("mode", "rw"))
            args += ["--volume", f"{host}:{bind}:{mode}"]
    else:
        for vol in volumes:
            args += ["--volume", vol]
    env_items = environment.items() if isinstance(environment, dict) else None
    for item in ([f"{k}={v}" for k, v in env_items] if env_items is not None else environment or []):
        args += ["--env", item]
    if log_config:
        args += ["--log-driver", log_config.get("type", "json-file")]
        for k, v in (log_config.get("config") or {}).items():
            args += ["--log-opt", f"{k}={v}"]
    entry, command = _command_parts(parameters, entrypoint)
    if entry is not None:
        args += [f"--entrypoint={entry[0] if entry else ''}"]
        command = entry[1:] + command
    args += kwargs.pop("_raw_args", []) + kwarg_flags(kwargs) + [image] + command
    _register_cleanup(job, name, RM if deferParam is None else deferParam)

    if detach:
        result = run_client(args, timeout)
        if result.returncode != 0:
            raise ContainerError(name, result.returncode, args, image, result.stderr, result.stdout)
        container = Container(result.stdout.decode().strip().splitlines()[-1], name, timeout)
        if stdout or stderr:
            with open(streamfile or "output.log", "wb") as out:
                err_target = (subprocess.STDOUT if stdout else out) if stderr else subprocess.DEVNULL
                run_client(["logs", "--follow", container.id], timeout, capture_output=False,
                           stdout=out if stdout else subprocess.DEVNULL, stderr=err_target)
        return container

    want_out = True if stdout is None else stdout
    out_target = subprocess.PIPE if want_out else subprocess.DEVNULL
    err_target = subprocess.STDOUT if (stderr and want_out and not demux) else subprocess.PIPE
    cmd = docker_command() + args
    logger.debug("Running %s", shlex.join(cmd))
    proc = subprocess.Popen(cmd, stdout=out_target, stderr=err_target)

    def finish(out: Optional[bytes], err: Optional[bytes]) -> None:
        if proc.returncode != 0:
            logger.error("Docker had non-zero exit. Check your command: %s", shlex.join(command))
            raise ContainerError(name, proc.returncode, args, image, err if err is not None else out, out)
        if remove and not auto_remove:
            run_client(["rm", "-f", name], timeout)

    if stream:
        def generate() -> Iterator[Any]:
            err_chunks: List[bytes] = []
            for o, e in demux_stream(proc):
                if demux:
                    yield o, e
                elif e is not None:
                    err_chunks.append(e)
                    if stderr and not want_out:
                        yield e
                else:
                    yield o
            proc.wait(limit_timeout(timeout))
            finish(None, b"".join(err_chunks))
        return generate()

    out_bytes, err_bytes = proc.communicate(timeout=limit_timeout(timeout))
    finish(out_bytes, err_bytes)
    if demux:
        return (out_bytes if want_out else None), (err_bytes if stderr else None)
    return out_bytes if want_out else (err_bytes if stderr else b"")


def _legacy_call(job: Any, tool: Optional[str] = None, parameters: Any = None, workDir: Optional[str] = None,
                 dockerParameters: Optional[List[str]] = None, outfile: Any = None, checkOutput: bool = False,
                 defer: Optional[int] = None, **kwargs: Any) -> Optional[str]:
    image = tool or kwargs.pop("image", None)
    if not image:
        raise ValueError("A Docker image ('tool') is required")
    if dockerParameters is not None:  # the caller's raw 'docker run' flags replace our default mount
        kwargs.update(volumes=[], _raw_args=list(dockerParameters))
    out = apiDockerCall(job, image, parameters=parameters, deferParam=defer, remove=True,
                        working_dir=workDir or kwargs.pop("working_dir", None), **kwargs)
    if outfile is not None:
        outfile.write(out)
    return out.decode() if checkOutput else None


def dockerCall(*args: Any, **kwargs: Any) -> None:
    """Legacy ``dockerCall(job, tool, parameters, workDir, dockerParameters, outfile, defer)``:
    run the tool (``workDir`` mounted at /data), sending its stdout to ``outfile`` if given."""
    kwargs["checkOutput"] = False
    _legacy_call(*args, **kwargs)


def dockerCheckOutput(*args: Any, **kwargs: Any) -> str:
    """Legacy variant of :func:`dockerCall` returning the container's stdout as text."""
    kwargs["checkOutput"] = True
    return _legacy_call(*args, **kwargs) or ""


def subprocessDockerCall(*args: Any, **kwargs: Any) -> Optional[str]:
    """Legacy entry point behind :func:`dockerCall` / :func:`dockerCheckOutput` (``checkOutput=``)."""
    return _legacy_call(*args, **kwargs)


def dockerKill(container_name: str, gentleKill: bool = False, remove: bool = False,
               timeout: int = ONE_YEAR) -> None:
    """Kill (``docker kill``; ``docker stop`` when ``gentleKill``) a container, then remove it if asked.

    A missing container is not an error.
    """
    status = container_status(container_name, timeout)
    if status is None:
        logger.debug("Attempted to stop container %s, but it does not exist.", container_name)
        return
    for _ in range(30):
        if status != "running":
            break
        run_client(["stop" if gentleKill else "kill", container_name], timeout)
        status = container_status(container_name, timeout)
        if status == "running":
            time.sleep(0.5)
    if remove and status is not None:
        result = run_client(["rm", "-f", container_name], timeout, text=True)
        if result.returncode != 0 and "no such" not in result.stderr.lower():
            raise RuntimeError(f"Could not remove container {container_name!r}: {result.stderr.strip()}")


def dockerStop(container_name: str, remove: bool = False) -> None:
    """Gracefully stop a container (``docker stop``), then remove it if asked."""
    dockerKill(container_name, gentleKill=True, remove=remove)


def containerIsRunning(container_name: str, timeout: int = ONE_YEAR) -> Optional[bool]:
    """True if the container is running, False if it exists but is not, None if it does not exist."""
    status = container_status(container_name, timeout)
    return None if status is None else status == "running"


def getContainerName(job: Any) -> str:
    """A unique container name made from the job's name plus random text, matching
    ``[a-zA-Z0-9][a-zA-Z0-9_.-]*``."""
    parts = ["toil", str(getattr(job, "description", job)), base64.b64encode(os.urandom(9), b"-_").decode()]
    return re.sub(r"[^a-zA-Z0-9_.-]", "", "--".join(parts))
