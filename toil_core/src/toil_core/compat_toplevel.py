"""Helpers upstream exposes at ``toil.*`` package level."""
from __future__ import annotations

import os
import shutil
import sys
import uuid
from typing import Optional

from toil_core.leader.errors import DeadlockException  # noqa: F401  (docs: toil.DeadlockException)
from toil_core.version import dockerName, dockerRegistry, dockerTag


def which(cmd: str, mode: int = os.F_OK | os.X_OK, path: Optional[str] = None) -> Optional[str]:
    return shutil.which(cmd, mode=mode, path=path)


def physicalMemory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def physicalDisk(directory: str) -> int:
    return shutil.disk_usage(directory).free


def inVirtualEnv() -> bool:
    return sys.prefix != getattr(sys, "base_prefix", sys.prefix)


def resolveEntryPoint(entryPoint: str) -> str:
    if os.environ.get("TOIL_CHECK_ENV") and inVirtualEnv():
        candidate = os.path.join(os.path.dirname(sys.executable), entryPoint)
        if os.path.exists(candidate):
            return candidate
    return entryPoint


def lookupEnvVar(name: str, envName: str, defaultValue: str) -> str:
    return os.environ.get(envName, defaultValue)


def getNodeID() -> str:
    """A stable ID for this machine (boot ID or machine ID), else the host's MAC-based UUID."""
    for path in ("/proc/sys/kernel/random/boot_id", "/etc/machine-id"):
        try:
            with open(path) as handle:
                value = handle.read().strip()
            if value:
                return value
        except OSError:
            continue
    return str(uuid.UUID(int=uuid.getnode()))


def cacheDirName(workflowID: str) -> str:
    return f"cache-{workflowID}"


def applianceSelf() -> str:
    return os.environ.get("TOIL_APPLIANCE_SELF", f"{dockerRegistry}/{dockerName}:{dockerTag}")


class ApplianceImageNotFound(Exception):
    """The Toil appliance image named by TOIL_APPLIANCE_SELF (or the default) does not exist."""

    def __init__(self, origAppliance: str, url: str, statusCode: int) -> None:
        super().__init__(
            f"The docker image that TOIL_APPLIANCE_SELF specifies ({origAppliance}) produced a "
            f"nonfunctional manifest URL ({url}). The HTTP status returned was {statusCode}. The "
            "specifier is most likely unsupported or malformed. Please supply a docker image with the "
            "format: '<websitehost>.io/<repo_path>:<tag>' or '<repo_path>:<tag>'"
        )
