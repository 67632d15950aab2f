"""Compatibility module: upstream name ``toil.jobStores.abstractJobStore``; everything lives in toil_core."""
from toil_core.compat_names import abstract_job_store_logger as logger  # noqa: F401
from toil_core.jobstores.abstract import *  # noqa: F401,F403
from toil_core.jobstores.errors import *  # noqa
from toil_core.jobstores.url_only import JobStoreSupport  # noqa: F401

__all__ = [
    "AbstractJobStore", "ConcurrentFileModificationException", "InvalidImportExportUrlException",
    "JobStoreExistsException", "JobStoreSupport", "NoSuchFileException", "NoSuchJobException", "NoSuchJobStoreException",
    "ProxyConnectionError", "logger",
]
