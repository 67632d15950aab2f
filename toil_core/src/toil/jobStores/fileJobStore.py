"""Compatibility module: upstream name ``toil.jobStores.fileJobStore``; everything lives in toil_core."""
from toil_core.jobstores.file_job_store import *  # noqa: F401,F403
