"""Names upstream exposes at ``toil.*`` package level: host facts, the appliance image, helpers.

The appliance part names the Docker image that cluster nodes and containerised workers start from,
and checks that a user-chosen image exists before a workflow depends on it: the image's registry is
asked for the tag's manifest (Docker Hub through its token service), and an image that does not
exist raises :class:`ApplianceImageNotFound`.
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
import uuid
from typing import TYPE_CHECKING, Any, Optional, Set, Tuple

from toil_core.leader.errors import DeadlockException  # noqa: F401  (docs: toil.DeadlockException)
from toil_core.lib.errors import ToilError
from toil_core.lib.memoize import memoize  # noqa: F401  (upstream: toil.memoize)
from toil_core.lib.retry import retry  # noqa: F401  (upstream: toil.retry)
from toil_core.version import currentCommit, dockerName, dockerRegistry, dockerTag, version

if TYPE_CHECKING:
    from toil_core.common.config import Config

__all__ = [
    "ApplianceImageNotFound", "DeadlockException", "KNOWN_EXTANT_IMAGES", "applianceSelf", "cacheDirName",
    "cache_path", "checkDockerImageExists", "checkDockerSchema", "currentCommit", "customDockerInitCmd",
    "customInitCmd", "getNodeID", "inVirtualEnv", "log", "logProcessContext", "lookupEnvVar", "memoize",
    "parseDockerAppliance", "physicalDisk", "physicalMemory", "requestCheckDockerIo",
    "requestCheckRegularDocker", "resolveEntryPoint", "retry", "toilPackageDirPath", "which",
]

#: Upstream's logger of the ``toil`` package.
log = logging.getLogger("toil")
logger = log
#: Where upstream caches temporary AWS credentials (the AWS backend uses the same path).
cache_path = "~/.cache/aws/cached_temporary_credentials"


def toilPackageDirPath() -> str:
    """The directory of the top-level ``toil`` package (it ends in ``/toil``)."""
    # Found, not imported: the facade package sits above this module (toil_core/README.md).
    import importlib.util  # lazy: ``import toil`` imports this module; few scripts ask for the path

    spec = importlib.util.find_spec("toil")
    if spec is None or spec.origin is None:
        raise ImportError("The toil package (the facade of toil-core) is not installed.")
    path = os.path.dirname(os.path.abspath(spec.origin))
    assert path.endswith("/toil"), path
    return path


def logProcessContext(config: "Config") -> None:
    """Log, at the start of a leader or worker, the Toil version, the host and (at debug level)
    the configuration it runs with."""
    import socket  # lazy: only leaders and workers log this, and ``import toil`` must stay cheap

    log.info("Running Toil version %s on host %s.", version, socket.gethostname())
    log.debug("Configuration: %s", vars(config))


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


#: Images already shown to exist in this process (checked once each).
KNOWN_EXTANT_IMAGES: Set[str] = set()
_MANIFEST_ACCEPT = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
])


class ApplianceImageNotFound(ToilError):
    """The Toil appliance image named by TOIL_APPLIANCE_SELF (or the default) does not exist."""

    def __init__(self, origAppliance: str, url: str, statusCode: int) -> None:
        super().__init__(
            f"The docker image that TOIL_APPLIANCE_SELF specifies ({origAppliance}) produced a "
            f"nonfunctional manifest URL ({url}). The HTTP status returned was {statusCode}. The "
            "specifier is most likely unsupported or malformed. Please supply a docker image with the "
            "format: '<websitehost>.io/<repo_path>:<tag>' or '<repo_path>:<tag>'"
        )


def _checked_env_command(variable: str) -> str:
    command = os.environ.get(variable, "")
    if "'" in command or '"' in command:
        raise ValueError(f"{variable} must not contain quotes, because Toil passes it to a shell "
                         f"inside quotes: {command!r}")
    return command


def customDockerInitCmd() -> str:
    """The command TOIL_CUSTOM_DOCKER_INIT_COMMAND asks cluster nodes to run before Docker starts
    ('' when unset); quotes are refused because the command is embedded in a quoted shell line."""
    return _checked_env_command("TOIL_CUSTOM_DOCKER_INIT_COMMAND")


def customInitCmd() -> str:
    """The command TOIL_CUSTOM_INIT_COMMAND asks cluster nodes to run at start-up ('' when unset)."""
    return _checked_env_command("TOIL_CUSTOM_INIT_COMMAND")


def parseDockerAppliance(appliance: str) -> Tuple[str, str, str]:
    """Split an image reference into (registry, image, tag).

    ``quay.io/ucsc_cgl/toil:5.10.0`` -> (``quay.io``, ``ucsc_cgl/toil``, ``5.10.0``); a reference
    without a registry host is on Docker Hub (``docker.io``), and one without a tag means ``latest``.
    """
    appliance = appliance.lower()
    registry = "docker.io"
    image = appliance
    first, slash, rest = appliance.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, image = first, rest
    tag = "latest"
    name, colon, maybe_tag = image.rpartition(":")
    if colon and "/" not in maybe_tag:
        image, tag = name, maybe_tag
    return registry, image, tag


def checkDockerSchema(appliance: str) -> None:
    """Refuse a reference written as a URL (``https://...``): Docker references have no scheme."""
    if not appliance:
        raise ApplianceImageNotFound(appliance, "", 0)
    if "://" in appliance:
        raise ApplianceImageNotFound(appliance, appliance, 0)


def _http_status(request: Any) -> Tuple[int, bytes]:
    import urllib.error  # lazy: urllib.request costs more than all of ``import toil``; checks are rare
    import urllib.request

    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (registry URLs)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def requestCheckRegularDocker(origAppliance: str, registryName: str, imageName: str, tag: str) -> bool:
    """True when ``registryName`` serves a manifest for ``imageName:tag``; raises
    :class:`ApplianceImageNotFound` otherwise."""
    import urllib.request  # lazy: see _http_status

    url = f"https://{registryName}/v2/{imageName}/manifests/{tag}"
    status, _ = _http_status(urllib.request.Request(url, headers={"Accept": _MANIFEST_ACCEPT}))
    if status != 200:
        raise ApplianceImageNotFound(origAppliance, url, status)
    return True


def requestCheckDockerIo(origAppliance: str, imageName: str, tag: str) -> bool:
    """Docker Hub's variant of :func:`requestCheckRegularDocker`: an anonymous pull token first
    (official images live under ``library/``)."""
    import json  # lazy: see _http_status
    import urllib.request

    if "/" not in imageName:
        imageName = f"library/{imageName}"
    token_url = (f"https://auth.docker.io/token?service=registry.docker.io"
                 f"&scope=repository:{imageName}:pull")
    status, body = _http_status(urllib.request.Request(token_url))
    if status != 200:
        raise ApplianceImageNotFound(origAppliance, token_url, status)
    token = json.loads(body.decode("utf-8")).get("token", "")
    url = f"https://registry-1.docker.io/v2/{imageName}/manifests/{tag}"
    status, _ = _http_status(urllib.request.Request(
        url, headers={"Accept": _MANIFEST_ACCEPT, "Authorization": f"Bearer {token}"}))
    if status != 200:
        raise ApplianceImageNotFound(origAppliance, url, status)
    return True


def checkDockerImageExists(appliance: str) -> str:
    """Return ``appliance`` once its registry confirms the image exists (each image is asked about
    once per process; images of this very release are trusted without asking)."""
    if (currentCommit and currentCommit in appliance) or appliance in KNOWN_EXTANT_IMAGES:
        return appliance
    checkDockerSchema(appliance)
    registry, image, tag = parseDockerAppliance(appliance)
    if registry == "docker.io":
        requestCheckDockerIo(appliance, image, tag)
    else:
        requestCheckRegularDocker(appliance, registry, image, tag)
    KNOWN_EXTANT_IMAGES.add(appliance)
    return appliance


def applianceSelf(forceDockerAppliance: bool = False) -> str:
    """The appliance image: TOIL_APPLIANCE_SELF if set, else TOIL_DOCKER_REGISTRY/TOIL_DOCKER_NAME
    (defaults ``quay.io/ucsc_cgl``/``toil``) with this release's tag.

    A TOIL_APPLIANCE_SELF image is checked with :func:`checkDockerImageExists` when
    ``forceDockerAppliance`` is set (the caller is about to depend on it).
    """
    chosen = os.environ.get("TOIL_APPLIANCE_SELF")
    if chosen:
        return checkDockerImageExists(chosen) if forceDockerAppliance else chosen
    registry = os.environ.get("TOIL_DOCKER_REGISTRY", dockerRegistry)
    name = os.environ.get("TOIL_DOCKER_NAME", dockerName)
    return f"{registry}/{name}:{dockerTag}"


