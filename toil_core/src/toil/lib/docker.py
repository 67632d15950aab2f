"""Compatibility module: upstream name ``toil.lib.docker``; everything lives in toil_core."""
from toil_core.compat_names import docker_logger as logger  # noqa: F401
from toil_core.lib.docker import *  # noqa: F401,F403

__all__ = [
    "FORGO", "RM", "STOP", "apiDockerCall", "containerIsRunning", "dockerCall", "dockerCheckOutput",
    "dockerKill", "dockerStop", "getContainerName", "logger", "subprocessDockerCall",
]
