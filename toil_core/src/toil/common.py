"""Compatibility module: upstream name ``toil.common``; everything lives in toil_core.

Importing it is cheap: each name below is imported from its home module on first use (PEP 562,
see :mod:`toil_core.compat_common`); ``common.pyi`` gives type checkers the real names.
"""
from toil_core.common.workdirs import get_coordination_dir, get_local_workflow_dir, get_toil_work_dir  # noqa
from toil_core.compat_common import __dir__, __getattr__  # noqa: F401  (PEP 562: names on first use)
from toil_core.compat_toplevel import cacheDirName, getNodeID  # noqa

__all__ = [
    "Config", "JOBSTORE_HELP", "SYS_MAX_SIZE", "Toil", "ToilContextManagerException", "ToilMetrics",
    "ToilRestartException", "UUID_LENGTH", "addOptions", "cacheDirName", "defaultTargetTime", "fC",
    "getDirSizeRecursively", "getFileSystemSize", "getNodeID", "iC", "logger", "parseBool", "parseSetEnv",
    "parse_accelerator_list", "parser_with_common_options", "safeUnpickleFromStream",
]
