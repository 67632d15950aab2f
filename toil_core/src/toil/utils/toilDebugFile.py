"""Compatibility module: upstream name ``toil.utils.toilDebugFile``; everything lives in toil_core."""
from toil_core.compat_names import toil_debug_file_logger as logger  # noqa: F401
from toil_core.utils.toilDebugFile import *  # noqa: F401,F403

__all__ = [
    "fetchJobStoreFiles", "logger", "main", "printContentsOfJobStore",
]
