"""Compatibility module: upstream name ``toil``; everything lives in toil_core.

The package's own names come from :mod:`toil_core.compat_toplevel` on first use (PEP 562, see
:mod:`toil_core.compat_package`), so ``import toil.job`` does not load them; ``__init__.pyi`` gives
type checkers the real names.
"""
from toil_core import compat_modules as _compat_modules  # noqa: F401  (finds backend module paths)
from toil_core.compat_package import __dir__, __getattr__  # noqa: F401  (PEP 562: names on first use)

__all__ = [
    "ApplianceImageNotFound", "DeadlockException", "KNOWN_EXTANT_IMAGES", "applianceSelf", "cache_path",
    "checkDockerImageExists", "checkDockerSchema", "currentCommit", "customDockerInitCmd",
    "customInitCmd", "inVirtualEnv", "log", "logProcessContext", "lookupEnvVar", "memoize",
    "parseDockerAppliance", "physicalDisk", "physicalMemory", "requestCheckDockerIo",
    "requestCheckRegularDocker", "resolveEntryPoint", "retry", "toilPackageDirPath", "which",
]
