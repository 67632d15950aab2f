"""The names of the ``toil`` package itself (``toil.applianceSelf``, ``toil.retry``, ...), imported
from :mod:`toil_core.compat_toplevel` on first use (PEP 562).

Nearly every workflow script starts with ``from toil.job import Job``, which imports the ``toil``
package first: these helpers (and what they import: the leader's errors, the retry and memoize
helpers, the version) are loaded only by the scripts that name them. ``toil/__init__.pyi`` gives
type checkers the same names with their real types.
"""
from __future__ import annotations

from toil_core.lib.lazy_names import lazy_names

__all__ = ["TOPLEVEL_NAMES", "__dir__", "__getattr__"]

#: The names ``from toil import *`` and ``toil.<name>`` give (those of compat_toplevel's ``__all__``).
TOPLEVEL_NAMES = (
    "ApplianceImageNotFound",
    "DeadlockException",
    "KNOWN_EXTANT_IMAGES",
    "applianceSelf",
    "cacheDirName",
    "cache_path",
    "checkDockerImageExists",
    "checkDockerSchema",
    "currentCommit",
    "customDockerInitCmd",
    "customInitCmd",
    "getNodeID",
    "inVirtualEnv",
    "log",
    "logProcessContext",
    "lookupEnvVar",
    "memoize",
    "parseDockerAppliance",
    "physicalDisk",
    "physicalMemory",
    "requestCheckDockerIo",
    "requestCheckRegularDocker",
    "resolveEntryPoint",
    "retry",
    "toilPackageDirPath",
    "which",
)

__getattr__, __dir__ = lazy_names("toil", {name: ("toil_core.compat_toplevel", name) for name in TOPLEVEL_NAMES})
