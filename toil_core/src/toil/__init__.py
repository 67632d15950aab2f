"""Compatibility module: upstream name ``toil``; everything lives in toil_core."""
from toil_core import compat_modules as _compat_modules  # noqa: F401  (finds backend module paths)
from toil_core.compat_toplevel import *  # noqa: F401,F403

__all__ = [
    "ApplianceImageNotFound", "DeadlockException", "KNOWN_EXTANT_IMAGES", "applianceSelf", "cache_path",
    "checkDockerImageExists", "checkDockerSchema", "currentCommit", "customDockerInitCmd",
    "customInitCmd", "inVirtualEnv", "log", "logProcessContext", "lookupEnvVar", "memoize",
    "parseDockerAppliance", "physicalDisk", "physicalMemory", "requestCheckDockerIo",
    "requestCheckRegularDocker", "resolveEntryPoint", "retry", "toilPackageDirPath", "which",
]
