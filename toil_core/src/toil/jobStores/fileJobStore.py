"""Compatibility module: upstream name ``toil.jobStores.fileJobStore``; everything lives in toil_core."""
from toil_core.compat_names import file_job_store_logger as logger  # noqa: F401
from toil_core.jobstores.file_job_store import *  # noqa: F401,F403

__all__ = [
    "FileJobStore", "logger",
]
