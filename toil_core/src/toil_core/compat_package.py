"""The lazy names of the two facade modules every workflow script imports: the ``toil`` package
itself (``toil.applianceSelf``, ``toil.retry``, ..., from :mod:`toil_core.compat_toplevel`) and
``toil.job``'s upstream extras (``toil.job.logger``, ``REQUIREMENT_NAMES``, the ``Parseable*`` type
aliases, ``T``, from :mod:`toil_core.compat_names`), each imported on first use (PEP 562).

Nearly every workflow script starts with ``from toil.job import Job``, which imports the ``toil``
package first: these helpers (and what they import: the leader's errors, the retry and memoize
helpers, the version, two dozen upstream-named loggers, typing aliases) are loaded only by the
scripts that name them. ``toil/__init__.pyi`` and ``toil/job.pyi`` give type checkers the same
names with their real types.
"""
from __future__ import annotations

from toil_core.lib.lazy_names import lazy_names

__all__ = ["JOB_NAMES", "TOPLEVEL_NAMES", "__dir__", "__getattr__", "job_dir", "job_getattr"]

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

#: ``toil.job`` names that upstream's module defines and the job model has no use for -> their name
#: in toil_core.compat_names.
JOB_NAMES = {
    **{name: name for name in ("REQUIREMENT_NAMES", "ParseableAcceleratorRequirement", "ParseableDivisibleResource",
                               "ParseableFlag", "ParseableIndivisibleResource", "ParseableRequirement",
                               "ParsedRequirement", "T")},
    "logger": "job_logger",
}

#: ``toil.job``'s PEP 562 hooks (the facade imports them as its ``__getattr__`` and ``__dir__``).
job_getattr, job_dir = lazy_names("toil.job", {name: ("toil_core.compat_names", home)
                                               for name, home in JOB_NAMES.items()})
